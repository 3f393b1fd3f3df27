/**
 * The devices of a `virt` machine, as QEMU's hw/arm/virt.c creates them, put on a bus: used by
 * the board for its physical devices, and by the hypervisor for each partition, which is a virt
 * machine of its own size with its own instances (reached through stage-2 faults).
 */
import { EmptyVirtioMmio } from "../devices/virtio-mmio.js";
import { FixedValueRegion } from "../devices/placeholder.js";
import { FwCfg } from "../devices/fw-cfg.js";
import { GicV2 } from "../devices/gicv2.js";
import { GicV2m } from "../devices/gicv2m.js";
import { GicV3 } from "../devices/gicv3.js";
import { spiLine, type InterruptController } from "../devices/interrupts.js";
import { PciHostEcam } from "../devices/pci-host.js";
import { Pl011 } from "../devices/pl011.js";
import { Pl031 } from "../devices/pl031.js";
import { Pl061 } from "../devices/pl061.js";
import type { Bus } from "../memory/bus.js";
import { VIRT } from "./memory-map.js";

/** SPIs reserved for MSIs behind the GICv2m frame (QEMU hw/arm/virt.c NUM_GICV2M_SPIS). */
const GICV2M_NUM_SPIS = 64;

/** The GIC's frames: distributor and redistributors (and the ITS frame) for GICv3, distributor, CPU interface and GICv2m for GICv2. */
export function addGicFrames(bus: Bus, gic: GicV2 | GicV3, cpus: number): void {
  bus.addMmio(VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE, gic.distributor);
  if (gic instanceof GicV3) {
    bus.addMmio(VIRT.GIC_REDIST, cpus * VIRT.GICR_STRIDE, gic.redistributors);
    bus.addMmio(VIRT.GIC_ITS, VIRT.GIC_ITS_SIZE, new FixedValueRegion("gicv3-its", 0));
  } else {
    bus.addMmio(VIRT.GIC_CPU, VIRT.GIC_CPU_SIZE, gic.cpuInterface);
    bus.addMmio(VIRT.GIC_V2M, VIRT.GIC_V2M_SIZE, new GicV2m(gic, VIRT.SPI_V2M, GICV2M_NUM_SPIS));
  }
}

export interface PlatformDeviceOptions {
  uartTx: (byte: number) => void;
  rtcStartSeconds: number;
  /** Seconds of virtual time since start, for the RTC. */
  rtcNow: () => number;
}

/** The platform devices that are not the GIC or secure-only, with their interrupts into `irq`. */
export function addPlatformDevices(bus: Bus, irq: InterruptController, o: PlatformDeviceOptions): { uart: Pl011; rtc: Pl031 } {
  // Flash banks read as erased-to-zero without backing storage (nothing boots from them here).
  bus.addMmio(VIRT.FLASH_BASE, 2 * VIRT.FLASH_BANK_SIZE, new FixedValueRegion("flash", 0));
  const uart = new Pl011(o.uartTx, spiLine(irq, VIRT.SPI_UART));
  bus.addMmio(VIRT.UART, VIRT.UART_SIZE, uart);
  const rtc = new Pl031(o.rtcStartSeconds, o.rtcNow, spiLine(irq, VIRT.SPI_RTC));
  bus.addMmio(VIRT.RTC, VIRT.RTC_SIZE, rtc);
  bus.addMmio(VIRT.FW_CFG, VIRT.FW_CFG_SIZE, new FwCfg());
  bus.addMmio(VIRT.GPIO, VIRT.GPIO_SIZE, new Pl061());
  const virtio = new EmptyVirtioMmio();
  for (let i = 0; i < VIRT.MMIO_COUNT; i++) bus.addMmio(VIRT.MMIO + i * VIRT.MMIO_SIZE, VIRT.MMIO_SIZE, virtio);
  bus.addMmio(VIRT.PCIE_ECAM_HIGH, VIRT.PCIE_ECAM_HIGH_SIZE, new PciHostEcam());
  // The host bridge's windows with no BARs assigned in them: QEMU's gpex (hw/pci-host/gpex.c,
  // allow-unmapped-accesses, true from virt-6.1 on) backs the MMIO and I/O windows with
  // unassigned_io_ops, which read as all ones at every width and ignore writes, instead of
  // leaving them unassigned (which would abort). virt.c maps the 32-bit MMIO window, the
  // I/O port window and, as the 40-bit physical address space holds it, the high MMIO window.
  bus.addMmio(VIRT.PCIE_MMIO, VIRT.PCIE_MMIO_SIZE, new FixedValueRegion("pcie-mmio", 0xffffffff));
  bus.addMmio(VIRT.PCIE_PIO, VIRT.PCIE_PIO_SIZE, new FixedValueRegion("pcie-pio", 0xffffffff));
  bus.addMmio(VIRT.PCIE_MMIO_HIGH, VIRT.PCIE_MMIO_HIGH_SIZE, new FixedValueRegion("pcie-mmio-high", 0xffffffff));
  return { uart, rtc };
}
