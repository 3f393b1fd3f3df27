/**
 * The hypervisor configuration tree: one device tree that splits the board into partitions, in
 * the form of NXP/Freescale's Topaz hypervisor (its hv.dts) with Tessera's board settings in
 * /hv. The binding is documented in docs/hv-config.md. This module turns a parsed tree into a
 * checked `HvConfig`, or into the list of everything wrong with it, one problem per line with
 * the file and line it comes from, as a compiler reports errors.
 *
 * Platform-neutral: the host answers the questions about files (ConfigHost).
 */
import type { DeviceTree, DtNode, DtProperty, SourcePosition } from "../devicetree/index.js";
import { XEN_REGION_IPA, XEN_REGION_SIZE } from "./xen/abi.js";

/** A Xen partition's grant frames and magic pages (src/hypervisor/xen/abi.ts): no memory area may be mapped there. */
const XEN_REGION_START = XEN_REGION_IPA;
const XEN_REGION_END = XEN_REGION_IPA + XEN_REGION_SIZE;

/** Guest RAM starts where the virt board's does; each partition is a virt machine of its own size. */
export const GUEST_RAM_BASE = 0x4000_0000;
/** The board's RAM starts at 1 GiB (QEMU virt). */
export const BOARD_RAM_BASE = 0x4000_0000;
/** CPUs of the virt board. */
export const MAX_BOARD_CPUS = 8;
/** Partition N's console listens on console-port + N; HV> on console-port. */
export const MAX_PARTITIONS = MAX_BOARD_CPUS;

export interface ConfigProblem {
  /** Where it is: the file and line of the property or node, or just the file. */
  where: string;
  message: string;
}

/** What a config refers to on the host, asked through the host (files are not read here). */
export interface ConfigHost {
  /** Size of a regular file, or undefined when it does not exist or is not a regular file. */
  fileSize(path: string): number | undefined;
  /** Whether the board's device tree has a node at this path (devices to pass through). */
  hasDevice(path: string): boolean;
}

/** An image loaded into a partition: a file (relative to the config), or bytes preloaded at a physical address (Topaz). */
export type ImageSource =
  | { kind: "file"; path: string; size: number }
  | { kind: "preloaded"; source: number; size: number }
  /** Bytes handed over by the toolstack (xl create reads the files on its side). */
  | { kind: "bytes"; name: string; data: Uint8Array; size: number };

export interface ImageLoad {
  image: ImageSource;
  /** Guest physical address it is loaded at (undefined: where `tessera run` would put it). */
  guestAddr?: number;
  where: string;
}

export interface PhysMemArea {
  name: string;
  addr: number;
  size: number;
  where: string;
}

export interface GuestMemArea {
  pma: PhysMemArea;
  guestAddr: number;
  size: number;
  /** Guest writes allowed (stage-2 S2AP). */
  writable: boolean;
  /** The partition's RAM (the first area at GUEST_RAM_BASE) as opposed to a shared window. */
  isRam: boolean;
  where: string;
}

export type WatchdogAction = "restart" | "stop" | "report";

/** A partition's virtio-net NIC, a port of a virtual switch. */
export interface NicConfig {
  /** Its node name in the partition (e.g. "net0"). */
  name: string;
  /** The virtual switch's node name. */
  vswitch: string;
  mac: Uint8Array;
  where: string;
}

/** A partition's ivshmem-plain PCI function, whose BAR2 is a (shared) physical memory area. */
export interface IvshmemConfig {
  name: string;
  pma: PhysMemArea;
  /** read-only: the partition's writes through BAR2 are dropped. */
  writable: boolean;
  where: string;
}

export interface PartitionConfig {
  /** Node name (e.g. "part1"). */
  name: string;
  /** Topaz's label property; the name shown by HV> info and used on the consoles. */
  label: string;
  /** 1-based, in the order of the config; partition N's console is console-port + N. */
  id: number;
  /** Physical CPUs, in vCPU order (vCPU i runs on pcpus[i]). */
  pcpus: number[];
  memory: GuestMemArea[];
  /** Guest RAM size (the gpma at GUEST_RAM_BASE). */
  ramSize: number;
  guestImage: ImageLoad;
  linuxRootfs?: ImageLoad;
  dtbWindow?: { guestAddr: number; size: number; where: string };
  bootargs?: string;
  /** Physical devices passed through, by path in the board's device tree. */
  devices: { path: string; where: string }[];
  /** Doorbells this partition may ring and those that interrupt it. */
  sendDoorbells: string[];
  receiveDoorbells: string[];
  /** virtio-net NICs, in config order: the first is on the highest virtio-mmio transport, as QEMU's first -device. */
  nics: NicConfig[];
  /** Xen PV NICs (`compatible = "xen,vif"`, a Xen partition's only), in config order: vif devid 0, 1, ... */
  vifs?: NicConfig[];
  /** Xen PV disks (`compatible = "xen,vbd"`) over raw image files. */
  vbds?: VbdConfig[];
  /** ivshmem-plain functions, in config order on slots 1, 2, ... of the partition's pcie.0. */
  ivshmem?: IvshmemConfig[];
  autoStart: boolean;
  watchdog?: { seconds: number; action: WatchdogAction };
  onCrash: "restart" | "stop";
  /** `xen,enhanced = "enabled"`: the partition gets Xen's guest interface (src/hypervisor/xen/). */
  xen: boolean;
  /**
   * The Xen domain handle (XENVER_guest_handle, /sys/hypervisor/uuid) when the config fixes it:
   * Xen leaves it all zeros for the domains it builds from dom0less nodes. Otherwise the
   * partition's stable UUID (partitionUuid).
   */
  xenHandle?: Uint8Array;
  /** false: a Xen partition without a PV console, as Xen builds dom0less domains (their console is the vpl011). */
  xenPvConsole?: boolean;
  where: string;
  /** A domain the toolstack created (xl create): see DomainExtras. */
  domain?: DomainExtras;
}

/** A Xen PV disk: xl's `disk = [ 'vdev=xvda, access=rw, target=FILE' ]`. */
export interface VbdConfig {
  /** xvda, xvdb, ...: the guest's name for it. */
  vdev: string;
  /** Its virtual device number (Xen's VBD encoding: 202 << 8 | disk << 4), the XenStore devid. */
  devid: number;
  /** The raw image, resolved against the config's directory. */
  target: string;
  size: number;
  readOnly: boolean;
  where: string;
}

/** What xl create (src/hypervisor/toolstack.ts) gives a partition beyond the Topaz properties. */
export interface DomainExtras {
  /** xl.cfg's on_poweroff, on_reboot, on_crash. */
  onPoweroff: "destroy" | "restart" | "preserve";
  onReboot: "destroy" | "restart" | "preserve";
  onCrash: "destroy" | "restart" | "preserve";
  /** xl.cfg's iomem: physical ranges mapped at guest addresses (device memory, 4 KiB pages). */
  iomem: { pa: number; ipa: number; size: number }[];
  /** xl.cfg's irqs: SPIs (INTIDs) of the board routed to the partition's GIC. */
  irqs: number[];
  /** Created after start-up: destroyed (its CPUs and memory freed) rather than kept when it ends. */
  dynamic: boolean;
}

export interface HvConfig {
  gicVersion: 2 | 3;
  /** machine's dtb-randomness (default on): off leaves the seeds out of every guest DT, as QEMU's option does. */
  dtbRandomness?: boolean;
  cpus: number;
  memorySize: number;
  consolePort?: number;
  pmas: PhysMemArea[];
  doorbells: string[];
  /** Virtual switches (children of / with compatible "virtual-switch"), by node name. */
  switches: string[];
  partitions: PartitionConfig[];
}

export type ConfigResult = { ok: true; config: HvConfig } | { ok: false; problems: ConfigProblem[] };

/** Node and property names each kind of node may have (anything else is reported). */
const ROOT_PROPS = new Set(["compatible", "#address-cells", "#size-cells", "model"]);
const HV_PROPS = new Set(["machine", "cpus", "memory-size", "console-port"]);
const PMA_PROPS = new Set(["compatible", "addr", "size", "shared"]);
const PARTITION_PROPS = new Set(["compatible", "label", "cpus", "guest-image", "linux-rootfs", "dtb-window", "bootargs",
  "no-auto-start", "watchdog", "watchdog-action", "on-crash", "xen,enhanced"]);
const GPMA_PROPS = new Set(["compatible", "phys-mem", "guest-addr", "size", "read-only"]);
const DEVICE_PROPS = new Set(["device"]);
const DOORBELL_HANDLE_PROPS = new Set(["compatible", "global-handle"]);
const NIC_PROPS = new Set(["compatible", "global-handle", "mac-address"]);
const IVSHMEM_PROPS = new Set(["compatible", "phys-mem", "read-only"]);
const VBD_PROPS = new Set(["compatible", "target", "vdev", "access"]);
const COMPAT = {
  root: "tessera,hv-config",
  pma: "phys-mem-area",
  partition: "partition",
  gpma: "guest-phys-mem-area",
  doorbell: "doorbell",
  sendDoorbell: "send-doorbell",
  receiveDoorbell: "receive-doorbell",
  vswitch: "virtual-switch",
  nic: "virtio-net",
  vif: "xen,vif",
  vbd: "xen,vbd",
  ivshmem: "ivshmem-plain",
} as const;

/** Slots 1-31 of a partition's root bus (0 is the host bridge's). */
const MAX_IVSHMEM = 31;

/** Properties the device-tree compiler adds or that any node may carry. */
const ANY_NODE_PROPS = new Set(["phandle", "linux,phandle", "name"]);

class Problems {
  readonly list: ConfigProblem[] = [];
  constructor(readonly file: string) {}
  at(source: SourcePosition | undefined): string {
    return source ? `${source.file}:${source.line}` : this.file;
  }
  add(where: string, message: string): void {
    this.list.push({ where, message });
  }
}

function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Cells as 64-bit numbers (address/size pairs of 2 cells each, as Topaz writes them). */
function cells64(prop: DtProperty): number[] | undefined {
  if (prop.value.length % 8 !== 0) return undefined;
  const c = prop.asU32Array();
  const out: number[] = [];
  for (let i = 0; i < c.length; i += 2) out.push(c[i] * 2 ** 32 + c[i + 1]);
  return out;
}

function compatibleOf(node: DtNode): string[] {
  return node.strings("compatible") ?? [];
}

/** The host file system's notion of "relative to the config file" (POSIX paths). */
function resolvePath(baseDir: string, path: string): string {
  return path.startsWith("/") || baseDir === "" ? path : `${baseDir.replace(/\/+$/, "")}/${path}`;
}

function isPrintable(value: Uint8Array): boolean {
  return value.length > 0 && value[value.length - 1] === 0 && value.subarray(0, -1).every((b) => b !== 0);
}

/**
 * Check a configuration tree. `file` names it in messages (DTB input has no lines); `baseDir`
 * is the directory relative paths are taken from.
 */
export function checkHvConfig(tree: DeviceTree, file: string, baseDir: string, host: ConfigHost): ConfigResult {
  const p = new Problems(file);
  const root = tree.root;
  const at = (x: { source?: SourcePosition } | undefined) => p.at(x?.source);

  // ---- / ----
  if (!compatibleOf(root).includes(COMPAT.root)) {
    p.add(at(root.prop("compatible") ?? root), `the root node's compatible must include "${COMPAT.root}"`);
  }
  for (const prop of root.liveProperties()) if (!ROOT_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in /`);

  // ---- /hv ----
  let gicVersion: 2 | 3 = 3, dtbRandomness = true, cpus = 0, memorySize = 0, consolePort: number | undefined;
  const hv = root.child("hv");
  if (!hv) p.add(file, "no /hv node (the board: machine, cpus, memory-size)");
  else {
    for (const prop of hv.liveProperties()) if (!HV_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in /hv`);
    const machine = hv.prop("machine");
    if (machine) {
      const text = isPrintable(machine.value) ? machine.asString() : undefined;
      const m = text === undefined ? null : /^virt(?:,(.*))?$/.exec(text);
      if (!m) p.add(at(machine), `machine must be "virt[,gic-version=2|3][,dtb-randomness=on|off]", not ${text === undefined ? "a non-string" : `"${text}"`}`);
      else for (const opt of (m[1] ?? "").split(",").filter((s) => s !== "")) {
        if (opt === "gic-version=2") gicVersion = 2;
        else if (opt === "gic-version=3") gicVersion = 3;
        else if (opt === "dtb-randomness=on" || opt === "dtb-randomness=off") dtbRandomness = opt.endsWith("=on");
        else p.add(at(machine), `unsupported machine option '${opt}' (gic-version=2 or 3, dtb-randomness=on or off)`);
      }
    }
    const c = hv.prop("cpus");
    if (!c || c.length !== 4) p.add(at(c ?? hv), "/hv needs cpus = <N> (the board's CPUs)");
    else {
      cpus = c.asU32();
      if (cpus < 1 || cpus > MAX_BOARD_CPUS) p.add(at(c), `cpus = <${cpus}>: the board has 1 to ${MAX_BOARD_CPUS} CPUs`);
    }
    const ms = hv.prop("memory-size");
    const msCells = ms && cells64(ms);
    if (!ms || !msCells || msCells.length !== 1) p.add(at(ms ?? hv), "/hv needs memory-size = <hi lo> (the board's RAM)");
    else {
      memorySize = msCells[0];
      if (memorySize <= 0 || memorySize % 0x10000 !== 0 || memorySize > 255 * 2 ** 30) {
        p.add(at(ms), `memory-size ${hex(memorySize)}: must be a non-zero multiple of 64 KiB, at most 255 GiB`);
      }
    }
    const cp = hv.prop("console-port");
    if (cp) {
      if (cp.length !== 4) p.add(at(cp), "console-port = <PORT>");
      else {
        consolePort = cp.asU32();
        if (consolePort < 1 || consolePort + MAX_PARTITIONS > 65535) p.add(at(cp), `console-port ${consolePort}: must leave room for a port per partition below 65536`);
      }
    }
  }

  // ---- physical memory areas and doorbells (children of / other than hv and partitions) ----
  const pmas = new Map<DtNode, PhysMemArea>();
  const doorbells = new Map<DtNode, string>();
  const switches = new Map<DtNode, string>();
  /**
   * A NIC's (virtio or Xen vif) properties checked and its switch: global-handle = <&SWITCH>;
   * undefined, with the error added, when it names none.
   */
  const nicSwitch = (child: DtNode): string | undefined => {
    for (const prop of child.liveProperties()) if (!NIC_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${child.path}`);
    const gh = child.prop("global-handle");
    const target = gh && gh.length === 4 ? tree.root.findByPhandle(gh.asU32()) : undefined;
    const sw = target && switches.get(target);
    if (sw === undefined) p.add(at(gh ?? child), `${child.path}: global-handle = <&SWITCH> must name a "${COMPAT.vswitch}" node`);
    return sw;
  };
  for (const node of root.liveChildren()) {
    if (node.name === "hv" || node.name === "partitions") continue;
    const compat = compatibleOf(node);
    if (compat.includes(COMPAT.pma)) {
      for (const prop of node.liveProperties()) if (!PMA_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${node.path}`);
      const addr = node.prop("addr"), size = node.prop("size");
      const a = addr && cells64(addr), s = size && cells64(size);
      if (!a || a.length !== 1) { p.add(at(addr ?? node), `${node.path} needs addr = <hi lo>`); continue; }
      if (!s || s.length !== 1) { p.add(at(size ?? node), `${node.path} needs size = <hi lo>`); continue; }
      const area: PhysMemArea = { name: node.name, addr: a[0], size: s[0], where: at(node) };
      if (area.size === 0 || area.addr % 4096 || area.size % 4096) p.add(at(node), `${node.path}: addr and size must be non-zero multiples of 4 KiB`);
      else if (memorySize && (area.addr < BOARD_RAM_BASE || area.addr + area.size > BOARD_RAM_BASE + memorySize)) {
        p.add(at(node), `${node.path} [${hex(area.addr)}, ${hex(area.addr + area.size)}) is outside the board's RAM ` +
          `[${hex(BOARD_RAM_BASE)}, ${hex(BOARD_RAM_BASE + memorySize)})`);
      }
      pmas.set(node, area);
    } else if (compat.includes(COMPAT.doorbell)) {
      for (const prop of node.liveProperties()) if (prop.name !== "compatible" && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${node.path}`);
      doorbells.set(node, node.name);
    } else if (compat.includes(COMPAT.vswitch)) {
      for (const prop of node.liveProperties()) if (prop.name !== "compatible" && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${node.path}`);
      switches.set(node, node.name);
    } else {
      p.add(at(node), `unknown node ${node.path} (expected hv, partitions, a "${COMPAT.pma}", a "${COMPAT.doorbell}" or a "${COMPAT.vswitch}")`);
    }
  }
  const areaList = [...pmas.values()];
  for (let i = 0; i < areaList.length; i++) {
    for (let j = 0; j < i; j++) {
      const x = areaList[i], y = areaList[j];
      if (x.addr < y.addr + y.size && y.addr < x.addr + x.size) {
        p.add(x.where, `phys-mem-area ${x.name} [${hex(x.addr)}, ${hex(x.addr + x.size)}) overlaps ${y.name} [${hex(y.addr)}, ${hex(y.addr + y.size)}) (${y.where})`);
      }
    }
  }

  // ---- partitions ----
  const partitions: PartitionConfig[] = [];
  const partitionsNode = root.child("partitions");
  if (!partitionsNode || partitionsNode.liveChildren().length === 0) p.add(at(partitionsNode ?? root), "no partitions (a /partitions node with one child per partition)");
  const cpuOwner = new Map<number, string>();
  const deviceOwner = new Map<string, string>();
  const pmaUsers = new Map<PhysMemArea, string[]>();
  const labels = new Map<string, string>();
  /** NICs' addresses: given ones first (QEMU marks 52:54:00:12:34:XX used), then defaults in config order. */
  const usedMacs = new Map<string, string>();
  const defaultMacNics: { nic: NicConfig; given: boolean }[] = [];
  for (const node of partitionsNode?.liveChildren() ?? []) {
    if (!compatibleOf(node).includes(COMPAT.partition)) { p.add(at(node), `${node.path}: compatible must be "${COMPAT.partition}"`); continue; }
    const part = checkPartition(node, partitions.length + 1);
    if (part) partitions.push(part);
  }
  if (partitions.length > MAX_PARTITIONS) p.add(at(partitionsNode), `${partitions.length} partitions: at most ${MAX_PARTITIONS}`);
  // NICs without mac-address get QEMU's default sequence, 52:54:00:12:34:56 upwards, skipping
  // addresses given explicitly, so that every NIC on a switch has an address of its own.
  let nextMac = 0x56;
  for (const { nic, given } of defaultMacNics) {
    if (given) continue;
    while (usedMacs.has(`52:54:00:12:34:${nextMac.toString(16)}`) && nextMac < 0xff) nextMac++;
    nic.mac = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, nextMac);
    usedMacs.set(`52:54:00:12:34:${nextMac.toString(16)}`, nic.where);
  }
  for (const [area, users] of pmaUsers) {
    const node = [...pmas].find(([, a]) => a === area)![0];
    if (users.length > 1 && !node.hasProp("shared")) {
      p.add(area.where, `phys-mem-area ${area.name} is used by ${users.join(" and ")}: mark it "shared;" to share it`);
    }
  }

  function checkPartition(node: DtNode, id: number): PartitionConfig | undefined {
    const name = node.name;
    const before = p.list.length;
    for (const prop of node.liveProperties()) if (!PARTITION_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${node.path}`);
    const labelProp = node.prop("label");
    const label = labelProp && isPrintable(labelProp.value) ? labelProp.asString() : name;
    if (labels.has(label)) p.add(at(labelProp ?? node), `label "${label}" is used by ${labels.get(label)} too`);
    labels.set(label, name);

    // cpus = <first count> [<first count> ...]: Topaz's ranges of physical CPUs, vCPUs in order.
    const pcpus: number[] = [];
    const cpusProp = node.prop("cpus");
    if (!cpusProp || cpusProp.length === 0 || cpusProp.length % 8 !== 0) p.add(at(cpusProp ?? node), `${node.path} needs cpus = <first count> (physical CPUs)`);
    else {
      const c = cpusProp.asU32Array();
      for (let i = 0; i < c.length; i += 2) {
        if (c[i + 1] === 0) p.add(at(cpusProp), `${node.path}: cpus = <${c[i]} 0> names no CPU`);
        for (let k = 0; k < c[i + 1] && k < 64; k++) {
          const cpu = c[i] + k;
          if (cpus && cpu >= cpus) { p.add(at(cpusProp), `${node.path}: physical CPU ${cpu} does not exist (the board has ${cpus})`); break; }
          const owner = cpuOwner.get(cpu);
          if (owner !== undefined) p.add(at(cpusProp), `${node.path}: physical CPU ${cpu} is already in ${owner}`);
          cpuOwner.set(cpu, name);
          if (!pcpus.includes(cpu)) pcpus.push(cpu);
        }
      }
    }

    // Guest physical memory areas, and the other subnodes (devices, doorbell handles).
    const memory: GuestMemArea[] = [];
    const devices: { path: string; where: string }[] = [];
    const sendDoorbells: string[] = [], receiveDoorbells: string[] = [];
    const nics: NicConfig[] = [];
    const vifs: NicConfig[] = [];
    const vbds: VbdConfig[] = [];
    const ivshmem: IvshmemConfig[] = [];
    for (const child of node.liveChildren()) {
      const compat = compatibleOf(child);
      if (compat.includes(COMPAT.gpma)) {
        for (const prop of child.liveProperties()) if (!GPMA_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${child.path}`);
        const phys = child.prop("phys-mem");
        const target = phys && phys.length === 4 ? tree.root.findByPhandle(phys.asU32()) : undefined;
        const area = target && pmas.get(target);
        if (!area) { p.add(at(phys ?? child), `${child.path}: phys-mem = <&AREA> must name a "${COMPAT.pma}" node`); continue; }
        const ga = child.prop("guest-addr");
        const gaCells = ga && cells64(ga);
        if (!gaCells || gaCells.length !== 1) { p.add(at(ga ?? child), `${child.path} needs guest-addr = <hi lo>`); continue; }
        const sz = child.prop("size");
        const szCells = sz && cells64(sz);
        if (sz && (!szCells || szCells.length !== 1)) { p.add(at(sz), `${child.path}: size = <hi lo>`); continue; }
        const size = szCells ? szCells[0] : area.size;
        if (size === 0 || size > area.size || size % 4096 || gaCells[0] % 4096) {
          p.add(at(sz ?? child), `${child.path}: ${hex(size)} bytes at ${hex(gaCells[0])} must be 4 KiB aligned and fit in ${area.name} (${hex(area.size)} bytes)`);
          continue;
        }
        memory.push({ pma: area, guestAddr: gaCells[0], size, writable: !child.hasProp("read-only"), isRam: false, where: at(child) });
        const users = pmaUsers.get(area) ?? [];
        if (!users.includes(name)) users.push(name);
        pmaUsers.set(area, users);
      } else if (compat.includes(COMPAT.sendDoorbell) || compat.includes(COMPAT.receiveDoorbell)) {
        for (const prop of child.liveProperties()) if (!DOORBELL_HANDLE_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${child.path}`);
        const gh = child.prop("global-handle");
        const target = gh && gh.length === 4 ? tree.root.findByPhandle(gh.asU32()) : undefined;
        const bell = target && doorbells.get(target);
        if (bell === undefined) { p.add(at(gh ?? child), `${child.path}: global-handle = <&DOORBELL> must name a "${COMPAT.doorbell}" node`); continue; }
        (compat.includes(COMPAT.sendDoorbell) ? sendDoorbells : receiveDoorbells).push(bell);
      } else if (compat.includes(COMPAT.vif)) {
        // A Xen PV NIC: xl's vif = [ 'mac=...,bridge=...' ], the bridge being a virtual switch.
        const sw = nicSwitch(child);
        if (sw === undefined) continue;
        const macProp = child.prop("mac-address");
        // libxl makes up an address in Xen's OUI 00:16:3e; here it is fixed by domain and devid.
        let mac = Uint8Array.of(0x00, 0x16, 0x3e, 0x00, id & 0xff, vifs.length);
        if (macProp) {
          if (macProp.length !== 6) { p.add(at(macProp), `${child.path}: mac-address = [00 16 3e 00 01 00] (6 bytes)`); continue; }
          mac = macProp.value.slice();
          if (mac[0] & 1) { p.add(at(macProp), `${child.path}: mac-address ${macText(mac)} is a multicast address (its first byte must be even)`); continue; }
        }
        const other = usedMacs.get(macText(mac));
        if (other !== undefined) p.add(at(macProp ?? child), `${child.path}: mac-address ${macText(mac)} is already used (${other})`);
        usedMacs.set(macText(mac), at(child));
        vifs.push({ name: child.name, vswitch: sw, mac, where: at(child) });
      } else if (compat.includes(COMPAT.vbd)) {
        for (const prop of child.liveProperties()) if (!VBD_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${child.path}`);
        const str = (n: string) => { const q = child.prop(n); return q && isPrintable(q.value) ? q.asString() : undefined; };
        const t = str("target");
        if (t === undefined) { p.add(at(child.prop("target") ?? child), `${child.path} needs target = "FILE" (a raw disk image)`); continue; }
        const path = resolvePath(baseDir, t);
        const size = host.fileSize(path);
        if (size === undefined) { p.add(at(child.prop("target")), `target "${t}": no such file (${path})`); continue; }
        if (size % 512 !== 0 || size === 0) { p.add(at(child.prop("target")), `target "${t}": ${size} bytes is not a whole number of 512-byte sectors`); continue; }
        const vdev = str("vdev") ?? `xvd${String.fromCharCode(0x61 + vbds.length)}`;
        const m = /^xvd([a-p])$/.exec(vdev);
        if (!m) { p.add(at(child.prop("vdev") ?? child), `${child.path}: vdev "${vdev}": xvda to xvdp`); continue; }
        const access = str("access") ?? "rw";
        if (access !== "rw" && access !== "ro") { p.add(at(child.prop("access")), `${child.path}: access "${access}": rw or ro`); continue; }
        // Xen's VBD numbering (docs/misc/vbd-interface.txt): xvd disks are major 202, 16 minors each.
        const devid = (202 << 8) | ((m[1].charCodeAt(0) - 0x61) << 4);
        if (vbds.some((v) => v.devid === devid)) { p.add(at(child), `${child.path}: vdev ${vdev} is used twice`); continue; }
        vbds.push({ vdev, devid, target: path, size, readOnly: access === "ro", where: at(child) });
      } else if (compat.includes(COMPAT.nic)) {
        const sw = nicSwitch(child);
        if (sw === undefined) continue;
        const macProp = child.prop("mac-address");
        let mac = new Uint8Array(6);
        if (macProp) {
          if (macProp.length !== 6) { p.add(at(macProp), `${child.path}: mac-address = [52 54 00 12 34 56] (6 bytes)`); continue; }
          mac = macProp.value.slice();
          if (mac[0] & 1) { p.add(at(macProp), `${child.path}: mac-address ${macText(mac)} is a multicast address (its first byte must be even)`); continue; }
          const other = usedMacs.get(macText(mac));
          if (other !== undefined) p.add(at(macProp), `${child.path}: mac-address ${macText(mac)} is already used (${other})`);
          usedMacs.set(macText(mac), at(child));
        }
        if (nics.length >= 32) { p.add(at(child), `${child.path}: a partition has 32 virtio-mmio transports, so at most 32 NICs`); continue; }
        const nic: NicConfig = { name: child.name, vswitch: sw, mac, where: at(child) };
        nics.push(nic);
        defaultMacNics.push({ nic, given: macProp !== undefined });
      } else if (compat.includes(COMPAT.ivshmem)) {
        for (const prop of child.liveProperties()) if (!IVSHMEM_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${child.path}`);
        const phys = child.prop("phys-mem");
        const target = phys && phys.length === 4 ? tree.root.findByPhandle(phys.asU32()) : undefined;
        const area = target && pmas.get(target);
        if (!area) { p.add(at(phys ?? child), `${child.path}: phys-mem = <&AREA> must name a "${COMPAT.pma}" node`); continue; }
        // BAR2 is the whole area, and a BAR's size is a power of two (PCI Local Bus 6.2.5.1).
        if (area.size & (area.size - 1) || area.size > 2 ** 32) { p.add(at(phys!), `${child.path}: ${area.name} (${hex(area.size)} bytes) must be a power of two of at most 4 GiB to be an ivshmem BAR`); continue; }
        if (ivshmem.length >= MAX_IVSHMEM) { p.add(at(child), `${child.path}: a partition's root bus has ${MAX_IVSHMEM} free slots`); continue; }
        ivshmem.push({ name: child.name, pma: area, writable: !child.hasProp("read-only"), where: at(child) });
        const users = pmaUsers.get(area) ?? [];
        if (!users.includes(name)) users.push(name);
        pmaUsers.set(area, users);
      } else if (child.hasProp("device")) {
        for (const prop of child.liveProperties()) if (!DEVICE_PROPS.has(prop.name) && !ANY_NODE_PROPS.has(prop.name)) p.add(at(prop), `unknown property '${prop.name}' in ${child.path}`);
        const d = child.prop("device")!;
        const path = isPrintable(d.value) ? d.asString() : "";
        if (!path.startsWith("/")) { p.add(at(d), `${child.path}: device = "/PATH" names a node of the board's device tree`); continue; }
        if (!host.hasDevice(path)) { p.add(at(d), `${child.path}: the board has no device ${path}`); continue; }
        const owner = deviceOwner.get(path);
        if (owner !== undefined) p.add(at(d), `${child.path}: device ${path} in use (already assigned to ${owner})`);
        deviceOwner.set(path, name);
        devices.push({ path, where: at(d) });
      } else {
        p.add(at(child), `unknown node ${child.path} (a "${COMPAT.gpma}", a doorbell handle, a "${COMPAT.nic}" NIC, a "${COMPAT.vif}" or "${COMPAT.vbd}", an "${COMPAT.ivshmem}", or a node with device = "/PATH")`);
      }
    }
    memory.sort((a, b) => a.guestAddr - b.guestAddr);
    for (let i = 1; i < memory.length; i++) {
      const a = memory[i - 1], b = memory[i];
      if (b.guestAddr < a.guestAddr + a.size) p.add(b.where, `${node.path}: guest memory at ${hex(b.guestAddr)} overlaps the area at ${hex(a.guestAddr)} (${a.where})`);
    }
    const ram = memory.find((m) => m.guestAddr === GUEST_RAM_BASE);
    if (memory.length && !ram) p.add(at(node), `${node.path}: no guest-phys-mem-area at guest-addr ${hex(GUEST_RAM_BASE)} (the partition's RAM)`);
    else if (!memory.length) p.add(at(node), `${node.path} has no guest-phys-mem-area (its RAM)`);
    if (ram) {
      ram.isRam = true;
      if (!ram.writable) p.add(ram.where, `${node.path}: the partition's RAM cannot be read-only`);
    }
    const inGuestMemory = (addr: number, size: number) => memory.some((m) => addr >= m.guestAddr && addr + size <= m.guestAddr + m.size);

    // Images: a path (Topaz's <src dst size> cells also accepted).
    const image = (propName: string, required: boolean): ImageLoad | undefined => {
      const prop = node.prop(propName);
      if (!prop) { if (required) p.add(at(node), `${node.path} needs ${propName} = "FILE"`); return undefined; }
      const where = at(prop);
      if (isPrintable(prop.value)) {
        const path = resolvePath(baseDir, prop.asString());
        const size = host.fileSize(path);
        if (size === undefined) { p.add(where, `${propName} "${prop.asString()}": no such file (${path})`); return undefined; }
        if (ram && size > ram.size) p.add(where, `${propName} "${prop.asString()}" (${size} bytes) is larger than the partition's RAM (${hex(ram.size)} bytes)`);
        return { image: { kind: "file", path, size }, where };
      }
      const c = cells64(prop);
      if (!c || c.length !== 3) { p.add(where, `${propName} must be "FILE" or <src-hi src-lo dst-hi dst-lo size-hi size-lo>`); return undefined; }
      const [source, dest, size] = c;
      if (size === 0) p.add(where, `${propName}: size 0`);
      if (memorySize && (source < BOARD_RAM_BASE || source + size > BOARD_RAM_BASE + memorySize)) {
        p.add(where, `${propName}: source [${hex(source)}, ${hex(source + size)}) is outside the board's RAM`);
      }
      if (!inGuestMemory(dest, size)) p.add(where, `${propName}: destination [${hex(dest)}, ${hex(dest + size)}) is outside the partition's memory`);
      return { image: { kind: "preloaded", source, size }, guestAddr: dest, where };
    };
    const guestImage = image("guest-image", true);
    const linuxRootfs = image("linux-rootfs", false);

    let dtbWindow: PartitionConfig["dtbWindow"];
    const win = node.prop("dtb-window");
    if (win) {
      const c = cells64(win);
      if (!c || c.length !== 2) p.add(at(win), "dtb-window = <addr-hi addr-lo size-hi size-lo>");
      else if (!inGuestMemory(c[0], c[1]) || c[1] === 0) p.add(at(win), `dtb-window [${hex(c[0])}, ${hex(c[0] + c[1])}) is outside the partition's memory`);
      else dtbWindow = { guestAddr: c[0], size: c[1], where: at(win) };
    }
    const bootargsProp = node.prop("bootargs");
    let bootargs: string | undefined;
    if (bootargsProp) {
      if (!isPrintable(bootargsProp.value)) p.add(at(bootargsProp), "bootargs must be a string");
      else bootargs = bootargsProp.asString();
    }
    let watchdog: PartitionConfig["watchdog"];
    const wd = node.prop("watchdog");
    if (wd) {
      if (wd.length !== 4 || wd.asU32() === 0) p.add(at(wd), "watchdog = <SECONDS> (non-zero)");
      else {
        const actionProp = node.prop("watchdog-action");
        const action = actionProp && isPrintable(actionProp.value) ? actionProp.asString() : "report";
        if (action !== "restart" && action !== "stop" && action !== "report") p.add(at(actionProp), `watchdog-action "${action}": restart, stop or report`);
        else watchdog = { seconds: wd.asU32(), action };
      }
    } else if (node.hasProp("watchdog-action")) p.add(at(node.prop("watchdog-action")), "watchdog-action without watchdog");
    const oc = node.prop("on-crash");
    const onCrashText = oc && isPrintable(oc.value) ? oc.asString() : "stop";
    if (onCrashText !== "restart" && onCrashText !== "stop") p.add(at(oc), `on-crash "${onCrashText}": restart or stop`);
    // Xen's dom0less binding (docs/misc/arm/device-tree/booting.txt): "enabled" gives the guest
    // the /hypervisor node and its interfaces; "no-xenstore" and "legacy" are Xen's other values.
    const xe = node.prop("xen,enhanced");
    const xenText = xe ? (xe.length === 0 ? "enabled" : isPrintable(xe.value) ? xe.asString() : "") : undefined;
    if (xe && xenText !== "enabled") p.add(at(xe), `xen,enhanced "${xenText}": only "enabled" is supported`);
    if (xenText !== "enabled") for (const d of [...vifs, ...vbds]) p.add(d.where, `${"vswitch" in d ? "a xen,vif" : "a xen,vbd"} needs a partition with xen,enhanced = "enabled"`);
    if (xenText === "enabled") {
      for (const area of memory) {
        if (area.guestAddr < XEN_REGION_END && area.guestAddr + area.size > XEN_REGION_START) {
          p.add(area.where, `guest-addr [${hex(area.guestAddr)}, ${hex(area.guestAddr + area.size)}) overlaps the Xen pages at [${hex(XEN_REGION_START)}, ${hex(XEN_REGION_END)})`);
        }
      }
    }

    if (p.list.length !== before || !guestImage || !ram) return undefined;
    return {
      name, label, id, pcpus, memory, ramSize: ram.size, guestImage, linuxRootfs, dtbWindow, bootargs, devices,
      sendDoorbells, receiveDoorbells, nics, vifs, vbds, ivshmem, autoStart: !node.hasProp("no-auto-start"), watchdog,
      onCrash: onCrashText as "restart" | "stop", xen: xenText === "enabled", where: at(node),
    };
  }

  if (p.list.length) return { ok: false, problems: p.list };
  return { ok: true, config: { gicVersion, dtbRandomness, cpus, memorySize, consolePort, pmas: areaList, doorbells: [...doorbells.values()], switches: [...switches.values()], partitions } };
}
