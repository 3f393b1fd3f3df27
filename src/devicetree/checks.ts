/**
 * The semantic pass dtc runs after parsing (its "checks" that are errors by default), plus the
 * fixups that make a tree ready for output: phandle and path references are resolved, phandles
 * allocated, `/omit-if-no-ref/` nodes dropped and redundant `name` properties removed.
 * The order of the passes matters for byte-identical output (phandles are allocated in the
 * order references are met in a pre-order walk), so it follows dtc's check table.
 */

import { ByteBuffer, bytesToLatin1, latin1ToBytes, readU32, writeU32 } from "./bytes.js";
import { allocatePhandle, usedPhandles, type DeviceTree, type DtNode, type DtProperty, MarkerKind, type SourcePosition } from "./model.js";

export interface Diagnostic {
  severity: "error" | "warning";
  check: string;
  message: string;
  /** `file:line:col` of the node or property concerned, when known. */
  location?: string;
  path?: string;
}

export function formatDiagnostic(diagnostic: Diagnostic, outputName = "<stdout>"): string {
  const where = diagnostic.location ?? outputName;
  const kind = diagnostic.severity === "error" ? "ERROR" : "Warning";
  return `${where}: ${kind} (${diagnostic.check}): ${diagnostic.path ? diagnostic.path + ": " : ""}${diagnostic.message}`;
}

function locationText(source: SourcePosition | undefined): string | undefined {
  return source ? `${source.file}:${source.line}:${source.column}` : undefined;
}

const NODE_NAME_CHARS = /^[a-zA-Z0-9,._+\-@]*$/;
const PROPERTY_NAME_CHARS = /^[a-zA-Z0-9,._+*#?\-]*$/;

/** Pre-order walk over live nodes, as dtc's check_nodes_props does. */
function forEachNode(root: DtNode, visit: (node: DtNode) => void): void {
  if (root.deleted) return;
  const stack: DtNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    visit(node);
    for (let i = node.children.length - 1; i >= 0; i--) if (!node.children[i].deleted) stack.push(node.children[i]);
  }
}

function baseNameLength(name: string): number {
  const at = name.indexOf("@");
  return at < 0 ? name.length : at;
}

function isOneString(value: Uint8Array): boolean {
  if (value.length === 0 || value[value.length - 1] !== 0) return false;
  for (let i = 0; i < value.length - 1; i++) if (value[i] === 0) return false;
  return true;
}

/** Resolve `&label`, `&{/path}` or `/path` references as dtc's get_node_by_ref does. */
export function nodeByReference(root: DtNode, reference: string): DtNode | undefined {
  if (reference === "/") return root;
  if (reference.startsWith("/")) return nodeByPath(root, reference);
  return nodeByLabel(root, reference);
}

/** Exact path lookup (no base-name matching), skipping deleted nodes. */
export function nodeByPath(root: DtNode, path: string): DtNode | undefined {
  let node: DtNode | undefined = root;
  if (root.deleted) return undefined;
  for (const component of path.split("/")) {
    if (component === "") continue;
    let found: DtNode | undefined;
    for (const child of node.children) {
      if (!child.deleted && child.name === component) {
        found = child;
        break;
      }
    }
    if (!found) return undefined;
    node = found;
  }
  return node;
}

/**
 * A reference resolver for a tree that will not change shape while it is used: labels are
 * indexed once (first live node in pre-order wins, as with nodeByLabel) instead of searched per use.
 */
export function referenceResolver(root: DtNode): (reference: string) => DtNode | undefined {
  const byLabel = new Map<string, DtNode>();
  forEachNode(root, (node) => {
    for (const label of node.labels) if (!label.deleted && !byLabel.has(label.name)) byLabel.set(label.name, node);
  });
  return (reference) => {
    if (reference === "/") return root;
    if (reference.startsWith("/")) return nodeByPath(root, reference);
    return byLabel.get(reference);
  };
}

export function nodeByLabel(root: DtNode, label: string): DtNode | undefined {
  let result: DtNode | undefined;
  const search = (node: DtNode): boolean => {
    for (const candidate of node.labels) {
      if (!candidate.deleted && candidate.name === label) {
        result = node;
        return true;
      }
    }
    for (const child of node.children) if (!child.deleted && search(child)) return true;
    return false;
  };
  search(root);
  return result;
}

export interface CheckOptions {
  /** `-@`: nodes with labels survive `/omit-if-no-ref/` because __symbols__ refers to them. */
  generateSymbols?: boolean;
}

/**
 * Run dtc's error checks and fixups on a freshly parsed or decoded tree.
 * Returns the diagnostics; the tree is ready to encode when none is an error.
 */
export function runChecks(tree: DeviceTree, options: CheckOptions = {}): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const root = tree.root;
  const failed = new Set<string>();
  const fail = (check: string, node: DtNode, message: string, property?: DtProperty): void => {
    failed.add(check);
    diagnostics.push({
      severity: "error",
      check,
      message,
      location: locationText(property?.source ?? node.source),
      path: property ? `${node.path}:${property.name}` : node.path,
    });
  };

  // dtc runs its checks in table order and stops at the first one that reports an error
  // (process_checks: `error = error || run_check(c)`), so later fixups do not happen then,
  // even with -f. Each step below is one of those checks.
  const steps: [string, () => void][] = [
    ["duplicate_node_names", () =>
      // dtc compares every pair; a set finds the same duplicates in linear time (reported once each).
      forEachNode(root, (node) => {
        const seen = new Set<string>();
        for (const child of node.children) {
          if (child.deleted) continue;
          if (seen.has(child.name)) fail("duplicate_node_names", child, "Duplicate node name");
          seen.add(child.name);
        }
      })],
    ["duplicate_property_names", () =>
      forEachNode(root, (node) => {
        const first = new Map<string, DtProperty>();
        for (const property of node.properties) {
          if (property.deleted) continue;
          const earlier = first.get(property.name);
          if (earlier) fail("duplicate_property_names", node, "Duplicate property name", earlier);
          else first.set(property.name, property);
        }
      })],
    ["node_name_chars", () =>
      forEachNode(root, (node) => {
        if (!NODE_NAME_CHARS.test(node.name)) {
          const bad = [...node.name].find((ch) => !NODE_NAME_CHARS.test(ch));
          fail("node_name_chars", node, `Bad character '${bad}' in node name`);
        }
      })],
    ["node_name_format", () =>
      forEachNode(root, (node) => {
        const unit = node.name.slice(baseNameLength(node.name) + 1);
        if (unit.includes("@")) fail("node_name_format", node, "multiple '@' characters in node name");
      })],
    ["property_name_chars", () =>
      forEachNode(root, (node) => {
        for (const property of node.properties) {
          if (property.deleted || PROPERTY_NAME_CHARS.test(property.name)) continue;
          const bad = [...property.name].find((ch) => !PROPERTY_NAME_CHARS.test(ch));
          fail("property_name_chars", node, `Bad character '${bad}' in property name`, property);
        }
      })],
    ["name_is_string", () =>
      forEachNode(root, (node) => {
        const name = node.prop("name");
        if (name && !isOneString(name.value)) fail("name_is_string", node, `property is not a string`, name);
      })],
    ["name_properties", () =>
      // A `name` property equal to the node's base name is what v1-v3 blobs carried; it is redundant and dropped.
      forEachNode(root, (node) => {
        const index = node.properties.findIndex((property) => property.name === "name");
        if (index < 0) return;
        const property = node.properties[index];
        const baseLength = baseNameLength(node.name);
        const value = property.value;
        let matches = value.length === baseLength + 1;
        for (let i = 0; matches && i < baseLength; i++) if (value[i] !== (node.name.charCodeAt(i) & 0xff)) matches = false;
        if (matches) {
          node.properties.splice(index, 1);
          return;
        }
        const nul = value.indexOf(0);
        const shown = bytesToLatin1(value, 0, nul < 0 ? value.length : nul);
        fail("name_properties", node, `"name" property is incorrect ("${shown}" instead of base node name)`);
      })],
    ["duplicate_label", () => checkDuplicateLabels(tree, fail)],
    ["explicit_phandles", () => {
      const explicitPhandles = new Map<number, DtNode>();
      forEachNode(root, (node) => checkExplicitPhandles(root, node, fail, explicitPhandles));
    }],
    ["phandle_references", () => {
      const resolve = referenceResolver(root);
      const used = usedPhandles(tree);
      forEachNode(root, (node) => {
        for (const property of node.properties) {
          if (property.deleted) continue;
          for (const marker of property.markers) {
            if (marker.kind !== MarkerKind.RefPhandle) continue;
            const target = resolve(marker.ref!);
            if (!target) {
              if (tree.isPlugin) writeU32(property.value, marker.offset, 0xffffffff);
              else fail("phandle_references", node, `Reference to non-existent node or label "${marker.ref}"\n`);
              continue;
            }
            const phandle = allocatePhandle(tree, target, used);
            writeU32(property.value, marker.offset, phandle);
            target.isReferenced = true;
          }
        }
      });
    }],
    ["path_references", () => {
      const resolve = referenceResolver(root);
      forEachNode(root, (node) => {
        for (const property of node.properties) {
          if (property.deleted) continue;
          for (let index = 0; index < property.markers.length; index++) {
            const marker = property.markers[index];
            if (marker.kind !== MarkerKind.RefPath) continue;
            const target = resolve(marker.ref!);
            if (!target) {
              fail("path_references", node, `Reference to non-existent node or label "${marker.ref}"\n`);
              continue;
            }
            const path = latin1ToBytes(target.path + "\0");
            const buffer = new ByteBuffer(property.value.length + path.length);
            buffer.appendBytes(property.value);
            buffer.insertAt(marker.offset, path);
            property.value = buffer.toBytes();
            for (let later = index + 1; later < property.markers.length; later++) property.markers[later].offset += path.length;
            target.isReferenced = true;
          }
        }
      });
    }],
    ["omit_unused_nodes", () =>
      forEachNode(root, (node) => {
        if (options.generateSymbols && node.labels.length) return;
        if (node.omitIfUnused && !node.isReferenced) deleteNode(node);
      })],
  ];
  for (const [, step] of steps) {
    step();
    if (failed.size) break;
  }
  return diagnostics;
}

type Fail = (check: string, node: DtNode, message: string, property?: DtProperty) => void;

/** `seen` maps each phandle already taken (in pre-order, as dtc meets them) to its node. */
function checkExplicitPhandles(root: DtNode, node: DtNode, fail: Fail, seen: Map<number, DtNode>): void {
  const phandleValue = (name: string): number => {
    const property = node.prop(name);
    if (!property) return 0;
    if (property.value.length !== 4) {
      fail("explicit_phandles", node, `bad length (${property.value.length}) ${name} property`, property);
      return 0;
    }
    const reference = property.markers.find((marker) => marker.kind === MarkerKind.RefPhandle);
    if (reference) {
      // `phandle = <&self>` asks for a phandle to be allocated; pointing elsewhere is nonsense.
      if (nodeByReference(root, reference.ref!) !== node) fail("explicit_phandles", node, `${name} is a reference to another node`);
      return 0;
    }
    const value = readU32(property.value, 0);
    if (value === 0 || value === 0xffffffff) {
      fail("explicit_phandles", node, `bad value (0x${value.toString(16)}) in ${name} property`, property);
      return 0;
    }
    return value;
  };
  let phandle = phandleValue("phandle");
  const linuxPhandle = phandleValue("linux,phandle");
  if (!phandle && !linuxPhandle) return;
  if (linuxPhandle && phandle && phandle !== linuxPhandle) fail("explicit_phandles", node, "mismatching 'phandle' and 'linux,phandle' properties");
  if (linuxPhandle && !phandle) phandle = linuxPhandle;
  const other = seen.get(phandle);
  if (other && other !== node) {
    fail("explicit_phandles", node, `duplicated phandle 0x${phandle.toString(16)} (seen before at ${other.path})`);
    return;
  }
  node.phandle = phandle;
  seen.set(phandle, node);
}

function checkDuplicateLabels(tree: DeviceTree, fail: Fail): void {
  interface Owner {
    node: DtNode;
    property?: DtProperty;
    inValue: boolean;
  }
  const owners = new Map<string, Owner>();
  const describe = (owner: Owner): string =>
    `${owner.inValue ? "value of " : ""}${owner.property ? `'${owner.property.name}' in ` : ""}${owner.node.path}`;
  const see = (label: string, owner: Owner): void => {
    const first = owners.get(label);
    if (!first) {
      owners.set(label, owner);
      return;
    }
    if (first.node !== owner.node || first.property !== owner.property || first.inValue !== owner.inValue) {
      fail("duplicate_label", owner.node, `Duplicate label '${label}' on ${describe(owner)} and ${describe(first)}`);
    }
  };
  forEachNode(tree.root, (node) => {
    for (const label of node.labels) if (!label.deleted) see(label.name, { node, inValue: false });
    for (const property of node.properties) {
      if (property.deleted) continue;
      for (const label of property.labels) if (!label.deleted) see(label.name, { node, property, inValue: false });
      for (const marker of property.markers) if (marker.kind === MarkerKind.Label) see(marker.ref!, { node, property, inValue: true });
    }
  });
}

/** Mark a node and everything below it deleted, as dtc's delete_node does. */
export function deleteNode(node: DtNode): void {
  node.deleted = true;
  for (const child of node.children) if (!child.deleted) deleteNode(child);
  for (const property of node.properties) {
    if (property.deleted) continue;
    property.deleted = true;
    for (const label of property.labels) label.deleted = true;
  }
  for (const label of node.labels) label.deleted = true;
}

/** dtc's guess of the boot CPU for a DTS input: `reg` of the first child of /cpus when it is one cell. */
export function guessBootCpuId(root: DtNode): number {
  const cpus = nodeByPath(root, "/cpus");
  if (!cpus || cpus.children.length === 0) return 0;
  const reg = cpus.children[0].prop("reg");
  if (!reg || reg.value.length !== 4) return 0;
  return readU32(reg.value, 0);
}
