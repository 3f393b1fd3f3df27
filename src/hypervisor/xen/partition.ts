/**
 * A Xen domain bound to a partition: what the hypervisor's hooks call. It maps nothing itself;
 * the hypervisor maps the Xen pages (XEN_REGION_IPA) in the partition's stage 2 to `xenPagesPa`.
 */
import type { Cpu } from "../../cpu/cpu.js";
import { GUEST_EVTCHN_PPI, XEN_HYPERCALL_TAG } from "./abi.js";
import { XenDomain, type XenDomainHost } from "./domain.js";
import { XenHypercalls, type HypercallResult } from "./hypercalls.js";

export { XEN_REGION_IPA, XEN_REGION_SIZE } from "./abi.js";
export { partitionUuid, formatUuid, type XenShutdown } from "./domain.js";

/** The part of a GIC model the event upcall needs. */
interface UpcallGic {
  setInput(cpu: number, intid: number, level: boolean): void;
  readonly core: { onDeactivate: ((cpu: number, intid: number) => void) | undefined };
}

export class XenPartition {
  readonly domain: XenDomain;
  private readonly hypercalls: XenHypercalls;

  constructor(host: Omit<XenDomainHost, "setUpcallLine">, gic: UpcallGic) {
    this.domain = new XenDomain({ ...host, setUpcallLine: (v, level) => gic.setInput(v, GUEST_EVTCHN_PPI, level) });
    this.hypercalls = new XenHypercalls(this.domain);
    // The upcall line follows evtchn_upcall_pending: when the guest has finished with the
    // interrupt, the line drops unless more events came in meanwhile.
    gic.core.onDeactivate = (cpu, intid) => {
      if (intid === GUEST_EVTCHN_PPI) gic.setInput(cpu, GUEST_EVTCHN_PPI, this.domain.upcallPending(cpu));
    };
  }

  /** Whether an HVC with this immediate is a Xen hypercall. */
  static isHypercall(imm: number): boolean {
    return imm === XEN_HYPERCALL_TAG;
  }

  /** A hypercall of the vCPU running on `cpu`: the value for x0, and how to continue it if it is not done. */
  hypercall(cpu: Cpu): HypercallResult {
    return this.hypercalls.call(cpu);
  }

  consoleInput(bytes: Uint8Array): void {
    this.domain.consoleInput(bytes);
  }
}
