/*
 * debug (EL1): AArch64
 * self-hosted debug (ARM ARM D2). Hardware breakpoints and watchpoints at EL1
 * and EL0, linked context-ID breakpoints, software step of EL0 and EL1 code
 * (the PSTATE.SS / SPSR.SS state machine, ISV and EX in the syndrome), the
 * OS lock, OS double lock, MDSCR_EL1.KDE and PSTATE.D masking. Each debug
 * exception is logged with its vector slot, ESR, FAR and ELR (as an offset
 * from a label of the test) and printed after the test.
 */
#include "runtime.h"

#define MDSCR_SS   (1UL << 0)
#define MDSCR_TDCC (1UL << 12)
#define MDSCR_KDE  (1UL << 13)
#define MDSCR_MDE  (1UL << 15)
#define SPSR_SS    (1UL << 21)

/* DBGBCR/DBGWCR fields (ARM ARM D13.3.2, D13.3.11). */
#define BCR_E          1UL
#define BCR_PMC(x)     ((uint64_t)(x) << 1)
#define BCR_BAS(x)     ((uint64_t)(x) << 5)
#define BCR_HMC        (1UL << 13)
#define BCR_LBN(x)     ((uint64_t)(x) << 16)
#define BCR_BT(x)      ((uint64_t)(x) << 20)
#define WCR_LSC(x)     ((uint64_t)(x) << 3)
#define WCR_BAS(x)     ((uint64_t)(x) << 5)
#define WCR_WT         (1UL << 20)
#define WCR_MASK(x)    ((uint64_t)(x) << 24)

struct event { unsigned slot, el; uint64_t esr, far, elr, spsr; };
static volatile struct event events[40];
static volatile unsigned nevents;
static volatile unsigned step_budget;     /* steps left before MDSCR_EL1.SS is cleared */
static volatile unsigned step_hold;       /* this step returns with SPSR.SS = 0 (active-pending) */
static volatile unsigned steps_seen;
static uint64_t el0_return;

#define SET_DBG(kind, n, v) WRITE_SYSREG(kind##n##_el1, v)

static void clear_breakpoints(void)
{
    SET_DBG(dbgbcr, 0, 0); SET_DBG(dbgbcr, 1, 0); SET_DBG(dbgbcr, 2, 0);
    SET_DBG(dbgbcr, 3, 0); SET_DBG(dbgbcr, 4, 0); SET_DBG(dbgbcr, 5, 0);
}

static void clear_watchpoints(void)
{
    SET_DBG(dbgwcr, 0, 0); SET_DBG(dbgwcr, 1, 0); SET_DBG(dbgwcr, 2, 0); SET_DBG(dbgwcr, 3, 0);
}

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
    if (nevents < 40) {
        volatile struct event *e = &events[nevents++];
        e->slot = slot; e->el = el; e->esr = esr; e->far = far; e->elr = f->elr; e->spsr = f->spsr;
    }
    switch (ec) {
    case 0x30: case 0x31:               /* breakpoint: disarm, re-execute */
        clear_breakpoints();
        break;
    case 0x34: case 0x35:               /* watchpoint: disarm, re-execute the access */
        clear_watchpoints();
        break;
    case 0x32: case 0x33:               /* software step */
        steps_seen++;
        if (step_budget == 0) {
            WRITE_SYSREG(mdscr_el1, READ_SYSREG(mdscr_el1) & ~MDSCR_SS);
            f->spsr &= ~SPSR_SS;
        } else {
            step_budget--;
            if (steps_seen == step_hold)
                f->spsr &= ~SPSR_SS;
            else
                f->spsr |= SPSR_SS;
        }
        break;
    case 0x15:                          /* SVC */
        if ((esr & 0xffff) == 0xffff && VEC_GROUP(slot) == 2) {
            f->elr = el0_return;
            f->spsr = 0x3c5;            /* EL1h, DAIF masked, SS = 0 */
        }
        break;
    case 0x16:                          /* HVC from EL1 under AT_EL2: PSCI-like exit */
        if ((esr & 0xffff) == 0xffff) {
            f->elr = el0_return;
            f->spsr = 0x3c9;            /* back to EL2h */
        }
        break;
    default:                            /* traps and undefined instructions: skip */
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
        else if (ec == 0x30 || ec == 0x31)
            printf(" FAR=%lx", e->far);
        printf("\n");
    }
    nevents = 0;
}

/* ---------------------------------------------------------------- code under test */

__asm__(".text\n.balign 16\n"
        /* EL0: a short sequence to break on or step through, then back to EL1. x2 = a scratch word. */
        ".global el0_seq\n"
        "el0_seq:\n"
        "\tmov x0, #1\n"                    /* +0 */
        "\tadd x0, x0, #2\n"                /* +4 */
        "\tb 1f\n"                          /* +8 */
        "\tnop\n"                           /* +12 */
        "1:\tldxr x1, [x2]\n"               /* +16: EX = 1 in the step syndrome */
        "\tstxr w3, x1, [x2]\n"             /* +20 */
        "\tldr x4, [x2]\n"                  /* +24 */
        "\tsvc #0\n"                        /* +28: completes the step (SPSR.SS = 0) */
        "\tmov x5, #6\n"                    /* +32 */
        "\tstr x5, [x2, #8]\n"              /* +36 */
        "\tsvc #0xffff\n"                   /* +40: back to EL1 */
        /* EL1: the same kind of sequence as a function. */
        ".global el1_seq\n"
        "el1_seq:\n"
        "\tmov x2, #1\n"                    /* +0 */
        "\tadd x2, x2, x0\n"                /* +4 */
        "\tcbz x2, 1f\n"                    /* +8 */
        "\tadd x2, x2, #1\n"                /* +12 */
        "1:\tldaxr w3, [x1]\n"              /* +16: x1 = a word */
        "\tadd x0, x2, #3\n"                /* +20 */
        "\tret\n"                           /* +24 */
        /* Watched accesses: x0 = address, x1 = value. */
        ".global wp_str64\nwp_str64:\tstr x1, [x0]\n\tret\n"
        ".global wp_ldr64\nwp_ldr64:\tldr x1, [x0]\n\tmov x0, x1\n\tret\n"
        ".global wp_strb\nwp_strb:\tstrb w1, [x0]\n\tret\n"
        ".global wp_ldrh\nwp_ldrh:\tldrh w1, [x0]\n\tmov x0, x1\n\tret\n"
        ".global wp_ldtr\nwp_ldtr:\tldtr x1, [x0]\n\tmov x0, x1\n\tret\n"
        ".global wp_stp\nwp_stp:\tstp x1, x1, [x0]\n\tret\n"
        /* EL0 watched accesses: x2 = address, then back to EL1. */
        ".global el0_wp\nel0_wp:\tldr x1, [x2]\n\tstr x1, [x2]\n\tsvc #0xffff\n"
        /* Loads of a pair and of a quadword: x0 = address. */
        ".global wp_ldp\nwp_ldp:\tldp x1, x2, [x0]\n\tret\n"
        ".global wp_ldrq\nwp_ldrq:\tldr q0, [x0]\n\tret\n"
        /* EL0: instructions that take exceptions while being stepped; x2 = a watched word. */
        ".global el0_faults\n"
        "el0_faults:\n"
        "\tmrs x0, sctlr_el1\n"             /* +0: UNDEFINED at EL0 */
        "\tbrk #1\n"                        /* +4 */
        "\tldr x1, [x2]\n"                  /* +8: watched */
        "\tmov x0, #1\n"                    /* +12 */
        "\tsvc #0xffff\n"                   /* +16 */
        /* EL0: a WFI while being stepped completes as a step (SCTLR_EL1.nTWI = 1 from reset). */
        ".global el0_wfi\nel0_wfi:\tmov x0, #1\n\twfi\n\tmov x0, #2\n\tsvc #0xffff\n"
        /* EL0 read of the DCC status register (MDSCR_EL1.TDCC). */
        ".global el0_dcc\nel0_dcc:\tmrs x1, mdccsr_el0\n\tsvc #0xffff\n");
extern char el0_seq[], el1_seq[], wp_str64[], wp_ldr64[], wp_strb[], wp_ldrh[], wp_ldtr[], wp_stp[], el0_wp[], el0_dcc[], wp_ldp[], wp_ldrq[], el0_faults[], el0_wfi[];
extern uint64_t call_el1_seq(uint64_t x0, uint64_t *x1) __asm__("el1_seq");

static volatile uint64_t watched[4] __attribute__((aligned(64)));
static volatile uint64_t scratch[4] __attribute__((aligned(64)));

typedef uint64_t (*access_fn)(volatile uint64_t *addr, uint64_t value);

/* Enter EL0 at `entry` with x2 = `x2`, SPSR_EL1 = EL0t | `spsr`; it returns with svc #0xffff. */
static void run_el0(const void *entry, uint64_t spsr, volatile void *x2)
{
    __asm__ volatile("adr x1, 1f\n\tstr x1, [%1]\n\t"
                     "msr elr_el1, %0\n\tmsr spsr_el1, %2\n\tmsr sp_el0, xzr\n\t"
                     "mov x2, %3\n\t"
                     "eret\n1:"
                     :: "r"(entry), "r"(&el0_return), "r"(spsr), "r"(x2)
                     : "x0", "x1", "x2", "x3", "x4", "x5", "memory");
}

static void debug_unmask(void) { __asm__ volatile("msr daifclr, #8" ::: "memory"); }
static void debug_mask(void) { __asm__ volatile("msr daifset, #8" ::: "memory"); }

static void set_mdscr(uint64_t v) { WRITE_SYSREG(mdscr_el1, v); ISB(); }

/* ---------------------------------------------------------------- tests */

static void registers(void)
{
    /* The debug fields only (PMUVer is 1 in QEMU, whose cortex-a53 has a PMU). */
    uint64_t dfr0 = READ_SYSREG(id_aa64dfr0_el1);
    printf("ID_AA64DFR0_EL1 DebugVer %lu BRPs %lu WRPs %lu CTX_CMPs %lu DoubleLock %lu\n", dfr0 & 0xf,
           ((dfr0 >> 12) & 0xf) + 1, ((dfr0 >> 20) & 0xf) + 1, ((dfr0 >> 28) & 0xf) + 1, (dfr0 >> 36) & 0xf);
    printf("OSLSR_EL1 at reset %lx, MDSCR_EL1 %lx\n", READ_SYSREG(oslsr_el1), READ_SYSREG(mdscr_el1));
    WRITE_SYSREG(dbgbcr0_el1, BCR_BAS(0x5) | BCR_PMC(3));   /* BAS[3] copies BAS[2], BAS[1] BAS[0] */
    printf("DBGBCR0_EL1 wrote 0xa6, reads %lx\n", READ_SYSREG(dbgbcr0_el1));
    WRITE_SYSREG(dbgbcr0_el1, 0xffffffffffffffffUL);
    printf("DBGBCR0_EL1 wrote ~0, reads %lx\n", READ_SYSREG(dbgbcr0_el1));
    WRITE_SYSREG(dbgbcr0_el1, 0);
    WRITE_SYSREG(dbgbvr0_el1, 0x0000ffff12345677UL);
    printf("DBGBVR0_EL1 reads %lx\n", READ_SYSREG(dbgbvr0_el1));
    WRITE_SYSREG(dbgwvr3_el1, 0x0001000012345677UL);
    printf("DBGWVR3_EL1 reads %lx\n", READ_SYSREG(dbgwvr3_el1));
    WRITE_SYSREG(dbgwcr3_el1, 0xffffffffffffffffUL);
    printf("DBGWCR3_EL1 wrote ~0, reads %lx\n", READ_SYSREG(dbgwcr3_el1));
    WRITE_SYSREG(dbgwcr3_el1, 0);
    WRITE_SYSREG(mdscr_el1, 0xffffffffffffffffUL);
    printf("MDSCR_EL1 wrote ~0, reads %lx\n", READ_SYSREG(mdscr_el1));
    WRITE_SYSREG(mdscr_el1, 0);
    WRITE_SYSREG(oslar_el1, 1);
    printf("OSLSR_EL1 locked %lx\n", READ_SYSREG(oslsr_el1));
    WRITE_SYSREG(oslar_el1, 0);
    printf("OSLSR_EL1 unlocked %lx\n", READ_SYSREG(oslsr_el1));
    WRITE_SYSREG(osdlr_el1, 0xffffffff);
    printf("OSDLR_EL1 wrote ~0, reads %lx\n", READ_SYSREG(osdlr_el1));
    WRITE_SYSREG(osdlr_el1, 0);
    /* Registers QEMU's cortex-a53 may lack: preset the result so an UNDEFINED one reads 0x5a. */
    uint64_t prcr, authstatus, mdccsr, mdrar;
    __asm__ volatile("mov %0, #0x5a\n\tmrs %0, dbgprcr_el1" : "=&r"(prcr));
    __asm__ volatile("mov %0, #0x5a\n\tmrs %0, dbgauthstatus_el1" : "=&r"(authstatus));
    __asm__ volatile("mov %0, #0x5a\n\tmrs %0, mdccsr_el0" : "=&r"(mdccsr));
    __asm__ volatile("mov %0, #0x5a\n\tmrs %0, mdrar_el1" : "=&r"(mdrar));
    printf("DBGPRCR_EL1 %lx, DBGAUTHSTATUS_EL1 %lx, MDCCSR_EL0 %lx, MDRAR_EL1 %lx\n", prcr, authstatus, mdccsr, mdrar);
    print_events("register accesses", 0, 0);
}

static void el0_breakpoints(void)
{
    uint64_t target = (uint64_t)el0_seq + 24;
    set_mdscr(MDSCR_MDE);
    /* PMC = EL1 only: no match at EL0. Then PMC = EL0. */
    WRITE_SYSREG(dbgbvr1_el1, target);
    WRITE_SYSREG(dbgbcr1_el1, BCR_E | BCR_PMC(1) | BCR_BAS(0xf));
    ISB();
    run_el0(el0_seq, 0, scratch);
    print_events("EL0 code, breakpoint for EL1 only", (uint64_t)el0_seq, 0);
    WRITE_SYSREG(dbgbcr1_el1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    ISB();
    run_el0(el0_seq, 0, scratch);
    print_events("EL0 code, breakpoint at +24 for EL0", (uint64_t)el0_seq, 0);
    /* MDE = 0: breakpoints are disabled. */
    set_mdscr(0);
    WRITE_SYSREG(dbgbcr1_el1, BCR_E | BCR_PMC(3) | BCR_BAS(0xf));
    ISB();
    run_el0(el0_seq, 0, scratch);
    print_events("EL0 code, breakpoint with MDE = 0", (uint64_t)el0_seq, 0);
    /* BAS = 0: never matches; BAS = 0b1100 matches at addr + 2 only (A64 never). */
    set_mdscr(MDSCR_MDE);
    WRITE_SYSREG(dbgbcr1_el1, BCR_E | BCR_PMC(3) | BCR_BAS(0));
    ISB();
    run_el0(el0_seq, 0, scratch);
    print_events("EL0 code, breakpoint with BAS = 0", (uint64_t)el0_seq, 0);
    WRITE_SYSREG(dbgbcr1_el1, BCR_E | BCR_PMC(3) | BCR_BAS(0xc));
    ISB();
    run_el0(el0_seq, 0, scratch);
    print_events("EL0 code, breakpoint with BAS = 0b1100", (uint64_t)el0_seq, 0);
    /* Two breakpoints: both hit in turn. */
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el0_seq + 4);
    WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    WRITE_SYSREG(dbgbvr3_el1, (uint64_t)el0_seq + 32);
    WRITE_SYSREG(dbgbcr3_el1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    ISB();
    run_el0(el0_seq, 0, scratch);
    WRITE_SYSREG(dbgbvr3_el1, (uint64_t)el0_seq + 32);
    WRITE_SYSREG(dbgbcr3_el1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    ISB();
    run_el0(el0_seq, 0, scratch);
    print_events("EL0 code, breakpoints at +4 and +32", (uint64_t)el0_seq, 0);
    clear_breakpoints();
    set_mdscr(0);
}

/* One EL1 breakpoint at el1_seq + 12 under the given MDSCR and PSTATE.D. */
static void el1_breakpoint(const char *name, uint64_t mdscr, int unmask, uint64_t bcr)
{
    uint64_t word = 0;
    set_mdscr(mdscr);
    WRITE_SYSREG(dbgbvr2_el1, (uint64_t)el1_seq + 12);
    WRITE_SYSREG(dbgbcr2_el1, bcr);
    ISB();
    if (unmask) debug_unmask();
    uint64_t r = call_el1_seq(5, &word);
    debug_mask();
    clear_breakpoints();
    set_mdscr(0);
    printf("%s: result %lu\n", name, r);
    print_events(name, (uint64_t)el1_seq, 0);
}

static void el1_breakpoints(void)
{
    uint64_t bcr = BCR_E | BCR_PMC(1) | BCR_BAS(0xf);
    el1_breakpoint("EL1 breakpoint, KDE = 0", MDSCR_MDE, 1, bcr);
    el1_breakpoint("EL1 breakpoint, KDE = 1, PSTATE.D = 1", MDSCR_MDE | MDSCR_KDE, 0, bcr);
    el1_breakpoint("EL1 breakpoint, KDE = 1, PSTATE.D = 0", MDSCR_MDE | MDSCR_KDE, 1, bcr);
    el1_breakpoint("EL1 breakpoint for EL0 only", MDSCR_MDE | MDSCR_KDE, 1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    el1_breakpoint("EL1 breakpoint, PMC = 0b11", MDSCR_MDE | MDSCR_KDE, 1, BCR_E | BCR_PMC(3) | BCR_BAS(0xf));
    el1_breakpoint("EL1 breakpoint, SSC = 0b01 (Non-secure)", MDSCR_MDE | MDSCR_KDE, 1, bcr | (1UL << 14));
    el1_breakpoint("EL1 breakpoint, SSC = 0b10 (Secure)", MDSCR_MDE | MDSCR_KDE, 1, bcr | (2UL << 14));
    /* The OS lock and the OS double lock disable debug exceptions (ARM ARM D2.4). */
    WRITE_SYSREG(oslar_el1, 1);
    el1_breakpoint("EL1 breakpoint, OS lock set", MDSCR_MDE | MDSCR_KDE, 1, bcr);
    WRITE_SYSREG(oslar_el1, 0);
    WRITE_SYSREG(osdlr_el1, 1);
    el1_breakpoint("EL1 breakpoint, OS double lock set", MDSCR_MDE | MDSCR_KDE, 1, bcr);
    WRITE_SYSREG(osdlr_el1, 0);
    el1_breakpoint("EL1 breakpoint, locks clear again", MDSCR_MDE | MDSCR_KDE, 1, bcr);
}

static void linked_breakpoints(void)
{
    uint64_t word = 0, r;
    /* Breakpoint 0 (address, linked) to breakpoint 4 (context ID), CONTEXTIDR_EL1 = 0x77. */
    WRITE_SYSREG(contextidr_el1, 0x77);
    set_mdscr(MDSCR_MDE | MDSCR_KDE);
    for (unsigned ctx = 0x76; ctx <= 0x77; ctx++) {
        WRITE_SYSREG(dbgbvr4_el1, ctx);
        WRITE_SYSREG(dbgbcr4_el1, BCR_E | BCR_PMC(3) | BCR_BT(3) | BCR_BAS(0xf));
        WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el1_seq + 4);
        WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_PMC(3) | BCR_BAS(0xf) | BCR_BT(1) | BCR_LBN(4));
        ISB();
        debug_unmask();
        r = call_el1_seq(1, &word);
        debug_mask();
        clear_breakpoints();
        printf("linked to context %lx: result %lu\n", (unsigned long)ctx, r);
        print_events("linked context breakpoint", (uint64_t)el1_seq, 0);
    }
    /* Linked to a breakpoint that is not context-aware (1), or to a disabled one: no events. */
    WRITE_SYSREG(dbgbvr1_el1, 0x77);
    WRITE_SYSREG(dbgbcr1_el1, BCR_E | BCR_PMC(3) | BCR_BT(3) | BCR_BAS(0xf));
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el1_seq + 4);
    WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_PMC(3) | BCR_BAS(0xf) | BCR_BT(1) | BCR_LBN(1));
    ISB();
    debug_unmask();
    r = call_el1_seq(1, &word);
    debug_mask();
    clear_breakpoints();
    print_events("linked to a non-context-aware breakpoint", (uint64_t)el1_seq, 0);
    /* A watchpoint linked to context breakpoint 5. */
    WRITE_SYSREG(dbgbvr5_el1, 0x77);
    WRITE_SYSREG(dbgbcr5_el1, BCR_E | BCR_PMC(3) | BCR_BT(3) | BCR_BAS(0xf));
    WRITE_SYSREG(dbgwvr1_el1, (uint64_t)watched);
    WRITE_SYSREG(dbgwcr1_el1, BCR_E | BCR_PMC(3) | WCR_LSC(3) | WCR_BAS(0xff) | WCR_WT | BCR_LBN(5));
    ISB();
    debug_unmask();
    ((access_fn)wp_str64)(watched, 1);
    debug_mask();
    clear_watchpoints();
    clear_breakpoints();
    print_events("watchpoint linked to context breakpoint 5", (uint64_t)wp_str64, (uint64_t)watched);
    WRITE_SYSREG(contextidr_el1, 0);
    set_mdscr(0);
}

/* One EL1 watchpoint (DBGWVR0/DBGWCR0) and one access through `fn` at `addr`. */
static void el1_watch(const char *name, uint64_t wvr, uint64_t wcr, const void *fn, volatile void *addr)
{
    set_mdscr(MDSCR_MDE | MDSCR_KDE);
    WRITE_SYSREG(dbgwvr0_el1, wvr);
    WRITE_SYSREG(dbgwcr0_el1, wcr);
    ISB();
    debug_unmask();
    ((access_fn)fn)((volatile uint64_t *)addr, 0x1122334455667788UL);
    debug_mask();
    clear_watchpoints();
    set_mdscr(0);
    print_events(name, (uint64_t)fn, (uint64_t)watched);
}

static void watchpoints(void)
{
    uint64_t w = (uint64_t)watched;
    uint64_t any = BCR_E | BCR_PMC(3) | WCR_LSC(3);
    el1_watch("store 8 on BAS 0xff", w, any | WCR_BAS(0xff), wp_str64, watched);
    el1_watch("load 8 on BAS 0xff", w, any | WCR_BAS(0xff), wp_ldr64, watched);
    el1_watch("load 8, watch loads only", w, BCR_E | BCR_PMC(3) | WCR_LSC(1) | WCR_BAS(0xff), wp_ldr64, watched);
    el1_watch("store 8, watch loads only", w, BCR_E | BCR_PMC(3) | WCR_LSC(1) | WCR_BAS(0xff), wp_str64, watched);
    el1_watch("store 8, watch stores only", w, BCR_E | BCR_PMC(3) | WCR_LSC(2) | WCR_BAS(0xff), wp_str64, watched);
    el1_watch("store 8 on BAS 0xf0", w, any | WCR_BAS(0xf0), wp_str64, watched);
    el1_watch("store byte +2 on BAS 0x0f", w, any | WCR_BAS(0x0f), wp_strb, (volatile char *)watched + 2);
    el1_watch("store byte +5 on BAS 0x0f", w, any | WCR_BAS(0x0f), wp_strb, (volatile char *)watched + 5);
    el1_watch("load half +6 on BAS 0x80", w, any | WCR_BAS(0x80), wp_ldrh, (volatile char *)watched + 6);
    el1_watch("load half +6 on 4-aligned WVR+4, BAS 0x04", w + 4, any | WCR_BAS(0x04), wp_ldrh, (volatile char *)watched + 6);
    el1_watch("store 8 at +8 on BAS 0xff", w, any | WCR_BAS(0xff), wp_str64, watched + 1);
    el1_watch("store 8 at +24 on MASK 5 (32 bytes)", w, any | WCR_MASK(5), wp_str64, watched + 3);
    el1_watch("store 8 at +24 on MASK 5, WVR + 16", w + 16, any | WCR_MASK(5), wp_str64, watched + 3);
    el1_watch("store 8 at +24 on MASK 4 (16 bytes)", w, any | WCR_MASK(4), wp_str64, watched + 3);
    el1_watch("store pair at +0 on BAS 0xff at +8", w + 8, any | WCR_BAS(0xff), wp_stp, watched);
    el1_watch("LDTR at EL1, watch EL0 only", w, BCR_E | BCR_PMC(2) | WCR_LSC(3) | WCR_BAS(0xff), wp_ldtr, watched);
    el1_watch("LDR at EL1, watch EL0 only", w, BCR_E | BCR_PMC(2) | WCR_LSC(3) | WCR_BAS(0xff), wp_ldr64, watched);
    el1_watch("LSC = 0 (reserved)", w, BCR_E | BCR_PMC(3) | WCR_BAS(0xff), wp_ldr64, watched);
    el1_watch("disabled", w, BCR_PMC(3) | WCR_LSC(3) | WCR_BAS(0xff), wp_ldr64, watched);

    /* EL0 accesses: a load then a store, each hitting once (the handler disarms). */
    set_mdscr(MDSCR_MDE);
    WRITE_SYSREG(dbgwvr2_el1, w);
    WRITE_SYSREG(dbgwcr2_el1, BCR_E | BCR_PMC(2) | WCR_LSC(2) | WCR_BAS(0xff));
    ISB();
    run_el0(el0_wp, 0, watched);
    print_events("EL0 store, watch EL0 stores", (uint64_t)el0_wp, w);
    WRITE_SYSREG(dbgwcr2_el1, BCR_E | BCR_PMC(1) | WCR_LSC(3) | WCR_BAS(0xff));
    ISB();
    run_el0(el0_wp, 0, watched);
    print_events("EL0 accesses, watch EL1 only", (uint64_t)el0_wp, w);
    clear_watchpoints();
    set_mdscr(0);
}

static void step_el0(const char *name, unsigned budget, unsigned hold, uint64_t mdscr)
{
    step_budget = budget;
    step_hold = hold;
    steps_seen = 0;
    set_mdscr(mdscr);
    run_el0(el0_seq, SPSR_SS, scratch);
    set_mdscr(0);
    print_events(name, (uint64_t)el0_seq, 0);
}

static void software_step(void)
{
    step_el0("step EL0 from its first instruction", 20, 0, MDSCR_SS);
    step_el0("step EL0, the 3rd step left active-pending", 20, 3, MDSCR_SS);
    step_el0("step EL0, stop after 2 steps", 2, 0, MDSCR_SS);
    /* With the OS lock set, no step exceptions. */
    WRITE_SYSREG(oslar_el1, 1);
    step_el0("step EL0 under the OS lock", 20, 0, MDSCR_SS);
    WRITE_SYSREG(oslar_el1, 0);
    /* A breakpoint while stepping: the step exception comes first at each instruction. */
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)el0_seq + 4);
    WRITE_SYSREG(dbgbcr0_el1, BCR_E | BCR_PMC(2) | BCR_BAS(0xf));
    step_el0("step EL0 with a breakpoint at +4", 3, 0, MDSCR_SS | MDSCR_MDE);
    clear_breakpoints();

    /* EL1 stepping itself: KDE = 1, an exception return into el1_seq with SPSR.SS = 1, D = 0. */
    uint64_t word = 0x42, r;
    step_budget = 20; step_hold = 0; steps_seen = 0;
    set_mdscr(MDSCR_SS | MDSCR_KDE);
    __asm__ volatile("adr x1, 1f\n\tmov x30, x1\n\t"
                     "msr elr_el1, %1\n\tmsr spsr_el1, %2\n\t"
                     "mov x0, #7\n\tmov x1, %3\n\t"
                     "eret\n1:\tmov %0, x0"
                     : "=r"(r) : "r"(el1_seq), "r"(0x5UL | SPSR_SS), "r"(&word)
                     : "x0", "x1", "x2", "x3", "x30", "memory");
    debug_mask();
    set_mdscr(0);
    printf("EL1 stepped result %lu\n", r);
    print_events("step EL1 through el1_seq", (uint64_t)el1_seq, 0);

    /* KDE = 1 with PSTATE.SS = 0: unmasking D makes the step active-pending at once. */
    step_budget = 0; steps_seen = 0;
    set_mdscr(MDSCR_SS | MDSCR_KDE);
    uint64_t at;
    __asm__ volatile("adr %0, 1f\n\tmsr daifclr, #8\n1:\tnop\n\tnop" : "=r"(at) :: "memory");
    debug_mask();
    set_mdscr(0);
    print_events("EL1 unmasking D with MDSCR_EL1.SS = 1", at, 0);

    /* KDE = 0: EL1 is not stepped even with D = 0 and SPSR.SS = 1. */
    set_mdscr(MDSCR_SS);
    __asm__ volatile("adr x1, 1f\n\tmsr elr_el1, x1\n\tmov x1, %0\n\tmsr spsr_el1, x1\n\teret\n1:\tnop\n\tnop"
                     :: "r"(0x5UL | SPSR_SS) : "x1", "memory");
    debug_mask();
    set_mdscr(0);
    print_events("EL1 with KDE = 0, SPSR.SS = 1", 0, 0);
}

static void dcc_trap(void)
{
    run_el0(el0_dcc, 0, scratch);
    print_events("EL0 MRS MDCCSR_EL0, TDCC = 0", (uint64_t)el0_dcc, 0);
    set_mdscr(MDSCR_TDCC);
    run_el0(el0_dcc, 0, scratch);
    set_mdscr(0);
    print_events("EL0 MRS MDCCSR_EL0, TDCC = 1", (uint64_t)el0_dcc, 0);
}

static void more(void)
{
    uint64_t w = (uint64_t)watched;
    uint64_t any = BCR_E | BCR_PMC(3) | WCR_LSC(3);
    el1_watch("load pair, watch +8", w + 8, any | WCR_BAS(0xff), wp_ldp, watched);
    el1_watch("load pair, watch +4", w, any | WCR_BAS(0xf0), wp_ldp, watched);
    el1_watch("load quadword, watch +8", w + 8, any | WCR_BAS(0xff), wp_ldrq, watched);
    el1_watch("load quadword, watch +12", w + 8, any | WCR_BAS(0xf0), wp_ldrq, watched);

    /* Stepping instructions that take exceptions: UNDEFINED and BRK leave SPSR.SS = 1, a
     * watchpoint hit comes instead of the step exception. */
    step_budget = 20; step_hold = 0; steps_seen = 0;
    set_mdscr(MDSCR_SS | MDSCR_MDE);
    WRITE_SYSREG(dbgwvr0_el1, w);
    WRITE_SYSREG(dbgwcr0_el1, BCR_E | BCR_PMC(2) | WCR_LSC(1) | WCR_BAS(0xff));
    ISB();
    run_el0(el0_faults, SPSR_SS, watched);
    set_mdscr(0);
    clear_watchpoints();
    print_events("step EL0 through faulting instructions", (uint64_t)el0_faults, w);

    step_budget = 20; step_hold = 0; steps_seen = 0;
    set_mdscr(MDSCR_SS);
    run_el0(el0_wfi, SPSR_SS, scratch);
    set_mdscr(0);
    print_events("step EL0 through WFI", (uint64_t)el0_wfi, 0);

    /* Debug registers QEMU 7.2's cortex-a53 lacks: UNDEFINED (0x5a stays). */
    uint64_t claimset, claimclr, oseccr;
    __asm__ volatile("mov %0, #0x5a\n\tmrs %0, dbgclaimset_el1" : "=&r"(claimset));
    __asm__ volatile("mov x0, #0x3\n\tmsr dbgclaimset_el1, x0" ::: "x0");
    __asm__ volatile("mov %0, #0x5a\n\tmrs %0, dbgclaimclr_el1" : "=&r"(claimclr));
    __asm__ volatile("mov x0, #0x5a\n\tmsr oseccr_el1, x0\n\tmov %0, #0x5a\n\tmrs %0, oseccr_el1" : "=&r"(oseccr) :: "x0");
    printf("DBGCLAIMSET_EL1 %lx, DBGCLAIMCLR_EL1 %lx, OSECCR_EL1 %lx\n", claimset, claimclr, oseccr);
    print_events("other debug registers", 0, 0);
}

int main(void)
{
    printf("debug: CurrentEL=%u\n", current_el());
    registers();
    WRITE_SYSREG(oslar_el1, 0);     /* the OS lock is set out of reset */
    ISB();
    el0_breakpoints();
    el1_breakpoints();
    linked_breakpoints();
    watchpoints();
    software_step();
    dcc_trap();
    more();
    printf("debug: done\n");
    return 0;
}
