/**
 * ARM PrimeCell PL011 UART (DDI 0183). Transmission is instantaneous: each byte written to
 * UARTDR goes to the host sink at once and raises the TX interrupt, as in QEMU's pl011.c.
 * Received bytes come from a host queue into the RX FIFO (16 entries when LCR_H.FEN, else 1).
 * The single combined interrupt output is (RIS & IMSC) != 0.
 */
import type { MmioDevice } from "../memory/bus.js";
import type { IrqLine } from "./interrupts.js";

const FR_RXFE = 0x10, FR_TXFF = 0x20, FR_RXFF = 0x40, FR_TXFE = 0x80;
const INT_RX = 0x10, INT_TX = 0x20;
const LCR_FEN = 0x10;
const FIFO_DEPTH = 16;
/** UARTPeriphID0-3 and UARTPCellID0-3 at 0xFE0-0xFFC (DDI 0183 3.3.x; QEMU's "arm" variant). */
const IDS = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export class Pl011 implements MmioDevice {
  readonly name = "pl011";
  private rxFifo: number[] = [];
  private hostQueue: number[] = [];
  private lcr = 0;
  private cr = 0x300; // TXE | RXE
  private ibrd = 0;
  private fbrd = 0;
  private ifls = 0x12;
  private ilpr = 0;
  private dmacr = 0;
  private imsc = 0;
  private ris = 0;
  private irqLevel = false;

  constructor(private readonly transmit: (byte: number) => void, private readonly irq: IrqLine) {}

  /** Bytes from the host (keyboard, pipe) waiting for room in the RX FIFO. */
  receive(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.hostQueue.push(bytes[i] & 0xff);
    this.fillRx();
  }

  /** Bytes the guest has not yet taken in. */
  get pendingInput(): number {
    return this.hostQueue.length + this.rxFifo.length;
  }

  private get depth(): number {
    return this.lcr & LCR_FEN ? FIFO_DEPTH : 1;
  }

  private fillRx(): void {
    while (this.hostQueue.length > 0 && this.rxFifo.length < this.depth) this.rxFifo.push(this.hostQueue.shift()!);
    if (this.rxFifo.length > 0) this.ris |= INT_RX;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.ris & this.imsc) !== 0;
    if (level !== this.irqLevel) { this.irqLevel = level; this.irq(level); }
  }

  read(offset: number): number {
    if (offset >= 0xfe0 && offset < 0x1000) return IDS[(offset - 0xfe0) >> 2];
    switch (offset & ~3) {
      case 0x000: {
        const c = this.rxFifo.shift();
        if (this.rxFifo.length === 0) this.ris &= ~INT_RX;
        this.fillRx();
        return c ?? 0;
      }
      case 0x004: return 0; // UARTRSR: no receive errors
      case 0x018: {
        let fr = FR_TXFE; // transmit is immediate: never full, always empty
        if (this.rxFifo.length === 0) fr |= FR_RXFE;
        if (this.rxFifo.length >= this.depth) fr |= FR_RXFF;
        return fr & ~FR_TXFF;
      }
      case 0x020: return this.ilpr;
      case 0x024: return this.ibrd;
      case 0x028: return this.fbrd;
      case 0x02c: return this.lcr;
      case 0x030: return this.cr;
      case 0x034: return this.ifls;
      case 0x038: return this.imsc;
      case 0x03c: return this.ris;
      case 0x040: return this.ris & this.imsc;
      case 0x048: return this.dmacr;
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    switch (offset & ~3) {
      case 0x000:
        this.transmit(value & 0xff);
        this.ris |= INT_TX;
        break;
      case 0x004: break; // UARTECR: clear errors
      case 0x020: this.ilpr = value & 0xff; break;
      case 0x024: this.ibrd = value & 0xffff; break;
      case 0x028: this.fbrd = value & 0x3f; break;
      case 0x02c: {
        // Changing FEN resets the FIFO's level; QEMU likewise re-derives the trigger.
        this.lcr = value & 0xff;
        while (this.rxFifo.length > this.depth) this.hostQueue.unshift(this.rxFifo.pop()!);
        this.fillRx();
        break;
      }
      case 0x030: this.cr = value & 0xffff; break;
      case 0x034: this.ifls = value & 0x3f; break;
      case 0x038: this.imsc = value & 0x7ff; break;
      case 0x044: this.ris &= ~value; break;
      case 0x048: this.dmacr = value & 7; break;
      default: return;
    }
    this.updateIrq();
  }
}
