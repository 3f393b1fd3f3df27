/**
 * The ARM Generic Timer (ARM ARM D11): a system counter shared by all CPUs and, per CPU, the
 * EL1 physical, EL1 virtual and EL2 physical timers, programmed through system registers.
 *
 * The counter (system-counter.ts) follows host time by default, or executed instructions with
 * -icount; the board runs CPUs one after another, so either way the count is monotonic across
 * CPUs. CNTFRQ_EL0 reports 62.5 MHz, QEMU's virt frequency.
 *
 * Each timer's output is level-sensitive: asserted while ENABLE && !IMASK && ISTATUS, where
 * ISTATUS = (counter - offset) >= CVAL (ARM ARM D11.2.4). Outputs are PPIs.
 */
import { CNTHCTL } from "../cpu/arch-bits.js";
import type { Cpu } from "../cpu/cpu.js";
import { SR, type SysRegTable } from "../cpu/sysregs.js";
import type { InterruptController } from "./interrupts.js";
import { COUNTER_FREQUENCY_HZ, type SystemCounter } from "./system-counter.js";

export { COUNTER_FREQUENCY_HZ };

const CTL_ENABLE = 1, CTL_IMASK = 2, CTL_ISTATUS = 4;
const TWO64 = 1n << 64n;

export enum TimerKind { Physical = 0, Virtual = 1, HypPhysical = 2 }

interface TimerState {
  ctl: number;
  cval: bigint;
  level: boolean;
}

export interface TimerIntids { physical: number; virtual: number; hypPhysical: number }

export class GenericTimer {
  private readonly timers: TimerState[][];
  private readonly cntvoff: bigint[];
  /** CNTHCTL_EL2 per CPU as (lo, hi) words: QEMU keeps every bit written, so does this. */
  private readonly cnthctl: Int32Array[];

  constructor(readonly ncpu: number, readonly clock: SystemCounter, private readonly gic: InterruptController,
    private readonly intids: TimerIntids) {
    this.timers = Array.from({ length: ncpu }, () => [0, 1, 2].map(() => ({ ctl: 0, cval: 0n, level: false })));
    this.cntvoff = new Array<bigint>(ncpu).fill(0n);
    // CNTHCTL_EL2 resets with EL1PCTEN and EL1PCEN set in QEMU when EL2 is not used by software.
    this.cnthctl = Array.from({ length: ncpu }, () => Int32Array.of(CNTHCTL.EL1PCTEN | CNTHCTL.EL1PCEN, 0));
  }

  /** The count for the whole of update(), read once (a host-time read costs a host clock call). */
  private sampled: bigint | undefined;

  private count(cpu: number, kind: TimerKind): bigint {
    const c = this.sampled ?? BigInt(Math.floor(this.clock.now()));
    return kind === TimerKind.Virtual ? BigInt.asUintN(64, c - this.cntvoff[cpu]) : c;
  }

  private istatus(cpu: number, kind: TimerKind): boolean {
    const t = this.timers[cpu][kind];
    return (t.ctl & CTL_ENABLE) !== 0 && this.count(cpu, kind) >= t.cval;
  }

  /** Re-evaluate every timer output (called by the board at slice boundaries and on writes). */
  update(): void {
    let any = false;
    for (let c = 0; c < this.ncpu && !any; c++) for (let k = 0; k < 3; k++) if (this.timers[c][k].ctl & CTL_ENABLE) any = true;
    this.sampled = any ? BigInt(Math.floor(this.clock.now())) : undefined;
    try {
      for (let c = 0; c < this.ncpu; c++) for (let k = 0; k < 3; k++) this.updateOne(c, k);
    } finally {
      this.sampled = undefined;
    }
  }

  private updateOne(cpu: number, kind: TimerKind): void {
    const t = this.timers[cpu][kind];
    const level = (t.ctl & CTL_IMASK) === 0 && this.istatus(cpu, kind);
    if (level === t.level) return;
    t.level = level;
    const intid = kind === TimerKind.Physical ? this.intids.physical : kind === TimerKind.Virtual ? this.intids.virtual : this.intids.hypPhysical;
    this.gic.setInput(cpu, intid, level);
  }

  /** Drop CPU `cpu`'s timer outputs (before its timers move: quiesce, re-route, then swapCpus). */
  quiesce(cpu: number): void {
    for (let k = 0; k < 3; k++) {
      const t = this.timers[cpu][k];
      if (!t.level) continue;
      t.level = false;
      this.gic.setInput(cpu, k === TimerKind.Physical ? this.intids.physical : k === TimerKind.Virtual ? this.intids.virtual : this.intids.hypPhysical, false);
    }
  }

  /**
   * CPU `a`'s timers (compare values, controls, CNTVOFF_EL2, CNTHCTL_EL2) become CPU `b`'s and
   * `b`'s become `a`'s, and the outputs are raised again where due: a hypervisor moving a vCPU
   * to another physical CPU takes its timers along (quiesce both first, while their
   * interrupts still reach their old owners).
   */
  swapCpus(a: number, b: number): void {
    this.quiesce(a);
    this.quiesce(b);
    [this.timers[a], this.timers[b]] = [this.timers[b], this.timers[a]];
    [this.cntvoff[a], this.cntvoff[b]] = [this.cntvoff[b], this.cntvoff[a]];
    [this.cnthctl[a], this.cnthctl[b]] = [this.cnthctl[b], this.cnthctl[a]];
    this.update();
  }

  /** The earliest counter value at which a currently quiet, enabled and unmasked timer fires. */
  nextDeadline(): number | undefined {
    let best: number | undefined;
    for (let c = 0; c < this.ncpu; c++) {
      for (let k = 0; k < 3; k++) {
        const t = this.timers[c][k];
        if (t.level || (t.ctl & (CTL_ENABLE | CTL_IMASK)) !== CTL_ENABLE) continue;
        let d = t.cval + (k === TimerKind.Virtual ? this.cntvoff[c] : 0n);
        if (d >= TWO64) d -= TWO64;
        const n = Number(d);
        if (best === undefined || n < best) best = n;
      }
    }
    return best;
  }

  defineSysRegs(t: SysRegTable): void {
    const set = (cpu: Cpu, v: bigint) => {
      cpu.srLo = Number(v & 0xffffffffn) | 0;
      cpu.srHi = Number((v >> 32n) & 0xffffffffn) | 0;
    };
    const val = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const kctl = (cpu: Cpu) => cpu.sr[SR.CNTKCTL_EL1 * 2];
    // EL0 access controls in CNTKCTL_EL1 (ARM ARM D11.3.1): EL0PCTEN 0, EL0VCTEN 1, EL0VTEN 8, EL0PTEN 9.
    const el0Counter = (bit: number) => (cpu: Cpu) => (kctl(cpu) & (1 << bit)) !== 0;
    const el0Frequency = (cpu: Cpu) => (kctl(cpu) & 3) !== 0;
    t.define({ name: "CNTFRQ_EL0", op0: 3, op1: 3, crn: 14, crm: 0, op2: 0, el0Allowed: el0Frequency,
      read: (cpu) => set(cpu, BigInt(COUNTER_FREQUENCY_HZ)), write: () => {} });
    t.define({ name: "CNTPCT_EL0", op0: 3, op1: 3, crn: 14, crm: 0, op2: 1, readOnly: true, el0Allowed: el0Counter(0),
      read: (cpu) => set(cpu, this.count(cpu.index, TimerKind.Physical)) });
    t.define({ name: "CNTVCT_EL0", op0: 3, op1: 3, crn: 14, crm: 0, op2: 2, readOnly: true, el0Allowed: el0Counter(1),
      read: (cpu) => set(cpu, this.count(cpu.index, TimerKind.Virtual)) });
    t.define({ name: "CNTVOFF_EL2", op0: 3, op1: 4, crn: 14, crm: 0, op2: 3,
      read: (cpu) => set(cpu, this.cntvoff[cpu.index]),
      write: (cpu, lo, hi) => { this.cntvoff[cpu.index] = val(lo, hi); this.update(); } });
    t.define({ name: "CNTHCTL_EL2", op0: 3, op1: 4, crn: 14, crm: 1, op2: 0,
      read: (cpu) => { cpu.srLo = this.cnthctl[cpu.index][0]; cpu.srHi = this.cnthctl[cpu.index][1]; },
      write: (cpu, lo, hi) => { this.cnthctl[cpu.index][0] = lo; this.cnthctl[cpu.index][1] = hi; } });

    const timerRegs = (prefix: string, op1: number, crm: number, kind: TimerKind, el0Bit: number | undefined) => {
      const el0Allowed = el0Bit === undefined ? undefined : el0Counter(el0Bit);
      const state = (cpu: Cpu) => this.timers[cpu.index][kind];
      t.define({ name: `${prefix}_TVAL_${op1 === 3 ? "EL0" : "EL2"}`, op0: 3, op1, crn: 14, crm, op2: 0, el0Allowed,
        // TVAL reads (CVAL - count) as a signed 32-bit value; writes set CVAL = count + SignExtend(TVAL).
        read: (cpu) => set(cpu, BigInt.asUintN(64, BigInt.asIntN(32, state(cpu).cval - this.count(cpu.index, kind)))),
        write: (cpu, lo) => {
          state(cpu).cval = BigInt.asUintN(64, this.count(cpu.index, kind) + BigInt(lo | 0));
          this.updateOne(cpu.index, kind);
        } });
      t.define({ name: `${prefix}_CTL_${op1 === 3 ? "EL0" : "EL2"}`, op0: 3, op1, crn: 14, crm, op2: 1, el0Allowed,
        read: (cpu) => set(cpu, BigInt(state(cpu).ctl | (this.istatus(cpu.index, kind) ? CTL_ISTATUS : 0))),
        write: (cpu, lo) => { state(cpu).ctl = lo & (CTL_ENABLE | CTL_IMASK); this.updateOne(cpu.index, kind); } });
      t.define({ name: `${prefix}_CVAL_${op1 === 3 ? "EL0" : "EL2"}`, op0: 3, op1, crn: 14, crm, op2: 2, el0Allowed,
        read: (cpu) => set(cpu, state(cpu).cval),
        write: (cpu, lo, hi) => { state(cpu).cval = val(lo, hi); this.updateOne(cpu.index, kind); } });
    };
    timerRegs("CNTP", 3, 2, TimerKind.Physical, 9);
    timerRegs("CNTV", 3, 3, TimerKind.Virtual, 8);
    timerRegs("CNTHP", 4, 2, TimerKind.HypPhysical, undefined);
    // CNTHCTL_EL2.EL1PCTEN/EL1PCEN = 0 trap EL0 and EL1 accesses to the physical counter and the
    // EL1 physical timer to EL2 when EL2 is enabled (ARM ARM D13.8, CNTHCTL_EL2 with E2H = 0),
    // after CNTKCTL_EL1's EL0 checks (QEMU's gt_counter_access, gt_timer_access). For EL0's
    // counter reads QEMU 7.2 tests EL1PCEN instead of EL1PCTEN; this follows the ARM ARM.
    const hypTrap = (bit: number) => (cpu: Cpu) => cpu.el <= 1 && cpu.el2Enabled && (this.cnthctl[cpu.index][0] & bit) === 0 ? 2 : 0;
    t.get("CNTPCT_EL0").accessTrap = hypTrap(CNTHCTL.EL1PCTEN);
    for (const n of ["CNTP_TVAL_EL0", "CNTP_CTL_EL0", "CNTP_CVAL_EL0"]) t.get(n).accessTrap = hypTrap(CNTHCTL.EL1PCEN);
  }
}
