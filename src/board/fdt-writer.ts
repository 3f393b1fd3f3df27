/**
 * A small flattened-device-tree writer that builds trees the way libfdt's read-write API does,
 * so that a tree built in QEMU's call order comes out in QEMU's byte order:
 *  - a new property is inserted before the node's existing properties (fdt_setprop on a missing
 *    name goes through fdt_add_property, which inserts right after the FDT_BEGIN_NODE tag);
 *  - a new subnode is inserted after the parent's properties, before its existing subnodes
 *    (fdt_add_subnode_namelen);
 *  - setting an existing property replaces its value in place.
 * Output format: Devicetree Specification v0.4 chapter 5 (version 17, last compatible 16).
 */

export class FdtNode {
  /** Properties in output order. */
  readonly props: { name: string; value: Uint8Array }[] = [];
  /** Children in output order. */
  readonly children: FdtNode[] = [];
  constructor(readonly name: string) {}

  /** Set a property, libfdt-style: new names go first, existing ones are replaced in place. */
  set(name: string, value: Uint8Array): this {
    const existing = this.props.find((p) => p.name === name);
    if (existing) existing.value = value;
    else this.props.unshift({ name, value });
    return this;
  }

  setCells(name: string, ...cells: number[]): this {
    return this.set(name, cellsBytes(cells));
  }

  setString(name: string, ...values: string[]): this {
    return this.set(name, stringsBytes(values));
  }

  setEmpty(name: string): this {
    return this.set(name, new Uint8Array(0));
  }

  /** Add a subnode, libfdt-style: it goes before the existing subnodes. */
  add(name: string): FdtNode {
    const node = new FdtNode(name);
    this.children.unshift(node);
    return node;
  }

  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }
}

export function cellsBytes(cells: number[]): Uint8Array {
  const out = new Uint8Array(cells.length * 4);
  const view = new DataView(out.buffer);
  cells.forEach((c, i) => view.setUint32(i * 4, c >>> 0));
  return out;
}

/** NUL-terminated strings back to back (a string list, Devicetree Specification 2.2.4). */
export function stringsBytes(values: string[]): Uint8Array {
  const encoded = values.map((v) => new TextEncoder().encode(v));
  const out = new Uint8Array(encoded.reduce((n, e) => n + e.length + 1, 0));
  let at = 0;
  for (const e of encoded) { out.set(e, at); at += e.length + 1; }
  return out;
}

const FDT_MAGIC = 0xd00dfeed, FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_END = 9;
const HEADER_SIZE = 40;

/**
 * Serialise a tree: header, empty memory reservation map, structure block, strings block, then
 * free space up to `totalSize` when given (the header's totalsize covers it, as libfdt's
 * fdt_open_into leaves it).
 */
export function encodeFdt(root: FdtNode, bootCpuId = 0, totalSize?: number): Uint8Array {
  const words: number[] = [];
  const bytes: number[] = [];
  const strings: number[] = [];
  const stringOffsets = new Map<string, number>();
  const pushU32 = (v: number) => { bytes.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255); };
  const pad = () => { while (bytes.length % 4) bytes.push(0); };
  const stringOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      stringOffsets.set(name, off);
      for (const b of new TextEncoder().encode(name)) strings.push(b);
      strings.push(0);
    }
    return off;
  };
  void words;
  const emit = (node: FdtNode) => {
    pushU32(FDT_BEGIN_NODE);
    for (const b of new TextEncoder().encode(node.name)) bytes.push(b);
    bytes.push(0);
    pad();
    for (const p of node.props) {
      pushU32(FDT_PROP);
      pushU32(p.value.length);
      pushU32(stringOffset(p.name));
      for (const b of p.value) bytes.push(b);
      pad();
    }
    for (const c of node.children) emit(c);
    pushU32(FDT_END_NODE);
  };
  emit(root);
  pushU32(FDT_END);

  const rsvOffset = HEADER_SIZE;
  const structOffset = rsvOffset + 16;
  const stringsOffset = structOffset + bytes.length;
  const used = stringsOffset + strings.length;
  if (totalSize !== undefined && totalSize < used) throw new RangeError(`device tree needs ${used} bytes, more than ${totalSize}`);
  const total = totalSize ?? used;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const header = [FDT_MAGIC, total, structOffset, stringsOffset, rsvOffset, 17, 16, bootCpuId, strings.length, bytes.length];
  header.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  out.set(bytes, structOffset);
  out.set(strings, stringsOffset);
  return out;
}
