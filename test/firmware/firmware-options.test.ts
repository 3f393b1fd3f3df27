/**
 * -bios, -drive if=pflash, -device loader and -device guest-loader on bad input: one line,
 * exit 2, with QEMU 7.2's wording where it has one (its hw/arm/virt.c, pflash_cfi01,
 * generic-loader and guest-loader checks); and the loader's effects on a tiny bare-metal image
 * that prints to the UART, against QEMU's.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { expectOneLineError } from "../cli/expect.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-firmware-"));
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;

function run(args: string[], timeout = 30000) {
  return spawnSync(process.execPath, [TESSERA_CLI, "run", ...args], { encoding: "utf8", input: "", timeout });
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const MiB = 1024 * 1024;
const small = file("small.img", new Uint8Array(MiB));
const raw = file("raw.bin", new Uint8Array(16));

const bad: [string, string[], RegExp][] = [
  ["missing -bios file", ["-bios", join(dir, "none.bin")], /Could not find ROM image/],
  ["-bios larger than the flash bank", ["-bios", file("big.bin", new Uint8Array(64 * MiB + 1))], /Could not load ROM image/],
  ["-bios with a flash drive for unit 0", ["-bios", small, "-drive", `if=pflash,format=raw,file=${file("flash0.img", new Uint8Array(64 * MiB))},unit=0`],
    /cannot use both options at once/],
  ["flash image of the wrong size", ["-drive", `if=pflash,format=raw,file=${small}`], /device requires 67108864 bytes, block backend provides 1048576 bytes/],
  ["missing flash image", ["-drive", `if=pflash,format=raw,file=${join(dir, "none.img")}`], /Could not open/],
  ["flash unit out of range", ["-drive", `if=pflash,format=raw,file=${small},unit=2`], /does not support if=pflash,bus=0,unit=2/],
  ["three flash drives", ["-drive", `if=pflash,format=raw,file=${small}`, "-drive", `if=pflash,format=raw,file=${small}`, "-drive", `if=pflash,format=raw,file=${small}`],
    /does not support if=pflash,bus=0,unit=2/],
  ["-initrd without -kernel", ["-bios", small, "-initrd", raw], /-initrd needs -kernel/],
  ["loader setting a PC without a CPU", ["-device", "loader,addr=0x40000000"], /cpu_num must be specified when setting a program counter/],
  ["loader with nothing", ["-device", "loader"], /please include valid arguments/],
  ["loader data without data-len", ["-kernel", raw, "-device", "loader,addr=0x48000000,data=5"], /Both data and data-len must be specified/],
  ["loader data-len over 8", ["-kernel", raw, "-device", "loader,addr=0x48000000,data=5,data-len=9"], /data-len cannot be greater then 8 bytes/],
  ["loader data with a file", ["-kernel", raw, "-device", `loader,addr=0x48000000,data=5,data-len=4,file=${raw}`], /Specifying a file is not supported/],
  ["loader with a missing file", ["-kernel", raw, "-device", `loader,file=${join(dir, "none")},addr=0x48000000`], /Cannot load specified image/],
  ["loader for a CPU that is not there", ["-device", "loader,addr=0x40000000,cpu-num=3"], /Specified boot CPU#3 is nonexistent/],
  ["loader with an unknown property", ["-device", "loader,addr=0x40000000,cpu=0"], /Property 'loader.cpu' not found/],
  ["loader address not a number", ["-device", "loader,addr=here,cpu-num=0"], /Parameter 'addr' expects a number/],
  ["loader outside memory", ["-kernel", raw, "-device", `loader,file=${raw},addr=0x20000000`], /is not within RAM or flash/],
  ["loaders overlapping", ["-kernel", raw, "-device", `loader,file=${small},addr=0x48000000`, "-device", `loader,file=${small},addr=0x48080000`],
    /Some ROM regions are overlapping/],
  ["guest-loader without an image", ["-kernel", raw, "-device", "guest-loader,addr=0x48000000"], /Need to specify a kernel or initrd image/],
  ["guest-loader with both images", ["-kernel", raw, "-device", `guest-loader,addr=0x48000000,kernel=${raw},initrd=${raw}`], /Cannot specify a kernel and initrd in same stanza/],
  ["guest-loader without an address", ["-kernel", raw, "-device", `guest-loader,kernel=${raw}`], /Need to specify the address of guest blob/],
  ["guest-loader bootargs for an initrd", ["-kernel", raw, "-device", `guest-loader,addr=0x48000000,initrd=${raw},bootargs=x`], /Boot args only relevant to kernel blobs/],
];
for (const [name, args, pattern] of bad) {
  test(`bad firmware option: ${name}`, () => expectOneLineError(run(args), pattern, args.join(" ")));
}

/**
 * A raw image that prints the 8 bytes at 0x44000000 as hex (low address first), then "\n",
 * and powers off through PSCI SYSTEM_OFF (HVC: the firmware-less boot is at EL1).
 */
function dumpImage(): Uint8Array {
  const insns = [
    0xd2a12001, // movz x1, #0x0900, lsl #16     UART data register
    0xd2a88002, // movz x2, #0x4400, lsl #16     the bytes to print
    0xd2800103, // movz x3, #8                   count
    0x10000164, // adr  x4, hex                  (11 instructions on)
    0x38401445, // 1: ldrb w5, [x2], #1
    0xd344fca6, //    lsr  x6, x5, #4
    0x38666886, //    ldrb w6, [x4, x6]
    0x39000026, //    strb w6, [x1]
    0x92400ca6, //    and  x6, x5, #0xf
    0x38666886, //    ldrb w6, [x4, x6]
    0x39000026, //    strb w6, [x1]
    0xf1000463, //    subs x3, x3, #1
    0x54ffff01, //    b.ne 1b
    0x52800146, //    mov  w6, #10
    0x39000026, //    strb w6, [x1]
    0xd2800100, //    movz x0, #0x0008
    0xf2b08000, //    movk x0, #0x8400, lsl #16   PSCI SYSTEM_OFF
    0xd4000002, //    hvc  #0
    0x14000000, //    b .
  ];
  const hex = new TextEncoder().encode("0123456789abcdef");
  const out = new Uint8Array(insns.length * 4 + hex.length);
  const v = new DataView(out.buffer);
  insns.forEach((w, i) => v.setUint32(i * 4, w, true));
  out.set(hex, insns.length * 4);
  // adr x4 must point at the table: patch its offset (instruction 3) to the table's position.
  const rel = insns.length * 4 - 3 * 4;
  v.setUint32(12, (0x10000004 | ((rel & 3) << 29) | ((rel >> 2) << 5)) >>> 0, true);
  return out;
}

test("-device loader: a raw image with cpu-num sets the PC; data= values are stored as under QEMU", {
  skip: oracleMissing(haveQemu ? false : `${QEMU} not installed`),
}, () => {
  const image = file("dump.bin", dumpImage());
  const args = ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-nodefaults", "-serial", "stdio",
    "-device", `loader,file=${image},addr=0x40100000,cpu-num=0`,
    "-device", "loader,addr=0x44000000,data=0x1122334455667788,data-len=4",
    "-device", "loader,addr=0x44000004,data=0xaabbccdd,data-len=4,data-be=on"];
  const q = spawnSync(QEMU, args, { encoding: "utf8", input: "", timeout: 30000 });
  const t = run(args);
  assert.equal(t.status, 0, t.stderr);
  // Little-endian: the low data-len bytes. data-be: QEMU stores the 64-bit value big-endian and
  // writes its first data-len bytes, so a 4-byte big-endian value writes its top (zero) half.
  assert.equal(t.stdout, "8877665500000000\n");
  assert.equal(t.stdout, q.stdout);
});

test("-device loader: an ELF whose segments fall on the device tree at the start of RAM is refused, as QEMU refuses it", {
  skip: oracleMissing(haveQemu ? false : `${QEMU} not installed`),
}, () => {
  // hello.elf links at 0x40080000, inside the 1 MiB DTB a boot without -kernel puts at 0x40000000.
  const elf = join(process.cwd(), "tests", "guests", "prebuilt", "hello.elf");
  const args = ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-nodefaults", "-serial", "stdio", "-device", `loader,file=${elf},cpu-num=0`];
  const q = spawnSync(QEMU, args, { encoding: "utf8", input: "", timeout: 30000 });
  assert.notEqual(q.status, 0);
  assert.match(q.stderr, /Some ROM regions are overlapping/);
  expectOneLineError(run(args), /Some ROM regions are overlapping: the device tree \(0x40000000-0x40100000\) and -device loader,file=.*hello\.elf.* \(0x40080000-/, "ELF over the DTB");
});
