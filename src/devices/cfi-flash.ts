/**
 * A parallel NOR flash bank with the Intel/Sharp command set and a CFI query table, behaving as
 * QEMU 7.2's pflash_cfi01 (hw/block/pflash_cfi01.c) as hw/arm/virt.c configures it: a 32-bit
 * bank (width 4) made of two x16 chips (device-width 2) side by side, 256 KiB sectors, IDs
 * 0x89/0x18, little-endian. The CFI table and ID replies are those of one chip, repeated for
 * each chip of the bank, and the per-chip geometry is the bank's halved (QEMU's default since
 * old-multiple-chip-handling went off: 256 blocks of 128 KiB, 32 MiB per chip).
 *
 * What is QEMU's, faithfully, because a guest sees it:
 *   - Read array (0xFF, also 0x00 and 0xF0) is ROM mode: reads come straight from storage
 *     (QEMU's romd; here a RomDevice the bus maps as memory). Any first write cycle leaves ROM
 *     mode, and only a return to read array restores it.
 *   - 0x70 read status and 0x90 read ID take one cycle: the next write is a new command.
 *   - 0x98 CFI query stays until 0xFF; other writes in query mode are ignored.
 *   - 0x20 block erase erases the sector at the first cycle (before the 0xD0 confirm).
 *   - 0x10/0x40 program one access. 0xE8 buffered write (QEMU 7.2's write buffer): the word
 *     count (masked to the chip width) opens a 4 KiB buffer (2 KiB per chip) on the block of
 *     the address the count is written to; count + 1 data accesses fill it (one outside it is
 *     a program error, status bit 4); 0xD0 with no error writes the block to storage, anything
 *     else drops it. So a write buffer away from where its commands go fails, as under QEMU.
 *   - 0x60 lock setup then 0x01/0xD0: accepted, no lock state is kept (ID reads of a block's
 *     lock status give 0: unlocked), as QEMU.
 *   - 0x50 clears the status; status reads repeat it for each chip (0x00800080 at 32 bits).
 *   - A read-only bank (readonly=on drive) fails program (status bit 4) and erase (bit 5).
 *   - Unknown commands go back to read array.
 * Writes to storage are handed to `writeBack` in whole 512-byte sectors, as QEMU's
 * pflash_update writes its block backend.
 */
import type { RomDevice } from "../memory/bus.js";

export interface CfiFlashOptions {
  name: string;
  /** Bank size in bytes (a multiple of the sector length). */
  size: number;
  /** Initial contents (shorter than the bank: the rest reads as zeros, as QEMU's fresh RAM). */
  contents?: Uint8Array;
  readOnly?: boolean;
  /** Persist storage[offset, offset + length) (offset and length whole 512-byte sectors). */
  writeBack?(offset: number, bytes: Uint8Array): void;
}

/** hw/arm/virt.c virt_flash_create1: VIRT_FLASH_SECTOR_SIZE and the pflash properties. */
const SECTOR_LENGTH = 256 * 1024;
const BANK_WIDTH = 4, DEVICE_WIDTH = 2, CHIPS = BANK_WIDTH / DEVICE_WIDTH;
const MANUFACTURER_ID = 0x89, DEVICE_ID = 0x18;
/** Status register: write state machine ready; erase and program errors. */
const STATUS_READY = 0x80, STATUS_ERASE_ERROR = 0x20, STATUS_PROGRAM_ERROR = 0x10;
const BDRV_SECTOR = 512;

/** The CFI table of one chip (pflash_cfi01_fill_cfi_table), 0x52 bytes. */
function cfiTable(bankSize: number): { table: Uint8Array; writeBlockSize: number } {
  const t = new Uint8Array(0x52);
  const blocks = bankSize / SECTOR_LENGTH, sectorPerChip = SECTOR_LENGTH / CHIPS;
  const chipLength = sectorPerChip * blocks;
  t.set([0x51, 0x52, 0x59], 0x10); // "QRY"
  t[0x13] = 0x01; // primary command set: Intel/Sharp extended
  t[0x15] = 0x31; // primary extended table at 0x31
  t[0x1b] = 0x45; t[0x1c] = 0x55; // Vcc min, max
  t[0x1f] = 0x07; t[0x20] = 0x07; t[0x21] = 0x0a; // typical timeouts: word, buffer, block erase
  t[0x23] = 0x04; t[0x24] = 0x04; t[0x25] = 0x04; // maximum timeouts
  t[0x27] = Math.log2(chipLength); // device size 2^n
  t[0x28] = 0x02; // x8/x16 interface
  t[0x2a] = 0x0b; // 2 KiB write buffer
  t[0x2c] = 0x01; // one erase block region
  t[0x2d] = (blocks - 1) & 0xff; t[0x2e] = (blocks - 1) >> 8;
  t[0x2f] = (sectorPerChip >> 8) & 0xff; t[0x30] = sectorPerChip >> 16;
  t.set([0x50, 0x52, 0x49, 0x31, 0x30], 0x31); // "PRI" version "10"
  t[0x3f] = 0x01; // protection fields
  // The buffer a 0xE8 sequence covers spans every chip of the bank.
  return { table: t, writeBlockSize: (1 << t[0x2a]) * CHIPS };
}

export class CfiFlash implements RomDevice {
  readonly name: string;
  readonly storage: Uint8Array;
  romd = true;
  private readonly readOnly: boolean;
  private readonly writeBack: CfiFlashOptions["writeBack"];
  private readonly cfi: Uint8Array;
  private readonly writeBlockSize: number;
  /** The command being carried out (0 = read array) and its write cycle (0: none under way). */
  private cmd = 0;
  private wcycle = 0;
  private status = STATUS_READY;
  private counter = 0;
  /** The buffered write's block (a copy of storage, written on confirm), or -1 when none is open. */
  private readonly buffer: Uint8Array;
  private bufferAt = -1;
  private link: { romdChanged(): void; stored(offset: number, length: number): void } | undefined;

  constructor(o: CfiFlashOptions) {
    if (o.size % SECTOR_LENGTH) throw new RangeError(`flash size ${o.size} is not a multiple of the sector length`);
    if (o.contents && o.contents.length > o.size) throw new RangeError(`flash image of ${o.contents.length} bytes exceeds the ${o.size}-byte bank`);
    this.name = o.name;
    this.storage = new Uint8Array(o.size);
    if (o.contents) this.storage.set(o.contents);
    this.readOnly = o.readOnly ?? false;
    this.writeBack = o.writeBack;
    ({ table: this.cfi, writeBlockSize: this.writeBlockSize } = cfiTable(o.size));
    this.buffer = new Uint8Array(this.writeBlockSize);
  }

  attach(link: { romdChanged(): void; stored(offset: number, length: number): void }): void {
    this.link = link;
  }

  private setRomd(on: boolean): void {
    if (this.romd === on) return;
    this.romd = on;
    this.link?.romdChanged();
  }

  /** A chip's reply in one chip's lane, repeated across the bank's lanes. */
  private static replicate(v: number): number {
    return ((v & 0xffff) | ((v & 0xffff) << 16)) >>> 0;
  }

  private dataRead(offset: number, size: number): number {
    const p = this.storage;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (p[offset + i] ?? 0);
    return v >>> 0;
  }

  read(offset: number, size: number): number {
    let v: number;
    switch (this.cmd) {
      case 0x00:
        return this.dataRead(offset, size);
      case 0x10: case 0x20: case 0x28: case 0x40: case 0x50: case 0x60: case 0x70: case 0xe8:
        // The status of each chip the access spans.
        v = size > DEVICE_WIDTH ? (this.status | (this.status << 16)) >>> 0 : this.status;
        break;
      case 0x90: {
        // Chip addresses are in chip-width units: the bank offset over 4 (width 4, x16 chips).
        const boff = Math.floor(offset / BANK_WIDTH) & 0xff;
        v = boff === 0 ? CfiFlash.replicate(MANUFACTURER_ID) : boff === 1 ? CfiFlash.replicate(DEVICE_ID) : 0;
        break;
      }
      case 0x98: {
        const boff = Math.floor(offset / BANK_WIDTH);
        v = boff < this.cfi.length ? CfiFlash.replicate(this.cfi[boff]) : 0;
        break;
      }
      default:
        // pflash_read: an unknown state resets to read array and reads the array.
        this.wcycle = 0;
        this.cmd = 0;
        return this.dataRead(offset, size);
    }
    // The access takes the low bytes of the 32-bit reply (QEMU's memory core masks it).
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  private dataWrite(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.storage[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  /** Data of a buffered write: into the buffer, or a program error outside its block. */
  private bufferWrite(offset: number, size: number, value: number): void {
    const at = offset - this.bufferAt;
    if (at < 0 || at + size > this.buffer.length) { this.status |= STATUS_PROGRAM_ERROR; return; }
    for (let i = 0; i < size; i++) this.buffer[at + i] = (value >>> (8 * i)) & 0xff;
  }

  /** pflash_update: the 512-byte sectors covering the change go to the backing file. */
  private update(offset: number, length: number): void {
    this.link?.stored(offset, length);
    if (!this.writeBack) return;
    const start = Math.floor(offset / BDRV_SECTOR) * BDRV_SECTOR;
    const end = Math.min(this.storage.length, Math.ceil((offset + length) / BDRV_SECTOR) * BDRV_SECTOR);
    this.writeBack(start, this.storage.subarray(start, end));
  }

  write(offset: number, size: number, value: number): void {
    const cmd = value & 0xff;
    // The first cycle of any command takes the bank out of ROM mode (pflash_write).
    if (this.wcycle === 0) this.setRomd(false);
    switch (this.wcycle) {
      case 0:
        switch (cmd) {
          case 0x00: case 0xf0: case 0xff: return this.readArray(); // 0xF0: an AMD reset probe
          case 0x10: case 0x40: break; // program: the data comes next
          case 0x20: {
            const at = offset - (offset % SECTOR_LENGTH);
            if (!this.readOnly) {
              this.storage.fill(0xff, at, at + SECTOR_LENGTH);
              this.update(at, SECTOR_LENGTH);
            } else {
              this.status |= STATUS_ERASE_ERROR;
            }
            this.status |= STATUS_READY;
            break;
          }
          case 0x50:
            this.status = 0;
            return this.readArray();
          case 0x60: break; // lock setup: 0x01 (lock) or 0xD0 (unlock) follows
          case 0x70: case 0x90:
            // Read status / read ID: one cycle, the next write starts afresh.
            this.cmd = cmd;
            return;
          case 0x98: break; // CFI query
          case 0xe8:
            this.status |= STATUS_READY;
            break;
          default:
            return this.readArray();
        }
        this.wcycle++;
        this.cmd = cmd;
        return;
      case 1:
        switch (this.cmd) {
          case 0x10: case 0x40:
            if (!this.readOnly) {
              this.dataWrite(offset, size, value);
              this.update(offset, size);
            } else {
              this.status |= STATUS_PROGRAM_ERROR;
            }
            this.status |= STATUS_READY;
            this.wcycle = 0;
            return;
          case 0x20: case 0x28:
            if (cmd === 0xd0) { this.wcycle = 0; this.status |= STATUS_READY; return; }
            return this.readArray(); // 0xFF, or an unknown sequence
          case 0xe8:
            // The word count (minus one) in one chip's lane. QEMU 7.2 opens the write buffer
            // here, on the block holding the address this cycle is written to (the command's,
            // not the data's: data outside that block is a program error).
            this.counter = value & 0xffff;
            this.wcycle++;
            this.bufferAt = offset - (offset % this.writeBlockSize);
            this.buffer.set(this.storage.subarray(this.bufferAt, this.bufferAt + this.writeBlockSize));
            return;
          case 0x60:
            if (cmd === 0xd0 || cmd === 0x01) { this.wcycle = 0; this.status |= STATUS_READY; return; }
            return this.readArray();
          case 0x98:
            if (cmd === 0xff) return this.readArray();
            return; // anything else leaves the bank in query mode
          default:
            return this.readArray();
        }
      case 2:
        if (this.cmd !== 0xe8) return this.readArray();
        if (!this.readOnly && this.bufferAt >= 0) this.bufferWrite(offset, size, value);
        else this.status |= STATUS_PROGRAM_ERROR;
        this.status |= STATUS_READY;
        if (this.counter === 0) this.wcycle++;
        this.counter--;
        return;
      case 3:
        if (this.cmd === 0xe8 && cmd === 0xd0 && !(this.status & STATUS_PROGRAM_ERROR)) {
          // Confirmed: the buffer's whole block goes to storage.
          this.storage.set(this.buffer, this.bufferAt);
          this.update(this.bufferAt, this.buffer.length);
          this.bufferAt = -1;
          this.wcycle = 0;
          this.status |= STATUS_READY;
          return;
        }
        // Aborted, or a program error in the sequence: the buffer is dropped.
        this.bufferAt = -1;
        return this.readArray();
      default:
        return this.readArray();
    }
  }

  private readArray(): void {
    this.wcycle = 0;
    this.cmd = 0;
    this.setRomd(true);
  }
}
