/*
 * gdb: a target for the gdb stub tests (test/debug/gdb.test.ts), built with debug information.
 * CPU 0 starts CPU 1 (run with -smp 2; with one CPU, CPU_ON fails and CPU 0 goes on alone),
 * calls add_up() (a breakpoint target), then writes `watched` (a watchpoint target) in a loop and
 * prints the result; CPU 1 parks in park_secondary() so that both CPUs show in `info threads`.
 */
#include "runtime.h"

volatile uint64_t watched;
volatile uint64_t result;
static volatile uint32_t secondary_up;

extern char secondary_entry[];

uint64_t __attribute__((noinline)) add_up(uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = 1; i <= n; i++)
        sum += i;
    return sum;
}

void __attribute__((noinline)) park_secondary(void)
{
    secondary_up = 1;
    for (;;)
        __asm__ volatile("wfi");
}

void secondary_main(uint64_t cpu)
{
    park_secondary();
}

int main(void)
{
    int64_t on = psci_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1);
    if (on == 0)
        while (!secondary_up)
            ;
    result = add_up(10);
    for (uint64_t i = 1; i <= 3; i++)
        watched = i * 0x1111;
    printf("gdb: result %lu, watched %lx, cpu1 %s\n", result, watched, on == 0 ? "on" : "off");
    uart_puts("gdb: done\n");
    return 0;
}
