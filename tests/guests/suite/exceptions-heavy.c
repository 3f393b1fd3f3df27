/*
 * exceptions-heavy: synchronous exceptions taken at EL1 with the MMU on and returned from,
 * through the runtime's full-frame vectors and a C handler: SVCs whose handler computes a
 * result into x0; data aborts on an unmapped region, answered with a value and skipped; and
 * demand paging (translation faults in a 2 MB window backed by 64 frames, the handler maps a
 * frame, evicting the oldest with TLBI VAE1, and the access is retried).
 * Built with -mgeneral-regs-only, as handlers must not touch the interrupted FP state.
 */
#include "suite.h"

const char bench_name[] = "exceptions-heavy";

#define SKIP_VA   0x80000000UL   /* suite_l1[2]: invalid, every access aborts */
#define DEMAND_VA 0xc0000000UL   /* suite_l1[3] -> l2 -> l3: 512 pages, mapped on demand */
#define FRAMES 64

static uint64_t demand_l2[512] __attribute__((aligned(4096)));
static uint64_t demand_l3[512] __attribute__((aligned(4096)));
static uint8_t frames[FRAMES][4096] __attribute__((aligned(4096)));
static int frame_page[FRAMES];
static unsigned next_frame;
static volatile uint64_t svcs, skips, demand_faults, other;

void exception_handler(unsigned slot, struct exc_frame *f)
{
    uint64_t esr = READ_SYSREG(esr_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (slot != 4) {
        printf("exceptions-heavy: unexpected slot %u ESR=%08lx\n", slot, esr);
        psci_system_off();
    }
    if (ec == 0x15) {          /* SVC from AArch64: ELR already points after it */
        svcs++;
        unsigned imm = (unsigned)esr & 0xffff;
        f->x[0] = (f->x[0] * 3 + imm) ^ (f->x[1] >> 1);
        return;
    }
    if (ec == 0x25) {          /* data abort, same EL */
        uint64_t far = READ_SYSREG(far_el1);
        unsigned fsc = (unsigned)esr & 0x3f;
        if (far >= SKIP_VA && far < SKIP_VA + 0x40000000UL) {
            skips++;
            f->x[0] = far ^ 0x5555 ^ (esr & 0x40);  /* WnR folded in */
            f->elr += 4;
            return;
        }
        if (far >= DEMAND_VA && far < DEMAND_VA + 0x200000UL && (fsc & 0x3c) == 0x04) {
            demand_faults++;
            unsigned page = (unsigned)((far - DEMAND_VA) >> 12);
            unsigned fr = next_frame++ % FRAMES;
            if (frame_page[fr] >= 0) {
                demand_l3[frame_page[fr]] = 0;
                suite_tlbi_va(DEMAND_VA + ((uint64_t)frame_page[fr] << 12));
            }
            frame_page[fr] = (int)page;
            /* "zero-fill" the first cache line and stamp the page number */
            uint64_t *w = (uint64_t *)frames[fr];
            for (int i = 0; i < 8; i++)
                w[i] = 0;
            w[0] = 0x1000 + page;
            demand_l3[page] = (uint64_t)frames[fr] | PTE_TABLE | PTE_NORMAL | PTE_XN;
            DSB(ishst);
            ISB();
            return;            /* retry the access */
        }
    }
    other++;
    printf("exceptions-heavy: unexpected ESR=%08lx FAR=%016lx ELR=%016lx\n", esr, READ_SYSREG(far_el1), f->elr);
    psci_system_off();
}

static inline uint64_t do_svc1(uint64_t a, uint64_t b)
{
    register uint64_t x0 __asm__("x0") = a;
    register uint64_t x1 __asm__("x1") = b;
    __asm__ volatile("svc #1" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

static inline uint64_t do_svc77(uint64_t a, uint64_t b)
{
    register uint64_t x0 __asm__("x0") = a;
    register uint64_t x1 __asm__("x1") = b;
    __asm__ volatile("svc #77" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

static inline uint64_t load_skip(uint64_t va)
{
    register uint64_t x0 __asm__("x0");
    register uint64_t x1 __asm__("x1") = va;
    __asm__ volatile("ldr x0, [x1]" : "=r"(x0) : "r"(x1) : "memory");
    return x0;
}

static inline uint64_t store_skip(uint64_t va, uint64_t v)
{
    register uint64_t x0 __asm__("x0") = v;
    register uint64_t x1 __asm__("x1") = va;
    __asm__ volatile("str x0, [x1]" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

#define PER_SCALE 4000

void bench_run(uint64_t scale)
{
    for (int i = 0; i < FRAMES; i++)
        frame_page[i] = -1;
    demand_l2[0] = (uint64_t)demand_l3 | PTE_TABLE;
    suite_l1[3] = (uint64_t)demand_l2 | PTE_TABLE;
    suite_tlbi_all();

    uint32_t crc = 0;
    uint64_t acc = 1, bad = 0;
    for (uint64_t s = 0; s < scale; s++) {
        for (unsigned i = 0; i < PER_SCALE; i++) {
            acc = do_svc1(acc, i);
            acc = do_svc77(acc, s);
            acc += load_skip(SKIP_VA + ((uint64_t)i << 12) + (s & 0xff8));
            acc ^= store_skip(SKIP_VA + 0x100000 + (uint64_t)i * 8, acc);
        }
        /* demand paging: a stride through 512 pages with 64 frames faults on every new page */
        for (unsigned i = 0; i < PER_SCALE / 4; i++) {
            unsigned page = (unsigned)((s * 131 + (uint64_t)i * 67) % 512);
            volatile uint64_t *w = (volatile uint64_t *)(DEMAND_VA + ((uint64_t)page << 12));
            if (w[0] != 0x1000 + page)
                bad++;
            w[1] += i;
            acc += w[1];
        }
        crc = suite_crc_u64(crc, acc);
    }
    printf("exceptions-heavy: %lu SVCs, %lu aborts skipped, %lu demand faults, %lu bad pages\n",
           (uint64_t)svcs, (uint64_t)skips, (uint64_t)demand_faults, bad);
    suite_report(scale, crc);
}
