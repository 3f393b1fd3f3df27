/**
 * A device as a board lists it: its name, the MMIO regions it decodes, the interrupts it
 * raises, the models that answer its regions, and the device-tree node that describes it. A
 * board is a list of these in its creation order (QEMU's hw/arm/virt.c machvirt_init creates
 * devices and their nodes in one pass, and the order shows in the tree and its phandles), so
 * its address map and its DTB both follow from one list (as a crosvm or Firecracker VMM keeps
 * one device manager for the bus and the FDT).
 *
 * `Env` is what the board gives the models (its interrupt controller, its console, its clock),
 * `Dt` what it gives the node builders (the tree, phandles of nodes made before).
 */
import type { MmioDevice, RomDevice } from "../memory/bus.js";
import type { Bus } from "../memory/bus.js";

function isRomDevice(d: MmioDevice): d is RomDevice {
  return (d as Partial<RomDevice>).storage instanceof Uint8Array && typeof (d as Partial<RomDevice>).attach === "function";
}

export interface MmioRegion {
  base: number;
  size: number;
}

/** An interrupt in the GIC binding's terms: an SPI (index from INTID 32) or a PPI (from INTID 16). */
export interface DeviceInterrupt {
  type: "spi" | "ppi";
  number: number;
  trigger: "level-high" | "edge-rising";
}

export interface DeviceSpec<Env, Dt> {
  /** The device's name on the board (its DT node name without the unit address, say "pl011"). */
  readonly name: string;
  /** What it decodes on the bus; for memory (`ram`), the RAM it adds. */
  readonly regions: readonly MmioRegion[];
  readonly interrupts: readonly DeviceInterrupt[];
  /** The regions are RAM, not a device's registers. */
  readonly ram?: boolean;
  /** Only the Secure state may reach it (Documentation/devicetree/bindings/arm/secure.txt). */
  readonly secureOnly?: boolean;
  /**
   * The models answering the regions, one per region (or one for all of them); absent for a
   * device described to the guest but with nothing behind it.
   */
  models?(env: Env): MmioDevice[];
  /** Add the device's node (and any it depends on) to the tree. */
  addNode?(dt: Dt): void;
}

/**
 * Put the listed devices on a bus: RAM regions as RAM, the others' regions answered by their
 * models. Returns the models by device name, for the board to keep the ones it drives.
 */
export function mapDevices<Env>(bus: Bus, devices: readonly DeviceSpec<Env, unknown>[], env: Env): Map<string, MmioDevice[]> {
  const models = new Map<string, MmioDevice[]>();
  for (const d of devices) {
    if (d.ram) {
      for (const r of d.regions) bus.addRam(d.name, r.base, r.size);
      continue;
    }
    const m = d.models?.(env);
    if (!m || m.length === 0) continue;
    d.regions.forEach((r, i) => {
      const model = m[Math.min(i, m.length - 1)];
      // A ROM device (flash) is memory while in ROM mode and its own MMIO otherwise.
      if (isRomDevice(model) && model.storage.length === r.size) bus.addRomDevice(`${d.name}@${r.base.toString(16)}`, r.base, model);
      else bus.addMmio(r.base, r.size, model);
    });
    models.set(d.name, m);
  }
  return models;
}

/** Whether a physical address is in a Secure-only device or memory of the list. */
export function secureOnlyPredicate(devices: readonly DeviceSpec<unknown, unknown>[]): (pa: number) => boolean {
  const regions = devices.filter((d) => d.secureOnly).flatMap((d) => d.regions);
  if (regions.length === 0) return () => false;
  return (pa) => regions.some((r) => pa >= r.base && pa < r.base + r.size);
}
