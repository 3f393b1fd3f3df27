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
test("if=virtio (virtio-blk-pci on QEMU's virt)", () => expectUsageError(["-drive", `file=${image},if=virtio,format=raw`], /virtio-blk-pci.*not supported/));
test("a malformed readonly= value", () => expectUsageError([...drive(",readonly=maybe")], /'readonly' expects 'on' or 'off'/));
test("an unknown -drive parameter", () => expectUsageError([...drive(",colour=blue")], /Invalid parameter 'colour'/));
test("an unknown device", () => expectUsageError(["-device", "virtio-foo-device"], /'virtio-foo-device' is not a valid device model name/));
test("a virtio-pci device", () => expectUsageError(["-device", "virtio-rng-pci"], /virtio-pci devices are not supported/));
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
