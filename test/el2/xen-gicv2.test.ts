/**
 * Debian's Xen 4.17 on the GICv2 board (`-machine virt,virtualization=on,gic-version=2`), with
 * Debian's kernel as dom0 (loaded by QEMU's guest-loader, as Xen's multiboot modules): Xen
 * drives the GICv2 virtualization extensions (GICH at 0x08030000, GICV mapped at dom0's GICC,
 * the maintenance PPI 25), and dom0's /init prints what it sees of the hypervisor and its
 * interrupts. The same command line runs under qemu-system-aarch64 and under Tessera; the
 * /init output (dom0's console, hvc0, relayed by Xen to the PL011) must be the same.
 *
 * The /init prints /proc/interrupts without its per-CPU counts (they follow from timing) and
 * the kernel's GIC lines without their timestamps. Tessera runs with `-icount shift=0`: on host
 * time a loaded host makes guest time pass fast against the guest's instructions, so Xen and
 * dom0 spend their time in timer interrupts and dom0's watchdog reports soft lockups; counted
 * time is the same for every run, and nothing the /init prints depends on it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT, findExtraGuest, findGuests } from "../../src/cli/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { runUntil } from "../harness/process.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";

const guests = findGuests();
const xenDir = findExtraGuest("xen");
const xen = xenDir && join(xenDir, "boot", "xen-4.17-arm64");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}`
  : !xen || !existsSync(xen) ? `Debian's Xen missing from the guest cache: ${FETCH_HINT}`
  : !haveQemu ? `${QEMU} not installed` : false);

const BEGIN = "=== XEN-GICV2 BEGIN ===", END = "=== XEN-GICV2 END ===";

const INIT = `#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "${BEGIN}"
echo "hypervisor: $(cat /sys/hypervisor/type) $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)"
echo "cpus: $(grep -c ^processor /proc/cpuinfo)"
awk '{ $2 = ""; $3 = ""; print }' /proc/interrupts
dmesg | sed 's/^\\[[^]]*\\] //' | grep -i 'gic'
echo "${END}"
poweroff -f
`;

const KERNEL_ADDR = 0x4900_0000, INITRD_ADDR = 0x5000_0000;

function initLines(out: string): string[] {
  const lines = out.replace(/\r/g, "").split("\n");
  const a = lines.indexOf(BEGIN), b = lines.indexOf(END);
  return a >= 0 && b > a ? lines.slice(a, b + 1) : [];
}

test("Xen 4.17 with a Debian dom0 on GICv2 (virtualization=on): dom0's /init prints the same under QEMU and Tessera", { skip, timeout: 1_800_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-gicv2-"));
  const initrd = join(dir, "dom0.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, INIT));
  const args = ["-M", "virt,virtualization=on,gic-version=2", "-cpu", "cortex-a53", "-smp", "2", "-m", "1G",
    "-nographic", "-nodefaults", "-net", "none", "-serial", "stdio", "-kernel", xen!,
    "-append", "dom0_mem=512M console=dtuart dtuart=/pl011@9000000 noreboot",
    "-device", `guest-loader,addr=0x${KERNEL_ADDR.toString(16)},kernel=${guests!.kernel},bootargs=console=hvc0 panic=-1`,
    "-device", `guest-loader,addr=0x${INITRD_ADDR.toString(16)},initrd=${initrd}`];

  const real = await runUntil(QEMU, [...args, "-monitor", "none"], (out) => out.includes(END), 600_000);
  const expected = initLines(real.out);
  assert.ok(real.finished && expected.length > 0, `dom0 never finished its /init under QEMU:\n${real.out.slice(-4000)}\n${real.err}`);
  assert.ok(real.out.includes("gic_hyp_addr=0000000008030000"), "Xen found the GICH frame");
  assert.ok(expected.includes("hypervisor: xen 4.17"), `dom0 runs on Xen 4.17:\n${expected.join("\n")}`);
  assert.ok(expected.some((l) => /GIC-0 +27 Level +arch_timer/.test(l)), "dom0's timer is a GIC-0 PPI");

  const ours = await runUntil(process.execPath, [TESSERA_CLI, "run", ...args, "-icount", "shift=0", "--watchdog", "1500"], (out) => out.includes(END), 1_600_000);
  const actual = initLines(ours.out);
  assert.ok(ours.finished, `dom0 never finished its /init under Tessera:\n${ours.out.slice(-4000)}\n${ours.err}`);
  assert.deepEqual(actual, expected);
});
