/**
 * The partitions' NICs through the switch, driven as each guest's driver would through its own
 * stage-2 view (the hypervisor's emulated-device path), in-process: a frame one partition
 * transmits lands in the other's receive buffer, in that partition's RAM; and a driver that
 * points its descriptors at guest addresses outside its own memory (where the board has the
 * other partition's RAM) gets DEVICE_NEEDS_RESET, while the other partition's memory stays as
 * it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { PREBUILT_HELLO } from "../harness/paths.js";

const NIC = 0x0a00_3e00;
const PA = [0x4800_0000, 0x5000_0000];
const WRITE = 2;

function hypervisor() {
  const tree = compileDts(new TextEncoder().encode(`/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x20000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x04000000>; };
  lan: lan { compatible = "virtual-switch"; };
  partitions {
    a { compatible = "partition"; cpus = <0 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; };
      net0 { compatible = "virtio-net"; global-handle = <&lan>; }; };
    b { compatible = "partition"; cpus = <1 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; };
      net0 { compatible = "virtio-net"; global-handle = <&lan>; }; };
  };
};
`), { fileName: "net.dts" });
  const r = checkHvConfig(tree, "net.dts", "/", { fileSize: () => 10000, hasDevice: () => true });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const hv = new Hypervisor(r.config, { readImage: () => new Uint8Array(16), consoleOutput: () => {}, event: () => {}, dtbToDts: () => "" });
  hv.bootAll();
  return hv;
}

/** Partition k's legacy virtio-net driver: registers through its emulated-device path, rings in its RAM at guest 0x4100_0000. */
function driver(hv: Hypervisor, k: number) {
  const p = hv.parts[k];
  const bus = hv.board.bus;
  const pa = (ipa: number) => PA[k] + (ipa - 0x4000_0000);
  const w = (off: number, v: number) => assert.ok(p.access(NIC + off, 4, true, BigInt(v >>> 0), 0).ok);
  const r = (off: number) => Number(p.access(NIC + off, 4, false, 0n, 0).value);
  const ring = (q: number) => 0x4100_0000 + q * 0x4000;
  const size = 8;
  const nextAvail = [0, 0, 0];
  w(0x70, 0); w(0x70, 3); w(0x20, 1 << 15); w(0x28, 4096); // MRG_RXBUF only
  for (let q = 0; q < 3; q++) { w(0x30, q); w(0x38, size); w(0x3c, 4096); w(0x40, ring(q) / 4096); }
  w(0x70, 7);
  return {
    status: () => r(0x70),
    /** One descriptor at guest `addr` on queue q, made available and notified. */
    post(q: number, addr: number, length: number, write: boolean, data?: Uint8Array) {
      if (data) assert.ok(bus.load(pa(addr), data));
      const d = new DataView(new ArrayBuffer(16));
      const i = nextAvail[q] % size;
      d.setBigUint64(0, BigInt(addr), true); d.setUint32(8, length, true); d.setUint16(12, write ? WRITE : 0, true);
      assert.ok(bus.load(pa(ring(q) + 16 * i), new Uint8Array(d.buffer)));
      const avail = ring(q) + 16 * size;
      const v = new DataView(new ArrayBuffer(2));
      v.setUint16(0, i, true); assert.ok(bus.load(pa(avail + 4 + 2 * i), new Uint8Array(v.buffer)));
      v.setUint16(0, ++nextAvail[q], true); assert.ok(bus.load(pa(avail + 2), new Uint8Array(v.buffer)));
      w(0x50, q);
    },
    used: (q: number) => Number(bus.read(pa(Math.ceil((ring(q) + 16 * size + 6 + 2 * size) / 4096) * 4096 + 2), 2, 0)),
    read: (ipa: number, n: number) => { const ram = bus.rams[bus.findRam(pa(ipa))]; return ram.bytes.slice(pa(ipa) - ram.base, pa(ipa) - ram.base + n); },
  };
}

const frame = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]);

test("a frame partition a transmits arrives in partition b's receive buffer, in b's RAM", () => {
  const hv = hypervisor();
  const a = driver(hv, 0), b = driver(hv, 1);
  b.post(0, 0x4200_0000, 2048, true);
  a.post(1, 0x4200_0000, 12 + frame.length, false, Uint8Array.from([...new Uint8Array(12), ...frame]));
  assert.equal(a.used(1), 1, "a's transmit buffer is used");
  assert.equal(b.used(0), 1, "b's receive buffer is used");
  assert.deepEqual(b.read(0x4200_0000 + 12, frame.length), frame);
  assert.equal(b.read(0x4200_0000 + 10, 1)[0], 1, "num_buffers");
});

test("descriptors outside the partition's own memory reach nothing: the other partition's RAM stays as it was", () => {
  const hv = hypervisor();
  const a = driver(hv, 0), b = driver(hv, 1);
  const victim = hv.board.bus.rams[hv.board.bus.findRam(PA[1])];
  victim.bytes.fill(0x5a, 0, 1 << 16);
  // Guest address 0x5000_0000 is nothing in a's map (its RAM is 0x4000_0000 + 64 MiB), though the
  // board has b's RAM at that physical address.
  a.post(0, 0x5000_0000, 2048, true);
  b.post(1, 0x4200_0000, 12 + frame.length, false, Uint8Array.from([...new Uint8Array(12), ...frame]));
  assert.equal(a.status() & 64, 64, "a's NIC needs a reset");
  assert.equal(a.used(0), 0);
  assert.ok(victim.bytes.subarray(0, 1 << 16).every((x) => x === 0x5a), "b's RAM untouched");
  // A transmit descriptor pointing there: nothing is read from it either.
  const a2 = driver(hv, 0);
  let seen = 0;
  hv.nicPortsOf(hv.parts[1].config)[0].deliverToGuest = () => { seen++; };
  a2.post(1, 0x5000_0000, 64, false);
  assert.equal(a2.status() & 64, 64);
  assert.equal(seen, 0, "no frame made of b's memory reached the switch");
});
