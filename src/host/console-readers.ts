import type { ConsoleMux } from "./console-mux.js";

/**
 * The readers of the partitions' consoles (xl console, and the TCP console ports of the
 * partitions and of the domains xl creates): what a partition printed while no reader was
 * attached is kept (the last UNREAD_BYTES) and given to the next one that attaches, as
 * xenconsoled's buffer and the pty hold it for the next reader. Platform-neutral: the CLI and
 * a browser page attach their readers here.
 */
export class ConsoleReaders {
  static readonly UNREAD_BYTES = 16 * 1024;
  /** Each partition's unread output: a ring of UNREAD_BYTES, and how much of it is filled (O(1) a byte: a UART prints a byte at a time). */
  private readonly unread = new Map<number, { ring: Uint8Array; end: number; length: number }>();
  private readonly attached = new Map<number, number>();

  output(id: number, bytes: Uint8Array): void {
    if ((this.attached.get(id) ?? 0) > 0) return;
    let u = this.unread.get(id);
    if (!u) this.unread.set(id, (u = { ring: new Uint8Array(ConsoleReaders.UNREAD_BYTES), end: 0, length: 0 }));
    for (const b of bytes.length > ConsoleReaders.UNREAD_BYTES ? bytes.subarray(bytes.length - ConsoleReaders.UNREAD_BYTES) : bytes) {
      u.ring[u.end] = b;
      u.end = (u.end + 1) % ConsoleReaders.UNREAD_BYTES;
      if (u.length < ConsoleReaders.UNREAD_BYTES) u.length++;
    }
  }

  /** What was kept, oldest first, and the ring emptied. */
  private take(id: number): Uint8Array | undefined {
    const u = this.unread.get(id);
    if (!u || u.length === 0) return undefined;
    const start = (u.end - u.length + ConsoleReaders.UNREAD_BYTES) % ConsoleReaders.UNREAD_BYTES;
    const out = new Uint8Array(u.length);
    for (let i = 0; i < u.length; i++) out[i] = u.ring[(start + i) % ConsoleReaders.UNREAD_BYTES];
    u.length = 0;
    return out;
  }

  private readonly sessions = new Map<number, Set<() => void>>();

  /** Partition `id` is gone: what it left unread goes, and attached consoles end. */
  forget(id: number): void {
    this.unread.delete(id);
    for (const end of this.sessions.get(id) ?? []) end();
    this.sessions.delete(id);
    this.attached.delete(id);
  }

  attach(mux: ConsoleMux, id: number, write: (bytes: Uint8Array) => void, ended: () => void): { input(b: Uint8Array): void; detach(): void } {
    const kept = this.take(id);
    if (kept) write(kept);
    const sessions = this.sessions.get(id) ?? new Set();
    sessions.add(ended);
    this.sessions.set(id, sessions);
    this.unread.delete(id);
    this.attached.set(id, (this.attached.get(id) ?? 0) + 1);
    const detachMux = mux.attachClient(id, { write });
    let attached = true;
    return {
      input: (b) => mux.clientInput(id, b),
      detach: () => {
        if (!attached) return;
        attached = false;
        detachMux();
        this.sessions.get(id)?.delete(ended);
        this.attached.set(id, (this.attached.get(id) ?? 1) - 1);
      },
    };
  }
}
