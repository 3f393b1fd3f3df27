/**
 * A hostile-input corpus, generated here from fixed seeds (nothing binary is committed): CLI
 * options, kernel images, device trees, initramfs sources and guest programs that misbehave
 * (exception storms, garbage vectors, MMIO sweeps at every width, junk HVC/SMC/PSCI, UART
 * floods). Every case must keep the promise (test/harness/promise.ts): an exit status of 0, 1
 * or 2, one "tessera: " line for bad input, no stack trace or internal error, no hang, and
 * bounded memory.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { makeElf } from "../harness/elf.js";
import { assemble, crossToolchainMissing } from "../harness/toolchain.js";
import { assertPromise, runTesseraCli } from "../harness/promise.js";
import { buildVirtDtb } from "../../src/boards/virt/fdt.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-hostile-"));
/** Peak memory a hostile run may reach: 128 MiB of guest RAM plus the emulator's own. */
const MAX_RSS_MIB = 700;

/** xorshift32: the corpus is the same on every run, and a failing case can be regenerated. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return {
    next,
    below: (n: number) => next() % n,
    pick: <T>(xs: readonly T[]): T => xs[next() % xs.length],
    bytes: (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff),
  };
}

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const LOOP = file("loop.bin", new Uint8Array([0, 0, 0, 0x14])); // b .
/** Bound for runs whose guest may spin: the CLI's own limits end them, with one report. */
const BOUND = ["--max-insns", "2000000", "--watchdog", "20"];

describe("hostile CLI options", () => {
  const r = rng(0x0c11);
  const values = ["", "0", "-1", "1.5", "0x10", "99999999999999999999", "1e3", "abc", "virt", "on", "off", ",", "=", "none",
    "stdio", "1G", "64K", "0k", "12345678T", "cpus=0", "gic-version=7", "\u00e9\u00ffx", " ", "2,maxcpus=", "virt,,", "--"];
  const options = ["-smp", "-m", "-M", "-machine", "-d", "-D", "-serial", "-monitor", "-net", "-cpu", "-append", "-initrd",
    "-dtb", "--max-insns", "--watchdog", "-bios", "-device", "-drive", "-nographic", "-s", "-S", "-icount", "--bogus", "-kernel"];
  for (let i = 0; i < 30; i++) {
    const args = ["run", "-kernel", LOOP];
    const n = 1 + r.below(4);
    for (let k = 0; k < n; k++) {
      args.push(r.pick(options));
      if (r.below(5) !== 0) args.push(r.pick(values));
    }
    args.push(...BOUND);
    test(`options #${i}: ${JSON.stringify(args.slice(3, -4))}`, async () => {
      assertPromise(await runTesseraCli(args), args.join(" "), { maxRssMiB: MAX_RSS_MIB });
    });
  }
  for (const command of [["bogus"], ["run"], ["mkinitramfs"], ["mkinitramfs", "-o"], ["demo", "--bogus-option"], ["-kernel"]]) {
    test(`command line ${JSON.stringify(command)}`, async () => {
      assertPromise(await runTesseraCli([...command, ...(command[0] === "demo" ? BOUND : [])]), command.join(" "), { maxRssMiB: MAX_RSS_MIB });
    });
  }
});

describe("hostile kernel images", () => {
  const r = rng(0x1ae6);
  const elfHeader = (): Uint8Array => {
    // A valid ELF64 AArch64 header with random program headers after it.
    const b = new Uint8Array(64 + 56 * 4 + r.below(256));
    const v = new DataView(b.buffer);
    b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    v.setUint16(16, 2, true); v.setUint16(18, 183, true); v.setUint32(20, 1, true);
    v.setBigUint64(24, BigInt(r.pick([0x40080000, 0, 0xffffffff, r.next()])), true);
    v.setBigUint64(32, BigInt(r.pick([64, 0, 1 << 20, r.next()])), true);
    v.setUint16(52, 64, true); v.setUint16(54, r.pick([56, 0, 1, 0xffff]), true); v.setUint16(56, r.pick([1, 4, 0, 0xffff]), true);
    for (let p = 0; p < 4; p++) {
      const o = 64 + p * 56;
      v.setUint32(o, r.pick([1, 1, 0, 6]), true);
      v.setBigUint64(o + 8, BigInt(r.pick([0, 64, r.next()])), true); // p_offset
      v.setBigUint64(o + 24, BigInt(r.pick([0x40080000, 0x40000000, 0, 0x7fffffff, r.next()]) * (r.below(4) === 0 ? 0x100000000 : 1)), true); // p_paddr
      v.setBigUint64(o + 32, BigInt(r.pick([0, 16, 1 << 30, r.next()])), true); // p_filesz
      v.setBigUint64(o + 40, BigInt(r.pick([0, 16, 1 << 31, r.next()])), true); // p_memsz
    }
    return b;
  };
  const imageHeader = (): Uint8Array => {
    // An arm64 Image header (Documentation/arch/arm64/booting.rst) with random fields.
    const b = new Uint8Array(64 + r.below(4096));
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x14000000 | r.below(16), true);
    v.setBigUint64(8, BigInt(r.pick([0x80000, 0, 0xfff, r.next()])), true); // text_offset
    v.setBigUint64(16, BigInt(r.pick([0, 0x1000000, 0xffffffff, r.next()])) * BigInt(r.pick([1, 1, 0x100000000])), true); // image_size
    v.setBigUint64(24, BigInt(r.pick([0, 2, 0xa, 0xf, r.next()])), true); // flags
    v.setUint32(56, 0x644d5241, true); // "ARM\x64"
    return b;
  };
  const gzipOf = (bytes: Uint8Array, cut: boolean): Uint8Array => {
    const g = spawnSync("gzip", ["-c"], { input: bytes });
    const out = new Uint8Array(g.stdout);
    return cut ? out.subarray(0, Math.max(2, out.length >> 1)) : out;
  };
  const makers: [string, () => Uint8Array][] = [
    ["random bytes", () => r.bytes(r.below(8192))],
    ["empty", () => new Uint8Array(0)],
    ["ELF with random program headers", elfHeader],
    ["arm64 Image with random header fields", imageHeader],
    ["gzip of random bytes", () => gzipOf(r.bytes(1000), false)],
    ["truncated gzip", () => gzipOf(imageHeader(), true)],
  ];
  let i = 0;
  for (const [kind, make] of makers) {
    for (let k = 0; k < (kind === "empty" ? 1 : 5); k++, i++) {
      const image = file(`image${i}.bin`, make());
      const extra = r.below(3) === 0 ? ["-initrd", file(`initrd${i}`, r.bytes(r.below(512)))] : [];
      test(`image #${i}: ${kind}`, async () => {
        const args = ["run", "-kernel", image, ...extra, "-append", "console=ttyAMA0", ...BOUND];
        assertPromise(await runTesseraCli(args), args.join(" "), { maxRssMiB: MAX_RSS_MIB });
      });
    }
  }
});

describe("hostile device trees", () => {
  const r = rng(0xd7b);
  const base = buildVirtDtb({ ramSize: 128 << 20, cpus: 1, gicVersion: 2, virtualization: false });
  for (let i = 0; i < 12; i++) {
    const blob = base.slice(0, i % 4 === 3 ? r.below(base.length) : base.length);
    for (let k = 0; k < 1 + r.below(8); k++) blob[r.below(Math.min(blob.length, i % 2 ? 64 : blob.length))] = r.next() & 0xff;
    const path = file(`mutant${i}.dtb`, blob);
    test(`-dtb mutant #${i}`, async () => {
      const args = ["run", "-kernel", LOOP, "-dtb", path, ...BOUND];
      assertPromise(await runTesseraCli(args), args.join(" "), { maxRssMiB: MAX_RSS_MIB });
    });
    test(`tessera dtc of mutant #${i}`, async () => {
      // dtc's own conventions (exit 1 with dtc's messages) are checked against dtc elsewhere;
      // here: no crash, hang or runaway memory.
      const run = await runTesseraCli(["dtc", "-I", "dtb", "-O", "dts", path]);
      assert.ok(!run.timedOut && run.signal === null && (run.code === 0 || run.code === 1), `dtc exit ${run.code}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /^\s+at .+[:(]|internal error/m, run.stderr);
    });
  }
  const sources = ["/dts-v1/; / { a = <1 2", "/dts-v1/; / { a = [", "/dts-v1/; /include/ \"/\"", "/dts-v1/; / { x: y: z { }; };",
    "/dts-v1/; / { p = &missing; };", "/dts-v1/; / { n@1 { reg = <1>; }; n@1 { }; };", "/dts-v1/; /incbin/", "\u0000\u00ff\u00fe",
    "/dts-v1/; / { a = /incbin/(\"/dev/zero\"); };", "/plugin/; / { };", "/dts-v1/; / { a = <(1/0)>; };", "/dts-v1/; / { a = <0x100000000>; };"];
  sources.forEach((src, i) => {
    test(`tessera dtc of hostile source #${i}`, async () => {
      const path = file(`hostile${i}.dts`, src);
      const run = await runTesseraCli(["dtc", "-I", "dts", "-O", "dtb", path, "-o", join(dir, `hostile${i}.dtb`)]);
      assert.ok(!run.timedOut && run.signal === null && (run.code === 0 || run.code === 1 || run.code === 2), `dtc exit ${run.code}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /^\s+at .+[:(]|internal error/m, run.stderr);
      assert.ok(run.peakRssKiB < MAX_RSS_MIB * 1024, `peak RSS ${run.peakRssKiB} KiB`);
    });
  });
});

describe("hostile hypervisor configs", () => {
  const r = rng(0x4a7);
  const base = `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <4>; memory-size = <0x0 0x80000000>; console-port = <18900>; };
  pma1: pma1 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x20000000>; };
  shm: shm { compatible = "phys-mem-area"; addr = <0x0 0x70000000>; size = <0x0 0x100000>; shared; };
  bell: doorbell-1 { compatible = "doorbell"; };
  partitions {
    part1 { compatible = "partition"; label = "p1"; cpus = <0 2>; guest-image = "${LOOP}"; dtb-window = <0x0 0x41000000 0x0 0x10000>;
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pma1>; guest-addr = <0x0 0x40000000>; };
      shm { compatible = "guest-phys-mem-area"; phys-mem = <&shm>; guest-addr = <0x0 0x70000000>; read-only; };
      ring { compatible = "send-doorbell"; global-handle = <&bell>; };
      rtc { device = "/pl031@9010000"; }; };
  };
};
`;
  // Mutations that keep the text a device tree most of the time: numbers, strings, names, deletions.
  const numbers = ["0x0", "0xffffffff", "0x1", "0x40000000", "0x7fffffff", "0x80000000", "4096", "0x10"];
  const strings = ['""', '"/"', '"virt,gic-version=9"', '"../../etc/passwd"', '"\\xff"', '"restart"', `"${dir}"`];
  for (let i = 0; i < 20; i++) {
    let text = base;
    for (let k = 0; k < 1 + r.below(3); k++) {
      const kind = r.below(4);
      if (kind === 0) { const m = [...text.matchAll(/0x[0-9a-f]+/g)]; const at = r.pick(m); text = text.slice(0, at.index) + r.pick(numbers) + text.slice(at.index! + at[0].length); }
      else if (kind === 1) { const m = [...text.matchAll(/"[^"\n]*"/g)]; const at = r.pick(m); text = text.slice(0, at.index) + r.pick(strings) + text.slice(at.index! + at[0].length); }
      else if (kind === 2) { const lines = text.split("\n"); lines.splice(3 + r.below(lines.length - 5), 1); text = lines.join("\n"); }
      else { const at = r.below(text.length); text = text.slice(0, at) + r.pick(["&pma1", "<", "}", ";", "cpus = <9 9>;", "/delete-node/ &shm;"]) + text.slice(at); }
    }
    const path = file(`hv${i}.dts`, text);
    test(`tessera hv --check of mutant config #${i}`, async () => {
      const run = await runTesseraCli(["hv", path, "--check"]);
      // A config's problems come one per line (several lines are allowed), exit 2; a valid one exits 0.
      assert.ok(!run.timedOut && run.signal === null && (run.code === 0 || run.code === 2), `exit ${run.code}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /^\s+at .+[:(]|internal error/m, run.stderr);
      if (run.code === 2) for (const line of run.stderr.trimEnd().split("\n")) assert.match(line, /^tessera: /, run.stderr);
      assert.ok(run.peakRssKiB < MAX_RSS_MIB * 1024);
    });
  }
});

describe("hostile initramfs sources", () => {
  const r = rng(0x1217);
  const names = ["a", "with space", "\u00e9t\u00e9", "-o", "x".repeat(255), ".hidden", "..a", "a\nb", "TRAILING.", "*"];
  for (let i = 0; i < 6; i++) {
    const root = join(dir, `tree${i}`);
    mkdirSync(root);
    let at = root;
    for (let k = 0; k < 1 + r.below(6); k++) {
      const name = r.pick(names);
      const kind = r.below(4);
      const p = join(at, name);
      try {
        if (kind === 0) { mkdirSync(p); at = p; }
        else if (kind === 1) writeFileSync(p, r.bytes(r.below(2048)));
        else if (kind === 2) symlinkSync(r.pick(["/", "..", "loop", "/dev/zero", p]), p);
        else spawnSync("mkfifo", [p]);
      } catch { /* a name taken twice: keep what is there */ }
    }
    test(`mkinitramfs of generated tree #${i}`, async () => {
      const args = ["mkinitramfs", root, "-o", join(dir, `tree${i}.cpio.gz`)];
      assertPromise(await runTesseraCli(args), args.join(" "), { codes: [0, 2], maxRssMiB: MAX_RSS_MIB });
    });
  }
  const bb = file("busybox", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  const init = file("init.sh", "#!/bin/sh\n");
  const adds = ["x", ":", "a:", ":b", `${init}:`, `${init}:../../etc/x`, `${init}:/`, `${init}:a/../../b`, `/dev/zero:/z`, `${dir}:/d`];
  adds.forEach((spec, i) => {
    test(`mkinitramfs --add ${JSON.stringify(spec)}`, async () => {
      const args = ["mkinitramfs", "--busybox", bb, "--init", init, "--add", spec, "-o", join(dir, `add${i}.cpio.gz`)];
      assertPromise(await runTesseraCli(args), args.join(" "), { codes: [0, 2], maxRssMiB: MAX_RSS_MIB });
    });
  });
});

/**
 * Guest programs. The prologue installs a vector table whose every entry skips the instruction
 * that trapped (ELR_EL1 += 4; ERET), so a storm of faults keeps running; the epilogue writes a
 * line and powers off with PSCI SYSTEM_OFF.
 */
const asmSkip = crossToolchainMissing(["as", "objcopy"]);
function guestSource(body: string, vectors = "skip"): string {
  const slot = vectors === "skip"
    ? "mrs x9, elr_el1\n add x9, x9, #4\n msr elr_el1, x9\n eret"
    : vectors;
  const table = Array.from({ length: 16 }, () => `.balign 128\n ${slot}`).join("\n");
  return `
  .text
_start:
  adr x0, vectors
  msr vbar_el1, x0
  isb
  ${body}
done:
  adr x1, message
  movz x2, #0x0900, lsl #16
1: ldrb w3, [x1], #1
  cbz w3, 2f
  strb w3, [x2]
  b 1b
2: movz x0, #0x8400, lsl #16
  add x0, x0, #8
  hvc #0
  b .
message: .asciz "guest finished\\n"
  .balign 2048
vectors:
${table}
  .ltorg
`;
}
function guestElf(name: string, source: string): string {
  const words = assemble(source);
  const image = new Uint8Array(words.length * 4);
  const v = new DataView(image.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
  return file(`${name}.elf`, makeElf(image, 0x40080000n));
}

describe("hostile guest programs", { skip: asmSkip }, () => {
  const r = rng(0x9e57);
  const guests: [string, () => string, readonly number[], RegExp?][] = [];
  // Exception storms that a working handler survives: they must run to the end.
  guests.push(["exception storm (svc, brk, udf, hvc junk, unaligned sp)", () => guestSource(`
  ldr x20, =100000
3: svc #0
  brk #1
  udf #7
  .word 0x00000000
  subs x20, x20, #1
  b.ne 3b`), [0], /guest finished/]);
  // MMIO at every width across the board's map, through the skip handler for what aborts.
  const regions = [0x0, 0x3fffff8, 0x4000000, 0x8000000, 0x8010000, 0x8020000, 0x8030000, 0x8040000, 0x8080000, 0x80a0000,
    0x9000000, 0x9010000, 0x9020000, 0x9020008, 0x9020010, 0x9030000, 0x9040000, 0x90b0000, 0xa000000, 0xa003e00, 0xc000000,
    0xe000000, 0x10000000, 0x3eff0000, 0x3f000000, 0x4010000000, 0x8000000000, 0xffffffff000, 0x1000000000000];
  for (let g = 0; g < 3; g++) {
    const addrs = regions.map((a) => a + (g === 0 ? 0 : r.below(0x1000) & ~7) + (g === 2 ? r.below(8) : 0));
    const body = `
  adr x10, addrs
  mov x11, #${addrs.length}
3: ldr x12, [x10], #8
  ldrb w13, [x12]
  ldrh w13, [x12]
  ldr w13, [x12]
  ldr x13, [x12]
  ${g === 0 ? "" : `ldr x14, =${r.next()}
  strb w14, [x12]
  strh w14, [x12]
  str w14, [x12]
  str x14, [x12]`}
  subs x11, x11, #1
  b.ne 3b
  b done
  .balign 8
addrs: ${addrs.map((a) => `.quad 0x${a.toString(16)}`).join("\n ")}
`;
    guests.push([`MMIO sweep #${g} (${g === 0 ? "reads" : "reads and junk writes"}, every width${g === 2 ? ", unaligned" : ""})`, () => guestSource(body), [0], /guest finished/]);
  }
  // Junk firmware calls: random function IDs and arguments, PSCI IDs with junk arguments.
  for (let g = 0; g < 3; g++) {
    const calls: string[] = [];
    for (let k = 0; k < 40; k++) {
      const id = r.below(3) === 0 ? r.next() : (0x84000000 | r.pick([0, 1, 2, 3, 4, 5, 6, 0xa, 0xc, 0x12, 0x40])) + (r.below(2) ? 0x40000000 : 0);
      // Leave out SYSTEM_OFF/RESET (ids 8 and 9): they would end the run early, which is allowed but tests less.
      calls.push(`ldr x0, =0x${(id >>> 0).toString(16)}\n ldr x1, =0x${r.next().toString(16)}\n ldr x2, =0x${r.next().toString(16)}\n ldr x3, =0x${r.next().toString(16)}\n ${r.pick(["hvc #0", "smc #0", "hvc #0x1234", "smc #0xffff"])}`);
    }
    guests.push([`junk HVC/SMC/PSCI #${g}`, () => guestSource(calls.join("\n ")), [0, 1]]);
  }
  // Vectors of garbage: the CPU loops through them; the board must notice or the watchdog end it.
  for (let g = 0; g < 3; g++) {
    const junk = Array.from({ length: 32 }, () => `.word 0x${r.next().toString(16)}`).join("\n ");
    guests.push([`garbage vectors #${g}`, () => guestSource("svc #0\n b .", junk), [0, 1]]);
  }
  guests.push(["vectors of nop; udf", () => guestSource("svc #0\n b .", "nop\n udf #0"), [1]]);
  guests.push(["UART flood at every width", () => guestSource(`
  movz x2, #0x0900, lsl #16
  ldr x20, =20000
  ldr x3, =0x0a4241
3: strb w3, [x2]
  strh w3, [x2]
  str w3, [x2]
  str x3, [x2]
  subs x20, x20, #1
  b.ne 3b`), [0], /guest finished/]);

  guests.forEach(([name, source, codes, output], i) => {
    test(`guest: ${name}`, async () => {
      const elf = guestElf(`guest${i}`, source());
      const args = ["run", "-kernel", elf, "-smp", "2", "--watchdog", "30"];
      const run = await runTesseraCli(args, { timeoutMs: 60000 });
      assertPromise(run, `${name}: ${args.join(" ")}`, { codes, maxRssMiB: MAX_RSS_MIB });
      if (output) assert.match(run.stdout.toString("latin1"), output);
    });
  });
});
