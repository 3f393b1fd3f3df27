/*
 * matmul: dense matrix multiplication, 48x48 doubles (i-k-j order, as compilers like it) and
 * 64x64 int32 with a transposed right operand; results folded into a CRC.
 */
#include "suite.h"

const char bench_name[] = "matmul";

#define DN 48
#define IN 64
static double da[DN][DN], db[DN][DN], dc[DN][DN];
static int32_t ia[IN][IN], ib[IN][IN], ibt[IN][IN], ic[IN][IN];

static void dmul(void)
{
    for (int i = 0; i < DN; i++) {
        for (int j = 0; j < DN; j++)
            dc[i][j] = 0;
        for (int k = 0; k < DN; k++) {
            double a = da[i][k];
            for (int j = 0; j < DN; j++)
                dc[i][j] += a * db[k][j];
        }
    }
}

static void imul(void)
{
    for (int i = 0; i < IN; i++)
        for (int j = 0; j < IN; j++)
            ibt[j][i] = ib[i][j];
    for (int i = 0; i < IN; i++)
        for (int j = 0; j < IN; j++) {
            int32_t s = 0;
            for (int k = 0; k < IN; k++)
                s += ia[i][k] * ibt[j][k];
            ic[i][j] = s;
        }
}

#define ROUNDS_PER_SCALE 6

void bench_run(uint64_t scale)
{
    uint64_t seed = 0xabad1deaULL;
    for (int i = 0; i < DN; i++)
        for (int j = 0; j < DN; j++) {
            da[i][j] = (double)(int)(bench_next_rand(&seed) % 2001 - 1000) / 256.0;
            db[i][j] = (double)(int)(bench_next_rand(&seed) % 2001 - 1000) / 1024.0;
        }
    for (int i = 0; i < IN; i++)
        for (int j = 0; j < IN; j++) {
            ia[i][j] = (int32_t)(bench_next_rand(&seed) % 200) - 100;
            ib[i][j] = (int32_t)(bench_next_rand(&seed) % 200) - 100;
        }
    uint32_t crc = 0;
    for (uint64_t s = 0; s < scale * ROUNDS_PER_SCALE; s++) {
        dmul();
        imul();
        /* feed a little of the result back so that every round differs */
        da[s % DN][(s * 7) % DN] = dc[(s * 5) % DN][s % DN] / 4096.0;
        ia[s % IN][(s * 3) % IN] = ic[(s * 11) % IN][s % IN] & 0xff;
        crc = suite_crc(crc, dc[s % DN], sizeof dc[0]);
        crc = suite_crc(crc, ic[(s * 13) % IN], sizeof ic[0]);
    }
    printf("matmul: %lu rounds of %ux%u double and %ux%u int32\n", scale * ROUNDS_PER_SCALE, DN, DN, IN, IN);
    suite_report(scale, crc);
}
