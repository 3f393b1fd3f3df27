/**
 * Whole-process measurement of one emulator run, as a user sees it: wall time from spawn to
 * exit (start-up included), CPU time (user + system, all threads) and peak resident set size.
 *
 * CPU time and peak RSS come from GNU time (`/usr/bin/time`, Debian package `time`), which
 * reports the child's rusage; without it they are sampled from /proc/<pid>/stat and
 * /proc/<pid>/status (VmHWM) every 50 ms, which misses the last moments of the run (the
 * figures are then marked as sampled).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";

export interface ProcessFigures {
  wallMs: number;
  /** User + system CPU time of the emulator process, ms. */
  cpuMs?: number;
  /** Peak resident set size, KiB. */
  peakRssKiB?: number;
  /** How cpuMs/peakRssKiB were obtained. */
  source: "rusage" | "sampled";
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: string;
  /** ms from spawn to the first appearance of each marker on stdout. */
  markerMs: Record<string, number>;
}

export interface MeasureOptions {
  stdin?: string;
  timeoutMs: number;
  markers?: readonly string[];
}

let gnuTime: boolean | undefined;

/** True when GNU time is installed (checked once). */
export function haveGnuTime(): boolean {
  if (gnuTime === undefined) gnuTime = existsSync(GNU_TIME);
  return gnuTime;
}

function procSample(pid: number): { cpuMs?: number; rssKiB?: number } {
  const out: { cpuMs?: number; rssKiB?: number } = {};
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based), in clock ticks of 100 Hz on Linux.
    out.cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch { /* exited */ }
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    if (m) out.rssKiB = Number(m[1]);
  } catch { /* exited */ }
  return out;
}

/** The pids of a process's children (Linux: the children file of its main thread in /proc); none when it has gone. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Runs cmd args once and measures it. */
export function measureProcess(cmd: string, args: readonly string[], opts: MeasureOptions): Promise<ProcessFigures> {
  const useTime = haveGnuTime();
  const scratch = useTime ? mkdtempSync(join(tmpdir(), "tessera-bench-")) : undefined;
  const timeFile = scratch ? join(scratch, "rusage") : undefined;
  const [file, argv] = timeFile ? [GNU_TIME, ["-f", "%e %U %S %M", "-o", timeFile, cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let outText = "";
    let stderr = "";
    let timedOut = false;
    let sampled: { cpuMs?: number; rssKiB?: number } = {};
    const markerMs: Record<string, number> = {};
    const sampler = useTime ? undefined : setInterval(() => {
      if (child.pid !== undefined) {
        const s = procSample(child.pid);
        sampled = { cpuMs: s.cpuMs ?? sampled.cpuMs, rssKiB: Math.max(s.rssKiB ?? 0, sampled.rssKiB ?? 0) || undefined };
      }
    }, 50);
    const timer = setTimeout(() => {
      timedOut = true;
      // Under GNU time the emulator is time's child: killing time alone would leave it running,
      // holding the output pipes open, so the run would never end. Kill the emulator first.
      if (useTime && child.pid !== undefined) {
        for (const pid of childPids(child.pid)) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
      }
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout.on("data", (b: Buffer) => {
      out.push(b);
      if (opts.markers?.length) {
        outText += b.toString("latin1");
        for (const m of opts.markers) if (markerMs[m] === undefined && outText.includes(m)) markerMs[m] = performance.now() - started;
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => { stderr += s; });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.stdin ?? "");
    child.on("error", (e) => { stderr += `cannot run ${file}: ${e.message}`; });
    child.on("close", (code, signal) => {
      const wallMs = performance.now() - started;
      if (sampler) clearInterval(sampler);
      clearTimeout(timer);
      const result: ProcessFigures = {
        wallMs, code, signal, timedOut, stdout: Buffer.concat(out), stderr, markerMs,
        source: useTime ? "rusage" : "sampled", cpuMs: sampled.cpuMs, peakRssKiB: sampled.rssKiB,
      };
      if (timeFile) {
        try {
          const lines = readFileSync(timeFile, "utf8").trim().split("\n");
          const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? "");
          if (m) {
            result.cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
            result.peakRssKiB = Number(m[4]);
          }
          // GNU time reports a child killed by a signal as exit status 128+n, with a note
          // that gives the signal's number ("Command terminated by signal 9").
          const killed = lines.find((l) => l.startsWith("Command terminated by signal"));
          if (killed && result.signal === null) result.signal = signalName(Number(killed.split(" ").pop()));
        } catch { /* the wrapper was killed */ }
        rmSync(scratch!, { recursive: true, force: true });
      }
      resolve(result);
    });
  });
}

/** One-line description of how a run ended. */
export function describeRun(name: string, r: ProcessFigures): string {
  if (r.timedOut) return `${name} timed out after ${Math.round(r.wallMs / 1000)} s`;
  if (r.signal) return `${name} killed by ${r.signal}`;
  return `${name} exited with ${r.code} after ${(r.wallMs / 1000).toFixed(1)} s`;
}

/** The smallest defined value, or undefined. */
export function best(values: ReadonlyArray<number | undefined>): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? Math.min(...v) : undefined;
}

/** The largest defined value, or undefined. */
export function worst(values: ReadonlyArray<number | undefined>): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? Math.max(...v) : undefined;
}

/** The name Node gives signal number `n` ("SIGKILL" for 9), as `child.on("close")` reports it. */
function signalName(n: number): NodeJS.Signals {
  const named = Object.entries(constants.signals).find(([, v]) => v === n);
  return (named?.[0] ?? `SIG${n}`) as NodeJS.Signals;
}
