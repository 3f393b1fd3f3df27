/**
 * Real Xen as the oracle for Tessera's Xen partitions. Debian's xen-hypervisor-4.17-arm64 runs
 * under qemu-system-aarch64 (`-machine virt,virtualization=on`) and builds a dom0less domain
 * from /chosen/domU1 (xen,enhanced, vpl011) with Debian's kernel and a busybox /init; `tessera
 * hv` is given the same domain node in the same board tree. The /init prints every file of
 * /sys/hypervisor and then runs the Linux boot test's workload; what it prints must be the same
 * under both.
 *
 * Differences in setup, each forced by one side:
 * - Xen 4.17 refuses an enhanced dom0less domain without a dom0 ("Xenstore support requires
 *   dom0 to be present"), so Xen's tree also has a dom0 (the same kernel, an /init that
 *   sleeps); Tessera has no dom0, and refuses a dom0 kernel in /chosen.
 * - Xen prints a domain's vpl011 output on its own console as "(XEN) DOM1: " lines, cut every
 *   126 characters; the lines are joined again before comparing.
 *
 * Not compared: /sys/hypervisor/compilation (the build of the hypervisor: Debian's gcc and
 * build date there, Tessera's name here), the kernel log before /init, and the two workload
 * lines that follow from the guest's memory map, MemTotal and threads-max: Xen gives a dom0less
 * domain its own map (GICv3 at 0x03001000, an SBSA UART at 0x22000000, a 1.4 KiB device tree)
 * where a Tessera partition has QEMU's virt map and board tree (1 MiB, as QEMU's), so Linux
 * reserves 1056 KiB more there.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT, findExtraGuest } from "../../src/cli/guests.js";
import { BEGIN_MARKER, END_MARKER, findGuests, WORKLOAD_INIT } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { runUntil } from "../harness/process.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";

const guests = findGuests();
const xenDir = findExtraGuest("xen");
const xen = xenDir && join(xenDir, "boot", "xen-4.17-arm64");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const haveDtc = spawnSync("dtc", ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}`
  : !xen || !existsSync(xen) ? `Debian's Xen missing from the guest cache: ${FETCH_HINT}`
  : !haveQemu ? `${QEMU} not installed` : !haveDtc ? "dtc not installed" : false);

/** What the /init prints of /sys/hypervisor, before the workload. */
const HYPERVISOR_FILES = ["type", "uuid", "guest_type", "version/major", "version/minor", "version/extra", "properties/capabilities",
  "properties/changeset", "properties/pagesize", "properties/virtual_start", "properties/features"];

function domUInit(): string {
  const workload = readFileSync(WORKLOAD_INIT, "utf8");
  const hv = [
    `echo "hv-files: $(cd /sys/hypervisor && find . -type f | grep -v '^./compilation/' | sort | tr '\\n' ' ')"`,
    ...HYPERVISOR_FILES.map((f) => `echo "hv ${f}: $(cat /sys/hypervisor/${f})"`),
    `echo "console: $(cat /sys/class/tty/console/active)"`,
  ].join("\n");
  const at = workload.indexOf(`echo "${BEGIN_MARKER}"`);
  assert.ok(at > 0, "the workload /init has its begin marker");
  const line = workload.indexOf("\n", at) + 1;
  return workload.slice(0, line) + hv + "\n" + workload.slice(line);
}

const DOM0_INIT = `#!/bin/sh
/bin/busybox mount -t proc proc /proc
exec /bin/busybox sleep 3600
`;

const KERNEL_ADDR = 0x4900_0000, RAMDISK_ADDR = 0x5000_0000, DOM0_KERNEL_ADDR = 0x4c00_0000, DOM0_RAMDISK_ADDR = 0x5200_0000;
const hex = (n: number) => `0x${n.toString(16)}`;
const reg = (addr: number, size: number) => `<0x0 ${hex(addr)} 0x0 ${hex(size)}>`;

/** QEMU's own tree for the board (GICv3, 2 CPUs, 1 GiB), with /chosen replaced by `chosen`. */
function boardTree(dir: string, chosen: string): string {
  const dtb = join(dir, "virt.dtb");
  const dump = spawnSync(QEMU, ["-M", `virt,virtualization=on,gic-version=3,dtb-randomness=off,dumpdtb=${dtb}`, "-cpu", "cortex-a57",
    "-smp", "2", "-m", "1G", "-nographic", "-nodefaults", "-net", "none"], { encoding: "utf8" });
  assert.ok(existsSync(dtb), `QEMU dumped its device tree: ${dump.stderr}`);
  const text = spawnSync("dtc", ["-q", "-I", "dtb", "-O", "dts", dtb], { encoding: "utf8" }).stdout;
  const at = text.indexOf("\tchosen {");
  assert.ok(at > 0, "QEMU's tree has /chosen");
  return text.slice(0, at) + chosen + "};\n";
}

function domU1(kernelSize: number, ramdiskSize: number, moduleFiles?: { kernel: string; ramdisk: string }): string {
  const file = (f: string | undefined) => (f ? `\t\t\t\txen,uefi-binary = "${f}";\n` : "");
  return `\t\tdomU1 {
\t\t\tcompatible = "xen,domain";
\t\t\t#address-cells = <0x2>;
\t\t\t#size-cells = <0x2>;
\t\t\tmemory = <0x0 0x80000>;
\t\t\tcpus = <0x2>;
\t\t\tvpl011;
\t\t\txen,enhanced = "enabled";
\t\t\tmodule@${KERNEL_ADDR.toString(16)} {
\t\t\t\tcompatible = "multiboot,kernel", "multiboot,module";
\t\t\t\treg = ${reg(KERNEL_ADDR, kernelSize)};
${file(moduleFiles?.kernel)}\t\t\t\tbootargs = "console=ttyAMA0 panic=-1";
\t\t\t};
\t\t\tmodule@${RAMDISK_ADDR.toString(16)} {
\t\t\t\tcompatible = "multiboot,ramdisk", "multiboot,module";
\t\t\t\treg = ${reg(RAMDISK_ADDR, ramdiskSize)};
${file(moduleFiles?.ramdisk)}\t\t\t};
\t\t};
`;
}

/** Xen's console lines of domain 1, with the lines Xen cut at 126 characters joined again. */
function xenDomainLines(out: string): string[] {
  const pieces = out.replace(/\r/g, "").split("\n").flatMap((l) => {
    const m = /\(XEN\) DOM1: (.*)$/.exec(l);
    return m ? [m[1]!] : [];
  });
  const lines: string[] = [];
  let pending = "";
  for (const p of pieces) {
    pending += p;
    if (p.length < 126) { lines.push(pending); pending = ""; }
  }
  if (pending) lines.push(pending);
  return lines;
}

function tesseraLines(out: string): string[] {
  return out.replace(/\r/g, "").split("\n").filter((l) => l.startsWith("[domU1] ")).map((l) => l.slice(8));
}

function between(lines: string[]): string[] {
  const a = lines.indexOf(BEGIN_MARKER), b = lines.indexOf(END_MARKER);
  return a >= 0 && b > a ? lines.slice(a, b + 1) : [];
}

/** The workload with MemTotal and threads-max (4 lines after it: pid_max, overcommit, threads-max) masked. */
function withoutLayout(lines: string[]): string[] {
  const at = lines.findIndex((l) => l.startsWith("MemTotal:"));
  if (at < 0) return lines;
  assert.match(lines[at + 4] ?? "", /^\d+$/, "threads-max follows MemTotal, SwapTotal, pid_max and overcommit_memory");
  return lines.map((l, i) => (i === at ? "MemTotal: (memory map)" : i === at + 4 ? "(threads-max)" : l));
}

test("a dom0less Xen domain prints the same /sys/hypervisor and workload under Debian's Xen 4.17 on QEMU and under tessera hv", { skip, timeout: 1_500_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-oracle-"));
  const kernel = guests!.kernel;
  const initrd = join(dir, "domu.cpio.gz"), dom0Initrd = join(dir, "dom0.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, domUInit()));
  writeFileSync(dom0Initrd, busyboxInitramfs(guests!.busybox, DOM0_INIT));
  const kernelSize = statSync(kernel).size, ramdiskSize = statSync(initrd).size;

  // Real Xen: guest_loglvl=all, or Xen rate-limits a domain's console lines.
  const xenChosen = `\tchosen {
\t\tstdout-path = "/pl011@9000000";
\t\txen,xen-bootargs = "console=dtuart dtuart=/pl011@9000000 noreboot dom0_mem=256M guest_loglvl=all";
\t\t#address-cells = <0x2>;
\t\t#size-cells = <0x2>;
\t\tmodule@${DOM0_KERNEL_ADDR.toString(16)} {
\t\t\tcompatible = "multiboot,kernel", "multiboot,module";
\t\t\treg = ${reg(DOM0_KERNEL_ADDR, kernelSize)};
\t\t\tbootargs = "console=hvc0 quiet loglevel=0";
\t\t};
\t\tmodule@${DOM0_RAMDISK_ADDR.toString(16)} {
\t\t\tcompatible = "multiboot,ramdisk", "multiboot,module";
\t\t\treg = ${reg(DOM0_RAMDISK_ADDR, statSync(dom0Initrd).size)};
\t\t};
${domU1(kernelSize, ramdiskSize)}\t};
`;
  const xenDts = join(dir, "xen.dts"), xenDtb = join(dir, "xen.dtb");
  writeFileSync(xenDts, boardTree(dir, xenChosen));
  const built = spawnSync("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", xenDtb, xenDts], { encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  const loader = (file: string, addr: number) => ["-device", `loader,file=${file},addr=${hex(addr)}`];
  const endMarker = (lines: string[]) => lines.includes(END_MARKER);
  const real = await runUntil(QEMU, ["-M", "virt,virtualization=on,gic-version=3,dtb-randomness=off", "-cpu", "cortex-a57", "-smp", "2", "-m", "1G",
    "-nographic", "-nodefaults", "-net", "none", "-serial", "stdio", "-monitor", "none", "-dtb", xenDtb, "-kernel", xen!,
    ...loader(kernel, KERNEL_ADDR), ...loader(initrd, RAMDISK_ADDR), ...loader(kernel, DOM0_KERNEL_ADDR), ...loader(dom0Initrd, DOM0_RAMDISK_ADDR)],
  (out) => endMarker(xenDomainLines(out)), 600_000);
  const xenLines = xenDomainLines(real.out);
  assert.ok(real.finished, `Xen's domain 1 never finished its workload:\n${real.out.slice(-4000)}\n${real.err}`);
  assert.ok(xenLines.includes("Xen 4.17 support found") || xenLines.some((l) => /Xen 4\.17 support found/.test(l)), "the domain found Xen");

  // Tessera: the same board tree and domain node, no dom0; the modules name their files.
  const tesseraChosen = `\tchosen {
\t\tstdout-path = "/pl011@9000000";
\t\t#address-cells = <0x2>;
\t\t#size-cells = <0x2>;
${domU1(kernelSize, ramdiskSize, { kernel, ramdisk: initrd })}\t};
`;
  const tesseraDts = join(dir, "tessera.dts");
  writeFileSync(tesseraDts, boardTree(dir, tesseraChosen));
  const ours = await runUntil(process.execPath, [TESSERA_CLI, "hv", tesseraDts, "--manage", "off", "-icount", "shift=4", "--watchdog", "1200"],
    (out) => endMarker(tesseraLines(out)), 1_300_000);
  const tLines = tesseraLines(ours.out);
  assert.ok(ours.finished, `the Tessera partition never finished its workload:\n${ours.out.slice(-4000)}\n${ours.err}`);

  const expected = withoutLayout(between(xenLines)), actual = withoutLayout(between(tLines));
  assert.ok(expected.length > 20, `Xen's domain printed the workload:\n${xenLines.slice(-40).join("\n")}`);
  assert.equal(expected.find((l) => l.startsWith("hv type: ")), "hv type: xen");
  assert.equal(expected.find((l) => l.startsWith("hv version/minor: ")), "hv version/minor: 17");
  assert.deepEqual(actual, expected);
});
