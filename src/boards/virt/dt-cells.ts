/**
 * Cell encodings of the virt tree: 64-bit <address size> pairs (#address-cells =
 * #size-cells = 2 at the root), GIC binding interrupt specifiers, and the Secure-only marking.
 */
import type { DtNode } from "../../devicetree/index.js";
import type { DeviceInterrupt } from "../../machine/device-spec.js";

/** GIC binding interrupt specifier types and flags (Documentation/devicetree/bindings/interrupt-controller/arm,gic.yaml). */
export const IRQ_TYPE_SPI = 0, IRQ_TYPE_PPI = 1;
export const IRQ_EDGE_RISING = 1, IRQ_LEVEL_HIGH = 4, IRQ_LEVEL_LOW = 8;

/** The CPU mask GICv2's PPI flags carry in bits [15:8] (up to 8 CPUs); GICv3's carry none. */
export function ppiCpuMask(gicVersion: 2 | 3, cpus: number): number {
  return gicVersion === 2 ? ((1 << Math.min(cpus, 8)) - 1) << 8 : 0;
}

export function hi32(v: number): number { return Math.floor(v / 0x100000000) >>> 0; }
export function lo32(v: number): number { return v >>> 0; }

/** <addr size> with #address-cells = #size-cells = 2. */
export function reg2(...pairs: readonly (readonly [number, number])[]): number[] {
  return pairs.flatMap(([a, s]) => [hi32(a), lo32(a), hi32(s), lo32(s)]);
}

/**
 * <type number flags> for each interrupt. PPI flags carry the GICv2 binding's CPU mask
 * (`ppiFlags`, computed by the tree builder); SPIs carry their trigger alone.
 */
export function interruptCells(irqs: readonly DeviceInterrupt[], ppiFlags: number): number[] {
  return irqs.flatMap((i) => i.type === "ppi"
    ? [IRQ_TYPE_PPI, i.number, ppiFlags]
    : [IRQ_TYPE_SPI, i.number, i.trigger === "edge-rising" ? IRQ_EDGE_RISING : IRQ_LEVEL_HIGH]);
}

/** Mark a node as for the Secure world only (Documentation/devicetree/bindings/arm/secure.txt). */
export function markSecureOnly(node: DtNode): void {
  node.setString("status", "disabled");
  node.setString("secure-status", "okay");
}
