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

const hexDigits = "0123456789abcdef";
function hex2(byte: number): string {
  return hexDigits[byte >> 4] + hexDigits[byte & 15];
}

/** printf("0x%02x") for a 32-bit value. */
function cellText(value: number): string {
  const digits = value.toString(16);
  return digits.length < 2 ? "0x0" + digits : "0x" + digits;
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

function stringText(value: Uint8Array, start: number, length: number): string {
  if (length === 0) return "";
  // The chunk ends with the string's NUL, which is implied by the quotes.
  const end = start + length - 1;
  let text = '"';
  for (let i = start; i < end; i++) {
    const byte = value[i];
    switch (byte) {
      case 7: text += "\\a"; break;
      case 8: text += "\\b"; break;
      case 9: text += "\\t"; break;
      case 10: text += "\\n"; break;
      case 11: text += "\\v"; break;
      case 12: text += "\\f"; break;
      case 13: text += "\\r"; break;
      case 0x5c: text += "\\\\"; break;
      case 0x22: text += '\\"'; break;
      case 0: text += "\\0"; break;
      default:
        // dtc passes a signed char to printf, so bytes >= 0x80 come out sign-extended (\xffffffc3).
        text += isPrintable(byte) ? String.fromCharCode(byte) : byte >= 0x80 ? "\\xffffff" + hex2(byte) : "\\x" + hex2(byte);
    }
  }
  return text + '"';
}

function integersText(value: Uint8Array, start: number, length: number, width: number): string {
  const parts: string[] = [];
  const end = start + length;
  for (let offset = start; offset + width <= end; offset += width) {
    switch (width) {
      case 1:
        parts.push(hex2(value[offset]));
        break;
      case 2:
        parts.push(cellText((value[offset] << 8) | value[offset + 1]));
        break;
      case 4:
        parts.push(cellText(((value[offset] << 24) | (value[offset + 1] << 16) | (value[offset + 2] << 8) | value[offset + 3]) >>> 0));
        break;
      default: {
        const high = ((value[offset] << 24) | (value[offset + 1] << 16) | (value[offset + 2] << 8) | value[offset + 3]) >>> 0;
        const low = ((value[offset + 4] << 24) | (value[offset + 5] << 16) | (value[offset + 6] << 8) | value[offset + 7]) >>> 0;
        parts.push(high === 0 ? cellText(low) : "0x" + high.toString(16) + low.toString(16).padStart(8, "0"));
      }
    }
  }
  return parts.join(" ");
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
  const value = property.value;
  const length = value.length;
  if (length === 0) return ";";
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
    switch (emitType) {
      case MarkerKind.Uint16:
        text += integersText(value, marker.offset, chunkLength, 2);
        break;
      case MarkerKind.Uint32:
        text += integersText(value, marker.offset, chunkLength, 4);
        break;
      case MarkerKind.Uint64:
        text += integersText(value, marker.offset, chunkLength, 8);
        break;
      case MarkerKind.String:
        text += stringText(value, marker.offset, chunkLength);
        break;
      default:
        text += integersText(value, marker.offset, chunkLength, 1);
    }
    if (chunkLength === dataLength) {
      const end = marker.offset + chunkLength;
      text += (delimiterEnd[emitType] ?? "") + (end === length ? "" : ",");
      emitType = MarkerKind.None;
    }
  }
  return text + ";";
}

function writeNode(node: DtNode, depth: number, out: string[]): void {
  const indent = "\t".repeat(depth);
  let line = indent;
  for (const label of liveLabels(node.labels)) line += label + ": ";
  line += node.name ? node.name + " {\n" : "/ {\n";
  out.push(line);
  const propertyIndent = indent + "\t";
  for (const property of node.properties) {
    if (property.deleted) continue;
    let text = propertyIndent;
    for (const label of liveLabels(property.labels)) text += label + ": ";
    out.push(text + property.name + propertyValueText(property) + "\n");
  }
  for (const child of node.children) {
    if (child.deleted) continue;
    out.push("\n");
    writeNode(child, depth + 1, out);
  }
  out.push(indent + "};\n");
}

function hex16(value: bigint): string {
  return "0x" + BigInt.asUintN(64, value).toString(16).padStart(16, "0");
}

/** The whole tree as DTS text, identical to `dtc -O dts`. */
export function treeToDts(tree: DeviceTree): string {
  const out: string[] = ["/dts-v1/;\n\n"];
  for (const reservation of tree.reservations) {
    let line = "";
    for (const label of liveLabels(reservation.labels)) line += label + ": ";
    out.push(line + `/memreserve/\t${hex16(reservation.address)} ${hex16(reservation.size)};\n`);
  }
  writeNode(tree.root, 0, out);
  return out.join("");
}
