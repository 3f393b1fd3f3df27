/** UDP (RFC 768): datagram parsing with the optional checksum, and building with it. */
import type { Ipv4 } from "./addresses.js";
import { finishChecksum, onesSum, pseudoHeaderSum } from "./checksum.js";
import { PROTOCOL_UDP } from "./ipv4.js";

export const UDP_HEADER = 8;

export interface UdpDatagram {
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
}

/** Undefined when short, when the length field disagrees, or when a non-zero checksum is wrong. */
export function parseUdp(segment: Uint8Array, source: Ipv4, destination: Ipv4): UdpDatagram | undefined {
  if (segment.length < UDP_HEADER) return undefined;
  const length = (segment[4] << 8) | segment[5];
  if (length < UDP_HEADER || length > segment.length) return undefined;
  const checksum = (segment[6] << 8) | segment[7];
  // A zero checksum means the sender computed none (RFC 768).
  if (checksum !== 0 && finishChecksum(onesSum(segment, 0, length, pseudoHeaderSum(source, destination, PROTOCOL_UDP, length))) !== 0) return undefined;
  return { sourcePort: (segment[0] << 8) | segment[1], destinationPort: (segment[2] << 8) | segment[3], payload: segment.subarray(UDP_HEADER, length) };
}

export function buildUdp(source: Ipv4, sourcePort: number, destination: Ipv4, destinationPort: number, payload: Uint8Array): Uint8Array {
  const length = UDP_HEADER + payload.length;
  const segment = new Uint8Array(length);
  segment[0] = sourcePort >> 8; segment[1] = sourcePort;
  segment[2] = destinationPort >> 8; segment[3] = destinationPort;
  segment[4] = length >> 8; segment[5] = length;
  segment.set(payload, UDP_HEADER);
  let sum = finishChecksum(onesSum(segment, 0, length, pseudoHeaderSum(source, destination, PROTOCOL_UDP, length)));
  if (sum === 0) sum = 0xffff; // zero would mean "no checksum"
  segment[6] = sum >> 8; segment[7] = sum;
  return segment;
}
