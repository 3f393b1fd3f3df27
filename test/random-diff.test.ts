/**
 * Random differential test of the integer data-processing instructions:
 * thousands of generated cases, a batch per bare-metal image, each run
 * under QEMU and Tessera; every case's registers and NZCV must match.
 *
 * RANDOM_DIFF_SEED, RANDOM_DIFF_BATCHES and RANDOM_DIFF_PER_BATCH override
 * the defaults (the seed is reported with any failure).
 */
import { describe, test, before, after } from "node:test";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import assert from "node:assert/strict";
import { missingTools } from "./harness/guests.js";
import { checkReference, compareBatch, makeBatches, runQemu, runTessera, type Batch } from "./harness/random-diff.js";

const SEED = Number(process.env.RANDOM_DIFF_SEED ?? 0x7e55e7a);
const BATCHES = Number(process.env.RANDOM_DIFF_BATCHES ?? 15);
const PER_BATCH = Number(process.env.RANDOM_DIFF_PER_BATCH ?? 200);

/** Runs fn over items with at most `limit` in flight, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const missing = missingTools({ compiler: false, qemu: true });
const skip = missing ? `random differential test needs QEMU (${missing})` : false;
if (missing) console.log(`# skipping random differential test: ${missing}`);

describe(`random integer instruction sequences (${BATCHES} x ${PER_BATCH} cases, seed 0x${SEED.toString(16)})`, { skip }, () => {
  let batches: Batch[] = [];
  const references = new Map<number, Buffer>();
  let keepImages = false;

  before(() => {
    batches = makeBatches(SEED, BATCHES, PER_BATCH);
  });

  after(() => {
    // Images are kept when something failed: the failure message names them.
    if (!keepImages && batches.length) rmSync(dirname(batches[0]!.elfPath), { recursive: true, force: true });
  });

  test("QEMU runs every case and dumps its registers", async () => {
    keepImages = true;
    const results = await mapLimit(batches, 4, (b) => runQemu(b.elfPath, { timeoutMs: 30000 }));
    for (const [i, r] of results.entries()) {
      const problem = checkReference(batches[i]!, r);
      assert.equal(problem, null, problem ?? "");
      references.set(i, r.stdout);
    }
    keepImages = false;
  });

  test("Tessera matches QEMU on every case", async (t) => {
    if (references.size !== batches.length) {
      t.skip("no complete QEMU reference");
      return;
    }
    keepImages = true;
    let before = 0;
    for (const batch of batches) {
      const r = await runTessera(batch.elfPath, { timeoutMs: 60000 });
      const problem = compareBatch(batch, references.get(batch.index)!, r, before);
      if (problem !== null) assert.fail(problem);
      before += batch.cases.length;
    }
    keepImages = false;
  });
});
