/*
 * Exception vector table usable at EL1, EL2 and EL3 (ARM ARM D1.10.2). Each
 * of the 16 slots saves x0/x1, loads its slot number and branches to common
 * code that builds a struct exc_frame and calls
 * exception_handler(slot, frame). ELR/SPSR are read from the registers of
 * the current EL so the same table serves VBAR_EL1, VBAR_EL2 and VBAR_EL3.
 */
#define FRAME_SIZE (34 * 8)

    .macro  vec slot
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\slot
    b       vec_common
    .endm

    .section .text
    .balign 0x800
    .global exception_vectors
exception_vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15

vec_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mrs     x2, CurrentEL
    cmp     x2, #8
    b.eq    1f
    b.hi    5f
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    b       2f
1:  mrs     x2, elr_el2
    mrs     x3, spsr_el2
    b       2f
5:  mrs     x2, elr_el3
    mrs     x3, spsr_el3
2:  stp     x2, x3, [sp, #256]
    mov     x1, sp
    bl      exception_handler
    ldp     x2, x3, [sp, #256]
    mrs     x4, CurrentEL
    cmp     x4, #8
    b.eq    3f
    b.hi    6f
    msr     elr_el1, x2
    msr     spsr_el1, x3
    b       4f
3:  msr     elr_el2, x2
    msr     spsr_el2, x3
    b       4f
6:  msr     elr_el3, x2
    msr     spsr_el3, x3
4:  ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret
