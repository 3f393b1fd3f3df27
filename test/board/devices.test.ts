/** Device models driven through the bus and the CPU's system registers on a virt board. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { PSCI } from "../../src/firmware/psci.js";

function board(gicVersion: 2 | 3, cpus = 2) {
  const tx: number[] = [];
  // The counter counts instructions (-icount shift=4, a tick each), so advanceIdle sets it exactly.
  const b = new VirtBoard({ ramSize: 16 << 20, cpus, gicVersion, virtualization: false, uartTx: (c) => tx.push(c),
    clock: { mode: "icount", shift: 4, sleep: true } });
  return { b, tx };
}

function rd(b: VirtBoard, addr: number, cpu = 0): number {
  return Number(b.bus.read(addr, 4, cpu));
}

function sysreg(b: VirtBoard, name: string) {
  return b.cpus[0].sysregs.get(name);
}

test("PL011: TX to the sink, RX FIFO, interrupt SPI 1 through GICv3 to IRQ", () => {
  const { b, tx } = board(3);
  const cpu = b.cpus[0];
  b.bus.write(VIRT.UART, 4, 0x41, 0);
  assert.deepEqual(tx, [0x41]);
  assert.equal(b.bus.read(VIRT.UART + 0xfe0, 4, 0), 0x11);
  // Enable group 1 in the distributor and CPU interface, route SPI 1 to CPU 0, unmask in the UART.
  b.bus.write(VIRT.GIC_DIST, 4, 0x12, 0);
  b.bus.write(VIRT.GIC_DIST + 0x80 + 4, 4, 0xffffffff, 0); // IGROUPR1: group 1
  b.bus.write(VIRT.GIC_DIST + 0x100 + 4, 4, 1 << 1, 0); // ISENABLER1: INTID 33
  b.bus.write(VIRT.GIC_DIST + 0x6000 + 33 * 8, 4, 0, 0); // IROUTER33 -> aff 0
  sysreg(b, "ICC_PMR_EL1").write!(cpu, 0xff, 0);
  sysreg(b, "ICC_IGRPEN1_EL1").write!(cpu, 1, 0);
  b.bus.write(VIRT.UART + 0x38, 4, 0x10, 0); // IMSC: RX
  assert.equal(cpu.irqLine, false);
  b.input([0x61, 0x62]);
  assert.equal(cpu.irqLine, true);
  sysreg(b, "ICC_IAR1_EL1").read!(cpu);
  assert.equal(cpu.srLo, 33);
  assert.equal(cpu.irqLine, false, "active interrupt is not signalled again");
  assert.equal(b.bus.read(VIRT.UART, 4, 0), 0x61);
  sysreg(b, "ICC_EOIR1_EL1").write!(cpu, 33, 0);
  assert.equal(cpu.irqLine, true, "FIFO depth 1 without FEN: the second byte arrives once the first is read");
  assert.equal(rd(b, VIRT.UART + 0x18, 0) & 0x10, 0, "RX not empty");
});

test("GICv3: redistributor TYPER Last bit and affinity, WAKER, SGI via ICC_SGI1R_EL1", () => {
  const { b } = board(3, 2);
  const rd1 = VIRT.GIC_REDIST + VIRT.GICR_STRIDE;
  assert.equal(rd(b, VIRT.GIC_REDIST + 8, 0) & 0x10, 0);
  assert.equal(rd(b, rd1 + 8, 0) & 0x10, 0x10);
  assert.equal(b.bus.read(rd1 + 0xc, 4, 0), 1);
  b.bus.write(rd1 + 0x14, 4, 0, 1);
  assert.equal(b.bus.read(rd1 + 0x14, 4, 1), 0);
  assert.equal(rd(b, VIRT.GIC_DIST + 0xffe8, 0) & 0xf0, 0x30);
  const [c0, c1] = b.cpus;
  b.bus.write(VIRT.GIC_DIST, 4, 0x12, 0);
  b.bus.write(rd1 + 0x10080, 4, 0xffffffff, 1);
  b.bus.write(rd1 + 0x10100, 4, 1 << 5, 1);
  sysreg(b, "ICC_PMR_EL1").write!(c1, 0xf0, 0);
  sysreg(b, "ICC_IGRPEN1_EL1").write!(c1, 1, 0);
  sysreg(b, "ICC_SGI1R_EL1").write!(c0, (5 << 24) | 0b10, 0); // SGI 5 to Aff0 = 1
  assert.equal(c1.irqLine, true);
  assert.equal(c0.irqLine, false);
  sysreg(b, "ICC_IAR1_EL1").read!(c1);
  assert.equal(c1.srLo, 5);
  sysreg(b, "ICC_RPR_EL1").read!(c1);
  assert.equal(c1.srLo, 0);
});

test("GICv2: banked CPU interface, IAR/EOIR, SGI source in IAR", () => {
  const { b } = board(2, 2);
  b.bus.write(VIRT.GIC_DIST, 4, 1, 0);
  b.bus.write(VIRT.GIC_CPU, 4, 1, 1);
  b.bus.write(VIRT.GIC_CPU + 4, 4, 0xf0, 1);
  b.bus.write(VIRT.GIC_DIST + 0x100, 4, 0xffff, 1);
  b.bus.write(VIRT.GIC_DIST + 0xf00, 4, (0b10 << 16) | 3, 0); // SGI 3 from CPU 0 to CPU 1
  assert.equal(b.cpus[1].irqLine, true);
  assert.equal(b.bus.read(VIRT.GIC_CPU + 0xc, 4, 1), 3); // source CPU 0 in [12:10]
  b.bus.write(VIRT.GIC_CPU + 0x10, 4, 3, 1);
  assert.equal(b.bus.read(VIRT.GIC_CPU + 0xc, 4, 1), 1023);
  assert.equal(b.bus.read(VIRT.GIC_DIST + 0x800, 1, 1), 2, "ITARGETSR0 reads as the accessing CPU");
});

test("Generic timer: counter, TVAL/CVAL, ISTATUS and the virtual timer PPI 27", () => {
  const { b } = board(3, 1);
  const cpu = b.cpus[0];
  sysreg(b, "CNTFRQ_EL0").read!(cpu);
  assert.equal(cpu.srLo, 62500000);
  b.advanceIdle(1000);
  sysreg(b, "CNTVCT_EL0").read!(cpu);
  assert.equal(cpu.srLo, 1000);
  sysreg(b, "CNTV_TVAL_EL0").write!(cpu, 500, 0);
  sysreg(b, "CNTV_CTL_EL0").write!(cpu, 1, 0);
  assert.equal(b.timer.nextDeadline(), 1500);
  b.advanceIdle(1500);
  sysreg(b, "CNTV_CTL_EL0").read!(cpu);
  assert.equal(cpu.srLo, 5, "ENABLE | ISTATUS");
  const gic = b.gic.core;
  assert.equal(gic.line[gic.slot(0, 27)], 1);
  sysreg(b, "CNTV_CTL_EL0").write!(cpu, 3, 0); // IMASK
  assert.equal(gic.line[gic.slot(0, 27)], 0);
});

test("PSCI: version, features, CPU_ON, ALREADY_ON, AFFINITY_INFO, SYSTEM_OFF", () => {
  const { b } = board(3, 2);
  const [c0, c1] = b.cpus;
  const call = (fn: number, a1 = 0, a2 = 0, a3 = 0) => {
    c0.x.fill(0);
    c0.x[0] = fn | 0; c0.x[2] = a1; c0.x[4] = a2; c0.x[6] = a3;
    assert.equal(b.psci.handle(c0, "hvc", 0), true);
    return c0.x[0];
  };
  assert.equal(call(PSCI.VERSION), 0x10001, "PSCI 1.1, as QEMU 7.2 reports");
  assert.equal(call(PSCI.FEATURES, PSCI.CPU_ON_64), 0);
  assert.equal(call(PSCI.MIGRATE_INFO_TYPE), 2);
  assert.equal(call(PSCI.AFFINITY_INFO_64, 1), 1);
  assert.equal(call(PSCI.CPU_ON_64, 1, 0x40001000, 0x1234), 0);
  assert.equal(c1.off, false);
  assert.equal(c1.pcLo, 0x40001000);
  assert.equal(c1.x[0], 0x1234);
  assert.equal(c1.el, 1);
  assert.equal(call(PSCI.CPU_ON_64, 1, 0x40001000, 0), -4);
  assert.equal(call(PSCI.CPU_ON_64, 7, 0x40001000, 0), -2);
  assert.equal(call(PSCI.AFFINITY_INFO_64, 1), 0);
  assert.equal(b.psci.handle(c0, "smc", 0), false, "SMC is not the conduit at EL1");
  call(PSCI.SYSTEM_OFF);
  assert.deepEqual(b.run(10), { kind: "stopped", reason: "poweroff" });
});

test("secure=on: boot EL and PSCI conduit per image, Secure GPIO power-off and reset lines", () => {
  const make = () => new VirtBoard({ ramSize: 16 << 20, cpus: 1, gicVersion: 2, virtualization: true, secure: true, uartTx: () => {} });
  const elf = { isLinux: false, entry: VIRT.RAM_BASE, loads: [] };
  const linux = { isLinux: true, entry: VIRT.RAM_BASE + 0x80000, loads: [] };
  // Any image but Linux starts at EL3 in Secure state and is its own firmware: no PSCI.
  let b = make();
  b.load(elf, undefined);
  assert.equal(b.cpus[0].el, 3);
  assert.equal(b.cpus[0].isSecure(), true);
  assert.equal(b.psciConduit, "none");
  // Lines as inputs are pulled low; driving line 0 high as an output powers off (virt.c gpio-pwr).
  b.bus.write(VIRT.SECURE_GPIO + 0x4, 4, 1, 0);
  assert.notEqual(b.run(10).kind, "stopped", "GPIODATA only drives lines configured as outputs");
  b.bus.write(VIRT.SECURE_GPIO + 0x400, 4, 1, 0);
  b.bus.write(VIRT.SECURE_GPIO + 0x4, 4, 1, 0);
  assert.deepEqual(b.run(10), { kind: "stopped", reason: "poweroff" });
  b = make();
  b.load(elf, undefined);
  b.bus.write(VIRT.SECURE_GPIO + 0x400, 4, 2, 0);
  b.bus.write(VIRT.SECURE_GPIO + 0x8, 4, 2, 0);
  assert.deepEqual(b.run(10), { kind: "stopped", reason: "reset" });
  // A Linux kernel is entered at Non-secure EL2 (hw/arm/boot.c), with QEMU's PSCI over SMC.
  b = make();
  b.load(linux, undefined);
  const cpu = b.cpus[0];
  assert.equal(cpu.el, 2);
  assert.equal(cpu.isSecure(), false);
  assert.equal(cpu.srGetLo(sysreg(b, "SCR_EL3").slot!) & 0x501, 0x501, "SCR_EL3.{RW,HCE,NS}");
  assert.equal(b.psciConduit, "smc");
});
