/**
 * virtio-blk (virtio 1.2 section 5.2) over a raw image, with what QEMU 7.2's
 * hw/block/virtio-blk.c offers by default that a Linux guest can see: the capacity in 512-byte
 * sectors, blk_size 512, seg_max = queue-size - 2 = 254 (seg-max-adjust), a volatile write
 * cache flushed by VIRTIO_BLK_T_FLUSH (VIRTIO_BLK_F_FLUSH), VIRTIO_BLK_F_RO for readonly=on,
 * GET_ID answering the (empty) serial. One request queue, as virtio-blk-device has.
 */
import { bit, type VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { gather, type Chain } from "./virtqueue.js";

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
}

/** 5.2.3 feature bits. */
const VIRTIO_BLK_F_SEG_MAX = 2n, VIRTIO_BLK_F_RO = 5n, VIRTIO_BLK_F_BLK_SIZE = 6n, VIRTIO_BLK_F_FLUSH = 9n;
/** 5.2.6 request types and status values. */
const VIRTIO_BLK_T_IN = 0, VIRTIO_BLK_T_OUT = 1, VIRTIO_BLK_T_FLUSH = 4, VIRTIO_BLK_T_GET_ID = 8;
const VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2;
const SECTOR = 512, HEADER = 16, ID_BYTES = 20;
/** QEMU's virtio-blk queue-size default, which seg_max follows (seg_max = queue_size - 2). */
const QEMU_QUEUE_SIZE = 256;

export class VirtioBlock implements VirtioDevice {
  readonly deviceId = 2;
  readonly queueCount = 1;
  readonly features: bigint;
  /** 5.2.4 struct virtio_blk_config, up to the fields offered (the rest reads as zero). */
  readonly config = new Uint8Array(60);
  private readonly sectors: number;

  constructor(private readonly backend: BlockBackend, private readonly serial = "") {
    this.sectors = Math.floor(backend.size / SECTOR);
    this.features = bit(VIRTIO_BLK_F_SEG_MAX) | bit(VIRTIO_BLK_F_BLK_SIZE) | bit(VIRTIO_BLK_F_FLUSH) | (backend.readOnly ? bit(VIRTIO_BLK_F_RO) : 0n);
    const v = new DataView(this.config.buffer);
    v.setUint32(0, this.sectors >>> 0, true);
    v.setUint32(4, Math.floor(this.sectors / 0x100000000), true);
    v.setUint32(12, QEMU_QUEUE_SIZE - 2, true);
    v.setUint32(20, SECTOR, true);
  }

  serve(_queue: number, chain: Chain, mem: GuestMemory): number | "malformed" {
    // 5.2.6: a header the device reads, a status byte it writes last; QEMU's virtio_error
    // "missing headers" when either is absent.
    const header = gather(mem, chain.readable, HEADER);
    let writable = 0;
    for (const s of chain.writable) writable += s.length;
    if (!header || header.length < HEADER || writable < 1) return "malformed";
    const h = new DataView(header.buffer);
    const type = h.getUint32(0, true);
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
      switch (type) {
        case VIRTIO_BLK_T_IN: {
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
        case VIRTIO_BLK_T_OUT: {
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
          return VIRTIO_BLK_S_OK;
        }
        case VIRTIO_BLK_T_FLUSH:
          this.backend.flush();
          return VIRTIO_BLK_S_OK;
        case VIRTIO_BLK_T_GET_ID: {
          // QEMU copies the serial and its NUL, at most 20 bytes, no more than the buffer holds.
          const id = new TextEncoder().encode(this.serial + "\0").subarray(0, ID_BYTES);
          let at = 0;
          for (const s of dataIn) {
            if (at >= id.length) break;
            const n = Math.min(s.length, id.length - at);
            const into = mem.writableView(s.addr, n);
            if (!into) return VIRTIO_BLK_S_IOERR;
            into.set(id.subarray(at, at + n));
            at += n;
          }
          return VIRTIO_BLK_S_OK;
        }
        default:
          return VIRTIO_BLK_S_UNSUPP;
      }
    } catch {
      // The host's read or write failed: the guest sees an I/O error, as with QEMU's werror=report.
      return VIRTIO_BLK_S_IOERR;
    }
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
