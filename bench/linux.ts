/**
 * Linux benchmark: the cached Debian guest (npm run fetch-guests) with the workload initramfs of
 * the Linux test (tests/linux/init.sh), under QEMU and Tessera with the same command line
 * (-net none), alternating, best of N, at -smp 1 and -smp 2. Three rows per CPU count, all
 * measured from process start: to /init (the workload's begin marker), the busybox workload
 * (begin marker to end marker) and to poweroff (process exit; CPU time and peak RSS are the
 * whole process's). The workload text between the markers must be identical.
 *
 *   node dist/bench/linux.js [--smp N,...] [--runs N] [--json FILE]     (also part of npm run bench)
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { FETCH_HINT } from "../src/cli/guests.js";
import { QEMU, TESSERA_CLI } from "../test/harness/paths.js";
import { BEGIN_MARKER, END_MARKER, findGuests, workloadInitrd, workloadText } from "../test/harness/linux.js";
import { best, describeRun, measureProcess, worst, type ProcessFigures } from "./measure.js";

export interface LinuxSide {
  toInitMs?: number;
  workloadMs?: number;
  toPoweroffMs?: number;
  cpuMs?: number;
  peakRssKiB?: number;
  runs: Array<{ toInitMs?: number; workloadMs?: number; wallMs: number }>;
  error?: string;
}

export interface LinuxBenchResult {
  smp: number;
  memory: string;
  runs: number;
  qemu: LinuxSide;
  tessera: LinuxSide;
  /** Every Tessera run printed the workload text QEMU printed. */
  outputsMatch?: boolean;
}

export interface LinuxBenchOptions {
  smp?: number;
  memory?: string;
  runs?: number;
  /** Bound on one Tessera boot, seconds. */
  timeoutS?: number;
  log?: (s: string) => void;
}

function args(kernel: string, initrd: string, smp: number, memory: string): string[] {
  return ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-no-reboot", "-net", "none", "-m", memory, "-smp", String(smp),
    "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyAMA0 panic=-1"];
}

function tail(r: ProcessFigures): string {
  const lines = r.stdout.toString("latin1").replace(/\r/g, "").split("\n").slice(-6).join(" | ");
  return `last console lines: ${lines}${r.stderr.trim() ? `; stderr: ${r.stderr.trim().slice(-300)}` : ""}`;
}

/** Boots both emulators `runs` times each, alternating (QEMU first: the host may have two cores only). */
export async function benchLinux(opts: LinuxBenchOptions = {}): Promise<LinuxBenchResult> {
  const guests = findGuests();
  if (!guests) throw new Error(FETCH_HINT);
  if (spawnSync(QEMU, ["--version"]).status !== 0) throw new Error(`${QEMU} not installed`);
  const smp = opts.smp ?? 2, memory = opts.memory ?? "512M", runs = Math.max(1, opts.runs ?? 3);
  const timeoutS = opts.timeoutS ?? 900;
  const log = opts.log ?? (() => {});
  const initrd = workloadInitrd(guests);
  const common = args(guests.kernel, initrd, smp, memory);
  const result: LinuxBenchResult = { smp, memory, runs, qemu: { runs: [] }, tessera: { runs: [] } };
  const all: Record<"qemu" | "tessera", ProcessFigures[]> = { qemu: [], tessera: [] };
  let reference: string | undefined;
  for (let i = 0; i < runs; i++) {
    for (const kind of ["qemu", "tessera"] as const) {
      const side = result[kind];
      if (side.error) continue;
      const r = kind === "qemu"
        ? await measureProcess(QEMU, [...common, "-monitor", "none", "-serial", "stdio"], { timeoutMs: 300_000, markers: [BEGIN_MARKER, END_MARKER] })
        : await measureProcess(process.execPath, [TESSERA_CLI, "run", ...common, "--watchdog", String(timeoutS)],
          { timeoutMs: (timeoutS + 30) * 1000, markers: [BEGIN_MARKER, END_MARKER] });
      log(`  linux -smp ${smp} ${kind} run ${i + 1}/${runs}: ${(r.wallMs / 1000).toFixed(1)} s`);
      const text = workloadText(r.stdout.toString("latin1"));
      if (r.code !== 0 || text === undefined) {
        side.error = `${describeRun(kind, r)}; ${tail(r)}`;
        continue;
      }
      const b = r.markerMs[BEGIN_MARKER], e = r.markerMs[END_MARKER];
      side.runs.push({ toInitMs: b, workloadMs: b !== undefined && e !== undefined ? e - b : undefined, wallMs: r.wallMs });
      all[kind].push(r);
      if (kind === "qemu" && reference === undefined) reference = text;
      if (reference !== undefined && text !== reference) result.outputsMatch = false;
    }
  }
  for (const kind of ["qemu", "tessera"] as const) {
    const side = result[kind];
    side.toInitMs = best(side.runs.map((r) => r.toInitMs));
    side.workloadMs = best(side.runs.map((r) => r.workloadMs));
    side.toPoweroffMs = best(side.runs.map((r) => r.wallMs));
    side.cpuMs = best(all[kind].map((r) => r.cpuMs));
    side.peakRssKiB = worst(all[kind].map((r) => r.peakRssKiB));
  }
  if (!result.qemu.error && !result.tessera.error && result.outputsMatch === undefined) result.outputsMatch = true;
  return result;
}

async function main(argv: string[]): Promise<void> {
  let smps = [1, 2], runs = 3, json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--smp") smps = argv[++i]!.split(",").map(Number);
    else if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] === "--json") json = argv[++i];
    else throw new Error("usage: node dist/bench/linux.js [--smp N,...] [--runs N] [--json FILE]");
  }
  const results: LinuxBenchResult[] = [];
  const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`);
  for (const smp of smps) {
    const r = await benchLinux({ smp, runs, log: (m) => process.stderr.write(m + "\n") });
    results.push(r);
    console.log(`linux -smp ${smp}: to /init QEMU ${s(r.qemu.toInitMs)} Tessera ${s(r.tessera.toInitMs)}; workload QEMU ${s(r.qemu.workloadMs)} ` +
      `Tessera ${s(r.tessera.workloadMs)}; to poweroff QEMU ${s(r.qemu.toPoweroffMs)} Tessera ${s(r.tessera.toPoweroffMs)}; ` +
      `workload output ${r.outputsMatch === undefined ? "-" : r.outputsMatch ? "identical" : "DIFFERS"}`);
    for (const e of [r.qemu.error, r.tessera.error]) if (e) console.log(`  FAILED: ${e}`);
  }
  if (json) writeFileSync(json, JSON.stringify(results, null, 2) + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`bench linux: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
