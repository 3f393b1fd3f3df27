/*
 * smp: run with -smp 4. CPU 0 starts CPUs 1..3 with PSCI CPU_ON; all four
 * increment a shared counter under a load-acquire/store-release
 * exclusive spinlock (ARM ARM B2.9 and K13, "Barrier Litmus Tests"),
 * then print their MPIDR_EL1 strictly in turn (a turn variable read
 * with LDAR and advanced with STLR), so the output order never depends
 * on scheduling. The secondaries then power themselves off with
 * CPU_OFF, and CPU 0 waits for AFFINITY_INFO to report them off.
 */
#include "runtime.h"

#define PSCI_AFFINITY_INFO 0xC4000004UL
#define NCPUS 4
#define INCREMENTS 2000

extern char secondary_entry[];

static uint32_t lock;
static volatile uint64_t counter;
static uint32_t turn;
static uint32_t finished;
static uint32_t release;

static void spin_lock(uint32_t *l)
{
    uint32_t tmp, busy;
    __asm__ volatile("sevl\n"
                     "1:\twfe\n"
                     "2:\tldaxr %w0, [%2]\n"
                     "\tcbnz %w0, 1b\n"
                     "\tmov %w0, #1\n"
                     "\tstxr %w1, %w0, [%2]\n"
                     "\tcbnz %w1, 2b"
                     : "=&r"(tmp), "=&r"(busy) : "r"(l) : "memory");
}

static void spin_unlock(uint32_t *l)
{
    __asm__ volatile("stlr wzr, [%0]\n\tsev" :: "r"(l) : "memory");
}

static uint32_t load_acquire(uint32_t *p)
{
    uint32_t v;
    __asm__ volatile("ldar %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static void store_release(uint32_t *p, uint32_t v)
{
    __asm__ volatile("stlr %w0, [%1]\n\tsev" :: "r"(v), "r"(p) : "memory");
}

static void atomic_inc(uint32_t *p)
{
    uint32_t v, fail;
    __asm__ volatile("1:\tldaxr %w0, [%2]\n"
                     "\tadd %w0, %w0, #1\n"
                     "\tstlxr %w1, %w0, [%2]\n"
                     "\tcbnz %w1, 1b"
                     : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
}

static void work(void)
{
    for (int i = 0; i < INCREMENTS; i++) {
        spin_lock(&lock);
        counter = counter + 1;
        spin_unlock(&lock);
    }
}

static void print_self(unsigned cpu)
{
    uint64_t mpidr = READ_SYSREG(mpidr_el1);
    printf("cpu%u: MPIDR_EL1=%016lx aff0=%lu aff1=%lu EL%u\n", cpu, mpidr, mpidr & 0xff,
           (mpidr >> 8) & 0xff, current_el());
}

void secondary_main(uint64_t cpu)
{
    work();
    atomic_inc(&finished);
    while (load_acquire(&turn) != cpu)
        __asm__ volatile("wfe");
    print_self((unsigned)cpu);
    store_release(&turn, (uint32_t)cpu + 1);
    while (!load_acquire(&release))
        __asm__ volatile("wfe");
    psci_call(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    int64_t v = psci_call(PSCI_VERSION, 0, 0, 0);
    printf("smp: PSCI %ld.%ld\n", v >> 16, v & 0xffff);
    for (uint64_t cpu = 1; cpu < NCPUS; cpu++) {
        int64_t r = psci_call(PSCI_CPU_ON, cpu, (uint64_t)secondary_entry, cpu);
        printf("CPU_ON cpu%lu -> %ld\n", cpu, r);
    }
    printf("CPU_ON mpidr 0x77 -> %ld\n", (long)psci_call(PSCI_CPU_ON, 0x77, (uint64_t)secondary_entry, 0));

    work();
    print_self(0);
    store_release(&turn, 1);
    while (load_acquire(&turn) != NCPUS || load_acquire(&finished) != NCPUS - 1)
        __asm__ volatile("wfe");

    printf("counter = %lu (expected %u)\n", counter, NCPUS * INCREMENTS);
    printf("CPU_ON cpu1 again -> %ld\n", (long)psci_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1));
    store_release(&release, 1);
    for (uint64_t cpu = 1; cpu < NCPUS; cpu++) {
        /* AFFINITY_INFO: 0 = ON, 1 = OFF, 2 = ON_PENDING. */
        while (psci_call(PSCI_AFFINITY_INFO, cpu, 0, 0) != 1)
            ;
        printf("cpu%lu is off\n", cpu);
    }
    printf("AFFINITY_INFO cpu0 -> %ld\n", (long)psci_call(PSCI_AFFINITY_INFO, 0, 0, 0));
    printf("smp: done\n");
    return 0;
}
