/**
 * The -drive, -device and -global options for the virtio devices: a bad image or a malformed
 * option is one line "tessera: <problem>" and exit 2 (before the guest starts), with QEMU's
 * wording where QEMU has one.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { expectOneLineError } from "./expect.js";

const main = join(process.cwd(), "dist", "src", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "tessera-virtio-cli-"));
const kernel = join(dir, "k.bin");
writeFileSync(kernel, new Uint8Array(16));
const image = join(dir, "disk.img");
writeFileSync(image, new Uint8Array(4096));

function expectUsageError(args: string[], pattern: RegExp): void {
  const all = ["run", "-kernel", kernel, "-nographic", ...args];
  expectOneLineError(spawnSync(process.execPath, [main, ...all], { encoding: "utf8", input: "", timeout: 20000 }), pattern, all.join(" "));
}

const drive = (extra = "", file = image) => ["-drive", `file=${file},if=none,id=d0,format=raw${extra}`];

test("a missing image", () => expectUsageError([...drive("", join(dir, "none.img")), "-device", "virtio-blk-device,drive=d0"], /Could not open '.*none\.img': no such file/));
test("a directory as the image", () => expectUsageError([...drive("", dir), "-device", "virtio-blk-device,drive=d0"], /Could not open|not a regular file/));
test("virtio-blk-device without a drive", () => expectUsageError(["-device", "virtio-blk-device"], /drive property not set/));
test("virtio-blk-device with an unknown drive", () => expectUsageError([...drive(), "-device", "virtio-blk-device,drive=d9"], /Property 'virtio-blk-device\.drive' can't find value 'd9'/));
test("one drive for two devices", () => expectUsageError([...drive(), "-device", "virtio-blk-device,drive=d0", "-device", "virtio-blk-device,drive=d0"], /already in use/));
test("a drive id twice", () => expectUsageError([...drive(), ...drive()], /Duplicate ID 'd0'/));
test("a format other than raw", () => expectUsageError(["-drive", `file=${image},if=none,id=d0,format=qcow2`], /only format=raw/));
test("no format", () => expectUsageError(["-drive", `file=${image},if=none,id=d0`], /format=raw/));
test("if=virtio (virtio-blk-pci on QEMU's virt)", () => expectUsageError(["-drive", `file=${image},if=virtio,format=raw`], /if=virtio is not supported.*virtio-blk-pci,drive=ID/));
test("a malformed readonly= value", () => expectUsageError([...drive(",readonly=maybe")], /'readonly' expects 'on' or 'off'/));
test("an unknown -drive parameter", () => expectUsageError([...drive(",colour=blue")], /Invalid parameter 'colour'/));
test("an unknown device", () => expectUsageError(["-device", "virtio-foo-device"], /'virtio-foo-device' is not a valid device model name/));
test("virtio-net-pci with its default option ROM", () => expectUsageError(["-device", "virtio-net-pci"], /failed to find romfile "efi-virtio\.rom"/));
test("virtio-blk-pci with an unknown drive", () => expectUsageError([...drive(), "-device", "virtio-blk-pci,drive=d9"], /Property 'virtio-blk-pci\.drive' can't find value 'd9'/));
test("a PCI address the host bridge has", () => expectUsageError(["-device", "virtio-rng-pci,addr=0"], /slot 0 function 0 not available for virtio-rng-pci, in use by gpex-root/));
test("two devices at one PCI address", () => expectUsageError(["-device", "virtio-rng-pci,addr=3", "-device", "virtio-rng,addr=03.0"], /slot 3 function 0 not available for virtio-rng-pci, in use by virtio-rng-pci/));
test("a malformed PCI address", () => expectUsageError(["-device", "virtio-rng-pci,addr=0x40"], /Property 'addr' doesn't take value '0x40'/));
test("a PCI function other than 0", () => expectUsageError(["-device", "virtio-rng-pci,addr=2.1"], /only function 0/));
test("more PCI devices than slots", () => expectUsageError(Array.from({ length: 32 }, () => ["-device", "virtio-rng-pci"]).flat(), /no slot\/function available for virtio-rng-pci/));
test("virtio-mmio's addr-less devices take no addr", () => expectUsageError(["-device", "virtio-rng-device,addr=3"], /Property 'virtio-rng-device\.addr' not found/));
test("ivshmem-plain without a memdev", () => expectUsageError(["-device", "ivshmem-plain"], /You must specify a 'memdev'/));
test("ivshmem-plain with an unknown memdev", () => expectUsageError(["-device", "ivshmem-plain,memdev=m9"], /Property 'ivshmem-plain\.memdev' can't find value 'm9'/));
test("one memdev for two ivshmem devices", () => expectUsageError(["-object", "memory-backend-ram,id=m0,size=1M", "-device", "ivshmem-plain,memdev=m0", "-device", "ivshmem-plain,memdev=m0"], /already busy memdev: m0/));
test("ivshmem-doorbell", () => expectUsageError(["-chardev", "null,id=c0", "-device", "ivshmem-doorbell,chardev=c0"], /ivshmem-doorbell is not supported.*eventfds/));
test("a memory backend of a size that is no power of two", () => expectUsageError(["-object", "memory-backend-ram,id=m0,size=3M"], /power of two/));
test("a memory backend without a size", () => expectUsageError(["-object", "memory-backend-ram,id=m0"], /can't create backend with size 0/));
test("a memory-backend-file without mem-path", () => expectUsageError(["-object", "memory-backend-file,id=m0,size=1M"], /mem-path property not set/));
test("a memory-backend-file smaller than its size", () => expectUsageError(["-object", `memory-backend-file,id=m0,size=1M,share=on,mem-path=${image}`, "-device", "ivshmem-plain,memdev=m0"], /backing store size 0x1000 does not match 'size' option 0x100000/));
test("a memory-backend-file in a missing directory", () => expectUsageError(["-object", `memory-backend-file,id=m0,size=1M,share=on,mem-path=${join(dir, "no", "shm")}`, "-device", "ivshmem-plain,memdev=m0"], /can't open backing store/));
test("an unsupported -object", () => expectUsageError(["-object", "rng-random,id=r0,filename=/dev/urandom"], /unsupported object type 'rng-random'/));
test("an unknown device property", () => expectUsageError(["-device", "virtio-rng-device,speed=9"], /Property 'virtio-rng-device\.speed' not found/));
test("an unsupported -global", () => expectUsageError(["-global", "pl011.foo=1"], /unsupported global property/));
test("a malformed -global", () => expectUsageError(["-global", "force-legacy"], /expected DRIVER\.PROPERTY=VALUE/));
test("a malformed force-legacy value", () => expectUsageError(["-global", "virtio-mmio.force-legacy=perhaps"], /expects 'on' or 'off'/));
test("more devices than transports", () => expectUsageError(Array.from({ length: 33 }, () => ["-device", "virtio-rng-device"]).flat(), /No 'virtio-bus' bus found/));
test("virtconsole without a virtio-serial-device", () => expectUsageError(["-chardev", "null,id=c0", "-device", "virtconsole,chardev=c0"], /No 'virtio-serial-bus' bus found/));
test("virtconsole with an unknown chardev", () => expectUsageError(["-device", "virtio-serial-device", "-device", "virtconsole,chardev=c9"], /Property 'virtconsole\.chardev' can't find value 'c9'/));
test("an unsupported chardev backend", () => expectUsageError(["-chardev", "socket,id=c0,path=/tmp/x"], /unsupported chardev backend 'socket'/));
test("a file chardev without a path", () => expectUsageError(["-chardev", "file,id=c0"], /no filename given/));
test("a file chardev that cannot be created", () => expectUsageError(["-chardev", `file,id=c0,path=${join(dir, "no", "such", "dir")}`, "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0"], /Could not open/));
