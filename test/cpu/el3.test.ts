/**
 * EL3 and the Secure state (ARM ARM D1.1, D1.13.1, D13.2.113 SCR_EL3): physical interrupt routing
 * with SCR_EL3.{IRQ,FIQ}, SMC/HVC and their enables (SMD, HCE, HCR_EL2.TSC), EL2 existing only
 * while SCR_EL3.NS = 1, illegal returns to AArch32 lower ELs (SCR_EL3.RW), CPTR_EL3.TFP and
 * SCR_EL3.TWI traps, Secure-only physical memory. The el3 guest program checks the same
 * behaviour against QEMU end to end; the cases here include the few where QEMU 7.2 departs from
 * the architecture (HVC at EL3).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu, type CodeCache } from "../../src/cpu/cpu.js";
import { getDecoder } from "../../src/cpu/isa/index.js";
import { installSystemRegisters } from "../../src/cpu/isa/system.js";
import { translate } from "../../src/cpu/mmu.js";
import { createSysRegTable, SR } from "../../src/cpu/sysregs.js";
import { Bus } from "../../src/memory/bus.js";
import { StandalonePlatform, type CpuPlatform } from "../../src/cpu/platform.js";
import { assemble, crossToolchainMissing } from "../harness/toolchain.js";
import { loadWords, RAM_BASE, runAt, type TestMachine } from "./make-cpu.js";

const skip = crossToolchainMissing(["as", "objcopy"]);
const VBAR1 = RAM_BASE + 0x10000, VBAR2 = RAM_BASE + 0x20000, VBAR3 = RAM_BASE + 0x30000;
const SCR_NS = 1, SCR_IRQ = 2, SCR_FIQ = 4, SCR_SMD = 1 << 7, SCR_HCE = 1 << 8, SCR_RW = 1 << 10, SCR_TWI = 1 << 12;
/** Vector offsets: current EL with SPx 0x200, lower EL (AArch64) 0x400; IRQ +0x80, FIQ +0x100. */
const CUR_SYNC = 0x200, LOW_SYNC = 0x400, LOW_IRQ = 0x480, LOW_FIQ = 0x500;

/** A CPU with EL3 (and EL2 unless `el2` is false), out of reset at EL3; vectors at VBARn. */
function makeEl3Cpu(el2 = true, platform?: CpuPlatform): TestMachine {
  const bus = new Bus();
  bus.addRam("ram", RAM_BASE, 16 * 1024 * 1024);
  const codeCache: CodeCache = new Map();
  bus.onCodeWrite((ri, page) => Cpu.invalidateCode(codeCache, bus.rams[ri].base + page * 4096));
  const sysregs = createSysRegTable();
  installSystemRegisters(sysregs, { highestEl: 3, el2, gicv3: false });
  const cpu = new Cpu({ index: 0, bus, decoder: getDecoder(), sysregs, translate, highestEl: 3, hasEl2: el2, mpidr: 0x80000000, platform }, codeCache);
  cpu.srSet(SR.VBAR_EL1, VBAR1, 0);
  cpu.srSet(SR.VBAR_EL2, VBAR2, 0);
  cpu.srSet(SR.VBAR_EL3, VBAR3, 0);
  const m = { cpu, bus };
  // Interrupt vectors spin, so a test can see where an interrupt went.
  for (const vbar of [VBAR1, VBAR2, VBAR3]) for (const off of [0x280, 0x300, 0x480, 0x500]) loadWords(m, vbar + off, [0x14000000]);
  return m;
}

/** Write SCR_EL3 directly (as an MSR at EL3 would) and move to `el` on SP_ELx. */
function enter(m: TestMachine, el: number, scr: number, hcr = 1 << 31): void {
  m.cpu.srSet(SR.SCR_EL3, scr | 0x30, 0);
  m.cpu.srSet(SR.HCR_EL2, hcr, 0);
  m.cpu.setElSp(el, 1);
  m.cpu.updateCachedControls();
  m.cpu.flushTlb(); // as an MSR to SCR_EL3 does: the security state of EL1/EL2 may change
}

const esr = (m: TestMachine, slot: number) => m.cpu.srGetLo(slot) >>> 0;
const pc = (m: TestMachine) => m.cpu.pcLo >>> 0;

test("reset: the CPU starts at EL3, SCR_EL3 reads 0x30 and keeps only its ARMv8.0 fields", { skip }, () => {
  const m = makeEl3Cpu();
  assert.equal(m.cpu.el, 3);
  assert.equal(m.cpu.srGetLo(SR.SCR_EL3), 0x30);
  loadWords(m, RAM_BASE, assemble("mov x0, #-1\nmsr scr_el3, x0\nmrs x1, scr_el3\nmsr scr_el3, xzr\nmrs x2, scr_el3\nmrs x3, id_aa64pfr0_el1"));
  runAt(m, RAM_BASE, 6);
  assert.equal(m.cpu.x[2] >>> 0, 0x3fbf);
  assert.equal(m.cpu.x[4] >>> 0, 0x30);
  assert.equal((m.cpu.x[6] >>> 8) & 0xff, 0x11, "ID_AA64PFR0_EL1.{EL2,EL3} = AArch64 only");
});

test("SCR_EL3.IRQ takes an IRQ from EL1 to EL3 although PSTATE.I masks it at EL1", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("nop\nnop\nnop"));
  enter(m, 1, SCR_NS | SCR_RW);
  m.cpu.daif = 0x3c0;
  m.cpu.setIrq(true);
  runAt(m, RAM_BASE, 2);
  assert.equal(m.cpu.el, 1, "without SCR_EL3.IRQ the masked IRQ stays pending at EL1");
  enter(m, 1, SCR_NS | SCR_RW | SCR_IRQ);
  m.cpu.daif = 0x3c0;
  m.cpu.run(1);
  assert.equal(m.cpu.el, 3);
  assert.equal(pc(m), VBAR3 + LOW_IRQ);
  assert.equal(esr(m, SR.SPSR_EL3), 0x3c5);
});

test("SCR_EL3.FIQ routes FIQ to EL3 ahead of HCR_EL2.FMO; at EL3 it obeys PSTATE.F", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("nop\nnop\nmsr daifclr, #1\nnop"));
  enter(m, 1, SCR_NS | SCR_RW | SCR_FIQ, (1 << 31) | (1 << 3) /* FMO */);
  m.cpu.daif = 0;
  m.cpu.setFiq(true);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 3);
  assert.equal(pc(m), VBAR3 + LOW_FIQ);
  // At EL3 with F masked it waits, and is taken once F is cleared.
  m.cpu.daif = 0x3c0;
  runAt(m, RAM_BASE, 2);
  assert.equal(pc(m), RAM_BASE + 8);
  m.cpu.run(2);
  assert.equal(pc(m), VBAR3 + CUR_SYNC + 0x100);
});

test("with SCR_EL3.IRQ = 0 an IRQ is never taken at EL3, whatever PSTATE.I", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("msr daifclr, #2\nnop\nnop\nnop"));
  enter(m, 3, SCR_RW);
  m.cpu.setIrq(true);
  runAt(m, RAM_BASE, 4);
  assert.equal(m.cpu.el, 3);
  assert.equal(pc(m), RAM_BASE + 16);
});

test("SMC from EL1 goes to EL3 with the next instruction as return address", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("smc #0x51"));
  enter(m, 1, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 3);
  assert.equal(pc(m), VBAR3 + LOW_SYNC);
  assert.equal(esr(m, SR.ESR_EL3), 0x5e000051);
  assert.equal(esr(m, SR.ELR_EL3), RAM_BASE + 4);
});

test("SCR_EL3.SMD makes SMC UNDEFINED at EL1, but HCR_EL2.TSC still traps it to EL2 first", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("smc #0x58"));
  enter(m, 1, SCR_NS | SCR_RW | SCR_SMD);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 1);
  assert.equal(pc(m), VBAR1 + CUR_SYNC);
  assert.equal(esr(m, SR.ESR_EL1), 0x02000000);
  enter(m, 1, SCR_NS | SCR_RW | SCR_SMD, (1 << 31) | (1 << 19) /* TSC */);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 2);
  assert.equal(esr(m, SR.ESR_EL2), 0x5e000058);
  assert.equal(esr(m, SR.ELR_EL2), RAM_BASE, "a trapped SMC returns to itself");
});

test("Secure EL1: EL2 does not exist, so HCR_EL2 traps nothing and HVC is UNDEFINED", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("smc #1\nhvc #2"));
  enter(m, 1, SCR_RW | SCR_HCE, (1 << 31) | (1 << 19) /* TSC, ignored */);
  assert.equal(m.cpu.el2Enabled, false);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 3, "SMC goes to EL3, not trapped by HCR_EL2.TSC");
  enter(m, 1, SCR_RW | SCR_HCE);
  runAt(m, RAM_BASE + 4, 1);
  assert.equal(m.cpu.el, 1);
  assert.equal(esr(m, SR.ESR_EL1), 0x02000000);
});

test("HVC at EL3 needs SCR_EL3.HCE and is then taken at EL3 (QEMU 7.2 takes it to EL2)", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("hvc #0x33"));
  enter(m, 3, SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(pc(m), VBAR3 + CUR_SYNC);
  assert.equal(esr(m, SR.ESR_EL3), 0x02000000);
  enter(m, 3, SCR_RW | SCR_HCE);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 3);
  assert.equal(pc(m), VBAR3 + CUR_SYNC);
  assert.equal(esr(m, SR.ESR_EL3), 0x5a000033);
  assert.equal(esr(m, SR.ELR_EL3), RAM_BASE + 4);
});

test("ERET from EL3 is illegal to EL2 while SCR_EL3.NS = 0 and to any lower EL while SCR_EL3.RW = 0", { skip }, () => {
  for (const scr of [SCR_RW | SCR_HCE, SCR_NS | SCR_HCE]) {
    const m = makeEl3Cpu();
    loadWords(m, RAM_BASE, assemble("eret"));
    loadWords(m, RAM_BASE + 0x100, assemble("nop"));
    enter(m, 3, scr);
    m.cpu.srSet(SR.SPSR_EL3, 0x3c9, 0);
    m.cpu.srSet(SR.ELR_EL3, RAM_BASE + 0x100, 0);
    runAt(m, RAM_BASE, 2);
    assert.equal(m.cpu.el, 3);
    assert.equal(pc(m), VBAR3 + CUR_SYNC);
    assert.equal(esr(m, SR.ESR_EL3), 0x3a000000, "Illegal Execution state");
    assert.equal(esr(m, SR.ELR_EL3), RAM_BASE + 0x100);
    assert.equal(esr(m, SR.SPSR_EL3), 0x1003cd, "PSTATE.IL set, EL unchanged");
  }
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("eret"));
  enter(m, 3, SCR_NS | SCR_RW | SCR_HCE);
  m.cpu.srSet(SR.SPSR_EL3, 0x3c9, 0);
  m.cpu.srSet(SR.ELR_EL3, RAM_BASE + 0x100, 0);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 2);
  assert.equal(pc(m), RAM_BASE + 0x100);
});

test("CPTR_EL3.TFP traps FP at EL1 and EL3 to EL3; SCR_EL3.TWI traps WFI from EL1", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("fmov d0, xzr\nwfi"));
  m.cpu.srSet(SR.CPACR_EL1, 3 << 20, 0);
  m.cpu.srSet(SR.CPTR_EL3, 1 << 10, 0);
  enter(m, 1, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 3);
  assert.equal(pc(m), VBAR3 + LOW_SYNC);
  assert.equal(esr(m, SR.ESR_EL3), 0x1fe00000);
  enter(m, 3, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(pc(m), VBAR3 + CUR_SYNC);
  m.cpu.srSet(SR.CPTR_EL3, 0, 0);
  enter(m, 1, SCR_NS | SCR_RW | SCR_TWI);
  runAt(m, RAM_BASE + 4, 1);
  assert.equal(m.cpu.el, 3);
  assert.equal(esr(m, SR.ESR_EL3), 0x07e00000);
  assert.equal(esr(m, SR.ELR_EL3), RAM_BASE + 4);
});

test("CPTR_EL3.TCPAC traps CPACR_EL1 from EL1 and EL2 and CPTR_EL2 from EL2 to EL3; CPTR_EL2.TCPAC wins from EL1", { skip }, () => {
  const m = makeEl3Cpu();
  loadWords(m, RAM_BASE, assemble("mrs x0, cpacr_el1\nmsr cptr_el2, x0"));
  const TCPAC = 1 << 31;
  m.cpu.srSet(SR.CPTR_EL3, TCPAC, 0);
  for (const el of [1, 2]) {
    enter(m, el, SCR_NS | SCR_RW);
    runAt(m, RAM_BASE, 1);
    assert.equal(m.cpu.el, 3, `CPACR_EL1 from EL${el}`);
    assert.equal(esr(m, SR.ESR_EL3), 0x62340401, "EC 0x18, op0 3, op2 2, CRn 1, CRm 0, Rt 0, read");
  }
  enter(m, 2, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE + 4, 1);
  assert.equal(m.cpu.el, 3);
  assert.equal(esr(m, SR.ESR_EL3), 0x62350402, "MSR CPTR_EL2: op1 4, CRm 1, write");
  // From EL1, CPTR_EL2.TCPAC is checked first (QEMU's cpacr_access).
  m.cpu.srSet(SR.CPTR_EL2, TCPAC | 0x33ff, 0);
  enter(m, 1, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 2);
  assert.equal(esr(m, SR.ESR_EL2), 0x62340401);
  // Without TCPAC anywhere, EL2 reads CPACR_EL1 and writes CPTR_EL2.
  m.cpu.srSet(SR.CPTR_EL3, 0, 0);
  enter(m, 2, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 2);
  assert.equal(m.cpu.el, 2);
  assert.equal(pc(m), RAM_BASE + 8);
});

test("EL3 registers are UNDEFINED below EL3; EL2 registers read as zero at EL3 without EL2", { skip }, () => {
  const m = makeEl3Cpu(false);
  loadWords(m, RAM_BASE, assemble("mov x0, #5\nmsr hcr_el2, x0\nmrs x1, hcr_el2\nmrs x2, scr_el3"));
  enter(m, 3, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 3);
  assert.equal(m.cpu.x[2], 0);
  enter(m, 1, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE + 12, 1);
  assert.equal(m.cpu.el, 1);
  assert.equal(pc(m), VBAR1 + CUR_SYNC);
  assert.equal(esr(m, SR.ESR_EL1), 0x02000000);
});

test("Secure-only physical memory aborts Non-secure accesses and serves Secure ones", { skip }, () => {
  const secure = RAM_BASE + 0x800000;
  const m = makeEl3Cpu(true, new class extends StandalonePlatform {
    override isSecureOnly(pa: number): boolean { return pa >= secure && pa < secure + 0x1000; }
  }());
  loadWords(m, RAM_BASE, assemble("ldr w1, [x0]"));
  m.cpu.x[0] = secure;
  enter(m, 3, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(pc(m), RAM_BASE + 4, "EL3 is Secure");
  enter(m, 1, SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(pc(m), RAM_BASE + 4, "Secure EL1");
  enter(m, 1, SCR_NS | SCR_RW);
  runAt(m, RAM_BASE, 1);
  assert.equal(m.cpu.el, 1);
  assert.equal(pc(m), VBAR1 + CUR_SYNC);
  assert.equal(esr(m, SR.ESR_EL1), 0x96000010, "synchronous external abort");
  assert.equal(m.cpu.srGetLo(SR.FAR_EL1) >>> 0, secure);
});
