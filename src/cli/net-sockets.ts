/**
 * The host side of -netdev socket / stream / dgram: NetBackends over Node's sockets.
 *
 * A stream server (listen=, server=on) listens before the guest starts and takes one peer at a
 * time; when the peer hangs up it waits for the next, as QEMU's socket netdev goes back to
 * accepting. A stream client (connect=, server=off) connects before the guest starts; a refused
 * connection is the user's one-line error, as QEMU's "can't connect socket". Once the peer of a
 * client has hung up, frames from the guest are dropped (QEMU's link_down). A peer that sends
 * a length no frame can have is hung up on (net_fill_rstate fails and QEMU closes the socket).
 * Datagram netdevs bind their local address before the guest starts and send each frame to the
 * remote one; datagrams from any other sender are ignored, as QEMU's dgram netdev does.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { lstatSync, unlinkSync } from "node:fs";
import type { NetBackend } from "../net/backend.js";
import { frameForStream, StreamDeframer, STREAM_MAX_FRAME } from "../net/stream-framing.js";
import { UsageError } from "./args.js";
import type { NetdevArg, SocketAddress } from "./netdev-args.js";

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case "EADDRINUSE": return "Address already in use";
    case "ECONNREFUSED": return "Connection refused";
    case "EACCES": return "Permission denied";
    case "EADDRNOTAVAIL": return "Cannot assign requested address";
    case "ENOTFOUND": case "EAI_AGAIN": return "host not found";
    case "ENOENT": return "No such file or directory";
    case "ETIMEDOUT": return "Connection timed out";
    default: return err?.message ?? String(e);
  }
}

const where = (a: SocketAddress) => a.type === "inet" ? `${a.host}:${a.port}` : a.path;

/** Frames over one TCP or unix stream connection at a time. */
class StreamBackend implements NetBackend {
  deliverToGuest?: (frame: Uint8Array) => void;
  private socket: Socket | undefined;
  private server: Server | undefined;
  private readonly deframer = new StreamDeframer();
  private closed = false;
  /** Peers that connected while another was connected: they wait, as in a listen backlog. */
  private readonly waiting: Socket[] = [];

  constructor(private readonly warn: (line: string) => void, private readonly option: string) {}

  sendFromGuest(frame: Uint8Array): void {
    const s = this.socket;
    if (!s || s.destroyed || !s.writable) return; // nobody connected: the frame is lost, as on a cable with no peer
    // A peer that stops reading does not grow the host's memory without bound: frames are dropped.
    if (s.writableLength > 4 * STREAM_MAX_FRAME * 16) return;
    s.write(frameForStream(frame));
  }

  adopt(socket: Socket): void {
    this.socket = socket;
    this.deframer.reset();
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      const r = this.deframer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), (f) => this.deliverToGuest?.(f));
      if (r === "too-large") {
        this.warn(`${this.option}: the peer sent a frame longer than ${STREAM_MAX_FRAME} bytes; connection closed`);
        socket.destroy();
      }
    });
    const gone = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      // The next peer that connected meanwhile is accepted now, as QEMU accepts from its
      // listening socket's backlog once the connection it had is gone.
      let next: Socket | undefined;
      while ((next = this.waiting.shift()) && next.destroyed) { /* gave up waiting */ }
      if (next && !this.closed) this.adopt(next);
    };
    socket.on("error", gone);
    socket.on("close", gone);
  }

  listen(addr: SocketAddress): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
        // One peer at a time (QEMU stops accepting while connected): later ones wait their turn.
        if (this.closed) { socket.destroy(); return; }
        if (this.socket) {
          if (this.waiting.length >= 8) { socket.destroy(); return; }
          socket.on("error", () => {});
          this.waiting.push(socket);
          return;
        }
        this.adopt(socket);
      });
      this.server = server;
      server.once("error", (e) => reject(new UsageError(`${this.option}: can't bind ${where(addr)}: ${describe(e)}`)));
      const done = () => { server.removeAllListeners("error"); server.on("error", () => {}); resolve(); };
      if (addr.type === "inet") server.listen({ host: addr.host, port: addr.port, exclusive: true }, done);
      else {
        // As QEMU's unix_listen_saddr, a socket left at the path by an earlier run is replaced.
        try { if (lstatSync(addr.path).isSocket()) unlinkSync(addr.path); } catch { /* nothing there */ }
        server.listen(addr.path, done);
      }
    });
  }

  connect(addr: SocketAddress): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = addr.type === "inet" ? connect({ host: addr.host, port: addr.port }) : connect(addr.path);
      socket.once("error", (e) => reject(new UsageError(`${this.option}: can't connect to ${where(addr)}: ${describe(e)}`)));
      socket.once("connect", () => { socket.removeAllListeners("error"); this.adopt(socket); resolve(); });
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    for (const w of this.waiting.splice(0)) w.destroy();
    this.server?.close();
  }
}

/** Frames as UDP datagrams to one remote address. */
class DatagramBackend implements NetBackend {
  deliverToGuest?: (frame: Uint8Array) => void;
  private socket: UdpSocket | undefined;
  private remoteAddress = "";
  private ipv6 = false;

  constructor(private readonly option: string, private readonly remote: { host: string; port: number }) {}

  open(local: { host: string; port: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ipv6 = local.host.includes(":") || this.remote.host.includes(":");
      const socket = createSocket({ type: this.ipv6 ? "udp6" : "udp4", reuseAddr: false });
      this.socket = socket;
      socket.once("error", (e) => reject(new UsageError(`${this.option}: can't bind ${local.host}:${local.port}: ${describe(e)}`)));
      socket.bind(local.port, local.host, () => {
        socket.removeAllListeners("error");
        socket.on("error", () => {});
        // Only the configured peer's datagrams are frames (net_dgram_send checks the sender).
        socket.on("message", (msg, rinfo) => {
          if (rinfo.port !== this.remote.port || (this.remoteAddress && rinfo.address !== this.remoteAddress)) return;
          if (msg.length === 0 || msg.length > STREAM_MAX_FRAME) return;
          this.deliverToGuest?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength).slice());
        });
        resolve();
      });
    });
  }

  /** The remote host as an address, so that replies can be recognised. */
  async resolveRemote(): Promise<void> {
    const { lookup } = await import("node:dns/promises");
    try {
      this.remoteAddress = (await lookup(this.remote.host, { family: this.ipv6 ? 6 : 4 })).address;
    } catch (e) {
      throw new UsageError(`${this.option}: can't resolve ${this.remote.host}: ${describe(e)}`);
    }
  }

  sendFromGuest(frame: Uint8Array): void {
    this.socket?.send(frame, this.remote.port, this.remoteAddress || this.remote.host, () => { /* an unreachable peer loses the frame */ });
  }

  close(): void {
    try { this.socket?.close(); } catch { /* already closed */ }
  }
}

/** Open a -netdev's socket (listening, connected or bound) before the guest starts. */
export async function openSocketNetdev(n: NetdevArg, warn: (line: string) => void): Promise<NetBackend> {
  if (n.kind === "stream") {
    const b = new StreamBackend(warn, n.option);
    if (n.server) await b.listen(n.addr);
    else await b.connect(n.addr);
    return b;
  }
  if (n.kind === "dgram") {
    const b = new DatagramBackend(n.option, n.remote);
    await b.open(n.local);
    try { await b.resolveRemote(); } catch (e) { b.close(); throw e; }
    return b;
  }
  throw new UsageError(`${n.option}: netdev type '${n.kind === "other" ? n.type : n.kind}' is not supported here`);
}

/** A NIC with no netdev: what it sends goes nowhere, nothing arrives. */
export function unpluggedBackend(): NetBackend {
  return { sendFromGuest: () => {} };
}
