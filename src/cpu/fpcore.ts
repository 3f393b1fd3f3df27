/**
 * IEEE 754 floating-point arithmetic as the ARM ARM specifies it (DDI 0487, chapter J1 shared
 * pseudocode: FPUnpack, FPRound, FPProcessNaNs, FPAdd, FPMulAdd, FPToFixed, FPRoundInt, ...),
 * shared by the scalar FP group (isa/fp.ts) and Advanced SIMD (isa/simd.ts) for per-lane work.
 *
 * API (all functions take the Cpu for FPCR and accumulate exception flags into cpu.fpsr):
 *   - Values travel as raw bits, never as JavaScript numbers, so NaN payloads survive:
 *     single and half precision as an int32 (half in the low 16 bits), double precision as a
 *     (lo, hi) pair of int32 words. Functions producing a double return its low word and leave
 *     the high word in `fp64Out.hi` (read it immediately after the call).
 *   - Arithmetic: fpAdd32/64, fpSub32/64, fpMul32/64, fpDiv32/64, fpMax/Min/MaxNum/MinNum32/64,
 *     fpSqrt32/64, fpMulAdd32/64 (fused, addend first as in FPMulAdd), fpNeg/fpAbs on bits.
 *   - fpCompare32/64(cpu, a, b, signalAllNaNs) -> NZCV as a 4-bit number (FPCompare); the SIMD
 *     compares use it too: equal = 0b0110, less = 0b1000, greater = 0b0010, unordered = 0b0011
 *     (FPCompareEQ signals only signalling NaNs: pass false; FPCompareGE/GT: pass true).
 *   - fpRoundInt32/64(cpu, a, rounding, exact) (FRINT*), fpToFixed32/64(cpu, a, fbits, unsigned,
 *     rounding, intBits) -> integer low word (high word in fp64Out.hi for intBits 64),
 *     fixedToFp32/64(cpu, lo, hi, intBits, unsigned, fbits, rounding) (SCVTF/UCVTF),
 *     fpConvert*(cpu, ...) between half, single and double (FCVT; half honours FPCR.AHP).
 *   - Rounding modes are the FPRounding values below; `fpcrRounding(cpu)` is FPCR.RMode.
 *
 * Every operation has an exact general path (BigInt significands: FPRound on the exact result)
 * and all but double-precision FMA and half-precision conversions have a fast path for the common case (round to nearest even, normal operands and
 * results) using the host's correctly rounded double arithmetic plus exact error terms
 * (TwoSum, Veltkamp/Dekker TwoProduct) to detect inexact results.
 */
import type { Cpu } from "./cpu.js";

// ---------------------------------------------------------------- constants

/** FPRounding (ARM ARM J1.3): the four FPCR.RMode values, then ties-away (FCVTA*, FRINTA). */
export const RN = 0, RP = 1, RM = 2, RZ = 3, RA = 4;

/** FPSR cumulative exception bits (ARM ARM C5.2.8). */
export const IOC = 1, DZC = 2, OFC = 4, UFC = 8, IXC = 16, IDC = 128;

const FPCR_RMODE_MASK = 3 << 22, FPCR_FZ = 1 << 24, FPCR_DN = 1 << 25, FPCR_AHP = 1 << 26;

/** FPCR.RMode as an FPRounding value. */
export function fpcrRounding(cpu: Cpu): number {
  return (cpu.fpcr >>> 22) & 3;
}

/** The high word of the last double-precision (or 64-bit integer) result. */
export const fp64Out = { hi: 0 };

// ---------------------------------------------------------------- formats

interface Fmt {
  ebits: number;
  fbits: number;
  bias: number;
  /** Smallest normal unbiased exponent. */
  emin: number;
  expMax: number;
  fracMask: bigint;
  signBit: bigint;
  quietBit: bigint;
  defaultNaN: bigint;
  /** Half precision: flushing is controlled by FPCR.FZ16 (not implemented on Cortex-A53: off). */
  half: boolean;
}

function makeFmt(ebits: number, fbits: number): Fmt {
  const bias = (1 << (ebits - 1)) - 1;
  const expMax = (1 << ebits) - 1;
  return {
    ebits, fbits, bias, emin: 1 - bias, expMax,
    fracMask: (1n << BigInt(fbits)) - 1n,
    signBit: 1n << BigInt(ebits + fbits),
    quietBit: 1n << BigInt(fbits - 1),
    defaultNaN: (BigInt(expMax) << BigInt(fbits)) | (1n << BigInt(fbits - 1)),
    half: ebits === 5,
  };
}

const H = makeFmt(5, 10), S = makeFmt(8, 23), D = makeFmt(11, 52);

// Scratch views for moving non-NaN values between bits and host numbers.
const scratch = new ArrayBuffer(8);
const sI32 = new Int32Array(scratch);
const sF32 = new Float32Array(scratch);
const sF64 = new Float64Array(scratch);

function f32(bits: number): number { sI32[0] = bits; return sF32[0]; }
function bits32(x: number): number { sF32[0] = x; return sI32[0]; }
function f64(lo: number, hi: number): number { sI32[0] = lo; sI32[1] = hi; return sF64[0]; }
/** Store a non-NaN double; returns the low word, high word in fp64Out.hi. */
function ret64num(x: number): number { sF64[0] = x; fp64Out.hi = sI32[1]; return sI32[0]; }

function big32(b: number): bigint { return BigInt(b >>> 0); }
function big64(lo: number, hi: number): bigint { return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); }
function ret64(v: bigint): number {
  fp64Out.hi = Number(v >> 32n) | 0;
  return Number(v & 0xffffffffn) | 0;
}

const MIN_NORMAL32 = 2 ** -126, MAX32 = (2 - 2 ** -23) * 2 ** 127;
const MIN_NORMAL64 = 2 ** -1022, MAX64 = Number.MAX_VALUE;
/** Bounds keeping Dekker's TwoProduct exact (no overflow in the split, no underflow of the error). */
const SAFE_LOW = 2 ** -960, SAFE_HIGH = 2 ** 960;

/** Normal or zero single (exponent field neither 0 with a fraction, nor all ones). */
function normz32(b: number): boolean {
  const e = (b >>> 23) & 0xff;
  return e === 0 ? (b & 0x7fffff) === 0 : e !== 0xff;
}

function normz64(lo: number, hi: number): boolean {
  const e = (hi >>> 20) & 0x7ff;
  return e === 0 ? ((hi & 0xfffff) | lo) === 0 : e !== 0x7ff;
}

/**
 * Infinities and NaNs on host numbers and raw bits (ARM ARM J1.3 FPProcessNaN(s), and the
 * invalid cases of FPAdd/FPMul/FPMulAdd): results are exact, so the rounding mode does not
 * matter. Subnormal operands keep the exact path (flush-to-zero and the input-denormal flag).
 */
const DEFAULT_NAN32 = 0x7fc00000, QUIET32 = 0x00400000;
/** Exponent field all ones (an infinity or a NaN). */
function nonFinite32(b: number): boolean { return (b & 0x7f800000) === 0x7f800000; }
/** Not a subnormal. */
function notSub32(b: number): boolean { return (b & 0x7f800000) !== 0 || (b & 0x7fffff) === 0; }
function isNaN32(b: number): boolean { return (b & 0x7fffffff) > 0x7f800000; }
function isSNaN32(b: number): boolean { return isNaN32(b) && (b & QUIET32) === 0; }
function quietNaN32(cpu: Cpu, b: number): number {
  if ((b & QUIET32) === 0) cpu.fpsr |= IOC;
  return cpu.fpcr & FPCR_DN ? DEFAULT_NAN32 : b | QUIET32;
}
/** FPProcessNaNs(3): the first signalling NaN, else the first quiet NaN, processed; undefined without NaNs. */
function nans32(cpu: Cpu, a: number, b: number, c = 0): number | undefined {
  if (isSNaN32(a)) return quietNaN32(cpu, a);
  if (isSNaN32(b)) return quietNaN32(cpu, b);
  if (isSNaN32(c)) return quietNaN32(cpu, c);
  if (isNaN32(a)) return quietNaN32(cpu, a);
  if (isNaN32(b)) return quietNaN32(cpu, b);
  if (isNaN32(c)) return quietNaN32(cpu, c);
  return undefined;
}
/** An exact host result that is an infinity or NaN (invalid operation: the default NaN). */
function infResult32(cpu: Cpu, v: number): number {
  if (v !== v) { cpu.fpsr |= IOC; return DEFAULT_NAN32; }
  return bits32(v);
}

/** Veltkamp split high part (for Dekker's exact product). */
function splitHi(a: number): number {
  const c = 134217729 * a;
  return c - (c - a);
}

/** Error of the rounded product p = fl(a*b): a*b - p exactly (inputs within SAFE bounds). */
function productError(a: number, b: number, p: number): number {
  const ah = splitHi(a), al = a - ah, bh = splitHi(b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// ---------------------------------------------------------------- NaNs on raw bits

function isNaNBits(v: bigint, f: Fmt): boolean {
  return ((v >> BigInt(f.fbits)) & BigInt(f.expMax)) === BigInt(f.expMax) && (v & f.fracMask) !== 0n;
}

function isSNaNBits(v: bigint, f: Fmt): boolean {
  return isNaNBits(v, f) && (v & f.quietBit) === 0n;
}

/** FPProcessNaN (ARM ARM J1.3): quieten a signalling NaN (IOC), or the default NaN under FPCR.DN. */
function processNaN(cpu: Cpu, v: bigint, f: Fmt): bigint {
  if ((v & f.quietBit) === 0n) cpu.fpsr |= IOC;
  if (cpu.fpcr & FPCR_DN) return f.defaultNaN;
  return v | f.quietBit;
}

/**
 * FPProcessNaNs / FPProcessNaNs3: signalling NaNs first, then quiet ones, each in operand order.
 * Returns undefined when no operand is a NaN.
 */
function processNaNs(cpu: Cpu, f: Fmt, a: bigint, b: bigint, c?: bigint): bigint | undefined {
  if (isSNaNBits(a, f)) return processNaN(cpu, a, f);
  if (isSNaNBits(b, f)) return processNaN(cpu, b, f);
  if (c !== undefined && isSNaNBits(c, f)) return processNaN(cpu, c, f);
  if (isNaNBits(a, f)) return processNaN(cpu, a, f);
  if (isNaNBits(b, f)) return processNaN(cpu, b, f);
  if (c !== undefined && isNaNBits(c, f)) return processNaN(cpu, c, f);
  return undefined;
}

// ---------------------------------------------------------------- unpack and round

const enum Cls { Zero, Finite, Inf, QNaN, SNaN }

/** FPUnpack result: value = (-1)^sign * mant * 2^exp for finite values. */
interface Unpacked {
  cls: Cls;
  sign: number;
  mant: bigint;
  exp: number;
}

/**
 * FPUnpack (ARM ARM J1.3): classify; with FPCR.FZ (single/double) denormal inputs become zero
 * and raise Input Denormal (IDC). `altHp` reads half precision as the Arm alternative format
 * (no infinities or NaNs).
 */
function unpack(cpu: Cpu, v: bigint, f: Fmt, altHp = false): Unpacked {
  const sign = Number((v >> BigInt(f.ebits + f.fbits)) & 1n);
  const e = Number((v >> BigInt(f.fbits)) & BigInt(f.expMax));
  const frac = v & f.fracMask;
  if (e === 0) {
    if (frac === 0n) return { cls: Cls.Zero, sign, mant: 0n, exp: 0 };
    if (!f.half && (cpu.fpcr & FPCR_FZ)) {
      cpu.fpsr |= IDC;
      return { cls: Cls.Zero, sign, mant: 0n, exp: 0 };
    }
    return { cls: Cls.Finite, sign, mant: frac, exp: f.emin - f.fbits };
  }
  if (e === f.expMax && !altHp) {
    if (frac === 0n) return { cls: Cls.Inf, sign, mant: 0n, exp: 0 };
    return { cls: (frac & f.quietBit) ? Cls.QNaN : Cls.SNaN, sign, mant: 0n, exp: 0 };
  }
  return { cls: Cls.Finite, sign, mant: frac | (1n << BigInt(f.fbits)), exp: e - f.bias - f.fbits };
}

function bitLength(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

function zeroBits(sign: number, f: Fmt): bigint { return sign ? f.signBit : 0n; }
function infBits(sign: number, f: Fmt): bigint { return (sign ? f.signBit : 0n) | (BigInt(f.expMax) << BigInt(f.fbits)); }
function maxNormalBits(sign: number, f: Fmt): bigint {
  return (sign ? f.signBit : 0n) | (BigInt(f.expMax - 1) << BigInt(f.fbits)) | f.fracMask;
}

/**
 * Rounding increment decision for a magnitude `q` with discarded remainder `rem` out of
 * `half * 2` (ARM ARM FPRound / FPRoundInt rounding cases).
 */
function roundUp(q: bigint, rem: bigint, half: bigint, sign: number, rounding: number): boolean {
  if (rem === 0n) return false;
  switch (rounding) {
    case RN: return rem > half || (rem === half && (q & 1n) === 1n);
    case RP: return sign === 0;
    case RM: return sign === 1;
    case RZ: return false;
    default: return rem >= half; // RA: ties away from zero
  }
}

/**
 * FPRound (ARM ARM J1.3): round the exact value (-1)^sign * mant * 2^exp (mant > 0) to format
 * `f`. Tininess is detected before rounding; with FPCR.FZ (not for half) a tiny result is
 * flushed to zero raising only Underflow. `altHp`: Arm alternative half precision, which
 * saturates with Invalid Operation instead of overflowing.
 */
function roundPack(cpu: Cpu, sign: number, mant: bigint, exp: number, f: Fmt, rounding: number, altHp = false): bigint {
  const top = exp + bitLength(mant) - 1; // unbiased exponent of the leading bit
  const tiny = top < f.emin;
  if (tiny && !f.half && (cpu.fpcr & FPCR_FZ)) {
    cpu.fpsr |= UFC;
    return zeroBits(sign, f);
  }
  // Quantum (exponent of the last kept bit): normal precision, or fixed for subnormals.
  const quantum = Math.max(top, f.emin) - f.fbits;
  const shift = quantum - exp;
  let q: bigint;
  let inexact = false;
  if (shift <= 0) {
    q = mant << BigInt(-shift);
  } else {
    const sh = BigInt(shift);
    q = mant >> sh;
    const rem = mant - (q << sh);
    if (rem !== 0n) {
      inexact = true;
      if (roundUp(q, rem, 1n << (sh - 1n), sign, rounding)) q += 1n;
    }
  }
  if (tiny && inexact) cpu.fpsr |= UFC;
  let biased: number;
  let frac: bigint;
  const implicit = 1n << BigInt(f.fbits);
  if (q < implicit) {
    biased = 0; // subnormal (or rounded to zero)
    frac = q;
  } else {
    let qe = quantum;
    if (q === implicit << 1n) { q >>= 1n; qe++; }
    biased = qe + f.fbits + f.bias;
    frac = q - implicit;
  }
  if (!altHp) {
    if (biased >= f.expMax) {
      cpu.fpsr |= OFC | IXC;
      const toInf = rounding === RN || rounding === RA || (rounding === RP && !sign) || (rounding === RM && sign);
      return toInf ? infBits(sign, f) : maxNormalBits(sign, f);
    }
  } else if (biased > f.expMax) {
    cpu.fpsr |= IOC;
    return (sign ? f.signBit : 0n) | (f.signBit - 1n);
  }
  if (inexact) cpu.fpsr |= IXC;
  return (sign ? f.signBit : 0n) | (BigInt(biased) << BigInt(f.fbits)) | frac;
}

/** Round (-1)^sign * mant * 2^exp to an integer magnitude; sets `intInexact`. */
let intInexact = false;
function roundToIntegerMag(sign: number, mant: bigint, exp: number, rounding: number): bigint {
  intInexact = false;
  if (exp >= 0) return mant << BigInt(exp);
  const sh = BigInt(-exp);
  let q = mant >> sh;
  const rem = mant - (q << sh);
  if (rem !== 0n) {
    intInexact = true;
    if (roundUp(q, rem, 1n << (sh - 1n), sign, rounding)) q += 1n;
  }
  return q;
}

// ---------------------------------------------------------------- general (exact) operations

const enum Op { Add, Sub, Mul, Div, Max, Min, MaxNum, MinNum }

function defaultNaNOp(cpu: Cpu, f: Fmt): bigint {
  cpu.fpsr |= IOC;
  return f.defaultNaN;
}

/** Exact sum of two finite unpacked values, rounded (FPAdd's numeric case). */
function addFinite(cpu: Cpu, sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, f: Fmt, rounding: number): bigint {
  const e = Math.min(ea, eb);
  const va = (ma << BigInt(ea - e)) * (sa ? -1n : 1n);
  const vb = (mb << BigInt(eb - e)) * (sb ? -1n : 1n);
  const sum = va + vb;
  if (sum === 0n) return zeroBits(rounding === RM ? 1 : 0, f);
  return sum < 0n ? roundPack(cpu, 1, -sum, e, f, rounding) : roundPack(cpu, 0, sum, e, f, rounding);
}

function binopSlow(cpu: Cpu, op: Op, a: bigint, b: bigint, f: Fmt): bigint {
  const rounding = fpcrRounding(cpu);
  const ua = unpack(cpu, a, f), ub = unpack(cpu, b, f);
  const aNaN = ua.cls >= Cls.QNaN, bNaN = ub.cls >= Cls.QNaN;
  if (aNaN || bNaN) {
    // FPMaxNum/FPMinNum: a single quiet NaN loses against a number (ARM ARM J1.3).
    if (op === Op.MaxNum || op === Op.MinNum) {
      if (ua.cls === Cls.QNaN && !bNaN) return ub.cls === Cls.Zero ? zeroBits(ub.sign, f) : b;
      if (ub.cls === Cls.QNaN && !aNaN) return ua.cls === Cls.Zero ? zeroBits(ua.sign, f) : a;
    }
    return processNaNs(cpu, f, a, b)!;
  }
  switch (op) {
    case Op.Sub:
    case Op.Add: {
      if (op === Op.Sub) ub.sign ^= 1;
      if (ua.cls === Cls.Inf || ub.cls === Cls.Inf) {
        if (ua.cls === Cls.Inf && ub.cls === Cls.Inf && ua.sign !== ub.sign) return defaultNaNOp(cpu, f);
        return infBits(ua.cls === Cls.Inf ? ua.sign : ub.sign, f);
      }
      if (ua.cls === Cls.Zero && ub.cls === Cls.Zero) {
        return zeroBits(ua.sign === ub.sign ? ua.sign : rounding === RM ? 1 : 0, f);
      }
      if (ua.cls === Cls.Zero) return roundPack(cpu, ub.sign, ub.mant, ub.exp, f, rounding);
      if (ub.cls === Cls.Zero) return roundPack(cpu, ua.sign, ua.mant, ua.exp, f, rounding);
      return addFinite(cpu, ua.sign, ua.mant, ua.exp, ub.sign, ub.mant, ub.exp, f, rounding);
    }
    case Op.Mul: {
      const sign = ua.sign ^ ub.sign;
      if ((ua.cls === Cls.Inf && ub.cls === Cls.Zero) || (ua.cls === Cls.Zero && ub.cls === Cls.Inf)) return defaultNaNOp(cpu, f);
      if (ua.cls === Cls.Inf || ub.cls === Cls.Inf) return infBits(sign, f);
      if (ua.cls === Cls.Zero || ub.cls === Cls.Zero) return zeroBits(sign, f);
      return roundPack(cpu, sign, ua.mant * ub.mant, ua.exp + ub.exp, f, rounding);
    }
    case Op.Div: {
      const sign = ua.sign ^ ub.sign;
      if ((ua.cls === Cls.Inf && ub.cls === Cls.Inf) || (ua.cls === Cls.Zero && ub.cls === Cls.Zero)) return defaultNaNOp(cpu, f);
      if (ua.cls === Cls.Inf) return infBits(sign, f);
      if (ub.cls === Cls.Zero) { cpu.fpsr |= DZC; return infBits(sign, f); }
      if (ua.cls === Cls.Zero || ub.cls === Cls.Inf) return zeroBits(sign, f);
      // Quotient with at least fbits + 3 significant bits, the remainder folded into a sticky bit.
      const shift = Math.max(0, f.fbits + 3 + bitLength(ub.mant) - bitLength(ua.mant));
      const n = ua.mant << BigInt(shift);
      const q = n / ub.mant;
      const sticky = n - q * ub.mant !== 0n ? 1n : 0n;
      return roundPack(cpu, sign, (q << 1n) | sticky, ua.exp - ub.exp - shift - 1, f, rounding);
    }
    default: {
      // FPMax/FPMin/FPMaxNum/FPMinNum on numbers: the larger/smaller operand; +0 > -0.
      const wantMax = op === Op.Max || op === Op.MaxNum;
      const c = compareUnpacked(ua, ub);
      let pickA: boolean;
      if (c === 0) pickA = wantMax ? ua.sign === 0 : ua.sign === 1;
      else pickA = wantMax ? c > 0 : c < 0;
      const w = pickA ? ua : ub;
      if (w.cls === Cls.Zero) return zeroBits(w.sign, f); // a flushed denormal reads as zero
      return pickA ? a : b;
    }
  }
}

/** Compare two non-NaN unpacked values: -1, 0 (zeros of either sign are equal), 1. */
function compareUnpacked(a: Unpacked, b: Unpacked): number {
  const va = signedMagnitude(a), vb = signedMagnitude(b);
  if (va.inf !== vb.inf) return va.inf < vb.inf ? -1 : 1;
  if (va.inf !== 0) return 0;
  // Both finite: compare exactly at a common exponent.
  const e = Math.min(a.exp, b.exp);
  const x = a.cls === Cls.Zero ? 0n : (a.mant << BigInt(a.exp - e)) * (a.sign ? -1n : 1n);
  const y = b.cls === Cls.Zero ? 0n : (b.mant << BigInt(b.exp - e)) * (b.sign ? -1n : 1n);
  return x === y ? 0 : x < y ? -1 : 1;
}

function signedMagnitude(u: Unpacked): { inf: number } {
  return { inf: u.cls === Cls.Inf ? (u.sign ? -1 : 1) : 0 };
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x - 1n && y <= x + 1n) { x = y; break; }
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

function sqrtSlow(cpu: Cpu, a: bigint, f: Fmt): bigint {
  const ua = unpack(cpu, a, f);
  if (ua.cls >= Cls.QNaN) return processNaN(cpu, a, f);
  if (ua.cls === Cls.Zero) return zeroBits(ua.sign, f);
  if (ua.sign) return defaultNaNOp(cpu, f);
  if (ua.cls === Cls.Inf) return infBits(0, f);
  // Scale so the root has at least fbits + 3 bits and the exponent is even.
  let shift = Math.max(0, 2 * (f.fbits + 4) - bitLength(ua.mant));
  if ((ua.exp - shift) & 1) shift++;
  const n = ua.mant << BigInt(shift);
  const r = isqrt(n);
  const sticky = r * r !== n ? 1n : 0n;
  return roundPack(cpu, 0, (r << 1n) | sticky, (ua.exp - shift) / 2 - 1, f, fpcrRounding(cpu));
}

/** FPMulAdd (ARM ARM J1.3): addend + op1 * op2 with a single rounding. */
function mulAddSlow(cpu: Cpu, addend: bigint, a: bigint, b: bigint, f: Fmt): bigint {
  const rounding = fpcrRounding(cpu);
  const uc = unpack(cpu, addend, f), ua = unpack(cpu, a, f), ub = unpack(cpu, b, f);
  const infZero = (ua.cls === Cls.Inf && ub.cls === Cls.Zero) || (ua.cls === Cls.Zero && ub.cls === Cls.Inf);
  const nan = processNaNs(cpu, f, addend, a, b);
  if (nan !== undefined) {
    // A quiet NaN addend does not hide the invalid 0 * inf product.
    if (uc.cls === Cls.QNaN && infZero) return defaultNaNOp(cpu, f);
    return nan;
  }
  const signP = ua.sign ^ ub.sign;
  const infP = ua.cls === Cls.Inf || ub.cls === Cls.Inf;
  const zeroP = ua.cls === Cls.Zero || ub.cls === Cls.Zero;
  if (infZero || (uc.cls === Cls.Inf && infP && uc.sign !== signP)) return defaultNaNOp(cpu, f);
  if (uc.cls === Cls.Inf) return infBits(uc.sign, f);
  if (infP) return infBits(signP, f);
  if (uc.cls === Cls.Zero && zeroP) return zeroBits(uc.sign === signP ? uc.sign : rounding === RM ? 1 : 0, f);
  if (zeroP) return roundPack(cpu, uc.sign, uc.mant, uc.exp, f, rounding);
  const pm = ua.mant * ub.mant, pe = ua.exp + ub.exp;
  if (uc.cls === Cls.Zero) return roundPack(cpu, signP, pm, pe, f, rounding);
  return addFinite(cpu, uc.sign, uc.mant, uc.exp, signP, pm, pe, f, rounding);
}

/** FPCompare (ARM ARM J1.3): NZCV result. */
function compareSlow(cpu: Cpu, a: bigint, b: bigint, f: Fmt, signalAllNaNs: boolean): number {
  const ua = unpack(cpu, a, f), ub = unpack(cpu, b, f);
  if (ua.cls >= Cls.QNaN || ub.cls >= Cls.QNaN) {
    if (signalAllNaNs || ua.cls === Cls.SNaN || ub.cls === Cls.SNaN) cpu.fpsr |= IOC;
    return 0b0011;
  }
  const c = compareUnpacked(ua, ub);
  return c === 0 ? 0b0110 : c < 0 ? 0b1000 : 0b0010;
}

/** FPRoundInt (ARM ARM J1.3): round to an integral value in the same format. */
function roundIntSlow(cpu: Cpu, a: bigint, f: Fmt, rounding: number, exact: boolean): bigint {
  const ua = unpack(cpu, a, f);
  if (ua.cls >= Cls.QNaN) return processNaN(cpu, a, f);
  if (ua.cls === Cls.Inf) return a;
  if (ua.cls === Cls.Zero) return zeroBits(ua.sign, f);
  const mag = roundToIntegerMag(ua.sign, ua.mant, ua.exp, rounding);
  if (intInexact && exact) cpu.fpsr |= IXC;
  if (mag === 0n) return zeroBits(ua.sign, f);
  return roundPack(cpu, ua.sign, mag, 0, f, RZ); // exact: an integer no wider than the input
}

/**
 * FPToFixed (ARM ARM J1.3): value * 2^fbits rounded to an integer of `intBits`, saturating with
 * Invalid Operation (NaNs give 0); Inexact only when not saturated. Returns the two's
 * complement bits.
 */
function toFixedSlow(cpu: Cpu, a: bigint, f: Fmt, fbits: number, unsigned: boolean, rounding: number, intBits: number): bigint {
  const ua = unpack(cpu, a, f);
  if (ua.cls >= Cls.QNaN) { cpu.fpsr |= IOC; return 0n; }
  const max = unsigned ? (1n << BigInt(intBits)) - 1n : (1n << BigInt(intBits - 1)) - 1n;
  const min = unsigned ? 0n : -(1n << BigInt(intBits - 1));
  if (ua.cls === Cls.Inf) { cpu.fpsr |= IOC; return BigInt.asUintN(intBits, ua.sign ? min : max); }
  if (ua.cls === Cls.Zero) return 0n;
  const mag = roundToIntegerMag(ua.sign, ua.mant, ua.exp + fbits, rounding);
  const v = ua.sign ? -mag : mag;
  if (v > max || v < min) { cpu.fpsr |= IOC; return BigInt.asUintN(intBits, v > max ? max : min); }
  if (intInexact) cpu.fpsr |= IXC;
  return BigInt.asUintN(intBits, v);
}

/** FixedToFP (ARM ARM J1.3): integer / 2^fbits rounded to format `f`. */
function fixedToFpSlow(cpu: Cpu, v: bigint, intBits: number, unsigned: boolean, fbits: number, f: Fmt, rounding: number): bigint {
  const x = unsigned ? BigInt.asUintN(intBits, v) : BigInt.asIntN(intBits, v);
  if (x === 0n) return 0n;
  return x < 0n ? roundPack(cpu, 1, -x, -fbits, f, rounding) : roundPack(cpu, 0, x, -fbits, f, rounding);
}

/**
 * FPConvert (ARM ARM J1.3) between formats. NaNs keep their sign and the top of their payload
 * (FPConvertNaN) unless FPCR.DN; the Arm alternative half precision has no NaNs or infinities:
 * they convert to zero or the largest value with Invalid Operation.
 */
function convertSlow(cpu: Cpu, a: bigint, from: Fmt, to: Fmt): bigint {
  const ahp = (cpu.fpcr & FPCR_AHP) !== 0;
  const ua = unpack(cpu, a, from, from.half && ahp);
  const altOut = to.half && ahp;
  if (ua.cls >= Cls.QNaN) {
    if (altOut) { cpu.fpsr |= IOC; return zeroBits(ua.sign, to); }
    if (ua.cls === Cls.SNaN) cpu.fpsr |= IOC;
    if (cpu.fpcr & FPCR_DN) return to.defaultNaN;
    const frac = a & from.fracMask;
    const payload = to.fbits >= from.fbits ? frac << BigInt(to.fbits - from.fbits) : frac >> BigInt(from.fbits - to.fbits);
    return (ua.sign ? to.signBit : 0n) | (BigInt(to.expMax) << BigInt(to.fbits)) | payload | to.quietBit;
  }
  if (ua.cls === Cls.Inf) {
    if (altOut) { cpu.fpsr |= IOC; return (ua.sign ? to.signBit : 0n) | (to.signBit - 1n); }
    return infBits(ua.sign, to);
  }
  if (ua.cls === Cls.Zero) return zeroBits(ua.sign, to);
  return roundPack(cpu, ua.sign, ua.mant, ua.exp, to, fpcrRounding(cpu), altOut);
}

// ---------------------------------------------------------------- single precision API

/**
 * Single-precision a + b or a - b. Round-to-nearest on normal or zero operands runs on host
 * numbers, with the exact error term telling whether the result was inexact; everything else
 * (other rounding modes, subnormals, NaNs, overflow) takes the exact path. Subtraction is not
 * addition of a negated operand there: negating a NaN operand would change the result.
 */
function addSub32(cpu: Cpu, a: number, b: number, negate: boolean, op: Op): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz32(a) && normz32(b)) {
    const x = f32(a), y = negate ? -f32(b) : f32(b), s = x + y;
    const r = Math.fround(s), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      // Rounding twice (to double, then single) is exact enough for addition since 53 >= 2*24+2.
      const bb = s - x, err = (x - (s - bb)) + (y - bb);
      if (err !== 0 || r !== s) cpu.fpsr |= IXC;
      return bits32(r);
    }
    if (s === 0) return bits32(s);
  }
  if ((nonFinite32(a) || nonFinite32(b)) && notSub32(a) && notSub32(b)) {
    return nans32(cpu, a, b) ?? infResult32(cpu, negate ? f32(a) - f32(b) : f32(a) + f32(b));
  }
  return Number(binopSlow(cpu, op, big32(a), big32(b), S)) | 0;
}

export function fpAdd32(cpu: Cpu, a: number, b: number): number {
  return addSub32(cpu, a, b, false, Op.Add);
}

export function fpSub32(cpu: Cpu, a: number, b: number): number {
  return addSub32(cpu, a, b, true, Op.Sub);
}

export function fpMul32(cpu: Cpu, a: number, b: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz32(a) && normz32(b)) {
    const x = f32(a), y = f32(b), p = x * y; // exact: 48 significant bits
    const r = Math.fround(p), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      if (r !== p) cpu.fpsr |= IXC;
      return bits32(r);
    }
    if (p === 0) return bits32(p);
  }
  if ((nonFinite32(a) || nonFinite32(b)) && notSub32(a) && notSub32(b)) return nans32(cpu, a, b) ?? infResult32(cpu, f32(a) * f32(b));
  return Number(binopSlow(cpu, Op.Mul, big32(a), big32(b), S)) | 0;
}

export function fpDiv32(cpu: Cpu, a: number, b: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz32(a) && normz32(b) && (b & 0x7fffffff) !== 0) {
    const x = f32(a), y = f32(b), q = x / y;
    const r = Math.fround(q), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      if (r * y !== x) cpu.fpsr |= IXC; // r * y is exact in double
      return bits32(r);
    }
    if (x === 0) return bits32(q);
  }
  return Number(binopSlow(cpu, Op.Div, big32(a), big32(b), S)) | 0;
}

export function fpSqrt32(cpu: Cpu, a: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && a > 0 && normz32(a)) {
    const x = f32(a), r = Math.fround(Math.sqrt(x));
    if (r * r !== x) cpu.fpsr |= IXC;
    return bits32(r);
  }
  return Number(sqrtSlow(cpu, big32(a), S)) | 0;
}

/**
 * FPMax/FPMin on two numbers (no NaNs, no denormals): whether the first operand is the result.
 * Equal values are identical bits except for zeros, where +0 is the larger.
 */
function pickFirst(x: number, y: number, aNegative: boolean, wantMax: boolean): boolean {
  if (x === y) return wantMax ? !aNegative : aNegative;
  return wantMax ? x > y : x < y;
}

function maxMin32(cpu: Cpu, op: Op, a: number, b: number): number {
  if (normz32(a) && normz32(b)) return pickFirst(f32(a), f32(b), a < 0, op === Op.Max || op === Op.MaxNum) ? a : b;
  return Number(binopSlow(cpu, op, big32(a), big32(b), S)) | 0;
}

function maxMin64(cpu: Cpu, op: Op, aLo: number, aHi: number, bLo: number, bHi: number): number {
  if (normz64(aLo, aHi) && normz64(bLo, bHi)) {
    const first = pickFirst(f64(aLo, aHi), f64(bLo, bHi), aHi < 0, op === Op.Max || op === Op.MaxNum);
    fp64Out.hi = first ? aHi : bHi;
    return first ? aLo : bLo;
  }
  return ret64(binopSlow(cpu, op, big64(aLo, aHi), big64(bLo, bHi), D));
}

export function fpMax32(cpu: Cpu, a: number, b: number): number { return maxMin32(cpu, Op.Max, a, b); }
export function fpMin32(cpu: Cpu, a: number, b: number): number { return maxMin32(cpu, Op.Min, a, b); }
export function fpMaxNum32(cpu: Cpu, a: number, b: number): number { return maxMin32(cpu, Op.MaxNum, a, b); }
export function fpMinNum32(cpu: Cpu, a: number, b: number): number { return maxMin32(cpu, Op.MinNum, a, b); }

/** FPMulAdd: addend + a * b, single rounding. */
export function fpMulAdd32(cpu: Cpu, addend: number, a: number, b: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz32(addend) && normz32(a) && normz32(b)) {
    const c = f32(addend), p = f32(a) * f32(b); // exact product
    // A zero factor: the product is an exact signed zero, and c + p follows IEEE signed-zero
    // rules (FPMulAdd's zero cases in round to nearest); c is a single, so the sum is exact.
    if (p === 0) return bits32(c + p);
    const s = p + c, bb = s - p, err = (p - (s - bb)) + (c - bb); // s + err is exact
    const r = Math.fround(s), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      // fround(s) is the correctly rounded s + err unless s lies exactly halfway between two
      // singles (then err decides); detect that from the low 29 bits of s's significand.
      sF64[0] = s;
      if (err === 0 || (sI32[0] & 0x1fffffff) !== 0x10000000) {
        if (err !== 0 || r !== s) cpu.fpsr |= IXC;
        return bits32(r);
      }
    } else if (s === 0 && err === 0 && p !== 0) {
      return bits32(s); // exact cancellation: +0 in round to nearest
    }
  }
  if ((nonFinite32(addend) || nonFinite32(a) || nonFinite32(b)) && notSub32(addend) && notSub32(a) && notSub32(b)) {
    const nan = nans32(cpu, addend, a, b);
    if (nan === undefined) return infResult32(cpu, f32(addend) + f32(a) * f32(b));
    // A quiet NaN addend does not hide the invalid 0 * inf product.
    const zeroA = (a & 0x7fffffff) === 0, zeroB = (b & 0x7fffffff) === 0, infA = (a & 0x7fffffff) === 0x7f800000, infB = (b & 0x7fffffff) === 0x7f800000;
    if (isNaN32(addend) && !isSNaN32(addend) && ((infA && zeroB) || (zeroA && infB))) { cpu.fpsr |= IOC; return DEFAULT_NAN32; }
    return nan;
  }
  return Number(mulAddSlow(cpu, big32(addend), big32(a), big32(b), S)) | 0;
}

export function fpCompare32(cpu: Cpu, a: number, b: number, signalAllNaNs: boolean): number {
  if (normz32(a) && normz32(b)) {
    const x = f32(a), y = f32(b);
    return x === y ? 0b0110 : x < y ? 0b1000 : 0b0010;
  }
  if (notSub32(a) && notSub32(b)) {
    if (isNaN32(a) || isNaN32(b)) {
      if (signalAllNaNs || isSNaN32(a) || isSNaN32(b)) cpu.fpsr |= IOC;
      return 0b0011;
    }
    const x = f32(a), y = f32(b);
    return x === y ? 0b0110 : x < y ? 0b1000 : 0b0010;
  }
  return compareSlow(cpu, big32(a), big32(b), S, signalAllNaNs);
}

/**
 * Round a finite non-NaN host number to an integral value (FPRoundInt's numeric case) for
 * |x| < 2^52, where x - floor(x) is exact; the sign of a zero result follows x.
 */
function roundIntegral(x: number, rounding: number): number {
  let r: number;
  switch (rounding) {
    case RP: r = Math.ceil(x); break;
    case RM: r = Math.floor(x); break;
    case RZ: r = Math.trunc(x); break;
    default: {
      const f = Math.floor(x), diff = x - f;
      if (diff > 0.5 || (diff === 0.5 && (rounding === RA ? x > 0 : f % 2 !== 0))) r = f + 1;
      else if (diff === 0.5 && rounding === RA) r = f; // negative tie: away from zero is down
      else r = f;
    }
  }
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r === 0 ? 0 : r;
}

export function fpRoundInt32(cpu: Cpu, a: number, rounding: number, exact: boolean): number {
  if (normz32(a)) {
    const x = f32(a);
    if (Math.abs(x) >= 2 ** 23) return a; // already integral
    const r = roundIntegral(x, rounding);
    if (exact && r !== x) cpu.fpsr |= IXC;
    return bits32(r);
  }
  return Number(roundIntSlow(cpu, big32(a), S, rounding, exact)) | 0;
}

/**
 * FPToFixed for a normal (or zero) host value when the scaled, rounded result is an exactly
 * representable integer inside the destination range; returns false to take the exact path.
 * On success the result is in fastLo/fp64Out.hi.
 */
let fastLo = 0;
function toFixedFast(cpu: Cpu, x: number, fbits: number, unsigned: boolean, rounding: number, intBits: number): boolean {
  const v = x * 2 ** fbits; // exact: scaling a normal by at most 2^64 cannot underflow
  if (!(Math.abs(v) < 2 ** 52)) return false;
  const t = roundIntegral(v, rounding);
  const inRange = unsigned ? t >= 0 && (intBits === 32 ? t <= 0xffffffff : true)
    : intBits === 32 ? t >= -2147483648 && t <= 2147483647 : true;
  if (!inRange) return false;
  if (t !== v) cpu.fpsr |= IXC;
  const h = Math.floor(t / 4294967296);
  fp64Out.hi = intBits === 64 ? h | 0 : 0;
  fastLo = (t - h * 4294967296) | 0;
  return true;
}

/** FPToFixed from single; returns the low word (high word in fp64Out.hi when intBits is 64). */
export function fpToFixed32(cpu: Cpu, a: number, fbits: number, unsigned: boolean, rounding: number, intBits: number): number {
  if (normz32(a) && toFixedFast(cpu, f32(a), fbits, unsigned, rounding, intBits)) return fastLo;
  return ret64(toFixedSlow(cpu, big32(a), S, fbits, unsigned, rounding, intBits));
}

/** FixedToFP to single from an integer (lo, hi) of intBits (32 or 64). */
export function fixedToFp32(cpu: Cpu, lo: number, hi: number, intBits: number, unsigned: boolean, fbits: number, rounding: number): number {
  if (intBits === 32 && rounding === RN) {
    // Exact in double; one rounding to single.
    const v = (unsigned ? lo >>> 0 : lo | 0) * 2 ** -fbits, r = Math.fround(v);
    if (r !== v) cpu.fpsr |= IXC;
    return bits32(r);
  }
  return Number(fixedToFpSlow(cpu, intBits === 64 ? big64(lo, hi) : big32(lo), intBits, unsigned, fbits, S, rounding)) | 0;
}

// ---------------------------------------------------------------- double precision API

/** Double-precision a + b or a - b; as addSub32, with double sums exact to detect inexactness. */
function addSub64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number, negate: boolean, op: Op): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz64(aLo, aHi) && normz64(bLo, bHi)) {
    const x = f64(aLo, aHi), y = negate ? -f64(bLo, bHi) : f64(bLo, bHi), s = x + y, as = Math.abs(s);
    if (as > MIN_NORMAL64 && as <= MAX64) {
      const bb = s - x, err = (x - (s - bb)) + (y - bb);
      if (err !== 0) cpu.fpsr |= IXC;
      return ret64num(s);
    }
    if (s === 0) return ret64num(s);
  }
  return ret64(binopSlow(cpu, op, big64(aLo, aHi), big64(bLo, bHi), D));
}

export function fpAdd64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number {
  return addSub64(cpu, aLo, aHi, bLo, bHi, false, Op.Add);
}

export function fpSub64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number {
  return addSub64(cpu, aLo, aHi, bLo, bHi, true, Op.Sub);
}

export function fpMul64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz64(aLo, aHi) && normz64(bLo, bHi)) {
    const x = f64(aLo, aHi), y = f64(bLo, bHi), p = x * y, ap = Math.abs(p);
    if (p === 0 && (x === 0 || y === 0)) return ret64num(p);
    if (ap > SAFE_LOW && ap <= MAX64 && Math.abs(x) < SAFE_HIGH && Math.abs(y) < SAFE_HIGH) {
      if (productError(x, y, p) !== 0) cpu.fpsr |= IXC;
      return ret64num(p);
    }
  }
  return ret64(binopSlow(cpu, Op.Mul, big64(aLo, aHi), big64(bLo, bHi), D));
}

export function fpDiv64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz64(aLo, aHi) && normz64(bLo, bHi) && ((bHi & 0x7fffffff) | bLo) !== 0) {
    const x = f64(aLo, aHi), y = f64(bLo, bHi), q = x / y, aq = Math.abs(q);
    if (x === 0) return ret64num(q);
    const ax = Math.abs(x), ay = Math.abs(y);
    if (aq > SAFE_LOW && aq < SAFE_HIGH && ax > SAFE_LOW && ax < SAFE_HIGH && ay < SAFE_HIGH) {
      // Exact iff q * y == x exactly.
      const p = q * y;
      if (p !== x || productError(q, y, p) !== 0) cpu.fpsr |= IXC;
      return ret64num(q);
    }
  }
  return ret64(binopSlow(cpu, Op.Div, big64(aLo, aHi), big64(bLo, bHi), D));
}

export function fpSqrt64(cpu: Cpu, lo: number, hi: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && hi > 0 && normz64(lo, hi)) {
    const x = f64(lo, hi);
    if (x > SAFE_LOW && x < SAFE_HIGH) {
      const r = Math.sqrt(x), p = r * r;
      if (p !== x || productError(r, r, p) !== 0) cpu.fpsr |= IXC;
      return ret64num(r);
    }
  }
  return ret64(sqrtSlow(cpu, big64(lo, hi), D));
}

export function fpMax64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number { return maxMin64(cpu, Op.Max, aLo, aHi, bLo, bHi); }
export function fpMin64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number { return maxMin64(cpu, Op.Min, aLo, aHi, bLo, bHi); }
export function fpMaxNum64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number { return maxMin64(cpu, Op.MaxNum, aLo, aHi, bLo, bHi); }
export function fpMinNum64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number): number { return maxMin64(cpu, Op.MinNum, aLo, aHi, bLo, bHi); }

/** Set by addRoundToOdd when the sum it returns is not exact. */
let roInexact = false;

/**
 * x + y rounded to odd: on an inexact sum with an even significand, step one unit toward the
 * exact value. Summing a double-double this way and then rounding to nearest gives the
 * correctly rounded result (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums:
 * proved algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008).
 */
function addRoundToOdd(x: number, y: number): number {
  const s = x + y, bb = s - x, e = (x - (s - bb)) + (y - bb);
  if (e === 0) return s;
  roInexact = true;
  sF64[0] = s;
  const lo = sI32[0];
  if (lo & 1) return s;
  // Step to the neighbour of s on the side of the exact sum (the side of e; s is not zero, as
  // a sum rounding to zero is exact). It is s +- ulp(s), except toward zero from a power of two
  // above the smallest normal, where the spacing below is half. Adding the step is exact; this
  // avoids rebuilding the double from modified words, which the CPU cannot forward quickly.
  const hi = sI32[1], ef = (hi >>> 20) & 0x7ff;
  let ulp = ULP64[ef];
  if (lo === 0 && (hi & 0xfffff) === 0 && ef > 1 && (e > 0) !== (s > 0)) ulp *= 0.5;
  return e > 0 ? s + ulp : s - ulp;
}

/** ulp of a double by its biased exponent field: 2^(max(field, 1) - 1075). */
const ULP64 = new Float64Array(2048).map((_, i) => 2 ** (Math.max(i, 1) - 1075));

/**
 * fpMulAdd64's fast path on host doubles (normal or zero operands, round to nearest): the
 * result, IXC raised when inexact, or NaN (never a result here) to take the exact path.
 */
function mulAddFast64(cpu: Cpu, c: number, a: number, b: number): number {
  const p = a * b, ap = Math.abs(p), ac = Math.abs(c);
  // A zero factor: the product is an exact signed zero, and c + p follows IEEE signed-zero rules.
  if (a === 0 || b === 0) return c + p;
  if (ap > SAFE_LOW && ap < SAFE_HIGH && Math.abs(a) < SAFE_HIGH && Math.abs(b) < SAFE_HIGH &&
    (c === 0 || (ac > SAFE_LOW && ac < SAFE_HIGH))) {
    const pl = productError(a, b, p); // a * b = p + pl exactly
    const th = c + p, bb = th - c, tl = (c - (th - bb)) + (p - bb); // c + p = th + tl exactly
    roInexact = false;
    const v = addRoundToOdd(tl, pl);
    const r = th + v, b2 = r - th, err = (th - (r - b2)) + (v - b2);
    const inexact = err !== 0 || roInexact;
    if ((Math.abs(r) > MIN_NORMAL64 && (v === 0 || Math.abs(v) >= MIN_NORMAL64)) || (r === 0 && !inexact)) {
      if (inexact) cpu.fpsr |= IXC;
      return r;
    }
  }
  return NaN;
}

/**
 * FPMulAdd: addend + a * b with a single rounding. Fast path for round to nearest on normal
 * operands away from the range limits: the product as an exact double-double (Dekker), its
 * exact sum with the addend (TwoSum), the low parts added with rounding to odd, one final
 * rounding; exact BigInt evaluation otherwise.
 */
export function fpMulAdd64(cpu: Cpu, cLo: number, cHi: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz64(aLo, aHi) && normz64(bLo, bHi) && normz64(cLo, cHi)) {
    const r = mulAddFast64(cpu, f64(cLo, cHi), f64(aLo, aHi), f64(bLo, bHi));
    if (r === r) return ret64num(r);
  }
  return ret64(mulAddSlow(cpu, big64(cLo, cHi), big64(aLo, aHi), big64(bLo, bHi), D));
}

// ---------------------------------------------------------------- double precision on host values

/*
 * The common double-precision cases on host numbers in the register file's Float64Array view
 * (callers: scalar FADD/FSUB/FMUL/FDIV/FNMUL/FMADD..., vector .2d forms). Building a double
 * from two int32 words through a scratch buffer makes the CPU forward two narrow stores into
 * one wide load, which it cannot do quickly; and a double passed to or returned from a call
 * that is not inlined is boxed on the heap. So these take the view and element indices,
 * read the operands and, when their fast path applies, write the correctly rounded result to
 * element `o` (FPSR.IXC raised when inexact) and return true. Otherwise they return false
 * having changed nothing, and the caller runs the bit-exact function above on the words.
 * `neg` flags negate an operand (or the result) first, exactly, as FPNeg does for non-NaNs.
 */

/** Normal or zero (FPUnpack reads it as itself: no flush-to-zero, not an infinity or NaN). */
function normzD(x: number): boolean {
  const ax = Math.abs(x);
  return ax === 0 || (ax >= MIN_NORMAL64 && ax <= MAX64);
}

/** FPAdd of elements a and b (b negated for FSUB) into element o; as addSub64's fast path. */
export function fpAdd64v(cpu: Cpu, f: Float64Array, o: number, a: number, b: number, negB: boolean): boolean {
  const x = f[a], y = negB ? -f[b] : f[b];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzD(x) && normzD(y)) {
    const s = x + y, as = Math.abs(s);
    if (as > MIN_NORMAL64 && as <= MAX64) {
      const bb = s - x, err = (x - (s - bb)) + (y - bb);
      if (err !== 0) cpu.fpsr |= IXC;
      f[o] = s;
      return true;
    }
    if (s === 0) { f[o] = s; return true; }
  }
  return false;
}

/** FPMul of elements a and b into element o (negated for FNMUL); as fpMul64's fast path. */
export function fpMul64v(cpu: Cpu, f: Float64Array, o: number, a: number, b: number, negR: boolean): boolean {
  const x = f[a], y = f[b];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzD(x) && normzD(y)) {
    const p = x * y, ap = Math.abs(p);
    if (p === 0 && (x === 0 || y === 0)) { f[o] = negR ? -p : p; return true; }
    if (ap > SAFE_LOW && ap <= MAX64 && Math.abs(x) < SAFE_HIGH && Math.abs(y) < SAFE_HIGH) {
      if (productError(x, y, p) !== 0) cpu.fpsr |= IXC;
      f[o] = negR ? -p : p;
      return true;
    }
  }
  return false;
}

/** FPDiv of elements a and b into element o; as fpDiv64's fast path. */
export function fpDiv64v(cpu: Cpu, f: Float64Array, o: number, a: number, b: number): boolean {
  const x = f[a], y = f[b];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzD(x) && normzD(y) && y !== 0) {
    const q = x / y, aq = Math.abs(q);
    if (x === 0) { f[o] = q; return true; }
    const ax = Math.abs(x), ay = Math.abs(y);
    if (aq > SAFE_LOW && aq < SAFE_HIGH && ax > SAFE_LOW && ax < SAFE_HIGH && ay < SAFE_HIGH) {
      const p = q * y;
      if (p !== x || productError(q, y, p) !== 0) cpu.fpsr |= IXC;
      f[o] = q;
      return true;
    }
  }
  return false;
}

/**
 * FPMulAdd (element c + element a * element b, one rounding; c and a optionally negated
 * first) into element o; as fpMulAdd64's fast path.
 */
export function fpMulAdd64v(cpu: Cpu, f: Float64Array, o: number, ci: number, ai: number, bi: number, negC: boolean, negA: boolean): boolean {
  const c = negC ? -f[ci] : f[ci], a = negA ? -f[ai] : f[ai], b = f[bi];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzD(a) && normzD(b) && normzD(c)) {
    const r = mulAddFast64(cpu, c, a, b);
    if (r === r) { f[o] = r; return true; }
  }
  return false;
}

/*
 * Single precision likewise, on the register file's Float32Array view (vector .4s/.2s
 * forms). A lane value read as a host number is exact for every non-NaN single; NaN lanes
 * (whose signalling bit the conversion to double may change) are never used: the functions
 * return false and the caller takes the bit-exact path on the lane's word.
 */

/** Normal or zero single as a host number. */
function normzF(x: number): boolean {
  const ax = Math.abs(x);
  return ax === 0 || (ax >= MIN_NORMAL32 && ax <= MAX32);
}

/** Not a NaN and not a subnormal: FPUnpack reads it as itself without flags. */
function plainF(x: number): boolean {
  const ax = Math.abs(x);
  return ax === 0 || ax >= MIN_NORMAL32; // false for NaN
}

/**
 * An infinity among NaN-free, subnormal-free operands: the host result is exact; an invalid
 * operation (a NaN result) is left to the bit-exact path, which raises IOC.
 */
function infOk(v: number): boolean { return v === v; }

/** FPAdd of lanes a and b (b negated for FSUB) into lane o; as addSub32's fast paths. */
export function fpAdd32v(cpu: Cpu, f: Float32Array, o: number, a: number, b: number, negB: boolean): boolean {
  const x = f[a], y = negB ? -f[b] : f[b];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzF(x) && normzF(y)) {
    const s = x + y;
    const r = Math.fround(s), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      const bb = s - x, err = (x - (s - bb)) + (y - bb);
      if (err !== 0 || r !== s) cpu.fpsr |= IXC;
      f[o] = r;
      return true;
    }
    if (s === 0) { f[o] = s; return true; }
  }
  if ((isInfF(x) || isInfF(y)) && plainF(x) && plainF(y)) {
    const v = x + y;
    if (infOk(v)) { f[o] = v; return true; }
  }
  return false;
}

/** FPMul of lanes a and b into lane o; as fpMul32's fast paths. */
export function fpMul32v(cpu: Cpu, f: Float32Array, o: number, a: number, b: number): boolean {
  const x = f[a], y = f[b];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzF(x) && normzF(y)) {
    const p = x * y;
    const r = Math.fround(p), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      if (r !== p) cpu.fpsr |= IXC;
      f[o] = r;
      return true;
    }
    if (p === 0) { f[o] = p; return true; }
  }
  if ((isInfF(x) || isInfF(y)) && plainF(x) && plainF(y)) {
    const v = x * y;
    if (infOk(v)) { f[o] = v; return true; }
  }
  return false;
}

/** FPMulAdd (lane c + lane a * lane b, a optionally negated) into lane o; as fpMulAdd32's fast paths. */
export function fpMulAdd32v(cpu: Cpu, f: Float32Array, o: number, ci: number, ai: number, bi: number, negA: boolean): boolean {
  const c = f[ci], a = negA ? -f[ai] : f[ai], b = f[bi];
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normzF(c) && normzF(a) && normzF(b)) {
    const p = a * b;
    if (p === 0) { f[o] = c + p; return true; }
    const s = p + c, bb = s - p, err = (p - (s - bb)) + (c - bb);
    const r = Math.fround(s), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      sF64[0] = s;
      if (err === 0 || (sI32[0] & 0x1fffffff) !== 0x10000000) {
        if (err !== 0 || r !== s) cpu.fpsr |= IXC;
        f[o] = r;
        return true;
      }
    } else if (s === 0 && err === 0) {
      f[o] = s;
      return true;
    }
  }
  if ((isInfF(c) || isInfF(a) || isInfF(b)) && plainF(c) && plainF(a) && plainF(b)) {
    const v = c + a * b;
    if (infOk(v)) { f[o] = v; return true; }
  }
  return false;
}

/** An infinity of either sign. */
function isInfF(x: number): boolean { return x === Infinity || x === -Infinity; }

export function fpCompare64(cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number, signalAllNaNs: boolean): number {
  if (normz64(aLo, aHi) && normz64(bLo, bHi)) {
    const x = f64(aLo, aHi), y = f64(bLo, bHi);
    return x === y ? 0b0110 : x < y ? 0b1000 : 0b0010;
  }
  return compareSlow(cpu, big64(aLo, aHi), big64(bLo, bHi), D, signalAllNaNs);
}

export function fpRoundInt64(cpu: Cpu, lo: number, hi: number, rounding: number, exact: boolean): number {
  if (normz64(lo, hi)) {
    const x = f64(lo, hi);
    if (Math.abs(x) >= 2 ** 52) { fp64Out.hi = hi; return lo; } // already integral
    const r = roundIntegral(x, rounding);
    if (exact && r !== x) cpu.fpsr |= IXC;
    return ret64num(r);
  }
  return ret64(roundIntSlow(cpu, big64(lo, hi), D, rounding, exact));
}

export function fpToFixed64(cpu: Cpu, lo: number, hi: number, fbits: number, unsigned: boolean, rounding: number, intBits: number): number {
  if (normz64(lo, hi) && toFixedFast(cpu, f64(lo, hi), fbits, unsigned, rounding, intBits)) return fastLo;
  return ret64(toFixedSlow(cpu, big64(lo, hi), D, fbits, unsigned, rounding, intBits));
}

export function fixedToFp64(cpu: Cpu, lo: number, hi: number, intBits: number, unsigned: boolean, fbits: number, rounding: number): number {
  if (intBits === 32) {
    // Every 32-bit integer is exact in double precision; scaling by 2^-fbits is exact too.
    const v = unsigned ? lo >>> 0 : lo | 0;
    return ret64num(v * 2 ** -fbits);
  }
  return ret64(fixedToFpSlow(cpu, big64(lo, hi), intBits, unsigned, fbits, D, rounding));
}

// ---------------------------------------------------------------- conversions between formats

export function fpConvert32to64(cpu: Cpu, a: number): number {
  if (normz32(a)) return ret64num(f32(a)); // exact widening
  return ret64(convertSlow(cpu, big32(a), S, D));
}

export function fpConvert64to32(cpu: Cpu, lo: number, hi: number): number {
  if ((cpu.fpcr & FPCR_RMODE_MASK) === 0 && normz64(lo, hi)) {
    const x = f64(lo, hi), r = Math.fround(x), ar = Math.abs(r);
    if (ar > MIN_NORMAL32 && ar <= MAX32) {
      if (r !== x) cpu.fpsr |= IXC;
      return bits32(r);
    }
    if (x === 0) return bits32(x);
  }
  return Number(convertSlow(cpu, big64(lo, hi), D, S)) | 0;
}
export function fpConvert16to32(cpu: Cpu, h: number): number { return Number(convertSlow(cpu, BigInt(h & 0xffff), H, S)) | 0; }
export function fpConvert32to16(cpu: Cpu, a: number): number { return Number(convertSlow(cpu, big32(a), S, H)); }
export function fpConvert16to64(cpu: Cpu, h: number): number { return ret64(convertSlow(cpu, BigInt(h & 0xffff), H, D)); }
export function fpConvert64to16(cpu: Cpu, lo: number, hi: number): number { return Number(convertSlow(cpu, big64(lo, hi), D, H)); }

// ---------------------------------------------------------------- sign manipulation

/** FPNeg/FPAbs (ARM ARM J1.3) are pure sign-bit operations: no NaN processing, no flags. */
export function fpNeg32(a: number): number { return a ^ 0x80000000; }
export function fpAbs32(a: number): number { return a & 0x7fffffff; }
