/**
 * The hypervisor's XenStore (xs_wire.h requests, docs/misc/xenstore.txt semantics): the tree a
 * domain gets, relative paths, permissions between domains, watches and their events,
 * transactions, malformed requests; and the ring transport: messages split across
 * notifications, replies before the watch events they raise, oversized messages refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { XenStore } from "../../src/hypervisor/xen/xenstore.js";
import { XenStoreRing } from "../../src/hypervisor/xen/xenstore-ring.js";
import { XS, XS_RING } from "../../src/hypervisor/xen/xs-wire.js";

const enc = new TextEncoder(), dec = new TextDecoder();
const req = (s: XenStore, dom: number, type: number, payload: string, tx = 0) => {
  const r = s.request(dom, type, tx, enc.encode(payload));
  return "error" in r ? { error: r.error } : { text: dec.decode(r.payload) };
};

function store() {
  const s = new XenStore();
  s.write("/local/domain/1", "", [{ kind: "n", dom: 0 }, { kind: "r", dom: 1 }]);
  s.write("/local/domain/1/name", "one", [{ kind: "n", dom: 0 }, { kind: "r", dom: 1 }]);
  s.write("/local/domain/1/data", "", [{ kind: "n", dom: 1 }]);
  s.write("/local/domain/2", "", [{ kind: "n", dom: 0 }, { kind: "r", dom: 2 }]);
  return s;
}

test("reads, writes, directories and removal, relative to the domain's home", () => {
  const s = store();
  assert.deepEqual(req(s, 1, XS.READ, "name\0"), { text: "one" });
  assert.deepEqual(req(s, 1, XS.READ, "/local/domain/1/name\0"), { text: "one" });
  assert.deepEqual(req(s, 1, XS.READ, "nothing\0"), { error: "ENOENT" });
  assert.deepEqual(req(s, 1, XS.WRITE, "data/a/b\0value"), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.READ, "data/a/b\0"), { text: "value" });
  assert.deepEqual(req(s, 1, XS.DIRECTORY, "data\0"), { text: "a\0" });
  assert.deepEqual(req(s, 1, XS.MKDIR, "data/c\0"), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.DIRECTORY, "data\0"), { text: "a\0c\0" });
  assert.deepEqual(req(s, 1, XS.RM, "data/a\0"), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.READ, "data/a/b\0"), { error: "ENOENT" });
  assert.deepEqual(req(s, 1, XS.RM, "data/a\0"), { text: "OK\0" }, "removing what is gone, under a parent that exists");
  assert.deepEqual(req(s, 1, XS.RM, "data/x/y\0"), { error: "ENOENT" });
  assert.deepEqual(req(s, 1, XS.GET_DOMAIN_PATH, "1\0"), { text: "/local/domain/1\0" });
  assert.deepEqual(req(s, 1, XS.GET_PERMS, "data\0"), { text: "n1\0" });
});

test("permissions: the owner does anything, others what the list gives them", () => {
  const s = store();
  assert.deepEqual(req(s, 1, XS.WRITE, "name\0x"), { error: "EACCES" }, "read-only for its domain");
  assert.deepEqual(req(s, 2, XS.READ, "/local/domain/1/name\0"), { error: "EACCES" }, "another domain's home");
  assert.deepEqual(req(s, 2, XS.WRITE, "/local/domain/1/data/z\0x"), { error: "EACCES" });
  assert.deepEqual(req(s, 1, XS.WRITE, "data/shared\0v"), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.SET_PERMS, "data/shared\0n1\0r2\0"), { text: "OK\0" });
  assert.deepEqual(req(s, 2, XS.READ, "/local/domain/1/data/shared\0"), { text: "v" });
  assert.deepEqual(req(s, 2, XS.WRITE, "/local/domain/1/data/shared\0w"), { error: "EACCES" });
  assert.deepEqual(req(s, 1, XS.SET_PERMS, "data/shared\0n2\0"), { error: "EPERM" }, "only dom0 gives a node away");
  assert.deepEqual(req(s, 2, XS.SET_PERMS, "/local/domain/1/data/shared\0n2\0"), { error: "EACCES" });
  assert.deepEqual(req(s, 1, XS.SET_PERMS, "data/shared\0x1\0"), { error: "EINVAL" });
  assert.deepEqual(req(s, 1, XS.INTRODUCE, "3\x0012\x001\0"), { error: "EACCES" });
});

test("malformed requests are EINVAL", () => {
  const s = store();
  for (const p of ["\0", "data//a\0", "data/\0", "da ta\0", `${"a".repeat(2049)}\0`]) {
    assert.deepEqual(req(s, 1, XS.READ, p), { error: "EINVAL" }, JSON.stringify(p));
  }
  assert.deepEqual(req(s, 1, XS.WRITE, "data/novalue"), { error: "EINVAL" }, "a write without the NUL after its path");
  assert.deepEqual(req(s, 1, XS.GET_DOMAIN_PATH, "x\0"), { error: "EINVAL" });
  assert.deepEqual(req(s, 1, 99, "\0"), { error: "EINVAL" });
  assert.deepEqual(req(s, 1, XS.READ, "name\0", 42), { error: "ENOENT" }, "no transaction 42");
});

test("watches fire at once, then on changes under them; relative watches get relative paths", () => {
  const s = store();
  const events: string[] = [];
  s.onWatchEvent = (dom, path, token) => events.push(`${dom}:${path}:${token}`);
  assert.deepEqual(req(s, 1, XS.WATCH, "data\0tok\0"), { text: "OK\0" });
  assert.deepEqual(events, ["1:data:tok"]);
  assert.deepEqual(req(s, 1, XS.WATCH, "data\0tok\0"), { error: "EEXIST" });
  req(s, 1, XS.WRITE, "data/k\0v");
  req(s, 1, XS.WRITE, "name2\0v"); // EACCES: no event
  assert.deepEqual(events, ["1:data:tok", "1:data/k:tok"]);
  assert.deepEqual(req(s, 1, XS.UNWATCH, "data\0tok\0"), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.UNWATCH, "data\0tok\0"), { error: "ENOENT" });
  req(s, 1, XS.WRITE, "data/k\0w");
  assert.equal(events.length, 2);
});

test("transactions commit their changes, abort drop them, and conflict with EAGAIN", () => {
  const s = store();
  const t = Number(req(s, 1, XS.TRANSACTION_START, "\0").text!.replace("\0", ""));
  req(s, 1, XS.WRITE, "data/t\0in-tx", t);
  assert.deepEqual(req(s, 1, XS.READ, "data/t\0"), { error: "ENOENT" }, "not visible outside before the commit");
  assert.deepEqual(req(s, 1, XS.READ, "data/t\0", t), { text: "in-tx" });
  assert.deepEqual(req(s, 1, XS.TRANSACTION_END, "T\0", t), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.READ, "data/t\0"), { text: "in-tx" });
  const a = Number(req(s, 1, XS.TRANSACTION_START, "\0").text!.replace("\0", ""));
  req(s, 1, XS.WRITE, "data/t\0aborted", a);
  assert.deepEqual(req(s, 1, XS.TRANSACTION_END, "F\0", a), { text: "OK\0" });
  assert.deepEqual(req(s, 1, XS.READ, "data/t\0"), { text: "in-tx" });
  const c = Number(req(s, 1, XS.TRANSACTION_START, "\0").text!.replace("\0", ""));
  req(s, 1, XS.WRITE, "data/t\0mine", c);
  req(s, 1, XS.WRITE, "data/t\0theirs");
  assert.deepEqual(req(s, 1, XS.TRANSACTION_END, "T\0", c), { error: "EAGAIN" });
  assert.deepEqual(req(s, 1, XS.READ, "data/t\0"), { text: "theirs" });
  assert.deepEqual(req(s, 1, XS.TRANSACTION_END, "T\0", c), { error: "ENOENT" }, "ended already");
});

/** A guest end of the store ring on a plain page. */
function ring() {
  const page = new Uint8Array(4096);
  const s = store();
  let notified = 0;
  const r = new XenStoreRing(s, 1, () => page, () => { notified++; }, () => {});
  const view = new DataView(page.buffer);
  let reqProd = 0, rspCons = 0;
  const send = (bytes: Uint8Array) => {
    for (const b of bytes) page[XS_RING.req + (reqProd++ & 1023)] = b;
    view.setUint32(XS_RING.req_prod, reqProd, true);
    r.kick();
  };
  const message = (type: number, reqId: number, payload: string) => {
    const p = enc.encode(payload);
    const m = new Uint8Array(16 + p.length);
    const v = new DataView(m.buffer);
    v.setUint32(0, type, true); v.setUint32(4, reqId, true); v.setUint32(12, p.length, true);
    m.set(p, 16);
    return m;
  };
  const replies = () => {
    const prod = view.getUint32(XS_RING.rsp_prod, true);
    const bytes: number[] = [];
    while (rspCons !== prod) bytes.push(page[XS_RING.rsp + (rspCons++ & 1023)]);
    view.setUint32(XS_RING.rsp_cons, rspCons, true);
    const out: { type: number; reqId: number; payload: string }[] = [];
    for (let i = 0; i + 16 <= bytes.length;) {
      const h = new DataView(Uint8Array.from(bytes.slice(i, i + 16)).buffer);
      const len = h.getUint32(12, true);
      out.push({ type: h.getUint32(0, true), reqId: h.getUint32(4, true), payload: dec.decode(Uint8Array.from(bytes.slice(i + 16, i + 16 + len))) });
      i += 16 + len;
    }
    return out;
  };
  return { send, message, replies, notified: () => notified };
}

test("the ring: a request split across notifications, the reply before its watch event", () => {
  const r = ring();
  const m = r.message(XS.READ, 7, "name\0");
  r.send(m.subarray(0, 10));
  assert.deepEqual(r.replies(), [], "half a header: nothing yet");
  r.send(m.subarray(10));
  assert.deepEqual(r.replies(), [{ type: XS.READ, reqId: 7, payload: "one" }]);
  r.send(r.message(XS.WATCH, 8, "data\0w1\0"));
  assert.deepEqual(r.replies(), [{ type: XS.WATCH, reqId: 8, payload: "OK\0" }, { type: XS.WATCH_EVENT, reqId: 0, payload: "data\0w1\0" }]);
  r.send(r.message(XS.READ, 9, "/local/domain/2\0"));
  assert.deepEqual(r.replies(), [{ type: XS.ERROR, reqId: 9, payload: "EACCES\0" }]);
  assert.ok(r.notified() >= 3);
});

test("the ring: a message longer than XENSTORE_PAYLOAD_MAX is refused and the stream restarts", () => {
  const r = ring();
  const h = new Uint8Array(16);
  new DataView(h.buffer).setUint32(0, XS.READ, true); new DataView(h.buffer).setUint32(4, 3, true); new DataView(h.buffer).setUint32(12, 5000, true);
  r.send(h);
  assert.deepEqual(r.replies(), [{ type: XS.ERROR, reqId: 3, payload: "E2BIG\0" }]);
  r.send(r.message(XS.READ, 4, "name\0"));
  assert.deepEqual(r.replies(), [{ type: XS.READ, reqId: 4, payload: "one" }]);
});

test("xenstored's quotas: nodes, watches and transactions per domain; transactions are their domain's", () => {
  const s = store();
  let r: { error?: string; text?: string } = {};
  let i = 0;
  for (; i < 2000 && !r.error; i++) r = req(s, 1, XS.WRITE, `data/n${i}\0x`);
  assert.deepEqual(r, { error: "ENOSPC" });
  assert.ok(i > 900 && i <= 1001, `stopped after ${i} nodes`);
  for (i = 0, r = {}; i < 200 && !r.error; i++) r = req(s, 1, XS.WATCH, `data\0t${i}\0`);
  assert.deepEqual(r, { error: "E2BIG" });
  assert.equal(i, 129);
  const first = req(s, 1, XS.TRANSACTION_START, "\0").text!.replace("\0", "");
  for (i = 1, r = {}; i < 20 && !r.error; i++) r = req(s, 1, XS.TRANSACTION_START, "\0");
  assert.deepEqual(r, { error: "ENOSPC" });
  assert.deepEqual(req(s, 2, XS.TRANSACTION_END, "T\0", Number(first)), { error: "ENOENT" }, "another domain's transaction");
});
