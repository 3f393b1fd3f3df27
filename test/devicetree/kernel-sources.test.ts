/**
 * Real kernel DTS sources with #include and /include/ (arch/arm64/boot/dts from Debian's
 * linux-source package, fetched by scripts/fetch-dtb-corpus.sh), preprocessed with cpp the way
 * the kernel build does, then compiled by dtc and by Tessera: the blobs must be identical,
 * with and without -@. A deterministic sample is used; TESSERA_DTS_ALL=1 compiles every board.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { applyOverlay, decodeDtb, dtsToDtb, treeToDts, type SourceReader } from "../../src/devicetree/index.js";
import { NO_DTC, corpusRoot, listFiles, runDtc, withTempDir } from "./oracle.js";
import { oracleMissing } from "../harness/oracles.js";

const sourceRoot = join(corpusRoot(), "linux-source");
const dtsRoot = join(sourceRoot, "arch", "arm64", "boot", "dts");
const allBoards = listFiles(dtsRoot, ".dts");
const NO_CPP = oracleMissing(spawnSync("cpp", ["--version"], { stdio: "ignore" }).status === 0 ? false : "cpp not installed");
const skip =
  NO_DTC || NO_CPP || oracleMissing(allBoards.length === 0 ? `no kernel DTS sources in ${dtsRoot}: run scripts/fetch-dtb-corpus.sh` : false);

/** The boards named in SOURCES, plus every 12th board in sorted order. */
function sample(): string[] {
  if (process.env.TESSERA_DTS_ALL) return allBoards;
  const chosen = new Set<string>();
  const listed = join(sourceRoot, "SOURCES");
  if (existsSync(listed)) {
    for (const line of readFileSync(listed, "utf8").split("\n")) {
      if (line.endsWith(".dts") && existsSync(join(sourceRoot, line))) chosen.add(join(sourceRoot, line));
    }
  }
  allBoards.forEach((file, index) => {
    if (index % 12 === 0) chosen.add(file);
  });
  return [...chosen].sort();
}

const reader: SourceReader = {
  readFile(path: string) {
    try {
      return readFileSync(path);
    } catch {
      return undefined;
    }
  },
};

/** The kernel's dtc_cpp_flags: -nostdinc -I scripts/dtc/include-prefixes -undef -D__DTS__ -x assembler-with-cpp. */
function preprocess(file: string): Buffer | undefined {
  const run = spawnSync(
    "cpp",
    ["-nostdinc", "-undef", "-D__DTS__", "-x", "assembler-with-cpp", "-I", join(sourceRoot, "scripts", "dtc", "include-prefixes"), "-I", dirname(file), "-I", join(sourceRoot, "include"), file],
    { maxBuffer: 1 << 28 },
  );
  return run.status === 0 ? run.stdout : undefined;
}

test("kernel sources: cpp-preprocessed board files compile to dtc's exact blobs", { skip }, (t) => {
  const boards = sample();
  const mismatches: string[] = [];
  let compared = 0;
  let unpreprocessable = 0;
  for (const file of boards) {
    const text = preprocess(file);
    if (!text) {
      unpreprocessable++;
      continue;
    }
    const name = relative(dtsRoot, file);
    for (const symbols of [false, true]) {
      const args = ["-q", "-I", "dts", "-O", "dtb", ...(symbols ? ["-@"] : []), "-i", dirname(file), "-"];
      const expected = runDtc(args, text);
      let actual: Uint8Array | Error;
      try {
        actual = dtsToDtb(text.toString("latin1"), { fileName: file, reader, includeDirs: [dirname(file)], generateSymbols: symbols });
      } catch (error) {
        actual = error as Error;
      }
      compared++;
      if (expected.status !== 0) {
        if (!(actual instanceof Error)) mismatches.push(`${name}${symbols ? " -@" : ""}: dtc rejects it (${expected.stderr.trim()}) but Tessera accepted it`);
        continue;
      }
      if (actual instanceof Error) mismatches.push(`${name}${symbols ? " -@" : ""}: ${actual.message}`);
      else if (Buffer.compare(Buffer.from(actual), expected.stdout) !== 0) mismatches.push(`${name}${symbols ? " -@" : ""}: blob differs`);
    }
  }
  t.diagnostic(`kernel sources: ${compared - mismatches.length}/${compared} compiles identical (${boards.length} boards, ${unpreprocessable} not preprocessable here)`);
  assert.ok(compared > 0, "no board could be preprocessed");
  assert.deepEqual(mismatches, []);
});

/** Debian ships two overlays; each is applied to the boards it is meant for, built with -@. */
const OVERLAY_PAIRS: [string, string[]][] = [
  ["renesas/salvator-panel-aa104xd12.dtbo", ["renesas/r8a77950-salvator-x.dts", "renesas/r8a77951-salvator-x.dts", "renesas/r8a77960-salvator-x.dts", "renesas/r8a77965-salvator-x.dts"]],
  ["renesas/draak-ebisu-panel-aa104xd12.dtbo", ["renesas/r8a77990-ebisu.dts", "renesas/r8a77995-draak.dts"]],
];

const NO_FDTOVERLAY = oracleMissing(spawnSync("fdtoverlay", ["--help"], { stdio: "ignore" }).error ? "fdtoverlay not installed" : false);

test("kernel sources: Debian's overlays applied to their boards give fdtoverlay's tree", { skip: skip || NO_FDTOVERLAY }, async (t) => {
  const imageDir = join(corpusRoot(), "linux-image");
  let applied = 0;
  await withTempDir((dir) => {
    for (const [overlayName, boards] of OVERLAY_PAIRS) {
      const overlayPath = join(imageDir, overlayName);
      if (!existsSync(overlayPath)) continue;
      for (const board of boards) {
        const source = join(dtsRoot, board);
        const text = existsSync(source) ? preprocess(source) : undefined;
        if (!text) continue;
        const base = runDtc(["-q", "-@", "-I", "dts", "-O", "dtb", "-"], text);
        assert.equal(base.status, 0, base.stderr);
        const basePath = join(dir, "base.dtb");
        const mergedPath = join(dir, "merged.dtb");
        writeFileSync(basePath, base.stdout);
        const merged = spawnSync("fdtoverlay", ["-i", basePath, "-o", mergedPath, overlayPath]);
        assert.equal(merged.status, 0, merged.stderr.toString());
        const tree = decodeDtb(base.stdout);
        applyOverlay(tree, decodeDtb(readFileSync(overlayPath)));
        const expected = runDtc(["-q", "-I", "dtb", "-O", "dts", mergedPath]).stdout.toString("latin1");
        assert.equal(treeToDts(tree), expected, `${overlayName} on ${board}`);
        applied++;
      }
    }
  });
  t.diagnostic(`overlays applied like fdtoverlay: ${applied}`);
  assert.ok(applied > 0, "no overlay/board pair available");
});
