/**
 * MSI-X (PCI Local Bus spec 3.0 section 6.8.2) as QEMU's hw/pci/msix.c gives it, in a BAR of
 * its own (msix_init_exclusive_bar): the vector table at offset 0 (16 bytes per vector:
 * address low, address high, data, vector control with its mask bit set at reset), the
 * pending-bit array at half the BAR (or right after the table when that is larger), the BAR
 * at least 4 KiB. The capability (12 bytes) holds Message Control (table size - 1, function
 * mask, enable) and the table's and PBA's offsets and BAR.
 *
 * A vector that fires while masked (its own bit, the function mask, or MSI-X disabled) sets
 * its pending bit, and is sent when unmasked (msix_handle_mask_update).
 */
import type { MmioDevice } from "../../memory/bus.js";
import type { PciFunction } from "./pci-function.js";

export const PCI_CAP_ID_MSIX = 0x11;
const MSIX_CAP_LENGTH = 12;
const FLAGS_ENABLE = 0x8000, FLAGS_MASKALL = 0x4000;
const ENTRY_SIZE = 16, ENTRY_CTRL = 12, VECTOR_MASKED = 1;

/** msix_init_exclusive_bar's layout: where the PBA goes and how big the BAR is. */
export function msixBarLayout(vectors: number): { size: number; pbaOffset: number } {
  let size = 4096, pbaOffset = size / 2;
  const pbaSize = Math.ceil(vectors / 64) * 8;
  if (pbaOffset < vectors * ENTRY_SIZE) {
    pbaOffset = vectors * ENTRY_SIZE;
    size = 1 << Math.ceil(Math.log2(pbaOffset + pbaSize));
  }
  return { size, pbaOffset };
}

export class Msix implements MmioDevice {
  readonly name = "msix";
  readonly table: Uint8Array;
  readonly pending: Uint8Array;
  private readonly cap: number;
  readonly barSize: number;
  private readonly pbaOffset: number;

  constructor(
    private readonly fn: PciFunction,
    readonly vectors: number,
    barIndex: number,
    private readonly send: (address: number, data: number) => void,
  ) {
    const { size, pbaOffset } = msixBarLayout(vectors);
    this.barSize = size;
    this.pbaOffset = pbaOffset;
    this.table = new Uint8Array(vectors * ENTRY_SIZE);
    this.pending = new Uint8Array(Math.ceil(vectors / 64) * 8);
    const at = this.cap = fn.addCapability(PCI_CAP_ID_MSIX, MSIX_CAP_LENGTH);
    const v = new DataView(fn.config.buffer);
    v.setUint16(at + 2, vectors - 1, true);
    v.setUint32(at + 4, barIndex, true); // table at offset 0
    v.setUint32(at + 8, (pbaOffset | barIndex) >>> 0, true);
    fn.wmask[at + 3] = (FLAGS_ENABLE | FLAGS_MASKALL) >>> 8;
    this.reset();
  }

  reset(): void {
    this.table.fill(0);
    for (let i = 0; i < this.vectors; i++) this.table[i * ENTRY_SIZE + ENTRY_CTRL] = VECTOR_MASKED;
    this.pending.fill(0);
    this.fn.config[this.cap + 3] &= ~((FLAGS_ENABLE | FLAGS_MASKALL) >>> 8);
  }

  private get flags(): number {
    return this.fn.config[this.cap + 2] | (this.fn.config[this.cap + 3] << 8);
  }

  get enabled(): boolean {
    return (this.flags & FLAGS_ENABLE) !== 0;
  }

  private masked(vector: number): boolean {
    const f = this.flags;
    return !(f & FLAGS_ENABLE) || (f & FLAGS_MASKALL) !== 0 || (this.table[vector * ENTRY_SIZE + ENTRY_CTRL] & VECTOR_MASKED) !== 0;
  }

  /** msix_notify: send vector `vector`, or hold it pending while masked. */
  notify(vector: number): void {
    if (vector >= this.vectors) return;
    if (this.masked(vector)) { this.pending[vector >>> 3] |= 1 << (vector & 7); return; }
    this.fire(vector);
  }

  private fire(vector: number): void {
    const v = new DataView(this.table.buffer), e = vector * ENTRY_SIZE;
    const address = v.getUint32(e, true) + v.getUint32(e + 4, true) * 0x100000000;
    this.send(address, v.getUint32(e + 8, true));
  }

  /** Pending vectors that are no longer masked go out (after a table or Message Control write). */
  unmasked(): void {
    for (let i = 0; i < this.vectors; i++) {
      if ((this.pending[i >>> 3] & (1 << (i & 7))) && !this.masked(i)) {
        this.pending[i >>> 3] &= ~(1 << (i & 7));
        this.fire(i);
      }
    }
  }

  /** The function's config write touched Message Control. */
  configWritten(reg: number, size: number): void {
    if (reg <= this.cap + 3 && reg + size > this.cap + 2) this.unmasked();
  }

  read(offset: number, size: number): number {
    const bytes = offset < this.pbaOffset ? this.table : this.pending;
    const at = offset < this.pbaOffset ? offset : offset - this.pbaOffset;
    if (at + size > bytes.length) return 0;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[at + i];
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    // The PBA is read-only; the table takes any width within an entry.
    if (offset >= this.pbaOffset || offset + size > this.table.length) return;
    for (let i = 0; i < size; i++) this.table[offset + i] = (value >>> (8 * i)) & 0xff;
    const ctrl = (offset & ~(ENTRY_SIZE - 1)) + ENTRY_CTRL;
    if (offset <= ctrl && offset + size > ctrl) this.unmasked();
  }
}
