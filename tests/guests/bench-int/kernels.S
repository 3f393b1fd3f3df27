/*
 * CPU-bound kernels for bench-int, written in assembly so that the number
 * of instructions each one retires is known exactly; the C driver adds
 * them up and prints the total for the benchmark harness.
 */
    .text

/*
 * uint32_t bench_crc(const uint64_t *buf, uint64_t nwords, uint32_t crc)
 * 4 instructions per word; 4 outside the loop.
 */
    .global bench_crc
bench_crc:
    mov     x4, x2
    mov     x2, x1
1:  ldr     x3, [x0], #8
    crc32cx w4, w4, x3
    subs    x2, x2, #1
    b.ne    1b
    mov     w0, w4
    ret
    .global bench_crc_insns_per_iter
    .set bench_crc_insns_per_iter, 4

/*
 * uint64_t bench_mix(uint64_t iters, uint64_t seed)
 * xorshift64 plus multiply mixing: 10 instructions per iteration; 6
 * outside the loop.
 */
    .global bench_mix
bench_mix:
    mov     x2, x0
    mov     x0, x1
    mov     x1, #0
    ldr     x4, =0x9e3779b97f4a7c15
1:  eor     x0, x0, x0, lsl #13
    eor     x0, x0, x0, lsr #7
    eor     x0, x0, x0, lsl #17
    mul     x3, x0, x4
    umulh   x5, x0, x4
    add     x1, x1, x3
    eor     x1, x1, x5, ror #11
    add     x1, x1, x0
    subs    x2, x2, #1
    b.ne    1b
    mov     x0, x1
    ret

/*
 * uint32_t bench_mem(uint32_t *arr, uint64_t mask, uint64_t iters)
 * Strided read-modify-write over a power-of-two sized array:
 * 8 instructions per iteration, 5 outside the loop.
 */
    .global bench_mem
bench_mem:
    mov     x4, #0
    mov     w5, #0
    mov     x6, #4093
1:  ldr     w3, [x0, x4, lsl #2]
    add     w5, w5, w3
    add     w3, w3, w5, lsr #3
    str     w3, [x0, x4, lsl #2]
    add     x4, x4, x6
    and     x4, x4, x1
    subs    x2, x2, #1
    b.ne    1b
    mov     w0, w5
    ret
