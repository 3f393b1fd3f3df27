/**
 * One PCI function's type 0 configuration header (PCI Local Bus spec 3.0 section 6.1, 6.2) as
 * QEMU's hw/pci/pci.c keeps it: 256 bytes of config space with a per-byte mask of writable bits
 * (pci_init_wmask) and of write-1-to-clear bits (pci_init_w1cmask), BARs sized by their
 * writable bits (pci_register_bar: a BAR reads back ~(size - 1) once the guest writes all
 * ones), and a capability list built as pci_add_capability builds it (first free space from
 * 0x40 on, each new capability at the head of the list). Nothing assigns BARs but the guest:
 * on virt there is no firmware doing it and Linux assigns them itself.
 *
 * A BAR decodes (pci_bar_address) when its space is enabled in the Command register and its
 * address is not 0 and does not wrap (a 32-bit one also not past 4 GiB): the host bridge
 * (pci-host.ts) asks `decodes` for every access in its windows.
 */
import type { MmioDevice } from "../../memory/bus.js";

export const PCI_COMMAND_IO = 0x1, PCI_COMMAND_MEMORY = 0x2, PCI_COMMAND_MASTER = 0x4, PCI_COMMAND_INTX_DISABLE = 0x400;
export const PCI_STATUS_INTERRUPT = 0x08, PCI_STATUS_CAP_LIST = 0x10;
const REG_COMMAND = 0x04, REG_STATUS = 0x06, REG_BAR0 = 0x10, REG_CAP_PTR = 0x34, REG_INTERRUPT_PIN = 0x3d;
const HEADER_SIZE = 0x40, CONFIG_SIZE = 0x100;

export interface PciIdentity {
  vendor: number;
  device: number;
  revision?: number;
  /** Base class, subclass and programming interface: 0xCCSSPP. */
  classCode: number;
  subsystemVendor: number;
  subsystemId: number;
  /** 1-4 for INTA-INTD, 0 for none (PCI_INTERRUPT_PIN). */
  interruptPin?: number;
}

export type BarKind = "io" | "mem32" | "mem64";

export interface PciBar {
  kind: BarKind;
  prefetchable: boolean;
  /** A power of two (the spec's BAR sizing), at least 4 for I/O and 16 for memory. */
  size: number;
  /** What answers in the BAR, at offsets from its start. */
  region: MmioDevice;
}

/** What a function needs from the bus it is plugged into. */
export interface PciBusSide {
  /** The function's INTx pin (the host routes it through the interrupt map). */
  setIntx(level: boolean): void;
  /** A memory write of 32-bit `data` to `address` by this function as bus master: an MSI. */
  msi(address: number, data: number): void;
}

export class PciFunction {
  readonly config = new Uint8Array(CONFIG_SIZE);
  readonly wmask = new Uint8Array(CONFIG_SIZE);
  readonly w1cmask = new Uint8Array(CONFIG_SIZE);
  /** Bytes taken by the header and capabilities (pci_find_space looks for a free run). */
  private readonly used = new Uint8Array(CONFIG_SIZE);
  readonly bars: (PciBar | undefined)[] = new Array(6).fill(undefined);
  /** Set when plugged: bus 0, device << 3 | function. */
  devfn = -1;
  protected busSide: PciBusSide | undefined;
  private intxLevel = false;

  constructor(readonly name: string, id: PciIdentity) {
    const v = this.view;
    v.setUint16(0x00, id.vendor, true);
    v.setUint16(0x02, id.device, true);
    this.config[0x08] = id.revision ?? 0;
    this.config[0x09] = id.classCode & 0xff;
    this.config[0x0a] = (id.classCode >>> 8) & 0xff;
    this.config[0x0b] = (id.classCode >>> 16) & 0xff;
    v.setUint16(0x2c, id.subsystemVendor, true);
    v.setUint16(0x2e, id.subsystemId, true);
    this.config[REG_INTERRUPT_PIN] = id.interruptPin ?? 0;
    // pci_init_wmask: Command (I/O, memory, bus master, parity, SERR, INTx disable), cache line
    // size and interrupt line; pci_init_w1cmask: the Status error bits.
    this.wmask[REG_COMMAND] = 0x47; this.wmask[REG_COMMAND + 1] = 0x05;
    this.wmask[0x0c] = 0xff;
    this.wmask[0x3c] = 0xff;
    this.w1cmask[REG_STATUS + 1] = 0xf9; // parity, target/master aborts, SERR, detected parity
    this.used.fill(1, 0, HEADER_SIZE);
  }

  protected readonly view = new DataView(this.config.buffer);
  private readonly wmaskView = new DataView(this.wmask.buffer);

  get command(): number {
    return this.config[REG_COMMAND] | (this.config[REG_COMMAND + 1] << 8);
  }

  /** pci_register_bar: the BAR's type bits, its size in its writable bits. */
  registerBar(index: number, bar: PciBar): void {
    const at = REG_BAR0 + 4 * index, v = this.view;
    const type = bar.kind === "io" ? 0x1 : (bar.kind === "mem64" ? 0x4 : 0) | (bar.prefetchable ? 0x8 : 0);
    v.setUint32(at, type, true);
    const low = (~(bar.size - 1)) >>> 0;
    this.wmaskView.setUint32(at, bar.kind === "io" ? low & ~0x3 : low & ~0xf, true);
    if (bar.kind === "mem64") {
      if (index === 5) throw new RangeError("a 64-bit BAR takes two slots");
      // Sizes below 4 GiB: the whole upper dword is address.
      this.wmaskView.setUint32(at + 4, 0xffffffff, true);
    }
    this.bars[index] = bar;
  }

  /**
   * pci_add_capability: `size` bytes at the first free run from 0x40 on, linked in at the head
   * of the list (so the last one added is the one Capabilities Pointer names).
   */
  addCapability(id: number, size: number): number {
    let at = HEADER_SIZE;
    for (; at + size <= CONFIG_SIZE; at++) {
      let free = true;
      for (let i = 0; i < size; i++) if (this.used[at + i]) { free = false; at += i; break; }
      if (free) break;
    }
    if (at + size > CONFIG_SIZE) throw new RangeError(`${this.name}: no room for capability ${id}`);
    this.used.fill(1, at, at + size);
    this.config[at] = id;
    this.config[at + 1] = this.config[REG_CAP_PTR];
    this.config[REG_CAP_PTR] = at;
    this.config[REG_STATUS] |= PCI_STATUS_CAP_LIST;
    return at;
  }

  plug(devfn: number, busSide: PciBusSide): void {
    this.devfn = devfn;
    this.busSide = busSide;
  }

  /** Config-space read of 1, 2 or 4 bytes at `reg` (< 256). */
  configRead(reg: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.config[reg + i];
    return v >>> 0;
  }

  /** pci_default_write_config: writable bits take the value, write-1-to-clear bits clear. */
  configWrite(reg: number, size: number, value: number): void {
    const intxBefore = this.command & PCI_COMMAND_INTX_DISABLE;
    for (let i = 0; i < size; i++) {
      const at = reg + i, b = (value >>> (8 * i)) & 0xff;
      this.config[at] = (this.config[at] & ~this.wmask[at]) | (b & this.wmask[at]);
      this.config[at] &= ~(b & this.w1cmask[at]);
    }
    if ((this.command & PCI_COMMAND_INTX_DISABLE) !== intxBefore) this.updateIntx();
    this.configWritten(reg, size);
  }

  /** For capabilities that act on writes (MSI-X enable, virtio's PCI configuration access). */
  protected configWritten(_reg: number, _size: number): void {}

  /** Where BAR `index` decodes, or undefined (pci_bar_address). */
  barAddress(index: number): number | undefined {
    const bar = this.bars[index];
    if (!bar) return undefined;
    const v = this.view, at = REG_BAR0 + 4 * index, cmd = this.command;
    if (bar.kind === "io") {
      if (!(cmd & PCI_COMMAND_IO)) return undefined;
      const base = (v.getUint32(at, true) & ~(bar.size - 1)) >>> 0;
      const last = base + bar.size - 1;
      return base === 0 || last >= 0xffffffff ? undefined : base;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) return undefined;
    let base = (v.getUint32(at, true) & ~0xf & ~(bar.size - 1)) >>> 0;
    if (bar.kind === "mem64") base += v.getUint32(at + 4, true) * 0x100000000;
    else if (base + bar.size - 1 >= 0xffffffff) return undefined;
    // Beyond 2^53 no address is representable here, nor decoded by any window.
    return base === 0 || !Number.isSafeInteger(base + bar.size) ? undefined : base;
  }

  /** The BAR that decodes `address` in space `io` or memory, and the offset in it. */
  decodes(io: boolean, address: number): { bar: PciBar; offset: number } | undefined {
    for (let i = 0; i < 6; i++) {
      const bar = this.bars[i];
      if (!bar || (bar.kind === "io") !== io) continue;
      const base = this.barAddress(i);
      if (base !== undefined && address >= base && address < base + bar.size) return { bar, offset: address - base };
    }
    return undefined;
  }

  /** The function's INTx pin: Status shows it, Command's INTx disable keeps it from the bus. */
  protected setIntx(level: boolean): void {
    this.intxLevel = level;
    this.updateIntx();
  }

  private updateIntx(): void {
    if (this.intxLevel) this.config[REG_STATUS] |= PCI_STATUS_INTERRUPT;
    else this.config[REG_STATUS] &= ~PCI_STATUS_INTERRUPT;
    this.busSide?.setIntx(this.intxLevel && !(this.command & PCI_COMMAND_INTX_DISABLE));
  }

  /** An MSI write, only while the function may master the bus (QEMU: its bus-master address space). */
  protected sendMsi(address: number, data: number): void {
    if (this.command & PCI_COMMAND_MASTER) this.busSide?.msi(address, data);
  }
}
