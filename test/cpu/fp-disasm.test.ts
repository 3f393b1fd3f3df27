/**
 * Disassembly of the scalar floating-point group against GNU binutils: instruction words of
 * every pattern (random fields, with every value of the small ones) are assembled as `.inst`
 * together with a hand-written list, disassembled by aarch64-linux-gnu-objdump, and compared
 * with Tessera's disassembler. Words in the scalar FP encoding space that objdump knows but
 * Tessera treats as UNDEFINED must be features Cortex-A53 lacks (FP16 arithmetic, FJCVTZS,
 * FRINT32/64).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { disassemble, getDecoder } from "../../src/cpu/isa/index.js";
import { fpGroup } from "../../src/cpu/isa/fp.js";
import { compilePattern } from "../../src/cpu/isa/table.js";
import { assembleAndDump, crossToolchainMissing, normaliseObjdump } from "../harness/toolchain.js";
import { xorshift32 } from "../harness/rng.js";

const WRITTEN = `
fmov s0, s1
fmov d30, d31
fabs s2, s3
fneg d4, d5
fsqrt s6, s7
fsqrt d8, d9
fmov s0, #1.0
fmov d1, #-31.0
fmov s2, #0.125
fmov d3, #1.9375
fmov w0, s1
fmov s2, w3
fmov x4, d5
fmov d6, x7
fmov x8, v9.d[1]
fmov v10.d[1], x11
fmov wzr, s1
fmov d1, xzr
fadd s0, s1, s2
fsub d0, d1, d2
fmul s3, s4, s5
fdiv d6, d7, d8
fnmul s9, s10, s11
fmax d0, d1, d2
fmin s0, s1, s2
fmaxnm d0, d1, d2
fminnm s0, s1, s2
fmadd s0, s1, s2, s3
fmsub d0, d1, d2, d3
fnmadd s0, s1, s2, s3
fnmsub d31, d30, d29, d28
fcmp s0, s1
fcmpe d0, d1
fcmp d0, #0.0
fcmpe s0, #0.0
fccmp s1, s2, #4, ne
fccmpe d1, d2, #15, al
fcsel s0, s1, s2, eq
fcsel d0, d1, d2, lt
fcvt d0, s1
fcvt s0, d1
fcvt h0, s1
fcvt h0, d1
fcvt s0, h1
fcvt d0, h1
fcvtns w0, s1
fcvtnu x0, d1
fcvtps w0, d1
fcvtpu x0, s1
fcvtms w0, s1
fcvtmu x0, d1
fcvtzs w0, d1
fcvtzu x0, s1
fcvtas w0, s1
fcvtau x0, d1
fcvtzs w0, s1, #1
fcvtzs x0, d1, #64
fcvtzu w0, d1, #32
fcvtzu x0, s1, #17
scvtf s0, w1
scvtf d0, x1
ucvtf s0, x1
ucvtf d0, w1
scvtf s0, w1, #32
scvtf d0, x1, #64
ucvtf s0, x1, #1
ucvtf d0, w1, #5
frintn s0, s1
frintp d0, d1
frintm s0, s1
frintz d0, d1
frinta s0, s1
frintx d0, d1
frinti s0, s1
`;

/** objdump's [word, text] per instruction of the hand-written `lines` followed by `words`. */
function objdump(words: number[], lines: string): Map<number, string>[] {
  const src = lines + "\n" + words.map(w => `.inst 0x${(w >>> 0).toString(16)}`).join("\n") + "\n";
  return assembleAndDump(src).map(({ word, text }) => new Map([[word, normaliseObjdump(text)]]));
}

test("scalar FP disassembly matches objdump", (t) => {
  const missing = crossToolchainMissing();
  if (missing) { t.skip(missing); return; }
  const next = xorshift32(0x5eed);
  const words: number[] = [];
  for (const def of fpGroup) {
    const c = compilePattern(def);
    const free = ~c.mask >>> 0;
    for (let i = 0; i < 300; i++) words.push(((next() & free) | c.value) >>> 0);
  }
  // The rest of the scalar FP space (bit 30 = 0, bits 28:24 = 1111x), for unknown encodings.
  for (let i = 0; i < 4000; i++) words.push(((next() & 0xa0ffffff) | 0x1e000000 | ((next() & 1) << 24)) >>> 0);

  const decoder = getDecoder();
  const fpDefs = new Set(fpGroup);
  const rows = objdump(words, WRITTEN);
  const mismatches: string[] = [];
  let compared = 0;
  for (const row of rows) {
    for (const [word, theirs] of row) {
      const d = decoder.decode(word);
      const ours = normaliseObjdump(disassemble(word, 0n));
      const objdumpKnows = !theirs.startsWith(".inst") && !theirs.includes("undefined");
      if (fpDefs.has(d.def)) {
        compared++;
        if (ours !== theirs) mismatches.push(`${word.toString(16).padStart(8, "0")}: ours '${ours}' objdump '${theirs}'`);
      } else if (objdumpKnows && d.def.name === "UNDEFINED") {
        // Only features missing from Cortex-A53 may be UNDEFINED here.
        const lacking = /^(fjcvtzs|frint(32|64)[xz])\b/.test(theirs) || /\bh\d+\b/.test(theirs) && !/^fcvt h\d+, [sd]\d+$|^fcvt [sd]\d+, h\d+$/.test(theirs);
        if (!lacking) mismatches.push(`${word.toString(16).padStart(8, "0")}: UNDEFINED here, objdump '${theirs}'`);
      } else if (!objdumpKnows && fpDefs.has(d.def)) {
        mismatches.push(`${word.toString(16).padStart(8, "0")}: objdump does not know '${ours}'`);
      }
    }
  }
  assert.ok(compared > 2000, `only ${compared} words compared`);
  assert.deepEqual(mismatches.slice(0, 40), [], `${mismatches.length} mismatches`);
});
