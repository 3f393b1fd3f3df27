/**
 * `xen,enhanced` in the hypervisor config: accepted with "enabled" (Xen's dom0less property),
 * refused with other values or with memory where the Xen pages go; and the guest device tree
 * of such a partition: the /hypervisor node Linux's arch/arm/xen/enlighten.c reads, which dtc
 * reads too, with the one warning Xen's own guest trees get (the node has reg but, as Linux
 * finds it by its bare name, no unit address).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { oracleMissing } from "../harness/oracles.js";
import { PREBUILT_HELLO, TESSERA_CLI } from "../harness/paths.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-xen-config-"));
copyFileSync(PREBUILT_HELLO, join(dir, "hello.elf"));
const NO_DTC = oracleMissing(spawnSync("dtc", ["--version"]).status === 0 ? false : "dtc not installed");

const config = (gic: 2 | 3, xen: string, extra = "") => `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=${gic}"; cpus = <3>; memory-size = <0x0 0x40000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x04000000>; };
  pw: pw { compatible = "phys-mem-area"; addr = <0x0 0x58000000>; size = <0x0 0x00100000>; };
  partitions {
    xen { compatible = "partition"; label = "xen-guest"; cpus = <0 2>; guest-image = "hello.elf"; ${xen}
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; };${extra} };
    plain { compatible = "partition"; label = "plain"; cpus = <2 1>; guest-image = "hello.elf";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`;

function run(text: string, ...args: string[]) {
  const path = join(dir, "xen.dts");
  writeFileSync(path, text);
  return spawnSync(process.execPath, [TESSERA_CLI, "hv", path, ...args], { timeout: 20000 });
}

test("xen,enhanced: \"enabled\" is accepted; other values and memory over the Xen pages are reported", () => {
  assert.equal(run(config(3, `xen,enhanced = "enabled";`), "--check").status, 0);
  const legacy = run(config(3, `xen,enhanced = "legacy";`), "--check");
  assert.equal(legacy.status, 2);
  assert.match(legacy.stderr.toString(), /xen\.dts:9: xen,enhanced "legacy": only "enabled" is supported/);
  const overlap = run(config(3, `xen,enhanced = "enabled";`, `
      win { compatible = "guest-phys-mem-area"; phys-mem = <&pw>; guest-addr = <0x0 0x0b100000>; };`), "--check");
  assert.equal(overlap.status, 2);
  assert.match(overlap.stderr.toString(), /guest-addr \[0xb100000, 0xb200000\) overlaps the Xen pages at \[0xb100000, 0xb144000\)/);
  // Without xen,enhanced the same window is an ordinary shared window.
  assert.equal(run(config(3, "", `
      win { compatible = "guest-phys-mem-area"; phys-mem = <&pw>; guest-addr = <0x0 0x0b100000>; };`), "--check").status, 0);
});

for (const gic of [2, 3] as const) {
  test(`the /hypervisor node of a Xen partition's device tree (GICv${gic}), read by dtc`, { skip: NO_DTC }, () => {
    const dump = run(config(gic, `xen,enhanced = "enabled";`), "--dump-guest-dtb", "xen-guest");
    assert.equal(dump.status, 0, dump.stderr.toString());
    const strict = spawnSync("dtc", ["-I", "dtb", "-O", "dts"], { input: dump.stdout, encoding: "utf8" });
    assert.equal(strict.status, 0);
    assert.equal(strict.stderr.trim().replace(/^<[a-z]+>: /, ""), "Warning (unit_address_vs_reg): /hypervisor: node has a reg or ranges property, but no unit name",
      "the only warning is the one every Xen guest tree gets");
    const text = spawnSync("dtc", ["-I", "dtb", "-O", "dts", "-W", "no-unit_address_vs_reg"], { input: dump.stdout, encoding: "utf8" });
    assert.equal(text.stderr, "", "dtc warnings");
    const node = /\n\thypervisor \{([^}]*)\}/.exec(text.stdout)?.[1];
    assert.ok(node, text.stdout);
    assert.match(node, /compatible = "xen,xen-4\.17\\0xen,xen";/);
    // The grant table region: 64 frames in the hole after the doorbell and watchdog pages.
    assert.match(node, /reg = <0x00 0xb100000 0x00 0x40000>;/);
    // PPI 15 = INTID 31 (GUEST_EVTCHN_PPI), level low; GICv2's flags carry the 2-CPU mask.
    assert.match(node, gic === 2 ? /interrupts = <0x01 0x0f 0x308>;/ : /interrupts = <0x01 0x0f 0x08>;/);
    const plain = run(config(gic, `xen,enhanced = "enabled";`), "--dump-guest-dtb", "plain");
    const plainText = spawnSync("dtc", ["-I", "dtb", "-O", "dts"], { input: plain.stdout, encoding: "utf8" });
    assert.equal(plainText.stderr, "");
    assert.ok(!plainText.stdout.includes("hypervisor {"), "a partition without xen,enhanced has no /hypervisor node");
  });
}
