/**
 * The DHCP server of the user network (RFC 2131 messages, RFC 2132 options), answering as
 * libslirp's bootp.c does: up to 16 clients leased addresses from dhcpstart on, one per MAC;
 * DISCOVER gets an OFFER and REQUEST an ACK with server identifier, subnet mask, router and DNS
 * (those two left out under restrict=on), a one-day lease, and the host and domain names when
 * configured; a REQUEST for an address that is not free gets a NAK. Plain BOOTP requests (no
 * message type) are answered like REQUESTs. Replies are 548-byte BOOTP messages, broadcast.
 */
import { readIpv4, writeIpv4, sameMac, type Ipv4, type Mac } from "./addresses.js";

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

const BOOTREQUEST = 1, BOOTREPLY = 2;
const DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPACK = 5, DHCPNAK = 6;
const OPTION_PAD = 0, OPTION_END = 255;
const OPTION_SUBNET_MASK = 1, OPTION_ROUTER = 3, OPTION_DNS = 6, OPTION_HOSTNAME = 12, OPTION_DOMAIN_NAME = 15;
const OPTION_REQUESTED_ADDRESS = 50, OPTION_LEASE_TIME = 51, OPTION_MESSAGE_TYPE = 53, OPTION_SERVER_ID = 54, OPTION_MESSAGE = 56;
const MAGIC_COOKIE = 0x63825363;
/** The fixed BOOTP header before the options (RFC 2131 figure 1), then the cookie. */
const OPTIONS_OFFSET = 240;
/** libslirp's reply: the 236-byte header and a 312-byte options area. */
const REPLY_LENGTH = 548;
/** libslirp's NB_BOOTP_CLIENTS and LEASE_TIME. */
export const DHCP_CLIENTS = 16;
const LEASE_SECONDS = 24 * 3600;

export interface DhcpConfig {
  server: Ipv4;
  netmask: Ipv4;
  dns: Ipv4;
  firstAddress: Ipv4;
  restricted: boolean;
  hostname?: string;
  domainName?: string;
}

export interface DhcpReply {
  /** The BOOTP message, to go from server:67 to 255.255.255.255:68. */
  message: Uint8Array;
  /** The client's MAC and the address it was given (for the ARP table), when one was. */
  client: Mac;
  address?: Ipv4;
}

export class DhcpServer {
  private readonly leases: (Mac | undefined)[] = new Array(DHCP_CLIENTS).fill(undefined);
  constructor(private readonly config: DhcpConfig) {}

  /** The answer to a datagram sent to port 67, or undefined when none is due. */
  handle(request: Uint8Array): DhcpReply | undefined {
    if (request.length < OPTIONS_OFFSET || request[0] !== BOOTREQUEST) return undefined;
    if (request[1] !== 1 || request[2] !== 6) return undefined; // Ethernet hardware addresses only
    const client = request.slice(28, 34);
    const options = readOptions(request);
    let type = options.get(OPTION_MESSAGE_TYPE)?.[0] ?? 0;
    if (type === 0) type = DHCPREQUEST; // BOOTP: answered as libslirp does, with an ACK-style reply
    if (type !== DHCPDISCOVER && type !== DHCPREQUEST) return undefined; // RELEASE, DECLINE, INFORM: ignored
    const requestedOption = options.get(OPTION_REQUESTED_ADDRESS);
    let requested = requestedOption && requestedOption.length >= 4 ? readIpv4(requestedOption, 0) : 0;
    if (type === DHCPREQUEST && requested === 0) requested = readIpv4(request, 12); // renewing: ciaddr
    let address: Ipv4 | undefined;
    if (type === DHCPDISCOVER) {
      address = this.leaseOf(client) ?? this.allocate(client);
      if (address === undefined) return undefined; // pool exhausted: libslirp stays silent
    } else if (requested !== 0) {
      address = this.claim(requested, client);
    } else {
      address = this.leaseOf(client);
    }
    const replyType = type === DHCPDISCOVER ? DHCPOFFER : address === undefined ? DHCPNAK : DHCPACK;
    return { message: this.reply(request, replyType, address ?? 0), client, address };
  }

  private leaseOf(mac: Mac): Ipv4 | undefined {
    const i = this.leases.findIndex((m) => m !== undefined && sameMac(m, mac));
    return i < 0 ? undefined : (this.config.firstAddress + i) >>> 0;
  }

  private allocate(mac: Mac): Ipv4 | undefined {
    const i = this.leases.findIndex((m) => m === undefined);
    if (i < 0) return undefined;
    this.leases[i] = mac;
    return (this.config.firstAddress + i) >>> 0;
  }

  /** A requested address: given when it is in the pool and free or already this client's. */
  private claim(address: Ipv4, mac: Mac): Ipv4 | undefined {
    const i = (address - this.config.firstAddress) >>> 0;
    if (i >= DHCP_CLIENTS) return undefined;
    const holder = this.leases[i];
    if (holder !== undefined && !sameMac(holder, mac)) return undefined;
    const previous = this.leases.findIndex((m) => m !== undefined && sameMac(m, mac));
    if (previous >= 0) this.leases[previous] = undefined;
    this.leases[i] = mac;
    return address;
  }

  private reply(request: Uint8Array, type: number, address: Ipv4): Uint8Array {
    const c = this.config;
    const m = new Uint8Array(REPLY_LENGTH);
    m[0] = BOOTREPLY; m[1] = 1; m[2] = 6;
    m.set(request.subarray(4, 8), 4); // xid
    if (type !== DHCPNAK) {
      writeIpv4(m, 16, address); // yiaddr
      writeIpv4(m, 20, c.server); // siaddr
    }
    m.set(request.subarray(28, 44), 28); // chaddr
    writeIpv4(m, 236, MAGIC_COOKIE);
    let at = OPTIONS_OFFSET;
    const put = (code: number, data: Uint8Array) => {
      if (at + 2 + data.length >= REPLY_LENGTH) return; // no room: left out rather than overflowing
      m[at] = code; m[at + 1] = data.length; m.set(data, at + 2); at += 2 + data.length;
    };
    const ip = (a: Ipv4) => { const b = new Uint8Array(4); writeIpv4(b, 0, a); return b; };
    put(OPTION_MESSAGE_TYPE, new Uint8Array([type]));
    if (type === DHCPNAK) {
      put(OPTION_MESSAGE, new TextEncoder().encode("requested address not available"));
    } else {
      put(OPTION_SERVER_ID, ip(c.server));
      put(OPTION_SUBNET_MASK, ip(c.netmask));
      if (!c.restricted) {
        put(OPTION_ROUTER, ip(c.server));
        put(OPTION_DNS, ip(c.dns));
      }
      put(OPTION_LEASE_TIME, ip(LEASE_SECONDS));
      if (c.hostname) put(OPTION_HOSTNAME, new TextEncoder().encode(c.hostname.slice(0, 255)));
      if (c.domainName) put(OPTION_DOMAIN_NAME, new TextEncoder().encode(c.domainName.slice(0, 255)));
    }
    m[at] = OPTION_END;
    return m;
  }
}

/** The options after the magic cookie (RFC 2132 section 2); a truncated option ends the list. */
function readOptions(message: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (readIpv4(message, 236) !== MAGIC_COOKIE) return out;
  let at = OPTIONS_OFFSET;
  while (at < message.length) {
    const code = message[at];
    if (code === OPTION_END) break;
    if (code === OPTION_PAD) { at++; continue; }
    if (at + 1 >= message.length) break;
    const length = message[at + 1];
    if (at + 2 + length > message.length) break;
    if (!out.has(code)) out.set(code, message.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return out;
}
