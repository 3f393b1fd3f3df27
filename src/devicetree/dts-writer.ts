/**
 * DTS output in dtc's exact format (dtc 1.6 treesource.c behaviour), so that
 * `tessera dtc -I dtb -O dts` prints the same text as `dtc -I dtb -O dts`.
 *
 * Rules reproduced:
 *  - values that carry type markers (from DTS input) print in their written form;
 *  - values without markers (from a DTB) are guessed: a string list when every byte is
 *    printable or NUL, the last byte is NUL and NULs are at most half the bytes; else
 *    32-bit cells when the length is a multiple of 4; else bytes;
 *  - cells print as `0x%02x`, bytes as `%02x`, memreserve as `0x%016llx`.
 */

import { markerHasType, MarkerKind, type DeviceTree, type DtNode, type DtProperty, type Marker, liveLabels } from "./model.js";

/** C isprint() in the "C" locale. */
function isPrintable(byte: number): boolean {
  return byte >= 0x20 && byte < 0x7f;
}

/** Bytes allowed in a value printed as a string: printable, NUL, or \a \b \t \n \v \f \r. */
function isStringByte(byte: number): boolean {
  return isPrintable(byte) || byte === 0 || (byte >= 7 && byte <= 13);
}

/**
 * Output is produced in pieces of about this many characters, never as one string per value or
 * per tree: a 50 MB property prints as ~140 MB of text, which a caller can then write out piece
 * by piece instead of holding it (and the arrays that built it) whole.
 */
const PIECE_CHARS = 1 << 16;

const HEX_DIGIT = Uint8Array.from("0123456789abcdef", (ch) => ch.charCodeAt(0));

/**
 * Value text is pure ASCII (digits, "0x", spaces, printable or escaped string bytes), so it is
 * written as character codes into a buffer and decoded once per piece: formatting and
 * concatenating a small string per element cost most of the time for large values.
 */
class AsciiPiece {
  private readonly buffer = new Uint8Array(PIECE_CHARS + 64);
  length = 0;
  private static readonly decoder = new TextDecoder();

  get full(): boolean {
    return this.length >= PIECE_CHARS;
  }

  byte(code: number): void {
    this.buffer[this.length++] = code;
  }

  bytes(source: Uint8Array, start: number, end: number): void {
    this.buffer.set(source.subarray(start, end), this.length);
    this.length += end - start;
  }

  text(ascii: string): void {
    for (let i = 0; i < ascii.length; i++) this.buffer[this.length++] = ascii.charCodeAt(i);
  }

  /** printf("%0Nx") with N = `minDigits`, for a 32-bit value. */
  hex(value: number, minDigits: number): void {
    let digits = 8;
    while (digits > minDigits && (value >>> ((digits - 1) * 4)) === 0) digits--;
    for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) this.buffer[this.length++] = HEX_DIGIT[(value >>> shift) & 15];
  }

  /** printf("0x%02x"). */
  cell(value: number): void {
    this.buffer[this.length++] = 0x30;
    this.buffer[this.length++] = 0x78;
    this.hex(value, 2);
  }

  /** The piece so far as a string; the buffer starts over. */
  take(): string {
    const text = AsciiPiece.decoder.decode(this.buffer.subarray(0, this.length));
    this.length = 0;
    return text;
  }
}

function guessType(property: DtProperty): MarkerKind {
  const value = property.value;
  const length = value.length;
  let notString = 0;
  let nuls = 0;
  for (let i = 0; i < length; i++) {
    const byte = value[i];
    if (!isStringByte(byte)) notString++;
    if (byte === 0) nuls++;
  }
  let labelsOffString = 0;
  let labelsOffCell = 0;
  for (const marker of property.markers) {
    if (marker.kind !== MarkerKind.Label) continue;
    if (marker.offset > 0 && value[marker.offset - 1] !== 0) labelsOffString++;
    if (marker.offset % 4 !== 0) labelsOffCell++;
  }
  if (value[length - 1] === 0 && notString === 0 && nuls <= length - nuls && labelsOffString === 0) return MarkerKind.String;
  if (length % 4 === 0 && labelsOffCell === 0) return MarkerKind.Uint32;
  return MarkerKind.Uint8;
}

/** Bytes that print as themselves inside a DTS string: printable, but not `\` or `"`. */
function isPlainStringByte(byte: number): boolean {
  return isPrintable(byte) && byte !== 0x5c && byte !== 0x22;
}

const STRING_ESCAPES: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 0x5c: "\\\\", 0x22: '\\"', 0: "\\0" };

/** A string chunk as dtc prints it, quotes included; the chunk's final NUL is implied by them. */
function* stringPieces(value: Uint8Array, start: number, length: number): Generator<string> {
  if (length === 0) return;
  const end = start + length - 1;
  const out = new AsciiPiece();
  out.byte(0x22);
  for (let i = start; i < end; ) {
    const byte = value[i];
    if (isPlainStringByte(byte)) {
      // A run of plain bytes is copied as it is.
      let j = i + 1;
      while (j < end && j - i < PIECE_CHARS && isPlainStringByte(value[j])) j++;
      if (out.length + (j - i) > PIECE_CHARS) yield out.take();
      out.bytes(value, i, j);
      i = j;
    } else {
      const escape = STRING_ESCAPES[byte];
      if (escape !== undefined) out.text(escape);
      else {
        // dtc passes a signed char to printf, so bytes >= 0x80 come out sign-extended (\xffffffc3).
        out.text(byte >= 0x80 ? "\\xffffff" : "\\x");
        out.hex(byte, 2);
      }
      i++;
    }
    if (out.full) yield out.take();
  }
  out.byte(0x22);
  yield out.take();
}

/** Elements of `width` bytes separated by spaces, as %02x (bytes) or 0x%02x (cells). */
function* integerPieces(value: Uint8Array, start: number, length: number, width: number): Generator<string> {
  const end = start + length;
  const out = new AsciiPiece();
  for (let offset = start; offset + width <= end; offset += width) {
    if (offset !== start) out.byte(0x20);
    switch (width) {
      case 1:
        out.hex(value[offset], 2);
        break;
      case 2:
        out.cell((value[offset] << 8) | value[offset + 1]);
        break;
      case 4:
        out.cell(((value[offset] << 24) | (value[offset + 1] << 16) | (value[offset + 2] << 8) | value[offset + 3]) >>> 0);
        break;
      default: {
        const high = ((value[offset] << 24) | (value[offset + 1] << 16) | (value[offset + 2] << 8) | value[offset + 3]) >>> 0;
        const low = ((value[offset + 4] << 24) | (value[offset + 5] << 16) | (value[offset + 6] << 8) | value[offset + 7]) >>> 0;
        // printf("0x%02llx"): the high word without padding, then all eight digits of the low one.
        if (high === 0) out.cell(low);
        else {
          out.text("0x");
          out.hex(high, 1);
          out.hex(low, 8);
        }
      }
    }
    if (out.full) yield out.take();
  }
  if (out.length) yield out.take();
}

const delimiterStart: Partial<Record<MarkerKind, string>> = {
  [MarkerKind.Uint8]: "[",
  [MarkerKind.Uint16]: "/bits/ 16 <",
  [MarkerKind.Uint32]: "<",
  [MarkerKind.Uint64]: "/bits/ 64 <",
  [MarkerKind.String]: "",
};
const delimiterEnd: Partial<Record<MarkerKind, string>> = {
  [MarkerKind.Uint8]: "]",
  [MarkerKind.Uint16]: ">",
  [MarkerKind.Uint32]: ">",
  [MarkerKind.Uint64]: ">",
  [MarkerKind.String]: "",
};

function nextTypedMarker(markers: Marker[], from: number): Marker | undefined {
  for (let i = from; i < markers.length; i++) if (markerHasType(markers[i])) return markers[i];
  return undefined;
}

/** The text after the property name: ";" for an empty value, else " = ...;". */
export function propertyValueText(property: DtProperty): string {
  let text = "";
  for (const piece of propertyValuePieces(property)) text += piece;
  return text;
}

/** propertyValueText in pieces of bounded size, for values too large to print as one string. */
export function* propertyValuePieces(property: DtProperty): Generator<string> {
  const value = property.value;
  const length = value.length;
  if (length === 0) {
    yield ";";
    return;
  }
  let markers = property.markers;
  if (!nextTypedMarker(markers, 0)) {
    // No type information (a DTB input): guess one for the whole value.
    markers = [{ offset: 0, kind: guessType(property) }, ...markers];
  }
  let text = " =";
  let emitType = MarkerKind.None;
  for (let index = 0; index < markers.length; index++) {
    const marker = markers[index];
    const next = markers[index + 1];
    const chunkLength = (next ? next.offset : length) - marker.offset;
    const nextTyped = nextTypedMarker(markers, index + 1);
    const typedLength = nextTyped ? nextTyped.offset - marker.offset : 0;
    const dataLength = typedLength || length - marker.offset;
    if (markerHasType(marker)) {
      emitType = marker.kind;
      text += " " + delimiterStart[emitType];
    } else if (marker.kind === MarkerKind.Label) {
      text += " " + marker.ref + ":";
    } else if (marker.offset) {
      text += " ";
    }
    if (emitType === MarkerKind.None) continue;
    const pieces =
      emitType === MarkerKind.Uint16 ? integerPieces(value, marker.offset, chunkLength, 2)
      : emitType === MarkerKind.Uint32 ? integerPieces(value, marker.offset, chunkLength, 4)
      : emitType === MarkerKind.Uint64 ? integerPieces(value, marker.offset, chunkLength, 8)
      : emitType === MarkerKind.String ? stringPieces(value, marker.offset, chunkLength)
      : integerPieces(value, marker.offset, chunkLength, 1);
    for (const piece of pieces) {
      text += piece;
      if (text.length >= PIECE_CHARS) {
        yield text;
        text = "";
      }
    }
    if (chunkLength === dataLength) {
      const end = marker.offset + chunkLength;
      text += (delimiterEnd[emitType] ?? "") + (end === length ? "" : ",");
      emitType = MarkerKind.None;
    }
  }
  yield text + ";";
}

function* nodePieces(node: DtNode, depth: number): Generator<string> {
  const indent = "\t".repeat(depth);
  let line = indent;
  for (const label of liveLabels(node.labels)) line += label + ": ";
  line += node.name ? node.name + " {\n" : "/ {\n";
  yield line;
  const propertyIndent = indent + "\t";
  for (const property of node.properties) {
    if (property.deleted) continue;
    let text = propertyIndent;
    for (const label of liveLabels(property.labels)) text += label + ": ";
    yield text + property.name;
    yield* propertyValuePieces(property);
    yield "\n";
  }
  for (const child of node.children) {
    if (child.deleted) continue;
    yield "\n";
    yield* nodePieces(child, depth + 1);
  }
  yield indent + "};\n";
}

function hex16(value: bigint): string {
  return "0x" + BigInt.asUintN(64, value).toString(16).padStart(16, "0");
}

/**
 * The whole tree as DTS text, identical to `dtc -O dts`, in pieces of roughly PIECE_CHARS
 * characters (Latin-1: one character per byte) that concatenate to treeToDts's result. A
 * writer can send each piece on as it comes, so output never has to be held whole.
 */
export function* dtsPieces(tree: DeviceTree): Generator<string> {
  let pending = "/dts-v1/;\n\n";
  for (const reservation of tree.reservations) {
    let line = "";
    for (const label of liveLabels(reservation.labels)) line += label + ": ";
    pending += line + `/memreserve/\t${hex16(reservation.address)} ${hex16(reservation.size)};\n`;
  }
  // Small pieces (a line, part of a line) are gathered so a consumer sees few, large ones.
  for (const piece of nodePieces(tree.root, 0)) {
    pending += piece;
    if (pending.length >= PIECE_CHARS) {
      yield pending;
      pending = "";
    }
  }
  if (pending) yield pending;
}

/** The whole tree as DTS text, identical to `dtc -O dts`. */
export function treeToDts(tree: DeviceTree): string {
  const pieces: string[] = [];
  for (const piece of dtsPieces(tree)) pieces.push(piece);
  return pieces.join("");
}
