/**
 * Value helpers for building properties (the encodings of Devicetree Specification v0.4 §2.2.4).
 * Each helper returns a DtValue whose markers record the type, so a tree built in code prints
 * back as readable DTS (`<0x01>`, `"text"`) rather than as raw bytes.
 */

import { ByteBuffer, textEncoder } from "./bytes.js";
import { DtValue, MarkerKind, type Marker } from "./model.js";

function u32Checked(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${value} is not a u32 cell value`);
  return value;
}

/** `<a b c>`: 32-bit big-endian cells. */
export function u32cells(...cells: number[]): DtValue {
  const buffer = new ByteBuffer(cells.length * 4);
  for (const cell of cells) buffer.appendU32(u32Checked(cell));
  return new DtValue(buffer.toBytes(), [{ offset: 0, kind: MarkerKind.Uint32 }]);
}

/** Shorthand for a single cell, e.g. `#address-cells`. */
export function u32(value: number): DtValue {
  return u32cells(value);
}

/** Each value as two cells, high word first (`<hi lo>`), the usual form of 64-bit `reg` parts. */
export function u64cells(...values: (bigint | number)[]): DtValue {
  const buffer = new ByteBuffer(values.length * 8);
  for (const value of values) buffer.appendU64(BigInt.asUintN(64, BigInt(value)));
  return new DtValue(buffer.toBytes(), [{ offset: 0, kind: MarkerKind.Uint32 }]);
}

/** `/bits/ 64 <v ...>`: printed as 64-bit elements but stored exactly like u64cells. */
export function u64bits(...values: (bigint | number)[]): DtValue {
  const buffer = new ByteBuffer(values.length * 8);
  for (const value of values) buffer.appendU64(BigInt.asUintN(64, BigInt(value)));
  return new DtValue(buffer.toBytes(), [{ offset: 0, kind: MarkerKind.Uint64 }]);
}

/**
 * `reg`-style (address, size) pairs encoded with the given cell counts (Devicetree Specification §2.3.6),
 * e.g. `regPairs(2, 2, [0x4000_0000n, 0x8000_0000n])`.
 */
export function regPairs(addressCells: number, sizeCells: number, ...pairs: [bigint | number, bigint | number][]): DtValue {
  const cells: number[] = [];
  for (const [address, size] of pairs) {
    cells.push(...splitCells(BigInt(address), addressCells), ...splitCells(BigInt(size), sizeCells));
  }
  return u32cells(...cells);
}

/** Split a value into `count` 32-bit cells, most significant first. */
export function splitCells(value: bigint, count: number): number[] {
  const cells: number[] = [];
  for (let i = count - 1; i >= 0; i--) cells.push(Number((value >> BigInt(32 * i)) & 0xffffffffn));
  if (count < 2 && value >> BigInt(32 * count) !== 0n) throw new RangeError(`0x${value.toString(16)} does not fit in ${count} cell(s)`);
  return cells;
}

/** One NUL-terminated string. */
export function str(value: string): DtValue {
  return strings(value);
}

/** A string list, e.g. `compatible = "arm,pl011", "arm,primecell"`. */
export function strings(...values: string[]): DtValue {
  const buffer = new ByteBuffer();
  const markers: Marker[] = [];
  for (const value of values) {
    markers.push({ offset: buffer.length, kind: MarkerKind.String });
    buffer.appendBytes(textEncoder.encode(value));
    buffer.appendByte(0);
  }
  return new DtValue(buffer.toBytes(), markers);
}

/** `[de ad be ef]`: raw bytes. */
export function bytes(...values: number[] | [Uint8Array]): DtValue {
  const data = values[0] instanceof Uint8Array ? values[0] : Uint8Array.from(values as number[]);
  return new DtValue(data.slice(), [{ offset: 0, kind: MarkerKind.Uint8 }]);
}

/** An empty (boolean) property such as `interrupt-controller;`. */
export function empty(): DtValue {
  return DtValue.empty();
}

/** `<&node>`-style single phandle cell; pass the number from DeviceTree.phandleOf(). */
export function phandle(value: number): DtValue {
  return u32cells(value);
}

/** Concatenate values (`a, b` in DTS), keeping each part's markers. */
export function concat(...parts: DtValue[]): DtValue {
  const buffer = new ByteBuffer();
  const markers: Marker[] = [];
  for (const part of parts) {
    for (const marker of part.markers) markers.push({ ...marker, offset: marker.offset + buffer.length });
    buffer.appendBytes(part.bytes);
  }
  return new DtValue(buffer.toBytes(), markers);
}
