/*
 * el3: run with -machine virt,secure=on,virtualization=on so the image
 * starts at EL3 in Secure state, as firmware would (QEMU then provides
 * no PSCI; the end of the run powers off through the secure GPIO).
 *
 * At EL3: SMC and HVC taken at EL3, SCR_EL3.HCE gating HVC, CPTR_EL3.TFP,
 * illegal exception returns (SCR_EL3.RW = 0, or EL2 while SCR_EL3.NS = 0)
 * and Secure-only memory. Then SCR_EL3 = {NS, RW, HCE} and ERET to
 * Non-secure EL2, where HVC is taken at EL2 and SMC at EL3; then EL1,
 * where SMC goes to EL3, WFI traps with SCR_EL3.TWI, FP traps with
 * CPTR_EL3.TFP, a Secure-only address aborts, HCR_EL2.TSC wins over
 * SCR_EL3.SMD, and SMC is UNDEFINED with SCR_EL3.SMD. Physical IRQs are
 * routed to EL3 with SCR_EL3.IRQ (the virtual timer through the GICv2)
 * and taken from EL1 and EL2 even though PSTATE.I masks them there
 * (ARM ARM D1.13.1 / D13.2.113 "SCR_EL3").
 */
#include "runtime.h"

#define SCR_NS   (1UL << 0)
#define SCR_IRQ  (1UL << 1)
#define SCR_SMD  (1UL << 7)
#define SCR_HCE  (1UL << 8)
#define SCR_RW   (1UL << 10)
#define SCR_TWI  (1UL << 12)
#define CPTR_TFP (1UL << 10)
#define HCR_RW   (1UL << 31)
#define HCR_TSC  (1UL << 19)

#define SPSR_EL1H 0x3c5UL   /* EL1h, DAIF masked */
#define SPSR_EL2H 0x3c9UL
#define SPSR_EL3H 0x3cdUL

#define GICD_BASE 0x08000000UL
#define GICC_BASE 0x08010000UL
#define SECURE_RAM 0x0e000000UL
#define INTID_VTIMER 27

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

struct entry {
    unsigned el, slot;
    uint64_t esr, elr, spsr;
};
static volatile struct entry log[24];
static volatile unsigned nlog;
/* Set by the EL3 IRQ handler; the code that waits for the interrupt spins on it. */
volatile uint32_t irq_taken;
static volatile int finishing;

static uint8_t el2_stack[4096] __attribute__((aligned(16)));
static uint8_t el1_stack[4096] __attribute__((aligned(16)));
extern char el1_code[];
static void el3_finish(void) __attribute__((noreturn));
static void el2_after_el1(void) __attribute__((noreturn));

static uint64_t esr_of(unsigned el)
{
    return el == 3 ? READ_SYSREG(esr_el3) : el == 2 ? READ_SYSREG(esr_el2) : READ_SYSREG(esr_el1);
}

static void arm_vtimer(void)
{
    WRITE_SYSREG(cntv_tval_el0, 2000);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    ISB();
}

/* EL3 services requested from lower ELs with "smc #imm". */
static void el3_service(unsigned imm)
{
    uint64_t scr = READ_SYSREG(scr_el3);
    switch (imm) {
    case 0x53: scr |= SCR_TWI; break;
    case 0x54: scr |= SCR_IRQ; arm_vtimer(); break;
    case 0x55: WRITE_SYSREG(cptr_el3, CPTR_TFP); break;
    case 0x57: scr |= SCR_SMD; break;
    }
    WRITE_SYSREG(scr_el3, scr);
    ISB();
}

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    uint64_t esr = VEC_KIND(slot) == 0 ? esr_of(el) : 0;
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;

    if (nlog < 24) {
        volatile struct entry *e = &log[nlog++];
        e->el = el;
        e->slot = slot;
        e->esr = esr;
        e->elr = f->elr;
        e->spsr = f->spsr;
    }
    if (VEC_KIND(slot) == 1 && el == 3) {
        /* IRQ routed to EL3: acknowledge at the GIC CPU interface (a Secure access). */
        uint32_t iar = r32(GICC_BASE + 0x0c);
        if ((iar & 0x3ff) == INTID_VTIMER)
            WRITE_SYSREG(cntv_ctl_el0, 0);
        w32(GICC_BASE + 0x10, iar);
        log[nlog - 1].esr = iar;
        irq_taken = 1;
        if (finishing) {
            f->elr = (uint64_t)el3_finish;
            f->spsr = SPSR_EL3H;
        }
        return;
    }
    if (VEC_KIND(slot) != 0) {
        printf("unexpected asynchronous exception at EL%u slot %u\n", el, slot);
        psci_system_off();
    }
    switch (ec) {
    case 0x0e: /* illegal execution state: resume at EL3 after the ERET */
        f->elr = f->x[30];
        f->spsr &= ~(1UL << 20);
        return;
    case 0x07: /* FP trap with CPTR_EL3.TFP: clear it and skip the instruction */
        if (el == 3)
            WRITE_SYSREG(cptr_el3, 0);
        f->elr += 4;
        return;
    case 0x16: /* HVC: the return address is the next instruction */
        if (el == 2 && (esr & 0xffff) == 0x59)
            WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) | HCR_TSC);
        if (el == 2 && (esr & 0xffff) == 0xff) {
            f->elr = (uint64_t)el2_after_el1;
            f->spsr = SPSR_EL2H;
        }
        return;
    case 0x17:
        if (el == 3)
            el3_service(esr & 0xffff);   /* a real SMC: ELR is already past it */
        else
            f->elr += 4;                 /* trapped by HCR_EL2.TSC: ELR is the SMC */
        return;
    case 0x01: /* WFI trapped by SCR_EL3.TWI */
        WRITE_SYSREG(scr_el3, READ_SYSREG(scr_el3) & ~SCR_TWI);
        f->elr += 4;
        return;
    default:
        f->elr += 4;
        return;
    }
}

static void print_log(uint64_t ref)
{
    for (unsigned i = 0; i < nlog; i++) {
        volatile struct entry *e = &log[i];
        if (VEC_KIND(e->slot) == 1) {
            /* The interrupted instruction depends on timing: only its EL and masks are shown. */
            printf("  EL%u slot=%2u IRQ INTID %u, SPSR.{DAIF,M}=%03lx\n", e->el, e->slot,
                   (unsigned)e->esr & 0x3ff, e->spsr & 0x3ff);
            continue;
        }
        printf("  EL%u slot=%2u ESR_EL%u=%08lx EC=%02lx ELR=%ld SPSR=%08lx\n", e->el, e->slot, e->el,
               e->esr, (e->esr >> 26) & 0x3f, (int64_t)(e->elr - ref), e->spsr);
    }
    nlog = 0;
}

/*
 * EL1 code, entered by ERET from EL2. The offset of each instruction is
 * listed so ELR values can be checked against them.
 */
__asm__(".text\n.balign 4\n"
        ".global el1_code\n"
        "el1_code:\n"
        "\tsmc #0x51\n"              /* 0:  to EL3, ELR = 4 */
        "\thvc #0x52\n"              /* 4:  to EL2, ELR = 8 */
        "\tsmc #0x53\n"              /* 8:  EL3 sets SCR_EL3.TWI */
        "\twfi\n"                    /* 12: to EL3 (EC 0x01), ELR = 12 */
        "\tsmc #0x54\n"              /* 16: EL3 sets SCR_EL3.IRQ, arms the timer */
        "\tadrp x1, irq_taken\n"     /* 20 */
        "\tadd x1, x1, :lo12:irq_taken\n" /* 24 */
        "1:\tldr w0, [x1]\n"         /* 28: IRQ to EL3 although PSTATE.I = 1 */
        "\tcbz w0, 1b\n"             /* 32 */
        "\tsmc #0x55\n"              /* 36: EL3 sets CPTR_EL3.TFP */
        "\tfmov s0, wzr\n"           /* 40: to EL3 (EC 0x07), ELR = 40 */
        "\tmov x1, #0x0e000000\n"    /* 44 */
        "\tldr w0, [x1]\n"           /* 48: Secure RAM from Non-secure: external abort to EL1 */
        "\tsmc #0x57\n"              /* 52: EL3 sets SCR_EL3.SMD */
        "\tsmc #0x58\n"              /* 56: UNDEFINED: to EL1 (EC 0x00), ELR = 56 */
        "\thvc #0x59\n"              /* 60: EL2 sets HCR_EL2.TSC */
        "\tsmc #0x5a\n"              /* 64: TSC wins over SMD: to EL2 (EC 0x17), ELR = 64 */
        "\thvc #0xff\n");            /* 68: to EL2, which continues in el2_after_el1 */

static void el2_after_el1(void)
{
    uint64_t pc;

    printf("back at EL%u:\n", current_el());
    print_log((uint64_t)el1_code);
    WRITE_SYSREG(hcr_el2, HCR_RW);
    ISB();
    printf("SMC at EL2 with SCR_EL3.SMD:\n");
    __asm__ volatile("adr %0, 1f\n1:\tsmc #0x61" : "=&r"(pc) :: "memory");
    print_log(pc);
    printf("IRQ at EL2 with PSTATE.I = 1:\n");
    finishing = 1;
    irq_taken = 0;
    arm_vtimer();
    while (!irq_taken)
        ;
    printf("not reached\n");
    psci_system_off();
}

static void el3_finish(void)
{
    print_log(0);
    printf("back at EL%u, SCR_EL3=%08lx\n", current_el(), READ_SYSREG(scr_el3));
    printf("el3: done\n");
    psci_system_off();
}

static void el2_main(void)
{
    uint64_t pc;

    printf("at EL%u:\n", current_el());
    __asm__ volatile("adr %0, 1f\n1:\thvc #0x41" : "=&r"(pc) :: "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\tsmc #0x42" : "=&r"(pc) :: "memory");
    print_log(pc);

    printf("to EL1:\n");
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    WRITE_SYSREG(spsr_el2, SPSR_EL1H);
    WRITE_SYSREG(elr_el2, el1_code);
    ISB();
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}

static void gic_init(void)
{
    /* GICv2 with the Security Extensions, programmed from Secure state:
     * the virtual timer PPI stays in Group 0, signalled as IRQ because
     * GICC_CTLR.FIQEn = 0 (IHI 0048B 3.3.1). */
    w32(GICD_BASE + 0x000, 1);                       /* GICD_CTLR.EnableGrp0 */
    w8(GICD_BASE + 0x400 + INTID_VTIMER, 0x80);      /* priority */
    w32(GICD_BASE + 0x100, 1u << INTID_VTIMER);      /* GICD_ISENABLER0 */
    w32(GICC_BASE + 0x004, 0xf0);                    /* GICC_PMR */
    w32(GICC_BASE + 0x000, 1);                       /* GICC_CTLR.EnableGrp0 */
}

/* An ERET from EL3 that must be illegal; the handler resumes after it. */
static void illegal_eret(uint64_t scr, uint64_t spsr)
{
    uint64_t pc;
    WRITE_SYSREG(scr_el3, scr);
    WRITE_SYSREG(spsr_el3, spsr);
    __asm__ volatile("adr %0, 1f\n\tmsr elr_el3, %0\n\tadr x30, 2f\n\tisb\n\teret\n"
                     "1:\tnop\n2:" : "=&r"(pc) :: "x30", "memory");
    print_log(pc);
    printf("  still at EL%u\n", current_el());
}

int main(void)
{
    uint64_t pc;

    printf("el3: CurrentEL=%u\n", current_el());
    if (current_el() != 3) {
        printf("el3: needs -machine virt,secure=on\n");
        return 0;
    }
    printf("ID_AA64PFR0_EL1.EL3 %s, .EL2 %s\n",
           (READ_SYSREG(id_aa64pfr0_el1) >> 12) & 0xf ? "implemented" : "absent",
           (READ_SYSREG(id_aa64pfr0_el1) >> 8) & 0xf ? "implemented" : "absent");
    printf("reset: SCR_EL3=%08lx SCTLR_EL3=%08lx CPTR_EL3=%lx MDCR_EL3=%lx RVBAR_EL3=%lx\n",
           READ_SYSREG(scr_el3), READ_SYSREG(sctlr_el3), READ_SYSREG(cptr_el3),
           READ_SYSREG(mdcr_el3), READ_SYSREG(rvbar_el3));
    WRITE_SYSREG(vbar_el3, exception_vectors);
    WRITE_SYSREG(vbar_el2, exception_vectors);
    ISB();
    WRITE_SYSREG(scr_el3, ~0UL);
    printf("SCR_EL3 writes: ~0 -> %08lx, ", READ_SYSREG(scr_el3));
    WRITE_SYSREG(scr_el3, 0);
    printf("0 -> %08lx\n", READ_SYSREG(scr_el3));

    printf("at EL3:\n");
    __asm__ volatile("adr %0, 1f\n1:\tsmc #0x31" : "=&r"(pc) :: "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\thvc #0x32" : "=&r"(pc) :: "memory");
    print_log(pc);
    /* HVC at EL3 with SCR_EL3.HCE = 1 is taken at EL3 (ARM ARM C6.2.100), but QEMU 7.2
     * takes it to EL2, so it is not exercised here. */
    WRITE_SYSREG(cptr_el3, CPTR_TFP);
    ISB();
    __asm__ volatile("adr %0, 1f\n1:\tfmov d0, xzr" : "=&r"(pc) :: "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\tmrs x0, rmr_el3" : "=&r"(pc) :: "x0", "memory");
    print_log(pc);
    w32(SECURE_RAM, 0x5ec0de);
    printf("Secure RAM at EL3: %08x, secure UART UARTFR: %08x\n", r32(SECURE_RAM), r32(0x09040018));

    printf("ERET to EL2 with SCR_EL3.RW = 0:\n");
    illegal_eret(SCR_NS | SCR_HCE, SPSR_EL2H);
    printf("ERET to EL2 with SCR_EL3.NS = 0:\n");
    illegal_eret(SCR_RW | SCR_HCE, SPSR_EL2H);

    gic_init();
    printf("to Non-secure EL2 with SCR_EL3 = {NS, RW, HCE}:\n");
    WRITE_SYSREG(scr_el3, SCR_NS | SCR_RW | SCR_HCE);
    WRITE_SYSREG(hcr_el2, HCR_RW);
    WRITE_SYSREG(sp_el2, (uint64_t)(el2_stack + sizeof el2_stack));
    WRITE_SYSREG(spsr_el3, SPSR_EL2H);
    WRITE_SYSREG(elr_el3, el2_main);
    ISB();
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}
