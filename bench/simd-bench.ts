/**
 * Advanced SIMD micro-benchmark: nanoseconds per executed instruction for the forms compiled
 * loops and string functions use most. Run: npx tsc -p . && node dist/bench/simd-bench.js
 */
import "../src/cli/v8-tuning.js";
import { SR } from "../src/cpu/sysregs.js";
import { makeCpu } from "../test/cpu/make-cpu.js";
import { assembleAll, haveBinutils } from "../test/cpu/simd-harness.js";

const INSNS = [
  "add v0.4s, v1.4s, v2.4s", "add v0.16b, v1.16b, v2.16b", "add v0.2d, v1.2d, v2.2d", "sub v0.8h, v1.8h, v2.8h",
  "mul v0.4s, v1.4s, v2.4s", "mla v0.4s, v1.4s, v2.4s", "cmeq v0.16b, v1.16b, v2.16b", "cmeq v0.16b, v1.16b, #0",
  "cmhi v0.16b, v1.16b, v2.16b", "and v0.16b, v1.16b, v2.16b", "orr v0.16b, v1.16b, v2.16b", "bsl v0.16b, v1.16b, v2.16b",
  "umaxp v0.16b, v1.16b, v2.16b", "uminv b0, v1.16b", "addv s0, v1.4s", "addp v0.2d, v1.2d, v2.2d", "addp d0, v1.2d",
  "shrn v0.8b, v1.8h, #4", "ushr v0.2d, v1.2d, #3", "shl v0.4s, v1.4s, #3", "sshr v0.4s, v1.4s, #3", "xtn v0.4h, v1.4s",
  "uxtl v0.8h, v1.8b", "smull v0.2d, v1.2s, v2.2s", "umull v0.4s, v1.4h, v2.4h", "dup v0.16b, w1", "dup v0.4s, v1.s[1]",
  "mov v0.s[1], w1", "umov w0, v1.b[3]", "mov x0, v1.d[1]", "movi v0.2d, #0x0", "ext v0.16b, v1.16b, v2.16b, #4",
  "tbl v0.16b, {v1.16b}, v2.16b", "zip1 v0.16b, v1.16b, v2.16b", "rev64 v0.16b, v1.16b", "cnt v0.16b, v1.16b",
  "smax v0.4s, v1.4s, v2.4s", "fadd v0.4s, v1.4s, v2.4s", "fmul v0.2d, v1.2d, v2.2d", "fmla v0.4s, v1.4s, v2.4s",
  "fmla v0.4s, v1.4s, v2.s[1]", "scvtf v0.4s, v1.4s", "fcvtzs v0.4s, v1.4s", "fmaxnmv s0, v1.4s",
];

if (!haveBinutils()) {
  console.log("aarch64-linux-gnu binutils not installed");
} else {
  const asm = assembleAll(INSNS);
  const { cpu } = makeCpu(1 << 20);
  cpu.sr[SR.CPACR_EL1 * 2] = 3 << 20;
  cpu.updateCachedControls();
  for (let i = 0; i < 96; i++) cpu.v8[i] = (i * 37 + 11) & 0xff;
  // Keep float lanes finite and normal.
  for (let i = 4; i < 12; i++) cpu.vf32[i] = 1.5 + i;
  for (const a of asm) {
    const d = cpu.decoder.decode(a.word);
    const N = 200000;
    for (let i = 0; i < 20000; i++) d.exec(cpu, d);
    // Best of five runs: the host may be busy.
    let ns = Infinity;
    for (let run = 0; run < 5; run++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) d.exec(cpu, d);
      ns = Math.min(ns, Number(process.hrtime.bigint() - t0) / N);
    }
    cpu.vf32[4] = 2.5; cpu.vf32[5] = 3.5; cpu.vf32[8] = 1.25; cpu.vf32[9] = 0.75;
    console.log(`${ns.toFixed(1).padStart(7)} ns  ${a.asm}`);
  }
}
