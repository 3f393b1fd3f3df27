/*
 * its: run with -machine virt,gic-version=3 -smp 2. Programs the GICv3 ITS
 * and the redistributors' LPIs (GIC architecture spec IHI 0069, chapters 5
 * and 6) with the MMU off, so every table is plain RAM the ITS reads and
 * writes directly:
 *   - prints the ID and reset values of GITS_*, GICR_TYPER and GICD_TYPER;
 *   - sets up the LPI configuration table, a pending table per CPU, the
 *     device and collection tables and the command queue;
 *   - maps device 0's events to LPIs with MAPD, MAPC, MAPTI and MAPI, and
 *     prints the table entries the ITS wrote;
 *   - raises LPIs through GITS_TRANSLATER and INT, and takes them;
 *   - checks priority order, CLEAR, DISCARD, INV after a configuration
 *     change, MOVI and MOVALL to CPU 1 (which only records what it takes);
 *   - provokes a stall with an ITT outside RAM, and restarts the queue.
 * Only register values, table contents and the order of events are printed.
 */
#include "runtime.h"

#define GICD_BASE   0x08000000UL
#define GITS_BASE   0x08080000UL
#define GITS_TRANS  0x08090000UL
#define GICR_BASE(c) (0x080A0000UL + (uint64_t)(c) * 0x20000)
#define GICR_SGI(c)  (GICR_BASE(c) + 0x10000)

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICR_CTLR       0x0000
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_PROPBASER  0x0070
#define GICR_PENDBASER  0x0078
#define GICR_IGROUPR0   0x0080

#define GITS_CTLR       0x0000
#define GITS_IIDR       0x0004
#define GITS_TYPER      0x0008
#define GITS_CBASER     0x0080
#define GITS_CWRITER    0x0088
#define GITS_CREADR     0x0090
#define GITS_BASER(n)   (0x0100 + 8 * (n))
#define GITS_TRANSLATER 0x0040

/* Tables in RAM above the image (RAM is 0x40000000-0x47ffffff). */
#define PROP_TABLE  0x42000000UL               /* 8 KiB: LPIs 8192-16383 */
#define PEND_TABLE(c) (0x42010000UL + (uint64_t)(c) * 0x10000)   /* 64 KiB aligned */
#define CMD_QUEUE   0x42030000UL               /* one 4 KiB page: 128 commands */
#define DEV_TABLE   0x42040000UL               /* one 64 KiB page, flat */
#define COLL_TABLE  0x42050000UL
#define ITT_DEV0    0x42060000UL
#define ITT_BAD     0x0b000000UL               /* nothing decodes this address */

#define ID_BITS 13                             /* 14-bit INTIDs: LPIs 8192-16383 */
#define LPI(n)  (8192 + (n))

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint64_t r64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline uint8_t r8(uint64_t a) { return *(volatile uint8_t *)a; }

extern char secondary_entry[];

/* What each CPU took: INTIDs in order, and CPU 0's running priority in the handler. */
static volatile unsigned taken[2];
static volatile unsigned log0[16], rpr0[16], log1[16];
static volatile unsigned cpu1_ready;

static unsigned cpu_index(void) { return (unsigned)(READ_SYSREG(mpidr_el1) & 0xff); }

void exception_handler(unsigned slot, struct exc_frame *f)
{
    if (VEC_KIND(slot) != 1) {
        printf("unexpected exception slot %u ESR=%08lx ELR=%lx\n", slot, READ_SYSREG(esr_el1), f->elr);
        psci_system_off();
    }
    unsigned cpu = cpu_index();
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);   /* ICC_IAR1_EL1 */
    if (intid >= 1020 && intid < 8192)
        return;
    unsigned n = taken[cpu];
    if (n < 16) {
        if (cpu == 0) {
            log0[n] = (unsigned)intid;
            rpr0[n] = (unsigned)READ_SYSREG(S3_0_C12_C11_3);   /* ICC_RPR_EL1 */
        } else
            log1[n] = (unsigned)intid;
    }
    WRITE_SYSREG(S3_0_C12_C12_1, intid);   /* ICC_EOIR1_EL1: priority drop; LPIs have no active state */
    ISB();
    taken[cpu] = n + 1;
}

static void cpu_interface_init(void)
{
    WRITE_SYSREG(S3_0_C12_C12_5, READ_SYSREG(S3_0_C12_C12_5) | 1);   /* ICC_SRE_EL1.SRE */
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);    /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);     /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);     /* ICC_IGRPEN1_EL1 */
    ISB();
}

/* CPU 1 takes whatever is routed to it, with IRQs unmasked, and prints nothing. */
void secondary_main(uint64_t cpu)
{
    cpu_interface_init();
    cpu1_ready = 1;
    for (;;)
        __asm__ volatile("msr daifclr, #2\n\twfi" ::: "memory");
}

/* ---- the command queue (IHI 0069 5.3, 6.3) ---- */

static unsigned cmd_next;

static void cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    volatile uint64_t *c = (volatile uint64_t *)(CMD_QUEUE + cmd_next * 32);
    c[0] = d0; c[1] = d1; c[2] = d2; c[3] = d3;
    cmd_next = (cmd_next + 1) % 128;
}

static void cmd_go(void)
{
    DSB(sy);
    w64(GITS_BASE + GITS_CWRITER, (uint64_t)cmd_next << 5);
}

#define DEV(d) ((uint64_t)(d) << 32)
static void mapd(unsigned dev, unsigned size, uint64_t itt, int valid) { cmd(0x08 | DEV(dev), size, ((uint64_t)!!valid << 63) | itt, 0); }
static void mapc(unsigned icid, unsigned rd) { cmd(0x09, 0, (1ULL << 63) | ((uint64_t)rd << 16) | icid, 0); }
static void mapti(unsigned dev, unsigned ev, unsigned intid, unsigned icid) { cmd(0x0a | DEV(dev), ev | ((uint64_t)intid << 32), icid, 0); }
static void mapi(unsigned dev, unsigned ev, unsigned icid) { cmd(0x0b | DEV(dev), ev, icid, 0); }
static void cmd_int(unsigned dev, unsigned ev) { cmd(0x03 | DEV(dev), ev, 0, 0); }
static void cmd_clear(unsigned dev, unsigned ev) { cmd(0x04 | DEV(dev), ev, 0, 0); }
static void cmd_discard(unsigned dev, unsigned ev) { cmd(0x0f | DEV(dev), ev, 0, 0); }
static void movi(unsigned dev, unsigned ev, unsigned icid) { cmd(0x01 | DEV(dev), ev, icid, 0); }
static void inv(unsigned dev, unsigned ev) { cmd(0x0c | DEV(dev), ev, 0, 0); }
static void invall(unsigned icid) { cmd(0x0d, 0, icid, 0); }
static void movall(unsigned rd1, unsigned rd2) { cmd(0x0e, 0, (uint64_t)rd1 << 16, (uint64_t)rd2 << 16); }
static void sync_rd(unsigned rd) { cmd(0x05, 0, (uint64_t)rd << 16, 0); }

static uint64_t creadr(void) { return r64(GITS_BASE + GITS_CREADR); }

static void translate(uint32_t event) { w32(GITS_TRANS + GITS_TRANSLATER, event); }

static unsigned hppir1(void) { return (unsigned)READ_SYSREG(S3_0_C12_C12_2); }

static unsigned pending_byte(unsigned cpu, unsigned intid) { return r8(PEND_TABLE(cpu) + intid / 8); }

static void print_ite(unsigned ev)
{
    uint64_t a = ITT_DEV0 + ev * 12;
    printf("  ITE dev0 ev%u: %016lx %08x\n", ev, r64(a), r32(a + 8));
}

/* Unmask IRQs on CPU 0 until `n` interrupts in all have been taken. */
static void take0(unsigned n)
{
    while (taken[0] < n)
        __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

static void wait1(unsigned n)
{
    while (taken[1] < n)
        ;
}

int main(void)
{
    WRITE_SYSREG(vbar_el1, exception_vectors);
    __asm__ volatile("msr daifset, #2" ::: "memory");

    printf("its: GICD_TYPER=%08x\n", r32(GICD_BASE + GICD_TYPER));
    for (unsigned c = 0; c < 2; c++)
        printf("GICR%u: TYPER=%016lx CTLR=%08x PROPBASER=%016lx PENDBASER=%016lx\n", c, r64(GICR_BASE(c) + GICR_TYPER),
               r32(GICR_BASE(c) + GICR_CTLR), r64(GICR_BASE(c) + GICR_PROPBASER), r64(GICR_BASE(c) + GICR_PENDBASER));
    printf("GITS_CTLR=%08x IIDR=%08x TYPER=%016lx\n", r32(GITS_BASE + GITS_CTLR), r32(GITS_BASE + GITS_IIDR),
           r64(GITS_BASE + GITS_TYPER));
    printf("GITS_TYPER hi/lo words %08x %08x\n", r32(GITS_BASE + GITS_TYPER + 4), r32(GITS_BASE + GITS_TYPER));
    for (unsigned n = 0; n < 8; n++)
        printf("GITS_BASER%u=%016lx\n", n, r64(GITS_BASE + GITS_BASER(n)));
    printf("GITS_CBASER=%016lx CWRITER=%016lx CREADR=%016lx\n", r64(GITS_BASE + GITS_CBASER),
           r64(GITS_BASE + GITS_CWRITER), creadr());
    printf("GITS PIDR0=%02x PIDR1=%02x PIDR2=%02x CIDR0=%02x TRANSLATER reads %08x\n", r32(GITS_BASE + 0xffe0),
           r32(GITS_BASE + 0xffe4), r32(GITS_BASE + 0xffe8), r32(GITS_BASE + 0xfff0), r32(GITS_TRANS + GITS_TRANSLATER));

    /* Distributor: affinity routing, Group 1 on; wake both redistributors. */
    w32(GICD_BASE + GICD_CTLR, (1u << 4) | (1u << 1) | (1u << 0));
    for (unsigned c = 0; c < 2; c++) {
        w32(GICR_BASE(c) + GICR_WAKER, r32(GICR_BASE(c) + GICR_WAKER) & ~(1u << 1));
        while (r32(GICR_BASE(c) + GICR_WAKER) & (1u << 2))
            ;
        w32(GICR_SGI(c) + GICR_IGROUPR0, 0xffffffffu);
    }
    cpu_interface_init();

    /* LPI configuration (IHI 0069 5.1.1): priority [7:2], enable [0]; pending tables zeroed. */
    memset((void *)PROP_TABLE, 0, 8192);
    for (unsigned c = 0; c < 2; c++)
        memset((void *)PEND_TABLE(c), 0, 2048);
    memset((void *)DEV_TABLE, 0, 0x10000);
    memset((void *)COLL_TABLE, 0, 0x10000);
    memset((void *)ITT_DEV0, 0, 0x100);
    w8(PROP_TABLE + 0, 0xa0 | 1);   /* LPI 8192 */
    w8(PROP_TABLE + 1, 0x80 | 1);   /* LPI 8193 */
    w8(PROP_TABLE + 2, 0x60);       /* LPI 8194: disabled for now */
    w8(PROP_TABLE + 3, 0x90 | 1);   /* LPI 8195 */
    w8(PROP_TABLE + 4, 0x70 | 1);   /* LPI 8196 */
    w8(PROP_TABLE + 5, 0xa4 | 1);   /* LPI 8197 */
    for (unsigned c = 0; c < 2; c++) {
        /* Inner shareable, read-allocate write-back (Linux's choice); IDbits = 13. */
        w64(GICR_BASE(c) + GICR_PROPBASER, PROP_TABLE | (1u << 10) | (7u << 7) | ID_BITS);
        w64(GICR_BASE(c) + GICR_PENDBASER, PEND_TABLE(c) | (1u << 10) | (7u << 7));
        w32(GICR_BASE(c) + GICR_CTLR, 1);   /* EnableLPIs */
        printf("GICR%u: CTLR=%08x PROPBASER=%016lx PENDBASER=%016lx\n", c, r32(GICR_BASE(c) + GICR_CTLR),
               r64(GICR_BASE(c) + GICR_PROPBASER), r64(GICR_BASE(c) + GICR_PENDBASER));
    }

    /* ITS tables: flat, one 64 KiB page each; the queue one 4 KiB page. */
    uint64_t b0 = r64(GITS_BASE + GITS_BASER(0)), b1 = r64(GITS_BASE + GITS_BASER(1));
    w64(GITS_BASE + GITS_BASER(0), (1ULL << 63) | (b0 & (0x7ULL << 56 | 0x1fULL << 48)) | (1u << 10) | (2u << 8) | DEV_TABLE);
    w64(GITS_BASE + GITS_BASER(1), (1ULL << 63) | (b1 & (0x7ULL << 56 | 0x1fULL << 48)) | (1u << 10) | (2u << 8) | COLL_TABLE);
    w64(GITS_BASE + GITS_BASER(2), 0xffffffffffffffffULL);   /* unimplemented: RAZ/WI */
    w64(GITS_BASE + GITS_BASER(0) , r64(GITS_BASE + GITS_BASER(0)) | (0x1fULL << 48));   /* Entry_Size is read-only */
    w64(GITS_BASE + GITS_CBASER, (1ULL << 63) | (1u << 10) | CMD_QUEUE);
    w64(GITS_BASE + GITS_CWRITER, 0);
    printf("BASER0=%016lx BASER1=%016lx BASER2=%016lx CBASER=%016lx\n", r64(GITS_BASE + GITS_BASER(0)),
           r64(GITS_BASE + GITS_BASER(1)), r64(GITS_BASE + GITS_BASER(2)), r64(GITS_BASE + GITS_CBASER));
    w32(GITS_BASE + GITS_CTLR, 1);
    printf("GITS_CTLR=%08x after enabling\n", r32(GITS_BASE + GITS_CTLR));

    /* CPU 1 comes up and waits for its interrupts. */
    printf("CPU_ON cpu1 -> %ld\n", (long)psci_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1));
    while (!cpu1_ready)
        ;

    /* Map device 0 (16 events) and two collections, one per CPU. */
    mapd(0, 3, ITT_DEV0, 1);
    mapc(0, 0);
    mapc(1, 1);
    mapti(0, 0, LPI(0), 0);
    mapti(0, 1, LPI(1), 0);
    mapi(0, 2, 0);                   /* pINTID = EventID = 2: not an LPI, skipped */
    mapti(0, 3, LPI(3), 0);
    mapti(0, 4, LPI(4), 0);
    mapti(0, 5, LPI(2), 0);
    mapti(0, 16, LPI(5), 0);         /* EventID beyond the device's 16: skipped */
    mapti(9000, 0, LPI(5), 0);       /* DeviceID beyond the table: skipped */
    invall(0);
    sync_rd(0);
    cmd_go();
    printf("after mapping: CREADR=%016lx CWRITER=%016lx\n", creadr(), r64(GITS_BASE + GITS_CWRITER));
    printf("  DTE dev0: %016lx  CTE 0: %016lx  CTE 1: %016lx\n", r64(DEV_TABLE), r64(COLL_TABLE), r64(COLL_TABLE + 8));
    for (unsigned ev = 0; ev < 6; ev++)
        print_ite(ev);

    /* GITS_TRANSLATER: a CPU's write is device 0's MSI. */
    translate(0);
    printf("TRANSLATER ev0: pending byte %02x, HPPIR1=%u\n", pending_byte(0, LPI(0)), hppir1());
    take0(1);
    printf("took INTID %u RPR=%02x, pending byte %02x\n", log0[0], rpr0[0], pending_byte(0, LPI(0)));

    cmd_int(0, 1);
    cmd_go();
    take0(2);
    printf("INT ev1: took INTID %u RPR=%02x\n", log0[1], rpr0[1]);

    /* Both pending at once: the higher priority (lower value) first. */
    translate(0);
    cmd_int(0, 1);
    cmd_int(0, 3);
    cmd_go();
    printf("three pending: byte %02x HPPIR1=%u\n", pending_byte(0, LPI(0)), hppir1());
    take0(5);
    printf("  order %u %u %u\n", log0[2], log0[3], log0[4]);

    /* CLEAR drops a pending LPI. */
    cmd_int(0, 3);
    cmd_go();
    printf("INT ev3: byte %02x HPPIR1=%u\n", pending_byte(0, LPI(3)), hppir1());
    cmd_clear(0, 3);
    cmd_go();
    printf("CLEAR ev3: byte %02x HPPIR1=%u\n", pending_byte(0, LPI(3)), hppir1());

    /* A disabled LPI stays pending unseen; enabling it in the table shows only after INV. */
    cmd_int(0, 5);
    cmd_go();
    printf("INT ev5 (LPI 8194 disabled): byte %02x HPPIR1=%u\n", pending_byte(0, LPI(2)), hppir1());
    w8(PROP_TABLE + 2, 0x60 | 1);
    printf("  enabled in the table: HPPIR1=%u\n", hppir1());
    inv(0, 5);
    cmd_go();
    printf("  after INV: HPPIR1=%u\n", hppir1());
    take0(6);
    printf("  took INTID %u RPR=%02x\n", log0[5], rpr0[5]);

    /* MOVI: event 0 now goes to CPU 1. */
    movi(0, 0, 1);
    cmd_go();
    print_ite(0);
    translate(0);
    wait1(1);
    printf("MOVI ev0 to collection 1: cpu1 took INTID %u\n", log1[0]);

    /* MOVI of a pending LPI moves its pending state to CPU 1. */
    cmd_int(0, 1);
    cmd_go();
    printf("INT ev1: cpu0 byte %02x\n", pending_byte(0, LPI(1)));
    movi(0, 1, 1);
    cmd_go();
    wait1(2);
    printf("MOVI ev1: cpu1 took INTID %u, cpu0 byte %02x HPPIR1=%u\n", log1[1], pending_byte(0, LPI(1)), hppir1());

    /* MOVALL: everything pending on CPU 0 goes to CPU 1. */
    cmd_int(0, 3);
    cmd_int(0, 4);
    cmd_go();
    printf("INT ev3, ev4: cpu0 byte %02x HPPIR1=%u\n", pending_byte(0, LPI(3)), hppir1());
    movall(0, 1);
    cmd_go();
    wait1(4);
    printf("MOVALL 0->1: cpu1 took INTID %u then %u, cpu0 byte %02x\n", log1[2], log1[3], pending_byte(0, LPI(3)));

    /* DISCARD: a pending LPI is cleared and its ITE goes; later MSIs are dropped. */
    cmd_int(0, 4);
    cmd_go();
    printf("INT ev4: cpu0 byte %02x\n", pending_byte(0, LPI(4)));
    cmd_discard(0, 4);
    cmd_go();
    printf("DISCARD ev4: cpu0 byte %02x HPPIR1=%u\n", pending_byte(0, LPI(4)), hppir1());
    print_ite(4);
    translate(4);
    cmd_int(0, 4);
    cmd_go();
    printf("  TRANSLATER/INT ev4 again: byte %02x HPPIR1=%u CREADR=%016lx\n", pending_byte(0, LPI(4)), hppir1(), creadr());
    cmd_discard(0, 0);
    cmd_go();
    translate(0);
    print_ite(0);
    printf("DISCARD ev0: cpu1 byte %02x, cpu1 took %u\n", pending_byte(1, LPI(0)), taken[1]);

    /* A memory error stalls the queue: device 7's ITT is where nothing is. */
    mapd(7, 1, ITT_BAD, 1);
    mapti(7, 0, LPI(5), 0);
    mapti(0, 6, LPI(5), 0);
    cmd_go();
    uint64_t stalled = creadr();
    printf("ITT outside RAM: CREADR=%016lx (stalled at command %lu) CWRITER=%016lx\n", stalled, (stalled >> 5) & 0x7fff,
           r64(GITS_BASE + GITS_CWRITER));
    printf("  DTE dev7: %016lx\n", r64(DEV_TABLE + 7 * 8));
    cmd_go();
    printf("  CWRITER again: CREADR=%016lx\n", creadr());
    w64(GITS_BASE + GITS_CREADR, stalled + 32);   /* skip it; Stalled clears */
    printf("  CREADR written: %016lx\n", creadr());
    cmd_go();
    printf("  restarted: CREADR=%016lx\n", creadr());
    print_ite(6);
    translate(6);
    take0(7);
    printf("  TRANSLATER ev6: took INTID %u RPR=%02x\n", log0[6], rpr0[6]);

    /* Disabled, CBASER moved to where nothing is: the first command stalls. */
    w32(GITS_BASE + GITS_CTLR, 0);
    w64(GITS_BASE + GITS_CBASER, (1ULL << 63) | ITT_BAD);
    printf("ITS off: CTLR=%08x CBASER=%016lx CREADR=%016lx\n", r32(GITS_BASE + GITS_CTLR), r64(GITS_BASE + GITS_CBASER), creadr());
    w64(GITS_BASE + GITS_CWRITER, 1 << 5);
    w32(GITS_BASE + GITS_CTLR, 1);
    printf("queue outside RAM: CREADR=%016lx\n", creadr());
    translate(6);
    take0(8);
    printf("  TRANSLATER ev6 still works: took INTID %u\n", log0[7]);

    /* LPIs off on CPU 0: MSIs to it are dropped. */
    w32(GICR_BASE(0) + GICR_CTLR, 0);
    translate(6);
    printf("EnableLPIs=0: CTLR=%08x byte %02x HPPIR1=%u\n", r32(GICR_BASE(0) + GICR_CTLR), pending_byte(0, LPI(5)), hppir1());

    printf("cpu0 took %u, cpu1 took %u\n", taken[0], taken[1]);
    printf("its: done\n");
    return 0;
}
