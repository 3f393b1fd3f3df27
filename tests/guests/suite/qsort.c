/*
 * qsort: a libc-style generic quicksort (function-pointer comparator, byte-wise element swaps,
 * median of three, insertion sort for short runs) on 32-bit keys and on 24-byte records with a
 * two-field comparison, checked for order after each sort.
 */
#include "suite.h"

const char bench_name[] = "qsort";

static void swap_bytes(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void generic_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *b = base;
    while (n > 12) {
        char *lo = b, *mid = b + (n / 2) * size, *hi = b + (n - 1) * size;
        if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        }
        swap_bytes(mid, lo, size);   /* pivot to the front */
        char *i = lo + size, *j = hi;
        for (;;) {
            while (i <= j && cmp(i, lo) < 0) i += size;
            while (i <= j && cmp(j, lo) > 0) j -= size;
            if (i >= j) break;
            swap_bytes(i, j, size);
            i += size;
            j -= size;
        }
        swap_bytes(lo, j, size);
        size_t left = (size_t)(j - b) / size, right = n - left - 1;
        /* recurse into the smaller side, loop on the larger */
        if (left < right) {
            generic_qsort(b, left, size, cmp);
            b = j + size;
            n = right;
        } else {
            generic_qsort(j + size, right, size, cmp);
            n = left;
        }
    }
    for (size_t k = 1; k < n; k++)
        for (char *p = b + k * size; p > b && cmp(p - size, p) > 0; p -= size)
            swap_bytes(p - size, p, size);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

struct rec { uint32_t group; int32_t score; uint64_t id; uint64_t pad; };

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;  /* descending */
    return x->id < y->id ? -1 : x->id > y->id;
}

#define NKEYS 4096
#define NRECS 1024
static uint32_t keys[NKEYS];
static struct rec recs[NRECS];

#define ROUNDS_PER_SCALE 5

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x0ddba11cafef00dULL;
    uint32_t crc = 0, bad = 0;
    for (uint64_t s = 0; s < scale * ROUNDS_PER_SCALE; s++) {
        for (unsigned i = 0; i < NKEYS; i++)
            keys[i] = (s & 3) == 3 ? (uint32_t)(i * 7u) ^ (uint32_t)(bench_next_rand(&seed) & 15) : (uint32_t)bench_next_rand(&seed) % 100000;
        generic_qsort(keys, NKEYS, sizeof keys[0], cmp_u32);
        for (unsigned i = 1; i < NKEYS; i++)
            bad += keys[i - 1] > keys[i];
        crc = suite_crc(crc, keys, 64);
        crc = suite_crc_u32(crc, keys[NKEYS / 3]);
        for (unsigned i = 0; i < NRECS; i++) {
            uint64_t r = bench_next_rand(&seed);
            recs[i].group = (uint32_t)(r % 16);
            recs[i].score = (int32_t)((r >> 8) % 2001) - 1000;
            recs[i].id = i;
            recs[i].pad = r;
        }
        generic_qsort(recs, NRECS, sizeof recs[0], cmp_rec);
        for (unsigned i = 1; i < NRECS; i++)
            bad += cmp_rec(&recs[i - 1], &recs[i]) > 0;
        for (unsigned i = 0; i < NRECS; i += 97)
            crc = suite_crc_u64(crc, recs[i].id);
    }
    printf("qsort: %lu rounds, out of order %u\n", scale * ROUNDS_PER_SCALE, bad);
    suite_report(scale, crc);
}
