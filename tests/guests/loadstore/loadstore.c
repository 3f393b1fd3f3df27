/*
 * loadstore: exercises the A64 load/store addressing forms (ARM ARM
 * C3.3) and prints each loaded value, and for writeback forms the change
 * in the base register. All accesses are naturally aligned: with the MMU
 * off data accesses are Device memory and unaligned ones may fault.
 */
#include "runtime.h"

static uint8_t src[256] __attribute__((aligned(64)));
static uint8_t dst[256] __attribute__((aligned(64)));
static unsigned lines;

static void show(const char *name, uint64_t v)
{
    printf("%-18s %016lx\n", name, v);
    lines++;
}

static void show2(const char *name, uint64_t v, uint64_t w)
{
    printf("%-18s %016lx %016lx\n", name, v, w);
    lines++;
}

static uint64_t dst_hash(void)
{
    uint64_t h = MIX_INIT;
    for (int i = 0; i < 256; i += 8) {
        uint64_t w;
        memcpy(&w, dst + i, 8);
        h = mix64(h, w);
    }
    return h;
}

/* Single load with base in %1 (base register not modified). */
#define LD(name, insn)                                                   \
    do {                                                                 \
        uint64_t r;                                                      \
        __asm__ volatile(insn : "=&r"(r) : "r"(base) : "memory");        \
        show(name, r);                                                   \
    } while (0)

/* Load with an index register %2. */
#define LDX(name, insn, idx)                                             \
    do {                                                                 \
        uint64_t r, ix = (uint64_t)(idx);                                \
        __asm__ volatile(insn : "=&r"(r) : "r"(base), "r"(ix) : "memory"); \
        show(name, r);                                                   \
    } while (0)

/* Writeback form: %1 is the base (read/write); print value and delta. */
#define LDWB(name, insn)                                                 \
    do {                                                                 \
        uint64_t r, b = base + 64;                                       \
        __asm__ volatile(insn : "=&r"(r), "+r"(b) :: "memory");          \
        show2(name, r, b - (base + 64));                                 \
    } while (0)

/* Pair load: %0, %1 destinations, %2 base. */
#define LDP(name, insn)                                                  \
    do {                                                                 \
        uint64_t r1, r2;                                                 \
        __asm__ volatile(insn : "=&r"(r1), "=&r"(r2) : "r"(base) : "memory"); \
        show2(name, r1, r2);                                             \
    } while (0)

static void loads(void)
{
    uintptr_t base = (uintptr_t)src;

    /* unsigned scaled offset */
    LD("ldrb", "ldrb %w0, [%1, #200]");
    LD("ldrh", "ldrh %w0, [%1, #130]");
    LD("ldr.w", "ldr %w0, [%1, #252]");
    LD("ldr.x", "ldr %0, [%1, #248]");
    LD("ldrsb.w", "ldrsb %w0, [%1, #3]");
    LD("ldrsb.x", "ldrsb %0, [%1, #7]");
    LD("ldrsh.w", "ldrsh %w0, [%1, #6]");
    LD("ldrsh.x", "ldrsh %0, [%1, #14]");
    LD("ldrsw", "ldrsw %0, [%1, #12]");
    LD("ldrsw.pos", "ldrsw %0, [%1, #0]");
    /* unscaled */
    LD("ldur.x", "add %0, %1, #64\n\tldur %0, [%0, #-16]");
    LD("ldurb", "ldurb %w0, [%1, #255]");
    LD("ldursb.x", "ldursb %0, [%1, #129]");
    LD("ldurh", "ldurh %w0, [%1, #98]");
    LD("ldursh.w", "ldursh %w0, [%1, #2]");
    LD("ldursw", "ldursw %0, [%1, #44]");
    /* unprivileged (behave as normal loads at EL1 with the MMU off) */
    LD("ldtr.x", "ldtr %0, [%1, #16]");
    LD("ldtrsb.w", "ldtrsb %w0, [%1, #9]");
    LD("ldtrsh.x", "ldtrsh %0, [%1, #18]");
    LD("ldtrsw", "ldtrsw %0, [%1, #20]");
    /* register offset with extend and shift */
    LDX("ldr.x.lsl3", "ldr %0, [%1, %2, lsl #3]", 5);
    LDX("ldr.x.noshift", "ldr %0, [%1, %2]", 40);
    LDX("ldr.w.uxtw2", "ldr %w0, [%1, %w2, uxtw #2]", 9);
    LDX("ldrsh.sxtw1", "add %0, %1, #128\n\tldrsh %0, [%0, %w2, sxtw #1]", -3);
    LDX("ldrb.sxtx", "add %0, %1, #100\n\tldrb %w0, [%0, %2, sxtx]", -37);
    LDX("ldrsb.uxtw", "ldrsb %w0, [%1, %w2, uxtw]", 0x93);
    LDX("ldrsw.sxtx2", "add %0, %1, #64\n\tldrsw %0, [%0, %2, sxtx #2]", -2);
    LDX("ldrh.lsl1", "ldrh %w0, [%1, %2, lsl #1]", 77);
    /* pre/post index */
    LDWB("ldr.pre", "ldr %0, [%1, #16]!");
    LDWB("ldr.post", "ldr %0, [%1], #-24");
    LDWB("ldrb.pre", "ldrb %w0, [%1, #-63]!");
    LDWB("ldrsh.post", "ldrsh %0, [%1], #255");
    LDWB("ldrsw.pre", "ldrsw %0, [%1, #-4]!");
    LDWB("ldrh.post", "ldrh %w0, [%1], #2");
    /* pairs */
    LDP("ldp.x", "ldp %0, %1, [%2, #32]");
    LDP("ldp.w", "ldp %w0, %w1, [%2, #-0]");
    LDP("ldpsw", "ldpsw %0, %1, [%2, #24]");
    LDP("ldnp.x", "ldnp %0, %1, [%2, #112]");
    LDP("ldp.x.neg", "add %1, %2, #128\n\tldp %0, %1, [%1, #-128]\n\tldp %0, %1, [%2, #-0]");
    {
        uint64_t r1, r2, b = base + 128;
        __asm__ volatile("ldp %0, %1, [%2, #-16]!" : "=&r"(r1), "=&r"(r2), "+r"(b) :: "memory");
        show2("ldp.pre", r1 ^ r2, b - base);
        __asm__ volatile("ldp %w0, %w1, [%2], #-8" : "=&r"(r1), "=&r"(r2), "+r"(b) :: "memory");
        show2("ldp.w.post", r1 ^ (r2 << 32), b - base);
        __asm__ volatile("ldpsw %0, %1, [%2, #8]!" : "=&r"(r1), "=&r"(r2), "+r"(b) :: "memory");
        show2("ldpsw.pre", r1 ^ r2, b - base);
    }
    /* PC-relative literal loads */
    {
        uint64_t r, s;
        __asm__ volatile("ldr %0, 1f\n\tldrsw %1, 2f\n\tb 3f\n\t.balign 8\n"
                         "1:\t.quad 0x8123456789abcdef\n"
                         "2:\t.word 0x80000001\n\t.word 0\n"
                         "3:\tprfm pldl1keep, 1b" : "=&r"(r), "=&r"(s));
        show2("ldr.literal", r, s);
        uint32_t w;
        __asm__ volatile("ldr %w0, 1f\n\tb 2f\n\t.balign 4\n1:\t.word 0xfeedf00d\n2:" : "=r"(w));
        show("ldr.w.literal", w);
    }
    /* prefetches never fault and do not change state */
    __asm__ volatile("prfm pldl1keep, [%0]\n\tprfm pstl2strm, [%0, #64]\n\t"
                     "prfm plil3keep, [%0, %1, lsl #3]\n\tprfum pldl1strm, [%0, #-1]"
                     :: "r"(base), "r"(3UL) : "memory");
    show("prfm", 0);
}

static void simd_loads(void)
{
    uintptr_t base = (uintptr_t)src;
    uint64_t lo, hi;
    __asm__ volatile("ldr q16, [%2, #32]\n\tfmov %0, d16\n\tmov %1, v16.d[1]" : "=r"(lo), "=r"(hi) : "r"(base) : "v16");
    show2("ldr.q", lo, hi);
    __asm__ volatile("movi v16.2d, #0\n\tldr d16, [%2, #8]\n\tfmov %0, d16\n\tmov %1, v16.d[1]" : "=r"(lo), "=r"(hi) : "r"(base) : "v16");
    show2("ldr.d", lo, hi);
    __asm__ volatile("ldr s16, [%2, #4]\n\tfmov %0, d16\n\tmov %1, v16.d[1]" : "=r"(lo), "=r"(hi) : "r"(base) : "v16");
    show2("ldr.s", lo, hi);
    __asm__ volatile("ldr h16, [%2, #2]\n\tfmov %0, d16\n\tldr b17, [%2, #1]\n\tfmov %1, d17" : "=r"(lo), "=r"(hi) : "r"(base) : "v16", "v17");
    show2("ldr.h/b", lo, hi);
    __asm__ volatile("ldp q16, q17, [%2, #64]\n\teor v16.16b, v16.16b, v17.16b\n\tfmov %0, d16\n\tmov %1, v16.d[1]" : "=r"(lo), "=r"(hi) : "r"(base) : "v16", "v17");
    show2("ldp.q", lo, hi);
    __asm__ volatile("ldur q16, [%2, #-16]\n\tfmov %0, d16\n\tmov %1, v16.d[1]" : "=r"(lo), "=r"(hi) : "r"(base + 96) : "v16");
    show2("ldur.q", lo, hi);
    __asm__ volatile("ldr d16, [%2, %3, lsl #3]\n\tfmov %0, d16\n\tldr s17, [%2, %w3, uxtw #2]\n\tfmov %1, d17" : "=r"(lo), "=r"(hi) : "r"(base), "r"(7UL) : "v16", "v17");
    show2("ldr.d/s.reg", lo, hi);
    __asm__ volatile("ld1 {v16.s}[2], [%2]\n\tld1r {v17.8h}, [%2]\n\tmov %0, v16.d[1]\n\tfmov %1, d17" : "=r"(lo), "=r"(hi) : "r"(base + 40) : "v16", "v17");
    show2("ld1.lane/ld1r", lo, hi);
}

static void stores(void)
{
    uintptr_t base = (uintptr_t)dst;
    memset(dst, 0xa5, sizeof dst);
    uint64_t v = 0x0123456789abcdefULL, w = 0xfedcba9876543210ULL;
    __asm__ volatile("strb %w1, [%0, #1]\n\tstrh %w1, [%0, #2]\n\tstr %w1, [%0, #4]\n\tstr %1, [%0, #8]" :: "r"(base), "r"(v) : "memory");
    show("str.sizes", dst_hash());
    __asm__ volatile("sturb %w1, [%0, #17]\n\tsturh %w1, [%0, #18]\n\tstur %w1, [%0, #20]\n\tstur %1, [%0, #24]" :: "r"(base), "r"(w) : "memory");
    show("stur.sizes", dst_hash());
    __asm__ volatile("sttrb %w1, [%0, #33]\n\tsttrh %w1, [%0, #34]\n\tsttr %w1, [%0, #36]\n\tsttr %1, [%0, #40]" :: "r"(base), "r"(v) : "memory");
    show("sttr.sizes", dst_hash());
    __asm__ volatile("str %1, [%0, %2, lsl #3]\n\tstrh %w1, [%0, %w3, sxtw #1]\n\tstrb %w1, [%0, %2]" :: "r"(base + 64), "r"(w), "r"(2UL), "r"(-7) : "memory");
    show("str.reg", dst_hash());
    {
        uint64_t b = base + 128;
        __asm__ volatile("str %1, [%0, #8]!\n\tstr %w1, [%0], #-4\n\tstrb %w1, [%0, #-1]!\n\tstrh %w1, [%0], #33" : "+r"(b) : "r"(v) : "memory");
        show2("str.wb", dst_hash(), b - base);
        __asm__ volatile("stp %1, %2, [%0, #-32]!\n\tstp %w2, %w1, [%0], #48\n\tstp %1, %2, [%0]\n\tstnp %2, %1, [%0, #16]" : "+r"(b) : "r"(v), "r"(w) : "memory");
        show2("stp.forms", dst_hash(), b - base);
    }
    __asm__ volatile("movi v16.16b, #0x3c\n\tmov v16.d[1], %1\n\tstr q16, [%0, #208]\n\tstr d16, [%0, #224]\n\tstr s16, [%0, #232]\n\t"
                     "str h16, [%0, #236]\n\tstr b16, [%0, #239]\n\tstp q16, q16, [%0, #176]\n\tst1 {v16.b}[9], [%0]"
                     :: "r"(base), "r"(w) : "v16", "memory");
    show("str.simd", dst_hash());
}

static void exclusives(void)
{
    static uint64_t word __attribute__((aligned(16))) = 5;
    static uint64_t pair[2] __attribute__((aligned(16))) = { 1, 2 };
    static uint8_t byte = 7;
    static uint16_t half = 9;
    uint64_t old, status, o2;

    /* Successful read-modify-write sequences (ARM ARM B2.9). */
    __asm__ volatile("ldxr %0, [%2]\n\tadd %0, %0, #10\n\tstxr %w1, %0, [%2]" : "=&r"(old), "=&r"(status) : "r"(&word) : "memory");
    show2("ldxr/stxr", word, status);
    __asm__ volatile("ldaxr %0, [%2]\n\tlsl %0, %0, #1\n\tstlxr %w1, %0, [%2]" : "=&r"(old), "=&r"(status) : "r"(&word) : "memory");
    show2("ldaxr/stlxr", word, status);
    __asm__ volatile("ldxp %0, %1, [%3]\n\tadd %0, %0, %1\n\tstxp %w2, %1, %0, [%3]" : "=&r"(old), "=&r"(o2), "=&r"(status) : "r"(pair) : "memory");
    show2("ldxp/stxp", pair[0] ^ (pair[1] << 8), status);
    __asm__ volatile("ldaxp %w0, %w1, [%3]\n\tstlxp %w2, %w1, %w0, [%3]" : "=&r"(old), "=&r"(o2), "=&r"(status) : "r"(pair) : "memory");
    show2("ldaxp/stlxp.w", pair[0], status);
    __asm__ volatile("ldxrb %w0, [%2]\n\tadd %w0, %w0, #1\n\tstxrb %w1, %w0, [%2]" : "=&r"(old), "=&r"(status) : "r"(&byte) : "memory");
    show2("ldxrb/stxrb", byte, status);
    __asm__ volatile("ldaxrh %w0, [%2]\n\tadd %w0, %w0, #0x100\n\tstlxrh %w1, %w0, [%2]" : "=&r"(old), "=&r"(status) : "r"(&half) : "memory");
    show2("ldaxrh/stlxrh", half, status);
    /* CLREX clears the local monitor, so the store-exclusive must fail. */
    __asm__ volatile("ldxr %0, [%2]\n\tclrex\n\tstxr %w1, xzr, [%2]" : "=&r"(old), "=&r"(status) : "r"(&word) : "memory");
    show2("clrex/stxr", word, status);
    /* Load-acquire / store-release */
    __asm__ volatile("stlr %1, [%2]\n\tldar %0, [%2]" : "=&r"(old) : "r"(0x1122334455667788ULL), "r"(&word) : "memory");
    show("stlr/ldar", old);
    __asm__ volatile("stlrb %w1, [%2]\n\tldarb %w0, [%2]" : "=&r"(old) : "r"(0x1ff), "r"(&byte) : "memory");
    show("stlrb/ldarb", old);
    o2 = 0xabcd;
    __asm__ volatile("stlrh %w1, [%2]\n\tldarh %w0, [%2]\n\tldar %w1, [%3]" : "=&r"(old), "+r"(o2) : "r"(&half), "r"(&word) : "memory");
    show2("stlrh/ldarh", old, o2);
    __asm__ volatile("dmb ish\n\tdsb sy\n\tisb" ::: "memory");
}

int main(void)
{
    for (int i = 0; i < 256; i++)
        src[i] = (uint8_t)(i * 37 + 0x81);
    printf("loadstore: begin\n");
    loads();
    simd_loads();
    stores();
    exclusives();
    printf("loadstore: done (%u checks)\n", lines);
    return 0;
}
