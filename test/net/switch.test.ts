/**
 * The partitions' learning switch (src/net/switch.ts) and QEMU's stream framing
 * (src/net/stream-framing.ts), on frames made here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAC_TABLE_SIZE, VirtualSwitch } from "../../src/net/switch.js";
import { frameForStream, StreamDeframer, STREAM_MAX_FRAME } from "../../src/net/stream-framing.js";
import { parseMac } from "../../src/devices/virtio/net.js";

const frame = (dest: string, src: string, tag = 0) => Uint8Array.from([...parseMac(dest)!, ...parseMac(src)!, 0x08, 0x06, tag]);

function switchWith(n: number) {
  const sw = new VirtualSwitch("lan");
  const got: Uint8Array[][] = [];
  const ports = Array.from({ length: n }, (_, i) => {
    const p = sw.addPort(`p${i}`);
    got.push([]);
    p.deliverToGuest = (f) => got[i].push(f);
    return p;
  });
  return { sw, ports, got };
}

test("broadcast and unknown unicast flood to every other port; learnt addresses go to one port", () => {
  const { sw, ports, got } = switchWith(3);
  const A = "52:54:00:00:00:0a", B = "52:54:00:00:00:0b";
  ports[0].sendFromGuest(frame("ff:ff:ff:ff:ff:ff", A));
  assert.deepEqual(got.map((g) => g.length), [0, 1, 1]);
  ports[1].sendFromGuest(frame(A, B));
  assert.deepEqual(got.map((g) => g.length), [1, 1, 1], "A was learnt on port 0");
  ports[0].sendFromGuest(frame(B, A));
  assert.deepEqual(got.map((g) => g.length), [1, 2, 1], "B was learnt on port 1");
  ports[2].sendFromGuest(frame("52:54:00:00:00:0c", A));
  assert.equal(sw.portOf(parseMac(A)!), ports[2], "A moved to port 2");
  assert.deepEqual(got.map((g) => g.length), [2, 3, 1], "unknown destination: flooded");
  ports[1].sendFromGuest(frame(A, B));
  assert.deepEqual(got.map((g) => g.length), [2, 3, 2]);
});

test("frames are copies; runts, disabled ports and a station on the sender's own port get nothing", () => {
  const { sw, ports, got } = switchWith(2);
  const f = frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:0a");
  ports[0].sendFromGuest(f);
  f[14] = 99;
  assert.equal(got[1][0][14], 0, "the sender changing its buffer changes nothing delivered");
  ports[0].sendFromGuest(new Uint8Array(13));
  assert.equal(sw.runts, 1);
  ports[1].enabled = false;
  ports[0].sendFromGuest(frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:0a"));
  assert.equal(got[1].length, 1);
  ports[1].enabled = true;
  ports[0].sendFromGuest(frame("52:54:00:00:00:0a", "52:54:00:00:00:0a"));
  assert.equal(got[1].length, 1, "to a station learnt on the sending port: not forwarded");
  sw.forgetPort(ports[0]);
  assert.equal(sw.portOf(parseMac("52:54:00:00:00:0a")!), undefined);
});

test("a guest making up source addresses cannot grow the MAC table past its size", () => {
  const { sw, ports } = switchWith(2);
  const f = frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:00");
  for (let i = 0; i < MAC_TABLE_SIZE + 100; i++) {
    f[8] = i >> 16; f[9] = (i >> 8) & 0xff; f[10] = 0; f[11] = i & 0xff;
    ports[0].sendFromGuest(f);
  }
  let learnt = 0;
  for (let i = 0; i < MAC_TABLE_SIZE + 100; i++) {
    if (sw.portOf(Uint8Array.of(2, 0, i >> 16, (i >> 8) & 0xff, 0, i & 0xff))) learnt++;
  }
  assert.equal(learnt, MAC_TABLE_SIZE);
});

test("stream framing: 4-byte big-endian lengths, frames split and joined across chunks", () => {
  const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(1500).fill(7), Uint8Array.of(9)];
  const wire = Uint8Array.from(frames.flatMap((f) => [...frameForStream(f)]));
  assert.deepEqual([...wire.subarray(0, 4)], [0, 0, 0, 3]);
  for (const step of [1, 3, 5, 1000, wire.length]) {
    const d = new StreamDeframer();
    const out: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += step) assert.equal(d.push(wire.subarray(i, i + step), (f) => out.push(f)), "ok");
    assert.deepEqual(out, frames, `chunks of ${step}`);
  }
  const d = new StreamDeframer();
  const huge = new Uint8Array(4);
  new DataView(huge.buffer).setUint32(0, STREAM_MAX_FRAME + 1, false);
  assert.equal(d.push(huge, () => assert.fail("no frame")), "too-large");
});
