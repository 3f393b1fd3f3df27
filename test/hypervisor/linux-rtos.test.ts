/**
 * The demo: Debian's Linux on two vCPUs beside the team's RTOS on one (examples/linux-rtos.dts),
 * exchanging commands by the ERIKA/Linux protocol: Linux writes a command into the shared
 * window with busybox devmem and rings the doorbell; the RTOS runs it, answers in the same
 * memory and rings back; the last command powers the RTOS off, then Linux powers off.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT, busyboxInitramfs } from "../../src/cli/guests.js";
import { findGuests } from "../harness/linux.js";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";
import { REPO_ROOT, TESSERA_CLI } from "../harness/paths.js";
import { linuxRtosDemo } from "../harness/hypervisor.js";

const guests = findGuests();
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : missingTools({ compiler: true, qemu: false }) ?? false);

test("Linux and the RTOS side by side, talking through shared memory and doorbells", { skip, timeout: 900_000 }, () => {
  buildGuests(["rtos-partition"]);
  const dir = mkdtempSync(join(tmpdir(), "tessera-demo-"));
  const initrd = join(dir, "client.cpio.gz");
  writeFileSync(initrd, busyboxInitramfs(guests!.busybox, readFileSync(join(REPO_ROOT, "tests", "linux", "rtos-client.sh")),
    { "bin/rtos": new Uint8Array(readFileSync(join(REPO_ROOT, "tests", "linux", "rtos-mailbox.sh"))) }));
  const config = join(dir, "linux-rtos.dts");
  writeFileSync(config, linuxRtosDemo(guests!.kernel, initrd, guestPath("rtos-partition")));
  // Instruction time (-icount shift=4): vCPUs sharing one busy host thread must not look like
  // soft lockups to Linux, whose console output is compared.
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "-icount", "shift=4", "--watchdog", "800"], { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
  const of = (label: string) => r.stdout.split("\n").filter((l) => l.startsWith(`[${label}] `)).map((l) => l.slice(label.length + 3));
  const linux = of("p1-linux").filter((l) => l.startsWith("linux: "));
  assert.deepEqual(linux, [
    "linux: talking to the RTOS through shared memory",
    "linux: 'led on' -> 0 'led on'",
    "linux: 'status' -> 0 'led on, blink 0, toggles 0'",
    "linux: 'echo hello from linux' -> 0 'hello from linux'",
    "linux: 'blink 3' -> 0 'blinking every 3 ticks'",
    "linux: 'bogus' -> -38 'unknown command: bogus'",
    "linux: 'blink 0' -> 0 'blinking off'",
    "linux: 'led off' -> 0 'led off'",
    "linux: 'status' -> 0 'led off, blink 0, toggles 0'",
    "linux: 'off' -> 0 'powering off'",
    "linux: done",
  ]);
  const rtos = of("p2-rtos");
  assert.equal(rtos.filter((l) => l.startsWith("rtos: mailbox #")).length, 9, rtos.join("\n"));
  assert.ok(rtos.includes("rtos: mailbox #3 'echo hello from linux' -> 0 'hello from linux'"), rtos.join("\n"));
  const hv = of("hv");
  assert.ok(hv.includes("p2-rtos: powered off") && hv.includes("p1-linux: powered off"), hv.join("\n"));
});
