/**
 * Load/store exclusive and load-acquire/store-release (ARM ARM C4.1.66 "Load/store exclusive"):
 * LDXR/LDAXR/STXR/STLXR (B/H/W/X), LDXP/LDAXP/STXP/STLXP, LDAR/STLR (B/H/W/X).
 *
 * The local exclusive monitor (ARM ARM B2.9) records the physical address and size marked by a
 * load-exclusive. This interpreter runs one instruction at a time, so acquire/release ordering
 * needs nothing beyond a plain access. All of these require natural alignment (pairs: the total
 * size) whatever SCTLR_ELx.A says, and take an alignment fault (DFSC 0x21) otherwise.
 * ARMv8.1 additions sharing this encoding space (CAS, CASP, LDLAR, STLLR) are not implemented
 * by a Cortex-A53 and stay UNDEFINED.
 */
import { Access, Cpu, FSC, zr, zw } from "../cpu.js";
import type { Decoded, InsnDef } from "./table.js";
import { xreg } from "./util.js";
import { memOff, singleRegisterSyndrome, spAlignmentCheck } from "./loadstore-common.js";

const SUFFIX = ["b", "h", "", ""];

/** Base address of an exclusive/ordered access, checked for SP and natural alignment. */
let addrLo = 0, addrHi = 0;
function alignedBase(cpu: Cpu, d: Decoded, access: Access): void {
  base(cpu, d);
  if (addrLo & (d.bytes - 1)) cpu.abort(access, FSC.ALIGNMENT, addrLo, addrHi, false);
}

function base(cpu: Cpu, d: Decoded): void {
  const x = cpu.x, n2 = d.n * 2;
  if (d.n === 31 && (x[62] & 15)) spAlignmentCheck(cpu, d);
  addrLo = x[n2]; addrHi = x[n2 + 1];
}

/** Read `bytes` (1/2/4/8) at (lo, hi) zero-extended; the high word is left in cpu.ldHi. */
function readSized(cpu: Cpu, lo: number, hi: number, bytes: number): number {
  switch (bytes) {
    case 1: cpu.ldHi = 0; return cpu.read8(lo, hi);
    case 2: cpu.ldHi = 0; return cpu.read16(lo, hi);
    case 4: { const v = cpu.read32(lo, hi); cpu.ldHi = 0; return v; }
    default: return cpu.read64(lo, hi);
  }
}

function writeSized(cpu: Cpu, lo: number, hi: number, bytes: number, vlo: number, vhi: number): void {
  switch (bytes) {
    case 1: cpu.write8(lo, hi, vlo & 0xff); break;
    case 2: cpu.write16(lo, hi, vlo & 0xffff); break;
    case 4: cpu.write32(lo, hi, vlo); break;
    default: cpu.write64(lo, hi, vlo, vhi); break;
  }
}

/** Mark the local monitor for the access just made at (addrLo, addrHi) (AArch64.SetExclusiveMonitors). */
function markExclusive(cpu: Cpu, size: number): void {
  cpu.exclusiveAddr = cpu.translateCached(addrLo, addrHi, Access.Read, size);
  cpu.exclusiveSize = size;
  cpu.exclusiveValid = true;
}

/**
 * AArch64.ExclusiveMonitorsPass(): whether a store-exclusive of `size` bytes at (addrLo, addrHi)
 * may write. Like QEMU, a store-exclusive with no open reservation fails without accessing
 * memory (so it cannot fault); otherwise it checks alignment and translates (faults are taken) and passes when the
 * physical address and size match the reservation. The local monitor is cleared either way.
 */
function monitorsPass(cpu: Cpu, size: number): boolean {
  if (!cpu.exclusiveValid) return false;
  if (addrLo & (size - 1)) cpu.abort(Access.Write, FSC.ALIGNMENT, addrLo, addrHi, false);
  const pa = cpu.translateCached(addrLo, addrHi, Access.Write, size);
  const pass = pa === cpu.exclusiveAddr && size === cpu.exclusiveSize;
  cpu.exclusiveValid = false;
  if (pass) cpu.platform.clearOtherExclusiveMonitors(cpu, pa);
  return pass;
}

function setStatus(cpu: Cpu, s: number, failed: boolean): void {
  cpu.x[s * 2] = failed ? 1 : 0;
  cpu.x[s * 2 + 1] = 0;
}

export const loadStoreExclusiveGroup: InsnDef[] = [
  {
    name: "LDXR", pattern: "size:2 001000 0 1 0 rs:5 o0:1 rt2:5 rn:5 rt:5", exclusiveLoad: true,
    prepare: (d) => { d.n = d.rn; d.t = zw(d.rt); d.bytes = 1 << d.size; d.dabtIss = singleRegisterSyndrome(d.size, false, d.rt, d.size === 3, true); },
    exec: (cpu, d) => {
      alignedBase(cpu, d, Access.Read);
      const v = readSized(cpu, addrLo, addrHi, d.bytes), vh = cpu.ldHi;
      markExclusive(cpu, d.bytes);
      cpu.x[d.t * 2] = v; cpu.x[d.t * 2 + 1] = vh;
    },
    disasm: (d) => `${d.o0 ? "ldaxr" : "ldxr"}${SUFFIX[d.size]}\t${xreg(d.rt, d.size === 3 ? 1 : 0)}, ${memOff(d.rn, 0)}`,
  },
  {
    name: "STXR", pattern: "size:2 001000 0 0 0 rs:5 o0:1 rt2:5 rn:5 rt:5",
    prepare: (d) => { d.n = d.rn; d.t = zr(d.rt); d.s = zw(d.rs); d.bytes = 1 << d.size; },
    exec: (cpu, d) => {
      base(cpu, d);
      const x = cpu.x;
      const pass = monitorsPass(cpu, d.bytes);
      if (pass) writeSized(cpu, addrLo, addrHi, d.bytes, x[d.t * 2], x[d.t * 2 + 1]);
      setStatus(cpu, d.s, !pass);
    },
    disasm: (d) => `${d.o0 ? "stlxr" : "stxr"}${SUFFIX[d.size]}\t${xreg(d.rs, 0)}, ${xreg(d.rt, d.size === 3 ? 1 : 0)}, ${memOff(d.rn, 0)}`,
  },
  {
    // Pairs: sz=0 two words (8 bytes), sz=1 two doublewords (16 bytes), aligned to the total.
    name: "LDXP", pattern: "1 sz:1 001000 0 1 1 rs:5 o0:1 rt2:5 rn:5 rt:5", exclusiveLoad: true,
    prepare: (d) => { d.n = d.rn; d.t = zw(d.rt); d.t2 = zw(d.rt2); d.bytes = 8 << d.sz; },
    exec: (cpu, d) => {
      alignedBase(cpu, d, Access.Read);
      const x = cpu.x;
      let a: number, ah: number, b: number, bh: number;
      if (d.sz) {
        a = cpu.read64(addrLo, addrHi); ah = cpu.ldHi;
        b = cpu.read64((addrLo + 8) | 0, addrHi); bh = cpu.ldHi; // aligned: no carry out
      } else {
        a = cpu.read32(addrLo, addrHi); ah = 0;
        b = cpu.read32((addrLo + 4) | 0, addrHi); bh = 0;
      }
      markExclusive(cpu, d.bytes);
      x[d.t * 2] = a; x[d.t * 2 + 1] = ah;
      x[d.t2 * 2] = b; x[d.t2 * 2 + 1] = bh;
    },
    disasm: (d) => `${d.o0 ? "ldaxp" : "ldxp"}\t${xreg(d.rt, d.sz)}, ${xreg(d.rt2, d.sz)}, ${memOff(d.rn, 0)}`,
  },
  {
    name: "STXP", pattern: "1 sz:1 001000 0 0 1 rs:5 o0:1 rt2:5 rn:5 rt:5",
    prepare: (d) => { d.n = d.rn; d.t = zr(d.rt); d.t2 = zr(d.rt2); d.s = zw(d.rs); d.bytes = 8 << d.sz; },
    exec: (cpu, d) => {
      base(cpu, d);
      const x = cpu.x;
      const pass = monitorsPass(cpu, d.bytes);
      if (pass) {
        if (d.sz) {
          cpu.write64(addrLo, addrHi, x[d.t * 2], x[d.t * 2 + 1]);
          cpu.write64((addrLo + 8) | 0, addrHi, x[d.t2 * 2], x[d.t2 * 2 + 1]);
        } else {
          cpu.write32(addrLo, addrHi, x[d.t * 2]);
          cpu.write32((addrLo + 4) | 0, addrHi, x[d.t2 * 2]);
        }
      }
      setStatus(cpu, d.s, !pass);
    },
    disasm: (d) => `${d.o0 ? "stlxp" : "stxp"}\t${xreg(d.rs, 0)}, ${xreg(d.rt, d.sz)}, ${xreg(d.rt2, d.sz)}, ${memOff(d.rn, 0)}`,
  },
  {
    name: "LDAR", pattern: "size:2 001000 1 1 0 11111 1 11111 rn:5 rt:5",
    prepare: (d) => { d.n = d.rn; d.t = zw(d.rt); d.bytes = 1 << d.size; d.dabtIss = singleRegisterSyndrome(d.size, false, d.rt, d.size === 3, true); },
    exec: (cpu, d) => {
      alignedBase(cpu, d, Access.Read);
      const v = readSized(cpu, addrLo, addrHi, d.bytes);
      cpu.x[d.t * 2] = v; cpu.x[d.t * 2 + 1] = cpu.ldHi;
    },
    disasm: (d) => `ldar${SUFFIX[d.size]}\t${xreg(d.rt, d.size === 3 ? 1 : 0)}, ${memOff(d.rn, 0)}`,
  },
  {
    name: "STLR", pattern: "size:2 001000 1 0 0 rs:5 1 rt2:5 rn:5 rt:5",
    prepare: (d) => { d.n = d.rn; d.t = zr(d.rt); d.bytes = 1 << d.size; d.dabtIss = singleRegisterSyndrome(d.size, false, d.rt, d.size === 3, true); },
    exec: (cpu, d) => {
      alignedBase(cpu, d, Access.Write);
      writeSized(cpu, addrLo, addrHi, d.bytes, cpu.x[d.t * 2], cpu.x[d.t * 2 + 1]);
    },
    disasm: (d) => `stlr${SUFFIX[d.size]}\t${xreg(d.rt, d.size === 3 ? 1 : 0)}, ${memOff(d.rn, 0)}`,
  },
];
