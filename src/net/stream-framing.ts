/**
 * QEMU's framing of Ethernet frames on a byte stream (net/net.c net_fill_rstate, used by the
 * socket netdev's listen=/connect= mode and by the stream netdev): each frame is preceded by
 * its length as a 4-byte big-endian number. A length above QEMU's NET_BUFSIZE cannot be a frame,
 * and QEMU then closes the connection: `push` reports it as "too-large" and the caller closes.
 */

/** QEMU's NET_BUFSIZE (4096 + 65536): the longest frame its receive state holds. */
export const STREAM_MAX_FRAME = 4096 + 65536;

export function frameForStream(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + frame.length);
  new DataView(out.buffer).setUint32(0, frame.length, false);
  out.set(frame, 4);
  return out;
}

/** Reassembles frames from stream chunks of any size. */
export class StreamDeframer {
  private header = new Uint8Array(4);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;

  /** Feed bytes; `frame` gets each complete frame. "too-large" once a length is impossible (then stop feeding). */
  push(chunk: Uint8Array, frame: (f: Uint8Array) => void): "ok" | "too-large" {
    let at = 0;
    while (at < chunk.length) {
      if (!this.body) {
        const n = Math.min(4 - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill < 4) break;
        const length = new DataView(this.header.buffer).getUint32(0, false);
        this.headerFill = 0;
        if (length > STREAM_MAX_FRAME) return "too-large";
        if (length === 0) continue; // an empty frame carries nothing; QEMU's queue takes none either
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
        continue;
      }
      const n = Math.min(this.body.length - this.bodyFill, chunk.length - at);
      this.body.set(chunk.subarray(at, at + n), this.bodyFill);
      this.bodyFill += n;
      at += n;
      if (this.bodyFill === this.body.length) {
        const f = this.body;
        this.body = undefined;
        frame(f);
      }
    }
    return "ok";
  }

  /** A new connection starts with no partial frame (net_socket_rs_init). */
  reset(): void {
    this.headerFill = 0;
    this.body = undefined;
    this.bodyFill = 0;
  }
}
