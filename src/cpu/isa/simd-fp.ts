/**
 * Advanced SIMD floating point: three same, two-register misc, pairwise, across lanes, by
 * element, fixed-point conversions, for vectors and the scalar forms (ARM ARM C4.1.6; pages
 * C7.2.*). Per-element arithmetic is the scalar FP core (../fpcore.ts), so rounding, NaN
 * handling, FZ/DN and FPSR flags are exactly those of the scalar instructions; this file adds
 * the operations that exist only here: FMULX, FRECPS/FRSQRTS, FRECPE/FRSQRTE/FRECPX,
 * URECPE/URSQRTE and FCVTXN (round to odd).
 */
import type { Cpu } from "../cpu.js";
import * as fp from "../fpcore.js";
import { fp64Out, IDC, IOC, DZC, OFC, UFC, IXC, RA, RM, RN, RP, RZ } from "../fpcore.js";
import type { Decoded, InsnDef } from "./table.js";
import { clearAbove, sr, vr } from "./simd-common.js";

/** Single-precision lane function on raw bits: (a, b, accumulator) -> result bits. */
type F32 = (cpu: Cpu, a: number, b: number, c: number) => number;
/** Double-precision lane function on (lo, hi) pairs; returns lo, high word in fp64Out.hi. */
type F64 = (cpu: Cpu, al: number, ah: number, bl: number, bh: number, cl: number, ch: number) => number;

const FZ = 1 << 24;
const TWO32 = 0x40000000, THREE_HALF32 = 0x3fc00000;
const TWO64H = 0x40000000, THREE_HALF64H = 0x3ff80000;

// ---------------------------------------------------------------- classification

/** 0 zero, 1 finite non-zero, 2 infinity, 3 NaN; FZ flushes denormals to zero (setting IDC). */
function cls32(cpu: Cpu, a: number): number {
  const e = (a >>> 23) & 0xff, f = a & 0x7fffff;
  if (e === 0) {
    if (f === 0) return 0;
    if (cpu.fpcr & FZ) { cpu.fpsr |= IDC; return 0; }
    return 1;
  }
  if (e === 0xff) return f === 0 ? 2 : 3;
  return 1;
}

function cls64(cpu: Cpu, lo: number, hi: number): number {
  const e = (hi >>> 20) & 0x7ff, f = (hi & 0xfffff) | lo;
  if (e === 0) {
    if (f === 0) return 0;
    if (cpu.fpcr & FZ) { cpu.fpsr |= IDC; return 0; }
    return 1;
  }
  if (e === 0x7ff) return f === 0 ? 2 : 3;
  return 1;
}

/** Set the double result's high word and return the low word. */
function r64(lo: number, hi: number): number {
  fp64Out.hi = hi;
  return lo;
}

// ---------------------------------------------------------------- compare helpers

const cmpEq32: F32 = (cpu, a, b) => fp.fpCompare32(cpu, a, b, false) === 0b0110 ? -1 : 0;
const cmpGe32: F32 = (cpu, a, b) => { const r = fp.fpCompare32(cpu, a, b, true); return r === 0b0110 || r === 0b0010 ? -1 : 0; };
const cmpGt32: F32 = (cpu, a, b) => fp.fpCompare32(cpu, a, b, true) === 0b0010 ? -1 : 0;
const cmpEq64: F64 = (cpu, al, ah, bl, bh) => { const r = fp.fpCompare64(cpu, al, ah, bl, bh, false) === 0b0110 ? -1 : 0; return r64(r, r); };
const cmpGe64: F64 = (cpu, al, ah, bl, bh) => { const c = fp.fpCompare64(cpu, al, ah, bl, bh, true); const r = c === 0b0110 || c === 0b0010 ? -1 : 0; return r64(r, r); };
const cmpGt64: F64 = (cpu, al, ah, bl, bh) => { const r = fp.fpCompare64(cpu, al, ah, bl, bh, true) === 0b0010 ? -1 : 0; return r64(r, r); };

// ---------------------------------------------------------------- FMULX, FRECPS, FRSQRTS

/** FPMulX: as FPMul, except infinity times zero gives 2.0 with the product's sign. */
const fmulx32: F32 = (cpu, a, b) => {
  const ca = cls32(cpu, a), cb = cls32(cpu, b);
  if (ca !== 3 && cb !== 3 && ((ca === 2 && cb === 0) || (ca === 0 && cb === 2))) return (TWO32 | ((a ^ b) & 0x80000000)) | 0;
  return fp.fpMul32(cpu, a, b);
};
const fmulx64: F64 = (cpu, al, ah, bl, bh) => {
  const ca = cls64(cpu, al, ah), cb = cls64(cpu, bl, bh);
  if (ca !== 3 && cb !== 3 && ((ca === 2 && cb === 0) || (ca === 0 && cb === 2))) return r64(0, (TWO64H | ((ah ^ bh) & 0x80000000)) | 0);
  return fp.fpMul64(cpu, al, ah, bl, bh);
};

/** FPRecipStepFused: 2.0 - a*b with one rounding; infinity times zero gives 2.0. */
const frecps32: F32 = (cpu, a, b) => {
  const na = a ^ 0x80000000, ca = cls32(cpu, a), cb = cls32(cpu, b);
  if (ca !== 3 && cb !== 3 && ((ca === 2 && cb === 0) || (ca === 0 && cb === 2))) return TWO32;
  return fp.fpMulAdd32(cpu, TWO32, na, b);
};
const frecps64: F64 = (cpu, al, ah, bl, bh) => {
  const ca = cls64(cpu, al, ah), cb = cls64(cpu, bl, bh);
  if (ca !== 3 && cb !== 3 && ((ca === 2 && cb === 0) || (ca === 0 && cb === 2))) return r64(0, TWO64H);
  return fp.fpMulAdd64(cpu, 0, TWO64H, al, ah ^ 0x80000000, bl, bh);
};

/**
 * FPRSqrtStepFused: (3.0 - a*b) / 2 with one rounding; infinity times zero gives 1.5. Computed
 * as 1.5 - a*(b/2) (or (a/2)*b), halving whichever operand is a normal number with room in its
 * exponent so the halving is exact; when neither is, a*b is far below 1.5's precision.
 */
const frsqrts32: F32 = (cpu, a, b) => {
  const ca = cls32(cpu, a), cb = cls32(cpu, b);
  if (ca !== 3 && cb !== 3 && ((ca === 2 && cb === 0) || (ca === 0 && cb === 2))) return THREE_HALF32;
  const na = a ^ 0x80000000;
  if (ca === 1 && cb === 1) {
    const eb = (b >>> 23) & 0xff, ea = (a >>> 23) & 0xff;
    if (eb > 1) return fp.fpMulAdd32(cpu, THREE_HALF32, na, b - (1 << 23));
    if (ea > 1) return fp.fpMulAdd32(cpu, THREE_HALF32, na - (1 << 23), b);
  }
  return fp.fpMulAdd32(cpu, THREE_HALF32, na, b);
};
const frsqrts64: F64 = (cpu, al, ah, bl, bh) => {
  const ca = cls64(cpu, al, ah), cb = cls64(cpu, bl, bh);
  if (ca !== 3 && cb !== 3 && ((ca === 2 && cb === 0) || (ca === 0 && cb === 2))) return r64(0, THREE_HALF64H);
  const nah = ah ^ 0x80000000;
  if (ca === 1 && cb === 1) {
    const eb = (bh >>> 20) & 0x7ff, ea = (ah >>> 20) & 0x7ff;
    if (eb > 1) return fp.fpMulAdd64(cpu, 0, THREE_HALF64H, al, nah, bl, bh - (1 << 20));
    if (ea > 1) return fp.fpMulAdd64(cpu, 0, THREE_HALF64H, al, nah - (1 << 20), bl, bh);
  }
  return fp.fpMulAdd64(cpu, 0, THREE_HALF64H, al, nah, bl, bh);
};

// ---------------------------------------------------------------- estimates (ARM ARM J1.3)

/** RecipEstimate: a in [256, 512) -> 9-bit estimate of 1/a. */
function recipEstimate(a: number): number {
  a = a * 2 + 1;
  const b = Math.floor(2 ** 19 / a);
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate: a in [128, 512) -> 9-bit estimate of 1/sqrt(a). */
function recipSqrtEstimate(a: number): number {
  if (a < 256) a = a * 2 + 1;
  else { a = (a >> 1) << 1; a = (a + 1) * 2; }
  let b = 512;
  while (a * (b + 1) * (b + 1) < 2 ** 28) b++;
  return (b + 1) >> 1;
}

const recipTable = new Uint16Array(512);
const rsqrtTable = new Uint16Array(512);
for (let i = 256; i < 512; i++) recipTable[i] = recipEstimate(i);
for (let i = 128; i < 512; i++) rsqrtTable[i] = recipSqrtEstimate(i);

/** Whether an overflowing estimate becomes infinity under the FPCR rounding mode. */
function overflowToInf(cpu: Cpu, sign: number): boolean {
  switch (fp.fpcrRounding(cpu)) {
    case RN: return true;
    case RP: return sign === 0;
    case RM: return sign === 1;
    default: return false;
  }
}

/** Quiet/propagate a NaN operand exactly as the scalar core does (FPProcessNaN). */
const nan32 = (cpu: Cpu, a: number) => fp.fpAdd32(cpu, a, a);
const nan64 = (cpu: Cpu, lo: number, hi: number) => fp.fpAdd64(cpu, lo, hi, lo, hi);

/**
 * FPRecipEstimate on the double-precision view of the operand: fraction as 52 bits split
 * (fhi: top 20 bits, flo: low 32 bits), exp the biased exponent.
 */
const frecpe32: F32 = (cpu, a) => {
  const c = cls32(cpu, a), sign = a >>> 31;
  if (c === 3) return nan32(cpu, a);
  if (c === 2) return sign << 31;
  if (c === 0) { cpu.fpsr |= DZC; return ((sign << 31) | 0x7f800000) | 0; }
  const mag = a & 0x7fffffff;
  if (mag < 0x00200000) { // |value| < 2^-128
    cpu.fpsr |= OFC | IXC;
    return (overflowToInf(cpu, sign) ? (sign << 31) | 0x7f800000 : (sign << 31) | 0x7f7fffff) | 0;
  }
  if ((cpu.fpcr & FZ) && mag >= 0x7e800000) { cpu.fpsr |= UFC; return sign << 31; } // |value| >= 2^126
  let exp = (a >>> 23) & 0xff, frac = a & 0x7fffff; // 23 bits
  if (exp === 0) {
    if ((frac & 0x400000) === 0) { exp = -1; frac = (frac << 2) & 0x7fffff; } else frac = (frac << 1) & 0x7fffff;
  }
  const scaled = 256 | (frac >>> 15);
  let rexp = 253 - exp;
  let rfrac = (recipTable[scaled] & 0xff) << 15; // 23-bit fraction
  if (rexp === 0) rfrac = (1 << 22) | (rfrac >>> 1);
  else if (rexp === -1) { rfrac = (1 << 21) | (rfrac >>> 2); rexp = 0; }
  return ((sign << 31) | (rexp << 23) | rfrac) | 0;
};

const frecpe64: F64 = (cpu, lo, hi) => {
  const c = cls64(cpu, lo, hi), sign = hi >>> 31;
  if (c === 3) return nan64(cpu, lo, hi);
  if (c === 2) return r64(0, sign << 31);
  if (c === 0) { cpu.fpsr |= DZC; return r64(0, ((sign << 31) | 0x7ff00000) | 0); }
  const mhi = hi & 0x7fffffff;
  if (mhi < 0x00040000) { // |value| < 2^-1024
    cpu.fpsr |= OFC | IXC;
    return overflowToInf(cpu, sign) ? r64(0, ((sign << 31) | 0x7ff00000) | 0) : r64(-1, ((sign << 31) | 0x7fefffff) | 0);
  }
  if ((cpu.fpcr & FZ) && mhi >= 0x7fd00000) { cpu.fpsr |= UFC; return r64(0, sign << 31); } // >= 2^1022
  let exp = (hi >>> 20) & 0x7ff, fhi = hi & 0xfffff; // top 20 fraction bits suffice for the estimate
  if (exp === 0) {
    const top = ((fhi << 12) | (lo >>> 20)) >>> 0; // 32 fraction bits for shifting
    if ((fhi & 0x80000) === 0) { exp = -1; fhi = (top >>> 10) & 0xfffff; } else fhi = (top >>> 11) & 0xfffff;
  }
  const scaled = 256 | (fhi >>> 12);
  let rexp = 2045 - exp;
  let rf = (recipTable[scaled] & 0xff) << 12; // top 20 bits of the fraction; the rest is zero
  if (rexp === 0) rf = (1 << 19) | (rf >>> 1);
  else if (rexp === -1) { rf = (1 << 18) | (rf >>> 2); rexp = 0; }
  return r64(0, ((sign << 31) | (rexp << 20) | rf) | 0);
};

const frsqrte32: F32 = (cpu, a) => {
  const c = cls32(cpu, a), sign = a >>> 31;
  if (c === 3) return nan32(cpu, a);
  if (c === 0) { cpu.fpsr |= DZC; return ((sign << 31) | 0x7f800000) | 0; }
  if (sign) { cpu.fpsr |= IOC; return 0x7fc00000; }
  if (c === 2) return 0;
  let exp = (a >>> 23) & 0xff, frac = a & 0x7fffff;
  if (exp === 0) {
    while ((frac & 0x400000) === 0) { frac = (frac << 1) & 0x7fffff; exp--; }
    frac = (frac << 1) & 0x7fffff;
  }
  const scaled = (exp & 1) === 0 ? 256 | (frac >>> 15) : 128 | (frac >>> 16);
  const rexp = Math.floor((380 - exp) / 2);
  return ((rexp << 23) | ((rsqrtTable[scaled] & 0xff) << 15)) | 0;
};

const frsqrte64: F64 = (cpu, lo, hi) => {
  const c = cls64(cpu, lo, hi), sign = hi >>> 31;
  if (c === 3) return nan64(cpu, lo, hi);
  if (c === 0) { cpu.fpsr |= DZC; return r64(0, ((sign << 31) | 0x7ff00000) | 0); }
  if (sign) { cpu.fpsr |= IOC; return r64(0, 0x7ff80000); }
  if (c === 2) return r64(0, 0);
  let exp = (hi >>> 20) & 0x7ff;
  let fhi = hi & 0xfffff, flo = lo >>> 0;
  if (exp === 0) {
    while ((fhi & 0x80000) === 0) { fhi = ((fhi << 1) | (flo >>> 31)) & 0xfffff; flo = (flo << 1) >>> 0; exp--; }
    fhi = ((fhi << 1) | (flo >>> 31)) & 0xfffff;
  }
  const scaled = (exp & 1) === 0 ? 256 | (fhi >>> 12) : 128 | (fhi >>> 13);
  const rexp = Math.floor((3068 - exp) / 2);
  return r64(0, ((rexp << 20) | ((rsqrtTable[scaled] & 0xff) << 12)) | 0);
};

/** URECPE: unsigned fixed-point reciprocal estimate. */
const urecpe: F32 = (_cpu, a) => (a & 0x80000000) === 0 ? -1 : (recipTable[(a >>> 23) & 0x1ff] << 23) | 0;
/** URSQRTE: unsigned fixed-point reciprocal square root estimate. */
const ursqrte: F32 = (_cpu, a) => (a >>> 30) === 0 ? -1 : (rsqrtTable[(a >>> 23) & 0x1ff] << 23) | 0;

/** FRECPX: reciprocal exponent (scalar only). */
const frecpx32: F32 = (cpu, a) => {
  const c = cls32(cpu, a);
  if (c === 3) return nan32(cpu, a);
  const e = (a >>> 23) & 0xff, s = a & 0x80000000;
  return (s | ((e === 0 ? 0xfe : ~e & 0xff) << 23)) | 0;
};
const frecpx64: F64 = (cpu, lo, hi) => {
  const c = cls64(cpu, lo, hi);
  if (c === 3) return nan64(cpu, lo, hi);
  const e = (hi >>> 20) & 0x7ff, s = hi & 0x80000000;
  return r64(0, (s | ((e === 0 ? 0x7fe : ~e & 0x7ff) << 20)) | 0);
};

/** FCVTXN: double to single with round to odd (inexact results get the low bit set). */
function fcvtxn(cpu: Cpu, lo: number, hi: number): number {
  if (cls64(cpu, lo, hi) >= 2) return fp.fpConvert64to32(cpu, lo, hi);
  const savedFpcr = cpu.fpcr, savedIxc = cpu.fpsr & IXC;
  cpu.fpcr = (cpu.fpcr & ~(3 << 22)) | (RZ << 22);
  cpu.fpsr &= ~IXC;
  let r = fp.fpConvert64to32(cpu, lo, hi);
  cpu.fpcr = savedFpcr;
  if (cpu.fpsr & IXC) r |= 1;
  cpu.fpsr |= savedIxc;
  return r;
}

// ---------------------------------------------------------------- operation tables

interface FpOp { mn: string; f32: F32; f64: F64; pairwise?: boolean; scalar?: boolean }

const abs32 = (a: number) => a & 0x7fffffff;

/** Three same, keyed by U:a:opcode<2:0> (opcode<4:3> = 11). */
const threeSame: Record<number, FpOp> = {
  0b0_0_000: { mn: "fmaxnm", f32: (c, a, b) => fp.fpMaxNum32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMaxNum64(c, al, ah, bl, bh) },
  0b0_0_001: { mn: "fmla", f32: (c, a, b, d) => fp.fpMulAdd32(c, d, a, b), f64: (c, al, ah, bl, bh, dl, dh) => fp.fpMulAdd64(c, dl, dh, al, ah, bl, bh) },
  0b0_0_010: { mn: "fadd", f32: (c, a, b) => fp.fpAdd32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpAdd64(c, al, ah, bl, bh) },
  0b0_0_011: { mn: "fmulx", f32: fmulx32, f64: fmulx64, scalar: true },
  0b0_0_100: { mn: "fcmeq", f32: cmpEq32, f64: cmpEq64, scalar: true },
  0b0_0_110: { mn: "fmax", f32: (c, a, b) => fp.fpMax32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMax64(c, al, ah, bl, bh) },
  0b0_0_111: { mn: "frecps", f32: frecps32, f64: frecps64, scalar: true },
  0b0_1_000: { mn: "fminnm", f32: (c, a, b) => fp.fpMinNum32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMinNum64(c, al, ah, bl, bh) },
  0b0_1_001: {
    mn: "fmls", f32: (c, a, b, d) => fp.fpMulAdd32(c, d, a ^ 0x80000000, b),
    f64: (c, al, ah, bl, bh, dl, dh) => fp.fpMulAdd64(c, dl, dh, al, ah ^ 0x80000000, bl, bh),
  },
  0b0_1_010: { mn: "fsub", f32: (c, a, b) => fp.fpSub32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpSub64(c, al, ah, bl, bh) },
  0b0_1_110: { mn: "fmin", f32: (c, a, b) => fp.fpMin32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMin64(c, al, ah, bl, bh) },
  0b0_1_111: { mn: "frsqrts", f32: frsqrts32, f64: frsqrts64, scalar: true },
  0b1_0_000: { mn: "fmaxnmp", pairwise: true, f32: (c, a, b) => fp.fpMaxNum32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMaxNum64(c, al, ah, bl, bh) },
  0b1_0_010: { mn: "faddp", pairwise: true, f32: (c, a, b) => fp.fpAdd32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpAdd64(c, al, ah, bl, bh) },
  0b1_0_011: { mn: "fmul", f32: (c, a, b) => fp.fpMul32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMul64(c, al, ah, bl, bh) },
  0b1_0_100: { mn: "fcmge", f32: cmpGe32, f64: cmpGe64, scalar: true },
  0b1_0_101: {
    mn: "facge", scalar: true, f32: (c, a, b) => cmpGe32(c, abs32(a), abs32(b), 0),
    f64: (c, al, ah, bl, bh) => cmpGe64(c, al, ah & 0x7fffffff, bl, bh & 0x7fffffff, 0, 0),
  },
  0b1_0_110: { mn: "fmaxp", pairwise: true, f32: (c, a, b) => fp.fpMax32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMax64(c, al, ah, bl, bh) },
  0b1_0_111: { mn: "fdiv", f32: (c, a, b) => fp.fpDiv32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpDiv64(c, al, ah, bl, bh) },
  0b1_1_000: { mn: "fminnmp", pairwise: true, f32: (c, a, b) => fp.fpMinNum32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMinNum64(c, al, ah, bl, bh) },
  0b1_1_010: {
    mn: "fabd", scalar: true, f32: (c, a, b) => fp.fpSub32(c, a, b) & 0x7fffffff,
    f64: (c, al, ah, bl, bh) => { const lo = fp.fpSub64(c, al, ah, bl, bh); fp64Out.hi &= 0x7fffffff; return lo; },
  },
  0b1_1_100: { mn: "fcmgt", f32: cmpGt32, f64: cmpGt64, scalar: true },
  0b1_1_101: {
    mn: "facgt", scalar: true, f32: (c, a, b) => cmpGt32(c, abs32(a), abs32(b), 0),
    f64: (c, al, ah, bl, bh) => cmpGt64(c, al, ah & 0x7fffffff, bl, bh & 0x7fffffff, 0, 0),
  },
  0b1_1_110: { mn: "fminp", pairwise: true, f32: (c, a, b) => fp.fpMin32(c, a, b), f64: (c, al, ah, bl, bh) => fp.fpMin64(c, al, ah, bl, bh) },
};

/** Element-wise exec: Vd[i] = f(Vn[i], Vm[i], Vd[i]) on 32- or 64-bit lanes. */
function execF(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4, L = d.lanes;
  if (d.dbl) {
    const f = d.f64 as F64;
    for (let i = 0; i < L; i++) {
      const k = 2 * i;
      const lo = f(cpu, v[n + k], v[n + k + 1], v[m + k], v[m + k + 1], v[o + k], v[o + k + 1]);
      v[o + k] = lo; v[o + k + 1] = fp64Out.hi;
    }
  } else {
    const f = d.f32 as F32;
    for (let i = 0; i < L; i++) v[o + i] = f(cpu, v[n + i], v[m + i], v[o + i]);
  }
  clearAbove(cpu, d.rd, d.clear);
}

/** Three-same double-precision forms with a host-double exec (execFD), by mnemonic. */
const FD_OPS: Record<string, number> = { fmla: 0, fmls: 1, fadd: 2, fsub: 3, fmul: 4 };

/**
 * FMLA/FMLS/FADD/FSUB/FMUL on 64-bit lanes (vector .2d and scalar d): fpcore's host-double
 * fast paths on the Float64Array view; a lane they do not cover takes the lane's bit-exact
 * function (FPSR flags accumulate by OR, so the order of lanes does not matter). Lane i of Vd
 * depends only on lane i of Vn, Vm and Vd, so writing lane 0 before reading lane 1 is safe.
 */
function execFD(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const f = cpu.vf64, n = d.rn * 2, m = d.rm * 2, o = d.rd * 2, L = d.lanes, k = d.fop;
  for (let i = 0; i < L; i++) {
    let ok: boolean;
    switch (k) {
      case 0: ok = fp.fpMulAdd64v(cpu, f, o + i, o + i, n + i, m + i, false, false); break;
      case 1: ok = fp.fpMulAdd64v(cpu, f, o + i, o + i, n + i, m + i, false, true); break;
      case 2: ok = fp.fpAdd64v(cpu, f, o + i, n + i, m + i, false); break;
      case 3: ok = fp.fpAdd64v(cpu, f, o + i, n + i, m + i, true); break;
      default: ok = fp.fpMul64v(cpu, f, o + i, n + i, m + i, false); break;
    }
    if (ok) continue;
    const v = cpu.v32, j = 2 * i;
    const lo = (d.f64 as F64)(cpu, v[2 * n + j], v[2 * n + j + 1], v[2 * m + j], v[2 * m + j + 1], v[2 * o + j], v[2 * o + j + 1]);
    v[2 * o + j] = lo; v[2 * o + j + 1] = fp64Out.hi;
  }
  clearAbove(cpu, d.rd, d.clear);
}

/** FMLA/FMLS/FADD/FSUB/FMUL on 32-bit lanes: as execFD, on the Float32Array view. */
function execFS(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const f = cpu.vf32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4, L = d.lanes, k = d.fop;
  for (let i = 0; i < L; i++) {
    let ok: boolean;
    switch (k) {
      case 0: ok = fp.fpMulAdd32v(cpu, f, o + i, o + i, n + i, m + i, false); break;
      case 1: ok = fp.fpMulAdd32v(cpu, f, o + i, o + i, n + i, m + i, true); break;
      case 2: ok = fp.fpAdd32v(cpu, f, o + i, n + i, m + i, false); break;
      case 3: ok = fp.fpAdd32v(cpu, f, o + i, n + i, m + i, true); break;
      default: ok = fp.fpMul32v(cpu, f, o + i, n + i, m + i); break;
    }
    if (!ok) { const v = cpu.v32; v[o + i] = (d.f32 as F32)(cpu, v[n + i], v[m + i], v[o + i]); }
  }
  clearAbove(cpu, d.rd, d.clear);
}

const pairBuf = new Int32Array(8);

/** Pairwise: result lane i = f(pair i of Vn:Vm). */
function execFPair(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4, W = d.Q ? 4 : 2;
  for (let i = 0; i < W; i++) { pairBuf[i] = v[n + i]; pairBuf[W + i] = v[m + i]; }
  if (d.dbl) {
    const f = d.f64 as F64;
    for (let i = 0; i < 2; i++) {
      const lo = f(cpu, pairBuf[4 * i], pairBuf[4 * i + 1], pairBuf[4 * i + 2], pairBuf[4 * i + 3], 0, 0);
      v[o + 2 * i] = lo; v[o + 2 * i + 1] = fp64Out.hi;
    }
  } else {
    const f = d.f32 as F32;
    for (let i = 0; i < W; i++) v[o + i] = f(cpu, pairBuf[2 * i], pairBuf[2 * i + 1], 0);
  }
  clearAbove(cpu, d.rd, d.clear);
}

function fsz(d: Decoded): string { return d.sz ? "d" : "s"; }

function threeSameDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [key, op] of Object.entries(threeSame)) {
    const k = Number(key), u = k >> 4, a = (k >> 3) & 1, opc = (k & 7).toString(2).padStart(3, "0");
    defs.push({
      name: `${op.mn.toUpperCase()}_vec`,
      pattern: `0 Q:1 ${u} 01110 ${a} sz:1 1 rm:5 11${opc} 1 rn:5 rd:5`,
      guard: (d) => !(d.sz === 1 && d.Q === 0),
      prepare: (d) => {
        d.dbl = d.sz === 1; d.f32 = op.f32; d.f64 = op.f64;
        d.lanes = d.dbl ? 2 : d.Q ? 4 : 2; d.clear = d.Q ? 16 : 8;
        if (op.pairwise) d.exec = execFPair;
        else if (FD_OPS[op.mn] !== undefined) { d.fop = FD_OPS[op.mn]; d.exec = d.dbl ? execFD : execFS; }
      },
      exec: execF,
      disasm: (d) => `${op.mn}\t${vr(d.rd, 2 + d.sz, d.Q)}, ${vr(d.rn, 2 + d.sz, d.Q)}, ${vr(d.rm, 2 + d.sz, d.Q)}`,
    });
    if (op.scalar) defs.push({
      name: `${op.mn.toUpperCase()}_scalar`,
      pattern: `01 ${u} 11110 ${a} sz:1 1 rm:5 11${opc} 1 rn:5 rd:5`,
      prepare: (d) => {
        d.dbl = d.sz === 1; d.f32 = op.f32; d.f64 = op.f64; d.lanes = 1; d.clear = d.dbl ? 8 : 4;
        if (d.dbl && FD_OPS[op.mn] !== undefined) { d.fop = FD_OPS[op.mn]; d.exec = execFD; }
      },
      exec: execF,
      disasm: (d) => `${op.mn}\t${fsz(d)}${d.rd}, ${fsz(d)}${d.rn}, ${fsz(d)}${d.rm}`,
    });
  }
  // Scalar pairwise: FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP Vd = op(Vn[0], Vn[1]).
  const scalarPair: [string, number, number, FpOp][] = [
    ["faddp", 0, 0b01101, threeSame[0b1_0_010]], ["fmaxp", 0, 0b01111, threeSame[0b1_0_110]],
    ["fminp", 1, 0b01111, threeSame[0b1_1_110]], ["fmaxnmp", 0, 0b01100, threeSame[0b1_0_000]],
    ["fminnmp", 1, 0b01100, threeSame[0b1_1_000]],
  ];
  for (const [mn, a, opcode, op] of scalarPair) {
    defs.push({
      name: `${mn.toUpperCase()}_scalar`,
      pattern: `01 1 11110 ${a} sz:1 11000 ${opcode.toString(2).padStart(5, "0")} 10 rn:5 rd:5`,
      exec: (cpu, d) => {
        if (!cpu.fpEnabled) cpu.fpTrap();
        const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
        if (d.sz) {
          const lo = op.f64(cpu, v[n], v[n + 1], v[n + 2], v[n + 3], 0, 0);
          v[o] = lo; v[o + 1] = fp64Out.hi; v[o + 2] = 0; v[o + 3] = 0;
        } else {
          const r = op.f32(cpu, v[n], v[n + 1], 0);
          v[o] = r; v[o + 1] = 0; v[o + 2] = 0; v[o + 3] = 0;
        }
      },
      disasm: (d) => `${mn}\t${fsz(d)}${d.rd}, v${d.rn}.2${fsz(d)}`,
    });
  }
  return defs;
}

// ---------------------------------------------------------------- two-register misc

const ZERO = 0;

function cvtOp(mn: string, rounding: number, unsigned: boolean): FpOp {
  return {
    mn, scalar: true,
    f32: (c, a) => fp.fpToFixed32(c, a, 0, unsigned, rounding < 0 ? fp.fpcrRounding(c) : rounding, 32),
    f64: (c, lo, hi) => fp.fpToFixed64(c, lo, hi, 0, unsigned, rounding < 0 ? fp.fpcrRounding(c) : rounding, 64),
  };
}

function rintOp(mn: string, rounding: number, exact: boolean): FpOp {
  return {
    mn,
    f32: (c, a) => fp.fpRoundInt32(c, a, rounding < 0 ? fp.fpcrRounding(c) : rounding, exact),
    f64: (c, lo, hi) => fp.fpRoundInt64(c, lo, hi, rounding < 0 ? fp.fpcrRounding(c) : rounding, exact),
  };
}

/** Two-register misc, keyed by U:a:opcode (5 bits). */
const misc: Record<number, FpOp & { zero?: boolean; intIn?: boolean; noDouble?: boolean }> = {
  0b0_0_11000: rintOp("frintn", RN, false),
  0b0_0_11001: rintOp("frintm", RM, false),
  0b0_0_11010: cvtOp("fcvtns", RN, false),
  0b0_0_11011: cvtOp("fcvtms", RM, false),
  0b0_0_11100: cvtOp("fcvtas", RA, false),
  0b0_0_11101: {
    mn: "scvtf", scalar: true, intIn: true,
    f32: (c, a) => fp.fixedToFp32(c, a, 0, 32, false, 0, fp.fpcrRounding(c)),
    f64: (c, lo, hi) => fp.fixedToFp64(c, lo, hi, 64, false, 0, fp.fpcrRounding(c)),
  },
  0b0_1_01100: { mn: "fcmgt", scalar: true, zero: true, f32: (c, a) => cmpGt32(c, a, ZERO, 0), f64: (c, lo, hi) => cmpGt64(c, lo, hi, 0, 0, 0, 0) },
  0b0_1_01101: { mn: "fcmeq", scalar: true, zero: true, f32: (c, a) => cmpEq32(c, a, ZERO, 0), f64: (c, lo, hi) => cmpEq64(c, lo, hi, 0, 0, 0, 0) },
  0b0_1_01110: { mn: "fcmlt", scalar: true, zero: true, f32: (c, a) => cmpGt32(c, ZERO, a, 0), f64: (c, lo, hi) => cmpGt64(c, 0, 0, lo, hi, 0, 0) },
  0b0_1_01111: { mn: "fabs", f32: (_c, a) => a & 0x7fffffff, f64: (_c, lo, hi) => r64(lo, hi & 0x7fffffff) },
  0b0_1_11000: rintOp("frintp", RP, false),
  0b0_1_11001: rintOp("frintz", RZ, false),
  0b0_1_11010: cvtOp("fcvtps", RP, false),
  0b0_1_11011: cvtOp("fcvtzs", RZ, false),
  0b0_1_11100: { mn: "urecpe", noDouble: true, intIn: true, f32: urecpe, f64: () => 0 },
  0b0_1_11101: { mn: "frecpe", scalar: true, f32: frecpe32, f64: frecpe64 },
  0b1_0_11000: rintOp("frinta", RA, false),
  0b1_0_11001: rintOp("frintx", -1, true),
  0b1_0_11010: cvtOp("fcvtnu", RN, true),
  0b1_0_11011: cvtOp("fcvtmu", RM, true),
  0b1_0_11100: cvtOp("fcvtau", RA, true),
  0b1_0_11101: {
    mn: "ucvtf", scalar: true, intIn: true,
    f32: (c, a) => fp.fixedToFp32(c, a, 0, 32, true, 0, fp.fpcrRounding(c)),
    f64: (c, lo, hi) => fp.fixedToFp64(c, lo, hi, 64, true, 0, fp.fpcrRounding(c)),
  },
  0b1_1_01100: { mn: "fcmge", scalar: true, zero: true, f32: (c, a) => cmpGe32(c, a, ZERO, 0), f64: (c, lo, hi) => cmpGe64(c, lo, hi, 0, 0, 0, 0) },
  0b1_1_01101: { mn: "fcmle", scalar: true, zero: true, f32: (c, a) => cmpGe32(c, ZERO, a, 0), f64: (c, lo, hi) => cmpGe64(c, 0, 0, lo, hi, 0, 0) },
  0b1_1_01111: { mn: "fneg", f32: (_c, a) => a ^ 0x80000000, f64: (_c, lo, hi) => r64(lo, hi ^ 0x80000000) },
  0b1_1_11001: rintOp("frinti", -1, false),
  0b1_1_11010: cvtOp("fcvtpu", RP, true),
  0b1_1_11011: cvtOp("fcvtzu", RZ, true),
  0b1_1_11100: { mn: "ursqrte", noDouble: true, intIn: true, f32: ursqrte, f64: () => 0 },
  0b1_1_11101: { mn: "frsqrte", scalar: true, f32: frsqrte32, f64: frsqrte64 },
  0b1_1_11111: { mn: "fsqrt", f32: (c, a) => fp.fpSqrt32(c, a), f64: (c, lo, hi) => fp.fpSqrt64(c, lo, hi) },
};

function miscDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [key, op] of Object.entries(misc)) {
    const k = Number(key), u = k >> 6, a = (k >> 5) & 1, opc = (k & 31).toString(2).padStart(5, "0");
    const zs = op.zero ? ", #0.0" : "";
    defs.push({
      name: `${op.mn.toUpperCase()}_misc_vec`,
      pattern: `0 Q:1 ${u} 01110 ${a} sz:1 10000 ${opc} 10 rn:5 rd:5`,
      guard: (d) => !(d.sz === 1 && (d.Q === 0 || op.noDouble)),
      prepare: (d) => {
        d.dbl = d.sz === 1; d.f32 = op.f32; d.f64 = op.f64; d.rm = d.rn;
        d.lanes = d.dbl ? 2 : d.Q ? 4 : 2; d.clear = d.Q ? 16 : 8;
      },
      exec: execF,
      disasm: (d) => `${op.mn}\t${vr(d.rd, 2 + d.sz, d.Q)}, ${vr(d.rn, 2 + d.sz, d.Q)}${zs}`,
    });
    if (op.scalar) defs.push({
      name: `${op.mn.toUpperCase()}_misc_scalar`,
      pattern: `01 ${u} 11110 ${a} sz:1 10000 ${opc} 10 rn:5 rd:5`,
      prepare: (d) => { d.dbl = d.sz === 1; d.f32 = op.f32; d.f64 = op.f64; d.rm = d.rn; d.lanes = 1; d.clear = d.dbl ? 8 : 4; },
      exec: execF,
      disasm: (d) => `${op.mn}\t${fsz(d)}${d.rd}, ${fsz(d)}${d.rn}${zs}`,
    });
  }
  defs.push({
    name: "FRECPX_scalar", pattern: "01 0 11110 1 sz:1 10000 11111 10 rn:5 rd:5",
    prepare: (d) => { d.dbl = d.sz === 1; d.f32 = frecpx32; d.f64 = frecpx64; d.rm = d.rn; d.lanes = 1; d.clear = d.dbl ? 8 : 4; },
    exec: execF,
    disasm: (d) => `frecpx\t${fsz(d)}${d.rd}, ${fsz(d)}${d.rn}`,
  });
  return defs;
}

// ---- FCVTL/FCVTN/FCVTXN: precision-changing

const cvtBuf = new Int32Array(4);

const cvtDefs: InsnDef[] = [
  {
    // FCVTL/FCVTL2: half -> single (sz=0) or single -> double (sz=1) from the low/high half.
    name: "FCVTL", pattern: "0 Q:1 0 01110 0 sz:1 10000 10111 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, o = d.rd * 4;
      if (d.sz) {
        const base = d.rn * 4 + (d.Q ? 2 : 0);
        cvtBuf[0] = v[base]; cvtBuf[1] = v[base + 1];
        for (let i = 0; i < 2; i++) { const lo = fp.fpConvert32to64(cpu, cvtBuf[i]); v[o + 2 * i] = lo; v[o + 2 * i + 1] = fp64Out.hi; }
      } else {
        const base = d.rn * 8 + (d.Q ? 4 : 0);
        for (let i = 0; i < 4; i++) cvtBuf[i] = cpu.v16[base + i];
        for (let i = 0; i < 4; i++) v[o + i] = fp.fpConvert16to32(cpu, cvtBuf[i]);
      }
    },
    disasm: (d) => `fcvtl${d.Q ? "2" : ""}\t${vr(d.rd, 2 + d.sz, 1)}, ${vr(d.rn, 1 + d.sz, d.Q)}`,
  },
  {
    name: "FCVTN", pattern: "0 Q:1 0 01110 0 sz:1 10000 10110 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, n = d.rn * 4;
      if (d.sz) {
        for (let i = 0; i < 2; i++) cvtBuf[i] = fp.fpConvert64to32(cpu, v[n + 2 * i], v[n + 2 * i + 1]);
        const o = d.rd * 4 + (d.Q ? 2 : 0);
        v[o] = cvtBuf[0]; v[o + 1] = cvtBuf[1];
      } else {
        for (let i = 0; i < 4; i++) cvtBuf[i] = fp.fpConvert32to16(cpu, v[n + i]);
        const o = d.rd * 8 + (d.Q ? 4 : 0);
        for (let i = 0; i < 4; i++) cpu.v16[o + i] = cvtBuf[i];
      }
      if (!d.Q) clearAbove(cpu, d.rd, 8);
    },
    disasm: (d) => `fcvtn${d.Q ? "2" : ""}\t${vr(d.rd, 1 + d.sz, d.Q)}, ${vr(d.rn, 2 + d.sz, 1)}`,
  },
  {
    name: "FCVTXN", pattern: "0 Q:1 1 01110 0 1 10000 10110 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, n = d.rn * 4;
      for (let i = 0; i < 2; i++) cvtBuf[i] = fcvtxn(cpu, v[n + 2 * i], v[n + 2 * i + 1]);
      const o = d.rd * 4 + (d.Q ? 2 : 0);
      v[o] = cvtBuf[0]; v[o + 1] = cvtBuf[1];
      if (!d.Q) clearAbove(cpu, d.rd, 8);
    },
    disasm: (d) => `fcvtxn${d.Q ? "2" : ""}\t${vr(d.rd, 2, d.Q)}, ${vr(d.rn, 3, 1)}`,
  },
  {
    name: "FCVTXN_scalar", pattern: "01 1 11110 0 1 10000 10110 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, o = d.rd * 4;
      const r = fcvtxn(cpu, v[d.rn * 4], v[d.rn * 4 + 1]);
      v[o] = r; v[o + 1] = 0; v[o + 2] = 0; v[o + 3] = 0;
    },
    disasm: (d) => `fcvtxn\ts${d.rd}, d${d.rn}`,
  },
];

// ---------------------------------------------------------------- across lanes (4s only)

const acrossDefs: InsnDef[] = ([
  ["fmaxnmv", 0, "01100", threeSame[0b0_0_000]], ["fminnmv", 1, "01100", threeSame[0b0_1_000]],
  ["fmaxv", 0, "01111", threeSame[0b0_0_110]], ["fminv", 1, "01111", threeSame[0b0_1_110]],
] as [string, number, string, FpOp][]).map(([mn, a, opc, op]) => ({
  name: mn.toUpperCase(),
  pattern: `0 1 1 01110 ${a} 0 11000 ${opc} 10 rn:5 rd:5`,
  exec: (cpu: Cpu, d: Decoded) => {
    if (!cpu.fpEnabled) cpu.fpTrap();
    // Reduce() pairs adjacent halves: op(op(e0, e1), op(e2, e3)).
    const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
    const x = op.f32(cpu, v[n], v[n + 1], 0), y = op.f32(cpu, v[n + 2], v[n + 3], 0);
    const r = op.f32(cpu, x, y, 0);
    v[o] = r; v[o + 1] = 0; v[o + 2] = 0; v[o + 3] = 0;
  },
  disasm: (d: Decoded) => `${mn}\ts${d.rd}, v${d.rn}.4s`,
}));

// ---------------------------------------------------------------- by element

const elemOps: [string, number, string, FpOp][] = [
  ["fmla", 0, "0001", threeSame[0b0_0_001]],
  ["fmls", 0, "0101", threeSame[0b0_1_001]],
  ["fmul", 0, "1001", threeSame[0b1_0_011]],
  ["fmulx", 1, "1001", threeSame[0b0_0_011]],
];

function execFElem(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4, o = d.rd * 4, L = d.lanes;
  if (d.dbl) {
    const f = d.f64 as F64, bl = v[d.rmx * 4 + 2 * d.index], bh = v[d.rmx * 4 + 2 * d.index + 1];
    for (let i = 0; i < L; i++) {
      const k = 2 * i;
      const lo = f(cpu, v[n + k], v[n + k + 1], bl, bh, v[o + k], v[o + k + 1]);
      v[o + k] = lo; v[o + k + 1] = fp64Out.hi;
    }
  } else {
    const f = d.f32 as F32, b = v[d.rmx * 4 + d.index];
    for (let i = 0; i < L; i++) v[o + i] = f(cpu, v[n + i], b, v[o + i]);
  }
  clearAbove(cpu, d.rd, d.clear);
}

function elemDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [mn, u, opc, op] of elemOps) {
    const prep = (d: Decoded, scalar: boolean) => {
      d.dbl = d.sz === 1; d.f32 = op.f32; d.f64 = op.f64;
      d.index = d.sz ? d.H : (d.H << 1) | d.L;
      d.rmx = (d.M << 4) | d.rm;
      d.lanes = scalar ? 1 : d.dbl ? 2 : d.Q ? 4 : 2;
      d.clear = scalar ? (d.dbl ? 8 : 4) : d.Q ? 16 : 8;
    };
    const el = (d: Decoded) => `v${d.rmx}.${fsz(d)}[${d.index}]`;
    defs.push({
      name: `${mn.toUpperCase()}_elem_fp`,
      pattern: `0 Q:1 ${u} 01111 1 sz:1 L:1 M:1 rm:4 ${opc} H:1 0 rn:5 rd:5`,
      guard: (d) => !(d.sz === 1 && (d.L === 1 || d.Q === 0)),
      prepare: (d) => prep(d, false),
      exec: execFElem,
      disasm: (d) => `${mn}\t${vr(d.rd, 2 + d.sz, d.Q)}, ${vr(d.rn, 2 + d.sz, d.Q)}, ${el(d)}`,
    });
    defs.push({
      name: `${mn.toUpperCase()}_elem_fp_scalar`,
      pattern: `01 ${u} 11111 1 sz:1 L:1 M:1 rm:4 ${opc} H:1 0 rn:5 rd:5`,
      guard: (d) => !(d.sz === 1 && d.L === 1),
      prepare: (d) => prep(d, true),
      exec: execFElem,
      disasm: (d) => `${mn}\t${fsz(d)}${d.rd}, ${fsz(d)}${d.rn}, ${el(d)}`,
    });
  }
  return defs;
}

// ---------------------------------------------------------------- fixed-point conversions (shift by immediate)

function fixedDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  const ops: [string, number, string, boolean, boolean][] = [
    ["scvtf", 0, "11100", false, true], ["ucvtf", 1, "11100", true, true],
    ["fcvtzs", 0, "11111", false, false], ["fcvtzu", 1, "11111", true, false],
  ];
  for (const [mn, u, opc, unsigned, toFp] of ops) {
    const f32: F32 = toFp
      ? (c, a, fb) => fp.fixedToFp32(c, a, 0, 32, unsigned, fb, fp.fpcrRounding(c))
      : (c, a, fb) => fp.fpToFixed32(c, a, fb, unsigned, RZ, 32);
    const f64: F64 = toFp
      ? (c, lo, hi, fb) => fp.fixedToFp64(c, lo, hi, 64, unsigned, fb, fp.fpcrRounding(c))
      : (c, lo, hi, fb) => fp.fpToFixed64(c, lo, hi, fb, unsigned, RZ, 64);
    const exec = (cpu: Cpu, d: Decoded) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, n = d.rn * 4, o = d.rd * 4, L = d.lanes, fb = d.fbits;
      if (d.dbl) {
        for (let i = 0; i < L; i++) {
          const lo = f64(cpu, v[n + 2 * i], v[n + 2 * i + 1], fb, 0, 0, 0);
          v[o + 2 * i] = lo; v[o + 2 * i + 1] = fp64Out.hi;
        }
      } else for (let i = 0; i < L; i++) v[o + i] = f32(cpu, v[n + i], fb, 0);
      clearAbove(cpu, d.rd, d.clear);
    };
    // immh = 01xx: single (fbits = 64 - immh:immb); 1xxx: double (128 - immh:immb).
    const prep = (d: Decoded, scalar: boolean) => {
      d.dbl = d.immh >= 8;
      d.fbits = (d.dbl ? 128 : 64) - ((d.immh << 3) | d.immb);
      d.lanes = scalar ? 1 : d.dbl ? 2 : d.Q ? 4 : 2;
      d.clear = scalar ? (d.dbl ? 8 : 4) : d.Q ? 16 : 8;
    };
    defs.push({
      name: `${mn.toUpperCase()}_fixed`,
      pattern: `0 Q:1 ${u} 011110 immh:4 immb:3 ${opc} 1 rn:5 rd:5`,
      guard: (d) => d.immh >= 4 && !(d.immh >= 8 && d.Q === 0),
      prepare: (d) => prep(d, false),
      exec,
      disasm: (d) => `${mn}\t${vr(d.rd, d.dbl ? 3 : 2, d.Q)}, ${vr(d.rn, d.dbl ? 3 : 2, d.Q)}, #${d.fbits}`,
    });
    defs.push({
      name: `${mn.toUpperCase()}_fixed_scalar`,
      pattern: `01 ${u} 111110 immh:4 immb:3 ${opc} 1 rn:5 rd:5`,
      guard: (d) => d.immh >= 4,
      prepare: (d) => prep(d, true),
      exec,
      disasm: (d) => `${mn}\t${sr(d.rd, d.dbl ? 3 : 2)}, ${sr(d.rn, d.dbl ? 3 : 2)}, #${d.fbits}`,
    });
  }
  return defs;
}

export const simdFpGroup: InsnDef[] = [
  ...threeSameDefs(),
  ...miscDefs(),
  ...cvtDefs,
  ...acrossDefs,
  ...elemDefs(),
  ...fixedDefs(),
];
