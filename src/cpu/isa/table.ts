/**
 * The declarative A64 instruction table format, in the spirit of QEMU's decodetree.
 *
 * Every instruction is described once, as data: a 32-bit pattern with fixed bits and named
 * fields, an optional guard for unallocated field combinations, an optional `prepare` step that
 * precomputes operands at decode time (decoded bitmask immediates, register slots), the `exec`
 * semantics and the `disasm` text. The same table drives the interpreter, the disassembler used
 * by tracing, a future JIT and the tests, so there is exactly one decoder.
 *
 * Pattern syntax: whitespace-separated tokens whose widths add up to 32, most significant first.
 *   - a run of `0`, `1` or `x` (x: any value, not a field), e.g. `100010`
 *   - `name:N` an unsigned field of N bits, `name:sN` a sign-extended field of N bits
 * Example (ADD/SUB immediate, ARM ARM C4.1.92): "sf:1 op:1 S:1 100010 sh:1 imm12:12 rn:5 rd:5".
 */
import type { Cpu } from "../cpu.js";

/** A pre-decoded instruction: the fields of its pattern plus anything `prepare` adds. */
export interface Decoded {
  /** The raw instruction word (as an unsigned number). */
  word: number;
  def: InsnDef;
  exec: ExecFn;
  // Pattern fields and prepared operands, by name.
  [field: string]: any;
}

export type ExecFn = (cpu: Cpu, d: Decoded) => void;

/**
 * What a compile hook's snippet may use. The block compiler (jit.ts) places snippets in a
 * function where `cpu` is the CPU, `x` is `cpu.x` and `lo` the block's start PC (low word).
 */
export interface CompileContext {
  /** A JS expression for this instruction's PC, low word, as an int32. */
  pcLo: string;
  /** Byte offset of this instruction from the block start (for PC-relative targets). */
  offset: number;
  /** Names bound to this instruction's exec function and Decoded object, for slow paths. */
  exec: string;
  d: string;
  /**
   * The same exec under a name the block compiler does not treat as a sync point: for slow
   * paths that read and write no general register (SIMD&FP arithmetic), so a block keeping
   * general registers in locals need not store and reload them around the call.
   */
  execNoGpr?: string;
  /**
   * For a block's final branch: the statement that jumps to the block start plus a byte offset
   * without going through the PC, when the compiler can take the target as a constant (it lies
   * in the block's page); undefined to set the PC (cpu.branchTo) as exec does.
   */
  jump?: (offset: number) => string | undefined;
}

/**
 * A compile hook: the same semantics as the entry's exec for this decoded instruction, as a JS
 * statement with the operands (register slots, immediates) written in as literals, or
 * undefined to have the block call exec. Literals spare the compiled code the loads of every
 * operand from the Decoded object.
 */
export type CompileFn = (d: Decoded, c: CompileContext) => string | undefined;

export interface InsnDef {
  /** Unique name, e.g. "ADD_imm"; groups use the ARM ARM's instruction names. */
  name: string;
  pattern: string;
  /** Reject field combinations the ARM ARM marks unallocated (they decode as UNDEFINED). */
  guard?: (d: Decoded) => boolean;
  /** Precompute operands at decode time; runs once per decoded instruction. */
  prepare?: (d: Decoded) => void;
  exec: ExecFn;
  /** Optional: exec as generated code for the block compiler (see CompileFn). */
  compile?: CompileFn;
  /** Disassembly in GNU objdump syntax; `pc` is the instruction's address. */
  disasm: (d: Decoded, pc: bigint) => string;
  /** True for instructions that may change control flow (ends a basic block). */
  branch?: boolean;
  /** A load-exclusive: a software step of it reports EX = 1 in the syndrome (ARM ARM D2, "Software Step exceptions"). */
  exclusiveLoad?: boolean;
}

interface Field {
  name: string;
  shift: number;
  width: number;
  signed: boolean;
}

export interface CompiledDef {
  def: InsnDef;
  mask: number;
  value: number;
  fields: Field[];
  fixedBits: number;
}

export function compilePattern(def: InsnDef): CompiledDef {
  let pos = 32;
  let mask = 0;
  let value = 0;
  const fields: Field[] = [];
  for (const tok of def.pattern.trim().split(/\s+/)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*):(s?)(\d+)$/.exec(tok);
    if (m) {
      const width = Number(m[3]);
      pos -= width;
      fields.push({ name: m[1], shift: pos, width, signed: m[2] === "s" });
      continue;
    }
    if (!/^[01x]+$/.test(tok)) throw new Error(`${def.name}: bad pattern token '${tok}'`);
    for (const ch of tok) {
      pos--;
      if (ch !== "x") {
        mask |= 1 << pos;
        if (ch === "1") value |= 1 << pos;
      }
    }
  }
  if (pos !== 0) throw new Error(`${def.name}: pattern is ${32 - pos} bits, not 32`);
  mask >>>= 0;
  value >>>= 0;
  let fixedBits = 0;
  for (let m = mask; m !== 0; m &= m - 1) fixedBits++;
  return { def, mask, value, fields, fixedBits };
}

function extractFields(c: CompiledDef, word: number, d: Decoded): void {
  for (const f of c.fields) {
    let v = (word >>> f.shift) & (f.width === 32 ? -1 : (1 << f.width) - 1);
    if (f.signed && f.width < 32) v = (v << (32 - f.width)) >> (32 - f.width);
    d[f.name] = v;
  }
}

/** Distinct words the decoder keeps shared (see Decoder.decode). */
const DECODE_CACHE_WORDS = 1 << 17;

/**
 * A decoder built from instruction groups. Candidates are bucketed by the top 11 bits of the
 * word; within a bucket the most specific pattern (most fixed bits) wins, then table order.
 * Decoding runs once per distinct word (results are shared between addresses, see decode, and
 * cached per physical page by the CPU), so a short linear scan is fine.
 */
export class Decoder {
  readonly defs: CompiledDef[] = [];
  /**
   * Instructions that never read the PC, raise an exception or end a block (see isa/index.ts);
   * the block compiler places them without any bookkeeping around them. (ADR/ADRP read the PC
   * in exec, but their compile hook always answers, from the block start.)
   */
  readonly straightLine = new Set<InsnDef>();
  private buckets: CompiledDef[][] = [];
  private undefinedDef: InsnDef;

  constructor(groups: InsnDef[][], undefinedDef: InsnDef) {
    this.undefinedDef = undefinedDef;
    const names = new Set<string>();
    for (const g of groups) for (const def of g) {
      if (names.has(def.name)) throw new Error(`duplicate instruction name ${def.name}`);
      names.add(def.name);
      this.defs.push(compilePattern(def));
    }
    // Stable sort: more fixed bits first.
    const order = this.defs.map((c, i) => [c, i] as const);
    order.sort((a, b) => b[0].fixedBits - a[0].fixedBits || a[1] - b[1]);
    const sorted = order.map(([c]) => c);
    for (let top = 0; top < 2048; top++) {
      const w = (top << 21) >>> 0;
      const topMask = 0xffe00000;
      this.buckets.push(sorted.filter(c => ((c.mask & topMask) & (w ^ c.value)) >>> 0 === 0));
    }
  }

  /**
   * Decoded instructions by word (as an int32, a small integer key), shared by every address
   * that holds the word: a Decoded object depends on the word alone (PC-relative operands are
   * offsets; the one field an exec function caches, MRS/MSR's register, is keyed by the table
   * it came from). Linux's boot decodes about 290 000 instructions of 79 000 distinct words;
   * sharing them saves some 40 MB. Emptied when full, which bounds what it keeps alive of pages
   * since dropped (about 170 bytes a word); pages keep the objects they hold.
   */
  private readonly byWord = new Map<number, Decoded>();

  decode(word: number): Decoded {
    const key = word | 0;
    let d = this.byWord.get(key);
    if (d === undefined) {
      d = this.decodeNew(word >>> 0);
      if (this.byWord.size >= DECODE_CACHE_WORDS) this.byWord.clear();
      this.byWord.set(key, d);
    }
    return d;
  }

  private decodeNew(word: number): Decoded {
    const bucket = this.buckets[word >>> 21];
    for (const c of bucket) {
      if (((word & c.mask) >>> 0) !== c.value) continue;
      const d: Decoded = { word, def: c.def, exec: c.def.exec };
      extractFields(c, word, d);
      if (c.def.guard && !c.def.guard(d)) continue;
      if (c.def.prepare) c.def.prepare(d);
      return d;
    }
    return { word, def: this.undefinedDef, exec: this.undefinedDef.exec };
  }
}
