/**
 * Flattened device tree (DTB) encoder and decoder, format version 17 (Devicetree Specification
 * v0.4 chapter 5) and, like dtc, the older versions 1, 2, 3 and 16.
 *
 * Layout written, exactly as dtc lays it out:
 *   header (40 bytes, §5.2) | memory reservation block (§5.3, 8-byte aligned, ends with a zero entry)
 *   | structure block (§5.4) | strings block (§5.5)
 * The decoder validates every offset and length against the blob before touching it, so a
 * malformed blob yields a DtbError, never an out-of-range read, a hang or a huge allocation.
 */

import { ByteBuffer, bytesToLatin1, latin1ToBytes, readU32, readU64 } from "./bytes.js";
import { DeviceTree, DtNode, DtProperty, type MemoryReservation } from "./model.js";

/** §5.2: magic number at offset 0 of every blob. */
export const FDT_MAGIC = 0xd00dfeed;
/** §5.4.1 structure block tokens. */
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

const RESERVE_ENTRY_SIZE = 16;

/**
 * Blob versions dtc reads and writes. Before version 16 node names were full paths, every node
 * carried a `name` property and values of 8 bytes or more were 8-byte aligned; version 2 added
 * boot_cpuid_phys, 3 size_dt_strings, 16 dropped the old conventions, 17 added size_dt_struct
 * (Devicetree Specification v0.4 §5.2 describes 17; older layouts are from dtc's flattree.c).
 */
interface VersionLayout {
  version: number;
  lastCompatibleVersion: number;
  headerSize: number;
  fullPathNames: boolean;
  alignLongValues: boolean;
  nameProperties: boolean;
  hasBootCpuId: boolean;
  hasStringsSize: boolean;
  hasStructSize: boolean;
}

const LAYOUTS: VersionLayout[] = [
  { version: 1, lastCompatibleVersion: 1, headerSize: 28, fullPathNames: true, alignLongValues: true, nameProperties: true, hasBootCpuId: false, hasStringsSize: false, hasStructSize: false },
  { version: 2, lastCompatibleVersion: 1, headerSize: 32, fullPathNames: true, alignLongValues: true, nameProperties: true, hasBootCpuId: true, hasStringsSize: false, hasStructSize: false },
  { version: 3, lastCompatibleVersion: 1, headerSize: 36, fullPathNames: true, alignLongValues: true, nameProperties: true, hasBootCpuId: true, hasStringsSize: true, hasStructSize: false },
  { version: 16, lastCompatibleVersion: 16, headerSize: 36, fullPathNames: false, alignLongValues: false, nameProperties: false, hasBootCpuId: true, hasStringsSize: true, hasStructSize: false },
  { version: 17, lastCompatibleVersion: 16, headerSize: 40, fullPathNames: false, alignLongValues: false, nameProperties: false, hasBootCpuId: true, hasStringsSize: true, hasStructSize: true },
];

export const SUPPORTED_DTB_VERSIONS = LAYOUTS.map((layout) => layout.version);

/** Deepest node nesting accepted when decoding; real trees stay below 20 levels. */
export const MAX_DTB_DEPTH = 1000;

export class DtbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DtbError";
  }
}

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuId: number;
  sizeDtStrings: number;
  sizeDtStruct: number;
}

export interface DecodeOptions {
  /** Called for conditions dtc reports as warnings (e.g. properties after subnodes). */
  onWarning?: (message: string) => void;
  maxDepth?: number;
}

export function isDtb(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && readU32(bytes, 0) === FDT_MAGIC;
}

/** The fields present in a blob of this version; absent ones read as 0. */
export function readFdtHeader(blob: Uint8Array): FdtHeader {
  if (blob.length < 4) throw new DtbError("blob too short to hold the magic number");
  const magic = readU32(blob, 0);
  if (magic !== FDT_MAGIC) throw new DtbError(`bad magic number 0x${magic.toString(16).padStart(8, "0")} (expected 0xd00dfeed)`);
  if (blob.length < 28) throw new DtbError(`truncated header: ${blob.length} bytes`);
  const version = readU32(blob, 20);
  const needed = version >= 17 ? 40 : version >= 3 ? 36 : version >= 2 ? 32 : 28;
  if (blob.length < needed) throw new DtbError(`truncated header: ${blob.length} bytes`);
  return {
    magic,
    totalSize: readU32(blob, 4),
    offDtStruct: readU32(blob, 8),
    offDtStrings: readU32(blob, 12),
    offMemRsvmap: readU32(blob, 16),
    version,
    lastCompVersion: readU32(blob, 24),
    bootCpuId: version >= 2 ? readU32(blob, 28) : 0,
    sizeDtStrings: version >= 3 ? readU32(blob, 32) : 0,
    sizeDtStruct: version >= 17 ? readU32(blob, 36) : 0,
  };
}

/** Decode a DTB into a DeviceTree. Throws DtbError on any malformation. */
export function decodeDtb(blob: Uint8Array, options: DecodeOptions = {}): DeviceTree {
  const header = readFdtHeader(blob);
  const maxDepth = options.maxDepth ?? MAX_DTB_DEPTH;
  const { totalSize, version } = header;
  // Like dtc, any version number is read: below 16 with the old conventions, from 16 without.
  const oldConventions = version < 16;
  const headerSize = version >= 17 ? 40 : version >= 3 ? 36 : version >= 2 ? 32 : 28;
  if (totalSize < headerSize) throw new DtbError(`total size ${totalSize} is smaller than the header`);
  if (totalSize > blob.length) throw new DtbError(`truncated blob: header says ${totalSize} bytes, only ${blob.length} present`);
  if (header.offMemRsvmap >= totalSize) throw new DtbError("memory reservation block offset exceeds total size");
  if (header.offDtStruct >= totalSize) throw new DtbError("structure block offset exceeds total size");
  if (header.offDtStrings > totalSize) throw new DtbError("strings block offset exceeds total size");
  // Before version 3 the strings block has no recorded size: it runs to the end of the blob.
  const stringsSize = version >= 3 ? header.sizeDtStrings : totalSize - header.offDtStrings;
  const stringsEnd = header.offDtStrings + stringsSize;
  if (stringsEnd > totalSize) throw new DtbError("strings block extends past total size");
  if (version >= 17 && header.offDtStruct + header.sizeDtStruct > totalSize) throw new DtbError("structure block extends past total size");
  if (header.offDtStruct % 4 !== 0) throw new DtbError("structure block offset is not 4-byte aligned");

  const tree = new DeviceTree();
  tree.bootCpuId = header.bootCpuId;
  tree.reservations = readReservations(blob, header.offMemRsvmap, totalSize);

  // The structure block is read up to totalsize, like dtc, so a v17 size_dt_struct that
  // undercounts is tolerated; every read below is bounded by `limit`.
  const limit = totalSize;
  let cursor = header.offDtStruct;
  const nameCache = new Map<number, string>();

  const readWord = (): number => {
    if (cursor + 4 > limit) throw new DtbError("premature end of data in structure block");
    const word = readU32(blob, cursor);
    cursor += 4;
    return word;
  };
  const structStart = header.offDtStruct;
  /** Alignment is relative to the start of the structure block, as in dtc's reader. */
  const alignTo = (alignment: number): void => {
    cursor = structStart + Math.ceil((cursor - structStart) / alignment) * alignment;
    if (cursor > limit) throw new DtbError("premature end of data in structure block");
  };
  const align4 = (): void => alignTo(4);
  /** Old blobs store full paths; the node's own name is what follows its parent's path. */
  const ownName = (parentPath: string, path: string): string => {
    // The root is "/" and every other path is its parent's path plus "/name". (dtc checks only the
    // prefix and then reads past the string for a malformed root; here that is an error.)
    const prefix = parentPath === "/" ? "/" : parentPath + "/";
    if (!path.startsWith(prefix)) throw new DtbError(`path "${path}" is not valid as a child of "${parentPath}"`);
    return path.slice(prefix.length);
  };
  const readNodeName = (): string => {
    let end = cursor;
    while (end < limit && blob[end] !== 0) end++;
    if (end >= limit) throw new DtbError(`unterminated node name at offset ${cursor}`);
    const name = bytesToLatin1(blob, cursor, end);
    cursor = end + 1;
    align4();
    return name;
  };
  const propertyName = (offset: number): string => {
    const cached = nameCache.get(offset);
    if (cached !== undefined) return cached;
    const start = header.offDtStrings + offset;
    if (offset >= stringsSize || start >= stringsEnd) throw new DtbError(`string offset ${offset} overruns the strings block`);
    let end = start;
    while (end < stringsEnd && blob[end] !== 0) end++;
    if (end >= stringsEnd) throw new DtbError(`unterminated property name at string offset ${offset}`);
    const name = bytesToLatin1(blob, start, end);
    nameCache.set(offset, name);
    return name;
  };

  if (readWord() !== FDT_BEGIN_NODE) throw new DtbError("structure block does not begin with FDT_BEGIN_NODE");
  const root = tree.root;
  const rootName = readNodeName();
  root.name = oldConventions ? ownName("", rootName) : rootName;
  // Explicit stack instead of recursion: nesting depth is bounded by maxDepth, not by the JS stack.
  const stack: DtNode[] = [root];
  /** Raw (possibly full-path) names of the open nodes, for old blobs. */
  const rawNames: string[] = [rootName];
  while (stack.length) {
    const node = stack[stack.length - 1];
    const token = readWord();
    switch (token) {
      case FDT_PROP: {
        const length = readWord();
        const nameOffset = readWord();
        const name = propertyName(nameOffset);
        if (oldConventions && length >= 8) alignTo(8);
        if (length > limit - cursor) throw new DtbError(`property ${name} length ${length} overruns the structure block`);
        if (node.children.length) options.onWarning?.("Warning: Flat tree input has subnodes preceding a property.");
        const value = blob.slice(cursor, cursor + length);
        cursor += length;
        align4();
        node.properties.push(new DtProperty(name, value));
        break;
      }
      case FDT_BEGIN_NODE: {
        if (stack.length >= maxDepth) throw new DtbError(`nodes nested deeper than ${maxDepth} levels`);
        const rawName = readNodeName();
        const child = new DtNode(oldConventions ? ownName(rawNames[rawNames.length - 1], rawName) : rawName);
        node.appendChild(child);
        stack.push(child);
        rawNames.push(rawName);
        break;
      }
      case FDT_END_NODE:
        stack.pop();
        rawNames.pop();
        break;
      case FDT_NOP:
        if (oldConventions) options.onWarning?.("Warning: NOP tag found in flat tree version <16");
        break;
      case FDT_END:
        throw new DtbError("premature FDT_END in structure block");
      default:
        throw new DtbError(`invalid structure token 0x${token.toString(16).padStart(8, "0")} at offset ${cursor - 4}`);
    }
  }
  if (readWord() !== FDT_END) throw new DtbError("structure block does not end with FDT_END");
  return tree;
}

function readReservations(blob: Uint8Array, offset: number, limit: number): MemoryReservation[] {
  const reservations: MemoryReservation[] = [];
  // §5.3: the list ends with an entry whose size is zero; each entry is two u64.
  for (let cursor = offset; ; cursor += RESERVE_ENTRY_SIZE) {
    if (cursor + RESERVE_ENTRY_SIZE > limit) throw new DtbError("memory reservation block is not terminated");
    const address = readU64(blob, cursor);
    const size = readU64(blob, cursor + 8);
    if (size === 0n) break;
    reservations.push({ address, size, labels: [] });
  }
  return reservations;
}

export interface EncodeOptions {
  /** Blob version (dtc -V): 1, 2, 3, 16 or 17 (the default). */
  version?: number;
  /** `boot_cpuid_phys` for the header; defaults to the tree's bootCpuId. */
  bootCpuId?: number;
  /** Extra empty reservation slots (dtc -R). */
  reserveSlots?: number;
  /** Pad the blob to at least this many bytes (dtc -S). */
  minSize?: number;
  /** Add this many bytes of padding (dtc -p). */
  padSize?: number;
  /** Pad the total size to a multiple of this power of two (dtc -a). */
  align?: number;
  /** Called for conditions dtc reports as warnings. */
  onWarning?: (message: string) => void;
  /**
   * Let a property name reuse the tail of a longer name already in the strings block ("status"
   * inside "secure-status"), as dtc and libfdt do (default true). With false every distinct name
   * is stored whole, once, in the order the structure block first uses it.
   */
  shareStringSuffixes?: boolean;
}

/**
 * The strings block. Like dtc, a name is looked up as any suffix of a string already in the
 * table (so "size-cells" reuses the tail of "#size-cells"), else appended; with `shareSuffixes`
 * false only whole names are reused.
 */
class StringTable {
  readonly buffer = new ByteBuffer(1024);
  private readonly offsets = new Map<string, number>();

  constructor(private readonly shareSuffixes = true) {}

  offsetOf(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const base = this.buffer.length;
    this.buffer.appendBytes(latin1ToBytes(name));
    this.buffer.appendByte(0);
    // Every suffix now exists at a higher offset than anything recorded before,
    // so keeping the first offset seen reproduces dtc's lowest-offset match.
    for (let i = 0; i <= (this.shareSuffixes ? name.length : 0); i++) {
      const suffix = name.slice(i);
      if (!this.offsets.has(suffix)) this.offsets.set(suffix, base + i);
    }
    return base;
  }
}

/** Encode a tree (or a bare root node) as a DTB laid out byte-for-byte like dtc's (version 17 unless asked). */
export function encodeDtb(treeOrRoot: DeviceTree | DtNode, options: EncodeOptions = {}): Uint8Array {
  const tree = treeOrRoot instanceof DeviceTree ? treeOrRoot : new DeviceTree(treeOrRoot);
  const layout = LAYOUTS.find((candidate) => candidate.version === (options.version ?? 17));
  if (!layout) throw new DtbError(`unknown device tree blob version ${options.version}`);
  const structure = new ByteBuffer(64 * 1024);
  const strings = new StringTable(options.shareStringSuffixes ?? true);

  const writeNode = (node: DtNode, path: string): void => {
    if (node.deleted) return;
    structure.appendU32(FDT_BEGIN_NODE);
    structure.appendBytes(latin1ToBytes(layout.fullPathNames ? path : node.name));
    structure.appendByte(0);
    structure.alignTo(4);
    let hasNameProperty = false;
    for (const property of node.properties) {
      if (property.deleted) continue;
      if (property.name === "name") hasNameProperty = true;
      const nameOffset = strings.offsetOf(property.name);
      structure.appendU32(FDT_PROP);
      structure.appendU32(property.value.length);
      structure.appendU32(nameOffset);
      if (layout.alignLongValues && property.value.length >= 8) structure.alignTo(8);
      structure.appendBytes(property.value);
      structure.alignTo(4);
    }
    if (layout.nameProperties && !hasNameProperty) {
      // Old blobs carry the base name (without unit address) as a `name` property.
      const baseName = latin1ToBytes(node.baseName + "\0");
      structure.appendU32(FDT_PROP);
      structure.appendU32(baseName.length);
      structure.appendU32(strings.offsetOf("name"));
      if (layout.alignLongValues && baseName.length >= 8) structure.alignTo(8);
      structure.appendBytes(baseName);
      structure.alignTo(4);
    }
    for (const child of node.children) writeNode(child, path === "/" ? `/${child.name}` : `${path}/${child.name}`);
    structure.appendU32(FDT_END_NODE);
  };
  writeNode(tree.root, "/");
  structure.appendU32(FDT_END);

  const reservations = new ByteBuffer(RESERVE_ENTRY_SIZE * (tree.reservations.length + 1));
  for (const reservation of tree.reservations) {
    reservations.appendU64(BigInt.asUintN(64, reservation.address));
    reservations.appendU64(BigInt.asUintN(64, reservation.size));
  }
  for (let i = 0; i < (options.reserveSlots ?? 0); i++) reservations.appendZeroes(RESERVE_ENTRY_SIZE);
  reservations.appendZeroes(RESERVE_ENTRY_SIZE);

  // §5.3: the reservation block starts 8-byte aligned after the header.
  const reserveOffset = Math.ceil(layout.headerSize / 8) * 8;
  const structOffset = reserveOffset + reservations.length;
  const stringsOffset = structOffset + structure.length;
  const usedSize = stringsOffset + strings.buffer.length;

  let padding = 0;
  if (options.minSize && options.minSize > 0) {
    padding = options.minSize - usedSize;
    if (padding < 0) {
      padding = 0;
      options.onWarning?.(`Warning: blob size ${usedSize} >= minimum size ${options.minSize}`);
    }
  }
  if (options.padSize && options.padSize > 0) padding = options.padSize;
  if (options.align && options.align > 0) {
    const alignment = options.align;
    padding = Math.ceil((usedSize + padding) / alignment) * alignment - usedSize;
  }
  const totalSize = usedSize + padding;

  const blob = new Uint8Array(totalSize);
  const view = new DataView(blob.buffer);
  // dtc starts from an all-ones header and fills in the fields this version has.
  blob.fill(0xff, 0, layout.headerSize);
  view.setUint32(0, FDT_MAGIC);
  view.setUint32(4, totalSize);
  view.setUint32(8, structOffset);
  view.setUint32(12, stringsOffset);
  view.setUint32(16, reserveOffset);
  view.setUint32(20, layout.version);
  view.setUint32(24, layout.lastCompatibleVersion);
  if (layout.hasBootCpuId) view.setUint32(28, (options.bootCpuId ?? tree.bootCpuId) >>> 0);
  if (layout.hasStringsSize) view.setUint32(32, strings.buffer.length);
  if (layout.hasStructSize) view.setUint32(36, structure.length);
  blob.set(reservations.view(), reserveOffset);
  blob.set(structure.view(), structOffset);
  blob.set(strings.buffer.view(), stringsOffset);
  return blob;
}

/**
 * The blob a tree built call by call with libfdt's read-write functions leaves, byte for byte
 * (QEMU's create_device_tree, then qemu_fdt_add_subnode and qemu_fdt_setprop in the order the
 * board made each node and property): the empty tree of fdt_create at the start of a zeroed
 * `size`-byte buffer (reservation block at 0x30), then every node and property replayed in
 * creation order. fdt_add_subnode puts a node after its parent's properties, fdt_setprop a new
 * property first in its node, a new name at the end of the strings block unless it is already
 * there (as a whole string or the tail of one, fdt_find_add_string_); each insertion moves what
 * follows (fdt_splice_), and a property's padding keeps the bytes that were there before, as
 * libfdt leaves them. Properties are replayed with their final values.
 */
export function encodeDtbAsBuilt(tree: DeviceTree, size: number): Uint8Array {
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  const RSV = 0x30, STRUCT = 0x40;
  let structSize = 16, stringsSize = 0;
  // fdt_create + fdt_finish_reservemap + the root node + fdt_finish (all zeros but the tags).
  view.setUint32(STRUCT, FDT_BEGIN_NODE);
  view.setUint32(STRUCT + 8, FDT_END_NODE);
  view.setUint32(STRUCT + 12, FDT_END);
  const stringsOffset = () => STRUCT + structSize;
  const splice = (at: number, oldLength: number, newLength: number): void => {
    const end = stringsOffset() + stringsSize;
    if (end - oldLength + newLength > size) throw new DtbError("device tree does not fit its buffer");
    buf.copyWithin(at + newLength, at + oldLength, end);
  };
  const align4 = (n: number) => (n + 3) & ~3;
  /** Offset just past a node's BEGIN_NODE tag and name. */
  const afterName = (at: number): number => {
    let p = at + 4;
    while (buf[p] !== 0) p++;
    return align4(p + 1);
  };
  /** The offset of the node at `path` (names from the root), walking the structure block. */
  const nodeAt = (path: string[]): number => {
    let at = STRUCT;
    for (const name of path) {
      let p = afterName(at), depth = 0, found = -1;
      for (;;) {
        const tag = view.getUint32(p);
        if (tag === FDT_PROP) { p = align4(p + 12 + view.getUint32(p + 4)); continue; }
        if (tag === FDT_NOP) { p += 4; continue; }
        if (tag === FDT_BEGIN_NODE) {
          if (depth === 0) {
            let e = p + 4;
            while (buf[e] !== 0) e++;
            if (bytesToLatin1(buf.subarray(p + 4, e)) === name) { found = p; break; }
          }
          depth++;
          p = afterName(p);
          continue;
        }
        if (tag === FDT_END_NODE) {
          if (depth === 0) break;
          depth--;
          p += 4;
          continue;
        }
        break;
      }
      if (found < 0) throw new DtbError(`replaying the tree: no node ${name}`);
      at = found;
    }
    return at;
  };
  const stringOffset = (name: string): number => {
    const want = latin1ToBytes(name + "\0");
    const base = stringsOffset();
    for (let p = 0; p + want.length <= stringsSize; p++) {
      let same = true;
      for (let i = 0; i < want.length && same; i++) same = buf[base + p + i] === want[i];
      if (same) return p;
    }
    const at = stringsSize;
    splice(base + at, 0, want.length);
    buf.set(want, base + at);
    stringsSize += want.length;
    return at;
  };
  const pathOf = (node: DtNode): string[] => {
    const names: string[] = [];
    for (let n: DtNode | undefined = node; n && n.parent; n = n.parent) names.unshift(n.name);
    return names;
  };
  type Step = { serial: number; node: DtNode; property?: DtProperty };
  const steps: Step[] = [];
  const collect = (node: DtNode, isRoot: boolean): void => {
    if (node.deleted) return;
    if (!isRoot) steps.push({ serial: node.serial, node });
    for (const p of node.properties) if (!p.deleted) steps.push({ serial: p.serial, node, property: p });
    for (const c of node.children) collect(c, false);
  };
  collect(tree.root, true);
  steps.sort((a, b) => a.serial - b.serial);
  for (const step of steps) {
    if (!step.property) {
      // fdt_add_subnode: after the parent's properties (and NOPs).
      let p = afterName(nodeAt(pathOf(step.node.parent!)));
      while (view.getUint32(p) === FDT_PROP || view.getUint32(p) === FDT_NOP) {
        p = view.getUint32(p) === FDT_NOP ? p + 4 : align4(p + 12 + view.getUint32(p + 4));
      }
      const name = latin1ToBytes(step.node.name);
      const length = 4 + align4(name.length + 1) + 4;
      splice(p, 0, length);
      structSize += length;
      view.setUint32(p, FDT_BEGIN_NODE);
      buf.fill(0, p + 4, p + 4 + align4(name.length + 1));
      buf.set(name, p + 4);
      view.setUint32(p + length - 4, FDT_END_NODE);
      continue;
    }
    // fdt_setprop of a new property: the name first, then the property first in its node.
    const nameOffset = stringOffset(step.property.name);
    const value = step.property.value;
    const p = afterName(nodeAt(pathOf(step.node)));
    const length = 12 + align4(value.length);
    splice(p, 0, length);
    structSize += length;
    view.setUint32(p, FDT_PROP);
    view.setUint32(p + 4, value.length);
    view.setUint32(p + 8, nameOffset);
    buf.set(value, p + 12);
  }
  view.setUint32(0, FDT_MAGIC);
  view.setUint32(4, size);
  view.setUint32(8, STRUCT);
  view.setUint32(12, stringsOffset());
  view.setUint32(16, RSV);
  view.setUint32(20, 17);
  view.setUint32(24, 16);
  view.setUint32(28, tree.bootCpuId >>> 0);
  view.setUint32(32, stringsSize);
  view.setUint32(36, structSize);
  return buf;
}
