/*
 * doorbell-ping / doorbell-pong: the hypervisor's doorbell round trip, measured in guest time.
 * Two partitions share a window at 0x7000_0000. Ping writes a sequence number there and rings
 * its doorbell (a 32-bit write to the doorbell page); pong takes the doorbell interrupt (SPI 64,
 * an edge) and echoes the number back in the window; ping waits for the echo. Ping reports the
 * rounds and the mean round trip in counter ticks (CNTVCT, 62.5 MHz) and powers both off by
 * ringing once more with the sequence number 0.
 */
#include "runtime.h"

#define SHARED      0x70000000UL
#define DOORBELL    0x0b000000UL
#define ROUNDS      1000
#define GICD_BASE   0x08000000UL
#define GICR_BASE   0x080A0000UL
#define INTID       96

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

#ifdef PONG
void exception_handler(unsigned slot, struct exc_frame *f)
{
    (void)f;
    if (VEC_KIND(slot) != 1) { printf("pong: unexpected exception\n"); psci_system_off(); }
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);          /* ICC_IAR1_EL1 */
    if (intid == INTID) {
        uint32_t seq = r32(SHARED);
        w32(SHARED + 4, seq);                               /* the echo */
        if (seq == 0) { printf("pong: done\n"); psci_system_off(); }
    }
    if (intid < 1020) WRITE_SYSREG(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

int main(void)
{
    WRITE_SYSREG(vbar_el1, exception_vectors);
    w32(GICD_BASE, (1u << 4) | 2 | 1);
    w32(GICR_BASE + 0x14, r32(GICR_BASE + 0x14) & ~2u);
    while (r32(GICR_BASE + 0x14) & 4) ;
    w32(GICD_BASE + 0x80 + 4 * (INTID / 32), 1u << (INTID % 32));              /* Group 1 */
    w32(GICD_BASE + 0xc00 + 4 * (INTID / 16), 2u << (2 * (INTID % 16)));       /* edge */
    *(volatile uint64_t *)(GICD_BASE + 0x6000 + 8 * INTID) = 0;
    w32(GICD_BASE + 0x100 + 4 * (INTID / 32), 1u << (INTID % 32));
    WRITE_SYSREG(S3_0_C12_C12_5, READ_SYSREG(S3_0_C12_C12_5) | 1);
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);
    WRITE_SYSREG(S3_0_C12_C12_7, 1);
    ISB();
    w32(SHARED + 8, 1);                                     /* ready */
    printf("pong: ready\n");
    for (;;) __asm__ volatile("msr daifclr, #2\n\twfi" ::: "memory");
}
#else
int main(void)
{
    while (r32(SHARED + 8) != 1) ;                          /* pong is ready */
    printf("ping: %u rounds\n", ROUNDS);
    uint64_t start = READ_SYSREG(cntvct_el0);
    for (uint32_t seq = 1; seq <= ROUNDS; seq++) {
        w32(SHARED, seq);
        DSB(sy);
        w32(DOORBELL, 0);
        while (r32(SHARED + 4) != seq) ;
    }
    uint64_t ticks = READ_SYSREG(cntvct_el0) - start;
    printf("ping: round trip %lu ticks on average (%lu in all)\n", ticks / ROUNDS, ticks);
    w32(SHARED, 0);
    DSB(sy);
    w32(DOORBELL, 0);
    return 0;
}
#endif
