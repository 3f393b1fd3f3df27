/**
 * The promise every `tessera` command keeps, kept here once for all of them:
 *   - a user's mistake (a bad option, file, image or config) is one line "tessera: <problem>" and
 *     exit 2, never a stack trace;
 *   - output reaches a slow reader completely: the process exits only once standard output and
 *     standard error have drained (a pipe in Node is asynchronous, and process.exit would drop
 *     what is still queued);
 *   - output that cannot be delivered (a closed pipe, a full disk, a terminal that went away)
 *     ends the command with one line on standard error and exit 1, the status saying that the
 *     output is incomplete;
 *   - anything else is one "internal error" line and exit 1.
 * Commands return their exit status; they never call process.exit themselves.
 */
import { closeSync } from "node:fs";
import { LoadError } from "../loaders/errors.js";
import { UsageError } from "./args.js";
import { describeFsError } from "./host-files.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A host file or stream that cannot be written: reported in one line, exit 1. */
export class HostOutputError extends Error {
  override readonly name = "HostOutputError";
}

/** Standard output is queued beyond this many bytes: producers wait for the reader (backpressure). */
export const OUTPUT_HIGH_WATER = 1 << 20;

let stdoutFailure: string | undefined;
/** The controlling terminal hung up: its descriptors can no longer be restored at exit. */
let terminalGone = false;
let stderrFailure = false;
let guarded = false;

function reasonOf(e: NodeJS.ErrnoException): string {
  if (e.code === "EPIPE") return "broken pipe (the reader went away)";
  if (e.code === "EIO" || e.code === "ENXIO") return "input/output error (the terminal went away)";
  if (e.code === "ERR_STREAM_DESTROYED" || e.code === "ERR_STREAM_WRITE_AFTER_END") return "the stream is closed";
  return describeFsError(e);
}

/**
 * Absorb write errors on standard output and error: a closed pipe or a full disk is an event
 * to report, not an unhandled 'error' event with a stack trace.
 */
export function guardStandardStreams(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    stdoutFailure ??= reasonOf(e);
    if (e.code === "EIO" && process.stdout.isTTY) terminalGone = true;
  });
  process.stderr.on("error", () => { stderrFailure = true; });
  // A terminal that hangs up: stop, and say so where that can still be seen.
  process.on("SIGHUP", () => { stdoutFailure ??= "the terminal hung up"; terminalGone = true; });
}

/** Why standard output can no longer be written, once it cannot. */
export function outputFailure(): string | undefined {
  return stdoutFailure;
}

/** Write to standard output; false once the queue is past OUTPUT_HIGH_WATER (then await outputDrained). */
export function writeStdout(bytes: Uint8Array | string): boolean {
  if (stdoutFailure !== undefined) return true; // output already lost: drop, the end reports it
  process.stdout.write(bytes);
  return process.stdout.writableLength < OUTPUT_HIGH_WATER;
}

/** One line on standard error (nothing happens when standard error itself is gone). */
export function writeStderr(text: string): void {
  if (stderrFailure) return;
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

/** Resolves once everything queued on `stream` has been handed to the OS, or the stream failed. */
function drained(stream: NodeJS.WriteStream, failed: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (stream.writableLength === 0 || failed() || stream.destroyed) {
        stream.off("drain", check);
        stream.off("error", check);
        clearInterval(poll);
        resolve();
      }
    };
    // 'drain' is only emitted after a write returned false; the poll covers the other cases.
    const poll = setInterval(check, 20);
    stream.on("drain", check);
    stream.on("error", check);
    check();
  });
}

/** Resolves when standard output has caught up (or failed). */
export function outputDrained(): Promise<void> {
  return drained(process.stdout, () => stdoutFailure !== undefined);
}

/** One line for an error thrown out of a command, and the exit status it means. */
export function reportError(e: unknown): number {
  if (e instanceof UsageError || e instanceof LoadError) {
    writeStderr(`tessera: ${e.message}`);
    return EXIT_USAGE;
  }
  if (e instanceof HostOutputError) {
    writeStderr(`tessera: ${e.message}`);
    return EXIT_FAILURE;
  }
  const sys = e as NodeJS.ErrnoException;
  if (sys && typeof sys.code === "string" && typeof sys.syscall === "string") {
    // A system call on a file the user named (a path we could not create, a disk that filled).
    const where = sys.path ? ` '${sys.path}'` : "";
    writeStderr(`tessera: cannot ${sys.syscall}${where}: ${describeFsError(sys)}`);
    return EXIT_USAGE;
  }
  if (e instanceof RangeError && /allocation|Array buffer|memory/i.test(e.message)) {
    writeStderr(`tessera: out of memory (${e.message})`);
    return EXIT_FAILURE;
  }
  writeStderr(`tessera: internal error: ${e instanceof Error ? e.message : String(e)}`);
  return EXIT_FAILURE;
}

/**
 * Run a command to its exit status and end the process, keeping the promise above. The only
 * place in the CLI that ends the process.
 */
export function runCli(command: (argv: string[]) => Promise<number>, argv: string[]): void {
  guardStandardStreams();
  const finish = async (code: number): Promise<void> => {
    await outputDrained();
    // A write error on a file or device (>/dev/full) is emitted on a later tick than the write.
    await new Promise((resolve) => setImmediate(resolve));
    if (stdoutFailure !== undefined) {
      writeStderr(`tessera: cannot write standard output: ${stdoutFailure}; output is incomplete`);
      if (code === EXIT_OK) code = EXIT_FAILURE;
    }
    await drained(process.stderr, () => stderrFailure);
    process.exitCode = code;
    // At exit Node puts terminal descriptors back as it found them, and aborts with a native
    // stack trace when the terminal is gone (tcsetattr fails with EIO). It skips descriptors
    // that are closed, so close them first.
    if (terminalGone) for (const fd of [0, 1, 2]) { try { closeSync(fd); } catch { /* already closed */ } }
    // Open handles (stdin, timers of a stopped guest) must not keep the process alive.
    process.exit(code);
  };
  let promise: Promise<number>;
  try {
    promise = command(argv);
  } catch (e) {
    promise = Promise.reject(e);
  }
  promise.then(finish, (e: unknown) => finish(reportError(e)));
}
