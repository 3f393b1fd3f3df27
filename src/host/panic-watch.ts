/**
 * Follows a guest's console output: its last lines, and whether Linux panicked. After
 * "Kernel panic - not syncing" (kernel/panic.c) a kernel without panic=N spins for ever with
 * interrupts off, so a host that sees the message gives the guest a grace period to reset or
 * power off (panic=-1 resets at once) and then treats it as finished. Used for the console of
 * `tessera run` and for each partition console of `tessera hv`. Platform-neutral.
 */

/** After a panic message, how long a guest that neither resets nor powers off may keep spinning. */
export const PANIC_GRACE_MS = 5000;

const PANIC_MARK = "Kernel panic - not syncing:";
/** Console bytes kept: enough for the lines before a panic and its backtrace. */
const TAIL_BYTES = 8192;

export class PanicWatch {
  /** Bytes seen in all. */
  bytes = 0;
  /** The panic message (what follows "Kernel panic - not syncing:"), once seen. */
  panic: string | undefined;
  /** When it was seen (Date.now()). */
  panicSeenAt: number | undefined;
  /** The last bytes of output, trimmed to TAIL_BYTES only once twice that (output may come a byte at a time). */
  private tail = "";
  /** The line being printed, not yet ended. */
  private line = "";
  private readonly decoder = new TextDecoder("latin1");

  feed(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    const text = this.decoder.decode(chunk);
    this.tail += text;
    if (this.tail.length > 2 * TAIL_BYTES) this.tail = this.tail.slice(-TAIL_BYTES);
    if (this.panic !== undefined) return;
    // The message is the rest of its line, so a line counts once it has ended.
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.checkLine(this.line + text.slice(start, i));
        this.line = "";
        start = i + 1;
        if (this.panic !== undefined) return;
      }
    }
    this.line = (this.line + text.slice(start)).slice(-TAIL_BYTES);
  }

  private checkLine(line: string): void {
    const at = line.indexOf(PANIC_MARK);
    if (at >= 0) { this.panic = line.slice(at + PANIC_MARK.length).replace(/^\s*/, ""); this.panicSeenAt = Date.now(); }
  }

  /**
   * The guest panicked and is finished: it stopped (reset or power-off after the panic), or it
   * has kept running for longer than the grace period since.
   */
  panicFinished(stopped: boolean, now = Date.now()): boolean {
    // A guest that stopped has printed its last line, ended or not.
    if (stopped && this.panic === undefined && this.line !== "") this.checkLine(this.line);
    return this.panic !== undefined && (stopped || now - this.panicSeenAt! > PANIC_GRACE_MS);
  }

  /** The last `n` lines; after a panic, from a few lines before the panic message on (at most 40). */
  lastLines(n: number): string {
    const lines = this.tail.slice(-TAIL_BYTES).replace(/\r/g, "").split("\n").filter((l) => l.trim() !== "");
    const at = this.panic === undefined ? -1 : lines.findIndex((l) => l.includes(PANIC_MARK));
    return (at < 0 ? lines.slice(-n) : lines.slice(Math.max(0, at - 5), at + 35)).join("\n");
  }

  /** Forget everything (the guest starts again). */
  reset(): void {
    this.bytes = 0;
    this.panic = undefined;
    this.panicSeenAt = undefined;
    this.tail = "";
    this.line = "";
  }
}
