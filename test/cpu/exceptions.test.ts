/**
 * Exception routing and the CPU's platform seam:
 *  - routeException against the routing rules of the ARM ARM (D1.10.1 for synchronous
 *    exceptions, D1.13.2 table D1-15 for physical IRQ, FIQ and SError), case by case;
 *  - guest exits to EL2 as a custom CpuPlatform sees them (typed, decoded from the syndrome)
 *    and what its answers do: "resume" continues the guest with the platform's register writes
 *    and no exception entered, "reflect" is the architectural entry to EL2, identical to a CPU
 *    with no hypervisor;
 *  - the CpuObserver: exceptions reported after entry, instructions before they execute.
 * Instructions are hand-encoded, so no cross toolchain is needed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HCR_EL2, SCR_EL3 } from "../../src/cpu/arch-bits.js";
import { Cpu, EC, type CodeCache } from "../../src/cpu/cpu.js";
import { enterException, ExceptionKind, routeException } from "../../src/cpu/exceptions.js";
import { getDecoder } from "../../src/cpu/isa/index.js";
import { installSystemRegisters } from "../../src/cpu/isa/system.js";
import { translate } from "../../src/cpu/mmu.js";
import {
  RESUME, StandalonePlatform, VectorOffset, type CpuObserver, type CpuPlatform, type El2Exit, type El2ExitResult,
} from "../../src/cpu/platform.js";
import { createSysRegTable, SR } from "../../src/cpu/sysregs.js";
import { Bus } from "../../src/memory/bus.js";
import { loadWords, RAM_BASE } from "./make-cpu.js";

const VBAR1 = RAM_BASE + 0x10000, VBAR2 = RAM_BASE + 0x20000, VBAR3 = RAM_BASE + 0x30000;
const hvc = (imm: number) => (0xd4000002 | (imm << 5)) >>> 0;
const NOP = 0xd503201f, WFI = 0xd503207f;
/** MSR SCTLR_EL1, X1. */
const MSR_SCTLR_EL1_X1 = 0xd5181001;

interface MachineOptions { highestEl: 1 | 2 | 3; hasEl2?: boolean; platform?: CpuPlatform }

function machine(o: MachineOptions): { cpu: Cpu; bus: Bus } {
  const bus = new Bus();
  bus.addRam("ram", RAM_BASE, 16 * 1024 * 1024);
  const codeCache: CodeCache = new Map();
  bus.onCodeWrite((ri, page) => Cpu.invalidateCode(codeCache, bus.rams[ri].base + page * 4096));
  const sysregs = createSysRegTable();
  const hasEl2 = o.hasEl2 ?? o.highestEl >= 2;
  installSystemRegisters(sysregs, { highestEl: o.highestEl, el2: hasEl2, gicv3: false });
  const cpu = new Cpu({ index: 0, bus, decoder: getDecoder(), sysregs, translate, highestEl: o.highestEl, hasEl2,
    mpidr: 0x80000000, platform: o.platform }, codeCache);
  cpu.srSet(SR.VBAR_EL1, VBAR1, 0);
  cpu.srSet(SR.VBAR_EL2, VBAR2, 0);
  cpu.srSet(SR.VBAR_EL3, VBAR3, 0);
  return { cpu, bus };
}

// ---------------------------------------------------------------- routing

interface RoutingCase {
  what: string;
  highestEl: 1 | 2 | 3;
  hasEl2?: boolean;
  scr?: number;
  hcr?: number;
  el: number;
  kind: ExceptionKind;
  want: number;
}

const { Sync, Irq, Fiq, SError } = { Sync: ExceptionKind.Sync, Irq: ExceptionKind.Irq, Fiq: ExceptionKind.Fiq, SError: ExceptionKind.SError };
const NS = SCR_EL3.NS | SCR_EL3.RW;

/**
 * ARM ARM D1.10.1 (synchronous: EL0 to EL1, or EL2 with HCR_EL2.TGE; ELn to ELn) and table
 * D1-15 (physical interrupts: SCR_EL3.{IRQ,FIQ,EA} to EL3 first, then HCR_EL2.{IMO,FMO,AMO} or
 * TGE to EL2 when EL2 is enabled, else EL1). EL2 is enabled only when implemented and, with
 * EL3, in Non-secure state (no Secure EL2 before ARMv8.4); HCR_EL2 has no effect otherwise.
 */
const ROUTING: RoutingCase[] = [
  { what: "no EL2: EL0 synchronous to EL1", highestEl: 1, el: 0, kind: Sync, want: 1 },
  { what: "no EL2: EL1 synchronous stays at EL1", highestEl: 1, el: 1, kind: Sync, want: 1 },
  { what: "no EL2: IRQ to EL1", highestEl: 1, el: 0, kind: Irq, want: 1 },
  { what: "no EL2: FIQ to EL1", highestEl: 1, el: 1, kind: Fiq, want: 1 },
  { what: "no EL2: SError to EL1", highestEl: 1, el: 1, kind: SError, want: 1 },
  { what: "EL2, HCR 0: EL0 synchronous to EL1", highestEl: 2, el: 0, kind: Sync, want: 1 },
  { what: "EL2, HCR 0: EL2 synchronous stays at EL2", highestEl: 2, el: 2, kind: Sync, want: 2 },
  { what: "EL2, HCR 0: IRQ to EL1 (not taken at EL2)", highestEl: 2, el: 2, kind: Irq, want: 1 },
  { what: "TGE: EL0 synchronous to EL2", highestEl: 2, hcr: HCR_EL2.TGE, el: 0, kind: Sync, want: 2 },
  { what: "TGE: EL2 synchronous stays at EL2", highestEl: 2, hcr: HCR_EL2.TGE, el: 2, kind: Sync, want: 2 },
  { what: "TGE: IRQ to EL2", highestEl: 2, hcr: HCR_EL2.TGE, el: 0, kind: Irq, want: 2 },
  { what: "TGE: FIQ to EL2", highestEl: 2, hcr: HCR_EL2.TGE, el: 0, kind: Fiq, want: 2 },
  { what: "TGE: SError to EL2", highestEl: 2, hcr: HCR_EL2.TGE, el: 0, kind: SError, want: 2 },
  { what: "IMO: IRQ from EL1 to EL2", highestEl: 2, hcr: HCR_EL2.IMO, el: 1, kind: Irq, want: 2 },
  { what: "IMO: IRQ from EL0 to EL2", highestEl: 2, hcr: HCR_EL2.IMO, el: 0, kind: Irq, want: 2 },
  { what: "IMO: IRQ at EL2 to EL2", highestEl: 2, hcr: HCR_EL2.IMO, el: 2, kind: Irq, want: 2 },
  { what: "IMO: FIQ still to EL1", highestEl: 2, hcr: HCR_EL2.IMO, el: 1, kind: Fiq, want: 1 },
  { what: "IMO: EL1 synchronous stays at EL1", highestEl: 2, hcr: HCR_EL2.IMO, el: 1, kind: Sync, want: 1 },
  { what: "FMO: FIQ from EL1 to EL2", highestEl: 2, hcr: HCR_EL2.FMO, el: 1, kind: Fiq, want: 2 },
  { what: "FMO: IRQ still to EL1", highestEl: 2, hcr: HCR_EL2.FMO, el: 1, kind: Irq, want: 1 },
  { what: "AMO: SError from EL1 to EL2", highestEl: 2, hcr: HCR_EL2.AMO, el: 1, kind: SError, want: 2 },
  { what: "AMO: IRQ still to EL1", highestEl: 2, hcr: HCR_EL2.AMO, el: 1, kind: Irq, want: 1 },
  { what: "EL3, Non-secure, IMO: IRQ to EL2", highestEl: 3, scr: NS, hcr: HCR_EL2.IMO, el: 1, kind: Irq, want: 2 },
  { what: "EL3, Non-secure, TGE: EL0 synchronous to EL2", highestEl: 3, scr: NS, hcr: HCR_EL2.TGE, el: 0, kind: Sync, want: 2 },
  { what: "EL3, Secure: HCR_EL2.IMO has no effect", highestEl: 3, scr: SCR_EL3.RW, hcr: HCR_EL2.IMO, el: 1, kind: Irq, want: 1 },
  { what: "EL3, Secure: HCR_EL2.TGE has no effect", highestEl: 3, scr: SCR_EL3.RW, hcr: HCR_EL2.TGE, el: 0, kind: Sync, want: 1 },
  { what: "EL3 without EL2: HCR_EL2 has no effect", highestEl: 3, hasEl2: false, scr: NS, hcr: HCR_EL2.TGE | HCR_EL2.IMO, el: 0, kind: Irq, want: 1 },
  { what: "SCR_EL3.IRQ: IRQ from EL1 to EL3", highestEl: 3, scr: NS | SCR_EL3.IRQ, el: 1, kind: Irq, want: 3 },
  { what: "SCR_EL3.IRQ before HCR_EL2.IMO", highestEl: 3, scr: NS | SCR_EL3.IRQ, hcr: HCR_EL2.IMO, el: 1, kind: Irq, want: 3 },
  { what: "SCR_EL3.IRQ before HCR_EL2.TGE", highestEl: 3, scr: NS | SCR_EL3.IRQ, hcr: HCR_EL2.TGE, el: 0, kind: Irq, want: 3 },
  { what: "SCR_EL3.IRQ: IRQ at EL3 to EL3", highestEl: 3, scr: NS | SCR_EL3.IRQ, el: 3, kind: Irq, want: 3 },
  { what: "SCR_EL3.IRQ: FIQ still to EL1", highestEl: 3, scr: NS | SCR_EL3.IRQ, el: 1, kind: Fiq, want: 1 },
  { what: "SCR_EL3.FIQ: FIQ from EL2 to EL3", highestEl: 3, scr: NS | SCR_EL3.FIQ, el: 2, kind: Fiq, want: 3 },
  { what: "SCR_EL3.EA: SError to EL3", highestEl: 3, scr: NS | SCR_EL3.EA, hcr: HCR_EL2.AMO, el: 1, kind: SError, want: 3 },
  { what: "SCR_EL3 0: IRQ at EL3 routed to EL1 (not taken at EL3)", highestEl: 3, scr: NS, el: 3, kind: Irq, want: 1 },
  { what: "EL3 synchronous stays at EL3", highestEl: 3, scr: NS | SCR_EL3.IRQ, el: 3, kind: Sync, want: 3 },
];

const KIND_NAME = ["sync", "irq", "fiq", "serror"];

test("routeException follows ARM ARM D1.10.1 and table D1-15", () => {
  for (const c of ROUTING) {
    const { cpu } = machine({ highestEl: c.highestEl, hasEl2: c.hasEl2 });
    if (c.highestEl === 3) cpu.srSet(SR.SCR_EL3, (c.scr ?? 0) | SCR_EL3.RES1, 0);
    if (cpu.hasEl2) cpu.srSet(SR.HCR_EL2, (c.hcr ?? 0) | HCR_EL2.RW, 0);
    cpu.setElSp(c.el, 1);
    assert.equal(routeException(cpu, c.kind), c.want, `${c.what} (EL${c.el}, ${KIND_NAME[c.kind]})`);
  }
});

test("interrupts are taken as routed: masked only at the target EL, pending while routed below the current EL", () => {
  const { cpu, bus } = machine({ highestEl: 2 });
  const m = { cpu, bus };
  loadWords(m, RAM_BASE, [NOP, NOP, NOP, NOP]);
  loadWords(m, VBAR2 + 0x480, [NOP, NOP]);
  // EL1 with IMO: the IRQ goes to EL2 even with PSTATE.I set at EL1.
  cpu.srSet(SR.HCR_EL2, HCR_EL2.RW | HCR_EL2.IMO, 0);
  cpu.setElSp(1, 1);
  cpu.daif = 0x3c0;
  cpu.pcLo = RAM_BASE;
  cpu.setIrq(true);
  cpu.run(1);
  assert.equal(cpu.el, 2);
  assert.equal(cpu.pcLo >>> 0, VBAR2 + 0x400 + 0x80 + 4, "lower-EL IRQ vector, then one instruction");
  // At EL2 without IMO the IRQ is routed to EL1: it stays pending.
  cpu.srSet(SR.HCR_EL2, HCR_EL2.RW, 0);
  cpu.daif = 0;
  cpu.pcLo = RAM_BASE;
  cpu.interruptCheck = true;
  cpu.run(1);
  assert.equal(cpu.el, 2);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 4);
});

// ---------------------------------------------------------------- guest exits

/** A platform that records the exits it gets and answers each with `answer`. */
class RecordingPlatform extends StandalonePlatform {
  readonly exits: El2Exit[] = [];
  constructor(private readonly answer: (exit: El2Exit, cpu: Cpu) => El2ExitResult) { super(); }
  override el2Exit(cpu: Cpu, exit: El2Exit): El2ExitResult {
    this.exits.push(exit);
    return this.answer(exit, cpu);
  }
}

/** A CPU with EL2, the guest at EL1 (HCR_EL2.RW), `words` at RAM_BASE. */
function guestAtEl1(platform: CpuPlatform | undefined, words: number[], hcr = 0): { cpu: Cpu; bus: Bus } {
  const m = machine({ highestEl: 2, platform });
  loadWords(m, RAM_BASE, words);
  loadWords(m, VBAR2 + 0x400, [NOP, NOP]);
  m.cpu.srSet(SR.HCR_EL2, HCR_EL2.RW | hcr, 0);
  m.cpu.srSet(SR.ELR_EL2, 0x1111, 0);
  m.cpu.srSet(SR.ESR_EL2, 0x2222, 0);
  m.cpu.setElSp(1, 1);
  m.cpu.daif = 0x3c0;
  m.cpu.pcLo = RAM_BASE;
  m.cpu.pcHi = 0;
  return m;
}

test("HVC from EL1 is a typed exit; \"resume\" applies the register writes and continues after the HVC", () => {
  const platform = new RecordingPlatform(() => ({ action: "resume", registers: [[0, 0xfedcba9876543210n], [5, 7n]] }));
  const { cpu } = guestAtEl1(platform, [NOP, hvc(0x1234), NOP, NOP]);
  const spsr2 = cpu.srGetLo(SR.SPSR_EL2);
  const ran = cpu.run(3);
  assert.equal(ran, 3);
  assert.equal(platform.exits.length, 1);
  const exit = platform.exits[0]!;
  assert.equal(exit.kind, "hvc");
  assert.ok(exit.kind === "hvc");
  assert.equal(exit.imm, 0x1234);
  assert.equal(exit.ec, EC.HVC64);
  assert.equal(exit.iss, 0x1234);
  assert.equal(exit.returnPc, BigInt(RAM_BASE + 8), "the preferred return address of HVC is the next instruction");
  assert.equal(exit.fromEl, 1);
  assert.equal(cpu.el, 1, "no exception was entered");
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 12, "continued after the HVC (one more instruction ran)");
  assert.equal(cpu.x[0] >>> 0, 0x76543210);
  assert.equal(cpu.x[1] >>> 0, 0xfedcba98);
  assert.equal(cpu.x[10], 7);
  assert.equal(cpu.x[11], 0);
  assert.equal(cpu.srGetLo(SR.ELR_EL2), 0x1111, "ELR_EL2 untouched");
  assert.equal(cpu.srGetLo(SR.ESR_EL2), 0x2222, "ESR_EL2 untouched");
  assert.equal(cpu.srGetLo(SR.SPSR_EL2), spsr2, "SPSR_EL2 untouched");
  assert.equal(cpu.exceptionsSinceEret, 0, "the resumed exit counts as an exception return");
});

test("\"resume\" with a new PC continues there", () => {
  const platform = new RecordingPlatform((exit) => ({ action: "resume", pc: exit.returnPc + 8n }));
  const { cpu } = guestAtEl1(platform, [hvc(1), NOP, NOP, NOP, NOP]);
  cpu.run(1);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 12);
  assert.equal(cpu.el, 1);
});

test("\"reflect\" enters EL2 architecturally, exactly as a CPU with no hypervisor does", () => {
  const platform = new RecordingPlatform(() => ({ action: "reflect" }));
  const reflected = guestAtEl1(platform, [NOP, hvc(0x42), NOP]);
  const plain = guestAtEl1(undefined, [NOP, hvc(0x42), NOP]);
  for (const { cpu } of [reflected, plain]) {
    cpu.run(2);
    assert.equal(cpu.el, 2);
    assert.equal(cpu.spSel, 1);
    assert.equal(cpu.pcLo >>> 0, VBAR2 + 0x400, "lower-EL AArch64 synchronous vector");
    assert.equal(cpu.srGetLo(SR.ELR_EL2) >>> 0, RAM_BASE + 8);
    assert.equal(cpu.srGetLo(SR.ESR_EL2) >>> 0, 0x5a000042, "EC 0x16, IL, imm16");
    assert.equal(cpu.srGetLo(SR.SPSR_EL2) >>> 0, 0x3c5, "EL1h with DAIF masked");
    assert.equal(cpu.daif, 0x3c0);
  }
  assert.equal(platform.exits.length, 1);
  const a = reflected.cpu, b = plain.cpu;
  assert.deepEqual([...a.sr], [...b.sr], "the same system register state");
  assert.deepEqual([...a.x], [...b.x], "the same general-purpose registers");
  assert.equal(a.exceptionsSinceEret, 1);
  assert.equal(b.exceptionsSinceEret, 1);
});

test("an MSR trapped by HCR_EL2.TVM is a decoded sysreg exit at the MSR", () => {
  const platform = new RecordingPlatform((exit, cpu) => {
    // Emulate: write the guest's value where a hypervisor would keep it, skip the MSR.
    cpu.srSet(SR.SCTLR_EL1, cpu.x[2], 0);
    return { action: "resume", pc: exit.returnPc + 4n };
  });
  const { cpu } = guestAtEl1(platform, [NOP, MSR_SCTLR_EL1_X1, NOP], HCR_EL2.TVM);
  cpu.x[2] = 0x30d00800;
  cpu.run(2);
  const exit = platform.exits[0]!;
  assert.ok(exit.kind === "sysreg", exit.kind);
  assert.deepEqual([exit.op0, exit.op1, exit.crn, exit.crm, exit.op2, exit.rt, exit.isRead, exit.name],
    [3, 0, 1, 0, 0, 1, false, "SCTLR_EL1"]);
  assert.equal(exit.ec, EC.SYSREG);
  assert.equal(exit.returnPc, BigInt(RAM_BASE + 4), "the trapped instruction itself");
  assert.equal(cpu.srGetLo(SR.SCTLR_EL1), 0x30d00800);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 8);
  assert.equal(cpu.el, 1);
});

test("WFI trapped by HCR_EL2.TWI is a wfx exit", () => {
  const platform = new RecordingPlatform((exit) => ({ action: "resume", pc: exit.returnPc + 4n }));
  const { cpu } = guestAtEl1(platform, [WFI, NOP], HCR_EL2.TWI);
  cpu.run(1);
  const exit = platform.exits[0]!;
  assert.ok(exit.kind === "wfx");
  assert.equal(exit.wfe, false);
  assert.equal(cpu.halted, false, "the trap replaces the wait");
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 4);
});

test("a stage-2 data abort exit carries FAR, the IPA from HPFAR_EL2 and the decoded access", () => {
  const platform = new RecordingPlatform(() => RESUME);
  const { cpu } = guestAtEl1(platform, [NOP]);
  // HPFAR_EL2.FIPA = IPA[51:12] in bits [39:4]: IPA 0x9_0000_5000 (above 4 GiB).
  const ipaPage = 0x900005;
  cpu.srSet(SR.HPFAR_EL2, (ipaPage << 4) | 0, ipaPage >>> 28);
  // ISV, SAS = 2 (word), SSE 0, SRT = 3, SF 0, AR 0, WnR, DFSC = translation fault level 3.
  const iss = (1 << 24) | (2 << 22) | (3 << 16) | (1 << 6) | 0x07;
  cpu.pcLo = RAM_BASE + 0x40;
  enterException(cpu, 2, VectorOffset.Sync, RAM_BASE + 0x40, 0, EC.DABT_LOWER, iss, 0x12345abc, 0xffff0000);
  const exit = platform.exits[0]!;
  assert.ok(exit.kind === "dabt", exit.kind);
  assert.equal(exit.far, 0xffff000012345abcn);
  assert.equal(exit.ipa, 0x900005abc);
  assert.equal(exit.write, true);
  assert.equal(exit.fsc, 0x07);
  assert.equal(exit.onTableWalk, false);
  assert.deepEqual(exit.access, { size: 4, signExtend: false, register: 3, sixtyFourBit: false, acquireRelease: false });
  assert.equal(exit.returnPc, BigInt(RAM_BASE + 0x40));
  assert.equal(cpu.el, 1);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 0x40, "resumed at the faulting instruction");
});

test("exceptions from EL2 itself are not guest exits", () => {
  const platform = new RecordingPlatform(() => RESUME);
  const m = machine({ highestEl: 2, platform });
  loadWords(m, RAM_BASE, [hvc(3), NOP]);
  m.cpu.setElSp(2, 1);
  m.cpu.pcLo = RAM_BASE;
  m.cpu.run(1);
  assert.equal(platform.exits.length, 0);
  assert.equal(m.cpu.pcLo >>> 0, VBAR2 + 0x200, "current-EL SPx synchronous vector");
});

// ---------------------------------------------------------------- observer

test("the observer sees exceptions after entry and instructions before they execute", () => {
  const { cpu, bus } = guestAtEl1(undefined, [NOP, hvc(9), NOP]);
  void bus;
  const seen: string[] = [];
  const observer: CpuObserver = {
    onInstruction: (c) => seen.push(`insn EL${c.el} ${(c.pcLo >>> 0).toString(16)}`),
    onException: (c, target, vector, esr, elr, far) =>
      seen.push(`exc EL${target} v${vector} esr=${esr?.toString(16)} elr=${elr.toString(16)} far=${far.toString(16)} pc=${(c.pcLo >>> 0).toString(16)}`),
  };
  cpu.srSet(SR.FAR_EL2, 0xabc, 0);
  cpu.observe(observer);
  assert.equal(cpu.run(100), 1, "one instruction per run call while instructions are observed");
  cpu.run(100);
  cpu.run(100);
  assert.deepEqual(seen, [
    "insn EL1 40000000",
    "insn EL1 40000004",
    `exc EL2 v0 esr=5a000009 elr=40000008 far=abc pc=${(VBAR2 + 0x400).toString(16)}`,
    `insn EL2 ${(VBAR2 + 0x400).toString(16)}`,
  ]);
  // Exceptions only: the budget is the caller's again. HVC at EL2 goes to EL2 (current EL, SPx).
  cpu.observe({ onException: observer.onException });
  seen.length = 0;
  cpu.pcLo = RAM_BASE;
  assert.equal(cpu.run(2), 2);
  assert.deepEqual(seen, [`exc EL2 v0 esr=5a000009 elr=40000008 far=abc pc=${(VBAR2 + 0x200).toString(16)}`]);
  cpu.observe(undefined);
  seen.length = 0;
  cpu.pcLo = RAM_BASE;
  cpu.run(2);
  assert.deepEqual(seen, [], "detached");
});

test("HCR_EL2.FB makes EL1's TLBI VMALLE1 Inner Shareable (broadcast to every CPU)", () => {
  const TLBI_VMALLE1 = 0xd508871f;
  class CountingPlatform extends RecordingPlatform {
    broadcasts = 0;
    override broadcastTlbInvalidate(cpu: Cpu, op: Parameters<StandalonePlatform["broadcastTlbInvalidate"]>[1]): void {
      this.broadcasts++;
      super.broadcastTlbInvalidate(cpu, op);
    }
  }
  for (const [hcr, broadcasts] of [[0, 0], [1 << 9, 1]] as const) {
    const platform = new CountingPlatform(() => RESUME);
    const { cpu } = guestAtEl1(platform, [TLBI_VMALLE1, NOP], hcr);
    cpu.run(1);
    assert.equal(platform.broadcasts, broadcasts, `HCR_EL2 = RW | ${hcr}`);
    assert.equal(cpu.pcLo >>> 0, RAM_BASE + 4);
  }
});

test("WFI traps with HCR_EL2.TWI only when it would wait; WFE never traps (it never waits)", () => {
  const WFE = 0xd503205f;
  // A virtual IRQ pending (VI with IMO) and masked: WFI completes at once, no exit.
  const platform = new RecordingPlatform(() => RESUME);
  const { cpu } = guestAtEl1(platform, [WFI, WFE, NOP], HCR_EL2.TWI | HCR_EL2.TWE | HCR_EL2.IMO | HCR_EL2.VI);
  cpu.run(2);
  assert.deepEqual(platform.exits, []);
  assert.equal(cpu.halted, false);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 8);
});

test("ISR_EL1 shows the virtual interrupts at EL1 under HCR_EL2.IMO/FMO/AMO, the physical ones at EL2", () => {
  const MRS_X0_ISR = 0xd538c100;
  const isr = (el: 1 | 2, hcr: number, lines: { irq?: boolean; virq?: boolean; vfiq?: boolean }): number => {
    const { cpu } = guestAtEl1(undefined, [MRS_X0_ISR, NOP], hcr);
    if (el === 2) cpu.setElSp(2, 1);
    cpu.setIrq(lines.irq ?? false);
    cpu.setVirq(lines.virq ?? false);
    cpu.setVfiq(lines.vfiq ?? false);
    cpu.run(1);
    return cpu.x[0] >>> 0;
  };
  // KVM's guest entry reads it at EL2 with the guest's HCR_EL2 and a pending virtual IRQ: 0, so it enters.
  assert.equal(isr(2, HCR_EL2.IMO | HCR_EL2.FMO | HCR_EL2.VI, { virq: true, vfiq: true }), 0);
  assert.equal(isr(2, HCR_EL2.IMO, { irq: true }), 0x80);
  // (At EL1 under IMO a physical IRQ is taken to EL2 at once, whatever PSTATE.I says.)
  assert.equal(isr(1, HCR_EL2.IMO, { virq: true }), 0x80);
  assert.equal(isr(1, HCR_EL2.IMO | HCR_EL2.VI, {}), 0x80);
  assert.equal(isr(1, HCR_EL2.IMO | HCR_EL2.FMO | HCR_EL2.VF, {}), 0x40);
  assert.equal(isr(1, HCR_EL2.AMO | HCR_EL2.VSE, {}), 0x100);
  assert.equal(isr(1, 0, { irq: true, virq: true }), 0x80, "without IMO the physical line");
  assert.equal(isr(1, 0, { virq: true }), 0);
});

test("MSR HCR_EL2 keeps bits 33:0 (no VHE, RAS, LOR, PAuth), HCD only without EL3", () => {
  const MSR_HCR_X0 = 0xd51c1100, MRS_X1_HCR = 0xd53c1101;
  for (const [highestEl, lo] of [[2, 0xffffffff], [3, 0xdfffffff]] as const) {
    const m = machine({ highestEl });
    loadWords(m, RAM_BASE, [MSR_HCR_X0, MRS_X1_HCR, NOP]);
    m.cpu.x.fill(-1, 0, 2);
    if (highestEl === 3) m.cpu.srSet(SR.SCR_EL3, 0x431, 0); // Non-secure below EL3, so EL2 is enabled
    m.cpu.setElSp(2, 1);
    m.cpu.pcLo = RAM_BASE;
    m.cpu.run(2);
    assert.deepEqual([m.cpu.x[2] >>> 0, m.cpu.x[3] >>> 0], [lo, 3], `with highest EL ${highestEl}`);
  }
});

test("HCR_EL2.TID2 traps CTR_EL0 from EL0 too, once SCTLR_EL1.UCT allows EL0 to read it", () => {
  const MRS_X0_CTR = 0xd53b0020;
  for (const [uct, kind] of [[0, undefined], [1 << 15, "sysreg"]] as const) {
    const platform = new RecordingPlatform(() => RESUME);
    const { cpu } = guestAtEl1(platform, [MRS_X0_CTR, NOP], HCR_EL2.TID2);
    cpu.srSet(SR.SCTLR_EL1, 0x30d00800 | uct, 0);
    cpu.setElSp(0, 0);
    cpu.srSet(SR.VBAR_EL1, VBAR2 + 0x800, 0);
    cpu.run(1);
    assert.equal(platform.exits[0]?.kind, kind, uct ? "to EL2" : "to EL1 (UCT = 0), no exit");
    if (!uct) assert.equal(cpu.el, 1);
  }
});
