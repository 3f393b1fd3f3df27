/*
 * xen-domu: a bare-metal guest for `xl create` under Xen 4.17 (test/el2/xen-toolstack.test.ts).
 * Its console is the SBSA UART Xen emulates when the domain's config has vuart = "sbsa_uart"
 * (vpl011, at GUEST_PL011_BASE of Xen's public arch-arm.h), whose ring xenconsoled reads in
 * dom0: a release build of Xen drops a domU's HYPERVISOR_console_io writes. It prints what it
 * was given (the device tree libxl built, the CPU Xen virtualises, the Xen version by a
 * hypercall), then waits in WFI so that `xl list` shows it until `xl destroy`.
 */
#include "runtime.h"

/* Xen's public arch-arm.h: the vpl011's base in the guest's physical address space. */
#define GUEST_PL011_BASE 0x22000000UL
/* Xen's public xen.h and version.h. */
#define HYPERVISOR_xen_version 17
#define XENVER_version 0

extern uint64_t boot_dtb;

static uint64_t xen_hypercall1(uint64_t nr, uint64_t a0)
{
    /* The Xen ARM hypercall ABI: HVC #0xEA1, number in x16, arguments from x0 (arch-arm.h). */
    register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = 0;
    register uint64_t x16 __asm__("x16") = nr;
    __asm__ volatile("hvc #0xea1" : "+r"(x0), "+r"(x1) : "r"(x16) : "x2", "x3", "x4", "memory");
    return x0;
}

static uint32_t be32(uint64_t addr)
{
    uint32_t v = *(volatile uint32_t *)addr;
    return __builtin_bswap32(v);
}

int main(void)
{
    uart_base = GUEST_PL011_BASE;
    printf("xen-domu: a bare-metal domU on Xen's SBSA UART\n");
    printf("CurrentEL=%lu MIDR_EL1=%08lx MPIDR_EL1=%016lx\n", READ_SYSREG(CurrentEL) >> 2, READ_SYSREG(midr_el1),
           READ_SYSREG(mpidr_el1));
    printf("CNTFRQ_EL0=%lu\n", READ_SYSREG(cntfrq_el0));
    /* The flattened device tree's header (Devicetree Specification 5.2): magic and totalsize. */
    printf("device tree at %016lx: magic %08x, %u bytes\n", boot_dtb, be32(boot_dtb), be32(boot_dtb + 4));
    uint64_t v = xen_hypercall1(HYPERVISOR_xen_version, XENVER_version);
    printf("xen_version: %lu.%lu\n", v >> 16, v & 0xffff);
    printf("xen-domu: done, waiting for xl destroy\n");
    for (;;)
        __asm__ volatile("wfi");
}
