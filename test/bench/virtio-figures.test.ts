/**
 * The virtio bench's arithmetic, without booting anything: what it reads from a guest's console
 * (tests/linux/virtio-bench-init.sh's "<what> bytes=<n> us=<t>" lines among the kernel's), the
 * MB/s it derives, and the rows it hands the table (ratio of times, MB/s beside them, a failed or
 * mismatched run shown as such).
 */
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { megabytesPerSecond, parseMeasurements, VIRTIO_INIT } from "../../bench/virtio.js";
import { formatTable, virtioRows } from "../../bench/run.js";

test("the guest's measurement lines are found among kernel lines, CR LF or not", () => {
  const console = [
    "[    3.141592] virtio_blk virtio1: [vda] 65536 512-byte logical blocks (33.6 MB/32.0 MiB)",
    "=== TESSERA-WORKLOAD BEGIN ===",
    "blk-write bytes=33554432 us=388448\r",
    "[    9.000001] random: crng init done",
    "blk-read bytes=33554432 us=164102",
    "net-recv bytes=4194304 us=2000000\r",
    "=== TESSERA-WORKLOAD END ===",
  ].join("\n");
  const m = parseMeasurements(console);
  assert.deepEqual([...m.keys()], ["blk-write", "blk-read", "net-recv"]);
  assert.deepEqual(m.get("blk-write"), { what: "blk-write", bytes: 33554432, us: 388448 });
  assert.equal(m.get("blk-read")!.us, 164102);
  assert.equal(m.get("net-recv")!.bytes, 4194304);
  // A line the script prints on failure is not a measurement.
  assert.equal(parseMeasurements("blk-write failed\nblk-write bytes= us=\n").size, 0);
});

test("a zero or negative guest time is refused, not turned into an infinite rate", () => {
  assert.throws(() => parseMeasurements("blk-read bytes=1048576 us=0"), /clock gave 0 us for blk-read/);
  assert.throws(() => parseMeasurements("net-recv bytes=1048576 us=-5"), /clock gave -5 us/);
});

test("every measurement the init script prints has the form the parser reads", () => {
  const script = readFileSync(VIRTIO_INIT, "utf8");
  // The disk's lines are echoed directly; the network's by receive() with the name as $1.
  const echoes = [...script.matchAll(/echo "([a-z-]+|\$1) bytes=.*? us=\$\(\(t1 - t0\)\)"/g)].map((m) => m[1]);
  assert.deepEqual(echoes.sort(), ["$1", "blk-read", "blk-write"]);
  const received = [...script.matchAll(/^\s*receive ([a-z-]+) /gm)].map((m) => m[1]);
  assert.deepEqual(received.sort(), ["lo-recv", "net-recv"]);
});

test("MB/s are 10^6 bytes per second", () => {
  assert.equal(megabytesPerSecond(32 << 20, 1e6), 33.554432);
  assert.equal(megabytesPerSecond(1e6, 250_000), 4);
});

test("the rows: times in seconds with MB/s beside them, Tessera/QEMU of the times, failures shown", () => {
  const rows = virtioRows({
    blkMiB: 32, netMiB: 4, runs: 1, imagesMatch: false,
    write: { qemu: { ms: 100, mbps: 335.5, runsMs: [100] }, tessera: { ms: 2000, mbps: 16.8, runsMs: [2000] } },
    read: { qemu: { ms: 160, mbps: 209.7, runsMs: [160] }, tessera: { runsMs: [], error: "exit 1; Kernel panic" } },
    net: { qemu: { ms: 2000, mbps: 2.097, runsMs: [2000] }, tessera: { ms: 200_000, mbps: 0.02097, runsMs: [200_000] } },
  });
  assert.equal(rows.length, 3);
  assert.equal(rows[0]!.ratio, 20);
  assert.equal(rows[0]!.output, "DIFFER");
  assert.equal(rows[1]!.ratio, undefined);
  assert.match(rows[1]!.note!, /^FAILED: Tessera: exit 1; Kernel panic/);
  const table = formatTable(rows).split("\n");
  assert.match(table[2]!, /^\| virtio-blk sequential write, 32 MiB \(O_DIRECT, fsync\) +\| +- \| +0\.10 \(336 MB\/s\) \| +2\.00 \(17 MB\/s\) \| +20\.0x \|/);
  assert.match(table[3]!, /\| +0\.16 \(210 MB\/s\) \| +- \| +- \|/);
  assert.match(table[4]!, /^\| virtio-net guest to guest, 4 MiB \(busybox nc\) +\| +- \| +2\.00 \(2\.1 MB\/s\) \| +200\.00 \(0\.021 MB\/s\) \| +100\.0x \|/);
});
