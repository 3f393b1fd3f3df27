/**
 * Host I/O: guest output reaches a slow reader completely, as under QEMU; a closed pipe, a full
 * disk or an unwritable trace file end the run with one line and exit 1; inputs that never end
 * (devices, FIFOs) or cannot fit are refused before they are read.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, openSync, ftruncateSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeElf } from "../harness/elf.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";
import { qemuArgs } from "../harness/emulators.js";
import { assertPromise, runTesseraCli } from "../harness/promise.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-hostio-"));
const FLOOD_BYTES = 10_000_000;

/**
 * Writes FLOOD_BYTES to the PL011 (lines of 63 'A's, a newline every 64th byte), then PSCI
 * SYSTEM_OFF over HVC:
 *   mov x1, #0x9000000; ldr x2, =FLOOD_BYTES; mov w3, #'A'; mov w4, #'\n'
 * 1: and x5, x2, #63; cbnz x5, 2f; str w4, [x1]; b 3f
 * 2: str w3, [x1]
 * 3: subs x2, x2, #1; b.ne 1b
 *   mov x0, #0x84000000; add x0, x0, #8; hvc #0; b .
 */
function floodElf(): string {
  const words = [0xd2a12001, 0x580001e2, 0x52800823, 0x52800144, 0x92401445, 0xb5000065, 0xb9000024, 0x14000002,
    0xb9000023, 0xf1000442, 0x54ffff41, 0xd2b08000, 0x91002000, 0xd4000002, 0x14000000, 0x00000000, FLOOD_BYTES, 0];
  const image = new Uint8Array(words.length * 4);
  const view = new DataView(image.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  const path = join(dir, "flood.elf");
  writeFileSync(path, makeElf(image, 0x40080000n));
  return path;
}
const FLOOD = floodElf();
const RUN = ["run", "-kernel", FLOOD, "-nographic", "-net", "none"];

/** Run Tessera with stdout to a reader that waits `pauseMs` before it starts reading. */
function runWithSlowReader(pauseMs: number): Promise<{ code: number | null; bytes: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TESSERA_CLI, ...RUN], { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.pause();
    setTimeout(() => { child.stdout.on("data", (b: Buffer) => chunks.push(b)); child.stdout.resume(); }, pauseMs);
    child.stderr.on("data", (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120000);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, bytes: Buffer.concat(chunks), stderr }); });
  });
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("a slow reader gets every byte of a 10 MB guest flood, the same bytes as QEMU's, and exit 0", { timeout: 180000 }, async () => {
  const r = await runWithSlowReader(1500);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.equal(r.bytes.length, FLOOD_BYTES);
  const skip = oracleMissing(spawnSync(QEMU, ["--version"]).status === 0 ? false : `${QEMU} not installed`);
  if (skip) return;
  const q = spawnSync(QEMU, qemuArgs(FLOOD, {}), { maxBuffer: 64 << 20, timeout: 120000 });
  assert.equal(q.stdout.length, FLOOD_BYTES, "QEMU's output length");
  assert.equal(sha(r.bytes), sha(q.stdout));
});

test("a reader that goes away (| head -c 100): one line, exit 1, and the run stops", { timeout: 60000 }, async () => {
  const r = spawnSync("bash", ["-c", `"${process.execPath}" "${TESSERA_CLI}" ${RUN.map((a) => `'${a}'`).join(" ")} | head -c 100 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`],
    { encoding: "utf8", timeout: 50000 });
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^tessera: cannot write standard output: broken pipe/);
  assert.equal(lines[1], "status=1");
});

test("a full disk (>/dev/full): one line, exit 1", { skip: process.platform !== "linux" && "needs /dev/full" }, async () => {
  const r = spawnSync("bash", ["-c", `"${process.execPath}" "${TESSERA_CLI}" ${RUN.map((a) => `'${a}'`).join(" ")} >/dev/full`],
    { encoding: "utf8", timeout: 50000 });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tessera: cannot write standard output: no space left on device/);
});

test("a trace file on a full disk (-d exec -D /dev/full): one line, exit 1", { skip: process.platform !== "linux" && "needs /dev/full" }, async () => {
  const r = await runTesseraCli([...RUN, "-d", "exec", "-D", "/dev/full"]);
  assertPromise(r, "-D /dev/full", { codes: [1], message: /^tessera: cannot write log file '\/dev\/full': no space left on device$/ });
  assert.equal(r.stderr.split("\n").filter((l) => l !== "").length, 1, r.stderr);
});

const small = join(dir, "small.bin");
writeFileSync(small, new Uint8Array(16));
const fifo = join(dir, "fifo");
spawnSync("mkfifo", [fifo]);
const huge = join(dir, "huge.img");
{
  // A sparse 3 GiB file: larger than guest RAM and than one Node buffer, yet no disk used.
  const fd = openSync(huge, "w");
  ftruncateSync(fd, 3 * 1024 ** 3);
  closeSync(fd);
}

const endless: [string, string[], RegExp][] = [
  ["-kernel /dev/zero", ["-kernel", "/dev/zero"], /cannot read kernel '\/dev\/zero': not a regular file \(a character device\)/],
  ["-initrd /dev/zero", ["-kernel", small, "-initrd", "/dev/zero"], /cannot read initrd '\/dev\/zero': not a regular file/],
  ["-dtb /dev/urandom", ["-kernel", small, "-dtb", "/dev/urandom"], /cannot read device tree '\/dev\/urandom': not a regular file/],
  ["-kernel FIFO without a writer", ["-kernel", fifo], /cannot read kernel '.*fifo': not a regular file \(a FIFO\)/],
  ["-initrd of 3 GiB", ["-kernel", small, "-initrd", huge], /initrd '.*huge.img' is too large \(3221225472 bytes; at most \d+ bytes fit in 128 MiB of guest RAM\)/],
  ["-kernel larger than RAM", ["-kernel", huge, "-m", "256M"], /kernel '.*huge.img' is too large .* in 256 MiB of guest RAM/],
];
for (const [name, args, message] of endless) {
  test(`endless or oversized input is refused before reading: ${name}`, async () => {
    const r = await runTesseraCli(["run", ...args], { timeoutMs: 20000 });
    assertPromise(r, name, { codes: [2], message, maxRssMiB: 300 });
  });
}

// Every command writes its standard output through the same process host: the same one line.
const dts = join(dir, "a.dts");
writeFileSync(dts, `/dts-v1/;\n/ {\n${Array.from({ length: 20000 }, (_, i) => `  n${i} { p = <${i}>; };`).join("\n")}\n};\n`);
const commands: [string, string][] = [
  ["--help", "--help"],
  ["--version", "--version"],
  ["dtc", `dtc -O dts '${dts}'`],
  ["dtc (binary output)", `dtc '${dts}'`],
  ["mkinitramfs --help", "mkinitramfs --help"],
];
for (const [name, args] of commands) {
  for (const [sink, redirect] of [["a full disk", ">/dev/full"], ["a closed pipe", "| head -c 1 >/dev/null"]] as const) {
    if (sink === "a closed pipe" && !name.startsWith("dtc")) continue; // too short to outlive the reader
    test(`${name} to ${sink}: one line, exit 1`, { skip: process.platform !== "linux" && "needs /dev/full" }, () => {
      const r = spawnSync("bash", ["-c", `"${process.execPath}" "${TESSERA_CLI}" ${args} ${redirect}; echo "status=\${PIPESTATUS[0]}" >&2`],
        { encoding: "utf8", timeout: 30000 });
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0], /^tessera: cannot write standard output: (no space left on device|broken pipe)/);
      assert.equal(lines[1], "status=1");
    });
  }
}

/**
 * A terminal that goes away: the guest runs on a pseudo-terminal whose master side is closed
 * after a while, so the kernel hangs it up. Tessera must end with exit 1 and its one line, not
 * hang, die of SIGHUP, or abort while restoring the vanished terminal.
 */
const HANGUP = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", 'exec "$0" "$@" 2>"$ERR"'] + sys.argv[1:])
time.sleep(1.5)
os.close(fd)
deadline = time.time() + 20
while time.time() < deadline:
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        print("exit %d" % os.WEXITSTATUS(status) if os.WIFEXITED(status) else "signal %d" % os.WTERMSIG(status))
        sys.exit(0)
    time.sleep(0.05)
print("hung")
os.kill(pid, 9)
`;
const havePython = spawnSync("python3", ["--version"]).status === 0;
const spin = join(dir, "spin.bin");
writeFileSync(spin, new Uint8Array([0, 0, 0, 0x14])); // b .
for (const [name, kernel] of [["a silent guest", spin], ["a guest flooding its console", FLOOD]] as const) {
  test(`the terminal hangs up under ${name}: one line, exit 1`, { skip: oracleMissing(!havePython && "python3 (for a pseudo-terminal) not installed") }, () => {
    const err = join(dir, "hangup.err");
    const r = spawnSync("python3", ["-c", HANGUP, process.execPath, TESSERA_CLI, "run", "-kernel", kernel],
      { encoding: "utf8", timeout: 40000, env: { ...process.env, ERR: err } });
    assert.equal(r.stdout.trim(), "exit 1", r.stderr);
    const lines = readFileSync(err, "utf8").split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^tessera: cannot write standard output: (the terminal hung up|input\/output error \(the terminal went away\)); output is incomplete$/);
  });
}

test("a raw image behind a block device writes in place and gives its descriptor back on close, once", async () => {
  const { FileBlockBackend } = await import("../../src/cli/device-backends.js");
  const { readdirSync, readlinkSync } = await import("node:fs");
  const path = join(dir, "close.img");
  writeFileSync(path, new Uint8Array(4096));
  const holders = () => readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === path; } catch { return false; } }).length;
  const disk = FileBlockBackend.open({ id: "d", file: path, readOnly: false, snapshot: false }, true);
  assert.equal(holders(), 1);
  disk.write(512, Uint8Array.of(1, 2, 3));
  disk.close();
  disk.close();
  assert.equal(holders(), 0, "the image is closed");
  assert.deepEqual([...readFileSync(path).subarray(511, 516)], [0, 1, 2, 3, 0]);
});
