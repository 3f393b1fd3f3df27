/**
 * One ARMv8-A processing element (AArch64 state only).
 *
 * Register file: X0-X30 plus three special slots in one Int32Array of (lo, hi) pairs:
 *   slot 31 = the current stack pointer (SP_ELx selected by PSTATE.SPSel, banked on EL change),
 *   slot 32 = always zero (reads of XZR), slot 33 = a sink (writes to XZR).
 * Decoders map register number 31 to slot 32/33 for zero-register operands (`zr`/`zw` below)
 * and keep 31 for stack-pointer operands, so exec functions index the array without branches.
 *
 * Execution: instructions are decoded once per physical address and cached per 4 KiB page;
 * the run loop walks a page's pre-decoded ops until a branch, an exception or a block-ending
 * instruction (MSR to DAIF, ERET, TLBI, ...). Interrupts are checked at those block boundaries.
 * Blocks that start often are compiled into one JavaScript function each (jit.ts); the run loop
 * then goes from block to block within a page without looking the page up again.
 */
import type { Bus } from "../memory/bus.js";
import { CPACR_EL1, CPTR, DAIF, HCR_EL2, SCR_EL3, SCTLR } from "./arch-bits.js";
import {
  EC, EXCEPTION_TAKEN, ExceptionKind, FSC, fpTrap, routeException, takeException, takeExceptionAfter,
  hcrVirtualInterruptPending, takePendingInterrupt, undefinedInstruction,
} from "./exceptions.js";
import type { Decoded, Decoder, ExecFn } from "./isa/table.js";
import { DEBUG_STOP, type CpuDebugHook } from "./debug-hook.js";
import { blockLoops, blockSuccessors, collectBlock, compileRegion, loopBody, trimOverlaps, type RegionBlock, type RegionFn } from "./jit.js";
import { StandalonePlatform, VectorOffset, type CpuObserver, type CpuPlatform } from "./platform.js";
import { SelfHostedDebug } from "./self-hosted-debug.js";
import { SR, SysRegTable } from "./sysregs.js";
import { hex64, TWO32 } from "./u64.js";

export { EC, EXCEPTION_TAKEN, FSC };

export const enum Access { Read = 0, Write = 1, Exec = 2 }

/** What wants to know about exception level changes (Cpu.elChangeHook). */
export interface ElChangeHook {
  beforeElChange(cpu: Cpu): void;
  afterElChange(cpu: Cpu): void;
}

/**
 * Entries of each data (read, write) soft TLB at most, and of each instruction TLB. Data TLBs
 * grow to as large as QEMU's dynamically sized TLB grows for a program touching 32 MiB at
 * random (8192 pages: tlb-heavy refilled nearly every access with 1024 entries, and twice as
 * fast with 8192); a flush clears only the tags, and only of TLBs filled since the last one.
 * Code has a smaller footprint.
 */
export const TLB_SIZE = 8192;
/**
 * Entries of a data TLB when created. Each translation context keeps its own EL0 and EL1 TLBs
 * (see Cpu.parked), 17 sets per CPU under Linux, and at 8192 entries (240 KiB) apiece they held
 * some 35 MB of the Linux boot's peak RSS, though most processes touch a few hundred pages. A
 * TLB starts at this size and doubles (up to TLB_SIZE) when its refills keep evicting live
 * entries (SoftTlb.fill), as QEMU's grows with its use rate (accel/tcg/cputlb.c
 * tlb_mmu_resize_locked).
 */
const TLB_INITIAL_SIZE = 1024;
const CODE_TLB_SIZE = 1024;
/** Entries of the stage-2 walk cache (see stage2 in mmu.ts). */
export const S2C_SIZE = 256;

/**
 * When blocks are compiled (jit.ts): after how many executions of their start. 0 never compiles;
 * values are capped at 65535 (the per-instruction heat counters are 16-bit).
 */
export interface JitThresholds {
  /** Blocks that branch back to their own start. */
  loops: number;
  /** Every other block (one on a loop of several blocks compiles with the rest of the loop, jit.ts loopBody). */
  straight: number;
}

/**
 * Loops compile after 16 runs: compiling costs about as much as interpreting a few thousand
 * instructions, and a loop soon pays it back. Other blocks after 20000: V8 optimises each block
 * function separately, and with the exec functions inlined an optimising compile takes
 * milliseconds, so code with a wide footprint (a Linux boot) spends more time compiling than it
 * saves. Measured: compiling every block after 16 runs made the early Linux boot 2-3x slower
 * than interpreting (over 1000 optimising compiles of 4-13 ms in ten seconds); loops at 16 and
 * other blocks at 20000 are on par with interpreting there and keep the benchmark gains
 * (bench-mem 34 -> 45 M insns/s against loops only).
 */
export const DEFAULT_JIT_THRESHOLDS: Readonly<JitThresholds> = Object.freeze({ loops: 16, straight: 20000 });

/** A threshold as the run loop compares it with a block's heat: 0 (never) becomes unreachable. */
function heatThreshold(n: number): number {
  return n === 0 ? Infinity : Math.min(n, 65535);
}

/** Regions of one page, after which its further entries stay interpreted. */
const MAX_REGIONS = 128;
/**
 * Instructions in one region (see compileRegion). 192 holds a function with a nest of short
 * loops whole, such as a byte-oriented AES round (92 instructions) with the CBC loop that calls
 * it: at 96 its inner loops were regions of their own, left after four passes each, and control
 * went back to the run loop 8.5 times as often (5.2 million region entries against 0.6 million
 * in `aes` at scale 10; `dijkstra` 1.8 against 0.38, `div64` 0.38 against 0.24).
 */
const MAX_REGION_INSNS = 192;
/** Blocks explored, and instructions in the body, of a loop of several blocks (see jit.ts loopBody). */
const MAX_LOOP_BLOCKS = 16;
const MAX_LOOP_INSNS = 128;

/** A physical page of pre-decoded instructions, plus the compiled blocks starting in it. */
/** Instructions of a CodePage chunk (see CodePage.chunks). */
export const CHUNK_INSNS = 32;
const CHUNK_SHIFT = 5;

/**
 * A chunk's slots: the Decoded object of each instruction at 2k and its exec function at 2k+1.
 * Decoded objects come in hundreds of shapes, so `d.exec` is a megamorphic property load (a
 * stub-cache probe per interpreted instruction), where an array element load is not. One array
 * holds both so a chunk costs one allocation; all chunks come from here, so they share one
 * elements kind.
 */
export type CodeChunk = (Decoded | ExecFn | undefined)[];
function newChunk(): CodeChunk { return new Array(CHUNK_INSNS * 2).fill(undefined); }

export class CodePage {
  /**
   * The page's decoded instructions, 32 to a chunk, a chunk allocated when one of its
   * instructions is first decoded. A Linux boot decodes some 18% of the instructions of its
   * 1,600 code pages, clustered in the functions that run: two flat 1024-slot arrays per page
   * (16 KiB) held 26 MB of its heap, the chunks about a third of that.
   */
  readonly chunks: (CodeChunk | undefined)[] = new Array(1024 >> CHUNK_SHIFT).fill(undefined);
  /** The decoded instruction at index `idx`, if it has been decoded. */
  insn(idx: number): Decoded | undefined {
    const chunk = this.chunks[idx >> CHUNK_SHIFT];
    return chunk === undefined ? undefined : chunk[(idx & (CHUNK_INSNS - 1)) << 1] as Decoded | undefined;
  }
  /** The decoded instruction at index `idx`, decoding it from the page's bytes (`view` at `offset`) first if needed. */
  decoded(idx: number, decoder: Decoder, view: DataView, offset: number): Decoded {
    let chunk = this.chunks[idx >> CHUNK_SHIFT];
    if (chunk === undefined) chunk = this.chunks[idx >> CHUNK_SHIFT] = newChunk();
    const k = (idx & (CHUNK_INSNS - 1)) << 1;
    let d = chunk[k] as Decoded | undefined;
    if (d === undefined) {
      d = decoder.decode(view.getUint32(offset + idx * 4, true));
      chunk[k] = d;
      chunk[k + 1] = d.exec;
    }
    return d;
  }
  /**
   * The page's compiled regions (jit.ts compileRegion): its hot blocks, a few hundred
   * instructions to a function. Most decoded pages of a Linux guest never get one.
   */
  readonly regions: RegionFn[] = [];
  /** Each entry's region (index into `regions`), where blockLen is not 0. */
  readonly regionOf = new Uint8Array(1024);
  /** Length in instructions of the block at each compiled entry (0: not an entry of a region). */
  readonly blockLen = new Uint8Array(1024);
  /** Regions compiled so far. */
  regionCompiles = 0;
  readonly heat = new Uint16Array(1024);
  /** Cleared when a store drops the page: CPUs holding it must look it up again. */
  valid = true;
}

/** Translation contexts (VMID, ASID) whose EL1&0 TLBs a CPU keeps besides the current one (about 200 KiB each at the TLBs' initial size, 1 MiB grown to the largest). */
const MAX_PARKED_CONTEXTS = 16;

/** A translation context's EL0 and EL1 TLBs while another is current. */
interface ParkedContext {
  readonly tlbs: SoftTlb[][];
  /** The CPU's codeGeneration when parked: pages that became code since may have write entries here. */
  readonly codeGeneration: number;
  /** The CPU's count of logged invalidations by VA when parked (see Cpu.vaLog). */
  readonly invalidations: number;
}

/**
 * Invalidations by VA a CPU remembers for its parked contexts. A TLBI VAE1IS reaches every
 * context of its VMID; Linux issues tens of thousands while booting (47,000 to /init), and
 * flushing the page from each parked set at once (six TLBs each, up to 17 sets) took a tenth of
 * the boot. Parked TLBs are not used until their context is current again, so the page keys are
 * logged instead and dropped from a set when it comes back; a set that missed more than the log
 * holds is emptied.
 */
const VA_LOG = 256;

/** The VMID of a translation context key (VMID * 65536 + ASID). */
function vmidOf(context: number): number { return Math.floor(context / 65536); }

/** Pre-decoded pages by physical page base, shared by the CPUs of a board. */
export type CodeCache = Map<number, CodePage>;
const CODE_TLB_MASK = CODE_TLB_SIZE - 1;

/** One soft-TLB (per translation regime and access kind): VA page key -> host RAM offset. */
export class SoftTlb {
  /** Entries (a power of two), indexed by VA page number & mask; both change when the TLB grows. */
  size: number;
  mask: number;
  /**
   * The entries, four int32 words each, at 4 * slot: the VA page, bits [31:12] (a page number,
   * never -1; -1 is an empty slot) and the high word, as two int32 compares; the offset of the
   * page start within RAM window ramIndex (see Cpu.ramBytes); ramIndex. One array, so the fast
   * path checks and bounds one typed array instead of four. One float key (hi * 2^20 + page)
   * would cost double arithmetic and a conversion for the index on every access once addresses
   * have high bits, as a kernel's do, and a float offset a conversion and a check.
   */
  e: Int32Array;
  /** Physical page base for each entry (used to find entries when code pages change). */
  paPage: Float64Array;
  /**
   * Exec TLB only (empty in the others): the decoded page of each entry, so that going to
   * another page costs a TLB probe rather than a Map lookup. Reset whenever the entry is refilled.
   */
  readonly code: (CodePage | undefined)[];
  /** Filled since the last flush. Most of a CPU's twelve TLBs stay empty (unused ELs), and
   * Linux flushes thousands of times a second while booting. */
  dirty = false;
  /**
   * What invalidation by VA needs (TLBI VAE1 and its kin): the size in 4 KiB pages of each
   * entry's stage-1 leaf, which starts at the entry's page key rounded down to that size. The
   * slots filled from leaves larger than a page are listed, so that invalidation does not scan
   * the TLB; the list may name slots refilled since, and dropping more entries than asked is
   * allowed.
   */
  leafPages: Int32Array;
  /**
   * The listed slots by the 1 GiB of VA their leaf lies in (BLOCK_BUCKET_PAGES; leaves larger
   * than that in bucket -1), so an invalidation by VA checks the blocks of its own gigabyte only:
   * Linux's kernel runs on block leaves, hundreds of them, and its user-space invalidations once
   * walked them all (a single low-high span covered user addresses once the boot's identity map
   * had block entries). `listedIn` is each slot's bucket + 1 (0: not listed).
   */
  private listedIn: Int32Array;
  private readonly blockBuckets = new Map<number, number[]>();
  /**
   * An entry was filled for a VA whose top byte is neither all zeros nor all ones (a tagged
   * pointer under TBI): the TLB keys hold the whole VA, and TLBI by VA names only bits [55:12],
   * so invalidation by VA then flushes everything.
   */
  private tagged = false;

  /** Valid entries replaced by refills since the last flush or growth. */
  private evictions = 0;

  constructor(size: number, withCode: boolean, readonly maxSize = size) {
    this.size = size;
    this.mask = size - 1;
    this.e = new Int32Array(this.size * 4).fill(-1);
    this.paPage = new Float64Array(this.size).fill(-1);
    this.code = withCode ? new Array(this.size).fill(undefined) : [];
    this.leafPages = new Int32Array(this.size);
    this.listedIn = new Int32Array(this.size);
  }

  /** The VA page bits [31:12] in `slot` (-1: empty). */
  pageAt(slot: number): number { return this.e[slot * 4]; }

  flush(): void {
    if (!this.dirty) return;
    // Entries are only ever read after a tag match, so clearing the tags is enough.
    this.e.fill(-1);
    this.dirty = false;
    if (this.blockBuckets.size > 0) { this.listedIn.fill(0); this.blockBuckets.clear(); }
    this.tagged = false;
    this.evictions = 0;
  }

  /**
   * The slot for a refill of VA page bits [31:12] `p`. When refills since the last flush have
   * replaced valid entries for half the TLB's size, the footprint outgrows it (or its pages
   * collide): the TLB doubles first, emptied (entries are only a cache of translations).
   */
  slotForFill(p: number): number {
    if (this.e[(p & this.mask) * 4] !== -1 && ++this.evictions > this.size >> 1 && this.size < this.maxSize) this.grow();
    return p & this.mask;
  }

  private grow(): void {
    const size = this.size * 2;
    this.size = size;
    this.mask = size - 1;
    this.e = new Int32Array(size * 4).fill(-1);
    this.paPage = new Float64Array(size).fill(-1);
    this.leafPages = new Int32Array(size);
    this.listedIn = new Int32Array(size);
    this.blockBuckets.clear();
    this.tagged = false;
    this.dirty = false;
    this.evictions = 0;
  }

  /**
   * Record what slot `i`, just filled for VA page `key` (VA / 4 KiB as one number, exact below
   * 2^53; top byte `top`), came from.
   */
  noteLeaf(i: number, key: number, top: number, pages: number): void {
    if (top !== 0 && top !== 0xff) this.tagged = true;
    const base = pages > 1 ? key - (key % pages) : key;
    this.leafPages[i] = pages;
    if (pages > 1) {
      const bucket = blockBucket(base, pages);
      if (this.listedIn[i] !== bucket + 1) {
        this.listedIn[i] = bucket + 1;
        const list = this.blockBuckets.get(bucket);
        if (list === undefined) this.blockBuckets.set(bucket, [i]); else list.push(i);
      }
    }
  }

  /** Drop the entries whose stage-1 leaf covers VA page `key` (TLBI VAE1 and its kin). */
  flushPage(key: number): void {
    if (!this.dirty) return;
    if (this.tagged) { this.flush(); return; }
    const page = key % 1048576, i = page & this.mask;
    if (this.e[i * 4] === page && this.e[i * 4 + 1] === (Math.floor(key / 1048576) | 0)) this.e[i * 4] = -1;
    if (this.blockBuckets.size === 0) return;
    this.flushBlocks(this.blockBuckets.get(blockBucket(key, 1)), key);
    this.flushBlocks(this.blockBuckets.get(HUGE_BUCKET), key);
  }

  /** Drop the listed block entries of `slots` that cover VA page `key` (a slot may hold another entry by now). */
  private flushBlocks(slots: number[] | undefined, key: number): void {
    if (slots === undefined) return;
    for (let j = 0; j < slots.length; j++) {
      const s = slots[j], pages = this.leafPages[s];
      const k = (this.e[s * 4 + 1] >>> 0) * 1048576 + this.e[s * 4], base = k - (k % pages);
      if (key >= base && key < base + pages) this.e[s * 4] = -1;
    }
  }
}

/** VA pages to a bucket of listed block entries (1 GiB, the largest 4 KiB-granule block). */
const BLOCK_BUCKET_PAGES = 262144;
/** The bucket of leaves larger than BLOCK_BUCKET_PAGES (16 KiB and 64 KiB granules' level-1 blocks). */
const HUGE_BUCKET = 1 << 30;

/**
 * The bucket of a leaf of `pages` pages at VA page `base`: its gigabyte (folded into 30 bits;
 * gigabytes that share a bucket only cost extra checks), or HUGE_BUCKET.
 */
function blockBucket(base: number, pages: number): number {
  return pages > BLOCK_BUCKET_PAGES ? HUGE_BUCKET : Math.floor(base / BLOCK_BUCKET_PAGES) % HUGE_BUCKET;
}

/** The read, write and exec TLBs of one regime. */
function newTlbs(): SoftTlb[] {
  return [new SoftTlb(TLB_INITIAL_SIZE, false, TLB_SIZE), new SoftTlb(TLB_INITIAL_SIZE, false, TLB_SIZE), new SoftTlb(CODE_TLB_SIZE, true)];
}

/** Bytes of a RAM window (Cpu.ramBytes): 1 GiB, so offsets within one stay int32. */
const RAM_WINDOW = 1 << 30;

/** Drop the entries of write TLB `w` that point at page `pageOffset` of RAM window `ramIndex`. */
function dropWrites(w: SoftTlb, ramIndex: number, pageOffset: number): void {
  if (!w.dirty) return;
  for (let i = 0; i < w.size; i++) {
    if (w.e[i * 4] !== -1 && w.e[i * 4 + 3] === ramIndex && w.e[i * 4 + 2] === pageOffset) w.e[i * 4] = -1;
  }
}

/**
 * What one TLB maintenance instruction invalidates, as each CPU it reaches applies it (ARM ARM
 * C5.5 "A64 TLB maintenance instructions"). Each is a superset of what the instruction names:
 * by VA regardless of ASID and of the last-level hint, by ASID its global entries too.
 */
export type TlbInvalidation =
  /** Every regime, every VMID, and the stage-2 walk cache (the EL2 and EL3 operations). */
  | { readonly kind: "all" }
  /** The EL1&0 entries of `vmid` (VMALLE1); `stage2` also stage 2 (VMALLS12E1, IPAS2E1). */
  | { readonly kind: "el10"; readonly vmid: number; readonly stage2: boolean }
  /** ALLE1: the EL1&0 entries of every VMID, and stage 2. */
  | { readonly kind: "el10-all-vmids" }
  /** ASIDE1: the EL1&0 entries of ASID `asid` of `vmid`. */
  | { readonly kind: "asid"; readonly vmid: number; readonly asid: number }
  /** VAE1, VAAE1, VALE1, VAALE1: the EL1&0 entries of `vmid` whose stage-1 leaf covers VA page `key`. */
  | { readonly kind: "va"; readonly vmid: number; readonly key: number };

/** Result of a translation: physical address or a fault description. */
export interface Translation {
  pa: number;
  /** When a fault happened: the FSC (level included) and whether it was a stage-2 fault. */
  fault: number;
  faultS2: boolean;
  /** Whether the page may be cached in the soft TLB (false for e.g. watchpointed pages). */
  cacheable: boolean;
  /** For a stage-2 fault: the IPA that faulted, for HPFAR_EL2 (ARM ARM D17.2.? HPFAR_EL2). */
  ipa?: number;
  /** For a success, the size of the stage-1 leaf in 4 KiB pages (1 with the MMU off), for invalidation by VA. */
  leafPages?: number;
}

/** Stage-1 (and later stage-2) address translation, supplied by mmu.ts. */
export type Translator = (cpu: Cpu, lo: number, hi: number, access: Access, el: number, out: Translation, stage1Only?: boolean) => void;

/**
 * A device that rejects some accesses: QEMU's MemoryRegionOps.valid (min/max access size,
 * alignment, an accepts() callback). A rejected access is a decode error, which QEMU's Arm
 * CPUs take as a synchronous external abort (arm_cpu_do_transaction_failed), so the device
 * never sees it. `size` is the access as the instruction made it (1 to 8 bytes) and `offset`
 * is from the start of the device's bus region. Devices declare it structurally.
 */
export interface AccessCheckedDevice {
  accepts(offset: number, size: number, isWrite: boolean): boolean;
}

/** Whether the device mapped at `pa` (if any) rejects this access (readSlow/writeSlow: MMIO only). */
function rejectedByDevice(bus: Bus, pa: number, size: number, isWrite: boolean): boolean {
  const m = bus.findMmio(pa);
  const d = m?.device as Partial<AccessCheckedDevice> | undefined;
  return d?.accepts !== undefined && !d.accepts(pa - m!.base, size, isWrite);
}

export interface CpuConfig {
  index: number;
  bus: Bus;
  decoder: Decoder;
  sysregs: SysRegTable;
  translate: Translator;
  /** Highest implemented exception level: 1, 2 (virtualization=on) or 3 (secure=on). */
  highestEl: number;
  /** EL2 is implemented (default: highestEl >= 2; EL3 may exist without it). */
  hasEl2?: boolean;
  /**
   * Physical address size in bits, as ID_AA64MMFR0_EL1.PARange advertises it (the CPU model's:
   * 40 for the Cortex-A53, 44 for the A57 and A72); default 40. The MMU's address size checks
   * follow it (ARM ARM D8 "Address size configuration").
   */
  paBits?: number;
  mpidr: number;
  /**
   * The machine around the CPU: firmware calls, guest exits to EL2, broadcasts to other CPUs
   * (platform.ts). Default: a StandalonePlatform (one CPU, no firmware, no hypervisor).
   */
  platform?: CpuPlatform;
  /** When to compile blocks (default DEFAULT_JIT_THRESHOLDS). */
  jit?: Partial<JitThresholds>;
}

export class Cpu {
  readonly index: number;
  readonly bus: Bus;
  readonly decoder: Decoder;
  readonly sysregs: SysRegTable;
  /** The MMU; wrapped while a debugger's hook is attached (attachDebugHook). */
  translateFn: Translator;
  readonly highestEl: number;
  readonly hasEl2: boolean;
  /** Physical address size in bits (ID_AA64MMFR0_EL1.PARange, CpuConfig.paBits). */
  readonly paBits: number;
  /** The CPU's only way out (platform.ts); shared by the CPUs of a board. */
  readonly platform: CpuPlatform;
  /** Block heats at which loops and other blocks are compiled (see JitThresholds). */
  private readonly jitLoopHeat: number;
  private readonly jitStraightHeat: number;
  /** The attached observer, when it wants instructions (checked once per run call). */
  private instructionObserver: CpuObserver | undefined;
  /** The attached observer, when it wants exceptions (checked once per exception entry). */
  exceptionObserver: CpuObserver | undefined;

  // ---- architectural state ----
  /** X0-X30, SP (slot 31), zero (32), sink (33) as (lo, hi) pairs. */
  readonly x = new Int32Array(68);
  /** Banked stack pointers SP_EL0..SP_EL3 as pairs; the active one lives in slot 31. */
  readonly spBank = new Int32Array(8);
  /** V0-V31, 16 bytes each, little-endian lanes, with typed views for each lane size. */
  readonly vbuf = new ArrayBuffer(32 * 16);
  readonly v8 = new Uint8Array(this.vbuf);
  readonly v16 = new Uint16Array(this.vbuf);
  readonly v32 = new Int32Array(this.vbuf);
  readonly vf32 = new Float32Array(this.vbuf);
  readonly vf64 = new Float64Array(this.vbuf);
  readonly vview = new DataView(this.vbuf);
  pcLo = 0;
  pcHi = 0;
  /** PSTATE.{N,Z,C,V} as 0/1. */
  nf = 0; zf = 0; cf = 0; vf = 0;
  /** PSTATE.DAIF as in the DAIF register: D=bit 9, A=8, I=7, F=6. */
  daif: number = DAIF.ALL;
  el = 1;
  spSel = 1;
  /** PSTATE.IL (illegal execution state) and PSTATE.SS (software step). */
  pstateIl = 0;
  pstateSs = 0;
  fpcr = 0;
  fpsr = 0;
  /** System register storage, (lo, hi) pairs by slot. */
  sr: Int32Array;
  /**
   * The instruction being executed (for syndromes that describe it, e.g. ESR ISV fields): the
   * decoded instruction at the PC in the current code page. Looked up when an abort needs it
   * rather than stored before every access (a store with a write barrier per load and store).
   */
  get insn(): Decoded | undefined {
    const page = this.lastPage;
    return page !== undefined && page.valid ? page.insn((this.pcLo & 0xfff) >>> 2) : undefined;
  }
  /** Scratch outputs of sysreg reads and 64-bit loads. */
  srLo = 0; srHi = 0;
  ldHi = 0;

  // ---- exclusive monitor (ARM ARM B2.9); cleared on exception entry/return and CPU switch ----
  exclusiveValid = false;
  exclusiveAddr = 0; // physical address
  exclusiveSize = 0;

  // ---- run state ----
  /** 0: fall through; 1: PC was set by the instruction; 2: end the block after this instruction. */
  flow = 0;
  halted = false;
  /** WFE or a similar hint asked to end this CPU's slice so others run (single host thread). */
  yieldRequested = false;
  /** The event register (ARM ARM D1.16.1), set by SEV/SEVL and exception return. */
  eventRegister = false;
  /** Powered off (PSCI CPU_OFF or never started). */
  off = false;
  /**
   * Instructions executed so far. The interpreter counts each one before executing it; a
   * compiled block adds its count when it exits, so inside one `icount` lags (see
   * retiredInstructions).
   */
  icount = 0;
  /** A compiled region is running, and the PC (low word) its block in flight started at: retiredInstructions needs both. */
  inCompiledBlock = false;
  compiledBlockLo = 0;
  /**
   * Told before and after every change of exception level (the PMU's event filters depend on
   * the EL, ARM ARM D11.5; QEMU's pre/post el-change hooks). Undefined costs one test per change.
   */
  elChangeHook: ElChangeHook | undefined;
  /** Exceptions entered so far, and how many in a row came without an instruction between. */
  exceptionsTaken = 0;
  exceptionsWithoutProgress = 0;
  /**
   * Exceptions entered since the last successful exception return (ERET, or a TypeScript
   * hypervisor resuming the guest after an EL2 exit), for the board's stuck-guest check: real
   * handlers return, so a long run of exceptions without one is a CPU looping through vectors
   * that fault themselves, however many instructions each pass executes.
   */
  exceptionsSinceEret = 0;
  /**
   * The first exception of the current run (the first since the last exception return, or
   * after FIRST_FAULT_HORIZON quiet instructions): what started a loop that a fatal report
   * names, where ESR/FAR by then describe the vectors' own faults. `vector` is the offset of
   * the vector kind (0 synchronous, 0x80 IRQ, 0x100 FIQ, 0x180 SError); `far` is set only when
   * the exception wrote FAR.
   */
  readonly firstFault = { esr: 0, farLo: 0, farHi: 0, hasFar: false, pcLo: 0, pcHi: 0, fromEl: 0, targetEl: 0, vector: 0 };
  /** icount at the last exception entry (exceptions.ts: progress accounting). */
  lastExceptionIcount = -1;
  /** Interrupt request lines, driven by the interrupt controller. */
  irqLine = false;
  fiqLine = false;
  /** Virtual interrupt lines (HCR_EL2.VI/VF or a GIC virtual CPU interface). */
  virqLine = false;
  vfiqLine = false;
  /** Recomputed when lines, masks or routing change: an interrupt may need taking. */
  interruptCheck = false;
  /** FP/SIMD accessible at the current EL (CPACR_EL1.FPEN, CPTR_EL2.TFP). */
  fpEnabled = true;
  /** Alignment checking enabled for the current regime (SCTLR_ELx.A). */
  strictAlign = false;
  /** Last fatal problem, when the CPU gave up (reported by the board). */
  stopReason: string | undefined;
  /** The self-hosted debug registers and their matching (self-hosted-debug.ts). */
  readonly debug: SelfHostedDebug;
  /**
   * A breakpoint or software step is programmed (SelfHostedDebug.rearm): the run loop then asks
   * at block boundaries whether debug exceptions are enabled and the PC's page needs watching
   * (stepping, or a breakpoint in it), and if so runs one instruction at a time (runDebugged).
   * False in ordinary running, so this flag is all that debug costs.
   */
  debugArmed = false;

  // ---- soft TLBs per (EL regime, access) ----
  private tlbs: SoftTlb[][] = [];
  /**
   * EL1&0 translations are tagged with VTTBR_EL2.VMID and the ASID (ARM ARM D8.13.?
   * "Translation Lookaside Buffers"; the ASID comes from TTBR1_EL1 or TTBR0_EL1 as TCR_EL1.A1
   * says), so each such translation context keeps its own EL0 and EL1 TLBs: `tlbs[0]` and
   * `tlbs[1]` are the current context's, `parked` holds the others', least recently used first
   * (Map order). Switching back to a process, between the two ASIDs a KPTI kernel alternates
   * on every exception from EL0, or to another partition finds the translations again instead
   * of refilling them, and the fast paths see only the current set. Global entries are filled
   * per context, which costs refills but never a wrong translation.
   */
  private parked = new Map<number, ParkedContext>();
  /** VMID * 65536 + ASID of `tlbs[0]` and `tlbs[1]`. */
  private context = 0;
  /** Bumped whenever a page becomes code (dropWriteEntries), for the parked write TLBs. */
  private codeGeneration = 0;
  tlbR!: SoftTlb;
  tlbW!: SoftTlb;
  tlbX!: SoftTlb;
  /**
   * RAM windows for the fast path: each bus RAM region as views of up to RAM_WINDOW bytes, so
   * a TLB entry's offset within its window is an int32 whatever the size of the RAM.
   */
  private ramBytes: Uint8Array[] = [];
  private ramViews: DataView[] = [];
  /** The first window of each bus RAM region. */
  private readonly ramWindow: number[] = [];

  /**
   * Take in RAM regions added to the bus after this CPU was made (a hypervisor's own memory,
   * mapped into its guests), so the fast paths that index RAM by window reach them.
   */
  ramsAdded(): void {
    for (let i = this.ramWindow.length; i < this.bus.rams.length; i++) {
      const bytes = this.bus.rams[i].bytes;
      this.ramWindow.push(this.ramBytes.length);
      for (let start = 0; start < bytes.length || start === 0; start += RAM_WINDOW) {
        const w = bytes.subarray(start, Math.min(bytes.length, start + RAM_WINDOW));
        this.ramBytes.push(w);
        this.ramViews.push(new DataView(w.buffer, w.byteOffset, w.byteLength));
      }
    }
  }

  /** The RAM window holding byte `offset` of bus RAM region `ri`. */
  private windowOf(ri: number, offset: number): number {
    return this.ramWindow[ri] + Math.floor(offset / RAM_WINDOW);
  }

  /** Pre-decoded instruction pages, keyed by physical page base. */
  private codeCache: CodeCache;
  /**
   * Bumped whenever cached translations may have changed (TLB flush, EL change), so the run
   * loop's remembered code page is looked up again.
   */
  /** Bumped by every TLB or translation-regime change (read by compiled regions between blocks). */
  tlbEpoch = 0;
  /** The last code page fetched, with the VA page key and epoch it was valid for. */
  private lastPage: CodePage | undefined;
  private lastPageKey = -1;
  private lastPageEpoch = -1;
  /** PC (low word) of the instruction that raised the last synchronous exception. */
  excPcLo = 0;
  private readonly tr: Translation = { pa: 0, fault: 0, faultS2: false, cacheable: true, ipa: 0, leafPages: 1 };

  constructor(cfg: CpuConfig, codeCache: CodeCache) {
    this.index = cfg.index;
    this.bus = cfg.bus;
    this.decoder = cfg.decoder;
    this.sysregs = cfg.sysregs;
    this.translateFn = cfg.translate;
    this.highestEl = cfg.highestEl;
    this.paBits = cfg.paBits ?? 40;
    this.hasEl2 = cfg.hasEl2 ?? cfg.highestEl >= 2;
    this.platform = cfg.platform ?? new StandalonePlatform();
    this.jitLoopHeat = heatThreshold(cfg.jit?.loops ?? DEFAULT_JIT_THRESHOLDS.loops);
    this.jitStraightHeat = heatThreshold(cfg.jit?.straight ?? DEFAULT_JIT_THRESHOLDS.straight);
    this.codeCache = codeCache;
    this.sr = new Int32Array(cfg.sysregs.size * 2 + 2);
    for (let el = 0; el < 4; el++) this.tlbs.push(newTlbs());
    this.ramsAdded();
    this.debug = new SelfHostedDebug(this);
    this.resetSysregs(cfg.mpidr);
    this.el = Math.max(1, cfg.highestEl); // out of reset at the highest EL (ARM ARM D1.9.1)
    this.selectTlbs();
    this.updateCachedControls();
  }

  /** Reset every register to its architectural reset value (PSCI CPU_ON re-initialises state). */
  resetSysregs(mpidr: number): void {
    for (const d of this.sysregs.defs) {
      const v = d.reset ?? 0n;
      this.sr[d.slot! * 2] = Number(v & 0xffffffffn) | 0;
      this.sr[d.slot! * 2 + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
    }
    this.sr[SR.MPIDR_EL1 * 2] = mpidr | 0;
    this.sr[SR.VMPIDR_EL2 * 2] = mpidr | 0;
    this.sr[SR.VPIDR_EL2 * 2] = this.sr[SR.MIDR_EL1 * 2];
    this.debug.reset();
  }

  // ================= register access helpers =================

  /** Read system register slot as lo word. */
  srGetLo(slot: number): number { return this.sr[slot * 2]; }
  srGetHi(slot: number): number { return this.sr[slot * 2 + 1]; }
  srSet(slot: number, lo: number, hi: number): void { this.sr[slot * 2] = lo; this.sr[slot * 2 + 1] = hi; }

  /** PSTATE as an SPSR value (ARM ARM C5.2.18): NZCV, SS, IL, DAIF, M[3:0]. */
  getPstate(): number {
    return ((this.nf << 31) | (this.zf << 30) | (this.cf << 29) | (this.vf << 28) |
      (this.pstateSs << 21) | (this.pstateIl << 20) | this.daif | (this.el << 2) | this.spSel) >>> 0;
  }

  /** Switch exception level and/or SPSel, banking the stack pointer (ARM ARM D1.6.2). */
  setElSp(el: number, spSel: number): void {
    const oldBank = this.spSel ? this.el : 0;
    const newBank = spSel ? el : 0;
    if (oldBank !== newBank) {
      this.spBank[oldBank * 2] = this.x[62];
      this.spBank[oldBank * 2 + 1] = this.x[63];
      this.x[62] = this.spBank[newBank * 2];
      this.x[63] = this.spBank[newBank * 2 + 1];
    }
    const elChanged = el !== this.el;
    const hook = elChanged ? this.elChangeHook : undefined;
    hook?.beforeElChange(this);
    this.el = el;
    this.spSel = spSel;
    if (elChanged) {
      this.selectTlbs();
      this.updateCachedControls();
    }
    hook?.afterElChange(this);
  }

  /** Read a banked SP_ELn (the live one is in slot 31). */
  getSpEl(n: number): [number, number] {
    const live = this.spSel ? this.el : 0;
    if (n === live) return [this.x[62], this.x[63]];
    return [this.spBank[n * 2], this.spBank[n * 2 + 1]];
  }

  setSpEl(n: number, lo: number, hi: number): void {
    const live = this.spSel ? this.el : 0;
    if (n === live) { this.x[62] = lo; this.x[63] = hi; return; }
    this.spBank[n * 2] = lo; this.spBank[n * 2 + 1] = hi;
  }

  /** Restore PSTATE from an SPSR value (ERET, ARM ARM D1.11). */
  setPstate(spsr: number): void {
    this.nf = (spsr >>> 31) & 1; this.zf = (spsr >>> 30) & 1; this.cf = (spsr >>> 29) & 1; this.vf = (spsr >>> 28) & 1;
    this.pstateSs = (spsr >>> 21) & 1;
    this.pstateIl = (spsr >>> 20) & 1;
    this.daif = spsr & DAIF.ALL;
    this.setElSp((spsr >>> 2) & 3, spsr & 1);
    this.interruptCheck = true;
  }

  /** EL2 is implemented and enabled for the current security state. */
  get el2Enabled(): boolean {
    // ARMv8.0 has no Secure EL2: with EL3 implemented, EL2 exists only for Non-secure state,
    // i.e. while SCR_EL3.NS = 1 (ARM ARM D1.1, D13.2.113 SCR_EL3.NS).
    return this.hasEl2 && (this.highestEl < 3 || (this.sr[SR.SCR_EL3 * 2] & SCR_EL3.NS) !== 0);
  }

  /** HCR_EL2 low word when EL2 is enabled (0 otherwise). */
  hcrLo(): number { return this.el2Enabled ? this.sr[SR.HCR_EL2 * 2] : 0; }
  hcrHi(): number { return this.el2Enabled ? this.sr[SR.HCR_EL2 * 2 + 1] : 0; }

  /** Recompute state cached from control registers; call after writing them or changing EL. */
  updateCachedControls(): void {
    // FP/SIMD access (CPACR_EL1.FPEN, CPTR_EL2.TFP; the traps themselves in exceptions.ts fpTrap).
    const fpen = (this.sr[SR.CPACR_EL1 * 2] & CPACR_EL1.FPEN_MASK) >>> CPACR_EL1.FPEN_SHIFT;
    let ok = true;
    if (this.el === 0 && fpen !== 3) ok = false;
    if (this.el === 1 && (fpen === 0 || fpen === 2)) ok = false;
    if (this.el <= 2 && this.el2Enabled && (this.sr[SR.CPTR_EL2 * 2] & CPTR.TFP)) ok = false;
    // CPTR_EL3.TFP traps FP/SIMD at every EL, EL3 included (ARM ARM D13.2.31).
    if (this.highestEl === 3 && (this.sr[SR.CPTR_EL3 * 2] & CPTR.TFP)) ok = false;
    this.fpEnabled = ok;
    const sctlr = this.sr[this.sctlrSlot() * 2];
    this.strictAlign = (sctlr & SCTLR.A) !== 0;
    this.interruptCheck = true;
  }

  /** SCTLR slot of the current translation regime. */
  sctlrSlot(): number {
    if (this.el === 3) return SR.SCTLR_EL3;
    if (this.el === 2) return SR.SCTLR_EL2;
    if (this.el === 0 && (this.hcrLo() & HCR_EL2.TGE)) return SR.SCTLR_EL2;
    return SR.SCTLR_EL1;
  }

  // ================= soft TLB =================

  private selectTlbs(): void {
    this.tlbEpoch++;
    // A hypervisor may have set VTTBR_EL2 or the guest's TTBRs without telling (see
    // vttbrChanged): check on the way into the EL1&0 regime, a few loads per EL change.
    if (this.el <= 1) { const c = this.contextNow(); if (c !== this.context) this.switchContext(c); }
    const t = this.tlbs[this.el];
    this.tlbR = t[0]; this.tlbW = t[1]; this.tlbX = t[2];
  }

  /** The stage-2 walk cache (mmu.ts stage2): IPA page, PA page and the leaf descriptor's words. */
  readonly s2cTag = new Float64Array(S2C_SIZE).fill(-1);
  readonly s2cPa = new Float64Array(S2C_SIZE);
  readonly s2cDlo = new Int32Array(S2C_SIZE);
  readonly s2cDhi = new Int32Array(S2C_SIZE);
  /** Filled since the last clear: without stage 2 it stays empty, and TLBI then costs nothing more. */
  s2cDirty = false;

  private clearStage2Cache(): void {
    if (!this.s2cDirty) return;
    this.s2cTag.fill(-1);
    this.s2cDirty = false;
  }

  /**
   * Invalidate all cached translations of this CPU, of every context (broadcast TLBI of the
   * EL2 and EL3 regimes, TCR and SCTLR writes, reset, a hypervisor entering a guest); `stage2`
   * also clears the stage-2 walk cache, which only stage-2 changes make stale.
   */
  flushTlb(stage2 = true): void {
    if (stage2) this.clearStage2Cache();
    for (const t of this.tlbs) for (const k of t) k.flush();
    for (const p of this.parked.values()) for (const t of p.tlbs) for (const k of t) k.flush();
    // Every TLB is empty now, so the current ones can take the context as the registers say
    // (a reset or a hypervisor may have changed them directly).
    const c = this.contextNow();
    if (c !== this.context) {
      if (vmidOf(c) !== vmidOf(this.context)) this.clearStage2Cache();
      this.parked.delete(c);
      this.context = c;
    }
    this.tlbEpoch++;
    this.flow = this.flow || 2;
  }

  /**
   * Invalidate the EL1&0 translations of the current VMID, every ASID (ARM ARM C5.5: the EL1
   * operations apply to the current VMID when EL2 is enabled); `stage2` also clears the
   * stage-2 walk cache (VMALLS12E1, IPAS2E1, a new VTTBR_EL2 base). The TLBs hold combined
   * stage 1+2 entries, so invalidating by IPA drops them all: a superset of what IPAS2E1 must.
   */
  flushTlbEl10(stage2 = true): void {
    this.invalidateTlb({ kind: "el10", vmid: this.currentVmid(), stage2 });
  }

  /** Invalidate the EL1&0 translations of every VMID (TLBI ALLE1), stage 2 included. */
  flushTlbEl10AllVmids(): void {
    this.clearStage2Cache();
    for (let el = 0; el <= 1; el++) for (const k of this.tlbs[el]) k.flush();
    for (const p of this.parked.values()) for (const t of p.tlbs) for (const k of t) k.flush();
    this.tlbEpoch++;
    this.flow = this.flow || 2;
  }

  /** The VMID that EL1&0 TLB maintenance on this CPU applies to now (VTTBR_EL2.VMID, 0 without EL2). */
  currentVmid(): number { return this.vttbrVmid(); }

  /** The mask of the ASID field as TCR_EL1.AS (bit 36) sets its size: 16 or 8 bits. */
  asidMask(): number { return (this.sr[SR.TCR_EL1 * 2 + 1] & (1 << 4)) !== 0 ? 0xffff : 0xff; }

  /**
   * Apply one TLB maintenance operation (issued here or broadcast by another CPU of the Inner
   * Shareable domain) to this CPU's TLBs. Operations on a VMID's EL1&0 translations reach that
   * VMID's contexts only, current or parked, so a partition's TLBI leaves the others' alone.
   */
  invalidateTlb(op: TlbInvalidation): void {
    switch (op.kind) {
      case "all": this.flushTlb(); return;
      case "el10-all-vmids": this.flushTlbEl10AllVmids(); return;
    }
    const page = op.kind === "va" ? op.key : -1;
    const apply = (set: SoftTlb[][]) => {
      for (let el = 0; el <= 1; el++) for (const k of set[el]) { if (page >= 0) k.flushPage(page); else k.flush(); }
    };
    if (op.kind === "va") {
      // The parked contexts' entries go when they come back (VA_LOG).
      const j = this.vaLogged++ % VA_LOG;
      this.vaLogKey[j] = op.key;
      this.vaLogVmid[j] = op.vmid;
      if (vmidOf(this.context) === op.vmid) apply(this.tlbs);
    } else if (op.kind === "asid") {
      const c = op.vmid * 65536 + op.asid;
      if (c === this.context) apply(this.tlbs);
      else { const p = this.parked.get(c); if (p !== undefined) apply(p.tlbs); }
    } else {
      if (vmidOf(this.context) === op.vmid) apply(this.tlbs);
      for (const [c, p] of this.parked) if (vmidOf(c) === op.vmid) apply(p.tlbs);
    }
    if (vmidOf(this.context) !== op.vmid) return;
    if (op.kind === "el10" && op.stage2) this.clearStage2Cache();
    this.tlbEpoch++;
    this.flow = this.flow || 2;
  }

  /**
   * VTTBR_EL2 changed (MSR does this; a hypervisor in TypeScript that sets the register directly
   * calls it too): use the TLBs of the new VMID. The same VMID with another table base drops
   * that VMID's entries (software should invalidate then; flushing is the safe superset).
   */
  vttbrChanged(): void {
    const c = this.contextNow();
    if (vmidOf(c) === vmidOf(this.context)) this.flushTlbEl10();
    if (c !== this.context) this.switchContext(c);
  }

  /**
   * TTBR0_EL1 or TTBR1_EL1 was written: the ASID may have changed. Entries are not dropped for
   * a new table base under the same ASID, as on hardware, where software invalidates when it
   * changes mappings or reuses an ASID (ARM ARM D8.13.?), and as in QEMU, which flushes only
   * when the ASID changes.
   */
  translationContextChanged(): void {
    const c = this.contextNow();
    if (c !== this.context) this.switchContext(c);
  }

  /** VTTBR_EL2.VMID (bits [55:48]; 8-bit VMIDs, no FEAT_VMID16). */
  private vttbrVmid(): number {
    return this.hasEl2 ? (this.sr[SR.VTTBR_EL2 * 2 + 1] >>> 16) & 0xff : 0;
  }

  /** The translation context the registers name: VMID * 65536 + ASID (TCR_EL1.A1 picks the TTBR). */
  private contextNow(): number {
    const ttbr = (this.sr[SR.TCR_EL1 * 2] & (1 << 22)) !== 0 ? SR.TTBR1_EL1 : SR.TTBR0_EL1;
    return this.vttbrVmid() * 65536 + ((this.sr[ttbr * 2 + 1] >>> 16) & this.asidMask());
  }

  /**
   * Make context `c` current: park the EL0 and EL1 TLBs under the old context and bring in the
   * new one's (or reuse the least recently parked set, emptied, when MAX_PARKED_CONTEXTS are).
   */
  private switchContext(c: number): void {
    if (vmidOf(c) !== vmidOf(this.context)) this.clearStage2Cache(); // its stage-2 leaves are the old VMID's
    const parked = this.parked;
    parked.set(this.context, { tlbs: [this.tlbs[0], this.tlbs[1]], codeGeneration: this.codeGeneration, invalidations: this.vaLogged });
    const p = parked.get(c);
    let set: SoftTlb[][];
    if (p !== undefined) {
      parked.delete(c);
      set = p.tlbs;
      // Pages that became code while it was parked may have write entries here (dropWriteEntries
      // reaches the current TLBs only).
      if (p.codeGeneration !== this.codeGeneration) { set[0][1].flush(); set[1][1].flush(); }
      this.replayVaInvalidations(set, c, p.invalidations);
    } else if (parked.size > MAX_PARKED_CONTEXTS) {
      const [oldest, reused] = parked.entries().next().value as [number, ParkedContext];
      parked.delete(oldest);
      set = reused.tlbs;
      for (const t of set) for (const k of t) k.flush();
    } else {
      set = [newTlbs(), newTlbs()];
    }
    this.tlbs[0] = set[0];
    this.tlbs[1] = set[1];
    this.context = c;
    const t = this.tlbs[this.el];
    this.tlbR = t[0]; this.tlbW = t[1]; this.tlbX = t[2];
    this.tlbEpoch++;
    this.flow = this.flow || 2;
  }

  /** Invalidations by VA, for the parked contexts (VA_LOG): page keys and VMIDs, and how many so far. */
  private readonly vaLogKey = new Float64Array(VA_LOG);
  private readonly vaLogVmid = new Int32Array(VA_LOG);
  private vaLogged = 0;

  /** Apply to `set`, the EL0 and EL1 TLBs of context `c`, the invalidations by VA logged since `since`. */
  private replayVaInvalidations(set: SoftTlb[][], c: number, since: number): void {
    if (this.vaLogged === since) return;
    if (this.vaLogged - since > VA_LOG) { for (const t of set) for (const k of t) k.flush(); return; }
    const vmid = vmidOf(c);
    for (let n = since; n < this.vaLogged; n++) {
      const j = n % VA_LOG;
      if (this.vaLogVmid[j] !== vmid) continue;
      for (const t of set) for (const k of t) k.flushPage(this.vaLogKey[j]);
    }
  }

  /** Drop write entries to a physical page that now holds pre-decoded code. */
  dropWriteEntries(ramIndex: number, pageOffset: number): void {
    const w = this.windowOf(ramIndex, pageOffset), o = pageOffset % RAM_WINDOW;
    for (const t of this.tlbs) dropWrites(t[1], w, o);
    this.codeGeneration++;
  }

  // ================= memory access =================
  // Fast paths: TLB hit on a RAM page, access within the page and (when SCTLR.A) aligned.

  read8(lo: number, hi: number): number {
    const p = lo >>> 12, t = this.tlbR, i = p & t.mask;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi) return this.ramBytes[t.e[i * 4 + 3]][t.e[i * 4 + 2] + (lo & 0xfff)];
    if (this.refillRead(lo, hi, 1)) return this.read8(lo, hi);
    return this.readSlow(lo, hi, 1, this.el) as number;
  }

  read16(lo: number, hi: number): number {
    const p = lo >>> 12, t = this.tlbR, i = p & t.mask, o = lo & 0xfff;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && o <= 0xffe && !(this.strictAlign && (lo & 1)))
      return this.ramViews[t.e[i * 4 + 3]].getUint16(t.e[i * 4 + 2] + o, true);
    if (this.refillRead(lo, hi, 2)) return this.read16(lo, hi);
    return this.readSlow(lo, hi, 2, this.el) as number;
  }

  /** Returns the word as a signed int32. */
  read32(lo: number, hi: number): number {
    const p = lo >>> 12, t = this.tlbR, i = p & t.mask, o = lo & 0xfff;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && o <= 0xffc && !(this.strictAlign && (lo & 3)))
      return this.ramViews[t.e[i * 4 + 3]].getInt32(t.e[i * 4 + 2] + o, true);
    if (this.refillRead(lo, hi, 4)) return this.read32(lo, hi);
    return (this.readSlow(lo, hi, 4, this.el) as number) | 0;
  }

  /** Returns the low word; the high word is left in `ldHi`. */
  read64(lo: number, hi: number): number {
    const p = lo >>> 12, t = this.tlbR, i = p & t.mask, o = lo & 0xfff;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && o <= 0xff8 && !(this.strictAlign && (lo & 7))) {
      const v = this.ramViews[t.e[i * 4 + 3]], a = t.e[i * 4 + 2] + o;
      this.ldHi = v.getInt32(a + 4, true);
      return v.getInt32(a, true);
    }
    if (this.refillRead(lo, hi, 8)) return this.read64(lo, hi);
    const r = this.readSlow(lo, hi, 8, this.el) as bigint;
    this.ldHi = Number((r >> 32n) & 0xffffffffn) | 0;
    return Number(r & 0xffffffffn) | 0;
  }

  /**
   * TLB miss on a read the fast path could serve: translate (faulting as the slow path would)
   * and, when the page is cacheable RAM, fill the entry and return true so the caller retries
   * the fast path instead of reading through the bus (which boxes 64-bit values as BigInt).
   */
  private refillRead(lo: number, hi: number, size: number): boolean {
    if ((lo & 0xfff) + size > 0x1000 || (this.strictAlign && (lo & (size - 1)))) return false;
    const pa = this.translate(lo, hi, Access.Read, this.el, size);
    const ri = this.bus.findRam(pa);
    if (ri < 0 || !this.tr.cacheable) return false;
    this.fillTlb(this.tlbR, lo, hi, ri, pa);
    return true;
  }

  /**
   * TLB miss on a store the fast path could serve: as refillRead, for writable RAM pages that
   * hold no pre-decoded code (stores there must go through writeSlow, which drops the code).
   * Clears other CPUs' exclusive monitors for the address, as every slow-path store does.
   */
  private refillWrite(lo: number, hi: number, size: number): boolean {
    if ((lo & 0xfff) + size > 0x1000 || (this.strictAlign && (lo & (size - 1)))) return false;
    const pa = this.translate(lo, hi, Access.Write, this.el, size);
    const ri = this.bus.findRam(pa);
    if (ri < 0 || !this.tr.cacheable) return false;
    const r = this.bus.rams[ri];
    if (r.readOnly || r.codePages[(pa - r.base) >>> 12]) return false;
    this.platform.clearOtherExclusiveMonitors(this, pa);
    this.fillTlb(this.tlbW, lo, hi, ri, pa);
    return true;
  }

  write8(lo: number, hi: number, v: number): void {
    const p = lo >>> 12, t = this.tlbW, i = p & t.mask;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi) { this.ramBytes[t.e[i * 4 + 3]][t.e[i * 4 + 2] + (lo & 0xfff)] = v; return; }
    if (this.refillWrite(lo, hi, 1)) { this.write8(lo, hi, v); return; }
    this.writeSlow(lo, hi, 1, v & 0xff, this.el);
  }

  write16(lo: number, hi: number, v: number): void {
    const p = lo >>> 12, t = this.tlbW, i = p & t.mask, o = lo & 0xfff;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && o <= 0xffe && !(this.strictAlign && (lo & 1))) {
      this.ramViews[t.e[i * 4 + 3]].setUint16(t.e[i * 4 + 2] + o, v, true); return;
    }
    if (this.refillWrite(lo, hi, 2)) { this.write16(lo, hi, v); return; }
    this.writeSlow(lo, hi, 2, v & 0xffff, this.el);
  }

  write32(lo: number, hi: number, v: number): void {
    const p = lo >>> 12, t = this.tlbW, i = p & t.mask, o = lo & 0xfff;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && o <= 0xffc && !(this.strictAlign && (lo & 3))) {
      this.ramViews[t.e[i * 4 + 3]].setInt32(t.e[i * 4 + 2] + o, v, true); return;
    }
    if (this.refillWrite(lo, hi, 4)) { this.write32(lo, hi, v); return; }
    this.writeSlow(lo, hi, 4, v >>> 0, this.el);
  }

  write64(lo: number, hi: number, vlo: number, vhi: number): void {
    const p = lo >>> 12, t = this.tlbW, i = p & t.mask, o = lo & 0xfff;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && o <= 0xff8 && !(this.strictAlign && (lo & 7))) {
      const v = this.ramViews[t.e[i * 4 + 3]], a = t.e[i * 4 + 2] + o;
      v.setInt32(a, vlo, true); v.setInt32(a + 4, vhi, true); return;
    }
    if (this.refillWrite(lo, hi, 8)) { this.write64(lo, hi, vlo, vhi); return; }
    this.writeSlow(lo, hi, 8, (BigInt(vhi >>> 0) << 32n) | BigInt(vlo >>> 0), this.el);
  }

  /**
   * LDTR/STTR (ARM ARM C6.2, AArch64.UnprivilegedAccess): at EL1 the access is checked as if
   * from EL0; at EL2 and EL3 (no VHE here) it is an ordinary access. Linux copies to and from
   * user memory with them, so at EL1 they have a fast path of their own through the EL0 TLBs of
   * the same regime, whose entries passed EL0's permission checks. Sizes 1, 2, 4 and 8; for 8
   * the high word is left in `ldHi`, as read64 does.
   */
  readUnprivileged(lo: number, hi: number, size: number): number {
    if (this.el !== 1) {
      return size === 1 ? this.read8(lo, hi) : size === 2 ? this.read16(lo, hi) : size === 4 ? this.read32(lo, hi) : this.read64(lo, hi);
    }
    const t = this.tlbs[0][0], o = lo & 0xfff;
    const p = lo >>> 12;
    if (o + size <= 0x1000 && !(this.strictAlign && (lo & (size - 1)))) {
      let i = p & t.mask;
      if (t.e[i * 4] !== p || t.e[i * 4 + 1] !== hi) {
        const pa = this.translate(lo, hi, Access.Read, 0, size);
        const ri = this.bus.findRam(pa);
        if (ri >= 0 && this.tr.cacheable) this.fillTlb(t, lo, hi, ri, pa);
        i = p & t.mask; // (the fill may have grown the TLB)
      }
      if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi) {
        const v = this.ramViews[t.e[i * 4 + 3]], a = t.e[i * 4 + 2] + o;
        if (size === 1) return v.getUint8(a);
        if (size === 2) return v.getUint16(a, true);
        if (size === 4) return v.getInt32(a, true);
        this.ldHi = v.getInt32(a + 4, true);
        return v.getInt32(a, true);
      }
    }
    const r = this.readSlow(lo, hi, size, 0);
    if (size !== 8) return size === 4 ? (r as number) | 0 : r as number;
    this.ldHi = Number(((r as bigint) >> 32n) & 0xffffffffn) | 0;
    return Number((r as bigint) & 0xffffffffn) | 0;
  }

  /** The store side of readUnprivileged (STTR): `vlo`, `vhi` the value's words (`vhi` for size 8 only). */
  writeUnprivileged(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    if (this.el !== 1) {
      if (size === 1) this.write8(lo, hi, vlo); else if (size === 2) this.write16(lo, hi, vlo);
      else if (size === 4) this.write32(lo, hi, vlo); else this.write64(lo, hi, vlo, vhi);
      return;
    }
    const t = this.tlbs[0][1], o = lo & 0xfff;
    const p = lo >>> 12;
    if (o + size <= 0x1000 && !(this.strictAlign && (lo & (size - 1)))) {
      let i = p & t.mask;
      if (t.e[i * 4] !== p || t.e[i * 4 + 1] !== hi) {
        const pa = this.translate(lo, hi, Access.Write, 0, size);
        const ri = this.bus.findRam(pa);
        if (ri >= 0 && this.tr.cacheable) {
          const r = this.bus.rams[ri];
          if (!r.readOnly && !r.codePages[(pa - r.base) >>> 12]) {
            this.platform.clearOtherExclusiveMonitors(this, pa);
            this.fillTlb(t, lo, hi, ri, pa);
          }
        }
        i = p & t.mask; // (the fill may have grown the TLB)
      }
      if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi) {
        const v = this.ramViews[t.e[i * 4 + 3]], a = t.e[i * 4 + 2] + o;
        if (size === 1) v.setUint8(a, vlo);
        else if (size === 2) v.setUint16(a, vlo, true);
        else if (size === 4) v.setInt32(a, vlo, true);
        else { v.setInt32(a, vlo, true); v.setInt32(a + 4, vhi, true); }
        return;
      }
    }
    const value = size === 8 ? (BigInt(vhi >>> 0) << 32n) | BigInt(vlo >>> 0) : (vlo >>> 0) & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);
    this.writeSlow(lo, hi, size, value, 0);
  }

  /** Translate for an access; raises the abort on a fault. Returns the physical address. */
  translate(lo: number, hi: number, access: Access, el: number, size: number): number {
    const tr = this.tr;
    this.translateFn(this, lo, hi, access, el, tr);
    if (tr.fault >= 0) this.translationFault(access, lo, hi);
    // An access that crosses a page boundary must also translate its last byte.
    if (size > 1 && (lo & 0xfff) + size > 0x1000) {
      const lo2 = (lo + size - 1) | 0;
      const hi2 = ((lo >>> 0) + size - 1 > 0xffffffff) ? (hi + 1) | 0 : hi;
      this.translateFn(this, lo2, hi2, access, el, tr);
      if (tr.fault >= 0) this.translationFault(access, lo2, hi2);
      this.translateFn(this, lo, hi, access, el, tr);
    }
    // Accesses to pages a watchpoint covers must reach readSlow/writeSlow, which check it.
    if (this.debug.watching && access !== Access.Exec && this.debug.pageWatched(lo, hi)) tr.cacheable = false;
    // Secure-only memory (virt,secure=on): Non-secure accesses find nothing there, an external
    // abort. Stage-1 NS descriptor bits are not modelled: EL3 and Secure EL1 access as Secure.
    if (this.highestEl === 3 && !this.isSecure() && this.platform.isSecureOnly(tr.pa)) {
      this.abort(access, FSC.SYNC_EXTERNAL, lo, hi, false);
    }
    return tr.pa;
  }

  /**
   * Abort for the fault in `tr`. A stage-2 fault also reports the faulting IPA in
   * HPFAR_EL2.FIPA (bits [39:4] = IPA[47:12], ARM ARM D17.2.? HPFAR_EL2); FAR_EL2 gets the VA.
   */
  private translationFault(access: Access, lo: number, hi: number): never {
    const tr = this.tr;
    if (tr.faultS2) this.setHpfar(tr.ipa!);
    this.abort(access, tr.fault, lo, hi, tr.faultS2);
  }

  /** HPFAR_EL2.FIPA for a stage-2 fault on `ipa`: bits [39:4] = IPA[47:12]. */
  setHpfar(ipa: number): void {
    const page = Math.floor(ipa / 4096);
    this.sr[SR.HPFAR_EL2 * 2] = (page % 268435456) * 16;
    this.sr[SR.HPFAR_EL2 * 2 + 1] = Math.floor(page / 268435456);
  }

  /** In Secure state: at EL3, or below it while SCR_EL3.NS = 0 (ARM ARM D1.1). */
  isSecure(): boolean {
    return this.highestEl === 3 && (this.el === 3 || (this.sr[SR.SCR_EL3 * 2] & SCR_EL3.NS) === 0);
  }

  /**
   * As translate at the current EL for a read or write within one page, answered by the soft
   * TLB when it holds the page (entries exist only for translations that succeeded with the same
   * access kind and EL, and are flushed whenever translation changes). For instructions that need
   * the physical address or the fault but access memory separately: DC ZVA and the exclusives,
   * frequent in a Linux boot.
   */
  translateCached(lo: number, hi: number, access: Access.Read | Access.Write, size: number): number {
    const p = lo >>> 12, t = access === Access.Write ? this.tlbW : this.tlbR, i = p & t.mask;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi && (lo & 0xfff) + size <= 0x1000) return t.paPage[i] + (lo & 0xfff);
    return this.translate(lo, hi, access, this.el, size);
  }

  /**
   * First checks of a slow-path access: a debugger's watchpoints (before anything of the access
   * happens), then alignment. The watchpoint test lives here rather than in readSlow and
   * writeSlow, whose size V8's inlining is sensitive to (measured: about 5% on the run loop).
   */
  private checkAlign(lo: number, hi: number, size: number, access: Access): void {
    if (this.debugHook !== undefined && this.debugHook.watchpointHit(this, lo, hi, size, access === Access.Write)) throw DEBUG_STOP;
    if (this.strictAlign && (lo & (size - 1))) this.abort(access, FSC.ALIGNMENT, lo, hi, false);
  }

  readSlow(lo: number, hi: number, size: number, el: number): number | bigint {
    this.checkAlign(lo, hi, size, Access.Read);
    const crosses = (lo & 0xfff) + size > 0x1000;
    if (crosses) {
      // Byte by byte across the boundary; each byte translates on its own.
      let v = 0n;
      for (let b = size - 1; b >= 0; b--) {
        const l = (lo >>> 0) + b;
        v = (v << 8n) | BigInt(this.readSlow(l | 0, l > 0xffffffff ? (hi + 1) | 0 : hi, 1, el) as number);
      }
      return size === 8 ? v : Number(v);
    }
    const pa = this.translate(lo, hi, Access.Read, el, size);
    if (!this.tr.cacheable && this.debug.watching) this.debug.checkWatchpoints(lo, hi, size, false, el);
    const ri = this.bus.findRam(pa);
    if (ri >= 0 && this.tr.cacheable && el === this.el) this.fillTlb(this.tlbR, lo, hi, ri, pa);
    else if (ri < 0 && rejectedByDevice(this.bus, pa, size, false)) this.abort(Access.Read, FSC.SYNC_EXTERNAL, lo, hi, false);
    const v = this.bus.read(pa, size, this.index);
    if (v === undefined) this.abort(Access.Read, FSC.SYNC_EXTERNAL, lo, hi, false);
    return v!;
  }

  writeSlow(lo: number, hi: number, size: number, v: number | bigint, el: number): void {
    this.checkAlign(lo, hi, size, Access.Write);
    if ((lo & 0xfff) + size > 0x1000) {
      // Translate both pages first so a fault on the second leaves memory untouched.
      this.translate(lo, hi, Access.Write, el, size);
      let bv = BigInt(v);
      for (let b = 0; b < size; b++) {
        const l = (lo >>> 0) + b;
        this.writeSlow(l | 0, l > 0xffffffff ? (hi + 1) | 0 : hi, 1, Number(bv & 0xffn), el);
        bv >>= 8n;
      }
      return;
    }
    const pa = this.translate(lo, hi, Access.Write, el, size);
    if (!this.tr.cacheable && this.debug.watching) this.debug.checkWatchpoints(lo, hi, size, true, el);
    // Any store can break another CPU's exclusive reservation (global monitor, ARM ARM B2.9.3).
    this.platform.clearOtherExclusiveMonitors(this, pa);
    const ri = this.bus.findRam(pa);
    // A store into pre-decoded code ends the block, so the rest of it is decoded afresh.
    if (ri >= 0 && this.bus.rams[ri].codePages[(pa - this.bus.rams[ri].base) >>> 12] && this.flow === 0) this.flow = 2;
    if (ri < 0 && rejectedByDevice(this.bus, pa, size, true)) this.abort(Access.Write, FSC.SYNC_EXTERNAL, lo, hi, false);
    if (!this.bus.write(pa, size, v, this.index)) this.abort(Access.Write, FSC.SYNC_EXTERNAL, lo, hi, false);
    if (ri >= 0 && this.tr.cacheable && el === this.el) {
      const r = this.bus.rams[ri];
      if (!r.readOnly && !r.codePages[(pa - r.base) >>> 12]) this.fillTlb(this.tlbW, lo, hi, ri, pa);
    }
  }

  private fillTlb(t: SoftTlb, lo: number, hi: number, ri: number, pa: number): void {
    const p = lo >>> 12, i = t.slotForFill(p);
    const pageBase = pa - (pa % 4096);
    t.e[i * 4] = p;
    t.e[i * 4 + 1] = hi;
    const o = pageBase - this.bus.rams[ri].base;
    t.e[i * 4 + 3] = this.windowOf(ri, o);
    t.e[i * 4 + 2] = o % RAM_WINDOW;
    t.paPage[i] = pageBase;
    if (t.code.length !== 0) t.code[i] = undefined;
    t.dirty = true;
    const tr = this.tr;
    t.noteLeaf(i, (hi >>> 0) * 1048576 + p, hi >>> 24, tr.leafPages ?? 1);
  }

  /** Raise an instruction or data abort for `access` at VA (lo, hi). */
  abort(access: Access, fsc: number, lo: number, hi: number, stage2: boolean): never {
    // A stage-2 fault always goes to EL2 (ARM ARM D1.10.1); others are routed as any synchronous exception.
    const target = stage2 ? 2 : routeException(this, ExceptionKind.Sync);
    const sameEl = target === this.el;
    if (access === Access.Exec) {
      this.takeException(target, sameEl ? EC.IABT_SAME : EC.IABT_LOWER, fsc, lo, hi, true);
    }
    const wnr = access === Access.Write ? 1 << 6 : 0;
    // Instruction syndrome (ISV, SAS, SSE, SRT, SF, AR) only for aborts taken to EL2, where a
    // hypervisor emulates the access; QEMU reports ISV=0 for aborts taken to EL1 (the ARM ARM
    // allows either), and the same image must see the same ESR. Never for a stage-2 fault on a
    // stage-1 table walk (ISS.S1PTW, bit 7): the walk, not the instruction, made that access.
    const syndrome = target === 2 && (fsc & 0x80) === 0 && this.insn && this.insn.dabtIss !== undefined ? this.insn.dabtIss as number : 0;
    this.takeException(target, sameEl ? EC.DABT_SAME : EC.DABT_LOWER, fsc | wnr | syndrome, lo, hi, true);
  }

  // ================= exceptions (exceptions.ts) =================
  // The instruction table raises exceptions through these; routing, entry and return are in
  // exceptions.ts.

  /** Synchronous exception with this instruction as the return address (exceptions.ts). */
  takeException(target: number, ec: number, iss: number, farLo?: number, farHi?: number, setFar = false): never {
    takeException(this, target, ec, iss, farLo, farHi, setFar);
  }

  /** As takeException, with the next instruction as the return address (SVC, HVC, SMC). */
  takeExceptionAfter(target: number, ec: number, iss: number): never {
    takeExceptionAfter(this, target, ec, iss);
  }

  /** UNDEFINED instruction (EC 0x00), routed as any synchronous exception. */
  undefinedInstruction(): never {
    undefinedInstruction(this);
  }

  /** FP/SIMD access trap (EC 0x07) per CPACR_EL1.FPEN, CPTR_EL2.TFP, CPTR_EL3.TFP. */
  fpTrap(): never {
    fpTrap(this);
  }

  /**
   * WFI, or a PSCI CPU_SUSPEND standby (ARM ARM D1.16.2): with no interrupt pending (masked or
   * not), halt until one is and tell the platform, so the machine can idle or run other CPUs.
   */
  waitForInterrupt(): void {
    if (this.wakeupPending()) return;
    this.halted = true;
    this.platform.halted(this);
  }

  /**
   * Attach an observer (platform.ts CpuObserver), or detach with undefined. With onInstruction,
   * every run call executes one instruction and reports it first.
   */
  observe(observer: CpuObserver | undefined): void {
    this.instructionObserver = observer?.onInstruction !== undefined ? observer : undefined;
    this.exceptionObserver = observer?.onException !== undefined ? observer : undefined;
  }

  /**
   * Instructions retired so far, the executing one included (what a PMU counting INST_RETIRED
   * reads from an MRS, or sees at an exception entry): `icount`, plus the instructions of the
   * current pass of a compiled block up to the PC, which the block has not added yet. Exact
   * wherever the PC is set, i.e. at every instruction that can access a system register, raise
   * an exception or change the EL (jit.ts).
   */
  retiredInstructions(): number {
    return this.inCompiledBlock ? this.icount + ((this.pcLo - this.compiledBlockLo) >>> 2) + 1 : this.icount;
  }

  /**
   * An interrupt that would wake WFI is pending (masking does not matter, ARM ARM D1.16.2),
   * HCR_EL2's virtual ones included.
   */
  wakeupPending(): boolean {
    return this.irqLine || this.fiqLine || this.virqLine || this.vfiqLine || hcrVirtualInterruptPending(this);
  }

  setIrq(level: boolean): void { if (this.irqLine !== level) { this.irqLine = level; this.interruptCheck = true; if (level) this.halted = false; } }
  setFiq(level: boolean): void { if (this.fiqLine !== level) { this.fiqLine = level; this.interruptCheck = true; if (level) this.halted = false; } }
  setVirq(level: boolean): void { if (this.virqLine !== level) { this.virqLine = level; this.interruptCheck = true; if (level) this.halted = false; } }
  setVfiq(level: boolean): void { if (this.vfiqLine !== level) { this.vfiqLine = level; this.interruptCheck = true; if (level) this.halted = false; } }

  // ================= the run loop =================

  /** Invalidate a pre-decoded page (a store hit it). */
  static invalidateCode(cache: CodeCache, paPage: number): void {
    const page = cache.get(paPage);
    if (page) page.valid = false;
    cache.delete(paPage);
  }

  /** Fetch the pre-decoded page for the current PC, translating and filling the exec TLB. */
  private fetchPage(): CodePage {
    const lo = this.pcLo, hi = this.pcHi;
    if (lo & 3) this.takeException(routeException(this, ExceptionKind.Sync), EC.PC_ALIGN, 0, lo, hi, true);
    const key = (hi >>> 0) * 1048576 + (lo >>> 12);
    // Same page as last time, with no TLB change since: skip the TLB and the cache lookup.
    const last = this.lastPage;
    if (key === this.lastPageKey && this.tlbEpoch === this.lastPageEpoch && last !== undefined && last.valid) return last;
    const p = lo >>> 12, i = p & CODE_TLB_MASK, t = this.tlbX;
    let paPage: number;
    if (t.e[i * 4] === p && t.e[i * 4 + 1] === hi) {
      paPage = t.paPage[i];
    } else {
      const pa = this.translate(lo, hi, Access.Exec, this.el, 4);
      const ri = this.bus.findRam(pa);
      if (ri < 0) {
        // Executing from MMIO or unmapped memory: an external abort on fetch, like QEMU.
        this.abort(Access.Exec, FSC.SYNC_EXTERNAL, lo, hi, false);
      }
      this.fillTlb(t, lo, hi, ri, pa);
      paPage = t.paPage[i];
    }
    this.fetchView = this.ramViews[t.e[i * 4 + 3]];
    this.fetchOffset = t.e[i * 4 + 2];
    let page = t.code[i];
    if (page === undefined || !page.valid) page = t.code[i] = this.codeCache.get(paPage);
    if (!page) {
      page = t.code[i] = new CodePage();
      this.codeCache.set(paPage, page);
      const ri = this.bus.findRam(paPage);
      const r = this.bus.rams[ri];
      r.codePages[(paPage - r.base) >>> 12] = 1;
      // Stores to this page must now take the slow path, which invalidates the decoded page.
      this.dropWriteEntries(ri, paPage - r.base);
      this.platform.codePageCreated(this, ri, paPage - r.base);
    }
    this.lastPage = page;
    this.lastPageKey = key;
    this.lastPageEpoch = this.tlbEpoch;
    return page;
  }

  private fetchView!: DataView;
  private fetchOffset = 0;

  /**
   * Execute up to `budget` instructions. Returns the number executed. Stops early when the CPU
   * halts (WFI), powers off, or `stopRequested` is set by a device (e.g. PSCI SYSTEM_OFF).
   * With an observer that wants instructions, executes at most one, reported before it runs.
   */
  run(budget: number): number {
    if (this.debugHook !== undefined && budget > 0) return this.runUnderDebugger(budget);
    return this.runBlocks(budget);
  }

  /**
   * Attach a debugger's hook (debug-hook.ts), or detach with undefined. Translations cached
   * before may cover pages it now watches, so the soft TLBs are emptied.
   */
  attachDebugHook(hook: CpuDebugHook | undefined): void {
    this.debugHook = hook;
    // A watched page stays out of the soft TLB, so that every access reaches the slow path.
    // The translator is wrapped rather than tested in translate(), which costs nothing then.
    if (hook !== undefined && this.unwatchedTranslate === undefined) {
      const translateFn = this.unwatchedTranslate = this.translateFn;
      this.translateFn = (cpu, lo, hi, access, el, out, stage1Only) => {
        translateFn(cpu, lo, hi, access, el, out, stage1Only);
        if (this.debugHook?.watchesPage(lo, hi)) out.cacheable = false;
      };
    } else if (hook === undefined && this.unwatchedTranslate !== undefined) {
      this.translateFn = this.unwatchedTranslate;
      this.unwatchedTranslate = undefined;
    }
    this.flushTlb(false);
  }

  /**
   * Run under a debugger: one instruction at a time, each preceded by the breakpoint check
   * (after a pending interrupt is taken, so that a breakpoint on a vector stops there). The
   * first instruction is not checked when `resuming`: the debugger continues from where it
   * stopped. A watchpoint stops before the access, leaving the PC at the instruction.
   */
  private runUnderDebugger(budget: number, resuming = false): number {
    const hook = this.debugHook!;
    const start = this.icount;
    this.debugStopped = undefined;
    let first = resuming;
    while (this.icount - start < budget && !this.halted && !this.off) {
      if (this.interruptCheck) {
        try {
          if (takePendingInterrupt(this)) this.flow = 0;
        } catch (e) {
          if (e !== EXCEPTION_TAKEN) throw e;
          this.flow = 0;
        }
      }
      if (!first && hook.breakpointAt(this, this.pcLo, this.pcHi)) { this.debugStopped = "breakpoint"; break; }
      first = false;
      const before = this.icount;
      try {
        this.runBlocks(1);
      } catch (e) {
        if (e !== DEBUG_STOP) throw e;
        // Stopped before the access: the instruction did not execute.
        this.icount = before;
        this.flow = 0;
        this.debugStopped = "watchpoint";
        break;
      }
      if (this.yieldRequested) break;
    }
    return this.icount - start;
  }

  /**
   * One instruction for a debugger's single step, with interrupts held off (as QEMU's gdbstub
   * steps by default, SSTEP_NOIRQ) and no breakpoint check at the start. Returns the
   * instructions executed (0 when a watchpoint stopped it, or the CPU waits or is off).
   */
  debugStep(): number {
    const pending = this.interruptCheck;
    this.interruptCheck = false;
    const hook = this.debugHook;
    this.debugStopped = undefined;
    try {
      if (hook !== undefined) return this.runUnderDebugger(1, true);
      return this.runBlocks(1);
    } finally {
      this.interruptCheck ||= pending;
    }
  }

  /** The run loop proper (see run). */
  private runBlocks(budget: number): number {
    if (this.instructionObserver !== undefined && budget > 0) {
      if (!this.halted && !this.off) this.instructionObserver.onInstruction!(this);
      budget = 1;
    }
    const jitLoopHeat = this.jitLoopHeat, jitStraightHeat = this.jitStraightHeat;
    const start = this.icount;
    const end = start + budget;
    this.yieldRequested = false;
    // Between turns no instruction is in flight; a TLBI broadcast from another CPU may have
    // left a block-end request here.
    this.flow = 0;
    while (this.icount < end && !this.halted && !this.off && !this.yieldRequested) {
      const iterationStart = this.icount;
      try {
        // An interrupt taken here sets the PC itself; clear `flow` so the first vector
        // instruction is not mistaken for a branch (it would run twice).
        if (this.interruptCheck && takePendingInterrupt(this)) this.flow = 0;
        if (this.pstateIl) {
          // Illegal execution state: every instruction takes an Illegal State exception.
          this.icount++;
          this.takeException(this.el === 0 ? 1 : this.el, EC.ILLEGAL_STATE, 0);
        }
        if (this.debugArmed && this.debug.enabled() && this.debug.singleInstructionsHere()) { this.runDebugged(); continue; }
        const page = this.fetchPage();
        const baseLo = this.pcLo & ~0xfff, hi = this.pcHi, epoch = this.tlbEpoch;
        // Go from block to block while the PC stays in this page and nothing needs the outer
        // loop (interrupts, EL or translation changes, the page being dropped, the budget).
        for (;;) {
          const idx = (this.pcLo & 0xfff) >>> 2;
          let len = page.blockLen[idx];
          if (len === 0) {
            const heat = ++page.heat[idx];
            if (heat === jitLoopHeat || heat === jitStraightHeat) {
              const ops = collectBlock(page, idx, this.decoder, this.fetchView, this.fetchOffset);
              const loops = blockLoops(ops);
              // At the straight threshold a block on a loop of several blocks becomes one region
              // with the rest of the loop (and the functions it calls nearby), others compile alone.
              // At the loop threshold instead, the Linux boot took 8-11% more CPU to /init.
              const body = loops || heat !== jitStraightHeat ? undefined : loopBody(page, page.heat, idx, ops,
                this.decoder, this.fetchView, this.fetchOffset, MAX_LOOP_BLOCKS, MAX_LOOP_INSNS, MAX_REGION_INSNS);
              if (body !== undefined) this.addRegion(page, body, baseLo);
              else if (heat === jitStraightHeat || loops) this.compileRegion(page, idx, ops, baseLo, loops ? MAX_REGION_INSNS : ops.length);
              len = page.blockLen[idx];
            }
          }
          if (len !== 0 && this.icount + len <= end) {
            this.inCompiledBlock = true;
            page.regions[page.regionOf[idx]]!(this, end, baseLo, idx, hi, epoch, page);
            this.inCompiledBlock = false;
            this.flow = 0;
          } else {
            this.interpret(page, idx, baseLo, end);
          }
          // (The mask also catches a misaligned PC, which fetchPage must fault.)
          if (((this.pcLo ^ baseLo) & ~0xffc) !== 0 || this.pcHi !== hi || this.tlbEpoch !== epoch || !page.valid ||
            this.icount >= end || this.interruptCheck || this.halted || this.yieldRequested || this.off || this.pstateIl) break;
        }
      } catch (e) {
        if (e !== EXCEPTION_TAKEN) throw e;
        this.flow = 0;
        // (A compiled region has counted the instructions of its block in flight, up to and
        // including the faulting one.) A fault on fetch executes no instruction; count it so a
        // guest stuck taking exceptions still consumes its budget and returns control to the board.
        if (this.inCompiledBlock) this.inCompiledBlock = false;
        else if (this.icount === iterationStart) this.icount++;
      }
    }
    return this.icount - start;
  }

  /**
   * Compile a new region of `page` from the block at `idx` (`ops`, as collected) and the blocks
   * around it that control reaches directly: the static successors (branch targets, fall-through,
   * return points after calls) within the page, breadth first, that have run before (heat > 0),
   * up to MAX_REGION_INSNS, whether or not another region has them too. That takes in a loop of several blocks,
   * or an if/else in a loop body, whole. Regions stay small on purpose: V8's optimising compile
   * time grows faster than linearly with a function's size (a 280-instruction region took
   * 0.3-1 s; see MAX_REGION_INSNS), and a function compiled again loses its type feedback. Blocks end where another
   * entry of the region begins, so no instruction is compiled twice in one region.
   */
  private compileRegion(page: CodePage, idx: number, ops: Decoded[], baseLo: number, maxInsns: number): void {
    if (page.regions.length >= MAX_REGIONS) return;
    const chosen = new Map<number, Decoded[]>([[idx, ops]]);
    let total = ops.length;
    const queue = [idx];
    while (queue.length > 0 && total < maxInsns) {
      const j = queue.shift()!;
      for (const next of blockSuccessors(j, chosen.get(j)!)) {
        if (chosen.has(next) || page.heat[next] === 0) continue;
        const block = collectBlock(page, next, this.decoder, this.fetchView, this.fetchOffset);
        if (total + block.length > maxInsns) continue;
        chosen.set(next, block);
        total += block.length;
        queue.push(next);
      }
    }
    this.addRegion(page, trimOverlaps([...chosen].map(([j, block]) => ({ idx: j, ops: block }))), baseLo);
  }

  /** Compile `blocks` (ascending, none overlapping the next) as a new region of `page`. */
  private addRegion(page: CodePage, blocks: RegionBlock[], baseLo: number): void {
    if (page.regions.length >= MAX_REGIONS) return;
    const r = page.regions.length;
    page.regions.push(compileRegion(blocks, baseLo, this.decoder, EXCEPTION_TAKEN, this.platform.handlesEl2Exits !== false));
    // An entry goes to the newest region of several blocks that holds it: regions that form
    // later are those of outer loops (the straight threshold), which take in the inner loops
    // compiled before them, so entering there keeps control in the larger region. A region of
    // one block takes only entries that have none.
    for (const b of blocks) if (page.blockLen[b.idx] === 0 || blocks.length > 1) { page.blockLen[b.idx] = b.ops.length; page.regionOf[b.idx] = r; }
    page.regionCompiles++;
  }

  /**
   * Interpret from instruction `idx` of `page` to the end of the block (a branch or another
   * block-ending instruction), the end of the page or the budget, leaving the PC after it.
   */
  private interpret(page: CodePage, idx: number, baseLo: number, end: number): void {
    const view = this.fetchView;
    const pageBase = this.fetchOffset;
    const chunks = page.chunks;
    let chunk = chunks[idx >> CHUNK_SHIFT];
    for (;;) {
      const k = (idx & (CHUNK_INSNS - 1)) << 1;
      let d: Decoded, exec: ExecFn;
      if (chunk === undefined || chunk[k + 1] === undefined) {
        d = page.decoded(idx, this.decoder, view, pageBase);
        exec = d.exec;
        chunk = chunks[idx >> CHUNK_SHIFT];
      } else {
        d = chunk[k] as Decoded;
        exec = chunk[k + 1] as ExecFn;
      }
      this.pcLo = baseLo | (idx << 2);
      this.icount++;
      exec(this, d);
      if (this.flow !== 0) {
        if (this.flow === 2) this.advancePc();
        this.flow = 0;
        return;
      }
      if (++idx === 1024) { this.pcLo = baseLo | 0xffc; this.advancePc(); return; }
      if (this.icount >= end) { this.pcLo = baseLo | (idx << 2); return; }
      if ((idx & (CHUNK_INSNS - 1)) === 0) chunk = chunks[idx >> CHUNK_SHIFT];
    }
  }

  /**
   * One instruction with self-hosted debug enabled (ARM ARM D2): a pending software step or a
   * matching breakpoint is taken before it, and when it was the stepped instruction and raised
   * no exception of its own, the step exception after it (self-hosted-debug.ts).
   */
  private runDebugged(): void {
    const stepping = this.debug.beforeInstruction();
    const page = this.fetchPage();
    const idx = (this.pcLo & 0xfff) >>> 2;
    this.interpret(page, idx, this.pcLo & ~0xfff, this.icount + 1);
    this.flow = 0;
    if (stepping) {
      // A stepped WFI completes at once, as in QEMU: the step exception, not a halt.
      this.halted = false;
      this.debug.stepCompleted(page.insn(idx)?.def.exclusiveLoad === true);
    }
  }

  private advancePc(): void {
    const lo = (this.pcLo >>> 0) + 4;
    this.pcLo = lo | 0;
    if (lo > 0xffffffff) this.pcHi = (this.pcHi + 1) | 0;
  }

  /** Branch helper for exec functions: PC = (lo, hi). */
  branchTo(lo: number, hi: number): void {
    this.pcLo = lo;
    this.pcHi = hi;
    this.flow = 1;
  }

  /** PC + offset (signed, small) as a pair written to `out` slot of x (used by ADR, BL). */
  pcPlus(offset: number): [number, number] {
    const lo = (this.pcLo >>> 0) + offset;
    let hi = this.pcHi;
    if (lo > 0xffffffff) hi = (hi + 1) | 0;
    else if (lo < 0) hi = (hi - 1) | 0;
    return [(lo >>> 0) | 0, hi];
  }

  /**
   * The first exception of the current run (see firstFault), for fatal reports, e.g.
   * "first fault: ESR=0x96000050 FAR=0x0000000050000000 at PC=0x0000000040080004 (EL1 to EL1)".
   */
  describeFirstFault(): string {
    const f = this.firstFault;
    if (this.exceptionsSinceEret === 0) return "no exception since the last exception return";
    const at = `at PC=0x${hex64(f.pcLo, f.pcHi)} (EL${f.fromEl} to EL${f.targetEl})`;
    if (f.vector !== VectorOffset.Sync) return `first exception: ${f.vector === VectorOffset.Irq ? "IRQ" : f.vector === VectorOffset.Fiq ? "FIQ" : "SError"} ${at}`;
    return `first fault: ESR=0x${f.esr.toString(16)}${f.hasFar ? ` FAR=0x${hex64(f.farLo, f.farHi)}` : ""} ${at}`;
  }

  /** Human-readable state for fatal reports. */
  describe(): string {
    const esrSlot = this.el === 2 ? SR.ESR_EL2 : this.el === 3 ? SR.ESR_EL3 : SR.ESR_EL1;
    const farSlot = this.el === 2 ? SR.FAR_EL2 : this.el === 3 ? SR.FAR_EL3 : SR.FAR_EL1;
    return `cpu${this.index} PC=0x${hex64(this.pcLo, this.pcHi)} EL${this.el} ` +
      `ESR=0x${(this.sr[esrSlot * 2] >>> 0).toString(16)} FAR=0x${hex64(this.sr[farSlot * 2], this.sr[farSlot * 2 + 1])}`;
  }

  // Declared last: fields declared before the hot ones shift them in the object's layout, and
  // measurably slowed the run loop (about 7% on the core benchmark); these are read once per
  // run call and on the slow memory paths only.
  /**
   * A debugger's breakpoints and watchpoints (debug-hook.ts), checked once per run call; with
   * one the CPU runs an instruction at a time (runUnderDebugger). Set with attachDebugHook.
   */
  private debugHook: CpuDebugHook | undefined;
  /** Why the last debugged run stopped early: a breakpoint or watchpoint the hook reported. */
  debugStopped: "breakpoint" | "watchpoint" | undefined;
  /** The translator as configured, while translateFn is the debugger's wrapper. */
  private unwatchedTranslate: Translator | undefined;
}

/** Register slot for reading operand `r` where 31 means XZR. */
export function zr(r: number): number { return r === 31 ? 32 : r; }
/** Register slot for writing operand `r` where 31 means XZR (writes are discarded). */
export function zw(r: number): number { return r === 31 ? 33 : r; }

export { TWO32 };
