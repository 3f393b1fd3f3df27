/**
 * A scripted guest for driving the user network with frames: it builds the Ethernet, ARP,
 * IPv4, UDP, TCP and DHCP packets a guest would send, and parses what comes back with
 * checksums computed here (not with the stack's own code), so a wrong checksum fails.
 */
import type { NetBackend } from "../../src/net/backend.js";

export const GUEST_MAC = new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
export const ip = (text: string): number => text.split(".").reduce((a, p) => a * 256 + Number(p), 0) >>> 0;
export const dotted = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
export const mac = (m: Uint8Array): string => Array.from(m, (b) => b.toString(16).padStart(2, "0")).join(":");

function sum16(bytes: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}
const checksum = (bytes: Uint8Array, initial = 0): number => ~sum16(bytes, initial) & 0xffff;
const pseudo = (src: number, dst: number, proto: number, len: number): number =>
  (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
const be16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const be32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
function put32(b: Uint8Array, at: number, v: number): void { b[at] = v >>> 24; b[at + 1] = v >>> 16; b[at + 2] = v >>> 8; b[at + 3] = v; }

export interface Frame { dst: string; src: string; type: number; payload: Uint8Array }
export interface IpPacket { src: number; dst: number; proto: number; payload: Uint8Array; frame: Frame }
export interface Udp { srcPort: number; dstPort: number; data: Uint8Array; ip: IpPacket }
export interface Tcp { srcPort: number; dstPort: number; seq: number; ack: number; flags: number; window: number; mss?: number; data: Uint8Array; ip: IpPacket }

export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

export function parseFrame(f: Uint8Array): Frame {
  return { dst: mac(f.subarray(0, 6)), src: mac(f.subarray(6, 12)), type: be16(f, 12), payload: f.subarray(14) };
}

export function parseIp(frame: Frame): IpPacket | undefined {
  if (frame.type !== 0x0800) return undefined;
  const p = frame.payload, ihl = (p[0] & 15) * 4, len = be16(p, 2);
  if (checksum(p.subarray(0, ihl)) !== 0) throw new Error("bad IPv4 header checksum from the stack");
  return { src: be32(p, 12), dst: be32(p, 16), proto: p[9], payload: p.subarray(ihl, len), frame };
}

export function parseUdpPacket(p: IpPacket): Udp | undefined {
  if (p.proto !== 17) return undefined;
  const u = p.payload;
  if (checksum(u, pseudo(p.src, p.dst, 17, u.length)) !== 0) throw new Error("bad UDP checksum from the stack");
  return { srcPort: be16(u, 0), dstPort: be16(u, 2), data: u.subarray(8, be16(u, 4)), ip: p };
}

export function parseTcpPacket(p: IpPacket): Tcp | undefined {
  if (p.proto !== 6) return undefined;
  const t = p.payload;
  if (checksum(t, pseudo(p.src, p.dst, 6, t.length)) !== 0) throw new Error("bad TCP checksum from the stack");
  const hl = (t[12] >> 4) * 4;
  let mss: number | undefined;
  for (let at = 20; at < hl;) {
    if (t[at] === 0) break;
    if (t[at] === 1) { at++; continue; }
    if (t[at] === 2) mss = be16(t, at + 2);
    at += t[at + 1];
  }
  return { srcPort: be16(t, 0), dstPort: be16(t, 2), seq: be32(t, 4), ack: be32(t, 8), flags: t[13], window: be16(t, 14), mss, data: t.subarray(hl), ip: p };
}

/** The guest end of a user network: sends frames into it and collects what it delivers. */
export class TestGuest {
  readonly inbox: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private ipId = 0;
  address = ip("10.0.2.15");
  gatewayMac = "52:55:0a:00:02:02";

  constructor(readonly net: NetBackend, readonly ownMac = GUEST_MAC) {
    net.deliverToGuest = (bytes) => {
      const f = parseFrame(bytes.slice());
      const w = this.waiters.findIndex((x) => x.match(f));
      if (w >= 0) { const [x] = this.waiters.splice(w, 1); x.resolve(f); } else this.inbox.push(f);
    };
  }

  /** The next frame (already received or to come) that `match` accepts; fails after `ms`. */
  next(match: (f: Frame) => boolean, what: string, ms = 5000): Promise<Frame> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters = this.waiters.filter((x) => x.resolve !== done); reject(new Error(`no ${what} within ${ms} ms`)); }, ms);
      const done = (f: Frame) => { clearTimeout(timer); resolve(f); };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Take every queued frame matching `match` (synchronous replies land here at once). */
  take(match: (f: Frame) => boolean = () => true): Frame[] {
    const out = this.inbox.filter(match);
    for (const f of out) this.inbox.splice(this.inbox.indexOf(f), 1);
    return out;
  }

  sendFrame(dst: Uint8Array | string, type: number, payload: Uint8Array): void {
    const f = new Uint8Array(14 + payload.length);
    f.set(typeof dst === "string" ? new Uint8Array(dst.split(":").map((h) => parseInt(h, 16))) : dst, 0);
    f.set(this.ownMac, 6);
    f[12] = type >> 8; f[13] = type;
    f.set(payload, 14);
    this.net.sendFromGuest(f);
  }

  arpRequest(target: number, sender = this.address): void {
    const a = new Uint8Array(28);
    a[1] = 1; a[2] = 8; a[4] = 6; a[5] = 4; a[7] = 1;
    a.set(this.ownMac, 8); put32(a, 14, sender); put32(a, 24, target);
    this.sendFrame("ff:ff:ff:ff:ff:ff", 0x0806, a);
  }

  arpReply(to: Uint8Array, toIp: number): void {
    const a = new Uint8Array(28);
    a[1] = 1; a[2] = 8; a[4] = 6; a[5] = 4; a[7] = 2;
    a.set(this.ownMac, 8); put32(a, 14, this.address); a.set(to, 18); put32(a, 24, toIp);
    this.sendFrame(to, 0x0806, a);
  }

  ipPacket(proto: number, dst: number, payload: Uint8Array, src = this.address): Uint8Array {
    const p = new Uint8Array(20 + payload.length);
    p[0] = 0x45; p[2] = p.length >> 8; p[3] = p.length; p[4] = this.ipId >> 8; p[5] = this.ipId++; p[6] = 0x40; p[8] = 64; p[9] = proto;
    put32(p, 12, src); put32(p, 16, dst);
    const c = checksum(p.subarray(0, 20)); p[10] = c >> 8; p[11] = c;
    p.set(payload, 20);
    return p;
  }

  sendIp(proto: number, dst: number, payload: Uint8Array, src = this.address, dstMac: string = dst === 0xffffffff ? "ff:ff:ff:ff:ff:ff" : this.gatewayMac): void {
    this.sendFrame(dstMac, 0x0800, this.ipPacket(proto, dst, payload, src));
  }

  udpSegment(srcPort: number, dst: number, dstPort: number, data: Uint8Array, src = this.address): Uint8Array {
    const u = new Uint8Array(8 + data.length);
    u[0] = srcPort >> 8; u[1] = srcPort; u[2] = dstPort >> 8; u[3] = dstPort; u[4] = u.length >> 8; u[5] = u.length;
    u.set(data, 8);
    const c = checksum(u, pseudo(src, dst, 17, u.length)) || 0xffff; u[6] = c >> 8; u[7] = c;
    return u;
  }

  sendUdp(srcPort: number, dst: number, dstPort: number, data: Uint8Array, src = this.address): void {
    this.sendIp(17, dst, this.udpSegment(srcPort, dst, dstPort, data, src), src);
  }

  tcpSegment(t: { srcPort: number; dst: number; dstPort: number; seq: number; ack?: number; flags: number; window?: number; mss?: number; data?: Uint8Array }): Uint8Array {
    const data = t.data ?? new Uint8Array(0), hl = t.mss !== undefined ? 24 : 20;
    const s = new Uint8Array(hl + data.length);
    s[0] = t.srcPort >> 8; s[1] = t.srcPort; s[2] = t.dstPort >> 8; s[3] = t.dstPort;
    put32(s, 4, t.seq); put32(s, 8, t.ack ?? 0);
    s[12] = (hl / 4) << 4; s[13] = t.flags;
    const w = t.window ?? 65535; s[14] = w >> 8; s[15] = w;
    if (t.mss !== undefined) { s[20] = 2; s[21] = 4; s[22] = t.mss >> 8; s[23] = t.mss; }
    s.set(data, hl);
    const c = checksum(s, pseudo(this.address, t.dst, 6, s.length)); s[16] = c >> 8; s[17] = c;
    return s;
  }

  sendTcp(t: Parameters<TestGuest["tcpSegment"]>[0]): void {
    this.sendIp(6, t.dst, this.tcpSegment(t));
  }

  nextUdp(match: (u: Udp) => boolean, what: string, ms?: number): Promise<Udp> {
    const m = (f: Frame) => { const p = parseIp(f); const u = p && parseUdpPacket(p); return !!u && match(u); };
    return this.next(m, what, ms).then((f) => parseUdpPacket(parseIp(f)!)!);
  }

  nextTcp(match: (t: Tcp) => boolean, what: string, ms?: number): Promise<Tcp> {
    const m = (f: Frame) => { const p = parseIp(f); const t = p && parseTcpPacket(p); return !!t && match(t); };
    return this.next(m, what, ms).then((f) => parseTcpPacket(parseIp(f)!)!);
  }

  /** A DHCP DISCOVER or REQUEST (RFC 2131) from this guest's MAC, broadcast from 0.0.0.0:68. */
  dhcp(type: 1 | 3, xid: number, requested?: number, serverId?: number): void {
    const m = new Uint8Array(300);
    m[0] = 1; m[1] = 1; m[2] = 6; put32(m, 4, xid); m.set(this.ownMac, 28); put32(m, 236, 0x63825363);
    let at = 240;
    m[at++] = 53; m[at++] = 1; m[at++] = type;
    if (requested !== undefined) { m[at++] = 50; m[at++] = 4; put32(m, at, requested); at += 4; }
    if (serverId !== undefined) { m[at++] = 54; m[at++] = 4; put32(m, at, serverId); at += 4; }
    m[at++] = 55; m[at++] = 3; m[at++] = 1; m[at++] = 3; m[at++] = 6;
    m[at] = 255;
    this.sendUdp(68, 0xffffffff, 67, m, 0);
  }
}

/** A DHCP reply's fields and options. */
export function parseDhcp(u: Udp): { op: number; xid: number; yiaddr: string; siaddr: string; chaddr: string; options: Map<number, Uint8Array> } {
  const m = u.data, options = new Map<number, Uint8Array>();
  if (be32(m, 236) !== 0x63825363) throw new Error("no DHCP magic cookie");
  for (let at = 240; at < m.length && m[at] !== 255;) {
    if (m[at] === 0) { at++; continue; }
    options.set(m[at], m.slice(at + 2, at + 2 + m[at + 1]));
    at += 2 + m[at + 1];
  }
  return { op: m[0], xid: be32(m, 4), yiaddr: dotted(be32(m, 16)), siaddr: dotted(be32(m, 20)), chaddr: mac(m.subarray(28, 34)), options };
}

export const u32 = (b: Uint8Array): number => be32(b, 0);
export const icmpChecksum = checksum;
