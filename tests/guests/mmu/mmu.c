/*
 * mmu: stage 1 translation at EL1 with the 4 KB granule and then with
 * the 64 KB granule (ARM ARM D8, "The AArch64 Virtual Memory System
 * Architecture"). Each phase identity-maps RAM and the UART, adds an
 * alias window at VA 0x80000000 (RW view, read-only view, a page with
 * the access flag clear, the UART), turns the MMU on and then:
 *   - reads and writes through the alias and checks the identity view,
 *   - prints a line through the UART alias,
 *   - takes a permission fault, an access-flag fault (fixed up and
 *     retried), translation faults at two levels, an out-of-range VA
 *     fault and an execute-never instruction abort,
 * printing ESR_EL1/FAR_EL1 for each.
 */
#include "runtime.h"

#define PAGE_4K  0x1000UL
#define PAGE_64K 0x10000UL

/* Descriptor bits (ARM ARM D8.3). */
#define D_VALID    (1UL << 0)
#define D_TABLE    (3UL << 0)   /* table at levels 0-2, page at level 3 */
#define D_BLOCK    (1UL << 0)
#define D_ATTR(i)  ((uint64_t)(i) << 2)
#define D_AP_RO    (2UL << 6)   /* AP[2:1] = 0b10: read-only at EL1 */
#define D_SH_INNER (3UL << 8)
#define D_AF       (1UL << 10)
#define D_PXN      (1UL << 53)
#define D_UXN      (1UL << 54)

#define ATTR_NORMAL 0   /* MAIR attr0 = 0xff, write-back cacheable */
#define ATTR_DEVICE 1   /* MAIR attr1 = 0x00, Device-nGnRnE */

#define NORMAL (D_ATTR(ATTR_NORMAL) | D_SH_INNER | D_AF)
#define DEVICE (D_ATTR(ATTR_DEVICE) | D_AF | D_PXN | D_UXN)

#define ALIAS_VA 0x80000000UL

/* 64 KB tables, 64 KB aligned; the 4 KB phase uses the start of each. */
static uint64_t tbl_a[8192] __attribute__((aligned(65536)));
static uint64_t tbl_b[8192] __attribute__((aligned(65536)));
static uint64_t tbl_c[8192] __attribute__((aligned(65536)));
static uint64_t tbl_d[8192] __attribute__((aligned(65536)));
static uint64_t data_page[8192] __attribute__((aligned(65536)));

static volatile unsigned taken;
static volatile uint64_t last_esr, last_far, last_elr;
static volatile uint64_t *af_fix_pte;   /* PTE to repair on an access-flag fault */
static volatile int resume_to_lr;

static void tlb_flush_va(uint64_t va)
{
    /* TLBI VAE1 takes VA[55:12] whatever the granule (ARM ARM C5.5). */
    __asm__ volatile("dsb ishst\n\ttlbi vae1, %0\n\tdsb ish\n\tisb" :: "r"(va >> 12) : "memory");
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

static void report(const char *name)
{
    if (!taken) {
        printf("  %-18s no fault\n", name);
        return;
    }
    printf("  %-18s ESR=%08lx EC=%02lx FSC=%02lx WnR=%lu FAR=%016lx (x%u)\n", name, last_esr,
           (last_esr >> 26) & 0x3f, last_esr & 0x3f, (last_esr >> 6) & 1, last_far, taken);
    taken = 0;
}

static uint64_t read64(uint64_t va) { uint64_t v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(va) : "memory"); return v; }
static void write64(uint64_t va, uint64_t v) { __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(va) : "memory"); }

static void mmu_enable(uint64_t tcr, uint64_t *root)
{
    WRITE_SYSREG(mair_el1, 0x00ffUL);    /* attr0 normal WB, attr1 device */
    WRITE_SYSREG(tcr_el1, tcr);
    WRITE_SYSREG(ttbr0_el1, root);
    __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    sctlr |= (1 << 0) | (1 << 2) | (1 << 12);   /* M, C, I */
    WRITE_SYSREG(sctlr_el1, sctlr);
    ISB();
}

static void mmu_disable(void)
{
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    sctlr &= ~((1UL << 0) | (1UL << 2) | (1UL << 12));
    WRITE_SYSREG(sctlr_el1, sctlr);
    ISB();
    __asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
}

/*
 * Common checks once the MMU is on. page = size of one alias page;
 * the alias window is: +0 RW, +1 page RO, +2 pages AF clear, +3 UART,
 * +4 invalid.
 */
static void run_checks(uint64_t page, volatile uint64_t *af_pte, uint64_t unmapped_upper)
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
    write64(0x0000008000000000UL, 0);
    report("VA out of range");

    /* Execute from the UART alias, which is execute-never. */
    resume_to_lr = 1;
    __asm__ volatile("blr %0" :: "r"(uart_alias) : "x30", "memory");
    resume_to_lr = 0;
    report("exec XN page");
}

static void phase_4k(void)
{
    uint64_t *l1 = tbl_a, *l2dev = tbl_b, *l2alias = tbl_c, *l3 = tbl_d;
    memset(tbl_a, 0, 4096);
    memset(tbl_b, 0, 4096);
    memset(tbl_c, 0, 4096);
    memset(tbl_d, 0, 4096);

    /* L1 entries cover 1 GB, L2 2 MB, L3 4 KB. */
    l1[0] = (uint64_t)l2dev | D_TABLE;
    l2dev[0x08000000 >> 21] = 0x08000000UL | DEVICE | D_BLOCK;   /* GIC */
    l2dev[0x09000000 >> 21] = 0x09000000UL | DEVICE | D_BLOCK;   /* UART etc. */
    l1[1] = 0x40000000UL | NORMAL | D_BLOCK;                       /* RAM */
    l1[2] = (uint64_t)l2alias | D_TABLE;
    l2alias[0] = (uint64_t)l3 | D_TABLE;
    uint64_t pa = (uint64_t)data_page;
    l3[0] = pa | NORMAL | D_TABLE;
    l3[1] = pa | NORMAL | D_AP_RO | D_TABLE;
    l3[2] = (pa | NORMAL | D_TABLE) & ~D_AF;
    l3[3] = 0x09000000UL | DEVICE | D_TABLE;

    /*
     * TCR_EL1: T0SZ = 25 (39-bit VA, walk starts at level 1), IRGN0 = ORGN0
     * = write-back, SH0 = inner shareable, TG0 = 4 KB, EPD1 = 1 (no TTBR1
     * walks), IPS = 40 bits.
     */
    uint64_t tcr = 25 | (1 << 8) | (1 << 10) | (3 << 12) | (0UL << 14) | (1UL << 23) | (2UL << 32);
    printf("4K granule: TCR_EL1=%016lx\n", tcr);
    mmu_enable(tcr, l1);
    run_checks(PAGE_4K, &l3[2], 0xC0000000UL);
    mmu_disable();
}

static void phase_64k(void)
{
    uint64_t *l2 = tbl_a, *l3dev = tbl_b, *l3alias = tbl_c;
    memset(tbl_a, 0, sizeof tbl_a);
    memset(tbl_b, 0, sizeof tbl_b);
    memset(tbl_c, 0, sizeof tbl_c);

    /* With 64 KB pages and a 39-bit VA the walk starts at level 2, whose
     * entries cover 512 MB; level 3 entries map 64 KB pages. */
    l2[0] = (uint64_t)l3dev | D_TABLE;
    l3dev[0x08000000 >> 16] = 0x08000000UL | DEVICE | D_TABLE;
    l3dev[0x09000000 >> 16] = 0x09000000UL | DEVICE | D_TABLE;
    l2[0x40000000 >> 29] = 0x40000000UL | NORMAL | D_BLOCK;
    l2[ALIAS_VA >> 29] = (uint64_t)l3alias | D_TABLE;
    uint64_t pa = (uint64_t)data_page;
    l3alias[0] = pa | NORMAL | D_TABLE;
    l3alias[1] = pa | NORMAL | D_AP_RO | D_TABLE;
    l3alias[2] = (pa | NORMAL | D_TABLE) & ~D_AF;
    l3alias[3] = 0x09000000UL | DEVICE | D_TABLE;

    uint64_t tcr = 25 | (1 << 8) | (1 << 10) | (3 << 12) | (1UL << 14) | (1UL << 23) | (2UL << 32);
    printf("64K granule: TCR_EL1=%016lx\n", tcr);
    mmu_enable(tcr, l2);
    run_checks(PAGE_64K, &l3alias[2], 0xC0000000UL);
    mmu_disable();
}

int main(void)
{
    uint64_t mmfr0 = READ_SYSREG(id_aa64mmfr0_el1);
    /* PARange, ASIDBits, TGran64 and TGran4: the fields this test depends on. */
    printf("mmu: ID_AA64MMFR0_EL1 granules/PA=%016lx\n", mmfr0 & 0xff0000ffUL);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();
    phase_4k();
    phase_64k();
    printf("mmu: done\n");
    return 0;
}
