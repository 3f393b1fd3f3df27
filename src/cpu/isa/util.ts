/**
 * Shared pieces for instruction groups: condition codes, register names for disassembly,
 * immediates formatted like GNU objdump.
 */
import type { Cpu } from "../cpu.js";

const COND_NAMES = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"];

export function condName(c: number): string {
  return COND_NAMES[c & 15];
}

/** ConditionHolds() (ARM ARM J1.3.?): evaluate a 4-bit condition against PSTATE.NZCV. */
export function condHolds(cpu: Cpu, cond: number): boolean {
  let r: boolean;
  switch (cond >> 1) {
    case 0: r = cpu.zf === 1; break;
    case 1: r = cpu.cf === 1; break;
    case 2: r = cpu.nf === 1; break;
    case 3: r = cpu.vf === 1; break;
    case 4: r = cpu.cf === 1 && cpu.zf === 0; break;
    case 5: r = cpu.nf === cpu.vf; break;
    case 6: r = cpu.nf === cpu.vf && cpu.zf === 0; break;
    default: return true; // AL and NV both always hold
  }
  return (cond & 1) && cond !== 15 ? !r : r;
}

/** ConditionHolds() for a constant condition as JS source over `cpu` (the same tests as condHolds). */
export function condSrc(cond: number): string {
  let r: string;
  switch (cond >> 1) {
    case 0: r = "cpu.zf === 1"; break;
    case 1: r = "cpu.cf === 1"; break;
    case 2: r = "cpu.nf === 1"; break;
    case 3: r = "cpu.vf === 1"; break;
    case 4: r = "(cpu.cf === 1 && cpu.zf === 0)"; break;
    case 5: r = "cpu.nf === cpu.vf"; break;
    case 6: r = "(cpu.nf === cpu.vf && cpu.zf === 0)"; break;
    default: return "true";
  }
  return cond & 1 ? `!(${r})` : `(${r})`;
}

/** General register name where 31 is the zero register: x0..x30/xzr or w0..w30/wzr. */
export function xreg(r: number, sf: number): string {
  if (r === 31) return sf ? "xzr" : "wzr";
  return (sf ? "x" : "w") + r;
}

/** General register name where 31 is the stack pointer: sp / wsp. */
export function xregSp(r: number, sf: number): string {
  if (r === 31) return sf ? "sp" : "wsp";
  return (sf ? "x" : "w") + r;
}

/** Immediate as objdump prints it: `#0x..` for values above 9... objdump uses `#0x%x` always for SVC etc. */
export function hexImm(v: number): string {
  return "#0x" + (v >>> 0).toString(16);
}
