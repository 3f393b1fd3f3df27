/**
 * The GICv2 virtual interface control frame, GICH (IHI 0048B 5.3), as QEMU's virt maps it at
 * 0x08030000 with virtualization=on: one 4 KB frame banked by the accessing CPU (QEMU also
 * creates per-CPU alias frames, which the virt board does not map). Reserved offsets read as
 * zero and ignore writes (QEMU's gic_hyp_read/gic_hyp_write).
 */
import type { MmioDevice } from "../memory/bus.js";
import { GICH_VTR_VALUE, type GicV2VirtualInterface } from "./gicv2-virtual-interface.js";

/** GICH register offsets (IHI 0048B table 5-2). */
const enum Gich { HCR = 0x00, VTR = 0x04, VMCR = 0x08, MISR = 0x10, EISR0 = 0x20, EISR1 = 0x24, ELRSR0 = 0x30, ELRSR1 = 0x34, APR = 0xf0, LR0 = 0x100, LR63 = 0x1fc }

/** Size QEMU gives the frame (gic_viface). */
export const GICH_FRAME_SIZE = 0x1000;

export function gicv2HypInterface(vif: GicV2VirtualInterface): MmioDevice {
  return {
    name: "gicv2-hyp-interface",
    read: (offset, _size, c) => {
      const o = offset & ~3;
      switch (o) {
        case Gich.HCR: return vif.hcr[c];
        case Gich.VTR: return GICH_VTR_VALUE;
        case Gich.VMCR: return vif.readVmcr(c);
        case Gich.MISR: return vif.misr(c);
        case Gich.EISR0: return vif.eisr(c);
        case Gich.ELRSR0: return vif.elrsr(c);
        case Gich.EISR1: case Gich.ELRSR1: return 0; // LRs 32-63 do not exist
        case Gich.APR: return vif.apr[c];
      }
      if (o >= Gich.LR0 && o <= Gich.LR63) return vif.readLr(c, (o - Gich.LR0) >> 2);
      return 0;
    },
    write: (offset, _size, value, c) => {
      const o = offset & ~3;
      if (o === Gich.HCR) vif.writeHcr(c, value);
      else if (o === Gich.VMCR) vif.writeVmcr(c, value);
      else if (o === Gich.APR) vif.apr[c] = value >>> 0;
      else if (o >= Gich.LR0 && o <= Gich.LR63) vif.writeLr(c, (o - Gich.LR0) >> 2, value);
      else return;
      vif.update(c);
    },
  };
}
