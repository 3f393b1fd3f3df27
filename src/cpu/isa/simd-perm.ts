/**
 * Advanced SIMD data movement: modified immediate (MOVI/MVNI/ORR/BIC/FMOV), copy (DUP, INS,
 * UMOV, SMOV), permute (ZIP/UZP/TRN), EXT and table lookup (TBL/TBX) (ARM ARM C4.1.6; instruction
 * pages C7.2.*).
 */
import { zr, zw, type Cpu } from "../cpu.js";
import type { Decoded, InsnDef } from "./table.js";
import { clearAbove, vr, vel } from "./simd-common.js";
import { xreg } from "./util.js";

// -------------------------------------------------------------- modified immediate

/**
 * AdvSIMDExpandImm (ARM ARM shared pseudocode): the 64-bit pattern (as lo, hi words) for op,
 * cmode and imm8. Returns undefined for the reserved op=1 cmode=1111 (Q=0 handled by the guard).
 */
function expandImm(op: number, cmode: number, imm8: number): [number, number] {
  let lo = 0;
  switch (cmode >> 1) {
    case 0: case 1: case 2: case 3: lo = imm8 << (8 * (cmode >> 1)); return [lo, lo];
    case 4: case 5: { const h = imm8 << (8 * ((cmode >> 1) & 1)); lo = h | (h << 16); return [lo, lo]; }
    case 6: lo = (cmode & 1) ? (imm8 << 16) | 0xffff : (imm8 << 8) | 0xff; return [lo, lo];
    default:
      if ((cmode & 1) === 0 && op === 0) { lo = imm8 * 0x01010101; return [lo | 0, lo | 0]; }
      if ((cmode & 1) === 0 && op === 1) {
        // Each bit of imm8 selects a byte of ones.
        let l = 0, h = 0;
        for (let i = 0; i < 4; i++) { if (imm8 & (1 << i)) l |= 0xff << (8 * i); if (imm8 & (1 << (i + 4))) h |= 0xff << (8 * i); }
        return [l, h];
      }
      if (op === 0) {
        // FMOV (vector, single): VFPExpandImm to 32 bits, replicated.
        const a = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1, cdefgh = imm8 & 0x3f;
        const w = (a << 31) | ((b ? 0 : 1) << 30) | ((b ? 0x1f : 0) << 25) | (cdefgh << 19);
        return [w, w];
      }
      {
        // FMOV (vector, double).
        const a = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1, cdefgh = imm8 & 0x3f;
        const h = (a << 31) | ((b ? 0 : 1) << 30) | ((b ? 0xff : 0) << 22) | (cdefgh << 16);
        return [0, h];
      }
  }
}

/** Floating-point immediate text as objdump prints it (%.18e). */
export function fpImmText(v: number): string {
  const s = v.toExponential(18);
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/** The value of VFPExpandImm(imm8) as a number. */
export function vfpImm(imm8: number): number {
  const sign = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1, exp3 = (imm8 >> 4) & 3, frac = imm8 & 15;
  // The exponent NOT(b):Replicate(b):imm8<5:4> is unbiased 1..4 when b=0 and -3..0 when b=1.
  const e = b ? exp3 - 3 : exp3 + 1;
  return (sign ? -1 : 1) * ((16 + frac) / 16) * 2 ** e;
}

function execModImm(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, o = d.rd * 4, lo = d.immLo, hi = d.immHi, k = d.mode;
  if (k === 0) { v[o] = lo; v[o + 1] = hi; if (d.Q) { v[o + 2] = lo; v[o + 3] = hi; } else { v[o + 2] = 0; v[o + 3] = 0; } return; }
  const W = d.Q ? 4 : 2;
  for (let i = 0; i < W; i++) v[o + i] = k === 1 ? v[o + i] | ((i & 1) ? hi : lo) : v[o + i] & ~((i & 1) ? hi : lo);
  if (!d.Q) { v[o + 2] = 0; v[o + 3] = 0; }
}

const modImmDef: InsnDef = {
  name: "MOVI", pattern: "0 Q:1 op:1 0111100000 abc:3 cmode:4 o2:1 1 defgh:5 rd:5",
  guard: (d) => d.o2 === 0 && !(d.cmode === 15 && d.op === 1 && d.Q === 0),
  prepare: (d) => {
    const imm8 = (d.abc << 5) | d.defgh, c = d.cmode, op = d.op;
    d.imm8 = imm8;
    let [lo, hi] = expandImm(op, c, imm8);
    // ORR/BIC use the immediate as is; MVNI inverts it; MOVI and FMOV store it.
    const isOrrBic = c < 12 && (c & 1) === 1 && (c >> 3 === 0 || c >> 2 === 2);
    if (isOrrBic) d.mode = op ? 2 : 1;
    else {
      d.mode = 0;
      if (op === 1 && c < 14) { lo = ~lo; hi = ~hi; }
    }
    d.immLo = lo; d.immHi = hi;
  },
  exec: execModImm,
  disasm: (d) => {
    const c = d.cmode, op = d.op, imm8 = d.imm8, hex = "#0x" + imm8.toString(16);
    if (c === 15) {
      if (op === 0) return `fmov\tv${d.rd}.${d.Q ? "4s" : "2s"}, #${fpImmText(vfpImm(imm8))}`;
      return `fmov\tv${d.rd}.2d, #${fpImmText(vfpImm(imm8))}`;
    }
    if (c === 14) {
      if (op === 0) return `movi\tv${d.rd}.${d.Q ? "16b" : "8b"}, ${hex}`;
      const [lo, hi] = expandImm(1, 14, imm8);
      const text = "#0x" + ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);
      return d.Q ? `movi\tv${d.rd}.2d, ${text}` : `movi\td${d.rd}, ${text}`;
    }
    if (c >= 12) {
      return `${op ? "mvni" : "movi"}\tv${d.rd}.${d.Q ? "4s" : "2s"}, ${hex}, msl #${(c & 1) ? 16 : 8}`;
    }
    const is16 = c >= 8;
    const shift = is16 ? 8 * ((c >> 1) & 1) : 8 * (c >> 1);
    const t = is16 ? (d.Q ? "8h" : "4h") : (d.Q ? "4s" : "2s");
    const mn = (c & 1) ? (op ? "bic" : "orr") : (op ? "mvni" : "movi");
    return `${mn}\tv${d.rd}.${t}, ${hex}${shift ? `, lsl #${shift}` : ""}`;
  },
};

// -------------------------------------------------------------- copy

/** Element size (0..3) from imm5's lowest set bit, or -1 when imm5<3:0> is zero. */
function imm5Size(imm5: number): number {
  return (imm5 & 1) ? 0 : (imm5 & 2) ? 1 : (imm5 & 4) ? 2 : (imm5 & 8) ? 3 : -1;
}

function prepCopy(d: Decoded): void {
  d.size = imm5Size(d.imm5);
  d.index = d.imm5 >> (d.size + 1);
}

function execDupElem(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const o = d.rd, n = d.rn, i = d.index;
  switch (d.size) {
    case 0: { const x = cpu.v8[n * 16 + i]; cpu.v8.fill(x, o * 16, o * 16 + d.bytes); break; }
    case 1: { const x = cpu.v16[n * 8 + i]; cpu.v16.fill(x, o * 8, o * 8 + d.bytes / 2); break; }
    case 2: { const x = cpu.v32[n * 4 + i]; cpu.v32.fill(x, o * 4, o * 4 + d.bytes / 4); break; }
    default: {
      const lo = cpu.v32[n * 4 + 2 * i], hi = cpu.v32[n * 4 + 2 * i + 1];
      cpu.v32[o * 4] = lo; cpu.v32[o * 4 + 1] = hi;
      if (d.bytes === 16) { cpu.v32[o * 4 + 2] = lo; cpu.v32[o * 4 + 3] = hi; }
    }
  }
  clearAbove(cpu, o, d.bytes);
}

function execDupGen(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const o = d.rd, lo = cpu.x[d.n * 2];
  switch (d.size) {
    case 0: cpu.v8.fill(lo, o * 16, o * 16 + d.bytes); break;
    case 1: cpu.v16.fill(lo, o * 8, o * 8 + d.bytes / 2); break;
    case 2: cpu.v32.fill(lo, o * 4, o * 4 + d.bytes / 4); break;
    default: {
      const hi = cpu.x[d.n * 2 + 1];
      cpu.v32[o * 4] = lo; cpu.v32[o * 4 + 1] = hi; cpu.v32[o * 4 + 2] = lo; cpu.v32[o * 4 + 3] = hi;
    }
  }
  clearAbove(cpu, o, d.bytes);
}

function execInsGen(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const o = d.rd, i = d.index, lo = cpu.x[d.n * 2];
  switch (d.size) {
    case 0: cpu.v8[o * 16 + i] = lo; break;
    case 1: cpu.v16[o * 8 + i] = lo; break;
    case 2: cpu.v32[o * 4 + i] = lo; break;
    default: cpu.v32[o * 4 + 2 * i] = lo; cpu.v32[o * 4 + 2 * i + 1] = cpu.x[d.n * 2 + 1];
  }
}

function execMov(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const t = d.t, n = d.rn, i = d.index;
  let lo: number, hi = 0;
  switch (d.size) {
    case 0: lo = cpu.v8[n * 16 + i]; if (d.signed) lo = (lo << 24) >> 24; break;
    case 1: lo = cpu.v16[n * 8 + i]; if (d.signed) lo = (lo << 16) >> 16; break;
    case 2: lo = cpu.v32[n * 4 + i]; break;
    default: lo = cpu.v32[n * 4 + 2 * i]; hi = cpu.v32[n * 4 + 2 * i + 1];
  }
  if (d.signed && d.Q) hi = lo >> 31;
  if (d.signed && !d.Q) hi = 0;
  cpu.x[t * 2] = lo;
  cpu.x[t * 2 + 1] = hi;
}

function execInsElem(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const o = d.rd, n = d.rn, i = d.index, j = d.index2;
  switch (d.size) {
    case 0: cpu.v8[o * 16 + i] = cpu.v8[n * 16 + j]; break;
    case 1: cpu.v16[o * 8 + i] = cpu.v16[n * 8 + j]; break;
    case 2: cpu.v32[o * 4 + i] = cpu.v32[n * 4 + j]; break;
    default: {
      const lo = cpu.v32[n * 4 + 2 * j], hi = cpu.v32[n * 4 + 2 * j + 1];
      cpu.v32[o * 4 + 2 * i] = lo; cpu.v32[o * 4 + 2 * i + 1] = hi;
    }
  }
}

const copyDefs: InsnDef[] = [
  {
    name: "DUP_elem", pattern: "0 Q:1 0 01110000 imm5:5 0 0000 1 rn:5 rd:5",
    guard: (d) => { const s = imm5Size(d.imm5); return s >= 0 && !(s === 3 && d.Q === 0); },
    prepare: (d) => { prepCopy(d); d.bytes = d.Q ? 16 : 8; },
    exec: execDupElem,
    disasm: (d) => `dup\t${vr(d.rd, d.size, d.Q)}, ${vel(d.rn, d.size, d.index)}`,
  },
  {
    // DUP (element), scalar form; disassembled as its alias MOV.
    name: "DUP_elem_scalar", pattern: "01 0 11110000 imm5:5 0 0000 1 rn:5 rd:5",
    guard: (d) => imm5Size(d.imm5) >= 0,
    prepare: (d) => { prepCopy(d); d.bytes = 1 << d.size; },
    exec: execDupElem,
    disasm: (d) => `mov\t${"bhsd"[d.size]}${d.rd}, ${vel(d.rn, d.size, d.index)}`,
  },
  {
    name: "DUP_gen", pattern: "0 Q:1 0 01110000 imm5:5 0 0001 1 rn:5 rd:5",
    guard: (d) => { const s = imm5Size(d.imm5); return s >= 0 && !(s === 3 && d.Q === 0); },
    prepare: (d) => { prepCopy(d); d.bytes = d.Q ? 16 : 8; d.n = zr(d.rn); },
    exec: execDupGen,
    disasm: (d) => `dup\t${vr(d.rd, d.size, d.Q)}, ${xreg(d.rn, d.size === 3 ? 1 : 0)}`,
  },
  {
    name: "INS_gen", pattern: "0 1 0 01110000 imm5:5 0 0011 1 rn:5 rd:5",
    guard: (d) => imm5Size(d.imm5) >= 0,
    prepare: (d) => { prepCopy(d); d.n = zr(d.rn); },
    exec: execInsGen,
    disasm: (d) => `mov\t${vel(d.rd, d.size, d.index)}, ${xreg(d.rn, d.size === 3 ? 1 : 0)}`,
  },
  {
    // SMOV: to W (Q=0) for b/h, to X (Q=1) for b/h/s.
    name: "SMOV", pattern: "0 Q:1 0 01110000 imm5:5 0 0101 1 rn:5 rd:5",
    guard: (d) => { const s = imm5Size(d.imm5); return s >= 0 && (d.Q ? s <= 2 : s <= 1); },
    prepare: (d) => { prepCopy(d); d.signed = true; d.t = zw(d.rd); },
    exec: execMov,
    disasm: (d) => `smov\t${xreg(d.rd, d.Q)}, ${vel(d.rn, d.size, d.index)}`,
  },
  {
    // UMOV: to W (Q=0) for b/h/s, to X (Q=1) for d; MOV alias for s and d.
    name: "UMOV", pattern: "0 Q:1 0 01110000 imm5:5 0 0111 1 rn:5 rd:5",
    guard: (d) => { const s = imm5Size(d.imm5); return s >= 0 && (d.Q ? s === 3 : s <= 2); },
    prepare: (d) => { prepCopy(d); d.signed = false; d.t = zw(d.rd); },
    exec: execMov,
    disasm: (d) => `${d.size >= 2 ? "mov" : "umov"}\t${xreg(d.rd, d.Q)}, ${vel(d.rn, d.size, d.index)}`,
  },
  {
    name: "INS_elem", pattern: "0 1 1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5",
    guard: (d) => imm5Size(d.imm5) >= 0,
    prepare: (d) => { prepCopy(d); d.index2 = d.imm4 >> d.size; },
    exec: execInsElem,
    disasm: (d) => `mov\t${vel(d.rd, d.size, d.index)}, ${vel(d.rn, d.size, d.index2)}`,
  },
];

// -------------------------------------------------------------- permute, EXT, TBL/TBX

/**
 * ZIP/UZP/TRN as a byte-index map computed at decode time: result byte j comes from byte
 * map[j] of the 32-byte concatenation Vn:Vm (Vn first). Stored in one Uint8Array per decode.
 */
function permMap(op: number, size: number, q: number): Uint8Array {
  const esize = 1 << size, bytes = q ? 16 : 8, lanes = bytes / esize, half = lanes / 2;
  const map = new Uint8Array(16);
  const part = (op >> 2) & 1; // 0: *1, 1: *2
  for (let i = 0; i < lanes; i++) {
    let src: number; // element index into n (0..lanes-1) or m (16/esize + ...)
    let fromM = false, k: number;
    switch (op & 3) {
      case 1: { // UZP: even (UZP1) or odd (UZP2) elements of Vn:Vm
        const idx = 2 * i + part;
        fromM = idx >= lanes; k = fromM ? idx - lanes : idx; break;
      }
      case 2: { // TRN: Vd[2p] = Vn[2p+part], Vd[2p+1] = Vm[2p+part]
        const p = i >> 1;
        fromM = (i & 1) === 1; k = 2 * p + part; break;
      }
      default: { // ZIP: interleave the low (ZIP1) or high (ZIP2) halves
        const p = i >> 1;
        fromM = (i & 1) === 1; k = part * half + p; break;
      }
    }
    src = (fromM ? 16 : 0) + k * esize;
    for (let b = 0; b < esize; b++) map[i * esize + b] = src + b;
  }
  return map;
}

const permBuf = new Uint8Array(32);

function execPerm(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16, map = d.map as Uint8Array, L = d.Q ? 16 : 8;
  for (let i = 0; i < 16; i++) { permBuf[i] = v[n + i]; permBuf[16 + i] = v[m + i]; }
  for (let i = 0; i < L; i++) v[o + i] = permBuf[map[i]];
  if (!d.Q) clearAbove(cpu, d.rd, 8);
}

const PERM_NAMES = ["", "uzp1", "trn1", "zip1", "", "uzp2", "trn2", "zip2"];

const permDef: InsnDef = {
  name: "PERMUTE", pattern: "0 Q:1 001110 size:2 0 rm:5 0 op:3 10 rn:5 rd:5",
  guard: (d) => (d.op & 3) !== 0 && !(d.size === 3 && d.Q === 0),
  prepare: (d) => { d.map = permMap(d.op, d.size, d.Q); },
  exec: execPerm,
  disasm: (d) => `${PERM_NAMES[d.op]}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}, ${vr(d.rm, d.size, d.Q)}`,
};

function execExt(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16, L = d.Q ? 16 : 8, pos = d.imm4;
  // Bytes pos.. of the concatenation Vm:Vn (Vn low), of the 8- or 16-byte operands.
  for (let i = 0; i < L; i++) { permBuf[i] = v[n + i]; permBuf[L + i] = v[m + i]; }
  for (let i = 0; i < L; i++) v[o + i] = permBuf[pos + i];
  if (!d.Q) clearAbove(cpu, d.rd, 8);
}

const extDef: InsnDef = {
  name: "EXT", pattern: "0 Q:1 101110 00 0 rm:5 0 imm4:4 0 rn:5 rd:5",
  guard: (d) => d.Q === 1 || d.imm4 < 8,
  exec: execExt,
  disasm: (d) => {
    const t = d.Q ? "16b" : "8b";
    return `ext\tv${d.rd}.${t}, v${d.rn}.${t}, v${d.rm}.${t}, #${d.imm4}`;
  },
};

const tblBuf = new Uint8Array(64);

/** TBL/TBX: index bytes of Vm select from the table of len+1 consecutive registers (mod 32). */
function execTbl(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v8, regs = d.len + 1, limit = regs * 16, m = d.rm * 16, o = d.rd * 16, L = d.Q ? 16 : 8;
  for (let r = 0; r < regs; r++) {
    const base = ((d.rn + r) & 31) * 16;
    for (let i = 0; i < 16; i++) tblBuf[r * 16 + i] = v[base + i];
  }
  for (let i = 0; i < 16; i++) permBuf[i] = v[m + i];
  for (let i = 0; i < L; i++) {
    const idx = permBuf[i];
    if (idx < limit) v[o + i] = tblBuf[idx];
    else if (!d.tbx) v[o + i] = 0;
  }
  if (!d.Q) clearAbove(cpu, d.rd, 8);
}

const tblDef: InsnDef = {
  name: "TBL", pattern: "0 Q:1 001110 00 0 rm:5 0 len:2 op:1 00 rn:5 rd:5",
  prepare: (d) => { d.tbx = d.op === 1; },
  exec: execTbl,
  disasm: (d) => {
    const t = d.Q ? "16b" : "8b";
    // objdump writes three or four registers as a range, unless the list wraps past v31.
    const regs: string[] = [];
    for (let r = 0; r <= d.len; r++) regs.push(`v${(d.rn + r) & 31}.16b`);
    const list = d.len >= 2 && d.rn + d.len <= 31 ? `${regs[0]}-${regs[d.len]}` : regs.join(", ");
    return `${d.op ? "tbx" : "tbl"}\tv${d.rd}.${t}, {${list}}, v${d.rm}.${t}`;
  },
};

export const simdPermGroup: InsnDef[] = [modImmDef, ...copyDefs, permDef, extDef, tblDef];
