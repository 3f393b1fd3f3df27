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
 *
 * The same boot then runs Debian's toolstack, when the "xen-utils" set of
 * scripts/fetch-guests.mjs (xen-utils-4.17 and its libraries) is in the guest cache: after the
 * workload, dom0's /init runs tests/linux/xen-toolstack.sh, which starts xenstored,
 * xen-init-dom0 and xenconsoled, prints `xl list` and `xl info`, creates a bare-metal domU
 * (tests/guests/xen-domu, built here with the cross compiler, booted by xl as an arm64 Image)
 * whose output on Xen's emulated SBSA UART xenconsoled logs, lists the domains again and
 * destroys the domU; the second test compares that section. One boot for both because the
 * boot to dom0's /init is the slowest part of either (some 10 s under QEMU, 40 s and, on a
 * busy host, two minutes and more under Tessera). Left out by the script itself: `xl list`'s
 * CPU time column, and `xl info`'s xen_caps, for the reason the capabilities file is.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT, findExtraGuest } from "../../src/cli/guests.js";
import { busyboxRoot, S_IFLNK, S_IFREG, writeNewc, type CpioEntry } from "../../src/initramfs/cpio.js";
import { buildGuests, missingTools } from "../harness/guests.js";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, WORKLOAD_INIT, workloadText, type LinuxRun } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, REPO_ROOT } from "../harness/paths.js";

const guests = findGuests();
const xenDir = findExtraGuest("xen");
const xen = xenDir && join(xenDir, "boot", "xen-4.17-arm64");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}`
  : !xen || !existsSync(xen) ? `Debian's Xen missing from the guest cache: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed` : false);

const HYPERVISOR_FILES = ["type", "uuid", "guest_type", "version/major", "version/minor", "version/extra", "properties/changeset",
  "properties/pagesize", "properties/virtual_start", "properties/features", "compilation/compiler", "compilation/compiled_by"];

/**
 * The workload /init with dom0's view of Xen printed first, inside the markers, and the
 * toolstack section (tests/linux/xen-toolstack.sh, when the initramfs has the tools) last.
 */
function dom0Init(): string {
  const workload = readFileSync(WORKLOAD_INIT, "utf8");
  const hv = [...HYPERVISOR_FILES.map((f) => `echo "hv ${f}: $(cat /sys/hypervisor/${f})"`),
    `echo "console: $(cat /sys/class/tty/console/active)"`, `ls /proc/xen 2>/dev/null | tr '\\n' ' '; echo`].join("\n");
  const at = workload.indexOf(`echo "${BEGIN_MARKER}"`);
  assert.ok(at > 0, "the workload /init has its begin marker");
  const line = workload.indexOf("\n", at) + 1;
  const end = workload.lastIndexOf("poweroff -f");
  assert.ok(end > line, "the workload /init ends with poweroff");
  return workload.slice(0, line) + hv + "\n" + workload.slice(line, end) +
    `[ -x /${TOOLS_BIN}/xl ] && sh /xen-toolstack.sh\n` + workload.slice(end);
}

const tools = findExtraGuest("xen-utils");
const toolsMissing = !tools ? `Debian's Xen tools (the xen-utils set) missing from the guest cache: ${FETCH_HINT}`
  : missingTools({ compiler: true, qemu: false }) ?? false;
const TOOLS_BIN = "usr/lib/xen-4.17/bin";
const TOOLSTACK_BEGIN = "=== XEN-TOOLSTACK BEGIN ===", TOOLSTACK_END = "=== XEN-TOOLSTACK END ===";
/**
 * The programs xen-toolstack.sh runs and their DT_NEEDED closure (readelf -d, Debian bookworm's
 * 4.17 packages), the dynamic loader, and libgcc_s, which glibc loads when xl's child process
 * is cancelled.
 */
const TOOLSTACK_FILES = [
  ...["xl", "xenstored", "xenconsoled", "xen-init-dom0"].map((p) => `${TOOLS_BIN}/${p}`),
  "usr/bin/xenstore",
  ...["ld-linux-aarch64.so.1", "libc.so.6", "libz.so.1", "libgcc_s.so.1"].map((l) => `lib/aarch64-linux-gnu/${l}`),
  ...["libfdt.so.1", "libuuid.so.1", "libxencall.so.1", "libxenctrl.so.4.17", "libxendevicemodel.so.1", "libxenevtchn.so.1",
    "libxenforeignmemory.so.1", "libxengnttab.so.1", "libxenguest.so.4.17", "libxenhypfs.so.1", "libxenlight.so.4.17", "libxenstore.so.4",
    "libxentoolcore.so.1", "libxentoollog.so.1", "libxlutil.so.4.17", "libyajl.so.2"].map((l) => `usr/lib/aarch64-linux-gnu/${l}`),
];
/** Modules of Debian's cloud kernel the tools need (its config has them =m): /dev/xen/* and /proc/xen. */
const XEN_MODULES = ["xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xenfs/xenfs"];

/** The initramfs members of the toolstack section: the tools, the kernel's Xen modules, the script and the domU. */
function toolstackEntries(): CpioEntry[] {
  const g = guests!;
  const enc = new TextEncoder();
  const link = (name: string, target: string): CpioEntry => ({ name, mode: S_IFLNK | 0o777, data: enc.encode(target) });
  const file = (name: string, data: Uint8Array, mode = 0o755): CpioEntry => ({ name, mode: S_IFREG | mode, data });
  const entries = TOOLSTACK_FILES.map((f) => file(f, readFileSync(join(tools!, f))));
  // The loader's path in the programs' PT_INTERP; xenstore-* are one program that goes by its name.
  entries.push(link("lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu/ld-linux-aarch64.so.1"));
  for (const n of ["read", "ls"]) entries.push(link(`usr/bin/xenstore-${n}`, "xenstore"));
  const modules = join(g.dir, "linux", "lib", "modules", basename(g.kernel).replace(/^vmlinuz-/, ""), "kernel", "drivers", "xen");
  for (const m of XEN_MODULES) entries.push(file(`modules/${basename(m)}.ko`, readFileSync(join(modules, `${m}.ko`)), 0o644));
  entries.push(file("xen-toolstack.sh", readFileSync(join(REPO_ROOT, "tests", "linux", "xen-toolstack.sh"))));
  entries.push(file("domu.img", readFileSync(join(buildGuests(["xen-domu"]), "xen-domu.img")), 0o644));
  return entries;
}

/** The console text between the toolstack section's markers (CRs removed), or undefined. */
function toolstackText(stdout: string): string | undefined {
  const text = stdout.replace(/\r/g, "");
  const a = text.indexOf(TOOLSTACK_BEGIN), b = text.indexOf(TOOLSTACK_END);
  return a < 0 || b < a ? undefined : text.slice(a, b + TOOLSTACK_END.length);
}

/** One boot under each emulator, shared by both tests (started by the first that asks). */
let boots: Promise<{ qemu: LinuxRun; ours: LinuxRun }> | undefined;
function boot(): Promise<{ qemu: LinuxRun; ours: LinuxRun }> {
  boots ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-xen-dom0-"));
    // Uncompressed: with the tools it is some 7 MB, which dom0 would otherwise inflate first.
    const initrd = join(dir, "dom0.cpio");
    writeFileSync(initrd, writeNewc(busyboxRoot(readFileSync(guests!.busybox), new TextEncoder().encode(dom0Init()),
      toolsMissing ? [] : toolstackEntries())));
    const options = {
      smp: 2, memory: "1G", gicVersion: 3 as const, dtbRandomness: false, kernel: xen!, initrd: "",
      append: "dom0_mem=512M console=dtuart dtuart=/pl011@9000000 noreboot",
      machineOptions: "virtualization=on",
      extraArgs: ["-device", `guest-loader,addr=0x49000000,kernel=${guests!.kernel},bootargs=console=hvc0 panic=-1`,
        "-device", `guest-loader,addr=0x50000000,initrd=${initrd}`],
      markers: [BEGIN_MARKER, TOOLSTACK_BEGIN],
      timeoutMs: 1_200_000,
    };
    const qemu = await runLinux("qemu", options);
    // Instruction time for Tessera (-icount shift=4): on a busy host, time on the host clock makes
    // a starved emulator look like a stalled CPU to Xen and Linux.
    const ours = await runLinux("tessera", { ...options, icount: "shift=4" });
    return { qemu, ours };
  })();
  return boots;
}

/** Xen's log lines (its own, "(XEN) ..."), less those that print the CPU's ID registers. */
function xenLog(stdout: string): string[] {
  const lines = stdout.replace(/\r/g, "").split("\n").filter((l) => l.startsWith("(XEN)"));
  const at = lines.findIndex((l) => /^\(XEN\) 64-bit Execution:/.test(l));
  const end = lines.findIndex((l) => /^\(XEN\) Using SMC Calling Convention|^\(XEN\) Using PSCI/.test(l));
  return at >= 0 && end > at ? [...lines.slice(0, at), ...lines.slice(end)] : lines;
}

test("Debian's Xen 4.17 boots Debian's kernel as dom0 on GICv3 at -smp 2: the same dom0 workload as under QEMU", { skip, timeout: 1_500_000 }, async () => {
  const { qemu, ours } = await boot();
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

test("Debian's xl, xenstored and xenconsoled in that dom0 list Domain-0 and run a bare-metal domU as under QEMU", { skip, timeout: 1_500_000 }, async (t) => {
  // Checked here rather than with the file's skip: the dom0 test above runs without the tools.
  if (toolsMissing) { t.skip(oracleMissing(toolsMissing) || undefined); return; }
  const { qemu, ours } = await boot();
  const expected = toolstackText(qemu.stdout), actual = toolstackText(ours.stdout);
  assert.ok(expected, `QEMU's dom0 ran the toolstack section:\n${tail(qemu)}`);
  // The oracle's run did what the script sets out to do, so that the comparison means it.
  assert.match(expected!, /^Domain-0 +0 +512 +2 +r-----$/m);
  assert.match(expected!, /^xen_version +: 4\.17\.\d+$/m);
  assert.match(expected!, /^-- domU console \(guest-domu-vuart0\.log\)\nxen-domu: a bare-metal domU on Xen's SBSA UART\nCurrentEL=1 /m);
  assert.match(expected!, /^xen_version: 4\.17\nxen-domu: done, waiting for xl destroy\n-- xl list\n.*\nDomain-0 .*\ndomu +1 +16 +1 +-b----\n-- xl destroy\n.*\nDomain-0 .*\n=== /m);
  assert.doesNotMatch(expected!, /failed|error/i);
  assert.ok(actual, `Tessera's dom0 ran the toolstack section:\n${tail(ours)}`);
  assert.equal(actual, expected);
  const s = (ms: number | undefined) => (ms === undefined ? "?" : (ms / 1000).toFixed(1));
  const m = (r: LinuxRun) => `${s(r.markerMs[BEGIN_MARKER])} s to dom0's workload, ${s(r.markerMs[TOOLSTACK_BEGIN])} s to the toolstack, ` +
    `${s(r.wallMs)} s to poweroff`;
  t.diagnostic(`QEMU ${m(qemu)}; Tessera ${m(ours)}`);
});
