/**
 * Grants and event channels between Xen partitions, driven through the hypervisor's HVC exit
 * as each guest's HVC #0xEA1 reaches it (x16 the number, x0-x4 the arguments), with the vCPUs
 * at EL1, stage 1 off, under their partitions' stage 2. Three Xen domains: 1 grants, 2 maps,
 * 3 is a bystander. What a good call does is checked in the partitions' stage 2 (the CPU's own
 * walk) and memory; hostile calls get Xen's GNTST_* status and change nothing another domain has.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT } from "../../src/cli/guests.js";
import { findGuests } from "../harness/linux.js";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { Access, type Cpu, type Translation } from "../../src/cpu/cpu.js";
import { translate } from "../../src/cpu/mmu.js";
import { XEN_GNTTAB_IPA } from "../../src/hypervisor/xen/abi.js";
import type { El2Exit } from "../../src/cpu/platform.js";
import { PREBUILT_HELLO } from "../harness/paths.js";

const HC = { memory_op: 12, grant_table_op: 20, event_channel_op: 32 };
const GNTTABOP = { map: 0, unmap: 1, copy: 5 };
const XENMEM = { decrease: 1, populate: 6, add_to_physmap: 7 };
const GNTST = { okay: 0, general_error: -1, bad_domain: -2, bad_gntref: -3, bad_handle: -4, permission_denied: -8, bad_page: -9, bad_copy_arg: -10 };
const GNTMAP = { device_map: 1, host_map: 2, readonly: 4 };
const GTF = { permit_access: 1, readonly: 4, reading: 8, writing: 16 };
const EINVAL = -22n, EFAULT = -14n, ESRCH = -3n;
const DOMID_SELF = 0x7ff0;
/** Every partition's RAM is 16 MiB at IPA 0x4000_0000; their physical RAM follows. */
const RAM_IPA = 0x4000_0000, RAM_SIZE = 0x0100_0000;
const PA = { 1: 0x4800_0000, 2: 0x5000_0000, 3: 0x5800_0000 } as Record<number, number>;
/** A scratch page for argument structures, in each partition's RAM. */
const ARG = 0x4010_0000;
/** The page the granter shares, and where the mapper puts it. */
const SHARED_GFN = 0x40400, HOST_ADDR = 0x4080_0000;

function setup() {
  const partition = (n: number, label: string) => `
    ${label} { compatible = "partition"; label = "${label}"; cpus = <${n - 1} 1>; guest-image = "${PREBUILT_HELLO}"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&p${n}>; guest-addr = <0x0 0x40000000>; }; };`;
  const tree = compileDts(`/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x40000000>; };
  p1: p1 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x01000000>; };
  p2: p2 { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x01000000>; };
  p3: p3 { compatible = "phys-mem-area"; addr = <0x0 0x58000000>; size = <0x0 0x01000000>; };
  partitions { ${partition(1, "granter")} ${partition(2, "mapper")} ${partition(3, "other")} };
};
`, { fileName: "grants.dts" });
  const r = checkHvConfig(tree, "grants.dts", "/", { fileSize: () => 10000, hasDevice: () => true });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const hv = new Hypervisor(r.config, { readImage: () => new Uint8Array(16), consoleOutput: () => {}, event: () => {}, dtbToDts: () => "" });
  const boot = (id: number) => { const p = hv.parts[id - 1]; p.enterGuest(p.vcpus[0], RAM_IPA, 0, 0, 0); p.state = "running"; p.booted = true; };
  [1, 2, 3].forEach(boot);
  const part = (id: number) => hv.parts.find((p) => p.config.id === id)!;
  const set = (cpu: Cpu, r: number, v: bigint) => { cpu.x[r * 2] = Number(v & 0xffffffffn) | 0; cpu.x[r * 2 + 1] = Number((v >> 32n) & 0xffffffffn) | 0; };
  let continuations = 0;
  /** A hypercall of domain `id`, re-issued for as long as it continues itself. */
  const call = (id: number, nr: number, ...args: (number | bigint)[]): bigint => {
    const cpu = part(id).vcpus[0];
    set(cpu, 16, BigInt(nr));
    for (let i = 0; i < 5; i++) set(cpu, i, BigInt.asUintN(64, BigInt(args[i] ?? 0)));
    for (;;) {
      const exit: El2Exit = { kind: "hvc", imm: 0xea1, ec: 0x16, iss: 0xea1, returnPc: 0x4000_0004n, fromEl: 1 };
      const res = hv.el2Exit(cpu, exit);
      assert.equal(res.action, "resume");
      if (res.action !== "resume") throw new Error("not resumed");
      if (res.pc !== undefined) {
        assert.equal(res.pc, 0x4000_0000n, "a continuation issues the HVC again");
        continuations++;
        for (const [r, v] of res.registers ?? []) set(cpu, r, v);
        continue;
      }
      return BigInt.asIntN(64, res.registers![0][1]);
    }
  };
  const bytes = (n: number, f: (b: DataView) => void) => { const b = new Uint8Array(n); f(new DataView(b.buffer)); return b; };
  const put = (id: number, ipa: number, b: Uint8Array) => part(id).writeGuest(ipa, b);
  const get = (id: number, ipa: number, n: number) => { const r = part(id).readGuest(ipa, n); assert.ok(r instanceof Uint8Array); return new DataView(r.buffer, r.byteOffset, r.byteLength); };
  const ram = (pa: number, n: number) => { const bus = hv.board.bus, r = bus.rams[bus.findRam(pa)]; return r.bytes.subarray(pa - r.base, pa - r.base + n); };
  /** The domain's stage 2 as its vCPU walks it (stage 1 is off, so VA = IPA). */
  const walk = (id: number, ipa: number, access = Access.Read): Translation => {
    const out = { pa: 0, fault: -1, faultS2: false, cacheable: true } as Translation;
    translate(part(id).vcpus[0], ipa % 2 ** 32 | 0, Math.floor(ipa / 2 ** 32), access, 1, out);
    return out;
  };
  /** Domain 1's grant frame 0 in its grant region, and grant `ref` = (flags, domid, frame). */
  call(1, HC.memory_op, XENMEM.add_to_physmap, 0);
  put(1, ARG, bytes(24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, 1, true); v.setBigUint64(16, BigInt(XEN_GNTTAB_IPA / 4096), true); }));
  assert.equal(call(1, HC.memory_op, XENMEM.add_to_physmap, ARG), 0n);
  const grantTable = () => part(1).xen!.domain.memory.ipaView(XEN_GNTTAB_IPA, 4096)!;
  const grant = (ref: number, flags: number, domid: number, frame = SHARED_GFN) => {
    const v = new DataView(grantTable().buffer, grantTable().byteOffset + ref * 8, 8);
    v.setUint16(0, flags, true); v.setUint16(2, domid, true); v.setUint32(4, frame, true);
  };
  const grantFlags = (ref: number) => new DataView(grantTable().buffer, grantTable().byteOffset + ref * 8, 2).getUint16(0, true);
  /** Domain `id` gives `gfns` back (XENMEM_decrease_reservation): the number done. */
  const giveBack = (id: number, ...gfns: number[]) => {
    put(id, ARG + 0x800, bytes(8 * gfns.length, (v) => gfns.forEach((g, i) => v.setBigUint64(8 * i, BigInt(g), true))));
    put(id, ARG + 0x700, bytes(32, (v) => { v.setBigUint64(0, BigInt(ARG + 0x800), true); v.setBigUint64(8, BigInt(gfns.length), true); v.setUint16(24, DOMID_SELF, true); }));
    return call(id, HC.memory_op, XENMEM.decrease, ARG + 0x700);
  };
  const populate = (id: number, ...gfns: number[]) => {
    put(id, ARG + 0x800, bytes(8 * gfns.length, (v) => gfns.forEach((g, i) => v.setBigUint64(8 * i, BigInt(g), true))));
    put(id, ARG + 0x700, bytes(32, (v) => { v.setBigUint64(0, BigInt(ARG + 0x800), true); v.setBigUint64(8, BigInt(gfns.length), true); v.setUint16(24, DOMID_SELF, true); }));
    return call(id, HC.memory_op, XENMEM.populate, ARG + 0x700);
  };
  type Map = { hostAddr: number | bigint; flags: number; ref: number; dom: number };
  const mapOp = (m: Map) => bytes(32, (v) => { v.setBigUint64(0, BigInt(m.hostAddr), true); v.setUint32(8, m.flags, true); v.setUint32(12, m.ref, true); v.setUint16(16, m.dom, true); });
  /** One map_grant_ref of domain `id`: its status, handle and dev_bus_addr. */
  const map = (id: number, m: Map) => {
    put(id, ARG, mapOp(m));
    assert.equal(call(id, HC.grant_table_op, GNTTABOP.map, ARG, 1), 0n);
    const r = get(id, ARG, 32);
    return { status: r.getInt16(18, true), handle: r.getUint32(20, true), devBusAddr: r.getBigUint64(24, true) };
  };
  const unmap = (id: number, handle: number, hostAddr: number | bigint = HOST_ADDR, devBusAddr = 0n) => {
    put(id, ARG, bytes(24, (v) => { v.setBigUint64(0, BigInt(hostAddr), true); v.setBigUint64(8, devBusAddr, true); v.setUint32(16, handle, true); }));
    assert.equal(call(id, HC.grant_table_op, GNTTABOP.unmap, ARG, 1), 0n);
    return get(id, ARG, 24).getInt16(20, true);
  };
  const evtchn = (id: number, cmd: number, size: number, f: (v: DataView) => void) => {
    put(id, ARG, bytes(size, f));
    return { rc: call(id, HC.event_channel_op, cmd, ARG), out: get(id, ARG, size) };
  };
  return { hv, part, call, bytes, put, get, ram, walk, grant, grantFlags, giveBack, populate, map, mapOp, unmap, evtchn, continuations: () => continuations };
}

test("map_grant_ref puts the granted page at host_addr in the mapper's stage 2, GTF_reading/writing while mapped; unmap by handle", () => {
  const { ram, walk, grant, grantFlags, giveBack, map, unmap, put, get } = setup();
  grant(5, GTF.permit_access, 2);
  put(1, SHARED_GFN * 4096, new TextEncoder().encode("from the granter"));
  assert.equal(giveBack(2, HOST_ADDR / 4096), 1n, "the mapper gives a RAM page back first, as Linux's balloon does");
  const hole = walk(2, HOST_ADDR);
  assert.ok(hole.faultS2 && (hole.fault & 0x3c) === 0x04, "a page given back is a stage-2 translation fault");
  const m = map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map, ref: 5, dom: 1 });
  assert.equal(m.status, GNTST.okay);
  const granterPa = PA[1] + (SHARED_GFN * 4096 - RAM_IPA);
  assert.equal(m.devBusAddr, BigInt(granterPa), "dev_bus_addr: the machine address of the granted page, as Xen reports it");
  assert.equal(walk(2, HOST_ADDR + 0x10).pa, granterPa + 0x10, "the mapper's IPA reaches the granter's page");
  assert.equal(walk(2, HOST_ADDR + 0x10, Access.Write).fault, -1, "writable");
  assert.ok(walk(2, HOST_ADDR, Access.Exec).fault >= 0, "never executable");
  assert.equal(grantFlags(5), GTF.permit_access | GTF.reading | GTF.writing);
  // What the mapper stores there, the granter reads (both through their own IPA).
  ram(granterPa + 0x100, 5).set(new TextEncoder().encode("hello"));
  const seen = get(1, SHARED_GFN * 4096 + 0x100, 5);
  assert.equal(new TextDecoder().decode(new Uint8Array(seen.buffer, seen.byteOffset, 5)), "hello");
  // A second, read-only mapping of the same grant keeps GTF_writing (one writable pin is left).
  assert.equal(giveBack(2, HOST_ADDR / 4096 + 1), 1n);
  const ro = map(2, { hostAddr: HOST_ADDR + 0x1000, flags: GNTMAP.host_map | GNTMAP.readonly, ref: 5, dom: 1 });
  assert.equal(ro.status, GNTST.okay);
  assert.notEqual(ro.handle, m.handle);
  assert.equal(unmap(2, m.handle, HOST_ADDR, 0x1234n), GNTST.general_error, "dev_bus_addr not the mapping's");
  assert.equal(unmap(2, m.handle, HOST_ADDR + 0x1000), GNTST.general_error, "host_addr not where this handle is mapped");
  assert.equal(unmap(2, m.handle, 0), GNTST.okay, "host_addr 0: nothing is unmapped");
  assert.equal(walk(2, HOST_ADDR).pa, granterPa);
  assert.equal(unmap(2, m.handle), GNTST.okay);
  assert.equal(grantFlags(5), GTF.permit_access | GTF.reading, "GTF_writing goes with the last writable mapping");
  assert.ok(walk(2, HOST_ADDR).faultS2, "unmapped: a hole again");
  assert.equal(unmap(2, m.handle), GNTST.bad_handle, "a handle is unmapped once");
  assert.equal(unmap(2, ro.handle, HOST_ADDR + 0x1000), GNTST.okay);
  assert.equal(grantFlags(5), GTF.permit_access, "GTF_reading goes with the last mapping");
  assert.equal(unmap(2, 99999), GNTST.bad_handle);
});

test("a read-only grant maps only read-only; a store there is a stage-2 permission fault, answered with an abort in the guest", () => {
  const { hv, part, walk, grant, grantFlags, giveBack, map } = setup();
  grant(7, GTF.permit_access | GTF.readonly, 2);
  giveBack(2, HOST_ADDR / 4096);
  assert.equal(map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map, ref: 7, dom: 1 }).status, GNTST.general_error, "a writable map of a GTF_readonly grant");
  assert.equal(grantFlags(7), GTF.permit_access | GTF.readonly, "nothing left pinned");
  const m = map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map | GNTMAP.readonly, ref: 7, dom: 1 });
  assert.equal(m.status, GNTST.okay);
  assert.equal(grantFlags(7), GTF.permit_access | GTF.readonly | GTF.reading);
  assert.equal(walk(2, HOST_ADDR).fault, -1);
  const w = walk(2, HOST_ADDR, Access.Write);
  assert.ok(w.faultS2 && (w.fault & 0x3c) === 0x0c, "a store: stage-2 permission fault");
  // The exit that fault makes: no device answers there, so the guest takes a synchronous external abort.
  const p = part(2), cpu = p.vcpus[0];
  const before = p.externalAborts;
  const res = hv.el2Exit(cpu, { kind: "dabt", ec: 0x24, iss: 0, returnPc: 0x4000_0000n, fromEl: 1, ipa: HOST_ADDR, far: BigInt(HOST_ADDR), write: true, onTableWalk: false,
    access: { size: 4, signExtend: false, register: 0, sixtyFourBit: false, acquireRelease: false } } as unknown as El2Exit);
  assert.equal(res.action, "resume");
  assert.equal(p.externalAborts, before + 1, "an abort injected into the guest");
});

test("hostile map and unmap requests get Xen's status and map nothing", () => {
  const { walk, grant, grantFlags, giveBack, map, unmap } = setup();
  grant(5, GTF.permit_access, 2);
  grant(6, GTF.permit_access, 3);           // for another domain
  grant(8, 0, 2);                           // not (or no longer) granted
  grant(9, GTF.permit_access, 2, 0x10);     // a frame that is no RAM of the granter
  grant(10, GTF.permit_access, 2, (0x4000_0000 + RAM_SIZE) / 4096); // just past its RAM
  giveBack(2, HOST_ADDR / 4096);
  const at = (hostAddr: number | bigint, ref = 5, flags = GNTMAP.host_map, dom = 1) => map(2, { hostAddr, flags, ref, dom }).status;
  assert.equal(at(HOST_ADDR, 512), GNTST.bad_gntref, "beyond the granter's one-frame table");
  assert.equal(at(HOST_ADDR, 0xffff_ffff), GNTST.bad_gntref);
  assert.equal(at(HOST_ADDR, 6), GNTST.general_error, "granted to domain 3");
  assert.equal(at(HOST_ADDR, 8), GNTST.general_error, "no GTF_permit_access");
  assert.equal(at(HOST_ADDR, 9), GNTST.bad_page, "the grant names no RAM of the granter");
  assert.equal(at(HOST_ADDR, 10), GNTST.bad_page);
  assert.equal(at(HOST_ADDR, 5, 0), GNTST.bad_gntref, "neither host_map nor device_map");
  assert.equal(at(HOST_ADDR, 5, GNTMAP.host_map | GNTMAP.device_map), GNTST.general_error, "no device mappings for a translated guest");
  assert.equal(at(HOST_ADDR, 5, GNTMAP.host_map, 9), GNTST.bad_domain, "no domain 9");
  assert.equal(at(HOST_ADDR, 5, GNTMAP.host_map, 0), GNTST.bad_domain, "dom0 is the hypervisor, with no grant table");
  assert.equal(at(HOST_ADDR, 5, GNTMAP.host_map, DOMID_SELF), GNTST.bad_domain, "DOMID_SELF is no domain to map from");
  // host_addr: only a page of its RAM that the mapper gave back.
  for (const bad of [HOST_ADDR + 0x2000 /* RAM in use */, XEN_GNTTAB_IPA /* the Xen pages */, 0x0800_0000 /* the GIC */, 0x0900_0000 /* the UART */,
    RAM_IPA + RAM_SIZE /* past RAM */, 0x10_0000_0000 /* a hole */, 0xffff_ffff_ffff_f000n, PA[1] + 0x40_0000 /* the granter's page by its physical address */]) {
    assert.equal(at(bad), GNTST.general_error, `host_addr 0x${bad.toString(16)}`);
  }
  assert.equal(walk(2, HOST_ADDR + 0x2000).pa, PA[2] + 0x80_2000, "RAM in use stays the mapper's");
  assert.equal(grantFlags(5), GTF.permit_access, "no failed map left a pin");
  // A grant pinned by domain 2 cannot be mapped by domain 3 even if the entry is changed to name it.
  const m = map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map, ref: 5, dom: 1 });
  assert.equal(m.status, GNTST.okay);
  assert.equal(at(HOST_ADDR + 0x1000), GNTST.general_error, "the next page is RAM in use");
  assert.equal(giveBack(2, HOST_ADDR / 4096), 0n, "a page holding a mapping cannot be given back");
  grant(5, GTF.permit_access | GTF.reading | GTF.writing, 3);
  giveBack(3, HOST_ADDR / 4096);
  assert.equal(map(3, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map, ref: 5, dom: 1 }).status, GNTST.general_error, "pinned by domain 2");
  assert.ok(walk(3, HOST_ADDR).faultS2, "domain 3 got nothing");
  assert.equal(unmap(3, m.handle), GNTST.bad_handle, "domain 2's handle means nothing to domain 3");
  assert.equal(walk(2, HOST_ADDR).pa, PA[1] + (SHARED_GFN * 4096 - RAM_IPA), "and domain 2's mapping stays");
});

test("batches: each request gets its own status; long batches continue, huge counts stop at the end of the caller's memory", () => {
  const { call, put, get, bytes, grant, giveBack, mapOp, walk, continuations } = setup();
  for (let r = 1; r <= 3; r++) grant(r, GTF.permit_access, 2, SHARED_GFN + r);
  giveBack(2, 0x40800, 0x40801, 0x40802);
  const ops = [mapOp({ hostAddr: 0x4080_0000, flags: GNTMAP.host_map, ref: 1, dom: 1 }), mapOp({ hostAddr: 0x4080_1000, flags: GNTMAP.host_map, ref: 1, dom: 9 }),
    mapOp({ hostAddr: 0x4080_2000, flags: GNTMAP.host_map | GNTMAP.readonly, ref: 3, dom: 1 })];
  ops.forEach((o, i) => put(2, ARG + 32 * i, o));
  assert.equal(call(2, HC.grant_table_op, GNTTABOP.map, ARG, 3), 0n);
  assert.deepEqual([0, 1, 2].map((i) => get(2, ARG + 32 * i + 18, 2).getInt16(0, true)), [GNTST.okay, GNTST.bad_domain, GNTST.okay]);
  assert.equal(walk(2, 0x4080_2000).pa, PA[1] + (SHARED_GFN + 3) * 4096 - RAM_IPA);
  // Unmap the two in one batch.
  const handles = [0, 2].map((i) => get(2, ARG + 32 * i + 20, 4).getUint32(0, true));
  put(2, ARG, bytes(48, (v) => { v.setBigUint64(0, 0x4080_0000n, true); v.setUint32(16, handles[0], true); v.setBigUint64(24, 0x4080_2000n, true); v.setUint32(40, handles[1], true); }));
  assert.equal(call(2, HC.grant_table_op, GNTTABOP.unmap, ARG, 2), 0n);
  assert.deepEqual([0, 1].map((i) => get(2, ARG + 24 * i + 20, 2).getInt16(0, true)), [GNTST.okay, GNTST.okay]);
  // 200 copies of bad references: done in continuations of 64, each with its status.
  const copies = 200;
  // Source: grant 0 of domain 1 (not granted); destination: the caller's own frame 0x40600.
  put(2, ARG, bytes(40 * copies, (v) => { for (let i = 0; i < copies; i++) { v.setUint16(40 * i + 8, 1, true); v.setUint32(40 * i + 16, 0x40600, true); v.setUint16(40 * i + 24, DOMID_SELF, true); v.setUint16(40 * i + 32, 8, true); v.setUint16(40 * i + 34, 1, true); } }));
  const before = continuations();
  assert.equal(call(2, HC.grant_table_op, GNTTABOP.copy, ARG, copies), 0n);
  assert.equal(continuations() - before, 3, "continued after 64, 128 and 192 requests");
  for (let i = 0; i < copies; i++) assert.equal(get(2, ARG + 40 * i + 36, 2).getInt16(0, true), GNTST.general_error);
  // A huge count runs into the end of the caller's RAM: -EFAULT there, having read nothing beyond it.
  const last = RAM_IPA + RAM_SIZE - 40 * 4;
  assert.equal(call(2, HC.grant_table_op, GNTTABOP.copy, last, 0x7fff_ffff), EFAULT);
  assert.equal(call(2, HC.grant_table_op, GNTTABOP.map, last, 0xffff_ffff), EINVAL, "a count that is negative as an int");
  assert.equal(call(2, HC.grant_table_op, GNTTABOP.map, 0x0900_0000, 1), EFAULT, "requests in a device");
});

test("GNTTABOP_copy between domains through grants, with Xen's checks", () => {
  const { call, put, get, bytes, grant, grantFlags, giveBack, map } = setup();
  grant(5, GTF.permit_access, 2);
  grant(6, GTF.permit_access | GTF.readonly, 2, SHARED_GFN + 1);
  put(1, SHARED_GFN * 4096 + 0x20, new TextEncoder().encode("copied across"));
  type Side = { ref?: number; gmfn?: number; dom: number; offset: number };
  const copy = (src: Side, dst: Side, len: number) => {
    const flags = (src.ref !== undefined ? 1 : 0) | (dst.ref !== undefined ? 2 : 0);
    put(2, ARG, bytes(40, (v) => {
      v.setBigUint64(0, BigInt(src.ref ?? src.gmfn!), true); v.setUint16(8, src.dom, true); v.setUint16(10, src.offset, true);
      v.setBigUint64(16, BigInt(dst.ref ?? dst.gmfn!), true); v.setUint16(24, dst.dom, true); v.setUint16(26, dst.offset, true);
      v.setUint16(32, len, true); v.setUint16(34, flags, true);
    }));
    assert.equal(call(2, HC.grant_table_op, GNTTABOP.copy, ARG, 1), 0n);
    return get(2, ARG + 36, 2).getInt16(0, true);
  };
  const mine = 0x40600;
  assert.equal(copy({ ref: 5, dom: 1, offset: 0x20 }, { gmfn: mine, dom: DOMID_SELF, offset: 8 }, 13), GNTST.okay);
  const got = get(2, mine * 4096 + 8, 13);
  assert.equal(new TextDecoder().decode(new Uint8Array(got.buffer, got.byteOffset, 13)), "copied across");
  assert.equal(grantFlags(5), GTF.permit_access, "pinned only for the copy");
  put(2, mine * 4096, new TextEncoder().encode("back"));
  assert.equal(copy({ gmfn: mine, dom: DOMID_SELF, offset: 0 }, { ref: 5, dom: 1, offset: 0x100 }, 4), GNTST.okay);
  const back = get(1, SHARED_GFN * 4096 + 0x100, 4);
  assert.equal(new TextDecoder().decode(new Uint8Array(back.buffer, back.byteOffset, 4)), "back");
  assert.equal(copy({ gmfn: mine, dom: DOMID_SELF, offset: 0 }, { ref: 6, dom: 1, offset: 0 }, 4), GNTST.general_error, "into a read-only grant");
  assert.equal(copy({ ref: 6, dom: 1, offset: 0 }, { gmfn: mine, dom: DOMID_SELF, offset: 0 }, 4), GNTST.okay, "out of one is fine");
  assert.equal(copy({ ref: 5, dom: 1, offset: 4000 }, { gmfn: mine, dom: DOMID_SELF, offset: 0 }, 100), GNTST.bad_copy_arg, "beyond the source page");
  assert.equal(copy({ ref: 5, dom: 1, offset: 0 }, { gmfn: mine, dom: DOMID_SELF, offset: 4095 }, 2), GNTST.bad_copy_arg, "beyond the destination page");
  assert.equal(copy({ gmfn: SHARED_GFN, dom: 1, offset: 0 }, { gmfn: mine, dom: DOMID_SELF, offset: 0 }, 4), GNTST.permission_denied, "another domain's frame by number");
  assert.equal(copy({ gmfn: mine, dom: 2, offset: 0 }, { gmfn: mine, dom: DOMID_SELF, offset: 0 }, 4), GNTST.permission_denied, "by number only as DOMID_SELF");
  assert.equal(copy({ ref: 5, dom: 9, offset: 0 }, { gmfn: mine, dom: DOMID_SELF, offset: 0 }, 4), GNTST.bad_domain);
  assert.equal(copy({ ref: 5, dom: 3, offset: 0 }, { gmfn: mine, dom: DOMID_SELF, offset: 0 }, 4), GNTST.general_error, "domain 3's entries are all zero");
  for (const gmfn of [0x10, (RAM_IPA + RAM_SIZE) / 4096, XEN_GNTTAB_IPA / 4096, 2 ** 52]) {
    assert.equal(copy({ ref: 5, dom: 1, offset: 0 }, { gmfn, dom: DOMID_SELF, offset: 0 }, 4), GNTST.bad_page, `own frame 0x${gmfn.toString(16)}`);
  }
  // Neither a page given back nor a grant mapping is the caller's own frame.
  giveBack(2, HOST_ADDR / 4096);
  assert.equal(copy({ ref: 5, dom: 1, offset: 0 }, { gmfn: HOST_ADDR / 4096, dom: DOMID_SELF, offset: 0 }, 4), GNTST.bad_page);
  assert.equal(map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map | GNTMAP.readonly, ref: 6, dom: 1 }).status, GNTST.okay);
  assert.equal(copy({ ref: 5, dom: 1, offset: 0 }, { gmfn: HOST_ADDR / 4096, dom: DOMID_SELF, offset: 0 }, 4), GNTST.bad_page, "a read-only mapping is not written through a copy");
});

test("pages given back and populated again; hypercall buffers there are -EFAULT", () => {
  const { call, walk, giveBack, populate, put, ram, bytes } = setup();
  ram(PA[2] + 0x50_0000, 4).set([1, 2, 3, 4]);
  assert.equal(giveBack(2, 0x40500, 0x40501), 2n);
  assert.ok(walk(2, 0x4050_0000).faultS2);
  assert.equal(call(2, HC.grant_table_op, 6, 0x4050_0000, 1), EFAULT, "a buffer in a page given back");
  assert.equal(giveBack(2, 0x40502, 0x40501, 0x40503), 1n, "stops at the page already given back");
  assert.equal(giveBack(2, 0x10), 0n, "not RAM");
  assert.equal(giveBack(2, XEN_GNTTAB_IPA / 4096), 0n, "the Xen pages");
  assert.equal(giveBack(2, (RAM_IPA + RAM_SIZE) / 4096), 0n, "past RAM");
  assert.equal(populate(2, 0x40500, 0x40600), 1n, "0x40600 was never given back");
  assert.equal(walk(2, 0x4050_0000).pa, PA[2] + 0x50_0000);
  assert.deepEqual([...ram(PA[2] + 0x50_0000, 4)], [0, 0, 0, 0], "populated pages are scrubbed");
  put(2, ARG + 0x700, bytes(32, (v) => { v.setBigUint64(8, 1n, true); v.setUint32(16, 1, true); v.setUint16(24, DOMID_SELF, true); }));
  assert.equal(call(2, HC.memory_op, 1, ARG + 0x700), EINVAL, "extent_order 1");
});

test("event channels between domains: alloc_unbound, bind_interdomain, send both ways, status, close", () => {
  const { part, evtchn } = setup();
  const OP = { bind_interdomain: 0, close: 3, send: 4, status: 5, alloc_unbound: 6 };
  const a = evtchn(1, OP.alloc_unbound, 8, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint16(2, 2, true); });
  assert.equal(a.rc, 0n);
  const p1 = a.out.getUint32(4, true);
  assert.equal(evtchn(3, OP.bind_interdomain, 12, (v) => { v.setUint16(0, 1, true); v.setUint32(4, p1, true); }).rc, EINVAL, "allocated for domain 2, not 3");
  assert.equal(evtchn(2, OP.bind_interdomain, 12, (v) => { v.setUint16(0, 9, true); v.setUint32(4, p1, true); }).rc, ESRCH, "no domain 9");
  assert.equal(evtchn(2, OP.bind_interdomain, 12, (v) => { v.setUint16(0, 1, true); v.setUint32(4, 4095, true); }).rc, EINVAL, "not an unbound port");
  const b = evtchn(2, OP.bind_interdomain, 12, (v) => { v.setUint16(0, 1, true); v.setUint32(4, p1, true); });
  assert.equal(b.rc, 0n);
  const p2 = b.out.getUint32(8, true);
  assert.equal(evtchn(2, OP.bind_interdomain, 12, (v) => { v.setUint16(0, 1, true); v.setUint32(4, p1, true); }).rc, EINVAL, "bound once");
  const status = (id: number, port: number) => { const r = evtchn(id, OP.status, 24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, port, true); }); assert.equal(r.rc, 0n); return { status: r.out.getUint32(8, true), dom: r.out.getUint16(16, true), port: r.out.getUint32(20, true) }; };
  assert.deepEqual(status(1, p1), { status: 2, dom: 2, port: p2 }, "EVTCHNSTAT_interdomain to domain 2's port");
  assert.deepEqual(status(2, p2), { status: 2, dom: 1, port: p1 });
  const ev = (id: number) => part(id).xen!.domain.events;
  assert.ok(ev(2).isPending(p2), "a freshly bound port starts pending, as in Xen");
  assert.ok(!ev(1).isPending(p1));
  assert.equal(evtchn(2, OP.send, 4, (v) => v.setUint32(0, p2, true)).rc, 0n);
  assert.ok(ev(1).isPending(p1), "domain 2's send is domain 1's event");
  assert.ok(part(1).xen!.domain.upcallPending(0), "and its upcall");
  assert.ok(!ev(3).isPending(p1), "nobody else's");
  assert.equal(evtchn(1, OP.close, 4, (v) => v.setUint32(0, p1, true)).rc, 0n);
  assert.deepEqual(status(1, p1).status, 0, "closed");
  assert.deepEqual(status(2, p2), { status: 1, dom: 1, port: 0 }, "the other end is unbound, for domain 1 to bind again");
  assert.equal(evtchn(2, OP.send, 4, (v) => v.setUint32(0, p2, true)).rc, 0n, "a send into nothing is dropped");
  const again = evtchn(1, OP.bind_interdomain, 12, (v) => { v.setUint16(0, 2, true); v.setUint32(4, p2, true); });
  assert.equal(again.rc, 0n, "domain 1 binds to it again");
  const p1b = again.out.getUint32(8, true);
  ev(1).isPending(p1b);
  assert.deepEqual(status(2, p2), { status: 2, dom: 1, port: p1b });
});

test("a domain that is destroyed lets go: its pages leave the mappers' stage 2, its channels' other ends are unbound", () => {
  const { hv, part, walk, grant, grantFlags, giveBack, map, unmap, evtchn } = setup();
  grant(5, GTF.permit_access, 2);
  giveBack(2, HOST_ADDR / 4096);
  const m = map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map, ref: 5, dom: 1 });
  assert.equal(m.status, GNTST.okay);
  const a = evtchn(1, 6, 8, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint16(2, 2, true); });
  const b = evtchn(2, 0, 12, (v) => { v.setUint16(0, 1, true); v.setUint32(4, a.out.getUint32(4, true), true); });
  assert.equal(b.rc, 0n);
  // Domain 2 restarts: its mapping is released, so the grant is free again, and its channel's other end is unbound.
  hv.restart(2);
  assert.equal(grantFlags(5), GTF.permit_access, "the restarted mapper's pins are gone");
  const st1 = evtchn(1, 5, 24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, a.out.getUint32(4, true), true); });
  assert.deepEqual([st1.out.getUint32(8, true), st1.out.getUint16(16, true)], [1, 2], "domain 1's end: unbound, for domain 2");
  // It maps again, then the granter restarts: the page leaves domain 2's stage 2 at once.
  part(2).enterGuest(part(2).vcpus[0], RAM_IPA, 0, 0, 0);
  giveBack(2, HOST_ADDR / 4096);
  grant(5, GTF.permit_access, 2);
  const m2 = map(2, { hostAddr: HOST_ADDR, flags: GNTMAP.host_map, ref: 5, dom: 1 });
  assert.equal(m2.status, GNTST.okay);
  const b2 = evtchn(1, 6, 8, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint16(2, 2, true); });
  const c2 = evtchn(2, 0, 12, (v) => { v.setUint16(0, 1, true); v.setUint32(4, b2.out.getUint32(4, true), true); });
  assert.equal(c2.rc, 0n);
  const port2 = c2.out.getUint32(8, true);
  hv.restart(1);
  assert.ok(walk(2, HOST_ADDR).faultS2, "the old granter's page is unmapped from the mapper");
  const st = evtchn(2, 5, 24, (v) => { v.setUint16(0, DOMID_SELF, true); v.setUint32(4, port2, true); });
  assert.equal(st.out.getUint32(8, true), 1, "unbound");
  assert.equal(st.out.getUint16(16, true), 1, "for domain 1 (its next incarnation) to bind again");
  assert.equal(unmap(2, m2.handle), GNTST.okay, "the stale handle is released");
  assert.equal(unmap(2, m2.handle), GNTST.bad_handle);
});

// ---- Debian's Linux and the RTOS (and a second Linux) exchanging data through a grant and an event channel ----

const guests = findGuests();
const XEN_MODULES = ["xen-gntdev", "xen-evtchn", "xen-gntalloc"];
const linuxSkip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : missingTools({ compiler: true, qemu: false }) ?? false);

/** The initramfs: /init, the team's static mailbox program, and the kernel's gntdev/evtchn/gntalloc modules. */
function mailboxInitrd(dir: string, name: string, run: string): string {
  const g = guests!;
  const modules = join(g.dir, "linux", "lib", "modules", basename(g.kernel).replace(/^vmlinuz-/, ""), "kernel", "drivers", "xen");
  const helper = join(dir, "xen-mailbox");
  const cc = spawnSync("aarch64-linux-gnu-gcc", ["-static", "-O2", "-Wall", "-o", helper, join(REPO_ROOT, "tests", "linux", "xen-mailbox.c")], { encoding: "utf8" });
  assert.equal(cc.status, 0, cc.stderr);
  const init = `#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for m in ${XEN_MODULES.join(" ")}; do insmod /modules/$m.ko || echo "linux: insmod $m failed"; done
${run}
echo "linux: exit $?"
poweroff -f
`;
  const extra: Record<string, Uint8Array> = { "bin/xen-mailbox": new Uint8Array(readFileSync(helper)) };
  for (const m of XEN_MODULES) extra[`modules/${m}.ko`] = new Uint8Array(readFileSync(join(modules, `${m}.ko`)));
  const path = join(dir, `${name}.cpio.gz`);
  writeFileSync(path, busyboxInitramfs(g.busybox, init, extra));
  return path;
}

function runHv(config: string): { stdout: string; lines: (label: string) => string[] } {
  // Instruction time: vCPUs sharing one busy host thread must not look like soft lockups to Linux.
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "-icount", "shift=4", "--watchdog", "800"], { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-4000)}`);
  const lines = (label: string) => r.stdout.split("\n").filter((l) => l.startsWith(`[${label}] `)).map((l) => l.slice(label.length + 3).replace(/\r$/, ""));
  return { stdout: r.stdout, lines };
}

const KERNEL_TROUBLE = [/kernel BUG/, /Oops/, /Unable to handle/, /WARNING: CPU/, /xen:grant_table.*fail/i, /xen:balloon.*fail/i];

test("Linux maps the RTOS's granted page and talks to it over an interdomain event channel, both published in XenStore", { skip: linuxSkip, timeout: 900_000 }, () => {
  buildGuests(["rtos-xen"]);
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-grants-"));
  const initrd = mailboxInitrd(dir, "client", `/bin/xen-mailbox 2 "led on" "status" "echo hello through a grant" "bogus" "off"`);
  const config = join(dir, "grants.dts");
  writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x40000000>; };
  linux_ram: linux-ram { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x20000000>; };
  rtos_ram: rtos-ram { compatible = "phys-mem-area"; addr = <0x0 0x68000000>; size = <0x0 0x04000000>; };
  partitions {
    linux { compatible = "partition"; label = "linux"; cpus = <0 2>; guest-image = "${guests!.kernel}"; linux-rootfs = "${initrd}";
      bootargs = "console=hvc0 panic=-1 quiet"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&linux_ram>; guest-addr = <0x0 0x40000000>; }; };
    rtos { compatible = "partition"; label = "rtos"; cpus = <2 1>; guest-image = "${guestPath("rtos-xen")}"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&rtos_ram>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
  const { stdout, lines } = runHv(config);
  const linux = lines("linux");
  const said = linux.filter((l) => l.startsWith("linux: "));
  assert.deepEqual(said, [
    // Ports 1 and 2 are the console's and XenStore's.
    "linux: domain 2's mailbox: grant 8, event channel 3",
    "linux: 'led on' -> 0 'led on'",
    "linux: 'status' -> 0 'led on, blink 0, toggles 0'",
    "linux: 'echo hello through a grant' -> 0 'hello through a grant'",
    "linux: 'bogus' -> -38 'unknown command: bogus'",
    "linux: 'off' -> 0 'powering off'",
    "linux: done",
    "linux: exit 0",
  ], linux.join("\n"));
  const rtos = lines("rtos");
  assert.ok(rtos.includes("rtos: domain 2 grants its mailbox to domain 1: grant 8, event channel 3"), rtos.join("\n"));
  assert.equal(rtos.filter((l) => l.startsWith("rtos: mailbox #")).length, 5, rtos.join("\n"));
  assert.ok(rtos.includes("rtos: mailbox #3 'echo hello through a grant' -> 0 'hello through a grant'"), rtos.join("\n"));
  for (const bad of KERNEL_TROUBLE) assert.ok(!linux.some((l) => bad.test(l)), `kernel log matches ${bad}:\n${linux.filter((l) => bad.test(l)).join("\n")}`);
  assert.match(stdout, /\[hv\] rtos: powered off/);
  assert.match(stdout, /\[hv\] linux: powered off/);
});

test("two Linux partitions: one grants a page with gntalloc and serves it, the other maps it with gntdev", { skip: linuxSkip, timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-grants-"));
  const client = mailboxInitrd(dir, "client", `/bin/xen-mailbox 2 "echo one page, two kernels" "nonsense" "off"`);
  const server = mailboxInitrd(dir, "server", `/bin/xen-mailbox --serve 1`);
  const config = join(dir, "two-linux.dts");
  const linux = (label: string, cpu: number, ram: string, initrd: string) => `
    ${label} { compatible = "partition"; label = "${label}"; cpus = <${cpu} 1>; guest-image = "${guests!.kernel}"; linux-rootfs = "${initrd}";
      bootargs = "console=hvc0 panic=-1 quiet"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&${ram}>; guest-addr = <0x0 0x40000000>; }; };`;
  writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  ram1: ram1 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x10000000>; };
  ram2: ram2 { compatible = "phys-mem-area"; addr = <0x0 0x58000000>; size = <0x0 0x10000000>; };
  partitions { ${linux("client", 0, "ram1", client)} ${linux("server", 1, "ram2", server)} };
};
`);
  const { stdout, lines } = runHv(config);
  const said = lines("client").filter((l) => l.startsWith("linux: "));
  assert.match(said[0] ?? "", /^linux: domain 2's mailbox: grant \d+, event channel \d+$/, lines("client").join("\n"));
  assert.deepEqual(said.slice(1), [
    "linux: 'echo one page, two kernels' -> 0 'one page, two kernels'",
    "linux: 'nonsense' -> -38 'unknown command: nonsense'",
    "linux: 'off' -> 0 'powering off'",
    "linux: done",
    "linux: exit 0",
  ], lines("client").join("\n"));
  const served = lines("server").filter((l) => l.startsWith("server: "));
  assert.match(served[0] ?? "", /^server: granted page \d+ and event channel \d+ to domain 1$/, lines("server").join("\n"));
  assert.deepEqual(served.slice(1), ["server: #1 'echo one page, two kernels' -> 0 'one page, two kernels'", "server: #2 'nonsense' -> -38 'unknown command: nonsense'", "server: #3 'off' -> 0 'powering off'"]);
  for (const l of [...lines("client"), ...lines("server")]) for (const bad of KERNEL_TROUBLE) assert.ok(!bad.test(l), l);
  assert.match(stdout, /\[hv\] client: powered off/);
  assert.match(stdout, /\[hv\] server: powered off/);
});
