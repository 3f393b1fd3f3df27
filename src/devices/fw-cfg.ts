/**
 * QEMU's firmware configuration interface, MMIO flavour (QEMU docs/specs/fw_cfg.rst), as the
 * virt board maps it (fw_cfg_init_mem_wide: 8-byte data register at +0, 16-bit big-endian
 * selector at +8, 64-bit big-endian DMA address register at +16), with the DMA interface
 * (FW_CFG_ID bit 1) that U-Boot's qfw driver and UEFI firmware use.
 *
 * The items are those QEMU 7.2 gives a virt machine (fw_cfg_common_init, create_fw_cfg,
 * hw/arm/boot.c for a kernel handed to firmware): see fwCfgItems below. The ACPI and SMBIOS
 * tables QEMU adds when firmware boots (etc/acpi/*, etc/table-loader, etc/tpm/log,
 * etc/smbios/*) are not built here, so those files are not in the directory.
 *
 * Which accesses the registers take is QEMU's (hw/nvram/fw_cfg.c, MemoryRegionOps.valid), and
 * every other access is a decode error, which an Arm CPU takes as a synchronous external abort:
 *   - data (fw_cfg_data_mem_valid): any width 1-8 at offset 0 only; writes are ignored;
 *   - selector (fw_cfg_ctl_mem_valid): 16-bit writes only, reads abort;
 *   - DMA (fw_cfg_dma_mem_valid): aligned reads of any width return the signature "QEMU CFG";
 *     writes only 32 bits at +0/+4 (high then low half; the low half starts the transfer) or
 *     64 bits at +0;
 *   - +10..+15 lies between the regions: unassigned.
 */
import type { MmioDevice } from "../memory/bus.js";
import type { GuestMemory } from "./virtio/guest-memory.js";

const DATA = 0, SELECTOR = 8, DMA = 16, DMA_SIZE = 8;
/** FW_CFG_DMA_SIGNATURE, read big-endian: the bytes "QEMU CFG" in address order. */
const DMA_SIGNATURE = new TextEncoder().encode("QEMU CFG");
/** FWCfgDmaAccess.control bits. */
const CTL_ERROR = 0x01, CTL_READ = 0x02, CTL_SKIP = 0x04, CTL_SELECT = 0x08, CTL_WRITE = 0x10;
/** Keys: index bits (FW_CFG_ENTRY_MASK), the first file's (FW_CFG_FILE_FIRST), and the table's end (0x20 file slots, FW_CFG_FILE_SLOTS_DFLT). */
const ENTRY_MASK = 0x3fff, FILE_FIRST = 0x20, MAX_ENTRY = FILE_FIRST + 0x20;

/** Standard keys (include/standard-headers/linux/qemu_fw_cfg.h). */
export const FW_CFG = {
  SIGNATURE: 0x00, ID: 0x01, UUID: 0x02, NOGRAPHIC: 0x04, NB_CPUS: 0x05, KERNEL_SIZE: 0x08, INITRD_SIZE: 0x0b,
  BOOT_MENU: 0x0e, KERNEL_DATA: 0x11, INITRD_DATA: 0x12, CMDLINE_SIZE: 0x14, CMDLINE_DATA: 0x15, FILE_DIR: 0x19,
} as const;

export interface FwCfgFile {
  name: string;
  data: Uint8Array;
}

/** What the machine puts in fw_cfg. */
export interface FwCfgContents {
  cpus: number;
  /** -nographic (or -display none): FW_CFG_NOGRAPHIC is 1. */
  nographic?: boolean;
  /** A -kernel handed to firmware (hw/arm/boot.c load_image_to_fw_cfg), its -initrd and -append. */
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  cmdline?: string;
}

const le16 = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff);
const le32 = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);

/**
 * The items by key, as QEMU 7.2's virt machine has them: signature, ID (traditional and DMA),
 * UUID (zeros: no -uuid), NOGRAPHIC, NB_CPUS, BOOT_MENU (0), the kernel items for firmware, and
 * the files "bios-geometry" and "bootorder" (empty: no bootindex devices) and
 * "etc/boot-fail-wait" (-1: no reboot-timeout), in the directory sorted by name with keys from
 * 0x20 in that order (fw_cfg_add_file_callback).
 */
export function fwCfgItems(c: FwCfgContents): Map<number, Uint8Array> {
  const items = new Map<number, Uint8Array>([
    [FW_CFG.SIGNATURE, new TextEncoder().encode("QEMU")],
    [FW_CFG.ID, le32(3)],
    [FW_CFG.UUID, new Uint8Array(16)],
    [FW_CFG.NOGRAPHIC, le16(c.nographic ? 1 : 0)],
    [FW_CFG.BOOT_MENU, le16(0)],
    [FW_CFG.NB_CPUS, le16(c.cpus)],
  ]);
  if (c.kernel) {
    items.set(FW_CFG.KERNEL_SIZE, le32(c.kernel.length));
    items.set(FW_CFG.KERNEL_DATA, c.kernel);
    if (c.initrd) {
      items.set(FW_CFG.INITRD_SIZE, le32(c.initrd.length));
      items.set(FW_CFG.INITRD_DATA, c.initrd);
    }
    if (c.cmdline !== undefined) {
      const text = new TextEncoder().encode(c.cmdline + "\0");
      items.set(FW_CFG.CMDLINE_SIZE, le32(text.length));
      items.set(FW_CFG.CMDLINE_DATA, text);
    }
  }
  const files: FwCfgFile[] = [
    { name: "bios-geometry", data: new Uint8Array(0) },
    { name: "bootorder", data: new Uint8Array(0) },
    { name: "etc/boot-fail-wait", data: le32(0xffffffff) },
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // FW_CFG_FILE_DIR: a big-endian count, then per file size (be32), select (be16), reserved, name[56].
  const dir = new Uint8Array(4 + files.length * 64);
  const v = new DataView(dir.buffer);
  v.setUint32(0, files.length);
  files.forEach((f, i) => {
    const at = 4 + i * 64;
    v.setUint32(at, f.data.length);
    v.setUint16(at + 4, FILE_FIRST + i);
    dir.set(new TextEncoder().encode(f.name).subarray(0, 55), at + 8);
    items.set(FILE_FIRST + i, f.data);
  });
  items.set(FW_CFG.FILE_DIR, dir);
  return items;
}

export class FwCfg implements MmioDevice {
  readonly name = "fw-cfg";
  /** The selected item (undefined: an invalid key) and the read position in it. */
  private selected: Uint8Array | undefined;
  private position = 0;
  private dmaAddress = 0;

  constructor(private readonly items: Map<number, Uint8Array>, private readonly memory?: GuestMemory) {}

  /** fw_cfg_select: keys past the table are invalid; known keys without data read as empty. */
  private select(key: number): void {
    this.position = 0;
    this.selected = (key & ENTRY_MASK) >= MAX_ENTRY ? undefined : (this.items.get(key) ?? new Uint8Array(0));
  }

  /** The access rules above (checked by the CPU before read/write; see AccessCheckedDevice). */
  accepts(offset: number, size: number, isWrite: boolean): boolean {
    if (offset < SELECTOR) return offset === DATA;
    if (offset < SELECTOR + 2) return isWrite && size === 2 && offset === SELECTOR;
    if (offset < DMA) return false;
    const at = offset - DMA;
    // MemoryRegionOps.valid.unaligned is false: offsets within the region must be aligned.
    if (at >= DMA_SIZE || (at & (size - 1)) !== 0) return false;
    return !isWrite || (size === 4 && (at === 0 || at === 4)) || (size === 8 && at === 0);
  }

  read(offset: number, size: number): number {
    let v = 0;
    if (offset >= DMA) {
      for (let i = size - 1; i >= 0; i--) v = v * 256 + DMA_SIGNATURE[offset - DMA + i];
      return v >>> 0;
    }
    // The data register (an 8-byte read arrives as two 4-byte halves, low address first).
    const item = this.selected;
    for (let i = 0; i < size; i++) {
      const b = item !== undefined && this.position < item.length ? item[this.position] : 0;
      this.position++;
      v |= b << (8 * i); // stream order = ascending addresses
    }
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    const swap32 = (x: number) => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
    if (offset === SELECTOR && size === 2) {
      this.select(((value & 0xff) << 8) | ((value >> 8) & 0xff)); // big-endian register
    } else if (offset === DMA && size === 4) {
      // The high half of the big-endian address (an 8-byte store arrives as this, then +4).
      this.dmaAddress = swap32(value) * 0x100000000;
    } else if (offset === DMA + 4 && size === 4) {
      this.dmaAddress += swap32(value);
      this.dmaTransfer();
    }
    // Data writes do nothing (QEMU removed them in 2.4).
  }

  /** fw_cfg_dma_transfer: one FWCfgDmaAccess { be32 control; be32 length; be64 address }. */
  private dmaTransfer(): void {
    const at = this.dmaAddress;
    this.dmaAddress = 0;
    const mem = this.memory;
    if (!mem) return;
    const header = mem.view(at, 16);
    const setControl = (control: number): void => {
      const out = mem.writableView(at, 4);
      if (out) new DataView(out.buffer, out.byteOffset, 4).setUint32(0, control);
    };
    if (!header) { setControl(CTL_ERROR); return; }
    const h = new DataView(header.buffer, header.byteOffset, 16);
    let control = h.getUint32(0), length = h.getUint32(4);
    let address = h.getUint32(8) * 0x100000000 + h.getUint32(12);
    if (control & CTL_SELECT) this.select(control >>> 16);
    const read = (control & CTL_READ) !== 0, write = !read && (control & CTL_WRITE) !== 0;
    if (!read && !write && !(control & CTL_SKIP)) length = 0;
    control = 0;
    while (length > 0 && !(control & CTL_ERROR)) {
      const item = this.selected;
      let n: number;
      if (item === undefined || this.position >= item.length) {
        // Past the item (or none selected): reads give zeros, writes fail.
        n = length;
        if (read) {
          const out = mem.writableView(address, n);
          if (out) out.fill(0); else control |= CTL_ERROR;
        }
        if (write) control |= CTL_ERROR;
      } else {
        n = Math.min(length, item.length - this.position);
        if (read) {
          const out = mem.writableView(address, n);
          if (out) out.set(item.subarray(this.position, this.position + n)); else control |= CTL_ERROR;
        }
        if (write) control |= CTL_ERROR; // no item here is writable
        this.position += n;
      }
      address += n;
      length -= n;
    }
    setControl(control);
  }
}
