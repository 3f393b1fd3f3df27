/**
 * Debian's kernel with virtio_net (tests/linux/net-init.sh) under qemu-system-aarch64 and
 * Tessera:
 *  - with version 2 transports, eth0 on -netdev stream to a host this test plays (it answers
 *    ARP and ping as 10.0.0.2): the guest prints what the driver negotiated, the interface
 *    (MAC, MTU, carrier, speed, duplex, flags), its address, the ping and the neighbour entry,
 *    and the text must be the same under both;
 *  - with QEMU's default legacy transports, a Tessera guest listening on -netdev socket and a
 *    QEMU guest connecting to it ping each other.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, workloadText } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";
import { netInitrd, netModulesMissing } from "../harness/net-guest.js";
import { startNetPeer } from "../harness/net-peer.js";
import { parseMac } from "../../src/devices/virtio/net.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(netModulesMissing(guests) || (!haveQemu ? `${QEMU} not installed` : false));
const TESSERA_TIMEOUT_S = Number(process.env.TESSERA_LINUX_TIMEOUT ?? 600);
const PEER_MAC = parseMac("52:54:00:00:00:02")!;

test("Linux on virtio-net (virtio-mmio version 2) pings a host over -netdev stream: the same text as under QEMU", {
  skip, timeout: (TESSERA_TIMEOUT_S + 300) * 1000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-net-"));
  const initrd = netInitrd(guests!, dir);
  const texts: string[] = [];
  for (const emulator of ["qemu", "tessera"] as const) {
    const peer = await startNetPeer("10.0.0.2", PEER_MAC);
    try {
      const r = await runLinux(emulator, {
        kernel: guests!.kernel, initrd, smp: 1, dtbRandomness: false, markers: [BEGIN_MARKER, END_MARKER],
        append: "console=ttyAMA0 panic=-1 net.ip=10.0.0.1 net.peer=10.0.0.2",
        timeoutMs: (emulator === "qemu" ? 180 : TESSERA_TIMEOUT_S) * 1000,
        extraArgs: ["-nodefaults", "-global", "virtio-mmio.force-legacy=false",
          "-netdev", `stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${peer.port}`, "-device", "virtio-net-device,netdev=n0"],
      });
      const text = workloadText(r.stdout);
      assert.ok(text, `${emulator} did not run the workload\n${tail(r)}`);
      assert.equal(r.code, 0, tail(r));
      // The host saw the guest's frames from QEMU's default MAC and answered its pings.
      assert.ok(peer.received.some((f) => f.subarray(6, 12).every((b, i) => b === [0x52, 0x54, 0, 0x12, 0x34, 0x56][i])), `${emulator}: no frame from 52:54:00:12:34:56`);
      assert.ok(peer.echoes >= 4, `${emulator}: ${peer.echoes} echo requests answered`);
      texts.push(text);
    } finally {
      peer.close();
    }
  }
  const [qText, tText] = texts;
  assert.match(qText, /^virtio0 features=\d{64} driver=virtio_net at a003e00\.virtio_mmio$/m);
  assert.match(qText, /^address 52:54:00:12:34:56 mtu 1500$/m);
  assert.match(qText, /^ping 10\.0\.0\.2: yes$/m);
  assert.match(qText, /^3 packets transmitted, 3 packets received, 0% packet loss$/m);
  assert.match(qText, /^10\.0\.0\.2 dev eth0 lladdr 52:54:00:00:00:02$/m);
  assert.equal(tText, qText, "the workload's output differs from QEMU's");
});

/** Resolves once something listens on 127.0.0.1:port (the probe connection is closed at once). */
async function listening(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

test("a Tessera guest and a QEMU guest ping each other across -netdev socket (Tessera listens, QEMU connects)", {
  skip, timeout: (TESSERA_TIMEOUT_S + 300) * 1000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-net-pair-"));
  const initrd = netInitrd(guests!, dir);
  const port = await freePortRange(1);
  const common = { kernel: guests!.kernel, initrd, smp: 1, dtbRandomness: false, markers: [BEGIN_MARKER, END_MARKER] };
  const tessera = runLinux("tessera", {
    ...common, timeoutMs: TESSERA_TIMEOUT_S * 1000,
    append: "console=ttyAMA0 panic=-1 net.ip=10.0.0.1 net.peer=10.0.0.2 net.tries=60 net.linger=2",
    extraArgs: ["-nodefaults", "-netdev", `socket,id=n0,listen=127.0.0.1:${port}`, "-device", "virtio-net-device,netdev=n0"],
  });
  await listening(port, Date.now() + 60_000);
  // QEMU's guest is up long before Tessera's: it keeps trying, then stays up while Tessera's pings it.
  const qemu = runLinux("qemu", {
    ...common, timeoutMs: (TESSERA_TIMEOUT_S + 120) * 1000,
    append: `console=ttyAMA0 panic=-1 net.ip=10.0.0.2 net.peer=10.0.0.1 net.tries=${TESSERA_TIMEOUT_S} net.linger=30`,
    extraArgs: ["-nodefaults", "-netdev", `socket,id=n0,connect=127.0.0.1:${port}`, "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:57"],
  });
  const [t, q] = await Promise.all([tessera, qemu]);
  const tText = workloadText(t.stdout), qText = workloadText(q.stdout);
  assert.ok(tText, `Tessera did not run the workload\n${tail(t)}`);
  assert.ok(qText, `QEMU did not run the workload\n${tail(q)}`);
  assert.match(tText, /^ping 10\.0\.0\.2: yes$/m, tail(t));
  assert.match(tText, /^3 packets transmitted, 3 packets received, 0% packet loss$/m);
  assert.match(tText, /^10\.0\.0\.2 dev eth0 lladdr 52:54:00:12:34:57$/m);
  assert.match(qText, /^ping 10\.0\.0\.1: yes$/m, tail(q));
  assert.match(qText, /^3 packets transmitted, 3 packets received, 0% packet loss$/m);
  assert.match(qText, /^10\.0\.0\.1 dev eth0 lladdr 52:54:00:12:34:56$/m);
  assert.equal(t.code, 0, tail(t));
  assert.equal(q.code, 0, tail(q));
});
