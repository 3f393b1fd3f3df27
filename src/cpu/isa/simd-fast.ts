/**
 * Specialised exec functions for the Advanced SIMD forms that dominate compiled loops and the
 * C library's string and memory routines (ADD/SUB, compares, pairwise max/min/add, CNT, SHRN,
 * widening multiplies). Each is a direct typed-array loop with no per-lane calls; the generic
 * lane-function paths in simd-int.ts and simd-shift.ts define the same semantics and remain the
 * reference (the differential tests run both through the same decoder).
 */
import type { Cpu } from "../cpu.js";
import type { Decoded } from "./table.js";

function clearHigh(cpu: Cpu, d: Decoded): void {
  if (d.clear !== 16) {
    const v = cpu.v32, o = d.rd * 4;
    if (d.clear === 8) { v[o + 2] = 0; v[o + 3] = 0; } else cpu.v8.fill(0, d.rd * 16 + d.clear, d.rd * 16 + 16);
  }
}

/** ADD (vector), 8/16/32-bit lanes. */
export function execAddVec(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes;
  switch (d.esize) {
    case 8: { const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16; for (let i = 0; i < L; i++) v[o + i] = v[n + i] + v[m + i]; break; }
    case 16: { const v = cpu.v16, n = d.rn * 8, m = d.rm * 8, o = d.rd * 8; for (let i = 0; i < L; i++) v[o + i] = v[n + i] + v[m + i]; break; }
    default: { const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4; for (let i = 0; i < L; i++) v[o + i] = v[n + i] + v[m + i]; }
  }
  clearHigh(cpu, d);
}

/** SUB (vector), 8/16/32-bit lanes. */
export function execSubVec(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes;
  switch (d.esize) {
    case 8: { const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16; for (let i = 0; i < L; i++) v[o + i] = v[n + i] - v[m + i]; break; }
    case 16: { const v = cpu.v16, n = d.rn * 8, m = d.rm * 8, o = d.rd * 8; for (let i = 0; i < L; i++) v[o + i] = v[n + i] - v[m + i]; break; }
    default: { const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4; for (let i = 0; i < L; i++) v[o + i] = v[n + i] - v[m + i]; }
  }
  clearHigh(cpu, d);
}

/** Compare kinds: register forms and compare-with-zero forms share one numbering. */
export const enum Cmp { Eq, Gt, Ge, Hi, Hs, Tst, GtZ, EqZ, LtZ, GeZ, LeZ }

/** The compare `kind` on signed (a, b) and unsigned (ua, ub) views of the same lanes. */
function test(kind: number, a: number, b: number, ua: number, ub: number): boolean {
  switch (kind) {
    case Cmp.Eq: return ua === ub;
    case Cmp.Gt: return a > b;
    case Cmp.Ge: return a >= b;
    case Cmp.Hi: return ua > ub;
    case Cmp.Hs: return ua >= ub;
    case Cmp.Tst: return (ua & ub) !== 0;
    case Cmp.GtZ: return a > 0;
    case Cmp.EqZ: return ua === 0;
    case Cmp.LtZ: return a < 0;
    case Cmp.GeZ: return a >= 0;
    default: return a <= 0;
  }
}

/** CMEQ/CMGT/CMGE/CMHI/CMHS/CMTST and the #0 forms, 8/16/32-bit lanes. */
export function execCmpVec(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, k = d.cmp;
  switch (d.esize) {
    case 8: {
      const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16;
      if (k === Cmp.Eq) { for (let i = 0; i < L; i++) v[o + i] = v[n + i] === v[m + i] ? 0xff : 0; break; }
      if (k === Cmp.EqZ) { for (let i = 0; i < L; i++) v[o + i] = v[n + i] === 0 ? 0xff : 0; break; }
      for (let i = 0; i < L; i++) {
        const ua = v[n + i], ub = v[m + i];
        v[o + i] = test(k, (ua << 24) >> 24, (ub << 24) >> 24, ua, ub) ? 0xff : 0;
      }
      break;
    }
    case 16: {
      const v = cpu.v16, n = d.rn * 8, m = d.rm * 8, o = d.rd * 8;
      for (let i = 0; i < L; i++) {
        const ua = v[n + i], ub = v[m + i];
        v[o + i] = test(k, (ua << 16) >> 16, (ub << 16) >> 16, ua, ub) ? 0xffff : 0;
      }
      break;
    }
    default: {
      const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4;
      for (let i = 0; i < L; i++) {
        const a = v[n + i], b = v[m + i];
        v[o + i] = test(k, a, b, a >>> 0, b >>> 0) ? -1 : 0;
      }
    }
  }
  clearHigh(cpu, d);
}

const pairTmp = new Int32Array(32);

/** ADDP/UMAXP/UMINP/SMAXP/SMINP (vector) on 8/16/32-bit lanes. kind: 0 add, 1 max, 2 min. */
export function execPairVec(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, kind = d.pairKind, sgn = d.sgn;
  const e = d.esize, sh = 32 - e;
  let src: Uint8Array | Uint16Array | Int32Array, n: number, m: number;
  switch (e) {
    case 8: src = cpu.v8; n = d.rn * 16; m = d.rm * 16; break;
    case 16: src = cpu.v16; n = d.rn * 8; m = d.rm * 8; break;
    default: src = cpu.v32; n = d.rn * 4; m = d.rm * 4;
  }
  for (let i = 0; i < L; i++) { pairTmp[i] = src[n + i]; pairTmp[L + i] = src[m + i]; }
  const o = d.rd * (16 / (e / 8));
  for (let i = 0; i < L; i++) {
    let a = pairTmp[2 * i], b = pairTmp[2 * i + 1];
    if (kind === 0) { src[o + i] = a + b; continue; }
    if (sgn) { a = (a << sh) >> sh; b = (b << sh) >> sh; } else if (e === 32) { a >>>= 0; b >>>= 0; }
    src[o + i] = kind === 1 ? (a > b ? a : b) : (a < b ? a : b);
  }
  clearHigh(cpu, d);
}

/** ADDP .2d. */
export function execAddp2d(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4;
  const n0 = v[n], n1 = v[n + 1], n2 = v[n + 2], n3 = v[n + 3];
  const m0 = v[m], m1 = v[m + 1], m2 = v[m + 2], m3 = v[m + 3];
  let lo = (n0 >>> 0) + (n2 >>> 0);
  v[o] = lo; v[o + 1] = (n1 + n3 + (lo > 0xffffffff ? 1 : 0)) | 0;
  lo = (m0 >>> 0) + (m2 >>> 0);
  v[o + 2] = lo; v[o + 3] = (m1 + m3 + (lo > 0xffffffff ? 1 : 0)) | 0;
}

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1];

/** CNT (vector). */
export function execCnt(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v8, n = d.rn * 16, o = d.rd * 16, L = d.lanes;
  for (let i = 0; i < L; i++) v[o + i] = POP8[v[n + i]];
  clearHigh(cpu, d);
}

const narrowTmp = new Int32Array(8);

/** SHRN/RSHRN (no saturation) from 16- or 32-bit source lanes. */
export function execShrn(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, s = d.shift, L = 64 / e, base = d.Q ? L : 0;
  if (e === 8) {
    const src = cpu.v16, n = d.rn * 8, r = d.round ? 1 << (s - 1) : 0;
    for (let i = 0; i < L; i++) narrowTmp[i] = (src[n + i] + r) >>> s;
    const dst = cpu.v8, o = d.rd * 16 + base;
    for (let i = 0; i < L; i++) dst[o + i] = narrowTmp[i];
  } else {
    const src = cpu.v32, n = d.rn * 4, r = d.round ? 2 ** (s - 1) : 0, div = 2 ** s;
    for (let i = 0; i < L; i++) narrowTmp[i] = Math.floor(((src[n + i] >>> 0) + r) / div);
    const dst = cpu.v16, o = d.rd * 8 + base;
    for (let i = 0; i < L; i++) dst[o + i] = narrowTmp[i];
  }
  if (!d.Q) { cpu.v32[d.rd * 4 + 2] = 0; cpu.v32[d.rd * 4 + 3] = 0; }
}

/** Exact 32x32 -> 64-bit product into (mulLo, mulHi). */
const mulOut = new Int32Array(2);
function mul32x32(a: number, b: number, signed: boolean): void {
  // Unsigned 16-bit partial products are exact doubles; combine with carries.
  const ua = a >>> 0, ub = b >>> 0;
  const al = ua & 0xffff, ah = ua >>> 16, bl = ub & 0xffff, bh = ub >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = lh + hl; // < 2^33
  const lo = ll + (mid % 65536) * 65536; // < 2^49
  let hi = hh + Math.floor(mid / 65536) + Math.floor(lo / 4294967296);
  const l = lo % 4294967296;
  if (signed) {
    // Signed product = unsigned product - (a<0 ? b<<32 : 0) - (b<0 ? a<<32 : 0).
    if (a < 0) hi -= ub;
    if (b < 0) hi -= ua;
  }
  mulOut[0] = l; mulOut[1] = hi;
}

const longA = new Int32Array(4), longB = new Int32Array(4);

/** SMULL/UMULL/SMLAL/UMLAL/SMLSL/UMLSL with 32-bit sources (64-bit lanes). acc: 0, 1 add, -1 sub. */
export function execMull2d(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4 + (d.Q ? 2 : 0), o = d.rd * 4, sgn = d.sgn, acc = d.accSign;
  longA[0] = v[n]; longA[1] = v[n + 1];
  if (d.byElem) { longB[0] = longB[1] = v[d.rmx * 4 + d.index]; } else { const m = d.rm * 4 + (d.Q ? 2 : 0); longB[0] = v[m]; longB[1] = v[m + 1]; }
  for (let i = 0; i < 2; i++) {
    mul32x32(longA[i], longB[i], sgn);
    let pl = mulOut[0] >>> 0, ph = mulOut[1];
    if (acc !== 0) {
      const cl = v[o + 2 * i] >>> 0, ch = v[o + 2 * i + 1];
      if (acc > 0) { const s = cl + pl; ph = ch + ph + (s > 0xffffffff ? 1 : 0); pl = s; }
      else { const s = cl - pl; ph = ch - ph - (s < 0 ? 1 : 0); pl = s; }
    }
    v[o + 2 * i] = pl; v[o + 2 * i + 1] = ph;
  }
}
