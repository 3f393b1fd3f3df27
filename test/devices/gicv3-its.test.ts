/**
 * The GICv3 ITS and LPIs on a virt board, driven through the bus as a guest would (the guest
 * program tests/guests/its compares the full behaviour with QEMU): what the GIC advertises with
 * and without LPIs, an MSI reaching a CPU's HPPI, and misbehaving guests (tables and queues
 * outside RAM, across its end, random commands and register values) that must never raise an
 * exception in the host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { GicV3 } from "../../src/devices/gicv3.js";
import { SPECIAL_NONE } from "../../src/devices/gic-core.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { xorshift32 } from "../harness/rng.js";

const RAM = 16 << 20;
const GITS = VIRT.GIC_ITS, TRANSLATER = VIRT.GIC_ITS + 0x10040;
const GICR = (c: number) => VIRT.GIC_REDIST + c * VIRT.GICR_STRIDE;
const PROP = 0x40400000, PEND = (c: number) => 0x40410000 + c * 0x10000, QUEUE = 0x40430000, DEVS = 0x40440000, COLLS = 0x40450000,
  ITT = 0x40460000;

function board(cpus = 2) {
  const b = new VirtBoard({ ramSize: RAM, cpus, gicVersion: 3, virtualization: false, uartTx: () => {} });
  const w32 = (pa: number, v: number) => assert.ok(b.bus.write(pa, 4, v >>> 0, 0));
  const w64 = (pa: number, v: bigint) => assert.ok(b.bus.write(pa, 8, v, 0));
  const r32 = (pa: number) => Number(b.bus.read(pa, 4, 0));
  const r64 = (pa: number) => BigInt(b.bus.read(pa, 8, 0)!);
  const gic = b.gic as GicV3;
  let next = 0;
  const cmd = (d0: bigint, d1 = 0n, d2 = 0n, d3 = 0n) => {
    [d0, d1, d2, d3].forEach((d, i) => w64(QUEUE + next * 32 + i * 8, d));
    next = (next + 1) % 128;
  };
  const go = () => w64(GITS + 0x88, BigInt(next << 5));
  /** LPIs on for every CPU (IDbits 13, LPI 8192 + n at priority 0x80 enabled), the ITS enabled. */
  const setUp = () => {
    for (let n = 0; n < 16; n++) b.bus.write(PROP + n, 1, 0x81, 0);
    for (let c = 0; c < cpus; c++) {
      w64(GICR(c) + 0x70, BigInt(PROP) | 13n);
      w64(GICR(c) + 0x78, BigInt(PEND(c)));
      w32(GICR(c), 1);
    }
    w64(GITS + 0x100, (1n << 63n) | (1n << 56n) | (7n << 48n) | (2n << 8n) | BigInt(DEVS));
    w64(GITS + 0x108, (1n << 63n) | (4n << 56n) | (7n << 48n) | (2n << 8n) | BigInt(COLLS));
    w64(GITS + 0x80, (1n << 63n) | BigInt(QUEUE));
    w32(GITS, 1);
  };
  const mapd = (dev: number, size: number, itt: number) => cmd(0x08n | (BigInt(dev) << 32n), BigInt(size), (1n << 63n) | BigInt(itt));
  const mapc = (icid: number, rd: number) => cmd(0x09n, 0n, (1n << 63n) | (BigInt(rd) << 16n) | BigInt(icid));
  const mapti = (dev: number, ev: number, intid: number, icid: number) => cmd(0x0an | (BigInt(dev) << 32n), BigInt(ev) | (BigInt(intid) << 32n), BigInt(icid));
  /** Disable the ITS, zero the tables, then set everything up again with an empty queue. */
  const restart = () => {
    w32(GITS, 0);
    for (const t of [PEND(0), PEND(1), QUEUE, DEVS, COLLS, ITT]) b.bus.zero(t, 0x10000);
    w64(GITS + 0x88, 0n);
    next = 0;
    setUp();
  };
  return { b, gic, w32, w64, r32, r64, cmd, go, setUp, restart, mapd, mapc, mapti, creadr: () => r64(GITS + 0x90) };
}

test("the board's GICv3 advertises LPIs (GICD_TYPER.LPIS, GICR_TYPER.PLPIS) and its ITS; QEMU's reset values", () => {
  const { r32, r64 } = board();
  assert.equal(r32(VIRT.GIC_DIST + 4) & (1 << 17), 1 << 17);
  assert.equal(r64(GICR(0) + 8), 0x0000000001000001n);
  assert.equal(r64(GICR(1) + 8), 0x0000000101000111n);
  assert.equal(r32(GICR(0)), 2, "GICR_CTLR.CES");
  assert.equal(r32(GITS), 0x80000000, "Quiescent");
  assert.equal(r64(GITS + 8), 0x0000001f0001efb1n);
  assert.equal(r64(GITS + 0x100), 0x0107000000000200n);
  assert.equal(r64(GITS + 0x108), 0x0407000000000200n);
  assert.equal(r64(GITS + 0x110), 0n);
  assert.equal(r32(GITS + 0xffe8), 0x3b);
});

test("a partition's GICv3 model (no guest memory for LPI tables) has no LPIs", () => {
  const gic = new GicV3(1, VIRT.GIC_NUM_IRQS, [0]);
  assert.equal(gic.distributor.read(4, 4, 0) & (1 << 17), 0);
  assert.equal(gic.redistributors.read(8, 4, 0) & 1, 0);
});

test("a PCI device's MSI (requester ID as DeviceID) reaches the board's ITS", () => {
  const { b, setUp, go, mapd, mapc, mapti } = board();
  setUp();
  mapd(0x0810, 1, ITT);
  mapc(0, 0);
  mapti(0x0810, 1, 8193, 0);
  go();
  assert.ok(b.its);
  b.its.translate(0x0810, 1);
  assert.equal(Number(b.bus.read(PEND(0) + 1024, 1, 0)), 1 << 1);
  b.its.translate(0, 1); // another device: no mapping
  assert.equal((b.gic as GicV3).lpis!.bestId[0], 8193);
});

test("an MSI through GITS_TRANSLATER becomes the target CPU's highest-priority pending interrupt", () => {
  const { b, gic, w32, go, setUp, mapd, mapc, mapti } = board();
  setUp();
  gic.core.enableGrp1 = true;
  gic.core.grpEn1[1] = 1;
  gic.core.pmr[1] = 0xf8;
  mapd(0, 3, ITT);
  mapc(5, 1);
  mapti(0, 2, 8195, 5);
  go();
  w32(TRANSLATER, 2);
  gic.core.computeHppi(1);
  assert.equal(gic.core.hppiId[1], 8195);
  assert.equal(Number(b.bus.read(PEND(1) + 1024, 1, 0)), 1 << 3, "the pending table in guest memory");
  assert.equal(gic.core.acknowledge(1, 1), 8195);
  gic.core.computeHppi(1);
  assert.equal(gic.core.hppiId[1], SPECIAL_NONE);
  assert.equal(Number(b.bus.read(PEND(1) + 1024, 1, 0)), 0);
});

test("tables and queues outside RAM or across its end: the queue stalls or skips, nothing throws", () => {
  const { w32, w64, go, setUp, mapd, mapti, creadr, cmd } = board(1);
  setUp();
  // An ITT in RAM's last 256 bytes: event 21's ITE would cross the end, MAPTI cannot write it
  // and the queue stalls.
  mapd(1, 4, VIRT.RAM_BASE + RAM - 256);
  mapti(1, 21, 8192, 0);
  go();
  assert.equal(creadr(), (1n << 5n) | 1n, "stalled on the MAPTI");
  // Moving CREADR past it restarts the queue.
  w64(GITS + 0x90, 2n << 5n);
  cmd(0x05n);
  go();
  assert.equal(creadr(), 3n << 5n);
  // A device table at the top of the 52-bit space, a queue in MMIO space: no exception.
  w32(GITS, 0);
  w64(GITS + 0x100, (1n << 63n) | (1n << 62n) | (2n << 8n) | 0xffffffff0000n | (0xfn << 12n));
  w64(GITS + 0x80, (1n << 63n) | 0xffn | BigInt(VIRT.UART));
  w32(GITS, 1);
  w64(GITS + 0x88, 5n << 5n);
  w32(TRANSLATER, 0);
});

test("random register writes, commands and table contents never raise an exception", () => {
  const next32 = xorshift32(0x175);
  const rng = { int: (n: number) => n === 0x100000000 ? next32() : next32() % n };
  const { b, w32, restart, go, cmd, mapd, mapc, mapti, creadr } = board(2);
  restart();
  const interesting = [0, 1, 0x40000000, VIRT.RAM_BASE + RAM - 4, VIRT.RAM_BASE + RAM, VIRT.UART, 0xfffffffff000, PROP, PEND(0), ITT];
  const pick = (): bigint => {
    switch (rng.int(4)) {
      case 0: return BigInt(interesting[rng.int(interesting.length)]);
      case 1: return BigInt(rng.int(0x10000));
      default: return (BigInt(rng.int(0x100000000)) << 32n) | BigInt(rng.int(0x100000000));
    }
  };
  for (let round = 0; round < 400; round++) {
    switch (rng.int(6)) {
      case 0: { // a random command, mostly known opcodes
        const op = BigInt([1, 3, 4, 5, 8, 9, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x22, rng.int(256)][rng.int(14)]);
        cmd((pick() & ~0xffn) | op, pick(), pick(), pick());
        if (rng.int(3) === 0) go();
        break;
      }
      case 1: // a random ITS register
        b.bus.write(GITS + rng.int(0x120) * 4 % 0x120, rng.int(2) ? 4 : 8, pick() & (rng.int(2) ? 0xffffffffn : ~0n), 0);
        break;
      case 2: // a random redistributor LPI register
        b.bus.write(GICR(rng.int(2)) + [0, 0x70, 0x74, 0x78, 0x7c][rng.int(5)], 4, pick() & 0xffffffffn, 0);
        break;
      case 3: // random bytes in the tables
        b.bus.write([PROP, PEND(0), PEND(1), DEVS, COLLS, ITT][rng.int(6)] + rng.int(0x1000) * 8, 8, pick(), 0);
        break;
      case 4:
        b.bus.write(TRANSLATER, rng.int(2) ? 2 : 4, rng.int(64), 0);
        break;
      default:
        go();
    }
  }
  // Whatever the guest did, an ITS set up afresh works.
  restart();
  mapd(0, 1, ITT);
  mapc(0, 1);
  mapti(0, 1, 8200, 0);
  go();
  assert.equal(creadr(), 3n << 5n);
  w32(TRANSLATER, 1);
  assert.equal(Number(b.bus.read(PEND(1) + 1025, 1, 0)), 1, "LPI 8200 pending on CPU 1");
});
