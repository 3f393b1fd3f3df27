/**
 * System registers as data (ARM ARM D13 / "AArch64 System Register Descriptions").
 *
 * Each register is one entry: its MRS/MSR encoding, reset value and, where it has side effects,
 * `read`/`write` hooks. Plain registers live in the CPU's `sr` Int32Array as (lo, hi) pairs at a
 * slot fixed here, so hot code (the MMU walker, exception entry) reads them without lookups.
 * Devices (generic timer, GIC CPU interface) add their own entries with `SysRegTable.define`.
 */
import type { Cpu } from "./cpu.js";

export interface SysRegDef {
  name: string;
  op0: number; op1: number; crn: number; crm: number; op2: number;
  /** Reset value as a bigint (per CPU hooks may refine it, e.g. MPIDR). */
  reset?: bigint;
  /** Bits that MSR may change; others keep their value (RES0/RES1/read-only fields). */
  writeMask?: bigint;
  readOnly?: boolean;
  writeOnly?: boolean;
  /** Lowest EL allowed; derived from op1 when absent (op1 0..2 -> EL1, 3 -> EL0, 4/5 -> EL2, 6 -> EL3). */
  minEl?: number;
  /** Extra check for EL0 access (e.g. CNTKCTL_EL1, SCTLR_EL1.UCT/UCI/UMA); true = allowed. */
  el0Allowed?: (cpu: Cpu) => boolean;
  /** Custom read: set cpu.srLo / cpu.srHi. */
  read?: (cpu: Cpu) => void;
  /** Custom write (after writeMask merge when no custom write is given, storage is updated). */
  write?: (cpu: Cpu, lo: number, hi: number) => void;
  /**
   * HCR_EL2 bits (low word) that trap EL1 reads/writes of this register to EL2 with EC 0x18,
   * e.g. TVM/TRVM for the virtual memory controls (ARM ARM D13.2.46); `el0` when they trap an
   * EL0 access too (once EL1's own EL0 controls allowed it), as TID2 does for CTR_EL0.
   */
  hcrTrap?: { read?: number; write?: number; el0?: boolean };
  /**
   * A device's own trap rule, checked after the EL checks (QEMU's accessfn): the EL the access
   * traps to with EC 0x18, or 0 to let it through (e.g. ICH_HCR_EL2.TALL1 for ICC_IAR1_EL1).
   */
  accessTrap?: (cpu: Cpu, isRead: boolean) => number;
  /** Storage slot, assigned by the table. */
  slot?: number;
}

export function sysRegKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

export function sysRegName(key: number): string {
  const op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15, op2 = key & 7;
  return `s${op0}_${op1}_c${crn}_c${crm}_${op2}`;
}

export class SysRegTable {
  readonly defs: SysRegDef[] = [];
  private byKey = new Map<number, SysRegDef>();
  private byName = new Map<string, SysRegDef>();

  define(def: SysRegDef): SysRegDef {
    const key = sysRegKey(def.op0, def.op1, def.crn, def.crm, def.op2);
    if (this.byKey.has(key)) throw new Error(`system register ${def.name} defined twice`);
    def.slot = this.defs.length;
    this.defs.push(def);
    this.byKey.set(key, def);
    this.byName.set(def.name, def);
    return def;
  }

  /** Replace the behaviour of an existing register (e.g. a device taking over ICC_* or CNT*). */
  override(name: string, patch: Partial<SysRegDef>): SysRegDef {
    const def = this.byName.get(name);
    if (!def) throw new Error(`no system register ${name}`);
    Object.assign(def, patch);
    return def;
  }

  lookup(key: number): SysRegDef | undefined {
    return this.byKey.get(key);
  }

  get(name: string): SysRegDef {
    const d = this.byName.get(name);
    if (!d) throw new Error(`no system register ${name}`);
    return d;
  }

  get size(): number {
    return this.defs.length;
  }
}

/** Slots of the core registers, fixed so hot code can index `cpu.sr` directly. */
export const SR = {
  SCTLR_EL1: 0, SCTLR_EL2: 1, SCTLR_EL3: 2,
  TCR_EL1: 3, TCR_EL2: 4, TCR_EL3: 5,
  TTBR0_EL1: 6, TTBR1_EL1: 7, TTBR0_EL2: 8, TTBR0_EL3: 9,
  MAIR_EL1: 10, MAIR_EL2: 11, MAIR_EL3: 12,
  VBAR_EL1: 13, VBAR_EL2: 14, VBAR_EL3: 15,
  ELR_EL1: 16, ELR_EL2: 17, ELR_EL3: 18,
  SPSR_EL1: 19, SPSR_EL2: 20, SPSR_EL3: 21,
  ESR_EL1: 22, ESR_EL2: 23, ESR_EL3: 24,
  FAR_EL1: 25, FAR_EL2: 26, FAR_EL3: 27,
  HCR_EL2: 28, SCR_EL3: 29, CPACR_EL1: 30, CPTR_EL2: 31, CPTR_EL3: 32,
  VTTBR_EL2: 33, VTCR_EL2: 34, HPFAR_EL2: 35,
  TPIDR_EL0: 36, TPIDRRO_EL0: 37, TPIDR_EL1: 38, TPIDR_EL2: 39, TPIDR_EL3: 40,
  CONTEXTIDR_EL1: 41, PAR_EL1: 42, AMAIR_EL1: 43, AMAIR_EL2: 44, AFSR0_EL1: 45, AFSR1_EL1: 46,
  MDSCR_EL1: 47, CNTKCTL_EL1: 48, CSSELR_EL1: 49, VPIDR_EL2: 50, VMPIDR_EL2: 51,
  MIDR_EL1: 52, MPIDR_EL1: 53, ACTLR_EL1: 54, ACTLR_EL2: 55, MDCR_EL2: 56, HSTR_EL2: 57,
  SP_EL0: 58, SP_EL1: 59, SP_EL2: 60,
} as const;

const SCTLR_RES1 = 0x30d00800n; // ARM ARM D13.2.113: RES1 bits 29,28,23,22,20,11

/** An identification register as EL1 reads it: the EL2-written virtual value when EL2 is enabled. */
function readVirtualized(cpu: Cpu, physical: number, virtual: number): void {
  const slot = cpu.el === 1 && cpu.el2Enabled ? virtual : physical;
  cpu.srLo = cpu.sr[slot * 2];
  cpu.srHi = cpu.sr[slot * 2 + 1];
}

/** Core registers in slot order (must match SR). */
function coreDefs(): SysRegDef[] {
  const r = (name: string, op0: number, op1: number, crn: number, crm: number, op2: number, extra: Partial<SysRegDef> = {}): SysRegDef =>
    ({ name, op0, op1, crn, crm, op2, ...extra });
  return [
    r("SCTLR_EL1", 3, 0, 1, 0, 0, { reset: SCTLR_RES1 | 0x00c50838n }),
    r("SCTLR_EL2", 3, 4, 1, 0, 0, { reset: SCTLR_RES1 | 0x00c50838n }),
    r("SCTLR_EL3", 3, 6, 1, 0, 0, { reset: SCTLR_RES1 | 0x00c50838n }),
    r("TCR_EL1", 3, 0, 2, 0, 2), r("TCR_EL2", 3, 4, 2, 0, 2), r("TCR_EL3", 3, 6, 2, 0, 2),
    r("TTBR0_EL1", 3, 0, 2, 0, 0), r("TTBR1_EL1", 3, 0, 2, 0, 1), r("TTBR0_EL2", 3, 4, 2, 0, 0), r("TTBR0_EL3", 3, 6, 2, 0, 0),
    r("MAIR_EL1", 3, 0, 10, 2, 0), r("MAIR_EL2", 3, 4, 10, 2, 0), r("MAIR_EL3", 3, 6, 10, 2, 0),
    r("VBAR_EL1", 3, 0, 12, 0, 0, { writeMask: ~0x7ffn & 0xffffffffffffffffn }),
    r("VBAR_EL2", 3, 4, 12, 0, 0, { writeMask: ~0x7ffn & 0xffffffffffffffffn }),
    r("VBAR_EL3", 3, 6, 12, 0, 0, { writeMask: ~0x7ffn & 0xffffffffffffffffn }),
    r("ELR_EL1", 3, 0, 4, 0, 1), r("ELR_EL2", 3, 4, 4, 0, 1), r("ELR_EL3", 3, 6, 4, 0, 1),
    r("SPSR_EL1", 3, 0, 4, 0, 0), r("SPSR_EL2", 3, 4, 4, 0, 0), r("SPSR_EL3", 3, 6, 4, 0, 0),
    r("ESR_EL1", 3, 0, 5, 2, 0), r("ESR_EL2", 3, 4, 5, 2, 0), r("ESR_EL3", 3, 6, 5, 2, 0),
    r("FAR_EL1", 3, 0, 6, 0, 0), r("FAR_EL2", 3, 4, 6, 0, 0), r("FAR_EL3", 3, 6, 6, 0, 0),
    r("HCR_EL2", 3, 4, 1, 1, 0), r("SCR_EL3", 3, 6, 1, 1, 0),
    r("CPACR_EL1", 3, 0, 1, 0, 2, { writeMask: 0x00300000n }),
    r("CPTR_EL2", 3, 4, 1, 1, 2, { reset: 0x33ffn }), r("CPTR_EL3", 3, 6, 1, 1, 2),
    // VTCR_EL2 resets to 0 as in QEMU, which does not force its RES1 bit 31.
    r("VTTBR_EL2", 3, 4, 2, 1, 0), r("VTCR_EL2", 3, 4, 2, 1, 2), r("HPFAR_EL2", 3, 4, 6, 0, 4),
    r("TPIDR_EL0", 3, 3, 13, 0, 2, { el0Allowed: () => true }),
    r("TPIDRRO_EL0", 3, 3, 13, 0, 3, { el0Allowed: () => true }),
    r("TPIDR_EL1", 3, 0, 13, 0, 4), r("TPIDR_EL2", 3, 4, 13, 0, 2), r("TPIDR_EL3", 3, 6, 13, 0, 2),
    r("CONTEXTIDR_EL1", 3, 0, 13, 0, 1), r("PAR_EL1", 3, 0, 7, 4, 0),
    r("AMAIR_EL1", 3, 0, 10, 3, 0), r("AMAIR_EL2", 3, 4, 10, 3, 0),
    r("AFSR0_EL1", 3, 0, 5, 1, 0), r("AFSR1_EL1", 3, 0, 5, 1, 1),
    r("MDSCR_EL1", 2, 0, 0, 2, 2), r("CNTKCTL_EL1", 3, 0, 14, 1, 0), r("CSSELR_EL1", 3, 2, 0, 0, 0),
    r("VPIDR_EL2", 3, 4, 0, 0, 0), r("VMPIDR_EL2", 3, 4, 0, 0, 5),
    // With EL2 enabled, EL1 reads of MIDR_EL1 and MPIDR_EL1 return VPIDR_EL2 and VMPIDR_EL2
    // (ARM ARM D13.2.81/D13.2.86): a hypervisor gives its vCPUs their own identity. Both
    // reset to the physical values, so nothing changes until EL2 software writes them.
    r("MIDR_EL1", 3, 0, 0, 0, 0, { readOnly: true, reset: 0x410fd034n, read: (cpu) => readVirtualized(cpu, SR.MIDR_EL1, SR.VPIDR_EL2) }),
    r("MPIDR_EL1", 3, 0, 0, 0, 5, { readOnly: true, reset: 0x80000000n, read: (cpu) => readVirtualized(cpu, SR.MPIDR_EL1, SR.VMPIDR_EL2) }),
    r("ACTLR_EL1", 3, 0, 1, 0, 1), r("ACTLR_EL2", 3, 4, 1, 0, 1),
    // HSTR_EL2 (ARM ARM, register description of HSTR_EL2) traps only AArch32 EL0/EL1 accesses to the CP15
    // registers by their primary CRn (T<n>): this CPU has no AArch32, so it holds its value and
    // traps nothing, as on QEMU 7.2 for an AArch64 EL1 (el2-traps guest).
    r("MDCR_EL2", 3, 4, 1, 1, 1), r("HSTR_EL2", 3, 4, 1, 1, 3),
    r("SP_EL0", 3, 0, 4, 1, 0), r("SP_EL1", 3, 4, 4, 1, 0), r("SP_EL2", 3, 6, 4, 1, 0),
  ];
}

/**
 * Build the table with the core registers at their fixed slots. Instruction groups and devices
 * add the rest (ID registers, PSTATE fields, timer, GIC) via `define` before CPUs are created.
 */
export function createSysRegTable(): SysRegTable {
  const t = new SysRegTable();
  const defs = coreDefs();
  defs.forEach((d, i) => {
    t.define(d);
    const expected = (SR as Record<string, number>)[d.name];
    if (expected !== i) throw new Error(`SR slot mismatch for ${d.name}`);
  });
  return t;
}
