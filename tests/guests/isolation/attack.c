/*
 * isolation-attack: the attacker of the hypervisor's isolation test (test/hypervisor/
 * isolation.test.ts). Run in a partition beside isolation-victim, it:
 *   - reads and writes its whole 40-bit guest-physical space: every 256 MiB, and every 1 MiB
 *     of the low 4 GiB where the board's devices and RAM are, at every access width, counting
 *     faults and any word that holds the victim's pattern;
 *   - makes junk hypervisor calls: random HVC and SMC function IDs and arguments, PSCI
 *     CPU_ON/AFFINITY_INFO for every MPIDR up to 8 CPUs and junk ones, CPU_OFF of nobody;
 *   - prints what it found and powers itself off.
 * A fault skips the access (the exception handler steps over it), so nothing stops the sweep.
 */
#include "runtime.h"

#define VICTIM_PATTERN 0x5649435449d0c0deUL
#define OWN_RAM_BASE 0x40000000UL

static volatile unsigned long faults;

void exception_handler(unsigned slot, struct exc_frame *f)
{
    if (VEC_KIND(slot) != 0) {
        printf("attack: unexpected exception slot %u\n", slot);
        psci_system_off();
    }
    faults++;
    f->elr += 4;
}

static unsigned long hits;

static void probe(uint64_t a)
{
    uint64_t v = 0;
    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
    if (v == VICTIM_PATTERN)
        hits++;
    uint32_t w = 0;
    __asm__ volatile("ldr %w0, [%1]" : "+r"(w) : "r"(a) : "memory");
    uint16_t h = 0;
    __asm__ volatile("ldrh %w0, [%1]" : "+r"(h) : "r"(a) : "memory");
    uint8_t b = 0;
    __asm__ volatile("ldrb %w0, [%1]" : "+r"(b) : "r"(a) : "memory");
    /* Write where it is not our own RAM (our code lives there). */
    if (a < OWN_RAM_BASE || a >= OWN_RAM_BASE + 0x10000000UL) {
        uint64_t junk = 0xdeadbeefcafef00dUL;
        __asm__ volatile("str %0, [%1]" :: "r"(junk), "r"(a) : "memory");
        __asm__ volatile("strb %w0, [%1]" :: "r"(junk), "r"(a + 1) : "memory");
    }
}

static uint64_t x = 0x2545f4914f6cdd1dUL;
static uint64_t rnd(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }

static int64_t smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (int64_t)x0;
}

int main(void)
{
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();
    printf("attack: sweeping the guest-physical space\n");
    for (uint64_t a = 0; a < (1UL << 40); a += 256UL << 20)
        probe(a);
    for (uint64_t a = 0; a < (4UL << 30); a += 1UL << 20)
        if (a < OWN_RAM_BASE || a >= OWN_RAM_BASE + 0x10000000UL)
            probe(a);
    /* A page of our own RAM, so some probes succeed. */
    probe(OWN_RAM_BASE + 0x08000000UL);

    printf("attack: junk hypervisor calls\n");
    for (unsigned i = 0; i < 200; i++) {
        uint64_t fn = (i & 1) ? rnd() : (0x84000000UL | (rnd() & 0x1f)) | ((rnd() & 1) ? 0x40000000UL : 0);
        if ((fn & 0xffffffffUL) == 0x84000008UL || (fn & 0xffffffffUL) == 0x84000009UL)
            continue; /* not SYSTEM_OFF/RESET: those end the attack early */
        if ((fn & 0xbfffffffUL) == 0x84000002UL)
            continue; /* not CPU_OFF of ourselves */
        psci_call(fn, rnd(), rnd(), rnd());
        smc(rnd(), rnd(), rnd(), rnd());
    }
    int64_t on = 0;
    for (uint64_t mpidr = 0; mpidr < 8; mpidr++) {
        on += psci_call(0xc4000003UL, 0x80000000UL | mpidr, OWN_RAM_BASE + 0x1000, 0) == 0;
        on += psci_call(0xc4000003UL, mpidr, 0x50000000UL, 0) == 0;
        psci_call(0xc4000004UL, 0x80000000UL | mpidr, 0, 0);
    }
    printf("attack: %lu faults, %lu addresses with the victim's pattern, %ld CPUs started\n", faults, hits, (long)on);
    printf("attack: done\n");
    return 0;
}
