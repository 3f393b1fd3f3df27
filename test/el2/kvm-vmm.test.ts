/**
 * KVM on the emulated EL2, under Debian's kernel started at EL2 (`-machine virtualization=on`,
 * GICv3, -smp 2), one boot per emulator for both checks:
 *
 * - the kernel brings KVM up: the "kvm [1]: ..." lines it prints (the IPA size, the vgic,
 *   "Hyp mode initialized successfully") must be those it prints under qemu-system-aarch64 with
 *   the same command line, and /dev/kvm must exist;
 * - the team's VMM (tests/linux/kvm-vmm.c, static, on /dev/kvm) runs the bare-metal guest
 *   tests/linux/kvm-guest.c at EL1, which prints through MMIO exits to the VMM, takes an SGI
 *   and its virtual timer's interrupt through KVM's vgic-v3 (the GIC's list registers, KVM's
 *   trap of ICC_SGI1R_EL1, its timer behind a WFI) and powers off with PSCI SYSTEM_OFF: the
 *   VMM's output must be that under QEMU, byte for byte.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT } from "../../src/cli/guests.js";
import { missingTools } from "../harness/guests.js";
import { findGuests, runLinux, tail, type LinuxRun } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { CROSS_CC, REPO_ROOT } from "../harness/paths.js";

const guests = findGuests();
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : missingTools({ compiler: true, qemu: true }) ?? false);
const SRC = join(REPO_ROOT, "tests", "linux");
const BEGIN = "=== KVM-VMM BEGIN ===", END = "=== KVM-DONE ===";

// The second run of the VMM is bad input: one line naming the missing image, exit status 1.
const INIT = `#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo "kvm-device: $(ls /dev/kvm)"
echo "${BEGIN}"
/bin/kvm-vmm /kvm-guest.bin
echo "kvm-vmm: exit $?"
/bin/kvm-vmm /no-such-image
echo "kvm-vmm: exit $?"
echo "${END}"
poweroff -f
`;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}\n${r.stderr}`);
}

/** The VMM (static, against the cross toolchain's UAPI <linux/kvm.h>) and the guest's flat image. */
function buildInitrd(dir: string): string {
  const vmm = join(dir, "kvm-vmm"), elf = join(dir, "kvm-guest.elf"), image = join(dir, "kvm-guest.bin");
  run(CROSS_CC, ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", vmm, join(SRC, "kvm-vmm.c")]);
  // Freestanding at EL1 with the MMU off: no FP/SIMD (CPACR_EL1 is reset to trap it), strictly aligned accesses.
  run(CROSS_CC, ["-O2", "-ffreestanding", "-nostdlib", "-static", "-fno-pic", "-fno-pie", "-mgeneral-regs-only", "-mstrict-align",
    "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-Wall", "-Wextra", "-Werror", "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments", "-Wl,-n",
    "-T", join(SRC, "kvm-guest.ld"), "-o", elf, join(SRC, "kvm-guest.c")]);
  run(CROSS_CC.replace(/gcc$/, "objcopy"), ["-O", "binary", elf, image]);
  const initrd = join(dir, "initramfs.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, INIT, {
    "bin/kvm-vmm": new Uint8Array(readFileSync(vmm)), "kvm-guest.bin": new Uint8Array(readFileSync(image)),
  }));
  return initrd;
}

let boots: Promise<{ qemu: LinuxRun; ours: LinuxRun }> | undefined;
/** QEMU's boot and Tessera's, shared by both tests. */
function boot(): Promise<{ qemu: LinuxRun; ours: LinuxRun }> {
  boots ??= (async () => {
    const initrd = buildInitrd(mkdtempSync(join(tmpdir(), "tessera-kvm-")));
    const options = { kernel: guests!.kernel, initrd, smp: 2, memory: "256M", gicVersion: 3 as const, dtbRandomness: false,
      machineOptions: "virtualization=on", timeoutMs: 600_000 };
    const qemu = await runLinux("qemu", options);
    const ours = await runLinux("tessera", { ...options, icount: "shift=4" });
    return { qemu, ours };
  })();
  return boots;
}

/** Console lines without CRs and the kernel's timestamps. */
function lines(stdout: string): string[] {
  return stdout.replace(/\r/g, "").split("\n").map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ""));
}

/** The kernel's KVM lines. */
function kvmLines(stdout: string): string[] {
  return lines(stdout).filter((l) => /^kvm \[\d+\]: /.test(l) || l.startsWith("kvm-device: "));
}

/** What the VMM and its guest print, without any kernel message that comes in between. */
function vmmLines(stdout: string): string[] {
  const text = stdout.replace(/\r/g, "");
  const a = text.indexOf(BEGIN), b = text.indexOf(END, a);
  if (a < 0 || b < 0) return [];
  return text.slice(a + BEGIN.length, b).split("\n").filter((l) => l !== "" && !/^\[\s*\d+\.\d+\] /.test(l));
}

test("Debian's kernel at EL2 initialises KVM as under QEMU", { skip, timeout: 1_300_000 }, async () => {
  const { qemu, ours } = await boot();
  const expected = kvmLines(qemu.stdout);
  assert.ok(expected.includes("kvm [1]: Hyp mode initialized successfully"), `QEMU's guest initialised KVM:\n${tail(qemu)}`);
  assert.ok(expected.includes("kvm-device: /dev/kvm"), `/dev/kvm under QEMU:\n${tail(qemu)}`);
  assert.deepEqual(kvmLines(ours.stdout), expected, tail(ours));
});

test("a VMM on /dev/kvm runs a bare-metal guest that prints through MMIO exits and takes interrupts, as under QEMU", { skip, timeout: 1_300_000 }, async () => {
  const { qemu, ours } = await boot();
  const expected = vmmLines(qemu.stdout);
  // The oracle's run says what it must: the guest ran at EL1, computed the CRC-32 check value
  // (ITU-T V.42's "123456789" gives 0xcbf43926), took its exceptions and powered off.
  for (const line of ["hello from a KVM guest", "CurrentEL: 0x1", 'CRC-32 of "123456789": 0xcbf43926',
    "exception: ESR_EL1 0x5600002a (SVC #42)", "exception: ESR_EL1 0xf2000007 (BRK #7)", "back from both exceptions",
    "irq: INTID 1 (SGI)", "irq: INTID 27 (virtual timer), CNTV_CTL_EL0 0x5, counter past CNTV_CVAL_EL0", "powering off",
    "kvm-vmm: exit 0", "kvm-vmm: /no-such-image: No such file or directory", "kvm-vmm: exit 1"])
    assert.ok(expected.includes(line), `"${line}" under QEMU:\n${tail(qemu, 40)}`);
  assert.ok(expected.some((l) => /^kvm-vmm: guest powered off \(PSCI SYSTEM_OFF\) after \d+ MMIO exits$/.test(l)), tail(qemu, 40));
  assert.deepEqual(vmmLines(ours.stdout), expected, tail(ours, 40));
});
