/**
 * The busybox initramfs of the virtio-net tests: tests/linux/net-init.sh as /init and the
 * Debian cloud kernel's virtio-net modules (virtio_net needs net_failover, which needs failover)
 * in /modules; and the WireGuard one (tests/linux/wireguard-init.sh), which adds the wireguard
 * module with the modules it depends on and Debian's wg with its C library.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { busyboxInitramfs, FETCH_HINT, findExtraGuest, type CachedGuests } from "../../src/cli/guests.js";
import { REPO_ROOT } from "./paths.js";

const MODULES: Record<string, string> = {
  failover: "net/core/failover.ko", net_failover: "drivers/net/net_failover.ko", virtio_ring: "drivers/virtio/virtio_ring.ko",
  virtio: "drivers/virtio/virtio.ko", virtio_mmio: "drivers/virtio/virtio_mmio.ko", virtio_net: "drivers/net/virtio_net.ko",
};

function moduleDir(g: CachedGuests): string {
  return join(g.dir, "linux", "lib", "modules", basename(g.kernel).replace(/^vmlinuz-/, ""), "kernel");
}

/** Why the modules cannot be had, or false. */
export function netModulesMissing(g: CachedGuests | undefined): string | false {
  if (!g) return `Linux guest cache missing: ${FETCH_HINT}`;
  const missing = Object.values(MODULES).filter((p) => !existsSync(join(moduleDir(g), p)));
  return missing.length ? `the cached kernel's modules ${missing.join(", ")} are missing (${moduleDir(g)}): ${FETCH_HINT}` : false;
}

/** Write the initramfs into `dir`; returns its path. */
export function netInitrd(g: CachedGuests, dir: string): string {
  const extra = Object.fromEntries(Object.entries(MODULES).map(([name, path]) => [`modules/${name}.ko`, new Uint8Array(readFileSync(join(moduleDir(g), path)))]));
  const path = join(dir, "net-initramfs.cpio.gz");
  writeFileSync(path, busyboxInitramfs(g.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "net-init.sh")), extra));
  return path;
}

/**
 * wireguard.ko and what it needs, from the modules' depends= lines in Debian's 6.1 cloud kernel
 * (wireguard: libcurve25519-generic, udp_tunnel, ip6_udp_tunnel, libchacha20poly1305; that one:
 * poly1305-neon, chacha-neon; chacha-neon: libchacha). The init script loads them in that order.
 */
const WIREGUARD_MODULES: Record<string, string> = {
  udp_tunnel: "net/ipv4/udp_tunnel.ko", ip6_udp_tunnel: "net/ipv6/ip6_udp_tunnel.ko",
  "libcurve25519-generic": "lib/crypto/libcurve25519-generic.ko", libchacha: "lib/crypto/libchacha.ko",
  "chacha-neon": "arch/arm64/crypto/chacha-neon.ko", "poly1305-neon": "arch/arm64/crypto/poly1305-neon.ko",
  libchacha20poly1305: "lib/crypto/libchacha20poly1305.ko", wireguard: "drivers/net/wireguard/wireguard.ko",
};

/** Debian's wg (wireguard-tools) and what it loads: libc and the dynamic loader (readelf -d: NEEDED libc.so.6). */
const WG_FILES = ["usr/bin/wg", "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", "lib/aarch64-linux-gnu/libc.so.6"];

/** Why the WireGuard guest cannot be built, or false. */
export function wireguardMissing(g: CachedGuests | undefined): string | false {
  const net = netModulesMissing(g);
  if (net) return net;
  const missing = Object.values(WIREGUARD_MODULES).filter((p) => !existsSync(join(moduleDir(g!), p)));
  if (missing.length) return `the cached kernel's modules ${missing.join(", ")} are missing (${moduleDir(g!)}): ${FETCH_HINT}`;
  const root = findExtraGuest("wireguard");
  if (!root || WG_FILES.some((f) => !existsSync(join(root, f)))) return "Debian's wireguard-tools is not in the guest cache (run `npm run fetch-guests`)";
  return false;
}

/** Write the WireGuard initramfs into `dir`; returns its path. */
export function wireguardInitrd(g: CachedGuests, dir: string): string {
  const root = findExtraGuest("wireguard")!;
  const files: Record<string, Uint8Array> = {};
  for (const [name, path] of Object.entries({ ...MODULES, ...WIREGUARD_MODULES })) files[`modules/${name}.ko`] = new Uint8Array(readFileSync(join(moduleDir(g), path)));
  for (const f of WG_FILES) files[f] = new Uint8Array(readFileSync(join(root, f)));
  // wg's PT_INTERP is /lib/ld-linux-aarch64.so.1 (a symlink in the package; a copy here).
  files["lib/ld-linux-aarch64.so.1"] = files["lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"];
  files["net-exchange.sh"] = new Uint8Array(readFileSync(join(REPO_ROOT, "tests", "linux", "net-exchange.sh")));
  const path = join(dir, "wireguard-initramfs.cpio.gz");
  writeFileSync(path, busyboxInitramfs(g.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "wireguard-init.sh")), files));
  return path;
}
