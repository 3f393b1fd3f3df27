/*
 * debug-el2 (starts at EL2, virtualization=on): self-hosted debug with a
 * hypervisor (ARM ARM D2.3, D13.2.73 MDCR_EL2). MDCR_EL2.TDA, TDOSA and TDRA
 * trap EL1's accesses to the debug registers to EL2 (EC 0x18); MDCR_EL2.TDE
 * routes EL1's breakpoint, watchpoint and software step exceptions to EL2
 * (and implies the three traps); EL2 itself takes debug exceptions only when
 * they are routed to it, with MDSCR_EL1.KDE set and PSTATE.D clear; with
 * HCR_EL2.TGE the host's EL0 breakpoints and steps go to EL2. Each
 * exception is logged with its EL, vector slot, ESR, FAR and ELR (as an
 * offset from a label) and printed after the test.
 */
#include "runtime.h"

#define MDSCR_SS   (1UL << 0)
#define MDSCR_KDE  (1UL << 13)
#define MDSCR_MDE  (1UL << 15)
#define SPSR_SS    (1UL << 21)
#define HCR_RW     (1UL << 31)
#define MDCR_TDE   (1UL << 8)
#define MDCR_TDA   (1UL << 9)
#define MDCR_TDOSA (1UL << 10)
#define MDCR_TDRA  (1UL << 11)

#define BCR_E      1UL
#define BCR_PMC(x) ((uint64_t)(x) << 1)
#define BCR_BAS(x) ((uint64_t)(x) << 5)
#define BCR_HMC    (1UL << 13)
#define WCR_LSC(x) ((uint64_t)(x) << 3)

struct event { unsigned slot, el; uint64_t esr, far, elr, spsr; };
static volatile struct event events[24];
static volatile unsigned nevents;
static volatile unsigned step_budget;
static uint64_t el2_return;
static volatile uint64_t watched[2] __attribute__((aligned(16)));
static uint8_t el1_stack[4096] __attribute__((aligned(16)));

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    uint64_t esr = el == 2 ? READ_SYSREG(esr_el2) : READ_SYSREG(esr_el1);
    uint64_t far = el == 2 ? READ_SYSREG(far_el2) : READ_SYSREG(far_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;

    if (VEC_KIND(slot) != 0) {
        printf("UNEXPECTED EXCEPTION: asynchronous, slot %u\n", slot);
        psci_system_off();
    }
    if (nevents < 24) {
        volatile struct event *e = &events[nevents++];
        e->slot = slot; e->el = el; e->esr = esr; e->far = far; e->elr = f->elr; e->spsr = f->spsr;
    }
    switch (ec) {
    case 0x30: case 0x31:
        WRITE_SYSREG(dbgbcr0_el1, 0);
        break;
    case 0x34: case 0x35:
        WRITE_SYSREG(dbgwcr0_el1, 0);
        break;
    case 0x32: case 0x33:
        if (step_budget == 0) {
            WRITE_SYSREG(mdscr_el1, READ_SYSREG(mdscr_el1) & ~MDSCR_SS);
            f->spsr &= ~SPSR_SS;
        } else {
            step_budget--;
            f->spsr |= SPSR_SS;
        }
        break;
    case 0x15:                          /* svc #0xffff from EL0 (HCR_EL2.TGE): back to EL2 */
    case 0x16:                          /* hvc #0xffff from EL1: back to EL2 */
        if ((esr & 0xffff) == 0xffff && el == 2) {
            f->elr = el2_return;
            f->spsr = 0x3c9;
        }
        break;
    default:                            /* traps: skip the instruction */
        f->elr += 4;
        break;
    }
}

static void print_events(const char *name, uint64_t ref, uint64_t far_ref)
{
    printf("%s: %u event(s)\n", name, nevents);
    for (unsigned i = 0; i < nevents; i++) {
        volatile struct event *e = &events[i];
        unsigned ec = (unsigned)(e->esr >> 26) & 0x3f;
        printf("  EL%u slot=%u ESR=%08lx EC=%02x ELR=%ld SPSR=%08lx", e->el, e->slot, e->esr, ec,
               (int64_t)(e->elr - ref), e->spsr);
        if (ec == 0x34 || ec == 0x35)
            printf(" FAR=%ld", (int64_t)(e->far - far_ref));
        printf("\n");
    }
    nevents = 0;
}

__asm__(".text\n.balign 16\n"
        /* EL1: debug register accesses, each trapped or not. */
        ".global el1_regs\n"
        "el1_regs:\n"
        "\tmrs x0, mdscr_el1\n"             /* +0: TDA */
        "\tmsr dbgbcr0_el1, xzr\n"          /* +4: TDA */
        "\tmrs x0, dbgwvr3_el1\n"           /* +8: TDA */
        "\tmrs x0, oslsr_el1\n"             /* +12: TDOSA */
        "\tmsr oslar_el1, xzr\n"            /* +16: TDOSA */
        "\tmrs x0, osdlr_el1\n"             /* +20: TDOSA */
        "\tmrs x0, mdrar_el1\n"             /* +24: TDRA */
        "\thvc #0xffff\n"                   /* +28 */
        /* EL1: code to break on, step or watch from EL2; x1 = a watched doubleword. */
        ".global el1_code\n"
        "el1_code:\n"
        "\tmov x0, #1\n"                    /* +0 */
        "\tadd x0, x0, #2\n"                /* +4 */
        "\tldr x2, [x1]\n"                  /* +8 */
        "\tstr x2, [x1]\n"                  /* +12 */
        "\tadd x0, x0, #3\n"                /* +16 */
        "\thvc #0xffff\n"                   /* +20 */
        /* EL0 under HCR_EL2.TGE: code to break on and step; back to EL2 with svc #0xffff. */
        ".global el0_code\n"
        "el0_code:\n"
        "\tmov x0, #1\n"                    /* +0 */
        "\tadd x0, x0, #2\n"                /* +4 */
        "\tadd x0, x0, #3\n"                /* +8 */
        "\tsvc #0xffff\n"                   /* +12 */
        /* EL2: a function to break on. */
        ".global el2_code\n"
        "el2_code:\n"
        "\tadd x0, x0, #1\n"
        "\tadd x0, x0, #2\n"
        "\tret\n");
extern char el1_regs[], el1_code[], el2_code[], el0_code[];
extern uint64_t call_el2_code(uint64_t) __asm__("el2_code");

/* Enter `entry` with x1 = `x1` and SPSR_EL2 = `mode` | `spsr`; it comes back with hvc/svc #0xffff. */
static void run_at(const void *entry, uint64_t mode, uint64_t spsr, volatile void *x1)
{
    __asm__ volatile("adr x2, 1f\n\tstr x2, [%1]\n\t"
                     "msr elr_el2, %0\n\tmsr spsr_el2, %2\n\t"
                     "mov x1, %3\n\t"
                     "eret\n1:"
                     :: "r"(entry), "r"(&el2_return), "r"(mode | spsr), "r"(x1)
                     : "x0", "x1", "x2", "memory");
}

/* EL1h, DAIF clear. */
static void run_el1(const void *entry, uint64_t spsr, volatile void *x1) { run_at(entry, 0x5, spsr, x1); }

static void traps(void)
{
    static const struct { const char *name; uint64_t mdcr; } cases[] = {
        { "MDCR_EL2 = 0", 0 }, { "MDCR_EL2.TDA", MDCR_TDA }, { "MDCR_EL2.TDOSA", MDCR_TDOSA },
        { "MDCR_EL2.TDRA", MDCR_TDRA }, { "MDCR_EL2.TDE", MDCR_TDE },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WRITE_SYSREG(mdcr_el2, cases[i].mdcr);
        ISB();
        run_el1(el1_regs, 0, watched);
        print_events(cases[i].name, (uint64_t)el1_regs, 0);
    }
    WRITE_SYSREG(mdcr_el2, 0);
}

static void routing(void)
{
    uint64_t bcr = BCR_E | BCR_PMC(1) | BCR_BAS(0xf);
    WRITE_SYSREG(oslar_el1, 0);
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE);
    /* An EL1 breakpoint: to EL1 (KDE = 0, so no exception) without TDE, to EL2 with it. */
    for (unsigned tde = 0; tde <= 1; tde++) {
        WRITE_SYSREG(mdcr_el2, tde ? MDCR_TDE : 0);
        WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el1_code + 4);
        WRITE_SYSREG(dbgbcr0_el1, bcr);
        ISB();
        run_el1(el1_code, 0, watched);
        print_events(tde ? "EL1 breakpoint, TDE = 1" : "EL1 breakpoint, TDE = 0", (uint64_t)el1_code, 0);
    }
    /* A watchpoint on EL1's store, routed to EL2. */
    WRITE_SYSREG(dbgwvr0_el1, (uint64_t)watched);
    WRITE_SYSREG(dbgwcr0_el1, BCR_E | BCR_PMC(1) | WCR_LSC(2) | BCR_BAS(0xff));
    ISB();
    run_el1(el1_code, 0, watched);
    print_events("EL1 store watched, TDE = 1", (uint64_t)el1_code, (uint64_t)watched);
    /* Software step of EL1 from EL2. */
    step_budget = 3;
    WRITE_SYSREG(mdscr_el1, MDSCR_SS);
    ISB();
    run_el1(el1_code, SPSR_SS, watched);
    print_events("EL1 stepped from EL2", (uint64_t)el1_code, 0);
    /* EL2 breakpoints (HMC): only with TDE (debug target EL2), KDE and PSTATE.D = 0. */
    static const struct { const char *name; uint64_t mdcr, mdscr; } el2_cases[] = {
        { "EL2 breakpoint, TDE = 0", 0, MDSCR_MDE | MDSCR_KDE },
        { "EL2 breakpoint, TDE = 1, KDE = 0", MDCR_TDE, MDSCR_MDE },
        { "EL2 breakpoint, TDE = 1, KDE = 1", MDCR_TDE, MDSCR_MDE | MDSCR_KDE },
    };
    for (unsigned i = 0; i < 3; i++) {
        WRITE_SYSREG(mdcr_el2, el2_cases[i].mdcr);
        WRITE_SYSREG(mdscr_el1, el2_cases[i].mdscr);
        WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el2_code + 4);
        WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_HMC | BCR_PMC(3) | BCR_BAS(0xf));
        ISB();
        __asm__ volatile("msr daifclr, #8" ::: "memory");
        uint64_t r = call_el2_code(10);
        __asm__ volatile("msr daifset, #8" ::: "memory");
        WRITE_SYSREG(dbgbcr0_el1, 0);
        printf("%s: result %lu\n", el2_cases[i].name, r);
        print_events(el2_cases[i].name, (uint64_t)el2_code, 0);
    }
    WRITE_SYSREG(mdscr_el1, 0);
    WRITE_SYSREG(mdcr_el2, 0);
}

/* HCR_EL2.TGE: EL0 belongs to the EL2 host; its debug exceptions go to EL2 (ARM ARM D2.3.1). */
static void host_el0(void)
{
    WRITE_SYSREG(hcr_el2, HCR_RW | (1UL << 27));
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE);
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el0_code + 4);
    WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    ISB();
    run_at(el0_code, 0, 0, watched);
    print_events("EL0 breakpoint, TGE = 1", (uint64_t)el0_code, 0);
    step_budget = 1;
    WRITE_SYSREG(mdscr_el1, MDSCR_SS);
    ISB();
    run_at(el0_code, 0, SPSR_SS, watched);
    print_events("EL0 stepped, TGE = 1", (uint64_t)el0_code, 0);
    WRITE_SYSREG(mdscr_el1, 0);
    WRITE_SYSREG(hcr_el2, HCR_RW);
    ISB();
}

int main(void)
{
    printf("debug-el2: CurrentEL=%u\n", current_el());
    if (current_el() != 2) {
        printf("debug-el2: needs virtualization=on\n");
        return 0;
    }
    WRITE_SYSREG(hcr_el2, HCR_RW);
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    ISB();
    printf("MDCR_EL2 at reset %lx\n", READ_SYSREG(mdcr_el2));
    traps();
    routing();
    host_el0();
    printf("debug-el2: done\n");
    return 0;
}
