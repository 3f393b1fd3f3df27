/**
 * Boots the cached Debian guest (npm run fetch-guests) under QEMU or Tessera with the same
 * command line, recording when marker lines appear on the console and the emulator's peak
 * resident set size (VmHWM from /proc/<pid>/status, sampled while it runs).
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxInitramfs, findGuests, type CachedGuests } from "../../src/cli/guests.js";
import { QEMU, REPO_ROOT, TESSERA_CLI } from "./paths.js";

export const WORKLOAD_INIT = join(REPO_ROOT, "tests", "linux", "init.sh");
export const BEGIN_MARKER = "=== TESSERA-WORKLOAD BEGIN ===";
export const END_MARKER = "=== TESSERA-WORKLOAD END ===";

export interface LinuxRunOptions {
  kernel: string;
  initrd: string;
  smp: number;
  memory?: string;
  /** GIC version of the virt machine (QEMU's default is 2). */
  gicVersion?: 2 | 3;
  append?: string;
  timeoutMs: number;
  /** Lines whose first appearance is timed (ms from start). */
  markers?: readonly string[];
  /**
   * Tessera only: -icount's value, for runs that must not depend on how busy the host is (on
   * host time a starved emulator looks like a slow CPU to Linux, which then reports soft
   * lockups on the console).
   */
  icount?: string;
  /**
   * false: -machine dtb-randomness=off on both emulators. QEMU otherwise puts a new random
   * kaslr-seed in every boot's tree, and where the kernel lands moves MemTotal by a page now
   * and then, so outputs compared byte for byte are booted without KASLR.
   */
  dtbRandomness?: boolean;
  /** More -machine properties for both emulators (e.g. "virtualization=on"). */
  machineOptions?: string;
  /** More options for both emulators (devices, -global). */
  extraArgs?: readonly string[];
  /** Called with the console output so far each time more arrives (to act on what the guest says). */
  onStdout?: (stdout: string) => void;
}

export interface LinuxRun {
  emulator: "qemu" | "tessera";
  command: string;
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  wallMs: number;
  markerMs: Record<string, number>;
  /** Peak resident set size in KiB (undefined where /proc is not available). */
  peakRssKiB?: number;
}

/** The workload initramfs for the cached guest, written to a temporary file. */
export function workloadInitrd(guests: CachedGuests, init = WORKLOAD_INIT): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-linux-"));
  const path = join(dir, "initramfs.cpio.gz");
  writeFileSync(path, busyboxInitramfs(guests.busybox, readFileSync(init)));
  return path;
}

export { findGuests };

function commonArgs(o: LinuxRunOptions): string[] {
  // -net none: no default virtio-net-pci NIC (it needs ipxe-qemu's option ROM, and Tessera has none).
  const machine = (o.gicVersion ? `virt,gic-version=${o.gicVersion}` : "virt") + (o.dtbRandomness === false ? ",dtb-randomness=off" : "") +
    (o.machineOptions ? `,${o.machineOptions}` : "");
  return ["-M", machine, "-cpu", "cortex-a53", "-nographic", "-no-reboot", "-net", "none", "-m", o.memory ?? "512M", "-smp", String(o.smp),
    "-kernel", o.kernel, ...(o.initrd ? ["-initrd", o.initrd] : []), "-append", o.append ?? "console=ttyAMA0 panic=-1", ...(o.extraArgs ?? [])];
}

function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function runLinux(emulator: "qemu" | "tessera", o: LinuxRunOptions): Promise<LinuxRun> {
  const [cmd, args] = emulator === "qemu"
    ? [QEMU, [...commonArgs(o), "-monitor", "none", "-serial", "stdio"]]
    : [process.execPath, [TESSERA_CLI, "run", ...commonArgs(o), ...(o.icount ? ["-icount", o.icount] : []), "--watchdog", String(Math.ceil(o.timeoutMs / 1000))]];
  const command = [cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ");
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "", timedOut = false, rss: number | undefined;
    const markerMs: Record<string, number> = {};
    const sample = () => { if (child.pid !== undefined) { const v = peakRss(child.pid); if (v !== undefined) rss = Math.max(rss ?? 0, v); } };
    const sampler = setInterval(sample, 100);
    // The Tessera watchdog fires first; this timer only guards against a wedged process.
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, o.timeoutMs + 30000);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (s: string) => {
      stdout += s;
      sample();
      for (const m of o.markers ?? []) if (markerMs[m] === undefined && stdout.includes(m)) markerMs[m] = performance.now() - started;
      o.onStdout?.(stdout);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => { stderr += s; });
    child.stdin.end();
    child.on("error", (e) => { stderr += `cannot run ${cmd}: ${e.message}`; });
    child.on("close", (code, signal) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ emulator, command, stdout, stderr, code, signal, timedOut, wallMs: performance.now() - started, markerMs, peakRssKiB: rss });
    });
  });
}

/** The console text between the workload markers (CR LF normalised), or undefined. */
export function workloadText(stdout: string): string | undefined {
  const text = stdout.replace(/\r\n/g, "\n");
  const a = text.indexOf(BEGIN_MARKER), b = text.indexOf(END_MARKER);
  if (a < 0 || b < a) return undefined;
  return text.slice(a, b + END_MARKER.length);
}

/**
 * The interrupt controller's boot messages, timestamps removed: the GICv3 lines, the ITS's
 * tables and the MSI domains built on it (for GICv2, the GIC and GICv2m lines).
 */
export function gicBootLines(stdout: string): string[] {
  return stdout.replace(/\r/g, "").split("\n").map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ""))
    .filter((l) => /^(GICv3|GICv2|GIC|ITS|Platform MSI|PCI\/MSI)\b/.test(l));
}

/** The last lines of a run's output, for failure messages. */
export function tail(r: LinuxRun, lines = 25): string {
  const out = r.stdout.replace(/\r/g, "").split("\n").slice(-lines).join("\n");
  return `${r.emulator}: exit ${r.code}${r.signal ? ` (${r.signal})` : ""}${r.timedOut ? " (timed out)" : ""} after ${Math.round(r.wallMs / 1000)} s\n` +
    `command: ${r.command}\n--- last console lines ---\n${out}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
}
