/**
 * QEMU's firmware configuration interface, MMIO flavour (QEMU docs/specs/fw_cfg.rst): a
 * 16-bit big-endian selector at +8 and a byte-stream data register at +0. Only the signature,
 * the feature bitmap (no DMA) and an empty file directory are provided, which is what a
 * direct-kernel-boot guest finds useful.
 */
import type { MmioDevice } from "../memory/bus.js";

const KEY_SIGNATURE = 0x0000, KEY_ID = 0x0001, KEY_FILE_DIR = 0x0019;

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

  read(offset: number, size: number): number {
    if (offset >= 8) return 0;
    let v = 0;
    for (let i = 0; i < size; i++) {
      const b = this.position < this.selected.length ? this.selected[this.position] : 0;
      this.position++;
      v |= b << (8 * i); // stream order = ascending addresses
    }
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset === 8 && size === 2) {
      const key = ((value & 0xff) << 8) | ((value >> 8) & 0xff); // big-endian register
      this.selected = this.item(key);
      this.position = 0;
    }
  }
}
