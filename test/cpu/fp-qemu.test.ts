/**
 * Differential test of scalar floating point against QEMU (qemu-system-aarch64 -M virt -cpu
 * cortex-a53), which serves as the reference for results and FPSR cumulative flags.
 *
 * Every case is one instruction word with fixed registers (Vd = V0, Vn = V1, Vm = V2, Va = V3;
 * Xd = X0, Xn = X1), an FPCR value (rounding mode, FZ, DN, AHP), NZCV and operands chosen from
 * special values (signalling and quiet NaNs with payloads, infinities, zeros, denormals,
 * extreme normals, integer conversion limits, rounding boundaries) and random ones. A bare-metal
 * image runs all cases in QEMU: for each, set FPCR and NZCV, load V0-V3, X0, X1, clear FPSR, run
 * the instruction, store V0 (all 128 bits: scalar writes must zero the rest), X0, FPSR and NZCV;
 * then print the result block as hex on the PL011 UART and power off through PSCI. On Tessera
 * the same state is set from TypeScript and the one instruction is executed in-process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getDecoder, disassemble } from "../../src/cpu/isa/index.js";
import { runQemuImage, describeExit } from "../harness/emulators.js";
import { commandExists } from "../harness/process.js";
import { QEMU } from "../harness/paths.js";
import { xorshift32 } from "../harness/rng.js";
import { SR } from "../../src/cpu/sysregs.js";
import { IXC } from "../../src/cpu/fpcore.js";
import type { Decoded } from "../../src/cpu/isa/table.js";
import { makeCpu } from "./make-cpu.js";

const LOAD_ADDR = 0x40080000;
const UART = 0x09000000;
const IN_BYTES = 96;
const OUT_BYTES = 32;
/** Cases per form relative to its weight (about 14500 cases in all). */
const SCALE = 1;

// ---------------------------------------------------------------- scaffolding encodings (C6.2)
const movz = (rd: number, imm16: number, hw: number): number => (0xd2800000 | (hw << 21) | (imm16 << 5) | rd) >>> 0;
const movk = (rd: number, imm16: number, hw: number): number => (0xf2800000 | (hw << 21) | (imm16 << 5) | rd) >>> 0;
const ldrXPost8 = (rt: number, rn: number): number => (0xf8408400 | (rn << 5) | rt) >>> 0;
const ldrQPost16 = (rt: number, rn: number): number => (0x3cc10400 | (rn << 5) | rt) >>> 0;
const strQPost16 = (rt: number, rn: number): number => (0x3c810400 | (rn << 5) | rt) >>> 0;
const strXPost8 = (rt: number, rn: number): number => (0xf8008400 | (rn << 5) | rt) >>> 0;
const strWPost4 = (rt: number, rn: number): number => (0xb8004400 | (rn << 5) | rt) >>> 0;
const msrFpcr = (rt: number): number => (0xd51b4400 | rt) >>> 0;
const msrFpsr = (rt: number): number => (0xd51b4420 | rt) >>> 0;
const mrsFpsr = (rt: number): number => (0xd53b4420 | rt) >>> 0;
const msrNzcv = (rt: number): number => (0xd51b4200 | rt) >>> 0;
const mrsNzcv = (rt: number): number => (0xd53b4200 | rt) >>> 0;
const msrCpacr = (rt: number): number => (0xd5181040 | rt) >>> 0;
const msrVbar = (rt: number): number => (0xd518c000 | rt) >>> 0;
const ISB = 0xd5033fdf;
const VECTORS_END = 0x1000;
const ldrbPost1 = (rt: number, rn: number): number => (0x38401400 | (rn << 5) | rt) >>> 0;
const ldrbReg = (rt: number, rn: number, rm: number): number => (0x38606800 | (rm << 16) | (rn << 5) | rt) >>> 0;
const strb = (rt: number, rn: number): number => (0x39000000 | (rn << 5) | rt) >>> 0;
const lsrW4 = (rd: number, rn: number): number => (0x53047c00 | (rn << 5) | rd) >>> 0;
const andW15 = (rd: number, rn: number): number => (0x12000c00 | (rn << 5) | rd) >>> 0;
const cmpX = (rn: number, rm: number): number => (0xeb00001f | (rm << 16) | (rn << 5)) >>> 0;
const bne = (offWords: number): number => (0x54000001 | ((offWords & 0x7ffff) << 5)) >>> 0;
const HVC0 = 0xd4000002;
const BRANCH_SELF = 0x14000000;

function loadAddr(rd: number, addr: number): number[] {
  return [movz(rd, addr & 0xffff, 0), movk(rd, addr >>> 16, 1)];
}

// ---------------------------------------------------------------- operands

/** Deterministic by default; TESSERA_FP_SEED explores other operand sets. */
const next = xorshift32(Number(process.env.TESSERA_FP_SEED ?? 0xf10a7));
const rand = (n: number): number => next() % n;
const rand64 = (): bigint => (BigInt(next()) << 32n) | BigInt(next());
const pick = <T>(a: T[]): T => a[rand(a.length)];

type Kind = "h" | "s" | "d";
const FMT = { h: { e: 5, f: 10 }, s: { e: 8, f: 23 }, d: { e: 11, f: 52 } };

function make(k: Kind, sign: number, exp: number, frac: bigint): bigint {
  const { e, f } = FMT[k];
  return (BigInt(sign) << BigInt(e + f)) | (BigInt(exp) << BigInt(f)) | (frac & ((1n << BigInt(f)) - 1n));
}

function fromNumber(k: Kind, x: number): bigint {
  const b = new DataView(new ArrayBuffer(8));
  if (k === "d") { b.setFloat64(0, x); return b.getBigUint64(0); }
  if (k === "s") { b.setFloat32(0, x); return BigInt(b.getUint32(0)); }
  return 0x3c00n;
}

function specials(k: Kind): bigint[] {
  const { e, f } = FMT[k];
  const maxE = (1 << e) - 1, bias = (1 << (e - 1)) - 1, fm = (1n << BigInt(f)) - 1n, q = 1n << BigInt(f - 1);
  const out: bigint[] = [];
  for (const s of [0, 1]) {
    out.push(make(k, s, 0, 0n), make(k, s, 0, 1n), make(k, s, 0, fm), make(k, s, 0, q), make(k, s, 1, 0n), make(k, s, 1, fm),
      make(k, s, maxE - 1, fm), make(k, s, maxE - 1, 0n), make(k, s, maxE, 0n),
      make(k, s, maxE, q), make(k, s, maxE, q | 0x123n), make(k, s, maxE, 1n), make(k, s, maxE, 0x2bcn),
      make(k, s, bias, 0n), make(k, s, bias - 1, 0n), make(k, s, bias, q), make(k, s, bias + 1, q >> 1n),
      make(k, s, bias + 1, q), make(k, s, bias - 1, fm), make(k, s, bias, 1n));
  }
  if (k !== "h") {
    for (const x of [2 ** 31, 2 ** 31 - 1, 2 ** 31 - 0.5, 2 ** 31 + 0.5, 2 ** 32, 2 ** 32 - 1, 2 ** 32 - 0.5, 2 ** 63, 2 ** 64,
      2 ** 53 + 1, 2 ** 24 + 1, 65504, 65520, 65519, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1 / 3, 0.1, 1e10, 123.456,
      2 ** -126, 2 ** -126 * (1 - 2 ** -25), 2 ** -149, 2 ** -150, 3 * 2 ** -151, 2 ** -127 * 3, 2 ** 128 * (1 - 2 ** -25),
      2 ** 128 * (1 - 2 ** -24), 2 ** 128 * (1 - 2 ** -26), 2 ** -1022 * (1 + 2 ** -52)])
      for (const s of [1, -1]) out.push(fromNumber(k, s * x));
  }
  return out;
}

const SPECIAL = { h: specials("h"), s: specials("s"), d: specials("d") };

/** A random value of kind k: special, uniformly random bits, or a moderate random number. */
function value(k: Kind): bigint {
  const { e, f } = FMT[k];
  const bias = (1 << (e - 1)) - 1;
  switch (rand(6)) {
    case 0: case 1: return pick(SPECIAL[k]);
    case 2: return BigInt.asUintN(1 + e + f, rand64());
    case 3: return make(k, rand(2), bias - 8 + rand(24), rand64()); // ordinary magnitudes
    case 4: return make(k, rand(2), rand(4), rand64()); // denormal / tiny
    default: return make(k, rand(2), bias + rand(70), BigInt.asUintN(f, rand64()) >> BigInt(rand(f))); // integers-ish
  }
}

/** Second operand related to the first: near it, or with an exponent aimed at a limit. */
function related(k: Kind, a: bigint): bigint {
  const { e, f } = FMT[k];
  const bias = (1 << (e - 1)) - 1, maxE = (1 << e) - 1;
  const ea = Number((a >> BigInt(f)) & BigInt(maxE));
  switch (rand(5)) {
    case 0: return a ^ BigInt(rand(4)); // nearly equal
    case 1: return a ^ (1n << BigInt(e + f)) ^ BigInt(rand(8)); // nearly opposite: cancellation
    case 2: return make(k, rand(2), Math.max(1, Math.min(maxE - 1, 2 * bias - ea + rand(5) - 2)), rand64()); // product near 1
    case 3: {
      // Exponent aimed so that a product or quotient lands near the underflow or overflow limit.
      const target = (rand(2) ? 1 : maxE - 1) + rand(5) - 2;
      const eb = rand(2) ? target + bias - ea : ea + bias - target;
      return make(k, rand(2), Math.max(0, Math.min(maxE - 1, eb)), rand(3) ? rand64() : BigInt(rand(8)));
    }
    default: return value(k);
  }
}

/** An addend close to -(n * m), so that a fused multiply-add cancels heavily. */
function cancelling(k: Kind, n: bigint, m: bigint): bigint {
  const mask = k === "s" ? 0xffffffffn : 0xffffffffffffffffn;
  const b = new DataView(new ArrayBuffer(8));
  const num = (v: bigint): number => {
    if (k === "s") { b.setUint32(0, Number(v & mask)); return b.getFloat32(0); }
    b.setBigUint64(0, v & mask); return b.getFloat64(0);
  };
  const p = -(num(n) * num(m));
  if (!Number.isFinite(p)) return value(k);
  return (fromNumber(k, p) + BigInt(rand(5)) - 2n) & mask;
}

function intValue(sf: number): bigint {
  const specialsI = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n,
    2n ** 24n + 1n, 2n ** 53n + 1n, 2n ** 53n + 3n, 0x7fffffbfn, 0x7fffffc0n, 0xffffff7fn, 16777217n, -16777217n];
  let v: bigint;
  switch (rand(4)) {
    case 0: v = pick(specialsI); break;
    case 1: v = rand64(); break;
    case 2: v = BigInt.asUintN(64, BigInt.asIntN(64, rand64()) >> BigInt(rand(64))); break;
    default: v = BigInt(rand(2000)) - 1000n; break;
  }
  v = BigInt.asUintN(64, v);
  // W forms must ignore the upper half: put garbage there.
  return sf ? v : (v & 0xffffffffn) | (rand64() & 0xffffffff00000000n);
}

// ---------------------------------------------------------------- instruction forms

interface Form {
  word: number;
  /** Operand kinds for V1, V2, V3 (undefined: random bits) and whether X1 is an integer input. */
  n?: Kind; m?: Kind; a?: Kind; xn?: number;
  /** Weight: cases per form. */
  weight: number;
  ahp?: boolean;
}

const T: Kind[] = ["s", "d"];
const ft = (k: Kind): number => (k === "s" ? 0 : k === "d" ? 1 : 3);

function forms(): Form[] {
  const out: Form[] = [];
  for (const k of T) {
    const t = ft(k) << 22;
    for (let opc = 0; opc < 4; opc++) out.push({ word: 0x1e204020 | t | (opc << 15), n: k, weight: opc === 3 ? 120 : 15 });
    for (let op = 0; op <= 8; op++) out.push({ word: 0x1e200820 | t | (2 << 16) | (op << 12), n: k, m: k, weight: 200 });
    for (let o = 0; o < 4; o++) out.push({ word: 0x1f000020 | t | ((o >> 1) << 21) | (2 << 16) | ((o & 1) << 15) | (3 << 10), n: k, m: k, a: k, weight: 250 });
    for (const mode of [0, 1, 2, 3, 4, 6, 7]) out.push({ word: 0x1e244020 | t | (mode << 15), n: k, weight: 70 });
    for (let ez = 0; ez < 4; ez++) out.push({ word: 0x1e202020 | t | (2 << 16) | (ez << 3), n: k, m: k, weight: 80 });
    for (const e of [0, 1]) out.push({ word: 0x1e200420 | t | (2 << 16) | (rand(16) << 12) | (e << 4) | rand(16), n: k, m: k, weight: 80 });
    out.push({ word: 0x1e200c20 | t | (2 << 16) | (rand(16) << 12), n: k, m: k, weight: 20 });
    for (let imm = 0; imm < 256; imm += 37) out.push({ word: 0x1e201000 | t | (imm << 13), weight: 2 });
    for (const sf of [0, 1]) {
      const s = sf << 31;
      for (let rmode = 0; rmode < 4; rmode++) for (const u of [0, 1]) out.push({ word: (s | 0x1e200020 | t | (rmode << 19) | (u << 16)) >>> 0, n: k, weight: 60 });
      for (const u of [0, 1]) out.push({ word: (s | 0x1e240020 | t | (u << 16)) >>> 0, n: k, weight: 60 });
      for (const u of [0, 1]) out.push({ word: (s | 0x1e220020 | t | (u << 16)) >>> 0, xn: sf, weight: 80 });
      for (const scale of [63, 62, 48, 33, 32, 16, 1, 0]) {
        if (!sf && scale < 32) continue;
        for (const u of [0, 1]) {
          out.push({ word: (s | 0x1e180020 | t | (u << 16) | (scale << 10)) >>> 0, n: k, weight: 25 });
          out.push({ word: (s | 0x1e020020 | t | (u << 16) | (scale << 10)) >>> 0, xn: sf, weight: 25 });
        }
      }
    }
  }
  // FCVT between half, single and double; AHP for half.
  for (const from of ["h", "s", "d"] as Kind[]) for (const to of ["h", "s", "d"] as Kind[]) {
    if (from === to) continue;
    out.push({ word: 0x1e224020 | (ft(from) << 22) | (ft(to) << 15), n: from, weight: 150, ahp: from === "h" || to === "h" });
  }
  // FMOV general.
  out.push({ word: 0x1e260020, weight: 10 }, { word: 0x1e270020, xn: 0, weight: 10 }, { word: 0x9e660020, weight: 10 },
    { word: 0x9e670020, xn: 1, weight: 10 }, { word: 0x9eae0020, weight: 10 }, { word: 0x9eaf0020, xn: 1, weight: 10 });
  return out;
}

interface Case { word: number; fpcr: number; nzcv: number; v0: bigint; v1: bigint; v2: bigint; v3: bigint; x1: bigint; x0: bigint }

function fpcrFor(f: Form): number {
  let v = rand(4) << 22;
  if (rand(3) === 0) v |= 1 << 24; // FZ
  if (rand(3) === 0) v |= 1 << 25; // DN
  if (f.ahp && rand(2)) v |= 1 << 26; // AHP
  return v;
}

function operand(k: Kind | undefined, other?: bigint): bigint {
  if (k === undefined) return rand64() | (rand64() << 64n);
  const v = other !== undefined && rand(2) ? related(k, other) : value(k);
  return v | (rand(4) === 0 ? rand64() << 64n : 0n); // garbage above the scalar must be ignored
}

function generateCases(): Case[] {
  const cases: Case[] = [];
  for (const f of forms()) {
    for (let i = 0; i < f.weight * SCALE; i++) {
      const v1 = operand(f.n);
      const v2 = operand(f.m, f.n ? v1 & ((1n << 64n) - 1n) : undefined);
      let v3 = operand(f.a);
      if (f.a && rand(3) === 0) v3 = cancelling(f.a, v1, v2);
      // FCMP with #0.0 compares against zero; keep FMOV v.d[1] inputs full width.
      cases.push({
        word: f.word, fpcr: fpcrFor(f), nzcv: rand(16) << 28,
        v0: rand64() | (rand64() << 64n), v1, v2, v3,
        x1: f.xn !== undefined ? intValue(f.xn) : rand64(), x0: rand64(),
      });
    }
  }
  return cases;
}

// ---------------------------------------------------------------- the image

interface Image { bytes: Uint8Array; inAddr: number }

function buildImage(cases: Case[]): Image {
  // A branch over a vector table (VBAR_EL1 = LOAD_ADDR + 0x800) whose synchronous entry powers
  // off, so an unexpected exception ends the run at once instead of looping until the timeout.
  const code: number[] = new Array(VECTORS_END / 4).fill(BRANCH_SELF);
  code[0] = 0x14000000 | (VECTORS_END / 4);
  code.splice(0x800 / 4 + 0x200 / 4, 3, 0x52800100, 0x72b08000, HVC0);
  const perCase = 18, prologue = 10, epilogue = 23;
  const codeBytes = VECTORS_END + (prologue + cases.length * perCase + epilogue) * 4;
  const hexAddr = LOAD_ADDR + codeBytes;
  const inAddr = hexAddr + 16;
  const outAddr = inAddr + cases.length * IN_BYTES;
  const total = outAddr + cases.length * OUT_BYTES - LOAD_ADDR;
  // Enable FP/SIMD at EL1 (CPACR_EL1.FPEN = 0b11), then point x20/x21 at inputs/results.
  code.push(...loadAddr(0, LOAD_ADDR + 0x800), msrVbar(0));
  code.push(movz(0, 0x30, 1), msrCpacr(0), ISB, ...loadAddr(20, inAddr), ...loadAddr(21, outAddr));
  for (const c of cases) {
    code.push(ldrXPost8(9, 20), msrFpcr(9), ldrXPost8(9, 20), msrNzcv(9),
      ldrQPost16(0, 20), ldrQPost16(1, 20), ldrQPost16(2, 20), ldrQPost16(3, 20), ldrXPost8(1, 20), ldrXPost8(0, 20),
      msrFpsr(31), c.word, mrsFpsr(9), mrsNzcv(10), strQPost16(0, 21), strXPost8(0, 21), strWPost4(9, 21), strWPost4(10, 21));
  }
  const start = code.length;
  code.push(...loadAddr(21, outAddr), ...loadAddr(22, outAddr + cases.length * OUT_BYTES), ...loadAddr(23, UART), ...loadAddr(24, hexAddr));
  const loop = code.length;
  code.push(ldrbPost1(0, 21), lsrW4(1, 0), andW15(0, 0), ldrbReg(1, 24, 1), strb(1, 23), ldrbReg(0, 24, 0), strb(0, 23), cmpX(21, 22));
  code.push(bne(loop - code.length));
  code.push(0x52800140 /* movz w0, #10 */, strb(0, 23));
  code.push(0x52800100 /* movz w0, #0x8 */, 0x72b08000 /* movk w0, #0x8400, lsl #16 */, HVC0, BRANCH_SELF);
  assert.equal(code.length - start, epilogue);
  assert.equal(code.length * 4, codeBytes);

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  code.forEach((w, i) => view.setUint32(i * 4, w, true));
  bytes.set(new TextEncoder().encode("0123456789abcdef"), hexAddr - LOAD_ADDR);
  cases.forEach((c, i) => {
    const o = inAddr - LOAD_ADDR + i * IN_BYTES;
    const put128 = (off: number, v: bigint): void => {
      view.setBigUint64(o + off, v & 0xffffffffffffffffn, true);
      view.setBigUint64(o + off + 8, (v >> 64n) & 0xffffffffffffffffn, true);
    };
    view.setBigUint64(o, BigInt(c.fpcr), true);
    view.setBigUint64(o + 8, BigInt(c.nzcv >>> 0), true);
    put128(16, c.v0); put128(32, c.v1); put128(48, c.v2); put128(64, c.v3);
    view.setBigUint64(o + 80, c.x1, true);
    view.setBigUint64(o + 88, c.x0, true);
  });
  return { bytes, inAddr };
}

/**
 * How the one instruction runs: its exec (the interpreter), or its compile hook's snippet as
 * the block compiler places it (jit.ts), with FPSR.IXC set beforehand so that the hooks' host
 * fast paths (fp.ts, "compile hooks") apply; instructions without a snippet run exec then too.
 */
type Mode = "exec" | "compiled, IXC set";

/** The snippet of `d`'s compile hook as a function of (cpu, exec, decoded), or undefined. */
function compiledSnippet(d: Decoded): ((cpu: unknown, e: unknown, dd: unknown) => void) | undefined {
  const src = d.def.compile?.(d, { pcLo: "0", offset: 0, exec: "e", d: "dd", execNoGpr: "fe" });
  if (src === undefined) return undefined;
  const f = new Function("cpu", "e", "dd", `"use strict"; const x = cpu.x, fe = e; ${src}`);
  return f as (cpu: unknown, e: unknown, dd: unknown) => void;
}

/** Run every case on Tessera: state from TypeScript, then the one instruction. */
function runOnTessera(cases: Case[], mode: Mode = "exec"): { out: Uint8Array; compiled: number } {
  let compiled = 0;
  const { cpu } = makeCpu(1 << 20);
  cpu.sr[SR.CPACR_EL1 * 2] = 3 << 20; // FPEN: no FP/SIMD traps at EL1
  cpu.updateCachedControls();
  const decoder = getDecoder();
  const out = new Uint8Array(cases.length * OUT_BYTES);
  const ov = new DataView(out.buffer);
  const vv = cpu.vview;
  const set128 = (reg: number, v: bigint): void => {
    vv.setBigUint64(reg * 16, v & 0xffffffffffffffffn, true);
    vv.setBigUint64(reg * 16 + 8, (v >> 64n) & 0xffffffffffffffffn, true);
  };
  const setX = (reg: number, v: bigint): void => {
    cpu.x[reg * 2] = Number(v & 0xffffffffn) | 0;
    cpu.x[reg * 2 + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
  };
  cases.forEach((c, i) => {
    cpu.fpcr = c.fpcr;
    cpu.fpsr = mode === "exec" ? 0 : IXC;
    const nz = c.nzcv >>> 28;
    cpu.nf = (nz >> 3) & 1; cpu.zf = (nz >> 2) & 1; cpu.cf = (nz >> 1) & 1; cpu.vf = nz & 1;
    set128(0, c.v0); set128(1, c.v1); set128(2, c.v2); set128(3, c.v3);
    setX(1, c.x1); setX(0, c.x0);
    const d = decoder.decode(c.word);
    const snippet = mode === "exec" ? undefined : compiledSnippet(d);
    if (snippet !== undefined) { snippet(cpu, d.exec, d); compiled++; } else d.exec(cpu, d);
    const o = i * OUT_BYTES;
    ov.setBigUint64(o, vv.getBigUint64(0, true), true);
    ov.setBigUint64(o + 8, vv.getBigUint64(8, true), true);
    ov.setInt32(o + 16, cpu.x[0], true);
    ov.setInt32(o + 20, cpu.x[1], true);
    ov.setInt32(o + 24, cpu.fpsr, true);
    ov.setInt32(o + 28, ((cpu.nf << 31) | (cpu.zf << 30) | (cpu.cf << 29) | (cpu.vf << 28)) | 0, true);
  });
  return { out, compiled };
}

const h64 = (v: bigint): string => v.toString(16).padStart(16, "0");

function describeCase(c: Case): string {
  return `${disassemble(c.word)} fpcr=${(c.fpcr >>> 0).toString(16)} nzcv=${(c.nzcv >>> 28).toString(16)} ` +
    `v1=${h64(c.v1 & 0xffffffffffffffffn)} v2=${h64(c.v2 & 0xffffffffffffffffn)} v3=${h64(c.v3 & 0xffffffffffffffffn)} x1=${h64(c.x1)}`;
}

/** The cases' QEMU results: one image, run once for both tests. */
let reference: Promise<{ cases: Case[]; qemu: Buffer }> | undefined;
function qemuResults(): Promise<{ cases: Case[]; qemu: Buffer }> {
  reference ??= (async () => {
    const cases = generateCases();
    const image = buildImage(cases);
    const r = await runQemuImage(image.bytes, LOAD_ADDR, { timeoutMs: 60000 });
    assert.ok(!r.timedOut && !r.spawnError, `${describeExit(r)}\n${r.stderr}`);
    const text = r.stdout.toString("latin1");
    const hexText = /[0-9a-f]{64,}/.exec(text)?.[0] ?? "";
    assert.equal(hexText.length, cases.length * OUT_BYTES * 2, "QEMU printed an incomplete result block");
    return { cases, qemu: Buffer.from(hexText, "hex") };
  })();
  return reference;
}

for (const mode of ["exec", "compiled, IXC set"] as const) test(`scalar FP results and FPSR flags match QEMU (${mode})`, async (t) => {
  if (!commandExists(QEMU)) { t.skip(`${QEMU} not installed`); return; }
  const { cases, qemu } = await qemuResults();
  const { out: ours, compiled } = runOnTessera(cases, mode);
  // FPSR.IXC is sticky: set before the instruction, it is set after it whatever QEMU reported.
  const ixc = mode === "exec" ? 0 : IXC;
  if (mode !== "exec") assert.ok(compiled > 2000, `only ${compiled} cases ran a compile hook's snippet`);

  const failures: string[] = [];
  const perInsn = new Map<string, number>();
  cases.forEach((c, i) => {
    const o = i * OUT_BYTES;
    const q = Buffer.from(qemu.subarray(o, o + OUT_BYTES)), u = ours.subarray(o, o + OUT_BYTES);
    q.writeUInt32LE((q.readUInt32LE(24) | ixc) >>> 0, 24);
    if (Buffer.compare(q, Buffer.from(u)) === 0) return;
    const qv = new DataView(q.buffer, q.byteOffset, OUT_BYTES), uv = new DataView(u.buffer, u.byteOffset, OUT_BYTES);
    const parts: string[] = [];
    const names = ["v0.lo", "v0.hi", "x0"];
    for (let j = 0; j < 3; j++) {
      const a = qv.getBigUint64(j * 8, true), b = uv.getBigUint64(j * 8, true);
      if (a !== b) parts.push(`${names[j]} qemu ${h64(a)} ours ${h64(b)}`);
    }
    const qf = qv.getUint32(24, true), uf = uv.getUint32(24, true);
    if (qf !== uf) parts.push(`fpsr qemu ${qf.toString(16)} ours ${uf.toString(16)}`);
    const qn = qv.getUint32(28, true), un = uv.getUint32(28, true);
    if (qn !== un) parts.push(`nzcv qemu ${(qn >>> 28).toString(16)} ours ${(un >>> 28).toString(16)}`);
    const mn = disassemble(c.word).split("\t")[0];
    perInsn.set(mn, (perInsn.get(mn) ?? 0) + 1);
    failures.push(`${describeCase(c)}: ${parts.join(", ")}`);
  });
  const summary = [...perInsn].map(([k, v]) => `${k}:${v}`).join(" ");
  assert.equal(failures.length, 0, `${failures.length}/${cases.length} cases differ (${summary})\n${failures.slice(0, 60).join("\n")}`);
});
