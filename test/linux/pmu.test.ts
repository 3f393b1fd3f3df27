/**
 * Debian's kernel probes the PMU as on QEMU: the armv8-pmu driver's boot line ("hw perfevents:
 * enabled with armv8_pmuv3 PMU driver, 7 counters available": six event counters and the cycle
 * counter), the event source it registers and the events it lists from PMCEID0/1_EL0 must be
 * identical under Tessera and qemu-system-aarch64 -cpu cortex-a53, both with -icount shift=4
 * (QEMU supports INST_RETIRED only with precise icount). Needs `npm run fetch-guests` and QEMU.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT } from "../../src/cli/guests.js";
import { QEMU, REPO_ROOT } from "../harness/paths.js";
import { oracleMissing } from "../harness/oracles.js";
import { findGuests, runLinux, tail, workloadInitrd, workloadText } from "../harness/linux.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed` : false);

test("Linux's armv8-pmu probe and event list are QEMU's", { skip, timeout: 600_000 }, async () => {
  const initrd = workloadInitrd(guests!, join(REPO_ROOT, "tests", "linux", "pmu-init.sh"));
  const opts = { kernel: guests!.kernel, initrd, smp: 1, dtbRandomness: false, extraArgs: ["-icount", "shift=4"] };
  const q = await runLinux("qemu", { ...opts, timeoutMs: 180_000 });
  const want = workloadText(q.stdout);
  assert.ok(want, `QEMU did not run the PMU script\n${tail(q)}`);
  assert.match(want, /^hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 counters available$/m);
  assert.match(want, /^inst_retired: event=0x0008$/m);
  const r = await runLinux("tessera", { ...opts, timeoutMs: 300_000 });
  assert.equal(workloadText(r.stdout), want, `PMU as Linux sees it differs from QEMU's\n${tail(r, 15)}`);
  assert.equal(r.code, 0, tail(r));
});
