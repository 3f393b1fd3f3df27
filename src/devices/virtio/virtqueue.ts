/**
 * A split virtqueue (virtio 1.2 section 2.7) as the device side walks it: the descriptor table,
 * the driver's available ring and the device's used ring in guest RAM. Every index, address and
 * length the guest wrote is checked before use, because a driver bug must not become an
 * exception in the CPU loop: a malformed chain (a loop, a chain longer than the queue, a
 * descriptor outside RAM, a readable descriptor after a writable one, a nested or empty indirect
 * table) makes `pop` return "malformed", and the transport then sets DEVICE_NEEDS_RESET
 * (2.1.1) and stops serving the queue, as QEMU's virtio_error() does (hw/virtio/virtio.c).
 */
import type { GuestMemory } from "./guest-memory.js";

/** 2.7.5: descriptor flags. */
const VIRTQ_DESC_F_NEXT = 1, VIRTQ_DESC_F_WRITE = 2, VIRTQ_DESC_F_INDIRECT = 4;
/** 2.7.6: the driver asks for no used-buffer interrupt (without VIRTIO_F_EVENT_IDX). */
const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
const DESC_SIZE = 16;

/** One guest buffer of a chain. */
export interface Segment {
  addr: number;
  length: number;
}

/** A descriptor chain: what the device reads (driver to device), then what it writes. */
export interface Chain {
  head: number;
  readable: Segment[];
  writable: Segment[];
}

export class SplitVirtqueue {
  /** Ring addresses (guest physical) and size; `ready` once the driver set them up. */
  size = 0;
  desc = 0;
  avail = 0;
  used = 0;
  ready = false;
  /** VIRTIO_F_EVENT_IDX negotiated (2.7.7.2, 2.7.10): used_event and avail_event replace the flags. */
  eventIdx = false;
  private lastAvail = 0;
  private usedIdx = 0;
  /** The used index at the last interrupt, as QEMU's signalled_used (valid once one was sent). */
  private signalledUsed = 0;
  private signalledValid = false;

  constructor(readonly maxSize: number, private readonly mem: GuestMemory) {}

  reset(): void {
    this.size = 0; this.desc = 0; this.avail = 0; this.used = 0; this.ready = false;
    this.lastAvail = 0; this.usedIdx = 0; this.signalledUsed = 0; this.signalledValid = false;
  }

  /** The next available chain, undefined when the driver has made none, "malformed" on a bad one. */
  pop(): Chain | "malformed" | undefined {
    if (!this.ready || this.size === 0) return undefined;
    const availIdx = this.mem.readU16(this.avail + 2);
    if (availIdx === undefined) return "malformed";
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending === 0) return undefined;
    // 2.7.13.3: the driver can make at most `size` buffers available at once.
    if (pending > this.size) return "malformed";
    const head = this.mem.readU16(this.avail + 4 + 2 * (this.lastAvail % this.size));
    if (head === undefined) return "malformed";
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    // 2.7.10: tell the driver to notify again once it makes the next buffer available
    // (QEMU's virtqueue_split_pop sets avail_event on every pop).
    if (this.eventIdx && !this.mem.writeU16(this.used + 4 + 8 * this.size, this.lastAvail)) return "malformed";
    return this.walk(head) ?? "malformed";
  }

  /**
   * Give back the last `count` chains popped and not yet used, so the next pop returns them
   * again (QEMU's virtqueue_unpop): a receive queue whose buffers cannot hold a frame keeps them.
   */
  unpop(count: number): void {
    this.lastAvail = (this.lastAvail - count) & 0xffff;
    if (this.eventIdx) this.mem.writeU16(this.used + 4 + 8 * this.size, this.lastAvail);
  }

  /** Follow the chain from `head` (2.7.5 and, for indirect tables, 2.7.5.3). */
  private walk(head: number): Chain | undefined {
    if (head >= this.size) return undefined;
    const chain: Chain = { head, readable: [], writable: [] };
    let table = this.desc, tableSize = this.size, index = head, indirect = false;
    // A well-formed chain visits each descriptor of its table at most once (2.7.5.2).
    let budget = tableSize;
    for (;;) {
      if (budget-- === 0) return undefined;
      const at = table + index * DESC_SIZE;
      const addr = this.mem.readU64(at), length = this.mem.readU32(at + 8);
      const flags = this.mem.readU16(at + 12), next = this.mem.readU16(at + 14);
      if (addr === undefined || length === undefined || flags === undefined || next === undefined) return undefined;
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        // 2.7.5.3.1: no indirect table inside one, no NEXT beside INDIRECT, a whole number of descriptors.
        if (indirect || (flags & VIRTQ_DESC_F_NEXT) || length === 0 || length % DESC_SIZE !== 0) return undefined;
        if (!this.mem.view(addr, length)) return undefined;
        table = addr; tableSize = length / DESC_SIZE; index = 0; indirect = true; budget = tableSize;
        continue;
      }
      if (!this.mem.view(addr, length)) return undefined;
      if (flags & VIRTQ_DESC_F_WRITE) chain.writable.push({ addr, length });
      else if (chain.writable.length > 0) return undefined; // 2.7.4.2: readable ones come first
      else chain.readable.push({ addr, length });
      if (!(flags & VIRTQ_DESC_F_NEXT)) return chain;
      if (next >= tableSize) return undefined;
      index = next;
    }
  }

  /** Return a chain to the driver with `written` bytes in its writable part (2.7.8). */
  push(head: number, written: number): boolean {
    const slot = this.used + 4 + 8 * (this.usedIdx % this.size);
    if (!this.mem.writeU32(slot, head) || !this.mem.writeU32(slot + 4, written)) return false;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    // The ring entry must be visible before the index that publishes it (2.7.8); both are
    // plain stores to RAM here, in this order.
    return this.mem.writeU16(this.used + 2, this.usedIdx);
  }

  /**
   * Whether the driver wants an interrupt for the buffers used since the last one (2.7.7):
   * with EVENT_IDX when the used index has passed used_event (vring_need_event), else unless
   * the driver set VIRTQ_AVAIL_F_NO_INTERRUPT.
   */
  wantsInterrupt(): boolean {
    if (!this.eventIdx) {
      const flags = this.mem.readU16(this.avail);
      return flags === undefined || !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    const old = this.signalledUsed, valid = this.signalledValid;
    this.signalledUsed = this.usedIdx;
    this.signalledValid = true;
    const event = this.mem.readU16(this.avail + 4 + 2 * this.size);
    if (!valid || event === undefined) return true;
    return ((this.usedIdx - event - 1) & 0xffff) < ((this.usedIdx - old) & 0xffff);
  }
}

/** Gather a chain's readable bytes (up to `limit`) into one array; undefined when not RAM. */
export function gather(mem: GuestMemory, segments: readonly Segment[], limit = Infinity): Uint8Array | undefined {
  let total = 0;
  for (const s of segments) total += s.length;
  const out = new Uint8Array(Math.min(total, limit));
  let at = 0;
  for (const s of segments) {
    if (at >= out.length) break;
    const n = Math.min(s.length, out.length - at);
    const v = mem.view(s.addr, n);
    if (!v) return undefined;
    out.set(v, at);
    at += n;
  }
  return out;
}

/** Scatter `data` into writable segments starting `skip` bytes in; returns the bytes written. */
export function scatter(mem: GuestMemory, segments: readonly Segment[], data: Uint8Array, skip = 0): number {
  let done = 0, pos = 0;
  for (const s of segments) {
    if (done >= data.length) break;
    const segEnd = pos + s.length;
    if (segEnd > skip) {
      const from = Math.max(skip - pos, 0);
      const n = Math.min(s.length - from, data.length - done);
      const v = mem.writableView(s.addr + from, n);
      if (!v) return done;
      v.set(data.subarray(done, done + n));
      done += n;
    }
    pos = segEnd;
  }
  return done;
}
