/*
 * nbody: double-precision gravitational simulation of a star and four planets (symplectic Euler
 * steps, energy before and after); results printed as IEEE bit patterns.
 */
#include "suite.h"

const char bench_name[] = "nbody";

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NB 5

struct body { double x, y, z, vx, vy, vz, m; };

static struct body bodies[NB];

static void init_bodies(void)
{
    /* heliocentric positions (AU), velocities (AU/day) and masses of the Sun and the outer planets */
    static const double init[NB][7] = {
        {0, 0, 0, 0, 0, 0, 1},
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04},
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04},
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05},
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05},
    };
    for (int i = 0; i < NB; i++) {
        bodies[i].x = init[i][0];
        bodies[i].y = init[i][1];
        bodies[i].z = init[i][2];
        bodies[i].vx = init[i][3] * DAYS_PER_YEAR;
        bodies[i].vy = init[i][4] * DAYS_PER_YEAR;
        bodies[i].vz = init[i][5] * DAYS_PER_YEAR;
        bodies[i].m = init[i][6] * SOLAR_MASS;
    }
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NB; i++) {
        px += bodies[i].vx * bodies[i].m;
        py += bodies[i].vy * bodies[i].m;
        pz += bodies[i].vz * bodies[i].m;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void)
{
    double e = 0;
    for (int i = 0; i < NB; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->m * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NB; j++) {
            double dx = b->x - bodies[j].x, dy = b->y - bodies[j].y, dz = b->z - bodies[j].z;
            e -= b->m * bodies[j].m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt)
{
    for (int i = 0; i < NB; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < NB; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            b->vx -= dx * c->m * mag;
            b->vy -= dy * c->m * mag;
            b->vz -= dz * c->m * mag;
            c->vx += dx * b->m * mag;
            c->vy += dy * b->m * mag;
            c->vz += dz * b->m * mag;
        }
    }
    for (int i = 0; i < NB; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

#define STEPS_PER_SCALE 6000

void bench_run(uint64_t scale)
{
    init_bodies();
    double e0 = energy();
    for (uint64_t s = 0; s < scale * STEPS_PER_SCALE; s++)
        advance(0.01);
    double e1 = energy();
    printf("nbody: %lu steps, energy %016lx -> %016lx\n", scale * STEPS_PER_SCALE, bits(e0), bits(e1));
    uint32_t crc = suite_crc_u64(0, bits(e1));
    for (int i = 0; i < NB; i++) {
        crc = suite_crc_u64(crc, bits(bodies[i].x));
        crc = suite_crc_u64(crc, bits(bodies[i].vy));
    }
    suite_report(scale, crc);
}
