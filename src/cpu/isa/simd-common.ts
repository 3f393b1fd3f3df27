/**
 * Shared pieces of the Advanced SIMD groups: lane access on the V register file, saturation
 * with FPSR.QC, register and arrangement names for disassembly.
 *
 * Lane i of size S bytes of register n lives at index n*(16/S)+i of the matching typed view of
 * `cpu.vbuf` (the host is little-endian, as the architecture's lane order is). Lanes of up to
 * 32 bits are handled as JavaScript numbers; 64-bit lanes as BigInt only where no cheaper exact
 * method exists (rare operations), so the common paths allocate nothing.
 */
import type { Cpu } from "../cpu.js";

/** FPSR.QC, the cumulative saturation flag (ARM ARM C5.2.8). */
export const FPSR_QC = 1 << 27;

/**
 * Saturation seen by the current instruction. Lane functions set `sat.q = 1`; the instruction's
 * exec clears it first and folds it into FPSR.QC at the end (one object, so any module can set it).
 */
export const sat = { q: 0 };

/** 2^0 .. 2^128: lane shifts by a power of two multiply or divide by one of these. */
const POW2 = new Float64Array(129).map((_, i) => 2 ** i);

/**
 * 2^s. A table load for the shift amounts lanes use: `2 ** s` with a variable exponent is a
 * call into the host's pow, far slower than the multiply or divide it feeds.
 */
export function P2(s: number): number {
  return s >= 0 && s <= 128 ? POW2[s] : 2 ** s;
}

/** Fold the saturation seen by this instruction into FPSR.QC. */
export function commitQc(cpu: Cpu): void {
  if (sat.q) { cpu.fpsr |= FPSR_QC; sat.q = 0; }
}

/** SignedSatQ (ARM ARM shared pseudocode): clamp to an esize-bit signed range, noting saturation. */
export function satS(v: number, esize: number): number {
  const max = 2 ** (esize - 1) - 1;
  if (v > max) { sat.q = 1; return max; }
  if (v < -max - 1) { sat.q = 1; return -max - 1; }
  return v;
}

/** UnsignedSatQ: clamp to an esize-bit unsigned range, noting saturation. */
export function satU(v: number, esize: number): number {
  const max = 2 ** esize - 1;
  if (v > max) { sat.q = 1; return max; }
  if (v < 0) { sat.q = 1; return 0; }
  return v;
}

export function satS64(v: bigint): bigint {
  if (v > 0x7fffffffffffffffn) { sat.q = 1; return 0x7fffffffffffffffn; }
  if (v < -0x8000000000000000n) { sat.q = 1; return -0x8000000000000000n; }
  return v;
}

export function satU64(v: bigint): bigint {
  if (v > 0xffffffffffffffffn) { sat.q = 1; return 0xffffffffffffffffn; }
  if (v < 0n) { sat.q = 1; return 0n; }
  return v;
}

/** Read lane `i` of `esize` bits (8/16/32) of register `reg`, sign- or zero-extended. */
export function getLane(cpu: Cpu, reg: number, i: number, esize: number, signed: boolean): number {
  switch (esize) {
    case 8: { const v = cpu.v8[reg * 16 + i]; return signed ? (v << 24) >> 24 : v; }
    case 16: { const v = cpu.v16[reg * 8 + i]; return signed ? (v << 16) >> 16 : v; }
    default: { const v = cpu.v32[reg * 4 + i]; return signed ? v : v >>> 0; }
  }
}

/** Write lane `i` of `esize` bits (8/16/32); the value is truncated modulo 2^esize. */
export function setLane(cpu: Cpu, reg: number, i: number, esize: number, v: number): void {
  switch (esize) {
    case 8: cpu.v8[reg * 16 + i] = v; break;
    case 16: cpu.v16[reg * 8 + i] = v; break;
    default: cpu.v32[reg * 4 + i] = v; break;
  }
}

/** Read a 64-bit lane as BigInt. */
export function getLane64(cpu: Cpu, reg: number, i: number, signed: boolean): bigint {
  return signed ? cpu.vview.getBigInt64(reg * 16 + i * 8, true) : cpu.vview.getBigUint64(reg * 16 + i * 8, true);
}

/** Write a 64-bit lane from a BigInt (any range: truncated modulo 2^64). */
export function setLane64(cpu: Cpu, reg: number, i: number, v: bigint): void {
  cpu.vview.setBigUint64(reg * 16 + i * 8, BigInt.asUintN(64, v), true);
}

/** Write a 64-bit lane from an exact integer number (|v| < 2^53). */
export function setLane64Num(cpu: Cpu, reg: number, i: number, v: number): void {
  const k = reg * 4 + i * 2;
  cpu.v32[k] = v;
  cpu.v32[k + 1] = Math.floor(v / 4294967296);
}

/** Read a 64-bit lane as a number when the caller knows it is exact enough (|v| < 2^53). */
export function getLane64Num(cpu: Cpu, reg: number, i: number, signed: boolean): number {
  const k = reg * 4 + i * 2;
  const hi = cpu.v32[k + 1];
  return (signed ? hi : hi >>> 0) * 4294967296 + (cpu.v32[k] >>> 0);
}

/** Zero bytes [from, 16) of register `reg` (64-bit vector forms clear from 8, scalar forms from the element size). */
export function clearAbove(cpu: Cpu, reg: number, from: number): void {
  if (from === 8) { cpu.v32[reg * 4 + 2] = 0; cpu.v32[reg * 4 + 3] = 0; return; }
  if (from < 16) cpu.v8.fill(0, reg * 16 + from, reg * 16 + 16);
}

/** Scratch register image for instructions whose result lanes depend on several source lanes. */
export const scratch = new ArrayBuffer(64);
export const s8 = new Uint8Array(scratch);
export const s32 = new Int32Array(scratch);

/** Copy the first 16 bytes of scratch into register `reg`. */
export function copyScratch(cpu: Cpu, reg: number): void {
  const v = cpu.v32, o = reg * 4;
  v[o] = s32[0]; v[o + 1] = s32[1]; v[o + 2] = s32[2]; v[o + 3] = s32[3];
}

// ---------------- disassembly ----------------

/** Arrangement suffix for an element size (0..3) and Q: 8b, 16b, 4h, 8h, 2s, 4s, 1d, 2d. */
export function arr(size: number, q: number): string {
  return ["8b", "4h", "2s", "1d"][size].replace(/^\d+/, (c) => String(Number(c) * (q ? 2 : 1)));
}

/** Vn.<T> */
export function vr(n: number, size: number, q: number): string {
  return `v${n & 31}.${arr(size, q)}`;
}

/** Scalar FP/SIMD register name by element size: b, h, s, d, q. */
export function sr(n: number, size: number): string {
  return "bhsdq"[size] + n;
}

/** Element size letter. */
export function el(size: number): string {
  return "bhsd"[size];
}

/** Vn.T[i] element reference. */
export function vel(n: number, size: number, i: number): string {
  return `v${n}.${el(size)}[${i}]`;
}
