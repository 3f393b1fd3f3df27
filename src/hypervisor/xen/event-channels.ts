/**
 * Event channels, the 2-level ABI (xen/include/public/event_channel.h, xen/common/event_channel.c
 * and event_2l.c): a port is pending when its bit in shared_info.evtchn_pending is set; an
 * unmasked pending port sets its word's bit in the notified vCPU's vcpu_info.evtchn_pending_sel
 * and then evtchn_upcall_pending, and the 0 -> 1 transition of that flag raises the upcall
 * interrupt (PPI 31 on Arm, GUEST_EVTCHN_PPI) on that vCPU. The guest clears the flags itself.
 *
 * This domain's peers: itself (loopback interdomain channels, IPIs), the other Xen partitions
 * (xen/common/event_channel.c evtchn_bind_interdomain: one side allocates an unbound port for
 * the other, which binds to it), and the hypervisor's own back ends (XenStore and the
 * console), which play the part of dom0's daemons.
 */
import { DOMID_SELF, EVTCHN_2L_NR_CHANNELS, EVTCHNSTAT, NR_VIRQS, SHARED_INFO, VCPU_INFO, XEN_ERRNO } from "./abi.js";
import type { SharedInfo } from "./shared-info.js";

/** dom0, where the toolstack's back ends live (here: the hypervisor's). */
export const BACKEND_DOMID = 0;

type Channel =
  | { state: "unbound"; vcpu: number; remoteDom: number }
  | { state: "interdomain"; vcpu: number; remoteDom: number; remotePort: number }
  | { state: "virq"; vcpu: number; virq: number }
  | { state: "ipi"; vcpu: number };

export interface ChannelStatus {
  status: number;
  vcpu: number;
  /** unbound: the domain allowed to bind; interdomain: the peer domain and its port; virq: the VIRQ. */
  dom?: number;
  port?: number;
  virq?: number;
}

/** What a back end does when the guest notifies it. */
export type BackendHandler = () => void;

export class EventChannels {
  private readonly ports = new Map<number, Channel>();
  private readonly backends = new Map<number, BackendHandler>();
  /** VIRQ -> port, per vCPU. */
  private readonly virqs: Map<number, number>[];

  constructor(
    private readonly domid: number,
    private readonly vcpus: number,
    private readonly shared: SharedInfo,
    /** Raise the upcall interrupt on vCPU `v`. */
    private readonly upcall: (v: number) => void,
    /** The event channels of domain `d` (this one's for its own id), or undefined when there is no such domain. */
    private readonly peer: (d: number) => EventChannels | undefined = () => undefined,
  ) {
    this.virqs = Array.from({ length: vcpus }, () => new Map());
  }

  /** A valid port number of the ABI; port 0 is never allocated (Xen reserves it). */
  static isValidPort(port: number): boolean {
    return Number.isInteger(port) && port > 0 && port < EVTCHN_2L_NR_CHANNELS;
  }

  private isSelf(dom: number): boolean {
    return dom === this.domid || dom === DOMID_SELF;
  }

  private freePort(): number | undefined {
    for (let p = 1; p < EVTCHN_2L_NR_CHANNELS; p++) if (!this.ports.has(p)) return p;
    return undefined;
  }

  /** The toolstack's channel to a back end in dom0 (the console's, XenStore's), at a fixed port. */
  connectBackend(port: number, handler: BackendHandler): void {
    this.ports.set(port, { state: "interdomain", vcpu: 0, remoteDom: BACKEND_DOMID, remotePort: port });
    this.backends.set(port, handler);
  }

  /**
   * A back end of the hypervisor's (dom0's netback, blkback) binds to a port the guest
   * allocated for dom0 with alloc_unbound and published in XenStore, as the back end's
   * EVTCHNOP_bind_interdomain would: the port must be unbound for dom0 (-EINVAL otherwise).
   */
  bindBackend(port: number, handler: BackendHandler): number {
    const c = EventChannels.isValidPort(port) ? this.ports.get(port) : undefined;
    if (!c || c.state !== "unbound" || c.remoteDom !== BACKEND_DOMID) return -XEN_ERRNO.EINVAL;
    this.ports.set(port, { state: "interdomain", vcpu: c.vcpu, remoteDom: BACKEND_DOMID, remotePort: port });
    this.backends.set(port, handler);
    return 0;
  }

  /** Whether `port` is still the channel `handler` bound (the guest may have closed it and reused the number). */
  isBoundTo(port: number, handler: BackendHandler): boolean {
    return this.backends.get(port) === handler;
  }

  /** The back end closes its end: the guest's port is unbound for dom0 again, as evtchn_close leaves the other end. */
  unbindBackend(port: number, handler: BackendHandler): void {
    if (!this.isBoundTo(port, handler)) return;
    this.backends.delete(port);
    const c = this.ports.get(port);
    if (c) this.ports.set(port, { state: "unbound", vcpu: c.vcpu, remoteDom: BACKEND_DOMID });
  }

  // ---- the 2-level ABI in shared memory ----

  private bit(offset: number, n: number): boolean {
    return (this.shared.bytes[offset + (n >> 3)] & (1 << (n & 7))) !== 0;
  }

  /** Test and set a bit; its old value. */
  private testAndSet(bytes: Uint8Array, offset: number, n: number): boolean {
    const i = offset + (n >> 3), m = 1 << (n & 7);
    const old = (bytes[i] & m) !== 0;
    bytes[i] |= m;
    return old;
  }

  isPending(port: number): boolean {
    return this.bit(SHARED_INFO.evtchn_pending, port);
  }

  isMasked(port: number): boolean {
    return this.bit(SHARED_INFO.evtchn_mask, port);
  }

  /** evtchn_2l_set_pending: the port's pending bit, then the selector and the upcall unless masked. */
  private setPending(port: number, vcpu: number): void {
    this.shared.touched();
    if (this.testAndSet(this.shared.bytes, SHARED_INFO.evtchn_pending, port)) return;
    this.notifyVcpu(port, vcpu);
  }

  private notifyVcpu(port: number, vcpu: number): void {
    if (this.isMasked(port)) return;
    const info = this.shared.vcpu(vcpu);
    if (this.testAndSet(info, VCPU_INFO.pending_sel, port >> 6)) return;
    this.markEventsPending(vcpu);
  }

  /** vcpu_mark_events_pending: evtchn_upcall_pending, and the upcall on its 0 -> 1 edge. */
  markEventsPending(vcpu: number): void {
    const info = this.shared.vcpu(vcpu);
    if (info[VCPU_INFO.upcall_pending] !== 0) return;
    info[VCPU_INFO.upcall_pending] = 1;
    this.upcall(vcpu);
  }

  /** A back end (or the hypervisor) signals the guest's end of channel `port`. */
  notifyGuest(port: number): void {
    const c = this.ports.get(port);
    if (c) this.setPending(port, c.vcpu);
  }

  /** A VIRQ fired on vCPU `vcpu`: its bound port, if any, becomes pending. */
  raiseVirq(virq: number, vcpu = 0): void {
    const port = this.virqs[vcpu]?.get(virq);
    if (port !== undefined) this.notifyGuest(port);
  }

  // ---- the EVTCHNOP_* operations; each returns 0 or a negated Xen error, and its results ----

  allocUnbound(dom: number, remoteDom: number): { rc: number; port?: number } {
    if (!this.isSelf(dom)) return { rc: -XEN_ERRNO.EPERM };
    const port = this.freePort();
    if (port === undefined) return { rc: -XEN_ERRNO.ENOSPC };
    this.ports.set(port, { state: "unbound", vcpu: 0, remoteDom: remoteDom === DOMID_SELF ? this.domid : remoteDom });
    return { rc: 0, port };
  }

  /**
   * evtchn_bind_interdomain: a new port here, bound to domain `remoteDom`'s port `remotePort`,
   * which must be unbound and allocated for this domain (-ESRCH: no such domain; -EINVAL
   * otherwise). Both ends are then interdomain, each naming the other.
   */
  bindInterdomain(remoteDom: number, remotePort: number): { rc: number; port?: number } {
    const rd = this.isSelf(remoteDom) ? this : this.peer(remoteDom);
    if (!rd) return { rc: -XEN_ERRNO.ESRCH };
    if (!EventChannels.isValidPort(remotePort)) return { rc: -XEN_ERRNO.EINVAL };
    const remote = rd.ports.get(remotePort);
    if (!remote || remote.state !== "unbound" || remote.remoteDom !== this.domid) return { rc: -XEN_ERRNO.EINVAL };
    const port = this.freePort();
    if (port === undefined) return { rc: -XEN_ERRNO.ENOSPC };
    this.ports.set(port, { state: "interdomain", vcpu: 0, remoteDom: rd.domid, remotePort });
    rd.ports.set(remotePort, { state: "interdomain", vcpu: remote.vcpu, remoteDom: this.domid, remotePort: port });
    // As Xen does after binding: the new port starts pending, so neither end misses a notification.
    this.setPending(port, 0);
    return { rc: 0, port };
  }

  /** The other end of interdomain channel `c`, if it is still bound to this one. */
  private peerEnd(port: number, c: { remoteDom: number; remotePort: number }): { ev: EventChannels; port: number } | undefined {
    const ev = c.remoteDom === this.domid ? this : this.peer(c.remoteDom);
    const other = ev?.ports.get(c.remotePort);
    if (!ev || !other || other.state !== "interdomain" || other.remoteDom !== this.domid || other.remotePort !== port) return undefined;
    return { ev, port: c.remotePort };
  }

  /** Every port closed (the domain is destroyed): the peers' ends become unbound for this domain again, as evtchn_destroy leaves them. */
  closeAll(): void {
    for (const port of [...this.ports.keys()]) this.close(port);
  }

  bindVirq(virq: number, vcpu: number): { rc: number; port?: number } {
    if (!Number.isInteger(virq) || virq < 0 || virq >= NR_VIRQS) return { rc: -XEN_ERRNO.EINVAL };
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpus) return { rc: -XEN_ERRNO.ENOENT };
    if (this.virqs[vcpu].has(virq)) return { rc: -XEN_ERRNO.EEXIST };
    const port = this.freePort();
    if (port === undefined) return { rc: -XEN_ERRNO.ENOSPC };
    this.ports.set(port, { state: "virq", vcpu, virq });
    this.virqs[vcpu].set(virq, port);
    return { rc: 0, port };
  }

  bindIpi(vcpu: number): { rc: number; port?: number } {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpus) return { rc: -XEN_ERRNO.ENOENT };
    const port = this.freePort();
    if (port === undefined) return { rc: -XEN_ERRNO.ENOSPC };
    this.ports.set(port, { state: "ipi", vcpu });
    return { rc: 0, port };
  }

  close(port: number): number {
    if (!EventChannels.isValidPort(port)) return -XEN_ERRNO.EINVAL;
    const c = this.ports.get(port);
    if (!c) return 0; // already closed (ECS_FREE): nothing to do
    if (c.state === "virq") this.virqs[c.vcpu].delete(c.virq);
    if (c.state === "interdomain") {
      this.backends.delete(port);
      const end = this.peerEnd(port, c);
      if (end) end.ev.ports.set(end.port, { state: "unbound", vcpu: end.ev.ports.get(end.port)!.vcpu, remoteDom: this.domid });
    }
    this.ports.delete(port);
    return 0;
  }

  send(port: number): number {
    if (!EventChannels.isValidPort(port)) return -XEN_ERRNO.EINVAL;
    const c = this.ports.get(port);
    if (!c) return -XEN_ERRNO.EINVAL;
    switch (c.state) {
      case "interdomain": {
        const backend = this.backends.get(port);
        if (backend) backend();
        else this.peerEnd(port, c)?.ev.notifyGuest(c.remotePort);
        return 0;
      }
      case "ipi":
        this.setPending(port, c.vcpu);
        return 0;
      case "unbound":
        return 0; // no one at the other end yet: dropped, as Xen does
      default:
        return -XEN_ERRNO.EINVAL;
    }
  }

  status(dom: number, port: number): { rc: number; status?: ChannelStatus } {
    if (!this.isSelf(dom)) return { rc: -XEN_ERRNO.ESRCH };
    if (!EventChannels.isValidPort(port)) return { rc: -XEN_ERRNO.EINVAL };
    const c = this.ports.get(port);
    if (!c) return { rc: 0, status: { status: EVTCHNSTAT.closed, vcpu: 0 } };
    switch (c.state) {
      case "unbound": return { rc: 0, status: { status: EVTCHNSTAT.unbound, vcpu: c.vcpu, dom: c.remoteDom } };
      case "interdomain": return { rc: 0, status: { status: EVTCHNSTAT.interdomain, vcpu: c.vcpu, dom: c.remoteDom, port: c.remotePort } };
      case "virq": return { rc: 0, status: { status: EVTCHNSTAT.virq, vcpu: c.vcpu, virq: c.virq } };
      case "ipi": return { rc: 0, status: { status: EVTCHNSTAT.ipi, vcpu: c.vcpu } };
    }
  }

  /** Notifications of `port` go to `vcpu` from now on (per-vCPU VIRQs and IPIs stay where they are bound). */
  bindVcpu(port: number, vcpu: number): number {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpus) return -XEN_ERRNO.ENOENT;
    if (!EventChannels.isValidPort(port)) return -XEN_ERRNO.EINVAL;
    const c = this.ports.get(port);
    if (!c || c.state === "virq" || c.state === "ipi") return -XEN_ERRNO.EINVAL;
    c.vcpu = vcpu;
    return 0;
  }

  /** evtchn_2l_unmask: clear the mask; a pending port then notifies its vCPU. */
  unmask(port: number): number {
    if (!EventChannels.isValidPort(port)) return -XEN_ERRNO.EINVAL;
    const bytes = this.shared.bytes;
    this.shared.touched();
    bytes[SHARED_INFO.evtchn_mask + (port >> 3)] &= ~(1 << (port & 7));
    if (this.isPending(port)) this.notifyVcpu(port, this.ports.get(port)?.vcpu ?? 0);
    return 0;
  }
}
