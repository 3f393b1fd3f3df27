/**
 * The /hypervisor node of a Xen guest's device tree (docs/misc/arm/device-tree/guest.txt, and
 * Linux's arch/arm/xen/enlighten.c, which reads it): compatible "xen,xen-<version>", "xen,xen"
 * (the version is read from the first string), reg's first region is where the grant table
 * frames go, and interrupts' first entry is the event channel upcall, a PPI (GUEST_EVTCHN_PPI),
 * level-sensitive active low as Xen describes it. Linux finds the node by its name at depth 1,
 * so it has no unit address, as in the trees Xen builds.
 */
import type { DtNode } from "../../devicetree/index.js";
import { IRQ_LEVEL_LOW, IRQ_TYPE_PPI, ppiCpuMask } from "../../boards/virt/dt-cells.js";
import { GUEST_EVTCHN_PPI, XEN_GNTTAB_IPA, XEN_GNTTAB_SIZE, XEN_MAJOR, XEN_MINOR } from "./abi.js";

export function addXenHypervisorNode(root: DtNode, o: { gicVersion: 2 | 3; cpus: number }): DtNode {
  const node = root.add("hypervisor");
  node.setString("compatible", `xen,xen-${XEN_MAJOR}.${XEN_MINOR}`, "xen,xen");
  node.setCells("reg", 0, XEN_GNTTAB_IPA, 0, XEN_GNTTAB_SIZE);
  node.setCells("interrupts", IRQ_TYPE_PPI, GUEST_EVTCHN_PPI - 16, ppiCpuMask(o.gicVersion, o.cpus) | IRQ_LEVEL_LOW);
  return node;
}
