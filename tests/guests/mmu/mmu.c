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
 * printing ESR_EL1/FAR_EL1 for each. The handler, MMU on/off and the checks
 * are shared with mmu16k (mmu-common.c).
 */
#include "mmu-common.h"

#define PAGE_4K  0x1000UL
#define PAGE_64K 0x10000UL

/* 64 KB tables, 64 KB aligned; the 4 KB phase uses the start of each. */
static uint64_t tbl_a[8192] __attribute__((aligned(65536)));
static uint64_t tbl_b[8192] __attribute__((aligned(65536)));
static uint64_t tbl_c[8192] __attribute__((aligned(65536)));
static uint64_t tbl_d[8192] __attribute__((aligned(65536)));

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
    mmu_enable(tcr, l1, 0);
    run_checks(PAGE_4K, &l3[2], 0xC0000000UL, 0x0000008000000000UL);
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
    mmu_enable(tcr, l2, 0);
    run_checks(PAGE_64K, &l3alias[2], 0xC0000000UL, 0x0000008000000000UL);
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
