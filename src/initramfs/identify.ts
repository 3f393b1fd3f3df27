/**
 * What an initrd file is, from its first bytes, so a wrong or damaged file is reported before
 * the guest boots rather than as a kernel panic minutes later. Linux accepts a newc cpio
 * archive, plain or compressed with any of its decompressors (lib/decompress.c:
 * compressed_formats), and the older ramdisk images (init/do_mounts_rd.c:
 * identify_ramdisk_image: ext2, romfs, cramfs, squashfs, minix).
 */
import { CpioFormatError, readNewc } from "./cpio.js";

export type InitrdKind = "cpio" | "gzip" | "bzip2" | "lzma" | "xz" | "lzo" | "lz4" | "zstd" | "ramdisk-image";

const COMPRESSED: [InitrdKind, number[]][] = [
  ["gzip", [0x1f, 0x8b]], ["gzip", [0x1f, 0x9e]], ["bzip2", [0x42, 0x5a, 0x68]], ["lzma", [0x5d, 0x00, 0x00]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], ["lzo", [0x89, 0x4c, 0x5a, 0x4f]], ["lz4", [0x02, 0x21, 0x4c, 0x18]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
];

function startsWith(b: Uint8Array, magic: number[], at = 0): boolean {
  return b.length >= at + magic.length && magic.every((m, i) => b[at + i] === m);
}

/** The kind of initrd, or undefined when it is none Linux would recognise. */
export function identifyInitrd(b: Uint8Array): InitrdKind | undefined {
  if (startsWith(b, [0x30, 0x37, 0x30, 0x37, 0x30]) && (b[5] === 0x31 || b[5] === 0x32)) return "cpio"; // "070701"/"070702"
  for (const [kind, magic] of COMPRESSED) if (startsWith(b, magic)) return kind;
  // Ramdisk images: romfs "-rom1fs-", cramfs at 0 or 512, squashfs "hsqs", ext2/minix superblock at 1024.
  if (startsWith(b, [0x2d, 0x72, 0x6f, 0x6d, 0x31, 0x66, 0x73, 0x2d])) return "ramdisk-image";
  if (startsWith(b, [0x45, 0x3d, 0xcd, 0x28]) || startsWith(b, [0x45, 0x3d, 0xcd, 0x28], 512)) return "ramdisk-image";
  if (startsWith(b, [0x68, 0x73, 0x71, 0x73])) return "ramdisk-image";
  if (startsWith(b, [0x53, 0xef], 1024 + 56)) return "ramdisk-image";
  return undefined;
}

/**
 * Check a cpio archive (already decompressed) as far as its first trailer; the kernel also
 * unpacks archives concatenated after it, which are not examined. Returns a problem or undefined.
 */
export function checkCpio(bytes: Uint8Array): string | undefined {
  try {
    const entries = readNewc(bytes);
    if (entries.length === 0) return "the cpio archive is empty";
    return undefined;
  } catch (e) {
    if (e instanceof CpioFormatError) return e.message;
    throw e;
  }
}
