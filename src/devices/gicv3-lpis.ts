/**
 * The LPI half of the GICv3 redistributors (IHI 0069 5.1 "LPIs"), as QEMU 7.2's
 * hw/intc/arm_gicv3_redist.c models it: per CPU, GICR_CTLR.EnableLPIs, GICR_PROPBASER and
 * GICR_PENDBASER, with the LPI configuration table (a byte per LPI from INTID 8192: priority in
 * bits [7:2], enable in bit 0, 5.1.1) and the pending table (a bit per INTID, 5.1.2) both in
 * guest memory, where the guest and the ITS see them. The only thing kept here is each CPU's
 * highest-priority pending enabled LPI (QEMU's hpplpi), found again by scanning the pending table
 * whenever it may have changed. Direct LPI injection (GICR_SETLPIR, INVLPIR, INVALLR, SYNCR) is
 * absent, as in QEMU (GICR_TYPER.DirectLPI = 0): those registers read as zero.
 *
 * Tables outside RAM read as zero and writes to them are dropped, never an exception.
 */
import type { GuestMemory } from "./virtio/guest-memory.js";
import { FIRST_LPI, SPECIAL_NONE, type LpiSource } from "./gic-core.js";

/** GICD_TYPER.IDbits + 1: INTIDs have 16 bits, so LPIs are 8192-65535 (QEMU GICD_TYPER_IDBITS = 15). */
const MAX_ID_BITS_MINUS_1 = 15;
const CFG_ENABLE = 1, CFG_PRIORITY = 0xfc;
const NO_PRIORITY = 0xff;

export class GicV3Lpis implements LpiSource {
  readonly bestId: Int32Array;
  readonly bestPrio: Int32Array;
  private readonly enabled: Uint8Array;
  /** GICR_PROPBASER and GICR_PENDBASER as written (QEMU keeps every bit), low and high words. */
  readonly propLo: Uint32Array;
  readonly propHi: Uint32Array;
  readonly pendLo: Uint32Array;
  readonly pendHi: Uint32Array;

  /** `update` re-evaluates the CPU interfaces (GicCore.update) after a change here. */
  constructor(readonly ncpu: number, private readonly mem: GuestMemory, private readonly update: () => void) {
    this.bestId = new Int32Array(ncpu).fill(SPECIAL_NONE);
    this.bestPrio = new Int32Array(ncpu).fill(NO_PRIORITY);
    this.enabled = new Uint8Array(ncpu);
    this.propLo = new Uint32Array(ncpu); this.propHi = new Uint32Array(ncpu);
    this.pendLo = new Uint32Array(ncpu); this.pendHi = new Uint32Array(ncpu);
  }

  lpisEnabled(cpu: number): boolean {
    return this.enabled[cpu] !== 0;
  }

  /**
   * GICR_CTLR.EnableLPIs (IHI 0069 12.11.2). QEMU lets it be cleared again; enabling scans the
   * pending table for what is already pending there.
   */
  writeEnable(cpu: number, on: boolean): void {
    this.enabled[cpu] = on ? 1 : 0;
    if (on) this.rescan(cpu);
    else this.clearBest(cpu);
    this.update();
  }

  /** GICR_PROPBASER.IDbits, capped at the GIC's 16 INTID bits (QEMU: MIN(IDbits, GICD_TYPER_IDBITS)). */
  private idBits(cpu: number): number {
    return Math.min(this.propLo[cpu] & 0x1f, MAX_ID_BITS_MINUS_1);
  }

  /** GICR_PROPBASER.Physical_Address, bits [51:12]. */
  private propBase(cpu: number): number {
    return (this.propHi[cpu] & 0xfffff) * 0x100000000 + ((this.propLo[cpu] & 0xfffff000) >>> 0);
  }

  /** GICR_PENDBASER.Physical_Address, bits [51:16] (the table is 64 KiB aligned). */
  private pendBase(cpu: number): number {
    return (this.pendHi[cpu] & 0xfffff) * 0x100000000 + ((this.pendLo[cpu] & 0xffff0000) >>> 0);
  }

  private readByte(pa: number): number {
    return this.mem.view(pa, 1)?.[0] ?? 0;
  }

  private writeByte(pa: number, v: number): void {
    const b = this.mem.writableView(pa, 1);
    if (b) b[0] = v;
  }

  private clearBest(cpu: number): void {
    this.bestId[cpu] = SPECIAL_NONE;
    this.bestPrio[cpu] = NO_PRIORITY;
  }

  /** If LPI `intid` is enabled and beats the CPU's best, it becomes the best (QEMU update_for_one_lpi). */
  private consider(cpu: number, intid: number): void {
    const cfg = this.readByte(this.propBase(cpu) + intid - FIRST_LPI);
    if (!(cfg & CFG_ENABLE)) return;
    const prio = cfg & CFG_PRIORITY;
    const best = this.bestPrio[cpu];
    if (prio < best || (prio === best && intid <= this.bestId[cpu])) {
      this.bestId[cpu] = intid;
      this.bestPrio[cpu] = prio;
    }
  }

  /** Find the CPU's best pending enabled LPI from the tables (QEMU gicv3_redist_update_lpi_only). */
  private rescan(cpu: number): void {
    this.clearBest(cpu);
    if (!this.enabled[cpu]) return;
    const bytes = (1 << (this.idBits(cpu) + 1)) / 8;
    const base = this.pendBase(cpu);
    const whole = bytes > FIRST_LPI / 8 ? this.mem.view(base + FIRST_LPI / 8, bytes - FIRST_LPI / 8) : undefined;
    for (let i = FIRST_LPI / 8; i < bytes; i++) {
      let pend = whole ? whole[i - FIRST_LPI / 8] : this.readByte(base + i);
      while (pend) {
        const bit = 31 - Math.clz32(pend & -pend);
        this.consider(cpu, i * 8 + bit);
        pend &= ~(1 << bit);
      }
    }
  }

  /** Set or clear an LPI's bit in a pending table; false when it already had that value. */
  private setPendingBit(cpu: number, intid: number, level: boolean): boolean {
    const pa = this.pendBase(cpu) + (intid >>> 3);
    const byte = this.readByte(pa), bit = 1 << (intid & 7);
    if (((byte & bit) !== 0) === level) return false;
    this.writeByte(pa, level ? byte | bit : byte & ~bit);
    return true;
  }

  /** QEMU gicv3_redist_lpi_pending: change the pending bit, then the cached best if it matters. */
  private setPending(cpu: number, intid: number, level: boolean, notify: boolean): void {
    if (!this.setPendingBit(cpu, intid, level)) return;
    if (level) this.consider(cpu, intid);
    else if (intid === this.bestId[cpu]) this.rescan(cpu);
    else return;
    if (notify) this.update();
  }

  /**
   * An LPI made pending (level) or not pending through the ITS (QEMU gicv3_redist_process_lpi):
   * ignored while LPIs are off or when the INTID is beyond the configuration table.
   */
  processLpi(cpu: number, intid: number, level: boolean): void {
    if (!this.enabled[cpu] || intid < FIRST_LPI || intid > 2 ** (this.idBits(cpu) + 1) - 1) return;
    this.setPending(cpu, intid, level, true);
  }

  /** The CPU interface acknowledged the LPI: it stops being pending (the caller updates). */
  acknowledged(cpu: number, intid: number): void {
    this.setPending(cpu, intid, false, false);
  }

  /** INV, INVALL: the configuration table may have changed (QEMU gicv3_redist_inv_lpi, update_lpi). */
  invalidate(cpu: number): void {
    if (this.enabled[cpu]) this.rescan(cpu);
    this.update();
  }

  /** MOVI: the LPI's pending state goes from one redistributor to another (QEMU gicv3_redist_mov_lpi). */
  moveLpi(from: number, to: number, intid: number): void {
    if (!this.enabled[from] || !this.enabled[to]) return;
    const idBits = Math.min(this.idBits(from), this.idBits(to));
    // As QEMU, the bound compares the INTID's byte index with the table's size in bits.
    if ((intid >>> 3) >= 2 ** (idBits + 1)) return;
    if (!this.setPendingBit(from, intid, false)) return;
    if (intid === this.bestId[from]) { this.rescan(from); this.update(); }
    this.setPending(to, intid, true, true);
  }

  /** MOVALL: every pending LPI of one redistributor becomes pending on the other (QEMU gicv3_redist_movall_lpis). */
  moveAll(from: number, to: number): void {
    if (!this.enabled[from] || !this.enabled[to]) return;
    const bytes = (1 << (Math.min(this.idBits(from), this.idBits(to)) + 1)) / 8;
    const src = this.pendBase(from), dst = this.pendBase(to);
    for (let i = FIRST_LPI / 8; i < bytes; i++) {
      const s = this.readByte(src + i);
      if (!s) continue;
      const d = this.readByte(dst + i);
      this.writeByte(src + i, 0);
      this.writeByte(dst + i, d | s);
    }
    this.rescan(from);
    this.rescan(to);
    this.update();
  }
}
