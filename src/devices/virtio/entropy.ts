/**
 * virtio-rng (virtio 1.2 section 5.4): one request queue whose device-writable buffers the
 * device fills with entropy from the host (the source is injected: the CLI gives the host's
 * CSPRNG). No features and no configuration space, as QEMU 7.2's hw/virtio/virtio-rng.c.
 */
import type { VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import type { Chain } from "./virtqueue.js";

/** Fills the array with random bytes. */
export type EntropySource = (into: Uint8Array) => void;

export class VirtioEntropy implements VirtioDevice {
  readonly deviceId = 4;
  readonly queueCount = 1;
  /** virtio_rng_device_realize: a queue of 8. */
  queueSize(): number { return 8; }
  readonly features = 0n;
  readonly config = new Uint8Array(0);

  constructor(private readonly source: EntropySource) {}

  serve(_queue: number, chain: Chain, mem: GuestMemory): number | "malformed" {
    // Only the device-writable part is filled; a readable part is ignored, as QEMU's chr_read does.
    let written = 0;
    for (const s of chain.writable) {
      const into = mem.writableView(s.addr, s.length);
      if (!into) break;
      this.source(into);
      written += s.length;
    }
    return written;
  }
}
