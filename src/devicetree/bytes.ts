/**
 * Byte helpers shared by the FDT codec, the DTS parser and the value helpers.
 *
 * The flattened device tree format stores every integer big-endian
 * (Devicetree Specification v0.4 §5.1), so all readers and writers here are big-endian.
 * Platform-neutral on purpose: Uint8Array / DataView only, no Node built-ins.
 */

export const textEncoder = new TextEncoder();
/** Latin-1 style decoding keeps every byte value distinct, which the DTS printer relies on. */
export function bytesToLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  // fromCharCode takes its bytes as call arguments, so at most a chunk at a time; joining the
  // pieces once makes one flat string instead of a chain of concatenations to flatten later.
  const chunk = 32768;
  if (end - start <= chunk) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  const pieces: string[] = [];
  for (let offset = start; offset < end; offset += chunk) {
    pieces.push(String.fromCharCode.apply(null, bytes.subarray(offset, Math.min(end, offset + chunk)) as unknown as number[]));
  }
  return pieces.join("");
}

/** Property names, node names and strings in DTS are byte strings; each UTF-16 unit below 256 maps to one byte. */
export function latin1ToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

export function readU64(bytes: Uint8Array, offset: number): bigint {
  return (BigInt(readU32(bytes, offset)) << 32n) | BigInt(readU32(bytes, offset + 4));
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

/** A growable byte buffer: the FDT encoder and the DTS parser append to it piece by piece. */
export class ByteBuffer {
  private storage: Uint8Array;
  length = 0;

  constructor(initialCapacity = 256) {
    this.storage = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.storage.length) return;
    let capacity = this.storage.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.storage.subarray(0, this.length));
    this.storage = grown;
  }

  appendByte(value: number): void {
    this.reserve(1);
    this.storage[this.length++] = value;
  }

  appendBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.storage.set(bytes, this.length);
    this.length += bytes.length;
  }

  appendU16(value: number): void {
    this.reserve(2);
    this.storage[this.length++] = value >>> 8;
    this.storage[this.length++] = value;
  }

  appendU32(value: number): void {
    this.reserve(4);
    writeU32(this.storage, this.length, value);
    this.length += 4;
  }

  appendU64(value: bigint): void {
    this.appendU32(Number((value >> 32n) & 0xffffffffn));
    this.appendU32(Number(value & 0xffffffffn));
  }

  appendZeroes(count: number): void {
    this.reserve(count);
    this.storage.fill(0, this.length, this.length + count);
    this.length += count;
  }

  alignTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    if (padding) this.appendZeroes(padding);
  }

  /** Overwrite 4 bytes already written, e.g. a header field known only at the end. */
  patchU32(offset: number, value: number): void {
    writeU32(this.storage, offset, value);
  }

  /** Insert bytes in the middle; used when a path reference is expanded in place. */
  insertAt(offset: number, bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.storage.copyWithin(offset + bytes.length, offset, this.length);
    this.storage.set(bytes, offset);
    this.length += bytes.length;
  }

  /** Forget the contents but keep the storage, so one buffer can serve many short values. */
  clear(): void {
    this.length = 0;
  }

  toBytes(): Uint8Array {
    return this.storage.slice(0, this.length);
  }

  /**
   * The contents without a copy, for a buffer that is finished with (an append may move the
   * storage, and clear() reuses it): a large value then costs its storage once, not twice.
   */
  view(): Uint8Array {
    return this.storage.subarray(0, this.length);
  }
}
