/** Console ports driven by a real TCP client: raw output per console, input into it, a busy port refused. */
import { connect, createServer } from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConsoleMux } from "../../src/host/console-mux.js";
import { openConsolePorts } from "../../src/cli/console-ports.js";
import { UsageError } from "../../src/cli/args.js";
import { freePortRange } from "../harness/ports.js";


function client(port: number) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (d) => { received += d.toString("latin1"); });
  return {
    socket,
    ready: new Promise<void>((resolve) => socket.once("connect", () => resolve())),
    received: () => received,
    until: (text: string) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(received)}`)), 5000);
      const check = () => { if (received.includes(text)) { clearTimeout(t); resolve(); } else setTimeout(check, 5); };
      check();
    }),
  };
}

test("each console on its own port: raw output to its clients, their input to it", async () => {
  const typed: string[][] = [[], [], []];
  const mux = new ConsoleMux(["hv", "p1", "p2"].map((label, i) => ({ label, input: (b: Uint8Array) => typed[i].push(Buffer.from(b).toString("latin1")) })),
    { interactive: true, write: () => {} }, () => {});
  const base = await freePortRange(3);
  const ports = await openConsolePorts(mux, base, 3);
  try {
    assert.deepEqual(ports.ports, [base, base + 1, base + 2]);
    const hv = client(base), p2 = client(base + 2);
    await Promise.all([hv.ready, p2.ready]);
    await new Promise((r) => setTimeout(r, 50));
    mux.output(0, new TextEncoder().encode("HV> "));
    mux.output(2, Uint8Array.from([0x72, 0x74, 0x6f, 0x73, 0x0d, 0x0a, 0x00, 0xff]));
    await hv.until("HV> ");
    await p2.until("rtos\r\n");
    assert.equal(p2.received(), "rtos\r\n\u0000\u00ff");
    assert.equal(hv.received(), "HV> ");
    p2.socket.write("led on\r");
    hv.socket.write("info\r");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(typed[2].join(""), "led on\r");
    assert.equal(typed[0].join(""), "info\r");
    hv.socket.destroy(); p2.socket.destroy();
  } finally {
    await ports.close();
  }
});

test("a console port already in use is one clear error", async () => {
  const base = await freePortRange(2);
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(base + 1, "127.0.0.1", () => resolve()));
  const mux = new ConsoleMux([{ label: "hv", input: () => {} }, { label: "p1", input: () => {} }], { interactive: true, write: () => {} }, () => {});
  try {
    await assert.rejects(openConsolePorts(mux, base, 2), (e: unknown) => e instanceof UsageError && e.message === `console port ${base + 1} (console 1): already in use`);
    // The first port was released again.
    const again = await openConsolePorts(mux, base, 1);
    await again.close();
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
});

test("a partition's console port replays what it printed while nobody read; HV> starts fresh", async () => {
  const { ConsoleReaders } = await import("../../src/host/console-readers.js");
  const typed: string[] = [];
  const mux = new ConsoleMux(["hv", "p1"].map((label) => ({ label, input: (b: Uint8Array) => typed.push(Buffer.from(b).toString("latin1")) })),
    { interactive: true, write: () => {} }, () => {});
  const readers = new ConsoleReaders();
  const print = (index: number, text: string) => { const b = new TextEncoder().encode(text); mux.output(index, b); if (index > 0) readers.output(index, b); };
  const base = await freePortRange(2);
  const ports = await openConsolePorts(mux, base, 2, undefined, (i) => (i === 0 ? undefined : (write, ended) => readers.attach(mux, i, write, ended)));
  try {
    print(0, "HV> early ");
    print(1, "boot log\r\n");
    const hv = client(base), p1 = client(base + 1);
    await Promise.all([hv.ready, p1.ready]);
    await p1.until("boot log\r\n");
    print(1, "login: ");
    await p1.until("login: ");
    assert.equal(p1.received(), "boot log\r\nlogin: ", "replayed once, then live");
    p1.socket.write("root\n");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(typed.join(""), "root\n");
    print(0, "HV> ");
    await hv.until("HV> ");
    assert.equal(hv.received(), "HV> ", "HV> output before the connection is not replayed");
    // Read once: a second reader gets only what came after the first left.
    p1.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    print(1, "after\r\n");
    const again = client(base + 1);
    await again.until("after\r\n");
    assert.equal(again.received(), "after\r\n");
    again.socket.destroy(); hv.socket.destroy();
  } finally {
    await ports.close();
  }
});
