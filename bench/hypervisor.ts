/**
 * The hypervisor's figures, whole process as a user sees them:
 *   - overhead: the Linux busybox workload (tests/linux/init.sh) under `tessera run` (-m 512M,
 *     one CPU, GICv3) against the same kernel and initramfs in a partition of that size beside a
 *     bare-metal partition under `tessera hv`: time to the workload's end marker;
 *   - demo up: the Linux + RTOS demo (examples/linux-rtos.dts with the test client as /init),
 *     time until both partitions are up (the RTOS's prompt and Linux's first line from /init);
 *   - doorbell round trip: the same run's commands from Linux to the RTOS and back, host time per
 *     command (each is a busybox shell script of devmem calls, so most of it is Linux running
 *     busybox, not the hypervisor).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxInitramfs } from "../src/cli/guests.js";
import { buildGuests, guestPath } from "../test/harness/guests.js";
import { END_MARKER, findGuests, workloadInitrd } from "../test/harness/linux.js";
import { REPO_ROOT, TESSERA_CLI } from "../test/harness/paths.js";
import { timedRun } from "../test/harness/timed-run.js";
import { doorbellPingPong, linuxBesideBareMetal, linuxRtosDemo } from "../test/harness/hypervisor.js";

export interface HypervisorBench {
  runMs?: number;
  hvMs?: number;
  overhead?: number;
  demoUpMs?: number;
  roundTripMs?: number;
  commands: number;
  /** Bare-metal ping-pong over a doorbell: mean round trip in guest counter ticks (-icount shift=4) and host microseconds. */
  doorbellTicks?: number;
  doorbellHostUs?: number;
}

/** Run a tessera command, noting when lines matching each pattern first appear (ms from start). */
async function timed(args: string[], marks: Record<string, RegExp>, timeoutMs: number): Promise<{ code: number | null; at: Record<string, number>; wallMs: number; stdout: string }> {
  const r = await timedRun(process.execPath, [TESSERA_CLI, ...args], timeoutMs);
  const at: Record<string, number> = {};
  for (const [k, re] of Object.entries(marks)) { const hit = r.lines.find((l) => re.test(l.text)); if (hit) at[k] = hit.ms; }
  return { code: r.code, at, wallMs: r.wallMs, stdout: r.stdout };
}

export async function benchHypervisor(opts: { runs?: number; log?: (s: string) => void } = {}): Promise<HypervisorBench> {
  const guests = findGuests();
  if (!guests) throw new Error("no Linux guest in the cache (npm run fetch-guests)");
  buildGuests(["hello", "rtos-partition", "doorbell-ping", "doorbell-pong"]);
  const runs = opts.runs ?? 1;
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-hv-"));
  const initrd = workloadInitrd(guests);
  const config = join(dir, "linux.dts");
  writeFileSync(config, linuxBesideBareMetal(guests.kernel, initrd, guestPath("hello")));
  const end = new RegExp(END_MARKER.replace(/[=]/g, "="));
  const best = (xs: (number | undefined)[]) => { const v = xs.filter((x): x is number => x !== undefined); return v.length ? Math.min(...v) : undefined; };
  const run: (number | undefined)[] = [], hv: (number | undefined)[] = [];
  for (let i = 0; i < runs; i++) {
    opts.log?.(`  hypervisor: Linux workload under tessera run, run ${i + 1}/${runs}...`);
    const r = await timed(["run", "-M", "virt,gic-version=3", "-m", "512M", "-smp", "1", "-kernel", guests.kernel, "-initrd", initrd,
      "-append", "console=ttyAMA0 panic=-1", "--watchdog", "900"], { end }, 950_000);
    run.push(r.at.end);
    opts.log?.(`  hypervisor: the same in a partition, run ${i + 1}/${runs}...`);
    const h = await timed(["hv", config, "--watchdog", "900"], { end }, 950_000);
    hv.push(h.at.end);
  }
  // The demo with the test client as Linux's /init.
  const client = join(dir, "client.cpio.gz");
  writeFileSync(client, busyboxInitramfs(guests.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "rtos-client.sh")),
    { "bin/rtos": new Uint8Array(readFileSync(join(REPO_ROOT, "tests", "linux", "rtos-mailbox.sh"))) }));
  const demo = join(dir, "linux-rtos.dts");
  writeFileSync(demo, linuxRtosDemo(guests.kernel, client, guestPath("rtos-partition")));
  opts.log?.("  hypervisor: the Linux + RTOS demo...");
  const d = await timed(["hv", demo, "--watchdog", "900"], { rtos: /^\[p2-rtos\] rtos> ready/, linux: /^\[p1-linux\] linux: talking/, done: /^\[p1-linux\] linux: done/ }, 950_000);
  const commands = (d.stdout.match(/^\[p1-linux\] linux: '/gm) ?? []).length;
  opts.log?.("  hypervisor: doorbell ping-pong between two bare-metal partitions...");
  const pp = join(dir, "doorbell.dts");
  writeFileSync(pp, doorbellPingPong(guestPath("doorbell-ping"), guestPath("doorbell-pong")));
  // Instruction time (one tick per instruction), so the tick figure counts the round trip's
  // instructions rather than host speed.
  const ping = await timed(["hv", pp, "-icount", "shift=4", "--watchdog", "120"], { start: /^\[ping\] ping: \d+ rounds/, end: /^\[ping\] ping: round trip/ }, 150_000);
  const m = /ping: round trip (\d+) ticks on average/.exec(ping.stdout);
  const rounds = Number(/ping: (\d+) rounds/.exec(ping.stdout)?.[1] ?? 0);
  const runMs = best(run), hvMs = best(hv);
  return {
    runMs, hvMs, overhead: runMs && hvMs ? hvMs / runMs - 1 : undefined,
    demoUpMs: d.at.rtos !== undefined && d.at.linux !== undefined ? Math.max(d.at.rtos, d.at.linux) : undefined,
    roundTripMs: d.at.linux !== undefined && d.at.done !== undefined && commands ? (d.at.done - d.at.linux) / commands : undefined,
    commands,
    doorbellTicks: m ? Number(m[1]) : undefined,
    doorbellHostUs: ping.at.start !== undefined && ping.at.end !== undefined && rounds ? ((ping.at.end - ping.at.start) * 1000) / rounds : undefined,
  };
}
