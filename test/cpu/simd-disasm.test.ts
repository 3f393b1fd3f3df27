/**
 * Advanced SIMD disassembly against GNU objdump: every case of simd-cases.ts is assembled with
 * aarch64-linux-gnu-as and each word's objdump text must equal Tessera's disassembly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { disassemble } from "../../src/cpu/isa/index.js";
import { simdCases } from "./simd-cases.js";
import { assembleAll, haveBinutils, normalise } from "./simd-harness.js";

const includeFp = process.env.TESSERA_SIMD_NO_FP !== "1";

test("Advanced SIMD disassembly matches objdump", { skip: !haveBinutils() && "aarch64-linux-gnu binutils not installed" }, () => {
  const cases = simdCases(includeFp);
  const asm = assembleAll(cases.map((c) => c.asm));
  const bad: string[] = [];
  for (const a of asm) {
    const got = normalise(disassemble(a.word, 0n));
    if (got !== a.text) bad.push(`${a.word.toString(16).padStart(8, "0")}  objdump: ${a.text}  tessera: ${got}`);
  }
  assert.equal(bad.length, 0, `${bad.length}/${asm.length} mismatches:\n${bad.slice(0, 60).join("\n")}`);
});
