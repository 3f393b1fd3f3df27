/**
 * Debian's arm64 kernel (linux-image-cloud-arm64, bookworm) and busybox boot under Tessera and
 * under qemu-system-aarch64 -cpu cortex-a53 with the same command line; the initramfs's /init
 * (tests/linux/init.sh) runs a fixed busybox workload between two marker lines and powers off.
 * The text between the markers must be identical. Needs `npm run fetch-guests` (skipped with a
 * note otherwise) and QEMU.
 *
 * -smp 1 runs on QEMU's default GICv2, -smp 2 on GICv3 with its ITS: there the boot log's
 * interrupt-controller lines (the redistributors, the ITS's device and collection tables, the
 * LPI property table and each CPU's pending table, the MSI domains) must also be QEMU's.
 *
 * Tessera runs with -icount shift=4 (a counter tick per instruction): the comparison is of
 * what the workload prints, which must not depend on how busy the host is.
 *
 * TESSERA_LINUX_SMP=1,2 chooses the CPU counts; TESSERA_LINUX_TIMEOUT (seconds, default 900)
 * bounds each Tessera boot.
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT } from "../src/cli/guests.js";
import { QEMU, TESSERA_CLI } from "./harness/paths.js";
import { BEGIN_MARKER, END_MARKER, findGuests, gicBootLines, runLinux, tail, workloadInitrd, workloadText } from "./harness/linux.js";
import { existsSync } from "node:fs";
import { oracleMissing } from "./harness/oracles.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}`
  : !haveQemu ? `${QEMU} not installed`
    : !existsSync(TESSERA_CLI) ? `Tessera CLI not built (${TESSERA_CLI})` : false);
if (skip) process.stderr.write(`# linux.test: skipped: ${skip}\n`);

const smps = (process.env.TESSERA_LINUX_SMP ?? "1,2").split(",").map(Number).filter((n) => n >= 1 && n <= 8);
const TESSERA_TIMEOUT_S = Number(process.env.TESSERA_LINUX_TIMEOUT ?? 900);
const QEMU_TIMEOUT_S = 180;

for (const smp of smps) {
  const gicVersion = smp === 2 ? 3 : undefined;
  test(`Debian Linux, -smp ${smp}${gicVersion ? ", GICv3 with ITS" : ""}: busybox workload output identical under Tessera and QEMU`, {
    skip, timeout: (TESSERA_TIMEOUT_S + QEMU_TIMEOUT_S + 120) * 1000,
  }, async (t) => {
    const initrd = workloadInitrd(guests!);
    const opts = { kernel: guests!.kernel, initrd, smp, gicVersion, markers: [BEGIN_MARKER, END_MARKER], dtbRandomness: false } as const;
    // One after the other: QEMU uses a host thread per CPU, and the host may have only two.
    const q = await runLinux("qemu", { ...opts, timeoutMs: QEMU_TIMEOUT_S * 1000 });
    const qText = workloadText(q.stdout);
    assert.ok(qText, `QEMU did not run the workload\n${tail(q)}`);
    const r = await runLinux("tessera", { ...opts, icount: "shift=4", timeoutMs: TESSERA_TIMEOUT_S * 1000 });
    const text = workloadText(r.stdout);
    assert.ok(text, `Tessera did not run the workload to its end marker\n${tail(r)}`);
    assert.equal(text, qText, `workload output differs from QEMU's\n${tail(r, 10)}`);
    if (gicVersion === 3) {
      const want = gicBootLines(q.stdout);
      assert.ok(want.some((l) => l.startsWith("ITS@")) && want.some((l) => /CPU1: using allocated LPI pending table/.test(l)),
        `QEMU's boot log lacks its ITS lines:\n${want.join("\n")}`);
      assert.deepEqual(gicBootLines(r.stdout), want, "the GIC and ITS boot lines differ from QEMU's");
    }
    // poweroff -f ends in PSCI SYSTEM_OFF: a clean exit, as QEMU's.
    assert.equal(r.code, 0, tail(r));
    const s = (ms: number | undefined) => (ms === undefined ? "?" : (ms / 1000).toFixed(1));
    t.diagnostic(`-smp ${smp}: to /init: QEMU ${s(q.markerMs[BEGIN_MARKER])} s, Tessera ${s(r.markerMs[BEGIN_MARKER])} s; ` +
      `to poweroff: QEMU ${s(q.wallMs)} s, Tessera ${s(r.wallMs)} s`);
  });
}
