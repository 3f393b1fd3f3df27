/**
 * Xen PV disks: a Xen partition's `xen,vbd` is a blkback in the hypervisor
 * (src/hypervisor/xen/blkback.ts) over a raw image file. Debian's Linux loads xen-blkfront,
 * reads what the host put in the image, writes and syncs, and the data is in the file
 * afterwards; a read-only vbd refuses writes.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT } from "../../src/cli/guests.js";
import { findGuests } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";

const guests = findGuests();
const blkfront = guests && join(guests.dir, "linux", "lib", "modules", basename(guests.kernel).replace(/^vmlinuz-/, ""), "kernel", "drivers", "block", "xen-blkfront.ko");
const linuxSkip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : false);
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
/** What `seq 1 N` prints. */
const seq = (n: number) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `${i + 1}\n`).join(""));

/** In the guest's log and the hypervisor's lines: a back end giving a device up says "device disconnected". */
const KERNEL_TROUBLE = [/kernel BUG/, /Oops/, /Unable to handle/, /WARNING: CPU/, /I\/O error/, /blkfront.*(fail|err|bogus)/i, /vbd vbd-\d+: \d+ /, /device disconnected/];

test("Linux reads and writes a raw image through xen-blkfront and the hypervisor's blkback; a read-only vbd refuses writes", { skip: linuxSkip, timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-blk-"));
  const initrd = join(dir, "xen-blk.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "xen-blk-init.sh")), {
    "modules/xen-blkfront.ko": new Uint8Array(readFileSync(blkfront!)),
  }));
  // The images: xvda 8 MiB with a pattern in its first 64 KiB, xvdb 1 MiB of another.
  const disk = new Uint8Array(8 << 20), ro = new Uint8Array(1 << 20);
  let x = 12345;
  for (let i = 0; i < 65536; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; disk[i] = x >>> 24; }
  for (let i = 0; i < ro.length; i++) ro[i] = (i * 7) & 0xff;
  const diskPath = join(dir, "disk.img"), roPath = join(dir, "ro.img");
  writeFileSync(diskPath, disk);
  writeFileSync(roPath, ro);
  const config = join(dir, "xen-blk.dts");
  writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <1>; memory-size = <0x0 0x40000000>; };
  ram: ram { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x10000000>; };
  partitions {
    linux { compatible = "partition"; label = "linux"; cpus = <0 1>; guest-image = "${guests!.kernel}"; linux-rootfs = "${initrd}";
      bootargs = "console=hvc0 panic=-1 quiet"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&ram>; guest-addr = <0x0 0x40000000>; };
      xvda { compatible = "xen,vbd"; target = "disk.img"; vdev = "xvda"; };
      xvdb { compatible = "xen,vbd"; target = "ro.img"; vdev = "xvdb"; access = "ro"; }; };
  };
};
`);
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "-icount", "shift=4,sleep=off", "--watchdog", "800"], { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-6000)}`);
  const all = r.stdout.split("\n").filter((l) => l.startsWith("[linux] ")).map((l) => l.slice(8).replace(/\r$/, ""));
  const a = all.indexOf("=== TESSERA-WORKLOAD BEGIN ==="), b = all.indexOf("=== TESSERA-WORKLOAD END ===");
  assert.ok(a >= 0 && b > a, all.join("\n"));
  const w = all.slice(a + 1, b);
  const written = seq(5000);
  for (const want of [
    "blkfront: xvda: flush diskcache: enabled; persistent grants: disabled; indirect descriptors: disabled; bounce buffer: disabled;",
    "blkfront: xvdb: flush diskcache: enabled; persistent grants: disabled; indirect descriptors: disabled; bounce buffer: disabled;",
    "xvda: 16384 sectors, ro 0, on vbd-51712",
    "xvdb: 2048 sectors, ro 1, on vbd-51728",
    `xvda first 64 KiB: md5 ${md5(disk.subarray(0, 65536))}`,
    `xvda: wrote ${written.length} bytes at 1 MiB`,
    `xvda at 1 MiB reads back: md5 ${md5(written)}, expected ${md5(written)}`,
    `xvdb first 4 KiB: md5 ${md5(ro.subarray(0, 4096))}`,
    "xvdb: write refused",
  ]) assert.ok(w.includes(want), `missing "${want}":\n${w.join("\n")}`);
  // What the guest wrote and synced is in the file, and nothing else changed.
  const after = new Uint8Array(readFileSync(diskPath));
  assert.equal(after.length, disk.length);
  assert.deepEqual(after.subarray(1 << 20, (1 << 20) + written.length), written);
  assert.equal(md5(after.subarray(0, 1 << 20)), md5(disk.subarray(0, 1 << 20)));
  assert.ok(after.subarray((1 << 20) + 4096 * Math.ceil(written.length / 4096)).every((v) => v === 0));
  assert.deepEqual(new Uint8Array(readFileSync(roPath)), ro);
  const hvLines = r.stdout.split("\n").filter((l) => l.startsWith("[hv] "));
  for (const l of [...all, ...hvLines]) for (const bad of KERNEL_TROUBLE) assert.ok(!bad.test(l), l);
  assert.match(r.stdout, /\[hv\] linux: powered off/);
});
