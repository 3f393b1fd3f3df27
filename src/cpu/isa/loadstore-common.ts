/**
 * Shared pieces of the load/store groups: the SP alignment check, 64-bit address arithmetic on
 * (lo, hi) pairs, and operand formatting in GNU objdump syntax.
 */
import { SCTLR } from "../arch-bits.js";
import { Access, Cpu, EC, FSC } from "../cpu.js";
import { ExceptionKind, routeException } from "../exceptions.js";
import { SR } from "../sysregs.js";
import type { Decoded } from "./table.js";
import { xreg, xregSp } from "./util.js";

/**
 * CheckSPAlignment() (ARM ARM D1.8.2): a load/store whose base register is SP takes an SP
 * alignment fault (EC 0x26) when SP is not 16-byte aligned and SCTLR_ELx.SA is set (SCTLR_EL1.SA0
 * for EL0). Callers test `x[62] & 15` first so the aligned case costs one compare. FP/SIMD
 * accesses check the FP trap first, as the pseudocode runs CheckFPAdvSIMDEnabled64() before
 * computing the address.
 */
export function spAlignmentCheck(cpu: Cpu, d: Decoded): void {
  if (d.fp && !cpu.fpEnabled) cpu.fpTrap();
  if ((cpu.x[62] & 15) === 0) return;
  let enabled: boolean;
  if (cpu.el === 0) enabled = (cpu.sr[SR.SCTLR_EL1 * 2] & SCTLR.SA0) !== 0;
  else enabled = (cpu.sr[cpu.sctlrSlot() * 2] & SCTLR.SA) !== 0;
  if (!enabled) return;
  cpu.takeException(routeException(cpu, ExceptionKind.Sync), EC.SP_ALIGN, 0);
}

/** High word of `base + off` where `sum = (baseLo >>> 0) + off` and |off| < 2^32. */
/** Compile-hook source of a SIMD&FP access's first step: the trap when FP/SIMD is disabled. */
export const FP_ENABLED_SRC = "if (!cpu.fpEnabled) cpu.fpTrap();";

/**
 * Compile-hook source of checkQAlign (loadstore-single.ts) for the address (lo, hi), two
 * expressions: a quadword access must be 16-byte aligned under SCTLR_ELx.A.
 */
export function qAlignSrc(access: Access, lo: string, hi: string): string {
  return `if (cpu.strictAlign && (${lo} & 15) !== 0) cpu.abort(${access}, ${FSC.ALIGNMENT}, ${lo}, ${hi}, false);`;
}

export function carryHi(sum: number, baseHi: number): number {
  return sum > 0xffffffff ? (baseHi + 1) | 0 : sum < 0 ? (baseHi - 1) | 0 : baseHi;
}

// ---------------- disassembly ----------------

/** `#imm` as objdump prints load/store offsets: signed decimal. */
export function imm(v: number): string {
  return `#${v}`;
}

/** `[xn]` or `[xn, #off]` (signed offset, omitted when zero). */
export function memOff(rn: number, off: number): string {
  return off === 0 ? `[${xregSp(rn, 1)}]` : `[${xregSp(rn, 1)}, #${off}]`;
}

/** Pre-index `[xn, #off]!` (the offset is printed even when zero). */
export function memPre(rn: number, off: number): string {
  return `[${xregSp(rn, 1)}, #${off}]!`;
}

/** Post-index `[xn], #off`. */
export function memPost(rn: number, off: number): string {
  return `[${xregSp(rn, 1)}], #${off}`;
}

const EXTEND_NAMES = ["", "", "uxtw", "lsl", "", "", "sxtw", "sxtx"];

/**
 * Register offset `[xn, xm{, ext #amount}]` (ARM ARM C6.2 LDR (register)): LSL without S prints
 * no extend; with S the amount is printed even when zero; W index for UXTW/SXTW.
 */
export function memReg(rn: number, rm: number, option: number, s: number, amount: number): string {
  const idx = xreg(rm, option & 1);
  let ext = "";
  if (option === 3) ext = s ? `, lsl #${amount}` : "";
  else ext = s ? `, ${EXTEND_NAMES[option]} #${amount}` : `, ${EXTEND_NAMES[option]}`;
  return `[${xregSp(rn, 1)}, ${idx}${ext}]`;
}

/** PC-relative literal target, hex without prefix like objdump (symbol suffixes are not known). */
export function literalTarget(pc: bigint, off: number): string {
  return ((pc + BigInt(off)) & 0xffffffffffffffffn).toString(16);
}

const FP_PREFIX = ["b", "h", "s", "d", "q"];

/** SIMD&FP scalar register name by log2 of its byte size: b0, h0, s0, d0, q0. */
export function fpReg(r: number, log2Size: number): string {
  return FP_PREFIX[log2Size] + r;
}

/**
 * Data abort instruction syndrome for single general-register loads and stores (ARM ARM
 * D13.2.37, ISS for EC 0x24/0x25): ISV [24], SAS [23:22] = log2 size, SSE [21] sign-extend,
 * SRT [20:16] = Rt, SF [15] = 64-bit register, AR [14] = acquire/release. Forms with
 * writeback, pairs and SIMD&FP registers carry none.
 */
export function singleRegisterSyndrome(size: number, signExtend: boolean, rt: number, sixtyFour: boolean, acquireRelease = false): number {
  return (1 << 24) | (size << 22) | (signExtend ? 1 << 21 : 0) | (rt << 16) | (sixtyFour ? 1 << 15 : 0) | (acquireRelease ? 1 << 14 : 0);
}
