/**
 * A device tree the user supplies (`-dtb FILE`), checked and modified the way QEMU 7.2 does it
 * before handing it to the guest.
 *
 * QEMU reads the file with device_tree.c load_device_tree: it allocates (size + 10000) * 2
 * zeroed bytes, copies the file in, and calls libfdt's fdt_open_into(fdt, fdt, bufsize) and
 * fdt_check_header; a failure ends QEMU with exit status 1 (a few corrupt headers crash it inside
 * libfdt instead). hw/arm/boot.c arm_load_dtb then
 * edits the blob in that buffer with libfdt's read-write calls:
 *   1. every node named "memory" or "memory@..." whose path starts with "/memory" is replaced
 *      by FDT_NOP tags (qemu_fdt_node_unit_path + qemu_fdt_nop_node);
 *   2. /memory@<base> is added with device_type = "memory" and reg = <base size> in the root's
 *      #address-cells/#size-cells (fdt_add_memory_node; 1 or 2 cells each);
 *   3. /chosen is added when there is none; bootargs is set when -append is non-empty, and
 *      linux,initrd-start/end (one cell each, qemu_fdt_setprop_cell) when an initrd was loaded;
 *   4. fdt_add_psci_node: when the CPU's PSCI conduit is enabled, any /psci is NOPed out and a new
 *      one written with QEMU's function IDs;
 * and the whole buffer, totalsize = bufsize, is what `dumpdtb` writes and the guest gets.
 * libfdt puts every new subnode first among its parent's children (after the properties and
 * NOPs) and every new property first in its node, and an existing property is rewritten in place.
 *
 * The code below repeats those libfdt operations on a byte buffer of the same size, in the
 * same order (memmove is copyWithin), so the result is byte-for-byte QEMU's, stale bytes in
 * alignment padding included. Before that the blob is validated like libfdt's fdt_check_header
 * and fdt_check_full, with one line naming the problem; that is stricter than QEMU in a few
 * places where QEMU passes a corrupt blob on to the guest (noted where checked).
 *
 * Platform-neutral: Uint8Array and DataView only.
 */
import { LoadError } from "../../loaders/errors.js";

export interface UserDtbOptions {
  ramBase: number;
  ramSize: number;
  /** -append: set as /chosen/bootargs when non-empty. */
  bootargs?: string;
  /** The loaded initrd (Linux images only); linux,initrd-start/end are set when it is non-empty. */
  initrd?: { start: number; end: number };
  /**
   * The CPU's PSCI conduit as the board computes it for this image (VirtBoard's conduitFor:
   * "hvc" for a Linux kernel at EL1, "smc" with virtualization=on, "none" for an image that starts
   * at the EL the conduit would trap to). "hvc"/"smc" replace /psci as QEMU does; "none" or
   * undefined leave the tree's /psci alone (QEMU_PSCI_CONDUIT_DISABLED).
   */
  psci?: "hvc" | "smc" | "none";
  /**
   * Bytes available where the board puts the DTB (plan.dtbLimit - plan.dtbAddr). When given, a
   * result larger than this is a LoadError. QEMU says nothing: below an ELF image it silently
   * loads no DTB (arm_load_dtb returns 0 when the blob would cross dtb_limit), and for Linux it
   * sets no limit and loads a blob that runs past the end of RAM, which the guest gets cut off.
   * Leave it undefined when the board places no DTB at all (an ELF image at the start of RAM):
   * QEMU still reads and edits the file then, so a bad one is still an error.
   */
  room?: number;
}

/** load_device_tree refuses files above INT_MAX / 2 - 10000 bytes ("Device tree file ... is too large"). */
export const MAX_USER_DTB_FILE_SIZE = Math.floor(0x7fffffff / 2) - 10000;

/** The size of the blob QEMU hands the guest for a -dtb file of `fileSize` bytes (load_device_tree). */
export function userDtbLoadSize(fileSize: number): number {
  return (fileSize + 10000) * 2;
}

/** The largest -dtb file whose loaded blob fits in `room` bytes (negative: none fits). */
export function largestUserDtbFile(room: number): number {
  return Math.min(MAX_USER_DTB_FILE_SIZE, Math.floor(room / 2) - 10000);
}

// libfdt's tokens and error numbers (libfdt.h, fdt.h).
const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9;
const ERR_NOTFOUND = 1, ERR_EXISTS = 2, ERR_NOSPACE = 3, ERR_BADOFFSET = 4, ERR_TRUNCATED = 8, ERR_BADSTRUCTURE = 11;
const TAG_NAMES: Record<number, string> = { 1: "FDT_BEGIN_NODE", 2: "FDT_END_NODE", 3: "FDT_PROP", 4: "FDT_NOP", 9: "FDT_END" };
const ERR_NAMES: Record<number, string> = {
  1: "FDT_ERR_NOTFOUND", 2: "FDT_ERR_EXISTS", 3: "FDT_ERR_NOSPACE", 4: "FDT_ERR_BADOFFSET", 8: "FDT_ERR_TRUNCATED",
  11: "FDT_ERR_BADSTRUCTURE",
};
/** Header field offsets (struct fdt_header). */
const H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_MEMRSV = 16, H_VERSION = 20, H_LAST_COMP = 24,
  H_BOOT_CPUID = 28, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36;
/** sizeof(struct fdt_header), which libfdt aligns the reservation map after (FDT_ALIGN(40, 8)). */
const HEADER_V17 = 40;
const RSV_ENTRY = 16;
const INT_MAX = 0x7fffffff;
/** hw/arm/boot.c's PSCI 0.2+ function IDs for an AArch64 CPU, and QEMU's compatible list for PSCI 1.0. */
const PSCI_COMPATIBLE = "arm,psci-1.0\0arm,psci-0.2\0arm,psci\0";
const PSCI_FNS: [string, number][] = [["cpu_suspend", 0xc4000001], ["cpu_off", 0x84000002], ["cpu_on", 0xc4000003], ["migrate", 0xc4000005]];

function fail(message: string): never {
  throw new LoadError(`device tree: ${message}`);
}

function hex(v: number): string { return `0x${v.toString(16)}`; }
function align4(v: number): number { return (v + 3) & ~3; }

/** fdt_header_size_: the header a blob of this version has. */
function headerSize(version: number): number {
  return version <= 1 ? 28 : version <= 2 ? 32 : version <= 16 ? 36 : 40;
}

const utf8 = new TextEncoder();
function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Bytes as a string of the same char codes (names are byte strings), in chunks: names can be long. */
function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let p = start; p < end; p += 8192) s += String.fromCharCode(...b.subarray(p, Math.min(end, p + 8192)));
  return s;
}

/** libfdt's error signalled through a negative offset; carries the FDT_ERR_* number. */
class FdtErr extends Error {
  constructor(readonly code: number) { super(ERR_NAMES[code] ?? `FDT_ERR_${code}`); }
}

/**
 * The libfdt calls QEMU makes, on a blob at offset 0 of `b`. Offsets are structure-block
 * relative, as in libfdt; reads are bounded the way fdt_offset_ptr bounds them (by totalsize,
 * and for version 17 also by size_dt_struct). Failures return libfdt's negative error numbers.
 */
class Fdt {
  readonly v: DataView;
  constructor(readonly b: Uint8Array) { this.v = new DataView(b.buffer, b.byteOffset, b.byteLength); }

  get(field: number): number { return this.v.getUint32(field); }
  set(field: number, value: number): void { this.v.setUint32(field, value >>> 0); }

  /** fdt_offset_ptr: the absolute position of `len` bytes at structure offset `offset`, or -1. */
  ptr(offset: number, len: number): number {
    const abs = offset + this.get(H_OFF_STRUCT);
    if (offset < 0 || abs + len > this.get(H_TOTALSIZE)) return -1;
    if (this.get(H_VERSION) >= 17 && offset + len > this.get(H_SIZE_STRUCT)) return -1;
    return abs;
  }

  /** fdt_next_tag: the tag at `start` and the offset after it (negative: error, with FDT_END). */
  nextTag(start: number): { tag: number; next: number } {
    let offset = start;
    const tp = this.ptr(offset, 4);
    if (tp < 0) return { tag: FDT_END, next: -ERR_TRUNCATED };
    const tag = this.v.getUint32(tp);
    offset += 4;
    const bad = { tag: FDT_END, next: -ERR_BADSTRUCTURE };
    switch (tag) {
      case FDT_BEGIN_NODE: {
        let p: number;
        do { p = this.ptr(offset++, 1); } while (p >= 0 && this.b[p] !== 0);
        if (p < 0) return bad;
        break;
      }
      case FDT_PROP: {
        const lp = this.ptr(offset, 4);
        if (lp < 0) return bad;
        const len = this.v.getUint32(lp);
        if (len + offset >= INT_MAX) return bad;
        offset += 8 + len;
        // Blobs below version 16 align values of 8 bytes or more; libfdt reads only 16 and 17 here.
        break;
      }
      case FDT_END: case FDT_END_NODE: case FDT_NOP:
        break;
      default:
        return bad;
    }
    if (this.ptr(start, offset - start) < 0) return bad;
    return { tag, next: align4(offset) };
  }

  /** fdt_check_node_offset_: the offset after the FDT_BEGIN_NODE tag at `offset`. */
  checkNode(offset: number): number {
    if (offset < 0 || offset % 4) return -ERR_BADOFFSET;
    const t = this.nextTag(offset);
    return t.tag === FDT_BEGIN_NODE ? t.next : -ERR_BADOFFSET;
  }

  /** fdt_next_node; `depth` is updated when given. */
  nextNode(offset: number, depth?: { d: number }): number {
    let next = 0;
    if (offset >= 0 && (next = this.checkNode(offset)) < 0) return next;
    let tag: number;
    do {
      offset = next;
      const t = this.nextTag(offset);
      tag = t.tag; next = t.next;
      if (tag === FDT_BEGIN_NODE) { if (depth) depth.d++; }
      else if (tag === FDT_END_NODE) { if (depth && --depth.d < 0) return next; }
      else if (tag === FDT_END) {
        return next >= 0 || (next === -ERR_TRUNCATED && !depth) ? -ERR_NOTFOUND : next;
      }
    } while (tag !== FDT_BEGIN_NODE);
    return offset;
  }

  /** The node name bytes at a node offset (fdt_get_name), as a byte string. */
  name(offset: number): string {
    const start = this.get(H_OFF_STRUCT) + offset + 4;
    let end = start;
    while (this.b[end] !== 0) end++;
    return latin1(this.b, start, end);
  }

  /** fdt_nodename_eq_: "name" also matches "name@unit". */
  nameEq(offset: number, s: string): boolean {
    const n = this.name(offset);
    if (n === s) return true;
    return !s.includes("@") && n.startsWith(s + "@");
  }

  /** fdt_subnode_offset_namelen. */
  subnode(parent: number, name: string): number {
    const depth = { d: 0 };
    let offset = parent;
    for (; offset >= 0 && depth.d >= 0; offset = this.nextNode(offset, depth)) {
      if (depth.d === 1 && this.nameEq(offset, name)) return offset;
    }
    return depth.d < 0 ? -ERR_NOTFOUND : offset;
  }

  /** fdt_path_offset for an absolute path. */
  pathOffset(path: string): number {
    let offset = 0;
    for (const part of path.split("/")) {
      if (part === "") continue;
      offset = this.subnode(offset, part);
      if (offset < 0) return offset;
    }
    return offset;
  }

  /** fdt_get_string: the string at `stroffset`, or undefined (out of range or unterminated). */
  string(stroffset: number): string | undefined {
    const base = this.get(H_OFF_STRINGS);
    const total = this.get(H_TOTALSIZE);
    const abs = base + stroffset;
    if (abs >= total) return undefined;
    let len = total - abs;
    if (this.get(H_VERSION) >= 17) {
      const size = this.get(H_SIZE_STRINGS);
      if (stroffset >= size) return undefined;
      len = Math.min(len, size - stroffset);
    }
    const nul = this.b.subarray(abs, abs + len).indexOf(0);
    if (nul < 0) return undefined;
    return latin1(this.b, abs, abs + nul);
  }

  /** nextprop_: the next FDT_PROP from `offset`, skipping NOPs. */
  private nextProp(offset: number): number {
    let tag: number;
    do {
      const t = this.nextTag(offset);
      tag = t.tag;
      if (tag === FDT_END) return t.next >= 0 ? -ERR_BADSTRUCTURE : t.next;
      if (tag === FDT_PROP) return offset;
      offset = t.next;
    } while (tag === FDT_NOP);
    return -ERR_NOTFOUND;
  }

  /** fdt_get_property_namelen_: the property's structure offset, or a negative error. */
  findProp(node: number, name: string): number {
    const first = this.checkNode(node);
    if (first < 0) return first;
    for (let offset = this.nextProp(first); ; ) {
      if (offset < 0) return offset;
      const abs = this.get(H_OFF_STRUCT) + offset;
      if (this.string(this.v.getUint32(abs + 8)) === name) return offset;
      offset = this.nextProp(this.nextTag(offset).next);
    }
  }

  /** fdt_getprop: the value bytes, or a negative error. */
  getProp(node: number, name: string): Uint8Array | number {
    const offset = this.findProp(node, name);
    if (offset < 0) return offset;
    const abs = this.get(H_OFF_STRUCT) + offset;
    return this.b.subarray(abs + 12, abs + 12 + this.v.getUint32(abs + 4));
  }

  // ---- fdt_rw.c / fdt_wip.c ----

  /** fdt_splice_: make room (or close it) at absolute position `p`; the tail moves with memmove. */
  private splice(p: number, oldLen: number, newLen: number): void {
    const dsize = this.get(H_OFF_STRINGS) + this.get(H_SIZE_STRINGS);
    if (p + oldLen > dsize) throw new FdtErr(ERR_BADOFFSET);
    if (dsize - oldLen + newLen > this.get(H_TOTALSIZE)) throw new FdtErr(ERR_NOSPACE);
    this.b.copyWithin(p + newLen, p + oldLen, dsize);
  }

  private spliceStruct(p: number, oldLen: number, newLen: number): void {
    this.splice(p, oldLen, newLen);
    const delta = newLen - oldLen;
    this.set(H_SIZE_STRUCT, this.get(H_SIZE_STRUCT) + delta);
    this.set(H_OFF_STRINGS, this.get(H_OFF_STRINGS) + delta);
  }

  /** fdt_find_add_string_: any earlier occurrence of "name\0" is reused, even inside a longer name. */
  private findAddString(name: string): number {
    const s = ascii(name + "\0");
    const tab = this.get(H_OFF_STRINGS);
    const size = this.get(H_SIZE_STRINGS);
    for (let p = 0; p <= size - s.length; p++) {
      let k = 0;
      while (k < s.length && this.b[tab + p + k] === s[k]) k++;
      if (k === s.length) return p;
    }
    this.splice(tab + size, 0, s.length);
    this.set(H_SIZE_STRINGS, size + s.length);
    this.b.set(s, tab + size);
    return size;
  }

  /** fdt_setprop: resize an existing property in place, else add it first in the node. */
  setProp(node: number, name: string, value: Uint8Array): void {
    const existing = this.findProp(node, name);
    if (existing >= 0) {
      const abs = this.get(H_OFF_STRUCT) + existing;
      this.spliceStruct(abs + 12, align4(this.v.getUint32(abs + 4)), align4(value.length));
      this.v.setUint32(abs + 4, value.length);
      this.b.set(value, abs + 12);
      return;
    }
    if (existing !== -ERR_NOTFOUND) throw new FdtErr(-existing);
    const next = this.checkNode(node);
    if (next < 0) throw new FdtErr(-next);
    const nameOff = this.findAddString(name);
    const abs = this.get(H_OFF_STRUCT) + next;
    // On failure libfdt takes the string back (fdt_del_last_string_); QEMU exits either way.
    this.spliceStruct(abs, 0, 12 + align4(value.length));
    this.v.setUint32(abs, FDT_PROP);
    this.v.setUint32(abs + 4, value.length);
    this.v.setUint32(abs + 8, nameOff);
    this.b.set(value, abs + 12);
  }

  /** fdt_add_subnode: the new node goes after the parent's properties (and NOPs among them). */
  addSubnode(parent: number, name: string): number {
    const found = this.subnode(parent, name);
    if (found >= 0) throw new FdtErr(ERR_EXISTS);
    if (found !== -ERR_NOTFOUND) throw new FdtErr(-found);
    let t = this.nextTag(parent);
    let offset: number;
    do {
      offset = t.next;
      t = this.nextTag(offset);
    } while (t.tag === FDT_PROP || t.tag === FDT_NOP);
    const bytes = ascii(name);
    const nodeLen = 4 + align4(bytes.length + 1) + 4;
    const abs = this.get(H_OFF_STRUCT) + offset;
    this.spliceStruct(abs, 0, nodeLen);
    this.v.setUint32(abs, FDT_BEGIN_NODE);
    this.b.fill(0, abs + 4, abs + 4 + align4(bytes.length + 1));
    this.b.set(bytes, abs + 4);
    this.v.setUint32(abs + nodeLen - 4, FDT_END_NODE);
    return offset;
  }

  /** fdt_nop_node: overwrite the node, subnodes included, with FDT_NOP tags. */
  nopNode(offset: number): void {
    const depth = { d: 0 };
    let end = offset;
    while (end >= 0 && depth.d >= 0) end = this.nextNode(end, depth);
    if (end < 0) throw new FdtErr(-end);
    const base = this.get(H_OFF_STRUCT);
    for (let p = offset; p < end; p += 4) this.v.setUint32(base + p, FDT_NOP);
  }
}

/**
 * fdt_check_header, fdt_check_full and fdt_open_into's requirements, on the blob as read from
 * the file. Each failure is one line naming the problem.
 */
function validate(blob: Uint8Array): void {
  const n = blob.length;
  if (n === 0) fail("the file is empty (not a flattened device tree blob)");
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const magic = n >= 4 ? view.getUint32(0) : -1;
  if (magic !== FDT_MAGIC) {
    const isElf = n >= 4 && blob[0] === 0x7f && blob[1] === 0x45 && blob[2] === 0x4c && blob[3] === 0x46;
    const shown = n >= 4 ? ` 0x${magic.toString(16).padStart(8, "0")}` : "";
    fail(`bad magic${shown} (${isElf ? "an ELF file, " : ""}not a flattened device tree blob; FDT_ERR_BADMAGIC)`);
  }
  if (n < 28) fail(`truncated header (${n} bytes)`);
  const version = view.getUint32(H_VERSION), lastComp = view.getUint32(H_LAST_COMP);
  // fdt_ro_probe_/fdt_check_header accept versions 2..17; fdt_open_into, which QEMU calls
  // first, converts only 16 and later (FDT_ERR_BADVERSION otherwise).
  if (version < 16 || lastComp > 17 || version < lastComp) {
    fail(`unsupported version ${version} (last compatible version ${lastComp}); QEMU's libfdt reads versions 16 and 17 (FDT_ERR_BADVERSION)`);
  }
  const hdr = headerSize(version);
  if (n < hdr) fail(`truncated header (${n} bytes, version ${version} needs ${hdr})`);
  const total = view.getUint32(H_TOTALSIZE);
  if (total < hdr) fail(`totalsize ${total} is smaller than the ${hdr}-byte header (FDT_ERR_TRUNCATED)`);
  // QEMU reads the blob in a zero-padded buffer, so it would accept a totalsize that runs a
  // little past the end of the file and pass zeros on as part of the tree; a truncated file is
  // refused here instead.
  if (total > n) fail(`totalsize ${total} is larger than the file (${n} bytes): truncated blob (FDT_ERR_TRUNCATED)`);
  const within = (what: string, off: number, size?: number): void => {
    const where = size === undefined ? `offset ${off}` : `offset ${off}, size ${size}`;
    if (off < hdr) fail(`${what} (${where}) overlaps the ${hdr}-byte header (FDT_ERR_TRUNCATED)`);
    if (off > total || (size !== undefined && off + size > total)) fail(`${what} (${where}) extends past totalsize ${total} (FDT_ERR_TRUNCATED)`);
  };
  const offRsv = view.getUint32(H_OFF_MEMRSV), offStruct = view.getUint32(H_OFF_STRUCT), offStrings = view.getUint32(H_OFF_STRINGS);
  const sizeStrings = view.getUint32(H_SIZE_STRINGS);
  within("memory reservation map", offRsv);
  if (version >= 17) within("structure block", offStruct, view.getUint32(H_SIZE_STRUCT));
  else within("structure block", offStruct);
  within("strings block", offStrings, sizeStrings);
  // fdt_num_mem_rsv (checked by fdt_check_full): the map must end with a zero-size entry.
  for (let p = offRsv; ; p += RSV_ENTRY) {
    if (p > total - RSV_ENTRY) fail("memory reservation map is not terminated by a zero-size entry within totalsize (FDT_ERR_TRUNCATED)");
    if (view.getUint32(p + 8) === 0 && view.getUint32(p + 12) === 0) break;
  }
  checkStructure(new Fdt(blob));
}

/**
 * fdt_check_full's walk of the structure block: known tags only, everything inside the block,
 * one root node with an empty name, balanced nodes, FDT_END right after the root, every
 * property name a terminated string of the strings block. QEMU itself requires the root at
 * offset 0: its first lookup, fdt_getprop on "/" (offset 0), fails with FDT_ERR_BADOFFSET.
 */
function checkStructure(fdt: Fdt): void {
  const sizeStrings = fdt.get(H_SIZE_STRINGS);
  const first = fdt.nextTag(0);
  if (first.tag !== FDT_BEGIN_NODE) {
    fail(first.next === -ERR_TRUNCATED ? "the structure block is empty (FDT_ERR_TRUNCATED)"
      : "the structure block does not start with the root node (FDT_ERR_BADOFFSET)");
  }
  const rootName = fdt.name(0);
  if (rootName !== "") fail(`the root node has the name "${rootName}"; it must be empty (FDT_ERR_BADSTRUCTURE)`);
  const path: string[] = [];
  const nodePath = (): string => "/" + path.slice(1).join("/");
  let depth = 0;
  let offset = 0;
  for (;;) {
    const t = fdt.nextTag(offset);
    if (t.next < 0) {
      fail(t.next === -ERR_TRUNCATED
        ? `the structure block ends at offset ${offset} inside node ${nodePath()}, without FDT_END (truncated; FDT_ERR_TRUNCATED)`
        : describeBadTag(fdt, offset, nodePath()));
    }
    if (depth === 0 && offset > 0 && t.tag !== FDT_END) {
      fail(`${TAG_NAMES[t.tag]} after the root node at structure offset ${offset}, where FDT_END must follow (FDT_ERR_BADSTRUCTURE)`);
    }
    switch (t.tag) {
      case FDT_NOP: break;
      case FDT_END:
        if (depth !== 0) fail(`FDT_END at structure offset ${offset} inside node ${nodePath()} (truncated structure block; FDT_ERR_BADSTRUCTURE)`);
        return;
      case FDT_BEGIN_NODE:
        depth++;
        path.push(fdt.name(offset));
        break;
      case FDT_END_NODE:
        depth--;
        path.pop();
        break;
      case FDT_PROP: {
        const abs = fdt.get(H_OFF_STRUCT) + offset;
        const nameOff = fdt.v.getUint32(abs + 8);
        // Names must lie inside size_dt_strings also for version 16 (libfdt there bounds them
        // by totalsize only): the blob becomes version 17 on the way to the guest.
        const name = nameOff < sizeStrings ? fdt.string(nameOff) : undefined;
        if (name === undefined || nameOff + name.length >= sizeStrings) {
          fail(`property at structure offset ${offset} in node ${nodePath()} has name offset ${nameOff}, ` +
            `${nameOff >= sizeStrings ? `outside the ${sizeStrings}-byte strings block` : "an unterminated string"} (FDT_ERR_BADOFFSET)`);
        }
        break;
      }
    }
    offset = t.next;
  }
}

function describeBadTag(fdt: Fdt, offset: number, where: string): string {
  const tag = fdt.v.getUint32(fdt.get(H_OFF_STRUCT) + offset);
  where = `node ${where}`;
  if (tag === FDT_BEGIN_NODE) return `a node name at structure offset ${offset} in ${where} runs past the end of the structure block (FDT_ERR_BADSTRUCTURE)`;
  if (tag === FDT_PROP) return `the property at structure offset ${offset} in ${where} runs past the end of the structure block (FDT_ERR_BADSTRUCTURE)`;
  if (tag === FDT_END_NODE || tag === FDT_NOP || tag === FDT_END) return `truncated tag at structure offset ${offset} in ${where} (FDT_ERR_BADSTRUCTURE)`;
  return `unknown tag ${hex(tag)} at structure offset ${offset} in ${where} (FDT_ERR_BADSTRUCTURE)`;
}

/**
 * fdt_open_into(fdt, fdt, bufsize) as load_device_tree calls it, on `buf` holding the file at
 * offset 0: a blob whose blocks are in libfdt's order (reservation map after the 40-byte header,
 * then structure, then strings) stays where it is; any other is repacked in that order, built
 * just after the old blob and moved down.
 */
function openInto(fdt: Fdt, bufsize: number): void {
  const b = fdt.b;
  const total = fdt.get(H_TOTALSIZE);
  let rsvCount = 0;
  while (fdt.v.getUint32(fdt.get(H_OFF_MEMRSV) + rsvCount * RSV_ENTRY + 8) !== 0 ||
    fdt.v.getUint32(fdt.get(H_OFF_MEMRSV) + rsvCount * RSV_ENTRY + 12) !== 0) rsvCount++;
  const rsvSize = (rsvCount + 1) * RSV_ENTRY;
  let structSize: number;
  if (fdt.get(H_VERSION) >= 17) structSize = fdt.get(H_SIZE_STRUCT);
  else {
    // Version 16 records no structure size: it runs to just after the first FDT_END.
    structSize = 0;
    for (let t = fdt.nextTag(0); ; t = fdt.nextTag(structSize)) {
      structSize = t.next;
      if (t.tag === FDT_END) break;
    }
  }
  const offRsv = fdt.get(H_OFF_MEMRSV), offStruct = fdt.get(H_OFF_STRUCT), offStrings = fdt.get(H_OFF_STRINGS);
  const sizeStrings = fdt.get(H_SIZE_STRINGS);
  const misordered = offRsv < HEADER_V17 || offStruct < offRsv + rsvSize || offStrings < offStruct + structSize ||
    total < offStrings + sizeStrings;
  if (!misordered) {
    fdt.set(H_VERSION, 17);
    fdt.set(H_SIZE_STRUCT, structSize);
    fdt.set(H_TOTALSIZE, bufsize);
    return;
  }
  const newSize = HEADER_V17 + rsvSize + structSize + sizeStrings;
  // The copy is built right after the old blob (it would overlap it at offset 0).
  const tmp = total;
  if (bufsize < newSize || tmp + newSize > bufsize) fail("the blob's blocks are out of order and there is no room to repack them (FDT_ERR_NOSPACE)");
  const nv = new DataView(b.buffer, b.byteOffset + tmp);
  // fdt_packblocks_: the reservation map, structure and strings, in that order after the header.
  const newStruct = HEADER_V17 + rsvSize, newStrings = newStruct + structSize;
  b.copyWithin(tmp + HEADER_V17, offRsv, offRsv + rsvSize);
  nv.setUint32(H_OFF_MEMRSV, HEADER_V17);
  b.copyWithin(tmp + newStruct, offStruct, offStruct + structSize);
  nv.setUint32(H_OFF_STRUCT, newStruct);
  nv.setUint32(H_SIZE_STRUCT, structSize);
  b.copyWithin(tmp + newStrings, offStrings, offStrings + sizeStrings);
  nv.setUint32(H_OFF_STRINGS, newStrings);
  nv.setUint32(H_SIZE_STRINGS, fdt.get(H_SIZE_STRINGS));
  b.copyWithin(0, tmp, tmp + newSize);
  fdt.set(0, FDT_MAGIC);
  fdt.set(H_TOTALSIZE, bufsize);
  fdt.set(H_VERSION, 17);
  fdt.set(H_LAST_COMP, 16);
  // libfdt copies boot_cpuid_phys from the source blob, which with fdt == buf is the new
  // header: the value is whatever the copy's header slot held (packblocks never writes it).
  fdt.set(H_BOOT_CPUID, fdt.get(H_BOOT_CPUID));
}

function u32be(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0));
  return out;
}

/**
 * qemu_fdt_setprop_sized_cells: each value in 1 or 2 cells; a value that needs more than its
 * cells, or a cell count other than 1 and 2, is an error (-1 from QEMU, then exit).
 */
function sizedCells(pairs: [number, number][]): Uint8Array | undefined {
  const cells: number[] = [];
  for (const [count, value] of pairs) {
    const hi = Math.floor(value / 0x100000000), lo = value >>> 0;
    if (count === 2) cells.push(hi, lo);
    else if (count === 1 && hi === 0) cells.push(lo);
    else return undefined;
  }
  return u32be(...cells);
}

/**
 * Check a user DTB as libfdt would and apply QEMU 7.2's arm_load_dtb modifications for the
 * virt board. Returns the blob the guest gets: (file size + 10000) * 2 bytes, its totalsize.
 * Throws LoadError (one line, "device tree: ...") for a malformed blob, a tree QEMU cannot
 * modify (no or zero #address-cells/#size-cells, RAM not expressible in them, no room), a file
 * above QEMU's size limit, or a result larger than `o.room`.
 */
export function prepareUserDtb(blob: Uint8Array, o: UserDtbOptions): Uint8Array {
  if (blob.length > MAX_USER_DTB_FILE_SIZE) {
    fail(`the file is too large (${blob.length} bytes; QEMU accepts at most ${MAX_USER_DTB_FILE_SIZE})`);
  }
  validate(blob);
  const bufsize = userDtbLoadSize(blob.length);
  if (o.room !== undefined && bufsize > o.room) {
    fail(`too large: a ${blob.length}-byte file takes ${bufsize} bytes in guest memory (QEMU loads it in a ` +
      `(size + 10000) * 2 byte buffer), but only ${Math.max(0, o.room)} bytes are free where the board puts it; ` +
      `the largest file that fits is ${Math.max(0, largestUserDtbFile(o.room))} bytes`);
  }
  const buf = new Uint8Array(bufsize);
  buf.set(blob);
  const fdt = new Fdt(buf);
  openInto(fdt, bufsize);
  try {
    modify(fdt, o);
  } catch (e) {
    if (e instanceof FdtErr) fail(`QEMU could not modify the tree: ${e.message}`);
    throw e;
  }
  return buf;
}

/** qemu_fdt_getprop_cell on "/" with &error_fatal. */
function rootCell(fdt: Fdt, name: string): number {
  const value = fdt.getProp(0, name);
  if (typeof value === "number") {
    fail(`the root node has no ${name} (QEMU needs it to write the memory node; ${ERR_NAMES[-value] ?? value})`);
  }
  if (value.length !== 4) fail(`the root node's ${name} is ${value.length} bytes long, not one cell`);
  return new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
}

/** findnode_nofail. */
function node(fdt: Fdt, path: string): number {
  const offset = fdt.pathOffset(path);
  if (offset < 0) fail(`QEMU could not find node ${path} (${ERR_NAMES[-offset] ?? offset})`);
  return offset;
}

function modify(fdt: Fdt, o: UserDtbOptions): void {
  const acells = rootCell(fdt, "#address-cells");
  const scells = rootCell(fdt, "#size-cells");
  if (acells === 0 || scells === 0) fail(`#address-cells = ${acells} and #size-cells = ${scells} in the root node: QEMU needs both non-zero`);
  if (scells < 2 && o.ramSize >= 4 * 1024 * 1024 * 1024) fail("#size-cells = 1 cannot describe 4 GiB or more of RAM (QEMU: dtb file not compatible with RAM size > 4GB)");

  // qemu_fdt_node_unit_path("memory"): every node named memory or memory@..., at any depth, in
  // document order; each is then looked up again by path and NOPed. Only those whose path starts
  // with "/memory" go (which also takes /memory-controller/memory, and a path lookup of
  // "/memory" finds the first root child named memory or memory@... still there).
  const paths: string[] = [];
  const names: string[] = [];
  const depth = { d: 0 };
  for (let offset = 0; offset >= 0 && depth.d >= 0; offset = fdt.nextNode(offset, depth)) {
    // depth.d is the node's depth (root 0); the names above it give fdt_get_path's answer.
    names.length = depth.d;
    const name = fdt.name(offset);
    names.push(name);
    if (name === "memory" || name.startsWith("memory@")) paths.push("/" + names.slice(1).join("/"));
  }
  for (const p of paths) if (p.startsWith("/memory")) fdt.nopNode(node(fdt, p));

  // fdt_add_memory_node (no NUMA nodes on this board).
  const memName = `/memory@${o.ramBase.toString(16)}`;
  const reg = sizedCells([[acells, o.ramBase], [scells, o.ramSize]]);
  fdt.addSubnode(0, memName.slice(1));
  fdt.setProp(node(fdt, memName), "device_type", ascii("memory\0"));
  if (!reg) fail(`cannot write ${memName} reg with #address-cells = ${acells} and #size-cells = ${scells} (QEMU writes 1 or 2 cells, and the values must fit)`);
  fdt.setProp(node(fdt, memName), "reg", reg);

  if (fdt.pathOffset("/chosen") < 0) fdt.addSubnode(0, "chosen");
  // -append reaches QEMU as a C string: it ends at the first NUL, and an empty one is not set.
  const bootargs = (o.bootargs ?? "").split("\0")[0];
  if (bootargs) setOrRoom(fdt, "/chosen", "bootargs", concatBytes(utf8.encode(bootargs), new Uint8Array(1)));
  if (o.initrd && o.initrd.end > o.initrd.start) {
    // qemu_fdt_setprop_cell: one 32-bit cell whatever #address-cells says.
    setOrRoom(fdt, "/chosen", "linux,initrd-start", u32be(o.initrd.start));
    setOrRoom(fdt, "/chosen", "linux,initrd-end", u32be(o.initrd.end));
  }

  if (o.psci === "hvc" || o.psci === "smc") {
    // fdt_add_psci_node: a /psci of the user's might name other function IDs; QEMU replaces it.
    if (fdt.pathOffset("/psci") >= 0) fdt.nopNode(node(fdt, "/psci"));
    fdt.addSubnode(0, "psci");
    fdt.setProp(node(fdt, "/psci"), "compatible", ascii(PSCI_COMPATIBLE));
    fdt.setProp(node(fdt, "/psci"), "method", ascii(o.psci + "\0"));
    for (const [name, id] of PSCI_FNS) fdt.setProp(node(fdt, "/psci"), name, u32be(id));
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a); out.set(b, a.length);
  return out;
}

/** qemu_fdt_setprop: with a name for the one failure a valid tree can meet, running out of room. */
function setOrRoom(fdt: Fdt, path: string, name: string, value: Uint8Array): void {
  try {
    fdt.setProp(node(fdt, path), name, value);
  } catch (e) {
    if (e instanceof FdtErr && e.code === ERR_NOSPACE) {
      fail(`no room to set ${path}/${name} (${value.length} bytes): QEMU gives a user DTB (file size + 10000) * 2 = ` +
        `${fdt.get(H_TOTALSIZE)} bytes (FDT_ERR_NOSPACE)`);
    }
    throw e;
  }
}
