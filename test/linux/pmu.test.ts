/**
 * Linux and the PMU, against qemu-system-aarch64 -cpu cortex-a53, both with -icount shift=4
 * (QEMU supports INST_RETIRED only with precise icount; cycles are then 16 ns of counter time
 * per instruction). Debian's kernel must probe armv8_pmuv3 as there ("hw perfevents: enabled
 * with armv8_pmuv3 PMU driver, 7 counters available": six event counters and the cycle
 * counter) and list the same events (from PMCEID0/1_EL0); and with the "perf" package set of
 * scripts/fetch-guests.mjs (Debian's linux-perf and the shared libraries it loads) in the
 * initramfs, `perf stat -e instructions:u,cycles:u` of a static loop of exactly 200005
 * instructions must count exactly that, and the same cycles as QEMU. tests/linux/pmu-init.sh
 * prints it all; the outputs are compared byte for byte. Needs `npm run fetch-guests` and QEMU
 * (without the perf set, the perf part is left out, with a note).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT, findExtraGuest } from "../../src/cli/guests.js";
import { busyboxRoot, S_IFREG, writeNewc } from "../../src/initramfs/cpio.js";
import { QEMU, REPO_ROOT } from "../harness/paths.js";
import { oracleMissing } from "../harness/oracles.js";
import { makeElf } from "../harness/elf.js";
import { BEGIN_MARKER, findGuests, runLinux, tail, workloadText } from "../harness/linux.js";

const guests = findGuests();
const perfRoot = findExtraGuest("perf");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed` : false);

/** What /usr/bin/perf loads (its DT_NEEDED closure, as readelf lists it for Debian bookworm's 6.1 perf) and the dynamic loader. */
const PERF_FILES = [
  "usr/bin/perf", "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
  ...["libbz2.so.1.0", "libc.so.6", "libcap.so.2", "libcrypt.so.1", "libexpat.so.1", "libgcc_s.so.1", "liblzma.so.5", "libm.so.6",
    "libz.so.1"].map((l) => `lib/aarch64-linux-gnu/${l}`),
  ...["libbabeltrace-ctf.so.1", "libbabeltrace.so.1", "libdw.so.1", "libelf.so.1", "libglib-2.0.so.0", "libnuma.so.1", "libopencsd.so.1",
    "libopencsd_c_api.so.1", "libpcre2-8.so.0", "libperl.so.5.36", "libpython3.11.so.1.0", "libslang.so.2", "libstdc++.so.6",
    "libunwind-aarch64.so.8", "libunwind.so.8", "libuuid.so.1", "libzstd.so.1"].map((l) => `usr/lib/aarch64-linux-gnu/${l}`),
];

/** A static AArch64 Linux program: 100000 iterations of SUBS/B.NE, then exit(0); 200005 instructions. */
function loopProgram(): Uint8Array {
  const words = [
    0xd290d400, // movz x0, #0x86a0
    0xf2a00020, // movk x0, #1, lsl #16: 100000
    0xf1000400, // subs x0, x0, #1
    0x54ffffe1, // b.ne .-4
    0xd2800ba8, // movz x8, #93 (exit)
    0xd2800000, // movz x0, #0
    0xd4000001, // svc #0
  ];
  const image = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(image.buffer).setUint32(i * 4, w, true));
  return makeElf(image, 0x400000n);
}

test("Linux probes the PMU as on QEMU, and perf stat counts a loop exactly", { skip, timeout: 900_000 }, async (t) => {
  const files: Record<string, Uint8Array> = {};
  if (perfRoot) {
    files.loop = loopProgram();
    for (const f of PERF_FILES) files[f] = readFileSync(join(perfRoot, f));
    files["lib/ld-linux-aarch64.so.1"] = files["lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"];
  } else {
    t.diagnostic("perf package set not fetched (npm run fetch-guests): perf stat left out");
  }
  // Uncompressed: perf and its libraries are some 28 MB, which the guest would otherwise inflate
  // first (most of the boot's time under emulation).
  const dir = mkdtempSync(join(tmpdir(), "tessera-pmu-"));
  const initrd = join(dir, "initramfs.cpio");
  const init = readFileSync(join(REPO_ROOT, "tests", "linux", "pmu-init.sh"));
  const extra = Object.entries(files).map(([name, data]) => ({ name, mode: S_IFREG | 0o755, data }));
  writeFileSync(initrd, writeNewc(busyboxRoot(readFileSync(guests!.busybox), init, extra)));
  const opts = { kernel: guests!.kernel, initrd, smp: 1, dtbRandomness: false, extraArgs: ["-icount", "shift=4"], markers: [BEGIN_MARKER] };
  const q = await runLinux("qemu", { ...opts, timeoutMs: 240_000 });
  const want = workloadText(q.stdout);
  assert.ok(want, `QEMU did not run the PMU script\n${tail(q)}`);
  assert.match(want, /^hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 counters available$/m);
  assert.match(want, /^inst_retired: event=0x0008$/m);
  if (perfRoot) assert.match(want, /^200005,instructions:u$/m);
  const r = await runLinux("tessera", { ...opts, timeoutMs: 600_000 });
  assert.equal(workloadText(r.stdout), want, `the PMU as Linux sees it differs from QEMU's\n${tail(r, 15)}`);
  assert.equal(r.code, 0, tail(r));
  t.diagnostic(want.split("\n").slice(1, -1).join("; "));
  const s = (ms: number | undefined) => (ms === undefined ? "?" : (ms / 1000).toFixed(1));
  t.diagnostic(`to /init: QEMU ${s(q.markerMs[BEGIN_MARKER])} s, Tessera ${s(r.markerMs[BEGIN_MARKER])} s; ` +
    `to poweroff: QEMU ${s(q.wallMs)} s, Tessera ${s(r.wallMs)} s`);
});
