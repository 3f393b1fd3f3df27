/**
 * The busybox initramfs of the virtio-net tests: tests/linux/net-init.sh as /init and the
 * Debian cloud kernel's virtio-net modules (virtio_net needs net_failover, which needs failover)
 * in /modules.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { busyboxInitramfs, FETCH_HINT, type CachedGuests } from "../../src/cli/guests.js";
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
