/*
 * simd-neon: Advanced SIMD through arm_neon.h intrinsics: a 3x3 box blur of an 8-bit image
 * (widening adds, narrowing shifts), int16 multiply-accumulate into int32 lanes, float 4x4
 * matrix-vector transforms with lane FMLA, table lookups (TBL) for byte permutation, a
 * vector byte search, and pairwise reductions.
 */
#include "suite.h"
#include <arm_neon.h>

const char bench_name[] = "simd-neon";

#define W 128
#define H 64
static uint8_t img[H][W], out[H][W];
#define NV 2048
static int16_t va[NV], vb[NV];
static float pts[NV][4];
static uint8_t bytes[NV * 4];

static void blur(void)
{
    for (int y = 1; y < H - 1; y++)
        for (int x = 0; x + 16 <= W; x += 16) {
            int xl = x ? x - 1 : 0, xr = x + 17 <= W ? x + 1 : W - 16;
            uint16x8_t lo = vdupq_n_u16(0), hi = vdupq_n_u16(0);
            for (int dy = -1; dy <= 1; dy++) {
                uint8x16_t l = vld1q_u8(&img[y + dy][xl]);
                uint8x16_t c = vld1q_u8(&img[y + dy][x]);
                uint8x16_t r = vld1q_u8(&img[y + dy][xr]);
                lo = vaddw_u8(vaddw_u8(vaddw_u8(lo, vget_low_u8(l)), vget_low_u8(c)), vget_low_u8(r));
                hi = vaddw_u8(vaddw_u8(vaddw_u8(hi, vget_high_u8(l)), vget_high_u8(c)), vget_high_u8(r));
            }
            /* divide by 9 as (v * 7282) >> 16 */
            uint16x8_t k = vdupq_n_u16(7282);
            uint8x8_t nlo = vshrn_n_u16(vshrq_n_u16(vmulq_u16(vshrq_n_u16(lo, 1), k), 8), 4);
            uint8x8_t nhi = vshrn_n_u16(vshrq_n_u16(vmulq_u16(vshrq_n_u16(hi, 1), k), 8), 4);
            vst1q_u8(&out[y][x], vcombine_u8(nlo, nhi));
        }
}

static int64_t mac16(void)
{
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    for (int i = 0; i < NV; i += 8) {
        int16x8_t a = vld1q_s16(&va[i]), b = vld1q_s16(&vb[i]);
        acc0 = vmlal_s16(acc0, vget_low_s16(a), vget_low_s16(b));
        acc1 = vmlal_high_s16(acc1, a, b);
    }
    return vaddlvq_s32(acc0) + vaddlvq_s32(acc1);
}

static float32x4_t transform(const float m[4][4])
{
    float32x4_t c0 = vld1q_f32(m[0]), c1 = vld1q_f32(m[1]), c2 = vld1q_f32(m[2]), c3 = vld1q_f32(m[3]);
    float32x4_t sum = vdupq_n_f32(0);
    for (int i = 0; i < NV; i++) {
        float32x4_t p = vld1q_f32(pts[i]);
        float32x4_t r = vmulq_laneq_f32(c0, p, 0);
        r = vfmaq_laneq_f32(r, c1, p, 1);
        r = vfmaq_laneq_f32(r, c2, p, 2);
        r = vfmaq_laneq_f32(r, c3, p, 3);
        vst1q_f32(pts[i], r);
        sum = vaddq_f32(sum, vabsq_f32(r));
    }
    return sum;
}

static uint32_t permute_and_search(uint8_t needle)
{
    static const uint8_t perm[16] = {3, 2, 1, 0, 7, 6, 5, 4, 15, 14, 13, 12, 8, 9, 10, 11};
    uint8x16_t idx = vld1q_u8(perm);
    uint8x16_t n = vdupq_n_u8(needle);
    uint32_t found = 0;
    uint16x8_t counts = vdupq_n_u16(0);
    for (int i = 0; i < NV * 4; i += 16) {
        uint8x16_t v = vqtbl1q_u8(vld1q_u8(&bytes[i]), idx);
        v = veorq_u8(v, vdupq_n_u8(0x5a));
        vst1q_u8(&bytes[i], v);
        uint8x16_t eq = vceqq_u8(v, n);
        counts = vpadalq_u8(counts, vandq_u8(eq, vdupq_n_u8(1)));
        if (vmaxvq_u8(eq))
            found++;
    }
    return found + ((uint32_t)vaddvq_u16(counts) << 16);
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x4e454f4eULL;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y][x] = (uint8_t)bench_next_rand(&seed);
    for (int i = 0; i < NV; i++) {
        uint64_t r = bench_next_rand(&seed);
        va[i] = (int16_t)r;
        vb[i] = (int16_t)(r >> 16);
        for (int k = 0; k < 4; k++)
            pts[i][k] = (float)(int)((r >> (8 * k + 32)) & 0xff) / 32.0f - 4.0f;
        for (int k = 0; k < 4; k++)
            bytes[4 * i + k] = (uint8_t)(r >> (8 * k));
    }
    /* a rotation-like matrix with small coefficients keeps the points bounded */
    const float m[4][4] = {{0.6f, 0.8f, 0, 0}, {-0.8f, 0.6f, 0, 0}, {0, 0, 1, 0}, {0.01f, -0.02f, 0.03f, 1}};
    uint32_t crc = 0;
    for (uint64_t s = 0; s < scale * 36; s++) {
        blur();
        crc = suite_crc(crc, out[1 + s % (H - 2)], W);
        /* feed the blurred image back with a twist so that it does not converge to flat */
        for (int y = 1; y < H - 1; y++)
            for (int x = 0; x < W; x++)
                img[y][x] = (uint8_t)(out[y][x] * 3 + x + y + s);
        int64_t d = mac16();
        va[s % NV] = (int16_t)d;
        crc = suite_crc_u64(crc, (uint64_t)d);
        float32x4_t t = transform(m);
        crc = suite_crc_u32(crc, fbits(vgetq_lane_f32(t, 0)) ^ fbits(vgetq_lane_f32(t, 3)));
        crc = suite_crc_u32(crc, permute_and_search((uint8_t)s));
    }
    printf("simd-neon: %lu rounds\n", scale * 36);
    suite_report(scale, crc);
}
