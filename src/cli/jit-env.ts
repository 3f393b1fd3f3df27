/**
 * Block-compiler thresholds from the environment, for experiments and tests (the core takes them
 * as configuration, CpuConfig.jit, and reads no environment itself):
 *
 *   TESSERA_JIT_THRESHOLD=N           compile a block after N executions of its start (loops
 *                                     and all others); 1 compiles every block on first use (to
 *                                     test compiled code against QEMU with short programs), 0
 *                                     disables compilation
 *   TESSERA_JIT_STRAIGHT_THRESHOLD=N  the same for blocks that do not loop, overriding the above
 *
 * A value that is not a non-negative integer is ignored (the default stays).
 */
import type { JitThresholds } from "../cpu/cpu.js";

export function jitThresholdsFromEnvironment(env: Record<string, string | undefined>): Partial<JitThresholds> {
  const loops = count(env.TESSERA_JIT_THRESHOLD);
  const straight = env.TESSERA_JIT_STRAIGHT_THRESHOLD !== undefined ? count(env.TESSERA_JIT_STRAIGHT_THRESHOLD) : loops;
  const out: Partial<JitThresholds> = {};
  if (loops !== undefined) out.loops = loops;
  if (straight !== undefined) out.straight = straight;
  return out;
}

function count(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
