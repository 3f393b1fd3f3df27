/**
 * Numbers and layouts of Xen's public guest interface as Xen 4.17 presents it to an AArch64
 * guest (64-bit: xen_ulong_t and pointers are 8 bytes, structures use the AAPCS64 layout). Each
 * group names the public header it comes from; offsets are in bytes.
 */

/** The version reported by XENVER_version: major << 16 | minor (xen/include/public/version.h). */
export const XEN_MAJOR = 4;
export const XEN_MINOR = 17;
/** The patch level of Debian 12's Xen (4.17.7), which Linux shows in /sys/hypervisor/version/extra. */
export const XEN_EXTRAVERSION = ".7";
/**
 * XENVER_platform_parameters' virt_start: XEN_VIRT_START of Xen 4.17 on arm64 (xen/arch/arm/
 * include/asm/config.h), which /sys/hypervisor/properties/virtual_start shows.
 */
export const XEN_VIRT_START = 0x0020_0000;

/** HVC immediate of a hypercall on Arm (xen/include/public/arch-arm.h, "Hypercall calling convention"). */
export const XEN_HYPERCALL_TAG = 0xea1;

/** Hypercall numbers (xen/include/public/xen.h, __HYPERVISOR_*). */
export const HYPERCALL = {
  memory_op: 12, multicall: 13, xen_version: 17, console_io: 18, grant_table_op: 20, vm_assist: 21,
  vcpu_op: 24, sched_op: 29, event_channel_op: 32, physdev_op: 33, hvm_op: 34,
} as const;

/** Xen's error numbers (xen/include/public/errno.h); hypercalls return them negated. */
export const XEN_ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EIO: 5, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ENOSYS: 38, EOPNOTSUPP: 95,
} as const;

/** DOMID_SELF: "this domain" wherever a domid_t is asked for (xen.h). */
export const DOMID_SELF = 0x7ff0;

/** XENVER_* commands (version.h). */
export const XENVER = {
  version: 0, extraversion: 1, compile_info: 2, capabilities: 3, changeset: 4, platform_parameters: 5,
  get_features: 6, pagesize: 7, guest_handle: 8, commandline: 9, build_id: 10,
} as const;

/**
 * XENFEAT_* bits of submap 0 (features.h) that Xen 4.17 reports to an Arm domU (xen/common/kernel.c,
 * XENVER_get_features): page tables are the guest's own and translated (auto_translated_physmap),
 * vnode memory ops, SMCCC 1.1, and not direct-mapped (so Linux's swiotlb-xen stays off).
 */
export const XENFEAT = {
  writable_page_tables: 0, auto_translated_physmap: 2, dom0: 11, memory_op_vnode_supported: 13,
  ARM_SMCCC_supported: 14, not_direct_mapped: 16, direct_mapped: 17,
} as const;
export const XENFEAT_SUBMAP0 = (1 << XENFEAT.writable_page_tables) | (1 << XENFEAT.auto_translated_physmap) |
  (1 << XENFEAT.memory_op_vnode_supported) | (1 << XENFEAT.ARM_SMCCC_supported) | (1 << XENFEAT.not_direct_mapped);

/** XENMEM_* subops and the add_to_physmap spaces (memory.h). */
export const XENMEM = { increase_reservation: 0, decrease_reservation: 1, populate_physmap: 6, add_to_physmap: 7, add_to_physmap_batch: 23 } as const;
/**
 * struct xen_memory_reservation: XEN_GUEST_HANDLE(xen_pfn_t) extent_start; xen_ulong_t
 * nr_extents; unsigned int extent_order; unsigned int mem_flags; domid_t domid.
 */
export const MEMORY_RESERVATION = { extent_start: 0, nr_extents: 8, extent_order: 16, mem_flags: 20, domid: 24, bytes: 32 } as const;
export const XENMAPSPACE = { shared_info: 0, grant_table: 1, gmfn: 2, gmfn_range: 3, gmfn_foreign: 4, dev_mmio: 5 } as const;
/** In add_to_physmap's idx for XENMAPSPACE_grant_table: the status frames of grant table v2. */
export const XENMAPIDX_GRANT_TABLE_STATUS = 0x8000_0000;
/** struct xen_add_to_physmap: domid_t domid; uint16_t size; unsigned int space; xen_ulong_t idx; xen_pfn_t gpfn. */
export const ADD_TO_PHYSMAP = { domid: 0, size: 2, space: 4, idx: 8, gpfn: 16, bytes: 24 } as const;

/** VCPUOP_* (vcpu.h); the vCPU is the first argument, the structure the second. */
export const VCPUOP = {
  initialise: 0, up: 1, down: 2, is_up: 3, get_runstate_info: 4, register_runstate_memory_area: 5,
  set_periodic_timer: 6, stop_periodic_timer: 7, set_singleshot_timer: 8, stop_singleshot_timer: 9,
  register_vcpu_info: 10, send_nmi: 11, get_physid: 12, register_vcpu_time_memory_area: 13,
} as const;
/** struct vcpu_register_vcpu_info: uint64_t mfn; uint32_t offset; uint32_t rsvd. */
export const REGISTER_VCPU_INFO = { mfn: 0, offset: 8, rsvd: 12, bytes: 16 } as const;

/**
 * struct vcpu_info on arm64 (xen.h, arch-arm.h): uint8_t evtchn_upcall_pending; uint8_t
 * evtchn_upcall_mask; xen_ulong_t evtchn_pending_sel; struct arch_vcpu_info (empty); struct
 * vcpu_time_info time (32 bytes).
 */
export const VCPU_INFO = { upcall_pending: 0, upcall_mask: 1, pending_sel: 8, time: 16, bytes: 48 } as const;

/**
 * struct shared_info on arm64 (xen.h): vcpu_info[XEN_LEGACY_MAX_VCPUS = 1], evtchn_pending[64],
 * evtchn_mask[64] (xen_ulong_t each), then the wall clock: wc_version, wc_sec, wc_nsec, wc_sec_hi.
 */
export const SHARED_INFO = { vcpu0: 0, evtchn_pending: 48, evtchn_mask: 48 + 512, wc_version: 1072, wc_sec: 1076, wc_nsec: 1080, wc_sec_hi: 1084 } as const;
/** Arm keeps only vCPU 0's vcpu_info in shared_info (arch-arm.h XEN_LEGACY_MAX_VCPUS). */
export const XEN_LEGACY_MAX_VCPUS = 1;

/** EVTCHNOP_* (event_channel.h). */
export const EVTCHNOP = {
  bind_interdomain: 0, bind_virq: 1, bind_pirq: 2, close: 3, send: 4, status: 5, alloc_unbound: 6,
  bind_ipi: 7, bind_vcpu: 8, unmask: 9, reset: 10, init_control: 11, expand_array: 12, set_priority: 13,
} as const;
/** EVTCHNSTAT_* (event_channel.h, struct evtchn_status). */
/** DOMID_INVALID (xen.h). */
export const DOMID_INVALID = 0x7ff4;
export const EVTCHNSTAT = { closed: 0, unbound: 1, interdomain: 2, pirq: 3, virq: 4, ipi: 5 } as const;
/** The 2-level ABI's ports on a 64-bit guest: sizeof(xen_ulong_t) * 8 squared (event_channel.h EVTCHN_2L_NR_CHANNELS). */
export const EVTCHN_2L_NR_CHANNELS = 64 * 64;
/** VIRQs (xen.h NR_VIRQS). */
export const NR_VIRQS = 24;

/** GNTTABOP_* (grant_table.h). */
export const GNTTABOP = {
  map_grant_ref: 0, unmap_grant_ref: 1, setup_table: 2, dump_table: 3, transfer: 4, copy: 5, query_size: 6,
  unmap_and_replace: 7, set_version: 8, get_status_frames: 9, get_version: 10, swap_grant_ref: 11, cache_flush: 12,
} as const;
/** Grant status codes (grant_table.h GNTST_*). */
export const GNTST = {
  okay: 0, general_error: -1, bad_domain: -2, bad_gntref: -3, bad_handle: -4, bad_virt_addr: -5, bad_dev_addr: -6,
  no_device_space: -7, permission_denied: -8, bad_page: -9, bad_copy_arg: -10, address_too_big: -11, eagain: -12,
} as const;
/** GNTMAP_* flags of a map request (grant_table.h). */
export const GNTMAP = { device_map: 1 << 0, host_map: 1 << 1, readonly: 1 << 2, application_map: 1 << 3, contains_pte: 1 << 4 } as const;
/** struct gnttab_map_grant_ref: uint64_t host_addr; uint32_t flags; grant_ref_t ref; domid_t dom; int16_t status; grant_handle_t handle; uint64_t dev_bus_addr. */
export const MAP_GRANT_REF = { host_addr: 0, flags: 8, ref: 12, dom: 16, status: 18, handle: 20, dev_bus_addr: 24, bytes: 32 } as const;
/** struct gnttab_unmap_grant_ref: uint64_t host_addr; uint64_t dev_bus_addr; grant_handle_t handle; int16_t status. */
export const UNMAP_GRANT_REF = { host_addr: 0, dev_bus_addr: 8, handle: 16, status: 20, bytes: 24 } as const;
/**
 * struct gnttab_copy: source and dest are struct gnttab_copy_ptr { union { grant_ref_t ref;
 * xen_pfn_t gmfn } u; domid_t domid; uint16_t offset }, then uint16_t len, flags; int16_t status.
 */
export const GNTTAB_COPY = { source: 0, dest: 16, ptrDomid: 8, ptrOffset: 10, len: 32, flags: 34, status: 36, bytes: 40 } as const;
/** GNTCOPY_* flags: which side is a grant reference rather than the caller's own frame. */
export const GNTCOPY = { source_gref: 1 << 0, dest_gref: 1 << 1 } as const;
/** struct gnttab_query_size: domid_t dom; uint32_t nr_frames; uint32_t max_nr_frames; int16_t status. */
export const QUERY_SIZE = { dom: 0, nr_frames: 4, max_nr_frames: 8, status: 12, bytes: 16 } as const;
/** struct gnttab_setup_table: domid_t dom; uint32_t nr_frames; int16_t status; XEN_GUEST_HANDLE(xen_pfn_t) frame_list. */
export const SETUP_TABLE = { dom: 0, nr_frames: 4, status: 8, frame_list: 16, bytes: 24 } as const;
/** struct gnttab_set_version / get_version: uint32_t version (get_version: domid_t dom; uint16_t pad; uint32_t version). */
export const GET_VERSION = { dom: 0, version: 4, bytes: 8 } as const;
/** struct grant_entry_v1: uint16_t flags; domid_t domid; uint32_t frame (grant_table.h). */
export const GRANT_ENTRY_V1 = { flags: 0, domid: 2, frame: 4, bytes: 8 } as const;
/** GTF_* of a v1 entry's flags. */
export const GTF = {
  invalid: 0, permit_access: 1, accept_transfer: 2, transitive: 3, type_mask: 3, readonly: 1 << 2,
  /** Set by Xen while the grant is mapped or copied from (reading) and mapped writable (writing); the granter must not revoke it then. */
  reading: 1 << 3, writing: 1 << 4, sub_page: 1 << 8,
} as const;

/** SCHEDOP_* and SHUTDOWN_* (sched.h). */
export const SCHEDOP = { yield: 0, block: 1, shutdown: 2, poll: 3, remote_shutdown: 4, shutdown_code: 5, watchdog: 6 } as const;
export const SHUTDOWN = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;
/** struct sched_poll: XEN_GUEST_HANDLE(evtchn_port_t) ports; unsigned int nr_ports; uint64_t timeout. */
export const SCHED_POLL = { ports: 0, nr_ports: 8, timeout: 16, bytes: 24 } as const;

/** HVMOP_* and HVM_PARAM_* (hvm/hvm_op.h, hvm/params.h). */
export const HVMOP = { set_param: 0, get_param: 1 } as const;
export const HVM_PARAM = { CALLBACK_IRQ: 0, STORE_PFN: 1, STORE_EVTCHN: 2, CONSOLE_PFN: 17, CONSOLE_EVTCHN: 18 } as const;
export const HVM_NR_PARAMS = 39;
/** struct xen_hvm_param: domid_t domid; uint32_t index; uint64_t value. */
export const HVM_PARAM_ARG = { domid: 0, index: 4, value: 8, bytes: 16 } as const;
/** HVM_PARAM_CALLBACK_IRQ's value on Arm (params.h): type PPI in bits 63:56, flags in 15:8, the PPI's INTID below. */
export const HVM_PARAM_CALLBACK_TYPE_PPI = 2n;
export const HVM_PARAM_CALLBACK_TYPE_PPI_FLAG_LOW_LEVEL = 2n;

/** CONSOLEIO_* (xen.h). */
export const CONSOLEIO = { write: 0, read: 1 } as const;

/** VMASST_* (xen.h): the vm_assist types Arm accepts (xen/arch/arm: runstate_update_flag only). */
export const VMASST = { cmd_enable: 0, cmd_disable: 1, type_runstate_update_flag: 5 } as const;

/** The event channel upcall PPI (arch-arm.h GUEST_EVTCHN_PPI). */
export const GUEST_EVTCHN_PPI = 31;

/**
 * Where a partition's Xen pages are in its IPA space. Xen's own guest map puts the grant table
 * at GUEST_GNTTAB_BASE (0x3800_0000) and the magic pages at GUEST_MAGIC_BASE (0x3900_0000)
 * (arch-arm.h), but a partition is a QEMU virt machine, whose PCIe MMIO window covers those; so
 * they go in the hole after the doorbell and watchdog pages, where virt has nothing.
 */
export const XEN_GNTTAB_IPA = 0x0b10_0000;
/** Grant frames a partition may map: Xen's default max_grant_frames (xen/common/grant_table.c). */
export const XEN_GNTTAB_MAX_FRAMES = 64;
export const XEN_GNTTAB_SIZE = XEN_GNTTAB_MAX_FRAMES * 4096;
/** The magic pages (the toolstack's CONSOLE_PFN_OFFSET 0, XENSTORE_PFN_OFFSET 1 from GUEST_MAGIC_BASE). */
export const XEN_MAGIC_IPA = XEN_GNTTAB_IPA + XEN_GNTTAB_SIZE;
export const XEN_CONSOLE_IPA = XEN_MAGIC_IPA;
export const XEN_STORE_IPA = XEN_MAGIC_IPA + 0x1000;
export const XEN_MAGIC_PAGES = 4;
/** Everything the hypervisor backs for one partition: grant frames and magic pages. */
export const XEN_REGION_IPA = XEN_GNTTAB_IPA;
export const XEN_REGION_SIZE = XEN_GNTTAB_SIZE + XEN_MAGIC_PAGES * 4096;

/** The event channels the toolstack gives a domain for its console and its XenStore connection. */
export const CONSOLE_PORT = 1;
export const STORE_PORT = 2;
