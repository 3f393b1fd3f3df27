/*
 * int-sweep: runs the A64 integer data-processing instructions over every
 * pair of a fixed operand set (edge values plus pseudo-random ones) and
 * prints one checksum per instruction form. Flag-setting forms also fold
 * the resulting NZCV into the checksum; forms that consume flags start
 * from an NZCV value derived from the operands.
 */
#include "runtime.h"

#define NV 40
static uint64_t V[NV];
static unsigned lines;

static const uint64_t edge[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
    0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
    0xfffffffffffffffeULL, 0xffffffff80000000ULL, 0x00000000ffff0000ULL,
    0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL, 0x0123456789abcdefULL,
    0xfedcba9876543210ULL, 63, 64, 31, 32,
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    /* xorshift64*: deterministic operand generator. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void report(const char *name, uint64_t h)
{
    printf("%-14s %016lx\n", name, h);
    lines++;
}

#define NZCV_OF(i, j) ((uint64_t)(((i) * 7 + (j) * 3) & 0xf) << 28)

#define SWEEP(label, BODY)                                                   \
    do {                                                                     \
        uint64_t h = MIX_INIT;                                               \
        for (int i = 0; i < NV; i++)                                         \
            for (int j = 0; j < NV; j++) {                                   \
                uint64_t a = V[i], b = V[j], c = V[(i + j + 1) % NV];        \
                uint64_t fin = NZCV_OF(i, j), r = 0, f = 0;                  \
                (void)c; (void)fin; (void)f;                                 \
                BODY;                                                        \
                h = mix64(h, r);                                             \
                h = mix64(h, f);                                             \
            }                                                                \
        report(label, h);                                                    \
    } while (0)

/* r = insn(a, b) */
#define RRR(label, insn) \
    SWEEP(label, __asm__ volatile(insn : "=&r"(r) : "r"(a), "r"(b)))
/* r = insn(a, b), with NZCV set on entry and captured on exit */
#define RRRF(label, insn)                                                    \
    SWEEP(label, __asm__ volatile("msr nzcv, %2\n\t" insn "\n\tmrs %1, nzcv" \
                                  : "=&r"(r), "=&r"(f)                       \
                                  : "r"(fin), "r"(a), "r"(b)                 \
                                  : "cc"))
/* r = insn(a, b, c) */
#define RRRR(label, insn) \
    SWEEP(label, __asm__ volatile(insn : "=&r"(r) : "r"(a), "r"(b), "r"(c)))
/* r = insn(a) */
#define RR(label, insn) \
    SWEEP(label, __asm__ volatile(insn : "=&r"(r) : "r"(a), "r"(b)))
/* r = insn(a) with destination pre-loaded with b (bfi/bfxil/movk) */
#define RMW(label, insn) \
    SWEEP(label, r = b; __asm__ volatile(insn : "+r"(r) : "r"(a)))

static void add_sub(void)
{
    RRRF("adds64", "adds %0, %3, %4");
    RRRF("adds32", "adds %w0, %w3, %w4");
    RRRF("subs64", "subs %0, %3, %4");
    RRRF("subs32", "subs %w0, %w3, %w4");
    RRRF("adcs64", "adcs %0, %3, %4");
    RRRF("adcs32", "adcs %w0, %w3, %w4");
    RRRF("sbcs64", "sbcs %0, %3, %4");
    RRRF("sbcs32", "sbcs %w0, %w3, %w4");
    RRRF("adc64", "adc %0, %3, %4");
    RRRF("sbc32", "sbc %w0, %w3, %w4");
    RRRF("cmp-imm", "cmp %3, #0xfff");
    RRRF("cmn-imm12", "cmn %w3, #1, lsl #12");
    RRRF("adds-imm", "adds %0, %3, #4095");
    RRRF("subs-imm32", "subs %w0, %w3, #1");
    RRRF("negs64", "negs %0, %3");
    RRRF("ngcs32", "ngcs %w0, %w3");
    RRR("add-lsl7", "add %0, %1, %2, lsl #7");
    RRR("sub-lsr33", "sub %0, %1, %2, lsr #33");
    RRR("add32-asr31", "add %w0, %w1, %w2, asr #31");
    RRRF("adds-asr63", "adds %0, %3, %4, asr #63");
    RRRF("subs32-lsl1", "subs %w0, %w3, %w4, lsl #1");
    RRR("add-uxtb", "add %0, %1, %w2, uxtb");
    RRR("add-uxth2", "add %0, %1, %w2, uxth #2");
    RRR("add-uxtw4", "add %0, %1, %w2, uxtw #4");
    RRR("sub-sxtb1", "sub %0, %1, %w2, sxtb #1");
    RRR("sub-sxth", "sub %0, %1, %w2, sxth");
    RRR("add-sxtw3", "add %0, %1, %w2, sxtw #3");
    RRR("add-uxtx", "add %0, %1, %2, uxtx #2");
    RRRF("adds-sxtw", "adds %0, %3, %w4, sxtw");
    RRRF("subs32-uxtb", "subs %w0, %w3, %w4, uxtb #3");
}

static void logical(void)
{
    RRR("and64", "and %0, %1, %2");
    RRR("orr32", "orr %w0, %w1, %w2");
    RRR("eor-ror13", "eor %0, %1, %2, ror #13");
    RRR("bic-lsl4", "bic %0, %1, %2, lsl #4");
    RRR("orn32-lsr3", "orn %w0, %w1, %w2, lsr #3");
    RRR("eon-asr9", "eon %0, %1, %2, asr #9");
    RRRF("ands64", "ands %0, %3, %4");
    RRRF("ands32", "ands %w0, %w3, %w4");
    RRRF("bics-ror1", "bics %0, %3, %4, ror #1");
    RRRF("tst-imm", "tst %3, #0x8000000000000001");
    RRR("and-imm", "and %0, %1, #0x00ff00ff00ff00ff");
    RRR("orr-imm", "orr %0, %1, #0x3333333333333333");
    RRR("eor-imm32", "eor %w0, %w1, #0xfffe0000");
    RRRF("ands-imm32", "ands %w0, %w3, #0x0f0f0f0f");
    RRR("mvn", "mvn %0, %1");
}

static void shifts(void)
{
    RRR("lslv64", "lsl %0, %1, %2");
    RRR("lsrv64", "lsr %0, %1, %2");
    RRR("asrv64", "asr %0, %1, %2");
    RRR("rorv64", "ror %0, %1, %2");
    RRR("lslv32", "lsl %w0, %w1, %w2");
    RRR("lsrv32", "lsr %w0, %w1, %w2");
    RRR("asrv32", "asr %w0, %w1, %w2");
    RRR("rorv32", "ror %w0, %w1, %w2");
    RRR("lsl-imm", "lsl %0, %1, #17");
    RRR("asr32-imm", "asr %w0, %w1, #5");
    RRR("ror-imm", "ror %0, %1, #61");
}

static void bitfield(void)
{
    RRR("ubfx", "ubfx %0, %1, #12, #20");
    RRR("sbfx", "sbfx %0, %1, #3, #13");
    RRR("sbfx32", "sbfx %w0, %w1, #31, #1");
    RRR("ubfiz", "ubfiz %0, %1, #40, #24");
    RRR("sbfiz32", "sbfiz %w0, %w1, #4, #8");
    RMW("bfi", "bfi %0, %1, #8, #16");
    RMW("bfi32", "bfi %w0, %w1, #28, #4");
    RMW("bfxil", "bfxil %0, %1, #60, #4");
    RMW("bfm-wrap", "bfm %0, %1, #48, #7");
    RRR("sbfm-raw", "sbfm %0, %1, #50, #10");
    RRR("ubfm32-raw", "ubfm %w0, %w1, #20, #3");
    RRR("sxtb", "sxtb %0, %w1");
    RRR("sxth32", "sxth %w0, %w1");
    RRR("sxtw", "sxtw %0, %w1");
    RRR("uxtb", "uxtb %w0, %w1");
    RRR("uxth", "uxth %w0, %w1");
    RRR("extr", "extr %0, %1, %2, #23");
    RRR("extr32", "extr %w0, %w1, %w2, #31");
    RRR("extr0", "extr %0, %1, %2, #0");
}

#define CONDS(X) X(eq) X(ne) X(cs) X(cc) X(mi) X(pl) X(vs) X(vc) \
                 X(hi) X(ls) X(ge) X(lt) X(gt) X(le) X(al) X(nv)

static void conditional(void)
{
#define CSEL_ALL(cc)                                                      \
    RRRF("csel-" #cc, "csel %0, %3, %4, " #cc);                           \
    RRRF("csinc-" #cc, "csinc %w0, %w3, %w4, " #cc);                      \
    RRRF("csinv-" #cc, "csinv %0, %3, %4, " #cc);                         \
    RRRF("csneg-" #cc, "csneg %w0, %w3, %w4, " #cc);                      \
    RRRF("ccmp-" #cc, "ccmp %3, %4, #5, " #cc);                           \
    RRRF("ccmn-imm-" #cc, "ccmn %w3, #17, #10, " #cc);
    CONDS(CSEL_ALL)
#undef CSEL_ALL
    RRRF("cset-hi", "cset %0, hi");
    RRRF("csetm-lt", "csetm %w0, lt");
    RRRF("cinc-vs", "cinc %0, %3, vs");
    RRRF("cneg-le", "cneg %0, %3, le");
    RRRF("ccmp-imm-ge", "ccmp %3, #31, #0, ge");
    RRRF("ccmn32-reg-mi", "ccmn %w3, %w4, #15, mi");
}

static void multiply(void)
{
    RRRR("madd", "madd %0, %1, %2, %3");
    RRRR("msub", "msub %0, %1, %2, %3");
    RRRR("madd32", "madd %w0, %w1, %w2, %w3");
    RRRR("msub32", "msub %w0, %w1, %w2, %w3");
    RRR("mul", "mul %0, %1, %2");
    RRR("mneg", "mneg %w0, %w1, %w2");
    RRR("smull", "smull %0, %w1, %w2");
    RRR("umull", "umull %0, %w1, %w2");
    RRRR("smaddl", "smaddl %0, %w1, %w2, %3");
    RRRR("umsubl", "umsubl %0, %w1, %w2, %3");
    RRR("smulh", "smulh %0, %1, %2");
    RRR("umulh", "umulh %0, %1, %2");
}

static void divide(void)
{
    RRR("udiv64", "udiv %0, %1, %2");
    RRR("sdiv64", "sdiv %0, %1, %2");
    RRR("udiv32", "udiv %w0, %w1, %w2");
    RRR("sdiv32", "sdiv %w0, %w1, %w2");
}

static void bits(void)
{
    RR("clz64", "clz %0, %1");
    RR("clz32", "clz %w0, %w1");
    RR("cls64", "cls %0, %1");
    RR("cls32", "cls %w0, %w1");
    RR("rbit64", "rbit %0, %1");
    RR("rbit32", "rbit %w0, %w1");
    RR("rev64", "rev %0, %1");
    RR("rev32-w", "rev %w0, %w1");
    RR("rev16", "rev16 %0, %1");
    RR("rev16-w", "rev16 %w0, %w1");
    RR("rev32", "rev32 %0, %1");
}

static void crc(void)
{
    RRR("crc32b", "crc32b %w0, %w1, %w2");
    RRR("crc32h", "crc32h %w0, %w1, %w2");
    RRR("crc32w", "crc32w %w0, %w1, %w2");
    RRR("crc32x", "crc32x %w0, %w1, %2");
    RRR("crc32cb", "crc32cb %w0, %w1, %w2");
    RRR("crc32ch", "crc32ch %w0, %w1, %w2");
    RRR("crc32cw", "crc32cw %w0, %w1, %w2");
    RRR("crc32cx", "crc32cx %w0, %w1, %2");
}

static void moves(void)
{
    RMW("movk0", "movk %0, #0xbeef");
    RMW("movk48", "movk %0, #0xdead, lsl #48");
    RMW("movk32-16", "movk %w0, #0x1234, lsl #16");
    RRR("movz32", "movz %0, #0xcafe, lsl #32");
    RRR("movn16", "movn %0, #0x1, lsl #16");
    RRR("movn32", "movn %w0, #0xffff, lsl #16");
}

int main(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++)
        V[n++] = edge[i];
    while (n < NV)
        V[n++] = rng() >> (rng() & 63);

    printf("int-sweep: %u operands, %u pairs per form\n", NV, NV * NV);
    add_sub();
    logical();
    shifts();
    bitfield();
    conditional();
    multiply();
    divide();
    bits();
    crc();
    moves();
    printf("int-sweep: done (%u forms)\n", lines);
    return 0;
}
