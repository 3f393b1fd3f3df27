/**
 * A guest that loops through exception vectors which fault themselves is reported as stuck
 * (RunStatus "fatal", the CLI's exit status 1) instead of spinning silently, and the report
 * names the exception that started the loop, not the vectors' own last fault. Real handlers
 * return, so a guest that takes many exceptions but returns from each is not stuck.
 *
 * The images are a few hand-encoded A64 instructions (encodings from the ARM ARM C6.2).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard, type RunStatus } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { makeElf } from "../harness/elf.js";

const LOAD = VIRT.RAM_BASE + 0x80000;

const NOP = 0xd503201f, UDF0 = 0x00000000, ISB = 0xd5033fdf, ERET = 0xd69f03e0;
const MSR_VBAR_EL1_X0 = 0xd518c000;
/** ADR x0, #0x800 (immhi = 0x800 >> 2). */
const ADR_X0_0X800 = 0x10000000 | ((0x800 >> 2) << 5);
/** MOVZ x1, #0x5000, LSL #16: x1 = 0x50000000, above the RAM of these boards. */
const MOVZ_X1_0X5000_LSL16 = 0xd2a00000 | (0x5000 << 5) | 1;
/** STR w0, [x1]. */
const STR_W0_X1 = 0xb9000020;
/** B . */
const B_SELF = 0x14000000;

function image(words: number[], size = words.length * 4): Uint8Array {
  const bytes = new Uint8Array(Math.max(size, words.length * 4));
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return bytes;
}

/** VBAR_EL1 = image + 0x800, where every one of the 16 vector slots holds `nop; udf #0`. */
function garbageVectors(): Uint8Array {
  const words = new Array<number>(0x1000 / 4).fill(UDF0);
  words.splice(0, 4, ADR_X0_0X800, MSR_VBAR_EL1_X0, ISB, UDF0);
  for (let slot = 0; slot < 16; slot++) words[(0x800 + slot * 0x80) / 4] = NOP;
  return image(words);
}

/** A 32-bit store to an unmapped address, with VBAR_EL1 still at its reset value 0 (flash). */
function storeUnmappedNoHandler(): Uint8Array {
  return image([MOVZ_X1_0X5000_LSL16, STR_W0_X1, B_SELF]);
}

/**
 * 0x30000 SVCs, each returned from by a one-instruction handler (ERET), then PSCI SYSTEM_OFF:
 * far more exceptions than the stuck limit, none of them stuck.
 */
function manyHandledSvcs(): Uint8Array {
  const words = new Array<number>(0x1000 / 4).fill(UDF0);
  words.splice(0, 10,
    ADR_X0_0X800, MSR_VBAR_EL1_X0, ISB,
    0xd2a00062, // MOVZ x2, #3, LSL #16
    0xd4000001, // loop: SVC #0
    0xf1000442, // SUBS x2, x2, #1
    0x54ffffc1, // B.NE loop
    0x52b08000, // MOVZ w0, #0x8400, LSL #16
    0x72800100, // MOVK w0, #8: PSCI SYSTEM_OFF
    0xd4000002); // HVC #0
  words[10] = B_SELF;
  words[(0x800 + 0x200) / 4] = ERET; // current EL with SP_ELx, synchronous
  return image(words);
}

function boardWith(code: Uint8Array): VirtBoard {
  const b = new VirtBoard({ ramSize: 16 << 20, cpus: 1, gicVersion: 2, virtualization: false, uartTx: () => {} });
  b.load({ isLinux: false, entry: LOAD, loads: [{ addr: LOAD, data: code, zeroFill: 0 }] }, undefined);
  return b;
}

/** Run until something other than "running" (or give up after `limit` instructions). */
function runToEnd(b: VirtBoard, limit = 50_000_000): RunStatus {
  let total = 0;
  for (;;) {
    const s = b.run(200_000);
    total += 200_000;
    if (s.kind !== "running" || total >= limit) return s;
  }
}

test("exception loop through `nop; udf #0` vectors is fatal, naming the first UDF", () => {
  const b = boardWith(garbageVectors());
  const s = runToEnd(b);
  assert.equal(s.kind, "fatal", `status ${JSON.stringify(s.kind)}`);
  if (s.kind !== "fatal") return;
  assert.equal(s.cpu, b.cpus[0]);
  assert.match(s.message, /^cpu0 is stuck taking exceptions \(\d+ without an exception return\); /);
  // The UDF at image+0xc started it (ESR: EC 0 unknown, IL 1); later ones are at the vector.
  assert.match(s.message, /first fault: ESR=0x2000000 at PC=0x000000004008000c \(EL1 to EL1\)$/);
  assert.ok(b.cpus[0].icount < 1_000_000, `detected after ${b.cpus[0].icount} instructions`);
});

test("store to an unmapped address with no handler: the report names the store's abort", () => {
  const b = boardWith(storeUnmappedNoHandler());
  const s = runToEnd(b);
  assert.equal(s.kind, "fatal");
  if (s.kind !== "fatal") return;
  // The vector (VBAR 0 + 0x200) is in flash bank 0, erased to zeros as QEMU's unbacked bank:
  // UDF #0 there, over and over, so ESR now shows an unknown-instruction exception (EC 0)...
  assert.match(b.cpus[0].describe(), /PC=0x0000000000000200 EL1 ESR=0x2000000 /);
  // ...but the message names the data abort (EC 0x25, WnR) on the store.
  assert.match(s.message, /first fault: ESR=0x96000050 FAR=0x0000000050000000 at PC=0x0000000040080004 \(EL1 to EL1\)$/);
});

test("many exceptions that each return are not a loop", () => {
  const b = boardWith(manyHandledSvcs());
  const s = runToEnd(b);
  assert.deepEqual(s, { kind: "stopped", reason: "poweroff" });
  assert.ok(b.cpus[0].exceptionsTaken >= 0x30000, `${b.cpus[0].exceptionsTaken} exceptions`);
});

// The command line: exit status 1, "tessera: <message>" then the CPU state lines.
const main = join(process.cwd(), "dist", "src", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "tessera-stuck-"));

function runCli(name: string, code: Uint8Array) {
  const kernel = join(dir, name);
  writeFileSync(kernel, makeElf(code, BigInt(LOAD)));
  return spawnSync(process.execPath, [main, "run", "-kernel", kernel, "-nographic", "-net", "none"],
    { encoding: "utf8", input: "", timeout: 60000 });
}

test("CLI: garbage vectors exit 1 with one message line and the CPU state", () => {
  const r = runCli("garbage-vectors.elf", garbageVectors());
  assert.equal(r.signal, null, "finished before the timeout");
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.match(lines[0], /^tessera: cpu0 is stuck taking exceptions \(\d+ without an exception return\); first fault: ESR=0x2000000 at PC=0x000000004008000c/);
  assert.match(lines[1], /cpu0 PC=0x0000000040080a0[04] EL1 ESR=0x2000000/);
});

test("CLI: unhandled store abort exit 1, message names ESR 0x96000050 FAR 0x50000000", () => {
  const r = runCli("store-unmapped.elf", storeUnmappedNoHandler());
  assert.equal(r.signal, null, "finished before the timeout");
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.match(lines[0], /^tessera: cpu0 is stuck taking exceptions without executing an instruction; first fault: ESR=0x96000050 FAR=0x0000000050000000 at PC=0x0000000040080004/);
  assert.match(lines[1], /cpu0 PC=0x0000000000000200 EL1 ESR=0x2000000 /);
});
