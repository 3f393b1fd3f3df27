/**
 * Plumbing for the Advanced SIMD tests: the binutils oracle in the SIMD tests' form (one tab
 * after the mnemonic) and a tiny encoder for the bare-metal image they run under QEMU.
 */
import { assembleAndDump, crossToolchainMissing, normaliseObjdump } from "../harness/toolchain.js";

export const haveBinutils = (): boolean => !crossToolchainMissing();

export interface Assembled {
  asm: string;
  word: number;
  /** objdump's text: mnemonic and operands separated by one tab, spaces normalised. */
  text: string;
}

/** Normalise disassembly for comparison: one tab after the mnemonic, single spaces, no comment. */
export const normalise = (s: string): string => normaliseObjdump(s, { mnemonicTab: true });

/** Assemble one instruction per line; returns each line's word and objdump's disassembly. */
export function assembleAll(lines: string[]): Assembled[] {
  const out = assembleAndDump(lines.join("\n"), { march: "armv8-a" })
    .map(({ pc, word, text }) => ({ asm: lines[pc / 4], word, text: normalise(text) }));
  if (out.length !== lines.length) throw new Error(`assembled ${out.length} of ${lines.length} lines`);
  return out;
}

// ---------------------------------------------------------------- a tiny A64 encoder

export const enc = {
  movz: (rd: number, imm16: number, hw: number) => (0xd2800000 | (hw << 21) | ((imm16 & 0xffff) << 5) | rd) >>> 0,
  movk: (rd: number, imm16: number, hw: number) => (0xf2800000 | (hw << 21) | ((imm16 & 0xffff) << 5) | rd) >>> 0,
  /** LDP Qt, Qt2, [Xn, #off] */
  ldpQ: (rt: number, rt2: number, rn: number, off: number) => (0xad400000 | (((off / 16) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0,
  ldpX: (rt: number, rt2: number, rn: number, off: number) => (0xa9400000 | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0,
  stpX: (rt: number, rt2: number, rn: number, off: number) => (0xa9000000 | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0,
  ldrX: (rt: number, rn: number, off: number) => (0xf9400000 | ((off / 8) << 10) | (rn << 5) | rt) >>> 0,
  strQ: (rt: number, rn: number, off: number) => (0x3d800000 | ((off / 16) << 10) | (rn << 5) | rt) >>> 0,
  addImm: (rd: number, rn: number, imm: number) => (0x91000000 | (imm << 10) | (rn << 5) | rd) >>> 0,
  subsImm: (rd: number, rn: number, imm: number) => (0xf1000000 | (imm << 10) | (rn << 5) | rd) >>> 0,
  msrFpcr: (rt: number) => (0xd51b4400 | rt) >>> 0,
  msrFpsr: (rt: number) => (0xd51b4420 | rt) >>> 0,
  mrsFpsr: (rt: number) => (0xd53b4420 | rt) >>> 0,
  msrCpacr: (rt: number) => (0xd5181040 | rt) >>> 0,
  isb: () => 0xd5033fdf,
  /** LDRB Wt, [Xn], #imm (post-index) */
  ldrbPost: (rt: number, rn: number, imm: number) => (0x38400400 | ((imm & 0x1ff) << 12) | (rn << 5) | rt) >>> 0,
  /** LDRB Wt, [Xn, Xm] */
  ldrbReg: (rt: number, rn: number, rm: number) => (0x38606800 | (rm << 16) | (rn << 5) | rt) >>> 0,
  strb: (rt: number, rn: number) => (0x39000000 | (rn << 5) | rt) >>> 0,
  lsrW: (rd: number, rn: number, sh: number) => (0x53000000 | (sh << 16) | (31 << 10) | (rn << 5) | rd) >>> 0,
  andW15: (rd: number, rn: number) => (0x12000c00 | (rn << 5) | rd) >>> 0,
  bne: (offWords: number) => (0x54000001 | ((offWords & 0x7ffff) << 5)) >>> 0,
  b: (offWords: number) => (0x14000000 | (offWords & 0x3ffffff)) >>> 0,
  hvc0: () => 0xd4000002,
};

/** Load a 64-bit constant (< 2^48) into Xd with MOVZ/MOVK. */
export function movImm(rd: number, v: number): number[] {
  return [enc.movz(rd, v & 0xffff, 0), enc.movk(rd, Math.floor(v / 65536) & 0xffff, 1), enc.movk(rd, Math.floor(v / 2 ** 32) & 0xffff, 2)];
}
