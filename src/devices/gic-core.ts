/**
 * State and prioritisation shared by the GICv2 (IHI 0048) and GICv3 (IHI 0069) models: the
 * per-interrupt enable/pending/active/group/priority/trigger state, the CPU interface's
 * priority mask, binary point and active priorities, and the choice of the highest-priority
 * pending interrupt (HPPI) for each CPU.
 *
 * INTIDs 0-15 are SGIs and 16-31 PPIs (banked per CPU), 32 and up SPIs (shared). Pending
 * state is `latch || (level-sensitive && line asserted)`: a level interrupt stays pending while
 * its input is high, an edge interrupt is latched on the rising edge (IHI 0069 4.1.1, 4.1.2).
 */

export const SPECIAL_NONE = 1023;

export interface ActivePriority { priority: number; group: number }

/** First LPI INTID (IHI 0069 2.2.1): INTIDs from 8192 up are LPIs. */
export const FIRST_LPI = 8192;

/**
 * The LPIs a GICv3 redistributor holds pending (src/devices/gicv3-lpis.ts): their state lives in
 * guest memory, so the core only sees each CPU's cached highest-priority pending LPI. LPIs are
 * always Group 1 and have no active state (IHI 0069 5.1): acknowledging one clears its pending bit.
 */
export interface LpiSource {
  /** Per CPU: the best pending enabled LPI, SPECIAL_NONE when there is none. */
  readonly bestId: Int32Array;
  /** Its priority (the configuration byte's bits [7:2]). */
  readonly bestPrio: Int32Array;
  /** The CPU acknowledged LPI `intid`. */
  acknowledged(cpu: number, intid: number): void;
}

export class GicCore {
  readonly ncpu: number;
  readonly nirq: number;
  // Per interrupt, indexed by slot(): private ones first (32 per CPU), then SPIs.
  readonly enabled: Uint8Array;
  readonly latch: Uint8Array;
  readonly line: Uint8Array;
  readonly edge: Uint8Array;
  readonly active: Uint8Array;
  readonly group: Uint8Array;
  readonly priority: Uint8Array;
  /** CPUs each SPI may be delivered to (GICv2 ITARGETSR, GICv3 IROUTER), a bit per CPU. */
  readonly spiTargets: Uint8Array;
  /** GICv2 SGIs: pending source CPUs per (target CPU, SGI), a bit per source. */
  readonly sgiSources: Uint8Array;

  enableGrp0 = false;
  enableGrp1 = false;
  // CPU interfaces.
  readonly pmr: Uint8Array;
  readonly bpr0: Uint8Array;
  readonly bpr1: Uint8Array;
  readonly grpEn0: Uint8Array;
  readonly grpEn1: Uint8Array;
  readonly eoiMode: Uint8Array;
  readonly activePriorities: ActivePriority[][];
  /** Priority bits implemented: values are masked to the top `priorityBits` bits. */
  readonly priorityMask: number;
  readonly minBpr0: number;
  // HPPI per CPU, refreshed by update().
  readonly hppiId: Int32Array;
  readonly hppiPrio: Int32Array;
  readonly hppiGroup: Int32Array;

  /** The redistributors' LPIs (GICv3 with LPIs only). */
  lpis: LpiSource | undefined;

  constructor(ncpu: number, nirq: number, readonly priorityBits: number,
    /** Drive the CPU's IRQ and FIQ inputs for its highest-priority signalled interrupt. */
    private readonly signal: (cpu: number, intid: number, group: number, signalled: boolean) => void) {
    this.ncpu = ncpu;
    this.nirq = nirq;
    const n = ncpu * 32 + (nirq - 32);
    this.enabled = new Uint8Array(n); this.latch = new Uint8Array(n); this.line = new Uint8Array(n);
    this.edge = new Uint8Array(n); this.active = new Uint8Array(n); this.group = new Uint8Array(n);
    this.priority = new Uint8Array(n);
    this.spiTargets = new Uint8Array(nirq);
    this.sgiSources = new Uint8Array(ncpu * 16);
    this.pmr = new Uint8Array(ncpu);
    this.priorityMask = (0xff << (8 - priorityBits)) & 0xff;
    this.minBpr0 = 7 - priorityBits;
    this.bpr0 = new Uint8Array(ncpu).fill(this.minBpr0);
    this.bpr1 = new Uint8Array(ncpu).fill(this.minBpr0 + 1);
    this.grpEn0 = new Uint8Array(ncpu); this.grpEn1 = new Uint8Array(ncpu); this.eoiMode = new Uint8Array(ncpu);
    this.activePriorities = Array.from({ length: ncpu }, () => []);
    this.hppiId = new Int32Array(ncpu).fill(SPECIAL_NONE);
    this.hppiPrio = new Int32Array(ncpu).fill(0xff);
    this.hppiGroup = new Int32Array(ncpu);
    // SGIs are always edge-triggered (ICFGR0 reads as 0xaaaaaaaa).
    for (let c = 0; c < ncpu; c++) for (let i = 0; i < 16; i++) this.edge[c * 32 + i] = 1;
  }

  /** Storage index of INTID `intid` as seen by CPU `cpu`. */
  slot(cpu: number, intid: number): number {
    return intid < 32 ? cpu * 32 + intid : this.ncpu * 32 + intid - 32;
  }

  isPending(s: number): boolean {
    return this.latch[s] !== 0 || (this.edge[s] === 0 && this.line[s] !== 0);
  }

  /** An interrupt input changed level (devices, timers). */
  setInput(cpu: number, intid: number, level: boolean): void {
    if (intid >= this.nirq) return;
    const s = this.slot(cpu, intid);
    const v = level ? 1 : 0;
    if (this.line[s] === v) return;
    this.line[s] = v;
    if (v && this.edge[s]) this.latch[s] = 1;
    this.update();
  }

  setPendingLatch(s: number, v: number): void {
    this.latch[s] = v;
  }

  /** Group priority of `prio` for `group` under the CPU's binary point (IHI 0069 4.8.5). */
  groupPriority(cpu: number, prio: number, group: number): number {
    const bits = group === 0 ? this.bpr0[cpu] + 1 : this.bpr1[cpu];
    return prio & ((0xff << bits) & 0xff) & this.priorityMask;
  }

  runningPriority(cpu: number): number {
    let p = 0xff;
    for (const a of this.activePriorities[cpu]) if (a.priority < p) p = a.priority;
    return p;
  }

  private groupEnabled(cpu: number, group: number): boolean {
    return group === 0 ? this.enableGrp0 && this.grpEn0[cpu] !== 0 : this.enableGrp1 && this.grpEn1[cpu] !== 0;
  }

  /** Recompute the HPPI of one CPU (highest priority = lowest value; ties go to the lowest INTID). */
  computeHppi(cpu: number): void {
    let best = SPECIAL_NONE, bestPrio = 0x100, bestGroup = 0;
    const consider = (intid: number, s: number) => {
      if (!this.enabled[s] || this.active[s] || !this.isPending(s)) return;
      const g = this.group[s];
      if (!this.groupEnabled(cpu, g)) return;
      const p = this.priority[s] & this.priorityMask;
      if (p < bestPrio) { bestPrio = p; best = intid; bestGroup = g; }
    };
    const base = cpu * 32;
    for (let i = 0; i < 32; i++) consider(i, base + i);
    const bit = 1 << cpu, sb = this.ncpu * 32 - 32;
    for (let i = 32; i < this.nirq; i++) if (this.spiTargets[i] & bit) consider(i, sb + i);
    // The best LPI competes last and so loses ties to the lower INTIDs, as in QEMU's
    // gicv3_redist_update_noirqset (irqbetter: equal priority goes to the lower INTID).
    const lpis = this.lpis;
    if (lpis !== undefined && lpis.bestId[cpu] !== SPECIAL_NONE && lpis.bestPrio[cpu] < bestPrio && this.groupEnabled(cpu, 1)) {
      best = lpis.bestId[cpu]; bestPrio = lpis.bestPrio[cpu]; bestGroup = 1;
    }
    this.hppiId[cpu] = best;
    this.hppiPrio[cpu] = best === SPECIAL_NONE ? 0xff : bestPrio;
    this.hppiGroup[cpu] = bestGroup;
  }

  /** Whether the CPU's HPPI may be signalled: above the priority mask and the running priority. */
  canSignal(cpu: number): boolean {
    const id = this.hppiId[cpu];
    if (id === SPECIAL_NONE) return false;
    const p = this.hppiPrio[cpu];
    return p < (this.pmr[cpu] & this.priorityMask) &&
      this.groupPriority(cpu, p, this.hppiGroup[cpu]) < this.runningPriority(cpu);
  }

  update(): void {
    for (let c = 0; c < this.ncpu; c++) {
      this.computeHppi(c);
      this.signal(c, this.hppiId[c], this.hppiGroup[c], this.canSignal(c));
    }
  }

  /**
   * Acknowledge (IAR): the HPPI becomes active, its pending latch clears and its group priority
   * becomes the running priority. `wantGroup` -1 accepts either group. Returns INTID or 1023.
   */
  acknowledge(cpu: number, wantGroup: number): number {
    this.computeHppi(cpu);
    const id = this.hppiId[cpu];
    if (id === SPECIAL_NONE || !this.canSignal(cpu)) return SPECIAL_NONE;
    const g = this.hppiGroup[cpu];
    if (wantGroup >= 0 && g !== wantGroup) return SPECIAL_NONE;
    if (id >= FIRST_LPI) this.lpis!.acknowledged(cpu, id);
    else {
      const s = this.slot(cpu, id);
      this.active[s] = 1;
      this.latch[s] = 0;
    }
    this.activePriorities[cpu].push({ priority: this.groupPriority(cpu, this.hppiPrio[cpu], g), group: g });
    return id;
  }

  /** Priority drop (EOIR): remove the highest active priority. */
  dropPriority(cpu: number): void {
    const ap = this.activePriorities[cpu];
    if (ap.length === 0) return;
    let at = 0;
    for (let i = 1; i < ap.length; i++) if (ap[i].priority < ap[at].priority) at = i;
    ap.splice(at, 1);
  }

  /**
   * Called when an interrupt is deactivated, so the model behind a level line whose state the
   * guest changes without telling it (a flag in shared memory) re-reads it before the line is
   * sampled again: KVM's resampling irqfd, Xen's evtchn PPI re-evaluated on the vCPU's next entry.
   */
  onDeactivate: ((cpu: number, intid: number) => void) | undefined;

  deactivate(cpu: number, intid: number): void {
    if (intid >= this.nirq) return;
    this.active[this.slot(cpu, intid)] = 0;
    this.onDeactivate?.(cpu, intid);
  }

  /** Bitmap view of the active priorities of one group (ICC_AP0R0/AP1R0, GICC_APR0): bit n = priority n << (8 - bits). */
  activePriorityBits(cpu: number, group: number): number {
    let v = 0;
    for (const a of this.activePriorities[cpu]) {
      if (a.group === group) v |= 1 << ((a.priority >> (8 - this.priorityBits)) & 31);
    }
    return v >>> 0;
  }

  setActivePriorityBits(cpu: number, group: number, value: number): void {
    // Software writes these only to save/restore or to clear them (Linux writes 0 at boot).
    const keep = this.activePriorities[cpu].filter((a) => a.group !== group);
    for (let b = 0; b < 32; b++) if (value & (1 << b)) keep.push({ priority: (b << (8 - this.priorityBits)) & 0xff, group });
    this.activePriorities[cpu] = keep;
  }

  // ---- the bit-per-interrupt and byte-per-interrupt register blocks (same layout in GICD, GICR_SGI) ----

  /**
   * Read one 32-bit word of a register block at `regOffset` (relative to IGROUPR = 0x80), for
   * INTIDs starting at `firstIntid`. Returns undefined for offsets outside the blocks.
   */
  readBlock(cpu: number, regOffset: number, firstIntid: number): number | undefined {
    const word = (fn: (s: number, intid: number) => number, bitsPer: number): number => {
      let v = 0;
      const per = 32 / bitsPer;
      for (let i = 0; i < per; i++) {
        const intid = firstIntid + i;
        if (intid >= this.nirq) break;
        v |= fn(this.slot(cpu, intid), intid) << (i * bitsPer);
      }
      return v >>> 0;
    };
    if (regOffset >= 0x80 && regOffset < 0x100) return word((s) => this.group[s], 1);
    if (regOffset >= 0x100 && regOffset < 0x200) return word((s) => this.enabled[s], 1);
    if (regOffset >= 0x200 && regOffset < 0x300) return word((s) => (this.isPending(s) ? 1 : 0), 1);
    if (regOffset >= 0x300 && regOffset < 0x400) return word((s) => this.active[s], 1);
    if (regOffset >= 0xc00 && regOffset < 0xd00) return word((s) => (this.edge[s] ? 2 : 0), 2);
    return undefined;
  }

  /** Write one 32-bit word of a bit-per-interrupt block; returns false if not such a register. */
  writeBlock(cpu: number, regOffset: number, firstIntid: number, value: number): boolean {
    const each = (fn: (s: number, intid: number, bit: number) => void, bitsPer: number): void => {
      const per = 32 / bitsPer;
      for (let i = 0; i < per; i++) {
        const intid = firstIntid + i;
        if (intid >= this.nirq) break;
        fn(this.slot(cpu, intid), intid, (value >>> (i * bitsPer)) & ((1 << bitsPer) - 1));
      }
    };
    if (regOffset >= 0x80 && regOffset < 0x100) each((s, _i, b) => { this.group[s] = b; }, 1);
    else if (regOffset >= 0x100 && regOffset < 0x180) each((s, _i, b) => { if (b) this.enabled[s] = 1; }, 1);
    else if (regOffset >= 0x180 && regOffset < 0x200) each((s, _i, b) => { if (b) this.enabled[s] = 0; }, 1);
    else if (regOffset >= 0x200 && regOffset < 0x280) each((s, _i, b) => { if (b) this.latch[s] = 1; }, 1);
    else if (regOffset >= 0x280 && regOffset < 0x300) each((s, _i, b) => { if (b) this.latch[s] = 0; }, 1);
    else if (regOffset >= 0x300 && regOffset < 0x380) each((s, _i, b) => { if (b) this.active[s] = 1; }, 1);
    else if (regOffset >= 0x380 && regOffset < 0x400) each((s, _i, b) => { if (b) this.active[s] = 0; }, 1);
    else if (regOffset >= 0xc00 && regOffset < 0xd00) {
      // SGIs stay edge-triggered; bit 1 of each field selects edge (IHI 0069 12.9.9).
      each((s, intid, f) => { if (intid >= 16) this.edge[s] = (f >> 1) & 1; }, 2);
    } else return false;
    return true;
  }

  readPriorityByte(cpu: number, intid: number): number {
    return intid < this.nirq ? this.priority[this.slot(cpu, intid)] & this.priorityMask : 0;
  }

  writePriorityByte(cpu: number, intid: number, v: number): void {
    if (intid < this.nirq) this.priority[this.slot(cpu, intid)] = v & this.priorityMask;
  }
}

/** Read `size` bytes at `offset` from a little-endian ID register table starting at `base`. */
export function idRegister(ids: number[], base: number, offset: number): number {
  const i = (offset - base) >> 2;
  return i >= 0 && i < ids.length ? ids[i] : 0;
}
