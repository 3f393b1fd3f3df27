/**
 * The board's device tree against QEMU's own: for each option set, dump QEMU's DTB with
 * `-machine virt,dumpdtb=...`, decompile both with dtc and compare the text. /chosen's
 * kaslr-seed and rng-seed are random in QEMU, so only their presence and size are compared.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildVirtDtb } from "../../src/boards/virt/fdt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { planBoot } from "../../src/loaders/boot.js";
import { oracleMissing } from "../harness/oracles.js";
import { TESSERA_CLI } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";

const haveTools = spawnSync("qemu-system-aarch64", ["--version"]).status === 0 && spawnSync("dtc", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "tessera-dtb-"));

function decompile(path: string): string {
  const text = execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", path], { encoding: "utf8" });
  return text.replace(/(kaslr-seed|rng-seed) = <([^>]*)>;/g, (_m, name: string, cells: string) =>
    `${name} = <${cells.trim().split(/\s+/).length} random cells>;`);
}

/** A minimal arm64 Image: a branch-to-self, text_offset 0, image_size 64 KiB, the magic. */
function fakeImage(): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x14000000, true);
  v.setBigUint64(16, 0x10000n, true);
  b.set([0x41, 0x52, 0x4d, 0x64], 0x38);
  return b;
}

interface Case {
  name: string;
  gic: 2 | 3;
  virt: boolean;
  smp: number;
  memMiB: number;
  append?: string;
  initrdBytes?: number;
  /** secure=on (EL3): Secure-only nodes and /secure-chosen. */
  secure?: boolean;
  /**
   * Dump with no -kernel: QEMU then boots at EL3 with secure=on, as for any image that is not
   * Linux, and provides no PSCI (no psci node, no enable-method).
   */
  noKernel?: boolean;
  /** dtb-randomness=off: no kaslr-seed or rng-seed. */
  noRandomness?: boolean;
}

const cases: Case[] = [
  { name: "gicv2 smp1 128M", gic: 2, virt: false, smp: 1, memMiB: 128 },
  { name: "gicv3 smp1 128M", gic: 3, virt: false, smp: 1, memMiB: 128 },
  { name: "gicv2 smp2 virt", gic: 2, virt: true, smp: 2, memMiB: 128 },
  { name: "gicv3 smp2 virt", gic: 3, virt: true, smp: 2, memMiB: 128 },
  { name: "gicv2 smp4 512M", gic: 2, virt: false, smp: 4, memMiB: 512 },
  { name: "gicv3 smp4 512M virt", gic: 3, virt: true, smp: 4, memMiB: 512 },
  { name: "gicv3 smp8", gic: 3, virt: false, smp: 8, memMiB: 128 },
  { name: "gicv2 append initrd", gic: 2, virt: false, smp: 1, memMiB: 128, append: "console=ttyAMA0 earlycon", initrdBytes: 5000 },
  { name: "gicv3 append initrd 512M", gic: 3, virt: true, smp: 2, memMiB: 512, append: "root=/dev/ram rw", initrdBytes: 70000 },
  { name: "gicv3 append only", gic: 3, virt: false, smp: 1, memMiB: 128, append: "quiet" },
  { name: "secure gicv2 smp1", gic: 2, virt: false, smp: 1, memMiB: 128, secure: true },
  { name: "secure gicv3 smp2 virt append", gic: 3, virt: true, smp: 2, memMiB: 256, secure: true, append: "console=ttyAMA0" },
  { name: "secure gicv2 smp2 virt initrd", gic: 2, virt: true, smp: 2, memMiB: 128, secure: true, initrdBytes: 4096 },
  { name: "secure gicv2 smp2 no kernel", gic: 2, virt: false, smp: 2, memMiB: 128, secure: true, noKernel: true },
  { name: "secure gicv3 smp4 virt no kernel", gic: 3, virt: true, smp: 4, memMiB: 512, secure: true, noKernel: true },
  { name: "gicv3 dtb-randomness=off append", gic: 3, virt: false, smp: 2, memMiB: 256, append: "quiet", noRandomness: true },
  { name: "secure gicv2 dtb-randomness=off", gic: 2, virt: true, smp: 1, memMiB: 128, secure: true, noRandomness: true },
];

for (const c of cases) {
  test(`DTB matches QEMU: ${c.name}`, { skip: oracleMissing(haveTools ? false : "qemu-system-aarch64 or dtc not installed") }, () => {
    const base = join(dir, c.name.replace(/\W+/g, "_"));
    const kernelPath = `${base}.Image`;
    const kernel = fakeImage();
    writeFileSync(kernelPath, kernel);
    const args = ["-M", `virt,gic-version=${c.gic},virtualization=${c.virt ? "on" : "off"},secure=${c.secure ? "on" : "off"},dtb-randomness=${c.noRandomness ? "off" : "on"},dumpdtb=${base}.qemu.dtb`,
      "-cpu", "cortex-a53", "-smp", String(c.smp), "-m", `${c.memMiB}M`, "-nographic", "-net", "none"];
    if (!c.noKernel) args.push("-kernel", kernelPath);
    let initrd: Uint8Array | undefined;
    if (c.append) args.push("-append", c.append);
    if (c.initrdBytes) {
      initrd = new Uint8Array(c.initrdBytes).fill(0x5a);
      writeFileSync(`${base}.initrd`, initrd);
      args.push("-initrd", `${base}.initrd`);
    }
    const r = spawnSync("qemu-system-aarch64", args, { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const ramSize = c.memMiB * 1024 * 1024;
    const plan = planBoot({ kernel, initrd, ramBase: VIRT.RAM_BASE, ramSize });
    const ours = buildVirtDtb({ ramSize, cpus: c.smp, gicVersion: c.gic, virtualization: c.virt, bootargs: c.append, initrd: plan.initrd,
      secure: c.secure, randomness: !c.noRandomness, psci: c.noKernel && c.secure ? "none" : undefined });
    writeFileSync(`${base}.ours.dtb`, ours);
    assert.equal(decompile(`${base}.ours.dtb`), decompile(`${base}.qemu.dtb`));
  });
}

// The virtio-mmio nodes do not depend on what is plugged in: the same command line with a disk,
// an entropy device and a NIC (both transport versions) dumps the same tree as QEMU's.
for (const legacy of [true, false]) {
  test(`DTB matches QEMU with virtio devices on the command line (${legacy ? "legacy" : "force-legacy=false"})`, {
    skip: oracleMissing(haveTools ? false : "qemu-system-aarch64 or dtc not installed"),
  }, async () => {
    const port = await freePortRange(2);
    const base = join(dir, `virtio-${legacy ? "legacy" : "modern"}`);
    writeFileSync(`${base}.Image`, fakeImage());
    writeFileSync(`${base}.img`, new Uint8Array(1 << 16));
    const args = (out: string) => ["-M", `virt,dumpdtb=${out}`, "-cpu", "cortex-a53", "-m", "256M", "-smp", "2", "-nographic", "-net", "none",
      "-kernel", `${base}.Image`, "-append", "console=ttyAMA0",
      "-drive", `file=${base}.img,if=none,id=disk0,format=raw`, "-device", "virtio-blk-device,drive=disk0", "-device", "virtio-rng-device",
      "-netdev", `socket,id=n0,udp=127.0.0.1:${port},localaddr=127.0.0.1:${port + 1}`, "-device", "virtio-net-device,netdev=n0",
      ...(legacy ? [] : ["-global", "virtio-mmio.force-legacy=false"])];
    const q = spawnSync("qemu-system-aarch64", args(`${base}.qemu.dtb`), { encoding: "utf8" });
    assert.equal(q.status, 0, q.stderr);
    const t = spawnSync(process.execPath, [TESSERA_CLI, "run", ...args(`${base}.ours.dtb`)], { encoding: "utf8" });
    assert.equal(t.status, 0, t.stderr);
    assert.equal(decompile(`${base}.ours.dtb`), decompile(`${base}.qemu.dtb`));
  });
}

test("DTB header is valid FDT v17", () => {
  const dtb = buildVirtDtb({ ramSize: 128 << 20, cpus: 1, gicVersion: 3, virtualization: false });
  const v = new DataView(dtb.buffer, dtb.byteOffset);
  assert.equal(v.getUint32(0), 0xd00dfeed);
  assert.equal(v.getUint32(4), dtb.length);
  assert.equal(v.getUint32(20), 17);
  void readFileSync;
});
