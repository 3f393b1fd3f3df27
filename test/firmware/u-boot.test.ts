/**
 * Debian's U-Boot for QEMU (u-boot-qemu, qemu_arm64/u-boot.bin, in the guest cache: `npm run
 * fetch-guests`) booted with -bios under Tessera and under qemu-system-aarch64 with the same
 * command line, its console driven from standard input with the same keystrokes: the
 * transcripts must be identical. What U-Boot shows this way is the board as firmware sees it:
 * the CFI flash banks (flinfo: the CFI query and ID replies, sector map, lock state; md: the
 * read-array contents), the device tree at the start of RAM (fdt print), PCI, virtio-mmio,
 * fw_cfg, the RTC-less autoboot through every boot target, and flash program and erase cycles
 * (saveenv, erase, cp to flash) whose results on the -drive if=pflash file must match QEMU's
 * byte for byte, QEMU 7.2's write-buffer quirks included; the qfw boot target loading a
 * -kernel and -initrd from fw_cfg. One test then boots Debian's kernel from U-Boot's console
 * (booti of images put in RAM with -device loader) to a busybox shell.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT, findExtraGuest, findGuests } from "../../src/cli/guests.js";
import { runConsoleScript, type ConsoleStep, type ConsoleTranscript } from "../harness/console-script.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";

const ubootDir = findExtraGuest("u-boot");
const uboot = ubootDir && join(ubootDir, "usr", "lib", "u-boot", "qemu_arm64", "u-boot.bin");
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const skip = oracleMissing(!uboot || !existsSync(uboot) ? `U-Boot missing from the guest cache: ${FETCH_HINT}`
  : !haveQemu ? `${QEMU} not installed` : !existsSync(TESSERA_CLI) ? `Tessera CLI not built (${TESSERA_CLI})` : false);
const dir = mkdtempSync(join(tmpdir(), "tessera-u-boot-"));
const MiB = 1024 * 1024;
const PROMPT = "=> ";

/** Both emulators' transcripts of one script, each with its own copy of the flash files. */
async function bothEmulators(name: string, args: (flash: (unit: number) => string) => string[], steps: readonly ConsoleStep[],
  flashes: Record<number, Uint8Array> = {}, timeoutMs = 120000, tesseraOnly: readonly string[] = []): Promise<Record<"qemu" | "tessera", ConsoleTranscript & { flash: Record<number, Uint8Array> }>> {
  const out = {} as Record<"qemu" | "tessera", ConsoleTranscript & { flash: Record<number, Uint8Array> }>;
  for (const emu of ["qemu", "tessera"] as const) {
    const path = (unit: number) => join(dir, `${name}-${emu}-flash${unit}.img`);
    for (const [unit, bytes] of Object.entries(flashes)) writeFileSync(path(Number(unit)), bytes);
    const argv = ["-M", "virt,dtb-randomness=off", "-cpu", "cortex-a53", "-nographic", "-nodefaults", "-serial", "stdio", ...args(path)];
    const r = emu === "qemu" ? await runConsoleScript(QEMU, argv, steps, timeoutMs)
      : await runConsoleScript(process.execPath, [TESSERA_CLI, "run", ...argv, ...tesseraOnly], steps, timeoutMs);
    assert.equal(r.timedOut, undefined, `${emu} never printed ${JSON.stringify(r.timedOut?.waitFor)}:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    const flash: Record<number, Uint8Array> = {};
    for (const unit of Object.keys(flashes)) flash[Number(unit)] = new Uint8Array(readFileSync(path(Number(unit))));
    out[emu] = { ...r, flash };
  }
  return out;
}

/** Wait for U-Boot's prompt after autoboot has tried every target, then type each command at a prompt. */
function atPrompt(commands: readonly string[]): ConsoleStep[] {
  return [...commands.map((c) => ({ waitFor: PROMPT, send: `${c}\r` })), { waitFor: PROMPT }];
}

/** The first difference of two flash images, for the assertion message. */
function firstDifference(a: Uint8Array, b: Uint8Array): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `first difference at 0x${i.toString(16)}: ${a[i]} vs ${b[i]}`;
  return "identical";
}

test("U-Boot under -bios: banner, autoboot, flinfo, md, bdinfo, fdt, pci, virtio and saveenv to a flash drive as under QEMU", { skip, timeout: 300000 }, async () => {
  const r = await bothEmulators("env", (flash) => ["-bios", uboot!, "-drive", `if=pflash,format=raw,file=${flash(1)},unit=1`], atPrompt([
    "version", "bdinfo", "flinfo", "md.l 0 10", "md.l 0x4000000 8",
    "fdt addr $fdtcontroladdr; fdt print /chosen; fdt print /flash@0; fdt print /fw-cfg@9020000",
    "pci", "virtio scan; virtio info", "printenv bootcmd",
    "setenv greeting hello; saveenv", "md.l 0x4000000 8", "md.l 0x4001000 4",
  ]), { 1: new Uint8Array(64 * MiB) });
  assert.match(r.tessera.transcript, /U-Boot 2023\.01/);
  assert.match(r.tessera.transcript, /Bank # 1: CFI conformant flash/);
  assert.equal(r.tessera.transcript, r.qemu.transcript);
  assert.ok(r.tessera.flash[1].some((b) => b !== 0), "saveenv wrote to the flash file");
  assert.ok(Buffer.from(r.tessera.flash[1]).equals(Buffer.from(r.qemu.flash[1])), firstDifference(r.tessera.flash[1], r.qemu.flash[1]));
});

test("U-Boot flash commands: erase, program, compare, and a read-only bank 0 refusing erase, as under QEMU", { skip, timeout: 300000 }, async () => {
  // Bank 0 from a read-only drive holding U-Boot (as QEMU users boot firmware); bank 1 written.
  const bank0 = new Uint8Array(64 * MiB);
  bank0.set(readFileSync(uboot!));
  const bank1 = new Uint8Array(64 * MiB).fill(0x5a);
  const pattern = join(dir, "pattern.bin");
  writeFileSync(pattern, Uint8Array.from({ length: 0x1000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
  const r = await bothEmulators("flash", (flash) => ["-drive", `if=pflash,format=raw,file=${flash(0)},unit=0,readonly=on`,
    "-drive", `if=pflash,format=raw,file=${flash(1)},unit=1`, "-device", `loader,file=${pattern},addr=0x44000000`,
    "-device", "loader,addr=0x44001000,data=0x0123456789abcdef,data-len=8"], atPrompt([
    "md.l 0x4100000 4", "protect off 0x4100000 +0x40000", "erase 0x4100000 +0x40000", "md.l 0x4100000 4",
    "cp.b 0x44000000 0x4100000 0x800", "cmp.b 0x44000000 0x4100000 0x800", "md.l 0x4100000 4",
    "cp.l 0x44001000 0x4120000 2", "md.l 0x4120000 4", "cp.b 0x44000000 0x4101000 0x100", "md.l 0x4101000 4",
    "erase 0x200000 +0x20000", "md.l 0x200000 4", "flinfo 1",
  ]), { 0: bank0, 1: bank1 });
  assert.match(r.tessera.transcript, /Erased 2 sectors/);
  assert.equal(r.tessera.transcript, r.qemu.transcript);
  for (const unit of [0, 1]) {
    assert.ok(Buffer.from(r.tessera.flash[unit]).equals(Buffer.from(r.qemu.flash[unit])), `flash ${unit}: ${firstDifference(r.tessera.flash[unit], r.qemu.flash[unit])}`);
  }
  assert.ok(Buffer.from(r.tessera.flash[0]).equals(Buffer.from(bank0)), "the read-only bank's file is untouched");
});

test("U-Boot's autoboot loads -kernel, -initrd and -append from fw_cfg (DMA) and starts the kernel, as under QEMU", {
  skip: skip || oracleMissing(findGuests() ? false : `Linux guest cache missing: ${FETCH_HINT}`), timeout: 300000,
}, async () => {
  const guests = findGuests()!;
  const initrd = join(dir, "qfw-initrd.bin");
  writeFileSync(initrd, Uint8Array.from({ length: 300000 }, (_, i) => (i * 31) & 0xff));
  // Up to the hand-over only: the kernel's own boot is the next test's.
  const r = await bothEmulators("qfw", () => ["-m", "512M", "-bios", uboot!, "-kernel", guests.kernel, "-initrd", initrd, "-append", "console=ttyAMA0 quiet"],
    [{ waitFor: "Starting kernel ..." }]);
  assert.match(r.tessera.transcript, /loading kernel to address 0000000040400000 size [0-9a-f]+ initrd 0000000044000000 size 493e0/);
  assert.equal(r.tessera.transcript, r.qemu.transcript);
});

test("U-Boot boots Debian's kernel with booti (kernel and initrd put in RAM by -device loader) to a busybox shell, as under QEMU", {
  skip: skip || oracleMissing(findGuests() ? false : `Linux guest cache missing: ${FETCH_HINT}`), timeout: 600000,
}, async () => {
  const guests = findGuests()!;
  const initrd = join(guests.dir, "shell-initramfs.cpio.gz");
  if (!existsSync(initrd)) {
    const { busyboxInitramfs } = await import("../../src/cli/guests.js");
    writeFileSync(initrd, busyboxInitramfs(guests.busybox, readFileSync(join(process.cwd(), "tests", "linux", "shell-init.sh"))));
  }
  const size = statSync(initrd).size.toString(16);
  const steps: ConsoleStep[] = [
    // A key during the countdown stops autoboot (the boot targets were tried in the tests above).
    { waitFor: "Hit any key to stop autoboot", send: "\r" },
    { waitFor: PROMPT, send: "setenv bootargs console=ttyAMA0 panic=-1 quiet\r" },
    { waitFor: PROMPT, send: `booti \${kernel_addr_r} \${ramdisk_addr_r}:0x${size} \${fdtcontroladdr}\r` },
    { waitFor: "Starting kernel ..." },
    { waitFor: "tessera:/# ", send: "cat /proc/cmdline; cat /proc/device-tree/chosen/linux,initrd-end | od -An -tx1; echo shell-$((6*7))\r" },
    { waitFor: "shell-42" },
  ];
  const r = await bothEmulators("booti", () => ["-m", "512M", "-bios", uboot!,
    "-device", `loader,file=${guests.kernel},addr=0x40400000`, "-device", `loader,file=${initrd},addr=0x44000000`], steps, {}, 540000,
    // A counter tick per instruction, and idle time skipped: Linux's boot-time waits (the
    // deferred-probe timeout) then cost no host time.
    ["-icount", "shift=4,sleep=off"]);
  // Where in the countdown the key lands is a matter of host timing: that line is left out.
  const uBootPart = (t: string) => t.slice(0, t.indexOf("Starting kernel ...")).replace(/Hit any key to stop autoboot:[^\n]*\n/, "");
  assert.equal(uBootPart(r.tessera.transcript), uBootPart(r.qemu.transcript));
  const shellPart = (t: string) => t.slice(t.lastIndexOf("tessera:/# "));
  assert.match(shellPart(r.tessera.transcript), /console=ttyAMA0 panic=-1 quiet/);
  assert.equal(shellPart(r.tessera.transcript), shellPart(r.qemu.transcript));
});
