/*
 * isolation-victim: plants a pattern in every 64 KiB of its RAM above its image, then checks
 * it again and again for half a second of virtual time, while the attacker
 * (isolation-attack) works beside it. Prints whether every word survived.
 */
#include "runtime.h"

#define VICTIM_PATTERN 0x5649435449d0c0deUL
#define FIRST 0x40400000UL
#define LAST  0x44000000UL
#define STEP  0x10000UL

int main(void)
{
    unsigned long words = 0;
    for (uint64_t a = FIRST; a < LAST; a += STEP, words++)
        *(volatile uint64_t *)a = VICTIM_PATTERN;
    uint64_t freq = READ_SYSREG(cntfrq_el0), start = READ_SYSREG(cntvct_el0);
    unsigned long rounds = 0, bad = 0;
    do {
        for (uint64_t a = FIRST; a < LAST; a += STEP)
            if (*(volatile uint64_t *)a != VICTIM_PATTERN)
                bad++;
        rounds++;
    } while (READ_SYSREG(cntvct_el0) - start < freq / 2);
    printf("victim: %lu words checked %s, %s\n", words, rounds > 1 ? "repeatedly" : "once", bad ? "CORRUPTED" : "all intact");
    printf("victim: done\n");
    return 0;
}
