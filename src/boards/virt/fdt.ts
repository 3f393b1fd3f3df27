/**
 * The device tree the `virt` board hands to its guest. It mirrors what QEMU 7.2 builds in
 * hw/arm/virt.c (create_fdt, fdt_add_timer_nodes, fdt_add_cpu_nodes, create_gic, ...) and
 * hw/arm/boot.c (arm_load_dtb: memory node, /chosen boot arguments, PSCI node), in the same call
 * order, so that the blob decompiles to the same text as `-machine virt,dumpdtb=...`, phandle
 * numbers and node order included.
 *
 * QEMU builds its tree with libfdt's read-write calls, which put every new property and subnode
 * first in its node; the tree here is built with `insertion: "prepend"`, which does the same, so
 * the calls below follow QEMU's and the order comes out as QEMU's.
 */
import { DeviceTree, encodeDtbAsBuilt, type DtNode } from "../../devicetree/index.js";
import { hi32, IRQ_LEVEL_HIGH, IRQ_TYPE_PPI, lo32, ppiCpuMask, reg2 } from "./dt-cells.js";
import { VIRT } from "./memory-map.js";
import { virtDevices, type VirtDevice, type VirtDtContext } from "./virt-devices.js";

/**
 * QEMU builds the virt tree in a 1 MiB buffer (device_tree.c create_device_tree, FDT_MAX_SIZE)
 * and hands the guest the whole buffer: the header's totalsize is 1 MiB. Linux reserves
 * fdt_totalsize() bytes (early_init_fdt_reserve_self), so the size shows in the guest's
 * MemTotal, and QEMU skips the DTB of an ELF image that leaves less room than that below it.
 */
export const FDT_MAX_SIZE = 0x100000;

/** Clusters per socket, cores per cluster, threads per core. */
export interface CpuTopology {
  clusters: number;
  cores: number;
  threads: number;
}

export interface VirtDtbOptions {
  ramSize: number;
  cpus: number;
  /** -smp's topology below the sockets (default: every CPU a core of one cluster, as -smp N). */
  topology?: CpuTopology;
  gicVersion: 2 | 3;
  virtualization: boolean;
  /** The CPU nodes' compatible (default "arm,cortex-a53"): the -cpu model's. */
  cpuCompatible?: string;
  /** secure=on: the Secure-only nodes (status "disabled", secure-status "okay") and /secure-chosen. */
  secure?: boolean;
  /** PSCI conduit; "none" leaves out the psci node (default: SMC with virtualization, else HVC). */
  psci?: "hvc" | "smc" | "none";
  bootargs?: string;
  initrd?: { start: number; end: number };
  /** Seed for /chosen kaslr-seed and rng-seed (QEMU uses host randomness; ours is reproducible). */
  randomSeed?: number;
  /**
   * -machine dtb-randomness (default on): off leaves kaslr-seed and rng-seed out of /chosen and
   * /secure-chosen, as virt.c's create_randomness is then not called; the guest then boots
   * without KASLR, the same way every time, under QEMU too.
   */
  randomness?: boolean;
  /**
   * Firmware in flash bank 0 (-bios or a drive): with secure=on machvirt_init then disables
   * PSCI before the CPU nodes are made, so they have no enable-method either.
   */
  firmwareLoaded?: boolean;
  /** -device guest-loader blobs, in command-line order: their /chosen/module@ nodes. */
  modules?: readonly DtModule[];
}

/** A blob a guest-loader put in memory for a hypervisor to find (hw/core/guest-loader.c). */
export interface DtModule {
  addr: number;
  size: number;
  kind: "kernel" | "initrd";
  bootargs?: string;
}

/** First phandle QEMU allocates (device_tree.c: qemu_fdt_alloc_phandle starts at 0x8000). */
const FIRST_PHANDLE = 0x8000;

/** QEMU's PSCI function IDs in the psci node (PSCI DEN 0022: 64-bit calls where they exist). */
const PSCI_CPU_SUSPEND_64 = 0xc4000001, PSCI_CPU_OFF = 0x84000002, PSCI_CPU_ON_64 = 0xc4000003, PSCI_MIGRATE_64 = 0xc4000005;

/** xorshift32: cheap, deterministic bytes for the seed properties. */
function seededWords(seed: number, count: number): number[] {
  let x = (seed >>> 0) || 0x9e3779b9;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.push(x);
  }
  return out;
}

/**
 * The tree for `o`; `devices` is the board's device list (by default the virt list for these
 * options), whose nodes come between the CPUs and the memory node, as in QEMU.
 */
export function buildVirtDtb(o: VirtDtbOptions, devices: readonly VirtDevice[] = virtDevices(o)): Uint8Array {
  const tree = new DeviceTree(undefined, { insertion: "prepend" });
  // QEMU takes a phandle number before it creates the node and sets the property last; nothing
  // else is allocated in between, so allocating at the property (phandleOf) numbers the same.
  tree.nextPhandleCandidate = FIRST_PHANDLE;
  const root = tree.root;
  // PPI flags of the GICv2 binding carry a CPU mask in bits [15:8]; GICv3 has none.
  const ppiFlags = ppiCpuMask(o.gicVersion, o.cpus) | IRQ_LEVEL_HIGH;

  // create_fdt
  root.setString("compatible", "linux,dummy-virt");
  root.setCells("#address-cells", 2);
  root.setCells("#size-cells", 2);
  root.setString("model", "linux,dummy-virt");
  const chosen = root.add("chosen");
  const randomness = o.randomness ?? true;
  const seed = seededWords(o.randomSeed ?? 0x7e55e4a, 10);
  if (randomness) {
    chosen.setCells("kaslr-seed", seed[0], seed[1]);
    chosen.setCells("rng-seed", ...seed.slice(2));
  }
  const secureChosen = o.secure ? root.add("secure-chosen") : undefined;
  if (secureChosen && randomness) {
    const s = seededWords(seed[9], 10);
    secureChosen.setCells("kaslr-seed", s[0], s[1]);
    secureChosen.setCells("rng-seed", ...s.slice(2));
  }
  const psciMethod = o.psci ?? (o.virtualization ? "smc" : "hvc");
  const clock = root.add("apb-pclk");
  clock.setString("compatible", "fixed-clock");
  clock.setCells("#clock-cells", 0);
  clock.setCells("clock-frequency", VIRT.APB_CLOCK_HZ);
  clock.setString("clock-output-names", "clk24mhz");
  const clockPhandle = tree.phandleOf(clock);

  // fdt_add_timer_nodes: secure physical, non-secure physical, virtual, hypervisor physical.
  const timer = root.add("timer");
  timer.setString("compatible", "arm,armv8-timer", "arm,armv7-timer");
  timer.setEmpty("always-on");
  timer.setCells("interrupts",
    IRQ_TYPE_PPI, VIRT.PPI_TIMER_SECURE_PHYS, ppiFlags, IRQ_TYPE_PPI, VIRT.PPI_TIMER_PHYS, ppiFlags,
    IRQ_TYPE_PPI, VIRT.PPI_TIMER_VIRT, ppiFlags, IRQ_TYPE_PPI, VIRT.PPI_TIMER_HYP_PHYS, ppiFlags);

  // fdt_add_cpu_nodes: created last-to-first so they read in order; reg = MPIDR affinity.
  const cpus = root.add("cpus");
  cpus.setCells("#address-cells", 1);
  cpus.setCells("#size-cells", 0);
  const cpuPhandles: number[] = [];
  for (let i = o.cpus - 1; i >= 0; i--) {
    const cpu = cpus.add(`cpu@${i}`);
    cpu.setString("device_type", "cpu");
    cpu.setString("compatible", o.cpuCompatible ?? "arm,cortex-a53");
    // virt.c only names PSCI as the enable method when there are secondaries to start. It decides
    // before the boot code disables the conduit for an image starting at EL3, so the property
    // stays even where the psci node is left out.
    if (o.cpus > 1 && !(o.secure && o.firmwareLoaded)) cpu.setString("enable-method", "psci");
    cpu.setCells("reg", i);
    cpuPhandles[i] = tree.phandleOf(cpu);
  }
  // Topology as fdt_add_cpu_nodes: socket/cluster/core[/thread] paths from the -smp values (by
  // default all CPUs are cores of one cluster of one socket), created last CPU first.
  const { clusters, cores, threads } = o.topology ?? { clusters: 1, cores: o.cpus, threads: 1 };
  const cpuMap = cpus.add("cpu-map");
  const path = (parent: DtNode, name: string) => parent.child(name) ?? parent.add(name);
  for (let i = o.cpus - 1; i >= 0; i--) {
    const socket = path(cpuMap, `socket${Math.floor(i / (clusters * cores * threads))}`);
    const cluster = path(socket, `cluster${Math.floor(i / (cores * threads)) % clusters}`);
    const core = path(cluster, `core${Math.floor(i / threads) % cores}`);
    (threads > 1 ? path(core, `thread${i % threads}`) : core).setCells("cpu", cpuPhandles[i]);
  }

  // The devices, in QEMU's creation order: flash, GIC, PMU, UARTs, RTC, PCIe, GPIO, virtio,
  // fw-cfg, platform bus (virt-devices.ts).
  const dt: VirtDtContext = { tree, root, chosen, secureChosen, ppiFlags, clockPhandle };
  for (const d of devices) d.addNode?.(dt);

  // The guest-loader devices, realized after the board in command-line order (the tree adds
  // each new subnode before the ones already there, as libfdt, so the last given comes first).
  // The name keeps QEMU's "0x" and 8-digit unit address; reg is one 64-bit address and size
  // whatever the parent's cells.
  for (const m of o.modules ?? []) {
    const node = chosen.add(`module@0x${m.addr.toString(16).padStart(8, "0")}`);
    node.setCells("reg", hi32(m.addr), lo32(m.addr), hi32(m.size), lo32(m.size));
    node.setString("compatible", "multiboot,module", m.kind === "kernel" ? "multiboot,kernel" : "multiboot,ramdisk");
    if (m.kind === "kernel" && m.bootargs !== undefined) node.setString("bootargs", m.bootargs);
  }

  // hw/arm/boot.c arm_load_dtb: memory, boot arguments, initrd, PSCI.
  const memory = root.add(`memory@${VIRT.RAM_BASE.toString(16)}`);
  memory.setString("device_type", "memory");
  memory.setCells("reg", ...reg2([VIRT.RAM_BASE, o.ramSize]));
  if (o.bootargs) chosen.setString("bootargs", o.bootargs);
  if (o.initrd && o.initrd.end > o.initrd.start) {
    chosen.setCells("linux,initrd-start", o.initrd.start);
    chosen.setCells("linux,initrd-end", o.initrd.end);
  }
  if (psciMethod !== "none") {
    const psci = root.add("psci");
    psci.setString("compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci");
    // virt.c: HVC when the guest boots at EL1, SMC when EL2 is the guest's (virtualization=on).
    psci.setString("method", psciMethod);
    psci.setCells("cpu_suspend", PSCI_CPU_SUSPEND_64);
    psci.setCells("cpu_off", PSCI_CPU_OFF);
    psci.setCells("cpu_on", PSCI_CPU_ON_64);
    psci.setCells("migrate", PSCI_MIGRATE_64);
  }

  // The blob as QEMU's libfdt leaves it after building the tree call by call (no memory
  // reservations, boot CPU 0, the whole FDT_MAX_SIZE buffer), byte for byte: see encodeDtbAsBuilt.
  const blob = encodeDtbAsBuilt(tree, FDT_MAX_SIZE);
  if (blob.length > FDT_MAX_SIZE) throw new RangeError(`device tree needs ${blob.length} bytes, more than ${FDT_MAX_SIZE}`);
  return blob;
}
