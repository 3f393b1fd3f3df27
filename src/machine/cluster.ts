/**
 * A cluster of CPUs sharing one machine: one system register table (with the registers the
 * machine's devices add: generic timer, GICv3 CPU interface), one decoder and one cache of
 * decoded code, MPIDRs numbered as QEMU's hw/arm/virt.c virt_cpu_mp_affinity numbers them, and
 * the boot-state reset that the loader and PSCI CPU_ON use. Secondaries start powered off,
 * waiting for CPU_ON, as under QEMU's PSCI emulation.
 *
 * Built in two steps because the devices that add system registers need the table (and the
 * MPIDRs) before the CPUs exist: `new CpuCluster` makes the table, the machine's devices
 * define their registers in it, then `createCpus` makes the CPUs.
 */
import { DAIF, HCR_EL2, SCR_EL3 } from "../cpu/arch-bits.js";
import { Cpu, type CodeCache, type JitThresholds } from "../cpu/cpu.js";
import { getDecoder } from "../cpu/isa/index.js";
import { type CpuModel, DEFAULT_CPU_MODEL, modelPaBits } from "../cpu/cpu-models.js";
import { installSystemRegisters, setDisasmSysRegTable } from "../cpu/isa/system.js";
import { translate } from "../cpu/mmu.js";
import type { CpuPlatform } from "../cpu/platform.js";
import { createSysRegTable, SR, type SysRegTable } from "../cpu/sysregs.js";
import type { Bus } from "../memory/bus.js";

export interface ClusterOptions {
  count: number;
  /** Highest implemented EL: 1, 2 (virtualization=on) or 3 (secure=on). */
  highestEl: number;
  hasEl2: boolean;
  /** The GICv3 CPU interface's ICC_* registers are in the table. */
  gicv3: boolean;
  /**
   * CPUs per Aff1 cluster in the MPIDR: QEMU's virt gives 16 with GICv3 (its redistributors
   * can address them) and 8 with GICv2 (the GICv2 CPU mask is 8 bits).
   */
  cpusPerAffinityCluster: number;
  /** The -cpu model (default Cortex-A53). */
  model?: CpuModel;
  /** CBAR_EL1, the board's configuration base address (QEMU's virt: its GIC's, 0x0800_0000). */
  configBase?: number;
}

/** MPIDR affinity (Aff1 = cluster, Aff0 = CPU in it) of CPU `index`, as virt_cpu_mp_affinity. */
export function mpAffinity(index: number, cpusPerAffinityCluster: number): number {
  return ((Math.floor(index / cpusPerAffinityCluster) << 8) | (index % cpusPerAffinityCluster)) >>> 0;
}

export class CpuCluster {
  readonly cpus: Cpu[] = [];
  readonly sysregs: SysRegTable;
  /** MPIDR affinity fields of each CPU (without the RES1 bit 31). */
  readonly affinities: readonly number[];
  readonly highestEl: number;
  /** EL the boot CPU starts at (and PSCI CPU_ON starts others at); the loader sets it per image. */
  bootEl: number;
  private readonly codeCache: CodeCache = new Map();

  constructor(readonly options: ClusterOptions) {
    const o = options;
    this.highestEl = o.highestEl;
    this.bootEl = o.highestEl;
    this.affinities = Array.from({ length: o.count }, (_, i) => mpAffinity(i, o.cpusPerAffinityCluster));
    this.sysregs = createSysRegTable();
    installSystemRegisters(this.sysregs, { highestEl: o.highestEl, el2: o.hasEl2, gicv3: o.gicv3, model: o.model, cpus: o.count,
      configBase: o.configBase });
    setDisasmSysRegTable(this.sysregs);
  }

  /**
   * The CPUs, once every system register and every RAM region of the machine is in place (a
   * CPU takes the bus's RAM list when it is made). Stores into pages holding decoded code
   * drop that code from the shared cache.
   */
  createCpus(bus: Bus, platform: CpuPlatform, jit?: Partial<JitThresholds>): Cpu[] {
    const o = this.options;
    const decoder = getDecoder();
    for (let i = 0; i < o.count; i++) {
      const cpu = new Cpu({ index: i, bus, decoder, sysregs: this.sysregs, translate, highestEl: o.highestEl, hasEl2: o.hasEl2,
        paBits: modelPaBits(o.model ?? DEFAULT_CPU_MODEL), mpidr: (0x80000000 | this.affinities[i]) >>> 0, platform, jit }, this.codeCache);
      // Secondaries wait powered off for PSCI CPU_ON, as with QEMU's PSCI.
      cpu.off = i > 0;
      this.cpus.push(cpu);
    }
    bus.onCodeWrite((ri, page) => Cpu.invalidateCode(this.codeCache, bus.rams[ri].base + page * 4096));
    // A ROM device leaving or entering ROM mode changes what its addresses decode to: the
    // translations the CPUs cached for it (as RAM pages) must go.
    bus.onDecodeChange(() => { for (const c of this.cpus) c.flushTlb(false); });
    return this.cpus;
  }

  /** Boot state (booting.rst / QEMU do_cpu_reset): MMU and caches off, DAIF masked, at the boot EL. */
  resetCpu(cpu: Cpu, entryLo: number, entryHi: number, x0Lo: number, x0Hi: number): void {
    cpu.resetSysregs(cpu.sr[SR.MPIDR_EL1 * 2] >>> 0);
    cpu.x.fill(0);
    cpu.spBank.fill(0);
    cpu.v8.fill(0);
    cpu.x[0] = x0Lo; cpu.x[1] = x0Hi;
    cpu.nf = cpu.zf = cpu.cf = cpu.vf = 0;
    cpu.fpcr = 0; cpu.fpsr = 0;
    cpu.pstateIl = 0; cpu.pstateSs = 0;
    cpu.daif = DAIF.ALL;
    if (cpu.highestEl === 3 && this.bootEl < 3) {
      // Entering a Linux kernel below EL3 (hw/arm/boot.c): lower ELs AArch64 and Non-secure,
      // HVC enabled when there is EL2 to take it (SCR_EL3.{RW,NS,HCE}, HCR_EL2.RW).
      cpu.sr[SR.SCR_EL3 * 2] |= SCR_EL3.RW | SCR_EL3.NS | (cpu.hasEl2 ? SCR_EL3.HCE : 0);
      if (cpu.hasEl2) cpu.sr[SR.HCR_EL2 * 2] |= HCR_EL2.RW;
    }
    cpu.setElSp(this.bootEl, 1);
    cpu.exclusiveValid = false;
    cpu.pcLo = entryLo; cpu.pcHi = entryHi;
    cpu.updateCachedControls();
    cpu.flushTlb();
    cpu.flow = 0;
    cpu.off = false;
    cpu.halted = false;
    cpu.interruptCheck = true;
    cpu.exceptionsWithoutProgress = 0;
    cpu.exceptionsSinceEret = 0;
  }

  /** Every CPU but the boot CPU powered off, waiting for CPU_ON (after the loader reset CPU 0). */
  powerOffSecondaries(): void {
    for (let i = 1; i < this.cpus.length; i++) { this.cpus[i].off = true; this.cpus[i].halted = false; }
  }
}
