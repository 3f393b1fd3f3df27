/**
 * `tessera dtc` (dtcMain) against `dtc` with the same arguments: same output bytes for the
 * format detection rules, include paths, -@, -b and the blob padding options; plus batch mode.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dtcMain } from "../../src/cli/dtc.js";
import { NO_DTC, runDtc, withTempDir, writeFiles } from "./oracle.js";

async function tessera(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const chunks: Buffer[] = [];
  const errors: string[] = [];
  const code = await dtcMain(args, {
    stdout: (chunk) => {
      chunks.push(Buffer.from(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk));
    },
    stderr: (line) => errors.push(line),
  });
  return { code, stdout: Buffer.concat(chunks), stderr: errors.join("\n") };
}

const MAIN = `/dts-v1/;
/memreserve/ 0x2000 0x10;
/memreserve/ 0x1000 0x20;
/include/ "common.dtsi"
/ {
  zeta = <1>;
  alpha = "a";
  model = "cli test";
  cpus { #address-cells = <1>; #size-cells = <0>; cpu@2 { reg = <2>; }; };
  l: leaf { value = <&l>; };
};`;
const COMMON = `/ { compatible = "tessera,test"; common: common { }; };`;

/** Arguments tried with both tools; FILE is replaced by the input path. */
const ARGUMENT_SETS: string[][] = [
  ["FILE"],
  ["-O", "dts", "FILE"],
  ["-I", "dts", "-O", "dtb", "FILE"],
  ["-@", "FILE"],
  ["-b", "7", "FILE"],
  ["-R", "2", "FILE"],
  ["-S", "4096", "FILE"],
  ["-p", "100", "FILE"],
  ["-a", "64", "FILE"],
  ["-q", "-@", "-O", "dts", "FILE"],
  ["-s", "-O", "dts", "FILE"],
  ["-s", "-@", "FILE"],
  ["-H", "legacy", "FILE"],
  ["-H", "both", "-O", "dts", "FILE"],
  ["-A", "-O", "dts", "FILE"],
  ["-A", "-@", "-s", "FILE"],
  ["-W", "no-unit_address_vs_reg", "-E", "duplicate_label", "FILE"],
  ["-V", "1", "FILE"],
  ["-V", "2", "-R", "1", "FILE"],
  ["-V", "3", "-a", "16", "FILE"],
  ["-V", "16", "FILE"],
];

for (const args of ARGUMENT_SETS) {
  test(`cli: dts input with ${args.join(" ")} matches dtc`, { skip: NO_DTC }, async () => {
    await withTempDir(async (dir) => {
      writeFiles(dir, { "main.dts": MAIN, "common.dtsi": COMMON });
      const resolved = args.map((arg) => (arg === "FILE" ? join(dir, "main.dts") : arg));
      const expected = runDtc(resolved);
      assert.equal(expected.status, 0, expected.stderr);
      const actual = await tessera(resolved);
      assert.equal(actual.code, 0, actual.stderr);
      assert.equal(actual.stdout.toString("hex"), expected.stdout.toString("hex"));
    });
  });
}

test("cli: dtb input is detected from the magic and printed as dts, like dtc", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    writeFiles(dir, { "main.dts": MAIN, "common.dtsi": COMMON });
    const blob = runDtc([join(dir, "main.dts")]).stdout;
    writeFiles(dir, { "board.bin": blob });
    const expected = runDtc([join(dir, "board.bin")]);
    const actual = await tessera([join(dir, "board.bin")]);
    assert.equal(actual.code, 0);
    assert.equal(actual.stdout.toString(), expected.stdout.toString());
    assert.match(actual.stdout.toString(), /^\/dts-v1\/;/);
  });
});

test("cli: -i adds an include directory and -o picks the format from the extension", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    writeFiles(dir, { "main.dts": MAIN.replace('"common.dtsi"', '"shared.dtsi"') });
    writeFiles(dir, { "inc": "" }); // a file named like the dir must not confuse lookup
    await withTempDir(async (includeDir) => {
      writeFiles(includeDir, { "shared.dtsi": COMMON });
      const out = join(dir, "out.dts");
      const actual = await tessera(["-i", includeDir, "-o", out, join(dir, "main.dts")]);
      assert.equal(actual.code, 0, actual.stderr);
      const expected = runDtc(["-i", includeDir, "-O", "dts", join(dir, "main.dts")]).stdout.toString();
      assert.equal(readFileSync(out, "utf8"), expected);
    });
  });
});

test("cli: batch mode converts several files into a directory", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    writeFiles(dir, { "a.dts": "/dts-v1/;\n/ { a = <1>; };\n", "b.dts": "/dts-v1/;\n/ { b = \"x\"; };\n", "bad.dts": "/dts-v1/;\n/ { oops };\n" });
    const outDir = join(dir, "out");
    const actual = await tessera(["-O", "dtb", "-o", outDir, join(dir, "a.dts"), join(dir, "b.dts"), join(dir, "bad.dts")]);
    assert.equal(actual.code, 1, "the worst exit code of the batch");
    assert.match(actual.stderr, /bad\.dts:2:10: syntax error/);
    for (const name of ["a", "b"]) {
      const expected = runDtc(["-O", "dtb", join(dir, `${name}.dts`)]).stdout;
      assert.deepEqual(readFileSync(join(outDir, `${name}.dtb`)), expected);
    }
    assert.equal(existsSync(join(outDir, "bad.dtb")), false);

    const back = await tessera(["-I", "dtb", "-O", "dts", "-o", join(dir, "texts"), join(outDir, "a.dtb"), join(outDir, "b.dtb")]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(readFileSync(join(dir, "texts", "a.dts"), "utf8"), runDtc(["-I", "dtb", "-O", "dts", join(outDir, "a.dtb")]).stdout.toString());
  });
});

test("cli: usage errors, help and version", async () => {
  const help = await tessera(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /Usage: tessera dtc/);
  assert.match(help.stdout.toString(), /several input files/);
  const version = await tessera(["-v"]);
  assert.equal(version.code, 0);
  const unknown = await tessera(["--frobnicate"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown option --frobnicate/);
  const badFormat = await tessera(["-O", "yaml", "x.dts"]);
  assert.equal(badFormat.code, 1);
  const missing = await tessera(["/nonexistent/file.dts"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Couldn't open "\/nonexistent\/file\.dts"/);
  const batchWithoutDir = await tessera(["a.dts", "b.dts"]);
  assert.equal(batchWithoutDir.code, 1);
  assert.match(batchWithoutDir.stderr, /need -o <directory>/);
});

test("cli: -d writes the same dependency line as dtc", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    writeFiles(dir, { "main.dts": MAIN.replace('"common.dtsi"', '"shared.dtsi"'), "shared.dtsi": COMMON });
    await withTempDir(async (includeDir) => {
      writeFiles(includeDir, { "other.dtsi": "/ { other; };" });
      const source = MAIN.replace('"common.dtsi"', '"shared.dtsi"') + '\n/include/ "other.dtsi"\n';
      writeFiles(dir, { "main.dts": source });
      const args = (depfile: string): string[] => ["-i", includeDir, "-d", depfile, "-o", join(dir, "out.dtb"), join(dir, "main.dts")];
      const expected = runDtc(args(join(dir, "dtc.d")));
      assert.equal(expected.status, 0, expected.stderr);
      const actual = await tessera(args(join(dir, "tessera.d")));
      assert.equal(actual.code, 0, actual.stderr);
      assert.equal(readFileSync(join(dir, "tessera.d"), "utf8"), readFileSync(join(dir, "dtc.d"), "utf8"));
    });
  });
});
