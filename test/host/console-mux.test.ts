/** The console multiplexer: switching keys, kept output, labelled log lines, network clients. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConsoleMux, KEEP_BYTES } from "../../src/host/console-mux.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder("latin1").decode(c)).join("");

function setup(interactive: boolean) {
  const screen: Uint8Array[] = [];
  const typed: string[][] = [[], [], []];
  let quits = 0;
  const mux = new ConsoleMux(["hv", "p1-linux", "p2-rtos"].map((label, i) => ({ label, input: (b: Uint8Array) => typed[i].push(dec([b])) })),
    { interactive, write: (b) => screen.push(b.slice()) }, () => { quits++; });
  return { mux, screen, typed, quits: () => quits };
}

test("interactive: only the console on screen prints; the others are kept and shown on switching", () => {
  const { mux, screen } = setup(true);
  mux.output(0, enc("HV> "));
  mux.output(1, enc("linux line 1\r\n"));
  mux.output(2, enc("rtos tick\r\n"));
  assert.equal(dec(screen), "HV> ");
  mux.terminalInput(Uint8Array.from([1, 0x31])); // Ctrl-A 1
  assert.equal(mux.screen, 1);
  assert.match(dec(screen), /--- console 1: p1-linux \(Ctrl-A 0-2 switches\) ---\r\nlinux line 1\r\n$/);
  mux.output(1, enc("linux line 2\r\n"));
  assert.match(dec(screen), /linux line 2\r\n$/);
  mux.terminalInput(Uint8Array.from([1, 1, 1])); // Ctrl-A three times: the next console
  assert.equal(mux.screen, 2);
  assert.match(dec(screen), /console 2: p2-rtos.*\r\nrtos tick\r\n$/s);
});

test("interactive: typed bytes go to the console on screen; Ctrl-A Ctrl-A X sends Ctrl-A and X; Ctrl-A X quits", () => {
  const { mux, typed, quits } = setup(true);
  mux.terminalInput(enc("info\r"));
  mux.terminalInput(Uint8Array.from([1, 0x32]));
  mux.terminalInput(enc("led on\r"));
  mux.terminalInput(Uint8Array.from([1, 1, 0x78]));
  assert.deepEqual(typed[0], ["info\r"]);
  assert.deepEqual(typed[2], ["led on\r", "\u0001x"]);
  assert.equal(quits(), 0);
  mux.terminalInput(Uint8Array.from([1, 0x78]));
  assert.equal(quits(), 1);
});

test("interactive: a console that prints a lot while hidden keeps its last 64 KiB and says how much it dropped", () => {
  const { mux, screen } = setup(true);
  for (let i = 0; i < 100; i++) mux.output(1, new Uint8Array(1024).fill(0x41 + (i % 26)));
  mux.switchTo(1);
  const text = dec(screen);
  assert.match(text, new RegExp(`console 1: p1-linux, ${100 * 1024 - KEEP_BYTES} earlier bytes not kept`));
  assert.equal(text.length - text.indexOf("---\r\n", 10) - 5, KEEP_BYTES);
});

test("log: every console's lines as [label] text, partial lines joined, unfinished ones printed at the end", () => {
  const { mux, screen } = setup(false);
  mux.output(1, enc("Booting Li"));
  mux.output(2, enc("rtos: ready\r\nrtos> "));
  mux.output(1, enc("nux\r\nsecond\n"));
  mux.hvMessage("p2-rtos restarted");
  mux.finish();
  assert.equal(dec(screen), "[p2-rtos] rtos: ready\n[p1-linux] Booting Linux\n[p1-linux] second\n[hv] p2-rtos restarted\n[p2-rtos] rtos> \n");
});

test("network clients get their console's raw stream and type into it, whatever is on screen", () => {
  const { mux, typed } = setup(true);
  const got: Uint8Array[] = [];
  const detach = mux.attachClient(2, { write: (b) => got.push(b.slice()) });
  mux.output(2, enc("tick\r\n"));
  mux.output(1, enc("not mine\r\n"));
  mux.clientInput(2, enc("status\r"));
  detach();
  mux.output(2, enc("after detach\r\n"));
  assert.equal(dec(got), "tick\r\n");
  assert.deepEqual(typed[2], ["status\r"]);
});
