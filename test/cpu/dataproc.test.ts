/**
 * Directed semantics of the integer data-processing group (no external tools needed): the
 * architecturally special cases (division by zero and overflow, AddWithCarry flags, high-half
 * multiplies, CRC check values, bitfield corner cases) and UNDEFINED for reserved encodings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EC } from "../../src/cpu/cpu.js";
import { SR } from "../../src/cpu/sysregs.js";
import { makeCpu, type TestMachine } from "./make-cpu.js";

const CODE = 0x40001000;

function setX(m: TestMachine, r: number, v: bigint): void {
  v = BigInt.asUintN(64, v);
  m.cpu.x[r * 2] = Number(v & 0xffffffffn) | 0;
  m.cpu.x[r * 2 + 1] = Number(v >> 32n) | 0;
}

function getX(m: TestMachine, r: number): bigint {
  return (BigInt(m.cpu.x[r * 2 + 1] >>> 0) << 32n) | BigInt(m.cpu.x[r * 2] >>> 0);
}

function nzcv(m: TestMachine): string {
  const c = m.cpu;
  return `${c.nf ? "N" : "n"}${c.zf ? "Z" : "z"}${c.cf ? "C" : "c"}${c.vf ? "V" : "v"}`;
}

/** Execute one instruction word with X registers preset; returns the machine afterwards. */
function exec(word: number, regs: Record<number, bigint>, flags = 0): TestMachine {
  const m = makeCpu(1 << 20);
  for (const [r, v] of Object.entries(regs)) setX(m, Number(r), v);
  m.cpu.nf = (flags >> 3) & 1; m.cpu.zf = (flags >> 2) & 1; m.cpu.cf = (flags >> 1) & 1; m.cpu.vf = flags & 1;
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, word, true);
  m.bus.load(CODE, bytes);
  m.cpu.pcLo = CODE; m.cpu.pcHi = 0;
  assert.equal(m.cpu.run(1), 1);
  return m;
}

const MIN64 = 0x8000000000000000n;
const M1 = 0xffffffffffffffffn;

test("division: by zero gives 0, INT_MIN / -1 gives INT_MIN, rounding toward zero", () => {
  assert.equal(getX(exec(0x9ac20c20, { 1: MIN64, 2: M1 }), 0), MIN64); // sdiv x0, x1, x2
  assert.equal(getX(exec(0x9ac20c20, { 1: 1234n, 2: 0n }), 0), 0n);
  assert.equal(getX(exec(0x9ac20c20, { 1: BigInt.asUintN(64, -7n), 2: 2n }), 0), BigInt.asUintN(64, -3n));
  assert.equal(getX(exec(0x9ac20820, { 1: M1, 2: 3n }), 0), 0x5555555555555555n); // udiv x0, x1, x2
  assert.equal(getX(exec(0x9ac20820, { 1: M1, 2: 0n }), 0), 0n);
  assert.equal(getX(exec(0x1ac20c20, { 1: 0x80000000n, 2: 0xffffffffn }), 0), 0x80000000n); // sdiv w0, w1, w2
  assert.equal(getX(exec(0x1ac20c20, { 1: 0xfffffff9n, 2: 2n }), 0), 0xfffffffdn);
});

test("AddWithCarry flags", () => {
  let m = exec(0xab020020, { 1: 0x7fffffffffffffffn, 2: 1n }); // adds x0, x1, x2
  assert.equal(getX(m, 0), MIN64);
  assert.equal(nzcv(m), "NzcV");
  m = exec(0xab020020, { 1: M1, 2: 1n });
  assert.equal(getX(m, 0), 0n);
  assert.equal(nzcv(m), "nZCv");
  m = exec(0x6b020020, { 1: 0xffffffff00000000n, 2: 1n }); // subs w0, w1, w2: 0 - 1
  assert.equal(getX(m, 0), 0xffffffffn);
  assert.equal(nzcv(m), "Nzcv");
  m = exec(0x6b020020, { 1: 0x80000000n, 2: 1n });
  assert.equal(nzcv(m), "nzCV");
});

test("conditional compare uses #nzcv when the condition fails", () => {
  assert.equal(nzcv(exec(0xfa420025, { 1: 5n, 2: 5n }, 0b0100)), "nZCv"); // ccmp x1, x2, #5, eq (holds)
  assert.equal(nzcv(exec(0xfa420025, { 1: 5n, 2: 5n }, 0b0000)), "nZcV"); // fails: #0b0101
});

test("multiplies: low, high and widening halves", () => {
  const a = 0xfedcba9876543210n, b = 0x0123456789abcdefn, c = 0x1111111111111111n;
  assert.equal(getX(exec(0x9b020c20, { 1: a, 2: b, 3: c }), 0), BigInt.asUintN(64, a * b + c)); // madd
  assert.equal(getX(exec(0x9bc27c20, { 1: a, 2: b }), 0), (a * b) >> 64n); // umulh
  assert.equal(getX(exec(0x9b427c20, { 1: a, 2: b }), 0), BigInt.asUintN(64, (BigInt.asIntN(64, a) * b) >> 64n)); // smulh
  assert.equal(getX(exec(0x9b427c20, { 1: MIN64, 2: MIN64 }), 0), 0x4000000000000000n);
  // umsubl x0, w1, w2, x3: X3 - UInt(W1) * UInt(W2)
  assert.equal(getX(exec(0x9ba28c20, { 1: 0xffffffffn, 2: 0xffffffffn, 3: 0n }), 0), BigInt.asUintN(64, -(0xffffffffn * 0xffffffffn)));
});

test("CRC32 and CRC32C check values over '123456789'", () => {
  for (const [word, expected] of [[0x1ac14000, 0xcbf43926], [0x1ac15000, 0xe3069283]] as const) {
    let acc = 0xffffffffn;
    for (const ch of "123456789") acc = getX(exec(word, { 0: acc, 1: BigInt(ch.charCodeAt(0)) | 0xabcdef00n }), 0);
    assert.equal(Number(acc ^ 0xffffffffn), expected);
  }
});

test("bit operations", () => {
  assert.equal(getX(exec(0xdac00c20, { 1: 0x0123456789abcdefn }), 0), 0xefcdab8967452301n); // rev x0, x1
  assert.equal(getX(exec(0x5ac00020, { 1: 0xffffffff00000001n }), 0), 0x80000000n); // rbit w0, w1
  assert.equal(getX(exec(0xdac01020, { 1: 0n }), 0), 64n); // clz x0, x1
  assert.equal(getX(exec(0xdac01020, { 1: 0x00000000ffffffffn }), 0), 32n);
  assert.equal(getX(exec(0xdac01420, { 1: M1 }), 0), 63n); // cls x0, x1
  assert.equal(getX(exec(0xdac01420, { 1: 0xffffffff7fffffffn }), 0), 31n);
});

test("bitfield moves and EXTR", () => {
  assert.equal(getX(exec(0xd3485c20, { 1: 0x123456789abcdef0n }), 0), 0xbcden); // ubfx x0, x1, #8, #16
  assert.equal(getX(exec(0x13042c20, { 1: 0xf80n }), 0), 0xfffffff8n); // sbfx w0, w1, #4, #8
  assert.equal(getX(exec(0xb3481c20, { 0: 0x1111111111111111n, 1: 0xabn }), 0), 0xab11111111111111n); // bfi x0, x1, #56, #8
  assert.equal(getX(exec(0x93c2a020, { 1: 0x0123456789abcdefn, 2: 0xfedcba9876543210n }), 0), 0x6789abcdeffedcban); // extr #40
});

test("reserved encodings are UNDEFINED", () => {
  for (const word of [
    0x12400000, // logical immediate, sf=0 with N=1
    0x1343fc20, // SBFM, sf=0 with N=1
    0x13207c20, // SBFM, sf=0 with immr=32
    0x8bc20020, // ADD (shifted register) with shift=ROR
    0x0b028020, // ADD (shifted register), 32-bit with imm6=32
    0x8b22f420, // ADD (extended register) with imm3=5
    0x9b428c20, // SMULH with o0=1
    0x1b227c20, // SMULL with sf=0
    0x1ac24c20, // CRC32X with sf=0
    0x5ac00c20, // REV with sf=0, opc=3
    0x32800000, // MOVN-class opc=01 (unallocated)
    0x52c00000, // MOVZ, sf=0 with hw=2
  ]) {
    const m = exec(word, {});
    assert.equal(m.cpu.sr[SR.ESR_EL1 * 2] >>> 26, EC.UNKNOWN, `0x${word.toString(16)}`);
    assert.equal(m.cpu.sr[SR.ELR_EL1 * 2] >>> 0, CODE, `0x${word.toString(16)} should trap`);
  }
});
