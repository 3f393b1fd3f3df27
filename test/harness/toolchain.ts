/**
 * The GNU cross binutils as the oracle for A64 encodings and disassembly: assemble snippets
 * with aarch64-linux-gnu-as, read the instruction words back (objcopy) or the disassembly
 * (objdump). Tests that need them skip when crossToolchainMissing() says why.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { oracleMissing } from "./oracles.js";
import { commandExists } from "./process.js";

const PREFIX = "aarch64-linux-gnu-";
export type CrossTool = "as" | "objdump" | "objcopy";
const toolPath = (tool: CrossTool): string => PREFIX + tool;

/** Large enough for objdump's listing of a few hundred thousand words. */
const MAX_OUTPUT = 1 << 28;

const installed = new Map<CrossTool, boolean>();

/** Why the tests cannot use `tools`, or false when every one of them runs. */
export function crossToolchainMissing(tools: readonly CrossTool[] = ["as", "objdump"]): string | false {
  for (const tool of tools) {
    let ok = installed.get(tool);
    if (ok === undefined) installed.set(tool, (ok = commandExists(toolPath(tool))));
    if (!ok) return oracleMissing(`${toolPath(tool)} not installed`);
  }
  return false;
}

export interface AssembleOptions {
  /** The assembler's -march (none: its default). */
  march?: string;
}

/** One disassembled instruction: its address, word, and objdump's text as printed. */
export interface DumpRow {
  pc: number;
  word: number;
  text: string;
}

function run(tool: CrossTool, args: string[]): string {
  const r = spawnSync(toolPath(tool), args, { encoding: "utf8", maxBuffer: MAX_OUTPUT });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${toolPath(tool)} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Run `body` with a fresh scratch directory, removed afterwards. */
function inScratchDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "tessera-binutils-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Assemble `source` into `dir`/a.o and return that path. */
function assembleObject(dir: string, source: string, opts: AssembleOptions): string {
  const src = join(dir, "a.s"), obj = join(dir, "a.o");
  writeFileSync(src, source.endsWith("\n") ? source : source + "\n");
  run("as", [...(opts.march ? [`-march=${opts.march}`] : []), "-o", obj, src]);
  return obj;
}

/** The instruction rows of an objdump listing. */
function parseDump(listing: string): DumpRow[] {
  const rows: DumpRow[] = [];
  for (const line of listing.split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(line);
    if (m) rows.push({ pc: parseInt(m[1], 16), word: parseInt(m[2], 16) >>> 0, text: m[3] });
  }
  return rows;
}

/** Assemble `source` and return the words of its .text section, in order. */
export function assemble(source: string, opts: AssembleOptions = {}): number[] {
  return inScratchDir((dir) => {
    const bin = join(dir, "a.bin");
    run("objcopy", ["-O", "binary", "-j", ".text", assembleObject(dir, source, opts), bin]);
    const bytes = readFileSync(bin);
    const words: number[] = [];
    for (let i = 0; i + 4 <= bytes.length; i += 4) words.push(bytes.readUInt32LE(i));
    return words;
  });
}

/** Assemble `source` and disassemble it with objdump -d: one row per instruction, in order. */
export function assembleAndDump(source: string, opts: AssembleOptions = {}): DumpRow[] {
  return inScratchDir((dir) => parseDump(run("objdump", ["-d", assembleObject(dir, source, opts)])));
}

/** Disassemble raw instruction words (objdump -b binary), one row per word. */
export function objdumpWords(words: Uint8Array | readonly number[]): DumpRow[] {
  let bytes: Uint8Array;
  if (words instanceof Uint8Array) bytes = words;
  else {
    const buf = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => buf.writeUInt32LE(w >>> 0, i * 4));
    bytes = buf;
  }
  return inScratchDir((dir) => {
    const bin = join(dir, "w.bin");
    writeFileSync(bin, bytes);
    return parseDump(run("objdump", ["-b", "binary", "-m", "aarch64", "-D", bin]));
  });
}

export interface NormaliseOptions {
  /** Separate the mnemonic from its operands by one tab instead of one space. */
  mnemonicTab?: boolean;
}

/**
 * A disassembly line in comparable form: objdump's trailing `// ...` comment (decimal values
 * of immediates, condition aliases) and `<symbol+off>` annotation dropped, runs of whitespace
 * collapsed to one space, the mnemonic followed by one space (or tab) and the operands.
 */
export function normaliseObjdump(text: string, opts: NormaliseOptions = {}): string {
  const t = text.replace(/\s*\/\/.*$/, "").replace(/\s*<[^>]*>\s*$/, "").trim();
  const m = /^(\S+)\s*(.*)$/.exec(t);
  if (!m) return t;
  return m[2] ? `${m[1]}${opts.mnemonicTab ? "\t" : " "}${m[2].replace(/\s+/g, " ")}` : m[1];
}
