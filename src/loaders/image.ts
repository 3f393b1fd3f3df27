/**
 * The arm64 Linux kernel Image (Linux Documentation/arch/arm64/booting.rst, "Call the kernel
 * image"): a 64-byte header with text_offset at 8, image_size at 16 and the magic "ARM\x64" at
 * 0x38. Files without the magic are raw binaries, which QEMU also boots as Linux.
 */
import { LoadError } from "./errors.js";

export const ARM64_MAGIC_OFFSET = 0x38;
const MAGIC = [0x41, 0x52, 0x4d, 0x64]; // "ARM\x64"

export interface Arm64ImageHeader {
  textOffset: number;
  imageSize: number;
}

export function hasArm64Magic(bytes: Uint8Array): boolean {
  if (bytes.length < ARM64_MAGIC_OFFSET + 4) return false;
  return MAGIC.every((b, i) => bytes[ARM64_MAGIC_OFFSET + i] === b);
}

/**
 * Reject files that are clearly meant to be an Image but are damaged: a PE/EFI stub ("MZ") or
 * an "ARM" magic with the wrong last byte. Anything else without the magic is a raw binary.
 */
export function checkImageMagic(bytes: Uint8Array): void {
  if (hasArm64Magic(bytes)) return;
  const looksLikePe = bytes.length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a;
  const partialMagic = bytes.length >= ARM64_MAGIC_OFFSET + 3 &&
    bytes[ARM64_MAGIC_OFFSET] === 0x41 && bytes[ARM64_MAGIC_OFFSET + 1] === 0x52 && bytes[ARM64_MAGIC_OFFSET + 2] === 0x4d;
  if (looksLikePe || partialMagic) throw new LoadError('arm64 Image has a bad magic (expected "ARM\\x64" at offset 0x38)');
}

export function parseArm64Header(bytes: Uint8Array): Arm64ImageHeader {
  if (bytes.length < 64) throw new LoadError(`truncated arm64 Image (${bytes.length} bytes)`);
  if (!hasArm64Magic(bytes)) throw new LoadError('arm64 Image has a bad magic (expected "ARM\\x64" at offset 0x38)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const textOffset = Number(view.getBigUint64(8, true));
  const imageSize = Number(view.getBigUint64(16, true));
  return { textOffset, imageSize };
}
