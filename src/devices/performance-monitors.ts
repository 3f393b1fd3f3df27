/**
 * The Performance Monitors Extension, PMUv3 (ARM ARM D11 "The Performance Monitors Extension"),
 * as QEMU's cortex-a53 has it (target/arm/helper.c): per CPU a 64-bit cycle counter PMCCNTR_EL0
 * and six 32-bit event counters PMEVCNTR<n>_EL0, programmed through system registers, with the
 * overflow interrupt on PPI 7 (INTID 23), a level, as QEMU's virt wires it.
 *
 * Events are the ones QEMU 7.2 counts: SW_INCR (0x00, incremented by PMSWINC_EL0 writes),
 * INST_RETIRED (0x08, only under -icount with a fixed shift, as QEMU supports it only with
 * precise instruction counting; PMCEID0_EL0 says so) and CPU_CYCLES (0x11, QEMU_CLOCK_VIRTUAL
 * at 1 GHz: nanoseconds of counter time, one cycle per 2^shift ns under -icount). Other event
 * numbers are accepted by PMEVTYPER<n>_EL0 and never count.
 *
 * Counting costs nothing while no counter is enabled. Counters are brought up to date lazily,
 * as QEMU's pmu_op_start/pmu_op_finish do: on every access to a PMU register, around every
 * change of what counts (PMCR, PMCNTEN, the filters, MDCR_EL2), before every change of
 * exception level (the filters P/U/NSK/NSU/NSH/M select ELs, ARM ARM D11 "Counter enables" and "Filtering"), and at the end
 * of each CPU turn. Between two such points the CPU's state is fixed, so each enabled counter
 * advances by the instructions retired (Cpu.retiredInstructions) or the nanoseconds elapsed.
 *
 * Overflow (ARM ARM D11, "Overflow interrupts"): a counter wrapping sets its PMOVSSET_EL0 bit, and the interrupt
 * request is PMCR_EL0.E && (PMINTENSET & PMOVSSET) != 0. The board asks before each CPU turn
 * how many instructions may run before an enabled counter could wrap (limitTurn) and brings the
 * counters up to date when the turn ends, so the interrupt is raised when the counter wraps,
 * without the guest reading anything. Where QEMU 7.2 differs: it re-evaluates the line only on
 * writes to PMOVS/PMINTEN and on a detected overflow (so PMCR.E set with an overflow already
 * flagged leaves the line low there), and its timer for an event counter fires one event before
 * the wrap, so an INST_RETIRED overflow is only seen at the next PMU access or exception; here
 * the line follows the architectural condition and an event counter raises it when it wraps.
 */
import type { Cpu, ElChangeHook } from "../cpu/cpu.js";
import { HCR_EL2 } from "../cpu/arch-bits.js";
import { SR, type SysRegDef, type SysRegTable } from "../cpu/sysregs.js";
import type { InterruptController } from "./interrupts.js";
import { NS_PER_TICK, type SystemCounter } from "./system-counter.js";

/** Event counters of QEMU's cortex-a53 (PMCR_EL0.N). */
export const PMU_COUNTERS = 6;
/**
 * PMCR_EL0 out of reset on QEMU's cortex-a53: IMP 0x41 (Arm), IDCODE 0x03 (Cortex-A53), N = 6
 * (cpu64.c reset_pmcr_el0); the A57 and A72 models differ in IDCODE only (cpu-models.ts).
 */
const PMCR_RESET = 0x41033000;
const PMCR_E = 1 << 0, PMCR_P = 1 << 1, PMCR_C = 1 << 2, PMCR_D = 1 << 3, PMCR_DP = 1 << 5, PMCR_LC = 1 << 6;
/** The bits of PMCR_EL0 a write keeps (QEMU reads back 0xf9 of an all-ones write): E, D, X, DP, LC, LP. */
const PMCR_WRITABLE = 0xf9;
/** PMCR_EL0.N, bits [15:11]: the number of event counters. */
const PMCR_N_SHIFT = 11, PMCR_N = 0x1f << PMCR_N_SHIFT;
/** PMEVTYPER<n>_EL0: P, U, NSK, NSU, NSH, M, MT and evtCount[15:0]; PMCCFILTR_EL0 has the filter bits only. */
const EVTYPER_MASK = 0xfe00ffff | 0;
const CCFILTR_MASK = 0xfc000000 | 0;
const FILT_P = 1 << 31, FILT_U = 1 << 30, FILT_NSK = 1 << 29, FILT_NSU = 1 << 28, FILT_NSH = 1 << 27, FILT_M = 1 << 26;
/** PMUSERENR_EL0: EN (bit 0), SW (1), CR (2), ER (3). */
const USERENR_EN = 1, USERENR_SW = 2, USERENR_CR = 4, USERENR_ER = 8;
/** MDCR_EL2 (ARM ARM, register description of MDCR_EL2): HPMN[4:0], TPM (6), HPME (7), HPMD (17). */
const MDCR_HPMN = 0x1f, MDCR_TPM = 1 << 6, MDCR_HPME = 1 << 7, MDCR_HPMD = 1 << 17;
/** The cycle counter's bit in PMCNTEN/PMINTEN/PMOVS, and every implemented bit. */
const CYCLE_BIT = 31;
const COUNTER_MASK = (0x80000000 | ((1 << PMU_COUNTERS) - 1)) | 0;

export const EVENT_SW_INCR = 0x00, EVENT_INST_RETIRED = 0x08, EVENT_CPU_CYCLES = 0x11;

const TWO32 = 2 ** 32;
const TWO64 = 1n << 64n;

/** One CPU's PMU. Counter values are numbers (event counters are 32-bit) except the 64-bit cycle counter. */
class PmuState {
  constructor(public pmcr: number) {}
  cnten = 0;
  inten = 0;
  ovs = 0;
  selr = 0;
  userenr = 0;
  ccfiltr = 0;
  ccnt = 0n;
  readonly evtyper = new Array<number>(PMU_COUNTERS).fill(0);
  readonly evcntr = new Array<number>(PMU_COUNTERS).fill(0);
  /** Retired instructions and counter-time nanoseconds when the counters were last brought up to date. */
  lastInstructions = 0;
  lastNs = 0;
  /** The overflow interrupt's level as last driven. */
  irq = false;
  /** Instruction count at which the current turn ends (limitTurn), to cut it short if a counter may wrap sooner. */
  turnEnd = Infinity;
}

export class PerformanceMonitors implements ElChangeHook {
  private readonly state: PmuState[];
  /** INST_RETIRED counts: -icount with a fixed shift (QEMU: icount_enabled() == 1). */
  readonly instructionsSupported: boolean;

  constructor(ncpu: number, private readonly clock: SystemCounter, private readonly gic: InterruptController,
    private readonly intid: number, private readonly pmcrReset = PMCR_RESET) {
    this.state = Array.from({ length: ncpu }, () => new PmuState(pmcrReset));
    this.instructionsSupported = clock.spec.mode === "icount" && clock.spec.shift !== "auto";
  }

  /** PMCEID0_EL0: one bit per supported common event 0x00-0x1f (QEMU pmu_init). */
  get pmceid0(): number {
    return ((1 << EVENT_SW_INCR) | (1 << EVENT_CPU_CYCLES) | (this.instructionsSupported ? 1 << EVENT_INST_RETIRED : 0)) >>> 0;
  }

  private supported(event: number): boolean {
    return event === EVENT_SW_INCR || event === EVENT_CPU_CYCLES || (event === EVENT_INST_RETIRED && this.instructionsSupported);
  }

  private cpus: readonly Cpu[] = [];

  /** The CPUs, for the ones that wait in WFI while their cycle counter runs on (idleDeadline, poll). */
  attachCpus(cpus: readonly Cpu[]): void {
    this.cpus = cpus;
  }

  /**
   * A CPU in WFI runs no turns, but its cycle counter follows the counter's time (as QEMU's,
   * QEMU_CLOCK_VIRTUAL): the counter tick at which the first such counter of a halted CPU wraps.
   */
  idleDeadline(): number | undefined {
    let best: number | undefined;
    for (const cpu of this.cpus) {
      const s = this.state[cpu.index];
      if (!cpu.halted || cpu.off || !this.active(cpu, s)) continue;
      this.sync(cpu);
      const ns = this.cyclesToOverflow(cpu, s);
      if (ns === Infinity) continue;
      const tick = this.clock.now() + ns / NS_PER_TICK;
      if (best === undefined || tick < best) best = tick;
    }
    return best;
  }

  /** Bring the halted CPUs' counters up to date (time passed while they waited): overflows raise their interrupts. */
  poll(): void {
    for (const cpu of this.cpus) {
      if (cpu.halted && !cpu.off && this.active(cpu, this.state[cpu.index])) this.sync(cpu);
    }
  }

  /** Cycles until the first counter counting cycles at the current EL wraps (Infinity if none). */
  private cyclesToOverflow(cpu: Cpu, s: PmuState): number {
    let best = Infinity;
    if (this.counts(cpu, s, CYCLE_BIT)) {
      const width = (s.pmcr & PMCR_LC) !== 0 ? TWO64 : 0x100000000n;
      let left = Number(width - s.ccnt % width);
      if ((s.pmcr & (PMCR_D | PMCR_LC)) === PMCR_D) left *= 64;
      best = left;
    }
    for (let n = 0; n < PMU_COUNTERS; n++) {
      if (this.counts(cpu, s, n) && (s.evtyper[n] & 0xffff) === EVENT_CPU_CYCLES) best = Math.min(best, TWO32 - s.evcntr[n]);
    }
    return best;
  }

  /** PMOVSSET_EL0 of CPU `index` as it stands (for tests and diagnostics; no update first). */
  overflowFlags(index: number): number {
    return this.state[index].ovs;
  }

  /** A CPU was reset (PSCI CPU_ON): its PMU starts afresh. */
  reset(cpu: Cpu): void {
    const s = this.state[cpu.index] = new PmuState(this.pmcrReset);
    s.lastInstructions = this.instructionsSupported ? cpu.retiredInstructions() : 0;
    s.lastNs = this.nanoseconds(cpu);
    this.updateIrq(cpu.index);
  }

  // ---------------------------------------------------------------- counting

  /** Counter time in ns (the 1 GHz cycle count), including instructions a compiled block has not yet reported. */
  private nanoseconds(cpu: Cpu): number {
    const pending = cpu.retiredInstructions() - cpu.icount;
    return Math.floor(this.clock.now() * NS_PER_TICK + pending * this.clock.nsPerInstruction());
  }

  /** MDCR_EL2 as it applies (ARM ARM: ignored while EL2 is not enabled; QEMU arm_mdcr_el2_eff). */
  private mdcr(cpu: Cpu): number {
    return cpu.el2Enabled ? cpu.sr[SR.MDCR_EL2 * 2] : 0;
  }

  /**
   * Whether counter `n` (31: the cycle counter) counts at the CPU's current EL and security
   * state (ARM ARM D11; QEMU pmu_counter_enabled): enabled by PMCR.E, or MDCR_EL2.HPME for
   * the counters at or above HPMN; not prohibited (EL2 with MDCR_EL2.HPMD, Secure state with
   * EL3, whose MDCR_EL3.SPME is 0); not filtered out at this EL.
   */
  private counts(cpu: Cpu, s: PmuState, n: number): boolean {
    if ((s.cnten & (1 << n)) === 0) return false;
    const mdcr = this.mdcr(cpu), hpmn = mdcr & MDCR_HPMN;
    const own = !cpu.hasEl2 || n === CYCLE_BIT || n < hpmn;
    if (!(own ? (s.pmcr & PMCR_E) !== 0 : (mdcr & MDCR_HPME) !== 0)) return false;
    const el = cpu.el, secure = cpu.isSecure(), hasEl3 = cpu.highestEl === 3;
    let prohibited = el === 2 && own && (mdcr & MDCR_HPMD) !== 0;
    if (secure && hasEl3) prohibited = true;
    if (n === CYCLE_BIT) prohibited = prohibited && (s.pmcr & PMCR_DP) !== 0;
    if (prohibited) return false;
    const filter = n === CYCLE_BIT ? s.ccfiltr : s.evtyper[n];
    if (n !== CYCLE_BIT && !this.supported(filter & 0xffff)) return false;
    const p = (filter & FILT_P) !== 0, u = (filter & FILT_U) !== 0;
    // NSK, NSU and M exist only with EL3, NSH only with EL2 (QEMU ignores them otherwise).
    const nsk = hasEl3 && (filter & FILT_NSK) !== 0, nsu = hasEl3 && (filter & FILT_NSU) !== 0;
    const nsh = cpu.hasEl2 && (filter & FILT_NSH) !== 0, m = hasEl3 && (filter & FILT_M) !== 0;
    let filtered: boolean;
    if (el === 0) filtered = secure ? u : u !== nsu;
    else if (el === 1) filtered = secure ? p : p !== nsk;
    else if (el === 2) filtered = !nsh;
    else filtered = m !== p;
    return !filtered;
  }

  /** Anything enabled at all: otherwise nothing counts and bringing counters up to date is trivial. */
  private active(cpu: Cpu, s: PmuState): boolean {
    return s.cnten !== 0 && ((s.pmcr & PMCR_E) !== 0 || (cpu.hasEl2 && (cpu.sr[SR.MDCR_EL2 * 2] & MDCR_HPME) !== 0));
  }

  /** Bring CPU `cpu`'s counters up to date with what it executed since the last time (QEMU pmu_op_start). */
  private sync(cpu: Cpu): PmuState {
    const s = this.state[cpu.index];
    const wasActive = this.active(cpu, s);
    const instructions = this.instructionsSupported ? cpu.retiredInstructions() : 0;
    const ns = this.nanoseconds(cpu);
    const dInstructions = instructions - s.lastInstructions, dNs = ns - s.lastNs;
    const dDivided = Math.floor(ns / 64) - Math.floor(s.lastNs / 64);
    s.lastInstructions = instructions;
    s.lastNs = ns;
    if (!wasActive) return s;
    let overflow = 0;
    if (this.counts(cpu, s, CYCLE_BIT)) {
      // PMCR.D: one count every 64 cycles, unless LC makes the counter 64-bit.
      const add = BigInt((s.pmcr & (PMCR_D | PMCR_LC)) === PMCR_D ? dDivided : dNs);
      const before = s.ccnt;
      s.ccnt = (before + add) % TWO64;
      // The overflow flag is set on a wrap of bit 63 with PMCR.LC, of bit 31 otherwise.
      const wrapped = (s.pmcr & PMCR_LC) !== 0 ? before + add >= TWO64 : (before & 0xffffffffn) + add >= 0x100000000n;
      if (wrapped) overflow |= 1 << CYCLE_BIT;
    }
    for (let n = 0; n < PMU_COUNTERS; n++) {
      if (!this.counts(cpu, s, n)) continue;
      const event = s.evtyper[n] & 0xffff;
      const add = event === EVENT_INST_RETIRED ? dInstructions : event === EVENT_CPU_CYCLES ? dNs : 0;
      const v = s.evcntr[n] + add;
      if (v >= TWO32) overflow |= 1 << n;
      s.evcntr[n] = v % TWO32;
    }
    if (overflow !== 0) {
      s.ovs |= overflow;
      this.updateIrq(cpu.index);
    }
    return s;
  }

  /** Drive the overflow interrupt: PMCR_EL0.E && (PMINTENSET & PMOVSSET) (ARM ARM D11, "Overflow interrupts"). */
  private updateIrq(index: number): void {
    const s = this.state[index];
    const level = (s.pmcr & PMCR_E) !== 0 && (s.inten & s.ovs) !== 0;
    if (level === s.irq) return;
    s.irq = level;
    this.gic.setInput(index, this.intid, level);
  }

  /**
   * Instructions until the first enabled counter could wrap, counting at the current EL
   * (Infinity when none counts). Cycles convert through the counter's time per instruction,
   * estimated on host time.
   */
  private instructionsToOverflow(cpu: Cpu, s: PmuState): number {
    if (!this.active(cpu, s)) return Infinity;
    const per = this.clock.nsPerInstruction();
    const cycles = this.cyclesToOverflow(cpu, s);
    let best = cycles === Infinity ? Infinity : per > 0 ? Math.ceil(cycles / per) : this.clock.instructionsFor(cycles / NS_PER_TICK);
    for (let n = 0; n < PMU_COUNTERS; n++) {
      if (this.counts(cpu, s, n) && (s.evtyper[n] & 0xffff) === EVENT_INST_RETIRED) best = Math.min(best, TWO32 - s.evcntr[n]);
    }
    return Math.max(1, best);
  }

  /**
   * A turn of `slice` instructions is about to start on `cpu`: the most it may run so that a
   * counter wrapping ends it (the interrupt is then raised by turnEnded).
   */
  limitTurn(cpu: Cpu, slice: number): number {
    const s = this.state[cpu.index];
    // The turn's end is kept even while nothing counts: a write that enables a counter mid-turn
    // then cuts the turn short (recheckTurn).
    s.turnEnd = cpu.icount + slice;
    if (!this.active(cpu, s)) return slice;
    this.sync(cpu);
    const limit = Math.min(slice, this.instructionsToOverflow(cpu, s));
    s.turnEnd = cpu.icount + limit;
    return limit;
  }

  /** The turn ended: counters up to date, overflow flags and the interrupt with them. */
  turnEnded(cpu: Cpu): void {
    const s = this.state[cpu.index];
    s.turnEnd = Infinity;
    if (this.active(cpu, s)) this.sync(cpu);
  }

  /**
   * What counts changed mid-turn (a register write or an EL change): if a counter may now wrap
   * before the turn ends, end the turn after this instruction so the next one is sized for it.
   */
  private recheckTurn(cpu: Cpu, s: PmuState, retired: number): void {
    if (s.turnEnd === Infinity || !this.active(cpu, s)) return;
    if (retired + this.instructionsToOverflow(cpu, s) < s.turnEnd) {
      cpu.yieldRequested = true;
      if (cpu.flow === 0) cpu.flow = 2;
    }
  }

  beforeElChange(cpu: Cpu): void {
    const s = this.state[cpu.index];
    if (this.active(cpu, s)) this.sync(cpu);
  }

  afterElChange(cpu: Cpu): void {
    // The PC is the vector or the return address now, so the retired count is not re-read:
    // sync() in beforeElChange left it in lastInstructions.
    const s = this.state[cpu.index];
    if (s.turnEnd !== Infinity && this.active(cpu, s)) this.recheckTurn(cpu, s, s.lastInstructions);
  }

  /** Run `change` with the counters up to date before it and the turn re-sized after it (QEMU pmu_op_start/finish). */
  private change(cpu: Cpu, change: (s: PmuState) => void): void {
    const s = this.sync(cpu);
    change(s);
    s.lastNs = this.nanoseconds(cpu);
    s.lastInstructions = this.instructionsSupported ? cpu.retiredInstructions() : 0;
    this.updateIrq(cpu.index);
    this.recheckTurn(cpu, s, cpu.retiredInstructions());
  }

  // ---------------------------------------------------------------- registers

  defineSysRegs(t: SysRegTable): void {
    const set = (cpu: Cpu, lo: number, hi = 0) => { cpu.srLo = lo | 0; cpu.srHi = hi | 0; };
    const setBig = (cpu: Cpu, v: bigint) => set(cpu, Number(v & 0xffffffffn), Number(v >> 32n));
    const st = (cpu: Cpu) => this.state[cpu.index];
    /** EL0 traps go to EL1, or to EL2 with HCR_EL2.TGE (ARM ARM D1.10.1). */
    const el0TrapEl = (cpu: Cpu) => (cpu.hcrLo() & HCR_EL2.TGE) !== 0 ? 2 : 1;
    /** MDCR_EL2.TPM traps EL0 and EL1 accesses to EL2 (QEMU access_tpm; MDCR_EL3 is not modelled). */
    const tpm = (cpu: Cpu) => cpu.el < 2 && (this.mdcr(cpu) & MDCR_TPM) !== 0 ? 2 : 0;
    /**
     * QEMU pmreg_access: at EL0 PMUSERENR_EL0.EN enables every PMU register, and `alsoAllowed`
     * (SW, CR or ER for their registers and directions) some of them.
     */
    const pmregAccess = (alsoAllowed?: (s: PmuState, isRead: boolean) => boolean) => (cpu: Cpu, isRead: boolean): number => {
      if (cpu.el === 0) {
        const s = st(cpu);
        if (alsoAllowed?.(s, isRead)) return 0;
        if ((s.userenr & USERENR_EN) === 0) return el0TrapEl(cpu);
      }
      return tpm(cpu);
    };
    // MDCR_EL2.TPMCR (trap PMCR_EL0 accesses to EL2) is not applied: QEMU 7.2 does not implement
    // it, so PMCR_EL0 traps like every other PMU register (pmu-el2 guest).
    const pmreg = pmregAccess();
    const eventCounterRead = pmregAccess((s, isRead) => isRead && (s.userenr & USERENR_ER) !== 0);
    const selrAccess = pmregAccess((s) => (s.userenr & USERENR_ER) !== 0);
    const swincAccess = pmregAccess((s, isRead) => !isRead && (s.userenr & USERENR_SW) !== 0);
    const ccntrAccess = pmregAccess((s, isRead) => isRead && (s.userenr & USERENR_CR) !== 0);

    const def = (name: string, op1: number, crn: number, crm: number, op2: number, d: Partial<SysRegDef>) =>
      // The EL0 encodings (op1 = 3) reach accessTrap, which applies PMUSERENR_EL0; the EL1 ones
      // (PMINTENSET/CLR_EL1) stay UNDEFINED at EL0.
      t.define({ name, op0: 3, op1, crn, crm, op2, ...(op1 === 3 ? { el0Allowed: () => true } : {}), ...d });

    def("PMCR_EL0", 3, 9, 12, 0, {
      accessTrap: pmreg,
      // EL0 and EL1 read N as MDCR_EL2.HPMN when EL2 is enabled: the counters they own (ARM ARM,
      // register description of PMCR_EL0, N; QEMU 7.2 pmcr_read). The counters at and above
      // HPMN stay accessible to them, as in QEMU 7.2 (el2-traps guest).
      read: (cpu) => {
        const pmcr = st(cpu).pmcr;
        set(cpu, cpu.el <= 1 && cpu.el2Enabled ? (pmcr & ~PMCR_N) | ((this.mdcr(cpu) & MDCR_HPMN) << PMCR_N_SHIFT) : pmcr);
      },
      write: (cpu, lo) => this.change(cpu, (s) => {
        if (lo & PMCR_C) s.ccnt = 0n;
        if (lo & PMCR_P) s.evcntr.fill(0);
        s.pmcr = (s.pmcr & ~PMCR_WRITABLE) | (lo & PMCR_WRITABLE);
      }),
    });
    const bitsReg = (name: string, op1: number, crm: number, op2: number, field: "cnten" | "inten" | "ovs", setBits: boolean,
      access: (cpu: Cpu, isRead: boolean) => number, counting: boolean) =>
      def(name, op1, 9, crm, op2, {
        accessTrap: access,
        read: (cpu) => { const s = counting ? st(cpu) : this.sync(cpu); set(cpu, s[field]); },
        write: (cpu, lo) => {
          const apply = (s: PmuState) => { s[field] = setBits ? (s[field] | (lo & COUNTER_MASK)) : (s[field] & ~(lo & COUNTER_MASK)); };
          if (counting) this.change(cpu, apply);
          else { apply(this.sync(cpu)); this.updateIrq(cpu.index); }
        },
      });
    bitsReg("PMCNTENSET_EL0", 3, 12, 1, "cnten", true, pmreg, true);
    bitsReg("PMCNTENCLR_EL0", 3, 12, 2, "cnten", false, pmreg, true);
    // PMOVS reads bring the counters up to date first, so a wrap since the last access is flagged.
    bitsReg("PMOVSCLR_EL0", 3, 12, 3, "ovs", false, pmreg, false);
    bitsReg("PMOVSSET_EL0", 3, 14, 3, "ovs", true, pmreg, false);
    bitsReg("PMINTENSET_EL1", 0, 14, 1, "inten", true, tpm, false);
    bitsReg("PMINTENCLR_EL1", 0, 14, 2, "inten", false, tpm, false);

    // PMSWINC_EL0 (ARM ARM D11, event 0x00 SW_INCR): each set bit increments that event counter if it
    // counts SW_INCR and is enabled and not filtered at this EL.
    def("PMSWINC_EL0", 3, 9, 12, 4, {
      writeOnly: true, accessTrap: swincAccess,
      write: (cpu, lo) => {
        const s = this.sync(cpu);
        for (let n = 0; n < PMU_COUNTERS; n++) {
          if ((lo & (1 << n)) === 0 || (s.evtyper[n] & 0xffff) !== EVENT_SW_INCR || !this.counts(cpu, s, n)) continue;
          const v = s.evcntr[n] + 1;
          if (v >= TWO32) s.ovs |= 1 << n;
          s.evcntr[n] = v % TWO32;
        }
        this.updateIrq(cpu.index);
      },
    });
    def("PMSELR_EL0", 3, 9, 12, 5, {
      accessTrap: selrAccess,
      read: (cpu) => set(cpu, st(cpu).selr),
      write: (cpu, lo) => { st(cpu).selr = lo & 0x1f; },
    });
    def("PMCEID0_EL0", 3, 9, 12, 6, { readOnly: true, accessTrap: pmreg, read: (cpu) => set(cpu, this.pmceid0) });
    def("PMCEID1_EL0", 3, 9, 12, 7, { readOnly: true, accessTrap: pmreg, read: (cpu) => set(cpu, 0) });
    def("PMCCNTR_EL0", 3, 9, 13, 0, {
      accessTrap: ccntrAccess,
      read: (cpu) => setBig(cpu, this.sync(cpu).ccnt),
      write: (cpu, lo, hi) => this.change(cpu, (s) => { s.ccnt = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); }),
    });

    // Event counters and types, directly and through PMSELR_EL0.SEL (31 selects PMCCFILTR_EL0
    // for PMXEVTYPER_EL0). A SEL naming no counter reads as zero and ignores writes, as in QEMU.
    const readType = (cpu: Cpu, n: number) => set(cpu, n === CYCLE_BIT ? st(cpu).ccfiltr : n < PMU_COUNTERS ? st(cpu).evtyper[n] : 0);
    const writeType = (cpu: Cpu, n: number, lo: number) => {
      if (n === CYCLE_BIT) this.change(cpu, (s) => { s.ccfiltr = lo & CCFILTR_MASK; });
      else if (n < PMU_COUNTERS) this.change(cpu, (s) => { s.evtyper[n] = lo & EVTYPER_MASK; });
    };
    const readCount = (cpu: Cpu, n: number) => set(cpu, n < PMU_COUNTERS ? this.sync(cpu).evcntr[n] : 0);
    // Before PMUv3p5 event counters are 32 bits; the upper half of a write is ignored.
    const writeCount = (cpu: Cpu, n: number, lo: number) => {
      if (n < PMU_COUNTERS) this.change(cpu, (s) => { s.evcntr[n] = lo >>> 0; });
    };
    def("PMXEVTYPER_EL0", 3, 9, 13, 1, { accessTrap: pmreg, read: (cpu) => readType(cpu, st(cpu).selr), write: (cpu, lo) => writeType(cpu, st(cpu).selr, lo) });
    def("PMXEVCNTR_EL0", 3, 9, 13, 2, { accessTrap: eventCounterRead, read: (cpu) => readCount(cpu, st(cpu).selr), write: (cpu, lo) => writeCount(cpu, st(cpu).selr, lo) });
    def("PMCCFILTR_EL0", 3, 14, 15, 7, { accessTrap: pmreg, read: (cpu) => readType(cpu, CYCLE_BIT), write: (cpu, lo) => writeType(cpu, CYCLE_BIT, lo) });
    for (let n = 0; n < PMU_COUNTERS; n++) {
      def(`PMEVCNTR${n}_EL0`, 3, 14, 8 | (n >> 3), n & 7, { accessTrap: eventCounterRead, read: (cpu) => readCount(cpu, n), write: (cpu, lo) => writeCount(cpu, n, lo) });
      def(`PMEVTYPER${n}_EL0`, 3, 14, 12 | (n >> 3), n & 7, { accessTrap: pmreg, read: (cpu) => readType(cpu, n), write: (cpu, lo) => writeType(cpu, n, lo) });
    }
    // PMUSERENR_EL0: readable at EL0 whatever it says, writable from EL1 only (QEMU PL0_R | PL1_RW).
    def("PMUSERENR_EL0", 3, 9, 14, 0, {
      accessTrap: (cpu, isRead) => {
        if (cpu.el === 0 && !isRead) cpu.undefinedInstruction();
        return tpm(cpu);
      },
      read: (cpu) => set(cpu, st(cpu).userenr),
      write: (cpu, lo) => { st(cpu).userenr = lo & 0xf; },
    });

    // MDCR_EL2.HPMN resets to PMCR_EL0.N (ARM ARM, register description of MDCR_EL2); HPMN, HPME and HPMD
    // change what counts, so writes bring the counters up to date around them.
    const mdcr = t.get("MDCR_EL2");
    mdcr.reset = BigInt(PMU_COUNTERS);
    mdcr.write = (cpu, lo, hi) => this.change(cpu, () => { cpu.sr[SR.MDCR_EL2 * 2] = lo; cpu.sr[SR.MDCR_EL2 * 2 + 1] = hi; });
    // ID_AA64DFR0_EL1.PMUVer = 1: PMUv3 (QEMU's cortex-a53 reports 0x10305106).
    const dfr0 = t.get("ID_AA64DFR0_EL1");
    dfr0.reset = (dfr0.reset ?? 0n) | 0x100n;
  }
}
