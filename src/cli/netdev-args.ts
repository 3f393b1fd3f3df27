/**
 * -netdev as QEMU 7.2 spells it (qemu-options.hx), for the kinds whose other end is a socket:
 *   -netdev socket,id=ID,listen=[HOST]:PORT | connect=HOST:PORT     (TCP, frames length-prefixed)
 *   -netdev socket,id=ID,udp=HOST:PORT,localaddr=HOST:PORT          (UDP, a frame per datagram)
 *   -netdev stream,id=ID[,server=on|off],addr.type=inet,addr.host=HOST,addr.port=PORT
 *   -netdev stream,id=ID[,server=on|off],addr.type=unix,addr.path=PATH
 *   -netdev dgram,id=ID,local.type=inet,local.host=HOST,local.port=PORT,remote.type=inet,remote.host=HOST,remote.port=PORT
 * and `user` is parsed by its own module (netdev-user.ts). Multicast
 * (socket mcast=, a multicast dgram remote), file descriptors passed in (fd=, addr.type=fd) and
 * unix datagrams are refused with a line saying so.
 */
import { UsageError } from "./args.js";
import { parseUserNetdev } from "./netdev-user.js";
import type { UserNetConfig } from "../net/user/user-network.js";

/** Where a socket listens or connects. */
export type SocketAddress = { type: "inet"; host: string; port: number } | { type: "unix"; path: string };

export type NetdevArg =
  /** TCP with QEMU's stream framing: a 4-byte big-endian length before each frame. */
  | { kind: "stream"; id: string; server: boolean; addr: SocketAddress; option: string }
  /** UDP: each datagram is one frame. */
  | { kind: "dgram"; id: string; local: { host: string; port: number }; remote: { host: string; port: number }; option: string }
  /** The user-mode network (netdev-user.ts). */
  | { kind: "user"; id: string; config: UserNetConfig; option: string }
  /** Another module's kind: kept as given. */
  | { kind: "other"; type: string; id: string; text: string; option: string };

/** QEMU's key=value list: ",," is a literal comma, a first bare word is the netdev type. */
function keyValues(text: string, option: string): { type: string; kv: Map<string, string> } {
  const parts = text.split(/,(?!,)/).map((p) => p.replace(/,,/g, ","));
  const kv = new Map<string, string>();
  let type = "";
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (i === 0) { type = part; continue; }
      throw new UsageError(`${option}: Invalid parameter '${part}'`);
    }
    const key = part.slice(0, eq);
    if (key === "type" && i === 0) { type = part.slice(eq + 1); continue; }
    if (kv.has(key)) throw new UsageError(`${option}: Parameter '${key}' given twice`);
    kv.set(key, part.slice(eq + 1));
  }
  return { type, kv };
}

function onOff(option: string, key: string, v: string): boolean {
  if (v === "on" || v === "true" || v === "yes") return true;
  if (v === "off" || v === "false" || v === "no") return false;
  throw new UsageError(`${option}: Parameter '${key}' expects 'on' or 'off'`);
}

function port(option: string, what: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${option}: ${what}: invalid port '${text}' (0 to 65535)`);
  return Number(text);
}

/**
 * HOST:PORT as the socket netdev takes it (inet_parse): an empty host is every address when
 * listening; an IPv6 host is in brackets.
 */
function hostPort(option: string, what: string, text: string, emptyHost: string | undefined): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):([^:]+)$/.exec(text);
  if (!m) throw new UsageError(`${option}: ${what}: '${text}' is not HOST:PORT`);
  let host = m[1] ?? m[2];
  if (host === "") {
    if (emptyHost === undefined) throw new UsageError(`${option}: ${what}: '${text}' has no host`);
    host = emptyHost;
  }
  return { host, port: port(option, what, m[3]) };
}

function only(option: string, kv: Map<string, string>, allowed: string[]): void {
  for (const key of kv.keys()) if (!allowed.includes(key)) throw new UsageError(`${option}: Invalid parameter '${key}'`);
}

function idOf(option: string, kv: Map<string, string>): string {
  const id = kv.get("id");
  if (id === undefined || id === "") throw new UsageError(`${option}: Parameter 'id' is missing`);
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(id)) throw new UsageError(`${option}: Parameter 'id' expects an identifier`);
  return id;
}

/** One -netdev option. */
export function parseNetdev(text: string): NetdevArg {
  const option = `-netdev ${text}`;
  // user takes hostfwd= more than once, so it has its own key=value reading.
  if (/^(type=)?user(,|$)/.test(text)) return { kind: "user", ...parseUserNetdev(text), option };
  const { type, kv } = keyValues(text, option);
  switch (type) {
    case "socket": {
      const id = idOf(option, kv);
      if (kv.has("fd")) throw new UsageError(`${option}: fd= is not supported (give listen=, connect= or udp=)`);
      if (kv.has("mcast")) throw new UsageError(`${option}: mcast= is not supported (use udp=HOST:PORT,localaddr=HOST:PORT between two peers)`);
      const modes = ["listen", "connect", "udp"].filter((k) => kv.has(k));
      // net_init_socket: exactly one of fd, listen, connect, mcast, udp.
      if (modes.length !== 1) throw new UsageError(`${option}: exactly one of listen= and connect= and mcast= and udp= is required`);
      const mode = modes[0];
      if (mode === "udp") {
        only(option, kv, ["id", "udp", "localaddr"]);
        if (!kv.has("localaddr")) throw new UsageError(`${option}: localaddr= is mandatory with udp=`);
        const remote = hostPort(option, "udp", kv.get("udp")!, undefined);
        const local = hostPort(option, "localaddr", kv.get("localaddr")!, "0.0.0.0");
        return { kind: "dgram", id, local, remote, option };
      }
      only(option, kv, ["id", mode]);
      if (kv.has("localaddr")) throw new UsageError(`${option}: localaddr= is only valid with mcast= or udp=`);
      const a = hostPort(option, mode, kv.get(mode)!, mode === "listen" ? "0.0.0.0" : undefined);
      return { kind: "stream", id, server: mode === "listen", addr: { type: "inet", ...a }, option };
    }
    case "stream": {
      const id = idOf(option, kv);
      const server = kv.has("server") ? onOff(option, "server", kv.get("server")!) : false;
      const addrType = kv.get("addr.type");
      if (addrType === undefined) throw new UsageError(`${option}: Parameter 'addr.type' is missing`);
      if (addrType === "inet") {
        only(option, kv, ["id", "server", "addr.type", "addr.host", "addr.port", "addr.numeric", "addr.ipv4", "addr.ipv6", "addr.keep-alive"]);
        const host = kv.get("addr.host"), p = kv.get("addr.port");
        if (host === undefined) throw new UsageError(`${option}: Parameter 'addr.host' is missing`);
        if (p === undefined) throw new UsageError(`${option}: Parameter 'addr.port' is missing`);
        return { kind: "stream", id, server, addr: { type: "inet", host: host === "" && server ? "0.0.0.0" : host, port: port(option, "addr.port", p) }, option };
      }
      if (addrType === "unix") {
        only(option, kv, ["id", "server", "addr.type", "addr.path"]);
        const path = kv.get("addr.path");
        if (!path) throw new UsageError(`${option}: Parameter 'addr.path' is missing`);
        return { kind: "stream", id, server, addr: { type: "unix", path }, option };
      }
      if (addrType === "fd") throw new UsageError(`${option}: addr.type=fd is not supported (inet or unix)`);
      throw new UsageError(`${option}: Parameter 'addr.type' does not accept value '${addrType}'`);
    }
    case "dgram": {
      const id = idOf(option, kv);
      const localType = kv.get("local.type"), remoteType = kv.get("remote.type");
      if (localType === "unix" || remoteType === "unix") throw new UsageError(`${option}: unix datagram sockets are not supported (local.type=inet and remote.type=inet)`);
      if (localType === "fd") throw new UsageError(`${option}: local.type=fd is not supported`);
      for (const [k, v] of [["local.type", localType], ["remote.type", remoteType]] as const) {
        if (v !== undefined && v !== "inet") throw new UsageError(`${option}: Parameter '${k}' does not accept value '${v}'`);
      }
      only(option, kv, ["id", "local.type", "local.host", "local.port", "remote.type", "remote.host", "remote.port"]);
      if (remoteType === undefined) throw new UsageError(`${option}: a remote address is needed (remote.type=inet,remote.host=HOST,remote.port=PORT)`);
      if (localType === undefined) throw new UsageError(`${option}: a local address is needed (local.type=inet,local.host=HOST,local.port=PORT); multicast is not supported`);
      const need = (k: string) => {
        const v = kv.get(k);
        if (v === undefined) throw new UsageError(`${option}: Parameter '${k}' is missing`);
        return v;
      };
      const remote = { host: need("remote.host"), port: port(option, "remote.port", need("remote.port")) };
      if (isMulticast(remote.host)) throw new UsageError(`${option}: multicast remote addresses are not supported`);
      const local = { host: need("local.host") || "0.0.0.0", port: port(option, "local.port", need("local.port")) };
      return { kind: "dgram", id, local, remote, option };
    }
    case "":
      throw new UsageError(`${option}: Parameter 'type' is missing`);
    case "tap": case "bridge": case "l2tpv3": case "vde": case "vhost-user": case "vhost-vdpa": case "hubport": case "netmap": case "af-xdp":
      throw new UsageError(`${option}: netdev type '${type}' is not supported (socket, stream, dgram)`);
    default:
      throw new UsageError(`${option}: Parameter 'type' does not accept value '${type}'`);
  }
}

function isMulticast(host: string): boolean {
  const m = /^(\d+)\./.exec(host);
  return m !== null && Number(m[1]) >= 224 && Number(m[1]) <= 239;
}
