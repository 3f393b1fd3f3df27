/**
 * Linux boot benchmark: the cached Debian guest (npm run fetch-guests) with the workload
 * initramfs of the Linux test (tests/linux/init.sh), under QEMU and Tessera in the same run:
 * wall time from process start to /init's first marker (the shell is up) and to poweroff, the
 * Tessera/QEMU ratios, and each emulator's peak RSS (VmHWM) for a 512 MB guest. Whether the
 * workload output matched is reported as the checksum column.
 *
 *   node dist/bench/linux.js [--smp N] [--json]       (also part of npm run bench)
 */
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { FETCH_HINT } from "../src/cli/guests.js";
import { QEMU } from "../test/harness/paths.js";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, workloadInitrd, workloadText, type LinuxRun } from "../test/harness/linux.js";

export interface LinuxFigures {
  /** Process start to the workload's begin marker (userspace reached), ms. */
  toShellMs?: number;
  /** Process start to exit after poweroff, ms. */
  wallMs: number;
  peakRssKiB?: number;
  error?: string;
}

export interface LinuxBenchRow {
  workload: string;
  qemu: LinuxFigures;
  tessera: LinuxFigures;
  ratio?: number;
  checksumsMatch?: boolean;
}

export interface LinuxBenchOptions {
  smp?: number;
  memory?: string;
  /** Bound on the Tessera boot, seconds. */
  timeoutS?: number;
}

function figures(r: LinuxRun, toShell: boolean): LinuxFigures {
  const ok = r.code === 0 && workloadText(r.stdout) !== undefined;
  return {
    toShellMs: r.markerMs[BEGIN_MARKER],
    wallMs: toShell ? (r.markerMs[BEGIN_MARKER] ?? r.wallMs) : r.wallMs,
    peakRssKiB: r.peakRssKiB,
    error: ok ? undefined : tail(r, 8),
  };
}

const mb = (kib: number | undefined) => (kib === undefined ? "?" : `${Math.round(kib / 1024)} MB`);

/** Boot both emulators once (QEMU first, then Tessera: the host may have two cores only). */
export async function benchLinux(opts: LinuxBenchOptions = {}): Promise<LinuxBenchRow[]> {
  const guests = findGuests();
  if (!guests) throw new Error(FETCH_HINT);
  if (spawnSync(QEMU, ["--version"]).status !== 0) throw new Error(`${QEMU} not installed`);
  const smp = opts.smp ?? 2, memory = opts.memory ?? "512M";
  const run = { kernel: guests.kernel, initrd: workloadInitrd(guests), smp, memory, markers: [BEGIN_MARKER, END_MARKER] };
  const q = await runLinux("qemu", { ...run, timeoutMs: 180_000 });
  const t = await runLinux("tessera", { ...run, timeoutMs: (opts.timeoutS ?? 900) * 1000 });
  const match = workloadText(q.stdout) !== undefined && workloadText(q.stdout) === workloadText(t.stdout);
  const rows: LinuxBenchRow[] = [];
  for (const toShell of [true, false]) {
    const qf = figures(q, toShell), tf = figures(t, toShell);
    const label = toShell ? `linux -smp ${smp} -m ${memory}: to /init` :
      `linux -smp ${smp} -m ${memory}: to poweroff (peak RSS QEMU ${mb(q.peakRssKiB)}, Tessera ${mb(t.peakRssKiB)})`;
    rows.push({
      workload: label, qemu: qf, tessera: tf,
      ratio: qf.error || tf.error ? undefined : tf.wallMs / qf.wallMs,
      checksumsMatch: toShell ? undefined : match,
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const smpAt = argv.indexOf("--smp");
  const smp = smpAt >= 0 ? Number(argv[smpAt + 1]) : 2;
  benchLinux({ smp }).then((rows) => {
    if (argv.includes("--json")) { console.log(JSON.stringify(rows, null, 2)); return; }
    const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
    for (const r of rows) {
      console.log(`${r.workload}\n  QEMU ${s(r.qemu.wallMs)}, Tessera ${s(r.tessera.wallMs)}, ratio ${r.ratio?.toFixed(1) ?? "-"}` +
        `${r.checksumsMatch === undefined ? "" : `, workload output ${r.checksumsMatch ? "identical" : "DIFFERS"}`}`);
      for (const e of [r.qemu.error, r.tessera.error]) if (e) console.log(`  FAILED: ${e}`);
    }
  }, (e: unknown) => {
    console.error(`bench linux: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
