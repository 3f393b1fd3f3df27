/**
 * `tessera xl COMMAND`: Xen's xl toolstack front end (docs/man/xl.1.pod.in) for a running
 * `tessera hv`, through its management port (manage.ts). Output follows xl's own printf
 * formats (tools/xl/xl_list.c's list_domains, xl_vcpu.c's vcpulist), so scripts that read
 * xl's columns read these.
 */
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { parseXlConfig } from "../hypervisor/xl-config.js";
import { UsageError } from "./args.js";
import { decompressKernel, readInputFile } from "./host-files.js";
import { call, mustCall, takeHvAddress, ToolError, type Reply } from "./manage-client.js";
import { EXIT_FAILURE, EXIT_OK, writeStderr, writeStdout } from "./process-host.js";
import { DEFAULT_MANAGE_ADDRESS, type HostPort } from "./manage.js";
import type { DomainInfo, VcpuInfo } from "../hypervisor/toolstack.js";

const USAGE = `usage: tessera xl [--hv HOST:PORT] COMMAND [ARGS]
  create [-p] [-c] CFG [KEY=VALUE ...]  create a domain from an xl.cfg file (-p: paused, -c: then its console)
  list [-l] [DOMAIN ...]               the domains (Name ID Mem VCPUs State Time(s)); -l: JSON, with console ports
  destroy DOMAIN                       end a domain at once
  shutdown [-F] DOMAIN                 ask a domain to power off (control/shutdown in XenStore)
  reboot [-F] DOMAIN                   ask a domain to reboot
  pause DOMAIN | unpause DOMAIN        stop a domain's vCPUs and let them go on
  vcpu-list [DOMAIN ...]               the vCPUs and the CPUs they run on
  vcpu-pin DOMAIN VCPU|all CPUS [SOFT] choose the CPU a vCPU runs on
  console DOMAIN                       attach to a domain's console (Ctrl-] detaches)
  info                                 the host and the hypervisor
  dmesg [-c]                           the hypervisor's log (-c: then clear it)
The hypervisor is --hv HOST:PORT, else $TESSERA_HV, else ${DEFAULT_MANAGE_ADDRESS} (tessera hv --manage's default).`;

/** Ctrl-]: xl console's escape (xenconsole's ESCAPE_CHARACTER 0x1d). */
const CONSOLE_ESCAPE = 0x1d;
/** Files a domain config names: at most what a board's RAM can hold. */
const MAX_IMAGE_BYTES = 255 * 1024 * 1024;

export async function xlMain(argv: string[]): Promise<number> {
  const { address, rest } = takeHvAddress(argv, process.env.TESSERA_HV);
  const [command, ...args] = rest;
  try {
    switch (command) {
      case undefined: case "help": case "-h": case "--help":
        writeStdout(USAGE + "\n");
        return command === undefined ? 2 : EXIT_OK;
      case "create": return await create(address, args);
      case "list": case "li": return await list(address, args);
      case "destroy": case "pause": case "unpause": {
        const [domain] = exactly(command, args, 1, "DOMAIN");
        await mustCall(address, { op: command, domain });
        return EXIT_OK;
      }
      case "shutdown": case "reboot": {
        const force = args.includes("-F");
        const [domain] = exactly(command, args.filter((a) => a !== "-F"), 1, "DOMAIN");
        await mustCall(address, { op: command, domain, force });
        return EXIT_OK;
      }
      case "vcpu-list": return await vcpuList(address, args);
      case "vcpu-pin": {
        const pos = args.filter((a) => a !== "-f" && a !== "--force");
        if (pos.length < 3 || pos.length > 4) throw new UsageError("xl vcpu-pin: DOMAIN VCPU|all CPUS [SOFT] expected");
        // Soft affinity has no meaning when each vCPU has a CPU of its own: accepted, not used.
        await mustCall(address, { op: "vcpu-pin", domain: pos[0], vcpu: pos[1], cpus: pos[2] });
        return EXIT_OK;
      }
      case "console": return await consoleAttach(address, args);
      case "info": {
        exactly("info", args, 0, "");
        const r = await mustCall(address, { op: "info" });
        // xl info's "%-23s: %s" lines (xl_info.c).
        writeStdout((r.info as [string, string][]).map(([k, v]) => `${k.padEnd(23)}: ${v}\n`).join(""));
        return EXIT_OK;
      }
      case "dmesg": {
        const clear = args.includes("-c");
        if (args.some((a) => a !== "-c")) throw new UsageError(`xl dmesg: unknown argument '${args.find((a) => a !== "-c")}'`);
        const r = await mustCall(address, { op: "dmesg", clear });
        writeStdout((r.lines as string[]).map((l) => l + "\n").join(""));
        return EXIT_OK;
      }
      default:
        throw new UsageError(`xl: unknown command '${command}' (tessera xl help lists them)`);
    }
  } catch (e) {
    if (e instanceof ToolError) {
      for (const line of e.message.split("\n")) writeStderr(`tessera: xl ${command}: ${line}`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}

function exactly(command: string, args: string[], n: number, what: string): string[] {
  if (args.length !== n) throw new UsageError(`xl ${command}: ${n === 0 ? "no arguments" : what} expected${args.length > n ? `, not '${args.slice(n).join(" ")}'` : ""}`);
  return args;
}

/** A file the config names: as xl opens it (from the current directory), else next to the config. */
function configFile(name: string, cfgPath: string): string {
  if (name.startsWith("/") || existsSync(name)) return name;
  const beside = join(dirname(cfgPath), name);
  return existsSync(beside) ? beside : name;
}

async function create(address: HostPort, args: string[]): Promise<number> {
  let paused = false, attach = false;
  const pos: string[] = [];
  for (const a of args) {
    if (a === "-p") paused = true;
    else if (a === "-c") attach = true;
    else if (a.startsWith("-") && a !== "-") throw new UsageError(`xl create: unknown option '${a}'`);
    else pos.push(a);
  }
  const [cfgPath, ...overrides] = pos;
  if (!cfgPath) throw new UsageError("xl create: a configuration file is needed (xl create FILE.cfg)");
  for (const o of overrides) if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(o)) throw new UsageError(`xl create: '${o}' is not KEY=VALUE`);
  // xl prints this before anything else, on standard error.
  writeStderr(`Parsing config from ${cfgPath}`);
  const text = new TextDecoder().decode(readInputFile(cfgPath, "domain configuration", { maxBytes: 1 << 20 })) +
    // xl create FILE KEY=VALUE: the pairs come after the file's settings, and win.
    (overrides.length ? "\n" + overrides.join("\n") + "\n" : "");
  // Parsed here too, for the files it names (the hypervisor checks everything again).
  const parsed = parseXlConfig(text, 64);
  if (!parsed.ok) throw new ToolError(parsed.problems.map((p) => `${cfgPath}${p.line ? `:${p.line}` : ""}: ${p.message}`).join("\n"));
  const kernelPath = configFile(parsed.config.kernel, cfgPath);
  const kernel = decompressKernel(readInputFile(kernelPath, "kernel", { maxBytes: MAX_IMAGE_BYTES }), kernelPath);
  const ramdiskPath = parsed.config.ramdisk !== undefined ? configFile(parsed.config.ramdisk, cfgPath) : undefined;
  const ramdisk = ramdiskPath ? readInputFile(ramdiskPath, "ramdisk", { maxBytes: MAX_IMAGE_BYTES }) : undefined;
  const r = await mustCall(address, {
    op: "create", file: cfgPath, config: text, paused,
    kernel: Buffer.from(kernel).toString("base64"), ramdisk: ramdisk ? Buffer.from(ramdisk).toString("base64") : undefined,
  });
  for (const note of (r.notes as string[] | undefined) ?? []) writeStderr(`tessera: xl create: ${note}`);
  if (attach) return consoleAttach(address, [String(r.id)]);
  return EXIT_OK;
}

async function list(address: HostPort, argv: string[]): Promise<number> {
  const long = argv.some((a) => a === "-l" || a === "--long");
  const args = argv.filter((a) => a !== "-l" && a !== "--long");
  if (args.some((a) => a.startsWith("-"))) throw new UsageError(`xl list: unknown option '${args.find((a) => a.startsWith("-"))}'`);
  const r = await mustCall(address, { op: "list" });
  let domains = r.domains as DomainInfo[];
  if (args.length) {
    const picked: DomainInfo[] = [];
    for (const a of args) {
      const d = domains.find((x) => (/^\d+$/.test(a) ? x.id === Number(a) : x.name === a));
      if (!d) throw new ToolError(`${a} is an invalid domain identifier`);
      picked.push(d);
    }
    domains = picked;
  }
  writeStdout(long ? formatLongList(domains) : formatList(domains));
  return EXIT_OK;
}

/**
 * xl list -l: a JSON array, an object a domain, indented four spaces as xl's (yajl) is. Not
 * libxl's whole domain config: what the toolstack knows, with where its console listens.
 */
export function formatLongList(domains: DomainInfo[]): string {
  return JSON.stringify(domains.map((d) => ({
    domid: d.id, name: d.name, memory: d.memMiB, vcpus: d.vcpus, state: d.state, created: d.created, console: d.console ?? null,
  })), null, 4) + "\n";
}

/** xl list's table: the header and "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f" rows (xl_list.c). */
export function formatList(domains: DomainInfo[]): string {
  let out = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n";
  for (const d of domains) {
    out += `${d.name.padEnd(40)} ${String(d.id).padStart(5)} ${String(d.memMiB).padStart(5)} ${String(d.vcpus).padStart(5)}     ${d.state}  ${d.cpuSeconds.toFixed(1).padStart(8)}\n`;
  }
  return out;
}

/** xl vcpu-list: "%-32s %5s %5s %5s %5s %9s %s" header, rows as print_vcpuinfo in xl_vcpu.c. */
export function formatVcpuList(vcpus: VcpuInfo[]): string {
  let out = `${"Name".padEnd(32)} ${"ID".padStart(5)} ${"VCPU".padStart(5)} ${"CPU".padStart(5)} ${"State".padStart(5)} ${"Time(s)".padStart(9)} Affinity (Hard / Soft)\n`;
  for (const v of vcpus) {
    out += `${v.name.padEnd(32)} ${String(v.id).padStart(5)} ${String(v.vcpu).padStart(5)}`;
    const offline = v.state[2] === "p";
    out += offline ? `${"-".padStart(5)} ${"-".padStart(3)}-p ` : `${String(v.cpu).padStart(5)} ${v.state[0].padStart(3)}${v.state[1]}- `;
    out += `${v.seconds.toFixed(1).padStart(9)}  ${v.affinity} / all\n`;
  }
  return out;
}

async function vcpuList(address: HostPort, args: string[]): Promise<number> {
  let all: VcpuInfo[] = [];
  if (args.length === 0) all = (await mustCall(address, { op: "vcpu-list" })).vcpus as VcpuInfo[];
  else for (const domain of args) all = all.concat((await mustCall(address, { op: "vcpu-list", domain })).vcpus as VcpuInfo[]);
  writeStdout(formatVcpuList(all));
  return EXIT_OK;
}

/**
 * xl console DOMAIN: the domain's console on this terminal (raw), until Ctrl-] or the
 * hypervisor closes it. Without a terminal, standard input is typed into the console and
 * Ctrl-] in it detaches just the same.
 */
async function consoleAttach(address: HostPort, args: string[]): Promise<number> {
  const pos = args.filter((a) => a !== "-t" && a !== "pv" && a !== "serial");
  const [domain] = exactly("console", pos, 1, "DOMAIN");
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let finish: (code: number) => void = () => {};
  const ended = new Promise<number>((resolve) => { finish = resolve; });
  let socketRef: import("node:net").Socket | undefined;
  const onInput = (chunk: Buffer) => {
    const esc = chunk.indexOf(CONSOLE_ESCAPE);
    if (esc >= 0) {
      if (esc > 0) socketRef?.write(chunk.subarray(0, esc));
      socketRef?.end();
      finish(EXIT_OK);
      return;
    }
    socketRef?.write(chunk);
  };
  const r: Reply = await call(address, { op: "console", domain }, {
    data: (chunk) => { writeStdout(new Uint8Array(chunk)); },
    opened: (socket) => {
      socketRef = socket;
      if (tty) stdin.setRawMode(true);
      stdin.on("data", onInput);
      stdin.on("end", () => { /* input ended: keep showing output until Ctrl-] or the hypervisor ends */ });
      stdin.resume();
    },
    closed: () => finish(EXIT_OK),
  });
  if (!r.ok) throw new ToolError(String(r.error));
  const code = await ended;
  stdin.off("data", onInput);
  if (tty) stdin.setRawMode(false);
  stdin.pause();
  socketRef?.destroy();
  return code;
}
