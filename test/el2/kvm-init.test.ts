/**
 * Debian's kernel started at EL2 (`-machine virtualization=on`, GICv3) brings KVM up: the
 * "kvm [1]: ..." lines it prints (the IPA size, the vgic, "Hyp mode initialized successfully")
 * must be those it prints under qemu-system-aarch64 with the same command line, and /dev/kvm
 * must exist in the guest.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT } from "../../src/cli/guests.js";
import { findGuests, runLinux, tail } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";

const guests = findGuests();
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : false);

const INIT = `#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo "kvm-device: $(ls /dev/kvm)"
echo "=== KVM-DONE ==="
poweroff -f
`;

/** The kernel's KVM lines, timestamps removed. */
function kvmLines(stdout: string): string[] {
  return stdout.replace(/\r/g, "").split("\n").map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ""))
    .filter((l) => /^kvm \[\d+\]: /.test(l) || l.startsWith("kvm-device: "));
}

test("Debian's kernel at EL2 initialises KVM as under QEMU", { skip, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-kvm-"));
  const initrd = join(dir, "initramfs.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, INIT));
  const options = { kernel: guests!.kernel, initrd, smp: 2, memory: "256M", gicVersion: 3 as const, dtbRandomness: false,
    machineOptions: "virtualization=on", timeoutMs: 600_000 };
  const qemu = await runLinux("qemu", options);
  const ours = await runLinux("tessera", { ...options, icount: "shift=4" });
  const expected = kvmLines(qemu.stdout);
  assert.ok(expected.includes("kvm [1]: Hyp mode initialized successfully"), `QEMU's guest initialised KVM:\n${tail(qemu)}`);
  assert.ok(expected.includes("kvm-device: /dev/kvm"), `/dev/kvm under QEMU:\n${tail(qemu)}`);
  assert.deepEqual(kvmLines(ours.stdout), expected, tail(ours));
});
