/**
 * Debian's unmodified cloud kernel in a partition with `xen,enhanced = "enabled"`: it finds Xen
 * 4.17 in its device tree, maps shared_info and the grant table, registers its vcpu_info,
 * takes hvc0 (the PV console ring) as its console and brings xenbus up against the
 * hypervisor's XenStore, on both of its vCPUs. The /init script prints what /sys/hypervisor reports, answers a line
 * typed on the partition's console port (input through the console ring), and powers off
 * (SCHEDOP_shutdown), which stops the partition cleanly.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT } from "../../src/cli/guests.js";
import { formatUuid, partitionUuid } from "../../src/hypervisor/xen/domain.js";
import { findGuests } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { TESSERA_CLI } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";

const guests = findGuests();
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : false);

const INIT = `#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "xen-type: $(cat /sys/hypervisor/type)"
echo "xen-major: $(cat /sys/hypervisor/version/major)"
echo "xen-minor: $(cat /sys/hypervisor/version/minor)"
echo "xen-extra: $(cat /sys/hypervisor/version/extra)"
echo "xen-uuid: $(cat /sys/hypervisor/uuid)"
echo "console: $(cat /sys/class/tty/console/active)"
echo "=== XEN-READY ==="
read -t 120 line
echo "xen-got: $line"
echo "cpus-online: $(cat /sys/devices/system/cpu/online)"
grep -E 'events|xenbus|hvc_console' /proc/interrupts | while read n a b rest; do echo "irq: $rest $((a + b))"; done
echo "=== XEN-DONE ==="
poweroff -f
`;

test("Debian's kernel boots as a Xen 4.17 guest on hvc0: /sys/hypervisor, console input, poweroff", { skip, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-"));
  const initrd = join(dir, "initramfs.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, INIT));
  const base = await freePortRange(2);
  const config = join(dir, "xen.dts");
  writeFileSync(config, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; console-port = <${base}>; };
  pl: pl { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x20000000>; };
  partitions {
    linux { compatible = "partition"; label = "xen-guest"; cpus = <0 2>; guest-image = "${guests!.kernel}";
      linux-rootfs = "${initrd}"; bootargs = "console=hvc0 panic=-1"; xen,enhanced = "enabled";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pl>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
  const hv = spawn(process.execPath, [TESSERA_CLI, "hv", config, "--watchdog", "800"], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  hv.stdout.setEncoding("latin1");
  hv.stdout.on("data", (d: string) => { stdout += d; });
  hv.stderr.on("data", (d) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => hv.on("close", (code) => resolve(code)));
  const lines = () => stdout.split("\n").filter((l) => l.startsWith("[xen-guest] ")).map((l) => l.slice(12).replace(/\r$/, ""));
  const waitFor = async (marker: string) => {
    while (!lines().includes(marker)) {
      if (hv.exitCode !== null) throw new Error(`tessera hv exited before ${marker}\n${stdout.slice(-4000)}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  let console: Socket | undefined;
  try {
    await waitFor("=== XEN-READY ===");
    console = connect(base + 1, "127.0.0.1");
    console.on("error", () => {});
    await new Promise<void>((resolve, reject) => { console!.once("connect", () => resolve()); console!.once("error", reject); });
    console.write("typed into the console ring\r");
    await waitFor("=== XEN-DONE ===");
    const code = await exited;
    const out = lines();
    const value = (key: string) => out.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2);
    assert.ok(out.some((l) => /Xen 4\.17 support found/.test(l)), "the kernel found the /hypervisor node");
    assert.equal(value("xen-type"), "xen");
    assert.equal(value("xen-major"), "4");
    assert.equal(value("xen-minor"), "17");
    assert.equal(value("xen-extra"), ".7");
    // XENVER_guest_handle: the partition's UUID, the same one XenStore's /vm path names.
    assert.equal(value("xen-uuid"), formatUuid(partitionUuid(1, "xen-guest")));
    assert.equal(value("console"), "hvc0");
    assert.equal(value("xen-got"), "typed into the console ring");
    assert.equal(value("cpus-online"), "0-1", "both vCPUs up, each with its vcpu_info registered");
    // Interrupts the guest counted: the upcall PPI, XenStore's and the console's event channels.
    const irq = (name: RegExp) => out.filter((l) => l.startsWith("irq: ") && name.test(l)).map((l) => Number(l.split(" ").pop()));
    const irqs = out.filter((l) => l.startsWith("irq: ")).join("\n");
    assert.ok((irq(/GICv3 +31 Level +events/)[0] ?? 0) > 0, `the upcall PPI fired\n${irqs}`);
    assert.ok((irq(/xenbus /)[0] ?? 0) > 0, `XenStore's event channel fired\n${irqs}`);
    assert.ok((irq(/hvc_console /)[0] ?? 0) > 0, `the console's event channel fired\n${irqs}`);
    for (const bad of [/Unable to read cpu state/, /kernel BUG/, /Oops/, /xenbus.*(error|failed)/i]) {
      assert.ok(!out.some((l) => bad.test(l)), `kernel log matches ${bad}:\n${out.filter((l) => bad.test(l)).join("\n")}`);
    }
    assert.match(stdout, /\[hv\] xen-guest: powered off/);
    assert.equal(code, 0, `${stderr}\n${stdout.slice(-3000)}`);
  } finally {
    console?.destroy();
    if (hv.exitCode === null) hv.kill("SIGKILL");
  }
});
