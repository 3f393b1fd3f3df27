/**
 * Multiply(-accumulate), divide, variable shifts, bit/byte reversal, leading-bit counts and CRC32
 * (ARM ARM C4.1 encoding index, "Data-processing (3 source)", "(2 source)" and "(1 source)";
 * instruction pages in C6.2).
 *
 * 64x64 multiplies are done on 32- and 16-bit pieces with Math.imul (no allocation: BigInt
 * products allocate, and UMULH is common in hashing and division by constants); 64-bit
 * division likewise works on words and doubles.
 */
import { zr, zw } from "../cpu.js";
import type { Decoded, ExecFn, InsnDef } from "./table.js";
import { xreg } from "./util.js";
import { add64Src, add64To, asr64, lsl64, lsr64, outHi, ror64 } from "./dataproc-common.js";

// ---------------- multiplication helpers ----------------

/** Bits 63:32 of the unsigned product of two 32-bit words. */
function umulhi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** Bits 63:32 of the signed product of two 32-bit words. */
function smulhi32(a: number, b: number): number {
  return (umulhi32(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/** Low 64 bits of a 64x64 product; returns the low word, high word in `prodHi`. */
let prodHi = 0;
function mul64(alo: number, ahi: number, blo: number, bhi: number): number {
  prodHi = (umulhi32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  return Math.imul(alo, blo);
}

/**
 * umulhi32(a, b) as source: declarations (for a `const` list) of the 16-bit partial products of
 * the locals `a` and `b` and of `out`, bits 63:32 of their unsigned product (not yet `| 0`).
 */
function umulhi32Src(a: string, b: string, out: string): string {
  const a0 = `${out}a0`, a1 = `${out}a1`, b0 = `${out}b0`, b1 = `${out}b1`, p01 = `${out}p01`, p10 = `${out}p10`;
  return `${a0} = ${a} & 65535, ${a1} = ${a} >>> 16, ${b0} = ${b} & 65535, ${b1} = ${b} >>> 16, ` +
    `${p01} = ${a0} * ${b1}, ${p10} = ${a1} * ${b0}, ` +
    `${out} = ${a1} * ${b1} + (${p01} >>> 16) + (${p10} >>> 16) + ((((${a0} * ${b0}) >>> 16) + (${p01} & 65535) + (${p10} & 65535)) >>> 16)`;
}

// MADD/MSUB: `inv`/`cin` turn the add into Ra - product (ARM ARM C6.2 MSUB).
const madd64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, m = d.m, a = d.a, inv = d.inv;
  const plo = mul64(x[n], x[n + 1], x[m], x[m + 1]);
  add64To(x, d.dd, x[a], x[a + 1], plo ^ inv, prodHi ^ inv, d.cin);
};
const mul64Only: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, m = d.m;
  const plo = mul64(x[n], x[n + 1], x[m], x[m + 1]);
  x[d.dd] = plo; x[d.dd + 1] = prodHi;
};
const madd32: ExecFn = (cpu, d) => {
  const x = cpu.x, p = Math.imul(x[d.n], x[d.m]);
  x[d.dd] = d.cin ? (x[d.a] - p) | 0 : (x[d.a] + p) | 0;
  x[d.dd + 1] = 0;
};
const smaddl: ExecFn = (cpu, d) => {
  const x = cpu.x, a = d.a, inv = d.inv, wn = x[d.n], wm = x[d.m];
  add64To(x, d.dd, x[a], x[a + 1], Math.imul(wn, wm) ^ inv, smulhi32(wn, wm) ^ inv, d.cin);
};
const umaddl: ExecFn = (cpu, d) => {
  const x = cpu.x, a = d.a, inv = d.inv, wn = x[d.n], wm = x[d.m];
  add64To(x, d.dd, x[a], x[a + 1], Math.imul(wn, wm) ^ inv, umulhi32(wn, wm) ^ inv, d.cin);
};
/**
 * Bits 127:64 of the unsigned 64x64 product; returns the low word, high word in `prodHi`.
 * Partial sums stay below 2^53, so plain double arithmetic is exact.
 */
function umulh64(alo: number, ahi: number, blo: number, bhi: number): number {
  const mid = (umulhi32(alo, blo) >>> 0) + (Math.imul(alo, bhi) >>> 0) + (Math.imul(ahi, blo) >>> 0);
  const w2 = (umulhi32(alo, bhi) >>> 0) + (umulhi32(ahi, blo) >>> 0) + (Math.imul(ahi, bhi) >>> 0) + Math.floor(mid / 4294967296);
  prodHi = (umulhi32(ahi, bhi) + Math.floor(w2 / 4294967296)) | 0;
  return w2 | 0;
}

const smulh: ExecFn = (cpu, d) => {
  const x = cpu.x, alo = x[d.n], ahi = x[d.n + 1], blo = x[d.m], bhi = x[d.m + 1];
  // Signed high half = unsigned high half - (a < 0 ? b : 0) - (b < 0 ? a : 0), modulo 2^64.
  let lo = umulh64(alo, ahi, blo, bhi), hi = prodHi;
  if (ahi < 0) { const l = (lo >>> 0) - (blo >>> 0); hi = (hi - bhi - (l < 0 ? 1 : 0)) | 0; lo = l | 0; }
  if (bhi < 0) { const l = (lo >>> 0) - (alo >>> 0); hi = (hi - ahi - (l < 0 ? 1 : 0)) | 0; lo = l | 0; }
  x[d.dd] = lo; x[d.dd + 1] = hi;
};
const umulh: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const lo = umulh64(x[d.n], x[d.n + 1], x[d.m], x[d.m + 1]);
  x[d.dd] = lo; x[d.dd + 1] = prodHi;
};

function disasmMul3(d: Decoded): string {
  const sf = d.sf, o0 = d.o0, ra = d.ra === 31;
  const rd = xreg(d.rd, sf), rn = xreg(d.rn, sf), rm = xreg(d.rm, sf), rax = xreg(d.ra, 1);
  switch (d.op31) {
    case 0:
      if (ra) return `${o0 ? "mneg" : "mul"}\t${rd}, ${rn}, ${rm}`;
      return `${o0 ? "msub" : "madd"}\t${rd}, ${rn}, ${rm}, ${xreg(d.ra, sf)}`;
    case 1: case 5: {
      const u = d.op31 === 5 ? "u" : "s";
      const wn = xreg(d.rn, 0), wm = xreg(d.rm, 0);
      if (ra) return `${u}${o0 ? "mnegl" : "mull"}\t${rd}, ${wn}, ${wm}`;
      return `${u}${o0 ? "msubl" : "maddl"}\t${rd}, ${wn}, ${wm}, ${rax}`;
    }
    default:
      return `${d.op31 === 2 ? "smulh" : "umulh"}\t${rd}, ${rn}, ${rm}`;
  }
}

// ---------------- division ----------------
// ARM ARM C6.2 SDIV/UDIV: division by zero gives 0; the result rounds toward zero; the one
// overflowing case (INT_MIN / -1) wraps to INT_MIN.

const udiv32: ExecFn = (cpu, d) => {
  const x = cpu.x, b = x[d.m] >>> 0;
  x[d.dd] = b === 0 ? 0 : Math.floor((x[d.n] >>> 0) / b);
  x[d.dd + 1] = 0;
};
const sdiv32: ExecFn = (cpu, d) => {
  const x = cpu.x, b = x[d.m];
  x[d.dd] = b === 0 ? 0 : Math.trunc(x[d.n] / b); // INT_MIN / -1 = 2^31, stored as INT_MIN
  x[d.dd + 1] = 0;
};
/**
 * Unsigned 64-by-64 division on int32 words, exact and allocation-free (BigInt division
 * allocated a heap value per operand and result). Returns the quotient's low word, its high
 * word in `divHi`. The divisor is non-zero.
 */
let divHi = 0;
function udivmod64(nlo: number, nhi: number, mlo: number, mhi: number): number {
  const nl = nlo >>> 0, nh = nhi >>> 0, ml = mlo >>> 0, mh = mhi >>> 0;
  if (mh === 0) {
    // Divisor below 2^32: schoolbook long division, a 32-bit digit then two 16-bit digits, so
    // every partial dividend (remainder * 2^16 + digit) stays below 2^48 and double-precision
    // division and multiplication on it are exact (floor(a / b) is exact for a < 2^53).
    const qh = Math.floor(nh / ml);
    let r = nh - qh * ml;
    let a = r * 65536 + (nl >>> 16);
    const q1 = Math.floor(a / ml);
    r = a - q1 * ml;
    a = r * 65536 + (nl & 0xffff);
    const q0 = Math.floor(a / ml);
    divHi = qh | 0;
    return (q1 * 65536 + q0) | 0;
  }
  // Divisor at least 2^32: the quotient is below 2^32. The quotient of the two operands
  // rounded to doubles is within 2^-20 of the exact one, so its floor is off by at most one;
  // correct it with the exact remainder N - q * M computed on words.
  divHi = 0;
  if (nh < mh || (nh === mh && nl < ml)) return 0;
  let q = Math.floor((nh * 4294967296 + nl) / (mh * 4294967296 + ml));
  if (q > 4294967295) q = 4294967295;
  // q * M = phi * 2^32 + plo, where phi = q * mh + carry is below 2^35 (q * M <= N + M < 2^65),
  // hence exact in a double.
  const plo = Math.imul(q, ml) >>> 0;
  const phi = q * mh + (umulhi32(q | 0, ml | 0) >>> 0);
  // R = N - q * M as rhi * 2^32 + rlo with 0 <= rlo < 2^32 (rhi negative when q is too large).
  let rlo = nl - plo, rhi = nh - phi;
  if (rlo < 0) { rlo += 4294967296; rhi -= 1; }
  if (rhi < 0) {
    q -= 1; // R + M >= 0
  } else if (rhi > mh || (rhi === mh && rlo >= ml)) {
    q += 1; // R >= M
  }
  return q | 0;
}

const udiv64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, m = d.m;
  const nlo = x[n], nhi = x[n + 1], mlo = x[m], mhi = x[m + 1];
  if ((mlo | mhi) === 0) { x[d.dd] = 0; x[d.dd + 1] = 0; return; }
  if ((nhi | mhi) === 0) { x[d.dd] = Math.floor((nlo >>> 0) / (mlo >>> 0)); x[d.dd + 1] = 0; return; }
  x[d.dd] = udivmod64(nlo, nhi, mlo, mhi); x[d.dd + 1] = divHi;
};
const sdiv64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, m = d.m;
  let nlo = x[n], nhi = x[n + 1], mlo = x[m], mhi = x[m + 1];
  if ((mlo | mhi) === 0) { x[d.dd] = 0; x[d.dd + 1] = 0; return; }
  // Divide the magnitudes and negate when the signs differ: truncation toward zero. The
  // magnitude of INT64_MIN is 2^63 as an unsigned value, and INT64_MIN / -1 = 2^63 wraps back
  // to INT64_MIN when stored, as the ARM ARM's 64-bit result requires.
  const neg = (nhi ^ mhi) < 0;
  if (nhi < 0) { nlo = -nlo | 0; nhi = (~nhi + (nlo === 0 ? 1 : 0)) | 0; }
  if (mhi < 0) { mlo = -mlo | 0; mhi = (~mhi + (mlo === 0 ? 1 : 0)) | 0; }
  let lo = udivmod64(nlo, nhi, mlo, mhi), hi = divHi;
  if (neg) { lo = -lo | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; }
  x[d.dd] = lo; x[d.dd + 1] = hi;
};

// ---------------- variable shifts ----------------

const lslv64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, lo = lsl64(x[n], x[n + 1], x[d.m] & 63);
  x[d.dd] = lo; x[d.dd + 1] = outHi;
};
const lsrv64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, lo = lsr64(x[n], x[n + 1], x[d.m] & 63);
  x[d.dd] = lo; x[d.dd + 1] = outHi;
};
const asrv64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, lo = asr64(x[n], x[n + 1], x[d.m] & 63);
  x[d.dd] = lo; x[d.dd + 1] = outHi;
};
const rorv64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n, lo = ror64(x[n], x[n + 1], x[d.m] & 63);
  x[d.dd] = lo; x[d.dd + 1] = outHi;
};
// JavaScript shifts already take the amount modulo 32, which is the 32-bit rule.
const lslv32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.n] << x[d.m]; x[d.dd + 1] = 0; };
const lsrv32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.n] >>> x[d.m]; x[d.dd + 1] = 0; };
const asrv32: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = x[d.n] >> x[d.m]; x[d.dd + 1] = 0; };
const rorv32: ExecFn = (cpu, d) => {
  const x = cpu.x, v = x[d.n], s = x[d.m];
  x[d.dd] = (v >>> s) | (v << (32 - (s & 31))); x[d.dd + 1] = 0;
};
const SHIFTV_EXEC: ExecFn[] = [lslv32, lsrv32, asrv32, rorv32, lslv64, lsrv64, asrv64, rorv64];

// ---------------- CRC32 / CRC32C ----------------
// ARM ARM C6.2 CRC32*: BitReverse(Poly32Mod2(BitReverse(acc):0 XOR BitReverse(val):0, poly)),
// which is the bit-reflected CRC update without pre/post inversion: the classic table form.

function crcTable(reflectedPoly: number): Int32Array {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    t[i] = c;
  }
  return t;
}
const CRC32_TABLE = crcTable(0xedb88320);  // 0x04C11DB7 reflected
const CRC32C_TABLE = crcTable(0x82f63b78); // 0x1EDC6F41 reflected

function crcBytes(t: Int32Array, crc: number, v: number, bytes: number): number {
  for (let i = 0; i < bytes; i++) {
    crc = t[(crc ^ v) & 0xff] ^ (crc >>> 8);
    v >>>= 8;
  }
  return crc;
}

const crc32: ExecFn = (cpu, d) => {
  const x = cpu.x, t = d.table;
  let c = crcBytes(t, x[d.n], x[d.m], d.bytes > 4 ? 4 : d.bytes);
  if (d.bytes === 8) c = crcBytes(t, c, x[d.m + 1], 4);
  x[d.dd] = c; x[d.dd + 1] = 0;
};

// ---------------- one-source operations ----------------

function rbit32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return (v >>> 16) | (v << 16);
}
function rev32(v: number): number {
  return (v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24);
}
function rev16(v: number): number {
  return ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
}

const rbitX: ExecFn = (cpu, d) => {
  const x = cpu.x, lo = x[d.n], hi = x[d.n + 1];
  x[d.dd] = rbit32(hi); x[d.dd + 1] = rbit32(lo);
};
const rbitW: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = rbit32(x[d.n]); x[d.dd + 1] = 0; };
const rev16X: ExecFn = (cpu, d) => {
  const x = cpu.x, lo = x[d.n], hi = x[d.n + 1];
  x[d.dd] = rev16(lo); x[d.dd + 1] = rev16(hi);
};
const rev16W: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = rev16(x[d.n]); x[d.dd + 1] = 0; };
const revW: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = rev32(x[d.n]); x[d.dd + 1] = 0; };
const rev32X: ExecFn = (cpu, d) => {
  const x = cpu.x, lo = x[d.n], hi = x[d.n + 1];
  x[d.dd] = rev32(lo); x[d.dd + 1] = rev32(hi);
};
const revX: ExecFn = (cpu, d) => {
  const x = cpu.x, lo = x[d.n], hi = x[d.n + 1];
  x[d.dd] = rev32(hi); x[d.dd + 1] = rev32(lo);
};
const clzX: ExecFn = (cpu, d) => {
  const x = cpu.x, hi = x[d.n + 1];
  x[d.dd] = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(x[d.n]); x[d.dd + 1] = 0;
};
const clzW: ExecFn = (cpu, d) => { const x = cpu.x; x[d.dd] = Math.clz32(x[d.n]); x[d.dd + 1] = 0; };
// CLS counts the bits after the sign bit equal to it: CLZ of (x XOR sign-replicated x), minus one.
const clsX: ExecFn = (cpu, d) => {
  const x = cpu.x, hi = x[d.n + 1], s = hi >> 31, h = hi ^ s, l = x[d.n] ^ s;
  x[d.dd] = (h !== 0 ? Math.clz32(h) : 32 + Math.clz32(l)) - 1; x[d.dd + 1] = 0;
};
const clsW: ExecFn = (cpu, d) => {
  const x = cpu.x, v = x[d.n];
  x[d.dd] = Math.clz32(v ^ (v >> 31)) - 1; x[d.dd + 1] = 0;
};

/** Data-processing (1 source) by sf:opcode; undefined entries are unallocated. */
const ONE_SRC: (readonly [string, ExecFn] | undefined)[] = [
  ["rbit", rbitW], ["rev16", rev16W], ["rev", revW], undefined, ["clz", clzW], ["cls", clsW], undefined, undefined,
  ["rbit", rbitX], ["rev16", rev16X], ["rev32", rev32X], ["rev", revX], ["clz", clzX], ["cls", clsX], undefined, undefined,
];

// ---------------- the table ----------------

export const miscGroup: InsnDef[] = [
  {
    name: "DP_3SRC", pattern: "sf:1 00 11011 op31:3 rm:5 o0:1 ra:5 rn:5 rd:5",
    guard: (d) => {
      if (d.op31 === 0) return true;
      if (!d.sf) return false;
      if (d.op31 === 1 || d.op31 === 5) return true;
      return (d.op31 === 2 || d.op31 === 6) && d.o0 === 0;
    },
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.a = zr(d.ra) * 2; d.dd = zw(d.rd) * 2;
      d.inv = d.o0 ? -1 : 0; d.cin = d.o0;
      switch (d.op31) {
        case 0: d.exec = !d.sf ? madd32 : d.ra === 31 && !d.o0 ? mul64Only : madd64; break;
        case 1: d.exec = smaddl; break;
        case 5: d.exec = umaddl; break;
        case 2: d.exec = smulh; break;
        default: d.exec = umulh; break;
      }
    },
    compile: (d) => {
      // MADD/MSUB (32-bit): the low word of the product is Math.imul's.
      const n = d.n, m = d.m, a = d.a, dd = d.dd;
      if (d.exec === madd32) return `x[${dd}] = (x[${a}] ${d.cin ? "-" : "+"} Math.imul(x[${n}], x[${m}])) | 0; x[${dd + 1}] = 0;`;
      // The 64-bit forms as mul64 and smaddl/umaddl, with umulhi32 written out (pl, ph: the product).
      let product: string;
      if (d.exec === madd64 || d.exec === mul64Only) {
        product = `const al = x[${n}], bl = x[${m}], ${umulhi32Src("al", "bl", "u")}, ` +
          `pl = Math.imul(al, bl), ph = (u + Math.imul(al, x[${m + 1}]) + Math.imul(x[${n + 1}], bl)) | 0;`;
      } else if (d.exec === umaddl || d.exec === smaddl) {
        const signed = d.exec === smaddl ? ` - (wn < 0 ? wm : 0) - (wm < 0 ? wn : 0)` : "";
        product = `const wn = x[${n}], wm = x[${m}], ${umulhi32Src("wn", "wm", "u")}, pl = Math.imul(wn, wm), ph = (u${signed}) | 0;`;
      } else {
        return undefined;
      }
      if (d.exec === mul64Only) return `{ ${product} x[${dd}] = pl; x[${dd + 1}] = ph; }`;
      const inv = d.inv !== 0;
      return `{ ${product} ${add64Src(dd, `x[${a}]`, `x[${a + 1}]`, inv ? "~pl" : "pl", inv ? "~ph" : "ph", d.cin, false)} }`;
    },
    exec: madd64,
    disasm: disasmMul3,
  },
  {
    name: "DIV", pattern: "sf:1 0 0 11010110 rm:5 00001 o1:1 rn:5 rd:5",
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.exec = d.sf ? (d.o1 ? sdiv64 : udiv64) : (d.o1 ? sdiv32 : udiv32);
    },
    exec: udiv64,
    disasm: (d) => `${d.o1 ? "sdiv" : "udiv"}\t${xreg(d.rd, d.sf)}, ${xreg(d.rn, d.sf)}, ${xreg(d.rm, d.sf)}`,
  },
  {
    name: "SHIFT_variable", pattern: "sf:1 0 0 11010110 rm:5 0010 op2:2 rn:5 rd:5",
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.exec = SHIFTV_EXEC[d.sf * 4 + d.op2];
    },
    compile: (d) => {
      const n = d.n, m = d.m, dd = d.dd, op = d.op2;
      if (!d.sf) {
        // JavaScript shifts take the amount modulo 32, the 32-bit rule (as lslv32 etc.).
        if (op === 3) return `{ const v = x[${n}], s = x[${m}]; x[${dd}] = (v >>> s) | (v << (32 - (s & 31))); x[${dd + 1}] = 0; }`;
        return `x[${dd}] = x[${n}] ${["<<", ">>>", ">>"][op]} x[${m}]${op === 1 ? " | 0" : ""}; x[${dd + 1}] = 0;`;
      }
      // As lsl64/lsr64/asr64 with the amount modulo 64.
      const cases = [
        "rl = l << s; rh = (h << s) | (l >>> (32 - s));", "rl = 0; rh = l << (s - 32);",
        "rl = (l >>> s) | (h << (32 - s)); rh = h >>> s;", "rl = h >>> (s - 32); rh = 0;",
        "rl = (l >>> s) | (h << (32 - s)); rh = h >> s;", "rl = h >> (s - 32); rh = h >> 31;",
      ];
      // RORV as ror64: a rotation by 32 or more swaps the words first.
      if (op === 3) {
        return `{ const s = x[${m}] & 63, t = s & 31; let l = x[${n}], h = x[${n + 1}]; if (s >= 32) { const w = l; l = h; h = w; } ` +
          `if (t !== 0) { const w = l; l = (w >>> t) | (h << (32 - t)); h = (h >>> t) | (w << (32 - t)); } x[${dd}] = l; x[${dd + 1}] = h; }`;
      }
      return `{ const s = x[${m}] & 63, l = x[${n}], h = x[${n + 1}]; let rl = l, rh = h; ` +
        `if (s >= 32) { ${cases[op * 2 + 1]} } else if (s !== 0) { ${cases[op * 2]} } x[${dd}] = rl; x[${dd + 1}] = rh; }`;
    },
    exec: lslv64,
    // The LSL/LSR/ASR/ROR (register) aliases are always preferred.
    disasm: (d) => `${["lsl", "lsr", "asr", "ror"][d.op2]}\t${xreg(d.rd, d.sf)}, ${xreg(d.rn, d.sf)}, ${xreg(d.rm, d.sf)}`,
  },
  {
    name: "CRC32", pattern: "sf:1 0 0 11010110 rm:5 010 C:1 sz:2 rn:5 rd:5",
    guard: (d) => (d.sz === 3) === (d.sf === 1),
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.bytes = 1 << d.sz;
      d.table = d.C ? CRC32C_TABLE : CRC32_TABLE;
    },
    exec: crc32,
    disasm: (d) => `crc32${d.C ? "c" : ""}${"bhwx"[d.sz]}\t${xreg(d.rd, 0)}, ${xreg(d.rn, 0)}, ${xreg(d.rm, d.sz === 3 ? 1 : 0)}`,
  },
  {
    name: "DP_1SRC", pattern: "sf:1 1 0 11010110 00000 00 opcode:4 rn:5 rd:5",
    guard: (d) => d.opcode < 8 && ONE_SRC[d.sf * 8 + d.opcode] !== undefined,
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.dd = zw(d.rd) * 2;
      d.exec = ONE_SRC[d.sf * 8 + d.opcode]![1];
    },
    exec: clzX,
    disasm: (d) => `${ONE_SRC[d.sf * 8 + d.opcode]![0]}\t${xreg(d.rd, d.sf)}, ${xreg(d.rn, d.sf)}`,
  },
];
