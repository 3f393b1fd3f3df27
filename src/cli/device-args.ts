/**
 * The QEMU options that plug devices into the virt board's virtio-mmio transports, in QEMU's
 * spelling and with its error wording where there is one:
 *   -drive file=F,if=none,id=ID,format=raw[,readonly=on][,snapshot=on]
 *   -device virtio-blk-device,drive=ID     -device virtio-rng-device
 *   -chardev file,id=C,path=F | null,id=C  -device virtio-serial-device -device virtconsole,chardev=C
 *   -netdev TYPE,id=N,... (netdev-args.ts)  -device virtio-net-device,netdev=N[,mac=52:54:00:12:34:56]
 *   -global virtio-mmio.force-legacy=false  (version 2 transports; QEMU's default is legacy)
 * A -drive is only a backend; a -device puts it on a transport. `if=virtio` is refused: on
 * QEMU's virt it makes a virtio-blk-pci disk, and there is no virtio-pci here.
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

export type VirtioDeviceArg = { kind: "virtio-blk"; drive: string; serial?: string } | { kind: "virtio-rng" }
  /** virtio-serial-device; `console` is its virtconsole's chardev id (port 0). */
  | { kind: "virtio-serial"; console?: string }
  /** virtio-net-device: its netdev's id (none: a NIC with no peer), its mac= if given. */
  | { kind: "virtio-net"; netdev?: string; mac?: Uint8Array; option: string };

export interface ChardevArg {
  id: string;
  backend: "file" | "null";
  path?: string;
}

export interface DeviceArgs {
  drives: DriveArg[];
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
  return { drives: [], chardevs: [], virtioDevices: [], netdevs: [], warnings: [], virtioLegacy: true };
}

/** QEMU's key=value list (a leading bare word is the value of `implied`); ",," is a literal comma. */
function keyValues(text: string, implied: string | undefined, option: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/,(?!,)/).map((p) => p.replace(/,,/g, ","));
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
  let file: string | undefined, id: string | undefined, iface = "", readOnly = false, snapshot = false;
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
      default: throw new UsageError(`${opt}: Invalid parameter '${key}'`);
    }
  }
  if (iface === "virtio") {
    throw new UsageError(`${opt}: if=virtio makes a virtio-blk-pci disk on QEMU's virt and virtio-pci is not supported; use if=none,id=ID with -device virtio-blk-device,drive=ID`);
  }
  if (iface !== "none") throw new UsageError(`${opt}: only if=none is supported (with -device virtio-blk-device,drive=ID)`);
  if (file === undefined || file === "") throw new UsageError(`${opt}: a file= is needed`);
  if (!kv.has("format")) throw new UsageError(`${opt}: give format=raw (raw images only; QEMU refuses to guess for writes to block 0)`);
  if (id === undefined || id === "") throw new UsageError(`${opt}: an id= is needed to attach the drive with -device virtio-blk-device,drive=ID`);
  if (out.drives.some((d) => d.id === id)) throw new UsageError(`${opt}: Duplicate ID '${id}' for drive`);
  out.drives.push({ id, file, readOnly, snapshot });
}

export function parseDevice(text: string, out: DeviceArgs): void {
  const opt = `-device ${text}`;
  const kv = keyValues(text, "driver", "-device");
  const driver = kv.get("driver");
  kv.delete("driver");
  const only = (allowed: string[]) => {
    for (const key of kv.keys()) if (!allowed.includes(key)) throw new UsageError(`${opt}: Property '${driver}.${key}' not found`);
  };
  switch (driver) {
    case "virtio-blk-device": {
      only(["drive", "serial"]);
      const drive = kv.get("drive");
      if (drive === undefined) throw new UsageError(`${opt}: drive property not set`);
      if (!out.drives.some((d) => d.id === drive)) throw new UsageError(`${opt}: Property 'virtio-blk-device.drive' can't find value '${drive}'`);
      if (out.virtioDevices.some((d) => d.kind === "virtio-blk" && d.drive === drive)) {
        throw new UsageError(`${opt}: Drive '${drive}' is already in use by another device`);
      }
      out.virtioDevices.push({ kind: "virtio-blk", drive, serial: kv.get("serial") });
      break;
    }
    case "virtio-net-device": {
      // netdev is checked once every -netdev is known (QEMU creates the backends first).
      only(["netdev", "mac"]);
      let mac: Uint8Array | undefined;
      if (kv.has("mac")) {
        mac = parseMac(kv.get("mac")!);
        if (!mac) throw new UsageError(`${opt}: Property 'virtio-net-device.mac' doesn't take value '${kv.get("mac")}'`);
        if (mac[0] & 1) throw new UsageError(`${opt}: mac=${kv.get("mac")} is a multicast address (its first byte must be even)`);
      }
      out.virtioDevices.push({ kind: "virtio-net", netdev: kv.get("netdev"), mac, option: opt });
      break;
    }
    case "virtio-rng-device":
      only([]);
      out.virtioDevices.push({ kind: "virtio-rng" });
      break;
    case "virtio-serial-device":
      only([]);
      out.virtioDevices.push({ kind: "virtio-serial" });
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
          ? `${opt}: only one virtconsole per virtio-serial-device is supported`
          : `${opt}: No 'virtio-serial-bus' bus found for device 'virtconsole' (give -device virtio-serial-device first)`);
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
      if (/^virtio-.*-pci$|^virtio-(blk|rng|net|serial)$/.test(driver)) {
        throw new UsageError(`${opt}: virtio-pci devices are not supported (use ${driver.replace(/-pci$/, "")}-device on the virtio-mmio transports)`);
      }
      throw new UsageError(`${opt}: '${driver}' is not a valid device model name (supported: virtio-blk-device, virtio-net-device, virtio-rng-device, virtio-serial-device, virtconsole)`);
  }
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
    if (d.netdev === undefined) out.warnings.push(`nic virtio-net-device.${nic} has no peer`);
    else if (!out.netdevs.some((n) => n.id === d.netdev)) throw new UsageError(`${d.option}: Property 'virtio-net-device.netdev' can't find value '${d.netdev}'`);
    else if (peers.has(d.netdev)) throw new UsageError(`${d.option}: Property 'virtio-net-device.netdev' can't take value '${d.netdev}', it's in use`);
    else peers.set(d.netdev, d.option);
    nic++;
  }
  for (const n of out.netdevs) if (!peers.has(n.id)) out.warnings.push(`netdev ${n.id} has no peer`);
  if (out.virtioDevices.length > 32) throw new UsageError(`-device: No 'virtio-bus' bus found for device '${out.virtioDevices[32].kind}-device' (the virt board has 32 virtio-mmio transports)`);
}
