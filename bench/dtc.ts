/**
 * Device-tree compiler benchmark: the Debian arm64 kernel DTB corpus (scripts/fetch-dtb-corpus.sh)
 * converted DTB -> DTS and DTS -> DTB, by Tessera in one process and by dtc run once per file
 * (how build systems run it). Reports both wall times and the Tessera/dtc ratio per direction.
 * Both sides read their input from disk and write their output (dtc to /dev/null, Tessera to memory).
 * Wall times and, on Linux, CPU times are reported: CPU time is the fairer figure on a busy machine.
 *
 *   node dist/bench/dtc.js [--limit N] [--json]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { dtbToDts, dtsToDtb } from "../src/devicetree/index.js";

export interface DirectionFigures {
  files: number;
  tesseraMs: number;
  dtcMs: number;
  /** Tessera wall time / dtc wall time (below 1: Tessera is faster). */
  ratio: number;
  /** CPU time (user + system), less sensitive to other load on the machine; dtc's is its children's total. */
  tesseraCpuMs?: number;
  dtcCpuMs?: number;
  cpuRatio?: number;
}

export interface DtcBenchResult {
  corpus: string;
  dtbToDts: DirectionFigures;
  dtsToDtb: DirectionFigures;
  totalTesseraMs: number;
  totalDtcMs: number;
  ratio: number;
  /** Both directions' CPU time ratio, when CPU times are available. */
  cpuRatio?: number;
}

export interface DtcBenchOptions {
  /** Corpus root; default $TESSERA_CACHE/dtb-corpus/linux-image (TESSERA_CACHE defaults to ~/.cache/tessera). */
  corpusDir?: string;
  /** Use only the first N files. */
  limit?: number;
  dtc?: string;
}

function defaultCorpusDir(): string {
  return join(process.env.TESSERA_CACHE ?? join(homedir(), ".cache", "tessera"), "dtb-corpus", "linux-image");
}

function listDtbs(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current).sort()) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(".dtb")) found.push(path);
    }
  };
  walk(dir);
  return found;
}

function runDtcOnce(dtc: string, args: string[]): void {
  const run = spawnSync(dtc, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (run.status !== 0) throw new Error(`dtc ${args.join(" ")} failed: ${run.stderr.toString().trim()}`);
}

/** This process's CPU time in ms. */
function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** CPU time of finished child processes in ms (Linux /proc/self/stat cutime + cstime), or undefined. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command name start at field 3; cutime and cstime are fields 16 and 17, in clock ticks (100 Hz).
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

interface Timing {
  wallMs: number;
  cpuMs?: number;
}

function time(body: () => void, measure: () => number | undefined): Timing {
  const cpuBefore = measure();
  const start = performance.now();
  body();
  const wallMs = performance.now() - start;
  const cpuAfter = measure();
  return { wallMs, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

function cpuRatio(tessera: Timing[], dtc: Timing[]): number | undefined {
  const sum = (timings: Timing[]): number | undefined =>
    timings.every((timing) => timing.cpuMs !== undefined) ? timings.reduce((total, timing) => total + timing.cpuMs!, 0) : undefined;
  const ours = sum(tessera);
  const theirs = sum(dtc);
  return ours === undefined || !theirs ? undefined : Number((ours / theirs).toFixed(3));
}

function figures(files: number, tessera: Timing, dtc: Timing): DirectionFigures {
  const result: DirectionFigures = {
    files,
    tesseraMs: Math.round(tessera.wallMs),
    dtcMs: Math.round(dtc.wallMs),
    ratio: Number((tessera.wallMs / dtc.wallMs).toFixed(3)),
  };
  if (tessera.cpuMs !== undefined && dtc.cpuMs !== undefined && dtc.cpuMs > 0) {
    result.tesseraCpuMs = Math.round(tessera.cpuMs);
    result.dtcCpuMs = Math.round(dtc.cpuMs);
    result.cpuRatio = Number((tessera.cpuMs / dtc.cpuMs).toFixed(3));
  }
  return result;
}

export async function benchDtc(opts: DtcBenchOptions = {}): Promise<DtcBenchResult> {
  const corpusDir = opts.corpusDir ?? defaultCorpusDir();
  if (!existsSync(corpusDir)) throw new Error(`no DTB corpus at ${corpusDir}: run scripts/fetch-dtb-corpus.sh`);
  const dtc = opts.dtc ?? "dtc";
  let files = listDtbs(corpusDir);
  if (opts.limit) files = files.slice(0, opts.limit);
  const scratch = mkdtempSync(join(tmpdir(), "tessera-dtc-bench-"));
  try {
    // DTB -> DTS
    const texts: string[] = [];
    const tesseraDecode = time(() => {
      for (const file of files) texts.push(dtbToDts(readFileSync(file)));
    }, ownCpuMs);
    const dtcDecode = time(() => {
      for (const file of files) runDtcOnce(dtc, ["-q", "-I", "dtb", "-O", "dts", "-o", "/dev/null", file]);
    }, childrenCpuMs);

    // DTS -> DTB on the same texts, written out so that both sides read files.
    const sources = texts.map((text, index) => {
      const path = join(scratch, `${index}.dts`);
      writeFileSync(path, text, "latin1");
      return path;
    });
    let bytes = 0;
    const tesseraEncode = time(() => {
      for (const source of sources) bytes += dtsToDtb(readFileSync(source), { fileName: source }).length;
    }, ownCpuMs);
    if (bytes === 0) throw new Error("no output");
    const dtcEncode = time(() => {
      for (const source of sources) runDtcOnce(dtc, ["-q", "-I", "dts", "-O", "dtb", "-o", "/dev/null", source]);
    }, childrenCpuMs);
    const tesseraDecodeMs = tesseraDecode.wallMs;
    const tesseraEncodeMs = tesseraEncode.wallMs;
    const dtcDecodeMs = dtcDecode.wallMs;
    const dtcEncodeMs = dtcEncode.wallMs;

    const totalTesseraMs = tesseraDecodeMs + tesseraEncodeMs;
    const totalDtcMs = dtcDecodeMs + dtcEncodeMs;
    return {
      corpus: corpusDir,
      dtbToDts: figures(files.length, tesseraDecode, dtcDecode),
      dtsToDtb: figures(files.length, tesseraEncode, dtcEncode),
      totalTesseraMs: Math.round(totalTesseraMs),
      totalDtcMs: Math.round(totalDtcMs),
      ratio: Number((totalTesseraMs / totalDtcMs).toFixed(3)),
      cpuRatio: cpuRatio([tesseraDecode, tesseraEncode], [dtcDecode, dtcEncode]),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function describe(name: string, f: DirectionFigures): string {
  const cpu = f.cpuRatio === undefined ? "" : `; CPU: Tessera ${f.tesseraCpuMs} ms, dtc ${f.dtcCpuMs} ms, ratio ${f.cpuRatio}`;
  return `${name}: ${f.files} files, wall: Tessera ${f.tesseraMs} ms (one process), dtc ${f.dtcMs} ms (one process per file), ratio ${f.ratio}${cpu}`;
}

async function main(argv: string[]): Promise<void> {
  const opts: DtcBenchOptions = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--limit") opts.limit = Number(argv[++i]);
    else if (argv[i] === "--json") json = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const result = await benchDtc(opts);
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(describe("dtb -> dts", result.dtbToDts));
  console.log(describe("dts -> dtb", result.dtsToDtb));
  const cpu = result.cpuRatio === undefined ? "" : `; CPU ratio ${result.cpuRatio}`;
  console.log(`total wall: Tessera ${result.totalTesseraMs} ms, dtc ${result.totalDtcMs} ms, ratio ${result.ratio}${cpu}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`bench/dtc: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
