/**
 * One terminal for several consoles: console 0 is HV>, console N is partition N's UART. The
 * mux_server model of Topaz, with Xen's console switch on the terminal:
 *   - interactive (a terminal): one console is on screen; Ctrl-A then a digit switches to that
 *     console, Ctrl-A three times goes to the next one, Ctrl-A X quits, Ctrl-A H lists the keys.
 *     What the consoles not on screen print is kept (the last KEEP_BYTES of each) and shown
 *     when one switches to them, so nothing is lost;
 *   - a log (stdout is a pipe or file): every console's lines are printed as "[label] text",
 *     the hypervisor's own as "[hv] text", in the order they were completed;
 *   - network clients (the console ports): each gets its console's raw byte stream and types
 *     into it, whatever the terminal shows.
 * Platform-neutral: bytes in and out; the CLI or a browser page provides the terminal and
 * the sockets.
 */

const CTRL_A = 0x01;
/** What is kept of a console's output while it is not on screen. */
export const KEEP_BYTES = 64 * 1024;

export interface ConsoleChannel {
  /** The name in log lines and switch banners. */
  label: string;
  /** Bytes typed into this console (to the partition's UART, or to HV>). */
  input(bytes: Uint8Array): void;
}

export interface MuxTerminal {
  write(bytes: Uint8Array): void;
  /** True for a terminal (switching, raw bytes); false for a log (labelled lines). */
  interactive: boolean;
}

export interface MuxClient {
  write(bytes: Uint8Array): void;
}

const encoder = new TextEncoder();

class Channel {
  /** Output while not on screen (interactive mode), oldest first, at most KEEP_BYTES. */
  kept: Uint8Array[] = [];
  keptBytes = 0;
  dropped = 0;
  /** The unfinished last line (log mode). */
  partial = "";
  readonly clients = new Set<MuxClient>();
  constructor(readonly config: ConsoleChannel) {}

  keep(bytes: Uint8Array): void {
    this.kept.push(bytes.slice());
    this.keptBytes += bytes.length;
    while (this.keptBytes > KEEP_BYTES && this.kept.length) {
      const excess = this.keptBytes - KEEP_BYTES;
      const first = this.kept[0];
      if (first.length <= excess) { this.kept.shift(); this.keptBytes -= first.length; this.dropped += first.length; }
      else { this.kept[0] = first.subarray(excess); this.keptBytes -= excess; this.dropped += excess; }
    }
  }
}

export class ConsoleMux {
  private readonly channels: Channel[];
  private onScreen = 0;
  /** Ctrl-A presses in a row (interactive input). */
  private escapes = 0;

  constructor(channels: ConsoleChannel[], private readonly terminal: MuxTerminal, private readonly onQuit: () => void) {
    this.channels = channels.map((c) => new Channel(c));
  }

  get screen(): number {
    return this.onScreen;
  }

  /** A console printed `bytes`. */
  output(index: number, bytes: Uint8Array): void {
    const ch = this.channels[index];
    if (!ch || bytes.length === 0) return;
    for (const client of ch.clients) client.write(bytes);
    if (!this.terminal.interactive) { this.logLines(ch, bytes); return; }
    if (index === this.onScreen) this.terminal.write(bytes);
    else ch.keep(bytes);
  }

  /** A line of the hypervisor's own (not a console): "[hv] text" in a log, a line on a terminal. */
  hvMessage(text: string): void {
    this.terminal.write(encoder.encode(this.terminal.interactive ? `\r\n[hv] ${text}\r\n` : `[hv] ${text}\n`));
  }

  /** Bytes typed on the terminal: the escape keys, or input for the console on screen. */
  terminalInput(bytes: Uint8Array): void {
    const forward: number[] = [];
    const flush = () => { if (forward.length) { this.channels[this.onScreen].config.input(Uint8Array.from(forward)); forward.length = 0; } };
    for (const b of bytes) {
      if (this.escapes > 0) {
        if (b === CTRL_A) {
          if (++this.escapes === 3) { this.escapes = 0; flush(); this.switchTo(this.nextConsole()); }
          continue;
        }
        const presses = this.escapes;
        this.escapes = 0;
        if (presses === 1) {
          if (b >= 0x30 && b <= 0x39) { flush(); this.switchTo(b - 0x30); continue; }
          if (b === 0x78 || b === 0x58) { flush(); this.onQuit(); return; }
          if (b === 0x68 || b === 0x48) { flush(); this.help(); continue; }
        }
        // Not an escape: Ctrl-A Ctrl-A X sends one Ctrl-A and X (as QEMU's C-a C-a).
        forward.push(CTRL_A);
        if (presses === 2) { forward.push(b); continue; }
      }
      if (b === CTRL_A) { this.escapes = 1; continue; }
      forward.push(b);
    }
    flush();
  }

  /** The console after the one on screen (consoles of destroyed domains leave gaps). */
  private nextConsole(): number {
    for (let k = 1; k <= this.channels.length; k++) {
      const i = (this.onScreen + k) % this.channels.length;
      if (this.channels[i]) return i;
    }
    return 0;
  }

  /** Put console `index` on screen, with what it printed meanwhile. */
  switchTo(index: number): void {
    const ch = this.channels[index];
    if (!ch) { this.hvMessage(`no console ${index} (0 to ${this.channels.length - 1})`); return; }
    this.onScreen = index;
    const lost = ch.dropped ? `, ${ch.dropped} earlier bytes not kept` : "";
    this.terminal.write(encoder.encode(`\r\n--- console ${index}: ${ch.config.label}${lost} (Ctrl-A 0-${this.channels.length - 1} switches) ---\r\n`));
    for (const part of ch.kept) this.terminal.write(part);
    ch.kept = [];
    ch.keptBytes = 0;
    ch.dropped = 0;
  }

  private help(): void {
    this.terminal.write(encoder.encode(
      `\r\nC-a 0-9      switch to that console (0 is HV>)\r\nC-a C-a C-a  next console\r\nC-a x        quit\r\nC-a h        this help\r\n` +
      this.channels.map((c, i) => `  ${i}: ${c.config.label}`).filter((l) => l !== undefined).join("\r\n") + "\r\n"));
  }

  /** A console added while running (a domain xl created), at `index`. */
  addChannel(index: number, channel: ConsoleChannel): void {
    this.channels[index] = new Channel(channel);
  }

  /** A console gone (its domain destroyed): its clients are dropped, and the terminal goes back to console 0 if it was on screen. */
  removeChannel(index: number): void {
    const ch = this.channels[index];
    if (!ch || index === 0) return;
    if (!this.terminal.interactive && ch.partial !== "") this.terminal.write(encoder.encode(`[${ch.config.label}] ${ch.partial}\n`));
    delete this.channels[index];
    if (this.onScreen === index) this.switchTo(0);
  }

  /** A network client on console `index`: it gets the console's output from now on. */
  attachClient(index: number, client: MuxClient): () => void {
    const ch = this.channels[index];
    if (!ch) return () => {};
    ch.clients.add(client);
    return () => { ch.clients.delete(client); };
  }

  /** A network client typed into console `index`. */
  clientInput(index: number, bytes: Uint8Array): void {
    this.channels[index]?.config.input(bytes);
  }

  /** End of the run: a log's unfinished lines are printed. */
  finish(): void {
    if (this.terminal.interactive) return;
    for (const ch of this.channels) {
      if (ch && ch.partial !== "") { this.terminal.write(encoder.encode(`[${ch.config.label}] ${ch.partial}\n`)); ch.partial = ""; }
    }
  }

  private logLines(ch: Channel, bytes: Uint8Array): void {
    let text = ch.partial + new TextDecoder("latin1").decode(bytes);
    const lines = text.split("\n");
    ch.partial = lines.pop() ?? "";
    // A console that never ends its line must not grow without bound.
    if (ch.partial.length > KEEP_BYTES) { lines.push(ch.partial); ch.partial = ""; }
    if (lines.length === 0) return;
    text = lines.map((l) => `[${ch.config.label}] ${l.replace(/\r$/, "")}\n`).join("");
    this.terminal.write(latin1(text));
  }
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
