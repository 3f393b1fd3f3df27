#!/usr/bin/env node
/**
 * The `tessera` command: `run` boots a kernel on the virt board with QEMU-compatible options,
 * `dtc` is the device-tree compiler, `demo` runs the bundled hello program. User mistakes print
 * one line "tessera: <problem>" and exit 2; a guest that gets stuck is reported with its CPU
 * state and exit 1; PSCI SYSTEM_OFF/SYSTEM_RESET end the run with exit 0 (as QEMU -no-reboot).
 */
import "./v8-tuning.js";
import { readFileSync, writeFileSync, openSync, writeSync, closeSync, existsSync, mkdtempSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { VirtBoard } from "../boards/virt/virt.js";
import { VIRT } from "../boards/virt/memory-map.js";
import { planBoot, type BootPlan } from "../loaders/boot.js";
import { applyLoaders, flashBackings, planLoaders } from "./firmware.js";
import { parseRunArgs, UsageError, type RunArgs } from "./args.js";
import { hostEntropy, openChardev, openDrive, openMemdev } from "./device-backends.js";
import { VirtioPciFunction, virtioPciVectors } from "../devices/virtio/pci-transport.js";
import { IvshmemPlain } from "../devices/pci/ivshmem.js";
import type { PciPlugging } from "../boards/virt/virt-devices.js";
import { VirtioConsole } from "../devices/virtio/console.js";
import type { DeviceArgs } from "./device-args.js";
import type { VirtioDevice } from "../devices/virtio/device.js";
import { VirtioBlock } from "../devices/virtio/block.js";
import { VirtioEntropy } from "../devices/virtio/entropy.js";
import { DefaultMacs, VirtioNet } from "../devices/virtio/net.js";
import type { NetBackend } from "../net/backend.js";
import { openSocketNetdev, unpluggedBackend } from "./net-sockets.js";
import { openUserNetdev } from "./netdev-user.js";
import { attachConsole } from "./console.js";
import { PanicWatch } from "../host/panic-watch.js";
import { runSession } from "../host/run-loop.js";
import { installTracing } from "./trace.js";
import { MachineDebugger } from "../debug/machine-debugger.js";
import { openGdbServer, type GdbServer } from "./gdb-server.js";
import { jitThresholdsFromEnvironment } from "./jit-env.js";
import { checkCpio, identifyInitrd } from "../initramfs/identify.js";
import { FETCH_HINT, busyboxInitramfs, findGuests } from "./guests.js";
import { decompressKernel, describeFsError, readInputFile } from "./host-files.js";
import { EXIT_FAILURE as EXIT_GUEST_FAILURE, EXIT_OK, EXIT_USAGE, HostOutputError, outputDrained, outputFailure, reportError, runCli, writeStderr, writeStdout } from "./process-host.js";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const HELP = `usage: tessera run -kernel FILE | -bios FILE [options]   boot FILE on the virt board
       tessera dtc [dtc options] FILE           device-tree compiler
       tessera mkinitramfs DIR | --busybox BIN --init FILE  -o OUT.cpio.gz
                                                build a gzip-compressed newc initramfs
       tessera hv CONFIG.dts [--check] [--dump-guest-dtb NAME]
                                                check a partitioning config (docs/hv-config.md)
       tessera xl COMMAND [ARGS]                Xen's xl for a running tessera hv (create, list, ...)
       tessera xenstore ls|read|write|rm|chmod|watch   its XenStore, as Xen's xenstore-* tools
       tessera demo [--linux | --bare-metal]    Linux beside the RTOS under the hypervisor, or
                                                Linux alone to a shell (cached Debian guest), or
                                                the bundled hello program
       tessera --help | --version

run options (QEMU spelling):
  -kernel FILE        ELF, arm64 Image or raw binary (with firmware: handed to it through fw_cfg)
  -bios FILE          firmware image for flash bank 0 (the CPU starts at 0; DTB at the start of RAM)
  -initrd FILE        initial ramdisk (Linux images)
  -append STRING      kernel command line (/chosen/bootargs)
  -dtb FILE           use this device tree instead of the generated one
  -smp [cpus=]N[,maxcpus=M][,sockets=S][,clusters=C][,cores=K][,threads=T]   1 to 8 CPUs
  -m SIZE             RAM size (default 128M)
  -machine virt[,gic-version=2|3][,virtualization=on|off][,secure=on|off][,dumpdtb=FILE]   (also -M)
  -cpu cortex-a53|cortex-a57|cortex-a72   the CPU model (MIDR, caches, PMU IDCODE, DT compatible; max = cortex-a53)
  -nographic  -no-reboot  -serial stdio|mon:stdio  -net none  -monitor none
  -drive file=F,if=none,id=ID,format=raw[,readonly=on][,snapshot=on]   a raw disk image
  -device virtio-blk-device,drive=ID | virtio-rng-device   on the virtio-mmio transports
  -chardev file,id=C,path=F | null,id=C  -device virtio-serial-device -device virtconsole,chardev=C
  -netdev user,id=N[,net=A/M][,host=A][,dns=A][,dhcpstart=A][,restrict=on][,hostfwd=tcp|udp:[HA]:HP-[GA]:GP]...
                      QEMU's user-mode network (10.0.2.0/24, DHCP, DNS relay, host forwarding)
  -netdev socket,id=N,listen=[HOST]:PORT|connect=HOST:PORT|udp=HOST:PORT,localaddr=HOST:PORT
  -netdev stream,id=N,server=on|off,addr.type=inet,addr.host=H,addr.port=P (or addr.type=unix,addr.path=F)
  -netdev dgram,id=N,local.type=inet,local.host=H,local.port=P,remote.type=inet,remote.host=H,remote.port=P
  -device virtio-net-device,netdev=N[,mac=52:54:00:12:34:56]   a NIC on that network backend
  -global virtio-mmio.force-legacy=false   version 2 virtio-mmio (default: legacy, as QEMU)
  -drive if=pflash,format=raw,file=F[,unit=0|1][,readonly=on]   a 64 MiB flash bank backed by F
  -device loader,file=F[,addr=A][,cpu-num=N][,force-raw=on] | loader,addr=A,data=V,data-len=L[,data-be=on]
         | loader,addr=A,cpu-num=N     QEMU's generic loader (images, values, a CPU's PC)
  -device guest-loader,addr=A,kernel=F[,bootargs=S] | guest-loader,addr=A,initrd=F   a blob and its /chosen/module@
  -d exec,int         instruction / exception trace on stderr (or the -D file)
  -D FILE             trace output file
  --max-insns N       stop after N instructions
  --watchdog SECONDS  give up after this much wall-clock time
  -gdb tcp:[HOST]:PORT  wait for gdb on this TCP port (-s: -gdb tcp::1234)
  -S                  start with the CPUs stopped, for gdb to continue (needs -gdb or -s)
  -icount [shift=]N|auto[,sleep=on|off]
                      the guest's clock counts instructions, 2^N ns each (deterministic runs;
                      shift=4 is one counter tick each), instead of following host time
Console: Ctrl-A X quits, Ctrl-A H shows help (when stdin is a terminal).`;

function fail(message: string): never {
  throw new UsageError(message);
}

/** An image for the guest: a regular file no larger than the guest RAM it has to fit in. */
function readImage(path: string, what: string, ramSize: number): Uint8Array {
  return readInputFile(path, what, { maxBytes: ramSize, limitText: `in ${Math.round(ramSize / 1048576)} MiB of guest RAM` });
}

/**
 * The -netdev backends, opened before the guest starts (a port in use or a refused connection
 * is the user's error then, not the guest's surprise later), by id.
 */
async function openNetdevs(d: DeviceArgs): Promise<Map<string, NetBackend>> {
  const backends = new Map<string, NetBackend>();
  try {
    for (const n of d.netdevs) {
      backends.set(n.id, n.kind === "user" ? await openUserNetdev(n) : await openSocketNetdev(n, (line) => writeStderr(`tessera: warning: ${line}`)));
    }
  } catch (e) {
    for (const b of backends.values()) b.close?.();
    throw e;
  }
  return backends;
}

/** The -device virtio-* instances with their host backends, in command-line order, and where each goes. */
function virtioDevices(d: DeviceArgs, netdevs: Map<string, NetBackend>): { device: VirtioDevice; pciDevfn?: number }[] {
  const macs = new DefaultMacs();
  return d.virtioDevices.map((dev) => ({ device: virtioBackend(d, dev, netdevs, macs), pciDevfn: dev.pci ? dev.devfn : undefined }));
}

function virtioBackend(d: DeviceArgs, dev: DeviceArgs["virtioDevices"][number], netdevs: Map<string, NetBackend>, macs: DefaultMacs): VirtioDevice {
  if (dev.kind === "virtio-net") {
    return new VirtioNet(dev.netdev === undefined ? unpluggedBackend() : netdevs.get(dev.netdev)!, macs.assign(dev.mac));
  }
  if (dev.kind === "virtio-rng") return new VirtioEntropy(hostEntropy);
  if (dev.kind === "virtio-serial") {
    const chardev = d.chardevs.find((c) => c.id === dev.console);
    return new VirtioConsole(chardev && openChardev(chardev));
  }
  const drive = d.drives.find((x) => x.id === dev.drive)!;
  return new VirtioBlock(openDrive(drive), dev.serial);
}

/** The functions on pcie.0: the virtio-*-pci devices and the ivshmem-plain ones, at the slots the arguments assigned. */
function pciPluggings(d: DeviceArgs, virtio: { device: VirtioDevice; pciDevfn?: number }[]): PciPlugging[] {
  const out: PciPlugging[] = [];
  for (const v of virtio) {
    if (v.pciDevfn === undefined) continue;
    out.push({ devfn: v.pciDevfn, create: (mem) => new VirtioPciFunction(v.device, mem, virtioPciVectors(v.device)) });
  }
  for (const i of d.ivshmem) {
    const memory = openMemdev(d.memdevs.find((m) => m.id === i.memdev)!);
    out.push({ devfn: i.devfn!, create: () => new IvshmemPlain(memory) });
  }
  return out;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Guest state for reports: every CPU's PC, EL, ESR and FAR. */
function describeGuest(board: VirtBoard | undefined): string {
  if (!board) return "";
  return board.cpus.map((c) => `  ${c.describe()}${c.off ? " (off)" : c.halted ? " (waiting)" : ""}`).join("\n");
}

/** Linux unpacks the initrd only after minutes of emulated boot: catch damaged files first. */
function checkInitrd(bytes: Uint8Array, path: string): void {
  if (bytes.length === 0) fail(`initrd '${path}' is empty`);
  const kind = identifyInitrd(bytes);
  if (kind === undefined) {
    fail(`initrd '${path}' is not a cpio archive, a compressed one (gzip, bzip2, lzma, xz, lzo, lz4, zstd) or a ramdisk image`);
  }
  let cpio: Uint8Array | undefined;
  if (kind === "cpio") cpio = bytes;
  else if (kind === "gzip") {
    try {
      cpio = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      fail(`initrd '${path}' is a damaged gzip file (${(e as Error).message})`);
    }
  }
  if (cpio) {
    const problem = checkCpio(cpio);
    if (problem) fail(`initrd '${path}' is not a valid newc cpio archive: ${problem}`);
  }
}

/**
 * arm64 Linux copies at most COMMAND_LINE_SIZE - 1 = 2047 bytes of /chosen/bootargs
 * (arch/arm64/include/uapi/asm/setup.h) and silently drops the rest; refuse instead.
 */
const COMMAND_LINE_SIZE = 2048;
function checkCommandLine(append: string): void {
  const n = new TextEncoder().encode(append).length;
  if (n >= COMMAND_LINE_SIZE) fail(`kernel command line too long (${n} bytes; arm64 Linux takes at most ${COMMAND_LINE_SIZE - 1})`);
}

async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  for (const w of args.warnings) writeStderr(`tessera: warning: ${w}`);
  // Without -kernel the CPU starts at the reset vector (address 0, flash bank 0) with the DTB at
  // the start of RAM for the firmware, as QEMU's arm_load_kernel leaves a firmware boot.
  // With firmware (-bios or flash unit 0) a -kernel, -initrd and -append are handed to it through
  // fw_cfg instead (hw/arm/boot.c: the kernel gunzipped when it is gzip, the rest as they are).
  const boot = readBoot(args);
  const netdevs = await openNetdevs(args.devices);
  try {
    return await runBoard(args, netdevs, boot);
  } finally {
    for (const b of netdevs.values()) b.close?.();
  }
}

/**
 * The images of a run, read and checked. Only this object holds them (no local of the
 * long-running async functions does), so that runBoard can let them go once they are in guest
 * RAM: the arm64 Linux Image alone is some 27 MB.
 */
function readBoot(args: RunArgs): FirmwareBoot {
  const firmware = args.bios !== undefined || args.devices.pflash[0] !== undefined;
  const kernel = args.kernel !== undefined ? decompressKernel(readImage(args.kernel, "kernel", args.ramSize), args.kernel) : undefined;
  const initrd = args.initrd ? readImage(args.initrd, "initrd", args.ramSize) : undefined;
  const userDtb = args.dtb ? readImage(args.dtb, "device tree", args.ramSize) : undefined;
  const plan: BootPlan = kernel && !firmware ? planBoot({ kernel, initrd, ramBase: VIRT.RAM_BASE, ramSize: args.ramSize })
    : { isLinux: false, entry: 0, loads: [], dtbAddr: VIRT.RAM_BASE, dtbLimit: VIRT.RAM_BASE + args.ramSize };
  if (initrd && plan.isLinux) checkInitrd(initrd, args.initrd!);
  if (plan.isLinux && args.append !== undefined) checkCommandLine(args.append);
  return { plan, userDtb, firmware, kernel, initrd, flash: flashBackings(args), loaders: planLoaders(args) };
}

/** What runCommand worked out about firmware, the kernel and the loaders, for runBoard. */
interface FirmwareBoot {
  plan: BootPlan;
  userDtb: Uint8Array | undefined;
  /** -bios or flash unit 0: the kernel, initrd and command line go to the firmware through fw_cfg. */
  firmware: boolean;
  kernel: Uint8Array | undefined;
  initrd: Uint8Array | undefined;
  flash: ReturnType<typeof flashBackings>;
  loaders: ReturnType<typeof planLoaders>;
}

/**
 * Drop the run's references to image bytes now copied into guest RAM (fw_cfg keeps its own to
 * what it hands to firmware), so that they are not held twice for the whole run.
 */
function releaseImages(boot: FirmwareBoot): void {
  const none = new Uint8Array(0);
  for (const l of boot.plan.loads) l.data = none;
  for (const b of boot.loaders.blobs) b.bytes = none;
  boot.kernel = boot.initrd = boot.userDtb = undefined;
}

/** Build the board with its devices on the opened netdevs, load the guest and run it to the end. */
async function runBoard(args: RunArgs, netdevs: Map<string, NetBackend>, boot: FirmwareBoot): Promise<number> {
  const { plan, firmware, flash, loaders } = boot;
  const out: number[] = [];
  const console_ = new PanicWatch();
  // False once standard output is queued past its high-water mark: the run then waits for the
  // reader, as QEMU's blocking character backend does, instead of buffering without bound.
  let outputKeepsUp = true;
  const flushOutput = () => {
    if (out.length) { const bytes = Uint8Array.from(out); console_.feed(bytes); outputKeepsUp = writeStdout(bytes) && outputKeepsUp; out.length = 0; }
  };
  const allVirtio = virtioDevices(args.devices, netdevs);
  const virtio = { devices: allVirtio.filter((v) => v.pciDevfn === undefined).map((v) => v.device), legacy: args.devices.virtioLegacy };
  const pci = pciPluggings(args.devices, allVirtio);
  let board: VirtBoard;
  try {
    board = new VirtBoard({
      ramSize: args.ramSize, cpus: args.smp, topology: args.topology, cpuModel: args.cpuModel, gicVersion: args.gicVersion, virtualization: args.virtualization, secure: args.secure, dtbRandomness: args.dtbRandomness,
      uartTx: (b) => { out.push(b); if (out.length >= 4096) flushOutput(); },
      rtcStartSeconds: Math.floor(Date.now() / 1000),
      clock: args.clock,
      jit: jitThresholdsFromEnvironment(process.env),
      virtio,
      pci,
      flash,
      // hw/arm/virt.c: firmware_loaded is -bios or a drive for flash unit 0.
      acpiGed: args.acpi && firmware,
      firmwareLoaded: firmware,
      fwCfg: { nographic: args.nographic, ...(firmware && boot.kernel ? { kernel: boot.kernel, initrd: boot.initrd, cmdline: args.append } : {}) },
    });
  } catch (e) {
    if (e instanceof RangeError) fail(`cannot allocate ${Math.round(args.ramSize / 1048576)} MiB of guest RAM`);
    throw e;
  }
  // A user's DTB is checked and edited as QEMU does. Below a bare-metal ELF, one that does not
  // fit is left out, as QEMU leaves it out; for Linux, QEMU would load it past the end of RAM,
  // so it is refused instead.
  const initrdRange = plan.isLinux ? plan.initrd : undefined;
  const room = plan.isLinux && plan.dtbAddr !== undefined ? (plan.dtbLimit ?? Infinity) - plan.dtbAddr : undefined;
  const userDtb = boot.userDtb !== undefined;
  const dtb = boot.userDtb === undefined ? board.buildDtb(args.append, initrdRange, plan.isLinux, loaders.modules)
    : board.userDtb(boot.userDtb, room, args.append, initrdRange, plan.isLinux);
  if (args.dumpDtb) {
    // As QEMU: write the blob and exit without running.
    try { writeFileSync(args.dumpDtb, dtb); } catch (e) { fail(`cannot write '${args.dumpDtb}': ${(e as Error).message}`); }
    writeStderr(`tessera: info: dtb dumped to ${args.dumpDtb}. Exiting.`);
    return EXIT_OK;
  }
  const { dtbAddr } = board.load(plan, dtb);
  applyLoaders(board, loaders, [
    ...plan.loads.map((l) => ({ what: "the kernel", addr: l.addr, size: l.data.length + l.zeroFill })),
    ...(dtbAddr !== undefined && dtb ? [{ what: "the device tree", addr: dtbAddr, size: dtb.length }] : []),
  ]);
  releaseImages(boot);
  if (userDtb && dtb && dtbAddr === undefined) {
    // QEMU leaves a -dtb that does not fit below a bare-metal image out without a word; say so.
    writeStderr(`tessera: warning: device tree '${args.dtb}' (${dtb.length} bytes as loaded) does not fit below the image; the guest gets none, as under QEMU`);
  }

  let traceFd: number | undefined;
  if (args.trace.exec || args.trace.int) {
    let write: (line: string) => void = (line) => writeStderr(line);
    if (args.logFile) {
      const logFile = args.logFile;
      try { traceFd = openSync(logFile, "w"); } catch (e) { fail(`cannot open log file '${logFile}': ${describeFsError(e)}`); }
      const fd = traceFd;
      write = (line) => {
        try { writeSync(fd, line + "\n"); } catch (e) { throw new HostOutputError(`cannot write log file '${logFile}': ${describeFsError(e)}`); }
      };
    }
    installTracing(board, args.trace, write);
  }

  let quit: number | undefined;
  // -gdb or -s: the machine under a debugger's control (src/debug/), stopped from the start with -S.
  let debug: MachineDebugger | undefined;
  let gdb: GdbServer | undefined;
  if (args.gdb) {
    const scheduler = board.scheduler;
    debug = new MachineDebugger({
      cpus: board.cpus, bus: board.bus,
      requestStop: () => { scheduler.debugStopRequested = true; },
      step: (cpu) => { scheduler.stepOne(cpu); },
    }, args.startStopped);
    gdb = await openGdbServer(debug, args.gdb!, () => { quit = EXIT_OK; });
  }
  const console = attachConsole(board, () => { quit = EXIT_OK; }, flushOutput);
  try {
    const end = await runSession(board, {
      beforeSlice: () => {
        if (quit !== undefined) return { kind: "host", code: quit };
        // Nobody can read the guest any more (closed pipe, full disk, hung-up terminal): stop;
        // the CLI reports the lost output and exits 1.
        if (outputFailure() !== undefined) return { kind: "host", code: EXIT_GUEST_FAILURE };
        if (!outputKeepsUp) return outputDrained().then(() => { outputKeepsUp = true; });
        // Held stopped by the debugger (or by -S).
        if (debug !== undefined && !debug.running) return gdb!.gate();
        return undefined;
      },
      afterSlice: (status) => {
        flushOutput();
        // Linux panicked: with panic=-1 it resets at once (QEMU -no-reboot then exits), without
        // it spins for ever; either way the guest is finished. Report it with its last words.
        if (console_.panicFinished(status.kind === "stopped")) {
          writeStderr(`tessera: guest kernel panic: ${console_.panic}\n--- last console lines ---\n${console_.lastLines(15)}\n`);
          return { kind: "host", code: EXIT_GUEST_FAILURE };
        }
        return undefined;
      },
      // Frames can arrive from a netdev's peer as input can from the console, and a debugger
      // can always interrupt a machine that waits for nothing.
      inputOpen: () => console.inputOpen || netdevs.size > 0 || gdb !== undefined,
    }, { watchdogSeconds: args.watchdogSeconds, maxInstructions: args.maxInsns });
    flushOutput();
    if (end.kind === "stopped") gdb?.machineExited();
    switch (end.kind) {
      case "host": return end.code;
      case "stopped": return EXIT_OK;
      case "fatal": writeStderr(`tessera: ${end.message}\n${describeGuest(board)}\n`); break;
      case "watchdog":
        writeStderr(`tessera: watchdog: guest still running after ${end.seconds} s` +
          `${console_.bytes === 0 ? " (it wrote nothing to the console)" : ""}\n${describeGuest(board)}\n`);
        break;
      case "instruction-limit": writeStderr(`tessera: instruction limit reached (${end.limit})\n${describeGuest(board)}\n`); break;
      case "all-cpus-off": writeStderr(`tessera: every CPU is powered off\n${describeGuest(board)}\n`); break;
      case "deadlock":
        writeStderr(`tessera: guest waits for an interrupt that cannot arrive (no timer armed, no input)\n${describeGuest(board)}\n`);
        break;
    }
    return EXIT_GUEST_FAILURE;
  } catch (e) {
    flushOutput();
    if (e instanceof HostOutputError) throw e;
    const code = reportError(e);
    writeStderr(describeGuest(board));
    return code === EXIT_USAGE ? EXIT_GUEST_FAILURE : code;
  } finally {
    console.detach();
    await gdb?.close();
    if (traceFd !== undefined) closeSync(traceFd);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined: case "--help": case "-h": case "-help": case "help":
      writeStdout(HELP + "\n");
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    case "--version": case "-version": case "-V":
      writeStdout(`tessera ${version()}\n`);
      return EXIT_OK;
    case "dtc": {
      const dtcPath = join(dirname(fileURLToPath(import.meta.url)), "dtc.js");
      if (!existsSync(dtcPath)) fail("the dtc command is not available in this build");
      const mod = (await import("./dtc.js")) as { dtcMain: (argv: string[]) => Promise<number> };
      return mod.dtcMain(rest);
    }
    case "demo": {
      // With the Debian guests cached (`npm run fetch-guests`): Linux beside the team's RTOS
      // under the hypervisor (examples/linux-rtos.dts), or with --linux Linux alone to a busybox
      // shell; otherwise (or with --bare-metal) the bundled bare-metal program.
      const guests = rest.includes("--bare-metal") ? undefined : findGuests();
      const linuxAlone = rest.includes("--linux");
      const options = rest.filter((a) => a !== "--bare-metal" && a !== "--linux");
      /** Write a generated initramfs into the cache, or a temporary directory when the cache is read-only. */
      const writeInitrd = (name: string, cpio: Uint8Array): string => {
        let initrd = join(guests!.dir, name);
        try {
          writeFileSync(initrd, cpio);
        } catch {
          initrd = join(mkdtempSync(join(tmpdir(), "tessera-")), name);
          writeFileSync(initrd, cpio);
        }
        return initrd;
      };
      const rtosElf = join(packageRoot, "tests", "guests", "prebuilt", "rtos-partition.elf");
      if (guests && !linuxAlone && existsSync(rtosElf)) {
        const linuxDir = join(packageRoot, "tests", "linux");
        const initrd = writeInitrd("rtos-demo-initramfs.cpio.gz", busyboxInitramfs(guests.busybox, readFileSync(join(linuxDir, "shell-init.sh")),
          { "bin/rtos": new Uint8Array(readFileSync(join(linuxDir, "rtos-mailbox.sh"))) }));
        const config = readFileSync(join(packageRoot, "examples", "linux-rtos.dts"), "utf8")
          .replace("LINUX_KERNEL", guests.kernel).replace("LINUX_INITRD", initrd).replace("RTOS_IMAGE", rtosElf);
        // The hypervisor demo takes tessera hv's --watchdog only; a bad option is the one line, before the banner.
        for (let i = 0; i < options.length; i++) {
          if (options[i] === "--watchdog" && i + 1 < options.length) { i++; continue; }
          fail(`demo: unknown option '${options[i]}' (the hypervisor demo takes --watchdog SECONDS; --linux boots Linux alone with tessera run's options)`);
        }
        const configPath = join(mkdtempSync(join(tmpdir(), "tessera-demo-")), "linux-rtos.dts");
        writeFileSync(configPath, config);
        writeStderr(`tessera: ${guests.kernelPackage ?? "Linux"} on 2 vCPUs beside the RTOS on 1 (examples/linux-rtos.dts; Ctrl-A 0 HV>, 1 Linux, 2 RTOS, X quits; consoles also on TCP ports 18900-18902)`);
        const mod = await import("./hv.js");
        return mod.hvMain([configPath, ...options]);
      }
      if (guests) {
        const initrd = writeInitrd("shell-initramfs.cpio.gz", busyboxInitramfs(guests.busybox, readFileSync(join(packageRoot, "tests", "linux", "shell-init.sh"))));
        const argv = ["-kernel", guests.kernel, "-initrd", initrd, "-append", "console=ttyAMA0", "-smp", "2", "-m", "512M", ...options];
        parseRunArgs(argv); // a bad option is the one line, before the banner
        writeStderr(`tessera: booting ${guests.kernelPackage ?? guests.kernel} to a busybox shell (Ctrl-A X quits, Ctrl-A H lists keys)\n`);
        return runCommand(argv);
      }
      const elf = join(packageRoot, "tests", "guests", "prebuilt", "hello.elf");
      if (!existsSync(elf)) fail(`the demo program is missing (${elf})`);
      parseRunArgs(["-kernel", elf, ...options]);
      if (!rest.includes("--bare-metal")) writeStderr(`tessera: ${FETCH_HINT}; running the bare-metal demo\n`);
      return runCommand(["-kernel", elf, ...options]);
    }
    case "run":
      return runCommand(rest);
    case "hv": {
      const mod = await import("./hv.js");
      return mod.hvMain(rest);
    }
    case "xl": {
      const mod = await import("./xl.js");
      return mod.xlMain(rest);
    }
    case "xenstore": {
      const mod = await import("./xenstore.js");
      return mod.xenstoreMain(rest);
    }
    case "mkinitramfs": {
      const mod = await import("./mkinitramfs.js");
      return mod.mkinitramfsMain(rest);
    }
    default:
      // QEMU-style invocation without the subcommand.
      if (command.startsWith("-")) return runCommand(argv);
      fail(`unknown command '${command}' (try --help)`);
  }
}

runCli(main, process.argv.slice(2));

export type { RunArgs };
