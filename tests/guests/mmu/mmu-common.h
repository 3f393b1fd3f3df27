/*
 * Shared pieces of the stage 1 translation tests (mmu, mmu16k): VMSAv8-64
 * descriptor bits, the exception handler that records ESR/FAR and fixes up
 * access-flag faults, MMU on/off at EL1 and the alias-window checks.
 */
#ifndef TESSERA_GUEST_MMU_COMMON_H
#define TESSERA_GUEST_MMU_COMMON_H

#include "runtime.h"

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
#define D_APTABLE_RO (2UL << 61) /* table descriptor APTable = 0b10: no writes below */

#define ATTR_NORMAL 0   /* MAIR attr0 = 0xff, write-back cacheable */
#define ATTR_DEVICE 1   /* MAIR attr1 = 0x00, Device-nGnRnE */

#define NORMAL (D_ATTR(ATTR_NORMAL) | D_SH_INNER | D_AF)
#define DEVICE (D_ATTR(ATTR_DEVICE) | D_AF | D_PXN | D_UXN)

/* TCR_EL1 fields common to every phase: IRGN/ORGN write-back, inner shareable. */
#define TCR_WALK0 ((1UL << 8) | (1UL << 10) | (3UL << 12))
#define TCR_WALK1 ((1UL << 24) | (1UL << 26) | (3UL << 28))
#define TCR_EPD1  (1UL << 23)
#define TCR_IPS40 (2UL << 32)

#define ALIAS_VA 0x80000000UL

/* 64 KB of data, 64 KB aligned, that the alias windows map. */
extern uint64_t data_page[8192];

/* PTE that the handler sets AF in on an access-flag fault (0: none). */
extern volatile uint64_t *af_fix_pte;
/* Resume a fault at x30 (after a BLR to a non-executable page) instead of ELR + 4. */
extern volatile int resume_to_lr;

static inline uint64_t read64(uint64_t va) { uint64_t v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(va) : "memory"); return v; }
static inline void write64(uint64_t va, uint64_t v) { __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(va) : "memory"); }

/* TLBI VAE1 for one VA (ASID 0). */
void tlb_flush_va(uint64_t va);
/* Faults taken since the last report(). */
unsigned fault_count(void);
/* Print the last fault (ESR, EC, FSC, WnR, FAR, count) or "no fault". */
void report(const char *name);
/* MAIR, TCR, TTBR0/TTBR1 (ttbr1 may be 0 when EPD1 is set), then SCTLR.{M,C,I}. */
void mmu_enable(uint64_t tcr, uint64_t *ttbr0, uint64_t *ttbr1);
void mmu_disable(void);

/*
 * Common checks once the MMU is on. page = size of one alias page; the
 * alias window at ALIAS_VA is: +0 RW, +1 page RO, +2 pages AF clear,
 * +3 UART, +4 invalid. unmapped_upper is a VA whose walk stops at an
 * invalid entry above level 3; out_of_range is a VA above the input range.
 */
void run_checks(uint64_t page, volatile uint64_t *af_pte, uint64_t unmapped_upper, uint64_t out_of_range);

#endif
