/**
 * Runs random instruction batches (random-program.ts) under QEMU and
 * Tessera and reports the first case whose register dump differs.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBatchImage, describeCase, DUMP_NAMES, dumpedNzcv, generateBatch, parseDump, type TestCase } from "./random-program.js";
import { describeExit, runQemu, runTessera, type EmulatorResult } from "./emulators.js";
import { tail } from "./compare.js";

export interface Batch {
  index: number;
  seed: number;
  cases: TestCase[];
  elfPath: string;
}

export function makeBatches(baseSeed: number, batches: number, perBatch: number, dir?: string): Batch[] {
  const outDir = dir ?? mkdtempSync(join(tmpdir(), "tessera-random-"));
  const out: Batch[] = [];
  for (let i = 0; i < batches; i++) {
    const seed = (baseSeed + Math.imul(i + 1, 0x9e3779b1)) >>> 0;
    const cases = generateBatch(seed, perBatch);
    const { elf } = buildBatchImage(cases);
    const elfPath = join(outDir, `batch-${String(i).padStart(3, "0")}.elf`);
    writeFileSync(elfPath, elf);
    out.push({ index: i, seed, cases, elfPath });
  }
  return out;
}

/** Checks that a QEMU run of a batch produced one well-formed line per case. */
export function checkReference(batch: Batch, r: EmulatorResult): string | null {
  if (r.timedOut || r.code !== 0) return `batch ${batch.index}: ${describeExit(r)}\n${r.stderr}\n${tail(r.stdout)}`;
  const rows = parseDump(r.stdout);
  const exc = rows.findIndex((row) => row[0] === "EXC");
  if (exc >= 0) return `batch ${batch.index}: exception in case ${exc} under QEMU\n${describeCase(batch.cases[exc]!)}`;
  if (rows.length !== batch.cases.length) return `batch ${batch.index}: expected ${batch.cases.length} dump lines from QEMU, got ${rows.length}`;
  const bad = rows.findIndex((row) => row.length !== 17 || row.some((v) => !/^[0-9a-f]{16}$/.test(v)));
  if (bad >= 0) return `batch ${batch.index}: malformed QEMU dump line ${bad}: ${rows[bad]!.join(" ")}`;
  return null;
}

/** Compares Tessera's output with QEMU's for one batch; null when identical. */
export function compareBatch(batch: Batch, reference: Buffer, actual: EmulatorResult, casesBefore: number): string | null {
  const want = parseDump(reference);
  const got = parseDump(actual.stdout);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i];
    if (g && g.join(" ") === w.join(" ")) continue;
    const lines: string[] = [];
    lines.push(`random case ${casesBefore + i} (batch ${batch.index}, seed 0x${batch.seed.toString(16)}, case ${i}) differs; ${describeExit(actual)}`);
    lines.push(describeCase(batch.cases[i]!));
    if (!g || g[0] === "EXC") {
      lines.push(g ? "  tessera took an exception on this case" : "  tessera printed no dump for this case");
      if (actual.stderr.trim()) lines.push("  tessera stderr:\n" + tail(actual.stderr, 10));
    } else {
      lines.push("  results (qemu / tessera):");
      for (let k = 0; k < 17; k++) {
        if (w[k] === g[k]) continue;
        const name = DUMP_NAMES[k]!;
        const extra = name === "nzcv" ? `   (${dumpedNzcv(w[k]!)} / ${g[k] ? dumpedNzcv(g[k]!) : "?"})` : "";
        lines.push(`    ${name.padStart(4)}: ${w[k]} / ${g[k] ?? "<missing>"}${extra}`);
      }
    }
    lines.push(`  image: ${batch.elfPath}`);
    return lines.join("\n");
  }
  if (actual.code !== 0) return `batch ${batch.index}: all cases match but ${describeExit(actual)}`;
  return null;
}

export { runQemu, runTessera };
