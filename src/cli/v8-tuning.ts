/**
 * V8 settings for the emulator's generated code, applied by every Node entry point (CLI,
 * benchmarks) before guest code runs. They live here, not in the core, because the core stays
 * platform-neutral; a browser build runs the same code with the engine's defaults.
 *
 * A compiled block (src/cpu/jit.ts) is a chain of calls to small exec functions. V8's default
 * cumulative inlining budget (920 bytes of bytecode per optimised function) covers about eight
 * of them and leaves the rest as calls; 8000 inlines typical blocks whole (bench-int 80 -> 139 M
 * insns/s, best of five runs; larger budgets measured no better).
 */
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { PerformanceObserver } from "node:perf_hooks";

setFlagsFromString("--max-inlined-bytecode-size-cumulative=8000");

/**
 * The young generation stops growing at 16 MiB (two 8 MiB semi-spaces) instead of V8's 32 MiB:
 * 16 MiB of resident memory less for a whole run. A scavenge costs about the same whatever the
 * size (the emulator's short-lived objects die young), so twice as many of them cost little:
 * Debian's Linux boot, which allocates some 700 MB over its run, went from about 50 to 100.
 * --max-semi-space-size would say the same, but V8 reads it only at start-up, before any
 * script runs; the growth factor it reads at each growth, so once the young generation has
 * reached the size it is set to 1 (checked after each collection).
 */
const YOUNG_GENERATION_BYTES = 16 * 1048576;

const youngGeneration = new PerformanceObserver(() => {
  const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  if (young === undefined || young.space_size >= YOUNG_GENERATION_BYTES) {
    setFlagsFromString("--semi-space-growth-factor=1");
    youngGeneration.disconnect();
  }
});
youngGeneration.observe({ entryTypes: ["gc"] });
