/**
 * The lexer gathers runs of `[..]` byte pairs and of plain 32-bit literals in `<..>` into one
 * token each (so megabytes of values do not cost a token object per element). These sources put
 * every kind of neighbour next to such runs (labels, references, expressions with `<` and `>`
 * inside, /bits/ sizes, suffixes, octal, character literals, comments, line markers, includes)
 * and check the blob and the text against dtc; errors after or inside a run must still point at
 * the line and column dtc names.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DtsError, dtsToDtb, dtsToDts, tokenize } from "../../src/devicetree/index.js";
import { NO_DTC, dtcDtsToDtb, dtcDtsToDts, runDtc, withTempDir, writeFiles } from "./oracle.js";
import { dtcMain } from "../../src/cli/dtc.js";

const CASES: Record<string, string> = {
  "literal forms among cells": `/dts-v1/;
/ { a = <0 1 2 0x0 00 0x12345678 4294967295 0xffffffff 1U 2UL 3ULL 4LL 5L 017 0X1f 99999999 999999999 1234567890>; };`,
  "labels and references between cells": `/dts-v1/;
/ {
  a = <1 l1: 2 3 l2: 4>;
  b = <1 2 l3:>;
  c = <&n 1 2 &n 3 &{/node} 4>;
  d = l4: <5 6>, l5: <7>;
  n: node { };
};`,
  "expressions with < and > between cells": `/dts-v1/;
/ { a = <1 (2 + 3) 4 (1 < 2) 5 (2 > 1) 6 ((3)) 7 (1 ? 8 : 9) 10 (1 << 4) 11 (0x100 >> 4) 12 (2 <= 2) (3 >= 4) 13>; };`,
  "/bits/ sizes around cell runs": `/dts-v1/;
/ {
  b8 = /bits/ 8 <1 2 3>;
  b16 = /bits/ 16 <1 2 0xffff>;
  b32 = /bits/ 32 <5 6>;
  b64 = /bits/ 64 <1 2 0x123456789abcdef0>;
  hex32 = /bits/ 0x20 <7 8>;
  oct32 = /bits/ 040 <9 10>;
  after = <11 12>, /bits/ 8 <13 14>, <15 16>;
};`,
  "character literals, strings and bytes next to runs": `/dts-v1/;
/ { a = <'a' 1 'b' 2 3>, "s", [00 01 02], <4 5>, [03 l: 04 05 06] , "t", [ab cd ef]; };`,
  "comments and line breaks inside runs": `/dts-v1/;
/ {
  a = <1
    2	3 /* a comment */ 4 // to the end of the line
    5>;
  b = [00 /* c */ 01
       02 // d
       03];
};`,
  "a cpp line marker inside a run": `/dts-v1/;
/ {
  a = <1 2
# 40 "elsewhere.dts"
  3 4>;
  b = [01
# 7 "bytes.dtsi"
  02 03];
};`,
  "memory reservations and unit addresses": `/dts-v1/;
/memreserve/ 0x1000 0x2000;
/memreserve/ 0 0x10;
/ { #address-cells = <1>; #size-cells = <1>; memory@0 { reg = <0 0x1000 0x4000 0x1000>; }; };`,
};

for (const [name, source] of Object.entries(CASES)) {
  test(`value runs: ${name}: blob and text identical to dtc`, { skip: NO_DTC }, () => {
    assert.equal(Buffer.from(dtsToDtb(source, { fileName: "<stdin>" })).toString("hex"), dtcDtsToDtb(source).toString("hex"));
    assert.equal(dtsToDts(source, { fileName: "<stdin>" }), dtcDtsToDts(source));
  });
}

test("value runs: cells and bytes continue across an /include/, as in dtc", { skip: NO_DTC }, async () => {
  await withTempDir(async (dir) => {
    writeFiles(dir, {
      "main.dts": '/dts-v1/;\n/ { a = <1 /include/ "cells.dtsi" 4>; b = [01 /include/ "bytes.dtsi" 04]; };\n',
      "cells.dtsi": "2 3",
      "bytes.dtsi": "02 03",
    });
    const oracle = runDtc(["-O", "dts", join(dir, "main.dts")]);
    assert.equal(oracle.status, 0, oracle.stderr);
    const chunks: Buffer[] = [];
    const code = await dtcMain(["-O", "dts", join(dir, "main.dts")], { stdout: (chunk) => void chunks.push(Buffer.from(chunk)), stderr: () => {} });
    assert.equal(code, 0);
    assert.equal(Buffer.concat(chunks).toString("latin1"), oracle.stdout.toString("latin1"));
  });
});

test("value runs: a 32-bit array's literals become one token, others stay separate", () => {
  const kinds = (source: string): string[] => tokenize(source, "t.dts").tokens.map((token) => token.kind);
  assert.deepEqual(kinds("/dts-v1/; / { a = <1 2 3>; b = [00 11 22]; };").filter((kind) => kind === "cells" || kind === "bytes" || kind === "literal"), ["cells", "bytes"]);
  assert.deepEqual(kinds("/dts-v1/; / { a = /bits/ 16 <1 2>; };").filter((kind) => kind === "literal" || kind === "cells"), ["literal", "literal", "literal"]);
  assert.deepEqual(kinds("/dts-v1/; /memreserve/ 1 2; / { };").filter((kind) => kind === "literal" || kind === "cells"), ["literal", "literal"]);
  assert.deepEqual(kinds("/dts-v1/; / { a = <(1 + 2) 3 4>; };").filter((kind) => kind === "literal" || kind === "cells"), ["literal", "literal", "cells"]);
});

/** `file:line:col` of our first error and `line.col` of dtc's, for the same source. */
const ERROR_CASES: [string, string][] = [
  ["a string after a run of cells", '/dts-v1/;\n/ { a = <1 2 3 "x">; };\n'],
  ["a 33-bit literal after a run of cells", "/dts-v1/;\n/ { a = <1 2 0x100000000 3>; };\n"],
  ["a stray character after a multi-line run", "/dts-v1/;\n/ {\n  a = <1\n    2 3\n    4 $>;\n};\n"],
  ["a reference in a 16-bit array after literals", "/dts-v1/;\n/ { n: n { }; a = /bits/ 16 <1 2 &n>; };\n"],
  ["a bad byte after a run of bytes", "/dts-v1/;\n/ {\n  a = [00 11\n  22 3>;\n};\n"],
  ["a label that is cut short after a run of bytes", "/dts-v1/;\n/ { a = [00 11 22 x 33]; };\n"],
];

for (const [name, source] of ERROR_CASES) {
  test(`value runs: error location after a run, ${name}, as dtc reports it`, { skip: NO_DTC }, () => {
    const oracle = runDtc(["-I", "dts", "-O", "dtb", "-o", "/dev/null", "-"], source);
    assert.notEqual(oracle.status, 0, "dtc rejects it");
    const dtcPlace = /<stdin>:(\d+)\.(\d+)/.exec(oracle.stderr);
    assert.ok(dtcPlace, oracle.stderr);
    assert.throws(
      () => dtsToDtb(source, { fileName: "<stdin>" }),
      (error: unknown) => {
        assert.ok(error instanceof DtsError);
        const ours = /<stdin>:(\d+):(\d+)/.exec(error.diagnostics[0]);
        assert.ok(ours, error.message);
        assert.deepEqual([ours[1], ours[2]], [dtcPlace[1], dtcPlace[2]], `ours: ${error.message}\ndtc: ${oracle.stderr}`);
        return true;
      },
    );
  });
}
