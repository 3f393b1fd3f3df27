/**
 * Encoders for the A64 instructions used by the random differential test:
 * integer data processing (ARM ARM C4.1.2 "Data Processing -- Immediate"
 * and C4.1.5 "Data Processing -- Register") plus the handful of loads,
 * stores, branches and system instructions the test image's fixed
 * scaffolding needs. Each encoder returns the instruction word as an
 * unsigned 32-bit number.
 */

export type Reg = number; // 0..31; 31 is XZR/WZR or SP depending on the form

const u32 = (x: number): number => x >>> 0;

function field(value: number, bits: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw new RangeError(`${name}=${value} does not fit in ${bits} bits`);
  return value;
}

export const COND_NAMES = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"] as const;
export const SHIFT_NAMES = ["lsl", "lsr", "asr", "ror"] as const;
export const EXTEND_NAMES = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"] as const;

export function regName(r: Reg, sf: number, spForm = false): string {
  if (r === 31) return spForm ? (sf ? "sp" : "wsp") : sf ? "xzr" : "wzr";
  return `${sf ? "x" : "w"}${r}`;
}

// ---- Data processing, immediate ----

/** ADD/ADDS/SUB/SUBS (immediate): sf op S 100010 sh imm12 Rn Rd */
export function addSubImm(sf: number, op: number, s: number, sh: number, imm12: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (op << 30) | (s << 29) | (0b100010 << 23) | (sh << 22) | (field(imm12, 12, "imm12") << 10) | (rn << 5) | rd);
}

/** Logical (immediate): sf opc 100100 N immr imms Rn Rd */
export function logicalImm(sf: number, opc: number, n: number, immr: number, imms: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (opc << 29) | (0b100100 << 23) | (n << 22) | (field(immr, 6, "immr") << 16) | (field(imms, 6, "imms") << 10) | (rn << 5) | rd);
}

/** MOVN/MOVZ/MOVK: sf opc 100101 hw imm16 Rd (opc 00 MOVN, 10 MOVZ, 11 MOVK) */
export function moveWide(sf: number, opc: number, hw: number, imm16: number, rd: Reg): number {
  return u32((sf << 31) | (opc << 29) | (0b100101 << 23) | (hw << 21) | (field(imm16, 16, "imm16") << 5) | rd);
}

/** SBFM/BFM/UBFM: sf opc 100110 N immr imms Rn Rd */
export function bitfield(sf: number, opc: number, immr: number, imms: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (opc << 29) | (0b100110 << 23) | (sf << 22) | (field(immr, 6, "immr") << 16) | (field(imms, 6, "imms") << 10) | (rn << 5) | rd);
}

/** EXTR: sf 00 100111 N 0 Rm imms Rn Rd */
export function extr(sf: number, rm: Reg, lsb: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (0b100111 << 23) | (sf << 22) | (rm << 16) | (field(lsb, 6, "imms") << 10) | (rn << 5) | rd);
}

// ---- Data processing, register ----

/** ADD/SUB (shifted register): sf op S 01011 shift 0 Rm imm6 Rn Rd */
export function addSubShifted(sf: number, op: number, s: number, shift: number, rm: Reg, imm6: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (op << 30) | (s << 29) | (0b01011 << 24) | (shift << 22) | (rm << 16) | (field(imm6, 6, "imm6") << 10) | (rn << 5) | rd);
}

/** ADD/SUB (extended register): sf op S 01011 00 1 Rm option imm3 Rn Rd */
export function addSubExtended(sf: number, op: number, s: number, rm: Reg, option: number, imm3: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (op << 30) | (s << 29) | (0b01011 << 24) | (1 << 21) | (rm << 16) | (option << 13) | (imm3 << 10) | (rn << 5) | rd);
}

/** ADC/ADCS/SBC/SBCS: sf op S 11010000 Rm 000000 Rn Rd */
export function addSubCarry(sf: number, op: number, s: number, rm: Reg, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (op << 30) | (s << 29) | (0b11010000 << 21) | (rm << 16) | (rn << 5) | rd);
}

/** Logical (shifted register): sf opc 01010 shift N Rm imm6 Rn Rd */
export function logicalShifted(sf: number, opc: number, n: number, shift: number, rm: Reg, imm6: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (opc << 29) | (0b01010 << 24) | (shift << 22) | (n << 21) | (rm << 16) | (field(imm6, 6, "imm6") << 10) | (rn << 5) | rd);
}

/** CSEL/CSINC/CSINV/CSNEG: sf op 0 11010100 Rm cond op2 Rn Rd */
export function condSelect(sf: number, op: number, op2: number, rm: Reg, cond: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (op << 30) | (0b11010100 << 21) | (rm << 16) | (cond << 12) | (op2 << 10) | (rn << 5) | rd);
}

/** CCMN/CCMP (register or immediate): sf op 1 11010010 Rm|imm5 cond imm 0 Rn 0 nzcv */
export function condCompare(sf: number, op: number, isImm: number, rmOrImm5: number, cond: number, rn: Reg, nzcv: number): number {
  return u32((sf << 31) | (op << 30) | (1 << 29) | (0b11010010 << 21) | (field(rmOrImm5, 5, "imm5") << 16) | (cond << 12) | (isImm << 11) | (rn << 5) | nzcv);
}

/** Data-processing (2 source): sf 0 0 11010110 Rm opcode Rn Rd */
export function dp2(sf: number, opcode: number, rm: Reg, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (0b11010110 << 21) | (rm << 16) | (opcode << 10) | (rn << 5) | rd);
}
export const DP2 = { udiv: 0b000010, sdiv: 0b000011, lslv: 0b001000, lsrv: 0b001001, asrv: 0b001010, rorv: 0b001011 } as const;
export const CRC_OPS = ["crc32b", "crc32h", "crc32w", "crc32x", "crc32cb", "crc32ch", "crc32cw", "crc32cx"] as const;

/** Data-processing (1 source): sf 1 0 11010110 00000 opcode Rn Rd */
export function dp1(sf: number, opcode: number, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (1 << 30) | (0b11010110 << 21) | (opcode << 10) | (rn << 5) | rd);
}

/** Data-processing (3 source): sf 00 11011 op31 Rm o0 Ra Rn Rd */
export function dp3(sf: number, op31: number, o0: number, rm: Reg, ra: Reg, rn: Reg, rd: Reg): number {
  return u32((sf << 31) | (0b11011 << 24) | (op31 << 21) | (rm << 16) | (o0 << 15) | (ra << 10) | (rn << 5) | rd);
}

// ---- Scaffolding: loads/stores, branches, system ----

/** LDP Xt1, Xt2, [Xn], #imm (post-index) */
export const ldpPost = (rt: Reg, rt2: Reg, rn: Reg, imm: number): number => u32(0xa8c00000 | (((imm / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt);
/** STP Xt1, Xt2, [Xn, #imm] */
export const stpOff = (rt: Reg, rt2: Reg, rn: Reg, imm: number): number => u32(0xa9000000 | (((imm / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt);
/** LDR Xt, [Xn], #imm (post-index) */
export const ldrPost = (rt: Reg, rn: Reg, imm: number): number => u32(0xf8400400 | ((imm & 0x1ff) << 12) | (rn << 5) | rt);
/** STR Xt, [Xn, #imm] */
export const strOff = (rt: Reg, rn: Reg, imm: number): number => u32(0xf9000000 | (field(imm / 8, 12, "imm12") << 10) | (rn << 5) | rt);
/** LDR Wt, [Xn, #imm] */
export const ldrWOff = (rt: Reg, rn: Reg, imm: number): number => u32(0xb9400000 | (field(imm / 4, 12, "imm12") << 10) | (rn << 5) | rt);
/** STR Wt, [Xn, #imm] */
export const strWOff = (rt: Reg, rn: Reg, imm: number): number => u32(0xb9000000 | (field(imm / 4, 12, "imm12") << 10) | (rn << 5) | rt);
export const msrNzcv = (rt: Reg): number => u32(0xd51b4200 | rt);
export const mrsNzcv = (rt: Reg): number => u32(0xd53b4200 | rt);
export const hvc = (imm16: number): number => u32(0xd4000002 | (imm16 << 5));
export const smc = (imm16: number): number => u32(0xd4000003 | (imm16 << 5));
export const ret = (rn: Reg = 30): number => u32(0xd65f0000 | (rn << 5));
/** MOV Xd, Xm (ORR Xd, XZR, Xm) */
export const movReg = (rd: Reg, rm: Reg): number => logicalShifted(1, 0b01, 0, 0, rm, 0, 31, rd);
export const wfi = (): number => 0xd503207f;

/** Branch with a word offset from the branch itself. */
export const b = (offsetWords: number): number => u32(0x14000000 | (offsetWords & 0x3ffffff));
export const bl = (offsetWords: number): number => u32(0x94000000 | (offsetWords & 0x3ffffff));
export const bcond = (cond: number, offsetWords: number): number => u32(0x54000000 | ((offsetWords & 0x7ffff) << 5) | cond);
export const tbnz = (rt: Reg, bit: number, offsetWords: number): number =>
  u32(0x37000000 | ((bit >> 5) << 31) | ((bit & 31) << 19) | ((offsetWords & 0x3fff) << 5) | rt);

/** MOVZ/MOVK sequence loading a 64-bit constant into Xd. */
export function loadConst64(rd: Reg, value: bigint): number[] {
  const out: number[] = [];
  for (let hw = 0; hw < 4; hw++) {
    const chunk = Number((value >> BigInt(16 * hw)) & 0xffffn);
    if (hw === 0) out.push(moveWide(1, 0b10, 0, chunk, rd));
    else if (chunk !== 0) out.push(moveWide(1, 0b11, hw, chunk, rd));
  }
  return out;
}

/**
 * Decodes a logical-immediate (N, immr, imms) into its 64-bit value, or
 * null when the encoding is reserved (ARM ARM J1 DecodeBitMasks).
 */
export function decodeBitMask(sf: number, n: number, immr: number, imms: number): bigint | null {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  if (len < 1 || (sf === 0 && n === 1)) return null;
  const esize = 1 << len;
  const levels = esize - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return null;
  const emask = (1n << BigInt(esize)) - 1n;
  const welem = (1n << BigInt(s + 1)) - 1n;
  const rot = BigInt(r);
  const elem = ((welem >> rot) | (welem << (BigInt(esize) - rot))) & emask;
  const width = sf ? 64 : 32;
  let v = 0n;
  for (let i = 0; i < width; i += esize) v |= elem << BigInt(i);
  return v;
}
