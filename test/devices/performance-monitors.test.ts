/**
 * The PMU's overflow interrupt comes without the guest reading anything: a counter programmed
 * a few hundred events below the wrap, then a branch to itself, and the PPI 7 input of the GIC
 * (INTID 23) must be asserted once the counter wraps, with PMOVSSET_EL0 flagging it; before the
 * wrap it must not be. INST_RETIRED under -icount shift=0 (exact), the cycle counter on host
 * time (turns are sized from an estimate there, so only "eventually" is checked). Also: without
 * -icount INST_RETIRED is not an event this PMU counts (PMCEID0_EL0, as QEMU's).
 *
 * The images are hand-encoded A64 (encodings from the ARM ARM C6.2; MSR/MRS from C5.2).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import type { ClockSpec } from "../../src/devices/system-counter.js";

const LOAD = VIRT.RAM_BASE + 0x80000;
const B_SELF = 0x14000000, ISB = 0xd5033fdf;

/** MSR S3_<op1>_C<crn>_C<crm>_<op2>, x<rt> (op0 = 3). */
function msr(op1: number, crn: number, crm: number, op2: number, rt: number): number {
  return (0xd5180000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0;
}
/** MRS x<rt>, S3_<op1>_C<crn>_C<crm>_<op2>. */
function mrs(op1: number, crn: number, crm: number, op2: number, rt: number): number {
  return (msr(op1, crn, crm, op2, rt) | (1 << 21)) >>> 0;
}
/** MOVZ x<rd>, #imm16, LSL #shift and MOVK. */
const movz = (rd: number, imm: number, shift = 0) => (0xd2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const movk = (rd: number, imm: number, shift = 0) => (0xf2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;

const PMCR_EL0 = [3, 9, 12, 0] as const, PMCNTENSET_EL0 = [3, 9, 12, 1] as const;
const PMINTENSET_EL1 = [0, 9, 14, 1] as const, PMCCNTR_EL0 = [3, 9, 13, 0] as const, PMCEID0_EL0 = [3, 9, 12, 6] as const;
const PMEVCNTR0_EL0 = [3, 14, 8, 0] as const, PMEVTYPER0_EL0 = [3, 14, 12, 0] as const;
const w = (r: readonly [number, number, number, number], rt: number) => msr(r[0], r[1], r[2], r[3], rt);

/** Program counter `bit` (31: the cycle counter) to start 256 below the wrap, interrupt enabled; then spin. */
function overflowImage(bit: number, event: number): number[] {
  const counter = bit === 31 ? PMCCNTR_EL0 : PMEVCNTR0_EL0;
  return [
    movz(0, 1), w(PMCR_EL0, 0),                              // PMCR_EL0.E
    movz(0, event), w(PMEVTYPER0_EL0, 0),
    movz(0, 0xff00), movk(0, 0xffff, 16), w(counter, 0),     // 0xffffff00
    bit === 31 ? movz(0, 0x8000, 16) : movz(0, 1), w(PMINTENSET_EL1, 0), w(PMCNTENSET_EL0, 0),
    ISB, B_SELF,
  ];
}

function board(words: number[], clock: ClockSpec): { b: VirtBoard; lines: Map<number, boolean>; raisedAt: Map<number, number> } {
  const lines = new Map<number, boolean>(), raisedAt = new Map<number, number>();
  const b: VirtBoard = new VirtBoard({
    ramSize: 16 << 20, cpus: 1, gicVersion: 3, virtualization: false, uartTx: () => {}, clock, quantum: 100,
    // Watch the interrupt inputs on their way to the GIC, and the instruction count when each rose.
    interruptRoute: (_cpu, intid, level) => {
      lines.set(intid, level);
      if (level) raisedAt.set(intid, b.cpus[0].icount);
      return false;
    },
  });
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((x, i) => view.setUint32(i * 4, x, true));
  b.load({ isLinux: false, entry: LOAD, loads: [{ addr: LOAD, data: bytes, zeroFill: 0 }] }, undefined);
  return { b, lines, raisedAt };
}

test("INST_RETIRED wraps in a spin loop: PPI 7 is raised at the wrap, PMOVSSET bit 0 set", () => {
  const { b, lines, raisedAt } = board(overflowImage(0, 0x08), { mode: "icount", shift: 0, sleep: false });
  b.run(200);
  assert.notEqual(lines.get(23), true, "interrupt before the counter wrapped");
  b.run(2000);
  assert.equal(lines.get(23), true, "no overflow interrupt after the counter wrapped");
  // Counting starts after the tenth instruction (the PMCNTENSET write); the turn ends at the
  // 256th counted one, where the counter wraps.
  assert.equal(raisedAt.get(23), 10 + 256);
  assert.equal(b.pmu.overflowFlags(0), 1);
});

test("the cycle counter wraps in a spin loop on host time: PPI 7 comes without a PMU access", () => {
  const { b, lines } = board(overflowImage(31, 0x11), { mode: "host" });
  for (let i = 0; i < 2000 && lines.get(23) !== true; i++) b.run(10_000);
  assert.equal(lines.get(23), true, "no overflow interrupt from the cycle counter");
  assert.equal(b.pmu.overflowFlags(0) >>> 0, 0x80000000);
});

test("PMCEID0_EL0 lists INST_RETIRED under -icount shift=N only, as QEMU's", () => {
  for (const [clock, want] of [[{ mode: "host" }, 0x20001], [{ mode: "icount", shift: 3, sleep: true }, 0x20101],
    [{ mode: "icount", shift: "auto", sleep: true }, 0x20001]] as const) {
    const { b } = board([mrs(...PMCEID0_EL0, 1), B_SELF], clock as ClockSpec);
    b.run(50);
    assert.equal(b.cpus[0].x[2] >>> 0, want, `PMCEID0_EL0 with ${JSON.stringify(clock)}`);
  }
});

test("a CPU waiting in WFI: its cycle counter's overflow is an idle deadline, and raises PPI 7 then", () => {
  const WFI = 0xd503207f;
  const words = overflowImage(31, 0x11);
  words.splice(words.length - 1, 1, WFI, B_SELF); // wait for the interrupt instead of spinning
  const { b, lines } = board(words, { mode: "icount", shift: 0, sleep: false });
  const s = b.run(1000);
  assert.equal(s.kind, "idle", `status ${s.kind}`);
  if (s.kind !== "idle") return;
  assert.ok(s.until !== undefined, "no idle deadline for the cycle counter's overflow");
  assert.notEqual(lines.get(23), true);
  b.advanceIdle(s.until);
  assert.equal(lines.get(23), true, "the overflow did not raise PPI 7 while the CPU waited");
  // (This image leaves the GIC unprogrammed, so the CPU stays asleep: the pmu guest takes it.)
  assert.equal(b.pmu.overflowFlags(0) >>> 0, 0x80000000);
});
