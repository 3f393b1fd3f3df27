/**
 * What a virtio device (block, entropy, ...) gives its transport: its identity, its feature
 * bits, its queues and configuration space, and how it serves one descriptor chain. The
 * transport (transport.ts, mmio-transport.ts, pci-transport.ts) owns the rings, the status and the interrupt.
 */
import type { GuestMemory } from "./guest-memory.js";
import type { Chain } from "./virtqueue.js";

/** virtio 1.2 section 6: feature bits reserved for the transport and the rings. */
export const VIRTIO_F_INDIRECT_DESC = 28n;
export const VIRTIO_F_EVENT_IDX = 29n;
export const VIRTIO_F_VERSION_1 = 32n;

export const bit = (n: bigint): bigint => 1n << n;

export interface VirtioDevice {
  /** Section 5: 2 block, 3 console, 4 entropy. */
  readonly deviceId: number;
  /** Device-specific feature bits offered (the transport adds its own). */
  readonly features: bigint;
  /** How many virtqueues the device has. */
  readonly queueCount: number;
  /**
   * The size QEMU gives queue `queue` (its virtio_add_queue call), which a virtio-pci driver
   * reads before setting up the ring (virtio-mmio offers the maximum instead); 256 if absent.
   */
  queueSize?(queue: number): number;
  /** Little-endian bytes of the device configuration space (it may change them in place). */
  readonly config: Uint8Array;
  /** A driver's write into the configuration space (ignored when absent). */
  writeConfig?(offset: number, size: number, value: number): void;
  /** The driver's accepted features (legacy: when written; modern: at FEATURES_OK). */
  setFeatures?(features: bigint): void;
  /**
   * Serve one chain of queue `queue`: the number of bytes written into its writable part, or
   * "malformed" when the request itself breaks the device's rules (the device then needs reset).
   */
  serve(queue: number, chain: Chain, mem: GuestMemory): number | "malformed";
  /** Back to the state after power-on (the driver wrote 0 to Status). */
  reset?(): void;
  /**
   * Receive queues: the driver's buffers there wait until the device has something to put in
   * them, so a notification is only news that buffers are available (buffersAvailable), and
   * the device fills them through the transport's `deliver`.
   */
  isReceiveQueue?(queue: number): boolean;
  buffersAvailable?(queue: number): void;
  /** The transport the device is plugged into, for devices that deliver on their own. */
  attach?(transport: VirtioDelivery): void;
}

export interface VirtioDelivery {
  /**
   * Fill the next available buffer of `queue` with `write` (which returns the bytes it wrote)
   * and give it to the driver, with an interrupt if the driver wants one. False when the
   * driver has no buffer there (or the queue is not set up, or the device needs a reset).
   */
  deliver(queue: number, write: (chain: Chain, mem: GuestMemory) => number): boolean;
  /**
   * Fill as many available buffers of `queue` as it takes to hold `bytes` writable bytes (at
   * most `maxChains`), then let `write` fill them (it returns the bytes written into each) and
   * give them all to the driver, with one interrupt if the driver wants one. False, with the
   * buffers left available, when the driver has not made enough buffers available.
   */
  deliverSpanning?(queue: number, bytes: number, maxChains: number, write: (chains: Chain[], mem: GuestMemory) => number[]): boolean;
  /** The device changed its configuration space (link status): a configuration-change interrupt (4.2.2). */
  configChanged?(): void;
}
