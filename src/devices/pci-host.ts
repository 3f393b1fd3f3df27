/**
 * QEMU's generic PCIe host (hw/pci-host/gpex.c) as virt creates it: the configuration space
 * (ECAM, PCI Express Base spec 7.2.2: offset = bus << 20 | device << 15 | function << 12 |
 * register) of bus 0, its own host bridge "gpex-root" at 00.0 (Red Hat 1b36:0008, class
 * 0x060000, no BARs, no capabilities), the functions plugged in by the board at their devfn,
 * and the windows through which the CPUs reach the functions' BARs.
 *
 * Functions are conventional PCI (256 bytes of config space): ECAM registers from 0x100 up, and
 * every devfn with no function, read as all ones ("no device", PCI Local Bus spec 6.1), as
 * QEMU's pcie_mmcfg_data_read. The windows map CPU addresses to PCI addresses (the MMIO ones
 * one to one, the I/O one from PCI address 0, as the DT node's ranges say); what no BAR decodes
 * reads as all ones and ignores writes (gpex's allow-unmapped-accesses, on from virt-6.1).
 *
 * INTx: pin P (1-4) of the function in slot S drives SPI 3 + (S + P - 1) % 4, the swizzle of
 * virt.c create_pcie_irq_map; functions sharing a line are ORed (level-sensitive). MSI writes
 * (MSI-X) go to GITS_TRANSLATER with the function's requester ID (bus << 8 | devfn) as the
 * ITS DeviceID (QEMU's gicv3_its_translation_write takes it from the transaction's
 * requester_id), or anywhere else on the bus as a plain 32-bit write (the GICv2m frame).
 */
import type { MmioDevice } from "../memory/bus.js";
import { PciFunction } from "./pci/pci-function.js";

const VENDOR_REDHAT = 0x1b36, DEVICE_GPEX_ROOT = 0x0008;
/** QEMU gives every device subsystem IDs 1af4:1100 unless it sets its own (hw/pci/pci.c, do_pci_register_device). */
export const PCI_SUBSYSTEM_VENDOR_QEMU = 0x1af4, PCI_SUBSYSTEM_ID_QEMU = 0x1100;
const ALL_ONES = (size: number) => size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;

/** Where the host sends what functions do to the rest of the machine. */
export interface PciHostEnv {
  /** INTx line `n` (0-3 for INTA-INTD at the host's interrupt map). */
  setIntx(line: number, level: boolean): void;
  /** ITS translation (GICv3): a write of `eventId` to GITS_TRANSLATER by `deviceId`. */
  itsTranslate?(deviceId: number, eventId: number): void;
  /** The GITS_TRANSLATER address when there is an ITS. */
  itsTranslater?: number;
  /** Any other memory write by a bus master (the GICv2m frame's MSI_SETSPI_NS, or RAM). */
  memoryWrite(address: number, data: number): void;
}

export class PciHostEcam implements MmioDevice {
  readonly name = "pcie-ecam";
  private readonly functions = new Map<number, PciFunction>();
  private readonly lineLevels = [0, 0, 0, 0].map(() => new Set<number>());

  constructor(private readonly env?: PciHostEnv, plugged: readonly { devfn: number; fn: PciFunction }[] = []) {
    this.plug(0, new PciFunction("gpex-root", {
      vendor: VENDOR_REDHAT, device: DEVICE_GPEX_ROOT, classCode: 0x060000,
      subsystemVendor: PCI_SUBSYSTEM_VENDOR_QEMU, subsystemId: PCI_SUBSYSTEM_ID_QEMU,
    }));
    for (const p of plugged) this.plug(p.devfn, p.fn);
  }

  /** The functions on bus 0 by devfn, the host bridge's included. */
  get all(): readonly PciFunction[] {
    return [...this.functions.values()];
  }

  private plug(devfn: number, f: PciFunction): void {
    if (this.functions.has(devfn)) throw new RangeError(`PCI devfn ${devfn >> 3}.${devfn & 7} is taken`);
    const slot = devfn >> 3, requesterId = devfn;
    f.plug(devfn, {
      setIntx: (level) => {
        const pin = f.config[0x3d];
        if (pin < 1 || pin > 4) return;
        const line = (slot + pin - 1) % 4, set = this.lineLevels[line], before = set.size > 0;
        if (level) set.add(devfn); else set.delete(devfn);
        if (before !== set.size > 0) this.env?.setIntx(line, set.size > 0);
      },
      msi: (address, data) => {
        const env = this.env;
        if (!env) return;
        if (env.itsTranslate && address === env.itsTranslater) env.itsTranslate(requesterId, data);
        else env.memoryWrite(address, data);
      },
    });
    this.functions.set(devfn, f);
  }

  read(offset: number, size: number): number {
    const f = offset >>> 20 === 0 ? this.functions.get((offset >>> 12) & 0xff) : undefined;
    const reg = offset & 0xfff;
    if (!f || reg + size > 256) return ALL_ONES(size);
    return f.configRead(reg, size);
  }

  write(offset: number, size: number, value: number): void {
    const f = offset >>> 20 === 0 ? this.functions.get((offset >>> 12) & 0xff) : undefined;
    const reg = offset & 0xfff;
    if (f && reg + size <= 256) f.configWrite(reg, size, value >>> 0);
  }

  /** The BAR that decodes PCI address `address` in I/O or memory space. */
  decode(io: boolean, address: number): { region: MmioDevice; offset: number } | undefined {
    for (const f of this.functions.values()) {
      const hit = f.decodes(io, address);
      if (hit) return { region: hit.bar.region, offset: hit.offset };
    }
    return undefined;
  }
}

/** A window of the host: CPU offset `o` in it is PCI address `pciBase + o` of its space. */
export class PciWindow implements MmioDevice {
  constructor(readonly name: string, private readonly host: PciHostEcam, private readonly io: boolean, private readonly pciBase: number) {}

  read(offset: number, size: number, cpuIndex: number): number {
    const hit = this.host.decode(this.io, this.pciBase + offset);
    return hit ? hit.region.read(hit.offset, size, cpuIndex) : ALL_ONES(size);
  }

  write(offset: number, size: number, value: number, cpuIndex: number): void {
    const hit = this.host.decode(this.io, this.pciBase + offset);
    hit?.region.write(hit.offset, size, value, cpuIndex);
  }
}
