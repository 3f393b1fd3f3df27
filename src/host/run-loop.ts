/**
 * The host's session loop, shared by `tessera run`, `tessera hv` and a browser page: run the
 * machine in slices, give the event loop a turn between them (input, signals, sockets), pace
 * idle time to real time, and end the session for a reason the caller reports: the guest
 * stopped, got stuck, outran its watchdog or instruction limit, or waits for an interrupt that
 * can never come. Platform-neutral: timers are the ones every JavaScript host has.
 */
import type { RunStatus } from "../machine/scheduler.js";
import type { IdleTime } from "../devices/system-counter.js";

/** What the loop drives: a board, or the hypervisor's view of one. */
export interface Runnable {
  run(budget: number): RunStatus;
  advanceIdle(tick: number): void;
  readonly counterFrequency: number;
  /** How idle time passes (the counter's; "paced" when not given). */
  readonly idleTime?: IdleTime;
  readonly cpus: readonly { readonly icount: number; readonly off: boolean }[];
}

export type SessionEnd =
  /** PSCI SYSTEM_OFF or SYSTEM_RESET. */
  | { kind: "stopped" }
  /** The machine gave up (a CPU stuck in exceptions, ...). */
  | { kind: "fatal"; message: string }
  | { kind: "watchdog"; seconds: number }
  | { kind: "instruction-limit"; limit: number }
  | { kind: "all-cpus-off" }
  /** Every CPU waits, no timer is armed and no input can come. */
  | { kind: "deadlock" }
  /** Ended by the host: a quit key, lost output, a kernel panic it watched for. */
  | { kind: "host"; code: number };

export interface SessionHooks {
  /** Before each slice: an end stops the session; a promise pauses it until it settles (a slow reader). */
  beforeSlice?(): SessionEnd | Promise<void> | undefined;
  /** After each slice (output flushed here): an end stops the session. */
  afterSlice?(status: RunStatus): SessionEnd | undefined;
  /** False once no input can ever arrive (stdin closed). */
  inputOpen(): boolean;
  /** True while a debugger holds CPUs stopped (powered off for the scheduler): they will run again. */
  heldByDebugger?(): boolean;
}

export interface SessionOptions {
  watchdogSeconds?: number;
  maxInstructions?: number;
  /** Instructions per slice between turns of the event loop. */
  sliceInstructions?: number;
}

const DEFAULT_SLICE = 200_000;
/** Longest nap while idle, so input and signals are serviced promptly. */
const MAX_NAP_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/**
 * One turn of the event loop, as cheaply as the host allows: setTimeout(0) waits a millisecond
 * or more, a third of a slice's run time, so setImmediate is used where it exists (Node) and a
 * message channel elsewhere (browsers).
 */
const yieldToEventLoop: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (f: () => void) => void; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === "function") { const si = g.setImmediate; return () => new Promise<void>((resolve) => si(resolve)); }
  if (typeof g.MessageChannel === "function") {
    const channel = new g.MessageChannel();
    const waiting: (() => void)[] = [];
    channel.port1.onmessage = () => waiting.shift()?.();
    return () => new Promise<void>((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });
  }
  return () => new Promise<void>((resolve) => setTimeout(resolve, 0));
})();

export async function runSession(target: Runnable, hooks: SessionHooks, options: SessionOptions = {}): Promise<SessionEnd> {
  const started = Date.now();
  const slice = options.sliceInstructions ?? DEFAULT_SLICE;
  let total = 0;
  const instructions = () => { let n = 0; for (const c of target.cpus) n += c.icount; return n; };
  for (;;) {
    // The watchdog counts wall-clock time, also while the session waits (a slow reader, a
    // debugger holding the machine stopped).
    if (options.watchdogSeconds !== undefined && Date.now() - started > options.watchdogSeconds * 1000) {
      return { kind: "watchdog", seconds: options.watchdogSeconds };
    }
    const gate = hooks.beforeSlice?.();
    if (gate instanceof Promise) { await gate; continue; }
    if (gate) return gate;
    let budget = slice;
    if (options.maxInstructions !== undefined) budget = Math.min(budget, options.maxInstructions - total);
    if (budget <= 0) return { kind: "instruction-limit", limit: options.maxInstructions! };
    const before = instructions();
    const status = target.run(budget);
    total += instructions() - before;
    const end = hooks.afterSlice?.(status);
    if (end) return end;
    if (status.kind === "stopped") return { kind: "stopped" };
    if (status.kind === "fatal") return { kind: "fatal", message: status.message };
    if (status.kind === "idle") {
      if (status.until === undefined) {
        // Nothing armed: only host input can wake the guest.
        if (target.cpus.every((c) => c.off) && hooks.heldByDebugger?.() !== true) return { kind: "all-cpus-off" };
        if (!hooks.inputOpen()) return { kind: "deadlock" };
        await sleep(10);
        continue;
      }
      const mode = target.idleTime ?? "paced";
      if (mode === "warp") {
        // -icount sleep=off: straight to the deadline (QEMU's icount warp without sleeping).
        target.advanceIdle(status.until);
        await yieldToEventLoop();
        continue;
      }
      const ticks = status.until - status.now;
      const ms = Math.min(MAX_NAP_MS, (ticks / target.counterFrequency) * 1000);
      if (mode === "host") {
        // The counter follows host time: wait until it reaches the deadline, in naps of whole
        // milliseconds (timers are no finer) and event-loop turns for the last fraction, then
        // let the board fire what is due. QEMU's idle vCPU waits likewise, in a host timer.
        if (ms >= 1) await sleep(Math.floor(ms));
        else await yieldToEventLoop();
        target.advanceIdle(status.until);
        continue;
      }
      // Pace idle time to real time, in short naps (-icount sleep=on: QEMU's warp timer lets
      // the count advance with host time while the CPUs sleep).
      const t0 = performance.now();
      if (ms >= 1) await sleep(ms);
      const elapsedTicks = ((performance.now() - t0) / 1000) * target.counterFrequency;
      target.advanceIdle(Math.min(status.until, status.now + Math.max(elapsedTicks, ms < 1 ? ticks : 0)));
      continue;
    }
    await yieldToEventLoop();
  }
}
