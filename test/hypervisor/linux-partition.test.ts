/**
 * Debian's Linux in a partition beside a bare-metal one: the busybox workload of the Linux
 * test (tests/linux/init.sh) prints, between its markers, exactly what it prints under
 * qemu-system-aarch64 alone on a virt machine of the partition's size (512 MiB, 1 CPU, GICv3),
 * and the bare-metal partition prints what QEMU prints for hello alone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_HINT } from "../../src/cli/guests.js";
import { BEGIN_MARKER, END_MARKER, findGuests, runLinux, tail, workloadInitrd, workloadText } from "../harness/linux.js";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { runQemu } from "../harness/emulators.js";
import { oracleMissing } from "../harness/oracles.js";
import { TESSERA_CLI } from "../harness/paths.js";
import { linuxBesideBareMetal } from "../harness/hypervisor.js";

const guests = findGuests();
const skip = oracleMissing(!guests ? `Linux guest cache missing: ${FETCH_HINT}` : missingTools() ?? false);

test("Linux in a partition beside a bare-metal partition: each prints what QEMU prints alone", { skip, timeout: 900_000 }, async () => {
  buildGuests(["hello"]);
  const initrd = workloadInitrd(guests!);
  const dir = mkdtempSync(join(tmpdir(), "tessera-hv-linux-"));
  const config = join(dir, "linux.dts");
  // Without KASLR on both sides (dtb-randomness=off), so that QEMU's random seed cannot move MemTotal.
  writeFileSync(config, linuxBesideBareMetal(guests!.kernel, initrd, guestPath("hello"), { dtbRandomness: false }));
  const q = await runLinux("qemu", { kernel: guests!.kernel, initrd, smp: 1, memory: "512M", gicVersion: 3, dtbRandomness: false,
    markers: [BEGIN_MARKER, END_MARKER], timeoutMs: 180_000 });
  const qText = workloadText(q.stdout);
  assert.ok(qText, `QEMU did not run the workload\n${tail(q)}`);
  // Instruction time (-icount shift=4): vCPUs sharing one busy host thread must not look like
  // soft lockups to Linux, whose console output is compared.
  const r = spawnSync(process.execPath, [TESSERA_CLI, "hv", config, "-icount", "shift=4", "--watchdog", "800"], { encoding: "latin1", timeout: 850_000, input: "", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout.slice(-3000)}`);
  const of = (label: string) => r.stdout.split("\n").filter((l) => l.startsWith(`[${label}] `)).map((l) => l.slice(label.length + 3));
  const text = workloadText(of("p1-linux").join("\n") + "\n");
  assert.ok(text, `the Linux partition did not run the workload\n${of("p1-linux").slice(-20).join("\n")}`);
  assert.equal(text, qText, "the Linux partition's workload output differs from QEMU's");
  const hello = await runQemu(guestPath("hello"), { gicVersion: 3, memory: "128M" });
  assert.deepEqual(of("p2-hello"), hello.stdout.toString("latin1").replace(/\r/g, "").replace(/\n$/, "").split("\n"));
});
