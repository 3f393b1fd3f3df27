/**
 * One domain's connection to XenStore: the store ring page (xs_wire.h, struct
 * xenstore_domain_interface) and its event channel. The guest writes requests at req_prod and
 * notifies; each whole message is answered in rsp, in order, then the guest is notified back.
 * Watch events follow the reply of the request that raised them. What does not fit in rsp waits
 * until the guest consumes and notifies again.
 */
import { u32, setU32 } from "./guest-memory.js";
import { XS, XS_RING, XSD_SOCKMSG_BYTES, XENSTORE_PAYLOAD_MAX, XENSTORE_RING_SIZE } from "./xs-wire.js";
import type { XenStore } from "./xenstore.js";

const enc = new TextEncoder();

export class XenStoreRing {
  private input: number[] = [];
  private output: number[] = [];
  private events: { path: string; token: string }[] | undefined;

  constructor(
    private readonly store: XenStore,
    private readonly domid: number,
    /** The ring page, or undefined when it is not reachable. */
    private readonly page: () => Uint8Array | undefined,
    /** Notify the guest (its end of the store event channel). */
    private readonly notify: () => void,
    /** The hypervisor changed the page behind the vCPUs' backs. */
    private readonly touched: () => void,
  ) {
    store.connect(domid, (path, token) => {
      if (this.events) this.events.push({ path, token });
      else { this.queue(XS.WATCH_EVENT, 0, 0, enc.encode(`${path}\0${token}\0`)); this.flush(); }
    });
  }

  private queue(type: number, reqId: number, txId: number, payload: Uint8Array): void {
    const h = new Uint8Array(XSD_SOCKMSG_BYTES);
    setU32(h, 0, type); setU32(h, 4, reqId); setU32(h, 8, txId); setU32(h, 12, payload.length);
    for (const b of h) this.output.push(b);
    for (const b of payload) this.output.push(b);
  }

  /** The guest notified the store channel: take its requests, answer them. */
  kick(): void {
    const page = this.page();
    if (!page) return;
    this.touched();
    const cons = u32(page, XS_RING.req_cons), prod = u32(page, XS_RING.req_prod);
    const avail = (prod - cons) >>> 0;
    if (avail > XENSTORE_RING_SIZE) {
      // Indices no ring can have: resynchronise rather than read garbage.
      setU32(page, XS_RING.req_cons, prod);
      this.input = [];
    } else {
      for (let i = 0; i < avail; i++) this.input.push(page[XS_RING.req + ((cons + i) & (XENSTORE_RING_SIZE - 1))]);
      setU32(page, XS_RING.req_cons, prod);
    }
    while (this.input.length >= XSD_SOCKMSG_BYTES) {
      const h = Uint8Array.from(this.input.slice(0, XSD_SOCKMSG_BYTES));
      const type = u32(h, 0), reqId = u32(h, 4), txId = u32(h, 8), len = u32(h, 12);
      if (len > XENSTORE_PAYLOAD_MAX) {
        // A message longer than the protocol allows: refused, and the stream restarts.
        this.queue(XS.ERROR, reqId, txId, enc.encode("E2BIG\0"));
        this.input = [];
        break;
      }
      if (this.input.length < XSD_SOCKMSG_BYTES + len) break;
      const payload = Uint8Array.from(this.input.slice(XSD_SOCKMSG_BYTES, XSD_SOCKMSG_BYTES + len));
      this.input = this.input.slice(XSD_SOCKMSG_BYTES + len);
      this.events = [];
      const reply = this.store.request(this.domid, type, txId, payload);
      const events = this.events;
      this.events = undefined;
      if ("error" in reply) this.queue(XS.ERROR, reqId, txId, enc.encode(`${reply.error}\0`));
      else this.queue(type, reqId, txId, reply.payload);
      for (const e of events) this.queue(XS.WATCH_EVENT, 0, 0, enc.encode(`${e.path}\0${e.token}\0`));
    }
    this.flush(true);
  }

  /** Write what fits of the queued replies and events; notify the guest when anything moved. */
  private flush(consumed = false): void {
    const page = this.page();
    if (!page) return;
    this.touched();
    const cons = u32(page, XS_RING.rsp_cons);
    let prod = u32(page, XS_RING.rsp_prod);
    const used = (prod - cons) >>> 0;
    const room = used > XENSTORE_RING_SIZE ? 0 : XENSTORE_RING_SIZE - used;
    const n = Math.min(room, this.output.length);
    for (let i = 0; i < n; i++) { page[XS_RING.rsp + (prod & (XENSTORE_RING_SIZE - 1))] = this.output[i]; prod = (prod + 1) >>> 0; }
    this.output = this.output.slice(n);
    setU32(page, XS_RING.rsp_prod, prod);
    if (n > 0 || consumed) this.notify();
  }
}
