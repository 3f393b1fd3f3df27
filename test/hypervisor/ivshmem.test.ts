/**
 * ivshmem-plain between partitions (docs/hv-config.md): two partitions with an ivshmem-plain
 * on the same shared physical memory area, and a third with one read-only, each driven as its
 * guest's PCI code would through its own stage-2 view (the emulated-device path), in-process:
 * ECAM enumeration finds 1af4:1110 at 00:01.0, BAR2 sizes to the area, and a store through one
 * partition's BAR2 is what the other reads through its own and what the board's RAM holds,
 * while the read-only one's stores change nothing. Config errors are one line each.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { VIRT } from "../../src/boards/virt/memory-map.js";
import { PREBUILT_HELLO } from "../harness/paths.js";

const SHM_PA = 0x5800_0000, SHM_SIZE = 0x10_0000;

function configText(shmSize = SHM_SIZE, shared = true): string {
  const part = (name: string, cpu: number, pa: string, extra = "") => `
    ${name} { compatible = "partition"; cpus = <${cpu} 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&${pa}>; guest-addr = <0x0 0x40000000>; };
      shm0 { compatible = "ivshmem-plain"; phys-mem = <&shm>; ${extra} }; };`;
  return `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x20000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x04000000>; };
  pc: pc { compatible = "phys-mem-area"; addr = <0x0 0x54000000>; size = <0x0 0x04000000>; };
  shm: shm { compatible = "phys-mem-area"; addr = <0x0 ${SHM_PA}>; size = <0x0 ${shmSize}>; ${shared ? "shared;" : ""} };
  partitions {${part("a", 0, "pa")}${part("b", 1, "pb")}${part("c", 2, "pc", "read-only;")}
  };
};
`;
}

function check(text: string) {
  return checkHvConfig(compileDts(new TextEncoder().encode(text), { fileName: "ivshmem.dts" }), "ivshmem.dts", "/", { fileSize: () => 10000, hasDevice: () => true });
}

function hypervisor(): Hypervisor {
  const r = check(configText());
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const hv = new Hypervisor(r.config, { readImage: () => new Uint8Array(16), consoleOutput: () => {}, event: () => {}, dtbToDts: () => "" });
  hv.bootAll();
  return hv;
}

/** Partition k's PCI code: ECAM and the windows through its emulated-device path. */
function pci(hv: Hypervisor, k: number) {
  const p = hv.parts[k];
  const ecam = (reg: number) => VIRT.PCIE_ECAM_HIGH + (1 << 15) + reg; // 00:01.0
  const r = (ipa: number, size = 4) => { const x = p.access(ipa, size, false, 0n, 0); assert.ok(x.ok); return Number(x.value); };
  const w = (ipa: number, v: number, size = 4) => assert.ok(p.access(ipa, size, true, BigInt(v >>> 0), 0).ok);
  return { r, w, ecam };
}

test("partitions with an ivshmem-plain on one shared area see each other's stores; a read-only one changes nothing", () => {
  const hv = hypervisor();
  const bars: number[] = [];
  for (let k = 0; k < 3; k++) {
    const { r, w, ecam } = pci(hv, k);
    assert.equal(r(ecam(0)), 0x11101af4, "ivshmem-plain at 00:01.0");
    assert.equal(r(ecam(0x08)) >>> 8, 0x050000, "class: RAM");
    w(ecam(0x18), 0xffffffff); w(ecam(0x1c), 0xffffffff);
    assert.equal(r(ecam(0x18)), (~(SHM_SIZE - 1) | 0xc) >>> 0, "BAR2: the area's size, 64-bit prefetchable");
    // Each partition puts BAR2 somewhere else in its high window.
    const bar = VIRT.PCIE_MMIO_HIGH + k * SHM_SIZE;
    bars.push(bar);
    w(ecam(0x18), bar % 2 ** 32); w(ecam(0x1c), Math.floor(bar / 2 ** 32));
    w(ecam(0x04), 0x2, 2);
  }
  const [a, b, c] = [0, 1, 2].map((k) => pci(hv, k));
  a.w(bars[0] + 0x100, 0x12345678);
  assert.equal(b.r(bars[1] + 0x100), 0x12345678, "b reads a's store");
  assert.equal(c.r(bars[2] + 0x100), 0x12345678, "so does the read-only c");
  b.w(bars[1] + 0x104, 0xab, 1);
  assert.equal(a.r(bars[0] + 0x104, 1), 0xab);
  c.w(bars[2] + 0x100, 0xdeadbeef);
  assert.equal(a.r(bars[0] + 0x100), 0x12345678, "c's store was dropped");
  assert.equal(Number(hv.board.bus.read(SHM_PA + 0x100, 4, 0)), 0x12345678, "the board's RAM holds it");
  assert.equal(a.r(bars[0] + SHM_SIZE - 4), 0, "the last word of the BAR");
});

test("config errors of ivshmem-plain: an area of no power-of-two size, an unshared area, an unknown property", () => {
  const bad = (text: string, pattern: RegExp) => {
    const r = check(text);
    assert.ok(!r.ok, "accepted");
    assert.ok(r.problems.some((p) => pattern.test(p.message)), JSON.stringify(r.problems));
  };
  bad(configText(0x30_0000), /must be a power of two of at most 4 GiB to be an ivshmem BAR/);
  bad(configText(SHM_SIZE, false), /phys-mem-area shm is used by a and b and c: mark it "shared;"/);
  bad(configText().replace('shm0 { compatible = "ivshmem-plain"; phys-mem = <&shm>;', 'shm0 { compatible = "ivshmem-plain"; phys-mem = <&pa>; colour = "red";'), /unknown property 'colour'/);
});
