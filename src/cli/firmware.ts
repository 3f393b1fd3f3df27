/**
 * The host side of firmware boots: the flash banks' files (-bios, -drive if=pflash) and the
 * files of -device loader and -device guest-loader, read here and handed to the board as bytes
 * with write-back callbacks, and what they put in memory once the board is made.
 *
 * As QEMU 7.2:
 *   - -bios FILE is copied into flash bank 0 (hw/arm/virt.c virt_firmware_init, load_image_mr):
 *     the bank stays writable, its writes are not kept. A missing file is "Could not find ROM
 *     image", one larger than the bank "Could not load ROM image".
 *   - A -drive if=pflash backs a bank with its file, which must be the bank's size exactly
 *     (blk_check_size_and_read_all); the guest's program and erase cycles are written back to
 *     it unless readonly=on, which makes the bank refuse them (pflash_cfi01 ro).
 *   - -device loader loads an ELF at its segments' addresses with the entry as the PC of
 *     cpu-num, anything else raw at addr (the uImage and Intel HEX formats QEMU also tries are
 *     not recognized and load raw); data= writes its value; cpu-num alone sets the PC.
 *   - -device guest-loader loads its file raw at addr and describes it in /chosen/module@.
 *   - ROM blobs must not overlap ("Some ROM regions are overlapping", rom_check_and_register_reset).
 */
import { closeSync, existsSync, fstatSync, openSync, writeSync } from "node:fs";
import type { DtModule } from "../boards/virt/fdt.js";
import { VIRT } from "../boards/virt/memory-map.js";
import type { FlashBacking } from "../boards/virt/virt-devices.js";
import type { VirtBoard } from "../boards/virt/virt.js";
import { isElf, parseElf64 } from "../loaders/elf.js";
import { UsageError, type RunArgs } from "./args.js";
import type { PflashArg } from "./device-args.js";
import { describeFsError, readInputFile } from "./host-files.js";

const BANK = VIRT.FLASH_BANK_SIZE;

function readFlashFile(p: PflashArg, unit: number): FlashBacking {
  const opt = `-drive if=pflash,file=${p.file}`;
  let fd: number;
  try {
    fd = openSync(p.file, p.readOnly ? "r" : "r+");
  } catch (e) {
    throw new UsageError(`${opt}: Could not open '${p.file}': ${describeFsError(e)}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) { closeSync(fd); throw new UsageError(`${opt}: '${p.file}' is not a regular file`); }
  if (st.size !== BANK) {
    closeSync(fd);
    throw new UsageError(`${opt}: device requires ${BANK} bytes, block backend provides ${st.size} bytes (flash unit ${unit}; make it with truncate -s 64M)`);
  }
  const contents = readInputFile(p.file, "flash image", { maxBytes: BANK });
  return {
    contents, readOnly: p.readOnly,
    writeBack: p.readOnly ? undefined : (offset, bytes) => {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
    },
  };
}

/** The two banks' contents and write-back for the board, from -bios and -drive if=pflash. */
export function flashBackings(args: RunArgs): (FlashBacking | undefined)[] {
  const banks: (FlashBacking | undefined)[] = [undefined, undefined];
  if (args.bios !== undefined) {
    if (!existsSync(args.bios)) throw new UsageError(`Could not find ROM image '${args.bios}'`);
    const contents = readInputFile(args.bios, "firmware", { maxBytes: Number.MAX_SAFE_INTEGER });
    if (contents.length > BANK) throw new UsageError(`Could not load ROM image '${args.bios}' (${contents.length} bytes; flash bank 0 holds ${BANK})`);
    banks[0] = { contents };
  }
  args.devices.pflash.forEach((p, unit) => { if (p) banks[unit] = readFlashFile(p, unit); });
  return banks;
}

/** What the loader devices put in memory, and the PCs they set. */
export interface LoaderPlan {
  blobs: { what: string; addr: number; bytes: Uint8Array; zeroFill: number }[];
  pcs: { cpu: number; addr: number }[];
  modules: DtModule[];
}

export function planLoaders(args: RunArgs): LoaderPlan {
  const plan: LoaderPlan = { blobs: [], pcs: [], modules: [] };
  const read = (text: string, file: string): Uint8Array => {
    try {
      return readInputFile(file, "image", { maxBytes: args.ramSize, limitText: `in ${Math.round(args.ramSize / 1048576)} MiB of guest RAM` });
    } catch (e) {
      throw new UsageError(`-device ${text}: Cannot load specified image ${file} (${(e as Error).message})`);
    }
  };
  for (const l of args.devices.loaders) {
    const what = `-device ${l.text}`;
    if (l.data) {
      plan.blobs.push({ what, addr: l.addr, bytes: l.data, zeroFill: 0 });
      continue;
    }
    let pc = l.addr;
    if (l.file !== undefined) {
      const bytes = read(l.text, l.file);
      if (!l.forceRaw && isElf(bytes)) {
        let elf;
        try { elf = parseElf64(bytes); } catch (e) { throw new UsageError(`${what}: Cannot load specified image ${l.file} (${(e as Error).message})`); }
        for (const s of elf.segments) plan.blobs.push({ what, addr: s.paddr, bytes: s.data, zeroFill: s.memSize - s.data.length });
        pc = elf.entry;
      } else {
        plan.blobs.push({ what, addr: l.addr, bytes, zeroFill: 0 });
      }
    }
    if (l.cpuNum !== undefined) plan.pcs.push({ cpu: l.cpuNum, addr: pc });
  }
  for (const g of args.devices.guestLoaders) {
    const bytes = read(g.text, g.file);
    plan.blobs.push({ what: `-device ${g.text}`, addr: g.addr, bytes, zeroFill: 0 });
    plan.modules.push({ addr: g.addr, size: bytes.length, kind: g.kind, bootargs: g.bootargs });
  }
  return plan;
}

/**
 * Put the loaders' blobs in memory (RAM or flash) and set the PCs, once the board has loaded
 * its own images; `others` are those (the kernel, initrd, DTB), for the overlap check.
 */
export function applyLoaders(board: VirtBoard, plan: LoaderPlan, others: { what: string; addr: number; size: number }[]): void {
  const ranges = [...others, ...plan.blobs.map((b) => ({ what: b.what, addr: b.addr, size: b.bytes.length + b.zeroFill }))]
    .filter((r) => r.size > 0).sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < ranges.length; i++) {
    const a = ranges[i - 1], b = ranges[i];
    if (b.addr < a.addr + a.size) {
      throw new UsageError(`Some ROM regions are overlapping: ${a.what} (0x${a.addr.toString(16)}-0x${(a.addr + a.size).toString(16)}) and ${b.what} (0x${b.addr.toString(16)}-0x${(b.addr + b.size).toString(16)})`);
    }
  }
  for (const b of plan.blobs) {
    const ok = board.bus.load(b.addr, b.bytes) && (b.zeroFill === 0 || board.bus.zero(b.addr + b.bytes.length, b.zeroFill));
    if (!ok) throw new UsageError(`${b.what}: 0x${b.addr.toString(16)}-0x${(b.addr + b.bytes.length + b.zeroFill).toString(16)} is not within RAM or flash`);
  }
  for (const p of plan.pcs) board.setPc(p.cpu, p.addr);
}
