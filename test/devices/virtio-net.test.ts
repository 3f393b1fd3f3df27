/**
 * virtio-net on the virt board's virtio-mmio transport, driven as a guest driver would (virtio
 * 1.2 5.1): the configuration space, the header sizes of each transport version, transmitted
 * frames reaching the backend without their header, received frames in one buffer or spread
 * over several (mergeable buffers, num_buffers), frames waiting for buffers, the control
 * queue's receive filter, malformed requests, and a partition's DMA windows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { DefaultMacs, parseMac, VirtioNet } from "../../src/devices/virtio/net.js";
import { GuestMemory } from "../../src/devices/virtio/guest-memory.js";
import { Bus } from "../../src/memory/bus.js";
import type { NetBackend } from "../../src/net/backend.js";

const RAM = VIRT.RAM_BASE;
const BASE = VIRT.MMIO + 31 * VIRT.MMIO_SIZE;
const NEXT = 1, WRITE = 2;
const F_MAC = 5, F_MRG_RXBUF = 15, F_STATUS = 16, F_CTRL_VQ = 17, F_CTRL_RX = 18, F_CTRL_VLAN = 19;

class RecordingBackend implements NetBackend {
  sent: Uint8Array[] = [];
  deliverToGuest?: (frame: Uint8Array) => void;
  sendFromGuest(frame: Uint8Array) { this.sent.push(frame); }
}

/** A driver with one ring per queue (receiveq 0, transmitq 1, controlq 2), each with its own 64 KiB of RAM. */
class NetDriver {
  private nextAvail = [0, 0, 0];
  private nextDesc = [0, 0, 0];
  readonly size = 16;
  constructor(readonly b: VirtBoard, readonly legacy: boolean) {}
  r(off: number) { return Number(this.b.bus.read(BASE + off, 4, 0)); }
  r8(off: number) { return Number(this.b.bus.read(BASE + off, 1, 0)); }
  w(off: number, v: number) { this.b.bus.write(BASE + off, 4, v, 0); }
  put(pa: number, bytes: Uint8Array) { assert.ok(this.b.bus.load(pa, bytes)); }
  get(pa: number, n: number) { const r = this.b.bus.rams[0]; return r.bytes.slice(pa - r.base, pa - r.base + n); }
  u16(pa: number) { return Number(this.b.bus.read(pa, 2, 0)); }
  u32(pa: number) { return Number(this.b.bus.read(pa, 4, 0)); }
  ring(q: number) { const desc = RAM + 0x100000 + q * 0x10000; return { desc, avail: desc + 16 * this.size, used: desc + 0x1000, buffers: desc + 0x2000 }; }

  init(features: number, features1 = 0): number {
    this.w(0x70, 0); this.w(0x70, 1); this.w(0x70, 3);
    this.w(0x24, 0); this.w(0x20, features);
    if (!this.legacy) {
      this.w(0x24, 1); this.w(0x20, features1 | 1);
      this.w(0x70, 3 | 8);
    } else this.w(0x28, 4096);
    for (let q = 0; q < 3; q++) {
      const { desc, avail, used } = this.ring(q);
      this.put(desc, new Uint8Array(0x2000));
      this.w(0x30, q);
      this.w(0x38, this.size);
      if (this.legacy) { this.w(0x3c, 4096); this.w(0x40, desc / 4096); }
      else {
        this.w(0x80, desc); this.w(0x84, 0); this.w(0x90, avail); this.w(0x94, 0); this.w(0xa0, used); this.w(0xa4, 0);
        this.w(0x44, 1);
      }
    }
    this.w(0x70, this.r(0x70) | 4);
    return this.r(0x70);
  }

  /** A chain of buffers (readable data, then writable lengths) on queue q; returns its head. */
  chain(q: number, readable: Uint8Array[], writable: number[]): { head: number; writable: number[] } {
    const { desc, buffers } = this.ring(q);
    const head = this.nextDesc[q];
    const parts: { data?: Uint8Array; len: number; write: boolean }[] = [
      ...readable.map((d) => ({ data: d, len: d.length, write: false })), ...writable.map((len) => ({ len, write: true }))];
    const addrs: number[] = [];
    parts.forEach((p, k) => {
      const i = (head + k) % this.size;
      const addr = buffers + i * 0x1000;
      if (p.data) this.put(addr, p.data);
      if (p.write) addrs.push(addr);
      const d = new DataView(new ArrayBuffer(16));
      d.setBigUint64(0, BigInt(addr), true); d.setUint32(8, p.len, true);
      d.setUint16(12, (p.write ? WRITE : 0) | (k < parts.length - 1 ? NEXT : 0), true); d.setUint16(14, (i + 1) % this.size, true);
      this.put(desc + 16 * i, new Uint8Array(d.buffer));
    });
    this.nextDesc[q] = (head + parts.length) % this.size;
    return { head, writable: addrs };
  }

  submit(q: number, head: number) {
    const { avail } = this.ring(q);
    const v = new DataView(new ArrayBuffer(2));
    v.setUint16(0, head, true);
    this.put(avail + 4 + 2 * (this.nextAvail[q] % this.size), new Uint8Array(v.buffer));
    this.nextAvail[q]++;
    v.setUint16(0, this.nextAvail[q], true);
    this.put(avail + 2, new Uint8Array(v.buffer));
    this.w(0x50, q);
  }

  usedIdx(q: number) { return this.u16(this.ring(q).used + 2); }
  usedEntry(q: number, i: number) { const u = this.ring(q).used; return { id: this.u32(u + 4 + 8 * i), len: this.u32(u + 8 + 8 * i) }; }
}

function setup(legacy: boolean, features: number, mac = parseMac("52:54:00:12:34:56")!) {
  const backend = new RecordingBackend();
  const nic = new VirtioNet(backend, mac);
  const board = new VirtBoard({ ramSize: 16 << 20, cpus: 1, gicVersion: 2, virtualization: false, uartTx: () => {}, virtio: { devices: [nic], legacy } });
  const d = new NetDriver(board, legacy);
  return { backend, nic, board, d, status: d.init(features) };
}

const frame = (dest: string, src: string, payload: number[] = [1, 2, 3, 4]) =>
  Uint8Array.from([...parseMac(dest)!, ...parseMac(src)!, 0x08, 0x00, ...payload]);

test("device ID 1, QEMU's offered features, the MAC and link-up in the configuration space", () => {
  const { d, status } = setup(true, 0);
  assert.equal(d.r(0x008), 1);
  assert.equal(status & 4, 4);
  d.w(0x14, 0);
  // MAC, GSO, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX, CTRL_VLAN, CTRL_RX_EXTRA, GUEST_ANNOUNCE,
  // CTRL_MAC_ADDR, CTRL_GUEST_OFFLOADS; NOTIFY_ON_EMPTY, ANY_LAYOUT, INDIRECT_DESC, EVENT_IDX.
  assert.equal(d.r(0x10) >>> 0, [2, 5, 6, 15, 16, 17, 18, 19, 20, 21, 23, 24, 27, 28, 29].reduce((a, b) => (a | 1 << b) >>> 0, 0));
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => d.r8(0x100 + i)), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  assert.equal(d.r8(0x106), 1, "VIRTIO_NET_S_LINK_UP");
  // Modern: only VERSION_1 in the high word (no SPEED_DUPLEX without QEMU's speed=/duplex=).
  const m = setup(false, 0);
  m.d.w(0x14, 1);
  assert.equal(m.d.r(0x10) >>> 0, 1);
});

test("QEMU's default MACs: 52:54:00:12:34:56 upwards, skipping the ones given", () => {
  const macs = new DefaultMacs();
  const text = (m: Uint8Array) => [...m].map((b) => b.toString(16).padStart(2, "0")).join(":");
  assert.equal(text(macs.assign(undefined)), "52:54:00:12:34:56");
  assert.equal(text(macs.assign(parseMac("52:54:00:12:34:57"))), "52:54:00:12:34:57");
  assert.equal(text(macs.assign(undefined)), "52:54:00:12:34:58");
  assert.equal(parseMac("52:54:00:12:34"), undefined);
  assert.equal(parseMac("52:54:00:12:34:5g"), undefined);
});

for (const legacy of [true, false]) {
  const mode = legacy ? "legacy" : "modern";
  test(`${mode}: transmitted frames reach the backend without their virtio_net_hdr`, () => {
    for (const mrg of [false, true]) {
      const { d, backend } = setup(legacy, mrg ? 1 << F_MRG_RXBUF : 0);
      const hdr = legacy && !mrg ? 10 : 12;
      const f = frame("ff:ff:ff:ff:ff:ff", "52:54:00:12:34:56");
      // Header and frame in separate descriptors, then in one (ANY_LAYOUT).
      const a = d.chain(1, [new Uint8Array(hdr), f], []);
      d.submit(1, a.head);
      const b = d.chain(1, [Uint8Array.from([...new Uint8Array(hdr), ...f])], []);
      d.submit(1, b.head);
      assert.equal(backend.sent.length, 2, `${mode} mrg=${mrg}`);
      for (const s of backend.sent) assert.deepEqual(s, f);
      assert.equal(d.usedIdx(1), 2);
    }
  });

  test(`${mode}: a received frame fills one buffer, and spans several with mergeable buffers`, () => {
    const { d, backend, nic } = setup(legacy, 1 << F_MRG_RXBUF);
    const f = frame("52:54:00:12:34:56", "52:54:00:aa:bb:cc", Array.from({ length: 300 }, (_, i) => i & 0xff));
    // No buffers yet: the frame waits.
    backend.deliverToGuest!(f);
    assert.equal(d.usedIdx(0), 0);
    const big = d.chain(0, [], [2048]);
    d.submit(0, big.head);
    assert.equal(d.usedIdx(0), 1);
    assert.deepEqual(d.usedEntry(0, 0), { id: big.head, len: 12 + f.length });
    const got = d.get(big.writable[0], 12 + f.length);
    assert.equal(got[10] | (got[11] << 8), 1, "num_buffers");
    assert.deepEqual(got.subarray(0, 10), new Uint8Array(10), "no offload flags, no GSO");
    assert.deepEqual(got.subarray(12), f);
    // Buffers of 128 bytes: the frame takes three, num_buffers = 3 in the first.
    const chains = [0, 1, 2, 3].map(() => d.chain(0, [], [128]));
    for (const c of chains) d.submit(0, c.head);
    backend.deliverToGuest!(f);
    assert.equal(d.usedIdx(0), 4);
    const total = 12 + f.length;
    assert.deepEqual([1, 2, 3].map((i) => d.usedEntry(0, i).len), [128, 128, total - 256]);
    const first = d.get(chains[0].writable[0], 128);
    assert.equal(first[10] | (first[11] << 8), 3);
    const joined = Uint8Array.from([...first, ...d.get(chains[1].writable[0], 128), ...d.get(chains[2].writable[0], total - 256)]);
    assert.deepEqual(joined.subarray(12), f);
    assert.equal(nic.counters.rxFrames, 2);
  });
}

test("without mergeable buffers a legacy header is 10 bytes and a frame needs one buffer that holds it", () => {
  const { d, backend } = setup(true, 0);
  const f = frame("52:54:00:12:34:56", "52:54:00:aa:bb:cc");
  const c = d.chain(0, [], [10 + f.length]);
  d.submit(0, c.head);
  backend.deliverToGuest!(f);
  assert.deepEqual(d.usedEntry(0, 0).len, 10 + f.length);
  assert.deepEqual(d.get(c.writable[0] + 10, f.length), f);
});

test("frames wait for buffers up to a bound, then are dropped", () => {
  const { backend, nic, d } = setup(true, 1 << F_MRG_RXBUF);
  for (let i = 0; i < 300; i++) backend.deliverToGuest!(frame("52:54:00:12:34:56", "52:54:00:aa:bb:cc", [i & 0xff]));
  assert.equal(nic.counters.rxDropped, 300 - 256);
  const c = d.chain(0, [], [2048]);
  d.submit(0, c.head);
  assert.equal(d.get(c.writable[0] + 12 + 14, 1)[0], 0, "the oldest waiting frame comes first");
});

test("the control queue: promiscuous off filters by MAC, the MAC table, broadcast, VLANs", () => {
  const { d, backend, nic } = setup(true, 1 << F_MAC | 1 << F_MRG_RXBUF | 1 << F_STATUS | 1 << F_CTRL_VQ | 1 << F_CTRL_RX | 1 << F_CTRL_VLAN);
  const command = (cls: number, cmd: number, data: number[]) => {
    const c = d.chain(2, [Uint8Array.of(cls, cmd), Uint8Array.from(data)], [1]);
    d.submit(2, c.head);
    return d.get(c.writable[0], 1)[0];
  };
  for (let i = 0; i < 8; i++) d.submit(0, d.chain(0, [], [2048]).head);
  const deliveredAfter = (f: Uint8Array) => { const before = nic.counters.rxFrames; backend.deliverToGuest!(f); return nic.counters.rxFrames - before; };
  const other = frame("52:54:00:99:99:99", "52:54:00:aa:bb:cc");
  assert.equal(deliveredAfter(other), 1, "promiscuous after reset, as QEMU");
  assert.equal(command(0, 0, [0]), 0, "RX_PROMISC off: OK");
  assert.equal(deliveredAfter(other), 0);
  assert.equal(deliveredAfter(frame("52:54:00:12:34:56", "52:54:00:aa:bb:cc")), 1);
  assert.equal(deliveredAfter(frame("ff:ff:ff:ff:ff:ff", "52:54:00:aa:bb:cc")), 1);
  assert.equal(deliveredAfter(frame("01:00:5e:00:00:01", "52:54:00:aa:bb:cc")), 0, "multicast not in the table");
  // MAC_TABLE_SET: one unicast entry, one multicast entry.
  const table = [1, 0, 0, 0, 0x52, 0x54, 0, 0x99, 0x99, 0x99, 1, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1];
  assert.equal(command(1, 0, table), 0);
  assert.equal(deliveredAfter(other), 1);
  assert.equal(deliveredAfter(frame("01:00:5e:00:00:01", "52:54:00:aa:bb:cc")), 1);
  assert.equal(command(1, 0, [5, 0, 0, 0]), 1, "a table longer than its data: VIRTIO_NET_ERR");
  // VLAN 5 tagged frames pass only once VLAN 5 is added.
  const tagged = Uint8Array.from([...parseMac("52:54:00:12:34:56")!, ...parseMac("52:54:00:aa:bb:cc")!, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00, 1]);
  assert.equal(deliveredAfter(tagged), 0);
  assert.equal(command(2, 0, [5, 0]), 0);
  assert.equal(deliveredAfter(tagged), 1);
  assert.equal(command(9, 0, []), 1, "an unknown class: VIRTIO_NET_ERR");
  // MAC_ADDR_SET changes the address the filter and the configuration space show.
  assert.equal(command(1, 1, [0x52, 0x54, 0, 1, 2, 3]), 0);
  assert.equal(d.r8(0x105), 3);
  assert.equal(deliveredAfter(frame("52:54:00:01:02:03", "52:54:00:aa:bb:cc")), 1);
});

test("malformed requests: a transmit chain shorter than the header, a control chain with no ack byte", () => {
  for (const [q, readable, writable] of [[1, [new Uint8Array(4)], []], [2, [Uint8Array.of(0, 0, 1)], []]] as const) {
    const { d, backend } = setup(false, 0);
    const c = d.chain(q, [...readable], [...writable]);
    assert.doesNotThrow(() => d.submit(q, c.head));
    assert.equal(d.r(0x70) & 64, 64, "DEVICE_NEEDS_RESET");
    assert.equal(backend.sent.length, 0);
    // The driver's reset brings it back.
    assert.equal(d.init(0) & 64, 0);
  }
});

test("a partition's DMA windows: only its own memory, read-only windows not writable", () => {
  const bus = new Bus();
  bus.addRam("ram", 0x4000_0000, 0x40_0000);
  const mem = new GuestMemory(bus, [
    { ipa: 0x4000_0000, pa: 0x4010_0000, size: 0x10_0000, writable: true },
    { ipa: 0x7000_0000, pa: 0x4030_0000, size: 0x1000, writable: false },
  ]);
  assert.ok(mem.writeU32(0x4000_0010, 0x12345678));
  assert.equal(bus.read(0x4010_0010, 4, 0), 0x12345678, "guest 0x4000_0010 is board 0x4010_0010");
  assert.equal(mem.view(0x4010_0010, 4), undefined, "the board address itself is not the partition's");
  assert.equal(mem.view(0x400f_fff8, 8)?.length, 8);
  assert.equal(mem.view(0x400f_fffc, 8), undefined, "a range crossing the window's end");
  assert.equal(mem.view(0x4020_0000, 4), undefined, "board RAM outside every window (another partition's)");
  assert.ok(mem.view(0x7000_0000, 16));
  assert.equal(mem.writableView(0x7000_0000, 16), undefined);
  assert.equal(mem.writeU16(0x7000_0000, 1), false);
});
