/**
 * The virtio-pci transport (virtio 1.2 section 4.1) as QEMU 7.2's hw/virtio/virtio-pci.c gives
 * it to a device on virt's root bus pcie.0: disable-legacy=auto leaves legacy on there (only a
 * device behind a PCIe port is modern-only), so every device is transitional:
 *   IDs 1af4:1000 + n (net 1000, block 1001, console 1003, entropy 1005), revision 0, subsystem
 *   1af4:<virtio device ID>, the class of its kind, interrupt pin INTA;
 *   BAR0 the legacy I/O interface (4.1.4.8), 24 bytes of registers with MSI-X then the device
 *   configuration, rounded up to a power of two;
 *   BAR1 MSI-X (msix_init_exclusive_bar), BAR4 the modern interface, 64-bit prefetchable,
 *   16 KiB: common configuration at 0, ISR at 0x1000, device configuration at 0x2000,
 *   notifications at 0x3000 (4 bytes per queue, notify_off_multiplier 4);
 *   capabilities added common, ISR, device, notify, PCI configuration access, then MSI-X, each
 *   at the head of the list (so the list reads MSI-X 0x98, access 0x84, notify 0x70, device
 *   0x60, ISR 0x50, common 0x40).
 * Interrupts: with MSI-X on, each queue's and the configuration's vector (none: 0xffff); with it
 * off, INTx follows ISR bit 0 (virtio_pci_notify). Reading ISR clears it and the line.
 */
import type { MmioDevice } from "../../memory/bus.js";
import { Msix } from "../pci/msix.js";
import { PciFunction } from "../pci/pci-function.js";
import { bit, type VirtioDevice } from "./device.js";
import type { GuestMemory } from "./guest-memory.js";
import { STATUS, VirtioTransport } from "./transport.js";

const VENDOR_REDHAT_QUMRANET = 0x1af4;
const CAP_VENDOR = 0x09;
/** 4.1.4: virtio_pci_cap cfg_type. */
const CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4, CFG_PCI = 5;
const MODERN_BAR = 4, MSIX_BAR = 1, LEGACY_BAR = 0;
const REGION_SIZE = 0x1000, COMMON_AT = 0x0000, ISR_AT = 0x1000, DEVICE_AT = 0x2000, NOTIFY_AT = 0x3000;
const NOTIFY_MULTIPLIER = 4;
export const NO_VECTOR = 0xffff;
/** QEMU's VIRTIO_QUEUE_MAX: queue_select takes values below it. */
const QUEUE_SELECT_MAX = 1024;

/** Per virtio device ID: the transitional PCI device ID and the class code (virtio 4.1.2.1, QEMU's *-pci class_init). */
const KINDS: Record<number, { pciDevice: number; classCode: number }> = {
  1: { pciDevice: 0x1000, classCode: 0x020000 }, // network controller: Ethernet
  2: { pciDevice: 0x1001, classCode: 0x010000 }, // mass storage: SCSI (PCI_CLASS_STORAGE_SCSI)
  3: { pciDevice: 0x1003, classCode: 0x078000 }, // communication: other
  4: { pciDevice: 0x1005, classCode: 0x00ff00 }, // PCI_CLASS_OTHERS
};

/** 4.1.4.3: common configuration fields. */
const COMMON = {
  DFSELECT: 0x00, DF: 0x04, GFSELECT: 0x08, GF: 0x0c, MSIX: 0x10, NUMQ: 0x12, STATUS: 0x14, CFGGENERATION: 0x15,
  Q_SELECT: 0x16, Q_SIZE: 0x18, Q_MSIX: 0x1a, Q_ENABLE: 0x1c, Q_NOFF: 0x1e,
  Q_DESCLO: 0x20, Q_DESCHI: 0x24, Q_AVAILLO: 0x28, Q_AVAILHI: 0x2c, Q_USEDLO: 0x30, Q_USEDHI: 0x34,
  /** virtio 1.2 4.1.4.3: queue_reset, with VIRTIO_F_RING_RESET. */
  Q_RESET: 0x3a,
} as const;

/** virtio 1.2 section 6: the driver may reset one queue (QEMU 7.2's queue_reset, on by default). */
const VIRTIO_F_RING_RESET = 40n;

/** 4.1.4.8: the legacy interface's registers (the configuration follows at 20, or 24 with MSI-X). */
const LEGACY = { HOST_FEATURES: 0, GUEST_FEATURES: 4, QUEUE_PFN: 8, QUEUE_NUM: 12, QUEUE_SEL: 14, QUEUE_NOTIFY: 16, STATUS: 18, ISR: 19, CONFIG_VECTOR: 20, QUEUE_VECTOR: 22, CONFIG: 24 } as const;
const LEGACY_PAGE = 4096, LEGACY_ALIGN = 4096;

const ISR_QUEUE = 1, ISR_CONFIG = 2;

/** What the driver set up for one queue through the modern interface before enabling it. */
interface QueueSetup { size: number; enabled: boolean; desc: [number, number]; avail: [number, number]; used: [number, number]; vector: number }

const pow2ceil = (n: number) => 1 << Math.ceil(Math.log2(Math.max(n, 1)));
const addr64 = (w: [number, number]) => w[1] >= 0x200000 ? Number.MAX_SAFE_INTEGER : w[1] * 0x100000000 + w[0];

/** The registers and rings of one virtio-pci device. */
class VirtioPciTransport extends VirtioTransport {
  legacy = false;
  isr = 0;
  configVector = NO_VECTOR;
  generation = 0;
  deviceFeaturesSel = 0;
  driverFeaturesSel = 0;
  queueSel = 0;
  readonly setup: QueueSetup[];

  constructor(device: VirtioDevice, mem: GuestMemory, private readonly fn: VirtioPciFunction) {
    super(device, mem);
    this.setup = this.queues.map((_, i) => this.initialSetup(i));
    for (const [i, q] of this.queues.entries()) q.size = this.setup[i].size;
  }

  private initialSetup(i: number): QueueSetup {
    return { size: this.device!.queueSize?.(i) ?? 256, enabled: false, desc: [0, 0], avail: [0, 0], used: [0, 0], vector: NO_VECTOR };
  }

  /** A driver's read of the low or high word of the device's features. */
  deviceFeatureWord(sel: number): number {
    return sel > 1 ? 0 : Number((this.offeredFeaturesModern >> BigInt(32 * sel)) & 0xffffffffn);
  }

  /** The modern interface also offers queue reset (its queue_reset register). */
  override get offeredFeatures(): bigint {
    const f = super.offeredFeatures;
    return this.legacy || !this.device ? f : f | bit(VIRTIO_F_RING_RESET);
  }

  /** 4.1.4.3.2 queue_reset: the queue stops and forgets its ring, its size and vector go back to their defaults. */
  resetQueue(i: number): void {
    const q = this.queues[i], eventIdx = q.eventIdx;
    q.reset();
    q.eventIdx = eventIdx;
    this.setup[i] = this.initialSetup(i);
    q.size = this.setup[i].size;
  }

  /** The modern interface offers VERSION_1 whichever interface was used last. */
  get offeredFeaturesModern(): bigint {
    const was = this.legacy;
    this.legacy = false;
    const f = this.offeredFeatures;
    this.legacy = was;
    return f;
  }

  driverFeatureWord(sel: number): number {
    return this.driverFeatures[sel];
  }

  setDriverFeatureWord(sel: number, value: number): void {
    this.driverFeatures[sel] = value >>> 0;
  }

  /** The legacy interface's 32 feature bits (no VERSION_1 there). */
  legacyFeatureWord(): number {
    return Number(this.offeredFeatures & 0xffffffffn);
  }

  modernWriteStatus(value: number): void {
    this.legacy = false;
    this.writeStatus(value);
  }

  legacyWriteFeatures(value: number): void {
    this.legacy = true;
    this.acceptFeatures(BigInt(value >>> 0) & this.offeredFeatures);
  }

  legacyWriteStatus(value: number): void {
    this.legacy = true;
    this.writeStatus(value);
  }

  override reset(): void {
    super.reset();
    this.legacy = false;
    this.isr = 0;
    this.configVector = NO_VECTOR;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.queueSel = 0;
    for (const [i, q] of this.queues.entries()) { this.setup[i] = this.initialSetup(i); q.size = this.setup[i].size; }
    this.fn.intx(false);
  }

  /** queue_enable (4.1.4.3.2): the ring the driver described goes live. */
  enableQueue(i: number): void {
    const q = this.queues[i], s = this.setup[i];
    q.size = s.size;
    q.desc = addr64(s.desc); q.avail = addr64(s.avail); q.used = addr64(s.used);
    q.ready = s.size > 0;
    s.enabled = true;
  }

  /** 4.1.4.8: a legacy driver's queue page number; the rings lie after each other at 4 KiB alignment. */
  legacyPlaceQueue(i: number, pfn: number): void {
    const q = this.queues[i];
    this.legacy = true;
    if (pfn === 0) { q.reset(); q.size = this.setup[i].size; return; }
    q.size = this.setup[i].size;
    q.desc = pfn * LEGACY_PAGE;
    q.avail = q.desc + 16 * q.size;
    q.used = Math.ceil((q.avail + 6 + 2 * q.size) / LEGACY_ALIGN) * LEGACY_ALIGN;
    q.ready = true;
  }

  notifyQueue(i: number): void {
    if (i < this.queues.length) this.notify(i);
  }

  readIsr(): number {
    const v = this.isr;
    this.isr = 0;
    this.fn.intx(false);
    return v;
  }

  protected usedBuffers(index: number): void {
    this.isr |= ISR_QUEUE;
    this.signal(this.setup[index].vector);
  }

  /** virtio_notify_config: the generation moves on, ISR takes both bits (QEMU sets 0x3). */
  protected configInterrupt(): void {
    this.generation = (this.generation + 1) & 0xff;
    this.isr |= ISR_QUEUE | ISR_CONFIG;
    this.signal(this.configVector);
  }

  private signal(vector: number): void {
    if (this.fn.msix.enabled) { if (vector !== NO_VECTOR) this.fn.msix.notify(vector); }
    else this.fn.intx((this.isr & ISR_QUEUE) !== 0);
  }

  config(offset: number, size: number): number { return this.readConfig(offset, size); }
  setConfig(offset: number, size: number, value: number): void { this.writeConfig(offset, size, value); }
}

/** A virtio device as a PCI function: its identity, capabilities and BARs. */
export class VirtioPciFunction extends PciFunction {
  readonly transport: VirtioPciTransport;
  readonly msix: Msix;
  private readonly pciCfgCap: number;

  constructor(device: VirtioDevice, mem: GuestMemory, vectors: number) {
    const kind = KINDS[device.deviceId];
    if (!kind) throw new RangeError(`no virtio-pci identity for virtio device ${device.deviceId}`);
    super("virtio-pci", {
      vendor: VENDOR_REDHAT_QUMRANET, device: kind.pciDevice, classCode: kind.classCode,
      subsystemVendor: VENDOR_REDHAT_QUMRANET, subsystemId: device.deviceId, interruptPin: 1,
    });
    this.transport = new VirtioPciTransport(device, mem, this);
    const modern: MmioDevice = {
      name: "virtio-pci-modern",
      read: (offset, size) => this.modernRead(offset, size),
      write: (offset, size, value) => this.modernWrite(offset, size, value),
    };
    // The capabilities in QEMU's order (virtio_pci_modern_regions_init, then virtio_pci_device_plugged).
    this.vendorCap(CFG_COMMON, MODERN_BAR, COMMON_AT, REGION_SIZE);
    this.vendorCap(CFG_ISR, MODERN_BAR, ISR_AT, REGION_SIZE);
    this.vendorCap(CFG_DEVICE, MODERN_BAR, DEVICE_AT, REGION_SIZE);
    const notify = this.vendorCap(CFG_NOTIFY, MODERN_BAR, NOTIFY_AT, QUEUE_SELECT_MAX * NOTIFY_MULTIPLIER, 4);
    this.view.setUint32(notify + 16, NOTIFY_MULTIPLIER, true);
    // 4.1.4.9: the PCI configuration access capability: bar, offset, length and the data window writable.
    const cfg = this.pciCfgCap = this.vendorCap(CFG_PCI, 0, 0, 0, 4);
    this.wmask[cfg + 4] = 0xff;
    this.wmask.fill(0xff, cfg + 8, cfg + 20);
    this.msix = new Msix(this, vectors, MSIX_BAR, (address, data) => this.sendMsi(address, data));
    const legacySize = pow2ceil(LEGACY.CONFIG + device.config.length);
    this.registerBar(LEGACY_BAR, {
      kind: "io", prefetchable: false, size: legacySize,
      region: { name: "virtio-pci-legacy", read: (o, s) => this.legacyRead(o, s), write: (o, s, v) => this.legacyWrite(o, s, v) },
    });
    this.registerBar(MSIX_BAR, { kind: "mem32", prefetchable: false, size: this.msix.barSize, region: this.msix });
    this.registerBar(MODERN_BAR, { kind: "mem64", prefetchable: true, size: 4 * REGION_SIZE, region: modern });
  }

  /** struct virtio_pci_cap (16 bytes, plus `extra` for notify's multiplier and the access window). */
  private vendorCap(type: number, bar: number, offset: number, length: number, extra = 0): number {
    const at = this.addCapability(CAP_VENDOR, 16 + extra), v = this.view;
    this.config[at + 2] = 16 + extra;
    this.config[at + 3] = type;
    this.config[at + 4] = bar;
    v.setUint32(at + 8, offset, true);
    v.setUint32(at + 12, length, true);
    return at;
  }

  intx(level: boolean): void {
    this.setIntx(level);
  }

  /** 4.1.4.9: a read of pci_cfg_data reads the BAR through the window the driver set. */
  override configRead(reg: number, size: number): number {
    const data = this.pciCfgCap + 16;
    if (reg < data + 4 && reg + size > data) {
      const window = this.cfgWindow();
      if (window) this.view.setUint32(data, window.read(), true);
    }
    return super.configRead(reg, size);
  }

  protected override configWritten(reg: number, size: number): void {
    const data = this.pciCfgCap + 16;
    if (reg < data + 4 && reg + size > data) this.cfgWindow()?.write(this.view.getUint32(data, true));
    this.msix.configWritten(reg, size);
  }

  /** The access capability's window: the modern BAR only, 1, 2 or 4 aligned bytes (QEMU's checks). */
  private cfgWindow(): { read(): number; write(v: number): void } | undefined {
    const at = this.pciCfgCap, v = this.view;
    const bar = this.config[at + 4], offset = v.getUint32(at + 8, true), length = v.getUint32(at + 12, true);
    if (bar !== MODERN_BAR || ![1, 2, 4].includes(length) || offset % length !== 0 || offset + length > 4 * REGION_SIZE) return undefined;
    const mask = length === 4 ? 0xffffffff : (1 << (8 * length)) - 1;
    return { read: () => this.modernRead(offset, length), write: (value) => this.modernWrite(offset, length, (value & mask) >>> 0) };
  }

  private modernRead(offset: number, size: number): number {
    const t = this.transport;
    if (offset < COMMON_AT + REGION_SIZE) return truncate(this.commonRead(offset - COMMON_AT), size);
    if (offset < ISR_AT + REGION_SIZE) return offset === ISR_AT ? t.readIsr() : 0;
    if (offset < DEVICE_AT + REGION_SIZE) return t.config(offset - DEVICE_AT, size);
    return 0; // notifications are write-only
  }

  private modernWrite(offset: number, size: number, value: number): void {
    const t = this.transport;
    if (offset < COMMON_AT + REGION_SIZE) this.commonWrite(offset - COMMON_AT, value >>> 0);
    else if (offset < ISR_AT + REGION_SIZE) return;
    else if (offset < DEVICE_AT + REGION_SIZE) t.setConfig(offset - DEVICE_AT, size, value);
    // virtio_pci_notify_write: the queue is the one whose slot was written, whatever the value.
    else t.notifyQueue(Math.floor((offset - NOTIFY_AT) / NOTIFY_MULTIPLIER));
  }

  private get queueSetup(): QueueSetup | undefined {
    return this.transport.setup[this.transport.queueSel];
  }

  private commonRead(reg: number): number {
    const t = this.transport, s = this.queueSetup;
    switch (reg) {
      case COMMON.DFSELECT: return t.deviceFeaturesSel;
      case COMMON.DF: return t.deviceFeatureWord(t.deviceFeaturesSel);
      case COMMON.GFSELECT: return t.driverFeaturesSel;
      case COMMON.GF: return t.driverFeaturesSel <= 1 ? t.driverFeatureWord(t.driverFeaturesSel) : 0;
      case COMMON.MSIX: return t.configVector;
      case COMMON.NUMQ: return t.queues.length;
      case COMMON.STATUS: return t.status;
      case COMMON.CFGGENERATION: return t.generation;
      case COMMON.Q_SELECT: return t.queueSel;
      case COMMON.Q_SIZE: return s ? t.queues[t.queueSel].size : 0;
      case COMMON.Q_MSIX: return s ? s.vector : NO_VECTOR;
      case COMMON.Q_ENABLE: return s?.enabled ? 1 : 0;
      case COMMON.Q_NOFF: return t.queueSel; // notify_off: the queue's own index
      case COMMON.Q_DESCLO: return s?.desc[0] ?? 0;
      case COMMON.Q_DESCHI: return s?.desc[1] ?? 0;
      case COMMON.Q_AVAILLO: return s?.avail[0] ?? 0;
      case COMMON.Q_AVAILHI: return s?.avail[1] ?? 0;
      case COMMON.Q_USEDLO: return s?.used[0] ?? 0;
      case COMMON.Q_USEDHI: return s?.used[1] ?? 0;
      case COMMON.Q_RESET: return 0; // the reset is done by the time the write returns
      default: return 0;
    }
  }

  private commonWrite(reg: number, value: number): void {
    const t = this.transport, s = this.queueSetup;
    switch (reg) {
      case COMMON.DFSELECT: t.deviceFeaturesSel = value; break;
      case COMMON.GFSELECT: t.driverFeaturesSel = value; break;
      case COMMON.GF: if (t.driverFeaturesSel <= 1) t.setDriverFeatureWord(t.driverFeaturesSel, value); break;
      case COMMON.MSIX: t.configVector = this.vector(value & 0xffff); break;
      case COMMON.STATUS: t.modernWriteStatus(value & 0xff); break;
      case COMMON.Q_SELECT: if ((value & 0xffff) < QUEUE_SELECT_MAX) t.queueSel = value & 0xffff; break;
      case COMMON.Q_SIZE: if (s && (value & 0xffff) <= 1024) s.size = value & 0xffff; break;
      case COMMON.Q_MSIX: if (s) s.vector = this.vector(value & 0xffff); break;
      case COMMON.Q_ENABLE:
        if (!s) break;
        // QEMU: any value but 1 is the driver's error (virtio_error): the device needs a reset.
        if ((value & 0xffff) === 1) t.enableQueue(t.queueSel);
        else t.status |= STATUS.DEVICE_NEEDS_RESET;
        break;
      case COMMON.Q_DESCLO: if (s) s.desc[0] = value; break;
      case COMMON.Q_DESCHI: if (s) s.desc[1] = value; break;
      case COMMON.Q_AVAILLO: if (s) s.avail[0] = value; break;
      case COMMON.Q_AVAILHI: if (s) s.avail[1] = value; break;
      case COMMON.Q_USEDLO: if (s) s.used[0] = value; break;
      case COMMON.Q_USEDHI: if (s) s.used[1] = value; break;
      case COMMON.Q_RESET: if (s && (value & 0xffff) === 1) t.resetQueue(t.queueSel); break;
      default: break;
    }
  }

  /** A vector the function has, else NO_VECTOR (the driver reads it back to learn it failed). */
  private vector(v: number): number {
    return v < this.msix.vectors ? v : NO_VECTOR;
  }

  private legacyRead(offset: number, size: number): number {
    const t = this.transport;
    const configAt = this.msix.enabled ? LEGACY.CONFIG : LEGACY.CONFIG_VECTOR;
    if (offset >= configAt) return t.config(offset - configAt, size);
    const q = t.queues[t.queueSel];
    let v: number;
    switch (offset) {
      case LEGACY.HOST_FEATURES: v = t.legacyFeatureWord(); break;
      case LEGACY.GUEST_FEATURES: v = t.driverFeatureWord(0); break;
      case LEGACY.QUEUE_PFN: v = q ? Math.floor(q.desc / LEGACY_PAGE) : 0; break;
      case LEGACY.QUEUE_NUM: v = q ? q.size : 0; break;
      case LEGACY.QUEUE_SEL: v = t.queueSel; break;
      case LEGACY.STATUS: v = t.status; break;
      case LEGACY.ISR: v = t.readIsr(); break;
      case LEGACY.CONFIG_VECTOR: v = t.configVector; break;
      case LEGACY.QUEUE_VECTOR: v = t.setup[t.queueSel]?.vector ?? NO_VECTOR; break;
      default: v = 0;
    }
    return truncate(v, size);
  }

  private legacyWrite(offset: number, size: number, value: number): void {
    const t = this.transport;
    const configAt = this.msix.enabled ? LEGACY.CONFIG : LEGACY.CONFIG_VECTOR;
    if (offset >= configAt) { t.setConfig(offset - configAt, size, value); return; }
    switch (offset) {
      case LEGACY.GUEST_FEATURES: t.setDriverFeatureWord(0, value >>> 0); t.legacyWriteFeatures(value); break;
      case LEGACY.QUEUE_PFN: if (t.queues[t.queueSel]) t.legacyPlaceQueue(t.queueSel, value >>> 0); break;
      case LEGACY.QUEUE_SEL: if ((value & 0xffff) < QUEUE_SELECT_MAX) t.queueSel = value & 0xffff; break;
      case LEGACY.QUEUE_NOTIFY: t.notifyQueue(value & 0xffff); break;
      case LEGACY.STATUS: t.legacyWriteStatus(value & 0xff); break;
      case LEGACY.CONFIG_VECTOR: t.configVector = this.vector(value & 0xffff); break;
      case LEGACY.QUEUE_VECTOR: { const s = t.setup[t.queueSel]; if (s) s.vector = this.vector(value & 0xffff); break; }
      default: break;
    }
  }
}

function truncate(v: number, size: number): number {
  return size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
}

/**
 * The MSI-X vectors QEMU's *-pci devices have by default: virtio-net-pci 2 per queue pair plus
 * the control queue and the configuration (4 with one pair), virtio-blk-pci one per queue plus
 * the configuration, virtio-rng-pci and virtio-serial-pci 2.
 */
export function virtioPciVectors(device: VirtioDevice): number {
  if (device.deviceId === 1) return 4;
  if (device.deviceId === 2) return device.queueCount + 1;
  return 2;
}
