/*
 * core: CoreMark-style integer kernels (the team's own code): a linked list (find, reverse,
 * merge sort by two keys), small int16 matrix operations and a state machine that classifies
 * number-like tokens, each iteration's results folded into a CRC.
 */
#include "suite.h"

const char bench_name[] = "core";

/* ---- linked list ---- */
struct node {
    struct node *next;
    int16_t data;
    int16_t idx;
};

#define NODES 192
static struct node pool[NODES];

static struct node *list_build(uint64_t *seed)
{
    struct node *head = 0;
    for (int i = NODES - 1; i >= 0; i--) {
        pool[i].idx = (int16_t)i;
        pool[i].data = (int16_t)(bench_next_rand(seed) & 0x7fff);
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_find(struct node *l, int16_t data)
{
    for (; l; l = l->next)
        if (l->data == data)
            return l;
    return 0;
}

static struct node *list_reverse(struct node *l)
{
    struct node *prev = 0;
    while (l) {
        struct node *n = l->next;
        l->next = prev;
        prev = l;
        l = n;
    }
    return prev;
}

static int by_data(const struct node *a, const struct node *b)
{
    return a->data != b->data ? a->data - b->data : a->idx - b->idx;
}

static int by_idx(const struct node *a, const struct node *b) { return a->idx - b->idx; }

/* Bottom-up merge sort of a singly linked list. */
static struct node *list_sort(struct node *l, int (*cmp)(const struct node *, const struct node *))
{
    for (unsigned width = 1;; width *= 2) {
        struct node *p = l, *tail = 0;
        unsigned merges = 0;
        l = 0;
        while (p) {
            merges++;
            struct node *q = p;
            unsigned psize = 0, qsize = width;
            while (psize < width && q) {
                psize++;
                q = q->next;
            }
            while (psize || (qsize && q)) {
                struct node *e;
                if (!psize) { e = q; q = q->next; qsize--; }
                else if (!qsize || !q) { e = p; p = p->next; psize--; }
                else if (cmp(p, q) <= 0) { e = p; p = p->next; psize--; }
                else { e = q; q = q->next; qsize--; }
                if (tail) tail->next = e; else l = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return l;
    }
}

static uint32_t list_kernel(uint64_t *seed, uint32_t crc)
{
    struct node *l = list_build(seed);
    int found = 0, missed = 0;
    for (int k = 0; k < 24; k++) {
        int16_t want = (k & 1) ? pool[(k * 37) % NODES].data : (int16_t)(k * 1111);
        struct node *n = list_find(l, want);
        if (n) { found++; crc = suite_crc_u32(crc, (uint32_t)n->idx); }
        else missed++;
        l = list_reverse(l);
    }
    l = list_sort(l, by_data);
    uint32_t acc = 0;
    for (struct node *n = l; n; n = n->next)
        acc = acc * 31 + (uint32_t)n->data + ((uint32_t)n->idx << 16);
    l = list_sort(l, by_idx);
    int16_t expect = 0;
    for (struct node *n = l; n; n = n->next)
        if (n->idx != expect++)
            acc ^= 0x80000000u;
    crc = suite_crc_u32(crc, acc);
    return suite_crc_u32(crc, (uint32_t)(found << 16 | missed));
}

/* ---- matrix ---- */
#define MN 20
static int16_t ma[MN][MN], mb[MN][MN];
static int32_t mc[MN][MN], mv[MN];

static uint32_t matrix_sum(uint32_t crc, int32_t clip)
{
    int32_t tmp = 0, prev = 0, ret = 0;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t cur = mc[i][j];
            tmp += cur;
            if (tmp > clip) { ret += 10; tmp = 0; }
            else ret += cur > prev ? 1 : 0;
            prev = cur;
        }
    return suite_crc_u32(crc, (uint32_t)ret);
}

static uint32_t matrix_kernel(uint64_t *seed, uint32_t crc)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            uint64_t r = bench_next_rand(seed);
            ma[i][j] = (int16_t)((r & 0xff) - 128);
            mb[i][j] = (int16_t)(((r >> 8) & 0x3ff) - 512);
        }
    int16_t c = (int16_t)(bench_next_rand(seed) & 0x1f) + 3;
    /* add constant, multiply by constant */
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            ma[i][j] += c;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            mc[i][j] = (int32_t)ma[i][j] * c;
    crc = matrix_sum(crc, 4000);
    /* matrix times vector */
    for (int i = 0; i < MN; i++) {
        int32_t s = 0;
        for (int j = 0; j < MN; j++)
            s += (int32_t)ma[i][j] * mb[j][0];
        mv[i] = s;
    }
    crc = suite_crc(crc, mv, sizeof mv);
    /* matrix times matrix, then with bit extraction */
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int k = 0; k < MN; k++)
                s += (int32_t)ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    crc = matrix_sum(crc, 100000);
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int k = 0; k < MN; k++) {
                int32_t t = (int32_t)ma[i][k] * mb[k][j];
                s += ((t >> 2) & 0xf) * ((t >> 5) & 0x7f);
            }
            mc[i][j] = s;
        }
    crc = matrix_sum(crc, 30000);
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++)
            ma[i][j] -= c;
    return crc;
}

/* ---- state machine ---- */
enum { S_START, S_INT, S_HEX0, S_HEX, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_SIGN, S_INVALID, S_COUNT };

static const char *const tokens[] = {
    "5012", "1234", "-874", "+122", "0x1f3a", "0X7fff", "3.1415", "-0.25", "6.02e23", "1e-9", "-4.5E+3",
    "abc", "12a4", "0x", "--3", ".5", "7.", "1e", "+", "0xg1", "99999", "-1.0e-3",
};

#define SM_LEN 1024
static char sm_buf[SM_LEN];

static unsigned sm_step(unsigned s, char c, unsigned *trans)
{
    unsigned n = s;
    int digit = c >= '0' && c <= '9';
    switch (s) {
    case S_START:
        if (c == '0') n = S_HEX0;
        else if (digit) n = S_INT;
        else if (c == '+' || c == '-') n = S_SIGN;
        else if (c == '.') n = S_FRAC;
        else n = S_INVALID;
        break;
    case S_SIGN: n = digit ? S_INT : c == '.' ? S_FRAC : S_INVALID; break;
    case S_HEX0: n = (c == 'x' || c == 'X') ? S_HEX : digit ? S_INT : c == '.' ? S_FRAC : S_INVALID; break;
    case S_HEX: n = (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) ? S_HEX : S_INVALID; break;
    case S_INT: n = digit ? S_INT : c == '.' ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
    case S_FRAC: n = digit ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
    case S_EXP: n = digit ? S_EXPINT : (c == '+' || c == '-') ? S_EXPSIGN : S_INVALID; break;
    case S_EXPSIGN: n = digit ? S_EXPINT : S_INVALID; break;
    case S_EXPINT: n = digit ? S_EXPINT : S_INVALID; break;
    default: break;
    }
    if (n != s)
        trans[n]++;
    return n;
}

static uint32_t state_kernel(uint64_t *seed, uint32_t crc)
{
    unsigned final[S_COUNT] = {0}, trans[S_COUNT] = {0};
    unsigned pos = 0;
    while (pos + 12 < SM_LEN) {
        const char *t = tokens[bench_next_rand(seed) % (sizeof tokens / sizeof tokens[0])];
        while (*t)
            sm_buf[pos++] = *t++;
        sm_buf[pos++] = ',';
    }
    sm_buf[pos] = 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *p = sm_buf;
        while (*p) {
            unsigned s = S_START;
            for (; *p && *p != ','; p++)
                if (s != S_INVALID)
                    s = sm_step(s, *p, trans);
            final[s]++;
            if (*p)
                p++;
        }
        /* corrupt every 7th byte deterministically, then scan again */
        for (unsigned i = 3; i < pos; i += 7)
            if (sm_buf[i] != ',')
                sm_buf[i] ^= (char)(bench_next_rand(seed) & 0x3);
    }
    crc = suite_crc(crc, final, sizeof final);
    return suite_crc(crc, trans, sizeof trans);
}

#define ITERS_PER_SCALE 40

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    uint32_t crc = 0;
    for (uint64_t it = 0; it < scale * ITERS_PER_SCALE; it++) {
        uint32_t c = list_kernel(&seed, 0);
        c = matrix_kernel(&seed, c);
        c = state_kernel(&seed, c);
        crc = suite_crc_u32(crc, c);
    }
    printf("core: %lu iterations\n", scale * ITERS_PER_SCALE);
    suite_report(scale, crc);
}
