/**
 * The grants a domain has mapped from other domains (Xen's maptrack, xen/common/grant_table.c
 * map_grant_ref and unmap_common), and the memory it gave back to make room for them.
 *
 * On Arm every guest is auto-translated, so GNTMAP_host_map places the granted page at the
 * caller's guest physical address host_addr (xen/arch/arm/mm.c create_grant_host_mapping):
 * one page of the partition's stage 2 then points at the granter's page, read-only when the
 * map asked for GNTMAP_readonly, never executable (Xen's p2m_grant_map_rw/ro types). A store
 * to a read-only mapping is a stage-2 permission fault, which the hypervisor answers as Xen
 * does an access it cannot resolve: a data abort injected into the guest.
 *
 * Where a mapping may go: a page of the partition's RAM that it handed back with
 * XENMEM_decrease_reservation first, which is what Linux does (its grant pages come from the
 * balloon). Xen would also let a mapping replace RAM that is still populated, or land in a
 * hole of the map; here anything but a handed-back page is GNTST_general_error, so a mapping
 * can never cover RAM the guest still uses, the Xen pages, or an emulated or passed-through
 * device's registers.
 */
import { GNTMAP, GNTST } from "./abi.js";
import type { GuestMemory, MemoryWindow } from "./guest-memory.js";
import type { GrantTable } from "./grant-table.js";

/** Maptrack entries a domain may hold (Xen sizes maptrack by max_maptrack_frames; 1024 frames of 512 is far beyond any test). */
export const MAX_GRANT_MAPPINGS = 4096;

/** What a mapping needs of the domain that granted it. */
export interface Granter {
  readonly domid: number;
  readonly grants: GrantTable;
}

/** One page of a partition's stage 2, changed: another page there, or nothing (a translation fault). */
export type Stage2PageSetter = (ipa: number, to: { pa: number; writable: boolean } | undefined) => void;

interface Mapping {
  granter: Granter;
  ref: number;
  gfn: number;
  pa: number;
  readonly: boolean;
  /** Its granter went away: the page is unmapped already, only the handle is left. */
  revoked: boolean;
}

export interface MapRequest { hostAddr: bigint; flags: number; ref: number; dom: number }
export interface UnmapRequest { hostAddr: bigint; devBusAddr: bigint; handle: number }

export class GrantMappings {
  private readonly handles: (Mapping | undefined)[] = [];

  constructor(
    private readonly domid: number,
    private readonly memory: GuestMemory,
    /** The domain's RAM windows: the pages it can give back and get again. */
    private readonly ram: readonly MemoryWindow[],
    private readonly setStage2Page: Stage2PageSetter,
    /** The domain with this id (this one included), or undefined. */
    private readonly domain: (domid: number) => Granter | undefined,
  ) {}

  /** Mappings in use. */
  get count(): number {
    return this.handles.filter((m) => m !== undefined).length;
  }

  /** GNTTABOP_map_grant_ref, one request: a GNTST status, and the handle and bus address on success. */
  map(r: MapRequest): { status: number; handle?: number; devBusAddr?: bigint } {
    if ((r.flags & (GNTMAP.device_map | GNTMAP.host_map)) === 0) return { status: GNTST.bad_gntref };
    // Auto-translated guests map grants into their own physical space only (Xen: "No device mapping in HVM domain").
    if (r.flags & (GNTMAP.device_map | GNTMAP.application_map | GNTMAP.contains_pte)) return { status: GNTST.general_error };
    const granter = this.domain(r.dom);
    if (!granter) return { status: GNTST.bad_domain };
    let handle = this.handles.indexOf(undefined);
    if (handle < 0) handle = this.handles.length;
    if (handle >= MAX_GRANT_MAPPINGS) return { status: GNTST.no_device_space };
    const readonly = (r.flags & GNTMAP.readonly) !== 0;
    const pinned = granter.grants.pin(r.ref, this.domid, readonly, true);
    if (typeof pinned === "number") return { status: pinned };
    // create_grant_host_mapping: host_addr's frame (its offset is ignored), a page given back before.
    const gfn = Number(r.hostAddr >> 12n);
    if (r.hostAddr >> 12n > BigInt(2 ** 28) || this.memory.changedPage(gfn) !== null || !this.isRamFrame(gfn)) {
      granter.grants.unpin(r.ref, readonly);
      return { status: GNTST.general_error };
    }
    this.memory.setPage(gfn, { pa: pinned.pa, writable: !readonly });
    this.setStage2Page(gfn * 4096, { pa: pinned.pa, writable: !readonly });
    this.handles[handle] = { granter, ref: r.ref, gfn, pa: pinned.pa, readonly, revoked: false };
    return { status: GNTST.okay, handle, devBusAddr: BigInt(pinned.pa) };
  }

  /**
   * GNTTABOP_unmap_grant_ref, one request (unmap_common, replace_grant_host_mapping on Arm): the
   * handle must be one in use; a non-zero dev_bus_addr must be the mapping's; a non-zero
   * host_addr must be where it is mapped, and unmaps it. host_addr 0 leaves it mapped.
   */
  unmap(r: UnmapRequest): number {
    const m = Number.isInteger(r.handle) ? this.handles[r.handle] : undefined;
    if (!m) return GNTST.bad_handle;
    if (r.devBusAddr !== 0n && r.devBusAddr !== BigInt(m.pa)) return GNTST.general_error;
    if (r.hostAddr === 0n) return GNTST.okay;
    if (r.hostAddr >> 12n !== BigInt(m.gfn)) return GNTST.general_error;
    this.release(r.handle, m);
    return GNTST.okay;
  }

  private release(handle: number, m: Mapping): void {
    if (!m.revoked) {
      this.memory.setPage(m.gfn, null);
      this.setStage2Page(m.gfn * 4096, undefined);
      m.granter.grants.unpin(m.ref, m.readonly);
    }
    this.handles[handle] = undefined;
  }

  /** Domain `granter` is going away: its pages leave this domain's stage 2 (the handles stay until unmapped). */
  revokeFrom(granter: Granter): void {
    for (const m of this.handles) {
      if (!m || m.granter !== granter || m.revoked) continue;
      this.memory.setPage(m.gfn, null);
      this.setStage2Page(m.gfn * 4096, undefined);
      m.revoked = true;
    }
  }

  /** This domain is going away: every mapping it holds is released, so its granters' entries are free again. */
  releaseAll(): void {
    this.handles.forEach((m, h) => { if (m) this.release(h, m); });
  }

  private isRamFrame(gfn: number): boolean {
    const ipa = gfn * 4096;
    return this.ram.some((w) => ipa >= w.ipa && ipa + 4096 <= w.ipa + w.size);
  }

  // ---- the reservation: pages handed back and populated again (XENMEM_decrease_reservation, populate_physmap) ----

  /** guest_remove_page: RAM frame `gfn` leaves the stage 2; false when it is not RAM in use (already given back, a mapping, not RAM). */
  giveBack(gfn: number): boolean {
    if (!Number.isSafeInteger(gfn) || !this.isRamFrame(gfn) || this.memory.changedPage(gfn) !== undefined) return false;
    this.memory.setPage(gfn, null);
    this.setStage2Page(gfn * 4096, undefined);
    return true;
  }

  /** A frame given back is RAM again, zeroed as Xen scrubs the pages it hands out; false when it was not given back. */
  populate(gfn: number): boolean {
    if (!Number.isSafeInteger(gfn) || !this.isRamFrame(gfn) || this.memory.changedPage(gfn) !== null) return false;
    this.memory.setPage(gfn, undefined);
    const w = this.ram.find((x) => gfn * 4096 >= x.ipa && gfn * 4096 + 4096 <= x.ipa + x.size)!;
    const pa = w.pa + (gfn * 4096 - w.ipa);
    this.memory.view(pa, 4096).fill(0);
    this.memory.written(gfn * 4096, 4096);
    this.setStage2Page(gfn * 4096, { pa, writable: w.writable });
    return true;
  }
}
