/**
 * The GICv3 Interrupt Translation Service (IHI 0069 chapter 6), as QEMU 7.2's
 * hw/intc/arm_gicv3_its.c models it for the virt board: physical LPIs only (no GICv4 vLPIs),
 * one 128 KiB region with the control frame (GITS_*) at 0 and the translation frame with
 * GITS_TRANSLATER at 0x10000.
 *
 * A write of EventID to GITS_TRANSLATER by device DeviceID (a PCI requester ID; 0 for a CPU)
 * looks up DeviceID in the device table, EventID in that device's interrupt translation table
 * (ITT) and the ITE's collection in the collection table, and makes the LPI pending on the
 * collection's redistributor (6.1, 6.2). Software fills the tables through the command queue
 * (6.3, 5.3 "ITS commands"). All three tables are in guest memory in QEMU's entry formats, which
 * the guest can read back:
 *   device table entry (8 bytes):       Valid [0], Size [5:1] (EventID bits - 1), ITT_addr >> 8 [49:6];
 *   collection table entry (8 bytes):   Valid [0], RDbase [16:1] (a processor number, PTA = 0);
 *   ITE (12 bytes):                     Valid [0], IntType [1] (1 = physical), INTID [25:2],
 *                                       ICID [47:32], vPEID [63:48]; then Doorbell [23:0] (1023).
 *
 * Command errors as QEMU: a table entry that cannot be read or written (not RAM) stalls the
 * queue (GITS_CREADR.Stalled, 6.3.2) until software moves CREADR; bad parameters skip the
 * command, and so does a command outside RAM, which reads as zeros. Commands run synchronously on the CWRITER write, so SYNC has
 * nothing to wait for.
 */
import type { MmioDevice } from "../memory/bus.js";
import type { GuestMemory } from "./virtio/guest-memory.js";
import type { GicV3Lpis } from "./gicv3-lpis.js";
import { FIRST_LPI, idRegister } from "./gic-core.js";

const GITS_CTLR = 0x0000, GITS_IIDR = 0x0004, GITS_TYPER = 0x0008, GITS_CBASER = 0x0080, GITS_CWRITER = 0x0088,
  GITS_CREADR = 0x0090, GITS_BASER = 0x0100, GITS_IDREGS = 0xffd0;
const TRANSLATION_FRAME = 0x10000, GITS_TRANSLATER = 0x0040;

const CTLR_ENABLED = 1, CTLR_QUIESCENT = 0x80000000;
/** QEMU's gicv3_iidr(): ARM's JEP106 code, revision 0. */
const IIDR_ARM = 0x43b;
/** PIDR/CIDR 0xFFD0-0xFFFC: QEMU's GICv3 table with PIDR0 = 0x94 (GICV3_PIDR0_ITS), ArchRev 3. */
const ITS_IDS = [0x44, 0x00, 0x00, 0x00, 0x94, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** QEMU ITS_ITT_ENTRY_SIZE, GITS_DTE_SIZE, GITS_CTE_SIZE. */
const ITE_SIZE = 12, DTE_SIZE = 8, CTE_SIZE = 8;
/** EventID, DeviceID and CollectionID widths: 16 bits each (QEMU ITS_IDBITS, ITS_DEVBITS, ITS_CIDBITS). */
const ID_BITS = 15, DEV_BITS = 15, CID_BITS = 15;
/** LPIs end at the GIC's 16 INTID bits. */
const INTID_LIMIT = 1 << 16;
const DOORBELL_NONE = 1023;

/**
 * GITS_TYPER (12.19.20): Physical [0], ITT_entry_size - 1 [7:4], ID_bits [12:8], Devbits
 * [17:13], PTA = 0 (collections target processor numbers); high word CIDbits [35:32], CIL [36].
 */
const TYPER_LO = (1 | ((ITE_SIZE - 1) << 4) | (ID_BITS << 8) | (DEV_BITS << 13)) >>> 0;
const TYPER_HI = CID_BITS | (1 << 4);

/** GITS_BASER<n>.Type (12.19.1) and the reset values QEMU gives BASER0 and BASER1: 64 KiB pages, 8-byte entries. */
const BASER_TYPE_DEVICE = 1, BASER_TYPE_COLLECTION = 4;
const BASER_PAGESIZE_64K = 2;
/** Read-only fields of the high word: Entry_Size [52:48] and Type [58:56]. */
const BASER_RO_HI = (0x1f << 16) | (7 << 24);
const BASER_COUNT = 8;

const CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05, CMD_MAPD = 0x08, CMD_MAPC = 0x09,
  CMD_MAPTI = 0x0a, CMD_MAPI = 0x0b, CMD_INV = 0x0c, CMD_INVALL = 0x0d, CMD_MOVALL = 0x0e, CMD_DISCARD = 0x0f;
const CMD_SIZE = 32;

/** What a command does to the queue (QEMU ItsCmdResult): stall it, or go on to the next command. */
const enum Result { Stall, Continue }

/** A table as GITS_BASER<n> described it when the ITS was enabled (QEMU TableDesc). */
interface Table { indirect: boolean; pageSize: number; entrySize: number; base: number; entries: number }

const NO_TABLE: Table = { indirect: false, pageSize: 0, entrySize: 0, base: 0, entries: 0 };

interface Dte { valid: boolean; size: number; itt: number }
interface Ite { valid: boolean; physical: boolean; intid: number; icid: number; vpeid: number; doorbell: number }

/** A 64-bit value as two 32-bit words. */
interface U64 { lo: number; hi: number }

export class GicV3Its implements MmioDevice {
  readonly name = "gicv3-its";
  private ctlr = CTLR_QUIESCENT;
  private cbaserLo = 0;
  private cbaserHi = 0;
  private cwriterLo = 0;
  private cwriterHi = 0;
  private creadrLo = 0;
  private creadrHi = 0;
  private readonly baserLo = new Uint32Array(BASER_COUNT);
  private readonly baserHi = new Uint32Array(BASER_COUNT);
  private deviceTable: Table = NO_TABLE;
  private collectionTable: Table = NO_TABLE;
  private queueBase = 0;
  private queueEntries = 0;

  constructor(private readonly lpis: GicV3Lpis, private readonly mem: GuestMemory, private readonly ncpu: number) {
    this.baserLo[0] = BASER_PAGESIZE_64K << 8;
    this.baserHi[0] = (BASER_TYPE_DEVICE << 24) | ((DTE_SIZE - 1) << 16);
    this.baserLo[1] = BASER_PAGESIZE_64K << 8;
    this.baserHi[1] = (BASER_TYPE_COLLECTION << 24) | ((CTE_SIZE - 1) << 16);
  }

  private get enabled(): boolean {
    return (this.ctlr & CTLR_ENABLED) !== 0;
  }

  // ---------------- registers ----------------

  read(offset: number, size: number): number {
    if (offset >= TRANSLATION_FRAME) return 0; // GITS_TRANSLATER is write-only, the rest RES0
    if (size !== 4) return 0; // 64-bit accesses arrive as two words; narrower ones are RAZ in QEMU
    if (offset >= GITS_BASER && offset < GITS_BASER + 8 * BASER_COUNT) {
      const n = (offset - GITS_BASER) >> 3;
      return offset & 4 ? this.baserHi[n] : this.baserLo[n];
    }
    if (offset >= GITS_IDREGS) return idRegister(ITS_IDS, GITS_IDREGS, offset);
    switch (offset) {
      case GITS_CTLR: return this.ctlr >>> 0;
      case GITS_IIDR: return IIDR_ARM;
      case GITS_TYPER: return TYPER_LO;
      case GITS_TYPER + 4: return TYPER_HI;
      case GITS_CBASER: return this.cbaserLo;
      case GITS_CBASER + 4: return this.cbaserHi;
      case GITS_CWRITER: return this.cwriterLo;
      case GITS_CWRITER + 4: return this.cwriterHi;
      case GITS_CREADR: return this.creadrLo;
      case GITS_CREADR + 4: return this.creadrHi;
      default: return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (offset >= TRANSLATION_FRAME) {
      // GITS_TRANSLATER takes 16- and 32-bit writes; a CPU's write has requester ID 0 (QEMU).
      if (offset - TRANSLATION_FRAME === GITS_TRANSLATER && (size === 2 || size === 4)) this.translate(0, value >>> 0);
      return;
    }
    if (size !== 4) return;
    value >>>= 0;
    if (offset >= GITS_BASER && offset < GITS_BASER + 8 * BASER_COUNT) {
      // BASER<n> are read-only while the ITS is enabled (QEMU's IMPDEF choice); BASER2-7 are RAZ/WI.
      const n = (offset - GITS_BASER) >> 3;
      if (this.enabled || (this.baserLo[n] === 0 && this.baserHi[n] === 0)) return;
      if (offset & 4) this.baserHi[n] = ((this.baserHi[n] & BASER_RO_HI) | (value & ~BASER_RO_HI)) >>> 0;
      else this.baserLo[n] = value;
      return;
    }
    switch (offset) {
      case GITS_CTLR:
        if (value & CTLR_ENABLED) {
          this.ctlr |= CTLR_ENABLED;
          this.readTableRegisters();
          this.readQueueRegister();
          this.processQueue();
        } else this.ctlr &= ~CTLR_ENABLED;
        return;
      case GITS_CBASER:
      case GITS_CBASER + 4:
        // CBASER is read-only while enabled; a write resets CREADR (QEMU).
        if (this.enabled) return;
        if (offset === GITS_CBASER) this.cbaserLo = value; else this.cbaserHi = value;
        this.creadrLo = 0; this.creadrHi = 0;
        return;
      case GITS_CWRITER:
        this.cwriterLo = (value & ~1) >>> 0; // Retry [0] is not kept
        if (this.cwriterLo !== this.creadrLo || this.cwriterHi !== this.creadrHi) this.processQueue();
        return;
      case GITS_CWRITER + 4:
        this.cwriterHi = value;
        return;
      case GITS_CREADR:
        // Writable with GICD_CTLR.DS = 1 (QEMU), which clears Stalled: the guest restarts a stalled queue.
        this.creadrLo = (value & ~1) >>> 0;
        return;
      case GITS_CREADR + 4:
        this.creadrHi = value;
        return;
    }
  }

  /** An MSI: device `deviceId` wrote `eventId` to GITS_TRANSLATER (ignored while the ITS is disabled). */
  translate(deviceId: number, eventId: number): void {
    if (this.enabled) this.trigger(deviceId, eventId, "translate");
  }

  // ---------------- tables ----------------

  /** QEMU extract_table_params, on enabling the ITS: the device and collection tables from BASER0/1. */
  private readTableRegisters(): void {
    this.deviceTable = NO_TABLE;
    this.collectionTable = NO_TABLE;
    for (let n = 0; n < BASER_COUNT; n++) {
      const lo = this.baserLo[n], hi = this.baserHi[n];
      if (lo === 0 && hi === 0) continue;
      const type = (hi >>> 24) & 7;
      if (type !== BASER_TYPE_DEVICE && type !== BASER_TYPE_COLLECTION) continue;
      // Not Valid: a table of no entries, so commands using it are skipped and MSIs ignored.
      if (!(hi >>> 31)) continue;
      const pageSizeField = (lo >>> 8) & 3;
      const pageSize = pageSizeField === 0 ? 0x1000 : pageSizeField === 1 ? 0x4000 : 0x10000;
      const pages = (lo & 0xff) + 1;
      const entrySize = ((hi >>> 16) & 0x1f) + 1;
      const indirect = ((hi >>> 30) & 1) !== 0;
      // Physical_Address: bits [47:12]; with 64 KiB pages bits [47:16] and [51:48] in BASER[15:12].
      const base = pageSize === 0x10000
        ? (hi & 0xffff) * 0x100000000 + ((lo & 0xffff0000) >>> 0) + ((lo >>> 12) & 0xf) * 2 ** 48
        : (hi & 0xffff) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
      let entries = indirect ? ((pages * pageSize) / 8) * Math.floor(pageSize / entrySize) : Math.floor((pages * pageSize) / entrySize);
      entries = Math.min(entries, 1 << 16); // DeviceID and CollectionID have 16 bits
      const table = { indirect, pageSize, entrySize, base, entries };
      if (type === BASER_TYPE_DEVICE) this.deviceTable = table; else this.collectionTable = table;
    }
  }

  /** QEMU extract_cmdq_params: the queue is (Size + 1) 4 KiB pages at CBASER's Physical_Address [51:12]. */
  private readQueueRegister(): void {
    this.queueBase = 0;
    this.queueEntries = 0;
    if (!(this.cbaserHi >>> 31)) return;
    this.queueEntries = (((this.cbaserLo & 0xff) + 1) * 0x1000) / CMD_SIZE;
    this.queueBase = (this.cbaserHi & 0xfffff) * 0x100000000 + ((this.cbaserLo & 0xfffff000) >>> 0);
  }

  private load64(pa: number): U64 | undefined {
    const b = this.mem.view(pa, 8);
    if (!b) return undefined;
    return { lo: (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0, hi: (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0 };
  }

  private store32(b: Uint8Array, at: number, v: number): void {
    b[at] = v; b[at + 1] = v >>> 8; b[at + 2] = v >>> 16; b[at + 3] = v >>> 24;
  }

  private store64(pa: number, lo: number, hi: number): boolean {
    const b = this.mem.writableView(pa, 8);
    if (!b) return false;
    this.store32(b, 0, lo); this.store32(b, 4, hi);
    return true;
  }

  /**
   * Address of entry `index` (QEMU table_entry_addr): flat, or through a level-1 table of 8-byte
   * descriptors (Valid [63], level-2 page address [50:0]). "none" when the level-1 entry is not
   * Valid, undefined when the level-1 table cannot be read.
   */
  private entryAddress(t: Table, index: number): number | "none" | undefined {
    if (!t.indirect) return t.base + index * t.entrySize;
    const l1 = this.load64(t.base + Math.floor(index / (t.pageSize / 8)) * 8);
    if (!l1) return undefined;
    if (!(l1.hi >>> 31)) return "none";
    const perPage = Math.floor(t.pageSize / t.entrySize);
    return (l1.hi & 0x7ffff) * 0x100000000 + l1.lo + (index % perPage) * t.entrySize;
  }

  /** Read a device table entry; undefined on a memory error (the command stalls). */
  private readDte(deviceId: number): Dte | undefined {
    const at = this.entryAddress(this.deviceTable, deviceId);
    if (at === undefined) return undefined;
    if (at === "none") return { valid: false, size: 0, itt: 0 };
    const v = this.load64(at);
    if (!v) return undefined;
    return { valid: (v.lo & 1) !== 0, size: (v.lo >>> 1) & 0x1f, itt: ((v.lo >>> 6) + (v.hi & 0x3ffff) * 2 ** 26) * 256 };
  }

  /** Write a device table entry (an invalid one as zero); false on a memory error. */
  private writeDte(deviceId: number, d: Dte): boolean {
    const at = this.entryAddress(this.deviceTable, deviceId);
    if (at === undefined) return false;
    if (at === "none") return true; // no level-2 table: the write is dropped (QEMU)
    if (!d.valid) return this.store64(at, 0, 0);
    const field = d.itt / 256;
    return this.store64(at, (1 | (d.size << 1) | ((field % 2 ** 26) << 6)) >>> 0, Math.floor(field / 2 ** 26) & 0x3ffff);
  }

  /** Read a collection table entry's target; undefined on a memory error, -1 if not valid. */
  private readCte(icid: number): number | undefined {
    const at = this.entryAddress(this.collectionTable, icid);
    if (at === undefined) return undefined;
    if (at === "none") return -1;
    const v = this.load64(at);
    if (!v) return undefined;
    return v.lo & 1 ? (v.lo >>> 1) & 0xffff : -1;
  }

  private writeCte(icid: number, valid: boolean, rdbase: number): boolean {
    const at = this.entryAddress(this.collectionTable, icid);
    if (at === undefined) return false;
    if (at === "none") return true;
    return this.store64(at, valid ? (1 | (rdbase << 1)) >>> 0 : 0, 0);
  }

  private readIte(d: Dte, eventId: number): Ite | undefined {
    const b = this.mem.view(d.itt + eventId * ITE_SIZE, ITE_SIZE);
    if (!b) return undefined;
    const w = (i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
    const lo = w(0), hi = w(4), h = w(8);
    return { valid: (lo & 1) !== 0, physical: (lo & 2) !== 0, intid: (lo >>> 2) & 0xffffff, icid: hi & 0xffff, vpeid: hi >>> 16, doorbell: h & 0xffffff };
  }

  private writeIte(d: Dte, eventId: number, e: Ite): boolean {
    const b = this.mem.writableView(d.itt + eventId * ITE_SIZE, ITE_SIZE);
    if (!b) return false;
    if (!e.valid) { b.fill(0); return true; }
    this.store32(b, 0, (1 | (e.physical ? 2 : 0) | (e.intid << 2)) >>> 0);
    this.store32(b, 4, (e.icid | (e.vpeid << 16)) >>> 0);
    this.store32(b, 8, e.doorbell & 0xffffff);
    return true;
  }

  // ---------------- commands ----------------

  /** QEMU process_cmdq: run commands from CREADR up to CWRITER, unless stalled on an error. */
  private processQueue(): void {
    if (!this.enabled) return;
    const wr = (this.cwriterLo >>> 5) & 0x7fff;
    let rd = (this.creadrLo >>> 5) & 0x7fff;
    if (wr >= this.queueEntries || rd >= this.queueEntries) return; // bad offsets: nothing runs
    while (wr !== rd) {
      // A command outside RAM reads as zeros (QEMU maps it through a bounce buffer whose read
      // error goes unchecked): command 0, unknown, skipped.
      const b = this.mem.view(this.queueBase + rd * CMD_SIZE, CMD_SIZE) ?? new Uint8Array(CMD_SIZE);
      const words = Array.from({ length: 8 }, (_, i) => (b[i * 4] | (b[i * 4 + 1] << 8) | (b[i * 4 + 2] << 16) | (b[i * 4 + 3] << 24)) >>> 0);
      const result = this.runCommand(words);
      if (result === Result.Stall) {
        this.creadrLo = (this.creadrLo | 1) >>> 0; // Stalled
        return;
      }
      rd = (rd + 1) % this.queueEntries;
      // Only Offset moves: Stalled stays set until software writes CREADR (as QEMU).
      this.creadrLo = ((this.creadrLo & ~(0x7fff << 5)) | (rd << 5)) >>> 0;
    }
  }

  /** One command: `w` holds its four doublewords as eight little-endian words (6.3.1). */
  private runCommand(w: number[]): Result {
    const deviceId = w[1], eventId = w[2], icid = w[4] & 0xffff;
    switch (w[0] & 0xff) {
      case CMD_INT: return this.trigger(deviceId, eventId, "int");
      case CMD_CLEAR: return this.trigger(deviceId, eventId, "clear");
      case CMD_DISCARD: return this.trigger(deviceId, eventId, "discard");
      case CMD_MAPD: return this.mapd(deviceId, w[2] & 0x1f, ((w[4] >>> 8) + (w[5] & 0xfffff) * 2 ** 24) * 256, (w[5] >>> 31) !== 0);
      case CMD_MAPC: return this.mapc(icid, (w[4] >>> 16) & 0xffff, (w[5] >>> 31) !== 0);
      case CMD_MAPTI: return this.mapti(deviceId, eventId, w[3], icid);
      case CMD_MAPI: return this.mapti(deviceId, eventId, eventId, icid);
      case CMD_MOVI: return this.movi(deviceId, eventId, icid);
      case CMD_MOVALL: return this.movall((w[4] >>> 16) + (w[5] & 0xfffff) * 2 ** 16, (w[6] >>> 16) + (w[7] & 0xfffff) * 2 ** 16);
      case CMD_INV: return this.inv(deviceId, eventId);
      case CMD_INVALL:
        // Nothing but each redistributor's best pending LPI is cached: find them again, for
        // every CPU whatever the collection (QEMU).
        for (let c = 0; c < this.ncpu; c++) this.lpis.invalidate(c);
        return Result.Continue;
      case CMD_SYNC: return Result.Continue;
      default:
        // Unknown commands and the GICv4 ones (no vLPIs here) are skipped.
        return Result.Continue;
    }
  }

  /** QEMU lookup_ite: the device's entry and the event's ITE, or why the command stops. */
  private lookupIte(deviceId: number, eventId: number): { dte: Dte; ite: Ite } | Result {
    if (deviceId >= this.deviceTable.entries) return Result.Continue;
    const dte = this.readDte(deviceId);
    if (!dte) return Result.Stall;
    if (!dte.valid || eventId >= 2 ** (dte.size + 1)) return Result.Continue;
    const ite = this.readIte(dte, eventId);
    if (!ite) return Result.Stall;
    if (!ite.valid) return Result.Continue;
    return { dte, ite };
  }

  /** QEMU lookup_cte: the collection's target CPU, or why the command stops. */
  private lookupCollection(icid: number): { rd: number } | Result {
    if (icid >= this.collectionTable.entries) return Result.Continue;
    const rd = this.readCte(icid);
    if (rd === undefined) return Result.Stall;
    if (rd < 0 || rd >= this.ncpu) return Result.Continue;
    return { rd };
  }

  /** INT, CLEAR, DISCARD and GITS_TRANSLATER writes (QEMU do_process_its_cmd). */
  private trigger(deviceId: number, eventId: number, kind: "translate" | "int" | "clear" | "discard"): Result {
    const found = this.lookupIte(deviceId, eventId);
    if (typeof found !== "object") return found;
    const { dte, ite } = found;
    if (!ite.physical) return Result.Continue; // a virtual ITE: the table was corrupted by the guest
    const target = this.lookupCollection(ite.icid);
    if (typeof target !== "object") return target;
    this.lpis.processLpi(target.rd, ite.intid, kind === "translate" || kind === "int");
    if (kind === "discard") return this.writeIte(dte, eventId, { ...ite, valid: false }) ? Result.Continue : Result.Stall;
    return Result.Continue;
  }

  private mapd(deviceId: number, size: number, itt: number, valid: boolean): Result {
    if (deviceId >= this.deviceTable.entries || size > ID_BITS) return Result.Continue;
    return this.writeDte(deviceId, { valid, size, itt }) ? Result.Continue : Result.Stall;
  }

  private mapc(icid: number, rdbase: number, valid: boolean): Result {
    if (icid >= this.collectionTable.entries) return Result.Continue;
    if (valid && rdbase >= this.ncpu) return Result.Continue;
    return this.writeCte(icid, valid, valid ? rdbase : 0) ? Result.Continue : Result.Stall;
  }

  private mapti(deviceId: number, eventId: number, intid: number, icid: number): Result {
    if (deviceId >= this.deviceTable.entries) return Result.Continue;
    const dte = this.readDte(deviceId);
    if (!dte) return Result.Stall;
    if (icid >= this.collectionTable.entries || !dte.valid || eventId >= 2 ** (dte.size + 1)) return Result.Continue;
    if (intid < FIRST_LPI || intid >= INTID_LIMIT) return Result.Continue;
    const ite: Ite = { valid: true, physical: true, intid, icid, vpeid: 0, doorbell: DOORBELL_NONE };
    return this.writeIte(dte, eventId, ite) ? Result.Continue : Result.Stall;
  }

  private movi(deviceId: number, eventId: number, icid: number): Result {
    const found = this.lookupIte(deviceId, eventId);
    if (typeof found !== "object") return found;
    const { dte, ite } = found;
    if (!ite.physical) return Result.Continue;
    const from = this.lookupCollection(ite.icid);
    if (typeof from !== "object") return from;
    const to = this.lookupCollection(icid);
    if (typeof to !== "object") return to;
    if (from.rd !== to.rd) this.lpis.moveLpi(from.rd, to.rd, ite.intid);
    return this.writeIte(dte, eventId, { ...ite, icid }) ? Result.Continue : Result.Stall;
  }

  private movall(from: number, to: number): Result {
    if (from >= this.ncpu || to >= this.ncpu) return Result.Continue;
    if (from !== to) this.lpis.moveAll(from, to);
    return Result.Continue;
  }

  private inv(deviceId: number, eventId: number): Result {
    const found = this.lookupIte(deviceId, eventId);
    if (typeof found !== "object") return found;
    if (!found.ite.physical) return Result.Continue;
    const target = this.lookupCollection(found.ite.icid);
    if (typeof target !== "object") return target;
    this.lpis.invalidate(target.rd);
    return Result.Continue;
  }
}
