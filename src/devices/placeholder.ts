/**
 * Regions the device tree describes whose function is not modelled: reads return a fixed value
 * and writes are ignored. Used for the GICv3 ITS frame (zero ID registers, so Linux reports
 * "no ITS" and carries on) and the PCIe host bridge's empty windows (all ones).
 */
import type { MmioDevice } from "../memory/bus.js";

export class FixedValueRegion implements MmioDevice {
  constructor(readonly name: string, private readonly value: number) {}
  read(_offset: number, size: number): number {
    return size === 4 ? this.value >>> 0 : this.value & (size === 1 ? 0xff : 0xffff);
  }
  write(): void {}
}
