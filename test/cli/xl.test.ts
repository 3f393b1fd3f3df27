/**
 * `tessera xl` and `tessera xenstore` against a running `tessera hv` on its management port:
 * xl create of bare-metal guests (raw binaries), ERIKA Enterprise's erika.cfg files unchanged, xl list
 * and vcpu-list in xl's columns, pause and unpause, vcpu-pin of a domain created paused, xl
 * console replaying and echoing through the guest's UART and detaching on Ctrl-], a created
 * domain's TCP console port (console-port + id, in xl list -l) replaying what it printed before
 * anyone read and closing when the domain is destroyed, destroy,
 * dmesg, XenStore ls/read/write/chmod/watch, and the one-line failures (bad xl.cfg, unknown
 * domain, no hypervisor listening, unknown command).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TESSERA_CLI } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-xl-"));

/** Raw A64 words: print "echo guest: ready\n" on the PL011, then echo what is typed with its case flipped (eor 0x20). */
function echoGuest(): Uint8Array {
  const words = [0xd2a12001]; // movz x1, #0x0900, lsl #16
  for (const ch of "echo guest: ready\n") words.push(0x52800002 | (ch.charCodeAt(0) << 5), 0xb9000022); // movz w2, #ch; str w2, [x1]
  words.push(
    0xb9401824, // 1: ldr w4, [x1, #0x18]   (FR)
    0x3727ffe4, //    tbnz w4, #4, 1b       (RXFE: nothing typed)
    0xb9400023, //    ldr w3, [x1]
    0x521b0063, //    eor w3, w3, #0x20
    0xb9000023, //    str w3, [x1]
    0x17fffffb, //    b 1b
  );
  const bytes = new Uint8Array(words.length * 4);
  const v = new DataView(bytes.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
  return bytes;
}

let hv: ChildProcess | undefined;
let hvOut = "";
let address = "";
let consoleBase = 0;

function xl(...args: string[]) {
  return spawnSync(process.execPath, [TESSERA_CLI, "xl", "--hv", address, ...args], { encoding: "utf8", timeout: 30000, cwd: dir });
}
function xs(...args: string[]) {
  return spawnSync(process.execPath, [TESSERA_CLI, "xenstore", "--hv", address, ...args], { encoding: "utf8", timeout: 30000, cwd: dir });
}
/** The start of an xl list row, as "%-40s %5d %5lu %5d     " prints it. */
const listRow = (name: string, id: number, mem: number, vcpus: number) => `${name.padEnd(40)} ${String(id).padStart(5)} ${String(mem).padStart(5)} ${String(vcpus).padStart(5)}     `;
/** The start of an xl vcpu-list row of an online vCPU: "%-32s %5u %5u%5u ". */
const vcpuRow = (name: string, id: number, vcpu: number, cpu: number) => `${name.padEnd(32)} ${String(id).padStart(5)} ${String(vcpu).padStart(5)}${String(cpu).padStart(5)} `;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const until = async (what: string, ok: () => boolean, ms = 20000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${hvOut.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

before(async () => {
  // HV> and the config's partition, then the domains this file creates (ids 2 to 9 or so).
  consoleBase = await freePortRange(16);
  writeFileSync(join(dir, "echo.bin"), echoGuest());
  writeFileSync(join(dir, "erika.bin"), echoGuest());
  writeFileSync(join(dir, "A20.bin"), echoGuest());
  writeFileSync(join(dir, "hv.dts"), `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <6>; memory-size = <0x0 0x40000000>; console-port = <${consoleBase}>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x40000000>; size = <0x0 0x04000000>; };
  partitions {
    base { compatible = "partition"; label = "base"; cpus = <0 1>; guest-image = "echo.bin";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
  const port = await freePortRange(1);
  address = `127.0.0.1:${port}`;
  hv = spawn(process.execPath, [TESSERA_CLI, "hv", join(dir, "hv.dts"), "--manage", address, "--watchdog", "240"], { stdio: ["pipe", "pipe", "pipe"] });
  hv.stdout!.on("data", (d: Buffer) => { hvOut += d.toString("latin1"); });
  hv.stderr!.on("data", (d: Buffer) => { hvOut += d.toString("latin1"); });
  await until("the management port", () => xl("list").status === 0);
});

after(() => { hv?.kill(); });

test("xl list: xl's header and columns; the config's partition is domain 1, and there is no Domain-0", () => {
  const r = xl("list");
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines[0], "Name                                        ID   Mem VCPUs\tState\tTime(s)");
  assert.match(lines[1], new RegExp(`^${escape(listRow("base", 1, 64, 1))}[r-][b-]----  +\\d+\\.\\d$`));
  assert.equal(lines.length, 3);
});

test("ERIKA Enterprise's erika.cfg files (its Xen guide's, and one pinned with the UART and RTC pages) are accepted unchanged, bare binaries as kernels", () => {
  writeFileSync(join(dir, "erika.cfg"), `name = "erika"
kernel = "erika.bin"
memory = 128
vcpus = 1
cpus = "1"
iomem = [ "0x9000,1@0x9000", "0x9010,1@0x9010" ]
irqs = [ 33, 38 ]
`);
  writeFileSync(join(dir, "erika-guide.cfg"), `kernel = "A20.bin"
memory = 512
name = "ERIKA_Enterprise"
vcpus = 1
on_crash = 'destroy'
iomem = ["1c20,2"]
`);
  const r = xl("create", "erika.cfg");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "Parsing config from erika.cfg\n");
  const guide = xl("create", "./erika-guide.cfg");
  assert.equal(guide.status, 0, guide.stderr);
  const list = xl("list").stdout;
  assert.ok(list.includes(`\n${listRow("erika", 2, 128, 1)}`), list);
  assert.ok(list.includes(`\n${listRow("ERIKA_Enterprise", 3, 512, 1)}`), list);
  const vcpus = xl("vcpu-list", "erika");
  assert.equal(vcpus.stdout.split("\n")[0], "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)");
  assert.match(vcpus.stdout.split("\n")[1], new RegExp(`^${escape(vcpuRow("erika", 2, 0, 1))}  [r-][b-]- +\\d+\\.\\d  1 / all$`), "pinned to CPU 1 by cpus = \"1\"");
  // The UART's page is erika's now: another domain asking for it is refused.
  writeFileSync(join(dir, "uart.cfg"), `name = "uart"\nkernel = "echo.bin"\nmemory = 16\niomem = [ "9000,1" ]\n`);
  const taken = xl("create", "uart.cfg");
  assert.equal(taken.status, 1);
  assert.equal(taken.stderr, "Parsing config from uart.cfg\ntessera: xl create: iomem \"9000,1@9000\": [0x9000000, 0x9001000) is in use by erika\n");
  assert.equal(xl("destroy", "erika").status, 0);
  assert.equal(xl("destroy", "ERIKA_Enterprise").status, 0);
  assert.doesNotMatch(xl("list").stdout, /erika|ERIKA/);
});

test("xl create of a guest that prints; console replays and echoes, Ctrl-] detaches; pause, unpause, destroy", async () => {
  writeFileSync(join(dir, "echo.cfg"), `name = "echo"\nkernel = "echo.bin"\nmemory = 64\n`);
  const r = xl("create", "echo.cfg");
  assert.equal(r.status, 0, r.stderr);
  await until("the guest's greeting", () => hvOut.includes("[echo] echo guest: ready"));
  const con = spawn(process.execPath, [TESSERA_CLI, "xl", "--hv", address, "console", "echo"], { stdio: ["pipe", "pipe", "pipe"] });
  const killer = setTimeout(() => con.kill(), 30000);
  let seen = "";
  con.stdout!.on("data", (d: Buffer) => { seen += d.toString("latin1"); });
  const exited = new Promise<number | null>((resolve) => con.on("exit", (code) => resolve(code)));
  await until("the replayed greeting", () => seen.includes("echo guest: ready\n"));
  con.stdin!.write("Hello");
  await until("the echo", () => seen.includes("hELLO"));
  con.stdin!.write("\x1d");
  assert.equal(await exited, 0, "Ctrl-] detaches, exit 0");
  clearTimeout(killer);
  assert.equal(xl("pause", "echo").status, 0);
  assert.match(xl("list", "echo").stdout.split("\n")[1], /^echo +\d+ +64 +1 {5}--p---  +\d+\.\d$/);
  assert.equal(xl("unpause", "echo").status, 0);
  assert.match(xl("list", "echo").stdout.split("\n")[1], /^echo +\d+ +64 +1 {5}r-----  +\d+\.\d$/);
  assert.match(xl("dmesg").stdout, /^\(HV\) \[ +\d+\.\d{6}\] echo: started on CPU \d$/m);
  // A console attached when its domain is destroyed ends with it.
  const second = spawn(process.execPath, [TESSERA_CLI, "xl", "--hv", address, "console", "echo"], { stdio: ["pipe", "pipe", "pipe"] });
  const killer2 = setTimeout(() => second.kill(), 30000);
  let echoed = "";
  second.stdout!.on("data", (d: Buffer) => { echoed += d.toString("latin1"); });
  const secondExited = new Promise<number | null>((resolve) => second.on("exit", (code) => resolve(code)));
  second.stdin!.write("x");
  await until("the second console's echo", () => echoed.includes("X"));
  assert.equal(xl("destroy", "echo").status, 0);
  assert.equal(await secondExited, 0, "xl console ends when its domain is destroyed");
  clearTimeout(killer2);
  assert.match(xl("dmesg").stdout, /\] echo: destroyed$/m);
  const gone = xl("destroy", "echo");
  assert.equal(gone.status, 1);
  assert.equal(gone.stderr, "tessera: xl destroy: echo is an invalid domain identifier\n");
});

/** A TCP client of a console port: what it received, and whether the far end closed it. */
function tcpConsole(port: number): Promise<{ socket: Socket; seen: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let seen = "", closed = false;
    socket.on("data", (d: Buffer) => { seen += d.toString("latin1"); });
    socket.on("close", () => { closed = true; });
    socket.once("error", reject);
    socket.once("connect", () => resolve({ socket, seen: () => seen, closed: () => closed }));
  });
}

/** `xl console DOMAIN` on pipes: what it printed, its stdin, and its exit. */
function xlConsole(domain: string) {
  const con = spawn(process.execPath, [TESSERA_CLI, "xl", "--hv", address, "console", domain], { stdio: ["pipe", "pipe", "pipe"] });
  const killer = setTimeout(() => con.kill(), 30000);
  let seen = "";
  con.stdout!.on("data", (d: Buffer) => { seen += d.toString("latin1"); });
  const exited = new Promise<number | null>((resolve) => con.on("exit", (code) => { clearTimeout(killer); resolve(code); }));
  return { stdin: con.stdin!, seen: () => seen, exited };
}

test("a created domain's console on TCP port console-port + id and through xl console: replayed, echoed, closed by destroy", async () => {
  writeFileSync(join(dir, "tcp.cfg"), `name = "tcp"\nkernel = "echo.bin"\nmemory = 16\n`);
  const r = xl("create", "tcp.cfg");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "Parsing config from tcp.cfg\n", "xl create prints what xl prints");
  const long = xl("list", "-l");
  assert.equal(long.status, 0, long.stderr);
  const domains = JSON.parse(long.stdout) as { domid: number; name: string; console: string | null }[];
  const tcp = domains.find((d) => d.name === "tcp")!;
  assert.equal(tcp.console, `127.0.0.1:${consoleBase + tcp.domid}`, "a created domain's port follows the config's rule");
  assert.equal(domains.find((d) => d.name === "base")!.console, `127.0.0.1:${consoleBase + 1}`);
  const port = consoleBase + tcp.domid;
  await until("the port in the hypervisor's log", () => hvOut.includes(`[hv] tcp: console on 127.0.0.1:${port}`));
  // Printed while nobody read it: kept, and given to the first reader.
  await until("the guest's greeting", () => hvOut.includes("[tcp] echo guest: ready"));
  const first = await tcpConsole(port);
  await until("the replayed greeting on the port", () => first.seen() === "echo guest: ready\n");
  first.socket.write("Port");
  await until("the echo on the port", () => first.seen().endsWith("pORT"));
  first.socket.destroy();
  const con = xlConsole("tcp");
  con.stdin.write("xl");
  await until("the echo through xl console", () => con.seen().includes("XL"));
  assert.equal(con.seen(), "XL", "what the port read is not replayed twice");
  con.stdin.write("\x1d");
  assert.equal(await con.exited, 0);
  // xl console reaches the config's partitions too, with what they printed unread.
  const base = xlConsole("base");
  await until("base's replayed greeting", () => base.seen().includes("echo guest: ready\n"));
  base.stdin.write("b\x1d");
  assert.equal(await base.exited, 0);
  // A reader still connected when the domain goes is closed, and the port with it.
  const second = await tcpConsole(port);
  second.socket.write("z");
  await until("the second reader's echo", () => second.seen().includes("Z"));
  assert.equal(xl("destroy", "tcp").status, 0);
  await until("the reader closed by destroy", () => second.closed());
  const refused = await new Promise<string>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve("connected"); });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  assert.equal(refused, "ECONNREFUSED", "the port is closed once the domain is destroyed");
});

test("without console-port, a created domain's console listens on a port the system chooses, in xl list -l", async () => {
  writeFileSync(join(dir, "noport.dts"), `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x40000000>; size = <0x0 0x01000000>; };
  partitions {
    base { compatible = "partition"; label = "base"; cpus = <0 1>; guest-image = "echo.bin";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
  const manage = `127.0.0.1:${await freePortRange(1)}`;
  const other = spawn(process.execPath, [TESSERA_CLI, "hv", join(dir, "noport.dts"), "--manage", manage, "--watchdog", "120"], { stdio: ["pipe", "ignore", "pipe"] });
  let otherErr = "";
  other.stderr!.on("data", (d: Buffer) => { otherErr += d.toString(); });
  const run = (...args: string[]) => spawnSync(process.execPath, [TESSERA_CLI, "xl", "--hv", manage, ...args], { encoding: "utf8", timeout: 30000, cwd: dir });
  try {
    await until("the second hypervisor's management port", () => {
      assert.equal(otherErr, "", "the second hypervisor starts");
      return run("list").status === 0;
    });
    writeFileSync(join(dir, "any.cfg"), `name = "any"\nkernel = "echo.bin"\nmemory = 16\n`);
    assert.equal(run("create", "any.cfg").status, 0);
    const domains = JSON.parse(run("list", "-l").stdout) as { name: string; console: string | null }[];
    assert.equal(domains.find((d) => d.name === "base")!.console, null, "the config's partitions have no port without console-port");
    const at = domains.find((d) => d.name === "any")!.console;
    assert.match(at ?? "", /^127\.0\.0\.1:\d+$/);
    const reader = await tcpConsole(Number(at!.split(":")[1]));
    await until("the greeting on the chosen port", () => reader.seen().includes("echo guest: ready\n"));
    assert.equal(run("destroy", "any").status, 0);
    await until("the reader closed by destroy", () => reader.closed());
  } finally {
    other.kill();
  }
});

test("xl console: unknown domain, Domain-0, no hypervisor listening are one line and exit 1", async () => {
  const unknown = xl("console", "nosuch");
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, "tessera: xl console: nosuch is an invalid domain identifier\n");
  const dom0 = xl("console", "0");
  assert.equal(dom0.status, 1);
  assert.equal(dom0.stderr, "tessera: xl console: Domain-0 has no console here: the hypervisor plays its part, and HV> (console 0 of tessera hv, console-port) is the hypervisor's console\n");
  const port = await freePortRange(1);
  const nobody = spawnSync(process.execPath, [TESSERA_CLI, "xl", "--hv", `127.0.0.1:${port}`, "console", "base"], { encoding: "utf8", timeout: 30000, input: "" });
  assert.equal(nobody.status, 1);
  assert.equal(nobody.stderr, `tessera: xl console: cannot reach a hypervisor at 127.0.0.1:${port}: connection refused (is tessera hv running? --hv HOST:PORT or TESSERA_HV names another)\n`);
});

test("vcpu-pin: a domain created paused runs on the CPU it is pinned to; a running one moves and goes on", async () => {
  writeFileSync(join(dir, "pin.cfg"), `name = "pin"\nkernel = "echo.bin"\nmemory = 16\n`);
  assert.equal(xl("create", "-p", "pin.cfg").status, 0);
  assert.equal(xl("vcpu-pin", "pin", "0", "5").status, 0);
  assert.match(xl("vcpu-list", "pin").stdout.split("\n")[1], /^pin +\d+ +0 +- +--p +0\.0  5 \/ all$/);
  assert.equal(xl("unpause", "pin").status, 0);
  await until("pin's greeting", () => hvOut.includes("[pin] echo guest: ready"));
  assert.match(hvOut, /\[hv\] pin: started on CPU 5$/m);
  const moved = xl("vcpu-pin", "pin", "0", "4");
  assert.equal(moved.status, 0, moved.stderr);
  assert.match(xl("vcpu-list", "pin").stdout.split("\n")[1], /^pin +\d+ +0 +4 +[r-][b-]- +\d+\.\d  4 \/ all$/);
  // It goes on where it was: what is typed on its console still comes back.
  const con = spawn(process.execPath, [TESSERA_CLI, "xl", "--hv", address, "console", "pin"], { stdio: ["pipe", "pipe", "pipe"] });
  const killer = setTimeout(() => con.kill(), 30000);
  let seen = "";
  con.stdout!.on("data", (d: Buffer) => { seen += d.toString("latin1"); });
  const exited = new Promise<number | null>((resolve) => con.on("exit", (code) => resolve(code)));
  con.stdin!.write("moved");
  await until("the moved guest's echo", () => seen.includes("MOVED"));
  con.stdin!.write("\x1d");
  assert.equal(await exited, 0);
  clearTimeout(killer);
  const taken = xl("vcpu-pin", "pin", "0", "0");
  assert.equal(taken.status, 1);
  assert.equal(taken.stderr, "tessera: xl vcpu-pin: Could not set affinity for vcpu `0': no free CPU among 0 (each vCPU has a CPU of its own)\n");
  assert.equal(xl("destroy", "pin").status, 0);
});

test("xenstore: chmod -r /local b, ls -p, write and read, watch", async () => {
  writeFileSync(join(dir, "xs.cfg"), `name = "xs"\nkernel = "echo.bin"\nmemory = 16\n`);
  assert.equal(xl("create", "xs.cfg").status, 0);
  const id = /^xs +(\d+)/m.exec(xl("list").stdout)![1];
  const home = `/local/domain/${id}`;
  assert.equal(xs("read", `${home}/name`).stdout, "xs\n");
  const before = xs("ls", "-p", home).stdout;
  assert.match(before, /^name = "xs" +\(n0,r\d+\)$/m);
  const chmod = xs("chmod", "-r", "/local", "b");
  assert.equal(chmod.status, 0, chmod.stderr);
  assert.match(xs("ls", "-p", home).stdout, /^name = "xs" +\(b0\)$/m);
  assert.match(xs("ls", home).stdout, /^memory = ""\n static-max = "16384"$/m, "children indented a space a level");
  assert.match(xs("ls", "-f", home).stdout, new RegExp(`^${home}/memory/static-max = "16384"$`, "m"));
  const watch = spawn(process.execPath, [TESSERA_CLI, "xenstore", "--hv", address, "watch", "-n", "2", `${home}/data`], { stdio: ["ignore", "pipe", "pipe"] });
  const killer = setTimeout(() => watch.kill(), 30000);
  let events = "";
  watch.stdout!.on("data", (d: Buffer) => { events += d.toString(); });
  const exited = new Promise<number | null>((resolve) => watch.on("exit", (code) => resolve(code)));
  await until("the watch's first event", () => events.length > 0);
  assert.equal(xs("write", `${home}/data/greeting`, "hello").status, 0);
  assert.equal(await exited, 0);
  clearTimeout(killer);
  assert.equal(events, `${home}/data\n${home}/data/greeting\n`);
  assert.equal(xs("read", `${home}/data/greeting`).stdout, "hello\n");
  assert.equal(xs("rm", `${home}/data/greeting`).status, 0);
  const missing = xs("read", `${home}/data/greeting`);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, `tessera: xenstore read: read ${home}/data/greeting: No such file or directory\n`);
  assert.equal(xl("destroy", "xs").status, 0);
  assert.equal(xs("read", `${home}/name`).status, 1, "its home went with it");
});

test("bad input: an xl.cfg with problems, an unknown command, no hypervisor listening", async () => {
  writeFileSync(join(dir, "bad.cfg"), `name = "bad"\nkernel = "echo.bin"\nmemory = lots\ntype = "hvm"\n`);
  const bad = xl("create", "bad.cfg");
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "Parsing config from bad.cfg\n" +
    "tessera: xl create: bad.cfg:3: memory: a value (number, \"string\" or [list]) expected, not 'l'\n" +
    "tessera: xl create: bad.cfg:4: type \"hvm\": Xen on Arm guests are \"pvh\" (hvm and pv are x86 types)\n");
  const nofile = xl("create", "nothing.cfg");
  assert.equal(nofile.status, 2);
  assert.match(nofile.stderr, /^Parsing config from nothing.cfg\ntessera: cannot read domain configuration 'nothing.cfg': /);
  const unknown = xl("frobnicate");
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, "tessera: xl: unknown command 'frobnicate' (tessera xl help lists them)\n");
  const port = await freePortRange(1);
  const nobody = spawnSync(process.execPath, [TESSERA_CLI, "xl", "list"], { encoding: "utf8", timeout: 30000, env: { ...process.env, TESSERA_HV: `127.0.0.1:${port}` } });
  assert.equal(nobody.status, 1);
  assert.equal(nobody.stderr, `tessera: xl list: cannot reach a hypervisor at 127.0.0.1:${port}: connection refused (is tessera hv running? --hv HOST:PORT or TESSERA_HV names another)\n`);
  const badAddress = spawnSync(process.execPath, [TESSERA_CLI, "xenstore", "--hv", "nowhere", "ls"], { encoding: "utf8", timeout: 30000 });
  assert.equal(badAddress.status, 2);
  assert.equal(badAddress.stderr, "tessera: invalid --hv 'nowhere' (HOST:PORT)\n");
});
