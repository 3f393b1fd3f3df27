/**
 * The toolstack in process, on a real Hypervisor run slice by slice: xl create of a bare-metal
 * guest (a raw binary) into the CPUs and memory the config leaves free, its console output, list
 * and its state letters, pause and unpause, destroy freeing what it held, vcpu-pin before the
 * first start, the one-line refusals of what does not fit, and the shared XenStore as dom0
 * (read, write, chmod -r, watches, a domain's home going with it).
 */
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDts } from "../../src/devicetree/index.js";
import { checkHvConfig } from "../../src/hypervisor/config.js";
import { Hypervisor } from "../../src/hypervisor/hypervisor.js";
import { Toolstack, type DomainInfo, type ToolReply } from "../../src/hypervisor/toolstack.js";
import { PREBUILT_HELLO } from "../harness/paths.js";
import { buildGuests, guestPath, missingTools } from "../harness/guests.js";
import { oracleMissing } from "../harness/oracles.js";

const timerSkip = oracleMissing(missingTools({ compiler: true, qemu: false }) ?? false);

/** A bare-metal guest as raw A64 words (no assembler needed): prints "xl guest\n" on the PL011, then spins. */
function spinningGreeter(): Uint8Array {
  const text = "xl guest\n";
  const words: number[] = [
    0xd2a12001, // movz x1, #0x0900, lsl #16   (PL011 at 0x0900_0000)
  ];
  for (const ch of text) {
    words.push(0x52800002 | (ch.charCodeAt(0) << 5)); // movz w2, #ch
    words.push(0xb9000022); // str w2, [x1]
  }
  words.push(0x14000000); // b .
  const bytes = new Uint8Array(words.length * 4);
  const v = new DataView(bytes.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
  return bytes;
}

const CONFIG = `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <3>; memory-size = <0x0 0x20000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x40000000>; size = <0x0 0x04000000>; };
  partitions {
    base { compatible = "partition"; label = "base"; cpus = <0 1>; guest-image = "${PREBUILT_HELLO}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`;

function setup() {
  const result = checkHvConfig(compileDts(CONFIG, { fileName: "ts.dts" }), "ts.dts", "", { fileSize: () => 1000, hasDevice: () => true });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const out = new Map<number, string>();
  const events: string[] = [];
  const hv = new Hypervisor(result.config, {
    readImage: (path) => new Uint8Array(readFileSync(path)),
    consoleOutput: (id, bytes) => out.set(id, (out.get(id) ?? "") + new TextDecoder().decode(bytes)),
    event: (text) => events.push(text),
    dtbToDts: () => "",
  }, { clock: { mode: "icount", shift: 0, sleep: false } });
  const attached: string[] = [];
  const ts = new Toolstack(hv, {
    attachConsole: (id, write) => { attached.push(String(id)); write(new TextEncoder().encode(out.get(id) ?? "")); return { input: () => {}, detach: () => {} }; },
  });
  const run = (slices = 20) => { for (let i = 0; i < slices; i++) hv.run(20000); };
  return { hv, ts, out, events, run, attached };
}

const kernel = () => Buffer.from(spinningGreeter()).toString("base64");
const create = (ts: Toolstack, cfg: string, paused = false) => ts.request({ op: "create", file: "d.cfg", config: cfg, kernel: kernel(), paused });
const errorOf = (r: ToolReply) => (r.ok ? "(ok)" : r.error);
const list = (ts: Toolstack) => (ts.request({ op: "list" }) as unknown as { domains: DomainInfo[] }).domains;

test("xl create puts a raw binary into free CPUs and memory; it prints on its console; list, pause, unpause, destroy", () => {
  const { hv, ts, out, run } = setup();
  hv.bootAll();
  const r = create(ts, `name = "d1"\nkernel = "g.bin"\nmemory = 64\nvcpus = 1\n`);
  assert.ok(r.ok, errorOf(r));
  assert.equal(r.id, 2, "after the config's partition 1");
  assert.deepEqual(r.cpus, [1], "the first free CPU");
  assert.equal(r.ram, "0x44000000", "after the config's memory area");
  run();
  assert.equal(out.get(2), "xl guest\n");
  let d1 = list(ts).find((d) => d.name === "d1")!;
  assert.deepEqual([d1.id, d1.memMiB, d1.vcpus, d1.state[0], d1.created], [2, 64, 1, "r", true]);
  assert.ok(ts.request({ op: "pause", domain: "d1" }).ok);
  assert.equal(list(ts).find((d) => d.name === "d1")!.state, "--p---");
  assert.equal(errorOf(ts.request({ op: "pause", domain: "d1" })), "pause d1: it is paused");
  assert.ok(ts.request({ op: "unpause", domain: "2" }).ok, "by id");
  d1 = list(ts).find((d) => d.name === "d1")!;
  assert.equal(d1.state, "r-----");
  // The same name again is refused; a second domain takes the last CPU.
  assert.equal(errorOf(create(ts, `name = "d1"\nkernel = "g.bin"\nmemory = 8\n`)), "domain with name \"d1\" already exists");
  assert.ok(create(ts, `name = "d2"\nkernel = "g.bin"\nmemory = 8\n`).ok);
  assert.equal(errorOf(create(ts, `name = "d3"\nkernel = "g.bin"\nmemory = 8\n`)), "vcpus = 1: only 0 CPUs free (none); each vCPU needs a CPU of its own");
  assert.ok(ts.request({ op: "destroy", domain: "d1" }).ok);
  assert.deepEqual(list(ts).map((d) => d.name), ["base", "d2"]);
  assert.deepEqual(ts.freeCpus(), [1], "d1's CPU is free again");
  const d3 = create(ts, `name = "d3"\nkernel = "g.bin"\nmemory = 64\n`);
  assert.ok(d3.ok, errorOf(d3));
  assert.equal(d3.id, 4, "domain ids are not reused");
  assert.equal(d3.ram, "0x44000000", "d1's memory is free again");
  assert.equal(errorOf(ts.request({ op: "destroy", domain: "nobody" })), "nobody is an invalid domain identifier");
});

test("what does not fit is one line: CPUs in use, memory, iomem over RAM or the GIC or another's device, irqs, the kernel", () => {
  const { ts } = setup();
  const base = `kernel = "g.bin"\nmemory = 16\n`;
  assert.equal(errorOf(create(ts, `name = "a"\n${base}cpus = "0"\n`)), "cpus: no free CPU for vCPU 0 among 0 (CPU 0 is base's)");
  assert.equal(errorOf(create(ts, `name = "a"\nkernel = "g.bin"\nmemory = 1024\n`)), "memory = 1024: not enough free memory (448 MiB free, the largest free range 448 MiB)");
  assert.equal(errorOf(create(ts, `name = "a"\n${base}iomem = ["40000,1"]\n`)), "iomem \"40000,1@40000\": [0x40000000, 0x40001000) is not device memory of the board (below 0x40000000)");
  assert.equal(errorOf(create(ts, `name = "a"\n${base}iomem = ["8000,1"]\n`)), "iomem \"8000,1@8000\": [0x8000000, 0x8001000) overlaps the GIC, which the hypervisor keeps");
  assert.equal(errorOf(create(ts, `name = "a"\n${base}iomem = ["9000,1@40000"]\n`)), "iomem \"9000,1@40000\": guest frames [0x40000000, 0x40001000) overlap the domain's RAM at 0x40000000");
  assert.equal(errorOf(create(ts, `name = "a"\n${base}irqs = [ 27 ]\n`)), "irqs: 27 is not an SPI of the board (32 to 287)");
  assert.equal(errorOf(create(ts, `name = "a"\n${base}vcpus = 3\n`)), "vcpus = 3: only 2 CPUs free (1,2); each vCPU needs a CPU of its own");
  assert.ok(create(ts, `name = "io"\n${base}iomem = ["9010,1"]\nirqs = [ 34 ]\n`).ok);
  assert.equal(errorOf(create(ts, `name = "a"\n${base}iomem = ["9010,1"]\n`)), "iomem \"9010,1@9010\": [0x9010000, 0x9011000) is in use by io");
  assert.equal(errorOf(create(ts, `name = "a"\n${base}irqs = [ 34 ]\n`)), "irqs: 34 is in use by io");
  const empty = ts.request({ op: "create", file: "d.cfg", config: `name = "e"\n${base}`, kernel: "" });
  assert.equal(errorOf(empty), "kernel \"g.bin\": kernel file is empty");
  assert.equal(errorOf(ts.request({ op: "create", file: "d.cfg", config: `name = "e"\nkernel = "g.bin"\nmemory = 16\nbogus = 1\n`, kernel: kernel() })), "d.cfg:4: unknown setting 'bogus'");
});

test("vcpu-pin: a domain created paused takes the CPU it is pinned to; a CPU in use is refused", () => {
  const { hv, ts, out, run } = setup();
  hv.bootAll();
  const r = create(ts, `name = "p"\nkernel = "g.bin"\nmemory = 16\n`, true);
  assert.ok(r.ok, errorOf(r));
  assert.deepEqual(r.cpus, [1]);
  const vcpuOf = () => ((ts.request({ op: "vcpu-list", domain: "p" }) as unknown as { vcpus: { cpu: number; state: string }[] }).vcpus[0]);
  assert.equal(vcpuOf().state, "--p", "not started");
  assert.ok(ts.request({ op: "vcpu-pin", domain: "p", vcpu: "0", cpus: "2" }).ok);
  assert.equal(vcpuOf().cpu, 2);
  assert.deepEqual(ts.freeCpus(), [1]);
  assert.ok(ts.request({ op: "unpause", domain: "p" }).ok);
  run();
  assert.equal(out.get(r.id as number), "xl guest\n", "it ran, on CPU 2");
  assert.equal(hv.cpus[2].off, false);
  assert.equal(hv.cpus[1].off, true);
  assert.ok(ts.request({ op: "vcpu-pin", domain: "p", vcpu: "0", cpus: "2" }).ok, "its own CPU: nothing to do");
  assert.match(errorOf(ts.request({ op: "vcpu-pin", domain: "p", vcpu: "0", cpus: "0" })), /^Could not set affinity for vcpu `0': no free CPU among 0/);
  assert.match(errorOf(ts.request({ op: "vcpu-pin", domain: "p", vcpu: "3", cpus: "1" })), /^Error: Invalid argument 3 as VCPU/);
});

/** Raw A64 words: print "ready\n", then echo each byte typed on the PL011 with its case flipped (eor 0x20). */
function echoGuest(): Uint8Array {
  const words = [0xd2a12001]; // movz x1, #0x0900, lsl #16
  for (const ch of "ready\n") words.push(0x52800002 | (ch.charCodeAt(0) << 5), 0xb9000022);
  // 1: ldr w4, [x1, #0x18]; tbnz w4, #4, 1b; ldr w3, [x1]; eor w3, w3, #0x20; str w3, [x1]; b 1b
  words.push(0xb9401824, 0x3727ffe4, 0xb9400023, 0x521b0063, 0xb9000023, 0x17fffffb);
  const bytes = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(bytes.buffer).setUint32(i * 4, w, true));
  return bytes;
}

test("vcpu-pin of a running domain moves its vCPU, registers and all, to the new CPU", () => {
  const { hv, ts, out, run } = setup();
  hv.bootAll();
  const r = ts.request({ op: "create", file: "e.cfg", config: `name = "e"\nkernel = "e.bin"\nmemory = 16\n`, kernel: Buffer.from(echoGuest()).toString("base64") });
  assert.ok(r.ok, errorOf(r));
  const id = r.id as number;
  run();
  hv.consoleInput(id, new TextEncoder().encode("ab"));
  run();
  assert.equal(out.get(id), "ready\nAB", "echoing on CPU 1");
  const before = hv.cpus[1];
  const pc = before.pcLo;
  assert.ok(ts.request({ op: "vcpu-pin", domain: "e", vcpu: "0", cpus: "2" }).ok);
  assert.equal(hv.cpus[2].pcLo, pc, "the PC came along");
  assert.equal(hv.cpus[1].off, true, "the old CPU is off");
  assert.deepEqual(ts.freeCpus(), [1]);
  const icountOld = hv.cpus[1].icount;
  hv.consoleInput(id, new TextEncoder().encode("cD"));
  run();
  assert.equal(out.get(id), "ready\nABCd", "still echoing, on CPU 2");
  assert.equal(hv.cpus[1].icount, icountOld, "nothing ran on the old CPU");
  const vcpu = (ts.request({ op: "vcpu-list", domain: "e" }) as unknown as { vcpus: { cpu: number }[] }).vcpus[0];
  assert.equal(vcpu.cpu, 2);
  // Paused, it moves too, and goes on where it was when unpaused.
  assert.ok(ts.request({ op: "pause", domain: "e" }).ok);
  assert.ok(ts.request({ op: "vcpu-pin", domain: "e", vcpu: "0", cpus: "1" }).ok);
  assert.ok(ts.request({ op: "unpause", domain: "e" }).ok);
  hv.consoleInput(id, new TextEncoder().encode("z"));
  run();
  assert.equal(out.get(id), "ready\nABCdZ");
  assert.equal(hv.cpus[2].off, true);
});

test("XenStore as dom0: read, write, chmod -r /local b, watches, and a destroyed domain's home goes", () => {
  const { hv, ts } = setup();
  hv.bootAll();
  const r = create(ts, `name = "x"\nkernel = "g.bin"\nmemory = 16\n`);
  assert.ok(r.ok);
  const home = `/local/domain/${r.id}`;
  assert.deepEqual(ts.request({ op: "xs-read", path: `${home}/name` }), { ok: true, value: "x" });
  const events: string[] = [];
  const stop = ts.watch(`${home}/data`, (path) => events.push(path));
  assert.equal(typeof stop, "function");
  assert.ok(ts.request({ op: "xs-write", path: `${home}/data/k`, value: "v" }).ok);
  assert.deepEqual(events, [`${home}/data`, `${home}/data/k`], "once at once, then the change");
  assert.deepEqual(ts.request({ op: "xs-perms", path: `${home}/name` }), { ok: true, perms: ["n0", `r${r.id}`] });
  assert.ok(ts.request({ op: "xs-chmod", path: "/local", perms: ["b"], recursive: true }).ok);
  assert.deepEqual(ts.request({ op: "xs-perms", path: `${home}/name` }), { ok: true, perms: ["b0"] }, "b alone is b0: dom0 owns it, every domain reads and writes");
  // Now another domain may write there, as ERIKA's XenBus driver needs (its guide runs xenstore-chmod -r /local b).
  const enc = new TextEncoder();
  assert.ok("payload" in hv.xenstore.request(1, 11 /* XS_WRITE */, 0, enc.encode(`${home}/data/from1\0hi`)));
  assert.equal(errorOf(ts.request({ op: "xs-chmod", path: "/local", perms: ["q1"] })), "chmod: invalid permission 'q1' (n, r, w or b, then a domain id)");
  assert.equal(errorOf(ts.request({ op: "xs-read", path: "/nothing" })), "read /nothing: No such file or directory");
  const beforeDestroy = events.length;
  const released: string[] = [];
  ts.watch("@releaseDomain", (path) => released.push(path));
  assert.ok(ts.request({ op: "destroy", domain: "x" }).ok);
  assert.equal(errorOf(ts.request({ op: "xs-read", path: `${home}/name` })), `read ${home}/name: No such file or directory`);
  assert.deepEqual(released, ["@releaseDomain", "@releaseDomain"], "at once, then for the destroyed domain");
  (stop as () => void)();
  ts.request({ op: "xs-write", path: "/local/after", value: "1" });
  assert.deepEqual(events.slice(beforeDestroy), [`${home}/data`], "removing the home fired the watch once more; after stop(), nothing");
});

test("xl shutdown asks a Xen domain through control/shutdown; a partition without Xen needs -F", () => {
  const { hv, ts } = setup();
  hv.bootAll();
  const r = create(ts, `name = "s"\nkernel = "g.bin"\nmemory = 16\n`);
  assert.ok(r.ok);
  assert.ok(ts.request({ op: "shutdown", domain: "s" }).ok);
  assert.deepEqual(ts.request({ op: "xs-read", path: `/local/domain/${String(r.id)}/control/shutdown` }), { ok: true, value: "poweroff" });
  assert.equal(errorOf(ts.request({ op: "shutdown", domain: "base" })), "shutdown base: PV control interface not available (not a Xen partition): use -F to stop it");
  assert.ok(ts.request({ op: "shutdown", domain: "base", force: true }).ok);
  assert.equal(list(ts).find((d) => d.name === "base")!.state, "------", "stopped by the toolstack, not shut down by the guest");
});

test("on_poweroff: destroy frees the domain, preserve keeps it shut down, restart boots it again", () => {
  const { hv, ts, out, events, run } = setup();
  const hello = Buffer.from(readFileSync(PREBUILT_HELLO)).toString("base64");
  const make = (name: string, action: string) =>
    ts.request({ op: "create", file: `${name}.cfg`, config: `name = "${name}"\nkernel = "hello.elf"\nmemory = 16\non_poweroff = "${action}"\n`, kernel: hello });
  const gone = make("gone", "destroy"), kept = make("kept", "preserve");
  assert.ok(gone.ok && kept.ok, errorOf(gone) + errorOf(kept));
  for (let i = 0; i < 400 && !(events.includes("gone: destroyed") && events.includes("kept: powered off")); i++) run(1);
  assert.ok(out.get(gone.id as number)?.includes("hello: done, powering off"), "it ran to its end");
  assert.ok(events.includes("gone: destroyed"), events.join("\n"));
  assert.deepEqual(list(ts).map((d) => d.name), ["base", "kept"], "destroy: gone from the list");
  assert.equal(list(ts).find((d) => d.name === "kept")!.state, "---s--", "preserve: shut down (reason poweroff), still listed");
  assert.deepEqual(ts.freeCpus(), [1], "gone's CPU is free, kept's is still held");
  const again = make("again", "restart");
  assert.ok(again.ok, errorOf(again));
  for (let i = 0; i < 400 && events.filter((e) => e === "again: started on CPU 1").length < 2; i++) run(1);
  assert.equal(events.filter((e) => e === "again: started on CPU 1").length, 2, "restart: booted a second time");
  assert.equal(list(ts).find((d) => d.name === "again")!.id, again.id, "with the same id");
});

test("vcpu-pin of timer-irq midway: its GIC, timers and interrupts go along, and it prints what it prints unmoved", { skip: timerSkip, timeout: 120000 }, () => {
  buildGuests(["timer-irq"]);
  const kernel = Buffer.from(readFileSync(guestPath("timer-irq"))).toString("base64");
  const runOnce = (moveAt: string | undefined) => {
    const { hv, ts, out, events } = setup();
    const r = ts.request({ op: "create", file: "t.cfg", config: `name = "t"\nkernel = "timer-irq.elf"\nmemory = 16\non_poweroff = "preserve"\n`, kernel });
    assert.ok(r.ok, errorOf(r));
    let moved = false;
    for (let i = 0; i < 20000 && !events.includes("t: powered off"); i++) {
      const status = hv.run(20000);
      // An idle board waits for its next timer deadline, as the run loop's -icount sleep=off does.
      if (status.kind === "idle" && status.until !== undefined) hv.advanceIdle(status.until);
      if (moveAt && !moved && (out.get(r.id as number) ?? "").includes(moveAt)) {
        assert.ok(ts.request({ op: "vcpu-pin", domain: "t", vcpu: "0", cpus: "2" }).ok);
        moved = true;
      }
    }
    assert.ok(events.includes("t: powered off"), `it ended\n${out.get(r.id as number)}`);
    if (moveAt) assert.ok(moved && hv.cpus[1].off && events.some((e) => e === "t: powered off"));
    return out.get(r.id as number);
  };
  const unmoved = runOnce(undefined);
  assert.match(unmoved ?? "", /timer-irq: \d+ interrupts, done/);
  assert.equal(runOnce("virtual timer tick 1"), unmoved, "moved after the first tick");
});
