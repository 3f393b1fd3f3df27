/**
 * A host on the far end of a -netdev stream socket, for the virtio-net tests: it answers ARP
 * requests and ICMP echo requests for its IPv4 address from its MAC address, as any host on the
 * guest's Ethernet would, and ignores everything else (IPv6 neighbour discovery, say).
 * Frames travel with QEMU's stream framing (4-byte big-endian lengths).
 */
import { createServer, type Server, type Socket } from "node:net";
import { frameForStream, StreamDeframer } from "../../src/net/stream-framing.js";

export interface NetPeer {
  port: number;
  /** Every frame the guest sent. */
  received: Uint8Array[];
  /** Echo requests answered. */
  echoes: number;
  close(): void;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ip4 = (text: string) => Uint8Array.from(text.split(".").map(Number));
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The answer to one frame, or undefined. */
export function answer(frame: Uint8Array, mac: Uint8Array, ip: Uint8Array): Uint8Array | undefined {
  if (frame.length < 14) return undefined;
  const type = (frame[12] << 8) | frame[13];
  const src = frame.subarray(6, 12);
  if (type === 0x0806 && frame.length >= 42) {
    // ARP request (RFC 826) for our address: a reply from us to the asker.
    const op = (frame[20] << 8) | frame[21];
    if (op !== 1 || !same(frame.subarray(38, 42), ip)) return undefined;
    const r = new Uint8Array(42);
    r.set(src, 0); r.set(mac, 6); r.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2], 12);
    r.set(mac, 22); r.set(ip, 28); r.set(frame.subarray(22, 28), 32); r.set(frame.subarray(28, 32), 38);
    return r;
  }
  if (type === 0x0800 && frame.length >= 34) {
    const ihl = (frame[14] & 15) * 4;
    const total = (frame[16] << 8) | frame[17];
    if (frame[23] !== 1 || !same(frame.subarray(30, 34), ip) || 14 + total > frame.length) return undefined;
    const icmp = 14 + ihl;
    if (frame[icmp] !== 8) return undefined; // echo request (RFC 792)
    const r = frame.slice(0, 14 + total);
    r.set(src, 0); r.set(mac, 6);
    r.set(ip, 26); r.set(frame.subarray(26, 30), 30);
    r[22] = 64; r[24] = 0; r[25] = 0;
    const h = checksum(r.subarray(14, 14 + ihl)); r[24] = h >> 8; r[25] = h & 0xff;
    r[icmp] = 0; r[icmp + 2] = 0; r[icmp + 3] = 0;
    const c = checksum(r.subarray(icmp, 14 + total)); r[icmp + 2] = c >> 8; r[icmp + 3] = c & 0xff;
    return r;
  }
  return undefined;
}

/** Listen on 127.0.0.1:port (0: any free one) as `ip` with `mac`; one connection at a time. */
export function startNetPeer(ip: string, mac: Uint8Array, port = 0): Promise<NetPeer> {
  const addr = ip4(ip);
  const sockets: Socket[] = [];
  const peer: NetPeer = { port: 0, received: [], echoes: 0, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const deframer = new StreamDeframer();
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      deframer.push(new Uint8Array(chunk), (f) => {
        peer.received.push(f);
        const r = answer(f, mac, addr);
        if (r) {
          if (r[12] === 0x08 && r[13] === 0) peer.echoes++;
          socket.write(frameForStream(r));
        }
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => { peer.port = (server.address() as { port: number }).port; resolve(peer); });
  });
}
