/**
 * A partition with `xen,enhanced` is a Xen domain: this is everything Xen 4.17 and its
 * toolstack keep for a domain on Arm and present to it (docs/misc/arm/device-tree/guest.txt,
 * xen/include/public/): the shared_info page and vcpu_info, event channels, the grant table,
 * the HVM parameters that point the guest at its console and XenStore pages, and the two back
 * ends dom0 would run, XenStore and the console daemon. The hypercalls that reach all this are
 * in hypercalls.ts.
 */
import type { Cpu } from "../../cpu/cpu.js";
import type { Bus } from "../../memory/bus.js";
import {
  CONSOLE_PORT, GUEST_EVTCHN_PPI, HVM_NR_PARAMS, HVM_PARAM, HVM_PARAM_CALLBACK_TYPE_PPI, HVM_PARAM_CALLBACK_TYPE_PPI_FLAG_LOW_LEVEL,
  STORE_PORT, VCPU_INFO, XEN_CONSOLE_IPA, XEN_REGION_IPA, XEN_REGION_SIZE, XEN_STORE_IPA,
} from "./abi.js";
import { GuestMemory, type MemoryWindow } from "./guest-memory.js";
import { SharedInfo } from "./shared-info.js";
import { EventChannels } from "./event-channels.js";
import { GrantTable } from "./grant-table.js";
import { GrantMappings, type Stage2PageSetter } from "./grant-mappings.js";
import { XenStore, type XsPerm } from "./xenstore.js";
import { XenStoreRing } from "./xenstore-ring.js";
import { PvConsole } from "./console.js";
import { XS_RING, XENSTORE_CONNECTED } from "./xs-wire.js";
import { setU32 } from "./guest-memory.js";

export type XenShutdown = "poweroff" | "reboot" | "crash";

/** What the hypervisor gives a Xen domain. */
export interface XenDomainHost {
  /** The domain's id: the partition's number (dom0 is the hypervisor). */
  domid: number;
  name: string;
  uuid: Uint8Array;
  /** The partition's RAM windows (IPA -> PA). */
  ram: readonly MemoryWindow[];
  /** Physical memory of the hypervisor's behind [XEN_REGION_IPA, + XEN_REGION_SIZE). */
  xenPagesPa: number;
  ramBytes: number;
  bus: Bus;
  vcpus: readonly Cpu[];
  /** The hypervisor's XenStore, which every Xen partition shares (a fresh one when not given). */
  store?: XenStore;
  wallclockSeconds: number;
  consoleOutput(bytes: Uint8Array): void;
  /**
   * Whether the domain has a PV console (HVM_PARAM_CONSOLE_PFN and the console/ nodes), as a
   * toolstack-built domain does (default). Xen builds dom0less domains without one: their
   * console is the vpl011.
   */
  pvConsole?: boolean;
  /** The level of the event upcall PPI of vCPU `v`. */
  setUpcallLine(v: number, level: boolean): void;
  shutdown(reason: XenShutdown, detail: string): void;
  /** The other Xen domains of the hypervisor, by domid (undefined: none, or not a Xen partition). */
  peer?(domid: number): XenDomain | undefined;
  /** Change one page of the partition's stage 2 and invalidate its vCPUs' TLBs (grant mappings, pages given back). */
  setStage2Page?: Stage2PageSetter;
}

/** The UUID as /sys/hypervisor/uuid and XenStore print it (lower case, 8-4-4-4-12). */
export function formatUuid(u: Uint8Array): string {
  const h = [...u].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A stable UUID for a partition (its handle, xen_domain_handle_t): the same config gives the
 * same one on every boot, as a domain configured with `uuid =` does. FNV-1a over the name,
 * marked as an RFC 4122 variant, version 4 layout.
 */
export function partitionUuid(id: number, label: string): Uint8Array {
  const out = new Uint8Array(16);
  const text = new TextEncoder().encode(`tessera-partition:${id}:${label}`);
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) {
    for (const b of text) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    h = Math.imul(h ^ i, 0x01000193) >>> 0;
    out[i] = h >>> 24;
  }
  out[6] = (out[6] & 0x0f) | 0x40;
  out[8] = (out[8] & 0x3f) | 0x80;
  return out;
}

export class XenDomain {
  readonly memory: GuestMemory;
  readonly shared: SharedInfo;
  readonly events: EventChannels;
  readonly grants: GrantTable;
  /** The grants of other domains this one has mapped, and the RAM it gave back for them. */
  readonly maps: GrantMappings;
  readonly store: XenStore;
  readonly storeRing: XenStoreRing;
  readonly console: PvConsole;
  readonly hvmParams = new Array<bigint>(HVM_NR_PARAMS).fill(0n);
  /** VCPUOP_register_runstate_memory_area: where each vCPU's runstate is (a guest virtual address). */
  readonly runstateArea: (bigint | undefined)[];
  runstateUpdateFlag = false;
  /** The PV devices dom0 serves it (netback, blkback), added by the hypervisor as the toolstack adds them. */
  readonly devices: { dispose(): void }[] = [];

  constructor(readonly host: XenDomainHost) {
    this.store = host.store ?? new XenStore();
    // A domain booting again starts from a fresh home, as libxl makes one for each new domain.
    this.store.releaseDomain(host.domid);
    const xenWindow: MemoryWindow = { ipa: XEN_REGION_IPA, pa: host.xenPagesPa, size: XEN_REGION_SIZE, writable: true };
    this.memory = new GuestMemory(host.bus, [...host.ram, xenWindow], host.vcpus);
    // A fresh domain's pages are zero (the same physical pages served the previous boot).
    host.bus.zero(host.xenPagesPa, XEN_REGION_SIZE);
    const n = host.vcpus.length;
    this.runstateArea = host.vcpus.map(() => undefined);
    this.shared = new SharedInfo(this.memory, n, host.wallclockSeconds);
    this.events = new EventChannels(host.domid, n, this.shared, (v) => host.setUpcallLine(v, true), (d) => this.domain(d)?.events);
    this.grants = new GrantTable(this.memory, host.ram);
    this.maps = new GrantMappings(host.domid, this.memory, host.ram, host.setStage2Page ?? (() => {}), (d) => this.domain(d));
    const page = (ipa: number) => () => this.memory.ipaView(ipa, 4096);
    const touched = () => this.memory.touched();
    this.console = new PvConsole(page(XEN_CONSOLE_IPA), (b) => host.consoleOutput(b), () => this.events.notifyGuest(CONSOLE_PORT), touched);
    this.storeRing = new XenStoreRing(this.store, host.domid, page(XEN_STORE_IPA), () => this.events.notifyGuest(STORE_PORT), touched);
    this.events.connectBackend(CONSOLE_PORT, () => this.console.kick());
    this.events.connectBackend(STORE_PORT, () => this.storeRing.kick());
    const storePage = this.memory.ipaView(XEN_STORE_IPA, 4096)!;
    setU32(storePage, XS_RING.connection, XENSTORE_CONNECTED);
    // The parameters the toolstack sets (xg_dom_arm.c, libxl): where the console and XenStore are.
    if (host.pvConsole !== false) {
      this.hvmParams[HVM_PARAM.CONSOLE_PFN] = BigInt(XEN_CONSOLE_IPA / 4096);
      this.hvmParams[HVM_PARAM.CONSOLE_EVTCHN] = BigInt(CONSOLE_PORT);
    }
    this.hvmParams[HVM_PARAM.STORE_PFN] = BigInt(XEN_STORE_IPA / 4096);
    this.hvmParams[HVM_PARAM.STORE_EVTCHN] = BigInt(STORE_PORT);
    this.hvmParams[HVM_PARAM.CALLBACK_IRQ] = (HVM_PARAM_CALLBACK_TYPE_PPI << 56n) | (HVM_PARAM_CALLBACK_TYPE_PPI_FLAG_LOW_LEVEL << 8n) | BigInt(GUEST_EVTCHN_PPI);
    this.populateStore();
    this.store.introduceDomain(host.domid);
  }

  /** Domain `d`: this one, or a peer. */
  domain(d: number): XenDomain | undefined {
    return d === this.host.domid ? this : this.host.peer?.(d);
  }

  /**
   * The domain is destroyed (its partition restarts as a new domain, or goes): as Xen's
   * domain_kill, its event channels close, so its peers' ends are unbound again; the grants
   * it mapped are released; and its pages leave the stage 2 of every domain that mapped them.
   */
  dispose(peers: Iterable<XenDomain>): void {
    // Its PV devices first: their back ends let go of its rings and channels, and their nodes leave XenStore.
    for (const d of this.devices.splice(0)) d.dispose();
    this.events.closeAll();
    this.maps.releaseAll();
    for (const p of peers) if (p !== this) { p.maps.revokeFrom(this); p.grants.unpinAll(this.host.domid); }
  }

  get domid(): number {
    return this.host.domid;
  }

  get uuid(): string {
    return formatUuid(this.host.uuid);
  }

  /** The nodes libxl creates for a new domain (tools/libs/light/libxl_create.c, libxl_dom.c). */
  private populateStore(): void {
    const d = this.host.domid;
    const home = XenStore.domainPath(d);
    const ro: XsPerm[] = [{ kind: "n", dom: 0 }, { kind: "r", dom: d }];
    const rw: XsPerm[] = [{ kind: "n", dom: d }];
    const s = this.store;
    const vm = `/vm/${this.uuid}`;
    if (s.read("/local/domain") === undefined) s.write("/local/domain", "");
    s.write(home, "", ro);
    s.write(vm, "", ro);
    s.write(`${vm}/uuid`, this.uuid, ro);
    s.write(`${vm}/name`, this.host.name, ro);
    s.write(`${home}/vm`, vm, ro);
    s.write(`${home}/name`, this.host.name, ro);
    s.write(`${home}/domid`, String(d), ro);
    const kib = String(Math.floor(this.host.ramBytes / 1024));
    // target equal to static-max: the balloon driver keeps all of the partition's memory.
    s.write(`${home}/memory/static-max`, kib, ro);
    s.write(`${home}/memory/target`, kib, ro);
    s.write(`${home}/memory/videoram`, "-1", ro);
    if (this.host.pvConsole !== false) {
      s.write(`${home}/console/ring-ref`, String(XEN_CONSOLE_IPA / 4096), ro);
      s.write(`${home}/console/port`, String(CONSOLE_PORT), ro);
      s.write(`${home}/console/limit`, "1048576", ro);
      s.write(`${home}/console/type`, "xenconsoled", ro);
      s.write(`${home}/console/output`, "pty", ro);
    }
    s.write(`${home}/store/ring-ref`, String(XEN_STORE_IPA / 4096), ro);
    s.write(`${home}/store/port`, String(STORE_PORT), ro);
    s.write(`${home}/control`, "", ro);
    for (const f of ["shutdown", "feature-poweroff", "feature-reboot", "feature-suspend", "sysrq"]) s.write(`${home}/control/${f}`, "", rw);
    for (const dir of ["device", "data", "drivers", "feature", "attr", "error"]) s.write(`${home}/${dir}`, "", rw);
    // Each vCPU's availability (libxl_dom.c), which Linux's cpu_hotplug watch reads.
    this.host.vcpus.forEach((_, i) => s.write(`${home}/cpu/${i}/availability`, "online", ro));
  }

  /** The level the upcall line of vCPU `v` should have now (evtchn_upcall_pending, re-read on EOI as Xen does on entry). */
  upcallPending(v: number): boolean {
    return this.shared.vcpu(v)[VCPU_INFO.upcall_pending] !== 0;
  }

  /** Bytes typed on the partition's console. */
  consoleInput(bytes: Uint8Array): void {
    this.console.input(bytes);
  }
}
