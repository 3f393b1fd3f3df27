/**
 * Networking between partitions: the config's virtual switches and virtio-net NICs
 * (docs/hv-config.md, "Networking") are checked, each NIC is in its partition's device tree
 * (the virtio-mmio transport it is plugged into), and two Debian Linux partitions on
 * examples/linux-pair-net.dts bring up eth0 and ping each other through the switch.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts, decodeDtb } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { findGuests } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";
import { netInitrd, netModulesMissing } from "../harness/net-guest.js";

const host = { fileSize: () => 1024, hasDevice: () => true };

function config(partitions: string, extra = ""): string {
  return `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x04000000>; };
  lan: lan { compatible = "virtual-switch"; };
  bell: bell { compatible = "doorbell"; };
  ${extra}
  partitions {
    a { compatible = "partition"; cpus = <0 1>; guest-image = "a.elf";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; }; ${partitions.split("|")[0]} };
    b { compatible = "partition"; cpus = <1 1>; guest-image = "b.elf";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; }; ${partitions.split("|")[1] ?? ""} };
  };
};
`;
}

function check(text: string) {
  return checkHvConfig(compileDts(new TextEncoder().encode(text), { fileName: "net.dts" }), "net.dts", "", host);
}

const macText = (m: Uint8Array) => [...m].map((b) => b.toString(16).padStart(2, "0")).join(":");

test("NICs on a switch: QEMU's default MACs in config order, skipping given ones", () => {
  const r = check(config(`n0 { compatible = "virtio-net"; global-handle = <&lan>; }; n1 { compatible = "virtio-net"; global-handle = <&lan>; };
    | n0 { compatible = "virtio-net"; global-handle = <&lan>; mac-address = [52 54 00 12 34 58]; };`));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.deepEqual(r.config.switches, ["lan"]);
  const [a, b] = r.config.partitions;
  assert.deepEqual(a.nics.map((n) => [n.name, n.vswitch, macText(n.mac)]), [["n0", "lan", "52:54:00:12:34:56"], ["n1", "lan", "52:54:00:12:34:57"]]);
  assert.deepEqual(b.nics.map((n) => macText(n.mac)), ["52:54:00:12:34:58"]);
});

test("bad NICs and switches are reported with their lines", () => {
  const cases: [string, string, RegExp][] = [
    [`n0 { compatible = "virtio-net"; };`, "", /global-handle = <&SWITCH> must name a "virtual-switch" node/],
    [`n0 { compatible = "virtio-net"; global-handle = <&bell>; };`, "", /must name a "virtual-switch" node/],
    [`n0 { compatible = "virtio-net"; global-handle = <&lan>; mac-address = [52 54 00]; };`, "", /mac-address = \[52 54 00 12 34 56\] \(6 bytes\)/],
    [`n0 { compatible = "virtio-net"; global-handle = <&lan>; mac-address = [01 00 5e 00 00 01]; };`, "", /multicast address/],
    [`n0 { compatible = "virtio-net"; global-handle = <&lan>; mac-address = [52 54 00 00 00 01]; }; | n0 { compatible = "virtio-net"; global-handle = <&lan>; mac-address = [52 54 00 00 00 01]; };`, "", /52:54:00:00:00:01 is already used/],
    [`n0 { compatible = "virtio-net"; global-handle = <&lan>; speed = <1000>; };`, "", /unknown property 'speed'/],
    ["", `wan: wan { compatible = "virtual-switch"; ports = <4>; };`, /unknown property 'ports' in \/wan/],
  ];
  for (const [nics, extra, pattern] of cases) {
    const r = check(config(nics, extra));
    assert.ok(!r.ok, `accepted: ${nics} ${extra}`);
    assert.ok(r.problems.some((p) => pattern.test(p.message) && /^net\.dts:\d+$/.test(p.where)), `${pattern} not in ${JSON.stringify(r.problems)}`);
  }
});

const guests = findGuests();
const skip = oracleMissing(netModulesMissing(guests));

test("two Linux partitions ping each other through the virtual switch (examples/linux-pair-net.dts)", { skip, timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-hv-net-"));
  const initrd = netInitrd(guests!, dir);
  const path = join(dir, "pair.dts");
  writeFileSync(path, readFileSync(join(REPO_ROOT, "examples", "linux-pair-net.dts"), "utf8")
    .replaceAll("LINUX_KERNEL", guests!.kernel).replaceAll("LINUX_INITRD", initrd)
    .replace(/net\.peer=(\S+)"/g, 'net.peer=$1 net.tries=60 net.linger=3"'));
  // The NIC is in each guest's tree: the transport at 0x0a003e00 it is plugged into.
  const dtb = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "--dump-guest-dtb", "p2-linux"], { maxBuffer: 4 << 20 });
  assert.equal(dtb.status, 0, dtb.stderr?.toString());
  assert.equal(decodeDtb(new Uint8Array(dtb.stdout)).find("/virtio_mmio@a003e00")?.strings("compatible")?.[0], "virtio,mmio");
  // Instruction time without sleeping (-icount shift=4,sleep=off): both partitions share one
  // host thread and one clock, so what one sends the other sees at the same guest time.
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", path, "-icount", "shift=4,sleep=off", "--watchdog", "800"],
    { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  const of = (label: string) => r.stdout.split("\n").filter((l) => l.startsWith(`[${label}] `)).map((l) => l.slice(label.length + 3)).join("\n");
  const p1 = of("p1-linux"), p2 = of("p2-linux");
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
  assert.match(p1, /^address 52:54:00:12:34:56 mtu 1500$/m);
  assert.match(p2, /^address 52:54:00:ab:cd:02 mtu 1500$/m);
  assert.match(p1, /^ping 10\.0\.0\.2: yes$/m, p1.slice(-2000));
  assert.match(p2, /^ping 10\.0\.0\.1: yes$/m, p2.slice(-2000));
  for (const text of [p1, p2]) assert.match(text, /^3 packets transmitted, 3 packets received, 0% packet loss$/m);
  assert.match(p1, /^10\.0\.0\.2 dev eth0 lladdr 52:54:00:ab:cd:02$/m);
  assert.match(p2, /^10\.0\.0\.1 dev eth0 lladdr 52:54:00:12:34:56$/m);
});
