/**
 * The CFI flash bank's command set at the bus, 32 bits wide as Linux's and EDK2's drivers use
 * it (U-Boot's 16-bit use is compared with QEMU in test/firmware/u-boot.test.ts): replies
 * repeated per chip, ROM mode on and off as QEMU's pflash_cfi01 switches it, erase, program,
 * the write buffer and its errors, a read-only bank, and write-back in 512-byte sectors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CfiFlash } from "../../src/devices/cfi-flash.js";
import { Bus } from "../../src/memory/bus.js";

const MiB = 1024 * 1024;

function bank(readOnly = false) {
  const writes: [number, number][] = [];
  const flash = new CfiFlash({ name: "flash", size: 64 * MiB, contents: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), readOnly,
    writeBack: (offset, bytes) => writes.push([offset, bytes.length]) });
  const bus = new Bus();
  bus.addRomDevice("flash", 0, flash);
  let decodeChanges = 0;
  bus.onDecodeChange(() => decodeChanges++);
  const w = (at: number, v: number) => assert.ok(bus.write(at, 4, v, 0));
  const r = (at: number) => bus.read(at, 4, 0) as number;
  return { flash, bus, w, r, writes, decodes: () => decodeChanges };
}

test("read array is memory; CFI query and read ID reply per chip; 0xFF returns to ROM mode", () => {
  const b = bank();
  assert.equal(b.r(0), 0x04030201);
  assert.equal(b.bus.findRam(0), 0, "read-array mode: the bank is memory");
  b.w(0x55 * 4, 0x00980098);
  assert.equal(b.bus.findRam(0), -1, "out of ROM mode: reads go to the device");
  assert.equal(b.decodes(), 1);
  assert.deepEqual([0x10, 0x11, 0x12].map((i) => b.r(i * 4)), [0x00510051, 0x00520052, 0x00590059], "QRY in each chip's lane");
  assert.equal(b.r(0x13 * 4), 0x00010001, "Intel command set");
  assert.equal(b.r(0x27 * 4), 0x00190019, "2^25: 32 MiB per chip");
  assert.deepEqual([0x2d, 0x2e, 0x2f, 0x30].map((i) => b.r(i * 4) & 0xff), [0xff, 0, 0, 2], "256 blocks of 128 KiB per chip");
  assert.equal(b.r(0x2a * 4) & 0xff, 0x0b, "2 KiB write buffer per chip");
  assert.equal(b.bus.read(0x10 * 4, 1, 0), 0x51, "a byte read takes the low lane");
  assert.equal(b.r(0x52 * 4), 0, "past the table");
  b.w(0, 0x00f000f0); // AMD reset probe: ignored in query mode (QEMU: "leaving query mode")
  assert.equal(b.r(0x10 * 4), 0x00510051);
  b.w(0, 0x00ff00ff);
  assert.equal(b.r(0), 0x04030201);
  assert.equal(b.bus.findRam(0), 0);
  b.w(0, 0x00900090);
  assert.equal(b.r(0), 0x00890089, "manufacturer");
  assert.equal(b.r(4), 0x00180018, "device");
  assert.equal(b.r(8), 0, "block lock status: unlocked (not modelled, as QEMU)");
  b.w(0, 0x00ff00ff);
  assert.equal(b.r(4), 0x08070605);
});

test("block erase at the first cycle, program, status per chip, lock commands, clear status", () => {
  const b = bank();
  b.w(0x40004, 0x00200020);
  assert.equal(b.r(0x40000), 0x00800080, "status reads: ready, in both chips");
  b.w(0x40004, 0x00d000d0);
  assert.equal(b.bus.read(0x40000, 2, 0), 0x0080, "a 16-bit status read: one chip");
  b.w(0, 0x00ff00ff);
  assert.equal(b.r(0x40000), 0xffffffff, "the 256 KiB sector at 0x40000 is erased");
  assert.equal(b.r(0x7fffc), 0xffffffff);
  assert.equal(b.r(0), 0x04030201, "its neighbour is not");
  assert.deepEqual(b.writes.at(-1), [0x40000, 256 * 1024], "the sector written back");
  b.w(0x40010, 0x00400040);
  b.w(0x40010, 0x12345678);
  b.w(0x40010, 0x00ff00ff);
  assert.equal(b.r(0x40010), 0x12345678);
  assert.deepEqual(b.writes.at(-1), [0x40000, 512], "program: its 512-byte sector");
  b.w(0x40000, 0x00600060);
  b.w(0x40000, 0x00d000d0); // unlock
  assert.equal(b.r(0x40000), 0x00800080);
  b.w(0, 0x00500050);
  assert.equal(b.r(0), 0x04030201, "clear status returns to read array");
});

test("buffered write: count, data into a buffer on the count's block, confirm; a data word outside the block fails the sequence", () => {
  const b = bank();
  b.w(0x1000, 0x00e800e8);
  assert.equal(b.r(0x1000), 0x00800080, "buffer available");
  b.w(0x1000, 0x00010001); // two words
  b.w(0x1000, 0xaaaaaaaa);
  b.w(0x1004, 0xbbbbbbbb);
  assert.equal(b.flash.storage[0x1000], 0, "nothing stored before the confirm");
  b.w(0x1000, 0x00d000d0);
  b.w(0, 0x00ff00ff);
  assert.equal(b.r(0x1000), 0xaaaaaaaa);
  assert.equal(b.r(0x1004), 0xbbbbbbbb);
  assert.deepEqual(b.writes.at(-1), [0x1000, 4096], "the 4 KiB block written back");
  // Commands at a block's start, data in the next block: a program error, the buffer dropped.
  b.w(0x3000, 0x00e800e8);
  b.w(0x3000, 0x00000000); // one word
  b.w(0x4000, 0xcccccccc);
  assert.equal(b.r(0x3000) & 0x10, 0x10, "program error");
  b.w(0x3000, 0x00d000d0);
  assert.equal(b.r(0x4000), 0, "aborted: back in read array, nothing written");
  assert.equal(b.bus.findRam(0), 0);
});

test("a read-only bank refuses erase and program with the status error bits", () => {
  const b = bank(true);
  b.w(0, 0x00200020);
  b.w(0, 0x00d000d0);
  assert.equal(b.r(0) & 0x20, 0x20, "erase error");
  b.w(0, 0x00500050);
  b.w(0, 0x00100010);
  b.w(0, 0xffffffff);
  assert.equal(b.r(0) & 0x10, 0x10, "program error");
  b.w(0, 0x00ff00ff);
  assert.equal(b.r(0), 0x04030201);
  assert.equal(b.writes.length, 0);
});
