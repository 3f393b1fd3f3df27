/*
 * pmu-el2: run with -machine virt,virtualization=on and -icount shift=0.
 * The EL2 controls of the PMU (ARM ARM, register description of MDCR_EL2): HPMN splits the
 * event counters between PMCR_EL0.E (below HPMN) and MDCR_EL2.HPME (at and
 * above it), the NSH filter bit makes counters count at EL2, and TPM/TPMCR
 * trap EL1's PMU accesses to EL2 with EC 0x18. Prints exact instruction
 * counts and ESR_EL2 values only.
 */
#include "runtime.h"

#define FILT_NSH (1u << 27)
#define FILT_P   (1u << 31)
#define EV_INST_RETIRED 0x08

static uint64_t el1_return;
static volatile unsigned traps;
static volatile uint64_t trap_esr[8], trap_off[8];
static uint64_t el1_base;

void exception_handler(unsigned slot, struct exc_frame *f)
{
    uint64_t esr = READ_SYSREG(esr_el2);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (VEC_GROUP(slot) == 2 && VEC_KIND(slot) == 0) {
        if (ec == 0x16 && (esr & 0xffff) == 0xffff) {   /* hvc #0xffff: back to EL2 */
            f->elr = el1_return;
            f->spsr = 0x3c9;
            return;
        }
        if (traps < 8) {
            trap_esr[traps] = esr;
            trap_off[traps] = f->elr - el1_base;
        }
        traps++;
        f->elr += 4;
        return;
    }
    printf("unexpected exception slot %u ESR_EL2=%08lx ELR=%lx\n", slot, esr, f->elr);
    psci_system_off();
}

static void run_el1(void (*code)(void))
{
    el1_base = (uint64_t)code;
    traps = 0;
    __asm__ volatile("adr x1, 1f\n\tstr x1, [%1]\n\t"
                     "msr elr_el2, %0\n\tmov x1, #0x3c5\n\tmsr spsr_el2, x1\n\t"
                     "eret\n1:"
                     :: "r"(code), "r"(&el1_return) : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
                        "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x30", "memory");
}

/* EL1: a 2001-instruction loop with its own counting, then PMU accesses, then back. */
__asm__(".text\n.balign 4\n"
        ".global el1_code\n"
        "el1_code:\n"
        "\tmov x0, #1000\n"
        "1:\tsubs x0, x0, #1\n"
        "\tb.ne 1b\n"
        "\tmrs x0, pmccntr_el0\n"     /* 12 */
        "\tmrs x0, pmcr_el0\n"        /* 16 */
        "\tmsr pmcr_el0, x0\n"        /* 20 */
        "\tmrs x0, pmevcntr0_el0\n"   /* 24 */
        "\tmrs x0, pmintenset_el1\n"  /* 28 */
        "\tmrs x0, pmuserenr_el0\n"   /* 32 */
        "\thvc #0xffff\n");
extern void el1_code(void);

static void counts(const char *what)
{
    printf("%-22s c0=%lu c1=%lu c2=%lu c3=%lu ccnt=%lu\n", what, READ_SYSREG(pmevcntr0_el0), READ_SYSREG(pmevcntr1_el0),
           READ_SYSREG(pmevcntr2_el0), READ_SYSREG(pmevcntr3_el0), READ_SYSREG(pmccntr_el0));
}

static void loop(unsigned n)
{
    __asm__ volatile("msr pmcntenset_el0, %1\n\tmov x0, %0\n1:\tsubs x0, x0, #1\n\tb.ne 1b\n\tmsr pmcntenclr_el0, %1"
                     :: "r"((uint64_t)n), "r"((uint64_t)0x8000000fu) : "x0", "cc", "memory");
}

static void setup(uint64_t mdcr, uint32_t f0, uint32_t f1, uint32_t ccf)
{
    WRITE_SYSREG(mdcr_el2, mdcr);
    WRITE_SYSREG(pmcr_el0, 7);   /* E, P, C */
    WRITE_SYSREG(pmevtyper0_el0, EV_INST_RETIRED | f0);
    WRITE_SYSREG(pmevtyper1_el0, EV_INST_RETIRED | f1);
    WRITE_SYSREG(pmevtyper2_el0, EV_INST_RETIRED | f0);
    WRITE_SYSREG(pmevtyper3_el0, EV_INST_RETIRED | f1);
    WRITE_SYSREG(pmccfiltr_el0, ccf);
    ISB();
}

int main(void)
{
    printf("pmu-el2: EL%u MDCR_EL2=%lx PMCR_EL0=%lx\n", current_el(), READ_SYSREG(mdcr_el2), READ_SYSREG(pmcr_el0));
    WRITE_SYSREG(vbar_el2, exception_vectors);
    WRITE_SYSREG(hcr_el2, 1UL << 31);   /* RW: EL1 is AArch64 */
    ISB();

    /* At EL2 a counter counts only with NSH set. */
    setup(6, 0, FILT_NSH, 0);
    loop(1000);
    counts("EL2 NSH on c1,c3");
    setup(6, FILT_NSH, FILT_NSH, FILT_NSH);
    loop(1000);
    counts("EL2 NSH all");
    /* HPMN = 2: counters 2 and 3 follow HPME, not PMCR.E. */
    setup(2, FILT_NSH, FILT_NSH, FILT_NSH);
    loop(1000);
    counts("HPMN=2 HPME=0");
    setup(2 | (1u << 7), FILT_NSH, FILT_NSH, FILT_NSH);
    loop(1000);
    counts("HPMN=2 HPME=1");
    WRITE_SYSREG(pmcr_el0, 6);   /* E = 0: the HPME counters go on */
    loop(500);
    counts("HPMN=2 HPME=1 E=0");
    WRITE_SYSREG(mdcr_el2, 0);   /* HPMN = 0: every event counter follows HPME */
    WRITE_SYSREG(pmcr_el0, 7);
    loop(300);
    counts("HPMN=0 HPME=0");

    /* Counting EL1 from EL2: c0 all ELs (NSH), c1 excluding EL1 (P), enabled across the ERET. */
    setup(6, FILT_NSH, FILT_P | FILT_NSH, 0);
    WRITE_SYSREG(pmcntenset_el0, 0x8000000fu);
    run_el1(el1_code);
    WRITE_SYSREG(pmcntenclr_el0, 0x8000000fu);
    counts("EL1 run from EL2");
    printf("EL1, MDCR_EL2=6: %u traps\n", traps);

    static const uint64_t mdcrs[] = { 6 | (1u << 6), 6 | (1u << 5) };
    for (unsigned i = 0; i < 2; i++) {
        WRITE_SYSREG(mdcr_el2, mdcrs[i]);
        ISB();
        run_el1(el1_code);
        printf("EL1, MDCR_EL2=%lx: %u traps:", mdcrs[i], traps);
        for (unsigned t = 0; t < traps && t < 8; t++)
            printf(" +%lu:%08lx", trap_off[t], trap_esr[t]);
        printf("\n");
    }
    WRITE_SYSREG(mdcr_el2, 6);
    printf("pmu-el2: done\n");
    return 0;
}
