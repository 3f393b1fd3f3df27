/**
 * The device tree a partition's guest boots with (ePAPR: the hypervisor generates one for each
 * partition from the configuration, as Topaz does). A partition is, by default, a QEMU `virt`
 * machine of its own size, so its tree is QEMU's virt tree for that size (vCPUs numbered from
 * 0, RAM at 0x4000_0000, the GIC, the generic timer, PSCI over HVC, the PL011 at 0x0900_0000
 * as its console, and the rest of virt's devices, each emulated for the partition), with what
 * the config adds: devices passed through that virt does not have (copied from the board's
 * tree) and the shared memory windows.
 */
import { decodeDtb, encodeDtb, type DeviceTree, type DtNode } from "../devicetree/index.js";
import { buildVirtDtb, FDT_MAX_SIZE } from "../boards/virt/fdt.js";
import type { HvConfig, PartitionConfig } from "./config.js";
import { addXenHypervisorNode } from "./xen/dt-node.js";


export interface GuestDtbOptions {
  /** The initrd as loaded in guest memory (Linux), for /chosen. */
  initrd?: { start: number; end: number };
  /** The board's device tree, where passed-through devices are copied from. */
  boardTree?: DeviceTree;
  /** The partition's SP805 watchdog, when it has one. */
  watchdog?: { address: number; spi: number };
}

function copyNode(from: DtNode, into: DtNode): DtNode {
  const node = into.add(from.name);
  for (const prop of from.liveProperties()) node.setProp(prop.name, prop.value.slice());
  for (const child of from.liveChildren()) copyNode(child, node);
  return node;
}

/** The guest DTB of one partition. */
export function buildGuestDtb(config: HvConfig, part: PartitionConfig, o: GuestDtbOptions = {}): Uint8Array {
  const blob = buildVirtDtb({
    ramSize: part.ramSize, cpus: part.pcpus.length, gicVersion: config.gicVersion, virtualization: false,
    randomness: config.dtbRandomness, psci: "hvc", bootargs: part.bootargs, initrd: o.initrd,
  });
  const tree = decodeDtb(blob);
  const root = tree.root;
  const gic = root.liveChildren().find((n) => n.hasProp("interrupt-controller"));
  const gicPhandle = gic?.prop("phandle")?.asU32();

  // Passed-through devices, as the board describes them (most already are, at the same place);
  // their interrupts go to this GIC.
  for (const { path } of part.devices) {
    const source = o.boardTree?.find(path);
    if (!source || root.child(source.name)) continue;
    const node = copyNode(source, root);
    if (node.hasProp("interrupt-parent") && gicPhandle !== undefined) node.setCells("interrupt-parent", gicPhandle);
  }
  if (o.watchdog) {
    // Documentation/devicetree/bindings/watchdog/arm,sp805.yaml; its clocks are virt's APB clock.
    const clock = root.child("apb-pclk")?.prop("phandle")?.asU32();
    const node = root.add(`watchdog@${o.watchdog.address.toString(16)}`);
    node.setString("compatible", "arm,sp805", "arm,primecell");
    node.setCells("reg", 0, o.watchdog.address, 0, 0x1000);
    node.setCells("interrupts", 0, o.watchdog.spi, 4);
    if (clock !== undefined) {
      node.setCells("clocks", clock, clock);
      node.setString("clock-names", "wdog_clk", "apb_pclk");
    }
  }
  if (part.xen) addXenHypervisorNode(root, { gicVersion: config.gicVersion, cpus: part.pcpus.length });
  // Shared memory windows (every area but the RAM): plain memory the guest maps itself.
  for (const area of part.memory) {
    if (area.isRam) continue;
    const node = root.add(`shared-memory@${area.guestAddr.toString(16)}`);
    node.setString("compatible", "tessera,shared-memory");
    node.setCells("reg", Math.floor(area.guestAddr / 2 ** 32), area.guestAddr >>> 0, Math.floor(area.size / 2 ** 32), area.size >>> 0);
    node.setString("label", area.pma.name);
    if (!area.writable) node.setEmpty("read-only");
  }
  // As large as QEMU's (FDT_MAX_SIZE): Linux reserves the blob's totalsize, so the same guest
  // sees the same free memory as under QEMU.
  return encodeDtb(tree, { minSize: FDT_MAX_SIZE });
}
