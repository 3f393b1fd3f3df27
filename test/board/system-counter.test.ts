/**
 * The system counter's two drives (src/devices/system-counter.ts) with the host's clock replaced
 * by one the test sets, so host time is checked without depending on how fast this machine is:
 * the count follows host time and never steps back, timers fire once host time passes their
 * deadline, turns are sized from the measured instructions per tick, and -icount's count is
 * 2^shift ns per instruction.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtBoard } from "../../src/boards/virt/virt.js";
import { AutoInstructionCounter, COUNTER_FREQUENCY_HZ, createSystemCounter, HostTimeCounter, InstructionCounter } from "../../src/devices/system-counter.js";

const LOAD = 0x4008_0000;
const B_SELF = 0x14000000;

function spinningBoard(hostNow: () => number, clock?: VirtBoard["options"]["clock"]): VirtBoard {
  const b = new VirtBoard({ ramSize: 16 << 20, cpus: 1, gicVersion: 3, virtualization: false, uartTx: () => {}, clock, hostNow });
  const code = new Uint8Array(4);
  new DataView(code.buffer).setUint32(0, B_SELF, true);
  b.load({ isLinux: false, entry: LOAD, loads: [{ addr: LOAD, data: code, zeroFill: 0 }] }, undefined);
  return b;
}

const read = (b: VirtBoard, name: string): number => {
  const cpu = b.cpus[0];
  b.cpus[0].sysregs.get(name)!.read!(cpu);
  return (cpu.srHi >>> 0) * 2 ** 32 + (cpu.srLo >>> 0);
};

test("host time: the count starts at 0 and follows the host clock at 62.5 MHz", () => {
  let ms = 5000;
  const c = new HostTimeCounter(() => ms);
  assert.equal(c.now(), 0, "the machine's time starts when it is first read");
  ms += 2;
  assert.equal(c.now(), 2 * COUNTER_FREQUENCY_HZ / 1000);
  ms += 1000;
  assert.equal(c.now(), 1002 * COUNTER_FREQUENCY_HZ / 1000);
  assert.equal(c.idleTime, "host");
});

test("host time: a host clock that steps back does not move the count back", () => {
  let ms = 100;
  const c = new HostTimeCounter(() => ms);
  c.now();
  ms = 110;
  const high = c.now();
  ms = 105;
  assert.equal(c.now(), high);
  ms = 120;
  assert.ok(c.now() > high);
});

test("host time on a board: CNTVCT reads host time and a timer fires once host time passes its deadline", () => {
  let ms = 0;
  const b = spinningBoard(() => ms);
  assert.equal(read(b, "CNTVCT_EL0"), 0);
  ms = 1;
  assert.equal(read(b, "CNTVCT_EL0"), 62_500, "1 ms of host time is 62500 ticks");
  const cpu = b.cpus[0];
  b.cpus[0].sysregs.get("CNTV_TVAL_EL0")!.write!(cpu, 6250, 0); // 100 us ahead
  b.cpus[0].sysregs.get("CNTV_CTL_EL0")!.write!(cpu, 1, 0);
  assert.equal(b.timer.nextDeadline(), 62_500 + 6250);
  // Instructions alone move nothing: the CPU spins while host time stands still.
  b.run(50_000);
  assert.equal(read(b, "CNTV_CTL_EL0") & 4, 0, "not yet due");
  ms = 1.05;
  b.run(1000);
  assert.equal(read(b, "CNTV_CTL_EL0") & 4, 0, "still 50 us to go");
  ms = 1.1;
  b.run(1000);
  assert.equal(read(b, "CNTV_CTL_EL0") & 4, 4, "ISTATUS once host time reached the deadline");
});

test("host time: turns are sized from the instructions per tick measured so far", () => {
  // A host where every 100 instructions take 1 us: 1.6 instructions per tick.
  let board: VirtBoard | undefined;
  const hostNow = () => (board ? board.cpus[0].icount / 100_000 : 0);
  board = spinningBoard(hostNow);
  board.run(200_000);
  const perTick = board.clock.instructionsFor(10_000) / 10_000;
  assert.ok(perTick > 1.2 && perTick < 1.6, `about 0.9 x 1.6 instructions per tick, got ${perTick}`);
  // A deadline 1000 ticks ahead: the turn stops just short of it rather than running a quantum.
  const cpu = board.cpus[0];
  board.cpus[0].sysregs.get("CNTV_TVAL_EL0")!.write!(cpu, 1000, 0);
  board.cpus[0].sysregs.get("CNTV_CTL_EL0")!.write!(cpu, 1, 0);
  const deadline = board.timer.nextDeadline()!;
  let turns = 0;
  while ((read(board, "CNTV_CTL_EL0") & 4) === 0 && turns < 100) { board.run(1); turns++; }
  assert.ok(turns > 1 && turns < 100, `the deadline was reached in ${turns} short turns`);
  const overshoot = board.clock.now() - deadline;
  assert.ok(overshoot >= 0 && overshoot < 200, `fired ${overshoot} ticks after its deadline (a quantum would be ${4000 / 1.6})`);
});

test("-icount shift=N: 2^N ns per instruction, shift 4 is one tick each", () => {
  const cpu = { icount: 0 };
  for (const [shift, perInsn] of [[0, 1 / 16], [3, 0.5], [4, 1], [10, 64]] as const) {
    const c = createSystemCounter({ mode: "icount", shift, sleep: true });
    assert.ok(c instanceof InstructionCounter);
    cpu.icount = 0;
    c.beginSlice(cpu);
    cpu.icount = 1600;
    c.endSlice();
    assert.equal(c.now(), 1600 * perInsn, `shift ${shift}`);
    assert.equal(c.instructionsFor(64), Math.ceil(64 / perInsn));
    assert.deepEqual(c.spec, { mode: "icount", shift, sleep: true });
  }
  assert.throws(() => createSystemCounter({ mode: "icount", shift: 11, sleep: true }), RangeError);
  assert.equal(createSystemCounter({ mode: "icount", shift: 4, sleep: true }).idleTime, "paced");
  assert.equal(createSystemCounter({ mode: "icount", shift: 4, sleep: false }).idleTime, "warp");
});

test("-icount: the count moves only with instructions and idle advances, never backwards", () => {
  const b = spinningBoard(() => { throw new Error("the host clock is not read under -icount"); }, { mode: "icount", shift: 4, sleep: true });
  b.run(10_000);
  const t = read(b, "CNTVCT_EL0");
  assert.ok(t >= 10_000, "ran its budget");
  assert.equal(t, b.cpus[0].icount, "one tick per instruction");
  b.advanceIdle(5);
  assert.equal(read(b, "CNTVCT_EL0"), t, "not backwards");
  b.advanceIdle(t + 500);
  assert.equal(read(b, "CNTVCT_EL0"), t + 500);
});

test("-icount auto: the shift moves toward host time, the count stays continuous", () => {
  let ms = 0;
  const c = new AutoInstructionCounter(true, () => ms);
  const cpu = { icount: 0 };
  const slice = (instructions: number, hostMs: number) => {
    c.beginSlice(cpu);
    cpu.icount += instructions;
    ms += hostMs;
    const before = c.now();
    c.endSlice();
    assert.equal(c.now(), before, "continuous across an adjustment");
  };
  assert.equal(c.currentShift, 3);
  // A slow CPU: 1 M instructions per 100 ms of host time at 8 ns each is 8 ms of counter time.
  for (let i = 0; i < 5; i++) slice(1_000_000, 100);
  assert.ok(c.currentShift > 3, `falls behind host time: shift up (${c.currentShift})`);
  // A fast one: 1 G instructions per 100 ms.
  const high = c.currentShift;
  for (let i = 0; i < 12; i++) slice(1_000_000_000, 100);
  assert.ok(c.currentShift < high, `runs ahead: shift down (${c.currentShift})`);
  assert.deepEqual(c.spec, { mode: "icount", shift: "auto", sleep: true });
});
