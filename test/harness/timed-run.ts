/** Running a command and noting when each line of its output arrived: for tests of guest time and the benchmarks. */
import { spawn } from "node:child_process";

export interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Each complete stdout line (without a trailing \r) and when it arrived, in ms after the start. */
  lines: { text: string; ms: number }[];
}

/** Run `cmd` with stdin closed, killing it after `timeoutMs`. */
export function timedRun(cmd: string, args: string[], timeoutMs: number): Promise<TimedRun> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end();
    let stdout = "", stderr = "", pending = "";
    const lines: TimedRun["lines"] = [];
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (d: string) => {
      stdout += d;
      pending += d;
      const complete = pending.split("\n");
      pending = complete.pop() ?? "";
      const ms = performance.now() - t0;
      for (const l of complete) lines.push({ text: l.replace(/\r$/, ""), ms });
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, wallMs: performance.now() - t0, lines }); });
  });
}
