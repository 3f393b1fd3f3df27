/**
 * `perf stat` in a Linux guest: Debian's linux-perf (the "perf" package set of
 * scripts/fetch-guests.mjs, with the shared libraries it loads) counts the user-space
 * instructions and cycles of a static loop of exactly 200005 instructions, through the PMU's
 * INST_RETIRED and cycle counters. Both emulators run with -icount shift=4 (QEMU counts
 * INST_RETIRED only then, and cycles are 16 ns of counter time per instruction); the counts
 * must be identical, and the instruction count exact. Needs `npm run fetch-guests` and QEMU.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT, findExtraGuest } from "../../src/cli/guests.js";
import { QEMU, REPO_ROOT } from "../harness/paths.js";
import { oracleMissing } from "../harness/oracles.js";
import { makeElf } from "../harness/elf.js";
import { findGuests, runLinux, tail, workloadText } from "../harness/linux.js";

const guests = findGuests();
const perfRoot = findExtraGuest("perf");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}`
  : !perfRoot ? "perf package set missing (run `npm run fetch-guests`)" : !haveQemu ? `${QEMU} not installed` : false);

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

test("perf stat counts a loop's user instructions and cycles as on QEMU", { skip, timeout: 900_000 }, async (t) => {
  const files: Record<string, Uint8Array> = { loop: loopProgram() };
  for (const f of PERF_FILES) files[f] = readFileSync(join(perfRoot!, f));
  files["lib/ld-linux-aarch64.so.1"] = files["lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"];
  const dir = mkdtempSync(join(tmpdir(), "tessera-perf-"));
  const initrd = join(dir, "initramfs.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "perf-init.sh")), files));
  const opts = { kernel: guests!.kernel, initrd, smp: 1, dtbRandomness: false, extraArgs: ["-icount", "shift=4"] };
  const q = await runLinux("qemu", { ...opts, timeoutMs: 240_000 });
  const want = workloadText(q.stdout);
  assert.ok(want, `QEMU did not run perf\n${tail(q)}`);
  assert.match(want, /^200005,instructions:u$/m);
  const r = await runLinux("tessera", { ...opts, timeoutMs: 600_000 });
  assert.equal(workloadText(r.stdout), want, `perf's counts differ from QEMU's\n${tail(r, 15)}`);
  assert.equal(r.code, 0, tail(r));
  t.diagnostic(want.split("\n").slice(1, -1).join("; "));
});
