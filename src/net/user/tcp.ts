/** TCP segments (RFC 9293 section 3.1): parsing with the checksum check, and building with the MSS option. */
import type { Ipv4 } from "./addresses.js";
import { finishChecksum, onesSum, pseudoHeaderSum } from "./checksum.js";
import { PROTOCOL_TCP } from "./ipv4.js";

export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10;
const TCP_HEADER = 20;
const OPTION_END = 0, OPTION_NOP = 1, OPTION_MSS = 2;
/** RFC 9293 3.7.1: the MSS a peer is assumed to take when its SYN names none. */
export const DEFAULT_MSS = 536;

export interface TcpSegment {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** The MSS option (SYN segments). */
  mss?: number;
  payload: Uint8Array;
}

/** Undefined when short, when the data offset is out of range, or when the checksum is wrong. */
export function parseTcp(segment: Uint8Array, source: Ipv4, destination: Ipv4): TcpSegment | undefined {
  if (segment.length < TCP_HEADER) return undefined;
  const headerLength = (segment[12] >> 4) * 4;
  if (headerLength < TCP_HEADER || headerLength > segment.length) return undefined;
  if (finishChecksum(onesSum(segment, 0, segment.length, pseudoHeaderSum(source, destination, PROTOCOL_TCP, segment.length))) !== 0) return undefined;
  let mss: number | undefined;
  for (let at = TCP_HEADER; at < headerLength;) {
    const kind = segment[at];
    if (kind === OPTION_END) break;
    if (kind === OPTION_NOP) { at++; continue; }
    const length = segment[at + 1];
    if (at + 1 >= headerLength || length < 2 || at + length > headerLength) break;
    if (kind === OPTION_MSS && length === 4) mss = (segment[at + 2] << 8) | segment[at + 3];
    at += length;
  }
  return {
    sourcePort: (segment[0] << 8) | segment[1],
    destinationPort: (segment[2] << 8) | segment[3],
    seq: ((segment[4] << 24) | (segment[5] << 16) | (segment[6] << 8) | segment[7]) >>> 0,
    ack: ((segment[8] << 24) | (segment[9] << 16) | (segment[10] << 8) | segment[11]) >>> 0,
    flags: segment[13] & 0x3f,
    window: (segment[14] << 8) | segment[15],
    mss,
    payload: segment.subarray(headerLength),
  };
}

export function buildTcp(source: Ipv4, destination: Ipv4, s: TcpSegment): Uint8Array {
  const headerLength = TCP_HEADER + (s.mss !== undefined ? 4 : 0);
  const segment = new Uint8Array(headerLength + s.payload.length);
  segment[0] = s.sourcePort >> 8; segment[1] = s.sourcePort;
  segment[2] = s.destinationPort >> 8; segment[3] = s.destinationPort;
  segment[4] = s.seq >>> 24; segment[5] = s.seq >>> 16; segment[6] = s.seq >>> 8; segment[7] = s.seq;
  segment[8] = s.ack >>> 24; segment[9] = s.ack >>> 16; segment[10] = s.ack >>> 8; segment[11] = s.ack;
  segment[12] = (headerLength / 4) << 4;
  segment[13] = s.flags;
  segment[14] = s.window >> 8; segment[15] = s.window;
  if (s.mss !== undefined) { segment[20] = OPTION_MSS; segment[21] = 4; segment[22] = s.mss >> 8; segment[23] = s.mss; }
  segment.set(s.payload, headerLength);
  const sum = finishChecksum(onesSum(segment, 0, segment.length, pseudoHeaderSum(source, destination, PROTOCOL_TCP, segment.length)));
  segment[16] = sum >> 8; segment[17] = sum;
  return segment;
}

/** Sequence-number comparison modulo 2^32 (RFC 9293 3.4). */
export function seqLt(a: number, b: number): boolean { return ((a - b) | 0) < 0; }
export function seqLe(a: number, b: number): boolean { return ((a - b) | 0) <= 0; }
export function seqAdd(a: number, n: number): number { return (a + n) >>> 0; }
export function seqDiff(a: number, b: number): number { return (a - b) | 0; }

/** The reply to a segment that matches no connection (RFC 9293 3.10.7.1): RST, never to a RST. */
export function resetFor(s: TcpSegment): TcpSegment | undefined {
  if (s.flags & TCP_RST) return undefined;
  const base = { sourcePort: s.destinationPort, destinationPort: s.sourcePort, window: 0, payload: new Uint8Array(0) };
  if (s.flags & TCP_ACK) return { ...base, seq: s.ack, ack: 0, flags: TCP_RST };
  const length = s.payload.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
  return { ...base, seq: 0, ack: seqAdd(s.seq, length), flags: TCP_RST | TCP_ACK };
}
