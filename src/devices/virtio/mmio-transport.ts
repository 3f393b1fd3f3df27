/**
 * The virtio-mmio transport (virtio 1.2 section 4.2), as QEMU 7.2's hw/virtio/virtio-mmio.c
 * presents it on the virt board: version 2 (4.2.2, queue addresses as 64-bit low/high pairs,
 * QueueReady, FEATURES_OK, ConfigGeneration) or, with the transport's force-legacy property
 * (QEMU's default, hence also this board's), version 1 (4.2.4: GuestPageSize, QueuePFN and
 * QueueAlign place the whole ring). With no device plugged in it answers as QEMU's empty
 * transport: MagicValue, Version and VendorID only (DeviceID 0, "no device"; drivers move on).
 *
 * Requests are served synchronously when the driver writes QueueNotify; the interrupt line
 * follows InterruptStatus (virtio_mmio_update_irq raises it while any bit is set).
 */
import type { MmioDevice } from "../../memory/bus.js";
import type { IrqLine } from "../interrupts.js";
import type { VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { STATUS, VirtioTransport } from "./transport.js";
import type { SplitVirtqueue } from "./virtqueue.js";

export { STATUS, QUEUE_MAX_SIZE } from "./transport.js";

const MAGIC = 0x74726976, VENDOR_QEMU = 0x554d4551;

/** 4.2.2 register offsets (4.2.4 for the legacy-only ones). */
const REG = {
  MAGIC: 0x000, VERSION: 0x004, DEVICE_ID: 0x008, VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010, DEVICE_FEATURES_SEL: 0x014, DRIVER_FEATURES: 0x020, DRIVER_FEATURES_SEL: 0x024,
  GUEST_PAGE_SIZE: 0x028, QUEUE_SEL: 0x030, QUEUE_NUM_MAX: 0x034, QUEUE_NUM: 0x038, QUEUE_ALIGN: 0x03c,
  QUEUE_PFN: 0x040, QUEUE_READY: 0x044, QUEUE_NOTIFY: 0x050, INTERRUPT_STATUS: 0x060, INTERRUPT_ACK: 0x064,
  STATUS: 0x070, QUEUE_DESC_LOW: 0x080, QUEUE_DESC_HIGH: 0x084, QUEUE_DRIVER_LOW: 0x090, QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0, QUEUE_DEVICE_HIGH: 0x0a4, SHM_SEL: 0x0ac, CONFIG_GENERATION: 0x0fc, CONFIG: 0x100,
} as const;

/** 4.2.2: InterruptStatus bits. */
export const INT_USED_BUFFER = 1, INT_CONFIG_CHANGE = 2;

const lo = (v: number) => v % 0x100000000 >>> 0;
const hi = (v: number) => Math.floor(v / 0x100000000) >>> 0;
const withLow = (v: number, low: number) => hi(v) * 0x100000000 + (low >>> 0);
/** Addresses above 2^53 are not representable; they cannot be RAM either, so they clamp to an unmapped one. */
const withHigh = (v: number, high: number) => (high >>> 0) >= 0x200000 ? Number.MAX_SAFE_INTEGER : (high >>> 0) * 0x100000000 + lo(v);

export class VirtioMmioTransport extends VirtioTransport implements MmioDevice {
  readonly name = "virtio-mmio";
  interruptStatus = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private queueSel = 0;
  /** Legacy ring placement (4.2.4): the guest's page size and the used ring's alignment. */
  private guestPageSize = 0;
  private legacyAlign: number[];

  constructor(
    device: VirtioDevice | undefined,
    mem: GuestMemory,
    private readonly irq: IrqLine,
    /** QEMU's virtio-mmio.force-legacy (true by default). */
    readonly legacy = true,
  ) {
    super(device, mem);
    this.legacyAlign = Array.from({ length: this.queues.length }, () => 4096);
  }

  private get queue(): SplitVirtqueue | undefined {
    return this.queues[this.queueSel];
  }

  read(offset: number, size: number): number {
    const device = this.device;
    if (!device) {
      // virtio_mmio_read with no backend: only these three, at any width (truncated).
      const v = offset === REG.MAGIC ? MAGIC : offset === REG.VERSION ? 1 : offset === REG.VENDOR_ID ? VENDOR_QEMU : 0;
      return size === 4 ? v : v & (size === 1 ? 0xff : 0xffff);
    }
    if (offset >= REG.CONFIG) return this.readConfig(offset - REG.CONFIG, size);
    // QEMU answers registers only at their width: anything else reads as 0.
    if (size !== 4) return 0;
    const q = this.queue;
    switch (offset) {
      case REG.MAGIC: return MAGIC;
      case REG.VERSION: return this.legacy ? 1 : 2;
      case REG.DEVICE_ID: return device.deviceId;
      case REG.VENDOR_ID: return VENDOR_QEMU;
      case REG.DEVICE_FEATURES:
        // Legacy drivers see only the first 32 bits (4.2.4: no DeviceFeaturesSel beyond 0).
        if (this.legacy && this.deviceFeaturesSel !== 0) return 0;
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.offeredFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      case REG.QUEUE_NUM_MAX: return q ? q.maxSize : 0;
      case REG.QUEUE_PFN:
        if (!this.legacy || !q) return 0;
        return this.guestPageSize ? Math.floor(q.desc / this.guestPageSize) >>> 0 : 0;
      case REG.QUEUE_READY: return !this.legacy && q?.ready ? 1 : 0;
      case REG.INTERRUPT_STATUS: return this.interruptStatus;
      case REG.STATUS: return this.status;
      case REG.CONFIG_GENERATION: return 0; // the configuration never changes behind the driver's back
      case REG.QUEUE_DESC_LOW: return !this.legacy && q ? lo(q.desc) : 0;
      case REG.QUEUE_DESC_HIGH: return !this.legacy && q ? hi(q.desc) : 0;
      case REG.QUEUE_DRIVER_LOW: return !this.legacy && q ? lo(q.avail) : 0;
      case REG.QUEUE_DRIVER_HIGH: return !this.legacy && q ? hi(q.avail) : 0;
      case REG.QUEUE_DEVICE_LOW: return !this.legacy && q ? lo(q.used) : 0;
      case REG.QUEUE_DEVICE_HIGH: return !this.legacy && q ? hi(q.used) : 0;
      default: return 0; // write-only and reserved registers
    }
  }

  write(offset: number, size: number, value: number): void {
    const device = this.device;
    if (!device) return;
    if (offset >= REG.CONFIG) { this.writeConfig(offset - REG.CONFIG, size, value); return; }
    if (size !== 4) return;
    value >>>= 0;
    const q = this.queue;
    switch (offset) {
      case REG.DEVICE_FEATURES_SEL: this.deviceFeaturesSel = value; break;
      case REG.DRIVER_FEATURES_SEL: this.driverFeaturesSel = value; break;
      case REG.DRIVER_FEATURES:
        if (this.driverFeaturesSel > 1 || (this.legacy && this.driverFeaturesSel !== 0)) break;
        this.driverFeatures[this.driverFeaturesSel] = value;
        // A legacy driver has no FEATURES_OK: its features take effect as written (QEMU likewise).
        if (this.legacy) this.acceptFeatures(BigInt(value) & this.offeredFeatures);
        break;
      case REG.GUEST_PAGE_SIZE: if (this.legacy) this.guestPageSize = value; break;
      case REG.QUEUE_SEL: this.queueSel = value; break;
      case REG.QUEUE_NUM:
        // As QEMU's virtio_queue_set_num: a queue the device lacks stays absent, no size above the maximum.
        if (q && value > 0 && value <= q.maxSize) {
          q.size = value;
          if (this.legacy && q.desc !== 0) this.placeLegacyRing(q);
        }
        break;
      case REG.QUEUE_ALIGN: if (this.legacy && q) { this.legacyAlign[this.queueSel] = value; if (q.desc !== 0) this.placeLegacyRing(q); } break;
      case REG.QUEUE_PFN:
        if (!this.legacy || !q) break;
        if (value === 0) { q.reset(); break; } // 4.2.4: writing 0 stops using the queue
        q.desc = value * this.guestPageSize;
        this.placeLegacyRing(q);
        break;
      case REG.QUEUE_READY:
        if (this.legacy || !q) break;
        q.ready = value === 1 && q.size > 0;
        break;
      case REG.QUEUE_DESC_LOW: if (!this.legacy && q) q.desc = withLow(q.desc, value); break;
      case REG.QUEUE_DESC_HIGH: if (!this.legacy && q) q.desc = withHigh(q.desc, value); break;
      case REG.QUEUE_DRIVER_LOW: if (!this.legacy && q) q.avail = withLow(q.avail, value); break;
      case REG.QUEUE_DRIVER_HIGH: if (!this.legacy && q) q.avail = withHigh(q.avail, value); break;
      case REG.QUEUE_DEVICE_LOW: if (!this.legacy && q) q.used = withLow(q.used, value); break;
      case REG.QUEUE_DEVICE_HIGH: if (!this.legacy && q) q.used = withHigh(q.used, value); break;
      case REG.QUEUE_NOTIFY: this.notify(value & 0xffff); break;
      case REG.INTERRUPT_ACK: this.setInterrupt(this.interruptStatus & ~value); break;
      case REG.STATUS: this.writeStatus(value & 0xff); break;
      default: break;
    }
  }

  /**
   * 4.2.4 / 2.7.2 legacy layout: descriptors at the page the driver gave, the available ring
   * right after them, the used ring at the next QueueAlign boundary.
   */
  private placeLegacyRing(q: SplitVirtqueue): void {
    if (q.size === 0) return;
    const align = this.legacyAlign[this.queueSel] || 4096;
    q.avail = q.desc + 16 * q.size;
    const availEnd = q.avail + 6 + 2 * q.size;
    q.used = Math.ceil(availEnd / align) * align;
    q.ready = true;
  }

  /** 2.4: a write of 0 to Status resets the device and the transport. */
  override reset(): void {
    super.reset();
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.queueSel = 0;
    this.legacyAlign.fill(4096);
    this.setInterrupt(0);
  }

  protected usedBuffers(): void {
    this.setInterrupt(this.interruptStatus | INT_USED_BUFFER);
  }

  protected configInterrupt(): void {
    this.setInterrupt(this.interruptStatus | INT_CONFIG_CHANGE);
  }

  private setInterrupt(bits: number): void {
    const was = this.interruptStatus !== 0;
    this.interruptStatus = bits;
    if (was !== (bits !== 0)) this.irq(bits !== 0);
  }
}
