/**
 * `tessera hv CONFIG`: the table of configuration errors (each one line with file:line, exit 2),
 * a valid two-partition config listed by --check, the same config compiled to a DTB by Debian's
 * dtc, and the guest device trees, which dtc must read without a warning.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { oracleMissing } from "../harness/oracles.js";
import { PREBUILT_HELLO, REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-hv-"));
copyFileSync(PREBUILT_HELLO, join(dir, "hello.elf"));
writeFileSync(join(dir, "big.bin"), new Uint8Array(0x200001)); // 2 MiB + 1: larger than a 2 MiB partition
const NO_DTC = oracleMissing(spawnSync("dtc", ["--version"]).status === 0 ? false : "dtc not installed");

/** A valid config; `edit` replaces text in it to make each error case. Line numbers below refer to it. */
const BASE = `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <4>; memory-size = <0x0 0x80000000>; console-port = <18900>; };
  pma1: pma1 { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x20000000>; };
  pma2: pma2 { compatible = "phys-mem-area"; addr = <0x0 0x68000000>; size = <0x0 0x00200000>; };
  shm: shm { compatible = "phys-mem-area"; addr = <0x0 0x70000000>; size = <0x0 0x00100000>; shared; };
  bell: doorbell-1 { compatible = "doorbell"; };
  partitions {
    part1 {
      compatible = "partition";
      label = "p1-linux";
      cpus = <0 2>;
      guest-image = "hello.elf";
      bootargs = "console=ttyAMA0";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pma1>; guest-addr = <0x0 0x40000000>; };
      shm { compatible = "guest-phys-mem-area"; phys-mem = <&shm>; guest-addr = <0x0 0x70000000>; };
      rtc { device = "/pl031@9010000"; };
      ring { compatible = "send-doorbell"; global-handle = <&bell>; };
    };
    part2 {
      compatible = "partition";
      label = "p2-rtos";
      cpus = <2 1>;
      guest-image = "hello.elf";
      on-crash = "restart";
      watchdog = <5>;
      watchdog-action = "restart";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pma2>; guest-addr = <0x0 0x40000000>; };
      shm { compatible = "guest-phys-mem-area"; phys-mem = <&shm>; guest-addr = <0x0 0x70000000>; read-only; };
      ring { compatible = "receive-doorbell"; global-handle = <&bell>; };
    };
  };
};
`;

function hv(config: string, ...args: string[]) {
  const path = join(dir, "hv.dts");
  writeFileSync(path, config);
  return { path, r: spawnSync(process.execPath, [TESSERA_CLI, "hv", path, ...args], { encoding: "utf8", timeout: 20000 }) };
}

function edit(...pairs: [string, string][]): string {
  let text = BASE;
  for (const [from, to] of pairs) {
    assert.ok(text.includes(from), `the base config has no '${from}'`);
    text = text.replace(from, to);
  }
  return text;
}

test("a valid config: --check lists the partitions with Topaz's columns and exit 0", () => {
  const { path, r } = hv(BASE, "--check");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `${path}: 2 partitions on 4 CPUs and 2048 MiB, GICv3`);
  assert.match(lines[1], /^ID\s+Partition\s+Name\s+Vcpus\s+pCPUs\s+Memory\s+Image$/);
  assert.match(lines[2], /^1\s+part1\s+p1-linux\s+2\s+0,1\s+512 MiB @ 0x48000000\s+\S+hello\.elf$/);
  assert.match(lines[3], /^2\s+part2\s+p2-rtos\s+1\s+2\s+2 MiB @ 0x68000000\s+\S+hello\.elf$/);
});

/** [what, edits, the problem lines expected (file:line: message), matched whole]. */
const errors: [string, [string, string][], RegExp[]][] = [
  ["overlapping phys-mem-areas", [["addr = <0x0 0x68000000>", "addr = <0x0 0x67000000>"]],
    [/:6: phys-mem-area pma2 \[0x67000000, 0x67200000\) overlaps pma1 \[0x48000000, 0x68000000\) \(.*:5\)$/]],
  ["a pCPU in two partitions", [["cpus = <2 1>", "cpus = <1 1>"]], [/:24: \/partitions\/part2: physical CPU 1 is already in part1$/]],
  ["a pCPU the board does not have", [["cpus = <2 1>", "cpus = <4 1>"]], [/:24: \/partitions\/part2: physical CPU 4 does not exist \(the board has 4\)$/]],
  ["a device in two partitions", [["      ring { compatible = \"receive", "      rtc { device = \"/pl031@9010000\"; };\n      ring { compatible = \"receive"]],
    [/:31: \/partitions\/part2\/rtc: device \/pl031@9010000 in use \(already assigned to part1\)$/]],
  ["a device the board does not have", [["/pl031@9010000", "/serial@1"]], [/:18: \/partitions\/part1\/rtc: the board has no device \/serial@1$/]],
  ["an image larger than its area", [["      guest-image = \"hello.elf\";\n      on-crash", "      guest-image = \"big.bin\";\n      on-crash"]],
    [/:25: guest-image "big\.bin" \(2097153 bytes\) is larger than the partition's RAM \(0x200000 bytes\)$/]],
  ["a missing image file", [["guest-image = \"hello.elf\";\n      bootargs", "guest-image = \"nowhere.elf\";\n      bootargs"]],
    [/:14: guest-image "nowhere\.elf": no such file \(.*nowhere\.elf\)$/]],
  ["a dtb-window outside guest memory", [["bootargs = \"console=ttyAMA0\";", "bootargs = \"console=ttyAMA0\";\n      dtb-window = <0x0 0x60000000 0x0 0x10000>;"]],
    [/:16: dtb-window \[0x60000000, 0x60010000\) is outside the partition's memory$/]],
  ["a preloaded image whose destination is outside guest memory", [["guest-image = \"hello.elf\";\n      bootargs", "guest-image = <0x0 0x78000000 0x0 0x80000000 0x0 0x1000>;\n      bootargs"]],
    [/:14: guest-image: destination \[0x80000000, 0x80001000\) is outside the partition's memory$/]],
  ["an unknown property", [["label = \"p2-rtos\";", "label = \"p2-rtos\";\n      cpu-count = <1>;"]], [/:24: unknown property 'cpu-count' in \/partitions\/part2$/]],
  ["an unknown node", [["  partitions {", "  mystery { };\n  partitions {"]], [/:9: unknown node \/mystery \(expected hv, partitions, a "phys-mem-area", a "doorbell" or a "virtual-switch"\)$/]],
  ["a phys-mem-area outside the board's RAM", [["memory-size = <0x0 0x80000000>", "memory-size = <0x0 0x20000000>"]],
    [/:5: \/pma1 \[0x48000000, 0x68000000\) is outside the board's RAM \[0x40000000, 0x60000000\)$/,
      /:6: \/pma2 \[0x68000000, 0x68200000\) is outside the board's RAM \[0x40000000, 0x60000000\)$/,
      /:7: \/shm \[0x70000000, 0x70100000\) is outside the board's RAM \[0x40000000, 0x60000000\)$/]],
  ["a phys-mem-area shared without 'shared'", [[" shared; };", " };"]], [/:7: phys-mem-area shm is used by part1 and part2: mark it "shared;" to share it$/]],
  ["no RAM at 0x40000000", [["phys-mem = <&pma2>; guest-addr = <0x0 0x40000000>", "phys-mem = <&pma2>; guest-addr = <0x0 0x50000000>"]],
    [/:21: \/partitions\/part2: no guest-phys-mem-area at guest-addr 0x40000000 \(the partition's RAM\)$/]],
  ["a bad on-crash policy", [["on-crash = \"restart\"", "on-crash = \"reboot\""]], [/:26: on-crash "reboot": restart or stop$/]],
  ["a bad watchdog action", [["watchdog-action = \"restart\"", "watchdog-action = \"explode\""]], [/:28: watchdog-action "explode": restart, stop or report$/]],
  ["a doorbell handle naming no doorbell", [["global-handle = <&bell>; };\n    };\n    part2", "global-handle = <&pma1>; };\n    };\n    part2"]],
    [/:19: \/partitions\/part1\/ring: global-handle = <&DOORBELL> must name a "doorbell" node$/]],
  ["two labels alike", [["label = \"p2-rtos\"", "label = \"p1-linux\""]], [/:23: label "p1-linux" is used by part1 too$/]],
  ["an unsupported machine", [["virt,gic-version=3", "virt,gic-version=4"]], [/:4: unsupported machine option 'gic-version=4' \(gic-version=2 or 3, dtb-randomness=on or off\)$/]],
  ["a syntax error", [["cpus = <2 1>;", "cpus = <2 1>"]], [/:25:\d+: syntax error/]],
  ["a reference to a missing label", [["phys-mem = <&pma2>", "phys-mem = <&pma9>"]], [/Reference to non-existent node or label "pma9"/]],
];
for (const [what, pairs, expected] of errors) {
  test(`config error: ${what}`, () => {
    const { path, r } = hv(edit(...pairs), "--check");
    assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, expected.length, r.stderr);
    lines.forEach((line, i) => {
      assert.ok(line.startsWith(`tessera: ${path}`), line);
      assert.match(line, expected[i]);
    });
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
}

test("several problems are all reported, one line each", () => {
  const { r } = hv(edit(["cpus = <2 1>", "cpus = <1 1>"], ["/pl031@9010000", "/serial@1"], [" shared; };", " };"]), "--check");
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trimEnd().split("\n").length, 3, r.stderr);
});

test("the config compiled by dtc to a DTB is read too (problems then name the file)", { skip: NO_DTC }, () => {
  const src = join(dir, "hv.dts"), blob = join(dir, "hv.dtb");
  writeFileSync(src, BASE);
  assert.equal(spawnSync("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", blob, src]).status, 0);
  const ok = spawnSync(process.execPath, [TESSERA_CLI, "hv", blob, "--check"], { encoding: "utf8", cwd: dir });
  assert.equal(ok.status, 0, ok.stderr);
  writeFileSync(src, edit(["cpus = <2 1>", "cpus = <1 1>"]));
  assert.equal(spawnSync("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", blob, src]).status, 0);
  const bad = spawnSync(process.execPath, [TESSERA_CLI, "hv", blob, "--check"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, `tessera: ${blob}: /partitions/part2: physical CPU 1 is already in part1\n`);
});

test("bad config files: missing, a directory, not a tree", () => {
  for (const [path, pattern] of [[join(dir, "none.dts"), /cannot read hypervisor config .*: no such file/], [dir, /is a directory/]] as const) {
    const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "--check"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});

for (const name of ["p1-linux", "p2-rtos"]) {
  test(`guest device tree of ${name}: its own virt machine, read by dtc without a warning`, { skip: NO_DTC }, () => {
    const config = join(dir, `${name}.dts`);
    writeFileSync(config, BASE);
    const dump = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "--dump-guest-dtb", name], { timeout: 20000 });
    assert.equal(dump.status, 0, dump.stderr.toString());
    const blob = join(dir, `${name}.dtb`);
    writeFileSync(blob, dump.stdout);
    const text = spawnSync("dtc", ["-I", "dtb", "-O", "dts", blob], { encoding: "utf8" });
    assert.equal(text.status, 0);
    assert.equal(text.stderr, "", "dtc warnings");
    const cpus = (text.stdout.match(/device_type = "cpu"/g) ?? []).length;
    assert.equal(cpus, name === "p1-linux" ? 2 : 1);
    assert.match(text.stdout, name === "p1-linux" ? /memory@40000000 \{\s+reg = <0x00 0x40000000 0x00 0x20000000>;/ : /memory@40000000 \{\s+reg = <0x00 0x40000000 0x00 0x200000>;/);
    assert.match(text.stdout, /pl011@9000000/);
    assert.match(text.stdout, /method = "hvc"/);
    // The rest of a virt machine, emulated for the partition (the RTC passed through to p1-linux is the board's).
    for (const node of ["pcie@", "virtio_mmio@", "fw-cfg@", "pl061@", "flash@", "pl031@9010000"]) assert.ok(text.stdout.includes(node), node);
    assert.match(text.stdout, /shared-memory@70000000 \{[^}]*reg = <0x00 0x70000000 0x00 0x100000>;/);
    assert.equal(/shared-memory@70000000 \{[^}]*read-only;/.test(text.stdout), name === "p2-rtos");
    if (name === "p1-linux") assert.match(text.stdout, /bootargs = "console=ttyAMA0";/);
  });
}

test("every example config in examples/ passes --check", () => {
  const examples = join(REPO_ROOT, "examples");
  const files = readdirSync(examples).filter((f) => f.endsWith(".dts"));
  assert.ok(files.length > 0);
  // linux-rtos.dts, linux-pair-net.dts and xen-pv-pair.dts name their images by placeholders that `tessera demo`
  // and the tests fill in: any files do here.
  const initrd = join(dir, "initrd.cpio.gz");
  writeFileSync(initrd, new Uint8Array(1024));
  for (const f of files) {
    const text = readFileSync(join(examples, f), "utf8").replaceAll("LINUX_KERNEL", PREBUILT_HELLO).replaceAll("LINUX_INITRD", initrd)
      .replace("RTOS_IMAGE", PREBUILT_HELLO);
    const path = join(examples, f);
    const config = text === readFileSync(path, "utf8") ? path : join(dir, f);
    if (config !== path) writeFileSync(config, text);
    const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "--check"], { encoding: "utf8", timeout: 20000 });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
});
