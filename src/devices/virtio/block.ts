/**
 * virtio-blk (virtio 1.2 section 5.2) over a raw image, offering what QEMU 7.2's
 * hw/block/virtio-blk.c offers by default (a Linux guest negotiates the same feature bits): the
 * capacity in 512-byte sectors, blk_size 512, seg_max = queue-size - 2 = 254 (seg-max-adjust),
 * the guessed CHS geometry, a zero topology, a volatile write cache flushed by
 * VIRTIO_BLK_T_FLUSH whose mode the driver may switch (CONFIG_WCE), DISCARD (ignored, as
 * QEMU's default discard=ignore) and WRITE_ZEROES with QEMU's limits, VIRTIO_BLK_F_RO for
 * readonly=on, GET_ID answering the serial. One request queue, as virtio-blk-device has.
 */
import { bit, type VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { gather, scatter, type Chain } from "./virtqueue.js";

/** The storage behind the disk; the host layer implements it (a file, a copy-on-write overlay...). */
export interface BlockBackend {
  /** Size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  /** Fill `into` from byte `offset`; throws on a host I/O error. */
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  /** Make written data durable (fsync). */
  flush(): void;
  /** Give the image back to the host (its file descriptor); no access follows. Optional: images in memory have nothing to give back. */
  close?(): void;
}

/** 5.2.3 feature bits. */
const VIRTIO_BLK_F_SEG_MAX = 2n, VIRTIO_BLK_F_GEOMETRY = 4n, VIRTIO_BLK_F_RO = 5n, VIRTIO_BLK_F_BLK_SIZE = 6n, VIRTIO_BLK_F_FLUSH = 9n,
  VIRTIO_BLK_F_TOPOLOGY = 10n, VIRTIO_BLK_F_CONFIG_WCE = 11n, VIRTIO_BLK_F_DISCARD = 13n, VIRTIO_BLK_F_WRITE_ZEROES = 14n;
/**
 * 5.2.6 request types. QEMU's virtio_blk_handle_request dispatches on the type without its OUT
 * bit (and the legacy BARRIER bit): IN and OUT share a case, FLUSH|OUT is a flush.
 */
const VIRTIO_BLK_T_OUT = 1, VIRTIO_BLK_T_BARRIER = 0x80000000, VIRTIO_BLK_T_FLUSH = 4, VIRTIO_BLK_T_GET_ID = 8,
  VIRTIO_BLK_T_DISCARD = 11, VIRTIO_BLK_T_WRITE_ZEROES = 13;
const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
/** BDRV_REQUEST_MAX_SECTORS: QEMU's default max-discard-sectors and max-write-zeroes-sectors. */
const MAX_DISCARD_SECTORS = 0x3fffff;
const VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2;
const SECTOR = 512, HEADER = 16, ID_BYTES = 20, DWZ_SIZE = 16;
/** QEMU's virtio-blk queue-size default, which seg_max follows (seg_max = queue_size - 2). */
const QEMU_QUEUE_SIZE = 256;

export class VirtioBlock implements VirtioDevice {
  readonly deviceId = 2;
  readonly queueCount = 1;
  /** virtio-blk's queue-size property (256 since QEMU 5.0). */
  queueSize(): number { return 256; }
  readonly features: bigint;
  /** 5.2.4 struct virtio_blk_config, up to the fields offered (the rest reads as zero). */
  readonly config = new Uint8Array(60);
  private readonly sectors: number;

  constructor(private readonly backend: BlockBackend, private readonly serial = "") {
    this.sectors = Math.floor(backend.size / SECTOR);
    this.features = bit(VIRTIO_BLK_F_SEG_MAX) | bit(VIRTIO_BLK_F_GEOMETRY) | bit(VIRTIO_BLK_F_BLK_SIZE) | bit(VIRTIO_BLK_F_FLUSH) |
      bit(VIRTIO_BLK_F_TOPOLOGY) | bit(VIRTIO_BLK_F_CONFIG_WCE) | bit(VIRTIO_BLK_F_DISCARD) | bit(VIRTIO_BLK_F_WRITE_ZEROES) |
      (backend.readOnly ? bit(VIRTIO_BLK_F_RO) : 0n);
    this.writeConfigDefaults();
  }

  /** 5.2.4 struct virtio_blk_config as virtio_blk_update_config fills it. */
  private writeConfigDefaults(): void {
    const v = new DataView(this.config.buffer);
    this.config.fill(0);
    v.setUint32(0, this.sectors >>> 0, true);
    v.setUint32(4, Math.floor(this.sectors / 0x100000000), true);
    v.setUint32(12, QEMU_QUEUE_SIZE - 2, true);
    const { cylinders, heads, sectors } = this.geometry();
    v.setUint16(16, cylinders, true);
    v.setUint8(18, heads);
    v.setUint8(19, sectors);
    v.setUint32(20, SECTOR, true);
    // Topology (24..31): one logical block per physical one, no alignment offset, no I/O hints.
    v.setUint8(32, 1); // writeback: QEMU's default cache mode has the write cache on
    v.setUint32(36, MAX_DISCARD_SECTORS, true);
    v.setUint32(40, 1, true); // max_discard_seg
    v.setUint32(44, 1, true); // discard_sector_alignment: blk_size in sectors
    v.setUint32(48, MAX_DISCARD_SECTORS, true);
    v.setUint32(52, 1, true); // max_write_zeroes_seg
    v.setUint8(56, 1); // write_zeroes_may_unmap
  }

  /**
   * hw/block/hd-geometry.c hd_geometry_guess: the geometry an MBR's partitions imply when they
   * end on a cylinder boundary with at most 16 heads, else 16 heads and 63 sectors over the
   * size (cylinders clamped to 2..16383).
   */
  private geometry(): { cylinders: number; heads: number; sectors: number } {
    const mbr = new Uint8Array(SECTOR);
    try { if (this.backend.size >= SECTOR) this.backend.read(0, mbr); } catch { /* unreadable: the guess from the size */ }
    if (mbr[510] === 0x55 && mbr[511] === 0xaa) {
      for (let i = 0; i < 4; i++) {
        const p = 0x1be + 16 * i;
        const count = mbr[p + 12] | (mbr[p + 13] << 8) | (mbr[p + 14] << 16) | (mbr[p + 15] << 24);
        const heads = mbr[p + 5] + 1, sectors = mbr[p + 6] & 63;
        if (count === 0 || mbr[p + 5] === 0 || sectors === 0) continue;
        const cylinders = Math.floor(this.sectors / (heads * sectors));
        if (cylinders < 1 || cylinders > 16383) continue;
        if (heads <= 16) return { cylinders, heads, sectors };
        break;
      }
    }
    return { cylinders: Math.min(16383, Math.max(2, Math.floor(this.sectors / (16 * 63)))), heads: 16, sectors: 63 };
  }

  /** Only the writeback byte is the driver's to change (virtio_blk_set_config). */
  writeConfig(offset: number, size: number, value: number): void {
    if (offset === 32 && size === 1) this.config[32] = value === 0 ? 0 : 1;
  }

  reset(): void {
    // virtio_blk_reset: the cache mode goes back to the drive's (write-back).
    this.config[32] = 1;
  }

  serve(_queue: number, chain: Chain, mem: GuestMemory): number | "malformed" {
    // 5.2.6: a header the device reads, a status byte it writes last; QEMU's virtio_error
    // "missing headers" when either is absent.
    const header = gather(mem, chain.readable, HEADER);
    let writable = 0;
    for (const s of chain.writable) writable += s.length;
    if (!header || header.length < HEADER || writable < 1) return "malformed";
    const h = new DataView(header.buffer);
    const type = h.getUint32(0, true) & ~VIRTIO_BLK_T_BARRIER;
    const sector = h.getUint32(8, true) + h.getUint32(12, true) * 0x100000000;
    // The data: the writable part but its last byte (reads), the readable part past the header (writes).
    const dataIn = trim(chain.writable, writable - 1);
    const status = this.request(type, sector, chain, dataIn, mem);
    const last = chain.writable[chain.writable.length - 1];
    const statusByte = mem.writableView(last.addr + last.length - 1, 1);
    if (!statusByte) return "malformed";
    statusByte[0] = status;
    return writable;
  }

  private request(type: number, sector: number, chain: Chain, dataIn: Chain["writable"], mem: GuestMemory): number {
    try {
      switch (type & ~VIRTIO_BLK_T_OUT) {
        case 0: { // VIRTIO_BLK_T_IN, or VIRTIO_BLK_T_OUT with the bit
          if (type & VIRTIO_BLK_T_OUT) return this.writeData(sector, chain, mem);
          const length = dataIn.reduce((n, s) => n + s.length, 0);
          if (!this.inRange(sector, length)) return VIRTIO_BLK_S_IOERR;
          let offset = sector * SECTOR;
          for (const s of dataIn) {
            const into = mem.writableView(s.addr, s.length);
            if (!into) return VIRTIO_BLK_S_IOERR;
            this.backend.read(offset, into);
            offset += s.length;
          }
          return VIRTIO_BLK_S_OK;
        }
        case VIRTIO_BLK_T_DISCARD & ~VIRTIO_BLK_T_OUT:
        case VIRTIO_BLK_T_WRITE_ZEROES & ~VIRTIO_BLK_T_OUT:
          return this.discardOrZero(type, chain, mem);
        case VIRTIO_BLK_T_FLUSH:
          this.backend.flush();
          return VIRTIO_BLK_S_OK;
        case VIRTIO_BLK_T_GET_ID: {
          // QEMU copies the serial and its NUL, at most 20 bytes, no more than the buffer holds.
          const id = new TextEncoder().encode(this.serial + "\0").subarray(0, ID_BYTES);
          const fits = Math.min(id.length, dataIn.reduce((n, s) => n + s.length, 0));
          return scatter(mem, dataIn, id) === fits ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
        }
        default:
          return VIRTIO_BLK_S_UNSUPP;
      }
    } catch {
      // The host's read or write failed: the guest sees an I/O error, as with QEMU's werror=report.
      return VIRTIO_BLK_S_IOERR;
    }
  }

  private writeData(sector: number, chain: Chain, mem: GuestMemory): number {
    const data = skip(chain.readable, HEADER);
    const length = data.reduce((n, s) => n + s.length, 0);
    if (this.backend.readOnly || !this.inRange(sector, length)) return VIRTIO_BLK_S_IOERR;
    let offset = sector * SECTOR;
    for (const s of data) {
      const from = mem.view(s.addr, s.length);
      if (!from) return VIRTIO_BLK_S_IOERR;
      this.backend.write(offset, from);
      offset += s.length;
    }
    // Write-through (the driver cleared writeback): every write is durable before it completes.
    if (this.config[32] === 0) this.backend.flush();
    return VIRTIO_BLK_S_OK;
  }

  /**
   * 5.2.6: one struct virtio_blk_discard_write_zeroes (sector, num_sectors, flags) after the
   * header, as max_discard_seg = max_write_zeroes_seg = 1 allow; more is UNSUPP, as in QEMU's
   * virtio_blk_handle_discard_write_zeroes. Discards change nothing (discard=ignore).
   */
  private discardOrZero(type: number, chain: Chain, mem: GuestMemory): number {
    const zeroes = type === VIRTIO_BLK_T_WRITE_ZEROES;
    if (!(type & VIRTIO_BLK_T_OUT)) return VIRTIO_BLK_S_UNSUPP;
    const payload = gather(mem, skip(chain.readable, HEADER));
    if (!payload || payload.length !== DWZ_SIZE) return VIRTIO_BLK_S_UNSUPP;
    const v = new DataView(payload.buffer);
    const sector = v.getUint32(0, true) + v.getUint32(4, true) * 0x100000000;
    const count = v.getUint32(8, true), flags = v.getUint32(12, true);
    if (flags & ~(zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0)) return VIRTIO_BLK_S_UNSUPP;
    if (!this.inRange(sector, count * SECTOR) || count > MAX_DISCARD_SECTORS || this.backend.readOnly) return VIRTIO_BLK_S_IOERR;
    if (zeroes) {
      const chunk = new Uint8Array(Math.min(count * SECTOR, 1 << 20));
      for (let at = 0; at < count * SECTOR; at += chunk.length) {
        this.backend.write(sector * SECTOR + at, chunk.subarray(0, Math.min(chunk.length, count * SECTOR - at)));
      }
    }
    return VIRTIO_BLK_S_OK;
  }

  /** virtio_blk_sect_range_ok: whole sectors, inside the disk. */
  private inRange(sector: number, length: number): boolean {
    return length % SECTOR === 0 && sector <= this.sectors && length / SECTOR <= this.sectors - sector;
  }
}

/** The first `bytes` bytes of a segment list. */
function trim(segments: Chain["writable"], bytes: number): Chain["writable"] {
  const out: Chain["writable"] = [];
  for (const s of segments) {
    if (bytes <= 0) break;
    const n = Math.min(s.length, bytes);
    if (n > 0) out.push({ addr: s.addr, length: n });
    bytes -= n;
  }
  return out;
}

/** A segment list without its first `bytes` bytes. */
function skip(segments: Chain["readable"], bytes: number): Chain["readable"] {
  const out: Chain["readable"] = [];
  for (const s of segments) {
    if (bytes >= s.length) { bytes -= s.length; continue; }
    out.push({ addr: s.addr + bytes, length: s.length - bytes });
    bytes = 0;
  }
  return out;
}
