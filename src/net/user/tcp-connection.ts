/**
 * One TCP connection between the guest and a host socket: the far end the guest sees is played
 * here, as libslirp's BSD-derived stack plays it (RFC 9293). A guest SYN makes the host connect
 * first and only then answers SYN-ACK (a refused connect is a RST, an unreachable one an ICMP
 * error, as libslirp's tcp_input does); host forwarding sends the guest a SYN. Data flows both
 * ways within windows: the guest's advertised window limits what is sent to it, and the window
 * advertised to the guest shrinks by what the host socket has not taken yet, so a slow host
 * reader slows the guest. Data from the host waits in a send buffer until the guest acknowledges
 * it; a full buffer pauses the host socket. FIN is passed on in both directions (half-close),
 * RST tears down both sides. The link is lossless, but a NIC with no receive buffers drops
 * frames, so unacknowledged data is resent on a backed-off timer and a zero window is probed.
 */
import type { Ipv4 } from "./addresses.js";
import type { HostTcpConnection, HostTcpFailure, HostTimer } from "./host.js";
import { DEFAULT_MSS, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, seqAdd, seqDiff, seqLe, seqLt, type TcpSegment } from "./tcp.js";

/** 1500-byte MTU less the IPv4 and TCP headers: the MSS the stack announces (libslirp's if_mtu - 40). */
export const OWN_MSS = 1460;
/** No window scaling is offered, so a window is at most 65535 (RFC 7323 is not negotiated). */
const RECEIVE_BUFFER = 65535;
/** Host data held for the guest before the host socket is paused, and the level it resumes at. */
const SEND_BUFFER_HIGH = 256 * 1024;
const SEND_BUFFER_LOW = 64 * 1024;
const INITIAL_RTO_MS = 1000;
const MAX_RTO_MS = 16000;
/** Retransmissions of one segment before the connection is given up (reset both ways). */
const MAX_RETRIES = 8;
const MAX_PERSIST_MS = 8000;

export interface TcpEndpoints {
  guestAddress: Ipv4;
  guestPort: number;
  /** The far end as the guest sees it (10.0.2.2 for the host, or the real address). */
  remoteAddress: Ipv4;
  remotePort: number;
}

/** What a connection needs of the network around it. */
export interface TcpLink {
  send(endpoints: TcpEndpoints, segment: TcpSegment): void;
  /** ICMP destination unreachable (host) quoting the guest's datagram. */
  unreachable(datagram: Uint8Array): void;
  setTimer(milliseconds: number, fire: () => void): HostTimer;
  /** The connection is over: forget it. */
  removed(connection: TcpConnection): void;
}

type State = "connecting" | "syn-sent" | "syn-received" | "established" | "closed";

/** Bytes from the host not yet acknowledged by the guest, as a list of chunks. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes of chunks[0] already dropped
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** `count` bytes from `offset` (both within the queue). */
  peek(offset: number, count: number): Uint8Array {
    const out = new Uint8Array(count);
    let skip = offset + this.head, done = 0;
    for (const c of this.chunks) {
      if (done === count) break;
      if (skip >= c.length) { skip -= c.length; continue; }
      const n = Math.min(c.length - skip, count - done);
      out.set(c.subarray(skip, skip + n), done);
      done += n;
      skip = 0;
    }
    return out;
  }

  drop(count: number): void {
    this.length -= count;
    count += this.head;
    while (this.chunks.length && count >= this.chunks[0].length) { count -= this.chunks[0].length; this.chunks.shift(); }
    this.head = count;
  }
}

export class TcpConnection {
  private state: State;
  /** Send side: oldest unacknowledged, next to send, highest sent; the send buffer starts at bufferSeq. */
  private readonly iss = Math.floor(Math.random() * 0x100000000) >>> 0;
  private sndUna: number;
  private sndNxt: number;
  private sndMax: number;
  private sndWnd = 0;
  private bufferSeq: number;
  private readonly sendBuffer = new ByteQueue();
  private mss = DEFAULT_MSS;
  /** Receive side. */
  private rcvNxt = 0;
  private advertised = RECEIVE_BUFFER;
  private hostEnded = false;
  private guestFinished = false;
  private hostGone = false;
  private hostPaused = false;
  private retransmitTimer?: HostTimer;
  private persistTimer?: HostTimer;
  private rto = INITIAL_RTO_MS;
  private retries = 0;
  private persistMs = INITIAL_RTO_MS;

  private constructor(private readonly link: TcpLink, readonly endpoints: TcpEndpoints, private readonly host: HostTcpConnection,
    state: State, private readonly synDatagram?: Uint8Array) {
    this.state = state;
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = this.bufferSeq = seqAdd(this.iss, 1);
    host.attach({
      connected: () => this.hostConnected(),
      data: (bytes) => this.hostData(bytes),
      ended: () => this.hostEnd(),
      drained: () => this.hostDrained(),
      failed: (why, message) => this.hostFailed(why, message),
      closed: () => this.hostClosed(),
    });
  }

  /** The guest's SYN opened this: the host connection is under way; the SYN-ACK waits for it. */
  static fromGuest(link: TcpLink, endpoints: TcpEndpoints, syn: TcpSegment, host: HostTcpConnection, synDatagram: Uint8Array): TcpConnection {
    const c = new TcpConnection(link, endpoints, host, "connecting", synDatagram.slice());
    c.rcvNxt = seqAdd(syn.seq, 1);
    c.sndWnd = syn.window;
    c.mss = Math.min(syn.mss ?? DEFAULT_MSS, OWN_MSS);
    return c;
  }

  /** Host forwarding accepted `host`: `open` sends the guest a SYN. */
  static toGuest(link: TcpLink, endpoints: TcpEndpoints, host: HostTcpConnection): TcpConnection {
    return new TcpConnection(link, endpoints, host, "syn-sent");
  }

  open(): void {
    if (this.state !== "syn-sent") return;
    this.sendSyn();
    this.host.resume();
  }

  get closed(): boolean { return this.state === "closed"; }

  /** A segment from the guest for this connection. */
  receive(s: TcpSegment): void {
    if (this.state === "closed") return;
    if (s.flags & TCP_RST) {
      // RFC 9293 3.10.7: a RST counts when its sequence number is in the window; a SYN-SENT one must acknowledge our SYN.
      const acceptable = this.state === "syn-sent" ? (s.flags & TCP_ACK) !== 0 && s.ack === seqAdd(this.iss, 1)
        : this.state === "connecting" || (seqLe(this.rcvNxt, s.seq) && seqLt(s.seq, seqAdd(this.rcvNxt, Math.max(1, this.advertised))));
      if (acceptable) this.teardown(false);
      return;
    }
    switch (this.state) {
      case "connecting":
        return; // the guest resending its SYN while the host connects
      case "syn-sent": {
        if ((s.flags & TCP_ACK) && s.ack !== seqAdd(this.iss, 1)) { this.sendBare(s.ack, 0, TCP_RST); return; }
        if (!(s.flags & TCP_SYN) || !(s.flags & TCP_ACK)) return;
        this.rcvNxt = seqAdd(s.seq, 1);
        this.mss = Math.min(s.mss ?? DEFAULT_MSS, OWN_MSS);
        this.state = "established";
        this.acknowledged(s.ack);
        this.sndWnd = s.window;
        if (!this.output()) this.sendAck();
        return;
      }
      case "syn-received":
        if (s.flags & TCP_SYN) { if (!(s.flags & TCP_ACK)) this.sendSyn(); return; }
        if (!(s.flags & TCP_ACK)) return;
        if (s.ack !== seqAdd(this.iss, 1)) { this.sendBare(s.ack, 0, TCP_RST); return; }
        this.state = "established";
        break;
      case "established":
        if (s.flags & TCP_SYN) { this.sendAck(); return; } // a SYN in a synchronized state: answer with an ACK (RFC 9293 3.10.7.4)
        break;
    }
    this.established(s);
  }

  private established(s: TcpSegment): void {
    if (!(s.flags & TCP_ACK)) return;
    if (seqLt(this.sndMax, s.ack)) { this.sendAck(); return; } // acknowledges what was never sent
    if (seqLe(this.sndUna, s.ack)) {
      this.acknowledged(s.ack);
      this.sndWnd = s.window;
    }
    let needAck = false;
    let data = s.payload, seq = s.seq, fin = (s.flags & TCP_FIN) !== 0;
    if (this.guestFinished) {
      needAck = data.length > 0 || fin; // a repeat of what came before the FIN
    } else {
      if (seqLt(seq, this.rcvNxt)) {
        const old = seqDiff(this.rcvNxt, seq);
        if (old > data.length) { data = data.subarray(0, 0); fin = false; needAck = true; } // all of it came before
        else { data = data.subarray(old); seq = this.rcvNxt; needAck ||= old > 0; }
      }
      if (seq !== this.rcvNxt) { needAck = data.length > 0 || fin; data = data.subarray(0, 0); fin = false; } // a gap: ask again
      const window = this.receiveWindow();
      if (data.length > window) { data = data.subarray(0, window); fin = false; needAck = true; }
      if (data.length) {
        if (!this.hostGone) this.host.write(data.slice());
        this.rcvNxt = seqAdd(this.rcvNxt, data.length);
        needAck = true;
      }
      if (fin) {
        this.rcvNxt = seqAdd(this.rcvNxt, 1);
        this.guestFinished = true;
        if (!this.hostGone) this.host.end();
        needAck = true;
      }
    }
    if (!this.output() && needAck) this.sendAck();
    this.finishIfDone();
  }

  /** The guest acknowledged up to `ack`: free the buffer, restart the timers. */
  private acknowledged(ack: number): void {
    if (!seqLt(this.sndUna, ack)) return;
    const dataAcked = Math.min(Math.max(0, seqDiff(ack, this.bufferSeq)), this.sendBuffer.length);
    this.sendBuffer.drop(dataAcked);
    this.bufferSeq = seqAdd(this.bufferSeq, dataAcked);
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.retries = 0;
    this.rto = INITIAL_RTO_MS;
    this.retransmitTimer?.cancel();
    this.retransmitTimer = undefined;
    if (this.sndNxt !== this.sndUna) this.armRetransmit();
    if (this.hostPaused && this.sendBuffer.length < SEND_BUFFER_LOW && !this.hostGone) { this.hostPaused = false; this.host.resume(); }
  }

  private finSeq(): number { return seqAdd(this.bufferSeq, this.sendBuffer.length); }
  private ourFinAcked(): boolean { return this.hostEnded && this.sndUna === seqAdd(this.finSeq(), 1); }

  /** Send what the window allows, then FIN when the host has ended; true if anything went. */
  private output(): boolean {
    if (this.state !== "established") return false;
    let sent = false;
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.bufferSeq);
      const available = this.sendBuffer.length - offset;
      const usable = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
      if (available > 0 && usable > 0) {
        const n = Math.min(available, usable, this.mss);
        const push = n === available ? TCP_PSH : 0;
        this.sendSegment(this.sndNxt, TCP_ACK | push, this.sendBuffer.peek(offset, n));
        this.sndNxt = seqAdd(this.sndNxt, n);
        sent = true;
        continue;
      }
      if (available <= 0 && this.hostEnded && this.sndNxt === this.finSeq()) {
        this.sendSegment(this.sndNxt, TCP_ACK | TCP_FIN, new Uint8Array(0));
        this.sndNxt = seqAdd(this.sndNxt, 1);
        sent = true;
      }
      break;
    }
    if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
    if (this.sndNxt !== this.sndUna) this.armRetransmit();
    else if (this.sendBuffer.length > 0) this.armPersist();
    return sent;
  }

  private sendSegment(seq: number, flags: number, payload: Uint8Array, mss?: number): void {
    this.advertised = this.receiveWindow();
    const e = this.endpoints;
    this.link.send(e, { sourcePort: e.remotePort, destinationPort: e.guestPort, seq, ack: flags & TCP_ACK ? this.rcvNxt : 0, flags, window: this.advertised, mss, payload });
  }

  private sendAck(): void { this.sendSegment(this.sndNxt, TCP_ACK, new Uint8Array(0)); }

  private sendBare(seq: number, ack: number, flags: number): void {
    const e = this.endpoints;
    this.link.send(e, { sourcePort: e.remotePort, destinationPort: e.guestPort, seq, ack, flags, window: 0, payload: new Uint8Array(0) });
  }

  /** SYN (host forwarding) or SYN-ACK (guest-opened), with our MSS. */
  private sendSyn(): void {
    const flags = this.state === "syn-sent" ? TCP_SYN : TCP_SYN | TCP_ACK;
    this.sendSegment(this.iss, flags, new Uint8Array(0), OWN_MSS);
    this.armRetransmit();
  }

  private receiveWindow(): number {
    if (this.hostGone) return RECEIVE_BUFFER;
    return Math.max(0, RECEIVE_BUFFER - this.host.pendingWriteBytes);
  }

  private armRetransmit(): void {
    if (this.retransmitTimer || this.state === "closed") return;
    this.persistTimer?.cancel();
    this.persistTimer = undefined;
    this.retransmitTimer = this.link.setTimer(this.rto, () => {
      this.retransmitTimer = undefined;
      if (this.state === "closed") return;
      if (++this.retries > MAX_RETRIES) { this.teardown(true); return; }
      this.rto = Math.min(this.rto * 2, MAX_RTO_MS);
      if (this.state === "syn-sent" || this.state === "syn-received") { this.sendSyn(); return; }
      this.sndNxt = this.sndUna; // go back: resend from the oldest unacknowledged byte
      this.output();
    });
  }

  /**
   * The guest's window is closed with data waiting: probe it with an ACK one below SND.UNA,
   * which the guest must answer with its current window (RFC 9293 3.8.6.1).
   */
  private armPersist(): void {
    if (this.persistTimer || this.state === "closed") return;
    this.persistTimer = this.link.setTimer(this.persistMs, () => {
      this.persistTimer = undefined;
      if (this.state !== "established" || this.sendBuffer.length === 0 || this.sndNxt !== this.sndUna) return;
      this.persistMs = Math.min(this.persistMs * 2, MAX_PERSIST_MS);
      this.sendSegment(seqAdd(this.sndUna, -1), TCP_ACK, new Uint8Array(0));
      this.armPersist();
    });
  }

  private hostConnected(): void {
    if (this.state !== "connecting") return;
    this.state = "syn-received";
    this.sendSyn();
  }

  private hostData(bytes: Uint8Array): void {
    if (this.state === "closed" || this.hostEnded) return;
    this.sendBuffer.push(bytes);
    if (this.sendBuffer.length > SEND_BUFFER_HIGH && !this.hostPaused) { this.hostPaused = true; this.host.pause(); }
    this.persistMs = INITIAL_RTO_MS;
    this.output();
  }

  private hostEnd(): void {
    if (this.state === "closed") return;
    this.hostEnded = true;
    this.output();
  }

  /** The host took queued writes: reopen a window the guest saw shrink. */
  private hostDrained(): void {
    if (this.state !== "established" || this.guestFinished) return;
    if (this.advertised < RECEIVE_BUFFER / 2 && this.receiveWindow() > this.advertised) this.sendAck();
  }

  private hostFailed(why: HostTcpFailure, _message: string): void {
    this.hostGone = true;
    if (this.state === "connecting") {
      // libslirp: a refused connect is answered with RST|ACK, other failures with ICMP host unreachable.
      if (why === "refused" || !this.synDatagram) this.sendBare(0, this.rcvNxt, TCP_RST | TCP_ACK);
      else this.link.unreachable(this.synDatagram);
      this.close();
      return;
    }
    this.teardown(true);
  }

  private hostClosed(): void {
    this.hostGone = true;
    if (this.state === "closed") return;
    if (!this.hostEnded) { this.teardown(true); return; } // gone without a FIN: the guest gets a RST
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.state === "established" && this.guestFinished && this.ourFinAcked()) this.close();
  }

  /** Reset: the guest gets a RST when `tellGuest`, the host socket is dropped. */
  private teardown(tellGuest: boolean): void {
    if (this.state === "closed") return;
    if (tellGuest && this.state !== "connecting") this.sendBare(this.sndNxt, this.rcvNxt, TCP_RST | TCP_ACK);
    this.close();
  }

  /** Forget the connection; the host socket goes too (after its queued writes when it ended cleanly). */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.retransmitTimer?.cancel();
    this.persistTimer?.cancel();
    if (!this.hostGone && !(this.guestFinished && this.hostEnded)) this.host.destroy();
    this.hostGone = true;
    this.link.removed(this);
  }
}
