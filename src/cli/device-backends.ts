/**
 * Host files behind -drive and -chardev. Storage: a raw image file read and written in place (fsync on the guest's
 * flush), or with snapshot=on the same file opened read-only under an in-memory copy-on-write
 * layer, so the guest may write and the file stays as it was (QEMU puts a temporary qcow2
 * overlay there; only the effect is mirrored).
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { BufferSharedMemory, type SharedMemory } from "../devices/pci/ivshmem.js";
import type { BlockBackend } from "../devices/virtio/block.js";
import { UsageError } from "./args.js";
import type { ChardevArg, DriveArg, MemdevArg } from "./device-args.js";
import type { ConsoleSink } from "../devices/virtio/console.js";
import { describeFsError } from "./host-files.js";

export class FileBlockBackend implements BlockBackend {
  readonly size: number;
  private closed = false;
  private constructor(private readonly fd: number, readonly readOnly: boolean) {
    this.size = fstatSync(fd).size;
  }

  /** Open an image; a missing, unreadable or non-regular file is the user's one-line error. */
  static open(drive: DriveArg, writable: boolean): FileBlockBackend {
    const opt = `-drive file=${drive.file}`;
    let fd: number;
    try {
      fd = openSync(drive.file, writable ? "r+" : "r");
    } catch (e) {
      throw new UsageError(`${opt}: Could not open '${drive.file}': ${describeFsError(e)}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new UsageError(`${opt}: '${drive.file}' is not a regular file`);
    }
    return new FileBlockBackend(fd, !writable);
  }

  read(offset: number, into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, offset + done);
      if (n === 0) { into.fill(0, done); return; } // past the end of a shrunk file: zeros
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error("read-only image");
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    if (!this.readOnly) fsyncSync(this.fd);
  }

  /** Written data is made durable first, as a domain's disk is released when the domain goes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

/** Copy-on-write in memory over a read-only image, in 4 KiB chunks. */
export class SnapshotBlockBackend implements BlockBackend {
  private static readonly CHUNK = 4096;
  readonly readOnly = false;
  private readonly chunks = new Map<number, Uint8Array>();
  constructor(private readonly base: BlockBackend) {}

  get size(): number { return this.base.size; }

  private chunk(index: number, create: boolean): Uint8Array | undefined {
    let c = this.chunks.get(index);
    if (!c && create) {
      c = new Uint8Array(SnapshotBlockBackend.CHUNK);
      const start = index * SnapshotBlockBackend.CHUNK;
      this.base.read(start, c.subarray(0, Math.max(0, Math.min(c.length, this.size - start))));
      this.chunks.set(index, c);
    }
    return c;
  }

  read(offset: number, into: Uint8Array): void {
    const C = SnapshotBlockBackend.CHUNK;
    let done = 0;
    while (done < into.length) {
      const at = offset + done, index = Math.floor(at / C), within = at % C;
      const n = Math.min(C - within, into.length - done);
      const c = this.chunk(index, false);
      if (c) into.set(c.subarray(within, within + n), done);
      else this.base.read(at, into.subarray(done, done + n));
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    const C = SnapshotBlockBackend.CHUNK;
    let done = 0;
    while (done < data.length) {
      const at = offset + done, within = at % C;
      const n = Math.min(C - within, data.length - done);
      this.chunk(Math.floor(at / C), true)!.set(data.subarray(done, done + n), within);
      done += n;
    }
  }

  flush(): void {}
}

/** The backend a -drive asks for. */
export function openDrive(drive: DriveArg): BlockBackend {
  if (drive.snapshot && !drive.readOnly) return new SnapshotBlockBackend(FileBlockBackend.open(drive, false));
  return FileBlockBackend.open(drive, !drive.readOnly);
}

/** A -chardev for a virtconsole: a file truncated on open (as QEMU's file backend), or nothing. */
export function openChardev(c: ChardevArg): ConsoleSink {
  if (c.backend === "null") return { write: () => {} };
  let fd: number;
  try {
    fd = openSync(c.path!, "w");
  } catch (e) {
    throw new UsageError(`-chardev file,id=${c.id},path=${c.path}: Could not open '${c.path}': ${describeFsError(e)}`);
  }
  return { write: (bytes) => { let done = 0; while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done); } };
}

/** The host's CSPRNG for virtio-rng; getRandomValues takes at most 65536 bytes at a time. */
export function hostEntropy(into: Uint8Array): void {
  for (let at = 0; at < into.length; at += 65536) crypto.getRandomValues(into.subarray(at, Math.min(into.length, at + 65536)));
}

/**
 * -object memory-backend-file,share=on: the memory is the file's pages, which other processes
 * map (QEMU's MAP_SHARED). Node cannot map a file, so every access of the guest is a read or
 * a write of the file's bytes at that offset: the same page cache another process's mapping
 * of the file sees, so stores are visible both ways as they happen; only a naturally aligned
 * access of up to 4 bytes is one system call, and nothing here is atomic across processes
 * beyond that (no exclusive monitors through a file).
 */
export class FileSharedMemory implements SharedMemory {
  readonly name = "ivshmem-file";
  private readonly scratch = new Uint8Array(4);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private constructor(private readonly fd: number, readonly size: number) {}

  static open(m: MemdevArg): FileSharedMemory {
    const opt = `-object memory-backend-file,id=${m.id},mem-path=${m.path}`;
    let fd: number;
    try {
      fd = openSync(m.path!, "a+");
      closeSync(fd);
      fd = openSync(m.path!, "r+");
    } catch (e) {
      throw new UsageError(`${opt}: can't open backing store ${m.path} for guest RAM: ${describeFsError(e)}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) { closeSync(fd); throw new UsageError(`${opt}: '${m.path}' is not a regular file (a directory mem-path is not supported)`); }
    // file_ram_alloc: a new (empty) file grows to the size; a smaller one is refused.
    if (st.size === 0) ftruncateSync(fd, m.size);
    else if (st.size < m.size) { closeSync(fd); throw new UsageError(`${opt}: backing store size 0x${st.size.toString(16)} does not match 'size' option 0x${m.size.toString(16)}`); }
    return new FileSharedMemory(fd, m.size);
  }

  /** The whole memory at once (a private copy's starting contents). */
  readAll(into: Uint8Array): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, done);
      if (n === 0) break;
      done += n;
    }
    closeSync(this.fd);
  }

  read(offset: number, size: number): number {
    if (offset + size > this.size) return 0;
    readSync(this.fd, this.scratch, 0, size, offset);
    return size === 4 ? this.scratchView.getUint32(0, true) : size === 2 ? this.scratchView.getUint16(0, true) : this.scratch[0];
  }

  write(offset: number, size: number, value: number): void {
    if (offset + size > this.size) return;
    if (size === 4) this.scratchView.setUint32(0, value >>> 0, true);
    else if (size === 2) this.scratchView.setUint16(0, value & 0xffff, true);
    else this.scratch[0] = value & 0xff;
    writeSync(this.fd, this.scratch, 0, size, offset);
  }
}

/** The memory an ivshmem device maps: a shared file, a private copy of one, or zeroed RAM. */
export function openMemdev(m: MemdevArg): SharedMemory {
  if (m.backend === "file" && m.share) return FileSharedMemory.open(m);
  const bytes = new Uint8Array(m.size);
  if (m.backend === "file") {
    // share=off: MAP_PRIVATE, the file's contents at start and the guest's writes kept here.
    FileSharedMemory.open(m).readAll(bytes);
  }
  return new BufferSharedMemory(bytes);
}
