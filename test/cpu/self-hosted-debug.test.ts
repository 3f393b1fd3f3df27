/**
 * Self-hosted debug (src/cpu/self-hosted-debug.ts) on a bare CPU at EL1: the matching rules of
 * breakpoints and watchpoints (BAS, MASK, LSC, PMC), the syndromes and FAR, the software-step
 * state machine, and that only watched pages leave the soft TLB's fast path. The guest programs
 * tests/guests/debug/ check the same against QEMU.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SR } from "../../src/cpu/sysregs.js";
import type { Cpu } from "../../src/cpu/cpu.js";
import { loadWords, makeCpu, RAM_BASE } from "./make-cpu.js";

const NOP = 0xd503201f, B_SELF = 0x14000000;
const STR_X1_X0 = 0xf9000001, LDR_X1_X0 = 0xf9400001, STRB_W1_X0 = 0x39000001, LDXR_X1_X0 = 0xc85f7c01;
const ADD_X2_1 = 0x91000442; // add x2, x2, #1
const VBAR = RAM_BASE + 0x10000;
/** The current-EL-with-SPx synchronous vector, where an EL1 debug exception from EL1 lands. */
const SYNC_SPX = VBAR + 0x200;
const DATA = RAM_BASE + 0x20000;

const MDE = 1n << 15n, KDE = 1n << 13n, SS = 1n;

function setup(code: number[]) {
  const m = makeCpu();
  const { cpu } = m;
  loadWords(m, RAM_BASE, code);
  loadWords(m, SYNC_SPX, [B_SELF]);
  cpu.srSet(SR.VBAR_EL1, VBAR, 0);
  cpu.pcLo = RAM_BASE;
  cpu.daif = 0; // PSTATE.D clear: debug exceptions to EL1 from EL1 need it (with MDSCR_EL1.KDE)
  return m;
}

function write(cpu: Cpu, name: string, v: bigint): void {
  cpu.sysregs.get(name).write!(cpu, Number(v & 0xffffffffn) | 0, Number((v >> 32n) & 0xffffffffn) | 0);
}

function read(cpu: Cpu, name: string): bigint {
  const def = cpu.sysregs.get(name);
  if (def.read) def.read(cpu); else { cpu.srLo = cpu.sr[def.slot! * 2]; cpu.srHi = cpu.sr[def.slot! * 2 + 1]; }
  return (BigInt(cpu.srHi >>> 0) << 32n) | BigInt(cpu.srLo >>> 0);
}

const esr = (cpu: Cpu) => cpu.sr[SR.ESR_EL1 * 2] >>> 0;
const far = (cpu: Cpu) => cpu.sr[SR.FAR_EL1 * 2] >>> 0;
const elr = (cpu: Cpu) => cpu.sr[SR.ELR_EL1 * 2] >>> 0;
const pc = (cpu: Cpu) => cpu.pcLo >>> 0;

/** DBGWCR with E, PAC = EL0 and EL1, the given LSC, BAS and MASK. */
const wcr = (lsc: number, bas: number, mask = 0) => BigInt(1 | (3 << 1) | (lsc << 3) | (bas << 5) | (mask << 24));

test("register writes: BAS copies in DBGBCR, DBGWVR[1:0] cleared, OS lock and double lock", () => {
  const { cpu } = setup([NOP]);
  write(cpu, "DBGBCR0_EL1", 0xa6n);
  assert.equal(read(cpu, "DBGBCR0_EL1"), 0x1e6n);
  write(cpu, "DBGWVR3_EL1", 0x0001000012345677n);
  assert.equal(read(cpu, "DBGWVR3_EL1"), 0x0001000012345674n);
  assert.equal(read(cpu, "OSLSR_EL1"), 0xan, "locked out of reset");
  write(cpu, "OSLAR_EL1", 0n);
  assert.equal(read(cpu, "OSLSR_EL1"), 0x8n);
  write(cpu, "OSDLR_EL1", 0xffffffffn);
  assert.equal(read(cpu, "OSDLR_EL1"), 1n);
  assert.equal(cpu.debugArmed, false, "nothing programmed: the run loop is not slowed");
});

test("an EL1 breakpoint fires only with MDE, KDE and PSTATE.D clear; FAR = 0", () => {
  for (const [mdscr, daif, fires] of [[MDE | KDE, 0, true], [MDE, 0, false], [KDE, 0, false], [MDE | KDE, 1 << 9, false]] as const) {
    const { cpu } = setup([NOP, ADD_X2_1, NOP, B_SELF]);
    cpu.daif = daif;
    write(cpu, "MDSCR_EL1", mdscr);
    write(cpu, "DBGBVR2_EL1", BigInt(RAM_BASE + 4));
    write(cpu, "DBGBCR2_EL1", 1n | (1n << 1n) | (0xfn << 5n)); // E, PMC = EL1, BAS = 0b1111
    cpu.sr[SR.FAR_EL1 * 2] = 0x1234;
    cpu.run(3);
    if (fires) {
      assert.equal(esr(cpu), 0xc6000022, "EC 0x31: breakpoint from the same EL");
      assert.equal(elr(cpu), RAM_BASE + 4);
      assert.equal(far(cpu), 0);
      assert.equal(cpu.x[4], 0, "the instruction did not execute");
    } else {
      assert.equal(pc(cpu), RAM_BASE + 12, `mdscr=${mdscr} daif=${daif}: no exception`);
      assert.equal(cpu.x[4], 1);
    }
  }
});

test("a breakpoint for EL0 only (PMC = 0b10) does not match at EL1; BAS = 0b1100 never matches A64 code", () => {
  for (const bcr of [1n | (2n << 1n) | (0xfn << 5n), 1n | (3n << 1n) | (0xcn << 5n)]) {
    const { cpu } = setup([NOP, ADD_X2_1, B_SELF]);
    write(cpu, "MDSCR_EL1", MDE | KDE);
    write(cpu, "DBGBVR0_EL1", BigInt(RAM_BASE + 4));
    write(cpu, "DBGBCR0_EL1", bcr);
    cpu.run(3);
    assert.equal(pc(cpu), RAM_BASE + 8);
  }
});

/** One store or load at `addr` under watchpoint (wvr, wcr): the FAR reported, or undefined. */
function watch(insn: number, addr: number, wvr: number, control: bigint): number | undefined {
  const { cpu } = setup([insn, B_SELF]);
  cpu.x[0] = addr;
  write(cpu, "MDSCR_EL1", MDE | KDE);
  write(cpu, "DBGWVR1_EL1", BigInt(wvr));
  write(cpu, "DBGWCR1_EL1", control);
  cpu.run(1);
  if (pc(cpu) !== SYNC_SPX) return undefined;
  assert.equal(esr(cpu), insn === LDR_X1_X0 ? 0xd6000022 : 0xd6000062, "EC 0x35 with WnR for a store");
  assert.equal(elr(cpu), RAM_BASE);
  return far(cpu) - DATA;
}

test("watchpoint ranges: BAS bytes of the doubleword, a 4-aligned WVR, MASK regions, LSC", () => {
  assert.equal(watch(STR_X1_X0, DATA, DATA, wcr(3, 0xff)), 0);
  assert.equal(watch(STR_X1_X0, DATA, DATA, wcr(3, 0xf0)), 4, "FAR: the watched start when above the access");
  assert.equal(watch(STRB_W1_X0, DATA + 2, DATA, wcr(3, 0x0f)), 2);
  assert.equal(watch(STRB_W1_X0, DATA + 5, DATA, wcr(3, 0x0f)), undefined);
  assert.equal(watch(STRB_W1_X0, DATA + 4, DATA + 4, wcr(3, 0xf1)), 4, "WVR[2] set: BAS[7:4] ignored");
  assert.equal(watch(STR_X1_X0, DATA + 8, DATA, wcr(3, 0xff)), undefined);
  assert.equal(watch(STR_X1_X0, DATA + 24, DATA + 16, wcr(3, 0, 5)), 24, "MASK 5: the aligned 32 bytes");
  assert.equal(watch(STR_X1_X0, DATA + 24, DATA, wcr(3, 0, 4)), undefined);
  assert.equal(watch(STR_X1_X0, DATA, DATA, wcr(3, 0xff, 2)), undefined, "MASK 0b00010 is reserved: disabled");
  assert.equal(watch(LDR_X1_X0, DATA, DATA, wcr(1, 0xff)), 0);
  assert.equal(watch(STR_X1_X0, DATA, DATA, wcr(1, 0xff)), undefined, "LSC = loads only");
  assert.equal(watch(LDR_X1_X0, DATA, DATA, wcr(2, 0xff)), undefined, "LSC = stores only");
  assert.equal(watch(LDR_X1_X0, DATA, DATA, wcr(0, 0xff)), undefined, "LSC = 0 is reserved: disabled");
});

test("with a watchpoint armed, only the watched page leaves the TLB fast path", () => {
  const { cpu } = setup([LDR_X1_X0, LDR_X1_X0, B_SELF]);
  const other = DATA + 0x3000;
  cpu.x[0] = other;
  write(cpu, "MDSCR_EL1", MDE | KDE);
  write(cpu, "DBGWVR0_EL1", BigInt(DATA));
  write(cpu, "DBGWCR0_EL1", wcr(3, 0xff));
  assert.equal(cpu.debug.pageWatched(DATA + 0x800, 0), true);
  assert.equal(cpu.debug.pageWatched(other, 0), false);
  cpu.run(2);
  const i = (other >>> 12) & 1023;
  assert.equal(cpu.tlbR.pageAt(i), other >>> 12, "the unwatched page was cached");
  assert.equal(pc(cpu), RAM_BASE + 8);
  // Arming drops what the TLB held for the watched page: a load cached before still hits.
  const { cpu: c2 } = setup([LDR_X1_X0, LDR_X1_X0, B_SELF]);
  c2.x[0] = DATA + 0x100;
  c2.run(1);
  assert.equal(c2.tlbR.pageAt((DATA >>> 12) & 1023), DATA >>> 12, "cached before the watchpoint");
  write(c2, "MDSCR_EL1", MDE | KDE);
  write(c2, "DBGWVR0_EL1", BigInt(DATA + 0x100));
  write(c2, "DBGWCR0_EL1", wcr(3, 0xff));
  c2.run(1);
  assert.equal(pc(c2), SYNC_SPX);
  assert.equal(esr(c2), 0xd6000022);
  assert.notEqual(c2.tlbR.pageAt((DATA >>> 12) & 1023), DATA >>> 12, "the watched page is not cached");
});

test("software step at EL1: one instruction per step, ISV = 1, EX = 1 after a load-exclusive, then active-pending", () => {
  const { cpu } = setup([ADD_X2_1, LDXR_X1_X0, ADD_X2_1, B_SELF]);
  cpu.x[0] = DATA;
  write(cpu, "MDSCR_EL1", SS | KDE);
  cpu.pstateSs = 1; // as after an ERET with SPSR_EL1.SS = 1
  cpu.run(1);
  assert.equal(cpu.x[4], 1, "the stepped instruction executed");
  assert.equal(pc(cpu), SYNC_SPX);
  assert.equal(esr(cpu), 0xcf000022, "EC 0x33, ISV = 1");
  assert.equal(elr(cpu), RAM_BASE + 4, "returns to the next instruction");
  assert.equal((cpu.sr[SR.SPSR_EL1 * 2] >>> 21) & 1, 0, "SPSR.SS = 0: the step completed");
  // Return into the sequence with SPSR.SS = 1 and D = 0: the load-exclusive is stepped.
  cpu.pcLo = RAM_BASE + 4; cpu.daif = 0; cpu.pstateSs = 1;
  cpu.run(1);
  assert.equal(esr(cpu), 0xcf000062, "EX = 1 for a load-exclusive");
  // Returning with SS = 0 (active-pending): the step exception comes before the instruction.
  cpu.pcLo = RAM_BASE + 8; cpu.daif = 0; cpu.pstateSs = 0;
  cpu.run(1);
  assert.equal(esr(cpu), 0xce000022, "ISV = 0: nothing was stepped");
  assert.equal(elr(cpu), RAM_BASE + 8);
  assert.equal(cpu.x[4], 1);
});

test("the OS double lock disables debug exceptions; the OS lock does not (as QEMU 7.2)", () => {
  for (const [reg, fires] of [["OSLAR_EL1", true], ["OSDLR_EL1", false]] as const) {
    const { cpu } = setup([NOP, ADD_X2_1, B_SELF]);
    write(cpu, reg, 1n);
    write(cpu, "MDSCR_EL1", MDE | KDE);
    write(cpu, "DBGBVR0_EL1", BigInt(RAM_BASE + 4));
    write(cpu, "DBGBCR0_EL1", 1n | (1n << 1n) | (0xfn << 5n));
    cpu.run(2);
    assert.equal(pc(cpu) === SYNC_SPX, fires, reg);
  }
});
