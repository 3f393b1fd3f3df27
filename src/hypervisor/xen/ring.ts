/**
 * The back end's half of a shared I/O ring (xen/include/public/io/ring.h): one page the front
 * end granted, a 64-byte header (req_prod, req_event, rsp_prod, rsp_event, then padding) and
 * a power-of-two array of slots, each a union of the request and the response. The indices run
 * free as 32-bit counters; a slot is the index modulo the ring size.
 *
 * The front end writes req_prod and rsp_event, the back end rsp_prod and req_event, and either
 * may be hostile: a req_prod more than a ring's worth ahead of what was consumed is Linux's
 * "Impossible number of requests" (RING_REQUEST_PROD_OVERFLOW), which disconnects the device.
 * Requests are copied out of the page before they are looked at (RING_COPY_REQUEST), so the
 * guest cannot change one while it is checked.
 */
import { setU32, u32 } from "./guest-memory.js";

/** struct NAME_sring's header. */
export const SRING = { req_prod: 0, req_event: 4, rsp_prod: 8, rsp_event: 12, ring: 64 } as const;

/** __CONST_RING_SIZE: the largest power of two of `slotBytes` slots that fits in the page after the header. */
export function ringSlots(slotBytes: number, pageBytes = 4096): number {
  let n = 1;
  while (SRING.ring + 2 * n * slotBytes <= pageBytes) n *= 2;
  return n;
}

export class BackRing {
  readonly slots: number;
  /** req_cons and rsp_prod_pvt of struct NAME_back_ring. */
  reqCons = 0;
  rspProdPvt = 0;

  /** `page`: the front end's ring page; `written`: the back end stored into it (reservations, decoded code). */
  constructor(private readonly page: Uint8Array, readonly slotBytes: number, private readonly written: () => void) {
    this.slots = ringSlots(slotBytes);
    // BACK_RING_ATTACH at the ring's start: the front end has just initialised it (SHARED_RING_INIT).
    this.reqCons = this.rspProdPvt = u32(page, SRING.rsp_prod);
  }

  /** Requests the front end has published and the back end not consumed; a message when req_prod is impossible. */
  unconsumed(): number | string {
    const prod = u32(this.page, SRING.req_prod);
    const n = (prod - this.reqCons) >>> 0;
    // Requests already answered cannot be outstanding again: at most a ring's worth beyond the responses.
    if (((prod - this.rspProdPvt) >>> 0) > this.slots) return `req_prod ${prod} is ${n} requests past req_cons ${this.reqCons} on a ring of ${this.slots}`;
    return n;
  }

  /** A copy of the next request, consumed. */
  takeRequest(): Uint8Array {
    const at = SRING.ring + (this.reqCons & (this.slots - 1)) * this.slotBytes;
    this.reqCons = (this.reqCons + 1) >>> 0;
    return this.page.slice(at, at + this.slotBytes);
  }

  /** The next response slot (zeroed), written in place; it is published by push(). */
  nextResponse(bytes: number): Uint8Array {
    const at = SRING.ring + (this.rspProdPvt & (this.slots - 1)) * this.slotBytes;
    this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
    const slot = this.page.subarray(at, at + bytes);
    slot.fill(0);
    return slot;
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publish the responses; whether the front end asked to be told (rsp_event). */
  push(): boolean {
    const old = u32(this.page, SRING.rsp_prod), next = this.rspProdPvt;
    if (old === next) return false;
    setU32(this.page, SRING.rsp_prod, next);
    this.written();
    return ((next - u32(this.page, SRING.rsp_event)) >>> 0) < ((next - old) >>> 0);
  }

  /**
   * RING_FINAL_CHECK_FOR_REQUESTS: with nothing left to do, ask to be told of the next request
   * (req_event), then look once more, since the front end may have published one meanwhile.
   */
  finalCheck(): boolean {
    setU32(this.page, SRING.req_event, (this.reqCons + 1) >>> 0);
    this.written();
    const n = this.unconsumed();
    return typeof n === "string" || n > 0;
  }
}
