/**
 * `/include/` and `/incbin/` of files that exist but are not ordinary files: a directory gets
 * dtc's own message and exit status (not "no such file"), a bounded /incbin/ of a device
 * (/dev/zero) reads just its range, as dtc does, and an unbounded one is refused in one line
 * instead of being read forever.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { dtcMain } from "../../src/cli/dtc.js";
import { DtsError, DtsFileError, SourceReadError, dtsToDtb, type SourceReader } from "../../src/devicetree/index.js";
import { NO_DTC, runDtc, withTempDir, writeFiles } from "./oracle.js";

async function tessera(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string[] }> {
  const chunks: Buffer[] = [];
  const stderr: string[] = [];
  const code = await dtcMain(args, {
    stdout: (chunk) => {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : Buffer.from(chunk));
    },
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout: Buffer.concat(chunks), stderr };
}

/** Same exit status and the same message as dtc (dtc ends some of these without a newline). */
async function assertSameFailure(dir: string, args: string[]): Promise<void> {
  const oracle = runDtc(args.map((arg) => (arg === "FILE" ? join(dir, "main.dts") : arg)));
  const ours = await tessera(args.map((arg) => (arg === "FILE" ? join(dir, "main.dts") : arg)));
  assert.notEqual(oracle.status, 0, "dtc rejects this input");
  assert.equal(ours.code, oracle.status, `exit status (dtc said: ${oracle.stderr.trim()})`);
  assert.deepEqual(ours.stderr, [oracle.stderr.trimEnd()]);
}

const DIRECTORY_CASES: [string, string][] = [
  ["/include/ of a directory", '/dts-v1/;\n/include/ "sub"\n/ { };\n'],
  ["/incbin/ of a directory", '/dts-v1/;\n/ { a = /incbin/("sub"); };\n'],
  ["/incbin/ of a directory with a range", '/dts-v1/;\n/ { a = /incbin/("sub", 0, 4); };\n'],
  ["/incbin/ of a directory at an offset", '/dts-v1/;\n/ { a = /incbin/("sub", 4, 4); };\n'],
];

for (const [name, source] of DIRECTORY_CASES) {
  test(`file errors: ${name} says what dtc says`, { skip: NO_DTC }, async () => {
    await withTempDir(async (dir) => {
      mkdirSync(join(dir, "sub"));
      writeFiles(dir, { "main.dts": source });
      await assertSameFailure(dir, ["-I", "dts", "-O", "dtb", "-o", join(dir, "out.dtb"), "FILE"]);
    });
  });
}

test("file errors: a directory found first on the include path ends the search, as in dtc", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    mkdirSync(join(dir, "x"));
    mkdirSync(join(dir, "other"));
    writeFiles(dir, { "main.dts": '/dts-v1/;\n/include/ "x"\n/ { };\n', "other/x": "/ { found; };\n" });
    await assertSameFailure(dir, ["-O", "dts", "-i", join(dir, "other"), "FILE"]);
  });
});

test("file errors: a directory as the input file, read as dts or dtb, fails as in dtc", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    for (const format of ["dts", "dtb"]) {
      const oracle = runDtc(["-I", format, "-O", "dts", dir]);
      const ours = await tessera(["-I", format, "-O", "dts", dir]);
      assert.equal(ours.code, oracle.status, format);
      assert.deepEqual(ours.stderr, [oracle.stderr.trimEnd()], format);
    }
  });
});

test("file errors: /incbin/ of a directory with length 0 reads nothing and succeeds, as in dtc", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    mkdirSync(join(dir, "sub"));
    writeFiles(dir, { "main.dts": '/dts-v1/;\n/ { a = /incbin/("sub", 0, 0); };\n' });
    const oracle = runDtc(["-O", "dts", join(dir, "main.dts")]);
    const ours = await tessera(["-O", "dts", join(dir, "main.dts")]);
    assert.equal(oracle.status, 0, oracle.stderr);
    assert.equal(ours.code, 0, ours.stderr.join("\n"));
    assert.equal(ours.stdout.toString("latin1"), oracle.stdout.toString("latin1"));
  });
});

const DEVICE_SOURCES: [string, string][] = [
  ["/dev/zero from 0", '/dts-v1/;\n/ { a = /incbin/("/dev/zero", 0, 16); };\n'],
  ["/dev/zero at an offset, after other data", '/dts-v1/;\n/ { a = "x", /incbin/("/dev/zero", 4, 12), <1>; };\n'],
  ["/dev/null without a length (it ends at once)", '/dts-v1/;\n/ { a = /incbin/("/dev/null"); b = /incbin/("/dev/null", 0, 16); };\n'],
  ["/include/ of /dev/null", '/dts-v1/;\n/include/ "/dev/null"\n/ { a; };\n'],
];

for (const [name, source] of DEVICE_SOURCES) {
  test(`file errors: bounded read of a device, ${name}: same blob as dtc`, { skip: NO_DTC || (!existsSync("/dev/zero") && "no /dev/zero") }, async () => {
    await withTempDir(async (dir) => {
      writeFiles(dir, { "main.dts": source });
      const oracle = runDtc(["-I", "dts", "-O", "dtb", join(dir, "main.dts")]);
      const ours = await tessera(["-I", "dts", "-O", "dtb", join(dir, "main.dts")]);
      assert.equal(oracle.status, 0, oracle.stderr);
      assert.equal(ours.code, 0, ours.stderr.join("\n"));
      assert.ok(ours.stdout.equals(oracle.stdout), "blob differs from dtc's");
    });
  });
}

// dtc reads these forever (until memory runs out), so there is no oracle: one clean line instead.
const ENDLESS_SOURCES: [string, string, RegExp][] = [
  ["/incbin/ of /dev/zero without a length", '/dts-v1/;\n/ { a = /incbin/("/dev/zero"); };\n', /^FATAL ERROR: .*main\.dts:2:18: couldn't read "\/dev\/zero": not a regular file.*give \/incbin\/ an offset and a length$/],
  ["/include/ of /dev/zero", '/dts-v1/;\n/include/ "/dev/zero"\n/ { };\n', /^FATAL ERROR: .*main\.dts:2:1: couldn't read "\/dev\/zero": not a regular file/],
];

for (const [name, source, pattern] of ENDLESS_SOURCES) {
  test(`file errors: ${name} is refused in one line`, { skip: !existsSync("/dev/zero") && "no /dev/zero" }, async () => {
    await withTempDir(async (dir) => {
      writeFiles(dir, { "main.dts": source });
      const ours = await tessera(["-I", "dts", "-O", "dtb", join(dir, "main.dts")]);
      assert.equal(ours.code, 1);
      assert.equal(ours.stderr.length, 1, ours.stderr.join("\n"));
      assert.match(ours.stderr[0], pattern);
      assert.equal(ours.stdout.length, 0);
    });
  });
}

test("file errors: the library reports a reader's SourceReadError as a located DtsFileError", () => {
  const reader: SourceReader = {
    readFile(path) {
      if (path === "dir") throw new SourceReadError("Is a directory", "directory");
      return undefined;
    },
  };
  for (const [source, location] of [
    ['/dts-v1/;\n/include/ "dir"\n/ { };\n', "board.dts:2:1"],
    ['/dts-v1/;\n/ { a = /incbin/("dir"); };\n', "board.dts:2:18"],
  ]) {
    assert.throws(
      () => dtsToDtb(source, { fileName: "board.dts", reader }),
      (error: unknown) => {
        assert.ok(error instanceof DtsFileError && error instanceof DtsError);
        assert.equal(error.message, `${location}: couldn't read "dir": Is a directory`);
        return true;
      },
    );
  }
});

test("file errors: a reader without readFileRange still serves /incbin/ ranges", () => {
  const data = Uint8Array.from({ length: 32 }, (_, i) => i);
  const reader: SourceReader = { readFile: (path) => (path === "data.bin" ? data : undefined) };
  const ranged = dtsToDtb('/dts-v1/;\n/ { a = /incbin/("data.bin", 4, 8); b = /incbin/("data.bin", 40, 8); c = /incbin/("data.bin", 30, 8); };\n', { reader });
  const expected = dtsToDtb("/dts-v1/;\n/ { a = [04 05 06 07 08 09 0a 0b]; b; c = [1e 1f]; };\n");
  assert.deepEqual(ranged, expected);
});
