/**
 * The hypervisor's PV back ends (src/hypervisor/xen/netback.ts, blkback.ts) driven from here
 * as a front end would drive them, without a guest kernel: the XenStore nodes the toolstack
 * and Linux's back ends write, the xenbus handshake, frames both ways through the switch, disk
 * requests, and hostile front ends (bad grants, req_prod past the ring, slots crossing their
 * page, bad sector ranges), which get errors or their device disconnected and never have
 * anything written outside their own granted pages.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { XS } from "../../src/hypervisor/xen/xs-wire.js";
import type { BlockBackend } from "../../src/devices/virtio/block.js";
import { Toolstack } from "../../src/hypervisor/toolstack.js";
import { PREBUILT_HELLO } from "../harness/paths.js";

const DOMID_SELF = 0x7ff0;
const GTF = { permit_access: 1, readonly: 4, reading: 8, writing: 16 };
const STATE = { Initialising: 1, InitWait: 2, Initialised: 3, Connected: 4, Closing: 5, Closed: 6 };
const RAM_IPA = 0x4000_0000;
/** Where each front end keeps its grant table frame, rings and buffers (guest frames in its RAM). */
const GNT_GFN = 0x40100, TX_GFN = 0x40101, RX_GFN = 0x40102, BUF_GFN = 0x40110;
const enc = new TextEncoder(), dec = new TextDecoder();

class MemoryDisk implements BlockBackend {
  readonly bytes: Uint8Array;
  flushes = 0;
  constructor(size: number, readonly readOnly = false) { this.bytes = new Uint8Array(size); }
  get size() { return this.bytes.length; }
  read(offset: number, into: Uint8Array) { into.set(this.bytes.subarray(offset, offset + into.length)); }
  write(offset: number, data: Uint8Array) { this.bytes.set(data, offset); }
  flush() { this.flushes++; }
  closed = 0;
  close() { this.closed++; }
}

function setup(vbd = "") {
  const part = (n: number, label: string, devices: string) => `
    ${label} { compatible = "partition"; label = "${label}"; cpus = <${n - 1} 1>; guest-image = "${PREBUILT_HELLO}"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&p${n}>; guest-addr = <0x0 0x40000000>; }; ${devices} };`;
  const tree = compileDts(`/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  p1: p1 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x01000000>; };
  p2: p2 { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x01000000>; };
  br: br { compatible = "virtual-switch"; };
  partitions {
    ${part(1, "one", `vif { compatible = "xen,vif"; global-handle = <&br>; }; ${vbd}`)}
    ${part(2, "two", `vif { compatible = "xen,vif"; global-handle = <&br>; mac-address = [00 16 3e 12 34 56]; };`)}
  };
};
`, { fileName: "pv.dts" });
  const r = checkHvConfig(tree, "pv.dts", "/", { fileSize: () => 1 << 20, hasDevice: () => true });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const disks = new Map<string, MemoryDisk>();
  const events: string[] = [];
  const hv = new Hypervisor(r.config, {
    readImage: () => new Uint8Array(16), consoleOutput: () => {}, event: (t) => events.push(t), dtbToDts: () => "",
    openDisk: (path, readOnly) => { const d = new MemoryDisk(1 << 20, readOnly); disks.set(path, d); return d; },
  });
  const dom = (id: number) => hv.xenDomain(id)!;
  const p = (id: number) => hv.parts.find((q) => q.config.id === id)!;
  for (const id of [1, 2]) { const q = p(id); q.enterGuest(q.vcpus[0], RAM_IPA, 0, 0, 0); q.state = "running"; q.booted = true; }
  // Running partitions' switch ports take frames (Partition.boot enables them).
  for (const sw of hv.switches.values()) for (const port of sw.ports) port.enabled = true;
  const store = hv.xenstore;
  /** A XenStore request of domain `id`'s: the reply's text, or its error. */
  const xs = (id: number, type: number, ...args: string[]) => {
    const payload = type === XS.WRITE ? enc.encode(`${args[0]}\0${args[1]}`) : enc.encode(args.map((a) => `${a}\0`).join(""));
    const reply = store.request(id, type, 0, payload);
    return "error" in reply ? `error ${reply.error}` : dec.decode(reply.payload).replace(/\0$/, "");
  };
  const view = (id: number, gfn: number, off = 0, n = 4096) => { const b = p(id).readGuest(gfn * 4096 + off, n); assert.ok(b instanceof Uint8Array); return b; };
  const put = (id: number, gfn: number, off: number, b: Uint8Array) => p(id).writeGuest(gfn * 4096 + off, b);
  const le = (n: number, f: (v: DataView) => void) => { const b = new Uint8Array(n); f(new DataView(b.buffer)); return b; };
  const u32at = (id: number, gfn: number, off: number) => new DataView(view(id, gfn, off, 4).buffer).getUint32(0, true);
  /** Grant `ref` of domain `id`: frame `gfn` to domain `to`. */
  const grant = (id: number, ref: number, gfn: number, to = 0, flags = GTF.permit_access) => put(id, GNT_GFN, ref * 8, le(8, (v) => { v.setUint16(0, flags, true); v.setUint16(2, to, true); v.setUint32(4, gfn, true); }));
  const grantFlags = (id: number, ref: number) => new DataView(view(id, GNT_GFN, ref * 8, 2).buffer).getUint16(0, true);
  for (const id of [1, 2]) assert.equal(dom(id).grants.mapFrame(0, GNT_GFN), 0);
  return { hv, dom, p, store, xs, view, put, le, u32at, grant, grantFlags, disks, events };
}
type Env = ReturnType<typeof setup>;

/** SHARED_RING_INIT on a page: indices 0, req_event = rsp_event = 1. */
function initRing(e: Env, id: number, gfn: number): void {
  e.put(id, gfn, 0, new Uint8Array(4096));
  e.put(id, gfn, 0, e.le(16, (v) => { v.setUint32(4, 1, true); v.setUint32(12, 1, true); }));
}

/** What netfront's talk_to_netback does: rings granted, a port for dom0, the keys, then Connected. */
function connectVif(e: Env, id: number, opts: { txRef?: number; port?: number } = {}): number {
  initRing(e, id, TX_GFN);
  initRing(e, id, RX_GFN);
  e.grant(id, 1, TX_GFN);
  e.grant(id, 2, RX_GFN);
  const port = opts.port ?? e.dom(id).events.allocUnbound(DOMID_SELF, 0).port!;
  const fe = `/local/domain/${id}/device/vif/0`;
  for (const [k, v] of [["tx-ring-ref", String(opts.txRef ?? 1)], ["rx-ring-ref", "2"], ["event-channel", String(port)], ["request-rx-copy", "1"], ["feature-rx-notify", "1"]]) {
    assert.equal(e.xs(id, XS.WRITE, `${fe}/${k}`, v), "OK");
  }
  assert.equal(e.xs(id, XS.WRITE, `${fe}/state`, String(STATE.Connected)), "OK");
  return port;
}

const beState = (e: Env, type: string, id: number, dev: number) => Number(e.store.read(`/local/domain/0/backend/${type}/${id}/${dev}/state`));

/** Post RX requests id 0..n-1 with grants 10.. of pages BUF_GFN + 8.. of domain `id`. */
function postRx(e: Env, id: number, n: number, port: number, grantTo = 0): void {
  for (let i = 0; i < n; i++) {
    e.grant(id, 10 + i, BUF_GFN + 8 + i, grantTo);
    e.put(id, RX_GFN, 64 + i * 8, e.le(8, (v) => { v.setUint16(0, i, true); v.setUint32(4, 10 + i, true); }));
  }
  e.put(id, RX_GFN, 0, e.le(4, (v) => v.setUint32(0, n, true)));
  assert.equal(e.dom(id).events.send(port), 0);
}

/** A TX request in slot `slot`: (gref, offset, flags, id, size). */
function txReq(e: Env, id: number, slot: number, r: { gref: number; offset: number; flags: number; id: number; size: number }): void {
  e.put(id, TX_GFN, 64 + slot * 12, e.le(12, (v) => { v.setUint32(0, r.gref, true); v.setUint16(4, r.offset, true); v.setUint16(6, r.flags, true); v.setUint16(8, r.id, true); v.setUint16(10, r.size, true); }));
}
const txRsp = (e: Env, id: number, slot: number) => { const b = e.view(id, TX_GFN, 64 + slot * 12, 4); const v = new DataView(b.buffer); return [v.getUint16(0, true), v.getInt16(2, true)]; };
const rxRsp = (e: Env, id: number, slot: number) => { const b = e.view(id, RX_GFN, 64 + slot * 8, 8); const v = new DataView(b.buffer); return { id: v.getUint16(0, true), offset: v.getUint16(2, true), flags: v.getUint16(4, true), status: v.getInt16(6, true) }; };

/** An Ethernet frame from domain 1's vif to domain 2's, with `payload` after the header. */
function frame(payload: Uint8Array, type = 0x88b5): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set([0x00, 0x16, 0x3e, 0x12, 0x34, 0x56, 0x00, 0x16, 0x3e, 0x00, 0x01, 0x00, type >> 8, type & 0xff]);
  f.set(payload, 14);
  return f;
}

test("a vif's XenStore nodes are libxl's and Linux netback's, with their permissions; the back end waits in InitWait", () => {
  const e = setup();
  const be = "/local/domain/0/backend/vif/1/0", fe = "/local/domain/1/device/vif/0";
  const nodes = (path: string) => Object.fromEntries(e.xs(0, XS.DIRECTORY, path).split("\0").map((k) => [k, e.store.read(`${path}/${k}`)]));
  assert.deepEqual(nodes(be), {
    frontend: fe, "frontend-id": "1", online: "1", state: "2", script: "/etc/xen/scripts/vif-bridge", mac: "00:16:3e:00:01:00",
    bridge: "xenbr0", handle: "0", type: "vif", "feature-rx-copy": "1", "feature-rx-flip": "0", "hotplug-status": "connected",
  });
  assert.deepEqual(nodes(fe), { backend: be, "backend-id": "0", state: "1", handle: "0", mac: "00:16:3e:00:01:00", trusted: "1", mtu: "1500" });
  assert.equal(e.xs(1, XS.WRITE, `${fe}/mtu`, "9000"), "error EACCES", "libxl's read-only frontend node");
  assert.equal(e.xs(1, XS.WRITE, `${fe}/mac`, "00:16:3e:00:01:00"), "OK");
  assert.equal(e.store.read("/local/domain/2/device/vif/0/mac"), "00:16:3e:12:34:56", "mac-address as given");
  // libxl__device_generic_add: the backend is dom0's, readable by the guest; the frontend the guest's, readable by dom0.
  assert.equal(e.xs(0, XS.GET_PERMS, be), "n0\0r1");
  assert.equal(e.xs(0, XS.GET_PERMS, fe), "n1\0r0");
  assert.equal(e.xs(1, XS.READ, `${be}/state`), "2");
  assert.equal(e.xs(1, XS.WRITE, `${be}/state`, "4"), "error EACCES", "the guest cannot write its backend's nodes");
  assert.equal(e.xs(2, XS.READ, `${be}/mac`), "error EACCES", "nor can another domain read them");
  assert.equal(e.xs(2, XS.READ, `${fe}/mac`), "error EACCES");
});

test("netfront's handshake connects the vif: rings pinned for dom0, the port bound; frames cross the switch both ways", () => {
  const e = setup();
  const port1 = connectVif(e, 1), port2 = connectVif(e, 2);
  assert.equal(beState(e, "vif", 1, 0), STATE.Connected);
  assert.equal(beState(e, "vif", 2, 0), STATE.Connected);
  assert.equal(e.grantFlags(1, 1), GTF.permit_access | GTF.reading | GTF.writing, "the TX ring is pinned while connected");
  assert.deepEqual(e.dom(1).events.status(DOMID_SELF, port1).status, { status: 2, vcpu: 0, dom: 0, port: port1 }, "interdomain with dom0");
  postRx(e, 2, 4, port2);
  assert.equal(e.u32at(2, RX_GFN, 4), 1, "req_event untouched while requests wait");
  // Domain 1 sends one frame in two slots (the first slot's size is the packet's).
  const data = frame(enc.encode("a frame through the netback, in two slots"));
  e.grant(1, 20, BUF_GFN, 0, GTF.permit_access | GTF.readonly);
  e.grant(1, 21, BUF_GFN + 1, 0, GTF.permit_access | GTF.readonly);
  e.put(1, BUF_GFN, 100, data.subarray(0, 20));
  e.put(1, BUF_GFN + 1, 0, data.subarray(20));
  txReq(e, 1, 0, { gref: 20, offset: 100, flags: 4 /* more_data */, id: 7, size: data.length });
  txReq(e, 1, 1, { gref: 21, offset: 0, flags: 0, id: 8, size: data.length - 20 });
  e.put(1, TX_GFN, 0, e.le(4, (v) => v.setUint32(0, 2, true)));
  assert.equal(e.dom(1).events.send(port1), 0);
  assert.deepEqual([txRsp(e, 1, 0), txRsp(e, 1, 1)], [[7, 0], [8, 0]]);
  assert.equal(e.u32at(1, TX_GFN, 8), 2, "rsp_prod");
  assert.equal(e.u32at(1, TX_GFN, 4), 3, "req_event = req_cons + 1: tell the back end of the next one");
  assert.ok(e.dom(1).events.isPending(port1), "rsp_event 1 asked for a notification");
  assert.deepEqual(rxRsp(e, 2, 0), { id: 0, offset: 0, flags: 0, status: data.length });
  assert.deepEqual(e.view(2, BUF_GFN + 8, 0, data.length), data, "copied into the receiver's granted page");
  assert.equal(e.u32at(2, RX_GFN, 8), 1, "RX rsp_prod");
  assert.ok(e.dom(2).events.isPending(port2));
  assert.equal(e.grantFlags(1, 20), GTF.permit_access | GTF.readonly, "TX buffers pinned only for the copy");
  // NETTXF_csum_blank: the UDP checksum is completed (the one's complement sum over pseudo-header and segment is then 0xffff).
  const udp = new Uint8Array(20 + 8 + 5);
  udp.set([0x45, 0, 0, udp.length, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  udp.set([0x30, 0x39, 0x13, 0x88, 0, 13, 0, 0], 20);
  udp.set(enc.encode("hello"), 28);
  const f2 = frame(udp, 0x0800);
  e.put(1, BUF_GFN, 0, f2);
  txReq(e, 1, 2, { gref: 20, offset: 0, flags: 1 /* csum_blank */, id: 9, size: f2.length });
  e.put(1, TX_GFN, 0, e.le(4, (v) => v.setUint32(0, 3, true)));
  e.dom(1).events.send(port1);
  const got = e.view(2, BUF_GFN + 9, 0, f2.length);
  let sum = 0;
  const w = (b: Uint8Array, i: number) => (b[i] << 8) | (b[i + 1] ?? 0);
  for (let i = 26; i < 34; i += 2) sum += w(got, i);
  sum += 17 + 13;
  for (let i = 34; i < got.length; i += 2) sum += w(got, i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(sum, 0xffff, "a valid UDP checksum");
  assert.notEqual(w(got, 40), 0);
});

test("hostile TX requests: a bad grant fails its packet only; a slot crossing its page or req_prod past the ring disconnects", () => {
  const e = setup();
  const port1 = connectVif(e, 1), port2 = connectVif(e, 2);
  postRx(e, 2, 4, port2);
  const nb = () => e.dom(1).devices[0] as unknown as { counters: { txFrames: number; txErrors: number } };
  // A grant for another domain, and a reference beyond the table.
  e.grant(1, 20, BUF_GFN, 2, GTF.permit_access | GTF.readonly);
  txReq(e, 1, 0, { gref: 20, offset: 0, flags: 0, id: 1, size: 60 });
  txReq(e, 1, 1, { gref: 100000, offset: 0, flags: 0, id: 2, size: 60 });
  e.put(1, TX_GFN, 0, e.le(4, (v) => v.setUint32(0, 2, true)));
  e.dom(1).events.send(port1);
  assert.deepEqual([txRsp(e, 1, 0), txRsp(e, 1, 1)], [[1, -1], [2, -1]], "NETIF_RSP_ERROR");
  assert.equal(nb().counters.txErrors, 2);
  assert.equal(e.u32at(2, RX_GFN, 8), 0, "nothing reached the receiver");
  assert.equal(beState(e, "vif", 1, 0), STATE.Connected, "still connected");
  // A chained slot crossing its page.
  e.grant(1, 21, BUF_GFN, 0, GTF.permit_access | GTF.readonly);
  txReq(e, 1, 2, { gref: 21, offset: 0, flags: 4, id: 3, size: 300 });
  txReq(e, 1, 3, { gref: 21, offset: 4000, flags: 0, id: 4, size: 200 });
  e.put(1, TX_GFN, 0, e.le(4, (v) => v.setUint32(0, 4, true)));
  e.dom(1).events.send(port1);
  assert.equal(beState(e, "vif", 1, 0), STATE.Closing);
  assert.match(e.store.read("/local/domain/0/error/backend/vif/1/0/error") ?? "", /slot crosses its page \(offset 4000, size 200\)/);
  assert.match(e.events.join("\n"), /one: vif 1\/0: TX ring: slot crosses its page .*; device disconnected/);
  assert.equal(e.grantFlags(1, 1), GTF.permit_access, "the rings are unpinned");
  assert.equal(e.dom(1).events.status(DOMID_SELF, port1).status!.status, 1, "the port is unbound again");
  // The front end closes and comes back: a fresh connection, which req_prod far past the ring breaks.
  const fe = "/local/domain/1/device/vif/0";
  e.xs(1, XS.WRITE, `${fe}/state`, String(STATE.Closed));
  assert.equal(beState(e, "vif", 1, 0), STATE.Closed);
  e.xs(1, XS.WRITE, `${fe}/state`, String(STATE.Initialising));
  assert.equal(beState(e, "vif", 1, 0), STATE.InitWait, "prepared for a reconnect");
  const again = connectVif(e, 1, { port: port1 });
  assert.equal(beState(e, "vif", 1, 0), STATE.Connected);
  e.put(1, TX_GFN, 0, e.le(4, (v) => v.setUint32(0, 1000, true)));
  e.dom(1).events.send(again);
  assert.equal(beState(e, "vif", 1, 0), STATE.Closing);
  assert.match(e.store.read("/local/domain/0/error/backend/vif/1/0/error") ?? "", /req_prod 1000 is 1000 requests past req_cons 0 on a ring of 256/);
  assert.equal(e.p(1).state, "running", "the guest goes on; only its device is gone");
});

test("hostile RX and connection: a receive grant not for dom0 gets an error and no copy; unusable rings or ports refuse the connection", () => {
  const e = setup();
  const port1 = connectVif(e, 1), port2 = connectVif(e, 2);
  postRx(e, 2, 2, port2, 1); // granted to domain 1, not to the back end
  const before = e.view(2, BUF_GFN + 8);
  const data = frame(new Uint8Array(50).fill(0xaa));
  e.grant(1, 20, BUF_GFN, 0, GTF.permit_access | GTF.readonly);
  e.put(1, BUF_GFN, 0, data);
  txReq(e, 1, 0, { gref: 20, offset: 0, flags: 0, id: 1, size: data.length });
  e.put(1, TX_GFN, 0, e.le(4, (v) => v.setUint32(0, 1, true)));
  e.dom(1).events.send(port1);
  assert.equal(rxRsp(e, 2, 0).status, -1);
  assert.deepEqual(e.view(2, BUF_GFN + 8), before, "nothing written");
  assert.equal(beState(e, "vif", 2, 0), STATE.Connected);
  // Connections that cannot be made: a ring grant of a frame outside the guest's RAM, a port not for dom0.
  const f = setup();
  f.grant(1, 5, 0x0b140, 0); // the PV console page, the hypervisor's
  connectVif(f, 1, { txRef: 5 });
  assert.equal(beState(f, "vif", 1, 0), STATE.Closing);
  assert.match(f.store.read("/local/domain/0/error/backend/vif/1/0/error") ?? "", /tx-ring-ref 5: grant refused \(GNTST -9\)/);
  connectVif(f, 2, { port: f.dom(2).events.allocUnbound(DOMID_SELF, 1).port! });
  assert.match(f.store.read("/local/domain/0/error/backend/vif/2/0/error") ?? "", /event-channel \d+ is not a port allocated for domain 0/);
});

test("a restarted domain gets its vif afresh: the old back end's nodes and pins are gone", () => {
  const e = setup();
  connectVif(e, 1);
  assert.equal(beState(e, "vif", 1, 0), STATE.Connected);
  assert.equal(e.hv.restart(1), undefined);
  assert.equal(beState(e, "vif", 1, 0), STATE.InitWait);
  assert.equal(e.store.read("/local/domain/1/device/vif/0/state"), "1");
  assert.equal(e.store.read("/local/domain/1/device/vif/0/tx-ring-ref"), undefined);
});

// ---- blkback ----

const VBD = `xvda { compatible = "xen,vbd"; target = "disk.img"; }; xvdb { compatible = "xen,vbd"; target = "ro.img"; vdev = "xvdb"; access = "ro"; };`;
const XVDA = 51712, XVDB = 51728;
const RING_GFN = 0x40103;

function connectVbd(e: Env, dev: number, ringRef: number): number {
  initRing(e, 1, RING_GFN + (dev === XVDB ? 1 : 0));
  e.grant(1, ringRef, RING_GFN + (dev === XVDB ? 1 : 0));
  const port = e.dom(1).events.allocUnbound(DOMID_SELF, 0).port!;
  const fe = `/local/domain/1/device/vbd/${dev}`;
  for (const [k, v] of [["ring-ref", String(ringRef)], ["event-channel", String(port)], ["protocol", "arm-abi"], ["state", String(STATE.Initialised)]]) assert.equal(e.xs(1, XS.WRITE, `${fe}/${k}`, v), "OK");
  return port;
}

/** A blkif_request in slot `slot` of the ring at `gfn`. */
function blkReq(e: Env, gfn: number, slot: number, op: number, id: bigint, sector: bigint, segs: [number, number, number][]): void {
  e.put(1, gfn, 64 + slot * 112, e.le(112, (v) => {
    v.setUint8(0, op); v.setUint8(1, segs.length); v.setBigUint64(8, id, true); v.setBigUint64(16, sector, true);
    segs.forEach(([gref, first, last], i) => { v.setUint32(24 + i * 8, gref, true); v.setUint8(28 + i * 8, first); v.setUint8(29 + i * 8, last); });
  }));
}
const blkRsp = (e: Env, gfn: number, slot: number) => { const v = new DataView(e.view(1, gfn, 64 + slot * 112, 16).buffer); return [v.getBigUint64(0, true), v.getUint8(8), v.getInt16(10, true)]; };

test("a vbd: libxl's and blkback's nodes, then reads, writes and flushes through granted pages; bad requests get errors", () => {
  const e = setup(VBD);
  const be = `/local/domain/0/backend/vbd/1/${XVDA}`;
  assert.equal(e.store.read(`${be}/state`), "2");
  assert.equal(e.store.read(`${be}/feature-flush-cache`), "1");
  assert.equal(e.store.read(`${be}/dev`), "xvda");
  assert.equal(e.store.read(`${be}/mode`), "w");
  assert.equal(e.store.read(`/local/domain/0/backend/vbd/1/${XVDB}/mode`), "r");
  assert.equal(e.store.read(`/local/domain/1/device/vbd/${XVDA}/virtual-device`), String(XVDA));
  const port = connectVbd(e, XVDA, 3);
  assert.equal(beState(e, "vbd", 1, XVDA), STATE.Connected);
  assert.deepEqual(["sectors", "info", "sector-size", "physical-sector-size", "state"].map((k) => e.xs(1, XS.READ, `${be}/${k}`)), ["2048", "0", "512", "512", "4"], "readable by the domain");
  const disk = [...e.disks.entries()].find(([k]) => k.endsWith("/disk.img"))![1];
  for (let i = 0; i < 8192; i++) disk.bytes[4096 + i] = (i * 13) & 0xff;
  // Read sectors 8..23 into two pages (sectors 0-7 of one, 0-7 of the other).
  e.grant(1, 30, BUF_GFN, 0);
  e.grant(1, 31, BUF_GFN + 1, 0);
  blkReq(e, RING_GFN, 0, 0, 0x1122334455667788n, 8n, [[30, 0, 7], [31, 0, 7]]);
  // Write 2 sectors from the middle of a page (sectors 2-3 of it) at sector 100, then a flush.
  e.grant(1, 32, BUF_GFN + 2, 0, GTF.permit_access | GTF.readonly);
  e.put(1, BUF_GFN + 2, 1024, new Uint8Array(1024).fill(0x5a));
  blkReq(e, RING_GFN, 1, 1, 2n, 100n, [[32, 2, 3]]);
  blkReq(e, RING_GFN, 2, 3, 3n, 0n, []);
  // Bad: past the disk's end, last < first, a bad grant, a read into a read-only grant, an unknown operation, no segments.
  blkReq(e, RING_GFN, 3, 0, 4n, 2047n, [[30, 0, 1]]);
  blkReq(e, RING_GFN, 4, 0, 5n, 0n, [[30, 5, 4]]);
  blkReq(e, RING_GFN, 5, 0, 6n, 0n, [[4000, 0, 0]]);
  blkReq(e, RING_GFN, 6, 0, 7n, 0n, [[32, 0, 0]]);
  blkReq(e, RING_GFN, 7, 5, 8n, 0n, []);
  blkReq(e, RING_GFN, 8, 1, 9n, 0n, []);
  e.put(1, RING_GFN, 0, e.le(4, (v) => v.setUint32(0, 9, true)));
  e.dom(1).events.send(port);
  const rsp = Array.from({ length: 9 }, (_, i) => blkRsp(e, RING_GFN, i));
  assert.deepEqual(rsp, [[0x1122334455667788n, 0, 0], [2n, 1, 0], [3n, 3, 0], [4n, 0, -1], [5n, 0, -1], [6n, 0, -1], [7n, 0, -1], [8n, 5, -2], [9n, 1, -1]]);
  assert.deepEqual(e.view(1, BUF_GFN), disk.bytes.subarray(4096, 8192));
  assert.deepEqual(e.view(1, BUF_GFN + 1), disk.bytes.subarray(8192, 12288));
  assert.ok(disk.bytes.subarray(51200, 52224).every((b) => b === 0x5a) && disk.bytes[51199] === 0 && disk.bytes[52224] === 0);
  assert.equal(disk.flushes, 1);
  assert.equal(e.u32at(1, RING_GFN, 8), 9, "rsp_prod");
  assert.ok(e.dom(1).events.isPending(port));
  // The read-only disk: info VDISK_READONLY, writes refused, reads fine.
  const rport = connectVbd(e, XVDB, 4);
  assert.equal(e.store.read(`/local/domain/0/backend/vbd/1/${XVDB}/info`), "4");
  blkReq(e, RING_GFN + 1, 0, 1, 1n, 0n, [[32, 0, 0]]);
  blkReq(e, RING_GFN + 1, 1, 0, 2n, 0n, [[30, 0, 0]]);
  e.put(1, RING_GFN + 1, 0, e.le(4, (v) => v.setUint32(0, 2, true)));
  e.dom(1).events.send(rport);
  assert.deepEqual([blkRsp(e, RING_GFN + 1, 0)[2], blkRsp(e, RING_GFN + 1, 1)[2]], [-1, 0]);
  // req_prod running past the ring disconnects the disk.
  e.put(1, RING_GFN, 0, e.le(4, (v) => v.setUint32(0, 9 + 33, true)));
  e.dom(1).events.send(port);
  assert.equal(beState(e, "vbd", 1, XVDA), STATE.Closing);
  assert.match(e.store.read(`/local/domain/0/error/backend/vbd/1/${XVDA}/error`) ?? "", /req_prod 42 is 33 requests past req_cons 9 on a ring of 32/);
  assert.equal(beState(e, "vbd", 1, XVDB), STATE.Connected, "the other disk goes on");
});

test("config: xen,vif and xen,vbd only in Xen partitions, with a switch, a sector-sized image and an xvd name", () => {
  const check = (devices: string, xen = true, size = 1 << 20) => {
    const tree = compileDts(`/dts-v1/;
/ { compatible = "tessera,hv-config"; hv { machine = "virt"; cpus = <1>; memory-size = <0x0 0x40000000>; };
  p: p { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x01000000>; };
  br: br { compatible = "virtual-switch"; };
  partitions { a { compatible = "partition"; cpus = <0 1>; guest-image = "a.elf"; ${xen ? `xen,enhanced = "enabled";` : ""}
    gpma { compatible = "guest-phys-mem-area"; phys-mem = <&p>; guest-addr = <0x0 0x40000000>; }; ${devices} }; };
};
`, { fileName: "c.dts" });
    const r = checkHvConfig(tree, "c.dts", "/cfg", { fileSize: (f) => (f.endsWith("none.img") ? undefined : f.endsWith("odd.img") ? 1000 : size), hasDevice: () => true });
    return r.ok ? r.config : r.problems.map((q) => `${q.where}: ${q.message}`).join("\n");
  };
  const ok = check(`v0 { compatible = "xen,vif"; global-handle = <&br>; }; d { compatible = "xen,vbd"; target = "d.img"; vdev = "xvdc"; access = "ro"; };`);
  assert.ok(typeof ok !== "string", String(ok));
  assert.deepEqual(ok.partitions[0].vbds, [{ vdev: "xvdc", devid: 51744, target: "/cfg/d.img", size: 1 << 20, readOnly: true, where: "c.dts:6" }]);
  assert.equal(ok.partitions[0].vifs![0].vswitch, "br");
  for (const [devices, xen, want] of [
    [`v0 { compatible = "xen,vif"; global-handle = <&br>; };`, false, /c\.dts:6: a xen,vif needs a partition with xen,enhanced = "enabled"/],
    [`v0 { compatible = "xen,vif"; };`, true, /global-handle = <&SWITCH> must name a "virtual-switch" node/],
    [`d { compatible = "xen,vbd"; };`, true, /needs target = "FILE"/],
    [`d { compatible = "xen,vbd"; target = "none.img"; };`, true, /target "none.img": no such file \(\/cfg\/none.img\)/],
    [`d { compatible = "xen,vbd"; target = "odd.img"; };`, true, /1000 bytes is not a whole number of 512-byte sectors/],
    [`d { compatible = "xen,vbd"; target = "d.img"; vdev = "sda"; };`, true, /vdev "sda": xvda to xvdp/],
    [`d { compatible = "xen,vbd"; target = "d.img"; access = "rwx"; };`, true, /access "rwx": rw or ro/],
    [`d { compatible = "xen,vbd"; target = "d.img"; } ; e { compatible = "xen,vbd"; target = "d.img"; vdev = "xvda"; };`, true, /vdev xvda is used twice/],
  ] as const) {
    const r = check(devices, xen);
    assert.equal(typeof r, "string", devices);
    assert.match(r as string, want);
  }
});

test("xl create: vif and disk lists become the domain's PV devices; bad specs are one line each", () => {
  const tree = compileDts(`/dts-v1/;
/ { compatible = "tessera,hv-config"; hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x20000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x40000000>; size = <0x0 0x04000000>; };
  xenbr0: xenbr0 { compatible = "virtual-switch"; }; lan: lan { compatible = "virtual-switch"; };
  partitions { base { compatible = "partition"; cpus = <0 1>; guest-image = "${PREBUILT_HELLO}";
    gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; }; }; };
};
`, { fileName: "xl.dts" });
  const r = checkHvConfig(tree, "xl.dts", "", { fileSize: () => 1000, hasDevice: () => true });
  assert.ok(r.ok);
  const opened: string[] = [];
  const images = new Map<string, MemoryDisk>();
  const hv = new Hypervisor(r.config, {
    readImage: () => new Uint8Array(16), consoleOutput: () => {}, event: () => {}, dtbToDts: () => "",
    openDisk: (path, readOnly) => {
      if (path.endsWith("missing.img")) throw new Error(`Could not open '${path}': No such file or directory`);
      opened.push(`${path} ${readOnly ? "ro" : "rw"}`);
      const d = new MemoryDisk(path.endsWith("odd.img") ? 1000 : 1 << 20, readOnly);
      images.set(path, d);
      return d;
    },
  });
  const ts = new Toolstack(hv, { attachConsole: () => ({ input: () => {}, detach: () => {} }) });
  const kernel = Buffer.from(Uint32Array.of(0x14000000).buffer).toString("base64");
  const create = (extra: string, name = "d") => ts.request({ op: "create", file: "d.cfg", config: `name = "${name}"\nkernel = "g.bin"\nmemory = 16\n${extra}`, kernel });
  const ok = create(`vif = [ 'mac=00:16:3e:aa:bb:cc,bridge=lan', 'bridge=xenbr0' ]\ndisk = [ 'format=raw, vdev=xvda, access=rw, target=/images/d.img', 'phy:/images/r.img,xvdb,r' ]\n`);
  assert.ok(ok.ok, JSON.stringify(ok));
  const id = (ok as unknown as { id: number }).id;
  const s = hv.xenstore;
  assert.equal(s.read(`/local/domain/${id}/device/vif/0/mac`), "00:16:3e:aa:bb:cc");
  assert.equal(s.read(`/local/domain/${id}/device/vif/1/mac`), `00:16:3e:00:0${id}:01`);
  assert.equal(s.read(`/local/domain/0/backend/vif/${id}/1/state`), "2");
  assert.deepEqual(hv.switches.get("lan")!.ports.map((p) => p.name), ["d.vif0"]);
  assert.equal(s.read(`/local/domain/0/backend/vbd/${id}/51712/params`), "/images/d.img");
  assert.equal(s.read(`/local/domain/0/backend/vbd/${id}/51728/mode`), "r");
  assert.deepEqual(opened, ["/images/d.img rw", "/images/r.img ro"]);
  assert.equal(images.get("/images/d.img")!.closed, 0, "open while the domain lives");
  // xl destroy gives the images back to the host, once each.
  assert.ok(ts.request({ op: "destroy", domain: "d" }).ok);
  assert.deepEqual([...images.values()].map((d) => d.closed), [1, 1]);
  // A disk that fails after another opened gives that one back too.
  const bad = create(`disk = [ 'target=/x/good.img', 'target=/x/odd.img,vdev=xvdb' ]\n`, "f");
  assert.equal(bad.ok, false);
  assert.deepEqual([images.get("/x/good.img")!.closed, images.get("/x/odd.img")!.closed], [1, 1]);
  const errorOf = (x: ReturnType<typeof create>) => (x.ok ? "(ok)" : (x as { error: string }).error);
  for (const [extra, want] of [
    [`vif = [ 'bridge=br9' ]`, "vif 'bridge=br9': bridge br9 is not a virtual switch of the hypervisor (xenbr0, lan)"],
    [`vif = [ '' ]`, "vif '': bridge= must name one of the hypervisor's virtual switches (xenbr0, lan)"],
    [`vif = [ 'mac=01:16:3e:00:00:01,bridge=lan' ]`, "vif 'mac=01:16:3e:00:00:01,bridge=lan': mac=01:16:3e:00:00:01 is a multicast address"],
    [`vif = [ 'bridge=lan,model=e1000' ]`, "vif 'bridge=lan,model=e1000': model is not supported by tessera's toolstack (mac= and bridge= are)"],
    [`disk = [ 'target=d.img' ]`, "disk 'target=d.img': target d.img must be an absolute path (the hypervisor opens it)"],
    [`disk = [ 'target=/x/missing.img' ]`, "disk /x/missing.img: Could not open '/x/missing.img': No such file or directory"],
    [`disk = [ 'target=/x/odd.img' ]`, "disk /x/odd.img: 1000 bytes is not a whole number of 512-byte sectors"],
    [`disk = [ 'target=/x/a.img,format=qcow2' ]`, "disk 'target=/x/a.img,format=qcow2': format=qcow2 is not supported by tessera's toolstack (target=, vdev=, access=, format=raw)"],
    [`disk = [ 'target=/x/a.img,vdev=hda' ]`, "disk 'target=/x/a.img,vdev=hda': vdev hda: xvda to xvdp"],
  ] as const) assert.equal(errorOf(create(`${extra}\n`, "e")), want, extra);
});
