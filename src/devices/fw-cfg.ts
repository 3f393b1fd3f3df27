/**
 * QEMU's firmware configuration interface, MMIO flavour (QEMU docs/specs/fw_cfg.rst), as the
 * virt board maps it (fw_cfg_init_mem_wide: 8-byte data register at +0, 16-bit big-endian
 * selector at +8, DMA address register at +16). Only the signature, the feature bitmap and an
 * empty file directory are provided, which is what a direct-kernel-boot guest finds useful;
 * DMA transfers are not implemented, so the feature bitmap does not offer them (a guest then
 * uses the data register, as with QEMU's traditional interface).
 *
 * Which accesses the registers take is QEMU's (hw/nvram/fw_cfg.c, MemoryRegionOps.valid), and
 * every other access is a decode error, which an Arm CPU takes as a synchronous external abort:
 *   - data (fw_cfg_data_mem_valid): any width 1-8 at offset 0 only; writes are ignored;
 *   - selector (fw_cfg_ctl_mem_valid): 16-bit writes only, reads abort;
 *   - DMA (fw_cfg_dma_mem_valid): aligned reads of any width return the signature "QEMU CFG";
 *     writes only 32 bits at +0/+4 or 64 bits at +0;
 *   - +10..+15 lies between the regions: unassigned.
 */
import type { MmioDevice } from "../memory/bus.js";

const KEY_SIGNATURE = 0x0000, KEY_ID = 0x0001, KEY_FILE_DIR = 0x0019;
const DATA = 0, SELECTOR = 8, DMA = 16, DMA_SIZE = 8;
/** FW_CFG_DMA_SIGNATURE, read big-endian: the bytes "QEMU CFG" in address order. */
const DMA_SIGNATURE = new TextEncoder().encode("QEMU CFG");

export class FwCfg implements MmioDevice {
  readonly name = "fw-cfg";
  private selected: Uint8Array = new Uint8Array(0);
  private position = 0;

  private item(key: number): Uint8Array {
    switch (key) {
      case KEY_SIGNATURE: return new TextEncoder().encode("QEMU");
      case KEY_ID: return new Uint8Array([0, 0, 0, 0]); // little-endian 0: traditional interface only
      case KEY_FILE_DIR: return new Uint8Array(4); // big-endian count 0
      default: return new Uint8Array(0);
    }
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
    for (let i = 0; i < size; i++) {
      const b = this.position < this.selected.length ? this.selected[this.position] : 0;
      this.position++;
      v |= b << (8 * i); // stream order = ascending addresses
    }
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset === SELECTOR && size === 2) {
      const key = ((value & 0xff) << 8) | ((value >> 8) & 0xff); // big-endian register
      this.selected = this.item(key);
      this.position = 0;
    }
    // Data writes do nothing (QEMU removed them in 2.4); DMA writes would start a transfer,
    // which is not implemented (FW_CFG_ID does not offer DMA).
  }
}
