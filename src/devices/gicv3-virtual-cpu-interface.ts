/**
 * GICv3 virtual CPU interface (IHI 0069 chapter 6, "Virtual interrupt handling and
 * prioritization"): the ICH_*_EL2 registers a hypervisor at EL2 programs, and the ICV_*_EL1 view
 * that Non-secure EL1 gets of them when HCR_EL2.IMO/FMO redirect its ICC_* accesses.
 *
 * Parameters as QEMU gives a Cortex-A53 (hw/intc/arm_gicv3_cpuif.c, gicv3_init_cpuif): 4 list
 * registers, 5 virtual priority bits and 5 preemption bits, so a single ICH_AP0R0/AP1R0 pair
 * (ICH_AP{0,1}R{1,2,3}_EL2 do not exist) and ICH_LR4..15_EL2 do not exist either. Behaviour
 * follows that file where the architecture leaves a choice (EOI before error checks, which LR
 * states the maintenance conditions count).
 *
 * The interface drives the CPU's virtual IRQ/FIQ inputs from the highest-priority pending list
 * register that can preempt (IHI 0069 6.3, CanSignalVirtualInterrupt) and the maintenance
 * interrupt, a level PPI, from ICH_MISR_EL2 (IHI 0069 12.5.9). Every write that may change
 * either re-evaluates both.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { SysRegTable } from "../cpu/sysregs.js";

/** ICH_HCR_EL2 fields (IHI 0069 12.5.4). */
export const enum IchHcr {
  En = 1 << 0, UIE = 1 << 1, LRENPIE = 1 << 2, NPIE = 1 << 3,
  VGrp0EIE = 1 << 4, VGrp0DIE = 1 << 5, VGrp1EIE = 1 << 6, VGrp1DIE = 1 << 7,
  TC = 1 << 10, TALL0 = 1 << 11, TALL1 = 1 << 12, TSEI = 1 << 13, TDIR = 1 << 14,
  EOIcountShift = 27,
}
/** The bits of ICH_HCR_EL2 this interface implements (others are RES0: no vSGI, no DVIM). */
const ICH_HCR_WRITABLE = (IchHcr.En | IchHcr.UIE | IchHcr.LRENPIE | IchHcr.NPIE | IchHcr.VGrp0EIE | IchHcr.VGrp0DIE |
  IchHcr.VGrp1EIE | IchHcr.VGrp1DIE | IchHcr.TC | IchHcr.TALL0 | IchHcr.TALL1 | IchHcr.TSEI | IchHcr.TDIR | (0x1f << 27)) >>> 0;

/** ICH_VMCR_EL2 fields (IHI 0069 12.5.13). */
export const enum IchVmcr {
  VENG0 = 1 << 0, VENG1 = 1 << 1, VFIQEn = 1 << 3, VCBPR = 1 << 4, VEOIM = 1 << 9,
  VBPR1Shift = 18, VBPR0Shift = 21, VPMRShift = 24,
}
const ICH_VMCR_WRITABLE = (IchVmcr.VENG0 | IchVmcr.VENG1 | IchVmcr.VCBPR | IchVmcr.VEOIM |
  (7 << IchVmcr.VBPR1Shift) | (7 << IchVmcr.VBPR0Shift) | (0xff << IchVmcr.VPMRShift)) >>> 0;

/** ICH_MISR_EL2 fields (IHI 0069 12.5.9). */
export const enum IchMisr {
  EOI = 1 << 0, U = 1 << 1, LRENP = 1 << 2, NP = 1 << 3, VGrp0E = 1 << 4, VGrp0D = 1 << 5, VGrp1E = 1 << 6, VGrp1D = 1 << 7,
}

/**
 * ICH_LR<n>_EL2 fields in the high word (IHI 0069 12.5.7): vINTID is the whole low word;
 * pINTID [44:32], EOI [41] (when HW = 0), Priority [55:48], NMI [59], Group [60], HW [61],
 * State [63:62] with 1 = pending, 2 = active, 3 = active and pending.
 */
export const enum IchLrHi {
  PintidMask = 0x1fff, EOI = 1 << 9, PriorityShift = 16, NMI = 1 << 27, Group = 1 << 28, HW = 1 << 29,
  Pending = 1 << 30, Active = 1 << 31, StateMask = (1 << 30) | (1 << 31),
}

export const LIST_REGISTERS = 4;
export const VIRTUAL_PRIORITY_BITS = 5;
export const VIRTUAL_PREEMPTION_BITS = 5;
/** Minimum VBPR0 (IHI 0069 12.5.13: 7 - preemption bits); VBPR1's minimum is one more. */
const MIN_VBPR = 7 - VIRTUAL_PREEMPTION_BITS;
/** Priority field bits below the implemented ones are RES0 (IHI 0069 12.5.7, Priority). */
const PRIORITY_MASK = (0xff << (8 - VIRTUAL_PRIORITY_BITS)) & 0xff;
const SPURIOUS = 1023;
/** INTIDs from 1020 are special (IHI 0069 2.2.1); ICH_LR pINTIDs from there deactivate nothing. */
const FIRST_SPECIAL = 1020;
const FIRST_LPI = 8192;

/**
 * ICH_VTR_EL2 (IHI 0069 12.5.12) as QEMU's ich_vtr_read builds it for a GICv3: ListRegs = 3
 * (4 LRs), TDS (19), nV4 (20: a GICv3 has no direct vLPI injection), A3V (21), IDbits = 1
 * (24-bit vINTIDs), PREbits = 4 and PRIbits = 4 (5 bits each).
 */
export const ICH_VTR_VALUE = ((LIST_REGISTERS - 1) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 23) |
  ((VIRTUAL_PREEMPTION_BITS - 1) << 26) | ((VIRTUAL_PRIORITY_BITS - 1) << 29)) >>> 0;

/** Reset value of ICH_VMCR_EL2 (QEMU's icc_reset): VFIQEn RAO, both VBPRs at their minimum. */
const ICH_VMCR_RESET = (IchVmcr.VFIQEn | ((MIN_VBPR + 1) << IchVmcr.VBPR1Shift) | (MIN_VBPR << IchVmcr.VBPR0Shift)) >>> 0;

/** What the virtual interface is wired to on the board. */
export interface VirtualCpuInterfaceWiring {
  /** The CPU whose virtual IRQ/FIQ inputs interface `index` drives (undefined: none, or not driven by it). */
  cpu(index: number): Cpu | undefined;
  /** Level of CPU `index`'s maintenance interrupt (PPI 25 on the virt board). */
  maintenance(index: number, level: boolean): void;
  /** Deactivate physical INTID `intid` on CPU `index` (an LR with HW = 1 was deactivated). */
  deactivatePhysical(index: number, intid: number): void;
}

export class GicV3VirtualCpuInterface {
  readonly hcr: Uint32Array;
  readonly vmcr: Uint32Array;
  /** ICH_AP0R0_EL2 and ICH_AP1R0_EL2: a bit per preemption level (32 with 5 preemption bits). */
  readonly apr0: Uint32Array;
  readonly apr1: Uint32Array;
  /** List registers, (lo, hi) words, LIST_REGISTERS per CPU. */
  readonly lrLo: Uint32Array;
  readonly lrHi: Uint32Array;
  /** The levels last driven, so the lines are only touched when this interface's output changes. */
  private readonly virqOut: Uint8Array;
  private readonly vfiqOut: Uint8Array;
  private readonly maintOut: Uint8Array;

  constructor(readonly ncpu: number, private readonly wiring: VirtualCpuInterfaceWiring) {
    this.hcr = new Uint32Array(ncpu);
    this.vmcr = new Uint32Array(ncpu).fill(ICH_VMCR_RESET);
    this.apr0 = new Uint32Array(ncpu);
    this.apr1 = new Uint32Array(ncpu);
    this.lrLo = new Uint32Array(ncpu * LIST_REGISTERS);
    this.lrHi = new Uint32Array(ncpu * LIST_REGISTERS);
    this.virqOut = new Uint8Array(ncpu);
    this.vfiqOut = new Uint8Array(ncpu);
    this.maintOut = new Uint8Array(ncpu);
  }

  /**
   * CPU reset (QEMU's icc_reset, run on every CPU reset including PSCI CPU_ON): list registers,
   * active priorities and ICH_HCR_EL2 cleared, ICH_VMCR_EL2 to its reset value; lines lowered.
   */
  reset(c: number): void {
    this.hcr[c] = 0;
    this.vmcr[c] = ICH_VMCR_RESET;
    this.apr0[c] = 0;
    this.apr1[c] = 0;
    this.lrLo.fill(0, c * LIST_REGISTERS, (c + 1) * LIST_REGISTERS);
    this.lrHi.fill(0, c * LIST_REGISTERS, (c + 1) * LIST_REGISTERS);
    this.update(c);
  }

  // ---------------- prioritisation (IHI 0069 6.3, pseudocode in QEMU's hppvi_index & co.) ----------------

  private lrPriority(c: number, n: number): number { return (this.lrHi[c * LIST_REGISTERS + n] >>> IchLrHi.PriorityShift) & 0xff; }
  private lrGroup1(c: number, n: number): boolean { return (this.lrHi[c * LIST_REGISTERS + n] & IchLrHi.Group) !== 0; }
  private lrState(c: number, n: number): number { return this.lrHi[c * LIST_REGISTERS + n] >>> 30; }

  /** VBPR0 or VBPR1 as stored in ICH_VMCR_EL2. */
  private vbpr(c: number, group: number): number {
    return (this.vmcr[c] >>> (group === 0 ? IchVmcr.VBPR0Shift : IchVmcr.VBPR1Shift)) & 7;
  }

  private setVbpr(c: number, group: number, value: number): void {
    const v = Math.max(value & 7, group === 0 ? MIN_VBPR : MIN_VBPR + 1);
    const shift = group === 0 ? IchVmcr.VBPR0Shift : IchVmcr.VBPR1Shift;
    this.vmcr[c] = ((this.vmcr[c] & ~(7 << shift)) | (v << shift)) >>> 0;
  }

  /** Mask of the group-priority bits for `group` (VGroupBits: VCBPR makes group 1 use VBPR0). */
  private groupPriorityMask(c: number, group: number): number {
    let g = group;
    if (g === 1 && (this.vmcr[c] & IchVmcr.VCBPR)) g = 0;
    let bpr = this.vbpr(c, g);
    if (g === 1) bpr--;
    return (0xff << (bpr + 1)) & 0xff;
  }

  /** Running priority from the active priority registers: lowest set bit of AP0R0 | AP1R0, or idle 0xff. */
  runningPriority(c: number): number {
    const apr = (this.apr0[c] | this.apr1[c]) >>> 0;
    if (apr === 0) return 0xff;
    return (31 - Math.clz32(apr & -apr)) << (MIN_VBPR + 1);
  }

  /** Index of the highest-priority pending LR of an enabled group (lowest index on ties), or -1. Priority 0xff never wins. */
  highestPendingIndex(c: number): number {
    const vmcr = this.vmcr[c];
    if (!(vmcr & (IchVmcr.VENG0 | IchVmcr.VENG1))) return -1;
    let best = -1, prio = 0xff;
    for (let n = 0; n < LIST_REGISTERS; n++) {
      if (this.lrState(c, n) !== 1) continue;
      if (!(vmcr & (this.lrGroup1(c, n) ? IchVmcr.VENG1 : IchVmcr.VENG0))) continue;
      const p = this.lrPriority(c, n);
      if (p < prio) { prio = p; best = n; }
    }
    return best;
  }

  /** CanSignalVirtualInterrupt: interface enabled, above VPMR, group priority above the running priority. */
  canPreempt(c: number, n: number): boolean {
    if (!(this.hcr[c] & IchHcr.En)) return false;
    const prio = this.lrPriority(c, n);
    if (prio >= this.vmcr[c] >>> IchVmcr.VPMRShift) return false;
    const rprio = this.runningPriority(c);
    if (rprio === 0xff) return true;
    const mask = this.groupPriorityMask(c, this.lrGroup1(c, n) ? 1 : 0);
    return (prio & mask) < (rprio & mask);
  }

  /** Per-LR EOI maintenance status (ICH_EISR_EL2): Invalid, HW = 0 and EOI = 1. */
  eisr(c: number): number {
    let v = 0;
    for (let n = 0; n < LIST_REGISTERS; n++) {
      if ((this.lrHi[c * LIST_REGISTERS + n] & (IchLrHi.StateMask | IchLrHi.HW | IchLrHi.EOI)) === IchLrHi.EOI) v |= 1 << n;
    }
    return v;
  }

  /** Empty LRs (ICH_ELRSR_EL2): Invalid and not waiting to report an EOI maintenance interrupt. */
  elrsr(c: number): number {
    let v = 0;
    for (let n = 0; n < LIST_REGISTERS; n++) {
      const hi = this.lrHi[c * LIST_REGISTERS + n];
      if ((hi & IchLrHi.StateMask) === 0 && ((hi & IchLrHi.HW) !== 0 || (hi & IchLrHi.EOI) === 0)) v |= 1 << n;
    }
    return v;
  }

  /** ICH_MISR_EL2 (QEMU's maintenance_interrupt_state). */
  misr(c: number): number {
    const hcr = this.hcr[c], vmcr = this.vmcr[c];
    let valid = 0, seenPending = false;
    for (let n = 0; n < LIST_REGISTERS; n++) {
      const s = this.lrState(c, n);
      if (s !== 0) valid++;
      if (s === 1) seenPending = true;
    }
    let v = 0;
    if (this.eisr(c)) v |= IchMisr.EOI;
    if (valid < 2 && (hcr & IchHcr.UIE)) v |= IchMisr.U;
    if (!seenPending && (hcr & IchHcr.NPIE)) v |= IchMisr.NP;
    if ((hcr & IchHcr.LRENPIE) && (hcr >>> IchHcr.EOIcountShift) !== 0) v |= IchMisr.LRENP;
    if ((hcr & IchHcr.VGrp0EIE) && (vmcr & IchVmcr.VENG0)) v |= IchMisr.VGrp0E;
    // QEMU tests VENG1 for the group-0 disabled condition too; mirrored so guests see its value.
    if ((hcr & IchHcr.VGrp0DIE) && !(vmcr & IchVmcr.VENG1)) v |= IchMisr.VGrp0D;
    if ((hcr & IchHcr.VGrp1EIE) && (vmcr & IchVmcr.VENG1)) v |= IchMisr.VGrp1E;
    if ((hcr & IchHcr.VGrp1DIE) && !(vmcr & IchVmcr.VENG1)) v |= IchMisr.VGrp1D;
    return v;
  }

  /** Drive virtual IRQ/FIQ (gicv3_cpuif_virt_irq_fiq_update): group 1 is vIRQ, group 0 vFIQ. */
  updateLines(c: number): void {
    let irq = 0, fiq = 0;
    const n = this.highestPendingIndex(c);
    if (n >= 0 && this.canPreempt(c, n)) {
      if (this.lrGroup1(c, n)) irq = 1; else fiq = 1;
    }
    const cpu = this.wiring.cpu(c);
    if (!cpu) return;
    if (this.vfiqOut[c] !== fiq) { this.vfiqOut[c] = fiq; cpu.setVfiq(fiq !== 0); }
    if (this.virqOut[c] !== irq) { this.virqOut[c] = irq; cpu.setVirq(irq !== 0); }
  }

  /** Lines and the maintenance interrupt (gicv3_cpuif_virt_update): asserted while En and MISR != 0. */
  update(c: number): void {
    this.updateLines(c);
    const level = (this.hcr[c] & IchHcr.En) !== 0 && this.misr(c) !== 0 ? 1 : 0;
    if (this.maintOut[c] !== level) { this.maintOut[c] = level; this.wiring.maintenance(c, level !== 0); }
  }

  // ---------------- ICH_*_EL2 ----------------

  writeHcr(c: number, v: number): void { this.hcr[c] = (v & ICH_HCR_WRITABLE) >>> 0; this.update(c); }

  writeVmcr(c: number, v: number): void {
    this.vmcr[c] = ((v & ICH_VMCR_WRITABLE) | IchVmcr.VFIQEn) >>> 0;
    // Writing a binary point below the minimum sets the minimum (IHI 0069 12.5.13).
    this.setVbpr(c, 0, this.vbpr(c, 0));
    this.setVbpr(c, 1, this.vbpr(c, 1));
    this.update(c);
  }

  writeLr(c: number, n: number, lo: number, hi: number): void {
    // Unimplemented priority bits are RES0; NMI is RES0 without FEAT_GICv3_NMI.
    const lowBits = ((0xff & ~PRIORITY_MASK) << IchLrHi.PriorityShift);
    this.lrLo[c * LIST_REGISTERS + n] = lo >>> 0;
    this.lrHi[c * LIST_REGISTERS + n] = (hi & ~lowBits & ~IchLrHi.NMI) >>> 0;
    this.update(c);
  }

  writeApr(c: number, group: number, v: number): void {
    (group === 0 ? this.apr0 : this.apr1)[c] = v >>> 0;
    this.updateLines(c);
  }

  // ---------------- ICV_*_EL1 ----------------

  /** ICV_IAR0/1_EL1: acknowledge the highest-priority pending LR of `group` if it may preempt. */
  acknowledge(c: number, group: number): number {
    let intid = SPURIOUS;
    const n = this.highestPendingIndex(c);
    if (n >= 0 && (this.lrGroup1(c, n) ? 1 : 0) === group && this.canPreempt(c, n)) {
      const k = c * LIST_REGISTERS + n;
      intid = this.lrLo[k];
      if (intid >= FIRST_SPECIAL && intid < 1024) {
        this.lrHi[k] = (this.lrHi[k] & ~IchLrHi.Pending) >>> 0; // a special vINTID goes Pending -> Invalid
      } else {
        // Pending -> Active and the group priority's bit set in the active priority register.
        const aprBit = (this.lrPriority(c, n) & this.groupPriorityMask(c, group)) >> (8 - VIRTUAL_PREEMPTION_BITS);
        this.lrHi[k] = ((this.lrHi[k] & ~IchLrHi.Pending) | IchLrHi.Active) >>> 0;
        const apr = group === 0 ? this.apr0 : this.apr1;
        apr[c] = (apr[c] | (1 << aprBit)) >>> 0;
      }
    }
    this.update(c);
    return intid >>> 0;
  }

  hppir(c: number, group: number): number {
    const n = this.highestPendingIndex(c);
    if (n < 0 || (this.lrGroup1(c, n) ? 1 : 0) !== group) return SPURIOUS;
    return this.lrLo[c * LIST_REGISTERS + n];
  }

  /** Clear the lowest set active priority bit, group 0 first on a tie; its priority, or 0xff if none. */
  private dropPriority(c: number): number {
    const a0 = this.apr0[c], a1 = this.apr1[c];
    if (!a0 && !a1) return 0xff;
    const b0 = a0 ? 31 - Math.clz32(a0 & -a0) : 32, b1 = a1 ? 31 - Math.clz32(a1 & -a1) : 32;
    if (b0 <= b1) { this.apr0[c] = (a0 & (a0 - 1)) >>> 0; return b0 << (MIN_VBPR + 1); }
    this.apr1[c] = (a1 & (a1 - 1)) >>> 0;
    return b1 << (MIN_VBPR + 1);
  }

  /** FindActiveVirtualInterrupt: the LR holding `intid` in an active state, or -1. */
  private findActive(c: number, intid: number): number {
    for (let n = 0; n < LIST_REGISTERS; n++) {
      const k = c * LIST_REGISTERS + n;
      if ((this.lrHi[k] & IchLrHi.Active) && this.lrLo[k] === intid) return n;
    }
    return -1;
  }

  private incrementEoiCount(c: number): void {
    const count = ((this.hcr[c] >>> IchHcr.EOIcountShift) + 1) & 0x1f;
    this.hcr[c] = ((this.hcr[c] & ~(0x1f << IchHcr.EOIcountShift)) | (count << IchHcr.EOIcountShift)) >>> 0;
  }

  /** Active -> Invalid, Active+Pending -> Pending; with HW = 1 the physical pINTID is deactivated too. */
  private deactivateLr(c: number, n: number): void {
    const k = c * LIST_REGISTERS + n;
    const hi = this.lrHi[k];
    if (hi & IchLrHi.HW) {
      const pintid = hi & IchLrHi.PintidMask;
      if (pintid < FIRST_SPECIAL) this.wiring.deactivatePhysical(c, pintid);
    }
    this.lrHi[k] = (hi & ~IchLrHi.Active) >>> 0;
  }

  /**
   * ICV_EOIR0/1_EL1 (QEMU's icv_eoir_write): the priority drops first; then the LR holding
   * the INTID, if its group and group priority match, is deactivated unless VEOIM splits the
   * two; an INTID in no LR counts in EOIcount.
   */
  endOfInterrupt(c: number, group: number, value: number): void {
    const intid = value & 0xffffff;
    if (intid >= FIRST_SPECIAL && intid < 1024) return;
    const dropped = this.dropPriority(c);
    if (dropped === 0xff) return; // nothing active: the LRs are not checked
    const n = this.findActive(c, intid);
    if (n < 0) {
      if (intid < FIRST_LPI) this.incrementEoiCount(c);
    } else {
      const sameGroup = (this.lrGroup1(c, n) ? 1 : 0) === group;
      if (sameGroup && (this.lrPriority(c, n) & this.groupPriorityMask(c, group)) === dropped) {
        if (!(this.vmcr[c] & IchVmcr.VEOIM) || intid >= FIRST_LPI) this.deactivateLr(c, n);
      }
    }
    this.update(c);
  }

  /** ICV_DIR_EL1: deactivation, only with VEOIM = 1; an INTID in no LR counts in EOIcount. */
  deactivate(c: number, value: number): void {
    const intid = value & 0xffffff;
    if (intid >= FIRST_SPECIAL) return; // special INTIDs and LPIs
    if (!(this.vmcr[c] & IchVmcr.VEOIM)) return;
    const n = this.findActive(c, intid);
    if (n < 0) this.incrementEoiCount(c);
    else this.deactivateLr(c, n);
    this.update(c);
  }

  readPmr(c: number): number { return this.vmcr[c] >>> IchVmcr.VPMRShift; }
  writePmr(c: number, v: number): void {
    this.vmcr[c] = ((this.vmcr[c] & 0x00ffffff) | ((v & PRIORITY_MASK) << IchVmcr.VPMRShift)) >>> 0;
    this.updateLines(c);
  }

  /** ICV_BPR1 with VCBPR reads VBPR0 + 1 (saturated) and ignores writes. */
  readBpr(c: number, group: number): number {
    if (group === 1 && (this.vmcr[c] & IchVmcr.VCBPR)) return Math.min(this.vbpr(c, 0) + 1, 7);
    return this.vbpr(c, group);
  }
  writeBpr(c: number, group: number, v: number): void {
    if (group === 1 && (this.vmcr[c] & IchVmcr.VCBPR)) return;
    this.setVbpr(c, group, v);
    this.updateLines(c);
  }

  readGroupEnable(c: number, group: number): number { return (this.vmcr[c] >>> (group === 0 ? 0 : 1)) & 1; }
  writeGroupEnable(c: number, group: number, v: number): void {
    const bit = group === 0 ? IchVmcr.VENG0 : IchVmcr.VENG1;
    this.vmcr[c] = (v & 1 ? this.vmcr[c] | bit : this.vmcr[c] & ~bit) >>> 0;
    this.update(c);
  }

  /** ICV_CTLR_EL1: A3V, IDbits = 1 (24 bits), PRIbits as ICH_VTR_EL2, EOImode = VEOIM, CBPR = VCBPR. */
  readCtlr(c: number): number {
    const vmcr = this.vmcr[c];
    return (1 << 15) | (1 << 11) | ((VIRTUAL_PRIORITY_BITS - 1) << 8) |
      (vmcr & IchVmcr.VEOIM ? 2 : 0) | (vmcr & IchVmcr.VCBPR ? 1 : 0);
  }
  writeCtlr(c: number, v: number): void {
    let vmcr = this.vmcr[c] & ~(IchVmcr.VCBPR | IchVmcr.VEOIM);
    if (v & 1) vmcr |= IchVmcr.VCBPR;
    if (v & 2) vmcr |= IchVmcr.VEOIM;
    this.vmcr[c] = vmcr >>> 0;
    this.updateLines(c);
  }

  readApr(c: number, group: number): number { return (group === 0 ? this.apr0 : this.apr1)[c]; }

  // ---------------- register definitions ----------------

  /** ICH_*_EL2 (op0 3, op1 4, CRn 12): EL2 and EL3 only, which the table's op1 = 4 rule gives. */
  defineSysRegs(t: SysRegTable, indexOf: (cpu: Cpu) => number): void {
    const ret = (cpu: Cpu, lo: number, hi = 0) => { cpu.srLo = lo | 0; cpu.srHi = hi | 0; };
    const def = (name: string, crm: number, op2: number, read: (c: number, cpu: Cpu) => void,
      write?: (c: number, lo: number, hi: number) => void) => {
      t.define({
        name, op0: 3, op1: 4, crn: 12, crm, op2, readOnly: !write,
        read: (cpu) => read(indexOf(cpu), cpu),
        write: write ? (cpu, lo, hi) => write(indexOf(cpu), lo, hi) : () => {},
      });
    };
    def("ICH_AP0R0_EL2", 8, 0, (c, cpu) => ret(cpu, this.apr0[c]), (c, lo) => this.writeApr(c, 0, lo));
    def("ICH_AP1R0_EL2", 9, 0, (c, cpu) => ret(cpu, this.apr1[c]), (c, lo) => this.writeApr(c, 1, lo));
    def("ICH_HCR_EL2", 11, 0, (c, cpu) => ret(cpu, this.hcr[c]), (c, lo) => this.writeHcr(c, lo));
    def("ICH_VTR_EL2", 11, 1, (_c, cpu) => ret(cpu, ICH_VTR_VALUE));
    def("ICH_MISR_EL2", 11, 2, (c, cpu) => ret(cpu, this.misr(c)));
    def("ICH_EISR_EL2", 11, 3, (c, cpu) => ret(cpu, this.eisr(c)));
    def("ICH_ELRSR_EL2", 11, 5, (c, cpu) => ret(cpu, this.elrsr(c)));
    def("ICH_VMCR_EL2", 11, 7, (c, cpu) => ret(cpu, this.vmcr[c]), (c, lo) => this.writeVmcr(c, lo));
    for (let n = 0; n < LIST_REGISTERS; n++) {
      def(`ICH_LR${n}_EL2`, 12, n, (c, cpu) => ret(cpu, this.lrLo[c * LIST_REGISTERS + n], this.lrHi[c * LIST_REGISTERS + n]),
        (c, lo, hi) => this.writeLr(c, n, lo, hi));
    }
  }
}
