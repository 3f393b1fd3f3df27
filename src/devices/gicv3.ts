/**
 * GICv3 interrupt controller (IHI 0069): distributor (GICD), one redistributor per CPU (GICR,
 * RD_base + SGI_base frames of 64 KiB) and the system-register CPU interface (ICC_*_EL1).
 * As QEMU's virt board without secure=on: a single security state (GICD_CTLR.DS = 1),
 * affinity routing always on (ARE RAO/WI, no legacy mode), 5 priority bits.
 * Group 0 is signalled as FIQ, group 1 as IRQ (IHI 0069 4.6.2 with DS = 1).
 * LPIs (gicv3-lpis.ts) when enableLpis() gives the GIC guest memory for their tables, as the
 * board's GIC with its ITS has them (QEMU's virt sets has-lpi with its=on); without, none.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { SysRegTable } from "../cpu/sysregs.js";
import type { MmioDevice } from "../memory/bus.js";
import { HCR_EL2 } from "../cpu/arch-bits.js";
import { GicCore, idRegister, SPECIAL_NONE } from "./gic-core.js";
import { GicV3VirtualCpuInterface, IchHcr } from "./gicv3-virtual-cpu-interface.js";
import type { InterruptController } from "./interrupts.js";
import { GicV3Lpis } from "./gicv3-lpis.js";
import type { GuestMemory } from "./virtio/guest-memory.js";

const GICD_CTLR_EN_GRP0 = 1, GICD_CTLR_EN_GRP1 = 2, GICD_CTLR_ARE = 1 << 4, GICD_CTLR_DS = 1 << 6;
/** Peripheral/component ID registers 0xFFD0-0xFFFC as QEMU's GICv3 reports them (PIDR2 ArchRev = 3). */
const GICD_IDS = [0x44, 0x00, 0x00, 0x00, 0x92, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
const GICR_IDS = [0x44, 0x00, 0x00, 0x00, 0x93, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
const IIDR_ARM = 0x43b;
const PRIORITY_BITS = 5;
const WAKER_PROCESSOR_SLEEP = 2, WAKER_CHILDREN_ASLEEP = 4;
const GICD_TYPER_LPIS = 1 << 17, GICR_CTLR_ENABLE_LPIS = 1;
/** GICR_CTLR.CES: EnableLPIs can be cleared again (IHI 0069 12.11.2); set in QEMU with LPIs. */
const GICR_CTLR_CES = 2;
/** GICR_TYPER: PLPIS [0], and CommonLPIAff [25:24] = 1, all redistributors share one configuration table (QEMU). */
const GICR_TYPER_PLPIS = 1, GICR_TYPER_COMMON_LPI_AFF_ALL = 1 << 24;
const GICR_PROPBASER = 0x70, GICR_PENDBASER = 0x78;

export class GicV3 implements InterruptController {
  readonly core: GicCore;
  private cpus: Cpu[] = [];
  private readonly routerLo: Uint32Array;
  private readonly routerHi: Uint32Array;
  private readonly waker: Uint8Array;
  private readonly sre: Uint8Array;
  private readonly cbpr: Uint8Array;

  constructor(readonly ncpu: number, nirq: number, private readonly affinities: number[]) {
    this.core = new GicCore(ncpu, nirq, PRIORITY_BITS, (c, _id, group, on) => {
      const cpu = this.cpus[c];
      if (!cpu) return;
      cpu.setFiq(on && group === 0);
      cpu.setIrq(on && group === 1);
    });
    this.routerLo = new Uint32Array(nirq);
    this.routerHi = new Uint32Array(nirq);
    this.waker = new Uint8Array(ncpu).fill(WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP);
    this.sre = new Uint8Array(ncpu).fill(7);
    this.cbpr = new Uint8Array(ncpu);
    for (let i = 32; i < nirq; i++) this.recomputeRoute(i);
  }

  /** The redistributors' LPIs, once enableLpis() has been called. */
  lpis: GicV3Lpis | undefined;

  /** Give the redistributors LPIs, with their tables in `mem` (GICD_TYPER.LPIS, GICR_TYPER.PLPIS). */
  enableLpis(mem: GuestMemory): GicV3Lpis {
    this.lpis = new GicV3Lpis(this.ncpu, mem, () => this.core.update());
    this.core.lpis = this.lpis;
    return this.lpis;
  }

  attachCpus(cpus: Cpu[]): void {
    this.cpus = cpus;
    this.core.update();
  }

  setInput(cpu: number, intid: number, level: boolean): void {
    this.core.setInput(cpu, intid, level);
  }

  /** IROUTER: IRM = 1 delivers to any CPU (the first to acknowledge wins), else to one affinity. */
  private recomputeRoute(intid: number): void {
    const irm = (this.routerLo[intid] >>> 31) & 1;
    if (irm) { this.core.spiTargets[intid] = (1 << this.ncpu) - 1; return; }
    const aff = (this.routerLo[intid] & 0xffffff) | ((this.routerHi[intid] & 0xff) << 24);
    const target = this.affinities.findIndex((a) => (a >>> 0) === (aff >>> 0));
    this.core.spiTargets[intid] = target >= 0 ? 1 << target : 0;
  }

  // ---------------- distributor ----------------

  readonly distributor: MmioDevice = {
    name: "gicv3-distributor",
    read: (offset, size) => {
      const word = this.distRead(offset & ~3);
      return size === 4 ? word : (word >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
    },
    write: (offset, size, value) => {
      if (size !== 4 && offset >= 0x400 && offset < 0x800) {
        for (let b = 0; b < size; b++) this.core.writePriorityByte(0, offset - 0x400 + b, value >>> (8 * b));
        this.core.update();
        return;
      }
      this.distWrite(offset & ~3, value);
    },
  };

  private distRead(offset: number): number {
    const core = this.core;
    if (offset === 0x0000) {
      return GICD_CTLR_ARE | GICD_CTLR_DS | (core.enableGrp0 ? GICD_CTLR_EN_GRP0 : 0) | (core.enableGrp1 ? GICD_CTLR_EN_GRP1 : 0);
    }
    if (offset === 0x0004) {
      // As QEMU's GICv3 (the oracle guests compare against): ITLinesNumber counts external
      // interrupts only ((N - 32) / 32 - 1), IDbits = 15, A3V and No1N set, CPUNumber 0 because
      // affinity routing is always on, no MBIS, no security extensions; LPIS when there are LPIs.
      return (((core.nirq - 32) / 32 - 1) | (0xf << 19) | (1 << 24) | (1 << 25) | (this.lpis ? GICD_TYPER_LPIS : 0)) >>> 0;
    }
    if (offset === 0x0008) return IIDR_ARM;
    if (offset >= 0x6100 && offset < 0x8000) {
      const intid = (offset - 0x6000) >> 3;
      if (intid < 32 || intid >= core.nirq) return 0;
      return offset & 4 ? this.routerHi[intid] : this.routerLo[intid];
    }
    if (offset >= 0xffd0) return idRegister(GICD_IDS, 0xffd0, offset);
    if (offset >= 0x400 && offset < 0x800) {
      const first = offset - 0x400;
      if (first < 32) return 0; // with ARE, private interrupts live in the redistributor
      let v = 0;
      for (let b = 0; b < 4; b++) v |= core.readPriorityByte(0, first + b) << (8 * b);
      return v >>> 0;
    }
    if (offset >= 0x80 && offset < 0xd00) {
      const first = this.blockFirstIntid(offset);
      if (first < 32) return 0;
      return core.readBlock(0, offset, first) ?? 0;
    }
    return 0;
  }

  /** First INTID covered by a word of a GICD register block (1 bit per INTID, 2 for ICFGR). */
  private blockFirstIntid(offset: number): number {
    if (offset >= 0xc00) return ((offset - 0xc00) >> 2) * 16;
    return ((offset & 0x7f) >> 2) * 32;
  }

  private distWrite(offset: number, value: number): void {
    const core = this.core;
    if (offset === 0x0000) {
      core.enableGrp0 = (value & GICD_CTLR_EN_GRP0) !== 0;
      core.enableGrp1 = (value & GICD_CTLR_EN_GRP1) !== 0;
    } else if (offset >= 0x6100 && offset < 0x8000) {
      const intid = (offset - 0x6000) >> 3;
      if (intid < 32 || intid >= core.nirq) return;
      if (offset & 4) this.routerHi[intid] = value & 0xff;
      else this.routerLo[intid] = value & 0x80ffffff;
      this.recomputeRoute(intid);
    } else if (offset >= 0x400 && offset < 0x800) {
      const first = offset - 0x400;
      if (first < 32) return;
      for (let b = 0; b < 4; b++) core.writePriorityByte(0, first + b, value >>> (8 * b));
    } else if (offset >= 0x80 && offset < 0xd00) {
      const first = this.blockFirstIntid(offset);
      if (first < 32) return;
      core.writeBlock(0, offset, first, value);
    } else return;
    core.update();
  }

  // ---------------- redistributors ----------------

  readonly redistributors: MmioDevice = {
    name: "gicv3-redistributors",
    read: (offset, size) => {
      const cpu = Math.floor(offset / 0x20000);
      if (cpu >= this.ncpu) return 0;
      const within = offset % 0x20000;
      const word = this.redistRead(cpu, within & ~3);
      return size === 4 ? word : (word >>> ((within & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
    },
    write: (offset, size, value) => {
      const cpu = Math.floor(offset / 0x20000);
      if (cpu >= this.ncpu) return;
      const within = offset % 0x20000;
      if (size !== 4 && within >= 0x10400 && within < 0x10420) {
        for (let b = 0; b < size; b++) this.core.writePriorityByte(cpu, within - 0x10400 + b, value >>> (8 * b));
        this.core.update();
        return;
      }
      this.redistWrite(cpu, within & ~3, value);
    },
  };

  private redistRead(cpu: number, off: number): number {
    const core = this.core;
    if (off < 0x10000) {
      switch (off) {
        // GICR_CTLR: EnableLPIs and CES (RWP, UWP and the DPG bits read as zero, as in QEMU).
        case 0x0000: return this.lpis ? GICR_CTLR_CES | (this.lpis.lpisEnabled(cpu) ? GICR_CTLR_ENABLE_LPIS : 0) : 0;
        case 0x0004: return IIDR_ARM;
        case 0x0008: // GICR_TYPER low: CommonLPIAff [25:24], Processor_Number [23:8], Last [4], PLPIS [0]
          return ((cpu << 8) | (cpu === this.ncpu - 1 ? 1 << 4 : 0) |
            (this.lpis ? GICR_TYPER_PLPIS | GICR_TYPER_COMMON_LPI_AFF_ALL : 0)) >>> 0;
        case 0x000c: return this.affinities[cpu] >>> 0; // GICR_TYPER high: Aff3.Aff2.Aff1.Aff0
        case 0x0014: return this.waker[cpu];
        case GICR_PROPBASER: return this.lpis?.propLo[cpu] ?? 0;
        case GICR_PROPBASER + 4: return this.lpis?.propHi[cpu] ?? 0;
        case GICR_PENDBASER: return this.lpis?.pendLo[cpu] ?? 0;
        case GICR_PENDBASER + 4: return this.lpis?.pendHi[cpu] ?? 0;
        default:
          if (off >= 0xffd0) return idRegister(GICR_IDS, 0xffd0, off);
          return 0;
      }
    }
    const sgi = off - 0x10000;
    if (sgi >= 0x400 && sgi < 0x420) {
      let v = 0;
      for (let b = 0; b < 4; b++) v |= core.readPriorityByte(cpu, sgi - 0x400 + b) << (8 * b);
      return v >>> 0;
    }
    if (sgi === 0x80 || sgi === 0x100 || sgi === 0x180 || sgi === 0x200 || sgi === 0x280 || sgi === 0x300 || sgi === 0x380) {
      return core.readBlock(cpu, sgi, 0) ?? 0;
    }
    if (sgi === 0xc00) return core.readBlock(cpu, 0xc00, 0) ?? 0;
    if (sgi === 0xc04) return core.readBlock(cpu, 0xc04, 16) ?? 0;
    return 0;
  }

  private redistWrite(cpu: number, off: number, value: number): void {
    const core = this.core;
    if (off === 0x0014) {
      // GICR_WAKER: ChildrenAsleep follows ProcessorSleep immediately (IHI 0069 12.11.40).
      const sleep = value & WAKER_PROCESSOR_SLEEP;
      this.waker[cpu] = sleep ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
      return;
    }
    const lpis = this.lpis;
    if (lpis && off < 0x10000) {
      // The base registers stay writable with LPIs on (QEMU keeps every bit as written).
      switch (off) {
        case 0x0000: lpis.writeEnable(cpu, (value & GICR_CTLR_ENABLE_LPIS) !== 0); return;
        case GICR_PROPBASER: lpis.propLo[cpu] = value; return;
        case GICR_PROPBASER + 4: lpis.propHi[cpu] = value; return;
        case GICR_PENDBASER: lpis.pendLo[cpu] = value; return;
        case GICR_PENDBASER + 4: lpis.pendHi[cpu] = value; return;
      }
    }
    if (off < 0x10000) return;
    const sgi = off - 0x10000;
    if (sgi >= 0x400 && sgi < 0x420) {
      for (let b = 0; b < 4; b++) core.writePriorityByte(cpu, sgi - 0x400 + b, value >>> (8 * b));
    } else if (sgi === 0x80 || sgi === 0x100 || sgi === 0x180 || sgi === 0x200 || sgi === 0x280 || sgi === 0x300 || sgi === 0x380) {
      core.writeBlock(cpu, sgi, 0, value);
    } else if (sgi === 0xc04) {
      core.writeBlock(cpu, 0xc00, 16, value);
    } else return;
    core.update();
  }

  // ---------------- CPU interface system registers ----------------

  /** Generate SGIs from ICC_SGI0R/SGI1R (IHI 0069 12.11.25): target list within Aff3.Aff2.Aff1, or IRM = all but self. */
  sendSgi(from: number, lo: number, hi: number): void {
    const intid = (lo >>> 24) & 0xf;
    const irm = (hi >>> 8) & 1;
    const targetList = lo & 0xffff;
    const aff1 = (lo >>> 16) & 0xff, aff2 = hi & 0xff, aff3 = (hi >>> 16) & 0xff, rs = (hi >>> 12) & 0xf;
    for (let c = 0; c < this.ncpu; c++) {
      const a = this.affinities[c];
      let hit: boolean;
      if (irm) hit = c !== from;
      else {
        const aff0 = a & 0xff;
        hit = ((a >>> 8) & 0xff) === aff1 && ((a >>> 16) & 0xff) === aff2 && ((a >>> 24) & 0xff) === aff3 &&
          (aff0 >> 4) === rs && (targetList & (1 << (aff0 & 15))) !== 0;
      }
      if (hit) this.core.latch[this.core.slot(c, intid)] = 1;
    }
    this.core.update();
  }

  /**
   * The ICC_*_EL1 system registers. `cpuInterfaceOf` binds a CPU to the GIC and CPU-interface
   * index that answer it (default: this GIC, the CPU's own index): a partitioning hypervisor
   * binds its partitions' vCPUs to their own GIC model, as a virtual CPU interface backs a
   * guest's accesses on hardware (IHI 0069, chapter 6).
   *
   * With `virtual` (the CPUs implement EL2) the GIC also has the architectural virtual CPU
   * interface: ICH_*_EL2 for EL2 software, and ICC_* at Non-secure EL1 acting as ICV_* when
   * HCR_EL2.IMO/FMO say so. A CPU bound by `cpuInterfaceOf` is already virtualised by its
   * hypervisor, so its accesses never go to ICV_* and nothing traps for it.
   */
  defineSysRegs(t: SysRegTable, cpuInterfaceOf?: (cpu: Cpu) => { gic: GicV3; index: number } | undefined,
    virtual?: { maintenanceIntid: number }): void {
    const self = this;
    const at = (cpu: Cpu): { gic: GicV3; index: number } => cpuInterfaceOf?.(cpu) ?? { gic: self, index: cpu.index };
    const ret = (cpu: Cpu, v: number) => { cpu.srLo = v | 0; cpu.srHi = 0; };
    const vif = virtual ? this.createVirtualInterface(t, virtual.maintenanceIntid, cpuInterfaceOf) : undefined;
    const unbound = (cpu: Cpu) => vif !== undefined && cpu.el === 1 && !cpuInterfaceOf?.(cpu);
    /**
     * Which ICC_* accesses are ICV_* ones (QEMU's icv_access): at Non-secure EL1 with FMO for the
     * group-0 registers, IMO for group 1, either for the common ones. hcrLo() is 0 unless EL2 is
     * enabled, i.e. in Non-secure state.
     */
    const toIcv = (cpu: Cpu, hcrBits: number) => unbound(cpu) && (cpu.hcrLo() & hcrBits) !== 0;
    /**
     * Traps to EL2 at Non-secure EL1 (QEMU's gicv3_fiq_access, gicv3_irq_access,
     * gicv3_irqfiq_access, gicv3_dir_access, gicv3_sgi_access; IHI 0069 12.5.4 ICH_HCR_EL2):
     * TALL0 for the group-0 registers, TALL1 for group 1, TC for the common ones, TDIR (then TC)
     * for DIR; SGI generation whenever IMO or FMO is set.
     */
    const trapFor = (kind: IccKind) => (cpu: Cpu): number => {
      if (!unbound(cpu) || !cpu.el2Enabled) return 0;
      const ich = vif!.hcr[cpu.index];
      switch (kind) {
        case "g0": return ich & IchHcr.TALL0 ? 2 : 0;
        case "g1": return ich & IchHcr.TALL1 ? 2 : 0;
        case "common": return ich & IchHcr.TC ? 2 : 0;
        case "dir": return ich & (IchHcr.TDIR | IchHcr.TC) ? 2 : 0;
        case "sgi": return cpu.hcrLo() & (HCR_EL2.IMO | HCR_EL2.FMO) ? 2 : 0;
      }
    };
    const icvMask = (kind: IccKind) => kind === "g0" ? HCR_EL2.FMO : kind === "g1" ? HCR_EL2.IMO : HCR_EL2.IMO | HCR_EL2.FMO;
    const def = (name: string, crn: number, crm: number, op2: number, read?: (g: GicV3, i: number) => number,
      write?: (g: GicV3, i: number, lo: number, hi: number) => void, op1 = 0, kind?: IccKind,
      icv?: { read?: (c: number) => number; write?: (c: number, lo: number) => void }) => {
      const mask = kind ? icvMask(kind) : 0;
      const vRead = icv?.read, vWrite = icv?.write;
      t.define({
        name, op0: 3, op1, crn, crm, op2,
        readOnly: !write, writeOnly: !read,
        read: read ? (cpu) => {
          if (vRead && toIcv(cpu, mask)) { ret(cpu, vRead(cpu.index)); return; }
          const s = at(cpu); ret(cpu, read(s.gic, s.index));
        } : undefined,
        write: write ? (cpu, lo, hi) => {
          if (vWrite && toIcv(cpu, mask)) { vWrite(cpu.index, lo); return; }
          const s = at(cpu); write(s.gic, s.index, lo, hi);
        } : () => {},
        accessTrap: vif && kind ? trapFor(kind) : undefined,
      });
    };
    const ackAndUpdate = (g: GicV3, i: number, group: number) => { const id = g.core.acknowledge(i, group); g.core.update(); return id; };
    const eoi = (g: GicV3, i: number, lo: number) => {
      g.core.dropPriority(i);
      if (!g.core.eoiMode[i]) g.core.deactivate(i, lo & 0xffffff);
      g.core.update();
    };
    const hppi = (g: GicV3, i: number, group: number) => {
      g.core.computeHppi(i);
      return g.core.hppiId[i] !== SPECIAL_NONE && g.core.hppiGroup[i] === group ? g.core.hppiId[i] : SPECIAL_NONE;
    };
    def("ICC_PMR_EL1", 4, 6, 0, (g, i) => g.core.pmr[i], (g, i, lo) => { g.core.pmr[i] = lo & g.core.priorityMask; g.core.update(); },
      0, "common", { read: (c) => vif!.readPmr(c), write: (c, lo) => vif!.writePmr(c, lo) });
    def("ICC_IAR0_EL1", 12, 8, 0, (g, i) => ackAndUpdate(g, i, 0), undefined, 0, "g0", { read: (c) => vif!.acknowledge(c, 0) });
    def("ICC_EOIR0_EL1", 12, 8, 1, undefined, (g, i, lo) => eoi(g, i, lo), 0, "g0", { write: (c, lo) => vif!.endOfInterrupt(c, 0, lo) });
    def("ICC_HPPIR0_EL1", 12, 8, 2, (g, i) => hppi(g, i, 0), undefined, 0, "g0", { read: (c) => vif!.hppir(c, 0) });
    def("ICC_BPR0_EL1", 12, 8, 3, (g, i) => g.core.bpr0[i],
      (g, i, lo) => { g.core.bpr0[i] = Math.max(g.core.minBpr0, lo & 7); g.core.update(); },
      0, "g0", { read: (c) => vif!.readBpr(c, 0), write: (c, lo) => vif!.writeBpr(c, 0, lo) });
    def("ICC_AP0R0_EL1", 12, 8, 4, (g, i) => g.core.activePriorityBits(i, 0),
      (g, i, lo) => { g.core.setActivePriorityBits(i, 0, lo); g.core.update(); },
      0, "g0", { read: (c) => vif!.readApr(c, 0), write: (c, lo) => vif!.writeApr(c, 0, lo) });
    def("ICC_AP1R0_EL1", 12, 9, 0, (g, i) => g.core.activePriorityBits(i, 1),
      (g, i, lo) => { g.core.setActivePriorityBits(i, 1, lo); g.core.update(); },
      0, "g1", { read: (c) => vif!.readApr(c, 1), write: (c, lo) => vif!.writeApr(c, 1, lo) });
    def("ICC_DIR_EL1", 12, 11, 1, undefined, (g, i, lo) => { g.core.deactivate(i, lo & 0xffffff); g.core.update(); },
      0, "dir", { write: (c, lo) => vif!.deactivate(c, lo) });
    def("ICC_RPR_EL1", 12, 11, 3, (g, i) => g.core.runningPriority(i), undefined, 0, "common", { read: (c) => vif!.runningPriority(c) });
    def("ICC_SGI1R_EL1", 12, 11, 5, undefined, (g, i, lo, hi) => g.sendSgi(i, lo, hi), 0, "sgi");
    def("ICC_ASGI1R_EL1", 12, 11, 6, undefined, () => {}, 0, "sgi"); // targets the other security state: none here
    def("ICC_SGI0R_EL1", 12, 11, 7, undefined, (g, i, lo, hi) => g.sendSgi(i, lo, hi), 0, "sgi");
    def("ICC_IAR1_EL1", 12, 12, 0, (g, i) => ackAndUpdate(g, i, 1), undefined, 0, "g1", { read: (c) => vif!.acknowledge(c, 1) });
    def("ICC_EOIR1_EL1", 12, 12, 1, undefined, (g, i, lo) => eoi(g, i, lo), 0, "g1", { write: (c, lo) => vif!.endOfInterrupt(c, 1, lo) });
    def("ICC_HPPIR1_EL1", 12, 12, 2, (g, i) => hppi(g, i, 1), undefined, 0, "g1", { read: (c) => vif!.hppir(c, 1) });
    def("ICC_BPR1_EL1", 12, 12, 3, (g, i) => (g.cbpr[i] ? Math.min(g.core.bpr0[i] + 1, 7) : g.core.bpr1[i]),
      (g, i, lo) => { if (!g.cbpr[i]) { g.core.bpr1[i] = Math.max(g.core.minBpr0 + 1, lo & 7); g.core.update(); } },
      0, "g1", { read: (c) => vif!.readBpr(c, 1), write: (c, lo) => vif!.writeBpr(c, 1, lo) });
    // ICC_CTLR_EL1: A3V (15), IDbits 1 (24 bits, as QEMU's icc_reset gives it), PRIbits = bits - 1
    // (10:8), EOImode (1), CBPR (0).
    def("ICC_CTLR_EL1", 12, 12, 4,
      (g, i) => (1 << 15) | (1 << 11) | ((PRIORITY_BITS - 1) << 8) | (g.core.eoiMode[i] << 1) | g.cbpr[i],
      (g, i, lo) => { g.core.eoiMode[i] = (lo >> 1) & 1; g.cbpr[i] = lo & 1; },
      0, "common", { read: (c) => vif!.readCtlr(c), write: (c, lo) => vif!.writeCtlr(c, lo) });
    // SRE is RAO/WI: this GIC has no memory-mapped CPU interface (QEMU likewise).
    def("ICC_SRE_EL1", 12, 12, 5, (g, i) => g.sre[i], () => {});
    def("ICC_IGRPEN0_EL1", 12, 12, 6, (g, i) => g.core.grpEn0[i], (g, i, lo) => { g.core.grpEn0[i] = lo & 1; g.core.update(); },
      0, "g0", { read: (c) => vif!.readGroupEnable(c, 0), write: (c, lo) => vif!.writeGroupEnable(c, 0, lo) });
    def("ICC_IGRPEN1_EL1", 12, 12, 7, (g, i) => g.core.grpEn1[i], (g, i, lo) => { g.core.grpEn1[i] = lo & 1; g.core.update(); },
      0, "g1", { read: (c) => vif!.readGroupEnable(c, 1), write: (c, lo) => vif!.writeGroupEnable(c, 1, lo) });
    // EL2/EL3 SRE: SRE, DFB, DIB RAO and Enable (lower ELs may use ICC_SRE_EL1).
    def("ICC_SRE_EL2", 12, 9, 5, () => 0xf, () => {}, 4);
    def("ICC_SRE_EL3", 12, 12, 5, () => 0xf, () => {}, 6);
  }

  /** The virtual CPU interface, present when the CPUs implement EL2. */
  virtualInterface: GicV3VirtualCpuInterface | undefined;

  private createVirtualInterface(t: SysRegTable, maintenanceIntid: number,
    cpuInterfaceOf?: (cpu: Cpu) => { gic: GicV3; index: number } | undefined): GicV3VirtualCpuInterface {
    const vif = new GicV3VirtualCpuInterface(this.ncpu, {
      // A CPU a hypervisor model binds has its virtual lines driven by that model instead.
      cpu: (i) => { const cpu = this.cpus[i]; return cpu && !cpuInterfaceOf?.(cpu) ? cpu : undefined; },
      maintenance: (i, level) => this.setInput(i, maintenanceIntid, level),
      deactivatePhysical: (i, intid) => { this.core.deactivate(i, intid); this.core.update(); },
    });
    vif.defineSysRegs(t, (cpu) => cpu.index);
    this.virtualInterface = vif;
    return vif;
  }
}

/** Which virtual-interface rules an ICC_* register follows: its group, common, DIR, or SGI generation. */
type IccKind = "g0" | "g1" | "common" | "dir" | "sgi";
