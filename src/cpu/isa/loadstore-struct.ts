/**
 * Advanced SIMD structure loads and stores (ARM ARM C4.1.66 "Advanced SIMD load/store multiple
 * structures" and "single structure", with their post-indexed forms): LD1-LD4/ST1-ST4 of whole
 * registers (LD1/ST1 with one to four registers), LD1-LD4/ST1-ST4 of one lane, and LD1R-LD4R.
 *
 * Loads gather every byte from memory into a scratch block first and only then scatter it into
 * the registers, so a fault part-way leaves the registers and the base unchanged. Stores gather
 * the registers into the block and then write memory in order.
 */
import type { Cpu } from "../cpu.js";
import type { Decoded, ExecFn, InsnDef } from "./table.js";
import { xreg, xregSp } from "./util.js";
import { spAlignmentCheck } from "./loadstore-common.js";

/** Scratch block: at most 4 registers x 16 bytes move per instruction. */
const block = new ArrayBuffer(64);
const b8 = new Uint8Array(block);
const b32 = new Int32Array(block);
const bview = new DataView(block);

/**
 * Move `bytes` between memory at (lo, hi) and the block, as elements of `ebytes` bytes (the
 * architectural access size, which alignment checking applies to, ARM ARM B2.5.2). When SCTLR.A
 * is clear, or the block is doubleword aligned, doubleword accesses are equivalent and faster.
 */
function readBlock(cpu: Cpu, lo: number, hi: number, bytes: number, ebytes: number): void {
  const step = (!cpu.strictAlign || (lo & 7) === 0) && (bytes & 7) === 0 ? 8 : ebytes;
  for (let o = 0; o < bytes; o += step) {
    const s = (lo >>> 0) + o;
    const alo = s | 0, ahi = s > 0xffffffff ? (hi + 1) | 0 : hi;
    switch (step) {
      case 1: b8[o] = cpu.read8(alo, ahi); break;
      case 2: bview.setUint16(o, cpu.read16(alo, ahi), true); break;
      case 4: b32[o >> 2] = cpu.read32(alo, ahi); break;
      default: b32[o >> 2] = cpu.read64(alo, ahi); b32[(o >> 2) + 1] = cpu.ldHi; break;
    }
  }
}

function writeBlock(cpu: Cpu, lo: number, hi: number, bytes: number, ebytes: number): void {
  const step = (!cpu.strictAlign || (lo & 7) === 0) && (bytes & 7) === 0 ? 8 : ebytes;
  for (let o = 0; o < bytes; o += step) {
    const s = (lo >>> 0) + o;
    const alo = s | 0, ahi = s > 0xffffffff ? (hi + 1) | 0 : hi;
    switch (step) {
      case 1: cpu.write8(alo, ahi, b8[o]); break;
      case 2: cpu.write16(alo, ahi, bview.getUint16(o, true)); break;
      case 4: cpu.write32(alo, ahi, b32[o >> 2]); break;
      default: cpu.write64(alo, ahi, b32[o >> 2], b32[(o >> 2) + 1]); break;
    }
  }
}

/** Common start: FP trap, SP alignment, base address into (baseLo, baseHi). */
let baseLo = 0, baseHi = 0;
function begin(cpu: Cpu, d: Decoded): void {
  if (!cpu.fpEnabled) cpu.fpTrap();
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  baseLo = x[n2]; baseHi = x[n2 + 1];
}

/** Post-index writeback: base += the transfer size (Rm = 31) or Xm. */
function writeback(cpu: Cpu, d: Decoded): void {
  const x = cpu.x, n2 = d.n * 2;
  if (d.rm === 31) {
    const s = (baseLo >>> 0) + d.bytes;
    x[n2] = s | 0; x[n2 + 1] = s > 0xffffffff ? (baseHi + 1) | 0 : baseHi;
  } else {
    const m2 = d.rm * 2;
    const s = (baseLo >>> 0) + (x[m2] >>> 0);
    x[n2] = s | 0; x[n2 + 1] = (baseHi + x[m2 + 1] + (s > 0xffffffff ? 1 : 0)) | 0;
  }
}

/**
 * Multiple structures (ARM ARM C6.3 LD1..LD4 (multiple structures)): element e of structure
 * member s in repetition r sits at byte ((r * elements + e) * selem + s) * ebytes and belongs to
 * register t + r + s (modulo 32). A 64-bit arrangement clears the upper half of each register.
 */
const execMulti: ExecFn = (cpu, d) => {
  begin(cpu, d);
  const rpt = d.rpt, selem = d.selem, eb = d.ebytes, elements = d.elements, t = d.rt;
  const v8 = cpu.v8;
  if (d.L) {
    readBlock(cpu, baseLo, baseHi, d.bytes, eb);
    if (!d.Q) for (let i = 0; i < rpt * selem; i++) {
      const r = (t + i) & 31;
      cpu.v32[r * 4 + 2] = 0; cpu.v32[r * 4 + 3] = 0;
    }
    if (selem === 1) {
      // LD1: registers are consecutive slices of the block.
      const rb = elements * eb;
      for (let r = 0; r < rpt; r++) {
        const dst = ((t + r) & 31) * 16, src = r * rb;
        for (let i = 0; i < rb; i++) v8[dst + i] = b8[src + i];
      }
    } else {
      let offs = 0;
      for (let e = 0; e < elements; e++) {
        for (let s = 0; s < selem; s++) {
          const dst = ((t + s) & 31) * 16 + e * eb;
          for (let i = 0; i < eb; i++) v8[dst + i] = b8[offs + i];
          offs += eb;
        }
      }
    }
  } else {
    if (selem === 1) {
      const rb = elements * eb;
      for (let r = 0; r < rpt; r++) {
        const src = ((t + r) & 31) * 16, dst = r * rb;
        for (let i = 0; i < rb; i++) b8[dst + i] = v8[src + i];
      }
    } else {
      let offs = 0;
      for (let e = 0; e < elements; e++) {
        for (let s = 0; s < selem; s++) {
          const src = ((t + s) & 31) * 16 + e * eb;
          for (let i = 0; i < eb; i++) b8[offs + i] = v8[src + i];
          offs += eb;
        }
      }
    }
    writeBlock(cpu, baseLo, baseHi, d.bytes, eb);
  }
  if (d.post) writeback(cpu, d);
};

/**
 * Single structure (ARM ARM C6.3 LD1..LD4 (single structure), LD1R..LD4R): member s is the
 * element at byte s * ebytes and goes to lane `index` of register t + s, the rest of the
 * register unchanged; the replicating forms fill every lane (64-bit arrangements clear the top).
 */
const execSingle: ExecFn = (cpu, d) => {
  begin(cpu, d);
  const selem = d.selem, eb = d.ebytes, t = d.rt, v8 = cpu.v8;
  if (d.L) {
    readBlock(cpu, baseLo, baseHi, d.bytes, eb);
    for (let s = 0; s < selem; s++) {
      const r = ((t + s) & 31) * 16, src = s * eb;
      if (d.replicate) {
        const lanes = d.Q ? 16 : 8;
        for (let o = 0; o < lanes; o += eb) for (let i = 0; i < eb; i++) v8[r + o + i] = b8[src + i];
        if (!d.Q) for (let o = 8; o < 16; o++) v8[r + o] = 0;
      } else {
        const dst = r + d.index * eb;
        for (let i = 0; i < eb; i++) v8[dst + i] = b8[src + i];
      }
    }
  } else {
    for (let s = 0; s < selem; s++) {
      const src = ((t + s) & 31) * 16 + d.index * eb, dst = s * eb;
      for (let i = 0; i < eb; i++) b8[dst + i] = v8[src + i];
    }
    writeBlock(cpu, baseLo, baseHi, d.bytes, eb);
  }
  if (d.post) writeback(cpu, d);
};

// ---------------- decoding ----------------

/** opcode -> [rpt, selem] for multiple structures. */
const MULTI: Record<number, [number, number]> = {
  0b0000: [1, 4], 0b0010: [4, 1], 0b0100: [1, 3], 0b0110: [3, 1],
  0b0111: [1, 1], 0b1000: [1, 2], 0b1010: [2, 1],
};

const ARRANGEMENTS = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"];
const ELEMENT_SUFFIX = ["b", "h", "s", "d"];

/**
 * Register list as objdump prints it: a range `{v0.4s-v3.4s}` for three or more registers
 * that do not wrap past v31, otherwise comma-separated.
 */
function regList(t: number, count: number, suffix: string): string {
  if (count > 2 && t + count - 1 <= 31) return `{v${t}${suffix}-v${t + count - 1}${suffix}}`;
  const regs: string[] = [];
  for (let i = 0; i < count; i++) regs.push(`v${(t + i) & 31}${suffix}`);
  return `{${regs.join(", ")}}`;
}

function addressText(d: Decoded): string {
  const base = `[${xregSp(d.rn, 1)}]`;
  if (!d.post) return base;
  return d.rm === 31 ? `${base}, #${d.bytes}` : `${base}, ${xreg(d.rm, 1)}`;
}

function multiAllocated(d: Decoded): boolean {
  const m = MULTI[d.opcode];
  return m !== undefined && !(d.size === 3 && d.Q === 0 && m[1] > 1);
}

function prepareMulti(d: Decoded): void {
  const [rpt, selem] = MULTI[d.opcode];
  d.rpt = rpt; d.selem = selem;
  d.ebytes = 1 << d.size;
  d.elements = (d.Q ? 16 : 8) >> d.size;
  d.bytes = rpt * selem * (d.Q ? 16 : 8);
  d.n = d.rn;
  d.fp = true;
}

function disasmMulti(d: Decoded): string {
  const op = (d.L ? "ld" : "st") + d.selem;
  return `${op}\t${regList(d.rt, d.rpt * d.selem, "." + ARRANGEMENTS[d.size * 2 + d.Q])}, ${addressText(d)}`;
}

/** Decode the single-structure fields (ARM ARM C6.3 LD1 (single structure) "shared decode"). */
function singleLayout(d: Decoded): { scale: number; index: number; replicate: boolean } | undefined {
  let scale = d.opcode >> 1;
  let index = 0;
  let replicate = false;
  switch (scale) {
    case 3:
      if (!d.L || d.S) return undefined;
      scale = d.size;
      replicate = true;
      break;
    case 0:
      index = (d.Q << 3) | (d.S << 2) | d.size;
      break;
    case 1:
      if (d.size & 1) return undefined;
      index = (d.Q << 2) | (d.S << 1) | (d.size >> 1);
      break;
    default:
      if (d.size & 2) return undefined;
      if ((d.size & 1) === 0) index = (d.Q << 1) | d.S;
      else {
        if (d.S) return undefined;
        index = d.Q;
        scale = 3;
      }
  }
  return { scale, index, replicate };
}

function prepareSingle(d: Decoded): void {
  const l = singleLayout(d)!;
  d.selem = (((d.opcode & 1) << 1) | d.R) + 1;
  d.ebytes = 1 << l.scale;
  d.scale = l.scale;
  d.index = l.index;
  d.replicate = l.replicate;
  d.bytes = d.selem * d.ebytes;
  d.n = d.rn;
  d.fp = true;
}

function disasmSingle(d: Decoded): string {
  const op = (d.L ? "ld" : "st") + d.selem + (d.replicate ? "r" : "");
  const list = d.replicate
    ? regList(d.rt, d.selem, "." + ARRANGEMENTS[d.scale * 2 + d.Q])
    : regList(d.rt, d.selem, "." + ELEMENT_SUFFIX[d.scale]) + `[${d.index}]`;
  return `${op}\t${list}, ${addressText(d)}`;
}

export const loadStoreStructGroup: InsnDef[] = [
  {
    name: "LDST_multiple", pattern: "0 Q:1 0011000 L:1 000000 opcode:4 size:2 rn:5 rt:5",
    guard: multiAllocated,
    prepare: (d) => { prepareMulti(d); d.post = false; d.rm = 31; },
    exec: execMulti,
    disasm: disasmMulti,
  },
  {
    name: "LDST_multiple_post", pattern: "0 Q:1 0011001 L:1 0 rm:5 opcode:4 size:2 rn:5 rt:5",
    guard: multiAllocated,
    prepare: (d) => { prepareMulti(d); d.post = true; },
    exec: execMulti,
    disasm: disasmMulti,
  },
  {
    name: "LDST_single", pattern: "0 Q:1 0011010 L:1 R:1 00000 opcode:3 S:1 size:2 rn:5 rt:5",
    guard: (d) => singleLayout(d) !== undefined,
    prepare: (d) => { prepareSingle(d); d.post = false; d.rm = 31; },
    exec: execSingle,
    disasm: disasmSingle,
  },
  {
    name: "LDST_single_post", pattern: "0 Q:1 0011011 L:1 R:1 rm:5 opcode:3 S:1 size:2 rn:5 rt:5",
    guard: (d) => singleLayout(d) !== undefined,
    prepare: (d) => { prepareSingle(d); d.post = true; },
    exec: execSingle,
    disasm: disasmSingle,
  },
];
