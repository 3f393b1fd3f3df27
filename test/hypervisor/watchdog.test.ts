/**
 * A partition's watchdog (an SP805 armed at power-on by `watchdog = <SECONDS>`): a guest that
 * never kicks it gets the configured action once the time is up; one that kicks it
 * (WdogIntClr) runs to its end untouched. The guest's tree describes it (arm,sp805).
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
const dir = mkdtempSync(join(tmpdir(), "tessera-watchdog-"));

function elf(name: string, body: string): string {
  return assembledGuest(dir, name, `
  .text
_start:
  movz x2, #0x0900, lsl #16
  mov w3, #'u'
  str w3, [x2]
  mov w3, #'\\n'
  str w3, [x2]
  movz x9, #0x0b00, lsl #16
  add x9, x9, #0x1000          // the SP805
  ${body}
  movz x0, #0x8400, lsl #16
  add x0, x0, #8
  hvc #0                       // PSCI SYSTEM_OFF
  b .
`);
}

const config = (image: string, action: string) => onePartitionConfig(dir, action, "guarded", image, `watchdog = <1>; watchdog-action = "${action}";`);

const hv = (cfg: string, ...extra: string[]) => spawnSync(process.execPath, [TESSERA_CLI, "hv", cfg, "--watchdog", "60", ...extra], { encoding: "latin1", timeout: 90000, input: "" });

test("a guest that never kicks its watchdog is stopped when the time is up", { skip, timeout: 100000 }, () => {
  const r = hv(config(elf("spin", "b ."), "stop"));
  assert.equal(r.status, 1, `stopped under the stop policy: exit 1\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^\[guarded\] u$/m);
  assert.match(r.stdout, /^\[hv\] guarded: watchdog expired \(1 s without a kick\): stop$/m);
});

test("... or restarted, with restart", { skip, timeout: 100000 }, () => {
  const r = hv(config(elf("spin2", "b ."), "restart"), "--watchdog", "5");
  const starts = (r.stdout.match(/^\[hv\] guarded: started on CPU 0$/gm) ?? []).length;
  assert.ok(starts >= 2, `restarted at least once:\n${r.stdout}`);
  assert.match(r.stdout, /watchdog expired \(1 s without a kick\): restart/);
});

test("a guest that kicks its watchdog runs to its end untouched", { skip, timeout: 100000 }, () => {
  // 40 rounds of about 0.1 s of virtual time (spinning on CNTVCT), a kick (WdogIntClr) each: 4 s in all.
  const kicker = elf("kicker", `
  mov x20, #40
1: mrs x4, cntvct_el0
  movz x5, #0x005f, lsl #16     // 0x5f5e10 ticks: 0.1 s at 62.5 MHz
  movk x5, #0x5e10
  add x5, x4, x5
2: mrs x4, cntvct_el0
  cmp x4, x5
  b.lo 2b
  str wzr, [x9, #0xc]           // WdogIntClr: kick
  subs x20, x20, #1
  b.ne 1b`);
  const r = hv(config(kicker, "stop"));
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stdout, /watchdog expired/);
  assert.match(r.stdout, /^\[hv\] guarded: powered off$/m);
});

test("the guest's device tree describes the watchdog", { skip, timeout: 30000 }, () => {
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config(elf("dt", "b ."), "report"), "--dump-guest-dtb", "guarded"], { timeout: 20000 });
  assert.equal(r.status, 0, r.stderr.toString());
  const text = spawnSync("dtc", ["-I", "dtb", "-O", "dts"], { input: r.stdout, encoding: "utf8" });
  assert.match(text.stdout, /watchdog@b001000 \{[^}]*compatible = "arm,sp805\\0arm,primecell";[^}]*interrupts = <0x00 0x3c 0x04>;/s);
  assert.equal(text.stderr, "", "dtc warnings");
});
