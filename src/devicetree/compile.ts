/**
 * The dtc pipeline as library calls: parse or decode, run the checks and fixups, add overlay
 * nodes, then encode or print. Each step is also exported on its own.
 */

import { bytesToLatin1 } from "./bytes.js";
import { type Diagnostic, formatDiagnostic, runChecks } from "./checks.js";
import { parseDts, type ParseOptions } from "./dts-parser.js";
import { treeToDts } from "./dts-writer.js";
import { decodeDtb, encodeDtb, type EncodeOptions } from "./fdt.js";
import type { DeviceTree, DtNode, PhandleFormat } from "./model.js";
import { generateAliases, generateFixups, generateSymbols } from "./overlay.js";

/** Byte-wise comparison, as C's strcmp (names are Latin-1 strings, one character per byte). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `-s`: reservations by address then size; properties and subnodes by name, recursively (dtc's sort_tree). */
export function sortTree(tree: DeviceTree): void {
  tree.reservations.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.size < b.size ? -1 : a.size > b.size ? 1 : 0));
  const sortNode = (node: DtNode): void => {
    node.properties.sort((a, b) => compareNames(a.name, b.name));
    node.children.sort((a, b) => compareNames(a.name, b.name));
    for (const child of node.children) sortNode(child);
  };
  sortNode(tree.root);
}

/** The checks found errors (dtc: "Input tree has errors, aborting"). */
export class TreeCheckError extends Error {
  constructor(readonly diagnostics: Diagnostic[], outputName = "<stdout>") {
    super(diagnostics.map((diagnostic) => formatDiagnostic(diagnostic, outputName)).join("\n"));
    this.name = "TreeCheckError";
  }
}

export interface ProcessOptions {
  /** `-@`: emit `__symbols__`. */
  generateSymbols?: boolean;
  /** `-f`: keep going when checks report errors. */
  force?: boolean;
  /** `-b`: boot CPU id for the header. */
  bootCpuId?: number;
  /** `-A`: add every label to /aliases. */
  autoAliases?: boolean;
  /** `-H`: property used for allocated phandles. */
  phandleFormat?: PhandleFormat;
  /** `-s`: sort reservations, properties and nodes. */
  sort?: boolean;
  onWarning?: (message: string) => void;
}

/** Run checks and fixups and add overlay nodes; throws TreeCheckError on errors unless forced. */
export function processTree(tree: DeviceTree, options: ProcessOptions = {}): Diagnostic[] {
  if (options.bootCpuId !== undefined) tree.bootCpuId = options.bootCpuId;
  if (options.phandleFormat) tree.phandleFormat = options.phandleFormat;
  const diagnostics = runChecks(tree, { generateSymbols: options.generateSymbols });
  if (!options.force && diagnostics.some((diagnostic) => diagnostic.severity === "error")) throw new TreeCheckError(diagnostics);
  // Same order as dtc's main(): aliases, symbols, fixups, then sorting.
  if (options.autoAliases) generateAliases(tree, options.onWarning);
  if (options.generateSymbols) generateSymbols(tree, options.onWarning);
  if (tree.isPlugin) generateFixups(tree);
  if (options.sort) sortTree(tree);
  return diagnostics;
}

export interface CompileOptions extends ParseOptions, ProcessOptions {
  fileName?: string;
}

function sourceText(source: string | Uint8Array): string {
  return typeof source === "string" ? source : bytesToLatin1(source);
}

/** Parse DTS and run the checks: the tree dtc would output. */
export function compileDts(source: string | Uint8Array, options: CompileOptions = {}): DeviceTree {
  const tree = parseDts(sourceText(source), options.fileName ?? "<input>", options);
  processTree(tree, options);
  return tree;
}

/** `dtc -I dts -O dtb`. */
export function dtsToDtb(source: string | Uint8Array, options: CompileOptions & EncodeOptions = {}): Uint8Array {
  return encodeDtb(compileDts(source, options), options);
}

/** `dtc -I dtb -O dts`. */
export function dtbToDts(blob: Uint8Array, options: ProcessOptions = {}): string {
  const tree = decodeDtb(blob, { onWarning: options.onWarning });
  processTree(tree, options);
  return treeToDts(tree);
}

/** `dtc -I dts -O dts`. */
export function dtsToDts(source: string | Uint8Array, options: CompileOptions = {}): string {
  return treeToDts(compileDts(source, options));
}
