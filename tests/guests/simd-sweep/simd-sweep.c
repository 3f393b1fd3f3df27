/*
 * simd-sweep: Advanced SIMD as the compiler emits it for ordinary loops at
 * -O3 (auto-vectorised kernels below), plus arm_neon.h intrinsics for the
 * permutes, table lookups, reductions and narrowing/widening forms that
 * the vectoriser does not reliably produce. Each kernel's output array is
 * folded into a checksum that is printed with the kernel's name.
 */
#include "runtime.h"
#include <arm_neon.h>

#define N 256

static uint8_t  a8[N] __attribute__((aligned(16))), b8[N] __attribute__((aligned(16))), r8[N * 4] __attribute__((aligned(16)));
static int8_t   s8a[N] __attribute__((aligned(16)));
static uint16_t a16[N] __attribute__((aligned(16))), b16[N] __attribute__((aligned(16))), r16[N] __attribute__((aligned(16)));
static int16_t  s16a[N] __attribute__((aligned(16))), s16b[N] __attribute__((aligned(16)));
static uint32_t a32[N] __attribute__((aligned(16))), b32[N] __attribute__((aligned(16))), r32[N] __attribute__((aligned(16)));
static int32_t  s32a[N] __attribute__((aligned(16))), s32b[N] __attribute__((aligned(16))), rs32[N] __attribute__((aligned(16)));
static uint64_t a64[N] __attribute__((aligned(16))), b64[N] __attribute__((aligned(16))), r64[N] __attribute__((aligned(16)));
static float    fa[N] __attribute__((aligned(16))), fb[N] __attribute__((aligned(16))), fr[N] __attribute__((aligned(16)));
static double   da[N] __attribute__((aligned(16))), db[N] __attribute__((aligned(16))), dr[N] __attribute__((aligned(16)));

static unsigned lines;

static uint64_t rng_state = 0x243f6a8885a308d3ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = MIX_INIT;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--)
            w = (w << 8) | b[i + k];
        h = mix64(h, w);
    }
    return h;
}

static void report(const char *name, const void *p, size_t n)
{
    printf("%-16s %016lx\n", name, hash_bytes(p, n));
    lines++;
}

static void report_val(const char *name, uint64_t v)
{
    printf("%-16s %016lx\n", name, v);
    lines++;
}

#define NOINLINE __attribute__((noinline))
#define CLEAR(x) memset((x), 0, sizeof(x))

/* ---- auto-vectorised kernels ---- */

NOINLINE static void k_add8(void) { for (int i = 0; i < N; i++) r8[i] = a8[i] + b8[i]; }
NOINLINE static void k_sub16(void) { for (int i = 0; i < N; i++) r16[i] = a16[i] - b16[i]; }
NOINLINE static void k_mul32(void) { for (int i = 0; i < N; i++) r32[i] = a32[i] * b32[i]; }
NOINLINE static void k_mla16(void) { for (int i = 0; i < N; i++) r16[i] += a16[i] * b16[i]; }
NOINLINE static void k_add64(void) { for (int i = 0; i < N; i++) r64[i] = a64[i] + (b64[i] << 3); }
NOINLINE static void k_shr(void) { for (int i = 0; i < N; i++) rs32[i] = (s32a[i] >> 7) + (int32_t)(a32[i] >> 29); }
NOINLINE static void k_shlv(void) { for (int i = 0; i < N; i++) r32[i] = a32[i] << (b32[i] & 31); }
NOINLINE static void k_minmax8(void) { for (int i = 0; i < N; i++) r8[i] = (a8[i] < b8[i] ? a8[i] : b8[i]) ^ (s8a[i] > 3 ? 0xff : 0); }
NOINLINE static void k_minmax32(void) { for (int i = 0; i < N; i++) rs32[i] = s32a[i] > s32b[i] ? s32a[i] : s32b[i]; }
NOINLINE static void k_abs16(void) { for (int i = 0; i < N; i++) r16[i] = (uint16_t)(s16a[i] < 0 ? -s16a[i] : s16a[i]); }
NOINLINE static void k_select(void) { for (int i = 0; i < N; i++) r32[i] = (a32[i] & 0x10) ? a32[i] : b32[i]; }
NOINLINE static void k_cmp(void) { for (int i = 0; i < N; i++) r16[i] = (s16a[i] >= s16b[i]) ? 0x1234 : 0; }
NOINLINE static uint32_t k_sum8(void) { uint32_t s = 0; for (int i = 0; i < N; i++) s += a8[i]; return s; }
NOINLINE static uint32_t k_sum32(void) { uint32_t s = 0; for (int i = 0; i < N; i++) s += a32[i] ^ b32[i]; return s; }
NOINLINE static uint8_t k_max8(void) { uint8_t m = 0; for (int i = 0; i < N; i++) m = a8[i] > m ? a8[i] : m; return m; }
NOINLINE static int16_t k_min16(void) { int16_t m = 32767; for (int i = 0; i < N; i++) m = s16a[i] < m ? s16a[i] : m; return m; }
NOINLINE static int64_t k_dot16(void) { int64_t s = 0; for (int i = 0; i < N; i++) s += (int32_t)s16a[i] * s16b[i]; return s; }
NOINLINE static void k_widen(void) { for (int i = 0; i < N; i++) r32[i] = (uint32_t)a16[i] + b16[i]; }
NOINLINE static void k_widen_s8(void) { for (int i = 0; i < N; i++) rs32[i] = s8a[i] * 3; }
NOINLINE static void k_narrow(void) { for (int i = 0; i < N; i++) r16[i] = (uint16_t)(a32[i] >> 16); }
NOINLINE static void k_narrow8(void) { for (int i = 0; i < N; i++) r8[i] = (uint8_t)((a16[i] + b16[i]) >> 8); }
NOINLINE static void k_popcnt(void) { for (int i = 0; i < N; i++) r8[i] = (uint8_t)__builtin_popcount(a8[i]); }
NOINLINE static void k_ld2(void) { for (int i = 0; i < N / 2; i++) r16[i] = a16[2 * i] * 3 + a16[2 * i + 1]; }
NOINLINE static void k_ld3(void)
{
    /* RGB to grey: de-interleaving byte loads (ld3). */
    for (int i = 0; i < N / 4; i++)
        r8[i] = (uint8_t)((a8[3 * i] * 77 + a8[3 * i + 1] * 150 + a8[3 * i + 2] * 29) >> 8);
}
NOINLINE static void k_ld4(void) { for (int i = 0; i < N / 4; i++) r32[i] = a32[4 * i] + a32[4 * i + 1] * 2 + a32[4 * i + 2] * 4 + a32[4 * i + 3] * 8; }
NOINLINE static void k_st2(void) { for (int i = 0; i < N; i++) { r8[2 * i] = a8[i]; r8[2 * i + 1] = b8[i] + 1; } }
NOINLINE static void k_st3(void) { for (int i = 0; i < N; i++) { r8[3 * i] = a8[i]; r8[3 * i + 1] = b8[i]; r8[3 * i + 2] = a8[i] ^ b8[i]; } }
NOINLINE static void k_st4(void) { for (int i = 0; i < N / 4; i++) { r32[4 * i] = a32[i]; r32[4 * i + 1] = b32[i]; r32[4 * i + 2] = a32[i] + 1; r32[4 * i + 3] = b32[i] - 1; } }
NOINLINE static void k_fadd(void) { for (int i = 0; i < N; i++) fr[i] = fa[i] + fb[i] * 0.5f; }
NOINLINE static void k_fmla(void) { for (int i = 0; i < N; i++) fr[i] = __builtin_fmaf(fa[i], fb[i], fr[i]); }
NOINLINE static void k_fdiv(void) { for (int i = 0; i < N; i++) dr[i] = da[i] / db[i]; }
NOINLINE static void k_fsqrt(void) { for (int i = 0; i < N; i++) fr[i] = __builtin_sqrtf(fa[i] < 0 ? -fa[i] : fa[i]); }
NOINLINE static void k_fmax(void) { for (int i = 0; i < N; i++) dr[i] = __builtin_fmax(da[i], db[i]); }
NOINLINE static void k_cvt(void) { for (int i = 0; i < N; i++) fr[i] = (float)s32a[i] * 0.25f; }
NOINLINE static void k_cvt2(void) { for (int i = 0; i < N; i++) rs32[i] = (int32_t)(fa[i] * 16.0f); }
NOINLINE static float k_fsum(void) { float s = 0; for (int i = 0; i < N; i++) s = s + fa[i] * fb[i]; return s; }

/* ---- intrinsics ---- */

static void intrinsics(void)
{
    uint8x16_t x = vld1q_u8(a8), y = vld1q_u8(b8), idx = vandq_u8(vld1q_u8(b8 + 16), vdupq_n_u8(0x1f));
    uint8_t out[16 * 12] __attribute__((aligned(16)));
    uint8x16x2_t tab = { { x, y } };
    vst1q_u8(out + 0, vqtbl2q_u8(tab, idx));
    vst1q_u8(out + 16, vqtbx1q_u8(x, y, idx));
    vst1q_u8(out + 32, vbslq_u8(vld1q_u8(a8 + 32), x, y));
    vst1q_u8(out + 48, vextq_u8(x, y, 5));
    vst1q_u8(out + 64, vzip1q_u8(x, y));
    vst1q_u8(out + 80, vuzp2q_u8(x, y));
    vst1q_u8(out + 96, vtrn1q_u8(x, y));
    vst1q_u8(out + 112, vcntq_u8(x));
    vst1q_u8(out + 128, vrev64q_u8(y));
    vst1q_u8(out + 144, vqaddq_u8(x, y));
    vst1q_u8(out + 160, vrhaddq_u8(x, y));
    vst1q_u8(out + 176, vclzq_u8(y));
    report("tbl/bsl/ext/zip", out, sizeof out);

    uint16x8_t h1 = vld1q_u16(a16), h2 = vld1q_u16(b16);
    int16x8_t sh = vld1q_s16(s16a);
    uint16_t o16[8 * 10] __attribute__((aligned(16)));
    vst1q_u16(o16 + 0, vdupq_laneq_u16(h1, 5));
    vst1q_u16(o16 + 8, vsetq_lane_u16(vgetq_lane_u16(h2, 3), h1, 6));
    vst1q_u16(o16 + 16, vreinterpretq_u16_s16(vqsubq_s16(sh, vld1q_s16(s16b))));
    vst1q_u16(o16 + 24, vshrq_n_u16(h1, 3));
    vst1q_u16(o16 + 32, vreinterpretq_u16_s16(vrshrq_n_s16(sh, 4)));
    vst1q_u16(o16 + 40, vcombine_u16(vshrn_n_u32(vld1q_u32(a32), 9), vqmovn_u32(vld1q_u32(b32))));
    vst1q_u16(o16 + 48, vmovl_u8(vld1_u8(a8 + 8)));
    vst1q_u16(o16 + 56, vreinterpretq_u16_s16(vmovl_s8(vld1_s8(s8a))));
    vst1q_u16(o16 + 64, vpaddq_u16(h1, h2));
    vst1q_u16(o16 + 72, vreinterpretq_u16_s16(vqdmulhq_s16(sh, vld1q_s16(s16b))));
    report("dup/ins/shrn/sxtl", o16, sizeof o16);

    uint32x4_t w1 = vld1q_u32(a32), w2 = vld1q_u32(b32);
    uint64_t red = 0;
    red = mix64(red, vaddvq_u8(x));
    red = mix64(red, vmaxvq_u8(y));
    red = mix64(red, vminvq_u16(h1));
    red = mix64(red, vaddlvq_u8(x));
    red = mix64(red, vaddlvq_u16(h2));
    red = mix64(red, vaddvq_u32(w1));
    red = mix64(red, vmaxvq_u32(w2));
    red = mix64(red, (uint64_t)(int64_t)vmaxvq_s16(sh));
    red = mix64(red, vgetq_lane_u32(w1, 2));
    red = mix64(red, (uint64_t)(int64_t)vgetq_lane_s16(sh, 7));
    report_val("reductions", red);

    uint64_t o64[2 * 6] __attribute__((aligned(16)));
    vst1q_u64(o64 + 0, vmull_u32(vget_low_u32(w1), vget_low_u32(w2)));
    vst1q_u64(o64 + 2, vreinterpretq_u64_s64(vmull_high_s32(vld1q_s32(s32a), vld1q_s32(s32b))));
    vst1q_u64(o64 + 4, vaddl_u32(vget_high_u32(w1), vget_low_u32(w2)));
    vst1q_u64(o64 + 6, vreinterpretq_u64_u32(vmlaq_laneq_u32(w1, w2, w2, 1)));
    vst1q_u64(o64 + 8, vreinterpretq_u64_u32(vcgtq_u32(w1, w2)));
    vst1q_u64(o64 + 10, vreinterpretq_u64_u32(vsliq_n_u32(w1, w2, 7)));
    report("mull/addl/sli", o64, sizeof o64);

    float32x4_t f1 = vld1q_f32(fa), f2 = vld1q_f32(fb);
    float32_t of[4 * 7] __attribute__((aligned(16)));
    vst1q_f32(of + 0, vfmaq_f32(f1, f2, f1));
    vst1q_f32(of + 4, vminnmq_f32(f1, f2));
    vst1q_f32(of + 8, vrecpeq_f32(f2));
    vst1q_f32(of + 12, vrsqrteq_f32(vabsq_f32(f1)));
    vst1q_f32(of + 16, vcvtq_f32_s32(vcvtnq_s32_f32(f1)));
    vst1q_f32(of + 20, vpaddq_f32(f1, f2));
    vst1q_f32(of + 24, vrndaq_f32(vmulq_n_f32(f1, 3.3f)));
    report("fp-vector", of, sizeof of);
    report_val("fmaxv/faddp", mix64(vget_lane_u32(vreinterpret_u32_f32(vdup_n_f32(vmaxvq_f32(f1))), 0),
                                    vget_lane_u64(vreinterpret_u64_f64(vdup_n_f64(vaddvq_f64(vld1q_f64(da)))), 0)));

    /* ld2/ld3/ld4 and st2/st3/st4 with explicit structures */
    uint8x16x3_t t3 = vld3q_u8(a8);
    uint8x16x4_t t4 = vld4q_u8(b8);
    uint16x8x2_t t2 = vld2q_u16(a16);
    CLEAR(r8);
    vst3q_u8(r8, (uint8x16x3_t){ { t3.val[2], t3.val[0], t3.val[1] } });
    vst4q_u8(r8 + 48, (uint8x16x4_t){ { t4.val[3], t4.val[2], t4.val[1], t4.val[0] } });
    vst2q_u16((uint16_t *)(r8 + 128), (uint16x8x2_t){ { t2.val[1], t2.val[0] } });
    vst1q_u8_x2(r8 + 160, (uint8x16x2_t){ { t3.val[0], t4.val[1] } });
    uint32x4x2_t l1 = vld1q_u32_x2(a32 + 8);
    vst1q_u32((uint32_t *)(r8 + 192), vaddq_u32(l1.val[0], l1.val[1]));
    uint32x4_t lane = vld1q_lane_u32(b32 + 3, vdupq_n_u32(7), 2);
    vst1q_u32((uint32_t *)(r8 + 208), lane);
    uint16x8x2_t ld2r = vld2q_dup_u16(a16 + 4);
    vst1q_u16((uint16_t *)(r8 + 224), veorq_u16(ld2r.val[0], ld2r.val[1]));
    report("ld/st structures", r8, 256);
}

static void init(void)
{
    for (int i = 0; i < N; i++) {
        uint64_t v = rng();
        a8[i] = (uint8_t)v;
        b8[i] = (uint8_t)(v >> 8);
        s8a[i] = (int8_t)(v >> 16);
        a16[i] = (uint16_t)(v >> 24);
        b16[i] = (uint16_t)(v >> 40);
        s16a[i] = (int16_t)(v >> 32);
        s16b[i] = (int16_t)(v >> 48);
        uint64_t w = rng();
        a32[i] = (uint32_t)w;
        b32[i] = (uint32_t)(w >> 32);
        s32a[i] = (int32_t)(w >> 16) >> (i & 15);
        s32b[i] = (int32_t)w >> (i & 7);
        a64[i] = w;
        b64[i] = rng();
        /* Finite floats of moderate magnitude plus a few specials. */
        fa[i] = (float)((int32_t)(w >> 40) - 0x400000) / 1024.0f;
        fb[i] = (float)((int32_t)(v >> 44) + 1) / 256.0f;
        da[i] = (double)(int64_t)(b64[i] >> 20) / 3.0;
        db[i] = (double)((int64_t)(a64[i] >> 40) - 0x70000);
    }
    fa[5] = 0.0f;
    fa[6] = -0.0f;
    fb[7] = 1e30f;
    db[9] = 0.0;
    s16a[3] = -32768;
    s16b[3] = -32768;
    a8[0] = 0xff;
    b8[0] = 0xff;
}

int main(void)
{
    init();
    printf("simd-sweep: %u elements per array\n", N);
    CLEAR(r8); k_add8(); report("add.16b", r8, N);
    CLEAR(r16); k_sub16(); report("sub.8h", r16, sizeof r16);
    k_mul32(); report("mul.4s", r32, sizeof r32);
    k_mla16(); report("mla.8h", r16, sizeof r16);
    k_add64(); report("add-shl.2d", r64, sizeof r64);
    k_shr(); report("sshr/ushr", rs32, sizeof rs32);
    k_shlv(); report("ushl-var", r32, sizeof r32);
    k_minmax8(); report("umin/cmgt.16b", r8, N);
    k_minmax32(); report("smax.4s", rs32, sizeof rs32);
    k_abs16(); report("abs.8h", r16, sizeof r16);
    k_select(); report("cmtst/bsl", r32, sizeof r32);
    k_cmp(); report("cmge.8h", r16, sizeof r16);
    report_val("sum.u8", k_sum8());
    report_val("sum.u32", k_sum32());
    report_val("umaxv", k_max8());
    report_val("sminv", (uint64_t)(int64_t)k_min16());
    report_val("dot.s16", (uint64_t)k_dot16());
    k_widen(); report("uaddl", r32, sizeof r32);
    k_widen_s8(); report("sxtl-mul", rs32, sizeof rs32);
    k_narrow(); report("shrn/xtn", r16, sizeof r16);
    CLEAR(r8); k_narrow8(); report("addhn/narrow8", r8, N);
    k_popcnt(); report("cnt", r8, N);
    CLEAR(r16); k_ld2(); report("ld2-kernel", r16, sizeof r16);
    CLEAR(r8); k_ld3(); report("ld3-kernel", r8, N);
    CLEAR(r32); k_ld4(); report("ld4-kernel", r32, sizeof r32);
    k_st2(); report("st2-kernel", r8, 2 * N);
    k_st3(); report("st3-kernel", r8, 3 * N);
    k_st4(); report("st4-kernel", r32, sizeof r32);
    k_fadd(); report("fadd/fmul.4s", fr, sizeof fr);
    k_fmla(); report("fmla.4s", fr, sizeof fr);
    k_fdiv(); report("fdiv.2d", dr, sizeof dr);
    k_fsqrt(); report("fsqrt.4s", fr, sizeof fr);
    k_fmax(); report("fmaxnm.2d", dr, sizeof dr);
    k_cvt(); report("scvtf.4s", fr, sizeof fr);
    k_cvt2(); report("fcvtzs.4s", rs32, sizeof rs32);
    {
        float s = k_fsum();
        uint32_t bitsv;
        memcpy(&bitsv, &s, 4);
        report_val("fsum", bitsv);
    }
    intrinsics();
    uint64_t fpsr;
    __asm__ volatile("mrs %0, fpsr" : "=r"(fpsr));
    printf("fpsr %02lx\n", fpsr & 0x9f);
    printf("simd-sweep: done (%u kernels)\n", lines);
    return 0;
}
