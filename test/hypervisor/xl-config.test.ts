/**
 * xl.cfg files (Xen's docs/man/xl.cfg.5.pod.in): ERIKA Enterprise's configurations unchanged,
 * lists across lines, comments and both quote styles, xl's defaults, iomem's hexadecimal
 * "START,PAGES[@GFN]", CPU lists, and every problem as a line number and one message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCpuList, parseXlConfig } from "../../src/hypervisor/xl-config.js";

/** The erika.cfg of ERIKA Enterprise's guide to running it as a Xen domU, verbatim. */
const GUIDE_ERIKA = `kernel = "A20.bin"
memory = 512
name = "ERIKA_Enterprise"
vcpus = 1
on_crash = 'destroy'
iomem = ["1c20,2"]
`;

/** An erika.cfg with the pinned CPU, the UART and RTC pages, and their interrupts. */
const PINNED_ERIKA = `name = "erika"
kernel = "erika.bin"
memory = 128
vcpus = 1
cpus = "1"
iomem = [ "0x9000,1@0x9000", "0x9010,1@0x9010" ]
irqs = [ 33, 38 ]
`;

test("the ERIKA guide's erika.cfg: one page range mapped 1:1, xl's defaults for what it leaves out", () => {
  const r = parseXlConfig(GUIDE_ERIKA, 4);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const c = r.config;
  assert.deepEqual([c.name, c.kernel, c.memoryMiB, c.vcpus, c.type], ["ERIKA_Enterprise", "A20.bin", 512, 1, "pvh"]);
  assert.deepEqual(c.iomem, [{ mfn: 0x1c20, pages: 2, gfn: 0x1c20 }]);
  assert.deepEqual([c.onPoweroff, c.onReboot, c.onCrash], ["destroy", "restart", "destroy"]);
  assert.equal(c.cpus, undefined, "any free CPU");
});

test("the pinned erika.cfg: cpus, iomem at guest frames, irqs", () => {
  const r = parseXlConfig(PINNED_ERIKA, 4);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.deepEqual(r.config.cpus, [[1]]);
  assert.deepEqual(r.config.iomem, [{ mfn: 0x9000, pages: 1, gfn: 0x9000 }, { mfn: 0x9010, pages: 1, gfn: 0x9010 }]);
  assert.deepEqual(r.config.irqs, [33, 38]);
});

test("syntax: comments, lists over lines, extra, per-vCPU cpus, vif and disk recorded", () => {
  const r = parseXlConfig(`# a domain
name = 'two'   # its name
kernel = "Image"
ramdisk = "initrd.gz"
extra = "console=hvc0"
memory = 256
vcpus = 2
cpus = ["1", "3"]
on_reboot = "preserve"
vif = [ 'bridge=xenbr0',
        'mac=00:16:3e:00:00:01' ]
disk = [ "phy:/dev/loop0,xvda,w" ]
`, 4);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.deepEqual(r.config.cpus, [[1], [3]]);
  assert.equal(r.config.cmdline, "console=hvc0");
  assert.equal(r.config.ramdisk, "initrd.gz");
  assert.equal(r.config.onReboot, "preserve");
  assert.deepEqual(r.config.vif, ["bridge=xenbr0", "mac=00:16:3e:00:00:01"]);
  assert.deepEqual(r.config.disk, ["phy:/dev/loop0,xvda,w"]);
});

test("problems: each a line and one message", () => {
  const problems = (text: string) => { const r = parseXlConfig(text, 4); return r.ok ? [] : r.problems.map((p) => `${p.line}: ${p.message}`); };
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\nmemory = \n`), ["3: memory: a value (number, \"string\" or [list]) expected, not the end of the line"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k\n`), ["2: kernel: unterminated string"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\nmemory 128\n`), ["3: '=' expected after 'memory', not '1'"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\ntype = "hvm"\n`), ["3: type \"hvm\": Xen on Arm guests are \"pvh\" (hvm and pv are x86 types)"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\nfrobnicate = 1\n`), ["3: unknown setting 'frobnicate'"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\npci = [ "01:00.0" ]\n`), ["3: pci: not supported by tessera's toolstack"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\non_crash = "coredump-destroy"\n`), ["3: on_crash \"coredump-destroy\": not supported by tessera's toolstack (destroy, restart or preserve)"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\niomem = ["zz,1"]\n`), ["3: iomem \"zz,1\": IOMEM_START,NUM_PAGES[@GFN] in hexadecimal"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\ncpus = "5"\n`), ["3: cpus \"5\": CPU 5 does not exist (the board has 4)"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\nvcpus = 2\ncpus = ["1"]\n`), ["4: cpus lists 1 entries for 2 vcpus (one per vCPU)"]);
  assert.deepEqual(problems(`kernel = "k"\n`), ["0: domain name must be specified (name = \"...\")"]);
  assert.deepEqual(problems(`name = "42"\nkernel = "k"\n`), ["1: name \"42\" is all digits (it would read as a domain id)"]);
  assert.deepEqual(problems(`name = "a"\nkernel = "k"\nvif = [ "a" "b" ]\n`), ["3: vif: ',' or ']' expected in a list, not '\"'"]);
});

test("CPU lists: ranges, exclusions, all", () => {
  assert.deepEqual(parseCpuList("0-3,^2", 4), [0, 1, 3]);
  assert.deepEqual(parseCpuList("all,^0", 3), [1, 2]);
  assert.deepEqual(parseCpuList("2", 4), [2]);
  assert.equal(parseCpuList("3-1", 4), "\"3-1\": range 3-1 is backwards");
  assert.equal(parseCpuList("x", 4), "\"x\": 'x' is not a CPU, a range N-M or \"all\"");
});
