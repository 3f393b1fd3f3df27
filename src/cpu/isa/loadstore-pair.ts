/**
 * Load/store pair (ARM ARM C4.1.66 "Load/store register pair" and "no-allocate pair"): LDP, STP,
 * LDPSW, LDNP, STNP for general registers and for SIMD&FP S/D/Q registers, with signed offset,
 * pre-index and post-index addressing. Both memory accesses happen before any register is
 * written, so a fault on the second leaves both destinations unchanged.
 */
import { Access, Cpu, zr, zw } from "../cpu.js";
import type { Decoded, ExecFn, InsnDef } from "./table.js";
import { xreg } from "./util.js";
import { carryHi, FP_ENABLED_SRC, fpReg, memOff, memPost, memPre, qAlignSrc, spAlignmentCheck } from "./loadstore-common.js";
import { addAccessSource, checkQAlign, compileOffset, compilePost, compilePre, execOffset, execPost, execPre } from "./loadstore-single.js";

type PairAccess = (cpu: Cpu, d: Decoded, lo: number, hi: number) => void;

/** Address of the second element: (lo, hi) + k with carry. */
let lo2 = 0, hi2 = 0;
function second(lo: number, hi: number, k: number): void {
  const s = (lo >>> 0) + k;
  lo2 = s | 0;
  hi2 = s > 0xffffffff ? (hi + 1) | 0 : hi;
}

const ldpX: PairAccess = (cpu, d, lo, hi) => {
  const a = cpu.read64(lo, hi), ah = cpu.ldHi;
  second(lo, hi, 8);
  const b = cpu.read64(lo2, hi2), bh = cpu.ldHi;
  const x = cpu.x;
  x[d.t * 2] = a; x[d.t * 2 + 1] = ah;
  x[d.t2 * 2] = b; x[d.t2 * 2 + 1] = bh;
};
const ldpW: PairAccess = (cpu, d, lo, hi) => {
  const a = cpu.read32(lo, hi);
  second(lo, hi, 4);
  const b = cpu.read32(lo2, hi2);
  const x = cpu.x;
  x[d.t * 2] = a; x[d.t * 2 + 1] = 0;
  x[d.t2 * 2] = b; x[d.t2 * 2 + 1] = 0;
};
const ldpSW: PairAccess = (cpu, d, lo, hi) => {
  const a = cpu.read32(lo, hi);
  second(lo, hi, 4);
  const b = cpu.read32(lo2, hi2);
  const x = cpu.x;
  x[d.t * 2] = a; x[d.t * 2 + 1] = a >> 31;
  x[d.t2 * 2] = b; x[d.t2 * 2 + 1] = b >> 31;
};
const stpX: PairAccess = (cpu, d, lo, hi) => {
  const x = cpu.x;
  cpu.write64(lo, hi, x[d.t * 2], x[d.t * 2 + 1]);
  second(lo, hi, 8);
  cpu.write64(lo2, hi2, x[d.t2 * 2], x[d.t2 * 2 + 1]);
};
const stpW: PairAccess = (cpu, d, lo, hi) => {
  const x = cpu.x;
  cpu.write32(lo, hi, x[d.t * 2]);
  second(lo, hi, 4);
  cpu.write32(lo2, hi2, x[d.t2 * 2]);
};

const fldpS: PairAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const a = cpu.read32(lo, hi);
  second(lo, hi, 4);
  const b = cpu.read32(lo2, hi2);
  const v = cpu.v32, t = d.t * 4, u = d.t2 * 4;
  v[t] = a; v[t + 1] = 0; v[t + 2] = 0; v[t + 3] = 0;
  v[u] = b; v[u + 1] = 0; v[u + 2] = 0; v[u + 3] = 0;
};
const fldpD: PairAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const a = cpu.read64(lo, hi), ah = cpu.ldHi;
  second(lo, hi, 8);
  const b = cpu.read64(lo2, hi2), bh = cpu.ldHi;
  const v = cpu.v32, t = d.t * 4, u = d.t2 * 4;
  v[t] = a; v[t + 1] = ah; v[t + 2] = 0; v[t + 3] = 0;
  v[u] = b; v[u + 1] = bh; v[u + 2] = 0; v[u + 3] = 0;
};
const fldpQ: PairAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  checkQAlign(cpu, lo, hi, Access.Read);
  const a0 = cpu.read64(lo, hi), a1 = cpu.ldHi;
  second(lo, hi, 8);
  const a2 = cpu.read64(lo2, hi2), a3 = cpu.ldHi;
  second(lo, hi, 16);
  const l2 = lo2, h2 = hi2;
  const b0 = cpu.read64(l2, h2), b1 = cpu.ldHi;
  second(l2, h2, 8);
  const b2 = cpu.read64(lo2, hi2), b3 = cpu.ldHi;
  const v = cpu.v32, t = d.t * 4, u = d.t2 * 4;
  v[t] = a0; v[t + 1] = a1; v[t + 2] = a2; v[t + 3] = a3;
  v[u] = b0; v[u + 1] = b1; v[u + 2] = b2; v[u + 3] = b3;
};
const fstpS: PairAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32;
  cpu.write32(lo, hi, v[d.t * 4]);
  second(lo, hi, 4);
  cpu.write32(lo2, hi2, v[d.t2 * 4]);
};
const fstpD: PairAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const v = cpu.v32;
  cpu.write64(lo, hi, v[d.t * 4], v[d.t * 4 + 1]);
  second(lo, hi, 8);
  cpu.write64(lo2, hi2, v[d.t2 * 4], v[d.t2 * 4 + 1]);
};
const fstpQ: PairAccess = (cpu, d, lo, hi) => {
  if (!cpu.fpEnabled) cpu.fpTrap();
  checkQAlign(cpu, lo, hi, Access.Write);
  const v = cpu.v32, t = d.t * 4, u = d.t2 * 4;
  cpu.write64(lo, hi, v[t], v[t + 1]);
  second(lo, hi, 8);
  cpu.write64(lo2, hi2, v[t + 2], v[t + 3]);
  second(lo, hi, 16);
  const l2 = lo2, h2 = hi2;
  cpu.write64(l2, h2, v[u], v[u + 1]);
  second(l2, h2, 8);
  cpu.write64(lo2, hi2, v[u + 2], v[u + 3]);
};

/** Addressing mode (bits 24:23): 00 no-allocate offset, 01 post-index, 10 offset, 11 pre-index. */
const MODE_EXEC = [execOffset, execPost, execOffset, execPre];

// LDP/STP of X registers build and tear down every stack frame; these call the access directly
// instead of through `d.acc`.
const execLdpXOffset: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  ldpX(cpu, d, s | 0, carryHi(s, x[n2 + 1]));
};
const execStpXOffset: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  stpX(cpu, d, s | 0, carryHi(s, x[n2 + 1]));
};
const execLdpXPost: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const lo = x[n2], hi = x[n2 + 1];
  ldpX(cpu, d, lo, hi);
  const s = (lo >>> 0) + d.off;
  x[n2] = s | 0; x[n2 + 1] = carryHi(s, hi);
};
const execStpXPre: ExecFn = (cpu, d) => {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  const s = (x[n2] >>> 0) + d.off;
  const lo = s | 0, hi = carryHi(s, x[n2 + 1]);
  stpX(cpu, d, lo, hi);
  x[n2] = lo; x[n2 + 1] = hi;
};

/**
 * The general-register pair accesses as compile-hook source (see loadstore-single.ts
 * compileAccess) over the first element's address: both accesses, then the registers, in the
 * order the functions above use. The second address is the first plus the element size.
 */
function secondSrc(lo: string, hi: string, k: number): string {
  return `const pl = ${lo}, ph = ${hi}, q = (pl >>> 0) + ${k}, ql = q | 0, qh = q > 4294967295 ? (ph + 1) | 0 : ph;`;
}
addAccessSource(ldpX, (d, lo, hi) => `{ ${secondSrc(lo, hi, 8)} const va = cpu.read64(pl, ph), vah = cpu.ldHi; ` +
  `const vb = cpu.read64(ql, qh), vbh = cpu.ldHi; x[${d.t * 2}] = va; x[${d.t * 2 + 1}] = vah; x[${d.t2 * 2}] = vb; x[${d.t2 * 2 + 1}] = vbh; }`);
addAccessSource(ldpW, (d, lo, hi) => `{ ${secondSrc(lo, hi, 4)} const va = cpu.read32(pl, ph), vb = cpu.read32(ql, qh); ` +
  `x[${d.t * 2}] = va; x[${d.t * 2 + 1}] = 0; x[${d.t2 * 2}] = vb; x[${d.t2 * 2 + 1}] = 0; }`);
addAccessSource(ldpSW, (d, lo, hi) => `{ ${secondSrc(lo, hi, 4)} const va = cpu.read32(pl, ph), vb = cpu.read32(ql, qh); ` +
  `x[${d.t * 2}] = va; x[${d.t * 2 + 1}] = va >> 31; x[${d.t2 * 2}] = vb; x[${d.t2 * 2 + 1}] = vb >> 31; }`);
addAccessSource(stpX, (d, lo, hi) => `{ ${secondSrc(lo, hi, 8)} cpu.write64(pl, ph, x[${d.t * 2}], x[${d.t * 2 + 1}]); ` +
  `cpu.write64(ql, qh, x[${d.t2 * 2}], x[${d.t2 * 2 + 1}]); }`);
addAccessSource(stpW, (d, lo, hi) => `{ ${secondSrc(lo, hi, 4)} cpu.write32(pl, ph, x[${d.t * 2}]); cpu.write32(ql, qh, x[${d.t2 * 2}]); }`);

// SIMD&FP pairs: the access enabled check, both elements' accesses, then both registers (the
// bytes above each element zeroed); Q pairs check 16-byte alignment under SCTLR_ELx.A first.
const fpOn = FP_ENABLED_SRC;
const qAlign = (access: Access): string => qAlignSrc(access, "pl", "ph");
/** The address of byte `k` of the pair (after secondSrc) as `lk`, `hk`. */
const at = (k: number): string => `const s${k} = (pl >>> 0) + ${k}, l${k} = s${k} | 0, h${k} = s${k} > 4294967295 ? (ph + 1) | 0 : ph;`;
addAccessSource(fldpS, (d, lo, hi) => `${fpOn} { ${secondSrc(lo, hi, 4)} const va = cpu.read32(pl, ph), vb = cpu.read32(ql, qh), w = cpu.v32; ` +
  `w[${d.t * 4}] = va; w[${d.t * 4 + 1}] = 0; w[${d.t * 4 + 2}] = 0; w[${d.t * 4 + 3}] = 0; ` +
  `w[${d.t2 * 4}] = vb; w[${d.t2 * 4 + 1}] = 0; w[${d.t2 * 4 + 2}] = 0; w[${d.t2 * 4 + 3}] = 0; }`);
addAccessSource(fldpD, (d, lo, hi) => `${fpOn} { ${secondSrc(lo, hi, 8)} const va = cpu.read64(pl, ph), vah = cpu.ldHi; ` +
  `const vb = cpu.read64(ql, qh), vbh = cpu.ldHi, w = cpu.v32; ` +
  `w[${d.t * 4}] = va; w[${d.t * 4 + 1}] = vah; w[${d.t * 4 + 2}] = 0; w[${d.t * 4 + 3}] = 0; ` +
  `w[${d.t2 * 4}] = vb; w[${d.t2 * 4 + 1}] = vbh; w[${d.t2 * 4 + 2}] = 0; w[${d.t2 * 4 + 3}] = 0; }`);
addAccessSource(fldpQ, (d, lo, hi) => `${fpOn} { ${secondSrc(lo, hi, 8)} ${qAlign(Access.Read)} ${at(16)} ${at(24)} ` +
  `const a0 = cpu.read64(pl, ph), a1 = cpu.ldHi, a2 = cpu.read64(ql, qh), a3 = cpu.ldHi; ` +
  `const b0 = cpu.read64(l16, h16), b1 = cpu.ldHi, b2 = cpu.read64(l24, h24), b3 = cpu.ldHi, w = cpu.v32; ` +
  `w[${d.t * 4}] = a0; w[${d.t * 4 + 1}] = a1; w[${d.t * 4 + 2}] = a2; w[${d.t * 4 + 3}] = a3; ` +
  `w[${d.t2 * 4}] = b0; w[${d.t2 * 4 + 1}] = b1; w[${d.t2 * 4 + 2}] = b2; w[${d.t2 * 4 + 3}] = b3; }`);
addAccessSource(fstpS, (d, lo, hi) => `${fpOn} { ${secondSrc(lo, hi, 4)} const w = cpu.v32; ` +
  `cpu.write32(pl, ph, w[${d.t * 4}]); cpu.write32(ql, qh, w[${d.t2 * 4}]); }`);
addAccessSource(fstpD, (d, lo, hi) => `${fpOn} { ${secondSrc(lo, hi, 8)} const w = cpu.v32; ` +
  `cpu.write64(pl, ph, w[${d.t * 4}], w[${d.t * 4 + 1}]); cpu.write64(ql, qh, w[${d.t2 * 4}], w[${d.t2 * 4 + 1}]); }`);
addAccessSource(fstpQ, (d, lo, hi) => `${fpOn} { ${secondSrc(lo, hi, 8)} ${qAlign(Access.Write)} ${at(16)} ${at(24)} const w = cpu.v32; ` +
  `cpu.write64(pl, ph, w[${d.t * 4}], w[${d.t * 4 + 1}]); cpu.write64(ql, qh, w[${d.t * 4 + 2}], w[${d.t * 4 + 3}]); ` +
  `cpu.write64(l16, h16, w[${d.t2 * 4}], w[${d.t2 * 4 + 1}]); cpu.write64(l24, h24, w[${d.t2 * 4 + 2}], w[${d.t2 * 4 + 3}]); }`);

/** Allocated (opc, V, L, mode) combinations, ARM ARM C4.1.66. */
function pairAllocated(d: Decoded): boolean {
  if (d.opc === 3) return false;
  if (d.V) return true;
  // opc=01: LDPSW only (load, not the no-allocate form; STGP is ARMv8.5-MemTag).
  if (d.opc === 1) return d.L === 1 && d.mode !== 0;
  return true;
}

function pairScale(d: Decoded): number {
  return d.V ? d.opc + 2 : d.opc === 2 ? 3 : 2;
}

export const loadStorePairGroup: InsnDef[] = [
  {
    name: "LDST_pair", pattern: "opc:2 101 V:1 0 mode:2 L:1 imm7:s7 rt2:5 rn:5 rt:5",
    guard: pairAllocated,
    prepare: (d) => {
      const scale = pairScale(d);
      d.off = d.imm7 << scale;
      d.n = d.rn;
      d.fp = d.V === 1;
      if (d.V) {
        d.t = d.rt; d.t2 = d.rt2;
        d.acc = d.L ? [fldpS, fldpD, fldpQ][d.opc] : [fstpS, fstpD, fstpQ][d.opc];
      } else {
        d.t = d.L ? zw(d.rt) : zr(d.rt);
        d.t2 = d.L ? zw(d.rt2) : zr(d.rt2);
        d.acc = d.L ? (d.opc === 2 ? ldpX : d.opc === 1 ? ldpSW : ldpW) : (d.opc === 2 ? stpX : stpW);
      }
      d.exec = MODE_EXEC[d.mode];
      if (d.acc === ldpX) d.exec = d.mode === 1 ? execLdpXPost : d.mode === 3 ? execPre : execLdpXOffset;
      else if (d.acc === stpX) d.exec = d.mode === 3 ? execStpXPre : d.mode === 1 ? execPost : execStpXOffset;
    },
    exec: execOffset,
    // General registers only (compileAccess leaves SIMD&FP to exec), by addressing mode.
    compile: (d, c) => d.mode === 1 ? compilePost(d, c) : d.mode === 3 ? compilePre(d, c) : compileOffset(d, c),
    disasm: (d) => {
      const scale = pairScale(d);
      const op = (d.L ? "ld" : "st") + (d.mode === 0 ? "np" : "p") + (!d.V && d.opc === 1 ? "sw" : "");
      const reg = (r: number) => d.V ? fpReg(r, scale) : xreg(r, d.opc === 0 ? 0 : 1);
      const off = d.imm7 << scale;
      const mem = d.mode === 1 ? memPost(d.rn, off) : d.mode === 3 ? memPre(d.rn, off) : memOff(d.rn, off);
      return `${op}\t${reg(d.rt)}, ${reg(d.rt2)}, ${mem}`;
    },
  },
];
