/**
 * Linux benchmark: the cached Debian guest (npm run fetch-guests) with the workload initramfs of
 * the Linux test (tests/linux/init.sh), under QEMU and Tessera with the same command line
 * (-net none), alternating, best of N, at -smp 1 and -smp 2. Three rows per CPU count, all
 * measured from process start: to /init (the workload's begin marker), the busybox workload
 * (begin marker to end marker) and to poweroff (process exit; CPU time and peak RSS are the
 * whole process's). The workload text between the markers must be identical.
 *
 * With `xen`, the same workload runs in dom0 under Debian's Xen 4.17 (the guest cache's
 * xen-hypervisor-4.17-arm64) on the emulated EL2, with QEMU's guest-loader handing Xen the
 * kernel and initramfs (-M virt,virtualization=on,gic-version=3 -m 1G, dom0_mem=512M).
 *
 *   node dist/bench/linux.js [--smp N,...] [--xen] [--runs N] [--json FILE]     (also part of npm run bench)
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { FETCH_HINT, findExtraGuest } from "../src/cli/guests.js";
import { join } from "node:path";
import { existsSync } from "node:fs";
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
  /** What booted: "Linux", or "Xen 4.17 + Linux dom0". */
  label: string;
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
  /** Run the workload in dom0 under Debian's Xen 4.17 instead of on the bare board. */
  xen?: boolean;
  /** Bound on one Tessera boot, seconds. */
  timeoutS?: number;
  log?: (s: string) => void;
}

function args(kernel: string, initrd: string, smp: number, memory: string): string[] {
  return ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-no-reboot", "-net", "none", "-m", memory, "-smp", String(smp),
    "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyAMA0 panic=-1"];
}

/** Xen with the kernel as dom0, as QEMU users boot it (the guest-loader puts both in /chosen). */
function xenArgs(xen: string, kernel: string, initrd: string, smp: number): string[] {
  return ["-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a53", "-nographic", "-no-reboot", "-net", "none", "-m", "1G",
    "-smp", String(smp), "-kernel", xen, "-append", "dom0_mem=512M console=dtuart dtuart=/pl011@9000000 noreboot",
    "-device", `guest-loader,addr=0x49000000,kernel=${kernel},bootargs=console=hvc0 panic=-1`,
    "-device", `guest-loader,addr=0x50000000,initrd=${initrd}`];
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
  let common = args(guests.kernel, initrd, smp, memory), label = "Linux";
  if (opts.xen) {
    const dir = findExtraGuest("xen"), xen = dir && join(dir, "boot", "xen-4.17-arm64");
    if (!xen || !existsSync(xen)) throw new Error(`Debian's Xen missing from the guest cache: ${FETCH_HINT}`);
    common = xenArgs(xen, guests.kernel, initrd, smp);
    label = "Xen 4.17 + Linux dom0";
  }
  const result: LinuxBenchResult = { label, smp, memory: opts.xen ? "1G" : memory, runs, qemu: { runs: [] }, tessera: { runs: [] } };
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
  let smps = [1, 2], runs = 3, json: string | undefined, xen = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--smp") smps = argv[++i]!.split(",").map(Number);
    else if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] === "--xen") xen = true;
    else if (argv[i] === "--json") json = argv[++i];
    else throw new Error("usage: node dist/bench/linux.js [--smp N,...] [--xen] [--runs N] [--json FILE]");
  }
  const results: LinuxBenchResult[] = [];
  const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`);
  for (const smp of smps) {
    const r = await benchLinux({ smp, runs, xen, log: (m) => process.stderr.write(m + "\n") });
    results.push(r);
    console.log(`${r.label} -smp ${smp}: to /init QEMU ${s(r.qemu.toInitMs)} Tessera ${s(r.tessera.toInitMs)}; workload QEMU ${s(r.qemu.workloadMs)} ` +
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
