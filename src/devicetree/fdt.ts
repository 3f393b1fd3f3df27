/**
 * Flattened device tree (DTB) encoder and decoder, format version 17
 * (Devicetree Specification v0.4 chapter 5).
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

const HEADER_SIZE_V17 = 40;
const HEADER_SIZE_V16 = 36;
const RESERVE_ENTRY_SIZE = 16;

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

export function readFdtHeader(blob: Uint8Array): FdtHeader {
  if (blob.length < 4) throw new DtbError("blob too short to hold the magic number");
  const magic = readU32(blob, 0);
  if (magic !== FDT_MAGIC) throw new DtbError(`bad magic number 0x${magic.toString(16).padStart(8, "0")} (expected 0xd00dfeed)`);
  if (blob.length < HEADER_SIZE_V16) throw new DtbError(`truncated header: ${blob.length} bytes`);
  const version = readU32(blob, 20);
  if (version >= 17 && blob.length < HEADER_SIZE_V17) throw new DtbError(`truncated header: ${blob.length} bytes`);
  return {
    magic,
    totalSize: readU32(blob, 4),
    offDtStruct: readU32(blob, 8),
    offDtStrings: readU32(blob, 12),
    offMemRsvmap: readU32(blob, 16),
    version,
    lastCompVersion: readU32(blob, 24),
    bootCpuId: readU32(blob, 28),
    sizeDtStrings: readU32(blob, 32),
    sizeDtStruct: version >= 17 ? readU32(blob, 36) : 0,
  };
}

/** Decode a DTB into a DeviceTree. Throws DtbError on any malformation. */
export function decodeDtb(blob: Uint8Array, options: DecodeOptions = {}): DeviceTree {
  const header = readFdtHeader(blob);
  const maxDepth = options.maxDepth ?? MAX_DTB_DEPTH;
  const { totalSize, version } = header;
  if (version < 16) throw new DtbError(`unsupported blob version ${version} (16 and 17 are supported)`);
  const headerSize = version >= 17 ? HEADER_SIZE_V17 : HEADER_SIZE_V16;
  if (totalSize < headerSize) throw new DtbError(`total size ${totalSize} is smaller than the header`);
  if (totalSize > blob.length) throw new DtbError(`truncated blob: header says ${totalSize} bytes, only ${blob.length} present`);
  if (header.offMemRsvmap >= totalSize) throw new DtbError("memory reservation block offset exceeds total size");
  if (header.offDtStruct >= totalSize) throw new DtbError("structure block offset exceeds total size");
  if (header.offDtStrings > totalSize) throw new DtbError("strings block offset exceeds total size");
  const stringsEnd = header.offDtStrings + header.sizeDtStrings;
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
  const align4 = (): void => {
    cursor = (cursor + 3) & ~3;
    if (cursor > limit) throw new DtbError("premature end of data in structure block");
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
    if (offset >= header.sizeDtStrings || start >= stringsEnd) throw new DtbError(`string offset ${offset} overruns the strings block`);
    let end = start;
    while (end < stringsEnd && blob[end] !== 0) end++;
    if (end >= stringsEnd) throw new DtbError(`unterminated property name at string offset ${offset}`);
    const name = bytesToLatin1(blob, start, end);
    nameCache.set(offset, name);
    return name;
  };

  if (readWord() !== FDT_BEGIN_NODE) throw new DtbError("structure block does not begin with FDT_BEGIN_NODE");
  const root = tree.root;
  root.name = readNodeName();
  // Explicit stack instead of recursion: nesting depth is bounded by maxDepth, not by the JS stack.
  const stack: DtNode[] = [root];
  while (stack.length) {
    const node = stack[stack.length - 1];
    const token = readWord();
    switch (token) {
      case FDT_PROP: {
        const length = readWord();
        const nameOffset = readWord();
        const name = propertyName(nameOffset);
        if (length > limit - cursor) throw new DtbError(`property ${name} length ${length} overruns the structure block`);
        if (node.children.length) options.onWarning?.("Flat tree input has subnodes preceding a property.");
        const value = blob.slice(cursor, cursor + length);
        cursor += length;
        align4();
        node.properties.push(new DtProperty(name, value));
        break;
      }
      case FDT_BEGIN_NODE: {
        if (stack.length >= maxDepth) throw new DtbError(`nodes nested deeper than ${maxDepth} levels`);
        const child = new DtNode(readNodeName());
        node.appendChild(child);
        stack.push(child);
        break;
      }
      case FDT_END_NODE:
        stack.pop();
        break;
      case FDT_NOP:
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
}

/**
 * The strings block. Like dtc, a name is looked up as any suffix of a string already in the
 * table (so "size-cells" reuses the tail of "#size-cells"), else appended.
 */
class StringTable {
  readonly buffer = new ByteBuffer(1024);
  private readonly offsets = new Map<string, number>();

  offsetOf(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const base = this.buffer.length;
    this.buffer.appendBytes(latin1ToBytes(name));
    this.buffer.appendByte(0);
    // Every suffix now exists at a higher offset than anything recorded before,
    // so keeping the first offset seen reproduces dtc's lowest-offset match.
    for (let i = 0; i <= name.length; i++) {
      const suffix = name.slice(i);
      if (!this.offsets.has(suffix)) this.offsets.set(suffix, base + i);
    }
    return base;
  }
}

/** Encode a tree (or a bare root node) as a version 17 DTB laid out byte-for-byte like dtc's. */
export function encodeDtb(treeOrRoot: DeviceTree | DtNode, options: EncodeOptions = {}): Uint8Array {
  const tree = treeOrRoot instanceof DeviceTree ? treeOrRoot : new DeviceTree(treeOrRoot);
  const structure = new ByteBuffer(64 * 1024);
  const strings = new StringTable();

  const writeNode = (node: DtNode): void => {
    if (node.deleted) return;
    structure.appendU32(FDT_BEGIN_NODE);
    structure.appendBytes(latin1ToBytes(node.name));
    structure.appendByte(0);
    structure.alignTo(4);
    for (const property of node.properties) {
      if (property.deleted) continue;
      const nameOffset = strings.offsetOf(property.name);
      structure.appendU32(FDT_PROP);
      structure.appendU32(property.value.length);
      structure.appendU32(nameOffset);
      structure.appendBytes(property.value);
      structure.alignTo(4);
    }
    for (const child of node.children) writeNode(child);
    structure.appendU32(FDT_END_NODE);
  };
  writeNode(tree.root);
  structure.appendU32(FDT_END);

  const reservations = new ByteBuffer(RESERVE_ENTRY_SIZE * (tree.reservations.length + 1));
  for (const reservation of tree.reservations) {
    reservations.appendU64(BigInt.asUintN(64, reservation.address));
    reservations.appendU64(BigInt.asUintN(64, reservation.size));
  }
  for (let i = 0; i < (options.reserveSlots ?? 0); i++) reservations.appendZeroes(RESERVE_ENTRY_SIZE);
  reservations.appendZeroes(RESERVE_ENTRY_SIZE);

  const reserveOffset = HEADER_SIZE_V17; // already 8-byte aligned, as §5.3 requires
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
  view.setUint32(0, FDT_MAGIC);
  view.setUint32(4, totalSize);
  view.setUint32(8, structOffset);
  view.setUint32(12, stringsOffset);
  view.setUint32(16, reserveOffset);
  view.setUint32(20, 17); // version
  view.setUint32(24, 16); // last_comp_version
  view.setUint32(28, (options.bootCpuId ?? tree.bootCpuId) >>> 0);
  view.setUint32(32, strings.buffer.length);
  view.setUint32(36, structure.length);
  blob.set(reservations.toBytes(), reserveOffset);
  blob.set(structure.toBytes(), structOffset);
  blob.set(strings.buffer.toBytes(), stringsOffset);
  return blob;
}
