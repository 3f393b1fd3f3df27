/**
 * Minimal ELF64 (little-endian, EM_AARCH64) writer: one PT_LOAD segment
 * holding a flat image, enough for QEMU's and Tessera's -kernel loaders.
 */

const EM_AARCH64 = 183;
const PT_LOAD = 1;
const PF_RWX = 7;
const SEGMENT_OFFSET = 0x1000;

export function makeElf(image: Uint8Array, loadAddress: bigint, entry: bigint = loadAddress): Buffer {
  const buf = Buffer.alloc(SEGMENT_OFFSET + image.length);
  // e_ident
  buf.write("\x7fELF", 0, "latin1");
  buf[4] = 2; // ELFCLASS64
  buf[5] = 1; // ELFDATA2LSB
  buf[6] = 1; // EV_CURRENT
  buf[7] = 0; // ELFOSABI_NONE
  buf.writeUInt16LE(2, 16); // e_type = ET_EXEC
  buf.writeUInt16LE(EM_AARCH64, 18);
  buf.writeUInt32LE(1, 20); // e_version
  buf.writeBigUInt64LE(entry, 24); // e_entry
  buf.writeBigUInt64LE(64n, 32); // e_phoff
  buf.writeBigUInt64LE(0n, 40); // e_shoff: no section headers
  buf.writeUInt32LE(0, 48); // e_flags
  buf.writeUInt16LE(64, 52); // e_ehsize
  buf.writeUInt16LE(56, 54); // e_phentsize
  buf.writeUInt16LE(1, 56); // e_phnum
  buf.writeUInt16LE(64, 58); // e_shentsize
  buf.writeUInt16LE(0, 60); // e_shnum
  buf.writeUInt16LE(0, 62); // e_shstrndx
  // Program header
  const ph = 64;
  buf.writeUInt32LE(PT_LOAD, ph);
  buf.writeUInt32LE(PF_RWX, ph + 4);
  buf.writeBigUInt64LE(BigInt(SEGMENT_OFFSET), ph + 8); // p_offset
  buf.writeBigUInt64LE(loadAddress, ph + 16); // p_vaddr
  buf.writeBigUInt64LE(loadAddress, ph + 24); // p_paddr
  buf.writeBigUInt64LE(BigInt(image.length), ph + 32); // p_filesz
  buf.writeBigUInt64LE(BigInt(image.length), ph + 40); // p_memsz
  buf.writeBigUInt64LE(0x1000n, ph + 48); // p_align
  buf.set(image, SEGMENT_OFFSET);
  return buf;
}
