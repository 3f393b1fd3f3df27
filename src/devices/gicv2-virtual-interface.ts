/**
 * The GICv2 virtualization extensions' state (IHI 0048B chapter 5, "GIC Support for
 * Virtualization"): per CPU the list registers and GICH_HCR/GICH_APR that a hypervisor programs
 * through the GICH frame (gicv2-hyp-interface.ts), and the virtual CPU interface's own state that
 * a guest reaches through the GICV frame (gicv2-virtual-cpu-interface.ts), which has the GICC
 * register layout and operates on the list registers.
 *
 * Parameters and choices as QEMU's GICv2 (hw/intc/arm_gic.c, gic_internal.h): 4 list
 * registers, 5 virtual priority bits (GIC_VIRT_MAX_GROUP_PRIO_BITS, so a single GICH_APR), a
 * minimum binary point of 2 (GIC_VIRT_MIN_BPR) and 3 for the aliased one. The interface drives
 * the CPU's vIRQ/vFIQ inputs (the same signals the GICv3 virtual interface and HCR_EL2.VI/VF
 * use) and the maintenance interrupt, a level PPI, from GICH_MISR. The GICH_HCR and GICH_MISR
 * bit layouts are the ICH_HCR_EL2/ICH_MISR_EL2 ones of the GICv3 virtual interface (IHI 0069
 * 12.5.4, 12.5.9), whose names are shared from there.
 */
import type { Cpu } from "../cpu/cpu.js";
import { IchHcr, IchMisr, type VirtualCpuInterfaceWiring } from "./gicv3-virtual-cpu-interface.js";

export { type VirtualCpuInterfaceWiring } from "./gicv3-virtual-cpu-interface.js";

/**
 * GICH_LR<n> (IHI 0048B 5.3.11): VirtualID [9:0], PhysicalID [19:10] (with HW = 1; with HW = 0
 * bits [12:10] are the CPUID of a vSGI and bit 19 is EOI), Priority [27:23] (the top 5 bits of
 * the 8-bit priority), State [29:28] (1 pending, 2 active, 3 both), Grp1 [30], HW [31].
 */
export const enum GichLr {
  VirtualIdMask = 0x3ff, PhysicalIdShift = 10, PhysicalIdMask = 0x3ff, CpuIdMask = 7, EOI = 1 << 19,
  PriorityShift = 23, PriorityMask = 0x1f, StateShift = 28, Pending = 1 << 28, Active = 1 << 29,
  Grp1 = 1 << 30, HW = 1 << 31,
}
/** The LR bits that hold state (QEMU's GICH_LR_MASK: [22:20] are reserved). */
const GICH_LR_WRITABLE = 0xff8fffff;
/** GICH_HCR: En, UIE, LRENPIE, NPIE, the four VGrp interrupt enables and EOICount [31:27] (IHI 0048B 5.3.1). */
const GICH_HCR_WRITABLE = 0xf80000ff;

/** GICC_CTLR bits of the virtual CPU interface (IHI 0048B 5.4.1: GICV_CTLR). */
export const enum GicvCtlr { EnableGrp0 = 1 << 0, EnableGrp1 = 1 << 1, AckCtl = 1 << 2, FIQEn = 1 << 3, CBPR = 1 << 4, EOImode = 1 << 9 }
/** Writable GICV_CTLR bits (QEMU's GICC_CTLR_V2_MASK; with the Security Extensions also EOImodeNS). */
const GICV_CTLR_WRITABLE = 0x21f, GICV_CTLR_WRITABLE_SECURE = 0x61f;

export const GICV2_LIST_REGISTERS = 4;
/**
 * QEMU decodes LR offsets up to and including index num_lrs (its bound check is `> num_lrs`),
 * so GICH_LR4 holds what is written to it though nothing uses it; kept so reads match.
 */
const LR_SLOTS = GICV2_LIST_REGISTERS + 1;
const VIRT_PRIORITY_BITS = 5;
const MIN_BPR = 2, MIN_ABPR = MIN_BPR + 1;
/** GICV_ABPR writes are bounded by the physical minimum (QEMU's GIC_MIN_ABPR), not the virtual one. */
const MIN_ABPR_WRITE = 1;
const PRIORITY_MASK = (0xff << (8 - VIRT_PRIORITY_BITS)) & 0xff;
/** Running priority when nothing is active (QEMU's 0x100: idle, below every priority). */
const IDLE = 0x100;
const SPURIOUS = 1023;
/** INTIDs from 1020 are special (IHI 0048B 3.2.5). */
const FIRST_SPECIAL = 1020;

/**
 * GICH_VTR (IHI 0048B 5.3.2) as QEMU reads it: ListRegs = 3 (4 LRs), PREbits = 4 and
 * PRIbits = 4 (5 preemption and 5 priority bits).
 */
export const GICH_VTR_VALUE = ((GICV2_LIST_REGISTERS - 1) | ((VIRT_PRIORITY_BITS - 1) << 26) | ((7 - MIN_BPR - 1) << 29)) >>> 0;

export class GicV2VirtualInterface {
  readonly hcr: Uint32Array;
  /** GICH_APR: a bit per preemption level (priority >> 3). */
  readonly apr: Uint32Array;
  readonly lr: Uint32Array;
  // The virtual CPU interface (GICV_CTLR, GICV_PMR, GICV_BPR, GICV_ABPR), also seen in GICH_VMCR.
  readonly ctlr: Uint32Array;
  readonly pmr: Uint32Array;
  readonly bpr: Uint8Array;
  readonly abpr: Uint8Array;
  private readonly virqOut: Uint8Array;
  private readonly vfiqOut: Uint8Array;
  private readonly maintOut: Uint8Array;
  private readonly ctlrWritable: number;

  constructor(readonly ncpu: number, securityExtensions: boolean, private readonly wiring: VirtualCpuInterfaceWiring) {
    this.hcr = new Uint32Array(ncpu);
    this.apr = new Uint32Array(ncpu);
    this.lr = new Uint32Array(ncpu * LR_SLOTS);
    this.ctlr = new Uint32Array(ncpu);
    this.pmr = new Uint32Array(ncpu);
    this.bpr = new Uint8Array(ncpu).fill(MIN_BPR);
    this.abpr = new Uint8Array(ncpu).fill(MIN_ABPR);
    this.virqOut = new Uint8Array(ncpu);
    this.vfiqOut = new Uint8Array(ncpu);
    this.maintOut = new Uint8Array(ncpu);
    this.ctlrWritable = securityExtensions ? GICV_CTLR_WRITABLE_SECURE : GICV_CTLR_WRITABLE;
  }

  // ---------------- list registers ----------------

  private lrAt(c: number, n: number): number { return this.lr[c * LR_SLOTS + n]; }
  private static state(lr: number): number { return (lr >>> GichLr.StateShift) & 3; }
  private static priority(lr: number): number { return ((lr >>> GichLr.PriorityShift) & GichLr.PriorityMask) << 3; }
  private static group(lr: number): number { return lr & GichLr.Grp1 ? 1 : 0; }

  /**
   * The LR holding vINTID `vid` in a valid state, the first if several do (UNPREDICTABLE; QEMU's
   * gic_get_lr_entry takes the first), or -1.
   */
  private entryOf(c: number, vid: number): number {
    for (let n = 0; n < GICV2_LIST_REGISTERS; n++) {
      const lr = this.lrAt(c, n);
      if ((lr & GichLr.VirtualIdMask) === vid && GicV2VirtualInterface.state(lr) !== 0) return c * LR_SLOTS + n;
    }
    return -1;
  }

  /** Whether an LR holds `vid` active or active and pending (what EOIR and DIR may complete). */
  private activeEntryExists(c: number, vid: number): boolean {
    for (let n = 0; n < GICV2_LIST_REGISTERS; n++) {
      const lr = this.lrAt(c, n);
      if ((lr & GichLr.VirtualIdMask) === vid && (lr & GichLr.Active)) return true;
    }
    return false;
  }

  /** GICH_EISR0: LRs Invalid with HW = 0 and EOI = 1 (they ask for an EOI maintenance interrupt). */
  eisr(c: number): number {
    let v = 0;
    for (let n = 0; n < GICV2_LIST_REGISTERS; n++) {
      if ((this.lrAt(c, n) & ((3 << GichLr.StateShift) | GichLr.HW | GichLr.EOI)) === GichLr.EOI) v |= 1 << n;
    }
    return v;
  }

  /** GICH_ELRSR0: LRs Invalid and not waiting to report an EOI. */
  elrsr(c: number): number {
    let v = 0;
    for (let n = 0; n < GICV2_LIST_REGISTERS; n++) {
      const lr = this.lrAt(c, n);
      if (GicV2VirtualInterface.state(lr) === 0 && ((lr & GichLr.HW) !== 0 || (lr & GichLr.EOI) === 0)) v |= 1 << n;
    }
    return v;
  }

  /** GICH_MISR (IHI 0048B 5.3.4; QEMU's gic_compute_misr). */
  misr(c: number): number {
    const hcr = this.hcr[c], ctlr = this.ctlr[c];
    let valid = 0, pending = 0;
    for (let n = 0; n < GICV2_LIST_REGISTERS; n++) {
      const s = GicV2VirtualInterface.state(this.lrAt(c, n));
      if (s !== 0) valid++;
      if (s === 1) pending++;
    }
    let v = 0;
    if (this.eisr(c)) v |= IchMisr.EOI;
    if ((hcr & IchHcr.UIE) && valid < 2) v |= IchMisr.U;
    if ((hcr & IchHcr.LRENPIE) && (hcr >>> IchHcr.EOIcountShift) !== 0) v |= IchMisr.LRENP;
    if ((hcr & IchHcr.NPIE) && pending === 0) v |= IchMisr.NP;
    if ((hcr & IchHcr.VGrp0EIE) && (ctlr & GicvCtlr.EnableGrp0)) v |= IchMisr.VGrp0E;
    if ((hcr & IchHcr.VGrp0DIE) && !(ctlr & GicvCtlr.EnableGrp0)) v |= IchMisr.VGrp0D;
    if ((hcr & IchHcr.VGrp1EIE) && (ctlr & GicvCtlr.EnableGrp1)) v |= IchMisr.VGrp1E;
    if ((hcr & IchHcr.VGrp1DIE) && !(ctlr & GicvCtlr.EnableGrp1)) v |= IchMisr.VGrp1D;
    return v;
  }

  // ---------------- prioritisation ----------------

  /** Running priority from GICH_APR: the lowest set bit's level << 3, or IDLE. */
  runningPriority(c: number): number {
    const apr = this.apr[c];
    return apr === 0 ? IDLE : (31 - Math.clz32(apr & -apr)) << (MIN_BPR + 1);
  }

  private signallingEnabled(c: number, groupMask: number): boolean {
    return (this.hcr[c] & IchHcr.En) !== 0 && (this.ctlr[c] & groupMask) !== 0;
  }

  /** The highest-priority pending LR (lowest index on ties), or -1. */
  private bestPending(c: number): number {
    let best = -1, prio = IDLE;
    for (let n = 0; n < GICV2_LIST_REGISTERS; n++) {
      const lr = this.lrAt(c, n);
      if (GicV2VirtualInterface.state(lr) !== 1) continue;
      const p = GicV2VirtualInterface.priority(lr);
      if (p < prio) { prio = p; best = n; }
    }
    return best;
  }

  /** The vINTID the interface would present (QEMU's current_pending): enabled and above the priority mask. */
  private currentPending(c: number): number {
    if (!this.signallingEnabled(c, GicvCtlr.EnableGrp0 | GicvCtlr.EnableGrp1)) return SPURIOUS;
    const n = this.bestPending(c);
    if (n < 0) return SPURIOUS;
    const lr = this.lrAt(c, n);
    return GicV2VirtualInterface.priority(lr) < this.pmr[c] ? lr & GichLr.VirtualIdMask : SPURIOUS;
  }

  /**
   * GICV_HPPIR and what GICV_IAR acknowledges: the interface behaves as a GIC without the
   * Security Extensions, whose Group 1 interrupts IAR returns only with AckCtl set, else 1022
   * (IHI 0048B 3.2.4; QEMU's gic_get_current_pending_irq).
   */
  highestPending(c: number): number {
    const vid = this.currentPending(c);
    if (vid >= FIRST_SPECIAL) return vid;
    const group = GicV2VirtualInterface.group(this.lr[this.entryOf(c, vid)]);
    if (group === 1 && !(this.ctlr[c] & GicvCtlr.AckCtl)) return 1022;
    return vid;
  }

  /** vIRQ/vFIQ: the best pending LR above the mask and the running priority; group 0 is vFIQ with FIQEn. */
  private updateLines(c: number): void {
    let irq = 0, fiq = 0;
    if (this.signallingEnabled(c, GicvCtlr.EnableGrp0 | GicvCtlr.EnableGrp1)) {
      const n = this.bestPending(c);
      if (n >= 0) {
        const lr = this.lrAt(c, n);
        const prio = GicV2VirtualInterface.priority(lr), group = GicV2VirtualInterface.group(lr);
        if (prio < this.pmr[c] && prio < this.runningPriority(c) && this.signallingEnabled(c, 1 << group)) {
          if (group === 0 && (this.ctlr[c] & GicvCtlr.FIQEn)) fiq = 1; else irq = 1;
        }
      }
    }
    const cpu: Cpu | undefined = this.wiring.cpu(c);
    if (!cpu) return;
    if (this.virqOut[c] !== irq) { this.virqOut[c] = irq; cpu.setVirq(irq !== 0); }
    if (this.vfiqOut[c] !== fiq) { this.vfiqOut[c] = fiq; cpu.setVfiq(fiq !== 0); }
  }

  /** Lines and the maintenance interrupt, asserted while GICH_HCR.En and GICH_MISR != 0. */
  update(c: number): void {
    this.updateLines(c);
    const level = (this.hcr[c] & IchHcr.En) !== 0 && this.misr(c) !== 0 ? 1 : 0;
    if (this.maintOut[c] !== level) { this.maintOut[c] = level; this.wiring.maintenance(c, level !== 0); }
  }

  // ---------------- the GICH frame ----------------

  writeHcr(c: number, v: number): void { this.hcr[c] = (v & GICH_HCR_WRITABLE) >>> 0; }

  readLr(c: number, n: number): number { return n < LR_SLOTS ? this.lr[c * LR_SLOTS + n] : 0; }
  writeLr(c: number, n: number, v: number): void { if (n < LR_SLOTS) this.lr[c * LR_SLOTS + n] = (v & GICH_LR_WRITABLE) >>> 0; }

  /** GICH_VMCR (IHI 0048B 5.3.3): VMCtlr [9:0], VMABP [20:18], VMBP [23:21], VMPriMask [31:27]. */
  readVmcr(c: number): number {
    return ((this.ctlr[c] & 0x3ff) | (this.abpr[c] << 18) | (this.bpr[c] << 21) | ((this.pmr[c] >>> 3) << 27)) >>> 0;
  }
  writeVmcr(c: number, v: number): void {
    this.ctlr[c] = v & 0x3ff & this.ctlrWritable;
    this.abpr[c] = Math.max((v >>> 18) & 7, MIN_ABPR);
    this.bpr[c] = Math.max((v >>> 21) & 7, MIN_BPR);
    this.pmr[c] = (((v >>> 27) & 0x1f) << 3) & PRIORITY_MASK;
  }

  // ---------------- the GICV frame ----------------

  writeCtlr(c: number, v: number): void { this.ctlr[c] = v & this.ctlrWritable; }
  writePmr(c: number, v: number): void { this.pmr[c] = v & PRIORITY_MASK; }
  writeBpr(c: number, v: number): void { this.bpr[c] = Math.max(v & 7, MIN_BPR); }
  writeAbpr(c: number, v: number): void { this.abpr[c] = Math.max(v & 7, MIN_ABPR_WRITE); }

  /** GICV_RPR: the running priority, 0xff when idle. */
  readRpr(c: number): number { const p = this.runningPriority(c); return p > 0xff ? 0xff : p; }

  /**
   * GICV_IAR: the pending vINTID becomes active (its LR Pending -> Active), its group priority
   * sets its GICH_APR bit. A vSGI (vINTID < 16) returns its LR's CPUID in bits [12:10].
   */
  acknowledge(c: number): number {
    const vid = this.highestPending(c);
    if (vid >= FIRST_SPECIAL) return vid;
    const k = this.entryOf(c, vid);
    let lr = this.lr[k];
    const prio = GicV2VirtualInterface.priority(lr);
    if (prio >= this.runningPriority(c)) return SPURIOUS;
    // The group priority: group 1 uses the aliased binary point unless CBPR (IHI 0048B 3.3.3).
    const bpr = GicV2VirtualInterface.group(lr) === 1 && !(this.ctlr[c] & GicvCtlr.CBPR) ? this.abpr[c] - 1 : this.bpr[c];
    const groupPrio = prio & ((0xff << ((bpr & 7) + 1)) & 0xff);
    this.apr[c] = (this.apr[c] | (1 << (groupPrio >> (MIN_BPR + 1)))) >>> 0;
    lr = ((lr | GichLr.Active) & ~GichLr.Pending) >>> 0;
    this.lr[k] = lr;
    const result = vid < 16 ? vid | (((lr >>> GichLr.PhysicalIdShift) & GichLr.CpuIdMask) << 10) : vid;
    this.update(c);
    return result;
  }

  private incrementEoiCount(c: number): void {
    this.hcr[c] = (this.hcr[c] + (1 << IchHcr.EOIcountShift)) >>> 0;
  }

  /**
   * Deactivate the LR of `vid` (Active -> Invalid, Active and Pending -> Pending); with HW = 1 the
   * physical INTID is deactivated too, SGIs and special INTIDs excepted (UNPREDICTABLE; QEMU
   * ignores them).
   */
  private deactivateEntry(c: number, vid: number): void {
    const k = this.entryOf(c, vid);
    const lr = this.lr[k] & ~GichLr.Active;
    this.lr[k] = lr >>> 0;
    if (lr & GichLr.HW) {
      const pintid = (lr >>> GichLr.PhysicalIdShift) & GichLr.PhysicalIdMask;
      if (pintid >= 16 && pintid < FIRST_SPECIAL) this.wiring.deactivatePhysical(c, pintid);
    }
  }

  /**
   * GICV_EOIR (QEMU's gic_complete_irq for a vCPU): the priority drops; without EOImode the LR is
   * deactivated too, and an EOI that dropped a priority but matches no active LR counts in
   * GICH_HCR.EOICount.
   */
  endOfInterrupt(c: number, value: number): void {
    const vid = value & 0x3ff;
    if (vid >= FIRST_SPECIAL) return;
    const dropped = this.apr[c] !== 0;
    if (dropped) this.apr[c] = (this.apr[c] & (this.apr[c] - 1)) >>> 0;
    if (!(this.ctlr[c] & GicvCtlr.EOImode)) {
      const valid = this.activeEntryExists(c, vid);
      if (dropped && !valid) this.incrementEoiCount(c);
      else if (valid) this.deactivateEntry(c, vid);
    }
    this.update(c);
  }

  /** GICV_DIR: with EOImode only; a vINTID in no active LR counts in EOICount. */
  deactivate(c: number, value: number): void {
    const vid = value & 0x3ff;
    if (vid >= FIRST_SPECIAL || !(this.ctlr[c] & GicvCtlr.EOImode)) return;
    if (!this.activeEntryExists(c, vid)) this.incrementEoiCount(c);
    else this.deactivateEntry(c, vid);
  }
}
