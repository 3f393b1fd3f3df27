/**
 * Reading the user's input files, the same way for every command: one clear line for every way
 * a file can be wrong (missing, unreadable, a directory, not a regular file, too large), and
 * never a read without bound or a blocking open (a FIFO with no writer, /dev/zero).
 *
 * Images are regular files, as QEMU requires (hw/core/loader.c get_image_size seeks to the
 * end, which a pipe or a device cannot do); their size is checked before anything is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { UsageError } from "./args.js";

/** Node refuses to read more than this into one buffer (2 GiB - 1). */
const NODE_MAX_READ = 2 ** 31 - 1;

/** Why a file system call failed, in words (errno codes as the C library names them). */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT": return "no such file";
    case "EACCES": case "EPERM": return "permission denied";
    case "EISDIR": return "is a directory";
    case "ENOTDIR": return "a parent of it is not a directory";
    case "ELOOP": return "too many levels of symbolic links";
    case "ENAMETOOLONG": return "file name too long";
    case "ENOSPC": return "no space left on device";
    case "EDQUOT": return "disk quota exceeded";
    case "EROFS": return "read-only file system";
    case "EIO": return "input/output error";
    case "EMFILE": case "ENFILE": return "too many open files";
    case "EFBIG": return "file too large";
    case "ENXIO": return "no such device";
    default: return code ? code.toLowerCase() : (e as Error).message;
  }
}

export interface ReadLimits {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** Words for the limit in the message, e.g. "the 128 MiB of guest RAM". */
  limitText?: string;
}

/**
 * Read a whole regular file of at most `limits.maxBytes` bytes. `what` names it in messages
 * ("kernel", "initrd", "device tree"); every failure is a UsageError with one line.
 */
export function readInputFile(path: string, what: string, limits: ReadLimits): Uint8Array {
  const problem = (reason: string): never => { throw new UsageError(`cannot read ${what} '${path}': ${reason}`); };
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    problem(describeFsError(e));
  }
  if (st!.isDirectory()) problem("is a directory");
  if (!st!.isFile()) problem(`not a regular file (${kindOf(st!)})`);
  const max = Math.min(limits.maxBytes, NODE_MAX_READ);
  if (st!.size > max) {
    throw new UsageError(`${what} '${path}' is too large (${st!.size} bytes; at most ${max} bytes fit ${limits.limitText ?? "here"})`);
  }
  let fd: number | undefined;
  try {
    // O_NONBLOCK: should the file have been replaced by a FIFO since the stat, open must not wait.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const size = fstatSync(fd).size;
    if (size > max) throw new UsageError(`${what} '${path}' is too large (${size} bytes)`);
    const bytes = new Uint8Array(new ArrayBuffer(backingSize(size)), 0, size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) break; // shrank while being read: take what is there
      done += n;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return problem(describeFsError(e));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The ArrayBuffer size for a file of `size` bytes. Node's ArrayBuffers come from the C
 * library's malloc, and glibc's malloc adapts its mmap threshold to the program: freeing a
 * block it had mapped (one of 128 KiB or more) raises the threshold to that block's size, as
 * long as it is at most 32 MiB (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit hosts), and the trim
 * threshold to twice that (mallopt(3), M_MMAP_THRESHOLD). A 27 MiB kernel image, read and freed
 * once it is in guest RAM, so let every malloc arena keep up to 54 MiB of freed memory for the
 * rest of the run: V8's optimising compiler threads free megabytes of zone memory each, and the
 * Linux boot's peak RSS held some 90 MiB of it. A file of that size range therefore gets a
 * buffer just over 32 MiB, which glibc maps and unmaps without moving the thresholds; calloc'd
 * mappings are not written, so the pages past the file's end are never made resident.
 */
const GLIBC_MMAP_MIN = 128 * 1024;
const GLIBC_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024;

function backingSize(size: number): number {
  return size >= GLIBC_MMAP_MIN && size <= GLIBC_MMAP_THRESHOLD_MAX ? GLIBC_MMAP_THRESHOLD_MAX + 65536 : size;
}

function kindOf(st: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

/**
 * Kernels may be gzip-compressed (Debian's and Ubuntu's vmlinuz on some releases): QEMU
 * decompresses them (hw/arm/boot.c load_aarch64_image, at most 64 MiB), so do we.
 */
const MAX_GUNZIP_BYTES = 64 * 1024 * 1024;
export function decompressKernel(bytes: Uint8Array, path: string): Uint8Array {
  if (!(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: MAX_GUNZIP_BYTES }));
  } catch (e) {
    throw new UsageError(`kernel '${path}' is a damaged gzip file (${(e as Error).message})`);
  }
}
