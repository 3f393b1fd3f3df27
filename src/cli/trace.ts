/**
 * `-d exec,int`: an instruction trace (one line per instruction: CPU, EL, PC, disassembly) and
 * an exception trace (vector taken, ESR, ELR, FAR), written as the board runs. Both come from a
 * CpuObserver (src/cpu/platform.ts) attached to every CPU; with `exec` each CPU then executes
 * one instruction per turn, so lines interleave in execution order.
 */
import { Access, type Cpu, type Translation } from "../cpu/cpu.js";
import { disassemble } from "../cpu/isa/index.js";
import { translate } from "../cpu/mmu.js";
import { VectorOffset, type CpuObserver } from "../cpu/platform.js";
import { hex64 } from "../cpu/u64.js";
import type { VirtBoard } from "../boards/virt/virt.js";

export function installTracing(board: VirtBoard, what: { exec: boolean; int: boolean }, write: (line: string) => void): void {
  const tr: Translation = { pa: 0, fault: -1, faultS2: false, cacheable: true };
  const observer: CpuObserver = {};
  if (what.exec) observer.onInstruction = (cpu) => write(traceLine(cpu, tr));
  if (what.int) {
    observer.onException = (cpu, target, vector, esr, elr, far) => {
      const kind = vector === VectorOffset.Sync ? "sync" : vector === VectorOffset.Irq ? "irq" : vector === VectorOffset.Fiq ? "fiq" : "serror";
      write(`cpu${cpu.index}: taking ${kind} exception to EL${target}` +
        (esr !== undefined ? ` ESR=0x${esr.toString(16)}` : "") +
        ` ELR=0x${hex64Big(elr)} FAR=0x${hex64Big(far)} -> PC=0x${hex64(cpu.pcLo, cpu.pcHi)}`);
    };
  }
  for (const cpu of board.cpus) cpu.observe(observer);
}

function hex64Big(v: bigint): string {
  return v.toString(16).padStart(16, "0");
}

function traceLine(cpu: Cpu, tr: Translation): string {
  const pc = `0x${hex64(cpu.pcLo, cpu.pcHi)}`;
  translate(cpu, cpu.pcLo, cpu.pcHi, Access.Exec, cpu.el, tr);
  let text = "<unmapped>";
  if (tr.fault < 0) {
    const word = cpu.bus.read(tr.pa, 4, cpu.index);
    if (typeof word === "number") {
      text = `${word.toString(16).padStart(8, "0")}  ${disassemble(word, (BigInt(cpu.pcHi >>> 0) << 32n) | BigInt(cpu.pcLo >>> 0))}`;
    }
  }
  return `cpu${cpu.index} EL${cpu.el} ${pc}: ${text}`;
}
