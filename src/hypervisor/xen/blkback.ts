/**
 * A Xen PV block back end (xen/include/public/io/blkif.h; Linux's drivers/block/xen-blkback is
 * what blkfront expects of one) over a BlockBackend, the raw image the host opened (as
 * virtio-blk's disk is: the file I/O is in src/cli). One ring of one page, one event channel.
 *
 * Requests: BLKIF_OP_READ and BLKIF_OP_WRITE carry up to 11 segments, each a grant of a page
 * and the sectors [first_sect, last_sect] of it, which follow each other on the disk from
 * sector_number; BLKIF_OP_FLUSH_DISKCACHE writes its segments, if any, then makes the image
 * durable (the host's fsync), which is what blkfront sends for a flush or a FUA write when the
 * back end says feature-flush-cache = 1. Other operations (barriers, discard, indirect
 * descriptors) are not offered and get BLKIF_RSP_EOPNOTSUPP. The data is copied to and from
 * the granted pages with the grant pinned only for the copy (as GNTTABOP_copy does), writable
 * for a read.
 *
 * A request that cannot be done (a bad grant, a sector range past the disk, bad segment
 * bounds, a write to a read-only disk, a host I/O error) is answered BLKIF_RSP_ERROR; a
 * req_prod past the ring disconnects the device (blkback's "Frontend provided bogus ring
 * requests").
 */
import type { BlockBackend } from "../../devices/virtio/block.js";
import { BackRing } from "./ring.js";
import { setU16, setU64, u32, u64 } from "./guest-memory.js";
import { XenbusBackend } from "./xenbus-backend.js";
import type { XenDomain } from "./domain.js";
import { BACKEND_DOMID } from "./event-channels.js";

/**
 * struct blkif_request: uint8_t operation; uint8_t nr_segments; blkif_vdev_t handle; (pad)
 * uint64_t id; blkif_sector_t sector_number; struct blkif_request_segment seg[11], each
 * grant_ref_t gref; uint8_t first_sect, last_sect (8 bytes with padding).
 */
export const BLKIF_REQUEST = { operation: 0, nr_segments: 1, handle: 2, id: 8, sector_number: 16, seg: 24, segBytes: 8, bytes: 112 } as const;
export const BLKIF_SEGMENT = { gref: 0, first_sect: 4, last_sect: 5 } as const;
/** struct blkif_response: uint64_t id; uint8_t operation; int16_t status. */
export const BLKIF_RESPONSE = { id: 0, operation: 8, status: 10, bytes: 16 } as const;
export const BLKIF_OP = { read: 0, write: 1, write_barrier: 2, flush_diskcache: 3, discard: 5, indirect: 6 } as const;
export const BLKIF_RSP = { eopnotsupp: -2, error: -1, okay: 0 } as const;
export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
/** VDISK_* of the backend's info node. */
export const VDISK = { cdrom: 1, removable: 2, readonly: 4 } as const;
const SECTOR = 512;
/** The ring's slot is the request (112 bytes): 32 slots in a page. */
const SLOT = Math.max(BLKIF_REQUEST.bytes, BLKIF_RESPONSE.bytes);

export interface VbdOptions {
  devid: number;
  /** xvda, ...: libxl's dev node. */
  vdev: string;
  /** What the toolstack calls the image (its params node). */
  target: string;
  disk: BlockBackend;
  log: (line: string) => void;
}

export class Blkback extends XenbusBackend {
  private ring: BackRing | undefined;
  readonly counters = { reads: 0, writes: 0, flushes: 0, errors: 0 };

  constructor(domain: XenDomain, private readonly opts: VbdOptions) {
    super(domain, "vbd", opts.devid, opts.log);
  }

  private get sectors(): number {
    return Math.floor(this.opts.disk.size / SECTOR);
  }

  protected toolstackNodes() {
    // libxl_disk.c: a raw file behind the "phy"-style back end, and the frontend's virtual device.
    const ro = this.opts.disk.readOnly;
    return {
      backend: {
        params: this.opts.target, type: "phy", mode: ro ? "r" : "w", dev: this.opts.vdev, "device-type": "disk",
        removable: "0", bootable: "1", "discard-enable": "0",
      },
      frontend: { "virtual-device": String(this.devid), "device-type": "disk", trusted: "1" },
    };
  }

  protected features() {
    return { "feature-flush-cache": "1" };
  }

  protected override connectedNodes() {
    // blkback's connect(): the disk's size, VDISK_* flags and sector size.
    return {
      sectors: String(this.sectors), info: String(this.opts.disk.readOnly ? VDISK.readonly : 0),
      "sector-size": String(SECTOR), "physical-sector-size": String(SECTOR),
    };
  }

  protected connect(): string | undefined {
    // connect_ring in Linux's blkback/xenbus.c: one page, the native (arm-abi) layout.
    const order = this.frontendUint("ring-page-order");
    if (order !== undefined && order !== 0) return `ring-page-order ${order}: only a one-page ring is offered`;
    const protocol = this.frontend("protocol");
    if (protocol !== undefined && protocol !== "arm-abi") return `protocol "${protocol}": only the native arm-abi`;
    const ref = this.frontendUint("ring-ref");
    if (ref === undefined) return "reading ring-ref";
    const page = this.pinRing(ref, "ring-ref");
    if (typeof page === "string") return page;
    const bad = this.bindChannel(this.frontendUint("event-channel"), "event-channel");
    if (bad) return bad;
    this.ring = new BackRing(page.bytes, SLOT, () => this.wrote(page.pa, 4096));
    return undefined;
  }

  protected reset(): void {
    this.ring = undefined;
  }

  protected kick(): void {
    if (!this.connected) return;
    const ring = this.ring!;
    for (;;) {
      const n = ring.unconsumed();
      if (typeof n === "string") return this.fatal(`ring: ${n}`);
      if (n === 0) {
        if (!ring.finalCheck()) break;
        continue;
      }
      const req = ring.takeRequest();
      const op = req[BLKIF_REQUEST.operation];
      const status = this.perform(req);
      if (status !== BLKIF_RSP.okay) this.counters.errors++;
      const rsp = ring.nextResponse(BLKIF_RESPONSE.bytes);
      setU64(rsp, BLKIF_RESPONSE.id, u64(req, BLKIF_REQUEST.id));
      rsp[BLKIF_RESPONSE.operation] = op;
      setU16(rsp, BLKIF_RESPONSE.status, status & 0xffff);
    }
    if (ring.push()) this.notify();
  }

  /** One request: its BLKIF_RSP status. */
  private perform(req: Uint8Array): number {
    const op = req[BLKIF_REQUEST.operation];
    if (op !== BLKIF_OP.read && op !== BLKIF_OP.write && op !== BLKIF_OP.flush_diskcache) return BLKIF_RSP.eopnotsupp;
    const nseg = req[BLKIF_REQUEST.nr_segments];
    if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST || (nseg === 0 && op !== BLKIF_OP.flush_diskcache)) return BLKIF_RSP.error;
    const toDisk = op !== BLKIF_OP.read;
    if (toDisk && nseg > 0 && this.opts.disk.readOnly) return BLKIF_RSP.error;
    const segs: { ref: number; first: number; count: number }[] = [];
    let total = 0;
    for (let i = 0; i < nseg; i++) {
      const at = BLKIF_REQUEST.seg + i * BLKIF_REQUEST.segBytes;
      const first = req[at + BLKIF_SEGMENT.first_sect], last = req[at + BLKIF_SEGMENT.last_sect];
      if (last < first || last >= 4096 / SECTOR) return BLKIF_RSP.error;
      segs.push({ ref: u32(req, at + BLKIF_SEGMENT.gref), first, count: last - first + 1 });
      total += last - first + 1;
    }
    const sector = u64(req, BLKIF_REQUEST.sector_number);
    if (nseg > 0 && sector + BigInt(total) > BigInt(this.sectors)) return BLKIF_RSP.error;
    try {
      let pos = Number(sector) * SECTOR;
      for (const s of segs) {
        const len = s.count * SECTOR, off = s.first * SECTOR;
        // Reading from the disk writes the guest's page: the grant must be writable then.
        const pin = this.domain.grants.pin(s.ref, BACKEND_DOMID, toDisk, false);
        if (typeof pin === "number") return BLKIF_RSP.error;
        try {
          const page = this.domain.memory.view(pin.pa + off, len);
          if (toDisk) this.opts.disk.write(pos, page.slice());
          else {
            const data = new Uint8Array(len);
            this.opts.disk.read(pos, data);
            page.set(data);
            this.wrote(pin.pa + off, len);
          }
        } finally {
          this.domain.grants.unpin(s.ref, toDisk);
        }
        pos += len;
      }
      if (op === BLKIF_OP.read) this.counters.reads++;
      else if (nseg > 0) this.counters.writes++;
      if (op === BLKIF_OP.flush_diskcache) { this.opts.disk.flush(); this.counters.flushes++; }
      return BLKIF_RSP.okay;
    } catch (e) {
      this.log(`vbd ${this.domain.domid}/${this.devid}: ${e instanceof Error ? e.message : String(e)}`);
      return BLKIF_RSP.error;
    }
  }
}
