/**
 * Debian's kernel with a busybox initramfs (tests/linux/virtio-pci-init.sh) on virtio-blk-pci,
 * virtio-rng-pci, virtio-net-pci (-netdev user) and virtio-serial-pci with a virtconsole, plus
 * an ivshmem-plain on a shared host file, under qemu-system-aarch64 and Tessera with the same
 * command line, in three ways:
 *  - GICv2: MSI-X through the GICv2m frame, the modern virtio-pci interface;
 *  - GICv3: MSI-X through the ITS (the requester ID as DeviceID), ivshmem at addr=6;
 *  - GICv2 with pci=nomsi and virtio_pci.force_legacy=1: INTx through the host's interrupt
 *    map (the swizzle onto SPIs 3-6) and the legacy I/O BAR.
 * The guest prints the PCI enumeration from dmesg (IDs, classes, BARs and their assignment),
 * each function's config space, resources and MSI vectors, the address spaces, the negotiated
 * virtio features, the disk's size and checksums, entropy, a ping of the user network's
 * gateway and the ivshmem registers and shared words: the text between the markers must be the
 * same. Then the files must hold what each guest wrote: the disk's new block, the console's
 * line, and in the shared file both the test's bytes (read by the guest) and the guest's.
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
const modulesDir = guests && join(guests.dir, "linux", "lib", "modules", basename(guests.kernel).replace(/^vmlinuz-/, ""), "kernel");
const MODULES: Record<string, string> = {
  virtio_ring: "drivers/virtio/virtio_ring.ko", virtio: "drivers/virtio/virtio.ko", virtio_pci: "drivers/virtio/virtio_pci.ko",
  virtio_pci_legacy_dev: "drivers/virtio/virtio_pci_legacy_dev.ko", virtio_pci_modern_dev: "drivers/virtio/virtio_pci_modern_dev.ko",
  virtio_blk: "drivers/block/virtio_blk.ko", "virtio-rng": "drivers/char/hw_random/virtio-rng.ko", virtio_console: "drivers/char/virtio_console.ko",
  failover: "net/core/failover.ko", net_failover: "drivers/net/net_failover.ko", virtio_net: "drivers/net/virtio_net.ko",
};
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed`
  : !existsSync(join(modulesDir!, MODULES.virtio_pci)) ? `the cached kernel's virtio-pci modules are missing (${modulesDir}): ${FETCH_HINT}` : false);
const TESSERA_TIMEOUT_S = Number(process.env.TESSERA_LINUX_TIMEOUT ?? 900);
const QEMU_TIMEOUT_S = 180;
const DISK_SIZE = 1 << 20, SHM_SIZE = 1 << 20;

function initrd(g: CachedGuests, dir: string): string {
  const extra = Object.fromEntries(Object.entries(MODULES).map(([name, path]) => [`modules/${name}.ko`, new Uint8Array(readFileSync(join(modulesDir!, path)))]));
  const path = join(dir, "initramfs.cpio.gz");
  writeFileSync(path, busyboxInitramfs(g.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "virtio-pci-init.sh")), extra));
  return path;
}

/** What the test puts in the shared file before boot: words at 0 and 4, a byte at 0x1000. */
function sharedFile(): Uint8Array {
  const b = new Uint8Array(SHM_SIZE);
  b.set([0x53, 0x48, 0x4d, 0x30, 0x01, 0x02, 0x03, 0x04]);
  b[0x1000] = 0x5a;
  return b;
}

function files(dir: string, run: string) {
  const f = { disk: join(dir, `${run}-disk.img`), console: join(dir, `${run}-console.txt`), shm: join(dir, `${run}-shm`) };
  writeFileSync(f.disk, new Uint8Array(DISK_SIZE));
  writeFileSync(f.shm, sharedFile());
  return f;
}

function commandLine(f: ReturnType<typeof files>, ivshmemAddr: string | undefined): string[] {
  return [
    "-drive", `file=${f.disk},if=none,id=d0,format=raw`, "-device", "virtio-blk-pci,drive=d0",
    "-device", "virtio-rng-pci",
    "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,romfile=",
    "-chardev", `file,id=c0,path=${f.console}`, "-device", "virtio-serial-pci", "-device", "virtconsole,chardev=c0",
    "-object", `memory-backend-file,id=m0,size=${SHM_SIZE},share=on,mem-path=${f.shm}`,
    "-device", `ivshmem-plain,memdev=m0${ivshmemAddr ? `,addr=${ivshmemAddr}` : ""}`,
  ];
}

function checkFiles(f: ReturnType<typeof files>, who: string): void {
  const disk = new Uint8Array(DISK_SIZE);
  disk.fill(0x57, 4096, 8192);
  assert.ok(Buffer.compare(readFileSync(f.disk), disk) === 0, `${who}: the disk holds the guest's block`);
  assert.equal(readFileSync(f.console, "latin1"), "hello over virtio-serial-pci\r\n", `${who}: the console file holds the guest's line`);
  const shm = sharedFile();
  shm.set([0x53, 0x45, 0x55, 0x47, 0x21, 0x54], 16); // the guest's 0x47554553 and 0x5421, little-endian
  assert.ok(Buffer.compare(readFileSync(f.shm), shm) === 0, `${who}: the shared file holds the test's bytes and the guest's`);
}

const RUNS = [
  { name: "GICv2, MSI-X through GICv2m", gic: 2 as const, append: "", ivshmemAddr: undefined, expect: /MSI 16385 Edge +virtio0-req\.0/ },
  { name: "GICv3, MSI-X through the ITS", gic: 3 as const, append: "", ivshmemAddr: "6", expect: /ITS-MSI 16385 Edge +virtio0-req\.0/ },
  { name: "INTx and the legacy interface", gic: 2 as const, append: " pci=nomsi virtio_pci.force_legacy=1", ivshmemAddr: undefined, expect: /GIC-0 +36 Level +virtio0/ },
];

for (const run of RUNS) {
  test(`Linux on virtio-pci and ivshmem (${run.name}): same output as QEMU, files as the guest left them`, {
    skip, timeout: (TESSERA_TIMEOUT_S + QEMU_TIMEOUT_S + 120) * 1000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-virtio-pci-"));
    const opts = {
      kernel: guests!.kernel, initrd: initrd(guests!, dir), smp: 1, gicVersion: run.gic, dtbRandomness: false,
      append: `console=ttyAMA0 panic=-1${run.append}`, markers: [BEGIN_MARKER, END_MARKER],
    };
    const qf = files(dir, "qemu");
    const q = await runLinux("qemu", { ...opts, extraArgs: commandLine(qf, run.ivshmemAddr), timeoutMs: QEMU_TIMEOUT_S * 1000 });
    const qText = workloadText(q.stdout);
    assert.ok(qText, `QEMU did not run the workload\n${tail(q)}`);
    // The workload must have seen the devices at all.
    assert.match(qText, /^pci 0000:00:01\.0: \[1af4:1001\] type 00 class 0x010000$/m);
    assert.match(qText, /^pci 0000:00:0[56]\.0: \[1af4:1110\] type 00 class 0x050000$/m);
    assert.match(qText, run.expect);
    assert.match(qText, /2 packets transmitted, 2 packets received/);
    assert.match(qText, /host wrote: 0x304D4853 0x04030201 0x5A/);
    checkFiles(qf, "QEMU");
    const tf = files(dir, "tessera");
    const r = await runLinux("tessera", { ...opts, extraArgs: commandLine(tf, run.ivshmemAddr), timeoutMs: TESSERA_TIMEOUT_S * 1000 });
    const text = workloadText(r.stdout);
    assert.ok(text, `Tessera did not run the workload to its end marker\n${tail(r)}`);
    assert.equal(text, qText, `workload output differs from QEMU's\n${tail(r, 10)}`);
    assert.equal(r.code, 0, tail(r));
    checkFiles(tf, "Tessera");
  });
}
