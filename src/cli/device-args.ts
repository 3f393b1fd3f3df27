/**
 * The QEMU options that plug devices into the virt board's virtio-mmio transports, in QEMU's
 * spelling and with its error wording where there is one:
 *   -drive file=F,if=none,id=ID,format=raw[,readonly=on][,snapshot=on]
 *   -device virtio-blk-device,drive=ID     -device virtio-rng-device
 *   -chardev file,id=C,path=F | null,id=C  -device virtio-serial-device -device virtconsole,chardev=C
 *   -netdev TYPE,id=N,... (netdev-args.ts)  -device virtio-net-device,netdev=N[,mac=52:54:00:12:34:56]
 *   -global virtio-mmio.force-legacy=false  (version 2 transports; QEMU's default is legacy)
 * The same devices on the PCIe root bus (virtio-pci, transitional as QEMU's on pcie.0), each
 * in the first free slot from 1 unless addr=SLOT[.FN] (hex) places it:
 *   -device virtio-blk-pci,drive=ID  virtio-rng-pci  virtio-serial-pci  (virtconsole goes on either)
 *   -device virtio-net-pci,netdev=N,romfile=   (no option ROMs here: romfile= must be empty)
 *   (QEMU's aliases virtio-blk, virtio-net, virtio-rng and virtio-serial name the -pci ones.)
 * A -drive is only a backend; a -device puts it on a transport. `if=virtio` is refused (QEMU
 * adds its virtio-blk-pci after every -device; give the -device instead).
 *
 * Firmware and loaders, as QEMU 7.2:
 *   -drive if=pflash,format=raw,file=F[,unit=0|1][,readonly=on]   a flash bank's contents
 *   -device loader,file=F[,addr=A][,cpu-num=N][,force-raw=on]     (docs/system/generic-loader.rst)
 *   -device loader,addr=A,data=D,data-len=L[,data-be=on][,cpu-num=N]
 *   -device loader,addr=A,cpu-num=N                               sets CPU N's PC
 *   -device guest-loader,addr=A,kernel=F[,bootargs=S] | initrd=F  (docs/system/guest-loader.rst)
 */
import { UsageError } from "./args.js";
import { parseMac } from "../devices/virtio/net.js";
import { parseNetdev, type NetdevArg } from "./netdev-args.js";

export interface DriveArg {
  id: string;
  file: string;
  readOnly: boolean;
  /** snapshot=on: writes stay in memory and the file is left as it was. */
  snapshot: boolean;
}

export type VirtioDeviceArg = ({ kind: "virtio-blk"; drive: string; serial?: string } | { kind: "virtio-rng" }
  /** virtio-serial-device; `console` is its virtconsole's chardev id (port 0). */
  | { kind: "virtio-serial"; console?: string }
  /** virtio-net-device: its netdev's id (none: a NIC with no peer), its mac= if given. */
  | { kind: "virtio-net"; netdev?: string; mac?: Uint8Array; option: string }) & VirtioPlacement;

/** Which transport: a virtio-mmio one (-device virtio-*-device) or a PCI function (virtio-*-pci). */
export interface VirtioPlacement {
  /** The driver name as given (after alias resolution), for messages. */
  driver: string;
  pci: boolean;
  /** addr=: the PCI devfn (slot << 3 | function); absent: the first free slot. */
  devfn?: number;
}

export interface ChardevArg {
  id: string;
  backend: "file" | "null";
  path?: string;
}

/** A -drive if=pflash: what a flash bank holds. */
export interface PflashArg {
  file: string;
  readOnly: boolean;
}

/** -device loader (hw/core/generic-loader.c): a file, a value, or only a PC. */
export interface LoaderArg {
  text: string;
  addr: number;
  cpuNum?: number;
  file?: string;
  forceRaw: boolean;
  /** data= in guest byte order (data-be: big-endian), data-len bytes. */
  data?: Uint8Array;
}

/** -device guest-loader (hw/core/guest-loader.c): a blob and its /chosen/module@ node. */
export interface GuestLoaderArg {
  text: string;
  addr: number;
  kind: "kernel" | "initrd";
  file: string;
  bootargs?: string;
}

/** -object memory-backend-file|memory-backend-ram: memory a device (ivshmem) maps. */
export interface MemdevArg {
  id: string;
  backend: "file" | "ram";
  size: number;
  /** memory-backend-file's mem-path. */
  path?: string;
  /** share=on: the file's pages themselves (MAP_SHARED), else a private copy (MAP_PRIVATE). */
  share: boolean;
}

/** -device ivshmem-plain,memdev=ID: the shared memory as BAR2. */
export interface IvshmemArg {
  memdev: string;
  devfn?: number;
  option: string;
}

export interface DeviceArgs {
  drives: DriveArg[];
  /** -object memory-backend-*, by id. */
  memdevs: MemdevArg[];
  ivshmem: IvshmemArg[];
  /** The two flash banks' -drive if=pflash, by unit. */
  pflash: (PflashArg | undefined)[];
  loaders: LoaderArg[];
  guestLoaders: GuestLoaderArg[];
  chardevs: ChardevArg[];
  virtioDevices: VirtioDeviceArg[];
  /** -netdev backends, by id. */
  netdevs: NetdevArg[];
  /** Said about the devices without refusing them (a NIC with no peer, as QEMU warns). */
  warnings: string[];
  /** virtio-mmio.force-legacy: true unless -global virtio-mmio.force-legacy=false. */
  virtioLegacy: boolean;
}

export function emptyDeviceArgs(): DeviceArgs {
  return { drives: [], memdevs: [], ivshmem: [], pflash: [], loaders: [], guestLoaders: [], chardevs: [], virtioDevices: [], netdevs: [], warnings: [], virtioLegacy: true };
}

/** QEMU's key=value list (a leading bare word is the value of `implied`); ",," is a literal comma. */
function keyValues(text: string, implied: string | undefined, option: string): Map<string, string> {
  const out = new Map<string, string>();
  // Split at single commas; ",," is a comma inside a value (QEMU's opts_do_parse).
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== ",") { current += text[i]; continue; }
    if (text[i + 1] === ",") { current += ","; i++; continue; }
    parts.push(current);
    current = "";
  }
  parts.push(current);
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (i === 0 && implied !== undefined) { out.set(implied, part); continue; }
      throw new UsageError(`${option} ${text}: Invalid parameter '${part}'`);
    }
    out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function onOff(option: string, key: string, v: string): boolean {
  if (v === "on" || v === "true" || v === "yes") return true;
  if (v === "off" || v === "false" || v === "no") return false;
  throw new UsageError(`${option}: Parameter '${key}' expects 'on' or 'off'`);
}

export function parseDrive(text: string, out: DeviceArgs): void {
  const opt = `-drive ${text}`;
  const kv = keyValues(text, undefined, "-drive");
  let file: string | undefined, id: string | undefined, iface = "", readOnly = false, snapshot = false, unit: string | undefined;
  for (const [key, v] of kv) {
    switch (key) {
      case "file": file = v; break;
      case "id": id = v; break;
      case "if": iface = v; break;
      case "format": if (v !== "raw") throw new UsageError(`${opt}: only format=raw images are supported`); break;
      case "readonly": readOnly = onOff(opt, key, v); break;
      case "snapshot": snapshot = onOff(opt, key, v); break;
      case "media": if (v !== "disk") throw new UsageError(`${opt}: only media=disk is supported`); break;
      case "cache": case "aio": case "discard": break;
      case "unit": unit = v; break;
      default: throw new UsageError(`${opt}: Invalid parameter '${key}'`);
    }
  }
  if (iface === "virtio") {
    throw new UsageError(`${opt}: if=virtio is not supported; use if=none,id=ID with -device virtio-blk-pci,drive=ID (what if=virtio makes on QEMU's virt) or virtio-blk-device,drive=ID`);
  }
  if (iface === "pflash") return parsePflashDrive(opt, kv, file, unit, readOnly, snapshot, out);
  if (unit !== undefined) throw new UsageError(`${opt}: unit= is only supported with if=pflash`);
  if (iface !== "none") throw new UsageError(`${opt}: only if=none is supported (with -device virtio-blk-device,drive=ID)`);
  if (file === undefined || file === "") throw new UsageError(`${opt}: a file= is needed`);
  if (!kv.has("format")) throw new UsageError(`${opt}: give format=raw (raw images only; QEMU refuses to guess for writes to block 0)`);
  if (id === undefined || id === "") throw new UsageError(`${opt}: an id= is needed to attach the drive with -device virtio-blk-device,drive=ID`);
  if (out.drives.some((d) => d.id === id)) throw new UsageError(`${opt}: Duplicate ID '${id}' for drive`);
  out.drives.push({ id, file, readOnly, snapshot });
}

/** hw/arm/virt.c: two flash banks; a drive without unit= takes the next free one (drive_new). */
const PFLASH_UNITS = 2;

function parsePflashDrive(opt: string, kv: Map<string, string>, file: string | undefined, unit: string | undefined,
  readOnly: boolean, snapshot: boolean, out: DeviceArgs): void {
  if (file === undefined || file === "") throw new UsageError(`${opt}: a file= is needed`);
  if (!kv.has("format")) throw new UsageError(`${opt}: give format=raw (raw images only; QEMU refuses to guess for writes to block 0)`);
  if (snapshot) throw new UsageError(`${opt}: snapshot=on is not supported for flash drives`);
  let n: number;
  if (unit === undefined) {
    n = 0;
    while (out.pflash[n] !== undefined) n++;
  } else {
    if (!/^\d+$/.test(unit)) throw new UsageError(`${opt}: Parameter 'unit' expects a number`);
    n = Number(unit);
  }
  if (n >= PFLASH_UNITS) throw new UsageError(`${opt}: machine type does not support if=pflash,bus=0,unit=${n}`);
  if (out.pflash[n] !== undefined) throw new UsageError(`${opt}: drive with bus=0, unit=${n} exists`);
  out.pflash[n] = { file, readOnly };
}

/** A QEMU integer property (qemu_strtou64, base 0: decimal, 0x hex, 0 octal). */
function qemuUint(opt: string, key: string, v: string, max = Number.MAX_SAFE_INTEGER): number {
  const m = /^(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(v.trim());
  const n = !m ? NaN : m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 8) : Number(m[3]);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${opt}: Parameter '${key}' expects a number`);
  if (n > max) throw new UsageError(`${opt}: Property '${key}' value '${v}' is out of range`);
  return n;
}

/** data= as QEMU's uint64 property: a 64-bit number (given as text, so bigint). */
function qemuUint64(opt: string, v: string): bigint {
  const t = v.trim();
  if (!/^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(t)) throw new UsageError(`${opt}: Parameter 'data' expects a number`);
  const n = t.startsWith("0x") || t.startsWith("0X") ? BigInt(t) : /^0[0-7]+$/.test(t) ? BigInt("0o" + t.slice(1)) : BigInt(t);
  if (n >= 1n << 64n) throw new UsageError(`${opt}: Parameter 'data' expects a number`);
  return n;
}

/** generic_loader_realize's checks, with its wording. */
function parseLoader(opt: string, kv: Map<string, string>, out: DeviceArgs): void {
  const has = (k: string) => kv.has(k);
  const bool = (k: string) => has(k) && onOff(opt, k, kv.get(k)!);
  const addr = has("addr") ? qemuUint(opt, "addr", kv.get("addr")!) : 0;
  const cpuNum = has("cpu-num") ? qemuUint(opt, "cpu-num", kv.get("cpu-num")!, 0xffffffff) : undefined;
  const dataLen = has("data-len") ? qemuUint(opt, "data-len", kv.get("data-len")!, 255) : 0;
  const data = has("data") ? qemuUint64(opt, kv.get("data")!) : 0n;
  const dataBe = bool("data-be"), forceRaw = bool("force-raw");
  const file = kv.get("file");
  const text = opt.replace(/^-device /, "");
  if (data !== 0n || dataLen !== 0 || dataBe) {
    if (file !== undefined) throw new UsageError(`${opt}: Specifying a file is not supported when loading memory values`);
    if (forceRaw) throw new UsageError(`${opt}: Specifying force-raw is not supported when loading memory values`);
    if (dataLen === 0) throw new UsageError(`${opt}: Both data and data-len must be specified`);
    if (dataLen > 8) throw new UsageError(`${opt}: data-len cannot be greater then 8 bytes`);
    // The value in guest memory: its low data-len bytes, little-endian unless data-be (cpu_to_be64 keeps the top bytes).
    const bytes = new Uint8Array(8);
    for (let i = 0; i < 8; i++) bytes[i] = Number((data >> BigInt(8 * (dataBe ? 7 - i : i))) & 0xffn);
    out.loaders.push({ text, addr, cpuNum, forceRaw: false, data: bytes.slice(0, dataLen) });
    return;
  }
  if (file !== undefined || forceRaw) {
    if (file === undefined || file === "") throw new UsageError(`${opt}: Cannot load specified image (null)`);
    out.loaders.push({ text, addr, cpuNum, file, forceRaw });
    return;
  }
  if (addr !== 0) {
    if (cpuNum === undefined) throw new UsageError(`${opt}: cpu_num must be specified when setting a program counter`);
    out.loaders.push({ text, addr, cpuNum, forceRaw: false });
    return;
  }
  throw new UsageError(`${opt}: please include valid arguments`);
}

/** guest_loader_realize's checks, with its wording. */
function parseGuestLoader(opt: string, kv: Map<string, string>, out: DeviceArgs): void {
  const kernel = kv.get("kernel"), initrd = kv.get("initrd"), bootargs = kv.get("bootargs");
  const addr = kv.has("addr") ? qemuUint(opt, "addr", kv.get("addr")!) : 0;
  if (kernel !== undefined && initrd !== undefined) throw new UsageError(`${opt}: Cannot specify a kernel and initrd in same stanza`);
  if (kernel === undefined && initrd === undefined) throw new UsageError(`${opt}: Need to specify a kernel or initrd image`);
  if (addr === 0) throw new UsageError(`${opt}: Need to specify the address of guest blob`);
  if (bootargs !== undefined && kernel === undefined) throw new UsageError(`${opt}: Boot args only relevant to kernel blobs`);
  out.guestLoaders.push({ text: opt.replace(/^-device /, ""), addr, kind: kernel !== undefined ? "kernel" : "initrd", file: (kernel ?? initrd)!, bootargs });
}

/** QEMU's qdev aliases of the virtio devices on a machine with PCI (qdev-monitor.c qdev_alias_table). */
const ALIASES: Record<string, string> = { "virtio-blk": "virtio-blk-pci", "virtio-net": "virtio-net-pci", "virtio-rng": "virtio-rng-pci", "virtio-serial": "virtio-serial-pci" };

/** PCI's addr property (pci.c, set_pci_devfn): SLOT[.FN] in hex, or a plain number as devfn. */
function parsePciAddr(opt: string, v: string): number {
  const m = /^([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(v);
  const slot = m ? parseInt(m[1], 16) : NaN;
  if (!m || slot > 0x1f) throw new UsageError(`${opt}: Property 'addr' doesn't take value '${v}'`);
  return (slot << 3) | Number(m[2] ?? 0);
}

export function parseDevice(text: string, out: DeviceArgs): void {
  const opt = `-device ${text}`;
  const kv = keyValues(text, "driver", "-device");
  const given = kv.get("driver");
  kv.delete("driver");
  const driver = given !== undefined ? ALIASES[given] ?? given : given;
  const only = (allowed: string[]) => {
    for (const key of kv.keys()) if (!allowed.includes(key)) throw new UsageError(`${opt}: Property '${driver}.${key}' not found`);
  };
  const pci = driver !== undefined && /^virtio-.*-pci$/.test(driver);
  const pciKeys = pci ? ["addr"] : [];
  const placement = (): VirtioPlacement => ({ driver: driver!, pci, devfn: kv.has("addr") ? parsePciAddr(opt, kv.get("addr")!) : undefined });
  switch (driver) {
    case "virtio-blk-device": case "virtio-blk-pci": {
      only(["drive", "serial", ...pciKeys]);
      const drive = kv.get("drive");
      if (drive === undefined) throw new UsageError(`${opt}: drive property not set`);
      if (!out.drives.some((d) => d.id === drive)) throw new UsageError(`${opt}: Property '${driver}.drive' can't find value '${drive}'`);
      if (out.virtioDevices.some((d) => d.kind === "virtio-blk" && d.drive === drive)) {
        throw new UsageError(`${opt}: Drive '${drive}' is already in use by another device`);
      }
      out.virtioDevices.push({ kind: "virtio-blk", drive, serial: kv.get("serial"), ...placement() });
      break;
    }
    case "loader":
      only(["addr", "data", "data-len", "data-be", "cpu-num", "force-raw", "file"]);
      parseLoader(opt, kv, out);
      break;
    case "guest-loader":
      only(["addr", "kernel", "initrd", "bootargs"]);
      parseGuestLoader(opt, kv, out);
      break;
    case "virtio-net-device": case "virtio-net-pci": {
      // netdev is checked once every -netdev is known (QEMU creates the backends first).
      only(["netdev", "mac", ...(pci ? ["addr", "romfile"] : [])]);
      // QEMU loads efi-virtio.rom into the ROM BAR unless romfile= is empty; no ROM images here.
      if (pci && kv.get("romfile") !== "") throw new UsageError(`${opt}: failed to find romfile "${kv.get("romfile") ?? "efi-virtio.rom"}" (no option ROMs here: give romfile=)`);
      let mac: Uint8Array | undefined;
      if (kv.has("mac")) {
        mac = parseMac(kv.get("mac")!);
        if (!mac) throw new UsageError(`${opt}: Property '${driver}.mac' doesn't take value '${kv.get("mac")}'`);
        if (mac[0] & 1) throw new UsageError(`${opt}: mac=${kv.get("mac")} is a multicast address (its first byte must be even)`);
      }
      out.virtioDevices.push({ kind: "virtio-net", netdev: kv.get("netdev"), mac, option: opt, ...placement() });
      break;
    }
    case "virtio-rng-device": case "virtio-rng-pci":
      only(pciKeys);
      out.virtioDevices.push({ kind: "virtio-rng", ...placement() });
      break;
    case "virtio-serial-device": case "virtio-serial-pci":
      only(pciKeys);
      out.virtioDevices.push({ kind: "virtio-serial", ...placement() });
      break;
    case "ivshmem-plain": case "ivshmem-doorbell":
      parseIvshmem(opt, driver, kv, out);
      break;
    case "virtconsole": {
      only(["chardev"]);
      const chardev = kv.get("chardev");
      if (chardev === undefined) throw new UsageError(`${opt}: chardev property not set (give chardev=ID of a -chardev)`);
      if (!out.chardevs.some((c) => c.id === chardev)) throw new UsageError(`${opt}: Property 'virtconsole.chardev' can't find value '${chardev}'`);
      // As QEMU, the port goes on a virtio-serial bus given before it; one console port per device here.
      const bus = out.virtioDevices.find((d): d is Extract<VirtioDeviceArg, { kind: "virtio-serial" }> => d.kind === "virtio-serial" && d.console === undefined);
      if (!bus) {
        throw new UsageError(out.virtioDevices.some((d) => d.kind === "virtio-serial")
          ? `${opt}: only one virtconsole per virtio-serial device is supported`
          : `${opt}: No 'virtio-serial-bus' bus found for device 'virtconsole' (give -device virtio-serial-device or virtio-serial-pci first)`);
      }
      if (out.virtioDevices.some((d) => d.kind === "virtio-serial" && d.console === chardev)) {
        throw new UsageError(`${opt}: Property 'virtconsole.chardev' can't take value '${chardev}', it's in use`);
      }
      bus.console = chardev;
      break;
    }
    case undefined: case "":
      throw new UsageError(`${opt}: Parameter 'driver' is missing`);
    default:
      throw new UsageError(`${opt}: '${driver}' is not a valid device model name (supported: virtio-blk-device, virtio-net-device, virtio-rng-device, virtio-serial-device, virtio-blk-pci, virtio-net-pci, virtio-rng-pci, virtio-serial-pci, virtconsole, ivshmem-plain, ivshmem-doorbell, loader, guest-loader)`);
  }
}

/** ivshmem_plain_realize's checks, with its wording where there is one. */
function parseIvshmem(opt: string, driver: string, kv: Map<string, string>, out: DeviceArgs): void {
  if (driver === "ivshmem-doorbell") {
    // The ivshmem-server hands each peer its ID and eventfds, and the memory, as file descriptors
    // (SCM_RIGHTS) over the unix socket: Node's sockets cannot receive descriptors.
    throw new UsageError(`${opt}: ivshmem-doorbell is not supported (ivshmem-server passes eventfds over its unix socket, which this host cannot receive); use ivshmem-plain,memdev=ID`);
  }
  for (const key of kv.keys()) if (!["memdev", "addr", "master"].includes(key)) throw new UsageError(`${opt}: Property '${driver}.${key}' not found`);
  const memdev = kv.get("memdev");
  if (memdev === undefined) throw new UsageError(`${opt}: You must specify a 'memdev'`);
  const m = out.memdevs.find((d) => d.id === memdev);
  if (!m) throw new UsageError(`${opt}: Property '${driver}.memdev' can't find value '${memdev}'`);
  if (out.ivshmem.some((i) => i.memdev === memdev)) throw new UsageError(`${opt}: can't use already busy memdev: ${memdev}`);
  if (kv.has("master")) onOff(opt, "master", kv.get("master")!);
  out.ivshmem.push({ memdev, option: opt, devfn: kv.has("addr") ? parsePciAddr(opt, kv.get("addr")!) : undefined });
}

/** A QEMU size (qemu_strtosz): a number with an optional K, M, G or T suffix (powers of 1024). */
function qemuSize(opt: string, v: string): number {
  const m = /^(\d+)([kKmMgGtT]?)[bB]?$/.exec(v);
  if (!m) throw new UsageError(`${opt}: Parameter 'size' expects a non-negative number below 2^64 (optional suffix k, M, G, T)`);
  const shift = { "": 0, k: 10, m: 20, g: 30, t: 40 }[m[2].toLowerCase()]!;
  return Number(m[1]) * 2 ** shift;
}

/** -object memory-backend-file,id=ID,size=S,mem-path=P[,share=on] | memory-backend-ram,id=ID,size=S. */
export function parseObject(text: string, out: DeviceArgs): void {
  const opt = `-object ${text}`;
  const kv = keyValues(text, "qom-type", "-object");
  const type = kv.get("qom-type"), id = kv.get("id");
  if (type !== "memory-backend-file" && type !== "memory-backend-ram") {
    throw new UsageError(`${opt}: unsupported object type '${type ?? ""}' (supported: memory-backend-file, memory-backend-ram)`);
  }
  const allowed = ["qom-type", "id", "size", "share", ...(type === "memory-backend-file" ? ["mem-path"] : [])];
  for (const key of kv.keys()) if (!allowed.includes(key)) throw new UsageError(`${opt}: Property '${type}.${key}' not found`);
  if (id === undefined || id === "") throw new UsageError(`${opt}: Parameter 'id' is missing`);
  if (out.memdevs.some((d) => d.id === id)) throw new UsageError(`${opt}: attempt to add duplicate property '${id}' to object (type 'container')`);
  if (!kv.has("size")) throw new UsageError(`${opt}: can't create backend with size 0`);
  const size = qemuSize(opt, kv.get("size")!);
  if (size === 0) throw new UsageError(`${opt}: can't create backend with size 0`);
  // A BAR's size is a power of two (pci_register_bar); keep the buffer one this host can hold.
  if ((size & (size - 1)) !== 0 || size > 1 << 30) throw new UsageError(`${opt}: size must be a power of two of at most 1G for ivshmem's BAR2 here`);
  const path = kv.get("mem-path");
  if (type === "memory-backend-file" && !path) throw new UsageError(`${opt}: mem-path property not set`);
  out.memdevs.push({ id, backend: type === "memory-backend-file" ? "file" : "ram", size, path, share: kv.has("share") && onOff(opt, "share", kv.get("share")!) });
}

export function parseChardev(text: string, out: DeviceArgs): void {
  const opt = `-chardev ${text}`;
  const kv = keyValues(text, "backend", "-chardev");
  const backend = kv.get("backend"), id = kv.get("id"), path = kv.get("path");
  if (backend !== "file" && backend !== "null") throw new UsageError(`${opt}: unsupported chardev backend '${backend ?? ""}' (supported: file, null)`);
  for (const key of kv.keys()) {
    if (!["backend", "id", "path"].includes(key)) throw new UsageError(`${opt}: Invalid parameter '${key}'`);
  }
  if (id === undefined || id === "") throw new UsageError(`${opt}: chardev: no id specified`);
  if (out.chardevs.some((c) => c.id === id)) throw new UsageError(`${opt}: Duplicate ID '${id}' for chardev`);
  if (backend === "file" && !path) throw new UsageError(`${opt}: chardev: file: no filename given`);
  out.chardevs.push({ id, backend, path });
}

export function parseNetdevOption(text: string, out: DeviceArgs): void {
  const n = parseNetdev(text);
  if (out.netdevs.some((d) => d.id === n.id)) throw new UsageError(`-netdev ${text}: Duplicate ID '${n.id}' for netdev`);
  out.netdevs.push(n);
}

export function parseGlobal(text: string, out: DeviceArgs): void {
  const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(text);
  if (!m) throw new UsageError(`-global ${text}: Invalid parameter (expected DRIVER.PROPERTY=VALUE)`);
  const [, driver, property, value] = m;
  if (driver === "virtio-mmio" && property === "force-legacy") { out.virtioLegacy = onOff(`-global ${text}`, property, value); return; }
  throw new UsageError(`-global ${text}: unsupported global property (supported: virtio-mmio.force-legacy)`);
}

/** A -drive nobody attached is harmless in QEMU too; the devices' drive ids were checked when given. */
export function checkDeviceArgs(out: DeviceArgs): void {
  const peers = new Map<string, string>();
  let nic = 0;
  for (const d of out.virtioDevices) {
    if (d.kind !== "virtio-net") continue;
    if (d.netdev === undefined) out.warnings.push(`nic ${d.driver}.${nic} has no peer`);
    else if (!out.netdevs.some((n) => n.id === d.netdev)) throw new UsageError(`${d.option}: Property '${d.driver}.netdev' can't find value '${d.netdev}'`);
    else if (peers.has(d.netdev)) throw new UsageError(`${d.option}: Property '${d.driver}.netdev' can't take value '${d.netdev}', it's in use`);
    else peers.set(d.netdev, d.option);
    nic++;
  }
  for (const n of out.netdevs) if (!peers.has(n.id)) out.warnings.push(`netdev ${n.id} has no peer`);
  const mmio = out.virtioDevices.filter((d) => !d.pci);
  if (mmio.length > 32) throw new UsageError(`-device: No 'virtio-bus' bus found for device '${mmio[32].driver}' (the virt board has 32 virtio-mmio transports)`);
  assignPciSlots(out);
}

/**
 * Where each PCI device goes: its addr=, else (as pci_bus_devfn's search) the first slot from 1
 * with nothing in it, in command-line order; slot 0 is the host bridge's.
 */
function assignPciSlots(out: DeviceArgs): void {
  const taken = new Map<number, string>([[0, "gpex-root"]]);
  const devices: { devfn?: number; driver: string; option: string; set(devfn: number): void }[] = [];
  for (const d of out.virtioDevices) if (d.pci) devices.push({ devfn: d.devfn, driver: d.driver, option: `-device ${d.driver}`, set: (v) => { d.devfn = v; } });
  for (const i of out.ivshmem) devices.push({ devfn: i.devfn, driver: "ivshmem-plain", option: i.option, set: (v) => { i.devfn = v; } });
  for (const d of devices) {
    let devfn = d.devfn;
    if (devfn === undefined) {
      devfn = 8;
      while (devfn < 256 && [...taken.keys()].some((t) => t >> 3 === devfn! >> 3)) devfn += 8;
      if (devfn >= 256) throw new UsageError(`${d.option}: PCI: no slot/function available for ${d.driver}, all in use or reserved`);
    } else if (taken.has(devfn)) {
      throw new UsageError(`${d.option}: PCI: slot ${devfn >> 3} function ${devfn & 7} not available for ${d.driver}, in use by ${taken.get(devfn)}`);
    } else if ((devfn & 7) !== 0) {
      throw new UsageError(`${d.option}: PCI: only function 0 of a slot is supported here (addr=SLOT)`);
    }
    taken.set(devfn, d.driver);
    d.set(devfn);
  }
}
