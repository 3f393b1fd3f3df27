/**
 * `tessera dtc`: a dtc-compatible device tree compiler front end over src/devicetree.
 * Options and defaults follow dtc 1.6: input format from the file's magic number, output
 * format from -O, else from the -o file extension, else dtb for DTS input and dts otherwise.
 */

import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import {
  DtbError,
  DtsError,
  DtsFileError,
  OverlayError,
  SourceReadError,
  TreeCheckError,
  type SourceReader,
  decodeDtb,
  encodeDtb,
  formatDiagnostic,
  isDtb,
  parseDts,
  processTree,
  dtsPieces,
  type DeviceTree,
  type PhandleFormat,
  SUPPORTED_DTB_VERSIONS,
} from "../devicetree/index.js";

const HELP = `Usage: tessera dtc [options] <input file>...

Compile device trees between source (dts) and blob (dtb) form, byte-compatible with dtc.

Options:
  -I, --in-format <fmt>   Input format: dts or dtb (default: dtb if the file starts with the
                          FDT magic number, else dts)
  -O, --out-format <fmt>  Output format: dts or dtb (default: from the -o extension, else
                          dtb for dts input and dts for dtb input)
  -o, --out <file>        Output file (default: stdout). With several input files, -o names a
                          directory; each result is written there as <input name>.<format>
  -d, --out-dependency <file>  Write make-style dependencies (input and included files)
  -@, --symbols           Emit a /__symbols__ node for use by overlays
  -i, --include <dir>     Add a directory to the search path for /include/ and /incbin/
  -b, --boot-cpu <id>     Set boot_cpuid_phys in the blob header
  -R, --reserve <n>       Add n empty memory reservation slots
  -S, --space <bytes>     Pad the blob to at least this size
  -p, --pad <bytes>       Add this much padding to the blob
  -a, --align <bytes>     Pad the blob to a multiple of this power of two
  -V, --out-version <n>   Blob version: 17 (default), 16, 3, 2 or 1
  -s, --sort              Sort reservations, properties and nodes
  -H, --phandle <style>   Phandle property to generate: epapr (phandle, default), legacy
                          (linux,phandle) or both
  -A, --auto-alias        Add an /aliases entry for every label
  -W, --warning <check>   Accepted for dtc compatibility (Tessera reports no check warnings)
  -E, --error <check>     Accepted for dtc compatibility
  -f, --force             Produce output even if the input has errors
  -q, --quiet             Quiet: -q suppresses warnings, -qq errors too
  -h, --help              Show this help
  -v, --version           Show the version

Batch use: 'tessera dtc -I dtb -O dts -o out/ a.dtb b.dtb c.dtb' converts every file in
one process; the exit code is that of the worst failure, and each failure names its file.
`;

interface Options {
  inputFormat?: string;
  outputFormat?: string;
  output?: string;
  symbols: boolean;
  dependencyFile?: string;
  includeDirs: string[];
  bootCpuId?: number;
  reserveSlots: number;
  minSize: number;
  padSize: number;
  align: number;
  force: boolean;
  quiet: number;
  version: number;
  sort: boolean;
  phandleFormat: PhandleFormat;
  autoAliases: boolean;
  files: string[];
}

class UsageError extends Error {}

const LONG_OPTIONS: Record<string, string> = {
  "--in-format": "-I",
  "--out-format": "-O",
  "--out": "-o",
  "--symbols": "-@",
  "--out-dependency": "-d",
  "--include": "-i",
  "--boot-cpu": "-b",
  "--reserve": "-R",
  "--space": "-S",
  "--pad": "-p",
  "--align": "-a",
  "--out-version": "-V",
  "--force": "-f",
  "--sort": "-s",
  "--phandle": "-H",
  "--auto-alias": "-A",
  "--warning": "-W",
  "--error": "-E",
  "--quiet": "-q",
  "--help": "-h",
  "--version": "-v",
};
const TAKES_VALUE = new Set(["-d", "-I", "-O", "-o", "-i", "-b", "-R", "-S", "-p", "-a", "-V", "-H", "-W", "-E"]);

/** strtol(…, 0)-style integer: decimal, 0x hex or 0 octal. */
function parseNumber(text: string, option: string): number {
  const trimmed = text.trim();
  let value: number;
  if (/^-?0[xX][0-9a-fA-F]+$/.test(trimmed)) value = parseInt(trimmed, 16);
  else if (/^-?0[0-7]+$/.test(trimmed)) value = parseInt(trimmed, 8);
  else if (/^-?[0-9]+$/.test(trimmed)) value = parseInt(trimmed, 10);
  else throw new UsageError(`invalid number "${text}" for ${option}`);
  return value;
}

function parseArguments(argv: string[]): Options | "help" | "version" {
  const options: Options = {
    symbols: false,
    includeDirs: [],
    reserveSlots: 0,
    minSize: 0,
    padSize: 0,
    align: 0,
    force: false,
    quiet: 0,
    version: 17,
    sort: false,
    phandleFormat: "epapr",
    autoAliases: false,
    files: [],
  };
  for (let index = 0; index < argv.length; index++) {
    let argument = argv[index];
    if (argument === "--") {
      options.files.push(...argv.slice(index + 1));
      break;
    }
    let inlineValue: string | undefined;
    if (argument.startsWith("--")) {
      const equals = argument.indexOf("=");
      if (equals > 0) {
        inlineValue = argument.slice(equals + 1);
        argument = argument.slice(0, equals);
      }
      const short = LONG_OPTIONS[argument];
      if (!short) throw new UsageError(`unknown option ${argument}`);
      argument = short;
    } else if (argument.startsWith("-") && argument.length > 2 && argument !== "-") {
      // Bundled short options (-qq, -@q) or an attached value (-Odtb).
      const flag = argument.slice(0, 2);
      if (TAKES_VALUE.has(flag)) inlineValue = argument.slice(2);
      else {
        argv = [...argv.slice(0, index), flag, "-" + argument.slice(2), ...argv.slice(index + 1)];
        argument = flag;
      }
    }
    if (!argument.startsWith("-") || argument === "-") {
      options.files.push(argument);
      continue;
    }
    let value = inlineValue;
    if (TAKES_VALUE.has(argument) && value === undefined) {
      if (index + 1 >= argv.length) throw new UsageError(`option ${argument} needs a value`);
      value = argv[++index];
    }
    switch (argument) {
      case "-I": options.inputFormat = value; break;
      case "-O": options.outputFormat = value; break;
      case "-o": options.output = value; break;
      case "-@": options.symbols = true; break;
      case "-d": options.dependencyFile = value; break;
      case "-i": options.includeDirs.push(value!); break;
      case "-b": options.bootCpuId = parseNumber(value!, "-b") >>> 0; break;
      case "-R": options.reserveSlots = parseNumber(value!, "-R"); break;
      case "-S": options.minSize = parseNumber(value!, "-S"); break;
      case "-p": options.padSize = parseNumber(value!, "-p"); break;
      case "-a": {
        options.align = parseNumber(value!, "-a");
        if (options.align <= 0 || (options.align & (options.align - 1)) !== 0) throw new UsageError(`invalid argument "${value}" to -a option`);
        break;
      }
      case "-V": {
        const version = parseNumber(value!, "-V");
        if (!SUPPORTED_DTB_VERSIONS.includes(version)) throw new UsageError(`unknown device tree blob version ${value} (${SUPPORTED_DTB_VERSIONS.join(", ")})`);
        options.version = version;
        break;
      }
      case "-f": options.force = true; break;
      case "-s": options.sort = true; break;
      case "-A": options.autoAliases = true; break;
      case "-W": case "-E": break; // check levels: nothing to adjust, Tessera runs only dtc's error checks
      case "-H":
        if (value !== "epapr" && value !== "legacy" && value !== "both") throw new UsageError(`invalid argument "${value}" to -H option`);
        options.phandleFormat = value;
        break;
      case "-q": options.quiet++; break;
      case "-h": return "help";
      case "-v": return "version";
      default:
        throw new UsageError(`unknown option ${argument}`);
    }
  }
  if (options.minSize && options.padSize) throw new UsageError("can't set both -p and -S");
  if (options.files.length === 0) options.files.push("-");
  for (const format of [options.inputFormat, options.outputFormat]) {
    if (format !== undefined && format !== "dts" && format !== "dtb") throw new UsageError(`unknown format "${format}" (dts or dtb)`);
  }
  return options;
}

/** dtc's guess_type_by_name: the extension, compared case-insensitively. */
function formatFromName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const lower = name.toLowerCase();
  if (lower.endsWith(".dts")) return "dts";
  if (lower.endsWith(".dtb") || lower.endsWith(".dtbo")) return "dtb";
  return undefined;
}

/** strerror() text for the errno codes file reads meet, so messages read as dtc's do. */
const STRERROR: Record<string, string> = {
  EACCES: "Permission denied",
  EINVAL: "Invalid argument",
  EIO: "Input/output error",
  EISDIR: "Is a directory",
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  ENXIO: "No such device or address",
  ESPIPE: "Illegal seek",
};

function strerror(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && STRERROR[code]) ?? (error as Error).message;
}

/** Read into `target` from `position` (null: the current one) until it is full or the file ends. */
function readFully(fd: number, target: Uint8Array, position: number | null): number {
  let done = 0;
  while (done < target.length) {
    const count = readSync(fd, target, done, target.length - done, position === null ? null : position + done);
    if (count === 0) break;
    done += count;
  }
  return done;
}

/**
 * Read `length` bytes (undefined: to the end) from `offset` of something that is not a regular
 * file. A device or a pipe has no size, so it is read in chunks: all `length` bytes when given (the
 * caller bounded it, as /incbin/("/dev/zero", 0, 16) does), else to its end but refused past
 * MAX_INPUT_BYTES rather than read without bound (dtc would read /dev/zero forever).
 */
function readStream(fd: number, offset: number, length: number | undefined): Uint8Array {
  const wanted = length ?? MAX_INPUT_BYTES + 1;
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < wanted) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 16, wanted - total));
    let count: number;
    try {
      // An offset needs a seekable file, as dtc's fseek does; a pipe fails with ESPIPE.
      count = readSync(fd, chunk, 0, chunk.length, offset > 0 ? offset + total : null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      throw new SourceReadError(strerror(error), code === "ESPIPE" ? "seek" : code === "EISDIR" ? "directory" : "read");
    }
    if (count === 0) break;
    chunks.push(chunk.subarray(0, count));
    total += count;
  }
  if (length === undefined && total > MAX_INPUT_BYTES) {
    throw new SourceReadError(`not a regular file, and it did not end within ${MAX_INPUT_BYTES} bytes`, "unbounded");
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads included files from disk and remembers which were opened (for -d). A file that cannot be
 * opened is "not found" (the search path goes on); one that opens but cannot be read, such as a
 * directory, is a SourceReadError, which is where dtc stops too.
 */
function diskReader(opened: string[]): SourceReader {
  const read = (path: string, offset: number, length: number | undefined): Uint8Array | undefined => {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return undefined;
    }
    try {
      const stat = fstatSync(fd);
      let bytes: Uint8Array;
      if (stat.isDirectory()) {
        // dtc opens a directory fine and fails at the first read; a zero length reads nothing.
        if (length !== 0) throw new SourceReadError(STRERROR.EISDIR, "directory");
        bytes = new Uint8Array(0);
      } else if (stat.isFile()) {
        // Only the range asked for: fseek past the end then fread gives nothing, as here.
        const start = Math.min(offset, stat.size);
        const end = length === undefined ? stat.size : Math.min(stat.size, start + length);
        const buffer = Buffer.allocUnsafe(end - start);
        try {
          bytes = buffer.subarray(0, readFully(fd, buffer, start));
        } catch (error) {
          throw new SourceReadError(strerror(error), "read");
        }
      } else bytes = readStream(fd, offset, length);
      opened.push(path);
      return bytes;
    } finally {
      closeSync(fd);
    }
  };
  return {
    readFile: (path) => read(path, 0, undefined),
    readFileRange: read,
  };
}

interface Output {
  /** May return a promise that settles once the chunk is handed to the OS. */
  stdout: (chunk: string | Uint8Array) => void | Promise<void>;
  stderr: (line: string) => void;
}

/** Inputs larger than this are refused rather than read into memory (device trees are kilobytes). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

class InputTooLarge extends Error {}

/**
 * Read a whole input file, or stdin for "-". Regular files are read at their size; anything else
 * (a pipe, /dev/zero) is read in chunks and refused past MAX_INPUT_BYTES, never read without bound.
 */
function readInput(file: string): Uint8Array {
  const fd = file === "-" ? 0 : openSync(file, "r");
  try {
    const stat = fstatSync(fd);
    if (stat.isFile()) {
      if (stat.size > MAX_INPUT_BYTES) throw new InputTooLarge(`input larger than ${MAX_INPUT_BYTES} bytes`);
      return readFileSync(fd);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 16);
      let count: number;
      try {
        count = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") continue; // non-blocking stdin: retry
        if ((error as NodeJS.ErrnoException).code === "EOF") break;
        throw error;
      }
      if (count === 0) break;
      total += count;
      if (total > MAX_INPUT_BYTES) throw new InputTooLarge(`input larger than ${MAX_INPUT_BYTES} bytes`);
      chunks.push(chunk.subarray(0, count));
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** Convert one input; returns the exit code (0 ok, 1 fatal error, 2 check errors). */
async function convertOne(file: string, outputPath: string | undefined, options: Options, io: Output): Promise<number> {
  let input: Uint8Array;
  try {
    input = readInput(file);
  } catch (error) {
    if (error instanceof InputTooLarge) io.stderr(`FATAL ERROR: ${file}: ${error.message}`);
    else if ((error as NodeJS.ErrnoException).code === "EISDIR" && options.inputFormat === "dts") {
      // dtc's scanner opens the directory and flex's first read fails.
      io.stderr("input in flex scanner failed");
      return 2;
    } else if ((error as NodeJS.ErrnoException).code === "EISDIR" && options.inputFormat === "dtb") {
      io.stderr(`FATAL ERROR: Error reading DT blob magic number: ${strerror(error)}`);
    } else io.stderr(`FATAL ERROR: Couldn't open "${file}": ${strerror(error)}`);
    return 1;
  }
  // As dtc: the magic number decides, then the file name, then dts (stdin included, which dtc
  // would always read as dts; reading a piped blob as one is more useful and otherwise harmless).
  const inputFormat = options.inputFormat ?? (isDtb(input) ? "dtb" : (formatFromName(file) ?? "dts"));
  const outputFormat = options.outputFormat ?? formatFromName(outputPath) ?? (inputFormat === "dts" ? "dtb" : "dts");
  const displayName = file === "-" ? "<stdin>" : file;
  const warn = (message: string): void => {
    if (options.quiet < 1) io.stderr(message);
  };
  let tree: DeviceTree;
  try {
    const opened = [displayName];
    if (inputFormat === "dtb") tree = decodeDtb(input, { onWarning: warn });
    // Buffer's Latin-1 decoding makes one flat string outside the JS heap, which matters for a
    // source of megabytes; bytesToLatin1 is the platform-neutral equivalent.
    else tree = parseDts(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1"), displayName, { reader: diskReader(opened), includeDirs: options.includeDirs });
    if (options.dependencyFile) {
      // Make-style dependencies, as dtc -d writes them: "<output>: <input> <included files...>".
      writeFileSync(options.dependencyFile, `${outputPath ?? "-"}: ${opened.join(" ")}\n`);
    }
    processTree(tree, {
      generateSymbols: options.symbols,
      force: options.force,
      bootCpuId: options.bootCpuId,
      sort: options.sort,
      phandleFormat: options.phandleFormat,
      autoAliases: options.autoAliases,
      onWarning: warn,
    });
  } catch (error) {
    return reportFailure(error, displayName, outputPath, options, io);
  }
  // DTS text goes out piece by piece as it is printed: a large property prints as several times
  // its size in text, which is never held whole.
  const chunks: Iterable<Uint8Array> =
    outputFormat === "dts"
      ? latin1Chunks(dtsPieces(tree))
      : [encodeDtb(tree, { version: options.version, reserveSlots: options.reserveSlots, minSize: options.minSize, padSize: options.padSize, align: options.align, onWarning: warn })];
  if (!outputPath || outputPath === "-") {
    try {
      for (const chunk of chunks) await io.stdout(chunk);
    } catch (error) {
      // Standard output failed (a closed pipe, a full disk): the process host reports that in
      // its one line; an output of a caller's own is reported here.
      if (io.stdout !== writeToProcessStdout) io.stderr(`FATAL ERROR: writing output: ${(error as Error).message}`);
      return 1;
    }
  }
  else {
    let fd: number;
    try {
      fd = openSync(outputPath, "w");
    } catch (error) {
      io.stderr(`FATAL ERROR: Couldn't open output file ${outputPath}: ${(error as Error).message}`);
      return 1;
    }
    try {
      for (const chunk of chunks) writeFully(fd, chunk);
    } catch (error) {
      io.stderr(`FATAL ERROR: writing output file ${outputPath}: ${strerror(error)}`);
      return 1;
    } finally {
      closeSync(fd);
    }
  }
  return 0;
}

/** DTS pieces (Latin-1 text, one character per byte) as bytes. */
function* latin1Chunks(pieces: Iterable<string>): Generator<Uint8Array> {
  for (const piece of pieces) yield Buffer.from(piece, "latin1");
}

function writeFully(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

function reportFailure(error: unknown, file: string, outputPath: string | undefined, options: Options, io: Output): number {
  if (error instanceof TreeCheckError) {
    if (options.quiet < 2) {
      for (const diagnostic of error.diagnostics) io.stderr(formatDiagnostic(diagnostic, outputPath ?? "<stdout>").trimEnd());
    }
    io.stderr("ERROR: Input tree has errors, aborting (use -f to force output)");
    return 2;
  }
  if (error instanceof DtsFileError) {
    // An /include/ or /incbin/ file that opened but could not be read: dtc's own line and status.
    io.stderr(error.dtcMessage);
    return error.exitStatus;
  }
  if (error instanceof DtsError) {
    for (const line of error.diagnostics) io.stderr(`Error: ${line}`);
    io.stderr("FATAL ERROR: Unable to parse input tree");
    return 1;
  }
  if (error instanceof DtbError) {
    io.stderr(`FATAL ERROR: ${file}: ${error.message}`);
    return 1;
  }
  if (error instanceof OverlayError) {
    io.stderr(`FATAL ERROR: ${file}: ${error.message}`);
    return 1;
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    io.stderr(`FATAL ERROR: ${file}: input nested too deeply`);
    return 1;
  }
  io.stderr(`FATAL ERROR: ${file}: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

function replaceExtension(file: string, format: string): string {
  const name = basename(file);
  const dot = name.lastIndexOf(".");
  return (dot > 0 ? name.slice(0, dot) : name) + "." + format;
}

/**
 * Write and wait: a pipe takes 64 KiB at once and the caller may exit right after we return.
 * A closed pipe (`| head`) or a full disk rejects here; the stream's 'error' event itself is
 * absorbed by the CLI's process host (process-host.ts), which also reports the lost output.
 */
function writeToProcessStdout(chunk: string | Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

export async function dtcMain(argv: string[], io?: Partial<Output>): Promise<number> {
  const output: Output = {
    stdout: io?.stdout ?? writeToProcessStdout,
    stderr: io?.stderr ?? ((line) => process.stderr.write(line + "\n")),
  };
  let options: Options | "help" | "version";
  try {
    options = parseArguments(argv);
  } catch (error) {
    output.stderr(`tessera dtc: ${(error as Error).message}`);
    output.stderr("Try 'tessera dtc --help' for more information.");
    return 1;
  }
  if (options === "help") {
    await output.stdout(HELP);
    return 0;
  }
  if (options === "version") {
    await output.stdout("Version: tessera dtc (DTC 1.6.1 compatible)\n");
    return 0;
  }
  if (options.files.length === 1) return await convertOne(options.files[0], options.output, options, output);

  // Batch mode: -o is a directory.
  const directory = options.output;
  if (!directory || directory === "-") {
    output.stderr("tessera dtc: several input files need -o <directory>");
    return 1;
  }
  if (options.dependencyFile) {
    output.stderr("tessera dtc: -d takes a single input file");
    return 1;
  }
  try {
    if (!existsSync(directory)) mkdirSync(directory, { recursive: true });
    else if (!statSync(directory).isDirectory()) throw new Error(`${directory} is not a directory`);
  } catch (error) {
    output.stderr(`tessera dtc: ${(error as Error).message}`);
    return 1;
  }
  let worst = 0;
  for (const file of options.files) {
    const probeFormat = options.inputFormat ?? (formatFromName(file) === "dtb" ? "dtb" : undefined);
    const outputFormat = options.outputFormat ?? (probeFormat === "dtb" ? "dts" : probeFormat === "dts" ? "dtb" : undefined);
    const target = join(directory, replaceExtension(file, outputFormat ?? guessOutputFormat(file)));
    const code = await convertOne(file, target, { ...options, outputFormat: options.outputFormat ?? outputFormat ?? guessOutputFormat(file) }, output);
    worst = Math.max(worst, code);
  }
  return worst;
}

function guessOutputFormat(file: string): string {
  try {
    return isDtb(readFileSync(file).subarray(0, 4)) ? "dts" : "dtb";
  } catch {
    return "dtb";
  }
}
