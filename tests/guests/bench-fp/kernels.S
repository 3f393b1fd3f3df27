/*
 * Floating-point and Advanced SIMD kernels for bench-fp, in assembly so
 * that the number of instructions each one retires is known exactly.
 */
    .text

/*
 * double bench_dot(const double *a, const double *b, uint64_t n)
 * Fused multiply-add dot product: 5 instructions per element, 2 outside
 * the loop.
 */
    .global bench_dot
bench_dot:
    movi    d0, #0
1:  ldr     d1, [x0], #8
    ldr     d2, [x1], #8
    fmadd   d0, d1, d2, d0
    subs    x2, x2, #1
    b.ne    1b
    ret

/*
 * void bench_newton(double x, uint64_t iters, double out[2])
 * Square-root iterations on a moving target with divide, multiply, add
 * and FSQRT: 8 instructions per iteration, 4 outside the loop.
 */
    .global bench_newton
bench_newton:
    fmov    d1, #1.0
    fmov    d3, #0.5
    movi    d5, #0
1:  fdiv    d2, d0, d1
    fadd    d1, d1, d2
    fmul    d1, d1, d3
    fsqrt   d4, d0
    fadd    d5, d5, d4
    fadd    d0, d0, d3
    subs    x0, x0, #1
    b.ne    1b
    stp     d1, d5, [x1]
    ret

/*
 * void bench_simd(const float *a, uint64_t n4, uint32_t out[8])
 * Vector FMLA and integer lane adds over 4-float groups: 5 instructions
 * per group, 5 outside the loop.
 */
    .global bench_simd
bench_simd:
    movi    v0.4s, #0
    movi    v3.4s, #0
    fmov    v2.4s, #1.5
1:  ld1     {v1.4s}, [x0], #16
    fmla    v0.4s, v1.4s, v2.4s
    add     v3.4s, v3.4s, v1.4s
    subs    x1, x1, #1
    b.ne    1b
    stp     q0, q3, [x2]
    ret
