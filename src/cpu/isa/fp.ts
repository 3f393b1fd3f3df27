/**
 * Scalar floating point (ARM ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced
 * SIMD": floating-point data-processing, compare, conditional compare/select, immediate, and
 * conversions to and from integer and fixed point; instruction pages C7.2.*).
 *
 * Arithmetic lives in ../fpcore.ts (shared with Advanced SIMD). ftype selects the precision:
 * 00 single, 01 double, 11 half. Half-precision arithmetic is the ARMv8.2 FP16 extension,
 * which Cortex-A53 lacks, so only FCVT accepts half-precision operands; everything else with
 * ftype 11 (and the unallocated ftype 10) is UNDEFINED.
 */
import { Cpu, zr, zw } from "../cpu.js";
import * as fp from "../fpcore.js";
import { fp64Out, RA, RM, RN, RP, RZ } from "../fpcore.js";
import type { CompileContext, Decoded, InsnDef } from "./table.js";
import { condHolds, condName, xreg } from "./util.js";

// ---------------------------------------------------------------- register access

/** Scalar write (ARM ARM V[] with a scalar width): the rest of the 128-bit register is zeroed. */
function writeS(cpu: Cpu, d: number, v: number): void {
  const r = cpu.v32, i = d << 2;
  r[i] = v; r[i + 1] = 0; r[i + 2] = 0; r[i + 3] = 0;
}

function writeD(cpu: Cpu, d: number, lo: number, hi: number): void {
  const r = cpu.v32, i = d << 2;
  r[i] = lo; r[i + 1] = hi; r[i + 2] = 0; r[i + 3] = 0;
}

function writeH(cpu: Cpu, d: number, h: number): void {
  writeS(cpu, d, h & 0xffff);
}

/** Write a general register: 64-bit, or 32-bit with the high word zeroed. */
function writeX(cpu: Cpu, slot: number, lo: number, hi: number, sf: number): void {
  cpu.x[slot * 2] = lo;
  cpu.x[slot * 2 + 1] = sf ? hi : 0;
}

function setNzcv(cpu: Cpu, nzcv: number): void {
  cpu.nf = (nzcv >> 3) & 1; cpu.zf = (nzcv >> 2) & 1; cpu.cf = (nzcv >> 1) & 1; cpu.vf = nzcv & 1;
}

// ---------------------------------------------------------------- disassembly helpers

const PREFIX = ["s", "d", "?", "h"];

/** FP register name for ftype: s<n>, d<n> or h<n>. */
function fr(ftype: number, n: number): string {
  return PREFIX[ftype] + n;
}

/** VFPExpandImm (ARM ARM J1.3): the 8-bit FMOV immediate as single or double bits. */
function expandImm(imm8: number, ftype: number): [number, number] {
  const a = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1, cdefgh = imm8 & 0x3f;
  if (ftype === 0) {
    const exp = ((b ^ 1) << 7) | (b ? 0x7c : 0) | (cdefgh >> 4);
    return [((a << 31) | (exp << 23) | ((cdefgh & 15) << 19)) | 0, 0];
  }
  const exp = ((b ^ 1) << 10) | (b ? 0x3fc : 0) | (cdefgh >> 4);
  return [0, ((a << 31) | (exp << 20) | ((cdefgh & 15) << 16)) | 0];
}

/** The immediate's value in objdump's `%.18e` form. */
function immText(imm8: number): string {
  const [, hi] = expandImm(imm8, 1);
  const view = new DataView(new ArrayBuffer(8));
  view.setInt32(0, hi);
  view.setInt32(4, 0);
  return view.getFloat64(0).toExponential(18).replace(/e([+-])(\d)$/, "e$10$2");
}

const ROUND_LETTER = ["n", "p", "m", "z"];
const FRINT_LETTER = ["n", "p", "m", "z", "a", "?", "x", "i"];
const FRINT_ROUNDING = [RN, RP, RM, RZ, RA, -1, -1, -1];
const ARITH2_NAMES = ["fmul", "fdiv", "fadd", "fsub", "fmax", "fmin", "fmaxnm", "fminnm", "fnmul"];
const ARITH3_NAMES = ["fmadd", "fmsub", "fnmadd", "fnmsub"];

// ---------------------------------------------------------------- two-source arithmetic

type Op32 = (cpu: Cpu, a: number, b: number) => number;
type Op64 = (cpu: Cpu, aLo: number, aHi: number, bLo: number, bHi: number) => number;

const ARITH2_32: Op32[] = [fp.fpMul32, fp.fpDiv32, fp.fpAdd32, fp.fpSub32, fp.fpMax32, fp.fpMin32, fp.fpMaxNum32, fp.fpMinNum32,
  (cpu, a, b) => fp.fpMul32(cpu, a, b) ^ 0x80000000];
const ARITH2_64: Op64[] = [fp.fpMul64, fp.fpDiv64, fp.fpAdd64, fp.fpSub64, fp.fpMax64, fp.fpMin64, fp.fpMaxNum64, fp.fpMinNum64,
  (cpu, aLo, aHi, bLo, bHi) => { const lo = fp.fpMul64(cpu, aLo, aHi, bLo, bHi); fp64Out.hi ^= 0x80000000; return lo; }];

function exec2Single(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const r = cpu.v32;
  writeS(cpu, d.rd, (d.op32 as Op32)(cpu, r[d.rn << 2], r[d.rm << 2]));
}

function exec2Double(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const r = cpu.v32, a = d.rn << 2, b = d.rm << 2;
  const lo = (d.op64 as Op64)(cpu, r[a], r[a + 1], r[b], r[b + 1]);
  writeD(cpu, d.rd, lo, fp64Out.hi);
}

/**
 * FMUL/FDIV/FADD/FSUB/FNMUL (double): the host-double fast paths of fpcore on the register
 * file's Float64Array view, falling back to the bit-exact exec2Double when one does not apply.
 */
function exec2DoubleFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const f = cpu.vf64, o = d.rd << 1, a = d.rn << 1, b = d.rm << 1;
  let ok: boolean;
  switch (d.opcode) {
    case 0: ok = fp.fpMul64v(cpu, f, o, a, b, false); break;
    case 1: ok = fp.fpDiv64v(cpu, f, o, a, b); break;
    case 2: ok = fp.fpAdd64v(cpu, f, o, a, b, false); break;
    case 3: ok = fp.fpAdd64v(cpu, f, o, a, b, true); break;
    default: ok = fp.fpMul64v(cpu, f, o, a, b, true); break; // FNMUL: FPNeg of the rounded product
  }
  if (ok) f[o + 1] = 0;
  else exec2Double(cpu, d);
}

/** FMADD/FMSUB/FNMADD/FNMSUB (double) on host doubles; the negations apply to the inputs. */
function exec3DoubleFast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const o = d.rd << 1;
  if (fp.fpMulAdd64v(cpu, cpu.vf64, o, d.ra << 1, d.rn << 1, d.rm << 1, d.o1 === 1, d.o0 !== d.o1)) cpu.vf64[o + 1] = 0;
  else exec3(cpu, d);
}

function exec3(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const r = cpu.v32, n = d.rn << 2, m = d.rm << 2, a = d.ra << 2;
  const negAddend = d.o1 ? 0x80000000 : 0, negOp1 = d.o0 !== d.o1 ? 0x80000000 : 0;
  if (d.ftype === 0) {
    writeS(cpu, d.rd, fp.fpMulAdd32(cpu, r[a] ^ negAddend, r[n] ^ negOp1, r[m]));
  } else {
    const lo = fp.fpMulAdd64(cpu, r[a], r[a + 1] ^ negAddend, r[n], r[n + 1] ^ negOp1, r[m], r[m + 1]);
    writeD(cpu, d.rd, lo, fp64Out.hi);
  }
}

// ---------------------------------------------------------------- conversions to integer

function execToInt(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const r = cpu.v32, n = d.rn << 2, intBits = d.sf ? 64 : 32;
  const lo = d.ftype === 0
    ? fp.fpToFixed32(cpu, r[n], d.fbits, d.unsigned, d.rounding, intBits)
    : fp.fpToFixed64(cpu, r[n], r[n + 1], d.fbits, d.unsigned, d.rounding, intBits);
  writeX(cpu, d.dst, lo, fp64Out.hi, d.sf);
}

function execFromInt(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const lo = cpu.x[d.src * 2], hi = d.sf ? cpu.x[d.src * 2 + 1] : 0, intBits = d.sf ? 64 : 32;
  const rounding = fp.fpcrRounding(cpu);
  if (d.ftype === 0) writeS(cpu, d.rd, fp.fixedToFp32(cpu, lo, hi, intBits, d.unsigned, d.fbits, rounding));
  else writeD(cpu, d.rd, fp.fixedToFp64(cpu, lo, hi, intBits, d.unsigned, d.fbits, rounding), fp64Out.hi);
}

const float01 = (d: Decoded) => d.ftype < 2;

// ---------------------------------------------------------------- compile hooks

/*
 * Block-compiler snippets for the common scalar operations (jit.ts). The fast path is QEMU's
 * "hardfloat" (fpu/softfloat.c, can_use_fpu): once FPSR.IXC is set (it is sticky, and any
 * program computing with inexact values sets it at its first rounding) an operation whose host
 * result is a normal number raises no flag that is not already set, so the host operation
 * alone is FPAdd/FPMul/FPDiv/FPSqrt: IEEE's correctly rounded result in round-to-nearest,
 * with no flush-to-zero to apply (FPCR.RMode = 0, FPCR.FZ = 0; Cortex-A53 traps no FP
 * exception). A result above the smallest normal by at least one ulp was not tiny before
 * rounding either (ARM ARM FPRound detects underflow before rounding). Single precision is
 * computed in double and rounded once more: a double holds more than twice a single's
 * precision plus two bits, so the double rounding is innocuous for +, -, *, / and sqrt.
 * NaNs, infinities, zeros, overflow, underflow and the first inexact result take the
 * instruction's exec, which works on SIMD&FP registers and FPSR only (ctx.execNoGpr).
 */
const FAST_FPCR_MASK = (3 << 22) | (1 << 24); // RMode, FZ
const FAST_GUARD = `(cpu.fpsr & ${fp.IXC}) !== 0 && (cpu.fpcr & ${FAST_FPCR_MASK}) === 0`;
const MIN_NORMAL = ["1.1754943508222875e-38", "2.2250738585072014e-308"];
const MAX_FINITE = ["3.4028234663852886e+38", "1.7976931348623157e+308"];

/** `expr` (of host numbers read from `f`, the vf32 or vf64 view) into the scalar register at element `o`. */
function fastScalar(d: Decoded, c: CompileContext, expr: string, o: number): string | undefined {
  if (c.execNoGpr === undefined) return undefined;
  const t = d.ftype as number;
  const view = t === 0 ? "cpu.vf32" : "cpu.vf64";
  const value = t === 0 ? `Math.fround(${expr})` : expr;
  const clear = t === 0 ? `f[${o + 1}] = 0; f[${o + 2}] = 0; f[${o + 3}] = 0;` : `f[${o + 1}] = 0;`;
  return `if (!cpu.fpEnabled) cpu.fpTrap(); { const f = ${view}, r = ${value}, m = Math.abs(r); ` +
    `if (m > ${MIN_NORMAL[t]} && m <= ${MAX_FINITE[t]} && ${FAST_GUARD}) { f[${o}] = r; ${clear} } else ${c.execNoGpr}(cpu, ${c.d}); }`;
}

/** Element index of scalar register `r` in the view for ftype `t`. */
const el = (t: number, r: number): number => (t === 0 ? r << 2 : r << 1);

const ARITH2_EXPR: (string | undefined)[] = ["a * b", "a / b", "a + b", "a - b", , , , , "-(a * b)"];

function compile2Src(d: Decoded, c: CompileContext): string | undefined {
  const e = ARITH2_EXPR[d.opcode];
  if (e === undefined) return undefined;
  const t = d.ftype as number;
  return fastScalar(d, c, e.replace("a", `f[${el(t, d.rn)}]`).replace("b", `f[${el(t, d.rm)}]`), el(t, d.rd));
}

function compile1Src(d: Decoded, c: CompileContext): string | undefined {
  const t = d.ftype as number, n = d.rn << 2, o = d.rd << 2;
  if (d.opc === 3) return fastScalar(d, c, `Math.sqrt(f[${el(t, d.rn)}])`, el(t, d.rd));
  // FMOV, FABS, FNEG: bit operations on the sign, no NaN processing (as exec).
  const top = t === 0 ? n : n + 1;
  const sign = d.opc === 0 ? "" : d.opc === 1 ? " & 0x7fffffff" : " ^ 0x80000000";
  const words = t === 0 ? `w[${o}] = w[${top}]${sign}; w[${o + 1}] = 0;` : `const l = w[${n}], h = w[${top}]; w[${o}] = l; w[${o + 1}] = h${sign};`;
  return `if (!cpu.fpEnabled) cpu.fpTrap(); { const w = cpu.v32; ${words} w[${o + 2}] = 0; w[${o + 3}] = 0; }`;
}

export const fpGroup: InsnDef[] = [
  // ------------------------------------------------------------ moves
  {
    // FMOV (register), FABS, FNEG, FSQRT (C7.2.130, C7.2.59, C7.2.138, C7.2.163).
    name: "FP_1SRC", pattern: "000 11110 ftype:2 1 0000 opc:2 10000 rn:5 rd:5", guard: float01,
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const r = cpu.v32, n = d.rn << 2;
      if (d.ftype === 0) {
        const a = r[n];
        writeS(cpu, d.rd, d.opc === 0 ? a : d.opc === 1 ? fp.fpAbs32(a) : d.opc === 2 ? fp.fpNeg32(a) : fp.fpSqrt32(cpu, a));
      } else {
        const lo = r[n], hi = r[n + 1];
        if (d.opc === 0) writeD(cpu, d.rd, lo, hi);
        else if (d.opc === 1) writeD(cpu, d.rd, lo, hi & 0x7fffffff);
        else if (d.opc === 2) writeD(cpu, d.rd, lo, hi ^ 0x80000000);
        else writeD(cpu, d.rd, fp.fpSqrt64(cpu, lo, hi), fp64Out.hi);
      }
    },
    compile: compile1Src,
    disasm: (d) => `${["fmov", "fabs", "fneg", "fsqrt"][d.opc]}\t${fr(d.ftype, d.rd)}, ${fr(d.ftype, d.rn)}`,
  },
  {
    // FMOV (scalar, immediate) (C7.2.132): VFPExpandImm.
    name: "FMOV_imm", pattern: "000 11110 ftype:2 1 imm8:8 100 00000 rd:5", guard: float01,
    prepare: (d) => { [d.lo, d.hi] = expandImm(d.imm8, d.ftype); },
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      writeD(cpu, d.rd, d.lo, d.hi);
    },
    disasm: (d) => `fmov\t${fr(d.ftype, d.rd)}, #${immText(d.imm8)}`,
  },
  {
    // FMOV (general) (C7.2.131): W<->S, X<->D, X<->V.D[1] (the top-half write keeps the low half).
    name: "FMOV_gen", pattern: "sf:1 00 11110 ftype:2 1 rmode:2 11 toFp:1 000000 rn:5 rd:5",
    guard: (d) => (d.sf === 0 && d.ftype === 0 && d.rmode === 0) || (d.sf === 1 && d.ftype === 1 && d.rmode === 0) ||
      (d.sf === 1 && d.ftype === 2 && d.rmode === 1),
    prepare: (d) => { d.src = zr(d.rn); d.dst = zw(d.rd); },
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const r = cpu.v32, x = cpu.x;
      if (d.toFp) {
        const lo = x[d.src * 2], hi = x[d.src * 2 + 1];
        if (d.ftype === 0) writeS(cpu, d.rd, lo);
        else if (d.ftype === 1) writeD(cpu, d.rd, lo, hi);
        else { r[(d.rd << 2) + 2] = lo; r[(d.rd << 2) + 3] = hi; }
      } else {
        const i = (d.rn << 2) + (d.ftype === 2 ? 2 : 0);
        writeX(cpu, d.dst, r[i], r[i + 1], d.sf);
      }
    },
    disasm: (d) => {
      const v = d.ftype === 2 ? `v${d.toFp ? d.rd : d.rn}.d[1]` : fr(d.ftype, d.toFp ? d.rd : d.rn);
      const g = xreg(d.toFp ? d.rn : d.rd, d.sf);
      return d.toFp ? `fmov\t${v}, ${g}` : `fmov\t${g}, ${v}`;
    },
  },
  {
    // FCSEL (C7.2.76): a bit copy, no flags.
    name: "FCSEL", pattern: "000 11110 ftype:2 1 rm:5 cond:4 11 rn:5 rd:5", guard: float01,
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const r = cpu.v32, s = (condHolds(cpu, d.cond) ? d.rn : d.rm) << 2;
      if (d.ftype === 0) writeS(cpu, d.rd, r[s]);
      else writeD(cpu, d.rd, r[s], r[s + 1]);
    },
    disasm: (d) => `fcsel\t${fr(d.ftype, d.rd)}, ${fr(d.ftype, d.rn)}, ${fr(d.ftype, d.rm)}, ${condName(d.cond)}`,
  },

  // ------------------------------------------------------------ arithmetic
  {
    // FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL (scalar). FNMUL negates the rounded
    // product, NaN results included (ARM ARM FNMUL: FPNeg(FPMul(...))).
    name: "FP_2SRC", pattern: "000 11110 ftype:2 1 rm:5 opcode:4 10 rn:5 rd:5",
    guard: (d) => d.ftype < 2 && d.opcode <= 8,
    prepare: (d) => {
      d.op32 = ARITH2_32[d.opcode];
      d.op64 = ARITH2_64[d.opcode];
      d.exec = d.ftype === 0 ? exec2Single : d.opcode <= 3 || d.opcode === 8 ? exec2DoubleFast : exec2Double;
    },
    exec: (cpu, d) => (d.ftype === 0 ? exec2Single : exec2Double)(cpu, d),
    compile: compile2Src,
    disasm: (d) => `${ARITH2_NAMES[d.opcode]}\t${fr(d.ftype, d.rd)}, ${fr(d.ftype, d.rn)}, ${fr(d.ftype, d.rm)}`,
  },
  {
    // FMADD/FMSUB/FNMADD/FNMSUB (C7.2.98...): fused; the negations apply to the inputs before
    // FPMulAdd, so a negated NaN operand comes out with its sign flipped.
    name: "FP_3SRC", pattern: "000 11111 ftype:2 o1:1 rm:5 o0:1 ra:5 rn:5 rd:5", guard: float01,
    prepare: (d) => { if (d.ftype === 1) d.exec = exec3DoubleFast; },
    exec: exec3,
    // No host fused multiply-add to take the fast path from: exec, without a sync point.
    compile: (d, c) => c.execNoGpr === undefined ? undefined : `${c.execNoGpr}(cpu, ${c.d});`,
    disasm: (d) => `${ARITH3_NAMES[(d.o1 << 1) | d.o0]}\t${fr(d.ftype, d.rd)}, ${fr(d.ftype, d.rn)}, ${fr(d.ftype, d.rm)}, ${fr(d.ftype, d.ra)}`,
  },
  {
    // FRINTN/P/M/Z/A/X/I (C7.2.150...): FPRoundInt; only FRINTX reports Inexact.
    name: "FRINT", pattern: "000 11110 ftype:2 1 001 mode:3 10000 rn:5 rd:5", guard: (d) => d.ftype < 2 && d.mode !== 5,
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const r = cpu.v32, n = d.rn << 2;
      const rounding = d.mode >= 6 ? fp.fpcrRounding(cpu) : FRINT_ROUNDING[d.mode];
      const exact = d.mode === 6;
      if (d.ftype === 0) writeS(cpu, d.rd, fp.fpRoundInt32(cpu, r[n], rounding, exact));
      else writeD(cpu, d.rd, fp.fpRoundInt64(cpu, r[n], r[n + 1], rounding, exact), fp64Out.hi);
    },
    disasm: (d) => `frint${FRINT_LETTER[d.mode]}\t${fr(d.ftype, d.rd)}, ${fr(d.ftype, d.rn)}`,
  },
  {
    // FCVT (C7.2.69) between half (ftype/opc 11), single (00) and double (01).
    name: "FCVT", pattern: "000 11110 ftype:2 1 0001 opc:2 10000 rn:5 rd:5",
    guard: (d) => d.ftype !== 2 && d.opc !== 2 && d.opc !== d.ftype,
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const r = cpu.v32, n = d.rn << 2;
      switch ((d.ftype << 2) | d.opc) {
        case 0b0001: writeD(cpu, d.rd, fp.fpConvert32to64(cpu, r[n]), fp64Out.hi); break;
        case 0b0011: writeH(cpu, d.rd, fp.fpConvert32to16(cpu, r[n])); break;
        case 0b0100: writeS(cpu, d.rd, fp.fpConvert64to32(cpu, r[n], r[n + 1])); break;
        case 0b0111: writeH(cpu, d.rd, fp.fpConvert64to16(cpu, r[n], r[n + 1])); break;
        case 0b1100: writeS(cpu, d.rd, fp.fpConvert16to32(cpu, r[n] & 0xffff)); break;
        default: writeD(cpu, d.rd, fp.fpConvert16to64(cpu, r[n] & 0xffff), fp64Out.hi); break;
      }
    },
    disasm: (d) => `fcvt\t${fr(d.opc, d.rd)}, ${fr(d.ftype, d.rn)}`,
  },

  // ------------------------------------------------------------ compares
  {
    // FCMP/FCMPE (C7.2.66, C7.2.67), with Rm or #0.0; FCMPE signals quiet NaNs too.
    name: "FCMP", pattern: "000 11110 ftype:2 1 rm:5 00 1000 rn:5 e:1 z:1 000", guard: float01,
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const r = cpu.v32, n = d.rn << 2, m = d.rm << 2;
      let nzcv: number;
      if (d.ftype === 0) nzcv = fp.fpCompare32(cpu, r[n], d.z ? 0 : r[m], d.e === 1);
      else nzcv = fp.fpCompare64(cpu, r[n], r[n + 1], d.z ? 0 : r[m], d.z ? 0 : r[m + 1], d.e === 1);
      setNzcv(cpu, nzcv);
    },
    disasm: (d) => `${d.e ? "fcmpe" : "fcmp"}\t${fr(d.ftype, d.rn)}, ${d.z ? "#0.0" : fr(d.ftype, d.rm)}`,
  },
  {
    // FCCMP/FCCMPE (C7.2.62, C7.2.63): compare if the condition holds, else NZCV = #nzcv.
    name: "FCCMP", pattern: "000 11110 ftype:2 1 rm:5 cond:4 01 rn:5 e:1 nzcv:4", guard: float01,
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      if (!condHolds(cpu, d.cond)) { setNzcv(cpu, d.nzcv); return; }
      const r = cpu.v32, n = d.rn << 2, m = d.rm << 2;
      setNzcv(cpu, d.ftype === 0 ? fp.fpCompare32(cpu, r[n], r[m], d.e === 1)
        : fp.fpCompare64(cpu, r[n], r[n + 1], r[m], r[m + 1], d.e === 1));
    },
    disasm: (d) => `${d.e ? "fccmpe" : "fccmp"}\t${fr(d.ftype, d.rn)}, ${fr(d.ftype, d.rm)}, #0x${d.nzcv.toString(16)}, ${condName(d.cond)}`,
  },

  // ------------------------------------------------------------ integer conversions
  {
    // FCVTNS/FCVTNU/FCVTPS/FCVTPU/FCVTMS/FCVTMU/FCVTZS/FCVTZU (integer) (C7.2.80...).
    name: "FCVT_to_int", pattern: "sf:1 00 11110 ftype:2 1 rmode:2 00 u:1 000000 rn:5 rd:5", guard: float01,
    prepare: (d) => { d.dst = zw(d.rd); d.fbits = 0; d.unsigned = d.u === 1; d.rounding = [RN, RP, RM, RZ][d.rmode]; },
    exec: execToInt,
    disasm: (d) => `fcvt${ROUND_LETTER[d.rmode]}${d.u ? "u" : "s"}\t${xreg(d.rd, d.sf)}, ${fr(d.ftype, d.rn)}`,
  },
  {
    // FCVTAS/FCVTAU (C7.2.64, C7.2.65): round to nearest with ties away from zero.
    name: "FCVTA_to_int", pattern: "sf:1 00 11110 ftype:2 1 00 10 u:1 000000 rn:5 rd:5", guard: float01,
    prepare: (d) => { d.dst = zw(d.rd); d.fbits = 0; d.unsigned = d.u === 1; d.rounding = RA; },
    exec: execToInt,
    disasm: (d) => `fcvta${d.u ? "u" : "s"}\t${xreg(d.rd, d.sf)}, ${fr(d.ftype, d.rn)}`,
  },
  {
    // FCVTZS/FCVTZU (scalar, fixed-point) (C7.2.91, C7.2.95): fbits = 64 - scale.
    name: "FCVTZ_fixed", pattern: "sf:1 00 11110 ftype:2 0 11 00 u:1 scale:6 rn:5 rd:5",
    guard: (d) => d.ftype < 2 && (d.sf === 1 || d.scale >= 32),
    prepare: (d) => { d.dst = zw(d.rd); d.fbits = 64 - d.scale; d.unsigned = d.u === 1; d.rounding = RZ; },
    exec: execToInt,
    disasm: (d) => `fcvtz${d.u ? "u" : "s"}\t${xreg(d.rd, d.sf)}, ${fr(d.ftype, d.rn)}, #${64 - d.scale}`,
  },
  {
    // SCVTF/UCVTF (scalar, integer) (C7.2.236, C7.2.354): rounded per FPCR.
    name: "CVTF_int", pattern: "sf:1 00 11110 ftype:2 1 00 01 u:1 000000 rn:5 rd:5", guard: float01,
    prepare: (d) => { d.src = zr(d.rn); d.fbits = 0; d.unsigned = d.u === 1; },
    exec: execFromInt,
    disasm: (d) => `${d.u ? "ucvtf" : "scvtf"}\t${fr(d.ftype, d.rd)}, ${xreg(d.rn, d.sf)}`,
  },
  {
    // SCVTF/UCVTF (scalar, fixed-point) (C7.2.235, C7.2.353).
    name: "CVTF_fixed", pattern: "sf:1 00 11110 ftype:2 0 00 01 u:1 scale:6 rn:5 rd:5",
    guard: (d) => d.ftype < 2 && (d.sf === 1 || d.scale >= 32),
    prepare: (d) => { d.src = zr(d.rn); d.fbits = 64 - d.scale; d.unsigned = d.u === 1; },
    exec: execFromInt,
    disasm: (d) => `${d.u ? "ucvtf" : "scvtf"}\t${fr(d.ftype, d.rd)}, ${xreg(d.rn, d.sf)}, #${64 - d.scale}`,
  },
];
