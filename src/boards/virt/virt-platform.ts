/**
 * What the `virt` board is to its CPUs (src/cpu/platform.ts CpuPlatform): PSCI firmware on the
 * HVC/SMC conduit, broadcasts that reach every CPU (TLB maintenance, SEV, new code pages,
 * exclusive monitors), the Secure-only part of the memory map, and guest exits to EL2 answered
 * by the TypeScript hypervisor when one is attached (reflected to the emulated EL2 otherwise).
 * One object serves every CPU of the board.
 */
import type { Cpu, TlbInvalidation } from "../../cpu/cpu.js";
import { REFLECT, type Conduit, type CpuPlatform, type El2Exit, type El2ExitHandler, type El2ExitResult } from "../../cpu/platform.js";
import type { PsciFirmware } from "../../firmware/psci.js";

export class VirtPlatform implements CpuPlatform {
  /**
   * @param cpus the board's CPUs (filled after this platform is handed to them)
   * @param secureOnly physical addresses only the Secure state may access (secure=on)
   * @param hypervisor answers guest exits to EL2; without one they are reflected
   */
  constructor(
    private readonly cpus: readonly Cpu[],
    private readonly psci: PsciFirmware,
    private readonly secureOnly: (pa: number) => boolean,
    private readonly hypervisor: El2ExitHandler | undefined,
  ) {}

  firmwareCall(cpu: Cpu, conduit: Conduit, imm: number): boolean {
    return this.psci.handle(cpu, conduit, imm);
  }

  get handlesEl2Exits(): boolean { return this.hypervisor !== undefined; }

  el2Exit(cpu: Cpu, exit: El2Exit): El2ExitResult {
    return this.hypervisor !== undefined ? this.hypervisor.el2Exit(cpu, exit) : REFLECT;
  }

  /** Nothing to do: the board's run loop skips halted CPUs and reports idle when all are. */
  halted(): void {}

  broadcastTlbInvalidate(_cpu: Cpu, op: TlbInvalidation): void {
    for (const c of this.cpus) c.invalidateTlb(op);
  }

  /** SEV reaches every CPU; a CPU waiting in WFE yielded its turn, so it runs again. */
  sendEvent(): void {
    for (const c of this.cpus) { c.eventRegister = true; c.halted = false; }
  }

  codePageCreated(_cpu: Cpu, ramIndex: number, pageOffset: number): void {
    for (const c of this.cpus) c.dropWriteEntries(ramIndex, pageOffset);
  }

  clearOtherExclusiveMonitors(cpu: Cpu, pa: number): void {
    for (const c of this.cpus) {
      // Reservation granule: the exact address range is tracked; any overlapping store clears it.
      if (c !== cpu && c.exclusiveValid && pa >= c.exclusiveAddr - 7 && pa < c.exclusiveAddr + c.exclusiveSize) c.exclusiveValid = false;
    }
  }

  isSecureOnly(pa: number): boolean {
    return this.secureOnly(pa);
  }
}
