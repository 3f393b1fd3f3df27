/**
 * The builder API the board uses to make QEMU virt's device tree, and the typed accessors.
 * dtc is the oracle for the blobs: it must read them back and re-encode them unchanged.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DeviceTree,
  DtNode,
  concat,
  bytes,
  decodeDtb,
  empty,
  encodeDtb,
  regPairs,
  str,
  strings,
  treeToDts,
  u32,
  u32cells,
  u64bits,
  u64cells,
  dtsToDtb,
  dtbToDts,
  splitCells,
} from "../../src/devicetree/index.js";
import { NO_DTC, runDtc } from "./oracle.js";

/** A cut-down QEMU virt tree, built the way the board code builds it. */
function buildVirtLikeTree(): DeviceTree {
  const tree = new DeviceTree();
  const root = tree.root;
  root
    .setProp("interrupt-parent", u32(0)) // patched below once the GIC has a phandle
    .setProp("#size-cells", u32(2))
    .setProp("#address-cells", u32(2))
    .setProp("compatible", strings("linux,dummy-virt"))
    .setProp("model", str("Tessera virt"));

  const chosen = root.addChild("chosen");
  chosen.setProp("bootargs", str("console=ttyAMA0 earlycon")).setProp("stdout-path", str("/pl011@9000000"));

  root.addChild("memory@40000000").setProp("reg", regPairs(2, 2, [0x4000_0000n, 0x8000_0000n])).setProp("device_type", str("memory"));

  const cpus = root.addChild("cpus");
  cpus.setProp("#size-cells", u32(0)).setProp("#address-cells", u32(1));
  for (let i = 0; i < 2; i++) {
    cpus
      .addChild(`cpu@${i}`)
      .setProp("phandle", u32(0x8000 + i))
      .setProp("reg", u32(i))
      .setProp("enable-method", str("psci"))
      .setProp("compatible", str("arm,cortex-a57"))
      .setProp("device_type", str("cpu"));
  }

  const gic = root.addChild("intc@8000000");
  gic
    .setProp("reg", regPairs(2, 2, [0x800_0000n, 0x1_0000n], [0x80a_0000n, 0xf6_0000n]))
    .setProp("#redistributor-regions", u32(1))
    .setProp("compatible", str("arm,gic-v3"))
    .setProp("ranges", empty())
    .setProp("#size-cells", u32(2))
    .setProp("#address-cells", u32(2))
    .setProp("interrupt-controller", empty())
    .setProp("#interrupt-cells", u32(3));
  root.setProp("interrupt-parent", u32(tree.phandleOf(gic)));

  const clock = root.addChild("apb-pclk");
  clock.setProp("clock-output-names", str("clk24mhz")).setProp("clock-frequency", u32(24_000_000)).setProp("#clock-cells", u32(0)).setProp("compatible", str("fixed-clock"));
  const clockPhandle = tree.phandleOf(clock);

  root
    .addChild("pl011@9000000")
    .setProp("clock-names", strings("uartclk", "apb_pclk"))
    .setProp("clocks", u32cells(clockPhandle, clockPhandle))
    .setProp("interrupts", u32cells(0, 1, 4))
    .setProp("reg", regPairs(2, 2, [0x900_0000n, 0x1000n]))
    .setProp("compatible", strings("arm,pl011", "arm,primecell"));

  root.addChild("timer").setProp("interrupts", u32cells(1, 13, 0xf04, 1, 14, 0xf04, 1, 11, 0xf04, 1, 10, 0xf04)).setProp("always-on", empty()).setProp("compatible", strings("arm,armv8-timer", "arm,armv7-timer"));
  root.addChild("misc").setProp("mac", bytes(0x52, 0x54, 0, 0x12, 0x34, 0x56)).setProp("wide", u64bits(0x1234_5678_9abc_def0n)).setProp("mixed", concat(str("a"), u32(7)));
  tree.reserve(0x4800_0000n, 0x1_0000n);
  tree.bootCpuId = 1;
  return tree;
}

test("builder: phandles are allocated from 1 and recorded as properties", () => {
  const tree = buildVirtLikeTree();
  const gic = tree.find("/intc@8000000")!;
  const clock = tree.find("/apb-pclk")!;
  assert.equal(gic.u32("phandle"), 1);
  assert.equal(clock.u32("phandle"), 2);
  assert.equal(tree.phandleOf(gic), 1, "asking again gives the same phandle");
  assert.equal(tree.phandleOf(tree.find("/cpus/cpu@1")!), 0x8001, "an explicit phandle is used as is");
  assert.equal(tree.root.resolvePhandleProp("interrupt-parent"), gic);
});

test("builder: typed accessors and path lookup", () => {
  const tree = buildVirtLikeTree();
  const root = tree.root;
  assert.equal(root.string("model"), "Tessera virt");
  assert.deepEqual(root.strings("compatible"), ["linux,dummy-virt"]);
  assert.deepEqual(tree.find("/pl011@9000000")!.strings("clock-names"), ["uartclk", "apb_pclk"]);
  assert.equal(tree.find("/memory")?.name, "memory@40000000", "a base name finds the unit-addressed node");
  assert.equal(tree.find("/cpus/cpu@1")!.path, "/cpus/cpu@1");
  assert.deepEqual(tree.find("/memory@40000000")!.reg(), [{ address: 0x4000_0000n, size: 0x8000_0000n }]);
  assert.deepEqual(tree.find("/cpus/cpu@1")!.reg(), [{ address: 1n, size: 0n }]);
  assert.deepEqual(tree.find("/intc@8000000")!.reg()[1], { address: 0x80a_0000n, size: 0xf6_0000n });
  assert.equal(tree.find("/misc")!.u64("wide"), 0x1234_5678_9abc_def0n);
  assert.equal(tree.find("/apb-pclk")!.u32("clock-frequency"), 24_000_000);
  assert.equal(tree.find("/nope"), undefined);
  assert.equal(root.find("/intc@8000000")!.baseName, "intc");
  assert.equal(root.find("/intc@8000000")!.unitAddress, "8000000");
  assert.throws(() => root.prop("model")!.asU32(), RangeError);
  assert.throws(() => root.addChild("chosen"), /already exists/);
});

test("builder: ranges decoding uses both cell sizes", () => {
  const tree = new DeviceTree();
  tree.root.setProp("#address-cells", u32(2)).setProp("#size-cells", u32(2));
  const bus = tree.root.addChild("bus@10000000");
  bus.setProp("#address-cells", u32(1)).setProp("#size-cells", u32(1));
  bus.setProp("ranges", u32cells(0, ...splitCells(0x1000_0000n, 2), 0x10_0000));
  assert.deepEqual(bus.ranges(), [{ childAddress: 0n, parentAddress: 0x1000_0000n, size: 0x10_0000n }]);
});

test("builder: encode/decode round trip keeps everything", () => {
  const tree = buildVirtLikeTree();
  const blob = encodeDtb(tree);
  const decoded = decodeDtb(blob);
  assert.equal(decoded.bootCpuId, 1);
  assert.deepEqual(decoded.reservations.map(({ address, size }) => [address, size]), [[0x4800_0000n, 0x1_0000n]]);
  assert.deepEqual(encodeDtb(decoded), blob);
  assert.equal(encodeDtb(tree, { bootCpuId: 0 })[31], 0, "bootCpuId option overrides the tree");
});

test("builder: dtc reads the blob and re-encodes it byte for byte", { skip: NO_DTC }, () => {
  const blob = encodeDtb(buildVirtLikeTree());
  const again = runDtc(["-q", "-I", "dtb", "-O", "dtb", "-"], blob);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(Buffer.from(blob).toString("hex"), again.stdout.toString("hex"));
  const text = runDtc(["-q", "-I", "dtb", "-O", "dts", "-"], blob);
  assert.match(text.stdout.toString(), /compatible = "arm,pl011\\0arm,primecell";/);
  assert.match(text.stdout.toString(), /\/memreserve\/\t0x0000000048000000 0x0000000000010000;/);
});

test("builder: typed DTS output of a built tree compiles back to the same blob with dtc", { skip: NO_DTC }, () => {
  const tree = buildVirtLikeTree();
  const text = treeToDts(tree);
  assert.match(text, /wide = \/bits\/ 64 <0x123456789abcdef0>;/);
  assert.match(text, /mac = \[52 54 00 12 34 56\];/);
  assert.match(text, /mixed = "a", <0x07>;/);
  const compiled = runDtc(["-q", "-I", "dts", "-O", "dtb", "-b", "1", "-"], text);
  assert.equal(compiled.status, 0, compiled.stderr);
  assert.deepEqual(compiled.stdout.toString("hex"), Buffer.from(encodeDtb(tree)).toString("hex"));
  assert.deepEqual(Buffer.from(dtsToDtb(text, { bootCpuId: 1 })).toString("hex"), Buffer.from(encodeDtb(tree)).toString("hex"));
});

test("builder: setProp replaces in place and removeProp/removeChild delete", () => {
  const node = new DtNode("n");
  node.setProp("a", u32(1)).setProp("b", u32(2)).setProp("a", u32(3));
  assert.deepEqual(node.liveProperties().map((p) => [p.name, p.asU32()]), [["a", 3], ["b", 2]]);
  assert.ok(node.removeProp("a"));
  assert.equal(node.hasProp("a"), false);
  node.addChild("c");
  assert.ok(node.removeChild("c"));
  assert.equal(node.child("c"), undefined);
  assert.deepEqual([...u64cells(0x1_0000_0002n).bytes], [0, 0, 0, 1, 0, 0, 0, 2]);
  assert.throws(() => u32cells(-1), RangeError);
});

test("builder: the example at the top of src/devicetree/index.ts works as written", () => {
  const tree = new DeviceTree();
  const root = tree.root;
  root.setProp("#address-cells", u32(2)).setProp("#size-cells", u32(2));
  root.setProp("compatible", strings("linux,dummy-virt"));
  root.addChild("memory@40000000").setProp("device_type", str("memory")).setProp("reg", regPairs(2, 2, [0x4000_0000n, 0x8000_0000n]));
  const gic = root.addChild("intc@8000000").setProp("interrupt-controller", empty());
  root.setProp("interrupt-parent", u32(tree.phandleOf(gic)));
  tree.reserve(0x4800_0000n, 0x1000n);
  const dtb: Uint8Array = encodeDtb(tree, { bootCpuId: 0 });
  const decoded = decodeDtb(dtb);
  assert.equal(decoded.root.resolvePhandleProp("interrupt-parent")?.path, "/intc@8000000");
  assert.deepEqual(decoded.find("/memory")!.reg(), [{ address: 0x4000_0000n, size: 0x8000_0000n }]);
});

test("builder: a base name that matches two unit addresses is ambiguous", () => {
  const tree = new DeviceTree();
  tree.root.addChild("uart@1");
  tree.root.addChild("uart@2");
  assert.equal(tree.find("/uart"), undefined);
  assert.equal(tree.find("/uart@2")?.name, "uart@2");
});

test("builder: shorthand setters give the same blob as the value helpers", () => {
  const long = new DeviceTree();
  long.root.setProp("compatible", strings("a,b", "c")).setProp("cells", u32cells(1, 2)).setProp("flag", empty()).addChild("n").setProp("model", str("m"));
  const short = new DeviceTree();
  short.root.setString("compatible", "a,b", "c").setCells("cells", 1, 2).setEmpty("flag").add("n").setString("model", "m");
  assert.deepEqual(encodeDtb(short), encodeDtb(long));
  assert.equal(treeToDts(short), treeToDts(long));
});

/**
 * A tree built with insertion "prepend", and what libfdt makes of the same calls: the expected
 * text is dtc's decompilation (dtc -I dtb -O dts) of a blob built by a C program against libfdt
 * 1.6.1 with fdt_create_empty_tree, then fdt_setprop / fdt_add_subnode in exactly this call
 * order (cell values through fdt_setprop with big-endian words, as fdt_setprop_u32 does), and
 * fdt_pack.
 */
function buildLibfdtOrderTree(): DeviceTree {
  const tree = new DeviceTree(undefined, { insertion: "prepend" });
  const root = tree.root;
  root.setCells("#address-cells", 1);
  root.setCells("#size-cells", 1);
  root.setString("compatible", "acme,board", "acme,soc");
  root.add("chosen").setString("bootargs", "console=ttyS0");
  const intc = root.add("intc@1000");
  intc.setEmpty("interrupt-controller");
  intc.setCells("#interrupt-cells", 2);
  intc.setCells("reg", 0x1000, 0x100);
  root.setCells("interrupt-parent", tree.phandleOf(intc));
  const bus = root.add("bus@2000");
  bus.setString("compatible", "simple-bus");
  bus.setEmpty("ranges");
  for (let i = 0; i < 3; i++) {
    const uart = bus.add(`serial@${(0x2000 + 0x100 * i).toString(16)}`);
    uart.setString("compatible", "ns16550a");
    uart.setCells("reg", 0x2000 + 0x100 * i, 0x100);
    uart.setCells("interrupts", i, 4);
  }
  root.setString("model", "Acme Board");
  root.setString("compatible", "acme,board-v2");
  return tree;
}

const LIBFDT_ORDER_DTS = `/dts-v1/;

/ {
\tmodel = "Acme Board";
\tinterrupt-parent = <0x01>;
\tcompatible = "acme,board-v2";
\t#size-cells = <0x01>;
\t#address-cells = <0x01>;

\tbus@2000 {
\t\tranges;
\t\tcompatible = "simple-bus";

\t\tserial@2200 {
\t\t\tinterrupts = <0x02 0x04>;
\t\t\treg = <0x2200 0x100>;
\t\t\tcompatible = "ns16550a";
\t\t};

\t\tserial@2100 {
\t\t\tinterrupts = <0x01 0x04>;
\t\t\treg = <0x2100 0x100>;
\t\t\tcompatible = "ns16550a";
\t\t};

\t\tserial@2000 {
\t\t\tinterrupts = <0x00 0x04>;
\t\t\treg = <0x2000 0x100>;
\t\t\tcompatible = "ns16550a";
\t\t};
\t};

\tintc@1000 {
\t\tphandle = <0x01>;
\t\treg = <0x1000 0x100>;
\t\t#interrupt-cells = <0x02>;
\t\tinterrupt-controller;
\t};

\tchosen {
\t\tbootargs = "console=ttyS0";
\t};
};
`;

test("builder: insertion \"prepend\" lays a tree out in libfdt's order", () => {
  const tree = buildLibfdtOrderTree();
  assert.equal(tree.find("/bus@2000/serial@2100")!.insertion, "prepend", "children inherit the setting");
  assert.equal(dtbToDts(encodeDtb(tree)), LIBFDT_ORDER_DTS);
  // The default is unchanged: the same calls on an ordinary tree come out in call order.
  const appended = new DeviceTree();
  appended.root.setCells("a", 1).setCells("b", 2).add("x");
  appended.root.add("y").setEmpty("p");
  appended.root.setCells("a", 3);
  assert.deepEqual(appended.root.liveProperties().map((p) => [p.name, p.asU32()]), [["a", 3], ["b", 2]]);
  assert.deepEqual(appended.root.liveChildren().map((c) => c.name), ["x", "y"]);
  assert.equal(appended.find("/y")!.insertion, "append");
});

test("builder: dtc decompiles the prepend-built blob to what libfdt's blob decompiles to", { skip: NO_DTC }, () => {
  const run = runDtc(["-q", "-I", "dtb", "-O", "dts", "-"], encodeDtb(buildLibfdtOrderTree()));
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.toString(), LIBFDT_ORDER_DTS);
});

test("builder: shareStringSuffixes false stores every property name whole", () => {
  const tree = new DeviceTree();
  tree.root.setString("secure-status", "okay").setString("status", "disabled");
  const stringsBlock = (blob: Uint8Array): string => {
    const view = new DataView(blob.buffer, blob.byteOffset);
    return Buffer.from(blob.subarray(view.getUint32(12), view.getUint32(12) + view.getUint32(32))).toString("latin1");
  };
  assert.equal(stringsBlock(encodeDtb(tree)), "secure-status\0", "by default \"status\" is the tail of \"secure-status\"");
  const whole = encodeDtb(tree, { shareStringSuffixes: false });
  assert.equal(stringsBlock(whole), "secure-status\0status\0");
  assert.deepEqual(decodeDtb(whole).root.liveProperties().map((p) => [p.name, p.asString()]), [["secure-status", "okay"], ["status", "disabled"]]);
});
