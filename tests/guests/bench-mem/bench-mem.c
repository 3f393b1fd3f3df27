/*
 * bench-mem: memory-bound benchmark. Reads a decimal scale factor from the
 * UART (a line on stdin; empty line = 1), runs the assembly kernels scale
 * times (pointer chasing over 2 MiB, block copies, a byte hash, calls with
 * stack traffic), and prints checksums and the exact number of
 * instructions the kernels retired ("insns=").
 */
#include "bench.h"

uint64_t *bench_chase(uint64_t *p, uint64_t steps);
void bench_copy(uint64_t *dst, const uint64_t *src, uint64_t n16);
uint32_t bench_bytes(const uint8_t *p, uint64_t n, uint32_t h);
uint64_t bench_calls(uint64_t iters);

/* Nodes 64 bytes apart, so the chain touches 512 pages in random order. */
#define NODES 32768
#define NODE_WORDS 8
#define CHASE_STEPS 100000
#define COPY_WORDS 8192 /* 64 KiB */
#define COPY_PASSES 4
#define BYTES 65536
#define CALL_ITERS 40000

static uint64_t nodes[NODES * NODE_WORDS];
static uint64_t bufa[COPY_WORDS], bufb[COPY_WORDS];
static uint32_t perm[NODES];

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
    return bench_next_rand(&rng);
}

int main(void)
{
    uart_puts("bench-mem: scale?\n");
    uint64_t scale = bench_read_scale();

    /* One random cycle through all nodes (Sattolo's shuffle). */
    for (uint32_t i = 0; i < NODES; i++)
        perm[i] = i;
    for (uint32_t i = NODES - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(next_rand() % i);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < NODES; i++)
        nodes[perm[i] * NODE_WORDS] = (uint64_t)(uintptr_t)&nodes[perm[(i + 1) % NODES] * NODE_WORDS];
    for (unsigned i = 0; i < COPY_WORDS; i++)
        bufa[i] = next_rand();

    uint64_t *p = &nodes[0];
    uint64_t calls = 0, insns = 0;
    uint32_t hash = 0x811c9dc5u;
    for (uint64_t s = 0; s < scale; s++) {
        p = bench_chase(p, CHASE_STEPS);
        insns += 3ULL * CHASE_STEPS + 1;
        for (unsigned k = 0; k < COPY_PASSES; k++) {
            bench_copy(bufb, bufa, COPY_WORDS / 2);
            bench_copy(bufa, bufb, COPY_WORDS / 2);
            insns += 2 * (4ULL * (COPY_WORDS / 2) + 1);
        }
        bufa[s % COPY_WORDS] += s;
        hash = bench_bytes((const uint8_t *)bufa, BYTES, hash);
        insns += 5ULL * BYTES + 5;
        calls += bench_calls(CALL_ITERS + s);
        insns += 12ULL * (CALL_ITERS + s) + 7;
    }
    uint64_t node = (uint64_t)((uintptr_t)p - (uintptr_t)nodes) / (NODE_WORDS * 8);
    printf("bench-mem: scale=%lu node=%lu hash=%08x calls=%016lx copy=%016lx\n",
           scale, node, hash, calls, bufb[COPY_WORDS - 1]);
    printf("bench-mem: insns=%lu done\n", insns);
    return 0;
}
