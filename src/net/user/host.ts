/**
 * What the user network needs of the machine it runs on: TCP connections out and listeners in,
 * UDP sockets, timers and the host's DNS resolver. Addresses are dotted IPv4 text. The Node
 * implementation is src/cli/user-net-host.ts; tests can drive the stack with a fake.
 */

/** Why a host connection failed, as the guest will be told: refused gets a RST, the rest ICMP unreachable. */
export type HostTcpFailure = "refused" | "unreachable" | "reset";

/** Events of one host TCP connection, in the order the host reports them. */
export interface HostTcpEvents {
  /** An outgoing connection is established. */
  connected(): void;
  data(bytes: Uint8Array): void;
  /** The peer sent FIN: no more data will come. */
  ended(): void;
  /** Writes that were queued have gone out (pendingWriteBytes dropped). */
  drained(): void;
  /** The connection failed or was reset; nothing follows. */
  failed(why: HostTcpFailure, message: string): void;
  /** Both directions are done and the socket is gone. */
  closed(): void;
}

export interface HostTcpConnection {
  /** Set (once) before any event is delivered; events wait until then. */
  attach(events: HostTcpEvents): void;
  write(bytes: Uint8Array): void;
  /** Bytes written but not yet taken by the host's kernel: the guest's window shrinks by them. */
  readonly pendingWriteBytes: number;
  /** Send FIN after what was written. */
  end(): void;
  /** Drop the connection (RST if it is still open); no further events. */
  destroy(): void;
  /** Stop and restart reading: backpressure when the guest is slow to take data. */
  pause(): void;
  resume(): void;
}

export interface HostTcpListener {
  close(): void;
}

export interface HostUdpSocket {
  send(bytes: Uint8Array, address: string, port: number): void;
  close(): void;
}

export interface HostTimer {
  cancel(): void;
}

export interface UserNetHost {
  connectTcp(address: string, port: number): HostTcpConnection;
  /**
   * Listen for host forwarding. `accepted` gets each connection (paused until attached) and the
   * peer's address; `settled` says once whether the address could be bound (an error's text, or nothing).
   */
  listenTcp(address: string, port: number, accepted: (connection: HostTcpConnection, peerAddress: string, peerPort: number) => void,
    settled: (error?: string) => void): HostTcpListener;
  /** A UDP socket, bound to address:port when given (host forwarding, reported to `settled`) or to an ephemeral port. */
  openUdp(received: (bytes: Uint8Array, address: string, port: number) => void, bind?: { address: string; port: number },
    settled?: (error?: string) => void): HostUdpSocket;
  setTimer(milliseconds: number, fire: () => void): HostTimer;
  /** The host's resolver for the virtual DNS address, when it has one (dotted IPv4). */
  dnsServer(): string | undefined;
}
