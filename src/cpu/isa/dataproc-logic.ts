/**
 * Logical operations (immediate and shifted register), move wide, PC-relative addressing,
 * bitfield moves and EXTR (ARM ARM C4.1 encoding index, "Data Processing -- Immediate" and "Data
 * Processing -- Register"; instruction pages in C6.2).
 *
 * Bitmask immediates and bitfield masks are decoded once by `prepare` (DecodeBitMasks) into
 * (lo, hi) words, so the exec functions are a rotate and a few ANDs/ORs.
 */
import { zr, zw } from "../cpu.js";
import { TWO32 } from "../u64.js";
import type { Decoded, ExecFn, InsnDef } from "./table.js";
import { xreg, xregSp } from "./util.js";
import {
  decodeBitMasks, hexPair, logic32Src, logic64Src, logicFlags32, logicFlags64, outHi, ror64, ror64Src, shift32, shift32Src, shift64,
  shift64Src, shiftName, wordsOf,
} from "./dataproc-common.js";

/** The JS operator of each logical opc: AND, ORR, EOR, ANDS. */
const LOGIC_OP = ["&", "|", "^", "&"];

// ---------------- Logical (immediate) ----------------

const andImm64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const lo = x[d.n] & d.ilo, hi = x[d.n + 1] & d.ihi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const orrImm64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const lo = x[d.n] | d.ilo, hi = x[d.n + 1] | d.ihi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const eorImm64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const lo = x[d.n] ^ d.ilo, hi = x[d.n + 1] ^ d.ihi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const andsImm64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const lo = x[d.n] & d.ilo, hi = x[d.n + 1] & d.ihi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
  logicFlags64(cpu, lo, hi);
};
const andImm32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.n] & d.ilo; x[d.dd + 1] = 0; };
const orrImm32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.n] | d.ilo; x[d.dd + 1] = 0; };
const eorImm32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.n] ^ d.ilo; x[d.dd + 1] = 0; };
const andsImm32: ExecFn = (cpu, d) => {
  const x = cpu.x, v = x[d.n] & d.ilo;
  x[d.dd] = v; x[d.dd + 1] = 0;
  logicFlags32(cpu, v);
};
const LOGIC_IMM_EXEC: ExecFn[] = [andImm32, orrImm32, eorImm32, andsImm32, andImm64, orrImm64, eorImm64, andsImm64];

/** True when a single MOVZ can produce `v`: at most one non-zero 16-bit aligned halfword. */
function isWideConstant(v: bigint, size: number): boolean {
  v &= (1n << BigInt(size)) - 1n;
  for (let shift = 0n; shift < BigInt(size); shift += 16n) {
    if ((v & ~(0xffffn << shift)) === 0n) return true;
  }
  return false;
}

/**
 * ORR (immediate) with the zero register as source is shown as MOV unless MOVZ or MOVN could
 * produce the same value (the ARM ARM's MoveWidePreferred() intent; objdump tests the value
 * itself, and always prefers MOV when the destination is SP).
 */
function orrImmIsMov(d: Decoded): boolean {
  if (d.rd === 31) return true;
  const size = d.sf ? 64 : 32;
  const v = (BigInt(d.ihi >>> 0) << 32n) | BigInt(d.ilo >>> 0);
  return !isWideConstant(v, size) && !isWideConstant(~v, size);
}

function disasmLogicImm(d: Decoded): string {
  const sf = d.sf, imm = "#" + hexPair(d.ilo, sf ? d.ihi : 0);
  if (d.opc === 3) {
    if (d.rd === 31) return `tst\t${xreg(d.rn, sf)}, ${imm}`;
    return `ands\t${xreg(d.rd, sf)}, ${xreg(d.rn, sf)}, ${imm}`;
  }
  if (d.opc === 1 && d.rn === 31 && orrImmIsMov(d))
    return `mov\t${xregSp(d.rd, sf)}, ${imm}`;
  return `${["and", "orr", "eor"][d.opc]}\t${xregSp(d.rd, sf)}, ${xreg(d.rn, sf)}, ${imm}`;
}

// ---------------- Logical (shifted register) ----------------
// The N bit inverts the shifted operand (BIC, ORN, EON, BICS): `inv` is 0 or -1.

const andReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, inv = d.inv;
  const blo = shift64(d.shift, x[m], x[m + 1], d.imm6) ^ inv, bhi = outHi ^ inv;
  const lo = x[d.n] & blo, hi = x[d.n + 1] & bhi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const orrReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, inv = d.inv;
  const blo = shift64(d.shift, x[m], x[m + 1], d.imm6) ^ inv, bhi = outHi ^ inv;
  const lo = x[d.n] | blo, hi = x[d.n + 1] | bhi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const eorReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, inv = d.inv;
  const blo = shift64(d.shift, x[m], x[m + 1], d.imm6) ^ inv, bhi = outHi ^ inv;
  const lo = x[d.n] ^ blo, hi = x[d.n + 1] ^ bhi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const andsReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, inv = d.inv;
  const blo = shift64(d.shift, x[m], x[m + 1], d.imm6) ^ inv, bhi = outHi ^ inv;
  const lo = x[d.n] & blo, hi = x[d.n + 1] & bhi;
  x[d.dd] = lo; x[d.dd + 1] = hi;
  logicFlags64(cpu, lo, hi);
};
/** MOV (register), i.e. ORR Xd, XZR, Xm: by far the most frequent form. */
const movReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m;
  x[d.dd] = x[m]; x[d.dd + 1] = x[m + 1];
};
const andReg32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = x[d.n] & (shift32(d.shift, x[d.m], d.imm6) ^ d.inv); x[d.dd + 1] = 0;
};
const orrReg32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = x[d.n] | (shift32(d.shift, x[d.m], d.imm6) ^ d.inv); x[d.dd + 1] = 0;
};
const eorReg32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = x[d.n] ^ (shift32(d.shift, x[d.m], d.imm6) ^ d.inv); x[d.dd + 1] = 0;
};
const andsReg32: ExecFn = (cpu, d) => {
  const x = cpu.x, v = x[d.n] & (shift32(d.shift, x[d.m], d.imm6) ^ d.inv);
  x[d.dd] = v; x[d.dd + 1] = 0;
  logicFlags32(cpu, v);
};
const movReg32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.m]; x[d.dd + 1] = 0; };
const LOGIC_REG_EXEC: ExecFn[] = [andReg32, orrReg32, eorReg32, andsReg32, andReg64, orrReg64, eorReg64, andsReg64];

const LOGIC_REG_NAMES = ["and", "bic", "orr", "orn", "eor", "eon", "ands", "bics"];

function disasmLogicReg(d: Decoded): string {
  const sf = d.sf;
  const shift = d.shift === 0 && d.imm6 === 0 ? "" : `, ${shiftName(d.shift)} #${d.imm6}`;
  const rm = xreg(d.rm, sf) + shift;
  const rd = xreg(d.rd, sf);
  if (d.opc === 1 && d.rn === 31) {
    if (d.N) return `mvn\t${rd}, ${rm}`;
    if (shift === "") return `mov\t${rd}, ${rm}`;
  }
  if (d.opc === 3 && d.N === 0 && d.rd === 31) return `tst\t${xreg(d.rn, sf)}, ${rm}`;
  return `${LOGIC_REG_NAMES[d.opc * 2 + d.N]}\t${rd}, ${xreg(d.rn, sf)}, ${rm}`;
}

// ---------------- Move wide ----------------

/** MOVZ and MOVN: the value is fully known at decode time. */
const movConst: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = d.vlo; x[d.dd + 1] = d.vhi;
};
const movk64: ExecFn = (cpu, d) => {
  const x = cpu.x, i = d.dd + d.word16;
  x[i] = (x[i] & d.keep) | d.ins;
};
const movk32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = (x[d.dd] & d.keep) | d.ins;
  x[d.dd + 1] = 0;
};

function disasmMoveWide(d: Decoded): string {
  const sf = d.sf, rd = xreg(d.rd, sf);
  const lsl = d.hw ? `, lsl #${d.hw * 16}` : "";
  const raw = `#0x${d.imm16.toString(16)}${lsl}`;
  if (d.opc === 3) return `movk\t${rd}, ${raw}`;
  // MOV (wide immediate) is preferred unless the encoding is a non-canonical zero shift, or (MOVN,
  // 32-bit) its value would also be a MOVZ of 0 (ARM ARM C6.2 MOV (inverted wide immediate)).
  const canonical = !(d.imm16 === 0 && d.hw !== 0) && !(d.opc === 0 && !sf && d.imm16 === 0xffff);
  if (canonical) return `mov\t${rd}, #${hexPair(d.vlo, d.vhi)}`;
  return `${d.opc === 0 ? "movn" : "movz"}\t${rd}, ${raw}`;
}

// ---------------- ADR / ADRP ----------------

const adr: ExecFn = (cpu, d) => {
  const base = d.op ? (cpu.pcLo & ~0xfff) >>> 0 : cpu.pcLo >>> 0;
  const s = base + d.off;
  const x = cpu.x;
  x[d.dd] = s;
  x[d.dd + 1] = (cpu.pcHi + Math.floor(s / TWO32)) | 0;
};

// ---------------- Bitfield moves ----------------
// ARM ARM C6.2 SBFM/BFM/UBFM: bot = (dst AND NOT wmask) OR (ROR(src, R) AND wmask);
// result = (top AND NOT tmask) OR (bot AND tmask), top = replicated src<S> (SBFM) or dst (BFM).

const ubfm64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n;
  const lo = ror64(x[n], x[n + 1], d.immr);
  x[d.dd] = lo & d.mlo; x[d.dd + 1] = outHi & d.mhi;
};
const sbfm64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n;
  const top = (x[n + d.sWord] << d.sShift) >> 31;
  const lo = ror64(x[n], x[n + 1], d.immr);
  x[d.dd] = (lo & d.mlo) | (top & d.ntlo);
  x[d.dd + 1] = (outHi & d.mhi) | (top & d.nthi);
};
const bfm64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, dd = d.dd;
  const lo = ror64(x[n], x[n + 1], d.immr), hi = outHi;
  const dlo = x[dd], dhi = x[dd + 1];
  const blo = (dlo & ~d.wlo) | (lo & d.wlo), bhi = (dhi & ~d.whi) | (hi & d.whi);
  x[dd] = (dlo & d.ntlo) | (blo & d.tlo);
  x[dd + 1] = (dhi & d.nthi) | (bhi & d.thi);
};
function ror32(v: number, r: number): number {
  return (v >>> r) | (v << (32 - r));
}
const ubfm32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = ror32(x[d.n], d.immr) & d.mlo; x[d.dd + 1] = 0;
};
const sbfm32: ExecFn = (cpu, d) => {
  const x = cpu.x, src = x[d.n];
  const top = (src << d.sShift) >> 31;
  x[d.dd] = (ror32(src, d.immr) & d.mlo) | (top & d.ntlo); x[d.dd + 1] = 0;
};
const bfm32: ExecFn = (cpu, d) => {
  const x = cpu.x, dst = x[d.dd];
  const bot = (dst & ~d.wlo) | (ror32(x[d.n], d.immr) & d.wlo);
  x[d.dd] = (dst & d.ntlo) | (bot & d.tlo); x[d.dd + 1] = 0;
};
const BITFIELD_EXEC: ExecFn[] = [sbfm32, bfm32, ubfm32, sbfm32, sbfm64, bfm64, ubfm64, sbfm64];

function disasmBitfield(d: Decoded): string {
  const sf = d.sf, size = sf ? 64 : 32, immr = d.immr, imms = d.imms;
  const rd = xreg(d.rd, sf), rn = xreg(d.rn, sf);
  if (d.opc === 0) {
    if (imms === size - 1) return `asr\t${rd}, ${rn}, #${immr}`;
    if (immr === 0 && (imms === 7 || imms === 15 || (imms === 31 && sf)))
      return `sxt${imms === 7 ? "b" : imms === 15 ? "h" : "w"}\t${rd}, ${xreg(d.rn, 0)}`;
    if (imms < immr) return `sbfiz\t${rd}, ${rn}, #${size - immr}, #${imms + 1}`;
    return `sbfx\t${rd}, ${rn}, #${immr}, #${imms - immr + 1}`;
  }
  if (d.opc === 1) {
    if (imms < immr) {
      if (d.rn === 31) return `bfc\t${rd}, #${size - immr}, #${imms + 1}`;
      return `bfi\t${rd}, ${rn}, #${size - immr}, #${imms + 1}`;
    }
    return `bfxil\t${rd}, ${rn}, #${immr}, #${imms - immr + 1}`;
  }
  if (imms !== size - 1 && imms + 1 === immr) return `lsl\t${rd}, ${rn}, #${size - 1 - imms}`;
  if (imms === size - 1) return `lsr\t${rd}, ${rn}, #${immr}`;
  if (!sf && immr === 0 && (imms === 7 || imms === 15)) return `uxt${imms === 7 ? "b" : "h"}\t${rd}, ${rn}`;
  if (imms < immr) return `ubfiz\t${rd}, ${rn}, #${size - immr}, #${imms + 1}`;
  return `ubfx\t${rd}, ${rn}, #${immr}, #${imms - immr + 1}`;
}

// ---------------- EXTR ----------------

const extr64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, m = d.m, lsb = d.imms;
  const nlo = x[n], nhi = x[n + 1], mlo = x[m], mhi = x[m + 1];
  let lo: number, hi: number;
  if (lsb === 0) { lo = mlo; hi = mhi; }
  else if (lsb < 32) { lo = (mlo >>> lsb) | (mhi << (32 - lsb)); hi = (mhi >>> lsb) | (nlo << (32 - lsb)); }
  else if (lsb === 32) { lo = mhi; hi = nlo; }
  else {
    const t = lsb - 32;
    lo = (mhi >>> t) | (nlo << (32 - t)); hi = (nlo >>> t) | (nhi << (32 - t));
  }
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const extr32: ExecFn = (cpu, d) => {
  const x = cpu.x, lsb = d.imms;
  x[d.dd] = lsb === 0 ? x[d.m] : (x[d.m] >>> lsb) | (x[d.n] << (32 - lsb));
  x[d.dd + 1] = 0;
};

// ---------------- the table ----------------

export const logicGroup: InsnDef[] = [
  {
    name: "LOGIC_imm", pattern: "sf:1 opc:2 100100 N:1 immr:6 imms:6 rn:5 rd:5",
    guard: (d) => (d.sf === 1 || d.N === 0) && decodeBitMasks(d.N, d.imms, d.immr, true, d.sf ? 64 : 32) !== undefined,
    prepare: (d) => {
      const masks = decodeBitMasks(d.N, d.imms, d.immr, true, d.sf ? 64 : 32)!;
      [d.ilo, d.ihi] = wordsOf(masks.wmask);
      d.n = zr(d.rn) * 2;
      d.dd = (d.opc === 3 ? zw(d.rd) : d.rd) * 2; // AND/ORR/EOR may write SP
      d.exec = LOGIC_IMM_EXEC[d.sf * 4 + d.opc];
    },
    exec: andImm64,
    compile: (d) => {
      const n = d.n, op = LOGIC_OP[d.opc], flags = d.opc === 3;
      if (!d.sf) return logic32Src(d.dd, op, `x[${n}]`, String(d.ilo), flags);
      return logic64Src(d.dd, op, `x[${n}]`, `x[${n + 1}]`, String(d.ilo), String(d.ihi), flags);
    },
    disasm: disasmLogicImm,
  },
  {
    name: "LOGIC_shifted", pattern: "sf:1 opc:2 01010 shift:2 N:1 rm:5 imm6:6 rn:5 rd:5",
    guard: (d) => d.sf === 1 || d.imm6 < 32,
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.inv = d.N ? -1 : 0;
      if (d.opc === 1 && d.N === 0 && d.rn === 31 && d.imm6 === 0) d.exec = d.sf ? movReg64 : movReg32;
      else d.exec = LOGIC_REG_EXEC[d.sf * 4 + d.opc];
    },
    compile: (d) => {
      const n = d.n, m = d.m, dd = d.dd, op = LOGIC_OP[d.opc], flags = d.opc === 3, inv = d.inv !== 0;
      if (d.exec === movReg64) return `{ const l = x[${m}], h = x[${m + 1}]; x[${dd}] = l; x[${dd + 1}] = h; }`;
      if (d.exec === movReg32) return `x[${dd}] = x[${m}]; x[${dd + 1}] = 0;`;
      if (!d.sf) {
        const b = shift32Src(d.shift, m, d.imm6);
        return logic32Src(dd, op, `x[${n}]`, inv ? `~${b}` : b, flags);
      }
      const b = shift64Src(d.shift, m, d.imm6) ?? ror64Src(m, d.imm6);
      return logic64Src(dd, op, `x[${n}]`, `x[${n + 1}]`, inv ? `~${b[0]}` : b[0], inv ? `~${b[1]}` : b[1], flags);
    },
    exec: andReg64,
    disasm: disasmLogicReg,
  },
  {
    name: "MOVE_wide", pattern: "sf:1 opc:2 100101 hw:2 imm16:16 rd:5",
    guard: (d) => d.opc !== 1 && (d.sf === 1 || d.hw < 2),
    prepare: (d) => {
      d.dd = zw(d.rd) * 2;
      const shift = (d.hw & 1) * 16;
      if (d.opc === 3) {
        d.word16 = d.hw >> 1;
        d.keep = ~(0xffff << shift);
        d.ins = d.imm16 << shift;
        d.exec = d.sf ? movk64 : movk32;
        return;
      }
      let lo = d.hw < 2 ? d.imm16 << shift : 0, hi = d.hw >= 2 ? d.imm16 << shift : 0;
      if (d.opc === 0) { lo = ~lo; hi = d.sf ? ~hi : 0; } // MOVN
      d.vlo = lo | 0; d.vhi = hi | 0;
      d.exec = movConst;
    },
    exec: movConst,
    compile: (d) => {
      if (d.exec === movConst) return `x[${d.dd}] = ${d.vlo}; x[${d.dd + 1}] = ${d.vhi};`;
      const i = d.dd + d.word16;
      if (d.sf) return `x[${i}] = (x[${i}] & ${d.keep}) | ${d.ins};`;
      return `x[${d.dd}] = (x[${d.dd}] & ${d.keep}) | ${d.ins}; x[${d.dd + 1}] = 0;`;
    },
    disasm: disasmMoveWide,
  },
  {
    name: "ADR_ADRP", pattern: "op:1 immlo:2 10000 immhi:s19 rd:5",
    prepare: (d) => {
      d.dd = zw(d.rd) * 2;
      const imm = d.immhi * 4 + d.immlo;
      d.off = d.op ? imm * 4096 : imm;
    },
    exec: adr,
    compile: (d, c) => {
      // As adr, with the PC from the block start (a block lies in one page, so lo + offset does
      // not wrap); the page base for ADRP is the block's too.
      const base = d.op ? "((lo & -4096) >>> 0)" : `((lo >>> 0) + ${c.offset})`;
      return `{ const s = ${base} + ${d.off}; x[${d.dd}] = s | 0; x[${d.dd + 1}] = (cpu.pcHi + Math.floor(s / 4294967296)) | 0; }`;
    },
    disasm: (d, pc) => {
      const base = d.op ? pc & ~0xfffn : pc;
      const target = (base + BigInt(d.off)) & 0xffffffffffffffffn;
      return `${d.op ? "adrp" : "adr"}\t${xreg(d.rd, 1)}, ${target.toString(16)}`;
    },
  },
  {
    name: "BITFIELD", pattern: "sf:1 opc:2 100110 N:1 immr:6 imms:6 rn:5 rd:5",
    guard: (d) => d.opc !== 3 && d.N === d.sf && (d.sf === 1 || (d.immr < 32 && d.imms < 32)),
    prepare: (d) => {
      const size = d.sf ? 64 : 32;
      const { wmask, tmask } = decodeBitMasks(d.N, d.imms, d.immr, false, size)!;
      const [wlo, whi] = wordsOf(wmask), [tlo, thi] = wordsOf(tmask);
      d.wlo = wlo; d.whi = whi; d.tlo = tlo; d.thi = thi;
      d.ntlo = ~tlo; d.nthi = ~thi;
      d.mlo = wlo & tlo; d.mhi = whi & thi;
      // Position of src<S> for SBFM's sign replication: which word, and the left shift to bit 31.
      d.sWord = d.imms >= 32 ? 1 : 0;
      d.sShift = 31 - (d.imms & 31);
      d.n = zr(d.rn) * 2; d.dd = zw(d.rd) * 2;
      d.exec = BITFIELD_EXEC[d.sf * 4 + d.opc];
    },
    compile: (d) => {
      // As ubfm/sbfm/bfm above, with the rotation and masks as literals.
      const n = d.n, dd = d.dd, r = d.immr;
      if (d.sf) {
        const [rl, rh] = ror64Src(n, r);
        if (d.opc === 2) return `{ const l = ${rl} & ${d.mlo}, h = ${rh} & ${d.mhi}; x[${dd}] = l; x[${dd + 1}] = h; }`;
        if (d.opc === 0) {
          return `{ const t = (x[${n + d.sWord}] << ${d.sShift}) >> 31, l = (${rl} & ${d.mlo}) | (t & ${d.ntlo}), ` +
            `h = (${rh} & ${d.mhi}) | (t & ${d.nthi}); x[${dd}] = l; x[${dd + 1}] = h; }`;
        }
        return `{ const rl = ${rl}, rh = ${rh}, dl = x[${dd}], dh = x[${dd + 1}]; ` +
          `const bl = (dl & ${~d.wlo}) | (rl & ${d.wlo}), bh = (dh & ${~d.whi}) | (rh & ${d.whi}); ` +
          `x[${dd}] = (dl & ${d.ntlo}) | (bl & ${d.tlo}); x[${dd + 1}] = (dh & ${d.nthi}) | (bh & ${d.thi}); }`;
      }
      const v = `x[${n}]`, rot = r === 0 ? v : `((${v} >>> ${r}) | (${v} << ${32 - r}))`;
      if (d.opc === 2) return `x[${dd}] = ${rot} & ${d.mlo}; x[${dd + 1}] = 0;`;
      if (d.opc === 0) return `{ const t = (${v} << ${d.sShift}) >> 31; x[${dd}] = (${rot} & ${d.mlo}) | (t & ${d.ntlo}); x[${dd + 1}] = 0; }`;
      return `{ const dl = x[${dd}], b = (dl & ${~d.wlo}) | (${rot} & ${d.wlo}); x[${dd}] = (dl & ${d.ntlo}) | (b & ${d.tlo}); x[${dd + 1}] = 0; }`;
    },
    exec: ubfm64,
    disasm: disasmBitfield,
  },
  {
    name: "EXTR", pattern: "sf:1 00 100111 N:1 0 rm:5 imms:6 rn:5 rd:5",
    guard: (d) => d.N === d.sf && (d.sf === 1 || d.imms < 32),
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.exec = d.sf ? extr64 : extr32;
    },
    exec: extr64,
    compile: (d) => {
      // As extr64/extr32: the low `size` bits of (Rn:Rm) >> lsb.
      const n = d.n, m = d.m, dd = d.dd, lsb = d.imms;
      if (!d.sf) return `x[${dd}] = ${lsb === 0 ? `x[${m}]` : `(x[${m}] >>> ${lsb}) | (x[${n}] << ${32 - lsb})`}; x[${dd + 1}] = 0;`;
      let lo: string, hi: string;
      if (lsb === 0) { lo = `x[${m}]`; hi = `x[${m + 1}]`; }
      else if (lsb < 32) { lo = `(x[${m}] >>> ${lsb}) | (x[${m + 1}] << ${32 - lsb})`; hi = `(x[${m + 1}] >>> ${lsb}) | (x[${n}] << ${32 - lsb})`; }
      else if (lsb === 32) { lo = `x[${m + 1}]`; hi = `x[${n}]`; }
      else {
        const t = lsb - 32;
        lo = `(x[${m + 1}] >>> ${t}) | (x[${n}] << ${32 - t})`; hi = `(x[${n}] >>> ${t}) | (x[${n + 1}] << ${32 - t})`;
      }
      return `{ const l = ${lo}, h = ${hi}; x[${dd}] = l; x[${dd + 1}] = h; }`;
    },
    disasm: (d) => {
      const sf = d.sf, rd = xreg(d.rd, sf), rn = xreg(d.rn, sf);
      if (d.rn === d.rm) return `ror\t${rd}, ${rn}, #${d.imms}`;
      return `extr\t${rd}, ${rn}, ${xreg(d.rm, sf)}, #${d.imms}`;
    },
  },
];
