/** IPv4 datagrams (RFC 791): header parsing with its checks, and the header the stack sends with. */
import { readIpv4, writeIpv4, type Ipv4 } from "./addresses.js";
import { internetChecksum } from "./checksum.js";

export const PROTOCOL_ICMP = 1;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;
export const IPV4_HEADER = 20;
/** libslirp's IPDEFTTL, for what it relays and serves. */
const DEFAULT_TTL = 64;
/** libslirp's MAXTTL: its ICMP replies and errors (icmp_reflect, icmp_send_error) go out with 255. */
export const ICMP_TTL = 255;

export interface Ipv4Packet {
  protocol: number;
  source: Ipv4;
  destination: Ipv4;
  ttl: number;
  /** The whole datagram as received (header included), up to its total length. */
  datagram: Uint8Array;
  /** Bytes after the header (and options). */
  payload: Uint8Array;
  /** True when this is one fragment of a larger datagram. */
  fragment: boolean;
  tos: number;
  dontFragment: boolean;
}

/**
 * A datagram from the guest, or undefined when it is malformed: wrong version, a header shorter
 * than 20 bytes, a total length past the frame, or a bad header checksum (RFC 791 3.1; libslirp's
 * ip_input drops these the same way). Ethernet padding after the total length is cut off.
 */
export function parseIpv4(packet: Uint8Array): Ipv4Packet | undefined {
  if (packet.length < IPV4_HEADER || packet[0] >> 4 !== 4) return undefined;
  const headerLength = (packet[0] & 15) * 4;
  const totalLength = (packet[2] << 8) | packet[3];
  if (headerLength < IPV4_HEADER || totalLength < headerLength || totalLength > packet.length) return undefined;
  if (internetChecksum(packet, 0, headerLength) !== 0) return undefined;
  const flagsOffset = (packet[6] << 8) | packet[7];
  return {
    protocol: packet[9],
    source: readIpv4(packet, 12),
    destination: readIpv4(packet, 16),
    ttl: packet[8],
    datagram: packet.subarray(0, totalLength),
    payload: packet.subarray(headerLength, totalLength),
    fragment: (flagsOffset & 0x3fff) !== 0, // MF set or a non-zero offset
    tos: packet[1],
    dontFragment: (flagsOffset & 0x4000) !== 0,
  };
}

export interface Ipv4HeaderOptions {
  ttl?: number;
  /** Type of service: libslirp sends its DHCP replies with IPTOS_LOWDELAY (0x10). */
  tos?: number;
  /** DF: an echo reply keeps the request's, as libslirp's icmp_reflect turns the request around. */
  dontFragment?: boolean;
}

/** libslirp's IPTOS_LOWDELAY. */
export const TOS_LOW_DELAY = 0x10;

/** Builds the datagrams the stack sends: no options, TTL 64 unless told, the identification counting up. */
export class Ipv4Sender {
  private identification = 0;

  build(protocol: number, source: Ipv4, destination: Ipv4, payload: Uint8Array, header: Ipv4HeaderOptions = {}): Uint8Array {
    const packet = new Uint8Array(IPV4_HEADER + payload.length);
    packet[0] = 0x45;
    packet[2] = packet.length >> 8; packet[3] = packet.length;
    const id = this.identification;
    this.identification = (this.identification + 1) & 0xffff;
    packet[4] = id >> 8; packet[5] = id;
    packet[1] = header.tos ?? 0;
    if (header.dontFragment) packet[6] = 0x40;
    packet[8] = header.ttl ?? DEFAULT_TTL;
    packet[9] = protocol;
    writeIpv4(packet, 12, source);
    writeIpv4(packet, 16, destination);
    const sum = internetChecksum(packet, 0, IPV4_HEADER);
    packet[10] = sum >> 8; packet[11] = sum;
    packet.set(payload, IPV4_HEADER);
    return packet;
  }
}
