/**
 * The debug control of a machine, for a debugger front end (the gdb stub, gdb-stub.ts): stop
 * and resume all CPUs together (gdb's all-stop mode, as QEMU's gdbstub runs), step one CPU,
 * breakpoints and watchpoints on virtual addresses, and memory through a CPU's translation.
 * Platform-neutral: the machine is reached through the small DebuggableMachine interface and
 * each CPU through its debug hook (cpu/debug-hook.ts), attached only while a breakpoint or
 * watchpoint exists, so a machine without them runs at full speed.
 */
import { Access, type Cpu, type Translation } from "../cpu/cpu.js";
import type { CpuDebugHook } from "../cpu/debug-hook.js";
import type { Bus } from "../memory/bus.js";

/** What the debugger needs of a board (or of a hypervisor's partition). */
export interface DebuggableMachine {
  readonly cpus: readonly Cpu[];
  readonly bus: Bus;
  /** End the current run after the running CPU's turn (a CPU stopped for the debugger). */
  requestStop(): void;
  /** Execute one instruction of `cpu` alone (a single step). */
  step(cpu: Cpu): void;
  /**
   * Keep the CPUs from running while the debugger holds them stopped, and let them go again
   * (a partition is paused while the others run on). Without them, the host's session loop
   * waits while `running` is false (MachineDebugger.whenResumed).
   */
  hold?(): void;
  release?(): void;
  /**
   * Whether `cpu` waits (WFI, powered off) for the thread list; default its halted and off
   * flags. A machine whose hold powers CPUs off says how they were before.
   */
  waiting?(cpu: Cpu): boolean;
}

export type WatchKind = "write" | "read" | "access";

/** Why the machine stopped, as a stop reply tells it. */
export interface StopEvent {
  /** Index (in DebuggableMachine.cpus) of the CPU that stopped it. */
  cpu: number;
  /** gdb signal number: 5 (SIGTRAP) for breakpoints, steps and watchpoints, 2 (SIGINT) for an interrupt. */
  signal: number;
  /** A watchpoint's hit: its kind and start address. */
  watch?: { kind: WatchKind; addr: bigint };
}

interface Watchpoint { addr: bigint; end: bigint; kind: WatchKind }

const PAGE = 4096n;
const U64 = (1n << 64n) - 1n;

function address(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export class MachineDebugger {
  /** False while the debugger holds the machine stopped. */
  running: boolean;
  /** The last stop, for '?' and the stop reply. */
  lastStop: StopEvent = { cpu: 0, signal: 5 };
  /** Called when a CPU stops the running machine (a breakpoint or watchpoint hit). */
  onStop: ((stop: StopEvent) => void) | undefined;
  /** Breakpoint addresses, by high word then low word (two int32 compares, no 64-bit keys). */
  private readonly breakpoints = new Map<number, Set<number>>();
  private breakpointCount = 0;
  private readonly watchpoints: Watchpoint[] = [];
  /** Pages (VA / 4 KiB) that some watchpoint touches. */
  private readonly watchedPages = new Set<bigint>();
  /** Per CPU (by position in machine.cpus): the instruction count at which the first instruction after a resume runs, unchecked. */
  private readonly resumeIcount: number[];
  /** Settles when the machine runs again; one promise shared by every waiter. */
  private resumed: { promise: Promise<void>; resolve: () => void } | undefined;
  private hooked = false;
  private readonly hook: CpuDebugHook;

  constructor(readonly machine: DebuggableMachine, startStopped: boolean) {
    this.running = !startStopped;
    this.resumeIcount = machine.cpus.map(() => -1);
    const self = this;
    this.hook = {
      breakpointAt(cpu, lo, hi) {
        const set = self.breakpoints.get(hi);
        if (set === undefined || !set.has(lo)) return false;
        const index = self.machine.cpus.indexOf(cpu);
        if (cpu.icount === self.resumeIcount[index]) return false;
        self.stopped({ cpu: index, signal: 5 });
        return true;
      },
      watchesPage(lo, hi) {
        return self.watchedPages.has(address(lo, hi) / PAGE);
      },
      watchpointHit(cpu, lo, hi, size, isWrite) {
        const index = self.machine.cpus.indexOf(cpu);
        if (self.watchpoints.length === 0 || cpu.icount === self.resumeIcount[index]) return false;
        const a = address(lo, hi), e = a + BigInt(size);
        for (const w of self.watchpoints) {
          if (a < w.end && e > w.addr && (w.kind === "access" || (w.kind === "write") === isWrite)) {
            self.stopped({ cpu: index, signal: 5, watch: { kind: w.kind, addr: w.addr } });
            return true;
          }
        }
        return false;
      },
    };
  }

  /** A CPU hit something while running: stop the machine and tell the front end. */
  private stopped(stop: StopEvent): void {
    this.lastStop = stop;
    if (!this.running) return;
    this.running = false;
    this.machine.requestStop();
    this.machine.hold?.();
    this.onStop?.(stop);
  }

  /** Stop the machine from outside (a debugger attached, Ctrl-C): reported as `signal` on `cpu`. */
  interrupt(signal: number, cpu = 0): StopEvent {
    if (this.running) this.machine.hold?.();
    this.running = false;
    this.lastStop = { cpu, signal };
    return this.lastStop;
  }

  /** Resolves when the machine runs again (the session loop waits on it while stopped). */
  whenResumed(): Promise<void> {
    if (this.running) return Promise.resolve();
    if (this.resumed === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      this.resumed = { promise, resolve };
    }
    return this.resumed.promise;
  }

  /** Let every CPU run on, none of them stopping at the instruction it stopped at. */
  resume(): void {
    this.machine.cpus.forEach((cpu, i) => { this.resumeIcount[i] = cpu.icount; });
    this.updateHooks();
    if (!this.running) this.machine.release?.();
    this.running = true;
    this.resumed?.resolve();
    this.resumed = undefined;
  }

  /** Execute one instruction of CPU `index` (the others stay stopped); the stop it ends in. */
  step(index: number): StopEvent {
    const cpu = this.machine.cpus[index];
    this.updateHooks();
    this.lastStop = { cpu: index, signal: 5 };
    const before = this.lastStop;
    // The hook reports a watchpoint through stopped(), which sets lastStop (running stays false).
    this.machine.step(cpu);
    return this.lastStop === before ? before : this.lastStop;
  }

  /** Detach the debugger: no more breakpoints or watchpoints, and the machine runs. */
  detach(): void {
    this.breakpoints.clear();
    this.breakpointCount = 0;
    this.watchpoints.length = 0;
    this.watchedPages.clear();
    this.resume();
  }

  /** Add a breakpoint at `addr` (both software and hardware ones: QEMU treats them alike under TCG). */
  addBreakpoint(addr: bigint): void {
    const lo = Number(addr & 0xffffffffn) | 0, hi = Number((addr >> 32n) & 0xffffffffn) | 0;
    let set = this.breakpoints.get(hi);
    if (set === undefined) this.breakpoints.set(hi, set = new Set());
    if (!set.has(lo)) { set.add(lo); this.breakpointCount++; }
  }

  /** Remove the breakpoint at `addr`; false when there was none (QEMU answers E22 then). */
  removeBreakpoint(addr: bigint): boolean {
    const lo = Number(addr & 0xffffffffn) | 0, hi = Number((addr >> 32n) & 0xffffffffn) | 0;
    const set = this.breakpoints.get(hi);
    if (set === undefined || !set.delete(lo)) return false;
    this.breakpointCount--;
    if (set.size === 0) this.breakpoints.delete(hi);
    return true;
  }

  addWatchpoint(addr: bigint, length: number, kind: WatchKind): void {
    const end = (addr + BigInt(Math.max(1, length))) & U64;
    this.watchpoints.push({ addr, end: end === 0n ? U64 : end, kind });
    this.refreshWatchedPages();
  }

  removeWatchpoint(addr: bigint, length: number, kind: WatchKind): boolean {
    const end = (addr + BigInt(Math.max(1, length))) & U64;
    const i = this.watchpoints.findIndex((w) => w.addr === addr && (w.end === end || (end === 0n && w.end === U64)) && w.kind === kind);
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    this.refreshWatchedPages();
    return true;
  }

  private refreshWatchedPages(): void {
    this.watchedPages.clear();
    for (const w of this.watchpoints) for (let p = w.addr / PAGE; p <= (w.end - 1n) / PAGE; p++) this.watchedPages.add(p);
    // Soft TLB entries may cover a newly watched page.
    if (this.hooked) for (const cpu of this.machine.cpus) cpu.flushTlb(false);
  }

  /** CPUs carry the hook exactly while a breakpoint or watchpoint exists. */
  private updateHooks(): void {
    const want = this.breakpointCount > 0 || this.watchpoints.length > 0;
    if (want === this.hooked) return;
    this.hooked = want;
    for (const cpu of this.machine.cpus) cpu.attachDebugHook(want ? this.hook : undefined);
  }

  /**
   * `length` bytes at virtual address `addr` as `cpu` sees them now (its current EL and
   * translation regime); undefined when a page does not translate or nothing is mapped there
   * (QEMU's gdbstub answers E14 then). Device registers are read as the CPU would read them.
   */
  readMemory(cpu: Cpu, addr: bigint, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const va = (addr + BigInt(done)) & U64;
      const chunk = Math.min(length - done, Number(PAGE - (va % PAGE)));
      const pa = this.translate(cpu, va, Access.Read);
      if (pa === undefined) return undefined;
      const bus = this.machine.bus, ri = bus.findRam(pa);
      if (ri >= 0) {
        const r = bus.rams[ri], off = pa - r.base;
        if (off + chunk > r.size) return undefined;
        out.set(r.bytes.subarray(off, off + chunk), done);
      } else {
        for (let i = 0; i < chunk; i++) {
          const v = bus.read(pa + i, 1, cpu.index);
          if (v === undefined) return undefined;
          out[done + i] = Number(v);
        }
      }
      done += chunk;
    }
    return out;
  }

  /**
   * Write `bytes` at virtual address `addr` through `cpu`'s translation; false when a page
   * does not translate. As QEMU's debug writes, ROM (the flash) is written too, and writes
   * where nothing is mapped are dropped. Decoded code in the pages written is dropped.
   */
  writeMemory(cpu: Cpu, addr: bigint, bytes: Uint8Array): boolean {
    // Translate every page first, so that a fault leaves memory untouched.
    const pieces: [number, number, number][] = [];
    for (let done = 0; done < bytes.length;) {
      const va = (addr + BigInt(done)) & U64;
      const chunk = Math.min(bytes.length - done, Number(PAGE - (va % PAGE)));
      const pa = this.translate(cpu, va, Access.Write);
      if (pa === undefined) return false;
      pieces.push([pa, done, chunk]);
      done += chunk;
    }
    const bus = this.machine.bus;
    for (const [pa, at, chunk] of pieces) {
      const ri = bus.findRam(pa);
      if (ri >= 0) {
        const r = bus.rams[ri], off = pa - r.base;
        const n = Math.min(chunk, r.size - off);
        r.bytes.set(bytes.subarray(at, at + n), off);
        bus.codeWritten(ri, off >>> 12);
      } else {
        for (let i = 0; i < chunk; i++) bus.write(pa + i, 1, bytes[at + i], cpu.index);
      }
    }
    return true;
  }

  /**
   * The physical address of `va` for `cpu` at its EL, ignoring permissions (a debugger may read
   * what the CPU may only execute); undefined on a translation fault.
   */
  private translate(cpu: Cpu, va: bigint, access: Access): number | undefined {
    const tr: Translation = { pa: 0, fault: -1, faultS2: false, cacheable: true, ipa: 0, leafPages: 1 };
    const lo = Number(va & 0xffffffffn) | 0, hi = Number(va >> 32n) | 0;
    cpu.translateFn(cpu, lo, hi, access === Access.Write ? Access.Write : Access.Read, cpu.el, tr);
    if (tr.fault >= 0 && access === Access.Write) {
      // A read-only page (a permission fault) is still written, as QEMU's debug access does.
      cpu.translateFn(cpu, lo, hi, Access.Read, cpu.el, tr);
    }
    if (tr.fault >= 0) cpu.translateFn(cpu, lo, hi, Access.Exec, cpu.el, tr);
    return tr.fault >= 0 ? undefined : tr.pa;
  }
}
