/**
 * Virtio throughput, QEMU 7.2 (TCG) and Tessera in the same run, measured inside Debian's guest
 * with its own clock (tests/linux/virtio-bench-init.sh; no -icount, so the guest's clock follows
 * the host's under both):
 *   - virtio-blk: N MiB written to a raw image on /dev/vda with O_DIRECT and fsync, then read back
 *     with O_DIRECT after dropping the page cache (one guest, -smp 1). After the run the image must
 *     hold the host's pattern byte for byte (it came to the guest on a second disk).
 *   - virtio-net: two guests of the same emulator joined by -netdev socket (the receiver listens,
 *     the sender connects); busybox nc sends N MiB of zeros, timed on the receiving side from the
 *     first byte to the end of stream, and the receiver must count all of them. The receiver then
 *     sends itself the same N MiB over its loopback with the same nc, which has no virtio in it:
 *     busybox nc copies in small pieces, so under emulation that cost bounds both figures.
 * The best of N runs is kept for each figure; MB/s are 10^6 bytes per second of guest time.
 *
 *   npm run bench -- --only virtio[,virtio-blk,virtio-net] [--runs N]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { busyboxInitramfs, FETCH_HINT, type CachedGuests } from "../src/cli/guests.js";
import { findGuests, runLinux, tail, workloadText, BEGIN_MARKER, END_MARKER, type LinuxRun } from "../test/harness/linux.js";
import { QEMU, REPO_ROOT } from "../test/harness/paths.js";
import { freePortRange } from "../test/harness/ports.js";

export const VIRTIO_INIT = join(REPO_ROOT, "tests", "linux", "virtio-bench-init.sh");

/** The Debian cloud kernel builds these as modules (virtio_net needs net_failover, which needs failover). */
const MODULES: Record<string, string> = {
  virtio_ring: "drivers/virtio/virtio_ring.ko", virtio: "drivers/virtio/virtio.ko", virtio_mmio: "drivers/virtio/virtio_mmio.ko",
  virtio_blk: "drivers/block/virtio_blk.ko", failover: "net/core/failover.ko", net_failover: "drivers/net/net_failover.ko",
  virtio_net: "drivers/net/virtio_net.ko",
};

/** One line of the guest's: "<what> bytes=<n> us=<guest microseconds>". */
export interface GuestMeasurement {
  what: string;
  bytes: number;
  us: number;
}

/**
 * The measurements in a guest's console text (CR LF or LF, kernel lines around them). A line
 * with a non-positive time cannot be a measurement (the clock went wrong) and is refused.
 */
export function parseMeasurements(console: string): Map<string, GuestMeasurement> {
  const out = new Map<string, GuestMeasurement>();
  for (const line of console.replace(/\r/g, "").split("\n")) {
    const m = /^([a-z][a-z-]*) bytes=(\d+) us=(-?\d+)$/.exec(line.trim());
    if (!m) continue;
    const us = Number(m[3]);
    if (!(us > 0)) throw new Error(`the guest's clock gave ${m[3]} us for ${m[1]}`);
    out.set(m[1]!, { what: m[1]!, bytes: Number(m[2]), us });
  }
  return out;
}

/** MB/s (10^6 bytes per second) over `us` microseconds. */
export function megabytesPerSecond(bytes: number, us: number): number {
  return bytes / us;
}

export interface Throughput {
  /** Best guest time over the runs, ms. */
  ms?: number;
  mbps?: number;
  runsMs: number[];
  error?: string;
}

export interface VirtioBenchResult {
  blkMiB: number;
  netMiB: number;
  runs: number;
  write?: Record<"qemu" | "tessera", Throughput>;
  read?: Record<"qemu" | "tessera", Throughput>;
  net?: Record<"qemu" | "tessera", Throughput>;
  /** The same nc transfer over the receiving guest's loopback. */
  loopback?: Record<"qemu" | "tessera", Throughput>;
  /** Every run's image held the host's pattern after the write (both emulators). */
  imagesMatch?: boolean;
}

export interface VirtioBenchOptions {
  runs?: number;
  blkMiB?: number;
  netMiB?: number;
  blk?: boolean;
  net?: boolean;
  /** Bound on one Tessera boot, seconds. */
  timeoutS?: number;
  log?: (s: string) => void;
}

function moduleDir(g: CachedGuests): string {
  return join(g.dir, "linux", "lib", "modules", basename(g.kernel).replace(/^vmlinuz-/, ""), "kernel");
}

function benchInitrd(g: CachedGuests, dir: string): string {
  const missing = Object.values(MODULES).filter((p) => !existsSync(join(moduleDir(g), p)));
  if (missing.length) throw new Error(`the cached kernel's modules ${missing.join(", ")} are missing (${moduleDir(g)}): ${FETCH_HINT}`);
  const extra = Object.fromEntries(Object.entries(MODULES).map(([name, p]) => [`modules/${name}.ko`, new Uint8Array(readFileSync(join(moduleDir(g), p)))]));
  const path = join(dir, "virtio-bench.cpio.gz");
  writeFileSync(path, busyboxInitramfs(g.busybox, readFileSync(VIRTIO_INIT), extra));
  return path;
}

/** A pattern that differs per sector, so that a misplaced or lost block shows. */
export function diskPattern(bytes: number): Uint8Array {
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 13 + (i >>> 9) * 7 + (i >>> 20)) & 0xff;
  return b;
}

const empty = (): Record<"qemu" | "tessera", Throughput> => ({ qemu: { runsMs: [] }, tessera: { runsMs: [] } });

function failure(r: LinuxRun): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ""}${r.timedOut ? " (timed out)" : ""}; ${tail(r, 6).replace(/\n/g, " | ").slice(-600)}`;
}

function record(t: Throughput, m: GuestMeasurement | undefined, expectBytes: number, what: string): void {
  if (!m) { t.error ??= `no ${what} line from the guest`; return; }
  if (m.bytes !== expectBytes) { t.error ??= `${what}: ${m.bytes} bytes instead of ${expectBytes}`; return; }
  t.runsMs.push(m.us / 1000);
}

function finish(t: Throughput, bytes: number): void {
  if (!t.runsMs.length) return;
  t.ms = Math.min(...t.runsMs);
  t.mbps = megabytesPerSecond(bytes, t.ms * 1000);
}

export async function benchVirtio(opts: VirtioBenchOptions = {}): Promise<VirtioBenchResult> {
  const guests = findGuests();
  if (!guests) throw new Error(FETCH_HINT);
  if (spawnSync(QEMU, ["--version"]).status !== 0) throw new Error(`${QEMU} not installed`);
  const runs = Math.max(1, opts.runs ?? 3), blkMiB = opts.blkMiB ?? 64, netMiB = opts.netMiB ?? 2;
  const timeoutS = opts.timeoutS ?? 600;
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-virtio-"));
  const initrd = benchInitrd(guests, dir);
  const result: VirtioBenchResult = { blkMiB, netMiB, runs };
  const timeoutMs = (kind: "qemu" | "tessera") => (kind === "qemu" ? 180 : timeoutS) * 1000;
  const common = { kernel: guests.kernel, initrd, smp: 1, dtbRandomness: false, markers: [BEGIN_MARKER, END_MARKER] };
  try {
    if (opts.blk !== false) {
      const write = empty(), read = empty(), bytes = blkMiB << 20, pattern = diskPattern(bytes);
      const source = join(dir, "pattern.img");
      writeFileSync(source, pattern);
      for (let i = 0; i < runs; i++) {
        for (const kind of ["qemu", "tessera"] as const) {
          if (write[kind].error || read[kind].error) continue;
          const target = join(dir, `${kind}-target.img`);
          writeFileSync(target, new Uint8Array(bytes));
          // The first -device takes the highest transport and Linux numbers disks from the lowest:
          // the pattern is vdb, the target vda.
          const r = await runLinux(kind, {
            ...common, timeoutMs: timeoutMs(kind), append: `console=ttyAMA0 panic=-1 bench.mode=blk bench.mib=${blkMiB}`,
            extraArgs: ["-drive", `file=${source},if=none,id=src,format=raw,readonly=on`, "-device", "virtio-blk-device,drive=src",
              "-drive", `file=${target},if=none,id=dst,format=raw`, "-device", "virtio-blk-device,drive=dst"],
          });
          const text = workloadText(r.stdout);
          if (r.code !== 0 || text === undefined) {
            write[kind].error = read[kind].error = failure(r);
            continue;
          }
          const m = parseMeasurements(text);
          record(write[kind], m.get("blk-write"), bytes, "blk-write");
          record(read[kind], m.get("blk-read"), bytes, "blk-read");
          if (Buffer.compare(readFileSync(target), pattern) !== 0) {
            result.imagesMatch = false;
            write[kind].error ??= "the image does not hold the pattern the guest wrote";
          } else result.imagesMatch ??= true;
          log(`  virtio-blk ${kind} run ${i + 1}/${runs}: write ${write[kind].runsMs.at(-1)?.toFixed(0) ?? "?"} ms, read ${read[kind].runsMs.at(-1)?.toFixed(0) ?? "?"} ms (guest clock)`);
        }
      }
      for (const kind of ["qemu", "tessera"] as const) { finish(write[kind], bytes); finish(read[kind], bytes); }
      result.write = write;
      result.read = read;
    }
    if (opts.net !== false) {
      const net = empty(), loopback = empty(), bytes = netMiB << 20;
      for (let i = 0; i < runs; i++) {
        for (const kind of ["qemu", "tessera"] as const) {
          if (net[kind].error || loopback[kind].error) continue;
          const port = await freePortRange(1);
          // Both emulators bind a listening netdev before the guest starts, so the receiver's
          // first console output means the sender can connect.
          let started!: () => void;
          const up = new Promise<void>((resolve) => { started = resolve; });
          const receiver = runLinux(kind, {
            ...common, timeoutMs: timeoutMs(kind), onStdout: () => started(),
            append: `console=ttyAMA0 panic=-1 bench.mode=recv bench.ip=10.0.0.1 bench.port=5001 bench.mib=${netMiB}`,
            extraArgs: ["-nodefaults", "-netdev", `socket,id=n0,listen=127.0.0.1:${port}`, "-device", "virtio-net-device,netdev=n0"],
          });
          await Promise.race([up, receiver]);
          const sender = runLinux(kind, {
            ...common, timeoutMs: timeoutMs(kind),
            append: `console=ttyAMA0 panic=-1 bench.mode=send bench.ip=10.0.0.2 bench.peer=10.0.0.1 bench.port=5001 bench.mib=${netMiB}`,
            extraArgs: ["-nodefaults", "-netdev", `socket,id=n0,connect=127.0.0.1:${port}`, "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:57"],
          });
          const [rr, sr] = await Promise.all([receiver, sender]);
          const rText = workloadText(rr.stdout), sText = workloadText(sr.stdout);
          if (rr.code !== 0 || rText === undefined) { net[kind].error = loopback[kind].error = `receiver: ${failure(rr)}`; continue; }
          if (sr.code !== 0 || sText === undefined || !/^net-send: yes$/m.test(sText)) { net[kind].error = loopback[kind].error = `sender: ${failure(sr)}`; continue; }
          const m = parseMeasurements(rText);
          record(net[kind], m.get("net-recv"), bytes, "net-recv");
          record(loopback[kind], m.get("lo-recv"), bytes, "lo-recv");
          log(`  virtio-net ${kind} run ${i + 1}/${runs}: ${net[kind].runsMs.at(-1)?.toFixed(0) ?? "?"} ms, loopback ` +
            `${loopback[kind].runsMs.at(-1)?.toFixed(0) ?? "?"} ms (receiver's guest clock)`);
        }
      }
      for (const kind of ["qemu", "tessera"] as const) { finish(net[kind], bytes); finish(loopback[kind], bytes); }
      result.net = net;
      result.loopback = loopback;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
