/*
 * debug-el3 (starts at EL3, secure=on): self-hosted debug with EL3 (ARM ARM
 * D2.4, D13.2.74 MDCR_EL3). MDCR_EL3.TDA and TDOSA trap EL1's accesses to the
 * debug registers to EL3 (EC 0x18); MDCR_EL3.SDD disables debug exceptions
 * from Secure EL1; breakpoint SSC selects Secure or Non-secure state (here
 * Secure EL1, SCR_EL3.NS = 0); EL3 itself never takes debug exceptions. Each
 * exception is logged with its EL, vector slot, ESR and ELR (as an offset from
 * a label) and printed after the test.
 */
#include "runtime.h"

#define MDSCR_KDE   (1UL << 13)
#define MDSCR_MDE   (1UL << 15)
#define SCR_RW      (1UL << 10)
#define SCR_RES1    (3UL << 4)
#define MDCR3_TDA   (1UL << 9)
#define MDCR3_TDOSA (1UL << 10)
#define MDCR3_SDD   (1UL << 16)

#define BCR_E      1UL
#define BCR_PMC(x) ((uint64_t)(x) << 1)
#define BCR_BAS(x) ((uint64_t)(x) << 5)
#define BCR_HMC    (1UL << 13)
#define BCR_SSC(x) ((uint64_t)(x) << 14)

struct event { unsigned slot, el; uint64_t esr, elr; };
static volatile struct event events[16];
static volatile unsigned nevents;
static uint64_t el3_return;
static uint8_t el1_stack[4096] __attribute__((aligned(16)));

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    uint64_t esr = el == 3 ? READ_SYSREG(esr_el3) : READ_SYSREG(esr_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;

    if (VEC_KIND(slot) != 0) {
        printf("UNEXPECTED EXCEPTION: asynchronous, slot %u\n", slot);
        psci_system_off();
    }
    if (nevents < 16) {
        volatile struct event *e = &events[nevents++];
        e->slot = slot; e->el = el; e->esr = esr; e->elr = f->elr;
    }
    switch (ec) {
    case 0x30: case 0x31:
        WRITE_SYSREG(dbgbcr0_el1, 0);
        break;
    case 0x17:                          /* smc #0xffff from EL1: back to EL3 */
        if ((esr & 0xffff) == 0xffff && el == 3) {
            f->elr = el3_return;
            f->spsr = 0x3cd;            /* EL3h, DAIF masked */
        }
        break;
    default:                            /* traps: skip the instruction */
        f->elr += 4;
        break;
    }
}

static void print_events(const char *name, uint64_t ref)
{
    printf("%s: %u event(s)\n", name, nevents);
    for (unsigned i = 0; i < nevents; i++) {
        volatile struct event *e = &events[i];
        printf("  EL%u slot=%u ESR=%08lx EC=%02lx ELR=%ld\n", e->el, e->slot, e->esr, (e->esr >> 26) & 0x3f,
               (int64_t)(e->elr - ref));
    }
    nevents = 0;
}

__asm__(".text\n.balign 16\n"
        ".global el1_regs\n"
        "el1_regs:\n"
        "\tmrs x0, mdscr_el1\n"             /* +0: TDA */
        "\tmsr dbgbvr1_el1, xzr\n"          /* +4: TDA */
        "\tmrs x0, oslsr_el1\n"             /* +8: TDOSA */
        "\tmsr osdlr_el1, xzr\n"            /* +12: TDOSA */
        "\tsmc #0xffff\n"                   /* +16 */
        ".global el1_code\n"
        "el1_code:\n"
        "\tmov x0, #1\n"                    /* +0 */
        "\tadd x0, x0, #2\n"                /* +4 */
        "\tadd x0, x0, #3\n"                /* +8 */
        "\tsmc #0xffff\n"                   /* +12 */
        ".global el3_code\n"
        "el3_code:\n"
        "\tadd x0, x0, #1\n"
        "\tadd x0, x0, #2\n"
        "\tret\n");
extern char el1_regs[], el1_code[], el3_code[];
extern uint64_t call_el3_code(uint64_t) __asm__("el3_code");

/* Enter Secure EL1h (DAIF clear) at `entry`; it comes back with smc #0xffff. */
static void run_el1(const void *entry)
{
    __asm__ volatile("adr x2, 1f\n\tstr x2, [%1]\n\t"
                     "msr elr_el3, %0\n\tmsr spsr_el3, %2\n\t"
                     "eret\n1:"
                     :: "r"(entry), "r"(&el3_return), "r"(0x5UL)
                     : "x0", "x1", "x2", "memory");
}

int main(void)
{
    printf("debug-el3: CurrentEL=%u\n", current_el());
    if (current_el() != 3) {
        printf("debug-el3: needs -machine virt,secure=on\n");
        return 0;
    }
    WRITE_SYSREG(vbar_el3, exception_vectors);
    WRITE_SYSREG(scr_el3, SCR_RW | SCR_RES1);       /* lower ELs AArch64 and Secure */
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    ISB();
    printf("MDCR_EL3 at reset %lx\n", READ_SYSREG(mdcr_el3));

    static const struct { const char *name; uint64_t mdcr; } traps[] = {
        { "MDCR_EL3 = 0", 0 }, { "MDCR_EL3.TDA", MDCR3_TDA }, { "MDCR_EL3.TDOSA", MDCR3_TDOSA },
    };
    for (unsigned i = 0; i < 3; i++) {
        WRITE_SYSREG(mdcr_el3, traps[i].mdcr);
        ISB();
        run_el1(el1_regs);
        print_events(traps[i].name, (uint64_t)el1_regs);
    }
    WRITE_SYSREG(mdcr_el3, 0);

    static const struct { const char *name; uint64_t mdcr, bcr; } bps[] = {
        { "Secure EL1 breakpoint, SSC = 0b00", 0, BCR_SSC(0) },
        { "Secure EL1 breakpoint, SSC = 0b01 (Non-secure)", 0, BCR_SSC(1) },
        { "Secure EL1 breakpoint, SSC = 0b10 (Secure)", 0, BCR_SSC(2) },
        { "Secure EL1 breakpoint, SSC = 0b11", 0, BCR_SSC(3) },
        { "Secure EL1 breakpoint, MDCR_EL3.SDD", MDCR3_SDD, BCR_SSC(0) },
    };
    WRITE_SYSREG(oslar_el1, 0);
    for (unsigned i = 0; i < 5; i++) {
        WRITE_SYSREG(mdcr_el3, bps[i].mdcr);
        WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
        WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el1_code + 4);
        WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_PMC(1) | BCR_BAS(0xf) | bps[i].bcr);
        ISB();
        run_el1(el1_code);
        WRITE_SYSREG(dbgbcr0_el1, 0);
        print_events(bps[i].name, (uint64_t)el1_code);
    }
    WRITE_SYSREG(mdcr_el3, 0);

    /* EL3 never takes debug exceptions, whatever HMC, KDE and PSTATE.D say. */
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el3_code + 4);
    WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_HMC | BCR_PMC(3) | BCR_BAS(0xf));
    ISB();
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    uint64_t r = call_el3_code(10);
    __asm__ volatile("msr daifset, #8" ::: "memory");
    WRITE_SYSREG(dbgbcr0_el1, 0);
    WRITE_SYSREG(mdscr_el1, 0);
    printf("EL3 breakpoint: result %lu\n", r);
    print_events("EL3 breakpoint", (uint64_t)el3_code);
    printf("debug-el3: done\n");
    return 0;
}
