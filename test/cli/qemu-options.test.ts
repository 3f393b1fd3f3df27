/**
 * Option values against QEMU: what qemu-system-aarch64 refuses, Tessera refuses in one line
 * with exit 2; what QEMU accepts (other number bases, topologies), Tessera accepts with the
 * same meaning, checked through the DTB both write with dumpdtb.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";
import { expectOneLineError } from "./expect.js";

const skip = oracleMissing(spawnSync(QEMU, ["--version"]).status === 0 && spawnSync("dtc", ["--version"]).status === 0
  ? false : `${QEMU} or dtc not installed`);
const dir = mkdtempSync(join(tmpdir(), "tessera-options-"));
const kernel = join(dir, "k.bin");
writeFileSync(kernel, new Uint8Array([0, 0, 0, 0x14])); // b .

/** Run both with `-machine virt<machine>,dumpdtb=...` and `extra`; QEMU's status and stderr, and both DTBs as text. */
function both(machine: string, extra: string[]) {
  const q = join(dir, "q.dtb"), t = join(dir, "t.dtb");
  rmSync(q, { force: true }); rmSync(t, { force: true });
  const common = ["-cpu", "cortex-a53", "-nographic", "-net", "none", "-kernel", kernel, ...extra];
  const qemu = spawnSync(QEMU, ["-M", `virt${machine},dumpdtb=${q}`, "-monitor", "none", ...common], { encoding: "utf8", timeout: 20000 });
  const ours = spawnSync(process.execPath, [TESSERA_CLI, "run", "-M", `virt${machine},dumpdtb=${t}`, ...common], { encoding: "utf8", timeout: 20000 });
  const text = (p: string) => existsSync(p)
    ? spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dts", p], { encoding: "utf8" }).stdout.replace(/(kaslr-seed|rng-seed) = [^;]*;/g, "$1;")
    : undefined;
  return { qemu, ours, qemuDtb: text(q), oursDtb: text(t) };
}

const refused: [string, string, string[]][] = [
  ["-smp 1.5", "", ["-smp", "1.5"]],
  ["-smp 1e1", "", ["-smp", "1e1"]],
  ["-smp 2abc", "", ["-smp", "2abc"]],
  ["-smp 2,maxcpus=1", "", ["-smp", "2,maxcpus=1"]],
  ["-smp 3,cores=2 (topology product)", "", ["-smp", "3,cores=2"]],
  ["-smp 2,foo=1", "", ["-smp", "2,foo=1"]],
  ["-smp 9", "", ["-smp", "9"]],
  ["-smp 0x10", "", ["-smp", "0x10"]],
  ["gic-version=host", ",gic-version=host", []],
  ["gic-version=1", ",gic-version=1", []],
  ["-d ''", "", ["-d", ""]],
  ["-d int,", "", ["-d", "int,"]],
];
for (const [name, machine, extra] of refused) {
  test(`refused as QEMU refuses it: ${name}`, { skip }, () => {
    const r = both(machine, extra);
    assert.notEqual(r.qemu.status, 0, `QEMU accepted ${name}`);
    expectOneLineError(r.ours, /./, name);
  });
}

const accepted: [string, string, string[]][] = [
  ["-smp 0x4 (hex)", "", ["-smp", "0x4"]],
  ["-smp 010 (octal)", "", ["-smp", "010"]],
  ["-smp ' 2' (leading blank)", "", ["-smp", " 2"]],
  ["-smp 0 (zero: the default)", "", ["-smp", "0"]],
  ["-smp maxcpus=4", "", ["-smp", "maxcpus=4"]],
  ["-smp 4,sockets=2", "", ["-smp", "4,sockets=2"]],
  ["-smp 4,threads=2", "", ["-smp", "4,threads=2"]],
  ["-smp 8,sockets=2,clusters=2,cores=1,threads=2", "", ["-smp", "8,sockets=2,clusters=2,cores=1,threads=2"]],
  ["-smp 2,maxcpus=4 (no hotplug: 2 CPUs)", "", ["-smp", "2,maxcpus=4"]],
  ["gic-version=max (GICv3 under TCG)", ",gic-version=max", []],
  ["dtb-randomness=off (no seeds in /chosen)", ",dtb-randomness=off", []],
  ["dtb-kaslr-seed=off (its deprecated synonym)", ",dtb-kaslr-seed=off", []],
  ["secure=on,dtb-randomness=off (nor in /secure-chosen)", ",secure=on,dtb-randomness=off", []],
];
for (const [name, machine, extra] of accepted) {
  test(`accepted with QEMU's meaning: ${name}`, { skip }, () => {
    const r = both(machine, extra);
    assert.equal(r.qemu.status, 0, r.qemu.stderr);
    assert.equal(r.ours.status, 0, r.ours.stderr);
    assert.ok(r.qemuDtb && r.oursDtb, "both wrote a DTB");
    assert.equal(r.oursDtb, r.qemuDtb);
  });
}
