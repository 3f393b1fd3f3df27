/**
 * ARM SP805 watchdog (ARM DDI 0270B): a down-counter at WDOGCLK loaded from WdogLoad. When it
 * reaches zero the interrupt is raised and the counter reloads; reaching zero again with the
 * interrupt still raised asserts the reset output if RESEN is set. Software kicks it by writing
 * WdogIntClr, which clears the interrupt and reloads. Registers are write-protected until
 * 0x1ACCE551 is written to WdogLock. Time comes from the caller (`now`, in WDOGCLK cycles), and
 * the owner polls it: it has no timer of its own.
 */
import type { MmioDevice } from "../memory/bus.js";
import type { IrqLine } from "./interrupts.js";

const UNLOCK_KEY = 0x1acce551;
const INTEN = 1, RESEN = 2;
/** PeriphID0-3 and PCellID0-3 (DDI 0270B 3.3.9-3.3.10). */
const IDS = [0x05, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export class Sp805 implements MmioDevice {
  readonly name = "sp805";
  private load = 0xffffffff;
  private control = 0;
  private ris = 0;
  private locked = false;
  /** WDOGCLK time of the last reload. */
  private reloadedAt = 0;
  /** The reset output fired (until the owner takes it). */
  resetAsserted = false;

  constructor(private readonly now: () => number, private readonly irq: IrqLine) {}

  /** Start counting from `load` with the interrupt and reset enabled, as a watchdog armed at power-on. */
  arm(load: number): void {
    this.load = load >>> 0;
    this.control = INTEN | RESEN;
    this.reloadedAt = this.now();
  }

  private get value(): number {
    if (!(this.control & INTEN)) return this.load;
    return Math.max(0, this.load - (this.now() - this.reloadedAt)) >>> 0;
  }

  /** Advance to the current time: interrupt at the first expiry, reset at the second. */
  poll(): void {
    if (!(this.control & INTEN) || this.load === 0) return;
    while (this.now() - this.reloadedAt >= this.load) {
      this.reloadedAt += this.load;
      if (this.ris && (this.control & RESEN)) { this.resetAsserted = true; break; }
      this.ris = 1;
    }
    this.irq(this.ris === 1);
  }

  read(offset: number): number {
    if (offset >= 0xfe0 && offset < 0x1000) return IDS[(offset - 0xfe0) >> 2];
    switch (offset & ~3) {
      case 0x000: return this.load;
      case 0x004: return this.value;
      case 0x008: return this.control;
      case 0x010: return this.ris;
      case 0x014: return this.ris & (this.control & INTEN);
      case 0xc00: return this.locked ? 1 : 0;
      default: return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    if ((offset & ~3) === 0xc00) { this.locked = value >>> 0 !== UNLOCK_KEY; return; }
    if (this.locked) return;
    switch (offset & ~3) {
      case 0x000: this.load = value >>> 0; this.reloadedAt = this.now(); break;
      case 0x008: {
        const was = this.control & INTEN;
        this.control = value & 3;
        if (!was && (this.control & INTEN)) this.reloadedAt = this.now();
        break;
      }
      case 0x00c: this.ris = 0; this.reloadedAt = this.now(); break;
      default: return;
    }
    this.irq(this.ris === 1 && (this.control & INTEN) !== 0);
  }
}
