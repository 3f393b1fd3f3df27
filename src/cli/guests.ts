/**
 * The Linux guests `npm run fetch-guests` (scripts/fetch-guests.mjs) leaves in the cache outside
 * the repository: Debian's arm64 kernel and busybox, described by guests.json. Used by
 * `tessera demo` (npm start), the Linux boot test and the boot benchmark.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { busyboxRoot, S_IFREG, writeNewc } from "../initramfs/cpio.js";

export interface CachedGuests {
  dir: string;
  kernel: string;
  busybox: string;
  kernelPackage?: string;
  kernelVersion?: string;
}

/** ${TESSERA_CACHE:-$HOME/.cache/tessera}/guests, as the fetch script uses it. */
export function guestCacheDir(): string {
  return join(process.env.TESSERA_CACHE || join(homedir(), ".cache", "tessera"), "guests");
}

/** The cached kernel and busybox, or undefined when they have not been fetched (or are gone). */
export function findGuests(): CachedGuests | undefined {
  const dir = guestCacheDir();
  try {
    const m = JSON.parse(readFileSync(join(dir, "guests.json"), "utf8")) as Partial<CachedGuests>;
    if (typeof m.kernel !== "string" || typeof m.busybox !== "string") return undefined;
    if (!existsSync(m.kernel) || !existsSync(m.busybox)) return undefined;
    return { dir, kernel: m.kernel, busybox: m.busybox, kernelPackage: m.kernelPackage, kernelVersion: m.kernelVersion };
  } catch {
    return undefined;
  }
}

/**
 * The folder of one extra package set of the fetch script's EXTRAS table (its packages unpacked
 * together), or undefined when it has not been fetched.
 */
export function findExtraGuest(name: string): string | undefined {
  const dir = guestCacheDir();
  try {
    const m = JSON.parse(readFileSync(join(dir, "guests.json"), "utf8")) as { extras?: Record<string, unknown> };
    const path = join(dir, name);
    return m.extras?.[name] !== undefined && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** One line telling how to fill the cache. */
export const FETCH_HINT = "no Linux guest in the cache (run `npm run fetch-guests` to fetch Debian's arm64 kernel and busybox)";

/** A gzip-compressed busybox initramfs with `init` (a shell script) as /init, and executable `scripts` by path. */
export function busyboxInitramfs(busybox: string, init: Uint8Array | string, scripts: Record<string, Uint8Array> = {}): Uint8Array {
  const script = typeof init === "string" ? new TextEncoder().encode(init) : init;
  const extra = Object.entries(scripts).map(([name, data]) => ({ name, mode: S_IFREG | 0o755, data }));
  return gzipSync(writeNewc(busyboxRoot(new Uint8Array(readFileSync(busybox)), script, extra)), { level: 6 });
}
