/**
 * The back end's side of a PV device's XenStore handshake (xen/include/public/io/xenbus.h,
 * Linux's drivers/xen/xenbus), played by the hypervisor as dom0. What the toolstack writes
 * when it adds a device (libxl_device.c libxl__device_generic_add) comes first: the backend
 * directory /local/domain/0/backend/TYPE/DOMID/DEVID, owned by dom0 and readable by the guest,
 * and the frontend directory /local/domain/DOMID/device/TYPE/DEVID, owned by the guest and
 * readable by dom0, both in XenbusStateInitialising. The back end then publishes its features
 * and goes to InitWait, as Linux's netback and blkback do in their probe, and the hotplug
 * script's "hotplug-status = connected" is written for it.
 *
 * The front end's state node is watched: when it reaches Initialised or Connected, the back
 * end reads the rings and event channel it published and connects (state Connected); Closing
 * and Closed take the device down; Initialising after Closed prepares for a reconnect (InitWait
 * again). A front end that gives something the back end cannot use (a bad grant, a ring index
 * out of range, a port not allocated for dom0) gets xenbus_dev_fatal's treatment: the reason
 * in /local/domain/0/error/backend/..., and the back end goes to Closing and stops serving it.
 */
import { XenStore, type XsPerm } from "./xenstore.js";
import { BACKEND_DOMID } from "./event-channels.js";
import type { XenDomain } from "./domain.js";
import { XS } from "./xs-wire.js";

/** enum xenbus_state (io/xenbus.h). */
export const XenbusState = {
  Unknown: 0, Initialising: 1, InitWait: 2, Initialised: 3, Connected: 4, Closing: 5, Closed: 6, Reconfiguring: 7, Reconfigured: 8,
} as const;

/** A page of the front end's, granted to dom0 and pinned while the device is connected. */
export interface PinnedPage {
  ref: number;
  pa: number;
  bytes: Uint8Array;
}

export abstract class XenbusBackend {
  readonly backendPath: string;
  readonly frontendPath: string;
  state: number = XenbusState.Initialising;
  private unwatch: (() => void) | undefined;
  private readonly pinned: PinnedPage[] = [];
  private boundPort: number | undefined;
  private readonly onEvent = () => this.kick();
  /** Why the device was given up, once it was. */
  failure: string | undefined;

  constructor(
    readonly domain: XenDomain,
    readonly type: string,
    readonly devid: number,
    /** A line for the hypervisor's log (a device given up). */
    protected readonly log: (line: string) => void,
  ) {
    this.backendPath = `${XenStore.domainPath(BACKEND_DOMID)}/backend/${type}/${domain.domid}/${devid}`;
    this.frontendPath = `${XenStore.domainPath(domain.domid)}/device/${type}/${devid}`;
  }

  get store(): XenStore {
    return this.domain.store;
  }

  /** What libxl writes in the backend and frontend directories besides the common nodes; `frontendReadOnly` (libxl's ro_front) are dom0's, readable by the domain. */
  protected abstract toolstackNodes(): { backend: Record<string, string>; frontend: Record<string, string>; frontendReadOnly?: Record<string, string> };
  /** The features the back end's probe publishes before InitWait. */
  protected abstract features(): Record<string, string>;
  /** Map the rings and bind the channel the front end published; a message when they are unusable. */
  protected abstract connect(): string | undefined;
  /** What is published on the way to Connected (blkback's sectors and info), after connect(). */
  protected connectedNodes(): Record<string, string> {
    return {};
  }
  /** The front end notified the back end's channel, or there may be work after connecting. */
  protected abstract kick(): void;
  /** Forget the connection's state (its rings are unpinned by the base class). */
  protected abstract reset(): void;

  /** The backend directory's permissions, for every node in it: dom0's, readable by the domain. */
  private get backendPerms(): XsPerm[] {
    return [{ kind: "n", dom: BACKEND_DOMID }, { kind: "r", dom: this.domain.domid }];
  }

  /** Add the device as the toolstack does and start the back end (its probe, then the watch). */

  start(): void {
    const d = this.domain.domid;
    const be = this.backendPerms;
    const fe: XsPerm[] = [{ kind: "n", dom: d }, { kind: "r", dom: BACKEND_DOMID }];
    const nodes = this.toolstackNodes();
    const s = this.store;
    s.write(this.backendPath, "", be);
    for (const [k, v] of Object.entries({ frontend: this.frontendPath, "frontend-id": String(d), online: "1", state: String(XenbusState.Initialising), ...nodes.backend })) s.write(`${this.backendPath}/${k}`, v, be);
    s.write(this.frontendPath, "", fe);
    for (const [k, v] of Object.entries({ backend: this.backendPath, "backend-id": String(BACKEND_DOMID), state: String(XenbusState.Initialising), ...nodes.frontend })) s.write(`${this.frontendPath}/${k}`, v, fe);
    for (const [k, v] of Object.entries(nodes.frontendReadOnly ?? {})) s.write(`${this.frontendPath}/${k}`, v, be);
    for (const [k, v] of Object.entries(this.features())) s.write(`${this.backendPath}/${k}`, v, be);
    s.write(`${this.backendPath}/hotplug-status`, "connected", be);
    this.switchState(XenbusState.InitWait);
    this.unwatch = s.watchAsTool(`${this.frontendPath}/state`, `${this.type}-${d}-${this.devid}`, () => this.frontendChanged());
  }

  protected switchState(state: number): void {
    if (this.state === state && this.store.read(`${this.backendPath}/state`) === String(state)) return;
    this.state = state;
    if (this.store.read(this.backendPath) !== undefined) this.store.write(`${this.backendPath}/state`, String(state), this.backendPerms);
  }

  /** A node of the front end's directory, as text; undefined when absent. */
  protected frontend(key: string): string | undefined {
    return this.store.read(`${this.frontendPath}/${key}`);
  }

  /** An unsigned number of the front end's (xenbus_scanf "%u"); undefined when absent or not a number. */
  protected frontendUint(key: string): number | undefined {
    const v = this.frontend(key);
    if (v === undefined || !/^\s*\d{1,10}\s*$/.test(v)) return undefined;
    const n = Number(v);
    return n <= 0xffff_ffff ? n : undefined;
  }

  private frontendChanged(): void {
    const text = this.frontend("state");
    const fe = text === undefined || !/^\d+$/.test(text) ? XenbusState.Unknown : Number(text);
    switch (fe) {
      case XenbusState.Initialising:
        if (this.state === XenbusState.Closed) this.switchState(XenbusState.InitWait);
        break;
      case XenbusState.Initialised:
      case XenbusState.Connected:
        if (this.state === XenbusState.Connected || this.state === XenbusState.Closing || this.failure) break;
        if (this.state !== XenbusState.InitWait && this.state !== XenbusState.Initialised) break;
        this.tryConnect();
        break;
      case XenbusState.Closing:
        this.disconnect();
        this.switchState(XenbusState.Closing);
        break;
      case XenbusState.Closed:
        this.disconnect();
        this.switchState(XenbusState.Closed);
        this.failure = undefined;
        break;
      case XenbusState.Unknown:
        // The front end's node is gone (or garbage): nothing to serve.
        this.disconnect();
        if (this.state !== XenbusState.Initialising) this.switchState(XenbusState.Closed);
        break;
    }
  }

  private tryConnect(): void {
    const problem = this.connect();
    if (problem !== undefined) { this.fatal(problem); return; }
    for (const [k, v] of Object.entries(this.connectedNodes())) this.store.write(`${this.backendPath}/${k}`, v, this.backendPerms);
    this.switchState(XenbusState.Connected);
    this.kick();
  }

  /** xenbus_dev_fatal: the reason where the toolstack looks for it, the connection dropped, state Closing. */
  protected fatal(message: string): void {
    if (this.failure !== undefined) return;
    this.failure = message;
    this.log(`${this.type} ${this.domain.domid}/${this.devid}: ${message}; device disconnected`);
    this.disconnect();
    const err = `${XenStore.domainPath(BACKEND_DOMID)}/error/backend/${this.type}/${this.domain.domid}/${this.devid}/error`;
    this.store.write(err, message);
    this.switchState(XenbusState.Closing);
  }

  protected get connected(): boolean {
    return this.state === XenbusState.Connected && this.failure === undefined;
  }

  /**
   * Pin grant `ref` of the front end's for dom0 (as the back end's map of a ring page does):
   * writable, a whole page of the guest's own RAM; a message naming the GNTST status otherwise.
   */
  protected pinRing(ref: number, what: string): PinnedPage | string {
    const r = this.domain.grants.pin(ref, BACKEND_DOMID, false, true);
    if (typeof r === "number") return `${what} ${ref}: grant refused (GNTST ${r})`;
    const page = { ref, pa: r.pa, bytes: this.domain.memory.view(r.pa, 4096) };
    this.pinned.push(page);
    return page;
  }

  /** The back end stored into a page of the guest's (a ring, a buffer): reservations lost, decoded code dropped. */
  protected wrote(pa: number, length: number): void {
    this.domain.memory.dropCodeAt(pa, length);
  }

  /** Bind the front end's event channel `port` (allocated for dom0); a message when it is not. */
  protected bindChannel(port: number | undefined, what: string): string | undefined {
    if (port === undefined) return `${what} missing`;
    if (this.domain.events.bindBackend(port, this.onEvent) !== 0) return `${what} ${port} is not a port allocated for domain 0`;
    this.boundPort = port;
    return undefined;
  }

  /** Notify the front end on its channel (when it is still the one bound). */
  protected notify(): void {
    const p = this.boundPort;
    if (p !== undefined && this.domain.events.isBoundTo(p, this.onEvent)) this.domain.events.notifyGuest(p);
  }

  /** Unpin the rings and unbind the channel. */
  private disconnect(): void {
    for (const p of this.pinned.splice(0)) this.domain.grants.unpin(p.ref, false);
    if (this.boundPort !== undefined) this.domain.events.unbindBackend(this.boundPort, this.onEvent);
    this.boundPort = undefined;
    this.reset();
  }

  /** The domain is destroyed: the device goes with it, and so do the backend's nodes (libxl__device_destroy). */
  dispose(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.disconnect();
    const rm = (path: string) => this.store.request(BACKEND_DOMID, XS.RM, 0, new TextEncoder().encode(`${path}\0`));
    rm(this.backendPath);
    rm(`${XenStore.domainPath(BACKEND_DOMID)}/error/backend/${this.type}/${this.domain.domid}/${this.devid}`);
  }
}
