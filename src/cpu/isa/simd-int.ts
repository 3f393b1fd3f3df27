/**
 * Advanced SIMD integer data processing: three same, three different, two-register misc,
 * across lanes and scalar pairwise (ARM ARM C4.1.6 "Data Processing -- Scalar Floating-Point
 * and Advanced SIMD"; instruction pages C7.2.*).
 *
 * Each instruction is one lane function, specialised at decode time for its element size and
 * signedness, driven by a small number of shared exec loops. Lane functions take the source
 * lanes already sign- or zero-extended and return the result as an exact integer; the typed
 * array store truncates it to the element size. 64-bit lanes use BigInt lane functions.
 */
import type { Cpu } from "../cpu.js";
import type { Decoded, InsnDef } from "./table.js";
import {
  Cmp, execAddp2d, execAddVec, execCmpVec, execCnt, execDiffFast, execLanesFast, execMull2d, execPairVec, execSubVec, LaneOp,
} from "./simd-fast.js";
import {
  clearAbove, commitQc, getLane, getLane64, sat, satS, satS64, satU, satU64, setLane,
  setLane64, setLane64Num, sr, vr, P2,
} from "./simd-common.js";

export type LaneFn = (a: number, b: number, c: number) => number;
export type LaneFn64 = (a: bigint, b: bigint, c: bigint) => bigint;

/** Sign-extend the low `e` bits of v. */
export function sx(v: number, e: number): number {
  return e === 32 ? v | 0 : (v << (32 - e)) >> (32 - e);
}


/**
 * Shift by a signed register amount (SSHL/USHL family, ARM ARM C7.2.* shared pseudocode):
 * positive = left, negative = right; optional rounding on right shifts and saturation on left.
 */
export function shiftBy(a: number, sh: number, e: number, signed: boolean, round: boolean, saturate: boolean): number {
  if (sh >= 0) {
    if (!saturate) return sh >= e ? 0 : a * P2(sh);
    const v = a === 0 ? 0 : a * P2(sh);
    return signed ? satS(v, e) : satU(v, e);
  }
  const s = -sh;
  return round ? Math.floor((a + P2(s - 1)) / P2(s)) : Math.floor(a / P2(s));
}

export function shiftBy64(a: bigint, sh: number, signed: boolean, round: boolean, saturate: boolean): bigint {
  if (sh >= 0) {
    if (!saturate) return sh >= 64 ? 0n : a << BigInt(sh);
    const v = a << BigInt(sh);
    return signed ? satS64(v) : satU64(v);
  }
  const s = BigInt(-sh);
  return round ? (a + (1n << (s - 1n))) >> s : a >> s;
}

/** floor((a*b + add) / 2^31) exactly for int32 a, b (the product needs up to 62 bits). */
export function mulShr31(a: number, b: number, add: number): number {
  const bh = b >> 16, bl = b & 0xffff;
  const q1 = a * bh;
  const qh = Math.floor(q1 / 32768), ql = q1 - qh * 32768;
  return qh + Math.floor((ql * 65536 + a * bl + add) / 2147483648);
}

/** Signed saturating doubling multiply returning high half (SQDMULH/SQRDMULH), e = 16 or 32. */
export function sqdmulh(a: number, b: number, e: number, round: boolean): number {
  if (e === 16) return satS(Math.floor((2 * a * b + (round ? 32768 : 0)) / 65536), 16);
  return satS(mulShr31(a, b, round ? 1073741824 : 0), 32);
}

/** Polynomial (carry-less) multiply of two 8-bit values (PMUL, PMULL.8h). */
export function pmul8(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (b & (1 << i)) r ^= a << i;
  return r;
}

/** An integer lane operation: factories specialised by element size and signedness. */
interface IntOp {
  /** Mnemonics for U=0 and U=1 (undefined: unallocated). */
  mn: [string | undefined, string | undefined];
  /** Allowed element sizes as a bit set (bit 0: 8-bit ... bit 3: 64-bit), per U. */
  sizes: [number, number];
  /** Lane function for e <= 32. */
  make: (e: number, u: boolean) => LaneFn;
  make64?: (u: boolean) => LaneFn64;
  /** Scalar form allowed sizes per U (0 if no scalar form). */
  scalar?: [number, number];
  /** Reads the destination as third operand (accumulating). */
  acc?: boolean;
  /** Source signedness when it does not follow U (U=0 signed). */
  signed?: boolean;
}

const B = 1, H = 2, S = 4, D = 8, BHS = 7, BHSD = 15, HS = 6;

// -------------------------------------------------------------- three same

const sameOps: Record<number, IntOp> = {
  0b00000: { mn: ["shadd", "uhadd"], sizes: [BHS, BHS], make: () => (a, b) => Math.floor((a + b) / 2) },
  0b00001: {
    mn: ["sqadd", "uqadd"], sizes: [BHSD, BHSD], scalar: [BHSD, BHSD],
    make: (e, u) => u ? (a, b) => satU(a + b, e) : (a, b) => satS(a + b, e),
    make64: (u) => u ? (a, b) => satU64(a + b) : (a, b) => satS64(a + b),
  },
  0b00010: { mn: ["srhadd", "urhadd"], sizes: [BHS, BHS], make: () => (a, b) => Math.floor((a + b + 1) / 2) },
  0b00100: { mn: ["shsub", "uhsub"], sizes: [BHS, BHS], make: () => (a, b) => Math.floor((a - b) / 2) },
  0b00101: {
    mn: ["sqsub", "uqsub"], sizes: [BHSD, BHSD], scalar: [BHSD, BHSD],
    make: (e, u) => u ? (a, b) => satU(a - b, e) : (a, b) => satS(a - b, e),
    make64: (u) => u ? (a, b) => satU64(a - b) : (a, b) => satS64(a - b),
  },
  0b00110: {
    mn: ["cmgt", "cmhi"], sizes: [BHSD, BHSD], scalar: [D, D],
    make: () => (a, b) => a > b ? -1 : 0, make64: () => (a, b) => a > b ? -1n : 0n,
  },
  0b00111: {
    mn: ["cmge", "cmhs"], sizes: [BHSD, BHSD], scalar: [D, D],
    make: () => (a, b) => a >= b ? -1 : 0, make64: () => (a, b) => a >= b ? -1n : 0n,
  },
  0b01000: {
    mn: ["sshl", "ushl"], sizes: [BHSD, BHSD], scalar: [D, D],
    make: (e, u) => (a, b) => shiftBy(a, sx(b, 8), e, !u, false, false),
    make64: (u) => (a, b) => shiftBy64(a, Number(BigInt.asIntN(8, b)), !u, false, false),
  },
  0b01001: {
    mn: ["sqshl", "uqshl"], sizes: [BHSD, BHSD], scalar: [BHSD, BHSD],
    make: (e, u) => (a, b) => shiftBy(a, sx(b, 8), e, !u, false, true),
    make64: (u) => (a, b) => shiftBy64(a, Number(BigInt.asIntN(8, b)), !u, false, true),
  },
  0b01010: {
    mn: ["srshl", "urshl"], sizes: [BHSD, BHSD], scalar: [D, D],
    make: (e, u) => (a, b) => shiftBy(a, sx(b, 8), e, !u, true, false),
    make64: (u) => (a, b) => shiftBy64(a, Number(BigInt.asIntN(8, b)), !u, true, false),
  },
  0b01011: {
    mn: ["sqrshl", "uqrshl"], sizes: [BHSD, BHSD], scalar: [BHSD, BHSD],
    make: (e, u) => (a, b) => shiftBy(a, sx(b, 8), e, !u, true, true),
    make64: (u) => (a, b) => shiftBy64(a, Number(BigInt.asIntN(8, b)), !u, true, true),
  },
  0b01100: { mn: ["smax", "umax"], sizes: [BHS, BHS], make: () => (a, b) => a > b ? a : b },
  0b01101: { mn: ["smin", "umin"], sizes: [BHS, BHS], make: () => (a, b) => a < b ? a : b },
  0b01110: { mn: ["sabd", "uabd"], sizes: [BHS, BHS], make: () => (a, b) => Math.abs(a - b) },
  0b01111: { mn: ["saba", "uaba"], sizes: [BHS, BHS], acc: true, make: () => (a, b, c) => c + Math.abs(a - b) },
  0b10000: {
    mn: ["add", "sub"], sizes: [BHSD, BHSD], scalar: [D, D],
    make: (_e, u) => u ? (a, b) => a - b : (a, b) => a + b,
    make64: (u) => u ? (a, b) => a - b : (a, b) => a + b,
  },
  0b10001: {
    mn: ["cmtst", "cmeq"], sizes: [BHSD, BHSD], scalar: [D, D],
    make: (_e, u) => u ? (a, b) => a === b ? -1 : 0 : (a, b) => (a & b) !== 0 ? -1 : 0,
    make64: (u) => u ? (a, b) => a === b ? -1n : 0n : (a, b) => (a & b) !== 0n ? -1n : 0n,
  },
  0b10010: {
    mn: ["mla", "mls"], sizes: [BHS, BHS], acc: true,
    make: (_e, u) => u ? (a, b, c) => c - Math.imul(a, b) : (a, b, c) => c + Math.imul(a, b),
  },
  0b10011: { mn: ["mul", "pmul"], sizes: [BHS, B], make: (_e, u) => u ? pmul8 : Math.imul },
  0b10110: {
    mn: ["sqdmulh", "sqrdmulh"], sizes: [HS, HS], scalar: [HS, HS], signed: true,
    make: (e, u) => (a, b) => sqdmulh(a, b, e, u),
  },
};

/** Pairwise ops (SMAXP/UMAXP/SMINP/UMINP/ADDP), three-same encoding. */
const pairOps: Record<number, IntOp> = {
  0b10100: { mn: ["smaxp", "umaxp"], sizes: [BHS, BHS], make: () => (a, b) => a > b ? a : b },
  0b10101: { mn: ["sminp", "uminp"], sizes: [BHS, BHS], make: () => (a, b) => a < b ? a : b },
  0b10111: {
    mn: ["addp", undefined], sizes: [BHSD, 0], make: () => (a, b) => a + b,
    make64: () => (a, b) => a + b,
  },
};

/** Element-wise exec over `d.lanes` lanes of `d.esize` bits: Vd[i] = f(Vn[i], Vm[i], Vd[i]). */
function execLanes(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, f = d.f as LaneFn, sgn = d.sgn;
  switch (d.esize) {
    case 8: {
      const v = cpu.v8, n = d.rn * 16, m = d.rm * 16, o = d.rd * 16;
      if (sgn) for (let i = 0; i < L; i++) v[o + i] = f((v[n + i] << 24) >> 24, (v[m + i] << 24) >> 24, (v[o + i] << 24) >> 24);
      else for (let i = 0; i < L; i++) v[o + i] = f(v[n + i], v[m + i], v[o + i]);
      break;
    }
    case 16: {
      const v = cpu.v16, n = d.rn * 8, m = d.rm * 8, o = d.rd * 8;
      if (sgn) for (let i = 0; i < L; i++) v[o + i] = f((v[n + i] << 16) >> 16, (v[m + i] << 16) >> 16, (v[o + i] << 16) >> 16);
      else for (let i = 0; i < L; i++) v[o + i] = f(v[n + i], v[m + i], v[o + i]);
      break;
    }
    case 32: {
      const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4;
      if (sgn) for (let i = 0; i < L; i++) v[o + i] = f(v[n + i], v[m + i], v[o + i]);
      else for (let i = 0; i < L; i++) v[o + i] = f(v[n + i] >>> 0, v[m + i] >>> 0, v[o + i] >>> 0);
      break;
    }
    default: {
      const f64 = d.f64 as LaneFn64;
      for (let i = 0; i < L; i++) {
        setLane64(cpu, d.rd, i, f64(getLane64(cpu, d.rn, i, sgn), getLane64(cpu, d.rm, i, sgn), getLane64(cpu, d.rd, i, sgn)));
      }
    }
  }
  clearAbove(cpu, d.rd, d.clear);
  if (sat.q) commitQc(cpu);
}

/** 64-bit lane add/sub without BigInt (ADD/SUB .2d and scalar d are common in compiled loops). */
function execAddSub64(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, sub = d.sub;
  for (let i = 0; i < d.lanes; i++) {
    const n = d.rn * 4 + i * 2, m = d.rm * 4 + i * 2, o = d.rd * 4 + i * 2;
    const al = v[n] >>> 0, ah = v[n + 1], bl = v[m] >>> 0, bh = v[m + 1];
    if (sub) {
      const lo = al - bl;
      v[o] = lo; v[o + 1] = (ah - bh - (lo < 0 ? 1 : 0)) | 0;
    } else {
      const lo = al + bl;
      v[o] = lo; v[o + 1] = (ah + bh + (lo > 0xffffffff ? 1 : 0)) | 0;
    }
  }
  clearAbove(cpu, d.rd, d.clear);
}

function sizeOk(mask: number, size: number, q: number, vector: boolean): boolean {
  if (!(mask & (1 << size))) return false;
  return !(vector && size === 3 && q === 0);
}

/** Three-same forms with a direct-loop exec (simd-fast.ts), by mnemonic. */
const LANE_OPS: Record<string, LaneOp> = {
  mul: LaneOp.Mul, mla: LaneOp.Mla, mls: LaneOp.Mls, smax: LaneOp.Max, umax: LaneOp.Max,
  smin: LaneOp.Min, umin: LaneOp.Min, sabd: LaneOp.Abd, uabd: LaneOp.Abd, saba: LaneOp.Aba, uaba: LaneOp.Aba,
};

function prepLanes(d: Decoded, op: IntOp, u: number, scalar: boolean): void {
  const e = 8 << d.size;
  d.esize = e;
  d.sgn = op.signed ?? u === 0;
  d.sub = u === 1;
  d.lanes = scalar ? 1 : (d.Q ? 128 : 64) / e;
  d.clear = scalar ? e / 8 : d.Q ? 16 : 8;
  if (e === 64) d.f64 = op.make64!(u === 1);
  else d.f = op.make(e, u === 1);
  if (e === 64 && op === sameOps[0b10000]) d.exec = execAddSub64;
  if (e <= 32 && !scalar) {
    if (op === sameOps[0b10000]) d.exec = u ? execSubVec : execAddVec;
    const cmp = op === sameOps[0b00110] ? (u ? Cmp.Hi : Cmp.Gt) : op === sameOps[0b00111] ? (u ? Cmp.Hs : Cmp.Ge)
      : op === sameOps[0b10001] ? (u ? Cmp.Eq : Cmp.Tst) : -1;
    if (cmp >= 0) { d.cmp = cmp; d.exec = execCmpVec; }
    const lop = LANE_OPS[op.mn[u]!];
    if (lop !== undefined) { d.lop = lop; d.exec = execLanesFast; }
  }
}

function sameDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [opc, op] of Object.entries(sameOps)) {
    const opcode = Number(opc);
    const bits = opcode.toString(2).padStart(5, "0");
    for (const u of [0, 1]) {
      const mn = op.mn[u];
      if (!mn) continue;
      // Unsigned-only ops use signed=false; accumulate/compare etc. follow U.
      const sizes = op.sizes[u];
      defs.push({
        name: `${mn.toUpperCase()}_vec`,
        pattern: `0 Q:1 ${u} 01110 size:2 1 rm:5 ${bits} 1 rn:5 rd:5`,
        guard: (d) => sizeOk(sizes, d.size, d.Q, true),
        prepare: (d) => prepLanes(d, op, u, false),
        exec: execLanes,
        disasm: (d) => `${mn}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}, ${vr(d.rm, d.size, d.Q)}`,
      });
      const sc = op.scalar?.[u];
      if (sc) {
        defs.push({
          name: `${mn.toUpperCase()}_scalar`,
          pattern: `01 ${u} 11110 size:2 1 rm:5 ${bits} 1 rn:5 rd:5`,
          guard: (d) => (sc & (1 << d.size)) !== 0,
          prepare: (d) => { d.Q = 1; prepLanes(d, op, u, true); },
          exec: execLanes,
          disasm: (d) => `${mn}\t${sr(d.rd, d.size)}, ${sr(d.rn, d.size)}, ${sr(d.rm, d.size)}`,
        });
      }
    }
  }
  return defs;
}

/** Lane values of the concatenation Vm:Vn read before any write (pairwise ops). */
const pairTmp = new Float64Array(32);

/** Pairwise: result lane i = f(pair i of Vn:Vm) (ARM ARM C7.2.* ADDP (vector) etc.). */
function execPairwise(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, e = d.esize, sgn = d.sgn;
  if (e === 64) {
    const f64 = d.f64 as LaneFn64;
    const r0 = f64(getLane64(cpu, d.rn, 0, sgn), getLane64(cpu, d.rn, 1, sgn), 0n);
    const r1 = f64(getLane64(cpu, d.rm, 0, sgn), getLane64(cpu, d.rm, 1, sgn), 0n);
    setLane64(cpu, d.rd, 0, r0);
    setLane64(cpu, d.rd, 1, r1);
    return;
  }
  const f = d.f as LaneFn;
  for (let i = 0; i < L; i++) {
    pairTmp[i] = getLane(cpu, d.rn, i, e, sgn);
    pairTmp[L + i] = getLane(cpu, d.rm, i, e, sgn);
  }
  for (let i = 0; i < L; i++) setLane(cpu, d.rd, i, e, f(pairTmp[2 * i], pairTmp[2 * i + 1], 0));
  clearAbove(cpu, d.rd, d.clear);
}

function pairDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [opc, op] of Object.entries(pairOps)) {
    const opcode = Number(opc), bits = opcode.toString(2).padStart(5, "0");
    for (const u of [0, 1]) {
      const mn = op.mn[u];
      if (!mn) continue;
      const sizes = op.sizes[u];
      defs.push({
        name: `${mn.toUpperCase()}_vec`,
        pattern: `0 Q:1 ${u} 01110 size:2 1 rm:5 ${bits} 1 rn:5 rd:5`,
        guard: (d) => sizeOk(sizes, d.size, d.Q, true),
        prepare: (d) => {
          prepLanes(d, op, u, false);
          d.pairKind = opcode === 0b10111 ? 0 : opcode === 0b10100 ? 1 : 2;
          d.exec = d.esize === 64 ? execAddp2d : execPairVec;
        },
        exec: execPairwise,
        disasm: (d) => `${mn}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}, ${vr(d.rm, d.size, d.Q)}`,
      });
    }
  }
  // ADDP (scalar): Dd = Vn.d[0] + Vn.d[1].
  defs.push({
    name: "ADDP_scalar", pattern: "01 0 11110 11 11000 11011 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
      const lo = (v[n] >>> 0) + (v[n + 2] >>> 0);
      const hi = (v[n + 1] + v[n + 3] + (lo > 0xffffffff ? 1 : 0)) | 0;
      v[o] = lo; v[o + 1] = hi; v[o + 2] = 0; v[o + 3] = 0;
    },
    disasm: (d) => `addp\td${d.rd}, v${d.rn}.2d`,
  });
  return defs;
}

// -------------------------------------------------------------- logical (three same, opcode 00011)

/** AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF on whole 32-bit words (ARM ARM C7.2.* "AND (vector)" etc.). */
function execLogic(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4, m = d.rm * 4, o = d.rd * 4, W = d.Q ? 4 : 2, k = d.kind;
  for (let i = 0; i < W; i++) {
    const a = v[n + i], b = v[m + i], c = v[o + i];
    let r: number;
    switch (k) {
      case 0: r = a & b; break;
      case 1: r = a & ~b; break;
      case 2: r = a | b; break;
      case 3: r = a | ~b; break;
      case 4: r = a ^ b; break;
      case 5: r = b ^ ((b ^ a) & c); break; // BSL: Vd selects Vn (1) or Vm (0)
      case 6: r = c ^ ((c ^ a) & b); break; // BIT: insert Vn where Vm is 1
      default: r = c ^ ((c ^ a) & ~b); break; // BIF: insert Vn where Vm is 0
    }
    v[o + i] = r;
  }
  if (!d.Q) { v[o + 2] = 0; v[o + 3] = 0; }
}

function execMovVec(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
  v[o] = v[n]; v[o + 1] = v[n + 1];
  if (d.Q) { v[o + 2] = v[n + 2]; v[o + 3] = v[n + 3]; } else { v[o + 2] = 0; v[o + 3] = 0; }
}

const LOGIC_NAMES = ["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"];

const logicDef: InsnDef = {
  name: "LOGIC_vec", pattern: "0 Q:1 U:1 01110 opc2:2 1 rm:5 00011 1 rn:5 rd:5",
  prepare: (d) => {
    d.kind = d.U * 4 + d.opc2;
    if (d.kind === 2 && d.rn === d.rm) d.exec = execMovVec;
  },
  exec: execLogic,
  disasm: (d) => {
    const t = d.Q ? "16b" : "8b";
    if (d.kind === 2 && d.rn === d.rm) return `mov\tv${d.rd}.${t}, v${d.rn}.${t}`;
    return `${LOGIC_NAMES[d.kind]}\tv${d.rd}.${t}, v${d.rn}.${t}, v${d.rm}.${t}`;
  },
};

// -------------------------------------------------------------- three different

interface DiffOp {
  mn: [string | undefined, string | undefined];
  kind: "long" | "wide" | "narrow";
  /** Numbers: sources sign/zero-extended per U, c = destination lane (signed). */
  make: (e: number, u: boolean) => LaneFn;
  /** BigInt version for 64-bit destination lanes (or 64-bit sources for narrow). */
  make64: (u: boolean) => LaneFn64;
  /** Source element sizes allowed (size field). */
  sizes: number;
  acc?: boolean;
}

/** e is the destination element size for long/wide ops, the source size for narrow ops. */
const diffOps: Record<number, DiffOp> = {
  0b0000: { mn: ["saddl", "uaddl"], kind: "long", sizes: BHS, make: () => (a, b) => a + b, make64: () => (a, b) => a + b },
  0b0001: { mn: ["saddw", "uaddw"], kind: "wide", sizes: BHS, make: () => (a, b) => a + b, make64: () => (a, b) => a + b },
  0b0010: { mn: ["ssubl", "usubl"], kind: "long", sizes: BHS, make: () => (a, b) => a - b, make64: () => (a, b) => a - b },
  0b0011: { mn: ["ssubw", "usubw"], kind: "wide", sizes: BHS, make: () => (a, b) => a - b, make64: () => (a, b) => a - b },
  0b0100: {
    mn: ["addhn", "raddhn"], kind: "narrow", sizes: BHS,
    make: (e, u) => (a, b) => Math.floor((a + b + (u ? P2(e / 2 - 1) : 0)) / P2(e / 2)),
    make64: (u) => (a, b) => (a + b + (u ? 0x80000000n : 0n)) >> 32n,
  },
  0b0101: {
    mn: ["sabal", "uabal"], kind: "long", sizes: BHS, acc: true,
    make: () => (a, b, c) => c + Math.abs(a - b), make64: () => (a, b, c) => c + (a > b ? a - b : b - a),
  },
  0b0110: {
    mn: ["subhn", "rsubhn"], kind: "narrow", sizes: BHS,
    make: (e, u) => (a, b) => Math.floor((a - b + (u ? P2(e / 2 - 1) : 0)) / P2(e / 2)),
    make64: (u) => (a, b) => (a - b + (u ? 0x80000000n : 0n)) >> 32n,
  },
  0b0111: {
    mn: ["sabdl", "uabdl"], kind: "long", sizes: BHS,
    make: () => (a, b) => Math.abs(a - b), make64: () => (a, b) => a > b ? a - b : b - a,
  },
  0b1000: {
    mn: ["smlal", "umlal"], kind: "long", sizes: BHS, acc: true,
    make: () => (a, b, c) => c + a * b, make64: () => (a, b, c) => c + a * b,
  },
  0b1001: {
    mn: ["sqdmlal", undefined], kind: "long", sizes: HS, acc: true,
    make: (e) => (a, b, c) => satS(c + satS(2 * a * b, e), e),
    make64: () => (a, b, c) => satS64(c + satS64(2n * a * b)),
  },
  0b1010: {
    mn: ["smlsl", "umlsl"], kind: "long", sizes: BHS, acc: true,
    make: () => (a, b, c) => c - a * b, make64: () => (a, b, c) => c - a * b,
  },
  0b1011: {
    mn: ["sqdmlsl", undefined], kind: "long", sizes: HS, acc: true,
    make: (e) => (a, b, c) => satS(c - satS(2 * a * b, e), e),
    make64: () => (a, b, c) => satS64(c - satS64(2n * a * b)),
  },
  0b1100: { mn: ["smull", "umull"], kind: "long", sizes: BHS, make: () => (a, b) => a * b, make64: () => (a, b) => a * b },
  0b1101: {
    mn: ["sqdmull", undefined], kind: "long", sizes: HS,
    make: (e) => (a, b) => satS(2 * a * b, e), make64: () => (a, b) => satS64(2n * a * b),
  },
  // PMULL with 8-bit elements only; the 64-bit form belongs to the (absent) crypto extension.
  0b1110: { mn: ["pmull", undefined], kind: "long", sizes: B, make: () => pmul8, make64: () => () => 0n },
};

const diffTmpA = new Float64Array(16), diffTmpB = new Float64Array(16), diffTmpC = new Float64Array(16);
const diffBigA: bigint[] = [0n, 0n], diffBigB: bigint[] = [0n, 0n];

/**
 * Three-different exec. Long: Vd(2e)[i] = f(Vn(e)[i+base], Vm(e)[i+base], Vd[i]); wide: Vn is
 * already wide; narrow: Vd(e)[base+i] = f(Vn(2e)[i], Vm(2e)[i]) (upper half for the "2" forms).
 */
function execDiff(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const sgn = d.sgn, ne = d.narrowE, we = ne * 2, L = 64 / ne, base = d.Q ? L : 0;
  if (d.kind === "narrow") {
    const L2 = 64 / ne;
    if (we === 64) {
      const f64 = d.f64 as LaneFn64;
      for (let i = 0; i < 2; i++) diffBigA[i] = f64(getLane64(cpu, d.rn, i, false), getLane64(cpu, d.rm, i, false), 0n);
      for (let i = 0; i < 2; i++) setLane(cpu, d.rd, base + i, 32, Number(BigInt.asIntN(32, diffBigA[i])));
    } else {
      const f = d.f as LaneFn;
      for (let i = 0; i < L2; i++) diffTmpA[i] = f(getLane(cpu, d.rn, i, we, false), getLane(cpu, d.rm, i, we, false), 0);
      for (let i = 0; i < L2; i++) setLane(cpu, d.rd, base + i, ne, diffTmpA[i]);
    }
    if (!d.Q) clearAbove(cpu, d.rd, 8);
    return;
  }
  const wide = d.kind === "wide";
  if (we === 64) {
    const f64 = d.f64 as LaneFn64;
    for (let i = 0; i < 2; i++) {
      diffBigA[i] = wide ? getLane64(cpu, d.rn, i, sgn) : BigInt(getLane(cpu, d.rn, base + i, 32, sgn));
      diffBigB[i] = BigInt(getLane(cpu, d.rm, base + i, 32, sgn));
    }
    for (let i = 0; i < 2; i++) {
      const c = d.acc ? getLane64(cpu, d.rd, i, true) : 0n;
      setLane64(cpu, d.rd, i, f64(diffBigA[i], diffBigB[i], c));
    }
  } else {
    const f = d.f as LaneFn;
    for (let i = 0; i < L; i++) {
      diffTmpA[i] = wide ? getLane(cpu, d.rn, i, we, sgn) : getLane(cpu, d.rn, base + i, ne, sgn);
      diffTmpB[i] = getLane(cpu, d.rm, base + i, ne, sgn);
      diffTmpC[i] = getLane(cpu, d.rd, i, we, true);
    }
    for (let i = 0; i < L; i++) setLane(cpu, d.rd, i, we, f(diffTmpA[i], diffTmpB[i], diffTmpC[i]));
  }
  if (sat.q) commitQc(cpu);
}

/** Scalar SQDMLAL/SQDMLSL/SQDMULL: one element of Vn, Vm widened into the element of Vd. */
function execDiffScalar(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const ne = d.narrowE, a = getLane(cpu, d.rn, 0, ne, true), b = getLane(cpu, d.rm, 0, ne, true);
  if (ne === 32) {
    const r = (d.f64 as LaneFn64)(BigInt(a), BigInt(b), getLane64(cpu, d.rd, 0, true));
    setLane64(cpu, d.rd, 0, r);
    clearAbove(cpu, d.rd, 8);
  } else {
    const r = (d.f as LaneFn)(a, b, getLane(cpu, d.rd, 0, 32, true));
    setLane(cpu, d.rd, 0, 32, r);
    clearAbove(cpu, d.rd, 4);
  }
  if (sat.q) commitQc(cpu);
}

/**
 * The long and wide forms on 8- and 16-bit source lanes whose lane function is plain
 * arithmetic, by the code execDiffSmall switches on: results are exact in doubles (at most
 * 33 bits) and truncate to the destination lane as setLane does.
 */
const DIFF_SMALL: Record<string, number> = {
  saddl: 0, uaddl: 0, saddw: 0, uaddw: 0, ssubl: 1, usubl: 1, ssubw: 1, usubw: 1,
  sabdl: 2, uabdl: 2, sabal: 3, uabal: 3, smull: 4, umull: 4, smlal: 5, umlal: 5, smlsl: 6, umlsl: 6,
};

/** SMULL/SMLAL/SMLSL (and unsigned forms): accumulate sign, for the 64-bit lane fast path. */
export const MULL_ACC: Record<string, number> = { smull: 0, smlal: 1, smlsl: -1, umull: 0, umlal: 1, umlsl: -1 };

function diffDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const opc of [0b1001, 0b1011, 0b1101]) {
    const op = diffOps[opc], mn = op.mn[0]!;
    defs.push({
      name: `${mn.toUpperCase()}_scalar`,
      pattern: `01 0 11110 size:2 1 rm:5 ${opc.toString(2)} 00 rn:5 rd:5`,
      guard: (d) => d.size === 1 || d.size === 2,
      prepare: (d) => {
        d.narrowE = 8 << d.size;
        if (d.narrowE === 32) d.f64 = op.make64(false); else d.f = op.make(32, false);
      },
      exec: execDiffScalar,
      disasm: (d) => `${mn}\t${sr(d.rd, d.size + 1)}, ${sr(d.rn, d.size)}, ${sr(d.rm, d.size)}`,
    });
  }
  for (const [opc, op] of Object.entries(diffOps)) {
    const bits = Number(opc).toString(2).padStart(4, "0");
    for (const u of [0, 1]) {
      const mn = op.mn[u];
      if (!mn) continue;
      defs.push({
        name: `${mn.toUpperCase()}`,
        pattern: `0 Q:1 ${u} 01110 size:2 1 rm:5 ${bits} 00 rn:5 rd:5`,
        guard: (d) => (op.sizes & (1 << d.size)) !== 0,
        prepare: (d) => {
          d.kind = op.kind; d.acc = !!op.acc;
          d.narrowE = 8 << d.size;
          // Narrow ops (ADDHN) are modular; RADDHN etc. select rounding by U, not signedness.
          d.sgn = op.kind === "narrow" || op.mn[0] === "pmull" ? false : u === 0;
          if (d.narrowE === 32) d.f64 = op.make64(u === 1);
          else d.f = op.make(d.narrowE * 2, u === 1);
          const accSign = MULL_ACC[op.mn[0]!];
          if (d.narrowE === 32 && accSign !== undefined) { d.accSign = accSign; d.byElem = false; d.exec = execMull2d; }
          const small = DIFF_SMALL[mn];
          if (d.narrowE < 32 && small !== undefined) { d.smallOp = small; d.wide = op.kind === "wide"; d.exec = execDiffFast; }
        },
        exec: execDiff,
        disasm: (d) => {
          const m2 = mn + (d.Q ? "2" : "");
          const w = vr(d.rd, d.size + 1, 1), nn = vr(d.rn, d.size, d.Q), nm = vr(d.rm, d.size, d.Q);
          if (op.kind === "long") return `${m2}\t${w}, ${nn}, ${nm}`;
          if (op.kind === "wide") return `${m2}\t${w}, ${vr(d.rn, d.size + 1, 1)}, ${nm}`;
          return `${m2}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size + 1, 1)}, ${vr(d.rm, d.size + 1, 1)}`;
        },
      });
    }
  }
  return defs;
}

// -------------------------------------------------------------- two-register misc

/** Unary lane ops: f(a, _, c) with a = Vn lane (extended per `sgn`), c = Vd lane. */
interface UnOp {
  mn: string;
  sizes: number;
  scalarSizes?: number;
  signed: boolean;
  make: (e: number) => LaneFn;
  make64?: () => LaneFn64;
  zeroSuffix?: boolean;
}

function clz(a: number, e: number): number {
  return Math.clz32(a) - (32 - e);
}

function popcount8(a: number): number {
  a = a - ((a >> 1) & 0x55);
  a = (a & 0x33) + ((a >> 2) & 0x33);
  return (a + (a >> 4)) & 0x0f;
}

function rbit8(a: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((a >> i) & 1) << (7 - i);
  return r;
}

const miscU0: Record<number, UnOp> = {
  0b00011: {
    mn: "suqadd", sizes: BHSD, scalarSizes: BHSD, signed: false,
    make: (e) => (a, _b, c) => satS(sx(c, e) + a, e),
    make64: () => (a, _b, c) => satS64(BigInt.asIntN(64, c) + a),
  },
  0b00100: {
    mn: "cls", sizes: BHS, signed: true,
    make: (e) => (a) => clz(a < 0 ? ~a & (P2(e) - 1) : a, e) - 1,
  },
  0b00101: { mn: "cnt", sizes: B, signed: false, make: () => popcount8 },
  0b00111: {
    mn: "sqabs", sizes: BHSD, scalarSizes: BHSD, signed: true,
    make: (e) => (a) => satS(Math.abs(a), e), make64: () => (a) => satS64(a < 0n ? -a : a),
  },
  0b01000: { mn: "cmgt", sizes: BHSD, scalarSizes: D, signed: true, zeroSuffix: true, make: () => (a) => a > 0 ? -1 : 0, make64: () => (a) => a > 0n ? -1n : 0n },
  0b01001: { mn: "cmeq", sizes: BHSD, scalarSizes: D, signed: true, zeroSuffix: true, make: () => (a) => a === 0 ? -1 : 0, make64: () => (a) => a === 0n ? -1n : 0n },
  0b01010: { mn: "cmlt", sizes: BHSD, scalarSizes: D, signed: true, zeroSuffix: true, make: () => (a) => a < 0 ? -1 : 0, make64: () => (a) => a < 0n ? -1n : 0n },
  0b01011: { mn: "abs", sizes: BHSD, scalarSizes: D, signed: true, make: () => (a) => Math.abs(a), make64: () => (a) => a < 0n ? -a : a },
};

const miscU1: Record<number, UnOp> = {
  0b00011: {
    mn: "usqadd", sizes: BHSD, scalarSizes: BHSD, signed: true,
    make: (e) => (a, _b, c) => satU((e === 32 ? c >>> 0 : c & (P2(e) - 1)) + a, e),
    make64: () => (a, _b, c) => satU64(BigInt.asUintN(64, c) + a),
  },
  0b00100: { mn: "clz", sizes: BHS, signed: false, make: (e) => (a) => clz(a, e) },
  0b00111: {
    mn: "sqneg", sizes: BHSD, scalarSizes: BHSD, signed: true,
    make: (e) => (a) => satS(-a, e), make64: () => (a) => satS64(-a),
  },
  0b01000: { mn: "cmge", sizes: BHSD, scalarSizes: D, signed: true, zeroSuffix: true, make: () => (a) => a >= 0 ? -1 : 0, make64: () => (a) => a >= 0n ? -1n : 0n },
  0b01001: { mn: "cmle", sizes: BHSD, scalarSizes: D, signed: true, zeroSuffix: true, make: () => (a) => a <= 0 ? -1 : 0, make64: () => (a) => a <= 0n ? -1n : 0n },
  0b01011: { mn: "neg", sizes: BHSD, scalarSizes: D, signed: true, make: () => (a) => -a, make64: () => (a) => -a },
};

const ZERO_CMP: Record<string, number> = { cmgt: Cmp.GtZ, cmeq: Cmp.EqZ, cmlt: Cmp.LtZ, cmge: Cmp.GeZ, cmle: Cmp.LeZ };

function unaryDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [u, table] of [[0, miscU0], [1, miscU1]] as const) {
    for (const [opc, op] of Object.entries(table)) {
      const bits = Number(opc).toString(2).padStart(5, "0");
      const zs = op.zeroSuffix ? ", #0" : "";
      const prep = (d: Decoded, scalar: boolean) => {
        const e = 8 << d.size;
        d.esize = e; d.sgn = op.signed; d.rm = d.rn;
        d.lanes = scalar ? 1 : (d.Q ? 128 : 64) / e;
        d.clear = scalar ? e / 8 : d.Q ? 16 : 8;
        if (e === 64) d.f64 = op.make64!(); else d.f = op.make(e);
        if (e <= 32 && !scalar) {
          const cmp = ZERO_CMP[op.mn];
          if (cmp !== undefined) { d.cmp = cmp; d.exec = execCmpVec; }
          if (op.mn === "cnt") d.exec = execCnt;
        }
      };
      defs.push({
        name: `${op.mn.toUpperCase()}_misc`,
        pattern: `0 Q:1 ${u} 01110 size:2 10000 ${bits} 10 rn:5 rd:5`,
        guard: (d) => sizeOk(op.sizes, d.size, d.Q, true),
        prepare: (d) => prep(d, false),
        exec: execLanes,
        disasm: (d) => `${op.mn}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}${zs}`,
      });
      if (op.scalarSizes) {
        const ss = op.scalarSizes;
        defs.push({
          name: `${op.mn.toUpperCase()}_misc_scalar`,
          pattern: `01 ${u} 11110 size:2 10000 ${bits} 10 rn:5 rd:5`,
          guard: (d) => (ss & (1 << d.size)) !== 0,
          prepare: (d) => { d.Q = 1; prep(d, true); },
          exec: execLanes,
          disasm: (d) => `${op.mn}\t${sr(d.rd, d.size)}, ${sr(d.rn, d.size)}${zs}`,
        });
      }
    }
  }
  return defs;
}

/** NOT (MVN) and RBIT: U=1 opcode 00101, size 00 / 01. */
const notRbitDefs: InsnDef[] = [
  {
    name: "NOT_vec", pattern: "0 Q:1 1 01110 00 10000 00101 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
      v[o] = ~v[n]; v[o + 1] = ~v[n + 1];
      if (d.Q) { v[o + 2] = ~v[n + 2]; v[o + 3] = ~v[n + 3]; } else { v[o + 2] = 0; v[o + 3] = 0; }
    },
    disasm: (d) => `mvn\t${vr(d.rd, 0, d.Q)}, ${vr(d.rn, 0, d.Q)}`,
  },
  {
    name: "RBIT_vec", pattern: "0 Q:1 1 01110 01 10000 00101 10 rn:5 rd:5",
    exec: (cpu, d) => {
      if (!cpu.fpEnabled) cpu.fpTrap();
      const v = cpu.v8, n = d.rn * 16, o = d.rd * 16, L = d.Q ? 16 : 8;
      for (let i = 0; i < L; i++) v[o + i] = rbit8(v[n + i]);
      clearAbove(cpu, d.rd, L);
    },
    disasm: (d) => `rbit\t${vr(d.rd, 0, d.Q)}, ${vr(d.rn, 0, d.Q)}`,
  },
];

// ---- REV16/REV32/REV64: byte permutations

const revTmp = new Uint8Array(16);

function execRev(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v8, n = d.rn * 16, o = d.rd * 16, L = d.Q ? 16 : 8, x = d.xorMask;
  for (let i = 0; i < L; i++) revTmp[i] = v[n + i];
  for (let i = 0; i < L; i++) v[o + i] = revTmp[i ^ x];
  if (!d.Q) clearAbove(cpu, d.rd, 8);
}

/**
 * REV<c> reverses elements of 2^size bytes within containers of c bytes: byte j of the result
 * comes from byte j XOR (c - 2^size) (ARM ARM C7.2.* REV16/REV32/REV64).
 */
function revDef(name: string, u: number, opcode: string, container: number): InsnDef {
  return {
    name: `${name.toUpperCase()}_vec`,
    pattern: `0 Q:1 ${u} 01110 size:2 10000 ${opcode} 10 rn:5 rd:5`,
    guard: (d) => (1 << d.size) < container,
    prepare: (d) => { d.xorMask = container - (1 << d.size); },
    exec: execRev,
    disasm: (d) => `${name}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}`,
  };
}

// ---- pairwise long add (SADDLP/UADDLP/SADALP/UADALP)

function execAddlp(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, we = e * 2, L = (d.Q ? 128 : 64) / we, sgn = d.sgn;
  if (we === 64) {
    for (let i = 0; i < L; i++) {
      let r = BigInt(getLane(cpu, d.rn, 2 * i, 32, sgn) + getLane(cpu, d.rn, 2 * i + 1, 32, sgn));
      if (d.acc) r += getLane64(cpu, d.rd, i, false);
      setLane64(cpu, d.rd, i, r);
    }
  } else {
    for (let i = 0; i < L; i++) {
      let r = getLane(cpu, d.rn, 2 * i, e, sgn) + getLane(cpu, d.rn, 2 * i + 1, e, sgn);
      if (d.acc) r += getLane(cpu, d.rd, i, we, false);
      setLane(cpu, d.rd, i, we, r);
    }
  }
  if (!d.Q) clearAbove(cpu, d.rd, 8);
}

function addlpDef(mn: string, u: number, opcode: string, acc: boolean): InsnDef {
  return {
    name: `${mn.toUpperCase()}`,
    pattern: `0 Q:1 ${u} 01110 size:2 10000 ${opcode} 10 rn:5 rd:5`,
    guard: (d) => d.size !== 3,
    prepare: (d) => { d.esize = 8 << d.size; d.sgn = u === 0; d.acc = acc; },
    exec: execAddlp,
    disasm: (d) => `${mn}\t${vr(d.rd, d.size + 1, d.Q)}, ${vr(d.rn, d.size, d.Q)}`,
  };
}

// ---- narrowing: XTN, SQXTN, UQXTN, SQXTUN (vector and scalar)

const narrowTmp = new Float64Array(8);

/** Kind: 0 XTN (modular), 1 SQXTN (signed->signed), 2 UQXTN, 3 SQXTUN (signed->unsigned). */
function narrowLane(a: number, e: number, kind: number): number {
  switch (kind) {
    case 0: return a;
    case 1: return satS(a, e);
    case 2: return satU(a, e);
    default: return satU(a, e);
  }
}

function narrowLane64(a: bigint, kind: number): number {
  switch (kind) {
    case 0: return Number(BigInt.asIntN(32, a));
    case 1: return Number(a > 0x7fffffffn ? (sat.q = 1, 0x7fffffffn) : a < -0x80000000n ? (sat.q = 1, -0x80000000n) : a);
    default: return Number(a > 0xffffffffn ? (sat.q = 1, 0xffffffffn) : a < 0n ? (sat.q = 1, 0n) : a);
  }
}

function execNarrow(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, we = e * 2, kind = d.kind, sgn = kind === 1 || kind === 3;
  const L = d.scalar ? 1 : 64 / e, base = d.Q && !d.scalar ? L : 0;
  if (we === 64) {
    for (let i = 0; i < L; i++) narrowTmp[i] = narrowLane64(getLane64(cpu, d.rn, i, sgn), kind);
  } else {
    for (let i = 0; i < L; i++) narrowTmp[i] = narrowLane(getLane(cpu, d.rn, i, we, sgn), e, kind);
  }
  for (let i = 0; i < L; i++) setLane(cpu, d.rd, base + i, e, narrowTmp[i]);
  if (d.scalar) clearAbove(cpu, d.rd, e / 8);
  else if (!d.Q) clearAbove(cpu, d.rd, 8);
  if (sat.q) commitQc(cpu);
}

function narrowDefs(mn: string, u: number, opcode: string, kind: number, scalar: boolean): InsnDef[] {
  const defs: InsnDef[] = [{
    name: `${mn.toUpperCase()}`,
    pattern: `0 Q:1 ${u} 01110 size:2 10000 ${opcode} 10 rn:5 rd:5`,
    guard: (d) => d.size !== 3,
    prepare: (d) => { d.esize = 8 << d.size; d.kind = kind; d.scalar = false; },
    exec: execNarrow,
    disasm: (d) => `${mn}${d.Q ? "2" : ""}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size + 1, 1)}`,
  }];
  if (scalar) defs.push({
    name: `${mn.toUpperCase()}_scalar`,
    pattern: `01 ${u} 11110 size:2 10000 ${opcode} 10 rn:5 rd:5`,
    guard: (d) => d.size !== 3,
    prepare: (d) => { d.esize = 8 << d.size; d.kind = kind; d.scalar = true; },
    exec: execNarrow,
    disasm: (d) => `${mn}\t${sr(d.rd, d.size)}, ${sr(d.rn, d.size + 1)}`,
  });
  return defs;
}

// ---- SHLL: widen and shift left by the element size

const shllDef: InsnDef = {
  name: "SHLL", pattern: "0 Q:1 1 01110 size:2 10000 10011 10 rn:5 rd:5",
  guard: (d) => d.size !== 3,
  exec: (cpu, d) => {
    if (!cpu.fpEnabled) cpu.fpTrap();
    const e = 8 << d.size, L = 64 / e, base = d.Q ? L : 0;
    for (let i = 0; i < L; i++) narrowTmp[i] = getLane(cpu, d.rn, base + i, e, false);
    if (e === 32) for (let i = 0; i < L; i++) { cpu.v32[d.rd * 4 + 2 * i] = 0; cpu.v32[d.rd * 4 + 2 * i + 1] = narrowTmp[i]; }
    else for (let i = 0; i < L; i++) setLane(cpu, d.rd, i, 2 * e, narrowTmp[i] * P2(e));
  },
  disasm: (d) => `shll${d.Q ? "2" : ""}\t${vr(d.rd, d.size + 1, 1)}, ${vr(d.rn, d.size, d.Q)}, #${8 << d.size}`,
};

// -------------------------------------------------------------- across lanes

/** ADDV, SADDLV/UADDLV, SMAXV/UMAXV, SMINV/UMINV (ARM ARM C7.2.*). kind: 0 add, 1 addl, 2 max, 3 min. */
function execAcross(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, L = (d.Q ? 128 : 64) / e, sgn = d.sgn, kind = d.kind;
  let r = getLane(cpu, d.rn, 0, e, sgn);
  for (let i = 1; i < L; i++) {
    const a = getLane(cpu, d.rn, i, e, sgn);
    if (kind <= 1) r += a;
    else if (kind === 2) { if (a > r) r = a; } else if (a < r) r = a;
  }
  const o = d.rd * 4;
  cpu.v32[o] = 0; cpu.v32[o + 1] = 0; cpu.v32[o + 2] = 0; cpu.v32[o + 3] = 0;
  if (kind === 1 && e === 32) setLane64Num(cpu, d.rd, 0, r);
  else setLane(cpu, d.rd, 0, kind === 1 ? e * 2 : e, r);
}

function acrossDef(mn: string, u: number, opcode: string, kind: number): InsnDef {
  return {
    name: `${mn.toUpperCase()}`,
    pattern: `0 Q:1 ${u} 01110 size:2 11000 ${opcode} 10 rn:5 rd:5`,
    guard: (d) => d.size < 2 || (d.size === 2 && d.Q === 1),
    prepare: (d) => { d.esize = 8 << d.size; d.sgn = u === 0; d.kind = kind; },
    exec: execAcross,
    disasm: (d) => `${mn}\t${sr(d.rd, kind === 1 ? d.size + 1 : d.size)}, ${vr(d.rn, d.size, d.Q)}`,
  };
}

export const simdIntGroup: InsnDef[] = [
  ...sameDefs(),
  ...pairDefs(),
  logicDef,
  ...diffDefs(),
  ...unaryDefs(),
  ...notRbitDefs,
  revDef("rev64", 0, "00000", 8),
  revDef("rev16", 0, "00001", 2),
  revDef("rev32", 1, "00000", 4),
  addlpDef("saddlp", 0, "00010", false),
  addlpDef("uaddlp", 1, "00010", false),
  addlpDef("sadalp", 0, "00110", true),
  addlpDef("uadalp", 1, "00110", true),
  ...narrowDefs("xtn", 0, "10010", 0, false),
  ...narrowDefs("sqxtn", 0, "10100", 1, true),
  ...narrowDefs("uqxtn", 1, "10100", 2, true),
  ...narrowDefs("sqxtun", 1, "10010", 3, true),
  shllDef,
  acrossDef("addv", 0, "11011", 0),
  acrossDef("saddlv", 0, "00011", 1),
  acrossDef("uaddlv", 1, "00011", 1),
  acrossDef("smaxv", 0, "01010", 2),
  acrossDef("umaxv", 1, "01010", 2),
  acrossDef("sminv", 0, "11010", 3),
  acrossDef("uminv", 1, "11010", 3),
];

