/** HV>: Topaz's info columns, partition commands by label, node name or number, mem and errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HvShell, PROMPT, type HvControl, type PartitionInfo } from "../../src/hypervisor/shell.js";

function fake() {
  const parts: PartitionInfo[] = [
    { id: 1, name: "part1", label: "p1-linux", state: "running", vcpus: 2, pcpus: [0, 1], memoryBytes: 512 << 20 },
    { id: 2, name: "part2", label: "p2-rtos", state: "running", vcpus: 1, pcpus: [2], memoryBytes: 64 << 20 },
  ];
  let quit = false;
  const set = (state: PartitionInfo["state"]) => (id: number) => { parts[id - 1].state = state; return undefined; };
  const control: HvControl = {
    partitions: () => parts,
    start: set("running"), stop: set("stopped"), restart: set("running"), pause: set("paused"), resume: set("running"),
    stats: () => [{ id: 1, label: "p1-linux", exits: { hvc: 3, dabt: 10 } as Record<string, number>, instructions: [100, 200] },
      { id: 2, label: "p2-rtos", exits: { wfx: 7 } as Record<string, number>, instructions: [50] }],
    guestDts: (id) => `/dts-v1/;\n/ { model = "p${id}"; };\n`,
    readGuestMemory: (_id, addr, length) => (addr < 0x40000000 ? "0x0 is outside its memory" : Uint8Array.from({ length }, (_, i) => (addr + i) & 0xff)),
    quit: () => { quit = true; },
  };
  let out = "";
  const shell = new HvShell(control, (t) => { out += t; });
  return { shell, parts, read: () => { const o = out; out = ""; return o; }, quitted: () => quit };
}

const type = (shell: HvShell, s: string) => shell.input(new TextEncoder().encode(s));

test("info lists Topaz's columns", () => {
  const { shell, read } = fake();
  type(shell, "info\r");
  assert.equal(read(), "Partition  Name      State    Vcpus  pCPUs  Memory\r\n1          p1-linux  running  2      0,1    512 MiB\r\n2          p2-rtos   running  1      2      64 MiB\r\n" + PROMPT);
});

test("stop, start, pause, resume by label, node name or number; unknown names listed", () => {
  const { shell, parts, read } = fake();
  type(shell, "stop p2-rtos\r");
  assert.equal(parts[1].state, "stopped");
  assert.match(read(), /^p2-rtos: stopped\r\n/);
  type(shell, "pause part1\rresume 1\r");
  assert.match(read(), /^p1-linux: paused\r\nHV> p1-linux: running\r\n/);
  type(shell, "start nobody\r");
  assert.match(read(), /^start: no partition 'nobody' \(p1-linux, p2-rtos\)\r\n/);
  type(shell, "frobnicate\r\n");
  assert.match(read(), /^unknown command 'frobnicate' \(try help\)\r\nHV> $/);
});

test("stats, dtb and mem", () => {
  const { shell, read } = fake();
  type(shell, "stats\r");
  assert.equal(read().split("\r\n")[0], "Partition  Name      dabt  hvc  wfx  instructions per vCPU");
  type(shell, "dtb 2\r");
  assert.match(read(), /model = "p2"/);
  type(shell, "mem p1-linux 0x40000000 20\r");
  assert.match(read(), /^0040000000: 00 01 02 .* 0f  \.{16}\r\n0040000010: 10 11 12 13 {38}\.{4}\r\n/);
  type(shell, "mem p1-linux 0 4\r");
  assert.match(read(), /^mem p1-linux: 0x0 is outside its memory/);
  type(shell, "mem p1-linux 0x40000000 99999\r");
  assert.match(read(), /^mem: LEN is 1 to 4096/);
});

test("quit stops every partition and ends the shell", () => {
  const { shell, read, quitted } = fake();
  type(shell, "quit\rinfo\r");
  assert.equal(read(), "stopping every partition\r\n");
  assert.ok(quitted());
  assert.ok(shell.isEnded);
});
