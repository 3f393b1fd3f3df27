/**
 * The user network's host side on Node: TCP sockets (half-open allowed, so a guest's FIN
 * reaches the host peer as a shutdown of one direction), listeners and UDP sockets for host
 * forwarding, timers that never keep the process alive, and the resolver from the host's
 * resolv.conf (dns.getServers) for the virtual DNS address.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { getServers } from "node:dns";
import { createServer, connect, isIPv4, type Socket } from "node:net";
import type { HostTcpConnection, HostTcpEvents, HostTcpFailure, HostTcpListener, HostTimer, HostUdpSocket, UserNetHost } from "../net/user/host.js";

function failureKind(e: NodeJS.ErrnoException): HostTcpFailure {
  if (e.code === "ECONNREFUSED") return "refused";
  if (e.code === "ECONNRESET" || e.code === "EPIPE") return "reset";
  return "unreachable";
}

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** A net.Socket behind HostTcpConnection; its events wait in a queue until the stack attaches. */
class NodeTcpConnection implements HostTcpConnection {
  private events?: HostTcpEvents;
  private queued: ((e: HostTcpEvents) => void)[] = [];
  private finished = false;

  constructor(private readonly socket: Socket, connecting: boolean) {
    const emit = (f: (e: HostTcpEvents) => void) => {
      if (this.finished) return;
      if (this.events) f(this.events); else this.queued.push(f);
    };
    if (connecting) socket.once("connect", () => emit((e) => e.connected()));
    socket.on("data", (b: Buffer) => emit((e) => e.data(view(b))));
    socket.on("end", () => emit((e) => e.ended()));
    socket.on("drain", () => emit((e) => e.drained()));
    socket.on("error", (err: NodeJS.ErrnoException) => { emit((e) => e.failed(failureKind(err), err.message)); this.finished = true; });
    socket.on("close", () => { emit((e) => e.closed()); this.finished = true; });
  }

  attach(events: HostTcpEvents): void {
    this.events = events;
    const q = this.queued;
    this.queued = [];
    for (const f of q) f(events);
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  get pendingWriteBytes(): number { return this.socket.writableLength; }

  end(): void { if (!this.socket.destroyed) this.socket.end(); }

  destroy(): void {
    this.finished = true;
    if (this.socket.destroyed) return;
    // A guest RST becomes a RST on the host side, where the socket can send one.
    if (typeof this.socket.resetAndDestroy === "function" && this.socket.readyState === "open") this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  pause(): void { this.socket.pause(); }
  resume(): void { this.socket.resume(); }
}

export class NodeUserNetHost implements UserNetHost {
  connectTcp(address: string, port: number): HostTcpConnection {
    return new NodeTcpConnection(connect({ host: address, port, allowHalfOpen: true }), true);
  }

  listenTcp(address: string, port: number, accepted: (c: HostTcpConnection, peerAddress: string, peerPort: number) => void,
    settled: (error?: string) => void): HostTcpListener {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      accepted(new NodeTcpConnection(socket, false), socket.remoteAddress ?? "", socket.remotePort ?? 0);
    });
    let listening = false;
    server.on("error", (e) => { if (!listening) settled(e.message); });
    server.listen({ host: address, port, exclusive: true }, () => { listening = true; settled(); });
    return { close: () => server.close() };
  }

  openUdp(received: (bytes: Uint8Array, address: string, port: number) => void, bind?: { address: string; port: number },
    settled?: (error?: string) => void): HostUdpSocket {
    const socket: UdpSocket = createSocket("udp4");
    let bound = false;
    // Errors after binding (an ICMP error from a peer, a send to nowhere) drop the datagram, as libslirp's sendto failures do.
    socket.on("error", (e) => { if (bind && !bound) settled?.(e.message); });
    socket.on("message", (msg, rinfo) => received(view(msg), rinfo.address, rinfo.port));
    if (bind) socket.bind({ address: bind.address, port: bind.port, exclusive: true }, () => { bound = true; settled?.(); });
    return {
      send: (bytes, address, port) => { try { socket.send(bytes, port, address, () => {}); } catch { /* closed socket: dropped */ } },
      close: () => { try { socket.close(); } catch { /* already closed */ } },
    };
  }

  setTimer(milliseconds: number, fire: () => void): HostTimer {
    const t = setTimeout(fire, milliseconds);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }

  dnsServer(): string | undefined {
    return getServers().map((s) => s.replace(/:53$/, "")).find((s) => isIPv4(s));
  }
}
