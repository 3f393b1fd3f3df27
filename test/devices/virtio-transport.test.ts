/**
 * The virtio-mmio transports of the virt board driven as a guest driver would (virtio 1.2
 * 4.2.3 initialization, 2.7 split virtqueues): the register map of each version, feature
 * negotiation, queue setup, block and entropy requests through descriptor chains (direct and
 * indirect), and malformed chains, which must put the device in DEVICE_NEEDS_RESET and never
 * throw into the CPU loop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import type { VirtioDevice } from "../../src/devices/virtio/device.js";
import { VirtioBlock, type BlockBackend } from "../../src/devices/virtio/block.js";
import { VirtioEntropy } from "../../src/devices/virtio/entropy.js";
import { VirtioConsole } from "../../src/devices/virtio/console.js";

const RAM = VIRT.RAM_BASE;
const slotBase = (slot: number) => VIRT.MMIO + slot * VIRT.MMIO_SIZE;
/** Where QEMU (and so the board) puts the first -device: the highest transport. */
const FIRST = slotBase(31);

class MemoryDisk implements BlockBackend {
  flushes = 0;
  constructor(readonly bytes: Uint8Array, readonly readOnly = false) {}
  get size() { return this.bytes.length; }
  read(offset: number, into: Uint8Array) { into.set(this.bytes.subarray(offset, offset + into.length)); }
  write(offset: number, data: Uint8Array) { this.bytes.set(data, offset); }
  flush() { this.flushes++; }
}

function patternDisk(sectors = 64, readOnly = false): MemoryDisk {
  const b = new Uint8Array(sectors * 512);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 9)) & 0xff;
  return new MemoryDisk(b, readOnly);
}

function makeBoard(devices: VirtioDevice[], legacy: boolean) {
  return new VirtBoard({ ramSize: 16 << 20, cpus: 1, gicVersion: 2, virtualization: false, uartTx: () => {}, virtio: { devices, legacy } });
}

/** A driver for one transport: registers, a queue in RAM, requests. */
class Driver {
  readonly desc = RAM + 0x100000;
  avail = RAM + 0x101000;
  used = RAM + 0x102000;
  private nextAvail = 0;
  constructor(readonly b: VirtBoard, readonly base: number, readonly legacy: boolean, readonly size = 16) {}
  r(off: number) { return Number(this.b.bus.read(this.base + off, 4, 0)); }
  w(off: number, v: number) { this.b.bus.write(this.base + off, 4, v, 0); }
  ram32(pa: number) { return Number(this.b.bus.read(pa, 4, 0)); }
  ram16(pa: number) { return Number(this.b.bus.read(pa, 2, 0)); }
  put(pa: number, bytes: Uint8Array) { assert.ok(this.b.bus.load(pa, bytes)); }
  get(pa: number, n: number) { const r = this.b.bus.rams[0]; return r.bytes.slice(pa - r.base, pa - r.base + n); }

  /** 3.1.1 / 4.2.3.1: reset, ACKNOWLEDGE, DRIVER, features, (FEATURES_OK), queue 0, DRIVER_OK. */
  init(features0: number, features1 = this.legacy ? 0 : 1): number {
    // A fresh driver: empty rings (2.7.2: the driver zeroes them before handing them over).
    this.nextAvail = 0;
    this.put(this.desc, new Uint8Array(0x3000));
    this.w(0x70, 0);
    this.w(0x70, 1);
    this.w(0x70, 3);
    this.w(0x24, 0); this.w(0x20, features0);
    if (!this.legacy) {
      this.w(0x24, 1); this.w(0x20, features1);
      this.w(0x70, 3 | 8);
      if (!(this.r(0x70) & 8)) return this.r(0x70);
    }
    this.w(0x30, 0);
    assert.equal(this.r(0x34), 1024, "QueueNumMax as QEMU's VIRTQUEUE_MAX_SIZE");
    this.w(0x38, this.size);
    if (this.legacy) {
      this.w(0x28, 4096);
      this.w(0x3c, 4096);
      this.w(0x40, this.desc / 4096);
      // 2.7.2 legacy layout: available ring after the table, used ring at the next 4 KiB.
      this.avail = this.desc + 16 * this.size;
      this.used = Math.ceil((this.avail + 6 + 2 * this.size) / 4096) * 4096;
    } else {
      this.w(0x80, this.desc); this.w(0x84, 0);
      this.w(0x90, this.avail); this.w(0x94, 0);
      this.w(0xa0, this.used); this.w(0xa4, 0);
      this.w(0x44, 1);
    }
    this.w(0x70, this.r(0x70) | 4);
    return this.r(0x70);
  }

  descriptor(table: number, i: number, addr: number, len: number, flags: number, next: number) {
    const d = new DataView(new ArrayBuffer(16));
    d.setBigUint64(0, BigInt(addr), true); d.setUint32(8, len, true); d.setUint16(12, flags, true); d.setUint16(14, next, true);
    this.put(table + 16 * i, new Uint8Array(d.buffer));
  }

  /** Make chain `head` available and notify. */
  submit(head: number) {
    const ring = new DataView(new ArrayBuffer(2));
    ring.setUint16(0, head, true);
    this.put(this.avail + 4 + 2 * (this.nextAvail % this.size), new Uint8Array(ring.buffer));
    this.nextAvail++;
    ring.setUint16(0, this.nextAvail & 0xffff, true);
    this.put(this.avail + 2, new Uint8Array(ring.buffer));
    this.w(0x50, 0);
  }

  usedIdx() { return this.ram16(this.used + 2); }
  usedEntry(i: number) { return { id: this.ram32(this.used + 4 + 8 * i), len: this.ram32(this.used + 8 + 8 * i) }; }
}

const HDR = RAM + 0x200000, DATA = RAM + 0x201000, STATUS = RAM + 0x203000, TABLE = RAM + 0x204000;

function blkHeader(d: Driver, type: number, sector: number) {
  const h = new DataView(new ArrayBuffer(16));
  h.setUint32(0, type, true); h.setBigUint64(8, BigInt(sector), true);
  d.put(HDR, new Uint8Array(h.buffer));
}

const NEXT = 1, WRITE = 2, INDIRECT = 4;
const NEEDS_RESET = 64;

test("empty transports answer as QEMU's; the first -device lands on the highest one, the next below it", () => {
  const b = makeBoard([new VirtioEntropy(() => {}), new VirtioBlock(patternDisk())], true);
  const rd = (pa: number) => Number(b.bus.read(pa, 4, 0));
  assert.equal(rd(slotBase(0)), 0x74726976);
  assert.equal(rd(slotBase(0) + 4), 1);
  assert.equal(rd(slotBase(0) + 8), 0, "no device");
  assert.equal(rd(slotBase(0) + 0xc), 0x554d4551);
  assert.equal(rd(slotBase(31) + 8), 4, "entropy on transport 31");
  assert.equal(rd(slotBase(30) + 8), 2, "block on transport 30");
  assert.equal(rd(slotBase(29) + 8), 0);
  // Registers answer only 32-bit accesses once a device is there (virtio_mmio_read).
  assert.equal(Number(b.bus.read(slotBase(31) + 8, 2, 0)), 0);
});

test("legacy register map: version 1, 32 feature bits, page-frame queue setup, config space", () => {
  const disk = patternDisk(64);
  const b = makeBoard([new VirtioBlock(disk)], true);
  const d = new Driver(b, FIRST, true);
  assert.equal(d.r(0x04), 1);
  d.w(0x14, 0);
  const f0 = d.r(0x10);
  assert.ok(f0 & (1 << 28), "INDIRECT_DESC");
  assert.ok(f0 & (1 << 29), "EVENT_IDX");
  assert.ok(f0 & (1 << 9), "FLUSH");
  assert.equal(f0 & (1 << 5), 0, "not read-only");
  d.w(0x14, 1);
  assert.equal(d.r(0x10), 0, "no high feature word in the legacy interface");
  assert.equal(d.r(0x100), 64, "capacity in sectors");
  assert.equal(d.r(0x100 + 12), 254, "seg_max");
  assert.equal(d.r(0x100 + 20), 512, "blk_size");
  assert.equal(Number(b.bus.read(FIRST + 0x100 + 32, 1, 0)), 1, "writeback");
  d.init(1 << 28);
  assert.equal(d.r(0x40), d.desc / 4096, "QueuePFN reads back");
  assert.equal(d.r(0x44), 0, "no QueueReady in version 1");
  d.w(0x30, 1);
  assert.equal(d.r(0x34), 0, "virtio-blk-device has one queue");
});

test("modern register map: version 2, VERSION_1 required for FEATURES_OK, queue addresses read back", () => {
  const b = makeBoard([new VirtioBlock(patternDisk())], false);
  const d = new Driver(b, FIRST, false);
  assert.equal(d.r(0x04), 2);
  d.w(0x14, 1);
  assert.equal(d.r(0x10) & 1, 1, "VERSION_1 offered");
  // Without VERSION_1 the device leaves FEATURES_OK clear (3.1.1).
  assert.equal(d.init(0, 0) & 8, 0);
  // A feature the device did not offer (bit 1, SIZE_MAX) is refused too.
  assert.equal(d.init(1 << 1, 1) & 8, 0);
  assert.equal(d.init(1 << 28, 1) & 0xf, 0xf);
  d.w(0x30, 0);
  assert.equal(d.r(0x44), 1, "QueueReady");
  assert.equal(d.r(0x80), d.desc);
  assert.equal(d.r(0xa0), d.used);
  assert.equal(d.r(0xfc), 0, "ConfigGeneration");
  assert.equal(d.r(0x40), 0, "no QueuePFN in version 2");
  d.w(0x70, 0);
  assert.equal(d.r(0x70), 0, "reset");
  assert.equal(d.r(0x44), 0, "queue no longer ready after reset");
});

for (const legacy of [true, false]) {
  const v = legacy ? "legacy" : "modern";

  test(`${v}: a block read through a three-descriptor chain, used ring, interrupt and ack`, () => {
    const disk = patternDisk();
    const b = makeBoard([new VirtioBlock(disk)], legacy);
    const d = new Driver(b, FIRST, legacy);
    d.init(1 << 28);
    blkHeader(d, 0, 3);
    d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
    d.descriptor(d.desc, 1, DATA, 1024, NEXT | WRITE, 2);
    d.descriptor(d.desc, 2, STATUS, 1, WRITE, 0);
    d.put(STATUS, Uint8Array.of(0xff));
    d.submit(0);
    assert.deepEqual(d.get(DATA, 1024), disk.bytes.slice(3 * 512, 5 * 512));
    assert.equal(d.get(STATUS, 1)[0], 0, "VIRTIO_BLK_S_OK");
    assert.equal(d.usedIdx(), 1);
    assert.deepEqual(d.usedEntry(0), { id: 0, len: 1025 });
    assert.equal(d.r(0x60), 1, "used-buffer interrupt");
    assert.equal(b.gic.distributor.read(0x200 + 4 * ((32 + VIRT.SPI_MMIO + 31) >> 5), 4, 0) >>> ((32 + VIRT.SPI_MMIO + 31) & 31) & 1, 1, "SPI 47 pending");
    d.w(0x64, 1);
    assert.equal(d.r(0x60), 0, "acknowledged");
  });

  test(`${v}: writes through an indirect table reach the backend; flush, GET_ID, read-only and out-of-range requests`, () => {
    const disk = patternDisk();
    const ro = patternDisk(8, true);
    const b = makeBoard([new VirtioBlock(disk, "serial-1"), new VirtioBlock(ro)], legacy);
    const d = new Driver(b, FIRST, legacy);
    d.init(1 << 28);
    const data = new Uint8Array(512).fill(0x5a);
    d.put(DATA, data);
    blkHeader(d, 1, 2);
    d.descriptor(TABLE, 0, HDR, 16, NEXT, 1);
    d.descriptor(TABLE, 1, DATA, 512, NEXT, 2);
    d.descriptor(TABLE, 2, STATUS, 1, WRITE, 0);
    d.descriptor(d.desc, 0, TABLE, 48, INDIRECT, 0);
    d.submit(0);
    assert.equal(d.get(STATUS, 1)[0], 0);
    assert.deepEqual(disk.bytes.slice(1024, 1536), data);
    assert.deepEqual(d.usedEntry(0), { id: 0, len: 1 });
    // FLUSH goes to the backend's flush.
    blkHeader(d, 4, 0);
    d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
    d.descriptor(d.desc, 1, STATUS, 1, WRITE, 0);
    d.submit(0);
    assert.equal(disk.flushes, 1);
    // GET_ID: the serial and its NUL.
    blkHeader(d, 8, 0);
    d.put(DATA, new Uint8Array(20).fill(0xee));
    d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
    d.descriptor(d.desc, 1, DATA, 20, NEXT | WRITE, 2);
    d.descriptor(d.desc, 2, STATUS, 1, WRITE, 0);
    d.submit(0);
    assert.equal(new TextDecoder().decode(d.get(DATA, 8)), "serial-1");
    assert.equal(d.get(DATA, 9)[8], 0);
    // Past the end: IOERR, and the device carries on.
    blkHeader(d, 0, 64);
    d.descriptor(d.desc, 1, DATA, 512, NEXT | WRITE, 2);
    d.submit(0);
    assert.equal(d.get(STATUS, 1)[0], 1, "VIRTIO_BLK_S_IOERR");
    // An unknown type: UNSUPP.
    blkHeader(d, 0x55, 0);
    d.submit(0);
    assert.equal(d.get(STATUS, 1)[0], 2, "VIRTIO_BLK_S_UNSUPP");
    assert.equal(d.usedIdx(), 5);
    assert.equal(d.r(0x70) & NEEDS_RESET, 0);

    // The read-only disk offers VIRTIO_BLK_F_RO and refuses writes with IOERR.
    const r = new Driver(b, slotBase(30), legacy);
    assert.ok(r.r(0x10) & (1 << 5), "VIRTIO_BLK_F_RO");
    r.init(0);
    blkHeader(r, 1, 0);
    r.descriptor(r.desc, 0, HDR, 16, NEXT, 1);
    r.descriptor(r.desc, 1, DATA, 512, NEXT, 2);
    r.descriptor(r.desc, 2, STATUS, 1, WRITE, 0);
    r.submit(0);
    assert.equal(r.get(STATUS, 1)[0], 1);
    assert.deepEqual(ro.bytes, patternDisk(8, true).bytes, "read-only image unchanged");
  });

  test(`${v}: malformed chains set DEVICE_NEEDS_RESET without throwing; a reset brings the device back`, () => {
    const disk = patternDisk();
    const b = makeBoard([new VirtioBlock(disk)], legacy);
    const d = new Driver(b, FIRST, legacy);
    const cases: [string, () => void][] = [
      ["a loop", () => {
        d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
        d.descriptor(d.desc, 1, DATA, 512, NEXT | WRITE, 0);
        d.submit(0);
      }],
      ["a buffer outside RAM", () => {
        d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
        d.descriptor(d.desc, 1, VIRT.UART, 512, NEXT | WRITE, 2);
        d.descriptor(d.desc, 2, STATUS, 1, WRITE, 0);
        d.submit(0);
      }],
      ["a buffer past the end of RAM", () => {
        d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
        d.descriptor(d.desc, 1, RAM + (16 << 20) - 256, 512, WRITE, 0);
        d.submit(0);
      }],
      ["a next index beyond the queue", () => {
        d.descriptor(d.desc, 0, HDR, 16, NEXT, 999);
        d.submit(0);
      }],
      ["a head beyond the queue", () => d.submit(500)],
      ["a readable descriptor after a writable one", () => {
        d.descriptor(d.desc, 0, STATUS, 1, NEXT | WRITE, 1);
        d.descriptor(d.desc, 1, HDR, 16, 0, 0);
        d.submit(0);
      }],
      ["a nested indirect table", () => {
        d.descriptor(TABLE, 0, TABLE + 0x100, 16, INDIRECT, 0);
        d.descriptor(d.desc, 0, TABLE, 16, INDIRECT, 0);
        d.submit(0);
      }],
      ["an indirect table of a partial descriptor", () => {
        d.descriptor(d.desc, 0, TABLE, 20, INDIRECT, 0);
        d.submit(0);
      }],
      ["a chain longer than the indirect table (a loop inside it)", () => {
        d.descriptor(TABLE, 0, HDR, 16, NEXT, 1);
        d.descriptor(TABLE, 1, HDR, 16, NEXT, 0);
        d.descriptor(d.desc, 0, TABLE, 32, INDIRECT, 0);
        d.submit(0);
      }],
      ["a request with no status byte", () => {
        d.descriptor(d.desc, 0, HDR, 16, 0, 0);
        d.submit(0);
      }],
      ["more buffers made available than the queue holds", () => {
        const idx = new DataView(new ArrayBuffer(2));
        idx.setUint16(0, 40, true);
        d.put(d.avail + 2, new Uint8Array(idx.buffer));
        d.w(0x50, 0);
      }],
    ];
    for (const [what, make] of cases) {
      d.init(1 << 28);
      blkHeader(d, 0, 0);
      assert.doesNotThrow(make, what);
      assert.equal(d.r(0x70) & NEEDS_RESET, NEEDS_RESET, `${what}: DEVICE_NEEDS_RESET`);
      assert.equal(d.usedIdx(), 0, `${what}: nothing used`);
      // Modern drivers learn of it by a configuration-change interrupt (2.1.2).
      if (!legacy) assert.equal(d.r(0x60) & 2, 2, `${what}: config-change interrupt`);
      d.w(0x64, 3);
      // Further notifications are ignored until the reset.
      d.descriptor(d.desc, 0, HDR, 16, NEXT, 1);
      d.descriptor(d.desc, 1, STATUS, 1, WRITE, 0);
      d.w(0x50, 0);
      assert.equal(d.usedIdx(), 0, `${what}: stopped`);
    }
    // After a reset and a fresh setup the device serves requests again.
    const fresh = new Driver(b, FIRST, legacy);
    assert.equal(fresh.init(1 << 28) & NEEDS_RESET, 0);
    blkHeader(fresh, 0, 0);
    fresh.descriptor(fresh.desc, 0, HDR, 16, NEXT, 1);
    fresh.descriptor(fresh.desc, 1, DATA, 512, NEXT | WRITE, 2);
    fresh.descriptor(fresh.desc, 2, STATUS, 1, WRITE, 0);
    fresh.submit(0);
    assert.equal(fresh.usedIdx(), 1);
    assert.deepEqual(fresh.get(DATA, 512), disk.bytes.slice(0, 512));
  });

  test(`${v}: entropy fills the device-writable buffers from the injected source`, () => {
    let calls = 0;
    const b = makeBoard([new VirtioEntropy((into) => { calls++; into.fill(0xa5); })], legacy);
    const d = new Driver(b, FIRST, legacy);
    assert.equal(d.r(0x08), 4);
    d.init(0);
    d.descriptor(d.desc, 3, DATA, 64, NEXT | WRITE, 4);
    d.descriptor(d.desc, 4, DATA + 64, 32, WRITE, 0);
    d.submit(3);
    assert.deepEqual(d.get(DATA, 96), new Uint8Array(96).fill(0xa5));
    assert.deepEqual(d.usedEntry(0), { id: 3, len: 96 });
    assert.equal(calls, 2);
  });

  test(`${v}: with EVENT_IDX the device publishes avail_event and interrupts only past used_event`, () => {
    const b = makeBoard([new VirtioEntropy((into) => into.fill(1))], legacy);
    const d = new Driver(b, FIRST, legacy);
    d.init(1 << 29);
    // used_event = 5: no interrupt wanted before the sixth buffer... but the first is always signalled.
    const ev = new DataView(new ArrayBuffer(2));
    ev.setUint16(0, 5, true);
    d.put(d.avail + 4 + 2 * d.size, new Uint8Array(ev.buffer));
    d.descriptor(d.desc, 0, DATA, 16, WRITE, 0);
    d.submit(0);
    assert.equal(d.ram16(d.used + 4 + 8 * d.size), 1, "avail_event: the next index to be made available");
    assert.equal(d.r(0x60), 1);
    d.w(0x64, 1);
    for (let i = 1; i < 5; i++) d.submit(0);
    assert.equal(d.r(0x60), 0, "no interrupt before used_event is passed");
    d.submit(0);
    assert.equal(d.r(0x60), 1, "interrupt once the used index passes used_event");
    assert.equal(d.usedIdx(), 6);
  });
}

test("console: DEVICE_READY gets DEVICE_ADD, PORT_READY gets CONSOLE_PORT and PORT_OPEN, port 0 output reaches the sink", () => {
  const out: number[] = [];
  const b = makeBoard([new VirtioConsole({ write: (bytes) => out.push(...bytes) })], false);
  const rx = new Driver(b, FIRST, false);
  assert.equal(rx.r(0x08), 3);
  assert.equal(rx.r(0x100 + 4), 31, "max_nr_ports");
  // Features, then queues 2 (control receive) and 3 (control transmit) in separate RAM, and port 0's transmit queue.
  rx.w(0x70, 0); rx.w(0x70, 3);
  rx.w(0x24, 0); rx.w(0x20, 1 << 1); rx.w(0x24, 1); rx.w(0x20, 1); rx.w(0x70, 3 | 8);
  const setup = (q: number, at: number) => {
    rx.w(0x30, q); rx.w(0x38, 8);
    rx.w(0x80, at); rx.w(0x84, 0); rx.w(0x90, at + 0x1000); rx.w(0x94, 0); rx.w(0xa0, at + 0x2000); rx.w(0xa4, 0); rx.w(0x44, 1);
  };
  const ctlRx = RAM + 0x300000, ctlTx = RAM + 0x310000, tx = RAM + 0x320000;
  setup(2, ctlRx); setup(3, ctlTx); setup(1, tx);
  rx.w(0x70, 0xf);
  const avail = (ring: number, n: number, head: number) => {
    b.bus.write(ring + 0x1000 + 4 + 2 * ((n - 1) % 8), 2, head, 0);
    b.bus.write(ring + 0x1000 + 2, 2, n, 0);
  };
  const desc = (ring: number, i: number, addr: number, len: number, flags: number) => rx.descriptor(ring, i, addr, len, flags, 0);
  // The driver posts four control receive buffers.
  for (let i = 0; i < 4; i++) { desc(ctlRx, i, RAM + 0x330000 + 16 * i, 8, WRITE); avail(ctlRx, i + 1, i); }
  rx.w(0x50, 2);
  assert.equal(rx.ram16(ctlRx + 0x2000 + 2), 0, "nothing to say before DEVICE_READY");
  const msg = (id: number, event: number, value: number) => {
    const m = new DataView(new ArrayBuffer(8)); m.setUint32(0, id, true); m.setUint16(4, event, true); m.setUint16(6, value, true);
    return new Uint8Array(m.buffer);
  };
  const received = (i: number) => { const m = new DataView(rx.get(RAM + 0x330000 + 16 * i, 8).buffer); return [m.getUint32(0, true), m.getUint16(4, true), m.getUint16(6, true)]; };
  rx.put(RAM + 0x340000, msg(0xffffffff, 0, 1)); // DEVICE_READY
  desc(ctlTx, 0, RAM + 0x340000, 8, 0); avail(ctlTx, 1, 0);
  rx.w(0x50, 3);
  assert.deepEqual(received(0), [0, 1, 1], "DEVICE_ADD port 0");
  rx.put(RAM + 0x340010, msg(0, 3, 1)); // PORT_READY
  desc(ctlTx, 1, RAM + 0x340010, 8, 0); avail(ctlTx, 2, 1);
  rx.w(0x50, 3);
  assert.deepEqual(received(1), [0, 4, 1], "CONSOLE_PORT");
  assert.deepEqual(received(2), [0, 6, 1], "PORT_OPEN");
  assert.equal(rx.ram16(ctlRx + 0x2000 + 2), 3);
  rx.put(RAM + 0x350000, new TextEncoder().encode("hi\n"));
  desc(tx, 0, RAM + 0x350000, 3, 0); avail(tx, 1, 0);
  rx.w(0x50, 1);
  assert.equal(String.fromCharCode(...out), "hi\n");
  // An emergency write (config emerg_wr) bypasses the queues.
  rx.w(0x100 + 8, 0x21);
  assert.equal(String.fromCharCode(...out), "hi\n!");
});
