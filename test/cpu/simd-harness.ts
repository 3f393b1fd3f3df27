/**
 * Oracle plumbing for the Advanced SIMD tests: GNU as/objdump for encodings and disassembly,
 * and a bare-metal image run under qemu-system-aarch64 for semantics.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function have(cmd: string, arg = "--version"): boolean {
  try {
    execFileSync(cmd, [arg], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const haveBinutils = (): boolean => have("aarch64-linux-gnu-as") && have("aarch64-linux-gnu-objdump");
export const haveQemu = (): boolean => have("qemu-system-aarch64");

export interface Assembled {
  asm: string;
  word: number;
  /** objdump's text: mnemonic and operands separated by one tab, spaces normalised. */
  text: string;
}

/** Normalise disassembly for comparison: one tab after the mnemonic, single spaces, no comment. */
export function normalise(s: string): string {
  const t = s.replace(/\s*\/\/.*$/, "").trim();
  const m = /^(\S+)\s*(.*)$/.exec(t);
  if (!m) return t;
  return m[2] ? `${m[1]}\t${m[2].replace(/\s+/g, " ")}` : m[1];
}

/** Assemble one instruction per line; returns each line's word and objdump's disassembly. */
export function assembleAll(lines: string[]): Assembled[] {
  const dir = mkdtempSync(join(tmpdir(), "tessera-simd-"));
  try {
    writeFileSync(join(dir, "a.s"), lines.join("\n") + "\n");
    execFileSync("aarch64-linux-gnu-as", ["-march=armv8-a", "-o", join(dir, "a.o"), join(dir, "a.s")]);
    const dump = execFileSync("aarch64-linux-gnu-objdump", ["-d", join(dir, "a.o")], { maxBuffer: 64 << 20 }).toString();
    const out: Assembled[] = [];
    for (const line of dump.split("\n")) {
      const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(line);
      if (!m) continue;
      const idx = parseInt(m[1], 16) / 4;
      out.push({ asm: lines[idx], word: parseInt(m[2], 16) >>> 0, text: normalise(m[3]) });
    }
    if (out.length !== lines.length) throw new Error(`assembled ${out.length} of ${lines.length} lines`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- a tiny A64 encoder

export const enc = {
  movz: (rd: number, imm16: number, hw: number) => (0xd2800000 | (hw << 21) | ((imm16 & 0xffff) << 5) | rd) >>> 0,
  movk: (rd: number, imm16: number, hw: number) => (0xf2800000 | (hw << 21) | ((imm16 & 0xffff) << 5) | rd) >>> 0,
  /** LDP Qt, Qt2, [Xn, #off] */
  ldpQ: (rt: number, rt2: number, rn: number, off: number) => (0xad400000 | (((off / 16) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0,
  ldpX: (rt: number, rt2: number, rn: number, off: number) => (0xa9400000 | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0,
  stpX: (rt: number, rt2: number, rn: number, off: number) => (0xa9000000 | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0,
  ldrX: (rt: number, rn: number, off: number) => (0xf9400000 | ((off / 8) << 10) | (rn << 5) | rt) >>> 0,
  strQ: (rt: number, rn: number, off: number) => (0x3d800000 | ((off / 16) << 10) | (rn << 5) | rt) >>> 0,
  addImm: (rd: number, rn: number, imm: number) => (0x91000000 | (imm << 10) | (rn << 5) | rd) >>> 0,
  subsImm: (rd: number, rn: number, imm: number) => (0xf1000000 | (imm << 10) | (rn << 5) | rd) >>> 0,
  msrFpcr: (rt: number) => (0xd51b4400 | rt) >>> 0,
  msrFpsr: (rt: number) => (0xd51b4420 | rt) >>> 0,
  mrsFpsr: (rt: number) => (0xd53b4420 | rt) >>> 0,
  msrCpacr: (rt: number) => (0xd5181040 | rt) >>> 0,
  isb: () => 0xd5033fdf,
  /** LDRB Wt, [Xn], #imm (post-index) */
  ldrbPost: (rt: number, rn: number, imm: number) => (0x38400400 | ((imm & 0x1ff) << 12) | (rn << 5) | rt) >>> 0,
  /** LDRB Wt, [Xn, Xm] */
  ldrbReg: (rt: number, rn: number, rm: number) => (0x38606800 | (rm << 16) | (rn << 5) | rt) >>> 0,
  strb: (rt: number, rn: number) => (0x39000000 | (rn << 5) | rt) >>> 0,
  lsrW: (rd: number, rn: number, sh: number) => (0x53000000 | (sh << 16) | (31 << 10) | (rn << 5) | rd) >>> 0,
  andW15: (rd: number, rn: number) => (0x12000c00 | (rn << 5) | rd) >>> 0,
  bne: (offWords: number) => (0x54000001 | ((offWords & 0x7ffff) << 5)) >>> 0,
  b: (offWords: number) => (0x14000000 | (offWords & 0x3ffffff)) >>> 0,
  hvc0: () => 0xd4000002,
};

/** Load a 64-bit constant (< 2^48) into Xd with MOVZ/MOVK. */
export function movImm(rd: number, v: number): number[] {
  return [enc.movz(rd, v & 0xffff, 0), enc.movk(rd, Math.floor(v / 65536) & 0xffff, 1), enc.movk(rd, Math.floor(v / 2 ** 32) & 0xffff, 2)];
}

/** A minimal little-endian ELF64 executable with one PT_LOAD segment. */
export function elf64(image: Uint8Array, loadAddr: number, entry: number): Uint8Array {
  const hdr = 64, ph = 56, off = 0x1000;
  const out = new Uint8Array(off + image.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 183, true); // EM_AARCH64
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(entry), true);
  v.setBigUint64(32, BigInt(hdr), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff
  v.setUint16(52, hdr, true);
  v.setUint16(54, ph, true);
  v.setUint16(56, 1, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 0, true);
  v.setUint32(hdr, 1, true); // PT_LOAD
  v.setUint32(hdr + 4, 7, true); // RWX
  v.setBigUint64(hdr + 8, BigInt(off), true);
  v.setBigUint64(hdr + 16, BigInt(loadAddr), true);
  v.setBigUint64(hdr + 24, BigInt(loadAddr), true);
  v.setBigUint64(hdr + 32, BigInt(image.length), true);
  v.setBigUint64(hdr + 40, BigInt(image.length), true);
  v.setBigUint64(hdr + 48, 0x1000n, true);
  out.set(image, off);
  return out;
}

/** Run an ELF under qemu-system-aarch64 (virt, cortex-a53) and return its UART output. */
export function runQemu(elf: Uint8Array, timeoutMs = 60000): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-qemu-"));
  try {
    const file = join(dir, "t.elf");
    writeFileSync(file, elf);
    const r = spawnSync("qemu-system-aarch64", ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-no-reboot",
      "-m", "128M", "-kernel", file],
    { timeout: timeoutMs, maxBuffer: 256 << 20 });
    if (r.error) throw r.error;
    return r.stdout.toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { readFileSync };
