/**
 * Child-process helper with a hard timeout: every emulator run in the
 * tests goes through here so that a guest that never powers off cannot
 * hang the test run.
 */
import { spawn, spawnSync } from "node:child_process";

export interface ProcessResult {
  stdout: Buffer;
  stderr: string;
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  wallMs: number;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

export interface ProcessOptions {
  stdin?: string | Buffer;
  timeoutMs: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function runProcess(cmd: string, args: readonly string[], opts: ProcessOptions): Promise<ProcessResult> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: string | undefined;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      spawnError = e.message;
    });
    // The guest may exit before reading all of its input.
    child.stdin.on("error", () => {});
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
        code,
        signal,
        timedOut,
        wallMs: performance.now() - started,
        spawnError,
      });
    });
  });
}

/** True when `cmd` can be executed (looked up on PATH). */
export function commandExists(cmd: string): boolean {
  const r = spawnSync(cmd, ["--version"], { stdio: "ignore", timeout: 20000 });
  return r.error === undefined && r.status === 0;
}

/** What runUntil saw: the output, and whether `done` matched before the process ended. */
export interface RunUntilResult {
  out: string;
  err: string;
  finished: boolean;
}

/**
 * Run a command until `done` accepts its standard output so far (then kill it: a hypervisor
 * whose last domain stopped may not end the process), until it exits, or until `timeoutMs`.
 */
export function runUntil(cmd: string, args: readonly string[], done: (out: string) => boolean, timeoutMs: number): Promise<RunUntilResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "", finished = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (s: string) => {
      out += s;
      if (!finished && done(out)) { finished = true; child.kill("SIGKILL"); }
    });
    child.stderr.on("data", (s) => { err += s.toString(); });
    child.on("error", (e) => { err += `cannot run ${cmd}: ${e.message}`; });
    child.on("close", () => { clearTimeout(timer); resolve({ out, err, finished }); });
  });
}
