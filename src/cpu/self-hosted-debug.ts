/**
 * AArch64 self-hosted debug (ARM ARM D2 "AArch64 Self-hosted Debug"), as a Cortex-A53 has it and
 * as QEMU 7.2 (target/arm/debug_helper.c) models it: 6 breakpoints (2 of them context-aware) and
 * 4 watchpoints, software step, the OS lock and OS double lock, MDSCR_EL1, MDCR_EL2 and MDCR_EL3.
 *
 * The registers live here, in one `SelfHostedDebug` per CPU, together with what the hot paths
 * need derived from them, so the CPU core pays for debug only through two flags:
 *
 *  - `Cpu.debugArmed`: a breakpoint or software step is programmed (MDSCR_EL1.SS, or
 *    MDSCR_EL1.MDE with an enabled breakpoint). Only then does the run loop ask, at block
 *    boundaries, whether debug exceptions are enabled where the CPU now runs (ARM ARM D2,
 *    "Enabling debug exceptions": KDE, PSTATE.D, the target EL, the double lock) and whether
 *    the PC's page needs it
 *    (stepping, or a breakpoint there); if so it executes one instruction at a time between
 *    the breakpoint check and the step check (Cpu.runDebugged). Every write that may change
 *    the answer ends the block (registers here, DAIF, an EL change, ERET), and so does leaving
 *    the page.
 *  - `SelfHostedDebug.watching`: a watchpoint is enabled. Translations of pages a watchpoint
 *    covers are then not cached in the soft TLB, so loads and stores to those pages (and only
 *    those) take the slow path, where `checkWatchpoints` runs before the access.
 *
 * Where QEMU 7.2 departs from the ARM ARM, the guest sees QEMU's behaviour (the same image must
 * print the same bytes on both):
 *  - the OS lock (OSLSR_EL1.OSLK) does not disable debug exceptions (breakpoints and steps
 *    still fire under it in QEMU 7.2, tests/guests/debug/); the OS double lock (OSDLR_EL1.DLK)
 *    does;
 *  - MDSCR_EL1.TDCC has no effect (EL0 reads MDCCSR_EL0); DBGPRCR_EL1, DBGAUTHSTATUS_EL1,
 *    DBGCLAIMSET_EL1, DBGCLAIMCLR_EL1 and OSECCR_EL1 are UNDEFINED; MDSCR_EL1 and DBGxCR keep
 *    every bit written;
 *  - breakpoint exceptions write FAR_ELx = 0, a watchpoint's FAR is the larger of the access
 *    address and the watched range's start;
 *  - only the linked context-ID match (BT = 0b0011) of a context-aware breakpoint can match.
 */
import { HCR_EL2 } from "./arch-bits.js";
import type { Cpu } from "./cpu.js";
import { SR, type SysRegDef, type SysRegTable } from "./sysregs.js";

/** Breakpoints and watchpoints of a Cortex-A53 (ID_AA64DFR0_EL1.BRPs/WRPs/CTX_CMPs + 1). */
export const BREAKPOINTS = 6;
export const WATCHPOINTS = 4;
export const CONTEXT_BREAKPOINTS = 2;

/** MDSCR_EL1 (ARM ARM D13.3.14). */
export const enum MDSCR {
  /** Software step enable. */
  SS = 1 << 0,
  /** EL0 accesses to the DCC registers trap (not modelled by QEMU 7.2). */
  TDCC = 1 << 12,
  /** Local (kernel) debug enable: debug exceptions taken to the EL they come from. */
  KDE = 1 << 13,
  /** Breakpoint and watchpoint debug exceptions enable. */
  MDE = 1 << 15,
}

/** MDCR_EL2 (ARM ARM D13.2.73). */
export const enum MDCR_EL2 {
  /** Debug exceptions of EL0/EL1 go to EL2; also implies TDA, TDOSA and TDRA. */
  TDE = 1 << 8,
  /** EL0/EL1 accesses to the debug registers trap to EL2. */
  TDA = 1 << 9,
  /** EL1 accesses to the OS lock and power-down registers trap to EL2. */
  TDOSA = 1 << 10,
  /** EL0/EL1 accesses to MDRAR_EL1 trap to EL2. */
  TDRA = 1 << 11,
}

/** MDCR_EL3 (ARM ARM D13.2.74). */
export const enum MDCR_EL3 {
  TDA = 1 << 9,
  TDOSA = 1 << 10,
  /** Secure debug disable: no debug exceptions from Secure EL0/EL1. */
  SDD = 1 << 16,
}

/** ISS of breakpoint, step and watchpoint syndromes: IFSC/DFSC = 0b100010, debug exception. */
const DEBUG_FSC = 0x22;
/** EC of a debug exception taken to the EL it came from: the lower-EL EC + 1. */
const SAME_EL = 1;
const EC_BREAKPOINT = 0x30, EC_SOFTWARE_STEP = 0x32, EC_WATCHPOINT = 0x34;

/** DBGBCR/DBGWCR fields shared by both (ARM ARM D13.3.2, D13.3.11). */
const enum CR {
  E = 1 << 0,
  PMC_SHIFT = 1,
  HMC = 1 << 13,
  SSC_SHIFT = 14,
  LBN_SHIFT = 16,
  /** DBGBCR.BT[0] and DBGWCR.WT: the comparator is linked to a context breakpoint. */
  LINKED = 1 << 20,
}

export class SelfHostedDebug {
  /** DBGBVR<n>_EL1 and DBGBCR<n>_EL1, (lo, hi) pairs. */
  readonly bvr = new Int32Array(BREAKPOINTS * 2);
  readonly bcr = new Int32Array(BREAKPOINTS * 2);
  readonly wvr = new Int32Array(WATCHPOINTS * 2);
  readonly wcr = new Int32Array(WATCHPOINTS * 2);
  /** OSLSR_EL1 (OSLM = 0b10, OSLK as OSLAR_EL1 last set it) and OSDLR_EL1.DLK. */
  oslsr = 0xa;
  osdlr = 0;
  mdcrEl3 = 0;

  /** Where each enabled address breakpoint fires (QEMU hw_breakpoint_update). */
  private readonly bpLo = new Int32Array(BREAKPOINTS);
  private readonly bpHi = new Int32Array(BREAKPOINTS);
  private readonly bpEnabled = new Uint8Array(BREAKPOINTS);
  /** Each watchpoint's byte range [start, start + length) and the accesses it watches (LSC). */
  private readonly wpStart: bigint[] = new Array(WATCHPOINTS).fill(0n);
  private readonly wpLength: bigint[] = new Array(WATCHPOINTS).fill(0n);
  private readonly wpLsc = new Uint8Array(WATCHPOINTS);
  /** Some watchpoint is enabled (its pages take the slow path). */
  watching = false;

  constructor(private readonly cpu: Cpu) {}

  reset(): void {
    this.bvr.fill(0); this.bcr.fill(0); this.wvr.fill(0); this.wcr.fill(0);
    this.oslsr = 0xa;
    this.osdlr = 0;
    this.mdcrEl3 = 0;
    for (let n = 0; n < BREAKPOINTS; n++) this.updateBreakpoint(n);
    for (let n = 0; n < WATCHPOINTS; n++) this.updateWatchpoint(n);
    this.rearm();
  }

  // ---------------------------------------------------------------- register writes

  /**
   * The address an enabled address-match breakpoint fires at (QEMU hw_breakpoint_update):
   * BT 0b0000 or 0b0001 with a non-zero BAS; DBGBVR[1:0] ignored, BAS = 0b1100 names the
   * halfword at +2, which no A64 instruction starts at. Context types only match when linked.
   */
  private updateBreakpoint(n: number): void {
    const lo = this.bcr[n * 2], bt = (lo >>> 20) & 0xf, bas = (lo >>> 5) & 0xf;
    this.bpEnabled[n] = 0;
    if ((lo & CR.E) === 0 || (bt !== 0 && bt !== 1) || bas === 0) return;
    this.bpLo[n] = ((this.bvr[n * 2] & ~3) + (bas === 0xc ? 2 : 0)) | 0;
    this.bpHi[n] = this.bvr[n * 2 + 1];
    this.bpEnabled[n] = 1;
  }

  /**
   * The bytes an enabled watchpoint covers (QEMU hw_watchpoint_update): LSC 0b00 and MASK
   * 0b00001/0b00010 are reserved and disable it; a MASK selects an aligned 2^MASK-byte region
   * (BAS ignored); else BAS selects bytes of the doubleword (of the word, BAS[3:0], when
   * DBGWVR[2] is set), its first run of ones only.
   */
  private updateWatchpoint(n: number): void {
    const lo = this.wcr[n * 2];
    this.wpLsc[n] = 0;
    const lsc = (lo >>> 3) & 3, mask = (lo >>> 24) & 0x1f;
    if ((lo & CR.E) === 0 || lsc === 0 || mask === 1 || mask === 2) return;
    let start = (BigInt(this.wvr[n * 2 + 1] >>> 0) << 32n) | BigInt(this.wvr[n * 2] >>> 0), length: bigint;
    if (mask !== 0) {
      length = 1n << BigInt(mask);
      start &= ~(length - 1n);
    } else {
      let bas = (lo >>> 5) & 0xff;
      if (start & 4n) bas &= 0xf;
      if (bas === 0) return;
      const first = 31 - Math.clz32(bas & -bas);
      let ones = 0;
      while ((bas >>> (first + ones)) & 1) ones++;
      start += BigInt(first);
      length = BigInt(ones);
    }
    this.wpStart[n] = start;
    this.wpLength[n] = length;
    this.wpLsc[n] = lsc;
  }

  /**
   * Recompute the flags the CPU's paths test, after a write that may change them. Ends the
   * block and asks the run loop to look again (interruptCheck), so a breakpoint or step armed
   * by this instruction applies from the next one. A change of watched ranges drops the soft
   * TLBs, whose entries would let accesses to newly watched pages bypass the check.
   */
  rearm(): void {
    const cpu = this.cpu, mdscr = cpu.sr[SR.MDSCR_EL1 * 2];
    let breakpoints = false, watchpoints = false;
    for (let n = 0; n < BREAKPOINTS; n++) if (this.bpEnabled[n]) breakpoints = true;
    for (let n = 0; n < WATCHPOINTS; n++) if (this.wpLsc[n]) watchpoints = true;
    const mde = (mdscr & MDSCR.MDE) !== 0;
    const watching = mde && watchpoints;
    if (watching || this.watching) cpu.flushTlb(false);
    this.watching = watching;
    cpu.debugArmed = (mdscr & MDSCR.SS) !== 0 || (mde && breakpoints);
    cpu.interruptCheck = true;
    cpu.flow = cpu.flow || 2;
  }

  // ---------------------------------------------------------------- enables and routing

  /**
   * The EL debug exceptions go to (ARM ARM D2, "Routing debug exceptions"; QEMU
   * arm_debug_target_el): EL2 when EL2 is enabled and HCR_EL2.TGE or MDCR_EL2.TDE is set, else
   * EL1 (EL3 is AArch64 here).
   */
  targetEl(): number {
    const cpu = this.cpu;
    if (cpu.el2Enabled && ((cpu.sr[SR.HCR_EL2 * 2] & HCR_EL2.TGE) !== 0 || (cpu.sr[SR.MDCR_EL2 * 2] & MDCR_EL2.TDE) !== 0)) return 2;
    return 1;
  }

  /**
   * Debug exceptions can be generated now (ARM ARM D2, "Enabling debug exceptions"; QEMU arm_generate_debug_exceptions):
   * never under the OS double lock or at EL3, nor from Secure EL0/EL1 with MDCR_EL3.SDD; to
   * the EL the CPU is at only with MDSCR_EL1.KDE set and PSTATE.D clear; to a higher EL always.
   */
  enabled(): boolean {
    const cpu = this.cpu;
    if ((this.osdlr & 1) !== 0 || cpu.el === 3) return false;
    if ((this.mdcrEl3 & MDCR_EL3.SDD) !== 0 && cpu.isSecure()) return false;
    const target = this.targetEl();
    if (cpu.el === target) return (cpu.sr[SR.MDSCR_EL1 * 2] & MDSCR.KDE) !== 0 && (cpu.daif & (1 << 9)) === 0;
    return target > cpu.el;
  }

  /** Software step is active (QEMU arm_singlestep_active): MDSCR_EL1.SS and debug exceptions enabled. */
  stepActive(): boolean {
    return (this.cpu.sr[SR.MDSCR_EL1 * 2] & MDSCR.SS) !== 0 && this.enabled();
  }

  /** Take a debug exception at the current PC (preferred return address), to the debug target EL. */
  private raise(ec: number, iss: number, farLo?: number, farHi?: number): never {
    const cpu: Cpu = this.cpu, target = this.targetEl();
    cpu.takeException(target, target === cpu.el ? ec + SAME_EL : ec, iss, farLo, farHi, farLo !== undefined);
  }

  // ---------------------------------------------------------------- matching

  /**
   * The privilege and security fields of comparator control `cr` allow a match for an access
   * at `el` (QEMU bp_wp_matches; ARM ARM D2, "Breakpoint exceptions", the summary of the HMC, SSC
   * and PMC encodings): SSC 0b01/0b11 Non-secure only, 0b10 Secure only; at EL2 and EL3 HMC, at EL1
   * PMC[0], at EL0 PMC[1]; then a linked comparator needs its context breakpoint to match.
   */
  private privilegeMatches(cr: number, el: number): boolean {
    const ssc = (cr >>> CR.SSC_SHIFT) & 3, pmc = (cr >>> CR.PMC_SHIFT) & 3;
    const secure = this.cpu.isSecure();
    if ((ssc === 1 || ssc === 3) && secure) return false;
    if (ssc === 2 && !secure) return false;
    if (el >= 2) { if ((cr & CR.HMC) === 0) return false; }
    else if (el === 1) { if ((pmc & 1) === 0) return false; }
    else if ((pmc & 2) === 0) return false;
    return (cr & CR.LINKED) === 0 || this.linkedContextMatches((cr >>> CR.LBN_SHIFT) & 0xf);
  }

  /**
   * A linked context breakpoint `lbn` matches (QEMU linked_bp_matches): it must be one of the
   * context-aware ones (the highest-numbered), enabled, of type linked context ID (BT 0b0011),
   * and CONTEXTIDR_EL1 must equal DBGBVR<lbn>[31:0]; context matches never fire at EL2 (no
   * FEAT_VHE) or EL3.
   */
  private linkedContextMatches(lbn: number): boolean {
    if (lbn >= BREAKPOINTS || lbn < BREAKPOINTS - CONTEXT_BREAKPOINTS) return false;
    const bcr = this.bcr[lbn * 2];
    if ((bcr & CR.E) === 0 || ((bcr >>> 20) & 0xf) !== 3 || this.cpu.el >= 2) return false;
    return this.cpu.sr[SR.CONTEXTIDR_EL1 * 2] === this.bvr[lbn * 2];
  }

  /**
   * The instructions of the PC's page must run one at a time, checked before and after each:
   * software step is on, or an address breakpoint lies in this page. Elsewhere blocks run as
   * usual; the run loop asks again when the PC leaves the page.
   */
  singleInstructionsHere(): boolean {
    const cpu = this.cpu, mdscr = cpu.sr[SR.MDSCR_EL1 * 2];
    if ((mdscr & MDSCR.SS) !== 0) return true;
    if ((mdscr & MDSCR.MDE) === 0) return false;
    for (let n = 0; n < BREAKPOINTS; n++) {
      if (this.bpEnabled[n] && this.bpHi[n] === cpu.pcHi && ((this.bpLo[n] ^ cpu.pcLo) & ~0xfff) === 0) return true;
    }
    return false;
  }

  /**
   * Before the instruction at the PC, with debug exceptions enabled (Cpu.runDebugged): a
   * pending software step is taken first (ARM ARM D2, "Software Step exceptions": it has priority),
   * with ISV = 0 as nothing was stepped; else an address breakpoint that matches raises a
   * breakpoint exception (before any fetch fault, as in QEMU, which also wants an aligned PC).
   * Returns whether the instruction is the one being stepped (active-not-pending).
   */
  beforeInstruction(): boolean {
    const cpu = this.cpu, mdscr = cpu.sr[SR.MDSCR_EL1 * 2];
    const stepping = (mdscr & MDSCR.SS) !== 0;
    if (stepping && cpu.pstateSs === 0) this.raise(EC_SOFTWARE_STEP, DEBUG_FSC);
    if ((mdscr & MDSCR.MDE) !== 0 && (cpu.pcLo & 3) === 0) {
      for (let n = 0; n < BREAKPOINTS; n++) {
        if (this.bpEnabled[n] && this.bpLo[n] === cpu.pcLo && this.bpHi[n] === cpu.pcHi &&
          this.privilegeMatches(this.bcr[n * 2], cpu.el)) this.raise(EC_BREAKPOINT, DEBUG_FSC, 0, 0);
      }
    }
    return stepping;
  }

  /**
   * The stepped instruction completed without an exception: PSTATE.SS goes to 0 (active-pending)
   * and the step exception is taken at once, returning to the next instruction, with ISV = 1
   * and EX = 1 after a load-exclusive (QEMU gen_step_complete_exception).
   */
  stepCompleted(exclusiveLoad: boolean): void {
    this.cpu.pstateSs = 0;
    this.raise(EC_SOFTWARE_STEP, (1 << 24) | (exclusiveLoad ? 1 << 6 : 0) | DEBUG_FSC);
  }

  /**
   * The translation of VA page (lo, hi) must not be cached: a watchpoint covers some of its
   * bytes, so accesses there take the slow path.
   */
  pageWatched(lo: number, hi: number): boolean {
    const page = (BigInt(hi >>> 0) << 32n) | BigInt((lo & ~0xfff) >>> 0);
    for (let n = 0; n < WATCHPOINTS; n++) {
      if (this.wpLsc[n] !== 0 && this.wpStart[n] < page + 4096n && page < this.wpStart[n] + this.wpLength[n]) return true;
    }
    return false;
  }

  /**
   * A data access of `size` bytes at VA (lo, hi), made as from `el` (0 for LDTR/STTR at EL1),
   * after its translation succeeded and before it is made (QEMU check_watchpoints; ARM ARM
   * D2, "Watchpoint exceptions"): a watchpoint whose bytes overlap it, of the access's kind, whose privilege fields
   * match, raises a watchpoint exception with WnR and FAR = the larger of the access address and
   * the watched range's start.
   */
  checkWatchpoints(lo: number, hi: number, size: number, isWrite: boolean, el: number): void {
    const cpu = this.cpu;
    if ((cpu.sr[SR.MDSCR_EL1 * 2] & MDSCR.MDE) === 0 || !this.enabled()) return;
    const start = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), end = start + BigInt(size);
    for (let n = 0; n < WATCHPOINTS; n++) {
      const lsc = this.wpLsc[n];
      if ((lsc & (isWrite ? 2 : 1)) === 0) continue;
      const wpStart = this.wpStart[n];
      if (end <= wpStart || wpStart + this.wpLength[n] <= start) continue;
      if (!this.privilegeMatches(this.wcr[n * 2], el)) continue;
      const far = start > wpStart ? start : wpStart;
      this.raise(EC_WATCHPOINT, (isWrite ? 1 << 6 : 0) | DEBUG_FSC, Number(far & 0xffffffffn) | 0, Number(far >> 32n) | 0);
    }
  }

  // ---------------------------------------------------------------- registers

  /**
   * The debug registers (ARM ARM D13.3) with their effects, replacing the plain storage
   * definitions, with QEMU's access traps (access_tda, access_tdosa, access_tdra):
   * MDCR_EL2.TDA/TDOSA/TDRA (or TDE, or HCR_EL2.TGE) trap EL0/EL1 accesses to EL2,
   * MDCR_EL3.TDA/TDOSA to EL3.
   */
  static install(t: SysRegTable, opts: { highestEl: number }): void {
    const mdcr2 = (cpu: Cpu): number => {
      if (!cpu.el2Enabled) return 0;
      const v = cpu.sr[SR.MDCR_EL2 * 2];
      return (v & MDCR_EL2.TDE) !== 0 || (cpu.sr[SR.HCR_EL2 * 2] & HCR_EL2.TGE) !== 0 ? v | MDCR_EL2.TDA | MDCR_EL2.TDOSA | MDCR_EL2.TDRA : v;
    };
    const trap = (el2Bit: number, el3Bit: number) => (cpu: Cpu): number => {
      if (cpu.el < 2 && (mdcr2(cpu) & el2Bit) !== 0) return 2;
      if (cpu.el < 3 && opts.highestEl === 3 && (cpu.debug.mdcrEl3 & el3Bit) !== 0) return 3;
      return 0;
    };
    const tda = trap(MDCR_EL2.TDA, MDCR_EL3.TDA);
    const tdosa = trap(MDCR_EL2.TDOSA, MDCR_EL3.TDOSA);
    const tdra = trap(MDCR_EL2.TDRA, MDCR_EL3.TDA);
    const def = (name: string, op0: number, op1: number, crn: number, crm: number, op2: number, extra: Partial<SysRegDef>) =>
      t.define({ name, op0, op1, crn, crm, op2, ...extra });
    const pair = (cpu: Cpu, a: Int32Array, n: number): void => { cpu.srLo = a[n * 2]; cpu.srHi = a[n * 2 + 1]; };
    for (let n = 0; n < BREAKPOINTS; n++) {
      def(`DBGBVR${n}_EL1`, 2, 0, 0, n, 4, {
        accessTrap: tda, read: (cpu) => pair(cpu, cpu.debug.bvr, n),
        write: (cpu, lo, hi) => { const d = cpu.debug; d.bvr[n * 2] = lo; d.bvr[n * 2 + 1] = hi; d.updateBreakpoint(n); d.rearm(); },
      });
      def(`DBGBCR${n}_EL1`, 2, 0, 0, n, 5, {
        accessTrap: tda, read: (cpu) => pair(cpu, cpu.debug.bcr, n),
        // BAS[3] reads as BAS[2] and BAS[1] as BAS[0] (A64 instructions are words); QEMU keeps
        // the other bits as written.
        write: (cpu, lo, hi) => {
          const d = cpu.debug;
          lo = (lo & ~((1 << 6) | (1 << 8))) | ((lo & (1 << 5)) << 1) | ((lo & (1 << 7)) << 1);
          d.bcr[n * 2] = lo; d.bcr[n * 2 + 1] = hi; d.updateBreakpoint(n); d.rearm();
        },
      });
    }
    for (let n = 0; n < WATCHPOINTS; n++) {
      def(`DBGWVR${n}_EL1`, 2, 0, 0, n, 6, {
        accessTrap: tda, read: (cpu) => pair(cpu, cpu.debug.wvr, n),
        write: (cpu, lo, hi) => { const d = cpu.debug; d.wvr[n * 2] = lo & ~3; d.wvr[n * 2 + 1] = hi; d.updateWatchpoint(n); d.rearm(); },
      });
      def(`DBGWCR${n}_EL1`, 2, 0, 0, n, 7, {
        accessTrap: tda, read: (cpu) => pair(cpu, cpu.debug.wcr, n),
        write: (cpu, lo, hi) => { const d = cpu.debug; d.wcr[n * 2] = lo; d.wcr[n * 2 + 1] = hi; d.updateWatchpoint(n); d.rearm(); },
      });
    }
    t.override("MDSCR_EL1", {
      accessTrap: tda,
      write: (cpu, lo, hi) => { cpu.sr[SR.MDSCR_EL1 * 2] = lo; cpu.sr[SR.MDSCR_EL1 * 2 + 1] = hi; cpu.debug.rearm(); },
    });
    t.override("MDCR_EL2", {
      // HPMN resets to the PMU's counter count in QEMU's cortex-a53 (6), which guests can read.
      reset: 6n,
      // Routing (TDE) changes where debug exceptions go and whether they are enabled.
      write: (cpu, lo, hi) => { cpu.sr[SR.MDCR_EL2 * 2] = lo; cpu.sr[SR.MDCR_EL2 * 2 + 1] = hi; cpu.debug.rearm(); },
    });
    def("MDCR_EL3", 3, 6, 1, 3, 1, {
      read: (cpu) => { cpu.srLo = cpu.debug.mdcrEl3; cpu.srHi = 0; },
      write: (cpu, lo) => { cpu.debug.mdcrEl3 = lo; cpu.debug.rearm(); },
    });
    // OSLAR_EL1.OSLK sets OSLSR_EL1.OSLK (bit 1); OSLSR_EL1.OSLM reads 0b10 (bit 3).
    def("OSLAR_EL1", 2, 0, 1, 0, 4, {
      writeOnly: true, accessTrap: tdosa,
      write: (cpu, lo) => { cpu.debug.oslsr = 0x8 | ((lo & 1) << 1); cpu.debug.rearm(); },
    });
    def("OSLSR_EL1", 2, 0, 1, 1, 4, {
      readOnly: true, accessTrap: tdosa,
      read: (cpu) => { cpu.srLo = cpu.debug.oslsr; cpu.srHi = 0; },
    });
    // OSDLR_EL1.DLK (ID_AA64DFR0_EL1.DoubleLock = 0: implemented).
    def("OSDLR_EL1", 2, 0, 1, 3, 4, {
      accessTrap: tdosa,
      read: (cpu) => { cpu.srLo = cpu.debug.osdlr; cpu.srHi = 0; },
      write: (cpu, lo) => { cpu.debug.osdlr = lo & 1; cpu.debug.rearm(); },
    });
    def("MDRAR_EL1", 2, 0, 1, 0, 0, { readOnly: true, accessTrap: tdra });
    // Storage only. QEMU's is a no-op whose MRS leaves Xt unchanged; guests do not rely on it.
    def("MDCCINT_EL1", 2, 0, 0, 2, 0, { accessTrap: tda });
    def("MDCCSR_EL0", 2, 3, 0, 1, 0, { readOnly: true, accessTrap: tda });
  }
}

