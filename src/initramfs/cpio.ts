/**
 * The "newc" cpio format the kernel unpacks into its initramfs (Linux
 * Documentation/driver-api/early-userspace/buffer-format.rst): each member is a 110-byte ASCII
 * header "070701" followed by 13 eight-digit hexadecimal fields (ino, mode, uid, gid, nlink,
 * mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check), the NUL-terminated
 * name padded so the data starts on a 4-byte boundary, then the data padded to 4 bytes. The
 * archive ends with a member named "TRAILER!!!". Symbolic links carry their target as data.
 *
 * Platform neutral: builds bytes only (compression and file access are the caller's).
 */

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
/** Unix domain socket nodes: the kernel's unpacker makes them with mknod like FIFOs and devices. */
export const S_IFSOCK = 0o140000;

export interface CpioEntry {
  /** Path inside the archive, without a leading "/" (the kernel accepts either). */
  name: string;
  /** File type and permission bits, as st_mode. */
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (0 by default, for reproducible archives). */
  mtime?: number;
  /** Regular file contents, or the target of a symbolic link. */
  data?: Uint8Array;
  /** Device numbers of character and block special files. */
  rdevMajor?: number;
  rdevMinor?: number;
}

const MAGIC = "070701";
const HEADER_SIZE = 110;
const TRAILER = "TRAILER!!!";
const MAX_FIELD = 0xffffffff;

function align4(n: number): number { return (n + 3) & ~3; }

function hex8(v: number, what: string, name: string): string {
  if (!Number.isInteger(v) || v < 0 || v > MAX_FIELD) throw new RangeError(`cpio: ${what} of '${name}' does not fit the newc format (${v})`);
  return v.toString(16).padStart(8, "0");
}

/** Bytes one member takes in the archive: header, name with its NUL, data, each padded to 4. */
export function newcMemberSize(name: string, dataLength: number): number {
  return align4(HEADER_SIZE + new TextEncoder().encode(archiveName(name)).length + 1) + align4(dataLength);
}

/** Bytes the trailer member takes at the end of every archive. */
export const NEWC_TRAILER_SIZE = align4(HEADER_SIZE + TRAILER.length + 1);

function archiveName(name: string): string { return name.replace(/^\/+/, "") || "."; }

/** Write a newc archive of `entries` in order, numbering inodes from 1, with the trailer. */
export function writeNewc(entries: readonly CpioEntry[]): Uint8Array {
  const enc = new TextEncoder();
  // Sized first and written in place: the archive is held once, not once more in pieces.
  let total = NEWC_TRAILER_SIZE;
  for (const e of entries) total += newcMemberSize(e.name, e.data?.length ?? 0);
  const result = new Uint8Array(total);
  let off = 0;
  const member = (e: CpioEntry, ino: number): void => {
    const name = enc.encode(archiveName(e.name));
    if (name.includes(0)) throw new RangeError(`cpio: name '${e.name}' contains NUL`);
    const data = e.data ?? new Uint8Array(0);
    const type = e.mode & S_IFMT;
    if (data.length && type !== S_IFREG && type !== S_IFLNK) throw new RangeError(`cpio: '${e.name}' is not a file but has data`);
    const isDir = type === S_IFDIR;
    const fields = [
      ino, e.mode, e.uid ?? 0, e.gid ?? 0, isDir ? 2 : 1, e.mtime ?? 0, data.length,
      0, 0, e.rdevMajor ?? 0, e.rdevMinor ?? 0, name.length + 1, 0,
    ];
    const labels = ["ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"];
    const header = MAGIC + fields.map((v, i) => hex8(v, labels[i], e.name)).join("");
    const nameEnd = align4(HEADER_SIZE + name.length + 1);
    result.set(enc.encode(header), off);
    result.set(name, off + HEADER_SIZE); // the NUL after it and the padding are the buffer's zeros
    result.set(data, off + nameEnd);
    off += nameEnd + align4(data.length);
  };
  entries.forEach((e, i) => member(e, i + 1));
  member({ name: TRAILER, mode: 0 }, 0);
  return result;
}

/**
 * The name a path given by a user gets inside the archive, or the reason it cannot have one.
 * The kernel unpacks every member relative to the root of the initramfs (init/initramfs.c opens
 * names as given, with "/" as the current directory), so "/etc/x" and "etc/x" are the same
 * place; the name is stored without the leading "/", like every other member here. "." and
 * empty components (repeated slashes) are dropped. ".." is refused: in the archive it would
 * be a name meant to land outside the root, which extractors other than the kernel (cpio -i,
 * bsdtar) would write outside the directory they unpack into.
 */
export function archivePath(path: string): { name: string } | { problem: string } {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return { problem: "has a '..' component (names in the archive stay inside its root)" };
  if (parts.length === 0) return { problem: "names the root itself, not a file in it" };
  if (path.endsWith("/")) return { problem: "ends with '/', which names a directory" };
  return { name: parts.join("/") };
}

export class CpioFormatError extends Error {
  override readonly name = "CpioFormatError";
}

/**
 * Read a newc archive (as the kernel's unpacker, init/initramfs.c, does): members until the
 * trailer. Concatenated archives and zero padding between them are not followed here.
 */
export function readNewc(bytes: Uint8Array): CpioEntry[] {
  const dec = new TextDecoder();
  const out: CpioEntry[] = [];
  let off = 0;
  for (;;) {
    if (off + HEADER_SIZE > bytes.length) throw new CpioFormatError(`truncated cpio header at offset ${off}`);
    const header = dec.decode(bytes.subarray(off, off + HEADER_SIZE));
    if (!header.startsWith(MAGIC) && !header.startsWith("070702")) throw new CpioFormatError(`no newc cpio magic at offset ${off}`);
    const f: number[] = [];
    for (let i = 0; i < 13; i++) {
      const text = header.slice(6 + i * 8, 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(text)) throw new CpioFormatError(`bad cpio header field at offset ${off + 6 + i * 8}`);
      f.push(parseInt(text, 16));
    }
    const [, mode, uid, gid, , mtime, filesize, , , rdevMajor, rdevMinor, namesize] = f;
    if (namesize === 0 || off + HEADER_SIZE + namesize > bytes.length) throw new CpioFormatError(`bad cpio name size at offset ${off}`);
    const name = dec.decode(bytes.subarray(off + HEADER_SIZE, off + HEADER_SIZE + namesize - 1));
    const dataStart = align4(off + HEADER_SIZE + namesize);
    if (dataStart + filesize > bytes.length) throw new CpioFormatError(`truncated data of '${name}'`);
    if (name === TRAILER) return out;
    out.push({ name, mode, uid, gid, mtime, data: bytes.slice(dataStart, dataStart + filesize), rdevMajor, rdevMinor });
    off = align4(dataStart + filesize);
  }
}

/**
 * A busybox root file system (what the kernel needs to reach a shell): the standard
 * directories, /bin/busybox, /bin/sh, /init, and /dev/console (character device 5:1) so the
 * kernel can open the console for init before devtmpfs is mounted (init/main.c,
 * console_on_rootfs()). Other applet links are made by the init script (busybox --install -s).
 */
export function busyboxRoot(busybox: Uint8Array, init: Uint8Array, extra: readonly CpioEntry[] = []): CpioEntry[] {
  const dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "etc", "tmp", "root", "run", "var"];
  const entries: CpioEntry[] = dirs.map((d) => ({ name: d, mode: S_IFDIR | (d === "tmp" ? 0o1777 : 0o755) }));
  entries.push({ name: "dev/console", mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 });
  entries.push({ name: "dev/null", mode: S_IFCHR | 0o666, rdevMajor: 1, rdevMinor: 3 });
  entries.push({ name: "bin/busybox", mode: S_IFREG | 0o755, data: busybox });
  entries.push({ name: "bin/sh", mode: S_IFLNK | 0o777, data: new TextEncoder().encode("busybox") });
  entries.push({ name: "init", mode: S_IFREG | 0o755, data: init });
  // The kernel's unpacker does not make missing parents: a file whose directory is not in the
  // archive (before it) is silently not created. So each extra member gets its directories.
  const present = new Set(entries.map((e) => e.name));
  for (const e of extra) {
    const parts = e.name.replace(/^\/+/, "").split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!present.has(dir)) { entries.push({ name: dir, mode: S_IFDIR | 0o755 }); present.add(dir); }
    }
    entries.push(e);
    present.add(e.name);
  }
  return entries;
}
