/**
 * `tessera hv CONFIG.dts|CONFIG.dtb`: the partitioning hypervisor's front end. Reads the
 * configuration tree (docs/hv-config.md), checks it, and reports every problem on a line of
 * its own with the file and line (exit 2). `--check` stops there and prints the partitions;
 * `--dump-guest-dtb NAME` writes the device tree that partition's guest gets to stdout.
 */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { compileDts, decodeDtb, DtbError, DtsError, isDtb, TreeCheckError, formatDiagnostic, type DeviceTree } from "../devicetree/index.js";
import { buildVirtDtb } from "../boards/virt/fdt.js";
import { checkHvConfig, type HvConfig, type ImageSource } from "../hypervisor/config.js";
import { buildGuestDtb } from "../hypervisor/guest-dt.js";
import { Hypervisor, WATCHDOG_IPA, WATCHDOG_SPI } from "../hypervisor/hypervisor.js";
import { HvShell } from "../hypervisor/shell.js";
import { ConsoleMux } from "../host/console-mux.js";
import { PanicWatch } from "../host/panic-watch.js";
import { runSession } from "../host/run-loop.js";
import { dtbToDts } from "../devicetree/index.js";
import { openConsolePorts, openDomainConsolePort, type ConsolePorts, type DomainConsolePort } from "./console-ports.js";
import { DEFAULT_MANAGE_ADDRESS, openManagePort, parseHostPort, type HostPort, type ManagePort } from "./manage.js";
import { Toolstack, type DomainInfo, type ToolReply } from "../hypervisor/toolstack.js";
import { checkDom0lessConfig, isDom0lessConfig } from "../hypervisor/dom0less.js";
import { parseIcount, UsageError, type GdbListen } from "./args.js";
import { FileBlockBackend } from "./device-backends.js";
import { MachineDebugger } from "../debug/machine-debugger.js";
import { openGdbServer, type GdbServer } from "./gdb-server.js";
import type { ClockSpec } from "../devices/system-counter.js";
import { decompressKernel, readInputFile } from "./host-files.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, outputDrained, outputFailure, writeStderr, writeStdout } from "./process-host.js";
import { ConsoleReaders } from "../host/console-readers.js";

const USAGE = `usage: tessera hv CONFIG.dts|CONFIG.dtb [--check] [--dump-guest-dtb NAME] [--watchdog SECONDS]
                 [-device loader,file=FILE,addr=ADDR]... [-icount [shift=]N|auto[,sleep=on|off]]
                 [--manage HOST:PORT|off]
  (no option)            run the partitions: HV> and the consoles on the terminal (Ctrl-A 0-9 switches),
                         and on TCP ports console-port + N when the config gives console-port
  --check                check the configuration and list the partitions
  --dump-guest-dtb NAME  write the device tree of partition NAME (label, node name or number) to stdout
  --watchdog SECONDS     give up after this much wall-clock time
  -device loader,...     put FILE in physical memory at ADDR before the partitions start
                         (for Topaz's numeric guest-image and linux-rootfs forms)
  --gdb LABEL:PORT       a gdb stub for partition LABEL's vCPUs on TCP port PORT (all interfaces);
                         the partition waits for gdb from its first instruction and stops
                         while gdb holds it; the others run on
  -icount [shift=]N|auto[,sleep=on|off]
                         the partitions' clock counts instructions, 2^N ns each (deterministic),
                         instead of following host time (QEMU's option)
  --manage HOST:PORT|off the toolstack's port, for tessera xl and tessera xenstore
                         (default ${DEFAULT_MANAGE_ADDRESS}; when that is taken, a warning and none)`;

/** Configurations are kilobytes; this bounds what a mistaken path can make us read. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

function parseConfigTree(path: string): DeviceTree | string[] {
  const bytes = readInputFile(path, "hypervisor config", { maxBytes: MAX_CONFIG_BYTES });
  try {
    if (isDtb(bytes)) return decodeDtb(bytes);
    return compileDts(bytes, {
      fileName: path,
      reader: {
        readFile: (p) => {
          try { return readInputFile(p, "included file", { maxBytes: MAX_CONFIG_BYTES }); } catch { return undefined; }
        },
      },
    });
  } catch (e) {
    if (e instanceof TreeCheckError) return e.diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d, path).trimEnd());
    if (e instanceof DtsError) return e.diagnostics;
    if (e instanceof DtbError) return [`${path}: ${e.message}`];
    throw e;
  }
}

function fileSize(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function imageName(image: ImageSource): string {
  return image.kind === "file" ? image.path : image.kind === "bytes" ? image.name : `preloaded @ ${hex(image.source)}`;
}

function describe(config: HvConfig): string {
  const rows = [["ID", "Partition", "Name", "Vcpus", "pCPUs", "Memory", "Image"]];
  for (const p of config.partitions) {
    const ram = p.memory.find((m) => m.isRam)!;
    rows.push([String(p.id), p.name, p.label, String(p.pcpus.length), p.pcpus.join(","),
      `${ram.size / 1048576} MiB @ ${hex(ram.pma.addr)}`,
      imageName(p.guestImage.image)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

export async function hvMain(argv: string[]): Promise<number> {
  let configPath: string | undefined, check = false, dumpName: string | undefined, watchdogSeconds: number | undefined;
  const preloads: { file: string; addr: number }[] = [];
  let clock: ClockSpec = { mode: "host" };
  let manage: HostPort | "off" | undefined;
  let gdb: { label: string; listen: GdbListen } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--check") check = true;
    else if (a === "--manage" || a.startsWith("--manage=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new UsageError("option --manage needs HOST:PORT or off");
      const hp = v === "off" ? "off" : parseHostPort(v);
      if (hp === undefined) throw new UsageError(`invalid --manage '${v}' (HOST:PORT, PORT or off)`);
      manage = hp;
    } else if (a === "--gdb") {
      const v = argv[++i] ?? "";
      const m = /^([^:]+):([0-9]+)$/.exec(v);
      if (!m || !(Number(m[2]) >= 1 && Number(m[2]) <= 65535)) throw new UsageError(`hv: --gdb takes LABEL:PORT (a partition and a TCP port 1 to 65535), not '${v}'`);
      gdb = { label: m[1], listen: { host: "", port: Number(m[2]) } };
    } else if (a === "--dump-guest-dtb") {
      if (i + 1 >= argv.length) throw new UsageError("option --dump-guest-dtb needs a partition name");
      dumpName = argv[++i];
    } else if (a === "-device" || a === "--device") {
      // QEMU's generic loader: -device loader,file=FILE,addr=ADDR puts a file in physical memory
      // before the partitions start, as U-Boot's tftp did for Topaz's numeric guest-image forms.
      const v = argv[++i] ?? "";
      const [kind, ...props] = v.split(",");
      const kv = new Map(props.map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)] as const));
      const addr = Number(kv.get("addr"));
      if (kind !== "loader" || !kv.get("file") || !Number.isSafeInteger(addr) || addr < 0 || [...kv.keys()].some((k) => k !== "file" && k !== "addr")) {
        throw new UsageError(`hv: -device: only loader,file=FILE,addr=ADDR is supported, not '${v}'`);
      }
      preloads.push({ file: kv.get("file")!, addr });
    } else if (a === "--watchdog") {
      const v = argv[++i] ?? "";
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw new UsageError(`invalid --watchdog '${v}'`);
      watchdogSeconds = Number(v);
    } else if (a === "-icount" || a === "--icount" || a.startsWith("--icount=")) {
      const eq = a.indexOf("=");
      if (eq < 0 && i + 1 >= argv.length) throw new UsageError("option -icount needs a value");
      const parsed = parseIcount(eq < 0 ? argv[++i] : a.slice(eq + 1));
      clock = parsed.clock;
      if (parsed.warning) writeStderr(`tessera: warning: ${parsed.warning}`);
    } else if (a === "-h" || a === "--help") { writeStdout(USAGE + "\n"); return EXIT_OK; }
    else if (a.startsWith("-")) throw new UsageError(`hv: unknown option '${a}'`);
    else if (configPath !== undefined) throw new UsageError(`hv: unexpected argument '${a}'`);
    else configPath = a;
  }
  if (!configPath) throw new UsageError("hv: no configuration given (tessera hv CONFIG.dts)");

  const tree = parseConfigTree(configPath);
  if (Array.isArray(tree)) {
    for (const line of tree) writeStderr(`tessera: ${line}`);
    return EXIT_USAGE;
  }
  const boardTree = decodeDtb(buildVirtDtb({ ramSize: 128 << 20, cpus: 1, gicVersion: 3, virtualization: false }));
  const boardTreeFor = (config: HvConfig) => decodeDtb(buildVirtDtb({
    ramSize: config.memorySize, cpus: config.cpus, gicVersion: config.gicVersion, virtualization: false,
  }));
  const configHost = {
    fileSize,
    // Device nodes are the same for any size of the board but the memory node: check against the
    // smallest board (the config's own size may itself be wrong).
    hasDevice: (path: string) => boardTree.find(path) !== undefined && !path.startsWith("/memory") && path !== "/",
  };
  // Xen's dom0less nodes (/chosen/domU*) are the other form of the same configuration.
  const result = isDom0lessConfig(tree)
    ? checkDom0lessConfig(tree, configPath, dirname(configPath), { ...configHost, readTree: (p) => {
      try { const t = parseConfigTree(p); return Array.isArray(t) ? t.join("; ") : t; } catch (e) { return (e as Error).message; }
    } })
    : checkHvConfig(tree, configPath, dirname(configPath), configHost);
  if (!result.ok) {
    for (const p of result.problems) writeStderr(`tessera: ${p.where}: ${p.message}`);
    return EXIT_USAGE;
  }
  const config = result.config;
  if (dumpName !== undefined) {
    const part = config.partitions.find((p) => p.label === dumpName || p.name === dumpName || String(p.id) === dumpName);
    if (!part) throw new UsageError(`hv: no partition '${dumpName}' (${config.partitions.map((p) => p.label).join(", ")})`);
    writeStdout(buildGuestDtb(config, part, {
      boardTree: boardTreeFor(config), watchdog: part.watchdog ? { address: WATCHDOG_IPA, spi: WATCHDOG_SPI } : undefined,
    }));
    return EXIT_OK;
  }
  if (check) {
    writeStdout(`${configPath}: ${config.partitions.length} partition${config.partitions.length === 1 ? "" : "s"} on ${config.cpus} CPUs and ${config.memorySize / 1048576} MiB, GICv${config.gicVersion}\n${describe(config)}\n`);
    return EXIT_OK;
  }
  let gdbPartition: number | undefined;
  if (gdb) {
    gdbPartition = config.partitions.findIndex((p) => p.label === gdb.label || p.name === gdb.label || String(p.id) === gdb.label);
    if (gdbPartition < 0) throw new UsageError(`hv: --gdb: no partition '${gdb.label}' (${config.partitions.map((p) => p.label).join(", ")})`);
  }
  return runPartitions(config, watchdogSeconds, preloads, clock, manage, gdb && { index: gdbPartition!, listen: gdb.listen });
}

/**
 * Run the partitions. On a terminal, HV> and the consoles share it (Ctrl-A 0-9); otherwise
 * every console line is printed as "[label] text". Exit 0 once every partition has stopped (or
 * HV> quit), 1 when one crashed under the "stop" policy or the watchdog fired.
 */
async function runPartitions(config: HvConfig, watchdogSeconds: number | undefined, preloads: { file: string; addr: number }[],
  clock: ClockSpec, manage: HostPort | "off" | undefined, gdbOption?: { index: number; listen: GdbListen }): Promise<number> {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let mux: ConsoleMux | undefined;
  let outputKeepsUp = true;
  // Each partition console is watched as tessera run watches its guest's: a Linux that panicked
  // and spins past the grace period has crashed, and its on-crash policy applies.
  const panicWatches = new Map(config.partitions.map((p) => [p.id, new PanicWatch()] as const));
  const consoles = new ConsoleReaders();
  const hv = new Hypervisor(config, {
    // As tessera run: a gzip-compressed kernel is decompressed as QEMU does; an initrd stays as it is.
    readImage: (path, kind) => {
      const bytes = readInputFile(path, kind, { maxBytes: config.memorySize });
      return kind === "kernel" ? decompressKernel(bytes, path) : bytes;
    },
    consoleOutput: (id, bytes) => { panicWatches.get(id)?.feed(bytes); mux!.output(id, bytes); consoles.output(id, bytes); },
    partitionStarted: (id) => panicWatches.get(id)?.reset(),
    // A Xen vbd's raw image, read and written in place (fsync on the guest's flush).
    openDisk: (path, readOnly) => {
      try {
        return FileBlockBackend.open({ id: "vbd", file: path, readOnly, snapshot: false }, !readOnly);
      } catch (e) {
        // FileBlockBackend words it for -drive; here the file is a vbd's target.
        if (e instanceof UsageError) throw new UsageError(`xen,vbd ${e.message.replace(`-drive file=${path}: `, "")}`);
        throw e;
      }
    },
    event: (text) => mux!.hvMessage(text),
    dtbToDts: (dtb) => dtbToDts(dtb),
  }, { clock });
  for (const { file, addr } of preloads) {
    const problem = hv.preload(addr, readInputFile(file, "file to load", { maxBytes: config.memorySize }));
    if (problem) throw new UsageError(`hv: -device loader,file=${file}: ${problem}`);
  }
  let quitRequested = false;
  const shell = new HvShell(hv, (text) => mux!.output(0, new TextEncoder().encode(text)), interactive || config.consolePort !== undefined);
  mux = new ConsoleMux([
    { label: "hv", input: (b) => shell.input(b) },
    ...config.partitions.map((p) => ({ label: p.label, input: (b: Uint8Array) => hv.consoleInput(p.id, b) })),
  ], { interactive, write: (b) => { outputKeepsUp = writeStdout(b) && outputKeepsUp; } }, () => { quitRequested = true; });
  let ports: ConsolePorts | undefined;
  if (config.consolePort !== undefined) ports = await openConsolePorts(mux, config.consolePort, config.partitions.length + 1, undefined,
    (index) => (index === 0 ? undefined : (write, ended) => consoles.attach(mux!, index, write, ended)));
  // Domains xl creates get a console of their own, which xl console reaches, and a TCP port.
  const domainPorts = new DomainPorts(config.consolePort, config.partitions.length);
  hv.onDomainsChanged = ({ added, removed }) => {
    if (added) {
      panicWatches.set(added.id, new PanicWatch());
      mux!.addChannel(added.id, { label: added.label, input: (b) => hv.consoleInput(added.id, b) });
      domainPorts.open(added.id, (write, ended) => consoles.attach(mux!, added.id, write, ended), (port) => {
        hv.event(port === undefined ? `${added.label}: no TCP port could be had for its console (xl console ${added.label} reaches it)` : `${added.label}: console on 127.0.0.1:${port}`);
      });
    }
    if (removed !== undefined) { panicWatches.delete(removed); mux!.removeChannel(removed); consoles.forget(removed); void domainPorts.close(removed); }
  };
  let managePort: ManagePort | undefined;
  if (manage !== "off") {
    const toolstack = new Toolstack(hv, { attachConsole: (id, write, ended) => consoles.attach(mux!, id, write, ended) });
    try {
      managePort = await openManagePort(toolstack, manage ?? parseHostPort(DEFAULT_MANAGE_ADDRESS)!, (req, reply) => domainPorts.amend(req.op, reply));
    } catch (e) {
      // Only the default may be missing (another tessera hv has it): one named on the command line must be had.
      if (manage !== undefined || !(e instanceof UsageError)) { await ports?.close(); throw e; }
      writeStderr(`tessera: warning: ${e.message}: tessera xl cannot reach this hypervisor (--manage HOST:PORT names another port)`);
    }
  }
  const stdin = process.stdin;
  const onData = (chunk: Buffer) => interactive ? mux!.terminalInput(new Uint8Array(chunk)) : shell.input(new Uint8Array(chunk));
  if (interactive) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.on("error", () => {});
  stdin.resume();
  if (interactive) mux.switchTo(0);
  shell.begin(`Tessera hypervisor: ${config.partitions.length} partitions (help lists the commands${interactive ? ", Ctrl-A 0-9 switches consoles" : ""})`);
  hv.bootAll();
  // --gdb: one partition's vCPUs under the debugger; holding it stopped pauses the partition
  // (as HV> pause does) while the others run on.
  let gdb: GdbServer | undefined;
  let gdbHeld = () => false;
  let gdbTold = false;
  const gdbId = gdbOption && config.partitions[gdbOption.index].id;
  if (gdbOption) {
    const id = gdbId!;
    const scheduler = hv.board.scheduler;
    const debug = new MachineDebugger({
      cpus: config.partitions[gdbOption.index].pcpus.map((c) => hv.board.cpus[c]),
      bus: hv.board.bus,
      requestStop: () => { scheduler.debugStopRequested = true; },
      hold: () => { hv.pause(id); },
      // A vCPU the debugger's pause powered off was running (or waiting) before it.
      waiting: (cpu) => {
        const part = hv.parts.find((p) => p.config.id === id);
        const i = part ? part.vcpus.indexOf(cpu) : -1;
        return part?.state === "paused" && i >= 0 ? !part.paused[i] || cpu.halted : cpu.halted || cpu.off;
      },
      release: () => { hv.resume(id); },
      step: (cpu) => {
        // A step runs the one vCPU of the paused partition, which stays paused.
        const paused = hv.resume(id) === undefined;
        scheduler.stepOne(cpu);
        if (paused) hv.pause(id);
      },
    }, false);
    // The partition waits for the debugger from its first instruction (as QEMU's -S).
    debug.interrupt(5);
    gdbHeld = () => !debug.running;
    try {
      gdb = await openGdbServer(debug, gdbOption.listen, () => { quitRequested = true; });
    } catch (e) {
      await ports?.close();
      throw e;
    }
  }
  try {
    const end = await runSession(hv, {
      beforeSlice: () => {
        if (quitRequested || shell.isEnded || hv.isEnded) return { kind: "host", code: EXIT_OK };
        if (outputFailure() !== undefined) return { kind: "host", code: EXIT_FAILURE };
        if (!outputKeepsUp) return outputDrained().then(() => { outputKeepsUp = true; });
        return undefined;
      },
      afterSlice: () => {
        for (const { id, state } of hv.partitions()) {
          const watch = panicWatches.get(id)!;
          // A paused partition's grace period waits for it to run again.
          if (state !== "running" || !watch.panicFinished(false)) continue;
          const why = `kernel panic: ${watch.panic}`;
          watch.reset();
          hv.reportCrash(id, why);
        }
        // The debugged partition powered off: gdb sees its process exit, as under QEMU.
        if (gdb && !gdbTold && hv.partitions().find((p) => p.id === gdbId)?.state === "stopped") { gdbTold = true; gdb.machineExited(); }
        return hv.isEnded ? { kind: "host", code: EXIT_OK } : undefined;
      },
      // HV> commands (stdin or its port) can always come, so idle partitions are not a deadlock.
      inputOpen: () => true,
      heldByDebugger: () => gdbHeld(),
    }, { watchdogSeconds });
    const crashed = hv.parts.some((p) => p.state === "crashed");
    if (end.kind === "watchdog") mux.hvMessage(`watchdog: still running after ${end.seconds} s`);
    mux.finish();
    return end.kind === "host" && !crashed ? end.code : EXIT_FAILURE;
  } finally {
    stdin.off("data", onData);
    if (interactive) stdin.setRawMode(false);
    stdin.pause();
    await ports?.close();
    await managePort?.close();
    await domainPorts.closeAll();
    await gdb?.close();
  }
}

/**
 * The TCP consoles of the domains xl creates. With the config's `console-port`, domain N
 * listens on console-port + N, as the config's partitions do, else on the next port above
 * theirs that is free; without it, on a port the system chooses. A reply to `create` or
 * `list` waits for the ports it names to listen, so what xl prints can be connected to.
 */
class DomainPorts {
  private readonly opening = new Map<number, Promise<DomainConsolePort | undefined>>();
  private readonly held = new Set<number>();

  constructor(private readonly base: number | undefined, private readonly configured: number) {}

  /** Where a domain's console may listen, best first (0: any port). */
  private candidates(id: number): number[] {
    if (this.base === undefined) return [0];
    // Those of the config stay theirs: none is looked for among them.
    const out: number[] = [];
    if (this.base + id <= 65535 && !this.held.has(this.base + id)) out.push(this.base + id);
    for (let p = this.base + this.configured + 1; p <= 65535 && out.length < 64; p++) if (p !== this.base + id && !this.held.has(p)) out.push(p);
    return out;
  }

  open(id: number, attach: Parameters<typeof openDomainConsolePort>[0], opened: (port: number | undefined) => void): void {
    const p = openDomainConsolePort(attach, this.candidates(id)).then((port) => {
      if (port) this.held.add(port.port);
      // Destroyed while its port was being had: it closes at once.
      if (!this.opening.has(id)) { void port?.close(); if (port) this.held.delete(port.port); return undefined; }
      opened(port?.port);
      return port;
    });
    this.opening.set(id, p);
  }

  /** Domain `id` is gone: its port closes, its connections with it. */
  close(id: number): Promise<void> {
    const p = this.opening.get(id);
    this.opening.delete(id);
    return p?.then(async (port) => { if (port) { await port.close(); this.held.delete(port.port); } }) ?? Promise.resolve();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.opening.keys()].map((id) => this.close(id)));
  }

  /** The console address a domain's TCP port listens on, the config's partitions' included. */
  private async address(id: number, created: boolean): Promise<string | undefined> {
    if (!created) return this.base === undefined ? undefined : `127.0.0.1:${this.base + id}`;
    const port = await this.opening.get(id);
    return port ? `127.0.0.1:${port.port}` : undefined;
  }

  async amend(op: string, reply: ToolReply): Promise<ToolReply> {
    if (!reply.ok) return reply;
    if (op === "create" && typeof reply.id === "number") {
      const console = await this.address(reply.id, true);
      return console ? { ...reply, console } : reply;
    }
    if (op === "list" && Array.isArray(reply.domains)) {
      const domains = await Promise.all((reply.domains as DomainInfo[]).map(async (d) => {
        const console = await this.address(d.id, d.created);
        return console ? { ...d, console } : d;
      }));
      return { ...reply, domains };
    }
    return reply;
  }
}

