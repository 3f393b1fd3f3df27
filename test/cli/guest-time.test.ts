/**
 * Guest time as a user sees it, with the clock guest (tests/guests/clock: 0.3 s of counter time
 * spinning on CNTVCT, then 0.3 s waiting in WFI for the virtual timer):
 * - by default the counter follows host time, as QEMU's does without -icount: the waits take
 *   their time on the host's clock, and the counter's elapsed time over an interval the host
 *   measures is that interval within a loose factor (QEMU is held to the same bounds);
 * - under -icount shift=N the output, counter readings included, is the same on every run, and
 *   the counter advances 2^N ns per instruction;
 * - -icount values QEMU refuses, or features it has that this board does not, are refused in one
 *   line with exit 2.
 * The bounds are about correctness (time neither stands still nor races), not speed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { PREBUILT_HELLO, QEMU, TESSERA_CLI } from "../harness/paths.js";
import { timedRun, type TimedRun } from "../harness/timed-run.js";
import { expectOneLineError } from "./expect.js";
import { parseIcount, parseRunArgs, UsageError } from "../../src/cli/args.js";

const noCompiler = missingTools({ compiler: true, qemu: false });
const skip = oracleMissing(noCompiler ? `the clock guest needs the cross compiler (${noCompiler})` : false);
const qemuMissing = spawnSync(QEMU, ["--version"]).status === 0 ? false : `${QEMU} not installed`;
const FREQ = 62_500_000;
const INTERVAL_S = 0.3;

/** A run's output lines (less a "[label] " prefix) and when each arrived. */
const lineTimes = (r: TimedRun) => new Map(r.lines.map((l) => [l.text.replace(/^\[\w+\] /, ""), l.ms] as const));

const timed = (cmd: string, args: string[]) => timedRun(cmd, args, 60_000);

const tessera = (args: string[]) => timed(process.execPath, [TESSERA_CLI, "run", "-M", "virt,gic-version=3", "-nographic", "-net", "none",
  "-kernel", guestPath("clock"), ...args]);

/** The counter values the guest printed, and when the host saw the lines that carry them. */
function readings(r: TimedRun) {
  const grab = (re: RegExp) => { const m = re.exec(r.stdout); assert.ok(m, `no ${re} in\n${r.stdout}\n${r.stderr}`); return Number(m[1]); };
  const start = grab(/clock: start (\d+)/), end = grab(/clock: end (\d+)/);
  const busy = grab(/clock: busy wait (\d+) ticks/), idle = grab(/clock: idle wait (\d+) ticks/);
  const at = (prefix: string) => [...lineTimes(r)].find(([l]) => l.startsWith(prefix))?.[1];
  return { start, end, busy, idle, startMs: at("clock: start"), endMs: at("clock: end") };
}

/** What holds for a counter that follows host time, Tessera's by default and QEMU's. */
function checkFollowsHostTime(r: TimedRun, who: string): void {
  assert.equal(r.code, 0, `${who}: ${r.stderr}`);
  assert.match(r.stdout, /clock: idle wait \d+ ticks \(timer fired after its deadline\)/);
  const v = readings(r);
  assert.ok(v.busy >= INTERVAL_S * FREQ && v.idle >= INTERVAL_S * FREQ, `${who}: both waits last their interval of counter time`);
  // The guest waited 0.6 s of counter time: on host time that is 0.6 s of wall time at least.
  assert.ok(r.wallMs >= 2 * INTERVAL_S * 1000, `${who}: the run took ${r.wallMs.toFixed(0)} ms of wall time for 600 ms of guest waits`);
  assert.ok(v.startMs !== undefined && v.endMs !== undefined);
  // Between the lines the host saw, the counter counted about as much host time (loosely: the
  // lines reach the host in batches, a few milliseconds apart).
  const hostS = (v.endMs! - v.startMs!) / 1000, guestS = (v.end - v.start) / FREQ;
  assert.ok(hostS >= 0.5 * 2 * INTERVAL_S, `${who}: ${hostS.toFixed(3)} s between the start and end lines`);
  assert.ok(guestS / hostS > 0.5 && guestS / hostS < 2, `${who}: counter ${guestS.toFixed(3)} s over ${hostS.toFixed(3)} s of host time`);
}

describe("guest time", { skip }, () => {
  before(() => { buildGuests(["clock"]); });

  test("by default the counter follows host time", async () => {
    checkFollowsHostTime(await tessera([]), "tessera run");
  });

  test("QEMU without -icount behaves the same way (the reference for the bounds above)", { skip: qemuMissing }, async () => {
    const r = await timed(QEMU, ["-M", "virt,gic-version=3", "-cpu", "cortex-a53", "-nographic", "-net", "none", "-monitor", "none",
      "-serial", "stdio", "-kernel", guestPath("clock")]);
    checkFollowsHostTime(r, "QEMU");
  });

  test("-icount shift=4: two runs print the same counter readings, one tick per instruction", async () => {
    const a = await tessera(["-icount", "shift=4"]);
    const b = await tessera(["-icount", "4"]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.stdout, a.stdout, "identical output, counter values included");
    const v = readings(a);
    assert.equal(v.end - v.start, v.busy + v.idle);
    // sleep=off jumps idle time to the deadline instead of waiting: the guest cannot tell.
    const warp = await tessera(["-icount", "shift=4,sleep=off"]);
    assert.equal(warp.stdout, a.stdout, "sleep=off: the same output");
  });

  test("-icount shift=3 counts half a tick per instruction where shift=4 counts one", async () => {
    const four = readings(await tessera(["-icount", "shift=4"]));
    const three = readings(await tessera(["-icount", "shift=3,sleep=off"]));
    // The same instructions run before the first reading.
    assert.ok(Math.abs(three.start * 2 - four.start) <= 2, `start ${three.start} at shift 3, ${four.start} at shift 4`);
  });

  test("tessera hv -icount: a partition's counter is deterministic too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-clock-"));
    const config = join(dir, "clock.dts");
    writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <1>; memory-size = <0x0 0x20000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  partitions {
    p { compatible = "partition"; label = "clock"; cpus = <0 1>; guest-image = "${guestPath("clock")}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
    const hv = () => timed(process.execPath, [TESSERA_CLI, "hv", config, "-icount", "shift=4,sleep=off", "--watchdog", "50"]);
    const a = await hv(), b = await hv();
    const lines = (r: TimedRun) => r.stdout.split("\n").filter((l) => l.startsWith("[clock] clock:")).join("\n");
    assert.match(lines(a), /clock: done/, a.stdout + a.stderr);
    assert.equal(lines(b), lines(a));
    // And by default on host time, the waits take their time there too.
    const host = await timed(process.execPath, [TESSERA_CLI, "hv", config, "--watchdog", "50"]);
    assert.match(host.stdout, /\[clock\] clock: done/, host.stdout + host.stderr);
    assert.ok(host.wallMs >= 2 * INTERVAL_S * 1000, `hv: ${host.wallMs.toFixed(0)} ms`);
  });
});

describe("-icount spellings (QEMU 7.2 icount_configure)", () => {
  const accepted: [string, unknown][] = [
    ["shift=4", { mode: "icount", shift: 4, sleep: true }],
    ["4", { mode: "icount", shift: 4, sleep: true }],
    ["0", { mode: "icount", shift: 0, sleep: true }],
    ["10,sleep=off", { mode: "icount", shift: 10, sleep: false }],
    ["shift=auto", { mode: "icount", shift: "auto", sleep: true }],
    ["auto", { mode: "icount", shift: "auto", sleep: true }],
    ["auto,sleep=on", { mode: "icount", shift: "auto", sleep: true }],
    ["0x3", { mode: "icount", shift: 3, sleep: true }],
    ["010", { mode: "icount", shift: 8, sleep: true }],
    ["3,", { mode: "icount", shift: 3, sleep: true }],
    ["shift=3,shift=4", { mode: "icount", shift: 4, sleep: true }],
    ["3,sleep=no", { mode: "icount", shift: 3, sleep: false }],
  ];
  for (const [text, clock] of accepted) {
    test(`-icount ${text}`, () => {
      assert.deepEqual(parseIcount(text).clock, clock);
      assert.deepEqual(parseRunArgs(["-kernel", "k", "-icount", text]).clock, clock);
    });
  }
  test("no -icount: host time; -icount without a shift: host time with a warning (QEMU leaves icount off)", () => {
    assert.deepEqual(parseRunArgs(["-kernel", "k"]).clock, { mode: "host" });
    const r = parseIcount("sleep=off");
    assert.deepEqual(r.clock, { mode: "host" });
    assert.match(r.warning ?? "", /no shift/);
  });
  for (const bad of ["shift=11", "shift=-1", "3.5", "AUTO", "shift=", "3,sleep=maybe", "3,foo=1", "3,align=on", "3,rr=record"]) {
    test(`refused: -icount ${bad}`, () => assert.throws(() => parseIcount(bad), UsageError));
  }
});

describe("-icount errors on the command line", () => {
  const cases: [string, string[], RegExp][] = [
    ["run: shift out of range", ["run", "-kernel", PREBUILT_HELLO, "-icount", "shift=11"], /-icount shift=11: invalid shift value '11' \(0 to 10, or auto\)/],
    ["run: unknown parameter", ["run", "-kernel", PREBUILT_HELLO, "-icount", "4,foo=1"], /invalid parameter 'foo'/],
    ["run: align", ["run", "-kernel", PREBUILT_HELLO, "-icount", "4,align=on"], /'align' is not supported/],
    ["run: sleep value", ["run", "-kernel", PREBUILT_HELLO, "-icount", "4,sleep=maybe"], /parameter 'sleep' expects 'on' or 'off'/],
    ["run: no value", ["run", "-kernel", PREBUILT_HELLO, "-icount"], /option -icount needs a value/],
    ["hv: shift out of range", ["hv", "nonexistent.dts", "-icount", "shift=12"], /invalid shift value/],
    ["hv: no value", ["hv", "nonexistent.dts", "-icount"], /option -icount needs a value/],
  ];
  for (const [name, args, pattern] of cases) {
    test(name, () => {
      const r = spawnSync(process.execPath, [TESSERA_CLI, ...args], { encoding: "utf8", timeout: 20000, input: "" });
      expectOneLineError(r, pattern, name);
    });
  }
  test("QEMU refuses the same shift values", { skip: qemuMissing }, () => {
    for (const v of ["shift=11", "4,foo=1", "4,sleep=maybe"]) {
      const r = spawnSync(QEMU, ["-M", "virt", "-nographic", "-net", "none", "-monitor", "none", "-serial", "none", "-kernel", PREBUILT_HELLO, "-icount", v],
        { encoding: "utf8", timeout: 20000 });
      assert.notEqual(r.status, 0, `QEMU accepted -icount ${v}`);
    }
  });
});
