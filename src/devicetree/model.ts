/**
 * The in-memory device tree: nodes, properties, labels and value markers.
 *
 * The model mirrors what dtc keeps so that output is byte-identical to it:
 *  - properties and children keep insertion order (DTS order = DTB order);
 *  - deleted entries stay in place with `deleted = true`, because dtc revives a deleted
 *    property or node in its original position when a later block redefines it;
 *  - each value carries markers (type boundaries, labels, references) so that DTS output of
 *    a DTS input keeps `/bits/`, `[..]`, strings and labels (dtc's Documentation/dts-format.txt).
 */

import { readU32, readU64 } from "./bytes.js";

/** What a marker at a byte offset of a property value records. */
export enum MarkerKind {
  /** Raw data whose type is unknown (e.g. `/incbin/`). */
  None = 0,
  /** `&label` or `&{/path}` in a value: replaced by the full path string of the target. */
  RefPath = 1,
  /** `<&label>` in a cell array: replaced by the target's phandle. */
  RefPhandle = 2,
  /** A label placed inside a value (`prop = <1 lbl: 2>`). */
  Label = 3,
  /** The following data was written as `[..]` or `/bits/ 8 <..>`. */
  Uint8 = 4,
  Uint16 = 5,
  Uint32 = 6,
  Uint64 = 7,
  String = 8,
}

export interface Marker {
  offset: number;
  kind: MarkerKind;
  /** Label name for `Label`, reference text (label or path) for `RefPath`/`RefPhandle`. */
  ref?: string;
}

export function markerHasType(marker: Marker): boolean {
  return marker.kind >= MarkerKind.Uint8;
}

/** A source position, 1-based, used in diagnostics. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface Label {
  name: string;
  deleted: boolean;
}

/**
 * Label lists behave like dtc's: a new label is put in front (so `a: b: node` lists a then b),
 * and re-adding a known label only revives it.
 */
export function addLabel(labels: Label[], name: string): void {
  for (const label of labels) {
    if (label.name === name) {
      label.deleted = false;
      return;
    }
  }
  labels.unshift({ name, deleted: false });
}

export function liveLabels(labels: Label[]): string[] {
  const names: string[] = [];
  for (const label of labels) if (!label.deleted) names.push(label.name);
  return names;
}

/** A property value together with its markers; what the value helpers in values.ts build. */
export class DtValue {
  constructor(
    readonly bytes: Uint8Array,
    readonly markers: Marker[] = [],
  ) {}

  static empty(): DtValue {
    return new DtValue(new Uint8Array(0), []);
  }
}

/** Shared by every empty property; values are replaced, never written in place, when empty. */
const EMPTY_VALUE = new Uint8Array(0);

/** Creation order of every node and property (a tree built call by call is replayed in it). */
let creationSerial = 0;

export class DtProperty {
  /** When this property was made, counted with every node and property made. */
  readonly serial = creationSerial++;
  name: string;
  value: Uint8Array;
  markers: Marker[];
  labels: Label[] = [];
  deleted = false;
  source?: SourcePosition;

  constructor(name: string, value: Uint8Array = EMPTY_VALUE, markers: Marker[] = []) {
    this.name = name;
    this.value = value;
    this.markers = markers;
  }

  get length(): number {
    return this.value.length;
  }

  /** The value as one big-endian u32; throws unless the value is exactly 4 bytes. */
  asU32(): number {
    if (this.value.length !== 4) throw new RangeError(`property ${this.name} is ${this.value.length} bytes, not one u32 cell`);
    return readU32(this.value, 0);
  }

  /** The value as one u64 (two cells, high first); throws unless the value is 8 bytes. */
  asU64(): bigint {
    if (this.value.length !== 8) throw new RangeError(`property ${this.name} is ${this.value.length} bytes, not a u64`);
    return readU64(this.value, 0);
  }

  /** Every 32-bit cell of the value; throws if the length is not a multiple of 4. */
  asU32Array(): number[] {
    if (this.value.length % 4 !== 0) throw new RangeError(`property ${this.name} length ${this.value.length} is not a multiple of 4`);
    const cells: number[] = [];
    for (let offset = 0; offset < this.value.length; offset += 4) cells.push(readU32(this.value, offset));
    return cells;
  }

  /** The value as a list of NUL-terminated strings (`compatible`, `*-names`). */
  asStrings(): string[] {
    const value = this.value;
    if (value.length === 0 || value[value.length - 1] !== 0) throw new RangeError(`property ${this.name} is not a NUL-terminated string list`);
    const strings: string[] = [];
    let start = 0;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === 0) {
        strings.push(new TextDecoder().decode(value.subarray(start, i)));
        start = i + 1;
      }
    }
    return strings;
  }

  /** The value as a single string; throws if it is not exactly one NUL-terminated string. */
  asString(): string {
    const strings = this.asStrings();
    if (strings.length !== 1) throw new RangeError(`property ${this.name} holds ${strings.length} strings, not one`);
    return strings[0];
  }
}

function toDtValue(value: DtValue | Uint8Array | undefined): DtValue {
  if (value === undefined) return DtValue.empty();
  if (value instanceof Uint8Array) return new DtValue(value, []);
  return value;
}

/**
 * Where the builder puts a property or child that a node does not have yet:
 *  - "append": last, in the order of the calls, as dtc lays out a source (the default);
 *  - "prepend": first, as libfdt's read-write API does: fdt_setprop on a new name inserts the
 *    property right after the node's FDT_BEGIN_NODE tag (fdt_add_property), and fdt_add_subnode
 *    inserts the new node after the parent's properties, ahead of its existing subnodes.
 *    A tree built in the call order of a program that uses libfdt (QEMU's hw/arm/virt.c, say)
 *    then comes out in that program's node and property order.
 * Either way, setting a property that exists replaces its value in place.
 */
export type InsertionOrder = "append" | "prepend";

/** One `(address, size)` entry of a `reg` property, or one `ranges` triple. */
export interface RegEntry {
  address: bigint;
  size: bigint;
}

export interface RangesEntry {
  childAddress: bigint;
  parentAddress: bigint;
  size: bigint;
}

export class DtNode {
  /** When this node was made, counted with every node and property made. */
  readonly serial = creationSerial++;
  name: string;
  properties: DtProperty[] = [];
  children: DtNode[] = [];
  parent: DtNode | undefined;
  labels: Label[] = [];
  deleted = false;
  /** The phandle assigned from an explicit property or by allocation; 0 when none. */
  phandle = 0;
  /**
   * Where setProp, the set* shorthands, addChild/add/ensureChild and phandle allocation put
   * what is new to this node (see InsertionOrder). addChild gives the new child the same setting,
   * so setting it on a root before building applies to the whole tree (DeviceTree's `insertion`
   * option does that). Parsing and decoding never read it.
   */
  insertion: InsertionOrder = "append";
  /** `/omit-if-no-ref/` was applied to this node. */
  omitIfUnused = false;
  /** Some reference (`&label`, `<&label>`) points at this node. */
  isReferenced = false;
  source?: SourcePosition;

  constructor(name: string) {
    this.name = name;
  }

  // ---- builder API -------------------------------------------------------------------------

  /**
   * Add a new child node, last or (with `insertion` "prepend") first, and return it; it inherits
   * this node's `insertion`. Throws if a live child of that name exists.
   */
  addChild(name: string): DtNode {
    if (this.child(name)) throw new Error(`node ${this.path}: child ${name} already exists`);
    const child = new DtNode(name);
    child.insertion = this.insertion;
    if (this.insertion === "prepend") {
      child.parent = this;
      this.children.unshift(child);
    } else {
      this.appendChild(child);
    }
    return child;
  }

  /** The live child with this exact name (including any unit address), or undefined. */
  child(name: string): DtNode | undefined {
    for (const child of this.children) if (!child.deleted && child.name === name) return child;
    return undefined;
  }

  /** The existing child of that name, or a new one added by addChild. */
  ensureChild(name: string): DtNode {
    return this.child(name) ?? this.addChild(name);
  }

  /** Attach a node (possibly a whole subtree) as the last child. */
  appendChild(child: DtNode): DtNode {
    child.parent = this;
    this.children.push(child);
    return child;
  }

  /** Remove a child completely (not just mark it deleted). */
  removeChild(name: string): boolean {
    const index = this.children.findIndex((child) => child.name === name);
    if (index < 0) return false;
    this.children[index].parent = undefined;
    this.children.splice(index, 1);
    return true;
  }

  /**
   * Set a property. An existing property keeps its position and gets the new value; otherwise
   * the property is appended, or put first when `insertion` is "prepend". Omitting the value
   * makes an empty (boolean) property.
   */
  setProp(name: string, value?: DtValue | Uint8Array): this {
    const { bytes, markers } = toDtValue(value);
    for (const property of this.properties) {
      if (property.name === name) {
        property.value = bytes;
        property.markers = markers.map((marker) => ({ ...marker }));
        property.deleted = false;
        return this;
      }
    }
    this.insertProperty(new DtProperty(name, bytes, markers.map((marker) => ({ ...marker }))));
    return this;
  }

  /** Add a property object last or first, as `insertion` says (no check for an existing name). */
  insertProperty(property: DtProperty): DtProperty {
    if (this.insertion === "prepend") this.properties.unshift(property);
    else this.properties.push(property);
    return property;
  }

  /** Shorthand: `<a b c>` cells (see u32cells). */
  setCells(name: string, ...cells: number[]): this {
    return this.setProp(name, cellsValue(cells));
  }

  /** Shorthand: one string, or a string list when given several. */
  setString(name: string, ...values: string[]): this {
    return this.setProp(name, stringsValue(values));
  }

  /** Shorthand: an empty (boolean) property. */
  setEmpty(name: string): this {
    return this.setProp(name);
  }

  /** Shorthand for addChild. */
  add(name: string): DtNode {
    return this.addChild(name);
  }

  /** The live property of that name, or undefined. */
  prop(name: string): DtProperty | undefined {
    for (const property of this.properties) if (!property.deleted && property.name === name) return property;
    return undefined;
  }

  hasProp(name: string): boolean {
    return this.prop(name) !== undefined;
  }

  /** Remove a property completely. */
  removeProp(name: string): boolean {
    const index = this.properties.findIndex((property) => property.name === name);
    if (index < 0) return false;
    this.properties.splice(index, 1);
    return true;
  }

  /** Attach a label (`name: node { }` in DTS; becomes a `__symbols__` entry with `-@`). */
  addLabel(name: string): this {
    addLabel(this.labels, name);
    return this;
  }

  // ---- navigation ----------------------------------------------------------------------------

  /** Live properties in order. */
  liveProperties(): DtProperty[] {
    return this.properties.filter((property) => !property.deleted);
  }

  /** Live children in order. */
  liveChildren(): DtNode[] {
    return this.children.filter((child) => !child.deleted);
  }

  /** The node name up to the unit address (`memory@40000000` -> `memory`). */
  get baseName(): string {
    const at = this.name.indexOf("@");
    return at < 0 ? this.name : this.name.slice(0, at);
  }

  /** The unit address part after `@`, or "" when there is none. */
  get unitAddress(): string {
    const at = this.name.indexOf("@");
    return at < 0 ? "" : this.name.slice(at + 1);
  }

  /** The full path from the root, `/` for the root itself. */
  get path(): string {
    if (!this.parent) return "/";
    const parentPath = this.parent.path;
    return parentPath === "/" ? `/${this.name}` : `${parentPath}/${this.name}`;
  }

  get root(): DtNode {
    let node: DtNode = this;
    while (node.parent) node = node.parent;
    return node;
  }

  /**
   * Find a node by path relative to this node (absolute paths start at this node too when it is the root).
   * A path component without a unit address also matches a child whose base name is that component
   * when exactly that child exists, as in the Devicetree Specification §2.2.3 path lookup.
   */
  find(path: string): DtNode | undefined {
    let node: DtNode | undefined = this;
    for (const component of path.split("/")) {
      if (component === "") continue;
      const exact: DtNode | undefined = node.child(component);
      if (exact) {
        node = exact;
        continue;
      }
      if (component.includes("@")) return undefined;
      const candidates: DtNode[] = node.liveChildren().filter((child) => child.baseName === component);
      if (candidates.length !== 1) return undefined; // absent, or ambiguous without a unit address
      node = candidates[0];
    }
    return node;
  }

  /** Depth-first (pre-order) walk over live nodes, this node first. */
  *walk(): Generator<DtNode> {
    const stack: DtNode[] = [this];
    while (stack.length) {
      const node = stack.pop()!;
      yield node;
      const live = node.liveChildren();
      for (let i = live.length - 1; i >= 0; i--) stack.push(live[i]);
    }
  }

  /** The first live node (pre-order) carrying this label. */
  findByLabel(label: string): DtNode | undefined {
    for (const node of this.walk()) {
      for (const candidate of node.labels) if (!candidate.deleted && candidate.name === label) return node;
    }
    return undefined;
  }

  /** The live node whose phandle (explicit or allocated) equals `phandle`. */
  findByPhandle(phandle: number): DtNode | undefined {
    if (phandle === 0 || phandle === 0xffffffff) return undefined;
    for (const node of this.walk()) if (effectivePhandle(node) === phandle) return node;
    return undefined;
  }

  // ---- typed accessors -----------------------------------------------------------------------

  u32(name: string): number | undefined {
    return this.prop(name)?.asU32();
  }

  u64(name: string): bigint | undefined {
    return this.prop(name)?.asU64();
  }

  string(name: string): string | undefined {
    return this.prop(name)?.asString();
  }

  strings(name: string): string[] | undefined {
    return this.prop(name)?.asStrings();
  }

  /** `#address-cells` that applies to this node's children (default 2, Devicetree Specification §2.3.5). */
  get childAddressCells(): number {
    return this.u32("#address-cells") ?? 2;
  }

  /** `#size-cells` that applies to this node's children (default 1, Devicetree Specification §2.3.5). */
  get childSizeCells(): number {
    return this.u32("#size-cells") ?? 1;
  }

  /** Decode `reg` using the parent's `#address-cells` / `#size-cells` (Devicetree Specification §2.3.6). */
  reg(): RegEntry[] {
    const property = this.prop("reg");
    if (!property) return [];
    const addressCells = this.parent?.childAddressCells ?? 2;
    const sizeCells = this.parent?.childSizeCells ?? 1;
    const cells = property.asU32Array();
    const stride = addressCells + sizeCells;
    if (stride === 0 || cells.length % stride !== 0) throw new RangeError(`${this.path}: reg length does not match #address-cells/#size-cells`);
    const entries: RegEntry[] = [];
    for (let i = 0; i < cells.length; i += stride) {
      entries.push({ address: cellsToBigInt(cells, i, addressCells), size: cellsToBigInt(cells, i + addressCells, sizeCells) });
    }
    return entries;
  }

  /**
   * Decode `ranges`: child address in this node's `#address-cells`, parent address in the
   * parent's `#address-cells`, size in this node's `#size-cells` (Devicetree Specification §2.3.8).
   */
  ranges(): RangesEntry[] {
    const property = this.prop("ranges");
    if (!property) return [];
    const childCells = this.childAddressCells;
    const parentCells = this.parent?.childAddressCells ?? 2;
    const sizeCells = this.childSizeCells;
    const cells = property.asU32Array();
    const stride = childCells + parentCells + sizeCells;
    if (stride === 0 || cells.length % stride !== 0) throw new RangeError(`${this.path}: ranges length does not match the cell sizes`);
    const entries: RangesEntry[] = [];
    for (let i = 0; i < cells.length; i += stride) {
      entries.push({
        childAddress: cellsToBigInt(cells, i, childCells),
        parentAddress: cellsToBigInt(cells, i + childCells, parentCells),
        size: cellsToBigInt(cells, i + childCells + parentCells, sizeCells),
      });
    }
    return entries;
  }

  /** The node a phandle-valued property (e.g. `interrupt-parent`) points to. */
  resolvePhandleProp(name: string): DtNode | undefined {
    const phandle = this.u32(name);
    return phandle === undefined ? undefined : this.root.findByPhandle(phandle);
  }
}

/** Kept here rather than imported from values.ts so the model has no dependency cycle. */
function cellsValue(cells: number[]): DtValue {
  const bytes = new Uint8Array(cells.length * 4);
  const view = new DataView(bytes.buffer);
  cells.forEach((cell, index) => {
    if (!Number.isInteger(cell) || cell < 0 || cell > 0xffffffff) throw new RangeError(`${cell} is not a u32 cell value`);
    view.setUint32(index * 4, cell);
  });
  return new DtValue(bytes, [{ offset: 0, kind: MarkerKind.Uint32 }]);
}

function stringsValue(values: string[]): DtValue {
  const encoder = new TextEncoder();
  const parts = values.map((value) => encoder.encode(value));
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length + 1, 0));
  const markers: Marker[] = [];
  let offset = 0;
  for (const part of parts) {
    markers.push({ offset, kind: MarkerKind.String });
    bytes.set(part, offset);
    offset += part.length + 1;
  }
  return new DtValue(bytes, markers);
}

function cellsToBigInt(cells: number[], start: number, count: number): bigint {
  let value = 0n;
  for (let i = 0; i < count; i++) value = (value << 32n) | BigInt(cells[start + i]);
  return value;
}

/** A node's phandle: the allocated/explicit one, else what its `phandle`/`linux,phandle` property says. */
export function effectivePhandle(node: DtNode): number {
  if (node.phandle) return node.phandle;
  const property = node.prop("phandle") ?? node.prop("linux,phandle");
  if (property && property.value.length === 4) return readU32(property.value, 0);
  return 0;
}

export type PhandleFormat = "epapr" | "legacy" | "both";

/** One `/memreserve/` entry (Devicetree Specification §5.3). */
export interface MemoryReservation {
  address: bigint;
  size: bigint;
  labels: Label[];
}

export interface DeviceTreeOptions {
  /** Sets the root's `insertion`, which the nodes that addChild creates inherit (default "append"). */
  insertion?: InsertionOrder;
}

/** A whole device tree: the root node plus the header-level information a DTB carries. */
export class DeviceTree {
  root: DtNode;
  reservations: MemoryReservation[] = [];
  /** `boot_cpuid_phys` of the FDT header (Devicetree Specification §5.2). */
  bootCpuId = 0;
  /** The source was `/plugin/` (an overlay). */
  isPlugin = false;

  constructor(root: DtNode = new DtNode(""), options: DeviceTreeOptions = {}) {
    this.root = root;
    if (options.insertion) root.insertion = options.insertion;
  }

  /** Add a `/memreserve/` entry. */
  reserve(address: bigint | number, size: bigint | number): this {
    this.reservations.push({ address: BigInt(address), size: BigInt(size), labels: [] });
    return this;
  }

  find(path: string): DtNode | undefined {
    return this.root.find(path);
  }

  /**
   * The node's phandle, allocating one (and adding a `phandle` property) if it has none yet.
   * Allocation takes the lowest value above the previous allocation not used by any node, like dtc.
   */
  phandleOf(node: DtNode): number {
    const existing = effectivePhandle(node);
    if (existing) {
      node.phandle = existing;
      return existing;
    }
    return allocatePhandle(this, node);
  }

  /**
   * Next candidate for allocation (dtc keeps this counter across the whole compile). Set it
   * before the first phandleOf to number from elsewhere (QEMU's qemu_fdt_alloc_phandle starts at 0x8000).
   */
  nextPhandleCandidate = 1;

  /**
   * Which property an allocated phandle is stored in (dtc -H): "epapr" writes `phandle`
   * (Devicetree Specification §2.3.3), "legacy" the old `linux,phandle`, "both" writes both.
   */
  phandleFormat: PhandleFormat = "epapr";
}

/** Phandles of all live nodes, for allocation (dtc's get_node_by_phandle looks at live nodes only). */
export function usedPhandles(tree: DeviceTree): Set<number> {
  const used = new Set<number>();
  for (const node of tree.root.walk()) {
    const phandle = effectivePhandle(node);
    if (phandle) used.add(phandle);
  }
  return used;
}

/**
 * Give `node` a fresh phandle and a `phandle` property holding it (dtc's get_node_phandle):
 * the lowest value not in use, counting up from the previous allocation. The property goes
 * where the node's `insertion` puts new properties.
 * Passes that allocate many phandles pass `used` (from usedPhandles) to avoid rescanning the tree.
 */
export function allocatePhandle(tree: DeviceTree, node: DtNode, used: Set<number> = usedPhandles(tree)): number {
  if (node.phandle !== 0 && node.phandle !== 0xffffffff) return node.phandle;
  let phandle = tree.nextPhandleCandidate;
  while (used.has(phandle)) phandle++;
  tree.nextPhandleCandidate = phandle;
  node.phandle = phandle;
  used.add(phandle);
  const names = tree.phandleFormat === "both" ? ["linux,phandle", "phandle"] : tree.phandleFormat === "legacy" ? ["linux,phandle"] : ["phandle"];
  for (const name of names) {
    if (node.prop(name)) continue;
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, phandle);
    node.insertProperty(new DtProperty(name, bytes, [{ offset: 0, kind: MarkerKind.Uint32 }]));
  }
  return phandle;
}
