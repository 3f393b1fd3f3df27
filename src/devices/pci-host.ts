/**
 * The configuration space (ECAM, PCI Express Base spec 7.2.2) of QEMU's generic PCIe host
 * (hw/pci-host/gpex.c) with nothing plugged in but its own host bridge, "gpex-root": bus 0,
 * device 0, function 0, Red Hat vendor 0x1b36, device 0x0008, class 0x060000 (host bridge),
 * header type 0, no BARs, no capabilities. Every other function reads as all ones ("no
 * device", PCI Local Bus spec 6.1). Linux's pci-host-generic then lists the bridge as on QEMU.
 */
import type { MmioDevice } from "../memory/bus.js";

const VENDOR_REDHAT = 0x1b36, DEVICE_GPEX_ROOT = 0x0008;
/** QEMU gives every device subsystem IDs 1af4:1100 (hw/pci/pci.c, do_pci_register_device). */
const SUBSYSTEM_VENDOR = 0x1af4, SUBSYSTEM_ID = 0x1100;

export class PciHostEcam implements MmioDevice {
  readonly name = "pcie-ecam";
  private readonly config = new Uint8Array(256);
  /** Writable bits per byte (as QEMU's pci_init_wmask: command, cache line size, interrupt line). */
  private readonly wmask = new Uint8Array(256);

  constructor() {
    const c = this.config, v = new DataView(c.buffer);
    v.setUint16(0x00, VENDOR_REDHAT, true);
    v.setUint16(0x02, DEVICE_GPEX_ROOT, true);
    c[0x0b] = 0x06; // base class: bridge; subclass 0x00: host bridge; prog-if 0
    v.setUint16(0x2c, SUBSYSTEM_VENDOR, true);
    v.setUint16(0x2e, SUBSYSTEM_ID, true);
    // Command: I/O, memory, bus master, parity, SERR, INTx disable.
    this.wmask[0x04] = 0x47; this.wmask[0x05] = 0x05;
    this.wmask[0x0c] = 0xff; // cache line size
    this.wmask[0x3c] = 0xff; // interrupt line
  }

  read(offset: number, size: number): number {
    // offset = bus << 20 | device << 15 | function << 12 | register
    if (offset >>> 12 !== 0) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const reg = offset & 0xfff;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (reg + i < 256 ? this.config[reg + i] : 0);
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset >>> 12 !== 0) return;
    const reg = offset & 0xfff;
    for (let i = 0; i < size; i++) {
      const at = reg + i;
      if (at >= 256) break;
      const b = (value >>> (8 * i)) & 0xff, m = this.wmask[at];
      this.config[at] = (this.config[at] & ~m) | (b & m);
    }
  }
}
