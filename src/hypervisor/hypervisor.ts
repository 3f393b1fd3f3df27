/**
 * The partitioning hypervisor, in the KVM_RUN model: the board's physical CPUs run the
 * partitions' guests at EL1/EL0 under stage-2 translation, and every exception a guest takes to
 * EL2 exits from the CPU to `el2Exit` here (src/cpu/platform.ts). Partitions share the one board:
 * each physical CPU runs only its partition's vCPU, each partition's RAM is the slice of
 * physical RAM its config gives it, and devices are passed through.
 *
 * What a partition sees by default is a QEMU virt machine of its own size (docs/hv-config.md):
 * its RAM at 0x4000_0000, a GIC of the board's version emulated per partition (a GicV2/GicV3
 * model of its own behind stage-2 faults, its CPU interface bound to the partition's vCPUs), the
 * generic timer (its interrupts routed to the partition's GIC), a PL011 at 0x0900_0000 as its
 * console (emulated), and PSCI over HVC for its own vCPUs. Anything else it touches is a
 * stage-2 fault, answered with a synchronous external abort and counted.
 */
import { HCR_EL2 } from "../cpu/arch-bits.js";
import { Access, type Cpu, type Translation } from "../cpu/cpu.js";
import { translate } from "../cpu/mmu.js";
import { enterException, EC } from "../cpu/exceptions.js";
import { RESUME, VectorOffset, type DataAbortExit, type El2Exit, type El2ExitHandler, type El2ExitResult } from "../cpu/platform.js";
import { SR } from "../cpu/sysregs.js";
import { GicV2 } from "../devices/gicv2.js";
import { GicV3 } from "../devices/gicv3.js";
import type { Pl011 } from "../devices/pl011.js";
import { Bus } from "../memory/bus.js";
import { virtDevices } from "../boards/virt/virt-devices.js";
import { mpAffinity } from "../machine/cluster.js";
import { mapDevices } from "../machine/device-spec.js";
import type { RunStatus } from "../machine/scheduler.js";
import { spiLine } from "../devices/interrupts.js";
import { Sp805 } from "../devices/sp805.js";
import type { ClockSpec, IdleTime } from "../devices/system-counter.js";
import { PsciFirmware, type SystemEvent } from "../firmware/psci.js";
import { planBoot } from "../loaders/boot.js";
import { VIRT } from "../boards/virt/memory-map.js";
import { VirtBoard } from "../boards/virt/virt.js";
import { decodeDtb, type DeviceTree } from "../devicetree/index.js";
import { buildVirtDtb } from "../boards/virt/fdt.js";
import type { HvConfig, ImageSource, PartitionConfig, VbdConfig } from "./config.js";
import { buildGuestDtb } from "./guest-dt.js";
import type { HvControl, PartitionInfo, PartitionState, PartitionStats } from "./shell.js";
import { Stage2Tables, VTCR_40BIT_4K } from "./stage2-tables.js";
import { MAX_PARTITIONS } from "./config.js";
import { partitionUuid, XenPartition, XEN_REGION_IPA, XEN_REGION_SIZE } from "./xen/partition.js";
import { GuestMemory as DmaMemory } from "../devices/virtio/guest-memory.js";
import { VirtioNet } from "../devices/virtio/net.js";
import { BusSharedMemory, IvshmemPlain } from "../devices/pci/ivshmem.js";
import { VirtualSwitch, type SwitchPort } from "../net/switch.js";
import { XenStore } from "./xen/xenstore.js";
import { Netback } from "./xen/netback.js";
import { Blkback } from "./xen/blkback.js";
import type { BlockBackend } from "../devices/virtio/block.js";
import type { XenDomain } from "./xen/domain.js";

/** Physical memory only the hypervisor maps (stage-2 tables): outside the virt board's map. */
export const HV_PRIVATE_BASE = 0x7f_0000_0000;
const HV_PRIVATE_SIZE = 16 << 20;
/** Lines of the hypervisor's log kept for xl dmesg. */
const LOG_LINES = 1000;
const TABLES_PER_PARTITION = 1 << 20;
/** Each Xen partition's grant frames and magic pages, after every partition's tables. */
const XEN_PAGES_BASE = HV_PRIVATE_BASE + MAX_PARTITIONS * TABLES_PER_PARTITION;
const XEN_PAGES_STRIDE = 512 << 10;
/** The doorbell page in every partition's IPA space: a 32-bit write of N rings doorbell N (a hole in the virt map). */
export const DOORBELL_IPA = 0x0b00_0000;
/** Each doorbell a partition receives is this SPI on its GIC, in the order of its config. */
export const DOORBELL_FIRST_SPI = 64;
/** The partition's watchdog (an SP805, with `watchdog` in its config): its page and SPI. */
export const WATCHDOG_IPA = 0x0b00_1000;
export const WATCHDOG_SPI = 60;
/** Its WDOGCLK: virt's 24 MHz APB clock. */
const WATCHDOG_HZ = 24_000_000;
/** Vendor-specific hypervisor call (SMCCC owner 6): ring doorbell X1. */
export const HVC_DOORBELL_RING = 0xc600_0001;

/** HCR_EL2 for a partition's vCPUs: AArch64 EL1, stage 2, interrupts and SErrors to the hypervisor (virtual ones to the guest), SMC trapped. */
const GUEST_HCR = (HCR_EL2.RW | HCR_EL2.VM | HCR_EL2.IMO | HCR_EL2.FMO | HCR_EL2.AMO | HCR_EL2.TSC) >>> 0;

/** ESR ISS for a synchronous external abort, not on a table walk (DFSC/IFSC 0x10). */
const FSC_SEA = 0x10;

export interface HypervisorHost {
  /** Bytes of an image file named by the config (already checked to exist); a kernel as it is to be loaded. */
  readImage(path: string, kind: "kernel" | "initrd"): Uint8Array;
  /** Partition `id`'s console printed `bytes`. */
  consoleOutput(id: number, bytes: Uint8Array): void;
  /** A line of the hypervisor's own (a partition stopped, restarted, crashed). */
  event(text: string): void;
  /** A device tree as DTS text (for HV> dtb). */
  dtbToDts(dtb: Uint8Array): string;
  /** A Xen vbd's raw image, opened read-write (or read-only); throws a one-line error when it cannot be. */
  openDisk?(path: string, readOnly: boolean): BlockBackend;
  /** Partition `id` (re)started: its console output begins afresh. */
  partitionStarted?(id: number): void;
}

/** Per-vCPU view of a physical CPU for the partition's GIC model: its interrupt outputs are the virtual lines. */
function virtualLines(cpu: Cpu): Cpu {
  return { setIrq: (l: boolean) => cpu.setVirq(l), setFiq: (l: boolean) => cpu.setVfiq(l) } as unknown as Cpu;
}

class Partition {
  state: PartitionState = "stopped";
  readonly vcpus: Cpu[];
  readonly gic: GicV2 | GicV3;
  readonly uart: Pl011;
  /** The partition's emulated devices, by guest physical address. */
  readonly mmio = new Bus();
  /** Its SP805 watchdog, when the config gives it one. */
  readonly watchdog: Sp805 | undefined;
  readonly psci: PsciFirmware;
  readonly tables: Stage2Tables;
  /** Xen's guest interface, for a partition with `xen,enhanced`. */
  readonly xen: XenPartition | undefined;
  /** Its virtio-net NICs, each on its switch port. */
  readonly nics: VirtioNet[];
  readonly exits: Record<string, number> = {};
  crashes = 0;
  externalAborts = 0;
  /** Which vCPUs were on when the partition was paused. */
  paused: boolean[] = [];
  /** The guest wrote to its PV console: what is typed goes there from then on (before, to the PL011 it may use instead). */
  pvConsoleUsed = false;
  /** Created paused (xl create -p): nothing is loaded until it is unpaused. */
  createdPaused = false;
  private dtbText: string | undefined;
  readonly vmid: number;
  /** Instructions of each vCPU before the current run (so restarts keep counting). */
  readonly instructionsBase: number[];

  /** Seconds each vCPU was runnable (not off, not in WFI), by the board's clock at slice granularity. */
  readonly cpuSeconds: number[];
  /** Why it last stopped, for xl list's shutdown letters. */
  shutdownReason: "poweroff" | "reboot" | "crash" | "watchdog" | undefined;

  /** `slot`: its stage-2 tables and Xen pages in the hypervisor's memory; the VMID is slot + 1. */
  constructor(readonly hv: Hypervisor, readonly config: PartitionConfig, readonly slot: number) {
    const vmid = slot + 1;
    this.vmid = vmid;
    const tableBase = HV_PRIVATE_BASE + slot * TABLES_PER_PARTITION;
    this.cpuSeconds = config.pcpus.map(() => 0);
    const board = hv.board;
    this.vcpus = config.pcpus.map((p) => board.cpus[p]);
    this.instructionsBase = this.vcpus.map(() => 0);
    const n = this.vcpus.length;
    if (hv.config.gicVersion === 3) this.gic = new GicV3(n, VIRT.GIC_NUM_IRQS, this.vcpus.map((_, i) => i));
    else this.gic = new GicV2(n, VIRT.GIC_NUM_IRQS, false);
    this.gic.attachCpus(this.vcpus.map(virtualLines));
    // Its NICs: virtio-net on its own virtio-mmio transports (the first on the highest, as
    // QEMU's first -device), reaching only the partition's memory, each on its switch port.
    const ports = hv.nicPortsOf(config);
    this.nics = (config.nics ?? []).map((nic, i) => new VirtioNet(ports[i], nic.mac));
    const dmaMemory = new DmaMemory(board.bus, config.memory.map((a) => ({ ipa: a.guestAddr, pa: a.pma.addr, size: a.size, writable: a.writable })));
    // Its own virt machine's devices, on a bus of its own that stage-2 faults reach.
    // The same device list as the board's, for a virt machine of the partition's size.
    // Its ivshmem-plain functions (slots 1, 2, ... of its root bus): BAR2 is the physical memory
    // area itself, so partitions given the same area see each other's stores as they happen.
    const pci = (config.ivshmem ?? []).map((s, i) => ({
      devfn: (i + 1) << 3,
      create: () => new IvshmemPlain(new BusSharedMemory(board.bus, s.pma.addr, s.pma.size, s.writable)),
    }));
    const models = mapDevices(this.mmio, virtDevices({ cpus: n, gicVersion: hv.config.gicVersion, virtualization: false }), {
      gic: this.gic, irq: this.gic, dmaMemory, virtio: { devices: this.nics, legacy: true }, pci,
      uartTx: (b) => hv.host.consoleOutput(config.id, Uint8Array.of(b)),
      rtcStartSeconds: Math.floor(Date.now() / 1000),
      rtcNow: () => board.clock.now() / board.counterFrequency,
    });
    this.uart = models.get("uart")![0] as Pl011;
    const part = this;
    this.psci = new PsciFirmware({
      cpus: () => this.vcpus,
      conduit: "hvc",
      mpidr: (cpu) => this.vcpuMpidr(this.vcpus.indexOf(cpu)),
      startCpu: (cpu, lo, hi, ctx) => this.enterGuest(cpu, lo, hi, ctx[0], ctx[1]),
      systemEvent: (e: SystemEvent) => part.hv.partitionEvent(part, e),
    });
    if (config.watchdog) {
      const ticksPerCycle = board.counterFrequency / WATCHDOG_HZ;
      this.watchdog = new Sp805(() => board.clock.now() / ticksPerCycle, spiLine(this.gic, WATCHDOG_SPI));
      this.mmio.addMmio(WATCHDOG_IPA, 0x1000, this.watchdog);
    }
    this.tables = new Stage2Tables(hv.privateMemory, tableBase, TABLES_PER_PARTITION);
    for (const area of config.memory) {
      this.tables.map({ ipa: area.guestAddr, pa: area.pma.addr, size: area.size, access: area.writable ? "rw" : "ro", executable: true, device: false });
    }
    for (const d of config.devices) {
      const node = hv.boardTree.find(d.path);
      for (const r of node?.reg() ?? []) {
        const base = Number(r.address), size = Math.max(4096, Number(r.size));
        this.tables.map({ ipa: base, pa: base, size: Math.ceil(size / 4096) * 4096, access: "rw", executable: false, device: true });
      }
    }
    // xl's iomem: device memory of the board at the guest frames the config asks (the toolstack
    // checked that it is no partition's RAM, no other domain's device and not the GIC).
    for (const r of config.domain?.iomem ?? []) {
      this.tables.map({ ipa: r.ipa, pa: r.pa, size: r.size, access: "rw", executable: false, device: true });
    }
    if (config.xen) {
      const xenPagesPa = XEN_PAGES_BASE + slot * XEN_PAGES_STRIDE;
      this.tables.map({ ipa: XEN_REGION_IPA, pa: xenPagesPa, size: XEN_REGION_SIZE, access: "rw", executable: false, device: false });
      this.xen = new XenPartition({
        domid: config.id, name: config.label, uuid: config.xenHandle?.slice() ?? partitionUuid(config.id, config.label), ramBytes: config.ramSize,
        ram: config.memory.filter((a) => a.isRam).map((a) => ({ ipa: a.guestAddr, pa: a.pma.addr, size: a.size, writable: a.writable })),
        xenPagesPa, bus: board.bus, vcpus: this.vcpus, store: hv.xenstore, wallclockSeconds: Math.floor(Date.now() / 1000),
        consoleOutput: (b) => { this.pvConsoleUsed = true; hv.host.consoleOutput(config.id, b); }, pvConsole: config.xenPvConsole,
        shutdown: (reason, why) => {
          if (reason === "crash") hv.reportCrash(config.id, why);
          else hv.partitionEvent(part, reason === "poweroff" ? "poweroff" : "reset");
        },
        peer: (domid) => hv.xenDomain(domid),
        setStage2Page: (ipa, to) => this.setStage2Page(ipa, to),
      }, this.gic);
      // Its PV devices, added as the toolstack adds them before the domain runs: a vif on the
      // switch port after its virtio-net NICs', a vbd over its image.
      const dom = this.xen.domain;
      const log = (line: string) => hv.host.event(`${config.label}: ${line}`);
      const devices = [
        ...(config.vifs ?? []).map((vif, devid) => new Netback(dom, { devid, mac: vif.mac, port: ports[this.nics.length + devid], log })),
        ...(config.vbds ?? []).map((vbd) => new Blkback(dom, { devid: vbd.devid, vdev: vbd.vdev, target: vbd.target, disk: hv.diskOf(vbd), log })),
      ];
      for (const d of devices) { dom.devices.push(d); d.start(); }
    }
  }

  /**
   * One page of the stage 2 changed by a Xen memory operation: a grant mapping (never
   * executable), the partition's own RAM page back (as it was mapped at boot), or nothing.
   * The partition's vCPUs drop what their TLBs hold of the old mapping.
   */
  private setStage2Page(ipa: number, to: { pa: number; writable: boolean } | undefined): void {
    const own = to && this.config.memory.some((a) => to.pa >= a.pma.addr && to.pa + 4096 <= a.pma.addr + a.size);
    this.tables.setPage(ipa, to && { pa: to.pa, access: to.writable ? "rw" : "ro", executable: own === true, device: false });
    for (const v of this.vcpus) v.flushTlb();
  }

  vcpuMpidr(i: number): number {
    // As the virt board numbers its CPUs (Aff0 = index within a cluster of 16 for GICv3, 8 for GICv2).
    return (0x80000000 | mpAffinity(i, this.hv.config.gicVersion === 3 ? 16 : 8)) >>> 0;
  }

  get guestDts(): string {
    return this.dtbText ?? "";
  }

  /** Set once booted: booting again takes a fresh Partition (Hypervisor.install). */
  booted = false;

  /** Load the images and the guest DTB into the partition's RAM and start vCPU 0. */
  boot(): void {
    this.booted = true;
    const c = this.config;
    const ramBase = 0x4000_0000;
    const read = (image: ImageSource, kind: "kernel" | "initrd") =>
      image.kind === "file" ? this.hv.host.readImage(image.path, kind) : image.kind === "bytes" ? image.data : this.readPhysical(image.source, image.size);
    const kernel = read(c.guestImage.image, "kernel");
    const initrd = c.linuxRootfs ? read(c.linuxRootfs.image, "initrd") : undefined;
    // Topaz's preloaded images run from their destination; a dom0less module preloaded at its
    // reg (no destination) is loaded as a file would be.
    const plan = c.guestImage.image.kind === "preloaded" && c.guestImage.guestAddr !== undefined
      ? preloadedPlan(kernel, c.guestImage.guestAddr!, initrd, c.linuxRootfs?.guestAddr, ramBase + c.ramSize)
      : planBoot({ kernel, initrd, ramBase, ramSize: c.ramSize });
    // A partition starts on zeroed RAM. Board RAM is zero until a guest has run in it, so only
    // the areas an earlier boot used are cleared: zeroing all of them at every start made the
    // host touch every page of every partition (a 512 MiB Linux partition cost 512 MiB of RSS
    // before its first instruction).
    for (const area of c.memory) {
      if (!area.isRam) continue;
      if (this.hv.usedRam.has(area.pma.addr)) this.hv.board.bus.zero(area.pma.addr, area.size);
      else this.hv.usedRam.add(area.pma.addr);
    }
    for (const l of plan.loads) {
      this.writeGuest(l.addr, l.data);
      if (l.zeroFill > 0) this.writeGuest(l.addr + l.data.length, new Uint8Array(l.zeroFill));
    }
    const dtb = buildGuestDtb(this.hv.config, c, {
      initrd: plan.isLinux ? plan.initrd : undefined, boardTree: this.hv.boardTree,
      watchdog: c.watchdog ? { address: WATCHDOG_IPA, spi: WATCHDOG_SPI } : undefined,
    });
    let dtbAddr = plan.dtbAddr;
    if (c.dtbWindow) dtbAddr = c.dtbWindow.guestAddr;
    if (dtbAddr !== undefined && dtbAddr + dtb.length <= (c.dtbWindow ? c.dtbWindow.guestAddr + c.dtbWindow.size : plan.dtbLimit ?? Infinity)) this.writeGuest(dtbAddr, dtb);
    else dtbAddr = undefined;
    this.dtbText = undefined;
    this.dtb = dtb;
    for (const v of this.vcpus) { v.off = true; v.halted = false; }
    // Armed at power-on as a hardware watchdog: interrupt at half the time, reset at the end,
    // unless the guest kicks it (WdogIntClr) or reprograms it.
    if (this.watchdog && c.watchdog) this.watchdog.arm(Math.round((c.watchdog.seconds * WATCHDOG_HZ) / 2));
    const entry = plan.entry;
    const x0 = plan.isLinux && dtbAddr !== undefined ? dtbAddr : 0;
    this.enterGuest(this.vcpus[0], entry % 2 ** 32 | 0, Math.floor(entry / 2 ** 32), x0 | 0, 0);
    this.state = "running";
    // A fresh machine: its NICs take frames again, and what the switches learnt about the old one is gone.
    for (const port of this.hv.nicPortsOf(c)) { port.enabled = true; port.owner.forgetPort(port); }
  }
  dtb: Uint8Array | undefined;

  /** Put a vCPU at EL1 in its boot state (booting.rst), under this partition's stage 2. */
  enterGuest(cpu: Cpu, lo: number, hi: number, x0Lo: number, x0Hi: number): void {
    const i = this.vcpus.indexOf(cpu);
    this.hv.board.cluster.resetCpu(cpu, lo, hi, x0Lo, x0Hi);
    // The guest owns its CPUs' PMU (MDCR_EL2 out of reset: HPMN = N, no traps); a boot starts it afresh.
    this.hv.board.pmu.reset(cpu);
    const vttbr = this.tables.vttbr(this.vmid);
    cpu.srSet(SR.HCR_EL2, GUEST_HCR | 0, 0);
    cpu.srSet(SR.VTTBR_EL2, Number(vttbr & 0xffffffffn) | 0, Number(vttbr >> 32n) | 0);
    cpu.srSet(SR.VTCR_EL2, VTCR_40BIT_4K | 0, 0);
    cpu.srSet(SR.VMPIDR_EL2, this.vcpuMpidr(i) | 0, 0);
    cpu.setElSp(1, 1);
    cpu.updateCachedControls();
    cpu.vttbrChanged();
    cpu.flushTlb();
    cpu.off = false;
    cpu.halted = false;
  }

  /** Guest physical to physical, for the hypervisor's own copies (RAM areas only). */
  private paOf(ipa: number, length: number): number | undefined {
    for (const a of this.config.memory) if (ipa >= a.guestAddr && ipa + length <= a.guestAddr + a.size) return a.pma.addr + (ipa - a.guestAddr);
    return undefined;
  }

  writeGuest(ipa: number, data: Uint8Array): void {
    const pa = this.paOf(ipa, data.length);
    if (pa === undefined) throw new RangeError(`guest address 0x${ipa.toString(16)} is outside ${this.config.label}'s memory`);
    this.hv.board.bus.load(pa, data);
  }

  readGuest(ipa: number, length: number): Uint8Array | string {
    const pa = this.paOf(ipa, length);
    if (pa === undefined) return `0x${ipa.toString(16)}+${length} is outside its memory`;
    return this.readPhysical(pa, length);
  }

  /** A copy of physical RAM (images are only ever preloaded into RAM: config and loader check it). */
  private readPhysical(pa: number, length: number): Uint8Array {
    const bus = this.hv.board.bus;
    const r = bus.rams[bus.findRam(pa)];
    if (!r || pa + length > r.base + r.size) throw new RangeError(`physical [0x${pa.toString(16)}, +0x${length.toString(16)}) is not RAM`);
    return r.bytes.slice(pa - r.base, pa - r.base + length);
  }

  stop(): void {
    for (const v of this.vcpus) { v.off = true; v.halted = true; v.setVirq(false); v.setVfiq(false); }
    // A stopped partition's NICs take nothing: its memory is no longer a running guest's.
    for (const port of this.hv.nicPortsOf(this.config)) port.enabled = false;
    this.state = "stopped";
  }

  /** An emulated device access; false when nothing answers there (or the device refuses it). */
  access(ipa: number, size: number, write: boolean, value: bigint, vcpu: number): { ok: boolean; value: bigint } {
    const m = this.mmio.findMmio(ipa);
    if (!m) return { ok: false, value: 0n };
    const d = m.device as { accepts?: (off: number, size: number, isWrite: boolean) => boolean };
    if (d.accepts && !d.accepts(ipa - m.base, size, write)) return { ok: false, value: 0n };
    if (write) return { ok: this.mmio.write(ipa, size, size === 8 ? value : Number(value), vcpu), value: 0n };
    const v = this.mmio.read(ipa, size, vcpu);
    return v === undefined ? { ok: false, value: 0n } : { ok: true, value: BigInt(v) };
  }
}

export class Hypervisor implements El2ExitHandler, HvControl {
  readonly board: VirtBoard;
  /** Physical RAM areas (by base) a partition has booted in: a later boot there zeroes them first. */
  readonly usedRam = new Set<number>();
  readonly boardTree: DeviceTree;
  readonly parts: Partition[] = [];
  private readonly owner: (Partition | undefined)[];
  /** The partition each passed-through device's SPI goes to, by INTID. */
  private readonly spiOwner = new Map<number, Partition>();
  private ended = false;
  readonly privateMemory;
  /** The virtual switches, by node name. */
  readonly switches: Map<string, VirtualSwitch>;
  /** Each partition's NIC ports on them, in NIC order. */
  private readonly nicPorts = new Map<PartitionConfig, SwitchPort[]>();
  /** One XenStore for every Xen partition, with per-domain permissions, as xenstored serves all of Xen's domains. */
  readonly xenstore = new XenStore();
  /** The hypervisor's own lines (xl dmesg), the last LOG_LINES of them. */
  readonly log: string[] = [];
  /** Called when a partition is created or destroyed after start-up (xl create, xl destroy). */
  onDomainsChanged: ((change: { added?: PartitionConfig; removed?: number }) => void) | undefined;

  /** `clock`: what drives the board's counter, and with it every partition's (host time by default). */
  constructor(readonly config: HvConfig, readonly host: HypervisorHost, machine: { clock?: ClockSpec; hostNow?: () => number } = {}) {
    this.board = new VirtBoard({
      clock: machine.clock, hostNow: machine.hostNow,
      ramSize: config.memorySize, cpus: config.cpus, gicVersion: config.gicVersion, virtualization: true,
      uartTx: () => {}, hypervisor: this,
      interruptRoute: (cpu, intid, level) => this.routeInterrupt(cpu, intid, level),
      gicCpuInterface: (cpu) => this.gicCpuInterface(cpu),
    });
    this.boardTree = decodeDtb(buildVirtDtb({ ramSize: config.memorySize, cpus: config.cpus, gicVersion: config.gicVersion, virtualization: true }));
    const ram = this.board.bus.addRam("hypervisor", HV_PRIVATE_BASE, HV_PRIVATE_SIZE);
    // Guests reach part of it (a Xen partition's grant frames and magic pages).
    for (const cpu of this.board.cpus) cpu.ramsAdded();
    this.privateMemory = {
      write64: (pa: number, v: bigint) => { ram.view.setBigUint64(pa - HV_PRIVATE_BASE, v, true); },
      zero: (pa: number, size: number) => { ram.bytes.fill(0, pa - HV_PRIVATE_BASE, pa - HV_PRIVATE_BASE + size); },
      read64: (pa: number) => ram.view.getBigUint64(pa - HV_PRIVATE_BASE, true),
    };
    this.owner = this.board.cpus.map(() => undefined);
    this.switches = new Map((config.switches ?? []).map((name) => [name, new VirtualSwitch(name)]));
    // XenStore's /local/domain is there from the start, as on Xen, whether or not a Xen partition is.
    this.xenstore.write("/local/domain", "");
    config.partitions.forEach((_, k) => this.install(k));
    // CPUs that no partition owns stay off.
    for (const cpu of this.board.cpus) { cpu.off = true; cpu.halted = true; }
  }

  /** The Xen domain `domid`, when it is a partition with `xen,enhanced`. */
  xenDomain(domid: number): XenDomain | undefined {
    return this.parts.find((p) => p && p.config.id === domid)?.xen?.domain;
  }

  /** A Xen partition's domain is destroyed: what other domains hold of it (grant mappings, bound channels) is let go. */
  private destroyXenDomain(p: Partition): void {
    p.xen?.domain.dispose(this.parts.flatMap((q) => (q && q.xen ? [q.xen.domain] : [])));
  }

  /**
   * Partition `k` with fresh devices (GIC, UART, RTC, ...) and stage-2 tables, in place of the
   * old one if any: a restart is a new machine, as a reset is on hardware. Its counts go on.
   */
  private install(k: number): Partition {
    const pc = this.config.partitions[k];
    const old = this.parts[k];
    if (old) this.destroyXenDomain(old);
    const slot = old ? old.slot : this.freeSlot();
    const p = new Partition(this, pc, slot);
    if (old) {
      Object.assign(p.exits, old.exits); p.crashes = old.crashes; p.externalAborts = old.externalAborts;
      old.cpuSeconds.forEach((t, i) => { if (i < p.cpuSeconds.length) p.cpuSeconds[i] = t; });
    }
    this.parts[k] = p;
    // CPUs it held before (xl vcpu-pin moves a stopped partition's vCPUs) are no longer its.
    this.owner.forEach((o, c) => { if (old && o === old) this.owner[c] = undefined; });
    for (const c of pc.pcpus) this.owner[c] = p;
    // A passed-through device's interrupts (GIC binding: <type number flags>, type 0 = SPI)
    // go to its partition's GIC, at the same INTID.
    for (const d of pc.devices) {
      const cells = this.boardTree.find(d.path)?.prop("interrupts")?.asU32Array() ?? [];
      for (let i = 0; i + 2 < cells.length; i += 3) if (cells[i] === 0) this.spiOwner.set(32 + cells[i + 1], p);
    }
    for (const intid of pc.domain?.irqs ?? []) this.spiOwner.set(intid, p);
    return p;
  }

  /**
   * Partition `pc`'s ports on the switches its NICs name, made the first time they are asked
   * for. They outlive the partition's devices: a restarted partition's new NIC takes over its
   * ports, and they take frames only while it runs.
   */
  nicPortsOf(pc: PartitionConfig): SwitchPort[] {
    let ports = this.nicPorts.get(pc);
    if (!ports) {
      ports = [...(pc.nics ?? []), ...(pc.vifs ?? [])].map((nic) => {
        const port = this.switches.get(nic.vswitch)!.addPort(`${pc.label}.${nic.name}`);
        port.enabled = false;
        return port;
      });
      this.nicPorts.set(pc, ports);
    }
    return ports;
  }

  private readonly disks = new Map<VbdConfig, BlockBackend>();

  /** The image behind a Xen vbd, opened by the host the first time it is asked for and kept over restarts. */
  diskOf(vbd: VbdConfig): BlockBackend {
    let d = this.disks.get(vbd);
    if (!d) {
      if (!this.host.openDisk) throw new Error(`no host disk access for ${vbd.target}`);
      d = this.host.openDisk(vbd.target, vbd.readOnly);
      this.disks.set(vbd, d);
    }
    return d;
  }

  /**
   * A partition gone for good gives its images back to the host (xl destroy of a domain that xl
   * created, as libxl's device removal closes the backend's file), so a long-running hv does not
   * keep a descriptor per domain it ever ran, and the image is whole on disk once xl returns.
   */
  releaseDisks(vbds: readonly VbdConfig[], label: string): void {
    for (const vbd of vbds) {
      const d = this.disks.get(vbd);
      if (!d) continue;
      this.disks.delete(vbd);
      try {
        d.close?.();
      } catch (e) {
        this.event(`${label}: closing ${vbd.target}: ${(e as Error).message}`);
      }
    }
  }

  /** A partition gone for good: its ports leave their switches. */
  releaseNicPorts(pc: PartitionConfig): void {
    for (const port of this.nicPorts.get(pc) ?? []) port.owner.removePort(port);
    this.nicPorts.delete(pc);
  }

  /** The lowest slot (stage-2 tables, Xen pages) no partition holds. */
  private freeSlot(): number {
    for (let slot = 0; slot < MAX_PARTITIONS; slot++) if (!this.parts.some((p) => p && p.slot === slot)) return slot;
    throw new RangeError(`no room for another partition (at most ${MAX_PARTITIONS})`);
  }

  /**
   * Move vCPU `vcpu` of partition `id` to physical CPU `pcpu`, which no partition holds (xl
   * vcpu-pin of a running domain): its registers, system registers, timers and interrupt lines
   * go along, between two slices, so the guest goes on where it was. Its old CPU is off.
   */
  moveVcpu(id: number, vcpu: number, pcpu: number): string | undefined {
    const p = this.byId(id);
    if (!p) return "no such partition";
    const from = p.vcpus[vcpu], to = this.board.cpus[pcpu];
    if (!from || !to) return "no such CPU";
    if (from === to) return undefined;
    if (this.owner[pcpu] !== undefined || this.config.partitions.some((c) => c.pcpus.includes(pcpu))) return `CPU ${pcpu} is in use`;
    to.x.set(from.x);
    to.spBank.set(from.spBank);
    to.v8.set(from.v8);
    to.pcLo = from.pcLo; to.pcHi = from.pcHi;
    to.nf = from.nf; to.zf = from.zf; to.cf = from.cf; to.vf = from.vf;
    to.daif = from.daif; to.el = from.el; to.spSel = from.spSel;
    to.pstateIl = from.pstateIl; to.pstateSs = from.pstateSs;
    to.fpcr = from.fpcr; to.fpsr = from.fpsr;
    // Every system register but the physical CPU's own identity (MPIDR_EL1; the guest reads VMPIDR_EL2).
    const mpLo = to.sr[SR.MPIDR_EL1 * 2], mpHi = to.sr[SR.MPIDR_EL1 * 2 + 1];
    to.sr.set(from.sr);
    to.sr[SR.MPIDR_EL1 * 2] = mpLo; to.sr[SR.MPIDR_EL1 * 2 + 1] = mpHi;
    to.halted = from.halted; to.off = from.off; to.eventRegister = from.eventRegister;
    to.exclusiveValid = false; from.exclusiveValid = false;
    [to.icount, from.icount] = [from.icount, to.icount];
    // The timers' lines drop while they still reach the partition through the old CPU, then
    // rise again, where due, through the new one.
    this.board.timer.quiesce(from.index);
    this.board.timer.quiesce(to.index);
    from.off = true; from.halted = true; from.setVirq(false); from.setVfiq(false);
    p.vcpus[vcpu] = to;
    p.config.pcpus[vcpu] = pcpu;
    this.owner[from.index] = undefined;
    this.owner[pcpu] = p;
    this.board.timer.swapCpus(from.index, to.index);
    // The partition's GIC drives the new CPU's virtual lines from now on.
    p.gic.attachCpus(p.vcpus.map(virtualLines));
    to.updateCachedControls();
    to.vttbrChanged();
    to.flushTlb();
    to.interruptCheck = true;
    return undefined;
  }

  /** A line of the hypervisor's own: to the host, and kept for xl dmesg. */
  event(text: string): void {
    const seconds = this.board.clock.now() / this.board.counterFrequency;
    this.log.push(`(HV) [${seconds.toFixed(6).padStart(12)}] ${text}`);
    if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES);
    this.host.event(text);
  }

  /** Whether another partition can be added (a slot for its tables is free). */
  get hasFreeSlot(): boolean {
    return this.parts.length < MAX_PARTITIONS;
  }

  /**
   * Add a partition after start-up (xl create), already checked by the toolstack against what
   * the others hold. It boots unless `paused`.
   */
  addPartition(pc: PartitionConfig, paused: boolean): void {
    this.config.partitions.push(pc);
    const p = this.install(this.config.partitions.length - 1);
    this.onDomainsChanged?.({ added: pc });
    if (paused) { p.state = "paused"; p.paused = p.vcpus.map(() => false); p.createdPaused = true; }
    else this.bootPartition(p);
  }

  /** Remove partition `id`, stopped first (xl destroy of a domain xl created): its CPUs, memory and slot are free again. */
  removePartition(id: number): void {
    const p = this.byId(id);
    if (!p) return;
    if (p.state !== "stopped") p.stop();
    this.destroyXenDomain(p);
    const k = this.parts.indexOf(p);
    this.parts.splice(k, 1);
    this.config.partitions.splice(this.config.partitions.indexOf(p.config), 1);
    for (const c of p.config.pcpus) if (this.owner[c] === p) this.owner[c] = undefined;
    for (const [intid, owner] of this.spiOwner) if (owner === p) this.spiOwner.delete(intid);
    if (p.xen) this.xenstore.releaseDomain(id);
    this.releaseNicPorts(p.config);
    this.releaseDisks(p.config.vbds ?? [], p.config.label);
    this.onDomainsChanged?.({ removed: id });
  }

  /** Put `bytes` into the board's RAM at physical `pa` (QEMU's generic loader); a problem in words, or undefined. */
  preload(pa: number, bytes: Uint8Array): string | undefined {
    const end = 0x4000_0000 + this.config.memorySize;
    if (pa < 0x4000_0000 || pa + bytes.length > end) return `[0x${pa.toString(16)}, 0x${(pa + bytes.length).toString(16)}) is outside the board's RAM`;
    this.board.bus.load(pa, bytes);
    return undefined;
  }

  /** Boot every partition that starts on its own. */
  bootAll(): void {
    for (const p of this.parts) if (p.config.autoStart) this.bootPartition(p);
  }

  private bootPartition(p: Partition): void {
    if (p.booted || p.createdPaused) p = this.install(this.config.partitions.indexOf(p.config));
    p.shutdownReason = undefined;
    p.boot();
    this.host.partitionStarted?.(p.config.id);
    this.event(`${p.config.label}: started on CPU${p.config.pcpus.length > 1 ? "s" : ""} ${p.config.pcpus.join(",")}`);
  }

  get isEnded(): boolean {
    return this.ended || this.parts.every((p) => p.state === "stopped" || p.state === "crashed");
  }

  /** Timer PPIs of a partition's CPU, and SPIs of devices passed to it, go to its GIC. */
  private routeInterrupt(cpu: number, intid: number, level: boolean): boolean {
    if (intid < 32) {
      const p = this.owner[cpu];
      if (p) p.gic.setInput(p.config.pcpus.indexOf(cpu), intid, level);
      return true;
    }
    const p = this.spiOwner.get(intid);
    if (p) p.gic.setInput(0, intid, level);
    return true; // SPIs of devices that are not passed through reach no one
  }

  private gicCpuInterface(cpu: Cpu): { gic: GicV3; index: number } | undefined {
    const p = this.owner[cpu.index];
    return p && p.gic instanceof GicV3 ? { gic: p.gic, index: p.config.pcpus.indexOf(cpu.index) } : undefined;
  }

  get cpus(): Cpu[] { return this.board.cpus; }
  get counterFrequency(): number { return this.board.counterFrequency; }
  get idleTime(): IdleTime { return this.board.idleTime; }
  advanceIdle(tick: number): void { this.board.scheduler.advanceIdle(tick); }

  /** Bytes typed into partition `id`'s console: its UART receives them. */
  consoleInput(id: number, bytes: Uint8Array): void {
    const p = this.byId(id);
    if (p && p.state === "running") {
      if (p.xen && p.pvConsoleUsed) p.xen.consoleInput(bytes);
      else p.uart.receive(bytes);
    }
  }

  run(budget: number): RunStatus {
    const before = this.board.clock.now();
    const status = this.board.scheduler.run(budget);
    const slice = (this.board.clock.now() - before) / this.board.counterFrequency;
    for (const p of this.parts) {
      if (p.state === "running") p.vcpus.forEach((v, i) => { if (!v.off && !v.halted) p.cpuSeconds[i] += slice; });
    }
    for (const p of this.parts) {
      const w = p.watchdog;
      if (!w || p.state !== "running") continue;
      w.poll();
      if (w.resetAsserted) this.watchdogFired(p);
    }
    if (status.kind === "fatal") {
      const p = this.owner[status.cpu.index];
      if (p) { this.crash(p, status.message); return { kind: "running" }; }
    }
    return status;
  }

  /** The partition's watchdog was not kicked in time: its configured action. */
  private watchdogFired(p: Partition): void {
    const wd = p.config.watchdog!;
    p.watchdog!.resetAsserted = false;
    this.event(`${p.config.label}: watchdog expired (${wd.seconds} s without a kick): ${wd.action}`);
    if (wd.action === "restart") this.bootPartition(p);
    else if (wd.action === "stop") { p.stop(); p.state = "crashed"; p.shutdownReason = "watchdog"; }
    else p.watchdog!.arm(Math.round((wd.seconds * WATCHDOG_HZ) / 2));
  }

  /**
   * A crash the host saw in partition `id`'s output (a kernel panic it watched for): the
   * partition's on-crash policy, as for a crash the hypervisor sees itself. Ignored unless the
   * partition is running.
   */
  reportCrash(id: number, why: string): void {
    const p = this.byId(id);
    if (p && p.state === "running") this.crash(p, why);
  }

  private crash(p: Partition, why: string): void {
    p.crashes++;
    this.event(`${p.config.label}: crashed: ${why}`);
    const action = p.config.domain?.onCrash ?? (p.config.onCrash === "restart" ? "restart" : "preserve");
    p.stop();
    if (action === "restart") { this.bootPartition(p); this.event(`${p.config.label}: restarted`); }
    else { p.state = "crashed"; p.shutdownReason = "crash"; if (action === "destroy") this.destroyEnded(p); }
  }

  partitionEvent(p: Partition, e: SystemEvent): void {
    p.stop();
    if (e === "poweroff") {
      this.event(`${p.config.label}: powered off`);
      p.shutdownReason = "poweroff";
      if (p.config.domain?.onPoweroff === "restart") this.bootPartition(p);
      else if (p.config.domain?.onPoweroff === "destroy") this.destroyEnded(p);
    } else {
      this.event(`${p.config.label}: reset`);
      p.shutdownReason = "reboot";
      const action = p.config.domain?.onReboot ?? "restart";
      if (action === "restart") this.bootPartition(p);
      else if (action === "destroy") this.destroyEnded(p);
    }
  }

  /** A domain whose on_poweroff/on_reboot/on_crash says destroy: gone, and its resources free (a config partition just stays stopped). */
  private destroyEnded(p: Partition): void {
    if (!p.config.domain?.dynamic) return;
    this.event(`${p.config.label}: destroyed`);
    this.removePartition(p.config.id);
  }

  /** Every exception a guest takes to EL2. */
  el2Exit(cpu: Cpu, exit: El2Exit): El2ExitResult {
    const p = this.owner[cpu.index];
    if (!p) return RESUME;
    p.exits[exit.kind] = (p.exits[exit.kind] ?? 0) + 1;
    switch (exit.kind) {
      case "hvc": {
        if (readRegister(cpu, 0) === BigInt(HVC_DOORBELL_RING)) {
          this.ring(p, Number(readRegister(cpu, 1) & 0xffffffffn));
          return { action: "resume", registers: [[0, 0n]] };
        }
        if (p.xen && XenPartition.isHypercall(exit.imm)) {
          const r = p.xen.hypercall(cpu);
          // A continuation: the guest issues the HVC again with the rest of the work (Xen's hypercall_create_continuation).
          if (r.again) return { action: "resume", pc: exit.returnPc - 4n, registers: r.again };
          return { action: "resume", registers: [[0, r.x0]] };
        }
        // Everything else on HVC is PSCI for the partition's own vCPUs (unknown IDs: NOT_SUPPORTED).
        p.psci.handle(cpu, "hvc", exit.imm);
        return RESUME;
      }
      case "smc":
        // No firmware behind SMC for a partition: NOT_SUPPORTED, and the SMC completes.
        return { action: "resume", pc: exit.returnPc + 4n, registers: [[0, 0xffffffffffffffffn]] };
      case "dabt":
        return this.dataAbort(p, cpu, exit);
      default:
        return this.injectAbortOrUndef(p, cpu, exit);
    }
  }

  private dataAbort(p: Partition, cpu: Cpu, exit: DataAbortExit): El2ExitResult {
    const ipa = exit.ipa;
    const vcpu = p.vcpus.indexOf(cpu);
    // Without an instruction syndrome (ISV = 0: a load or store with writeback, say) the
    // instruction itself says what to do, as KVM's userspace decoders do.
    const decoded = exit.access ? undefined : this.decodeAccess(cpu, exit);
    const access = exit.access ?? decoded?.access;
    if (ipa !== undefined && access && !exit.onTableWalk) {
      const a = access;
      if (decoded?.writeback) {
        const { rn, offset } = decoded.writeback;
        const v = (readRegister(cpu, rn === 31 ? 31 : rn, true) + offset) & 0xffffffffffffffffn;
        cpu.x[rn * 2] = Number(v & 0xffffffffn) | 0;
        cpu.x[rn * 2 + 1] = Number(v >> 32n) | 0;
      }
      if (ipa >= DOORBELL_IPA && ipa < DOORBELL_IPA + 4096 && exit.write) {
        this.ring(p, Number(readRegister(cpu, a.register) & 0xffffffffn));
        return { action: "resume", pc: exit.returnPc + 4n };
      }
      const value = exit.write ? readRegister(cpu, a.register) & ((1n << BigInt(a.size * 8)) - 1n) : 0n;
      const r = p.access(ipa, a.size, exit.write, value, vcpu);
      if (r.ok) {
        if (exit.write) return { action: "resume", pc: exit.returnPc + 4n };
        let v = r.value;
        if (a.signExtend && a.size < 8) v = BigInt.asIntN(a.size * 8, v) & 0xffffffffffffffffn;
        if (!a.sixtyFourBit) v &= 0xffffffffn;
        return { action: "resume", pc: exit.returnPc + 4n, registers: a.register === 31 ? [] : [[a.register, v]] };
      }
    }
    return this.injectAbortOrUndef(p, cpu, exit);
  }

  /**
   * The load or store at the faulting PC, for an abort without an instruction syndrome: the
   * single-register forms (ARM ARM C4.1.66: unscaled, post- and pre-indexed immediate,
   * unsigned offset, register offset), general-purpose registers only.
   */
  private decodeAccess(cpu: Cpu, exit: DataAbortExit): { access: DataAbortExit["access"]; writeback?: { rn: number; offset: bigint } } | undefined {
    const pc = exit.returnPc;
    const t = { pa: 0, fault: -1, faultS2: false, cacheable: true } as Translation;
    translate(cpu, Number(pc & 0xffffffffn) | 0, Number(pc >> 32n) | 0, Access.Exec, 1, t);
    if (t.fault >= 0) return undefined;
    const word = this.board.bus.read(t.pa, 4, cpu.index);
    if (typeof word !== "number") return undefined;
    const w = word >>> 0;
    if ((w & 0x3b000000) !== 0x38000000 && (w & 0x3b000000) !== 0x39000000) return undefined; // not LDR/STR (register), or SIMD (V)
    const size = 1 << (w >>> 30);
    const opc = (w >>> 22) & 3;
    if (size === 8 && opc >= 2) return undefined; // PRFM / unallocated
    const store = opc === 0;
    const signExtend = opc >= 2;
    const sixtyFourBit = size === 8 || opc === 2;
    const access = { size: size as 1 | 2 | 4 | 8, signExtend, register: w & 31, sixtyFourBit, acquireRelease: false };
    if (store !== exit.write) return undefined;
    if ((w & 0x3b000000) === 0x38000000 && (w & (1 << 21)) === 0) {
      const kind = (w >>> 10) & 3;
      const imm9 = BigInt(((w >>> 12) & 0x1ff) << 23 >> 23);
      if (kind === 1 || kind === 3) return { access, writeback: { rn: (w >>> 5) & 31, offset: imm9 } };
    }
    return { access };
  }

  /** Ring doorbell `n` of the partition: the partitions that receive it get its SPI. */
  private ring(from: Partition, n: number): void {
    const bell = from.config.sendDoorbells[n];
    if (bell === undefined) return;
    for (const p of this.parts) {
      const k = p.config.receiveDoorbells.indexOf(bell);
      if (k < 0 || p.state !== "running") continue;
      const intid = 32 + DOORBELL_FIRST_SPI + k;
      p.gic.setInput(0, intid, true);
      p.gic.setInput(0, intid, false);
    }
  }

  /** What the guest did reaches nothing: a synchronous external abort (or UNDEFINED) at its EL1. */
  private injectAbortOrUndef(p: Partition, cpu: Cpu, exit: El2Exit): El2ExitResult {
    const retLo = Number(exit.returnPc & 0xffffffffn) | 0, retHi = Number(exit.returnPc >> 32n) | 0;
    const sameEl = exit.fromEl === 1;
    if (exit.kind === "dabt" || exit.kind === "iabt") {
      p.externalAborts++;
      const far = exit.far;
      const ec = exit.kind === "dabt" ? (sameEl ? EC.DABT_SAME : EC.DABT_LOWER) : (sameEl ? EC.IABT_SAME : EC.IABT_LOWER);
      const iss = FSC_SEA | (exit.kind === "dabt" && exit.write ? 1 << 6 : 0);
      enterException(cpu, 1, VectorOffset.Sync, retLo, retHi, ec, iss, Number(far & 0xffffffffn) | 0, Number(far >> 32n) | 0);
    } else {
      enterException(cpu, 1, VectorOffset.Sync, retLo, retHi, EC.UNKNOWN, 0);
    }
    return { action: "resume", pc: (BigInt(cpu.pcHi >>> 0) << 32n) | BigInt(cpu.pcLo >>> 0) };
  }

  // ---------------- HvControl (HV>) ----------------

  private byId(id: number): Partition | undefined {
    return this.parts.find((p) => p.config.id === id);
  }

  partitions(): PartitionInfo[] {
    return this.parts.map((p) => ({
      id: p.config.id, name: p.config.name, label: p.config.label, state: p.state, vcpus: p.vcpus.length,
      pcpus: p.config.pcpus, memoryBytes: p.config.ramSize,
    }));
  }

  start(id: number): string | undefined {
    const p = this.byId(id)!;
    if (p.state === "running" || p.state === "paused") return `already ${p.state}`;
    this.bootPartition(p);
    return undefined;
  }

  stop(id: number): string | undefined {
    const p = this.byId(id)!;
    if (p.state === "stopped") return "already stopped";
    p.stop();
    this.event(`${p.config.label}: stopped`);
    return undefined;
  }

  restart(id: number): string | undefined {
    const p = this.byId(id)!;
    p.stop();
    this.bootPartition(p);
    return undefined;
  }

  pause(id: number): string | undefined {
    const p = this.byId(id)!;
    if (p.state !== "running") return `it is ${p.state}`;
    p.paused = p.vcpus.map((v) => !v.off);
    for (const v of p.vcpus) v.off = true;
    p.state = "paused";
    return undefined;
  }

  resume(id: number): string | undefined {
    const p = this.byId(id)!;
    if (p.state !== "paused") return `it is ${p.state}`;
    // Created paused (xl create -p): unpausing is its first boot.
    if (p.createdPaused) { this.bootPartition(p); return undefined; }
    p.vcpus.forEach((v, i) => { if (p.paused[i]) { v.off = false; v.halted = false; } });
    p.state = "running";
    return undefined;
  }

  stats(): PartitionStats[] {
    return this.parts.map((p) => ({ id: p.config.id, label: p.config.label, exits: { ...p.exits, sea: p.externalAborts }, instructions: p.vcpus.map((v) => v.icount) }));
  }

  guestDts(id: number): string {
    const p = this.byId(id)!;
    return p.dtb ? this.host.dtbToDts(p.dtb) : "(not started yet)";
  }

  readGuestMemory(id: number, addr: number, length: number): Uint8Array | string {
    return this.byId(id)!.readGuest(addr, length);
  }

  quit(): void {
    for (const p of this.parts) if (p.state !== "stopped") p.stop();
    this.ended = true;
  }
}

/**
 * Topaz's numeric images (guest-image = <src dst size>): the bytes preloaded at physical `src`
 * are copied to guest address `dst` and run from there, an arm64 Image (booting.rst magic
 * "ARM\x64" at 56) with the Linux protocol (x0 = the DTB); the rootfs goes to its own `dst`,
 * or after the kernel; the DTB after both, 2 MiB aligned, unless the config gives a window.
 */
function preloadedPlan(kernel: Uint8Array, dest: number, initrd: Uint8Array | undefined, initrdDest: number | undefined, ramEnd: number) {
  const align2M = (n: number) => Math.ceil(n / 0x200000) * 0x200000;
  const isLinux = kernel.length >= 60 && kernel[56] === 0x41 && kernel[57] === 0x52 && kernel[58] === 0x4d && kernel[59] === 0x64;
  const loads = [{ addr: dest, data: kernel, zeroFill: 0 }];
  let end = dest + kernel.length;
  let initrdRange: { start: number; end: number } | undefined;
  if (initrd) {
    const at = initrdDest ?? align2M(end);
    loads.push({ addr: at, data: initrd, zeroFill: 0 });
    initrdRange = { start: at, end: at + initrd.length };
    end = Math.max(end, at + initrd.length);
  }
  return { loads, entry: dest, isLinux, initrd: initrdRange, dtbAddr: align2M(end), dtbLimit: ramEnd };
}

function readRegister(cpu: Cpu, r: number, spForR31 = false): bigint {
  if (r === 31 && !spForR31) return 0n;
  return (BigInt(cpu.x[r * 2 + 1] >>> 0) << 32n) | BigInt(cpu.x[r * 2] >>> 0);
}
