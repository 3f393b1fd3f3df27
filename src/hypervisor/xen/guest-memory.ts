/**
 * A Xen partition's memory as its hypercalls reach it. Two kinds of addresses come in:
 *  - guest frame numbers (shared_info, vcpu_info, the rings): intermediate physical addresses,
 *    resolved through the partition's stage-2 map (its RAM areas and the Xen pages the
 *    hypervisor backs);
 *  - guest handles (hypercall argument structures, buffers): on Arm these are the guest's
 *    virtual addresses (xen/include/public/arch-arm.h, "guest handles"), which Xen translates
 *    with the vCPU's own stage 1 and then stage 2, as an AT S12E1R/W would.
 * Only RAM counts: an address that lands outside it (a device, a hole, another partition) is a
 * fault, which the caller turns into -EFAULT.
 */
import { Access, type Cpu, type Translation } from "../../cpu/cpu.js";
import { translate } from "../../cpu/mmu.js";
import type { Bus } from "../../memory/bus.js";

/** One stretch of the partition's IPA space backed by RAM. */
export interface MemoryWindow {
  ipa: number;
  pa: number;
  size: number;
  writable: boolean;
}

/** A page of another domain mapped into this one's IPA space through a grant (GNTTABOP_map_grant_ref). */
export interface ForeignPage {
  pa: number;
  writable: boolean;
}

export class GuestMemory {
  private readonly t: Translation = { pa: 0, fault: -1, faultS2: false, cacheable: true };
  /**
   * Pages of the windows whose stage-2 mapping changed since boot, by guest frame: null for a
   * page the guest handed back (XENMEM_decrease_reservation), a ForeignPage for a grant
   * mapped there. The hypervisor's own structures (shared_info, rings, grant frames) never
   * live in either; a hypercall's buffer may be in a grant mapping it was given.
   */
  private readonly changed = new Map<number, ForeignPage | null>();
  /** The physical pages of the grant mappings (page number -> writable), for hypercall buffers there. */
  private readonly foreignPa = new Map<number, boolean>();

  constructor(private readonly bus: Bus, readonly windows: readonly MemoryWindow[], private readonly vcpus: readonly Cpu[]) {}

  /** The window holding [ipa, ipa + length), or undefined; a range over a changed page is in none. */
  private windowOfIpa(ipa: number, length: number): MemoryWindow | undefined {
    if (!Number.isSafeInteger(ipa) || ipa < 0 || length < 0) return undefined;
    for (const w of this.windows) {
      if (ipa >= w.ipa && ipa + length <= w.ipa + w.size) {
        if (this.changed.size) for (let g = Math.floor(ipa / 4096); g <= Math.floor((ipa + Math.max(0, length - 1)) / 4096); g++) if (this.changed.has(g)) return undefined;
        return w;
      }
    }
    return undefined;
  }

  private windowOfPa(pa: number, length: number): MemoryWindow | undefined {
    for (const w of this.windows) if (pa >= w.pa && pa + length <= w.pa + w.size) return w;
    const page = Math.floor(pa / 4096);
    if (this.foreignPa.has(page) && Math.floor((pa + length - 1) / 4096) === page) return { ipa: -1, pa: page * 4096, size: 4096, writable: this.foreignPa.get(page)! };
    return undefined;
  }

  /** The physical page behind guest frame `gfn` when it is plain RAM of one of `windows` (not handed back, not a grant mapping). */
  ramPage(gfn: number, windows: readonly MemoryWindow[] = this.windows): { pa: number; writable: boolean } | undefined {
    if (!Number.isSafeInteger(gfn) || gfn < 0 || this.changed.has(gfn)) return undefined;
    const ipa = gfn * 4096;
    for (const w of windows) if (ipa >= w.ipa && ipa + 4096 <= w.ipa + w.size) return { pa: w.pa + (ipa - w.ipa), writable: w.writable };
    return undefined;
  }

  /** What guest frame `gfn` is now, when it is no longer the RAM of its window. */
  changedPage(gfn: number): ForeignPage | null | undefined {
    return this.changed.get(gfn);
  }

  /** Guest frame `gfn` is handed back (null), or holds a grant mapping, or (undefined) is its window's RAM again. */
  setPage(gfn: number, to: ForeignPage | null | undefined): void {
    if (to === undefined) this.changed.delete(gfn);
    else this.changed.set(gfn, to);
    // The same page may be mapped at two frames, read-only at one: writable if any mapping is.
    this.foreignPa.clear();
    for (const f of this.changed.values()) if (f) this.foreignPa.set(f.pa / 4096, f.writable || this.foreignPa.get(f.pa / 4096) === true);
  }

  /** The bytes at physical `pa` (inside a window, so RAM) as a view. */
  view(pa: number, length: number): Uint8Array {
    const r = this.bus.rams[this.bus.findRam(pa)];
    return r.bytes.subarray(pa - r.base, pa - r.base + length);
  }

  /** A live view of [ipa, ipa + length) for the hypervisor's own structures; undefined outside RAM. */
  ipaView(ipa: number, length: number, writable = true): Uint8Array | undefined {
    const w = this.windowOfIpa(ipa, length);
    if (!w || (writable && !w.writable)) return undefined;
    return this.view(w.pa + (ipa - w.ipa), length);
  }

  /**
   * The hypervisor stored into guest memory behind the vCPUs' backs: a vCPU between a load- and
   * a store-exclusive must see its reservation lost (ARM ARM B2.9: a monitor may be cleared at
   * any time; the store-exclusive then fails and the guest retries with the new value).
   */
  touched(): void {
    for (const v of this.vcpus) v.exclusiveValid = false;
  }

  /** The hypervisor stored `length` bytes at `ipa` through a view: as touched(), and pre-decoded code there is dropped. */
  written(ipa: number, length: number): void {
    const w = this.windowOfIpa(ipa, length);
    if (w) this.dropCode(w.pa + (ipa - w.ipa), length);
    this.touched();
  }

  /** Drop the pre-decoded code of the pages [pa, pa + length) touch, as every store into RAM must (Bus.codeWritten). */
  /** The hypervisor stored `length` bytes at physical `pa` (a page a grant gave): pre-decoded code there is dropped, reservations lost. */
  dropCodeAt(pa: number, length: number): void {
    this.dropCode(pa, length);
    this.touched();
  }

  private dropCode(pa: number, length: number): void {
    const ri = this.bus.findRam(pa), r = this.bus.rams[ri];
    for (let p = (pa - r.base) >>> 12; p <= (pa - r.base + Math.max(0, length - 1)) >>> 12; p++) this.bus.codeWritten(ri, p);
  }

  /** Translate a guest virtual address of `cpu` to a physical address with `length` bytes inside the partition's RAM. */
  private vaToPa(cpu: Cpu, va: bigint, write: boolean, length: number): number | undefined {
    if (va < 0n || va > 0xffff_ffff_ffff_ffffn) return undefined;
    const t = this.t;
    translate(cpu, Number(va & 0xffffffffn) | 0, Number(va >> 32n) | 0, write ? Access.Write : Access.Read, 1, t);
    if (t.fault >= 0) return undefined;
    const w = this.windowOfPa(t.pa, length);
    if (!w || (write && !w.writable)) return undefined;
    return t.pa;
  }

  /** Copy `length` bytes in from the guest virtual address `va`, page by page; undefined on a fault. */
  copyFromGuest(cpu: Cpu, va: bigint, length: number): Uint8Array | undefined {
    if (length < 0 || length > 1 << 20) return undefined;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = va + BigInt(done);
      const n = Math.min(length - done, 4096 - Number(at & 0xfffn));
      const pa = this.vaToPa(cpu, at, false, n);
      if (pa === undefined) return undefined;
      out.set(this.view(pa, n), done);
      done += n;
    }
    return out;
  }

  /** Copy `data` out to the guest virtual address `va`; false on a fault (nothing is written then). */
  copyToGuest(cpu: Cpu, va: bigint, data: Uint8Array): boolean {
    const pieces: { pa: number; from: number; n: number }[] = [];
    let done = 0;
    while (done < data.length) {
      const at = va + BigInt(done);
      const n = Math.min(data.length - done, 4096 - Number(at & 0xfffn));
      const pa = this.vaToPa(cpu, at, true, n);
      if (pa === undefined) return false;
      pieces.push({ pa, from: done, n });
      done += n;
    }
    for (const p of pieces) { this.view(p.pa, p.n).set(data.subarray(p.from, p.from + p.n)); this.dropCode(p.pa, p.n); }
    this.touched();
    return true;
  }
}

/** Little-endian field access on a byte view (Xen's structures on Arm are little-endian). */
export function u16(b: Uint8Array, off: number): number { return b[off] | (b[off + 1] << 8); }
export function u32(b: Uint8Array, off: number): number { return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0; }
export function u64(b: Uint8Array, off: number): bigint { return (BigInt(u32(b, off + 4)) << 32n) | BigInt(u32(b, off)); }
export function setU16(b: Uint8Array, off: number, v: number): void { b[off] = v & 0xff; b[off + 1] = (v >>> 8) & 0xff; }
export function setU32(b: Uint8Array, off: number, v: number): void { for (let i = 0; i < 4; i++) b[off + i] = (v >>> (8 * i)) & 0xff; }
export function setU64(b: Uint8Array, off: number, v: bigint): void { setU32(b, off, Number(v & 0xffffffffn)); setU32(b, off + 4, Number((v >> 32n) & 0xffffffffn)); }
