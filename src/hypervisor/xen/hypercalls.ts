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
  ADD_TO_PHYSMAP, CONSOLEIO, DOMID_SELF, EVTCHNOP, GET_VERSION, GNTCOPY, GNTST, GNTTAB_COPY, GNTTABOP, HVM_NR_PARAMS, HVM_PARAM_ARG,
  HVMOP, HYPERCALL, MAP_GRANT_REF, MEMORY_RESERVATION, UNMAP_GRANT_REF,
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

/**
 * Batched grant operations done in one go before the hypercall is continued: Xen checks for
 * preemption between the requests of a batch and, when it must yield, arranges for the guest to
 * issue the hypercall again for the rest (hypercall_create_continuation: on Arm the PC goes
 * back to the HVC with the arguments advanced). A batch of any size never holds the
 * hypervisor longer than this many requests.
 */
export const GRANT_BATCH = 64;

/** A hypercall's outcome: x0, and when it is to be continued, the registers to issue it again with. */
export interface HypercallResult {
  x0: bigint;
  again?: [number, bigint][];
}

/** The result register value of a return code. */
export function rcToRegister(rc: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(rc));
}

export class XenHypercalls {
  constructor(private readonly dom: XenDomain) {}

  /** Set by a batch that stopped early: the registers of its continuation. */
  private again: [number, bigint][] | undefined;

  /** One hypercall from `cpu`, a vCPU of the domain: x0, and its continuation if it is not finished. */
  call(cpu: Cpu): HypercallResult {
    this.again = undefined;
    const x0 = this.dispatch(cpu);
    return this.again ? { x0, again: this.again } : { x0 };
  }

  private dispatch(cpu: Cpu): bigint {
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
      case XENMEM.decrease_reservation: case XENMEM.populate_physmap: case XENMEM.increase_reservation:
        return this.reservation(cpu, cmd, arg);
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

  /**
   * XENMEM_decrease_reservation / populate_physmap / increase_reservation (memory.h, Xen's
   * common/memory.c): the guest gives pages of its RAM back (guest_remove_page; Linux's balloon
   * does this for the pages it maps grants at) and takes them again. Each extent is one page
   * here (extent_order 0; larger orders are refused, -EINVAL). The result is the number of
   * extents done; the first one that cannot be (not RAM, already given back or still in use)
   * ends the call there, as in Xen; a long list continues itself. Memory only
   * moves within the partition's own RAM: populate gives back exactly the pages given back,
   * increase_reservation (which would let Xen pick frames) does nothing.
   */
  private reservation(cpu: Cpu, cmd: number, arg: bigint): number {
    const r = this.read(cpu, arg, MEMORY_RESERVATION.bytes);
    if (!r) return -E.EFAULT;
    if (!this.isSelf(u16(r, MEMORY_RESERVATION.domid))) return -E.ESRCH;
    const n = u64(r, MEMORY_RESERVATION.nr_extents);
    if (u32(r, MEMORY_RESERVATION.extent_order) !== 0) return -E.EINVAL;
    // The start extent of a continuation is in the command's upper bits (MEMOP_EXTENT_SHIFT 6).
    const start = BigInt(cmd >>> 6);
    if (n > 1n << 40n || start > n) return -E.EINVAL;
    const subop = cmd & 0x3f;
    if (subop === XENMEM.increase_reservation) return Number(start);
    const list = u64(r, MEMORY_RESERVATION.extent_start);
    let done = start;
    for (; done < n; done++) {
      if (done - start >= BigInt(GRANT_BATCH * 8)) {
        this.again = [[0, BigInt(subop) | (done << 6n)], [1, arg]];
        return 0;
      }
      const e = this.read(cpu, list + 8n * done, 8);
      if (!e) break;
      const gfn = u64(e, 0);
      if (gfn > MAX_GFN) break;
      const ok = subop === XENMEM.decrease_reservation ? this.dom.maps.giveBack(Number(gfn)) : this.dom.maps.populate(Number(gfn));
      if (!ok) break;
    }
    return Number(done);
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
      case GNTTABOP.map_grant_ref: return this.batch(cpu, cmd, uop, count, MAP_GRANT_REF.bytes, (q) => this.mapOne(q));
      case GNTTABOP.unmap_grant_ref: return this.batch(cpu, cmd, uop, count, UNMAP_GRANT_REF.bytes, (q) => this.unmapOne(q));
      case GNTTABOP.copy: return this.batch(cpu, cmd, uop, count, GNTTAB_COPY.bytes, (q) => this.copyOne(q));
      default: return -E.ENOSYS; // transfer, dump_table, unmap_and_replace, swap, cache_flush, version 2
    }
  }

  /**
   * A batch of `count` requests of `size` bytes at `uop` (gnttab_map_grant_ref and friends):
   * each is read, done and written back with its status in turn; a request that cannot be read
   * or written back ends the call with -EFAULT (those before it are done). A long batch goes on
   * in a continuation every GRANT_BATCH requests. A negative count (as an int) is -EINVAL.
   */
  private batch(cpu: Cpu, cmd: number, uop: bigint, count: number, size: number, one: (q: Uint8Array) => void): number {
    if (count >= 0x8000_0000) return -E.EINVAL;
    for (let i = 0; i < count; i++) {
      if (i === GRANT_BATCH) {
        this.again = [[0, BigInt(cmd)], [1, uop + BigInt(size * i)], [2, BigInt(count - i)]];
        return 0;
      }
      const at = uop + BigInt(size * i);
      const q = this.read(cpu, at, size);
      if (!q) return -E.EFAULT;
      one(q);
      if (!this.write(cpu, at, q)) return -E.EFAULT;
    }
    return 0;
  }

  private mapOne(q: Uint8Array): void {
    const r = this.dom.maps.map({
      hostAddr: u64(q, MAP_GRANT_REF.host_addr), flags: u32(q, MAP_GRANT_REF.flags), ref: u32(q, MAP_GRANT_REF.ref), dom: u16(q, MAP_GRANT_REF.dom),
    });
    setU16(q, MAP_GRANT_REF.status, r.status & 0xffff);
    if (r.status === GNTST.okay) {
      setU32(q, MAP_GRANT_REF.handle, r.handle!);
      setU64(q, MAP_GRANT_REF.dev_bus_addr, r.devBusAddr!);
    }
  }

  private unmapOne(q: Uint8Array): void {
    const status = this.dom.maps.unmap({ hostAddr: u64(q, UNMAP_GRANT_REF.host_addr), devBusAddr: u64(q, UNMAP_GRANT_REF.dev_bus_addr), handle: u32(q, UNMAP_GRANT_REF.handle) });
    setU16(q, UNMAP_GRANT_REF.status, status & 0xffff);
  }

  /**
   * One GNTTABOP_copy (gnttab_copy_one): each side is a grant reference of its domain
   * (GNTCOPY_source_gref / dest_gref, which must grant the caller access, and write access for
   * the destination) or, for DOMID_SELF only, one of the caller's own RAM frames. The copy
   * stays within a page on both sides (GNTST_bad_copy_arg otherwise); a grant is pinned only
   * for the copy, so its GTF_reading/GTF_writing are back as they were afterwards.
   */
  private copyOne(c: Uint8Array): void {
    const len = u16(c, GNTTAB_COPY.len), flags = u16(c, GNTTAB_COPY.flags);
    const me = this.dom.host.domid;
    const done = (status: number) => setU16(c, GNTTAB_COPY.status, status & 0xffff);
    const src = GNTTAB_COPY.source, dst = GNTTAB_COPY.dest;
    if (u16(c, src + GNTTAB_COPY.ptrOffset) + len > 4096 || u16(c, dst + GNTTAB_COPY.ptrOffset) + len > 4096) return done(GNTST.bad_copy_arg);
    const isRef = (base: number) => (flags & (base === src ? GNTCOPY.source_gref : GNTCOPY.dest_gref)) !== 0;
    for (const base of [src, dst]) if (u16(c, base + GNTTAB_COPY.ptrDomid) !== DOMID_SELF && !isRef(base)) return done(GNTST.permission_denied);
    const domainOf = (base: number) => { const d = u16(c, base + GNTTAB_COPY.ptrDomid); return d === DOMID_SELF ? this.dom : this.dom.domain(d); };
    const sd = domainOf(src), dd = domainOf(dst);
    if (!sd || !dd) return done(GNTST.bad_domain);
    const pins: (() => void)[] = [];
    const side = (base: number, d: typeof sd, write: boolean): number | { pa: number } => {
      if (isRef(base)) {
        const ref = u32(c, base);
        const r = d.grants.pin(ref, me, !write, false);
        if (typeof r !== "number") pins.push(() => d.grants.unpin(ref, !write));
        return r;
      }
      const g = u64(c, base);
      const page = g > MAX_GFN ? undefined : this.dom.memory.ramPage(Number(g), this.dom.host.ram);
      return page && (!write || page.writable) ? page : GNTST.bad_page;
    };
    try {
      const s = side(src, sd, false);
      if (typeof s === "number") return done(s);
      const t = side(dst, dd, true);
      if (typeof t === "number") return done(t);
      const so = u16(c, src + GNTTAB_COPY.ptrOffset), to = u16(c, dst + GNTTAB_COPY.ptrOffset);
      const mem = this.dom.memory;
      mem.view(t.pa + to, len).set(mem.view(s.pa + so, len).slice());
      // The destination domain's vCPUs lose their reservations there (and the caller's, whose copy it may be).
      dd.memory.dropCodeAt(t.pa + to, len);
      if (dd !== this.dom) this.dom.memory.touched();
      done(GNTST.okay);
    } finally {
      for (const p of pins) p();
    }
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

