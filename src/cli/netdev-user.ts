/**
 * `-netdev user,...`: QEMU 7.2's options for the user-mode network (net/slirp.c), checked in
 * its order and refused with its words:
 *   id=ID  net=ADDR[/MASK]  host=ADDR  dhcpstart=ADDR  dns=ADDR  restrict=on|off
 *   hostname=NAME  domainname=NAME  ipv4=on|off  ipv6=on|off (accepted; the stack is IPv4 only)
 *   hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT   (repeatable)
 * Addresses are read as inet_aton reads them; a net= without a mask gets its classful mask.
 */
import { parseIpv4, prefixMask, type Ipv4 } from "../net/user/addresses.js";
import type { NetBackend } from "../net/backend.js";
import { defaultUserNetConfig, UserNetwork, type HostForward, type UserNetConfig } from "../net/user/user-network.js";
import { UsageError } from "./args.js";
import { NodeUserNetHost } from "./user-net-host.js";

export interface UserNetdevArg {
  id: string;
  config: UserNetConfig;
}

/** QEMU options of -netdev user that this stack does not provide (TFTP, SMB, guestfwd, IPv6 addressing). */
const UNSUPPORTED = new Set(["tftp", "bootfile", "tftp-server-name", "smb", "smbserver", "guestfwd", "dnssearch", "domainname-search",
  "ipv6-net", "ipv6-prefix", "ipv6-prefixlen", "ipv6-host", "ipv6-dns", "vhostname", "ipv6-dhcp"]);

/** strtol(text, &end, 0) that must consume everything: decimal, 0x hex or 0 octal; "" is 0 as strtol makes it. */
function cNumber(text: string): number | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?$/.exec(text);
  if (!m) return undefined;
  const digits = m[2] ?? "0";
  const v = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits[0] === "0" ? parseInt(digits, 8) : parseInt(digits, 10);
  return m[1] === "-" ? -v : v;
}

/** One hostfwd= rule, or QEMU's "Invalid host forwarding rule 'R' (reason)". */
export function parseHostForward(rule: string): HostForward {
  const bad = (reason: string) => new UsageError(`Invalid host forwarding rule '${rule}' (${reason})`);
  let rest = rule;
  const take = (separator: string): string | undefined => {
    const i = rest.indexOf(separator);
    if (i < 0) return undefined;
    const part = rest.slice(0, i);
    rest = rest.slice(i + 1);
    return part;
  };
  const protocolText = take(":");
  if (protocolText === undefined) throw bad("No : separators");
  let protocol: "tcp" | "udp";
  if (protocolText === "tcp" || protocolText === "") protocol = "tcp";
  else if (protocolText === "udp") protocol = "udp";
  else throw bad("Bad protocol name");
  const hostText = take(":");
  if (hostText === undefined) throw bad("Missing : separator");
  const hostAddress = hostText === "" ? 0 : parseIpv4(hostText);
  if (hostAddress === undefined) throw bad("Bad host address");
  const hostPortText = take("-");
  if (hostPortText === undefined) throw bad("Bad host port separator");
  const hostPort = cNumber(hostPortText);
  if (hostPort === undefined || hostPort < 0 || hostPort > 65535) throw bad("Bad host port");
  const guestText = take(":");
  if (guestText === undefined) throw bad("Missing guest address");
  const guestAddress = guestText === "" ? 0 : parseIpv4(guestText);
  if (guestAddress === undefined) throw bad("Bad guest address");
  const guestPort = cNumber(rest);
  if (guestPort === undefined || guestPort < 1 || guestPort > 65535) throw bad("Bad guest port");
  const dotted = (a: Ipv4) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  return { protocol, hostAddress: hostText === "" ? "" : dotted(hostAddress), hostPort, guestAddress, guestPort, rule };
}

/** QEMU's mask for a net= without one: the address's class, or the private block it is in. */
function classfulMask(net: Ipv4): Ipv4 {
  if (!(net & 0x80000000)) return 0xff000000; // class A
  if ((net & 0xfff00000) >>> 0 === 0xac100000) return 0xfff00000; // 172.16.0.0/12
  if ((net & 0xc0000000) >>> 0 === 0x80000000) return 0xffff0000; // class B
  if ((net & 0xffff0000) >>> 0 === 0xc0a80000) return 0xffff0000; // 192.168.0.0/16
  if ((net & 0xffff0000) >>> 0 === 0xc6120000) return 0xfffe0000; // 198.18.0.0/15
  if ((net & 0xe0000000) >>> 0 === 0xc0000000) return 0xffffff00; // class C
  return 0xfffffff0;
}

function onOff(key: string, v: string): boolean {
  if (v === "on" || v === "yes" || v === "true") return true;
  if (v === "off" || v === "no" || v === "false") return false;
  throw new UsageError(`Parameter '${key}' expects 'on' or 'off'`);
}

/** Split QEMU's key=value list, keeping repeats in order; ",," is a literal comma. */
function keyValueList(text: string): [string, string][] {
  const out: [string, string][] = [];
  const parts = text.split(/,(?!,)/).map((p) => p.replace(/,,/g, ","));
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (i === 0) { out.push(["type", part]); continue; }
      throw new UsageError(`Invalid parameter '${part}'`);
    }
    out.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

/** Parse the value of `-netdev user,...`; errors read "-netdev TEXT: message" as QEMU's do. */
export function parseUserNetdev(text: string): UserNetdevArg {
  try {
    return parseUserNetdevOptions(text);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`-netdev ${text}: ${e.message}`);
    throw e;
  }
}

function parseUserNetdevOptions(text: string): UserNetdevArg {
  const kv = keyValueList(text);
  const single = new Map<string, string>();
  const forwards: string[] = [];
  for (const [key, v] of kv) {
    if (key === "hostfwd") forwards.push(v);
    else if (["type", "id", "net", "host", "dhcpstart", "dns", "restrict", "hostname", "domainname", "ipv4", "ipv6"].includes(key)) single.set(key, v);
    else if (UNSUPPORTED.has(key)) throw new UsageError(`'${key}' is not supported by this user network (supported: id, net, host, dhcpstart, dns, restrict, hostname, domainname, ipv4, ipv6, hostfwd)`);
    else throw new UsageError(`Invalid parameter '${key}'`);
  }
  if (single.get("type") !== "user") throw new UsageError(`not a user netdev`);
  const id = single.get("id");
  if (id === undefined) throw new UsageError("Parameter 'id' is missing");
  const ipv4 = single.has("ipv4") ? onOff("ipv4", single.get("ipv4")!) : true;
  const ipv6 = single.has("ipv6") ? onOff("ipv6", single.get("ipv6")!) : true;
  const restricted = single.has("restrict") ? onOff("restrict", single.get("restrict")!) : false;
  if (!ipv4 && !ipv6) throw new UsageError("IPv4 and IPv6 disabled");
  if (!ipv4) throw new UsageError("ipv4=off is not supported (the user network here is IPv4 only)");

  const config = defaultUserNetConfig();
  let { network, netmask, host, dns, dhcpStart } = config;
  const net = single.get("net");
  if (net !== undefined) {
    const slash = net.indexOf("/");
    if (slash < 0) {
      const a = parseIpv4(net);
      if (a === undefined) throw new UsageError("Failed to parse netmask");
      network = a;
      netmask = classfulMask(a);
    } else {
      const a = parseIpv4(net.slice(0, slash));
      if (a === undefined) throw new UsageError("Failed to parse netmask");
      network = a;
      const maskText = net.slice(slash + 1);
      const shift = /^\d*$/.test(maskText) ? Number(maskText || "0") : undefined;
      if (shift === undefined) {
        const m = parseIpv4(maskText);
        if (m === undefined) throw new UsageError("Failed to parse netmask (trailing chars)");
        netmask = m;
      } else if (shift < 4 || shift > 32) {
        throw new UsageError("Invalid netmask provided (must be in range 4-32)");
      } else {
        netmask = prefixMask(shift);
      }
    }
    network = (network & netmask) >>> 0;
    const inNet = (low: number) => (network | (low & ~netmask)) >>> 0;
    host = inNet(0x0202); dhcpStart = inNet(0x020f); dns = inNet(0x0203);
  }
  const hostText = single.get("host");
  if (hostText !== undefined) {
    const a = parseIpv4(hostText);
    if (a === undefined) throw new UsageError("Failed to parse host");
    host = a;
  }
  if (((host & netmask) >>> 0) !== network) throw new UsageError("Host doesn't belong to network");
  const dnsText = single.get("dns");
  if (dnsText !== undefined) {
    const a = parseIpv4(dnsText);
    if (a === undefined) throw new UsageError("Failed to parse DNS");
    dns = a;
  }
  if (dns === host) throw new UsageError("DNS must be different from host");
  const dhcpText = single.get("dhcpstart");
  if (dhcpText !== undefined) {
    const a = parseIpv4(dhcpText);
    if (a === undefined) throw new UsageError("Failed to parse DHCP start address");
    dhcpStart = a;
  }
  if (((dhcpStart & netmask) >>> 0) !== network) throw new UsageError("DHCP doesn't belong to network");
  if (dhcpStart === host || dhcpStart === dns) throw new UsageError("DHCP must be different from host and DNS");

  const hostForwards = forwards.map(parseHostForward);
  return {
    id,
    config: {
      ...config, network, netmask, host, dns, dhcpStart, restricted, hostForwards,
      hostname: single.get("hostname") || undefined, domainName: single.get("domainname") || undefined,
    },
  };
}

/** Start a user network on this host; a forwarding rule that cannot be bound is the user's one-line error, as in QEMU. */
export async function openUserNetdev(n: { config: UserNetConfig; option: string }): Promise<NetBackend> {
  const net = new UserNetwork(n.config, new NodeUserNetHost());
  try {
    await net.ready;
  } catch (e) {
    net.close();
    throw new UsageError(`${n.option}: ${(e as Error).message}`);
  }
  return net;
}
