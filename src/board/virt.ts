/**
 * The `virt` board: QEMU's hw/arm/virt.c memory map and devices around 1-8 Cortex-A53-like
 * CPUs, run in one thread. CPUs take turns in quanta (round robin); the generic timer's
 * counter advances with executed instructions, and when every CPU waits for an interrupt the
 * board reports "idle until tick T" so the host decides whether to sleep or skip ahead.
 */
import { DAIF, HCR_EL2, SCR_EL3 } from "../cpu/arch-bits.js";
import { Cpu, type CodeCache, type JitThresholds } from "../cpu/cpu.js";
import { getDecoder } from "../cpu/isa/index.js";
import { translate } from "../cpu/mmu.js";
import type { El2ExitHandler } from "../cpu/platform.js";
import { installSystemRegisters, setDisasmSysRegTable } from "../cpu/isa/system.js";
import { createSysRegTable, SR } from "../cpu/sysregs.js";
import { COUNTER_FREQUENCY_HZ, GenericTimer } from "../devices/generic-timer.js";
import { createSystemCounter, type ClockSpec, type IdleTime, type SystemCounter } from "../devices/system-counter.js";
import { GicV2 } from "../devices/gicv2.js";
import { GicV3 } from "../devices/gicv3.js";
import { spiLine, type InterruptController } from "../devices/interrupts.js";
import { Pl011 } from "../devices/pl011.js";
import { Pl031 } from "../devices/pl031.js";
import { Pl061 } from "../devices/pl061.js";
import { PsciFirmware, type SystemEvent } from "../firmware/psci.js";
import type { BootPlan } from "../loaders/boot.js";
import { Bus } from "../memory/bus.js";
import { buildVirtDtb, type CpuTopology } from "./fdt.js";
import { prepareUserDtb } from "./user-dtb.js";
import { TIMER_INTID, VIRT } from "./memory-map.js";
import { addGicFrames, addPlatformDevices } from "./virt-devices.js";
import { VirtPlatform } from "./virt-platform.js";

export interface VirtOptions {
  ramSize: number;
  cpus: number;
  /** The -smp topology, for the DTB's cpu-map. */
  topology?: CpuTopology;
  gicVersion: 2 | 3;
  virtualization: boolean;
  /**
   * secure=on: EL3 and Secure state, Secure-only RAM, UART, GPIO (power-off and reset lines) and
   * flash bank 0, as QEMU's virt.c does with vms->secure.
   */
  secure?: boolean;
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
  /** The GICv3 CPU interface that answers a CPU's ICC_* registers (a partition's own GIC for its vCPUs). */
  gicCpuInterface?: (cpu: Cpu) => { gic: GicV3; index: number } | undefined;
}

export type RunStatus =
  | { kind: "running" }
  /** Every CPU waits for an interrupt; the next timer fires at counter value `until` (undefined: none armed). */
  | { kind: "idle"; now: number; until: number | undefined }
  | { kind: "stopped"; reason: SystemEvent }
  | { kind: "fatal"; message: string; cpu: Cpu };

/** Consecutive turns in which every step was an exception before the guest is declared stuck. */
const EXCEPTION_LOOP_TURNS = 8;
/** Exceptions in a row without a completed instruction before the CPU is declared stuck. */
const NO_PROGRESS_EXCEPTION_LIMIT = 10000;
/**
 * Exceptions in a row without an exception return before the CPU is declared stuck: real
 * handlers return (Linux's always end in ERET), so this catches loops through vectors that
 * execute instructions and then fault themselves (say `nop; udf #0` in every slot), which the
 * two checks above miss. Linux takes no more than a few nested exceptions before returning.
 */
const EXCEPTION_STREAK_LIMIT = 100000;

export class VirtBoard {
  readonly bus = new Bus();
  readonly cpus: Cpu[] = [];
  readonly clock: SystemCounter;
  readonly timer: GenericTimer;
  readonly gic: GicV2 | GicV3;
  readonly uart: Pl011;
  readonly rtc: Pl031;
  readonly psci: PsciFirmware;
  /** EL the boot CPU starts at (and PSCI CPU_ON starts others at); set per image by load(). */
  bootEl: number;
  /** The PSCI conduit, "none" when the image boots at the EL that would own it (see load()). */
  psciConduit: "hvc" | "smc" | "none";
  readonly quantum: number;
  private readonly codeCache: CodeCache = new Map();
  private event: SystemEvent | undefined;
  private nextCpu = 0;
  private readonly faultTurns: number[];
  /** Exceptions entered per CPU, and those in a row with no instruction completing in between. */
  private dtb: Uint8Array | undefined;

  constructor(readonly options: VirtOptions) {
    const o = options;
    if (!(o.cpus >= 1 && o.cpus <= 8)) throw new RangeError("virt supports 1 to 8 CPUs");
    this.quantum = o.quantum ?? 4000;
    this.clock = createSystemCounter(o.clock ?? { mode: "host" }, o.hostNow);
    const bus = this.bus;
    // MPIDR affinity as virt_cpu_mp_affinity(): clusters of 16 CPUs with GICv3, 8 with GICv2.
    const clusterSize = o.gicVersion === 3 ? 16 : 8;
    const affinities = Array.from({ length: o.cpus }, (_, i) => ((Math.floor(i / clusterSize) << 8) | (i % clusterSize)) >>> 0);

    bus.addRam("ram", VIRT.RAM_BASE, o.ramSize);

    // EL2 exists with virtualization=on, EL3 (and with it the Secure state) with secure=on.
    const highestEl = o.secure ? 3 : o.virtualization ? 2 : 1;
    const sysregs = createSysRegTable();
    installSystemRegisters(sysregs, { highestEl, el2: o.virtualization, gicv3: o.gicVersion === 3 });
    setDisasmSysRegTable(sysregs);
    if (o.gicVersion === 3) {
      const gic = new GicV3(o.cpus, VIRT.GIC_NUM_IRQS, affinities);
      gic.defineSysRegs(sysregs, o.gicCpuInterface);
      this.gic = gic;
    } else {
      this.gic = new GicV2(o.cpus, VIRT.GIC_NUM_IRQS, o.secure);
    }
    addGicFrames(bus, this.gic, o.cpus);
    // Interrupt inputs reach the GIC through the hypervisor's route when there is one.
    const route = o.interruptRoute, gicIn = this.gic;
    const irq: InterruptController = route
      ? { setInput: (cpu, intid, level) => { if (!route(cpu, intid, level)) gicIn.setInput(cpu, intid, level); } }
      : gicIn;
    this.timer = new GenericTimer(o.cpus, this.clock, irq, TIMER_INTID);
    this.timer.defineSysRegs(sysregs);

    ({ uart: this.uart, rtc: this.rtc } = addPlatformDevices(bus, irq, {
      uartTx: o.uartTx, rtcStartSeconds: o.rtcStartSeconds ?? 0, rtcNow: () => this.clock.now() / COUNTER_FREQUENCY_HZ,
    }));
    if (o.secure) {
      // Secure-only (VirtPlatform.isSecureOnly): RAM, a second UART (QEMU connects it to a second
      // serial port, which these command lines never give, so its output goes nowhere) and a
      // PL061 whose lines 0 and 1 power the machine off and reset it (virt.c gpio-pwr).
      bus.addRam("secure-ram", VIRT.SECURE_MEM, VIRT.SECURE_MEM_SIZE);
      bus.addMmio(VIRT.SECURE_UART, VIRT.SECURE_UART_SIZE, new Pl011(() => {}, spiLine(irq, VIRT.SPI_SECURE_UART)));
      bus.addMmio(VIRT.SECURE_GPIO, VIRT.SECURE_GPIO_SIZE, new Pl061((line, level) => {
        if (level && line <= 1) this.event ??= line === 0 ? "poweroff" : "reset";
      }));
    }

    this.bootEl = highestEl;
    this.psciConduit = this.conduitFor(false);
    const board = this;
    this.psci = new PsciFirmware({
      cpus: () => this.cpus,
      get conduit() { return board.psciConduit; },
      startCpu: (cpu, lo, hi, ctx) => this.resetCpu(cpu, lo, hi, ctx[0], ctx[1]),
      systemEvent: (e) => { this.event ??= e; },
    });
    this.faultTurns = new Array<number>(o.cpus).fill(0);
    const decoder = getDecoder();
    // What Non-secure accesses cannot reach with secure=on: flash bank 0 and the secure devices.
    const within = (pa: number, base: number, size: number) => pa >= base && pa < base + size;
    const secureOnly = (pa: number) => pa < VIRT.FLASH_BANK_SIZE || within(pa, VIRT.SECURE_UART, VIRT.SECURE_UART_SIZE) ||
      within(pa, VIRT.SECURE_GPIO, VIRT.SECURE_GPIO_SIZE) || within(pa, VIRT.SECURE_MEM, VIRT.SECURE_MEM_SIZE);
    const platform = new VirtPlatform(this.cpus, this.psci, o.secure ? secureOnly : () => false, o.hypervisor);
    for (let i = 0; i < o.cpus; i++) {
      const cpu = new Cpu({ index: i, bus, decoder, sysregs, translate, highestEl, hasEl2: o.virtualization,
        mpidr: (0x80000000 | affinities[i]) >>> 0, platform, jit: o.jit }, this.codeCache);
      // Secondaries wait powered off for PSCI CPU_ON, as with QEMU's PSCI.
      cpu.off = i > 0;
      this.cpus.push(cpu);
    }
    bus.onCodeWrite((ri, page) => Cpu.invalidateCode(this.codeCache, bus.rams[ri].base + page * 4096));
    this.gic.attachCpus(this.cpus);
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

  /** The device tree for this configuration (QEMU-identical; see fdt.ts). */
  buildDtb(bootargs?: string, initrd?: { start: number; end: number }, isLinux = true): Uint8Array {
    const o = this.options;
    return buildVirtDtb({ ramSize: o.ramSize, cpus: o.cpus, topology: o.topology, gicVersion: o.gicVersion, virtualization: o.virtualization,
      secure: o.secure, psci: this.conduitFor(isLinux), bootargs, initrd });
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
      if (l.zeroFill > 0) this.bus.load(l.addr + l.data.length, new Uint8Array(l.zeroFill));
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
    for (let i = 1; i < this.cpus.length; i++) { this.cpus[i].off = true; this.cpus[i].halted = false; }
    return { dtbAddr };
  }

  get loadedDtb(): Uint8Array | undefined { return this.dtb; }

  /** Counter ticks per second (CNTFRQ_EL0), for hosts that pace idle time to real time. */
  get counterFrequency(): number { return COUNTER_FREQUENCY_HZ; }

  /** How the host lets time pass while every CPU waits (see IdleTime). */
  get idleTime(): IdleTime { return this.clock.idleTime; }

  /**
   * Run up to about `budget` instructions in total, CPU turns of at most `quantum` each, clipped
   * so that timer deadlines fall on turn boundaries (exactly with -icount; with host time as
   * near as the counter's estimate of instructions per tick allows). Returns early when the
   * guest stops or every CPU is idle.
   */
  run(budget: number): RunStatus {
    let executed = 0;
    const n = this.cpus.length;
    while (executed < budget) {
      if (this.event) return { kind: "stopped", reason: this.event };
      let anyRan = false;
      for (let k = 0; k < n; k++) {
        const idx = (this.nextCpu + k) % n;
        const cpu = this.cpus[idx];
        if (cpu.off || cpu.halted) continue;
        anyRan = true;
        let slice = this.quantum;
        // The turn starts (the counter reads the time once) and is clipped to the next deadline.
        this.clock.beginSlice(cpu);
        const deadline = this.timer.nextDeadline();
        if (deadline !== undefined) slice = Math.min(slice, this.clock.instructionsFor(deadline - this.clock.now()));
        const before = cpu.icount;
        const excBefore = cpu.exceptionsTaken;
        try {
          cpu.run(slice);
        } finally {
          this.clock.endSlice();
        }
        const ran = cpu.icount - before;
        executed += ran;
        // Other CPUs' stores through the TLB fast path do not check reservations, so a CPU's
        // exclusive monitor does not survive its turn: an LDXR/STXR pair split across turns
        // fails and retries (clearing is always allowed, ARM ARM B2.9.5).
        if (n > 1) cpu.exclusiveValid = false;
        this.timer.update();
        // An exception taken on every step of a whole turn, turn after turn: the guest has no
        // working vectors (or they fault themselves) and will never make progress.
        const exc = cpu.exceptionsTaken - excBefore;
        // Each report names the exception that started the loop: by now ESR/FAR only describe
        // the vectors' own faults.
        if (cpu.exceptionsWithoutProgress >= NO_PROGRESS_EXCEPTION_LIMIT) {
          return { kind: "fatal", cpu, message: `cpu${idx} is stuck taking exceptions without executing an instruction; ${cpu.describeFirstFault()}` };
        }
        if (cpu.exceptionsSinceEret >= EXCEPTION_STREAK_LIMIT) {
          return { kind: "fatal", cpu,
            message: `cpu${idx} is stuck taking exceptions (${cpu.exceptionsSinceEret} without an exception return); ${cpu.describeFirstFault()}` };
        }
        if (ran > 0 && exc >= ran) {
          if (++this.faultTurns[idx] >= EXCEPTION_LOOP_TURNS) {
            return { kind: "fatal", cpu, message: `cpu${idx} is stuck taking exceptions (${exc} in its last ${ran} steps); ${cpu.describeFirstFault()}` };
          }
        } else this.faultTurns[idx] = 0;
        if (this.event) return { kind: "stopped", reason: this.event };
      }
      this.nextCpu = (this.nextCpu + 1) % n;
      if (!anyRan) {
        this.rtc.poll();
        return { kind: "idle", now: this.clock.now(), until: this.timer.nextDeadline() };
      }
    }
    this.rtc.poll();
    return { kind: "running" };
  }

  /** Let time pass while idle (the host decided how far; host time moves by itself); fires due timers. */
  advanceIdle(tick: number): void {
    this.clock.advanceTo(tick);
    this.timer.update();
    this.rtc.poll();
  }

  /** Host input for the guest's UART. */
  input(bytes: ArrayLike<number>): void {
    this.uart.receive(bytes);
  }
}
