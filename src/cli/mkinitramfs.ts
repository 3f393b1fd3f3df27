/**
 * `tessera mkinitramfs`: build a gzip-compressed newc cpio initramfs without host cpio or gzip.
 *
 *   tessera mkinitramfs DIR -o OUT                      the tree under DIR, owned by root
 *   tessera mkinitramfs --busybox BIN --init FILE -o OUT [--add SRC:DEST]...
 *                                                       a ready busybox root (see busyboxRoot)
 *
 * --no-gzip writes the plain cpio. Members are sorted and get mtime 0, so the same input gives
 * the same bytes. Mistakes print one line "tessera: <problem>" and exit 2.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { busyboxRoot, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, writeNewc, type CpioEntry } from "../initramfs/cpio.js";
import { UsageError } from "./args.js";

const USAGE = `usage: tessera mkinitramfs DIR -o OUT.cpio.gz
       tessera mkinitramfs --busybox BUSYBOX --init INIT [--add SRC:DEST]... -o OUT.cpio.gz
options: --no-gzip (plain cpio)`;

function readHostFile(path: string, what: string): Uint8Array {
  try {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) throw new UsageError(`cannot read ${what} '${path}': no such file`);
    if (st.isDirectory()) throw new UsageError(`cannot read ${what} '${path}': is a directory`);
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} '${path}': ${(e as Error).message}`);
  }
}

/** Linux's dev_t encoding (new_encode_dev in include/linux/kdev_t.h, glibc's gnu_dev_major/minor). */
function devNumbers(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/** Every file under `root` (depth first, sorted, parents before children), as cpio members. */
export function treeEntries(root: string): CpioEntry[] {
  const st = lstatSync(root, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`cannot read directory '${root}': no such file`);
  if (!st.isDirectory()) throw new UsageError(`'${root}' is not a directory`);
  const out: CpioEntry[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const host = join(dir, name);
      const inside = prefix ? `${prefix}/${name}` : name;
      const s = lstatSync(host);
      const perm = s.mode & 0o7777;
      switch (s.mode & S_IFMT) {
        case S_IFDIR: out.push({ name: inside, mode: S_IFDIR | perm }); walk(host, inside); break;
        case S_IFREG: out.push({ name: inside, mode: S_IFREG | perm, data: new Uint8Array(readFileSync(host)) }); break;
        case S_IFLNK: out.push({ name: inside, mode: S_IFLNK | 0o777, data: new TextEncoder().encode(readlinkSync(host)) }); break;
        case S_IFCHR: case S_IFBLK: {
          const { major, minor } = devNumbers(s.rdev);
          out.push({ name: inside, mode: (s.mode & S_IFMT) | perm, rdevMajor: major, rdevMinor: minor });
          break;
        }
        case S_IFIFO: out.push({ name: inside, mode: S_IFIFO | perm }); break;
        default: break; // sockets cannot be archived
      }
    }
  };
  walk(root, "");
  return out;
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
  let entries: CpioEntry[];
  if (busybox !== undefined || init !== undefined) {
    if (dir !== undefined) throw new UsageError("mkinitramfs: give either a directory or --busybox/--init, not both");
    if (!busybox || !init) throw new UsageError("mkinitramfs: --busybox and --init go together");
    const extra = adds.map((spec): CpioEntry => {
      const colon = spec.lastIndexOf(":");
      if (colon <= 0 || colon === spec.length - 1) throw new UsageError(`mkinitramfs: --add expects SRC:DEST, got '${spec}'`);
      const data = readHostFile(spec.slice(0, colon), "file");
      const mode = lstatSync(spec.slice(0, colon)).mode & 0o7777;
      return { name: spec.slice(colon + 1), mode: S_IFREG | mode, data };
    });
    const bb = readHostFile(busybox, "busybox");
    if (!(bb[0] === 0x7f && bb[1] === 0x45 && bb[2] === 0x4c && bb[3] === 0x46)) throw new UsageError(`busybox '${busybox}' is not an ELF executable`);
    entries = busyboxRoot(bb, readHostFile(init, "init script"), extra);
  } else {
    if (dir === undefined) throw new UsageError("mkinitramfs: nothing to archive (give a directory or --busybox and --init)");
    if (adds.length) throw new UsageError("mkinitramfs: --add goes with --busybox");
    entries = treeEntries(dir);
  }
  const cpio = writeNewc(entries);
  const bytes = gzip ? gzipSync(cpio, { level: 9 }) : cpio;
  try {
    writeFileSync(output, bytes);
  } catch (e) {
    throw new UsageError(`cannot write '${output}': ${(e as Error).message}`);
  }
  process.stderr.write(`tessera: wrote ${output} (${entries.length} files, ${bytes.length} bytes${gzip ? `, ${cpio.length} uncompressed` : ""})\n`);
  return 0;
}
