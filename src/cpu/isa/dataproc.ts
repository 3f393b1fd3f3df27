/**
 * The A64 integer data-processing instructions (ARM ARM C4.1 encoding index, "Data Processing --
 * Immediate" and "Data Processing -- Register"), in three parts: add/subtract, compare and select;
 * logical, move, bitfield and extract; multiply, divide, shift, bit operations and CRC.
 */
import { arithGroup } from "./dataproc-arith.js";
import { logicGroup } from "./dataproc-logic.js";
import { miscGroup } from "./dataproc-misc.js";
import type { InsnDef } from "./table.js";

export const dataProcGroup: InsnDef[] = [...arithGroup, ...logicGroup, ...miscGroup];
