/*
 * dijkstra: single-source shortest paths on a random weighted graph of 512 nodes
 * (adjacency lists, binary-heap priority queue with decrease-key), from a different source
 * each round; distances and predecessors folded into a CRC.
 */
#include "suite.h"

const char bench_name[] = "dijkstra";

#define NV 512
#define DEG 8
#define INF 0xffffffffu

static uint16_t adj[NV][DEG];
static uint16_t wt[NV][DEG];
static uint32_t dist[NV];
static int16_t pred[NV];
static uint16_t heap[NV];
static int16_t where[NV];   /* heap position, -1 = not queued, -2 = done */
static int hn;

static void hswap(int a, int b)
{
    uint16_t t = heap[a]; heap[a] = heap[b]; heap[b] = t;
    where[heap[a]] = (int16_t)a;
    where[heap[b]] = (int16_t)b;
}

static void up(int i)
{
    while (i > 0 && dist[heap[(i - 1) / 2]] > dist[heap[i]]) {
        hswap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void down(int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < hn && dist[heap[l]] < dist[heap[m]]) m = l;
        if (r < hn && dist[heap[r]] < dist[heap[m]]) m = r;
        if (m == i) return;
        hswap(i, m);
        i = m;
    }
}

static void shortest(unsigned src)
{
    for (unsigned v = 0; v < NV; v++) {
        dist[v] = INF;
        pred[v] = -1;
        where[v] = -1;
    }
    hn = 0;
    dist[src] = 0;
    heap[hn] = (uint16_t)src;
    where[src] = (int16_t)hn++;
    while (hn) {
        unsigned u = heap[0];
        hswap(0, --hn);
        where[u] = -2;
        down(0);
        for (unsigned e = 0; e < DEG; e++) {
            unsigned v = adj[u][e];
            if (where[v] == -2) continue;
            uint32_t d = dist[u] + wt[u][e];
            if (d < dist[v]) {
                dist[v] = d;
                pred[v] = (int16_t)u;
                if (where[v] < 0) {
                    heap[hn] = (uint16_t)v;
                    where[v] = (int16_t)hn++;
                }
                up(where[v]);
            }
        }
    }
}

void bench_run(uint64_t scale)
{
    uint64_t seed = 0xd1d1d1d1ULL;
    for (unsigned v = 0; v < NV; v++)
        for (unsigned e = 0; e < DEG; e++) {
            uint64_t r = bench_next_rand(&seed);
            /* one edge to the next node keeps the graph connected */
            adj[v][e] = (uint16_t)(e == 0 ? (v + 1) % NV : r % NV);
            wt[v][e] = (uint16_t)(1 + (r >> 20) % 1000);
        }
    uint32_t crc = 0;
    uint64_t sum = 0;
    for (uint64_t s = 0; s < scale * 48; s++) {
        shortest((unsigned)(s * 37) % NV);
        for (unsigned v = 0; v < NV; v++)
            sum += dist[v];
        crc = suite_crc(crc, dist, 64);
        crc = suite_crc(crc, pred + (s % 8) * 64, 128);
        /* reweight a few edges so that rounds differ */
        wt[s % NV][s % DEG] = (uint16_t)(1 + (wt[s % NV][s % DEG] * 7) % 1000);
    }
    printf("dijkstra: %lu sources, distance sum %lu\n", scale * 48, sum);
    suite_report(scale, crc);
}
