/**
 * ELF64 executables for AArch64 (System V gABI "ELF-64 Object File Format" and the AArch64
 * ELF ABI, which assigns EM_AARCH64 = 183). Only what a boot loader needs: the entry point and
 * the PT_LOAD segments, placed at their physical addresses (p_paddr) as QEMU's load_elf does.
 */
import { LoadError } from "./errors.js";

const ELFCLASS64 = 2, ELFDATA2LSB = 1, EM_AARCH64 = 183, PT_LOAD = 1;
const EHDR_SIZE = 64, PHDR_SIZE = 56;

export interface ElfSegment {
  paddr: number;
  /** File bytes; the rest up to memSize is zero-filled (.bss). */
  data: Uint8Array;
  memSize: number;
}

export interface ElfImage {
  entry: number;
  segments: ElfSegment[];
  /** Lowest and one-past-highest physical address of all PT_LOAD segments. */
  lowAddr: number;
  highAddr: number;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LoadError(`ELF address 0x${v.toString(16)} is out of range`);
  return Number(v);
}

export function parseElf64(bytes: Uint8Array): ElfImage {
  if (!isElf(bytes)) throw new LoadError("not an ELF file (bad magic)");
  if (bytes.length < EHDR_SIZE) throw new LoadError(`truncated ELF file (${bytes.length} bytes, header needs ${EHDR_SIZE})`);
  if (bytes[4] !== ELFCLASS64) throw new LoadError(`not a 64-bit ELF file (class ${bytes[4]})`);
  if (bytes[5] !== ELFDATA2LSB) throw new LoadError("not a little-endian ELF file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(18, true);
  if (machine !== EM_AARCH64) throw new LoadError(`not an AArch64 ELF file (e_machine ${machine}, expected ${EM_AARCH64})`);
  const entry = u64(view, 24);
  const phoff = u64(view, 32);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phnum === 0) throw new LoadError("ELF file has no program headers");
  if (phentsize < PHDR_SIZE) throw new LoadError(`ELF program header size ${phentsize} is too small`);
  if (phoff + phnum * phentsize > bytes.length) throw new LoadError("truncated ELF file (program headers past the end)");
  const segments: ElfSegment[] = [];
  let lowAddr = Infinity, highAddr = 0;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = u64(view, ph + 8);
    const paddr = u64(view, ph + 24);
    const fileSize = u64(view, ph + 32);
    const memSize = u64(view, ph + 40);
    if (memSize === 0) continue;
    if (fileSize > memSize) throw new LoadError(`ELF segment ${i}: file size exceeds memory size`);
    if (offset + fileSize > bytes.length) throw new LoadError(`truncated ELF file (segment ${i} extends past the end)`);
    segments.push({ paddr, data: bytes.subarray(offset, offset + fileSize), memSize });
    lowAddr = Math.min(lowAddr, paddr);
    highAddr = Math.max(highAddr, paddr + memSize);
  }
  if (segments.length === 0) throw new LoadError("ELF file has no loadable segments");
  return { entry, segments, lowAddr, highAddr };
}
