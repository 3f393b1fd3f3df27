/**
 * DTS parser for the dtc v1 language (dtc Documentation/dts-format.txt), building the same tree
 * dtc's grammar (dtc-parser.y) builds: node redefinitions merge into earlier ones, `&label { }`
 * amends a labelled node, `/delete-node/` and `/delete-property/` mark entries deleted in place,
 * and in a `/plugin/` an amendment of an unknown label becomes an overlay fragment.
 * Semantic errors are collected and reported together; a syntax error stops the parse.
 */

import { ByteBuffer, bytesToLatin1, latin1ToBytes } from "./bytes.js";
import { DeviceTree, DtNode, DtProperty, MarkerKind, addLabel, type Label, type Marker, type SourcePosition } from "./model.js";
import { DtsError, DtsFileError, SourceReadError, resolveInclude, tokenValue, tokenize, type LexicalError, type LexOptions, type Token } from "./dts-lexer.js";
import { deleteNode, guessBootCpuId, nodeByReference } from "./checks.js";

export interface ParseOptions extends LexOptions {}

const U64_MASK = 0xffffffffffffffffn;

/** Deepest node nesting accepted in DTS; keeps the recursive parser far from the JS stack limit. */
export const MAX_DTS_DEPTH = 1000;

/** Deepest nesting of parentheses, unary operators and `?:` in one cell expression. */
export const MAX_EXPRESSION_DEPTH = 500;

class SyntaxFailure extends Error {
  /** Index of the offending token, when known. */
  tokenIndex?: number;
}

/** Property value under construction: bytes plus markers at byte offsets. */
class ValueBuilder {
  readonly data = new ByteBuffer(4096);
  markers: Marker[] = [];

  /** Start a new value; the parser reuses one builder for every property. */
  reset(): void {
    this.data.clear();
    this.markers = [];
  }

  mark(kind: MarkerKind, ref?: string): void {
    this.markers.push(ref === undefined ? { offset: this.data.length, kind } : { offset: this.data.length, kind, ref });
  }

  appendInteger(value: bigint, bits: number): void {
    const v = BigInt.asUintN(64, value);
    switch (bits) {
      case 8:
        this.data.appendByte(Number(v & 0xffn));
        break;
      case 16:
        this.data.appendU16(Number(v & 0xffffn));
        break;
      case 32:
        this.data.appendU32(Number(v & 0xffffffffn));
        break;
      default:
        this.data.appendU64(v);
    }
  }
}

/** Merge a redefinition into an existing node, as dtc's merge_nodes does. */
export function mergeNodes(oldNode: DtNode, newNode: DtNode): DtNode {
  oldNode.deleted = false;
  for (const label of newNode.labels) addLabel(oldNode.labels, label.name);
  // First entry of each name, deleted or not (dtc searches the lists linearly; an index keeps big merges linear).
  const propertyByName = new Map<string, DtProperty>();
  for (const property of oldNode.properties) if (!propertyByName.has(property.name)) propertyByName.set(property.name, property);
  for (const newProperty of newNode.properties) {
    if (newProperty.deleted) {
      // Like dtc's delete_property_by_name: the first property of that name, deleted or not.
      const victim = propertyByName.get(newProperty.name);
      if (victim) {
        victim.deleted = true;
        for (const label of victim.labels) label.deleted = true;
      }
      continue;
    }
    // A deleted property of the same name is revived in its old position.
    const existing = propertyByName.get(newProperty.name);
    if (existing) {
      for (const label of newProperty.labels) addLabel(existing.labels, label.name);
      existing.value = newProperty.value;
      existing.markers = newProperty.markers;
      existing.deleted = false;
      existing.source = newProperty.source;
    } else {
      oldNode.properties.push(newProperty);
      propertyByName.set(newProperty.name, newProperty);
    }
  }
  const childByName = new Map<string, DtNode>();
  for (const child of oldNode.children) if (!childByName.has(child.name)) childByName.set(child.name, child);
  for (const newChild of newNode.children) {
    newChild.parent = undefined;
    if (newChild.deleted) {
      const victim = childByName.get(newChild.name);
      if (victim) deleteNode(victim);
      continue;
    }
    const existing = childByName.get(newChild.name);
    if (existing) mergeNodes(existing, newChild);
    else {
      oldNode.appendChild(newChild);
      childByName.set(newChild.name, newChild);
    }
  }
  return oldNode;
}

export class DtsParser {
  private readonly tokens: Token[];
  private position = 0;
  /** Semantic errors found while parsing, each after the lexical errors seen up to its token. */
  private readonly errors: string[] = [];
  private readonly lexicalErrors: LexicalError[];
  private lexicalErrorsReported = 0;
  private isPlugin = false;
  private orphanFragments = 0;
  private depth = 0;
  private readonly scratchValue = new ValueBuilder();

  constructor(
    source: string,
    private readonly fileName: string,
    private readonly options: ParseOptions = {},
  ) {
    const lexed = tokenize(source, fileName, options);
    this.tokens = lexed.tokens;
    this.lexicalErrors = lexed.errors;
  }

  // ---- token helpers -------------------------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position++;
    return token;
  }

  private isChar(token: Token, ch: string): boolean {
    return token.kind === "char" && token.text === ch;
  }

  private describe(token: Token): string {
    switch (token.kind) {
      case "eof": return "end of file";
      case "char": return `'${token.text}'`;
      case "name": return `name '${token.text}'`;
      case "label": return `label '${token.text}:'`;
      case "string": return "string";
      case "literal": case "char-literal": return `integer '${token.text}'`;
      default: return `'${token.text}'`;
    }
  }

  private syntaxError(token: Token, expected?: string): never {
    const message = `${token.file}:${token.line}:${token.column}: syntax error: unexpected ${this.describe(token)}${expected ? `, expecting ${expected}` : ""}`;
    const failure = new SyntaxFailure(message);
    const index = this.tokens.indexOf(token, this.position);
    failure.tokenIndex = index < 0 ? this.position : index;
    throw failure;
  }

  private expectChar(ch: string): Token {
    const token = this.peek();
    if (!this.isChar(token, ch)) this.syntaxError(token, `'${ch}'`);
    return this.next();
  }

  private semanticError(token: Token, message: string): void {
    this.catchUpLexicalErrors(this.position);
    this.errors.push(`${token.file}:${token.line}:${token.column}: ${message}`);
  }

  private positionOf(token: Token): SourcePosition {
    return { file: token.file, line: token.line, column: token.column };
  }

  // ---- grammar -------------------------------------------------------------------------------

  /**
   * Move lexical errors up to token `index` into the report. dtc scans on demand, so it never
   * sees lexical errors past the point where its parser gives up; neither do we report them.
   */
  private catchUpLexicalErrors(index: number): void {
    while (this.lexicalErrorsReported < this.lexicalErrors.length && this.lexicalErrors[this.lexicalErrorsReported].tokenIndex <= index) {
      this.errors.push(this.lexicalErrors[this.lexicalErrorsReported++].message);
    }
  }

  parse(): DeviceTree {
    let tree: DeviceTree;
    try {
      tree = this.parseSourceFile();
    } catch (error) {
      if (error instanceof SyntaxFailure) {
        this.catchUpLexicalErrors(error.tokenIndex ?? this.position);
        throw new DtsError(error.message, [...this.errors, error.message]);
      }
      throw error;
    }
    this.catchUpLexicalErrors(Number.MAX_SAFE_INTEGER);
    if (this.errors.length) throw new DtsError(this.errors.join("\n"), this.errors);
    return tree;
  }

  private parseHeader(): boolean {
    const token = this.peek();
    if (token.kind !== "dts-v1") this.syntaxError(token, "'/dts-v1/'");
    this.next();
    this.expectChar(";");
    if (this.peek().kind === "plugin") {
      this.next();
      this.expectChar(";");
      return true;
    }
    return false;
  }

  private parseSourceFile(): DeviceTree {
    this.isPlugin = this.parseHeader();
    while (this.peek().kind === "dts-v1") {
      const token = this.peek();
      if (this.parseHeader() !== this.isPlugin) this.semanticError(token, "Header flags don't match earlier ones");
    }
    const tree = new DeviceTree();
    tree.isPlugin = this.isPlugin;
    for (;;) {
      let count = 0;
      while (this.peek(count).kind === "label") count++;
      if (this.peek(count).kind !== "memreserve") break;
      const labels: Label[] = [];
      const labelTokens = this.tokens.slice(this.position, this.position + count);
      this.position += count + 1;
      for (let i = labelTokens.length - 1; i >= 0; i--) addLabel(labels, labelTokens[i].text);
      const address = this.parseIntegerPrimary();
      const size = this.parseIntegerPrimary();
      this.expectChar(";");
      tree.reservations.push({ address, size, labels });
    }
    tree.root = this.parseDeviceTree(tree);
    tree.bootCpuId = guessBootCpuId(tree.root);
    return tree;
  }

  private isReference(token: Token): boolean {
    return token.kind === "label-ref" || token.kind === "path-ref";
  }

  private parseDeviceTree(tree: DeviceTree): DtNode {
    let root: DtNode;
    const first = this.peek();
    if (this.isChar(first, "/")) {
      this.next();
      root = this.parseNodeBody("");
      root.name = "";
    } else if (this.isReference(first)) {
      this.next();
      const body = this.parseNodeBody("");
      if (!this.isPlugin) this.semanticError(first, `Label or path ${first.text} not found`);
      root = new DtNode("");
      this.addOrphanNode(root, body, first.text);
    } else {
      // Labels here could only have belonged to a /memreserve/, so the error is the token after them.
      let offset = 0;
      while (this.peek(offset).kind === "label") offset++;
      this.syntaxError(this.peek(offset), offset ? "'/memreserve/'" : "'/' or a reference");
    }
    for (;;) {
      const token = this.peek();
      if (token.kind === "eof") break;
      if (this.isChar(token, "/")) {
        this.next();
        mergeNodes(root, this.parseNodeBody(""));
      } else if (token.kind === "label" && this.isReference(this.peek(1))) {
        this.next();
        const reference = this.next();
        const body = this.parseNodeBody("");
        const target = nodeByReference(root, reference.text);
        if (target) {
          addLabel(target.labels, token.text);
          mergeNodes(target, body);
        } else this.semanticError(reference, `Label or path ${reference.text} not found`);
      } else if (this.isReference(token)) {
        this.next();
        const body = this.parseNodeBody("");
        if (token.kind === "path-ref" && this.isPlugin) {
          this.addOrphanNode(root, body, token.text);
        } else {
          const target = nodeByReference(root, token.text);
          if (target) mergeNodes(target, body);
          else if (this.isPlugin) this.addOrphanNode(root, body, token.text);
          else this.semanticError(token, `Label or path ${token.text} not found`);
        }
      } else if (token.kind === "delete-node" || token.kind === "omit-if-no-ref") {
        this.next();
        const reference = this.peek();
        if (!this.isReference(reference)) this.syntaxError(reference, "a reference");
        this.next();
        this.expectChar(";");
        const target = nodeByReference(root, reference.text);
        if (!target) this.semanticError(reference, `Label or path ${reference.text} not found`);
        else if (token.kind === "delete-node") deleteNode(target);
        else target.omitIfUnused = true;
      } else if (token.kind === "label") {
        this.syntaxError(this.peek(1), "a reference");
      } else {
        this.syntaxError(token);
      }
    }
    return root;
  }

  /** `&ref { }` in a plugin: a fragment@N node holding the body as __overlay__ (dtc's add_orphan_node). */
  private addOrphanNode(root: DtNode, body: DtNode, reference: string): void {
    const fragment = new DtNode(`fragment@${this.orphanFragments++}`);
    const value = new ValueBuilder();
    if (reference.startsWith("/")) {
      value.mark(MarkerKind.String, reference);
      value.data.appendBytes(latin1ToBytes(reference + "\0"));
      fragment.properties.push(new DtProperty("target-path", value.data.toBytes(), value.markers));
    } else {
      value.mark(MarkerKind.RefPhandle, reference);
      value.data.appendU32(0xffffffff);
      fragment.properties.push(new DtProperty("target", value.data.toBytes(), value.markers));
    }
    body.name = "__overlay__";
    fragment.appendChild(body);
    root.appendChild(fragment);
  }

  /** nodedef: `{ proplist subnodes } ;` — the opening brace is next. */
  private parseNodeBody(name: string): DtNode {
    const open = this.expectChar("{");
    if (++this.depth > MAX_DTS_DEPTH) throw new SyntaxFailure(`${open.file}:${open.line}:${open.column}: nodes nested deeper than ${MAX_DTS_DEPTH} levels`);
    const node = new DtNode(name);
    node.source = this.positionOf(open);
    let seenSubnode = false;
    for (;;) {
      const start = this.peek();
      let count = 0;
      let omit = false;
      const labels: string[] = [];
      for (;;) {
        const token = this.peek(count);
        if (token.kind === "label") labels.push(token.text);
        else if (token.kind === "omit-if-no-ref") omit = true;
        else break;
        count++;
      }
      const head = this.peek(count);
      if (this.isChar(head, "}") && count === 0) {
        this.next();
        this.expectChar(";");
        this.depth--;
        return node;
      }
      const isPropertyStart =
        head.kind === "delete-property" || (head.kind === "name" && (this.isChar(this.peek(count + 1), "=") || this.isChar(this.peek(count + 1), ";")));
      const isSubnodeStart = head.kind === "delete-node" || (head.kind === "name" && this.isChar(this.peek(count + 1), "{"));
      if (isPropertyStart && !omit) {
        this.position += count;
        const property = this.parseProperty();
        // dtc's grammar reduces the whole property before rejecting it, so its own errors come first.
        if (seenSubnode) throw new SyntaxFailure(`${start.file}:${start.line}:${start.column}: Properties must precede subnodes`);
        for (let i = labels.length - 1; i >= 0; i--) addLabel(property.labels, labels[i]);
        node.properties.push(property);
      } else if (isSubnodeStart) {
        this.position += count;
        let child: DtNode;
        if (head.kind === "delete-node") {
          this.next();
          const nameToken = this.peek();
          if (nameToken.kind !== "name") this.syntaxError(nameToken, "a node name");
          this.next();
          this.expectChar(";");
          child = new DtNode(nameToken.text);
          child.deleted = true;
          child.source = this.positionOf(head);
        } else {
          this.next();
          child = this.parseNodeBody(head.text);
        }
        if (omit) child.omitIfUnused = true;
        for (let i = labels.length - 1; i >= 0; i--) addLabel(child.labels, labels[i]);
        node.appendChild(child);
        seenSubnode = true;
      } else if (head.kind === "name") {
        // A name can start either a property or a node, so (as in dtc's LALR parser) the error is the token after it.
        this.syntaxError(this.peek(count + 1), "'=', ';' or '{'");
      } else {
        this.syntaxError(head);
      }
    }
  }

  private parseProperty(): DtProperty {
    const head = this.next();
    if (head.kind === "delete-property") {
      const nameToken = this.peek();
      if (nameToken.kind !== "name") this.syntaxError(nameToken, "a property name");
      this.next();
      this.expectChar(";");
      const property = new DtProperty(nameToken.text);
      property.deleted = true;
      return property;
    }
    const property = new DtProperty(head.text);
    property.source = this.positionOf(head);
    if (this.isChar(this.peek(), ";")) {
      this.next();
      return property;
    }
    this.expectChar("=");
    const value = this.scratchValue;
    value.reset();
    for (;;) {
      while (this.peek().kind === "label") value.mark(MarkerKind.Label, this.next().text);
      this.parseValueItem(value);
      while (this.peek().kind === "label") value.mark(MarkerKind.Label, this.next().text);
      if (this.isChar(this.peek(), ",")) {
        this.next();
        continue;
      }
      break;
    }
    this.expectChar(";");
    property.value = value.data.toBytes();
    property.markers = value.markers;
    return property;
  }

  private parseValueItem(value: ValueBuilder): void {
    const token = this.peek();
    if (token.kind === "string") {
      this.next();
      value.mark(MarkerKind.String);
      value.data.appendBytes(token.bytes!);
    } else if (token.kind === "bits" || this.isChar(token, "<")) {
      this.parseArray(value);
    } else if (this.isChar(token, "[")) {
      this.next();
      value.mark(MarkerKind.Uint8);
      for (;;) {
        const item = this.peek();
        if (item.kind === "bytes") value.data.appendBytes(this.next().bytes!);
        else if (item.kind === "label") value.mark(MarkerKind.Label, this.next().text);
        else break;
      }
      this.expectChar("]");
    } else if (this.isReference(token)) {
      this.next();
      value.mark(MarkerKind.String, token.text);
      value.mark(MarkerKind.RefPath, token.text);
    } else if (token.kind === "incbin") {
      this.next();
      this.expectChar("(");
      const nameToken = this.peek();
      if (nameToken.kind !== "string") this.syntaxError(nameToken, "a file name string");
      this.next();
      let offset = 0n;
      let length = -1n;
      if (this.isChar(this.peek(), ",")) {
        this.next();
        offset = this.parseIntegerPrimary();
        this.expectChar(",");
        length = this.parseIntegerPrimary();
      }
      this.expectChar(")");
      const fileName = bytesToLatin1(nameToken.bytes!, 0, nameToken.bytes!.length - 1);
      const located = `${nameToken.file}:${nameToken.line}:${nameToken.column}`;
      const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);
      // dtc reads size_t lengths, so -1 (all ones) is "to the end" like no length at all; offsets and
      // lengths past 2^53 exceed any file we could hold and clamp without changing the result.
      const range = {
        offset: Number(offset > maxSafe ? maxSafe : offset),
        length: length < 0n || length === U64_MASK ? undefined : Number(length > maxSafe ? maxSafe : length),
      };
      let found: { path: string; bytes: Uint8Array } | undefined;
      try {
        found = resolveInclude(fileName, nameToken.file, this.options, range);
      } catch (failure) {
        if (!(failure instanceof SourceReadError)) throw failure;
        // dtc's own messages (die() in data_copy_file and the /incbin/ rule); "unbounded" is ours.
        const message = `${located}: couldn't read "${fileName}": ${failure.reason}`;
        if (failure.kind === "seek") throw new DtsFileError(message, `FATAL ERROR: Couldn't seek to offset ${offset} in "${fileName}": ${failure.reason}`, 1);
        if (failure.kind === "unbounded") {
          const hint = `${message}; give /incbin/ an offset and a length`;
          throw new DtsFileError(hint, `FATAL ERROR: ${hint}`, 1);
        }
        throw new DtsFileError(message, `FATAL ERROR: Error reading file into data: ${failure.reason}`, 1);
      }
      if (!found) throw new SyntaxFailure(`${located}: couldn't open "${fileName}": no such file`);
      value.mark(MarkerKind.None);
      value.data.appendBytes(found.bytes);
    } else {
      this.syntaxError(token, "a value");
    }
  }

  private parseArray(value: ValueBuilder): void {
    let bits = 32;
    let kind = MarkerKind.Uint32;
    if (this.peek().kind === "bits") {
      this.next();
      const size = this.peek();
      if (size.kind !== "literal") this.syntaxError(size, "an element size");
      this.next();
      switch (tokenValue(size)) {
        case 8n: kind = MarkerKind.Uint8; bits = 8; break;
        case 16n: kind = MarkerKind.Uint16; bits = 16; break;
        case 32n: kind = MarkerKind.Uint32; bits = 32; break;
        case 64n: kind = MarkerKind.Uint64; bits = 64; break;
        default:
          this.semanticError(size, "Array elements must be 8, 16, 32 or 64-bits");
      }
    }
    this.expectChar("<");
    value.mark(kind);
    for (;;) {
      const token = this.peek();
      if (this.isChar(token, ">")) {
        this.next();
        return;
      }
      if (token.kind === "label") {
        value.mark(MarkerKind.Label, this.next().text);
      } else if (this.isReference(token)) {
        this.next();
        if (bits === 32) value.mark(MarkerKind.RefPhandle, token.text);
        else this.semanticError(token, "References are only allowed in arrays with 32-bit elements.");
        value.appendInteger(U64_MASK >> BigInt(64 - bits), bits);
      } else if (token.kind === "cells") {
        // A run of plain literals the lexer already laid out as 32-bit cells (it makes them only in
        // `<..>` of 32-bit elements).
        this.next();
        value.data.appendBytes(token.bytes!);
      } else if (token.small !== undefined && bits === 32) {
        // Fast path for the common `<0x1234>` cell: no BigInt arithmetic.
        this.next();
        value.data.appendU32(token.small);
      } else if (token.kind === "literal" || token.kind === "char-literal" || this.isChar(token, "(")) {
        const number = this.parseIntegerPrimary();
        if (bits < 64) {
          const mask = (1n << BigInt(bits)) - 1n;
          // Out of range unless the high bits are all zero, or all one (a sign-extended negative).
          if (number > mask && (number | mask) !== U64_MASK) this.semanticError(token, `Value out of range for ${bits}-bit array element`);
        }
        value.appendInteger(number, bits);
      } else {
        this.syntaxError(token, "'>'");
      }
    }
  }

  // ---- integer expressions (C semantics on unsigned 64-bit values) ----------------------------

  private parseIntegerPrimary(): bigint {
    const token = this.peek();
    if (token.kind === "literal" || token.kind === "char-literal") {
      this.next();
      return tokenValue(token);
    }
    if (this.isChar(token, "(")) {
      this.next();
      this.enterExpression(token);
      const value = this.parseExpression();
      this.expressionDepth--;
      this.expectChar(")");
      return value;
    }
    this.syntaxError(token, "an integer");
  }

  private expressionDepth = 0;

  /** Parentheses and unary operators recurse; bound them so hostile input cannot exhaust the stack. */
  private enterExpression(token: Token): void {
    if (++this.expressionDepth > MAX_EXPRESSION_DEPTH) {
      throw new SyntaxFailure(`${token.file}:${token.line}:${token.column}: expression nested deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    }
  }

  private parseExpression(): bigint {
    const condition = this.parseBinary(0);
    if (this.isChar(this.peek(), "?")) {
      this.next();
      this.enterExpression(this.peek());
      const whenTrue = this.parseExpression();
      this.expectChar(":");
      const whenFalse = this.parseExpression();
      this.expressionDepth--;
      return condition !== 0n ? whenTrue : whenFalse;
    }
    return condition;
  }

  /** Binary operators by C precedence, loosest first (dtc's integer_or ... integer_mul). */
  private static readonly LEVELS: string[][] = [["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"]];
  private static readonly LEVEL_OF = new Map(DtsParser.LEVELS.flatMap((operators, level) => operators.map((operator) => [operator, level] as [string, number])));

  /** Precedence climbing: all operators are left-associative, so the right side binds tighter. */
  private parseBinary(minimumLevel: number): bigint {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      const level = token.kind === "op" || token.kind === "char" ? DtsParser.LEVEL_OF.get(token.text) : undefined;
      if (level === undefined || level < minimumLevel) return left;
      this.next();
      const right = this.parseBinary(level + 1);
      left = this.apply(token.text, left, right, token);
    }
  }

  private apply(operator: string, left: bigint, right: bigint, token: Token): bigint {
    const wrap = (value: bigint): bigint => BigInt.asUintN(64, value);
    switch (operator) {
      case "||": return left !== 0n || right !== 0n ? 1n : 0n;
      case "&&": return left !== 0n && right !== 0n ? 1n : 0n;
      case "|": return left | right;
      case "^": return left ^ right;
      case "&": return left & right;
      case "==": return left === right ? 1n : 0n;
      case "!=": return left !== right ? 1n : 0n;
      case "<": return left < right ? 1n : 0n;
      case ">": return left > right ? 1n : 0n;
      case "<=": return left <= right ? 1n : 0n;
      case ">=": return left >= right ? 1n : 0n;
      case "<<": return right < 64n ? wrap(left << right) : 0n;
      case ">>": return right < 64n ? left >> right : 0n;
      case "+": return wrap(left + right);
      case "-": return wrap(left - right);
      case "*": return wrap(left * right);
      default:
        if (right === 0n) {
          this.semanticError(token, "Division by zero");
          return 0n;
        }
        return operator === "/" ? left / right : left % right;
    }
  }

  private parseUnary(): bigint {
    const token = this.peek();
    if (token.kind === "char" && (token.text === "-" || token.text === "~" || token.text === "!")) {
      this.next();
      this.enterExpression(token);
      const operand = this.parseUnary();
      this.expressionDepth--;
      if (token.text === "-") return BigInt.asUintN(64, -operand);
      if (token.text === "~") return BigInt.asUintN(64, ~operand);
      return operand === 0n ? 1n : 0n;
    }
    return this.parseIntegerPrimary();
  }
}

/** Parse DTS source text (Latin-1: one character per byte) into a tree, without running checks. */
export function parseDts(source: string, fileName = "<input>", options: ParseOptions = {}): DeviceTree {
  return new DtsParser(source, fileName, options).parse();
}
