/**
 * A device passed through: the partition reaches the board's device at its address through
 * stage 2 (no emulation), and the device's interrupt goes to the partition's own GIC at the
 * same INTID, not to the other partition's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { Access, type Translation } from "../../src/cpu/cpu.js";
import { translate } from "../../src/cpu/mmu.js";
import { PREBUILT_HELLO } from "../harness/paths.js";

function hypervisor() {
  const tree = compileDts(`/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x08000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x08000000>; };
  partitions {
    a { compatible = "partition"; cpus = <0 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; };
      rtc { device = "/pl031@9010000"; }; };
    b { compatible = "partition"; cpus = <1 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`, { fileName: "passthrough.dts" });
  const r = checkHvConfig(tree, "passthrough.dts", "/", { fileSize: () => 10000, hasDevice: () => true });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const hv = new Hypervisor(r.config, { readImage: () => new Uint8Array(16), consoleOutput: () => {}, event: () => {}, dtbToDts: () => "" },
    // Instruction time (-icount shift=4), so that advanceIdle moves the clock where the test says.
    { clock: { mode: "icount", shift: 4, sleep: true } });
  hv.bootAll();
  return hv;
}

const RTC_INTID = 32 + 2;
const pending = (hv: Hypervisor, k: number) => ((hv.parts[k].gic.distributor.read(0x200 + 4 * (RTC_INTID >> 5), 4, 0) >>> (RTC_INTID & 31)) & 1) === 1;

test("the passed-through RTC is the board's, at its own address, for partition a only", () => {
  const hv = hypervisor();
  const walk = (cpu: number, ipa: number) => {
    const out = { pa: 0, fault: -1, faultS2: false, cacheable: true } as Translation;
    translate(hv.board.cpus[cpu], ipa, 0, Access.Read, 1, out);
    return out;
  };
  const a = walk(0, 0x0901_0000);
  assert.equal(a.fault, -1, "partition a reaches the RTC through stage 2");
  assert.equal(a.pa, 0x0901_0000);
  assert.ok(walk(1, 0x0901_0000).faultS2, "partition b gets a stage-2 fault there (its own emulated RTC answers)");
});

test("the passed-through RTC's interrupt goes to its partition's GIC only", () => {
  const hv = hypervisor();
  // The RTC raises its interrupt when its counter reaches the match register: MR = DR + 1,
  // unmasked, then the board's clock moves into the next second.
  const rtc = hv.board.rtc;
  rtc.write(0x04, 4, rtc.read(0x00) + 1);      // RTCMR
  rtc.write(0x10, 4, 1);                       // RTCIMSC: unmask
  const f = hv.board.counterFrequency, now = hv.board.clock.now();
  hv.board.advanceIdle((Math.floor(now / f) + 1) * f + 1);
  assert.ok(pending(hv, 0), "pending on partition a's GIC");
  assert.ok(!pending(hv, 1), "not on partition b's");
});

test("a restarted partition gets fresh devices: its GIC forgets what the guest set up", () => {
  const hv = hypervisor();
  const gic = hv.parts[0].gic;
  gic.distributor.write(0x0, 4, 0x13, 0);                // GICD_CTLR: groups enabled, ARE
  assert.notEqual(gic.distributor.read(0x0, 4, 0) & 3, 0);
  assert.equal(hv.restart(1), undefined);
  assert.notEqual(hv.parts[0].gic, gic, "a new GIC model");
  assert.equal(hv.parts[0].gic.distributor.read(0x0, 4, 0) & 3, 0, "its distributor is reset");
  assert.equal(hv.parts[0].state, "running");
  assert.equal(hv.parts[1].gic.distributor.read(0x0, 4, 0) & 3, 0, "the other partition is untouched");
});
