/**
 * Integer add/subtract in all operand forms, add/subtract with carry, conditional compare and
 * conditional select (ARM ARM C4.1 encoding index, "Data Processing -- Immediate" and
 * "Data Processing -- Register"; instruction pages in C6.2).
 *
 * SUB is AddWithCarry(a, NOT(b), 1): `prepare` stores the inversion mask (`inv`) and carry-in
 * (`cin`) so one exec function serves both directions of each operand form.
 */
import { Cpu, zr, zw } from "../cpu.js";
import type { Decoded, ExecFn, InsnDef } from "./table.js";
import { condHolds, condName, condSrc, xreg, xregSp } from "./util.js";
import {
  add32Src, add64Src, add64To, adds32To, adds64To, extend32, extend64, extendName, outHi, shift32, shift32Src, shift64,
  shift64Src, shiftName,
} from "./dataproc-common.js";

/** Slot 33 (the XZR sink), doubled: compare-only forms write their result there. */
const SINK = 66;

// ---------------- ADD/SUB (immediate) ----------------

const addImm64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n;
  const hi = x[n + 1];
  const l = (x[n] >>> 0) + d.imm;
  x[d.dd] = l;
  x[d.dd + 1] = l > 0xffffffff ? (hi + 1) | 0 : hi;
};
const subImm64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n;
  const hi = x[n + 1];
  const l = (x[n] >>> 0) - d.imm;
  x[d.dd] = l;
  x[d.dd + 1] = l < 0 ? (hi - 1) | 0 : hi;
};
const addImm32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = (x[d.n] + d.imm) | 0;
  x[d.dd + 1] = 0;
};
const subImm32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = (x[d.n] - d.imm) | 0;
  x[d.dd + 1] = 0;
};
const addsImm64: ExecFn = (cpu, d) => {
  const x = cpu.x, n = d.n;
  adds64To(cpu, d.dd, x[n], x[n + 1], d.blo, d.bhi, d.cin);
};
const addsImm32: ExecFn = (cpu, d) => adds32To(cpu, d.dd, cpu.x[d.n], d.blo, d.cin);

function disasmAddImm(d: Decoded): string {
  const sf = d.sf;
  const imm = "#0x" + d.imm12.toString(16) + (d.sh ? ", lsl #12" : "");
  if (d.S) {
    const rn = xregSp(d.rn, sf);
    if (d.rd === 31) return `${d.op ? "cmp" : "cmn"}\t${rn}, ${imm}`;
    return `${d.op ? "subs" : "adds"}\t${xreg(d.rd, sf)}, ${rn}, ${imm}`;
  }
  // MOV (to/from SP) is the preferred form of ADD #0 when either register is SP.
  if (!d.op && d.imm12 === 0 && !d.sh && (d.rd === 31 || d.rn === 31))
    return `mov\t${xregSp(d.rd, sf)}, ${xregSp(d.rn, sf)}`;
  return `${d.op ? "sub" : "add"}\t${xregSp(d.rd, sf)}, ${xregSp(d.rn, sf)}, ${imm}`;
}

// ---------------- ADD/SUB (shifted register) ----------------

const addReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  const blo = shift64(d.shift, x[m], x[m + 1], d.imm6);
  add64To(x, d.dd, x[n], x[n + 1], blo ^ inv, outHi ^ inv, d.cin);
};
const addRegNoShift64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  add64To(x, d.dd, x[n], x[n + 1], x[m] ^ inv, x[m + 1] ^ inv, d.cin);
};
const addsReg64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  const blo = shift64(d.shift, x[m], x[m + 1], d.imm6);
  adds64To(cpu, d.dd, x[n], x[n + 1], blo ^ inv, outHi ^ inv, d.cin);
};
/** CMP/SUBS/ADDS Xd, Xn, Xm without a shift: the common compare form. */
const addsRegNoShift64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  adds64To(cpu, d.dd, x[n], x[n + 1], x[m] ^ inv, x[m + 1] ^ inv, d.cin);
};
const addReg32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const b = shift32(d.shift, x[d.m], d.imm6) ^ d.inv;
  x[d.dd] = (x[d.n] + b + d.cin) | 0;
  x[d.dd + 1] = 0;
};
const addsReg32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  adds32To(cpu, d.dd, x[d.n], shift32(d.shift, x[d.m], d.imm6) ^ d.inv, d.cin);
};

function shiftSuffix(type: number, amount: number): string {
  return amount === 0 && type === 0 ? "" : `, ${shiftName(type)} #${amount}`;
}

function disasmAddReg(d: Decoded): string {
  const sf = d.sf;
  const rm = xreg(d.rm, sf) + shiftSuffix(d.shift, d.imm6);
  if (d.S && d.rd === 31) return `${d.op ? "cmp" : "cmn"}\t${xreg(d.rn, sf)}, ${rm}`;
  if (d.op && d.rn === 31) return `${d.S ? "negs" : "neg"}\t${xreg(d.rd, sf)}, ${rm}`;
  const name = (d.op ? "sub" : "add") + (d.S ? "s" : "");
  return `${name}\t${xreg(d.rd, sf)}, ${xreg(d.rn, sf)}, ${rm}`;
}

// ---------------- ADD/SUB (extended register) ----------------

const addExt64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  const blo = extend64(d.option, x[m], x[m + 1], d.imm3);
  add64To(x, d.dd, x[n], x[n + 1], blo ^ inv, outHi ^ inv, d.cin);
};
const addsExt64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  const blo = extend64(d.option, x[m], x[m + 1], d.imm3);
  adds64To(cpu, d.dd, x[n], x[n + 1], blo ^ inv, outHi ^ inv, d.cin);
};
const addExt32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  const b = extend32(d.option, x[d.m], d.imm3) ^ d.inv;
  x[d.dd] = (x[d.n] + b + d.cin) | 0;
  x[d.dd + 1] = 0;
};
const addsExt32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  adds32To(cpu, d.dd, x[d.n], extend32(d.option, x[d.m], d.imm3) ^ d.inv, d.cin);
};

function disasmAddExt(d: Decoded): string {
  const sf = d.sf;
  // The register is an X register only for UXTX/SXTX in the 64-bit form.
  const rmName = xreg(d.rm, sf && (d.option & 3) === 3 ? 1 : 0);
  // With SP as Rd (non-S) or Rn, UXTW (32-bit) / UXTX (64-bit) is shown as LSL, omitted when 0.
  const spInvolved = d.rn === 31 || (!d.S && d.rd === 31);
  let ext: string;
  if (spInvolved && d.option === (sf ? 3 : 2)) ext = d.imm3 ? `, lsl #${d.imm3}` : "";
  else ext = `, ${extendName(d.option)}` + (d.imm3 ? ` #${d.imm3}` : "");
  const rn = xregSp(d.rn, sf);
  if (d.S && d.rd === 31) return `${d.op ? "cmp" : "cmn"}\t${rn}, ${rmName}${ext}`;
  const name = (d.op ? "sub" : "add") + (d.S ? "s" : "");
  const rd = d.S ? xreg(d.rd, sf) : xregSp(d.rd, sf);
  return `${name}\t${rd}, ${rn}, ${rmName}${ext}`;
}

// ---------------- ADC/SBC ----------------

const adc64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  add64To(x, d.dd, x[n], x[n + 1], x[m] ^ inv, x[m + 1] ^ inv, cpu.cf);
};
const adcs64: ExecFn = (cpu, d) => {
  const x = cpu.x, m = d.m, n = d.n, inv = d.inv;
  adds64To(cpu, d.dd, x[n], x[n + 1], x[m] ^ inv, x[m + 1] ^ inv, cpu.cf);
};
const adc32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = (x[d.n] + (x[d.m] ^ d.inv) + cpu.cf) | 0;
  x[d.dd + 1] = 0;
};
const adcs32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  adds32To(cpu, d.dd, x[d.n], x[d.m] ^ d.inv, cpu.cf);
};

// ---------------- Conditional compare ----------------

/** CCMP/CCMN (ARM ARM C6.2 CCMN, CCMP): flags of the comparison if the condition holds, else #nzcv. */
const ccmp64: ExecFn = (cpu, d) => {
  if (condHolds(cpu, d.cond)) {
    const x = cpu.x, n = d.n, inv = d.inv;
    let blo: number, bhi: number;
    if (d.m < 0) { blo = d.imm5; bhi = 0; } else { blo = x[d.m]; bhi = x[d.m + 1]; }
    adds64To(cpu, SINK, x[n], x[n + 1], blo ^ inv, bhi ^ inv, d.cin);
  } else {
    setNzcv(cpu, d.nzcv);
  }
};
const ccmp32: ExecFn = (cpu, d) => {
  if (condHolds(cpu, d.cond)) {
    const b = d.m < 0 ? d.imm5 : cpu.x[d.m];
    adds32To(cpu, SINK, cpu.x[d.n], b ^ d.inv, d.cin);
  } else {
    setNzcv(cpu, d.nzcv);
  }
};

/** CCMP/CCMN as source: the compare's flags (into the sink) if the condition holds, else #nzcv. */
function compileCcmp(d: Decoded): string {
  const n = d.n, inv = d.inv !== 0, nzcv = d.nzcv;
  const otherwise = `cpu.nf = ${(nzcv >> 3) & 1}; cpu.zf = ${(nzcv >> 2) & 1}; cpu.cf = ${(nzcv >> 1) & 1}; cpu.vf = ${nzcv & 1};`;
  let compare: string;
  if (d.sf) {
    const bl = d.m < 0 ? d.imm5 ^ d.inv : inv ? `~x[${d.m}]` : `x[${d.m}]`;
    const bh = d.m < 0 ? d.inv : inv ? `~x[${d.m + 1}]` : `x[${d.m + 1}]`;
    compare = add64Src(SINK, `x[${n}]`, `x[${n + 1}]`, bl, bh, d.cin, true);
  } else {
    const b = d.m < 0 ? d.imm5 ^ d.inv : inv ? `~x[${d.m}]` : `x[${d.m}]`;
    compare = add32Src(SINK, `x[${n}]`, b, d.cin, true);
  }
  return `if (${condSrc(d.cond)}) ${compare} else { ${otherwise} }`;
}

function setNzcv(cpu: Cpu, nzcv: number): void {
  cpu.nf = (nzcv >> 3) & 1;
  cpu.zf = (nzcv >> 2) & 1;
  cpu.cf = (nzcv >> 1) & 1;
  cpu.vf = nzcv & 1;
}

// ---------------- Conditional select ----------------

const csel64: ExecFn = (cpu, d) => {
  const x = cpu.x, s = condHolds(cpu, d.cond) ? d.n : d.m;
  x[d.dd] = x[s];
  x[d.dd + 1] = x[s + 1];
};
const csinc64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  if (condHolds(cpu, d.cond)) { x[d.dd] = x[d.n]; x[d.dd + 1] = x[d.n + 1]; return; }
  const lo = x[d.m], hi = x[d.m + 1];
  x[d.dd] = (lo + 1) | 0;
  x[d.dd + 1] = lo === -1 ? (hi + 1) | 0 : hi;
};
const csinv64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  if (condHolds(cpu, d.cond)) { x[d.dd] = x[d.n]; x[d.dd + 1] = x[d.n + 1]; return; }
  x[d.dd] = ~x[d.m];
  x[d.dd + 1] = ~x[d.m + 1];
};
const csneg64: ExecFn = (cpu, d) => {
  const x = cpu.x;
  if (condHolds(cpu, d.cond)) { x[d.dd] = x[d.n]; x[d.dd + 1] = x[d.n + 1]; return; }
  const lo = x[d.m], hi = x[d.m + 1];
  x[d.dd] = -lo | 0;
  x[d.dd + 1] = lo === 0 ? -hi | 0 : ~hi;
};
const csel32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = condHolds(cpu, d.cond) ? x[d.n] : x[d.m];
  x[d.dd + 1] = 0;
};
const csinc32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = condHolds(cpu, d.cond) ? x[d.n] : (x[d.m] + 1) | 0;
  x[d.dd + 1] = 0;
};
const csinv32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = condHolds(cpu, d.cond) ? x[d.n] : ~x[d.m];
  x[d.dd + 1] = 0;
};
const csneg32: ExecFn = (cpu, d) => {
  const x = cpu.x;
  x[d.dd] = condHolds(cpu, d.cond) ? x[d.n] : -x[d.m] | 0;
  x[d.dd + 1] = 0;
};

const CSEL_EXEC: ExecFn[] = [csel32, csinc32, csinv32, csneg32, csel64, csinc64, csinv64, csneg64];

function disasmCsel(d: Decoded): string {
  const sf = d.sf, kind = d.op * 2 + d.o2;
  const rd = xreg(d.rd, sf), rn = xreg(d.rn, sf), rm = xreg(d.rm, sf);
  // Aliases (ARM ARM C6.2 CSINC/CSINV/CSNEG): same source twice and a condition other than AL/NV.
  if (kind !== 0 && d.rn === d.rm && (d.cond >> 1) !== 7) {
    const inv = condName(d.cond ^ 1);
    if (kind === 1) return d.rn === 31 ? `cset\t${rd}, ${inv}` : `cinc\t${rd}, ${rn}, ${inv}`;
    if (kind === 2) return d.rn === 31 ? `csetm\t${rd}, ${inv}` : `cinv\t${rd}, ${rn}, ${inv}`;
    return `cneg\t${rd}, ${rn}, ${inv}`;
  }
  const name = ["csel", "csinc", "csinv", "csneg"][kind];
  return `${name}\t${rd}, ${rn}, ${rm}, ${condName(d.cond)}`;
}

// ---------------- the table ----------------

/** Set the inversion mask and carry-in of an add (op = 0) or subtract (op = 1). */
function addOrSub(d: Decoded): void {
  d.inv = d.op ? -1 : 0;
  d.cin = d.op;
}

export const arithGroup: InsnDef[] = [
  {
    name: "ADD_SUB_imm", pattern: "sf:1 op:1 S:1 100010 sh:1 imm12:12 rn:5 rd:5",
    prepare: (d) => {
      d.n = d.rn * 2;
      d.dd = (d.S ? zw(d.rd) : d.rd) * 2;
      d.imm = d.imm12 * (d.sh ? 4096 : 1);
      d.blo = d.op ? ~d.imm : d.imm;
      d.bhi = d.op ? -1 : 0;
      d.cin = d.op;
      if (d.S) d.exec = d.sf ? addsImm64 : addsImm32;
      else if (d.sf) d.exec = d.op ? subImm64 : addImm64;
      else d.exec = d.op ? subImm32 : addImm32;
    },
    exec: addImm64,
    compile: (d) => {
      const n = d.n, dd = d.dd;
      if (d.S) return d.sf ? add64Src(dd, `x[${n}]`, `x[${n + 1}]`, d.blo, d.bhi, d.cin, true) : add32Src(dd, `x[${n}]`, d.blo, d.cin, true);
      if (!d.sf) return `x[${dd}] = (x[${n}] ${d.op ? "-" : "+"} ${d.imm}) | 0; x[${dd + 1}] = 0;`;
      // As addImm64/subImm64: one carry or borrow into the high word at most.
      return d.op
        ? `{ const h = x[${n + 1}], a = x[${n}]; x[${dd}] = (a - ${d.imm}) | 0; x[${dd + 1}] = (a >>> 0) < ${d.imm} ? (h - 1) | 0 : h; }`
        : `{ const h = x[${n + 1}], l = (x[${n}] + ${d.imm}) | 0; x[${dd}] = l; x[${dd + 1}] = (l >>> 0) < ${d.imm} ? (h + 1) | 0 : h; }`;
    },
    disasm: disasmAddImm,
  },
  {
    name: "ADD_SUB_shifted", pattern: "sf:1 op:1 S:1 01011 shift:2 0 rm:5 imm6:6 rn:5 rd:5",
    guard: (d) => d.shift !== 3 && (d.sf === 1 || d.imm6 < 32),
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      addOrSub(d);
      if (d.sf && d.imm6 === 0) d.exec = d.S ? addsRegNoShift64 : addRegNoShift64;
      else if (d.sf) d.exec = d.S ? addsReg64 : addReg64;
      else d.exec = d.S ? addsReg32 : addReg32;
    },
    exec: addReg64,
    compile: (d) => {
      const inv = d.inv !== 0, n = d.n;
      if (!d.sf) {
        const b = shift32Src(d.shift, d.m, d.imm6);
        return add32Src(d.dd, `x[${n}]`, inv ? `~${b}` : b, d.cin, d.S === 1);
      }
      const b = shift64Src(d.shift, d.m, d.imm6);
      if (b === undefined) return undefined;
      return add64Src(d.dd, `x[${n}]`, `x[${n + 1}]`, inv ? `~${b[0]}` : b[0], inv ? `~${b[1]}` : b[1], d.cin, d.S === 1);
    },
    disasm: disasmAddReg,
  },
  {
    name: "ADD_SUB_extended", pattern: "sf:1 op:1 S:1 01011 00 1 rm:5 option:3 imm3:3 rn:5 rd:5",
    guard: (d) => d.imm3 <= 4,
    prepare: (d) => {
      d.n = d.rn * 2; d.m = zr(d.rm) * 2; d.dd = (d.S ? zw(d.rd) : d.rd) * 2;
      addOrSub(d);
      if (d.sf) d.exec = d.S ? addsExt64 : addExt64;
      else d.exec = d.S ? addsExt32 : addExt32;
    },
    compile: (d) => {
      // ExtendReg() with the option and shift as constants, then AddWithCarry() (as addExt64 etc.).
      const n = d.n, m = d.m, opt = d.option, s = d.imm3, inv = d.inv !== 0, flags = d.S === 1;
      const w = `x[${m}]`;
      const narrow = [`(${w} & 255)`, `(${w} & 65535)`, w, w, `((${w} << 24) >> 24)`, `((${w} << 16) >> 16)`, w, w][opt];
      if (!d.sf) {
        const b = s === 0 ? narrow : `(${narrow} << ${s})`;
        return add32Src(d.dd, `x[${n}]`, inv ? `~${b}` : b, d.cin, flags);
      }
      const hi = opt === 3 || opt === 7 ? `x[${m + 1}]` : opt < 3 ? "0" : "(el >> 31)";
      const bl = s === 0 ? "el" : `(el << ${s})`, bh = s === 0 ? "eh" : `((eh << ${s}) | (el >>> ${32 - s}))`;
      return `{ const el = ${narrow}, eh = ${hi}; ${add64Src(d.dd, `x[${n}]`, `x[${n + 1}]`, inv ? `~${bl}` : bl, inv ? `~${bh}` : bh, d.cin, flags)} }`;
    },
    exec: addExt64,
    disasm: disasmAddExt,
  },
  {
    name: "ADC_SBC", pattern: "sf:1 op:1 S:1 11010000 rm:5 000000 rn:5 rd:5",
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.inv = d.op ? -1 : 0;
      if (d.sf) d.exec = d.S ? adcs64 : adc64;
      else d.exec = d.S ? adcs32 : adc32;
    },
    exec: adc64,
    disasm: (d) => {
      const sf = d.sf, s = d.S ? "s" : "";
      if (d.op && d.rn === 31) return `ngc${s}\t${xreg(d.rd, sf)}, ${xreg(d.rm, sf)}`;
      return `${d.op ? "sbc" : "adc"}${s}\t${xreg(d.rd, sf)}, ${xreg(d.rn, sf)}, ${xreg(d.rm, sf)}`;
    },
  },
  {
    name: "CCMP_CCMN_reg", pattern: "sf:1 op:1 1 11010010 rm:5 cond:4 0 0 rn:5 0 nzcv:4",
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2;
      addOrSub(d);
      d.exec = d.sf ? ccmp64 : ccmp32;
    },
    compile: compileCcmp,
    exec: ccmp64,
    disasm: (d) => `${d.op ? "ccmp" : "ccmn"}\t${xreg(d.rn, d.sf)}, ${xreg(d.rm, d.sf)}, #0x${d.nzcv.toString(16)}, ${condName(d.cond)}`,
  },
  {
    name: "CCMP_CCMN_imm", pattern: "sf:1 op:1 1 11010010 imm5:5 cond:4 1 0 rn:5 0 nzcv:4",
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = -1;
      addOrSub(d);
      d.exec = d.sf ? ccmp64 : ccmp32;
    },
    compile: compileCcmp,
    exec: ccmp64,
    disasm: (d) => `${d.op ? "ccmp" : "ccmn"}\t${xreg(d.rn, d.sf)}, #0x${d.imm5.toString(16)}, #0x${d.nzcv.toString(16)}, ${condName(d.cond)}`,
  },
  {
    name: "CSEL_family", pattern: "sf:1 op:1 0 11010100 rm:5 cond:4 0 o2:1 rn:5 rd:5",
    prepare: (d) => {
      d.n = zr(d.rn) * 2; d.m = zr(d.rm) * 2; d.dd = zw(d.rd) * 2;
      d.exec = CSEL_EXEC[d.sf * 4 + d.op * 2 + d.o2];
    },
    exec: csel64,
    compile: (d) => {
      // CSEL/CSINC/CSINV/CSNEG: Rn if the condition holds, else the transformed Rm.
      const n = d.n, m = d.m, dd = d.dd, kind = d.op * 2 + d.o2;
      if (!d.sf) {
        const alt = [`x[${m}]`, `(x[${m}] + 1) | 0`, `~x[${m}]`, `-x[${m}] | 0`][kind];
        return `x[${dd}] = ${condSrc(d.cond)} ? x[${n}] : ${alt}; x[${dd + 1}] = 0;`;
      }
      const alt = [
        `{ l = x[${m}]; h = x[${m + 1}]; }`,
        `{ const ml = x[${m}], mh = x[${m + 1}]; l = (ml + 1) | 0; h = ml === -1 ? (mh + 1) | 0 : mh; }`,
        `{ l = ~x[${m}]; h = ~x[${m + 1}]; }`,
        `{ const ml = x[${m}], mh = x[${m + 1}]; l = -ml | 0; h = ml === 0 ? -mh | 0 : ~mh; }`,
      ][kind];
      return `{ let l, h; if (${condSrc(d.cond)}) { l = x[${n}]; h = x[${n + 1}]; } else ${alt} x[${dd}] = l; x[${dd + 1}] = h; }`;
    },
    disasm: disasmCsel,
  },
];
