/*
 * simd-auto: loops written as plain C for the compiler's auto-vectoriser (built with
 * -O2 -ftree-vectorize -fvect-cost-model=dynamic): saxpy and element-wise float operations,
 * int16 dot products, byte saturation and clamping, int32 min/max scans, RGB-to-grey
 * conversion and a byte histogram-like compare count.
 */
#include "suite.h"

const char bench_name[] = "simd-auto";

#define N 4096
static float fx[N], fy[N], fz[N];
static int16_t sa[N], sb[N];
static int32_t ia[N], ib[N];
static uint8_t u8a[N], u8b[N], u8c[N], rgb[3 * N], grey[N];

static void saxpy(float a, const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = a * x[i] + y[i];
}

static void fops(float *z, const float *x, const float *y, int n)
{
    for (int i = 0; i < n; i++) {
        float m = x[i] > y[i] ? x[i] : y[i];
        z[i] = (x[i] - y[i]) * 0.5f + m;
    }
}

static int64_t dot16(const int16_t *a, const int16_t *b, int n)
{
    int32_t s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void sat_add(uint8_t *c, const uint8_t *a, const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        unsigned v = (unsigned)a[i] + b[i];
        c[i] = (uint8_t)(v > 255 ? 255 : v);
    }
}

static void clamp32(int32_t *a, int n, int32_t lo, int32_t hi)
{
    for (int i = 0; i < n; i++)
        a[i] = a[i] < lo ? lo : a[i] > hi ? hi : a[i];
}

static int32_t max32(const int32_t *a, int n)
{
    int32_t m = a[0];
    for (int i = 1; i < n; i++)
        m = a[i] > m ? a[i] : m;
    return m;
}

static uint32_t sum_abs_diff(const uint8_t *a, const uint8_t *b, int n)
{
    uint32_t s = 0;
    for (int i = 0; i < n; i++)
        s += (uint32_t)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
    return s;
}

static void to_grey(uint8_t *g, const uint8_t *p, int n)
{
    for (int i = 0; i < n; i++)
        g[i] = (uint8_t)((p[3 * i] * 77 + p[3 * i + 1] * 150 + p[3 * i + 2] * 29) >> 8);
}

static void add32(int32_t *a, const int32_t *b, int n)
{
    for (int i = 0; i < n; i++)
        a[i] = a[i] + (b[i] >> 1) - (a[i] >> 3);
}

static uint32_t count_eq(const uint8_t *a, const uint8_t *b, int n)
{
    uint32_t c = 0;
    for (int i = 0; i < n; i++)
        c += a[i] == b[i];
    return c;
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x51adULL;
    for (int i = 0; i < N; i++) {
        uint64_t r = bench_next_rand(&seed);
        fx[i] = (float)(int)(r & 0xfff) / 64.0f - 32.0f;
        fy[i] = (float)(int)((r >> 12) & 0xfff) / 128.0f;
        sa[i] = (int16_t)(r >> 24);
        sb[i] = (int16_t)((r >> 40) & 0x3ff);
        ia[i] = (int32_t)(r >> 32);
        ib[i] = (int32_t)r;
        u8a[i] = (uint8_t)(r >> 8);
        u8b[i] = (uint8_t)(r >> 16);
        rgb[3 * i] = (uint8_t)(r >> 48);
        rgb[3 * i + 1] = (uint8_t)(r >> 52);
        rgb[3 * i + 2] = (uint8_t)(r >> 56);
    }
    uint32_t crc = 0;
    for (uint64_t s = 0; s < scale * 64; s++) {
        saxpy(0.75f, fx, fy, N);
        fops(fz, fx, fy, N);
        saxpy(-0.5f, fz, fy, N);
        int64_t d = dot16(sa, sb, N);
        sat_add(u8c, u8a, u8b, N);
        add32(ia, ib, N);
        clamp32(ia, N, -(1 << 28), 1 << 28);
        int32_t m = max32(ia, N);
        uint32_t sad = sum_abs_diff(u8c, u8a, N);
        to_grey(grey, rgb, N);
        uint32_t eq = count_eq(grey, u8b, N);
        crc = suite_crc_u64(crc, (uint64_t)d);
        crc = suite_crc_u32(crc, (uint32_t)m ^ sad ^ (eq << 20));
        crc = suite_crc_u32(crc, fbits(fy[s % N]) ^ fbits(fz[(s * 31) % N]));
        u8a[s % N] = grey[(s * 17) % N];
        sa[(s * 5) % N] = (int16_t)d;
        rgb[s % (3 * N)] ^= u8c[s % N];
    }
    printf("simd-auto: %lu rounds over %u elements\n", scale * 64, N);
    suite_report(scale, crc);
}
