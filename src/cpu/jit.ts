/**
 * Block compiler: turns the hot blocks of a physical page into JavaScript functions (regions).
 *
 * The generated code contains no semantics of its own. For each instruction, in order, it
 * either places the snippet of the table entry's optional compile hook (the entry's semantics
 * with register slots and immediates as literals, so V8 need not load every operand from the
 * Decoded object, and the 64-bit pair arithmetic folds around constants), or calls the entry's
 * `exec` with its Decoded object. Every such call site is monomorphic (one site per instruction
 * instead of the interpreter's single megamorphic `d.exec(cpu, d)`), so V8 inlines the exec
 * functions into straight-line code. The per-instruction bookkeeping of the interpreter (PC,
 * instruction count, block-end test) shrinks to what each instruction actually needs:
 *
 *   - instructions in the decoder's `straightLine` set (integer data processing) neither read
 *     the PC, raise exceptions nor end blocks: they are placed bare;
 *   - a branch with a snippet is placed bare too: it is the block's last instruction and its
 *     snippet computes the PC from the block start;
 *   - every other instruction gets `cpu.pcLo` (for PC-relative operands, exception return
 *     addresses and the abort syndromes, which find the instruction from it) set first, and a
 *     test of `cpu.flow` afterwards, since loads, stores and system instructions may end the block;
 *   - the instruction count is added once per exit;
 *   - the general registers the snippets name live in locals while the block runs (see
 *     compileRegion for when they go back to the register file);
 *   - a block that ends in a branch back to its own start runs as a loop of its own, leaving it
 *     when the branch falls through, the budget would be exceeded, or an interrupt may need
 *     taking.
 *
 * A region holds a few blocks that reach each other directly, as the cases of a switch inside a
 * loop, so control passes between them without returning to the run loop (see compileRegion).
 * A final branch with a target in the page jumps to that case by index, without setting the PC
 * or the flow; the PC is set from the index only when control leaves the region. Regions form
 * around self-looping blocks, around loops of several blocks with the functions they call in
 * the page (loopBody), and around single blocks that stay hot (the straight threshold).
 *
 * Regions are cached per physical page, and one physical page may be executed at several
 * virtual addresses (Linux runs its image through the identity map and the kernel mapping; the
 * vDSO and shared file pages sit at a different address in each process), so the page's virtual
 * base is an argument, never a constant of the generated code.
 */
import type { CodePage, Cpu } from "./cpu.js";
import type { Decoded, Decoder, ExecFn } from "./isa/table.js";

// Hosts should raise V8's cumulative inlining budget so a block inlines whole; the Node entry
// points do it in src/cli/v8-tuning.ts (the core itself stays free of Node built-ins).

/** Longest block, in instructions: long enough for unrolled loops, short enough to compile fast. */
export const MAX_BLOCK = 64;

/** Branches with a PC-relative target in an immediate (field name, scale 4). */
const RELATIVE_BRANCH_FIELD: Record<string, string> = { B: "imm26", B_cond: "imm19", CBZ: "imm19", TBZ: "imm14" };

/**
 * Collect the block starting at instruction `idx` of a page (decoding as needed, as the
 * interpreter would): up to and including the first branch, the end of the page or MAX_BLOCK.
 */
export function collectBlock(page: CodePage, idx: number, decoder: Decoder, view: DataView, offset: number): Decoded[] {
  const ops: Decoded[] = [];
  for (let i = idx; i < 1024 && ops.length < MAX_BLOCK; i++) {
    const d = page.decoded(i, decoder, view, offset);
    ops.push(d);
    if (d.def.branch) break;
  }
  return ops;
}

/**
 * Where control may go after the block at instruction `idx` of its page (`ops`): the targets of
 * a final PC-relative branch and the instruction after the block (where a conditional branch
 * falls through, a call returns, or a block cut short by MAX_BLOCK continues), as instruction
 * indices within the page. Indirect branches (RET, BR) have no static target.
 */
export function blockSuccessors(idx: number, ops: readonly Decoded[]): number[] {
  const n = ops.length, last = ops[n - 1]!, name = last.def.name;
  const out: number[] = [];
  const target = branchTarget(idx, ops);
  if (target !== undefined) out.push(target);
  if (name !== "B" && (target !== undefined || !last.def.branch || name === "BLR")) out.push(idx + n);
  return out.filter((j) => j >= 0 && j < 1024);
}

/**
 * The instruction index (within the page, maybe outside 0..1023) that the block's final
 * PC-relative branch or BL goes to, or undefined when it ends otherwise.
 */
export function branchTarget(idx: number, ops: readonly Decoded[]): number | undefined {
  const n = ops.length, last = ops[n - 1]!, name = last.def.name;
  const field = name === "BL" ? "imm26" : RELATIVE_BRANCH_FIELD[name];
  return field === undefined ? undefined : idx + n - 1 + (last[field] as number);
}

/** The block ends with a branch back to its own start. */
export function blockLoops(ops: readonly Decoded[]): boolean {
  const n = ops.length, last = ops[n - 1]!;
  const field = RELATIVE_BRANCH_FIELD[last.def.name];
  return field !== undefined && (n - 1) * 4 + (last[field] as number) * 4 === 0;
}

/**
 * The blocks of a loop through the block at `idx` (`ops`): the blocks on some path of static
 * successors (see blockSuccessors) within the page from it back to it, each of which has run
 * before (`heat` > 0), and the functions it calls, in ascending order, up to `maxRegionInsns`;
 * undefined when there is no such cycle among the first `maxBlocks` blocks reached or the loop
 * body exceeds `maxInsns` instructions. A loop of several
 * blocks (an exit test in the middle, an if/else in the body) has no block that branches to its
 * own start, so blockLoops alone misses it.
 */
export function loopBody(page: CodePage, heat: Uint16Array, idx: number, ops: Decoded[], decoder: Decoder,
  view: DataView, offset: number, maxBlocks: number, maxInsns: number, maxRegionInsns: number): RegionBlock[] | undefined {
  const blocks = new Map<number, Decoded[]>([[idx, ops]]);
  const succ = new Map<number, number[]>();
  const queue = [idx];
  while (queue.length > 0) {
    const j = queue.shift()!;
    const next = blockSuccessors(j, blocks.get(j)!).filter((k) => k === idx || heat[k] > 0);
    succ.set(j, next);
    for (const k of next) {
      if (blocks.has(k) || blocks.size >= maxBlocks) continue;
      blocks.set(k, collectBlock(page, k, decoder, view, offset));
      queue.push(k);
    }
  }
  // The blocks that reach the header again: a fixed point over the explored graph.
  const onLoop = new Set<number>();
  for (let changed = true; changed;) {
    changed = false;
    for (const [j, next] of succ) {
      if (onLoop.has(j)) continue;
      if (next.some((k) => k === idx || onLoop.has(k))) { onLoop.add(j); changed = true; }
    }
  }
  if (!onLoop.has(idx)) return undefined;
  const body = new Map([...onLoop].map((j) => [j, blocks.get(j)!]));
  let total = 0;
  for (const b of body.values()) total += b.length;
  if (total > maxInsns) return undefined;
  // Functions the loop calls in this page (BL), as far as the region's size allows: their RET
  // goes to the return point in the loop, a case of the same switch, so a loop that calls a
  // nearby function (a byte-at-a-time update, a comparator) stays in one region. Calls made by
  // the callee are not followed, but the points they return to are.
  const queue2: number[] = [];
  for (const [j, b] of body) {
    const target = branchTarget(j, b);
    if (b[b.length - 1]!.def.name === "BL" && target !== undefined && target >= 0 && target < 1024) queue2.push(target);
  }
  while (queue2.length > 0) {
    const j = queue2.shift()!;
    if (j >= 1024 || body.has(j) || heat[j] === 0) continue;
    const block = blocks.get(j) ?? collectBlock(page, j, decoder, view, offset);
    if (total + block.length > maxRegionInsns) continue;
    body.set(j, block);
    total += block.length;
    const last = block[block.length - 1]!.def.name;
    queue2.push(...(last === "BL" ? [j + block.length] : blockSuccessors(j, block)));
  }
  return trimOverlaps([...body].map(([j, ops]) => ({ idx: j, ops })));
}

/** Blocks in ascending order, each cut where the next begins (so no instruction is placed twice). */
export function trimOverlaps(blocks: RegionBlock[]): RegionBlock[] {
  const sorted = [...blocks].sort((a, b) => a.idx - b.idx);
  return sorted.map(({ idx, ops }, k) => {
    const next = sorted[k + 1]?.idx;
    return { idx, ops: next !== undefined && idx + ops.length > next ? ops.slice(0, next - idx) : ops };
  });
}

/**
 * A compiled region: the hot blocks of one physical page in one function. Called with the PC
 * at entry `idx` of the page at `base` (block start = base | idx * 4); runs block after block
 * while the PC stays on an entry of the region in this page and nothing needs the run loop,
 * and returns with the PC, `cpu.icount` and `cpu.flow` (0, or left for the run loop to clear)
 * describing where it stopped. On an exception it adds the instructions of the block in flight
 * up to and including the faulting one (`cpu.excPcLo`) to the count before rethrowing.
 */
export type RegionFn = (cpu: Cpu, end: number, base: number, idx: number, hi: number, epoch: number, page: RegionPage) => void;

/** What a region tests of its page between blocks. */
export interface RegionPage { valid: boolean }

/** The blocks a region is made of: entry instruction index and the block's instructions. */
export interface RegionBlock { idx: number; ops: readonly Decoded[] }

/**
 * Compile a region (see RegionFn). Each block is placed as one case of a switch on the entry
 * index inside a loop, so a branch from one hot block to another in the same page (a loop of
 * several blocks, an if/else inside a loop, a call to a leaf function nearby) costs a compare and
 * a jump instead of a return to the run loop: QEMU's TCG reaches the same by chaining translated
 * blocks (goto_tb), v86 by compiling a page's basic blocks into one WebAssembly function.
 * Between blocks the region tests what the run loop would (budget, pending interrupts, a TLB or
 * EL change, the page being dropped, a halt or stop request); blocks end as in compileBlock.
 */
export function compileRegion(blocks: readonly RegionBlock[], baseLo: number, decoder: Decoder, exceptionMarker: unknown,
  flushAtAccess: boolean): RegionFn {
  const execs: ExecFn[] = [], decs: Decoded[] = [];
  const cases: string[] = [], catchCases: string[] = [];
  const allCached = new Set<number>();
  /** Instructions whose snippet calls its exec under the name execNoGpr (bound only for those). */
  const noGprExecs = new Set<number>();
  blocks.forEach(({ idx, ops }, id) => {
    const n = ops.length;
    // Each instruction as placed: a snippet free of exec calls works on registers cached in
    // locals; anything else (an exec call, or a snippet with an exec slow path) is a sync point,
    // with the registers flushed to the register file before and reloaded after. A snippet that
    // calls into the CPU (a load or store) may end in an exception: then the locals go back to
    // the register file in the region's catch, where the handler (interpreted or compiled)
    // reads them. Under a hypervisor that answers guest exits in TypeScript (flushAtAccess) an
    // access may also trap to it, which reads or writes the transfer register in the file and
    // resumes by unwinding: there the registers are flushed before each access instead.
    // A final branch whose target lies in this page jumps by setting the next entry index (nx)
    // instead of the PC: the switch takes it from there, or the exit sets the PC from it.
    let jumps = false;
    const jump = (offset: number): string | undefined => {
      if (offset % 4 !== 0) return undefined;
      const t = idx + offset / 4;
      if (t < 0 || t >= 1024) return undefined;
      jumps = true;
      return `{ nx = ${t}; }`;
    };
    const placed = ops.map((d, i) => {
      const k = execs.length;
      execs.push(d.exec); decs.push(d);
      const pcLo = i === 0 ? "lo" : `((lo + ${i * 4}) | 0)`;
      const last = i === n - 1 && d.def.branch === true;
      const snippet = d.def.compile?.(d, { pcLo, offset: i * 4, exec: `e${k}`, d: `d${k}`, execNoGpr: `fe${k}`, jump: last ? jump : undefined });
      const code = snippet ?? `e${k}(cpu, d${k});`;
      const bare = decoder.straightLine.has(d.def) || (snippet !== undefined && d.def.branch);
      const sync = snippet === undefined || EXEC_CALL.test(snippet);
      const calls = !sync && CPU_CALL.test(snippet!);
      const writes = sync ? [] : [...snippet!.matchAll(SLOT_WRITE)].map((m) => Number(m[1]));
      // A load or store snippet (its exec too, on the SP-alignment path) can change only two of
      // the run loop's conditions: an MMIO access may raise this CPU's interrupt, and a store
      // may drop a decoded page (cpu.ts invalidateCode).
      const access = snippet !== undefined && d.def.name.startsWith("LDST") &&
        [...snippet.matchAll(CPU_CALLS)].every((m) => ACCESS_CALL.has(m[1]!));
      // Bare and calling nothing in the CPU: integer data processing, branches.
      const plain = bare && !CPU_CALL.test(code);
      if (snippet?.includes(`fe${k}(`)) noGprExecs.add(k);
      return { code, pcLo, bare, sync, calls, writes, access, plain };
    });
    const used = new Set<number>();
    let syncs = 0;
    for (const p of placed) {
      if (p.sync) { syncs++; continue; }
      for (const m of p.code.matchAll(SLOT)) used.add(Number(m[1]));
    }
    // Cache only in a block that loops on itself, where the registers stay in locals from pass to
    // pass (elsewhere the loads at entry and stores at exit cost as much as they save: measured
    // 20% slower on the CoreMark-style and string-search programs, 10% faster on SHA-256 and AES),
    // and where exec calls are rare enough that reloading after each costs less than it saves.
    const loops = blockLoops(ops);
    // A block of bare instructions only (integer data processing and branches: no memory access,
    // exec call with side effects or system instruction) cannot change what the run loop waits
    // for (an interrupt, a halt or stop, an EL or translation change, the page being dropped): the
    // test after the previous block, or before the region was entered, still holds after it.
    const quiet = placed.every((p) => p.plain);
    // Bare instructions and loads and stores: only those two conditions need testing (and the
    // CPU being turned off, which only a hypervisor does, but cheaply tested).
    const accessesOnly = !quiet && placed.every((p) => p.plain || p.access);
    const cache = loops && used.size > 0 && syncs <= MAX_CACHED_SYNCS;
    const slots = [...used].sort((a, b) => a - b);
    const load = slots.map((v) => `r${v} = x[${v}];`).join(" ");
    const flush = (dirty: Set<number>): string => [...dirty].sort((a, b) => a - b).map((v) => `x[${v}] = r${v};`).join(" ");
    // The slots written since the last flush, as each instruction is placed. A block that loops
    // starts each pass with what the previous pass left unflushed.
    const clears = (p: { sync: boolean; calls: boolean }): boolean => p.sync || (flushAtAccess && p.calls);
    const dirtyAtEnd = (start: Set<number>): Set<number> => {
      const dirty = new Set(start);
      for (const p of placed) {
        if (clears(p)) dirty.clear();
        for (const w of p.writes) dirty.add(w);
      }
      return dirty;
    };
    const tail = cache && loops ? dirtyAtEnd(dirtyAtEnd(new Set())) : new Set<number>();
    const lines: string[] = [`case ${idx}: {`, `if (cpu.icount + ${n} > end) break;`, `lo = base | ${idx * 4}; cpu.compiledBlockLo = lo;`];
    if (cache) { lines.push(`cur = ${id}; ${load}`); for (const v of slots) allCached.add(v); }
    const head = lines.length;
    const dirty = new Set<number>(tail);
    placed.forEach((p, i) => {
      let code = p.code;
      if (cache) {
        if (p.sync) {
          code = `${flush(dirty)} cur = -1; ${code} cur = ${id}; ${load}`;
          dirty.clear();
        } else {
          code = toLocals(code);
          if (clears(p)) { code = `${flush(dirty)} ${code}`; dirty.clear(); }
          for (const w of p.writes) dirty.add(w);
        }
      }
      if (p.bare) { lines.push(code); return; }
      lines.push(`cpu.pcLo = ${p.pcLo}; ${code}`);
      if (i < n - 1) lines.push(`if (cpu.flow !== 0) { ${cache ? flush(dirty) : ""} cpu.icount += ${i + 1}; leave(cpu, lo, ${i + 1}); return; }`);
    });
    lines.push(`cpu.icount += ${n};`);
    const next = idx + n;
    // With a jump, the final branch ran bare and every instruction before it that may set the
    // flow has its own test: the flow is 0 here, and nx is the next entry (-1: past the page).
    if (jumps) lines.splice(head, 0, `nx = ${next < 1024 ? next : -1};`);
    if (loops) {
      // A block that branches back to its own start loops here without the region's dispatch,
      // its registers staying in locals from one pass to the next.
      const body = lines.splice(head);
      const again = jumps ? `nx !== ${idx}` : `cpu.flow !== 1 || cpu.pcLo !== lo`;
      lines.push(`for (;;) {`, ...body,
        `if (${again} || cpu.icount + ${n} > end${quiet ? "" : " || cpu.interruptCheck"}) break;`, jumps ? "" : `cpu.flow = 0;`, `}`);
    }
    if (cache) lines.push(`${flush(dirty)} cur = -1;`);
    const written = new Set(placed.flatMap((p) => p.writes));
    if (cache && !flushAtAccess && written.size > 0) catchCases.push(`case ${id}: ${flush(written)} break;`);
    const fallThrough = next >= 1024 ? `{ leave(cpu, lo, ${n}); return; }` : `idx = ${next};`;
    if (jumps) {
      lines.push(next >= 1024 ? `if (nx < 0) { leave(cpu, lo, ${n}); return; }` : "", `idx = nx;`);
    } else lines.push(
      `if (cpu.flow !== 0) {`,
      `if (cpu.flow !== 1) { leave(cpu, lo, ${n}); return; }`,
      `const t = cpu.pcLo;`,
      `if (((t ^ base) & ~0xffc) !== 0 || cpu.pcHi !== hi) return;`,
      `cpu.flow = 0; idx = (t & 0xfff) >>> 2;`,
      `} else ${fallThrough}`);
    lines.push(
      quiet ? "" : accessesOnly ? `if (!page.valid || cpu.interruptCheck || cpu.off) break;` : `if (cpu.tlbEpoch !== epoch || !page.valid || cpu.interruptCheck || cpu.halted || cpu.yieldRequested || cpu.off || cpu.pstateIl) break;`,
      `continue; }`,
    );
    cases.push(lines.join("\n"));
  });
  const bindings = execs.map((_, k) => `const e${k} = E[${k}], d${k} = D[${k}];${noGprExecs.has(k) ? ` const fe${k} = e${k};` : ""}`).join("\n");
  const locals = allCached.size > 0 ? `let ${[...allCached].sort((a, b) => a - b).map((v) => `r${v} = 0`).join(", ")};\n` : "";
  // An exception leaves the block in flight (cur): its cached registers go back to the register
  // file first. Not from inside an exec call (cur is -1 there), which works on the file itself.
  const writeBack = catchCases.length > 0 ? `switch (cur) {\n${catchCases.join("\n")}\n}\n` : "";
  const name = `region_${((baseLo >>> 0) + blocks[0]!.idx * 4).toString(16)}`;
  const source = `"use strict";\n${bindings}\n` +
    `function leave(cpu, lo, k) { if (cpu.flow !== 1) { const l = (lo >>> 0) + k * 4; cpu.pcLo = l | 0; if (l > 0xffffffff) cpu.pcHi = (cpu.pcHi + 1) | 0; } }\n` +
    `return function ${name}(cpu, end, base, idx, hi, epoch, page) {\nconst x = cpu.x;\nlet lo = base | (idx << 2), cur = -1, nx = 0;\n${locals}` +
    `try {\nfor (;;) {\nswitch (idx) {\n${cases.join("\n")}\n}\ncpu.pcLo = base | (idx << 2); return;\n}\n` +
    `} catch (e) {\n${writeBack}if (e === X) cpu.icount += ((cpu.excPcLo - lo) >>> 2) + 1; throw e; }\n};`;
  const factory = new Function("E", "D", "X", source) as (e: ExecFn[], d: Decoded[], x: unknown) => RegionFn;
  return factory(execs, decs, exceptionMarker);
}

/**
 * A snippet's code with its register-file slots in locals (`x[12]` -> `r12`). The register file
 * is an Int32Array, so a store to it wraps the value to int32; snippets rely on that (a 64-bit
 * add leaves the low word's carry-out in `l` and stores it as it is). A local keeps what it is
 * given, and one that can hold 2^32 is a double to V8, with conversions wherever it is used: so
 * each assignment to a slot becomes `rN = (value) | 0`, which costs nothing when the value is an
 * int32 already.
 */
export function toLocals(code: string): string {
  let out = "", at = 0;
  for (const m of code.matchAll(SLOT_WRITE)) {
    const start = m.index!, v = m[1]!, op = m[0].slice(m[0].indexOf("]") + 1).replace(/\s+/g, "").slice(0, -1);
    const from = start + m[0].length;
    // The assigned value runs to the end of its statement: a ';', or a closing bracket or ','
    // at its own depth.
    let depth = 0, end = from;
    for (; end < code.length; end++) {
      const c = code[end]!;
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") { if (depth === 0) break; depth--; }
      else if ((c === ";" || c === ",") && depth === 0) break;
    }
    const value = code.slice(from, end).trim();
    out += code.slice(at, start) + (op === "" ? `r${v} = (${value}) | 0` : `r${v} = (r${v} ${op} (${value})) | 0`);
    at = end;
  }
  return (out + code.slice(at)).replace(SLOT, "r$1");
}

/** A register-file slot named in a snippet (`x[12]`). */
const SLOT = /(?<![\w$.])x\[(\d+)\]/g;
/** A slot a snippet assigns (plain or compound assignment, not a comparison). */
const SLOT_WRITE = /(?<![\w$.])x\[(\d+)\]\s*(?:[-+*|&^%]|<<|>>>?)?=(?!=)/g;
/** A snippet that calls into the CPU (other than to branch): a memory access, which may fault or trap. */
const CPU_CALL = /(?<![\w$.])cpu\.(?!branchTo\()[A-Za-z_]\w*\(/;
/** Every call into the CPU in a snippet, by method name. */
const CPU_CALLS = /(?<![\w$.])cpu\.([A-Za-z_]\w*)\(/g;
/** The CPU methods a load or store snippet calls: the accesses, the SIMD&FP trap and the alignment fault. */
const ACCESS_CALL = new Set(["read8", "read16", "read32", "read64", "write8", "write16", "write32", "write64", "fpTrap", "abort"]);
/** A snippet that calls its instruction's exec (a slow path), which works on the register file. */
const EXEC_CALL = /(?<![\w$.])e\d+\(cpu/;
/** Blocks with more exec calls than this keep their registers in the register file. */
const MAX_CACHED_SYNCS = 3;
