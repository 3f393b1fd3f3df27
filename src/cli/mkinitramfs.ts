/**
 * `tessera mkinitramfs`: build a gzip-compressed newc cpio initramfs without host cpio or gzip.
 *
 *   tessera mkinitramfs DIR -o OUT                      the tree under DIR, owned by root
 *   tessera mkinitramfs --busybox BIN --init FILE -o OUT [--add SRC:DEST]...
 *                                                       a ready busybox root (see busyboxRoot)
 *
 * --no-gzip writes the plain cpio. Members are sorted and get mtime 0, so the same input gives
 * the same bytes. Mistakes print one line "tessera: <problem>" and exit 2.
 *
 * Every input is sized before anything is read (lstat/stat), so an archive past the limit is
 * refused at once rather than after gigabytes were read; file contents are then read only as
 * regular files (readInputFile), so a device or a FIFO is refused instead of read without end or
 * waited on.
 */
import { closeSync, constants, type Stats, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  archivePath, busyboxRoot, NEWC_TRAILER_SIZE, newcMemberSize, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT,
  S_IFREG, S_IFSOCK, writeNewc, type CpioEntry,
} from "../initramfs/cpio.js";
import { UsageError } from "./args.js";
import { describeFsError, readInputFile } from "./host-files.js";

const USAGE = `usage: tessera mkinitramfs DIR -o OUT.cpio.gz
       tessera mkinitramfs --busybox BUSYBOX --init INIT [--add SRC:DEST]... -o OUT.cpio.gz
options: --no-gzip (plain cpio)`;

/**
 * The largest archive written (before compression). The archive is built as one buffer, and
 * Node reads and handles at most 2 GiB - 1 bytes in one; a guest must also hold the archive and
 * its unpacked copy in RAM at once, so an initramfs anywhere near this is a mistake already.
 */
const MAX_ARCHIVE_BYTES = 2 ** 31 - 1;
const MAX_ARCHIVE_TEXT = "2 GiB";

/** Bytes the archive will take, counted member by member as they are planned. */
class ArchiveSize {
  bytes = NEWC_TRAILER_SIZE;

  add(name: string, dataLength: number, host: string): void {
    const n = newcMemberSize(name, dataLength);
    if (this.bytes + n > MAX_ARCHIVE_BYTES) {
      throw new UsageError(`the initramfs would be too large: adding '${host}' (${dataLength} bytes) to the ${this.bytes} bytes so far passes the ${MAX_ARCHIVE_TEXT} limit (${MAX_ARCHIVE_BYTES} bytes)`);
    }
    this.bytes += n;
  }

  /** Room left for a file planned at `planned` bytes, should it have grown since it was sized. */
  roomFor(planned: number): number {
    return planned + Math.max(0, MAX_ARCHIVE_BYTES - this.bytes - 3); // - 3: its padding may grow too
  }
}

/** A regular file whose contents are read once the whole archive has been sized. */
interface PendingRead {
  entry: CpioEntry;
  host: string;
  what: string;
  planned: number;
}

function readPending(reads: readonly PendingRead[], size: ArchiveSize): void {
  for (const r of reads) {
    const data = readInputFile(r.host, r.what, { maxBytes: size.roomFor(r.planned), limitText: `in the ${MAX_ARCHIVE_TEXT} initramfs` });
    size.bytes += newcMemberSize(r.entry.name, data.length) - newcMemberSize(r.entry.name, r.planned);
    r.entry.data = data;
  }
}

/** Linux's dev_t encoding (new_encode_dev in include/linux/kdev_t.h, glibc's gnu_dev_major/minor). */
function devNumbers(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function listDirectory(dir: string): string[] {
  let raw: Buffer[];
  try {
    raw = readdirSync(dir, { encoding: "buffer" });
  } catch (e) {
    throw new UsageError(`cannot read directory '${dir}': ${describeFsError(e)}`);
  }
  return raw.map((b) => {
    // Node would turn a name that is not UTF-8 into another name (with U+FFFD), which the next
    // lstat would then not find; say what is wrong instead of "no such file".
    try { return strictUtf8.decode(b); } catch {
      throw new UsageError(`cannot archive a file in '${dir}': its name is not valid UTF-8 (${JSON.stringify(b.toString("latin1"))})`);
    }
  }).sort();
}

function lstatOrFail(host: string): Stats {
  try {
    return lstatSync(host);
  } catch (e) {
    throw new UsageError(`cannot read '${host}': ${describeFsError(e)}`);
  }
}

/** Every file under `root` (depth first, sorted, parents before children), planned as cpio members. */
function planTree(root: string, size: ArchiveSize): { entries: CpioEntry[]; reads: PendingRead[] } {
  let st;
  try {
    st = statSync(root); // DIR itself may be a symbolic link to the tree, as for cd or cp -r DIR/
  } catch (e) {
    throw new UsageError(`cannot read directory '${root}': ${describeFsError(e)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`'${root}' is not a directory`);
  const entries: CpioEntry[] = [];
  const reads: PendingRead[] = [];
  // An explicit stack rather than recursion: the depth is the host's to choose.
  const stack: { dir: string; prefix: string; names: string[]; next: number }[] = [{ dir: root, prefix: "", names: listDirectory(root), next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next === top.names.length) { stack.pop(); continue; }
    const name = top.names[top.next++];
    const host = join(top.dir, name);
    const inside = top.prefix ? `${top.prefix}/${name}` : name;
    const s = lstatOrFail(host);
    const type = s.mode & S_IFMT;
    const perm = s.mode & 0o7777;
    switch (type) {
      case S_IFDIR:
        size.add(inside, 0, host);
        entries.push({ name: inside, mode: S_IFDIR | perm });
        stack.push({ dir: host, prefix: inside, names: listDirectory(host), next: 0 });
        break;
      case S_IFREG: {
        size.add(inside, s.size, host);
        const entry: CpioEntry = { name: inside, mode: S_IFREG | perm };
        entries.push(entry);
        reads.push({ entry, host, what: "file", planned: s.size });
        break;
      }
      case S_IFLNK: {
        let target: string;
        try { target = readlinkSync(host); } catch (e) { throw new UsageError(`cannot read symbolic link '${host}': ${describeFsError(e)}`); }
        const data = new TextEncoder().encode(target);
        size.add(inside, data.length, host);
        entries.push({ name: inside, mode: S_IFLNK | 0o777, data });
        break;
      }
      case S_IFCHR: case S_IFBLK: {
        const { major, minor } = devNumbers(s.rdev);
        size.add(inside, 0, host);
        entries.push({ name: inside, mode: type | perm, rdevMajor: major, rdevMinor: minor });
        break;
      }
      // FIFOs and sockets are archived as nodes, as cpio -o and the kernel's gen_init_cpio
      // ("sock" lines) archive them and the kernel's unpacker recreates them (mknod); a copy
      // of a tree keeps its sockets, and leaving one out without a word would surprise.
      case S_IFIFO: case S_IFSOCK:
        size.add(inside, 0, host);
        entries.push({ name: inside, mode: type | perm });
        break;
      default:
        throw new UsageError(`cannot archive '${host}': unknown file type (mode ${s.mode.toString(8)})`);
    }
  }
  return { entries, reads };
}

/** Size of a file to be read with readInputFile, or 0 when it is not one (readInputFile then says why). */
function plannedSize(path: string): { size: number; mode: number } {
  try {
    const st = statSync(path);
    return st.isFile() ? { size: st.size, mode: st.mode & 0o7777 } : { size: 0, mode: 0o644 };
  } catch {
    return { size: 0, mode: 0o644 };
  }
}

/** The busybox root with the --add files, planned as cpio members. */
function planBusybox(busybox: string, init: string, adds: readonly string[], size: ArchiveSize): { entries: CpioEntry[]; reads: PendingRead[] } {
  // Which names the root already has, and which are directories, to check --add against.
  const kinds = new Map<string, "dir" | "file">();
  for (const e of busyboxRoot(new Uint8Array(0), new Uint8Array(0))) kinds.set(e.name, (e.mode & S_IFMT) === S_IFDIR ? "dir" : "file");
  const extra: PendingRead[] = adds.map((spec) => {
    const colon = spec.lastIndexOf(":");
    if (colon <= 0 || colon === spec.length - 1) throw new UsageError(`mkinitramfs: --add expects SRC:DEST, got '${spec}'`);
    const src = spec.slice(0, colon), dest = spec.slice(colon + 1);
    const path = archivePath(dest);
    if ("problem" in path) throw new UsageError(`mkinitramfs: --add destination '${dest}' ${path.problem}`);
    const name = path.name;
    // Two members of one name: the later would silently replace the earlier (or fail to
    // replace a directory) when the kernel unpacks, so say so here.
    if (kinds.has(name)) throw new UsageError(`mkinitramfs: --add destination '${dest}' is already in the archive`);
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (kinds.get(dir) === "file") throw new UsageError(`mkinitramfs: --add destination '${dest}' is inside '/${dir}', which is a file`);
      kinds.set(dir, "dir");
    }
    kinds.set(name, "file");
    const { size: planned, mode } = plannedSize(src);
    return { entry: { name, mode: S_IFREG | mode }, host: src, what: "--add file", planned };
  });
  const entries = busyboxRoot(new Uint8Array(0), new Uint8Array(0), extra.map((r) => r.entry));
  // busyboxRoot's busybox and init members are filled in once everything has been sized.
  const member = (name: string): CpioEntry => entries.find((e) => e.name === name)!;
  const bb: PendingRead = { entry: member("bin/busybox"), host: busybox, what: "busybox", planned: plannedSize(busybox).size };
  const script: PendingRead = { entry: member("init"), host: init, what: "init script", planned: plannedSize(init).size };
  const pending = new Map<CpioEntry, PendingRead>([bb, script, ...extra].map((r) => [r.entry, r]));
  for (const e of entries) {
    const r = pending.get(e);
    size.add(e.name, r ? r.planned : e.data?.length ?? 0, r ? r.host : e.name);
  }
  return { entries, reads: [bb, script, ...extra] };
}

/** Sleep without spinning, for a pipe whose reader is slower than we are. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Write `bytes` to `path`. O_NONBLOCK so that a FIFO nobody reads fails at once (ENXIO) instead
 * of blocking the open forever; a pipe that is read then takes the bytes as fast as its reader
 * does. A regular file that could not be written whole is removed, not left looking like an
 * archive.
 */
function writeOutput(path: string, bytes: Uint8Array): void {
  const problem = (reason: string): never => { throw new UsageError(`cannot write '${path}': ${reason}`); };
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK, 0o666);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENXIO") {
      const st = statSync(path, { throwIfNoEntry: false });
      problem(st?.isFIFO() ? "a FIFO that nobody reads" : st?.isSocket() ? "is a socket" : describeFsError(e));
    }
    // With O_CREAT, a missing file is created: "no such file" means its directory is missing.
    if (code === "ENOENT") problem("its directory does not exist");
    return problem(describeFsError(e));
  }
  let regular = false;
  try {
    regular = fstatSync(fd).isFile();
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(fd, bytes, done, bytes.length - done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        pause(10); // the pipe is full: its reader has not caught up yet
      }
    }
  } catch (e) {
    closeSync(fd);
    if (regular) try { unlinkSync(path); } catch { /* already reported below */ }
    const code = (e as NodeJS.ErrnoException).code;
    return problem(code === "EPIPE" ? "the reader closed the pipe" : describeFsError(e));
  }
  closeSync(fd);
}

export function mkinitramfsMain(argv: string[]): number {
  let output: string | undefined, busybox: string | undefined, init: string | undefined, dir: string | undefined;
  let gzip = true;
  const adds: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "-o": case "--output": output = value(); break;
      case "--busybox": busybox = value(); break;
      case "--init": init = value(); break;
      case "--add": adds.push(value()); break;
      case "--no-gzip": gzip = false; break;
      case "-h": case "--help": process.stdout.write(USAGE + "\n"); return 0;
      default:
        if (a.startsWith("-")) throw new UsageError(`mkinitramfs: unknown option '${a}'`);
        if (dir !== undefined) throw new UsageError(`mkinitramfs: unexpected argument '${a}'`);
        dir = a;
    }
  }
  if (!output) throw new UsageError("mkinitramfs: no output file (use -o FILE)");
  const size = new ArchiveSize();
  let plan: { entries: CpioEntry[]; reads: PendingRead[] };
  if (busybox !== undefined || init !== undefined) {
    if (dir !== undefined) throw new UsageError("mkinitramfs: give either a directory or --busybox/--init, not both");
    if (!busybox || !init) throw new UsageError("mkinitramfs: --busybox and --init go together");
    plan = planBusybox(busybox, init, adds, size);
    readPending(plan.reads, size);
    const bb = plan.reads[0].entry.data!;
    if (!(bb[0] === 0x7f && bb[1] === 0x45 && bb[2] === 0x4c && bb[3] === 0x46)) throw new UsageError(`busybox '${busybox}' is not an ELF executable`);
  } else {
    if (dir === undefined) throw new UsageError("mkinitramfs: nothing to archive (give a directory or --busybox and --init)");
    if (adds.length) throw new UsageError("mkinitramfs: --add goes with --busybox");
    plan = planTree(dir, size);
    readPending(plan.reads, size);
  }
  if (size.bytes > MAX_ARCHIVE_BYTES) throw new UsageError(`the initramfs would be too large: files grew while being read, to ${size.bytes} bytes (the limit is ${MAX_ARCHIVE_TEXT}, ${MAX_ARCHIVE_BYTES} bytes)`);
  const { entries } = plan;
  let cpio: Uint8Array;
  try {
    cpio = writeNewc(entries);
  } catch (e) {
    // A field the newc format cannot hold (e.g. a device number past 32 bits).
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const bytes = gzip ? gzipSync(cpio, { level: 9 }) : cpio;
  writeOutput(output, bytes);
  process.stderr.write(`tessera: wrote ${output} (${entries.length} files, ${bytes.length} bytes${gzip ? `, ${cpio.length} uncompressed` : ""})\n`);
  return 0;
}
