/**
 * `/include/`, `/incbin/` and cpp line markers through the platform-neutral reader interface
 * (an in-memory file map here), checked against dtc on the same files written to disk.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DtsError, dtsToDtb, type SourceReader } from "../../src/devicetree/index.js";
import { NO_DTC, runDtc, withTempDir, writeFiles } from "./oracle.js";

function memoryReader(files: Record<string, string | Uint8Array>): SourceReader & { opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    readFile(path: string) {
      const content = files[path];
      if (content === undefined) return undefined;
      opened.push(path);
      return typeof content === "string" ? new TextEncoder().encode(content) : content;
    },
  };
}

const FILES: Record<string, string | Uint8Array> = {
  "board/main.dts": `/dts-v1/;
/include/ "soc.dtsi"
/include/ "extra/leds.dtsi"
/ {
  model = "include test";
  blob = /incbin/("firmware.bin");
  part = /incbin/("firmware.bin", 2, 3);
};
&uart { status = "okay"; };`,
  "board/soc.dtsi": `/ { soc { uart: serial@0 { status = "disabled"; }; }; };`,
  "board/extra/leds.dtsi": `/include/ "colors.dtsi"
/ { leds { led { color = <COLOR>; }; }; };`,
  "shared/extra/colors.dtsi": `/ { colors-included; };`,
  "board/firmware.bin": Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]),
};

test("includes: nested /include/ relative to the including file, then the include path", { skip: NO_DTC }, async () => {
  // COLOR is not a DTS token: replace it as cpp would have, to keep the file dtc-valid.
  const files: Record<string, string | Uint8Array> = { ...FILES, "board/extra/leds.dtsi": (FILES["board/extra/leds.dtsi"] as string).replace("COLOR", "3") };
  const reader = memoryReader(files);
  // "colors.dtsi" is looked up next to leds.dtsi (board/extra/) first, then in the -i directories.
  const actual = dtsToDtb(files["board/main.dts"] as string, { fileName: "board/main.dts", reader, includeDirs: ["shared/extra"] });
  assert.deepEqual(reader.opened, ["board/soc.dtsi", "board/extra/leds.dtsi", "shared/extra/colors.dtsi", "board/firmware.bin", "board/firmware.bin"]);
  await withTempDir((dir) => {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFiles(dir, { [name]: content });
    }
    const expected = runDtc(["-q", "-O", "dtb", "-i", join(dir, "shared/extra"), join(dir, "board/main.dts")]);
    assert.equal(expected.status, 0, expected.stderr);
    assert.equal(Buffer.from(actual).toString("hex"), expected.stdout.toString("hex"));
  });
});

test("includes: a missing include names the file and the including position", () => {
  const reader = memoryReader({});
  assert.throws(() => dtsToDtb('/dts-v1/;\n/include/ "nope.dtsi"\n/ { };', { fileName: "x.dts", reader }), (error: unknown) => {
    assert.ok(error instanceof DtsError);
    assert.match(error.message, /^x\.dts:2:1: couldn't open "nope\.dtsi"/);
    return true;
  });
});

test("includes: errors inside an included file name that file", () => {
  const reader = memoryReader({ "inc.dtsi": "/ {\n  bad = <1;\n};" });
  assert.throws(() => dtsToDtb('/dts-v1/;\n/include/ "inc.dtsi"\n', { fileName: "main.dts", reader }), /inc\.dtsi:2:11: syntax error/);
});

test("includes: recursive include stops at the nesting limit", () => {
  const reader = memoryReader({ "loop.dtsi": '/include/ "loop.dtsi"' });
  assert.throws(() => dtsToDtb('/dts-v1/;\n/include/ "loop.dtsi"\n/ { };', { fileName: "main.dts", reader }), /includes nested too deeply/);
});

test("includes: cpp line markers set the file and line of later errors", () => {
  const source = '# 1 "board.dts"\n# 1 "<built-in>"\n# 1 "board.dts"\n/dts-v1/;\n# 1 "soc.dtsi" 1\n/ {\n  a = <1>;\n# 7 "board.dts" 2\n  b = <2;\n};\n';
  assert.throws(() => dtsToDtb(source, { fileName: "pre.tmp" }), /board\.dts:7:9: syntax error/);
});

test("includes: line markers match dtc's positions", { skip: NO_DTC }, () => {
  const source = '# 1 "board.dts"\n/dts-v1/;\n# 40 "deep/soc.dtsi" 1\n/ {\n  a = <1 2;\n};\n';
  const theirs = runDtc(["-q", "-O", "dtb", "-"], source);
  assert.match(theirs.stderr, /deep\/soc\.dtsi:41\.11/);
  assert.throws(() => dtsToDtb(source, { fileName: "<stdin>" }), /deep\/soc\.dtsi:41:11: syntax error/);
});
