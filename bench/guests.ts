/**
 * Guest-program benchmarks: runs the CPU-bound bare-metal programs (tests/guests/bench-*) under
 * QEMU and under Tessera and reports wall times, guest instructions per second and the
 * Tessera/QEMU ratio for the same work.
 *
 * The guests' hot loops are hand-written assembly with known instruction counts; each guest
 * prints the exact total ("insns=N") and its checksums, which must be identical under both
 * emulators. Each emulator is run at the requested scale and at scale 1, and the difference
 * removes start-up cost (process launch, image load, data set-up) from the per-instruction
 * figures.
 *
 *   node dist/bench/guests.js [--program NAME]... [--scale N] [--tessera-scale N] [--qemu-only] [--json]
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildGuests, guestPath, missingTools } from "../test/harness/guests.js";
import { describeExit, runQemu, runTessera, type EmulatorResult } from "../test/harness/emulators.js";

export type BenchProgram = "bench-int" | "bench-mem" | "bench-fp";

/**
 * Default scale per program: about 1 s of QEMU time on a current x86 host, a few seconds of
 * Tessera time.
 */
export const BENCH_PROGRAMS: Readonly<Record<BenchProgram, { scale: number; what: string }>> = {
  "bench-int": { scale: 100, what: "integer: CRC32, multiply/xorshift mixing, strided read-modify-write" },
  "bench-mem": { scale: 100, what: "memory: pointer chasing over 2 MiB, block copies, byte hashing, calls" },
  "bench-fp": { scale: 200, what: "floating point: scalar FMA, divide/square root, SIMD FMLA" },
};

export interface EmulatorFigures {
  scale: number;
  /** Guest instructions retired at this scale (from the guest's own count). */
  insns: number;
  wallMs: number;
  /** Wall time of the scale-1 run, used as the start-up baseline. */
  baselineMs: number;
  /** Guest instructions per second, start-up excluded. */
  ips: number;
  checksum: string;
  error?: string;
}

export interface GuestBenchResult {
  program: BenchProgram;
  qemu?: EmulatorFigures;
  tessera?: EmulatorFigures;
  /** Tessera time / QEMU time for the same work (per instruction, start-up excluded). */
  ratio?: number;
  /** Both emulators ran the same scale and printed the same checksums. */
  checksumsMatch?: boolean;
}

export interface GuestBenchOptions {
  program?: BenchProgram;
  scale?: number;
  tesseraScale?: number;
  emulators?: ReadonlyArray<"qemu" | "tessera">;
  timeoutMs?: number;
}

function parse(program: string, r: EmulatorResult): { insns: number; checksum: string } | string {
  const text = r.stdout.toString("latin1");
  const m = /insns=(\d+) done/.exec(text);
  const c = new RegExp(`${program}: scale=\\d+ (.*)`).exec(text);
  if (!m || !c || r.code !== 0) return `${describeExit(r)}; output: ${JSON.stringify(text.slice(-200))}${r.stderr ? "; stderr: " + r.stderr.slice(-300) : ""}`;
  return { insns: Number(m[1]), checksum: c[1]!.trim() };
}

async function measure(program: BenchProgram, kind: "qemu" | "tessera", scale: number, timeoutMs: number): Promise<EmulatorFigures> {
  const elf = guestPath(program);
  const run = kind === "qemu" ? runQemu : runTessera;
  const base = await run(elf, { stdin: "1\n", timeoutMs });
  const full = await run(elf, { stdin: `${scale}\n`, timeoutMs });
  const pb = parse(program, base);
  const pf = parse(program, full);
  const fig: EmulatorFigures = { scale, insns: 0, wallMs: full.wallMs, baselineMs: base.wallMs, ips: 0, checksum: "" };
  if (typeof pf === "string" || typeof pb === "string") {
    fig.error = typeof pf === "string" ? pf : (pb as string);
    return fig;
  }
  fig.insns = pf.insns;
  fig.checksum = pf.checksum;
  const netMs = Math.max(full.wallMs - base.wallMs, 1e-3);
  fig.ips = ((pf.insns - pb.insns) / netMs) * 1000;
  return fig;
}

/** Build the benchmark guests when a cross compiler is available; throws when one is missing. */
export function prepareGuests(programs: readonly BenchProgram[]): void {
  if (!missingTools({ compiler: true, qemu: false })) buildGuests(programs);
  for (const p of programs) {
    if (!existsSync(guestPath(p))) throw new Error(`${p} guest not built (${guestPath(p)}); install aarch64-linux-gnu-gcc`);
  }
}

export async function benchGuests(opts: GuestBenchOptions = {}): Promise<GuestBenchResult> {
  const program = opts.program ?? "bench-int";
  const emulators = opts.emulators ?? ["qemu", "tessera"];
  const scale = opts.scale ?? BENCH_PROGRAMS[program].scale;
  const timeoutMs = opts.timeoutMs ?? 600000;
  prepareGuests([program]);

  const result: GuestBenchResult = { program };
  if (emulators.includes("qemu")) result.qemu = await measure(program, "qemu", scale, timeoutMs);
  if (emulators.includes("tessera")) result.tessera = await measure(program, "tessera", opts.tesseraScale ?? scale, timeoutMs);
  const q = result.qemu, t = result.tessera;
  if (q && t && !q.error && !t.error && q.ips > 0 && t.ips > 0) result.ratio = q.ips / t.ips;
  if (q && t && !q.error && !t.error && q.scale === t.scale) result.checksumsMatch = q.checksum === t.checksum && q.insns === t.insns;
  return result;
}

export function formatGuestResult(r: GuestBenchResult): string {
  const lines = [`guest benchmark: ${r.program}`];
  for (const [name, f] of [["qemu", r.qemu], ["tessera", r.tessera]] as const) {
    if (!f) continue;
    if (f.error) {
      lines.push(`  ${name.padEnd(8)} scale ${f.scale}: FAILED: ${f.error}`);
      continue;
    }
    lines.push(
      `  ${name.padEnd(8)} scale ${f.scale}: ${(f.insns / 1e6).toFixed(1)} M insns in ${(f.wallMs / 1000).toFixed(2)} s ` +
        `(start-up ${(f.baselineMs / 1000).toFixed(2)} s) -> ${(f.ips / 1e6).toFixed(1)} M insns/s  [${f.checksum}]`,
    );
  }
  if (r.ratio !== undefined) lines.push(`  Tessera/QEMU time ratio (same work, start-up excluded): ${r.ratio.toFixed(1)}x`);
  if (r.checksumsMatch === false) lines.push(`  WARNING: checksums differ between QEMU and Tessera`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<void> {
  const opts: GuestBenchOptions = {};
  const programs: BenchProgram[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--program" && argv[i + 1]! in BENCH_PROGRAMS) programs.push(argv[++i] as BenchProgram);
    else if (a === "--scale") opts.scale = Number(argv[++i]);
    else if (a === "--tessera-scale") opts.tesseraScale = Number(argv[++i]);
    else if (a === "--qemu-only") opts.emulators = ["qemu"];
    else if (a === "--tessera-only") opts.emulators = ["tessera"];
    else if (a === "--json") json = true;
    else {
      console.error(`usage: node dist/bench/guests.js [--program ${Object.keys(BENCH_PROGRAMS).join("|")}]... [--scale N] [--tessera-scale N] [--qemu-only|--tessera-only] [--json]`);
      process.exitCode = 2;
      return;
    }
  }
  const results: GuestBenchResult[] = [];
  for (const program of programs.length ? programs : ["bench-int" as const]) {
    const r = await benchGuests({ ...opts, program });
    results.push(r);
    if (!json) console.log(formatGuestResult(r));
  }
  if (json) console.log(JSON.stringify(results.length === 1 ? results[0] : results, null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
