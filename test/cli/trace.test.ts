/**
 * `-d exec,int` output: the instruction and exception trace of a small guest, line for line.
 * The expected text is what the trace printed before it was rebuilt on the CpuObserver
 * interface (when it replaced Cpu.run and Cpu.enterException), so the format is held fixed.
 *
 * The guest (an ELF at 0x40080000, booted at EL1 with PSCI over HVC) sets VBAR_EL1, takes an
 * SVC, then a data abort with FAR (a load above the 40-bit physical address space with the MMU
 * off: address size fault), each handled by `elr_el1 += 4; eret`, and powers off.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { makeElf } from "../harness/elf.js";
import { runTesseraCli } from "../harness/promise.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-trace-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function traceGuest(): string {
  // mov x1, #0x40090000; msr vbar_el1, x1; isb; svc #5; nop; mov x4, #0x10000000000; ldr x3, [x4];
  // mov w0, #8; movk w0, #0x8400, lsl #16; hvc #0 (PSCI SYSTEM_OFF)
  const main = [0xd2a80121, 0xd518c001, 0xd5033fdf, 0xd40000a1, 0xd503201f, 0xd2c02004, 0xf9400083, 0x52800100, 0x72b08000, 0xd4000002];
  // VBAR_EL1 + 0x200 (current EL, SPx, synchronous): mrs x2, elr_el1; add x2, x2, #4; msr elr_el1, x2; eret
  const handler = [0xd5384022, 0x91001042, 0xd5184022, 0xd69f03e0];
  const image = new Uint8Array(0x10200 + handler.length * 4);
  const view = new DataView(image.buffer);
  main.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  handler.forEach((w, i) => view.setUint32(0x10200 + i * 4, w >>> 0, true));
  const path = join(dir, "trace.elf");
  writeFileSync(path, makeElf(image, 0x40080000n));
  return path;
}

const HANDLER = [
  "cpu0 EL1 0x0000000040090200: d5384022  mrs\tx2, elr_el1",
  "cpu0 EL1 0x0000000040090204: 91001042  add\tx2, x2, #0x4",
  "cpu0 EL1 0x0000000040090208: d5184022  msr\telr_el1, x2",
  "cpu0 EL1 0x000000004009020c: d69f03e0  eret",
];
const SVC = "cpu0: taking sync exception to EL1 ESR=0x56000005 ELR=0x0000000040080010 FAR=0x0000000000000000 -> PC=0x0000000040090200";
const ABORT = "cpu0: taking sync exception to EL1 ESR=0x96000000 ELR=0x0000000040080018 FAR=0x0000010000000000 -> PC=0x0000000040090200";
const EXPECTED = [
  "cpu0 EL1 0x0000000040080000: d2a80121  mov\tx1, #0x40090000",
  "cpu0 EL1 0x0000000040080004: d518c001  msr\tvbar_el1, x1",
  "cpu0 EL1 0x0000000040080008: d5033fdf  isb",
  "cpu0 EL1 0x000000004008000c: d40000a1  svc\t#0x5",
  SVC,
  ...HANDLER,
  "cpu0 EL1 0x0000000040080014: d2c02004  mov\tx4, #0x10000000000",
  "cpu0 EL1 0x0000000040080018: f9400083  ldr\tx3, [x4]",
  ABORT,
  ...HANDLER,
  "cpu0 EL1 0x000000004008001c: 52800100  mov\tw0, #0x8",
  "cpu0 EL1 0x0000000040080020: 72b08000  movk\tw0, #0x8400, lsl #16",
  "cpu0 EL1 0x0000000040080024: d4000002  hvc\t#0x0",
];

const elf = traceGuest();

for (const [what, want] of [
  ["exec,int", EXPECTED],
  ["exec", EXPECTED.filter((l) => !l.includes("taking"))],
  ["int", [SVC, ABORT]],
] as const) {
  test(`-d ${what} traces every ${what === "int" ? "exception" : "instruction"} as before`, async () => {
    const r = await runTesseraCli(["run", "-kernel", elf, "-nographic", "-d", what]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, 0);
    assert.deepEqual(r.stderr.split("\n").filter((l) => l !== ""), want);
  });
}
