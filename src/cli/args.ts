/**
 * Command-line parsing for `tessera run`, QEMU style: single-dash options, `-machine` with
 * comma-separated properties, sizes with optional K/M/G/T suffix (MiB when none, as QEMU -m).
 */

import type { CpuTopology } from "../boards/virt/fdt.js";
import { type CpuModel, DEFAULT_CPU_MODEL, findCpuModel } from "../cpu/cpu-models.js";
import { MAX_ICOUNT_SHIFT, type ClockSpec } from "../devices/system-counter.js";
import { checkDeviceArgs, emptyDeviceArgs, parseChardev, parseDevice, parseDrive, parseGlobal, parseNetdevOption, parseObject, type DeviceArgs } from "./device-args.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface RunArgs {
  /** Absent when firmware boots instead (-bios, a flash drive, or a loader setting the PC). */
  kernel?: string;
  /** -bios: an image for flash bank 0, where the CPU starts (a -kernel then goes to fw_cfg for it). */
  bios?: string;
  initrd?: string;
  append?: string;
  dtb?: string;
  smp: number;
  /** -smp's clusters, cores and threads (they shape the DTB's cpu-map). */
  topology?: CpuTopology;
  ramSize: number;
  /** -cpu (default Cortex-A53). */
  cpuModel: CpuModel;
  gicVersion: 2 | 3;
  virtualization: boolean;
  /** secure=on: EL3 and the Secure-only devices. */
  secure: boolean;
  /** dtb-randomness (dtb-kaslr-seed, its deprecated synonym): off leaves the DTB's seeds out. */
  dtbRandomness: boolean;
  dumpDtb?: string;
  trace: { exec: boolean; int: boolean };
  logFile?: string;
  maxInsns?: number;
  watchdogSeconds?: number;
  /** What drives the guest's counter: host time unless -icount gives a shift. */
  clock: ClockSpec;
  /** Said about the command line without refusing it (-icount without a shift). */
  warnings: string[];
  /** -nographic or -display none: fw_cfg's FW_CFG_NOGRAPHIC. */
  nographic: boolean;
  /** -machine acpi (auto: on). With firmware it swaps the GPIO for the ACPI GED, as virt.c. */
  acpi: boolean;
  /** -drive, -device and -global: the virtio devices (device-args.ts). */
  devices: DeviceArgs;
  /** -gdb tcp:[HOST]:PORT or -s: where the gdb stub listens. */
  gdb?: GdbListen;
  /** -S: the CPUs start stopped, until a debugger resumes them. */
  startStopped: boolean;
}

/** A TCP address for the gdb stub; an empty host means every interface, as QEMU's "tcp::1234". */
export interface GdbListen { host: string; port: number }

/** QEMU's -s: "-gdb tcp::1234". */
const DEFAULT_GDB: GdbListen = { host: "", port: 1234 };

/**
 * -gdb DEV as QEMU takes it for a TCP listener: tcp:[HOST]:PORT, the chardev options QEMU adds
 * for it (server, nowait) implied; "none" disables the stub. Other character devices (a serial
 * line, a pipe) are not supported.
 */
export function parseGdbSpec(text: string): GdbListen | undefined {
  if (text === "none") return undefined;
  const m = /^tcp:(\[[0-9a-fA-F:.]*\]|[^:,]*):([0-9]+)((?:,[a-z]+(?:=[a-z]+)?)*)$/.exec(text);
  if (!m) throw new UsageError(`-gdb ${text}: expected tcp:[HOST]:PORT (as -gdb tcp::1234)`);
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`-gdb ${text}: port must be 1 to 65535`);
  for (const opt of m[3].split(",").slice(1)) {
    if (!/^(server|nowait|wait=off|server=on|nodelay|nodelay=on|ipv4|ipv4=on|ipv6|ipv6=on)$/.test(opt)) {
      throw new UsageError(`-gdb ${text}: unsupported option '${opt}'`);
    }
  }
  return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port };
}

const MiB = 1024 * 1024;
/** Largest guest RAM accepted: RAM starts at 1 GiB and must stay below the 256 GiB ECAM window. */
export const MAX_RAM = 255 * 1024 * MiB;

/** Parse a QEMU size: a number with optional K, M, G or T suffix; no suffix means `defaultUnit`. */
export function parseSize(text: string, defaultUnit = MiB): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid size '${text}'`);
  const unit = { "": defaultUnit, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB }[m[2].toLowerCase()]!;
  const v = Math.floor(Number(m[1]) * unit);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`invalid size '${text}'`);
  return v;
}

function parseInt10(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid ${what} '${text}'`);
  return Number(text);
}

/** Options that take no value and change nothing here (accepted for QEMU command-line compatibility). */
const IGNORED_FLAGS = new Set(["-nographic", "-nodefaults", "-no-reboot", "-no-shutdown", "-enable-kvm"]);
/** Options with a value that are accepted and ignored when the value is harmless. */
const IGNORED_WITH_VALUE: Record<string, (v: string) => boolean> = {
  "-net": (v) => v === "none",
  "-monitor": (v) => v === "none",
  "-display": (v) => v === "none",
  "-vga": (v) => v === "none",
  "-serial": (v) => v === "stdio" || v === "mon:stdio",
  "-accel": (v) => v === "tcg",
  "-parallel": (v) => v === "none",
};

export function parseRunArgs(argv: string[]): RunArgs {
  const out: Partial<RunArgs> & { trace: RunArgs["trace"]; warnings: string[] } = {
    smp: 1, ramSize: 128 * MiB, cpuModel: DEFAULT_CPU_MODEL, gicVersion: 2, virtualization: false, secure: false, dtbRandomness: true, acpi: true, nographic: false, trace: { exec: false, int: false },
    clock: { mode: "host" }, warnings: [], devices: emptyDeviceArgs(), startStopped: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let opt = argv[i];
    // Accept --opt as -opt (and --opt=value), as QEMU does.
    let inlineValue: string | undefined;
    if (opt.startsWith("--")) {
      const eq = opt.indexOf("=");
      if (eq > 0) { inlineValue = opt.slice(eq + 1); opt = opt.slice(1, eq); } else opt = opt.slice(1);
    }
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      if (i + 1 >= argv.length) throw new UsageError(`option ${opt} needs a value`);
      return argv[++i];
    };
    if (opt === "-nographic") out.nographic = true;
    if (IGNORED_FLAGS.has(opt)) continue;
    if (opt in IGNORED_WITH_VALUE) {
      const v = value();
      if (opt === "-display" && v === "none") out.nographic = true;
      if (!IGNORED_WITH_VALUE[opt](v)) throw new UsageError(`unsupported ${opt} value '${v}'`);
      continue;
    }
    switch (opt) {
      case "-kernel": out.kernel = value(); break;
      case "-bios": out.bios = value(); break;
      case "-initrd": out.initrd = value(); break;
      case "-append": out.append = value(); break;
      case "-dtb": out.dtb = value(); break;
      case "-smp": ({ cpus: out.smp, topology: out.topology } = parseSmp(value())); break;
      case "-cpu": {
        // The models of cpu-models.ts; "max" is accepted for QEMU command lines and runs the
        // default model (this CPU's features are the same for every model). QEMU's message for another.
        const v = value().split(",")[0];
        const model = v === "max" ? DEFAULT_CPU_MODEL : findCpuModel(v);
        if (!model) throw new UsageError(`unable to find CPU model '${v}'`);
        out.cpuModel = model;
        break;
      }
      case "-m": {
        const v = value().replace(/^size=/, "");
        out.ramSize = parseSize(v);
        if (out.ramSize > MAX_RAM) throw new UsageError(`-m ${v}: at most ${MAX_RAM / (1024 * MiB)}G of RAM is supported`);
        if (out.ramSize % 65536) throw new UsageError(`-m ${v}: RAM size must be a multiple of 64 KiB`);
        break;
      }
      case "-machine": case "-M": parseMachine(value(), out); break;
      case "-d": {
        // QEMU refuses an empty list or an empty item (qemu_str_to_log_mask), and so do we.
        for (const item of value().split(",")) {
          if (item === "exec" || item === "in_asm" || item === "cpu") out.trace.exec = true;
          else if (item === "int") out.trace.int = true;
          else if (item === "") throw new UsageError("-d: empty log item (supported: exec, int)");
          else throw new UsageError(`unknown -d item '${item}' (supported: exec, int)`);
        }
        break;
      }
      case "-D": out.logFile = value(); break;
      case "-drive": parseDrive(value(), out.devices!); break;
      case "-device": parseDevice(value(), out.devices!); break;
      case "-global": parseGlobal(value(), out.devices!); break;
      case "-chardev": parseChardev(value(), out.devices!); break;
      case "-netdev": parseNetdevOption(value(), out.devices!); break;
      case "-object": parseObject(value(), out.devices!); break;
      case "-s": out.gdb = DEFAULT_GDB; break;
      case "-gdb": out.gdb = parseGdbSpec(value()); break;
      case "-S": out.startStopped = true; break;
      case "-max-insns": out.maxInsns = parseInt10(value(), "--max-insns"); break;
      case "-watchdog": {
        const v = value();
        const s = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || s <= 0) throw new UsageError(`invalid --watchdog '${v}'`);
        out.watchdogSeconds = s;
        break;
      }
      case "-icount": {
        const { clock, warning } = parseIcount(value());
        out.clock = clock;
        if (warning) out.warnings.push(warning);
        break;
      }
      default:
        if (opt.startsWith("-")) throw new UsageError(`unknown option '${argv[i]}'`);
        throw new UsageError(`unexpected argument '${opt}'`);
    }
  }
  // QEMU's monitor can start CPUs that -S stopped; here only a debugger can.
  if (out.startStopped && !out.gdb) throw new UsageError("-S needs -gdb or -s: nothing else can start the stopped CPUs (there is no monitor)");
  checkDeviceArgs(out.devices!);
  out.warnings.push(...out.devices!.warnings);
  const d = out.devices!;
  if (out.bios !== undefined && d.pflash[0] !== undefined) {
    // hw/arm/virt.c virt_firmware_init
    throw new UsageError("The contents of the first flash device may be specified with -bios or with -drive if=pflash... but you cannot use both options at once");
  }
  const firmware = out.bios !== undefined || d.pflash[0] !== undefined;
  if (out.initrd !== undefined && !out.kernel) throw new UsageError("-initrd needs -kernel (or put the initrd in memory with -device loader)");
  for (const l of d.loaders) {
    if (l.cpuNum !== undefined && l.cpuNum >= (out.smp ?? 1)) throw new UsageError(`-device ${l.text}: Specified boot CPU#${l.cpuNum} is nonexistent`);
  }
  if (!out.kernel && !firmware && !d.loaders.some((l) => l.cpuNum !== undefined)) {
    throw new UsageError("no kernel given (use -kernel FILE, -bios FILE, -drive if=pflash,... or -device loader,...,cpu-num=N)");
  }
  return out as RunArgs;
}

/**
 * -icount [shift=]N|auto[,sleep=on|off] as QEMU 7.2 reads it (softmmu/icount.c icount_configure,
 * qemu-options.hx): a bare first item is the shift; the shift is a C integer (qemu_strtol, base
 * 0: 0x hex, 0 octal, a sign) from 0 to 10, or auto; sleep is a QAPI boolean and defaults to on;
 * a key given twice takes its last value. Without a shift QEMU leaves icount off, and so the
 * clock stays on host time here too (with a warning). align and rr (record/replay) are QEMU
 * features this board does not have.
 */
export function parseIcount(text: string): { clock: ClockSpec; warning?: string } {
  const items = text.split(",");
  if (items.length > 1 && items[items.length - 1] === "") items.pop(); // QEMU takes a trailing comma
  let shift: string | undefined;
  let sleep = true;
  for (const [i, item] of items.entries()) {
    const eq = item.indexOf("=");
    const key = eq < 0 && i === 0 ? "shift" : item.slice(0, eq < 0 ? item.length : eq);
    const v = eq < 0 ? (i === 0 ? item : "on") : item.slice(eq + 1);
    switch (key) {
      case "shift": shift = v; break;
      case "sleep":
        if (v === "on" || v === "yes" || v === "true" || v === "y") sleep = true;
        else if (v === "off" || v === "no" || v === "false" || v === "n") sleep = false;
        else throw new UsageError(`-icount ${text}: parameter 'sleep' expects 'on' or 'off'`);
        break;
      case "align": case "rr": case "rrfile": case "rrsnapshot":
        throw new UsageError(`-icount ${text}: '${key}' is not supported (shift=N|auto and sleep=on|off are)`);
      default:
        throw new UsageError(`-icount ${text}: invalid parameter '${key}' (shift=N|auto and sleep=on|off are supported)`);
    }
  }
  if (shift === undefined) {
    return { clock: { mode: "host" }, warning: `-icount ${text}: no shift given, so the guest's clock follows host time (as QEMU leaves icount off)` };
  }
  if (shift === "auto") return { clock: { mode: "icount", shift: "auto", sleep } };
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(shift);
  const n = !m ? NaN : (m[1] === "-" ? -1 : 1) * (m[2] !== undefined ? parseInt(m[2], 16) : m[3] !== undefined ? parseInt(m[3], 8) : Number(m[4]));
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_ICOUNT_SHIFT)) {
    throw new UsageError(`-icount ${text}: invalid shift value '${shift}' (0 to ${MAX_ICOUNT_SHIFT}, or auto)`);
  }
  return { clock: { mode: "icount", shift: n, sleep } };
}

/** Most CPUs of the virt board (QEMU's mach-virt with GICv2 has 8; the board here has 8 for both GICs). */
const MAX_CPUS = 8;

/**
 * A QEMU integer option value: qemu_strtou64 with base 0, so leading blanks, 0x hex and 0 octal
 * are accepted and anything after the digits (1.5, 1e1, 2abc) is refused.
 */
function parseQemuUint(text: string, what: string): number {
  const t = text.replace(/^[ \t\n\v\f\r]+/, "");
  const m = /^(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(t);
  if (!m) throw new UsageError(`parameter '${what}' expects an integer, got '${text}'`);
  const n = m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 8) : Number(m[3]);
  if (!Number.isSafeInteger(n)) throw new UsageError(`parameter '${what}' is out of range: '${text}'`);
  return n;
}

/**
 * -smp [cpus=]N[,maxcpus=M][,sockets=S][,clusters=C][,cores=K][,threads=T] as QEMU 7.2's
 * machine_parse_smp_config: missing or zero values are derived from the others (cores
 * preferred), the topology's product must equal maxcpus and maxcpus must cover cpus. The
 * board has no CPU hotplug, so only the number of CPUs present at boot (cpus) is used.
 */
function parseSmp(text: string): { cpus: number; topology: CpuTopology } {
  const keys = ["cpus", "maxcpus", "sockets", "clusters", "cores", "threads"] as const;
  const given: Partial<Record<(typeof keys)[number], number>> = {};
  for (const [i, part] of text.split(",").entries()) {
    const eq = part.indexOf("=");
    const key = eq < 0 && i === 0 ? "cpus" : part.slice(0, eq < 0 ? part.length : eq);
    if (!(keys as readonly string[]).includes(key)) {
      throw new UsageError(key === "dies" ? "-smp: dies not supported by the virt board" : `-smp: parameter '${key}' is unexpected`);
    }
    const v = parseQemuUint(eq < 0 ? part : part.slice(eq + 1), `smp.${key}`);
    given[key as (typeof keys)[number]] = v === 0 ? undefined : v; // QEMU: zero means "not given" (deprecated)
  }
  let { cpus = 0, maxcpus = 0, sockets = 0, cores = 0, threads = 0 } = given;
  const clusters = given.clusters ?? 1;
  if (cpus === 0 && maxcpus === 0) {
    sockets ||= 1; cores ||= 1; threads ||= 1;
  } else {
    // Since QEMU 6.2 machine types prefer cores over sockets; threads are derived last.
    maxcpus ||= cpus;
    if (cores === 0) {
      sockets ||= 1; threads ||= 1;
      cores = Math.floor(maxcpus / (sockets * clusters * threads));
    } else if (sockets === 0) {
      threads ||= 1;
      sockets = Math.floor(maxcpus / (clusters * cores * threads));
    }
    if (threads === 0) threads = Math.floor(maxcpus / (sockets * clusters * cores));
  }
  const product = sockets * clusters * cores * threads;
  maxcpus ||= product;
  cpus ||= maxcpus;
  if (product !== maxcpus) {
    throw new UsageError(`invalid CPU topology: product of the hierarchy must match maxcpus: ` +
      `sockets (${sockets}) * clusters (${clusters}) * cores (${cores}) * threads (${threads}) != maxcpus (${maxcpus})`);
  }
  if (maxcpus < cpus) {
    throw new UsageError(`invalid CPU topology: maxcpus must be equal to or greater than smp: ` +
      `sockets (${sockets}) * clusters (${clusters}) * cores (${cores}) * threads (${threads}) == maxcpus (${maxcpus}) < smp_cpus (${cpus})`);
  }
  if (cpus > MAX_CPUS || maxcpus > MAX_CPUS) {
    throw new UsageError(`-smp ${cpus}${maxcpus > cpus ? `,maxcpus=${maxcpus}` : ""}: the virt board supports at most ${MAX_CPUS} CPUs`);
  }
  return { cpus, topology: { clusters, cores, threads } };
}

function parseMachine(text: string, out: Partial<RunArgs>): void {
  const parts = text.split(",");
  for (const [i, part] of parts.entries()) {
    if (i === 0 && !part.includes("=")) {
      if (part !== "virt" && !/^virt-\d+\.\d+$/.test(part)) throw new UsageError(`unsupported machine '${part}' (only virt)`);
      continue;
    }
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? "on" : part.slice(eq + 1);
    const onOff = (): boolean => {
      if (v === "on" || v === "true" || v === "yes") return true;
      if (v === "off" || v === "false" || v === "no") return false;
      throw new UsageError(`invalid value '${v}' for machine property ${key}`);
    };
    switch (key) {
      case "type": if (v !== "virt") throw new UsageError(`unsupported machine '${v}' (only virt)`); break;
      case "gic-version":
        // As QEMU's virt with TCG: "max" is GICv3, "host" needs KVM, GICv4 is not emulated here.
        if (v === "2") out.gicVersion = 2;
        else if (v === "3" || v === "max") out.gicVersion = 3;
        else if (v === "host") throw new UsageError("gic-version=host requires KVM");
        else if (v === "4") throw new UsageError("gic-version=4 is not supported (2, 3 or max)");
        else throw new UsageError(`invalid gic-version value '${v}' (valid values are 3, 2, max)`);
        break;
      case "virtualization": out.virtualization = onOff(); break;
      case "dumpdtb": out.dumpDtb = v; break;
      case "secure": out.secure = onOff(); break;
      case "dtb-randomness": case "dtb-kaslr-seed": out.dtbRandomness = onOff(); break;
      case "acpi": out.acpi = v === "auto" ? true : onOff(); break;
      case "highmem": case "its": onOff(); break;
      default: throw new UsageError(`unknown machine property '${key}'`);
    }
  }
}
