/**
 * The `virt` board's memory map and interrupt assignments, as in QEMU's hw/arm/virt.c
 * (base_memmap[] and a15irqmap[]). SPI numbers here are GIC SPI indices (INTID - 32).
 */
export const VIRT = {
  FLASH_BASE: 0x00000000, FLASH_BANK_SIZE: 0x04000000,
  GIC_DIST: 0x08000000, GIC_DIST_SIZE: 0x10000,
  GIC_CPU: 0x08010000, GIC_CPU_SIZE: 0x10000,
  GIC_V2M: 0x08020000, GIC_V2M_SIZE: 0x1000,
  GIC_HYP: 0x08030000, GIC_HYP_SIZE: 0x10000,
  GIC_VCPU: 0x08040000, GIC_VCPU_SIZE: 0x10000,
  GIC_ITS: 0x08080000, GIC_ITS_SIZE: 0x20000,
  GIC_REDIST: 0x080a0000, GIC_REDIST_SIZE: 0x00f60000,
  UART: 0x09000000, UART_SIZE: 0x1000,
  RTC: 0x09010000, RTC_SIZE: 0x1000,
  FW_CFG: 0x09020000, FW_CFG_SIZE: 0x18,
  GPIO: 0x09030000, GPIO_SIZE: 0x1000,
  /** Secure-only devices and memory of secure=on (virt.c VIRT_SECURE_UART/_GPIO/_MEM). */
  SECURE_UART: 0x09040000, SECURE_UART_SIZE: 0x1000,
  SECURE_GPIO: 0x090b0000, SECURE_GPIO_SIZE: 0x1000,
  SECURE_MEM: 0x0e000000, SECURE_MEM_SIZE: 0x01000000,
  MMIO: 0x0a000000, MMIO_SIZE: 0x200, MMIO_COUNT: 32,
  PLATFORM_BUS: 0x0c000000, PLATFORM_BUS_SIZE: 0x02000000,
  PCIE_MMIO: 0x10000000, PCIE_MMIO_SIZE: 0x2eff0000,
  PCIE_PIO: 0x3eff0000, PCIE_PIO_SIZE: 0x10000,
  /** ECAM of the high memory map (virt.c extended_memmap, VIRT_HIGH_PCIE_ECAM). */
  PCIE_ECAM_HIGH: 0x4010000000, PCIE_ECAM_HIGH_SIZE: 0x10000000,
  PCIE_MMIO_HIGH: 0x8000000000, PCIE_MMIO_HIGH_SIZE: 0x8000000000,
  RAM_BASE: 0x40000000,
  /** SPIs. */
  SPI_UART: 1, SPI_RTC: 2, SPI_PCIE: 3, SPI_GPIO: 7, SPI_SECURE_UART: 8, SPI_MMIO: 16, SPI_V2M: 48,
  /** PPIs (INTID - 16): the GIC maintenance interrupt and the PMU. */
  PPI_GIC_MAINTENANCE: 9, PPI_PMU: 7,
  /** Generic timer PPIs (virt.c: ARCH_TIMER_*_IRQ) as PPI numbers; INTID = 16 + PPI. */
  PPI_TIMER_SECURE_PHYS: 13, PPI_TIMER_PHYS: 14, PPI_TIMER_VIRT: 11, PPI_TIMER_HYP_PHYS: 10,
  /** Redistributor frames per CPU: RD_base + SGI_base, 64 KiB each (GICv3 spec 12.10). */
  GICR_STRIDE: 0x20000,
  /** Total interrupts QEMU's virt board gives the GIC: NUM_IRQS (256) + GIC_INTERNAL (32). */
  GIC_NUM_IRQS: 288,
  /** apb-pclk in the device tree (virt.c create_fdt). */
  APB_CLOCK_HZ: 24000000,
} as const;

/** INTIDs of the generic timer outputs (ARM ARM D11.2.4 with QEMU's PPI assignment). */
export const TIMER_INTID = {
  physical: 16 + VIRT.PPI_TIMER_PHYS,       // 30
  virtual: 16 + VIRT.PPI_TIMER_VIRT,        // 27
  hypPhysical: 16 + VIRT.PPI_TIMER_HYP_PHYS, // 26
  securePhysical: 16 + VIRT.PPI_TIMER_SECURE_PHYS, // 29
} as const;
