/**
 * Xen PV networking between partitions: each Xen partition's `xen,vif` is a netback in the
 * hypervisor (src/hypervisor/xen/netback.ts) on a virtual switch port. The XenStore nodes are
 * the ones libxl and Linux's netback write; two Debian Linux partitions load Debian's
 * xen-netfront, which connects to it (the sender's driver lets it go and connects again first),
 * and ping each other and send data over TCP. Hostile front ends are in xen-pv-backends.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxInitramfs, FETCH_HINT } from "../../src/cli/guests.js";
import { findGuests } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";

const guests = findGuests();
const netfront = guests && join(guests.dir, "linux", "lib", "modules", basename(guests.kernel).replace(/^vmlinuz-/, ""), "kernel", "drivers", "net", "xen-netfront.ko");
const linuxSkip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : false);

function netInitrd(dir: string): string {
  const path = join(dir, "xen-net.cpio.gz");
  writeFileSync(path, busyboxInitramfs(guests!.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "xen-net-init.sh")), {
    "modules/xen-netfront.ko": new Uint8Array(readFileSync(netfront!)),
    "net-exchange.sh": new Uint8Array(readFileSync(join(REPO_ROOT, "tests", "linux", "net-exchange.sh"))),
  }));
  return path;
}

/** In the guests' logs and the hypervisor's lines: a back end giving a device up says "device disconnected". */
const KERNEL_TROUBLE = [/kernel BUG/, /Oops/, /Unable to handle/, /WARNING: CPU/, /xen_netfront.*(fail|err|bogus|Illegal)/i, /vif vif-0: \d+ /, /device disconnected/];

test("two Linux Xen partitions ping each other and send data over netfront and the hypervisor's netback (examples/xen-pv-pair.dts)", { skip: linuxSkip, timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-xen-net-"));
  const initrd = netInitrd(dir);
  const config = join(dir, "xen-pv-pair.dts");
  writeFileSync(config, readFileSync(join(REPO_ROOT, "examples", "xen-pv-pair.dts"), "utf8").replaceAll("LINUX_KERNEL", guests!.kernel).replaceAll("LINUX_INITRD", initrd));
  // Instruction time without sleeping: both partitions share one host thread and one clock.
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "-icount", "shift=4,sleep=off", "--watchdog", "800"], { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-6000)}`);
  const lines = (label: string) => r.stdout.split("\n").filter((l) => l.startsWith(`[${label}] `)).map((l) => l.slice(label.length + 3).replace(/\r$/, ""));
  const workload = (label: string) => {
    const all = lines(label);
    const a = all.indexOf("=== TESSERA-WORKLOAD BEGIN ==="), b = all.indexOf("=== TESSERA-WORKLOAD END ===");
    assert.ok(a >= 0 && b > a, all.join("\n"));
    return all.slice(a + 1, b);
  };
  const sender = workload("sender"), receiver = workload("receiver");
  for (const [w, peer, mac] of [[sender, "10.0.0.2", "00:16:3e:00:01:00"], [receiver, "10.0.0.1", "00:16:3e:00:02:00"]] as const) {
    // At boot, xenbus finds the vif the toolstack added; the module then drives it.
    assert.deepEqual(w.slice(0, 2), ["xenbus_probe_frontend: Device with no driver: device/vif/0", "xen_netfront: Initialising Xen virtual ethernet driver"], w.join("\n"));
    assert.ok(w.includes("eth0 on vif-0 driver vif nodename device/vif/0 devtype vif"), w.join("\n"));
    assert.ok(w.includes(`address ${mac} mtu 1500`), w.join("\n"));
    assert.ok(w.includes("carrier 1 operstate up"), w.join("\n"));
    assert.ok(w.includes(`ping ${peer}: yes`), w.join("\n"));
    for (let seq = 0; seq < 3; seq++) assert.ok(w.includes(`64 bytes from ${peer}: seq=${seq} ttl=64 `), w.join("\n"));
    assert.ok(w.includes("3 packets transmitted, 3 packets received, 0% packet loss"), w.join("\n"));
    assert.ok(w.includes("eth0 counted: packets both ways errors 0/0"), w.join("\n"));
  }
  // The sender's driver let its vif go and took it again before the pings: the back end followed it to Closed and connected afresh.
  assert.deepEqual(sender.filter((l) => /^(unbound|bound again):/.test(l)), ["unbound: Closed, eth0 gone", "bound again: Connected, carrier 1"], sender.join("\n"));
  const md5 = "sent 108894 bytes, md5 ";
  const sent = sender.find((l) => l.startsWith(md5));
  assert.ok(sent, sender.join("\n"));
  assert.ok(receiver.includes(`received 108894 bytes, md5 ${sent!.slice(md5.length)}`), receiver.join("\n"));
  for (const l of [...lines("sender"), ...lines("receiver"), ...lines("hv")]) for (const bad of KERNEL_TROUBLE) assert.ok(!bad.test(l), l);
  assert.match(r.stdout, /\[hv\] sender: powered off/);
  assert.match(r.stdout, /\[hv\] receiver: powered off/);
});
