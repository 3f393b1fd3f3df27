/**
 * xl's domain configuration files (Xen's docs/man/xl.cfg.5.pod.in): `KEY = VALUE` lines, where
 * a value is a number, a string in double or single quotes, or a list of them in brackets
 * (which may span lines); `#` starts a comment. This reads the syntax and the keys Xen on Arm
 * takes for a domain of the partition model, and reports each problem as xl does, one line
 * with the file and line it comes from.
 *
 * Platform-neutral: the text comes in, the files it names are read by the host.
 */

export type XlValue = { kind: "number"; value: number } | { kind: "string"; value: string } | { kind: "list"; items: XlValue[] };

export type XlAction = "destroy" | "restart" | "preserve";

export interface XlDomainConfig {
  name: string;
  /** Xen on Arm builds PVH-like guests only (libxl_arm.c refuses the other types). */
  type: "pvh";
  kernel: string;
  ramdisk?: string;
  /** The guest's command line: `extra` (or `cmdline`, which replaces `root` + `extra`). */
  cmdline?: string;
  /** Device tree blob to start from (`device_tree`); recorded, the partition's own tree is used. */
  deviceTree?: string;
  memoryMiB: number;
  vcpus: number;
  /** The physical CPUs each vCPU may run on (xl's `cpus`): one list per vCPU, or one for all; undefined is "any free". */
  cpus?: number[][];
  onPoweroff: XlAction;
  onReboot: XlAction;
  onCrash: XlAction;
  /** `iomem`: machine frames mapped at guest frames (4 KiB pages). */
  iomem: { mfn: number; pages: number; gfn: number }[];
  /** `irqs`: interrupts (GIC INTIDs) routed to the domain. */
  irqs: number[];
  /** Accepted and recorded; the partition model has no PV back ends yet (see docs/hv-config.md). */
  vif: string[];
  disk: string[];
  /** `vpl011`: the emulated PL011 (every partition has one, so this changes nothing). */
  vpl011?: boolean;
  uuid?: string;
}

export interface XlProblem { line: number; message: string }

export type XlParseResult = { ok: true; config: XlDomainConfig } | { ok: false; problems: XlProblem[] };

/** Keys read here; others Xen knows are reported as not supported, unknown ones as unknown. */
const KNOWN_UNSUPPORTED = new Set([
  "builder", "pool", "cpu_weight", "cap", "maxmem", "maxvcpus", "cpus_soft", "bootloader", "bootloader_args",
  "pci", "dtdev", "vfb", "vkb", "channel", "p9", "vtpm", "usbctrl", "usbdev", "gic_version", "tee", "nr_spis",
  "dm_restrict", "seclabel", "init_seclabel", "max_grant_frames", "max_maptrack_frames", "vnuma", "e820_host",
]);
/** Keys accepted for compatibility that change nothing in the partition model. */
const IGNORED = new Set(["localtime", "rtc_timeoffset", "on_watchdog", "on_soft_reset", "driver_domain", "vcpu_hard_affinity", "max_event_channels"]);

const ACTIONS = new Set(["destroy", "restart", "preserve"]);
const XEN_ACTIONS = new Set(["rename-restart", "coredump-destroy", "coredump-restart", "soft-reset"]);

class Lexer {
  private i = 0;
  line = 1;
  constructor(private readonly text: string) {}

  skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.text[this.i];
      if (c === " " || c === "\t" || c === "\r") this.i++;
      else if (c === "\n" && newlines) { this.i++; this.line++; }
      else if (c === "#") { while (this.i < this.text.length && this.text[this.i] !== "\n") this.i++; }
      else if (c === "\\" && this.text[this.i + 1] === "\n") { this.i += 2; this.line++; }
      else return;
    }
  }

  get done(): boolean { return this.i >= this.text.length; }
  peek(): string | undefined { return this.text[this.i]; }
  take(): string { return this.text[this.i++]; }

  ident(): string | undefined {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i, this.i + 256));
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  /** A value: a number, a quoted string, or a bracketed list (which may span lines). */
  value(): XlValue | string {
    const c = this.peek();
    if (c === '"' || c === "'") {
      this.i++;
      let out = "";
      for (;;) {
        const d = this.text[this.i++];
        if (d === undefined || d === "\n") return "unterminated string";
        if (d === c) break;
        if (d === "\\") {
          const e = this.text[this.i++];
          out += e === "n" ? "\n" : e === "t" ? "\t" : e ?? "";
        } else out += d;
      }
      return { kind: "string", value: out };
    }
    if (c === "[") {
      this.i++;
      const items: XlValue[] = [];
      for (;;) {
        this.skipBlank(true);
        if (this.peek() === "]") { this.i++; return { kind: "list", items }; }
        if (this.done) return "unterminated list (no ']')";
        const v = this.value();
        if (typeof v === "string") return v;
        if (v.kind === "list") return "a list inside a list";
        items.push(v);
        this.skipBlank(true);
        if (this.peek() === ",") { this.i++; continue; }
        if (this.peek() === "]") continue;
        return `',' or ']' expected in a list, not ${this.describe()}`;
      }
    }
    const m = /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?)/.exec(this.text.slice(this.i, this.i + 64));
    if (m) { this.i += m[0].length; return { kind: "number", value: Number(m[0]) }; }
    return `a value (number, "string" or [list]) expected, not ${this.describe()}`;
  }

  describe(): string {
    const c = this.peek();
    return c === undefined ? "the end of the file" : c === "\n" ? "the end of the line" : `'${c}'`;
  }
}

/** The `KEY = VALUE` settings of a file, in order, or the syntax errors (libxlutil's parser accepts `;` as a separator too). */
export function parseXlSettings(text: string): { settings: Map<string, { value: XlValue; line: number }>; problems: XlProblem[]; broken: Set<string> } {
  const lex = new Lexer(text);
  const settings = new Map<string, { value: XlValue; line: number }>();
  const problems: XlProblem[] = [];
  /** Keys whose value had a syntax error (reported once, not again as missing). */
  const broken = new Set<string>();
  for (;;) {
    lex.skipBlank(true);
    if (lex.done) break;
    if (lex.peek() === ";") { lex.take(); continue; }
    const line = lex.line;
    const key = lex.ident();
    const fail = (message: string) => {
      problems.push({ line, message });
      // Resynchronise at the next line.
      while (!lex.done && lex.peek() !== "\n") lex.take();
    };
    if (!key) { fail(`a setting (KEY = VALUE) expected, not ${lex.describe()}`); continue; }
    lex.skipBlank(false);
    if (lex.peek() !== "=") { fail(`'=' expected after '${key}', not ${lex.describe()}`); continue; }
    lex.take();
    lex.skipBlank(false);
    const value = lex.value();
    if (typeof value === "string") { fail(`${key}: ${value}`); broken.add(key); continue; }
    lex.skipBlank(false);
    if (!lex.done && lex.peek() !== "\n" && lex.peek() !== ";") { fail(`${key}: end of line expected after the value, not ${lex.describe()}`); broken.add(key); continue; }
    settings.set(key, { value, line });
  }
  return { settings, problems, broken };
}

/** xl's CPU list syntax (xl.cfg "cpus"): "all", "N", "N-M", "^N" to take out, comma-separated. */
export function parseCpuList(text: string, boardCpus: number): number[] | string {
  const set = new Set<number>();
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => p === "")) return `"${text}": an empty CPU in the list`;
  for (const part of parts) {
    const negate = part.startsWith("^");
    const body = negate ? part.slice(1) : part;
    let cpus: number[];
    if (body === "all") cpus = Array.from({ length: boardCpus }, (_, i) => i);
    else {
      const m = /^(\d+)(?:-(\d+))?$/.exec(body);
      if (!m) return `"${text}": '${part}' is not a CPU, a range N-M or "all"`;
      const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
      if (hi < lo) return `"${text}": range ${part} is backwards`;
      if (hi >= boardCpus) return `"${text}": CPU ${hi} does not exist (the board has ${boardCpus})`;
      cpus = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    }
    for (const c of cpus) negate ? set.delete(c) : set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

/** xl's domain names: xl refuses empty names and all-digit ones (they would read as domain ids). */
function checkName(name: string): string | undefined {
  if (name === "") return "name must not be empty";
  if (/^\d+$/.test(name)) return `name "${name}" is all digits (it would read as a domain id)`;
  if (!/^[A-Za-z0-9_.\-:+]+$/.test(name)) return `name "${name}": letters, digits and _ . - : + only`;
  if (name.length > 64) return "name is longer than 64 characters";
  return undefined;
}

/** Hex, with or without 0x, as xl reads iomem (sscanf %x). */
function hexNumber(s: string): number | undefined {
  if (!/^(0x)?[0-9a-fA-F]+$/i.test(s)) return undefined;
  const n = parseInt(s.replace(/^0x/i, ""), 16);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Check a domain configuration; `boardCpus` bounds the CPU lists. */
export function parseXlConfig(text: string, boardCpus: number): XlParseResult {
  const { settings, problems, broken } = parseXlSettings(text);
  const add = (line: number, message: string) => problems.push({ line, message });
  const lineOf = (k: string) => settings.get(k)?.line ?? 0;
  const str = (k: string): string | undefined => {
    const s = settings.get(k);
    if (!s) return undefined;
    if (s.value.kind !== "string") { add(s.line, `${k} must be a "string"`); return undefined; }
    return s.value.value;
  };
  const num = (k: string): number | undefined => {
    const s = settings.get(k);
    if (!s) return undefined;
    if (s.value.kind !== "number" || !Number.isInteger(s.value.value)) { add(s.line, `${k} must be a whole number`); return undefined; }
    return s.value.value;
  };
  const strList = (k: string): string[] => {
    const s = settings.get(k);
    if (!s) return [];
    if (s.value.kind === "string") return [s.value.value];
    if (s.value.kind !== "list" || s.value.items.some((i) => i.kind !== "string")) { add(s.line, `${k} must be a list of "strings"`); return []; }
    return s.value.items.map((i) => (i as { value: string }).value);
  };

  for (const [key, { line }] of settings) {
    if (KNOWN_UNSUPPORTED.has(key)) add(line, `${key}: not supported by tessera's toolstack`);
    else if (!IGNORED.has(key) && !READ_KEYS.has(key)) add(line, `unknown setting '${key}'`);
  }

  const name = str("name");
  if (name === undefined && !settings.has("name") && !broken.has("name")) add(0, "domain name must be specified (name = \"...\")");
  else if (name !== undefined) { const bad = checkName(name); if (bad) add(lineOf("name"), bad); }

  const type = str("type") ?? "pvh";
  // libxl on Arm: "Unsupported Arm guest type" for anything but PVH (xl.cfg: type on Arm).
  if (type !== "pvh") add(lineOf("type"), `type "${type}": Xen on Arm guests are "pvh" (hvm and pv are x86 types)`);

  const kernel = str("kernel");
  if (kernel === undefined && !settings.has("kernel") && !broken.has("kernel")) add(0, "kernel must be specified (kernel = \"FILE\")");
  const ramdisk = str("ramdisk");
  const extra = str("extra"), root = str("root"), cmdlineKey = str("cmdline");
  const cmdline = cmdlineKey ?? ([root ? `root=${root}` : "", extra ?? ""].filter((s) => s !== "").join(" ") || undefined);
  const deviceTree = str("device_tree");

  const memory = num("memory") ?? 128;
  if (settings.has("memory") && (memory < 1 || memory > 255 * 1024)) add(lineOf("memory"), `memory ${memory}: 1 to 261120 MiB`);
  const vcpus = num("vcpus") ?? 1;
  if (vcpus < 1 || vcpus > 8) add(lineOf("vcpus"), `vcpus ${vcpus}: 1 to 8`);

  // cpus: a string (every vCPU may run on these) or a list (vCPU i on the i-th entry).
  let cpus: number[][] | undefined;
  const cpusSetting = settings.get("cpus");
  if (cpusSetting) {
    const v = cpusSetting.value;
    const entries = v.kind === "list" ? v.items : [v];
    const lists: number[][] = [];
    for (const e of entries) {
      const text = e.kind === "number" ? String(e.value) : e.kind === "string" ? e.value : undefined;
      if (text === undefined) { add(cpusSetting.line, "cpus must be a \"string\" or a list of them"); break; }
      const r = parseCpuList(text, boardCpus);
      if (typeof r === "string") { add(cpusSetting.line, `cpus ${r}`); break; }
      if (r.length === 0) { add(cpusSetting.line, `cpus "${text}" names no CPU`); break; }
      lists.push(r);
    }
    if (lists.length === entries.length) cpus = v.kind === "list" ? lists : [lists[0]];
    if (v.kind === "list" && cpus && cpus.length !== vcpus) add(cpusSetting.line, `cpus lists ${cpus.length} entries for ${vcpus} vcpus (one per vCPU)`);
  }

  const action = (k: string, fallback: XlAction): XlAction => {
    const v = str(k);
    if (v === undefined) return fallback;
    if (ACTIONS.has(v)) return v as XlAction;
    if (XEN_ACTIONS.has(v)) add(lineOf(k), `${k} "${v}": not supported by tessera's toolstack (destroy, restart or preserve)`);
    else add(lineOf(k), `${k} "${v}": unknown action (destroy, restart or preserve)`);
    return fallback;
  };
  // xl.cfg's defaults: on_poweroff destroy, on_reboot restart, on_crash destroy.
  const onPoweroff = action("on_poweroff", "destroy"), onReboot = action("on_reboot", "restart"), onCrash = action("on_crash", "destroy");

  const iomem: XlDomainConfig["iomem"] = [];
  for (const spec of strList("iomem")) {
    // "IOMEM_START,NUM_PAGES[@GFN]", all hexadecimal (xl.cfg); without @GFN the mapping is 1:1.
    const m = /^\s*([^,@\s]+)\s*,\s*([^,@\s]+)\s*(?:@\s*([^,@\s]+))?\s*$/.exec(spec);
    const mfn = m ? hexNumber(m[1]) : undefined, pages = m ? hexNumber(m[2]) : undefined;
    const gfn = m && m[3] !== undefined ? hexNumber(m[3]) : mfn;
    if (!m || mfn === undefined || pages === undefined || gfn === undefined) { add(lineOf("iomem"), `iomem "${spec}": IOMEM_START,NUM_PAGES[@GFN] in hexadecimal`); continue; }
    if (pages === 0) { add(lineOf("iomem"), `iomem "${spec}": NUM_PAGES is 0`); continue; }
    iomem.push({ mfn, pages, gfn });
  }

  const irqs: number[] = [];
  const irqSetting = settings.get("irqs");
  if (irqSetting) {
    const v = irqSetting.value;
    const items = v.kind === "list" ? v.items : [v];
    for (const i of items) {
      if (i.kind !== "number" || !Number.isInteger(i.value)) { add(irqSetting.line, "irqs must be a list of numbers"); break; }
      irqs.push(i.value);
    }
  }

  const vpl011Setting = settings.get("vpl011");
  let vpl011: boolean | undefined;
  if (vpl011Setting) {
    const v = vpl011Setting.value;
    const t = v.kind === "number" ? String(v.value) : v.kind === "string" ? v.value : "";
    if (t === "1" || t === "0") vpl011 = t === "1";
    else add(vpl011Setting.line, "vpl011 is 0 or 1");
  }
  const vif = strList("vif"), disk = strList("disk");
  const uuid = str("uuid");
  if (uuid !== undefined && !/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(uuid)) add(lineOf("uuid"), `uuid "${uuid}" is not a UUID`);

  if (problems.length) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  return {
    ok: true,
    config: {
      name: name!, type: "pvh", kernel: kernel!, ramdisk, cmdline, deviceTree, memoryMiB: memory, vcpus, cpus,
      onPoweroff, onReboot, onCrash, iomem, irqs, vif, disk, vpl011, uuid,
    },
  };
}

const READ_KEYS = new Set([
  "name", "type", "kernel", "ramdisk", "extra", "root", "cmdline", "device_tree", "memory", "vcpus", "cpus",
  "on_poweroff", "on_reboot", "on_crash", "iomem", "irqs", "vif", "disk", "vpl011", "uuid",
]);
