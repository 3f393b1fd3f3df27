/**
 * GICv2 interrupt controller (IHI 0048B) without the Security Extensions, as QEMU's virt board
 * with gic-version=2: a distributor (GICD) and a memory-mapped CPU interface (GICC) banked per
 * CPU by the accessing CPU's index. Group 0 is signalled as FIQ only when GICC_CTLR.FIQEn is
 * set, otherwise everything is IRQ (IHI 0048B 3.3.1). SGIs record their source CPU, which
 * GICC_IAR returns in bits [12:10].
 */
import type { Cpu } from "../cpu/cpu.js";
import type { MmioDevice } from "../memory/bus.js";
import { GicCore, idRegister, SPECIAL_NONE } from "./gic-core.js";
import { gicv2HypInterface } from "./gicv2-hyp-interface.js";
import { gicv2VirtualCpuInterface } from "./gicv2-virtual-cpu-interface.js";
import { GicV2VirtualInterface } from "./gicv2-virtual-interface.js";
import type { InterruptController } from "./interrupts.js";

/** GICD ID registers 0xFD0-0xFFC as QEMU's GICv2 reports them (PIDR2 ArchRev = 2). */
const GICD_IDS = [0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
const GICD_IIDR = 0x43b;
/** GICC_IIDR: architecture version 2, ARM implementer (IHI 0048B 4.4.16), product ID 0 as QEMU's (revision << 16) | 0x43b. */
const GICC_IIDR = 0x0002043b;
const PRIORITY_BITS = 5;
const CTLR_EN_GRP0 = 1, CTLR_EN_GRP1 = 2, CTLR_FIQ_EN = 8, CTLR_EOI_MODE_NS = 1 << 9;

export class GicV2 implements InterruptController {
  readonly core: GicCore;
  private cpus: Cpu[] = [];
  private readonly cpuCtlr: Uint32Array;
  /** SGI being acknowledged, remembered to clear its source bit (per CPU). */

  /**
   * `securityExtensions` (virt,secure=on) only sets GICD_TYPER.SecurityExtn: interrupts keep the
   * single view above, which is what Secure software programming Group 0 sees (IHI 0048B 4.3.2).
   */
  /** The virtualization extensions (virt,virtualization=on): their state and the GICH and GICV frames. */
  readonly virtualInterface: GicV2VirtualInterface | undefined;
  readonly hypInterface: MmioDevice | undefined;
  readonly virtualCpuInterface: MmioDevice | undefined;

  /**
   * `maintenanceIntid`, when given, adds the virtualization extensions, whose maintenance
   * interrupt is that PPI of each CPU (IHI 0048B 5.1).
   */
  constructor(readonly ncpu: number, nirq: number, private readonly securityExtensions = false, maintenanceIntid?: number) {
    this.cpuCtlr = new Uint32Array(ncpu);
    this.core = new GicCore(ncpu, nirq, PRIORITY_BITS, (c, _id, group, on) => {
      const cpu = this.cpus[c];
      if (!cpu) return;
      const asFiq = group === 0 && (this.cpuCtlr[c] & CTLR_FIQ_EN) !== 0;
      cpu.setFiq(on && asFiq);
      cpu.setIrq(on && !asFiq);
    });
    if (maintenanceIntid !== undefined) {
      const vif = new GicV2VirtualInterface(ncpu, securityExtensions, {
        cpu: (c) => this.cpus[c],
        maintenance: (c, level) => this.core.setInput(c, maintenanceIntid, level),
        // An LR with HW = 1 deactivated: as a write of its physical INTID to GICC_DIR.
        deactivatePhysical: (c, intid) => { this.core.deactivate(c, intid); this.core.update(); },
      });
      this.virtualInterface = vif;
      this.hypInterface = gicv2HypInterface(vif);
      this.virtualCpuInterface = gicv2VirtualCpuInterface(vif);
    }
  }

  attachCpus(cpus: Cpu[]): void {
    this.cpus = cpus;
    this.core.update();
  }

  setInput(cpu: number, intid: number, level: boolean): void {
    this.core.setInput(cpu, intid, level);
  }

  readonly distributor: MmioDevice = {
    name: "gicv2-distributor",
    read: (offset, size, cpu) => {
      if (offset >= 0x400 && offset < 0xc00) {
        let v = 0;
        for (let b = 0; b < size; b++) v |= this.byteReg(cpu, offset + b) << (8 * b);
        return v >>> 0;
      }
      const word = this.distRead(cpu, offset & ~3);
      return size === 4 ? word : (word >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
    },
    write: (offset, size, value, cpu) => {
      if (offset >= 0x400 && offset < 0xc00) {
        for (let b = 0; b < size; b++) this.writeByteReg(cpu, offset + b, (value >>> (8 * b)) & 0xff);
        this.core.update();
        return;
      }
      if (offset >= 0xf10 && offset < 0xf30 && size === 1) {
        this.writeSgiPendingByte(cpu, offset, value);
        return;
      }
      this.distWrite(cpu, offset & ~3, value);
    },
  };

  /** IPRIORITYR (0x400) and ITARGETSR (0x800) bytes. */
  private byteReg(cpu: number, offset: number): number {
    if (offset < 0x800) return this.core.readPriorityByte(cpu, offset - 0x400);
    const intid = offset - 0x800;
    if (intid < 32) return 1 << cpu; // private: reads as the accessing CPU (IHI 0048B 4.3.12)
    return intid < this.core.nirq ? this.core.spiTargets[intid] : 0;
  }

  private writeByteReg(cpu: number, offset: number, v: number): void {
    if (offset < 0x800) { this.core.writePriorityByte(cpu, offset - 0x400, v); return; }
    const intid = offset - 0x800;
    if (intid >= 32 && intid < this.core.nirq) this.core.spiTargets[intid] = v & ((1 << this.ncpu) - 1);
  }

  private distRead(cpu: number, offset: number): number {
    const core = this.core;
    switch (offset) {
      case 0x000: return (core.enableGrp0 ? 1 : 0) | (core.enableGrp1 ? 2 : 0);
      case 0x004: return (core.nirq / 32 - 1) | ((this.ncpu - 1) << 5) | (this.securityExtensions ? 1 << 10 : 0);
      case 0x008: return GICD_IIDR;
    }
    if (offset >= 0x80 && offset < 0x400) return core.readBlock(cpu, offset, ((offset & 0x7f) >> 2) * 32) ?? 0;
    if (offset >= 0xc00 && offset < 0xd00) return core.readBlock(cpu, offset, ((offset - 0xc00) >> 2) * 16) ?? 0;
    if (offset >= 0xf10 && offset < 0xf30) {
      // CPENDSGIR/SPENDSGIR: a byte per SGI, a bit per source CPU.
      const first = (offset & 0xf) * 1;
      let v = 0;
      for (let b = 0; b < 4; b++) v |= this.core.sgiSources[cpu * 16 + first + b] << (8 * b);
      return v >>> 0;
    }
    if (offset >= 0xfd0) return idRegister(GICD_IDS, 0xfd0, offset);
    return 0;
  }

  private writeSgiPendingByte(cpu: number, offset: number, v: number): void {
    const sgi = offset & 0xf;
    const set = offset < 0xf20;
    const i = cpu * 16 + sgi;
    this.core.sgiSources[i] = set ? this.core.sgiSources[i] & ~v : this.core.sgiSources[i] | v;
    this.core.latch[this.core.slot(cpu, sgi)] = this.core.sgiSources[i] ? 1 : 0;
    this.core.update();
  }

  private distWrite(cpu: number, offset: number, value: number): void {
    const core = this.core;
    if (offset === 0x000) {
      core.enableGrp0 = (value & 1) !== 0;
      core.enableGrp1 = (value & 2) !== 0;
    } else if (offset === 0xf00) {
      this.sendSgi(cpu, value);
      return;
    } else if (offset >= 0xf10 && offset < 0xf30) {
      for (let b = 0; b < 4; b++) this.writeSgiPendingByte(cpu, (offset & ~3) + b, (value >>> (8 * b)) & 0xff);
      return;
    } else if (offset >= 0x80 && offset < 0x400) {
      core.writeBlock(cpu, offset, ((offset & 0x7f) >> 2) * 32, value);
    } else if (offset >= 0xc00 && offset < 0xd00) {
      core.writeBlock(cpu, offset, ((offset - 0xc00) >> 2) * 16, value);
    } else return;
    core.update();
  }

  /** GICD_SGIR (IHI 0048B 4.3.15): TargetListFilter 0 = list, 1 = all but self, 2 = self. */
  sendSgi(from: number, value: number): void {
    const sgi = value & 0xf;
    const filter = (value >>> 24) & 3;
    let targets = (value >>> 16) & 0xff;
    if (filter === 1) targets = ((1 << this.ncpu) - 1) & ~(1 << from);
    else if (filter === 2) targets = 1 << from;
    else if (filter === 3) return;
    for (let c = 0; c < this.ncpu; c++) {
      if (!(targets & (1 << c))) continue;
      this.core.sgiSources[c * 16 + sgi] |= 1 << from;
      this.core.latch[this.core.slot(c, sgi)] = 1;
    }
    this.core.update();
  }

  readonly cpuInterface: MmioDevice = {
    name: "gicv2-cpu-interface",
    read: (offset, _size, cpu) => this.cpuRead(cpu, offset & ~3),
    write: (offset, _size, value, cpu) => this.cpuWrite(cpu, offset & ~3, value),
  };

  private cpuRead(cpu: number, offset: number): number {
    const core = this.core;
    switch (offset) {
      case 0x00: return this.cpuCtlr[cpu];
      case 0x04: return core.pmr[cpu];
      case 0x08: return core.bpr0[cpu];
      case 0x0c: case 0x20: return this.acknowledge(cpu);
      case 0x14: return core.runningPriority(cpu);
      case 0x18: case 0x28: {
        core.computeHppi(cpu);
        const id = core.hppiId[cpu];
        return id < 16 ? id | (this.lowestSource(cpu, id) << 10) : id;
      }
      case 0x1c: return core.bpr1[cpu];
      case 0xd0: return core.activePriorityBits(cpu, 0) | core.activePriorityBits(cpu, 1);
      case 0xfc: return GICC_IIDR;
    }
    return 0;
  }

  private lowestSource(cpu: number, sgi: number): number {
    const src = this.core.sgiSources[cpu * 16 + sgi];
    for (let s = 0; s < 8; s++) if (src & (1 << s)) return s;
    return 0;
  }

  private acknowledge(cpu: number): number {
    const core = this.core;
    const id = core.acknowledge(cpu, -1);
    if (id === SPECIAL_NONE) return id;
    let result = id;
    if (id < 16) {
      // One source at a time; the SGI stays pending for the others (IHI 0048B 3.2.4).
      const src = this.lowestSource(cpu, id);
      const i = cpu * 16 + id;
      core.sgiSources[i] &= ~(1 << src);
      if (core.sgiSources[i]) core.latch[core.slot(cpu, id)] = 1;
      result = id | (src << 10);
    }
    core.update();
    return result;
  }

  private cpuWrite(cpu: number, offset: number, value: number): void {
    const core = this.core;
    switch (offset) {
      case 0x00:
        this.cpuCtlr[cpu] = value & 0x3ff;
        core.grpEn0[cpu] = value & CTLR_EN_GRP0 ? 1 : 0;
        core.grpEn1[cpu] = value & CTLR_EN_GRP1 ? 1 : 0;
        core.eoiMode[cpu] = value & CTLR_EOI_MODE_NS ? 1 : 0;
        break;
      case 0x04: core.pmr[cpu] = value & core.priorityMask; break;
      case 0x08: core.bpr0[cpu] = Math.max(core.minBpr0, value & 7); break;
      case 0x1c: core.bpr1[cpu] = Math.max(core.minBpr0 + 1, value & 7); break;
      case 0x10: case 0x24:
        core.dropPriority(cpu);
        if (!core.eoiMode[cpu]) core.deactivate(cpu, value & 0x3ff);
        break;
      case 0xd0:
        core.setActivePriorityBits(cpu, 0, value);
        break;
      case 0x1000: core.deactivate(cpu, value & 0x3ff); break;
      default: return;
    }
    core.update();
  }
}
