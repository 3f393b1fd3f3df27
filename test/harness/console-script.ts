/**
 * Drives an emulator's serial console from standard input, as a person at a terminal would:
 * each step waits for some text to appear on the console (counted from the end of the previous
 * step's match) and then types a line. After the last step the emulator is stopped (SIGTERM)
 * and its whole console output returned, so the same script under QEMU and Tessera gives two
 * transcripts to compare. A step that does not see its text within the time given ends the run
 * with `timedOut` set.
 */
import { spawn } from "node:child_process";

export interface ConsoleStep {
  /** Text to wait for on the console. */
  waitFor: string;
  /** What to type then (a U-Boot command ends in "\r", as a terminal's Enter key sends). */
  send?: string;
}

export interface ConsoleTranscript {
  stdout: string;
  /** stdout up to the end of the last step's text: what both emulators printed by then. */
  transcript: string;
  stderr: string;
  /** The step whose text never came, or undefined when all did. */
  timedOut?: ConsoleStep;
}

export function runConsoleScript(cmd: string, args: readonly string[], steps: readonly ConsoleStep[], timeoutMs: number): Promise<ConsoleTranscript> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "", from = 0, index = 0, done = false;
    let timedOut: ConsoleStep | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGTERM");
    };
    const timer = setTimeout(() => { timedOut = steps[index]; finish(); }, timeoutMs);
    const advance = () => {
      while (!done && index < steps.length) {
        const step = steps[index];
        const at = stdout.indexOf(step.waitFor, from);
        if (at < 0) return;
        from = at + step.waitFor.length;
        index++;
        if (step.send !== undefined) child.stdin.write(step.send);
      }
      if (index >= steps.length) finish();
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => { stdout += d; advance(); });
    child.stderr.on("data", (d: string) => { stderr += d; });
    child.stdin.on("error", () => {});
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      if (!done && index < steps.length) timedOut = steps[index];
      resolve({ stdout, transcript: stdout.slice(0, from), stderr, timedOut });
    });
  });
}
