/**
 * Advanced SIMD shift by immediate (vector and scalar) and the integer vector-by-element forms
 * (ARM ARM C4.1.6 "Advanced SIMD shift by immediate", "Advanced SIMD (scalar) x indexed
 * element"; instruction pages C7.2.*).
 *
 * Shift amounts are decoded from immh:immb at decode time: the element size is 8 << the highest
 * set bit of immh; right shifts are 2*esize - immh:immb (1..esize), left shifts immh:immb - esize.
 */
import type { Cpu } from "../cpu.js";
import type { Decoded, InsnDef } from "./table.js";
import {
  clearAbove, commitQc, getLane, getLane64, sat, satS, satS64, satU, satU64, setLane, setLane64,
  sr, vr, vel, P2,
} from "./simd-common.js";
import { MULL_ACC, sqdmulh, type LaneFn, type LaneFn64 } from "./simd-int.js";
import { execElemFast, execMull2d, execMullElem16, execShiftFast, execShllFast, execShrn, LaneOp, ShiftKind } from "./simd-fast.js";


/** Element size log2 (0..3) from immh, or -1 when immh is zero. */
function immhSize(immh: number): number {
  return immh >= 8 ? 3 : immh >= 4 ? 2 : immh >= 2 ? 1 : immh === 1 ? 0 : -1;
}

type Kind = "R" | "L" | "N" | "W";

interface ShiftOp {
  mn: [string | undefined, string | undefined];
  kind: Kind;
  /** Lane function given element size e, shift amount and U (e <= 32). */
  make: (e: number, sh: number, u: boolean) => LaneFn;
  make64: (sh: number, u: boolean) => LaneFn64;
  /** Scalar form: "d" (64-bit only), "all", or undefined (none). */
  scalar?: "d" | "all";
  /** Source lanes are read signed (per U when undefined: U=0 signed). */
  signedSrc?: (u: boolean) => boolean;
}

const sr64 = (a: bigint, s: number) => a >> BigInt(s);
const rnd64 = (a: bigint, s: number) => (a + (1n << BigInt(s - 1))) >> BigInt(s);

const shiftOps: Record<number, ShiftOp> = {
  0b00000: {
    mn: ["sshr", "ushr"], kind: "R", scalar: "d",
    make: (_e, s) => { const k = P2(s); return (a) => Math.floor(a / k); }, make64: (s) => (a) => sr64(a, s),
  },
  0b00010: {
    mn: ["ssra", "usra"], kind: "R", scalar: "d",
    make: (_e, s) => { const k = P2(s); return (a, _b, c) => c + Math.floor(a / k); }, make64: (s) => (a, _b, c) => c + sr64(a, s),
  },
  0b00100: {
    mn: ["srshr", "urshr"], kind: "R", scalar: "d",
    make: (_e, s) => { const h = P2(s - 1), k = P2(s); return (a) => Math.floor((a + h) / k); }, make64: (s) => (a) => rnd64(a, s),
  },
  0b00110: {
    mn: ["srsra", "ursra"], kind: "R", scalar: "d",
    make: (_e, s) => { const h = P2(s - 1), k = P2(s); return (a, _b, c) => c + Math.floor((a + h) / k); }, make64: (s) => (a, _b, c) => c + rnd64(a, s),
  },
  // SRI: shift right and insert, keeping the top `s` bits of the destination.
  0b01000: {
    mn: [undefined, "sri"], kind: "R", scalar: "d", signedSrc: () => false,
    make: (e, s) => { const m = P2(e - s), k = P2(s); return (a, _b, c) => Math.floor(c / m) * m + Math.floor(a / k); },
    make64: (s) => (a, _b, c) => s === 64 ? c : ((c >> BigInt(64 - s)) << BigInt(64 - s)) | (a >> BigInt(s)),
  },
  // SHL / SLI: shift left (and insert, keeping the low `sh` bits of the destination).
  0b01010: {
    mn: ["shl", "sli"], kind: "L", scalar: "d", signedSrc: () => false,
    make: (_e, sh, u) => { const k = P2(sh); return u ? (a, _b, c) => (c & ((1 << sh) - 1)) | (a << sh) : (a) => a * k; },
    make64: (sh, u) => u ? (a, _b, c) => (c & ((1n << BigInt(sh)) - 1n)) | (a << BigInt(sh)) : (a) => a << BigInt(sh),
  },
  0b01100: {
    mn: [undefined, "sqshlu"], kind: "L", scalar: "all", signedSrc: () => true,
    make: (e, sh) => { const k = P2(sh); return (a) => satU(a * k, e); }, make64: (sh) => (a) => satU64(a << BigInt(sh)),
  },
  0b01110: {
    mn: ["sqshl", "uqshl"], kind: "L", scalar: "all",
    make: (e, sh, u) => { const k = P2(sh); return u ? (a) => satU(a * k, e) : (a) => satS(a * k, e); },
    make64: (sh, u) => u ? (a) => satU64(a << BigInt(sh)) : (a) => satS64(a << BigInt(sh)),
  },
};

/** Narrowing right shifts: [mnemonic U=0, U=1], rounding, saturation kind per U. */
interface NarrowOp { mn: [string, string]; round: boolean; satKind: [number, number]; scalar: [boolean, boolean] }
// satKind: 0 none (modular), 1 signed->signed, 2 unsigned->unsigned, 3 signed->unsigned.
const narrowOps: Record<number, NarrowOp> = {
  0b10000: { mn: ["shrn", "sqshrun"], round: false, satKind: [0, 3], scalar: [false, true] },
  0b10001: { mn: ["rshrn", "sqrshrun"], round: true, satKind: [0, 3], scalar: [false, true] },
  0b10010: { mn: ["sqshrn", "uqshrn"], round: false, satKind: [1, 2], scalar: [true, true] },
  0b10011: { mn: ["sqrshrn", "uqrshrn"], round: true, satKind: [1, 2], scalar: [true, true] },
};

/** Element-wise shift exec: Vd[i] = f(Vn[i], 0, Vd[i]) over d.lanes lanes of d.esize bits. */
function execShift(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const L = d.lanes, e = d.esize, sgn = d.sgn;
  if (e === 64) {
    const f64 = d.f64 as LaneFn64;
    for (let i = 0; i < L; i++) setLane64(cpu, d.rd, i, f64(getLane64(cpu, d.rn, i, sgn), 0n, getLane64(cpu, d.rd, i, false)));
  } else {
    const f = d.f as LaneFn;
    switch (e) {
      case 8: {
        const v = cpu.v8, n = d.rn * 16, o = d.rd * 16;
        if (sgn) for (let i = 0; i < L; i++) v[o + i] = f((v[n + i] << 24) >> 24, 0, v[o + i]);
        else for (let i = 0; i < L; i++) v[o + i] = f(v[n + i], 0, v[o + i]);
        break;
      }
      case 16: {
        const v = cpu.v16, n = d.rn * 8, o = d.rd * 8;
        if (sgn) for (let i = 0; i < L; i++) v[o + i] = f((v[n + i] << 16) >> 16, 0, v[o + i]);
        else for (let i = 0; i < L; i++) v[o + i] = f(v[n + i], 0, v[o + i]);
        break;
      }
      default: {
        const v = cpu.v32, n = d.rn * 4, o = d.rd * 4;
        if (sgn) for (let i = 0; i < L; i++) v[o + i] = f(v[n + i], 0, v[o + i] >>> 0);
        else for (let i = 0; i < L; i++) v[o + i] = f(v[n + i] >>> 0, 0, v[o + i] >>> 0);
      }
    }
  }
  clearAbove(cpu, d.rd, d.clear);
  if (sat.q) commitQc(cpu);
}

/** 64-bit lane shifts without BigInt for the common SHL/SSHR/USHR (vector .2d and scalar d). */
function execShift64Fast(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32, s = d.shift, kind = d.fast;
  for (let i = 0; i < d.lanes; i++) {
    const n = d.rn * 4 + i * 2, o = d.rd * 4 + i * 2;
    const lo = v[n], hi = v[n + 1];
    let rl: number, rh: number;
    if (kind === 0) { // SHL by 0..63
      if (s === 0) { rl = lo; rh = hi; } else if (s < 32) { rl = lo << s; rh = (hi << s) | (lo >>> (32 - s)); } else { rl = 0; rh = lo << (s - 32); }
    } else if (kind === 1) { // USHR by 1..64
      if (s < 32) { rl = (lo >>> s) | (hi << (32 - s)); rh = hi >>> s; } else if (s < 64) { rl = hi >>> (s - 32); rh = 0; } else { rl = 0; rh = 0; }
    } else { // SSHR by 1..64
      if (s < 32) { rl = (lo >>> s) | (hi << (32 - s)); rh = hi >> s; } else { rl = hi >> Math.min(s - 32, 31); rh = hi >> 31; }
    }
    v[o] = rl; v[o + 1] = rh;
  }
  clearAbove(cpu, d.rd, d.clear);
}

function prepShift(d: Decoded, op: ShiftOp, u: number, scalar: boolean): void {
  const size = immhSize(d.immh), e = 8 << size, imm = (d.immh << 3) | d.immb;
  d.size = size;
  d.esize = e;
  d.shift = op.kind === "L" ? imm - e : 2 * e - imm;
  d.sgn = op.signedSrc ? op.signedSrc(u === 1) : u === 0;
  d.lanes = scalar ? 1 : (d.Q ? 128 : 64) / e;
  d.clear = scalar ? e / 8 : d.Q ? 16 : 8;
  if (e === 64) d.f64 = op.make64(d.shift, u === 1);
  else d.f = op.make(e, d.shift, u === 1);
  if (e === 64) {
    const mn = op.mn[u];
    d.fast = mn === "shl" ? 0 : mn === "ushr" ? 1 : mn === "sshr" ? 2 : -1;
    if (d.fast >= 0) d.exec = execShift64Fast;
  } else if (!scalar) {
    const sop = SHIFT_FAST[op.mn[u]!];
    if (sop !== undefined) { d.sop = sop; d.sk = P2(d.shift); d.sh = P2(d.shift - 1); d.exec = execShiftFast; }
  }
}

/** Vector shifts by immediate with a direct-loop exec (simd-fast.ts), by mnemonic. */
const SHIFT_FAST: Record<string, ShiftKind> = {
  sshr: ShiftKind.Shr, ushr: ShiftKind.Shr, ssra: ShiftKind.Sra, usra: ShiftKind.Sra, srshr: ShiftKind.Rshr,
  urshr: ShiftKind.Rshr, srsra: ShiftKind.Rsra, ursra: ShiftKind.Rsra, shl: ShiftKind.Shl,
};

function shiftDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [opc, op] of Object.entries(shiftOps)) {
    const bits = Number(opc).toString(2).padStart(5, "0");
    for (const u of [0, 1]) {
      const mn = op.mn[u];
      if (!mn) continue;
      defs.push({
        name: `${mn.toUpperCase()}_imm`,
        pattern: `0 Q:1 ${u} 011110 immh:4 immb:3 ${bits} 1 rn:5 rd:5`,
        guard: (d) => d.immh !== 0 && !(d.immh >= 8 && d.Q === 0),
        prepare: (d) => prepShift(d, op, u, false),
        exec: execShift,
        disasm: (d) => `${mn}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}, #${d.shift}`,
      });
      if (op.scalar) {
        const onlyD = op.scalar === "d";
        defs.push({
          name: `${mn.toUpperCase()}_imm_scalar`,
          pattern: `01 ${u} 111110 immh:4 immb:3 ${bits} 1 rn:5 rd:5`,
          guard: (d) => onlyD ? d.immh >= 8 : d.immh !== 0,
          prepare: (d) => { d.Q = 1; prepShift(d, op, u, true); },
          exec: execShift,
          disasm: (d) => `${mn}\t${sr(d.rd, d.size)}, ${sr(d.rn, d.size)}, #${d.shift}`,
        });
      }
    }
  }
  return defs;
}

// ---- narrowing shifts

const nTmp = new Float64Array(8);

function narrowSat(v: number, e: number, kind: number): number {
  switch (kind) {
    case 0: return v;
    case 1: return satS(v, e);
    default: return satU(v, e);
  }
}

function narrowSat64(v: bigint, kind: number): number {
  switch (kind) {
    case 0: return Number(BigInt.asIntN(32, v));
    case 1: if (v > 0x7fffffffn) { sat.q = 1; return 0x7fffffff; } if (v < -0x80000000n) { sat.q = 1; return -0x80000000; } return Number(v);
    default: if (v > 0xffffffffn) { sat.q = 1; return 0xffffffff; } if (v < 0n) { sat.q = 1; return 0; } return Number(v);
  }
}

function execShiftNarrow(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, we = 2 * e, s = d.shift, kind = d.kind, round = d.round;
  const sgn = kind === 1 || kind === 3;
  const L = d.scalar ? 1 : 64 / e, base = d.Q && !d.scalar ? L : 0;
  if (we === 64) {
    const bs = BigInt(s), r = round ? 1n << BigInt(s - 1) : 0n;
    for (let i = 0; i < L; i++) nTmp[i] = narrowSat64((getLane64(cpu, d.rn, i, sgn) + r) >> bs, kind);
  } else {
    const r = round ? P2(s - 1) : 0, div = P2(s);
    for (let i = 0; i < L; i++) nTmp[i] = narrowSat(Math.floor((getLane(cpu, d.rn, i, we, sgn) + r) / div), e, kind);
  }
  for (let i = 0; i < L; i++) setLane(cpu, d.rd, base + i, e, nTmp[i]);
  if (d.scalar) clearAbove(cpu, d.rd, e / 8);
  else if (!d.Q) clearAbove(cpu, d.rd, 8);
  if (sat.q) commitQc(cpu);
}

function narrowShiftDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [opc, op] of Object.entries(narrowOps)) {
    const bits = Number(opc).toString(2).padStart(5, "0");
    for (const u of [0, 1]) {
      const mn = op.mn[u];
      const prep = (d: Decoded, scalar: boolean) => {
        const size = immhSize(d.immh), e = 8 << size;
        d.size = size; d.esize = e; d.shift = 2 * e - ((d.immh << 3) | d.immb);
        d.kind = op.satKind[u]; d.round = op.round; d.scalar = scalar;
        if (d.kind === 0 && !scalar && e <= 16) d.exec = execShrn;
      };
      defs.push({
        name: `${mn.toUpperCase()}_imm`,
        pattern: `0 Q:1 ${u} 011110 immh:4 immb:3 ${bits} 1 rn:5 rd:5`,
        guard: (d) => d.immh !== 0 && d.immh < 8,
        prepare: (d) => prep(d, false),
        exec: execShiftNarrow,
        disasm: (d) => `${mn}${d.Q ? "2" : ""}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size + 1, 1)}, #${d.shift}`,
      });
      if (op.scalar[u]) defs.push({
        name: `${mn.toUpperCase()}_imm_scalar`,
        pattern: `01 ${u} 111110 immh:4 immb:3 ${bits} 1 rn:5 rd:5`,
        guard: (d) => d.immh !== 0 && d.immh < 8,
        prepare: (d) => prep(d, true),
        exec: execShiftNarrow,
        disasm: (d) => `${mn}\t${sr(d.rd, d.size)}, ${sr(d.rn, d.size + 1)}, #${d.shift}`,
      });
    }
  }
  return defs;
}

// ---- SSHLL/USHLL (SXTL/UXTL when the shift is zero)

function execShll(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, L = 64 / e, base = d.Q ? L : 0, sgn = d.sgn, mul = P2(d.shift);
  if (e === 8) {
    // Common SXTL/UXTL of bytes: direct loops (sources read before the wider writes).
    const b = cpu.v8, h = cpu.v16, n = d.rn * 16 + base, o = d.rd * 8, sh = d.shift;
    for (let i = 0; i < 8; i++) nTmp[i] = sgn ? (b[n + i] << 24) >> 24 : b[n + i];
    for (let i = 0; i < 8; i++) h[o + i] = nTmp[i] << sh;
    return;
  }
  for (let i = 0; i < L; i++) nTmp[i] = getLane(cpu, d.rn, base + i, e, sgn) * mul;
  if (e === 32) {
    const v = cpu.v32, o = d.rd * 4;
    for (let i = 0; i < 2; i++) { const x = nTmp[i]; v[o + 2 * i] = x; v[o + 2 * i + 1] = Math.floor(x / 4294967296); }
  } else {
    for (let i = 0; i < L; i++) setLane(cpu, d.rd, i, 2 * e, nTmp[i]);
  }
}

function shllDefs(): InsnDef[] {
  return [0, 1].map((u): InsnDef => ({
    name: u ? "USHLL" : "SSHLL",
    pattern: `0 Q:1 ${u} 011110 immh:4 immb:3 10100 1 rn:5 rd:5`,
    guard: (d) => d.immh !== 0 && d.immh < 8,
    prepare: (d) => {
      const size = immhSize(d.immh), e = 8 << size;
      d.size = size; d.esize = e; d.shift = ((d.immh << 3) | d.immb) - e; d.sgn = u === 0;
      if (e > 8) d.exec = execShllFast;
    },
    exec: execShll,
    disasm: (d) => {
      const q2 = d.Q ? "2" : "";
      const base = `${vr(d.rd, d.size + 1, 1)}, ${vr(d.rn, d.size, d.Q)}`;
      if (d.shift === 0) return `${u ? "uxtl" : "sxtl"}${q2}\t${base}`;
      return `${u ? "ushll" : "sshll"}${q2}\t${base}, #${d.shift}`;
    },
  }));
}

// -------------------------------------------------------------- integer by element

/**
 * Element index and Vm for the by-element forms (ARM ARM C7.2.* "MUL (by element)"): for 16-bit
 * elements index = H:L:M and Vm is restricted to V0-V15; for 32-bit index = H:L, Vm = M:Rm.
 */
function elemIndex(d: Decoded): void {
  if (d.size === 1) { d.index = (d.H << 2) | (d.L << 1) | d.M; d.rmx = d.rm; }
  else { d.index = (d.H << 1) | d.L; d.rmx = (d.M << 4) | d.rm; }
}

interface ElemOp { mn: string; u: number; opcode: string; long: boolean; make: (e: number, u: boolean) => LaneFn; make64?: () => LaneFn64; scalar?: boolean }

const elemOps: ElemOp[] = [
  { mn: "mul", u: 0, opcode: "1000", long: false, make: () => Math.imul },
  { mn: "mla", u: 1, opcode: "0000", long: false, make: () => (a, b, c) => c + Math.imul(a, b) },
  { mn: "mls", u: 1, opcode: "0100", long: false, make: () => (a, b, c) => c - Math.imul(a, b) },
  { mn: "sqdmulh", u: 0, opcode: "1100", long: false, scalar: true, make: (e) => (a, b) => sqdmulh(a, b, e, false) },
  { mn: "sqrdmulh", u: 0, opcode: "1101", long: false, scalar: true, make: (e) => (a, b) => sqdmulh(a, b, e, true) },
  { mn: "smull", u: 0, opcode: "1010", long: true, make: () => (a, b) => a * b, make64: () => (a, b) => a * b },
  { mn: "umull", u: 1, opcode: "1010", long: true, make: () => (a, b) => a * b, make64: () => (a, b) => a * b },
  { mn: "smlal", u: 0, opcode: "0010", long: true, make: () => (a, b, c) => c + a * b, make64: () => (a, b, c) => c + a * b },
  { mn: "umlal", u: 1, opcode: "0010", long: true, make: () => (a, b, c) => c + a * b, make64: () => (a, b, c) => c + a * b },
  { mn: "smlsl", u: 0, opcode: "0110", long: true, make: () => (a, b, c) => c - a * b, make64: () => (a, b, c) => c - a * b },
  { mn: "umlsl", u: 1, opcode: "0110", long: true, make: () => (a, b, c) => c - a * b, make64: () => (a, b, c) => c - a * b },
  {
    mn: "sqdmull", u: 0, opcode: "1011", long: true, scalar: true,
    make: (e) => (a, b) => satS(2 * a * b, e), make64: () => (a, b) => satS64(2n * a * b),
  },
  {
    mn: "sqdmlal", u: 0, opcode: "0011", long: true, scalar: true,
    make: (e) => (a, b, c) => satS(c + satS(2 * a * b, e), e), make64: () => (a, b, c) => satS64(c + satS64(2n * a * b)),
  },
  {
    mn: "sqdmlsl", u: 0, opcode: "0111", long: true, scalar: true,
    make: (e) => (a, b, c) => satS(c - satS(2 * a * b, e), e), make64: () => (a, b, c) => satS64(c - satS64(2n * a * b)),
  },
];

const eTmpA = new Float64Array(16), eTmpC = new Float64Array(16);
const eBig: bigint[] = [0n, 0n];

function execElem(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const e = d.esize, sgn = d.sgn, b = getLane(cpu, d.rmx, d.index, e, sgn);
  if (!d.long) {
    const f = d.f as LaneFn, L = d.lanes;
    for (let i = 0; i < L; i++) eTmpA[i] = f(getLane(cpu, d.rn, i, e, sgn), b, getLane(cpu, d.rd, i, e, true));
    for (let i = 0; i < L; i++) setLane(cpu, d.rd, i, e, eTmpA[i]);
    clearAbove(cpu, d.rd, d.clear);
  } else {
    const L = d.scalar ? 1 : 64 / e, base = d.Q && !d.scalar ? L : 0, we = 2 * e;
    if (we === 64) {
      const f64 = d.f64 as LaneFn64, bb = BigInt(b);
      for (let i = 0; i < L; i++) eBig[i] = f64(BigInt(getLane(cpu, d.rn, base + i, e, sgn)), bb, getLane64(cpu, d.rd, i, true));
      for (let i = 0; i < L; i++) setLane64(cpu, d.rd, i, eBig[i]);
    } else {
      const f = d.f as LaneFn;
      for (let i = 0; i < L; i++) { eTmpA[i] = getLane(cpu, d.rn, base + i, e, sgn); eTmpC[i] = getLane(cpu, d.rd, i, we, true); }
      for (let i = 0; i < L; i++) setLane(cpu, d.rd, i, we, f(eTmpA[i], b, eTmpC[i]));
    }
    if (d.scalar) clearAbove(cpu, d.rd, we / 8);
  }
  if (sat.q) commitQc(cpu);
}

/** Non-widening by-element forms with a direct-loop exec (simd-fast.ts). */
const ELEM_OPS: Record<string, LaneOp> = { mul: LaneOp.Mul, mla: LaneOp.Mla, mls: LaneOp.Mls };

function elemDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const op of elemOps) {
    const prep = (d: Decoded, scalar: boolean) => {
      elemIndex(d);
      const e = 8 << d.size;
      d.esize = e; d.sgn = op.u === 0 || op.mn.startsWith("sq"); d.long = op.long; d.scalar = scalar;
      d.lanes = scalar ? 1 : (d.Q ? 128 : 64) / e;
      d.clear = scalar ? e / 8 : d.Q ? 16 : 8;
      if (op.long && e === 32) d.f64 = op.make64!();
      else d.f = op.make(op.long ? 2 * e : e, op.u === 1);
      const accSign = MULL_ACC[op.mn];
      if (op.long && e === 32 && !scalar && accSign !== undefined) { d.accSign = accSign; d.byElem = true; d.exec = execMull2d; }
      if (op.long && e === 16 && !scalar && accSign !== undefined) { d.accSign = accSign; d.exec = execMullElem16; }
      const lop = ELEM_OPS[op.mn];
      if (lop !== undefined && !scalar) { d.lop = lop; d.exec = execElemFast; }
    };
    defs.push({
      name: `${op.mn.toUpperCase()}_elem`,
      pattern: `0 Q:1 ${op.u} 01111 size:2 L:1 M:1 rm:4 ${op.opcode} H:1 0 rn:5 rd:5`,
      guard: (d) => d.size === 1 || d.size === 2,
      prepare: (d) => prep(d, false),
      exec: execElem,
      disasm: (d) => {
        const m = vel(d.rmx, d.size, d.index);
        if (op.long) return `${op.mn}${d.Q ? "2" : ""}\t${vr(d.rd, d.size + 1, 1)}, ${vr(d.rn, d.size, d.Q)}, ${m}`;
        return `${op.mn}\t${vr(d.rd, d.size, d.Q)}, ${vr(d.rn, d.size, d.Q)}, ${m}`;
      },
    });
    if (op.scalar) defs.push({
      name: `${op.mn.toUpperCase()}_elem_scalar`,
      pattern: `01 ${op.u} 11111 size:2 L:1 M:1 rm:4 ${op.opcode} H:1 0 rn:5 rd:5`,
      guard: (d) => d.size === 1 || d.size === 2,
      prepare: (d) => { d.Q = 1; prep(d, true); },
      exec: execElem,
      disasm: (d) => {
        const m = vel(d.rmx, d.size, d.index);
        return `${op.mn}\t${sr(d.rd, op.long ? d.size + 1 : d.size)}, ${sr(d.rn, d.size)}, ${m}`;
      },
    });
  }
  return defs;
}

export const simdShiftGroup: InsnDef[] = [
  ...shiftDefs(),
  ...narrowShiftDefs(),
  ...shllDefs(),
  ...elemDefs(),
];
