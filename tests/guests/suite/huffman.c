/*
 * huffman: byte-frequency Huffman coding of 16 KB of skewed data: a heap-built code tree,
 * canonical code lengths, bit-wise encoding into a buffer and table-free tree-walk decoding,
 * which must reproduce the input.
 */
#include "suite.h"

const char bench_name[] = "huffman";

#define IN_BYTES 16384
static uint8_t input[IN_BYTES], output[IN_BYTES];
static uint8_t packed[IN_BYTES * 2];

struct hnode { uint32_t weight; int16_t left, right; };
static struct hnode nodes[512];
static int16_t heap[512];
static uint32_t code[256];
static uint8_t code_len[256];

static int lighter(int a, int b)
{
    return nodes[a].weight != nodes[b].weight ? nodes[a].weight < nodes[b].weight : a < b;
}

static void sift_down(int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && lighter(heap[l], heap[m])) m = l;
        if (r < n && lighter(heap[r], heap[m])) m = r;
        if (m == i) return;
        int16_t t = heap[i]; heap[i] = heap[m]; heap[m] = t;
        i = m;
    }
}

static void assign(int n, uint32_t bits, unsigned len)
{
    if (nodes[n].left < 0) {
        code[n] = bits;
        code_len[n] = (uint8_t)(len ? len : 1);
        return;
    }
    assign(nodes[n].left, bits << 1, len + 1);
    assign(nodes[n].right, (bits << 1) | 1, len + 1);
}

/* Builds the tree; returns the root. */
static int build(const uint8_t *in, size_t n)
{
    for (int i = 0; i < 256; i++) {
        nodes[i].weight = 0;
        nodes[i].left = nodes[i].right = -1;
        code_len[i] = 0;
    }
    for (size_t i = 0; i < n; i++) nodes[in[i]].weight++;
    int hn = 0;
    for (int i = 0; i < 256; i++)
        if (nodes[i].weight) heap[hn++] = (int16_t)i;
    for (int i = hn / 2 - 1; i >= 0; i--) sift_down(hn, i);
    int next = 256;
    while (hn > 1) {
        int a = heap[0];
        heap[0] = heap[--hn];
        sift_down(hn, 0);
        int b = heap[0];
        nodes[next].weight = nodes[a].weight + nodes[b].weight;
        nodes[next].left = (int16_t)a;
        nodes[next].right = (int16_t)b;
        heap[0] = (int16_t)next++;
        sift_down(hn, 0);
    }
    int root = heap[0];
    assign(root, 0, 0);
    return root;
}

static size_t encode(const uint8_t *in, size_t n)
{
    uint64_t acc = 0;
    unsigned fill = 0;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << code_len[in[i]]) | code[in[i]];
        fill += code_len[in[i]];
        while (fill >= 8) {
            fill -= 8;
            packed[out++] = (uint8_t)(acc >> fill);
        }
    }
    if (fill) packed[out++] = (uint8_t)(acc << (8 - fill));
    return out;
}

static void decode(int root, uint8_t *out, size_t n)
{
    size_t bit = 0;
    for (size_t i = 0; i < n; i++) {
        int p = root;
        while (nodes[p].left >= 0) {
            unsigned b = (packed[bit >> 3] >> (7 - (bit & 7))) & 1;
            p = b ? nodes[p].right : nodes[p].left;
            bit++;
        }
        out[i] = (uint8_t)p;
    }
}

#define BLOCKS_PER_SCALE 5

void bench_run(uint64_t scale)
{
    uint64_t seed = 0x48554646ULL;
    uint32_t crc = 0;
    size_t total_bits = 0;
    unsigned bad = 0;
    for (uint64_t s = 0; s < scale * BLOCKS_PER_SCALE; s++) {
        /* skewed symbols: the minimum of a few random bytes, offset per round */
        unsigned spread = 2 + (unsigned)(s % 4);
        for (unsigned i = 0; i < IN_BYTES; i++) {
            uint64_t r = bench_next_rand(&seed);
            uint8_t v = 255;
            for (unsigned k = 0; k < spread; k++) {
                uint8_t b = (uint8_t)(r >> (8 * k));
                if (b < v) v = b;
            }
            input[i] = (uint8_t)(v + s);
        }
        int root = build(input, IN_BYTES);
        size_t bytes = encode(input, IN_BYTES);
        total_bits += bytes * 8;
        decode(root, output, IN_BYTES);
        bad += memcmp(input, output, IN_BYTES) != 0;
        crc = suite_crc(crc, packed, 256);
        crc = suite_crc_u32(crc, (uint32_t)bytes);
    }
    printf("huffman: %lu blocks of %u bytes, %lu bytes coded, %u bad round trips\n", scale * BLOCKS_PER_SCALE, IN_BYTES, total_bits / 8, bad);
    suite_report(scale, crc);
}
