/**
 * DTS tokenizer, following dtc's scanner (dtc-lexer.l) rule for rule, including its start
 * conditions: after `{` or `;` the scanner expects a node/property name (PROPNODENAME), inside
 * `[..]` it reads hex byte pairs (BYTESTRING), otherwise values (V1). Because those state changes
 * are made by the scanner alone, a whole file (with its `/include/`s) is tokenized up front and the
 * parser gets unlimited lookahead. Syntax: dtc Documentation/dts-format.txt.
 */

import { ByteBuffer, bytesToLatin1 } from "./bytes.js";

export type TokenKind =
  | "dts-v1"
  | "plugin"
  | "memreserve"
  | "bits"
  | "delete-property"
  | "delete-node"
  | "omit-if-no-ref"
  | "incbin"
  | "label" // `name:`
  | "literal" // integer literal
  | "char-literal"
  | "label-ref" // `&name`
  | "path-ref" // `&{/path}`
  | "bytes" // a run of hex byte pairs inside [..], its bytes in `bytes`
  | "cells" // a run of plain 32-bit literals inside <..>, big-endian in `bytes`
  | "name" // node or property name
  | "string"
  | "op" // << >> <= >= == != && ||
  | "char" // any other single character
  | "eof";

export interface Token {
  kind: TokenKind;
  /** Label/reference/name text, the operator or character, or the raw literal text. */
  text: string;
  /**
   * Integer value of a literal, character literal or byte: `small` when it fits in 32 bits
   * (the usual case, kept as a plain number for speed), else `value`. Use tokenValue().
   */
  small?: number;
  value?: bigint;
  /** The bytes of a string (escapes processed, NUL terminated), or of a run of byte pairs. */
  bytes?: Uint8Array;
  file: string;
  line: number;
  column: number;
}

/**
 * Supplies file contents for `/include/` and `/incbin/`; the CLI passes one that reads the disk.
 * Return undefined when the file cannot be opened (the next directory of the search path is
 * tried, as dtc does); throw SourceReadError when it opens but cannot be read (a directory), which
 * ends the search there, as dtc's fopen succeeding on a directory does.
 */
export interface SourceReader {
  readFile(path: string): Uint8Array | undefined;
  /**
   * Optional: only the bytes of `/incbin/(path, offset, length)`, `length` undefined meaning "to
   * the end". A reader that has it can serve a bounded read of a device such as /dev/zero, which
   * has no end to read whole, and need not read all of a large file for a small slice of it.
   * Without it the parser slices what readFile returns.
   */
  readFileRange?(path: string, offset: number, length: number | undefined): Uint8Array | undefined;
}

/**
 * Why a SourceReader could not read a file that exists. The kinds are the failures dtc reports
 * differently: "directory" and "read" (the OS refused the read; `reason` is strerror text such as
 * "Is a directory"), "seek" (an /incbin/ offset on something that cannot seek, a pipe) and
 * "unbounded" (a device or pipe that did not end within the reader's limit).
 */
export class SourceReadError extends Error {
  constructor(
    readonly reason: string,
    readonly kind: "directory" | "read" | "seek" | "unbounded",
  ) {
    super(reason);
    this.name = "SourceReadError";
  }
}

/** The integer a literal, character literal or byte token stands for. */
export function tokenValue(token: Token): bigint {
  return token.value ?? BigInt(token.small ?? 0);
}

export class DtsError extends Error {
  constructor(
    message: string,
    readonly diagnostics: string[] = [message],
  ) {
    super(message);
    this.name = "DtsError";
  }
}

/**
 * A file named by `/include/` or `/incbin/` exists but could not be read. dtc does not report
 * these as located parse errors: it stops at once with a message of its own, so besides the
 * located `message` this carries the line dtc prints (`dtcMessage`) and its exit status, for a
 * front end that wants to behave like dtc.
 */
export class DtsFileError extends DtsError {
  constructor(
    message: string,
    readonly dtcMessage: string,
    readonly exitStatus: number,
  ) {
    super(message);
    this.name = "DtsFileError";
  }
}

/** Deepest `/include/` nesting accepted (dtc allows 100). */
export const MAX_INCLUDE_DEPTH = 100;

const enum State {
  Initial,
  V1,
  ByteString,
  PropNodeName,
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return "";
  if (slash === 0) return "/";
  return path.slice(0, slash);
}

export function joinPath(directory: string, name: string): string {
  if (name.startsWith("/") || directory === "") return name;
  return directory.endsWith("/") ? directory + name : `${directory}/${name}`;
}

const PROPNODE_CHAR = new Uint8Array(128);
for (const ch of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._+*#?@-") PROPNODE_CHAR[ch.charCodeAt(0)] = 1;
const LABEL_START = new Uint8Array(128);
const LABEL_CHAR = new Uint8Array(128);
for (const ch of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") LABEL_START[ch.charCodeAt(0)] = LABEL_CHAR[ch.charCodeAt(0)] = 1;
for (const ch of "0123456789") LABEL_CHAR[ch.charCodeAt(0)] = 1;

function isPropNodeChar(code: number): boolean {
  return code < 128 && PROPNODE_CHAR[code] === 1;
}
function isLabelChar(code: number): boolean {
  return code < 128 && LABEL_CHAR[code] === 1;
}
function isLabelStart(code: number): boolean {
  return code < 128 && LABEL_START[code] === 1;
}
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}
function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}
/** The value of a hex digit already checked with isHexDigit. */
function hexDigitValue(code: number): number {
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

/**
 * Process C-style escapes as dtc's get_escape_char does: \a \b \t \n \v \f \r, up to three
 * octal digits, \x with up to two hex digits; any other escaped character stands for itself.
 * Returns the bytes followed by a NUL.
 */
export function unescapeString(text: string, onError: (message: string) => void): Uint8Array {
  if (text.indexOf("\\") < 0) {
    // No escapes (the common case): one byte per character plus the NUL.
    const bytes = new Uint8Array(text.length + 1);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  // Escapes only ever shorten the text, so its length (plus the NUL) bounds the bytes; a typed
  // array instead of a number[] keeps a string of megabytes at one byte per byte.
  const out = new Uint8Array(text.length + 1);
  let length = 0;
  for (let i = 0; i < text.length; ) {
    const ch = text.charCodeAt(i++);
    if (ch !== 0x5c) {
      out[length++] = ch & 0xff;
      continue;
    }
    const escaped = i < text.length ? text[i] : "\0";
    i++;
    switch (escaped) {
      case "a": out[length++] = 7; break;
      case "b": out[length++] = 8; break;
      case "t": out[length++] = 9; break;
      case "n": out[length++] = 10; break;
      case "v": out[length++] = 11; break;
      case "f": out[length++] = 12; break;
      case "r": out[length++] = 13; break;
      case "0": case "1": case "2": case "3": case "4": case "5": case "6": case "7": {
        let value = 0;
        let digits = 0;
        i--;
        while (digits < 3 && i < text.length && text[i] >= "0" && text[i] <= "7") {
          value = value * 8 + (text.charCodeAt(i) - 48);
          i++;
          digits++;
        }
        out[length++] = value & 0xff;
        break;
      }
      case "x": {
        let value = 0;
        let digits = 0;
        while (digits < 2 && i < text.length && isHexDigit(text.charCodeAt(i))) {
          value = value * 16 + parseInt(text[i], 16);
          i++;
          digits++;
        }
        if (digits === 0) onError("\\x used with no following hex digits");
        out[length++] = value;
        break;
      }
      default:
        out[length++] = escaped.charCodeAt(0) & 0xff;
    }
  }
  out[length++] = 0;
  return out.subarray(0, length);
}

const KEYWORDS: [string, TokenKind][] = [
  ["/dts-v1/", "dts-v1"],
  ["/plugin/", "plugin"],
  ["/memreserve/", "memreserve"],
  ["/bits/", "bits"],
  ["/delete-property/", "delete-property"],
  ["/delete-node/", "delete-node"],
  ["/omit-if-no-ref/", "omit-if-no-ref"],
];

/** One-character strings, so single-character tokens do not each allocate one. */
const ASCII: string[] = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));

const OPERATORS = new Set(["<<", ">>", "<=", ">=", "==", "!=", "&&", "||"]);
/** First characters of the two-character operators: < > = ! & | */
function isOperatorStart(code: number): boolean {
  return code === 0x3c || code === 0x3e || code === 0x3d || code === 0x21 || code === 0x26 || code === 0x7c;
}

export interface LexOptions {
  reader?: SourceReader;
  /** Directories searched for `/include/` after the including file's own directory (dtc -i). */
  includeDirs?: string[];
}

export interface LexicalError {
  message: string;
  /** Index of the token being formed when the error was found. */
  tokenIndex: number;
}

export interface LexResult {
  tokens: Token[];
  /** Lexical errors; dtc reports them and goes on, failing at the end. */
  errors: LexicalError[];
}

/** The part of a file an `/incbin/` takes: `length` undefined means to the end. */
export interface FileRange {
  offset: number;
  length: number | undefined;
}

/**
 * Open a file relative to the including file, then along the include path, as dtc does; with a
 * range, read only that part of it. A SourceReadError from the reader ends the search.
 */
export function resolveInclude(
  name: string,
  currentFile: string | undefined,
  options: LexOptions,
  range?: FileRange,
): { path: string; bytes: Uint8Array } | undefined {
  const reader = options.reader;
  if (!reader) return undefined;
  const candidates = [joinPath(currentFile === undefined ? "" : dirname(currentFile), name)];
  if (!name.startsWith("/")) for (const dir of options.includeDirs ?? []) candidates.push(joinPath(dir, name));
  for (const path of candidates) {
    if (range && reader.readFileRange) {
      const bytes = reader.readFileRange(path, range.offset, range.length);
      if (bytes) return { path, bytes };
      continue;
    }
    const bytes = reader.readFile(path);
    if (!bytes) continue;
    if (!range) return { path, bytes };
    // Like fseek past the end followed by fread: an offset beyond the file gives no bytes.
    const start = Math.min(range.offset, bytes.length);
    const end = range.length === undefined ? bytes.length : Math.min(bytes.length, start + range.length);
    return { path, bytes: bytes.subarray(start, end) };
  }
  return undefined;
}

/** Element size of a `<` about to be pushed: N after `/bits/ N`, else 32. */
function elementBitsBefore(tokens: Token[]): number {
  const size = tokens[tokens.length - 1];
  if (size?.kind === "literal" && tokens[tokens.length - 2]?.kind === "bits") return Number(tokenValue(size));
  return 32;
}

export function tokenize(source: string, fileName: string, options: LexOptions = {}): LexResult {
  const tokens: Token[] = [];
  const errors: LexicalError[] = [];
  let state = State.Initial;
  /**
   * Byte pairs are gathered into one "bytes" token per run (pairs with only spaces, comments
   * or includes between them), not one token each: a token object per byte made megabytes of
   * `[..]` data cost hundreds of bytes of memory per byte. The parser only ever takes these
   * pairs in sequence, so nothing it sees changes. `run` is the run still open, if any.
   */
  let run: { token: Token; data: ByteBuffer; errorCount: number } | undefined;
  const runs: { token: Token; data: ByteBuffer }[] = [];
  /**
   * The same for cells: literals that fit 32 bits, directly inside `<..>` of 32-bit elements
   * (not within parentheses, where they are expression operands), become one "cells" token. The
   * parser takes such literals only as array elements, appending each as a cell, so the run
   * changes nothing; anywhere else a `<` is a syntax error found before the run is reached.
   * `cellBits` is the element size of the `<..>` being read (0 outside one).
   */
  let cellRun: { token: Token; data: ByteBuffer; errorCount: number } | undefined;
  let cellBits = 0;
  let parenDepth = 0;

  const lexFile = (text: string, realPath: string, depth: number): void => {
    let displayName = realPath;
    let line = 1;
    let column = 1;
    let i = 0;
    const n = text.length;

    const advance = (to: number): void => {
      let lastNewline = -1;
      for (let j = i; j < to; j++) {
        if (text.charCodeAt(j) === 10) {
          line++;
          lastNewline = j;
        }
      }
      column = lastNewline < 0 ? column + (to - i) : to - lastNewline;
      i = to;
    };
    // Every token has the same shape (all fields present) so the engine keeps one object layout.
    const push = (kind: TokenKind, end: number, extra?: { text?: string; small?: number; value?: bigint; bytes?: Uint8Array }): void => {
      tokens.push({
        kind,
        text: extra?.text ?? text.slice(i, end),
        small: extra?.small,
        value: extra?.value,
        bytes: extra?.bytes,
        file: displayName,
        line,
        column,
      });
      // Only strings and character literals can span lines; other tokens just move the column.
      if (kind === "string" || kind === "char-literal") advance(end);
      else {
        column += end - i;
        i = end;
      }
    };
    let noCommentEnd = false;
    let noNewline = false;
    let noLabelBefore = 0;
    const error = (message: string, atLine = line, atColumn = column): void => {
      errors.push({ message: `${displayName}:${atLine}:${atColumn}: ${message}`, tokenIndex: tokens.length });
    };

    /** End of a `"..."` string starting at `start`, or -1 (a backslash may not escape a newline). */
    // A failed string scan from `start` stopped at `stringFailsAt`. A quote before that point was
    // inside the failed scan as an escaped character, so a scan from it runs in step and fails
    // the same way: no need to rescan (keeps `"\"\"\"...` linear).
    let stringFailsAt = -1;
    const stringEnd = (start: number): number => {
      if (start < stringFailsAt) return -1;
      for (let j = start + 1; j < n; j++) {
        const code = text.charCodeAt(j);
        if (code === 0x22) return j + 1;
        if (code === 0x5c) {
          if (j + 1 >= n || text.charCodeAt(j + 1) === 10) {
            stringFailsAt = j;
            return -1;
          }
          j++;
        }
      }
      stringFailsAt = n;
      return -1;
    };

    /** A literal that fits 32 bits: into the open cell run, a new one, or a token of its own. */
    const pushLiteral = (end: number, small: number): void => {
      if (cellBits !== 32 || parenDepth !== 0) {
        push("literal", end, { small });
        return;
      }
      if (cellRun && tokens[tokens.length - 1] === cellRun.token && errors.length === cellRun.errorCount) {
        cellRun.data.appendU32(small);
        column += end - i;
        i = end;
        return;
      }
      push("cells", end);
      cellRun = { token: tokens[tokens.length - 1], data: new ByteBuffer(64), errorCount: errors.length };
      cellRun.data.appendU32(small);
      runs.push(cellRun);
    };

    while (i < n) {
      let code = text.charCodeAt(i);

      if (isSpace(code)) {
        // Skip the run, counting lines as we go (the commonest "token" of all).
        for (;;) {
          if (code === 10) {
            line++;
            column = 1;
          } else column++;
          i++;
          if (i >= n) break;
          code = text.charCodeAt(i);
          if (!isSpace(code)) break;
        }
        continue;
      }

      if (code === 0x2f /* / */) {
        const next = text.charCodeAt(i + 1);
        // Once a search for "*/" (or a newline) has failed, none exists further on: remembering
        // that keeps garbage input full of "/*" linear instead of quadratic.
        if (next === 0x2a /* * */ && !noCommentEnd) {
          const close = text.indexOf("*/", i + 2);
          if (close >= 0) {
            advance(close + 2);
            continue;
          }
          noCommentEnd = true;
        } else if (next === 0x2f && !noNewline) {
          const newline = text.indexOf("\n", i + 2);
          if (newline >= 0) {
            advance(newline + 1);
            continue;
          }
          noNewline = true;
        }
        if (text.startsWith("/include/", i)) {
          let j = i + 9;
          while (j < n && isSpace(text.charCodeAt(j))) j++;
          const end = text.charCodeAt(j) === 0x22 ? stringEnd(j) : -1;
          if (end > 0) {
            const nameText = text.slice(j + 1, end - 1);
            const includeLine = line;
            const includeColumn = column;
            advance(end);
            if (depth + 1 >= MAX_INCLUDE_DEPTH) throw new DtsError(`${displayName}:${includeLine}:${includeColumn}: includes nested too deeply`);
            let found: { path: string; bytes: Uint8Array } | undefined;
            try {
              found = resolveInclude(nameText, realPath, options);
            } catch (failure) {
              if (!(failure instanceof SourceReadError)) throw failure;
              const located = `${displayName}:${includeLine}:${includeColumn}: couldn't read "${nameText}": ${failure.reason}`;
              // dtc's scanner opens the file and flex's read of it fails: flex's fatal error, exit 2.
              if (failure.kind === "directory" || failure.kind === "read") throw new DtsFileError(located, "input in flex scanner failed", 2);
              throw new DtsFileError(located, `FATAL ERROR: ${located}`, 1);
            }
            if (!found) throw new DtsError(`${displayName}:${includeLine}:${includeColumn}: couldn't open "${nameText}": no such file`);
            lexFile(bytesToLatin1(found.bytes), found.path, depth + 1);
            continue;
          }
        }
        let matched = false;
        for (const [keyword, kind] of KEYWORDS) {
          if (text.startsWith(keyword, i)) {
            push(kind, i + keyword.length);
            if (kind === "dts-v1" || kind === "memreserve" || kind === "bits") state = State.V1;
            else if (kind === "delete-property" || kind === "delete-node" || kind === "omit-if-no-ref") state = State.PropNodeName;
            matched = true;
            break;
          }
        }
        if (matched) continue;
        if ((state === State.Initial || state === State.V1) && text.startsWith("/incbin/", i)) {
          push("incbin", i + 8);
          continue;
        }
      }

      // cpp line marker: `# 12 "file.dtsi" 2` at the start of a line.
      if (code === 0x23 /* # */ && (i === 0 || text.charCodeAt(i - 1) === 10)) {
        const marker = /^#(?:line)?[ \t]+([0-9]+)[ \t]+("(?:[^\\"]|\\.)*")(?:[ \t]+[0-9]+)*/y;
        marker.lastIndex = 0;
        const match = marker.exec(text.slice(i, Math.min(n, text.indexOf("\n", i) < 0 ? n : text.indexOf("\n", i))));
        if (match) {
          const fileBytes = unescapeString(match[2].slice(1, -1), (message) => error(message));
          advance(i + match[0].length);
          displayName = bytesToLatin1(fileBytes, 0, fileBytes.length - 1);
          line = parseInt(match[1], 10) - 1;
          continue;
        }
      }

      if (code === 0x22 /* " */) {
        const end = stringEnd(i);
        if (end > 0) {
          const bytes = unescapeString(text.slice(i + 1, end - 1), (message) => error(message));
          push("string", end, { bytes });
          continue;
        }
      }

      if (code === 0x27 /* ' */) {
        // dtc's pattern '([^']|\\')*' taken at its longest: a quote preceded by a backslash may be part of the literal.
        let last = -1;
        for (let j = i + 1; j < n; j++) {
          if (text.charCodeAt(j) === 0x27) {
            last = j;
            if (j - 1 === i || text.charCodeAt(j - 1) !== 0x5c) break;
          }
        }
        if (last > 0) {
          const startLine = line;
          const startColumn = column;
          const bytes = unescapeString(text.slice(i + 1, last), (message) => error(message, startLine, startColumn));
          let value = 0;
          if (bytes.length === 1) error("Empty character literal", startLine, startColumn);
          else {
            value = bytes[0];
            if (bytes.length > 2) error(`Character literal has ${bytes.length - 1} characters instead of 1`, startLine, startColumn);
          }
          push("char-literal", last + 1, { small: value });
          continue;
        }
      }

      if (code === 0x26 /* & */) {
        const next = text.charCodeAt(i + 1);
        if (next === 0x7b /* { */ && text.charCodeAt(i + 2) === 0x2f) {
          let j = i + 3;
          while (j < n && (isPropNodeChar(text.charCodeAt(j)) || text.charCodeAt(j) === 0x2f)) j++;
          if (text.charCodeAt(j) === 0x7d /* } */) {
            push("path-ref", j + 1, { text: text.slice(i + 2, j) });
            continue;
          }
        } else if (isLabelStart(next)) {
          let j = i + 2;
          while (j < n && isLabelChar(text.charCodeAt(j))) j++;
          push("label-ref", j, { text: text.slice(i + 1, j) });
          continue;
        }
      }

      // `label:` applies in every state and is always the longest candidate when it matches.
      // A run of label characters not followed by ':' rules out a label at every position inside
      // it too, so the run is scanned once (long identifiers in value context stay linear).
      if (isLabelStart(code) && i >= noLabelBefore) {
        let j = i + 1;
        while (j < n && isLabelChar(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a /* : */) {
          push("label", j + 1, { text: text.slice(i, j) });
          continue;
        }
        noLabelBefore = j;
      }

      if (state === State.PropNodeName) {
        const start = code === 0x5c && isPropNodeChar(text.charCodeAt(i + 1)) ? i + 1 : i;
        if (isPropNodeChar(text.charCodeAt(start))) {
          let j = start + 1;
          while (j < n && isPropNodeChar(text.charCodeAt(j))) j++;
          push("name", j, { text: text.slice(start, j) });
          state = State.V1;
          continue;
        }
      } else if (state === State.ByteString) {
        if (isHexDigit(code) && isHexDigit(text.charCodeAt(i + 1))) {
          const value = hexDigitValue(code) * 16 + hexDigitValue(text.charCodeAt(i + 1));
          // A lexical error in between (from a line marker) keeps its place before what follows.
          if (run && tokens[tokens.length - 1] === run.token && errors.length === run.errorCount) {
            run.data.appendByte(value);
            column += 2;
            i += 2;
            continue;
          }
          push("bytes", i + 2);
          run = { token: tokens[tokens.length - 1], data: new ByteBuffer(64), errorCount: errors.length };
          run.data.appendByte(value);
          runs.push(run);
          continue;
        }
        if (code === 0x5d /* ] */) {
          push("char", i + 1);
          state = State.V1;
          continue;
        }
      } else if (state === State.V1 && isDigit(code)) {
        let j = i + 1;
        let isHex = false;
        if (code === 0x30 && (text[i + 1] === "x" || text[i + 1] === "X") && isHexDigit(text.charCodeAt(i + 2))) {
          isHex = true;
          j = i + 3;
          while (j < n && isHexDigit(text.charCodeAt(j))) j++;
        } else {
          while (j < n && isDigit(text.charCodeAt(j))) j++;
        }
        const digitsEnd = j;
        for (const suffix of ["ULL", "UL", "LL", "U", "L"]) {
          if (text.startsWith(suffix, j)) {
            j += suffix.length;
            break;
          }
        }
        const literal = text.slice(i, j);
        const digits = text.slice(i, digitsEnd);
        // Most literals are cells: parse those as plain numbers and keep BigInt for wide ones.
        if (isHex && digits.length <= 10) {
          pushLiteral(j, parseInt(digits.slice(2), 16));
          continue;
        }
        if (!isHex && (digits === "0" || (digits[0] !== "0" && digits.length <= 9))) {
          pushLiteral(j, parseInt(digits, 10));
          continue;
        }
        let value: bigint;
        if (isHex) value = BigInt("0x" + digits.slice(2));
        else if (digits.length > 1 && digits[0] === "0") {
          const octal = /^[0-7]*/.exec(digits.slice(1))![0];
          value = octal ? BigInt("0o" + octal) : 0n;
          if (octal.length !== digits.length - 1) error(`Bad integer literal '${literal}'`);
        } else value = BigInt(digits);
        if (value > 0xffffffffffffffffn) {
          error(`Integer literal '${literal}' out of range`);
          value = 0xffffffffffffffffn;
        }
        push("literal", j, { value });
        continue;
      }

      if (isOperatorStart(code) && OPERATORS.has(text.slice(i, i + 2))) {
        push("op", i + 2);
        continue;
      }
      if (code === 0x5b /* [ */) state = State.ByteString;
      else if (code === 0x7b /* { */ || code === 0x3b /* ; */) state = State.PropNodeName;
      if (code === 0x28 /* ( */) parenDepth++;
      else if (code === 0x29 /* ) */) parenDepth = Math.max(0, parenDepth - 1);
      else if (code === 0x3c /* < */ && parenDepth === 0) cellBits = elementBitsBefore(tokens);
      else if (code === 0x3e /* > */ && parenDepth === 0) cellBits = 0;
      else if (code === 0x3b /* ; */ || code === 0x7b /* { */ || code === 0x7d /* } */ || code === 0x5b /* [ */) {
        cellBits = 0;
        parenDepth = 0;
      }
      push("char", i + 1, code < 128 ? { text: ASCII[code] } : undefined);
    }
  };

  lexFile(source, fileName, 0);
  for (const { token, data } of runs) token.bytes = data.view();
  const last = tokens[tokens.length - 1];
  tokens.push({ kind: "eof", text: "end of file", file: last?.file ?? fileName, line: last?.line ?? 1, column: last?.column ?? 1 });
  return { tokens, errors };
}
