/**
 * User device trees (-dtb FILE) against QEMU itself. For each case a DTB is made in the test
 * (QEMU's own dumpdtb output, or DTS compiled with dtc, sometimes rearranged by hand), QEMU is run
 * with `-dtb` and `-machine virt,dumpdtb=...`, which writes the blob after arm_load_dtb's edits,
 * and prepareUserDtb's result is compared with it: as `dtc -I dtb -O dts` text, then byte for
 * byte. QEMU adds no kaslr-seed/rng-seed to a user DTB (it only re-randomizes existing ones at
 * reset, after the dump), so the texts are compared whole.
 *
 * Malformed blobs: QEMU exits non-zero and prepareUserDtb throws a one-line LoadError naming the
 * problem. A few corrupt blobs QEMU passes on to the guest are refused here; those tests say so
 * and check QEMU's leniency too.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { largestUserDtbFile, prepareUserDtb, userDtbLoadSize, type UserDtbOptions } from "../../src/boards/virt/user-dtb.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { planBoot } from "../../src/loaders/boot.js";
import { LoadError } from "../../src/loaders/errors.js";

const haveTools = spawnSync("qemu-system-aarch64", ["--version"]).status === 0 && spawnSync("dtc", ["--version"]).status === 0;
const skip = haveTools ? false : "qemu-system-aarch64 or dtc not installed";
const dir = mkdtempSync(join(tmpdir(), "tessera-user-dtb-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;
let serial = 0;

/** A minimal arm64 Image (branch-to-self, text_offset 0, image_size 64 KiB, the magic): QEMU boots it as Linux. */
function fakeImage(): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x14000000, true);
  v.setBigUint64(16, 0x10000n, true);
  b.set([0x41, 0x52, 0x4d, 0x64], 0x38);
  return b;
}

/** A bare-metal ELF64: one PT_LOAD (a branch-to-self) at `addr`. QEMU does not treat it as Linux. */
function bareElf(addr: number): Uint8Array {
  const b = new Uint8Array(0x1004);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true); v.setUint16(18, 183, true); v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(addr), true); v.setBigUint64(32, 64n, true);
  v.setUint16(52, 64, true); v.setUint16(54, 56, true); v.setUint16(56, 1, true);
  v.setUint32(64, 1, true); v.setUint32(68, 5, true);
  v.setBigUint64(72, 0x1000n, true); v.setBigUint64(80, BigInt(addr), true); v.setBigUint64(88, BigInt(addr), true);
  v.setBigUint64(96, 4n, true); v.setBigUint64(104, 4n, true); v.setBigUint64(112, 0x1000n, true);
  v.setUint32(0x1000, 0x14000000, true);
  return b;
}

const ELF_LOAD = VIRT.RAM_BASE + 0x80000;
/** elfLow leaves no room below it: planBoot places no DTB, yet QEMU still reads and edits one. */
const kernels = { linux: fakeImage(), elf: bareElf(ELF_LOAD), elfLow: bareElf(VIRT.RAM_BASE) };

function dtc(source: string, ...args: string[]): Uint8Array {
  const base = join(dir, `src${serial++}`);
  writeFileSync(`${base}.dts`, source);
  execFileSync("dtc", ["-q", "-I", "dts", "-O", "dtb", ...args, "-o", `${base}.dtb`, `${base}.dts`]);
  return new Uint8Array(readFileSync(`${base}.dtb`));
}

function decompile(blob: Uint8Array): string {
  const path = join(dir, `dec${serial++}.dtb`);
  writeFileSync(path, blob);
  return execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", path], { encoding: "utf8" });
}

interface Machine {
  memMiB?: number;
  virtualization?: boolean;
  secure?: boolean;
  kernel?: keyof typeof kernels;
  append?: string;
  initrdBytes?: number;
}

interface QemuRun { status: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderr: string; dump?: Uint8Array }

/** QEMU with -dtb and dumpdtb; `timeoutMs` for runs where QEMU loads no DTB and so never dumps. */
function qemu(dtb: Uint8Array, m: Machine, timeoutMs = 30000): QemuRun {
  const base = join(dir, `run${serial++}`);
  writeFileSync(`${base}.dtb`, dtb);
  writeFileSync(`${base}.kernel`, kernels[m.kernel ?? "linux"]);
  const args = ["-M", `virt,virtualization=${m.virtualization ? "on" : "off"},secure=${m.secure ? "on" : "off"},dumpdtb=${base}.out`,
    "-cpu", "cortex-a53", "-m", `${m.memMiB ?? 128}M`, "-nographic", "-net", "none", "-kernel", `${base}.kernel`, "-dtb", `${base}.dtb`];
  if (m.append !== undefined) args.push("-append", m.append);
  if (m.initrdBytes) {
    writeFileSync(`${base}.initrd`, new Uint8Array(m.initrdBytes).fill(0x5a));
    args.push("-initrd", `${base}.initrd`);
  }
  const r = spawnSync("qemu-system-aarch64", args, { encoding: "utf8", timeout: timeoutMs });
  const dump = existsSync(`${base}.out`) ? new Uint8Array(readFileSync(`${base}.out`)) : undefined;
  rmSync(`${base}.out`, { force: true });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  return { status: r.status, signal: r.signal, timedOut, stderr: r.stderr ?? "", dump };
}

/**
 * The options the board passes for this machine: RAM, -append, the initrd where planBoot puts it
 * (Linux images only, as in QEMU), the PSCI conduit (hw/arm/boot.c: HVC, or SMC when EL2 is the
 * guest's, disabled when the image starts at the EL the conduit traps to; with secure=on any
 * image that is not Linux starts at EL3), and the room planBoot leaves for the DTB.
 */
function optionsFor(m: Machine): UserDtbOptions {
  const ramSize = (m.memMiB ?? 128) * MiB;
  const isLinux = (m.kernel ?? "linux") === "linux";
  const initrd = m.initrdBytes && isLinux ? new Uint8Array(m.initrdBytes) : undefined;
  const plan = planBoot({ kernel: kernels[m.kernel ?? "linux"], initrd, ramBase: VIRT.RAM_BASE, ramSize });
  const bootEl = m.secure && !isLinux ? 3 : m.virtualization ? 2 : 1;
  const conduit = m.virtualization ? "smc" : "hvc";
  const psci = (conduit === "hvc" && bootEl >= 2) || (conduit === "smc" && bootEl === 3) ? "none" : conduit;
  return {
    ramBase: VIRT.RAM_BASE, ramSize, bootargs: m.append, initrd: plan.initrd, psci,
    room: plan.dtbAddr !== undefined ? plan.dtbLimit! - plan.dtbAddr : undefined,
  };
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `byte ${i}: ours 0x${a[i].toString(16)}, QEMU 0x${b[i].toString(16)}`;
  return `lengths ${a.length} (ours) and ${b.length} (QEMU)`;
}

function assertMatchesQemu(blob: Uint8Array, m: Machine): Uint8Array {
  const r = qemu(blob, m);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.dump, "QEMU wrote no dump");
  const ours = prepareUserDtb(blob, optionsFor(m));
  assert.equal(decompile(ours), decompile(r.dump));
  assert.ok(Buffer.from(ours).equals(Buffer.from(r.dump)), `blobs differ at ${firstDifference(ours, r.dump)}`);
  return ours;
}

let qemuOwn: Uint8Array | undefined;
/** QEMU's own virt DTB (kaslr-seed and rng-seed included), as a user would dump it. */
function qemuOwnDtb(): Uint8Array {
  if (!qemuOwn) {
    const base = join(dir, "own");
    writeFileSync(`${base}.Image`, kernels.linux);
    const r = spawnSync("qemu-system-aarch64", ["-M", `virt,dumpdtb=${base}.dtb`, "-cpu", "cortex-a53", "-smp", "2", "-m", "256M",
      "-nographic", "-net", "none", "-kernel", `${base}.Image`, "-append", "console=ttyAMA0"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    qemuOwn = new Uint8Array(readFileSync(`${base}.dtb`));
  }
  return qemuOwn;
}

/** Memory nodes at several places, an old /psci, no /chosen. */
const MANY_MEMORY_NODES = `/dts-v1/;
/ {
  #address-cells = <1>;
  #size-cells = <1>;
  compatible = "test,board";
  memory@80000000 { device_type = "memory"; reg = <0x80000000 0x1000>; };
  bus { memory@0 { reg = <0 1>; }; };
  memory-controller { compatible = "x"; memory { reg = <2 2>; }; };
  memory { device_type = "memory"; reg = <0x40000000 0x1000>; };
  psci { compatible = "arm,psci"; method = "smc"; cpu_on = <1>; };
  uart@9000000 { compatible = "arm,pl011"; reg = <0x9000000 0x1000>; };
};
`;

/** A /chosen@0 with properties QEMU rewrites in place (bootargs longer and shorter than the new one). */
const CHOSEN_AT_0 = `/dts-v1/;
/memreserve/ 0x48000000 0x1000;
/ {
  #address-cells = <2>;
  #size-cells = <1>;
  chosen@0 { bootargs = "an old command line, longer than the new"; linux,initrd-start = <0 1>; stdout-path = "/uart"; };
  uart { compatible = "arm,pl011"; };
};
`;

const NO_CHOSEN_NO_MEMORY = `/dts-v1/;
/ {
  #address-cells = <1>;
  #size-cells = <2>;
  model = "nothing but cells";
};
`;

interface ModCase { name: string; blob: () => Uint8Array; machine: Machine }

const modCases: ModCase[] = [
  { name: "QEMU's own DTB, no -append or -initrd", blob: qemuOwnDtb, machine: {} },
  { name: "QEMU's own DTB with -append and -initrd", blob: qemuOwnDtb, machine: { append: "console=ttyAMA0 earlycon root=/dev/ram", initrdBytes: 5000 } },
  { name: "QEMU's own DTB, 512 MiB, virtualization=on (PSCI over SMC)", blob: qemuOwnDtb, machine: { memMiB: 512, virtualization: true, append: "quiet" } },
  { name: "memory nodes everywhere, old /psci, no /chosen; cells 1/1", blob: () => dtc(MANY_MEMORY_NODES), machine: { append: "a b c", initrdBytes: 70000 } },
  { name: "/chosen@0 rewritten in place, /memreserve/; cells 2/1", blob: () => dtc(CHOSEN_AT_0), machine: { memMiB: 256, append: "short", initrdBytes: 4096 } },
  { name: "/chosen@0 with a longer -append", blob: () => dtc(CHOSEN_AT_0), machine: { append: "x".repeat(300) } },
  { name: "no /chosen and no memory node; cells 1/2; 2 GiB", blob: () => dtc(NO_CHOSEN_NO_MEMORY), machine: { memMiB: 2048, append: "console=ttyAMA0" } },
  { name: "no /chosen, no options: /chosen is created empty", blob: () => dtc(NO_CHOSEN_NO_MEMORY), machine: {} },
  { name: "version 16 blob", blob: () => dtc(MANY_MEMORY_NODES, "-V", "16"), machine: { append: "v16", initrdBytes: 100 } },
  { name: "padding and spare reservation slots (dtc -p 64 -R 2)", blob: () => dtc(CHOSEN_AT_0, "-p", "64", "-R", "2"), machine: { append: "pad" } },
  {
    name: "trailing bytes after totalsize", machine: { append: "trailing", initrdBytes: 10 },
    blob: () => { const b = dtc(CHOSEN_AT_0); const out = new Uint8Array(b.length + 300).fill(0xa5); out.set(b); return out; },
  },
  { name: "blocks out of libfdt's order (strings before structure): repacked", blob: () => misordered(dtc(CHOSEN_AT_0)), machine: { append: "repacked", initrdBytes: 64 } },
  { name: "version 16 with the reservation map inside the 40-byte v17 header: repacked", blob: () => v16At36(dtc(MANY_MEMORY_NODES)), machine: { append: "x" } },
  { name: "bare-metal ELF: -append but no initrd", blob: () => dtc(MANY_MEMORY_NODES), machine: { kernel: "elf", append: "bare", initrdBytes: 100 } },
  { name: "bare-metal ELF, secure=on: starts at EL3, no PSCI node", blob: () => dtc(MANY_MEMORY_NODES), machine: { kernel: "elf", secure: true } },
  // The last edit shrinks bootargs: libfdt's memmove leaves the old tail bytes after the blob.
  { name: "bare-metal ELF, secure=on, shorter -append is the last edit", blob: () => dtc(CHOSEN_AT_0), machine: { kernel: "elf", secure: true, append: "shorter" } },
  { name: "bare-metal ELF at the start of RAM (no room for a DTB): still edited", blob: () => dtc(MANY_MEMORY_NODES), machine: { kernel: "elfLow", append: "low" } },
  { name: "Linux with secure=on keeps PSCI over HVC", blob: () => dtc(NO_CHOSEN_NO_MEMORY), machine: { secure: true, initrdBytes: 300 } },
];

/** header | reservation map | strings | 8 bytes of junk | structure, boot_cpuid 5, then 64 bytes of 0x11. */
function misordered(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offStruct = v.getUint32(8), offStrings = v.getUint32(12), offRsv = v.getUint32(16);
  const sizeStrings = v.getUint32(32), sizeStruct = v.getUint32(36);
  const rsv = b.subarray(offRsv, offStruct), struct = b.subarray(offStruct, offStruct + sizeStruct), strings = b.subarray(offStrings, offStrings + sizeStrings);
  const total = 40 + rsv.length + strings.length + 8 + struct.length;
  const out = new Uint8Array(total + 64).fill(0x11);
  out.set(b.subarray(0, 40));
  out.set(rsv, 40);
  out.set(strings, 40 + rsv.length);
  out.fill(0xee, 40 + rsv.length + strings.length, 48 + rsv.length + strings.length);
  out.set(struct, 48 + rsv.length + strings.length);
  const o = new DataView(out.buffer);
  o.setUint32(4, total);
  o.setUint32(12, 40 + rsv.length);
  o.setUint32(8, 48 + rsv.length + strings.length);
  o.setUint32(28, 5);
  return out;
}

/** The blob as version 16 with its 36-byte header, the reservation map right after it. */
function v16At36(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offStruct = v.getUint32(8), offStrings = v.getUint32(12), offRsv = v.getUint32(16);
  const rest = b.subarray(offRsv, v.getUint32(4));
  const out = new Uint8Array(36 + rest.length);
  out.set(b.subarray(0, 36));
  out.set(rest, 36);
  const o = new DataView(out.buffer);
  o.setUint32(4, out.length); o.setUint32(20, 16);
  o.setUint32(16, 36); o.setUint32(8, offStruct - offRsv + 36); o.setUint32(12, offStrings - offRsv + 36);
  return out;
}

for (const c of modCases) {
  test(`user DTB matches QEMU: ${c.name}`, { skip }, () => {
    assertMatchesQemu(c.blob(), c.machine);
  });
}

test("user DTB: the result is what the guest should see (checked on the decompiled text)", { skip }, () => {
  const ours = assertMatchesQemu(dtc(MANY_MEMORY_NODES), { append: "root=/dev/ram", initrdBytes: 5000 });
  const text = decompile(ours);
  // QEMU's libfdt calls put each new node first among the root's children and each new property
  // first in its node: psci, chosen, memory@40000000, then the user's nodes.
  const order = ["psci {", "chosen {", "memory@40000000 {", "bus {", "memory-controller {", "uart@9000000 {"].map((s) => text.indexOf(s));
  assert.ok(order.every((p, i) => p >= 0 && (i === 0 || p > order[i - 1])), text);
  assert.match(text, /memory@40000000 \{\n\t\treg = <0x40000000 0x8000000>;\n\t\tdevice_type = "memory";\n\t\};/);
  assert.match(text, /chosen \{\n\t\tlinux,initrd-end = <0x[0-9a-f]+>;\n\t\tlinux,initrd-start = <0x[0-9a-f]+>;\n\t\tbootargs = "root=\/dev\/ram";\n\t\};/);
  assert.doesNotMatch(text, /memory@80000000|memory \{|reg = <0x02 0x02>/);
  assert.match(text, /bus \{\n\n\t\tmemory@0 \{/, "a memory node outside /memory... stays");
  assert.equal(ours.length, userDtbLoadSize(dtc(MANY_MEMORY_NODES).length));
  assert.equal(new DataView(ours.buffer).getUint32(4), ours.length, "totalsize is the whole buffer");
});

test("user DTB: the input blob is not modified, and the result is a valid v17 header over the whole buffer", () => {
  const source = minimalDtb();
  const copy = source.slice();
  const out = prepareUserDtb(source, { ramBase: VIRT.RAM_BASE, ramSize: 128 * MiB, bootargs: "x", psci: "hvc" });
  assert.deepEqual(source, copy);
  assert.equal(out.length, (source.length + 10000) * 2);
  const v = new DataView(out.buffer);
  assert.deepEqual([v.getUint32(0), v.getUint32(4), v.getUint32(20), v.getUint32(24)], [0xd00dfeed, out.length, 17, 16]);
});

/** A small valid v17 blob built by hand (no dtc needed): / { #address-cells = <2>; #size-cells = <2>; chosen { }; }. */
function minimalDtb(): Uint8Array {
  const strings = new TextEncoder().encode("#address-cells\0#size-cells\0");
  const words = [1, 0, 3, 4, 0, 2, 3, 4, 15, 2, 1, 0x63686f73, 0x656e0000, 2, 2, 9];
  const struct = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(struct.buffer).setUint32(i * 4, w));
  const total = 40 + 16 + struct.length + strings.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  [0xd00dfeed, total, 56, 56 + struct.length, 40, 17, 16, 0, strings.length, struct.length].forEach((x, i) => v.setUint32(i * 4, x));
  b.set(struct, 56);
  b.set(strings, 56 + struct.length);
  return b;
}

// ---- malformed blobs ----

/** The base for corrupted blobs: / { #address-cells, #size-cells, chosen@0 { bootargs; stdout-path } }. */
function small(): Uint8Array {
  return dtc(`/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; chosen@0 { bootargs = "old"; stdout-path = "/x"; }; };\n`);
}

function patched(b: Uint8Array, field: number, value: number): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint32(field, value);
  return out;
}

function hdr(b: Uint8Array, field: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(field);
}

/** Replace the structure-block word at `offset` (relative to the block). */
function structWord(b: Uint8Array, offset: number, value: number, expect: number): Uint8Array {
  const abs = hdr(b, 8) + offset;
  assert.equal(hdr(b, abs), expect, `word at structure offset ${offset}`);
  return patched(b, abs, value);
}

interface BadCase {
  name: string;
  blob: () => Uint8Array;
  message: RegExp;
  machine?: Machine;
  /** QEMU accepts this blob and hands the guest a corrupt tree; it is refused here on purpose. */
  qemuAccepts?: boolean;
}

// Structure block of small(): 0 BEGIN_NODE "" | 8 PROP #address-cells | 24 PROP #size-cells |
// 40 BEGIN_NODE "chosen@0" | 56 PROP bootargs | 72 PROP stdout-path | 88 END_NODE | 92 END_NODE | 96 END.
const badCases: BadCase[] = [
  { name: "random bytes", blob: () => { let x = 12345; return new Uint8Array(4096).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24); }, message: /^device tree: bad magic 0x[0-9a-f]{8} \(not a flattened device tree blob/ },
  { name: "empty file", blob: () => new Uint8Array(0), message: /^device tree: the file is empty/ },
  { name: "random bytes, with an ELF that leaves no room for a DTB", machine: { kernel: "elfLow" }, blob: () => new Uint8Array(64).fill(0x42), message: /^device tree: bad magic 0x42424242 / },
  { name: "an ELF file", blob: () => kernels.elf, message: /^device tree: bad magic 0x7f454c46 \(an ELF file, not a flattened device tree blob/ },
  { name: "a kernel Image", blob: () => kernels.linux, message: /^device tree: bad magic 0x00000014 / },
  { name: "three bytes of the magic", blob: () => small().subarray(0, 3), message: /^device tree: bad magic \(not a flattened/ },
  { name: "file cut in half (totalsize larger than the file)", blob: () => small().subarray(0, 100), message: /^device tree: totalsize \d+ is larger than the file \(100 bytes\): truncated blob/ },
  { name: "totalsize beyond QEMU's buffer", blob: () => patched(small(), 4, 100000), message: /^device tree: totalsize 100000 is larger than the file/ },
  { name: "totalsize cuts off the strings block", blob: () => { const b = small(); return patched(b, 4, hdr(b, 12) + 4); }, message: /^device tree: strings block \(offset \d+, size \d+\) extends past totalsize/ },
  { name: "totalsize cuts off the structure block", blob: () => { const b = small(); return patched(b, 4, hdr(b, 8) + 20); }, message: /^device tree: structure block \(offset \d+, size \d+\) extends past totalsize/ },
  { name: "totalsize smaller than the header", blob: () => patched(small(), 4, 20), message: /^device tree: totalsize 20 is smaller than the 40-byte header/ },
  { name: "structure offset past the end", blob: () => { const b = small(); return patched(b, 8, b.length + 16); }, message: /^device tree: structure block \(offset \d+, size \d+\) extends past totalsize/ },
  { name: "strings offset past the end", blob: () => { const b = small(); return patched(b, 12, b.length + 16); }, message: /^device tree: strings block \(offset \d+, size \d+\) extends past totalsize/ },
  { name: "structure offset inside the header", blob: () => patched(small(), 8, 8), message: /^device tree: structure block \(offset 8, size \d+\) overlaps the 40-byte header/ },
  { name: "size_dt_struct short: truncated structure block", blob: () => { const b = small(); return patched(b, 36, 48); }, message: /^device tree: a node name at structure offset 40 in node \/ runs past the end of the structure block/ },
  { name: "size_dt_struct ends between tags", blob: () => patched(small(), 36, 56), message: /^device tree: the structure block ends at offset 56 inside node \/chosen@0, without FDT_END/ },
  { name: "unknown tag", blob: () => structWord(small(), 40, 7, 1), message: /^device tree: unknown tag 0x7 at structure offset 40 in node \//, },
  { name: "property name offset outside the strings block", blob: () => structWord(small(), 16, 0x1000, 0), message: /^device tree: property at structure offset 8 in node \/ has name offset 4096, outside the \d+-byte strings block/ },
  { name: "property length past the block", blob: () => structWord(small(), 60, 0x10000, 4), message: /^device tree: the property at structure offset 56 in node \/chosen@0 runs past the end of the structure block/ },
  { name: "structure block not starting with the root", blob: () => structWord(small(), 0, 4, 1), message: /^device tree: the structure block does not start with the root node/ },
  { name: "version 1", blob: () => patched(small(), 20, 1), message: /^device tree: unsupported version 1 \(last compatible version 16\)/ },
  { name: "version 3", blob: () => patched(small(), 20, 3), message: /^device tree: unsupported version 3 / },
  { name: "last compatible version 18", blob: () => patched(small(), 24, 18), message: /^device tree: unsupported version 17 \(last compatible version 18\)/ },
  { name: "no #size-cells", blob: () => dtc(`/dts-v1/;\n/ { #address-cells = <2>; };\n`), message: /^device tree: the root node has no #size-cells/ },
  { name: "#address-cells two cells long", blob: () => dtc(`/dts-v1/;\n/ { #address-cells = <0 2>; #size-cells = <2>; };\n`), message: /^device tree: the root node's #address-cells is 8 bytes long, not one cell/ },
  { name: "#size-cells = 0", blob: () => dtc(`/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <0>; };\n`), message: /^device tree: #address-cells = 2 and #size-cells = 0 in the root node: QEMU needs both non-zero/ },
  { name: "#address-cells = 3", blob: () => dtc(`/dts-v1/;\n/ { #address-cells = <3>; #size-cells = <2>; };\n`), message: /^device tree: cannot write \/memory@40000000 reg with #address-cells = 3 and #size-cells = 2/ },
  { name: "#size-cells = 1 with 4 GiB of RAM", blob: () => dtc(`/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <1>; };\n`), machine: { memMiB: 4096 }, message: /^device tree: #size-cells = 1 cannot describe 4 GiB or more of RAM/ },
  { name: "-append longer than the room QEMU leaves", blob: small, machine: { append: "y".repeat(30000) }, message: /^device tree: no room to set \/chosen\/bootargs \(30001 bytes\): QEMU gives a user DTB \(file size \+ 10000\) \* 2 = \d+ bytes/ },
  { name: "reservation map offset past the end", blob: () => { const b = small(); return patched(b, 16, b.length + 8); }, message: /^device tree: memory reservation map \(offset \d+\) extends past totalsize/ },
  // QEMU reads the file in a zero-filled buffer and checks the header only after setting
  // totalsize to the buffer's size, so these reach the guest from QEMU; they are refused here.
  { name: "totalsize 8 bytes past the end of the file", blob: () => { const b = small(); return patched(b, 4, b.length + 8); }, message: /^device tree: totalsize \d+ is larger than the file/, qemuAccepts: true },
  { name: "size_dt_struct past totalsize", blob: () => { const b = small(); return patched(b, 36, hdr(b, 36) + 200); }, message: /^device tree: structure block \(offset \d+, size \d+\) extends past totalsize/, qemuAccepts: true },
  // libfdt's fdt_check_full rejects these; QEMU never runs it.
  { name: "FDT_END missing after the root", blob: () => structWord(small(), 96, 4, 9), message: /^device tree: FDT_NOP after the root node at structure offset 96, where FDT_END must follow/, qemuAccepts: true },
  { name: "root node not closed", blob: () => structWord(small(), 92, 4, 2), message: /^device tree: FDT_END at structure offset 96 inside node \/ \(truncated structure block/, qemuAccepts: true },
];

for (const c of badCases) {
  test(`malformed user DTB: ${c.name}`, { skip }, () => {
    const blob = c.blob();
    const m = c.machine ?? {};
    const r = qemu(blob, m);
    if (c.qemuAccepts) {
      assert.equal(r.status, 0, `QEMU ${r.signal ?? r.status}: ${r.stderr}`);
    } else {
      // QEMU refuses: exit status 1, or for some blobs a crash inside libfdt (SIGSEGV/SIGABRT).
      assert.equal(r.timedOut, false);
      assert.notEqual(r.status, 0, "QEMU accepted the blob");
      assert.equal(r.dump, undefined);
    }
    assert.throws(() => prepareUserDtb(blob, optionsFor(m)), (e: unknown) => {
      assert.ok(e instanceof LoadError, `not a LoadError: ${e}`);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, c.message);
      return true;
    });
  });
}

// ---- size ----

test("user DTB size: QEMU loads (file size + 10000) * 2 bytes; the largest file that fits below a bare-metal ELF loads, one byte more is dropped", { skip }, () => {
  // QEMU puts the DTB of an ELF image at the start of RAM, below the image (0x80000 bytes here),
  // and silently loads none when it does not fit there (arm_load_dtb returns 0; no dump either).
  const room = ELF_LOAD - VIRT.RAM_BASE;
  const limit = largestUserDtbFile(room);
  assert.equal(limit, room / 2 - 10000);
  const source = `/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>; };\n`;
  const fits = dtc(source, "-S", String(limit));
  assert.equal(fits.length, limit);
  const ours = assertMatchesQemu(fits, { kernel: "elf", append: "fits" });
  assert.equal(ours.length, room);

  const tooBig = dtc(source, "-S", String(limit + 1));
  const r = qemu(tooBig, { kernel: "elf" }, 4000);
  assert.equal(r.dump, undefined, "QEMU dumped a DTB that does not fit below the image");
  // QEMU was still running the guest when the timeout stopped it (it exits 0 on SIGTERM).
  assert.equal(r.timedOut, true, `QEMU should run the guest without a DTB: ${r.status} ${r.stderr}`);
  assert.throws(() => prepareUserDtb(tooBig, optionsFor({ kernel: "elf" })),
    (e: unknown) => e instanceof LoadError && /^device tree: too large: a 252145-byte file takes 524290 bytes in guest memory .* only 524288 bytes are free where the board puts it; the largest file that fits is 252144 bytes$/.test(e.message));
});

test("user DTB size: for Linux QEMU loads a DTB that runs past the end of RAM; refused here", { skip }, () => {
  // 32 MiB of RAM: the DTB goes at RAM base + 16 MiB (after where the initrd would be), 16 MiB
  // from the end. QEMU's Linux path sets no limit, so it dumps (and would load a cut-off tree).
  const m: Machine = { memMiB: 32 };
  const room = optionsFor(m).room!;
  assert.equal(room, 16 * MiB);
  const big = dtc(`/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; };\n`, "-S", String(largestUserDtbFile(room) + 1));
  const r = qemu(big, m);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.dump?.length, userDtbLoadSize(big.length));
  assert.ok(r.dump!.length > room);
  assert.throws(() => prepareUserDtb(big, optionsFor(m)), (e: unknown) => e instanceof LoadError && /^device tree: too large: /.test(e.message));
  // Without a room limit the blob is QEMU's.
  const ours = prepareUserDtb(big, { ...optionsFor(m), room: undefined });
  assert.ok(Buffer.from(ours).equals(Buffer.from(r.dump!)), firstDifference(ours, r.dump!));
});
