/**
 * The shared_info page and the vcpu_info structures of a domain (xen/include/public/xen.h).
 *
 * Xen owns shared_info from the domain's creation; XENMEM_add_to_physmap(XENMAPSPACE_shared_info)
 * makes it appear at a guest frame. Here the frame the guest names becomes the page itself (its
 * RAM, which Linux hands over zeroed): until then the state lives in a page of the
 * hypervisor's, copied there at the mapping, so events raised earlier are not lost.
 *
 * On Arm only vCPU 0's vcpu_info is in shared_info (XEN_LEGACY_MAX_VCPUS = 1); every vCPU may
 * move its own with VCPUOP_register_vcpu_info, once. Until then the other vCPUs write a dummy.
 */
import { SHARED_INFO, VCPU_INFO, XEN_LEGACY_MAX_VCPUS } from "./abi.js";
import { setU32, type GuestMemory } from "./guest-memory.js";

export class SharedInfo {
  private page: Uint8Array = new Uint8Array(4096);
  /** The guest frame shared_info is mapped at, once mapped. */
  gfn: number | undefined;
  private readonly vcpuInfo: (Uint8Array | undefined)[];
  private readonly dummies: Uint8Array[];

  constructor(private readonly memory: GuestMemory, vcpus: number, wallclockSeconds: number) {
    this.vcpuInfo = Array.from({ length: vcpus }, () => undefined);
    this.dummies = Array.from({ length: vcpus }, () => new Uint8Array(VCPU_INFO.bytes));
    // The wall clock at "system time 0" (the partition's boot), version even: stable.
    setU32(this.page, SHARED_INFO.wc_sec, wallclockSeconds >>> 0);
    setU32(this.page, SHARED_INFO.wc_sec_hi, Math.floor(wallclockSeconds / 2 ** 32));
  }

  get bytes(): Uint8Array {
    return this.page;
  }

  /** XENMAPSPACE_shared_info: the page moves to guest frame `gfn`; false when that is not writable RAM. */
  map(gfn: number): boolean {
    const view = this.memory.ipaView(gfn * 4096, 4096);
    if (!view) return false;
    // The vcpu_info of vCPU 0 moves with the page unless it was registered elsewhere.
    view.set(this.page);
    this.page = view;
    this.gfn = gfn;
    this.memory.touched();
    return true;
  }

  /** The hypervisor is about to change shared state behind the vCPUs' backs. */
  touched(): void {
    this.memory.touched();
  }

  /** vCPU `v`'s vcpu_info, wherever it is now. */
  vcpu(v: number): Uint8Array {
    const registered = this.vcpuInfo[v];
    if (registered) return registered;
    if (v < XEN_LEGACY_MAX_VCPUS) return this.page.subarray(SHARED_INFO.vcpu0 + v * VCPU_INFO.bytes, SHARED_INFO.vcpu0 + (v + 1) * VCPU_INFO.bytes);
    return this.dummies[v];
  }

  isRegistered(v: number): boolean {
    return this.vcpuInfo[v] !== undefined;
  }

  /**
   * VCPUOP_register_vcpu_info: vCPU `v`'s vcpu_info moves to (gfn, offset), its contents with
   * it (xen/common/domain.c map_vcpu_info). Undefined on success; "inval" when it is registered
   * already, or the place is not inside one page of RAM.
   */
  registerVcpu(v: number, gfn: number, offset: number): "inval" | "fault" | undefined {
    if (this.vcpuInfo[v]) return "inval";
    if (offset < 0 || offset + VCPU_INFO.bytes > 4096 || offset % 8 !== 0) return "inval";
    const view = this.memory.ipaView(gfn * 4096 + offset, VCPU_INFO.bytes);
    if (!view) return "inval";
    view.set(this.vcpu(v));
    this.vcpuInfo[v] = view;
    this.memory.touched();
    return undefined;
  }
}
