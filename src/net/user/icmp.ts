/** ICMP for IPv4 (RFC 792): echo replies and the destination-unreachable errors the stack sends. */
import { internetChecksum } from "./checksum.js";

export const ICMP_ECHO_REPLY = 0;
export const ICMP_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const UNREACHABLE_NET = 0;
export const UNREACHABLE_HOST = 1;
export const UNREACHABLE_PORT = 3;

export function validIcmp(message: Uint8Array): boolean {
  return message.length >= 8 && internetChecksum(message) === 0;
}

/** The reply to an echo request: the same identifier, sequence and data, type 0 (RFC 792 "Echo"). */
export function echoReply(request: Uint8Array): Uint8Array {
  const reply = request.slice();
  reply[0] = ICMP_ECHO_REPLY;
  reply[2] = 0; reply[3] = 0;
  const sum = internetChecksum(reply);
  reply[2] = sum >> 8; reply[3] = sum;
  return reply;
}

/**
 * Destination unreachable: the offending datagram's header and first 8 bytes of its payload
 * follow the ICMP header (RFC 792), as libslirp's icmp_send_error quotes them.
 */
export function unreachable(code: number, offending: Uint8Array): Uint8Array {
  const headerLength = (offending[0] & 15) * 4;
  const quoted = offending.subarray(0, Math.min(offending.length, headerLength + 8));
  const message = new Uint8Array(8 + quoted.length);
  message[0] = ICMP_UNREACHABLE;
  message[1] = code;
  message.set(quoted, 8);
  const sum = internetChecksum(message);
  message[2] = sum >> 8; message[3] = sum;
  return message;
}
