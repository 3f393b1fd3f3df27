/**
 * Overlay support.
 *
 * Compilation side (what `dtc -@` and `/plugin/` add, dtc's livetree.c generators):
 *  - `__symbols__`: one property per label, value the labelled node's full path;
 *  - `__fixups__`: for each unresolved `<&label>`, a property named after the label listing
 *    `path:property:offset` of every use;
 *  - `__local_fixups__`: a tree mirroring the overlay where each property lists the byte offsets
 *    holding phandles of nodes inside the overlay itself.
 *
 * Application side (libfdt's fdt_overlay_apply, Devicetree Specification v0.4 does not cover
 * overlays; the format is the one documented in dtc's Documentation/dt-object-internal.txt):
 * renumber the overlay's phandles above the base's, resolve `__fixups__` against the base's
 * `__symbols__`, merge each `fragment@N/__overlay__` into its target, then publish the overlay's
 * symbols in the base.
 */

import { ByteBuffer, latin1ToBytes, readU32, writeU32 } from "./bytes.js";
import { allocatePhandle, usedPhandles, type DeviceTree, DtNode, DtProperty, MarkerKind, effectivePhandle } from "./model.js";
import { nodeByPath, referenceResolver } from "./checks.js";

export class OverlayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OverlayError";
  }
}

function liveChild(node: DtNode, name: string): DtNode | undefined {
  for (const child of node.children) if (!child.deleted && child.name === name) return child;
  return undefined;
}

function childOrNew(parent: DtNode, name: string): DtNode {
  return liveChild(parent, name) ?? parent.appendChild(new DtNode(name));
}

/** dtc's append_to_property: extend a property (creating it if needed) with typed data. */
function appendToProperty(node: DtNode, name: string, data: Uint8Array, kind: MarkerKind): void {
  const property = node.prop(name);
  if (property) {
    const buffer = new ByteBuffer(property.value.length + data.length);
    buffer.appendBytes(property.value);
    property.markers.push({ offset: buffer.length, kind, ref: name });
    buffer.appendBytes(data);
    property.value = buffer.toBytes();
  } else {
    node.properties.push(new DtProperty(name, data.slice(), [{ offset: 0, kind, ref: name }]));
  }
}

function forEachLiveNode(root: DtNode, visit: (node: DtNode) => void): void {
  const stack: DtNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    visit(node);
    for (let i = node.children.length - 1; i >= 0; i--) if (!node.children[i].deleted) stack.push(node.children[i]);
  }
}

/** `-@`: add `/__symbols__` with every label's path, allocating phandles for labelled nodes. */
export function generateSymbols(tree: DeviceTree, warn: (message: string) => void = () => {}): void {
  generateLabelNode(tree, "__symbols__", true, warn);
}

/** `-A`: add every label to `/aliases` (dtc's auto_label_aliases), without allocating phandles. */
export function generateAliases(tree: DeviceTree, warn: (message: string) => void = () => {}): void {
  generateLabelNode(tree, "aliases", false, warn);
}

/** dtc's generate_label_tree: a property per label holding the labelled node's path. */
function generateLabelNode(tree: DeviceTree, nodeName: string, allocatePhandles: boolean, warn: (message: string) => void): void {
  let anyLabel = false;
  forEachLiveNode(tree.root, (node) => {
    if (node.labels.length) anyLabel = true;
  });
  if (!anyLabel) return;
  const symbols = childOrNew(tree.root, nodeName);
  const used = usedPhandles(tree);
  const defined = new Set(symbols.liveProperties().map((property) => property.name));
  forEachLiveNode(tree.root, (node) => {
    if (!node.labels.length) return;
    for (const label of node.labels) {
      if (label.deleted) continue;
      if (defined.has(label.name)) {
        warn(`WARNING: label ${label.name} already exists in /${symbols.name}`);
        continue;
      }
      defined.add(label.name);
      symbols.properties.push(new DtProperty(label.name, latin1ToBytes(node.path + "\0"), [{ offset: 0, kind: MarkerKind.String }]));
    }
    if (allocatePhandles) allocatePhandle(tree, node, used);
  });
}

/** `/plugin/`: add `/__fixups__` and `/__local_fixups__` describing every phandle reference. */
export function generateFixups(tree: DeviceTree): void {
  const root = tree.root;
  interface Use {
    node: DtNode;
    property: DtProperty;
    offset: number;
    reference: string;
    resolved: boolean;
  }
  const uses: Use[] = [];
  const resolve = referenceResolver(root);
  forEachLiveNode(root, (node) => {
    for (const property of node.properties) {
      if (property.deleted) continue;
      for (const marker of property.markers) {
        if (marker.kind !== MarkerKind.RefPhandle) continue;
        uses.push({ node, property, offset: marker.offset, reference: marker.ref!, resolved: resolve(marker.ref!) !== undefined });
      }
    }
  });
  if (uses.some((use) => !use.resolved)) {
    const fixups = childOrNew(root, "__fixups__");
    for (const use of uses) {
      if (use.resolved) continue;
      const path = use.node.path;
      if (path.includes(":") || use.property.name.includes(":")) throw new OverlayError("arguments should not contain ':'");
      appendToProperty(fixups, use.reference, latin1ToBytes(`${path}:${use.property.name}:${use.offset}\0`), MarkerKind.String);
    }
  }
  if (uses.some((use) => use.resolved)) {
    const localFixups = childOrNew(root, "__local_fixups__");
    for (const use of uses) {
      if (!use.resolved) continue;
      const chain: DtNode[] = [];
      for (let node: DtNode | undefined = use.node; node && node.parent; node = node.parent) chain.unshift(node);
      let mirror = localFixups;
      for (const node of chain) mirror = childOrNew(mirror, node.name);
      const offset = new Uint8Array(4);
      writeU32(offset, 0, use.offset);
      appendToProperty(mirror, use.property.name, offset, MarkerKind.Uint32);
    }
  }
}

// ---- applying an overlay ---------------------------------------------------------------------

function maxPhandle(root: DtNode): number {
  let max = 0;
  forEachLiveNode(root, (node) => {
    for (const name of ["phandle", "linux,phandle"]) {
      const property = node.prop(name);
      if (property && property.value.length === 4) {
        const value = readU32(property.value, 0);
        if (value !== 0xffffffff && value > max) max = value;
      }
    }
  });
  return max;
}

function addToU32At(property: DtProperty, offset: number, delta: number): void {
  if (offset + 4 > property.value.length) throw new OverlayError(`fixup offset ${offset} outside property ${property.name}`);
  const value = property.value.slice();
  writeU32(value, offset, (readU32(value, offset) + delta) >>> 0);
  property.value = value;
}

/** Walk the overlay's __local_fixups__ in step with the overlay tree, shifting each listed phandle. */
function adjustLocalFixups(fixupNode: DtNode, overlayNode: DtNode, delta: number): void {
  for (const property of fixupNode.liveProperties()) {
    const target = overlayNode.prop(property.name);
    if (!target) throw new OverlayError(`__local_fixups__ names missing property ${overlayNode.path}:${property.name}`);
    for (const offset of property.asU32Array()) addToU32At(target, offset, delta);
  }
  for (const child of fixupNode.liveChildren()) {
    const overlayChild = liveChild(overlayNode, child.name);
    if (!overlayChild) throw new OverlayError(`__local_fixups__ names missing node ${child.name} under ${overlayNode.path}`);
    adjustLocalFixups(child, overlayChild, delta);
  }
}

/** Set a property as libfdt's fdt_setprop does: replace in place, or insert before the other properties. */
function setPropertyLikeLibfdt(node: DtNode, source: DtProperty): void {
  const existing = node.prop(source.name);
  if (existing) {
    existing.value = source.value.slice();
    existing.markers = [];
    return;
  }
  const copy = new DtProperty(source.name, source.value.slice());
  node.properties.unshift(copy);
}

function mergeOverlayNode(target: DtNode, overlay: DtNode): void {
  for (const property of overlay.liveProperties()) setPropertyLikeLibfdt(target, property);
  for (const child of overlay.liveChildren()) {
    let targetChild = liveChild(target, child.name);
    if (!targetChild) {
      // libfdt's fdt_add_subnode places a new node after the properties, ahead of existing children.
      targetChild = new DtNode(child.name);
      targetChild.parent = target;
      target.children.unshift(targetChild);
    }
    mergeOverlayNode(targetChild, child);
  }
}

function fragmentTarget(base: DeviceTree, fragment: DtNode): DtNode {
  const byPhandle = fragment.prop("target");
  if (byPhandle) {
    const phandle = byPhandle.asU32();
    const target = base.root.findByPhandle(phandle);
    if (!target) throw new OverlayError(`${fragment.path}: target phandle 0x${phandle.toString(16)} not found in the base tree`);
    return target;
  }
  const byPath = fragment.prop("target-path");
  if (byPath) {
    const path = byPath.asString();
    const target = path.startsWith("/") ? nodeByPath(base.root, path) : resolveAlias(base.root, path);
    if (!target) throw new OverlayError(`${fragment.path}: target-path ${path} not found in the base tree`);
    return target;
  }
  throw new OverlayError(`${fragment.path}: fragment has neither target nor target-path`);
}

function resolveAlias(root: DtNode, alias: string): DtNode | undefined {
  const aliases = liveChild(root, "aliases");
  const path = aliases?.prop(alias);
  return path ? nodeByPath(root, path.asString()) : undefined;
}

/**
 * Apply a compiled overlay (a `/plugin/` tree) to a base tree, modifying the base in place.
 * The overlay tree is modified too (its phandles are renumbered); pass a fresh decode.
 */
export function applyOverlay(base: DeviceTree, overlay: DeviceTree): void {
  const overlayRoot = overlay.root;
  const delta = maxPhandle(base.root);

  // 1. Renumber the overlay's own phandles above every phandle of the base.
  forEachLiveNode(overlayRoot, (node) => {
    for (const name of ["phandle", "linux,phandle"]) {
      const property = node.prop(name);
      if (property && property.value.length === 4 && readU32(property.value, 0) !== 0xffffffff) addToU32At(property, 0, delta);
    }
    if (node.phandle) node.phandle += delta;
  });
  const localFixups = liveChild(overlayRoot, "__local_fixups__");
  if (localFixups) adjustLocalFixups(localFixups, overlayRoot, delta);

  // 2. Resolve references to labels of the base through its __symbols__.
  const fixups = liveChild(overlayRoot, "__fixups__");
  if (fixups) {
    const symbols = liveChild(base.root, "__symbols__");
    for (const property of fixups.liveProperties()) {
      const symbolPath = symbols?.prop(property.name);
      if (!symbolPath) throw new OverlayError(`label ${property.name} is not in the base tree's __symbols__ (compile the base with -@)`);
      const target = nodeByPath(base.root, symbolPath.asString());
      if (!target) throw new OverlayError(`symbol ${property.name} points to missing node ${symbolPath.asString()}`);
      let phandle = effectivePhandle(target);
      if (!phandle) phandle = allocatePhandle(base, target);
      for (const entry of property.asStrings()) {
        const match = /^(.*):([^:]*):([0-9]+)$/.exec(entry);
        if (!match) throw new OverlayError(`malformed fixup entry "${entry}"`);
        const node = nodeByPath(overlayRoot, match[1]);
        const fixed = node?.prop(match[2]);
        if (!fixed) throw new OverlayError(`fixup entry "${entry}" names a missing property`);
        const offset = Number(match[3]);
        if (offset + 4 > fixed.value.length) throw new OverlayError(`fixup entry "${entry}" is outside the property`);
        const value = fixed.value.slice();
        writeU32(value, offset, phandle);
        fixed.value = value;
      }
    }
  }

  // 3. Merge every fragment into its target.
  const fragments = overlayRoot.liveChildren().filter((child) => liveChild(child, "__overlay__"));
  const targets = new Map<DtNode, DtNode>();
  for (const fragment of fragments) {
    const target = fragmentTarget(base, fragment);
    targets.set(fragment, target);
    mergeOverlayNode(target, liveChild(fragment, "__overlay__")!);
  }

  // 4. Publish the overlay's labels: /fragment@N/__overlay__/x becomes <target path>/x.
  const overlaySymbols = liveChild(overlayRoot, "__symbols__");
  if (overlaySymbols) {
    const baseSymbols = childOrNew(base.root, "__symbols__");
    for (const property of overlaySymbols.liveProperties()) {
      const path = property.asString();
      const match = /^\/([^/]+)\/__overlay__(\/.*)?$/.exec(path);
      let resolved = path;
      if (match) {
        const fragment = liveChild(overlayRoot, match[1]);
        const target = fragment && targets.get(fragment);
        if (!target) throw new OverlayError(`symbol ${property.name} refers to unknown fragment ${match[1]}`);
        const targetPath = target.path;
        resolved = (targetPath === "/" ? "" : targetPath) + (match[2] ?? "") || "/";
      }
      setPropertyLikeLibfdt(baseSymbols, new DtProperty(property.name, latin1ToBytes(resolved + "\0")));
    }
  }
}
