/**
 * The Advanced SIMD instructions exercised by the disassembly and differential tests, as GNU
 * assembler source. Operands follow one convention so the differential harness can set them up:
 * destination v0 (or w0/x0, b0..q0), sources v1, v2 (v1-v4 for table lists, v5 as TBL index),
 * general-register sources x1/w1.
 *
 * `data` tells the input generator what lanes to favour: integer bit patterns with edge values,
 * or floating-point values of a given width.
 */
export type DataKind = "int" | "f32" | "f64" | "f16";

export interface SimdCase {
  asm: string;
  data: DataKind;
}

const T_ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"];
const T_BHS = ["8b", "16b", "4h", "8h", "2s", "4s"];
const T_HS = ["4h", "8h", "2s", "4s"];
const T_B = ["8b", "16b"];
const T_F = ["2s", "4s", "2d"];

function widen(t: string): string {
  return { "8b": "8h", "16b": "8h", "4h": "4s", "8h": "4s", "2s": "2d", "4s": "2d" }[t]!;
}
function half(t: string): string {
  return { "8h": "8b", "4s": "4h", "2d": "2s" }[t]!;
}
function half2(t: string): string {
  return { "8h": "16b", "4s": "8h", "2d": "4s" }[t]!;
}
function esize(t: string): number {
  return { b: 8, h: 16, s: 32, d: 64 }[t.slice(-1)]!;
}
function fkind(t: string): DataKind {
  return t.endsWith("d") ? "f64" : t.endsWith("h") ? "f16" : "f32";
}

export function simdCases(includeFp: boolean): SimdCase[] {
  const out: SimdCase[] = [];
  const I = (asm: string) => out.push({ asm, data: "int" });
  const F = (asm: string, data: DataKind) => out.push({ asm, data });

  // ---- three same (integer)
  for (const mn of ["sqadd", "uqadd", "sqsub", "uqsub", "cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "sqshl", "uqshl",
    "srshl", "urshl", "sqrshl", "uqrshl", "add", "sub", "cmtst", "cmeq", "addp"])
    for (const t of T_ALL) I(`${mn} v0.${t}, v1.${t}, v2.${t}`);
  for (const mn of ["shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin", "umin", "sabd", "uabd",
    "saba", "uaba", "mla", "mls", "mul", "smaxp", "umaxp", "sminp", "uminp"])
    for (const t of T_BHS) I(`${mn} v0.${t}, v1.${t}, v2.${t}`);
  for (const mn of ["sqdmulh", "sqrdmulh"]) for (const t of T_HS) I(`${mn} v0.${t}, v1.${t}, v2.${t}`);
  for (const t of T_B) {
    I(`pmul v0.${t}, v1.${t}, v2.${t}`);
    for (const mn of ["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"]) I(`${mn} v0.${t}, v1.${t}, v2.${t}`);
    I(`mov v0.${t}, v1.${t}`);
  }
  I("add v0.4s, v0.4s, v0.4s");
  I("eor v3.16b, v17.16b, v31.16b");
  // scalar three same
  for (const mn of ["sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl"])
    for (const r of "bhsd") I(`${mn} ${r}0, ${r}1, ${r}2`);
  for (const mn of ["cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "srshl", "urshl", "add", "sub", "cmtst", "cmeq"])
    I(`${mn} d0, d1, d2`);
  for (const mn of ["sqdmulh", "sqrdmulh"]) for (const r of "hs") I(`${mn} ${r}0, ${r}1, ${r}2`);
  I("addp d0, v1.2d");
  for (const mn of ["sqdmlal", "sqdmlsl", "sqdmull"]) { I(`${mn} s0, h1, h2`); I(`${mn} d0, s1, s2`); }

  // ---- three different
  for (const t of ["8b", "4h", "2s"]) {
    const t2 = { "8b": "16b", "4h": "8h", "2s": "4s" }[t]!, w = widen(t);
    for (const mn of ["saddl", "uaddl", "ssubl", "usubl", "sabal", "uabal", "sabdl", "uabdl", "smlal", "umlal", "smlsl", "umlsl", "smull", "umull"]) {
      I(`${mn} v0.${w}, v1.${t}, v2.${t}`);
      I(`${mn}2 v0.${w}, v1.${t2}, v2.${t2}`);
    }
    for (const mn of ["saddw", "uaddw", "ssubw", "usubw"]) {
      I(`${mn} v0.${w}, v1.${w}, v2.${t}`);
      I(`${mn}2 v0.${w}, v1.${w}, v2.${t2}`);
    }
    for (const mn of ["addhn", "raddhn", "subhn", "rsubhn"]) {
      I(`${mn} v0.${t}, v1.${w}, v2.${w}`);
      I(`${mn}2 v0.${t2}, v1.${w}, v2.${w}`);
    }
    if (t !== "8b") for (const mn of ["sqdmlal", "sqdmlsl", "sqdmull"]) {
      I(`${mn} v0.${w}, v1.${t}, v2.${t}`);
      I(`${mn}2 v0.${w}, v1.${t2}, v2.${t2}`);
    }
  }
  I("pmull v0.8h, v1.8b, v2.8b");
  I("pmull2 v0.8h, v1.16b, v2.16b");

  // ---- two-register misc
  for (const t of ["8b", "16b", "4h", "8h", "2s", "4s"]) I(`rev64 v0.${t}, v1.${t}`);
  for (const t of ["8b", "16b", "4h", "8h"]) I(`rev32 v0.${t}, v1.${t}`);
  for (const t of T_B) I(`rev16 v0.${t}, v1.${t}`);
  for (const t of T_BHS) {
    const w = { "8b": "4h", "16b": "8h", "4h": "2s", "8h": "4s", "2s": "1d", "4s": "2d" }[t]!;
    for (const mn of ["saddlp", "uaddlp", "sadalp", "uadalp"]) I(`${mn} v0.${w}, v1.${t}`);
    for (const mn of ["cls", "clz"]) I(`${mn} v0.${t}, v1.${t}`);
  }
  for (const t of T_ALL) {
    for (const mn of ["suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg"]) I(`${mn} v0.${t}, v1.${t}`);
    for (const mn of ["cmgt", "cmeq", "cmlt", "cmge", "cmle"]) I(`${mn} v0.${t}, v1.${t}, #0`);
  }
  for (const t of T_B) { I(`cnt v0.${t}, v1.${t}`); I(`mvn v0.${t}, v1.${t}`); I(`rbit v0.${t}, v1.${t}`); }
  for (const w of ["8h", "4s", "2d"]) {
    for (const mn of ["xtn", "sqxtn", "uqxtn", "sqxtun"]) {
      I(`${mn} v0.${half(w)}, v1.${w}`);
      I(`${mn}2 v0.${half2(w)}, v1.${w}`);
    }
    I(`shll v0.${w}, v1.${half(w)}, #${esize(half(w))}`);
    I(`shll2 v0.${w}, v1.${half2(w)}, #${esize(half(w))}`);
  }
  for (const r of "bhsd") for (const mn of ["suqadd", "usqadd", "sqabs", "sqneg"]) I(`${mn} ${r}0, ${r}1`);
  for (const mn of ["cmgt", "cmeq", "cmlt", "cmge", "cmle"]) I(`${mn} d0, d1, #0`);
  I("abs d0, d1"); I("neg d0, d1");
  for (const [n, w] of [["b", "h"], ["h", "s"], ["s", "d"]]) for (const mn of ["sqxtn", "uqxtn", "sqxtun"]) I(`${mn} ${n}0, ${w}1`);

  // ---- across lanes
  for (const t of ["8b", "16b", "4h", "8h", "4s"]) {
    const r = t.slice(-1), w = { b: "h", h: "s", s: "d" }[r]!;
    for (const mn of ["addv", "smaxv", "umaxv", "sminv", "uminv"]) I(`${mn} ${r}0, v1.${t}`);
    for (const mn of ["saddlv", "uaddlv"]) I(`${mn} ${w}0, v1.${t}`);
  }

  // ---- shift by immediate
  for (const t of T_ALL) {
    const e = esize(t);
    for (const sh of [1, e >> 1, e]) for (const mn of ["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"])
      I(`${mn} v0.${t}, v1.${t}, #${sh}`);
    for (const sh of [0, 3, e - 1]) for (const mn of ["shl", "sli", "sqshl", "uqshl", "sqshlu"])
      I(`${mn} v0.${t}, v1.${t}, #${sh}`);
  }
  for (const sh of [1, 17, 63, 64]) for (const mn of ["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"])
    I(`${mn} d0, d1, #${sh}`);
  for (const sh of [0, 5, 63]) for (const mn of ["shl", "sli"]) I(`${mn} d0, d1, #${sh}`);
  for (const r of "bhsd") for (const sh of [0, 1, esize(r) - 1]) for (const mn of ["sqshl", "uqshl", "sqshlu"]) I(`${mn} ${r}0, ${r}1, #${sh}`);
  for (const w of ["8h", "4s", "2d"]) {
    const e = esize(half(w));
    for (const sh of [1, e >> 1, e]) for (const mn of ["shrn", "rshrn", "sqshrn", "uqshrn", "sqrshrn", "uqrshrn", "sqshrun", "sqrshrun"]) {
      I(`${mn} v0.${half(w)}, v1.${w}, #${sh}`);
      I(`${mn}2 v0.${half2(w)}, v1.${w}, #${sh}`);
    }
    for (const sh of [1, e - 1]) for (const mn of ["sshll", "ushll"]) {
      I(`${mn} v0.${w}, v1.${half(w)}, #${sh}`);
      I(`${mn}2 v0.${w}, v1.${half2(w)}, #${sh}`);
    }
    for (const mn of ["sxtl", "uxtl"]) { I(`${mn} v0.${w}, v1.${half(w)}`); I(`${mn}2 v0.${w}, v1.${half2(w)}`); }
  }
  for (const [n, w] of [["b", "h"], ["h", "s"], ["s", "d"]]) {
    const e = esize(n);
    for (const sh of [1, e]) for (const mn of ["sqshrn", "uqshrn", "sqrshrn", "uqrshrn", "sqshrun", "sqrshrun"]) I(`${mn} ${n}0, ${w}1, #${sh}`);
  }

  // ---- integer by element
  for (const t of T_HS) {
    const r = t.slice(-1), idx = r === "h" ? [0, 5, 7] : [0, 3];
    for (const i of idx) for (const mn of ["mul", "mla", "mls", "sqdmulh", "sqrdmulh"]) I(`${mn} v0.${t}, v1.${t}, v2.${r}[${i}]`);
  }
  for (const [t, t2, w] of [["4h", "8h", "4s"], ["2s", "4s", "2d"]]) {
    const r = t.slice(-1), i = r === "h" ? 6 : 1;
    for (const mn of ["smull", "umull", "smlal", "umlal", "smlsl", "umlsl", "sqdmull", "sqdmlal", "sqdmlsl"]) {
      I(`${mn} v0.${w}, v1.${t}, v2.${r}[${i}]`);
      I(`${mn}2 v0.${w}, v1.${t2}, v2.${r}[${i}]`);
    }
  }
  I("mul v0.8h, v1.8h, v15.h[7]");
  I("mul v0.4s, v1.4s, v31.s[3]");
  for (const mn of ["sqdmulh", "sqrdmulh"]) { I(`${mn} h0, h1, v2.h[3]`); I(`${mn} s0, s1, v2.s[1]`); }
  for (const mn of ["sqdmull", "sqdmlal", "sqdmlsl"]) { I(`${mn} s0, h1, v2.h[3]`); I(`${mn} d0, s1, v2.s[1]`); }

  // ---- modified immediate
  for (const s of ["movi v0.16b, #0x12", "movi v0.8b, #0xff", "movi v0.4h, #0x12, lsl #8", "movi v0.8h, #0x34",
    "movi v0.2s, #0x12", "movi v0.4s, #0x12, lsl #24", "movi v0.4s, #0x56, lsl #16", "movi v0.4s, #0x12, msl #8", "movi v0.2s, #0x12, msl #16",
    "mvni v0.4s, #0x12", "mvni v0.2s, #0x12, lsl #8", "mvni v0.8h, #0x12, lsl #8", "mvni v0.4h, #0x77", "mvni v0.4s, #0x12, msl #16",
    "orr v0.4s, #0x12, lsl #8", "orr v0.2s, #0x12", "orr v0.8h, #0x12", "orr v0.4h, #0x12, lsl #8",
    "bic v0.4s, #0x12, lsl #24", "bic v0.8h, #0xff", "bic v0.2s, #0x1", "bic v0.4h, #0x80, lsl #8",
    "movi v0.2d, #0xff00ff00ff00ff00", "movi v0.2d, #0x0", "movi d0, #0xff", "movi d0, #0xffffffffffffffff"]) I(s);
  if (includeFp) for (const s of ["fmov v0.4s, #1.0", "fmov v0.2s, #-0.5", "fmov v0.2d, #31.0", "fmov v0.4s, #0.125", "fmov v0.2d, #-1.9375"]) I(s);

  // ---- copy
  for (const s of ["dup v0.16b, v1.b[3]", "dup v0.8b, v1.b[15]", "dup v0.4h, v1.h[7]", "dup v0.8h, v1.h[2]", "dup v0.2s, v1.s[3]",
    "dup v0.4s, v1.s[1]", "dup v0.2d, v1.d[1]", "dup v0.16b, w1", "dup v0.8b, w1", "dup v0.4h, w1", "dup v0.8h, w1",
    "dup v0.2s, w1", "dup v0.4s, w1", "dup v0.2d, x1", "mov v0.b[5], w1", "mov v0.h[3], w1", "mov v0.s[1], w1",
    "mov v0.d[1], x1", "mov v0.b[5], v1.b[9]", "mov v0.h[7], v1.h[0]", "mov v0.s[0], v1.s[3]", "mov v0.d[0], v1.d[1]",
    "umov w0, v1.b[3]", "umov w0, v1.h[5]", "mov w0, v1.s[1]", "mov x0, v1.d[1]", "smov w0, v1.b[3]", "smov w0, v1.h[6]",
    "smov x0, v1.b[13]", "smov x0, v1.h[1]", "smov x0, v1.s[3]", "mov b0, v1.b[15]", "mov h0, v1.h[3]", "mov s0, v1.s[2]",
    "mov d0, v1.d[1]", "dup v0.4s, wzr", "mov v0.d[0], xzr", "umov w0, v0.b[0]"]) I(s);

  // ---- permute, EXT, TBL/TBX
  for (const mn of ["zip1", "zip2", "uzp1", "uzp2", "trn1", "trn2"]) for (const t of T_ALL) I(`${mn} v0.${t}, v1.${t}, v2.${t}`);
  for (const i of [0, 1, 8, 15]) I(`ext v0.16b, v1.16b, v2.16b, #${i}`);
  for (const i of [0, 3, 7]) I(`ext v0.8b, v1.8b, v2.8b, #${i}`);
  for (const mn of ["tbl", "tbx"]) for (const t of T_B) {
    I(`${mn} v0.${t}, {v1.16b}, v5.${t}`);
    I(`${mn} v0.${t}, {v1.16b, v2.16b}, v5.${t}`);
    I(`${mn} v0.${t}, {v1.16b, v2.16b, v3.16b}, v5.${t}`);
    I(`${mn} v0.${t}, {v1.16b, v2.16b, v3.16b, v4.16b}, v5.${t}`);
  }
  I("tbl v0.16b, {v0.16b}, v0.16b");
  I("tbl v0.16b, {v31.16b, v0.16b, v1.16b}, v5.16b");
  I("tbx v0.8b, {v30.16b, v31.16b, v0.16b, v1.16b}, v5.8b");

  // ---- destination also a source (results must use the sources as they were)
  for (const s of ["add v0.4s, v0.4s, v1.4s", "zip1 v0.16b, v0.16b, v1.16b", "zip2 v0.8h, v1.8h, v0.8h", "uzp1 v0.4s, v1.4s, v0.4s",
    "trn2 v0.16b, v0.16b, v0.16b", "tbl v0.16b, {v0.16b, v1.16b}, v0.16b", "tbx v0.16b, {v0.16b}, v0.16b", "ext v0.16b, v0.16b, v0.16b, #3",
    "sshll2 v0.4s, v0.8h, #3", "uxtl2 v0.8h, v0.16b", "xtn2 v0.8h, v0.4s", "sqxtn2 v0.16b, v0.8h", "smull2 v0.2d, v0.4s, v0.4s",
    "umull v0.4s, v0.4h, v0.4h", "smlal2 v0.4s, v0.8h, v1.8h", "addp v0.4s, v0.4s, v1.4s", "umaxp v0.16b, v1.16b, v0.16b",
    "rev64 v0.16b, v0.16b", "mla v0.4s, v0.4s, v0.s[1]", "umull2 v0.2d, v0.4s, v0.s[3]", "smlal v0.2d, v0.2s, v0.s[1]",
    "shll2 v0.4s, v0.8h, #16", "saddlp v0.4s, v0.8h", "sadalp v0.2d, v0.4s", "dup v0.4s, v0.s[2]", "mov v0.s[1], v0.s[3]",
    "addhn2 v0.16b, v0.8h, v1.8h", "shrn2 v0.16b, v0.8h, #3", "rshrn2 v0.8h, v0.4s, #5", "sqshrn2 v0.4s, v0.2d, #7",
    "bsl v0.16b, v0.16b, v1.16b", "bit v0.16b, v1.16b, v0.16b", "sli v0.4s, v0.4s, #5", "usra v0.2d, v0.2d, #9", "saddw2 v0.2d, v0.2d, v0.4s"]) I(s);
  if (includeFp) for (const s of ["fadd v0.2d, v0.2d, v0.2d", "faddp v0.4s, v0.4s, v0.4s", "fcvtl2 v0.2d, v0.4s", "fcvtn2 v0.4s, v0.2d",
    "fmla v0.4s, v0.4s, v0.s[1]", "fmaxp v0.2d, v0.2d, v1.2d", "fcvtxn2 v0.4s, v0.2d", "fcvtl2 v0.4s, v0.8h"]) F(s, s.includes("2d") ? "f64" : "f32");

  if (!includeFp) return out;

  // ---- floating point: three same
  for (const t of T_F) {
    const k = fkind(t);
    for (const mn of ["fadd", "fsub", "fmul", "fdiv", "fmla", "fmls", "fmax", "fmin", "fmaxnm", "fminnm", "faddp", "fmaxp",
      "fminp", "fmaxnmp", "fminnmp", "fabd", "fcmeq", "fcmge", "fcmgt", "facge", "facgt", "fmulx", "frecps", "frsqrts"])
      F(`${mn} v0.${t}, v1.${t}, v2.${t}`, k);
    for (const mn of ["fcmeq", "fcmge", "fcmgt", "fcmle", "fcmlt"]) F(`${mn} v0.${t}, v1.${t}, #0.0`, k);
    for (const mn of ["fabs", "fneg", "fsqrt", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti",
      "fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau", "frecpe", "frsqrte"])
      F(`${mn} v0.${t}, v1.${t}`, k);
    for (const mn of ["scvtf", "ucvtf"]) F(`${mn} v0.${t}, v1.${t}`, "int");
    const e = esize(t);
    for (const fb of [1, 7, e]) {
      F(`fcvtzs v0.${t}, v1.${t}, #${fb}`, k);
      F(`fcvtzu v0.${t}, v1.${t}, #${fb}`, k);
      F(`scvtf v0.${t}, v1.${t}, #${fb}`, "int");
      F(`ucvtf v0.${t}, v1.${t}, #${fb}`, "int");
    }
  }
  for (const t of ["2s", "4s"]) { F(`urecpe v0.${t}, v1.${t}`, "int"); F(`ursqrte v0.${t}, v1.${t}`, "int"); }
  F("fcvtl v0.4s, v1.4h", "f16"); F("fcvtl2 v0.4s, v1.8h", "f16");
  F("fcvtl v0.2d, v1.2s", "f32"); F("fcvtl2 v0.2d, v1.4s", "f32");
  F("fcvtn v0.4h, v1.4s", "f32"); F("fcvtn2 v0.8h, v1.4s", "f32");
  F("fcvtn v0.2s, v1.2d", "f64"); F("fcvtn2 v0.4s, v1.2d", "f64");
  F("fcvtxn v0.2s, v1.2d", "f64"); F("fcvtxn2 v0.4s, v1.2d", "f64");
  for (const mn of ["fmaxv", "fminv", "fmaxnmv", "fminnmv"]) F(`${mn} s0, v1.4s`, "f32");
  for (const [r, t, k] of [["s", "2s", "f32"], ["d", "2d", "f64"]] as const) {
    for (const mn of ["faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"]) F(`${mn} ${r}0, v1.${t}`, k);
  }
  // by element
  for (const [t, r, i] of [["2s", "s", 1], ["4s", "s", 3], ["2d", "d", 1]] as const) {
    for (const mn of ["fmul", "fmla", "fmls", "fmulx"]) F(`${mn} v0.${t}, v1.${t}, v2.${r}[${i}]`, fkind(t));
  }
  for (const [r, i] of [["s", 2], ["d", 1]] as const) {
    const k = r === "s" ? "f32" : "f64";
    for (const mn of ["fmul", "fmla", "fmls", "fmulx"]) F(`${mn} ${r}0, ${r}1, v2.${r}[${i}]`, k);
    // scalar three same / two-register misc
    for (const mn of ["fabd", "fcmeq", "fcmge", "fcmgt", "facge", "facgt", "fmulx", "frecps", "frsqrts"]) F(`${mn} ${r}0, ${r}1, ${r}2`, k);
    for (const mn of ["fcmeq", "fcmge", "fcmgt", "fcmle", "fcmlt"]) F(`${mn} ${r}0, ${r}1, #0.0`, k);
    for (const mn of ["frecpe", "frsqrte", "frecpx", "fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau"])
      F(`${mn} ${r}0, ${r}1`, k);
    for (const mn of ["scvtf", "ucvtf"]) F(`${mn} ${r}0, ${r}1`, "int");
    for (const fb of [1, 13]) {
      F(`fcvtzs ${r}0, ${r}1, #${fb}`, k); F(`fcvtzu ${r}0, ${r}1, #${fb}`, k);
      F(`scvtf ${r}0, ${r}1, #${fb}`, "int"); F(`ucvtf ${r}0, ${r}1, #${fb}`, "int");
    }
  }
  F("fcvtxn s0, d1", "f64");
  return out;
}
