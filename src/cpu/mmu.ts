/**
 * VMSAv8-64 address translation (ARM ARM D8.1-D8.5 in recent editions, D5.2-D5.5 in older
 * ones): stage 1 for the EL1&0, EL2 and EL3 regimes, and stage 2 of the EL1&0 regime when
 * HCR_EL2.VM = 1 (VTTBR_EL2/VTCR_EL2), with 4K, 16K and 64K granules. Both stages share one
 * table walk (`walk`); they differ in how the walk is set up, in the descriptor attributes and
 * permissions, and in that every table access of an EL1&0 stage-1 walk is an IPA translated by
 * stage 2 first (a fault there is a stage-2 fault with S1PTW set).
 *
 * Results feed the CPU's soft TLB at 4 KiB granularity (a larger block or page is cached one
 * 4 KiB piece at a time), as combined stage 1+2 entries, so the walks run only on a TLB miss.
 */
import { Access, Cpu, FSC, S2C_SIZE, Translation } from "./cpu.js";
import { PA_RANGE_BITS } from "./cpu-models.js";
import { SR } from "./sysregs.js";

const TWO32 = 4294967296;

/** ESR_ELx.ISS bit 7, S1PTW: the stage-2 fault happened on a stage-1 table walk (D17.2.37). */
export const S1PTW = 0x80;

/** A translation granule: log2 of its page size, and index bits per level (entries = 2^stride). */
interface Granule { bits: number; stride: number; entries: number; }
const G4K: Granule = { bits: 12, stride: 9, entries: 512 };
const G16K: Granule = { bits: 14, stride: 11, entries: 2048 };
const G64K: Granule = { bits: 16, stride: 13, entries: 8192 };

/**
 * The output size of a regime (ARM ARM D8, "Address size configuration"): TCR_ELx.IPS/PS or
 * VTCR_EL2.PS (encoded as ID_AA64MMFR0_EL1.PARange), at most the CPU's physical address size
 * (cpu.paBits: 40 bits on the Cortex-A53, 44 on the A57 and A72), as QEMU 7.2 bounds it by
 * PARange. Table and output addresses above it are address size faults.
 */
function outputBits(cpu: Cpu, ps: number): number {
  return Math.min(cpu.paBits, PA_RANGE_BITS[ps & 7]);
}

function fault(out: Translation, fsc: number, level: number): void {
  out.fault = fsc | (fsc === FSC.ALIGNMENT || fsc === FSC.SYNC_EXTERNAL ? 0 : level);
  out.faultS2 = false;
}

/** A stage-2 fault on `ipa` (D8.? "Stage 2 fault reporting": HPFAR_EL2 gets the IPA). */
function fault2(out: Translation, fsc: number, level: number, ipa: number, s1ptw: boolean): false {
  out.fault = fsc | level | (s1ptw ? S1PTW : 0);
  out.faultS2 = true;
  out.ipa = ipa;
  return false;
}

/**
 * Read a 64-bit descriptor from physical memory as (lo, hi); false if not RAM. Table walks
 * stay within one RAM region nearly always, so the region found last is tried first.
 */
function readDescriptor(cpu: Cpu, pa: number, out: Int32Array): boolean {
  const bus = cpu.bus;
  let r = lastDescRam;
  if (r === undefined || r.bus !== bus || !(pa >= r.base && pa + 8 <= r.end)) {
    const ri = bus.findRam(pa);
    if (ri < 0) return false;
    const ram = bus.rams[ri];
    r = { bus, base: ram.base, end: ram.base + ram.size, view: ram.view };
    // Only plain RAM is remembered: what a ROM device's range reads depends on its mode.
    if (ram.romDevice === undefined) lastDescRam = r;
    if (pa + 8 > r.end) return false;
  }
  const off = pa - r.base;
  out[0] = r.view.getInt32(off, true);
  out[1] = r.view.getInt32(off + 4, true);
  return true;
}

/** The RAM region the last descriptor read came from (see readDescriptor). */
let lastDescRam: { bus: Cpu["bus"]; base: number; end: number; view: DataView } | undefined;

const desc = new Int32Array(2);

/**
 * What a successful walk found: the leaf (block or page) descriptor, its level and output
 * address, and the stage-1 table descriptor attribute bits [63:59] ORed over the walk (as
 * bits [4:0]: PXNTable, XNTable, APTable[1:0], NSTable). One object: walks do not nest in a
 * way that needs two at once (a stage-2 walk inside a stage-1 walk completes before the
 * stage-1 walk reads its descriptor).
 */
const leaf = { dlo: 0, dhi: 0, level: 0, oa: 0, tableBits: 0 };

/**
 * The translation table walk both stages use (ARM ARM D8.2 "Translation process", pseudocode
 * AArch64.S1Walk / AArch64.S2Walk): index the table at `table` with the input-address bits of
 * each level, from `startLevel` (whose table has `firstEntries` entries, more than one table
 * when stage-2 tables are concatenated), follow table descriptors, stop at a block or page.
 * `outBits` bounds every table and output address (address size fault above it).
 *
 * `viaS2`: a stage-1 walk of the EL1&0 regime with stage 2 enabled, whose table addresses are
 * IPAs; each descriptor address then goes through stage 2 (D8.2.? "stage 2 translation of
 * stage 1 translation table walks"). Returns false with the fault in `out`.
 */
function walk(cpu: Cpu, g: Granule, startLevel: number, firstEntries: number, table: number, inAddr: number,
  outBits: number, stage2Walk: boolean, viaS2: boolean, out: Translation): boolean {
  let level = startLevel;
  let tableBits = 0;
  // The input address as two words (it is below 2^53, so `>>> 0` is its low word exactly),
  // which the index of each level is cut from with shifts rather than float division.
  const inLo = inAddr >>> 0, inHi = (inAddr / TWO32) | 0;
  for (; ;) {
    const shift = g.bits + g.stride * (3 - level);
    const mask = (level === startLevel ? firstEntries : g.entries) - 1;
    const index = (shift >= 32 ? inHi >>> (shift - 32) : (inLo >>> shift) | (inHi << (32 - shift))) & mask;
    let descPa = table + index * 8;
    if (viaS2) {
      if (!stage2(cpu, descPa, Access.Read, true, out)) {
        // QEMU 7.2 reports a stage-2 fault on a stage-1 walk with the level the stage-1 walk
        // had reached (its do_fault path records the stage-1 level over the stage-2 one).
        out.fault = (out.fault & ~3) | level;
        return false;
      }
      descPa = out.pa;
    }
    if (!readDescriptor(cpu, descPa, desc)) {
      // Walk hit non-RAM: synchronous external abort on a translation table walk (0b0101xx).
      if (stage2Walk) return fault2(out, FSC.SYNC_EXTERNAL + 4 + level, 0, inAddr, false);
      out.fault = FSC.SYNC_EXTERNAL + 4 + level;
      out.faultS2 = false;
      return false;
    }
    const dlo = desc[0], dhi = desc[1];
    const type = dlo & 3;
    if ((type & 1) === 0 || (level === 3 && type !== 3)) return walkFault(out, FSC.TRANSLATION, level, stage2Walk, inAddr);
    if (level < 3 && type === 3) {
      // Table descriptor: next-level address bits [47:granule].
      if (((dhi & 0xffff) >>> (outBits - 32)) !== 0) return walkFault(out, FSC.ADDR_SIZE, level, stage2Walk, inAddr);
      table = (dhi & 0xffff) * TWO32 + ((dlo & ~((1 << g.bits) - 1)) >>> 0);
      tableBits |= dhi >>> 27;
      level++;
      continue;
    }
    // Block (levels 1-2) or page (level 3). Blocks are allowed at level 1 only with 4K granules.
    if (level < 3 && (level === 0 || (level === 1 && g !== G4K))) return walkFault(out, FSC.TRANSLATION, level, stage2Walk, inAddr);
    // Output address: descriptor bits [47:shift] with the input address's bits [shift-1:0]
    // (a leaf's shift is at most 30: 1 GiB blocks of the 4K granule).
    const low = (1 << shift) - 1;
    const oaHi = dhi & 0xffff;
    if ((oaHi >>> (outBits - 32)) !== 0) return walkFault(out, FSC.ADDR_SIZE, level, stage2Walk, inAddr);
    leaf.dlo = dlo; leaf.dhi = dhi; leaf.level = level; leaf.tableBits = tableBits;
    leaf.oa = oaHi * TWO32 + (((dlo & ~low) | (inLo & low)) >>> 0);
    return true;
  }
}

function walkFault(out: Translation, fsc: number, level: number, stage2Walk: boolean, inAddr: number): false {
  if (stage2Walk) return fault2(out, fsc, level, inAddr, false);
  fault(out, fsc, level);
  return false;
}

/**
 * Translate VA (lo, hi) for `access` at `el`, through both stages where they apply.
 * `stage1Only` (AT S1E0*, S1E1*): stop at the IPA; the stage-1 walk still goes through stage 2.
 */
export function translate(cpu: Cpu, lo: number, hi: number, access: Access, el: number, out: Translation, stage1Only = false): void {
  out.fault = -1;
  out.faultS2 = false;
  out.cacheable = true;
  out.leafPages = 1;
  const hcr = cpu.hcrLo();
  const tge = (hcr & (1 << 27)) !== 0;
  // Stage 2 applies to the EL1&0 regime (EL0 included when HCR_EL2.TGE routes it to EL2
  // without VHE: stage 1 is then off, stage 2 still on) when HCR_EL2.VM = 1 (D17.2.48).
  const s2walk = el <= 1 && (hcr & 1) !== 0;
  const s2 = s2walk && !stage1Only;
  // Which regime translates this access.
  const regimeEl = el === 0 ? (tge ? 2 : 1) : el;
  const sctlrSlot = regimeEl === 1 ? SR.SCTLR_EL1 : regimeEl === 2 ? SR.SCTLR_EL2 : SR.SCTLR_EL3;
  const sctlr = cpu.sr[sctlrSlot * 2];
  // EL0 with TGE=1 and no VHE: the EL1&0 stage 1 is disabled (SCTLR_EL1.M treated as 0).
  const mmuOn = (sctlr & 1) !== 0 && !(el === 0 && tge);
  if (!mmuOn) {
    // Flat mapping; addresses above the PA size (PARange) give an address size fault at level 0.
    if ((hi >>> (cpu.paBits - 32)) !== 0) { fault(out, FSC.ADDR_SIZE, 0); return; }
    out.pa = (hi >>> 0) * TWO32 + (lo >>> 0);
    if (s2) stage2(cpu, out.pa, access, false, out);
    return;
  }
  let tcrLo: number, ttbrLo: number, ttbrHi: number, tsz: number, g: Granule, epd = false, outBits: number;
  let upper = false;
  if (regimeEl === 1) {
    tcrLo = cpu.sr[SR.TCR_EL1 * 2];
    const tcrHi = cpu.sr[SR.TCR_EL1 * 2 + 1];
    // TCR_EL1.IPS, bits [34:32].
    outBits = outputBits(cpu, tcrHi & 7);
    // Top byte ignore selects the range on bit 55 (TCR_EL1.TBI0/TBI1 are bits 37/38).
    upper = ((hi >>> 23) & 1) === 1;
    const tbi = upper ? (tcrHi >>> 6) & 1 : (tcrHi >>> 5) & 1;
    if (upper) {
      tsz = (tcrLo >>> 16) & 63;
      epd = ((tcrLo >>> 23) & 1) === 1;
      const tg1 = (tcrLo >>> 30) & 3;
      g = tg1 === 1 ? G16K : tg1 === 3 ? G64K : G4K;
      ttbrLo = cpu.sr[SR.TTBR1_EL1 * 2]; ttbrHi = cpu.sr[SR.TTBR1_EL1 * 2 + 1];
    } else {
      tsz = tcrLo & 63;
      epd = ((tcrLo >>> 7) & 1) === 1;
      const tg0 = (tcrLo >>> 14) & 3;
      g = tg0 === 2 ? G16K : tg0 === 1 ? G64K : G4K;
      ttbrLo = cpu.sr[SR.TTBR0_EL1 * 2]; ttbrHi = cpu.sr[SR.TTBR0_EL1 * 2 + 1];
    }
    // The bits above the input range must all equal bit 55 (ignoring the top byte with TBI).
    if (!checkRange(lo, hi, 64 - tsz, tbi === 1, upper)) { fault(out, FSC.TRANSLATION, 0); return; }
  } else {
    const tcrSlot = regimeEl === 2 ? SR.TCR_EL2 : SR.TCR_EL3;
    const ttbrSlot = regimeEl === 2 ? SR.TTBR0_EL2 : SR.TTBR0_EL3;
    tcrLo = cpu.sr[tcrSlot * 2];
    // TCR_EL2/TCR_EL3.PS, bits [18:16].
    outBits = outputBits(cpu, tcrLo >>> 16);
    tsz = tcrLo & 63;
    const tg0 = (tcrLo >>> 14) & 3;
    g = tg0 === 2 ? G16K : tg0 === 1 ? G64K : G4K;
    ttbrLo = cpu.sr[ttbrSlot * 2]; ttbrHi = cpu.sr[ttbrSlot * 2 + 1];
    const tbi = (tcrLo >>> 20) & 1;
    if (!checkRange(lo, hi, 64 - tsz, tbi === 1, false)) { fault(out, FSC.TRANSLATION, 0); return; }
  }
  if (epd) { fault(out, FSC.TRANSLATION, 0); return; }
  // T0SZ/T1SZ outside 16..39 are clamped as QEMU and the ARM ARM allow (D8.2.?).
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const inputBits = 64 - tsz;
  const levels = Math.ceil((inputBits - g.bits) / g.stride);
  const startLevel = 4 - levels;
  // VA bits [inputBits-1:0] as a number (at most 48 bits).
  const vaIn = inputBits >= 48 ? (hi & 0xffff) * TWO32 + (lo >>> 0)
    : inputBits >= 32 ? (hi & ((1 << (inputBits - 32)) - 1)) * TWO32 + (lo >>> 0)
      : (lo & ((1 << inputBits) - 1)) >>> 0;
  // Table base: TTBR BADDR bits [47:1], aligned to the size of the start table.
  let table = (ttbrHi & 0xffff) * TWO32 + ((ttbrLo & ~1) >>> 0);
  const firstShift = g.bits + g.stride * (3 - startLevel);
  const firstEntries = Math.pow(2, inputBits - firstShift);
  table = table - (table % Math.max(8, firstEntries * 8));
  if (!walk(cpu, g, startLevel, firstEntries, table, vaIn, outBits, false, s2walk && regimeEl === 1, out)) return;
  const dlo = leaf.dlo, dhi = leaf.dhi, level = leaf.level, tb = leaf.tableBits;
  // Hierarchical permissions from the table descriptors (D8.4.? "Hierarchical control").
  const pxnTable = (tb & 1) !== 0, xnTable = (tb & 2) !== 0, apTableNoEl0 = (tb & 4) !== 0, apTableRo = (tb & 8) !== 0;
  // Access flag (no hardware update in ARMv8.0): AF=0 faults.
  if (((dlo >>> 10) & 1) === 0) { fault(out, FSC.ACCESS_FLAG, level); return; }
  const ap = (dlo >>> 6) & 3;
  const pxn = ((dhi >>> 21) & 1) === 1 || pxnTable;
  const uxn = ((dhi >>> 22) & 1) === 1 || xnTable;
  const wxn = ((sctlr >>> 19) & 1) === 1;
  let allowed: boolean;
  if (regimeEl === 1) {
    const el0Access = el === 0;
    const el0Readable = (ap & 1) === 1 && !apTableNoEl0;
    const writable = (ap & 2) === 0 && !apTableRo;
    const el0Writable = el0Readable && writable;
    if (access === Access.Exec) {
      if (el0Access) allowed = !uxn && el0Readable && !(wxn && writable);
      else allowed = !pxn && !el0Writable && !(wxn && writable);
    } else if (el0Access) {
      allowed = el0Readable && (access === Access.Read || writable);
    } else {
      allowed = access === Access.Read || writable;
    }
  } else {
    const writable = (ap & 2) === 0 && !apTableRo;
    if (access === Access.Exec) allowed = !uxn && !(wxn && writable);
    else allowed = access === Access.Read || writable;
  }
  if (!allowed) { fault(out, FSC.PERMISSION, level); return; }
  out.pa = leaf.oa;
  out.leafPages = Math.pow(2, g.bits + g.stride * (3 - level) - 12);
  if (s2 && regimeEl === 1) stage2(cpu, out.pa, access, false, out);
}

/** Bits [b:a] of a word set (0 <= a <= b <= 31). */
function bitRange(a: number, b: number): number {
  return b - a >= 31 ? -1 : ((1 << (b - a + 1)) - 1) << a;
}

/** Check that VA bits [topBit:inputBits] are all 0 (lower range) or all 1 (upper range), topBit 55 with TBI, else 63. */
function checkRange(lo: number, hi: number, inputBits: number, tbi: boolean, upper: boolean): boolean {
  const topBit = tbi ? 55 : 63;
  if (inputBits > topBit) return true;
  const want = upper ? -1 : 0;
  const mh = bitRange(Math.max(inputBits, 32) - 32, topBit - 32);
  if ((hi & mh) !== (want & mh)) return false;
  if (inputBits < 32) {
    const ml = bitRange(inputBits, 31);
    if ((lo & ml) !== (want & ml)) return false;
  }
  return true;
}

/**
 * Stage 2 of the EL1&0 regime (ARM ARM D8.2 with VTCR_EL2/VTTBR_EL2, D17.2): translate `ipa`
 * for `access`, leaving the PA in out.pa, or fail with a stage-2 fault in `out` (level, the
 * IPA for HPFAR_EL2, S1PTW when `s1ptw`: `ipa` is then a stage-1 descriptor address, read as
 * data). Returns whether it succeeded.
 *
 * - VTCR_EL2: T0SZ (input size), SL0 with TG0 (starting level), PS (output size, at most the
 *   CPU's PARange: 40 or 44 bits). A starting level that the granule, the output size or the input size
 *   does not allow is a translation fault at level 0, as QEMU's check_s2_mmu_setup makes it
 *   (AArch64.S2InvalidSL / AArch64.S2InconsistentSL). The starting level's table may be up to
 *   16 tables concatenated (D8.2.? "Concatenated translation tables").
 * - Descriptors: S2AP[1:0] (bits 7:6) give write and read, XN (bit 54) forbids execution; an
 *   ARMv8.0 stage 2 needs no read permission to execute (QEMU's get_S2prot agrees). MemAttr
 *   only matters for HCR_EL2.PTW: a stage-1 walk touching stage-2 Device memory is a
 *   permission fault. AF = 0 is an access flag fault.
 */
/**
 * Stage-2 walk cache: the last leaf found for each of S2C_SIZE IPA pages, so the stage-1 table
 * walks of a guest (one stage-2 translation per descriptor) and its TLB refills do not walk the
 * same stage-2 tables again and again (ARM ARM D8.13, caching of stage 2 translations, which
 * the architecture allows as a TLB does). Permissions are checked again on every hit, so a hit
 * never grants what the descriptor does not; a miss or a refused access takes the full walk and
 * its exact fault. Cleared with the TLBs (any TLBI, VTTBR_EL2/VTCR_EL2 writes, a VMID switch).
 */
function stage2(cpu: Cpu, ipa: number, access: Access, s1ptw: boolean, out: Translation): boolean {
  const page = Math.floor(ipa / 4096);
  const slot = page & (S2C_SIZE - 1);
  if (cpu.s2cTag[slot] === page) {
    const dlo = cpu.s2cDlo[slot], dhi = cpu.s2cDhi[slot];
    const allowed = access === Access.Exec ? ((dhi >>> 22) & 1) === 0 : ((dlo >>> (access === Access.Read ? 6 : 7)) & 1) === 1;
    if (allowed && !(s1ptw && (cpu.hcrLo() & 4) !== 0 && ((dlo >>> 4) & 3) === 0)) {
      out.pa = cpu.s2cPa[slot] + (ipa - page * 4096);
      return true;
    }
  }
  if (!stage2Walk(cpu, ipa, access, s1ptw, out)) return false;
  cpu.s2cTag[slot] = page;
  cpu.s2cDirty = true;
  cpu.s2cPa[slot] = out.pa - (ipa - page * 4096);
  cpu.s2cDlo[slot] = leaf.dlo;
  cpu.s2cDhi[slot] = leaf.dhi;
  return true;
}

function stage2Walk(cpu: Cpu, ipa: number, access: Access, s1ptw: boolean, out: Translation): boolean {
  const vtcr = cpu.sr[SR.VTCR_EL2 * 2];
  let tsz = vtcr & 63;
  const sl0 = (vtcr >>> 6) & 3, tg0 = (vtcr >>> 14) & 3;
  const g = tg0 === 1 ? G64K : tg0 === 2 ? G16K : G4K;
  const outBits = outputBits(cpu, vtcr >>> 16);
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const inputBits = 64 - tsz;
  // An IPA beyond the input range: translation fault at level 0.
  if (ipa >= Math.pow(2, inputBits)) return fault2(out, FSC.TRANSLATION, 0, ipa, s1ptw);
  // Starting level (AArch64.S2StartLevel): 4K: SL0 0/1/2 = level 2/1/0; 16K, 64K: level 3/2/1;
  // SL0 = 3 is reserved without FEAT_TTST. Level 0 with 4K needs an output size above 42 bits,
  // level 1 with 16K above 40 and with 64K above 42, and level 0 is never a 16K or 64K start
  // (AArch64.S2InvalidSL; QEMU's check_s2_mmu_setup).
  const startLevel = (g === G4K ? 2 : 3) - sl0;
  const invalidSl = startLevel < 0 || (g === G4K ? startLevel === 0 && outBits <= 42
    : startLevel === 0 || (startLevel === 1 && outBits <= (g === G16K ? 40 : 42)));
  const levels = 3 - startLevel;
  const minInput = levels * g.stride + g.bits + 1;
  if (invalidSl || inputBits < minInput || inputBits > minInput + g.stride + 3 || inputBits > outBits) {
    return fault2(out, FSC.TRANSLATION, 0, ipa, s1ptw);
  }
  const firstEntries = Math.pow(2, inputBits - (g.bits + g.stride * (3 - startLevel)));
  // VTTBR_EL2.BADDR, bits [47:1], aligned to the (concatenated) start table.
  const vlo = cpu.sr[SR.VTTBR_EL2 * 2], vhi = cpu.sr[SR.VTTBR_EL2 * 2 + 1];
  let table = (vhi & 0xffff) * TWO32 + ((vlo & ~1) >>> 0);
  if (Math.floor(table / Math.pow(2, outBits)) !== 0) return fault2(out, FSC.ADDR_SIZE, 0, ipa, s1ptw);
  table -= table % (firstEntries * 8);
  if (!walk(cpu, g, startLevel, firstEntries, table, ipa, outBits, true, false, out)) {
    if (s1ptw) out.fault |= S1PTW;
    return false;
  }
  const dlo = leaf.dlo, dhi = leaf.dhi, level = leaf.level;
  if (((dlo >>> 10) & 1) === 0) return fault2(out, FSC.ACCESS_FLAG, level, ipa, s1ptw);
  const allowed = access === Access.Exec ? ((dhi >>> 22) & 1) === 0 : ((dlo >>> (access === Access.Read ? 6 : 7)) & 1) === 1;
  if (!allowed) return fault2(out, FSC.PERMISSION, level, ipa, s1ptw);
  // HCR_EL2.PTW: stage-1 table walks to stage-2 Device memory (MemAttr[3:2] = 0) fault.
  if (s1ptw && (cpu.hcrLo() & 4) !== 0 && ((dlo >>> 4) & 3) === 0) return fault2(out, FSC.PERMISSION, level, ipa, true);
  out.pa = leaf.oa;
  return true;
}
