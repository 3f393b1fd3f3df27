/**
 * Guest RAM as a DMA-capable device sees it: byte ranges that must lie wholly inside one RAM
 * region of the bus (a descriptor pointing at MMIO, a hole or across the end of RAM is the
 * guest's error, reported as undefined/false, never an exception). Writes tell the bus which
 * pages changed so pre-decoded code in them is dropped (Bus.codeWritten), as a CPU store would.
 *
 * A device of a partition sees the partition's guest physical addresses: `windows` then say
 * which stretches of them are its RAM and where that lies in the board's RAM (its stage-2
 * map's RAM part). An address outside every window is not RAM to the device, whatever the
 * board has there, so a partition's device can reach that partition's memory and no other.
 */
import type { Bus, RamRegion } from "../../memory/bus.js";

/** A stretch of a partition's guest physical space backed by board RAM. */
export interface DmaWindow {
  ipa: number;
  pa: number;
  size: number;
  writable: boolean;
}

export class GuestMemory {
  constructor(private readonly bus: Bus, private readonly windows?: readonly DmaWindow[]) {}

  private locate(addr: number, length: number, write = false): { ri: number; r: RamRegion; off: number } | undefined {
    if (!Number.isSafeInteger(addr) || addr < 0 || length < 0) return undefined;
    let pa = addr;
    if (this.windows) {
      const w = this.windows.find((w) => addr >= w.ipa && addr + length <= w.ipa + w.size);
      if (!w || (write && !w.writable)) return undefined;
      pa = w.pa + (addr - w.ipa);
    }
    const ri = this.bus.findRam(pa);
    if (ri < 0) return undefined;
    const r = this.bus.rams[ri];
    const off = pa - r.base;
    if (off + length > r.size) return undefined;
    return { ri, r, off };
  }

  /** A view of `length` bytes at `pa` (not a copy), or undefined if they are not all RAM. */
  view(pa: number, length: number): Uint8Array | undefined {
    const at = this.locate(pa, length);
    return at && at.r.bytes.subarray(at.off, at.off + length);
  }

  /** A view for the device to fill; the pages are marked written first. Undefined for ROM or non-RAM. */
  writableView(pa: number, length: number): Uint8Array | undefined {
    const at = this.locate(pa, length, true);
    if (!at || at.r.readOnly) return undefined;
    this.touch(at.ri, at.off, length);
    return at.r.bytes.subarray(at.off, at.off + length);
  }

  readU16(pa: number): number | undefined {
    const at = this.locate(pa, 2);
    return at && at.r.view.getUint16(at.off, true);
  }

  readU32(pa: number): number | undefined {
    const at = this.locate(pa, 4);
    return at && at.r.view.getUint32(at.off, true);
  }

  /** A 64-bit little-endian value as a number; undefined when not RAM or not exactly representable. */
  readU64(pa: number): number | undefined {
    const at = this.locate(pa, 8);
    if (!at) return undefined;
    const lo = at.r.view.getUint32(at.off, true), hi = at.r.view.getUint32(at.off + 4, true);
    return hi >= 0x200000 ? undefined : hi * 0x100000000 + lo;
  }

  writeU16(pa: number, value: number): boolean {
    const at = this.locate(pa, 2, true);
    if (!at || at.r.readOnly) return false;
    this.touch(at.ri, at.off, 2);
    at.r.view.setUint16(at.off, value, true);
    return true;
  }

  writeU32(pa: number, value: number): boolean {
    const at = this.locate(pa, 4, true);
    if (!at || at.r.readOnly) return false;
    this.touch(at.ri, at.off, 4);
    at.r.view.setUint32(at.off, value >>> 0, true);
    return true;
  }

  private touch(ri: number, off: number, length: number): void {
    if (length === 0) return;
    for (let p = off >>> 12; p <= (off + length - 1) >>> 12; p++) this.bus.codeWritten(ri, p);
  }
}
