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

/** The lane operations of execLanesFast (three-same forms). */
export const enum LaneOp { Mul, Mla, Mls, Max, Min, Abd, Aba }

/**
 * One lane of MUL/MLA/MLS/SMAX/UMAX/SMIN/UMIN/SABD/UABD/SABA/UABA (ARM ARM C7.2.*): `a`, `b`
 * are the Vn and Vm lanes extended per the instruction's signedness, `c` the Vd lane; the
 * store into the lane's typed array truncates modulo 2^esize, as the pseudocode's
 * Elem[] assignment of the low bits does.
 */
function laneOp(k: number, a: number, b: number, c: number): number {
  switch (k) {
    case LaneOp.Mul: return Math.imul(a, b);
    case LaneOp.Mla: return c + Math.imul(a, b);
    case LaneOp.Mls: return c - Math.imul(a, b);
    case LaneOp.Max: return a > b ? a : b;
    case LaneOp.Min: return a < b ? a : b;
    case LaneOp.Abd: return Math.abs(a - b);
    default: return c + Math.abs(a - b);
  }
}

/** The LaneOp forms of the three-same group, 8/16/32-bit vector lanes (lane i reads only lane i). */
export function execLanesFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, k = d.lop;
  switch (d.esize) {
    case 8: {
      const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16;
      if (d.sgn) for (let i = 0; i < L; i++) v[o + i] = laneOp(k, (v[n + i] << 24) >> 24, (v[m + i] << 24) >> 24, v[o + i]);
      else for (let i = 0; i < L; i++) v[o + i] = laneOp(k, v[n + i], v[m + i], v[o + i]);
      break;
    }
    case 16: {
      const v = cpu.v16, n = d.rn * 8, m = d.rm * 8, o = d.rd * 8;
      if (d.sgn) for (let i = 0; i < L; i++) v[o + i] = laneOp(k, (v[n + i] << 16) >> 16, (v[m + i] << 16) >> 16, v[o + i]);
      else for (let i = 0; i < L; i++) v[o + i] = laneOp(k, v[n + i], v[m + i], v[o + i]);
      break;
    }
    default: {
      const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4;
      if (d.sgn) for (let i = 0; i < L; i++) v[o + i] = laneOp(k, v[n + i], v[m + i], v[o + i]);
      else for (let i = 0; i < L; i++) v[o + i] = laneOp(k, v[n + i] >>> 0, v[m + i] >>> 0, v[o + i]);
    }
  }
  clearHigh(cpu, d);
}

/**
 * MUL/MLA/MLS (by element), 16/32-bit lanes: d.lop is Mul, Mla or Mls. The element is read
 * before any lane is written (Vm may be Vd); lane i of Vd depends only on lane i of Vn and Vd.
 */
export function execElemFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, k = d.lop;
  if (d.esize === 16) {
    const v = cpu.v16, b = v[d.rmx * 8 + d.index], n = d.rn * 8, o = d.rd * 8;
    for (let i = 0; i < L; i++) v[o + i] = laneOp(k, v[n + i], b, v[o + i]);
  } else {
    const v = cpu.v32, b = v[d.rmx * 4 + d.index], n = d.rn * 4, o = d.rd * 4;
    for (let i = 0; i < L; i++) v[o + i] = laneOp(k, v[n + i], b, v[o + i]);
  }
  clearHigh(cpu, d);
}

const wideA = new Int32Array(8), wideB = new Int32Array(8);

/**
 * SMULL/UMULL/SMLAL/UMLAL/SMLSL/UMLSL (by element) with 16-bit sources: 32-bit lanes, products
 * exact in doubles (|a * b| <= 2^32), the accumulation truncated by the Int32Array store.
 * d.accSign: 0, 1 add, -1 subtract. Sources are read first: Vd may overlap Vn.
 */
export function execMullElem16(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const h = cpu.v16, v = cpu.v32, n = d.rn * 8 + (d.Q ? 4 : 0), o = d.rd * 4, acc = d.accSign;
  let b = h[d.rmx * 8 + d.index];
  if (d.sgn) {
    b = (b << 16) >> 16;
    for (let i = 0; i < 4; i++) wideA[i] = (h[n + i] << 16) >> 16;
  } else {
    for (let i = 0; i < 4; i++) wideA[i] = h[n + i];
  }
  if (acc === 0) for (let i = 0; i < 4; i++) v[o + i] = wideA[i] * b;
  else if (acc > 0) for (let i = 0; i < 4; i++) v[o + i] = v[o + i] + wideA[i] * b;
  else for (let i = 0; i < 4; i++) v[o + i] = v[o + i] - wideA[i] * b;
}

/**
 * SSHLL/USHLL (SXTL/UXTL) with 16- and 32-bit sources: extend each lane of the selected half
 * of Vn and shift it left by 0..esize-1 (ARM ARM C7.2 SSHLL). Sources are read first.
 */
export function execShllFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, sh = d.shift, o = d.rd * 4;
  if (d.esize === 16) {
    const h = cpu.v16, n = d.rn * 8 + (d.Q ? 4 : 0);
    // |lane| <= 2^16 and sh <= 15: the shifted value fits an int32 exactly.
    if (d.sgn) for (let i = 0; i < 4; i++) wideA[i] = ((h[n + i] << 16) >> 16) << sh;
    else for (let i = 0; i < 4; i++) wideA[i] = h[n + i] << sh;
    v[o] = wideA[0]; v[o + 1] = wideA[1]; v[o + 2] = wideA[2]; v[o + 3] = wideA[3];
  } else {
    const n = d.rn * 4 + (d.Q ? 2 : 0), a0 = v[n], a1 = v[n + 1];
    // 64-bit lanes as (lo, hi): the high word takes the bits shifted out of the low word
    // (JavaScript shift counts are modulo 32, so a zero shift is its own case).
    if (sh === 0) {
      v[o] = a0; v[o + 1] = d.sgn ? a0 >> 31 : 0; v[o + 2] = a1; v[o + 3] = d.sgn ? a1 >> 31 : 0;
    } else if (d.sgn) {
      v[o] = a0 << sh; v[o + 1] = a0 >> (32 - sh); v[o + 2] = a1 << sh; v[o + 3] = a1 >> (32 - sh);
    } else {
      v[o] = a0 << sh; v[o + 1] = a0 >>> (32 - sh); v[o + 2] = a1 << sh; v[o + 3] = a1 >>> (32 - sh);
    }
  }
}

/**
 * SADDL/UADDL/SADDW/UADDW/SSUBL/.../SABAL/SMULL/SMLAL/SMLSL (and unsigned) with 8/16-bit
 * narrow lanes (ARM ARM C7.2, "Advanced SIMD three different"): d.smallOp 0 add, 1 sub,
 * 2 abd, 3 aba, 4 mul, 5 mla, 6 mls; results are exact in doubles (at most 33 bits) and
 * truncate to the destination lane. All sources are read first: Vd may be Vn or Vm.
 */
export function execDiffFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const sgn = d.sgn, wide = d.wide, A = wideA, B = wideB;
  // Without overlap of Vd with a narrow source, lane i of Vd is written after every source
  // lane it needs (only lane i of Vn and Vm, and of Vd for the accumulating forms) was read:
  // one pass, no copies.
  if (d.rd !== d.rm && (wide || d.rd !== d.rn)) { diffDirect(cpu, d); return; }
  if (d.narrowE === 8) {
    const b8 = cpu.v8, h = cpu.v16, base = d.Q ? 8 : 0, m = d.rm * 16 + base;
    if (wide) {
      const n = d.rn * 8;
      if (sgn) for (let i = 0; i < 8; i++) A[i] = (h[n + i] << 16) >> 16;
      else for (let i = 0; i < 8; i++) A[i] = h[n + i];
    } else {
      const n = d.rn * 16 + base;
      if (sgn) for (let i = 0; i < 8; i++) A[i] = (b8[n + i] << 24) >> 24;
      else for (let i = 0; i < 8; i++) A[i] = b8[n + i];
    }
    if (sgn) for (let i = 0; i < 8; i++) B[i] = (b8[m + i] << 24) >> 24;
    else for (let i = 0; i < 8; i++) B[i] = b8[m + i];
    diffOut16(h, d.rd * 8, d.smallOp);
  } else {
    const h = cpu.v16, v = cpu.v32, base = d.Q ? 4 : 0, m = d.rm * 8 + base;
    if (wide) {
      const n = d.rn * 4;
      for (let i = 0; i < 4; i++) A[i] = v[n + i]; // add/sub only: modular, signedness irrelevant
    } else {
      const n = d.rn * 8 + base;
      if (sgn) for (let i = 0; i < 4; i++) A[i] = (h[n + i] << 16) >> 16;
      else for (let i = 0; i < 4; i++) A[i] = h[n + i];
    }
    if (sgn) for (let i = 0; i < 4; i++) B[i] = (h[m + i] << 16) >> 16;
    else for (let i = 0; i < 4; i++) B[i] = h[m + i];
    diffOut32(v, d.rd * 4, d.smallOp);
  }
}

function diffOut16(v: Uint16Array, o: number, op: number): void {
  const A = wideA, B = wideB;
  switch (op) {
    case 0: for (let i = 0; i < 8; i++) v[o + i] = A[i] + B[i]; break;
    case 1: for (let i = 0; i < 8; i++) v[o + i] = A[i] - B[i]; break;
    case 2: for (let i = 0; i < 8; i++) v[o + i] = Math.abs(A[i] - B[i]); break;
    case 3: for (let i = 0; i < 8; i++) v[o + i] = v[o + i] + Math.abs(A[i] - B[i]); break;
    case 4: for (let i = 0; i < 8; i++) v[o + i] = A[i] * B[i]; break;
    case 5: for (let i = 0; i < 8; i++) v[o + i] = v[o + i] + A[i] * B[i]; break;
    default: for (let i = 0; i < 8; i++) v[o + i] = v[o + i] - A[i] * B[i]; break;
  }
}

function diffOut32(v: Int32Array, o: number, op: number): void {
  const A = wideA, B = wideB;
  switch (op) {
    case 0: for (let i = 0; i < 4; i++) v[o + i] = A[i] + B[i]; break;
    case 1: for (let i = 0; i < 4; i++) v[o + i] = A[i] - B[i]; break;
    case 2: for (let i = 0; i < 4; i++) v[o + i] = Math.abs(A[i] - B[i]); break;
    case 3: for (let i = 0; i < 4; i++) v[o + i] = v[o + i] + Math.abs(A[i] - B[i]); break;
    case 4: for (let i = 0; i < 4; i++) v[o + i] = A[i] * B[i]; break;
    case 5: for (let i = 0; i < 4; i++) v[o + i] = v[o + i] + A[i] * B[i]; break;
    default: for (let i = 0; i < 4; i++) v[o + i] = v[o + i] - A[i] * B[i]; break;
  }
}

/** The shift-by-immediate forms of execShiftFast: SSHR/USHR, SSRA/USRA, SRSHR/URSHR, SRSRA/URSRA, SHL. */
export const enum ShiftKind { Shr, Sra, Rshr, Rsra, Shl }

/**
 * One lane (ARM ARM C7.2 SSHR etc.: (Elem + round_const) >> shift, accumulated for the *SRA
 * forms): `a` is the extended Vn lane, `c` the Vd lane, `k` = 2^shift and `h` = 2^(shift-1)
 * for the rounding forms. Exact in doubles (at most 34 bits); the store truncates.
 */
function laneShift(op: number, a: number, c: number, k: number, h: number): number {
  switch (op) {
    case ShiftKind.Shr: return Math.floor(a / k);
    case ShiftKind.Sra: return c + Math.floor(a / k);
    case ShiftKind.Rshr: return Math.floor((a + h) / k);
    case ShiftKind.Rsra: return c + Math.floor((a + h) / k);
    default: return a * k;
  }
}

/** Vector shifts by immediate on 8/16/32-bit lanes (lane i reads only lane i). */
export function execShiftFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, op = d.sop, k = d.sk, h = d.sh;
  switch (d.esize) {
    case 8: {
      const v = cpu.v8, n = d.rn * 16, o = d.rd * 16;
      if (d.sgn) for (let i = 0; i < L; i++) v[o + i] = laneShift(op, (v[n + i] << 24) >> 24, v[o + i], k, h);
      else for (let i = 0; i < L; i++) v[o + i] = laneShift(op, v[n + i], v[o + i], k, h);
      break;
    }
    case 16: {
      const v = cpu.v16, n = d.rn * 8, o = d.rd * 8;
      if (d.sgn) for (let i = 0; i < L; i++) v[o + i] = laneShift(op, (v[n + i] << 16) >> 16, v[o + i], k, h);
      else for (let i = 0; i < L; i++) v[o + i] = laneShift(op, v[n + i], v[o + i], k, h);
      break;
    }
    default: {
      const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
      if (d.sgn) for (let i = 0; i < L; i++) v[o + i] = laneShift(op, v[n + i], v[o + i], k, h);
      else for (let i = 0; i < L; i++) v[o + i] = laneShift(op, v[n + i] >>> 0, v[o + i], k, h);
    }
  }
  clearHigh(cpu, d);
}

/** One lane of the execDiffFast ops (d.smallOp numbering) on extended lanes a, b and the Vd lane c. */
function diffOp(op: number, a: number, b: number, c: number): number {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return Math.abs(a - b);
    case 3: return c + Math.abs(a - b);
    case 4: return a * b;
    case 5: return c + a * b;
    default: return c - a * b;
  }
}

/** execDiffFast in one pass, for a Vd that overlaps no narrow source register. */
function diffDirect(cpu: Cpu, d: Decoded): void {
  const op = d.smallOp, h = cpu.v16;
  if (d.narrowE === 8) {
    const b8 = cpu.v8, base = d.Q ? 8 : 0, m = d.rm * 16 + base, o = d.rd * 8;
    if (d.wide) {
      const n = d.rn * 8;
      if (d.sgn) for (let i = 0; i < 8; i++) h[o + i] = diffOp(op, (h[n + i] << 16) >> 16, (b8[m + i] << 24) >> 24, h[o + i]);
      else for (let i = 0; i < 8; i++) h[o + i] = diffOp(op, h[n + i], b8[m + i], h[o + i]);
    } else {
      const n = d.rn * 16 + base;
      if (d.sgn) for (let i = 0; i < 8; i++) h[o + i] = diffOp(op, (b8[n + i] << 24) >> 24, (b8[m + i] << 24) >> 24, h[o + i]);
      else for (let i = 0; i < 8; i++) h[o + i] = diffOp(op, b8[n + i], b8[m + i], h[o + i]);
    }
  } else {
    const v = cpu.v32, base = d.Q ? 4 : 0, m = d.rm * 8 + base, o = d.rd * 4;
    if (d.wide) {
      const n = d.rn * 4; // add/sub only: modular, signedness of the wide lane irrelevant
      if (d.sgn) for (let i = 0; i < 4; i++) v[o + i] = diffOp(op, v[n + i], (h[m + i] << 16) >> 16, v[o + i]);
      else for (let i = 0; i < 4; i++) v[o + i] = diffOp(op, v[n + i], h[m + i], v[o + i]);
    } else {
      const n = d.rn * 8 + base;
      if (d.sgn) for (let i = 0; i < 4; i++) v[o + i] = diffOp(op, (h[n + i] << 16) >> 16, (h[m + i] << 16) >> 16, v[o + i]);
      else for (let i = 0; i < 4; i++) v[o + i] = diffOp(op, h[n + i], h[m + i], v[o + i]);
    }
  }
}
