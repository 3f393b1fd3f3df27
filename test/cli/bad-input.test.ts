/** Bad input gives exactly one line "tessera: <problem>" on stderr and exit status 2. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { expectOneLineError } from "./expect.js";

const main = join(process.cwd(), "dist", "src", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "tessera-cli-"));

function run(args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: "utf8", input: "", timeout: 20000 });
}

function expectUsageError(args: string[], pattern: RegExp): void {
  expectOneLineError(run(args), pattern, args.join(" "));
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function elfHeader(cls: number, machine: number, length = 64): Uint8Array {
  const b = new Uint8Array(length);
  b.set([0x7f, 0x45, 0x4c, 0x46, cls, 1, 1]);
  new DataView(b.buffer).setUint16(18, machine, true);
  return b;
}

test("missing kernel file", () => expectUsageError(["run", "-kernel", join(dir, "nope.elf")], /cannot read kernel/));
test("unreadable kernel (a directory)", () => expectUsageError(["run", "-kernel", dir], /cannot read kernel/));
test("missing initrd", () => expectUsageError(["run", "-kernel", file("raw.bin", new Uint8Array(16)), "-initrd", join(dir, "none")], /cannot read initrd/));
test("truncated ELF", () => expectUsageError(["run", "-kernel", file("trunc.elf", elfHeader(2, 183, 20))], /truncated ELF/));
test("32-bit ELF", () => expectUsageError(["run", "-kernel", file("e32.elf", elfHeader(1, 40))], /not a 64-bit ELF/));
test("non-AArch64 ELF", () => expectUsageError(["run", "-kernel", file("x86.elf", elfHeader(2, 62))], /not an AArch64 ELF/));
test("Image with bad magic", () => {
  const b = new Uint8Array(4096);
  b.set([0x41, 0x52, 0x4d, 0x65], 0x38);
  expectUsageError(["run", "-kernel", file("Image.bad", b)], /bad magic/);
});
test("malformed -m", () => expectUsageError(["run", "-kernel", file("k.bin", new Uint8Array(16)), "-m", "lots"], /invalid size/));
test("-m too large", () => expectUsageError(["run", "-kernel", file("k2.bin", new Uint8Array(16)), "-m", "100T"], /RAM/));
test("unknown option", () => expectUsageError(["run", "-kernel", "x", "-frobnicate"], /unknown option/));
test("bad -smp", () => expectUsageError(["run", "-kernel", "x", "-smp", "99"], /at most 8 CPUs/));
test("bad machine", () => expectUsageError(["run", "-kernel", "x", "-M", "raspi3b"], /unsupported machine/));
test("no kernel", () => expectUsageError(["run"], /no kernel/));

test("--version and --help", () => {
  assert.match(run(["--version"]).stdout, /^tessera \d+\.\d+\.\d+/);
  const h = run(["--help"]);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /-kernel FILE/);
});

test("dumpdtb writes a DTB and exits 0", () => {
  const out = join(dir, "dump.dtb");
  const r = run(["run", "-kernel", file("k3.bin", new Uint8Array(16)), "-M", `virt,gic-version=3,dumpdtb=${out}`]);
  assert.equal(r.status, 0, r.stderr);
});

test("a guest with no vectors is reported, not hung: exit 1 with CPU state", () => {
  // Raw binary: a single undefined instruction; VBAR is 0, where nothing is executable.
  const r = run(["run", "-kernel", file("udf.bin", new Uint8Array([0, 0, 0, 0])), "--watchdog", "10"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /PC=0x[0-9a-f]+ EL1 ESR=0x[0-9a-f]+ FAR=/);
});
