/**
 * `tessera mkinitramfs` given bad input of every kind: one line "tessera: ..." on stderr and
 * exit 2, never a stack trace, an internal error, a hang or a read without bound. Each case runs
 * the CLI as a child process with a spawn timeout, so a hang shows as a failure, not a stuck run.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readNewc, S_IFDIR, S_IFMT, S_IFREG, S_IFSOCK } from "../../src/initramfs/cpio.js";

const main = join(process.cwd(), "dist", "src", "cli", "main.js");
/** Long enough for a slow shared machine; a hang (the bug) is killed here and fails the test. */
const TIMEOUT_MS = 20_000;

const work = mkdtempSync(join(tmpdir(), "tessera-mkinitramfs-"));
after(() => rmSync(work, { recursive: true, force: true }));

const busybox = join(work, "busybox");
writeFileSync(busybox, "\x7fELF fake");
const init = join(work, "init");
writeFileSync(init, "#!/bin/sh\n");

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path], { encoding: "utf8" });
  assert.equal(r.status, 0, `mkfifo: ${r.stderr}`);
}

function run(args: string[], wrap: string[] = []): SpawnSyncReturns<string> {
  const argv = [...wrap, process.execPath, main, "mkinitramfs", ...args];
  return spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
}

/** Exit 2 and exactly one line "tessera: ..." matching `pattern`, in words (no raw errno text). */
function assertOneLine(r: SpawnSyncReturns<string>, pattern: RegExp): void {
  assert.equal(r.signal, null, `killed by ${r.signal} after ${TIMEOUT_MS} ms: it did not finish\n${r.stderr}`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  assert.equal(lines.pop(), "", `stderr does not end in a newline: ${JSON.stringify(r.stderr)}`);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tessera: /);
  assert.doesNotMatch(r.stderr, /^ {4}at /m);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.doesNotMatch(r.stderr, /\bE[A-Z]{3,}\b/, "an errno code instead of words");
  assert.match(lines[0], pattern);
}

const bbArgs = (out: string): string[] => ["--busybox", busybox, "--init", init, "-o", out];

test("mkinitramfs: a device as --init or --add is refused without reading it", () => {
  const out = join(work, "dev.cpio.gz");
  assertOneLine(run(["--busybox", busybox, "--init", "/dev/zero", "-o", out]), /init script '\/dev\/zero'.*not a regular file \(a character device\)/);
  assertOneLine(run([...bbArgs(out), "--add", "/dev/zero:/z"]), /'\/dev\/zero'.*not a regular file \(a character device\)/);
  assertOneLine(run(["--busybox", "/dev/zero", "--init", init, "-o", out]), /busybox '\/dev\/zero'.*not a regular file/);
  assert.ok(!existsSync(out));
});

test("mkinitramfs: a FIFO as --init or --add is refused without waiting for a writer", () => {
  const fifo = join(work, "fifo-in");
  mkfifo(fifo);
  const out = join(work, "fifo.cpio.gz");
  assertOneLine(run(["--busybox", busybox, "--init", fifo, "-o", out]), /init script '.*fifo-in'.*not a regular file \(a FIFO\)/);
  assertOneLine(run([...bbArgs(out), "--add", `${fifo}:/etc/x`]), /'.*fifo-in'.*not a regular file \(a FIFO\)/);
});

/** Files that claim a size without taking disk space (sparse), to reach the size cap cheaply. */
function sparse(path: string, size: number): void {
  writeFileSync(path, "");
  truncateSync(path, size);
}

test("mkinitramfs: inputs that together pass the 2 GiB archive limit are refused before reading", () => {
  const tree = join(work, "big-tree");
  mkdirSync(tree);
  const gib = 2 ** 30;
  sparse(join(tree, "a"), 1.5 * gib);
  sparse(join(tree, "b"), 1.5 * gib);
  const out = join(work, "big.cpio.gz");
  assertOneLine(run([tree, "-o", out]), /too large.*2 GiB/);
  assertOneLine(run([...bbArgs(out), "--add", `${join(tree, "a")}:/a`, "--add", `${join(tree, "b")}:/b`]), /too large.*2 GiB/);
  // One file alone past the limit is refused too (Node could not read it into one buffer anyway).
  sparse(join(work, "huge"), 3 * gib);
  assertOneLine(run([...bbArgs(out), "--add", `${join(work, "huge")}:/h`]), /too large/);
  assert.ok(!existsSync(out));
});

/**
 * Root reads any file whatever its mode, so as root the CLI runs as "nobody" to meet a file it
 * may not read; the tree lives in a world-accessible directory so that nobody can reach it.
 */
function unprivileged(): string[] | undefined {
  if (process.getuid?.() !== 0) return [];
  for (const [tool, args] of [["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups"]], ["runuser", ["-u", "nobody", "--"]]] as const) {
    const probe = spawnSync(tool, [...args, "true"]);
    if (probe.status === 0) return [tool, ...args];
  }
  return undefined;
}

test("mkinitramfs: a file or directory in the tree that cannot be read is one line", (t) => {
  const wrap = unprivileged();
  if (!wrap) {
    if (process.env.CI) assert.fail("running as root with neither setpriv nor runuser: cannot test an unreadable file");
    t.skip("running as root with neither setpriv nor runuser to drop privileges");
    return;
  }
  const base = mkdtempSync(join(tmpdir(), "tessera-unreadable-"));
  try {
    chmodSync(base, 0o777);
    const tree = join(base, "tree");
    mkdirSync(join(tree, "etc"), { recursive: true });
    chmodSync(tree, 0o755);
    chmodSync(join(tree, "etc"), 0o755);
    writeFileSync(join(tree, "etc", "shadow"), "secret\n");
    chmodSync(join(tree, "etc", "shadow"), 0o000);
    const out = join(base, "out.cpio.gz");
    assertOneLine(run([tree, "-o", out], wrap), /cannot read file '.*etc\/shadow': permission denied/);

    chmodSync(join(tree, "etc", "shadow"), 0o644);
    mkdirSync(join(tree, "root"));
    chmodSync(join(tree, "root"), 0o700);
    assertOneLine(run([tree, "-o", out], wrap), /cannot read directory '.*root': permission denied/);
    assert.ok(!existsSync(out));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("mkinitramfs: --add destinations that leave the root or name nothing are refused", () => {
  const out = join(work, "dest.cpio.gz");
  for (const dest of ["../../etc/x", "etc/../../x", "/..", "a/..", "", "/", ".", "./", "//"]) {
    const r = run([...bbArgs(out), "--add", `${init}:${dest}`]);
    assertOneLine(r, dest === "" ? /--add expects SRC:DEST/ : /--add destination/);
  }
  // A destination that ends in "/" names a directory, which a file would replace.
  assertOneLine(run([...bbArgs(out), "--add", `${init}:/etc/`]), /--add destination '\/etc\/'.*directory/);
  // One of the root's own members (here the busybox binary) or the same place twice.
  assertOneLine(run([...bbArgs(out), "--add", `${init}:/bin/busybox`]), /--add destination '\/bin\/busybox'.*already/);
  assertOneLine(run([...bbArgs(out), "--add", `${init}:/etc`]), /--add destination '\/etc'.*already/);
  assertOneLine(run([...bbArgs(out), "--add", `${init}:/x`, "--add", `${busybox}:x`]), /--add destination 'x'.*already/);
  assert.ok(!existsSync(out));
});

test("mkinitramfs: --add destinations are stored relative to the root, with their directories", () => {
  const out = join(work, "dest-ok.cpio.gz");
  const r = run([...bbArgs(out), "--add", `${init}:/etc/x`, "--add", `${init}:opt//tool/./run`]);
  assert.equal(r.status, 0, r.stderr);
  const entries = readNewc(new Uint8Array(gunzipSync(readFileSync(out))));
  const names = entries.map((e) => e.name);
  assert.ok(names.includes("etc/x"), names.join(" "));
  assert.ok(names.includes("opt/tool/run"), names.join(" "));
  for (const e of entries) assert.ok(!e.name.startsWith("/") && !e.name.split("/").includes(".."), e.name);
  // The kernel's unpacker does not create missing parents: opt and opt/tool come first.
  const at = (n: string): number => names.indexOf(n);
  assert.ok(at("opt") >= 0 && at("opt") < at("opt/tool") && at("opt/tool") < at("opt/tool/run"), names.join(" "));
  assert.equal(entries[at("opt/tool")].mode & S_IFMT, S_IFDIR);
  assert.equal(entries[at("opt/tool/run")].mode & S_IFMT, S_IFREG);
});

test("mkinitramfs: a socket in the tree is archived as a socket node", async () => {
  const tree = join(work, "sock-tree");
  mkdirSync(tree);
  writeFileSync(join(tree, "file"), "x");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(tree, "control"), resolve));
  try {
    const out = join(work, "sock.cpio.gz");
    const r = run([tree, "-o", out]);
    assert.equal(r.status, 0, r.stderr);
    const entries = readNewc(new Uint8Array(gunzipSync(readFileSync(out))));
    const sock = entries.find((e) => e.name === "control");
    assert.ok(sock, `no socket member in ${entries.map((e) => e.name).join(" ")}`);
    assert.equal(sock.mode & S_IFMT, S_IFSOCK);
    assert.equal(sock.data?.length ?? 0, 0);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("mkinitramfs: an output that cannot be written is one line in words", () => {
  assertOneLine(run(bbArgs(work)), /cannot write '.*': is a directory/);
  assertOneLine(run(bbArgs("/dev/full")), /cannot write '\/dev\/full': no space left on device/);
  assertOneLine(run(bbArgs(join(work, "missing", "out.cpio.gz"))), /cannot write '.*missing\/out\.cpio\.gz': .*does not exist/);
  assertOneLine(run(bbArgs("")), /output/);
});

test("mkinitramfs: an output FIFO that nobody reads is refused instead of waiting", () => {
  const fifo = join(work, "fifo-out");
  mkfifo(fifo);
  assertOneLine(run(bbArgs(fifo)), /cannot write '.*fifo-out': a FIFO that nobody reads/);
});
