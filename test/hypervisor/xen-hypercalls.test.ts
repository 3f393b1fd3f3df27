/**
 * The Xen hypercall layer of a `xen,enhanced` partition, driven through the hypervisor's HVC
 * exit as a guest's HVC #0xEA1 reaches it (x16 the number, x0-x4 the arguments, x0 the result),
 * with the vCPU at EL1 under the partition's stage 2 (guest RAM at IPA 0x4000_0000 is physical
 * 0x4800_0000). Good calls do what Xen's public headers say; malformed ones get Xen's error
 * codes, and no argument reaches outside the partition's RAM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { formatUuid, partitionUuid } from "../../src/hypervisor/xen/domain.js";
import { XEN_STORE_IPA, XEN_CONSOLE_IPA, XEN_GNTTAB_IPA, STORE_PORT } from "../../src/hypervisor/xen/abi.js";
import type { El2Exit } from "../../src/cpu/platform.js";
import { PREBUILT_HELLO } from "../harness/paths.js";

const ENOENT = -2n, ESRCH = -3n, EPERM = -1n, EFAULT = -14n, EEXIST = -17n, EINVAL = -22n, ENOSYS = -38n;
const HC = { memory_op: 12, xen_version: 17, console_io: 18, grant_table_op: 20, vcpu_op: 24, sched_op: 29, event_channel_op: 32, hvm_op: 34 };
const DOMID_SELF = 0x7ff0;
/** A scratch page in the partition's RAM for argument structures. */
const ARG = 0x4010_0000;
const RAM_END = 0x4000_0000 + 0x0100_0000;

function setup() {
  const tree = compileDts(`/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x01000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x01000000>; };
  partitions {
    a { compatible = "partition"; label = "xa"; cpus = <0 1>; guest-image = "${PREBUILT_HELLO}"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; };
      rtc { device = "/pl031@9010000"; }; };
    b { compatible = "partition"; label = "plain"; cpus = <1 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`, { fileName: "xen.dts" });
  const r = checkHvConfig(tree, "xen.dts", "/", { fileSize: () => 10000, hasDevice: () => true });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const output: number[] = [];
  const events: string[] = [];
  const hv = new Hypervisor(r.config, {
    readImage: () => new Uint8Array(16), consoleOutput: (id, b) => { if (id === 1) output.push(...b); },
    event: (t) => events.push(t), dtbToDts: () => "",
  });
  const p = hv.parts[0];
  const cpu = p.vcpus[0];
  p.enterGuest(cpu, 0x4000_0000, 0, 0, 0);
  p.state = "running";
  const set = (r: number, v: bigint) => { cpu.x[r * 2] = Number(v & 0xffffffffn) | 0; cpu.x[r * 2 + 1] = Number((v >> 32n) & 0xffffffffn) | 0; };
  const call = (nr: number, ...args: (number | bigint)[]): bigint => {
    set(16, BigInt(nr));
    for (let i = 0; i < 5; i++) set(i, BigInt.asUintN(64, BigInt(args[i] ?? 0)));
    const exit: El2Exit = { kind: "hvc", imm: 0xea1, ec: 0x16, iss: 0xea1, returnPc: 0x4000_0004n, fromEl: 1 };
    const res = hv.el2Exit(cpu, exit);
    assert.equal(res.action, "resume");
    const regs = res.action === "resume" ? res.registers ?? [] : [];
    assert.equal(regs[0]?.[0], 0, "the result is in x0");
    return BigInt.asIntN(64, regs[0][1]);
  };
  const bytes = (n: number, f: (b: DataView) => void) => { const b = new Uint8Array(n); f(new DataView(b.buffer)); return b; };
  const put = (ipa: number, b: Uint8Array) => p.writeGuest(ipa, b);
  const get = (ipa: number, n: number) => { const r = p.readGuest(ipa, n); assert.ok(r instanceof Uint8Array); return new DataView(r.buffer, r.byteOffset, r.byteLength); };
  const physical = (pa: number, n: number) => hv.board.bus.rams[hv.board.bus.findRam(pa)].bytes.slice(pa - hv.board.bus.rams[hv.board.bus.findRam(pa)].base, pa - hv.board.bus.rams[hv.board.bus.findRam(pa)].base + n);
  return { hv, p, cpu, call, bytes, put, get, output, events, physical };
}

test("unknown hypercalls and subops are -ENOSYS", () => {
  const { call } = setup();
  assert.equal(call(999), ENOSYS);
  assert.equal(call(1), ENOSYS); // mmu_update: PV only
  assert.equal(call(HC.xen_version, 77, ARG), ENOSYS);
  assert.equal(call(HC.memory_op, 40, ARG), ENOSYS);
  assert.equal(call(HC.event_channel_op, 11, ARG), ENOSYS); // init_control: Linux falls back to the 2-level ABI
  assert.equal(call(HC.grant_table_op, 99, ARG, 1), ENOSYS);
  assert.equal(call(HC.hvm_op, 42, ARG), ENOSYS);
  assert.equal(call(HC.sched_op, 99, ARG), ENOSYS);
  assert.equal(call(HC.console_io, 7, 0, ARG), ENOSYS);
});

test("xen_version: 4.17, its strings, the Arm domU features, the partition's handle", () => {
  const { call, get, put, bytes } = setup();
  assert.equal(call(HC.xen_version, 0, 0), 0x40011n);
  assert.equal(call(HC.xen_version, 1, ARG), 0n);
  assert.equal(new TextDecoder().decode(new Uint8Array(get(ARG, 3).buffer, get(ARG, 3).byteOffset, 3)), ".7\0");
  // What Xen's default policy gives a domain without privilege: the changeset (empty, as in
  // Debian's build), "<denied>" for the command line, EPERM for the build id.
  assert.equal(call(HC.xen_version, 4, ARG), 0n);
  assert.equal(get(ARG, 1).getUint8(0), 0, "an empty changeset");
  assert.equal(call(HC.xen_version, 9, ARG), 0n);
  assert.equal(new TextDecoder().decode(new Uint8Array(get(ARG, 9).buffer, get(ARG, 9).byteOffset, 9)), "<denied>\0");
  assert.equal(call(HC.xen_version, 5, ARG), 0n);
  assert.equal(get(ARG, 8).getBigUint64(0, true), 0x20_0000n, "platform_parameters: XEN_VIRT_START");
  put(ARG, bytes(8, (v) => v.setUint32(0, 0, true)));
  assert.equal(call(HC.xen_version, 6, ARG), 0n);
  const submap = get(ARG + 4, 4).getUint32(0, true);
  assert.ok(submap & (1 << 2), "auto_translated_physmap");
  assert.equal(submap & (1 << 11), 0, "not dom0");
  put(ARG, bytes(8, (v) => v.setUint32(0, 1, true)));
  assert.equal(call(HC.xen_version, 6, ARG), EINVAL, "only submap 0 exists");
  assert.equal(call(HC.xen_version, 7, 0), 4096n);
  assert.equal(call(HC.xen_version, 8, ARG), 0n);
  const h = get(ARG, 16);
  assert.equal(formatUuid(new Uint8Array(h.buffer, h.byteOffset, 16)), formatUuid(partitionUuid(1, "xa")));
});

test("argument buffers outside the partition's RAM are -EFAULT, and nothing is written", () => {
  const { call, p, physical } = setup();
  // Beyond RAM (no stage-2 mapping), another partition's RAM at its physical address, an
  // emulated device, a passed-through device (mapped, but not RAM), a non-canonical address.
  for (const at of [0x5000_0000, RAM_END, 0x4800_0000 + 0x0100_0000, 0x0900_0000, 0x0901_0000, 0xffff_0000_0000_0000n, 0x1_0000_0000_0000n]) {
    assert.equal(call(HC.xen_version, 1, at), EFAULT, `extraversion to ${at.toString(16)}`);
    assert.equal(call(HC.xen_version, 6, at), EFAULT, `get_features from ${at.toString(16)}`);
  }
  // A buffer that starts in RAM and runs past its end: nothing of it is written.
  const before = physical(0x4800_0000 + 0x0100_0000 - 8, 8);
  assert.equal(call(HC.xen_version, 3, RAM_END - 8), EFAULT, "capabilities (1024 bytes) across the end of RAM");
  assert.deepEqual(physical(0x4800_0000 + 0x0100_0000 - 8, 8), before);
  assert.equal(call(HC.memory_op, 7, 0x5000_0000), EFAULT);
  assert.equal(call(HC.event_channel_op, 4, 0x0900_0000), EFAULT);
  assert.equal(call(HC.grant_table_op, 6, 0x5000_0000, 1), EFAULT);
  assert.equal(call(HC.vcpu_op, 10, 0, 0x5000_0000), EFAULT);
  assert.equal(call(HC.hvm_op, 1, 0x5000_0000), EFAULT);
  assert.equal(call(HC.sched_op, 2, 0x5000_0000), EFAULT);
  assert.equal(call(HC.console_io, 0, 16, 0x5000_0000), EFAULT);
  assert.equal(p.state, "running");
});

test("memory_op add_to_physmap: shared_info and grant frames; bad spaces, indices, frames and domains", () => {
  const { call, put, bytes, get } = setup();
  const xatp = (domid: number, space: number, idx: bigint | number, gpfn: bigint | number) => bytes(24, (v) => {
    v.setUint16(0, domid, true); v.setUint32(4, space, true); v.setBigUint64(8, BigInt(idx), true); v.setBigUint64(16, BigInt(gpfn), true);
  });
  const add = (domid: number, space: number, idx: bigint | number, gpfn: bigint | number) => { put(ARG, xatp(domid, space, idx, gpfn)); return call(HC.memory_op, 7, ARG); };
  assert.equal(add(5, 0, 0, 0x40200), ESRCH, "another domain");
  assert.equal(add(DOMID_SELF, 0, 1, 0x40200), EINVAL, "shared_info has index 0 only");
  assert.equal(add(DOMID_SELF, 0, 0, 0x50000), EINVAL, "a frame outside RAM");
  assert.equal(add(DOMID_SELF, 0, 0, 0xffff_ffff_ffffn), EINVAL, "a frame beyond any address space");
  assert.equal(add(DOMID_SELF, 9, 0, 0x40200), EINVAL, "no such space");
  assert.equal(add(DOMID_SELF, 1, 64, XEN_GNTTAB_IPA / 4096), EINVAL, "grant frame beyond max_nr_frames");
  assert.equal(add(DOMID_SELF, 1, 0x8000_0000, XEN_GNTTAB_IPA / 4096), EINVAL, "status frames are version 2's");
  assert.equal(add(DOMID_SELF, 0, 0, 0x40200), 0n);
  // The wall clock is in shared_info once mapped (wc_sec at 1076).
  assert.ok(get(0x4020_0000 + 1076, 4).getUint32(0, true) > 1_600_000_000);
  assert.equal(add(DOMID_SELF, 1, 0, XEN_GNTTAB_IPA / 4096), 0n);
  assert.equal(add(1, 1, 1, XEN_GNTTAB_IPA / 4096 + 1), 0n, "its own domid works as DOMID_SELF does");
});

test("vcpu_op: register_vcpu_info once per vCPU, inside a page; other vCPUs and commands refused", () => {
  const { call, put, bytes, get } = setup();
  const info = (gfn: number, offset: number) => bytes(16, (v) => { v.setBigUint64(0, BigInt(gfn), true); v.setUint32(8, offset, true); });
  put(ARG, info(0x40300, 0x40));
  assert.equal(call(HC.vcpu_op, 10, 1, ARG), ENOENT, "vCPU 1 does not exist");
  assert.equal(call(HC.vcpu_op, 1, 0, ARG), EINVAL, "VCPUOP_up: not on Arm");
  put(ARG, info(0x40300, 4090));
  assert.equal(call(HC.vcpu_op, 10, 0, ARG), EINVAL, "vcpu_info across the page end");
  put(ARG, info(0x50000, 0));
  assert.equal(call(HC.vcpu_op, 10, 0, ARG), EINVAL, "a frame outside RAM");
  put(ARG, info(0x40300, 0x40));
  assert.equal(call(HC.vcpu_op, 10, 0, ARG), 0n);
  assert.equal(get(0x4030_0040, 1).getUint8(0), 1, "evtchn_upcall_pending: everything is pending after the move");
  assert.equal(call(HC.vcpu_op, 10, 0, ARG), EINVAL, "only once");
  put(ARG, bytes(8, (v) => v.setBigUint64(0, 0xffff_8000_1234_0000n, true)));
  assert.equal(call(HC.vcpu_op, 5, 0, ARG), 0n, "register_runstate_memory_area");
});

test("event channels: out-of-range and closed ports, VIRQs, vCPUs, other domains; a loopback channel delivers", () => {
  const { call, put, bytes, get } = setup();
  const op = (cmd: number, b: Uint8Array) => { put(ARG, b); return call(HC.event_channel_op, cmd, ARG); };
  const port = (p: number) => bytes(4, (v) => v.setUint32(0, p, true));
  for (const bad of [0, 4096, 0xffff_ffff]) {
    assert.equal(op(4, port(bad)), EINVAL, `send ${bad}`);
    assert.equal(op(3, port(bad)), EINVAL, `close ${bad}`);
    assert.equal(op(9, port(bad)), EINVAL, `unmask ${bad}`);
  }
  assert.equal(op(4, port(300)), EINVAL, "send on a closed port");
  assert.equal(op(1, bytes(12, (v) => { v.setUint32(0, 24, true); })), EINVAL, "VIRQ 24 does not exist");
  assert.equal(op(1, bytes(12, (v) => { v.setUint32(0, 1, true); v.setUint32(4, 3, true); })), ENOENT, "no vCPU 3");
  assert.equal(op(1, bytes(12, (v) => { v.setUint32(0, 1, true); })), 0n);
  assert.equal(op(1, bytes(12, (v) => { v.setUint32(0, 1, true); })), EEXIST, "VIRQ 1 bound twice");
  assert.equal(op(8, bytes(8, (v) => { v.setUint32(0, STORE_PORT, true); v.setUint32(4, 7, true); })), ENOENT, "bind_vcpu to no vCPU");
  assert.equal(op(5, bytes(24, (v) => { v.setUint16(0, 9, true); v.setUint32(4, 1, true); })), ESRCH, "status of another domain's port");
  assert.equal(op(0, bytes(12, (v) => { v.setUint16(0, 9, true); v.setUint32(4, 1, true); })), ESRCH, "bind_interdomain to a domain that is not there");
  assert.equal(op(0, bytes(12, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 4095, true); })), EINVAL, "bind_interdomain to a free port");
  // Map shared_info, then a loopback pair: alloc_unbound for ourselves, bind to it, send.
  put(ARG + 0x800, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 0, true); v.setBigUint64(16, 0x40200n, true); }));
  assert.equal(call(HC.memory_op, 7, ARG + 0x800), 0n);
  assert.equal(op(6, bytes(8, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint16(2, DOMID_SELF, true); })), 0n);
  const unbound = get(ARG + 4, 4).getUint32(0, true);
  assert.equal(op(0, bytes(12, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, unbound, true); })), 0n);
  const local = get(ARG + 8, 4).getUint32(0, true);
  assert.notEqual(local, unbound);
  const pendingBit = (p: number) => (get(0x4020_0000 + 48 + (p >> 3), 1).getUint8(0) >> (p & 7)) & 1;
  assert.equal(pendingBit(unbound), 0);
  assert.equal(op(4, port(local)), 0n);
  assert.equal(pendingBit(unbound), 1, "sending on one end makes the other pending in shared_info");
  assert.equal(get(0x4020_0000, 1).getUint8(0), 1, "vCPU 0's evtchn_upcall_pending");
  assert.equal(op(5, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, local, true); })), 0n);
  assert.equal(get(ARG + 8, 4).getUint32(0, true), 2, "EVTCHNSTAT_interdomain");
  assert.equal(get(ARG + 20, 4).getUint32(0, true), unbound, "its peer port");
  assert.equal(op(3, port(local)), 0n);
  assert.equal(op(4, port(local)), EINVAL, "closed");
});

test("grant table: query_size, setup_table, version 1, copies checked against the grant entries", () => {
  const { call, put, bytes, get, p } = setup();
  const gt = (cmd: number, b: Uint8Array, count = 1) => { put(ARG, b); return call(HC.grant_table_op, cmd, ARG, count); };
  assert.equal(gt(6, bytes(16, (v) => v.setUint16(0, DOMID_SELF, true)), 2), EINVAL, "query_size with count 2");
  assert.equal(gt(6, bytes(16, (v) => v.setUint16(0, DOMID_SELF, true))), 0n);
  assert.equal(get(ARG + 4, 4).getUint32(0, true), 1);
  assert.equal(get(ARG + 8, 4).getUint32(0, true), 64);
  assert.equal(get(ARG + 12, 2).getInt16(0, true), 0);
  assert.equal(gt(6, bytes(16, (v) => v.setUint16(0, 9, true))), 0n);
  assert.equal(get(ARG + 12, 2).getInt16(0, true), -2, "GNTST_bad_domain");
  assert.equal(gt(2, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 65, true); v.setBigUint64(16, BigInt(ARG + 0x100), true); })), 0n);
  assert.equal(get(ARG + 8, 2).getInt16(0, true), -1, "setup_table beyond max_nr_frames: GNTST_general_error");
  assert.equal(gt(8, bytes(4, (v) => v.setUint32(0, 2, true))), EINVAL, "version 2 is not offered");
  // Frame 0 in the grant region; grant 5 lets this domain (1) write frame 0x40400.
  put(ARG + 0x800, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 1, true); v.setBigUint64(16, BigInt(XEN_GNTTAB_IPA / 4096), true); }));
  assert.equal(call(HC.memory_op, 7, ARG + 0x800), 0n);
  assert.equal(gt(2, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 1, true); v.setBigUint64(16, BigInt(ARG + 0x100), true); })), 0n);
  assert.equal(get(ARG + 0x100, 8).getBigUint64(0, true), BigInt(XEN_GNTTAB_IPA / 4096), "setup_table reports the frame where it is");
  // The grant frame is one of the hypervisor's pages: written as the guest would, through the partition's map.
  const putXen = (ipa: number, b: Uint8Array) => p.xen!.domain.memory.ipaView(ipa, b.length)!.set(b);
  putXen(XEN_GNTTAB_IPA + 5 * 8, bytes(8, (v) => { v.setUint16(0, 1, true); v.setUint16(2, 1, true); v.setUint32(4, 0x40400, true); }));
  putXen(XEN_GNTTAB_IPA + 6 * 8, bytes(8, (v) => { v.setUint16(0, 1, true); v.setUint16(2, 2, true); v.setUint32(4, 0x40400, true); }));
  put(0x4050_0000, new TextEncoder().encode("granted bytes"));
  const copy = (destRef: number) => bytes(40, (v) => {
    v.setBigUint64(0, 0x40500n, true); v.setUint16(8, DOMID_SELF, true);
    v.setBigUint64(16, BigInt(destRef), true); v.setUint16(24, DOMID_SELF, true); v.setUint16(26, 16, true);
    v.setUint16(32, 13, true); v.setUint16(34, 2, true); // GNTCOPY_dest_gref
  });
  assert.equal(gt(5, copy(512)), 0n);
  assert.equal(get(ARG + 36, 2).getInt16(0, true), -3, "grant 512 is beyond a one-frame table: GNTST_bad_gntref");
  assert.equal(gt(5, copy(6)), 0n);
  assert.equal(get(ARG + 36, 2).getInt16(0, true), -1, "grant 6 is for domain 2: GNTST_general_error (Xen's _set_status_v1)");
  assert.equal(gt(5, copy(5)), 0n);
  assert.equal(get(ARG + 36, 2).getInt16(0, true), 0);
  const r = get(0x4040_0010, 13);
  assert.equal(new TextDecoder().decode(new Uint8Array(r.buffer, r.byteOffset, 13)), "granted bytes");
});

test("hvm_op: the console and XenStore parameters; bad indices and domains", () => {
  const { call, put, bytes, get } = setup();
  const param = (domid: number, index: number) => { put(ARG, bytes(16, (v) => { v.setUint16(0, domid, true); v.setUint32(4, index, true); })); return call(HC.hvm_op, 1, ARG); };
  assert.equal(param(DOMID_SELF, 1), 0n);
  assert.equal(get(ARG + 8, 8).getBigUint64(0, true), BigInt(XEN_STORE_IPA / 4096));
  assert.equal(param(DOMID_SELF, 2), 0n);
  assert.equal(get(ARG + 8, 8).getBigUint64(0, true), BigInt(STORE_PORT));
  assert.equal(param(DOMID_SELF, 17), 0n);
  assert.equal(get(ARG + 8, 8).getBigUint64(0, true), BigInt(XEN_CONSOLE_IPA / 4096));
  assert.equal(param(DOMID_SELF, 39), EINVAL, "beyond HVM_NR_PARAMS");
  assert.equal(param(3, 1), ESRCH, "another domain");
});

test("console_io and sched_op: writes reach the partition's console; shutdown reasons act as PSCI's do", () => {
  const { call, put, output, events, hv } = setup();
  put(ARG, new TextEncoder().encode("hello from console_io\n"));
  assert.equal(call(HC.console_io, 0, 22, ARG), 0n);
  assert.equal(new TextDecoder().decode(Uint8Array.from(output)), "hello from console_io\n");
  assert.equal(call(HC.console_io, 0, -1, ARG), EINVAL);
  assert.equal(call(HC.console_io, 1, 16, ARG), EPERM, "CONSOLEIO_read is dom0's");
  const reason = (r: number) => { put(ARG, Uint8Array.of(r, 0, 0, 0)); return call(HC.sched_op, 2, ARG); };
  assert.equal(reason(9), EINVAL);
  const poll = new Uint8Array(24); new DataView(poll.buffer).setBigUint64(0, BigInt(ARG + 0x100), true); new DataView(poll.buffer).setUint32(8, 129, true);
  put(ARG, poll);
  assert.equal(call(HC.sched_op, 3, ARG), EINVAL, "poll on more than 128 ports");
  new DataView(poll.buffer).setUint32(8, 1, true);
  put(ARG, poll); put(ARG + 0x100, Uint8Array.of(0x88, 0x13, 0, 0));
  assert.equal(call(HC.sched_op, 3, ARG), EINVAL, "poll on port 5000");
  assert.equal(call(HC.sched_op, 0, 0), 0n, "yield");
  assert.equal(reason(3), 0n);
  assert.ok(events.some((e) => /xa: crashed: SCHEDOP_shutdown\(crash\)/.test(e)), events.join("\n"));
  assert.equal(hv.parts[0].state, "crashed");
});

test("sched_op shutdown: poweroff stops the partition, reboot restarts it", () => {
  const a = setup();
  a.put(ARG, Uint8Array.of(0, 0, 0, 0));
  a.call(HC.sched_op, 2, ARG);
  assert.equal(a.hv.parts[0].state, "stopped");
  assert.ok(a.events.some((e) => e === "xa: powered off"), a.events.join("\n"));
  const b = setup();
  b.put(ARG, Uint8Array.of(1, 0, 0, 0));
  b.call(HC.sched_op, 2, ARG);
  assert.ok(b.events.some((e) => e === "xa: reset"), b.events.join("\n"));
  assert.ok(b.events.some((e) => /xa: started/.test(e)), b.events.join("\n"));
});

test("2-level delivery: a masked port stays quiet until unmasked; the upcall PPI follows evtchn_upcall_pending", () => {
  const { call, put, bytes, get, p } = setup();
  const SI = 0x4020_0000;
  put(ARG + 0x800, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 0, true); v.setBigUint64(16, BigInt(SI / 4096), true); }));
  assert.equal(call(HC.memory_op, 7, ARG + 0x800), 0n);
  put(ARG, bytes(4, (v) => v.setUint32(0, 0, true)));
  assert.equal(call(HC.event_channel_op, 7, ARG), 0n, "bind_ipi to vCPU 0");
  const port = get(ARG + 4, 4).getUint32(0, true);
  const line = () => p.gic.core.line[p.gic.core.slot(0, 31)];
  assert.equal(line(), 0);
  // Mask the port as Linux does (a bit in shared_info's evtchn_mask), then send.
  put(SI + 560 + (port >> 3), Uint8Array.of(1 << (port & 7)));
  put(ARG, bytes(4, (v) => v.setUint32(0, port, true)));
  assert.equal(call(HC.event_channel_op, 4, ARG), 0n);
  assert.equal((get(SI + 48 + (port >> 3), 1).getUint8(0) >> (port & 7)) & 1, 1, "pending");
  assert.equal(get(SI, 1).getUint8(0), 0, "masked: no upcall");
  assert.equal(line(), 0);
  assert.equal(call(HC.event_channel_op, 9, ARG), 0n, "unmask");
  assert.equal(get(SI, 1).getUint8(0), 1, "evtchn_upcall_pending");
  assert.equal(get(SI + 8, 1).getUint8(0) & 1, 1, "evtchn_pending_sel bit of word 0");
  assert.equal(line(), 1, "the upcall PPI is raised");
  // The guest clears the flag and finishes with the interrupt: the line drops.
  put(SI, Uint8Array.of(0));
  p.gic.core.deactivate(0, 31);
  assert.equal(line(), 0);
  // Pending again when the next event comes, and the line stays up over an EOI while it is pending.
  put(SI + 48 + (port >> 3), Uint8Array.of(0));
  put(SI + 8, Uint8Array.of(0));
  assert.equal(call(HC.event_channel_op, 4, ARG), 0n);
  assert.equal(line(), 1);
  p.gic.core.deactivate(0, 31);
  assert.equal(line(), 1);
});
