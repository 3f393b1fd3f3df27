/**
 * System instructions (ARM ARM C5.1-C5.3, C6.2): MRS/MSR through the system register table,
 * MSR (immediate) to PSTATE fields, hints (WFI/WFE/SEV/YIELD), barriers, and the SYS space:
 * DC (cache maintenance; only DC ZVA has an effect on a coherent emulator), IC, TLBI and AT.
 */
import { CPTR, DAIF, HCR_EL2, SCR_EL3, SCTLR } from "../arch-bits.js";
import { Access, Cpu, EC, zr, zw, type TlbInvalidation } from "../cpu.js";
import { ExceptionKind, routeException } from "../exceptions.js";
import { SR, type SysRegDef, SysRegTable, sysRegKey, sysRegName } from "../sysregs.js";
import type { Decoded, InsnDef } from "./table.js";
import { xreg } from "./util.js";
import { SelfHostedDebug } from "../self-hosted-debug.js";
import { type CpuModel, DEFAULT_CPU_MODEL } from "../cpu-models.js";

// ---------------------------------------------------------------- register access

/** CheckSystemAccess (ARM ARM C5.2): EL, EL0 enables, read-only/write-only. Returns the def or traps. */
function accessCheck(cpu: Cpu, d: Decoded, isRead: boolean): SysRegDef {
  let reg: SysRegDef | undefined = d.regTable === cpu.sysregs ? d.reg : undefined;
  if (d.regTable !== cpu.sysregs) {
    reg = cpu.sysregs.lookup(d.key);
    d.reg = reg;
    d.regTable = cpu.sysregs;
  }
  if (!reg) cpu.undefinedInstruction();
  const minEl = reg.minEl ?? minElForOp1(d.op1);
  if (cpu.el === 0) {
    if (minEl === 0) {
      // EL0-encoded registers (op1=3) disabled by an EL1 control (CNTKCTL_EL1, SCTLR_EL1.UCT,
      // UMA, ...) trap to EL1 with EC 0x18.
      if (reg.el0Allowed && !reg.el0Allowed(cpu)) sysRegTrap(cpu, d, isRead);
    } else if (!(reg.el0Allowed && reg.el0Allowed(cpu))) {
      cpu.undefinedInstruction(); // EL1 and higher registers are UNDEFINED at EL0 (EC 0)
    }
  } else if (cpu.el < minEl) {
    cpu.undefinedInstruction();
  }
  if (minEl === 2 && !cpu.hasEl2 && reg.name !== "SP_EL1") {
    // EL2 registers without EL2 are RES0 from EL3 (ARM ARM D13.1.2; QEMU's virt,secure=on without
    // virtualization=on), UNDEFINED elsewhere. With EL2 they stay accessible from EL3 whatever
    // SCR_EL3.NS says. SP_EL1 is an EL1 register that EL2 and EL3 may access: always usable.
    if (cpu.el === 3) return RES0_REGISTER;
    cpu.undefinedInstruction();
  }
  if (reg.hcrTrap && cpu.el2Enabled && (cpu.el === 1 || (cpu.el === 0 && reg.hcrTrap.el0))) {
    const mask = isRead ? reg.hcrTrap.read : reg.hcrTrap.write;
    if (mask && (cpu.hcrLo() & mask)) sysRegTrap(cpu, d, isRead, 2);
  }
  if (minEl === 3 && cpu.highestEl < 3) cpu.undefinedInstruction();
  if (isRead ? reg.writeOnly : reg.readOnly) cpu.undefinedInstruction();
  if (reg.accessTrap) {
    const toEl = reg.accessTrap(cpu, isRead);
    if (toEl) sysRegTrap(cpu, d, isRead, toEl);
  }
  return reg;
}

/** Reads as zero, ignores writes. */
const RES0_REGISTER: SysRegDef = {
  name: "RES0", op0: 0, op1: 0, crn: 0, crm: 0, op2: 0,
  read: (cpu) => { cpu.srLo = 0; cpu.srHi = 0; },
  write: () => {},
};

/**
 * Trap of an MSR/MRS/SYS access with EC 0x18 (ARM ARM D13.2.37, ISS encoding for EC 0x18):
 * Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0]
 * (1 = read). From EL0 it goes to EL1, or to EL2 when HCR_EL2.TGE is set.
 */
export function sysRegTrap(cpu: Cpu, d: Decoded, isRead: boolean, toEl?: number): never {
  const op0 = d.o0 !== undefined ? 2 + d.o0 : 1;
  const iss = (op0 << 20) | (d.op2 << 17) | (d.op1 << 14) | (d.crn << 10) | (d.rt << 5) | (d.crm << 1) | (isRead ? 1 : 0);
  cpu.takeException(toEl ?? routeException(cpu, ExceptionKind.Sync), EC.SYSREG, iss);
}

function minElForOp1(op1: number): number {
  if (op1 === 3) return 0; // EL0-accessible encodings still need el0Allowed (see accessCheck)
  if (op1 === 4 || op1 === 5) return 2;
  if (op1 === 6) return 3;
  return 1;
}

function readReg(cpu: Cpu, reg: SysRegDef): void {
  if (reg.read) { reg.read(cpu); return; }
  cpu.srLo = cpu.sr[reg.slot! * 2];
  cpu.srHi = cpu.sr[reg.slot! * 2 + 1];
}

function writeReg(cpu: Cpu, reg: SysRegDef, lo: number, hi: number): void {
  if (reg.write) { reg.write(cpu, lo, hi); return; }
  const s = reg.slot! * 2;
  if (reg.writeMask !== undefined) {
    const mlo = Number(reg.writeMask & 0xffffffffn) | 0, mhi = Number(reg.writeMask >> 32n) | 0;
    lo = (cpu.sr[s] & ~mlo) | (lo & mlo);
    hi = (cpu.sr[s + 1] & ~mhi) | (hi & mhi);
  }
  cpu.sr[s] = lo;
  cpu.sr[s + 1] = hi;
}

/**
 * Registers whose writes change translation, routing or traps: invalidate what they may make
 * stale and recompute cached controls. `flush` says what: "all" (every regime, stage 2 too),
 * "stage1" (every regime, the stage-2 walk cache kept: nothing of stage 2 changed), or
 * "context" for TTBR0_EL1 and TTBR1_EL1, which may change the ASID and with it the current
 * translation context (Cpu.translationContextChanged).
 */
function controlWrite(flush: "all" | "stage1" | "context", after?: (cpu: Cpu) => void) {
  return (cpu: Cpu, lo: number, hi: number, slot: number): void => {
    cpu.sr[slot * 2] = lo;
    cpu.sr[slot * 2 + 1] = hi;
    if (flush === "context") cpu.translationContextChanged();
    else cpu.flushTlb(flush === "all");
    cpu.updateCachedControls();
    after?.(cpu);
    cpu.flow = 2;
  };
}

/**
 * Install behaviour and the remaining registers into a table: PSTATE views, banked SPs,
 * ID registers advertising exactly what is implemented, debug registers Linux resets.
 * `opts.gicv3` sets ID_AA64PFR0_EL1.GIC when the GIC system register interface exists.
 */
export interface SystemRegisterOptions {
  highestEl: number;
  el2?: boolean;
  gicv3: boolean;
  /** The -cpu model (default Cortex-A53): MIDR, cache geometry (cpu-models.ts). */
  model?: CpuModel;
  /** CPUs in the machine, for L2CTLR_EL1.NumCPUs (default 1). */
  cpus?: number;
  /** The board's CBAR_EL1 (the GIC's base on QEMU's virt, 0x0800_0000; default 0). */
  configBase?: number;
}

export function installSystemRegisters(t: SysRegTable, opts: SystemRegisterOptions): void {
  const model = opts.model ?? DEFAULT_CPU_MODEL;
  t.get("MIDR_EL1").reset = BigInt(model.midr);
  const slotWrite = (name: string, flush: "all" | "stage1" | "context", after?: (cpu: Cpu) => void) => {
    const def = t.get(name);
    const w = controlWrite(flush, after);
    def.write = (cpu, lo, hi) => w(cpu, lo, hi, def.slot!);
  };
  for (const n of ["SCTLR_EL1", "SCTLR_EL2", "SCTLR_EL3", "TCR_EL1", "TCR_EL2", "TCR_EL3", "TTBR0_EL2",
    "TTBR0_EL3", "MAIR_EL1", "MAIR_EL2", "MAIR_EL3", "SCR_EL3", "CPTR_EL2", "CPTR_EL3"]) slotWrite(n, "stage1");
  // HCR_EL2 (ARM ARM D13.2.48): the ARMv8.0 fields are bits 33:0; the later ones (E2H, TLOR,
  // TERR, TEA, APK, API, ...) are RES0 on a CPU without VHE, LOR, RAS or pointer authentication,
  // as QEMU's hcr_write masks them. HCD is RES0 when EL3 exists (SCR_EL3.HCE disables HVC
  // instead). A write may change VI/VF/VSE: the pending virtual interrupts are looked at again.
  {
    const hcr = t.get("HCR_EL2");
    const w = controlWrite("stage1", (cpu) => { cpu.interruptCheck = true; });
    const loMask = opts.highestEl >= 3 ? ~HCR_EL2.HCD : -1;
    hcr.write = (cpu, lo, hi) => w(cpu, lo & loMask, hi & 3, hcr.slot!);
  }
  slotWrite("TTBR0_EL1", "context");
  slotWrite("TTBR1_EL1", "context");
  slotWrite("VTCR_EL2", "all");
  // VTTBR_EL2 (ARM ARM D17.2.? VTTBR_EL2): its VMID tags the EL1&0 TLB entries, so a write
  // switches to that VMID's TLBs instead of flushing every translation.
  {
    const vttbr = t.get("VTTBR_EL2");
    vttbr.write = (cpu, lo, hi) => {
      cpu.sr[vttbr.slot! * 2] = lo;
      cpu.sr[vttbr.slot! * 2 + 1] = hi;
      cpu.vttbrChanged();
      cpu.flow = 2;
    };
  }
  // SCR_EL3 (ARM ARM D13.2.113): the ARMv8.0 fields are bits 13:0 less NET (bit 6, AArch32 only);
  // bits 5:4 are RES1, and read as one from reset as in QEMU.
  {
    const scr = t.get("SCR_EL3");
    scr.reset = 0x30n;
    // SCTLR_EL3 out of reset as Cortex-A53 (TRM 4.3.30) and QEMU report it.
    t.get("SCTLR_EL3").reset = 0x00c50838n;
    const w = controlWrite("all");
    scr.write = (cpu, lo) => w(cpu, (lo & 0x3fbf) | SCR_EL3.RES1, 0, scr.slot!);
  }
  // CPACR_EL1: only FPEN (bits 21:20) is implemented. CPTR_EL2.TCPAC traps EL1's accesses to
  // EL2, CPTR_EL3.TCPAC those of EL1 and EL2 to EL3 (ARM ARM D13.2.30; QEMU's cpacr_access), and
  // CPTR_EL3.TCPAC EL2's accesses to CPTR_EL2 (QEMU's cptr_access).
  const cptr3Tcpac = (cpu: Cpu) => cpu.highestEl === 3 && (cpu.sr[SR.CPTR_EL3 * 2] & CPTR.TCPAC) !== 0;
  t.get("CPACR_EL1").accessTrap = (cpu) =>
    cpu.el === 1 && cpu.el2Enabled && (cpu.sr[SR.CPTR_EL2 * 2] & CPTR.TCPAC) !== 0 ? 2 : cpu.el < 3 && cptr3Tcpac(cpu) ? 3 : 0;
  t.get("CPTR_EL2").accessTrap = (cpu) => cpu.el === 2 && cptr3Tcpac(cpu) ? 3 : 0;
  {
    const def = t.get("CPACR_EL1");
    def.write = (cpu, lo) => {
      cpu.sr[def.slot! * 2] = lo & 0x00300000;
      cpu.sr[def.slot! * 2 + 1] = 0;
      cpu.updateCachedControls();
      cpu.flow = 2;
    };
  }
  // Banked stack pointers: the live one is in register slot 31 (see Cpu.setElSp).
  for (const [name, n] of [["SP_EL0", 0], ["SP_EL1", 1], ["SP_EL2", 2]] as const) {
    t.override(name, {
      minEl: n + 1,
      read: (cpu) => {
        // MRS SP_EL0 at EL1 with SPSel=0 is UNDEFINED (it would name the live SP).
        if (n === 0 && cpu.spSel === 0) cpu.undefinedInstruction();
        const [lo, hi] = cpu.getSpEl(n); cpu.srLo = lo; cpu.srHi = hi;
      },
      write: (cpu, lo, hi) => {
        if (n === 0 && cpu.spSel === 0) cpu.undefinedInstruction();
        cpu.setSpEl(n, lo, hi);
      },
    });
  }
  const def = (name: string, op0: number, op1: number, crn: number, crm: number, op2: number, extra: Partial<SysRegDef> = {}) =>
    t.define({ name, op0, op1, crn, crm, op2, ...extra });
  const ro = (name: string, op0: number, op1: number, crn: number, crm: number, op2: number, reset: bigint, extra: Partial<SysRegDef> = {}) =>
    def(name, op0, op1, crn, crm, op2, { readOnly: true, reset, ...extra });

  // PSTATE fields as registers (ARM ARM C5.2.*).
  def("NZCV", 3, 3, 4, 2, 0, {
    el0Allowed: () => true,
    read: (cpu) => { cpu.srLo = ((cpu.nf << 31) | (cpu.zf << 30) | (cpu.cf << 29) | (cpu.vf << 28)) | 0; cpu.srHi = 0; },
    write: (cpu, lo) => { cpu.nf = (lo >>> 31) & 1; cpu.zf = (lo >>> 30) & 1; cpu.cf = (lo >>> 29) & 1; cpu.vf = (lo >>> 28) & 1; },
  });
  def("DAIF", 3, 3, 4, 2, 1, {
    el0Allowed: (cpu) => (cpu.sr[SR.SCTLR_EL1 * 2] & SCTLR.UMA) !== 0,
    read: (cpu) => { cpu.srLo = cpu.daif; cpu.srHi = 0; },
    write: (cpu, lo) => { cpu.daif = lo & DAIF.ALL; cpu.interruptCheck = true; cpu.flow = 2; },
  });
  def("CurrentEL", 3, 0, 4, 2, 2, { readOnly: true, read: (cpu) => { cpu.srLo = cpu.el << 2; cpu.srHi = 0; } });
  def("SPSel", 3, 0, 4, 2, 0, {
    read: (cpu) => { cpu.srLo = cpu.spSel; cpu.srHi = 0; },
    write: (cpu, lo) => { cpu.setElSp(cpu.el, lo & 1); },
  });
  def("FPCR", 3, 3, 4, 4, 0, {
    el0Allowed: () => true,
    // Trap-enable bits are RAZ/WI on Cortex-A53 (no FP exception trapping); AHP, DN, FZ, RMode kept.
    read: (cpu) => { if (!cpu.fpEnabled) cpu.fpTrap(); cpu.srLo = cpu.fpcr; cpu.srHi = 0; },
    write: (cpu, lo) => { if (!cpu.fpEnabled) cpu.fpTrap(); cpu.fpcr = lo & 0x07c00000; },
  });
  def("FPSR", 3, 3, 4, 4, 1, {
    el0Allowed: () => true,
    read: (cpu) => { if (!cpu.fpEnabled) cpu.fpTrap(); cpu.srLo = cpu.fpsr; cpu.srHi = 0; },
    write: (cpu, lo) => { if (!cpu.fpEnabled) cpu.fpTrap(); cpu.fpsr = lo & 0xf800009f; },
  });
  // ISR_EL1 (ARM ARM D19.2, ISR_EL1): at EL1 with HCR_EL2.IMO (FMO, AMO) set, I (F, A) is the virtual
  // interrupt's pending state (HCR_EL2.VI, VF, VSE or the GIC's virtual CPU interface);
  // otherwise, and always at EL2 and EL3, the physical one's. KVM's __guest_enter reads it at
  // EL2 with the guest's HCR_EL2 and list registers loaded, and backs out for a pending IRQ.
  def("ISR_EL1", 3, 0, 12, 1, 0, {
    readOnly: true,
    read: (cpu) => {
      const hcr = cpu.el === 1 ? cpu.hcrLo() : 0;
      const i = hcr & HCR_EL2.IMO ? cpu.virqLine || (hcr & HCR_EL2.VI) !== 0 : cpu.irqLine;
      const f = hcr & HCR_EL2.FMO ? cpu.vfiqLine || (hcr & HCR_EL2.VF) !== 0 : cpu.fiqLine;
      const a = (hcr & HCR_EL2.AMO) !== 0 && (hcr & HCR_EL2.VSE) !== 0;
      cpu.srLo = (a ? 0x100 : 0) | (i ? 0x80 : 0) | (f ? 0x40 : 0);
      cpu.srHi = 0;
    },
  });

  // Identification (ARM ARM D13.2): a Cortex-A53-like CPU advertising only what is implemented:
  // AArch64 only at every EL, FP and AdvSIMD, CRC32, no crypto, 4K/16K/64K granules,
  // the model's PA size (PARange), 16-bit ASIDs, no mixed endianness.
  const el2 = (opts.el2 ?? opts.highestEl >= 2) ? 1n : 0n, el3 = opts.highestEl >= 3 ? 1n : 0n;
  ro("ID_AA64PFR0_EL1", 3, 0, 0, 4, 0, 0x11n | (el2 << 8n) | (el3 << 12n) | ((opts.gicv3 ? 1n : 0n) << 24n));
  ro("ID_AA64PFR1_EL1", 3, 0, 0, 4, 1, 0n);
  ro("ID_AA64ZFR0_EL1", 3, 0, 0, 4, 4, 0n);
  // DebugVer 6 (ARMv8.0), 6 BRPs, 4 WRPs, 2 CTX_CMPs as QEMU's cortex-a53 (self-hosted-debug.ts);
  // PMUVer 0 until a board's PMU (devices/performance-monitors.ts) sets it, as QEMU's has one.
  ro("ID_AA64DFR0_EL1", 3, 0, 0, 5, 0, 0x10305006n);
  ro("ID_AA64DFR1_EL1", 3, 0, 0, 5, 1, 0n);
  ro("ID_AA64AFR0_EL1", 3, 0, 0, 5, 4, 0n);
  ro("ID_AA64AFR1_EL1", 3, 0, 0, 5, 5, 0n);
  ro("ID_AA64ISAR0_EL1", 3, 0, 0, 6, 0, 0x10000n); // CRC32
  ro("ID_AA64ISAR1_EL1", 3, 0, 0, 6, 1, 0n);
  ro("ID_AA64MMFR0_EL1", 3, 0, 0, 7, 0, 0x00100020n | BigInt(model.paRange));
  ro("ID_AA64MMFR1_EL1", 3, 0, 0, 7, 1, 0n);
  ro("ID_AA64MMFR2_EL1", 3, 0, 0, 7, 2, 0n);
  // AArch32 ID registers: AArch32 is not implemented, so they read as zero.
  const aarch32Ids: [string, number, number][] = [
    ["ID_PFR0_EL1", 1, 0], ["ID_PFR1_EL1", 1, 1], ["ID_DFR0_EL1", 1, 2], ["ID_AFR0_EL1", 1, 3],
    ["ID_MMFR0_EL1", 1, 4], ["ID_MMFR1_EL1", 1, 5], ["ID_MMFR2_EL1", 1, 6], ["ID_MMFR3_EL1", 1, 7],
    ["ID_ISAR0_EL1", 2, 0], ["ID_ISAR1_EL1", 2, 1], ["ID_ISAR2_EL1", 2, 2], ["ID_ISAR3_EL1", 2, 3],
    ["ID_ISAR4_EL1", 2, 4], ["ID_ISAR5_EL1", 2, 5], ["ID_MMFR4_EL1", 2, 6], ["ID_ISAR6_EL1", 2, 7],
    ["MVFR0_EL1", 3, 0], ["MVFR1_EL1", 3, 1], ["MVFR2_EL1", 3, 2], ["ID_PFR2_EL1", 3, 4],
  ];
  for (const [name, crm, op2] of aarch32Ids) ro(name, 3, 0, 0, crm, op2, 0n);
  // Unallocated ID space (op0=3, op1=0, CRn=0, CRm=1..7) reads as zero (ARM ARM D13.3.1).
  for (let crm = 1; crm <= 7; crm++) for (let op2 = 0; op2 < 8; op2++) {
    if (!t.lookup(sysRegKey(3, 0, 0, crm, op2))) ro(`ID_RAZ_${crm}_${op2}`, 3, 0, 0, crm, op2, 0n);
  }
  ro("REVIDR_EL1", 3, 0, 0, 0, 6, BigInt(model.revidr));
  ro("AIDR_EL1", 3, 1, 0, 0, 7, 0n);
  // Cache geometry of the model (values as QEMU's).
  ro("CTR_EL0", 3, 3, 0, 0, 1, BigInt(model.ctr), { el0Allowed: (cpu) => (cpu.sr[SR.SCTLR_EL1 * 2] & SCTLR.UCT) !== 0 });
  ro("DCZID_EL0", 3, 3, 0, 0, 7, 4n, {
    el0Allowed: () => true,
    // DZP (bit 4) reads 1 when DC ZVA is not permitted at this EL: SCTLR_EL1.DZE at EL0,
    // HCR_EL2.TDZ at EL0 and EL1 (QEMU's aa64_dczid_read).
    read: (cpu) => {
      const denied = (cpu.el === 0 && !(cpu.sr[SR.SCTLR_EL1 * 2] & SCTLR.DZE)) || (cpu.el <= 1 && (cpu.hcrLo() & HCR_EL2.TDZ) !== 0);
      cpu.srLo = 4 | (denied ? 0x10 : 0); cpu.srHi = 0;
    },
  });
  ro("CLIDR_EL1", 3, 1, 0, 0, 1, BigInt(model.clidr));
  const ccsidr = model.ccsidr;
  ro("CCSIDR_EL1", 3, 1, 0, 0, 0, 0n, {
    read: (cpu) => { cpu.srLo = ccsidr[cpu.sr[SR.CSSELR_EL1 * 2] & 0xf] ?? 0; cpu.srHi = 0; },
  });
  {
    const cs = t.get("CSSELR_EL1");
    cs.writeMask = 0xfn;
  }
  // The debug registers (breakpoints, watchpoints, MDSCR_EL1, the OS lock, MDCR_EL3) and
  // their effects. DBGPRCR_EL1, DBGAUTHSTATUS_EL1, the claim tags and OSECCR_EL1 are
  // UNDEFINED, as in QEMU 7.2's cortex-a53.
  SelfHostedDebug.install(t, opts);
  def("HACR_EL2", 3, 4, 1, 1, 7);
  def("AFSR0_EL2", 3, 4, 5, 1, 0); def("AFSR1_EL2", 3, 4, 5, 1, 1);
  def("RVBAR_EL1", 3, 0, 12, 0, 1, { readOnly: true });
  // EL3 registers with no behaviour here (ARM ARM D13.2), reset to 0 as QEMU reports them.
  // RVBAR_EL3 is the reset vector (0); RMR_EL3 stays UNDEFINED, as in QEMU's cortex-a53.
  def("ACTLR_EL3", 3, 6, 1, 0, 1);
  def("AFSR0_EL3", 3, 6, 5, 1, 0); def("AFSR1_EL3", 3, 6, 5, 1, 1);
  def("AMAIR_EL3", 3, 6, 10, 3, 0);
  def("RVBAR_EL3", 3, 6, 12, 0, 1, { readOnly: true });

  // The IMPLEMENTATION DEFINED registers (op0 3, op1 1, CRn 11 and 15) QEMU gives the Cortex-A53,
  // A57 and A72 (cortex_a72_a57_a53_cp_reginfo): L2CTLR_EL1 reports the number of CPUs in
  // bits 25:24, CBAR_EL1 the board's configuration base; the others read as zero, writes are
  // ignored. HCR_EL2.TIDCP traps nothing: QEMU 7.2 applies it to AArch32 only (the AArch64
  // trap, with FEAT_TIDCP1, came later), and EL1 reads these registers as QEMU's do.
  const implementationDefined: [string, number, number, number, bigint][] = [
    ["L2CTLR_EL1", 11, 0, 2, BigInt(((opts.cpus ?? 1) - 1) << 24)], ["L2ECTLR_EL1", 11, 0, 3, 0n],
    ["L2ACTLR_EL1", 15, 0, 0, 0n], ["CPUACTLR_EL1", 15, 2, 0, 0n], ["CPUECTLR_EL1", 15, 2, 1, 0n],
    ["CPUMERRSR_EL1", 15, 2, 2, 0n], ["L2MERRSR_EL1", 15, 2, 3, 0n],
  ];
  for (const [name, crn, crm, op2, value] of implementationDefined) {
    def(name, 3, 1, crn, crm, op2, { reset: value, read: (cpu) => { cpu.srLo = Number(value) | 0; cpu.srHi = 0; }, write: () => {} });
  }
  ro("CBAR_EL1", 3, 1, 15, 3, 0, BigInt(opts.configBase ?? 0));

  // Hypervisor trap controls (ARM ARM D13.2.46 HCR_EL2): which EL1 accesses exit to EL2.
  for (const n of ["SCTLR_EL1", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "ESR_EL1", "FAR_EL1", "AFSR0_EL1",
    "AFSR1_EL1", "MAIR_EL1", "AMAIR_EL1", "CONTEXTIDR_EL1"]) t.get(n).hcrTrap = { read: HCR_EL2.TRVM, write: HCR_EL2.TVM };
  for (const d of t.defs) {
    if (d.op0 === 3 && d.op1 === 0 && d.crn === 0 && d.crm >= 1 && d.crm <= 7) d.hcrTrap = { read: HCR_EL2.TID3 };
  }
  for (const n of ["REVIDR_EL1", "AIDR_EL1"]) t.get(n).hcrTrap = { read: HCR_EL2.TID1 };
  for (const n of ["CCSIDR_EL1", "CLIDR_EL1"]) t.get(n).hcrTrap = { read: HCR_EL2.TID2 };
  t.get("CTR_EL0").hcrTrap = { read: HCR_EL2.TID2, el0: true }; // QEMU's ctr_el0_access
  t.get("CSSELR_EL1").hcrTrap = { read: HCR_EL2.TID2, write: HCR_EL2.TID2 };
  t.get("ACTLR_EL1").hcrTrap = { read: HCR_EL2.TACR, write: HCR_EL2.TACR };
}

// ---------------------------------------------------------------- SYS operations

/**
 * A SYS encoding. `hcrTrap` is the HCR_EL2 bit that traps it to EL2 from EL1 and, for the
 * operations EL0 may be allowed (once SCTLR_EL1 allows them), from EL0 (ARM ARM D13.2.48; QEMU's
 * access_tsw, aa64_cacheop_poc_access, aa64_cacheop_pou_access, access_ttlb, aa64_zva_access).
 */
interface SysOp { name: string; kind: "dc" | "ic" | "tlbi" | "at"; hasRt: boolean; el0?: boolean; hcrTrap?: number; }

/** SYS encodings by (op1, CRn, CRm, op2) key; ARM ARM C5.3 tables. */
const SYS_OPS = new Map<number, SysOp>();
function sysop(op1: number, crn: number, crm: number, op2: number, op: SysOp): void {
  SYS_OPS.set(sysRegKey(1, op1, crn, crm, op2), op);
}
// Instruction cache.
sysop(0, 7, 1, 0, { name: "ialluis", kind: "ic", hasRt: false, hcrTrap: HCR_EL2.TPU });
sysop(0, 7, 5, 0, { name: "iallu", kind: "ic", hasRt: false, hcrTrap: HCR_EL2.TPU });
sysop(3, 7, 5, 1, { name: "ivau", kind: "ic", hasRt: true, el0: true, hcrTrap: HCR_EL2.TPU });
// Data cache. DC CVAP (FEAT_DPB, ARMv8.2) is UNDEFINED on this ARMv8.0 CPU, as on QEMU's Cortex-A53.
sysop(0, 7, 6, 1, { name: "ivac", kind: "dc", hasRt: true, hcrTrap: HCR_EL2.TPC });
sysop(0, 7, 6, 2, { name: "isw", kind: "dc", hasRt: true, hcrTrap: HCR_EL2.TSW });
sysop(0, 7, 10, 2, { name: "csw", kind: "dc", hasRt: true, hcrTrap: HCR_EL2.TSW });
sysop(0, 7, 14, 2, { name: "cisw", kind: "dc", hasRt: true, hcrTrap: HCR_EL2.TSW });
sysop(3, 7, 4, 1, { name: "zva", kind: "dc", hasRt: true, el0: true, hcrTrap: HCR_EL2.TDZ });
sysop(3, 7, 10, 1, { name: "cvac", kind: "dc", hasRt: true, el0: true, hcrTrap: HCR_EL2.TPC });
sysop(3, 7, 11, 1, { name: "cvau", kind: "dc", hasRt: true, el0: true, hcrTrap: HCR_EL2.TPU });
sysop(3, 7, 14, 1, { name: "civac", kind: "dc", hasRt: true, el0: true, hcrTrap: HCR_EL2.TPC });
// Address translation.
for (const [name, op1, op2] of [["s1e1r", 0, 0], ["s1e1w", 0, 1], ["s1e0r", 0, 2], ["s1e0w", 0, 3],
  ["s1e2r", 4, 0], ["s1e2w", 4, 1], ["s12e1r", 4, 4], ["s12e1w", 4, 5], ["s12e0r", 4, 6], ["s12e0w", 4, 7],
  ["s1e3r", 6, 0], ["s1e3w", 6, 1]] as const) sysop(op1, 7, 8, op2, { name, kind: "at", hasRt: true });
// TLB maintenance (ARM ARM C5.5): execSys picks the TLBs each one invalidates (supersets of the
// entries the operation names: the soft TLBs are not indexed by VA range, ASID or IPA).
const tlbis: [string, number, number, number, boolean][] = [
  ["vmalle1is", 0, 3, 0, false], ["vae1is", 0, 3, 1, true], ["aside1is", 0, 3, 2, true], ["vaae1is", 0, 3, 3, true],
  ["vale1is", 0, 3, 5, true], ["vaale1is", 0, 3, 7, true], ["vmalle1", 0, 7, 0, false], ["vae1", 0, 7, 1, true],
  ["aside1", 0, 7, 2, true], ["vaae1", 0, 7, 3, true], ["vale1", 0, 7, 5, true], ["vaale1", 0, 7, 7, true],
  ["ipas2e1is", 4, 0, 1, true], ["ipas2le1is", 4, 0, 5, true], ["alle2is", 4, 3, 0, false], ["vae2is", 4, 3, 1, true],
  ["alle1is", 4, 3, 4, false], ["vale2is", 4, 3, 5, true], ["vmalls12e1is", 4, 3, 6, false], ["ipas2e1", 4, 4, 1, true],
  ["ipas2le1", 4, 4, 5, true], ["alle2", 4, 7, 0, false], ["vae2", 4, 7, 1, true], ["alle1", 4, 7, 4, false],
  ["vale2", 4, 7, 5, true], ["vmalls12e1", 4, 7, 6, false], ["alle3is", 6, 3, 0, false], ["vae3is", 6, 3, 1, true],
  ["vale3is", 6, 3, 5, true], ["alle3", 6, 7, 0, false], ["vae3", 6, 7, 1, true], ["vale3", 6, 7, 5, true],
];
// HCR_EL2.TTLB traps the EL1 ones (op1 = 0) to EL2.
for (const [name, op1, crm, op2, hasRt] of tlbis) sysop(op1, 8, crm, op2, { name, kind: "tlbi", hasRt, hcrTrap: op1 === 0 ? HCR_EL2.TTLB : undefined });

/**
 * What a TLBI instruction invalidates (ARM ARM C5.5). The EL1 operations act on the current
 * VMID's EL1&0 translations: by VA, Xt[43:0] is VA[55:12] (sign-extended from bit 55 into the
 * TLB's whole-VA keys) and Xt[63:48] the ASID, ignored (every context of the VMID drops the
 * page); ASIDE1 drops that ASID's context. VMALLS12E1 and IPAS2E1 add stage 2; ALLE1 takes every VMID. The EL2
 * and EL3 operations, rare, flush everything.
 */
function tlbInvalidation(cpu: Cpu, d: Decoded, name: string): TlbInvalidation {
  const base = name.endsWith("is") ? name.slice(0, -2) : name;
  const vmid = cpu.currentVmid();
  switch (base) {
    case "vmalle1": return { kind: "el10", vmid, stage2: false };
    case "aside1": return { kind: "asid", vmid, asid: (d.t === 31 ? 0 : cpu.x[d.t * 2 + 1] >>> 16) & cpu.asidMask() };
    case "vae1": case "vaae1": case "vale1": case "vaale1": {
      const lo = d.t === 31 ? 0 : cpu.x[d.t * 2], hi = d.t === 31 ? 0 : cpu.x[d.t * 2 + 1];
      let vaHi = ((lo >>> 20) | ((hi & 0xfff) << 12)) >>> 0;
      if (vaHi & 0x800000) vaHi = (vaHi | 0xff000000) >>> 0;
      return { kind: "va", vmid, key: vaHi * 1048576 + (lo & 0xfffff) };
    }
    case "vmalls12e1": case "ipas2e1": case "ipas2le1": return { kind: "el10", vmid, stage2: true };
    case "alle1": return { kind: "el10-all-vmids" };
    default: return TLBI_ALL;
  }
}
const TLBI_ALL: TlbInvalidation = { kind: "all" };

function sysOpMinEl(op1: number): number {
  return op1 === 4 || op1 === 5 ? 2 : op1 === 6 ? 3 : 1;
}

/** DC ZVA: zero a 64-byte block (DCZID_EL0.BS = 4 words^2), as ordinary stores. */
function dcZva(cpu: Cpu, d: Decoded): void {
  const lo = cpu.x[d.t * 2] & ~63, hi = cpu.x[d.t * 2 + 1];
  // Translate once for the fault (the whole block lies in one page), then store.
  cpu.translateCached(lo, hi, Access.Write, 64);
  for (let i = 0; i < 64; i += 8) cpu.write64((lo + i) | 0, hi, 0, 0);
}

/**
 * AT: translate and report in PAR_EL1 (ARM ARM D13.2.99); attributes are reported as 0.
 * AT S1E0* and S1E1* stop at stage 1 (PAR gets the IPA), AT S12E0* and S12E1* continue through
 * stage 2 when HCR_EL2.VM = 1; the stage-1 walk goes through stage 2 in both cases. A stage-2
 * fault on that walk for AT S1E0* or S1E1* at EL1 is taken to EL2 as a data abort instead of
 * being reported (ARM ARM D8.? "Address translation instructions"), with ISS.CM = 1 and, as
 * QEMU's do_ats_write reports it, WnR = 1. A fault in PAR: F, FST, PTW (stage-2 fault on the
 * stage-1 walk) and S (stage-2 fault).
 */
function addressTranslate(cpu: Cpu, d: Decoded, op: SysOp): void {
  const lo = cpu.x[d.t * 2], hi = cpu.x[d.t * 2 + 1];
  const el = op.name.includes("e0") ? 0 : op.name.includes("e2") ? 2 : op.name.includes("e3") ? 3 : 1;
  const access = op.name.endsWith("w") ? Access.Write : Access.Read;
  const stage1Only = op.name.startsWith("s1e");
  const out = { pa: 0, fault: -1, faultS2: false, cacheable: true, ipa: 0 };
  cpu.translateFn(cpu, lo, hi, access, el, out, stage1Only);
  if (out.fault >= 0) {
    const s1ptw = (out.fault & 0x80) !== 0;
    if (s1ptw && stage1Only && cpu.el === 1) {
      cpu.setHpfar(out.ipa);
      cpu.takeException(2, EC.DABT_LOWER, (out.fault & 0xff) | (1 << 8) | (1 << 6), lo, hi, true);
    }
    cpu.srSet(SR.PAR_EL1, 1 | ((out.fault & 0x3f) << 1) | (s1ptw ? 1 << 8 : 0) | (out.faultS2 ? 1 << 9 : 0), 0);
  } else {
    const pa = out.pa - (out.pa % 4096);
    cpu.srSet(SR.PAR_EL1, (pa % 4294967296) | 0, Math.floor(pa / 4294967296) | 0);
  }
}

function execSys(cpu: Cpu, d: Decoded): void {
  const op: SysOp | undefined = d.sysop;
  if (!op) cpu.undefinedInstruction();
  const minEl = sysOpMinEl(d.op1);
  if (cpu.el < minEl) {
    if (!(cpu.el === 0 && op.el0)) cpu.undefinedInstruction();
    // EL0 cache maintenance is enabled by SCTLR_EL1.UCI, DC ZVA by SCTLR_EL1.DZE; otherwise trap.
    const enabled = (cpu.sr[SR.SCTLR_EL1 * 2] & (op.name === "zva" ? SCTLR.DZE : SCTLR.UCI)) !== 0;
    if (!enabled) sysRegTrap(cpu, d, false);
  }
  if (minEl === 2 && !cpu.hasEl2) cpu.undefinedInstruction();
  if (minEl === 3 && cpu.highestEl < 3) cpu.undefinedInstruction();
  if (op.hcrTrap !== undefined && cpu.el <= 1 && (cpu.hcrLo() & op.hcrTrap) !== 0) sysRegTrap(cpu, d, false, 2);
  switch (op.kind) {
    case "dc":
      if (op.name === "zva") dcZva(cpu, d);
      return; // the emulator's memory is always coherent
    case "ic":
      return; // decoded-instruction caches are invalidated on every store to code pages
    case "tlbi": {
      const inv = tlbInvalidation(cpu, d, op.name);
      // HCR_EL2.FB makes EL1's local TLBIs Inner Shareable (a vCPU may have run on any CPU).
      if (op.name.endsWith("is") || (cpu.el === 1 && (cpu.hcrLo() & HCR_EL2.FB) !== 0)) cpu.platform.broadcastTlbInvalidate(cpu, inv);
      else cpu.invalidateTlb(inv);
      cpu.flow = 2;
      return;
    }
    case "at":
      addressTranslate(cpu, d, op);
      return;
  }
}

// ---------------------------------------------------------------- hints and PSTATE

const HINT_NAMES: Record<number, string> = {
  0: "nop", 1: "yield", 2: "wfe", 3: "wfi", 4: "sev", 5: "sevl", 7: "xpaclri", 8: "pacia1716",
  10: "pacib1716", 12: "autia1716", 14: "autib1716", 16: "esb", 17: "psb csync", 20: "csdb",
  24: "paciaz", 25: "paciasp", 26: "pacibz", 27: "pacibsp", 28: "autiaz", 29: "autiasp", 30: "autibz", 31: "autibsp",
  32: "bti", 34: "bti\tc", 36: "bti\tj", 38: "bti\tjc",
};

/**
 * WFI traps (ARM ARM D1.16.3): from EL0 to EL1 unless SCTLR_EL1.nTWI allows it (with
 * HCR_EL2.TGE SCTLR_EL1 does not apply to EL0), then to EL2 with HCR_EL2.TWI, then to EL3 with
 * SCR_EL3.TWI. ISS: CV=1, COND=0xE, TI = 0 (WFI). A WFI traps only when it would wait: with an
 * interrupt pending (masked or not) it completes at once and nothing traps, as in QEMU's
 * helper_wfi.
 *
 * WFE never traps: the trap controls (SCTLR_EL1.nTWE, HCR_EL2.TWE, SCR_EL3.TWE) apply to a WFE
 * that would enter a low-power state, and this CPU's WFE never does (it ends the CPU's turn
 * instead, as QEMU's helper_wfe yields without ever trapping).
 */
function wfiTrap(cpu: Cpu): void {
  if (cpu.wakeupPending()) return;
  const iss = (1 << 24) | (0xe << 20);
  if (cpu.el === 0 && !(cpu.sr[SR.SCTLR_EL1 * 2] & SCTLR.nTWI) && !(cpu.hcrLo() & HCR_EL2.TGE)) {
    cpu.takeException(1, EC.WFX, iss);
  }
  if (cpu.el <= 1 && cpu.el2Enabled && (cpu.hcrLo() & HCR_EL2.TWI)) cpu.takeException(2, EC.WFX, iss);
  if (cpu.el < 3 && cpu.highestEl === 3 && (cpu.sr[SR.SCR_EL3 * 2] & SCR_EL3.TWI)) cpu.takeException(3, EC.WFX, iss);
}

function execHint(cpu: Cpu, d: Decoded): void {
  switch (d.imm) {
    case 1: // YIELD: let the other CPUs run
      cpu.yieldRequested = true; cpu.flow = 2; return;
    case 2: // WFE (ARM ARM D1.16.1): consume the event or wait; waiting = end this CPU's slice
      if (cpu.eventRegister) { cpu.eventRegister = false; return; }
      cpu.yieldRequested = true; cpu.flow = 2; return;
    case 3: // WFI (ARM ARM D1.16.2): trap with HCR_EL2.TWI, else halt until an interrupt is pending
      wfiTrap(cpu);
      cpu.waitForInterrupt();
      cpu.flow = 2; return;
    case 4: // SEV: every CPU's event register (ARM ARM D1.16.1)
      cpu.platform.sendEvent(cpu);
      return;
    case 5: // SEVL
      cpu.eventRegister = true; return;
    default:
      return; // NOP and hints this CPU does not implement (PAC, BTI on ARMv8.0) execute as NOP
  }
}

function sysRegDisasmName(t: SysRegTable | undefined, key: number): string {
  const def = t?.lookup(key);
  if (def && !def.name.startsWith("ID_RAZ")) return def.name.toLowerCase();
  return sysRegName(key);
}

/** The table used for disassembly names (set by the board; names are the same for any table). */
let nameTable: SysRegTable | undefined;
export function setDisasmSysRegTable(t: SysRegTable): void { nameTable = t; }

export const systemGroup: InsnDef[] = [
  {
    name: "HINT", pattern: "11010101000000110010 imm:7 11111",
    exec: execHint,
    // NOP and the hints that execute as NOP (execHint's default case) need no code.
    compile: (d) => d.imm === 0 || d.imm > 5 ? ";" : undefined,
    disasm: (d) => HINT_NAMES[d.imm] ?? `hint\t#0x${d.imm.toString(16)}`,
  },
  {
    name: "CLREX", pattern: "11010101000000110011 crm:4 010 11111",
    exec: (cpu) => { cpu.exclusiveValid = false; },
    disasm: (d) => d.crm === 15 ? "clrex" : `clrex\t#${d.crm}`,
  },
  {
    name: "DSB", pattern: "11010101000000110011 crm:4 100 11111",
    exec: () => { /* memory is sequentially consistent in this emulator */ },
    disasm: (d) => `dsb\t${barrierOption(d.crm)}`,
  },
  {
    name: "DMB", pattern: "11010101000000110011 crm:4 101 11111",
    exec: () => { },
    disasm: (d) => `dmb\t${barrierOption(d.crm)}`,
  },
  {
    // ISB is a context synchronization event: end the block so new controls take effect.
    name: "ISB", pattern: "11010101000000110011 crm:4 110 11111",
    exec: (cpu) => { cpu.flow = 2; },
    disasm: (d) => d.crm === 15 ? "isb" : `isb\t#0x${d.crm.toString(16)}`,
  },
  {
    // MSR (immediate) to PSTATE fields (ARM ARM C5.1.3): SPSel, DAIFSet, DAIFClr.
    name: "MSR_imm", pattern: "1101010100000 op1:3 0100 crm:4 op2:3 11111",
    guard: (d) => (d.op1 === 0 && d.op2 === 5) || (d.op1 === 3 && (d.op2 === 6 || d.op2 === 7)),
    exec: (cpu, d) => {
      if (d.op1 === 0) {
        if (cpu.el === 0) cpu.undefinedInstruction();
        cpu.setElSp(cpu.el, d.crm & 1);
        return;
      }
      if (cpu.el === 0 && !(cpu.sr[SR.SCTLR_EL1 * 2] & SCTLR.UMA)) {
        sysRegTrap(cpu, { ...d, o0: -2, crn: 4, rt: 31 } as Decoded, false);
      }
      if (d.op2 === 6) cpu.daif |= (d.crm << 6);
      else cpu.daif &= ~(d.crm << 6);
      cpu.interruptCheck = true;
      cpu.flow = 2;
    },
    disasm: (d) => {
      const field = d.op1 === 0 ? "spsel" : d.op2 === 6 ? "daifset" : "daifclr";
      return `msr\t${field}, #0x${d.crm.toString(16)}`;
    },
  },
  {
    name: "SYS", pattern: "1101010100 0 01 op1:3 crn:4 crm:4 op2:3 rt:5",
    prepare: (d) => {
      d.t = zr(d.rt);
      d.sysop = SYS_OPS.get(sysRegKey(1, d.op1, d.crn, d.crm, d.op2));
    },
    exec: execSys,
    disasm: (d) => {
      const op: SysOp | undefined = d.sysop;
      if (!op) return `sys\t#${d.op1}, C${d.crn}, C${d.crm}, #${d.op2}${d.rt === 31 ? "" : ", " + xreg(d.rt, 1)}`;
      return `${op.kind}\t${op.name}${op.hasRt ? ", " + xreg(d.rt, 1) : ""}`;
    },
  },
  {
    name: "SYSL", pattern: "1101010100 1 01 op1:3 crn:4 crm:4 op2:3 rt:5",
    exec: (cpu) => cpu.undefinedInstruction(),
    disasm: (d) => `sysl\t${xreg(d.rt, 1)}, #${d.op1}, C${d.crn}, C${d.crm}, #${d.op2}`,
  },
  {
    name: "MSR_reg", pattern: "1101010100 0 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5",
    prepare: (d) => { d.t = zr(d.rt); d.key = sysRegKey(2 + d.o0, d.op1, d.crn, d.crm, d.op2); d.reg = undefined; d.regTable = undefined; },
    exec: (cpu, d) => {
      const reg = accessCheck(cpu, d, false);
      writeReg(cpu, reg, cpu.x[d.t * 2], cpu.x[d.t * 2 + 1]);
    },
    disasm: (d) => `msr\t${sysRegDisasmName(nameTable, d.key)}, ${xreg(d.rt, 1)}`,
  },
  {
    name: "MRS", pattern: "1101010100 1 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5",
    prepare: (d) => { d.t = zw(d.rt); d.key = sysRegKey(2 + d.o0, d.op1, d.crn, d.crm, d.op2); d.reg = undefined; d.regTable = undefined; },
    exec: (cpu, d) => {
      const reg = accessCheck(cpu, d, true);
      readReg(cpu, reg);
      cpu.x[d.t * 2] = cpu.srLo;
      cpu.x[d.t * 2 + 1] = cpu.srHi;
    },
    disasm: (d) => `mrs\t${xreg(d.rt, 1)}, ${sysRegDisasmName(nameTable, d.key)}`,
  },
];

function barrierOption(crm: number): string {
  const names: Record<number, string> = { 1: "oshld", 2: "oshst", 3: "osh", 5: "nshld", 6: "nshst", 7: "nsh", 9: "ishld", 10: "ishst", 11: "ish", 13: "ld", 14: "st", 15: "sy" };
  return names[crm] ?? `#0x${crm.toString(16)}`;
}
