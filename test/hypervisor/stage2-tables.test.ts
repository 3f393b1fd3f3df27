/**
 * The hypervisor's stage-2 tables, walked by the CPU's own stage-2 translation (whose walk is
 * checked against QEMU by the stage2 guest): blocks and pages land where they should, a
 * read-only area refuses writes with a stage-2 permission fault, an unmapped IPA is a stage-2
 * translation fault, and two VMIDs see their own memory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { Access, type Translation } from "../../src/cpu/cpu.js";
import { translate } from "../../src/cpu/mmu.js";
import { SR } from "../../src/cpu/sysregs.js";
import { Stage2Tables, VTCR_40BIT_4K } from "../../src/hypervisor/stage2-tables.js";

const TABLE_BASE = 0x7f_0000_0000;

function setup() {
  const board = new VirtBoard({ ramSize: 1 << 30, cpus: 1, gicVersion: 3, virtualization: true, uartTx: () => {} });
  const ram = board.bus.addRam("hypervisor", TABLE_BASE, 1 << 20);
  const mem = {
    write64: (pa: number, v: bigint) => ram.view.setBigUint64(pa - TABLE_BASE, v, true),
    zero: (pa: number, size: number) => ram.bytes.fill(0, pa - TABLE_BASE, pa - TABLE_BASE + size),
    read64: (pa: number) => ram.view.getBigUint64(pa - TABLE_BASE, true),
  };
  const cpu = board.cpus[0];
  const useTables = (t: Stage2Tables, vmid: number) => {
    const v = t.vttbr(vmid);
    cpu.srSet(SR.HCR_EL2, ((1 << 31) | 1) | 0, 0); // RW, VM
    cpu.srSet(SR.VTTBR_EL2, Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
    cpu.srSet(SR.VTCR_EL2, VTCR_40BIT_4K | 0, 0);
    cpu.setElSp(1, 1);
    cpu.updateCachedControls();
    cpu.flushTlb();
  };
  const walk = (ipa: number, access = Access.Read): Translation => {
    const out: Translation = { pa: 0, fault: -1, faultS2: false, cacheable: true } as Translation;
    translate(cpu, ipa % 2 ** 32 | 0, Math.floor(ipa / 2 ** 32), access, 1, out);
    return out;
  };
  return { board, mem, cpu, useTables, walk };
}

test("RAM with 2 MiB blocks and 4 KiB pages, a read-only window and a hole", () => {
  const { mem, useTables, walk } = setup();
  const t = new Stage2Tables(mem, TABLE_BASE, 1 << 16);
  // 4 MiB + 12 KiB: two 2 MiB blocks then three pages; 0x48000000 keeps blocks aligned.
  t.map({ ipa: 0x4000_0000, pa: 0x4800_0000, size: (4 << 20) + 3 * 4096, access: "rw", executable: true, device: false });
  t.map({ ipa: 0x7000_0000, pa: 0x5000_0000, size: 4096, access: "ro", executable: false, device: false });
  useTables(t, 1);
  assert.equal(walk(0x4000_0000).pa, 0x4800_0000);
  assert.equal(walk(0x4000_0000).fault, -1);
  assert.equal(walk(0x401f_fff8).pa, 0x481f_fff8);
  assert.equal(walk(0x4040_2abc).pa, 0x4840_2abc);
  assert.equal(walk(0x7000_0010).pa, 0x5000_0010);
  const ro = walk(0x7000_0010, Access.Write);
  assert.ok(ro.fault >= 0 && ro.faultS2, "a write to a read-only area is a stage-2 fault");
  assert.equal(ro.fault & 0x3c, 0x0c, "permission fault");
  const hole = walk(0x4040_3000);
  assert.ok(hole.fault >= 0 && hole.faultS2, "past the mapping: a stage-2 fault");
  assert.equal(hole.fault & 0x3c, 0x04, "translation fault");
  const dev = walk(0x0900_0000);
  assert.ok(dev.faultS2, "the UART's IPA is not mapped: the hypervisor emulates it");
  assert.ok(t.used <= 6 * 4096, `${t.used} bytes of tables`);
});

test("two VMIDs: the same IPA is each partition's own memory", () => {
  const { mem, useTables, walk } = setup();
  const a = new Stage2Tables(mem, TABLE_BASE, 1 << 16);
  const b = new Stage2Tables(mem, TABLE_BASE + (1 << 16), 1 << 16);
  a.map({ ipa: 0x4000_0000, pa: 0x4800_0000, size: 2 << 20, access: "rw", executable: true, device: false });
  b.map({ ipa: 0x4000_0000, pa: 0x5000_0000, size: 2 << 20, access: "rw", executable: true, device: false });
  useTables(a, 1);
  assert.equal(walk(0x4000_1000).pa, 0x4800_1000);
  useTables(b, 2);
  assert.equal(walk(0x4000_1000).pa, 0x5000_1000);
  assert.ok(walk(0x4020_0000).faultS2, "b's RAM ends at 2 MiB");
});

test("mappings must be page aligned and inside the 40-bit IPA space", () => {
  const { mem } = setup();
  const t = new Stage2Tables(mem, TABLE_BASE, 1 << 16);
  assert.throws(() => t.map({ ipa: 0x4000_0800, pa: 0x4800_0000, size: 4096, access: "rw", executable: true, device: false }), /page aligned/);
  assert.throws(() => t.map({ ipa: 2 ** 40, pa: 0x4800_0000, size: 4096, access: "rw", executable: true, device: false }), /40-bit/);
});

test("setPage splits a block into pages with the same output and attributes, then changes only its page", () => {
  const { mem, useTables, walk } = setup();
  const t = new Stage2Tables(mem, TABLE_BASE, 1 << 16);
  // A 1 GiB block at level 1 (IPA and PA both 1 GiB aligned).
  t.map({ ipa: 0x4000_0000, pa: 0x4000_0000, size: 1 << 30, access: "rw", executable: true, device: false });
  t.setPage(0x4012_3000, { pa: 0x5000_0000, access: "ro", executable: false, device: false });
  t.setPage(0x4012_4000, undefined);
  useTables(t, 1);
  assert.equal(walk(0x4012_3008).pa, 0x5000_0008, "the page now points elsewhere");
  const ro = walk(0x4012_3008, Access.Write);
  assert.ok(ro.faultS2 && (ro.fault & 0x3c) === 0x0c, "read-only: a store is a permission fault");
  const hole = walk(0x4012_4000);
  assert.ok(hole.faultS2 && (hole.fault & 0x3c) === 0x04, "unmapped: a translation fault");
  for (const ipa of [0x4000_0000, 0x4012_2ff8, 0x4012_5000, 0x401f_f000, 0x4020_0000, 0x7fff_fff8]) {
    const w = walk(ipa, Access.Write);
    assert.equal(w.fault, -1, `0x${ipa.toString(16)} still maps`);
    assert.equal(w.pa, ipa, `0x${ipa.toString(16)} to itself`);
  }
  assert.ok(walk(0x4012_5000, Access.Exec).fault === -1, "the rest keeps its attributes (executable)");
});
