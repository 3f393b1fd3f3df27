/**
 * Tessera device-tree toolkit: a dtc-compatible DTS parser, DTB (FDT v17) codec, DTS printer,
 * overlay support and a small builder API. Platform-neutral: no Node built-ins, only
 * Uint8Array/TextEncoder; file access for `/include/` goes through a SourceReader you supply.
 *
 * Building a tree in code (what the board uses for QEMU's virt machine):
 *
 *   import { DeviceTree, DtNode, u32, u32cells, regPairs, strings, str, empty, encodeDtb } from "../devicetree/index.js";
 *
 *   const tree = new DeviceTree();                  // root node is tree.root (name "")
 *   const root = tree.root;
 *   root.setProp("#address-cells", u32(2)).setProp("#size-cells", u32(2));
 *   root.setProp("compatible", strings("linux,dummy-virt"));
 *   root.addChild("memory@40000000")
 *       .setProp("device_type", str("memory"))
 *       .setProp("reg", regPairs(2, 2, [0x4000_0000n, 0x8000_0000n]));
 *   const gic = root.addChild("intc@8000000").setProp("interrupt-controller", empty());
 *   root.setProp("interrupt-parent", u32(tree.phandleOf(gic)));   // allocates 1, adds gic's "phandle"
 *   tree.reserve(0x4800_0000n, 0x1000n);             // a /memreserve/ entry
 *   const dtb: Uint8Array = encodeDtb(tree, { bootCpuId: 0 });
 *
 * Insertion order: by default a new property or child goes last, in call order, as dtc lays out a
 * source. `new DeviceTree(undefined, { insertion: "prepend" })` (or `node.insertion = "prepend"`
 * before adding to it) puts each new one first instead, as libfdt's fdt_setprop/fdt_add_subnode
 * do, so a tree built in the call order of libfdt-based code (QEMU's virt.c) comes out in its
 * order; children inherit the setting from the node that adds them, and setting an existing
 * property always keeps its place. Phandles number from `tree.nextPhandleCandidate` (1 unless
 * set). encodeDtb's `shareStringSuffixes: false` stores every property name whole in the strings
 * block instead of reusing the tail of a longer one as dtc does. See src/boards/virt/fdt.ts:
 *
 *   const tree = new DeviceTree(undefined, { insertion: "prepend" });
 *   tree.root.setCells("#address-cells", 2).setString("compatible", "linux,dummy-virt");
 *   tree.root.add("chosen"); tree.root.add("memory@40000000");
 *   // DTS order: compatible, #address-cells; memory@40000000, chosen
 *
 * Value helpers (values.ts): u32(v), u32cells(...v), u64cells(...v) (each as <hi lo>), u64bits(...v)
 * (/bits/ 64), regPairs(addressCells, sizeCells, ...[addr, size]), splitCells(v, n), str(s),
 * strings(...s), bytes(...b), empty(), phandle(n), concat(...values).
 * Shorthands on nodes: node.setCells(name, ...cells), node.setString(name, ...strings),
 * node.setEmpty(name), node.add(childName).
 * Node API (model.ts): addChild, child, ensureChild, appendChild, removeChild, setProp, insertProperty, prop, hasProp,
 * removeProp, addLabel, find(path), findByLabel, findByPhandle, walk, path, u32/u64/string/strings,
 * reg(), ranges(), resolvePhandleProp(name). DtProperty: asU32, asU64, asU32Array, asString, asStrings.
 *
 * dtc equivalents (compile.ts): dtsToDtb, dtbToDts, dtsToDts, compileDts (parse + checks),
 * parseDts (parse only), decodeDtb / encodeDtb (blob versions 1, 2, 3, 16, 17), treeToDts
 * (dtsPieces: the same text in pieces of about 64 KiB, to write out a large tree as it prints),
 * processTree (checks, -@ symbols, -A aliases, -s sort, -H phandle style).
 *
 * Includes: pass a SourceReader, `{ readFile(path): Uint8Array | undefined }` (optionally
 * `readFileRange(path, offset, length)` for `/incbin/` ranges; throw SourceReadError for a file
 * that exists but cannot be read), and include directories; the library never touches the file
 * system itself:
 *
 *   const dtb = dtsToDtb(text, { fileName: "board.dts", reader, includeDirs: ["dts/common"] });
 *
 * Overlays: compiling a `/plugin/` source adds __fixups__/__local_fixups__ (and __symbols__ with
 * generateSymbols); applyOverlay(base, overlay) merges a decoded overlay into a decoded base
 * the way libfdt's fdt_overlay_apply (fdtoverlay) does.
 *
 * Errors: DtsError (syntax, `file:line:col: message`; its subclass DtsFileError, an included file
 * that could not be read, also carries dtc's message and exit status), TreeCheckError (dtc's error checks, e.g.
 * an undefined label), DtbError (malformed blob), OverlayError. Nothing else is thrown for bad input.
 */

export * from "./bytes.js";
export * from "./model.js";
export * from "./values.js";
export * from "./fdt.js";
export * from "./dts-writer.js";
export * from "./dts-lexer.js";
export * from "./dts-parser.js";
export * from "./checks.js";
export * from "./overlay.js";
export * from "./compile.js";
