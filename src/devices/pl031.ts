/**
 * ARM PrimeCell PL031 real-time clock (DDI 0224): a seconds counter. Here it counts from a
 * host-supplied start time plus the board's virtual time, so runs stay reproducible when the
 * host passes a fixed start. The match interrupt is level-sensitive (RTCRIS & RTCIMSC).
 */
import type { MmioDevice } from "../memory/bus.js";
import type { IrqLine } from "./interrupts.js";

const IDS = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export class Pl031 implements MmioDevice {
  readonly name = "pl031";
  private offset: number;
  private match = 0;
  private imsc = 0;
  private ris = 0;

  constructor(startSeconds: number, private readonly elapsedSeconds: () => number, private readonly irq: IrqLine) {
    this.offset = Math.floor(startSeconds);
  }

  private now(): number {
    return (this.offset + Math.floor(this.elapsedSeconds())) >>> 0;
  }

  /** Raise the match interrupt when the counter reached RTCMR (checked by the board periodically). */
  poll(): void {
    if (this.now() === this.match) this.ris = 1;
    this.irq((this.ris & this.imsc) !== 0);
  }

  read(offset: number): number {
    if (offset >= 0xfe0 && offset < 0x1000) return IDS[(offset - 0xfe0) >> 2];
    switch (offset & ~3) {
      case 0x00: return this.now();
      case 0x04: return this.match;
      case 0x08: return this.now();
      case 0x0c: return 1; // RTCCR.RTCStart: always running
      case 0x10: return this.imsc;
      case 0x14: return this.ris;
      case 0x18: return this.ris & this.imsc;
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    switch (offset & ~3) {
      case 0x04: this.match = value >>> 0; break;
      case 0x08: this.offset = (value >>> 0) - Math.floor(this.elapsedSeconds()); break;
      case 0x10: this.imsc = value & 1; break;
      case 0x1c: this.ris &= ~value; break;
      default: return;
    }
    this.irq((this.ris & this.imsc) !== 0);
  }
}
