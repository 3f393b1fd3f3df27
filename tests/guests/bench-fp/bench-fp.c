/*
 * bench-fp: floating-point benchmark. Reads a decimal scale factor from
 * the UART (a line on stdin; empty line = 1), runs the assembly kernels
 * (scalar FMA dot product, divide/square-root iterations, Advanced SIMD
 * FMLA) scale times, and prints the result bits as checksums and the exact
 * number of instructions the kernels retired ("insns=").
 */
#include "bench.h"

double bench_dot(const double *a, const double *b, uint64_t n);
void bench_newton(double x, uint64_t iters, double out[2]);
void bench_simd(const float *a, uint64_t n4, uint32_t out[8]);

#define DOT_N 4096
#define DOT_PASSES 8
#define NEWTON_ITERS 20000
#define SIMD_N 4096 /* floats */
#define SIMD_PASSES 8

static double va[DOT_N], vb[DOT_N];
static float vf[SIMD_N];

static uint64_t bits(double d)
{
    union { double d; uint64_t u; } u = { .d = d };
    return u.u;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
    return bench_next_rand(&rng);
}

int main(void)
{
    uart_puts("bench-fp: scale?\n");
    uint64_t scale = bench_read_scale();

    for (unsigned i = 0; i < DOT_N; i++) {
        va[i] = (double)(next_rand() >> 11) * 0x1p-53 - 0.5;
        vb[i] = (double)(next_rand() >> 11) * 0x1p-50;
    }
    for (unsigned i = 0; i < SIMD_N; i++)
        vf[i] = (float)((int32_t)(next_rand() >> 40) - 0x800000) * 0x1p-20f;

    double dot = 0, newton[2] = { 0, 0 };
    uint32_t simd[8] = { 0 }, lanes = 0;
    uint64_t insns = 0;
    for (uint64_t s = 0; s < scale; s++) {
        for (unsigned p = 0; p < DOT_PASSES; p++) {
            dot += bench_dot(va, vb, DOT_N);
            insns += 5ULL * DOT_N + 2;
        }
        bench_newton(2.0 + (double)s, NEWTON_ITERS, newton);
        insns += 8ULL * NEWTON_ITERS + 4;
        for (unsigned p = 0; p < SIMD_PASSES; p++) {
            bench_simd(vf, SIMD_N / 4, simd);
            insns += 5ULL * (SIMD_N / 4) + 5;
            for (unsigned k = 0; k < 8; k++)
                lanes = lanes * 31 + simd[k];
        }
    }
    printf("bench-fp: scale=%lu dot=%016lx newton=%016lx,%016lx simd=%08x\n",
           scale, bits(dot), bits(newton[0]), bits(newton[1]), lanes);
    printf("bench-fp: insns=%lu done\n", insns);
    return 0;
}
