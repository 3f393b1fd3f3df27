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
import { setU16, u16, u32, type GuestMemory, type MemoryWindow } from "./guest-memory.js";

/**
 * A grant in use by another domain (Xen's struct active_grant_entry): who pinned it, the page
 * it resolved to when first pinned, and how many read-only and writable pins it has. While
 * pinned, the entry's GTF_reading (any pin) and GTF_writing (a writable pin) are set in the
 * shared entry, as Xen sets them, so the granter knows not to revoke it.
 */
interface ActiveGrant {
  domid: number;
  pa: number;
  readers: number;
  writers: number;
}

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

  private readonly active = new Map<number, ActiveGrant>();

  /** `ram`: the windows of the domain's own RAM, the only memory a grant can give. */
  constructor(private readonly memory: GuestMemory, private readonly ram: readonly MemoryWindow[] = memory.windows) {}

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

  /** The shared entry's flags, updated in place (the guest sees them change). */
  private updateFlags(ref: number, f: (flags: number) => number): void {
    const gfn = this.frameGfn[Math.floor(ref / GRANTS_PER_FRAME)];
    const ipa = gfn === undefined ? undefined : gfn * 4096 + (ref % GRANTS_PER_FRAME) * GRANT_ENTRY_V1.bytes;
    const view = ipa === undefined ? undefined : this.memory.ipaView(ipa, GRANT_ENTRY_V1.bytes);
    if (!view) return;
    setU16(view, GRANT_ENTRY_V1.flags, f(u16(view, GRANT_ENTRY_V1.flags)));
    this.memory.written(ipa!, 2);
  }

  /**
   * Pin grant `ref` for domain `grantee` (Xen's map_grant_ref and acquire_grant_for_copy, with
   * _set_status_v1 and get_paged_frame): the physical page it gives, or a GNTST status. Bad
   * references are GNTST_bad_gntref; an entry that does not permit access, names another
   * domain, is a sub-page grant (`whole`: for a mapping), or is read-only for a writable pin is
   * GNTST_general_error; a frame that is not the granter's RAM is GNTST_bad_page. A grant
   * pinned by one domain cannot be pinned by another until all its pins are gone.
   */
  pin(ref: number, grantee: number, readonly: boolean, whole: boolean): { pa: number } | number {
    const e = this.entry(ref);
    if (typeof e === "number") return e;
    let act = this.active.get(ref);
    if (act && act.domid !== grantee) return GNTST.general_error;
    if (!act || (!readonly && act.writers === 0)) {
      const mask = GTF.type_mask | (whole ? GTF.sub_page : 0);
      if (!act && ((e.flags & mask) !== GTF.permit_access || e.domid !== grantee)) return GNTST.general_error;
      if (!readonly && (e.flags & GTF.readonly)) return GNTST.general_error;
      if (!act) {
        const page = this.memory.ramPage(e.frame, this.ram);
        if (!page || (!readonly && !page.writable)) return GNTST.bad_page;
        act = { domid: grantee, pa: page.pa, readers: 0, writers: 0 };
        this.active.set(ref, act);
      }
      this.updateFlags(ref, (f) => f | GTF.reading | (readonly ? 0 : GTF.writing));
    }
    if (readonly) act.readers++;
    else act.writers++;
    return { pa: act.pa };
  }

  /** Drop one pin of `ref`: GTF_writing goes with the last writable pin, GTF_reading with the last pin. */
  unpin(ref: number, readonly: boolean): void {
    const act = this.active.get(ref);
    if (!act) return;
    if (readonly) act.readers = Math.max(0, act.readers - 1);
    else act.writers = Math.max(0, act.writers - 1);
    const clear = (act.writers === 0 ? GTF.writing : 0) | (act.readers + act.writers === 0 ? GTF.reading : 0);
    if (!readonly || clear & GTF.reading) this.updateFlags(ref, (f) => f & ~clear);
    if (act.readers + act.writers === 0) this.active.delete(ref);
  }

  /** Every pin domain `grantee` holds, dropped (it is gone). */
  unpinAll(grantee: number): void {
    for (const [ref, act] of [...this.active]) {
      if (act.domid !== grantee) continue;
      this.active.delete(ref);
      this.updateFlags(ref, (f) => f & ~(GTF.reading | GTF.writing));
    }
  }
}
