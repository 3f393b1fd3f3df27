/** Ethernet II framing (IEEE 802.3, DIX type field): the frames a NIC hands over carry no FCS. */
import type { Mac } from "./addresses.js";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERNET_HEADER = 14;

export interface EthernetFrame {
  destination: Mac;
  source: Mac;
  etherType: number;
  payload: Uint8Array;
}

/** Undefined for a runt that cannot hold a header. */
export function parseEthernet(frame: Uint8Array): EthernetFrame | undefined {
  if (frame.length < ETHERNET_HEADER) return undefined;
  return {
    destination: frame.subarray(0, 6),
    source: frame.subarray(6, 12),
    etherType: (frame[12] << 8) | frame[13],
    payload: frame.subarray(ETHERNET_HEADER),
  };
}

export function buildEthernet(destination: Mac, source: Mac, etherType: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETHERNET_HEADER + payload.length);
  frame.set(destination, 0);
  frame.set(source, 6);
  frame[12] = etherType >> 8; frame[13] = etherType;
  frame.set(payload, ETHERNET_HEADER);
  return frame;
}
