/**
 * An empty virtio-mmio transport, as QEMU 7.2's virtio_mmio_read() answers with no backend
 * plugged in (hw/virtio/virtio-mmio.c): MagicValue "virt", Version 1 (the transport's
 * "force-legacy" property defaults to true, so it is the legacy interface of the Virtual I/O
 * Device spec 1.1, 4.2.4), DeviceID 0 meaning "no device", VendorID "QEMU"; drivers probe it and
 * move on. QEMU matches the register offset exactly, so only accesses that start at offsets 0, 4
 * and 0xc see those values (truncated to the access width); everything else reads as zero and
 * writes are ignored.
 */
import type { MmioDevice } from "../memory/bus.js";

const MAGIC = 0x74726976, VERSION_LEGACY = 1, VENDOR_QEMU = 0x554d4551;

export class EmptyVirtioMmio implements MmioDevice {
  readonly name = "virtio-mmio";
  read(offset: number, size: number): number {
    let v: number;
    switch (offset) {
      case 0x000: v = MAGIC; break;
      case 0x004: v = VERSION_LEGACY; break;
      case 0x00c: v = VENDOR_QEMU; break;
      default: return 0;
    }
    return size === 4 ? v : v & (size === 1 ? 0xff : 0xffff);
  }
  write(): void {}
}
