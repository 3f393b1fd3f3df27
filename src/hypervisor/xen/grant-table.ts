/**
 * A domain's grant table, version 1 (xen/include/public/grant_table.h, xen/common/grant_table.c):
 * frames of 512 grant_entry_v1 (flags, domid, frame) that the guest fills to share its pages.
 * An auto-translated guest (all of them on Arm) places frame i where it wants it with
 * XENMEM_add_to_physmap(XENMAPSPACE_grant_table, idx = i); Linux puts them in the region the
 * /hypervisor node's reg gives. GNTTABOP_setup_table reports where the frames are.
 *
 * A frame is the page at the guest frame it was mapped to (RAM, or the hypervisor's pages
 * behind the grant region), zeroed when first mapped, as Xen's frames start out.
 */
import { GNTST, GRANT_ENTRY_V1, GTF, XEN_ERRNO, XEN_GNTTAB_MAX_FRAMES, XENMAPIDX_GRANT_TABLE_STATUS } from "./abi.js";
import { u16, u32, type GuestMemory } from "./guest-memory.js";

/** Entries per frame in version 1. */
export const GRANTS_PER_FRAME = 4096 / GRANT_ENTRY_V1.bytes;
/** What setup_table reports for a frame not mapped anywhere yet (INVALID_GFN). */
export const INVALID_GFN = 0xffff_ffff_ffff_ffffn;

export interface GrantEntry {
  flags: number;
  domid: number;
  frame: number;
}

export class GrantTable {
  /** Frames in use (the table grows, never shrinks). */
  nrFrames = 1;
  readonly maxFrames = XEN_GNTTAB_MAX_FRAMES;
  private readonly frameGfn: (number | undefined)[] = [];
  version = 1;

  constructor(private readonly memory: GuestMemory) {}

  /** XENMAPSPACE_grant_table: 0 or a negated Xen error. */
  mapFrame(idx: number, gfn: number): number {
    if (idx >= XENMAPIDX_GRANT_TABLE_STATUS) return -XEN_ERRNO.EINVAL; // status frames are version 2's
    if (!Number.isInteger(idx) || idx < 0 || idx >= this.maxFrames) return -XEN_ERRNO.EINVAL;
    const page = this.memory.ipaView(gfn * 4096, 4096);
    if (!page) return -XEN_ERRNO.EINVAL;
    const old = this.frameGfn[idx];
    if (old === gfn) return 0;
    const from = old === undefined ? undefined : this.memory.ipaView(old * 4096, 4096);
    if (from) page.set(from);
    else page.fill(0);
    this.memory.touched();
    // A frame number holds one frame: another frame mapped here before is now unmapped.
    for (let i = 0; i < this.frameGfn.length; i++) if (i !== idx && this.frameGfn[i] === gfn) this.frameGfn[i] = undefined;
    this.frameGfn[idx] = gfn;
    this.nrFrames = Math.max(this.nrFrames, idx + 1);
    return 0;
  }

  /** GNTTABOP_setup_table: grow to `n` frames; the frames' guest frame numbers, or a GNTST status. */
  setup(n: number): { status: number; frames?: bigint[] } {
    if (!Number.isInteger(n) || n < 0 || n > this.maxFrames) return { status: GNTST.general_error };
    this.nrFrames = Math.max(this.nrFrames, n);
    const frames: bigint[] = [];
    for (let i = 0; i < n; i++) { const g = this.frameGfn[i]; frames.push(g === undefined ? INVALID_GFN : BigInt(g)); }
    return { status: GNTST.okay, frames };
  }

  get nrEntries(): number {
    return this.nrFrames * GRANTS_PER_FRAME;
  }

  /** Grant `ref`, or a GNTST status: bad_gntref beyond the table, general_error when its frame is nowhere. */
  entry(ref: number): GrantEntry | number {
    if (!Number.isInteger(ref) || ref < 0 || ref >= this.nrEntries) return GNTST.bad_gntref;
    const gfn = this.frameGfn[Math.floor(ref / GRANTS_PER_FRAME)];
    const view = gfn === undefined ? undefined : this.memory.ipaView(gfn * 4096 + (ref % GRANTS_PER_FRAME) * GRANT_ENTRY_V1.bytes, GRANT_ENTRY_V1.bytes, false);
    if (!view) return GNTST.general_error;
    return { flags: u16(view, GRANT_ENTRY_V1.flags), domid: u16(view, GRANT_ENTRY_V1.domid), frame: u32(view, GRANT_ENTRY_V1.frame) };
  }

  /**
   * The guest frame grant `ref` lets domain `grantee` reach (reading, or writing too), or a
   * GNTST status: the entry must permit access, name the grantee, and not be read-only for a write.
   */
  resolve(ref: number, grantee: number, write: boolean): { gfn: number } | number {
    const e = this.entry(ref);
    if (typeof e === "number") return e;
    if ((e.flags & GTF.type_mask) !== GTF.permit_access || e.domid !== grantee) return GNTST.permission_denied;
    if (write && (e.flags & GTF.readonly)) return GNTST.permission_denied;
    return { gfn: e.frame };
  }
}
