/**
 * -cpu cortex-a53, cortex-a57 and cortex-a72 against QEMU 7.2's models of them: the device tree
 * the board generates (dumpdtb) and the identification registers the cpu-id guest prints at EL2
 * (tests/guests/cpu-id) must be QEMU's, except for the feature fields this CPU sets to what it
 * implements (src/cpu/cpu-models.ts): those are listed here with Tessera's value, which the
 * test checks too. The el2-traps guest prints the same bytes under each model. An unknown -cpu
 * is refused with QEMU's message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CPU_MODELS } from "../../src/cpu/cpu-models.js";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { describeExit, runQemu, runTessera, type RunOptions } from "../harness/emulators.js";
import { oracleMissing } from "../harness/oracles.js";
import { QEMU, TESSERA_CLI } from "../harness/paths.js";
import { commandExists } from "../harness/process.js";

const missing = missingTools() ?? (commandExists("dtc") ? null : "not installed: dtc");
const skip = oracleMissing(missing ? `the -cpu comparison needs QEMU, dtc and the cross compiler (${missing})` : false);
const dir = mkdtempSync(join(tmpdir(), "tessera-cpu-models-"));

/**
 * Registers whose value differs from QEMU's on purpose, for every model, and the value Tessera
 * gives instead: no AArch32 at any EL (ID_AA64PFR0 EL0-EL3 fields 1, the AArch32 ID registers
 * zero), no crypto extension (ID_AA64ISAR0: CRC32 only), and in ID_AA64MMFR0 the 16K granule
 * (which this MMU has), no mixed endianness, no SNSMem. ID_AA64MMFR0's PARange (bits [3:0]) is
 * not among them: it must be QEMU's (40 bits on the A53, 44 on the A57 and A72), and the model
 * table's.
 */
const AARCH32_IDS = ["ID_PFR0_EL1", "ID_PFR1_EL1", "ID_DFR0_EL1", "ID_MMFR0_EL1", "ID_MMFR1_EL1", "ID_MMFR2_EL1",
  "ID_MMFR3_EL1", "ID_ISAR0_EL1", "ID_ISAR1_EL1", "ID_ISAR2_EL1", "ID_ISAR3_EL1", "ID_ISAR4_EL1", "ID_ISAR5_EL1",
  "MVFR0_EL1", "MVFR1_EL1", "MVFR2_EL1"];
const TESSERA_VALUES: Record<string, bigint> = {
  ID_AA64PFR0_EL1: 0x01000111n, // with virtualization=on, gic-version=3: EL2 present, GIC system registers
  ID_AA64ISAR0_EL1: 0x00010000n,
  ID_AA64MMFR0_EL1: 0x00100020n, // | PARange, which is QEMU's
  ...Object.fromEntries(AARCH32_IDS.map((n) => [n, 0n])),
};

function parse(text: string): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of text.split("\n")) {
    const r = /^(\S+)\s+([0-9a-f]{16})$/.exec(line.trim());
    if (r) m.set(r[1], BigInt(`0x${r[2]}`));
  }
  return m;
}

describe("-cpu models: QEMU 7.2 vs Tessera", { skip }, () => {
  before(() => { buildGuests(["cpu-id", "el2-traps"]); });

  for (const model of CPU_MODELS) {
    const run: RunOptions = { cpu: model.name, gicVersion: 3, virtualization: true, smp: 2 };

    test(`${model.name}: the identification registers are QEMU's (but for the declared feature fields)`, async () => {
      const q = await runQemu(guestPath("cpu-id"), { ...run, timeoutMs: 30000 });
      assert.ok(!q.timedOut && q.code === 0, describeExit(q));
      const t = await runTessera(guestPath("cpu-id"), { ...run, timeoutMs: 60000 });
      assert.ok(!t.timedOut && t.code === 0, `${describeExit(t)}\n${t.stderr}`);
      const qt = q.stdout.toString("latin1"), tt = t.stdout.toString("latin1");
      assert.ok(qt.includes("cpu-id: done") && tt.includes("cpu-id: done"), `incomplete output:\n${qt}\n---\n${tt}`);
      const qemu = parse(qt), ours = parse(tt);
      assert.equal(qemu.get("MIDR_EL1"), BigInt(model.midr), "QEMU's MIDR_EL1 is the model table's");
      assert.deepEqual([...ours.keys()], [...qemu.keys()], "the same registers printed");
      const hex = (v: bigint | undefined) => v === undefined ? "missing" : `0x${v.toString(16)}`;
      assert.equal(Number((qemu.get("ID_AA64MMFR0_EL1") ?? 0n) & 0xfn), model.paRange, "QEMU's PARange is the model table's");
      for (const [name, want] of qemu) {
        let expected = TESSERA_VALUES[name] ?? want;
        if (name === "ID_AA64MMFR0_EL1") expected |= want & 0xfn;
        assert.equal(hex(ours.get(name)), hex(expected), `${name}: QEMU ${hex(want)}`);
      }
    });

    test(`${model.name}: the el2-traps guest prints QEMU's bytes`, async () => {
      const opts: RunOptions = { cpu: model.name, gicVersion: 3, virtualization: true };
      const q = await runQemu(guestPath("el2-traps"), { ...opts, timeoutMs: 30000 });
      const t = await runTessera(guestPath("el2-traps"), { ...opts, timeoutMs: 60000 });
      const qt = q.stdout.toString("latin1");
      assert.ok(qt.includes(`MIDR_EL1=${model.midr.toString(16).padStart(16, "0")}`) && qt.includes("el2-traps: done"), qt);
      assert.equal(t.stdout.toString("latin1"), qt, `${describeExit(t)}\n${t.stderr}`);
    });

    test(`${model.name}: the device tree is QEMU's`, () => {
      // A minimal arm64 Image (a branch-to-self, image_size 64 KiB, the magic): QEMU dumps the
      // DTB it makes for a Linux kernel.
      const image = new Uint8Array(4096);
      new DataView(image.buffer).setUint32(0, 0x14000000, true);
      new DataView(image.buffer).setBigUint64(16, 0x10000n, true);
      image.set([0x41, 0x52, 0x4d, 0x64], 0x38);
      const kernel = join(dir, "Image");
      writeFileSync(kernel, image);
      const dts = (cmd: string, pre: string[], tag: string) => {
        const out = join(dir, `${model.name}-${tag}.dtb`);
        const r = spawnSync(cmd, [...pre, "-M", `virt,gic-version=3,virtualization=on,dtb-randomness=off,dumpdtb=${out}`, "-cpu", model.name,
          "-smp", "4", "-m", "256M", "-nographic", "-net", "none", "-kernel", kernel], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        return execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", out], { encoding: "utf8" });
      };
      const qemu = dts(QEMU, [], "qemu");
      assert.ok(qemu.includes(`compatible = "${model.compatible}";`), `QEMU's /cpus say ${model.compatible}`);
      assert.equal(dts(process.execPath, [TESSERA_CLI, "run"], "tessera"), qemu);
    });
  }

  test("an unknown -cpu is refused with QEMU's message", () => {
    const q = spawnSync(QEMU, ["-M", "virt", "-cpu", "cortex-a99", "-nographic", "-net", "none"], { encoding: "utf8" });
    const t = spawnSync(process.execPath, [TESSERA_CLI, "run", "-M", "virt", "-cpu", "cortex-a99", "-nographic", "-net", "none",
      "-kernel", guestPath("cpu-id")], { encoding: "utf8" });
    assert.notEqual(q.status, 0);
    assert.notEqual(t.status, 0);
    const message = "unable to find CPU model 'cortex-a99'";
    assert.ok(q.stderr.includes(message), q.stderr);
    assert.equal(t.stderr.trim().split("\n").length, 1, t.stderr);
    assert.ok(t.stderr.includes(message), t.stderr);
  });
});
