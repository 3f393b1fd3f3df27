/**
 * Random differential testing of integer data processing. Generates
 * deterministic random cases (initial x0-x15 and NZCV plus a short
 * sequence of data-processing instructions that only read and write
 * x0-x15/XZR) and assembles a batch of cases into one bare-metal image:
 *
 *   prologue  VBAR_EL1 = fallback vectors; x28 = case table; x27 = dump area
 *   per case  load x0-x15 and NZCV from the table, run the sequence,
 *             store x0-x15 and NZCV to the dump area, BL dump
 *   epilogue  PSCI SYSTEM_OFF through HVC
 *   dump      prints the 17 saved values as hex on one UART line
 *
 * Any exception prints a line starting with "EXC" and powers off. The
 * instruction words are produced by the encoders in a64.ts, so no
 * assembler is needed when the test runs.
 */
import * as A from "./a64.js";
import { makeElf } from "./elf.js";

export const LOAD_ADDRESS = 0x40080000n;
const UART = 0x09000000n;
const PSCI_SYSTEM_OFF = 0x84000008n;

/** Small fast deterministic PRNG (sfc32), seeded from one integer. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  int(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  u64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
}

export interface Insn {
  word: number;
  text: string;
}

export interface TestCase {
  regs: bigint[]; // x0..x15
  nzcv: number; // 4-bit value, N in bit 3
  insns: Insn[];
}

const SPECIALS: readonly bigint[] = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen,
  0xffffffff80000000n, 0xffffffff7fffffffn, 63n, 64n, 31n, 32n, 0x5555555555555555n, 0xaaaaaaaaaaaaaaaan,
];

function randomValue(rng: Rng): bigint {
  switch (rng.int(6)) {
    case 0:
    case 1:
      return rng.pick(SPECIALS);
    case 2:
      return BigInt(rng.int(256));
    case 3: {
      // 32-bit value, sometimes sign-extended
      const v = BigInt(rng.next());
      return rng.chance(0.5) && v >= 0x80000000n ? v | 0xffffffff00000000n : v;
    }
    case 4:
      return rng.u64() >> BigInt(rng.int(64));
    default:
      return rng.u64();
  }
}

const hex = (v: number | bigint): string => "#0x" + v.toString(16);

/** Destination register: x0-x15, occasionally the zero register where the form allows it. */
function rdZ(rng: Rng): number {
  return rng.chance(0.05) ? 31 : rng.int(16);
}
function rsZ(rng: Rng): number {
  return rng.chance(0.08) ? 31 : rng.int(16);
}
function r(rng: Rng): number {
  return rng.int(16);
}

type Gen = (rng: Rng) => Insn;

const GENERATORS: Array<[number, Gen]> = [
  // ADD/SUB (immediate); Rn = 31 would be SP, so it is never used.
  [6, (g) => {
    const sf = g.int(2), op = g.int(2), s = g.int(2), sh = g.chance(0.3) ? 1 : 0;
    const imm = g.chance(0.3) ? g.pick([0, 1, 0xfff, 0x800]) : g.int(4096);
    const rn = r(g), rd = s ? rdZ(g) : r(g);
    const name = ["add", "sub"][op]! + (s ? "s" : "");
    return { word: A.addSubImm(sf, op, s, sh, imm, rn, rd), text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${hex(imm)}${sh ? ", lsl #12" : ""}` };
  }],
  // ADD/SUB (shifted register)
  [6, (g) => {
    const sf = g.int(2), op = g.int(2), s = g.int(2), shift = g.int(3), amount = g.int(sf ? 64 : 32);
    const rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    const name = ["add", "sub"][op]! + (s ? "s" : "");
    return {
      word: A.addSubShifted(sf, op, s, shift, rm, amount, rn, rd),
      text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${A.regName(rm, sf)}, ${A.SHIFT_NAMES[shift]} #${amount}`,
    };
  }],
  // ADD/SUB (extended register)
  [5, (g) => {
    const sf = g.int(2), op = g.int(2), s = g.int(2), option = g.int(8), imm3 = g.int(5);
    const rm = rsZ(g), rn = r(g), rd = s ? rdZ(g) : r(g);
    const name = ["add", "sub"][op]! + (s ? "s" : "");
    const rmWide = sf && (option & 3) === 3 ? 1 : 0;
    return {
      word: A.addSubExtended(sf, op, s, rm, option, imm3, rn, rd),
      text: `${name} ${A.regName(rd, sf, !s)}, ${A.regName(rn, sf, true)}, ${A.regName(rm, rmWide)}, ${A.EXTEND_NAMES[option]} #${imm3}`,
    };
  }],
  // ADC/ADCS/SBC/SBCS
  [4, (g) => {
    const sf = g.int(2), op = g.int(2), s = g.int(2), rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    const name = ["adc", "sbc"][op]! + (s ? "s" : "");
    return { word: A.addSubCarry(sf, op, s, rm, rn, rd), text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${A.regName(rm, sf)}` };
  }],
  // Logical (shifted register)
  [6, (g) => {
    const sf = g.int(2), opc = g.int(4), n = g.int(2), shift = g.int(4), amount = g.int(sf ? 64 : 32);
    const rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    const name = [["and", "bic"], ["orr", "orn"], ["eor", "eon"], ["ands", "bics"]][opc]![n]!;
    return {
      word: A.logicalShifted(sf, opc, n, shift, rm, amount, rn, rd),
      text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${A.regName(rm, sf)}, ${A.SHIFT_NAMES[shift]} #${amount}`,
    };
  }],
  // Logical (immediate); Rd = 31 is SP except for ANDS.
  [5, (g) => {
    const sf = g.int(2), opc = g.int(4);
    const sizes = sf ? [2, 4, 8, 16, 32, 64] : [2, 4, 8, 16, 32];
    const esize = g.pick(sizes), ones = 1 + g.int(esize - 1), rot = g.int(esize);
    const n = esize === 64 ? 1 : 0;
    const imms = esize === 64 ? ones - 1 : ((0x7e & ~(2 * esize - 1)) & 0x3f) | (ones - 1);
    const value = A.decodeBitMask(sf, n, rot, imms);
    if (value === null) throw new Error(`bad bitmask esize=${esize} ones=${ones}`);
    const rn = rsZ(g), rd = opc === 3 ? rdZ(g) : r(g);
    const name = ["and", "orr", "eor", "ands"][opc]!;
    return { word: A.logicalImm(sf, opc, n, rot, imms, rn, rd), text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${hex(value)}` };
  }],
  // MOVN/MOVZ/MOVK
  [4, (g) => {
    const sf = g.int(2), opc = g.pick([0, 2, 3]), hw = g.int(sf ? 4 : 2), imm = g.chance(0.2) ? g.pick([0, 0xffff, 0x8000]) : g.int(0x10000);
    const rd = rdZ(g);
    const name = { 0: "movn", 2: "movz", 3: "movk" }[opc]!;
    return { word: A.moveWide(sf, opc, hw, imm, rd), text: `${name} ${A.regName(rd, sf)}, ${hex(imm)}, lsl #${16 * hw}` };
  }],
  // SBFM/BFM/UBFM
  [6, (g) => {
    const sf = g.int(2), opc = g.int(3), w = sf ? 64 : 32, immr = g.int(w), imms = g.int(w), rn = rsZ(g), rd = rdZ(g);
    const name = ["sbfm", "bfm", "ubfm"][opc]!;
    return { word: A.bitfield(sf, opc, immr, imms, rn, rd), text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, #${immr}, #${imms}` };
  }],
  // EXTR
  [3, (g) => {
    const sf = g.int(2), lsb = g.int(sf ? 64 : 32), rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    return { word: A.extr(sf, rm, lsb, rn, rd), text: `extr ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${A.regName(rm, sf)}, #${lsb}` };
  }],
  // CSEL/CSINC/CSINV/CSNEG
  [5, (g) => {
    const sf = g.int(2), op = g.int(2), op2 = g.int(2), cond = g.int(16), rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    const name = [["csel", "csinc"], ["csinv", "csneg"]][op]![op2]!;
    return {
      word: A.condSelect(sf, op, op2, rm, cond, rn, rd),
      text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${A.regName(rm, sf)}, ${A.COND_NAMES[cond]}`,
    };
  }],
  // CCMN/CCMP (register and immediate)
  [4, (g) => {
    const sf = g.int(2), op = g.int(2), isImm = g.int(2), cond = g.int(16), nzcv = g.int(16), rn = rsZ(g);
    const second = isImm ? g.int(32) : rsZ(g);
    const name = ["ccmn", "ccmp"][op]!;
    const operand = isImm ? `#${second}` : A.regName(second, sf);
    return { word: A.condCompare(sf, op, isImm, second, cond, rn, nzcv), text: `${name} ${A.regName(rn, sf)}, ${operand}, #${nzcv}, ${A.COND_NAMES[cond]}` };
  }],
  // UDIV/SDIV/LSLV/LSRV/ASRV/RORV
  [4, (g) => {
    const sf = g.int(2), name = g.pick(Object.keys(A.DP2) as Array<keyof typeof A.DP2>), rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    return { word: A.dp2(sf, A.DP2[name], rm, rn, rd), text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}, ${A.regName(rm, sf)}` };
  }],
  // CRC32/CRC32C
  [3, (g) => {
    const op = g.int(8), sz = op & 3, sf = sz === 3 ? 1 : 0, rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    return {
      word: A.dp2(sf, 0b010000 | op, rm, rn, rd),
      text: `${A.CRC_OPS[op]} ${A.regName(rd, 0)}, ${A.regName(rn, 0)}, ${A.regName(rm, sf)}`,
    };
  }],
  // RBIT/REV16/REV32/REV/CLZ/CLS
  [4, (g) => {
    const sf = g.int(2);
    const ops = sf ? [[0, "rbit"], [1, "rev16"], [2, "rev32"], [3, "rev"], [4, "clz"], [5, "cls"]] : [[0, "rbit"], [1, "rev16"], [2, "rev"], [4, "clz"], [5, "cls"]];
    const [opcode, name] = g.pick(ops) as [number, string];
    const rn = rsZ(g), rd = rdZ(g);
    return { word: A.dp1(sf, opcode, rn, rd), text: `${name} ${A.regName(rd, sf)}, ${A.regName(rn, sf)}` };
  }],
  // MADD/MSUB/SMADDL/SMSUBL/UMADDL/UMSUBL/SMULH/UMULH
  [5, (g) => {
    const forms: Array<[string, number, number, number]> = [
      ["madd", -1, 0, 0], ["msub", -1, 0, 1], ["smaddl", 1, 1, 0], ["smsubl", 1, 1, 1],
      ["umaddl", 1, 5, 0], ["umsubl", 1, 5, 1], ["smulh", 1, 2, 0], ["umulh", 1, 6, 0],
    ];
    const [name, fixedSf, op31, o0] = g.pick(forms);
    const sf = fixedSf === -1 ? g.int(2) : fixedSf;
    const rm = rsZ(g), rn = rsZ(g), rd = rdZ(g);
    const ra = op31 === 2 || op31 === 6 ? 31 : rsZ(g);
    const long = op31 === 1 || op31 === 5;
    const srcSf = long ? 0 : sf;
    const text = op31 === 2 || op31 === 6
      ? `${name} ${A.regName(rd, 1)}, ${A.regName(rn, 1)}, ${A.regName(rm, 1)}`
      : `${name} ${A.regName(rd, sf)}, ${A.regName(rn, srcSf)}, ${A.regName(rm, srcSf)}, ${A.regName(ra, sf)}`;
    return { word: A.dp3(sf, op31, o0, rm, ra, rn, rd), text };
  }],
];

const TOTAL_WEIGHT = GENERATORS.reduce((s, [w]) => s + w, 0);

export function randomInstruction(rng: Rng): Insn {
  let pick = rng.int(TOTAL_WEIGHT);
  for (const [w, gen] of GENERATORS) {
    if (pick < w) return gen(rng);
    pick -= w;
  }
  throw new Error("unreachable");
}

export function randomCase(rng: Rng, maxLength = 6): TestCase {
  const regs = Array.from({ length: 16 }, () => randomValue(rng));
  const nzcv = rng.int(16);
  const n = 1 + rng.int(maxLength);
  const insns = Array.from({ length: n }, () => randomInstruction(rng));
  return { regs, nzcv, insns };
}

/** Fixed-length MOVZ/MOVK x4 so the prologue size does not depend on the value. */
function loadConstFixed(rd: number, value: bigint): number[] {
  return [0, 1, 2, 3].map((hw) => A.moveWide(1, hw === 0 ? 0b10 : 0b11, hw, Number((value >> BigInt(16 * hw)) & 0xffffn), rd));
}

const MSR_VBAR_EL1 = (rt: number): number => (0xd518c000 | rt) >>> 0;

export interface BatchImage {
  elf: Buffer;
  cases: TestCase[];
}

/** Assembles cases into one ELF image; see the file comment for the layout. */
export function buildBatchImage(cases: TestCase[]): BatchImage {
  const code: number[] = [];
  const fixups: Array<{ at: number; target: string; kind: "bl" | "b" | "bcond" | "tbnz"; cond?: number; rt?: number; bit?: number }> = [];
  const labels = new Map<string, number>();
  const here = (): number => code.length;
  const emit = (...words: number[]): void => {
    code.push(...words);
  };
  const branch = (kind: "bl" | "b", target: string): void => {
    fixups.push({ at: here(), target, kind });
    emit(0);
  };
  const bcond = (cond: number, target: string): void => {
    fixups.push({ at: here(), target, kind: "bcond", cond });
    emit(0);
  };
  const tbnz = (rt: number, bit: number, target: string): void => {
    fixups.push({ at: here(), target, kind: "tbnz", rt, bit });
    emit(0);
  };
  const label = (name: string): void => {
    labels.set(name, here());
  };
  const dataPatch: Array<{ at: number; what: "table" | "scratch" | "vectors" }> = [];

  // Prologue: constants patched once the data layout is known.
  dataPatch.push({ at: here(), what: "vectors" });
  emit(...loadConstFixed(0, 0n), MSR_VBAR_EL1(0), 0xd5033fdf /* isb */);
  dataPatch.push({ at: here(), what: "table" });
  emit(...loadConstFixed(28, 0n));
  dataPatch.push({ at: here(), what: "scratch" });
  emit(...loadConstFixed(27, 0n));

  for (const c of cases) {
    for (let i = 0; i < 16; i += 2) emit(A.ldpPost(i, i + 1, 28, 16));
    emit(A.ldrPost(16, 28, 8), A.msrNzcv(16));
    for (const insn of c.insns) emit(insn.word);
    emit(A.mrsNzcv(16));
    for (let i = 0; i < 16; i += 2) emit(A.stpOff(i, i + 1, 27, i * 8));
    emit(A.strOff(16, 27, 128));
    branch("bl", "dump");
  }
  emit(...A.loadConst64(0, PSCI_SYSTEM_OFF), A.hvc(0));
  label("hang");
  emit(A.wfi());
  branch("b", "hang");

  // dump: print the 17 doublewords at x27 as hex, then a newline.
  label("dump");
  emit(A.movReg(25, 30), A.movReg(19, 27), A.moveWide(1, 0b10, 0, 17, 20));
  label("dump_word");
  emit(A.ldrPost(21, 19, 8), A.moveWide(1, 0b10, 0, 60, 22));
  label("dump_digit");
  emit(
    A.dp2(1, A.DP2.lsrv, 22, 21, 23), // lsr x23, x21, x22
    A.logicalImm(1, 0, 1, 0, 3, 23, 23), // and x23, x23, #0xf
    A.addSubImm(1, 0, 0, 0, 0x30, 23, 24), // add x24, x23, #'0'
    A.addSubImm(1, 1, 1, 0, 10, 23, 31), // cmp x23, #10
  );
  bcond(3 /* cc/lo */, "dump_put");
  emit(A.addSubImm(1, 0, 0, 0, 0x57, 23, 24)); // add x24, x23, #('a' - 10)
  label("dump_put");
  branch("bl", "putc");
  emit(A.addSubImm(1, 1, 1, 0, 4, 22, 22)); // subs x22, x22, #4
  bcond(10 /* ge */, "dump_digit");
  emit(A.moveWide(1, 0b10, 0, 0x20, 24));
  branch("bl", "putc");
  emit(A.addSubImm(1, 1, 1, 0, 1, 20, 20)); // subs x20, x20, #1
  bcond(1 /* ne */, "dump_word");
  emit(A.moveWide(1, 0b10, 0, 0x0a, 24));
  branch("bl", "putc");
  emit(A.ret(25));

  // putc: write w24 to the PL011 once the transmit FIFO has room.
  label("putc");
  emit(A.moveWide(1, 0b10, 1, Number(UART >> 16n), 17));
  label("putc_wait");
  emit(A.ldrWOff(18, 17, 0x18));
  tbnz(18, 5, "putc_wait");
  emit(A.strWOff(24, 17, 0), A.ret());

  // exception: print "EXC" and power off.
  label("exception");
  for (const ch of "EXC\n") {
    emit(A.moveWide(1, 0b10, 0, ch.charCodeAt(0), 24));
    branch("bl", "putc");
  }
  emit(...A.loadConst64(0, PSCI_SYSTEM_OFF), A.hvc(0));
  branch("b", "hang");

  // Vector table: 2 KB aligned, every entry branches to "exception".
  while (code.length % 512 !== 0) emit(0);
  label("vectors");
  for (let v = 0; v < 16; v++) {
    branch("b", "exception");
    while (code.length % 32 !== 0) emit(0);
  }

  for (const f of fixups) {
    const target = labels.get(f.target);
    if (target === undefined) throw new Error(`undefined label ${f.target}`);
    const off = target - f.at;
    code[f.at] =
      f.kind === "bl" ? A.bl(off) : f.kind === "b" ? A.b(off) : f.kind === "bcond" ? A.bcond(f.cond!, off) : A.tbnz(f.rt!, f.bit!, off);
  }

  const codeBytes = code.length * 4;
  const tableOffset = (codeBytes + 15) & ~15;
  const tableBytes = cases.length * 17 * 8;
  const scratchOffset = (tableOffset + tableBytes + 15) & ~15;
  const total = scratchOffset + 17 * 8;
  const image = Buffer.alloc(total);
  const vectorsAddr = LOAD_ADDRESS + BigInt(labels.get("vectors")! * 4);
  for (const p of dataPatch) {
    const value = p.what === "table" ? LOAD_ADDRESS + BigInt(tableOffset) : p.what === "scratch" ? LOAD_ADDRESS + BigInt(scratchOffset) : vectorsAddr;
    const words = loadConstFixed(p.what === "table" ? 28 : p.what === "scratch" ? 27 : 0, value);
    words.forEach((w, i) => (code[p.at + i] = w));
  }
  code.forEach((w, i) => image.writeUInt32LE(w >>> 0, i * 4));
  let off = tableOffset;
  for (const c of cases) {
    for (const v of c.regs) {
      image.writeBigUInt64LE(v & 0xffffffffffffffffn, off);
      off += 8;
    }
    image.writeBigUInt64LE(BigInt(c.nzcv) << 28n, off);
    off += 8;
  }
  return { elf: makeElf(image, LOAD_ADDRESS), cases };
}

export function generateBatch(seed: number, count: number, maxLength = 6): TestCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => randomCase(rng, maxLength));
}

/** Splits a batch's UART output into per-case register dumps (17 hex strings each). */
export function parseDump(output: Buffer | string): string[][] {
  const text = typeof output === "string" ? output : output.toString("latin1");
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.trim().split(/\s+/));
}

export const DUMP_NAMES = [...Array.from({ length: 16 }, (_, i) => `x${i}`), "nzcv"];

function nzcvText(v: number): string {
  return ["N", "Z", "C", "V"].map((f, i) => ((v >> (3 - i)) & 1 ? f : f.toLowerCase())).join("");
}

/** Human-readable description of a case, for failure messages. */
export function describeCase(c: TestCase): string {
  const lines: string[] = [];
  lines.push("  initial state:");
  for (let i = 0; i < 16; i += 4)
    lines.push("    " + [0, 1, 2, 3].map((k) => `x${i + k}`.padStart(3) + "=" + c.regs[i + k]!.toString(16).padStart(16, "0")).join("  "));
  lines.push(`    nzcv=${nzcvText(c.nzcv)}`);
  lines.push("  instructions:");
  for (const insn of c.insns) lines.push(`    .inst 0x${insn.word.toString(16).padStart(8, "0")}    // ${insn.text}`);
  return lines.join("\n");
}

/** Formats a dumped NZCV register value (hex string) as flags. */
export function dumpedNzcv(hexValue: string): string {
  return nzcvText(Number(BigInt("0x" + hexValue) >> 28n) & 0xf);
}
