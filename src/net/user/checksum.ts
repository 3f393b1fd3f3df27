/** The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum TCP and UDP cover (RFC 793, RFC 768). */
import type { Ipv4 } from "./addresses.js";

/** The ones'-complement sum of 16-bit big-endian words, not yet folded or inverted. */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

/** Fold and invert a sum into the 16-bit checksum field value. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(onesSum(bytes, start, end));
}

/** The pseudo-header's sum: source, destination, protocol and the transport length. */
export function pseudoHeaderSum(src: Ipv4, dst: Ipv4, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}
