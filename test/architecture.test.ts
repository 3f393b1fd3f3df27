/**
 * The core must stay platform-neutral so it can run in a browser: no Node built-ins, no Buffer
 * and no process environment anywhere under src/ except the CLI layer (src/cli) that owns files,
 * terminals and processes. And the CPU is layered below the machine: src/cpu reaches boards,
 * devices, firmware and hypervisors only through its platform interface (src/cpu/platform.ts),
 * so it imports none of them. src/machine (CPU cluster, scheduler, device specs) is what every
 * board and the hypervisor build on, so it knows none of them, nor the hosts that drive it; and
 * only the CLI itself reaches into the CLI.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const NODE_MODULES = /\bfrom\s+["'](node:[^"']+|fs|path|os|child_process|process|buffer|url|zlib|net|tty|readline|worker_threads)["']|\brequire\(|\bimport\(["']node:/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

test("core modules import no Node built-ins and use no Buffer", () => {
  const offenders: string[] = [];
  const files = sources(join(root, "src")).filter((f) => !relative(root, f).startsWith(join("src", "cli")));
  assert.ok(files.length > 20, "the core sources were found");
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    text.split("\n").forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "");
      if (NODE_MODULES.test(code) || /\bBuffer\b/.test(code) || /\bprocess\s*(\?\.|\.|\[)/.test(code) || /\bglobalThis\b[^;]*\bprocess\b/.test(code)) {
        offenders.push(`${relative(root, f)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, [], "platform-specific code outside src/cli");
});

/** Relative imports of a source file, resolved to paths under the repository root. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    out.push(relative(root, join(file, "..", m[1]!)));
  }
  return out;
}

test("src/cpu imports nothing from the machine around it (boards, devices, firmware, hypervisor, host, CLI)", () => {
  const forbidden = ["board", "boards", "devices", "firmware", "hypervisor", "host", "cli"].map((d) => join("src", d) + "/");
  const offenders: string[] = [];
  const files = sources(join(root, "src", "cpu"));
  assert.ok(files.length > 10, "the CPU sources were found");
  for (const f of files) {
    for (const target of relativeImports(f)) {
      if (forbidden.some((d) => target.startsWith(d))) offenders.push(`${relative(root, f)} imports ${target}`);
    }
  }
  assert.deepEqual(offenders, [], "src/cpu must reach the machine only through CpuPlatform");
});

/** Offending relative imports of the sources under `dir` into any of the `forbidden` folders. */
function importsInto(dir: string, forbidden: string[]): string[] {
  const prefixes = forbidden.map((d) => join("src", d) + "/");
  const offenders: string[] = [];
  for (const f of sources(join(root, dir))) {
    for (const target of relativeImports(f)) {
      if (prefixes.some((d) => target.startsWith(d))) offenders.push(`${relative(root, f)} imports ${target}`);
    }
  }
  return offenders;
}

test("src/machine imports nothing from boards, the hypervisor, hosts or the CLI", () => {
  assert.ok(sources(join(root, "src", "machine")).length >= 3, "the machine sources were found");
  assert.deepEqual(importsInto(join("src", "machine"), ["board", "boards", "hypervisor", "host", "cli"]), [],
    "src/machine must not know the boards or hypervisor built on it, nor the hosts that run it");
});

test("nothing under src/ but src/cli imports src/cli", () => {
  const offenders: string[] = [];
  for (const name of readdirSync(join(root, "src"))) {
    if (name === "cli" || !statSync(join(root, "src", name)).isDirectory()) continue;
    offenders.push(...importsInto(join("src", name), ["cli"]));
  }
  assert.deepEqual(offenders, [], "the core must not depend on the command line");
});

test("src/debug (the gdb stub, the machine's debug control) reaches CPUs and memory only, never a board, the hypervisor, a host or the CLI", () => {
  assert.ok(sources(join(root, "src", "debug")).length >= 3, "the debug sources were found");
  assert.deepEqual(importsInto(join("src", "debug"), ["board", "boards", "devices", "firmware", "hypervisor", "host", "cli"]), [],
    "src/debug must be platform-neutral and know machines only through DebuggableMachine");
});
