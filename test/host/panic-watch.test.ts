/**
 * The console panic watch shared by `tessera run` and `tessera hv`: the message is the whole
 * rest of the panic line however the output is split (a partition's UART hands it over a byte
 * at a time), the grace period runs from when it was seen, and the report starts a few lines
 * before the panic.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PANIC_GRACE_MS, PanicWatch } from "../../src/host/panic-watch.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const OUTPUT = Array.from({ length: 12 }, (_, i) => `[    0.${i}] line ${i}\r\n`).join("") +
  "[    1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300\r\n[    1.1] CPU: 0 PID: 1\r\n";

test("a panic fed a byte at a time is seen with its whole message", () => {
  const w = new PanicWatch();
  for (const b of bytes(OUTPUT)) w.feed(Uint8Array.of(b));
  assert.equal(w.panic, "Attempted to kill init! exitcode=0x00000300");
  assert.equal(w.bytes, bytes(OUTPUT).length);
  const lines = w.lastLines(15).split("\n");
  assert.equal(lines[0], "[    0.7] line 7", "five lines before the panic");
  assert.equal(lines.at(-1), "[    1.1] CPU: 0 PID: 1");
});

test("finished once stopped, or once the grace period is over; reset forgets it", () => {
  const w = new PanicWatch();
  w.feed(bytes(OUTPUT));
  const seen = w.panicSeenAt!;
  assert.equal(w.panicFinished(false, seen + PANIC_GRACE_MS - 1), false);
  assert.equal(w.panicFinished(false, seen + PANIC_GRACE_MS + 1), true);
  assert.equal(w.panicFinished(true, seen), true);
  w.reset();
  assert.equal(w.panic, undefined);
  assert.equal(w.panicFinished(true), false);
});

test("no panic: the last lines, and an unfinished line counts once the guest has stopped", () => {
  const w = new PanicWatch();
  w.feed(bytes("a\nb\nc\nKernel panic - not syncing: no newline yet"));
  assert.equal(w.panic, undefined, "the line has not ended");
  assert.equal(w.lastLines(2), "c\nKernel panic - not syncing: no newline yet");
  assert.equal(w.panicFinished(true), true);
  assert.equal(w.panic, "no newline yet");
});
