/**
 * The bench's process timer: a run past its time limit ends, and takes the measured process
 * with it, also when GNU time sits between the bench and the emulator (killing time alone left
 * the emulator running with the output pipes open, and the bench waited for it forever).
 */
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { measureProcess } from "../../bench/measure.js";

/** Processes whose command line is exactly `sleep <arg>` (from /proc, so no ps is needed). */
function sleepers(arg: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1") === `sleep\0${arg}\0`) n++;
    } catch { /* gone meanwhile */ }
  }
  return n;
}

test("a run past its time limit is killed, with the process it measures", { timeout: 15_000 }, async () => {
  const arg = `${40 + Math.floor(Math.random() * 1000)}.5`;
  const started = Date.now();
  const r = await measureProcess("sleep", [arg], { timeoutMs: 500 });
  assert.ok(Date.now() - started < 10_000, "measureProcess returned long after its time limit");
  assert.equal(r.signal, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(sleepers(arg), 0, "the measured process outlived the time limit");
});
