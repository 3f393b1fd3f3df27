/**
 * PSCI 1.0 firmware (ARM DEN 0022D) implemented in TypeScript and reached through the CPU's
 * firmware-call hook, as QEMU's virt board does without EL3 firmware: the conduit is HVC when
 * the guest boots at EL1 and SMC when it boots at EL2 (virtualization=on); the other
 * instruction behaves architecturally. Calls outside the PSCI function ranges are not
 * firmware calls either; unknown PSCI functions return NOT_SUPPORTED.
 */
import type { Cpu } from "../cpu/cpu.js";
import { SR } from "../cpu/sysregs.js";

export const PSCI = {
  VERSION: 0x84000000, CPU_SUSPEND_32: 0x84000001, CPU_SUSPEND_64: 0xc4000001, CPU_OFF: 0x84000002,
  CPU_ON_32: 0x84000003, CPU_ON_64: 0xc4000003, AFFINITY_INFO_32: 0x84000004, AFFINITY_INFO_64: 0xc4000004,
  MIGRATE_32: 0x84000005, MIGRATE_64: 0xc4000005, MIGRATE_INFO_TYPE: 0x84000006,
  SYSTEM_OFF: 0x84000008, SYSTEM_RESET: 0x84000009, FEATURES: 0x8400000a,
} as const;

/** Return codes (DEN 0022D 5.2.2). */
export const PSCI_RET = { SUCCESS: 0, NOT_SUPPORTED: -1, INVALID_PARAMETERS: -2, DENIED: -3, ALREADY_ON: -4 } as const;

/** PSCI 1.0 (major 1, minor 0). */
/** QEMU 7.2's PSCI reports version 1.1 (0x10001); the same image must see the same value. */
const PSCI_VERSION_REPORTED = 0x10001;
/** MIGRATE_INFO_TYPE 2: no Trusted OS, migration not required. */
const MIGRATE_NOT_REQUIRED = 2;
const MPIDR_AFFINITY_MASK = 0xff00ffffffn;

export type SystemEvent = "poweroff" | "reset";

export interface PsciPlatform {
  cpus: () => Cpu[];
  /** "none" when the guest starts at the EL that would own the conduit (EL3 firmware, say). */
  readonly conduit: "hvc" | "smc" | "none";
  /** Put a CPU into its boot state at `entry` with x0 = `contextId` (MMU off, boot EL). */
  startCpu: (cpu: Cpu, entry: number, entryHi: number, contextId: [number, number]) => void;
  systemEvent: (event: SystemEvent) => void;
}

export class PsciFirmware {
  constructor(private readonly platform: PsciPlatform) {}

  private static readonly SUPPORTED = new Set<number>([
    PSCI.VERSION, PSCI.CPU_SUSPEND_32, PSCI.CPU_SUSPEND_64, PSCI.CPU_OFF, PSCI.CPU_ON_32, PSCI.CPU_ON_64,
    PSCI.AFFINITY_INFO_32, PSCI.AFFINITY_INFO_64, PSCI.MIGRATE_INFO_TYPE, PSCI.SYSTEM_OFF, PSCI.SYSTEM_RESET, PSCI.FEATURES,
  ]);

  /** The CPU hook: returns true when the call was PSCI and has been handled. */
  readonly handle = (cpu: Cpu, conduit: "hvc" | "smc", imm: number): boolean => {
    // As QEMU's virt (target/arm/psci.c): every HVC/SMC on the conduit is a firmware call,
    // whatever its immediate or function ID; IDs that are not PSCI return NOT_SUPPORTED.
    void imm;
    if (conduit !== this.platform.conduit) return false;
    const fn = cpu.x[0] >>> 0;
    const is64 = (fn & 0x40000000) !== 0;
    const arg = (n: number): bigint => {
      const lo = BigInt(cpu.x[n * 2] >>> 0);
      return is64 ? (BigInt(cpu.x[n * 2 + 1] >>> 0) << 32n) | lo : lo;
    };
    const ret = (v: number) => { cpu.x[0] = v | 0; cpu.x[1] = v < 0 ? -1 : 0; };
    switch (fn) {
      case PSCI.VERSION: ret(PSCI_VERSION_REPORTED); break;
      case PSCI.FEATURES: ret(PsciFirmware.SUPPORTED.has(Number(arg(1) & 0xffffffffn)) ? 0 : PSCI_RET.NOT_SUPPORTED); break;
      case PSCI.MIGRATE_INFO_TYPE: ret(MIGRATE_NOT_REQUIRED); break;
      case PSCI.CPU_SUSPEND_32: case PSCI.CPU_SUSPEND_64:
        // A standby state: behave as WFI (DEN 0022D 5.4: returning is always a valid outcome).
        ret(PSCI_RET.SUCCESS);
        if (!cpu.wakeupPending()) { cpu.halted = true; cpu.hooks.onHalt?.(cpu); }
        break;
      case PSCI.CPU_OFF:
        cpu.off = true;
        cpu.halted = true;
        break;
      case PSCI.CPU_ON_32: case PSCI.CPU_ON_64: {
        const target = this.findCpu(arg(1));
        if (!target) { ret(PSCI_RET.INVALID_PARAMETERS); break; }
        if (!target.off) { ret(PSCI_RET.ALREADY_ON); break; }
        const entry = arg(2), context = arg(3);
        this.platform.startCpu(target, Number(entry & 0xffffffffn) | 0, Number(entry >> 32n) | 0,
          [Number(context & 0xffffffffn) | 0, Number(context >> 32n) | 0]);
        ret(PSCI_RET.SUCCESS);
        break;
      }
      case PSCI.AFFINITY_INFO_32: case PSCI.AFFINITY_INFO_64: {
        if (arg(2) !== 0n) { ret(PSCI_RET.INVALID_PARAMETERS); break; } // only level 0 is tracked
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

  private findCpu(mpidr: bigint): Cpu | undefined {
    const want = mpidr & MPIDR_AFFINITY_MASK;
    return this.platform.cpus().find((c) => (BigInt(c.sr[SR.MPIDR_EL1 * 2] >>> 0) & MPIDR_AFFINITY_MASK) === want);
  }
}
