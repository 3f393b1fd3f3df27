/**
 * Disassembly of one instruction group against GNU objdump: random words matching the group's
 * patterns, and the comparison of Tessera's text with objdump's for an assembled source.
 */
import assert from "node:assert/strict";
import { disassemble } from "../../src/cpu/isa/index.js";
import { compilePattern, type InsnDef } from "../../src/cpu/isa/table.js";
import { xorshift32 } from "../harness/rng.js";
import { assembleAndDump, normaliseObjdump, type AssembleOptions } from "../harness/toolchain.js";

/** `perDef` random words matching each pattern of `group` (including ones its guards reject). */
export function randomPatternWords(group: readonly InsnDef[], perDef: number, seed: number): number[] {
  const next = xorshift32(seed);
  const words: number[] = [];
  for (const def of group) {
    const c = compilePattern(def);
    for (let i = 0; i < perDef; i++) words.push(((next() & ~c.mask) | c.value) >>> 0);
  }
  return words;
}

export interface CompareOptions extends AssembleOptions {
  /**
   * Mnemonics of later extensions that objdump decodes whatever the CPU, but that a
   * Cortex-A53 does not implement: their words must be UNDEFINED here.
   */
  notOnCortexA53: RegExp;
}

/** Assemble `source` and compare each instruction's disassembly with objdump's. */
export function compareWithObjdump(source: string, opts: CompareOptions): { checked: number; failures: string[] } {
  const failures: string[] = [];
  const dumped = assembleAndDump(source, opts);
  for (const { word, text, pc } of dumped) {
    if (opts.notOnCortexA53.test(text)) {
      assert.match(disassemble(word, BigInt(pc)), /undefined/);
      continue;
    }
    const ours = normaliseObjdump(disassemble(word, BigInt(pc)));
    const theirs = normaliseObjdump(text);
    if (ours !== theirs) failures.push(`${word.toString(16).padStart(8, "0")}: objdump '${theirs}' tessera '${ours}'`);
  }
  return { checked: dumped.length, failures };
}
