/**
 * Advanced SIMD semantics, differentially against QEMU: every case of simd-cases.ts runs with
 * several deterministic random inputs both in a bare-metal image under qemu-system-aarch64
 * (cortex-a53) and on an in-process Tessera CPU; V0, X0 and FPSR after the instruction must
 * be identical.
 *
 * Image layout (one PT_LOAD at 0x40080000): code, then per-case inputs (128 bytes: Q0-Q5, X0,
 * X1, FPCR), then per-case results (32 bytes: Q0, X0, FPSR), printed as hex on the PL011 UART
 * before PSCI SYSTEM_OFF.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXCEPTION_TAKEN } from "../../src/cpu/cpu.js";
import { disassemble } from "../../src/cpu/isa/index.js";
import type { Decoded } from "../../src/cpu/isa/table.js";
import { SR } from "../../src/cpu/sysregs.js";
import { describeExit, runQemuImage } from "../harness/emulators.js";
import { QEMU } from "../harness/paths.js";
import { commandExists } from "../harness/process.js";
import { xorshift32 } from "../harness/rng.js";
import { makeCpu } from "./make-cpu.js";
import { simdCases, type DataKind } from "./simd-cases.js";
import { assembleAll, enc, haveBinutils, movImm } from "./simd-harness.js";

const LOAD = 0x40080000;
const IN_SIZE = 128, OUT_SIZE = 32;
const REPEATS = Number(process.env.TESSERA_SIMD_REPEATS ?? 4);

const F32_SPECIAL = [0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffa00000, 0x00000001,
  0x807fffff, 0x3f800000, 0xbfc00000, 0x3f000000, 0x4b000000, 0x4effffff, 0xcf000000, 0x4f800000, 0x7f7fffff, 0x00800000];
const F64_SPECIAL_HI = [0x00000000, 0x80000000, 0x7ff00000, 0xfff00000, 0x7ff80000, 0x7ff00000, 0x00000000, 0x3ff00000,
  0xbff80000, 0x3fe00000, 0x43300000, 0x43e00000, 0xc3e00000, 0x41e00000, 0x7fefffff, 0x00100000, 0x000fffff];

/** Fill 16 bytes at `off` of `buf` with lanes favouring interesting values for `kind`. */
function fillReg(view: DataView, off: number, kind: DataKind, r: () => number, smallBytes: boolean): void {
  for (let i = 0; i < 16; i += 4) view.setUint32(off + i, r(), true);
  if (kind === "int") {
    if (smallBytes) for (let i = 0; i < 16; i++) view.setInt8(off + i, (r() % 141) - 70);
    else if (r() % 3 === 0) {
      const size = [1, 2, 4, 8][r() % 4];
      for (let i = 0; i < 16; i += size) {
        if (r() % 2) continue;
        const pick = r() % 5;
        for (let b = 0; b < size; b++) {
          let v = 0;
          if (pick === 1) v = 0xff;
          else if (pick === 2) v = b === size - 1 ? 0x80 : 0;
          else if (pick === 3) v = b === size - 1 ? 0x7f : 0xff;
          else if (pick === 4) v = b === 0 ? 1 : 0;
          view.setUint8(off + i + b, v);
        }
      }
    }
    return;
  }
  if (kind === "f32" || kind === "f16") {
    for (let i = 0; i < 16; i += 4) {
      const p = r() % 8;
      if (kind === "f16") {
        // Half-precision lanes: random with specials.
        for (let h = 0; h < 4; h += 2) {
          const q = r() % 6;
          const v = q === 0 ? [0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0x0001, 0x3c00, 0x03ff][r() % 9] : q < 3 ? (0x3000 + (r() % 0x1800)) ^ (r() & 0x8000) : r() & 0xffff;
          view.setUint16(off + i + h, v, true);
        }
      } else if (p === 0) view.setUint32(off + i, F32_SPECIAL[r() % F32_SPECIAL.length], true);
      else if (p <= 4) view.setFloat32(off + i, ((r() % 2000000) - 1000000) / [1, 10, 1000, 65536][r() % 4] * (r() % 8 === 0 ? 2 ** ((r() % 60) - 30) : 1), true);
      else if (p === 5) view.setFloat32(off + i, ((r() % 64) - 32) / 4, true);
    }
    return;
  }
  for (let i = 0; i < 16; i += 8) {
    const p = r() % 8;
    if (p === 0) { view.setUint32(off + i + 4, F64_SPECIAL_HI[r() % F64_SPECIAL_HI.length], true); view.setUint32(off + i, r() % 3 === 0 ? 1 : 0, true); }
    else if (p <= 4) view.setFloat64(off + i, ((r() % 2000000) - 1000000) / [1, 10, 1000, 65536][r() % 4] * (r() % 8 === 0 ? 2 ** ((r() % 200) - 100) : 1), true);
    else if (p === 5) view.setFloat64(off + i, ((r() % 64) - 32) / 4, true);
    else if (p === 6) view.setFloat32(off + i, ((r() % 2000) - 1000) / 7, true);
  }
}

interface Case { asm: string; word: number; data: DataKind; input: Uint8Array }

function buildCases(): { cases: Case[]; skipped: string[] } {
  const list = simdCases(true);
  const asm = assembleAll(list.map((c) => c.asm));
  const r = xorshift32(0x5eed1234);
  const cases: Case[] = [];
  const skipped: string[] = [];
  for (let k = 0; k < list.length; k++) {
    const word = asm[k].word;
    // Instructions not in the decoder yet are reported, not compared.
    if (disassemble(word).startsWith(".inst")) { skipped.push(list[k].asm); continue; }
    const isTbl = /^tb[lx]/.test(list[k].asm), isShiftReg = /^u?s?q?r?shl\s|^[su]q?r?shl\s/.test(list[k].asm);
    for (let rep = 0; rep < REPEATS; rep++) {
      const input = new Uint8Array(IN_SIZE);
      const v = new DataView(input.buffer);
      for (let q = 0; q < 6; q++) fillReg(v, q * 16, list[k].data, r, (q === 2 && isShiftReg && rep % 2 === 0));
      if (isTbl) for (let i = 0; i < 16; i++) v.setUint8(80 + i, r() % (rep % 2 ? 256 : 72));
      v.setUint32(96, r(), true); v.setUint32(100, r(), true);
      v.setUint32(104, r(), true); v.setUint32(108, r(), true);
      // FPCR: rounding mode, FZ and DN vary for floating-point cases.
      const fpcr = list[k].data === "int" ? 0 : [0, 0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, (1 << 24) | (1 << 25)][rep % 8];
      v.setUint32(112, fpcr, true);
      cases.push({ asm: list[k].asm, word, data: list[k].data, input });
    }
  }
  return { cases, skipped };
}

function buildImage(cases: Case[]): { image: Uint8Array; resultBytes: number } {
  const code: number[] = [];
  code.push(...movImm(0, 3 << 20), enc.msrCpacr(0), enc.isb());
  const perCase = 13;
  const prologue = code.length + 6;
  const epilogueLen = 3 * 4 + 9 + 2 + 4;
  const codeBytes = (prologue + cases.length * perCase + epilogueLen) * 4;
  const dataAddr = LOAD + Math.ceil((codeBytes + 16) / 4096) * 4096;
  const hexAddr = dataAddr - 16;
  const resAddr = dataAddr + cases.length * IN_SIZE;
  code.push(...movImm(19, dataAddr), ...movImm(20, resAddr));
  for (const c of cases) {
    code.push(enc.ldrX(2, 19, 112), enc.msrFpcr(2), enc.msrFpsr(31),
      enc.ldpQ(0, 1, 19, 0), enc.ldpQ(2, 3, 19, 32), enc.ldpQ(4, 5, 19, 64), enc.ldpX(0, 1, 19, 96),
      c.word,
      enc.mrsFpsr(2), enc.strQ(0, 20, 0), enc.stpX(0, 2, 20, 16), enc.addImm(19, 19, IN_SIZE), enc.addImm(20, 20, OUT_SIZE));
  }
  const resultBytes = cases.length * OUT_SIZE;
  code.push(...movImm(1, resAddr), ...movImm(2, resultBytes), ...movImm(3, 0x09000000), ...movImm(6, hexAddr));
  code.push(enc.ldrbPost(4, 1, 1), enc.lsrW(5, 4, 4), enc.ldrbReg(5, 6, 5), enc.strb(5, 3), enc.andW15(5, 4),
    enc.ldrbReg(5, 6, 5), enc.strb(5, 3), enc.subsImm(2, 2, 1), enc.bne(-8));
  code.push(enc.movz(5, 10, 0), enc.strb(5, 3));
  code.push(enc.movz(0, 8, 0), enc.movk(0, 0x8400, 1), enc.hvc0(), enc.b(0));
  if (code.length * 4 > codeBytes) throw new Error("code layout overflow");
  const image = new Uint8Array(resAddr + resultBytes - LOAD);
  const iv = new DataView(image.buffer);
  code.forEach((w, i) => iv.setUint32(i * 4, w, true));
  image.set(new TextEncoder().encode("0123456789abcdef"), hexAddr - LOAD);
  cases.forEach((c, i) => image.set(c.input, dataAddr - LOAD + i * IN_SIZE));
  return { image, resultBytes };
}

/** Run each case on a Tessera CPU: set registers, execute the one instruction, read results. */
function runTessera(cases: Case[]): Uint8Array {
  const { cpu } = makeCpu(1 << 20);
  // CPACR_EL1.FPEN = 0b11, as the QEMU image sets it.
  cpu.sr[SR.CPACR_EL1 * 2] = 3 << 20;
  cpu.updateCachedControls();
  const out = new Uint8Array(cases.length * OUT_SIZE);
  const ov = new DataView(out.buffer);
  const decoded = new Map<number, Decoded>();
  cases.forEach((c, i) => {
    const iv = new DataView(c.input.buffer);
    cpu.v8.set(c.input.subarray(0, 96), 0);
    cpu.x[0] = iv.getInt32(96, true); cpu.x[1] = iv.getInt32(100, true);
    cpu.x[2] = iv.getInt32(104, true); cpu.x[3] = iv.getInt32(108, true);
    cpu.fpcr = iv.getInt32(112, true);
    cpu.fpsr = 0;
    let d = decoded.get(c.word);
    if (!d) { d = cpu.decoder.decode(c.word); decoded.set(c.word, d); }
    try {
      d.exec(cpu, d);
    } catch (e) {
      if (e !== EXCEPTION_TAKEN) throw e;
      ov.setUint32(i * OUT_SIZE + 28, 0xdeadbeef, true); // marks "took an exception"
    }
    out.set(cpu.v8.subarray(0, 16), i * OUT_SIZE);
    ov.setInt32(i * OUT_SIZE + 16, cpu.x[0], true);
    ov.setInt32(i * OUT_SIZE + 20, cpu.x[1], true);
    ov.setInt32(i * OUT_SIZE + 24, cpu.fpsr, true);
  });
  return out;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

test("Advanced SIMD semantics match QEMU", {
  skip: (!haveBinutils() || !commandExists(QEMU)) && `aarch64 binutils or ${QEMU} not installed`,
  timeout: 180000,
}, async () => {
  const { cases, skipped } = buildCases();
  const { image, resultBytes } = buildImage(cases);
  const r = await runQemuImage(image, LOAD, { timeoutMs: 120000 });
  if (r.timedOut || r.spawnError) throw new Error(`${describeExit(r)}\n${r.stderr}`);
  const text = r.stdout.toString("latin1");
  const m = /([0-9a-f]{64,})/.exec(text.replace(/\r/g, ""));
  assert.ok(m && m[1].length === resultBytes * 2, `QEMU printed ${m ? m[1].length / 2 : 0} of ${resultBytes} result bytes`);
  const ref = Uint8Array.from(m![1].match(/../g)!, (h) => parseInt(h, 16));
  const got = runTessera(cases);
  const failures = new Map<string, string[]>();
  let failed = 0;
  for (let i = 0; i < cases.length; i++) {
    const a = ref.subarray(i * OUT_SIZE, i * OUT_SIZE + OUT_SIZE), b = got.subarray(i * OUT_SIZE, i * OUT_SIZE + OUT_SIZE);
    if (hex(a) === hex(b)) continue;
    failed++;
    const list = failures.get(cases[i].asm) ?? [];
    if (list.length < 2) {
      const inp = cases[i].input;
      list.push(`  in v0=${hex(inp.subarray(0, 16))} v1=${hex(inp.subarray(16, 32))} v2=${hex(inp.subarray(32, 48))} x1=${hex(inp.subarray(104, 112))} fpcr=${hex(inp.subarray(112, 116))}\n` +
        `  qemu    v0=${hex(a.subarray(0, 16))} x0=${hex(a.subarray(16, 24))} fpsr=${hex(a.subarray(24, 28))}\n` +
        `  tessera v0=${hex(b.subarray(0, 16))} x0=${hex(b.subarray(16, 24))} fpsr=${hex(b.subarray(24, 28))}${hex(b.subarray(28, 32)) === "efbeadde" ? " (exception)" : ""}`);
    }
    failures.set(cases[i].asm, list);
  }
  const report = [...failures].slice(0, 40).map(([asm, l]) => `${asm}\n${l.join("\n")}`).join("\n");
  if (skipped.length) console.log(`# not implemented (${skipped.length}): ${skipped.slice(0, 20).join("; ")}${skipped.length > 20 ? " ..." : ""}`);
  console.log(`# ${cases.length} cases, ${cases.length - failed} match, ${failed} differ (${failures.size} instructions)`);
  assert.equal(failed, 0, `${failed}/${cases.length} cases differ in ${failures.size} instructions:\n${report}`);
});
