/**
 * XenStore, the toolstack's configuration tree, as xenstored serves it to a domain over the
 * store ring (xen/include/public/io/xs_wire.h; docs/misc/xenstore.txt for the semantics).
 *
 * Nodes hold a value and children; each has permissions (docs/misc/xenstore.txt "permissions"):
 * a list whose first entry names the owner (who may do anything) and the access of every domain
 * not listed after it: n (none), r (read), w (write), b (both). dom0 (the hypervisor itself
 * here) may do anything. Paths not starting with "/" are relative to the domain's home,
 * /local/domain/<domid>.
 *
 * Transactions work on a copy of the tree taken at their start; ending one commits the copy,
 * unless the tree changed meanwhile (then EAGAIN, and the guest retries, as with xenstored).
 */
import { XS } from "./xs-wire.js";

export type XsPermKind = "n" | "r" | "w" | "b";
export interface XsPerm { kind: XsPermKind; dom: number }

interface XsNode {
  value: Uint8Array;
  perms: XsPerm[];
  children: Map<string, XsNode>;
}

/** A request's outcome: a payload, or one of xenstored's error names (xs_wire.h xsd_errors). */
export type XsReply = { payload: Uint8Array } | { error: string };

interface Watch { path: string; token: string; relative: boolean }
interface Transaction { dom: number; root: XsNode; baseGeneration: number; changed: { path: string; recursive: boolean }[] }

/** docs/misc/xenstore.txt: path characters, and xs_wire.h's length limits. */
const PATH_CHARS = /^[A-Za-z0-9\-/_@]+$/;
export const XENSTORE_ABS_PATH_MAX = 3072;
export const XENSTORE_REL_PATH_MAX = 2048;

/** xenstored's default quotas per domain (tools/xenstore: quota-nodes, quota-watches, quota-transactions). */
export const XS_QUOTA = { nodes: 1000, watches: 128, transactions: 10 } as const;

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");
const ok = (): XsReply => ({ payload: enc.encode("OK\0") });
const err = (e: string): XsReply => ({ error: e });

function newNode(perms: XsPerm[], value = new Uint8Array(0)): XsNode {
  return { value, perms: perms.map((p) => ({ ...p })), children: new Map() };
}

function cloneTree(n: XsNode): XsNode {
  const c = newNode(n.perms, n.value.slice());
  for (const [k, v] of n.children) c.children.set(k, cloneTree(v));
  return c;
}

export function formatPerms(perms: readonly XsPerm[]): string {
  return perms.map((p) => `${p.kind}${p.dom}`).join("\0") + "\0";
}

function parsePerm(s: string): XsPerm | undefined {
  const m = /^([nrwb])(\d{1,5})$/.exec(s);
  return m ? { kind: m[1] as XsPermKind, dom: Number(m[2]) } : undefined;
}

/** One XenStore, serving the domains that share it; dom0 is the hypervisor. */
export class XenStore {
  private root: XsNode = newNode([{ kind: "n", dom: 0 }]);
  private generation = 0;
  private readonly watches = new Map<number, Watch[]>();
  private readonly transactions = new Map<number, Transaction>();
  private nextTx = 1;
  /** Delivers a watch event (path, token) to domain `dom` when no connection of its is registered. */
  onWatchEvent: (dom: number, path: string, token: string) => void = () => {};
  /** Each domain's connection (its store ring): where its watch events go. */
  private readonly connections = new Map<number, (path: string, token: string) => void>();
  /** The toolstack's own watches (xenstore-watch), as dom0, each with its own callback. */
  private readonly toolWatches = new Set<{ path: string; token: string; deliver: (path: string, token: string) => void }>();

  /** Domain `dom`'s connection: its watch events go to `deliver` from now on. */
  connect(dom: number, deliver: (path: string, token: string) => void): void {
    this.connections.set(dom, deliver);
  }

  private deliver(dom: number, path: string, token: string): void {
    const c = this.connections.get(dom);
    if (c) c(path, token);
    else this.onWatchEvent(dom, path, token);
  }

  /** A watch of the toolstack's (dom0): fires at once and on every change under `path`; the result removes it. */
  watchAsTool(path: string, token: string, deliver: (path: string, token: string) => void): () => void {
    const w = { path, token, deliver };
    this.toolWatches.add(w);
    deliver(path, token);
    return () => { this.toolWatches.delete(w); };
  }

  /**
   * Domain `dom` is gone (destroyed, or about to boot afresh): its home, its /vm entry, its
   * watches, transactions and connection go, and @releaseDomain watchers hear of it
   * (docs/misc/xenstore.txt, "special watches"), as after libxl's domain destruction.
   */
  releaseDomain(dom: number): void {
    const home = this.lookup(this.root, XenStore.domainPath(dom));
    if (!home) return;
    const vm = home.children.get("vm");
    const vmPath = vm ? dec.decode(vm.value) : "";
    this.removeNode(XenStore.domainPath(dom));
    if (vmPath.startsWith("/vm/")) this.removeNode(vmPath);
    this.watches.delete(dom);
    for (const [id, t] of this.transactions) if (t.dom === dom) this.transactions.delete(id);
    this.connections.delete(dom);
    this.fireSpecial("@releaseDomain");
  }

  /** A new domain's tree is in place: @introduceDomain watchers hear of it. */
  introduceDomain(_dom: number): void {
    this.fireSpecial("@introduceDomain");
  }

  private removeNode(abs: string): void {
    const parent = this.lookup(this.root, abs.slice(0, abs.lastIndexOf("/")) || "/");
    if (parent?.children.delete(abs.slice(abs.lastIndexOf("/") + 1))) this.committed([{ path: abs, recursive: true }]);
  }

  private fireSpecial(name: string): void {
    for (const [dom, list] of this.watches) for (const w of list) if (w.path === name) this.deliver(dom, name, w.token);
    for (const w of this.toolWatches) if (w.path === name) w.deliver(name, w.token);
  }

  static domainPath(dom: number): string {
    return `/local/domain/${dom}`;
  }

  // ---- paths and permissions ----

  /** The absolute path of `path` for `dom`, or an error (EINVAL) when it is malformed. */
  private canonical(dom: number, path: string): string | undefined {
    if (path.length === 0 || !PATH_CHARS.test(path) || path.includes("//")) return undefined;
    if (path.startsWith("@")) return undefined;
    if (!path.startsWith("/")) {
      if (path.length > XENSTORE_REL_PATH_MAX) return undefined;
      path = `${XenStore.domainPath(dom)}/${path}`;
    }
    if (path.length > XENSTORE_ABS_PATH_MAX) return undefined;
    if (path.length > 1 && path.endsWith("/")) return undefined;
    return path;
  }

  private parts(abs: string): string[] {
    return abs === "/" ? [] : abs.slice(1).split("/");
  }

  private lookup(root: XsNode, abs: string): XsNode | undefined {
    let n: XsNode | undefined = root;
    for (const p of this.parts(abs)) { n = n.children.get(p); if (!n) return undefined; }
    return n;
  }

  private allowed(dom: number, node: XsNode, want: "r" | "w"): boolean {
    if (dom === 0 || node.perms[0].dom === dom) return true;
    const entry = node.perms.slice(1).find((p) => p.dom === dom) ?? node.perms[0];
    return entry.kind === "b" || entry.kind === want;
  }

  // ---- the tree, for the hypervisor (dom0) ----

  /** Write a node as dom0, creating its parents, with `perms` for every node it creates. */
  write(path: string, value: string, perms: XsPerm[] = [{ kind: "n", dom: 0 }]): void {
    const r = this.doWrite(this.root, 0, path, enc.encode(value), perms);
    if ("error" in r) throw new Error(`XenStore write ${path}: ${r.error}`);
    this.committed([{ path, recursive: false }]);
  }

  read(path: string): string | undefined {
    const n = this.lookup(this.root, path);
    return n ? dec.decode(n.value) : undefined;
  }

  setPerms(path: string, perms: XsPerm[]): void {
    const n = this.lookup(this.root, path);
    if (n) n.perms = perms.map((p) => ({ ...p }));
  }

  private doWrite(root: XsNode, dom: number, abs: string, value: Uint8Array | undefined, perms?: XsPerm[]): XsReply {
    const parts = this.parts(abs);
    let n = root;
    let i = 0;
    for (; i < parts.length; i++) {
      const c = n.children.get(parts[i]);
      if (!c) break;
      n = c;
    }
    // Writing an existing node needs write access to it; creating nodes, to the deepest existing one.
    if (!this.allowed(dom, n, "w")) return err("EACCES");
    if (dom !== 0 && i < parts.length && this.nodesOwnedBy(root, dom) + (parts.length - i) > XS_QUOTA.nodes) return err("ENOSPC");
    for (; i < parts.length; i++) {
      // A new node inherits its parent's permissions, owned by the domain that created it (xenstored).
      const inherited = perms ?? (dom === 0 ? n.perms : [{ kind: n.perms[0].kind, dom }, ...n.perms.slice(1)]);
      const c = newNode(inherited);
      n.children.set(parts[i], c);
      n = c;
    }
    if (value !== undefined) n.value = value;
    return ok();
  }

  private nodesOwnedBy(n: XsNode, dom: number): number {
    let count = n.perms[0].dom === dom ? 1 : 0;
    for (const c of n.children.values()) count += this.nodesOwnedBy(c, dom);
    return count;
  }

  private committed(changes: { path: string; recursive: boolean }[]): void {
    this.generation++;
    for (const c of changes) this.fireWatches(c.path, c.recursive);
  }

  private fireWatches(abs: string, recursive: boolean): void {
    const under = (a: string, b: string) => a === b || b === "/" || a.startsWith(b + "/");
    for (const [dom, list] of this.watches) {
      for (const w of list) {
        if (w.path.startsWith("@")) continue;
        let fired: string | undefined;
        if (under(abs, w.path)) fired = abs;
        else if (recursive && under(w.path, abs)) fired = w.path;
        if (fired === undefined) continue;
        const home = XenStore.domainPath(dom) + "/";
        this.deliver(dom, w.relative && fired.startsWith(home) ? fired.slice(home.length) : fired, w.token);
      }
    }
    for (const w of this.toolWatches) {
      if (w.path.startsWith("@")) continue;
      if (under(abs, w.path)) w.deliver(abs, w.token);
      else if (recursive && under(w.path, abs)) w.deliver(w.path, w.token);
    }
  }

  private transactionsOf(dom: number): number {
    let n = 0;
    for (const t of this.transactions.values()) if (t.dom === dom) n++;
    return n;
  }

  // ---- requests from a domain (xs_wire.h xsd_sockmsg_type) ----

  /** One request of domain `dom`: its type, transaction and payload; the reply. */
  request(dom: number, type: number, txId: number, payload: Uint8Array): XsReply {
    const args = dec.decode(payload).split("\0");
    // Every string argument is NUL-terminated; a write's value is the rest of the payload.
    const found = txId === 0 ? undefined : this.transactions.get(txId);
    // A transaction belongs to the domain that started it.
    const tx = found && found.dom === dom ? found : undefined;
    if (txId !== 0 && !tx && type !== XS.TRANSACTION_START) return err("ENOENT");
    const root = tx ? tx.root : this.root;
    const change = (path: string, recursive: boolean) => {
      if (tx) tx.changed.push({ path, recursive });
      else this.committed([{ path, recursive }]);
    };
    switch (type) {
      case XS.READ: case XS.DIRECTORY: case XS.GET_PERMS: {
        const abs = this.canonical(dom, args[0]);
        if (!abs || args.length < 2) return err("EINVAL");
        const n = this.lookup(root, abs);
        if (!n) return err("ENOENT");
        if (!this.allowed(dom, n, "r")) return err("EACCES");
        if (type === XS.READ) return { payload: n.value.slice() };
        if (type === XS.GET_PERMS) return { payload: enc.encode(formatPerms(n.perms)) };
        return { payload: enc.encode([...n.children.keys()].map((k) => k + "\0").join("")) };
      }
      case XS.WRITE: {
        const nul = payload.indexOf(0);
        if (nul < 0) return err("EINVAL");
        const abs = this.canonical(dom, dec.decode(payload.subarray(0, nul)));
        if (!abs || abs === "/") return err("EINVAL");
        const r = this.doWrite(root, dom, abs, payload.slice(nul + 1));
        if ("payload" in r) change(abs, false);
        return r;
      }
      case XS.MKDIR: {
        const abs = this.canonical(dom, args[0]);
        if (!abs || args.length < 2) return err("EINVAL");
        if (this.lookup(root, abs)) return ok();
        const r = this.doWrite(root, dom, abs, undefined);
        if ("payload" in r) change(abs, false);
        return r;
      }
      case XS.RM: {
        const abs = this.canonical(dom, args[0]);
        if (!abs || args.length < 2) return err("EINVAL");
        if (abs === "/") return err("EINVAL");
        const parent = this.lookup(root, abs.slice(0, abs.lastIndexOf("/")) || "/");
        const name = abs.slice(abs.lastIndexOf("/") + 1);
        const n = parent?.children.get(name);
        // Removing what is already gone is fine while its parent exists (xenstored do_rm).
        if (!n) return parent ? ok() : err("ENOENT");
        if (!this.allowed(dom, n, "w")) return err("EACCES");
        parent!.children.delete(name);
        change(abs, true);
        return ok();
      }
      case XS.SET_PERMS: {
        const abs = this.canonical(dom, args[0]);
        if (!abs || args.length < 3) return err("EINVAL");
        const perms = args.slice(1, -1).map(parsePerm);
        if (perms.length === 0 || perms.some((p) => !p)) return err("EINVAL");
        const n = this.lookup(root, abs);
        if (!n) return err("ENOENT");
        if (dom !== 0 && n.perms[0].dom !== dom) return err("EACCES");
        // Only dom0 gives a node away.
        if (dom !== 0 && perms[0]!.dom !== dom) return err("EPERM");
        n.perms = perms as XsPerm[];
        change(abs, false);
        return ok();
      }
      case XS.WATCH: case XS.UNWATCH: {
        if (args.length < 3 || args[0].length === 0) return err("EINVAL");
        const relative = !args[0].startsWith("/") && !args[0].startsWith("@");
        const abs = args[0].startsWith("@") ? args[0] : this.canonical(dom, args[0]);
        if (!abs) return err("EINVAL");
        const list = this.watches.get(dom) ?? [];
        const at = list.findIndex((w) => w.path === abs && w.token === args[1]);
        if (type === XS.UNWATCH) {
          if (at < 0) return err("ENOENT");
          list.splice(at, 1);
          return ok();
        }
        if (at >= 0) return err("EEXIST");
        if (list.length >= XS_QUOTA.watches) return err("E2BIG");
        list.push({ path: abs, token: args[1], relative });
        this.watches.set(dom, list);
        // A new watch fires once at once, so its owner reads the current state (xenstore.txt WATCH);
        // the transport sends events raised by a request after the request's reply.
        this.deliver(dom, args[0], args[1]);
        return ok();
      }
      case XS.RESET_WATCHES:
        this.watches.delete(dom);
        return ok();
      case XS.TRANSACTION_START: {
        if (txId !== 0) return err("EBUSY");
        if (this.transactionsOf(dom) >= XS_QUOTA.transactions) return err("ENOSPC");
        const id = this.nextTx++;
        this.transactions.set(id, { dom, root: cloneTree(this.root), baseGeneration: this.generation, changed: [] });
        return { payload: enc.encode(`${id}\0`) };
      }
      case XS.TRANSACTION_END: {
        if (!tx) return err("ENOENT");
        if (args[0] !== "T" && args[0] !== "F") return err("EINVAL");
        this.transactions.delete(txId);
        if (args[0] === "F" || tx.changed.length === 0) return ok();
        if (tx.baseGeneration !== this.generation) return err("EAGAIN");
        this.root = tx.root;
        this.committed(tx.changed);
        return ok();
      }
      case XS.GET_DOMAIN_PATH: {
        if (!/^\d{1,5}$/.test(args[0])) return err("EINVAL");
        return { payload: enc.encode(`${XenStore.domainPath(Number(args[0]))}\0`) };
      }
      case XS.IS_DOMAIN_INTRODUCED: {
        if (!/^\d{1,5}$/.test(args[0])) return err("EINVAL");
        const d = Number(args[0]);
        return { payload: enc.encode(d === 0 || d === dom || this.lookup(this.root, XenStore.domainPath(d)) ? "T\0" : "F\0") };
      }
      case XS.CONTROL: case XS.INTRODUCE: case XS.RELEASE: case XS.RESUME: case XS.SET_TARGET:
        // The toolstack's own requests: a domain without privilege may not make them.
        return err("EACCES");
      default:
        return err("EINVAL");
    }
  }
}
