/*
 * Shared main and MMU set-up of the benchmark suite; see suite.h.
 */
#include "suite.h"

uint64_t suite_l1[512] __attribute__((aligned(4096)));
uint64_t suite_l2_ram[512] __attribute__((aligned(4096)));

uint32_t suite_crc(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

void suite_report(uint64_t scale, uint32_t checksum)
{
    printf("%s: scale=%lu checksum=%08x\n", bench_name, scale, checksum);
}

void suite_mmu_on(void)
{
    suite_l1[0] = 0x00000000UL | PTE_BLOCK | PTE_DEVICE;
    suite_l1[1] = (uint64_t)suite_l2_ram | PTE_TABLE;
    for (unsigned i = 0; i < 512; i++)
        suite_l2_ram[i] = (0x40000000UL + ((uint64_t)i << 21)) | PTE_BLOCK | PTE_NORMAL;
    WRITE_SYSREG(mair_el1, 0x00ffUL);  /* attr0 normal write-back, attr1 Device-nGnRnE */
    /* T0SZ=25, IRGN0/ORGN0 write-back, SH0 inner, TG0 4 KB, EPD1, IPS 40 bits. */
    WRITE_SYSREG(tcr_el1, 25UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 23) | (2UL << 32));
    WRITE_SYSREG(ttbr0_el1, suite_l1);
    WRITE_SYSREG(ttbr1_el1, 0);
    __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | (1 << 0) | (1 << 2) | (1 << 12));
    ISB();
}

int main(void)
{
    printf("%s: scale?\n", bench_name);
    uint64_t scale = bench_read_scale();
    suite_mmu_on();
    bench_run(scale);
    printf("%s: done\n", bench_name);
    return 0;
}
