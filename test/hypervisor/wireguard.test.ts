/**
 * A WireGuard tunnel between two Linux partitions on the config's virtual switch
 * (examples/linux-pair-net.dts): each loads Debian's wireguard module (and the tunnel and
 * ChaCha20-Poly1305/curve25519 modules it depends on, the NEON ones of the arm64 kernel), makes
 * wg0 with Debian's wg, peers with the other over the switch, pings its tunnel address, and one
 * sends the other 108894 bytes through the tunnel with busybox nc (tests/linux/wireguard-init.sh).
 * The oracle is the same pair under two QEMUs joined by -netdev dgram: each partition must print
 * exactly what the QEMU guest of its role prints (the script prints no times and no counters, only whether they are zero).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, workloadText } from "../harness/linux.js";
import { wireguardInitrd, wireguardMissing } from "../harness/net-guest.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(wireguardMissing(guests) || (!haveQemu ? `${QEMU} not installed` : false));

/**
 * Test data: two X25519 key pairs (private, public; base64 as `wg genkey` and `wg pubkey` print
 * them). Each guest prints `wg pubkey` of its private key, so wg's own curve25519 is checked too.
 */
const KEYS = [
  ["ACeaKGFflOCLO9O9jGxfd9STmhRxeT8trE1R3h6Z/Eo=", "JNGQUzVzZmeQyq/hGPlr4eioVA2G/pp1S9FmfAoYFik="],
  ["SHVpj/HVh+BhF1EDiEk6M0obH7GiEC4P4BEJJrSIp1E=", "XtVae+Enak6R+eqMAo2TV/7uz4Z15QYx1LJyQKmqE2E="],
] as const;

/** The two sides: eth0 and wg0 addresses as in examples/linux-pair-net.dts, the MACs the switch gives them there. */
const SIDES = [
  { label: "p1-linux", ip: "10.0.0.1", peer: "10.0.0.2", wg: "10.9.0.1", wgPeer: "10.9.0.2", key: KEYS[0][0], publicKey: KEYS[0][1], peerKey: KEYS[1][1], role: "send", mac: "52:54:00:12:34:56" },
  { label: "p2-linux", ip: "10.0.0.2", peer: "10.0.0.1", wg: "10.9.0.2", wgPeer: "10.9.0.1", key: KEYS[1][0], publicKey: KEYS[1][1], peerKey: KEYS[0][1], role: "recv", mac: "52:54:00:ab:cd:02" },
] as const;

/** What the sender sends: `seq 1 20000`. */
const DATA = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("");

const args = (s: (typeof SIDES)[number]) =>
  `net.peer=${s.peer} wg.ip=${s.wg} wg.peer=${s.wgPeer} wg.key=${s.key} wg.peerkey=${s.peerKey} wg.role=${s.role} net.tries=60 net.linger=3`;

test("a WireGuard tunnel between two Linux partitions on the virtual switch carries pings and data, as between two QEMUs", { skip, timeout: 1_000_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-hv-wg-"));
  const initrd = wireguardInitrd(guests!, dir);

  // The oracle: one QEMU per side (one vCPU and 256 MiB, as the partitions), their NICs joined
  // by -netdev dgram (each sends its frames to the other's UDP port, so neither waits for the
  // other to start: the guests' pings retry until the peer is up).
  const port = await freePortRange(2);
  const qemu = await Promise.all(SIDES.map((s, i) => runLinux("qemu", {
    kernel: guests!.kernel, initrd, smp: 1, memory: "256M", gicVersion: 3, timeoutMs: 180_000, markers: [BEGIN_MARKER, END_MARKER],
    append: `console=ttyAMA0 panic=-1 net.ip=${s.ip} ${args(s)}`,
    extraArgs: ["-nodefaults", "-netdev", `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${port + i},` +
      `remote.type=inet,remote.host=127.0.0.1,remote.port=${port + 1 - i}`, "-device", `virtio-net-device,netdev=n0,mac=${s.mac}`],
  })));
  const want = qemu.map((q) => workloadText(q.stdout));
  qemu.forEach((q, i) => assert.ok(want[i] && q.code === 0, `QEMU's ${SIDES[i].role} side did not run the workload\n${tail(q)}`));

  const path = join(dir, "pair-wg.dts");
  let text = readFileSync(join(REPO_ROOT, "examples", "linux-pair-net.dts"), "utf8").replaceAll("LINUX_KERNEL", guests!.kernel).replaceAll("LINUX_INITRD", initrd);
  for (const s of SIDES) text = text.replace(`net.peer=${s.peer}"`, `${args(s)}"`);
  writeFileSync(path, text);
  // Instruction time without sleeping, as in net-switch.test.ts: both partitions share one host
  // thread and one clock.
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "-icount", "shift=4,sleep=off", "--watchdog", "800"],
    { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
  SIDES.forEach((s, i) => {
    const got = workloadText(r.stdout.split("\n").filter((l) => l.startsWith(`[${s.label}] `)).map((l) => l.slice(s.label.length + 3)).join("\n"));
    assert.ok(got, `${s.label} did not run the workload\n${r.stdout.slice(-3000)}`);
    assert.equal(got, want[i], `${s.label} differs from QEMU's ${s.role} side`);
    // What the comparison stands on: the keys, the tunnel up, the data whole, both ways counted.
    const line = (l: string) => assert.ok(got.split("\n").includes(l), `${s.label}: no line "${l}"\n${got}`);
    line(`public key ${s.publicKey}`);
    line(`peer: ${s.peerKey}`);
    line(`ping ${s.wgPeer} through wg0: yes`);
    line("3 packets transmitted, 3 packets received, 0% packet loss");
    line(`${s.role === "send" ? "sent" : "received"} ${DATA.length} bytes, md5 ${createHash("md5").update(DATA).digest("hex")}`);
    line("transfer received>0 yes sent>0 yes");
    line("handshake yes");
    line("wg0 over eth0: yes");
  });
});
