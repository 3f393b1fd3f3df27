/*
 * fp-sweep: scalar floating point (single, double, half conversions) over
 * special and ordinary operands. Every operation runs with FPSR cleared
 * beforehand; the result bits and the FPSR exception flags it raised are
 * folded into a per-form checksum, and the cumulative flags of the form
 * are printed too (FPSR layout: ARM ARM C5.2.8; FPCR: C5.2.7).
 *
 * Operands travel through general registers (fmov) so the compiler never
 * handles the values itself and the results are bit exact.
 */
#include "runtime.h"

static const uint64_t dvals[] = {
    0x0000000000000000ULL, 0x8000000000000000ULL, /* +0, -0 */
    0x3ff0000000000000ULL, 0xbff0000000000000ULL, /* 1, -1 */
    0x3fe0000000000000ULL, 0x3ff8000000000000ULL, /* 0.5, 1.5 */
    0x4004000000000000ULL, 0xc004000000000000ULL, /* 2.5, -2.5 */
    0x400c000000000000ULL, 0x3fdfffffffffffffULL, /* 3.5, 0.49999.. */
    0x7fefffffffffffffULL, 0xffefffffffffffffULL, /* +-max */
    0x0010000000000000ULL, 0x0000000000000001ULL, /* min normal, min denormal */
    0x000fffffffffffffULL, 0x800123456789abcdULL, /* denormals */
    0x7ff0000000000000ULL, 0xfff0000000000000ULL, /* +-inf */
    0x7ff8000000000000ULL, 0xfff8000000000123ULL, /* qNaNs */
    0x7ff0000000000001ULL, 0xfff4000000000abcULL, /* sNaNs */
    0x41dfffffffc00000ULL, 0x41e0000000000000ULL, /* 2^31-1, 2^31 */
    0xc1e0000000200000ULL, 0x41f0000000000000ULL, /* -2^31-1, 2^32 */
    0x43e0000000000000ULL, 0x43f0000000000000ULL, /* 2^63, 2^64 */
    0xc3e0000000000000ULL, 0x3fd5555555555555ULL, /* -2^63, 1/3 */
    0x400921fb54442d18ULL, 0x01a56e1fc2f8f359ULL, /* pi, 1e-300 */
    0x4202a05f20000000ULL, 0xc0c3880000000000ULL, /* 1e10, -10000 */
    0x3ca0000000000000ULL, 0x4330000000000001ULL, /* 2^-53, 2^52+1 */
};
#define ND (sizeof dvals / sizeof dvals[0])

static const uint32_t svals[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000,
    0x40200000, 0xc0200000, 0x40600000, 0x3effffff, 0x7f7fffff, 0xff7fffff,
    0x00800000, 0x00000001, 0x007fffff, 0x80012345, 0x7f800000, 0xff800000,
    0x7fc00000, 0xffc00123, 0x7f800001, 0xffa00abc, 0x4effffff, 0x4f000000,
    0xcf000001, 0x4f800000, 0x5f000000, 0x5f800000, 0xdf000000, 0x3eaaaaab,
    0x40490fdb, 0x477fe000, 0x477ff000, 0x33800000, 0x38800000, 0x387fc000,
    0x4b000001, 0xc61c4000,
};
#define NS (sizeof svals / sizeof svals[0])

static const uint32_t hvals[] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x3800, 0x7bff, 0xfbff, 0x0400, 0x0001,
    0x03ff, 0x7c00, 0xfc00, 0x7e00, 0xfe12, 0x7c01, 0xfd55, 0x4248, 0x5640,
};
#define NH (sizeof hvals / sizeof hvals[0])

static uint64_t cum_fpsr;
static unsigned lines;
static const char *mode_name = "rn";

static void report(const char *name, uint64_t h)
{
    printf("%-3s %-16s %016lx fpsr=%02lx\n", mode_name, name, h, cum_fpsr & 0x9f);
    lines++;
}

static inline void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" :: "r"(v)); }

#define FP_CLOBBER "v16", "v17", "v18", "v19", "cc"

/* Generic sweep: BODY computes r (result bits) and f (FPSR after). */
#define SWEEP(label, VALS, N, BODY)                                        \
    do {                                                                   \
        uint64_t h = MIX_INIT;                                             \
        cum_fpsr = 0;                                                      \
        for (unsigned i = 0; i < (N); i++)                                 \
            for (unsigned j = 0; j < (N); j++) {                           \
                uint64_t a = VALS[i], b = VALS[j], c = VALS[(i * 5 + j) % (N)]; \
                uint64_t r = 0, f = 0, fin = (uint64_t)((i + j) & 0xf) << 28; \
                (void)b; (void)c; (void)fin;                               \
                BODY;                                                      \
                cum_fpsr |= f;                                             \
                h = mix64(h, r);                                           \
                h = mix64(h, f);                                           \
            }                                                              \
        report(label, h);                                                  \
    } while (0)

/* Single-operand sweeps only need the i loop; reuse SWEEP with j == 0. */
#define SWEEP1(label, VALS, N, BODY)                                       \
    do {                                                                   \
        uint64_t h = MIX_INIT;                                             \
        cum_fpsr = 0;                                                      \
        for (unsigned i = 0; i < (N); i++) {                               \
            uint64_t a = VALS[i], r = 0, f = 0;                            \
            BODY;                                                          \
            cum_fpsr |= f;                                                 \
            h = mix64(h, r);                                               \
            h = mix64(h, f);                                               \
        }                                                                  \
        report(label, h);                                                  \
    } while (0)

#define ASM_RF(text, ...) __asm__ volatile("msr fpsr, xzr\n\t" text "\n\tmrs %1, fpsr" \
                                         : "=&r"(r), "=&r"(f) : __VA_ARGS__ : FP_CLOBBER)

/* Binary ops: d18 = op(d16, d17) */
#define D2(label, op) SWEEP(label, dvals, ND, ASM_RF("fmov d16, %2\n\tfmov d17, %3\n\t" op " d18, d16, d17\n\tfmov %0, d18", "r"(a), "r"(b)))
#define S2(label, op) SWEEP(label, svals, NS, ASM_RF("fmov s16, %w2\n\tfmov s17, %w3\n\t" op " s18, s16, s17\n\tfmov %w0, s18", "r"(a), "r"(b)))
/* Fused ops: d18 = op(d16, d17, d19) */
#define D3(label, op) SWEEP(label, dvals, ND, ASM_RF("fmov d16, %2\n\tfmov d17, %3\n\tfmov d19, %4\n\t" op " d18, d16, d17, d19\n\tfmov %0, d18", "r"(a), "r"(b), "r"(c)))
#define S3(label, op) SWEEP(label, svals, NS, ASM_RF("fmov s16, %w2\n\tfmov s17, %w3\n\tfmov s19, %w4\n\t" op " s18, s16, s17, s19\n\tfmov %w0, s18", "r"(a), "r"(b), "r"(c)))
/* Unary ops */
#define D1(label, op) SWEEP1(label, dvals, ND, ASM_RF("fmov d16, %2\n\t" op " d18, d16\n\tfmov %0, d18", "r"(a)))
#define S1(label, op) SWEEP1(label, svals, NS, ASM_RF("fmov s16, %w2\n\t" op " s18, s16\n\tfmov %w0, s18", "r"(a)))
/* Conversion with explicit register text: source in %2 */
#define CVT(label, VALS, N, text) SWEEP1(label, VALS, N, ASM_RF(text, "r"(a)))

static void arith(void)
{
    D2("fadd.d", "fadd");
    S2("fadd.s", "fadd");
    D2("fsub.d", "fsub");
    S2("fsub.s", "fsub");
    D2("fmul.d", "fmul");
    S2("fmul.s", "fmul");
    D2("fdiv.d", "fdiv");
    S2("fdiv.s", "fdiv");
    D3("fmadd.d", "fmadd");
    S3("fmadd.s", "fmadd");
    D1("fsqrt.d", "fsqrt");
    S1("fsqrt.s", "fsqrt");
}

static void arith_more(void)
{
    D2("fnmul.d", "fnmul");
    S2("fnmul.s", "fnmul");
    D3("fmsub.d", "fmsub");
    S3("fnmadd.s", "fnmadd");
    D3("fnmsub.d", "fnmsub");
    D2("fmin.d", "fmin");
    S2("fmax.s", "fmax");
    D2("fminnm.d", "fminnm");
    S2("fmaxnm.s", "fmaxnm");
    D2("fmax.d", "fmax");
    S2("fminnm.s", "fminnm");
    D2("fabd.d", "fabd");
    D1("fabs.d", "fabs");
    S1("fneg.s", "fneg");
    D1("fmov.d", "fmov");
    D1("frecpe.d", "frecpe");
    S1("frsqrte.s", "frsqrte");
    D1("frecpx.d", "frecpx");
    S2("frecps.s", "frecps");
    D2("frsqrts.d", "frsqrts");
}

static void rounding(void)
{
    D1("frintn.d", "frintn");
    D1("frinta.d", "frinta");
    D1("frintp.d", "frintp");
    D1("frintm.d", "frintm");
    D1("frintz.d", "frintz");
    D1("frintx.d", "frintx");
    D1("frinti.d", "frinti");
    S1("frintn.s", "frintn");
    S1("frinta.s", "frinta");
    S1("frintx.s", "frintx");
    S1("frinti.s", "frinti");
}

static void conversions(void)
{
    /* fp -> int, every rounding flavour, 32/64-bit destinations */
    CVT("fcvtzs.x.d", dvals, ND, "fmov d16, %2\n\tfcvtzs %0, d16");
    CVT("fcvtzs.w.d", dvals, ND, "fmov d16, %2\n\tfcvtzs %w0, d16");
    CVT("fcvtzu.x.d", dvals, ND, "fmov d16, %2\n\tfcvtzu %0, d16");
    CVT("fcvtzu.w.s", svals, NS, "fmov s16, %w2\n\tfcvtzu %w0, s16");
    CVT("fcvtns.x.d", dvals, ND, "fmov d16, %2\n\tfcvtns %0, d16");
    CVT("fcvtns.w.s", svals, NS, "fmov s16, %w2\n\tfcvtns %w0, s16");
    CVT("fcvtnu.x.s", svals, NS, "fmov s16, %w2\n\tfcvtnu %0, s16");
    CVT("fcvtms.x.d", dvals, ND, "fmov d16, %2\n\tfcvtms %0, d16");
    CVT("fcvtmu.w.d", dvals, ND, "fmov d16, %2\n\tfcvtmu %w0, d16");
    CVT("fcvtps.w.d", dvals, ND, "fmov d16, %2\n\tfcvtps %w0, d16");
    CVT("fcvtpu.x.s", svals, NS, "fmov s16, %w2\n\tfcvtpu %0, s16");
    CVT("fcvtas.x.d", dvals, ND, "fmov d16, %2\n\tfcvtas %0, d16");
    CVT("fcvtau.w.s", svals, NS, "fmov s16, %w2\n\tfcvtau %w0, s16");
    CVT("fcvtzs.fix16", dvals, ND, "fmov d16, %2\n\tfcvtzs %0, d16, #16");
    CVT("fcvtzu.fix3.s", svals, NS, "fmov s16, %w2\n\tfcvtzu %w0, s16, #3");
    /* int -> fp; the operand tables double as integer bit patterns */
    CVT("scvtf.d.x", dvals, ND, "scvtf d18, %2\n\tfmov %0, d18");
    CVT("ucvtf.d.x", dvals, ND, "ucvtf d18, %2\n\tfmov %0, d18");
    CVT("scvtf.s.x", dvals, ND, "scvtf s18, %2\n\tfmov %w0, s18");
    CVT("ucvtf.s.x", dvals, ND, "ucvtf s18, %2\n\tfmov %w0, s18");
    CVT("scvtf.s.w", svals, NS, "scvtf s18, %w2\n\tfmov %w0, s18");
    CVT("ucvtf.d.w", svals, NS, "ucvtf d18, %w2\n\tfmov %0, d18");
    CVT("scvtf.d.fix8", dvals, ND, "scvtf d18, %2, #8\n\tfmov %0, d18");
    CVT("ucvtf.s.fix31", svals, NS, "ucvtf s18, %w2, #31\n\tfmov %w0, s18");
    /* precision changes */
    CVT("fcvt.s.d", dvals, ND, "fmov d16, %2\n\tfcvt s18, d16\n\tfmov %w0, s18");
    CVT("fcvt.d.s", svals, NS, "fmov s16, %w2\n\tfcvt d18, s16\n\tfmov %0, d18");
    CVT("fcvt.h.d", dvals, ND, "fmov d16, %2\n\tfcvt h18, d16\n\tfmov %w0, s18");
    CVT("fcvt.h.s", svals, NS, "fmov s16, %w2\n\tfcvt h18, s16\n\tfmov %w0, s18");
    CVT("fcvt.s.h", hvals, NH, "fmov s16, %w2\n\tfcvt s18, h16\n\tfmov %w0, s18");
    CVT("fcvt.d.h", hvals, NH, "fmov s16, %w2\n\tfcvt d18, h16\n\tfmov %0, d18");
    CVT("fcvtzs.w.h", hvals, NH, "fmov s16, %w2\n\tfcvt s16, h16\n\tfcvtzs %w0, s16");
    CVT("fcvtxn", dvals, ND, "fmov d16, %2\n\tfcvtxn s18, d16\n\tfmov %w0, s18");
}

static void compares(void)
{
    SWEEP("fcmp.d", dvals, ND, ASM_RF("fmov d16, %2\n\tfmov d17, %3\n\tfcmp d16, d17\n\tmrs %0, nzcv", "r"(a), "r"(b)));
    SWEEP("fcmpe.s", svals, NS, ASM_RF("fmov s16, %w2\n\tfmov s17, %w3\n\tfcmpe s16, s17\n\tmrs %0, nzcv", "r"(a), "r"(b)));
    SWEEP1("fcmp0.d", dvals, ND, ASM_RF("fmov d16, %2\n\tfcmp d16, #0.0\n\tmrs %0, nzcv", "r"(a)));
    SWEEP1("fcmpe0.s", svals, NS, ASM_RF("fmov s16, %w2\n\tfcmpe s16, #0.0\n\tmrs %0, nzcv", "r"(a)));
    SWEEP("fccmp.d.ge", dvals, ND, ASM_RF("msr nzcv, %4\n\tfmov d16, %2\n\tfmov d17, %3\n\tfccmp d16, d17, #6, ge\n\tmrs %0, nzcv", "r"(a), "r"(b), "r"(fin)));
    SWEEP("fccmpe.s.ne", svals, NS, ASM_RF("msr nzcv, %4\n\tfmov s16, %w2\n\tfmov s17, %w3\n\tfccmpe s16, s17, #9, ne\n\tmrs %0, nzcv", "r"(a), "r"(b), "r"(fin)));
    SWEEP("fcsel.d.lt", dvals, ND, ASM_RF("msr nzcv, %4\n\tfmov d16, %2\n\tfmov d17, %3\n\tfcsel d18, d16, d17, lt\n\tfmov %0, d18", "r"(a), "r"(b), "r"(fin)));
    SWEEP("fcsel.s.hi", svals, NS, ASM_RF("msr nzcv, %4\n\tfmov s16, %w2\n\tfmov s17, %w3\n\tfcsel s18, s16, s17, hi\n\tfmov %w0, s18", "r"(a), "r"(b), "r"(fin)));
}

/*
 * FPCR.RMode (bits 23:22), FZ (24), DN (25) and AHP (26). The
 * mode-sensitive forms are rerun under each setting.
 */
static const struct { const char *name; uint64_t fpcr; } modes[] = {
    { "rp", 1u << 22 },
    { "rm", 2u << 22 },
    { "rz", 3u << 22 },
    { "fz", 1u << 24 },
    { "dn", 1u << 25 },
    { "ahp", 1u << 26 },
};

int main(void)
{
    printf("fp-sweep: %u doubles, %u singles, %u halves\n", (unsigned)ND, (unsigned)NS, (unsigned)NH);
    set_fpcr(0);
    arith();
    arith_more();
    rounding();
    conversions();
    compares();
    for (unsigned m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        mode_name = modes[m].name;
        set_fpcr(modes[m].fpcr);
        if (modes[m].fpcr & (1u << 26)) {
            CVT("fcvt.h.s", svals, NS, "fmov s16, %w2\n\tfcvt h18, s16\n\tfmov %w0, s18");
            CVT("fcvt.s.h", hvals, NH, "fmov s16, %w2\n\tfcvt s18, h16\n\tfmov %w0, s18");
            continue;
        }
        arith();
        D2("fmin.d", "fmin");
        S2("fmaxnm.s", "fmaxnm");
        rounding();
        CVT("scvtf.s.x", dvals, ND, "scvtf s18, %2\n\tfmov %w0, s18");
        CVT("ucvtf.d.x", dvals, ND, "ucvtf d18, %2\n\tfmov %0, d18");
        CVT("fcvt.s.d", dvals, ND, "fmov d16, %2\n\tfcvt s18, d16\n\tfmov %w0, s18");
        CVT("fcvt.h.d", dvals, ND, "fmov d16, %2\n\tfcvt h18, d16\n\tfmov %w0, s18");
        CVT("fcvtzs.x.d", dvals, ND, "fmov d16, %2\n\tfcvtzs %0, d16");
        SWEEP("fcmp.d", dvals, ND, ASM_RF("fmov d16, %2\n\tfmov d17, %3\n\tfcmp d16, d17\n\tmrs %0, nzcv", "r"(a), "r"(b)));
    }
    set_fpcr(0);
    mode_name = "rn";
    printf("fp-sweep: done (%u forms)\n", lines);
    return 0;
}
