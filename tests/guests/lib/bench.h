/*
 * Shared set-up for the bench-* programs (outside their timed assembly kernels, whose exact
 * instruction counts the benchmark uses): the scale factor read from the UART and a xorshift
 * generator for deterministic data.
 */
#ifndef BENCH_H
#define BENCH_H

#include "runtime.h"

/* A decimal scale factor on one UART line; an empty line (or 0) means 1. */
static inline uint64_t bench_read_scale(void)
{
    uint64_t scale = 0;
    for (;;) {
        int c = uart_getc();
        if (c == '\n' || c == '\r')
            break;
        if (c >= '0' && c <= '9')
            scale = scale * 10 + (uint64_t)(c - '0');
    }
    return scale ? scale : 1;
}

/* xorshift64 (Marsaglia 13/7/17), state updated in place. */
static inline uint64_t bench_next_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

#endif
