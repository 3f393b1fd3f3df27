/**
 * The user network (-netdev user) driven with frames from a scripted guest, with real host
 * sockets on 127.0.0.1 behind it: ARP for the virtual hosts, DHCP as libslirp answers it,
 * ping to the gateway, TCP to a host server both ways with FIN and with the windows held,
 * a refused connect, UDP echo, host forwarding into a guest listener (TCP and UDP),
 * restrict=on, and malformed frames.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { test } from "node:test";
import { NodeUserNetHost } from "../../src/cli/user-net-host.js";
import { defaultUserNetConfig, UserNetwork, type UserNetConfig } from "../../src/net/user/user-network.js";
import { freePortRange } from "../harness/ports.js";
import { ACK, FIN, PSH, RST, SYN, TestGuest, dotted, icmpChecksum, ip, parseDhcp, parseIp, u32, type Tcp } from "./user-net-guest.js";

const GATEWAY = ip("10.0.2.2"), DNS = ip("10.0.2.3");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

function network(changes: Partial<UserNetConfig> = {}): { net: UserNetwork; guest: TestGuest } {
  const net = new UserNetwork({ ...defaultUserNetConfig(), ...changes }, new NodeUserNetHost());
  return { net, guest: new TestGuest(net) };
}

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as { port: number }).port;
}

/** The guest's side of one TCP connection: what it has sent and received so far. */
interface GuestTcp { srcPort: number; dst: number; dstPort: number; seq: number; ack: number }

async function guestConnect(guest: TestGuest, dst: number, dstPort: number, srcPort: number, window = 65535): Promise<{ c: GuestTcp; synAck: Tcp }> {
  const iss = 1000;
  guest.sendTcp({ srcPort, dst, dstPort, seq: iss, flags: SYN, mss: 1460, window });
  const synAck = await guest.nextTcp((t) => t.dstPort === srcPort, "SYN-ACK");
  const c = { srcPort, dst, dstPort, seq: iss + 1, ack: (synAck.seq + 1) >>> 0 };
  if (synAck.flags === (SYN | ACK)) guest.sendTcp({ ...c, flags: ACK, window });
  return { c, synAck };
}

test("ARP: the gateway and the DNS address answer with 52:55 and their address; other addresses stay silent", () => {
  const { net, guest } = network();
  guest.arpRequest(GATEWAY);
  guest.arpRequest(DNS);
  guest.arpRequest(ip("10.0.2.77"));
  guest.arpRequest(ip("192.168.1.1"));
  const replies = guest.take();
  assert.equal(replies.length, 2, "two replies");
  for (const [r, addr, m] of [[replies[0], GATEWAY, "52:55:0a:00:02:02"], [replies[1], DNS, "52:55:0a:00:02:03"]] as const) {
    assert.equal(r.type, 0x0806);
    assert.equal(r.dst, "52:54:00:12:34:56");
    assert.equal(r.src, m);
    assert.equal(r.payload.length, 50, "padded to 64 bytes as libslirp's");
    const a = r.payload;
    assert.equal((a[6] << 8) | a[7], 2, "an ARP reply");
    assert.deepEqual([...a.subarray(8, 14)].map((b) => b.toString(16).padStart(2, "0")).join(":"), m);
    assert.equal(u32(a.subarray(14, 18)), addr);
    assert.equal(u32(a.subarray(24, 28)), guest.address);
  }
  net.close();
});

test("DHCP: DISCOVER gets an OFFER of 10.0.2.15 and REQUEST an ACK, with libslirp's options; other clients get the next addresses; a taken address is NAKed", { timeout: 20000 }, async () => {
  const { net, guest } = network();
  guest.dhcp(1, 0x1234);
  const offer = await guest.nextUdp((u) => u.dstPort === 68, "DHCPOFFER");
  assert.equal(offer.ip.frame.dst, "ff:ff:ff:ff:ff:ff");
  assert.equal(offer.ip.frame.src, "52:55:0a:00:02:02");
  assert.equal(dotted(offer.ip.src), "10.0.2.2");
  assert.equal(dotted(offer.ip.dst), "255.255.255.255");
  assert.equal(offer.srcPort, 67);
  assert.equal(offer.data.length, 548, "libslirp's fixed-size BOOTP reply");
  const o = parseDhcp(offer);
  assert.equal(o.op, 2); assert.equal(o.xid, 0x1234); assert.equal(o.yiaddr, "10.0.2.15"); assert.equal(o.siaddr, "10.0.2.2");
  assert.equal(o.chaddr, "52:54:00:12:34:56");
  assert.deepEqual([...o.options.keys()], [53, 54, 1, 3, 6, 51], "message type, server id, mask, router, DNS, lease time in libslirp's order");
  assert.equal(o.options.get(53)![0], 2);
  assert.equal(dotted(u32(o.options.get(54)!)), "10.0.2.2");
  assert.equal(dotted(u32(o.options.get(1)!)), "255.255.255.0");
  assert.equal(dotted(u32(o.options.get(3)!)), "10.0.2.2");
  assert.equal(dotted(u32(o.options.get(6)!)), "10.0.2.3");
  assert.equal(u32(o.options.get(51)!), 86400);

  guest.dhcp(3, 0x1235, ip("10.0.2.15"), GATEWAY);
  const ack = parseDhcp(await guest.nextUdp((u) => u.dstPort === 68, "DHCPACK"));
  assert.equal(ack.options.get(53)![0], 5, "ACK");
  assert.equal(ack.yiaddr, "10.0.2.15");

  const other = new TestGuest(net, new Uint8Array([0x52, 0x54, 0, 0, 0, 2]));
  other.dhcp(1, 7);
  assert.equal(parseDhcp(await other.nextUdp((u) => u.dstPort === 68, "second OFFER")).yiaddr, "10.0.2.16");
  other.dhcp(3, 8, ip("10.0.2.15"));
  const nak = parseDhcp(await other.nextUdp((u) => u.dstPort === 68, "NAK"));
  assert.equal(nak.options.get(53)![0], 6, "the first client's address is refused");
  assert.equal(text(nak.options.get(56)!), "requested address not available");
  other.dhcp(3, 9, ip("10.0.2.40"));
  assert.equal(parseDhcp(await other.nextUdp((u) => u.dstPort === 68, "NAK")).options.get(53)![0], 6, "outside the 16-address pool");
  net.close();
});

test("DHCP with net=, dhcpstart= and restrict=on: addresses follow the options; no router or DNS option", { timeout: 20000 }, async () => {
  const { net, guest } = network({ network: ip("192.168.7.0"), host: ip("192.168.7.2"), dns: ip("192.168.7.3"), dhcpStart: ip("192.168.7.100"), restricted: true });
  guest.gatewayMac = "52:55:c0:a8:07:02";
  guest.dhcp(1, 1);
  const o = parseDhcp(await guest.nextUdp((u) => u.dstPort === 68, "OFFER"));
  assert.equal(o.yiaddr, "192.168.7.100");
  assert.deepEqual([...o.options.keys()], [53, 54, 1, 51]);
  net.close();
});

test("ICMP: an echo to the gateway or the DNS address is answered with the same identifier, sequence and data", () => {
  const { net, guest } = network();
  for (const dst of [GATEWAY, DNS]) {
    const echo = new Uint8Array(8 + 32);
    echo[0] = 8; echo[4] = 0x12; echo[5] = 0x34; echo[7] = 1;
    for (let i = 0; i < 32; i++) echo[8 + i] = i;
    const c = icmpChecksum(echo); echo[2] = c >> 8; echo[3] = c;
    guest.sendIp(1, dst, echo);
    const [reply] = guest.take();
    assert.ok(reply, "a reply");
    const p = parseIp(reply)!;
    assert.equal(p.proto, 1); assert.equal(p.src, dst); assert.equal(p.dst, guest.address);
    assert.equal(p.payload[0], 0, "echo reply");
    assert.equal(reply.payload[8], 255, "libslirp's ICMP replies carry TTL 255");
    assert.equal(icmpChecksum(p.payload), 0, "ICMP checksum");
    assert.deepEqual([...p.payload.subarray(4)], [...echo.subarray(4)]);
    echo[2] ^= 1; // a corrupt request is dropped
    guest.sendIp(1, dst, echo);
    assert.equal(guest.take().length, 0);
  }
  net.close();
});

test("TCP to a host server at 10.0.2.2:PORT: handshake after the host connects, data both ways, FIN both ways, then RST for a stale segment", { timeout: 20000 }, async (t) => {
  let serverSide: Socket | undefined;
  const received: Buffer[] = [];
  let serverSawEnd = false;
  const server = createServer({ allowHalfOpen: true }, (s) => {
    serverSide = s;
    s.on("data", (d) => { received.push(d); if (Buffer.concat(received).toString() === "hello") s.end("world"); });
    s.on("end", () => { serverSawEnd = true; });
  });
  const port = await listen(server);
  const { net, guest } = network();
  t.after(() => { net.close(); server.close(); });
  const { c, synAck } = await guestConnect(guest, GATEWAY, port, 40000);
  assert.equal(synAck.flags, SYN | ACK);
  assert.equal(synAck.ack, 1001);
  assert.equal(synAck.mss, 1460);
  assert.equal(dotted(synAck.ip.src), "10.0.2.2");
  guest.sendTcp({ ...c, flags: ACK | PSH, data: bytes("hello") });
  c.seq += 5;
  const ackOfHello = await guest.nextTcp((s) => s.dstPort === 40000 && s.ack === c.seq, "ACK of the data");
  assert.ok(ackOfHello.flags & ACK);
  // "world" then FIN (possibly in one segment or two).
  let got = "", fin = false;
  while (!fin) {
    const s = await guest.nextTcp((x) => x.dstPort === 40000 && (x.data.length > 0 || (x.flags & FIN) !== 0), "data or FIN");
    assert.equal(s.seq, c.ack, "in sequence");
    got += text(s.data);
    c.ack = (c.ack + s.data.length + (s.flags & FIN ? 1 : 0)) >>> 0;
    fin = (s.flags & FIN) !== 0;
    guest.sendTcp({ ...c, flags: ACK });
  }
  assert.equal(got, "world");
  assert.equal(Buffer.concat(received).toString(), "hello");
  guest.sendTcp({ ...c, flags: ACK | FIN });
  c.seq += 1;
  const lastAck = await guest.nextTcp((s) => s.dstPort === 40000 && s.ack === c.seq, "ACK of the guest's FIN");
  assert.equal(lastAck.flags & (RST | SYN | FIN), 0);
  await new Promise<void>((resolve) => { if (serverSawEnd) resolve(); else serverSide!.once("end", () => resolve()); });
  // The connection is gone: a further segment is answered with RST.
  guest.sendTcp({ ...c, flags: ACK, data: bytes("late") });
  const rst = await guest.nextTcp((s) => s.dstPort === 40000 && (s.flags & RST) !== 0, "RST");
  assert.equal(rst.seq, c.ack);
});

test("TCP: a connect the host refuses is a RST|ACK to the guest's SYN; a stray ACK gets a RST", { timeout: 20000 }, async (t) => {
  const [closedPort] = [await freePortRange(1)];
  const { net, guest } = network();
  t.after(() => net.close());
  guest.sendTcp({ srcPort: 40001, dst: GATEWAY, dstPort: closedPort, seq: 5000, flags: SYN, mss: 1460 });
  const rst = await guest.nextTcp((s) => s.dstPort === 40001, "RST");
  assert.equal(rst.flags, RST | ACK);
  assert.equal(rst.ack, 5001);
  guest.sendTcp({ srcPort: 40002, dst: GATEWAY, dstPort: closedPort, seq: 1, ack: 777, flags: ACK });
  const [stray] = guest.take();
  const s = parseIp(stray)!;
  assert.equal(s.payload[13], RST);
  assert.equal(u32(s.payload.subarray(4, 8)), 777);
});

test("TCP windows: a megabyte from the host never overruns a small guest window, and the guest's data is taken at the stack's window", { timeout: 20000 }, async (t) => {
  const size = 1 << 20;
  const blob = new Uint8Array(size).map((_, i) => (i * 7 + (i >> 9)) & 255);
  const upload = new Uint8Array(200_000).map((_, i) => (i * 13) & 255);
  const upReceived: Buffer[] = [];
  let uploadDone!: () => void;
  const uploadFinished = new Promise<void>((r) => { uploadDone = r; });
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.write(blob);
    s.on("data", (d) => upReceived.push(d));
    s.on("end", () => { uploadDone(); s.end(); });
  });
  const port = await listen(server);
  const { net, guest } = network();
  t.after(() => { net.close(); server.close(); });
  const window = 4096;
  const { c, synAck } = await guestConnect(guest, GATEWAY, port, 40003, window);
  let stackWindow = synAck.window;
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < size) {
    const s = await guest.nextTcp((x) => x.dstPort === 40003 && x.data.length > 0, "data");
    assert.equal(s.seq, c.ack, "in order, no gaps");
    assert.ok(s.data.length <= 1460, "at most the MSS");
    assert.ok(((s.seq + s.data.length - c.ack) >>> 0) <= window, "within the guest's window");
    chunks.push(s.data.slice());
    total += s.data.length;
    c.ack = (c.ack + s.data.length) >>> 0;
    guest.sendTcp({ ...c, flags: ACK, window });
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) { all.set(ch, at); at += ch.length; }
  assert.ok(Buffer.from(all).equals(Buffer.from(blob)), "the megabyte arrived intact");
  // Upload: send whatever the stack's advertised window allows, wait for ACKs to open it.
  let sent = 0, acked = c.seq;
  const base = c.seq;
  while (sent < upload.length) {
    const room = stackWindow - ((c.seq - acked) >>> 0);
    if (room > 0) {
      const n = Math.min(1460, room, upload.length - sent);
      guest.sendTcp({ ...c, flags: ACK, data: upload.subarray(sent, sent + n), window });
      c.seq = (c.seq + n) >>> 0; sent += n;
      continue;
    }
    const a = await guest.nextTcp((x) => x.dstPort === 40003 && x.data.length === 0 && (x.flags & ACK) !== 0, "ACK");
    acked = a.ack; stackWindow = a.window;
  }
  guest.sendTcp({ ...c, flags: ACK | FIN, window });
  await uploadFinished;
  assert.equal(c.seq - base, upload.length);
  assert.ok(Buffer.concat(upReceived).equals(Buffer.from(upload)), "the upload arrived intact");
});

test("UDP: a datagram to 10.0.2.2:PORT reaches the host's 127.0.0.1:PORT and the echo comes back from 10.0.2.2", { timeout: 20000 }, async (t) => {
  const echo = createSocket("udp4");
  echo.on("message", (m, r) => echo.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address));
  echo.bind(0, "127.0.0.1");
  await once(echo, "listening");
  const port = echo.address().port;
  const { net, guest } = network();
  t.after(() => { net.close(); echo.close(); });
  guest.sendUdp(5555, GATEWAY, port, bytes("ping"));
  const reply = await guest.nextUdp((u) => u.dstPort === 5555, "UDP echo");
  assert.equal(text(reply.data), "echo:ping");
  assert.equal(dotted(reply.ip.src), "10.0.2.2");
  assert.equal(reply.srcPort, port);
  assert.equal(reply.ip.frame.dst, "52:54:00:12:34:56");
});

test("hostfwd=tcp: a host connection reaches the guest's listener from 10.0.2.2 (after ARP when the guest is unknown), data both ways, FIN", { timeout: 20000 }, async (t) => {
  const hostPort = await freePortRange(1);
  const { net, guest } = network({ hostForwards: [{ protocol: "tcp", hostAddress: "127.0.0.1", hostPort, guestAddress: 0, guestPort: 8080, rule: "" }] });
  t.after(() => net.close());
  await net.ready;
  const client = connect({ host: "127.0.0.1", port: hostPort, allowHalfOpen: true });
  const clientData: Buffer[] = [];
  client.on("data", (d) => clientData.push(d));
  const clientEnded = once(client, "end");
  const clientClosed = once(client, "close");
  // The guest's MAC is not known yet: the stack asks for 10.0.2.15 first.
  const who = await guest.next((f) => f.type === 0x0806, "ARP request");
  assert.equal(who.dst, "ff:ff:ff:ff:ff:ff");
  assert.equal(u32(who.payload.subarray(24, 28)), ip("10.0.2.15"));
  guest.arpReply(new Uint8Array([0x52, 0x55, 10, 0, 2, 2]), GATEWAY);
  const syn = await guest.nextTcp((s) => s.dstPort === 8080 && (s.flags & SYN) !== 0, "SYN");
  assert.equal(syn.flags, SYN);
  assert.equal(dotted(syn.ip.src), "10.0.2.2", "the host shows as the gateway");
  assert.equal(syn.mss, 1460);
  const c = { srcPort: 8080, dst: GATEWAY, dstPort: syn.srcPort, seq: 9000, ack: (syn.seq + 1) >>> 0 };
  guest.sendTcp({ ...c, flags: SYN | ACK, mss: 1460 });
  c.seq += 1;
  await guest.nextTcp((s) => s.dstPort === 8080 && s.ack === c.seq && !(s.flags & SYN), "ACK of SYN-ACK");
  client.write("from host");
  let got = "";
  while (got !== "from host") {
    const s = await guest.nextTcp((x) => x.dstPort === 8080 && x.data.length > 0, "forwarded data");
    got += text(s.data);
    c.ack = (c.ack + s.data.length) >>> 0;
    guest.sendTcp({ ...c, flags: ACK });
  }
  guest.sendTcp({ ...c, flags: ACK | PSH | FIN, data: bytes("from guest") });
  c.seq += 11;
  await clientEnded;
  assert.equal(Buffer.concat(clientData).toString(), "from guest");
  client.end();
  const fin = await guest.nextTcp((x) => x.dstPort === 8080 && (x.flags & FIN) !== 0, "FIN from the host side");
  guest.sendTcp({ ...c, ack: (fin.seq + 1) >>> 0, flags: ACK });
  await clientClosed;
});

test("hostfwd=tcp: the guest's RST closes the host connection", { timeout: 20000 }, async (t) => {
  const hostPort = await freePortRange(1);
  const { net, guest } = network({ hostForwards: [{ protocol: "tcp", hostAddress: "127.0.0.1", hostPort, guestAddress: ip("10.0.2.15"), guestPort: 22, rule: "" }] });
  t.after(() => net.close());
  guest.arpRequest(GATEWAY); // the stack learns the guest's MAC
  guest.take();
  await net.ready;
  const client = connect({ host: "127.0.0.1", port: hostPort });
  let clientError: string | undefined;
  client.on("error", (e: NodeJS.ErrnoException) => { clientError = e.code; });
  const clientClosed = new Promise((resolve) => client.on("close", resolve));
  const syn = await guest.nextTcp((s) => s.dstPort === 22, "SYN");
  guest.sendTcp({ srcPort: 22, dst: GATEWAY, dstPort: syn.srcPort, seq: 0, ack: (syn.seq + 1) >>> 0, flags: RST | ACK });
  await clientClosed;
  assert.equal(clientError, "ECONNRESET", "the guest's RST is a RST on the host side");
});

test("hostfwd=udp: a datagram to the host port reaches the guest port from 10.0.2.2 and the guest's reply goes back", { timeout: 20000 }, async (t) => {
  const hostPort = await freePortRange(1);
  const { net, guest } = network({ hostForwards: [{ protocol: "udp", hostAddress: "127.0.0.1", hostPort, guestAddress: 0, guestPort: 7777, rule: "" }] });
  t.after(() => net.close());
  guest.arpRequest(GATEWAY);
  guest.take();
  await net.ready;
  const client = createSocket("udp4");
  t.after(() => client.close());
  client.bind(0, "127.0.0.1");
  await once(client, "listening");
  client.send("question", hostPort, "127.0.0.1");
  const q = await guest.nextUdp((u) => u.dstPort === 7777, "forwarded datagram");
  assert.equal(text(q.data), "question");
  assert.equal(dotted(q.ip.src), "10.0.2.2");
  assert.equal(q.srcPort, client.address().port);
  const answered = once(client, "message");
  guest.sendUdp(7777, GATEWAY, q.srcPort, bytes("answer"));
  const [msg] = await answered;
  assert.equal(msg.toString(), "answer");
});

test("hostfwd on a port that cannot be bound: ready rejects with QEMU's message", { timeout: 20000 }, async (t) => {
  const blocker = createServer();
  const port = await listen(blocker);
  t.after(() => blocker.close());
  const { net } = network({ hostForwards: [{ protocol: "tcp", hostAddress: "127.0.0.1", hostPort: port, guestAddress: 0, guestPort: 22, rule: "tcp:127.0.0.1:" + port + "-:22" }] });
  await assert.rejects(net.ready, { message: `Could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:22'` });
  net.close();
  // Of several rules, the first that fails in the order given is named, as QEMU names it.
  const free = await freePortRange(1);
  const rule = (hostPort: number, protocol: "tcp" | "udp" = "tcp") =>
    ({ protocol, hostAddress: "127.0.0.1", hostPort, guestAddress: 0, guestPort: 22, rule: `${protocol}:127.0.0.1:${hostPort}-:22` });
  const both = network({ hostForwards: [rule(free), rule(free, "udp"), rule(port), rule(free)] }).net;
  await assert.rejects(both.ready, { message: `Could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:22'` });
  both.close();
});

test("restrict=on: no TCP or UDP out (silently, as libslirp), the gateway still answers ping", () => {
  // The host is asked for no socket at all: a restricted guest's SYN and datagram end in the stack.
  const asked: string[] = [];
  class WatchedHost extends NodeUserNetHost {
    override connectTcp(address: string, port: number) { asked.push(`tcp ${address}:${port}`); return super.connectTcp(address, port); }
    override openUdp(...args: Parameters<NodeUserNetHost["openUdp"]>) { asked.push("udp"); return super.openUdp(...args); }
  }
  const net = new UserNetwork({ ...defaultUserNetConfig(), restricted: true }, new WatchedHost());
  const guest = new TestGuest(net);
  guest.sendTcp({ srcPort: 41000, dst: GATEWAY, dstPort: 80, seq: 1, flags: SYN });
  guest.sendTcp({ srcPort: 41002, dst: ip("198.51.100.1"), dstPort: 80, seq: 1, flags: SYN });
  guest.sendUdp(41001, GATEWAY, 9, bytes("x"));
  const echo = new Uint8Array(8); echo[0] = 8; const c = icmpChecksum(echo); echo[2] = c >> 8; echo[3] = c;
  guest.sendIp(1, GATEWAY, echo);
  const frames = guest.take();
  assert.equal(frames.length, 1, "only the echo reply");
  assert.equal(parseIp(frames[0])!.proto, 1);
  assert.deepEqual(asked, []);
  net.close();
});

test("malformed frames are dropped without a word: runts, bad versions and lengths, bad checksums, truncated options", () => {
  const { net, guest } = network();
  const good = guest.ipPacket(6, GATEWAY, guest.tcpSegment({ srcPort: 1, dst: GATEWAY, dstPort: 2, seq: 0, flags: SYN, mss: 1460 }));
  const cases: Uint8Array[] = [new Uint8Array(0), new Uint8Array(13), new Uint8Array(14)];
  for (let cut = 0; cut < good.length; cut += 3) cases.push(good.subarray(0, cut));
  const badVersion = good.slice(); badVersion[0] = 0x65; cases.push(badVersion);
  const badIhl = good.slice(); badIhl[0] = 0x4f; cases.push(badIhl);
  const longLen = good.slice(); longLen[2] = 0xff; cases.push(longLen);
  const badTcpSum = good.slice(); badTcpSum[good.length - 1] ^= 0xff; cases.push(badTcpSum);
  const badOffset = good.slice(); badOffset[32] = 0xf0; cases.push(badOffset);
  for (let seed = 1; seed < 200; seed++) {
    const r = good.slice();
    r[(seed * 7) % r.length] ^= seed;
    cases.push(r);
  }
  for (const payload of cases) {
    for (const type of [0x0800, 0x0806]) assert.doesNotThrow(() => guest.sendFrame("52:55:0a:00:02:02", type, payload));
  }
  net.close();
});
