/**
 * Where a direct kernel boot puts things, following QEMU's hw/arm/boot.c
 * (arm_setup_direct_kernel_boot, load_aarch64_image, arm_load_dtb):
 *  - ELF: segments at their physical addresses, entry = e_entry, all registers zero. The DTB
 *    goes at the start of RAM when the image leaves room below it (or lies outside RAM);
 *    ELF images are not Linux, so no initrd is loaded.
 *  - arm64 Image: at RAM base + text_offset, moved up 2 MiB when text_offset is below the
 *    boot stub area (4 KiB); raw binaries (no magic) at RAM base + 0x80000. Both are booted as
 *    Linux: x0 = DTB address, x1-x3 = 0 (booting.rst).
 *  - initrd at RAM base + min(RAM/2, 128 MiB), but not below the end of the kernel, page aligned;
 *    the DTB after it, 2 MiB aligned (early arm64 kernels map the FDT in a 2 MiB block).
 */
import { isElf, parseElf64 } from "./elf.js";
import { LoadError } from "./errors.js";
import { checkImageMagic, hasArm64Magic, parseArm64Header } from "./image.js";

const MiB = 1024 * 1024;
/** hw/arm/boot.c: KERNEL64_LOAD_ADDR and BOOTLOADER_MAX_SIZE. */
const KERNEL64_LOAD_OFFSET = 0x80000;
const BOOT_STUB_SIZE = 4096;
const PAGE = 4096;

export interface BootLoad {
  addr: number;
  data: Uint8Array;
  /** Zero bytes after `data` (ELF .bss). */
  zeroFill: number;
}

export interface BootPlan {
  isLinux: boolean;
  entry: number;
  loads: BootLoad[];
  initrd?: { start: number; end: number };
  /** Where the DTB goes, and the highest address it may reach (undefined: no DTB is loaded). */
  dtbAddr?: number;
  dtbLimit?: number;
}

export interface BootInputs {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  ramBase: number;
  ramSize: number;
}

function alignUp(v: number, a: number): number { return Math.ceil(v / a) * a; }

export function planBoot(inp: BootInputs): BootPlan {
  const { kernel, ramBase, ramSize } = inp;
  const ramEnd = ramBase + ramSize;
  if (kernel.length === 0) throw new LoadError("kernel file is empty");
  if (isElf(kernel)) {
    const elf = parseElf64(kernel);
    for (const s of elf.segments) {
      if (s.paddr < ramBase || s.paddr + s.memSize > ramEnd) {
        throw new LoadError(`ELF segment at 0x${s.paddr.toString(16)}-0x${(s.paddr + s.memSize).toString(16)} is outside RAM ` +
          `(0x${ramBase.toString(16)}-0x${ramEnd.toString(16)})`);
      }
    }
    const plan: BootPlan = {
      isLinux: false, entry: elf.entry,
      loads: elf.segments.map((s) => ({ addr: s.paddr, data: s.data, zeroFill: s.memSize - s.data.length })),
    };
    if (elf.lowAddr > ramBase || elf.highAddr < ramBase) {
      plan.dtbAddr = ramBase;
      plan.dtbLimit = elf.lowAddr < ramBase ? ramEnd : Math.min(elf.lowAddr, ramEnd);
    }
    return plan;
  }

  checkImageMagic(kernel);
  let loadOffset = KERNEL64_LOAD_OFFSET;
  let kernelExtent = kernel.length;
  if (hasArm64Magic(kernel)) {
    const h = parseArm64Header(kernel);
    if (h.imageSize !== 0) {
      loadOffset = h.textOffset;
      if (loadOffset < BOOT_STUB_SIZE) loadOffset += 2 * MiB;
      kernelExtent = Math.max(kernelExtent, h.imageSize);
    }
  }
  const entry = ramBase + loadOffset;
  if (entry + kernel.length > ramEnd) {
    throw new LoadError(`kernel (${kernel.length} bytes at 0x${entry.toString(16)}) does not fit in RAM (${ramSize / MiB} MiB)`);
  }
  const plan: BootPlan = { isLinux: true, entry, loads: [{ addr: entry, data: kernel, zeroFill: 0 }] };
  const initrdStart = alignUp(Math.max(ramBase + Math.min(ramSize / 2, 128 * MiB), entry + kernelExtent), PAGE);
  const initrdSize = inp.initrd?.length ?? 0;
  if (inp.initrd) {
    if (initrdStart + initrdSize > ramEnd) {
      throw new LoadError(`initrd (${initrdSize} bytes at 0x${initrdStart.toString(16)}) does not fit in RAM`);
    }
    plan.loads.push({ addr: initrdStart, data: inp.initrd, zeroFill: 0 });
    plan.initrd = { start: initrdStart, end: initrdStart + initrdSize };
  }
  plan.dtbAddr = alignUp(initrdStart + initrdSize, 2 * MiB);
  plan.dtbLimit = ramEnd;
  if (plan.dtbAddr >= ramEnd) throw new LoadError("no room in RAM for the device tree after the kernel and initrd");
  return plan;
}
