/**
 * The data TLBs' size follows the footprint (SoftTlb.slotForFill): a few hundred pages stay in
 * the initial 1024 entries, a footprint of 4096 pages read in turn grows the read TLB until it
 * holds them all, and every load still returns what memory holds, across the growths.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeCpu, RAM_BASE } from "./make-cpu.js";

const PAGES = 4096;

function machineWithTaggedPages() {
  const m = makeCpu(PAGES * 4096 + 4096);
  // Each page starts with its own number, so that a load through a stale or wrong entry shows.
  const tag = new Uint8Array(8);
  for (let k = 0; k < PAGES; k++) {
    new DataView(tag.buffer).setUint32(0, 0x5a000000 + k, true);
    assert.ok(m.bus.load(RAM_BASE + k * 4096, tag));
  }
  return m;
}

test("a footprint of a few hundred pages stays in the initial 1024 entries", () => {
  const { cpu } = machineWithTaggedPages();
  assert.equal(cpu.tlbR.size, 1024);
  for (let pass = 0; pass < 3; pass++) {
    for (let k = 0; k < 300; k++) assert.equal(cpu.read32(RAM_BASE + k * 4096, 0), 0x5a000000 + k);
  }
  assert.equal(cpu.tlbR.size, 1024, "no growth without evictions");
});

test("4096 pages read in turn grow the read TLB to hold them, and loads stay right across the growths", () => {
  const { cpu } = machineWithTaggedPages();
  for (let pass = 0; pass < 4; pass++) {
    for (let k = 0; k < PAGES; k++) assert.equal(cpu.read32(RAM_BASE + k * 4096, 0), 0x5a000000 + k, `page ${k}, pass ${pass}`);
  }
  assert.equal(cpu.tlbR.size, PAGES);
  // Once grown, the whole footprint is cached: each page's entry is in its slot.
  for (let k = 0; k < PAGES; k++) {
    const p = (RAM_BASE >>> 12) + k;
    assert.equal(cpu.tlbR.pageAt(p & cpu.tlbR.mask), p, `page ${k} cached`);
  }
  assert.equal(cpu.tlbW.size, 1024, "the write TLB saw no stores");
});
