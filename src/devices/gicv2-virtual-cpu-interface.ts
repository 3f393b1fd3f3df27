/**
 * The GICv2 virtual CPU interface frame, GICV (IHI 0048B 5.4), as QEMU's virt maps it at
 * 0x08040000 with virtualization=on: the GICC register layout, banked by the accessing CPU,
 * operating on that CPU's list registers (gicv2-virtual-interface.ts). A hypervisor maps it
 * at its guest's GICC address with stage 2.
 *
 * QEMU's GICv2 (hw/intc/arm_gic.c gic_cpu_read/gic_cpu_write for a vCPU) decodes CTLR, PMR,
 * BPR, IAR, EOIR, RPR, HPPIR, ABPR, APR0, IIDR and DIR; the aliased AIAR, AEOIR and AHPPIR
 * (0x20-0x28) and the NSAPRs read as zero and ignore writes there, and so they do here.
 */
import type { MmioDevice } from "../memory/bus.js";
import type { GicV2VirtualInterface } from "./gicv2-virtual-interface.js";

const enum Gicv { CTLR = 0x00, PMR = 0x04, BPR = 0x08, IAR = 0x0c, EOIR = 0x10, RPR = 0x14, HPPIR = 0x18, ABPR = 0x1c, APR0 = 0xd0, IIDR = 0xfc, DIR = 0x1000 }

/** GICV_IIDR: QEMU's (revision << 16) | ARM's JEP106 code (IHI 0048B 4.4.16). */
const GICV_IIDR = 0x0002043b;
/** Size QEMU gives the frame (gic_vcpu): GICV_DIR is at 0x1000. */
export const GICV_FRAME_SIZE = 0x2000;

export function gicv2VirtualCpuInterface(vif: GicV2VirtualInterface): MmioDevice {
  return {
    name: "gicv2-virtual-cpu-interface",
    read: (offset, _size, c) => {
      switch (offset & ~3) {
        case Gicv.CTLR: return vif.ctlr[c];
        case Gicv.PMR: return vif.pmr[c];
        case Gicv.BPR: return vif.bpr[c];
        case Gicv.IAR: return vif.acknowledge(c);
        case Gicv.RPR: return vif.readRpr(c);
        case Gicv.HPPIR: return vif.highestPending(c);
        case Gicv.ABPR: return vif.abpr[c];
        case Gicv.APR0: return vif.apr[c];
        case Gicv.IIDR: return GICV_IIDR;
      }
      return 0;
    },
    write: (offset, _size, value, c) => {
      switch (offset & ~3) {
        case Gicv.CTLR: vif.writeCtlr(c, value); break;
        case Gicv.PMR: vif.writePmr(c, value); break;
        case Gicv.BPR: vif.writeBpr(c, value); break;
        case Gicv.EOIR: vif.endOfInterrupt(c, value); return;
        case Gicv.ABPR: vif.writeAbpr(c, value); break;
        case Gicv.APR0: vif.apr[c] = value >>> 0; break;
        case Gicv.DIR: vif.deactivate(c, value); break;
        default: return;
      }
      vif.update(c);
    },
  };
}
