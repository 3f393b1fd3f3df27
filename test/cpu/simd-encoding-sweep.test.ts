/**
 * Random words across the Advanced SIMD data-processing encoding space, disassembled by both
 * objdump (-b binary) and Tessera: every ARMv8.0 instruction objdump recognises must decode and
 * print identically. Encodings of later or optional extensions that the Cortex-A53 does not
 * implement (FP16, dot product, BF16, FHM, SHA, 64-bit PMULL, FRINT32/64) must stay UNDEFINED.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getDecoder } from "../../src/cpu/isa/index.js";
import { xorshift32 } from "../harness/rng.js";
import { objdumpWords } from "../harness/toolchain.js";
import { haveBinutils, normalise } from "./simd-harness.js";

const ABSENT_MNEMONIC = /^(sdot|udot|usdot|sudot|bfdot|bfmlal[bt]|bfmmla|bfcvtn2?|fmlal2?|fmlsl2?|sha1\w*|sha256\w*|sha512\w*|frint(32|64)[xz]|sqrdmlah|sqrdmlsh|fcmla|fcadd|smmla|ummla|usmmla)\t|\.1q\b/;
/** Half-precision arithmetic (FEAT_FP16): FP mnemonics on h lanes, except the v8.0 FCVTL/FCVTN. */
const isFp16 = (t: string) => /^(f\w+|scvtf|ucvtf)\t/.test(t) && !/^fcvt[ln]2?\t/.test(t) && /\.[248]h\b|\bh\d+\b/.test(t);
const absent = (t: string) => ABSENT_MNEMONIC.test(t) || isFp16(t);

test("Advanced SIMD encoding sweep matches objdump", { skip: !haveBinutils() && "aarch64-linux-gnu binutils not installed" }, () => {
  const rnd = xorshift32(0x9e3779b9);
  const N = 80000, buf = Buffer.alloc(N * 4);
  for (let i = 0; i < N; i++) {
    let w = rnd() & 0x1fffffff;
    const kind = rnd() % 4;
    if (kind < 2) w = (w & 0x61ffffff) | 0x0e000000; // 0 Q U 01110: three same/different, misc, across, copy, permute, TBL, EXT
    else if (kind === 2) w = (w & 0x61ffffff) | 0x0f000000; // 0 Q U 01111: shift by immediate, modified immediate, by element
    else w = (w & 0x21ffffff) | 0x5e000000; // 01 U 1111x: scalar forms
    buf.writeUInt32LE(w >>> 0, i * 4);
  }
  const dec = getDecoder();
  const bad = new Map<string, string>();
  let checked = 0;
  for (const row of objdumpWords(buf)) {
    const word = row.word, want = normalise(row.text);
    const d = dec.decode(word), got = normalise(d.def.disasm(d, 0n));
    const oracleUndef = /^(\.inst|udf)/.test(want) || absent(want);
    const undef = d.def.name === "UNDEFINED";
    checked++;
    if (oracleUndef ? undef : got === want) continue;
    const key = `${want.split("\t")[0]}${undef ? " (undefined)" : ""}`;
    if (!bad.has(key)) bad.set(key, `${word.toString(16).padStart(8, "0")} objdump: ${want} tessera: ${got}`);
  }
  assert.ok(checked === N, `objdump printed ${checked} of ${N} words`);
  assert.equal(bad.size, 0, [...bad.values()].slice(0, 40).join("\n"));
});
