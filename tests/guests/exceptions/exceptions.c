/*
 * exceptions (EL1): takes one synchronous exception of each common class
 * through its own vector table (VBAR_EL1) and prints the vector slot,
 * ESR_EL1 (ARM ARM D17.2.37), FAR_EL1 where the architecture defines it,
 * and ELR_EL1 as an offset from the instruction that caused it.
 */
#include "runtime.h"

static volatile unsigned taken, last_slot;
static volatile uint64_t last_esr, last_far, last_elr;

/* How the handler resumes after the exception. */
enum resume {
    SKIP,        /* ELR += 4 (faulting instruction is skipped) */
    AS_IS,       /* leave ELR: SVC/HVC already point past the instruction */
    TO_LR,       /* ELR = x30: for branches to a bad address made with BLR */
    FP_RETRY,    /* re-enable FP/SIMD and re-execute the instruction */
};
static volatile enum resume resume_mode;
static uint64_t el0_return;   /* where svc #0xffff from EL0 comes back to */
static volatile uint64_t el0_esr[8], el0_elr[8];
static volatile unsigned el0_count;

void exception_handler(unsigned slot, struct exc_frame *f)
{
    uint64_t esr = READ_SYSREG(esr_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    last_slot = slot;
    last_esr = esr;
    last_far = READ_SYSREG(far_el1);
    last_elr = f->elr;
    taken++;

    if (VEC_KIND(slot) != 0) {
        printf("unexpected asynchronous exception, slot %u\n", slot);
        psci_system_off();
    }
    if (VEC_GROUP(slot) == 2 && el0_count < 8) {
        el0_esr[el0_count] = esr;
        el0_elr[el0_count] = f->elr;
        el0_count++;
    }
    /* EL0 asks to return to EL1: resume after the eret that entered EL0. */
    if (ec == 0x15 && (esr & 0xffff) == 0xffff && VEC_GROUP(slot) == 2) {
        f->elr = el0_return;
        f->spsr = 0x3c5;  /* EL1h with DAIF masked */
        return;
    }
    /* A trap from EL0 (other than SVC) skips the instruction. */
    if (VEC_GROUP(slot) == 2) {
        if (ec != 0x15)
            f->elr += 4;
        return;
    }
    switch (resume_mode) {
    case SKIP:
        f->elr += 4;
        break;
    case AS_IS:
        break;
    case TO_LR:
        f->elr = f->x[30];
        break;
    case FP_RETRY:
        WRITE_SYSREG(cpacr_el1, 3 << 20);
        ISB();
        break;
    }
}

static void report(const char *name, uint64_t ref, int show_far)
{
    if (!taken) {
        printf("%-14s no exception\n", name);
        return;
    }
    printf("%-14s slot=%u ESR=%08lx EC=%02lx ELR=%ld", name, last_slot, last_esr,
           (last_esr >> 26) & 0x3f, (int64_t)(last_elr - ref));
    if (show_far)
        printf(" FAR=%016lx", last_far);
    printf("\n");
    taken = 0;
}

static uint64_t buf[4] __attribute__((aligned(16)));

static void el1_tests(void)
{
    uint64_t pc, tmp;

    resume_mode = AS_IS;
    __asm__ volatile("adr %0, 1f\n1:\tsvc #0x42" : "=&r"(pc) :: "memory");
    report("svc", pc, 0);

    resume_mode = SKIP;
    __asm__ volatile("adr %0, 1f\n1:\tbrk #0x7" : "=&r"(pc) :: "memory");
    report("brk", pc, 0);

    __asm__ volatile("adr %0, 1f\n1:\t.inst 0x00000000" : "=&r"(pc) :: "memory");
    report("udf", pc, 0);

    /* EL2 registers are UNDEFINED at EL1. */
    __asm__ volatile("adr %0, 1f\n1:\tmrs %1, elr_el2" : "=&r"(pc), "=&r"(tmp) :: "memory");
    report("mrs-el2-reg", pc, 0);

    /*
     * With no EL2 the board's PSCI implementation owns HVC: an unknown
     * function id returns NOT_SUPPORTED (-1) in x0 instead of trapping.
     */
    printf("%-14s x0=%ld\n", "hvc-unknown-fn", (long)psci_call(0x84001234UL, 0, 0, 0));

    /*
     * Data aborts: a physical address inside the virt board's memory map
     * where nothing is mapped (external abort), and one above the 40-bit
     * physical address range of the Cortex-A53 (address size fault).
     */
    __asm__ volatile("adr %0, 1f\n1:\tldr %1, [%2]" : "=&r"(pc), "=&r"(tmp) : "r"(0x80000000UL) : "memory");
    report("load-unmapped", pc, 1);
    __asm__ volatile("adr %0, 1f\n1:\tstr wzr, [%1, #8]" : "=&r"(pc) : "r"(0x81000000UL) : "memory");
    report("store-unmapped", pc, 1);
    __asm__ volatile("adr %0, 1f\n1:\tldrb %w1, [%2]" : "=&r"(pc), "=&r"(tmp) : "r"(0x0000100000000000UL) : "memory");
    report("load-above-pa", pc, 1);

    /* Alignment checking enabled by SCTLR_EL1.A (bit 1). */
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    WRITE_SYSREG(sctlr_el1, sctlr | 2);
    ISB();
    __asm__ volatile("adr %0, 1f\n1:\tldr %w1, [%2]" : "=&r"(pc), "=&r"(tmp) : "r"((uintptr_t)buf + 2) : "memory");
    report("align-ldr", pc, 1);
    __asm__ volatile("adr %0, 1f\n1:\tstp %1, %1, [%2]" : "=&r"(pc) : "r"(0UL), "r"((uintptr_t)buf + 4) : "memory");
    report("align-stp", pc, 1);
    __asm__ volatile("adr %0, 1f\n1:\tldrh %w1, [%2]" : "=&r"(pc), "=&r"(tmp) : "r"((uintptr_t)buf + 2) : "memory");
    report("aligned-ldrh", pc, 0);
    WRITE_SYSREG(sctlr_el1, sctlr);
    ISB();
    /* Exclusives must be aligned whatever SCTLR_EL1.A says. */
    __asm__ volatile("adr %0, 1f\n1:\tldxr %1, [%2]" : "=&r"(pc), "=&r"(tmp) : "r"((uintptr_t)buf + 4) : "memory");
    report("align-ldxr", pc, 1);

    /*
     * SP alignment checking (SCTLR_EL1.SA) is deliberately not exercised:
     * QEMU's TCG does not implement it, so it cannot serve as a reference.
     */

    /* PC alignment fault (BLR to an address that is not a multiple of 4). */
    resume_mode = TO_LR;
    __asm__ volatile("adr %0, 1f\n\tadd %0, %0, #2\n\tblr %0\n1:\tnop" : "=&r"(pc) :: "x30", "memory");
    report("pc-align", pc, 1);

    /* Instruction fetch from an unmapped physical address. */
    __asm__ volatile("mov %0, #0x80000000\n\tblr %0" : "=&r"(pc) :: "x30", "memory");
    report("ifetch-unmapped", pc, 1);

    /* FP/SIMD access trapped by CPACR_EL1.FPEN = 0 (ARM ARM D13.2.30). */
    resume_mode = FP_RETRY;
    WRITE_SYSREG(cpacr_el1, 0);
    ISB();
    __asm__ volatile("adr %0, 1f\n1:\tfmov d0, %1\n\tfmov %1, d0" : "=&r"(pc), "+r"(tmp) :: "v0", "memory");
    report("fp-trap", pc, 0);
    __asm__ volatile("adr %0, 1f\n1:\tfmov d0, %1" : "=&r"(pc) : "r"(tmp) : "v0", "memory");
    report("fp-enabled", pc, 0);
}

/* Code run at EL0; it uses only x0 and never touches the stack. */
__asm__(".text\n.balign 4\n"
        ".global el0_code\n"
        "el0_code:\n"
        "\tsvc #1\n"
        "\tmrs x0, sctlr_el1\n"     /* UNDEFINED at EL0 */
        "\tmrs x0, cntfrq_el0\n"    /* trapped: CNTKCTL_EL1.EL0{P,V}CTEN == 0 */
        "\twfi\n"                   /* trapped: SCTLR_EL1.nTWI == 0 */
        "\tmrs x0, cntvct_el0\n"
        "\tsvc #0xffff\n");
extern char el0_code[];

static void el0_tests(void)
{
    /*
     * Enter EL0 with an exception return (SPSR_EL1 = EL0t). Each
     * exception from EL0 arrives at the "lower EL, AArch64" vectors and is
     * recorded; the final svc #0xffff resumes EL1 just after the eret.
     */
    static const char *const names[] = {
        "el0-svc", "el0-mrs-sctlr", "el0-cntfrq", "el0-wfi", "el0-cntvct", "el0-return",
    };
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    WRITE_SYSREG(cntkctl_el1, 0);                    /* EL0PCTEN = EL0VCTEN = 0 */
    WRITE_SYSREG(sctlr_el1, sctlr & ~(1UL << 16));   /* nTWI = 0: trap WFI */
    ISB();
    el0_count = 0;
    taken = 0;
    __asm__ volatile("adr x1, 1f\n\tstr x1, [%1]\n\t"
                     "msr elr_el1, %0\n\tmsr spsr_el1, xzr\n\tmsr sp_el0, xzr\n\t"
                     "eret\n1:"
                     :: "r"(el0_code), "r"(&el0_return) : "x0", "x1", "memory");
    WRITE_SYSREG(sctlr_el1, sctlr);
    ISB();
    for (unsigned i = 0; i < el0_count; i++)
        printf("%-14s slot=8 ESR=%08lx EC=%02lx ELR=%ld\n", i < 6 ? names[i] : "el0-extra",
               el0_esr[i], (el0_esr[i] >> 26) & 0x3f, (int64_t)(el0_elr[i] - (uint64_t)el0_code));
    taken = 0;
}

int main(void)
{
    printf("exceptions: EL%u\n", current_el());
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();
    el1_tests();
    el0_tests();
    printf("exceptions: done\n");
    return 0;
}
