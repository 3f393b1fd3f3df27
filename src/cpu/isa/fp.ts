/** Instruction group (being written): see index.ts for how groups form the decoder. */
import type { InsnDef } from "./table.js";

export const fpGroup: InsnDef[] = [];
