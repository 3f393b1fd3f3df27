/**
 * Building blocks shared by the integer data-processing groups: 64-bit shifts and rotates on
 * (lo, hi) int32 pairs, the AddWithCarry() core with and without NZCV, register extension and
 * the bitmask immediate decoder. None of the run-time helpers allocates: pair results return
 * the low word and leave the high word in `outHi`.
 */
import type { Cpu } from "../cpu.js";

/** High word of the last pair returned by a helper below. */
export let outHi = 0;

/** Logical shift left of a pair by 0..63. */
export function lsl64(lo: number, hi: number, s: number): number {
  if (s === 0) { outHi = hi; return lo; }
  if (s < 32) { outHi = (hi << s) | (lo >>> (32 - s)); return lo << s; }
  outHi = lo << (s - 32);
  return 0;
}

/** Logical shift right of a pair by 0..63. */
export function lsr64(lo: number, hi: number, s: number): number {
  if (s === 0) { outHi = hi; return lo; }
  if (s < 32) { outHi = hi >>> s; return (lo >>> s) | (hi << (32 - s)); }
  outHi = 0;
  return (hi >>> (s - 32)) | 0;
}

/** Arithmetic shift right of a pair by 0..63. */
export function asr64(lo: number, hi: number, s: number): number {
  if (s === 0) { outHi = hi; return lo; }
  if (s < 32) { outHi = hi >> s; return (lo >>> s) | (hi << (32 - s)); }
  outHi = hi >> 31;
  return hi >> (s - 32);
}

/** Rotate right of a pair by 0..63. */
export function ror64(lo: number, hi: number, s: number): number {
  if (s === 0) { outHi = hi; return lo; }
  if (s < 32) { outHi = (hi >>> s) | (lo << (32 - s)); return (lo >>> s) | (hi << (32 - s)); }
  if (s === 32) { outHi = lo; return hi; }
  const t = s - 32;
  outHi = (lo >>> t) | (hi << (32 - t));
  return (hi >>> t) | (lo << (32 - t));
}

/** ShiftReg() for 64-bit operands; type 0 LSL, 1 LSR, 2 ASR, 3 ROR (ARM ARM shared pseudocode). */
export function shift64(type: number, lo: number, hi: number, s: number): number {
  switch (type) {
    case 0: return lsl64(lo, hi, s);
    case 1: return lsr64(lo, hi, s);
    case 2: return asr64(lo, hi, s);
    default: return ror64(lo, hi, s);
  }
}

/** ShiftReg() for 32-bit operands, amount 0..31. */
export function shift32(type: number, v: number, s: number): number {
  switch (type) {
    case 0: return v << s;
    case 1: return (v >>> s) | 0;
    case 2: return v >> s;
    default: return (v >>> s) | (v << (32 - s));
  }
}

/**
 * ExtendReg() for 64-bit operations: extend the register per `option` (UXTB, UXTH, UXTW, UXTX,
 * SXTB, SXTH, SXTW, SXTX) then shift left by 0..4.
 */
export function extend64(option: number, lo: number, hi: number, s: number): number {
  switch (option) {
    case 0: lo &= 0xff; hi = 0; break;
    case 1: lo &= 0xffff; hi = 0; break;
    case 2: hi = 0; break;
    case 4: lo = (lo << 24) >> 24; hi = lo >> 31; break;
    case 5: lo = (lo << 16) >> 16; hi = lo >> 31; break;
    case 6: hi = lo >> 31; break;
    default: break; // UXTX, SXTX: the whole register
  }
  return lsl64(lo, hi, s);
}

/** ExtendReg() for 32-bit operations. */
export function extend32(option: number, v: number, s: number): number {
  switch (option & 3) {
    case 0: v = option & 4 ? (v << 24) >> 24 : v & 0xff; break;
    case 1: v = option & 4 ? (v << 16) >> 16 : v & 0xffff; break;
    default: break; // W-sized and X-sized extensions keep all 32 bits
  }
  return v << s;
}

/** AddWithCarry() result only, 64-bit: X[dd/2] = a + b + cin. `dd` is a pre-doubled slot. */
export function add64To(x: Int32Array, dd: number, alo: number, ahi: number, blo: number, bhi: number, cin: number): void {
  const l = (alo >>> 0) + (blo >>> 0) + cin;
  x[dd] = l;
  x[dd + 1] = (ahi + bhi + (l > 0xffffffff ? 1 : 0)) | 0;
}

/** AddWithCarry() with NZCV, 64-bit (ARM ARM shared/functions/integer/AddWithCarry). */
export function adds64To(cpu: Cpu, dd: number, alo: number, ahi: number, blo: number, bhi: number, cin: number): void {
  const l = (alo >>> 0) + (blo >>> 0) + cin;
  const h = (ahi >>> 0) + (bhi >>> 0) + (l > 0xffffffff ? 1 : 0);
  const rlo = l | 0, rhi = h | 0;
  const x = cpu.x;
  x[dd] = rlo;
  x[dd + 1] = rhi;
  cpu.nf = rhi >>> 31;
  cpu.zf = (rlo | rhi) === 0 ? 1 : 0;
  cpu.cf = h > 0xffffffff ? 1 : 0;
  // Signed overflow: both operands have the same sign and the result's sign differs.
  cpu.vf = ((ahi ^ rhi) & (bhi ^ rhi)) >>> 31;
}

/** AddWithCarry() with NZCV, 32-bit; the destination's high word is zeroed. */
export function adds32To(cpu: Cpu, dd: number, a: number, b: number, cin: number): void {
  const u = (a >>> 0) + (b >>> 0) + cin;
  const r = u | 0;
  const x = cpu.x;
  x[dd] = r;
  x[dd + 1] = 0;
  cpu.nf = r >>> 31;
  cpu.zf = r === 0 ? 1 : 0;
  cpu.cf = u > 0xffffffff ? 1 : 0;
  cpu.vf = ((a ^ r) & (b ^ r)) >>> 31;
}

/** NZ from a logical result, C and V cleared (ARM ARM C6.2 ANDS: "PSTATE.<N,Z,C,V> = result<msb>:IsZeroBit(result):'00'"). */
export function logicFlags64(cpu: Cpu, lo: number, hi: number): void {
  cpu.nf = hi >>> 31;
  cpu.zf = (lo | hi) === 0 ? 1 : 0;
  cpu.cf = 0;
  cpu.vf = 0;
}

export function logicFlags32(cpu: Cpu, v: number): void {
  cpu.nf = v >>> 31;
  cpu.zf = v === 0 ? 1 : 0;
  cpu.cf = 0;
  cpu.vf = 0;
}

// ---- code generation for compile hooks (see CompileFn in table.ts) ----
// The snippets run where `cpu` and `x` (= cpu.x) are in scope. Operands are JS expressions or
// numbers (written in as literals); every operand is read before the destination is written,
// since the destination may be a source too.

/** An int32 operand as source text. */
export function int32Src(v: string | number): string {
  return typeof v === "number" ? String(v | 0) : v;
}

/**
 * ShiftReg() of register slot `m` (pre-doubled) by the constant `s`, 64-bit, as [lo, hi]
 * source, for LSL/LSR/ASR; undefined for ROR (left to exec).
 */
export function shift64Src(type: number, m: number, s: number): [string, string] | undefined {
  const lo = `x[${m}]`, hi = `x[${m + 1}]`;
  if (s === 0) return [lo, hi];
  switch (type) {
    case 0: return s < 32 ? [`(${lo} << ${s})`, `((${hi} << ${s}) | (${lo} >>> ${32 - s}))`] : ["0", `(${lo} << ${s - 32})`];
    case 1: return s < 32 ? [`((${lo} >>> ${s}) | (${hi} << ${32 - s}))`, `((${hi} >>> ${s}) | 0)`] : [`((${hi} >>> ${s - 32}) | 0)`, "0"];
    case 2: return s < 32 ? [`((${lo} >>> ${s}) | (${hi} << ${32 - s}))`, `(${hi} >> ${s})`] : [`(${hi} >> ${s - 32})`, `(${hi} >> 31)`];
    default: return undefined;
  }
}

/** ROR of register slot `n` (pre-doubled), 64-bit, by the constant `r` (0..63), as [lo, hi] source. */
export function ror64Src(n: number, r: number): [string, string] {
  const lo = `x[${n}]`, hi = `x[${n + 1}]`;
  if (r === 0) return [lo, hi];
  if (r === 32) return [hi, lo];
  if (r < 32) return [`((${lo} >>> ${r}) | (${hi} << ${32 - r}))`, `((${hi} >>> ${r}) | (${lo} << ${32 - r}))`];
  const t = r - 32;
  return [`((${hi} >>> ${t}) | (${lo} << ${32 - t}))`, `((${lo} >>> ${t}) | (${hi} << ${32 - t}))`];
}

/** ShiftReg() of slot `m`, 32-bit, by the constant `s` (0..31), as source. */
export function shift32Src(type: number, m: number, s: number): string {
  const v = `x[${m}]`;
  if (s === 0) return v;
  switch (type) {
    case 0: return `(${v} << ${s})`;
    case 1: return `((${v} >>> ${s}) | 0)`;
    case 2: return `(${v} >> ${s})`;
    default: return `((${v} >>> ${s}) | (${v} << ${32 - s}))`;
  }
}

/** Slot 33 doubled (the XZR sink): a compare's result need not be stored. */
const SINK_SLOT = 66;

/**
 * AddWithCarry() of two 64-bit operands and a constant carry-in into slot `dd`, with NZCV
 * when `flags` (the same computation as add64To and adds64To).
 */
export function add64Src(dd: number, aLo: string, aHi: string, bLo: string | number, bHi: string | number, cin: number, flags: boolean): string {
  // On int32 words only: a sum of two uint32 words is no int32, and V8 computes it in doubles,
  // with conversions back for the stores and the flags. The carry out of a word is read from
  // the wrapped sum instead: a + b + cin wraps below a exactly when it carries (or is equal
  // to a, with a carry in).
  const below = cin ? "<=" : "<";
  const sum = `const al = ${aLo}, ah = ${aHi}, bh = ${int32Src(bHi)}, rl = (al + ${int32Src(bLo)} + ${cin}) | 0, ` +
    `c = (rl >>> 0) ${below} (al >>> 0) ? 1 : 0, rh = (ah + bh + c) | 0;`;
  if (!flags) return `{ ${sum} x[${dd}] = rl; x[${dd + 1}] = rh; }`;
  const store = dd === SINK_SLOT ? "" : `x[${dd}] = rl; x[${dd + 1}] = rh; `;
  return `{ ${sum} ${store}` +
    `cpu.nf = rh >>> 31; cpu.zf = (rl | rh) === 0 ? 1 : 0; cpu.cf = (c !== 0 ? (rh >>> 0) <= (ah >>> 0) : (rh >>> 0) < (ah >>> 0)) ? 1 : 0; ` +
    `cpu.vf = ((ah ^ rh) & (bh ^ rh)) >>> 31; }`;
}

/** AddWithCarry() of two 32-bit operands into slot `dd` (high word zeroed), NZCV when `flags`. */
export function add32Src(dd: number, a: string, b: string | number, cin: number, flags: boolean): string {
  if (!flags) return `x[${dd}] = (${a} + ${int32Src(b)} + ${cin}) | 0; x[${dd + 1}] = 0;`;
  const store = dd === SINK_SLOT ? "" : `x[${dd}] = r; x[${dd + 1}] = 0; `;
  // The carry as add64Src reads it, from the wrapped sum, so nothing is computed in doubles.
  return `{ const a = ${a}, b = ${int32Src(b)}, r = (a + b + ${cin}) | 0; ${store}` +
    `cpu.nf = r >>> 31; cpu.zf = r === 0 ? 1 : 0; cpu.cf = (r >>> 0) ${cin ? "<=" : "<"} (a >>> 0) ? 1 : 0; cpu.vf = ((a ^ r) & (b ^ r)) >>> 31; }`;
}

/** A 64-bit logical operation (`op` a JS operator: &, | or ^) into `dd`, NZ and C = V = 0 when `flags`. */
export function logic64Src(dd: number, op: string, aLo: string, aHi: string, bLo: string, bHi: string, flags: boolean): string {
  const store = dd === SINK_SLOT ? "" : `x[${dd}] = rl; x[${dd + 1}] = rh;`;
  return `{ const rl = ${aLo} ${op} ${bLo}, rh = ${aHi} ${op} ${bHi}; ${store}` +
    (flags ? ` cpu.nf = rh >>> 31; cpu.zf = (rl | rh) === 0 ? 1 : 0; cpu.cf = 0; cpu.vf = 0;` : "") + " }";
}

/** The 32-bit form: the high word is zeroed. */
export function logic32Src(dd: number, op: string, a: string, b: string, flags: boolean): string {
  const store = dd === SINK_SLOT ? "" : `x[${dd}] = r; x[${dd + 1}] = 0;`;
  return `{ const r = ${a} ${op} ${b}; ${store}` +
    (flags ? ` cpu.nf = r >>> 31; cpu.zf = r === 0 ? 1 : 0; cpu.cf = 0; cpu.vf = 0;` : "") + " }";
}

const ONES64 = 0xffffffffffffffffn;

function onesBig(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

function rorBig(v: bigint, r: number, esize: number): bigint {
  if (r === 0) return v;
  const m = onesBig(esize);
  return ((v >> BigInt(r)) | (v << BigInt(esize - r))) & m;
}

function replicateBig(v: bigint, esize: number, datasize: number): bigint {
  let out = 0n;
  for (let i = 0; i < datasize; i += esize) out |= v << BigInt(i);
  return out;
}

/**
 * DecodeBitMasks() (ARM ARM shared/functions/bitmasks): the (wmask, tmask) pair for logical
 * immediates (immediate = true) and bitfield moves. Returns undefined for reserved encodings.
 * Runs at decode time only, so BigInt is fine here.
 */
export function decodeBitMasks(immN: number, imms: number, immr: number, immediate: boolean, datasize: number):
  { wmask: bigint; tmask: bigint } | undefined {
  const combined = (immN << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return undefined;
  const esize = 1 << len;
  if (esize > datasize) return undefined;
  const levels = esize - 1;
  if (immediate && (imms & levels) === levels) return undefined;
  const s = imms & levels, r = immr & levels;
  const diff = (s - r) & levels;
  const welem = onesBig(s + 1);
  const telem = onesBig(diff + 1);
  const wmask = replicateBig(rorBig(welem, r, esize), esize, datasize);
  const tmask = replicateBig(telem, esize, datasize);
  return { wmask: wmask & ONES64, tmask: tmask & ONES64 };
}

/** Low and high int32 words of an unsigned 64-bit BigInt. */
export function wordsOf(v: bigint): [number, number] {
  return [Number(v & 0xffffffffn) | 0, Number((v >> 32n) & 0xffffffffn) | 0];
}

// ---- disassembly helpers ----

const SHIFT_NAMES = ["lsl", "lsr", "asr", "ror"];
export function shiftName(t: number): string { return SHIFT_NAMES[t]; }

const EXTEND_NAMES = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"];
export function extendName(option: number): string { return EXTEND_NAMES[option]; }

/** Unsigned hex with 0x prefix for a pair. */
export function hexPair(lo: number, hi: number): string {
  if (hi === 0) return "0x" + (lo >>> 0).toString(16);
  return "0x" + (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, "0");
}
