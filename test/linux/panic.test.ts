/**
 * A real kernel panic: the Debian guest's /init exits, Linux panics ("Attempted to kill
 * init!") and, with panic=-1, resets at once. QEMU with -no-reboot then exits; Tessera exits
 * with status 1 and reports the panic with the guest's last console lines. Needs
 * `npm run fetch-guests` (skipped with a note otherwise); QEMU, when installed, confirms the
 * guest prints the same panic message there.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT } from "../../src/cli/guests.js";
import { QEMU } from "../harness/paths.js";
import { oracleMissing } from "../harness/oracles.js";
import { findGuests, runLinux, tail, workloadInitrd } from "../harness/linux.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const PANIC = "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300";

test("Linux panics when /init exits: Tessera exits 1 with the panic and the last console lines", {
  skip: oracleMissing(guests ? false : `Linux guest cache missing: ${FETCH_HINT}`), timeout: 1200_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-panic-"));
  const init = join(dir, "init.sh");
  writeFileSync(init, "#!/bin/sh\necho 'init: exiting with status 3'\nexit 3\n");
  const initrd = workloadInitrd(guests!, init);
  const opts = { kernel: guests!.kernel, initrd, smp: 1 };
  const r = await runLinux("tessera", { ...opts, timeoutMs: 900_000 });
  assert.equal(r.code, 1, tail(r));
  assert.ok(r.stdout.includes(PANIC), tail(r));
  assert.match(r.stderr, /^tessera: guest kernel panic: Attempted to kill init! exitcode=0x00000300$/m);
  assert.match(r.stderr, /--- last console lines ---[\s\S]*init: exiting with status 3/);
  if (haveQemu) {
    const q = await runLinux("qemu", { ...opts, timeoutMs: 120_000 });
    assert.ok(q.stdout.includes(PANIC), tail(q));
  }
});
