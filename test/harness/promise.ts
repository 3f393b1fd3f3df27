/**
 * The CLI's promise, as the tests check it: bad input is one "tessera: " line and exit 2; a
 * guest given up is "tessera: " with its state and exit 1; never a stack trace, an internal
 * error, a hang or unbounded memory. Runs `tessera` as a child process and watches its peak
 * resident memory while it runs.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { TESSERA_CLI } from "./paths.js";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** Highest VmHWM seen while the process ran, in KiB (0 where /proc is missing). */
  peakRssKiB: number;
  wallMs: number;
}

export interface CliRunOptions {
  stdin?: string | Uint8Array;
  /** Killed after this long (default 30 s): a run that needs it has broken the promise. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function runTesseraCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [TESSERA_CLI, ...args], { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    const out: Buffer[] = [], err: Buffer[] = [];
    let peak = 0, timedOut = false;
    const sample = () => { if (child.pid !== undefined) peak = Math.max(peak, vmHwm(child.pid)); };
    const sampler = setInterval(sample, 25);
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, opts.timeoutMs ?? 30000);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => {});
    child.stdin.end(opts.stdin ?? "");
    child.on("exit", sample);
    child.on("close", (code, signal) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"), timedOut, peakRssKiB: peak, wallMs: performance.now() - started });
    });
  });
}

export interface PromiseExpectation {
  /** Exit statuses acceptable for this input (default: any of 0, 1, 2). */
  codes?: readonly number[];
  /** Peak resident memory allowed, in MiB (default 1024). */
  maxRssMiB?: number;
  /** The stderr line (the first, for exit 1) must match. */
  message?: RegExp;
}

/** Assert the promise for one run; `what` names the case in failure messages. */
export function assertPromise(r: CliRun, what: string, e: PromiseExpectation = {}): void {
  const show = `${what}\n--- stderr ---\n${r.stderr.slice(0, 2000)}`;
  assert.ok(!r.timedOut, `hung (killed after the time limit): ${show}`);
  assert.equal(r.signal, null, `killed by ${r.signal}: ${show}`);
  assert.ok((e.codes ?? [0, 1, 2]).includes(r.code!), `exit status ${r.code}: ${show}`);
  assert.doesNotMatch(r.stderr, /^\s+at .+[:(]/m, `stack trace: ${show}`);
  assert.doesNotMatch(r.stderr, /internal error|node:internal|Unhandled|\bTypeError\b|\bReferenceError\b/, `internal error: ${show}`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  if (r.code === 2) {
    assert.equal(lines.length, 1, `bad input must give exactly one line: ${show}`);
    assert.match(lines[0], /^tessera: /, show);
  }
  if (r.code === 1) assert.match(lines[0] ?? "", /^tessera: /, `a failure starts with a "tessera: " line: ${show}`);
  if (e.message && r.code !== 0) assert.match(lines[0] ?? "", e.message, show);
  const maxKiB = (e.maxRssMiB ?? 1024) * 1024;
  assert.ok(r.peakRssKiB <= maxKiB, `peak RSS ${Math.round(r.peakRssKiB / 1024)} MiB over ${maxKiB / 1024} MiB: ${show}`);
}
