/*
 * UART, printf, PSCI and string helpers for the bare-metal guests.
 * Built with -mgeneral-regs-only so exception handlers that call into it
 * never touch the FP/SIMD registers of the interrupted code.
 */
#include "runtime.h"

volatile uintptr_t uart_base = UART0_BASE;

static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

void uart_putc(char c)
{
    /* Wait while the transmit FIFO is full (UARTFR.TXFF, PL011 TRM 3.3.3). */
    while (mmio_read32(uart_base + UART_FR) & UART_FR_TXFF)
        ;
    mmio_write32(uart_base + UART_DR, (uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

int uart_getc(void)
{
    /* Wait while the receive FIFO is empty (UARTFR.RXFE). */
    while (mmio_read32(uart_base + UART_FR) & UART_FR_RXFE)
        ;
    return (int)(mmio_read32(uart_base + UART_DR) & 0xff);
}

void print_hex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        uart_putc("0123456789abcdef"[(v >> (i * 4)) & 0xf]);
}

static void out_num(uint64_t v, unsigned base, int width, char pad, int neg, int upper)
{
    char buf[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        buf[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        width--;
    if (neg && pad == '0')
        uart_putc('-');
    for (int i = n; i < width; i++)
        uart_putc(pad);
    if (neg && pad != '0')
        uart_putc('-');
    while (n)
        uart_putc(buf[--n]);
}

int vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0, left = 0;
        if (*fmt == '-') {
            left = 1;
            fmt++;
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            out_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0, 0);
            break;
        }
        case 'u': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            out_num(v, 10, width, pad, 0, 0);
            break;
        }
        case 'x':
        case 'X': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            out_num(v, 16, width, pad, 0, *fmt == 'X');
            break;
        }
        case 'p':
            uart_puts("0x");
            out_num((uint64_t)va_arg(ap, void *), 16, 16, '0', 0, 0);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;
            while (s[len])
                len++;
            if (!left)
                for (int i = len; i < width; i++)
                    uart_putc(' ');
            uart_puts(s);
            if (left)
                for (int i = len; i < width; i++)
                    uart_putc(' ');
            break;
        }
        case 'c':
            uart_putc((char)va_arg(ap, int));
            break;
        case '%':
            uart_putc('%');
            break;
        default:
            uart_putc('%');
            uart_putc(*fmt);
            break;
        }
    }
    return 0;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    return 0;
}

/*
 * PSCI (ARM DEN 0022) calls use the SMC Calling Convention: function id
 * in x0, arguments in x1..x3, result in x0. QEMU implements PSCI itself
 * and picks HVC as the conduit when the guest starts at EL1, SMC when it
 * starts at EL2.
 */
int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (boot_el == 2)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (int64_t)x0;
}

/*
 * With -machine virt,secure=on a bare-metal image starts at EL3 and QEMU
 * provides no PSCI (that is EL3 firmware's job). The board instead wires
 * line 0 of the secure-only PL061 to a power-off controller (the DTB's
 * gpio-poweroff node): make the line an output (GPIODIR) and drive it high
 * through the address-masked GPIODATA (PL061 TRM 3.3.1, mask bit 0).
 */
static void secure_gpio_poweroff(void)
{
    mmio_write32(SECURE_GPIO_BASE + 0x400, 1);
    mmio_write32(SECURE_GPIO_BASE + (1u << 2), 1);
}

void psci_system_off(void)
{
    if (current_el() == 3)
        secure_gpio_poweroff();
    else
        psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

__attribute__((weak)) void exception_handler(unsigned slot, struct exc_frame *f)
{
    uint64_t esr, far;
    if (current_el() == 3) {
        esr = READ_SYSREG(esr_el3);
        far = READ_SYSREG(far_el3);
    } else if (current_el() == 2) {
        esr = READ_SYSREG(esr_el2);
        far = READ_SYSREG(far_el2);
    } else {
        esr = READ_SYSREG(esr_el1);
        far = READ_SYSREG(far_el1);
    }
    printf("\nUNEXPECTED EXCEPTION slot=%u EL%u ESR=%08lx FAR=%016lx ELR=%016lx\n",
           slot, current_el(), esr, far, f->elr);
    psci_system_off();
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    if (p < q) {
        while (n--)
            *p++ = *q++;
    } else {
        while (n--)
            p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}
