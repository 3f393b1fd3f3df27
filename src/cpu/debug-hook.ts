/**
 * A debugger's narrow hold on a CPU (the gdb stub in src/debug/): breakpoints it checks
 * before each instruction, watchpoints it checks on each data access, and the sentinel that
 * stops an instruction before its access. It is the debugger's own mechanism, apart from the
 * architectural self-hosted debug (DBGBVR_EL1 and its kin), which a guest programs itself.
 *
 * While a CPU has no hook its run loop is untouched: Cpu.run tests for one once per call.
 * With a hook the CPU runs one instruction at a time (Cpu.run's debugged path), so a
 * breakpoint stops exactly at its address, in interpreted and compiled code alike, and the
 * pages the hook watches stay out of the soft TLB, so every access to them takes the slow
 * path, which asks the hook.
 */
import type { Cpu } from "./cpu.js";

export interface CpuDebugHook {
  /** Stop before executing the instruction at PC (lo, hi) of `cpu`. */
  breakpointAt(cpu: Cpu, lo: number, hi: number): boolean;
  /**
   * Some watchpoint may cover the 4 KiB page of VA (lo, hi): its translations must not enter
   * the soft TLB, so that accesses reach watchpointHit.
   */
  watchesPage(lo: number, hi: number): boolean;
  /**
   * A data access of `size` bytes at VA (lo, hi) is about to happen; true stops the CPU before
   * it, with the PC at the accessing instruction (as QEMU's gdbstub reports a watchpoint, and as
   * gdb expects on AArch64, where it steps over the instruction itself).
   */
  watchpointHit(cpu: Cpu, lo: number, hi: number, size: number, isWrite: boolean): boolean;
}

/**
 * Thrown by the slow memory path when the hook asks to stop before an access: the instruction
 * does not complete (like an abort, nothing of it is written back) and is not counted.
 */
export const DEBUG_STOP = { debugStop: true };
