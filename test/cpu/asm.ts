/**
 * Assemble A64 snippets with the system's aarch64-linux-gnu-as (the real oracle for
 * encodings). Tests skip when the cross toolchain is not installed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function haveCrossAs(): boolean {
  try {
    execFileSync("aarch64-linux-gnu-as", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Assemble `source` (one instruction per line) and return the instruction words. */
export function assemble(source: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), "tessera-asm-"));
  try {
    writeFileSync(join(dir, "a.s"), source + "\n");
    execFileSync("aarch64-linux-gnu-as", ["-o", join(dir, "a.o"), join(dir, "a.s")]);
    execFileSync("aarch64-linux-gnu-objcopy", ["-O", "binary", "-j", ".text", join(dir, "a.o"), join(dir, "a.bin")]);
    const bin = readFileSync(join(dir, "a.bin"));
    const words: number[] = [];
    for (let i = 0; i + 4 <= bin.length; i += 4) words.push(bin.readUInt32LE(i));
    return words;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
