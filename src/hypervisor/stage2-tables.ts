/**
 * Stage-2 translation tables for a partition, as the hypervisor writes them for the MMU to walk
 * (ARM ARM D8.3, "Translation table descriptor formats", and D8.2 for the walk they serve):
 * 4 KiB granule, a 40-bit IPA space (VTCR_EL2.T0SZ = 24) starting at level 1 with two
 * concatenated level-1 tables (D8.2.7), blocks of 1 GiB and 2 MiB where the mapping allows,
 * pages elsewhere. Each mapping carries its stage-2 permissions (S2AP), executability (XN) and
 * memory type (MemAttr: Normal write-back, or Device-nGnRE for passed-through devices).
 *
 * The tables live in memory that only the hypervisor maps: the caller gives a region of
 * physical memory and a way to write it.
 */

export interface PhysicalMemoryWriter {
  /** Write a 64-bit little-endian descriptor at physical address `pa`. */
  write64(pa: number, value: bigint): void;
  /** Zero `size` bytes at `pa` (a new table). */
  zero(pa: number, size: number): void;
  /** The 64-bit little-endian descriptor at `pa` (to split a block into pages). */
  read64(pa: number): bigint;
}

export type S2Access = "rw" | "ro" | "none";

export interface S2Mapping {
  ipa: number;
  pa: number;
  size: number;
  access: S2Access;
  executable: boolean;
  device: boolean;
}

/** VTCR_EL2 for these tables (ARM ARM D19.2 VTCR_EL2): T0SZ 24, SL0 1 (level 1), IRGN0/ORGN0 WB, SH0 inner, TG0 4K, PS 40-bit. */
export const VTCR_40BIT_4K = (24 | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | (2 << 16) | (1 << 31)) >>> 0;
export const IPA_BITS = 40;

const PAGE = 4096;
const LEVEL_SHIFT = [39, 30, 21, 12];
/** Two concatenated level-1 tables cover the 40-bit space (2 x 512 x 1 GiB). */
const ROOT_TABLES = 2;

// Descriptor bits (ARM ARM D8.3.2, stage 2 block and page attributes).
const VALID = 1n, TABLE_OR_PAGE = 2n;
const MEMATTR_NORMAL_WB = 0xfn << 2n;
const MEMATTR_DEVICE_NGNRE = 0x1n << 2n;
const S2AP_RO = 1n << 6n, S2AP_RW = 3n << 6n;
const SH_INNER = 3n << 8n;
const AF = 1n << 10n;
const XN = 2n << 53n; // XN[1:0] = 0b10: not executable at EL1 or EL0
/** A block's or page's attribute bits: upper [63:51] and lower [11:2] (D8.3.2). */
const ATTRIBUTE_BITS = 0xfff8_0000_0000_0ffcn;
const OUTPUT_ADDRESS = 0x0000_ffff_ffff_f000n;

function leafAttributes(m: S2Mapping): bigint {
  let a = AF | (m.device ? MEMATTR_DEVICE_NGNRE : MEMATTR_NORMAL_WB | SH_INNER);
  if (m.access === "rw") a |= S2AP_RW;
  else if (m.access === "ro") a |= S2AP_RO;
  if (!m.executable || m.device) a |= XN;
  return a;
}

export class Stage2Tables {
  /** Physical address of the (concatenated) level-1 table: VTTBR_EL2.BADDR. */
  readonly root: number;
  private next: number;
  /** Table physical address per (level, aligned IPA) of the table's span. */
  private readonly tables = new Map<string, number>();

  constructor(private readonly mem: PhysicalMemoryWriter, private readonly regionBase: number, private readonly regionSize: number) {
    if (regionBase % (ROOT_TABLES * PAGE)) throw new RangeError("stage-2 table region must be 8 KiB aligned");
    this.root = regionBase;
    this.next = regionBase + ROOT_TABLES * PAGE;
    mem.zero(this.root, ROOT_TABLES * PAGE);
  }

  /** VTTBR_EL2 value for this partition's tables and VMID. */
  vttbr(vmid: number): bigint {
    return (BigInt(vmid & 0xff) << 48n) | BigInt(this.root);
  }

  /** Bytes of table memory used so far. */
  get used(): number {
    return this.next - this.regionBase;
  }

  private allocTable(): number {
    if (this.next + PAGE > this.regionBase + this.regionSize) throw new RangeError("stage-2 table region is full");
    const pa = this.next;
    this.next += PAGE;
    this.mem.zero(pa, PAGE);
    return pa;
  }

  /** The table at `level` (2 or 3) covering `ipa`, created (and linked from its parent) if needed. */
  private tableFor(level: number, ipa: number): number {
    if (level === 1) return this.root + Math.floor(ipa / 2 ** 39) * PAGE;
    const span = 2 ** (LEVEL_SHIFT[level - 1]);
    const key = `${level}:${Math.floor(ipa / span)}`;
    const known = this.tables.get(key);
    if (known !== undefined) return known;
    const parent = this.tableFor(level - 1, ipa);
    const index = Math.floor(ipa / span) % 512;
    const table = this.allocTable();
    this.mem.write64(parent + index * 8, BigInt(table) | TABLE_OR_PAGE | VALID);
    this.tables.set(key, table);
    return table;
  }

  /**
   * The address of the level-3 descriptor for `ipa`. A block on the way is split first into a
   * table of the next level's blocks or pages with the same output and attributes (ARM ARM
   * D8.2: the walk ends at the first block; breaking it up changes no translation).
   */
  private pageDescriptor(ipa: number): number {
    let table = this.tableFor(1, ipa);
    for (let level = 1; level < 3; level++) {
      const span = 2 ** LEVEL_SHIFT[level];
      const entry = table + (Math.floor(ipa / span) % 512) * 8;
      const d = this.mem.read64(entry);
      if ((d & 3n) === (TABLE_OR_PAGE | VALID)) { table = Number(d & OUTPUT_ADDRESS); continue; }
      const next = this.allocTable();
      if ((d & 3n) === VALID) {
        const sub = 2 ** LEVEL_SHIFT[level + 1];
        const base = Number(d & OUTPUT_ADDRESS) - (Number(d & OUTPUT_ADDRESS) % span);
        const kind = level + 1 === 3 ? TABLE_OR_PAGE | VALID : VALID;
        for (let i = 0; i < 512; i++) this.mem.write64(next + i * 8, BigInt(base + i * sub) | (d & ATTRIBUTE_BITS) | kind);
      }
      this.mem.write64(entry, BigInt(next) | TABLE_OR_PAGE | VALID);
      this.tables.set(`${level + 1}:${Math.floor(ipa / span)}`, next);
      table = next;
    }
    return table + (Math.floor(ipa / PAGE) % 512) * 8;
  }

  /**
   * Change one page of the map after start-up: `m` (one page) maps it, undefined leaves it
   * unmapped, so that an access there is a translation fault. The caller invalidates the TLBs
   * of the partition's vCPUs afterwards (TLBI IPAS2E1 on hardware).
   */
  setPage(ipa: number, m: Omit<S2Mapping, "ipa" | "size"> | undefined): void {
    if (ipa % PAGE || ipa < 0 || ipa >= 2 ** IPA_BITS) throw new RangeError(`IPA 0x${ipa.toString(16)} is not a page of the IPA space`);
    const at = this.pageDescriptor(ipa);
    this.mem.write64(at, m ? BigInt(m.pa) | leafAttributes({ ...m, ipa, size: PAGE }) | TABLE_OR_PAGE | VALID : 0n);
  }

  /** Map [ipa, ipa + size) to [pa, pa + size): page aligned, with blocks where both allow. */
  map(m: S2Mapping): void {
    if (m.ipa % PAGE || m.pa % PAGE || m.size % PAGE || m.size <= 0) throw new RangeError("stage-2 mappings are page aligned");
    if (m.ipa + m.size > 2 ** IPA_BITS) throw new RangeError(`IPA 0x${m.ipa.toString(16)} is beyond the ${IPA_BITS}-bit IPA space`);
    const attrs = leafAttributes(m);
    let ipa = m.ipa, pa = m.pa, left = m.size;
    while (left > 0) {
      // The largest block that is aligned at both ends and fits: 1 GiB (level 1), 2 MiB (level 2), else a page.
      let level = 3;
      for (const l of [1, 2]) {
        const span = 2 ** LEVEL_SHIFT[l];
        if (ipa % span === 0 && pa % span === 0 && left >= span) { level = l; break; }
      }
      const span = 2 ** LEVEL_SHIFT[level];
      const table = this.tableFor(level, ipa);
      const index = Math.floor(ipa / span) % 512;
      const kind = level === 3 ? TABLE_OR_PAGE | VALID : VALID;
      this.mem.write64(table + index * 8, BigInt(pa) | attrs | kind);
      ipa += span; pa += span; left -= span;
    }
  }
}
