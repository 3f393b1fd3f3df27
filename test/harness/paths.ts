/**
 * Locations shared by the guest-program tests and benchmarks.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tests", "guests"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot locate the repository root from " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot();
export const GUEST_SRC_DIR = join(REPO_ROOT, "tests", "guests");
export const GUEST_BUILD_SCRIPT = join(GUEST_SRC_DIR, "build.sh");
/** Built guest ELFs; outside version control (.cache/ is ignored). */
export const GUEST_OUT_DIR = resolve(process.env.TESSERA_GUEST_DIR ?? join(REPO_ROOT, ".cache", "guests"));
export const PREBUILT_HELLO = join(GUEST_SRC_DIR, "prebuilt", "hello.elf");
/** The Tessera command-line entry point (overridable for experiments). */
export const TESSERA_CLI = resolve(process.env.TESSERA_CLI ?? join(REPO_ROOT, "dist", "src", "cli", "main.js"));
export const QEMU = process.env.QEMU ?? "qemu-system-aarch64";
export const CROSS_CC = process.env.CROSS_CC ?? "aarch64-linux-gnu-gcc";
