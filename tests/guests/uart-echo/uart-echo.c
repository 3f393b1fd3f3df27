/*
 * uart-echo: reads characters from the PL011 until a newline, echoing
 * each one back upper-cased, then reports the count and a checksum of
 * the line and powers off. The test feeds the line on QEMU's stdin.
 */
#include "runtime.h"

#define UART_CR 0x030

int main(void)
{
    /* UARTCR: UARTEN | TXE | RXE (PL011 TRM 3.3.8). */
    *(volatile uint32_t *)(UART0_BASE + UART_CR) = (1u << 0) | (1u << 8) | (1u << 9);
    uart_puts("uart-echo: type a line\n");
    unsigned n = 0;
    uint32_t crc = 0xffffffff;
    for (;;) {
        int c = uart_getc();
        if (c == '\r')
            c = '\n';
        if (c == '\n')
            break;
        __asm__("crc32b %w0, %w0, %w1" : "+r"(crc) : "r"((uint32_t)c));
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';
        uart_putc((char)c);
        n++;
    }
    printf("\nuart-echo: %u characters, crc32 %08x, done\n", n, ~crc);
    return 0;
}
