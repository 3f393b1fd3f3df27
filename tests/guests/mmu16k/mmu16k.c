/*
 * mmu16k: stage 1 translation at EL1 with the 16 KB granule (ARM ARM D8,
 * "The AArch64 Virtual Memory System Architecture"). Needs a CPU with
 * ID_AA64MMFR0_EL1.TGran16 != 0 (QEMU: -cpu max; cortex-a53 has no 16 KB
 * granule), so the reference run uses -cpu max.
 *
 * With 16 KB pages a table holds 2048 entries and resolves 11 VA bits:
 * level 0 resolves VA[47] (2 entries), level 1 VA[46:36], level 2
 * VA[35:25] (32 MB blocks), level 3 VA[24:14] (16 KB pages).
 *
 * Phase 1: T0SZ = 16 (48-bit VA, walk from level 0, both level 0
 * entries used) and T1SZ = 17 (47-bit upper range, walk from level 1).
 * Phase 2: T0SZ = 28 (36-bit VA, walk from level 2 with the same level 2
 * table as phase 1) and T1SZ = 36 (28-bit upper range, walk from level 2
 * with an 8-entry start table at a 64-byte aligned base).
 * Phase 3: T0SZ = 20 and T1SZ = 25 (both walks start at level 1 with a
 * partial table).
 * Phases 1 and 2 run the alias-window checks shared with mmu (RW,
 * read-only, access flag clear, UART, invalid). The phases read RAM
 * through 32 MB block aliases in both halves and both TTBRs and take
 * translation faults at levels 1-3 and for out-of-range VAs (level 0) in
 * both ranges, a hierarchical (APTable) permission fault, a remap with
 * TLBI VAE1 and AT S1E1R results, printing only architectural values:
 * data, ESR_EL1, FAR_EL1 and PAR_EL1.{PA,F,FST}.
 *
 * Not covered: block descriptors at level 0 or 1, which are reserved with
 * the 16 KB granule when TCR_EL1.DS = 0 (ARM ARM D8.3) and must give a
 * translation fault; QEMU 7.2 maps them as 128 TB and 64 GB blocks.
 */
#include "../mmu/mmu-common.h"

#define PAGE_16K  0x4000UL
#define BLOCK_32M 0x2000000UL

/* 16 KB granule TCR_EL1 fields: TG0 = 0b10, TG1 = 0b01. */
#define TCR_TG0_16K (2UL << 14)
#define TCR_TG1_16K (1UL << 30)

#define RAM_BASE  0x40000000UL
#define MARKER_PA 0x41f00000UL      /* 31 MB into the first RAM block */

typedef uint64_t table_t[2048] __attribute__((aligned(16384)));
static table_t l0, l1a, l1b, l2a, l2b, l3a, l1hi, l2hi, l3hi, l2hi2, l3ro;

static void clear(uint64_t *t) { memset(t, 0, sizeof(table_t)); }

/* PA of a VA within the identity-mapped image. */
static uint64_t pa_of(const void *p) { return (uint64_t)p; }

static void reread(const char *name, uint64_t va)
{
    uint64_t v = read64(va);
    if (fault_count())
        report(name);
    else
        printf("  %-18s %016lx\n", name, v);
}

static void fault_at(const char *name, uint64_t va)
{
    read64(va);
    report(name);
}

static void at_s1e1r(const char *name, uint64_t va)
{
    __asm__ volatile("at s1e1r, %0\n\tisb" :: "r"(va) : "memory");
    uint64_t par = READ_SYSREG(par_el1);
    if (par & 1)
        printf("  AT %-15s F=1 FST=%02lx\n", name, (par >> 1) & 0x3f);
    else
        printf("  AT %-15s F=0 PA=%016lx\n", name, par & 0x0000fffffffff000UL);
}

static void build_common(void)
{
    clear(l1a); clear(l2a); clear(l3a);
    /* Level 2 (32 MB per entry) for VA 0 - 64 GB, used by both phases. */
    l1a[0] = pa_of(l2a) | D_TABLE;
    l2a[0x08000000 >> 25] = 0x08000000UL | DEVICE | D_BLOCK;   /* GIC and UART: one 32 MB block */
    for (uint64_t pa = RAM_BASE; pa < RAM_BASE + 0x8000000UL; pa += BLOCK_32M)
        l2a[pa >> 25] = pa | NORMAL | D_BLOCK;                 /* 128 MB of RAM */
    l2a[ALIAS_VA >> 25] = pa_of(l3a) | D_TABLE;                /* alias window, 16 KB pages */
    l2a[(ALIAS_VA + BLOCK_32M) >> 25] = RAM_BASE | NORMAL | D_BLOCK; /* 32 MB block alias of RAM */
    uint64_t pa = pa_of(data_page);
    l3a[0] = pa | NORMAL | D_TABLE;
    l3a[1] = pa | NORMAL | D_AP_RO | D_TABLE;
    l3a[2] = (pa | NORMAL | D_TABLE) & ~D_AF;
    l3a[3] = 0x09000000UL | DEVICE | D_TABLE;

    /* The last 16 KB of the upper range maps data_page (both phases). */
    clear(l3hi);
    l3hi[2047] = pa | NORMAL | D_TABLE;
}

static void block_reads(void)
{
    data_page[2047] = 0x7777666655554444ULL;      /* last word of the 16 KB page */
    write64(MARKER_PA, 0x0123456789abcdefULL);
    printf("  16K page offset    %016lx\n", read64(ALIAS_VA + 0x3ff8));
    printf("  block alias data   %016lx\n", read64(ALIAS_VA + BLOCK_32M + (pa_of(data_page) - RAM_BASE) + 8));
    printf("  block alias +31M   %016lx\n", read64(ALIAS_VA + BLOCK_32M + (MARKER_PA - RAM_BASE)));
}

static void phase_48bit(void)
{
    build_common();
    clear(l0); clear(l1b); clear(l2b); clear(l1hi); clear(l2hi);
    l0[0] = pa_of(l1a) | D_TABLE;
    l0[1] = pa_of(l1b) | D_TABLE;                      /* VA[47] = 1 */
    l1b[0] = pa_of(l2b) | D_TABLE;
    l2b[1] = RAM_BASE | NORMAL | D_BLOCK;              /* VA 0x800002000000 -> RAM */

    /* Upper range, T1SZ = 17: level 1 start, 2048 entries. */
    l1hi[2047] = pa_of(l2hi) | D_TABLE;
    l2hi[0] = RAM_BASE | NORMAL | D_BLOCK;             /* VA 0xfffffff000000000 -> RAM */
    l2hi[2047] = pa_of(l3hi) | D_TABLE;                /* VA 0xfffffffffe000000 */

    uint64_t tcr = 16 | TCR_WALK0 | TCR_TG0_16K | (17UL << 16) | TCR_WALK1 | TCR_TG1_16K | TCR_IPS40;
    printf("16K granule, T0SZ=16 T1SZ=17: TCR_EL1=%016lx\n", tcr);
    mmu_enable(tcr, l0, l1hi);
    run_checks(PAGE_16K, &l3a[2], 0x0000001000000000UL, 0x0001000000000000UL);
    block_reads();
    fault_at("translation L2", 0xc0000000UL);

    reread("VA[47]=1 block", 0x0000800002000000UL + (MARKER_PA - RAM_BASE));
    fault_at("VA[47]=1 L1 hole", 0x0000801000000000UL);
    fault_at("VA[47]=1 L2 hole", 0x0000800000000000UL);

    reread("TTBR1 block", 0xfffffff000000000UL + (MARKER_PA - RAM_BASE));
    reread("TTBR1 page", 0xfffffffffffffff8UL);
    write64(0xffffffffffffc010UL, 0x5a5a0000ffff1234ULL);
    if (fault_count())
        report("TTBR1 page write");
    printf("  identity sees      %016lx\n", data_page[2]);
    fault_at("TTBR1 L1 hole", 0xffff800000000000UL);
    fault_at("TTBR1 L2 hole", 0xfffffff002000000UL);
    fault_at("TTBR1 L3 hole", 0xffffffffffff8000UL);
    fault_at("TTBR1 out of range", 0xffff7ffffffff000UL);

    /* Remap the RW alias page to the second 16 KB of data_page, then invalidate by
     * the page's first address and read its last word. */
    data_page[2048 + 2047] = 0x3333222211110000ULL;
    l3a[0] = (pa_of(data_page) + PAGE_16K) | NORMAL | D_TABLE;
    tlb_flush_va(ALIAS_VA);
    printf("  remapped page      %016lx\n", read64(ALIAS_VA + 0x3ff8));
    l3a[0] = pa_of(data_page) | NORMAL | D_TABLE;
    tlb_flush_va(ALIAS_VA);
    printf("  remapped back      %016lx\n", read64(ALIAS_VA + 0x3ff8));

    at_s1e1r("alias +3ff8", ALIAS_VA + 0x3ff8);
    at_s1e1r("block +31M", ALIAS_VA + BLOCK_32M + (MARKER_PA - RAM_BASE));
    at_s1e1r("TTBR1 page", 0xffffffffffffd234UL);
    at_s1e1r("L3 hole", ALIAS_VA + 4 * PAGE_16K);
    at_s1e1r("L1 hole", 0x0000001000000000UL);
    mmu_disable();
}

static void phase_36bit(void)
{
    build_common();
    clear(l2hi2); clear(l3ro);
    /* T1SZ = 36: the level 2 start table has 8 entries (VA[27:25]); put it
     * 64 bytes into a table to use a base that is only 64-byte aligned. */
    uint64_t *root1 = &l2hi2[8];
    root1[0] = RAM_BASE | NORMAL | D_BLOCK;                        /* 0xfffffffff0000000 */
    root1[2] = pa_of(l3ro) | D_TABLE | D_APTABLE_RO;               /* 0xfffffffff4000000 */
    root1[7] = pa_of(l3hi) | D_TABLE;                              /* 0xfffffffffe000000 */
    l3ro[0] = pa_of(data_page) | NORMAL | D_TABLE;                 /* RW page under APTable RO */

    uint64_t tcr = 28 | TCR_WALK0 | TCR_TG0_16K | (36UL << 16) | TCR_WALK1 | TCR_TG1_16K | TCR_IPS40;
    printf("16K granule, T0SZ=28 T1SZ=36: TCR_EL1=%016lx\n", tcr);
    mmu_enable(tcr, l2a, root1);
    run_checks(PAGE_16K, &l3a[2], 0xc0000000UL, 0x0000001000000000UL);
    block_reads();

    reread("TTBR1 block", 0xfffffffff0000000UL + (MARKER_PA - RAM_BASE));
    reread("TTBR1 page", 0xfffffffffffffff8UL);
    reread("APTable RO read", 0xfffffffff4000010UL);
    write64(0xfffffffff4000010UL, 0);
    report("APTable RO write");
    fault_at("TTBR1 L2 hole", 0xfffffffff2000000UL);
    fault_at("TTBR1 L3 hole", 0xfffffffff4004000UL);
    fault_at("TTBR1 out of range", 0xffffffffe0000000UL);

    at_s1e1r("alias +3ff8", ALIAS_VA + 0x3ff8);
    at_s1e1r("TTBR1 APTable", 0xfffffffff4000ff0UL);
    at_s1e1r("out of range", 0x0000001000000000UL);
    mmu_disable();
}

/*
 * Phase 3: T0SZ = 20 (44-bit, level 1 start with 256 entries: phase 1's
 * level 1 table) and T1SZ = 25 (39-bit, level 1 start with 8 entries: the
 * last 8 entries of phase 1's upper level 1 table), so the same VAs as in
 * phase 1 reach the same level 2 and level 3 tables.
 */
static void phase_44bit(void)
{
    build_common();
    uint64_t tcr = 20 | TCR_WALK0 | TCR_TG0_16K | (25UL << 16) | TCR_WALK1 | TCR_TG1_16K | TCR_IPS40;
    printf("16K granule, T0SZ=20 T1SZ=25: TCR_EL1=%016lx\n", tcr);
    mmu_enable(tcr, l1a, &l1hi[2040]);
    block_reads();
    af_fix_pte = &l3a[2];
    uint64_t v = read64(ALIAS_VA + 2 * PAGE_16K + 16);
    af_fix_pte = 0;
    report("access flag");
    printf("  after AF fix-up    %016lx AF=%lu\n", v, (l3a[2] >> 10) & 1);
    fault_at("translation L1", 0x0000001000000000UL);
    fault_at("VA out of range", 0x0000100000000000UL);
    reread("TTBR1 block", 0xfffffff000000000UL + (MARKER_PA - RAM_BASE));
    reread("TTBR1 page", 0xfffffffffffffff8UL);
    fault_at("TTBR1 L1 hole", 0xffffff8000000000UL);
    fault_at("TTBR1 out of range", 0xffff800000000000UL);
    at_s1e1r("TTBR1 page", 0xffffffffffffe000UL);
    mmu_disable();
}

int main(void)
{
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();
#ifndef MMU16K_SKIP_ID_CHECK
    if (((READ_SYSREG(id_aa64mmfr0_el1) >> 20) & 0xf) == 0) {
        printf("mmu16k: this CPU has no 16K granule (ID_AA64MMFR0_EL1.TGran16 = 0)\n");
        return 1;
    }
#endif
    printf("mmu16k: 16K granule\n");
    phase_48bit();
    phase_36bit();
    phase_44bit();
    printf("mmu16k: done\n");
    return 0;
}
