/**
 * Single-register loads and stores, general purpose and SIMD&FP (ARM ARM C4.1.66 "Loads and
 * Stores": load/store register with unsigned immediate, unscaled immediate, pre/post-index,
 * register offset and unprivileged forms, load register (literal), PRFM/PRFUM).
 *
 * Each decoded instruction carries `acc`, the access for its size and signedness, and `exec` is
 * chosen per addressing form in `prepare`, with the offset precomputed as a small number that is
 * added to the base's low word with the carry propagated into the high word. Memory is accessed
 * before any register is written, so a faulting access leaves the register file unchanged.
 */
import { Access, Cpu, FSC, zr, zw } from "../cpu.js";
import type { CompileContext, Decoded, ExecFn, InsnDef } from "./table.js";
import { xreg } from "./util.js";
import {
  carryHi, FP_ENABLED_SRC, fpReg, literalTarget, memOff, memPost, memPre, memReg, qAlignSrc, spAlignmentCheck,
  singleRegisterSyndrome,
} from "./loadstore-common.js";

/** An access at (lo, hi) for instruction `d`: loads write register d.t, stores read it. */
type MemAccess = (cpu: Cpu, d: Decoded, lo: number, hi: number) => void;

// ---------------- general-register accesses ----------------
// W-register results zero the high word; sign extension to X fills it from bit 31.

const ld8: MemAccess = (cpu, d, lo, hi) => { const v = cpu.read8(lo, hi), x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = 0; };
const ld16: MemAccess = (cpu, d, lo, hi) => { const v = cpu.read16(lo, hi), x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = 0; };
const ld32: MemAccess = (cpu, d, lo, hi) => { const v = cpu.read32(lo, hi), x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = 0; };
const ld64: MemAccess = (cpu, d, lo, hi) => { const v = cpu.read64(lo, hi), x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = cpu.ldHi; };
const lds8x: MemAccess = (cpu, d, lo, hi) => { const v = (cpu.read8(lo, hi) << 24) >> 24, x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = v >> 31; };
const lds16x: MemAccess = (cpu, d, lo, hi) => { const v = (cpu.read16(lo, hi) << 16) >> 16, x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = v >> 31; };
const lds32x: MemAccess = (cpu, d, lo, hi) => { const v = cpu.read32(lo, hi), x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = v >> 31; };
const lds8w: MemAccess = (cpu, d, lo, hi) => { const v = (cpu.read8(lo, hi) << 24) >> 24, x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = 0; };
const lds16w: MemAccess = (cpu, d, lo, hi) => { const v = (cpu.read16(lo, hi) << 16) >> 16, x = cpu.x; x[d.t * 2] = v; x[d.t * 2 + 1] = 0; };
const st8: MemAccess = (cpu, d, lo, hi) => cpu.write8(lo, hi, cpu.x[d.t * 2] & 0xff);
const st16: MemAccess = (cpu, d, lo, hi) => cpu.write16(lo, hi, cpu.x[d.t * 2] & 0xffff);
const st32: MemAccess = (cpu, d, lo, hi) => cpu.write32(lo, hi, cpu.x[d.t * 2]);
const st64: MemAccess = (cpu, d, lo, hi) => cpu.write64(lo, hi, cpu.x[d.t * 2], cpu.x[d.t * 2 + 1]);

// ---------------- SIMD&FP accesses ----------------
// A scalar load writes the low bytes of Vt and zeroes the rest of the 128-bit register
// (ARM ARM C6.2 LDR (immediate, SIMD&FP): V[t] = data, with the register zero-extended).

function zeroAbove(v32: Int32Array, t: number, fromWord: number): void {
  for (let i = fromWord; i < 4; i++) v32[t * 4 + i] = 0;
}

const fld8: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.read8(lo, hi);
  zeroAbove(cpu.v32, d.t, 0);
  cpu.v8[d.t * 16] = v;
};
const fld16: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.read16(lo, hi);
  zeroAbove(cpu.v32, d.t, 0);
  cpu.v16[d.t * 8] = v;
};
const fld32: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.read32(lo, hi);
  const v32 = cpu.v32, b = d.t * 4;
  v32[b] = v; v32[b + 1] = 0; v32[b + 2] = 0; v32[b + 3] = 0;
};
const fld64: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.read64(lo, hi);
  const v32 = cpu.v32, b = d.t * 4;
  v32[b] = v; v32[b + 1] = cpu.ldHi; v32[b + 2] = 0; v32[b + 3] = 0;
};
/**
 * With SCTLR_ELx.A a 128-bit access must be 16-byte aligned (Mem[] checks the whole size, as
 * QEMU does); the two doubleword halves would only check 8.
 */
export function checkQAlign(cpu: Cpu, lo: number, hi: number, access: Access): void {
  if (cpu.strictAlign && (lo & 15)) cpu.abort(access, FSC.ALIGNMENT, lo, hi, false);
}

const fld128: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  checkQAlign(cpu, lo, hi, Access.Read);
  const w0 = cpu.read64(lo, hi), w1 = cpu.ldHi;
  const s = (lo >>> 0) + 8;
  const w2 = cpu.read64(s | 0, s > 0xffffffff ? (hi + 1) | 0 : hi), w3 = cpu.ldHi;
  const v32 = cpu.v32, b = d.t * 4;
  v32[b] = w0; v32[b + 1] = w1; v32[b + 2] = w2; v32[b + 3] = w3;
};
const fst8: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  cpu.write8(lo, hi, cpu.v8[d.t * 16]);
};
const fst16: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  cpu.write16(lo, hi, cpu.v16[d.t * 8]);
};
const fst32: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  cpu.write32(lo, hi, cpu.v32[d.t * 4]);
};
const fst64: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  cpu.write64(lo, hi, cpu.v32[d.t * 4], cpu.v32[d.t * 4 + 1]);
};
const fst128: MemAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  checkQAlign(cpu, lo, hi, Access.Write);
  const v32 = cpu.v32, b = d.t * 4;
  cpu.write64(lo, hi, v32[b], v32[b + 1]);
  const s = (lo >>> 0) + 8;
  cpu.write64(s | 0, s > 0xffffffff ? (hi + 1) | 0 : hi, v32[b + 2], v32[b + 3]);
};

// ---------------- unprivileged accesses ----------------

/**
 * LDTR and STTR and their byte/halfword/signed forms (ARM ARM C6.2, pseudocode
 * AArch64.UnprivilegedAccess): at EL1 the access is made with EL0 permissions; at EL2/EL3 (no
 * VHE on this CPU) it is an ordinary access (Cpu.readUnprivileged says how).
 */
const ldtr: MemAccess = (cpu, d, lo, hi) => {
  let v = cpu.readUnprivileged(lo, hi, 1 << d.size);
  const x = cpu.x, t2 = d.t * 2;
  if (d.size === 3) {
    x[t2] = v;
    x[t2 + 1] = cpu.ldHi;
    return;
  }
  const bits = 8 << d.size;
  if (d.opc >= 2) v = (v << (32 - bits)) >> (32 - bits); // LDTRSB/LDTRSH/LDTRSW
  x[t2] = v | 0;
  x[t2 + 1] = d.opc === 2 ? v >> 31 : 0;
};

const sttr: MemAccess = (cpu, d, lo, hi) => {
  const x = cpu.x, t2 = d.t * 2;
  cpu.writeUnprivileged(lo, hi, 1 << d.size, x[t2], x[t2 + 1]);
};

// ---------------- addressing forms ----------------

/** Base plus a precomputed offset, no writeback (unsigned offset, unscaled, unprivileged). */
export const execOffset: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  d.acc(cpu, d, s | 0, carryHi(s, x[n2 + 1]));
};

/** LDR Xt/Wt and STR Xt/Wt with an immediate offset: the hottest forms, without indirection. */
const execLdrX: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  const v = cpu.read64(s | 0, carryHi(s, x[n2 + 1]));
  x[d.t * 2] = v; x[d.t * 2 + 1] = cpu.ldHi;
};
const execLdrW: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  const v = cpu.read32(s | 0, carryHi(s, x[n2 + 1]));
  x[d.t * 2] = v; x[d.t * 2 + 1] = 0;
};
const execStrX: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  cpu.write64(s | 0, carryHi(s, x[n2 + 1]), x[d.t * 2], x[d.t * 2 + 1]);
};
const execStrW: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  cpu.write32(s | 0, carryHi(s, x[n2 + 1]), x[d.t * 2]);
};

/** Pre-index: access at base + offset, then base = that address. */
export const execPre: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  const lo = s | 0, hi = carryHi(s, x[n2 + 1]);
  d.acc(cpu, d, lo, hi);
  // Writeback after the access (a fault leaves the base unchanged); with Rt == Rn on a load the
  // written-back address wins, as in QEMU (CONSTRAINED UNPREDICTABLE, ARM ARM K1.2.?).
  x[n2] = lo; x[n2 + 1] = hi;
};

/** Post-index: access at base, then base += offset. */
export const execPost: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const lo = x[n2], hi = x[n2 + 1];
  d.acc(cpu, d, lo, hi);
  const s = (lo >>> 0) + d.off;
  x[n2] = s | 0; x[n2 + 1] = carryHi(s, hi);
};

/** Register offset, Xm LSL #amount (also SXTX, the same for a 64-bit index). */
const execRegX: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2, m2 = d.m * 2, sh = d.shift;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const mlo = x[m2], mhi = x[m2 + 1];
  const olo = mlo << sh, ohi = sh === 0 ? mhi : (mhi << sh) | (mlo >>> (32 - sh));
  const s = (x[n2] >>> 0) + (olo >>> 0);
  d.acc(cpu, d, s | 0, (x[n2 + 1] + ohi + (s > 0xffffffff ? 1 : 0)) | 0);
};

/** Register offset, Wm UXTW #amount. */
const execRegUxtw: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2, sh = d.shift;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const w = x[d.m * 2];
  const olo = w << sh, ohi = sh === 0 ? 0 : w >>> (32 - sh);
  const s = (x[n2] >>> 0) + (olo >>> 0);
  d.acc(cpu, d, s | 0, (x[n2 + 1] + ohi + (s > 0xffffffff ? 1 : 0)) | 0);
};

/** Register offset, Wm SXTW #amount. */
const execRegSxtw: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2, sh = d.shift;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const w = x[d.m * 2];
  const olo = w << sh, ohi = sh === 0 ? w >> 31 : ((w >> 31) << sh) | (w >>> (32 - sh));
  const s = (x[n2] >>> 0) + (olo >>> 0);
  d.acc(cpu, d, s | 0, (x[n2 + 1] + ohi + (s > 0xffffffff ? 1 : 0)) | 0);
};

/** PC-relative literal. */
const execLiteral: ExecFn = (cpu, d) => {
  const s = (cpu.pcLo >>> 0) + d.off;
  d.acc(cpu, d, s | 0, carryHi(s, cpu.pcHi));
};

/** PRFM/PRFUM: a hint with no architectural effect; it never faults (ARM ARM C6.2 PRFM). */
const execNop: ExecFn = () => { };

// ---------------- operand classification ----------------

interface Kind {
  acc: MemAccess;
  /** log2 of the access size in bytes. */
  scale: number;
  load: boolean;
  fp: boolean;
  /** Mnemonic pieces: "ld"/"st", then the suffix after the "r" (b, h, sb, sh, sw, ""). */
  op: string;
  suffix: string;
  /** Register name for disassembly. */
  reg: (rt: number) => string;
}

const GPR_LOAD = [ld8, ld16, ld32, ld64];
const GPR_STORE = [st8, st16, st32, st64];
const FP_LOAD = [fld8, fld16, fld32, fld64, fld128];
const FP_STORE = [fst8, fst16, fst32, fst64, fst128];
const SIZE_SUFFIX = ["b", "h", "", ""];

/**
 * The (size, V, opc) combinations of ARM ARM C4.1.66's load/store register tables; undefined
 * for unallocated ones and for PRFM (size=11, opc=10), which has its own definitions. One Kind
 * per combination, shared by the decoded instructions (which hold it as `kind`), not one each.
 */
const KINDS: (Kind | undefined)[] = Array.from({ length: 32 }, (_, i) => makeKind(i >> 3, (i >> 2) & 1, i & 3));

function classify(size: number, v: number, opc: number): Kind | undefined {
  return KINDS[(size << 3) | (v << 2) | opc];
}

function makeKind(size: number, v: number, opc: number): Kind | undefined {
  if (v) {
    const scale = opc & 2 ? (size === 0 ? 4 : -1) : size;
    if (scale < 0) return undefined;
    const load = (opc & 1) === 1;
    return {
      acc: load ? FP_LOAD[scale] : FP_STORE[scale], scale, load, fp: true,
      op: load ? "ld" : "st", suffix: "", reg: (rt) => fpReg(rt, scale),
    };
  }
  switch (opc) {
    case 0: return { acc: GPR_STORE[size], scale: size, load: false, fp: false, op: "st", suffix: SIZE_SUFFIX[size], reg: (rt) => xreg(rt, size === 3 ? 1 : 0) };
    case 1: return { acc: GPR_LOAD[size], scale: size, load: true, fp: false, op: "ld", suffix: SIZE_SUFFIX[size], reg: (rt) => xreg(rt, size === 3 ? 1 : 0) };
    case 2:
      if (size === 3) return undefined;
      return { acc: [lds8x, lds16x, lds32x][size], scale: size, load: true, fp: false, op: "ld", suffix: ["sb", "sh", "sw"][size], reg: (rt) => xreg(rt, 1) };
    default:
      if (size >= 2) return undefined;
      return { acc: [lds8w, lds16w][size], scale: size, load: true, fp: false, op: "ld", suffix: ["sb", "sh"][size], reg: (rt) => xreg(rt, 0) };
  }
}

/** The syndrome of a general-register form: signed loads (opc 1x) set SSE; SF as the target width. */
function gprSyndrome(d: Decoded): void {
  if (d.V) return;
  const signed = d.opc >= 2;
  const sixtyFour = signed ? (d.opc & 1) === 0 : d.size === 3;
  d.dabtIss = singleRegisterSyndrome(d.size, signed, d.rt, sixtyFour);
}

/** Offset-form exec: direct paths for the hottest W/X loads and stores, generic otherwise. */
function offsetExecFor(k: Kind): ExecFn {
  if (k.fp) return execOffset;
  if (k.acc === ld64) return execLdrX;
  if (k.acc === ld32) return execLdrW;
  if (k.acc === st64) return execStrX;
  if (k.acc === st32) return execStrW;
  return execOffset;
}

/**
 * The accesses as source for compile hooks, over the address (lo, hi): the same reads, writes
 * and extensions as the MemAccess functions above (general registers here, SIMD&FP below). The pair accesses
 * (loadstore-pair.ts) add theirs with addAccessSource.
 */
type AccessSource = (d: Decoded, lo: string, hi: string) => string;
const single = (f: (t: number, lo: string, hi: string) => string): AccessSource => (d, lo, hi) => f(d.t * 2, lo, hi);
const ACCESS_SRC = new Map<MemAccess, AccessSource>([
  [ld8, single((t, lo, hi) => `x[${t}] = cpu.read8(${lo}, ${hi}); x[${t + 1}] = 0;`)],
  [ld16, single((t, lo, hi) => `x[${t}] = cpu.read16(${lo}, ${hi}); x[${t + 1}] = 0;`)],
  [ld32, single((t, lo, hi) => `x[${t}] = cpu.read32(${lo}, ${hi}); x[${t + 1}] = 0;`)],
  [ld64, single((t, lo, hi) => `x[${t}] = cpu.read64(${lo}, ${hi}); x[${t + 1}] = cpu.ldHi;`)],
  [lds8x, single((t, lo, hi) => `{ const v = (cpu.read8(${lo}, ${hi}) << 24) >> 24; x[${t}] = v; x[${t + 1}] = v >> 31; }`)],
  [lds16x, single((t, lo, hi) => `{ const v = (cpu.read16(${lo}, ${hi}) << 16) >> 16; x[${t}] = v; x[${t + 1}] = v >> 31; }`)],
  [lds32x, single((t, lo, hi) => `{ const v = cpu.read32(${lo}, ${hi}); x[${t}] = v; x[${t + 1}] = v >> 31; }`)],
  [lds8w, single((t, lo, hi) => `x[${t}] = (cpu.read8(${lo}, ${hi}) << 24) >> 24; x[${t + 1}] = 0;`)],
  [lds16w, single((t, lo, hi) => `x[${t}] = (cpu.read16(${lo}, ${hi}) << 16) >> 16; x[${t + 1}] = 0;`)],
  [st8, single((t, lo, hi) => `cpu.write8(${lo}, ${hi}, x[${t}] & 255);`)],
  [st16, single((t, lo, hi) => `cpu.write16(${lo}, ${hi}, x[${t}] & 65535);`)],
  [st32, single((t, lo, hi) => `cpu.write32(${lo}, ${hi}, x[${t}]);`)],
  [st64, single((t, lo, hi) => `cpu.write64(${lo}, ${hi}, x[${t}], x[${t + 1}]);`)],
]);

/**
 * The SIMD&FP accesses likewise (word, doubleword, quadword; the byte and halfword forms keep
 * exec): the access enabled check first, then the reads or writes, then the register, whose
 * bytes above the access are zeroed. A quadword access checks 16-byte alignment under
 * SCTLR_ELx.A as checkQAlign does.
 */
const fpSingle = (f: (b: number, lo: string, hi: string) => string): AccessSource => (d, lo, hi) =>
  `${FP_ENABLED_SRC} { const w = cpu.v32; ${f(d.t * 4, lo, hi)} }`;
const FP_ACCESS_SRC: [MemAccess, AccessSource][] = [
  [fld32, fpSingle((b, lo, hi) => `w[${b}] = cpu.read32(${lo}, ${hi}); w[${b + 1}] = 0; w[${b + 2}] = 0; w[${b + 3}] = 0;`)],
  [fld64, fpSingle((b, lo, hi) => `const v = cpu.read64(${lo}, ${hi}); w[${b}] = v; w[${b + 1}] = cpu.ldHi; w[${b + 2}] = 0; w[${b + 3}] = 0;`)],
  [fld128, fpSingle((b, lo, hi) => `const pl = ${lo}, ph = ${hi}; ${qAlignSrc(Access.Read, "pl", "ph")} ` +
    `const q = (pl >>> 0) + 8, ql = q | 0, qh = q > 4294967295 ? (ph + 1) | 0 : ph; ` +
    `const v0 = cpu.read64(pl, ph), v1 = cpu.ldHi, v2 = cpu.read64(ql, qh), v3 = cpu.ldHi; ` +
    `w[${b}] = v0; w[${b + 1}] = v1; w[${b + 2}] = v2; w[${b + 3}] = v3;`)],
  [fst32, fpSingle((b, lo, hi) => `cpu.write32(${lo}, ${hi}, w[${b}]);`)],
  [fst64, fpSingle((b, lo, hi) => `cpu.write64(${lo}, ${hi}, w[${b}], w[${b + 1}]);`)],
  [fst128, fpSingle((b, lo, hi) => `const pl = ${lo}, ph = ${hi}; ${qAlignSrc(Access.Write, "pl", "ph")} ` +
    `const q = (pl >>> 0) + 8, ql = q | 0, qh = q > 4294967295 ? (ph + 1) | 0 : ph; ` +
    `cpu.write64(pl, ph, w[${b}], w[${b + 1}]); cpu.write64(ql, qh, w[${b + 2}], w[${b + 3}]);`)],
];
for (const [acc, src] of FP_ACCESS_SRC) ACCESS_SRC.set(acc, src);

/** Give the access function `acc` (as set in Decoded.acc) a compile-hook source. */
export function addAccessSource(acc: (cpu: Cpu, d: Decoded, lo: number, hi: number) => void, src: AccessSource): void {
  ACCESS_SRC.set(acc, src);
}

/**
 * Compile hook of the base-plus-offset forms (execOffset and its direct variants). The address is computed before the access and no register is written before
 * it, as in exec. An SP base that is not 16-byte aligned takes exec's path, which checks the
 * SP alignment fault (ARM ARM D1.8.2).
 */
export function compileOffset(d: Decoded, c: CompileContext): string | undefined {
  const n2 = d.n * 2, off = d.off as number;
  const hi = off >= 0
    ? `s > 4294967295 ? (x[${n2 + 1}] + 1) | 0 : x[${n2 + 1}]`
    : `s < 0 ? (x[${n2 + 1}] - 1) | 0 : x[${n2 + 1}]`;
  return compileAccess(d, c, `const s = (x[${n2}] >>> 0) + ${off};`, "s | 0", hi, "");
}

/** Register offset (execRegX, execRegUxtw, execRegSxtw): the index extended and shifted, then added. */
function compileRegOffset(d: Decoded, c: CompileContext): string | undefined {
  const n2 = d.n * 2, m2 = d.m * 2, sh = d.shift as number;
  let olo: string, ohi: string;
  const w = `x[${m2}]`;
  olo = sh === 0 ? w : `(${w} << ${sh})`;
  if (d.option === 2) ohi = sh === 0 ? "0" : `(${w} >>> ${32 - sh})`;
  else if (d.option === 6) ohi = sh === 0 ? `(${w} >> 31)` : `(((${w} >> 31) << ${sh}) | (${w} >>> ${32 - sh}))`;
  else ohi = sh === 0 ? `x[${m2 + 1}]` : `((x[${m2 + 1}] << ${sh}) | (${w} >>> ${32 - sh}))`;
  return compileAccess(d, c, `const oh = ${ohi}, s = (x[${n2}] >>> 0) + (${olo} >>> 0);`,
    "s | 0", `(x[${n2 + 1}] + oh + (s > 4294967295 ? 1 : 0)) | 0`, "");
}

/** Pre-index (execPre): the access at base + offset, then that address written back. */
export function compilePre(d: Decoded, c: CompileContext): string | undefined {
  const n2 = d.n * 2;
  return compileAccess(d, c,
    `const s = (x[${n2}] >>> 0) + ${d.off}, al = s | 0, ah = s > 4294967295 ? (x[${n2 + 1}] + 1) | 0 : s < 0 ? (x[${n2 + 1}] - 1) | 0 : x[${n2 + 1}];`,
    "al", "ah", `x[${n2}] = al; x[${n2 + 1}] = ah;`);
}

/** Post-index (execPost): the access at base, then base + offset written back. */
export function compilePost(d: Decoded, c: CompileContext): string | undefined {
  const n2 = d.n * 2;
  return compileAccess(d, c, `const al = x[${n2}], ah = x[${n2 + 1}];`, "al", "ah",
    `const s = (al >>> 0) + ${d.off}; x[${n2}] = s | 0; x[${n2 + 1}] = s > 4294967295 ? (ah + 1) | 0 : s < 0 ? (ah - 1) | 0 : ah;`);
}

/**
 * The common shape: compute the address (`setup`, then `lo`, `hi`), access, then `after`
 * (writeback). The SP alignment fault stays with exec, as do accesses without a source.
 */
function compileAccess(d: Decoded, c: CompileContext, setup: string, lo: string, hi: string, after: string): string | undefined {
  const access = ACCESS_SRC.get(d.acc);
  if (access === undefined) return undefined;
  const fast = `{ ${setup} ${access(d, lo, hi)} ${after} }`;
  return d.n === 31 ? `if ((x[62] & 15) !== 0) ${c.exec}(cpu, ${c.d}); else ${fast}` : fast;
}

/** Common operand preparation: base slot (31 = SP), transfer register slot, access. */
function prepareOperands(d: Decoded): Kind {
  const k = classify(d.size, d.V, d.opc)!;
  d.kind = k;
  d.n = d.rn;
  d.fp = k.fp;
  d.t = k.fp ? d.rt : k.load ? zw(d.rt) : zr(d.rt);
  d.acc = k.acc;
  return k;
}

function mnemonic(d: Decoded, variant: string): string {
  const k: Kind = d.kind;
  return `${k.op}${variant}r${k.suffix}`;
}

// ---------------- prefetch ----------------

const PRF_TYPES = ["pld", "pli", "pst"];
const PRF_TARGETS = ["l1", "l2", "l3"];

/** Prefetch operation name, or `#imm` for unallocated encodings (as objdump prints them). */
function prfop(rt: number): string {
  const type = rt >> 3, target = (rt >> 1) & 3;
  if (type === 3 || target === 3) return `#0x${rt.toString(16).padStart(2, "0")}`;
  return PRF_TYPES[type] + PRF_TARGETS[target] + (rt & 1 ? "strm" : "keep");
}

const REG_OFFSET_EXEC: Record<number, ExecFn> = { 2: execRegUxtw, 3: execRegX, 6: execRegSxtw, 7: execRegX };

export const loadStoreSingleGroup: InsnDef[] = [
  {
    // LDR/STR/LDRB/.../LDRSW (immediate, unsigned offset) and the SIMD&FP LDR/STR B/H/S/D/Q.
    name: "LDST_uimm", pattern: "size:2 111 V:1 01 opc:2 imm12:12 rn:5 rt:5",
    guard: (d) => classify(d.size, d.V, d.opc) !== undefined,
    prepare: (d) => {
      const k = prepareOperands(d);
      gprSyndrome(d);
      d.off = d.imm12 << k.scale;
      d.exec = offsetExecFor(k);
    },
    exec: execOffset,
    compile: compileOffset,
    disasm: (d) => `${mnemonic(d, "")}\t${d.kind.reg(d.rt)}, ${memOff(d.rn, d.off)}`,
  },
  {
    name: "PRFM_imm", pattern: "11 111 0 01 10 imm12:12 rn:5 rt:5",
    exec: execNop,
    disasm: (d) => `prfm\t${prfop(d.rt)}, ${memOff(d.rn, d.imm12 * 8)}`,
  },
  {
    // LDUR/STUR and friends (immediate, unscaled, signed 9-bit byte offset).
    name: "LDST_unscaled", pattern: "size:2 111 V:1 00 opc:2 0 imm9:s9 00 rn:5 rt:5",
    guard: (d) => classify(d.size, d.V, d.opc) !== undefined,
    prepare: (d) => {
      const k = prepareOperands(d);
      gprSyndrome(d);
      d.off = d.imm9;
      d.exec = offsetExecFor(k);
    },
    exec: execOffset,
    compile: compileOffset,
    disasm: (d) => `${mnemonic(d, "u")}\t${d.kind.reg(d.rt)}, ${memOff(d.rn, d.off)}`,
  },
  {
    name: "PRFUM", pattern: "11 111 0 00 10 0 imm9:s9 00 rn:5 rt:5",
    exec: execNop,
    disasm: (d) => `prfum\t${prfop(d.rt)}, ${memOff(d.rn, d.imm9)}`,
  },
  {
    name: "LDST_post", pattern: "size:2 111 V:1 00 opc:2 0 imm9:s9 01 rn:5 rt:5",
    guard: (d) => classify(d.size, d.V, d.opc) !== undefined,
    prepare: (d) => { prepareOperands(d); d.off = d.imm9; },
    exec: execPost,
    compile: compilePost,
    disasm: (d) => `${mnemonic(d, "")}\t${d.kind.reg(d.rt)}, ${memPost(d.rn, d.off)}`,
  },
  {
    name: "LDST_pre", pattern: "size:2 111 V:1 00 opc:2 0 imm9:s9 11 rn:5 rt:5",
    guard: (d) => classify(d.size, d.V, d.opc) !== undefined,
    prepare: (d) => { prepareOperands(d); d.off = d.imm9; },
    exec: execPre,
    compile: compilePre,
    disasm: (d) => `${mnemonic(d, "")}\t${d.kind.reg(d.rt)}, ${memPre(d.rn, d.off)}`,
  },
  {
    // LDTR/STTR/LDTRB/... (unprivileged, general registers only).
    name: "LDST_unpriv", pattern: "size:2 111 0 00 opc:2 0 imm9:s9 10 rn:5 rt:5",
    guard: (d) => classify(d.size, 0, d.opc) !== undefined,
    prepare: (d) => {
      d.V = 0;
      const k = prepareOperands(d);
      gprSyndrome(d);
      d.off = d.imm9;
      d.acc = k.load ? ldtr : sttr;
    },
    exec: execOffset,
    disasm: (d) => `${mnemonic(d, "t")}\t${d.kind.reg(d.rt)}, ${memOff(d.rn, d.off)}`,
  },
  {
    // Register offset: index Xm (LSL/SXTX) or Wm (UXTW/SXTW), scaled by the access size if S.
    name: "LDST_regoff", pattern: "size:2 111 V:1 00 opc:2 1 rm:5 option:3 S:1 10 rn:5 rt:5",
    guard: (d) => (d.option & 2) !== 0 && classify(d.size, d.V, d.opc) !== undefined,
    prepare: (d) => {
      const k = prepareOperands(d);
      gprSyndrome(d);
      d.m = zr(d.rm);
      d.shift = d.S ? k.scale : 0;
      d.exec = REG_OFFSET_EXEC[d.option];
    },
    exec: execRegX,
    compile: compileRegOffset,
    disasm: (d) => `${mnemonic(d, "")}\t${d.kind.reg(d.rt)}, ${memReg(d.rn, d.rm, d.option, d.S, d.kind.scale)}`,
  },
  {
    name: "PRFM_reg", pattern: "11 111 0 00 10 1 rm:5 option:3 S:1 10 rn:5 rt:5",
    guard: (d) => (d.option & 2) !== 0,
    exec: execNop,
    disasm: (d) => `prfm\t${prfop(d.rt)}, ${memReg(d.rn, d.rm, d.option, d.S, 3)}`,
  },
  {
    // LDR (literal): W, X, LDRSW, and SIMD&FP S/D/Q; opc=11 is PRFM (literal) for V=0.
    name: "LDR_literal", pattern: "opc:2 011 V:1 00 imm19:s19 rt:5",
    guard: (d) => d.opc !== 3,
    prepare: (d) => {
      d.off = d.imm19 * 4;
      d.fp = d.V === 1;
      if (d.V) {
        d.scale = d.opc + 2;
        d.t = d.rt;
        d.acc = FP_LOAD[d.scale];
      } else {
        d.t = zw(d.rt);
        d.acc = d.opc === 0 ? ld32 : d.opc === 1 ? ld64 : lds32x;
        d.dabtIss = singleRegisterSyndrome(d.opc === 0 ? 2 : d.opc === 1 ? 3 : 2, d.opc === 2, d.rt, d.opc !== 0);
      }
    },
    exec: execLiteral,
    disasm: (d, pc) => {
      const reg = d.V ? fpReg(d.rt, d.opc + 2) : xreg(d.rt, d.opc === 0 ? 0 : 1);
      return `${!d.V && d.opc === 2 ? "ldrsw" : "ldr"}\t${reg}, ${literalTarget(pc, d.imm19 * 4)}`;
    },
  },
  {
    name: "PRFM_literal", pattern: "11 011 0 00 imm19:s19 rt:5",
    exec: execNop,
    disasm: (d, pc) => `prfm\t${prfop(d.rt)}, ${literalTarget(pc, d.imm19 * 4)}`,
  },
];
