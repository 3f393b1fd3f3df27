#!/usr/bin/env node
/**
 * `npm run fetch-guests`: fetch the real Linux guests the boot tests and `npm start` use,
 * into a cache outside the repository (downloaded binaries are never committed):
 *
 *   ${TESSERA_CACHE:-$HOME/.cache/tessera}/guests/
 *     linux/      Debian bookworm's linux-image-<version>-cloud-arm64, unpacked (boot/vmlinuz-*)
 *     busybox/    Debian bookworm's busybox-static:arm64, unpacked (bin/busybox)
 *     <extra>/    each entry of EXTRAS below: its packages unpacked together into one folder
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

/**
 * More Debian arm64 packages some tests boot or load, each set unpacked together into
 * guests/<dir>/ (so a program and the libraries it needs share one root). Tests find them with
 * findExtraGuest(dir) in src/cli/guests.ts. One line per set; packages are names apt resolves
 * for arm64 (":arm64" is added unless the name already has an architecture).
 */
const EXTRAS = [
  { dir: "u-boot", packages: ["u-boot-qemu:all"] },
  // Debian's Xen hypervisor (boot/xen-4.17-arm64), the oracle of test/hypervisor/xen-oracle.test.ts.
  { dir: "xen", packages: ["xen-hypervisor-4.17-arm64"] },
  // Debian's Xen toolstack for dom0 (test/el2/xen-toolstack.test.ts): xl, the C xenstored,
  // xenconsoled, xen-init-dom0 and xenstore-read/-ls, with the closure of their DT_NEEDED
  // libraries (readelf -d) and libgcc_s, which glibc loads for pthread_cancel in xl's child.
  // Not xen-utils-common (init scripts, hotplug scripts, the xl wrapper: the test calls the
  // programs itself) nor ncurses (only xentop links it).
  { dir: "xen-utils", packages: ["xen-utils-4.17", "xenstore-utils", "libxenmisc4.17", "libxenstore4", "libxentoolcore1", "libxencall1",
    "libxenevtchn1", "libxenforeignmemory1", "libxendevicemodel1", "libxengnttab1", "libxentoollog1", "libxenhypfs1", "libyajl2", "libfdt1",
    "libuuid1", "zlib1g", "libgcc-s1", "libc6"] },
  // Debian's perf (test/linux/pmu.test.ts) and the shared libraries it loads: the closure of
  // linux-perf's Depends less perl and python3 themselves (`perf stat` needs only libperl and
  // libpython, which it links against).
  { dir: "perf", packages: ["linux-perf", "libbabeltrace1", "libglib2.0-0", "libpcre2-8-0", "libffi8", "libmount1", "libselinux1",
    "libblkid1", "libcap2", "libdw1", "libbz2-1.0", "libelf1", "liblzma5", "libnuma1", "libopencsd1", "libstdc++6", "libgcc-s1",
    "libperl5.36", "libcrypt1", "libdb5.3", "libgdbm6", "libgdbm-compat4", "libpython3.11", "libexpat1", "zlib1g", "libslang2",
    "libunwind8", "libzstd1", "libc6", "libuuid1"] },
  // Debian's wg (test/hypervisor/wireguard.test.ts), which links against libc alone.
  { dir: "wireguard", packages: ["wireguard-tools", "libc6"] },
];

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
let previous;
if (!force && existsSync(manifestPath)) {
  try { previous = JSON.parse(readFileSync(manifestPath, "utf8")); } catch { /* damaged: fetch again */ }
}
const baseThere = previous !== undefined && typeof previous.kernel === "string" && typeof previous.busybox === "string" &&
  existsSync(previous.kernel) && existsSync(previous.busybox);
const extraThere = (e) => previous?.extras?.[e.dir] !== undefined && existsSync(join(dir, e.dir)) &&
  e.packages.every((p) => previous.extras[e.dir].packages.includes(p));
const missingExtras = force ? EXTRAS : EXTRAS.filter((e) => !extraThere(e));
if (baseThere && missingExtras.length === 0) { say("guests already cached"); report(previous); process.exit(0); }

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

// ---- download into a scratch directory inside the cache (apt's _apt user must write there)
mkdirSync(dir, { recursive: true });
const scratch = mkdtempSync(join(dir, ".download-"));
chmodSync(scratch, 0o777);
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const versionOf = (pkg) => /Candidate:\s*(\S+)/.exec(run("apt-cache", ["policy", pkg.includes(":") ? pkg : `${pkg}:arm64`]))?.[1] ?? "unknown";

const base = baseThere ? previous : fetchBase();
function fetchBase() {
  // ---- resolve the versioned kernel package the metapackage depends on
  progress(`resolving ${KERNEL_META}`);
  const depends = run("apt-cache", ["depends", `${KERNEL_META}:arm64`]);
  const kernelPackage = /Depends:\s*(linux-image-[0-9][^\s:]*-cloud-arm64)/.exec(depends)?.[1];
  if (!kernelPackage) die(`cannot find the kernel package ${KERNEL_META} depends on in:\n${depends}`);
  const kernelVersion = versionOf(kernelPackage);
  const busyboxVersion = versionOf(BUSYBOX);
  say(`${kernelPackage} ${kernelVersion}, ${BUSYBOX} ${busyboxVersion}`);

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
  return { kernel: join(linuxDir, "boot", vmlinuz), busybox, kernelPackage, kernelVersion, busyboxVersion };
}

// ---- the extra package sets
const extras = { ...(previous?.extras ?? {}) };
for (const e of missingExtras) {
  const names = e.packages.map((p) => (p.includes(":") ? p : `${p}:arm64`));
  say(`downloading ${names.join(", ")} for ${e.dir}/`);
  const sub = mkdtempSync(join(scratch, "extra-"));
  chmodSync(sub, 0o777);
  run("apt-get", ["-o", "APT::Sandbox::User=root", "download", ...names], { cwd: sub, inherit: true });
  const tmp = join(scratch, `unpacked-${e.dir}`);
  mkdirSync(tmp, { recursive: true });
  for (const deb of readdirSync(sub).filter((f) => f.endsWith(".deb"))) run("dpkg-deb", ["-x", join(sub, deb), tmp]);
  const dest = join(dir, e.dir);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  extras[e.dir] = { packages: e.packages, versions: Object.fromEntries(e.packages.map((p) => [p, versionOf(p)])) };
}

progress("recording the cache manifest");
const manifest = {
  kernel: base.kernel, busybox: base.busybox, kernelPackage: base.kernelPackage, kernelVersion: base.kernelVersion,
  busyboxVersion: base.busyboxVersion, extras, fetched: new Date().toISOString(),
};
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
report(manifest);
