/**
 * A bare CPU for unit tests: RAM at 0x40000000 (the `virt` board's RAM base), the shared
 * decoder, the core system registers and the stage-1 MMU, with highest EL 1. No devices.
 */
import { Cpu, type CodeCache } from "../../src/cpu/cpu.js";
import { getDecoder } from "../../src/cpu/isa/index.js";
import { translate } from "../../src/cpu/mmu.js";
import { installSystemRegisters } from "../../src/cpu/isa/system.js";
import { createSysRegTable } from "../../src/cpu/sysregs.js";
import { Bus } from "../../src/memory/bus.js";

export const RAM_BASE = 0x40000000;

export interface TestMachine {
  cpu: Cpu;
  bus: Bus;
}

export function makeCpu(ramSize = 16 * 1024 * 1024): TestMachine {
  const bus = new Bus();
  bus.addRam("ram", RAM_BASE, ramSize);
  const codeCache: CodeCache = new Map();
  // Stores and loads into pages holding pre-decoded code drop those pages, as the board does.
  bus.onCodeWrite((ri, page) => Cpu.invalidateCode(codeCache, bus.rams[ri].base + page * 4096));
  const sysregs = createSysRegTable();
  installSystemRegisters(sysregs, { highestEl: 1, gicv3: false });
  const cpu = new Cpu({
    index: 0, bus, decoder: getDecoder(), sysregs, translate,
    highestEl: 1, mpidr: 0x80000000,
  }, codeCache);
  return { cpu, bus };
}

/** Copy instruction words (little-endian) into RAM at physical address `addr`. */
export function loadWords(m: TestMachine, addr: number, words: ArrayLike<number>): void {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i] >>> 0, true);
  if (!m.bus.load(addr, bytes)) throw new Error(`cannot load ${words.length} words at 0x${addr.toString(16)}`);
}

/** Set PC to `addr` (a 32-bit address) and execute up to `n` instructions; returns the count run. */
export function runAt(m: TestMachine, addr: number, n: number): number {
  m.cpu.pcLo = addr | 0;
  m.cpu.pcHi = 0;
  return m.cpu.run(n);
}
