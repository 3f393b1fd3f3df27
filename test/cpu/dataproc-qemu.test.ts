/**
 * Differential test of the integer data-processing group against QEMU.
 *
 * Random instructions of every pattern in the group (registers restricted to X0-X3, SP and the
 * zero register) get random operands and flags. A bare-metal image runs each case under
 * `qemu-system-aarch64 -M virt -cpu cortex-a53`: load X0-X3, SP and NZCV from a table, execute
 * the instruction, store X0-X3, SP and NZCV, and finally print the result block in hex on the
 * PL011 UART and power off through PSCI. The same instructions, at the same addresses, run one
 * at a time on a Tessera CPU in-process; the results must be identical.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getDecoder, disassemble } from "../../src/cpu/isa/index.js";
import { dataProcGroup } from "../../src/cpu/isa/dataproc.js";
import { compilePattern } from "../../src/cpu/isa/table.js";
import { runQemuImage, describeExit } from "../harness/emulators.js";
import { commandExists } from "../harness/process.js";
import { QEMU } from "../harness/paths.js";
import { xorshift32 } from "../harness/rng.js";
import { makeCpu } from "./make-cpu.js";

/** Case count and seed; TESSERA_DP_CASES / TESSERA_DP_SEED run larger or different sweeps. */
const CASES = Number(process.env.TESSERA_DP_CASES ?? 4000);
const SEED = Number(process.env.TESSERA_DP_SEED ?? 0xda7a9c0c);
const LOAD_ADDR = 0x40200000;
const UART = 0x09000000;
/** Per case: X0-X3, SP, NZCV (bits 31:28) as 64-bit words, both for inputs and results. */
const REC_WORDS = 6;
const REC_BYTES = REC_WORDS * 8;

// ---- the few scaffolding instructions the image needs (encodings from ARM ARM C6.2) ----
const ldpPost = (rt: number, rt2: number, rn: number): number => (0xa8c10000 | (rt2 << 10) | (rn << 5) | rt) >>> 0; // #16
const stpPost = (rt: number, rt2: number, rn: number): number => (0xa8810000 | (rt2 << 10) | (rn << 5) | rt) >>> 0; // #16
const addImm0 = (rd: number, rn: number): number => (0x91000000 | (rn << 5) | rd) >>> 0; // mov to/from SP
const msrNzcv = (rt: number): number => (0xd51b4200 | rt) >>> 0;
const mrsNzcv = (rt: number): number => (0xd53b4200 | rt) >>> 0;
const movz = (rd: number, imm16: number, hw: number): number => (0xd2800000 | (hw << 21) | (imm16 << 5) | rd) >>> 0;
const movk = (rd: number, imm16: number, hw: number): number => (0xf2800000 | (hw << 21) | (imm16 << 5) | rd) >>> 0;
const ldrbPost1 = (rt: number, rn: number): number => (0x38401400 | (rn << 5) | rt) >>> 0; // ldrb wt, [xn], #1
const ldrbReg = (rt: number, rn: number, rm: number): number => (0x38606800 | (rm << 16) | (rn << 5) | rt) >>> 0;
const strb = (rt: number, rn: number): number => (0x39000000 | (rn << 5) | rt) >>> 0;
const lsrW4 = (rd: number, rn: number): number => (0x53047c00 | (rn << 5) | rd) >>> 0; // ubfm wd, wn, #4, #31
const andW15 = (rd: number, rn: number): number => (0x12000c00 | (rn << 5) | rd) >>> 0; // and wd, wn, #0xf
const cmpX = (rn: number, rm: number): number => (0xeb00001f | (rm << 16) | (rn << 5)) >>> 0;
const bne = (offWords: number): number => (0x54000001 | ((offWords & 0x7ffff) << 5)) >>> 0;
const hvc0 = 0xd4000002;
const branchSelf = 0x14000000;

function loadAddr(rd: number, addr: number): number[] {
  return [movz(rd, addr & 0xffff, 0), movk(rd, addr >>> 16, 1)];
}

const SPECIAL = [0n, 1n, 2n, 0xffffffffffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffn,
  0x80000000n, 0x7fffffffn, 0x100000000n, 0xffffffff80000000n, 0xfffffffffffffffen, 0x8000000000000001n];

function randomValue(next: () => number): bigint {
  const r = next() % 100;
  const w = (): bigint => BigInt(next() >>> 0);
  if (r < 30) return (w() << 32n) | w();
  if (r < 45) return BigInt(next() % 70);
  if (r < 60) return SPECIAL[next() % SPECIAL.length];
  if (r < 72) return w();
  if (r < 84) return BigInt.asUintN(64, BigInt.asIntN(32, w()));
  if (r < 92) return BigInt.asUintN(64, -BigInt(next() % 70));
  return (BigInt(next() % 4) << 62n) | (w() << 16n) | (w() & 0xffffn);
}

interface Case { word: number; inputs: bigint[] }

const REG_FIELDS = new Set(["rd", "rn", "rm", "ra"]);
const REG_CHOICES = [0, 1, 2, 3, 0, 1, 2, 3, 31];

function generateCases(): Case[] {
  const next = xorshift32(SEED);
  const decoder = getDecoder();
  const ours = new Set(dataProcGroup.map(d => d.name));
  const compiled = dataProcGroup.map(compilePattern);
  const cases: Case[] = [];
  while (cases.length < CASES) {
    const c = compiled[cases.length % compiled.length];
    let word = ((next() & ~c.mask) | c.value) >>> 0;
    for (const f of c.fields) {
      if (!REG_FIELDS.has(f.name)) continue;
      const r = REG_CHOICES[next() % REG_CHOICES.length];
      word = ((word & ~(31 << f.shift)) | (r << f.shift)) >>> 0;
    }
    const d = decoder.decode(word);
    if (!ours.has(d.def.name)) continue; // a reserved encoding: UNDEFINED, not compared here
    const inputs = [0, 1, 2, 3].map(() => randomValue(next));
    // SP: any value (it is only moved, never used as an address here).
    inputs.push(randomValue(next));
    inputs.push(BigInt(next() & 0xf) << 28n);
    cases.push({ word, inputs });
  }
  return cases;
}

interface Image { bytes: Uint8Array; insnAddr: number[]; outAddr: number }

function buildImage(cases: Case[]): Image {
  const code: number[] = [];
  const codeWordsPerCase = 11;
  const prologueWords = 4;
  const epilogueWords = 23;
  const codeBytes = (prologueWords + cases.length * codeWordsPerCase + epilogueWords) * 4;
  const hexAddr = LOAD_ADDR + codeBytes;
  const inAddr = hexAddr + 16;
  const outAddr = inAddr + cases.length * REC_BYTES;
  const total = outAddr + cases.length * REC_BYTES - LOAD_ADDR;

  // x20: input records, x21: result records.
  code.push(...loadAddr(20, inAddr), ...loadAddr(21, outAddr));
  const insnAddr: number[] = [];
  for (const c of cases) {
    code.push(ldpPost(0, 1, 20), ldpPost(2, 3, 20), ldpPost(4, 5, 20), addImm0(31, 4), msrNzcv(5));
    insnAddr.push(LOAD_ADDR + code.length * 4);
    code.push(c.word);
    code.push(mrsNzcv(5), addImm0(4, 31), stpPost(0, 1, 21), stpPost(2, 3, 21), stpPost(4, 5, 21));
  }
  // Print the result block as hex: x21 cursor, x22 end, x23 UART data register, x24 digits.
  const epilogueStart = code.length;
  code.push(...loadAddr(21, outAddr), ...loadAddr(22, outAddr + cases.length * REC_BYTES), ...loadAddr(23, UART), ...loadAddr(24, hexAddr));
  const loop = code.length;
  code.push(ldrbPost1(0, 21), lsrW4(1, 0), andW15(0, 0), ldrbReg(1, 24, 1), strb(1, 23), ldrbReg(0, 24, 0), strb(0, 23), cmpX(21, 22));
  code.push(bne(loop - code.length));
  // Newline, then PSCI SYSTEM_OFF (function 0x84000008) through HVC.
  code.push(0x52800140 /* movz w0, #10 */, strb(0, 23));
  code.push(0x52800100 /* movz w0, #0x8 */, 0x72b08000 /* movk w0, #0x8400, lsl #16 */, hvc0, branchSelf);
  assert.equal(code.length - epilogueStart, epilogueWords);
  assert.equal(code.length * 4, codeBytes);

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  code.forEach((w, i) => view.setUint32(i * 4, w, true));
  bytes.set(new TextEncoder().encode("0123456789abcdef"), hexAddr - LOAD_ADDR);
  cases.forEach((c, i) => c.inputs.forEach((v, j) => view.setBigUint64(inAddr - LOAD_ADDR + i * REC_BYTES + j * 8, v, true)));
  return { bytes, insnAddr, outAddr };
}

/** Run every case on a Tessera CPU: same memory image, one instruction at a time. */
function runOnTessera(cases: Case[], image: Image): bigint[][] {
  const m = makeCpu();
  const { cpu } = m;
  if (!m.bus.load(LOAD_ADDR, image.bytes)) throw new Error("image does not fit in RAM");
  const results: bigint[][] = [];
  cases.forEach((c, i) => {
    for (let r = 0; r < 4; r++) {
      cpu.x[r * 2] = Number(c.inputs[r] & 0xffffffffn) | 0;
      cpu.x[r * 2 + 1] = Number(c.inputs[r] >> 32n) | 0;
    }
    cpu.x[62] = Number(c.inputs[4] & 0xffffffffn) | 0;
    cpu.x[63] = Number(c.inputs[4] >> 32n) | 0;
    const nzcv = Number(c.inputs[5] >> 28n);
    cpu.nf = (nzcv >> 3) & 1; cpu.zf = (nzcv >> 2) & 1; cpu.cf = (nzcv >> 1) & 1; cpu.vf = nzcv & 1;
    cpu.pcLo = image.insnAddr[i]; cpu.pcHi = 0;
    const ran = cpu.run(1);
    assert.equal(ran, 1);
    const pair = (slot: number): bigint => (BigInt(cpu.x[slot * 2 + 1] >>> 0) << 32n) | BigInt(cpu.x[slot * 2] >>> 0);
    const flags = BigInt(((cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf) >>> 0) << 28n;
    results.push([pair(0), pair(1), pair(2), pair(3), pair(31), flags]);
  });
  return results;
}

const hex = (v: bigint): string => "0x" + v.toString(16).padStart(16, "0");

test("data-processing instructions match QEMU on random operands", async (t) => {
  if (!commandExists(QEMU)) { t.skip(`${QEMU} not installed; skipping the QEMU comparison`); return; }
  const cases = generateCases();
  const image = buildImage(cases);
  const r = await runQemuImage(image.bytes, LOAD_ADDR, { timeoutMs: 60000 + CASES * 10 });
  assert.ok(!r.timedOut && !r.spawnError, `${describeExit(r)}\n${r.stderr}`);
  const hexText = /[0-9a-f]{64,}/.exec(r.stdout.toString("latin1"))?.[0] ?? "";
  assert.equal(hexText.length, cases.length * REC_BYTES * 2, "QEMU printed an incomplete result block");
  const qemu = Buffer.from(hexText, "hex");
  const ours = runOnTessera(cases, image);

  const names = ["x0", "x1", "x2", "x3", "sp", "nzcv"];
  const failures: string[] = [];
  const perDef = new Map<string, number>();
  cases.forEach((c, i) => {
    const name = getDecoder().decode(c.word).def.name;
    perDef.set(name, (perDef.get(name) ?? 0) + 1);
    const diffs: string[] = [];
    for (let j = 0; j < REC_WORDS; j++) {
      const q = qemu.readBigUInt64LE(i * REC_BYTES + j * 8);
      if (q !== ours[i][j]) diffs.push(`${names[j]} qemu ${hex(q)} tessera ${hex(ours[i][j])}`);
    }
    if (diffs.length) {
      failures.push(`${c.word.toString(16).padStart(8, "0")} ${disassemble(c.word, BigInt(image.insnAddr[i]))} ` +
        `[in ${c.inputs.map(hex).join(" ")}]: ${diffs.join("; ")}`);
    }
  });
  t.diagnostic(`${cases.length} cases compared: ${[...perDef].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  assert.deepEqual(failures.slice(0, 30), [], `${failures.length} of ${cases.length} cases differ`);
});
