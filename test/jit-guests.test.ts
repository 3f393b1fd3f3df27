/**
 * The block compiler against QEMU: suite programs run with every block compiled on its first
 * execution (TESSERA_JIT_THRESHOLD=1), so the compiled path, compile hooks included, runs
 * nearly all of their instructions; the UART output must be byte-identical to QEMU's.
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, GUESTS, missingTools } from "./harness/guests.js";
import { describeExit, runQemu, runTessera } from "./harness/emulators.js";
import { describeDifference, tail } from "./harness/compare.js";
import { oracleMissing } from "./harness/oracles.js";

/**
 * Integer-heavy programs with many short blocks, 64-bit arithmetic, loads and stores; the
 * floating-point and SIMD programs (scalar FP snippets, SIMD&FP loads and stores); and the
 * self-hosted debug programs, whose breakpoints, watchpoints and steps must take effect when
 * they are armed from inside compiled blocks.
 */
const PROGRAMS = ["strsearch", "aes", "core", "div64", "qsort", "dijkstra", "huffman", "sha256", "nbody", "matmul", "simd-neon", "simd-auto", "debug", "debug-el2"];

const missing = missingTools();
const skip = oracleMissing(missing ? `guest programs need the aarch64 cross compiler and QEMU (${missing})` : false);

describe("suite programs with every block compiled: QEMU vs Tessera", { skip }, () => {
  before(() => {
    buildGuests(PROGRAMS);
  });

  for (const name of PROGRAMS) {
    const guest = GUESTS.find((g) => g.name === name)!;
    test(name, async () => {
      const reference = await runQemu(guestPath(name), { timeoutMs: 30000, ...guest.run });
      const text = reference.stdout.toString("latin1");
      assert.ok(!reference.timedOut && reference.code === 0, `${describeExit(reference)}\n${tail(text)}`);
      for (const want of guest.expect) assert.ok(text.includes(want), `QEMU output lacks ${JSON.stringify(want)}`);
      const r = await runTessera(guestPath(name), { ...guest.run, timeoutMs: 120000, tesseraEnv: { TESSERA_JIT_THRESHOLD: "1" } });
      const diff = describeDifference(reference.stdout, r.stdout);
      assert.ok(diff === null && r.code === 0, `${name}: ${describeExit(r)}\n${diff ?? "exit status"}\n${tail(r.stderr, 12)}`);
    });
  }
});
