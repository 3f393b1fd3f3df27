/*
 * hello: the demo guest. Prints a banner, a few identification registers
 * and some values computed on the CPU, then powers off via PSCI.
 */
#include "runtime.h"

static uint64_t fib(unsigned n)
{
    uint64_t a = 0, b = 1;
    while (n--) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static unsigned count_primes(unsigned limit)
{
    static uint8_t composite[10001];
    unsigned count = 0;
    for (unsigned i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned j = i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    return count;
}

static uint32_t crc32_str(const char *s)
{
    /* CRC32 instructions (FEAT_CRC32, ARM ARM C6.2.80) on each byte. */
    uint32_t crc = 0xffffffff;
    for (; *s; s++)
        __asm__("crc32b %w0, %w0, %w1" : "+r"(crc) : "r"((uint32_t)(uint8_t)*s));
    return ~crc;
}

static uint64_t isqrt(uint64_t v)
{
    uint64_t r = 0, bit = 1ULL << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

int main(void)
{
    uint64_t midr = READ_SYSREG(midr_el1);
    uint64_t mpidr = READ_SYSREG(mpidr_el1);
    uint64_t cntfrq = READ_SYSREG(cntfrq_el0);
    int64_t psci = psci_call(PSCI_VERSION, 0, 0, 0);

    uart_puts("\n");
    uart_puts("  +--------------------------------------------+\n");
    uart_puts("  |  Hello from a bare-metal AArch64 guest!    |\n");
    uart_puts("  +--------------------------------------------+\n\n");
    printf("  MIDR_EL1     %08lx (implementer %02lx, part %03lx, r%lup%lu)\n", midr,
           (midr >> 24) & 0xff, (midr >> 4) & 0xfff, (midr >> 20) & 0xf, midr & 0xf);
    printf("  MPIDR_EL1    %016lx\n", mpidr);
    printf("  CurrentEL    EL%u\n", current_el());
    printf("  CNTFRQ_EL0   %lu Hz\n", cntfrq);
    printf("  PSCI         v%ld.%ld via %s\n", psci >> 16, psci & 0xffff,
           boot_el == 2 ? "SMC" : "HVC");
    printf("\n  fib(90)             = %lu\n", fib(90));
    printf("  primes below 10000  = %u\n", count_primes(10000));
    printf("  isqrt(2 * 10^18)    = %lu\n", isqrt(2000000000000000000ULL));
    printf("  crc32(\"tessera\")    = %08x\n", crc32_str("tessera"));
    printf("  6 * 7               = %d\n\n", 6 * 7);
    uart_puts("hello: done, powering off\n");
    return 0;
}
