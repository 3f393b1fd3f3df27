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
