/**
 * DTS output of values far larger than one output piece (the printer hands out ~64 KiB pieces):
 * strings with escapes, cells, bytes and /bits/ 16 and 64 arrays, with labels and type changes
 * inside, must print exactly as dtc prints them, from DTS input (typed) and from DTB input
 * (guessed types); and the pieces must add up to treeToDts's text.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { dtbToDts, dtsPieces, dtsToDts, parseDts, processTree, treeToDts } from "../../src/devicetree/index.js";
import { NO_DTC, dtcDtbToDts, dtcDtsToDtb, dtcDtsToDts, seededRandom } from "./oracle.js";

const random = seededRandom(0x5eed);
const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, "0");

/**
 * A DTS string body with every kind of escape dtc prints, scattered among plain runs; with
 * `guessable`, only the escapes of bytes that still let a blob's value be guessed as strings.
 */
function stringBody(length: number, guessable = false): string {
  const escapes = guessable
    ? ["\\\"", "\\\\", "\\n", "\\t", "\\a", "\\r", "\\v", "\\f", "\\b"]
    : ["\\\"", "\\\\", "\\n", "\\t", "\\a", "\\r", "\\x01", "\\x7f", "\\x80", "\\xff", "\\0", "\\x1b"];
  let text = "";
  while (text.length < length) {
    const run = Math.floor(random() * 300);
    for (let i = 0; i < run; i++) text += String.fromCharCode(0x20 + Math.floor(random() * 95)).replace(/["\\]/, "x");
    text += escapes[Math.floor(random() * escapes.length)];
  }
  return text;
}

function cells(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = Math.floor(random() * 2 ** 32) >>> (i % 32);
    parts.push(i === count >> 1 ? `mid${count}: 0x${value.toString(16)}` : `0x${value.toString(16)}`);
  }
  return parts.join(" ");
}

function byteList(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push((i === count >> 1 ? `half${count}: ` : "") + hex(Math.floor(random() * 256), 2));
  return parts.join(" ");
}

function wideValues(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const high = i % 3 === 0 ? 0 : Math.floor(random() * 2 ** 32) >>> (i % 32);
    parts.push(`0x${hex(high, 8)}${hex(Math.floor(random() * 2 ** 32), 8)}`);
  }
  return parts.join(" ");
}

const SOURCE = `/dts-v1/;
/ {
\tlong-string = "${stringBody(200_000)}", "short", "${stringBody(70_000)}";
\tmixed = "a", [00 11 inside: 22], <1 2 cell: 3>, /bits/ 64 <0x100000002 5 0xffffffffffffffff>, /bits/ 16 <1 0xffff>, "b";
\tmany-cells = <${cells(40_000)}>, "tail";
\tmany-bytes = [${byteList(100_001)}];
\tmany-shorts = /bits/ 16 <${cells(30_000).replace(/0x([0-9a-f]+)/g, (_, digits: string) => `0x${digits.slice(-4)}`)}>;
\tmany-wide = /bits/ 64 <${wideValues(20_000)}>;
\tsub {
\t\tlabelled: again = "${stringBody(66_000)}";
\t};
};
`;

test("large values: DTS to DTS prints as dtc does", { skip: NO_DTC }, () => {
  assert.equal(dtsToDts(SOURCE), dtcDtsToDts(SOURCE));
});

test("large values: DTB to DTS (guessed types) prints as dtc does", { skip: NO_DTC }, () => {
  // A blob from the same source plus values whose guessed type is a string list or bytes.
  const extra = `\tlist = "${stringBody(90_000, true)}", "${stringBody(90_000, true)}";\n\todd = [${byteList(99_999)}];\n`;
  const blob = dtcDtsToDtb(SOURCE.replace("\tsub {", () => extra + "\tsub {"));
  const oracle = dtcDtbToDts(blob);
  assert.equal(oracle.status, 0, oracle.stderr);
  const text = dtbToDts(blob);
  assert.equal(text, oracle.stdout.toString("latin1"));
  // The guesses this is meant to cover: a long string list (printed as one string with \0
  // between the parts) and bytes of an odd length.
  assert.match(text, /\tlist = "[^\n]{180000,}";/);
  assert.match(text, /\todd = \[[0-9a-f]{2} /);
});

test("large values: dtsPieces are bounded and add up to treeToDts", () => {
  const tree = parseDts(SOURCE);
  processTree(tree);
  const pieces = [...dtsPieces(tree)];
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  for (const piece of pieces) assert.ok(piece.length < 3 * 65536, `piece of ${piece.length} characters`);
  assert.equal(pieces.join(""), treeToDts(tree));
});
