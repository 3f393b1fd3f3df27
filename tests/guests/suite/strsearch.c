/*
 * strsearch: counts the occurrences of a set of patterns in 32 KB of generated English-like text
 * with three algorithms (naive, Knuth-Morris-Pratt, Boyer-Moore-Horspool), which must agree,
 * plus a case-insensitive word count.
 */
#include "suite.h"

const char bench_name[] = "strsearch";

static const char *const words[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "emulator", "instruction",
    "translation", "table", "page", "fault", "exception", "level", "vector", "register", "memory",
    "barrier", "cache", "line", "a", "an", "of", "to", "in", "and", "is", "was", "for", "that",
};
#define NWORDS (sizeof words / sizeof words[0])

static const char *const patterns[] = {
    "the", "fox jumps", "page fault", "translation table", "exception level", "a", "in the",
    "memory barrier", "zebra", "cache line of the", "ta", "ion", "register register",
};
#define NPAT (sizeof patterns / sizeof patterns[0])

#define TEXT_BYTES 32768
static char text[TEXT_BYTES + 1];

static size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

static unsigned count_naive(const char *t, size_t n, const char *p, size_t m)
{
    unsigned c = 0;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && t[i + k] == p[k]) k++;
        c += k == m;
    }
    return c;
}

static unsigned count_kmp(const char *t, size_t n, const char *p, size_t m)
{
    int fail[64], k = -1;
    fail[0] = -1;
    for (int i = 0; i < (int)m; i++) {
        while (k >= 0 && p[k] != p[i]) k = fail[k];
        fail[i + 1] = ++k;
    }
    unsigned c = 0;
    k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k >= 0 && p[k] != t[i]) k = fail[k];
        if (++k == (int)m) {
            c++;
            k = fail[m];
        }
    }
    return c;
}

static unsigned count_bmh(const char *t, size_t n, const char *p, size_t m)
{
    size_t shift[256];
    for (int i = 0; i < 256; i++) shift[i] = m;
    for (size_t i = 0; i + 1 < m; i++) shift[(uint8_t)p[i]] = m - 1 - i;
    unsigned c = 0;
    for (size_t i = 0; i + m <= n; i += shift[(uint8_t)t[i + m - 1]]) {
        size_t k = m;
        while (k > 0 && t[i + k - 1] == p[k - 1]) k--;
        c += k == 0;
    }
    return c;
}

static unsigned count_words_ci(const char *t, const char *w)
{
    unsigned c = 0;
    size_t m = slen(w);
    for (const char *p = t; *p; p++) {
        if (p != t && p[-1] != ' ' && p[-1] != '.') continue;
        size_t k = 0;
        while (k < m && (p[k] | 0x20) == w[k]) k++;
        if (k == m && (p[m] == ' ' || p[m] == '.' || p[m] == 0)) c++;
    }
    return c;
}

static void make_text(uint64_t *seed)
{
    size_t pos = 0;
    int sentence = 1;
    while (pos < TEXT_BYTES - 24) {
        const char *w = words[bench_next_rand(seed) % NWORDS];
        char first = *w;
        if (sentence) first = (char)(first - 32);
        text[pos++] = first;
        for (w++; *w; w++) text[pos++] = *w;
        sentence = bench_next_rand(seed) % 11 == 0;
        text[pos++] = sentence ? '.' : ' ';
        if (sentence) text[pos++] = ' ';
    }
    while (pos < TEXT_BYTES) text[pos++] = ' ';
    text[TEXT_BYTES] = 0;
}

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x5eed5eed5eedULL;
    uint32_t crc = 0;
    unsigned disagree = 0, total = 0;
    for (uint64_t s = 0; s < scale; s++) {
        make_text(&seed);
        for (unsigned i = 0; i < NPAT; i++) {
            size_t m = slen(patterns[i]);
            unsigned a = count_naive(text, TEXT_BYTES, patterns[i], m);
            unsigned b = count_kmp(text, TEXT_BYTES, patterns[i], m);
            unsigned c = count_bmh(text, TEXT_BYTES, patterns[i], m);
            disagree += (a != b) + (a != c);
            total += a;
            crc = suite_crc_u32(crc, a);
        }
        for (unsigned i = 0; i < 4; i++)
            crc = suite_crc_u32(crc, count_words_ci(text, words[(s + i * 7) % NWORDS]));
    }
    printf("strsearch: %lu texts, %u matches, %u disagreements\n", scale, total, disagree);
    suite_report(scale, crc);
}
