/**
 * The turn scheduler: the CPUs of one machine run in one thread, round robin, in turns of at
 * most `quantum` instructions. A turn is clipped so that the next timer deadline falls on a
 * turn boundary: exactly under -icount, where the counter advances with executed instructions;
 * on host time as near as the counter's estimate of instructions per tick allows (see
 * devices/system-counter.ts). When every CPU waits for an
 * interrupt the scheduler reports "idle until tick T" and the host decides whether to sleep or
 * skip ahead (advanceIdle). A guest that can never make progress (exceptions on every step,
 * turn after turn) is reported instead of spinning silently.
 *
 * The same scheduler drives the virt board alone and the hypervisor's partitions on it.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { GenericTimer } from "../devices/generic-timer.js";
import type { SystemCounter } from "../devices/system-counter.js";
import type { SystemEvent } from "../firmware/psci.js";

export type RunStatus =
  | { kind: "running" }
  /** Every CPU waits for an interrupt; the next timer fires at counter value `until` (undefined: none armed). */
  | { kind: "idle"; now: number; until: number | undefined }
  | { kind: "stopped"; reason: SystemEvent }
  | { kind: "fatal"; message: string; cpu: Cpu };

/** Consecutive turns in which every step was an exception before the guest is declared stuck. */
const EXCEPTION_LOOP_TURNS = 8;
/** Exceptions in a row without a completed instruction before the CPU is declared stuck. */
const NO_PROGRESS_EXCEPTION_LIMIT = 10000;
/**
 * Exceptions in a row without an exception return before the CPU is declared stuck: real
 * handlers return (Linux's always end in ERET), so this catches loops through vectors that
 * execute instructions and then fault themselves (say `nop; udf #0` in every slot), which the
 * two checks above miss. Linux takes no more than a few nested exceptions before returning.
 */
const EXCEPTION_STREAK_LIMIT = 100000;

export interface SchedulerOptions {
  cpus: readonly Cpu[];
  clock: SystemCounter;
  timer: GenericTimer;
  /** Instructions per CPU turn. */
  quantum: number;
  /** A system event (power-off, reset) the machine has seen, which ends the run. */
  systemEvent(): SystemEvent | undefined;
  /** Devices that follow virtual time without a timer of their own (the PL031's alarm), polled between runs. */
  poll?(): void;
  /**
   * Per-CPU instruction deadlines (the PMU's counter overflows): a turn is clipped to what
   * `limitTurn` allows and `turnEnded` is told when it ends.
   */
  turnLimiter?: TurnLimiter;
}

/** Something that needs a CPU's turn to end after a number of its own instructions. */
export interface TurnLimiter {
  limitTurn(cpu: Cpu, slice: number): number;
  turnEnded(cpu: Cpu): void;
  /** The counter tick of the earliest deadline of a CPU that runs no turns (halted), if any. */
  idleDeadline(): number | undefined;
  /** Time passed for the CPUs that run no turns (polled with the devices). */
  poll(): void;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

export class TurnScheduler {
  readonly quantum: number;
  private nextCpu = 0;
  /** Consecutive turns of each CPU in which every step was an exception. */
  private readonly faultTurns: number[];
  /**
   * Set by a debugger when a CPU stopped at a breakpoint or watchpoint (or it wants the
   * machine stopped): the current run returns after this turn, so no other CPU runs on.
   */
  debugStopRequested = false;

  constructor(private readonly o: SchedulerOptions) {
    this.quantum = o.quantum;
    this.faultTurns = new Array<number>(o.cpus.length).fill(0);
  }

  /**
   * Run up to about `budget` instructions in total, CPU turns of at most `quantum` each, clipped
   * so that timer deadlines fall on turn boundaries (see above). Returns early when the guest stops or
   * every CPU is idle.
   */
  run(budget: number): RunStatus {
    const { cpus, clock, timer } = this.o;
    let executed = 0;
    const n = cpus.length;
    while (executed < budget) {
      let event = this.o.systemEvent();
      if (event) return { kind: "stopped", reason: event };
      let anyRan = false;
      for (let k = 0; k < n; k++) {
        const idx = (this.nextCpu + k) % n;
        const cpu = cpus[idx];
        if (cpu.off || cpu.halted) continue;
        anyRan = true;
        let slice = this.quantum;
        // The turn starts (the counter reads the time once) and is clipped to the next deadline.
        clock.beginSlice(cpu);
        const deadline = timer.nextDeadline();
        if (deadline !== undefined) slice = Math.min(slice, clock.instructionsFor(deadline - clock.now()));
        const limiter = this.o.turnLimiter;
        if (limiter !== undefined) slice = limiter.limitTurn(cpu, slice);
        const before = cpu.icount;
        const excBefore = cpu.exceptionsTaken;
        try {
          cpu.run(slice);
          limiter?.turnEnded(cpu);
        } finally {
          clock.endSlice();
        }
        const ran = cpu.icount - before;
        executed += ran;
        // Other CPUs' stores through the TLB fast path do not check reservations, so a CPU's
        // exclusive monitor does not survive its turn: an LDXR/STXR pair split across turns
        // fails and retries (clearing is always allowed, ARM ARM B2.9.5).
        if (n > 1) cpu.exclusiveValid = false;
        timer.update();
        // An exception taken on every step of a whole turn, turn after turn: the guest has no
        // working vectors (or they fault themselves) and will never make progress.
        const exc = cpu.exceptionsTaken - excBefore;
        // Each report names the exception that started the loop: by now ESR/FAR only describe
        // the vectors' own faults.
        if (cpu.exceptionsWithoutProgress >= NO_PROGRESS_EXCEPTION_LIMIT) {
          return { kind: "fatal", cpu, message: `cpu${idx} is stuck taking exceptions without executing an instruction; ${cpu.describeFirstFault()}` };
        }
        if (cpu.exceptionsSinceEret >= EXCEPTION_STREAK_LIMIT) {
          return { kind: "fatal", cpu,
            message: `cpu${idx} is stuck taking exceptions (${cpu.exceptionsSinceEret} without an exception return); ${cpu.describeFirstFault()}` };
        }
        if (ran > 0 && exc >= ran) {
          if (++this.faultTurns[idx] >= EXCEPTION_LOOP_TURNS) {
            return { kind: "fatal", cpu, message: `cpu${idx} is stuck taking exceptions (${exc} in its last ${ran} steps); ${cpu.describeFirstFault()}` };
          }
        } else this.faultTurns[idx] = 0;
        event = this.o.systemEvent();
        if (event) return { kind: "stopped", reason: event };
        if (this.debugStopRequested) { this.debugStopRequested = false; return { kind: "running" }; }
      }
      this.nextCpu = (this.nextCpu + 1) % n;
      if (!anyRan) {
        this.o.poll?.();
        this.o.turnLimiter?.poll();
        return { kind: "idle", now: clock.now(), until: earliest(timer.nextDeadline(), this.o.turnLimiter?.idleDeadline()) };
      }
    }
    this.o.poll?.();
    this.o.turnLimiter?.poll();
    return { kind: "running" };
  }

  /**
   * A debugger's single step of `cpu` alone (Cpu.debugStep), inside a turn of its own so that
   * the counter and timers see it as any other instruction. Returns the instructions executed.
   */
  stepOne(cpu: Cpu): number {
    const { clock, timer } = this.o;
    if (cpu.off) return 0;
    clock.beginSlice(cpu);
    let ran: number;
    try {
      ran = cpu.debugStep();
    } finally {
      clock.endSlice();
    }
    timer.update();
    this.o.poll?.();
    return ran;
  }

  /** Let time pass while idle (the host decided how far; host time moves by itself); fires due timers. */
  advanceIdle(tick: number): void {
    this.o.clock.advanceTo(tick);
    this.o.timer.update();
    this.o.poll?.();
    this.o.turnLimiter?.poll();
  }
}
