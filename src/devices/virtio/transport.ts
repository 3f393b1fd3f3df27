/**
 * What every virtio transport (virtio 1.2 section 4: virtio-mmio, virtio-pci) does the same
 * way: the rings, the device status and its reset (2.1, 2.4), feature negotiation (3.1.1),
 * serving a queue when the driver notifies it, and filling receive buffers for devices that
 * deliver on their own. A transport says how the driver reaches these (its registers) and how
 * an interrupt reaches the driver (`usedBuffers`, `configInterrupt`).
 */
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1, bit, type VirtioDelivery, type VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { SplitVirtqueue, type Chain } from "./virtqueue.js";

/** 2.1: device status bits. */
export const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, DEVICE_NEEDS_RESET: 64, FAILED: 128 } as const;

/** QEMU's VIRTQUEUE_MAX_SIZE: the largest queue a driver may set up. */
export const QUEUE_MAX_SIZE = 1024;

export abstract class VirtioTransport implements VirtioDelivery {
  readonly queues: SplitVirtqueue[];
  status = 0;
  /** The driver's feature words as written (modern interfaces take them at FEATURES_OK). */
  protected driverFeatures = [0, 0];
  /** The legacy interface is the driver's (no VERSION_1, features taken as written). */
  abstract get legacy(): boolean;

  constructor(readonly device: VirtioDevice | undefined, protected readonly mem: GuestMemory) {
    const n = device?.queueCount ?? 0;
    this.queues = Array.from({ length: n }, () => new SplitVirtqueue(QUEUE_MAX_SIZE, mem));
    device?.attach?.(this);
  }

  /** The driver's buffers in queue `index` were used: interrupt it (4.2.3.4, 4.1.4.5). */
  protected abstract usedBuffers(index: number): void;
  /** The configuration changed, or the device needs a reset: the configuration interrupt. */
  protected abstract configInterrupt(): void;

  /**
   * Everything offered: the device's bits, indirect descriptors and event indices (on for every
   * QEMU device, DEFINE_VIRTIO_COMMON_FEATURES), VERSION_1 when modern.
   */
  get offeredFeatures(): bigint {
    if (!this.device) return 0n;
    return this.device.features | bit(VIRTIO_F_INDIRECT_DESC) | bit(VIRTIO_F_EVENT_IDX) | (this.legacy ? 0n : bit(VIRTIO_F_VERSION_1));
  }

  /** The driver's accepted features take effect: the rings' and the device's. */
  protected acceptFeatures(features: bigint): void {
    const eventIdx = (features & bit(VIRTIO_F_EVENT_IDX)) !== 0n;
    for (const q of this.queues) q.eventIdx = eventIdx;
    this.device?.setFeatures?.(features);
  }

  protected writeStatus(value: number): void {
    if (value === 0) { this.reset(); return; }
    if (!this.legacy && (value & STATUS.FEATURES_OK) && !(this.status & STATUS.FEATURES_OK)) {
      const accepted = (BigInt(this.driverFeatures[1]) << 32n) | BigInt(this.driverFeatures[0]);
      // 3.1.1: the device refuses features it did not offer, and a modern driver must take VERSION_1.
      if ((accepted & ~this.offeredFeatures) !== 0n || !(accepted & bit(VIRTIO_F_VERSION_1))) value &= ~STATUS.FEATURES_OK;
      else this.acceptFeatures(accepted);
    }
    // DEVICE_NEEDS_RESET is the device's to set; the driver cannot clear it but by a reset.
    this.status = (value & ~STATUS.DEVICE_NEEDS_RESET) | (this.status & STATUS.DEVICE_NEEDS_RESET);
  }

  /** 2.4: a write of 0 to the device status resets the device and the transport. */
  reset(): void {
    this.status = 0;
    this.driverFeatures = [0, 0];
    for (const q of this.queues) { q.reset(); q.eventIdx = false; }
    this.device?.reset?.();
  }

  /** The driver made buffers available in queue `index`: serve every chain there is. */
  notify(index: number): void {
    const q = this.queues[index], device = this.device;
    if (!q || !device || (this.status & STATUS.DEVICE_NEEDS_RESET)) return;
    if (device.isReceiveQueue?.(index)) { device.buffersAvailable?.(index); return; }
    let used = false;
    for (;;) {
      const chain = q.pop();
      if (chain === undefined) break;
      if (chain === "malformed") { this.needsReset(); return; }
      const written = device.serve(index, chain, this.mem);
      if (written === "malformed" || !q.push(chain.head, written)) { this.needsReset(); return; }
      used = true;
    }
    if (used && q.wantsInterrupt()) this.usedBuffers(index);
  }

  deliver(index: number, write: (chain: Chain, mem: GuestMemory) => number): boolean {
    const q = this.queues[index];
    if (!q || (this.status & STATUS.DEVICE_NEEDS_RESET) || !(this.status & STATUS.DRIVER_OK)) return false;
    const chain = q.pop();
    if (chain === undefined) return false;
    if (chain === "malformed") { this.needsReset(); return false; }
    if (!q.push(chain.head, write(chain, this.mem))) { this.needsReset(); return false; }
    if (q.wantsInterrupt()) this.usedBuffers(index);
    return true;
  }

  deliverSpanning(index: number, bytes: number, maxChains: number, write: (chains: Chain[], mem: GuestMemory) => number[]): boolean {
    const q = this.queues[index];
    if (!q || (this.status & STATUS.DEVICE_NEEDS_RESET) || !(this.status & STATUS.DRIVER_OK)) return false;
    const chains: Chain[] = [];
    let room = 0;
    while (room < bytes && chains.length < maxChains) {
      const chain = q.pop();
      if (chain === undefined) break;
      if (chain === "malformed") { this.needsReset(); return false; }
      chains.push(chain);
      for (const s of chain.writable) room += s.length;
    }
    if (room < bytes || chains.length === 0) { q.unpop(chains.length); return false; }
    const written = write(chains, this.mem);
    for (const [i, chain] of chains.entries()) {
      if (!q.push(chain.head, written[i] ?? 0)) { this.needsReset(); return false; }
    }
    if (q.wantsInterrupt()) this.usedBuffers(index);
    return true;
  }

  configChanged(): void {
    if (this.status & STATUS.DRIVER_OK) this.configInterrupt();
  }

  /**
   * 2.1.2: the device has failed in a way the driver must recover from by a reset. A modern
   * driver is told by a configuration interrupt; the legacy interfaces have no such status
   * bit, so there the queue just stops (QEMU's virtio_error does the same).
   */
  protected needsReset(): void {
    this.status |= STATUS.DEVICE_NEEDS_RESET;
    if (!this.legacy && (this.status & STATUS.DRIVER_OK)) this.configInterrupt();
  }

  /** The device's configuration space, little-endian, 0 past its end. */
  protected readConfig(offset: number, size: number): number {
    const c = this.device!.config;
    if (offset + size > c.length) return 0;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + c[offset + i];
    return v >>> 0;
  }

  protected writeConfig(offset: number, size: number, value: number): void {
    // Each device says which of its configuration fields the driver may change (none, for most).
    if (offset + size <= this.device!.config.length) this.device!.writeConfig?.(offset, size, value);
  }
}
