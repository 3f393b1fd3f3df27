/**
 * IPv4 and MAC addresses as the user network keeps them: an IPv4 address is an unsigned 32-bit
 * number (network order read big-endian), a MAC six bytes. Text forms follow inet_aton, which
 * QEMU's -netdev user uses for every address option ("10.2" is 10.0.0.2, "0x0a.0.2.2" is hex).
 */

export type Ipv4 = number;

/** inet_aton: one to four parts, each decimal, octal (leading 0) or hex (0x); the last part fills the rest. */
export function parseIpv4(text: string): Ipv4 | undefined {
  const parts = text.split(".");
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return undefined;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return undefined;
  const lastBits = 8 * (4 - values.length);
  if (lastBits < 32 && last >= 2 ** lastBits) return undefined;
  if (last > 0xffffffff) return undefined;
  let addr = 0;
  for (const v of values) addr = addr * 256 + v;
  return (addr * 2 ** lastBits + last) >>> 0;
}

export function formatIpv4(addr: Ipv4): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

export function readIpv4(bytes: Uint8Array, at: number): Ipv4 {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

export function writeIpv4(bytes: Uint8Array, at: number, addr: Ipv4): void {
  bytes[at] = addr >>> 24; bytes[at + 1] = addr >>> 16; bytes[at + 2] = addr >>> 8; bytes[at + 3] = addr;
}

/** A prefix length as a mask: 24 is 255.255.255.0. */
export function prefixMask(bits: number): Ipv4 {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export const IPV4_BROADCAST: Ipv4 = 0xffffffff;
export const IPV4_ANY: Ipv4 = 0;
export const IPV4_LOOPBACK: Ipv4 = 0x7f000001;

export function isLoopback(addr: Ipv4): boolean {
  return addr >>> 24 === 127;
}

export type Mac = Uint8Array;

export const MAC_BROADCAST: Mac = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/**
 * libslirp's MAC for a virtual host: 52:55 and then the host's IPv4 address, so the gateway
 * 10.0.2.2 answers as 52:55:0a:00:02:02 and the DNS 10.0.2.3 as 52:55:0a:00:02:03.
 */
export function virtualHostMac(addr: Ipv4): Mac {
  const mac = new Uint8Array([0x52, 0x55, 0, 0, 0, 0]);
  writeIpv4(mac, 2, addr);
  return mac;
}

export function formatMac(mac: Mac): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

export function sameMac(a: Mac, b: Mac): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
