/**
 * A partition's console is watched as `tessera run` watches its guest's: a guest that prints
 * Linux's "Kernel panic - not syncing:" and then spins (as a kernel without panic=N does) has
 * crashed once the grace period is over, and its on-crash policy applies, with the [hv] line
 * naming it. The guest here is a few bare-metal instructions printing the panic line.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { crossToolchainMissing } from "../harness/toolchain.js";
import { assembledGuest, onePartitionConfig } from "../harness/hypervisor.js";
import { TESSERA_CLI } from "../harness/paths.js";

const skip = crossToolchainMissing(["as", "objcopy"]);
const dir = mkdtempSync(join(tmpdir(), "tessera-hv-panic-"));

function panickingGuest(): string {
  return assembledGuest(dir, "panic", `
  .text
_start:
  movz x2, #0x0900, lsl #16     // the partition's PL011
  adr x1, message
1: ldrb w3, [x1], #1
  cbz w3, 2f
  str w3, [x2]
  b 1b
2: b 2b                         // spin, interrupts masked, as panic() does
message:
  .asciz "Kernel panic - not syncing: test panic\\n"
`);
}

const config = (image: string, onCrash: string) => onePartitionConfig(dir, onCrash, "doomed", image, `on-crash = "${onCrash}";`);

const hv = (cfg: string, watchdog: string) =>
  spawnSync(process.execPath, [TESSERA_CLI, "hv", cfg, "--watchdog", watchdog], { encoding: "latin1", timeout: 90000, input: "" });

test("a partition that panics and spins is crashed after the grace period (on-crash stop: exit 1)", { skip, timeout: 100000 }, () => {
  const r = hv(config(panickingGuest(), "stop"), "60");
  assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^\[doomed\] Kernel panic - not syncing: test panic$/m);
  assert.match(r.stdout, /^\[hv\] doomed: crashed: kernel panic: test panic$/m);
  assert.doesNotMatch(r.stdout, /watchdog/, "ended by the crash, not by the watchdog");
});

test("... and restarted under on-crash restart", { skip, timeout: 100000 }, () => {
  const r = hv(config(panickingGuest(), "restart"), "8");
  assert.match(r.stdout, /^\[hv\] doomed: crashed: kernel panic: test panic$/m);
  assert.match(r.stdout, /^\[hv\] doomed: restarted$/m);
  const starts = (r.stdout.match(/^\[hv\] doomed: started on CPU 0$/gm) ?? []).length;
  assert.ok(starts >= 2, `started again after the crash:\n${r.stdout}`);
});
