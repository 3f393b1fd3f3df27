/**
 * Benchmark driver (`npm run bench`): runs every benchmark module present and prints one table.
 *
 *   - bench/guests.ts: the CPU-bound guest programs (bench-int, bench-mem, bench-fp) under QEMU
 *     and Tessera, same work, checksums compared;
 *   - bench/linux.ts, when present: a Linux boot under both;
 *   - bench/dtc.ts, when present: the device-tree compiler against dtc.
 *
 * Modules that are absent, or whose prerequisites are missing (QEMU, a corpus), are skipped with
 * a note rather than failing the whole run, so the table always shows what could be measured.
 *
 *   npm run bench [-- --json FILE] [--quick] [--only NAME]... [--scale-factor F]
 */
import { existsSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BENCH_PROGRAMS, benchGuests, type BenchProgram, type GuestBenchResult } from "./guests.js";

interface Row {
  workload: string;
  /** Guest instructions of the measured work (start-up excluded), when known. */
  insns?: number;
  /** Reference (QEMU, or dtc for the device-tree row) and Tessera times for the same work. */
  referenceMs?: number;
  tesseraMs?: number;
  /** Tessera time / reference time. */
  ratio?: number;
  qemuMips?: number;
  tesseraMips?: number;
  /**
   * Wall times of the scale-1 baseline runs (process start, image load, data set-up and one
   * unit of work), reference / Tessera; subtracted from the other figures.
   */
  baselineMs?: [number, number];
  /** "ok", "DIFFER", or undefined when the workload has no checksum. */
  check?: string;
  note?: string;
}

interface Options {
  json?: string;
  only: string[];
  scaleFactor: number;
}

const here = dirname(fileURLToPath(import.meta.url));

function guestRow(r: GuestBenchResult): Row {
  const q = r.qemu, t = r.tessera;
  const row: Row = { workload: r.program };
  if (q?.error || t?.error) {
    row.note = `FAILED: ${(q?.error ?? t?.error)!.slice(0, 300)}`;
    return row;
  }
  if (!q || !t) return row;
  const insns = q.insns * (1 - 1 / q.scale); // work above the scale-1 baseline
  row.insns = insns;
  row.referenceMs = q.wallMs - q.baselineMs;
  row.tesseraMs = t.wallMs - t.baselineMs;
  row.ratio = r.ratio;
  row.qemuMips = q.ips / 1e6;
  row.tesseraMips = t.ips / 1e6;
  row.baselineMs = [q.baselineMs, t.baselineMs];
  row.check = r.checksumsMatch === undefined ? undefined : r.checksumsMatch ? "ok" : "DIFFER";
  return row;
}

/** Import an optional benchmark module compiled next to this file; undefined when absent. */
async function optionalModule(name: string): Promise<Record<string, unknown> | undefined> {
  const path = join(here, `${name}.js`);
  if (!existsSync(path)) return undefined;
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * Rows from the Linux boot benchmark. Its result is read by field names (qemu/tessera figures
 * with wallMs and optionally ips or insns), so the module can evolve without this driver.
 */
function linuxRows(result: unknown): Row[] {
  const list = Array.isArray(result) ? result : [result];
  return list.map((r, i) => {
    const o = (r ?? {}) as Record<string, any>;
    const q = o.qemu ?? {}, t = o.tessera ?? {};
    const qMs = num(q.wallMs) ?? num(o.qemuMs), tMs = num(t.wallMs) ?? num(o.tesseraMs);
    const row: Row = { workload: String(o.workload ?? o.name ?? `linux boot${list.length > 1 ? ` ${i + 1}` : ""}`) };
    row.referenceMs = qMs;
    row.tesseraMs = tMs;
    row.ratio = num(o.ratio) ?? (qMs && tMs ? tMs / qMs : undefined);
    const qIps = num(q.ips), tIps = num(t.ips);
    if (qIps) row.qemuMips = qIps / 1e6;
    if (tIps) row.tesseraMips = tIps / 1e6;
    row.insns = num(t.insns) ?? num(o.insns);
    const err = q.error ?? t.error ?? o.error;
    if (err) row.note = `FAILED: ${String(err).slice(0, 300)}`;
    if (typeof o.checksumsMatch === "boolean") row.check = o.checksumsMatch ? "ok" : "DIFFER";
    return row;
  });
}

function dtcRow(result: unknown): Row {
  const o = (result ?? {}) as Record<string, any>;
  const files = num(o.dtbToDts?.files);
  return {
    workload: `dtc corpus${files ? ` (${files} files)` : ""}`,
    referenceMs: num(o.totalDtcMs),
    tesseraMs: num(o.totalTesseraMs),
    ratio: num(o.ratio),
    note: "reference is dtc (one process per file), not QEMU",
  };
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined ? "-" : v.toFixed(digits);
}

export function formatTable(rows: readonly Row[]): string {
  const header = ["workload", "guest insns", "QEMU s", "Tessera s", "Tessera/QEMU", "QEMU MIPS", "Tessera MIPS", "baseline s (Q/T)", "output"];
  const body = rows.map((r) => [
    r.workload,
    r.insns === undefined ? "-" : `${(r.insns / 1e6).toFixed(1)} M`,
    fmt(r.referenceMs && r.referenceMs / 1000, 2),
    fmt(r.tesseraMs && r.tesseraMs / 1000, 2),
    r.ratio === undefined ? "-" : `${r.ratio.toFixed(1)}x`,
    fmt(r.qemuMips, 0),
    fmt(r.tesseraMips, 1),
    r.baselineMs ? `${(r.baselineMs[0] / 1000).toFixed(2)} / ${(r.baselineMs[1] / 1000).toFixed(2)}` : "-",
    r.check ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
  const out = [line(header), "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|"];
  for (const b of body) out.push(line(b));
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.workload}: ${r.note}`);
  if (rows.some((r) => r.baselineMs)) {
    notes.unshift("  times and MIPS exclude the scale-1 baseline run (process start, image load, set-up), shown in its own column");
  }
  if (notes.length) out.push("", "notes:", ...notes);
  return out.join("\n");
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [], scaleFactor: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = argv[++i];
    else if (a === "--only") o.only.push(argv[++i]!);
    else if (a === "--quick") o.scaleFactor = 0.2;
    else if (a === "--scale-factor") o.scaleFactor = Number(argv[++i]);
    else throw new Error(`usage: npm run bench -- [--json FILE] [--quick] [--scale-factor F] [--only ${[...Object.keys(BENCH_PROGRAMS), "linux", "dtc"].join("|")}]...`);
  }
  if (o.json === undefined && argv.includes("--json")) throw new Error("--json needs a file name");
  if (!(o.scaleFactor > 0)) throw new Error("--scale-factor must be positive");
  return o;
}

async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  const wanted = (name: string) => opts.only.length === 0 || opts.only.includes(name);
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const log = (s: string) => process.stderr.write(s + "\n");

  for (const program of Object.keys(BENCH_PROGRAMS) as BenchProgram[]) {
    if (!wanted(program)) continue;
    const scale = Math.max(2, Math.round(BENCH_PROGRAMS[program].scale * opts.scaleFactor));
    log(`running ${program} (scale ${scale}) under QEMU and Tessera...`);
    try {
      const r = await benchGuests({ program, scale });
      raw[program] = r;
      rows.push(guestRow(r));
    } catch (e) {
      rows.push({ workload: program, note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  for (const [name, fn, toRows] of [
    ["linux", "benchLinux", linuxRows],
    ["dtc", "benchDtc", (r: unknown) => [dtcRow(r)]],
  ] as const) {
    if (!wanted(name)) continue;
    const mod = await optionalModule(name);
    if (!mod) {
      rows.push({ workload: name, note: `skipped: bench/${name}.ts is not part of this build` });
      continue;
    }
    const run = mod[fn];
    if (typeof run !== "function") {
      rows.push({ workload: name, note: `skipped: bench/${name}.ts exports no ${fn}()` });
      continue;
    }
    log(`running ${name}...`);
    try {
      const r = await (run as () => Promise<unknown>)();
      raw[name] = r;
      rows.push(...toRows(r));
    } catch (e) {
      rows.push({ workload: name, note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  const host = `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`;
  console.log(`host: ${host}`);
  console.log(formatTable(rows));
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), host, rows, raw }, null, 2) + "\n");
    console.log(`figures written to ${opts.json}`);
  }
  if (rows.some((r) => r.check === "DIFFER")) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
