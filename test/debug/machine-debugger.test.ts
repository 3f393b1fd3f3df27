/**
 * The machine's debug control on a bare CPU: a breakpoint stops exactly at its address also
 * once the loop it is in runs as a compiled block, a watchpoint stops before the store with the
 * PC at the storing instruction, resuming does not stop again where it stopped, a step runs one
 * instruction, and without breakpoints or watchpoints the CPU runs whole turns again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MachineDebugger, type StopEvent } from "../../src/debug/machine-debugger.js";
import { loadWords, makeCpu, RAM_BASE } from "../cpu/make-cpu.js";

const DATA = RAM_BASE + 0x100000;
// loop: add x0, x0, #1; str x0, [x1]; add x2, x2, #1; b loop
const LOOP = [0x91000400, 0xf9000020, 0x91000442, 0x17fffffd];

function setUp() {
  const m = makeCpu();
  loadWords(m, RAM_BASE, LOOP);
  m.cpu.pcLo = RAM_BASE; m.cpu.pcHi = 0;
  m.cpu.x[1 * 2] = DATA; // x1: where the loop stores
  let stopRequests = 0;
  const debug = new MachineDebugger({
    cpus: [m.cpu], bus: m.bus, requestStop: () => { stopRequests++; }, step: (cpu) => { cpu.debugStep(); },
  }, true);
  const stops: StopEvent[] = [];
  debug.onStop = (s) => stops.push(s);
  return { ...m, debug, stops, stopRequests: () => stopRequests };
}

test("a breakpoint inside a compiled loop stops exactly at its address", () => {
  const { cpu, debug, stops, stopRequests } = setUp();
  debug.resume();
  // 16 passes compile the loop (DEFAULT_JIT_THRESHOLDS.loops); run far past that.
  assert.equal(cpu.run(4000), 4000);
  const passes = cpu.x[4];
  debug.interrupt(2);
  debug.addBreakpoint(BigInt(RAM_BASE + 8));
  debug.resume();
  const ran = cpu.run(100000);
  assert.ok(ran < 4, `stopped within one pass, ran ${ran}`);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 8);
  assert.equal(cpu.debugStopped, "breakpoint");
  assert.deepEqual(stops, [{ cpu: 0, signal: 5 }]);
  assert.equal(stopRequests(), 1);
  assert.equal(debug.running, false);
  // Resuming runs the instruction it stopped at and stops there again one pass later.
  debug.resume();
  assert.equal(cpu.run(100000), 4);
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 8);
  assert.equal(cpu.x[4], passes + 1, "one more pass");
});

test("a write watchpoint stops before the store, with the PC at the store; a step then makes it", () => {
  const { cpu, bus, debug, stops } = setUp();
  debug.resume();
  cpu.run(4000);
  debug.interrupt(2);
  const before = bus.read(DATA, 8, 0);
  debug.addWatchpoint(BigInt(DATA), 8, "write");
  debug.addWatchpoint(BigInt(DATA + 64), 8, "read");
  debug.resume();
  cpu.run(100000);
  assert.equal(cpu.debugStopped, "watchpoint");
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 4);
  assert.deepEqual(stops.at(-1), { cpu: 0, signal: 5, watch: { kind: "write", addr: BigInt(DATA) } });
  assert.equal(bus.read(DATA, 8, 0), before, "the store has not happened");
  debug.removeWatchpoint(BigInt(DATA), 8, "write");
  assert.deepEqual(debug.step(0), { cpu: 0, signal: 5 });
  assert.equal(cpu.pcLo >>> 0, RAM_BASE + 8);
  assert.equal(bus.read(DATA, 8, 0), BigInt(cpu.x[0]), "the step made the store");
  assert.equal(debug.removeWatchpoint(BigInt(DATA), 8, "write"), false, "already removed");
});

test("after detaching, the CPU runs whole turns again", () => {
  const { cpu, debug } = setUp();
  debug.addBreakpoint(BigInt(RAM_BASE));
  debug.detach();
  assert.equal(cpu.run(10000), 10000);
});

test("memory through the CPU's translation: reads and writes of RAM, faults outside it", () => {
  const { cpu, debug } = setUp();
  assert.equal(debug.writeMemory(cpu, BigInt(DATA), Uint8Array.of(1, 2, 3)), true);
  assert.deepEqual(debug.readMemory(cpu, BigInt(DATA), 3), Uint8Array.of(1, 2, 3));
  assert.deepEqual(debug.readMemory(cpu, BigInt(RAM_BASE), 4), Uint8Array.of(0x00, 0x04, 0x00, 0x91));
  assert.equal(debug.readMemory(cpu, 0x1000n, 4), undefined, "nothing mapped there");
  assert.equal(debug.readMemory(cpu, 1n << 48n, 4), undefined, "beyond the physical address range with the MMU off");
});
