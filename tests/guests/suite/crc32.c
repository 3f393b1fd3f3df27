/*
 * crc32: CRC-32 (IEEE, reflected) of a 64 KB buffer three ways: byte-wise with one 256-entry
 * table, slice-by-4 with four tables, and the ARMv8 CRC32X/CRC32B instructions; all three must
 * agree, and each pass folds the previous CRC into the data.
 */
#include "suite.h"
#include <arm_acle.h>

const char bench_name[] = "crc32";

#define BUF_BYTES 65536
static uint8_t buf[BUF_BYTES] __attribute__((aligned(16)));
static uint32_t table[4][256];

static void make_tables(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        table[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint32_t crc_bytewise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

static uint32_t crc_slice4(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    const uint32_t *w = (const uint32_t *)p;
    for (; n >= 4; n -= 4) {
        crc ^= *w++;
        crc = table[3][crc & 0xff] ^ table[2][(crc >> 8) & 0xff] ^ table[1][(crc >> 16) & 0xff] ^ table[0][crc >> 24];
    }
    p = (const uint8_t *)w;
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    const uint64_t *w = (const uint64_t *)p;
    for (; n >= 8; n -= 8)
        crc = __crc32d(crc, *w++);
    p = (const uint8_t *)w;
    while (n--)
        crc = __crc32b(crc, *p++);
    return ~crc;
}

#define PASSES_PER_SCALE 10

void bench_run(uint64_t scale)
{
    make_tables();
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    for (unsigned i = 0; i < BUF_BYTES; i += 8) {
        uint64_t r = bench_next_rand(&seed);
        memcpy(&buf[i], &r, 8);
    }
    uint32_t total = 0, mismatches = 0;
    for (uint64_t s = 0; s < scale * PASSES_PER_SCALE; s++) {
        /* odd lengths and offsets exercise the tails */
        size_t off = s & 7, len = BUF_BYTES - 8 - (s % 13);
        uint32_t a = crc_bytewise(total, buf + off, len);
        uint32_t b = crc_slice4(total, buf + (off & ~3UL), len);
        uint32_t c = crc_hw(total, buf + (off & ~7UL), len);
        if ((off & 7) == 0 && (a != b || a != c))
            mismatches++;
        total = a ^ (b << 1) ^ (c << 2);
        buf[(s * 4099) % BUF_BYTES] ^= (uint8_t)total;
    }
    printf("crc32: %lu passes over %u bytes, mismatches %u\n", scale * PASSES_PER_SCALE, BUF_BYTES, mismatches);
    suite_report(scale, total);
}
