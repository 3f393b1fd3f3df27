/**
 * Debian's kernel with a busybox initramfs (tests/linux/virtio-init.sh), three raw disk images,
 * virtio-rng and a virtio console on a file chardev, under qemu-system-aarch64 and Tessera with
 * the same command line, once with the legacy transports (QEMU's default) and once with virtio-mmio.force-legacy=false. The
 * guest prints the virtio devices (feature bits negotiated, transport addresses), the disks'
 * sizes, limits and checksums, writes a block to each disk and reads entropy: the text between
 * the markers must be the same. Then the image files must hold what each run's guest wrote:
 * the read-write disk the new block, the readonly=on and snapshot=on ones their old contents,
 * and the console's file the lines the guest wrote to /dev/hvc0.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT, type CachedGuests } from "../../src/cli/guests.js";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, workloadText } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, REPO_ROOT } from "../harness/paths.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
/** The kernel's modules, unpacked beside it by the fetch script (lib/modules/<uname -r>). */
const drivers = guests && join(guests.dir, "linux", "lib", "modules", basename(guests.kernel).replace(/^vmlinuz-/, ""), "kernel", "drivers");
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed`
  : !existsSync(join(drivers!, "virtio", "virtio_mmio.ko")) ? `the cached kernel's virtio modules are missing (${drivers}): ${FETCH_HINT}` : false);
const TESSERA_TIMEOUT_S = Number(process.env.TESSERA_LINUX_TIMEOUT ?? 900);
const QEMU_TIMEOUT_S = 180;
const SIZE = 1 << 20;

/** The Debian cloud kernel has the virtio drivers as modules: the initramfs carries them. */
function virtioInitrd(g: CachedGuests, dir: string): string {
  const modules: Record<string, string> = {
    virtio_ring: "virtio/virtio_ring.ko", virtio: "virtio/virtio.ko", virtio_mmio: "virtio/virtio_mmio.ko",
    virtio_blk: "block/virtio_blk.ko", "virtio-rng": "char/hw_random/virtio-rng.ko", virtio_console: "char/virtio_console.ko",
  };
  const extra = Object.fromEntries(Object.entries(modules).map(([name, path]) => [`modules/${name}.ko`, new Uint8Array(readFileSync(join(drivers!, path)))]));
  const path = join(dir, "initramfs.cpio.gz");
  writeFileSync(path, busyboxInitramfs(g.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "virtio-init.sh")), extra));
  return path;
}

/** A disk with a pattern that differs per image and per sector. */
function pattern(seed: number): Uint8Array {
  const b = new Uint8Array(SIZE);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + seed + (i >> 9)) & 0xff;
  return b;
}

/** Three images for one run, and the command line that attaches them (in vdc, vdb, vda order). */
function disks(dir: string, run: string) {
  const files = { rw: join(dir, `${run}-rw.img`), ro: join(dir, `${run}-ro.img`), snap: join(dir, `${run}-snap.img`), console: join(dir, `${run}-console.txt`) };
  writeFileSync(files.rw, pattern(1));
  writeFileSync(files.ro, pattern(2));
  writeFileSync(files.snap, pattern(3));
  const args = [
    "-drive", `file=${files.snap},if=none,id=snap,format=raw,snapshot=on`, "-device", "virtio-blk-device,drive=snap",
    "-drive", `file=${files.ro},if=none,id=ro,format=raw,readonly=on`, "-device", "virtio-blk-device,drive=ro",
    "-drive", `file=${files.rw},if=none,id=rw,format=raw`, "-device", "virtio-blk-device,drive=rw",
    "-device", "virtio-rng-device",
    "-chardev", `file,id=con0,path=${files.console}`, "-device", "virtio-serial-device", "-device", "virtconsole,chardev=con0",
  ];
  return { files, args };
}

function checkImages(files: { rw: string; ro: string; snap: string; console: string }, who: string) {
  // The guest's tty turns each newline into CR LF (onlcr) before the port sees it.
  assert.equal(readFileSync(files.console, "latin1"), "hello from the guest\r\nsecond line\r\n", `${who}: the console file holds the guest's lines`);
  const written = pattern(1);
  written.fill(0x57, 4096, 8192); // the guest's block of 'W' at offset 4096
  assert.ok(Buffer.compare(readFileSync(files.rw), written) === 0, `${who}: the read-write image holds the guest's write`);
  assert.ok(Buffer.compare(readFileSync(files.ro), pattern(2)) === 0, `${who}: the readonly=on image is unchanged`);
  assert.ok(Buffer.compare(readFileSync(files.snap), pattern(3)) === 0, `${who}: the snapshot=on image is unchanged`);
}

for (const legacy of [true, false]) {
  const mode = legacy ? "legacy virtio-mmio" : "virtio-mmio.force-legacy=false";
  test(`Linux on virtio-blk, virtio-rng and virtio-console (${mode}): same output as QEMU, images as the guest left them`, {
    skip, timeout: (TESSERA_TIMEOUT_S + QEMU_TIMEOUT_S + 120) * 1000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-virtio-"));
    const initrd = virtioInitrd(guests!, dir);
    const global = legacy ? [] : ["-global", "virtio-mmio.force-legacy=false"];
    const opts = { kernel: guests!.kernel, initrd, smp: 1, markers: [BEGIN_MARKER, END_MARKER] };
    const qd = disks(dir, "qemu");
    const q = await runLinux("qemu", { ...opts, extraArgs: [...qd.args, ...global], timeoutMs: QEMU_TIMEOUT_S * 1000 });
    const qText = workloadText(q.stdout);
    assert.ok(qText, `QEMU did not run the workload\n${tail(q)}`);
    // The workload must have seen the devices at all (a kernel without them prints errors instead).
    assert.match(qText, /virtio_blk at a003a00\.virtio_mmio/);
    assert.match(qText, /driver=virtio_console at a003600\.virtio_mmio/);
    assert.match(qText, /vdb write failed/);
    assert.match(qText, /^virtio_rng\.0$/m);
    assert.match(qText, /hwrng bytes: 64/);
    checkImages(qd.files, "QEMU");
    const td = disks(dir, "tessera");
    const r = await runLinux("tessera", { ...opts, extraArgs: [...td.args, ...global], timeoutMs: TESSERA_TIMEOUT_S * 1000 });
    const text = workloadText(r.stdout);
    assert.ok(text, `Tessera did not run the workload to its end marker\n${tail(r)}`);
    assert.equal(text, qText, `workload output differs from QEMU's\n${tail(r, 10)}`);
    assert.equal(r.code, 0, tail(r));
    checkImages(td.files, "Tessera");
  });
}
