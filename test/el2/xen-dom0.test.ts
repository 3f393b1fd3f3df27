/**
 * Debian's Xen 4.17 (xen-hypervisor-4.17-arm64, in the guest cache) on the emulated EL2, with
 * Debian's kernel as dom0 handed over by QEMU's `-device guest-loader`, at -smp 2 on GICv3:
 * dom0's /init prints what /sys/hypervisor reports and runs the Linux boot test's busybox
 * workload, which must print the same under qemu-system-aarch64 and Tessera with the same
 * command line. Xen's own boot log must show it found the same board.
 *
 * Not compared: /sys/hypervisor/properties/capabilities, which lists "xen-3.0-armv7l" only
 * where the CPU has AArch32 at EL1 (QEMU's cortex-a53 has; Tessera's CPU is AArch64 only), and
 * the lines of Xen's log that print the ID registers for the same reason.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT, findExtraGuest } from "../../src/cli/guests.js";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, WORKLOAD_INIT, workloadText } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU } from "../harness/paths.js";

const guests = findGuests();
const xenDir = findExtraGuest("xen");
const xen = xenDir && join(xenDir, "boot", "xen-4.17-arm64");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}`
  : !xen || !existsSync(xen) ? `Debian's Xen missing from the guest cache: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed` : false);

const HYPERVISOR_FILES = ["type", "uuid", "guest_type", "version/major", "version/minor", "version/extra", "properties/changeset",
  "properties/pagesize", "properties/virtual_start", "properties/features", "compilation/compiler", "compilation/compiled_by"];

/** The workload /init with dom0's view of Xen printed first, inside the markers. */
function dom0Init(): string {
  const workload = readFileSync(WORKLOAD_INIT, "utf8");
  const hv = [...HYPERVISOR_FILES.map((f) => `echo "hv ${f}: $(cat /sys/hypervisor/${f})"`),
    `echo "console: $(cat /sys/class/tty/console/active)"`, `ls /proc/xen 2>/dev/null | tr '\\n' ' '; echo`].join("\n");
  const at = workload.indexOf(`echo "${BEGIN_MARKER}"`);
  assert.ok(at > 0, "the workload /init has its begin marker");
  const line = workload.indexOf("\n", at) + 1;
  return workload.slice(0, line) + hv + "\n" + workload.slice(line);
}

/** Xen's log lines (its own, "(XEN) ..."), less those that print the CPU's ID registers. */
function xenLog(stdout: string): string[] {
  const lines = stdout.replace(/\r/g, "").split("\n").filter((l) => l.startsWith("(XEN)"));
  const at = lines.findIndex((l) => /^\(XEN\) 64-bit Execution:/.test(l));
  const end = lines.findIndex((l) => /^\(XEN\) Using SMC Calling Convention|^\(XEN\) Using PSCI/.test(l));
  return at >= 0 && end > at ? [...lines.slice(0, at), ...lines.slice(end)] : lines;
}

test("Debian's Xen 4.17 boots Debian's kernel as dom0 on GICv3 at -smp 2: the same dom0 workload as under QEMU", { skip, timeout: 1_500_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-dom0-"));
  const initrd = join(dir, "dom0.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, dom0Init()));
  const options = {
    smp: 2, memory: "1G", gicVersion: 3 as const, dtbRandomness: false, kernel: xen!, initrd: "",
    append: "dom0_mem=512M console=dtuart dtuart=/pl011@9000000 noreboot",
    machineOptions: "virtualization=on",
    extraArgs: ["-device", `guest-loader,addr=0x49000000,kernel=${guests!.kernel},bootargs=console=hvc0 panic=-1`,
      "-device", `guest-loader,addr=0x50000000,initrd=${initrd}`],
    timeoutMs: 1_200_000,
  };
  const qemu = await runLinux("qemu", options);
  // Instruction time for Tessera (-icount shift=4): on a busy host, time on the host clock makes
  // a starved emulator look like a stalled CPU to Xen and Linux.
  const ours = await runLinux("tessera", { ...options, icount: "shift=4" });
  // Xen's console ends dom0's lines with CR CR LF.
  const expected = workloadText(qemu.stdout.replace(/\r/g, "")), actual = workloadText(ours.stdout.replace(/\r/g, ""));
  assert.ok(expected, `QEMU's dom0 ran its workload:\n${tail(qemu)}`);
  assert.ok(actual, `Tessera's dom0 ran its workload:\n${tail(ours)}`);
  const strip = (t: string) => t.split("\n").filter((l) => !l.startsWith("(XEN)")).join("\n");
  assert.match(expected!, /hv type: xen\nhv uuid: 00000000-0000-0000-0000-000000000000\n/);
  assert.match(expected!, /hv version\/minor: 17\n/);
  assert.equal(strip(actual!), strip(expected!));
  assert.ok(actual!.includes(END_MARKER));
  // Xen saw the same board: memory, GICv3 and its redistributors, the timer, both CPUs, dom0's
  // memory and the modules QEMU's guest-loader put in /chosen.
  const ql = xenLog(qemu.stdout), tl = xenLog(ours.stdout);
  for (const line of ["(XEN) GICv3: 256 lines, (IID 0000043b).", "(XEN) Brought up 2 CPUs", "(XEN) *** LOADING DOMAIN 0 ***"]) {
    assert.ok(ql.includes(line), `QEMU's Xen printed ${line}`);
    assert.ok(tl.includes(line), `Tessera's Xen printed ${line}\n${tl.join("\n")}`);
  }
  assert.ok(ours.stdout.includes("(XEN) Hardware Dom0 halted: halting machine"), "dom0's poweroff reached Xen");
});
