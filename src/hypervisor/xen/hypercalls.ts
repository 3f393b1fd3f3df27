/**
 * Xen's hypercalls as an Arm guest makes them (xen/include/public/arch-arm.h, "Hypercall calling
 * convention"): HVC #0xEA1 with the hypercall number in x16, its arguments in x0-x4 and the
 * result in x0 (0 or a negated Xen errno, xen/include/public/errno.h). Argument structures are
 * guest virtual addresses, reached through the vCPU's stage 1 and the partition's stage 2;
 * anything outside the partition's RAM is -EFAULT. Unknown hypercalls and subops are -ENOSYS,
 * as in Xen; malformed arguments get the error Xen gives them.
 */
import type { Cpu } from "../../cpu/cpu.js";
import {
  ADD_TO_PHYSMAP, CONSOLEIO, DOMID_SELF, EVTCHNOP, GET_VERSION, GNTST, GNTTABOP, HVM_NR_PARAMS, HVM_PARAM_ARG, HVMOP, HYPERCALL,
  QUERY_SIZE, REGISTER_VCPU_INFO, SCHED_POLL, SCHEDOP, SETUP_TABLE, SHUTDOWN, VCPU_INFO, VCPUOP, VMASST, XEN_ERRNO, XEN_EXTRAVERSION, XEN_VIRT_START,
  XEN_MAJOR, XEN_MINOR, XENFEAT_SUBMAP0, XENMAPSPACE, XENMEM, XENVER, EVTCHN_2L_NR_CHANNELS,
} from "./abi.js";
import { setU16, setU32, setU64, u16, u32, u64 } from "./guest-memory.js";
import type { XenDomain } from "./domain.js";

const E = XEN_ERRNO;
/** Frame numbers beyond a 52-bit address space (the largest Arm has) name no memory. */
const MAX_GFN = 1n << 40n;
const enc = new TextEncoder();

/** A fixed-size, NUL-padded string buffer (the char[] results of xen_version). */
function fixed(text: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(enc.encode(text).subarray(0, size - 1));
  return out;
}

/** The result register value of a return code. */
export function rcToRegister(rc: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(rc));
}

export class XenHypercalls {
  constructor(private readonly dom: XenDomain) {}

  /** One hypercall from `cpu`, a vCPU of the domain: the value for x0. */
  call(cpu: Cpu): bigint {
    const reg = (r: number) => (BigInt(cpu.x[r * 2 + 1] >>> 0) << 32n) | BigInt(cpu.x[r * 2] >>> 0);
    const nr = reg(16);
    const a = [reg(0), reg(1), reg(2), reg(3), reg(4)];
    const cmd = Number(a[0] & 0xffffffffn);
    switch (nr) {
      case BigInt(HYPERCALL.xen_version): return rcToRegister(this.xenVersion(cpu, cmd, a[1]));
      case BigInt(HYPERCALL.memory_op): return rcToRegister(this.memoryOp(cpu, cmd, a[1]));
      case BigInt(HYPERCALL.vcpu_op): return rcToRegister(this.vcpuOp(cpu, cmd, Number(a[1] & 0xffffffffn), a[2]));
      case BigInt(HYPERCALL.event_channel_op): return rcToRegister(this.eventChannelOp(cpu, cmd, a[1]));
      case BigInt(HYPERCALL.grant_table_op): return rcToRegister(this.grantTableOp(cpu, cmd, a[1], Number(a[2] & 0xffffffffn)));
      case BigInt(HYPERCALL.sched_op): return rcToRegister(this.schedOp(cpu, cmd, a[1]));
      case BigInt(HYPERCALL.hvm_op): return rcToRegister(this.hvmOp(cpu, cmd, a[1]));
      case BigInt(HYPERCALL.console_io): return rcToRegister(this.consoleIo(cpu, cmd, Number(BigInt.asIntN(32, a[1] & 0xffffffffn)), a[2]));
      case BigInt(HYPERCALL.vm_assist): return rcToRegister(this.vmAssist(cmd, Number(a[1] & 0xffffffffn)));
      default: return rcToRegister(-E.ENOSYS);
    }
  }

  private isSelf(domid: number): boolean {
    return domid === DOMID_SELF || domid === this.dom.host.domid;
  }

  private read(cpu: Cpu, va: bigint, n: number): Uint8Array | undefined {
    return this.dom.memory.copyFromGuest(cpu, va, n);
  }

  private write(cpu: Cpu, va: bigint, data: Uint8Array): boolean {
    return this.dom.memory.copyToGuest(cpu, va, data);
  }

  // ---- xen_version (version.h) ----

  private xenVersion(cpu: Cpu, cmd: number, arg: bigint): number {
    const out = (data: Uint8Array) => (this.write(cpu, arg, data) ? 0 : -E.EFAULT);
    switch (cmd) {
      case XENVER.version: return (XEN_MAJOR << 16) | XEN_MINOR;
      case XENVER.extraversion: return out(fixed(XEN_EXTRAVERSION, 16));
      case XENVER.capabilities: return out(fixed("xen-3.0-aarch64 xen-3.0-armv7l ", 1024));
      // Xen's default XSM policy (xsm/dummy.h, xsm_xen_version) gives every guest the version,
      // extraversion, capabilities, changeset and compile information; the command line reads
      // "<denied>" (xen_deny()) and the build id is EPERM for a domain without privilege.
      case XENVER.changeset: return out(fixed("", 64));
      case XENVER.commandline: return out(fixed("<denied>", 1024));
      case XENVER.compile_info: {
        // xen_compile_info: compiler[64], compile_by[16], compile_domain[32], compile_date[32].
        // This hypervisor is not a C build: it names itself and leaves the rest empty.
        const info = new Uint8Array(64 + 16 + 32 + 32);
        info.set(fixed("tessera", 64), 0); info.set(fixed("tessera", 16), 64);
        return out(info);
      }
      case XENVER.platform_parameters: {
        // xen_platform_parameters: virt_start, the start of the hypervisor's virtual range.
        const p = new Uint8Array(8);
        setU32(p, 0, XEN_VIRT_START);
        return out(p);
      }
      case XENVER.get_features: {
        const fi = this.read(cpu, arg, 8);
        if (!fi) return -E.EFAULT;
        // XENFEAT_NR_SUBMAPS is 1: submap 0 only.
        if (u32(fi, 0) !== 0) return -E.EINVAL;
        setU32(fi, 4, XENFEAT_SUBMAP0);
        return out(fi);
      }
      case XENVER.pagesize: return 4096;
      case XENVER.guest_handle: return out(this.dom.host.uuid.slice());
      case XENVER.build_id: return -E.EPERM;
      default: return -E.ENOSYS;
    }
  }

  // ---- memory_op (memory.h) ----

  private memoryOp(cpu: Cpu, cmd: number, arg: bigint): number {
    // The low bits are the subop; the rest is a continuation's start extent (MEMOP_CMD_MASK).
    switch (cmd & 0x3f) {
      case XENMEM.add_to_physmap: {
        const x = this.read(cpu, arg, ADD_TO_PHYSMAP.bytes);
        if (!x) return -E.EFAULT;
        if (!this.isSelf(u16(x, ADD_TO_PHYSMAP.domid))) return -E.ESRCH;
        const space = u32(x, ADD_TO_PHYSMAP.space);
        const idx = u64(x, ADD_TO_PHYSMAP.idx), gpfn = u64(x, ADD_TO_PHYSMAP.gpfn);
        if (gpfn > MAX_GFN) return -E.EINVAL;
        if (space === XENMAPSPACE.shared_info) {
          if (idx !== 0n) return -E.EINVAL;
          return this.dom.shared.map(Number(gpfn)) ? 0 : -E.EINVAL;
        }
        if (space === XENMAPSPACE.grant_table) {
          if (idx > 0xffffffffn) return -E.EINVAL;
          return this.dom.grants.mapFrame(Number(idx), Number(gpfn));
        }
        // Moving the domain's own RAM about (gmfn, gmfn_range) and foreign or device mappings
        // are not offered.
        return space <= XENMAPSPACE.dev_mmio ? -E.EOPNOTSUPP : -E.EINVAL;
      }
      default: return -E.ENOSYS;
    }
  }

  // ---- vcpu_op (vcpu.h; on Arm only the two registrations, xen/arch/arm/domain.c do_arm_vcpu_op) ----

  private vcpuOp(cpu: Cpu, cmd: number, vcpuid: number, arg: bigint): number {
    if (cmd !== VCPUOP.register_vcpu_info && cmd !== VCPUOP.register_runstate_memory_area) return -E.EINVAL;
    if (vcpuid < 0 || vcpuid >= this.dom.host.vcpus.length) return -E.ENOENT;
    if (cmd === VCPUOP.register_runstate_memory_area) {
      const r = this.read(cpu, arg, 8);
      if (!r) return -E.EFAULT;
      this.dom.runstateArea[vcpuid] = u64(r, 0);
      return 0;
    }
    const r = this.read(cpu, arg, REGISTER_VCPU_INFO.bytes);
    if (!r) return -E.EFAULT;
    const gfn = u64(r, REGISTER_VCPU_INFO.mfn), offset = u32(r, REGISTER_VCPU_INFO.offset);
    if (gfn > MAX_GFN) return -E.EINVAL;
    const bad = this.dom.shared.registerVcpu(vcpuid, Number(gfn), offset);
    if (bad) return -E.EINVAL;
    // Everything is marked pending, so nothing raised before the move is lost (map_vcpu_info).
    const info = this.dom.shared.vcpu(vcpuid);
    info.fill(0xff, VCPU_INFO.pending_sel, VCPU_INFO.pending_sel + 8);
    this.dom.events.markEventsPending(vcpuid);
    return 0;
  }

  // ---- event_channel_op (event_channel.h) ----

  private eventChannelOp(cpu: Cpu, cmd: number, arg: bigint): number {
    const ev = this.dom.events;
    const sizes: Record<number, number> = {
      [EVTCHNOP.alloc_unbound]: 8, [EVTCHNOP.bind_interdomain]: 12, [EVTCHNOP.bind_virq]: 12, [EVTCHNOP.bind_ipi]: 8,
      [EVTCHNOP.close]: 4, [EVTCHNOP.send]: 4, [EVTCHNOP.status]: 24, [EVTCHNOP.bind_vcpu]: 8, [EVTCHNOP.unmask]: 4,
    };
    const size = sizes[cmd];
    if (size === undefined) return -E.ENOSYS; // FIFO ABI (init_control, expand_array, set_priority), pirqs, reset
    const s = this.read(cpu, arg, size);
    if (!s) return -E.EFAULT;
    const back = (r: { rc: number; port?: number }, at: number) => {
      if (r.rc !== 0) return r.rc;
      setU32(s, at, r.port!);
      return this.write(cpu, arg, s) ? 0 : -E.EFAULT;
    };
    switch (cmd) {
      case EVTCHNOP.alloc_unbound: return back(ev.allocUnbound(u16(s, 0), u16(s, 2)), 4);
      case EVTCHNOP.bind_interdomain: return back(ev.bindInterdomain(u16(s, 0), u32(s, 4)), 8);
      case EVTCHNOP.bind_virq: return back(ev.bindVirq(u32(s, 0), u32(s, 4)), 8);
      case EVTCHNOP.bind_ipi: return back(ev.bindIpi(u32(s, 0)), 4);
      case EVTCHNOP.close: return ev.close(u32(s, 0));
      case EVTCHNOP.send: return ev.send(u32(s, 0));
      case EVTCHNOP.bind_vcpu: return ev.bindVcpu(u32(s, 0), u32(s, 4));
      case EVTCHNOP.unmask: return ev.unmask(u32(s, 0));
      case EVTCHNOP.status: {
        const r = ev.status(u16(s, 0), u32(s, 4));
        if (r.rc !== 0) return r.rc;
        const st = r.status!;
        setU32(s, 8, st.status); setU32(s, 12, st.vcpu);
        s.fill(0, 16);
        if (st.virq !== undefined) setU32(s, 16, st.virq);
        if (st.dom !== undefined) setU16(s, 16, st.dom);
        if (st.port !== undefined) setU32(s, 20, st.port);
        return this.write(cpu, arg, s) ? 0 : -E.EFAULT;
      }
    }
    return -E.ENOSYS;
  }

  // ---- grant_table_op (grant_table.h) ----

  private grantTableOp(cpu: Cpu, cmd: number, uop: bigint, count: number): number {
    const gt = this.dom.grants;
    switch (cmd) {
      case GNTTABOP.query_size: {
        if (count !== 1) return -E.EINVAL;
        const q = this.read(cpu, uop, QUERY_SIZE.bytes);
        if (!q) return -E.EFAULT;
        if (!this.isSelf(u16(q, QUERY_SIZE.dom))) setU16(q, QUERY_SIZE.status, GNTST.bad_domain & 0xffff);
        else {
          setU32(q, QUERY_SIZE.nr_frames, gt.nrFrames);
          setU32(q, QUERY_SIZE.max_nr_frames, gt.maxFrames);
          setU16(q, QUERY_SIZE.status, GNTST.okay);
        }
        return this.write(cpu, uop, q) ? 0 : -E.EFAULT;
      }
      case GNTTABOP.setup_table: {
        if (count !== 1) return -E.EINVAL;
        const q = this.read(cpu, uop, SETUP_TABLE.bytes);
        if (!q) return -E.EFAULT;
        let status: number = GNTST.okay;
        if (!this.isSelf(u16(q, SETUP_TABLE.dom))) status = GNTST.bad_domain;
        else {
          const r = gt.setup(u32(q, SETUP_TABLE.nr_frames));
          status = r.status;
          if (r.frames) {
            const list = new Uint8Array(8 * r.frames.length);
            r.frames.forEach((f, i) => setU64(list, 8 * i, f));
            if (!this.write(cpu, u64(q, SETUP_TABLE.frame_list), list)) status = GNTST.bad_virt_addr;
          }
        }
        setU16(q, SETUP_TABLE.status, status & 0xffff);
        return this.write(cpu, uop, q) ? 0 : -E.EFAULT;
      }
      case GNTTABOP.set_version: {
        if (count !== 1) return -E.EINVAL;
        const q = this.read(cpu, uop, 4);
        if (!q) return -E.EFAULT;
        const want = u32(q, 0);
        // Version 1 only; asking for it (or 0, "what is it") succeeds and reports it.
        setU32(q, 0, 1);
        const rc = want === 0 || want === 1 ? 0 : -E.EINVAL;
        return this.write(cpu, uop, q) ? rc : -E.EFAULT;
      }
      case GNTTABOP.get_version: {
        if (count !== 1) return -E.EINVAL;
        const q = this.read(cpu, uop, GET_VERSION.bytes);
        if (!q) return -E.EFAULT;
        if (!this.isSelf(u16(q, GET_VERSION.dom))) return -E.ESRCH;
        setU32(q, GET_VERSION.version, gt.version);
        return this.write(cpu, uop, q) ? 0 : -E.EFAULT;
      }
      case GNTTABOP.copy: return this.grantCopy(cpu, uop, count);
      default: return -E.ENOSYS; // mapping grants (of this or other domains) comes with the back ends
    }
  }

  /**
   * GNTTABOP_copy within the domain (struct gnttab_copy, 40 bytes: source and dest {union { ref,
   * gmfn }; domid; offset}, len, flags, status): each side is a grant reference of the domain
   * (GNTCOPY_source_gref / dest_gref) or one of its frames; the copy stays inside a page.
   */
  private grantCopy(cpu: Cpu, uop: bigint, count: number): number {
    if (count < 0 || count > 512) return -E.EINVAL;
    for (let i = 0; i < count; i++) {
      const at = uop + BigInt(40 * i);
      const c = this.read(cpu, at, 40);
      if (!c) return -E.EFAULT;
      const len = u16(c, 32), flags = u16(c, 34);
      const side = (base: number, isRef: boolean, write: boolean): { ipa: number; view: Uint8Array } | number => {
        const dom = u16(c, base + 8), offset = u16(c, base + 10);
        if (!this.isSelf(dom)) return GNTST.bad_domain;
        if (offset + len > 4096) return GNTST.general_error;
        let gfn: number;
        if (isRef) {
          const r = this.dom.grants.resolve(u32(c, base), this.dom.host.domid, write);
          if (typeof r === "number") return r;
          gfn = r.gfn;
        } else {
          const g = u64(c, base);
          if (g > MAX_GFN) return GNTST.general_error;
          gfn = Number(g);
        }
        const ipa = gfn * 4096 + offset;
        const view = this.dom.memory.ipaView(ipa, len, write);
        return view ? { ipa, view } : GNTST.general_error;
      };
      const src = side(0, (flags & 1) !== 0, false);
      const dst = typeof src === "number" ? src : side(16, (flags & 2) !== 0, true);
      let status: number = GNTST.okay;
      if (typeof src === "number") status = src;
      else if (typeof dst === "number") status = dst;
      else {
        dst.view.set(src.view.slice());
        this.dom.memory.written(dst.ipa, len);
      }
      setU16(c, 36, status & 0xffff);
      if (!this.write(cpu, at, c)) return -E.EFAULT;
    }
    return 0;
  }

  // ---- sched_op (sched.h) ----

  private schedOp(cpu: Cpu, cmd: number, arg: bigint): number {
    switch (cmd) {
      case SCHEDOP.yield:
        return 0; // each vCPU has its physical CPU to itself
      case SCHEDOP.block:
        // Returns at once: the guest re-checks its events and idles in WFI, which waits for the upcall.
        return 0;
      case SCHEDOP.shutdown: {
        const r = this.read(cpu, arg, 4);
        if (!r) return -E.EFAULT;
        const reason = u32(r, 0);
        switch (reason) {
          case SHUTDOWN.poweroff: this.dom.host.shutdown("poweroff", "SCHEDOP_shutdown(poweroff)"); return 0;
          case SHUTDOWN.reboot: this.dom.host.shutdown("reboot", "SCHEDOP_shutdown(reboot)"); return 0;
          case SHUTDOWN.crash: this.dom.host.shutdown("crash", "SCHEDOP_shutdown(crash)"); return 0;
          case SHUTDOWN.watchdog: this.dom.host.shutdown("crash", "SCHEDOP_shutdown(watchdog)"); return 0;
          case SHUTDOWN.suspend: case SHUTDOWN.soft_reset: return -E.EOPNOTSUPP; // needs a toolstack to save or rebuild the domain
          default: return -E.EINVAL;
        }
      }
      case SCHEDOP.shutdown_code: return this.read(cpu, arg, 4) ? 0 : -E.EFAULT;
      case SCHEDOP.poll: {
        const p = this.read(cpu, arg, SCHED_POLL.bytes);
        if (!p) return -E.EFAULT;
        const n = u32(p, SCHED_POLL.nr_ports);
        if (n > 128) return -E.EINVAL;
        const raw = this.read(cpu, u64(p, SCHED_POLL.ports), 4 * n);
        if (!raw) return -E.EFAULT;
        const ports = Array.from({ length: n }, (_, i) => u32(raw, 4 * i));
        if (ports.some((x) => x >= EVTCHN_2L_NR_CHANNELS)) return -E.EINVAL;
        // Pending or not, it returns at once: a wakeup the guest must tolerate, as it does a timeout.
        return 0;
      }
      case SCHEDOP.remote_shutdown: return -E.EPERM;
      default: return -E.ENOSYS;
    }
  }

  // ---- hvm_op (hvm/hvm_op.h, hvm/params.h) ----

  private hvmOp(cpu: Cpu, cmd: number, arg: bigint): number {
    if (cmd !== HVMOP.set_param && cmd !== HVMOP.get_param) return -E.ENOSYS;
    const a = this.read(cpu, arg, HVM_PARAM_ARG.bytes);
    if (!a) return -E.EFAULT;
    if (!this.isSelf(u16(a, HVM_PARAM_ARG.domid))) return -E.ESRCH;
    const index = u32(a, HVM_PARAM_ARG.index);
    if (index >= HVM_NR_PARAMS) return -E.EINVAL;
    if (cmd === HVMOP.set_param) {
      this.dom.hvmParams[index] = u64(a, HVM_PARAM_ARG.value);
      return 0;
    }
    setU64(a, HVM_PARAM_ARG.value, this.dom.hvmParams[index]);
    return this.write(cpu, arg, a) ? 0 : -E.EFAULT;
  }

  // ---- console_io (xen.h) ----

  private consoleIo(cpu: Cpu, cmd: number, count: number, buffer: bigint): number {
    if (cmd === CONSOLEIO.read) return -E.EPERM; // Xen's own console input is dom0's
    if (cmd !== CONSOLEIO.write) return -E.ENOSYS;
    if (count < 0) return -E.EINVAL;
    for (let done = 0; done < count;) {
      const n = Math.min(count - done, 16384);
      const bytes = this.read(cpu, buffer + BigInt(done), n);
      if (!bytes) return -E.EFAULT;
      this.dom.host.consoleOutput(bytes);
      done += n;
    }
    return 0;
  }

  // ---- vm_assist (xen.h VMASST_*): Arm knows runstate_update_flag only ----

  private vmAssist(cmd: number, type: number): number {
    if (cmd !== VMASST.cmd_enable && cmd !== VMASST.cmd_disable) return -E.EINVAL;
    if (type !== VMASST.type_runstate_update_flag) return -E.EINVAL;
    this.dom.runstateUpdateFlag = cmd === VMASST.cmd_enable;
    return 0;
  }
}

