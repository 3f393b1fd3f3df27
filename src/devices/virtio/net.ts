/**
 * virtio-net (virtio 1.2 section 5.1) as QEMU 7.2's virtio-net-device presents it with a
 * backend that has no vnet header of its own (QEMU's user, socket, stream and dgram netdevs;
 * here every NetBackend): hw/net/virtio-net.c virtio_net_get_features then withdraws the
 * checksum and segmentation offloads, so what the driver gets offered is the MAC, the link
 * status, mergeable receive buffers, the control queue with its receive-mode, MAC-table,
 * VLAN-filter, announce and MAC-address commands, and the offloads command (speed and duplex
 * only with the speed= and duplex= properties, which are not modelled: Linux reports them
 * unknown). One queue pair (mq=off), so the queues are receiveq, transmitq and controlq (5.1.2).
 *
 * Frames from the guest lose their virtio_net_hdr and go to the backend; frames for the guest
 * pass the receive filter QEMU applies (virtio_net receive_filter: promiscuous mode, the MAC
 * table, multicast and broadcast modes, the VLAN filter), get a zero header (no offloads were
 * negotiated, so there is nothing to say) and fill one receive buffer, or several when
 * VIRTIO_NET_F_MRG_RXBUF was negotiated (num_buffers says how many). When the driver has no
 * buffers a bounded number of frames wait, as QEMU's queue for a peer does; beyond it they are
 * dropped, as a full NIC drops them.
 */
import type { NetBackend } from "../../net/backend.js";
import { bit, VIRTIO_F_VERSION_1, type VirtioDelivery, type VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { gather, scatter, type Chain } from "./virtqueue.js";

/** 5.1.3 feature bits. */
export const NET_F = {
  CSUM: 0n, GUEST_CSUM: 1n, CTRL_GUEST_OFFLOADS: 2n, MTU: 3n, MAC: 5n, GSO: 6n, GUEST_TSO4: 7n, GUEST_TSO6: 8n, GUEST_ECN: 9n,
  GUEST_UFO: 10n, HOST_TSO4: 11n, HOST_TSO6: 12n, HOST_ECN: 13n, HOST_UFO: 14n, MRG_RXBUF: 15n, STATUS: 16n, CTRL_VQ: 17n,
  CTRL_RX: 18n, CTRL_VLAN: 19n, CTRL_RX_EXTRA: 20n, GUEST_ANNOUNCE: 21n, MQ: 22n, CTRL_MAC_ADDR: 23n, SPEED_DUPLEX: 63n,
} as const;
/** Transport-independent bits QEMU offers every device and legacy drivers take (virtio 1.2 6.3). */
const VIRTIO_F_NOTIFY_ON_EMPTY = 24n, VIRTIO_F_ANY_LAYOUT = 27n;

/** 5.1.4: status bits. */
const VIRTIO_NET_S_LINK_UP = 1;
/** 5.1.6.5 control classes and commands, and the ack. */
const CTRL = { RX: 0, MAC: 1, VLAN: 2, ANNOUNCE: 3, MQ: 4, GUEST_OFFLOADS: 5 } as const;
const RX_PROMISC = 0, RX_ALLMULTI = 1, RX_ALLUNI = 2, RX_NOMULTI = 3, RX_NOUNI = 4, RX_NOBCAST = 5;
const MAC_TABLE_SET = 0, MAC_ADDR_SET = 1, VLAN_ADD = 0, VLAN_DEL = 1, ANNOUNCE_ACK = 0;
const VIRTIO_NET_OK = 0, VIRTIO_NET_ERR = 1;

/** QEMU's MAC_TABLE_ENTRIES: beyond this many addresses the table overflows to "all unicast / all multicast". */
const MAC_TABLE_ENTRIES = 64;
/** QEMU's MAX_VLAN: a bit per 12-bit VLAN id. */
const MAX_VLAN = 1 << 12;
/** Frames waiting for receive buffers before new ones are dropped. */
const MAX_PENDING = 256;
/** Largest frame either way: QEMU's NET_BUFSIZE (a 64 KiB packet and headers). */
export const MAX_FRAME = 4096 + 65536;
/** The receive queue may span a frame over at most this many buffers (VIRTQUEUE_MAX_SIZE). */
const MAX_RX_CHAINS = 1024;

const RX_QUEUE = 0, TX_QUEUE = 1, CTRL_QUEUE = 2;

/** Parse "52:54:00:12:34:56" (QEMU's -device ...,mac= syntax); undefined when it is not one. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-fA-F]{1,2})([:-])([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})$/.exec(text);
  if (!m) return undefined;
  return Uint8Array.from([m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => parseInt(h, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * QEMU's default MACs (net/net.c qemu_macaddr_default_if_unset): NICs without mac= get
 * 52:54:00:12:34:XX with the lowest XX from 0x56 up that no NIC so far has used, where a NIC
 * given a 52:54:00:12:34:XX address marks XX used. Call once per NIC, in creation order.
 */
export class DefaultMacs {
  private readonly used = new Set<number>();

  assign(given: Uint8Array | undefined): Uint8Array {
    const prefix = [0x52, 0x54, 0x00, 0x12, 0x34];
    if (given) {
      if (prefix.every((b, i) => given[i] === b)) this.used.add(given[5]);
      return given;
    }
    let last = 0x56;
    while (this.used.has(last) && last < 0xff) last++;
    this.used.add(last);
    return Uint8Array.from([...prefix, last]);
  }
}

export class VirtioNet implements VirtioDevice {
  readonly deviceId = 1;
  readonly queueCount = 3;
  /** rx_queue_size and tx_queue_size (256), the control queue 64 (virtio_net_device_realize). */
  queueSize(queue: number): number { return queue === 2 ? 64 : 256; }
  readonly features = bit(NET_F.MAC) | bit(NET_F.GSO) | bit(NET_F.MRG_RXBUF) | bit(NET_F.STATUS) | bit(NET_F.CTRL_VQ) |
    bit(NET_F.CTRL_RX) | bit(NET_F.CTRL_VLAN) | bit(NET_F.CTRL_RX_EXTRA) | bit(NET_F.GUEST_ANNOUNCE) | bit(NET_F.CTRL_MAC_ADDR) |
    bit(NET_F.CTRL_GUEST_OFFLOADS) | bit(VIRTIO_F_NOTIFY_ON_EMPTY) | bit(VIRTIO_F_ANY_LAYOUT);
  /**
   * 5.1.4 struct virtio_net_config up to the last field an offered feature needs (QEMU's
   * virtio_net_config_size): mac (MAC) and status (STATUS).
   */
  readonly config = new Uint8Array(8);
  private transport: VirtioDelivery | undefined;
  private negotiated = 0n;
  private pending: Uint8Array[] = [];
  private linkUp = true;
  /** Receive filter state (QEMU's VirtIONet: promisc, allmulti, alluni, nomulti, nouni, nobcast, mac_table, vlans). */
  private promisc = true;
  private allMulti = false;
  private allUni = false;
  private noMulti = false;
  private noUni = false;
  private noBcast = false;
  private unicast: Uint8Array[] = [];
  private multicast: Uint8Array[] = [];
  private uniOverflow = false;
  private multiOverflow = false;
  private readonly vlans = new Uint8Array(MAX_VLAN >> 3);
  /** Frames sent and received, and those dropped (no buffer room, too long, the link down) or filtered out. */
  readonly counters = { txFrames: 0, rxFrames: 0, rxDropped: 0, rxFiltered: 0 };

  constructor(private readonly backend: NetBackend, readonly mac: Uint8Array) {
    if (mac.length !== 6) throw new RangeError("a MAC address has 6 bytes");
    this.writeConfigDefaults();
    backend.deliverToGuest = (frame) => this.receive(frame);
  }

  private writeConfigDefaults(): void {
    const v = new DataView(this.config.buffer);
    this.config.set(this.mac, 0);
    v.setUint16(6, this.linkUp ? VIRTIO_NET_S_LINK_UP : 0, true);
  }

  attach(transport: VirtioDelivery): void {
    this.transport = transport;
  }

  /** virtio_net_reset: the filter back to promiscuous, the MAC as configured, nothing waiting. */
  reset(): void {
    this.promisc = true;
    this.allMulti = this.allUni = this.noMulti = this.noUni = this.noBcast = false;
    this.unicast = []; this.multicast = []; this.uniOverflow = this.multiOverflow = false;
    this.vlans.fill(0);
    this.negotiated = 0n;
    this.pending = [];
    this.writeConfigDefaults();
  }

  setFeatures(features: bigint): void {
    this.negotiated = features;
    // virtio_net_set_features: without the VLAN filter command every VLAN passes.
    this.vlans.fill(features & bit(NET_F.CTRL_VLAN) ? 0 : 0xff);
  }

  private has(f: bigint): boolean {
    return (this.negotiated & bit(f)) !== 0n;
  }

  /**
   * 5.1.6: the header's size. Modern devices (VERSION_1) and legacy ones with mergeable buffers
   * use struct virtio_net_hdr with num_buffers (12 bytes); other legacy ones leave it out (10).
   */
  get headerSize(): number {
    return this.has(VIRTIO_F_VERSION_1) || this.has(NET_F.MRG_RXBUF) ? 12 : 10;
  }

  /**
   * A legacy driver without CTRL_MAC_ADDR sets the MAC by writing the configuration space
   * (virtio_net_set_config); nothing else there is the driver's.
   */
  writeConfig(offset: number, size: number, value: number): void {
    if (this.has(NET_F.CTRL_MAC_ADDR) || this.has(VIRTIO_F_VERSION_1) || offset + size > 6) return;
    for (let i = 0; i < size; i++) this.config[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  /** The address the guest uses now (the configured one, or what it set). */
  get currentMac(): Uint8Array {
    return this.config.subarray(0, 6);
  }

  /** The backend's link (QEMU's set_link): the status field follows, and the driver is told. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    new DataView(this.config.buffer).setUint16(6, up ? VIRTIO_NET_S_LINK_UP : 0, true);
    if (this.has(NET_F.STATUS)) this.transport?.configChanged?.();
  }

  isReceiveQueue(queue: number): boolean {
    return queue === RX_QUEUE;
  }

  buffersAvailable(): void {
    this.flush();
  }

  serve(queue: number, chain: Chain, mem: GuestMemory): number | "malformed" {
    if (queue === TX_QUEUE) return this.transmit(chain, mem);
    if (queue === CTRL_QUEUE) return this.control(chain, mem);
    return 0;
  }

  /** 5.1.6.2: the header, then the frame; the backend gets the frame. */
  private transmit(chain: Chain, mem: GuestMemory): number | "malformed" {
    const data = gather(mem, chain.readable, this.headerSize + MAX_FRAME + 1);
    // QEMU's virtio_error "virtio-net header incorrect": the device needs a reset.
    if (!data || data.length < this.headerSize) return "malformed";
    const frame = data.slice(this.headerSize);
    // Larger than any packet without segmentation offloads (none were offered): dropped.
    if (frame.length > MAX_FRAME || !this.linkUp) return 0;
    this.counters.txFrames++;
    this.backend.sendFromGuest(frame);
    return 0;
  }

  /** A frame from the network for the guest. */
  receive(frame: Uint8Array): void {
    if (frame.length > MAX_FRAME || !this.linkUp) { this.counters.rxDropped++; return; }
    if (!this.accepts(frame)) { this.counters.rxFiltered++; return; }
    if (this.pending.length >= MAX_PENDING) { this.counters.rxDropped++; return; }
    this.pending.push(frame.slice());
    this.flush();
  }

  /** Put waiting frames into the driver's receive buffers while it has any. */
  private flush(): void {
    const t = this.transport;
    if (!t) return;
    while (this.pending.length > 0) {
      const frame = this.pending[0];
      const hdr = this.headerSize;
      let ok: boolean, tooLong = false;
      if (this.has(NET_F.MRG_RXBUF) && t.deliverSpanning) {
        ok = t.deliverSpanning(RX_QUEUE, hdr + frame.length, MAX_RX_CHAINS, (chains, mem) => this.fillMerged(chains, mem, frame));
      } else {
        // One buffer per frame: a frame that does not fit is dropped with its buffer returned
        // unused, as QEMU's virtio_net_receive_rcu unpops it.
        ok = t.deliver(RX_QUEUE, (chain, mem) => {
          const room = chain.writable.reduce((n, s) => n + s.length, 0);
          if (room < hdr + frame.length) { tooLong = true; return 0; }
          const header = new Uint8Array(hdr);
          if (hdr === 12) header[10] = 1; // num_buffers: always 1 without mergeable buffers (5.1.6.4)
          scatter(mem, chain.writable, header);
          return hdr + scatter(mem, chain.writable, frame, hdr);
        });
      }
      if (!ok) return;
      this.pending.shift();
      if (tooLong) this.counters.rxDropped++;
      else this.counters.rxFrames++;
    }
  }

  /** 5.1.6.4.2: the header in the first buffer, with num_buffers = how many buffers the frame took. */
  private fillMerged(chains: Chain[], mem: GuestMemory, frame: Uint8Array): number[] {
    const hdr = this.headerSize;
    const out: number[] = [];
    let at = 0;
    const whole = new Uint8Array(hdr + frame.length);
    whole.set(frame, hdr);
    let used = 0;
    for (const chain of chains) {
      if (at >= whole.length) break;
      const room = chain.writable.reduce((n, s) => n + s.length, 0);
      const n = Math.min(room, whole.length - at);
      out.push(n);
      at += n;
      used++;
    }
    new DataView(whole.buffer).setUint16(10, used, true);
    at = 0;
    for (let i = 0; i < used; i++) {
      scatter(mem, chains[i].writable, whole.subarray(at, at + out[i]));
      at += out[i];
    }
    // Chains popped beyond what the frame needed go back to the driver with nothing in them.
    while (out.length < chains.length) out.push(0);
    return out;
  }

  /**
   * QEMU's receive_filter: promiscuous mode takes everything; else VLAN-tagged frames need
   * their VLAN in the filter, and the destination decides: broadcast unless nobcast,
   * multicast by allmulti / nomulti / the table, unicast by alluni / nouni / our address / the table.
   */
  private accepts(frame: Uint8Array): boolean {
    if (this.promisc) return true;
    if (frame.length < 14) return false;
    if (frame[12] === 0x81 && frame[13] === 0x00 && frame.length >= 16) {
      const vid = ((frame[14] << 8) | frame[15]) & 0xfff;
      if (!(this.vlans[vid >> 3] & (1 << (vid & 7)))) return false;
    }
    const dest = frame.subarray(0, 6);
    if (dest[0] & 1) {
      if (dest.every((b) => b === 0xff)) return !this.noBcast;
      if (this.noMulti) return false;
      if (this.allMulti || this.multiOverflow) return true;
      return this.multicast.some((m) => sameMac(m, dest));
    }
    if (this.noUni) return false;
    if (this.allUni || this.uniOverflow) return true;
    if (sameMac(this.currentMac, dest)) return true;
    return this.unicast.some((m) => sameMac(m, dest));
  }

  /** 5.1.6.5: a command (class, command, data) and the ack byte the device writes. */
  private control(chain: Chain, mem: GuestMemory): number | "malformed" {
    const writable = chain.writable.reduce((n, s) => n + s.length, 0);
    const cmd = gather(mem, chain.readable, 4096);
    // QEMU: "virtio-net ctrl missing headers" is a device error.
    if (!cmd || cmd.length < 2 || writable < 1) return "malformed";
    const status = this.command(cmd[0], cmd[1], cmd.subarray(2));
    return scatter(mem, chain.writable, Uint8Array.of(status));
  }

  private command(cls: number, cmd: number, data: Uint8Array): number {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    switch (cls) {
      case CTRL.RX: {
        if (data.length !== 1) return VIRTIO_NET_ERR;
        const on = data[0] !== 0;
        switch (cmd) {
          case RX_PROMISC: this.promisc = on; break;
          case RX_ALLMULTI: this.allMulti = on; break;
          case RX_ALLUNI: this.allUni = on; break;
          case RX_NOMULTI: this.noMulti = on; break;
          case RX_NOUNI: this.noUni = on; break;
          case RX_NOBCAST: this.noBcast = on; break;
          default: return VIRTIO_NET_ERR;
        }
        return VIRTIO_NET_OK;
      }
      case CTRL.MAC: {
        if (cmd === MAC_ADDR_SET) {
          if (data.length !== 6) return VIRTIO_NET_ERR;
          this.config.set(data, 0);
          return VIRTIO_NET_OK;
        }
        if (cmd !== MAC_TABLE_SET) return VIRTIO_NET_ERR;
        // Two struct virtio_net_ctrl_mac (u32 entries, then the addresses): unicast, then multicast.
        const tables: Uint8Array[][] = [];
        const overflow: boolean[] = [];
        let at = 0;
        for (let t = 0; t < 2; t++) {
          if (at + 4 > data.length) return VIRTIO_NET_ERR;
          const entries = v.getUint32(at, true);
          at += 4;
          if (entries > (data.length - at) / 6) return VIRTIO_NET_ERR;
          const list: Uint8Array[] = [];
          for (let i = 0; i < entries; i++) list.push(data.slice(at + 6 * i, at + 6 * i + 6));
          at += 6 * entries;
          overflow.push(entries > MAC_TABLE_ENTRIES);
          tables.push(entries > MAC_TABLE_ENTRIES ? [] : list);
        }
        if (at !== data.length) return VIRTIO_NET_ERR;
        [this.unicast, this.multicast] = tables;
        [this.uniOverflow, this.multiOverflow] = overflow;
        return VIRTIO_NET_OK;
      }
      case CTRL.VLAN: {
        if (data.length !== 2) return VIRTIO_NET_ERR;
        const vid = v.getUint16(0, true);
        if (vid >= MAX_VLAN) return VIRTIO_NET_ERR;
        if (cmd === VLAN_ADD) this.vlans[vid >> 3] |= 1 << (vid & 7);
        else if (cmd === VLAN_DEL) this.vlans[vid >> 3] &= ~(1 << (vid & 7));
        else return VIRTIO_NET_ERR;
        return VIRTIO_NET_OK;
      }
      case CTRL.ANNOUNCE:
        // Nothing is announced (no migration): the ack is accepted as QEMU accepts it.
        return cmd === ANNOUNCE_ACK && this.has(NET_F.GUEST_ANNOUNCE) ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
      case CTRL.GUEST_OFFLOADS:
        // No guest offloads were offered, so the only setting the driver may ask for is none.
        if (data.length !== 8 || !this.has(NET_F.CTRL_GUEST_OFFLOADS)) return VIRTIO_NET_ERR;
        return v.getUint32(0, true) === 0 && v.getUint32(4, true) === 0 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
      case CTRL.MQ:
      default:
        return VIRTIO_NET_ERR;
    }
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
