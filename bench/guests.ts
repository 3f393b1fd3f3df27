/**
 * Guest-program benchmark: runs the CPU-bound bench-int guest under QEMU
 * and under Tessera and reports guest instructions per second and the
 * Tessera/QEMU wall-time ratio.
 *
 * The guest's hot loops are hand-written assembly with known instruction
 * counts; it prints the exact total ("insns=N"). Each emulator is run at
 * the requested scale and at scale 1, and the difference removes start-up
 * cost (process launch, image load) from the per-instruction figures.
 *
 *   node dist/bench/guests.js [--scale N] [--tessera-scale N] [--qemu-only] [--json]
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildGuests, guestPath, missingTools } from "../test/harness/guests.js";
import { describeExit, runQemu, runTessera, type EmulatorResult } from "../test/harness/emulators.js";

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
  program: "bench-int";
  qemu?: EmulatorFigures;
  tessera?: EmulatorFigures;
  /** Tessera wall time / QEMU wall time for the same work (per instruction, start-up excluded). */
  ratio?: number;
}

export interface GuestBenchOptions {
  scale?: number;
  tesseraScale?: number;
  emulators?: ReadonlyArray<"qemu" | "tessera">;
  timeoutMs?: number;
}

const DEFAULT_SCALE = 300; // about 1 s under QEMU on a current x86 host

function parse(r: EmulatorResult): { insns: number; checksum: string } | string {
  const text = r.stdout.toString("latin1");
  const m = /insns=(\d+) done/.exec(text);
  const c = /bench-int: scale=\d+ (crc=\S+ mix=\S+ mem=\S+)/.exec(text);
  if (!m || !c || r.code !== 0) return `${describeExit(r)}; output: ${JSON.stringify(text.slice(-200))}${r.stderr ? "; stderr: " + r.stderr.slice(-300) : ""}`;
  return { insns: Number(m[1]), checksum: c[1]! };
}

async function measure(kind: "qemu" | "tessera", scale: number, timeoutMs: number): Promise<EmulatorFigures> {
  const elf = guestPath("bench-int");
  const run = kind === "qemu" ? runQemu : runTessera;
  const base = await run(elf, { stdin: "1\n", timeoutMs });
  const full = await run(elf, { stdin: `${scale}\n`, timeoutMs });
  const pb = parse(base);
  const pf = parse(full);
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

export async function benchGuests(opts: GuestBenchOptions = {}): Promise<GuestBenchResult> {
  const emulators = opts.emulators ?? ["qemu", "tessera"];
  const scale = opts.scale ?? DEFAULT_SCALE;
  const timeoutMs = opts.timeoutMs ?? 600000;
  if (!missingTools({ compiler: true, qemu: false })) buildGuests(["bench-int"]);
  if (!existsSync(guestPath("bench-int"))) throw new Error(`bench-int guest not built (${guestPath("bench-int")}); install aarch64-linux-gnu-gcc`);

  const result: GuestBenchResult = { program: "bench-int" };
  if (emulators.includes("qemu")) result.qemu = await measure("qemu", scale, timeoutMs);
  if (emulators.includes("tessera")) result.tessera = await measure("tessera", opts.tesseraScale ?? scale, timeoutMs);
  const q = result.qemu, t = result.tessera;
  if (q && t && !q.error && !t.error && q.ips > 0 && t.ips > 0) result.ratio = q.ips / t.ips;
  return result;
}

function format(r: GuestBenchResult): string {
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
  if (r.ratio !== undefined) lines.push(`  Tessera/QEMU wall-time ratio (same work): ${r.ratio.toFixed(1)}x`);
  if (r.qemu && r.tessera && !r.qemu.error && !r.tessera.error && r.qemu.scale === r.tessera.scale && r.qemu.checksum !== r.tessera.checksum)
    lines.push(`  WARNING: checksums differ between QEMU and Tessera`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<void> {
  const opts: GuestBenchOptions = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--scale") opts.scale = Number(argv[++i]);
    else if (a === "--tessera-scale") opts.tesseraScale = Number(argv[++i]);
    else if (a === "--qemu-only") opts.emulators = ["qemu"];
    else if (a === "--tessera-only") opts.emulators = ["tessera"];
    else if (a === "--json") json = true;
    else {
      console.error("usage: node dist/bench/guests.js [--scale N] [--tessera-scale N] [--qemu-only|--tessera-only] [--json]");
      process.exitCode = 2;
      return;
    }
  }
  const r = await benchGuests(opts);
  console.log(json ? JSON.stringify(r, null, 2) : format(r));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
