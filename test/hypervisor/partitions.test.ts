/**
 * Partitions side by side on one board, against QEMU: each partition's console prints what
 * qemu-system-aarch64 prints for the same image alone on a virt machine of the partition's
 * size. timer-irq exercises the partition's own GICv3 (distributor, redistributor, system
 * register CPU interface) and its timers, smp its PSCI over HVC for its own four vCPUs, hello
 * the rest of a bare virt machine. `tessera hv` runs with stdout not a terminal, so every
 * console line comes as "[label] text".
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { TESSERA_CLI } from "../harness/paths.js";
import { runQemu } from "../harness/emulators.js";
import { doorbellPingPong } from "../harness/hypervisor.js";

const skip = oracleMissing(missingTools() ?? false);
const dir = mkdtempSync(join(tmpdir(), "tessera-partitions-"));

/** The partitions: label, guest, vCPUs, RAM in MiB. */
const PARTS = [
  { label: "p1-timer", guest: "timer-irq", cpus: 1, mib: 128 },
  { label: "p2-smp", guest: "smp", cpus: 4, mib: 128 },
  { label: "p3-hello", guest: "hello", cpus: 1, mib: 64 },
] as const;

function config(): string {
  let pcpu = 0, pa = 0x4800_0000;
  const pmas: string[] = [], parts: string[] = [];
  PARTS.forEach((p, i) => {
    const size = p.mib << 20;
    pmas.push(`  pma${i}: pma${i} { compatible = "phys-mem-area"; addr = <0x0 0x${pa.toString(16)}>; size = <0x0 0x${size.toString(16)}>; };`);
    parts.push(`    part${i + 1} {
      compatible = "partition";
      label = "${p.label}";
      cpus = <${pcpu} ${p.cpus}>;
      guest-image = "${guestPath(p.guest)}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pma${i}>; guest-addr = <0x0 0x40000000>; };
    };`);
    pcpu += p.cpus;
    pa += size;
  });
  return `/dts-v1/;\n/ {\n  compatible = "tessera,hv-config";\n  hv { machine = "virt,gic-version=3"; cpus = <8>; memory-size = <0x0 0x40000000>; };\n${pmas.join("\n")}\n  partitions {\n${parts.join("\n")}\n  };\n};\n`;
}

before(() => { if (!skip) buildGuests(); });

test("three partitions at once: each console prints what QEMU prints for its image alone", { skip, timeout: 240000 }, async () => {
  const path = join(dir, "three.dts");
  writeFileSync(path, config());
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "--watchdog", "120"], { encoding: "latin1", timeout: 180000, input: "" });
  assert.equal(r.status, 0, `tessera hv exited ${r.status}\n${r.stderr}\n${r.stdout.slice(-3000)}`);
  const byLabel = new Map<string, string[]>();
  for (const line of r.stdout.split("\n")) {
    const m = /^\[([^\]]+)\] (.*)$/.exec(line);
    if (m) byLabel.set(m[1], [...(byLabel.get(m[1]) ?? []), m[2]]);
  }
  for (const p of PARTS) {
    const q = await runQemu(guestPath(p.guest), { smp: p.cpus, gicVersion: 3, memory: `${p.mib}M` });
    const expected = q.stdout.toString("latin1").replace(/\r/g, "").split("\n").filter((l, i, all) => !(l === "" && i === all.length - 1));
    assert.deepEqual(byLabel.get(p.label), expected, `${p.label} (${p.guest}) differs from QEMU`);
  }
  for (const p of PARTS) assert.ok(byLabel.get("hv")?.some((l) => l === `${p.label}: powered off`), `hv reports ${p.label} powered off`);
});

test("Topaz's numeric guest-image: an image put in physical memory by -device loader runs from its destination", { skip, timeout: 120000 }, async () => {
  const raw = join(dir, "hello.bin");
  const objcopy = spawnSync("aarch64-linux-gnu-objcopy", ["-O", "binary", guestPath("hello"), raw]);
  assert.equal(objcopy.status, 0, objcopy.stderr?.toString());
  const size = statSync(raw).size;
  const path = join(dir, "preloaded.dts");
  writeFileSync(path, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <1>; memory-size = <0x0 0x40000000>; };
  pr: pr { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x08000000>; };
  partitions {
    p { compatible = "partition"; label = "pre"; cpus = <0 1>; guest-image = <0x0 0x78000000 0x0 0x40080000 0x0 0x${size.toString(16)}>;
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pr>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "-device", `loader,file=${raw},addr=0x78000000`, "--watchdog", "60"], { encoding: "latin1", timeout: 90000, input: "" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const q = await runQemu(guestPath("hello"), { gicVersion: 3, memory: "128M" });
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("[pre] ")).map((l) => l.slice(6));
  assert.deepEqual(lines, q.stdout.toString("latin1").replace(/\r/g, "").replace(/\n$/, "").split("\n"));
  const bad = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "-device", "virtio-net-pci"], { encoding: "utf8", timeout: 20000, input: "" });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "tessera: hv: -device: only loader,file=FILE,addr=ADDR is supported, not 'virtio-net-pci'\n");
  const outside = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "-device", `loader,file=${raw},addr=0x10`], { encoding: "utf8", timeout: 20000, input: "" });
  assert.equal(outside.status, 2, outside.stderr);
  assert.match(outside.stderr, /^tessera: hv: -device loader,file=.*: \[0x10, 0x[0-9a-f]+\) is outside the board's RAM\n$/);
});

test("a doorbell rung by MMIO reaches the other partition as an interrupt, 1000 times and back", { skip, timeout: 120000 }, () => {
  buildGuests(["doorbell-ping", "doorbell-pong"]);
  const path = join(dir, "doorbell.dts");
  writeFileSync(path, doorbellPingPong(guestPath("doorbell-ping"), guestPath("doorbell-pong")));
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "--watchdog", "100"], { encoding: "latin1", timeout: 110000, input: "" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^\[ping\] ping: 1000 rounds$/m);
  assert.match(r.stdout, /^\[ping\] ping: round trip \d+ ticks on average \(\d+ in all\)$/m);
  assert.match(r.stdout, /^\[pong\] pong: done$/m);
});
