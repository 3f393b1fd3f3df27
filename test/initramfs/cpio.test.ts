/** newc cpio writer (Documentation/driver-api/early-userspace/buffer-format.rst) and the mkinitramfs command. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyboxRoot, readNewc, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, writeNewc } from "../../src/initramfs/cpio.js";

const enc = new TextEncoder();
const main = join(process.cwd(), "dist", "src", "cli", "main.js");

test("member layout: 110-byte header, name padded to 4, data padded to 4, trailer", () => {
  const bytes = writeNewc([{ name: "init", mode: S_IFREG | 0o755, data: enc.encode("hello") }]);
  const text = new TextDecoder("latin1").decode(bytes);
  assert.equal(text.slice(0, 6), "070701");
  // ino=1, mode=0x81ed, uid, gid, nlink=1, mtime, filesize=5, dev*, rdev*, namesize=5, check.
  assert.equal(text.slice(6, 110),
    "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000" + "00000005" +
    "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000");
  assert.equal(text.slice(110, 115), "init\0");
  assert.equal(text.slice(116, 121), "hello"); // 110 + 5 = 115, aligned up to 116
  assert.equal(text.slice(124, 130), "070701"); // 121 aligned up to 124: the trailer
  assert.ok(text.includes("TRAILER!!!\0"));
  assert.equal(bytes.length % 4, 0);
});

test("round trip of every member kind", () => {
  const entries = [
    { name: "dev", mode: S_IFDIR | 0o755 },
    { name: "dev/console", mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
    { name: "bin/sh", mode: S_IFLNK | 0o777, data: enc.encode("busybox") },
    { name: "a/b/odd-length-name", mode: S_IFREG | 0o644, data: new Uint8Array(1001).map((_, i) => i) },
    { name: "empty", mode: S_IFREG | 0o600 },
  ];
  const back = readNewc(writeNewc(entries));
  assert.equal(back.length, entries.length);
  for (const [i, e] of entries.entries()) {
    assert.equal(back[i].name, e.name);
    assert.equal(back[i].mode, e.mode);
    assert.deepEqual(Array.from(back[i].data ?? []), Array.from(e.data ?? []));
    assert.equal(back[i].rdevMajor, e.rdevMajor ?? 0);
    assert.equal(back[i].rdevMinor, e.rdevMinor ?? 0);
  }
});

test("fields that do not fit are refused", () => {
  assert.throws(() => writeNewc([{ name: "x", mode: S_IFREG | 0o644, mtime: 2 ** 33 }]), /mtime/);
  assert.throws(() => writeNewc([{ name: "d", mode: S_IFDIR | 0o755, data: enc.encode("x") }]), /not a file/);
});

test("damaged archives are reported", () => {
  const good = writeNewc([{ name: "f", mode: S_IFREG | 0o644, data: enc.encode("data") }]);
  assert.throws(() => readNewc(good.subarray(0, 50)), /truncated/);
  const bad = good.slice(); bad[0] = 0x41;
  assert.throws(() => readNewc(bad), /magic/);
});

test("busybox root has the console node, /init and /bin/sh", () => {
  const root = busyboxRoot(enc.encode("\x7fELF"), enc.encode("#!/bin/sh\n"));
  const names = root.map((e) => e.name);
  for (const n of ["dev/console", "init", "bin/busybox", "bin/sh", "proc", "sys"]) assert.ok(names.includes(n), n);
  const init = root.find((e) => e.name === "init")!;
  assert.equal(init.mode, S_IFREG | 0o755);
});

test("tessera mkinitramfs: directory and busybox modes, gzip output", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-cpio-"));
  const tree = join(dir, "tree");
  mkdirSync(join(tree, "etc"), { recursive: true });
  writeFileSync(join(tree, "etc", "motd"), "hi\n");
  writeFileSync(join(tree, "init"), "#!/bin/sh\n");
  chmodSync(join(tree, "init"), 0o755);
  symlinkSync("etc/motd", join(tree, "motd"));
  const out = join(dir, "a.cpio.gz");
  const r = spawnSync(process.execPath, [main, "mkinitramfs", tree, "-o", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const entries = readNewc(new Uint8Array(gunzipSync(readFileSync(out))));
  assert.deepEqual(entries.map((e) => e.name), ["etc", "etc/motd", "init", "motd"]);
  assert.equal(entries[2].mode, S_IFREG | 0o755);
  assert.equal(entries[3].mode, S_IFLNK | 0o777);
  assert.equal(new TextDecoder().decode(entries[3].data), "etc/motd");

  const bb = join(dir, "busybox");
  writeFileSync(bb, "\x7fELF fake");
  const out2 = join(dir, "b.cpio.gz");
  const r2 = spawnSync(process.execPath, [main, "mkinitramfs", "--busybox", bb, "--init", join(tree, "init"), "-o", out2], { encoding: "utf8" });
  assert.equal(r2.status, 0, r2.stderr);
  const names = readNewc(new Uint8Array(gunzipSync(readFileSync(out2)))).map((e) => e.name);
  assert.ok(names.includes("dev/console") && names.includes("init"));
  // Same input, same bytes.
  spawnSync(process.execPath, [main, "mkinitramfs", "--busybox", bb, "--init", join(tree, "init"), "-o", out2 + ".again"]);
  assert.deepEqual(readFileSync(out2), readFileSync(out2 + ".again"));
});

test("tessera mkinitramfs: mistakes are one line and exit 2", () => {
  const cases: [string[], RegExp][] = [
    [["mkinitramfs", "/nonexistent-dir", "-o", "/tmp/x"], /no such file/],
    [["mkinitramfs", "--busybox", "/nonexistent"], /no output/],
    [["mkinitramfs", "--busybox", "/nonexistent", "--init", "/nonexistent", "-o", "/tmp/x"], /cannot read busybox/],
    [["mkinitramfs", "-o", "/tmp/x"], /nothing to archive/],
  ];
  for (const [args, pattern] of cases) {
    const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
