/**
 * The AArch64 register file as gdb numbers it, and the target description that tells gdb so
 * (gdb's "Target Descriptions" and "AArch64 Features": org.gnu.gdb.aarch64.core and
 * org.gnu.gdb.aarch64.fpu), laid out as QEMU 7.2's gdbstub offers it:
 *
 *   0-30 x0-x30, 31 sp, 32 pc (64-bit), 33 cpsr (32-bit)       aarch64-core.xml, the 'g' packet
 *   34-65 v0-v31 (128-bit), 66 fpsr, 67 fpcr (32-bit)          aarch64-fpu.xml
 *   68-   system registers, 64-bit, group "cp_regs"             system-registers.xml
 *
 * As in QEMU, the 'g' packet carries the core registers only; gdb reads the others with 'p'.
 * Values are target-endian (little) byte strings.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { SysRegDef } from "../cpu/sysregs.js";

export const REG_SP = 31;
export const REG_PC = 32;
export const REG_CPSR = 33;
export const REG_V0 = 34;
export const REG_FPSR = 66;
export const REG_FPCR = 67;
export const FIRST_SYSREG = 68;

/** Bytes of the 'g' packet: x0-x30, sp, pc (8 each) and cpsr (4). */
export const CORE_BYTES = 33 * 8 + 4;

function putWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff; out[at + 1] = (v >>> 8) & 0xff; out[at + 2] = (v >>> 16) & 0xff; out[at + 3] = (v >>> 24) & 0xff;
}
function getWord(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) | 0;
}

/**
 * The system registers offered to gdb: those of the CPU's table whose value is their storage.
 * Ones with a read hook (counters, PSTATE fields, GIC acknowledge registers) are left out, as
 * QEMU leaves out registers a read would disturb; so are write-only ones.
 */
export function debuggableSysregs(cpu: Cpu): SysRegDef[] {
  return cpu.sysregs.defs.filter((d) => d.read === undefined && !d.writeOnly);
}

/**
 * QEMU names a register shared with AArch32 by its AArch32 name (its cpregs with
 * ARM_CP_STATE_BOTH), so `p $SCTLR` is what works under QEMU; the rest keep their names.
 */
const QEMU_SYSREG_NAMES: Readonly<Record<string, string>> = {
  AIDR_EL1: "AIDR", AMAIR_EL1: "AMAIR0", CLIDR_EL1: "CLIDR", CNTKCTL_EL1: "CNTKCTL", CPACR_EL1: "CPACR", CSSELR_EL1: "CSSELR",
  ID_AFR0_EL1: "ID_AFR0", ID_DFR0_EL1: "ID_DFR0", ID_ISAR0_EL1: "ID_ISAR0", ID_ISAR1_EL1: "ID_ISAR1", ID_ISAR2_EL1: "ID_ISAR2",
  ID_ISAR3_EL1: "ID_ISAR3", ID_ISAR4_EL1: "ID_ISAR4", ID_ISAR5_EL1: "ID_ISAR5", ID_ISAR6_EL1: "ID_ISAR6", ID_MMFR0_EL1: "ID_MMFR0",
  ID_MMFR1_EL1: "ID_MMFR1", ID_MMFR2_EL1: "ID_MMFR2", ID_MMFR3_EL1: "ID_MMFR3", ID_MMFR4_EL1: "ID_MMFR4", ID_PFR0_EL1: "ID_PFR0",
  ID_PFR2_EL1: "ID_PFR2", SCTLR_EL1: "SCTLR", VBAR_EL1: "VBAR",
};

/** The name gdb knows a system register by. */
export function gdbSysregName(d: SysRegDef): string {
  return QEMU_SYSREG_NAMES[d.name] ?? d.name;
}

/** Size in bytes of register `n` (0 when there is no such register). */
export function registerSize(cpu: Cpu, n: number, sysregs: readonly SysRegDef[]): number {
  if (n < 0) return 0;
  if (n <= REG_PC) return 8;
  if (n === REG_CPSR || n === REG_FPSR || n === REG_FPCR) return 4;
  if (n < REG_FPSR) return 16;
  return n - FIRST_SYSREG < sysregs.length ? 8 : 0;
}

/** Register `n` of `cpu`, or undefined when there is none. */
export function readRegister(cpu: Cpu, n: number, sysregs: readonly SysRegDef[]): Uint8Array | undefined {
  const size = registerSize(cpu, n, sysregs);
  if (size === 0) return undefined;
  const out = new Uint8Array(size);
  if (n < REG_SP || n === REG_SP) { putWord(out, 0, cpu.x[n * 2]); putWord(out, 4, cpu.x[n * 2 + 1]); }
  else if (n === REG_PC) { putWord(out, 0, cpu.pcLo); putWord(out, 4, cpu.pcHi); }
  else if (n === REG_CPSR) putWord(out, 0, cpu.getPstate());
  else if (n < REG_FPSR) out.set(cpu.v8.subarray((n - REG_V0) * 16, (n - REG_V0) * 16 + 16));
  else if (n === REG_FPSR) putWord(out, 0, cpu.fpsr);
  else if (n === REG_FPCR) putWord(out, 0, cpu.fpcr);
  else {
    const slot = sysregs[n - FIRST_SYSREG].slot!;
    putWord(out, 0, cpu.sr[slot * 2]); putWord(out, 4, cpu.sr[slot * 2 + 1]);
  }
  return out;
}

/** Set register `n` from `bytes` (its size); false when there is no such register. */
export function writeRegister(cpu: Cpu, n: number, bytes: Uint8Array, sysregs: readonly SysRegDef[]): boolean {
  const size = registerSize(cpu, n, sysregs);
  if (size === 0 || bytes.length !== size) return false;
  if (n <= REG_SP) { cpu.x[n * 2] = getWord(bytes, 0); cpu.x[n * 2 + 1] = getWord(bytes, 4); }
  else if (n === REG_PC) { cpu.pcLo = getWord(bytes, 0); cpu.pcHi = getWord(bytes, 4); }
  else if (n === REG_CPSR) {
    // Like an exception return's PSTATE restore: EL and SPSel switch the stack pointer bank.
    cpu.setPstate(getWord(bytes, 0) >>> 0);
  } else if (n < REG_FPSR) cpu.v8.set(bytes, (n - REG_V0) * 16);
  else if (n === REG_FPSR) cpu.fpsr = getWord(bytes, 0) >>> 0;
  else if (n === REG_FPCR) cpu.fpcr = getWord(bytes, 0) >>> 0;
  else {
    const slot = sysregs[n - FIRST_SYSREG].slot!;
    cpu.sr[slot * 2] = getWord(bytes, 0); cpu.sr[slot * 2 + 1] = getWord(bytes, 4);
    // A control register may have changed translation or traps.
    cpu.updateCachedControls();
    cpu.flushTlb();
  }
  return true;
}

/** The 'g' packet's registers (x0-x30, sp, pc, cpsr) as one byte string. */
export function readCoreRegisters(cpu: Cpu, sysregs: readonly SysRegDef[]): Uint8Array {
  const out = new Uint8Array(CORE_BYTES);
  for (let n = 0; n <= REG_CPSR; n++) out.set(readRegister(cpu, n, sysregs)!, n * 8);
  return out;
}

/** Set the 'G' packet's registers; false when `bytes` is not exactly CORE_BYTES long. */
export function writeCoreRegisters(cpu: Cpu, bytes: Uint8Array, sysregs: readonly SysRegDef[]): boolean {
  if (bytes.length !== CORE_BYTES) return false;
  for (let n = 0; n <= REG_CPSR; n++) writeRegister(cpu, n, bytes.subarray(n * 8, n * 8 + registerSize(cpu, n, sysregs)), sysregs);
  return true;
}

const XML_HEAD = `<?xml version="1.0"?><!DOCTYPE feature SYSTEM "gdb-target.dtd">`;

/** The target descriptions by annex name, for qXfer:features:read. */
export function targetDescriptions(sysregs: readonly SysRegDef[]): Map<string, string> {
  const core = [
    ...Array.from({ length: 31 }, (_, i) => `<reg name="x${i}" bitsize="64"/>`),
    `<reg name="sp" bitsize="64" type="data_ptr"/>`,
    `<reg name="pc" bitsize="64" type="code_ptr"/>`,
    `<reg name="cpsr" bitsize="32"/>`,
  ];
  // The vector register type: each view of the 128 bits gdb's `p $v0` shows (d, s, h, b, q).
  const vectors: [string, string, number][] = [
    ["v2d", "ieee_double", 2], ["v2u", "uint64", 2], ["v2i", "int64", 2],
    ["v4f", "ieee_single", 4], ["v4u", "uint32", 4], ["v4i", "int32", 4],
    ["v8u", "uint16", 8], ["v8i", "int16", 8], ["v16u", "uint8", 16], ["v16i", "int8", 16],
    ["v1u", "uint128", 1], ["v1i", "int128", 1],
  ];
  const unions: [string, [string, string][]][] = [
    ["vnd", [["f", "v2d"], ["u", "v2u"], ["s", "v2i"]]],
    ["vns", [["f", "v4f"], ["u", "v4u"], ["s", "v4i"]]],
    ["vnh", [["u", "v8u"], ["s", "v8i"]]],
    ["vnb", [["u", "v16u"], ["s", "v16i"]]],
    ["vnq", [["u", "v1u"], ["s", "v1i"]]],
    ["aarch64v", [["d", "vnd"], ["s", "vns"], ["h", "vnh"], ["b", "vnb"], ["q", "vnq"]]],
  ];
  const fpu = [
    ...vectors.map(([id, type, count]) => `<vector id="${id}" type="${type}" count="${count}"/>`),
    ...unions.map(([id, fields]) => `<union id="${id}">${fields.map(([n, t]) => `<field name="${n}" type="${t}"/>`).join("")}</union>`),
    ...Array.from({ length: 32 }, (_, i) => `<reg name="v${i}" bitsize="128" type="aarch64v"${i === 0 ? ` regnum="${REG_V0}"` : ""}/>`),
    `<reg name="fpsr" bitsize="32"/>`,
    `<reg name="fpcr" bitsize="32"/>`,
  ];
  const sys = sysregs.map((d, i) => `<reg name="${gdbSysregName(d)}" bitsize="64" regnum="${FIRST_SYSREG + i}" group="cp_regs"/>`);
  return new Map([
    ["target.xml", `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>aarch64</architecture>` +
      `<xi:include href="aarch64-core.xml"/><xi:include href="aarch64-fpu.xml"/><xi:include href="system-registers.xml"/></target>`],
    ["aarch64-core.xml", `${XML_HEAD}<feature name="org.gnu.gdb.aarch64.core">${core.join("")}</feature>`],
    ["aarch64-fpu.xml", `${XML_HEAD}<feature name="org.gnu.gdb.aarch64.fpu">${fpu.join("")}</feature>`],
    ["system-registers.xml", `${XML_HEAD}<feature name="org.qemu.gdb.arm.sys.regs">${sys.join("")}</feature>`],
  ]);
}
