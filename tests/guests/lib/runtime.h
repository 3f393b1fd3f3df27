/*
 * Shared runtime for the Tessera bare-metal guests: PL011 output, a small
 * printf, PSCI calls and exception-frame helpers.
 */
#ifndef TESSERA_GUEST_RUNTIME_H
#define TESSERA_GUEST_RUNTIME_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>

#define UART0_BASE 0x09000000UL
#define UART_DR    0x000
#define UART_FR    0x018
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFF (1u << 5)

/* Secure-only PL061 of virt,secure=on; its line 0 powers the machine off. */
#define SECURE_GPIO_BASE 0x090b0000UL

#define PSCI_VERSION    0x84000000UL
#define PSCI_CPU_OFF    0x84000002UL
#define PSCI_CPU_ON     0xC4000003UL
#define PSCI_SYSTEM_OFF 0x84000008UL

/* Base address used by putc/getc; programs that remap the UART change it. */
extern volatile uintptr_t uart_base;
/* Exception level the image was entered at (1, 2 or 3), recorded by crt0. */
extern uint64_t boot_el;

void uart_putc(char c);
void uart_puts(const char *s);
int uart_getc(void);            /* blocking */
void print_hex(uint64_t v, int digits);
int printf(const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);

/* PSCI via HVC when entered at EL1, SMC when entered at EL2; at EL3 there
 * is no PSCI and psci_system_off() uses the secure GPIO instead. */
int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
void psci_system_off(void) __attribute__((noreturn));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/*
 * Register frame built by lib/vectors.S on exception entry. The handler
 * may modify elr/spsr (and x[]) before returning to resume elsewhere.
 */
struct exc_frame {
    uint64_t x[31];
    uint64_t sp_unused;
    uint64_t elr;
    uint64_t spsr;
};

/*
 * Vector slot numbers (ARM ARM D1.10.2, "Exception vectors"): group is
 * 0 = current EL with SP_EL0, 1 = current EL with SP_ELx,
 * 2 = lower EL AArch64, 3 = lower EL AArch32; kind is
 * 0 = synchronous, 1 = IRQ, 2 = FIQ, 3 = SError.
 */
#define VEC_GROUP(slot) ((slot) >> 2)
#define VEC_KIND(slot)  ((slot) & 3)

/* Weak default prints diagnostics and powers off; programs override it. */
void exception_handler(unsigned slot, struct exc_frame *f);
extern char exception_vectors[];

#define READ_SYSREG(r) ({ uint64_t __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define WRITE_SYSREG(r, v) do { uint64_t __v = (uint64_t)(v); __asm__ volatile("msr " #r ", %0" :: "r"(__v) : "memory"); } while (0)
#define ISB() __asm__ volatile("isb" ::: "memory")
#define DSB(opt) __asm__ volatile("dsb " #opt ::: "memory")

static inline unsigned current_el(void) { return (unsigned)(READ_SYSREG(CurrentEL) >> 2) & 3; }

/* FNV-1a style mixing used by the sweeps to fold results into checksums. */
static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x100000001b3ULL;
    h ^= h >> 29;
    return h;
}
#define MIX_INIT 0xcbf29ce484222325ULL

#endif
