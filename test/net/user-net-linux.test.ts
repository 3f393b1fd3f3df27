/**
 * Linux on -netdev user, under QEMU 7.2 and under Tessera with the same command line (with
 * -nodefaults): Debian's kernel with virtio_net from the initramfs runs tests/linux/user-net-init.sh,
 * which takes a DHCP lease with busybox udhcpc, pings the gateway, fetches files over HTTP from
 * a server this test runs on the host (the guest's 10.0.2.2:PORT), a file over TFTP (UDP) from
 * another, and serves a connection that
 * the test makes through hostfwd=tcp:127.0.0.1:HOSTPORT-:8080. The text between the markers must
 * be the same, and the host must get the guest's answer in both runs. QEMU's run also records
 * its frames (filter-dump): the guest's DHCP, ARP and ping frames from it are replayed into
 * this stack, whose answers must be libslirp's to the byte.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { createServer as createHttpServer } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { busyboxInitramfs, FETCH_HINT, type CachedGuests } from "../../src/cli/guests.js";
import type { UserNetHost } from "../../src/net/user/host.js";
import { defaultUserNetConfig, UserNetwork } from "../../src/net/user/user-network.js";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, workloadText } from "../harness/linux.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, REPO_ROOT } from "../harness/paths.js";
import { freePortRange } from "../harness/ports.js";

const guests = findGuests();
const haveQemu = spawnSync(QEMU, ["--version"]).status === 0;
const modules = guests && join(guests.dir, "linux", "lib", "modules", basename(guests.kernel).replace(/^vmlinuz-/, ""), "kernel");
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : !haveQemu ? `${QEMU} not installed`
  : !existsSync(join(modules!, "drivers", "net", "virtio_net.ko")) ? `the cached kernel's virtio_net module is missing (${modules}): ${FETCH_HINT}` : false);
// A boot takes seconds under QEMU and a minute or more under Tessera on a busy host; the limits only catch a wedged run.
const QEMU_TIMEOUT_S = 120;
const TESSERA_TIMEOUT_S = Number(process.env.TESSERA_LINUX_TIMEOUT ?? 400);

function initrd(g: CachedGuests, dir: string): string {
  const ko: Record<string, string> = {
    failover: "net/core/failover.ko", net_failover: "drivers/net/net_failover.ko", virtio_ring: "drivers/virtio/virtio_ring.ko",
    virtio: "drivers/virtio/virtio.ko", virtio_mmio: "drivers/virtio/virtio_mmio.ko", virtio_net: "drivers/net/virtio_net.ko",
  };
  const files: Record<string, Uint8Array> = Object.fromEntries(Object.entries(ko).map(([name, path]) => [`modules/${name}.ko`, new Uint8Array(readFileSync(join(modules!, path)))]));
  files["etc/udhcpc.script"] = new Uint8Array(readFileSync(join(REPO_ROOT, "tests", "linux", "udhcpc.script")));
  files["bin/net-handler"] = new Uint8Array(readFileSync(join(REPO_ROOT, "tests", "linux", "net-handler.sh")));
  const path = join(dir, "initramfs.cpio.gz");
  writeFileSync(path, busyboxInitramfs(g.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "user-net-init.sh")), files));
  return path;
}

/**
 * A TFTP server for one file (RFC 1350): DATA blocks of 512 bytes, each sent when the previous
 * one is acknowledged; any options in the request are ignored, which a client must accept (RFC 2347).
 */
async function tftpServer(file: Uint8Array) {
  const socket = createSocket("udp4");
  const block = (n: number) => {
    const data = file.subarray((n - 1) * 512, n * 512);
    const packet = new Uint8Array(4 + data.length);
    packet[1] = 3; packet[2] = n >> 8; packet[3] = n;
    packet.set(data, 4);
    return packet;
  };
  socket.on("message", (m, from) => {
    const opcode = (m[0] << 8) | m[1];
    if (opcode === 1) socket.send(block(1), from.port, from.address); // RRQ
    else if (opcode === 4) { // ACK of block n: the next one, unless n was the short last block
      const n = (m[2] << 8) | m[3];
      if (n * 512 <= file.length) socket.send(block(n + 1), from.port, from.address);
    }
  });
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  return socket;
}

/** The frames of a pcap file (as QEMU's filter-dump writes it: little-endian, Ethernet). */
function pcapFrames(path: string): Uint8Array[] {
  const d = new Uint8Array(readFileSync(path));
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  assert.equal(v.getUint32(0, true), 0xa1b2c3d4, "a little-endian pcap");
  const frames: Uint8Array[] = [];
  for (let at = 24; at + 16 <= d.length;) {
    const length = v.getUint32(at + 8, true);
    frames.push(d.slice(at + 16, at + 16 + length));
    at += 16 + length;
  }
  return frames;
}

/**
 * Feed the guest's frames of QEMU's run into this stack in order; each frame libslirp sent in
 * between must be the next one this stack sent, byte for byte. IPv6 (which this stack does not
 * serve) is left out; the replay stops at the first TCP frame, whose sequence numbers are random.
 */
function replayAgainstSlirp(frames: Uint8Array[]): number {
  const unexpected = () => { throw new Error("no host sockets are needed before the first TCP frame"); };
  const host: UserNetHost = {
    connectTcp: unexpected, listenTcp: unexpected, openUdp: unexpected,
    setTimer: () => ({ cancel: () => {} }), dnsServer: () => undefined,
  };
  const net = new UserNetwork(defaultUserNetConfig(), host);
  const ours: Uint8Array[] = [];
  net.deliverToGuest = (f) => ours.push(f.slice());
  const hex = (f: Uint8Array) => Buffer.from(f).toString("hex");
  const guestMac = hex(frames[0].subarray(6, 12));
  let compared = 0;
  for (const f of frames) {
    const type = (f[12] << 8) | f[13];
    if (type === 0x86dd) continue;
    if (type === 0x0800 && f[14 + 9] === 6) break;
    if (hex(f.subarray(6, 12)) === guestMac) { net.sendFromGuest(f); continue; }
    const mine = ours.shift();
    assert.ok(mine, `this stack sent nothing where libslirp sent ${hex(f)}`);
    assert.equal(hex(mine), hex(f), "the same frame as libslirp's");
    compared++;
  }
  assert.deepEqual(ours.map(hex), [], "nothing more than libslirp sent");
  net.close();
  return compared;
}

/** Connect through the forwarding rule once the guest says it listens; the guest's answer, or why not. */
function talkThrough(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    let got = "";
    const timer = setTimeout(() => { s.destroy(); resolve(`(no answer) ${got}`); }, 30000);
    s.on("connect", () => s.write("hello from the host\n"));
    s.on("data", (d) => { got += d.toString(); });
    s.on("error", (e) => { clearTimeout(timer); resolve(`(error ${e.message}) ${got}`); });
    s.on("close", () => { clearTimeout(timer); resolve(got); });
  });
}

test("Linux on -netdev user: DHCP, ping, HTTP from the host and a hostfwd connection in; same console text as QEMU", {
  skip, timeout: (QEMU_TIMEOUT_S + TESSERA_TIMEOUT_S + 120) * 1000,
}, async (t) => {
  // Text, so that the guest's sed can strip the headers: 300 kB of numbered lines.
  const big = Array.from({ length: 10000 }, (_, i) => `line ${String(i).padStart(5, "0")} of the big file from the host\n`).join("").slice(0, 300_000);
  const http = createHttpServer((req, res) => {
    if (req.url === "/hello") { res.end("hello from the host\n"); return; }
    if (req.url === "/big") { res.end(big); return; }
    res.statusCode = 404; res.end();
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
  t.after(() => http.close());
  const httpPort = (http.address() as { port: number }).port;
  const greeting = new TextEncoder().encode(Array.from({ length: 40 }, (_, i) => `greeting line ${i} over TFTP\n`).join(""));
  const tftp = await tftpServer(greeting);
  t.after(() => tftp.close());
  const dir = mkdtempSync(join(tmpdir(), "tessera-usernet-"));
  const image = initrd(guests!, dir);
  const texts: string[] = [];
  const pcap = join(dir, "qemu.pcap");
  for (const emulator of ["qemu", "tessera"] as const) {
    const fwdPort = await freePortRange(1);
    const capture = emulator === "qemu" ? ["-object", `filter-dump,id=f0,netdev=n0,file=${pcap}`] : [];
    let answer: Promise<string> | undefined;
    const r = await runLinux(emulator, {
      kernel: guests!.kernel, initrd: image, smp: 1, timeoutMs: (emulator === "qemu" ? QEMU_TIMEOUT_S : TESSERA_TIMEOUT_S) * 1000, markers: [BEGIN_MARKER, END_MARKER],
      append: `console=ttyAMA0 panic=-1 net.http=${httpPort} net.tftp=${tftp.address().port}`,
      extraArgs: ["-nodefaults", "-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${fwdPort}-:8080`, "-device", "virtio-net-device,netdev=n0", ...capture],
      onStdout: (out) => { if (!answer && out.includes("guest listening on 8080")) answer = talkThrough(fwdPort); },
    });
    const text = workloadText(r.stdout);
    assert.ok(text, `${emulator} did not run the workload\n${tail(r)}`);
    assert.ok(answer, `${emulator}: the guest never listened\n${tail(r)}`);
    assert.equal(await answer, "guest got: hello from the host\n", `${emulator}: the host's connection through hostfwd got the guest's answer`);
    texts.push(text);
    if (emulator === "qemu") {
      // What the workload must show at all, checked on QEMU's run.
      assert.match(text, /^lease 10\.0\.2\.15\/24 router 10\.0\.2\.2 dns 10\.0\.2\.3 lease 86400 server 10\.0\.2\.2$/m);
      assert.match(text, /^nameserver 10\.0\.2\.3$/m);
      assert.match(text, /1 packets transmitted, 1 packets received/);
      assert.match(text, /^hello from the host$/m);
      assert.ok(text.includes(createHash("md5").update(big).digest("hex")), "the big file's checksum");
      assert.match(text, /^HTTP\/1\.1 404 Not Found\r?$/m);
      assert.match(text, /^greeting line 0 over TFTP$/m);
      assert.ok(text.includes(createHash("md5").update(greeting).digest("hex")), "the TFTP file's checksum");
      assert.match(text, /^handled: hello from the host$/m);
      // DHCP OFFER and ACK, the ARP reply for the gateway, the echo reply: at least four frames.
      assert.ok(replayAgainstSlirp(pcapFrames(pcap)) >= 4, "libslirp's DHCP, ARP and ICMP frames were compared");
    } else {
      assert.equal(text, texts[0], `workload output differs from QEMU's\n${tail(r, 10)}`);
      assert.equal(r.code, 0, tail(r));
    }
  }
});
