/**
 * -netdev socket / stream / dgram and -device virtio-net-device on the command line: bad
 * options, a port in use and a refused connection are one line and exit 2; and the host
 * sockets behind them (src/cli/net-sockets.ts) carry frames both ways with QEMU's framing,
 * survive a peer that hangs up or sends an impossible length, and ignore strangers' datagrams.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer, connect, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import assert from "node:assert/strict";
import { expectOneLineError } from "./expect.js";
import { openSocketNetdev } from "../../src/cli/net-sockets.js";
import { parseNetdev } from "../../src/cli/netdev-args.js";
import { frameForStream } from "../../src/net/stream-framing.js";
import { freePortRange } from "../harness/ports.js";
import { PREBUILT_HELLO, TESSERA_CLI } from "../harness/paths.js";

function run(args: string[]) {
  return spawnSync(process.execPath, [TESSERA_CLI, "run", "-kernel", PREBUILT_HELLO, ...args], { encoding: "utf8", input: "", timeout: 30000 });
}

/** Asynchronously, for tests that hold a socket open in this process while tessera runs. */
function runAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [TESSERA_CLI, "run", "-kernel", PREBUILT_HELLO, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    c.stdout.on("data", (d) => { stdout += d; });
    c.stderr.on("data", (d) => { stderr += d; });
    c.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const bad: [string[], RegExp][] = [
  [["-netdev", "socket,id=n0"], /exactly one of listen= and connect=/],
  [["-netdev", "socket,id=n0,listen=127.0.0.1:99999"], /invalid port '99999'/],
  [["-netdev", "socket,id=n0,connect=:1234"], /has no host/],
  [["-netdev", "socket,id=n0,udp=127.0.0.1:1234"], /localaddr= is mandatory/],
  [["-netdev", "socket,id=n0,mcast=230.0.0.1:1234"], /mcast= is not supported/],
  [["-netdev", "socket,listen=:1234"], /Parameter 'id' is missing/],
  [["-netdev", "stream,id=n0,server=on"], /addr\.type' is missing/],
  [["-netdev", "stream,id=n0,server=maybe,addr.type=inet,addr.host=x,addr.port=1"], /expects 'on' or 'off'/],
  [["-netdev", "stream,id=n0,addr.type=inet,addr.host=127.0.0.1"], /addr\.port' is missing/],
  [["-netdev", "stream,id=n0,addr.type=vsock,addr.cid=3"], /does not accept value 'vsock'/],
  [["-netdev", "dgram,id=n0,remote.type=inet,remote.host=230.0.0.1,remote.port=5,local.type=inet,local.host=0.0.0.0,local.port=5"], /multicast/],
  [["-netdev", "dgram,id=n0,local.type=unix,local.path=/tmp/x"], /unix datagram/],
  [["-netdev", "tap,id=n0"], /'tap' is not supported/],
  [["-netdev", "frob,id=n0"], /does not accept value 'frob'/],
  [["-netdev", "socket,id=n0,listen=:1,bogus=1"], /Invalid parameter 'bogus'/],
  [["-netdev", "socket,id=n0,listen=127.0.0.1:1", "-netdev", "socket,id=n0,listen=127.0.0.1:2"], /Duplicate ID 'n0'/],
  [["-device", "virtio-net-device,netdev=nowhere"], /can't find value 'nowhere'/],
  [["-device", "virtio-net-device,mac=52:54:00:zz:00:01"], /doesn't take value/],
  [["-device", "virtio-net-device,mac=01:00:5e:00:00:01"], /multicast address/],
  [["-device", "virtio-net-device,vhost=on"], /Property 'virtio-net-device.vhost' not found/],
  [["-netdev", "socket,id=n0,listen=127.0.0.1:1", "-device", "virtio-net-device,netdev=n0", "-device", "virtio-net-device,netdev=n0"], /it's in use/],
];
for (const [args, pattern] of bad) test(`bad: ${args.join(" ")}`, () => expectOneLineError(run(args), pattern, args.join(" ")));

test("a port in use is one line and exit 2", async () => {
  const port = await freePortRange(1);
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(port, "127.0.0.1", r));
  try {
    const r = await runAsync(["-netdev", `socket,id=n0,listen=127.0.0.1:${port}`, "-device", "virtio-net-device,netdev=n0"]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^tessera: -netdev socket,id=n0,listen=127.0.0.1:${port}: can't bind 127.0.0.1:${port}: Address already in use\n$`));
  } finally {
    holder.close();
  }
});

test("a refused connection is one line and exit 2", async () => {
  const port = await freePortRange(1);
  expectOneLineError(run(["-netdev", `stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${port}`, "-device", "virtio-net-device,netdev=n0"]),
    /can't connect to 127\.0\.0\.1:\d+: Connection refused/, "connect");
});

test("a NIC without a netdev and a netdev without a NIC are warnings, as in QEMU; the guest runs", async () => {
  const port = await freePortRange(1);
  const r = await runAsync(["-device", "virtio-net-device", "-netdev", `socket,id=lone,listen=127.0.0.1:${port}`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: nic virtio-net-device\.0 has no peer/);
  assert.match(r.stderr, /warning: netdev lone has no peer/);
  assert.match(r.stdout, /Hello/i);
});

const until = (p: () => boolean) => new Promise<void>((resolve) => { const t = setInterval(() => { if (p()) { clearInterval(t); resolve(); } }, 5); });

test("stream sockets: frames both ways, a hang-up and an impossible length, and the next peer", { timeout: 20000 }, async () => {
  const port = await freePortRange(1);
  const warnings: string[] = [];
  const server = await openSocketNetdev(parseNetdev(`socket,id=s,listen=127.0.0.1:${port}`), (w) => warnings.push(w));
  const client = await openSocketNetdev(parseNetdev(`stream,id=c,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${port}`), () => {});
  const atServer: Uint8Array[] = [], atClient: Uint8Array[] = [];
  server.deliverToGuest = (f) => atServer.push(f);
  client.deliverToGuest = (f) => atClient.push(f);
  try {
    await new Promise((r) => setTimeout(r, 50));
    const big = new Uint8Array(9000).map((_, i) => i & 0xff);
    client.sendFromGuest(Uint8Array.of(1, 2, 3));
    client.sendFromGuest(big);
    server.sendFromGuest(Uint8Array.of(4, 5));
    await until(() => atServer.length === 2 && atClient.length === 1);
    assert.deepEqual(atServer, [Uint8Array.of(1, 2, 3), big]);
    assert.deepEqual(atClient, [Uint8Array.of(4, 5)]);
    // The client hangs up: its later frames go nowhere, and the server takes a new peer.
    client.close!();
    client.sendFromGuest(Uint8Array.of(9));
    const peer: Socket = await new Promise((resolve) => {
      const attempt = () => { const s = connect(port, "127.0.0.1"); s.once("connect", () => resolve(s)); s.once("error", () => setTimeout(attempt, 20)); };
      attempt();
    });
    const fromServer: Buffer[] = [];
    peer.on("data", (d) => fromServer.push(d));
    // The first peer's close may still be on its way: wait until the new peer is the one connected.
    await until(() => { if (fromServer.length === 0) server.sendFromGuest(Uint8Array.of(7)); return fromServer.length > 0; });
    assert.deepEqual([...fromServer[0].subarray(0, 5)], [0, 0, 0, 1, 7]);
    peer.write(frameForStream(Uint8Array.of(8, 8)));
    await until(() => atServer.length === 3);
    assert.deepEqual(atServer[2], Uint8Array.of(8, 8));
    const closed = new Promise((r) => peer.once("close", r));
    peer.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff));
    await closed;
    assert.match(warnings.join("\n"), /longer than 69632 bytes; connection closed/);
  } finally {
    client.close?.();
    server.close?.();
  }
});

test("datagram sockets: a frame per datagram between two peers, strangers ignored", { timeout: 20000 }, async () => {
  const base = await freePortRange(3);
  const a = await openSocketNetdev(parseNetdev(`socket,id=a,udp=127.0.0.1:${base + 1},localaddr=127.0.0.1:${base}`), () => {});
  const b = await openSocketNetdev(parseNetdev(`dgram,id=b,local.type=inet,local.host=127.0.0.1,local.port=${base + 1},remote.type=inet,remote.host=127.0.0.1,remote.port=${base}`), () => {});
  const atA: Uint8Array[] = [], atB: Uint8Array[] = [];
  a.deliverToGuest = (f) => atA.push(f);
  b.deliverToGuest = (f) => atB.push(f);
  const stranger = createSocket("udp4");
  try {
    await new Promise<void>((r) => stranger.bind(base + 2, "127.0.0.1", r));
    stranger.send(Uint8Array.of(6, 6, 6), base, "127.0.0.1");
    a.sendFromGuest(Uint8Array.of(1, 1));
    b.sendFromGuest(Uint8Array.of(2, 2, 2));
    await until(() => atA.length >= 1 && atB.length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(atB, [Uint8Array.of(1, 1)]);
    assert.deepEqual(atA, [Uint8Array.of(2, 2, 2)], "the stranger's datagram is not a frame");
  } finally {
    stranger.close();
    a.close?.();
    b.close?.();
  }
});
