/**
 * An empty virtio-mmio transport (Virtual I/O Device spec 1.1, 4.2.2): MagicValue "virt",
 * Version 2, DeviceID 0 meaning "no device", so drivers probe it and move on, as with QEMU's
 * unused transports. Everything else reads as zero and ignores writes.
 */
import type { MmioDevice } from "../memory/bus.js";

const MAGIC = 0x74726976, VERSION = 2, VENDOR_QEMU = 0x554d4551;

export class EmptyVirtioMmio implements MmioDevice {
  readonly name = "virtio-mmio";
  read(offset: number): number {
    switch (offset & ~3) {
      case 0x000: return MAGIC;
      case 0x004: return VERSION;
      case 0x008: return 0;
      case 0x00c: return VENDOR_QEMU;
      default: return 0;
    }
  }
  write(): void {}
}
