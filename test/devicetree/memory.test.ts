/**
 * Memory on large device trees: `tessera dtc` run as its own process on megabytes of value data
 * must give dtc's exact output with a peak RSS that stays a small multiple of the input. Before
 * byte and cell runs were lexed as one token each and DTS output was printed in pieces, 5 MB of
 * `[..]` took ~850 MB, 1.3 million cells ~340 MB and a DTB with a 50 MB property ~1.4 GB (dtc:
 * 17, 17 and 104 MB); now 110-125 MB each.
 * Inputs are generated here; no timing is asserted (speed belongs in benchmarks).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeviceTree, bytes, encodeDtb } from "../../src/devicetree/index.js";
import { TESSERA_CLI } from "../harness/paths.js";
import { NO_DTC, runDtc, withTempDir } from "./oracle.js";

/**
 * About twice the ~115 MB measured for each case here; per-element token objects took 828 MB
 * (bytes) and 338 MB (cells), and holding the whole printed text 1.4 GB.
 */
const PEAK_RSS_LIMIT_MB = 250;

/**
 * Preloaded into the child: on exit it records the process's peak RSS (getrusage's ru_maxrss,
 * in KiB), so no external `time` program is needed.
 */
const RSS_RECORDER = `
const { writeFileSync } = require("node:fs");
process.on("exit", () => writeFileSync(process.env.TESSERA_RSS_FILE, String(process.resourceUsage().maxRSS)));
`;

/** Run `tessera dtc` in a child process; returns its exit status, stderr and peak RSS in MiB. */
function tesseraChild(dir: string, args: string[]): { status: number | null; stderr: string; peakMb: number } {
  const recorder = join(dir, "rss-recorder.cjs");
  const rssFile = join(dir, "rss.txt");
  writeFileSync(recorder, RSS_RECORDER);
  writeFileSync(rssFile, "");
  const run = spawnSync(process.execPath, ["--require", recorder, TESSERA_CLI, "dtc", ...args], {
    env: { ...process.env, TESSERA_RSS_FILE: rssFile },
    encoding: "latin1",
    timeout: 120_000,
  });
  const kib = Number(readFileSync(rssFile, "latin1"));
  assert.ok(kib > 0, `child recorded no peak RSS (status ${run.status}, signal ${run.signal}): ${run.stderr}`);
  return { status: run.status, stderr: run.stderr, peakMb: kib / 1024 };
}

/** SHA-256 of a file, read in chunks: the outputs compared here are up to ~140 MB. */
function fileDigest(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let count; (count = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, count));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** Deterministic pseudo-random bytes (an LCG's high bytes): every byte value, no long runs. */
function pseudoRandomBytes(length: number): Uint8Array {
  const data = new Uint8Array(length);
  let state = 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

/** A DTS whose one property is `count` bytes written as `[..]`, 32 pairs to a line. */
function bytestringSource(count: number): string {
  const data = pseudoRandomBytes(count);
  const hex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
  const lines: string[] = [];
  for (let offset = 0; offset < count; offset += 32) {
    const pairs: string[] = [];
    for (let i = offset; i < Math.min(count, offset + 32); i++) pairs.push(hex[data[i]]);
    lines.push(pairs.join(" "));
  }
  return `/dts-v1/;\n/ {\n\tcompatible = "tessera,memory-test";\n\tdata = [${lines.join("\n\t\t")}];\n};\n`;
}

/** Compare tessera's output file with dtc's for the same arguments, and bound tessera's peak RSS. */
function assertLikeDtcWithinMemory(dir: string, input: string, args: string[], format: string): void {
  const ours = join(dir, `ours.${format}`);
  const theirs = join(dir, `dtc.${format}`);
  const oracle = runDtc(["-q", ...args, "-o", theirs, input]);
  assert.equal(oracle.status, 0, oracle.stderr);
  const run = tesseraChild(dir, ["-q", ...args, "-o", ours, input]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(fileDigest(ours), fileDigest(theirs), `output of ${args.join(" ")} differs from dtc's`);
  assert.ok(run.peakMb < PEAK_RSS_LIMIT_MB, `peak RSS ${run.peakMb.toFixed(0)} MB for ${args.join(" ")} (limit ${PEAK_RSS_LIMIT_MB} MB)`);
}

test("memory: 5 MB of [..] bytestring data compiles to dtc's blob and text within the RSS bound", { skip: NO_DTC }, async () => {
  await withTempDir((dir) => {
    const input = join(dir, "bytestring.dts");
    writeFileSync(input, bytestringSource(5 * 1024 * 1024), "latin1");
    assertLikeDtcWithinMemory(dir, input, ["-I", "dts", "-O", "dtb"], "dtb");
    assertLikeDtcWithinMemory(dir, input, ["-I", "dts", "-O", "dts"], "dts");
  });
});

/** A DTS whose one property is `count` cells of pseudo-random 32-bit hex literals. */
function cellSource(count: number): string {
  const data = pseudoRandomBytes(count * 4);
  const view = new DataView(data.buffer);
  const lines: string[] = [];
  for (let index = 0; index < count; index += 16) {
    const cells: string[] = [];
    for (let i = index; i < Math.min(count, index + 16); i++) cells.push("0x" + view.getUint32(i * 4).toString(16));
    lines.push(cells.join(" "));
  }
  return `/dts-v1/;\n/ {\n\tdata = <${lines.join("\n\t\t")}>;\n};\n`;
}

test("memory: 1.3 million cells (5 MB of data) compile to dtc's blob within the RSS bound", { skip: NO_DTC }, async () => {
  await withTempDir((dir) => {
    const input = join(dir, "cells.dts");
    writeFileSync(input, cellSource(1_310_720), "latin1");
    assertLikeDtcWithinMemory(dir, input, ["-I", "dts", "-O", "dtb"], "dtb");
  });
});

test("memory: a DTB with one 50 MB property prints as dtc's text within the RSS bound", { skip: NO_DTC }, async () => {
  await withTempDir((dir) => {
    const input = join(dir, "big-property.dtb");
    const tree = new DeviceTree();
    tree.root.setString("compatible", "tessera,memory-test");
    // Neither a string nor bytes: printed as ~13 million cells, about 140 MB of text.
    tree.root.setProp("data", bytes(pseudoRandomBytes(50 * 1024 * 1024)));
    writeFileSync(input, encodeDtb(tree));
    assertLikeDtcWithinMemory(dir, input, ["-I", "dtb", "-O", "dts"], "dts");
  });
});
