/**
 * The dtc pipeline as library calls: parse or decode, run the checks and fixups, add overlay
 * nodes, then encode or print. Each step is also exported on its own.
 */

import { bytesToLatin1 } from "./bytes.js";
import { type Diagnostic, formatDiagnostic, runChecks } from "./checks.js";
import { parseDts, type ParseOptions } from "./dts-parser.js";
import { treeToDts } from "./dts-writer.js";
import { decodeDtb, encodeDtb, type EncodeOptions } from "./fdt.js";
import type { DeviceTree } from "./model.js";
import { generateFixups, generateSymbols } from "./overlay.js";

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
  onWarning?: (message: string) => void;
}

/** Run checks and fixups and add overlay nodes; throws TreeCheckError on errors unless forced. */
export function processTree(tree: DeviceTree, options: ProcessOptions = {}): Diagnostic[] {
  if (options.bootCpuId !== undefined) tree.bootCpuId = options.bootCpuId;
  const diagnostics = runChecks(tree, { generateSymbols: options.generateSymbols });
  if (!options.force && diagnostics.some((diagnostic) => diagnostic.severity === "error")) throw new TreeCheckError(diagnostics);
  if (options.generateSymbols) generateSymbols(tree, options.onWarning);
  if (tree.isPlugin) generateFixups(tree);
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
