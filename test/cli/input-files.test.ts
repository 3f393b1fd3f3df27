/**
 * readInputFile (src/cli/host-files.ts) returns a file's bytes exactly, and gives files of
 * 128 KiB to 32 MiB a buffer just over 32 MiB, so that freeing one (a kernel image, once in
 * guest RAM) leaves glibc's mmap and trim thresholds where they were.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readInputFile } from "../../src/cli/host-files.js";

const MiB = 1048576;

function bytesOf(size: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = 0x12345678;
  for (let i = 0; i < size; i++) { x = (Math.imul(x, 1103515245) + 12345) | 0; b[i] = x >>> 24; }
  return b;
}

test("files read whole, with an over-sized buffer in glibc's dynamic mmap range only", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-input-"));
  try {
    for (const [size, bigBuffer] of [[4096, false], [128 * 1024 - 1, false], [128 * 1024, true], [3 * MiB + 5, true], [32 * MiB, true]] as const) {
      const path = join(dir, `f${size}`);
      const want = bytesOf(size);
      writeFileSync(path, want);
      const got = readInputFile(path, "test file", { maxBytes: 64 * MiB });
      assert.equal(got.length, size);
      assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(want), `${size} bytes read back`);
      assert.equal(got.buffer.byteLength > 32 * MiB, bigBuffer, `buffer of a ${size}-byte file`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
