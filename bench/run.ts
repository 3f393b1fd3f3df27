/**
 * Benchmark driver (`npm run bench`): what a user sees, QEMU 7.2 (TCG) and Tessera in the same run.
 *
 *   - bench/guests.ts: the bare-metal programs (the suite under tests/guests/suite/ and the
 *     hand-written bench-* loops), whole process against whole process, start-up included, with
 *     a steady-state estimate beside it;
 *   - bench/linux.ts: the Debian guest to /init, its busybox workload and to poweroff, at -smp 1
 *     and 2, when `npm run fetch-guests` has filled the cache, and the same workload in dom0
 *     under Debian's Xen 4.17 at -smp 2 (the "xen" rows);
 *   - bench/virtio.ts: virtio-blk sequential write and read and virtio-net between two guests,
 *     in MB/s of the guest's own clock (the "virtio" rows);
 *   - bench/dtc.ts: the device-tree compiler against dtc, when the corpus is present.
 *
 * Every figure is the best of N runs (the machine may be shared); each row also says whether
 * the two emulators printed the same output. Missing prerequisites skip a row with a note.
 *
 *   npm run bench [-- --runs N] [--quick] [--only NAME,...] [--no-steady] [--json FILE]
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { BENCH_PROGRAMS, benchGuest, prepareGuests, type GuestBenchResult } from "./guests.js";
import { benchLinux, type LinuxBenchResult } from "./linux.js";
import { haveGnuTime } from "./measure.js";
import type { Throughput, VirtioBenchResult } from "./virtio.js";
import { QEMU } from "../test/harness/paths.js";

export interface Row {
  workload: string;
  scale?: number;
  qemuMs?: number;
  tesseraMs?: number;
  ratio?: number;
  qemuCpuMs?: number;
  tesseraCpuMs?: number;
  qemuRssKiB?: number;
  tesseraRssKiB?: number;
  steadyRatio?: number;
  /** Throughput rows: MB/s (10^6 bytes per second) over the time in qemuMs / tesseraMs. */
  qemuMBps?: number;
  tesseraMBps?: number;
  /** "same", "DIFFER", or "-" when the row has no output of its own. */
  output?: string;
  note?: string;
  /** The reference is dtc, not QEMU. */
  reference?: "dtc";
}

interface Options {
  json?: string;
  only: string[];
  runs: number;
  quick: boolean;
  steady: boolean;
}

const LINUX_SMPS = [1, 2];

function guestRow(r: GuestBenchResult): Row {
  const row: Row = {
    workload: r.program, scale: r.scale,
    qemuMs: r.qemu.wallMs, tesseraMs: r.tessera.wallMs, ratio: r.ratio,
    qemuCpuMs: r.qemu.cpuMs, tesseraCpuMs: r.tessera.cpuMs,
    qemuRssKiB: r.qemu.peakRssKiB, tesseraRssKiB: r.tessera.peakRssKiB,
    steadyRatio: r.steadyRatio,
    output: r.outputsMatch === undefined ? undefined : r.outputsMatch ? "same" : "DIFFER",
  };
  const err = r.qemu.error ?? r.tessera.error ?? r.difference;
  if (err) row.note = (r.qemu.error || r.tessera.error ? "FAILED: " : "outputs differ: ") + err.slice(0, 400);
  return row;
}

function linuxRows(r: LinuxBenchResult): Row[] {
  const q = r.qemu, t = r.tessera, label = `${r.label} -smp ${r.smp} -m ${r.memory}`;
  const ratio = (a?: number, b?: number) => (a && b ? b / a : undefined);
  const out = r.outputsMatch === undefined ? undefined : r.outputsMatch ? "same" : "DIFFER";
  const rows: Row[] = [
    { workload: `${label}: boot to /init`, qemuMs: q.toInitMs, tesseraMs: t.toInitMs, ratio: ratio(q.toInitMs, t.toInitMs), output: "-" },
    { workload: `${label}: busybox workload`, qemuMs: q.workloadMs, tesseraMs: t.workloadMs, ratio: ratio(q.workloadMs, t.workloadMs), output: out },
    {
      workload: `${label}: boot to poweroff`, qemuMs: q.toPoweroffMs, tesseraMs: t.toPoweroffMs, ratio: ratio(q.toPoweroffMs, t.toPoweroffMs),
      qemuCpuMs: q.cpuMs, tesseraCpuMs: t.cpuMs, qemuRssKiB: q.peakRssKiB, tesseraRssKiB: t.peakRssKiB, output: "-",
    },
  ];
  const err = q.error ?? t.error;
  if (err) rows[2]!.note = `FAILED: ${err.slice(0, 400)}`;
  return rows;
}

function dtcRow(result: unknown): Row {
  const o = (result ?? {}) as Record<string, any>;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const files = n(o.dtbToDts?.files);
  return {
    workload: `dtc corpus${files ? `, ${files} files` : ""} (reference: dtc)`, reference: "dtc",
    qemuMs: n(o.totalDtcMs), tesseraMs: n(o.totalTesseraMs), ratio: n(o.ratio), output: "-",
    note: "reference is dtc, one process per file (the 'QEMU' columns); Tessera converts all files in one process",
  };
}

/** The virtio rows: guest time of the transfer, the MB/s beside it; the ratio is of the times. */
export function virtioRows(r: VirtioBenchResult): Row[] {
  const rows: Row[] = [];
  const row = (workload: string, t: Record<"qemu" | "tessera", Throughput>, output?: string) => {
    const q = t.qemu, s = t.tessera;
    const out: Row = {
      workload, qemuMs: q.ms, tesseraMs: s.ms, ratio: q.ms && s.ms ? s.ms / q.ms : undefined,
      qemuMBps: q.mbps, tesseraMBps: s.mbps, output: output ?? "-",
    };
    const err = q.error ? `QEMU: ${q.error}` : s.error ? `Tessera: ${s.error}` : undefined;
    if (err) out.note = `FAILED: ${err.slice(0, 400)}`;
    rows.push(out);
  };
  if (r.write) row(`virtio-blk sequential write, ${r.blkMiB} MiB (O_DIRECT, fsync)`, r.write, r.imagesMatch === undefined ? undefined : r.imagesMatch ? "same" : "DIFFER");
  if (r.read) row(`virtio-blk sequential read, ${r.blkMiB} MiB (O_DIRECT)`, r.read);
  if (r.net) row(`virtio-net guest to guest, ${r.netMiB} MiB (busybox nc)`, r.net);
  if (r.loopback) row(`busybox nc over one guest's loopback, ${r.netMiB} MiB (no virtio)`, r.loopback);
  return rows;
}

const sec = (ms?: number) => (ms === undefined ? "-" : (ms / 1000).toFixed(2));
const mb = (kib?: number) => (kib === undefined ? "-" : String(Math.round(kib / 1024)));
/** Two significant digits at least: the network rows go below 0.1 MB/s on a loaded host. */
const rate = (mbps?: number) => (mbps === undefined ? "" : ` (${mbps >= 10 ? mbps.toFixed(0) : mbps.toPrecision(2)} MB/s)`);
const pair = (a: string, b: string) => (a === "-" && b === "-" ? "-" : `${a} / ${b}`);

export function formatTable(rows: readonly Row[]): string {
  const header = ["workload", "scale", "QEMU s", "Tessera s", "Tessera/QEMU", "CPU s QEMU / Tessera", "peak RSS MB QEMU / Tessera", "steady state", "output"];
  const body = rows.map((r) => [
    r.workload,
    r.scale === undefined ? "-" : String(r.scale),
    sec(r.qemuMs) + rate(r.qemuMBps),
    sec(r.tesseraMs) + rate(r.tesseraMBps),
    r.ratio === undefined ? "-" : `${r.ratio.toFixed(1)}x`,
    pair(sec(r.qemuCpuMs), sec(r.tesseraCpuMs)),
    pair(mb(r.qemuRssKiB), mb(r.tesseraRssKiB)),
    r.steadyRatio === undefined ? "-" : `${r.steadyRatio.toFixed(1)}x`,
    r.output ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
  const out = [line(header), "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|"];
  for (const b of body) out.push(line(b));
  return out.join("\n");
}

/** Geometric mean, minimum and maximum of the whole-process ratios of the bare-metal rows. */
export function summary(rows: readonly Row[], names: readonly string[]): string | undefined {
  const picked = rows.filter((r) => names.includes(r.workload) && r.ratio !== undefined);
  const ratios = picked.map((r) => r.ratio!);
  if (!ratios.length) return undefined;
  const geo = (v: number[]) => Math.exp(v.reduce((s, r) => s + Math.log(r), 0) / v.length);
  const cpu = picked.filter((r) => r.qemuCpuMs && r.tesseraCpuMs).map((r) => r.tesseraCpuMs! / r.qemuCpuMs!);
  return `${ratios.length} programs: wall time geometric mean ${geo(ratios).toFixed(1)}x, range ${Math.min(...ratios).toFixed(1)}x to ${Math.max(...ratios).toFixed(1)}x` +
    (cpu.length === ratios.length ? `; CPU time geometric mean ${geo(cpu).toFixed(1)}x, range ${Math.min(...cpu).toFixed(1)}x to ${Math.max(...cpu).toFixed(1)}x` : "");
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: [], runs: 3, quick: false, steady: true };
  const names = [...BENCH_PROGRAMS.map((p) => p.name), "suite", "bench", "linux", ...LINUX_SMPS.map((n) => `linux-smp${n}`), "xen", "virtio", "virtio-blk", "virtio-net", "dtc", "hv"];
  const usage = () => new Error(`usage: npm run bench -- [--runs N] [--quick] [--only NAME,...] [--no-steady] [--json FILE]\n  names: ${names.join(", ")}`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") { o.json = argv[++i]; if (!o.json) throw usage(); }
    else if (a === "--only") { const v = argv[++i]; if (!v) throw usage(); o.only.push(...v.split(",").filter(Boolean)); }
    else if (a === "--runs") { o.runs = Number(argv[++i]); if (!Number.isInteger(o.runs) || o.runs < 1) throw usage(); }
    else if (a === "--quick") o.quick = true;
    else if (a === "--no-steady") o.steady = false;
    else throw usage();
  }
  for (const n of o.only) if (!names.includes(n)) throw usage();
  return o;
}

async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  // --quick leaves out the fixed-size Linux and dtc rows unless they are asked for by name.
  const wanted = (name: string, group?: string, heavy = false) =>
    opts.only.length === 0 ? !(heavy && opts.quick) : opts.only.includes(name) || (group !== undefined && opts.only.includes(group));
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const log = (s: string) => process.stderr.write(s + "\n");
  if (spawnSync(QEMU, ["--version"]).status !== 0) throw new Error(`${QEMU} is not installed: every row compares with it`);

  const programs = BENCH_PROGRAMS.filter((p) => wanted(p.name, p.group));
  if (programs.length) {
    try {
      prepareGuests(programs.map((p) => p.name));
    } catch (e) {
      for (const p of programs) rows.push({ workload: p.name, note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
      programs.length = 0;
    }
  }
  for (const p of programs) {
    const scale = opts.quick ? p.quick : p.scale;
    log(`${p.name} (scale ${scale}), ${opts.runs} runs of each emulator...`);
    const r = await benchGuest(p.name, { scale, runs: opts.runs, steady: opts.steady, log });
    raw[p.name] = r;
    rows.push(guestRow(r));
  }

  for (const smp of LINUX_SMPS) {
    if (!wanted(`linux-smp${smp}`, "linux", true)) continue;
    log(`Linux -smp ${smp}, ${opts.runs} boots of each emulator...`);
    try {
      const r = await benchLinux({ smp, runs: opts.runs, log });
      raw[`linux-smp${smp}`] = r;
      rows.push(...linuxRows(r));
    } catch (e) {
      rows.push({ workload: `Linux -smp ${smp}`, note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  if (wanted("xen", undefined, true)) {
    log(`Xen 4.17 with Linux as dom0 -smp 2, ${opts.runs} boots of each emulator...`);
    try {
      const r = await benchLinux({ smp: 2, runs: opts.runs, xen: true, log });
      raw.xen = r;
      rows.push(...linuxRows(r));
    } catch (e) {
      rows.push({ workload: "Xen 4.17 + Linux dom0", note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  const blk = wanted("virtio-blk", "virtio", true), net = wanted("virtio-net", "virtio", true);
  if (blk || net) {
    log(`virtio-blk and virtio-net throughput, guest clock, ${opts.runs} runs of each emulator...`);
    try {
      const { benchVirtio } = await import("./virtio.js");
      const r = await benchVirtio({ runs: opts.runs, blk, net, log });
      raw.virtio = r;
      rows.push(...virtioRows(r));
    } catch (e) {
      rows.push({ workload: "virtio", note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  if (wanted("hv", undefined, true)) {
    log("hypervisor: Linux in a partition against tessera run, and the Linux + RTOS demo...");
    try {
      const { benchHypervisor } = await import("./hypervisor.js");
      const r = await benchHypervisor({ runs: opts.runs, log });
      raw.hv = r;
      const s = (ms?: number) => (ms === undefined ? "?" : (ms / 1000).toFixed(2));
      rows.push({ workload: "hv: Linux workload, tessera run vs in a partition", note:
        `to the end marker: tessera run ${s(r.runMs)} s, tessera hv ${s(r.hvMs)} s: ${r.overhead === undefined ? "?" : `${(r.overhead * 100).toFixed(1)}%`} hypervisor overhead (bar: 15%)` });
      rows.push({ workload: "hv: Linux + RTOS demo", note:
        `both partitions up after ${s(r.demoUpMs)} s (wall, start-up included); a command from Linux and its answer ${r.roundTripMs === undefined ? "?" : r.roundTripMs.toFixed(0)} ms of host time over ${r.commands} commands (a busybox script of devmem calls each)` });
      rows.push({ workload: "hv: doorbell round trip", note:
        `bare-metal ping-pong between two partitions: ${r.doorbellTicks ?? "?"} guest counter ticks (62.5 MHz, -icount shift=4: one per instruction) and ${r.doorbellHostUs === undefined ? "?" : r.doorbellHostUs.toFixed(0)} us of host time per round trip` });
    } catch (e) {
      rows.push({ workload: "hv", note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  if (wanted("dtc", undefined, true)) {
    log("dtc corpus...");
    try {
      const { benchDtc } = await import("./dtc.js");
      const r = await benchDtc();
      raw.dtc = r;
      rows.push(dtcRow(r));
    } catch (e) {
      rows.push({ workload: "dtc corpus", note: `skipped: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  const host = `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${spawnSync(QEMU, ["--version"]).stdout.toString().split("\n")[0]}`;
  console.log(`host: ${host}`);
  console.log(`whole process, start-up included, best of ${opts.runs}; CPU time and peak RSS ${haveGnuTime() ? "from GNU time (rusage)" : "sampled from /proc (GNU time not installed)"}`);
  console.log(formatTable(rows));
  const lines: string[] = [];
  const suite = summary(rows, BENCH_PROGRAMS.filter((p) => p.group === "suite").map((p) => p.name));
  if (suite) lines.push(`  suite, whole process: ${suite}`);
  const bench = summary(rows, BENCH_PROGRAMS.filter((p) => p.group === "bench").map((p) => p.name));
  if (bench) lines.push(`  bench-* loops, whole process: ${bench}`);
  lines.push("  steady state = (Tessera(scale) - Tessera(1)) / (QEMU(scale) - QEMU(1)): start-up and one unit of work removed from both");
  for (const r of rows) if (r.note) lines.push(`  ${r.workload}: ${r.note}`);
  console.log(["", "notes:", ...lines].join("\n"));
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), host, runs: opts.runs, rows, raw }, null, 2) + "\n");
    console.log(`figures written to ${opts.json}`);
  }
  if (rows.some((r) => r.output === "DIFFER" || r.note?.startsWith("FAILED"))) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
