/**
 * Register-level answers of the virt board's partly modelled regions and of PSCI with junk
 * arguments, as QEMU 7.2 gives them (values observed with qemu-system-aarch64 7.2 running the
 * platform-probe guest, which test/guests.test.ts compares end to end). These run without QEMU.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { FwCfg } from "../../src/devices/fw-cfg.js";
import { PSCI } from "../../src/firmware/psci.js";

function board(cpus = 2) {
  return new VirtBoard({ ramSize: 16 << 20, cpus, gicVersion: 2, virtualization: false, uartTx: () => {} });
}

test("fw_cfg accepts what QEMU's MemoryRegionOps.valid accepts", () => {
  const f = new FwCfg(new Map());
  const yes = (o: number, size: number, w: boolean) => assert.equal(f.accepts(o, size, w), true, `+${o} size ${size} ${w ? "write" : "read"}`);
  const no = (o: number, size: number, w: boolean) => assert.equal(f.accepts(o, size, w), false, `+${o} size ${size} ${w ? "write" : "read"}`);
  for (const size of [1, 2, 4, 8]) { yes(0, size, false); yes(0, size, true); no(8, size, false); }
  for (const o of [1, 2, 4, 7]) { no(o, 1, false); no(o, 1, true); }
  yes(8, 2, true); no(8, 1, true); no(8, 4, true); no(8, 8, true); no(9, 1, true);
  for (const o of [0xa, 0xc, 0xf]) { no(o, 1, false); no(o, 1, true); }
  for (const [o, size] of [[16, 1], [16, 2], [16, 4], [16, 8], [20, 4], [22, 2], [23, 1]]) yes(o, size, false);
  no(17, 2, false); no(18, 4, false);
  yes(16, 4, true); yes(20, 4, true); yes(16, 8, true); no(16, 1, true); no(16, 2, true); no(18, 2, true);
});

test("fw_cfg DMA register reads the signature \"QEMU CFG\"; the data stream is unchanged", () => {
  const b = board();
  assert.equal(b.bus.read(VIRT.FW_CFG + 16, 8, 0), 0x47464320554d4551n);
  assert.equal(b.bus.read(VIRT.FW_CFG + 20, 4, 0), 0x47464320);
  assert.equal(b.bus.read(VIRT.FW_CFG + 22, 2, 0), 0x4746);
  b.bus.write(VIRT.FW_CFG + 8, 2, 0, 0); // select the signature
  assert.equal(b.bus.read(VIRT.FW_CFG, 8, 0), 0x554d4551n);
});

test("fw_cfg items as QEMU 7.2's virt has them, through the data register and through DMA", () => {
  const b = board(2);
  const select = (key: number) => b.bus.write(VIRT.FW_CFG + 8, 2, ((key & 0xff) << 8) | (key >> 8), 0);
  const readBytes = (n: number) => Array.from({ length: n }, () => b.bus.read(VIRT.FW_CFG, 1, 0) as number);
  select(0x01);
  assert.deepEqual(readBytes(4), [3, 0, 0, 0], "FW_CFG_ID: traditional interface and DMA");
  select(0x05);
  assert.deepEqual(readBytes(2), [2, 0], "FW_CFG_NB_CPUS");
  // A DMA read of the file directory: FWCfgDmaAccess at 0x40001000 (big-endian fields), data to 0x40002000.
  const at = VIRT.RAM_BASE + 0x1000, to = VIRT.RAM_BASE + 0x2000;
  const access = new Uint8Array(16);
  const v = new DataView(access.buffer);
  v.setUint32(0, (0x19 << 16) | 0x08 | 0x02); // select FW_CFG_FILE_DIR, read
  v.setUint32(4, 4 + 3 * 64 + 8); // 8 bytes past the end read as zeros
  v.setUint32(12, to);
  b.bus.load(at, access);
  b.bus.load(to + 4 + 3 * 64, new Uint8Array(8).fill(0xee));
  b.bus.write(VIRT.FW_CFG + 16, 4, 0, 0); // high half of the big-endian address, then the low half starts it
  b.bus.write(VIRT.FW_CFG + 20, 4, ((at & 0xff) << 24 | (at & 0xff00) << 8 | (at >>> 8) & 0xff00 | at >>> 24) >>> 0, 0);
  assert.equal(b.bus.read(at, 4, 0), 0, "control cleared: done without error");
  const dir = Array.from({ length: 4 + 3 * 64 + 8 }, (_, i) => b.bus.read(to + i, 1, 0) as number);
  assert.deepEqual(dir.slice(0, 4), [0, 0, 0, 3]);
  const name = (i: number) => String.fromCharCode(...dir.slice(4 + i * 64 + 8, 4 + i * 64 + 64)).replace(/\0+$/, "");
  assert.deepEqual([0, 1, 2].map(name), ["bios-geometry", "bootorder", "etc/boot-fail-wait"]);
  assert.deepEqual(dir.slice(4 + 2 * 64, 4 + 2 * 64 + 8), [0, 0, 0, 4, 0, 0x22, 0, 0], "size 4, select 0x22");
  assert.deepEqual(dir.slice(-8), [0, 0, 0, 0, 0, 0, 0, 0]);
});

test("PCIe MMIO, I/O and high MMIO windows read all ones and ignore writes", () => {
  const b = board();
  for (const base of [VIRT.PCIE_MMIO, VIRT.PCIE_MMIO + VIRT.PCIE_MMIO_SIZE - 8, VIRT.PCIE_PIO, VIRT.PCIE_PIO + 0xfff8, VIRT.PCIE_MMIO_HIGH]) {
    assert.equal(b.bus.write(base, 4, 0x12345678, 0), true);
    assert.equal(b.bus.read(base, 1, 0), 0xff);
    assert.equal(b.bus.read(base, 2, 0), 0xffff);
    assert.equal(b.bus.read(base, 4, 0), 0xffffffff);
    assert.equal(b.bus.read(base, 8, 0), 0xffffffffffffffffn);
  }
  // The low ECAM is not mapped when the high one is in use (virt.c highmem-ecam).
  assert.equal(b.bus.read(0x3f000000, 4, 0), undefined);
});

test("empty virtio-mmio slot: magic, legacy version 1, device 0, vendor QEMU, exact offsets", () => {
  const b = board();
  const at = (o: number, size: number) => b.bus.read(VIRT.MMIO + 5 * VIRT.MMIO_SIZE + o, size, 0);
  assert.equal(at(0, 4), 0x74726976);
  assert.equal(at(4, 4), 1);
  assert.equal(at(8, 4), 0);
  assert.equal(at(0xc, 4), 0x554d4551);
  assert.equal(at(0, 1), 0x76);
  assert.equal(at(1, 1), 0);
  assert.equal(at(0, 2), 0x6976);
  assert.equal(at(2, 2), 0);
  assert.equal(at(0xe, 2), 0);
  assert.equal(at(0, 8), 0x0000000174726976n);
});

test("PSCI: full 64-bit IDs and arguments, misaligned CPU_ON, exact MPIDRs, levels, suspend states", () => {
  const b = board(2);
  const [c0, c1] = b.cpus;
  const call = (fn: bigint | number, ...args: (bigint | number)[]): bigint => {
    const regs = [BigInt(fn), ...args.map(BigInt)];
    c0.x.fill(0);
    regs.forEach((v, i) => { c0.x[i * 2] = Number(v & 0xffffffffn) | 0; c0.x[i * 2 + 1] = Number(v >> 32n) | 0; });
    assert.equal(b.psci.handle(c0, "hvc", 0), true);
    return (BigInt(c0.x[1]) << 32n) | BigInt(c0.x[0] >>> 0);
  };
  const entry = VIRT.RAM_BASE + 0x1000;
  assert.equal(call(PSCI.VERSION), 0x10001n);
  assert.equal(call(BigInt(PSCI.VERSION) | (1n << 32n)), -1n, "ID with bit 32 set");
  assert.equal(call(BigInt(PSCI.CPU_ON_64) | (1n << 32n), 1, entry, 0), -1n);
  assert.equal(call(PSCI.FEATURES, BigInt(PSCI.VERSION) | (1n << 32n)), -1n);
  assert.equal(call(PSCI.FEATURES, PSCI.V01_CPU_ON), 0n);
  assert.equal(call(PSCI.FEATURES, PSCI.V01_MIGRATE), -1n);
  assert.equal(call(PSCI.FEATURES, 0xc4000006), -1n);
  assert.equal(call(PSCI.AFFINITY_INFO_64, 0x80000000), -2n, "MPIDR bit 31 is not part of the affinity");
  assert.equal(call(PSCI.AFFINITY_INFO_32, 0x100000001n), -2n, "32-bit calls still compare all of X1");
  assert.equal(call(PSCI.AFFINITY_INFO_64, 0x77, 1), 0n, "levels above 0 are always on");
  assert.equal(call(PSCI.AFFINITY_INFO_64, 1, 1n << 32n), 0n);
  assert.equal(call(PSCI.CPU_SUSPEND_64, 0x20000), -2n);
  assert.equal(call(PSCI.CPU_SUSPEND_32, 0x40000000), -2n);
  assert.equal(c0.halted, false);
  for (const misaligned of [1, 2, 3]) assert.equal(call(PSCI.CPU_ON_64, 1, entry + misaligned, 0), -2n);
  assert.equal(call(PSCI.V01_CPU_ON, 1, entry + 2, 0), -2n);
  assert.equal(call(PSCI.CPU_ON_64, 0, entry + 2, 0), -2n, "alignment is checked before the target");
  assert.equal(call(PSCI.CPU_ON_64, 0x80000001, entry, 0), -2n);
  assert.equal(c1.off, true);
  assert.equal(call(PSCI.CPU_ON_32, 1, entry, 0x1234567800000022n), 0n);
  assert.equal(c1.off, false);
  assert.equal(c1.x[0], 0x22);
  assert.equal(c1.x[1], 0x12345678, "the 32-bit CPU_ON passes all of X3 as the context id");
});
