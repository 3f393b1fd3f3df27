/*
 * Shared frame of the benchmark suite (tests/guests/suite/): each program defines its name and
 * bench_run(); suite.c's main prints "<name>: scale?", reads the scale factor from the UART (a
 * decimal line; empty = 1), turns the MMU on (identity map, RAM normal write-back cacheable,
 * the low 1 GB Device), calls bench_run(scale) and prints "<name>: done".
 *
 * Every program prints deterministic text only: its checksum line comes from suite_report().
 */
#ifndef SUITE_H
#define SUITE_H

#include "runtime.h"
#include "bench.h"

extern const char bench_name[];
void bench_run(uint64_t scale);

/* "<name>: scale=N checksum=XXXXXXXX" */
void suite_report(uint64_t scale, uint32_t checksum);

/* CRC-32 (reflected, polynomial 0xedb88320) of a buffer, bitwise; for folding results. */
uint32_t suite_crc(uint32_t crc, const void *data, size_t len);
static inline uint32_t suite_crc_u32(uint32_t crc, uint32_t v) { return suite_crc(crc, &v, 4); }
static inline uint32_t suite_crc_u64(uint32_t crc, uint64_t v) { return suite_crc(crc, &v, 8); }

/*
 * Translation tables (4 KB granule, 39-bit VA, walks start at level 1). suite_l1[0] maps
 * 0-1 GB as Device, suite_l1[1] points at suite_l2_ram (1-2 GB as 2 MB normal blocks).
 * Programs may install their own entries in suite_l1[2..] and call suite_tlbi_all().
 */
extern uint64_t suite_l1[512];
extern uint64_t suite_l2_ram[512];

#define PTE_VALID  (1UL << 0)
#define PTE_TABLE  (3UL << 0)   /* table at levels 1-2, page at level 3 */
#define PTE_BLOCK  (1UL << 0)
#define PTE_NORMAL ((0UL << 2) | (3UL << 8) | (1UL << 10))          /* attr0, inner shareable, AF */
#define PTE_DEVICE ((1UL << 2) | (1UL << 10) | (1UL << 53) | (1UL << 54))
#define PTE_RO     (2UL << 6)
#define PTE_XN     ((1UL << 53) | (1UL << 54))

void suite_mmu_on(void);

static inline void suite_tlbi_all(void)
{
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
}

static inline void suite_tlbi_va(uint64_t va)
{
    uint64_t op = (va >> 12) & ((1UL << 44) - 1);
    __asm__ volatile("dsb ishst\n\ttlbi vae1, %0\n\tdsb ish\n\tisb" :: "r"(op) : "memory");
}

#endif
