/*
 * pmu: run with -machine virt,gic-version=3 and -icount shift=0, so that QEMU
 * counts INST_RETIRED (it supports the event only with precise icount) and
 * its cycle counter (QEMU_CLOCK_VIRTUAL at 1 GHz) advances by exactly one
 * cycle per instruction. Programs the Performance Monitors Extension (ARM
 * ARM D11, PMUv3 as QEMU's cortex-a53 has it) and prints only values both
 * emulators must agree on: identification, register read-back, SW_INCR
 * counts, exact instruction counts of known loops under the EL filters,
 * overflow flags, the overflow interrupt (PPI 7, INTID 23) and the syndromes
 * of the EL0 access traps that PMUSERENR_EL0 controls.
 */
#include "runtime.h"

#define GICD_BASE   0x08000000UL
#define GICR_BASE   0x080A0000UL
#define GICR_SGI    (GICR_BASE + 0x10000)
#define INTID_PMU   23

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

/* PMCR_EL0 bits (ARM ARM, register description of PMCR_EL0). */
#define PMCR_E  (1u << 0)
#define PMCR_P  (1u << 1)
#define PMCR_C  (1u << 2)
#define PMCR_D  (1u << 3)
#define PMCR_LC (1u << 6)
/* PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 filter bits. */
#define FILT_P   (1u << 31)
#define FILT_U   (1u << 30)
#define FILT_NSK (1u << 29)
#define FILT_NSU (1u << 28)
#define FILT_NSH (1u << 27)
#define FILT_M   (1u << 26)
#define EV_SW_INCR 0x00
#define EV_INST_RETIRED 0x08
#define EV_CPU_CYCLES 0x11

static volatile unsigned irq_count, irq_intid;
static volatile uint64_t irq_pmovs, irq_counter;

/* EL0 bookkeeping: traps are recorded and skipped; svc #0xffff returns to EL1. */
static uint64_t el0_return;
static volatile unsigned el0_traps;
static volatile uint64_t el0_esr[16], el0_off[16];
static uint64_t el0_base;

void exception_handler(unsigned slot, struct exc_frame *f)
{
    if (VEC_KIND(slot) == 1) {
        uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);   /* ICC_IAR1_EL1 */
        if (intid == INTID_PMU) {
            irq_pmovs = READ_SYSREG(pmovsclr_el0);
            irq_counter = READ_SYSREG(pmevcntr0_el0);
            /* The line is level: clear the flags to drop it before EOI. */
            WRITE_SYSREG(pmovsclr_el0, irq_pmovs);
            WRITE_SYSREG(pmcntenclr_el0, 0xffffffffu);
            ISB();
        }
        if (intid < 1020) {
            irq_intid = (unsigned)intid;
            irq_count++;
            WRITE_SYSREG(S3_0_C12_C12_1, intid);   /* ICC_EOIR1_EL1 */
        }
        return;
    }
    uint64_t esr = READ_SYSREG(esr_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (VEC_GROUP(slot) == 2 && VEC_KIND(slot) == 0) {
        if (ec == 0x15 && (esr & 0xffff) == 0xffff) {
            f->elr = el0_return;
            f->spsr = 0x3c5;
            return;
        }
        if (el0_traps < 16) {
            el0_esr[el0_traps] = esr;
            el0_off[el0_traps] = f->elr - el0_base;
        }
        el0_traps++;
        f->elr += 4;
        return;
    }
    if (VEC_GROUP(slot) == 1 && VEC_KIND(slot) == 0 && ec == 0x15 && (esr & 0xffff) == 1)
        return;   /* svc #1 at EL1: nothing to do (an exception entry and return) */
    printf("unexpected exception slot %u ESR=%08lx ELR=%lx\n", slot, esr, f->elr);
    psci_system_off();
}

/* Run `code` at EL0 (EL0t, interrupts masked) until it makes svc #0xffff. */
static void run_el0(void (*code)(void))
{
    el0_base = (uint64_t)code;
    el0_traps = 0;
    __asm__ volatile("adr x1, 1f\n\tstr x1, [%1]\n\t"
                     "msr elr_el1, %0\n\tmov x1, #0x3c0\n\tmsr spsr_el1, x1\n\tmsr sp_el0, xzr\n\t"
                     "eret\n1:"
                     :: "r"(code), "r"(&el0_return) : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
                        "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x30", "memory");
}

static void identification(void)
{
    uint64_t pmcr = READ_SYSREG(pmcr_el0);
    printf("ID_AA64DFR0_EL1 %016lx PMUVer=%lu\n", READ_SYSREG(id_aa64dfr0_el1), (READ_SYSREG(id_aa64dfr0_el1) >> 8) & 0xf);
    printf("PMCR_EL0 reset  %08lx IMP=%02lx IDCODE=%02lx N=%lu\n", pmcr, pmcr >> 24, (pmcr >> 16) & 0xff, (pmcr >> 11) & 0x1f);
    printf("PMCEID0_EL0     %016lx\n", READ_SYSREG(pmceid0_el0));
    printf("PMCEID1_EL0     %016lx\n", READ_SYSREG(pmceid1_el0));
    printf("PMUSERENR_EL0   %08lx PMINTENSET %08lx PMCNTENSET %08lx PMOVSSET %08lx\n", READ_SYSREG(pmuserenr_el0),
           READ_SYSREG(pmintenset_el1), READ_SYSREG(pmcntenset_el0), READ_SYSREG(pmovsset_el0));
    printf("PMCCFILTR_EL0   %08lx PMSELR %08lx\n", READ_SYSREG(pmccfiltr_el0), READ_SYSREG(pmselr_el0));
}

static void readback(void)
{
    WRITE_SYSREG(pmcr_el0, 0xffffffffu);
    printf("PMCR all ones   %08lx\n", READ_SYSREG(pmcr_el0));
    WRITE_SYSREG(pmcr_el0, 0);
    printf("PMCR zero       %08lx\n", READ_SYSREG(pmcr_el0));
    WRITE_SYSREG(pmcntenset_el0, 0xffffffffu);
    WRITE_SYSREG(pmintenset_el1, 0xffffffffu);
    WRITE_SYSREG(pmovsset_el0, 0xffffffffu);
    printf("SET all ones    CNTEN %08lx INTEN %08lx OVS %08lx\n", READ_SYSREG(pmcntenset_el0),
           READ_SYSREG(pmintenset_el1), READ_SYSREG(pmovsset_el0));
    WRITE_SYSREG(pmcntenclr_el0, 0x80000005u);
    WRITE_SYSREG(pmintenclr_el1, 0x80000003u);
    WRITE_SYSREG(pmovsclr_el0, 0x00000030u);
    printf("CLR some        CNTEN %08lx INTEN %08lx OVS %08lx\n", READ_SYSREG(pmcntenclr_el0),
           READ_SYSREG(pmintenclr_el1), READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmcntenclr_el0, 0xffffffffu);
    WRITE_SYSREG(pmintenclr_el1, 0xffffffffu);
    WRITE_SYSREG(pmovsclr_el0, 0xffffffffu);
    WRITE_SYSREG(pmuserenr_el0, 0xffffffffu);
    printf("PMUSERENR ones  %08lx\n", READ_SYSREG(pmuserenr_el0));
    WRITE_SYSREG(pmuserenr_el0, 0);
    WRITE_SYSREG(pmccfiltr_el0, 0xffffffffu);
    printf("PMCCFILTR ones  %08lx\n", READ_SYSREG(pmccfiltr_el0));
    WRITE_SYSREG(pmccfiltr_el0, 0);
    WRITE_SYSREG(pmevtyper3_el0, 0xffffffffu);
    printf("PMEVTYPER3 ones %08lx\n", READ_SYSREG(pmevtyper3_el0));
    WRITE_SYSREG(pmselr_el0, 0xffffffffu);
    printf("PMSELR ones     %08lx\n", READ_SYSREG(pmselr_el0));
    /* PMSELR.SEL = 31 selects PMCCFILTR_EL0 through PMXEVTYPER_EL0. */
    WRITE_SYSREG(pmxevtyper_el0, FILT_U | FILT_NSH);
    printf("PMXEVTYPER[31]  %08lx PMCCFILTR %08lx\n", READ_SYSREG(pmxevtyper_el0), READ_SYSREG(pmccfiltr_el0));
    WRITE_SYSREG(pmccfiltr_el0, 0);
    WRITE_SYSREG(pmselr_el0, 2);
    WRITE_SYSREG(pmxevtyper_el0, FILT_P | EV_CPU_CYCLES);
    WRITE_SYSREG(pmxevcntr_el0, 0xabcd000012345678UL);
    printf("PMSELR=2        PMEVTYPER2 %08lx PMEVCNTR2 %016lx PMXEVCNTR %016lx\n", READ_SYSREG(pmevtyper2_el0),
           READ_SYSREG(pmevcntr2_el0), READ_SYSREG(pmxevcntr_el0));
    WRITE_SYSREG(pmselr_el0, 6);   /* no counter 6: RAZ/WI */
    WRITE_SYSREG(pmxevcntr_el0, 77);
    WRITE_SYSREG(pmxevtyper_el0, 0x11);
    printf("PMSELR=6        PMXEVTYPER %08lx PMXEVCNTR %08lx\n", READ_SYSREG(pmxevtyper_el0), READ_SYSREG(pmxevcntr_el0));
    WRITE_SYSREG(pmccntr_el0, 0x1122334455667788UL);
    printf("PMCCNTR         %016lx\n", READ_SYSREG(pmccntr_el0));
    WRITE_SYSREG(pmcr_el0, PMCR_P | PMCR_C);
    printf("after P|C       PMCCNTR %016lx PMEVCNTR2 %08lx\n", READ_SYSREG(pmccntr_el0), READ_SYSREG(pmevcntr2_el0));
    WRITE_SYSREG(pmevtyper2_el0, 0);
}

static void swincr(void)
{
    WRITE_SYSREG(pmevtyper0_el0, EV_SW_INCR);
    WRITE_SYSREG(pmevtyper1_el0, EV_SW_INCR);
    WRITE_SYSREG(pmevtyper4_el0, EV_SW_INCR | FILT_P);   /* filtered out at EL1 */
    WRITE_SYSREG(pmevtyper5_el0, EV_CPU_CYCLES);          /* not SW_INCR: PMSWINC ignores it */
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_P);
    WRITE_SYSREG(pmcntenset_el0, 0x31);                   /* counters 0, 4, 5; not 1 */
    for (int i = 0; i < 5; i++)
        WRITE_SYSREG(pmswinc_el0, 0x33);
    WRITE_SYSREG(pmcntenclr_el0, 0x20);
    printf("SW_INCR x5      c0=%lu c1=%lu c4=%lu c5=%s\n", READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmevcntr1_el0),
           READ_SYSREG(pmevcntr4_el0), READ_SYSREG(pmevcntr5_el0) != 0 ? "counting" : "zero");
    WRITE_SYSREG(pmcr_el0, 0);
    WRITE_SYSREG(pmswinc_el0, 1);
    printf("PMCR.E=0        c0=%lu\n", READ_SYSREG(pmevcntr0_el0));
    WRITE_SYSREG(pmevcntr0_el0, 0xfffffffeu);
    WRITE_SYSREG(pmcr_el0, PMCR_E);
    WRITE_SYSREG(pmswinc_el0, 1);
    printf("to 0xffffffff   c0=%08lx OVS=%08lx\n", READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmswinc_el0, 1);
    printf("wrapped         c0=%08lx OVS=%08lx\n", READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmovsclr_el0, 1);
    printf("OVS cleared     %08lx\n", READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmcntenclr_el0, 0xffffffffu);
    WRITE_SYSREG(pmcr_el0, PMCR_P | PMCR_C);
}

/*
 * Counters 0-3 count INST_RETIRED with different filters, the cycle counter
 * follows PMCCFILTR_EL0; `enable` is PMCNTENSET's value. The counted span
 * runs from the instruction after the enabling MSR to the disabling MSR.
 */
static void program_inst(uint32_t f0, uint32_t f1, uint32_t f2, uint32_t ccf)
{
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_P | PMCR_C);
    WRITE_SYSREG(pmevtyper0_el0, EV_INST_RETIRED | f0);
    WRITE_SYSREG(pmevtyper1_el0, EV_INST_RETIRED | f1);
    WRITE_SYSREG(pmevtyper2_el0, EV_INST_RETIRED | f2);
    WRITE_SYSREG(pmevtyper3_el0, EV_CPU_CYCLES | f0);
    WRITE_SYSREG(pmccfiltr_el0, ccf);
    ISB();
}

static void print_counts(const char *what)
{
    printf("%-15s c0=%lu c1=%lu c2=%lu c3=%lu ccnt=%lu\n", what, READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmevcntr1_el0),
           READ_SYSREG(pmevcntr2_el0), READ_SYSREG(pmevcntr3_el0), READ_SYSREG(pmccntr_el0));
}

static void count_loop(unsigned iterations)
{
    __asm__ volatile("msr pmcntenset_el0, %1\n\t"
                     "mov x0, %0\n"
                     "1:\tsubs x0, x0, #1\n\t"
                     "b.ne 1b\n\t"
                     "msr pmcntenclr_el0, %1"
                     :: "r"((uint64_t)iterations), "r"((uint64_t)0x8000000fu) : "x0", "cc", "memory");
}

/* EL0 part of the filter test: a loop of 3000 instructions, then back to EL1. */
__asm__(".text\n.balign 4\n"
        ".global el0_loop\n"
        "el0_loop:\n"
        "\tmov x0, #1500\n"
        "1:\tsubs x0, x0, #1\n"
        "\tb.ne 1b\n"
        "\tsvc #0xffff\n");
extern void el0_loop(void);

static void filters(void)
{
    program_inst(0, FILT_P, FILT_U, 0);
    count_loop(1000);
    print_counts("EL1 loop 1000");
    program_inst(0, FILT_P, FILT_U, FILT_P);
    count_loop(12345);
    print_counts("EL1 loop 12345");
    /* NSK = P on a CPU without EL3: ignored (QEMU: only with EL3 do NSK/NSU/M apply). */
    program_inst(FILT_NSK | FILT_NSU, FILT_P | FILT_NSK, FILT_M, FILT_NSH);
    count_loop(100);
    print_counts("EL1 NS bits");
    /* Through EL0: enable at EL1, run the EL0 loop, disable after coming back. */
    program_inst(0, FILT_P, FILT_U, FILT_U);
    WRITE_SYSREG(pmcntenset_el0, 0x8000000fu);
    run_el0(el0_loop);
    WRITE_SYSREG(pmcntenclr_el0, 0x8000000fu);
    print_counts("EL0 loop 1500");
    /* PMCR.D: the cycle counter counts every 64th cycle. */
    program_inst(0, 0, 0, 0);
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_D);
    count_loop(32000);
    /*
     * 64002 cycles are 1000 or 1001 counts of 64, depending on where the span starts in
     * absolute counter time, which QEMU's icount does not fix from run to run.
     */
    uint64_t divided = READ_SYSREG(pmccntr_el0);
    if (divided == 1000 || divided == 1001)
        printf("PMCR.D          ccnt=1000..1001 c0=%lu\n", READ_SYSREG(pmevcntr0_el0));
    else
        printf("PMCR.D          ccnt=%lu (not 1000..1001) c0=%lu\n", divided, READ_SYSREG(pmevcntr0_el0));
    /* A disabled counter keeps its value; PMCR.E=0 stops every counter. */
    WRITE_SYSREG(pmcr_el0, PMCR_P | PMCR_C);
    count_loop(50);
    print_counts("PMCR.E=0");
    WRITE_SYSREG(pmcr_el0, PMCR_E);
    WRITE_SYSREG(pmcntenset_el0, 0x5);
    __asm__ volatile("nop\n\tnop\n\tnop\n\tnop\n\tmsr pmcntenclr_el0, %0" :: "r"((uint64_t)1) : "memory");
    __asm__ volatile("nop\n\tnop\n\tmsr pmcntenclr_el0, %0" :: "r"((uint64_t)4) : "memory");
    printf("nops            c0=%lu c2=%lu\n", READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmevcntr2_el0));
    /* 32-bit counter overflow, observed by reading the flags. */
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_P);
    WRITE_SYSREG(pmevcntr0_el0, 0xffffff00u);
    WRITE_SYSREG(pmccntr_el0, 0xffffff00u);
    count_loop(500);
    printf("overflow 32     c0=%lu ccnt=%lu OVS=%08lx\n", READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmccntr_el0), READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmovsclr_el0, 0xffffffffu);
    /* PMCR.LC: the cycle counter overflows at 64 bits only. */
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_LC);
    WRITE_SYSREG(pmccntr_el0, 0xffffff00u);
    count_loop(500);
    printf("PMCR.LC         ccnt=%lu OVS=%08lx\n", READ_SYSREG(pmccntr_el0), READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmccntr_el0, 0xffffffffffffff00UL);
    count_loop(500);
    printf("PMCR.LC 64      ccnt=%lu OVS=%08lx\n", READ_SYSREG(pmccntr_el0), READ_SYSREG(pmovsclr_el0));
    WRITE_SYSREG(pmovsclr_el0, 0xffffffffu);
    WRITE_SYSREG(pmcr_el0, PMCR_P | PMCR_C);
}

/* EL0 accesses, each either allowed or trapped (recorded with its syndrome). */
__asm__(".text\n.balign 4\n"
        ".global el0_access\n"
        "el0_access:\n"
        "\tmrs x0, pmcr_el0\n"          /*  0 */
        "\tmrs x0, pmccntr_el0\n"       /*  4 */
        "\tmrs x0, pmevcntr0_el0\n"     /*  8 */
        "\tmrs x0, pmxevcntr_el0\n"     /* 12 */
        "\tmsr pmxevcntr_el0, xzr\n"    /* 16 */
        "\tmsr pmswinc_el0, xzr\n"      /* 20 */
        "\tmsr pmselr_el0, xzr\n"       /* 24 */
        "\tmrs x0, pmselr_el0\n"        /* 28 */
        "\tmrs x0, pmuserenr_el0\n"     /* 32 */
        "\tmsr pmuserenr_el0, xzr\n"    /* 36 */
        "\tmrs x0, pmintenset_el1\n"    /* 40 */
        "\tmrs x0, pmceid0_el0\n"       /* 44 */
        "\tmsr pmccntr_el0, xzr\n"      /* 48 */
        "\tmsr pmcr_el0, xzr\n"         /* 52 */
        "\tsvc #0xffff\n");
extern void el0_access(void);

static void el0_traps_test(void)
{
    static const uint32_t settings[] = { 0, 1, 2, 4, 8, 0xe, 0xf };
    for (unsigned s = 0; s < sizeof settings / sizeof settings[0]; s++) {
        WRITE_SYSREG(pmuserenr_el0, settings[s]);
        WRITE_SYSREG(pmcr_el0, 0);
        ISB();
        run_el0(el0_access);
        printf("PMUSERENR=%x: %u traps:", settings[s], el0_traps);
        for (unsigned i = 0; i < el0_traps && i < 16; i++)
            printf(" +%lu:%08lx", el0_off[i], el0_esr[i]);
        printf("\n");
    }
    WRITE_SYSREG(pmuserenr_el0, 0);
}

static void gic_init(void)
{
    w32(GICD_BASE + 0x0, (1u << 4) | (1u << 1) | (1u << 0));
    while (r32(GICD_BASE) & (1u << 31))
        ;
    w32(GICR_BASE + 0x14, r32(GICR_BASE + 0x14) & ~(1u << 1));
    while (r32(GICR_BASE + 0x14) & (1u << 2))
        ;
    w32(GICR_SGI + 0x80, 0xffffffffu);
    w8(GICR_SGI + 0x400 + INTID_PMU, 0x80);
    w32(GICR_SGI + 0x100, 1u << INTID_PMU);
    WRITE_SYSREG(S3_0_C12_C12_5, READ_SYSREG(S3_0_C12_C12_5) | 1);
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);
    WRITE_SYSREG(S3_0_C12_C12_3, 0);
    WRITE_SYSREG(S3_0_C12_C12_7, 1);
    ISB();
}

/* Spin with IRQs unmasked, never touching the PMU, until the interrupt or a bound. */
static unsigned spin_for_irq(unsigned bound)
{
    unsigned i;
    irq_count = 0;
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    for (i = 0; i < bound && irq_count == 0; i++)
        __asm__ volatile("" ::: "memory");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    return i;
}

static void overflow_irq(void)
{
    gic_init();
    unsigned spun;
    uint32_t pending;

    /* Cycle counter, 32-bit overflow, interrupt enabled. */
    WRITE_SYSREG(pmcr_el0, PMCR_E | PMCR_P | PMCR_C);
    WRITE_SYSREG(pmccfiltr_el0, 0);
    WRITE_SYSREG(pmccntr_el0, 0xffffffffu - 20000);
    WRITE_SYSREG(pmintenset_el1, 1u << 31);
    WRITE_SYSREG(pmcntenset_el0, 1u << 31);
    ISB();
    spun = spin_for_irq(1000000);
    printf("PMCCNTR IRQ     taken=%u INTID=%u OVS=%08lx spun<1000000=%d\n", irq_count, irq_intid, irq_pmovs, spun < 1000000);

    /* The same while waiting in WFI: the cycle counter follows the clock while the CPU sleeps. */
    WRITE_SYSREG(pmccntr_el0, 0xffffffffu - 20000);
    WRITE_SYSREG(pmintenset_el1, 1u << 31);
    WRITE_SYSREG(pmcntenset_el0, 1u << 31);
    ISB();
    irq_count = 0;
    for (spun = 0; spun < 100 && irq_count == 0; spun++)
        __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
    printf("PMCCNTR IRQ WFI taken=%u INTID=%u OVS=%08lx\n", irq_count, irq_intid, irq_pmovs);
    WRITE_SYSREG(pmintenclr_el1, 0xffffffffu);

    /*
     * Event counter 0 on INST_RETIRED. QEMU 7.2 arms its overflow timer for an
     * event counter one event before the wrap, so it notices this overflow
     * only at the next PMU access or exception: the loop makes an SVC per
     * iteration for it (Tessera raises the interrupt at the wrap itself; both
     * take it within the loop).
     */
    WRITE_SYSREG(pmevtyper0_el0, EV_INST_RETIRED);
    WRITE_SYSREG(pmevcntr0_el0, 0xffffffffu - 20000);
    WRITE_SYSREG(pmintenset_el1, 1);
    WRITE_SYSREG(pmcntenset_el0, 1);
    ISB();
    irq_count = 0;
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    for (spun = 0; spun < 100000 && irq_count == 0; spun++)
        __asm__ volatile("svc #1" ::: "memory");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    printf("INST_RETIRED IRQ taken=%u INTID=%u OVS=%08lx wrapped=%d\n", irq_count, irq_intid, irq_pmovs, irq_counter < 0x80000000u);

    /* Overflow flag set by software: the line follows PMCR.E && (PMINTEN & PMOVS). */
    WRITE_SYSREG(pmcntenclr_el0, 0xffffffffu);
    WRITE_SYSREG(pmcr_el0, 0);
    WRITE_SYSREG(pmovsset_el0, 1);
    ISB();
    pending = r32(GICR_SGI + 0x200) & (1u << INTID_PMU);
    printf("PMOVSSET, E=0   pending=%u\n", pending != 0);
    WRITE_SYSREG(pmovsclr_el0, 1);
    WRITE_SYSREG(pmcr_el0, PMCR_E);
    WRITE_SYSREG(pmovsset_el0, 1);
    ISB();
    pending = r32(GICR_SGI + 0x200) & (1u << INTID_PMU);
    printf("PMOVSSET, E=1   pending=%u\n", pending != 0);
    spun = spin_for_irq(1000);
    printf("PMOVSSET IRQ    taken=%u INTID=%u OVS=%08lx\n", irq_count, irq_intid, irq_pmovs);
    WRITE_SYSREG(pmovsclr_el0, 0xffffffffu);
    WRITE_SYSREG(pmintenset_el1, 1);
    ISB();
    pending = r32(GICR_SGI + 0x200) & (1u << INTID_PMU);
    printf("PMINTENSET only pending=%u\n", pending != 0);
    WRITE_SYSREG(pmintenclr_el1, 0xffffffffu);
    WRITE_SYSREG(pmcr_el0, 0);
}

int main(void)
{
    printf("pmu: EL%u\n", current_el());
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();
    identification();
    readback();
    swincr();
    filters();
    el0_traps_test();
    overflow_irq();
    printf("pmu: done\n");
    return 0;
}
