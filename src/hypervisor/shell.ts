/**
 * The HV> management console, as Topaz's: a line-oriented shell over the partitions. It is
 * platform-neutral: bytes in, text out, and the hypervisor behind the `HvControl` interface,
 * so the same shell serves the terminal, the console TCP port and a browser page.
 */

export type PartitionState = "stopped" | "running" | "paused" | "crashed" | "starting";

export interface PartitionInfo {
  id: number;
  name: string;
  label: string;
  state: PartitionState;
  vcpus: number;
  pcpus: number[];
  memoryBytes: number;
}

export interface PartitionStats {
  id: number;
  label: string;
  /** Exits to the hypervisor, by reason ("hvc", "dabt", "wfx", ...). */
  exits: Record<string, number>;
  /** Instructions retired per vCPU. */
  instructions: number[];
}

/** What the shell can ask of the hypervisor; each action answers with an error text or undefined. */
export interface HvControl {
  partitions(): PartitionInfo[];
  start(id: number): string | undefined;
  stop(id: number): string | undefined;
  restart(id: number): string | undefined;
  pause(id: number): string | undefined;
  resume(id: number): string | undefined;
  stats(): PartitionStats[];
  /** The partition's guest device tree as DTS text. */
  guestDts(id: number): string;
  /** Guest physical memory, or an error text (outside its memory). */
  readGuestMemory(id: number, addr: number, length: number): Uint8Array | string;
  /** Stop every partition and end the hypervisor. */
  quit(): void;
}

const HELP = `commands:
  help                      this list
  info                      the partitions and their state
  start|stop|restart NAME   start, stop or restart a partition (NAME: label, node name or number)
  pause|resume NAME         stop a partition's vCPUs and let them go on
  stats                     exits to the hypervisor by reason, instructions per vCPU
  dtb NAME                  the partition's device tree
  mem NAME ADDR [LEN]       guest physical memory (LEN bytes, default 64, at most 4096)
  quit                      stop every partition and end the hypervisor`;

export const PROMPT = "HV> ";
const MAX_LINE = 1024;
const MAX_DUMP = 4096;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

function hexDump(addr: number, bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${(addr + off).toString(16).padStart(10, "0")}: ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join("\n");
}

function parseNumber(text: string): number | undefined {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export class HvShell {
  private line = "";
  private ended = false;

  /**
   * `write` receives the shell's output (prompt included); call `input` with what the user
   * types. `echo`: the shell echoes what is typed, as a serial console's far end does (a
   * terminal in raw mode, `socat -,raw,echo=0`, telnet in character mode); off for piped input.
   */
  constructor(private readonly control: HvControl, private readonly write: (text: string) => void, private readonly echo = false) {}

  /** Print the banner line and the first prompt. */
  begin(banner?: string): void {
    this.write(`${banner ? banner + "\r\n" : ""}${PROMPT}`);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Bytes typed by the user: a line is run at CR or LF. */
  input(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length && !this.ended; i++) {
      const b = bytes[i];
      if (b === 0x0d || b === 0x0a) {
        // CR LF counts once: the empty line after a CR is ignored.
        if (b === 0x0a && this.lastWasCr) { this.lastWasCr = false; continue; }
        this.lastWasCr = b === 0x0d;
        const line = this.line;
        this.line = "";
        if (this.echo) this.write("\r\n");
        this.write(this.execute(line.trim()));
        if (!this.ended) this.write(PROMPT);
      } else {
        this.lastWasCr = false;
        if (b === 0x7f || b === 0x08) {
          if (this.line.length && this.echo) this.write("\b \b");
          this.line = this.line.slice(0, -1);
        } else if (b >= 0x20 && b < 0x7f && this.line.length < MAX_LINE) {
          this.line += String.fromCharCode(b);
          if (this.echo) this.write(String.fromCharCode(b));
        }
      }
    }
  }
  private lastWasCr = false;

  private find(name: string | undefined): PartitionInfo | string {
    if (!name) return "a partition name or number is needed";
    const all = this.control.partitions();
    const p = all.find((x) => x.label === name || x.name === name || String(x.id) === name);
    return p ?? `no partition '${name}' (${all.map((x) => x.label).join(", ")})`;
  }

  /** One command line to its output (with the final newline, CR LF as on a serial console). */
  execute(line: string): string {
    const text = this.run(line);
    return text === "" ? "" : text.replace(/\r?\n/g, "\r\n") + "\r\n";
  }

  private run(line: string): string {
    if (line === "") return "";
    const [cmd, ...args] = line.split(/\s+/);
    switch (cmd) {
      case "help": case "?":
        return HELP;
      case "info": {
        const rows = [["Partition", "Name", "State", "Vcpus", "pCPUs", "Memory"]];
        for (const p of this.control.partitions()) {
          rows.push([String(p.id), p.label, p.state, String(p.vcpus), p.pcpus.join(","), `${Math.round(p.memoryBytes / 1048576)} MiB`]);
        }
        return table(rows);
      }
      case "start": case "stop": case "restart": case "pause": case "resume": {
        const p = this.find(args[0]);
        if (typeof p === "string") return `${cmd}: ${p}`;
        const error = this.control[cmd](p.id);
        return error ? `${cmd} ${p.label}: ${error}` : `${p.label}: ${this.control.partitions().find((x) => x.id === p.id)?.state ?? "?"}`;
      }
      case "stats": {
        const stats = this.control.stats();
        const reasons = [...new Set(stats.flatMap((s) => Object.keys(s.exits)))].sort();
        const rows = [["Partition", "Name", ...reasons, "instructions per vCPU"]];
        for (const s of stats) rows.push([String(s.id), s.label, ...reasons.map((r) => String(s.exits[r] ?? 0)), s.instructions.join(" ")]);
        return table(rows);
      }
      case "dtb": {
        const p = this.find(args[0]);
        return typeof p === "string" ? `dtb: ${p}` : this.control.guestDts(p.id).trimEnd();
      }
      case "mem": {
        const p = this.find(args[0]);
        if (typeof p === "string") return `mem: ${p}`;
        const addr = parseNumber(args[1] ?? "");
        const length = args[2] === undefined ? 64 : parseNumber(args[2]);
        if (addr === undefined) return "mem: ADDR is a number (0x... or decimal)";
        if (length === undefined || length < 1 || length > MAX_DUMP) return `mem: LEN is 1 to ${MAX_DUMP}`;
        const bytes = this.control.readGuestMemory(p.id, addr, length);
        return typeof bytes === "string" ? `mem ${p.label}: ${bytes}` : hexDump(addr, bytes);
      }
      case "quit": case "exit":
        this.ended = true;
        this.control.quit();
        return "stopping every partition";
      default:
        return `unknown command '${cmd}' (try help)`;
    }
  }
}
