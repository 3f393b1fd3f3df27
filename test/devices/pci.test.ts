/**
 * The PCIe host of the virt board driven as a guest's PCI code would, through the bus: ECAM
 * reads of absent functions and of extended registers (all ones), BAR sizing (PCI Local Bus
 * 3.0 section 6.2.5.1) and decoding only while the Command register enables the space, the
 * windows' translation, INTx through the interrupt map's swizzle with shared lines, and MSI-X
 * masking and pending bits with delivery to the ITS (the requester ID as DeviceID) or as a
 * plain write (GICv2m). Linux's own enumeration is compared with QEMU's in
 * virtio-pci-linux.test.ts; this covers what Linux does not exercise there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { PciHostEcam } from "../../src/devices/pci-host.js";
import { PciFunction } from "../../src/devices/pci/pci-function.js";
import { Msix } from "../../src/devices/pci/msix.js";
import { BufferSharedMemory, IvshmemPlain } from "../../src/devices/pci/ivshmem.js";
import { VirtioEntropy } from "../../src/devices/virtio/entropy.js";
import { VirtioPciFunction } from "../../src/devices/virtio/pci-transport.js";

const ecam = (devfn: number, reg: number) => VIRT.PCIE_ECAM_HIGH + (devfn << 12) + reg;

function board(gicVersion: 2 | 3, memory = new BufferSharedMemory(new Uint8Array(0x10000))) {
  return new VirtBoard({
    ramSize: 64 << 20, cpus: 1, gicVersion, virtualization: false, uartTx: () => {},
    pci: [
      { devfn: 1 << 3, create: (mem) => new VirtioPciFunction(new VirtioEntropy((b) => b.fill(7)), mem, 2) },
      { devfn: 5 << 3, create: () => new IvshmemPlain(memory) },
    ],
  });
}

test("ECAM: the host bridge, absent functions and registers past 256 bytes", () => {
  const b = board(2);
  assert.equal(b.bus.read(ecam(0, 0), 4, 0), 0x00081b36);
  assert.equal(b.bus.read(ecam(1 << 3, 0), 4, 0), 0x10051af4, "virtio-rng-pci at 01.0");
  assert.equal(b.bus.read(ecam(2 << 3, 0), 4, 0), 0xffffffff, "nothing at 02.0");
  assert.equal(b.bus.read(ecam(2 << 3, 0), 2, 0), 0xffff);
  assert.equal(b.bus.read(ecam(1 << 3, 0x100), 4, 0), 0xffffffff, "a conventional function has no extended space");
  assert.equal(b.bus.read(VIRT.PCIE_ECAM_HIGH + (1 << 20), 4, 0), 0xffffffff, "no bus 1");
});

test("BAR sizing, and decoding only while the Command register enables the space", () => {
  const mem = new BufferSharedMemory(new Uint8Array(0x10000));
  const b = board(2, mem);
  const fn = 5 << 3;
  // BAR0: 256 bytes of 32-bit memory; BAR2 64 KiB of 64-bit prefetchable.
  b.bus.write(ecam(fn, 0x10), 4, 0xffffffff, 0);
  assert.equal(b.bus.read(ecam(fn, 0x10), 4, 0), 0xffffff00);
  b.bus.write(ecam(fn, 0x18), 4, 0xffffffff, 0);
  b.bus.write(ecam(fn, 0x1c), 4, 0xffffffff, 0);
  assert.equal(b.bus.read(ecam(fn, 0x18), 4, 0), 0xffff000c);
  assert.equal(b.bus.read(ecam(fn, 0x1c), 4, 0), 0xffffffff);
  b.bus.write(ecam(fn, 0x18), 4, 0, 0);
  b.bus.write(ecam(fn, 0x1c), 4, 0x80, 0); // 0x80_0000_0000: the high window's base
  b.bus.write(ecam(fn, 0x10), 4, 0x10000000, 0);
  mem.write(8, 4, 0xcafef00d);
  assert.equal(b.bus.read(VIRT.PCIE_MMIO_HIGH + 8, 4, 0), 0xffffffff, "memory space still disabled");
  b.bus.write(ecam(fn, 0x04), 2, 0x0002, 0);
  assert.equal(b.bus.read(VIRT.PCIE_MMIO_HIGH + 8, 4, 0), 0xcafef00d);
  b.bus.write(VIRT.PCIE_MMIO_HIGH + 12, 2, 0xbeef, 0);
  assert.equal(mem.read(12, 2), 0xbeef);
  assert.equal(b.bus.read(VIRT.PCIE_MMIO + 8, 4, 0), 0, "IVPosition through the low window");
  assert.equal(b.bus.read(VIRT.PCIE_MMIO + 0x100, 4, 0), 0xffffffff, "past the BAR: nothing decodes");
  b.bus.write(ecam(fn, 0x04), 2, 0, 0);
  assert.equal(b.bus.read(VIRT.PCIE_MMIO_HIGH + 8, 4, 0), 0xffffffff, "disabled again");
});

test("the I/O window: PCI I/O address 0 at its base, I/O BARs decode with Command.IO", () => {
  const b = board(2);
  const fn = 1 << 3;
  b.bus.write(ecam(fn, 0x10), 4, 0xffffffff, 0);
  assert.equal(b.bus.read(ecam(fn, 0x10), 4, 0), 0xffffffe1, "32 bytes of I/O");
  b.bus.write(ecam(fn, 0x10), 4, 0x1000, 0);
  b.bus.write(ecam(fn, 0x04), 2, 0x0001, 0);
  // Legacy header: host features (the entropy device offers indirect descriptors and event indices).
  assert.equal(b.bus.read(VIRT.PCIE_PIO + 0x1000, 4, 0), 0x30000000);
  assert.equal(b.bus.read(VIRT.PCIE_PIO + 0x100c, 2, 0), 8, "QEMU's virtio-rng queue of 8");
});

class Pin extends PciFunction {
  constructor() { super("pin", { vendor: 0x1234, device: 1, classCode: 0xff0000, subsystemVendor: 0, subsystemId: 0, interruptPin: 2 }); }
  raise(level: boolean) { this.setIntx(level); }
}

test("INTx: slot S pin P drives line (S + P - 1) % 4; shared lines are ORed; INTx disable masks the pin", () => {
  const levels = [false, false, false, false];
  const a = new Pin(), c = new Pin();
  // Slot 2 pin B and slot 1 pin C share line 3 (INTD, SPI 6).
  const c2 = new (class extends Pin { constructor() { super(); this.config[0x3d] = 3; } })();
  const host = new PciHostEcam({ setIntx: (l, v) => { levels[l] = v; }, memoryWrite: () => {} },
    [{ devfn: 2 << 3, fn: a }, { devfn: 1 << 3, fn: c2 }, { devfn: 3 << 3, fn: c }]);
  a.raise(true);
  assert.deepEqual(levels, [false, false, false, true]);
  c2.raise(true);
  a.raise(false);
  assert.deepEqual(levels, [false, false, false, true], "still held by the other function");
  c2.raise(false);
  assert.deepEqual(levels, [false, false, false, false]);
  c.raise(true);
  assert.deepEqual(levels, [true, false, false, false], "slot 3 pin B: line 0");
  assert.equal(host.read((3 << 15) | 0x06, 2) & 0x08, 0x08, "Status.Interrupt");
  host.write((3 << 15) | 0x04, 2, 0x400);
  assert.deepEqual(levels, [false, false, false, false], "INTx disable");
  assert.equal(host.read((3 << 15) | 0x06, 2) & 0x08, 0x08, "the pin itself is still asserted");
});

class MsiSource extends PciFunction {
  readonly msix: Msix;
  constructor() {
    super("msi", { vendor: 0x1234, device: 2, classCode: 0xff0000, subsystemVendor: 0, subsystemId: 0 });
    this.msix = new Msix(this, 3, 1, (a, d) => this.sendMsi(a, d));
    this.registerBar(1, { kind: "mem32", prefetchable: false, size: this.msix.barSize, region: this.msix });
  }
  protected override configWritten(reg: number, size: number) { this.msix.configWritten(reg, size); }
}

test("MSI-X: masked vectors pend and go out when unmasked; the ITS sees the requester ID, other addresses a write", () => {
  const sent: string[] = [];
  const f = new MsiSource();
  const host = new PciHostEcam({
    setIntx: () => {}, itsTranslater: 0x08090040,
    itsTranslate: (dev, ev) => sent.push(`its ${dev} ${ev}`), memoryWrite: (a, d) => sent.push(`write ${a.toString(16)} ${d}`),
  }, [{ devfn: (3 << 3) | 0, fn: f }]);
  const cfg = (reg: number) => (3 << 15) | reg;
  assert.equal(host.read(cfg(0x34), 1), 0x40, "the capability list starts with MSI-X");
  assert.equal(host.read(cfg(0x40), 4), 0x00020011, "MSI-X, 3 vectors");
  assert.equal(host.read(cfg(0x48), 4), 0x801, "PBA at 0x800 of BAR1");
  f.msix.write(0, 4, 0x08090040); f.msix.write(8, 4, 42); f.msix.write(12, 4, 0);
  f.msix.write(16, 4, 0x08020040); f.msix.write(24, 4, 0x50); f.msix.write(28, 4, 0);
  f.msix.notify(0);
  assert.deepEqual(sent, [], "MSI-X disabled: pending");
  assert.equal(f.msix.read(0x800, 4), 1);
  host.write(cfg(0x42), 2, 0x8000); // enable
  assert.deepEqual(sent, [], "no bus mastering yet: the pending vector's write goes nowhere (QEMU: bus-master address space off)");
  assert.equal(f.msix.read(0x800, 4), 0);
  host.write(cfg(0x04), 2, 0x4);
  host.write(cfg(0x42), 2, 0xc000); // function mask
  host.write(cfg(0x42), 2, 0x8000);
  f.msix.notify(1);
  f.msix.notify(2); // masked at reset: stays pending
  assert.deepEqual(sent, ["write 8020040 80"]);
  assert.equal(f.msix.read(0x800, 4), 0x4, "vector 2 pending");
  f.msix.notify(0);
  assert.deepEqual(sent, ["write 8020040 80", "its 24 42"], "requester ID 00:03.0 = 24");
  f.msix.write(32, 4, 0x08020040); f.msix.write(40, 4, 0x51); f.msix.write(44, 4, 0); // unmask vector 2
  assert.deepEqual(sent.slice(2), ["write 8020040 81"]);
  assert.equal(f.msix.read(0x800, 4), 0);
});

test("a guest writing junk everywhere in config space and the windows: no exception, the IDs stay", () => {
  const b = board(3);
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < 20000; i++) {
    const size = [1, 2, 4][rand() % 3];
    const devfn = [0, 8, 40, 16][rand() % 4];
    const reg = (rand() % 0x1000) & ~(size - 1);
    b.bus.write(ecam(devfn, reg), size, rand(), 0);
    b.bus.read(ecam(devfn, reg), size, 0);
    // Whatever the BARs now say, accesses anywhere in the windows.
    const window = [VIRT.PCIE_MMIO, VIRT.PCIE_PIO, VIRT.PCIE_MMIO_HIGH][rand() % 3];
    const at = window + ((rand() % 0x100000) & ~(size - 1));
    b.bus.write(at, size, rand(), 0);
    b.bus.read(at, size, 0);
  }
  assert.equal(b.bus.read(ecam(8, 0), 4, 0), 0x10051af4);
  assert.equal(b.bus.read(ecam(40, 0), 4, 0), 0x11101af4);
});
