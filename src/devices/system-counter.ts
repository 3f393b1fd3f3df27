/**
 * The system counter behind the generic timer (ARM ARM D11.1.2): one count shared by every CPU,
 * read through CNTPCT_EL0/CNTVCT_EL0, and the time base of everything the board derives from it
 * (timer deadlines, the PL031's seconds, the SP805's WDOGCLK, the hypervisor's partitions).
 *
 * Two ways to drive it, as QEMU's QEMU_CLOCK_VIRTUAL has (softmmu/cpus.c, softmmu/icount.c):
 *
 * - Host time (the default, QEMU without -icount): the count follows the host's monotonic clock
 *   from the moment the machine first runs, so a guest's `sleep 1` takes a second of wall time
 *   however fast the CPUs emulate. Timers fire when host time passes their deadline; the board
 *   looks at the clock at CPU turn boundaries and sizes turns from an estimate of how many
 *   instructions a tick takes, so deadlines are not overshot by much.
 * - Instructions (-icount shift=N): every instruction takes 2^N ns of counter time, so runs are
 *   deterministic. With the counter at 62.5 MHz (16 ns a tick, QEMU's gt_cntfrq_period_ns),
 *   shift=4 is one tick per instruction. `auto` starts at shift 3 and moves the shift by one
 *   when the count drifts from host time, as QEMU's icount_adjust does.
 *
 * The host's clock is injected (`hostNow`, milliseconds); `performance.now()` is the default
 * because every JavaScript host has it and it is monotonic.
 */

/** CNTFRQ_EL0: QEMU virt's 62.5 MHz (target/arm/cpu.h GTIMER_SCALE = 16 ns). */
export const COUNTER_FREQUENCY_HZ = 62_500_000;
/** Nanoseconds per counter tick. */
export const NS_PER_TICK = 1e9 / COUNTER_FREQUENCY_HZ;
const TICKS_PER_MS = COUNTER_FREQUENCY_HZ / 1000;
/** The largest -icount shift QEMU accepts (softmmu/icount.c MAX_ICOUNT_SHIFT). */
export const MAX_ICOUNT_SHIFT = 10;

/**
 * How the counter is driven. `sleep` is QEMU's -icount sleep=on|off: with sleep on (QEMU's
 * default) an idle machine waits in host time; with it off the count jumps straight to the
 * next timer deadline when every CPU waits.
 */
export type ClockSpec =
  | { mode: "host" }
  | { mode: "icount"; shift: number | "auto"; sleep: boolean };

/**
 * How idle time passes while every CPU waits for an interrupt: "host" the count moves by itself
 * (the host only waits), "paced" the host waits and then moves it by the time that passed,
 * "warp" it jumps to the deadline at once.
 */
export type IdleTime = "host" | "paced" | "warp";

/** What the counter needs of a CPU: its instruction count. */
export interface InstructionSource { readonly icount: number }

export interface SystemCounter {
  readonly spec: ClockSpec;
  readonly idleTime: IdleTime;
  /** The count in ticks (fractional; readers take the floor). Never decreases. */
  now(): number;
  /** A CPU's turn starts / ends (the board runs CPUs one after another). */
  beginSlice(cpu: InstructionSource): void;
  endSlice(): void;
  /** Instructions a turn may run before `ticks` more have passed (at least 1). */
  instructionsFor(ticks: number): number;
  /** While idle: let the count reach `tick` (never backwards; host time moves by itself). */
  advanceTo(tick: number): void;
  /**
   * Nanoseconds of counter time each instruction takes: 2^shift under -icount, 0 on host time.
   * A CPU in a compiled block has run instructions the counter has not seen yet (the PMU's
   * cycle count adds them).
   */
  nsPerInstruction(): number;
}

const defaultHostNow = (): number => performance.now();
/** The shortest turn a host-time deadline clips to: about a microsecond and a half of emulation. */
const MIN_CLIPPED_TURN = 256;

/** The counter follows host time: QEMU_CLOCK_VIRTUAL without -icount (cpu_get_clock). */
export class HostTimeCounter implements SystemCounter {
  readonly spec: ClockSpec = { mode: "host" };
  readonly idleTime = "host" as const;
  private origin: number | undefined;
  private last = 0;
  /**
   * Instructions per tick, a moving estimate from the turns run so far, for sizing turns to
   * deadlines. The start (1, 62.5 M instructions a second) is corrected after the first turns.
   */
  private instructionsPerTick = 1;
  private running: InstructionSource | undefined;
  private sliceStartIcount = 0;
  private sliceStartTick = 0;
  /**
   * The reading taken as the last turn ended, for the first look at the clock after it (the
   * board updates the timers right then); a turn's start and idle time read afresh.
   */
  private turnEnd: number | undefined;

  constructor(private readonly hostNow: () => number = defaultHostNow) {}

  now(): number {
    if (this.running) {
      // Until the turn's first instruction its start reading stands (the board sizes the turn
      // with it), so a turn costs the host clock two calls and the timer update none.
      if (this.running.icount === this.sliceStartIcount) return this.sliceStartTick;
    } else if (this.turnEnd !== undefined) {
      const t = this.turnEnd;
      this.turnEnd = undefined;
      return t;
    }
    return this.read();
  }

  private read(): number {
    // The count starts at 0 when the machine first looks at it, as QEMU's starts with the VM.
    const host = this.hostNow();
    if (this.origin === undefined) this.origin = host;
    const t = (host - this.origin) * TICKS_PER_MS;
    // A host clock that steps back (it should not) must not make the count do so.
    if (t > this.last) this.last = t;
    return this.last;
  }

  beginSlice(cpu: InstructionSource): void {
    this.turnEnd = undefined;
    this.running = cpu;
    this.sliceStartIcount = cpu.icount;
    this.sliceStartTick = this.read();
  }

  endSlice(): void {
    const cpu = this.running;
    this.running = undefined;
    if (!cpu) return;
    const t = this.read();
    this.turnEnd = t;
    const ran = cpu.icount - this.sliceStartIcount;
    // Turns too short to time (a WFI at once) say nothing about the rate.
    if (ran >= 64 && t > this.sliceStartTick) this.instructionsPerTick += (ran / (t - this.sliceStartTick) - this.instructionsPerTick) / 4;
  }

  instructionsFor(ticks: number): number {
    // A little under the estimate (a turn that ends early costs one more look at the clock, one
    // that runs long delivers the interrupt late), but not so short that the turn's own cost
    // dominates it and the rate measured from it.
    return Math.max(MIN_CLIPPED_TURN, Math.ceil(ticks * this.instructionsPerTick * 0.9));
  }

  advanceTo(): void { this.turnEnd = undefined; }

  nsPerInstruction(): number { return 0; }
}

/** The counter advances with executed instructions: QEMU's -icount shift=N. */
export class InstructionCounter implements SystemCounter {
  /** The count at the start of the current turn. */
  protected base = 0;
  protected running: InstructionSource | undefined;
  private sliceStartIcount = 0;
  /** Counter ticks per instruction: 2^shift ns over 16 ns a tick. */
  protected ticksPerInstruction: number;
  readonly idleTime: IdleTime;

  constructor(shift: number, sleep: boolean) {
    this.ticksPerInstruction = ticksPerInstructionAt(shift);
    this.idleTime = sleep ? "paced" : "warp";
  }

  get spec(): ClockSpec { return { mode: "icount", shift: this.shiftSpec(), sleep: this.idleTime === "paced" }; }
  protected shiftSpec(): number | "auto" { return Math.round(Math.log2(this.ticksPerInstruction * NS_PER_TICK)); }

  now(): number {
    return this.running ? this.base + (this.running.icount - this.sliceStartIcount) * this.ticksPerInstruction : this.base;
  }

  beginSlice(cpu: InstructionSource): void {
    this.running = cpu;
    this.sliceStartIcount = cpu.icount;
  }

  endSlice(): void {
    this.base = this.now();
    this.running = undefined;
  }

  instructionsFor(ticks: number): number {
    return Math.max(1, Math.ceil(ticks / this.ticksPerInstruction));
  }

  advanceTo(tick: number): void {
    if (!this.running && tick > this.base) this.base = tick;
  }

  nsPerInstruction(): number { return this.ticksPerInstruction * NS_PER_TICK; }
}

export function ticksPerInstructionAt(shift: number): number {
  return 2 ** shift / NS_PER_TICK;
}

/** How often `auto` compares the count with host time (QEMU adjusts every 100 ms, icount_adjust_rt). */
const AUTO_ADJUST_MS = 100;
/** Drift QEMU tolerates before it changes the shift (ICOUNT_WOBBLE, 0.1 s). */
const AUTO_WOBBLE_TICKS = 0.1 * COUNTER_FREQUENCY_HZ;
/** QEMU's first guess: shift 3, 8 ns an instruction (125 MIPS). */
const AUTO_INITIAL_SHIFT = 3;

/**
 * -icount shift=auto: instruction-driven, with the shift (0 to 10) moved by one at turn
 * boundaries, every 100 ms of host time, when the count runs ahead of host time or falls behind
 * it by more than it did last time (QEMU's icount_adjust, somewhat prone to oscillation as its
 * comment says). The count stays continuous across changes; runs are not reproducible.
 */
export class AutoInstructionCounter extends InstructionCounter {
  private shift = AUTO_INITIAL_SHIFT;
  private origin: number | undefined;
  private lastAdjust = 0;
  private lastDelta = 0;

  constructor(sleep: boolean, private readonly hostNow: () => number = defaultHostNow) {
    super(AUTO_INITIAL_SHIFT, sleep);
  }

  protected override shiftSpec(): "auto" { return "auto"; }

  /** The shift in use now. */
  get currentShift(): number { return this.shift; }

  override beginSlice(cpu: InstructionSource): void {
    if (this.origin === undefined) this.origin = this.lastAdjust = this.hostNow();
    super.beginSlice(cpu);
  }

  override endSlice(): void {
    super.endSlice();
    const host = this.hostNow();
    if (this.origin === undefined || host - this.lastAdjust < AUTO_ADJUST_MS) return;
    this.lastAdjust = host;
    const delta = this.base - (host - this.origin) * TICKS_PER_MS;
    if (delta > 0 && this.lastDelta + AUTO_WOBBLE_TICKS < delta * 2 && this.shift > 0) this.shift--;
    if (delta < 0 && this.lastDelta - AUTO_WOBBLE_TICKS > delta * 2 && this.shift < MAX_ICOUNT_SHIFT) this.shift++;
    this.lastDelta = delta;
    this.ticksPerInstruction = ticksPerInstructionAt(this.shift);
  }
}

/** The counter a spec asks for. */
export function createSystemCounter(spec: ClockSpec, hostNow: () => number = defaultHostNow): SystemCounter {
  if (spec.mode === "host") return new HostTimeCounter(hostNow);
  if (spec.shift === "auto") return new AutoInstructionCounter(spec.sleep, hostNow);
  if (!(Number.isInteger(spec.shift) && spec.shift >= 0 && spec.shift <= MAX_ICOUNT_SHIFT)) {
    throw new RangeError(`icount shift must be 0 to ${MAX_ICOUNT_SHIFT}`);
  }
  return new InstructionCounter(spec.shift, spec.sleep);
}
