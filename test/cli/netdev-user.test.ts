/**
 * -netdev user's options against QEMU 7.2: every refusal here is QEMU's own words (checked
 * against qemu-system-aarch64 when it is installed), and the values that are accepted mean
 * what QEMU makes of them (inet_aton forms, strtol ports, classful and prefix masks, the
 * addresses derived from net=).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { parseUserNetdev } from "../../src/cli/netdev-user.js";
import { formatIpv4 } from "../../src/net/user/addresses.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU } from "../harness/paths.js";
import { TESSERA_CLI } from "../harness/paths.js";

const refused = [
  "user", "user,id=n0,bogus=1", "user,id=n0,restrict=maybe", "user,id=n0,ipv4=off,ipv6=off",
  "user,id=n0,net=foo", "user,id=n0,net=10.0.2.0/33", "user,id=n0,net=10.0.2.0/3", "user,id=n0,net=10.0.2.0/",
  "user,id=n0,net=10.0.2.0/8x", "user,id=n0,net=10.0.2.0/255.255.x.0",
  "user,id=n0,host=bla", "user,id=n0,host=10.0.3.2", "user,id=n0,dns=bla", "user,id=n0,dns=10.0.2.2",
  "user,id=n0,dhcpstart=bla", "user,id=n0,dhcpstart=10.0.3.9", "user,id=n0,dhcpstart=10.0.2.2", "user,id=n0,dhcpstart=10.0.2.3",
  "user,id=n0,net=192.168.7.0/24,host=192.168.7.1,dhcpstart=192.168.7.1",
  "user,id=n0,hostfwd=tcp", "user,id=n0,hostfwd=tcp:", "user,id=n0,hostfwd=foo::1-:22", "user,id=n0,hostfwd=tcp:bla:1-:22",
  "user,id=n0,hostfwd=tcp:1-:22", "user,id=n0,hostfwd=tcp::1", "user,id=n0,hostfwd=tcp::99999-:22", "user,id=n0,hostfwd=tcp::abc-:22",
  "user,id=n0,hostfwd=tcp::5-", "user,id=n0,hostfwd=tcp::1-bla:22", "user,id=n0,hostfwd=tcp::1-:", "user,id=n0,hostfwd=tcp::1-:0",
  "user,id=n0,hostfwd=tcp::1-:22x", "user,id=n0,hostfwd=tcp::1-:-5", "user,id=n0,hostfwd=udp::1-:70000",
];

function ourError(text: string): string {
  try {
    parseUserNetdev(text);
  } catch (e) {
    assert.ok(e instanceof UsageError, `a usage error for ${text}`);
    return e.message;
  }
  assert.fail(`-netdev ${text} was accepted`);
}

test("refused -netdev user options: one line naming the option", () => {
  for (const text of refused) assert.match(ourError(text), new RegExp(`^-netdev ${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\S`));
  assert.equal(ourError("user,id=n0,hostfwd=tcp::99999-:22"), "-netdev user,id=n0,hostfwd=tcp::99999-:22: Invalid host forwarding rule 'tcp::99999-:22' (Bad host port)");
  assert.equal(ourError("user,id=n0,dhcpstart=10.0.2.3"), "-netdev user,id=n0,dhcpstart=10.0.2.3: DHCP must be different from host and DNS");
  assert.match(ourError("user,id=n0,tftp=/srv"), /'tftp' is not supported/);
});

const qemuSkip = oracleMissing(spawnSync(QEMU, ["--version"]).status === 0 ? false : `${QEMU} not installed`);

test("the refusals are QEMU 7.2's messages, word for word", { skip: qemuSkip }, () => {
  for (const text of refused) {
    const q = spawnSync(QEMU, ["-nodefaults", "-M", "virt", "-display", "none", "-S", "-netdev", text], { encoding: "utf8", timeout: 20000 });
    assert.notEqual(q.status, 0, `QEMU refuses ${text}`);
    const line = q.stderr.split("\n").find((l) => l.startsWith("qemu-system-aarch64: -netdev"));
    assert.equal(ourError(text), line?.replace(/^qemu-system-aarch64: /, ""), text);
  }
});

test("accepted values mean what QEMU makes of them", () => {
  const n = parseUserNetdev("user,id=n0,net=192.168.76.0/24,dhcpstart=192.168.76.9,restrict=on,hostname=guest,hostfwd=tcp::0x10-:0x16,hostfwd=udp:127.0.0.1:5353-10.2:53,hostfwd=:1.2:80-:8080");
  assert.equal(n.id, "n0");
  const c = n.config;
  assert.deepEqual([c.network, c.netmask, c.host, c.dns, c.dhcpStart].map(formatIpv4), ["192.168.76.0", "255.255.255.0", "192.168.76.2", "192.168.76.3", "192.168.76.9"]);
  assert.equal(c.restricted, true);
  assert.equal(c.hostname, "guest");
  assert.deepEqual(c.hostForwards.map((f) => [f.protocol, f.hostAddress, f.hostPort, formatIpv4(f.guestAddress), f.guestPort]), [
    ["tcp", "", 16, "0.0.0.0", 22], ["udp", "127.0.0.1", 5353, "10.0.0.2", 53], ["tcp", "1.0.0.2", 80, "0.0.0.0", 8080],
  ]);
  const classful = parseUserNetdev("user,id=a,net=10.0.0.0,host=10.5.0.2").config;
  assert.equal(formatIpv4(classful.netmask), "255.0.0.0", "a class A network without a mask");
  assert.equal(formatIpv4(classful.host), "10.5.0.2");
  assert.equal(formatIpv4(parseUserNetdev("user,id=b,net=172.20.0.0").config.netmask), "255.240.0.0");
  const dotted = parseUserNetdev("user,id=c,net=10.9.0.0/255.255.0.0").config;
  assert.deepEqual([dotted.host, dotted.dns, dotted.dhcpStart].map(formatIpv4), ["10.9.2.2", "10.9.2.3", "10.9.2.15"]);
  const d = parseUserNetdev("user,id=d").config;
  assert.deepEqual([d.network, d.host, d.dns, d.dhcpStart].map(formatIpv4), ["10.0.2.0", "10.0.2.2", "10.0.2.3", "10.0.2.15"]);
});

test("the CLI: a bad -netdev user is one 'tessera:' line and exit 2; a forwarding port in use is QEMU's 'Could not set up'", async () => {
  const bad = spawnSync(process.execPath, [TESSERA_CLI, "run", "-nodefaults", "-kernel", "/nonexistent", "-netdev", "user,id=n0,hostfwd=tcp::1-:0"], { encoding: "utf8", timeout: 20000 });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim(), "tessera: -netdev user,id=n0,hostfwd=tcp::1-:0: Invalid host forwarding rule 'tcp::1-:0' (Bad guest port)");
  const { createServer } = await import("node:net");
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const kernel = join(mkdtempSync(join(tmpdir(), "tessera-netdev-")), "k.bin");
    writeFileSync(kernel, new Uint8Array([0, 0, 0, 0x14]));
    const option = `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`;
    const r = spawnSync(process.execPath, [TESSERA_CLI, "run", "-nodefaults", "-kernel", kernel, "-netdev", option, "-device", "virtio-net-device,netdev=n0"],
      { encoding: "utf8", timeout: 20000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `tessera: -netdev ${option}: Could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:22'`);
  } finally {
    blocker.close();
  }
});
