/**
 * PSCI firmware (ARM DEN 0022D) implemented in TypeScript and reached through the CPU's
 * firmware-call hook, as QEMU's virt board does without EL3 firmware: the conduit is HVC when
 * the guest boots at EL1 and SMC when it boots at EL2 (virtualization=on); the other
 * instruction behaves architecturally. Every call on the conduit is a firmware call, and the
 * answers are QEMU 7.2's (target/arm/psci.c, arm_handle_psci_call, and arm-powerctl.c): the
 * function ID and the arguments are the full 64-bit X0-X3 for every function, 32-bit
 * conventions included, so an ID with any of bits [63:32] set is NOT_SUPPORTED and MPIDRs
 * match exactly; unknown functions return NOT_SUPPORTED.
 */
import type { Cpu } from "../cpu/cpu.js";
import { SR } from "../cpu/sysregs.js";

export const PSCI = {
  VERSION: 0x84000000, CPU_SUSPEND_32: 0x84000001, CPU_SUSPEND_64: 0xc4000001, CPU_OFF: 0x84000002,
  CPU_ON_32: 0x84000003, CPU_ON_64: 0xc4000003, AFFINITY_INFO_32: 0x84000004, AFFINITY_INFO_64: 0xc4000004,
  MIGRATE_32: 0x84000005, MIGRATE_64: 0xc4000005, MIGRATE_INFO_TYPE: 0x84000006,
  SYSTEM_OFF: 0x84000008, SYSTEM_RESET: 0x84000009, FEATURES: 0x8400000a,
  /**
   * PSCI 0.1 function IDs, which predate the SMC Calling Convention and are whatever the device
   * tree says; QEMU keeps answering its own (QEMU_PSCI_0_1_FN_BASE 0x95c1ba5e + n, kvm-consts.h).
   */
  V01_CPU_SUSPEND: 0x95c1ba5e, V01_CPU_OFF: 0x95c1ba5f, V01_CPU_ON: 0x95c1ba60, V01_MIGRATE: 0x95c1ba61,
} as const;

/** Return codes (DEN 0022D 5.2.2). */
export const PSCI_RET = { SUCCESS: 0, NOT_SUPPORTED: -1, INVALID_PARAMETERS: -2, DENIED: -3, ALREADY_ON: -4 } as const;

/** QEMU 7.2's PSCI reports version 1.1 (0x10001); the same image must see the same value. */
const PSCI_VERSION_REPORTED = 0x10001;
/** MIGRATE_INFO_TYPE 2: no Trusted OS, migration not required. */
const MIGRATE_NOT_REQUIRED = 2;
/** MPIDR_EL1.{Aff3,Aff2,Aff1,Aff0}: QEMU's mp_affinity, which PSCI MPIDR arguments must equal. */
const MPIDR_AFFINITY_MASK = 0xff00ffffffn;
/** CPU_SUSPEND power_state bits QEMU refuses (it has no affinity levels above 0: psci.c). */
const SUSPEND_REJECTED_BITS = 0xfffe0000;

export type SystemEvent = "poweroff" | "reset";

export interface PsciPlatform {
  cpus: () => Cpu[];
  /** "none" when the guest starts at the EL that would own the conduit (EL3 firmware, say). */
  readonly conduit: "hvc" | "smc" | "none";
  /** Put a CPU into its boot state at `entry` with x0 = `contextId` (MMU off, boot EL). */
  startCpu: (cpu: Cpu, entry: number, entryHi: number, contextId: [number, number]) => void;
  systemEvent: (event: SystemEvent) => void;
  /** The MPIDR a CPU answers to in CPU_ON and AFFINITY_INFO (default: its MPIDR_EL1; a partition's vCPUs have virtual ones). */
  mpidr?: (cpu: Cpu) => number;
}

export class PsciFirmware {
  constructor(private readonly platform: PsciPlatform) {}

  /** What PSCI_FEATURES reports as implemented: QEMU's list, compared with all of X1. */
  private static readonly SUPPORTED = new Set<bigint>([
    PSCI.VERSION, PSCI.MIGRATE_INFO_TYPE, PSCI.AFFINITY_INFO_32, PSCI.AFFINITY_INFO_64, PSCI.SYSTEM_RESET,
    PSCI.SYSTEM_OFF, PSCI.V01_CPU_ON, PSCI.CPU_ON_32, PSCI.CPU_ON_64, PSCI.V01_CPU_OFF, PSCI.CPU_OFF,
    PSCI.V01_CPU_SUSPEND, PSCI.CPU_SUSPEND_32, PSCI.CPU_SUSPEND_64, PSCI.FEATURES,
  ].map(BigInt));

  /** A firmware call (CpuPlatform.firmwareCall): returns true when it was PSCI and has been handled. */
  readonly handle = (cpu: Cpu, conduit: "hvc" | "smc", imm: number): boolean => {
    // As QEMU's virt (target/arm/psci.c): every HVC/SMC on the conduit is a firmware call,
    // whatever its immediate or function ID; IDs that are not PSCI return NOT_SUPPORTED.
    void imm;
    if (conduit !== this.platform.conduit) return false;
    // param[i] = env->xregs[i]: all 64 bits, whatever the function's calling convention. Every
    // function ID is below 2^32, so one with upper bits set matches none (the default case).
    const x = cpu.x;
    const fn = x[1] === 0 ? x[0] >>> 0 : -1;
    const arg = (n: number): bigint => (BigInt(x[n * 2 + 1] >>> 0) << 32n) | BigInt(x[n * 2] >>> 0);
    // The result is an int32_t stored to X0, so sign-extended.
    const ret = (v: number) => { x[0] = v | 0; x[1] = v < 0 ? -1 : 0; };
    switch (fn) {
      case PSCI.VERSION: ret(PSCI_VERSION_REPORTED); break;
      case PSCI.FEATURES: ret(PsciFirmware.SUPPORTED.has(arg(1)) ? 0 : PSCI_RET.NOT_SUPPORTED); break;
      case PSCI.MIGRATE_INFO_TYPE: ret(MIGRATE_NOT_REQUIRED); break;
      case PSCI.V01_CPU_SUSPEND: case PSCI.CPU_SUSPEND_32: case PSCI.CPU_SUSPEND_64:
        if ((x[2] & SUSPEND_REJECTED_BITS) !== 0) { ret(PSCI_RET.INVALID_PARAMETERS); break; }
        // A standby state: behave as WFI (DEN 0022D 5.4: returning is always a valid outcome).
        ret(PSCI_RET.SUCCESS);
        cpu.waitForInterrupt();
        break;
      case PSCI.V01_CPU_OFF: case PSCI.CPU_OFF:
        cpu.off = true;
        cpu.halted = true;
        break;
      case PSCI.V01_CPU_ON: case PSCI.CPU_ON_32: case PSCI.CPU_ON_64: {
        const entry = arg(2), context = arg(3);
        // arm_set_cpu_on: an AArch64 entry point must be 4-byte aligned; checked first.
        if ((entry & 3n) !== 0n) { ret(PSCI_RET.INVALID_PARAMETERS); break; }
        const target = this.findCpu(arg(1));
        if (!target) { ret(PSCI_RET.INVALID_PARAMETERS); break; }
        if (!target.off) { ret(PSCI_RET.ALREADY_ON); break; }
        this.platform.startCpu(target, Number(entry & 0xffffffffn) | 0, Number(entry >> 32n) | 0,
          [Number(context & 0xffffffffn) | 0, Number(context >> 32n) | 0]);
        ret(PSCI_RET.SUCCESS);
        break;
      }
      case PSCI.AFFINITY_INFO_32: case PSCI.AFFINITY_INFO_64: {
        // QEMU: "Everything above affinity level 0 is always on", whatever the MPIDR.
        if (arg(2) !== 0n) { ret(0); break; }
        const target = this.findCpu(arg(1));
        if (!target) { ret(PSCI_RET.INVALID_PARAMETERS); break; }
        ret(target.off ? 1 : 0); // 0 ON, 1 OFF
        break;
      }
      case PSCI.SYSTEM_OFF: this.platform.systemEvent("poweroff"); cpu.halted = true; break;
      case PSCI.SYSTEM_RESET: this.platform.systemEvent("reset"); cpu.halted = true; break;
      default: ret(PSCI_RET.NOT_SUPPORTED);
    }
    return true;
  };

  /** arm_get_cpu_by_id: the CPU whose affinity equals all 64 bits of `mpidr` (bit 31 included). */
  private findCpu(mpidr: bigint): Cpu | undefined {
    const of = this.platform.mpidr ?? ((c: Cpu) => c.sr[SR.MPIDR_EL1 * 2] >>> 0);
    return this.platform.cpus().find((c) => (BigInt(of(c) >>> 0) & MPIDR_AFFINITY_MASK) === mpidr);
  }
}
