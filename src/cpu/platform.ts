/**
 * The CPU's only way out: everything a processing element needs from the machine around it
 * (firmware, other CPUs, a TypeScript hypervisor) goes through one `CpuPlatform`, given in
 * CpuConfig. The core never imports a board; a board (or a test) implements this interface.
 *
 * Beside it, `CpuObserver` lets a tracer (and later a gdb stub) watch instructions and
 * exceptions without replacing any of the CPU's methods.
 *
 * Guest exits (the KVM_RUN model): an exception a guest at EL0/EL1 takes to EL2 (ARM ARM D1.10)
 * is first offered to the platform as a typed `El2Exit`. The platform either resumes the guest
 * (having emulated what the guest asked for) or reflects the exception, which is then entered
 * architecturally at the emulated EL2's vectors, as a real CPU would: that is also what happens
 * when no hypervisor is attached, so firmware or a hypervisor written for the guest still runs.
 */
import type { Cpu, TlbInvalidation } from "./cpu.js";

/** The instruction a firmware call arrived by (ARM DEN 0028, SMC Calling Convention). */
export type Conduit = "hvc" | "smc";

/** Fields every exit carries. 64-bit addresses are bigints: exits are off the hot path. */
interface El2ExitCommon {
  /** ESR_EL2.EC, the exception class (ARM ARM D13.2.37). */
  readonly ec: number;
  /** ESR_EL2.ISS, the syndrome, as the architectural entry would write it. */
  readonly iss: number;
  /**
   * The preferred return address, i.e. what ELR_EL2 would hold (ARM ARM D1.10.4): the next
   * instruction for HVC, the faulting or trapped instruction itself for the rest (aborts, WFx,
   * MSR/MRS traps, SMC trapped by HCR_EL2.TSC). Resuming without a new PC returns here, so an
   * emulated instruction is skipped with `pc: returnPc + 4n`.
   */
  readonly returnPc: bigint;
  /** The EL the guest was at (0 or 1). */
  readonly fromEl: number;
}

/** HVC from EL1 (EC 0x16): a hypercall; ISS[15:0] is the immediate. */
export interface HvcExit extends El2ExitCommon { readonly kind: "hvc"; readonly imm: number }

/** SMC from EL1 trapped by HCR_EL2.TSC (EC 0x17); the return address is the SMC itself. */
export interface SmcExit extends El2ExitCommon { readonly kind: "smc"; readonly imm: number }

/**
 * The instruction syndrome of a data abort when ISS.ISV = 1 (ARM ARM D13.2.37, ISS encoding for
 * an exception from a Data Abort): enough to emulate the load or store without decoding it.
 */
export interface DataAbortAccess {
  /** Access size in bytes (SAS). */
  readonly size: 1 | 2 | 4 | 8;
  /** A load sign-extends the value (SSE). */
  readonly signExtend: boolean;
  /** The transfer register, Xt/Wt (SRT); 31 is XZR. */
  readonly register: number;
  /** The register is 64-bit (SF): Xt, otherwise Wt. */
  readonly sixtyFourBit: boolean;
  /** Acquire/release semantics (AR). */
  readonly acquireRelease: boolean;
}

/**
 * A data abort from EL0/EL1 taken to EL2 (EC 0x24). In ARMv8.0 with HCR_EL2.TGE = 0 that is a
 * stage-2 fault (including one on a stage-1 table walk, S1PTW), typically an access to memory
 * the partition does not own, which a hypervisor emulates as MMIO.
 */
export interface DataAbortExit extends El2ExitCommon {
  readonly kind: "dabt";
  /** FAR_EL2: the faulting virtual address. */
  readonly far: bigint;
  /**
   * The faulting intermediate physical address: HPFAR_EL2.FIPA (IPA[51:12], ARM ARM D13.2.51)
   * with the page offset from FAR. Valid for stage-2 faults, which the stage-2 walk reports
   * by filling HPFAR_EL2; undefined when HCR_EL2.TGE made this a host EL0's stage-1 abort.
   */
  readonly ipa: number | undefined;
  readonly write: boolean;
  /** DFSC: fault status code, level included (FSC in cpu.ts). */
  readonly fsc: number;
  /** The fault happened on a stage-1 translation table walk (S1PTW). */
  readonly onTableWalk: boolean;
  /** The access, when the syndrome describes it (ISV = 1); otherwise decode the instruction. */
  readonly access: DataAbortAccess | undefined;
}

/** An instruction abort from EL0/EL1 taken to EL2 (EC 0x20): a stage-2 fault on fetch. */
export interface InstructionAbortExit extends El2ExitCommon {
  readonly kind: "iabt";
  readonly far: bigint;
  /** As DataAbortExit.ipa. */
  readonly ipa: number | undefined;
  /** IFSC: fault status code, level included. */
  readonly fsc: number;
  readonly onTableWalk: boolean;
}

/**
 * WFI trapped by HCR_EL2.TWI (EC 0x01): the guest has nothing to do. (`wfe` is for the ISS's
 * TI bit; this CPU's WFE never waits, so HCR_EL2.TWE never traps it, as in QEMU 7.2.)
 */
export interface WfxExit extends El2ExitCommon { readonly kind: "wfx"; readonly wfe: boolean }

/**
 * MSR, MRS or SYS trapped to EL2 (EC 0x18), decoded from the ISS (ARM ARM D13.2.37, ISS
 * encoding for an exception from MSR, MRS, or System instruction execution).
 */
export interface SysRegExit extends El2ExitCommon {
  readonly kind: "sysreg";
  readonly op0: number;
  readonly op1: number;
  readonly crn: number;
  readonly crm: number;
  readonly op2: number;
  /** The general-purpose register read (MSR) or written (MRS); 31 is XZR. */
  readonly rt: number;
  /** MRS (a read of the register, Direction = 1); MSR otherwise. */
  readonly isRead: boolean;
  /** The register's name in the CPU's table (e.g. "SCTLR_EL1"), if it has one. */
  readonly name: string | undefined;
}

/** Any other synchronous exception to EL2 (e.g. UNDEFINED with TGE, FP trap by CPTR_EL2.TFP). */
export interface OtherExit extends El2ExitCommon {
  readonly kind: "other";
  /** FAR_EL2 for the exception classes that write it (PC alignment), undefined otherwise. */
  readonly far: bigint | undefined;
}

export type El2Exit = HvcExit | SmcExit | DataAbortExit | InstructionAbortExit | WfxExit | SysRegExit | OtherExit;

/** A general-purpose register write (X0-X30) the platform asks for when resuming the guest. */
export type RegisterWrite = readonly [index: number, value: bigint];

/**
 * How a guest exit ends.
 *  - "resume": the exit was handled; the guest continues at `pc` (default: the exit's
 *    returnPc) after the register writes are applied. The handler may also have changed the
 *    CPU (registers, virtual interrupt lines) directly. No exception is entered: ELR_EL2,
 *    SPSR_EL2, ESR_EL2 and FAR_EL2 keep their values, as under KVM.
 *  - "reflect": enter the exception at the emulated EL2 (ELR, SPSR, ESR, FAR written, PC at
 *    VBAR_EL2), as the architecture does, exactly as with no hypervisor.
 */
export type El2ExitResult =
  | { readonly action: "resume"; readonly pc?: bigint; readonly registers?: readonly RegisterWrite[] }
  | { readonly action: "reflect" };

export const REFLECT: El2ExitResult = Object.freeze({ action: "reflect" });
export const RESUME: El2ExitResult = Object.freeze({ action: "resume" });

/** What answers guest exits to EL2: the TypeScript hypervisor. */
export interface El2ExitHandler {
  el2Exit(cpu: Cpu, exit: El2Exit): El2ExitResult;
  /**
   * False when el2Exit only ever reflects. Otherwise (or when not said) it may answer exits
   * itself, reading and writing guest registers in the register file, and compiled code keeps
   * no register cached across a memory access (see compileRegion).
   */
  readonly handlesEl2Exits?: boolean;
}

/**
 * Everything the CPU asks of the machine. One object serves every CPU of a board (each call
 * names its CPU), so calls stay monomorphic. None of these is on the per-instruction path.
 */
export interface CpuPlatform extends El2ExitHandler {
  /**
   * HVC or SMC that firmware in TypeScript (PSCI) may answer before the architecture sees it,
   * as QEMU does for its conduit. Returns true when handled: the instruction then completes.
   */
  firmwareCall(cpu: Cpu, conduit: Conduit, imm: number): boolean;
  /**
   * The CPU stopped in WFI (or PSCI CPU_SUSPEND) with nothing pending (`cpu.halted` is set), so
   * the machine may idle or run other CPUs.
   */
  halted(cpu: Cpu): void;
  /** TLBI ...IS: apply `op` to the TLBs of every CPU in the Inner Shareable domain, this one included. */
  broadcastTlbInvalidate(cpu: Cpu, op: TlbInvalidation): void;
  /** SEV: set the event register of every CPU (ARM ARM D1.16.1), this one included, waking them. */
  sendEvent(cpu: Cpu): void;
  /**
   * A physical page just got pre-decoded code (this CPU already dropped its own write TLB entries
   * to it): every other CPU sharing the code cache must drop theirs, so stores to the page take
   * the slow path that invalidates the decoded code.
   */
  codePageCreated(cpu: Cpu, ramIndex: number, pageOffset: number): void;
  /**
   * The CPU stored to physical address `pa` (on a slow-path store, a TLB refill for stores, or
   * a successful store-exclusive): other CPUs' exclusive monitors covering it must be cleared
   * (global monitor, ARM ARM B2.9.3).
   */
  clearOtherExclusiveMonitors(cpu: Cpu, pa: number): void;
  /**
   * Physical addresses only the Secure state may access (virt,secure=on); asked only for
   * Non-secure accesses on CPUs with EL3. Such an access is an external abort.
   */
  isSecureOnly(pa: number): boolean;
}

/**
 * A CPU on its own: no firmware, no other CPUs, no hypervisor. Broadcasts reach only this CPU,
 * and exits to EL2 are reflected to the emulated EL2.
 */
export class StandalonePlatform implements CpuPlatform {
  firmwareCall(_cpu: Cpu, _conduit: Conduit, _imm: number): boolean { return false; }
  readonly handlesEl2Exits = false;
  el2Exit(_cpu: Cpu, _exit: El2Exit): El2ExitResult { return REFLECT; }
  halted(_cpu: Cpu): void {}
  broadcastTlbInvalidate(cpu: Cpu, op: TlbInvalidation): void { cpu.invalidateTlb(op); }
  sendEvent(cpu: Cpu): void { cpu.eventRegister = true; }
  codePageCreated(_cpu: Cpu, _ramIndex: number, _pageOffset: number): void {}
  clearOtherExclusiveMonitors(_cpu: Cpu, _pa: number): void {}
  isSecureOnly(_pa: number): boolean { return false; }
}

/** The vector offset of each kind of exception within a vector table quarter (ARM ARM D1.10.2). */
export const enum VectorOffset { Sync = 0x000, Irq = 0x080, Fiq = 0x100, SError = 0x180 }

/**
 * Watches a CPU without changing what it does: tracing (`-d exec,int`), later a gdb stub.
 * Attach with Cpu.observe(); both methods are optional and cost nothing when absent.
 */
export interface CpuObserver {
  /**
   * Before each instruction, with the PC at it. When this is present the CPU executes one
   * instruction per Cpu.run call (so a board interleaves CPUs instruction by instruction, and
   * the observer sees them in execution order); the fast path is untouched otherwise. An
   * interrupt taken at the start of the call, or a fault on fetch, moves the PC after this
   * call, as a trace line printed for the instruction about to run would show.
   */
  onInstruction?(cpu: Cpu): void;
  /**
   * After an exception has been entered (ARM ARM D1.10): the target EL, the vector kind, ESR
   * (undefined for interrupts, which do not write it), the return address written to ELR and
   * FAR_ELx after entry (unchanged by exceptions that do not write it). The CPU's PC is the
   * vector. Not called for exits a platform resumed, which enter no exception.
   */
  onException?(cpu: Cpu, target: number, vector: VectorOffset, esr: number | undefined, elr: bigint, far: bigint): void;
}
