/**
 * Host files behind -drive and -chardev. Storage: a raw image file read and written in place (fsync on the guest's
 * flush), or with snapshot=on the same file opened read-only under an in-memory copy-on-write
 * layer, so the guest may write and the file stays as it was (QEMU puts a temporary qcow2
 * overlay there; only the effect is mirrored).
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import type { BlockBackend } from "../devices/virtio/block.js";
import { UsageError } from "./args.js";
import type { ChardevArg, DriveArg } from "./device-args.js";
import type { ConsoleSink } from "../devices/virtio/console.js";
import { describeFsError } from "./host-files.js";

export class FileBlockBackend implements BlockBackend {
  readonly size: number;
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
