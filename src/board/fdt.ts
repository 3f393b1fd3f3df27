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
import { DeviceTree, encodeDtb, type DtNode } from "../devicetree/index.js";
import { VIRT } from "./memory-map.js";

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
  /** secure=on: the Secure-only nodes (status "disabled", secure-status "okay") and /secure-chosen. */
  secure?: boolean;
  /** PSCI conduit; "none" leaves out the psci node (default: SMC with virtualization, else HVC). */
  psci?: "hvc" | "smc" | "none";
  bootargs?: string;
  initrd?: { start: number; end: number };
  /** Seed for /chosen kaslr-seed and rng-seed (QEMU uses host randomness; ours is reproducible). */
  randomSeed?: number;
}

/** GIC binding interrupt specifier types and flags (Documentation/devicetree/bindings/interrupt-controller/arm,gic.yaml). */
const IRQ_TYPE_SPI = 0, IRQ_TYPE_PPI = 1;
const IRQ_EDGE_RISING = 1, IRQ_LEVEL_HIGH = 4;

/** First phandle QEMU allocates (device_tree.c: qemu_fdt_alloc_phandle starts at 0x8000). */
const FIRST_PHANDLE = 0x8000;

/** QEMU's PSCI function IDs in the psci node (PSCI DEN 0022: 64-bit calls where they exist). */
const PSCI_CPU_SUSPEND_64 = 0xc4000001, PSCI_CPU_OFF = 0x84000002, PSCI_CPU_ON_64 = 0xc4000003, PSCI_MIGRATE_64 = 0xc4000005;

/** Mark a node as for the Secure world only (Documentation/devicetree/bindings/arm/secure.txt). */
function secureOnly(node: DtNode): void {
  node.setString("status", "disabled");
  node.setString("secure-status", "okay");
}

function hi32(v: number): number { return Math.floor(v / 0x100000000) >>> 0; }
function lo32(v: number): number { return v >>> 0; }
/** <addr size> with #address-cells = #size-cells = 2. */
function reg2(...pairs: [number, number][]): number[] {
  return pairs.flatMap(([a, s]) => [hi32(a), lo32(a), hi32(s), lo32(s)]);
}

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

export function buildVirtDtb(o: VirtDtbOptions): Uint8Array {
  const tree = new DeviceTree(undefined, { insertion: "prepend" });
  // QEMU takes a phandle number before it creates the node and sets the property last; nothing
  // else is allocated in between, so allocating at the property (phandleOf) numbers the same.
  tree.nextPhandleCandidate = FIRST_PHANDLE;
  const root = tree.root;
  // PPI flags of the GICv2 binding carry a CPU mask in bits [15:8]; GICv3 has none.
  const ppiFlags = o.gicVersion === 2 ? (((1 << Math.min(o.cpus, 8)) - 1) << 8) | IRQ_LEVEL_HIGH : IRQ_LEVEL_HIGH;

  // create_fdt
  root.setString("compatible", "linux,dummy-virt");
  root.setCells("#address-cells", 2);
  root.setCells("#size-cells", 2);
  root.setString("model", "linux,dummy-virt");
  const chosen = root.add("chosen");
  const seed = seededWords(o.randomSeed ?? 0x7e55e4a, 10);
  chosen.setCells("kaslr-seed", seed[0], seed[1]);
  chosen.setCells("rng-seed", ...seed.slice(2));
  const secureChosen = o.secure ? root.add("secure-chosen") : undefined;
  if (secureChosen) {
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
    cpu.setString("compatible", "arm,cortex-a53");
    // virt.c only names PSCI as the enable method when there are secondaries to start. It decides
    // before the boot code disables the conduit for an image starting at EL3, so the property
    // stays even where the psci node is left out.
    if (o.cpus > 1) cpu.setString("enable-method", "psci");
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

  // virt_flash_fdt: both banks in one node, or with secure=on bank 0 Secure-only and bank 1 alone.
  if (o.secure) {
    const secflash = root.add(`secflash@${VIRT.FLASH_BASE.toString(16)}`);
    secflash.setString("compatible", "cfi-flash");
    secflash.setCells("reg", ...reg2([VIRT.FLASH_BASE, VIRT.FLASH_BANK_SIZE]));
    secflash.setCells("bank-width", 4);
    secureOnly(secflash);
    const flash = root.add(`flash@${(VIRT.FLASH_BASE + VIRT.FLASH_BANK_SIZE).toString(16)}`);
    flash.setString("compatible", "cfi-flash");
    flash.setCells("reg", ...reg2([VIRT.FLASH_BASE + VIRT.FLASH_BANK_SIZE, VIRT.FLASH_BANK_SIZE]));
    flash.setCells("bank-width", 4);
  } else {
    const flash = root.add(`flash@${VIRT.FLASH_BASE.toString(16)}`);
    flash.setString("compatible", "cfi-flash");
    flash.setCells("reg", ...reg2([VIRT.FLASH_BASE, VIRT.FLASH_BANK_SIZE], [VIRT.FLASH_BASE + VIRT.FLASH_BANK_SIZE, VIRT.FLASH_BANK_SIZE]));
    flash.setCells("bank-width", 4);
  }

  // create_gic / fdt_add_gic_node
  const gic = root.add(`intc@${VIRT.GIC_DIST.toString(16)}`);
  gic.setCells("#interrupt-cells", 3);
  gic.setEmpty("interrupt-controller");
  gic.setCells("#address-cells", 2);
  gic.setCells("#size-cells", 2);
  gic.setEmpty("ranges");
  if (o.gicVersion === 3) {
    gic.setString("compatible", "arm,gic-v3");
    gic.setCells("#redistributor-regions", 1);
    gic.setCells("reg", ...reg2([VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE], [VIRT.GIC_REDIST, VIRT.GIC_REDIST_SIZE]));
  } else {
    gic.setString("compatible", "arm,cortex-a15-gic");
    const regions: [number, number][] = [[VIRT.GIC_DIST, VIRT.GIC_DIST_SIZE], [VIRT.GIC_CPU, VIRT.GIC_CPU_SIZE]];
    if (o.virtualization) regions.push([VIRT.GIC_HYP, VIRT.GIC_HYP_SIZE], [VIRT.GIC_VCPU, VIRT.GIC_VCPU_SIZE]);
    gic.setCells("reg", ...reg2(...regions));
  }
  if (o.virtualization) gic.setCells("interrupts", IRQ_TYPE_PPI, VIRT.PPI_GIC_MAINTENANCE, IRQ_LEVEL_HIGH);
  const gicPhandle = tree.phandleOf(gic);
  root.setCells("interrupt-parent", gicPhandle);
  let msi: DtNode;
  if (o.gicVersion === 3) {
    msi = gic.add(`its@${VIRT.GIC_ITS.toString(16)}`);
    msi.setString("compatible", "arm,gic-v3-its");
    msi.setEmpty("msi-controller");
    msi.setCells("#msi-cells", 1);
    msi.setCells("reg", ...reg2([VIRT.GIC_ITS, VIRT.GIC_ITS_SIZE]));
  } else {
    msi = gic.add(`v2m@${VIRT.GIC_V2M.toString(16)}`);
    msi.setString("compatible", "arm,gic-v2m-frame");
    msi.setEmpty("msi-controller");
    msi.setCells("reg", ...reg2([VIRT.GIC_V2M, VIRT.GIC_V2M_SIZE]));
  }
  const msiPhandle = tree.phandleOf(msi);

  // fdt_add_pmu_nodes: PMU overflow interrupt is PPI 7.
  const pmu = root.add("pmu");
  pmu.setString("compatible", "arm,armv8-pmuv3");
  pmu.setCells("interrupts", IRQ_TYPE_PPI, VIRT.PPI_PMU, ppiFlags);

  // create_uart
  const uartName = `pl011@${VIRT.UART.toString(16)}`;
  const uart = root.add(uartName);
  uart.setString("compatible", "arm,pl011", "arm,primecell");
  uart.setCells("reg", ...reg2([VIRT.UART, VIRT.UART_SIZE]));
  uart.setCells("interrupts", IRQ_TYPE_SPI, VIRT.SPI_UART, IRQ_LEVEL_HIGH);
  uart.setCells("clocks", clockPhandle, clockPhandle);
  uart.setString("clock-names", "uartclk", "apb_pclk");
  chosen.setString("stdout-path", `/${uartName}`);

  if (o.secure) {
    // create_secure_ram, then the Secure UART, which becomes /secure-chosen's stdout.
    const secram = root.add(`secram@${VIRT.SECURE_MEM.toString(16)}`);
    secram.setString("device_type", "memory");
    secram.setCells("reg", ...reg2([VIRT.SECURE_MEM, VIRT.SECURE_MEM_SIZE]));
    secureOnly(secram);
    const suartName = `pl011@${VIRT.SECURE_UART.toString(16)}`;
    const suart = root.add(suartName);
    suart.setString("compatible", "arm,pl011", "arm,primecell");
    suart.setCells("reg", ...reg2([VIRT.SECURE_UART, VIRT.SECURE_UART_SIZE]));
    suart.setCells("interrupts", IRQ_TYPE_SPI, VIRT.SPI_SECURE_UART, IRQ_LEVEL_HIGH);
    suart.setCells("clocks", clockPhandle, clockPhandle);
    suart.setString("clock-names", "uartclk", "apb_pclk");
    secureOnly(suart);
    secureChosen!.setString("stdout-path", `/${suartName}`);
  }

  // create_rtc
  const rtc = root.add(`pl031@${VIRT.RTC.toString(16)}`);
  rtc.setString("compatible", "arm,pl031", "arm,primecell");
  rtc.setCells("reg", ...reg2([VIRT.RTC, VIRT.RTC_SIZE]));
  rtc.setCells("interrupts", IRQ_TYPE_SPI, VIRT.SPI_RTC, IRQ_LEVEL_HIGH);
  rtc.setCells("clocks", clockPhandle);
  rtc.setString("clock-names", "apb_pclk");

  // create_pcie (high ECAM, 256 buses).
  const pcie = root.add(`pcie@${VIRT.PCIE_MMIO.toString(16)}`);
  pcie.setString("compatible", "pci-host-ecam-generic");
  pcie.setString("device_type", "pci");
  pcie.setCells("#address-cells", 3);
  pcie.setCells("#size-cells", 2);
  pcie.setCells("linux,pci-domain", 0);
  pcie.setCells("bus-range", 0, 255);
  pcie.setEmpty("dma-coherent");
  pcie.setCells("msi-map", 0, msiPhandle, 0, 0x10000);
  pcie.setCells("reg", ...reg2([VIRT.PCIE_ECAM_HIGH, VIRT.PCIE_ECAM_HIGH_SIZE]));
  pcie.setCells("ranges",
    0x01000000, 0, 0, hi32(VIRT.PCIE_PIO), lo32(VIRT.PCIE_PIO), 0, VIRT.PCIE_PIO_SIZE,
    0x02000000, 0, VIRT.PCIE_MMIO, hi32(VIRT.PCIE_MMIO), lo32(VIRT.PCIE_MMIO), 0, VIRT.PCIE_MMIO_SIZE,
    0x03000000, hi32(VIRT.PCIE_MMIO_HIGH), lo32(VIRT.PCIE_MMIO_HIGH), hi32(VIRT.PCIE_MMIO_HIGH), lo32(VIRT.PCIE_MMIO_HIGH),
    hi32(VIRT.PCIE_MMIO_HIGH_SIZE), lo32(VIRT.PCIE_MMIO_HIGH_SIZE));
  pcie.setCells("#interrupt-cells", 1);
  // create_pcie_irq_map: INTx of slot s, pin p (0-based) -> SPI 3 + (s + p) % 4 (swizzle).
  const map: number[] = [];
  for (let slot = 0; slot < 4; slot++) {
    for (let pin = 0; pin < 4; pin++) {
      map.push(slot << 11, 0, 0, pin + 1, gicPhandle, 0, 0, IRQ_TYPE_SPI, VIRT.SPI_PCIE + ((pin + slot) % 4), IRQ_LEVEL_HIGH);
    }
  }
  pcie.setCells("interrupt-map", ...map);
  pcie.setCells("interrupt-map-mask", 0x1800, 0, 0, 7);

  // create_gpio_devices: PL061 and the power button wired to its line 3.
  const gpio = root.add(`pl061@${VIRT.GPIO.toString(16)}`);
  gpio.setCells("reg", ...reg2([VIRT.GPIO, VIRT.GPIO_SIZE]));
  gpio.setString("compatible", "arm,pl061", "arm,primecell");
  gpio.setCells("#gpio-cells", 2);
  gpio.setEmpty("gpio-controller");
  gpio.setCells("interrupts", IRQ_TYPE_SPI, VIRT.SPI_GPIO, IRQ_LEVEL_HIGH);
  gpio.setCells("clocks", clockPhandle);
  gpio.setString("clock-names", "apb_pclk");
  const gpioPhandle = tree.phandleOf(gpio);
  const keys = root.add("gpio-keys");
  keys.setString("compatible", "gpio-keys");
  const power = keys.add("poweroff");
  power.setString("label", "GPIO Key Poweroff");
  power.setCells("linux,code", 116 /* KEY_POWER */);
  power.setCells("gpios", gpioPhandle, 3, 0);
  if (o.secure) {
    // The Secure PL061 (no interrupt of its own: SPI 0 in the node) with power-off on line 0 and
    // reset on line 1.
    const sgpio = root.add(`pl061@${VIRT.SECURE_GPIO.toString(16)}`);
    sgpio.setCells("reg", ...reg2([VIRT.SECURE_GPIO, VIRT.SECURE_GPIO_SIZE]));
    sgpio.setString("compatible", "arm,pl061", "arm,primecell");
    sgpio.setCells("#gpio-cells", 2);
    sgpio.setEmpty("gpio-controller");
    sgpio.setCells("interrupts", IRQ_TYPE_SPI, 0, IRQ_LEVEL_HIGH);
    sgpio.setCells("clocks", clockPhandle);
    sgpio.setString("clock-names", "apb_pclk");
    const sgpioPhandle = tree.phandleOf(sgpio);
    secureOnly(sgpio);
    for (const [name, line] of [["gpio-poweroff", 0], ["gpio-restart", 1]] as const) {
      const n = root.add(name);
      n.setString("compatible", name);
      n.setCells("gpios", sgpioPhandle, line, 0);
      secureOnly(n);
    }
  }

  // create_virtio_devices: created from the last transport down so they read in order.
  for (let i = VIRT.MMIO_COUNT - 1; i >= 0; i--) {
    const base = VIRT.MMIO + i * VIRT.MMIO_SIZE;
    const node = root.add(`virtio_mmio@${base.toString(16)}`);
    node.setString("compatible", "virtio,mmio");
    node.setCells("reg", ...reg2([base, VIRT.MMIO_SIZE]));
    node.setCells("interrupts", IRQ_TYPE_SPI, VIRT.SPI_MMIO + i, IRQ_EDGE_RISING);
    node.setEmpty("dma-coherent");
  }

  // create_fw_cfg
  const fwcfg = root.add(`fw-cfg@${VIRT.FW_CFG.toString(16)}`);
  fwcfg.setString("compatible", "qemu,fw-cfg-mmio");
  fwcfg.setCells("reg", ...reg2([VIRT.FW_CFG, VIRT.FW_CFG_SIZE]));
  fwcfg.setEmpty("dma-coherent");

  // create_platform_bus (empty: no dynamic sysbus devices).
  const pbus = root.add(`platform-bus@${VIRT.PLATFORM_BUS.toString(16)}`);
  pbus.setString("compatible", "qemu,platform", "simple-bus");
  pbus.setCells("#size-cells", 1);
  pbus.setCells("#address-cells", 1);
  pbus.setCells("ranges", 0, 0, VIRT.PLATFORM_BUS, VIRT.PLATFORM_BUS_SIZE);
  pbus.setCells("interrupt-parent", gicPhandle);

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

  // No memory reservations and boot CPU 0, as QEMU's blob has. The header's totalsize is the whole
  // FDT_MAX_SIZE buffer. Property names are stored whole, each once, in first-use order (libfdt in
  // QEMU lets a name share the tail of a longer one; the tree read back is the same either way).
  const blob = encodeDtb(tree, { bootCpuId: 0, minSize: FDT_MAX_SIZE, shareStringSuffixes: false });
  if (blob.length > FDT_MAX_SIZE) throw new RangeError(`device tree needs ${blob.length} bytes, more than ${FDT_MAX_SIZE}`);
  return blob;
}
