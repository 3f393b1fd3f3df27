/**
 * Linux-specific bad input and guest failures, without a real kernel: a tiny raw image (booted
 * as Linux, as QEMU boots raw binaries) prints a kernel-panic message and resets through PSCI,
 * as Linux does with panic=-1. Damaged initrds and over-long command lines are refused before
 * the guest runs, with one line and exit 2.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { test } from "node:test";
import assert from "node:assert/strict";
import { expectOneLineError } from "./expect.js";
import { S_IFREG, writeNewc } from "../../src/initramfs/cpio.js";

const main = join(process.cwd(), "dist", "src", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "tessera-linux-input-"));

function run(args: string[], timeout = 30000) {
  return spawnSync(process.execPath, [main, "run", ...args], { encoding: "utf8", input: "", timeout });
}

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * A raw image that writes `message` to the PL011 and then either calls PSCI SYSTEM_RESET (HVC,
 * as Linux's emergency_restart with panic=-1) or spins (panic without a timeout).
 */
function consoleImage(message: string, reset: boolean): Uint8Array {
  const insns = [
    0xd2a12001, // movz x1, #0x0900, lsl #16   (UART data register)
    0x10000122, // adr  x2, msg                (9 instructions on)
    0x38401443, // 1: ldrb w3, [x2], #1
    0x34000063, //    cbz  w3, 2f
    0x39000023, //    strb w3, [x1]
    0x17fffffd, //    b    1b
    0xd2800120, // 2: movz x0, #0x0009
    0xf2b08000, //    movk x0, #0x8400, lsl #16   (PSCI SYSTEM_RESET)
    reset ? 0xd4000002 : 0x14000000, // hvc #0, or b .
    0x14000000, //    b .
  ];
  const text = new TextEncoder().encode(message + "\0");
  const out = new Uint8Array(insns.length * 4 + text.length);
  const v = new DataView(out.buffer);
  insns.forEach((w, i) => v.setUint32(i * 4, w, true));
  out.set(text, insns.length * 4);
  return out;
}

const PANIC_LOG = "[    1.000000] Run /init as init process\n" +
  "[    1.100000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n" +
  "[    1.200000] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100 ]---\n";

function expectUsageError(args: string[], pattern: RegExp): void {
  expectOneLineError(run(args), pattern, args.join(" "));
}

const kernel = file("console.bin", consoleImage("hello\n", true));
const cpio = writeNewc([{ name: "init", mode: S_IFREG | 0o755, data: new TextEncoder().encode("#!/bin/sh\n") }]);

test("kernel panic with reset (panic=-1): exit 1 with the panic and the last console lines", () => {
  const r = run(["-kernel", file("panic.bin", consoleImage(PANIC_LOG, true))]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^tessera: guest kernel panic: Attempted to kill init! exitcode=0x00000100$/m);
  assert.match(r.stderr, /Run \/init as init process/);
  assert.equal(r.stdout, PANIC_LOG, "the console output itself is passed through unchanged");
});

test("kernel panic without reset: given up after a grace period", () => {
  const t0 = Date.now();
  const r = run(["-kernel", file("panic-spin.bin", consoleImage(PANIC_LOG, false))]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /guest kernel panic: Attempted to kill init/);
  assert.ok(Date.now() - t0 < 25000);
});

test("a hung guest with no output: the watchdog reports the CPU state", () => {
  const r = run(["-kernel", file("spin.bin", new Uint8Array([0x00, 0x00, 0x00, 0x14])), "--watchdog", "1"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /watchdog: guest still running after 1 s \(it wrote nothing to the console\)/);
  assert.match(r.stderr, /cpu0 PC=0x0000000040080000 EL1/);
});

test("gzip-compressed kernel is decompressed, as QEMU does", () => {
  const r = run(["-kernel", file("console.bin.gz", gzipSync(consoleImage("from gzip\n", true)))]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "from gzip\n");
});

test("damaged gzip kernel", () => {
  const gz = gzipSync(consoleImage("x\n", true));
  expectUsageError(["-kernel", file("bad.gz", gz.subarray(0, gz.length - 9))], /kernel .* is a damaged gzip file/);
});

test("valid initrds are accepted (cpio, gzip cpio)", () => {
  for (const [name, bytes] of [["i.cpio", cpio], ["i.cpio.gz", gzipSync(cpio)]] as const) {
    const r = run(["-kernel", kernel, "-initrd", file(name, bytes)]);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
});

test("missing, empty and corrupt initrds", () => {
  expectUsageError(["-kernel", kernel, "-initrd", join(dir, "absent.cpio.gz")], /cannot read initrd .*no such file/);
  expectUsageError(["-kernel", kernel, "-initrd", file("empty", "")], /initrd .* is empty/);
  expectUsageError(["-kernel", kernel, "-initrd", file("random", new Uint8Array(4096).map((_, i) => (i * 73 + 11) & 255))],
    /is not a cpio archive, a compressed one/);
  const gz = gzipSync(cpio);
  expectUsageError(["-kernel", kernel, "-initrd", file("trunc.gz", gz.subarray(0, gz.length >> 1))], /initrd .* is a damaged gzip file/);
  expectUsageError(["-kernel", kernel, "-initrd", file("notcpio.gz", gzipSync(new TextEncoder().encode("just text\n".repeat(20))))],
    /not a valid newc cpio archive: no newc cpio magic/);
  expectUsageError(["-kernel", kernel, "-initrd", file("trunc.cpio", cpio.subarray(0, 200))], /not a valid newc cpio archive: truncated/);
});

test("kernel command line longer than arm64's COMMAND_LINE_SIZE", () => {
  const ok = run(["-kernel", kernel, "-append", "x".repeat(2047)]);
  assert.equal(ok.status, 0, ok.stderr);
  expectUsageError(["-kernel", kernel, "-append", "console=ttyAMA0 " + "x".repeat(2040)], /kernel command line too long \(2056 bytes; arm64 Linux takes at most 2047\)/);
});
