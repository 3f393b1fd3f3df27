/**
 * A learning Ethernet switch (IEEE 802.1D's transparent bridge, without spanning tree or
 * ageing by time) joining NICs: each port is a NetBackend a NIC sends into. The switch learns
 * which port each source MAC address is behind; a frame to a learnt unicast address goes to
 * that port only, a frame to an unknown address, to broadcast or to a multicast group is
 * flooded to every other port. Frames are copied on the way, so a sender cannot change a frame
 * after it is sent, and each receiving NIC writes only into its own guest's memory.
 *
 * The table is bounded: a guest that makes up source addresses cannot grow the host's memory;
 * once full, the oldest entry makes room (frames to it are then flooded, which is still correct).
 */
import type { NetBackend } from "./backend.js";

/** Entries the MAC table holds (a switch chip's few thousand). */
export const MAC_TABLE_SIZE = 4096;
/** Shortest frame with a header: destination, source, EtherType. */
const ETHER_HEADER = 14;

export class SwitchPort implements NetBackend {
  deliverToGuest?: (frame: Uint8Array) => void;
  /** Whether the NIC behind the port takes frames now (its partition runs); frames for it are dropped otherwise. */
  enabled = true;
  /** Frames in and out, for the hypervisor's stats. */
  readonly counters = { fromGuest: 0, toGuest: 0 };

  constructor(private readonly owner: VirtualSwitch, readonly index: number, readonly name: string) {}

  sendFromGuest(frame: Uint8Array): void {
    this.counters.fromGuest++;
    this.owner.forward(this, frame);
  }

  deliver(frame: Uint8Array): void {
    if (!this.enabled || !this.deliverToGuest) return;
    this.counters.toGuest++;
    this.deliverToGuest(frame);
  }
}

export class VirtualSwitch {
  readonly ports: SwitchPort[] = [];
  /** MAC address (as a 48-bit number) to the port it was last seen on; Map keeps insertion order for eviction. */
  private readonly table = new Map<number, SwitchPort>();
  /** Frames dropped as too short to have a header. */
  runts = 0;

  constructor(readonly name: string) {}

  addPort(name: string): SwitchPort {
    const port = new SwitchPort(this, this.ports.length, name);
    this.ports.push(port);
    return port;
  }

  /** Forget what was learnt behind a port (its NIC was reset or its partition restarted). */
  forgetPort(port: SwitchPort): void {
    for (const [mac, p] of this.table) if (p === port) this.table.delete(mac);
  }

  /** Where the switch has seen `mac` (for tests and HV> output). */
  portOf(mac: Uint8Array): SwitchPort | undefined {
    return this.table.get(macKey(mac, 0));
  }

  forward(from: SwitchPort, frame: Uint8Array): void {
    if (frame.length < ETHER_HEADER) { this.runts++; return; }
    const copy = frame.slice();
    // Learn the source, unless it is a group address (no station sends from one).
    if (!(copy[6] & 1)) {
      const src = macKey(copy, 6);
      if (this.table.get(src) !== from) {
        this.table.delete(src);
        if (this.table.size >= MAC_TABLE_SIZE) this.table.delete(this.table.keys().next().value!);
        this.table.set(src, from);
      }
    }
    if (!(copy[0] & 1)) {
      const to = this.table.get(macKey(copy, 0));
      if (to) {
        // Known: to that port only (a frame for a station on the sender's own port goes nowhere).
        if (to !== from) to.deliver(copy);
        return;
      }
    }
    for (const p of this.ports) if (p !== from) p.deliver(copy);
  }
}

function macKey(bytes: Uint8Array, at: number): number {
  return bytes[at] * 2 ** 40 + bytes[at + 1] * 2 ** 32 + ((bytes[at + 2] << 24) >>> 0) + (bytes[at + 3] << 16) + (bytes[at + 4] << 8) + bytes[at + 5];
}
