#!/usr/bin/env node
/**
 * `npm run fetch-guests`: fetch the real Linux guests the boot tests and `npm start` use,
 * into a cache outside the repository (downloaded binaries are never committed):
 *
 *   ${TESSERA_CACHE:-$HOME/.cache/tessera}/guests/
 *     linux/      Debian bookworm's linux-image-<version>-cloud-arm64, unpacked (boot/vmlinuz-*)
 *     busybox/    Debian bookworm's busybox-static:arm64, unpacked (bin/busybox)
 *     guests.json what was fetched: package versions and the paths of the kernel and busybox
 *
 * Uses the host's apt: `dpkg --add-architecture arm64` and `apt-get update` when arm64 packages
 * are not known yet (needs root), `apt-get download`, `dpkg-deb -x`. Idempotent: a complete
 * cache is reported and left alone (pass --force to fetch again).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, mkdtempSync, chmodSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const cacheRoot = process.env.TESSERA_CACHE || join(homedir(), ".cache", "tessera");
const dir = join(cacheRoot, "guests");
const manifestPath = join(dir, "guests.json");
const force = process.argv.includes("--force");
const KERNEL_META = "linux-image-cloud-arm64";
const BUSYBOX = "busybox-static";
const STEPS = 5;
let step = 0;

function say(text) { process.stderr.write(`fetch-guests: ${text}\n`); }
function die(text) { say(text); process.exit(1); }
function progress(text) { step++; process.stderr.write(`fetch-guests: [${step}/${STEPS}] ${text}\n`); }

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Run a command; return stdout, or exit with its stderr on failure (unless `tolerate`). */
function run(cmd, args, { cwd, tolerate = false, inherit = false } = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: inherit ? ["ignore", "inherit", "inherit"] : "pipe", maxBuffer: 64 << 20 });
  if (r.error) die(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !tolerate) die(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" / ")}`);
  return r.status === 0 ? (r.stdout ?? "") : undefined;
}

function report(m) {
  process.stdout.write(`kernel:  ${m.kernel}\nbusybox: ${m.busybox}\n(${m.kernelPackage} ${m.kernelVersion}, ${BUSYBOX} ${m.busyboxVersion}; cache ${dir})\n`);
}

// ---- already there?
if (!force && existsSync(manifestPath)) {
  try {
    const m = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (existsSync(m.kernel) && existsSync(m.busybox)) { say("guests already cached"); report(m); process.exit(0); }
  } catch { /* incomplete or damaged: fetch again */ }
}

if (!have("apt-get") || !have("dpkg-deb") || !have("apt-cache")) {
  die("needs apt-get, apt-cache and dpkg-deb (a Debian or Ubuntu host) to fetch Debian's arm64 kernel and busybox; not found here");
}

// ---- arm64 packages known to apt?
progress("checking apt for arm64 packages");
const foreign = (run("dpkg", ["--print-foreign-architectures"], { tolerate: true }) ?? "").split(/\s+/);
const native = (run("dpkg", ["--print-architecture"], { tolerate: true }) ?? "").trim();
let needUpdate = false;
if (native !== "arm64" && !foreign.includes("arm64")) {
  say("adding the arm64 architecture to dpkg (dpkg --add-architecture arm64)");
  run("dpkg", ["--add-architecture", "arm64"]);
  needUpdate = true;
}
const known = () => run("apt-cache", ["show", `${KERNEL_META}:arm64`], { tolerate: true }) !== undefined;
if (needUpdate || !known()) {
  say("updating the package lists (apt-get update)");
  run("apt-get", ["update"], { inherit: true });
  if (!known()) die(`apt does not know ${KERNEL_META}:arm64 (is this Debian bookworm with the main component?)`);
}

// ---- resolve the versioned kernel package the metapackage depends on
progress(`resolving ${KERNEL_META}`);
const depends = run("apt-cache", ["depends", `${KERNEL_META}:arm64`]);
const kernelPackage = /Depends:\s*(linux-image-[0-9][^\s:]*-cloud-arm64)/.exec(depends)?.[1];
if (!kernelPackage) die(`cannot find the kernel package ${KERNEL_META} depends on in:\n${depends}`);
const versionOf = (pkg) => /Candidate:\s*(\S+)/.exec(run("apt-cache", ["policy", `${pkg}:arm64`]))?.[1] ?? "unknown";
const kernelVersion = versionOf(kernelPackage);
const busyboxVersion = versionOf(BUSYBOX);
say(`${kernelPackage} ${kernelVersion}, ${BUSYBOX} ${busyboxVersion}`);

// ---- download into a scratch directory inside the cache (apt's _apt user must write there)
mkdirSync(dir, { recursive: true });
const scratch = mkdtempSync(join(dir, ".download-"));
chmodSync(scratch, 0o777);
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
progress(`downloading ${kernelPackage}:arm64 and ${BUSYBOX}:arm64 (about 30 MB)`);
run("apt-get", ["-o", "APT::Sandbox::User=root", "download", `${kernelPackage}:arm64`, `${BUSYBOX}:arm64`], { cwd: scratch, inherit: true });
const debs = readdirSync(scratch).filter((f) => f.endsWith(".deb"));
const kernelDeb = debs.find((f) => f.startsWith(`${kernelPackage}_`));
const busyboxDeb = debs.find((f) => f.startsWith(`${BUSYBOX}_`));
if (!kernelDeb || !busyboxDeb) die(`apt-get download did not produce both packages (got: ${debs.join(", ") || "nothing"})`);

// ---- unpack
progress("unpacking with dpkg-deb -x");
const unpack = (deb, name) => {
  const tmp = join(scratch, name);
  run("dpkg-deb", ["-x", join(scratch, deb), tmp]);
  const dest = join(dir, name);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
};
const linuxDir = unpack(kernelDeb, "linux");
const busyboxDir = unpack(busyboxDeb, "busybox");
const vmlinuz = readdirSync(join(linuxDir, "boot")).find((f) => f.startsWith("vmlinuz-"));
if (!vmlinuz) die(`no boot/vmlinuz-* in ${kernelDeb}`);
const busybox = join(busyboxDir, "bin", "busybox");
if (!existsSync(busybox)) die(`no bin/busybox in ${busyboxDeb}`);

progress("recording the cache manifest");
const manifest = {
  kernel: join(linuxDir, "boot", vmlinuz), busybox, kernelPackage, kernelVersion, busyboxVersion,
  fetched: new Date().toISOString(),
};
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
report(manifest);
