/**
 * The GDB remote serial protocol (gdb's manual, appendix "GDB Remote Serial Protocol"), for one
 * connection, as QEMU 7.2's gdbstub speaks it: the same qSupported features, thread ids (one
 * thread per CPU, "p01.02" with gdb's multiprocess extensions), stop replies, error numbers
 * (E14 for memory that does not translate, E22 for a bad request) and thread names (qThreadExtraInfo
 * "CPU#1 [halted ]"). Platform-neutral: bytes in (receive), bytes out (host.send); the machine
 * is driven through a MachineDebugger.
 *
 * Beyond QEMU 7.2, no-acknowledgment mode (QStartNoAckMode, "Packet Acknowledgment") is
 * offered, as later QEMU releases do.
 */
import type { SysRegDef } from "../cpu/sysregs.js";
import {
  debuggableSysregs, readCoreRegisters, readRegister, targetDescriptions, writeCoreRegisters, writeRegister,
} from "./aarch64-registers.js";
import type { MachineDebugger, StopEvent, WatchKind } from "./machine-debugger.js";

export interface GdbStubHost {
  /** Bytes for the debugger. */
  send(bytes: Uint8Array): void;
  /** The debugger sent 'k': end the emulation (QEMU exits). */
  kill(): void;
}

/** QEMU's MAX_PACKET_LENGTH, advertised as PacketSize (hex). */
const PACKET_SIZE = 4096;
/** gdb's interrupt request outside a packet ("Interrupts"). */
const INTERRUPT = 0x03;
const SIGINT = 2;

const encoder = new TextEncoder();

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}

function unhex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A hex number of the protocol (addresses, lengths), or undefined when malformed. */
function hexNumber(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  return BigInt("0x" + text);
}

/** A thread id: "p<pid>.<tid>" or "<tid>", each hex, -1 all, 0 any ("thread-id" syntax). */
function parseThreadId(text: string): { pid?: number; tid: number } | undefined {
  const one = (t: string) => (t === "-1" ? -1 : /^[0-9a-fA-F]+$/.test(t) ? parseInt(t, 16) : NaN);
  if (text.startsWith("p")) {
    const dot = text.indexOf(".");
    const pid = one(dot < 0 ? text.slice(1) : text.slice(1, dot));
    const tid = dot < 0 ? -1 : one(text.slice(dot + 1));
    return Number.isNaN(pid) || Number.isNaN(tid) ? undefined : { pid, tid };
  }
  const tid = one(text);
  return Number.isNaN(tid) ? undefined : { tid };
}

export class GdbStub {
  private readonly sysregs: readonly SysRegDef[];
  private readonly descriptions: Map<string, string>;
  private noAck = false;
  private multiprocess = false;
  /** CPU indexes selected by Hg (registers, memory) and Hc (step, continue). */
  private gCpu = 0;
  private cCpu = 0;
  /** qfThreadInfo/qsThreadInfo position. */
  private threadCursor = 0;
  /** Receiver state: outside a packet, in its data, or in its two checksum digits. */
  private state: "idle" | "data" | "checksum" = "idle";
  private packet: number[] = [];
  private checksumText = "";
  private lastReply: Uint8Array | undefined;
  private closed = false;

  constructor(private readonly debug: MachineDebugger, private readonly host: GdbStubHost) {
    this.sysregs = debuggableSysregs(debug.machine.cpus[0]);
    this.descriptions = targetDescriptions(this.sysregs);
    debug.onStop = (stop) => this.reportStop(stop);
  }

  /** Bytes from the debugger. */
  receive(data: Uint8Array): void {
    for (const byte of data) {
      if (this.closed) return;
      switch (this.state) {
        case "idle":
          if (byte === 0x24 /* $ */) { this.state = "data"; this.packet = []; }
          else if (byte === INTERRUPT) this.interrupt();
          else if (byte === 0x2d /* - */ && this.lastReply && !this.noAck) this.host.send(this.lastReply);
          // '+' acknowledgments and noise between packets are ignored.
          break;
        case "data":
          if (byte === 0x23 /* # */) { this.state = "checksum"; this.checksumText = ""; }
          else if (this.packet.length > PACKET_SIZE * 2) this.state = "idle"; // overlong: dropped, never buffered without bound
          else this.packet.push(byte);
          break;
        case "checksum":
          this.checksumText += String.fromCharCode(byte);
          if (this.checksumText.length === 2) {
            this.state = "idle";
            let sum = 0;
            for (const b of this.packet) sum = (sum + b) & 0xff;
            if (!this.noAck) {
              if (parseInt(this.checksumText, 16) !== sum) { this.host.send(encoder.encode("-")); break; }
              this.host.send(encoder.encode("+"));
            }
            this.handle(Uint8Array.from(this.packet));
          }
          break;
      }
    }
  }

  /** The machine powered off or reset: "W00" ("process exited"), as QEMU tells gdb. */
  machineExited(code = 0): void {
    if (this.closed) return;
    this.reply(`W${code.toString(16).padStart(2, "0")}`);
    this.closed = true;
  }

  /** The connection is gone. */
  close(): void {
    this.closed = true;
    if (this.debug.onStop !== undefined) this.debug.onStop = undefined;
  }

  private reply(data: string | Uint8Array): void {
    const body = typeof data === "string" ? encoder.encode(data) : data;
    let sum = 0;
    for (const b of body) sum = (sum + b) & 0xff;
    const out = new Uint8Array(body.length + 4);
    out[0] = 0x24;
    out.set(body, 1);
    out.set(encoder.encode(`#${sum.toString(16).padStart(2, "0")}`), body.length + 1);
    this.lastReply = out;
    this.host.send(out);
  }

  private threadId(cpu: number): string {
    const t = (cpu + 1).toString(16).padStart(2, "0");
    return this.multiprocess ? `p01.${t}` : t;
  }

  /** The CPU a thread id names: index, "all" for -1, "any" for 0, undefined for none. */
  private cpuOf(text: string): number | "all" | undefined {
    const id = parseThreadId(text);
    if (id === undefined || (id.pid !== undefined && id.pid !== 1 && id.pid !== -1 && id.pid !== 0)) return undefined;
    if (id.tid === -1) return "all";
    if (id.tid === 0) return this.gCpu;
    return id.tid <= this.debug.machine.cpus.length ? id.tid - 1 : undefined;
  }

  private stopReply(stop: StopEvent): string {
    let s = `T${stop.signal.toString(16).padStart(2, "0")}thread:${this.threadId(stop.cpu)};`;
    if (stop.watch) {
      const name = stop.watch.kind === "write" ? "watch" : stop.watch.kind === "read" ? "rwatch" : "awatch";
      s += `${name}:${stop.watch.addr.toString(16).padStart(16, "0")};`;
    }
    return s;
  }

  /** A CPU stopped the running machine: the stop reply, and that CPU becomes the current one. */
  private reportStop(stop: StopEvent): void {
    if (this.closed) return;
    this.gCpu = this.cCpu = stop.cpu;
    this.reply(this.stopReply(stop));
  }

  private interrupt(): void {
    if (!this.debug.running) return;
    this.reportStop(this.debug.interrupt(SIGINT, this.cCpu));
  }

  private handle(raw: Uint8Array): void {
    // Binary data appears only after the ':' of an X packet; the rest is ASCII.
    let text = "";
    for (const b of raw) text += String.fromCharCode(b);
    let r: string | undefined;
    try {
      r = this.respond(text, raw);
    } catch {
      // A request the machine could not serve (a device that refuses a debugger's access):
      // an error reply, never the end of the emulation.
      r = "E14";
    }
    if (r !== undefined) this.reply(r);
  }

  /** The reply to one packet (undefined: none now, e.g. 'c' answers when the machine stops). */
  private respond(p: string, raw: Uint8Array): string | undefined {
    const cpus = this.debug.machine.cpus;
    const cpu = cpus[this.gCpu];
    switch (p[0]) {
      case "?": return this.stopReply({ cpu: this.gCpu, signal: 5 });
      case "g": return hex(readCoreRegisters(cpu, this.sysregs));
      case "G": {
        const bytes = unhex(p.slice(1));
        return bytes && writeCoreRegisters(cpu, bytes, this.sysregs) ? "OK" : "E22";
      }
      case "p": {
        const n = hexNumber(p.slice(1));
        const v = n === undefined ? undefined : readRegister(cpu, Number(n), this.sysregs);
        return v ? hex(v) : "E14";
      }
      case "P": {
        const [num, value] = p.slice(1).split("=");
        const n = hexNumber(num), bytes = value === undefined ? undefined : unhex(value);
        if (n === undefined || bytes === undefined) return "E22";
        return writeRegister(cpu, Number(n), bytes, this.sysregs) ? "OK" : "E14";
      }
      case "m": {
        const [a, l] = p.slice(1).split(",");
        const addr = hexNumber(a), len = hexNumber(l);
        if (addr === undefined || len === undefined || len > BigInt(PACKET_SIZE / 2)) return "E22";
        const bytes = this.debug.readMemory(cpu, addr, Number(len));
        return bytes ? hex(bytes) : "E14";
      }
      case "M": case "X": {
        const colon = p.indexOf(":");
        if (colon < 0) return "E22";
        const [a, l] = p.slice(1, colon).split(",");
        const addr = hexNumber(a), len = hexNumber(l);
        if (addr === undefined || len === undefined) return "E22";
        const bytes = p[0] === "M" ? unhex(p.slice(colon + 1)) : unescapeBinary(raw.subarray(colon + 1));
        if (bytes === undefined || BigInt(bytes.length) !== len) return "E22";
        return this.debug.writeMemory(cpu, addr, bytes) ? "OK" : "E14";
      }
      case "c": case "s": {
        if (p.length > 1) {
          const addr = hexNumber(p.slice(1));
          if (addr === undefined) return "E22";
          const c = cpus[this.cCpu];
          c.pcLo = Number(addr & 0xffffffffn) | 0; c.pcHi = Number(addr >> 32n) | 0;
        }
        if (p[0] === "s") return this.step(this.cCpu);
        this.debug.resume();
        return undefined;
      }
      case "v": return this.respondV(p);
      case "H": {
        const which = this.cpuOf(p.slice(2));
        if (which === undefined || (p[1] !== "g" && p[1] !== "c")) return "E22";
        if (which !== "all") { if (p[1] === "g") this.gCpu = which; else this.cCpu = which; }
        return "OK";
      }
      case "T": {
        const which = this.cpuOf(p.slice(1));
        return which === undefined ? "E22" : "OK";
      }
      case "Z": case "z": return this.respondBreak(p);
      case "D":
        this.debug.detach();
        return "OK";
      case "k":
        this.closed = true;
        this.host.kill();
        return undefined;
      case "q": case "Q": return this.respondQuery(p);
      default: return "";
    }
  }

  private step(index: number): string {
    const stop = this.debug.step(index);
    this.gCpu = this.cCpu = stop.cpu;
    return this.stopReply(stop);
  }

  private respondV(p: string): string | undefined {
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p === "vMustReplyEmpty") return "";
    if (!p.startsWith("vCont;")) return "";
    // vCont;action[:thread-id]... : a step for one thread steps it alone; otherwise continue.
    let continueAll = false;
    for (const item of p.slice(6).split(";")) {
      const [action, thread] = item.split(":");
      const kind = action[0];
      if (kind !== "c" && kind !== "C" && kind !== "s" && kind !== "S") return "E22";
      const which = thread === undefined ? "all" : this.cpuOf(thread);
      if (which === undefined) return "E22";
      if (kind === "s" || kind === "S") return this.step(which === "all" ? this.cCpu : which);
      continueAll = true;
    }
    if (continueAll) this.debug.resume();
    return undefined;
  }

  private respondBreak(p: string): string {
    const [type, a, k] = p.slice(1).split(",");
    const addr = hexNumber(a), kind = hexNumber(k?.split(";")[0]);
    if (addr === undefined || kind === undefined) return "E22";
    const insert = p[0] === "Z";
    switch (type) {
      case "0": case "1":
        if (insert) { this.debug.addBreakpoint(addr); return "OK"; }
        return this.debug.removeBreakpoint(addr) ? "OK" : "E22";
      case "2": case "3": case "4": {
        const watch: WatchKind = type === "2" ? "write" : type === "3" ? "read" : "access";
        if (insert) { this.debug.addWatchpoint(addr, Number(kind), watch); return "OK"; }
        return this.debug.removeWatchpoint(addr, Number(kind), watch) ? "OK" : "E22";
      }
      default: return "";
    }
  }

  private respondQuery(p: string): string | undefined {
    const cpus = this.debug.machine.cpus;
    if (p.startsWith("qSupported")) {
      this.multiprocess = p.slice(11).split(";").includes("multiprocess+");
      return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;vContSupported+${this.multiprocess ? ";multiprocess+" : ""};QStartNoAckMode+`;
    }
    if (p === "QStartNoAckMode") {
      // The OK still goes out (and is acknowledged) in acknowledgment mode.
      this.reply("OK");
      this.noAck = true;
      return undefined;
    }
    if (p.startsWith("qXfer:features:read:")) {
      const m = /^qXfer:features:read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return "E22";
      const doc = this.descriptions.get(m[1]);
      if (doc === undefined) return "E00";
      const offset = parseInt(m[2], 16), length = Math.min(parseInt(m[3], 16), PACKET_SIZE - 5);
      if (offset > doc.length) return "E00";
      const chunk = doc.slice(offset, offset + length);
      return (offset + length >= doc.length ? "l" : "m") + chunk;
    }
    if (p === "qfThreadInfo") { this.threadCursor = 0; return this.nextThread(); }
    if (p === "qsThreadInfo") return this.nextThread();
    if (p === "qC") return `QC${this.threadId(this.gCpu)}`;
    if (p.startsWith("qAttached")) return "1";
    if (p.startsWith("qThreadExtraInfo,")) {
      const which = this.cpuOf(p.slice(17));
      if (which === undefined || which === "all") return "E22";
      const c = cpus[which];
      // QEMU's wording, including the space that pads "halted" to the width of "running".
      const waiting = this.debug.machine.waiting?.(c) ?? (c.halted || c.off);
      return hex(encoder.encode(`CPU#${which} [${waiting ? "halted " : "running"}]`));
    }
    return "";
  }

  private nextThread(): string {
    if (this.threadCursor >= this.debug.machine.cpus.length) return "l";
    return `m${this.threadId(this.threadCursor++)}`;
  }
}

/** The data of an X packet: '}' escapes the next byte, XORed with 0x20 ("Overview"). */
function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x7d && i + 1 < data.length) out.push(data[++i] ^ 0x20);
    else out.push(data[i]);
  }
  return Uint8Array.from(out);
}
