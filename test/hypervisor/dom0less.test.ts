/**
 * Xen's dom0less nodes (/chosen/domU*, docs/misc/arm/device-tree/booting.txt) as the
 * hypervisor's config: the same two domains written both ways run the same guests with the
 * same consoles, and each gets the same device tree (a Xen one with xen,enhanced, a partial
 * device tree's xen,path device passed through); the problems of a dom0less tree are reported
 * by line.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeDtb, encodeDtb } from "../../src/devicetree/index.js";
import { PREBUILT_HELLO, TESSERA_CLI } from "../harness/paths.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-dom0less-"));
copyFileSync(PREBUILT_HELLO, join(dir, "hello.elf"));
writeFileSync(join(dir, "passthrough.dts"), `/dts-v1/;
/ { #address-cells = <2>; #size-cells = <2>;
  passthrough { compatible = "simple-bus"; ranges; #address-cells = <2>; #size-cells = <2>;
    rtc@9010000 { compatible = "arm,pl031", "arm,primecell"; reg = <0x0 0x9010000 0x0 0x1000>; xen,path = "/pl031@9010000"; };
  };
};
`);

const DOM0LESS = `/dts-v1/;
/ {
  #address-cells = <2>;
  #size-cells = <2>;
  cpus { #address-cells = <1>; #size-cells = <0>;
    cpu@0 { device_type = "cpu"; reg = <0>; }; cpu@1 { device_type = "cpu"; reg = <1>; }; cpu@2 { device_type = "cpu"; reg = <2>; }; };
  memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x20000000>; };
  intc@8000000 { compatible = "arm,gic-v3"; interrupt-controller; };
  chosen {
    domU1 { compatible = "xen,domain"; #address-cells = <1>; #size-cells = <1>;
      memory = <0x0 0x20000>; cpus = <2>; vpl011;
      module@0 { compatible = "multiboot,kernel", "multiboot,module"; xen,uefi-binary = "hello.elf"; bootargs = "console=ttyAMA0"; };
    };
    domU2 { compatible = "xen,domain"; #address-cells = <1>; #size-cells = <1>;
      memory = <0x0 0x10000>; cpus = <1>; xen,enhanced = "enabled";
      module@0 { compatible = "multiboot,kernel", "multiboot,module"; xen,uefi-binary = "hello.elf"; };
      module@1 { compatible = "multiboot,device-tree", "multiboot,module"; xen,uefi-binary = "passthrough.dts"; };
    };
  };
};
`;

/** The same two domains in the Topaz form of config.ts. */
const TOPAZ = `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x20000000>; };
  r1: r1 { compatible = "phys-mem-area"; addr = <0x0 0x40000000>; size = <0x0 0x08000000>; };
  r2: r2 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  partitions {
    domU1 { compatible = "partition"; cpus = <0 2>; guest-image = "hello.elf"; bootargs = "console=ttyAMA0";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&r1>; guest-addr = <0x0 0x40000000>; }; };
    domU2 { compatible = "partition"; cpus = <2 1>; guest-image = "hello.elf"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&r2>; guest-addr = <0x0 0x40000000>; };
      rtc { device = "/pl031@9010000"; }; };
  };
};
`;

function hv(name: string, text: string, ...args: string[]) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "--manage", "off", ...args], { timeout: 120000, input: "" });
}

/** Console lines by label, and the hypervisor's. */
function consoles(stdout: string): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const line of stdout.split("\n")) {
    const m = /^\[([^\]]+)\] (.*)$/.exec(line);
    if (m) by.set(m[1], [...(by.get(m[1]) ?? []), m[2]]);
  }
  return by;
}

/** A guest DTB without the random seeds (a dom0less tree keeps QEMU's default of having them). */
function withoutSeeds(dtb: Buffer): Uint8Array {
  const tree = decodeDtb(new Uint8Array(dtb));
  const chosen = tree.root.child("chosen")!;
  chosen.removeProp("kaslr-seed");
  chosen.removeProp("rng-seed");
  return encodeDtb(tree);
}

test("a dom0less config and the equivalent Topaz config: the same partitions, consoles and guest device trees", () => {
  const check = hv("dom0less.dts", DOM0LESS, "--check");
  assert.equal(check.status, 0, check.stderr.toString());
  const lines = check.stdout.toString().trimEnd().split("\n");
  assert.equal(lines[0], `${join(dir, "dom0less.dts")}: 2 partitions on 3 CPUs and 512 MiB, GICv3`);
  assert.match(lines[2], /^1\s+domU1\s+domU1\s+2\s+0,1\s+128 MiB @ 0x40000000\s+\S+hello\.elf$/);
  assert.match(lines[3], /^2\s+domU2\s+domU2\s+1\s+2\s+64 MiB @ 0x48000000\s+\S+hello\.elf$/);

  const a = hv("dom0less.dts", DOM0LESS, "--watchdog", "100");
  const b = hv("topaz.dts", TOPAZ, "--watchdog", "100");
  assert.equal(a.status, 0, a.stderr.toString() + a.stdout.toString().slice(-1500));
  assert.equal(b.status, 0, b.stderr.toString());
  const ca = consoles(a.stdout.toString()), cb = consoles(b.stdout.toString());
  for (const label of ["domU1", "domU2"]) {
    assert.ok((ca.get(label) ?? []).includes("hello: done, powering off"), `${label} ran to its end`);
    assert.deepEqual(ca.get(label), cb.get(label), `${label}'s console`);
  }
  assert.ok(ca.get("hv")!.includes("domU2: powered off"));

  for (const label of ["domU1", "domU2"]) {
    const da = hv("dom0less.dts", DOM0LESS, "--dump-guest-dtb", label), db = hv("topaz.dts", TOPAZ, "--dump-guest-dtb", label);
    assert.equal(da.status, 0, da.stderr.toString());
    assert.deepEqual(withoutSeeds(da.stdout), withoutSeeds(db.stdout), `${label}'s device tree`);
  }
  const xenTree = decodeDtb(new Uint8Array(hv("dom0less.dts", DOM0LESS, "--dump-guest-dtb", "domU2").stdout));
  assert.ok(xenTree.root.child("hypervisor"), "xen,enhanced gives the /hypervisor node");
  assert.equal(decodeDtb(new Uint8Array(hv("dom0less.dts", DOM0LESS, "--dump-guest-dtb", "domU1").stdout)).root.child("hypervisor"), undefined);
});

test("a dom0less config's problems, each with its line", () => {
  const bad = DOM0LESS
    .replace(`memory = <0x0 0x20000>; cpus = <2>; vpl011;`, `memory = <0x20000>; cpus = <2>; direct-map;`)
    .replace(`xen,uefi-binary = "hello.elf"; };\n      module@1`, `xen,uefi-binary = "missing.elf"; };\n      module@1`)
    .replace(`cpus = <1>; xen,enhanced`, `cpus = <4>; xen,enhanced`);
  const r = hv("bad.dts", bad, "--check");
  assert.equal(r.status, 2);
  const file = join(dir, "bad.dts");
  assert.deepEqual(r.stderr.toString().trimEnd().split("\n"), [
    `tessera: ${file}:11: /chosen/domU1: direct-map is not supported by tessera`,
    `tessera: ${file}:11: /chosen/domU1 needs memory = <hi lo> (KiB of RAM, a 64-bit integer)`,
    `tessera: ${file}:15: /chosen/domU2: cpus = <4>: only 1 of the board's 3 CPUs are left (each vCPU has one of its own)`,
    `tessera: ${file}:16: kernel "missing.elf": no such file (${join(dir, "missing.elf")})`,
  ]);
});
