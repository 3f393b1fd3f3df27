/**
 * Exception routing, entry and return for AArch64 (ARM ARM D1.10 "Exception entry", D1.11
 * "Exception return", D1.13 "Asynchronous exception types, routing, masking and priorities").
 *
 * Everything here operates on a Cpu: which EL takes an exception (`routeException`), entering
 * it (`enterException`, through the `takeException*` helpers the instruction table uses, which
 * also unwind the instruction), returning from it (`exceptionReturn`) and taking a pending
 * interrupt at a block boundary (`takePendingInterrupt`). An exception a guest at EL0/EL1
 * takes to EL2 is first offered to the platform as a typed exit (platform.ts).
 *
 * None of this is on the per-instruction path: the run loop reaches it through a thrown
 * EXCEPTION_TAKEN or the `interruptCheck` flag it tests at block boundaries.
 */
import { CPACR_EL1, CPTR, DAIF, HCR_EL2, SCR_EL3 } from "./arch-bits.js";
import type { Cpu } from "./cpu.js";
import { VectorOffset, type El2Exit, type El2ExitResult } from "./platform.js";
import { SR, sysRegKey } from "./sysregs.js";

/** Thrown (as this one object) to unwind an instruction after an exception has been entered. */
export const EXCEPTION_TAKEN = { exceptionTaken: true };

/** Exception classes, ARM ARM D13.2.37 (ESR_ELx.EC). */
export const EC = {
  UNKNOWN: 0x00, WFX: 0x01, FP_ACCESS: 0x07, ILLEGAL_STATE: 0x0e,
  SVC64: 0x15, HVC64: 0x16, SMC64: 0x17, SYSREG: 0x18,
  IABT_LOWER: 0x20, IABT_SAME: 0x21, PC_ALIGN: 0x22, DABT_LOWER: 0x24, DABT_SAME: 0x25,
  SP_ALIGN: 0x26, FP_EXC64: 0x2c, SERROR: 0x2f, BRK: 0x3c,
} as const;

/** Fault status codes (DFSC/IFSC), ARM ARM D13.2.37. */
export const FSC = {
  ADDR_SIZE: 0x00, TRANSLATION: 0x04, ACCESS_FLAG: 0x08, PERMISSION: 0x0c,
  SYNC_EXTERNAL: 0x10, ALIGNMENT: 0x21,
} as const;

/** ISS of an FP/SIMD access trap (EC 0x07): CV = 1, COND = 0xE (ARM ARM D13.2.37). */
const FP_TRAP_ISS = 0x1e00000;

/**
 * Instructions without an exception after which the next one starts a new run for
 * Cpu.firstFault even without an exception return in between (a guest that never returns from
 * some early exception should not have that one named as the start of a later loop).
 */
const FIRST_FAULT_HORIZON = 1 << 16;

/** The kinds of exception routing distinguishes (ARM ARM D1.10.1). */
export const enum ExceptionKind {
  /** A synchronous exception that is not a trap to a named EL (UNDEFINED, SVC, aborts, ...). */
  Sync,
  Irq,
  Fiq,
  /** SError and, with SCR_EL3.EA, external aborts. */
  SError,
}

/**
 * The EL that takes an exception of `kind` raised at the CPU's current EL (ARM ARM D1.10.1
 * "Routing synchronous exceptions", D1.13.2 with table D1-15 for physical interrupts):
 *
 *  - Sync: from EL0 to EL1, or to EL2 when HCR_EL2.TGE = 1 with EL2 enabled; from ELn (n >= 1)
 *    to ELn. Traps that name their EL (HVC, SMC, HCR_EL2/CPTR/SCR_EL3 trap bits, stage-2
 *    aborts) are routed by the instruction or fault that raises them.
 *  - IRQ, FIQ, SError: to EL3 when SCR_EL3.{IRQ,FIQ,EA} is set; else to EL2 when EL2 is enabled
 *    and HCR_EL2.{IMO,FMO,AMO} or HCR_EL2.TGE is set; else to EL1. An interrupt routed below
 *    the current EL is not taken there (it stays pending until the CPU goes down to its EL);
 *    that and PSTATE masking are the caller's business (takePendingInterrupt).
 *
 * "EL2 enabled" (Cpu.el2Enabled) is EL2 implemented and, with EL3, SCR_EL3.NS = 1: ARMv8.0 has
 * no Secure EL2, and HCR_EL2 has no effect when EL2 is not enabled (hcrLo() reads 0).
 */
export function routeException(cpu: Cpu, kind: ExceptionKind): number {
  const hcr = cpu.hcrLo();
  if (kind === ExceptionKind.Sync) {
    if (cpu.el !== 0) return cpu.el;
    return (hcr & HCR_EL2.TGE) !== 0 ? 2 : 1;
  }
  const scr = cpu.highestEl === 3 ? cpu.sr[SR.SCR_EL3 * 2] : 0;
  const toEl3 = kind === ExceptionKind.Irq ? SCR_EL3.IRQ : kind === ExceptionKind.Fiq ? SCR_EL3.FIQ : SCR_EL3.EA;
  if ((scr & toEl3) !== 0) return 3;
  const toEl2 = kind === ExceptionKind.Irq ? HCR_EL2.IMO : kind === ExceptionKind.Fiq ? HCR_EL2.FMO : HCR_EL2.AMO;
  if (cpu.el2Enabled && (hcr & (toEl2 | HCR_EL2.TGE)) !== 0) return 2;
  return 1;
}

/**
 * Synchronous exception entry with the current instruction as the preferred return address
 * (ARM ARM D1.10.4): write ESR (and FAR when `setFar`), enter `target`, and unwind the
 * instruction.
 */
export function takeException(cpu: Cpu, target: number, ec: number, iss: number, farLo?: number, farHi?: number, setFar = false): never {
  cpu.excPcLo = cpu.pcLo;
  enterException(cpu, target, VectorOffset.Sync, cpu.pcLo, cpu.pcHi, ec, iss, setFar ? farLo! : undefined, farHi);
  throw EXCEPTION_TAKEN;
}

/** As takeException, but the return address is the next instruction (SVC, HVC, SMC). */
export function takeExceptionAfter(cpu: Cpu, target: number, ec: number, iss: number): never {
  enterExceptionAfter(cpu, target, ec, iss);
  throw EXCEPTION_TAKEN;
}

/**
 * The entry of takeExceptionAfter without the unwinding, for an instruction that ends its
 * block anyway and has nothing left to do (SVC): it returns like a branch, with `flow` = 1 and
 * the PC at the vector, which the run loop and compiled regions already handle, so the
 * commonest exception of an OS skips a JavaScript throw through the region and the run loop.
 * A debugger's software step keeps the throw (runDebugged completes a step only when the
 * instruction returns normally).
 */
export function enterExceptionAfter(cpu: Cpu, target: number, ec: number, iss: number): void {
  cpu.excPcLo = cpu.pcLo;
  // SVC, HVC and SMC complete the instruction being stepped: SPSR.SS = 0, and the step
  // exception is taken when the handler returns (ARM ARM D2, "Software Step exceptions"; QEMU gen_ss_advance).
  if (cpu.pstateSs !== 0 && cpu.debugArmed && cpu.debug.stepActive()) cpu.pstateSs = 0;
  const lo = (cpu.pcLo >>> 0) + 4;
  enterException(cpu, target, VectorOffset.Sync, lo | 0, lo > 0xffffffff ? (cpu.pcHi + 1) | 0 : cpu.pcHi, ec, iss);
}

/** UNDEFINED instruction (EC 0x00), routed as any synchronous exception. */
export function undefinedInstruction(cpu: Cpu): never {
  takeException(cpu, routeException(cpu, ExceptionKind.Sync), EC.UNKNOWN, 0);
}

/**
 * FP/SIMD access trap (EC 0x07, ARM ARM D1.10.?, CPACR_EL1.FPEN, CPTR_EL2.TFP, CPTR_EL3.TFP),
 * checked in that order: CPACR_EL1 traps EL0 and EL1 accesses (routed as any synchronous
 * exception, so to EL2 from EL0 with HCR_EL2.TGE), CPTR_EL2 traps EL0-EL2 to EL2, CPTR_EL3
 * traps every EL to EL3. Called once Cpu.fpEnabled has said the access traps.
 */
export function fpTrap(cpu: Cpu): never {
  const fpen = (cpu.sr[SR.CPACR_EL1 * 2] & CPACR_EL1.FPEN_MASK) >>> CPACR_EL1.FPEN_SHIFT;
  const cpacrTraps = (cpu.el === 0 && fpen !== 3) || (cpu.el === 1 && (fpen === 0 || fpen === 2));
  if (cpacrTraps) takeException(cpu, routeException(cpu, ExceptionKind.Sync), EC.FP_ACCESS, FP_TRAP_ISS);
  if (cpu.el <= 2 && cpu.el2Enabled && (cpu.sr[SR.CPTR_EL2 * 2] & CPTR.TFP)) takeException(cpu, 2, EC.FP_ACCESS, FP_TRAP_ISS);
  takeException(cpu, 3, EC.FP_ACCESS, FP_TRAP_ISS);
}

/** SPSR, ELR, ESR, FAR and VBAR of each EL that takes exceptions (index = EL). */
const BANKED = [
  [0, 0, 0, 0, 0],
  [SR.SPSR_EL1, SR.ELR_EL1, SR.ESR_EL1, SR.FAR_EL1, SR.VBAR_EL1],
  [SR.SPSR_EL2, SR.ELR_EL2, SR.ESR_EL2, SR.FAR_EL2, SR.VBAR_EL2],
  [SR.SPSR_EL3, SR.ELR_EL3, SR.ESR_EL3, SR.FAR_EL3, SR.VBAR_EL3],
] as const;

const pair64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/**
 * Exception entry (ARM ARM D1.10): save PSTATE to SPSR_ELx and the return address to ELR_ELx,
 * write ESR_ELx (EC, IL = 1 for a 32-bit instruction, ISS) and FAR_ELx for synchronous
 * exceptions, clear the local exclusive monitor, switch to `target` on SP_ELx with DAIF all
 * masked, and go to VBAR_ELx + the vector (current EL on SP0 0x000, on SPx 0x200, a lower EL in
 * AArch64 0x400; plus the kind's offset). `ec` is -1 for interrupts, `farLo` undefined when the
 * exception does not write FAR.
 *
 * A synchronous exception from EL0/EL1 to EL2 is first offered to the platform as a guest exit:
 * if the platform resumes the guest, nothing is entered.
 */
export function enterException(cpu: Cpu, target: number, vector: VectorOffset, retLo: number, retHi: number,
  ec: number, iss: number, farLo?: number, farHi?: number): void {
  // Progress accounting for the board's stuck-guest detection: an exception taken at most
  // one step after the previous one (a fetch fault counts as a step) made no progress.
  cpu.exceptionsTaken++;
  const gap = cpu.icount - cpu.lastExceptionIcount;
  cpu.exceptionsWithoutProgress = gap <= 1 ? cpu.exceptionsWithoutProgress + 1 : 0;
  cpu.lastExceptionIcount = cpu.icount;
  const esr = ((ec << 26) | (1 << 25) | (iss & 0x1ffffff)) >>> 0;
  if (cpu.exceptionsSinceEret++ === 0 || gap > FIRST_FAULT_HORIZON) {
    const f = cpu.firstFault;
    f.esr = vector === VectorOffset.Sync ? esr : 0;
    f.hasFar = vector === VectorOffset.Sync && farLo !== undefined;
    f.farLo = f.hasFar ? farLo! : 0; f.farHi = f.hasFar ? farHi ?? 0 : 0;
    f.pcLo = cpu.pcLo; f.pcHi = cpu.pcHi;
    f.fromEl = cpu.el; f.targetEl = target; f.vector = vector;
  }
  if (target === 2 && vector === VectorOffset.Sync && cpu.el < 2) {
    const result = cpu.platform.el2Exit(cpu, describeEl2Exit(cpu, ec, iss, retLo, retHi, farLo, farHi));
    if (result.action === "resume") { resumeGuest(cpu, result, retLo, retHi); return; }
  }
  const fromEl = cpu.el;
  const spsr = cpu.getPstate();
  const regs = BANKED[target];
  cpu.srSet(regs[0], spsr | 0, 0);
  cpu.srSet(regs[1], retLo, retHi);
  if (ec >= 0) {
    cpu.srSet(regs[2], esr | 0, 0);
    if (farLo !== undefined) cpu.srSet(regs[3], farLo, farHi ?? 0);
  }
  cpu.exclusiveValid = false;
  cpu.pstateIl = 0;
  cpu.pstateSs = 0;
  cpu.daif = DAIF.ALL;
  cpu.setElSp(target, 1);
  const base = fromEl === target ? ((spsr & 1) ? 0x200 : 0) : 0x400;
  const vlo = cpu.sr[regs[4] * 2] >>> 0, vhi = cpu.sr[regs[4] * 2 + 1];
  const lo = vlo + base + vector;
  cpu.pcLo = lo | 0;
  cpu.pcHi = lo > 0xffffffff ? (vhi + 1) | 0 : vhi;
  cpu.flow = 1;
  cpu.interruptCheck = true;
  const observer = cpu.exceptionObserver;
  if (observer !== undefined) {
    observer.onException!(cpu, target, vector, ec >= 0 ? esr : undefined, pair64(retLo, retHi),
      pair64(cpu.sr[regs[3] * 2], cpu.sr[regs[3] * 2 + 1]));
  }
}

/**
 * The guest continues after an exit the platform handled: its register writes, then the PC
 * (the exit's return address unless it gave another). The round trip through EL2 counts as an
 * exception return for the stuck-guest check, and clears the exclusive monitor as the
 * architectural entry and ERET would.
 */
function resumeGuest(cpu: Cpu, result: Extract<El2ExitResult, { action: "resume" }>, retLo: number, retHi: number): void {
  for (const [n, v] of result.registers ?? []) {
    if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`no general-purpose register X${n}`);
    cpu.x[n * 2] = Number(v & 0xffffffffn) | 0;
    cpu.x[n * 2 + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
  }
  if (result.pc !== undefined) {
    cpu.pcLo = Number(result.pc & 0xffffffffn) | 0;
    cpu.pcHi = Number((result.pc >> 32n) & 0xffffffffn) | 0;
  } else {
    cpu.pcLo = retLo;
    cpu.pcHi = retHi;
  }
  cpu.exclusiveValid = false;
  cpu.exceptionsSinceEret = 0;
  cpu.flow = 1;
  cpu.interruptCheck = true;
}

/**
 * The typed exit for a synchronous exception from EL0/EL1 to EL2, decoded from its syndrome
 * (ARM ARM D13.2.37, the ISS encodings per EC).
 */
function describeEl2Exit(cpu: Cpu, ec: number, iss: number, retLo: number, retHi: number, farLo?: number, farHi?: number): El2Exit {
  const common = { ec, iss, returnPc: pair64(retLo, retHi), fromEl: cpu.el };
  const far = farLo === undefined ? undefined : pair64(farLo, farHi ?? 0);
  switch (ec) {
    case EC.HVC64: return { kind: "hvc", ...common, imm: iss & 0xffff };
    case EC.SMC64: return { kind: "smc", ...common, imm: iss & 0xffff };
    case EC.DABT_LOWER: case EC.DABT_SAME: {
      // ISS: ISV [24], SAS [23:22], SSE [21], SRT [20:16], SF [15], AR [14], S1PTW [7], WnR [6], DFSC [5:0].
      const access = (iss & (1 << 24)) === 0 ? undefined : {
        size: (1 << ((iss >>> 22) & 3)) as 1 | 2 | 4 | 8, signExtend: (iss & (1 << 21)) !== 0,
        register: (iss >>> 16) & 0x1f, sixtyFourBit: (iss & (1 << 15)) !== 0, acquireRelease: (iss & (1 << 14)) !== 0,
      };
      return { kind: "dabt", ...common, far: far ?? 0n, ipa: faultIpa(cpu, farLo ?? 0), write: (iss & (1 << 6)) !== 0,
        fsc: iss & 0x3f, onTableWalk: (iss & (1 << 7)) !== 0, access };
    }
    case EC.IABT_LOWER: case EC.IABT_SAME:
      return { kind: "iabt", ...common, far: far ?? 0n, ipa: faultIpa(cpu, farLo ?? 0), fsc: iss & 0x3f, onTableWalk: (iss & (1 << 7)) !== 0 };
    case EC.WFX: return { kind: "wfx", ...common, wfe: (iss & 1) !== 0 };
    case EC.SYSREG: {
      // ISS: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0].
      const op0 = (iss >>> 20) & 3, op2 = (iss >>> 17) & 7, op1 = (iss >>> 14) & 7, crn = (iss >>> 10) & 0xf, crm = (iss >>> 1) & 0xf;
      return { kind: "sysreg", ...common, op0, op1, crn, crm, op2, rt: (iss >>> 5) & 0x1f, isRead: (iss & 1) !== 0,
        name: cpu.sysregs.lookup(sysRegKey(op0, op1, crn, crm, op2))?.name };
    }
    default: return { kind: "other", ...common, far };
  }
}

/**
 * The IPA of a stage-2 abort: HPFAR_EL2.FIPA, bits [39:4], holds IPA[51:12] (ARM ARM D13.2.51)
 * and FAR the page offset. An abort from EL0 with HCR_EL2.TGE = 1 is a stage-1 abort of the
 * host's EL0 (the EL1&0 stage 2 does not apply), which has no IPA.
 */
function faultIpa(cpu: Cpu, farLo: number): number | undefined {
  if ((cpu.hcrLo() & HCR_EL2.TGE) !== 0) return undefined;
  const hpfar = (cpu.sr[SR.HPFAR_EL2 * 2 + 1] >>> 0) * 4294967296 + (cpu.sr[SR.HPFAR_EL2 * 2] >>> 0);
  return (Math.floor(hpfar / 16) % 2 ** 36) * 4096 + (farLo & 0xfff);
}

/** ERET (ARM ARM D1.11): restore PSTATE from SPSR_ELx and branch to ELR_ELx. */
export function exceptionReturn(cpu: Cpu): void {
  const el = cpu.el;
  const regs = BANKED[el];
  const spsr = cpu.sr[regs[0] * 2] >>> 0;
  const elrLo = cpu.sr[regs[1] * 2], elrHi = cpu.sr[regs[1] * 2 + 1];
  const targetEl = (spsr >>> 2) & 3;
  cpu.exclusiveValid = false;
  // Illegal return (ARM ARM D1.11.2): to AArch32, to a higher or unimplemented EL, or M[1] set.
  // PSTATE.IL is set and the EL kept; the next instruction takes an Illegal State exception.
  // SCR_EL3.RW = 0 makes the ELs below EL3 AArch32, and HCR_EL2.RW = 0 (EL2 enabled) makes
  // EL1 and EL0 AArch32; AArch32 is not implemented, so an AArch64 return there is illegal too.
  const lowerAarch32 = targetEl < el && (
    (cpu.highestEl === 3 && (cpu.sr[SR.SCR_EL3 * 2] & SCR_EL3.RW) === 0) ||
    (targetEl <= 1 && el >= 2 && cpu.el2Enabled && (cpu.sr[SR.HCR_EL2 * 2] & HCR_EL2.RW) === 0));
  if ((spsr & 0x10) !== 0 || targetEl > el || (targetEl === 2 && !cpu.el2Enabled) || (spsr & 2) !== 0 || lowerAarch32) {
    cpu.nf = (spsr >>> 31) & 1; cpu.zf = (spsr >>> 30) & 1; cpu.cf = (spsr >>> 29) & 1; cpu.vf = (spsr >>> 28) & 1;
    cpu.daif = spsr & DAIF.ALL;
    cpu.pstateIl = 1;
  } else {
    cpu.setPstate(spsr);
    // PSTATE.SS comes from SPSR.SS only where software step is active after the return
    // (ARM ARM D2, "Software Step exceptions"; QEMU helper_exception_return).
    if (cpu.pstateSs !== 0 && !(cpu.debugArmed && cpu.debug.stepActive())) cpu.pstateSs = 0;
    // A return that took effect ends the run of exceptions (an illegal one raises another).
    cpu.exceptionsSinceEret = 0;
  }
  cpu.pcLo = elrLo;
  cpu.pcHi = elrHi;
  cpu.flow = 1;
  cpu.interruptCheck = true;
}

/**
 * Take a pending IRQ/FIQ if routing and masking allow (ARM ARM D1.13.1, table D1-15): physical
 * FIQ, then IRQ, then the virtual IRQ, FIQ and SError. Called at block boundaries when
 * `interruptCheck` is set. Returns true when an exception was entered.
 */
export function takePendingInterrupt(cpu: Cpu): boolean {
  cpu.interruptCheck = false;
  const hcr = cpu.hcrLo();
  if (!(cpu.irqLine || cpu.fiqLine || cpu.virqLine || cpu.vfiqLine || (hcr & VIRTUAL_PENDING) !== 0)) return false;
  const el = cpu.el;
  for (const fiq of [true, false]) {
    if (!(fiq ? cpu.fiqLine : cpu.irqLine)) continue;
    const target = routeException(cpu, fiq ? ExceptionKind.Fiq : ExceptionKind.Irq);
    // Taken only at or below the routed EL; masked by PSTATE.{F,I} only at that EL itself.
    if (el > target) continue;
    if (el === target && (cpu.daif & (fiq ? DAIF.F : DAIF.I)) !== 0) continue;
    enterException(cpu, target, fiq ? VectorOffset.Fiq : VectorOffset.Irq, cpu.pcLo, cpu.pcHi, -1, 0);
    return true;
  }
  // Virtual interrupts (ARM ARM D1.13.4): only at EL0/EL1 with EL2 enabled and TGE = 0, each
  // enabled by HCR_EL2.{IMO,FMO,AMO} routing the physical one to EL2, pending from HCR_EL2.{VI,VF,VSE}
  // or (IRQ, FIQ) the GIC's virtual CPU interface; taken to EL1, masked by PSTATE.{I,F,A}. Their
  // relative priority is IMPLEMENTATION DEFINED: IRQ, FIQ, SError, as QEMU's arm_cpu_exec_interrupt.
  if (cpu.el2Enabled && el <= 1 && (hcr & HCR_EL2.TGE) === 0) {
    if ((cpu.virqLine || (hcr & HCR_EL2.VI) !== 0) && (hcr & HCR_EL2.IMO) !== 0 && (cpu.daif & DAIF.I) === 0) {
      enterException(cpu, 1, VectorOffset.Irq, cpu.pcLo, cpu.pcHi, -1, 0);
      return true;
    }
    if ((cpu.vfiqLine || (hcr & HCR_EL2.VF) !== 0) && (hcr & HCR_EL2.FMO) !== 0 && (cpu.daif & DAIF.F) === 0) {
      enterException(cpu, 1, VectorOffset.Fiq, cpu.pcLo, cpu.pcHi, -1, 0);
      return true;
    }
    if ((hcr & (HCR_EL2.VSE | HCR_EL2.AMO)) === (HCR_EL2.VSE | HCR_EL2.AMO) && (cpu.daif & DAIF.A) === 0) {
      // Taking it clears HCR_EL2.VSE. ESR_EL1 is EC 0x2F with ISS 0: without RAS there is no
      // VSESR_EL2 to give it a syndrome (QEMU: syn_serror(0)).
      cpu.sr[SR.HCR_EL2 * 2] &= ~HCR_EL2.VSE;
      enterException(cpu, 1, VectorOffset.SError, cpu.pcLo, cpu.pcHi, EC.SERROR, 0);
      return true;
    }
  }
  return false;
}

/** HCR_EL2's virtual interrupt pending bits. */
const VIRTUAL_PENDING = HCR_EL2.VI | HCR_EL2.VF | HCR_EL2.VSE;

/**
 * A virtual interrupt is pending for EL0/EL1 from HCR_EL2 (VI, VF or VSE with the IMO, FMO or
 * AMO that enables it): a WFI there completes at once (ARM ARM D1.16.2, masking aside).
 */
export function hcrVirtualInterruptPending(cpu: Cpu): boolean {
  const hcr = cpu.hcrLo();
  if ((hcr & VIRTUAL_PENDING) === 0) return false;
  return ((hcr & HCR_EL2.VI) !== 0 && (hcr & HCR_EL2.IMO) !== 0) || ((hcr & HCR_EL2.VF) !== 0 && (hcr & HCR_EL2.FMO) !== 0) ||
    ((hcr & HCR_EL2.VSE) !== 0 && (hcr & HCR_EL2.AMO) !== 0);
}
