/**
 * Advanced SIMD data processing (ARM ARM C4.1.6), split by encoding class:
 * simd-int.ts (three same/different, two-register misc, across lanes), simd-shift.ts (shift by
 * immediate, integer by element), simd-perm.ts (immediates, copy, permute, EXT, TBL/TBX) and
 * simd-fp.ts (floating-point vector and scalar forms).
 */
import type { InsnDef } from "./table.js";
import { simdIntGroup } from "./simd-int.js";
import { simdShiftGroup } from "./simd-shift.js";
import { simdPermGroup } from "./simd-perm.js";
import { simdFpGroup } from "./simd-fp.js";

export const simdGroup: InsnDef[] = [...simdIntGroup, ...simdShiftGroup, ...simdPermGroup, ...simdFpGroup];
