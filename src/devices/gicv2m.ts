/**
 * GICv2m MSI frame (ARM Server Base System Architecture, appendix "GICv2m"), as QEMU's
 * hw/intc/arm_gicv2m.c models it: MSI_TYPER describes the block of SPIs reserved for MSIs,
 * MSI_IIDR reads the QEMU product ID, and a write to MSI_SETSPI_NS pulses the SPI it names.
 * Linux's irq-gic-v2m driver reads MSI_TYPER at boot; with no frame it reports
 * "Invalid MSI base SPI", so the frame is modelled for the boot log to match QEMU's.
 */
import type { MmioDevice } from "../memory/bus.js";
import type { InterruptController } from "./interrupts.js";

const MSI_TYPER = 0x008, MSI_SETSPI_NS = 0x040, MSI_IIDR = 0xfcc;
const PRODUCT_ID_QEMU = 0x51; // 'Q'

export class GicV2m implements MmioDevice {
  readonly name = "gicv2m";
  /** `baseSpi` is the first SPI number (INTID - 32), `numSpis` how many follow. */
  constructor(private readonly gic: InterruptController, private readonly baseSpi: number, private readonly numSpis: number) {}

  read(offset: number, size: number): number {
    if (size !== 4) return 0; // QEMU: only 32-bit accesses are valid
    switch (offset) {
      case MSI_TYPER: return (((this.baseSpi + 32) << 16) | this.numSpis) >>> 0;
      case MSI_IIDR: return PRODUCT_ID_QEMU << 20;
      default: return 0; // identification registers and reserved space read as zero
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4 && !(size === 2 && offset === MSI_SETSPI_NS)) return;
    if (offset !== MSI_SETSPI_NS) return;
    const spi = (value & 0x3ff) - (this.baseSpi + 32);
    if (spi < 0 || spi >= this.numSpis) return;
    // MSIs are edge-triggered: a pulse on the SPI's input.
    const intid = this.baseSpi + 32 + spi;
    this.gic.setInput(0, intid, true);
    this.gic.setInput(0, intid, false);
  }
}
