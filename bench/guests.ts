/**
 * Guest-program benchmarks, measured as a user sees them: the whole `qemu-system-aarch64 ...
 * -kernel X` process against the whole `node dist/src/cli/main.js run ... -kernel X` process
 * (same options, -net none, the scale factor on stdin), start-up included, in the same run and
 * alternating, best of N. Each run's UART output must be byte-identical between the two.
 *
 * Beside the headline whole-process ratio there is a steady-state estimate: the same programs
 * at scale 1 are timed too, and (T(scale) - T(1)) / (Q(scale) - Q(1)) removes start-up, image
 * load and one unit of work from both sides.
 *
 *   node dist/bench/guests.js [--only NAME,...] [--runs N] [--scale N] [--quick] [--no-steady] [--json FILE]
 */
import { existsSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildGuests, guestPath, missingTools } from "../test/harness/guests.js";
import { qemuArgs, tesseraArgs } from "../test/harness/emulators.js";
import { QEMU } from "../test/harness/paths.js";
import { best, describeRun, measureProcess, worst, type ProcessFigures } from "./measure.js";

export interface BenchProgram {
  name: string;
  what: string;
  /** Default scale: about 1-2 s of QEMU time on this project's 2-core AMD EPYC VM (the bench-* loops keep their old scales). */
  scale: number;
  /** --quick scale. */
  quick: number;
  /** Group, for --only. */
  group: "suite" | "bench";
}

export const BENCH_PROGRAMS: readonly BenchProgram[] = [
  { name: "core", group: "suite", scale: 150, quick: 15, what: "CoreMark-style list, matrix and state-machine kernels, CRC of the results" },
  { name: "crc32", group: "suite", scale: 200, quick: 20, what: "CRC-32: byte-wise table, slice-by-4 and CRC32X/B instructions over 64 KB" },
  { name: "sha256", group: "suite", scale: 120, quick: 12, what: "SHA-256 of a 16 KB message and of short messages, chained" },
  { name: "aes", group: "suite", scale: 100, quick: 10, what: "AES-128 CBC encryption of a 4 KB buffer (byte-oriented implementation)" },
  { name: "nbody", group: "suite", scale: 100, quick: 10, what: "double-precision 5-body simulation (sqrt, divide)" },
  { name: "qsort", group: "suite", scale: 100, quick: 10, what: "generic quicksort with a comparator, 32-bit keys and 24-byte records" },
  { name: "matmul", group: "suite", scale: 150, quick: 15, what: "48x48 double and 64x64 int32 matrix multiplication" },
  { name: "strsearch", group: "suite", scale: 100, quick: 10, what: "naive, KMP and Boyer-Moore-Horspool search in 32 KB of text" },
  { name: "huffman", group: "suite", scale: 100, quick: 10, what: "Huffman tree, encoding and decoding of 16 KB blocks" },
  { name: "dijkstra", group: "suite", scale: 100, quick: 10, what: "shortest paths, 512 nodes, binary heap" },
  { name: "div64", group: "suite", scale: 100, quick: 10, what: "64-bit division and remainder: radix conversion, GCD, modular powers" },
  { name: "simd-auto", group: "suite", scale: 100, quick: 10, what: "auto-vectorised loops (float, int16, int32, bytes)" },
  { name: "simd-neon", group: "suite", scale: 120, quick: 12, what: "arm_neon.h: box blur, MLAL, lane FMLA transforms, TBL, reductions" },
  { name: "exceptions-heavy", group: "suite", scale: 100, quick: 10, what: "800 k SVCs, 800 k data aborts, 100 k demand-paging faults at EL1, MMU on" },
  { name: "tlb-heavy", group: "suite", scale: 100, quick: 10, what: "strided accesses over 8192 4 KB pages, PTE swaps with TLBI" },
  { name: "bench-int", group: "bench", scale: 100, quick: 10, what: "hand-written loops: CRC32, multiply mixing, RMW" },
  { name: "bench-mem", group: "bench", scale: 100, quick: 10, what: "hand-written loops: pointer chase, copies, calls" },
  { name: "bench-fp", group: "bench", scale: 200, quick: 20, what: "hand-written loops: FMA, divide/sqrt, SIMD FMLA" },
];

export interface SideFigures {
  /** Best-of-N whole-process wall time, ms. */
  wallMs?: number;
  /** Best-of-N CPU time (user + system), ms. */
  cpuMs?: number;
  /** Largest peak RSS over the runs, KiB. */
  peakRssKiB?: number;
  /** Best-of-N wall time at scale 1 (steady-state estimate only). */
  scale1WallMs?: number;
  runsWallMs: number[];
  error?: string;
}

export interface GuestBenchResult {
  program: string;
  scale: number;
  runs: number;
  qemu: SideFigures;
  tessera: SideFigures;
  /** Tessera / QEMU, best whole-process wall times. */
  ratio?: number;
  cpuRatio?: number;
  /** (Tessera(scale) - Tessera(1)) / (QEMU(scale) - QEMU(1)), best times. */
  steadyRatio?: number;
  /** Every run of both emulators printed the same bytes (undefined when a run failed). */
  outputsMatch?: boolean;
  /** Where the outputs differ, briefly. */
  difference?: string;
  /** The program's checksum line under QEMU. */
  checksum?: string;
}

export interface GuestBenchOptions {
  scale?: number;
  runs?: number;
  steady?: boolean;
  timeoutMs?: number;
  log?: (s: string) => void;
}

/** Build the benchmark guests when a cross compiler is available; throws when one is missing. */
export function prepareGuests(programs: readonly string[]): void {
  if (!missingTools({ compiler: true, qemu: false })) buildGuests(programs);
  for (const p of programs) {
    if (!existsSync(guestPath(p))) throw new Error(`${p} guest not built (${guestPath(p)}); install aarch64-linux-gnu-gcc`);
  }
}

function runOnce(kind: "qemu" | "tessera", program: string, scale: number, timeoutMs: number): Promise<ProcessFigures> {
  const elf = guestPath(program);
  const stdin = `${scale}\n`;
  if (kind === "qemu") return measureProcess(QEMU, qemuArgs(elf, {}), { stdin, timeoutMs });
  const [cli, ...rest] = tesseraArgs(elf, {});
  return measureProcess(process.execPath, [cli!, ...rest], { stdin, timeoutMs });
}

function failure(kind: string, program: string, r: ProcessFigures): string | undefined {
  const text = r.stdout.toString("latin1");
  if (r.code === 0 && !r.timedOut && /done/.test(text.slice(-200))) return undefined;
  return `${describeRun(kind, r)}; output tail ${JSON.stringify(text.slice(-160))}${r.stderr.trim() ? `; stderr ${JSON.stringify(r.stderr.trim().slice(-300))}` : ""}`;
}

function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ctx = (x: Buffer) => JSON.stringify(x.subarray(Math.max(0, i - 20), i + 40).toString("latin1"));
  return `first difference at byte ${i}: QEMU ${ctx(a)}, Tessera ${ctx(b)}`;
}

/** Measures one program: N alternating runs of each emulator at the scale, plus N at scale 1. */
export async function benchGuest(program: string, opts: GuestBenchOptions = {}): Promise<GuestBenchResult> {
  const spec = BENCH_PROGRAMS.find((p) => p.name === program);
  const scale = opts.scale ?? spec?.scale ?? 1;
  const runs = Math.max(1, opts.runs ?? 3);
  const timeoutMs = opts.timeoutMs ?? 900_000;
  const log = opts.log ?? (() => {});
  const result: GuestBenchResult = { program, scale, runs, qemu: { runsWallMs: [] }, tessera: { runsWallMs: [] } };
  const all: Record<"qemu" | "tessera", ProcessFigures[]> = { qemu: [], tessera: [] };
  const base: Record<"qemu" | "tessera", ProcessFigures[]> = { qemu: [], tessera: [] };
  let reference: Buffer | undefined;
  for (let i = 0; i < runs; i++) {
    for (const kind of ["qemu", "tessera"] as const) {
      const side = result[kind];
      if (side.error) continue;
      const r = await runOnce(kind, program, scale, timeoutMs);
      log(`  ${program} ${kind} run ${i + 1}/${runs}: ${(r.wallMs / 1000).toFixed(2)} s`);
      side.error = failure(kind, program, r);
      if (side.error) continue;
      all[kind].push(r);
      side.runsWallMs.push(Math.round(r.wallMs));
      if (kind === "qemu" && !reference) reference = r.stdout;
      if (reference && !r.stdout.equals(reference) && result.outputsMatch !== false) {
        result.outputsMatch = false;
        result.difference = firstDifference(reference, r.stdout);
      }
    }
    if (opts.steady !== false && scale > 1) {
      for (const kind of ["qemu", "tessera"] as const) {
        if (result[kind].error) continue;
        const r = await runOnce(kind, program, 1, timeoutMs);
        if (!failure(kind, program, r)) base[kind].push(r);
      }
    }
  }
  for (const kind of ["qemu", "tessera"] as const) {
    const side = result[kind], rs = all[kind];
    side.wallMs = best(rs.map((r) => r.wallMs));
    side.cpuMs = best(rs.map((r) => r.cpuMs));
    side.peakRssKiB = worst(rs.map((r) => r.peakRssKiB));
    side.scale1WallMs = best(base[kind].map((r) => r.wallMs));
  }
  const q = result.qemu, t = result.tessera;
  if (!q.error && !t.error) {
    if (result.outputsMatch === undefined) result.outputsMatch = true;
    if (q.wallMs && t.wallMs) result.ratio = t.wallMs / q.wallMs;
    if (q.cpuMs && t.cpuMs) result.cpuRatio = t.cpuMs / q.cpuMs;
    if (q.wallMs && t.wallMs && q.scale1WallMs && t.scale1WallMs) {
      const qNet = q.wallMs - q.scale1WallMs, tNet = t.wallMs - t.scale1WallMs;
      // Below 100 ms of QEMU work the difference is mostly noise.
      if (qNet > 100 && tNet > 0) result.steadyRatio = tNet / qNet;
    }
  }
  const text = reference?.toString("latin1") ?? "";
  result.checksum = /^.*scale=\d+ .*$/m.exec(text)?.[0].trim();
  return result;
}

function usage(): never {
  throw new Error(`usage: node dist/bench/guests.js [--only NAME,...] [--runs N] [--scale N] [--quick] [--no-steady] [--json FILE]\n  programs: ${BENCH_PROGRAMS.map((p) => p.name).join(", ")}`);
}

async function main(argv: string[]): Promise<void> {
  let only: string[] = [], runs = 3, scale: number | undefined, quick = false, steady = true, json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--only" || a === "--program") only.push(...(argv[++i] ?? usage()).split(","));
    else if (a === "--runs") runs = Number(argv[++i]);
    else if (a === "--scale") scale = Number(argv[++i]);
    else if (a === "--quick") quick = true;
    else if (a === "--no-steady") steady = false;
    else if (a === "--json") json = argv[++i] ?? usage();
    else usage();
  }
  const programs = BENCH_PROGRAMS.filter((p) => only.length === 0 || only.includes(p.name) || only.includes(p.group));
  if (!programs.length) usage();
  prepareGuests(programs.map((p) => p.name));
  const results: GuestBenchResult[] = [];
  for (const p of programs) {
    const r = await benchGuest(p.name, { scale: scale ?? (quick ? p.quick : p.scale), runs, steady, log: (s) => process.stderr.write(s + "\n") });
    results.push(r);
    const s = (ms?: number) => (ms === undefined ? "-" : (ms / 1000).toFixed(2));
    console.log(`${p.name} scale ${r.scale}: QEMU ${s(r.qemu.wallMs)} s, Tessera ${s(r.tessera.wallMs)} s, ratio ${r.ratio?.toFixed(1) ?? "-"}x` +
      ` (steady state ${r.steadyRatio?.toFixed(1) ?? "-"}x), output ${r.outputsMatch === undefined ? "-" : r.outputsMatch ? "identical" : "DIFFERS"}`);
    for (const e of [r.qemu.error, r.tessera.error, r.difference]) if (e) console.log(`  ${e}`);
  }
  if (json) writeFileSync(json, JSON.stringify(results, null, 2) + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
