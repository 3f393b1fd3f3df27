/**
 * VMSAv8-64 address translation (ARM ARM D5.2-D5.4): stage 1 for the EL1&0, EL2 and EL3
 * regimes with 4K, 16K and 64K granules, hierarchical table permissions, access flag and
 * permission faults. Stage 2 (VTTBR_EL2/VTCR_EL2) has its entry point here and is completed
 * with the hypervisor; until then HCR_EL2.VM is honoured as an identity stage 2.
 *
 * Results feed the CPU's soft TLB at 4 KiB granularity (a larger block or page is cached one
 * 4 KiB piece at a time), so the walk runs only on a TLB miss.
 */
import { Access, Cpu, FSC, Translation } from "./cpu.js";
import { SR } from "./sysregs.js";

const TWO32 = 4294967296;
/** Physical address size advertised in ID_AA64MMFR0_EL1.PARange = 2: 40 bits. */
export const PA_BITS = 40;

interface Granule { bits: number; stride: number; }
const G4K: Granule = { bits: 12, stride: 9 };
const G16K: Granule = { bits: 14, stride: 11 };
const G64K: Granule = { bits: 16, stride: 13 };

function fault(out: Translation, fsc: number, level: number): void {
  out.fault = fsc | (fsc === FSC.ALIGNMENT || fsc === FSC.SYNC_EXTERNAL ? 0 : level);
  out.faultS2 = false;
}

/** Read a 64-bit descriptor from physical memory as (lo, hi); undefined if not RAM. */
function readDescriptor(cpu: Cpu, pa: number, out: Int32Array): boolean {
  const bus = cpu.bus;
  const ri = bus.findRam(pa);
  if (ri < 0) return false;
  const r = bus.rams[ri];
  const off = pa - r.base;
  if (off + 8 > r.size) return false;
  out[0] = r.view.getInt32(off, true);
  out[1] = r.view.getInt32(off + 4, true);
  return true;
}

const desc = new Int32Array(2);

export function translate(cpu: Cpu, lo: number, hi: number, access: Access, el: number, out: Translation): void {
  out.fault = -1;
  out.faultS2 = false;
  out.cacheable = true;
  const hcr = cpu.hcrLo();
  const tge = (hcr & (1 << 27)) !== 0;
  // Which regime translates this access.
  const regimeEl = el === 0 ? (tge ? 2 : 1) : el;
  const sctlrSlot = regimeEl === 1 ? SR.SCTLR_EL1 : regimeEl === 2 ? SR.SCTLR_EL2 : SR.SCTLR_EL3;
  const sctlr = cpu.sr[sctlrSlot * 2];
  // EL0 with TGE=1 and no VHE: the EL1&0 stage 1 is disabled (ARM ARM D5.2.?: SCTLR_EL1.M as 0).
  const mmuOn = (sctlr & 1) !== 0 && !(el === 0 && tge);
  if (!mmuOn) {
    // Flat mapping; addresses above the PA size give an address size fault at level 0.
    if ((hi >>> (PA_BITS - 32)) !== 0) { fault(out, FSC.ADDR_SIZE, 0); return; }
    out.pa = (hi >>> 0) * TWO32 + (lo >>> 0);
    stage2(cpu, out, access, el);
    return;
  }
  let tcrLo: number, tcrHi: number, ttbrLo: number, ttbrHi: number, tsz: number, g: Granule, epd = false;
  let upper = false;
  if (regimeEl === 1) {
    tcrLo = cpu.sr[SR.TCR_EL1 * 2]; tcrHi = cpu.sr[SR.TCR_EL1 * 2 + 1];
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
    tcrLo = cpu.sr[tcrSlot * 2]; tcrHi = 0;
    tsz = tcrLo & 63;
    const tg0 = (tcrLo >>> 14) & 3;
    g = tg0 === 2 ? G16K : tg0 === 1 ? G64K : G4K;
    ttbrLo = cpu.sr[ttbrSlot * 2]; ttbrHi = cpu.sr[ttbrSlot * 2 + 1];
    const tbi = (tcrLo >>> 20) & 1;
    if (!checkRange(lo, hi, 64 - tsz, tbi === 1, false)) { fault(out, FSC.TRANSLATION, 0); return; }
  }
  void tcrHi;
  if (epd) { fault(out, FSC.TRANSLATION, 0); return; }
  // T0SZ/T1SZ outside 16..39 are clamped as QEMU and the ARM ARM allow (D5.2.3).
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const inputBits = 64 - tsz;
  const levels = Math.ceil((inputBits - g.bits) / g.stride);
  let level = 4 - levels;
  // VA bits [inputBits-1:0] as a number (at most 48 bits).
  const va = (hi & 0xffff) * TWO32 + (lo >>> 0);
  const vaIn = inputBits >= 48 ? va : va % Math.pow(2, inputBits);
  // Table base: TTBR BADDR bits [47:1], aligned to the size of the start table.
  let table = (ttbrHi & 0xffff) * TWO32 + ((ttbrLo & ~1) >>> 0);
  const firstShift = g.bits + g.stride * (3 - level);
  const firstEntries = Math.pow(2, inputBits - firstShift);
  table = table - (table % Math.max(8, firstEntries * 8));
  // Hierarchical permissions accumulated from table descriptors (ARM ARM D5.5.1).
  let apTableNoEl0 = false, apTableRo = false, xnTable = false, pxnTable = false;
  for (; ;) {
    const shift = g.bits + g.stride * (3 - level);
    const entries = level === 4 - levels ? firstEntries : Math.pow(2, g.stride);
    const index = Math.floor(vaIn / Math.pow(2, shift)) % entries;
    const descPa = table + index * 8;
    if (!readDescriptor(cpu, descPa, desc)) {
      // Walk hit non-RAM: synchronous external abort on the walk (S1PTW-free stage 1).
      out.fault = FSC.SYNC_EXTERNAL + 4 + level; // 0b0101xx: external abort on translation table walk
      return;
    }
    const dlo = desc[0], dhi = desc[1];
    const type = dlo & 3;
    if ((type & 1) === 0 || (level === 3 && type !== 3)) { fault(out, FSC.TRANSLATION, level); return; }
    if (level < 3 && type === 3) {
      // Table descriptor: next-level address bits [47:granule].
      const next = (dhi & 0xffff) * TWO32 + ((dlo & ~((1 << g.bits) - 1)) >>> 0);
      if (((dhi & 0xffff) >>> (PA_BITS - 32)) !== 0) { fault(out, FSC.ADDR_SIZE, level); return; }
      pxnTable ||= ((dhi >>> 27) & 1) === 1;
      xnTable ||= ((dhi >>> 28) & 1) === 1;
      apTableNoEl0 ||= ((dhi >>> 29) & 1) === 1;
      apTableRo ||= ((dhi >>> 30) & 1) === 1;
      table = next;
      level++;
      continue;
    }
    // Block (levels 1-2) or page (level 3). Blocks are allowed at level 1 only with 4K granules.
    if (level < 3 && (level === 0 || (level === 1 && g !== G4K))) { fault(out, FSC.TRANSLATION, level); return; }
    // Output address: descriptor bits [47:shift] with the VA's bits [shift-1:0].
    const desc48 = (dhi & 0xffff) * TWO32 + (dlo >>> 0);
    const blockSize = Math.pow(2, shift);
    const oa = desc48 - (desc48 % blockSize) + (va % blockSize);
    if (Math.floor(oa / Math.pow(2, PA_BITS)) !== 0) { fault(out, FSC.ADDR_SIZE, level); return; }
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
    out.pa = oa;
    if (regimeEl === 1) stage2(cpu, out, access, el);
    return;
  }
}

/** Check that VA bits [63:inputBits] are all 0 (lower range) or all 1 (upper range). */
function checkRange(lo: number, hi: number, inputBits: number, tbi: boolean, upper: boolean): boolean {
  const topBit = tbi ? 55 : 63;
  for (let b = inputBits; b <= topBit; b++) {
    const bit = b < 32 ? (lo >>> b) & 1 : (hi >>> (b - 32)) & 1;
    if (bit !== (upper ? 1 : 0)) return false;
  }
  return true;
}

/**
 * Stage 2 for the EL1&0 regime when HCR_EL2.VM=1 (ARM ARM D5.2.?). The hypervisor finishes the
 * VTTBR_EL2/VTCR_EL2 walk; the board runs guests with identity IPA->PA until then.
 */
function stage2(cpu: Cpu, out: Translation, _access: Access, el: number): void {
  if (el >= 2 || !cpu.el2Enabled) return;
  if ((cpu.hcrLo() & 1) === 0) return;
  // Identity for now; a real stage-2 walk replaces this with the hypervisor work.
}
