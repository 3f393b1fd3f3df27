/*
 * clock: run with -machine virt,gic-version=3. Measures the generic timer's counter (ARM ARM
 * D11) against itself twice, for the tests of how guest time passes:
 *   - busy: reads CNTVCT_EL0 in a loop until 0.3 s of counter time (CNTFRQ_EL0 * 3 / 10
 *     ticks) has passed,
 *   - idle: arms the EL1 virtual timer 0.3 s ahead and waits in WFI with IRQs masked (WFI
 *     still wakes on the pending PPI 27, ARM ARM D1.16.2) until CNTV_CTL_EL0.ISTATUS is set.
 * It prints the counter at each step. With the counter on host time each wait takes at least
 * 0.3 s of wall time; with -icount the whole output is the same on every run.
 */
#include "runtime.h"

#define GICD_BASE   0x08000000UL
#define GICR_BASE   0x080A0000UL           /* CPU 0 RD_base */
#define GICR_SGI    (GICR_BASE + 0x10000)   /* CPU 0 SGI_base */
#define GICD_CTLR       0x0000
#define GICR_WAKER      0x0014
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define INTID_VTIMER 27

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

static uint64_t counter(void)
{
    ISB();   /* CNTVCT_EL0 reads may be speculated early otherwise (ARM ARM D11.2.2) */
    return READ_SYSREG(cntvct_el0);
}

/* Just enough GICv3 for PPI 27 to reach the CPU as an IRQ (GIC spec IHI 0069, 12.1). */
static void gic_init(void)
{
    w32(GICD_BASE + GICD_CTLR, (1u << 4) | (1u << 1));
    w32(GICR_BASE + GICR_WAKER, r32(GICR_BASE + GICR_WAKER) & ~(1u << 1));
    while (r32(GICR_BASE + GICR_WAKER) & (1u << 2))
        ;
    w32(GICR_SGI + GICR_IGROUPR0, 1u << INTID_VTIMER);
    w32(GICR_SGI + GICR_ISENABLER0, 1u << INTID_VTIMER);
    WRITE_SYSREG(S3_0_C12_C12_5, READ_SYSREG(S3_0_C12_C12_5) | 1);   /* ICC_SRE_EL1.SRE */
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);    /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);     /* ICC_IGRPEN1_EL1 */
    ISB();
}

int main(void)
{
    uint64_t freq = READ_SYSREG(cntfrq_el0);
    uint64_t interval = freq * 3 / 10;
    __asm__ volatile("msr daifset, #2" ::: "memory");
    gic_init();
    printf("clock: CNTFRQ=%lu, interval %lu ticks\n", freq, interval);

    uint64_t t0 = counter();
    printf("clock: start %lu\n", t0);
    while (counter() - t0 < interval)
        ;
    uint64_t t1 = counter();
    printf("clock: busy wait %lu ticks\n", t1 - t0);

    WRITE_SYSREG(cntv_cval_el0, t1 + interval);
    WRITE_SYSREG(cntv_ctl_el0, 1);   /* ENABLE, not masked */
    ISB();
    unsigned wakes = 0;
    while (!(READ_SYSREG(cntv_ctl_el0) & 4)) {
        __asm__ volatile("wfi" ::: "memory");
        wakes++;
    }
    WRITE_SYSREG(cntv_ctl_el0, 0);
    uint64_t t2 = counter();
    printf("clock: idle wait %lu ticks (%s)\n", t2 - t1, t2 - t1 >= interval ? "timer fired after its deadline" : "EARLY");
    printf("clock: end %lu\n", t2);
    printf("clock: done\n");
    psci_system_off();
}
