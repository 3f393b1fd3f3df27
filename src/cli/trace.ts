/**
 * `-d exec,int`: an instruction trace (one line per instruction: CPU, EL, PC, disassembly) and
 * an exception trace (vector taken, ESR, ELR, FAR), written as the board runs.
 */
import { Access, type Cpu, type Translation } from "../cpu/cpu.js";
import { disassemble } from "../cpu/isa/index.js";
import { translate } from "../cpu/mmu.js";
import { SR } from "../cpu/sysregs.js";
import { hex64 } from "../cpu/u64.js";
import type { VirtBoard } from "../board/virt.js";

export function installTracing(board: VirtBoard, what: { exec: boolean; int: boolean }, write: (line: string) => void): void {
  const tr: Translation = { pa: 0, fault: -1, faultS2: false, cacheable: true };
  for (const cpu of board.cpus) {
    if (what.exec) {
      // The board runs one instruction per turn when tracing; log each before it executes.
      const run = cpu.run.bind(cpu);
      cpu.run = (budget: number) => {
        if (!cpu.halted && !cpu.off) write(traceLine(cpu, tr));
        return run(budget);
      };
    }
    if (what.int) {
      const enter = cpu.enterException.bind(cpu);
      cpu.enterException = (...args: Parameters<Cpu["enterException"]>) => {
        const [target, vec, retLo, retHi, ec, iss] = args;
        enter(...args);
        const kind = vec === 0 ? "sync" : vec === 0x80 ? "irq" : vec === 0x100 ? "fiq" : "serror";
        const far = target === 1 ? SR.FAR_EL1 : SR.FAR_EL2;
        write(`cpu${cpu.index}: taking ${kind} exception to EL${target}` +
          (ec >= 0 ? ` ESR=0x${(((ec << 26) | (1 << 25) | (iss & 0x1ffffff)) >>> 0).toString(16)}` : "") +
          ` ELR=0x${hex64(retLo, retHi)} FAR=0x${hex64(cpu.sr[far * 2], cpu.sr[far * 2 + 1])} -> PC=0x${hex64(cpu.pcLo, cpu.pcHi)}`);
      };
    }
  }
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
