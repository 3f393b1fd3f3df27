/**
 * The physical address space: RAM regions backed by Uint8Array plus memory-mapped devices.
 *
 * Physical addresses are plain numbers (ARMv8 PAs are at most 52 bits, exactly representable).
 * The CPU's soft TLB caches RAM pages as offsets into `ram`, so normal loads and stores never
 * reach this class; only MMIO, the first access to a page and stores to pages holding
 * pre-decoded code come here.
 */

/** A memory-mapped device region. `cpuIndex` tells banked registers (GICv2 CPU interface) apart. */
export interface MmioDevice {
  readonly name: string;
  /** Read 1, 2 or 4 bytes at `offset` within the region; returns the value (unsigned). */
  read(offset: number, size: number, cpuIndex: number): number;
  /** Write 1, 2 or 4 bytes. 8-byte accesses are split into two 4-byte ones, low word first. */
  write(offset: number, size: number, value: number, cpuIndex: number): void;
}

export interface MmioRegion {
  base: number;
  size: number;
  device: MmioDevice;
}

/** A RAM or ROM region; the CPU maps its pages straight into the soft TLB. */
export interface RamRegion {
  name: string;
  base: number;
  size: number;
  bytes: Uint8Array;
  view: DataView;
  readOnly: boolean;
  /** Per 4 KiB page: 1 when the page holds pre-decoded instructions (stores must invalidate). */
  codePages: Uint8Array;
  /**
   * A ROM device (QEMU's memory_region_init_rom_device): reads come from `bytes` while `romd`
   * is on and from the device while it is off; writes always go to the device.
   */
  romDevice?: RomDevice;
}

/**
 * A device whose array reads are plain memory (a flash chip in read-array mode), answered from
 * its `storage` by the CPU's fast path, and whose commands are MMIO. It calls `romdChanged`
 * when it enters or leaves read-array mode, and `stored` when it changes its storage.
 */
export interface RomDevice extends MmioDevice {
  readonly storage: Uint8Array;
  romd: boolean;
  attach(link: { romdChanged(): void; stored(offset: number, length: number): void }): void;
}

export type CodeWriteListener = (ramIndex: number, pageIndex: number) => void;

export class Bus {
  readonly rams: RamRegion[] = [];
  readonly mmio: MmioRegion[] = [];
  private codeWriteListeners: CodeWriteListener[] = [];
  private decodeListeners: (() => void)[] = [];

  addRam(name: string, base: number, size: number, readOnly = false): RamRegion {
    const bytes = new Uint8Array(size);
    const region: RamRegion = {
      name, base, size, bytes, readOnly,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      codePages: new Uint8Array(Math.ceil(size / 4096)),
    };
    this.rams.push(region);
    return region;
  }

  addMmio(base: number, size: number, device: MmioDevice): void {
    this.mmio.push({ base, size, device });
    this.mmio.sort((a, b) => a.base - b.base);
  }

  /**
   * A ROM device at `base`: RAM-speed reads of its storage while it is in ROM mode, its own
   * read and write otherwise (an MMIO region at the same place answers then).
   */
  addRomDevice(name: string, base: number, device: RomDevice): RamRegion {
    const bytes = device.storage;
    const region: RamRegion = {
      name, base, size: bytes.length, bytes, readOnly: true, romDevice: device,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      codePages: new Uint8Array(Math.ceil(bytes.length / 4096)),
    };
    const ri = this.rams.length;
    this.rams.push(region);
    this.addMmio(base, bytes.length, device);
    device.attach({
      // Out of ROM mode the CPUs' cached translations of the region and its decoded code are stale.
      romdChanged: () => {
        for (let p = 0; p < region.codePages.length; p++) this.codeWritten(ri, p);
        for (const l of this.decodeListeners) l();
      },
      stored: (offset, length) => {
        for (let p = offset >>> 12; p <= (offset + Math.max(0, length - 1)) >>> 12; p++) this.codeWritten(ri, p);
      },
    });
    return region;
  }

  /** Called when what decodes an address changes (a ROM device enters or leaves ROM mode). */
  onDecodeChange(listener: () => void): void {
    this.decodeListeners.push(listener);
  }

  /** Called when a store hits a page that holds pre-decoded code. */
  onCodeWrite(listener: CodeWriteListener): void {
    this.codeWriteListeners.push(listener);
  }

  findRam(pa: number): number {
    const rams = this.rams;
    for (let i = 0; i < rams.length; i++) {
      const r = rams[i];
      if (pa >= r.base && pa < r.base + r.size && (r.romDevice === undefined || r.romDevice.romd)) return i;
    }
    return -1;
  }

  findMmio(pa: number): MmioRegion | undefined {
    for (const r of this.mmio) if (pa >= r.base && pa < r.base + r.size) return r;
    return undefined;
  }

  /** Notify listeners (decoded-instruction caches) that a code page of RAM region `ri` is written. */
  codeWritten(ri: number, page: number): void {
    const r = this.rams[ri];
    if (!r.codePages[page]) return;
    r.codePages[page] = 0;
    for (const l of this.codeWriteListeners) l(ri, page);
  }

  /**
   * Slow-path physical read of `size` bytes (1, 2, 4 or 8). Returns undefined when nothing is
   * mapped there (the CPU turns that into a synchronous external abort, as QEMU does). 8-byte
   * reads return a bigint, smaller ones a number.
   */
  read(pa: number, size: number, cpuIndex: number): number | bigint | undefined {
    const ri = this.findRam(pa);
    if (ri >= 0) {
      const r = this.rams[ri];
      const off = pa - r.base;
      if (off + size > r.size) return undefined;
      switch (size) {
        case 1: return r.bytes[off];
        case 2: return r.view.getUint16(off, true);
        case 4: return r.view.getUint32(off, true);
        default: return r.view.getBigUint64(off, true);
      }
    }
    const m = this.findMmio(pa);
    if (!m) return undefined;
    const off = pa - m.base;
    if (size === 8) {
      const lo = m.device.read(off, 4, cpuIndex) >>> 0;
      const hi = m.device.read(off + 4, 4, cpuIndex) >>> 0;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return m.device.read(off, size, cpuIndex);
  }

  /** Slow-path physical write; returns false when nothing is mapped there. */
  write(pa: number, size: number, value: number | bigint, cpuIndex: number): boolean {
    const ri = this.findRam(pa);
    if (ri >= 0) {
      const r = this.rams[ri];
      const off = pa - r.base;
      if (off + size > r.size) return false;
      if (r.romDevice) return this.writeDevice(r.romDevice, off, size, value, cpuIndex);
      if (r.readOnly) return true; // ROM ignores writes
      this.codeWritten(ri, off >>> 12);
      if (((off + size - 1) >>> 12) !== (off >>> 12)) this.codeWritten(ri, (off + size - 1) >>> 12);
      switch (size) {
        case 1: r.bytes[off] = Number(value); break;
        case 2: r.view.setUint16(off, Number(value), true); break;
        case 4: r.view.setUint32(off, Number(BigInt.asUintN(32, BigInt(value))), true); break;
        default: r.view.setBigUint64(off, BigInt.asUintN(64, BigInt(value)), true); break;
      }
      return true;
    }
    const m = this.findMmio(pa);
    if (!m) return false;
    return this.writeDevice(m.device, pa - m.base, size, value, cpuIndex);
  }

  private writeDevice(device: MmioDevice, off: number, size: number, value: number | bigint, cpuIndex: number): boolean {
    if (size === 8) {
      const v = BigInt.asUintN(64, BigInt(value));
      device.write(off, 4, Number(v & 0xffffffffn), cpuIndex);
      device.write(off + 4, 4, Number(v >> 32n), cpuIndex);
      return true;
    }
    device.write(off, size, Number(value) >>> 0, cpuIndex);
    return true;
  }

  /** Copy bytes into guest physical memory (loaders); false if any byte is not RAM. */
  /**
   * Zero `size` bytes of RAM at `pa` in place (dropping pre-decoded code there), without the
   * temporary buffer a load of zeros would take. False when the range is not within one RAM.
   */
  zero(pa: number, size: number): boolean {
    const ri = this.findRam(pa);
    if (ri < 0) return false;
    const r = this.rams[ri];
    const off = pa - r.base;
    if (off + size > r.size) return false;
    r.bytes.fill(0, off, off + size);
    for (let p = off >>> 12; p <= (off + Math.max(0, size - 1)) >>> 12; p++) this.codeWritten(ri, p);
    return true;
  }

  load(pa: number, data: Uint8Array): boolean {
    const ri = this.findRam(pa);
    if (ri < 0) return false;
    const r = this.rams[ri];
    const off = pa - r.base;
    if (off + data.length > r.size) return false;
    r.bytes.set(data, off);
    for (let p = off >>> 12; p <= (off + Math.max(0, data.length - 1)) >>> 12; p++) this.codeWritten(ri, p);
    return true;
  }
}
