/**
 * The devices of a `virt` machine, in the order QEMU's hw/arm/virt.c machvirt_init creates
 * them (virt_flash_fdt, create_gic, fdt_add_pmu_nodes, create_uart, create_secure_ram, the
 * Secure UART, create_rtc, create_pcie, create_gpio_devices, create_virtio_devices,
 * create_fw_cfg, create_platform_bus): each with its regions from base_memmap[], its
 * interrupts from a15irqmap[], its models and its device-tree node. The board maps its bus from
 * this list and the tree builder (fdt.ts) walks it for the device nodes; the hypervisor maps
 * each partition's devices from it too, as a partition is a virt machine of its own size with
 * its own instances (reached through stage-2 faults).
 */
import type { DeviceTree, DtNode } from "../../devicetree/index.js";
import type { VirtioDevice } from "../../devices/virtio/device.js";
import { GuestMemory } from "../../devices/virtio/guest-memory.js";
import { VirtioMmioTransport } from "../../devices/virtio/mmio-transport.js";
import { FixedValueRegion } from "../../devices/placeholder.js";
import { CfiFlash } from "../../devices/cfi-flash.js";
import { FwCfg, fwCfgItems, type FwCfgContents } from "../../devices/fw-cfg.js";
import type { GicV2 } from "../../devices/gicv2.js";
import { GICH_FRAME_SIZE } from "../../devices/gicv2-hyp-interface.js";
import { GICV_FRAME_SIZE } from "../../devices/gicv2-virtual-cpu-interface.js";
import { GicV2m } from "../../devices/gicv2m.js";
import { GicV3Its } from "../../devices/gicv3-its.js";
import type { GicV3 } from "../../devices/gicv3.js";
import { spiLine, type InterruptController } from "../../devices/interrupts.js";
import { PciHostEcam, PciWindow } from "../../devices/pci-host.js";
import type { PciFunction } from "../../devices/pci/pci-function.js";
import { Pl011 } from "../../devices/pl011.js";
import { Pl031 } from "../../devices/pl031.js";
import { Pl061 } from "../../devices/pl061.js";
import type { SystemEvent } from "../../firmware/psci.js";
import type { DeviceInterrupt, DeviceSpec, MmioRegion } from "../../machine/device-spec.js";
import type { Bus, MmioDevice } from "../../memory/bus.js";
import { hi32, interruptCells, IRQ_LEVEL_HIGH, IRQ_TYPE_PPI, IRQ_TYPE_SPI, lo32, markSecureOnly, reg2 } from "./dt-cells.js";
import { VIRT } from "./memory-map.js";

/** GITS_TRANSLATER: in the ITS's second 64 KiB frame (GICv3 spec 12.19). */
const GITS_TRANSLATER_OFFSET = 0x10040;

/** SPIs reserved for MSIs behind the GICv2m frame (QEMU hw/arm/virt.c NUM_GICV2M_SPIS). */
const GICV2M_NUM_SPIS = 64;

/** Which virt machine: the devices present depend on these. */
export interface VirtDeviceOptions {
  cpus: number;
  gicVersion: 2 | 3;
  virtualization: boolean;
  /** secure=on: Secure-only flash bank 0, RAM, UART and GPIO. */
  secure?: boolean;
  /**
   * Firmware in flash bank 0 with ACPI on: machvirt_init then creates the ACPI GED (reached by
   * ACPI tables, not in the tree) instead of the GPIO and its power key.
   */
  acpiGed?: boolean;
}

/** What the models are connected to. */
export interface VirtDeviceEnv {
  /** The machine's GIC (its frames are the "gic" device's models). */
  gic: GicV2 | GicV3;
  /** Where the other devices' interrupts go (the GIC, or a hypervisor's route in front of it). */
  irq: InterruptController;
  uartTx(byte: number): void;
  /** PL031 start time in seconds since the epoch. */
  rtcStartSeconds: number;
  /** Seconds of virtual time since start, for the RTC. */
  rtcNow(): number;
  /** secure=on: the Secure GPIO's lines 0 and 1 power the machine off and reset it (virt.c gpio-pwr). */
  systemEvent?(e: SystemEvent): void;
  /** Where the virtio devices reach guest RAM (DMA); needed when there are virtio devices. */
  bus?: Bus;
  /** The -device virtio-*-device instances, in command-line order, and the transports' interface. */
  virtio?: VirtioPlugging;
  /** What fw_cfg offers beyond the CPU count (a kernel for firmware to load, -nographic). */
  fwCfg?: Omit<FwCfgContents, "cpus">;
  /** What the two flash banks hold (-bios, -drive if=pflash): absent banks start as zeros. */
  flash?: readonly (FlashBacking | undefined)[];
  /** How the virtio devices reach memory when not the whole bus (a partition's: its RAM windows). */
  dmaMemory?: GuestMemory;
  /** Functions plugged into the PCIe root bus (-device virtio-*-pci, ivshmem), by devfn. */
  pci?: readonly PciPlugging[];
}

/** One function on pcie.0: where it goes and how it is made once guest memory is known. */
export interface PciPlugging {
  /** device << 3 | function; never 0 (the host bridge's). */
  devfn: number;
  create(mem: GuestMemory): PciFunction;
}

/** One flash bank's contents and where its writes go. */
export interface FlashBacking {
  contents?: Uint8Array;
  readOnly?: boolean;
  writeBack?(offset: number, bytes: Uint8Array): void;
}

export interface VirtioPlugging {
  devices: readonly VirtioDevice[];
  /** virtio-mmio.force-legacy (QEMU's default true): version 1 transports, else version 2. */
  legacy: boolean;
}

/**
 * The transport a device lands on. hw/arm/virt.c create_virtio_devices creates the transports
 * in increasing address order, and since qbus_realize() prepends each new bus to the list,
 * qbus_find_recursive() hands -device options the free bus with the highest address first: the
 * first device goes to transport 31 (0x0a003e00), the next to 30, and so on down.
 */
export function virtioTransportFor(deviceIndex: number): number {
  return VIRT.MMIO_COUNT - 1 - deviceIndex;
}

/** The tree as the device nodes are added: phandles of nodes made before theirs. */
export interface VirtDtContext {
  tree: DeviceTree;
  root: DtNode;
  chosen: DtNode;
  secureChosen: DtNode | undefined;
  /** PPI flags: level-high, with the GICv2 binding's CPU mask. */
  ppiFlags: number;
  clockPhandle: number;
  /** Set by the GIC node (the PCIe interrupt map and the platform bus refer to it). */
  gicPhandle?: number;
  /** Set by the GIC's MSI controller child (the PCIe msi-map refers to it). */
  msiPhandle?: number;
}

export type VirtDevice = DeviceSpec<VirtDeviceEnv, VirtDtContext>;

const spi = (number: number, trigger: DeviceInterrupt["trigger"] = "level-high"): DeviceInterrupt => ({ type: "spi", number, trigger });
const region = (base: number, size: number): MmioRegion => ({ base, size });
const unit = (r: MmioRegion) => r.base.toString(16);

/**
 * virt_flash_create / virt_flash_map: two CFI flash banks (pflash0 at 0, pflash1 above it),
 * QEMU's pflash_cfi01 (cfi-flash.ts); `banks` says which of the two a node covers.
 */
function flash(name: string, node: string, regions: MmioRegion[], banks: number[], secure: boolean): VirtDevice {
  return {
    name, regions, interrupts: [], secureOnly: secure,
    models: ({ flash }) => banks.map((b, i) => new CfiFlash({ name: `virt.flash${b}`, size: regions[i].size, ...flash?.[b] })),
    addNode: ({ root }) => {
      const n = root.add(`${node}@${unit(regions[0])}`);
      n.setString("compatible", "cfi-flash");
      n.setCells("reg", ...reg2(...regions.map((r) => [r.base, r.size] as const)));
      n.setCells("bank-width", 4);
      if (secure) markSecureOnly(n);
    },
  };
}

/** create_gic / fdt_add_gic_node: distributor and redistributors (and ITS) for GICv3; distributor, CPU interface and GICv2m for GICv2. */
function gic(o: VirtDeviceOptions): VirtDevice {
  const v3 = o.gicVersion === 3;
  const regions = v3
    ? [region(VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE), region(VIRT.GIC_REDIST, o.cpus * VIRT.GICR_STRIDE), region(VIRT.GIC_ITS, VIRT.GIC_ITS_SIZE)]
    : [region(VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE), region(VIRT.GIC_CPU, VIRT.GIC_CPU_SIZE), region(VIRT.GIC_V2M, VIRT.GIC_V2M_SIZE),
      // The virtualization frames, the size QEMU's GIC gives them (the DT describes 64 KB each).
      ...(o.virtualization ? [region(VIRT.GIC_HYP, GICH_FRAME_SIZE), region(VIRT.GIC_VCPU, GICV_FRAME_SIZE)] : [])];
  return {
    name: "gic", regions,
    interrupts: o.virtualization ? [{ type: "ppi", number: VIRT.PPI_GIC_MAINTENANCE, trigger: "level-high" }] : [],
    // The ITS needs the redistributors' LPIs and guest memory for its tables; a GIC without
    // them (a partition's) keeps the frame reading as zero.
    models: (env) => v3
      ? [env.gic.distributor, (env.gic as GicV3).redistributors, its(env, o.cpus)]
      : [env.gic.distributor, (env.gic as GicV2).cpuInterface, new GicV2m(env.gic, VIRT.SPI_V2M, GICV2M_NUM_SPIS),
        ...virtualizationFrames(env.gic as GicV2)],
    addNode: (dt) => {
      const { tree, root } = dt;
      // fdt_add_gic_node sets the root's interrupt-parent first (its phandle is allocated
      // before the node is made), so the name comes before the GIC's in the strings block;
      // its value is filled in once the node has its phandle.
      root.setCells("interrupt-parent", 0);
      const node = root.add(`intc@${VIRT.GIC_DIST.toString(16)}`);
      node.setCells("#interrupt-cells", 3);
      node.setEmpty("interrupt-controller");
      node.setCells("#address-cells", 2);
      node.setCells("#size-cells", 2);
      node.setEmpty("ranges");
      if (v3) {
        node.setString("compatible", "arm,gic-v3");
        node.setCells("#redistributor-regions", 1);
        // The node gives the whole redistributor space of the memory map; the bus decodes only the CPUs' frames.
        node.setCells("reg", ...reg2([VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE], [VIRT.GIC_REDIST, VIRT.GIC_REDIST_SIZE]));
      } else {
        node.setString("compatible", "arm,cortex-a15-gic");
        const regs: [number, number][] = [[VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE], [VIRT.GIC_CPU, VIRT.GIC_CPU_SIZE]];
        if (o.virtualization) regs.push([VIRT.GIC_HYP, VIRT.GIC_HYP_SIZE], [VIRT.GIC_VCPU, VIRT.GIC_VCPU_SIZE]);
        node.setCells("reg", ...reg2(...regs));
      }
      // The maintenance PPI has no CPU mask in QEMU's node, GICv2 or not.
      if (o.virtualization) node.setCells("interrupts", IRQ_TYPE_PPI, VIRT.PPI_GIC_MAINTENANCE, IRQ_LEVEL_HIGH);
      dt.gicPhandle = tree.phandleOf(node);
      root.setCells("interrupt-parent", dt.gicPhandle);
      let msi: DtNode;
      if (v3) {
        msi = node.add(`its@${VIRT.GIC_ITS.toString(16)}`);
        msi.setString("compatible", "arm,gic-v3-its");
        msi.setEmpty("msi-controller");
        msi.setCells("#msi-cells", 1);
        msi.setCells("reg", ...reg2([VIRT.GIC_ITS, VIRT.GIC_ITS_SIZE]));
      } else {
        msi = node.add(`v2m@${VIRT.GIC_V2M.toString(16)}`);
        msi.setString("compatible", "arm,gic-v2m-frame");
        msi.setEmpty("msi-controller");
        msi.setCells("reg", ...reg2([VIRT.GIC_V2M, VIRT.GIC_V2M_SIZE]));
      }
      dt.msiPhandle = tree.phandleOf(msi);
    },
  };
}

/** One ITS per machine: the GIC's frame, and where the PCIe host sends MSIs. */
const itsOf = new WeakMap<VirtDeviceEnv, MmioDevice>();
function its(env: VirtDeviceEnv, cpus: number): MmioDevice {
  let m = itsOf.get(env);
  if (!m) {
    const gic = env.gic as GicV3, bus = env.bus;
    m = gic.lpis && bus ? new GicV3Its(gic.lpis, new GuestMemory(bus), cpus) : new FixedValueRegion("gicv3-its", 0);
    itsOf.set(env, m);
  }
  return m;
}

/** GICH and GICV when the GICv2 has the virtualization extensions. */
function virtualizationFrames(gic: GicV2): MmioDevice[] {
  return gic.hypInterface && gic.virtualCpuInterface ? [gic.hypInterface, gic.virtualCpuInterface] : [];
}

/** fdt_add_pmu_nodes: the CPUs' PMU, no registers on the bus, overflow interrupt PPI 7. */
const pmu: VirtDevice = {
  name: "pmu", regions: [], interrupts: [{ type: "ppi", number: VIRT.PPI_PMU, trigger: "level-high" }],
  addNode({ root, ppiFlags }) {
    const node = root.add("pmu");
    node.setString("compatible", "arm,armv8-pmuv3");
    node.setCells("interrupts", ...interruptCells(this.interrupts, ppiFlags));
  },
};

/** create_uart: the console (/chosen stdout-path), or with secure=on the Secure one (/secure-chosen). */
function uart(name: string, base: number, size: number, irqNumber: number, secure: boolean): VirtDevice {
  return {
    name, regions: [region(base, size)], interrupts: [spi(irqNumber)], secureOnly: secure,
    // The Secure UART: QEMU connects it to a second serial port, which these command lines never
    // give, so its output goes nowhere.
    models: ({ irq, uartTx }) => [new Pl011(secure ? () => {} : uartTx, spiLine(irq, irqNumber))],
    addNode({ root, chosen, secureChosen, clockPhandle, ppiFlags }) {
      const nodeName = `pl011@${base.toString(16)}`;
      const node = root.add(nodeName);
      node.setString("compatible", "arm,pl011", "arm,primecell");
      node.setCells("reg", ...reg2([base, size]));
      node.setCells("interrupts", ...interruptCells(this.interrupts, ppiFlags));
      node.setCells("clocks", clockPhandle, clockPhandle);
      node.setString("clock-names", "uartclk", "apb_pclk");
      if (secure) markSecureOnly(node);
      (secure ? secureChosen! : chosen).setString("stdout-path", `/${nodeName}`);
    },
  };
}

/** create_secure_ram: RAM only the Secure state reaches. */
const secureRam: VirtDevice = {
  name: "secure-ram", regions: [region(VIRT.SECURE_MEM, VIRT.SECURE_MEM_SIZE)], interrupts: [], ram: true, secureOnly: true,
  addNode({ root }) {
    const node = root.add(`secram@${VIRT.SECURE_MEM.toString(16)}`);
    node.setString("device_type", "memory");
    node.setCells("reg", ...reg2([VIRT.SECURE_MEM, VIRT.SECURE_MEM_SIZE]));
    markSecureOnly(node);
  },
};

/** create_rtc */
const rtc: VirtDevice = {
  name: "rtc", regions: [region(VIRT.RTC, VIRT.RTC_SIZE)], interrupts: [spi(VIRT.SPI_RTC)],
  models: ({ irq, rtcStartSeconds, rtcNow }) => [new Pl031(rtcStartSeconds, rtcNow, spiLine(irq, VIRT.SPI_RTC))],
  addNode({ root, clockPhandle, ppiFlags }) {
    const node = root.add(`pl031@${VIRT.RTC.toString(16)}`);
    node.setString("compatible", "arm,pl031", "arm,primecell");
    node.setCells("reg", ...reg2([VIRT.RTC, VIRT.RTC_SIZE]));
    node.setCells("interrupts", ...interruptCells(this.interrupts, ppiFlags));
    node.setCells("clocks", clockPhandle);
    node.setString("clock-names", "apb_pclk");
  },
};

/**
 * create_pcie: the generic ECAM host bridge (high ECAM, 256 buses) and its windows, where the
 * BARs the guest assigns decode (pci-host.ts); what no BAR decodes reads as all ones (gpex's
 * allow-unmapped-accesses, true from virt-6.1 on). virt.c maps the 32-bit MMIO window (PCI
 * addresses equal to CPU addresses), the I/O port window (PCI I/O address 0 at its base) and,
 * as the 40-bit physical address space holds it, the high MMIO window (one to one too). INTA-D
 * are SPIs 3-6; MSIs go to the ITS (GICv3) or the GICv2m frame, whose address the guest
 * writes into each MSI-X vector.
 */
const pcie = (o: VirtDeviceOptions): VirtDevice => ({
  name: "pcie",
  regions: [region(VIRT.PCIE_ECAM_HIGH, VIRT.PCIE_ECAM_HIGH_SIZE), region(VIRT.PCIE_MMIO, VIRT.PCIE_MMIO_SIZE),
    region(VIRT.PCIE_PIO, VIRT.PCIE_PIO_SIZE), region(VIRT.PCIE_MMIO_HIGH, VIRT.PCIE_MMIO_HIGH_SIZE)],
  interrupts: [0, 1, 2, 3].map((i) => spi(VIRT.SPI_PCIE + i)),
  models: (env) => {
    const { irq, bus, pci, dmaMemory } = env;
    const mem = dmaMemory ?? (bus ? new GuestMemory(bus) : undefined);
    if (pci?.length && !mem) throw new Error("PCI devices need the board's bus");
    const itsFrame = o.gicVersion === 3 && pci?.length ? its(env, o.cpus) : undefined;
    const host = new PciHostEcam({
      setIntx: (line, level) => irq.setInput(0, 32 + VIRT.SPI_PCIE + line, level),
      ...(itsFrame instanceof GicV3Its ? {
        itsTranslater: VIRT.GIC_ITS + GITS_TRANSLATER_OFFSET,
        itsTranslate: (deviceId: number, eventId: number) => itsFrame.translate(deviceId, eventId),
      } : {}),
      // Other MSI targets are plain writes on the bus (GICv2m's MSI_SETSPI_NS).
      memoryWrite: (address, data) => { bus?.write(address, 4, data, 0); },
    }, (pci ?? []).map((p) => ({ devfn: p.devfn, fn: p.create(mem!) })));
    return [host, new PciWindow("pcie-mmio", host, false, VIRT.PCIE_MMIO), new PciWindow("pcie-pio", host, true, 0),
      new PciWindow("pcie-mmio-high", host, false, VIRT.PCIE_MMIO_HIGH)];
  },
  addNode({ root, gicPhandle, msiPhandle }) {
    const node = root.add(`pcie@${VIRT.PCIE_MMIO.toString(16)}`);
    node.setString("compatible", "pci-host-ecam-generic");
    node.setString("device_type", "pci");
    node.setCells("#address-cells", 3);
    node.setCells("#size-cells", 2);
    node.setCells("linux,pci-domain", 0);
    node.setCells("bus-range", 0, 255);
    node.setEmpty("dma-coherent");
    node.setCells("msi-map", 0, msiPhandle!, 0, 0x10000);
    node.setCells("reg", ...reg2([VIRT.PCIE_ECAM_HIGH, VIRT.PCIE_ECAM_HIGH_SIZE]));
    node.setCells("ranges",
      0x01000000, 0, 0, hi32(VIRT.PCIE_PIO), lo32(VIRT.PCIE_PIO), 0, VIRT.PCIE_PIO_SIZE,
      0x02000000, 0, VIRT.PCIE_MMIO, hi32(VIRT.PCIE_MMIO), lo32(VIRT.PCIE_MMIO), 0, VIRT.PCIE_MMIO_SIZE,
      0x03000000, hi32(VIRT.PCIE_MMIO_HIGH), lo32(VIRT.PCIE_MMIO_HIGH), hi32(VIRT.PCIE_MMIO_HIGH), lo32(VIRT.PCIE_MMIO_HIGH),
      hi32(VIRT.PCIE_MMIO_HIGH_SIZE), lo32(VIRT.PCIE_MMIO_HIGH_SIZE));
    node.setCells("#interrupt-cells", 1);
    // create_pcie_irq_map: INTx of slot s, pin p (0-based) -> SPI 3 + (s + p) % 4 (swizzle).
    const map: number[] = [];
    for (let slot = 0; slot < 4; slot++) {
      for (let pin = 0; pin < 4; pin++) {
        map.push(slot << 11, 0, 0, pin + 1, gicPhandle!, 0, 0, IRQ_TYPE_SPI, VIRT.SPI_PCIE + ((pin + slot) % 4), IRQ_LEVEL_HIGH);
      }
    }
    node.setCells("interrupt-map", ...map);
    node.setCells("interrupt-map-mask", 0x1800, 0, 0, 7);
  },
});

/** create_gpio_devices: PL061 and the power button wired to its line 3. */
const gpio: VirtDevice = {
  name: "gpio", regions: [region(VIRT.GPIO, VIRT.GPIO_SIZE)], interrupts: [spi(VIRT.SPI_GPIO)],
  models: () => [new Pl061()],
  addNode({ tree, root, clockPhandle, ppiFlags }) {
    const node = root.add(`pl061@${VIRT.GPIO.toString(16)}`);
    node.setCells("reg", ...reg2([VIRT.GPIO, VIRT.GPIO_SIZE]));
    node.setString("compatible", "arm,pl061", "arm,primecell");
    node.setCells("#gpio-cells", 2);
    node.setEmpty("gpio-controller");
    node.setCells("interrupts", ...interruptCells(this.interrupts, ppiFlags));
    node.setCells("clocks", clockPhandle);
    node.setString("clock-names", "apb_pclk");
    const phandle = tree.phandleOf(node);
    const keys = root.add("gpio-keys");
    keys.setString("compatible", "gpio-keys");
    const power = keys.add("poweroff");
    power.setString("label", "GPIO Key Poweroff");
    power.setCells("linux,code", 116 /* KEY_POWER */);
    power.setCells("gpios", phandle, 3, 0);
  },
};

/** The Secure PL061, with power-off on line 0 and reset on line 1 (no interrupt of its own: SPI 0 in the node). */
const secureGpio: VirtDevice = {
  name: "secure-gpio", regions: [region(VIRT.SECURE_GPIO, VIRT.SECURE_GPIO_SIZE)], interrupts: [], secureOnly: true,
  models: ({ systemEvent }) => [new Pl061((line, level) => {
    if (level && line <= 1) systemEvent?.(line === 0 ? "poweroff" : "reset");
  })],
  addNode({ tree, root, clockPhandle }) {
    const node = root.add(`pl061@${VIRT.SECURE_GPIO.toString(16)}`);
    node.setCells("reg", ...reg2([VIRT.SECURE_GPIO, VIRT.SECURE_GPIO_SIZE]));
    node.setString("compatible", "arm,pl061", "arm,primecell");
    node.setCells("#gpio-cells", 2);
    node.setEmpty("gpio-controller");
    node.setCells("interrupts", IRQ_TYPE_SPI, 0, IRQ_LEVEL_HIGH);
    node.setCells("clocks", clockPhandle);
    node.setString("clock-names", "apb_pclk");
    const phandle = tree.phandleOf(node);
    markSecureOnly(node);
    for (const [name, line] of [["gpio-poweroff", 0], ["gpio-restart", 1]] as const) {
      const n = root.add(name);
      n.setString("compatible", name);
      n.setCells("gpios", phandle, line, 0);
      markSecureOnly(n);
    }
  },
};

/**
 * create_virtio_devices: 32 transports, empty (device ID 0) unless a device is plugged into one;
 * the nodes do not depend on what is plugged in, made from the last down so they read in order.
 */
const virtioMmio: VirtDevice = {
  name: "virtio-mmio",
  regions: Array.from({ length: VIRT.MMIO_COUNT }, (_, i) => region(VIRT.MMIO + i * VIRT.MMIO_SIZE, VIRT.MMIO_SIZE)),
  interrupts: Array.from({ length: VIRT.MMIO_COUNT }, (_, i) => spi(VIRT.SPI_MMIO + i, "edge-rising")),
  models: ({ irq, bus, virtio, dmaMemory }) => {
    const mem = dmaMemory ?? (bus ? new GuestMemory(bus) : undefined);
    const plugged = new Map(virtio?.devices.map((d, i) => [virtioTransportFor(i), d]));
    if (plugged.size > 0 && !mem) throw new Error("virtio devices need the board's bus");
    if ([...plugged.keys()].some((slot) => slot < 0)) throw new RangeError(`at most ${VIRT.MMIO_COUNT} virtio-mmio devices`);
    return Array.from({ length: VIRT.MMIO_COUNT }, (_, slot) =>
      new VirtioMmioTransport(plugged.get(slot), mem!, spiLine(irq, VIRT.SPI_MMIO + slot), virtio?.legacy ?? true));
  },
  addNode({ root, ppiFlags }) {
    for (let i = this.regions.length - 1; i >= 0; i--) {
      const r = this.regions[i];
      const node = root.add(`virtio_mmio@${unit(r)}`);
      node.setString("compatible", "virtio,mmio");
      node.setCells("reg", ...reg2([r.base, r.size]));
      node.setCells("interrupts", ...interruptCells([this.interrupts[i]], ppiFlags));
      node.setEmpty("dma-coherent");
    }
  },
};

/** create_fw_cfg: the items, and DMA into guest RAM. */
const fwCfg = (o: VirtDeviceOptions): VirtDevice => ({
  name: "fw-cfg", regions: [region(VIRT.FW_CFG, VIRT.FW_CFG_SIZE)], interrupts: [],
  models: ({ bus, fwCfg: contents }) => [new FwCfg(fwCfgItems({ ...contents, cpus: o.cpus }), bus && new GuestMemory(bus))],
  addNode({ root }) {
    const node = root.add(`fw-cfg@${VIRT.FW_CFG.toString(16)}`);
    node.setString("compatible", "qemu,fw-cfg-mmio");
    node.setCells("reg", ...reg2([VIRT.FW_CFG, VIRT.FW_CFG_SIZE]));
    node.setEmpty("dma-coherent");
  },
});

/** create_platform_bus: described, and empty (no dynamic sysbus devices), so nothing decodes it. */
const platformBus: VirtDevice = {
  name: "platform-bus", regions: [region(VIRT.PLATFORM_BUS, VIRT.PLATFORM_BUS_SIZE)], interrupts: [],
  addNode({ root, gicPhandle }) {
    const node = root.add(`platform-bus@${VIRT.PLATFORM_BUS.toString(16)}`);
    node.setString("compatible", "qemu,platform", "simple-bus");
    node.setCells("#size-cells", 1);
    node.setCells("#address-cells", 1);
    node.setCells("ranges", 0, 0, VIRT.PLATFORM_BUS, VIRT.PLATFORM_BUS_SIZE);
    node.setCells("interrupt-parent", gicPhandle!);
  },
};

/** The virt machine's devices, in QEMU's creation order (which is also its device-tree order). */
export function virtDevices(o: VirtDeviceOptions): VirtDevice[] {
  const bank0 = region(VIRT.FLASH_BASE, VIRT.FLASH_BANK_SIZE), bank1 = region(VIRT.FLASH_BASE + VIRT.FLASH_BANK_SIZE, VIRT.FLASH_BANK_SIZE);
  // virt_flash_fdt: both banks in one node, or with secure=on bank 0 Secure-only and bank 1 alone.
  const flashes = o.secure ? [flash("secure-flash", "secflash", [bank0], [0], true), flash("flash", "flash", [bank1], [1], false)]
    : [flash("flash", "flash", [bank0, bank1], [0, 1], false)];
  return [
    ...flashes,
    gic(o),
    pmu,
    uart("uart", VIRT.UART, VIRT.UART_SIZE, VIRT.SPI_UART, false),
    ...(o.secure ? [secureRam, uart("secure-uart", VIRT.SECURE_UART, VIRT.SECURE_UART_SIZE, VIRT.SPI_SECURE_UART, true)] : []),
    rtc,
    pcie(o),
    ...(o.acpiGed ? [] : [gpio]),
    ...(o.secure ? [secureGpio] : []),
    virtioMmio,
    fwCfg(o),
    platformBus,
  ];
}
