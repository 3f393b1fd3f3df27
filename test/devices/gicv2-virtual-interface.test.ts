/**
 * The GICv2 virtualization extensions (src/devices/gicv2-virtual-interface.ts and its GICH and
 * GICV frames) driven directly, for what a guest may do that the vgic2 guest (compared with
 * QEMU in test/guests.test.ts) does not: malformed list registers, completions of vINTIDs no LR
 * holds, every offset of both frames. Nothing may throw, and the physical GIC only changes
 * where the architecture says so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Cpu } from "../../src/cpu/cpu.js";
import { GicV2 } from "../../src/devices/gicv2.js";

const MAINTENANCE = 25;
const LR = (n: number) => 0x100 + 4 * n;
const PENDING = 1 << 28, HW = 1 << 31, EOI = 1 << 19;
const prio = (p: number) => (p >> 3) << 23;

/** A GICv2 with the extensions and stand-in CPUs that record their virtual lines. */
function setup() {
  const gic = new GicV2(1, 96, false, MAINTENANCE);
  const lines = { virq: false, vfiq: false, irq: false };
  const cpu = {
    setIrq: (l: boolean) => { lines.irq = l; }, setFiq: () => {},
    setVirq: (l: boolean) => { lines.virq = l; }, setVfiq: (l: boolean) => { lines.vfiq = l; },
  } as unknown as Cpu;
  gic.attachCpus([cpu]);
  const gich = gic.hypInterface!, gicv = gic.virtualCpuInterface!;
  return {
    gic, lines,
    hyp: { r: (o: number) => gich.read(o, 4, 0), w: (o: number, v: number) => gich.write(o, 4, v >>> 0, 0) },
    v: { r: (o: number) => gicv.read(o, 4, 0), w: (o: number, v: number) => gicv.write(o, 4, v >>> 0, 0) },
  };
}

test("GICv2 without virtualization has no GICH/GICV frames", () => {
  const gic = new GicV2(1, 96);
  assert.equal(gic.hypInterface, undefined);
  assert.equal(gic.virtualCpuInterface, undefined);
});

test("a pending LR raises vIRQ once GICH_HCR.En and GICV_CTLR enable it; IAR/EOIR complete it", () => {
  const { hyp, v, lines } = setup();
  hyp.w(0x08, 0x1f << 27); // VMCR: priority mask 0xf8, interface disabled
  hyp.w(LR(0), PENDING | prio(0x80) | 40);
  assert.equal(lines.virq, false);
  hyp.w(0x00, 1);
  assert.equal(lines.virq, false, "GICV_CTLR.EnableGrp0 is clear");
  v.w(0x00, 1);
  assert.equal(lines.virq, true);
  assert.equal(v.r(0x0c), 40);
  assert.equal(lines.virq, false, "active: nothing else pending");
  assert.equal(v.r(0x14), 0x80);
  v.w(0x10, 40);
  assert.equal(hyp.r(LR(0)) >>> 28 & 3, 0, "the LR is invalid again");
  assert.equal(hyp.r(0x30), 0xf, "all LRs empty");
});

test("HW = 1 with an SGI or special pINTID deactivates nothing; a PPI's active state clears", () => {
  const { gic, hyp, v } = setup();
  const core = gic.core;
  hyp.w(0x08, 0x1f << 27);
  hyp.w(0x00, 1);
  v.w(0x00, 1);
  for (const pintid of [3, 1021, 20]) {
    core.active[core.slot(0, 3)] = 1;
    core.active[core.slot(0, 20)] = 1;
    hyp.w(LR(0), PENDING | HW | (pintid << 10) | prio(0x80) | 33);
    assert.equal(v.r(0x0c), 33);
    v.w(0x10, 33);
    assert.equal(core.active[core.slot(0, 3)], 1, `SGI 3 stays active (pINTID ${pintid})`);
    assert.equal(core.active[core.slot(0, 20)], pintid === 20 ? 0 : 1, `PPI 20 with pINTID ${pintid}`);
  }
});

test("the maintenance interrupt is PPI 25 of the physical GIC: EOI = 1 LRs, EOICount, underflow", () => {
  const { gic, hyp, v } = setup();
  const core = gic.core, maint = core.slot(0, MAINTENANCE);
  hyp.w(0x08, 0x1f << 27);
  v.w(0x00, 1);
  hyp.w(LR(1), PENDING | EOI | prio(0x80) | 41);
  hyp.w(0x00, 1);
  assert.equal(core.line[maint], 0);
  assert.equal(v.r(0x0c), 41);
  v.w(0x10, 41);
  assert.equal(hyp.r(0x10), 1, "MISR.EOI");
  assert.equal(hyp.r(0x20), 2, "EISR0: LR1");
  assert.equal(core.line[maint], 1);
  hyp.w(LR(1), 0);
  assert.equal(core.line[maint], 0);
  // EOIR of a vINTID in no LR, with nothing active: no priority dropped, no count.
  v.w(0x10, 77);
  assert.equal(hyp.r(0x00) >>> 27, 0);
  // DIR without EOImode is ignored; with it, a vINTID in no LR counts.
  v.w(0x1000, 77);
  assert.equal(hyp.r(0x00) >>> 27, 0);
  v.w(0x00, 1 | (1 << 9));
  for (let i = 0; i < 33; i++) v.w(0x1000, 77);
  assert.equal(hyp.r(0x00) >>> 27, 1, "EOICount is 5 bits and wraps");
  hyp.w(0x00, 1 | 4 | (3 << 27)); // EOICount is written with GICH_HCR
  assert.equal(hyp.r(0x10), 4, "MISR.LRENP");
  hyp.w(0x00, 1 | 2);
  assert.equal(hyp.r(0x10), 2, "MISR.U: no LR valid");
  assert.equal(core.line[maint], 1);
  hyp.w(0x00, 0);
  assert.equal(core.line[maint], 0, "En = 0 lowers the maintenance interrupt");
});

test("any value at any offset of GICH and GICV is taken without throwing", () => {
  const { hyp, v } = setup();
  const values = [0, 0xffffffff, 0x80000000, 0x3ff, 0x12345678];
  for (let o = 0; o < 0x2000; o += 4) {
    for (const x of values) {
      if (o < 0x1000) { hyp.w(o, x); hyp.r(o); }
      v.w(o, x); v.r(o);
    }
  }
  assert.equal(hyp.r(0x04), 0x90000003, "GICH_VTR is read-only");
  assert.equal(hyp.r(LR(5)), 0, "LRs past GICH_LR4 hold nothing");
});
