/**
 * What joins a guest NIC to a network: Ethernet frames (destination MAC first, no FCS) pass
 * both ways. A NIC (virtio-net, a Xen netback, a hypervisor's virtual switch port) calls
 * `sendFromGuest` with each frame its guest transmits and sets `deliverToGuest` to take the
 * frames for its guest. Backends: QEMU's -netdev kinds (user, socket, stream, dgram) and the
 * ports of a partition switch. Platform-neutral: sockets live behind host adapters in src/cli.
 */
export interface NetBackend {
  /** A frame the guest transmitted. */
  sendFromGuest(frame: Uint8Array): void;
  /** Set by the NIC: called with each frame for the guest. */
  deliverToGuest?: (frame: Uint8Array) => void;
  /** Release host resources (sockets, timers). */
  close?(): void;
}
