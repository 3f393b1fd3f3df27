/**
 * Overlays: compiling `/plugin/` sources (fragments, __fixups__, __local_fixups__, __symbols__)
 * must match dtc byte for byte, and applying an overlay must give the same tree as dtc's
 * fdtoverlay (compared through dtc's DTS text of both results).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OverlayError, applyOverlay, decodeDtb, dtsToDtb, dtsToDts, encodeDtb, treeToDts } from "../../src/devicetree/index.js";
import { NO_DTC, dtcDtsToDtb, dtcDtsToDts, runDtc, withTempDir, writeFiles } from "./oracle.js";
import { oracleMissing } from "../harness/oracles.js";

const NO_FDTOVERLAY = oracleMissing(spawnSync("fdtoverlay", ["--help"], { stdio: "ignore" }).error ? "fdtoverlay not installed" : false);

const BASE = `/dts-v1/;
/ {
  model = "base";
  aliases { console = "/soc/serial@1000"; };
  soc: soc {
    #address-cells = <1>;
    #size-cells = <1>;
    uart: serial@1000 { reg = <0x1000 0x100>; status = "disabled"; };
    gpio: gpio@2000 { reg = <0x2000 0x100>; gpio-controller; #gpio-cells = <2>; };
  };
  leds { existing { label = "x"; }; };
};`;

const OVERLAYS: Record<string, string> = {
  "label, path and explicit fragments": `/dts-v1/;
/plugin/;
&uart { status = "okay"; new-a = <1>; new-b = "b"; };
&{/leds} { led0: led0 { gpios = <&gpio 3 0>; trigger = <&local>; }; led1 { label = "one"; }; };
/ { fragment@9 { target-path = "/"; __overlay__ { local: localnode { val = <7>; phandle-user = <&local>; }; }; }; };
&soc { extra@3000 { reg = <0x3000 4>; }; };`,
  "nested local references": `/dts-v1/;
/plugin/;
&soc {
  a: bus@4000 {
    #address-cells = <1>; #size-cells = <0>;
    reg = <0x4000 0x10>;
    dev@1 { reg = <1>; parent = <&a>; sibling = <&b>; ext = <&gpio 1 2 &uart>; };
    b: dev@2 { reg = <2>; };
  };
};`,
  "alias target path": `/dts-v1/;
/plugin/;
/ { fragment@0 { target-path = "console"; __overlay__ { current-speed = <115200>; }; }; };`,
};

for (const [name, source] of Object.entries(OVERLAYS)) {
  test(`overlay compile: ${name}: identical to dtc`, { skip: NO_DTC }, () => {
    for (const symbols of [false, true]) {
      const args = symbols ? ["-@"] : [];
      assert.equal(
        Buffer.from(dtsToDtb(source, { fileName: "<stdin>", generateSymbols: symbols })).toString("hex"),
        dtcDtsToDtb(source, args).toString("hex"),
        `dtb${symbols ? " with -@" : ""}`,
      );
      assert.equal(dtsToDts(source, { fileName: "<stdin>", generateSymbols: symbols }), dtcDtsToDts(source, args), `dts${symbols ? " with -@" : ""}`);
    }
  });

  test(`overlay apply: ${name}: same tree as fdtoverlay`, { skip: NO_DTC || NO_FDTOVERLAY }, async () => {
    await withTempDir((dir) => {
      writeFiles(dir, { "base.dtb": dtcDtsToDtb(BASE, ["-@"]), "overlay.dtbo": dtcDtsToDtb(source, ["-@"]) });
      const merged = spawnSync("fdtoverlay", ["-i", join(dir, "base.dtb"), "-o", join(dir, "merged.dtb"), join(dir, "overlay.dtbo")]);
      assert.equal(merged.status, 0, merged.stderr.toString());
      const expected = runDtc(["-q", "-I", "dtb", "-O", "dts", join(dir, "merged.dtb")]).stdout.toString();
      const base = decodeDtb(readFileSync(join(dir, "base.dtb")));
      applyOverlay(base, decodeDtb(readFileSync(join(dir, "overlay.dtbo"))));
      assert.equal(treeToDts(base), expected);
      const reencoded = runDtc(["-q", "-I", "dtb", "-O", "dtb", join(dir, "merged.dtb")]).stdout;
      assert.equal(Buffer.from(encodeDtb(base)).toString("hex"), reencoded.toString("hex"));
    });
  });
}

test("overlay apply: unknown symbol is a clean error", () => {
  const base = decodeDtb(dtsToDtb("/dts-v1/;\n/ { n { }; };\n", { generateSymbols: true }));
  const overlay = decodeDtb(dtsToDtb("/dts-v1/;\n/plugin/;\n&missing { x; };\n"));
  assert.throws(() => applyOverlay(base, overlay), OverlayError);
});

test("overlay apply: target-path that does not exist is a clean error", () => {
  const base = decodeDtb(dtsToDtb("/dts-v1/;\n/ { };\n"));
  const overlay = decodeDtb(dtsToDtb("/dts-v1/;\n/plugin/;\n&{/nowhere} { x; };\n"));
  assert.throws(() => applyOverlay(base, overlay), /target-path \/nowhere not found/);
});
