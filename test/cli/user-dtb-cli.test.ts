/**
 * `tessera run -dtb FILE` end to end against QEMU: the blob both hand the guest (dumpdtb) is the
 * same bytes, with -append and -initrd applied, for a Linux Image and for a bare-metal ELF; a
 * blob libfdt would refuse is one line and exit 2.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeElf } from "../harness/elf.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";
import { expectOneLineError } from "./expect.js";

const skip = oracleMissing(spawnSync(QEMU, ["--version"]).status === 0 && spawnSync("dtc", ["--version"]).status === 0
  ? false : `${QEMU} or dtc not installed`);
const dir = mkdtempSync(join(tmpdir(), "tessera-userdtb-"));

/** A Linux arm64 Image header (booting.rst): branch, text_offset, image_size, flags, magic. */
function linuxImage(): string {
  const b = new Uint8Array(0x10000);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x14000010, true);
  v.setBigUint64(8, 0x80000n, true);
  v.setBigUint64(16, 0x10000n, true);
  v.setBigUint64(24, 0xan, true);
  v.setUint32(56, 0x644d5241, true);
  const p = join(dir, "Image");
  writeFileSync(p, b);
  return p;
}
const image = linuxImage();
const elf = join(dir, "loop.elf");
writeFileSync(elf, makeElf(new Uint8Array([0, 0, 0, 0x14]), 0x40080000n));
const tree = join(dir, "tree");
spawnSync("mkdir", ["-p", tree]);
writeFileSync(join(tree, "hello"), "hello\n");
const initrd = join(dir, "initrd.cpio.gz");
spawnSync(process.execPath, [TESSERA_CLI, "mkinitramfs", tree, "-o", initrd]);

function dumped(cmd: string, pre: string[], machine: string, args: string[]): Uint8Array {
  const out = join(dir, `${cmd === QEMU ? "q" : "t"}.dtb`);
  rmSync(out, { force: true });
  const r = spawnSync(cmd, [...pre, "-M", `${machine},dumpdtb=${out}`, "-cpu", "cortex-a53", "-nographic", "-net", "none", ...args],
    { encoding: "utf8", timeout: 30000 });
  assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
  return new Uint8Array(readFileSync(out));
}

const cases: [string, string, string[]][] = [
  ["Image with -append and -initrd", "virt", ["-kernel", image, "-append", "console=ttyAMA0 loglevel=8", "-initrd", initrd]],
  ["Image, no -append", "virt,gic-version=3", ["-kernel", image]],
  ["Image, virtualization=on (PSCI over SMC)", "virt,virtualization=on", ["-kernel", image, "-append", "x"]],
  ["bare-metal ELF with -append", "virt", ["-kernel", elf, "-append", "ignored by the ELF"]],
];
for (const [name, machine, args] of cases) {
  test(`-dtb: the guest's blob is QEMU's, byte for byte: ${name}`, { skip }, () => {
    // The user's tree: QEMU's own generated DTB for another configuration (4 CPUs, 256 MiB).
    // dtc recompiles it compactly (QEMU pads to 1 MiB), small enough to fit below the ELF.
    const user = join(dir, "user.dtb");
    writeFileSync(user, dumped(QEMU, ["-monitor", "none"], "virt", ["-smp", "4", "-m", "256M", "-kernel", image]));
    assert.equal(spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dtb", "-o", user, user]).status, 0);
    const q = dumped(QEMU, ["-monitor", "none"], machine, [...args, "-dtb", user]);
    const t = dumped(process.execPath, [TESSERA_CLI, "run"], machine, [...args, "-dtb", user]);
    assert.equal(t.length, q.length);
    assert.ok(Buffer.from(t).equals(Buffer.from(q)), "blobs differ");
  });
}

test("-dtb of a damaged blob is one line and exit 2, where QEMU also refuses it", { skip }, () => {
  const good = dumped(QEMU, ["-monitor", "none"], "virt", ["-kernel", image]);
  const bad = good.slice();
  new DataView(bad.buffer).setUint32(8, good.length + 64); // off_dt_struct past totalsize
  const path = join(dir, "bad.dtb");
  writeFileSync(path, bad);
  const q = spawnSync(QEMU, ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-net", "none", "-monitor", "none", "-kernel", image, "-dtb", path],
    { encoding: "utf8", timeout: 20000 });
  assert.notEqual(q.status, 0, "QEMU accepted it");
  expectOneLineError(spawnSync(process.execPath, [TESSERA_CLI, "run", "-kernel", image, "-dtb", path], { encoding: "utf8", timeout: 20000 }),
    /^tessera: device tree: /, "damaged -dtb");
});
