/**
 * The GICv3 virtual CPU interface (IHI 0069 chapter 6) on a virt board with EL2: ICH_*_EL2 as
 * EL2 programs them, ICC_* at EL1 acting as ICV_* under HCR_EL2.IMO/FMO, the virtual IRQ/FIQ
 * lines and the maintenance PPI. Values follow QEMU's hw/intc/arm_gicv3_cpuif.c for a
 * Cortex-A53 (4 LRs, 5 priority and preemption bits).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { GicV3 } from "../../src/devices/gicv3.js";
import { SR } from "../../src/cpu/sysregs.js";
import { PSCI } from "../../src/firmware/psci.js";
import type { Cpu } from "../../src/cpu/cpu.js";

const IMO = 1 << 4, FMO = 1 << 3;
const PENDING = 1 << 30, ACTIVE = 1 << 31, GROUP1 = 1 << 28, HW = 1 << 29, EOI = 1 << 9;
const MAINTENANCE = 25;

function board(virtualization = true, gicCpuInterface?: (cpu: Cpu) => { gic: GicV3; index: number } | undefined) {
  const b = new VirtBoard({ ramSize: 16 << 20, cpus: 1, gicVersion: 3, virtualization, uartTx: () => {}, gicCpuInterface });
  const cpu = b.cpus[0];
  const reg = (name: string) => cpu.sysregs.get(name);
  const read = (name: string): number => { reg(name).read!(cpu); return cpu.srLo >>> 0; };
  const readHi = (name: string): number => { reg(name).read!(cpu); return cpu.srHi >>> 0; };
  const write = (name: string, lo: number, hi = 0) => reg(name).write!(cpu, lo | 0, hi | 0);
  /** Run as EL2 software, or as the guest at EL1 with HCR_EL2 = `hcr`. */
  const at = (el: number, hcr = IMO | FMO) => { cpu.el = el; cpu.sr[SR.HCR_EL2 * 2] = hcr; };
  /** A list register's high word: state, group 1, priority. */
  const lr = (state: number, prio: number, extra = 0) => (state | GROUP1 | (prio << 16) | extra) >>> 0;
  const gic = b.gic as GicV3;
  const maintenanceLine = () => gic.core.line[gic.core.slot(0, MAINTENANCE)] === 1;
  return { b, cpu, gic, read, readHi, write, at, lr, maintenanceLine, reg };
}

/** VENG1 | VPMR = 0xf8, the binary points at their minimum. */
const VMCR_GRP1_OPEN = (0xf8 << 24) | 2;

test("ICH_VTR_EL2 as QEMU's cortex-a53: 4 LRs, 5 priority and preemption bits; only the registers that exist", () => {
  const { read, reg, cpu } = board();
  assert.equal(read("ICH_VTR_EL2"), 0x90b80003);
  assert.equal(reg("ICH_VTR_EL2").readOnly, true);
  // ICH_VMCR_EL2 out of reset: VFIQEn, VBPR1 = 3, VBPR0 = 2 (their minimum).
  assert.equal(read("ICH_VMCR_EL2"), (1 << 3) | (3 << 18) | (2 << 21));
  for (const missing of ["ICH_LR4_EL2", "ICH_AP0R1_EL2", "ICH_AP1R3_EL2"]) assert.throws(() => reg(missing));
  assert.equal(cpu.sysregs.lookup((3 << 14) | (4 << 11) | (12 << 7) | (12 << 3) | 4), undefined, "ICH_LR4_EL2 is UNDEFINED");
  const plain = board(false);
  assert.throws(() => plain.reg("ICH_HCR_EL2"), "no ICH_* without EL2");
});

test("ICV_IAR1/EOIR1 with EOImode 0: LR pending -> active -> invalid, vIRQ, running priority, ELRSR", () => {
  const { cpu, read, readHi, write, at, lr } = board();
  at(2);
  write("ICH_VMCR_EL2", VMCR_GRP1_OPEN);
  write("ICH_LR0_EL2", 40, lr(PENDING, 0xa0));
  write("ICH_LR1_EL2", 41, lr(PENDING, 0x80));
  assert.equal(read("ICH_ELRSR_EL2"), 0b1100);
  assert.equal(cpu.virqLine, false, "ICH_HCR_EL2.En = 0: nothing is signalled");
  write("ICH_HCR_EL2", 1);
  assert.equal(cpu.virqLine, true);
  assert.equal(cpu.vfiqLine, false, "group 1 is vIRQ");

  at(1);
  assert.equal(read("ICC_HPPIR1_EL1"), 41);
  assert.equal(read("ICC_HPPIR0_EL1"), 1023, "the HPPI is group 1");
  assert.equal(read("ICC_IAR0_EL1"), 1023);
  assert.equal(read("ICC_IAR1_EL1"), 41, "the higher priority (lower value) first");
  assert.equal(read("ICC_RPR_EL1"), 0x80);
  assert.equal(read("ICC_AP1R0_EL1"), 1 << (0x80 >> 3));
  assert.equal(cpu.virqLine, false, "0xa0 cannot preempt 0x80");
  assert.equal(read("ICC_IAR1_EL1"), 1023);
  at(2);
  assert.equal(readHi("ICH_LR1_EL2"), lr(ACTIVE, 0x80));
  at(1);
  write("ICC_EOIR1_EL1", 41);
  assert.equal(cpu.virqLine, true, "priority dropped: LR0 is signalled");
  at(2);
  assert.equal(readHi("ICH_LR1_EL2"), lr(0, 0x80), "EOImode 0 deactivates");
  assert.equal(read("ICH_ELRSR_EL2"), 0b1110);
  assert.equal(read("ICH_AP1R0_EL2"), 0);
  at(1);
  assert.equal(read("ICC_IAR1_EL1"), 40);
  write("ICC_EOIR1_EL1", 40);
  assert.equal(cpu.virqLine, false);
  at(2);
  assert.equal(read("ICH_ELRSR_EL2"), 0b1111);
  assert.equal(read("ICH_HCR_EL2") >>> 27, 0, "EOIs that found their LR do not count");
});

test("EOImode 1: EOIR drops priority only, DIR deactivates, unknown INTIDs count in EOIcount, LRENP maintenance", () => {
  const { cpu, read, readHi, write, at, lr, maintenanceLine } = board();
  at(2);
  write("ICH_VMCR_EL2", VMCR_GRP1_OPEN | (1 << 9)); // VEOIM
  write("ICH_LR2_EL2", 50, lr(PENDING, 0x40));
  write("ICH_HCR_EL2", 1 | (1 << 2)); // En, LRENPIE
  at(1);
  assert.equal(read("ICC_CTLR_EL1"), (1 << 15) | (1 << 11) | (4 << 8) | 2, "ICV_CTLR_EL1: A3V, IDbits 1, PRIbits 4, EOImode");
  assert.equal(read("ICC_IAR1_EL1"), 50);
  write("ICC_EOIR1_EL1", 50);
  assert.equal(read("ICC_RPR_EL1"), 0xff);
  at(2);
  assert.equal(readHi("ICH_LR2_EL2"), lr(ACTIVE, 0x40), "still active until DIR");
  at(1);
  write("ICC_DIR_EL1", 50);
  at(2);
  assert.equal(readHi("ICH_LR2_EL2"), lr(0, 0x40));
  assert.equal(maintenanceLine(), false);
  at(1);
  write("ICC_DIR_EL1", 77); // in no LR
  at(2);
  assert.equal(read("ICH_HCR_EL2") >>> 27, 1);
  assert.equal(read("ICH_MISR_EL2"), 1 << 2, "LRENP: EOIcount != 0");
  assert.equal(maintenanceLine(), true, "maintenance PPI 25 asserted");
  write("ICH_HCR_EL2", 1 | (1 << 2)); // EOIcount back to 0
  assert.equal(maintenanceLine(), false);
  // With EOImode 0 DIR does nothing.
  write("ICH_VMCR_EL2", VMCR_GRP1_OPEN);
  at(1);
  write("ICC_DIR_EL1", 77);
  at(2);
  assert.equal(read("ICH_HCR_EL2") >>> 27, 0);
  assert.equal(cpu.virqLine, false);
});

test("EOI maintenance (EISR, MISR.EOI), underflow and no-pending maintenance, level follows the state", () => {
  const { read, write, at, lr, maintenanceLine } = board();
  at(2);
  write("ICH_VMCR_EL2", VMCR_GRP1_OPEN);
  write("ICH_LR0_EL2", 60, lr(PENDING, 0x20, EOI));
  write("ICH_LR1_EL2", 61, lr(PENDING, 0x30));
  write("ICH_HCR_EL2", 1);
  assert.equal(read("ICH_EISR_EL2"), 0);
  assert.equal(read("ICH_MISR_EL2"), 0);
  at(1);
  assert.equal(read("ICC_IAR1_EL1"), 60);
  write("ICC_EOIR1_EL1", 60);
  at(2);
  assert.equal(read("ICH_EISR_EL2"), 1, "invalid, HW = 0, EOI = 1");
  assert.equal(read("ICH_ELRSR_EL2") & 1, 0, "not empty until EL2 sees the EOI");
  assert.equal(read("ICH_MISR_EL2"), 1);
  assert.equal(maintenanceLine(), true);
  write("ICH_LR0_EL2", 0, 0);
  assert.equal(maintenanceLine(), false);
  write("ICH_HCR_EL2", 1 | (1 << 1) | (1 << 3)); // UIE, NPIE
  assert.equal(read("ICH_MISR_EL2"), 1 << 1, "one valid LR: underflow; LR1 still pending");
  at(1);
  assert.equal(read("ICC_IAR1_EL1"), 61);
  at(2);
  assert.equal(read("ICH_MISR_EL2"), (1 << 1) | (1 << 3), "no pending LR");
  write("ICH_HCR_EL2", 1 << 1); // En = 0: the maintenance interrupt is not asserted
  assert.equal(maintenanceLine(), false);
  assert.equal(read("ICH_MISR_EL2"), 1 << 1, "MISR itself does not depend on En");
});

test("priority mask and preemption: VPMR, group priority under VBPR1, group 0 as vFIQ", () => {
  const { cpu, read, write, at, lr } = board();
  at(2);
  write("ICH_HCR_EL2", 1);
  write("ICH_VMCR_EL2", (0x40 << 24) | 3); // VPMR 0x40, both groups
  write("ICH_LR0_EL2", 70, lr(PENDING, 0x40));
  assert.equal(cpu.virqLine, false, "priority 0x40 is not above VPMR 0x40");
  at(1);
  write("ICC_PMR_EL1", 0x48);
  assert.equal(read("ICC_PMR_EL1"), 0x48);
  assert.equal(cpu.virqLine, true);
  write("ICC_PMR_EL1", 0xff);
  assert.equal(read("ICC_PMR_EL1"), 0xf8, "5 priority bits");
  assert.equal(read("ICC_IAR1_EL1"), 70);
  at(2);
  write("ICH_LR1_EL2", 71, lr(PENDING, 0x38));
  assert.equal(cpu.virqLine, true, "0x38 preempts 0x40 with VBPR1 at its minimum");
  at(1);
  write("ICC_BPR1_EL1", 0); // raised to the minimum, 3
  assert.equal(read("ICC_BPR1_EL1"), 3);
  write("ICC_BPR1_EL1", 4); // group priority [7:4]: 0x30 < 0x40, preempts
  assert.equal(cpu.virqLine, true);
  write("ICC_BPR1_EL1", 6); // group priority [7:6]: 0x38 & 0xc0 = 0 < 0x40: preempts
  assert.equal(cpu.virqLine, true);
  write("ICC_BPR1_EL1", 7); // group priority [7]: both 0: no preemption
  assert.equal(cpu.virqLine, false);
  write("ICC_CTLR_EL1", 1); // CBPR: BPR1 reads BPR0 + 1, writes ignored
  assert.equal(read("ICC_BPR1_EL1"), 3);
  assert.equal(cpu.virqLine, true, "group 1 now uses VBPR0 = 2");
  write("ICC_CTLR_EL1", 0);
  write("ICC_EOIR1_EL1", 70);
  at(2);
  // Group 0 goes to vFIQ; its ICC_*0 registers are the virtual ones with FMO.
  write("ICH_LR1_EL2", 0, 0);
  write("ICH_LR2_EL2", 72, ((PENDING | (0x10 << 16)) >>> 0));
  assert.equal(cpu.vfiqLine, true);
  assert.equal(cpu.virqLine, false);
  at(1, IMO);
  assert.equal(read("ICC_IAR0_EL1"), 1023, "FMO = 0: the physical interface answers");
  at(1, FMO);
  assert.equal(read("ICC_IAR0_EL1"), 72);
  assert.equal(read("ICC_AP0R0_EL1"), 1 << 2);
  assert.equal(cpu.vfiqLine, false);
  write("ICC_EOIR0_EL1", 72);
  assert.equal(read("ICC_AP0R0_EL1"), 0);
  assert.equal(read("ICC_IGRPEN0_EL1"), 1);
  write("ICC_IGRPEN0_EL1", 0);
  at(2);
  assert.equal(read("ICH_VMCR_EL2") & 3, 2, "IGRPEN0 is VENG0");
});

test("HW = 1: virtual deactivation deactivates the physical INTID", () => {
  const { b, gic, read, write, at, lr } = board();
  const cpu = b.cpus[0];
  // A physical PPI (27, the virtual timer) taken and acknowledged at EL2.
  const rd0 = 0x080a0000;
  b.bus.write(0x08000000, 4, 0x12, 0);
  b.bus.write(rd0 + 0x10080, 4, 0xffffffff, 0);
  b.bus.write(rd0 + 0x10100, 4, 1 << 27, 0);
  at(2);
  write("ICC_PMR_EL1", 0xff);
  write("ICC_IGRPEN1_EL1", 1);
  gic.setInput(0, 27, true);
  assert.equal(cpu.irqLine, true);
  assert.equal(read("ICC_IAR1_EL1"), 27);
  write("ICC_CTLR_EL1", 2); // EOImode 1 at EL2: drop priority, leave it active for the guest
  write("ICC_EOIR1_EL1", 27);
  assert.equal(gic.core.active[gic.core.slot(0, 27)], 1);
  write("ICH_VMCR_EL2", VMCR_GRP1_OPEN);
  write("ICH_HCR_EL2", 1);
  write("ICH_LR3_EL2", 27, lr(PENDING, 0x80, HW | 27));
  at(1);
  assert.equal(read("ICC_IAR1_EL1"), 27);
  write("ICC_EOIR1_EL1", 27);
  assert.equal(gic.core.active[gic.core.slot(0, 27)], 0, "pINTID 27 deactivated");
  at(2);
  assert.equal(read("ICH_ELRSR_EL2"), 0b1111);
  assert.equal(read("ICH_EISR_EL2"), 0, "HW = 1 never asks for an EOI maintenance interrupt");
});

test("traps: ICH_HCR_EL2.TALL0/TALL1/TC/TDIR, SGI generation under IMO/FMO, none at EL2", () => {
  const b = board();
  const trap = (name: string) => b.reg(name).accessTrap!(b.cpu, true);
  b.at(2);
  b.write("ICH_HCR_EL2", 1 << 12); // TALL1
  b.at(1, 0);
  assert.equal(trap("ICC_IAR1_EL1"), 2, "TALL1 traps whatever IMO says");
  assert.equal(trap("ICC_IAR0_EL1"), 0);
  assert.equal(trap("ICC_PMR_EL1"), 0);
  b.at(2);
  b.write("ICH_HCR_EL2", (1 << 11) | (1 << 10)); // TALL0, TC
  b.at(1, 0);
  assert.equal(trap("ICC_IGRPEN0_EL1"), 2);
  assert.equal(trap("ICC_CTLR_EL1"), 2);
  assert.equal(trap("ICC_DIR_EL1"), 2, "TC covers DIR");
  assert.equal(trap("ICC_IGRPEN1_EL1"), 0);
  b.at(2);
  b.write("ICH_HCR_EL2", 1 << 14); // TDIR
  b.at(1, 0);
  assert.equal(trap("ICC_DIR_EL1"), 2);
  assert.equal(trap("ICC_RPR_EL1"), 0);
  assert.equal(trap("ICC_SGI1R_EL1"), 0, "IMO = FMO = 0");
  b.at(1, FMO);
  assert.equal(trap("ICC_SGI1R_EL1"), 2);
  assert.equal(trap("ICC_SGI0R_EL1"), 2);
  assert.equal(trap("ICC_ASGI1R_EL1"), 2);
  b.at(2);
  assert.equal(trap("ICC_SGI1R_EL1"), 0);
  assert.equal(trap("ICC_DIR_EL1"), 0);
});

test("a CPU bound to a hypervisor's GIC model keeps the physical ICC_* view under IMO/FMO", () => {
  const partitionGic = new GicV3(1, 64, [0]);
  const { cpu, read, write, at, lr, reg } = board(true, () => ({ gic: partitionGic, index: 0 }));
  at(2);
  write("ICH_VMCR_EL2", VMCR_GRP1_OPEN);
  write("ICH_HCR_EL2", 1 | (1 << 12));
  write("ICH_LR0_EL2", 40, lr(PENDING, 0x80));
  assert.equal(cpu.virqLine, false, "the hypervisor drives the virtual lines of its vCPUs");
  at(1);
  write("ICC_PMR_EL1", 0xf0);
  assert.equal(partitionGic.core.pmr[0], 0xf0);
  assert.equal(read("ICC_IAR1_EL1"), 1023, "the partition's GIC answers, not the list registers");
  assert.equal(reg("ICC_IAR1_EL1").accessTrap!(cpu, true), 0, "no TALL1 trap");
  assert.equal(reg("ICC_SGI1R_EL1").accessTrap!(cpu, false), 0, "no SGI trap");
});

test("PSCI CPU_ON resets the virtual CPU interface of the CPU it starts", () => {
  const b = new VirtBoard({ ramSize: 16 << 20, cpus: 2, gicVersion: 3, virtualization: true, uartTx: () => {} });
  const c1 = b.cpus[1];
  const vif = (b.gic as GicV3).virtualInterface!;
  c1.el = 2;
  c1.sysregs.get("ICH_VMCR_EL2").write!(c1, 2 | (0xf8 << 24), 0);
  c1.sysregs.get("ICH_LR0_EL2").write!(c1, 40, (PENDING | GROUP1 | (0x80 << 16)) | 0);
  c1.sysregs.get("ICH_HCR_EL2").write!(c1, 1, 0);
  assert.equal(c1.virqLine, true);
  const c0 = b.cpus[0];
  c0.x.fill(0);
  c0.x[0] = PSCI.CPU_ON_64 | 0; c0.x[2] = 1; c0.x[4] = 0x40080000;
  assert.notEqual(b.psciConduit, "none");
  assert.equal(b.psci.handle(c0, b.psciConduit as "hvc" | "smc", 0), true);
  assert.equal(c0.x[0], 0, "CPU_ON succeeded");
  assert.equal(vif.hcr[1], 0);
  assert.equal(vif.lrHi[4], 0);
  assert.equal(vif.vmcr[1], (1 << 3) | (3 << 18) | (2 << 21));
  assert.equal(c1.virqLine, false);
});
