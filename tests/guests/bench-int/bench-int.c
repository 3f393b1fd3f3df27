/*
 * bench-int: CPU-bound integer benchmark. Reads a decimal scale factor
 * from the UART (a line on stdin; empty line = 1), runs the assembly
 * kernels scale times, and prints checksums, the iteration counts and
 * the exact number of instructions the kernels retired ("insns=").
 */
#include "bench.h"

uint32_t bench_crc(const uint64_t *buf, uint64_t nwords, uint32_t crc);
uint64_t bench_mix(uint64_t iters, uint64_t seed);
uint32_t bench_mem(uint32_t *arr, uint64_t mask, uint64_t iters);

#define CRC_WORDS 8192
#define CRC_PASSES 16
#define MIX_ITERS 100000
#define MEM_WORDS 16384
#define MEM_ITERS 100000

static uint64_t crcbuf[CRC_WORDS];
static uint32_t memarr[MEM_WORDS];

int main(void)
{
    uart_puts("bench-int: scale?\n");
    uint64_t scale = bench_read_scale();

    uint64_t x = 0x0123456789abcdefULL;
    for (unsigned i = 0; i < CRC_WORDS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        crcbuf[i] = x;
    }
    for (unsigned i = 0; i < MEM_WORDS; i++)
        memarr[i] = i * 2654435761u;

    uint32_t crc = 0xffffffff, mem = 0;
    uint64_t mix = 0, insns = 0;
    for (uint64_t s = 0; s < scale; s++) {
        for (unsigned p = 0; p < CRC_PASSES; p++) {
            crc = bench_crc(crcbuf, CRC_WORDS, crc);
            insns += 4ULL * CRC_WORDS + 4;
        }
        mix ^= bench_mix(MIX_ITERS, s + 1);
        insns += 10ULL * MIX_ITERS + 6;
        mem += bench_mem(memarr, MEM_WORDS - 1, MEM_ITERS);
        insns += 8ULL * MEM_ITERS + 5;
    }
    printf("bench-int: scale=%lu crc=%08x mix=%016lx mem=%08x\n", scale, crc, mix, mem);
    printf("bench-int: iterations=%lu insns=%lu done\n",
           scale * (CRC_PASSES * CRC_WORDS + MIX_ITERS + MEM_ITERS), insns);
    return 0;
}
