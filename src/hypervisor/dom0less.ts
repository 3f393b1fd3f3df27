/**
 * Xen's dom0less configuration (docs/misc/arm/device-tree/booting.txt, "Creating Multiple
 * Domains directly from Xen"), as an alternative to the Topaz-style tree of config.ts: the
 * board's device tree with one `/chosen/domU*` node per domain, mapped onto the same
 * partitions (PartitionConfig), so what runs is the same either way.
 *
 * From the board's part of the tree: the number of `/cpus/cpu@N` nodes is the board's CPUs,
 * `/memory` its RAM (at 0x4000_0000 as on QEMU's virt), the GIC's compatible its version
 * (GICv3 unless it is a GICv2: "arm,cortex-a15-gic", "arm,gic-400"). Everything else of the
 * board is QEMU's virt board and not read here. There is no dom0 ("true dom0less").
 *
 * Each domain node: `compatible = "xen,domain"`; `memory = <hi lo>` in KiB (a 64-bit integer, as
 * Xen reads it); `cpus = <N>` vCPUs, which take the next N free physical CPUs in the order of
 * the nodes (one vCPU per CPU, as Xen's null scheduler runs them); `vpl011` (every partition
 * has its PL011, so it changes nothing); `xen,enhanced = "enabled"` for Xen's guest interface.
 * Its RAM is taken from the board's in the order of the nodes, 2 MiB aligned.
 *
 * Module nodes (compatible "multiboot,kernel", "multiboot,ramdisk", "multiboot,device-tree",
 * each with "multiboot,module"): Xen finds them where the bootloader put them (`reg`); tessera
 * loads files itself, so a module names its file with `xen,uefi-binary = "FILE"` (the property
 * with which Xen's EFI loader reads a module from a file, docs/misc/efi.pandoc), relative to
 * the config. `reg` is accepted too: the bytes must then be put in physical memory at that
 * address (tessera hv -device loader,file=FILE,addr=ADDR, as a bootloader would). The kernel
 * node's `bootargs` is the guest's command line. A multiboot,device-tree module (the partial
 * device tree of booting.txt's "Device Assignment") passes through the board's devices its
 * /passthrough nodes name with `xen,path`.
 */
import type { DeviceTree, DtNode, DtProperty, SourcePosition } from "../devicetree/index.js";
import {
  BOARD_RAM_BASE, GUEST_RAM_BASE, MAX_BOARD_CPUS, MAX_PARTITIONS,
  type ConfigHost, type ConfigProblem, type ConfigResult, type GuestMemArea, type ImageLoad, type PartitionConfig, type PhysMemArea,
} from "./config.js";

const DOMAIN_COMPAT = "xen,domain";
const RAM_ALIGN = 2 << 20;
/** Domain node properties of booting.txt tessera does not offer (reported as such, not as unknown). */
const UNSUPPORTED = new Set(["direct-map", "xen,static-mem", "#xen,static-mem-address-cells", "#xen,static-mem-size-cells", "domain-cpupool",
  "passthrough", "max_grant_frames", "max_maptrack_frames", "nr_spis", "sve", "xen,domain-p2m-mem-mb", "llc-colors", "capabilities"]);
const DOMAIN_PROPS = new Set(["compatible", "#address-cells", "#size-cells", "memory", "cpus", "vpl011", "xen,enhanced", "phandle", "linux,phandle", "name"]);

/** What reading a partial device tree needs of the host, beyond ConfigHost. */
export interface Dom0lessHost extends ConfigHost {
  /** A device tree file (DTS or DTB) parsed, or a problem in words. */
  readTree?(path: string): DeviceTree | string;
}

/** Whether a tree is a dom0less configuration (a /chosen node with "xen,domain" children). */
export function isDom0lessConfig(tree: DeviceTree): boolean {
  return (tree.root.child("chosen")?.liveChildren() ?? []).some((n) => (n.strings("compatible") ?? []).includes(DOMAIN_COMPAT));
}

function resolvePath(baseDir: string, path: string): string {
  return path.startsWith("/") || baseDir === "" ? path : `${baseDir.replace(/\/+$/, "")}/${path}`;
}

function isPrintable(value: Uint8Array): boolean {
  return value.length > 0 && value[value.length - 1] === 0 && value.subarray(0, -1).every((b) => b !== 0);
}

function cellsValue(prop: DtProperty, from: number, count: number): number {
  const c = prop.asU32Array();
  let v = 0;
  for (let i = 0; i < count; i++) v = v * 2 ** 32 + c[from + i];
  return v;
}

const hex = (n: number) => `0x${n.toString(16)}`;

export function checkDom0lessConfig(tree: DeviceTree, file: string, baseDir: string, host: Dom0lessHost): ConfigResult {
  const problems: ConfigProblem[] = [];
  const at = (x: { source?: SourcePosition } | undefined) => (x?.source ? `${x.source.file}:${x.source.line}` : file);
  const add = (where: string, message: string) => problems.push({ where, message });
  const root = tree.root;

  // ---- the board: /cpus, /memory, the GIC ----
  const cpuNodes = (root.child("cpus")?.liveChildren() ?? []).filter((n) => n.name.startsWith("cpu@") || n.string("device_type") === "cpu");
  const cpus = cpuNodes.length;
  if (cpus < 1 || cpus > MAX_BOARD_CPUS) add(at(root.child("cpus") ?? root), `the board needs 1 to ${MAX_BOARD_CPUS} /cpus/cpu@N nodes, not ${cpus}`);
  const rootAddressCells = root.u32("#address-cells") ?? 2, rootSizeCells = root.u32("#size-cells") ?? 1;
  const memoryNode = root.liveChildren().find((n) => n.string("device_type") === "memory" || n.name === "memory" || n.name.startsWith("memory@"));
  let memorySize = 0;
  const reg = memoryNode?.prop("reg");
  if (!memoryNode || !reg || reg.length !== 4 * (rootAddressCells + rootSizeCells)) add(at(memoryNode ?? root), "the board needs /memory with reg = <address size> (one range, at 0x40000000)");
  else {
    const base = cellsValue(reg, 0, rootAddressCells);
    memorySize = cellsValue(reg, rootAddressCells, rootSizeCells);
    if (base !== BOARD_RAM_BASE) add(at(reg), `/memory starts at ${hex(base)}: the virt board's RAM is at ${hex(BOARD_RAM_BASE)}`);
    if (memorySize <= 0 || memorySize % 0x10000 || memorySize > 255 * 2 ** 30) add(at(reg), `/memory size ${hex(memorySize)}: a non-zero multiple of 64 KiB, at most 255 GiB`);
  }
  let gicVersion: 2 | 3 = 3;
  for (const n of root.walk()) {
    const compat = n.strings("compatible") ?? [];
    if (n.hasProp("interrupt-controller") && compat.some((c) => c === "arm,cortex-a15-gic" || c === "arm,gic-400")) gicVersion = 2;
  }

  // ---- the domains ----
  const chosen = root.child("chosen")!;
  const partitions: PartitionConfig[] = [];
  const pmas: PhysMemArea[] = [];
  let nextCpu = 0, nextRam = BOARD_RAM_BASE;
  for (const node of chosen.liveChildren()) {
    const compat = node.strings("compatible") ?? [];
    if (compat.includes("multiboot,kernel") || compat.includes("xen,linux-zimage")) add(at(node), `${node.path}: a dom0 kernel: there is no dom0 here (every domain is a /chosen/domU node)`);
    if (!compat.includes(DOMAIN_COMPAT)) continue;
    const before = problems.length;
    const id = partitions.length + 1;
    for (const prop of node.liveProperties()) {
      if (UNSUPPORTED.has(prop.name)) add(at(prop), `${node.path}: ${prop.name} is not supported by tessera`);
      else if (!DOMAIN_PROPS.has(prop.name)) add(at(prop), `unknown property '${prop.name}' in ${node.path}`);
    }
    const addressCells = node.u32("#address-cells") ?? 1, sizeCells = node.u32("#size-cells") ?? 1;
    // cpus: the number of vCPUs.
    const cpusProp = node.prop("cpus");
    const vcpus = cpusProp && cpusProp.length === 4 ? cpusProp.asU32() : 0;
    if (!cpusProp || vcpus < 1) add(at(cpusProp ?? node), `${node.path} needs cpus = <N> (its vCPUs, at least 1)`);
    const pcpus = Array.from({ length: vcpus }, (_, i) => nextCpu + i);
    if (vcpus && cpus && nextCpu + vcpus > cpus) add(at(cpusProp), `${node.path}: cpus = <${vcpus}>: only ${Math.max(0, cpus - nextCpu)} of the board's ${cpus} CPUs are left (each vCPU has one of its own)`);
    nextCpu += vcpus;
    // memory: KiB, a 64-bit integer.
    const memProp = node.prop("memory");
    const kib = memProp && memProp.length === 8 ? cellsValue(memProp, 0, 2) : 0;
    const ramSize = kib * 1024;
    if (!memProp || memProp.length !== 8 || kib === 0) add(at(memProp ?? node), `${node.path} needs memory = <hi lo> (KiB of RAM, a 64-bit integer)`);
    else if (ramSize % 4096) add(at(memProp), `${node.path}: memory = ${kib} KiB is not a whole number of 4 KiB pages`);
    const ramStart = Math.ceil(nextRam / RAM_ALIGN) * RAM_ALIGN;
    if (ramSize && memorySize && ramStart + ramSize > BOARD_RAM_BASE + memorySize) {
      add(at(memProp), `${node.path}: memory = ${kib} KiB does not fit in what is left of the board's RAM (${Math.max(0, Math.floor((BOARD_RAM_BASE + memorySize - ramStart) / 1024))} KiB)`);
    }
    nextRam = ramStart + ramSize;
    const xe = node.prop("xen,enhanced");
    const xenText = xe ? (xe.length === 0 ? "enabled" : isPrintable(xe.value) ? xe.asString() : "") : undefined;
    if (xe && xenText !== "enabled") add(at(xe), `xen,enhanced "${xenText}": only "enabled" is supported`);

    // Modules.
    let kernel: ImageLoad | undefined, ramdisk: ImageLoad | undefined, bootargs: string | undefined;
    const devices: PartitionConfig["devices"] = [];
    const moduleImage = (m: DtNode, what: string): ImageLoad | undefined => {
      const fileProp = m.prop("xen,uefi-binary");
      if (fileProp) {
        if (!isPrintable(fileProp.value)) { add(at(fileProp), `${m.path}: xen,uefi-binary = "FILE"`); return undefined; }
        const path = resolvePath(baseDir, fileProp.asString());
        const size = host.fileSize(path);
        if (size === undefined) { add(at(fileProp), `${what} "${fileProp.asString()}": no such file (${path})`); return undefined; }
        if (ramSize && size > ramSize) add(at(fileProp), `${what} "${fileProp.asString()}" (${size} bytes) is larger than the domain's memory`);
        return { image: { kind: "file", path, size }, where: at(fileProp) };
      }
      const r = m.prop("reg");
      if (!r || r.length !== 4 * (addressCells + sizeCells)) { add(at(r ?? m), `${m.path} needs xen,uefi-binary = "FILE" or reg = <address size> (${addressCells} + ${sizeCells} cells)`); return undefined; }
      const source = cellsValue(r, 0, addressCells), size = cellsValue(r, addressCells, sizeCells);
      if (size === 0 || (memorySize && (source < BOARD_RAM_BASE || source + size > BOARD_RAM_BASE + memorySize))) {
        add(at(r), `${m.path}: reg [${hex(source)}, ${hex(source + size)}) is not in the board's RAM`);
        return undefined;
      }
      return { image: { kind: "preloaded", source, size }, where: at(r) };
    };
    for (const m of node.liveChildren()) {
      const mc = m.strings("compatible") ?? [];
      if (mc.includes("multiboot,kernel")) {
        if (kernel) add(at(m), `${node.path}: a second multiboot,kernel module`);
        kernel = moduleImage(m, "kernel");
        const ba = m.prop("bootargs");
        if (ba) { if (isPrintable(ba.value)) bootargs = ba.asString(); else add(at(ba), "bootargs must be a string"); }
      } else if (mc.includes("multiboot,ramdisk")) {
        if (ramdisk) add(at(m), `${node.path}: a second multiboot,ramdisk module`);
        ramdisk = moduleImage(m, "ramdisk");
      } else if (mc.includes("multiboot,device-tree")) {
        const fileProp = m.prop("xen,uefi-binary");
        if (!fileProp || !isPrintable(fileProp.value) || !host.readTree) { add(at(m), `${m.path}: a partial device tree is read from a file (xen,uefi-binary = "FILE.dtb")`); continue; }
        const partial = host.readTree(resolvePath(baseDir, fileProp.asString()));
        if (typeof partial === "string") { add(at(fileProp), `${m.path}: ${partial}`); continue; }
        // booting.txt "Device Assignment": each device under /passthrough names its host node with xen,path.
        for (const dev of partial.root.child("passthrough")?.liveChildren() ?? []) {
          const xp = dev.string("xen,path");
          if (xp === undefined) continue;
          if (!host.hasDevice(xp)) add(at(fileProp), `${m.path}: ${dev.name}: the board has no device ${xp}`);
          else devices.push({ path: xp, where: at(fileProp) });
        }
      } else add(at(m), `unknown node ${m.path} (a multiboot,kernel, multiboot,ramdisk or multiboot,device-tree module)`);
    }
    if (!kernel && !node.liveChildren().some((m) => (m.strings("compatible") ?? []).includes("multiboot,kernel"))) add(at(node), `${node.path} has no multiboot,kernel module`);
    if (problems.length !== before || !kernel) continue;
    // Preloaded modules are read from physical memory and loaded as a file would be.
    const pma: PhysMemArea = { name: `${node.name}-ram`, addr: ramStart, size: ramSize, where: at(memProp) };
    pmas.push(pma);
    const ram: GuestMemArea = { pma, guestAddr: GUEST_RAM_BASE, size: ramSize, writable: true, isRam: true, where: at(memProp) };
    partitions.push({
      name: node.name, label: node.name, id, pcpus, memory: [ram], ramSize, guestImage: kernel, linuxRootfs: ramdisk, bootargs,
      devices, sendDoorbells: [], receiveDoorbells: [], nics: [], autoStart: true, onCrash: "stop", xen: xenText === "enabled", xenHandle: new Uint8Array(16), xenPvConsole: false, where: at(node),
    });
  }
  if (partitions.length === 0 && problems.length === 0) add(at(chosen), "no /chosen/domU node (compatible = \"xen,domain\")");
  if (partitions.length > MAX_PARTITIONS) add(at(chosen), `${partitions.length} domains: at most ${MAX_PARTITIONS}`);
  // A device belongs to one domain at most.
  const owner = new Map<string, string>();
  for (const p of partitions) for (const d of p.devices) {
    const o = owner.get(d.path);
    if (o) add(d.where, `${p.name}: device ${d.path} in use (already assigned to ${o})`);
    owner.set(d.path, p.name);
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, config: { gicVersion, cpus, memorySize, pmas, doorbells: [], switches: [], partitions } };
}
