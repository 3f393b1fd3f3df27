/**
 * The instruction table's optional compile hooks (CompileFn) against their entries' exec: for
 * random encodings of every register-only entry with a hook (integer data processing and the
 * PC-relative and register branches), the hook's snippet and exec must leave the same registers,
 * NZCV, PC and flow from the same random state. Loads and stores are covered by running guest
 * programs with every block compiled (test/jit-guests.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getDecoder } from "../../src/cpu/isa/index.js";
import type { Cpu } from "../../src/cpu/cpu.js";
import { toLocals } from "../../src/cpu/jit.js";

/** The part of a Cpu that register-only instructions touch. */
interface MiniCpu {
  x: Int32Array; nf: number; zf: number; cf: number; vf: number; pcLo: number; pcHi: number; flow: number;
  branchTo(lo: number, hi: number): void;
}

function miniCpu(): MiniCpu {
  return {
    x: new Int32Array(68), nf: 0, zf: 0, cf: 0, vf: 0, pcLo: 0, pcHi: 0, flow: 0,
    branchTo(lo, hi) { this.pcLo = lo; this.pcHi = hi; this.flow = 1; },
  };
}

/** A deterministic xorshift generator, so a failure reproduces. */
let seed = 0x9e3779b9;
function rand32(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed | 0;
}

/** Register values with the carry and sign corner cases well represented. */
const SPECIAL = [0, -1, 1, 0x7fffffff, -0x80000000, 0xffff, -2];
function value(): number {
  const r = rand32() & 15;
  return r < SPECIAL.length ? SPECIAL[r] : rand32();
}

test("compile hooks of register-only instructions agree with exec", () => {
  const decoder = getDecoder();
  let checked = 0;
  // (Scalar FP hooks work on SIMD&FP registers: test/cpu/fp-qemu.test.ts runs them against QEMU.)
  const hooked = decoder.defs.filter((c) => c.def.compile && !c.def.name.startsWith("LDST") && !c.def.name.startsWith("FP_"));
  assert.ok(hooked.length >= 8, `only ${hooked.length} register-only entries have compile hooks`);
  for (const c of hooked) {
    for (let k = 0; k < 4000; k++) {
      const word = ((rand32() & ~c.mask) | c.value) >>> 0;
      const d = decoder.decode(word);
      if (d.def !== c.def) continue;
      // A block at 0x...ff000 of a high page, with this instruction 16 bytes in.
      const blockLo = 0xfffff000 | 0, offset = 16, pcHi = 0x1234;
      const src = c.def.compile!(d, { pcLo: `((lo + ${offset}) | 0)`, offset, exec: "e", d: "dd" });
      if (src === undefined) continue;
      const a = miniCpu(), b = miniCpu(), l = miniCpu();
      for (let i = 0; i < 64; i++) a.x[i] = b.x[i] = l.x[i] = value();
      const f = rand32();
      for (const m of [a, b, l]) {
        m.nf = f & 1; m.zf = (f >> 1) & 1; m.cf = (f >> 2) & 1; m.vf = (f >> 3) & 1;
        m.pcHi = pcHi;
      }
      a.pcLo = (blockLo + offset) | 0;
      b.pcLo = 0x5555; // a snippet must take the PC from `lo`, not from cpu.pcLo
      d.exec(a as unknown as Cpu, d);
      new Function("cpu", "lo", `"use strict"; const x = cpu.x; ${src}`)(b, blockLo);
      // As a block that keeps registers in locals places it (jit.ts compileRegion): loaded
      // before, stored back after, with the locals' values wrapped as the register file's are.
      const slots = Array.from({ length: 68 }, (_, v) => v);
      l.pcLo = b.pcLo;
      new Function("cpu", "lo", `"use strict"; const x = cpu.x; let ${slots.map((v) => `r${v} = x[${v}]`).join(", ")}; ` +
        `${toLocals(src)} ${slots.map((v) => `x[${v}] = r${v};`).join(" ")}`)(l, blockLo);
      const where = `${c.def.name} ${d.def.disasm(d, 0n)} (0x${word.toString(16)}): ${src}`;
      assert.deepEqual([b.nf, b.zf, b.cf, b.vf], [a.nf, a.zf, a.cf, a.vf], `NZCV after ${where}`);
      assert.equal(b.flow, a.flow, `flow after ${where}`);
      if (a.flow === 1) assert.deepEqual([b.pcLo, b.pcHi], [a.pcLo, a.pcHi], `branch target of ${where}`);
      // Slots 0-65: X0-X30, SP, XZR (the sink, 66-67, is never read).
      assert.deepEqual(b.x.subarray(0, 66), a.x.subarray(0, 66), `registers after ${where}`);
      assert.deepEqual([l.nf, l.zf, l.cf, l.vf, ...l.x.subarray(0, 66)], [a.nf, a.zf, a.cf, a.vf, ...a.x.subarray(0, 66)],
        `NZCV and registers after ${where} with registers in locals: ${toLocals(src)}`);
      checked++;
    }
  }
  assert.ok(checked > 10000, `only ${checked} encodings checked`);
});
