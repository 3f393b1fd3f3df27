/*
 * div64: 64-bit integer division and remainder, signed and unsigned, with divisors of every
 * size: a mixed-radix conversion, binary and Euclidean GCDs, modular exponentiation by repeated
 * remainder, and a 128-by-64 long division done in 64-bit steps.
 */
#include "suite.h"

const char bench_name[] = "div64";

static uint64_t gcd_euclid(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    /* shift-and-add with remainders only, no 128-bit product */
    uint64_t r = 0;
    a %= m;
    while (b) {
        if (b & 1) {
            r += a;
            if (r >= m || r < a) r -= m;
        }
        uint64_t d = a << 1;
        if (a >> 63 || d >= m) d -= m;
        a = d;
        b >>= 1;
    }
    return r;
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1 % m;
    while (e) {
        if (e & 1) r = mulmod(r, b, m);
        b = mulmod(b, b, m);
        e >>= 1;
    }
    return r;
}

/* (hi:lo) / d with hi < d, one bit at a time; returns the quotient, remainder in *rem. */
static uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0;
    for (int i = 63; i >= 0; i--) {
        uint64_t top = hi >> 63;
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        q <<= 1;
        if (top || hi >= d) {
            hi -= d;
            q |= 1;
        }
    }
    *rem = hi;
    return q;
}

static uint32_t radix(uint64_t v, uint32_t crc)
{
    static const uint64_t bases[] = {2, 3, 7, 10, 16, 36, 1000003, 0x100000001ULL};
    for (unsigned b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        uint64_t x = v, digits = 0;
        while (x) {
            digits = digits * 31 + x % bases[b];
            x /= bases[b];
        }
        crc = suite_crc_u64(crc, digits);
    }
    return crc;
}

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x6469763634ULL;
    uint32_t crc = 0;
    int64_t sacc = 0;
    for (uint64_t s = 0; s < scale * 1000; s++) {
        uint64_t a = bench_next_rand(&seed), b = bench_next_rand(&seed);
        unsigned shift = (unsigned)(s % 60);
        uint64_t small = (b >> shift) | 1;
        crc = radix(a, crc);
        crc = suite_crc_u64(crc, gcd_euclid(a, small) ^ gcd_euclid(a >> 20, b >> 30));
        int64_t sa = (int64_t)a, sb = (int64_t)(small ^ (s & 1 ? 0x8000000000000000ULL >> shift : 0));
        if (sb == 0) sb = 3;
        sacc += sa / sb + sa % sb;
        sacc ^= (sa >> 17) / (((int64_t)(s % 127) - 63) | 1);
        uint64_t m = (b | 1) >> (s % 32);
        if (m < 3) m = 1000000007;
        crc = suite_crc_u64(crc, powmod(a, b >> 48, m));
        uint64_t rem;
        uint64_t q = div128(a % m, b, m, &rem);
        crc = suite_crc_u64(crc, q ^ rem);
    }
    printf("div64: %lu rounds, signed sum %016lx\n", scale * 1000, (uint64_t)sacc);
    suite_report(scale, crc);
}
