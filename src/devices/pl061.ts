/**
 * ARM PrimeCell PL061 GPIO (DDI 0190). Nothing drives its inputs yet (QEMU wires line 3 to the
 * power button); the registers exist so drivers probe it: GPIODATA is address-masked by
 * bits [9:2] of the offset (DDI 0190 3.3.1). Output lines (GPIODIR bit set) drive `onOutput`
 * with their GPIODATA bit; lines configured as inputs read as pulled low there, as QEMU's virt
 * board configures its secure PL061 (power-off on line 0, reset on line 1).
 */
import type { MmioDevice } from "../memory/bus.js";

const IDS = [0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export class Pl061 implements MmioDevice {
  readonly name = "pl061";
  private data = 0;
  /** DIR, IS, IBE, IEV, IE at 0x400-0x410; AFSEL at 0x420. */
  private regs = new Uint8Array(9);
  private out = 0;

  constructor(private readonly onOutput?: (line: number, level: boolean) => void) {}

  /** Report output lines whose level changed (DDI 0190 2.2: GPIODIR selects outputs). */
  private updateOutputs(): void {
    if (!this.onOutput) return;
    const out = this.data & this.regs[0];
    const changed = out ^ this.out;
    this.out = out;
    for (let line = 0; line < 8; line++) if (changed & (1 << line)) this.onOutput(line, (out & (1 << line)) !== 0);
  }

  read(offset: number): number {
    if (offset >= 0xfe0 && offset < 0x1000) return IDS[(offset - 0xfe0) >> 2];
    if (offset < 0x400) return this.data & this.regs[0] & ((offset >> 2) & 0xff);
    const i = ((offset & ~3) - 0x400) >> 2;
    if (i === 5 || i === 6) return 0; // RIS, MIS: no input ever changes
    return i >= 0 && i < this.regs.length && i !== 7 ? this.regs[i] : 0;
  }

  write(offset: number, _size: number, value: number): void {
    if (offset < 0x400) {
      const mask = (offset >> 2) & 0xff & this.regs[0];
      this.data = (this.data & ~mask) | (value & mask);
      this.updateOutputs();
      return;
    }
    const i = ((offset & ~3) - 0x400) >> 2;
    if (i >= 0 && i < this.regs.length && i !== 5 && i !== 6 && i !== 7) this.regs[i] = value & 0xff;
    if (i === 0) this.updateOutputs();
  }
}
