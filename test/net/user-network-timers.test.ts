/**
 * The user network on a scripted host (no sockets, timers fired by hand): the DNS address
 * relayed to the host's resolver and answered from 10.0.2.3, a connect the host cannot make
 * answered with ICMP host unreachable, data the guest never acknowledged sent again when the
 * retransmission timer fires, a closed guest window probed, backpressure on the host socket
 * when the guest does not take data, and the guest's window shrinking while the host is slow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HostTcpConnection, HostTcpEvents, HostTimer, HostUdpSocket, UserNetHost } from "../../src/net/user/host.js";
import { defaultUserNetConfig, UserNetwork } from "../../src/net/user/user-network.js";
import { ACK, PSH, SYN, TestGuest, dotted, icmpChecksum, ip, parseIp, parseTcpPacket, parseUdpPacket } from "./user-net-guest.js";

const GATEWAY = ip("10.0.2.2");

class ScriptedTcp implements HostTcpConnection {
  events?: HostTcpEvents;
  written: Uint8Array[] = [];
  pendingWriteBytes = 0;
  paused = false;
  ended = false;
  destroyed = false;
  constructor(readonly address: string, readonly port: number) {}
  attach(e: HostTcpEvents): void { this.events = e; }
  write(b: Uint8Array): void { this.written.push(b); }
  end(): void { this.ended = true; }
  destroy(): void { this.destroyed = true; }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
}

class ScriptedHost implements UserNetHost {
  tcp: ScriptedTcp[] = [];
  udpSent: { bytes: Uint8Array; address: string; port: number }[] = [];
  udpReceivers: ((bytes: Uint8Array, address: string, port: number) => void)[] = [];
  timers: { ms: number; fire: () => void; cancelled: boolean }[] = [];
  connectTcp(address: string, port: number): HostTcpConnection { const c = new ScriptedTcp(address, port); this.tcp.push(c); return c; }
  listenTcp(): { close(): void } { throw new Error("not used"); }
  openUdp(received: (bytes: Uint8Array, address: string, port: number) => void): HostUdpSocket {
    this.udpReceivers.push(received);
    return { send: (bytes, address, port) => this.udpSent.push({ bytes, address, port }), close: () => {} };
  }
  setTimer(ms: number, fire: () => void): HostTimer { const t = { ms, fire, cancelled: false }; this.timers.push(t); return { cancel: () => { t.cancelled = true; } }; }
  dnsServer(): string { return "192.0.2.53"; }
  /** Fire every live timer once (those they arm wait for the next call). */
  fireTimers(): void { const due = this.timers.filter((t) => !t.cancelled); this.timers = []; for (const t of due) t.fire(); }
}

function setup() {
  const host = new ScriptedHost();
  const net = new UserNetwork(defaultUserNetConfig(), host);
  const guest = new TestGuest(net);
  return { host, net, guest };
}

/** Open a connection from the guest and bring it to ESTABLISHED; the guest's sequence state. */
function established(host: ScriptedHost, guest: TestGuest, window = 65535) {
  guest.sendTcp({ srcPort: 40000, dst: GATEWAY, dstPort: 80, seq: 100, flags: SYN, mss: 1460, window });
  const hostSide = host.tcp.at(-1)!;
  assert.equal(guest.take().length, 0, "no SYN-ACK before the host connects");
  hostSide.events!.connected();
  const [synAckFrame] = guest.take();
  const synAck = parseIp(synAckFrame)!;
  const serverSeq = ((synAck.payload[4] << 24) | (synAck.payload[5] << 16) | (synAck.payload[6] << 8) | synAck.payload[7]) >>> 0;
  const c = { srcPort: 40000, dst: GATEWAY, dstPort: 80, seq: 101, ack: (serverSeq + 1) >>> 0 };
  guest.sendTcp({ ...c, flags: ACK, window });
  return { c, hostSide };
}

const tcpOf = (frame: ReturnType<TestGuest["take"]>[number]) => {
  const p = parseIp(frame)!.payload;
  const hl = (p[12] >> 4) * 4;
  return { seq: ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0, flags: p[13], window: (p[14] << 8) | p[15], data: p.subarray(hl) };
};

test("DNS: a query to 10.0.2.3:53 goes to the host's resolver and the answer comes from 10.0.2.3:53", () => {
  const { host, net, guest } = setup();
  guest.sendUdp(3333, ip("10.0.2.3"), 53, new Uint8Array([1, 2, 3]));
  assert.deepEqual(host.udpSent.map((s) => [s.address, s.port, [...s.bytes]]), [["192.0.2.53", 53, [1, 2, 3]]]);
  host.udpReceivers[0](new Uint8Array([4, 5]), "192.0.2.53", 53);
  const [f] = guest.take();
  const p = parseIp(f)!;
  assert.equal(dotted(p.src), "10.0.2.3");
  assert.equal((p.payload[0] << 8) | p.payload[1], 53);
  assert.equal((p.payload[2] << 8) | p.payload[3], 3333);
  assert.deepEqual([...p.payload.subarray(8)], [4, 5]);
  // Other destinations go where they point; the gateway is the host's loopback.
  guest.sendUdp(3334, ip("198.51.100.7"), 9, new Uint8Array([9]));
  guest.sendUdp(3335, GATEWAY, 9, new Uint8Array([9]));
  guest.sendUdp(3336, ip("224.0.0.251"), 5353, new Uint8Array([9])); // mDNS stays inside
  assert.deepEqual(host.udpSent.slice(1).map((s) => s.address), ["198.51.100.7", "127.0.0.1"]);
  net.close();
});

test("a host that cannot reach the address: the guest's SYN is answered with ICMP host unreachable quoting it", () => {
  const { host, net, guest } = setup();
  guest.sendTcp({ srcPort: 40001, dst: ip("198.51.100.9"), dstPort: 80, seq: 5, flags: SYN });
  assert.equal(host.tcp[0].address, "198.51.100.9");
  host.tcp[0].events!.failed("unreachable", "EHOSTUNREACH");
  const [f] = guest.take();
  const p = parseIp(f)!;
  assert.equal(p.proto, 1);
  assert.equal(dotted(p.src), "198.51.100.9");
  assert.deepEqual([p.payload[0], p.payload[1]], [3, 1], "destination unreachable, host");
  assert.equal(icmpChecksum(p.payload), 0);
  assert.equal(dotted(((p.payload[8 + 16] << 24) | (p.payload[8 + 17] << 16) | (p.payload[8 + 18] << 8) | p.payload[8 + 19]) >>> 0), "198.51.100.9", "the quoted header");
  net.close();
});

test("unacknowledged data is sent again when the retransmission timer fires; the same bytes at the same sequence number", () => {
  const { host, net, guest } = setup();
  const { hostSide } = established(host, guest);
  hostSide.events!.data(new TextEncoder().encode("lost in a full receive queue"));
  const [first] = guest.take().map(tcpOf);
  assert.equal(new TextDecoder().decode(first.data), "lost in a full receive queue");
  host.fireTimers();
  const [again] = guest.take().map(tcpOf);
  assert.ok(again, "a retransmission");
  assert.equal(again.seq, first.seq);
  assert.deepEqual([...again.data], [...first.data]);
  net.close();
});

test("a zero window: data waits, the window is probed, and flows once the guest opens it", () => {
  const { host, net, guest } = setup();
  const { c, hostSide } = established(host, guest, 0);
  hostSide.events!.data(new Uint8Array(100).fill(7));
  assert.equal(guest.take().length, 0, "nothing sent into a zero window");
  host.fireTimers();
  const [probe] = guest.take().map(tcpOf);
  assert.ok(probe, "a window probe");
  assert.equal(probe.data.length, 0);
  assert.equal(probe.seq, (c.ack - 1) >>> 0, "one below SND.UNA, which the guest must answer");
  guest.sendTcp({ ...c, flags: ACK, window: 4096 });
  const [data] = guest.take().map(tcpOf);
  assert.equal(data.data.length, 100);
  assert.ok(data.flags & PSH);
  net.close();
});

test("backpressure: the host socket is paused while the guest does not take data, resumed when it acknowledges", () => {
  const { host, net, guest } = setup();
  const { c, hostSide } = established(host, guest, 1000);
  for (let i = 0; i < 300 && !hostSide.paused; i++) hostSide.events!.data(new Uint8Array(1024));
  assert.ok(hostSide.paused, "paused once the buffer is full");
  const sent = guest.take().map(tcpOf);
  assert.equal(sent.reduce((n, s) => n + s.data.length, 0), 1000, "only the guest's window was sent");
  // The guest takes everything: acknowledge as it arrives, with a large window.
  let ack = c.ack + 1000;
  for (let round = 0; round < 400 && hostSide.paused; round++) {
    guest.sendTcp({ ...c, ack: ack >>> 0, flags: ACK, window: 65535 });
    for (const s of guest.take().map(tcpOf)) ack = s.seq + s.data.length;
  }
  assert.equal(hostSide.paused, false, "resumed");
  net.close();
});

test("a slow host reader shrinks the window the guest sees, and a drain reopens it", () => {
  const { host, net, guest } = setup();
  const { c, hostSide } = established(host, guest);
  hostSide.pendingWriteBytes = 60000;
  guest.sendTcp({ ...c, flags: ACK | PSH, data: new Uint8Array(1000) });
  const [ack] = guest.take().map(tcpOf);
  assert.equal(ack.window, 65535 - 60000, "the window less what the host has not taken");
  assert.equal(hostSide.written.reduce((n, b) => n + b.length, 0), 1000);
  hostSide.pendingWriteBytes = 0;
  hostSide.events!.drained();
  const [update] = guest.take().map(tcpOf);
  assert.equal(update.window, 65535, "a window update");
  net.close();
});

test("hostile segments on an open connection and random DHCP and ARP payloads: no exception, and every frame sent back is well-formed", () => {
  const { host, net, guest } = setup();
  const { c, hostSide } = established(host, guest);
  hostSide.events!.data(new Uint8Array(5000).fill(1));
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
  for (let i = 0; i < 3000; i++) {
    const data = new Uint8Array(rand() % 64).map(() => rand() & 255);
    const near = (base: number) => (base + ((rand() % 4000) - 2000)) >>> 0;
    const pick = rand() % 4;
    if (pick === 0) guest.sendTcp({ ...c, seq: near(c.seq), ack: near(c.ack), flags: rand() & 0x3f, window: rand() & 0xffff, data });
    else if (pick === 1) guest.sendTcp({ srcPort: rand() & 0xffff, dst: GATEWAY, dstPort: rand() & 0xffff, seq: rand(), ack: rand(), flags: rand() & 0x3f, data });
    else if (pick === 2) { const m = new Uint8Array(240 + (rand() % 80)).map(() => rand() & 255); m[0] = 1; m[1] = 1; m[2] = 6; m[236] = 0x63; m[237] = 0x82; m[238] = 0x53; m[239] = 0x63; guest.sendUdp(68, 0xffffffff, 67, m, 0); }
    else guest.sendFrame("ff:ff:ff:ff:ff:ff", 0x0806, new Uint8Array(28 + (rand() % 8)).map(() => rand() & 255));
    if (i % 100 === 0) host.fireTimers();
    for (const f of guest.take()) {
      if (f.type === 0x0800) {
        const p = parseIp(f)!; // throws on a bad header checksum
        assert.ok(p.proto === 1 || p.proto === 6 || p.proto === 17);
        if (p.proto === 1) assert.equal(icmpChecksum(p.payload), 0);
        if (p.proto === 6) parseTcpPacket(p); // throws on a bad checksum
        if (p.proto === 17) parseUdpPacket(p);
      } else {
        assert.equal(f.type, 0x0806);
      }
    }
  }
  net.close();
});
