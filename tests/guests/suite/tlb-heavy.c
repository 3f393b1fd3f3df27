/*
 * tlb-heavy: strided loads and stores over 32 MB mapped with 4 KB pages (8192 page-table
 * entries, each VA page on a permuted physical frame), so that nearly every access needs a
 * translation; between passes pairs of pages are remapped (PTE swap + TLBI VAE1) and their
 * contents checked, and every few passes the whole TLB is invalidated (TLBI VMALLE1).
 */
#include "suite.h"

const char bench_name[] = "tlb-heavy";

#define REGION_VA 0x80000000UL    /* suite_l1[2] */
#define PHYS_BASE 0x44000000UL    /* 32 MB of RAM above the image (the board has 128 MB) */
#define PAGES 8192

static uint64_t l2[512] __attribute__((aligned(4096)));
static uint64_t l3[PAGES] __attribute__((aligned(4096)));   /* 16 level-3 tables */
static uint16_t frame_of[PAGES];

static inline uint64_t pte_for(unsigned frame)
{
    return (PHYS_BASE + ((uint64_t)frame << 12)) | PTE_TABLE | PTE_NORMAL | PTE_XN;
}

static void map_all(uint64_t *seed)
{
    for (unsigned p = 0; p < PAGES; p++)
        frame_of[p] = (uint16_t)p;
    for (unsigned p = PAGES - 1; p > 0; p--) {
        unsigned q = (unsigned)(bench_next_rand(seed) % (p + 1));
        uint16_t t = frame_of[p]; frame_of[p] = frame_of[q]; frame_of[q] = t;
    }
    for (unsigned p = 0; p < PAGES; p++)
        l3[p] = pte_for(frame_of[p]);
    for (unsigned t = 0; t < PAGES / 512; t++)
        l2[t] = (uint64_t)&l3[t * 512] | PTE_TABLE;
    suite_l1[2] = (uint64_t)l2 | PTE_TABLE;
    suite_tlbi_all();
}

#define STRIDED_PER_SCALE 98304
#define REMAPS_PER_SCALE 512

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x746c6268ULL;
    map_all(&seed);
    volatile uint64_t *region = (volatile uint64_t *)REGION_VA;
    /* stamp each page: word 0 = its own page number (as seen through the mapping) */
    for (unsigned p = 0; p < PAGES; p++)
        region[(uint64_t)p * 512] = p;
    static const uint64_t strides[] = {4096 + 64, 2 * 4096 + 136, 5 * 4096 + 8, 4096 * 33 + 520, 4096 * 1021 + 24};
    const uint64_t span = (uint64_t)PAGES * 4096;
    uint64_t acc = 0, off = 0, bad = 0;
    uint32_t crc = 0;
    for (uint64_t s = 0; s < scale; s++) {
        uint64_t stride = strides[s % 5];
        for (unsigned i = 0; i < STRIDED_PER_SCALE; i++) {
            off = (off + stride) % span & ~7UL;
            uint64_t v = region[off / 8];
            acc = acc * 0x9e3779b1 + v;
            if ((i & 3) == 0)
                region[off / 8] = v + i;
        }
        /* remap pairs: swap two pages' frames, invalidate both VAs, check the stamps moved */
        for (unsigned r = 0; r < REMAPS_PER_SCALE; r++) {
            unsigned p = (unsigned)(bench_next_rand(&seed) % PAGES), q = (p * 7 + 1 + r) % PAGES;
            if (p == q) continue;
            uint64_t sp = region[(uint64_t)p * 512], sq = region[(uint64_t)q * 512];
            uint16_t t = frame_of[p]; frame_of[p] = frame_of[q]; frame_of[q] = t;
            l3[p] = pte_for(frame_of[p]);
            l3[q] = pte_for(frame_of[q]);
            suite_tlbi_va(REGION_VA + ((uint64_t)p << 12));
            suite_tlbi_va(REGION_VA + ((uint64_t)q << 12));
            if (region[(uint64_t)p * 512] != sq || region[(uint64_t)q * 512] != sp)
                bad++;
        }
        if (s % 4 == 3)
            suite_tlbi_all();
        crc = suite_crc_u64(crc, acc);
    }
    for (unsigned p = 0; p < PAGES; p += 61)
        crc = suite_crc_u64(crc, region[(uint64_t)p * 512 + 1 + (p & 7)]);
    printf("tlb-heavy: %lu strided accesses over %u pages, %lu remaps, %lu bad remaps\n",
           scale * STRIDED_PER_SCALE, PAGES, scale * REMAPS_PER_SCALE, bad);
    suite_report(scale, crc);
}
