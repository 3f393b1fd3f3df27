/**
 * Test helpers: dtc (Debian's device-tree-compiler) is the oracle every expectation comes from.
 * Tests that need it skip with a message when it is not installed.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { oracleMissing } from "../harness/oracles.js";

export const DTC = process.env.TESSERA_DTC ?? "/usr/bin/dtc";

export function dtcAvailable(): boolean {
  return spawnSync(DTC, ["--version"], { stdio: "ignore" }).status === 0;
}

export const NO_DTC = oracleMissing(dtcAvailable() ? false : `dtc not found at ${DTC} (apt-get install device-tree-compiler)`);

export interface DtcRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Run dtc with `input` on stdin (use "-" as the file argument). */
export function runDtc(args: string[], input?: Uint8Array | string): DtcRun {
  const result = spawnSync(DTC, args, { input: input ?? "", maxBuffer: 1 << 28 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr.toString() };
}

/** dtc compiling DTS text to a DTB; throws with dtc's message if it fails. */
export function dtcDtsToDtb(source: string, extraArgs: string[] = []): Buffer {
  const run = runDtc(["-q", "-I", "dts", "-O", "dtb", ...extraArgs, "-"], Buffer.from(source, "latin1"));
  if (run.status !== 0) throw new Error(`dtc failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

export function dtcDtsToDts(source: string, extraArgs: string[] = []): string {
  const run = runDtc(["-q", "-I", "dts", "-O", "dts", ...extraArgs, "-"], Buffer.from(source, "latin1"));
  if (run.status !== 0) throw new Error(`dtc failed (${run.status}): ${run.stderr}`);
  return run.stdout.toString("latin1");
}

export function dtcDtbToDts(blob: Uint8Array): DtcRun {
  return runDtc(["-q", "-I", "dtb", "-O", "dts", "-"], blob);
}

/** Run `body` with a fresh temporary directory, removed afterwards (also when body is async). */
export async function withTempDir<T>(body: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-dt-"));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

/** The corpus cache filled by scripts/fetch-dtb-corpus.sh. */
export function corpusRoot(): string {
  return join(process.env.TESSERA_CACHE ?? join(homedir(), ".cache", "tessera"), "dtb-corpus");
}

export function listFiles(dir: string, suffix: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current).sort()) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(suffix)) found.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

/** Deterministic PRNG (mulberry32) so fuzz runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
