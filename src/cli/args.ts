/**
 * Command-line parsing for `tessera run`, QEMU style: single-dash options, `-machine` with
 * comma-separated properties, sizes with optional K/M/G/T suffix (MiB when none, as QEMU -m).
 */

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface RunArgs {
  kernel: string;
  initrd?: string;
  append?: string;
  dtb?: string;
  smp: number;
  ramSize: number;
  gicVersion: 2 | 3;
  virtualization: boolean;
  /** secure=on: EL3 and the Secure-only devices. */
  secure: boolean;
  dumpDtb?: string;
  trace: { exec: boolean; int: boolean };
  logFile?: string;
  maxInsns?: number;
  watchdogSeconds?: number;
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
const IGNORED_FLAGS = new Set(["-nographic", "-no-reboot", "-s", "-no-shutdown", "-enable-kvm"]);
/** Options with a value that are accepted and ignored when the value is harmless. */
const IGNORED_WITH_VALUE: Record<string, (v: string) => boolean> = {
  "-net": (v) => v === "none",
  "-monitor": (v) => v === "none",
  "-display": (v) => v === "none",
  "-vga": (v) => v === "none",
  "-serial": (v) => v === "stdio" || v === "mon:stdio",
  "-cpu": (v) => v === "cortex-a53" || v === "max" || v === "cortex-a57",
  "-accel": (v) => v === "tcg",
  "-parallel": (v) => v === "none",
};

export function parseRunArgs(argv: string[]): RunArgs {
  const out: Partial<RunArgs> & { trace: RunArgs["trace"] } = {
    smp: 1, ramSize: 128 * MiB, gicVersion: 2, virtualization: false, secure: false, trace: { exec: false, int: false },
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
    if (IGNORED_FLAGS.has(opt)) continue;
    if (opt in IGNORED_WITH_VALUE) {
      const v = value();
      if (!IGNORED_WITH_VALUE[opt](v)) throw new UsageError(`unsupported ${opt} value '${v}'`);
      continue;
    }
    switch (opt) {
      case "-kernel": out.kernel = value(); break;
      case "-initrd": out.initrd = value(); break;
      case "-append": out.append = value(); break;
      case "-dtb": out.dtb = value(); break;
      case "-smp": {
        const v = value();
        const cpus = /^(?:cpus=)?(\d+)/.exec(v);
        if (!cpus) throw new UsageError(`invalid -smp '${v}'`);
        out.smp = Number(cpus[1]);
        if (out.smp < 1 || out.smp > 8) throw new UsageError(`-smp ${out.smp}: the virt board here supports 1 to 8 CPUs`);
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
        for (const item of value().split(",")) {
          if (item === "exec" || item === "in_asm" || item === "cpu") out.trace.exec = true;
          else if (item === "int") out.trace.int = true;
          else if (item !== "") throw new UsageError(`unknown -d item '${item}' (supported: exec, int)`);
        }
        break;
      }
      case "-D": out.logFile = value(); break;
      case "-max-insns": out.maxInsns = parseInt10(value(), "--max-insns"); break;
      case "-watchdog": {
        const v = value();
        const s = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || s <= 0) throw new UsageError(`invalid --watchdog '${v}'`);
        out.watchdogSeconds = s;
        break;
      }
      default:
        if (opt.startsWith("-")) throw new UsageError(`unknown option '${argv[i]}'`);
        throw new UsageError(`unexpected argument '${opt}'`);
    }
  }
  if (!out.kernel) throw new UsageError("no kernel given (use -kernel FILE)");
  return out as RunArgs;
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
        if (v === "2") out.gicVersion = 2;
        else if (v === "3" || v === "max" || v === "host") out.gicVersion = 3;
        else throw new UsageError(`unsupported gic-version '${v}' (2 or 3)`);
        break;
      case "virtualization": out.virtualization = onOff(); break;
      case "dumpdtb": out.dumpDtb = v; break;
      case "secure": out.secure = onOff(); break;
      case "highmem": case "its": case "acpi": case "dtb-randomness": onOff(); break;
      default: throw new UsageError(`unknown machine property '${key}'`);
    }
  }
}
