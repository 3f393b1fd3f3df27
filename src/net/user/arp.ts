/** ARP for IPv4 over Ethernet (RFC 826): the messages, and the table of the guest's addresses. */
import { readIpv4, writeIpv4, type Ipv4, type Mac } from "./addresses.js";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;
export const ARP_LENGTH = 28;

export interface ArpMessage {
  operation: number;
  senderMac: Mac;
  senderIp: Ipv4;
  targetMac: Mac;
  targetIp: Ipv4;
}

/** Only Ethernet/IPv4 ARP; anything else (or a short packet) is not ours to answer. */
export function parseArp(packet: Uint8Array): ArpMessage | undefined {
  if (packet.length < ARP_LENGTH) return undefined;
  const htype = (packet[0] << 8) | packet[1], ptype = (packet[2] << 8) | packet[3];
  if (htype !== HTYPE_ETHERNET || ptype !== PTYPE_IPV4 || packet[4] !== 6 || packet[5] !== 4) return undefined;
  return {
    operation: (packet[6] << 8) | packet[7],
    senderMac: packet.slice(8, 14),
    senderIp: readIpv4(packet, 14),
    targetMac: packet.slice(18, 24),
    targetIp: readIpv4(packet, 24),
  };
}

export function buildArp(m: ArpMessage): Uint8Array {
  const p = new Uint8Array(ARP_LENGTH);
  p[1] = HTYPE_ETHERNET; p[2] = PTYPE_IPV4 >> 8; p[4] = 6; p[5] = 4;
  p[7] = m.operation;
  p.set(m.senderMac, 8); writeIpv4(p, 14, m.senderIp);
  p.set(m.targetMac, 18); writeIpv4(p, 24, m.targetIp);
  return p;
}

/**
 * Where the guest's addresses live. libslirp keeps a small table filled from the guest's ARP
 * traffic and from DHCP; the oldest entry goes when it is full.
 */
export class ArpTable {
  private readonly entries = new Map<Ipv4, Mac>();
  constructor(private readonly capacity = 16) {}

  learn(ip: Ipv4, mac: Mac): void {
    if (ip === 0 || ip === 0xffffffff) return;
    this.entries.delete(ip);
    this.entries.set(ip, mac.slice(0, 6));
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  lookup(ip: Ipv4): Mac | undefined {
    return this.entries.get(ip);
  }
}
