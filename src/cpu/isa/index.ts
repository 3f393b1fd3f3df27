/**
 * The A64 instruction table: every group's definitions, compiled into one decoder shared by
 * the interpreter, the disassembler (tracing) and the tests.
 */
import { branchGroup } from "./branch.js";
import { dataProcGroup } from "./dataproc.js";
import { fpGroup } from "./fp.js";
import { loadStoreGroup } from "./loadstore.js";
import { simdGroup } from "./simd.js";
import { systemGroup } from "./system.js";
import { Decoder, type InsnDef } from "./table.js";

/** Anything not in the table: UNDEFINED (ARM ARM C1.? "unallocated encodings"). */
export const undefinedInsn: InsnDef = {
  name: "UNDEFINED", pattern: "x".repeat(32),
  exec: (cpu) => cpu.undefinedInstruction(),
  disasm: (d) => `.inst\t0x${(d.word >>> 0).toString(16).padStart(8, "0")} ; undefined`,
};

export const allGroups: InsnDef[][] = [branchGroup, dataProcGroup, loadStoreGroup, systemGroup, fpGroup, simdGroup];

let shared: Decoder | undefined;

/** The decoder (built once; it is immutable and shared by all CPUs). */
export function getDecoder(): Decoder {
  if (shared) return shared;
  shared = new Decoder(allGroups, undefinedInsn);
  // Integer data processing only computes on registers and NZCV (ADR/ADRP read the PC, but
  // their compile hook takes it from the block start, so compiled code never calls their exec).
  for (const def of dataProcGroup) shared.straightLine.add(def);
  return shared;
}

/** Disassemble one instruction word at address `pc`, GNU objdump style. */
export function disassemble(word: number, pc: bigint = 0n): string {
  const d = getDecoder().decode(word);
  return d.def.disasm(d, pc);
}
