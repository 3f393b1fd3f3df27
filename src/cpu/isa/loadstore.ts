/**
 * Loads and stores (ARM ARM C4.1.66): single registers, pairs, exclusives and ordered accesses,
 * and Advanced SIMD structures. ARMv8.1 atomics (LDADD, SWP, CAS, ...) are not implemented by a
 * Cortex-A53 and decode as UNDEFINED.
 */
import type { InsnDef } from "./table.js";
import { loadStoreExclusiveGroup } from "./loadstore-exclusive.js";
import { loadStorePairGroup } from "./loadstore-pair.js";
import { loadStoreSingleGroup } from "./loadstore-single.js";
import { loadStoreStructGroup } from "./loadstore-struct.js";

export const loadStoreGroup: InsnDef[] = [
  ...loadStoreSingleGroup,
  ...loadStorePairGroup,
  ...loadStoreExclusiveGroup,
  ...loadStoreStructGroup,
];
