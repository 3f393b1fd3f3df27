/**
 * A Xen PV network back end (xen/include/public/io/netif.h; Linux's drivers/net/xen-netback is
 * what a front end expects of one): the vif a partition's netfront drives, plugged into a port
 * of a virtual switch. One queue, one event channel for both rings, receive by copy.
 *
 * Transmit: the front end puts requests (gref, offset, flags, id, size) on its TX ring; a
 * packet is the first request and those chained to it by NETTXF_more_data, the first one's
 * size being the whole packet's. The back end copies each slot out of the granted page (the
 * grant pinned read-only for the copy, as GNTTABOP_copy does), answers every slot with its id,
 * and sends the frame to the switch. A packet with NETTXF_csum_blank gets its TCP or UDP
 * checksum completed here, since the frames go on to NICs that expect whole ones.
 *
 * Receive: the front end posts requests (id, gref) of empty pages on its RX ring; a frame from
 * the switch is copied into the next one at offset 0 (the grant pinned writable for the copy)
 * and answered with its length. Frames that find no request wait in a short queue, as
 * netback's does, and the oldest are dropped when it is full.
 *
 * Published features (Linux netback's names): feature-rx-copy = 1 and feature-rx-flip = 0,
 * nothing else, so the front end sends neither scatter-gather nor GSO packets and keeps the
 * MTU at 1500; it must ask for copying receive (request-rx-copy) and promise to notify on new
 * receive requests (feature-rx-notify), both mandatory in Linux's netback too.
 *
 * Hostile front ends: a req_prod past the ring, a slot crossing its page, a chain longer than
 * XEN_NETBK_LEGACY_SLOTS_MAX or running past req_prod disconnects the device (Linux's
 * xenvif_fatal_tx_err); a grant that does not give dom0 the page, or sizes that do not add
 * up, fail that packet (NETIF_RSP_ERROR) and nothing else.
 */
import type { NetBackend } from "../../net/backend.js";
import { finishChecksum, onesSum } from "../../net/user/checksum.js";
import { PROTOCOL_TCP, PROTOCOL_UDP } from "../../net/user/ipv4.js";
import { BackRing } from "./ring.js";
import { setU16, u16, u32 } from "./guest-memory.js";
import { XenbusBackend } from "./xenbus-backend.js";
import type { XenDomain } from "./domain.js";
import { BACKEND_DOMID } from "./event-channels.js";

/** struct netif_tx_request: grant_ref_t gref; uint16_t offset, flags, id, size. */
export const NETIF_TX_REQUEST = { gref: 0, offset: 4, flags: 6, id: 8, size: 10, bytes: 12 } as const;
/** struct netif_tx_response: uint16_t id; int16_t status. */
export const NETIF_TX_RESPONSE = { id: 0, status: 2, bytes: 4 } as const;
/** struct netif_rx_request: uint16_t id; uint16_t pad; grant_ref_t gref. */
export const NETIF_RX_REQUEST = { id: 0, gref: 4, bytes: 8 } as const;
/** struct netif_rx_response: uint16_t id, offset, flags; int16_t status. */
export const NETIF_RX_RESPONSE = { id: 0, offset: 2, flags: 4, status: 6, bytes: 8 } as const;
/** struct netif_extra_info: uint8_t type, flags; a 10-byte union (one TX slot). */
export const NETIF_EXTRA = { type: 0, flags: 1, bytes: 12 } as const;
export const NETTXF = { csum_blank: 1 << 0, data_validated: 1 << 1, more_data: 1 << 2, extra_info: 1 << 3 } as const;
export const XEN_NETIF_EXTRA_FLAG_MORE = 1;
export const NETIF_RSP = { dropped: -2, error: -1, okay: 0, null: 1 } as const;
/** A TX slot is the union of request, response and extra info: 12 bytes, so 256 slots; RX's 8 bytes also give 256. */
const TX_SLOT = Math.max(NETIF_TX_REQUEST.bytes, NETIF_TX_RESPONSE.bytes, NETIF_EXTRA.bytes);
const RX_SLOT = Math.max(NETIF_RX_REQUEST.bytes, NETIF_RX_RESPONSE.bytes);
/** Slots one packet may take (Linux netback's XEN_NETBK_LEGACY_SLOTS_MAX, XEN_NETIF_NR_SLOTS_MIN). */
export const MAX_SLOTS_PER_PACKET = 18;
/** Ethernet header: a shorter packet is refused. */
const ETH_HLEN = 14;
/** Frames waiting for receive requests. */
export const RX_QUEUE_FRAMES = 256;

export interface VifOptions {
  devid: number;
  mac: Uint8Array;
  /** Where the vif's frames go and come from: a switch port. */
  port: NetBackend;
  log: (line: string) => void;
}

function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export class Netback extends XenbusBackend {
  private tx: BackRing | undefined;
  private rx: BackRing | undefined;
  private readonly rxQueue: Uint8Array[] = [];
  private readonly port: NetBackend;
  /** Frames and errors, for tests and the hypervisor's stats. */
  readonly counters = { txFrames: 0, rxFrames: 0, txErrors: 0, rxDropped: 0 };

  constructor(domain: XenDomain, private readonly opts: VifOptions) {
    super(domain, "vif", opts.devid, opts.log);
    this.port = opts.port;
    this.port.deliverToGuest = (frame) => this.receive(frame);
  }

  protected toolstackNodes() {
    const mac = macText(this.opts.mac), handle = String(this.devid);
    // libxl_nic.c libxl__set_xenstore_nic: the backend's script, mac, bridge, handle and type;
    // the frontend's handle, mac and trusted, and its mtu read-only.
    return {
      backend: { script: "/etc/xen/scripts/vif-bridge", mac, bridge: "xenbr0", handle, type: "vif" },
      frontend: { handle, mac, trusted: "1" },
      frontendReadOnly: { mtu: "1500" },
    };
  }

  protected features() {
    return { "feature-rx-copy": "1", "feature-rx-flip": "0" };
  }

  protected connect(): string | undefined {
    // connect_data_rings / connect_rings in Linux's netback/xenbus.c.
    if (this.frontendUint("multi-queue-num-queues") !== undefined && this.frontendUint("multi-queue-num-queues") !== 1) return "multi-queue-num-queues: only one queue is offered";
    if (this.frontendUint("request-rx-copy") !== 1) return "request-rx-copy: the front end must take receive by copy";
    if (this.frontendUint("feature-rx-notify") !== 1) return "feature-rx-notify is mandatory";
    const txRef = this.frontendUint("tx-ring-ref"), rxRef = this.frontendUint("rx-ring-ref");
    if (txRef === undefined || rxRef === undefined) return "reading tx-ring-ref and rx-ring-ref";
    const tx = this.pinRing(txRef, "tx-ring-ref");
    if (typeof tx === "string") return tx;
    const rx = this.pinRing(rxRef, "rx-ring-ref");
    if (typeof rx === "string") return rx;
    if (tx.pa === rx.pa) return "tx-ring-ref and rx-ring-ref are the same page";
    const bad = this.bindChannel(this.frontendUint("event-channel"), "event-channel");
    if (bad) return bad;
    this.tx = new BackRing(tx.bytes, TX_SLOT, () => this.wrote(tx.pa, 4096));
    this.rx = new BackRing(rx.bytes, RX_SLOT, () => this.wrote(rx.pa, 4096));
    return undefined;
  }

  protected reset(): void {
    this.tx = this.rx = undefined;
    this.rxQueue.length = 0;
  }

  protected kick(): void {
    if (!this.connected) return;
    this.transmit();
    if (this.connected) this.drainRx();
  }

  // ---- transmit: the front end's packets to the switch ----

  private transmit(): void {
    const tx = this.tx!;
    const frames: Uint8Array[] = [];
    for (;;) {
      const n = tx.unconsumed();
      if (typeof n === "string") return this.fatal(`TX ring: ${n}`);
      if (n === 0) {
        if (!tx.finalCheck()) break;
        continue;
      }
      const packet = this.takePacket(tx, n);
      if (typeof packet === "string") return this.fatal(`TX ring: ${packet}`);
      if (packet) frames.push(packet);
    }
    if (tx.push()) this.notify();
    // Sent once the responses are out: the switch may hand them to a NIC in another partition at once.
    for (const f of frames) { this.counters.txFrames++; this.port.sendFromGuest(f); }
  }

  private respondTx(tx: BackRing, id: number, status: number): void {
    const r = tx.nextResponse(NETIF_TX_RESPONSE.bytes);
    setU16(r, NETIF_TX_RESPONSE.id, id);
    setU16(r, NETIF_TX_RESPONSE.status, status & 0xffff);
  }

  /** One packet off the ring, every slot answered: its frame, undefined when it failed, a message when the front end broke the protocol. */
  private takePacket(tx: BackRing, available: number): Uint8Array | undefined | string {
    const first = tx.takeRequest();
    let left = available - 1;
    const slots = [first];
    let extras = 0;
    // xenvif_get_extras: each extra info takes a slot (and gets a NULL response).
    if (u16(first, NETIF_TX_REQUEST.flags) & NETTXF.extra_info) {
      for (let more = true; more;) {
        if (left === 0) return "extra info runs past req_prod";
        const e = tx.takeRequest();
        left--;
        extras++;
        more = (e[NETIF_EXTRA.flags] & XEN_NETIF_EXTRA_FLAG_MORE) !== 0;
        if (extras > MAX_SLOTS_PER_PACKET) return "too many extra info slots";
      }
    }
    // xenvif_count_requests: the chain of NETTXF_more_data.
    while (u16(slots[slots.length - 1], NETIF_TX_REQUEST.flags) & NETTXF.more_data) {
      if (slots.length >= MAX_SLOTS_PER_PACKET) return `a packet of more than ${MAX_SLOTS_PER_PACKET} slots`;
      if (left === 0) return "a packet's slots run past req_prod";
      slots.push(tx.takeRequest());
      left--;
    }
    for (const s of slots) {
      const off = u16(s, NETIF_TX_REQUEST.offset), size = u16(s, NETIF_TX_REQUEST.size);
      if (s !== first && off + size > 4096) return `slot crosses its page (offset ${off}, size ${size})`;
    }
    const total = u16(first, NETIF_TX_REQUEST.size);
    let rest = 0;
    for (const s of slots.slice(1)) rest += u16(s, NETIF_TX_REQUEST.size);
    const firstLen = total - rest;
    let status: number = NETIF_RSP.okay;
    let frame: Uint8Array | undefined;
    if (total < ETH_HLEN || firstLen < 0) status = NETIF_RSP.error; // "Bad packet size", "slot size > remaining size"
    else if (u16(first, NETIF_TX_REQUEST.offset) + firstLen > 4096) return `slot crosses its page (offset ${u16(first, NETIF_TX_REQUEST.offset)}, size ${firstLen})`;
    else {
      frame = new Uint8Array(total);
      let at = 0;
      for (const s of slots) {
        const len = s === first ? firstLen : u16(s, NETIF_TX_REQUEST.size);
        if (!this.copyFromGrant(u32(s, NETIF_TX_REQUEST.gref), u16(s, NETIF_TX_REQUEST.offset), frame.subarray(at, at + len))) { status = NETIF_RSP.error; frame = undefined; break; }
        at += len;
      }
    }
    // make_tx_response: the first slot, NULL for its extras, then each chained slot.
    this.respondTx(tx, u16(first, NETIF_TX_REQUEST.id), status);
    for (let i = 0; i < extras; i++) tx.nextResponse(NETIF_TX_RESPONSE.bytes)[NETIF_TX_RESPONSE.status] = NETIF_RSP.null;
    for (const s of slots.slice(1)) this.respondTx(tx, u16(s, NETIF_TX_REQUEST.id), status);
    if (!frame) { this.counters.txErrors++; return undefined; }
    if (u16(first, NETIF_TX_REQUEST.flags) & NETTXF.csum_blank) completeChecksum(frame);
    return frame;
  }

  /** GNTTABOP_copy from the guest's grant `ref` (read-only suffices) into `into`. */
  private copyFromGrant(ref: number, offset: number, into: Uint8Array): boolean {
    if (into.length === 0) return true;
    const g = this.domain.grants;
    const r = g.pin(ref, BACKEND_DOMID, true, false);
    if (typeof r === "number") return false;
    into.set(this.domain.memory.view(r.pa + offset, into.length));
    g.unpin(ref, true);
    return true;
  }

  // ---- receive: frames from the switch into the front end's buffers ----

  private receive(frame: Uint8Array): void {
    if (!this.connected) return;
    if (this.rxQueue.length >= RX_QUEUE_FRAMES) { this.rxQueue.shift(); this.counters.rxDropped++; }
    this.rxQueue.push(frame);
    this.drainRx();
  }

  private drainRx(): void {
    const rx = this.rx!;
    let answered = false;
    while (this.rxQueue.length) {
      const n = rx.unconsumed();
      if (typeof n === "string") return this.fatal(`RX ring: ${n}`);
      if (n === 0) {
        if (!rx.finalCheck()) break;
        continue;
      }
      const frame = this.rxQueue.shift()!;
      const req = rx.takeRequest();
      const ref = u32(req, NETIF_RX_REQUEST.gref);
      let status: number = frame.length;
      if (frame.length > 4096) status = NETIF_RSP.error;
      else {
        const g = this.domain.grants;
        const r = g.pin(ref, BACKEND_DOMID, false, false);
        if (typeof r === "number") status = NETIF_RSP.error;
        else {
          this.domain.memory.view(r.pa, frame.length).set(frame);
          this.wrote(r.pa, frame.length);
          g.unpin(ref, false);
        }
      }
      if (status < 0) this.counters.rxDropped++;
      else this.counters.rxFrames++;
      const rsp = rx.nextResponse(NETIF_RX_RESPONSE.bytes);
      setU16(rsp, NETIF_RX_RESPONSE.id, u16(req, NETIF_RX_REQUEST.id));
      setU16(rsp, NETIF_RX_RESPONSE.offset, 0);
      setU16(rsp, NETIF_RX_RESPONSE.flags, 0);
      setU16(rsp, NETIF_RX_RESPONSE.status, status & 0xffff);
      answered = true;
    }
    if (answered && rx.push()) this.notify();
  }
}

/**
 * NETTXF_csum_blank: the front end left the TCP or UDP checksum to be filled in (Linux's
 * CHECKSUM_PARTIAL). It is computed from scratch over the pseudo-header (RFC 793 3.1, RFC 768)
 * and the segment, for IPv4 (the only family the back end offers checksum offload for).
 */
export function completeChecksum(frame: Uint8Array): void {
  let l3 = ETH_HLEN;
  let type = (frame[12] << 8) | frame[13];
  if (type === 0x8100 && frame.length >= 18) { type = (frame[16] << 8) | frame[17]; l3 = 18; }
  if (type !== 0x0800 || frame.length < l3 + 20 || (frame[l3] >> 4) !== 4) return;
  const ihl = (frame[l3] & 15) * 4, totalLen = (frame[l3 + 2] << 8) | frame[l3 + 3], proto = frame[l3 + 9];
  const l4 = l3 + ihl, end = l3 + totalLen;
  if (ihl < 20 || end > frame.length || end < l4) return;
  const csumAt = proto === PROTOCOL_TCP ? l4 + 16 : proto === PROTOCOL_UDP ? l4 + 6 : -1;
  if (csumAt < 0 || csumAt + 2 > end) return;
  frame[csumAt] = frame[csumAt + 1] = 0;
  // The pseudo-header's addresses are summed from the frame, as the segment is.
  let c = finishChecksum(onesSum(frame, l4, end, onesSum(frame, l3 + 12, l3 + 20) + proto + (end - l4)));
  if (c === 0 && proto === PROTOCOL_UDP) c = 0xffff;
  frame[csumAt] = c >> 8;
  frame[csumAt + 1] = c & 0xff;
}
