/**
 * QEMU's ivshmem-plain (hw/misc/ivshmem.c; docs/specs/ivshmem-spec.rst): a PCI function
 * 1af4:1110, class 0x0500 (RAM), revision 1, subsystem 1af4:1100, no interrupt pin, whose
 * BAR2 (64-bit prefetchable, the backend's size) is memory shared with whoever else maps the
 * same backend, and whose BAR0 (256 bytes) holds the registers:
 *   0x00 IntrMask   read/write
 *   0x04 IntrStatus read clears it; a write sets it (with no pin and no MSI-X, it raises nothing)
 *   0x08 IVPosition this peer's ID: 0 without a server (ivshmem-plain has none)
 *   0x0c Doorbell   write-only: (peer << 16) | vector rings a peer; no peers without a server
 * Registers are 32 bits wide (QEMU's ops take 4-byte accesses; narrower ones read part of one).
 *
 * The memory is a `SharedMemory` the host gives: within one process (partitions under the
 * hypervisor) one buffer both devices see; a file on the host, each access the file's own
 * bytes (see the CLI's backend).
 */
import type { Bus, MmioDevice } from "../../memory/bus.js";
import { PCI_SUBSYSTEM_ID_QEMU, PCI_SUBSYSTEM_VENDOR_QEMU } from "../pci-host.js";
import { PciFunction } from "./pci-function.js";

const VENDOR_IVSHMEM = 0x1af4, DEVICE_IVSHMEM = 0x1110, CLASS_MEMORY_RAM = 0x050000;
const REG = { INTR_MASK: 0x00, INTR_STATUS: 0x04, IV_POSITION: 0x08, DOORBELL: 0x0c } as const;
const REGISTERS_SIZE = 0x100;

/** Memory behind BAR2: little-endian accesses of 1, 2 or 4 bytes at `offset`. */
export interface SharedMemory extends MmioDevice {
  readonly size: number;
}

/** A buffer in this process, for devices of one process to share (and for memory-backend-ram). */
export class BufferSharedMemory implements SharedMemory {
  readonly name = "ivshmem-memory";
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number { return this.bytes.length; }

  read(offset: number, size: number): number {
    if (offset + size > this.bytes.length) return 0;
    return size === 4 ? this.view.getUint32(offset, true) : size === 2 ? this.view.getUint16(offset, true) : this.bytes[offset];
  }

  write(offset: number, size: number, value: number): void {
    if (offset + size > this.bytes.length) return;
    if (size === 4) this.view.setUint32(offset, value >>> 0, true);
    else if (size === 2) this.view.setUint16(offset, value & 0xffff, true);
    else this.bytes[offset] = value & 0xff;
  }
}

export class IvshmemPlain extends PciFunction {
  private intrMask = 0;
  private intrStatus = 0;

  constructor(readonly memory: SharedMemory) {
    super("ivshmem-plain", {
      vendor: VENDOR_IVSHMEM, device: DEVICE_IVSHMEM, revision: 1, classCode: CLASS_MEMORY_RAM,
      subsystemVendor: PCI_SUBSYSTEM_VENDOR_QEMU, subsystemId: PCI_SUBSYSTEM_ID_QEMU,
    });
    if (memory.size & (memory.size - 1)) throw new RangeError("ivshmem: the shared memory's size must be a power of two");
    const registers: MmioDevice = {
      name: "ivshmem-registers",
      read: (offset, size) => {
        const word = this.readRegister(offset & ~3);
        return size === 4 ? word : (word >>> (8 * (offset & 3))) & (size === 2 ? 0xffff : 0xff);
      },
      write: (offset, size, value) => { if (size === 4) this.writeRegister(offset, value >>> 0); },
    };
    this.registerBar(0, { kind: "mem32", prefetchable: false, size: REGISTERS_SIZE, region: registers });
    this.registerBar(2, { kind: "mem64", prefetchable: true, size: memory.size, region: memory });
  }

  private readRegister(reg: number): number {
    switch (reg) {
      case REG.INTR_MASK: return this.intrMask;
      case REG.INTR_STATUS: {
        const v = this.intrStatus;
        this.intrStatus = 0; // reading clears every interrupt (ivshmem_IntrStatus_read)
        return v;
      }
      case REG.IV_POSITION: return 0;
      default: return 0;
    }
  }

  private writeRegister(reg: number, value: number): void {
    switch (reg) {
      case REG.INTR_MASK: this.intrMask = value; break;
      case REG.INTR_STATUS: this.intrStatus = value; break;
      // Doorbell: no peers without the server, so nothing to ring (QEMU checks dest < nb_peers).
      default: break;
    }
  }
}

/**
 * A stretch of the board's RAM as the shared memory (partitions under the hypervisor given the
 * same physical memory area): accesses go through the bus, so a store into code another CPU
 * has decoded drops that code as a CPU store would. Read-only: stores are dropped.
 */
export class BusSharedMemory implements SharedMemory {
  readonly name = "ivshmem-ram";
  constructor(private readonly bus: Bus, private readonly base: number, readonly size: number, private readonly writable: boolean) {}

  read(offset: number, size: number, cpuIndex: number): number {
    if (offset + size > this.size) return 0;
    const v = this.bus.read(this.base + offset, size, cpuIndex);
    return typeof v === "number" ? v : 0;
  }

  write(offset: number, size: number, value: number, cpuIndex: number): void {
    if (this.writable && offset + size <= this.size) this.bus.write(this.base + offset, size, value, cpuIndex);
  }
}
