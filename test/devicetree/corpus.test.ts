/**
 * The Debian arm64 kernel's device trees (every .dtb of linux-image-arm64, fetched by
 * scripts/fetch-dtb-corpus.sh) against dtc:
 *  1. Tessera's DTB-to-DTS text equals `dtc -I dtb -O dts` byte for byte;
 *  2. compiling that text gives the same DTB as `dtc -I dts -O dtb` of the same text.
 * Skips with a message when the cache or dtc is missing.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dtbToDts, dtsToDtb } from "../../src/devicetree/index.js";
import { NO_DTC, corpusRoot, listFiles, runDtc } from "./oracle.js";
import { oracleMissing } from "../harness/oracles.js";

const imageDir = join(corpusRoot(), "linux-image");
const corpus = listFiles(imageDir, ".dtb");
const skip = NO_DTC || oracleMissing(corpus.length === 0 ? `no DTB corpus in ${imageDir}: run scripts/fetch-dtb-corpus.sh (TESSERA_CACHE overrides the cache root)` : false);

/** dtc's text for each file, shared by both tests. */
const dtcText = new Map<string, string>();

test("corpus: dtb -> dts identical to dtc for every kernel dtb", { skip }, (t) => {
  const mismatches: string[] = [];
  for (const file of corpus) {
    const run = runDtc(["-q", "-I", "dtb", "-O", "dts", file]);
    assert.equal(run.status, 0, `dtc failed on ${file}: ${run.stderr}`);
    const expected = run.stdout.toString("latin1");
    dtcText.set(file, expected);
    let actual: string;
    try {
      actual = dtbToDts(readFileSync(file));
    } catch (error) {
      mismatches.push(`${file}: ${(error as Error).message}`);
      continue;
    }
    if (actual !== expected) mismatches.push(`${file}: text differs`);
  }
  t.diagnostic(`dtb->dts: ${corpus.length - mismatches.length}/${corpus.length} identical`);
  assert.deepEqual(mismatches, []);
});

test("corpus: dts -> dtb identical to dtc for every kernel dtb's source text", { skip }, (t) => {
  const mismatches: string[] = [];
  for (const file of corpus) {
    let text = dtcText.get(file);
    if (text === undefined) {
      const run = runDtc(["-q", "-I", "dtb", "-O", "dts", file]);
      text = run.stdout.toString("latin1");
    }
    const run = runDtc(["-q", "-I", "dts", "-O", "dtb", "-"], Buffer.from(text, "latin1"));
    assert.equal(run.status, 0, `dtc failed compiling the text of ${file}: ${run.stderr}`);
    let actual: Uint8Array;
    try {
      actual = dtsToDtb(text, { fileName: file });
    } catch (error) {
      mismatches.push(`${file}: ${(error as Error).message}`);
      continue;
    }
    if (Buffer.compare(Buffer.from(actual), run.stdout) !== 0) mismatches.push(`${file}: blob differs`);
  }
  t.diagnostic(`dts->dtb: ${corpus.length - mismatches.length}/${corpus.length} identical`);
  assert.deepEqual(mismatches, []);
});
