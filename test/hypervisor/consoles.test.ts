/**
 * HV> and the partition consoles on TCP ports, driven by a real TCP client while `tessera hv`
 * runs: HV> info over console-port, a command typed into the RTOS partition's console on
 * console-port + 1 and its answer, then HV> quit ends the hypervisor with exit 0.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { freePortRange } from "../harness/ports.js";
import { oracleMissing } from "../harness/oracles.js";
import { TESSERA_CLI } from "../harness/paths.js";

const skip = oracleMissing(missingTools({ compiler: true, qemu: false }) ?? false);


function client(port: number) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (d) => { received += d.toString("latin1"); });
  socket.on("error", () => {});
  return {
    socket,
    until: (pattern: RegExp, ms = 60000) => new Promise<string>((resolve, reject) => {
      const t0 = Date.now();
      const check = () => {
        if (pattern.test(received)) resolve(received);
        else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(received)}`));
        else setTimeout(check, 20);
      };
      check();
    }),
  };
}

test("HV> and a partition console over TCP; HV> quit ends tessera hv with exit 0", { skip, timeout: 120000 }, async () => {
  buildGuests(["rtos-partition"]);
  const base = await freePortRange(2);
  const dir = mkdtempSync(join(tmpdir(), "tessera-consoles-"));
  const config = join(dir, "rtos.dts");
  writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <1>; memory-size = <0x0 0x40000000>; console-port = <${base}>; };
  pr: pr { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  shm: shm { compatible = "phys-mem-area"; addr = <0x0 0x70000000>; size = <0x0 0x00100000>; };
  partitions {
    rtos { compatible = "partition"; label = "p1-rtos"; cpus = <0 1>; guest-image = "${guestPath("rtos-partition")}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pr>; guest-addr = <0x0 0x40000000>; };
      shm { compatible = "guest-phys-mem-area"; phys-mem = <&shm>; guest-addr = <0x0 0x70000000>; }; };
  };
};
`);
  const hvProcess = spawn(process.execPath, [TESSERA_CLI, "hv", config, "--watchdog", "100"], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  hvProcess.stdout.on("data", (d) => { stdout += d.toString(); });
  const exited = new Promise<number | null>((resolve) => hvProcess.on("close", (code) => resolve(code)));
  // The ports open before the partitions start; retry until they accept.
  const open = async (port: number) => {
    for (let i = 0; i < 100; i++) {
      const c = client(port);
      const ok = await new Promise<boolean>((resolve) => { c.socket.once("connect", () => resolve(true)); c.socket.once("error", () => resolve(false)); });
      if (ok) return c;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`port ${port} never accepted`);
  };
  try {
    const hv = await open(base);
    const rtos = await open(base + 1);
    await new Promise((r) => setTimeout(r, 500));
    hv.socket.write("info\r");
    const info = await hv.until(/1\s+p1-rtos\s+running\s+1\s+0\s+64 MiB\r\nHV> /);
    assert.match(info, /Partition\s+Name\s+State\s+Vcpus\s+pCPUs\s+Memory/);
    // The RTOS prints its banner before anyone connects; its prompt answers a command.
    await new Promise((r) => setTimeout(r, 1000));
    rtos.socket.write("tasks\r");
    await rtos.until(/rtos> tasks: 0 idle\/0, blink\/1, console\/2, mailbox\/3\r?\n/);
    rtos.socket.write("led on\r");
    await rtos.until(/rtos> led on: 0 led on/);
    hv.socket.write("quit\r");
    await hv.until(/stopping every partition/);
    assert.equal(await exited, 0, stdout);
    assert.match(stdout, /^\[p1-rtos\] rtos> tasks: 0 idle\/0, blink\/1, console\/2, mailbox\/3$/m, "the log shows the console too");
    hv.socket.destroy(); rtos.socket.destroy();
  } finally {
    hvProcess.kill("SIGKILL");
  }
});
