/**
 * Differential tests: every bare-metal guest program is run under QEMU
 * (the reference) and under Tessera with the same machine options; the
 * UART output must be byte-identical. The QEMU run also has to contain
 * the program's expected lines, so a broken guest cannot pass by making
 * both emulators print the same wrong thing.
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, GUESTS, missingTools } from "./harness/guests.js";
import { describeExit, runQemu, runTessera, type EmulatorResult } from "./harness/emulators.js";
import { describeDifference, tail } from "./harness/compare.js";
import { oracleMissing } from "./harness/oracles.js";

/** Per-program limit for a Tessera run; TESSERA_TIMEOUT_MS overrides it. */
const TESSERA_TIMEOUT_MS = Number(process.env.TESSERA_TIMEOUT_MS ?? 60000);

const missing = missingTools();
const skip = oracleMissing(missing ? `guest programs need the aarch64 cross compiler and QEMU (${missing})` : false);
if (missing) console.log(`# skipping guest program tests: ${missing}`);

describe("guest programs: QEMU reference vs Tessera", { skip }, () => {
  before(() => {
    buildGuests();
  });

  for (const guest of GUESTS) {
    describe(guest.name, () => {
      let reference: EmulatorResult | undefined;

      test("runs to completion under QEMU", async () => {
        const r = await runQemu(guestPath(guest.name), { timeoutMs: 30000, ...guest.run });
        const text = r.stdout.toString("latin1");
        assert.ok(!r.timedOut && r.code === 0, `${describeExit(r)}\n${r.stderr}\n--- output tail ---\n${tail(text)}`);
        for (const want of guest.expect)
          assert.ok(text.includes(want), `QEMU output lacks ${JSON.stringify(want)}\n--- output tail ---\n${tail(text)}`);
        for (const bad of guest.forbid ?? [])
          assert.ok(!text.includes(bad), `QEMU output contains ${JSON.stringify(bad)}\n--- output tail ---\n${tail(text)}`);
        reference = r;
      });

      test("Tessera prints the same bytes", async (t) => {
        if (!reference) {
          t.skip("no QEMU reference output");
          return;
        }
        const r = await runTessera(guestPath(guest.name), { ...guest.run, timeoutMs: guest.tesseraTimeoutMs ?? TESSERA_TIMEOUT_MS });
        const diff = describeDifference(reference.stdout, r.stdout);
        if (diff !== null || r.code !== 0) {
          const stderr = r.stderr.trim() ? `\n--- tessera stderr ---\n${tail(r.stderr, 12)}` : "";
          assert.fail(`${guest.name}: ${describeExit(r)}\n${diff ?? "output identical, but the exit status is wrong"}${stderr}\ncommand: ${r.command}`);
        }
      });
    });
  }
});
