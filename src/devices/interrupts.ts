/** What devices see of the interrupt controller: an input line per (CPU, INTID). */
export interface InterruptController {
  /** Drive an interrupt input. `cpu` selects the banked SGI/PPI (INTID < 32); ignored for SPIs. */
  setInput(cpu: number, intid: number, level: boolean): void;
}

/** One interrupt output of a device, bound to an INTID. */
export type IrqLine = (level: boolean) => void;

export function spiLine(gic: InterruptController, spi: number): IrqLine {
  return (level) => gic.setInput(0, 32 + spi, level);
}
