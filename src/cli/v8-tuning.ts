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
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--max-inlined-bytecode-size-cumulative=8000");
