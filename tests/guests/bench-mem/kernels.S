/*
 * Memory-bound kernels for bench-mem, in assembly so that the number of
 * instructions each one retires is known exactly; the C driver adds them
 * up and prints the total for the benchmark harness.
 */
    .text

/*
 * uint64_t *bench_chase(uint64_t *p, uint64_t steps)
 * Follows a pointer chain: 3 instructions per step, 1 outside the loop.
 */
    .global bench_chase
bench_chase:
1:  ldr     x0, [x0]
    subs    x1, x1, #1
    b.ne    1b
    ret

/*
 * void bench_copy(uint64_t *dst, const uint64_t *src, uint64_t n16)
 * Copies n16 16-byte units with post-indexed pairs: 4 instructions per
 * unit, 1 outside the loop.
 */
    .global bench_copy
bench_copy:
1:  ldp     x3, x4, [x1], #16
    stp     x3, x4, [x0], #16
    subs    x2, x2, #1
    b.ne    1b
    ret

/*
 * uint32_t bench_bytes(const uint8_t *p, uint64_t n, uint32_t h)
 * FNV-1a over bytes: 5 instructions per byte, 5 outside the loop.
 */
    .global bench_bytes
bench_bytes:
    mov     w4, #0x0193
    movk    w4, #0x0100, lsl #16
1:  ldrb    w3, [x0], #1
    eor     w2, w2, w3
    mul     w2, w2, w4
    subs    x1, x1, #1
    b.ne    1b
    mov     w0, w2
    ret

/*
 * uint64_t bench_calls(uint64_t iters)
 * A call per iteration to a leaf that saves and restores registers on the
 * stack: 12 instructions per iteration (5 in the loop, 7 in the leaf),
 * 7 outside the loop.
 */
    .global bench_calls
bench_calls:
    stp     x29, x30, [sp, #-16]!
    mov     x29, sp
    mov     x2, x0
    mov     x3, #0
1:  mov     x0, x3
    bl      leaf
    add     x3, x3, x0
    subs    x2, x2, #1
    b.ne    1b
    mov     x0, x3
    ldp     x29, x30, [sp], #16
    ret

leaf:
    stp     x29, x30, [sp, #-32]!
    str     x19, [sp, #16]
    add     x19, x0, #7
    eor     x0, x19, x0, lsr #3
    ldr     x19, [sp, #16]
    ldp     x29, x30, [sp], #32
    ret
