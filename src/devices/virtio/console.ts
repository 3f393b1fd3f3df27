/**
 * virtio-console (virtio 1.2 section 5.3) as QEMU 7.2's virtio-serial-device with one
 * virtconsole on port 0 (hw/char/virtio-serial-bus.c, hw/char/virtio-console.c): the
 * multiport device with QEMU's 31 ports' worth of queues (a receive and a transmit queue per
 * port, the control pair after port 0's: 5.3.2), the control protocol of 5.3.6.2 (DEVICE_READY
 * answered with a DEVICE_ADD per port, PORT_READY with CONSOLE_PORT and PORT_OPEN as the host
 * side is connected) and the console's output to an injected sink (the chardev). Input to the
 * guest is not modelled: the chardevs here (a file, null) have none.
 */
import { bit, type VirtioDelivery, type VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { gather, scatter, type Chain } from "./virtqueue.js";

/** 5.3.3 feature bits. */
const VIRTIO_CONSOLE_F_MULTIPORT = 1n, VIRTIO_CONSOLE_F_EMERG_WRITE = 2n;
/** virtio-serial-device's max_ports default. */
const MAX_PORTS = 31;
/** 5.3.2: port 0's queues, then the control queues, then ports 1 and up. */
const CONTROL_RX = 2, CONTROL_TX = 3;
/** 5.3.6.2 control events. */
const DEVICE_READY = 0, DEVICE_ADD = 1, PORT_READY = 3, CONSOLE_PORT = 4, PORT_OPEN = 6;
const CONTROL_SIZE = 8;

/** Where the console's bytes go (the chardev); `connected` as QEMU's host_connected. */
export interface ConsoleSink {
  write(bytes: Uint8Array): void;
}

export class VirtioConsole implements VirtioDevice {
  readonly deviceId = 3;
  readonly features = bit(VIRTIO_CONSOLE_F_MULTIPORT) | bit(VIRTIO_CONSOLE_F_EMERG_WRITE);
  readonly queueCount = 2 * (MAX_PORTS + 1);
  /** virtio_serial_device_realize: every queue 128. */
  queueSize(): number { return 128; }
  /** 5.3.4 struct virtio_console_config: cols, rows (0: no size), max_nr_ports, emerg_wr. */
  readonly config = new Uint8Array(12);
  private transport: VirtioDelivery | undefined;
  /** Control messages for the driver, waiting for control receive buffers. */
  private pending: Uint8Array[] = [];

  /** `sink`: the virtconsole's chardev, or undefined for a virtio-serial-device with no port. */
  constructor(private readonly sink: ConsoleSink | undefined) {
    new DataView(this.config.buffer).setUint32(4, MAX_PORTS, true);
  }

  attach(transport: VirtioDelivery): void {
    this.transport = transport;
  }

  reset(): void {
    this.pending = [];
  }

  /** Even queues receive (device to driver): port 0's receiveq, the control receiveq, ports 1.. */
  isReceiveQueue(queue: number): boolean {
    return queue % 2 === 0;
  }

  buffersAvailable(queue: number): void {
    if (queue === CONTROL_RX) this.flushControl();
  }

  /** 5.3.6.2: emergency writes put a character on port 0 without any queue. */
  writeConfig(offset: number, size: number, value: number): void {
    if (offset === 8 && size === 4) this.sink?.write(Uint8Array.of(value & 0xff));
  }

  serve(queue: number, chain: Chain, mem: GuestMemory): number | "malformed" {
    const data = gather(mem, chain.readable);
    if (!data) return "malformed";
    if (queue === 1) this.sink?.write(data); // port 0's transmitq: the console's output
    else if (queue === CONTROL_TX) this.control(data);
    // Other ports' transmit queues: no port there, the bytes go nowhere (QEMU discards them too).
    return 0;
  }

  private control(msg: Uint8Array): void {
    if (msg.length < CONTROL_SIZE) return; // QEMU: "device sent invalid message", ignored
    const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const id = v.getUint32(0, true), event = v.getUint16(4, true), value = v.getUint16(6, true);
    switch (event) {
      case DEVICE_READY:
        if (value === 1 && this.sink) this.send(0, DEVICE_ADD, 1);
        break;
      case PORT_READY:
        // handle_control_message: a console port is announced as one, then opened when the
        // host side is connected (a file or null chardev always is).
        if (value === 1 && id === 0 && this.sink) {
          this.send(0, CONSOLE_PORT, 1);
          this.send(0, PORT_OPEN, 1);
        }
        break;
      default:
        break; // PORT_OPEN from the guest and the rest change nothing here
    }
  }

  private send(id: number, event: number, value: number): void {
    const m = new Uint8Array(CONTROL_SIZE);
    const v = new DataView(m.buffer);
    v.setUint32(0, id, true); v.setUint16(4, event, true); v.setUint16(6, value, true);
    this.pending.push(m);
    this.flushControl();
  }

  private flushControl(): void {
    while (this.pending.length > 0 && this.transport) {
      const m = this.pending[0];
      if (!this.transport.deliver(CONTROL_RX, (chain, mem) => scatter(mem, chain.writable, m))) return;
      this.pending.shift();
    }
  }
}
