/*
 * Start-up code shared by every guest.
 *
 * QEMU's virt board enters an ELF kernel at its entry point on CPU 0 with
 * the MMU off, at EL1 by default, at EL2 with virtualization=on or at EL3
 * (Secure state) with secure=on; the other CPUs stay powered off until
 * PSCI CPU_ON.
 */
    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x1, =__stacks_start + 0x4000    /* CPU 0 stack top */
    mov     sp, x1
    bl      cpu_common_init

    /* Zero .bss (the loader does it too, but do not rely on it). */
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:
    mrs     x0, CurrentEL
    lsr     x0, x0, #2
    ldr     x1, =boot_el
    str     x0, [x1]

    bl      main
    bl      psci_system_off
3:  wfi
    b       3b

/*
 * Entry for CPUs started with PSCI CPU_ON. x0 holds the context id, which
 * the callers set to the logical CPU number (1..3).
 */
    .global secondary_entry
secondary_entry:
    mov     x19, x0
    add     x2, x0, #1
    mov     x3, #0x4000
    mul     x2, x2, x3
    ldr     x1, =__stacks_start
    add     x1, x1, x2
    mov     sp, x1
    bl      cpu_common_init
    mov     x0, x19
    bl      secondary_main
4:  wfi
    b       4b

/*
 * Per-CPU set-up: allow FP/SIMD at EL1/EL0 (CPACR_EL1.FPEN = 0b11, ARM ARM
 * D13.2.30) and, when running at EL2, stop CPTR_EL2.TFP (bit 10) trapping
 * it. Point VBAR at the default vector table so stray exceptions print
 * a diagnostic instead of hanging.
 */
cpu_common_init:
    mrs     x0, CurrentEL
    lsr     x0, x0, #2
    cmp     x0, #2
    b.ne    1f
    mov     x1, #0x33ff                     /* RES1 bits, TFP = 0 */
    msr     cptr_el2, x1
    adr     x1, exception_vectors
    msr     vbar_el2, x1
1:  mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    adr     x1, exception_vectors
    msr     vbar_el1, x1
    isb
    ret

    .weak   secondary_main
secondary_main:
    ret

    .section .data
    .balign 8
    .global boot_el
boot_el:
    .quad   1
