/**
 * The `virt` board: QEMU's hw/arm/virt.c memory map and devices around 1-8 Cortex-A53-like
 * CPUs, run in one thread. CPUs take turns in quanta (round robin); the generic timer's
 * counter advances with executed instructions, and when every CPU waits for an interrupt the
 * board reports "idle until tick T" so the host decides whether to sleep or skip ahead.
 */
import type { Cpu, JitThresholds } from "../../cpu/cpu.js";
import type { El2ExitHandler } from "../../cpu/platform.js";
import { COUNTER_FREQUENCY_HZ, GenericTimer } from "../../devices/generic-timer.js";
import { PerformanceMonitors } from "../../devices/performance-monitors.js";
import { createSystemCounter, type ClockSpec, type IdleTime, type SystemCounter } from "../../devices/system-counter.js";
import { GicV2 } from "../../devices/gicv2.js";
import type { FwCfgContents } from "../../devices/fw-cfg.js";
import { GicV3 } from "../../devices/gicv3.js";
import { GuestMemory } from "../../devices/virtio/guest-memory.js";
import { GicV3Its } from "../../devices/gicv3-its.js";
import type { InterruptController } from "../../devices/interrupts.js";
import type { Pl011 } from "../../devices/pl011.js";
import type { Pl031 } from "../../devices/pl031.js";
import { PsciFirmware, type SystemEvent } from "../../firmware/psci.js";
import type { BootPlan } from "../../loaders/boot.js";
import { CpuCluster } from "../../machine/cluster.js";
import { mapDevices, secureOnlyPredicate } from "../../machine/device-spec.js";
import { TurnScheduler, type RunStatus } from "../../machine/scheduler.js";
import { Bus } from "../../memory/bus.js";
import { buildVirtDtb, type CpuTopology, type DtModule } from "./fdt.js";
import { prepareUserDtb } from "./user-dtb.js";
import { TIMER_INTID, VIRT } from "./memory-map.js";
import { type CpuModel, DEFAULT_CPU_MODEL } from "../../cpu/cpu-models.js";
import { virtDevices, type FlashBacking, type PciPlugging, type VirtDevice, type VirtioPlugging } from "./virt-devices.js";
import { VirtPlatform } from "./virt-platform.js";

export type { RunStatus } from "../../machine/scheduler.js";

export interface VirtOptions {
  ramSize: number;
  cpus: number;
  /** The -smp topology, for the DTB's cpu-map. */
  topology?: CpuTopology;
  gicVersion: 2 | 3;
  virtualization: boolean;
  /** -cpu: the CPU model (default Cortex-A53). */
  cpuModel?: CpuModel;
  /**
   * secure=on: EL3 and Secure state, Secure-only RAM, UART, GPIO (power-off and reset lines) and
   * flash bank 0, as QEMU's virt.c does with vms->secure.
   */
  secure?: boolean;
  /** dtb-randomness=off: no kaslr-seed or rng-seed in the DTB (see VirtDtbOptions.randomness). */
  dtbRandomness?: boolean;
  /** Guest UART output. */
  uartTx: (byte: number) => void;
  /** PL031 start time in seconds since the epoch (default 0, for reproducible runs). */
  rtcStartSeconds?: number;
  /**
   * What drives the generic timer's counter: host time (the default, as QEMU without -icount)
   * or executed instructions (QEMU's -icount shift=N, deterministic).
   */
  clock?: ClockSpec;
  /** The host's monotonic clock in milliseconds for host time (default performance.now()). */
  hostNow?: () => number;
  /** Instructions per CPU turn. */
  quantum?: number;
  /** When the CPUs compile blocks (default: the core's DEFAULT_JIT_THRESHOLDS). */
  jit?: Partial<JitThresholds>;
  /**
   * The TypeScript hypervisor: answers the CPUs' guest exits to EL2 (src/cpu/platform.ts).
   * Without one, exceptions to EL2 enter the emulated EL2, as on hardware.
   */
  hypervisor?: El2ExitHandler;
  /**
   * Where device and timer interrupts go before the board's GIC: return true to take the input
   * (a hypervisor routes a partition's timers and passed-through devices to its own GIC).
   */
  interruptRoute?: (cpu: number, intid: number, level: boolean) => boolean;
  /** virtio devices on the virtio-mmio transports (-device virtio-*-device), in command-line order. */
  virtio?: VirtioPlugging;
  /** Functions on the PCIe root bus (-device virtio-*-pci, ivshmem-plain), by devfn. */
  pci?: readonly PciPlugging[];
  /** What fw_cfg offers (see FwCfgContents): a kernel for firmware, -nographic. */
  fwCfg?: Omit<FwCfgContents, "cpus">;
  /** Firmware in flash bank 0 (-bios or a drive): see VirtDtbOptions.firmwareLoaded. */
  firmwareLoaded?: boolean;
  /** Firmware in flash with ACPI on: no GPIO (see VirtDeviceOptions.acpiGed). */
  acpiGed?: boolean;
  /** The flash banks' contents and write-back (-bios, -drive if=pflash), by bank. */
  flash?: readonly (FlashBacking | undefined)[];
  /** The GICv3 CPU interface that answers a CPU's ICC_* registers (a partition's own GIC for its vCPUs). */
  gicCpuInterface?: (cpu: Cpu) => { gic: GicV3; index: number } | undefined;
}

export class VirtBoard {
  readonly bus = new Bus();
  readonly cluster: CpuCluster;
  readonly cpus: Cpu[];
  /** The board's devices in QEMU's creation order: the bus is mapped and the DTB built from it. */
  readonly devices: readonly VirtDevice[];
  readonly clock: SystemCounter;
  readonly timer: GenericTimer;
  /** The CPUs' Performance Monitors (PMUv3). */
  readonly pmu: PerformanceMonitors;
  readonly gic: GicV2 | GicV3;
  readonly uart: Pl011;
  readonly rtc: Pl031;
  /** The GICv3's ITS (gic-version=3): where a PCI device's MSI goes, its requester ID as DeviceID (GicV3Its.translate). */
  readonly its: GicV3Its | undefined;
  readonly psci: PsciFirmware;
  readonly scheduler: TurnScheduler;
  /** The PSCI conduit, "none" when the image boots at the EL that would own it (see load()). */
  psciConduit: "hvc" | "smc" | "none";
  private event: SystemEvent | undefined;
  private dtb: Uint8Array | undefined;

  constructor(readonly options: VirtOptions) {
    const o = options;
    if (!(o.cpus >= 1 && o.cpus <= 8)) throw new RangeError("virt supports 1 to 8 CPUs");
    this.clock = createSystemCounter(o.clock ?? { mode: "host" }, o.hostNow);
    const bus = this.bus;
    // EL2 exists with virtualization=on, EL3 (and with it the Secure state) with secure=on.
    // MPIDR affinity as virt_cpu_mp_affinity(): clusters of 16 CPUs with GICv3, 8 with GICv2.
    const cluster = this.cluster = new CpuCluster({
      count: o.cpus, highestEl: o.secure ? 3 : o.virtualization ? 2 : 1, hasEl2: o.virtualization, gicv3: o.gicVersion === 3,
      cpusPerAffinityCluster: o.gicVersion === 3 ? 16 : 8, model: o.cpuModel,
      // CBAR_EL1: virt.c sets the CPUs' reset-cbar to its VIRT_CPUPERIPHS base, the GIC's.
      configBase: VIRT.GIC_DIST,
    });
    this.cpus = cluster.cpus;

    bus.addRam("ram", VIRT.RAM_BASE, o.ramSize);

    if (o.gicVersion === 3) {
      const gic = new GicV3(o.cpus, VIRT.GIC_NUM_IRQS, [...cluster.affinities]);
      // LPIs, with their tables in guest RAM, for the ITS (QEMU's virt: its=on with GICv3).
      gic.enableLpis(new GuestMemory(bus));
      // With EL2 the GIC has its virtual CPU interface, whose maintenance interrupt is a PPI.
      gic.defineSysRegs(cluster.sysregs, o.gicCpuInterface,
        o.virtualization ? { maintenanceIntid: 16 + VIRT.PPI_GIC_MAINTENANCE } : undefined);
      this.gic = gic;
    } else {
      // With EL2 the GICv2 has its virtualization extensions (GICH and GICV frames, maintenance PPI).
      this.gic = new GicV2(o.cpus, VIRT.GIC_NUM_IRQS, o.secure, o.virtualization ? 16 + VIRT.PPI_GIC_MAINTENANCE : undefined);
    }
    // Interrupt inputs reach the GIC through the hypervisor's route when there is one.
    const route = o.interruptRoute, gicIn = this.gic;
    const irq: InterruptController = route
      ? { setInput: (cpu, intid, level) => { if (!route(cpu, intid, level)) gicIn.setInput(cpu, intid, level); } }
      : gicIn;
    this.timer = new GenericTimer(o.cpus, this.clock, irq, TIMER_INTID);
    this.timer.defineSysRegs(cluster.sysregs);
    // The PMU's overflow interrupt: PPI 7 (virt.c VIRTUAL_PMU_IRQ), the DT's pmu node.
    const pmu = this.pmu = new PerformanceMonitors(o.cpus, this.clock, irq, 16 + VIRT.PPI_PMU, (o.cpuModel ?? DEFAULT_CPU_MODEL).pmcr);
    pmu.defineSysRegs(cluster.sysregs);

    this.devices = virtDevices({ cpus: o.cpus, gicVersion: o.gicVersion, virtualization: o.virtualization, secure: o.secure, acpiGed: o.acpiGed });
    const models = mapDevices(bus, this.devices, {
      gic: this.gic, irq, uartTx: o.uartTx, rtcStartSeconds: o.rtcStartSeconds ?? 0,
      rtcNow: () => this.clock.now() / COUNTER_FREQUENCY_HZ,
      systemEvent: (e) => { this.event ??= e; },
      bus, virtio: o.virtio, pci: o.pci, flash: o.flash, fwCfg: o.fwCfg,
    });
    this.uart = models.get("uart")![0] as Pl011;
    this.rtc = models.get("rtc")![0] as Pl031;
    const its = models.get("gic")?.[2];
    this.its = its instanceof GicV3Its ? its : undefined;

    this.psciConduit = this.conduitFor(false);
    const board = this;
    this.psci = new PsciFirmware({
      cpus: () => this.cpus,
      get conduit() { return board.psciConduit; },
      startCpu: (cpu, lo, hi, ctx) => {
        cluster.resetCpu(cpu, lo, hi, ctx[0], ctx[1]);
        pmu.reset(cpu);
        // A CPU reset also resets its virtual CPU interface (QEMU: icc_reset is a CPU reset hook).
        if (this.gic instanceof GicV3) this.gic.virtualInterface?.reset(cpu.index);
      },
      systemEvent: (e) => { this.event ??= e; },
    });
    // What Non-secure accesses cannot reach with secure=on: flash bank 0 and the secure devices.
    const platform = new VirtPlatform(this.cpus, this.psci, secureOnlyPredicate(this.devices), o.hypervisor);
    cluster.createCpus(bus, platform, o.jit);
    for (const cpu of this.cpus) cpu.elChangeHook = pmu;
    pmu.attachCpus(this.cpus);
    this.gic.attachCpus(this.cpus);
    this.scheduler = new TurnScheduler({
      cpus: this.cpus, clock: this.clock, timer: this.timer, quantum: o.quantum ?? 4000,
      systemEvent: () => this.event, poll: () => this.rtc.poll(), turnLimiter: pmu,
    });
  }

  /** EL the boot CPU starts at (and PSCI CPU_ON starts others at); set per image by load(). */
  get bootEl(): number { return this.cluster.bootEl; }
  set bootEl(el: number) { this.cluster.bootEl = el; }

  /** Instructions per CPU turn. */
  get quantum(): number { return this.scheduler.quantum; }

  /** Boot state (booting.rst / QEMU do_cpu_reset): see CpuCluster.resetCpu. */
  resetCpu(cpu: Cpu, entryLo: number, entryHi: number, x0Lo: number, x0Hi: number): void {
    this.cluster.resetCpu(cpu, entryLo, entryHi, x0Lo, x0Hi);
  }

  /** The device tree for this configuration (QEMU-identical; see fdt.ts). */
  buildDtb(bootargs?: string, initrd?: { start: number; end: number }, isLinux = true, modules?: readonly DtModule[]): Uint8Array {
    const o = this.options;
    return buildVirtDtb({ ramSize: o.ramSize, cpus: o.cpus, topology: o.topology, gicVersion: o.gicVersion, virtualization: o.virtualization,
      cpuCompatible: (o.cpuModel ?? DEFAULT_CPU_MODEL).compatible, secure: o.secure, randomness: o.dtbRandomness, psci: this.conduitFor(isLinux), bootargs, initrd, modules,
      firmwareLoaded: o.firmwareLoaded }, this.devices);
  }

  /**
   * A device tree the user gave (-dtb), checked and edited as QEMU's arm_load_dtb does for this
   * board (see user-dtb.ts); `room` is the space the boot plan leaves for it.
   */
  userDtb(blob: Uint8Array, room: number | undefined, bootargs?: string, initrd?: { start: number; end: number }, isLinux = true): Uint8Array {
    const o = this.options;
    return prepareUserDtb(blob, { ramBase: VIRT.RAM_BASE, ramSize: o.ramSize, bootargs, initrd, psci: this.conduitFor(isLinux), room });
  }

  /**
   * The PSCI conduit for an image (hw/arm/boot.c arm_load_kernel): HVC, or SMC when EL2 is the
   * guest's, unless the image starts at the EL the conduit would trap to. With secure=on a
   * Linux kernel starts at EL2 or EL1 and any other image at EL3, where it is the firmware.
   */
  private conduitFor(isLinux: boolean): "hvc" | "smc" | "none" {
    const o = this.options;
    const bootEl = o.secure && !isLinux ? 3 : o.virtualization ? 2 : 1;
    const conduit = o.virtualization ? "smc" : "hvc";
    return (conduit === "hvc" && bootEl >= 2) || (conduit === "smc" && bootEl === 3) ? "none" : conduit;
  }

  /**
   * Load a boot plan: images into RAM, the DTB where the plan says (when it fits), and the boot
   * CPU at the entry point with x0 = DTB address for Linux, 0 otherwise (QEMU hw/arm/boot.c).
   */
  load(plan: BootPlan, dtb: Uint8Array | undefined): { dtbAddr: number | undefined } {
    for (const l of plan.loads) {
      if (!this.bus.load(l.addr, l.data)) throw new RangeError(`image at 0x${l.addr.toString(16)} is outside RAM`);
      if (l.zeroFill > 0) this.bus.zero(l.addr + l.data.length, l.zeroFill);
    }
    let dtbAddr: number | undefined;
    if (dtb && plan.dtbAddr !== undefined && plan.dtbAddr + dtb.length <= (plan.dtbLimit ?? Infinity)) {
      if (this.bus.load(plan.dtbAddr, dtb)) dtbAddr = plan.dtbAddr;
    }
    this.dtb = dtb;
    const x0 = plan.isLinux && dtbAddr !== undefined ? dtbAddr : 0;
    const o = this.options;
    this.bootEl = o.secure && !plan.isLinux ? 3 : o.virtualization ? 2 : 1;
    this.psciConduit = this.conduitFor(plan.isLinux);
    this.resetCpu(this.cpus[0], plan.entry % 0x100000000 | 0, Math.floor(plan.entry / 0x100000000), x0 | 0, 0);
    this.cluster.powerOffSecondaries();
    // QEMU resets every CPU to the entry point, also those that wait powered off for CPU_ON
    // (which sets their PC again): a debugger sees them there.
    for (const cpu of this.cpus.slice(1)) { cpu.pcLo = this.cpus[0].pcLo; cpu.pcHi = this.cpus[0].pcHi; }
    return { dtbAddr };
  }

  /**
   * -device loader,cpu-num=N: QEMU's generic loader resets the CPU and sets its PC, after the
   * board's own boot set-up (so x0 is 0). A secondary stays powered off: PSCI CPU_ON gives it
   * its entry point then.
   */
  setPc(cpu: number, addr: number): void {
    const c = this.cpus[cpu];
    const lo = addr % 0x100000000 | 0, hi = Math.floor(addr / 0x100000000);
    if (c.off) { c.pcLo = lo; c.pcHi = hi; return; }
    this.resetCpu(c, lo, hi, 0, 0);
  }

  get loadedDtb(): Uint8Array | undefined { return this.dtb; }

  /** Counter ticks per second (CNTFRQ_EL0), for hosts that pace idle time to real time. */
  get counterFrequency(): number { return COUNTER_FREQUENCY_HZ; }

  /** How the host lets time pass while every CPU waits (see IdleTime). */
  get idleTime(): IdleTime { return this.clock.idleTime; }

  /** Run up to about `budget` instructions in CPU turns (see TurnScheduler.run). */
  run(budget: number): RunStatus {
    return this.scheduler.run(budget);
  }

  /** Let virtual time pass while idle (the host decided how far); fires due timers. */
  advanceIdle(tick: number): void {
    this.scheduler.advanceIdle(tick);
  }

  /** Host input for the guest's UART. */
  input(bytes: ArrayLike<number>): void {
    this.uart.receive(bytes);
  }
}
