/**
 * `-netdev user`: QEMU's user-mode network (libslirp) as a NetBackend. The guest sees a
 * private network (10.0.2.0/24 by default) with a gateway that is also the host (10.0.2.2,
 * MAC 52:55:0a:00:02:02), a DNS relay (10.0.2.3) and a DHCP server handing out addresses from
 * 10.0.2.15. Its TCP connections and UDP datagrams leave through ordinary host sockets: to the
 * gateway or any other address of the virtual network they go to the host's loopback, to the
 * DNS address to the host's resolver, elsewhere to that address. Host forwarding rules carry
 * host connections and datagrams in to a guest port. restrict=on keeps the guest from reaching
 * out (only forwarded traffic and the virtual hosts' own services remain).
 *
 * One file per layer: ethernet, arp, ipv4, icmp, udp, tcp (+ tcp-connection), dhcp; the host
 * is reached only through UserNetHost (host.ts), so this runs anywhere.
 */
import type { NetBackend } from "../backend.js";
import {
  IPV4_BROADCAST, formatIpv4, isLoopback, parseIpv4 as parseIpv4Text, prefixMask, readIpv4, virtualHostMac, MAC_BROADCAST,
  type Ipv4, type Mac,
} from "./addresses.js";
import { ARP_REPLY, ARP_REQUEST, ArpTable, buildArp, parseArp } from "./arp.js";
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DhcpServer } from "./dhcp.js";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, buildEthernet, parseEthernet } from "./ethernet.js";
import type { HostTcpConnection, HostTcpListener, HostTimer, HostUdpSocket, UserNetHost } from "./host.js";
import { ICMP_ECHO_REQUEST, UNREACHABLE_HOST, echoReply, unreachable, validIcmp } from "./icmp.js";
import { ICMP_TTL, Ipv4Sender, PROTOCOL_ICMP, PROTOCOL_TCP, PROTOCOL_UDP, TOS_LOW_DELAY, parseIpv4, type Ipv4HeaderOptions, type Ipv4Packet } from "./ipv4.js";
import { TCP_ACK, TCP_SYN, buildTcp, parseTcp, resetFor, type TcpSegment } from "./tcp.js";
import { TcpConnection, type TcpEndpoints, type TcpLink } from "./tcp-connection.js";
import { buildUdp, parseUdp } from "./udp.js";

export interface HostForward {
  protocol: "tcp" | "udp";
  /** Dotted IPv4 to bind on the host; "" binds every address (QEMU's default). */
  hostAddress: string;
  hostPort: number;
  /** 0: the first DHCP address (libslirp's default guest address). */
  guestAddress: Ipv4;
  guestPort: number;
  /** The rule as written, for error messages. */
  rule: string;
}

export interface UserNetConfig {
  network: Ipv4;
  netmask: Ipv4;
  /** The gateway and host alias (host=). */
  host: Ipv4;
  /** The DNS relay (dns=). */
  dns: Ipv4;
  /** The first address DHCP hands out (dhcpstart=). */
  dhcpStart: Ipv4;
  restricted: boolean;
  hostname?: string;
  domainName?: string;
  hostForwards: HostForward[];
}

/** QEMU's defaults: 10.0.2.0/24, host .2, DNS .3, DHCP from .15. */
export function defaultUserNetConfig(): UserNetConfig {
  const network = parseIpv4Text("10.0.2.0")!;
  return { network, netmask: prefixMask(24), host: network + 2, dns: network + 3, dhcpStart: network + 15, restricted: false, hostForwards: [] };
}

/** libslirp's UDP socket lifetimes: SO_EXPIRE, and SO_EXPIREFAST for DNS. */
const UDP_IDLE_MS = 240_000;
const UDP_DNS_IDLE_MS = 10_000;
/** Datagrams held for an address being resolved by ARP. */
const ARP_QUEUE_LIMIT = 64;

/** One guest UDP port's host socket; replies come back to the guest port from where it last sent. */
interface UdpBinding {
  socket: HostUdpSocket;
  guestAddress: Ipv4;
  guestPort: number;
  lastDestination: Ipv4;
  /** Host forwarding sockets stay for the life of the network. */
  forwarded: boolean;
  idle?: HostTimer;
}

export class UserNetwork implements NetBackend {
  deliverToGuest?: (frame: Uint8Array) => void;
  private readonly hostMac: Mac;
  private readonly arp = new ArpTable();
  private readonly awaitingArp = new Map<Ipv4, Uint8Array[]>();
  private readonly ip = new Ipv4Sender();
  private readonly dhcp: DhcpServer;
  private readonly tcp = new Map<string, TcpConnection>();
  private readonly udp = new Map<string, UdpBinding>();
  private readonly listeners: HostTcpListener[] = [];
  private readonly tcpLink: TcpLink;
  private closed = false;
  /**
   * Settles when every host forwarding rule is bound; rejects with QEMU's message for the
   * first rule that cannot be ("Could not set up host forwarding rule 'tcp::22-:22'").
   */
  readonly ready: Promise<void>;
  private pendingSetups = 0;
  private setupDone: (error?: Error) => void = () => {};

  constructor(readonly config: UserNetConfig, private readonly host: UserNetHost) {
    this.hostMac = virtualHostMac(config.host);
    this.dhcp = new DhcpServer({
      server: config.host, netmask: config.netmask, dns: config.dns, firstAddress: config.dhcpStart,
      restricted: config.restricted, hostname: config.hostname, domainName: config.domainName,
    });
    this.tcpLink = {
      send: (e, s) => this.sendIp(PROTOCOL_TCP, e.remoteAddress, e.guestAddress, buildTcp(e.remoteAddress, e.guestAddress, s)),
      unreachable: (d) => this.sendUnreachable(UNREACHABLE_HOST, d),
      setTimer: (ms, fire) => host.setTimer(ms, fire),
      removed: (c) => { if (this.tcp.get(tcpKey(c.endpoints)) === c) this.tcp.delete(tcpKey(c.endpoints)); },
    };
    this.ready = new Promise<void>((resolve, reject) => { this.setupDone = (e) => (e ? reject(e) : resolve()); });
    this.ready.catch(() => {}); // a caller that never waits must not see an unhandled rejection
    // As QEMU, the first rule (in the order given) that cannot be set up is the one reported.
    this.pendingSetups = config.hostForwards.length;
    const failed: boolean[] = [];
    config.hostForwards.forEach((f, i) => {
      this.addHostForward(f, (error) => {
        failed[i] = error !== undefined;
        if (--this.pendingSetups > 0) return;
        const first = config.hostForwards.findIndex((_, j) => failed[j]);
        this.setupDone(first < 0 ? undefined : new Error(`Could not set up host forwarding rule '${config.hostForwards[first].rule}'`));
      });
    });
    if (config.hostForwards.length === 0) this.setupDone();
  }

  sendFromGuest(frame: Uint8Array): void {
    if (this.closed) return;
    const eth = parseEthernet(frame);
    if (!eth) return;
    if (eth.etherType === ETHERTYPE_ARP) this.arpInput(eth.payload);
    else if (eth.etherType === ETHERTYPE_IPV4) {
      const packet = parseIpv4(eth.payload);
      if (!packet) return;
      if (this.inNetwork(packet.source) && packet.source !== this.config.host && packet.source !== this.config.dns) this.arp.learn(packet.source, eth.source);
      this.ipInput(packet);
    }
    // IPv6 and other protocols: not served (ipv6= is accepted but the stack is IPv4 only).
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.tcp.values()]) c.close();
    for (const b of this.udp.values()) { b.idle?.cancel(); b.socket.close(); }
    this.udp.clear();
    for (const l of this.listeners) l.close();
  }

  private inNetwork(addr: Ipv4): boolean {
    return ((addr & this.config.netmask) >>> 0) === this.config.network;
  }

  private networkBroadcast(): Ipv4 {
    return (this.config.network | ~this.config.netmask) >>> 0;
  }

  // ---- ARP (RFC 826): the virtual hosts answer for themselves, as libslirp's arp_input.

  private arpInput(payload: Uint8Array): void {
    const m = parseArp(payload);
    if (!m) return;
    if (m.operation === ARP_REQUEST) {
      if (this.inNetwork(m.senderIp)) this.arp.learn(m.senderIp, m.senderMac);
      if (m.targetIp !== this.config.host && m.targetIp !== this.config.dns) return;
      const reply = buildArp({ operation: ARP_REPLY, senderMac: virtualHostMac(m.targetIp), senderIp: m.targetIp, targetMac: m.senderMac, targetIp: m.senderIp });
      this.deliver(buildEthernet(m.senderMac, virtualHostMac(m.targetIp), ETHERTYPE_ARP, padArp(reply)));
    } else if (m.operation === ARP_REPLY) {
      this.arp.learn(m.senderIp, m.senderMac);
      const waiting = this.awaitingArp.get(m.senderIp);
      if (waiting) {
        this.awaitingArp.delete(m.senderIp);
        for (const p of waiting) this.deliver(buildEthernet(m.senderMac, this.hostMac, ETHERTYPE_IPV4, p));
      }
    }
  }

  private deliver(frame: Uint8Array): void {
    if (!this.closed) this.deliverToGuest?.(frame);
  }

  /** An IPv4 datagram to the guest: to its MAC when known, else held while ARP asks for it. */
  private sendIp(protocol: number, source: Ipv4, destination: Ipv4, payload: Uint8Array, header: Ipv4HeaderOptions = {}): void {
    if (this.closed) return;
    const packet = this.ip.build(protocol, source, destination, payload, protocol === PROTOCOL_ICMP ? { ttl: ICMP_TTL, ...header } : header);
    if (destination === IPV4_BROADCAST || destination === this.networkBroadcast()) {
      this.deliver(buildEthernet(MAC_BROADCAST, this.hostMac, ETHERTYPE_IPV4, packet));
      return;
    }
    const mac = this.arp.lookup(destination);
    if (mac) { this.deliver(buildEthernet(mac, this.hostMac, ETHERTYPE_IPV4, packet)); return; }
    let waiting = this.awaitingArp.get(destination);
    if (!waiting) this.awaitingArp.set(destination, waiting = []);
    if (waiting.length < ARP_QUEUE_LIMIT) waiting.push(packet);
    const request = buildArp({ operation: ARP_REQUEST, senderMac: this.hostMac, senderIp: this.config.host, targetMac: new Uint8Array(6), targetIp: destination });
    this.deliver(buildEthernet(MAC_BROADCAST, this.hostMac, ETHERTYPE_ARP, padArp(request)));
  }

  private sendUnreachable(code: number, datagram: Uint8Array): void {
    // From the address the guest could not reach, to the guest that sent the datagram.
    this.sendIp(PROTOCOL_ICMP, readIpv4(datagram, 16), readIpv4(datagram, 12), unreachable(code, datagram));
  }

  // ---- IPv4 (RFC 791)

  private ipInput(p: Ipv4Packet): void {
    // libslirp reassembles fragments; a guest on a 1500-byte link with path MTU discovery sends none, so they are dropped.
    if (p.fragment) return;
    if (p.protocol === PROTOCOL_UDP) this.udpInput(p);
    else if (p.protocol === PROTOCOL_TCP) this.tcpInput(p);
    else if (p.protocol === PROTOCOL_ICMP) this.icmpInput(p);
  }

  /**
   * Where a guest's destination is on the host (libslirp's sotranslate_out): the virtual
   * network's addresses are the host's loopback, the DNS address is the host's resolver.
   */
  private hostAddressFor(destination: Ipv4): string {
    if (!this.inNetwork(destination)) return formatIpv4(destination);
    if (destination === this.config.dns) return this.host.dnsServer() ?? "127.0.0.1";
    return "127.0.0.1";
  }

  // ---- ICMP (RFC 792): the gateway and the DNS address answer pings.

  private icmpInput(p: Ipv4Packet): void {
    if (!validIcmp(p.payload)) return;
    if (p.payload[0] !== ICMP_ECHO_REQUEST) return;
    // Other destinations would need an ICMP socket on the host, which is not portable: they go unanswered.
    if (p.destination === this.config.host || p.destination === this.config.dns) {
      this.sendIp(PROTOCOL_ICMP, p.destination, p.source, echoReply(p.payload), { tos: p.tos, dontFragment: p.dontFragment });
    }
  }

  // ---- UDP (RFC 768): DHCP here, the rest relayed through a host socket per guest port.

  private udpInput(p: Ipv4Packet): void {
    const d = parseUdp(p.payload, p.source, p.destination);
    if (!d) return;
    if (d.destinationPort === DHCP_SERVER_PORT && (p.destination === IPV4_BROADCAST || p.destination === this.config.host)) {
      const reply = this.dhcp.handle(d.payload);
      if (!reply) return;
      if (reply.address !== undefined) this.arp.learn(reply.address, reply.client);
      this.sendIp(PROTOCOL_UDP, this.config.host, IPV4_BROADCAST, buildUdp(this.config.host, DHCP_SERVER_PORT, IPV4_BROADCAST, DHCP_CLIENT_PORT, reply.message),
        { tos: TOS_LOW_DELAY });
      return;
    }
    if (p.destination === IPV4_BROADCAST || isMulticast(p.destination) || p.source === 0) return;
    const key = `${p.source}:${d.sourcePort}`;
    let binding = this.udp.get(key);
    if (!binding) {
      if (this.config.restricted) return; // restrict=on: no new way out; forwarded ports' replies still pass
      const guestAddress = p.source, guestPort = d.sourcePort;
      const created: UdpBinding = {
        guestAddress, guestPort, lastDestination: p.destination, forwarded: false,
        socket: this.host.openUdp((bytes, address, port) => this.udpFromHost(created, bytes, address, port)),
      };
      this.udp.set(key, binding = created);
    }
    binding.lastDestination = p.destination;
    binding.socket.send(d.payload.slice(), this.hostAddressFor(p.destination), d.destinationPort);
    this.touch(binding, key, d.destinationPort === 53 ? UDP_DNS_IDLE_MS : UDP_IDLE_MS);
  }

  /** Idle UDP bindings are closed as libslirp expires its sockets. */
  private touch(binding: UdpBinding, key: string, idleMs: number): void {
    if (binding.forwarded) return;
    binding.idle?.cancel();
    binding.idle = this.host.setTimer(idleMs, () => {
      if (this.udp.get(key) !== binding) return;
      this.udp.delete(key);
      binding.socket.close();
    });
  }

  /**
   * A datagram from the host for a guest port. Its source as the guest sees it follows
   * libslirp's sotranslate_in: replies to a virtual-network address come from that address
   * (the host's loopback shows as the gateway, the resolver as the DNS address).
   */
  private udpFromHost(binding: UdpBinding, bytes: Uint8Array, address: string, port: number): void {
    let source = parseIpv4Text(address);
    if (source === undefined) return;
    const last = binding.lastDestination;
    if (this.inNetwork(last)) {
      if (last === this.networkBroadcast()) source = this.config.host;
      else if (isLoopback(source) || last !== this.config.host) source = last;
    } else if (isLoopback(source)) {
      source = this.config.host;
    }
    this.sendIp(PROTOCOL_UDP, source, binding.guestAddress, buildUdp(source, port, binding.guestAddress, binding.guestPort, bytes));
  }

  // ---- TCP (RFC 9293)

  private tcpInput(p: Ipv4Packet): void {
    const s = parseTcp(p.payload, p.source, p.destination);
    if (!s) return;
    const endpoints: TcpEndpoints = { guestAddress: p.source, guestPort: s.sourcePort, remoteAddress: p.destination, remotePort: s.destinationPort };
    const key = tcpKey(endpoints);
    const existing = this.tcp.get(key);
    if (existing) { existing.receive(s); return; }
    if ((s.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      // libslirp's tcp_input drops a SYN under restrict=on (unless a guestfwd matches) without a word.
      if (this.config.restricted) return;
      if (p.destination === IPV4_BROADCAST || p.destination === this.networkBroadcast() || isMulticast(p.destination) || p.source === 0) return;
      const host = this.host.connectTcp(this.hostAddressFor(p.destination), s.destinationPort);
      const c = TcpConnection.fromGuest(this.tcpLink, endpoints, s, host, p.datagram);
      if (!c.closed) this.tcp.set(key, c);
      return;
    }
    this.sendReset(endpoints, s);
  }

  private sendReset(e: TcpEndpoints, s: TcpSegment): void {
    const reply = resetFor(s);
    if (reply) this.sendIp(PROTOCOL_TCP, e.remoteAddress, e.guestAddress, buildTcp(e.remoteAddress, e.guestAddress, reply));
  }

  // ---- Host forwarding (hostfwd=)

  private addHostForward(f: HostForward, settled: (error?: string) => void): void {
    const guestAddress = f.guestAddress || this.config.dhcpStart;
    const bindAddress = f.hostAddress || "0.0.0.0";
    if (f.protocol === "tcp") {
      this.listeners.push(this.host.listenTcp(bindAddress, f.hostPort, (connection, peerAddress, peerPort) => {
        this.acceptForwarded(connection, peerAddress, peerPort, guestAddress, f.guestPort);
      }, settled));
      return;
    }
    const key = `${guestAddress}:${f.guestPort}`;
    // Datagrams to the forwarded port reach the guest from their sender; the guest's replies from that port go back through it.
    const binding: UdpBinding = {
      guestAddress, guestPort: f.guestPort, lastDestination: this.config.host, forwarded: true,
      socket: this.host.openUdp((bytes, address, port) => {
        const source = parseIpv4Text(address);
        if (source === undefined) return;
        binding.lastDestination = isLoopback(source) ? this.config.host : source;
        this.udpFromHost(binding, bytes, address, port);
      }, { address: bindAddress, port: f.hostPort }, settled),
    };
    this.udp.set(key, binding);
  }

  private acceptForwarded(connection: HostTcpConnection, peerAddress: string, peerPort: number, guestAddress: Ipv4, guestPort: number): void {
    const peer = parseIpv4Text(peerAddress.replace(/^::ffff:/, ""));
    // libslirp shows a connection from the host's loopback as coming from the gateway.
    const remoteAddress = peer === undefined || isLoopback(peer) ? this.config.host : peer;
    const endpoints: TcpEndpoints = { guestAddress, guestPort, remoteAddress, remotePort: peerPort };
    const key = tcpKey(endpoints);
    if (this.closed || this.tcp.has(key)) { connection.destroy(); return; }
    const c = TcpConnection.toGuest(this.tcpLink, endpoints, connection);
    this.tcp.set(key, c);
    c.open();
  }
}

/** libslirp sends its ARP frames padded to 64 bytes, the Ethernet minimum with the FCS room. */
function padArp(message: Uint8Array): Uint8Array {
  const padded = new Uint8Array(64 - 14);
  padded.set(message);
  return padded;
}

/** 224.0.0.0/4: group traffic (mDNS, SSDP) stays on the virtual network instead of reaching the host's. */
function isMulticast(addr: Ipv4): boolean {
  return addr >>> 28 === 0xe;
}

function tcpKey(e: TcpEndpoints): string {
  return `${e.guestAddress}:${e.guestPort}>${e.remoteAddress}:${e.remotePort}`;
}

