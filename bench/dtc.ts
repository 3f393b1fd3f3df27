/**
 * Device-tree compiler benchmark: the Debian arm64 kernel DTB corpus (scripts/fetch-dtb-corpus.sh)
 * converted DTB -> DTS and DTS -> DTB, by Tessera in one process and by dtc run once per file
 * (how build systems run it). Reports both wall times and the Tessera/dtc ratio per direction.
 * Both sides read their input from disk and write their output (dtc to /dev/null, Tessera to memory).
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
}

export interface DtcBenchResult {
  corpus: string;
  dtbToDts: DirectionFigures;
  dtsToDtb: DirectionFigures;
  totalTesseraMs: number;
  totalDtcMs: number;
  ratio: number;
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

function figures(files: number, tesseraMs: number, dtcMs: number): DirectionFigures {
  return { files, tesseraMs: Math.round(tesseraMs), dtcMs: Math.round(dtcMs), ratio: Number((tesseraMs / dtcMs).toFixed(3)) };
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
    let start = performance.now();
    const texts: string[] = [];
    for (const file of files) texts.push(dtbToDts(readFileSync(file)));
    const tesseraDecodeMs = performance.now() - start;

    start = performance.now();
    for (const file of files) runDtcOnce(dtc, ["-q", "-I", "dtb", "-O", "dts", "-o", "/dev/null", file]);
    const dtcDecodeMs = performance.now() - start;

    // DTS -> DTB on the same texts, written out so that both sides read files.
    const sources = texts.map((text, index) => {
      const path = join(scratch, `${index}.dts`);
      writeFileSync(path, text, "latin1");
      return path;
    });
    start = performance.now();
    let bytes = 0;
    for (const source of sources) bytes += dtsToDtb(readFileSync(source), { fileName: source }).length;
    const tesseraEncodeMs = performance.now() - start;
    if (bytes === 0) throw new Error("no output");

    start = performance.now();
    for (const source of sources) runDtcOnce(dtc, ["-q", "-I", "dts", "-O", "dtb", "-o", "/dev/null", source]);
    const dtcEncodeMs = performance.now() - start;

    const totalTesseraMs = tesseraDecodeMs + tesseraEncodeMs;
    const totalDtcMs = dtcDecodeMs + dtcEncodeMs;
    return {
      corpus: corpusDir,
      dtbToDts: figures(files.length, tesseraDecodeMs, dtcDecodeMs),
      dtsToDtb: figures(files.length, tesseraEncodeMs, dtcEncodeMs),
      totalTesseraMs: Math.round(totalTesseraMs),
      totalDtcMs: Math.round(totalDtcMs),
      ratio: Number((totalTesseraMs / totalDtcMs).toFixed(3)),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function describe(name: string, f: DirectionFigures): string {
  return `${name}: ${f.files} files, Tessera ${f.tesseraMs} ms (one process), dtc ${f.dtcMs} ms (one process per file), ratio ${f.ratio}`;
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
  console.log(`total: Tessera ${result.totalTesseraMs} ms, dtc ${result.totalDtcMs} ms, ratio ${result.ratio}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`bench/dtc: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
