/**
 * The gdb stub against QEMU's: the same gdb-multiarch session (batch mode) is run against
 * `qemu-system-aarch64 ... -gdb tcp::PORT -S` and `tessera run ... -gdb tcp::PORT -S` on the
 * gdb test guest (tests/guests/gdb), and gdb must print the same thing for both: breakpoints,
 * registers, memory (and its faults), single steps, watchpoints with their old and new values,
 * the CPUs as threads, a register set, and the guest's exit. The protocol's edges that gdb's
 * output does not show (Ctrl-C, malformed packets, no-ack mode, kill) are checked on the wire.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";
import { commandExists, runProcess } from "../harness/process.js";
import { expectOneLineError } from "../cli/expect.js";
import { parseRunArgs } from "../../src/cli/args.js";

const GDB = process.env.GDB ?? "gdb-multiarch";
const missing = missingTools() ?? (commandExists(GDB) ? null : `not installed: ${GDB}`);
const skip = oracleMissing(missing ? `the gdb stub tests need QEMU, the cross compiler and gdb-multiarch (${missing})` : false);
const LIMIT_MS = 30000;

/** An emulator started with its gdb stub on `port`, killed when the test is over (or its time is up). */
function startEmulator(kind: "qemu" | "tessera", port: number, extra: string[]): ChildProcess {
  const elf = guestPath("gdb");
  const child = kind === "qemu"
    ? spawn(QEMU, ["-M", "virt", "-cpu", "cortex-a53", "-nographic", "-nodefaults", "-serial", "stdio", "-kernel", elf, "-gdb", `tcp::${port}`, ...extra],
      { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, [TESSERA_CLI, "run", "-kernel", elf, "-gdb", `tcp::${port}`, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), LIMIT_MS);
  child.on("exit", () => clearTimeout(timer));
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/** gdb's output for `commands` against the stub on `port` (gdb retries until the stub listens). */
async function gdbSession(port: number, commands: string[]): Promise<string> {
  const args = ["-batch", "-nx", "-ex", "set tcp auto-retry on", "-ex", "set tcp connect-timeout 20", "-ex", `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push("-ex", c);
  const r = await runProcess(GDB, [...args, guestPath("gdb")], { timeoutMs: LIMIT_MS });
  assert.ok(!r.timedOut, `gdb timed out:\n${r.stdout.toString()}${r.stderr}`);
  return r.stdout.toString() + r.stderr;
}

/** The same session against QEMU and Tessera. */
async function bothSessions(extra: string[], commands: string[]): Promise<{ qemu: string; tessera: string }> {
  const base = await freePortRange(2);
  const q = startEmulator("qemu", base, extra), t = startEmulator("tessera", base + 1, extra);
  try {
    const [qemu, tessera] = await Promise.all([gdbSession(base, commands), gdbSession(base + 1, commands)]);
    return { qemu, tessera };
  } finally {
    q.kill("SIGKILL"); t.kill("SIGKILL");
  }
}

describe("gdb stub: gdb-multiarch against QEMU and Tessera", { skip }, () => {
  before(() => { buildGuests(["gdb"]); });

  test("break, registers, memory, stepi, watch, threads with -smp 2, set a register, continue to the end", async () => {
    const { qemu, tessera } = await bothSessions(["-smp", "2", "-S"], [
      "info threads", "break add_up", "continue",
      "info registers x0 x1 x2 x3 x19 x29 x30 sp pc cpsr fpsr fpcr",
      "x/4xw $pc", "x/2xg 0", "x/2xg 0x0b000000", "stepi", "info registers pc",
      "watch watched", "continue", "continue", "info threads",
      "delete", "set $x0 = 5", "p $x0", "p/x $v0.d.u", "x/2i $pc", "p/x $VBAR", "p/x $TCR_EL1", "p/x $CPACR", "p/x $MAIR_EL1", "p/x $ESR_EL1", "p/x $MIDR_EL1",
      "thread 2", "info registers pc", "thread 1", "continue",
    ]);
    // The things that must happen at all, so that two broken stubs cannot agree.
    for (const want of ["Thread 1.2 (CPU#1 [halted ])", "Thread 1 hit Breakpoint 1, add_up (n=n@entry=10)", "x0             0xa",
      "Cannot access memory at address 0xb000000", "Hardware watchpoint 2: watched", "New value = 4369", "New value = 8738",
      "park_secondary ()", "$1 = 5", "[Inferior 1 (process 1) exited normally]"]) {
      assert.ok(qemu.includes(want), `QEMU's session lacks ${JSON.stringify(want)}:\n${qemu}`);
    }
    assert.equal(tessera, qemu);
  });

  test("a breakpoint hit by the second CPU switches gdb to its thread", async () => {
    const { qemu, tessera } = await bothSessions(["-smp", "2", "-S"], [
      "break park_secondary", "continue", "info threads", "backtrace", "info registers x0 x19 sp pc", "delete", "continue",
    ]);
    for (const want of ["[Switching to Thread 1.2]", "Thread 2 hit Breakpoint 1, park_secondary ()", "* 2    Thread 1.2 (CPU#1 [running])"]) {
      assert.ok(qemu.includes(want), `QEMU's session lacks ${JSON.stringify(want)}:\n${qemu}`);
    }
    // Where CPU 0 is while it waits for CPU 1 depends on how the two interleave: still on its
    // way back from PSCI CPU_ON, or in main's two-instruction wait (QEMU runs the CPUs in
    // threads of their own, so both are seen there).
    const spin = (s: string) => s.replace(/(Thread 1\.1 \(CPU#0 \[running\]\) )0x[0-9a-f]{16} in (?:main \(\) at \S+|psci_call \(\))/,
      "$1(waiting for CPU 1)");
    assert.match(spin(tessera), /Thread 1\.1 \(CPU#0 \[running\]\) \(waiting for CPU 1\)/);
    assert.equal(spin(tessera), spin(qemu));
  });

  test("hardware breakpoints, read and access watchpoints, stepping over a line", async () => {
    const { qemu, tessera } = await bothSessions(["-S"], [
      "hbreak main", "continue", "next", "rwatch result", "awatch watched", "continue", "continue",
      "info registers pc", "delete", "continue",
    ]);
    for (const want of ["Hardware assisted breakpoint 1 at", "Hardware access (read/write) watchpoint 3: watched\n\nOld value = 0",
      "[Inferior 1 (process 1) exited normally]"]) {
      assert.ok(qemu.includes(want), `QEMU's session lacks ${JSON.stringify(want)}:\n${qemu}`);
    }
    assert.equal(tessera, qemu);
  });
});

describe("gdb stub: tessera hv --gdb LABEL:PORT debugs one partition while the others run", { skip }, () => {
  before(() => { buildGuests(["gdb", "hello"]); });

  test("break, watch and threads in the partition; the other partition runs to its end meanwhile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-hv-gdb-"));
    const config = join(dir, "hv.dts");
    writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x80000000>; };
  pma1: pma1 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x08000000>; };
  pma2: pma2 { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x04000000>; };
  partitions {
    part1 { compatible = "partition"; label = "dbg"; cpus = <0 2>; guest-image = "${guestPath("gdb")}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pma1>; guest-addr = <0x0 0x40000000>; }; };
    part2 { compatible = "partition"; label = "other"; cpus = <2 1>; guest-image = "${guestPath("hello")}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pma2>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
    const port = await freePortRange(1);
    // Standard input stays open: its end would end HV>, and with it the hypervisor.
    const hv = spawn(process.execPath, [TESSERA_CLI, "hv", config, "--gdb", `dbg:${port}`], { stdio: ["pipe", "pipe", "pipe"] });
    const timer = setTimeout(() => hv.kill("SIGKILL"), LIMIT_MS);
    let output = "";
    hv.stdout!.on("data", (d: Buffer) => { output += d.toString(); });
    hv.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => hv.on("exit", (code) => { clearTimeout(timer); resolve(code); }));
    try {
      const out = await gdbSession(port, ["info threads", "break add_up", "continue", "info registers x0 pc", "watch watched", "continue", "delete", "continue"]);
      for (const want of ["Thread 1.1 (CPU#0 [running])", "Thread 1.2 (CPU#1 [halted ])", "Thread 1 hit Breakpoint 1, add_up (n=n@entry=10)", "x0             0xa                 10",
        "pc             0x400800d8          0x400800d8 <add_up>", "Old value = 0\nNew value = 4369", "[Inferior 1 (process 1) exited normally]"]) {
        assert.ok(out.includes(want), `gdb's session lacks ${JSON.stringify(want)}:\n${out}`);
      }
      hv.stdin!.end();
      assert.equal(await exited, 0, output);
      assert.match(output, /\[other\] hello: done/);
      assert.match(output, /\[dbg\] gdb: result 55, watched 3333, cpu1 on/);
    } finally { hv.kill("SIGKILL"); }
  });
});

/** A raw protocol client: packets with checksums, replies as strings. */
class Wire {
  private buffer = "";
  private waiting: (() => void) | undefined;
  constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => { this.buffer += d.toString("latin1"); this.waiting?.(); });
  }
  static packet(body: string): string {
    let sum = 0;
    for (const c of body) sum = (sum + c.charCodeAt(0)) & 0xff;
    return `$${body}#${sum.toString(16).padStart(2, "0")}`;
  }
  send(raw: string): void { this.socket.write(Buffer.from(raw, "latin1")); }
  /** The next reply packet's body, skipping acknowledgments. */
  async reply(): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const m = /^\+*\$([^#]*)#[0-9a-f]{2}/.exec(this.buffer);
      if (m) { this.buffer = this.buffer.slice(m[0].length); return m[1]; }
      await new Promise<void>((resolve) => { this.waiting = resolve; setTimeout(resolve, 50); });
    }
    throw new Error(`no reply; received ${JSON.stringify(this.buffer)}`);
  }
  async ask(body: string): Promise<string> { this.send(Wire.packet(body)); return this.reply(); }
  /** Raw bytes received so far (acknowledgments). */
  take(): string { const b = this.buffer; this.buffer = ""; return b; }
}

async function connectWire(port: number): Promise<Wire> {
  for (let i = 0; i < 200; i++) {
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      });
      return new Wire(socket);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on port ${port}`);
}

describe("gdb stub: the protocol on the wire", { skip }, () => {
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let wire: Wire;
  before(async () => {
    buildGuests(["gdb"]);
    const port = await freePortRange(1);
    child = spawn(process.execPath, [TESSERA_CLI, "run", "-kernel", guestPath("gdb"), "-smp", "2", "-gdb", `tcp:127.0.0.1:${port}`, "-S"],
      { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.resume(); child.stderr!.resume();
    const timer = setTimeout(() => child?.kill("SIGKILL"), LIMIT_MS);
    exited = new Promise((resolve) => child!.on("exit", (code) => { clearTimeout(timer); resolve(code); }));
    wire = await connectWire(port);
  });
  after(() => { child?.kill("SIGKILL"); });

  test("qSupported, the initial stop, threads and target descriptions", async () => {
    assert.equal(await wire.ask("qSupported:multiprocess+;swbreak+;xmlRegisters=i386"),
      "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+;QStartNoAckMode+");
    assert.equal(await wire.ask("?"), "T05thread:p01.01;");
    assert.equal(await wire.ask("qfThreadInfo"), "mp01.01");
    assert.equal(await wire.ask("qsThreadInfo"), "mp01.02");
    assert.equal(await wire.ask("qsThreadInfo"), "l");
    assert.equal(await wire.ask("qC"), "QCp01.01");
    assert.equal(await wire.ask("qAttached:1"), "1");
    assert.equal(await wire.ask("Hgp1.3"), "E22", "no third CPU");
    assert.equal(await wire.ask("Tp1.2"), "OK");
    const target = await wire.ask("qXfer:features:read:target.xml:0,ffb");
    assert.match(target, /^l.*<xi:include href="aarch64-core.xml"\/><xi:include href="aarch64-fpu.xml"\/><xi:include href="system-registers.xml"\/>/);
    assert.equal(await wire.ask("qXfer:features:read:nonesuch.xml:0,ffb"), "E00");
    const g = await wire.ask("g");
    assert.equal(g.length, (33 * 8 + 4) * 2, "x0-x30, sp, pc, cpsr");
    assert.equal(g.slice(32 * 16, 33 * 16), "0000084000000000", "pc at the entry point 0x40080000");
  });

  test("malformed packets get an error reply, a bad checksum a '-', and nothing hangs", async () => {
    assert.equal(await wire.ask("mzz,4"), "E22");
    assert.equal(await wire.ask("m40080000"), "E22");
    assert.equal(await wire.ask("M40080000,2:123"), "E22");
    assert.equal(await wire.ask("Z0,zz,4"), "E22");
    assert.equal(await wire.ask("z0,40080000,4"), "E22", "no such breakpoint");
    assert.equal(await wire.ask("p1000"), "E14");
    assert.equal(await wire.ask("vCont;x"), "E22");
    assert.equal(await wire.ask("bogus"), "");
    wire.send("$m40080000,4#00");
    await new Promise((r) => setTimeout(r, 200));
    assert.match(wire.take(), /-/);
    assert.equal(await wire.ask("m40080000,4"), await wire.ask("m40080000,4"));
  });

  test("memory writes (M, X with escapes) go through the translation; faults are E14", async () => {
    assert.equal(await wire.ask("M40100000,4:01020304"), "OK");
    assert.equal(await wire.ask("m40100000,4"), "01020304");
    wire.send(Wire.packet("X40100000,2:" + "}\x03}\x04"));
    assert.equal(await wire.reply(), "OK");
    assert.equal(await wire.ask("m40100000,4"), "2324" + "0304");
    assert.equal(await wire.ask("m100000000000,4"), "E14");
    assert.equal(await wire.ask("M100000000000,1:00"), "E14");
    assert.equal(await wire.ask("P0=efbeadde00000000"), "OK");
    assert.equal(await wire.ask("p0"), "efbeadde00000000");
  });

  test("no-ack mode, Ctrl-C while running, kill", async () => {
    assert.equal(await wire.ask("QStartNoAckMode"), "OK");
    wire.take();
    assert.equal(await wire.ask("qC"), "QCp01.01");
    assert.doesNotMatch(wire.take(), /\+/, "no acknowledgments any more");
    // A guest that spins for ever (b ., ARM ARM C6.2.26, at the PC), continued, then interrupted.
    assert.equal(await wire.ask("M40080000,4:00000014"), "OK");
    wire.send(Wire.packet("vCont;c:p1.-1"));
    await new Promise((r) => setTimeout(r, 300));
    wire.send("\x03");
    assert.match(await wire.reply(), /^T02thread:p01\.0[12];$/);
    assert.equal(await wire.ask("k").catch(() => "gone"), "gone");
    assert.equal(await exited, 0, "kill ends the emulation");
  });
});

describe("gdb stub: detaching", { skip }, () => {
  before(() => { buildGuests(["gdb"]); });
  for (const how of ["D", "hang-up"] as const) {
    test(`${how === "D" ? "D (detach)" : "a debugger that hangs up"} drops its breakpoints and lets the guest run to its end`, async () => {
      const port = await freePortRange(1);
      const child = spawn(process.execPath, [TESSERA_CLI, "run", "-kernel", guestPath("gdb"), "-gdb", `tcp::${port}`, "-S"], { stdio: ["ignore", "pipe", "pipe"] });
      const timer = setTimeout(() => child.kill("SIGKILL"), LIMIT_MS);
      let output = "";
      child.stdout!.on("data", (d: Buffer) => { output += d.toString(); });
      child.stderr!.resume();
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => { clearTimeout(timer); resolve(code); }));
      try {
        const wire = await connectWire(port);
        // The second instruction of _start: the guest would stop there at once if the breakpoint stayed.
        assert.equal(await wire.ask("Z0,40080004,4"), "OK");
        assert.equal(await wire.ask("?"), "T05thread:01;");
        if (how === "D") assert.equal(await wire.ask("D"), "OK");
        wire.socket.destroy();
        assert.equal(await exited, 0);
        assert.match(output, /gdb: done/);
      } finally { child.kill("SIGKILL"); }
    });
  }
});

describe("gdb stub: command line", () => {
  test("-s is -gdb tcp::1234, -gdb takes tcp:[HOST]:PORT and none, -S starts stopped", () => {
    assert.deepEqual(parseRunArgs(["-kernel", "k", "-s"]).gdb, { host: "", port: 1234 });
    assert.deepEqual(parseRunArgs(["-kernel", "k", "-gdb", "tcp:127.0.0.1:4321"]).gdb, { host: "127.0.0.1", port: 4321 });
    assert.deepEqual(parseRunArgs(["-kernel", "k", "-gdb", "tcp:[::1]:4321,server,nowait"]).gdb, { host: "::1", port: 4321 });
    assert.equal(parseRunArgs(["-kernel", "k", "-s", "-gdb", "none"]).gdb, undefined);
    assert.equal(parseRunArgs(["-kernel", "k", "-S", "-s"]).startStopped, true);
    assert.throws(() => parseRunArgs(["-kernel", "k", "-S"]), /-S needs -gdb or -s/);
    assert.equal(parseRunArgs(["-kernel", "k"]).startStopped, false);
  });
  const bad = (args: string[]) => spawnSync(process.execPath, [TESSERA_CLI, "run", "-kernel", guestPath("hello"), ...args], { encoding: "utf8", timeout: 20000 });
  for (const spec of ["udp::1234", "tcp::", "tcp::99999", "tcp:1234", "tcp::1234,bogus"]) {
    test(`-gdb ${spec} is refused in one line`, () => expectOneLineError(bad(["-gdb", spec]), /-gdb/, spec));
  }
  for (const spec of ["dbg", "dbg:", "dbg:0", ":1234"]) {
    test(`hv --gdb ${spec} is refused in one line`, () => {
      const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", "none.dts", "--gdb", spec], { encoding: "utf8", timeout: 20000 });
      expectOneLineError(r, /--gdb takes LABEL:PORT/, spec);
    });
  }
  test("a port in use is refused in one line", async () => {
    const port = await freePortRange(1);
    const server = createServer().listen(port);
    await new Promise((r) => server.once("listening", r));
    try {
      const r = await runProcess(process.execPath, [TESSERA_CLI, "run", "-kernel", guestPath("hello"), "-gdb", `tcp::${port}`], { timeoutMs: 20000 });
      expectOneLineError({ status: r.code, stderr: r.stderr } as never, /port already in use/, "port in use");
    } finally { server.close(); }
  });
});
