/*
 * Shared pieces of the stage 1 translation tests; see mmu-common.h.
 */
#include "mmu-common.h"

uint64_t data_page[8192] __attribute__((aligned(65536)));

static volatile unsigned taken;
static volatile uint64_t last_esr, last_far, last_elr;
volatile uint64_t *af_fix_pte;
volatile int resume_to_lr;

void tlb_flush_va(uint64_t va)
{
    /* TLBI VAE1 takes VA[55:12] whatever the granule, ASID in [63:48]
     * (ARM ARM C5.5). */
    uint64_t op = (va >> 12) & ((1UL << 44) - 1);
    __asm__ volatile("dsb ishst\n\ttlbi vae1, %0\n\tdsb ish\n\tisb" :: "r"(op) : "memory");
}

void exception_handler(unsigned slot, struct exc_frame *f)
{
    uint64_t esr = READ_SYSREG(esr_el1);
    unsigned dfsc = esr & 0x3f;
    taken++;
    last_esr = esr;
    last_far = READ_SYSREG(far_el1);
    last_elr = f->elr;
    if (VEC_KIND(slot) != 0) {
        uart_base = UART0_BASE;
        printf("unexpected asynchronous exception\n");
        psci_system_off();
    }
    /* Access flag fault, level 3 (DFSC 0b001011): set AF and retry. */
    if (af_fix_pte && dfsc == 0x0b) {
        *af_fix_pte |= D_AF;
        tlb_flush_va(last_far);
        return;
    }
    if (resume_to_lr)
        f->elr = f->x[30];
    else
        f->elr += 4;
}

unsigned fault_count(void) { return taken; }

void report(const char *name)
{
    if (!taken) {
        printf("  %-18s no fault\n", name);
        return;
    }
    printf("  %-18s ESR=%08lx EC=%02lx FSC=%02lx WnR=%lu FAR=%016lx (x%u)\n", name, last_esr,
           (last_esr >> 26) & 0x3f, last_esr & 0x3f, (last_esr >> 6) & 1, last_far, taken);
    taken = 0;
}

void mmu_enable(uint64_t tcr, uint64_t *ttbr0, uint64_t *ttbr1)
{
    WRITE_SYSREG(mair_el1, 0x00ffUL);    /* attr0 normal WB, attr1 device */
    WRITE_SYSREG(tcr_el1, tcr);
    WRITE_SYSREG(ttbr0_el1, ttbr0);
    WRITE_SYSREG(ttbr1_el1, ttbr1);
    __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    sctlr |= (1 << 0) | (1 << 2) | (1 << 12);   /* M, C, I */
    WRITE_SYSREG(sctlr_el1, sctlr);
    ISB();
}

void mmu_disable(void)
{
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    sctlr &= ~((1UL << 0) | (1UL << 2) | (1UL << 12));
    WRITE_SYSREG(sctlr_el1, sctlr);
    ISB();
    __asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
}

void run_checks(uint64_t page, volatile uint64_t *af_pte, uint64_t unmapped_upper, uint64_t out_of_range)
{
    uint64_t rw = ALIAS_VA, ro = ALIAS_VA + page, noaf = ALIAS_VA + 2 * page;
    uint64_t uart_alias = ALIAS_VA + 3 * page, hole = ALIAS_VA + 4 * page;

    printf("  SCTLR_EL1.M=%lu\n", READ_SYSREG(sctlr_el1) & 1);
    data_page[1] = 0x1111222233334444ULL;
    printf("  alias read         %016lx\n", read64(rw + 8));
    write64(rw + 16, 0xa5a5a5a5deadbeefULL);
    printf("  identity sees      %016lx\n", data_page[2]);
    printf("  ro alias read      %016lx\n", read64(ro + 16));

    uart_base = uart_alias;
    uart_puts("  (this line went through the UART alias mapping)\n");
    uart_base = UART0_BASE;

    write64(ro + 8, 1);
    report("write read-only");
    printf("  value unchanged    %016lx\n", data_page[1]);

    af_fix_pte = af_pte;
    uint64_t v = read64(noaf + 16);
    report("access flag");
    af_fix_pte = 0;
    printf("  after AF fix-up    %016lx AF=%lu\n", v, (*af_pte >> 10) & 1);

    read64(hole);
    report("translation L3");
    read64(unmapped_upper);
    report("translation upper");
    write64(out_of_range, 0);
    report("VA out of range");

    /* Execute from the UART alias, which is execute-never. */
    resume_to_lr = 1;
    __asm__ volatile("blr %0" :: "r"(uart_alias) : "x30", "memory");
    resume_to_lr = 0;
    report("exec XN page");
}
