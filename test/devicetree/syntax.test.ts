/**
 * One DTS snippet per language feature (dtc Documentation/dts-format.txt); for each, the DTB
 * Tessera compiles must equal dtc's byte for byte, and dts-to-dts output must equal dtc's text.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { dtbToDts, dtsToDtb, dtsToDts } from "../../src/devicetree/index.js";
import { NO_DTC, dtcDtsToDtb, dtcDtsToDts, runDtc } from "./oracle.js";
import { SYNTAX_CASES } from "./syntax-cases.js";

for (const [name, source] of Object.entries(SYNTAX_CASES)) {
  test(`syntax: ${name}: dtb identical to dtc`, { skip: NO_DTC }, () => {
    const expected = dtcDtsToDtb(source);
    const actual = dtsToDtb(source, { fileName: "<stdin>" });
    assert.deepEqual(Buffer.from(actual).toString("hex"), expected.toString("hex"));
  });
  test(`syntax: ${name}: dts output identical to dtc`, { skip: NO_DTC }, () => {
    const expected = dtcDtsToDts(source);
    assert.equal(dtsToDts(source, { fileName: "<stdin>" }), expected);
  });
  test(`syntax: ${name}: -@ output identical to dtc`, { skip: NO_DTC }, () => {
    const expected = dtcDtsToDtb(source, ["-@"]);
    const actual = dtsToDtb(source, { fileName: "<stdin>", generateSymbols: true });
    assert.deepEqual(Buffer.from(actual).toString("hex"), expected.toString("hex"));
  });
}

for (const [name, source] of Object.entries(SYNTAX_CASES)) {
  test(`syntax: ${name}: -s -A -H both output identical to dtc`, { skip: NO_DTC }, () => {
    const expected = dtcDtsToDts(source, ["-s", "-A", "-H", "both"]);
    const actual = dtsToDts(source, { fileName: "<stdin>", sort: true, autoAliases: true, phandleFormat: "both" });
    assert.equal(actual, expected);
  });
}

for (const version of [1, 2, 3, 16]) {
  test(`syntax: every case as a version ${version} blob: encoded like dtc -V ${version}, decoded like dtc`, { skip: NO_DTC }, () => {
    for (const [name, source] of Object.entries(SYNTAX_CASES)) {
      const expected = dtcDtsToDtb(source, ["-V", String(version)]);
      const actual = dtsToDtb(source, { fileName: "<stdin>", version });
      assert.equal(Buffer.from(actual).toString("hex"), expected.toString("hex"), `${name}: blob`);
      const text = runDtc(["-q", "-I", "dtb", "-O", "dts", "-"], expected);
      if (text.status !== 0) {
        // e.g. a blob whose root was deleted: dtc cannot read back what it wrote, and neither can we.
        assert.throws(() => dtbToDts(expected), `${name}: dtc rejects the blob (${text.stderr.trim()})`);
        continue;
      }
      assert.equal(dtbToDts(expected), text.stdout.toString("latin1"), `${name}: decoded text`);
    }
  });
}
