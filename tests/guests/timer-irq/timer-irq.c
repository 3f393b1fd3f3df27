/*
 * timer-irq: run with -machine virt,gic-version=3. Brings up the GICv3
 * distributor, the CPU 0 redistributor and the system-register CPU
 * interface (GIC architecture spec IHI 0069, chapters 12 and 12.11),
 * then takes interrupts through the IRQ vector:
 *   - the EL1 virtual timer (PPI, INTID 27) three times,
 *   - the EL1 physical timer (INTID 30) once,
 *   - a software-generated interrupt sent to itself (SGI 1),
 *   - two interrupts pending together, which must arrive in priority
 *     order.
 * Only the order of events is printed, never counter values.
 */
#include "runtime.h"

#define GICD_BASE   0x08000000UL
#define GICR_BASE   0x080A0000UL           /* CPU 0 RD_base */
#define GICR_SGI    (GICR_BASE + 0x10000)   /* CPU 0 SGI_base */

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICR_WAKER      0x0014
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ISPENDR0   0x0200
#define GICR_IPRIORITYR 0x0400

#define INTID_VTIMER 27
#define INTID_PTIMER 30

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

static volatile unsigned irq_count;
static volatile unsigned order[8];

void exception_handler(unsigned slot, struct exc_frame *f)
{
    if (VEC_KIND(slot) != 1) {
        printf("unexpected exception slot %u ESR=%08lx\n", slot, READ_SYSREG(esr_el1));
        psci_system_off();
    }
    /* Acknowledge: ICC_IAR1_EL1 returns the INTID of the highest
     * priority pending Group 1 interrupt. */
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);   /* ICC_IAR1_EL1 */
    if (intid == INTID_VTIMER)
        WRITE_SYSREG(cntv_ctl_el0, 0);   /* stop the level-triggered source */
    else if (intid == INTID_PTIMER)
        WRITE_SYSREG(cntp_ctl_el0, 0);
    if (intid < 1020) {
        if (irq_count < 8)
            order[irq_count] = (unsigned)intid;
        irq_count++;
        WRITE_SYSREG(S3_0_C12_C12_1, intid);   /* ICC_EOIR1_EL1 */
    }
    ISB();
}

static void wait_irqs(unsigned n)
{
    /* Check and sleep with IRQs masked; WFI still wakes on a pending IRQ. */
    while (irq_count < n) {
        __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
    }
}

static void gic_init(void)
{
    /* Distributor: affinity routing on, both groups enabled. */
    w32(GICD_BASE + GICD_CTLR, (1u << 4) | (1u << 1) | (1u << 0));
    while (r32(GICD_BASE + GICD_CTLR) & (1u << 31))   /* RWP */
        ;
    /* Wake the redistributor: clear ProcessorSleep, wait for ChildrenAsleep. */
    w32(GICR_BASE + GICR_WAKER, r32(GICR_BASE + GICR_WAKER) & ~(1u << 1));
    while (r32(GICR_BASE + GICR_WAKER) & (1u << 2))
        ;
    w32(GICR_SGI + GICR_IGROUPR0, 0xffffffffu);        /* all SGIs/PPIs Group 1 */
    for (unsigned i = 0; i < 32; i++)
        w8(GICR_SGI + GICR_IPRIORITYR + i, 0x80);
    w8(GICR_SGI + GICR_IPRIORITYR + 2, 0x40);          /* SGI 2: higher priority */
    w8(GICR_SGI + GICR_IPRIORITYR + INTID_VTIMER, 0xa0);
    w32(GICR_SGI + GICR_ISENABLER0, (1u << INTID_VTIMER) | (1u << INTID_PTIMER) | (1u << 1) | (1u << 2));

    /* CPU interface: system register access, priority mask, group 1 on. */
    WRITE_SYSREG(S3_0_C12_C12_5, READ_SYSREG(S3_0_C12_C12_5) | 1);   /* ICC_SRE_EL1.SRE */
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);    /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);     /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);     /* ICC_IGRPEN1_EL1 */
    ISB();
}

static void send_sgi_self(unsigned intid)
{
    /* ICC_SGI1R_EL1: INTID in [27:24], target list bit 0 = Aff0 0,
     * Aff1/2/3 = 0 (ARM IHI 0069, 12.2.28). */
    WRITE_SYSREG(S3_0_C12_C11_5, ((uint64_t)intid << 24) | 1);
    ISB();
}

int main(void)
{
    printf("timer-irq: CNTFRQ=%lu\n", READ_SYSREG(cntfrq_el0));
    WRITE_SYSREG(vbar_el1, exception_vectors);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    gic_init();
    printf("GICD_TYPER.ITLinesNumber=%u\n", r32(GICD_BASE + GICD_TYPER) & 0x1f);
    printf("idle IAR1=%lu\n", READ_SYSREG(S3_0_C12_C12_0));

    for (unsigned i = 0; i < 3; i++) {
        unsigned before = irq_count;
        WRITE_SYSREG(cntv_tval_el0, 2000);   /* 32 us at 62.5 MHz */
        WRITE_SYSREG(cntv_ctl_el0, 1);       /* ENABLE, not masked */
        ISB();
        wait_irqs(before + 1);
        printf("virtual timer tick %u: INTID %u\n", i + 1, order[before]);
    }

    {
        unsigned before = irq_count;
        WRITE_SYSREG(cntp_tval_el0, 1500);
        WRITE_SYSREG(cntp_ctl_el0, 1);
        ISB();
        wait_irqs(before + 1);
        printf("physical timer: INTID %u\n", order[before]);
    }

    {
        unsigned before = irq_count;
        send_sgi_self(1);
        wait_irqs(before + 1);
        printf("SGI to self: INTID %u\n", order[before]);
    }

    {
        /* Make the virtual timer (priority 0xa0) and SGI 2 (priority 0x40)
         * pending at the same time with IRQs masked, then unmask. */
        unsigned before = irq_count;
        WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0));
        WRITE_SYSREG(cntv_ctl_el0, 1);
        ISB();
        while (!(READ_SYSREG(cntv_ctl_el0) & 4))   /* ISTATUS */
            ;
        while (!(r32(GICR_SGI + GICR_ISPENDR0) & (1u << INTID_VTIMER)))
            ;
        send_sgi_self(2);
        while (!(r32(GICR_SGI + GICR_ISPENDR0) & (1u << 2)))
            ;
        wait_irqs(before + 2);
        printf("both pending: first INTID %u, then INTID %u\n", order[before], order[before + 1]);
    }

    printf("timer-irq: %u interrupts, done\n", irq_count);
    return 0;
}
