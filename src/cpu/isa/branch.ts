/**
 * Branches, exception generation and exception return (ARM ARM C4.1.65 "Branches, Exception
 * Generating and System instructions"; instruction pages C6.2.*).
 */
import { HCR_EL2, SCR_EL3 } from "../arch-bits.js";
import { Cpu, EC, zr } from "../cpu.js";
import { enterExceptionAfter, exceptionReturn, ExceptionKind, routeException } from "../exceptions.js";
import { SR } from "../sysregs.js";
import type { CompileContext, Decoded, InsnDef } from "./table.js";
import { condHolds, condName, condSrc, hexImm, xreg } from "./util.js";

/** PC-relative target as a BigInt for disassembly. */
function target(pc: bigint, off: number): string {
  return ((pc + BigInt(off)) & 0xffffffffffffffffn).toString(16);
}

/** Branch to PC + byte offset (offset fits in 28 bits signed, so one carry/borrow at most). */
function branchRel(cpu: Cpu, off: number): void {
  const lo = (cpu.pcLo >>> 0) + off;
  let hi = cpu.pcHi;
  if (lo > 0xffffffff) hi = (hi + 1) | 0;
  else if (lo < 0) hi = (hi - 1) | 0;
  cpu.branchTo(lo | 0, hi);
}

/**
 * branchRel() as source for compile hooks: the target from the block start `lo` and a constant
 * offset (a block lies within one page, so lo + c.offset does not wrap), or the compiler's jump
 * to it when it offers one (CompileContext.jump).
 */
function branchRelSrc(c: CompileContext, off: number): string {
  const total = c.offset + off;
  const jump = c.jump?.(total);
  if (jump !== undefined) return jump;
  const hi = total >= 0 ? "t > 4294967295 ? (cpu.pcHi + 1) | 0 : cpu.pcHi" : "t < 0 ? (cpu.pcHi - 1) | 0 : cpu.pcHi";
  return `{ const t = (lo >>> 0) + ${total}; cpu.branchTo(t | 0, ${hi}); }`;
}

/** X30 = PC + 4 (BL, BLR). */
function setLink(cpu: Cpu): void {
  const lo = (cpu.pcLo >>> 0) + 4;
  cpu.x[60] = lo | 0;
  cpu.x[61] = lo > 0xffffffff ? (cpu.pcHi + 1) | 0 : cpu.pcHi;
}

export const branchGroup: InsnDef[] = [
  {
    name: "B", pattern: "0 00101 imm26:s26", branch: true,
    exec: (cpu, d) => branchRel(cpu, d.imm26 * 4),
    compile: (d, c) => branchRelSrc(c, d.imm26 * 4),
    disasm: (d, pc) => `b\t${target(pc, d.imm26 * 4)}`,
  },
  {
    name: "BL", pattern: "1 00101 imm26:s26", branch: true,
    exec: (cpu, d) => { setLink(cpu); branchRel(cpu, d.imm26 * 4); },
    compile: (d, c) => `{ const r = (lo >>> 0) + ${c.offset + 4}; x[60] = r | 0; x[61] = r > 4294967295 ? (cpu.pcHi + 1) | 0 : cpu.pcHi; }` +
      branchRelSrc(c, d.imm26 * 4),
    disasm: (d, pc) => `bl\t${target(pc, d.imm26 * 4)}`,
  },
  {
    name: "B_cond", pattern: "0101010 0 imm19:s19 0 cond:4", branch: true,
    exec: (cpu, d) => { if (condHolds(cpu, d.cond)) branchRel(cpu, d.imm19 * 4); },
    compile: (d, c) => `if (${condSrc(d.cond)}) ${branchRelSrc(c, d.imm19 * 4)}`,
    disasm: (d, pc) => `b.${condName(d.cond)}\t${target(pc, d.imm19 * 4)}`,
  },
  {
    name: "CBZ", pattern: "sf:1 011010 op:1 imm19:s19 rt:5", branch: true,
    prepare: (d) => { d.t = zr(d.rt); },
    exec: (cpu, d) => {
      const x = cpu.x, zero = (x[d.t * 2] | (d.sf ? x[d.t * 2 + 1] : 0)) === 0;
      if (zero !== (d.op === 1)) branchRel(cpu, d.imm19 * 4);
    },
    compile: (d, c) => {
      const t2 = d.t * 2, v = d.sf ? `(x[${t2}] | x[${t2 + 1}])` : `x[${t2}]`;
      return `if (${v} ${d.op ? "!==" : "==="} 0) ${branchRelSrc(c, d.imm19 * 4)}`;
    },
    disasm: (d, pc) => `${d.op ? "cbnz" : "cbz"}\t${xreg(d.rt, d.sf)}, ${target(pc, d.imm19 * 4)}`,
  },
  {
    name: "TBZ", pattern: "b5:1 011011 op:1 b40:5 imm14:s14 rt:5", branch: true,
    prepare: (d) => { d.t = zr(d.rt); d.bit = (d.b5 << 5) | d.b40; },
    exec: (cpu, d) => {
      const w = d.bit >= 32 ? cpu.x[d.t * 2 + 1] : cpu.x[d.t * 2];
      const set = ((w >>> (d.bit & 31)) & 1) === 1;
      if (set === (d.op === 1)) branchRel(cpu, d.imm14 * 4);
    },
    compile: (d, c) => {
      const w = `x[${d.t * 2 + (d.bit >= 32 ? 1 : 0)}]`;
      return `if (((${w} >>> ${d.bit & 31}) & 1) ${d.op ? "!==" : "==="} 0) ${branchRelSrc(c, d.imm14 * 4)}`;
    },
    disasm: (d, pc) => `${d.op ? "tbnz" : "tbz"}\t${xreg(d.rt, d.b5)}, #${d.bit}, ${target(pc, d.imm14 * 4)}`,
  },
  {
    name: "BR", pattern: "1101011 0000 11111 000000 rn:5 00000", branch: true,
    prepare: (d) => { d.n = zr(d.rn); },
    exec: (cpu, d) => cpu.branchTo(cpu.x[d.n * 2], cpu.x[d.n * 2 + 1]),
    disasm: (d) => `br\t${xreg(d.rn, 1)}`,
  },
  {
    name: "BLR", pattern: "1101011 0001 11111 000000 rn:5 00000", branch: true,
    prepare: (d) => { d.n = zr(d.rn); },
    exec: (cpu, d) => {
      const lo = cpu.x[d.n * 2], hi = cpu.x[d.n * 2 + 1];
      setLink(cpu);
      cpu.branchTo(lo, hi);
    },
    compile: (d, c) => `{ const tl = x[${d.n * 2}], th = x[${d.n * 2 + 1}], r = (lo >>> 0) + ${c.offset + 4}; ` +
      `x[60] = r | 0; x[61] = r > 4294967295 ? (cpu.pcHi + 1) | 0 : cpu.pcHi; cpu.branchTo(tl, th); }`,
    disasm: (d) => `blr\t${xreg(d.rn, 1)}`,
  },
  {
    name: "RET", pattern: "1101011 0010 11111 000000 rn:5 00000", branch: true,
    prepare: (d) => { d.n = zr(d.rn); },
    exec: (cpu, d) => cpu.branchTo(cpu.x[d.n * 2], cpu.x[d.n * 2 + 1]),
    compile: (d) => `cpu.branchTo(x[${d.n * 2}], x[${d.n * 2 + 1}]);`,
    disasm: (d) => d.rn === 30 ? "ret" : `ret\t${xreg(d.rn, 1)}`,
  },
  {
    name: "ERET", pattern: "1101011 0100 11111 000000 11111 00000", branch: true,
    exec: (cpu) => {
      if (cpu.el === 0) cpu.undefinedInstruction();
      exceptionReturn(cpu);
    },
    disasm: () => "eret",
  },
  {
    // SVC: to EL1, or EL2 from EL0 with HCR_EL2.TGE (ARM ARM D1.10.4). ISS = imm16.
    name: "SVC", pattern: "11010100 000 imm16:16 000 01", branch: true,
    exec: (cpu, d) => {
      if (cpu.debugArmed) cpu.takeExceptionAfter(routeException(cpu, ExceptionKind.Sync), EC.SVC64, d.imm16);
      enterExceptionAfter(cpu, routeException(cpu, ExceptionKind.Sync), EC.SVC64, d.imm16);
    },
    disasm: (d) => `svc\t${hexImm(d.imm16)}`,
  },
  {
    // HVC (ARM ARM C6.2.100): UNDEFINED at EL0, with no EL2, at Secure EL1 (no Secure EL2 in
    // ARMv8.0), or when disabled by SCR_EL3.HCE (EL3 implemented) or else HCR_EL2.HCD. Taken to
    // EL2, or to EL3 from EL3. PSCI firmware in TypeScript answers it first when it is the
    // configured conduit (QEMU's behaviour).
    name: "HVC", pattern: "11010100 000 imm16:16 000 10", branch: true,
    exec: (cpu, d) => {
      if (cpu.el === 0) cpu.undefinedInstruction();
      if (cpu.platform.firmwareCall(cpu, "hvc", d.imm16)) { cpu.flow = 2; return; }
      if (!cpu.hasEl2 || (cpu.el === 1 && !cpu.el2Enabled)) cpu.undefinedInstruction();
      const disabled = cpu.highestEl === 3 ? !(cpu.sr[SR.SCR_EL3 * 2] & SCR_EL3.HCE) : (cpu.sr[SR.HCR_EL2 * 2] & HCR_EL2.HCD) !== 0;
      if (disabled) cpu.undefinedInstruction();
      cpu.takeExceptionAfter(cpu.el === 3 ? 3 : 2, EC.HVC64, d.imm16);
    },
    disasm: (d) => `hvc\t${hexImm(d.imm16)}`,
  },
  {
    // SMC (ARM ARM C6.2.229): UNDEFINED at EL0; from EL1 trapped to EL2 by HCR_EL2.TSC, which
    // takes priority over SCR_EL3.SMD (the trap's return address is the SMC itself). Otherwise
    // PSCI firmware in TypeScript answers it when SMC is the configured conduit (as QEMU, even
    // with SMD set), else it goes to EL3 (return address: the next instruction) unless
    // SCR_EL3.SMD makes it UNDEFINED; with no EL3 it is UNDEFINED.
    name: "SMC", pattern: "11010100 000 imm16:16 000 11", branch: true,
    exec: (cpu, d) => {
      if (cpu.el === 0) cpu.undefinedInstruction();
      if (cpu.el === 1 && cpu.el2Enabled && (cpu.hcrLo() & HCR_EL2.TSC)) cpu.takeException(2, EC.SMC64, d.imm16);
      if (cpu.platform.firmwareCall(cpu, "smc", d.imm16)) { cpu.flow = 2; return; }
      if (cpu.highestEl === 3 && !(cpu.sr[SR.SCR_EL3 * 2] & SCR_EL3.SMD)) cpu.takeExceptionAfter(3, EC.SMC64, d.imm16);
      cpu.undefinedInstruction();
    },
    disasm: (d) => `smc\t${hexImm(d.imm16)}`,
  },
  {
    name: "BRK", pattern: "11010100 001 imm16:16 000 00", branch: true,
    // A breakpoint instruction exception goes where debug exceptions go (EL2 with HCR_EL2.TGE
    // or MDCR_EL2.TDE, ARM ARM D2.3 "Routing debug exceptions"), or to the current EL when that
    // is higher: unlike the other debug exceptions it is never ignored (QEMU 7.2
    // helper_exception_bkpt_insn).
    exec: (cpu, d) => {
      cpu.takeException(Math.max(cpu.el, cpu.debug.targetEl()), EC.BRK, d.imm16);
    },
    disasm: (d) => `brk\t${hexImm(d.imm16)}`,
  },
  {
    // HLT is the halting-debug breakpoint; with no external debugger it is UNDEFINED.
    name: "HLT", pattern: "11010100 010 imm16:16 000 00",
    exec: (cpu) => cpu.undefinedInstruction(),
    disasm: (d) => `hlt\t${hexImm(d.imm16)}`,
  },
];

export type { Decoded };
