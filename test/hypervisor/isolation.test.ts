/**
 * Isolation: an attacker partition reads and writes its whole guest-physical space at every
 * width and junk-calls the hypervisor (HVC, SMC, PSCI CPU_ON of every MPIDR), beside a victim
 * that keeps checking a pattern it planted in its RAM. Zero leaks: the attacker never sees the
 * pattern, starts no CPU, and the victim's pattern survives; both end normally. Then HV>
 * restarts the attacker while the victim runs on, undisturbed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { TESSERA_CLI } from "../harness/paths.js";

const skip = oracleMissing(missingTools({ compiler: true, qemu: false }) ?? false);
const dir = mkdtempSync(join(tmpdir(), "tessera-isolation-"));

function config(): string {
  return `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x10000000>; };
  pv: pv { compatible = "phys-mem-area"; addr = <0x0 0x58000000>; size = <0x0 0x08000000>; };
  partitions {
    attacker { compatible = "partition"; label = "attacker"; cpus = <0 1>; guest-image = "${guestPath("isolation-attack")}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; }; };
    victim { compatible = "partition"; label = "victim"; cpus = <1 1>; guest-image = "${guestPath("isolation-victim")}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pv>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`;
}

function run(input: string) {
  const path = join(dir, "iso.dts");
  writeFileSync(path, config());
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "--watchdog", "100"], { encoding: "latin1", timeout: 150000, input });
  const lines = r.stdout.split("\n");
  return { r, lines, of: (label: string) => lines.filter((l) => l.startsWith(`[${label}] `)).map((l) => l.slice(label.length + 3)) };
}

before(() => { if (!skip) buildGuests(["isolation-attack", "isolation-victim"]); });

test("an attacker probing everything beside a victim: zero leaks, both end normally", { skip, timeout: 160000 }, () => {
  const { r, of } = run("");
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
  const attack = of("attacker");
  const summary = attack.find((l) => l.includes("addresses with the victim's pattern"));
  assert.match(summary ?? "", /^attack: \d{4,} faults, 0 addresses with the victim's pattern, 0 CPUs started$/, attack.join("\n"));
  assert.equal(attack.at(-1), "attack: done");
  assert.deepEqual(of("victim"), ["victim: 960 words checked repeatedly, all intact", "victim: done"]);
  assert.ok(of("hv").includes("attacker: powered off") && of("hv").includes("victim: powered off"), of("hv").join("\n"));
});

test("HV> restart of the attacker while the victim runs on", { skip, timeout: 160000 }, () => {
  const { r, of } = run("restart attacker\ninfo\n");
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
  const hv = of("hv");
  assert.equal(hv.filter((l) => l === "attacker: started on CPU 0").length, 2, hv.join("\n"));
  assert.equal(hv.filter((l) => l === "victim: started on CPU 1").length, 1, "the victim is not restarted");
  assert.deepEqual(of("victim"), ["victim: 960 words checked repeatedly, all intact", "victim: done"]);
  assert.equal(of("attacker").at(-1), "attack: done");
  assert.ok(hv.some((l) => /^1\s+attacker\s+running\s+1\s+0\s+256 MiB$/.test(l.replace(/^HV> /, ""))), `HV> info after the restart:\n${hv.join("\n")}`);
});
