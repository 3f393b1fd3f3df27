/*
 * stage2: stage 2 translation (ARM ARM D8, "The AArch64 Virtual Memory System
 * Architecture": VTTBR_EL2/VTCR_EL2 walks, stage-2 descriptors and faults).
 * Run with -machine virt,virtualization=on so the image starts at EL2.
 *
 * EL2 builds stage-2 tables, sets HCR_EL2.VM and drops to EL1, which makes
 * accesses through an IPA window whose pages are read-write, read-only,
 * write-only, access-flag clear, invalid, execute-never, executable and
 * no-access-but-executable. Every stage-2 fault reaches the EL2 handler,
 * which prints ESR_EL2, FAR_EL2 and HPFAR_EL2 and then either fixes the
 * mapping (TLBI IPAS2E1 + VMALLE1) and retries, or skips the access.
 *
 *   phase 1: 4K granule, 40-bit IPA from level 1 (two concatenated level-1
 *            tables, one mapping in the second), blocks and pages; stage 1 on
 *            at EL1 with tables in IPA space, two of them behind stage-2
 *            pages that fault (S1PTW), one stage-1 fault for contrast; two
 *            VMIDs mapping one IPA to different PAs, switched without TLBI;
 *            a remap with TLBI IPAS2E1IS.
 *   phase 2: 64K granule, 33-bit IPA from level 3 (16 concatenated tables),
 *            stage 1 off (VA = IPA), an IPA beyond the input range.
 *   phase 3: 64K granule, 39-bit IPA from level 2: 512 MB blocks, a level-2
 *            translation fault, an output address beyond the 40-bit PA.
 */
#include "runtime.h"

#define HCR_RW (1UL << 31)
#define HCR_VM (1UL << 0)

/* Stage-2 descriptor bits (ARM ARM D8.3, stage 2 block and page attributes). */
#define S2_BLOCK   1UL
#define S2_TABLE   3UL               /* also a level-3 page */
#define S2_NORMAL  (0xfUL << 2)      /* MemAttr: Normal, write-back */
#define S2_DEVICE  (0x1UL << 2)      /* MemAttr: Device-nGnRE */
#define S2_RO      (1UL << 6)        /* S2AP = 01 */
#define S2_WO      (2UL << 6)        /* S2AP = 10 */
#define S2_RW      (3UL << 6)
#define S2_SH      (3UL << 8)
#define S2_AF      (1UL << 10)
#define S2_XN      (1UL << 54)
#define S2_MEM     (S2_NORMAL | S2_SH | S2_AF)
#define S2_DEV     (S2_DEVICE | S2_AF | S2_RW | S2_XN)

/* Stage-1 descriptor bits (ARM ARM D8.3). */
#define S1_TABLE   3UL
#define S1_BLOCK   1UL
#define S1_NORMAL  ((0UL << 2) | (3UL << 8) | (1UL << 10))   /* attr0, inner shareable, AF */
#define S1_DEVICE  ((1UL << 2) | (1UL << 10) | (1UL << 53) | (1UL << 54))

#define WINDOW     0x80000000UL      /* IPA of the test window */
#define RAM        0x40000000UL
#define UART       0x09000000UL

/* Data the window maps, and a page holding one RET instruction. */
static uint64_t data_a[8192] __attribute__((aligned(65536)));
static uint64_t data_b[8192] __attribute__((aligned(65536)));
static uint64_t data_c[8192] __attribute__((aligned(65536)));
static uint32_t code_page[16384] __attribute__((aligned(65536)));

/* Stage-2 tables: phase 1 (two VMIDs), phase 2's 1 MB of level-3 tables, phase 3. */
static uint64_t s2a_root[1024] __attribute__((aligned(8192)));
static uint64_t s2a_l2dev[512] __attribute__((aligned(4096)));
static uint64_t s2a_l2win[512] __attribute__((aligned(4096)));
static uint64_t s2a_l3win[512] __attribute__((aligned(4096)));
static uint64_t s2b_root[1024] __attribute__((aligned(8192)));
static uint64_t s2b_l2win[512] __attribute__((aligned(4096)));
static uint64_t s2b_l3win[512] __attribute__((aligned(4096)));
static uint64_t s2_64k_l3[131072] __attribute__((aligned(1048576)));
static uint64_t s2c_root[1024] __attribute__((aligned(8192)));
static uint64_t s2c_l3dev[8192] __attribute__((aligned(65536)));
static uint64_t s2c_l3win[8192] __attribute__((aligned(65536)));

/* Stage-1 tables (4K granule) of phase 1, at IPA = PA except where noted. */
static uint64_t s1_l1[512] __attribute__((aligned(4096)));
static uint64_t s1_l2dev[512] __attribute__((aligned(4096)));
static uint64_t s1_l2x[512] __attribute__((aligned(4096)));   /* seen at IPA WINDOW + 8 pages */
static uint64_t s1_l3x[512] __attribute__((aligned(4096)));   /* seen at IPA WINDOW + 9 pages */

static uint8_t el1_stack[8192] __attribute__((aligned(16)));

/* Set by EL2 for the EL1 code of the current phase. */
static volatile uint64_t page;        /* stage-2 page size */
static volatile uint64_t win_va;      /* VA at which EL1 sees the window */
static volatile uint64_t vttbr_a, vttbr_b;

/* Mappings the EL2 handler installs when a stage-2 fault hits their IPA. */
struct fix { uint64_t ipa; volatile uint64_t *pte; uint64_t value; };
static struct fix fixes[8];
static unsigned nfixes;
static volatile unsigned s2_faults;

void run_el1(void (*fn)(void), uint64_t sp);
void el2_resume(void);

/* run_el1: enter fn at EL1h; hvc #0xff there comes back as a return from here. */
__asm__(".text\n.balign 4\n"
        ".global run_el1\nrun_el1:\n"
        "\tadrp x9, el2_ctx\n\tadd x9, x9, :lo12:el2_ctx\n"
        "\tstp x19, x20, [x9, #0]\n\tstp x21, x22, [x9, #16]\n\tstp x23, x24, [x9, #32]\n"
        "\tstp x25, x26, [x9, #48]\n\tstp x27, x28, [x9, #64]\n\tstp x29, x30, [x9, #80]\n"
        "\tmov x10, sp\n\tstr x10, [x9, #96]\n"
        "\tmsr elr_el2, x0\n\tmsr sp_el1, x1\n"
        "\tmov x10, #0x3c5\n\tmsr spsr_el2, x10\n"
        "\tisb\n\teret\n"
        ".global el2_resume\nel2_resume:\n"
        "\tadrp x9, el2_ctx\n\tadd x9, x9, :lo12:el2_ctx\n"
        "\tldp x19, x20, [x9, #0]\n\tldp x21, x22, [x9, #16]\n\tldp x23, x24, [x9, #32]\n"
        "\tldp x25, x26, [x9, #48]\n\tldp x27, x28, [x9, #64]\n\tldp x29, x30, [x9, #80]\n"
        "\tldr x10, [x9, #96]\n\tmov sp, x10\n"
        "\tret\n"
        ".data\n.balign 16\nel2_ctx: .skip 112\n.text\n");

static void tlbi_ipa(uint64_t ipa)
{
    /* TLBI IPAS2E1 takes IPA[47:12] in Xt[35:0] whatever the granule (ARM ARM C5.5);
     * stage-1+2 entries are then removed with VMALLE1 (D8.13, "TLB maintenance"). */
    __asm__ volatile("dsb ishst\n\ttlbi ipas2e1, %0\n\tdsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb"
                     :: "r"(ipa >> 12) : "memory");
}

/* AT, then PAR_EL1 (ARM ARM D13.2.99); attributes left out (QEMU reports MAIR/SH there). */
#define AT_OP(name) static uint64_t at_##name(uint64_t va) \
    { __asm__ volatile("at " #name ", %0\n\tisb" :: "r"(va) : "memory"); return READ_SYSREG(par_el1); }
AT_OP(s1e1r)
AT_OP(s12e1r)
AT_OP(s12e1w)

static void at_report(const char *name, uint64_t par)
{
    if (par & 1)
        printf("    %-36s PAR: F=1 FST=%02lx PTW=%lu S=%lu\n", name, (par >> 1) & 0x3f, (par >> 8) & 1, (par >> 9) & 1);
    else
        printf("    %-36s PAR: PA=%016lx\n", name, par & 0xfffffffff000UL);
}

static void add_fix(uint64_t ipa, volatile uint64_t *pte, uint64_t value)
{
    fixes[nfixes].ipa = ipa;
    fixes[nfixes].pte = pte;
    fixes[nfixes].value = value;
    nfixes++;
}

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    if (VEC_KIND(slot) != 0) {
        printf("unexpected asynchronous exception at EL%u\n", el);
        psci_system_off();
    }
    if (el == 1) {
        uint64_t esr = READ_SYSREG(esr_el1);
        printf("    EL1 fault  ESR_EL1=%08lx FAR_EL1=%016lx\n", esr, READ_SYSREG(far_el1));
        f->elr = ((esr >> 26) == 0x21) ? f->x[30] : f->elr + 4;
        return;
    }
    uint64_t esr = READ_SYSREG(esr_el2);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (ec == 0x16) {
        switch (esr & 0xffff) {
        case 1:   /* switch to the second VMID's tables, no TLB maintenance */
            WRITE_SYSREG(vttbr_el2, vttbr_b);
            ISB();
            return;
        case 2:
            WRITE_SYSREG(vttbr_el2, vttbr_a);
            ISB();
            return;
        case 3: { /* remap window page 0 to data_b, broadcast invalidation */
            s2a_l3win[0] = (uint64_t)data_b | S2_MEM | S2_RW | S2_TABLE;
            __asm__ volatile("dsb ishst\n\ttlbi ipas2e1is, %0\n\tdsb ish\n\ttlbi vmalle1is\n\tdsb ish\n\tisb"
                             :: "r"(WINDOW >> 12) : "memory");
            return;
        }
        case 4:   /* address translation instructions at EL2 */
            at_report("AT S12E1R window page 0", at_s12e1r(win_va));
            at_report("AT S12E1W RO page", at_s12e1w(win_va + page));
            at_report("AT S12E1R invalid page", at_s12e1r(win_va + 3 * page));
            at_report("AT S1E1R window page 0", at_s1e1r(win_va));
            at_report("AT S1E1R walk through unmapped IPA", at_s1e1r(0xc0000000UL));
            return;
        case 5:   /* VMID x0 with the first (odd VMIDs) or second (even) tables, no TLBI */
            WRITE_SYSREG(vttbr_el2, (uint64_t)(f->x[0] & 1 ? s2a_root : s2b_root) | (f->x[0] << 48));
            ISB();
            return;
        case 0xff:
            f->elr = (uint64_t)el2_resume;
            f->spsr = 0x3c9;
            return;
        }
        printf("unexpected hvc %lx\n", esr & 0xffff);
        psci_system_off();
    }
    if (ec != 0x24 && ec != 0x20) {
        printf("unexpected exception at EL2: ESR_EL2=%08lx ELR=%016lx\n", esr, f->elr);
        psci_system_off();
    }
    uint64_t far = READ_SYSREG(far_el2), hpfar = READ_SYSREG(hpfar_el2);
    s2_faults++;
    printf("    S2 fault   ESR_EL2=%08lx EC=%02x FSC=%02lx S1PTW=%lu WnR=%lu FAR_EL2=%016lx HPFAR_EL2=%016lx\n",
           esr, ec, esr & 0x3f, (esr >> 7) & 1, ec == 0x24 ? (esr >> 6) & 1 : 0, far, hpfar);
    uint64_t ipa_page = (hpfar >> 4) << 12;
    for (unsigned i = 0; i < nfixes; i++) {
        if (fixes[i].pte && (fixes[i].ipa & ~0xfffUL) == ipa_page) {
            *fixes[i].pte = fixes[i].value;
            printf("    mapped IPA %016lx, retry\n", fixes[i].ipa);
            fixes[i].pte = 0;
            tlbi_ipa(fixes[i].ipa);
            return;
        }
    }
    /* Skip the access; an instruction abort returns to the caller of the BLR. */
    f->elr = ec == 0x20 ? f->x[30] : f->elr + 4;
}

/* ---------------------------------------------------------------- EL1 side */

static inline uint64_t rd(uint64_t va)
{
    uint64_t v = 0xdeadUL;
    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(va) : "memory");
    return v;
}
static inline void wr(uint64_t va, uint64_t v) { __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(va) : "memory"); }
static inline void call(uint64_t va) { __asm__ volatile("blr %0" :: "r"(va) : "x30", "memory"); }

static void step(const char *name) { printf("  %s\n", name); }

/* The accesses every phase makes through the window (page n at win_va + n * page). */
static void window_checks(void)
{
    uint64_t w = win_va, p = page;
    step("read RW page");
    printf("    = %016lx\n", rd(w + 8));
    step("write RW page");
    wr(w + 16, 0x5555aaaa5555aaaaUL);
    printf("    data_a[2] = %016lx\n", data_a[2]);
    step("read RO page");
    printf("    = %016lx\n", rd(w + p + 8));
    step("write RO page");
    wr(w + p + 24, 1);
    printf("    data_a[3] = %016lx\n", data_a[3]);
    step("read AF-clear page");
    printf("    = %016lx\n", rd(w + 2 * p));
    step("read invalid page");
    printf("    = %016lx\n", rd(w + 3 * p));
    step("write invalid page");
    wr(w + 3 * p, 7);
    step("read XN page");
    printf("    = %08lx\n", rd(w + 4 * p) & 0xffffffffUL);
    step("execute XN page");
    call(w + 4 * p);
    step("read WO page");
    printf("    = %016lx\n", rd(w + 5 * p + 8));
    step("write WO page");
    wr(w + 5 * p + 8, 0x1234);
    printf("    data_c[1] = %016lx\n", data_c[1]);
    step("execute executable page");
    call(w + 6 * p);
    step("execute no-access page (XN clear)");
    call(w + 7 * p);
    step("read no-access page");
    printf("    = %016lx\n", rd(w + 7 * p));
}

static void el1_phase1(void)
{
    printf("  EL1: CurrentEL=%u SCTLR_EL1.M=%lu\n", current_el(), READ_SYSREG(sctlr_el1) & 1);
    window_checks();

    step("read second concatenated level-1 table (IPA 1<<39)");
    printf("    = %016lx\n", rd((1UL << 39) + ((uint64_t)data_b - RAM)));

    /* Stage 1 on: T0SZ = 25 (39-bit VA, level 1 start), 4K, IPS = 40 bits. */
    WRITE_SYSREG(mair_el1, 0x00ffUL);
    WRITE_SYSREG(tcr_el1, 25 | (1 << 8) | (1 << 10) | (3 << 12) | (1UL << 23) | (2UL << 32));
    WRITE_SYSREG(ttbr0_el1, s1_l1);
    __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    ISB();
    printf("  stage 1 on: SCTLR_EL1.M=%lu, window at VA %016lx\n", READ_SYSREG(sctlr_el1) & 1, 0x100000000UL);
    win_va = 0x100000000UL;
    window_checks();

    step("stage-1 walk through unmapped and write-only stage-2 pages");
    printf("    = %016lx\n", rd(0x140000000UL + 8));
    step("stage-1 translation fault");
    printf("    = %016lx\n", rd(0x180000000UL));
    step("stage-1 block to IPA 1<<39");
    printf("    = %016lx\n", rd(0x1c0000000UL + ((uint64_t)data_b - RAM)));

    step("AT S1E1R at EL1");
    at_report("window page 0", at_s1e1r(win_va));
    at_report("walk through unmapped IPA", at_s1e1r(0xc0000000UL));
    step("AT at EL2");
    __asm__ volatile("hvc #4" ::: "memory");

    step("VMID 1 and VMID 2 map window page 10 to data_a and data_b");
    uint64_t v10 = win_va + 10 * page;
    printf("    VMID 1: %016lx\n", rd(v10));
    __asm__ volatile("hvc #1" ::: "memory");
    printf("    VMID 2: %016lx\n", rd(v10));
    __asm__ volatile("hvc #2" ::: "memory");
    printf("    VMID 1: %016lx\n", rd(v10));
    __asm__ volatile("hvc #1" ::: "memory");
    printf("    VMID 2: %016lx\n", rd(v10));
    wr(v10 + 8, 0x2222);
    __asm__ volatile("hvc #2" ::: "memory");
    printf("    VMID 1: %016lx, data_a[1]=%016lx data_b[1]=%016lx\n", rd(v10 + 8), data_a[1], data_b[1]);

    /* More VMIDs than a CPU keeps TLBs for (each VMID's translations must still be its own). */
    step("VMIDs 1-12, odd ones mapping page 10 to data_a, even ones to data_b, twice");
    for (int round = 0; round < 2; round++) {
        char seen[13];
        for (uint64_t vmid = 1; vmid <= 12; vmid++) {
            register uint64_t x0 __asm__("x0") = vmid;
            __asm__ volatile("hvc #5" : "+r"(x0) :: "memory");
            uint64_t v = rd(v10);
            seen[vmid - 1] = v == data_a[0] ? 'a' : v == data_b[0] ? 'b' : '?';
        }
        seen[12] = 0;
        printf("    round %d: %s\n", round, seen);
    }
    __asm__ volatile("hvc #2" ::: "memory");

    step("remap window page 0 to data_b (TLBI IPAS2E1IS, VMALLE1IS)");
    printf("    before: %016lx\n", rd(win_va));
    __asm__ volatile("hvc #3" ::: "memory");
    printf("    after:  %016lx\n", rd(win_va));

    __asm__ volatile("hvc #0xff" ::: "memory");
}

static void el1_phase2(void)
{
    printf("  EL1: SCTLR_EL1.M=%lu\n", READ_SYSREG(sctlr_el1) & 1);
    window_checks();
    step("read IPA beyond the 33-bit input range");
    printf("    = %016lx\n", rd(0x200000000UL));
    step("read unmapped IPA in the last concatenated table");
    printf("    = %016lx\n", rd(0x1fff00000UL));
    __asm__ volatile("hvc #0xff" ::: "memory");
}

static void el1_phase3(void)
{
    printf("  EL1: SCTLR_EL1.M=%lu\n", READ_SYSREG(sctlr_el1) & 1);
    step("read RW page");
    printf("    = %016lx\n", rd(WINDOW + 8));
    step("read level-2 invalid entry");
    printf("    = %016lx\n", rd(0xa0000000UL));
    step("read page with output address beyond 40 bits");
    printf("    = %016lx\n", rd(WINDOW + 0x10000));
    __asm__ volatile("hvc #0xff" ::: "memory");
}

/* ---------------------------------------------------------------- EL2 side */

/* Window page descriptors shared by phases 1 and 2 (l3[n] = page n). */
static void fill_window(volatile uint64_t *l3, uint64_t ipa)
{
    l3[0] = (uint64_t)data_a | S2_MEM | S2_RW | S2_TABLE;
    l3[1] = (uint64_t)data_a | S2_MEM | S2_RO | S2_TABLE;
    l3[2] = ((uint64_t)data_b | S2_MEM | S2_RW | S2_TABLE) & ~S2_AF;
    add_fix(ipa + 2 * page, &l3[2], (uint64_t)data_b | S2_MEM | S2_RW | S2_TABLE);
    l3[3] = 0;
    l3[4] = (uint64_t)code_page | S2_MEM | S2_RW | S2_XN | S2_TABLE;
    l3[5] = (uint64_t)data_c | S2_MEM | S2_WO | S2_TABLE;
    l3[6] = (uint64_t)code_page | S2_MEM | S2_RO | S2_TABLE;
    l3[7] = (uint64_t)code_page | S2_MEM | S2_TABLE;
}

static void print_config(const char *name)
{
    printf("%s: VTCR_EL2=%08lx VTTBR_EL2=%016lx HCR_EL2=%016lx\n", name, READ_SYSREG(vtcr_el2),
           READ_SYSREG(vttbr_el2), READ_SYSREG(hcr_el2));
}

static void enter(uint64_t vtcr, uint64_t vttbr, void (*fn)(void))
{
    WRITE_SYSREG(vtcr_el2, vtcr);
    WRITE_SYSREG(vttbr_el2, vttbr);
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_VM);
    __asm__ volatile("dsb ish\n\ttlbi vmalls12e1\n\tdsb ish\n\tisb" ::: "memory");
    s2_faults = 0;
    run_el1(fn, (uint64_t)(el1_stack + sizeof el1_stack));
    WRITE_SYSREG(hcr_el2, HCR_RW);
    ISB();
    printf("  back at EL%u, %u stage-2 faults\n", current_el(), s2_faults);
}

static void phase1(void)
{
    page = 0x1000;
    win_va = WINDOW;
    nfixes = 0;
    /* VTCR_EL2: T0SZ = 24 (40-bit IPA), SL0 = 1 (level 1, 2 tables), WB, inner, TG0 = 4K, PS = 40 bits. */
    uint64_t vtcr = 24 | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | (2 << 16) | (1UL << 31);
    for (int v = 0; v < 2; v++) {
        uint64_t *root = v ? s2b_root : s2a_root, *l2win = v ? s2b_l2win : s2a_l2win, *l3win = v ? s2b_l3win : s2a_l3win;
        root[0] = (uint64_t)s2a_l2dev | S2_TABLE;
        root[1] = RAM | S2_MEM | S2_RW | S2_BLOCK;                   /* 1 GB block, identity */
        root[2] = (uint64_t)l2win | S2_TABLE;
        root[512] = RAM | S2_MEM | S2_RO | S2_BLOCK;                 /* IPA 1<<39, second table */
        l2win[0] = (uint64_t)l3win | S2_TABLE;
        fill_window(l3win, WINDOW);
        l3win[10] = (uint64_t)(v ? data_b : data_a) | S2_MEM | S2_RW | S2_TABLE;
    }
    s2a_l2dev[UART >> 21] = UART | S2_DEV | S2_BLOCK;
    /* Stage-1 tables 8 and 9 pages into the window: invalid, then write-only at stage 2. */
    s2a_l3win[8] = 0;
    add_fix(WINDOW + 8 * 0x1000, &s2a_l3win[8], (uint64_t)s1_l2x | S2_MEM | S2_RW | S2_TABLE);
    s2a_l3win[9] = (uint64_t)s1_l3x | S2_MEM | S2_WO | S2_TABLE;
    add_fix(WINDOW + 9 * 0x1000, &s2a_l3win[9], (uint64_t)s1_l3x | S2_MEM | S2_RO | S2_TABLE);

    /* Stage 1 (VA -> IPA): UART and RAM identity, window at VA 4 GB, tables behind stage-2 faults. */
    s1_l1[0] = (uint64_t)s1_l2dev | S1_TABLE;
    s1_l2dev[UART >> 21] = UART | S1_DEVICE | S1_BLOCK;
    s1_l1[1] = RAM | S1_NORMAL | S1_BLOCK;
    s1_l1[4] = WINDOW | S1_NORMAL | S1_BLOCK;
    s1_l1[5] = (WINDOW + 8 * 0x1000) | S1_TABLE;
    s1_l2x[0] = (WINDOW + 9 * 0x1000) | S1_TABLE;
    s1_l3x[1] = (uint64_t)data_c | S1_NORMAL | S1_TABLE;
    s1_l3x[0] = (uint64_t)data_c | S1_NORMAL | S1_TABLE;
    s1_l1[3] = (WINDOW + 11 * 0x1000) | S1_TABLE;   /* IPA page 11: invalid at stage 2 */
    s1_l1[6] = 0;
    s1_l1[7] = (1UL << 39) | S1_NORMAL | S1_BLOCK;

    vttbr_a = (uint64_t)s2a_root | (1UL << 48);
    vttbr_b = (uint64_t)s2b_root | (2UL << 48);
    WRITE_SYSREG(vtcr_el2, vtcr);
    WRITE_SYSREG(vttbr_el2, vttbr_a);
    print_config("phase 1, 4K granule, 40-bit IPA from level 1");
    enter(vtcr, vttbr_a, el1_phase1);
}

static void phase2(void)
{
    page = 0x10000;
    win_va = WINDOW;
    nfixes = 0;
    uint64_t *l3 = s2_64k_l3;
    /* 64K pages from level 3: RAM and UART identity, the window in the fifth table. */
    for (uint64_t pa = RAM; pa < RAM + 0x8000000UL; pa += 0x10000)
        l3[pa >> 16] = pa | S2_MEM | S2_RW | S2_TABLE;
    l3[UART >> 16] = UART | S2_DEV | S2_TABLE;
    fill_window(&l3[WINDOW >> 16], WINDOW);
    /* VTCR_EL2: T0SZ = 31 (33-bit IPA), SL0 = 0 (level 3, 16 tables), TG0 = 64K, PS = 40 bits. */
    uint64_t vtcr = 31 | (0 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 14) | (2 << 16) | (1UL << 31);
    WRITE_SYSREG(vtcr_el2, vtcr);
    WRITE_SYSREG(vttbr_el2, (uint64_t)l3 | (3UL << 48));
    print_config("phase 2, 64K granule, 33-bit IPA from level 3");
    enter(vtcr, (uint64_t)l3 | (3UL << 48), el1_phase2);
}

static void phase3(void)
{
    nfixes = 0;
    /* VTCR_EL2: T0SZ = 25 (39-bit IPA), SL0 = 1 (level 2, 1024 entries), TG0 = 64K, PS = 40 bits. */
    uint64_t vtcr = 25 | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 14) | (2 << 16) | (1UL << 31);
    s2c_root[0] = (uint64_t)s2c_l3dev | S2_TABLE;
    s2c_l3dev[UART >> 16] = UART | S2_DEV | S2_TABLE;
    s2c_root[RAM >> 29] = RAM | S2_MEM | S2_RW | S2_BLOCK;        /* 512 MB block */
    s2c_root[WINDOW >> 29] = (uint64_t)s2c_l3win | S2_TABLE;
    s2c_root[0xa0000000UL >> 29] = 0;
    s2c_l3win[0] = (uint64_t)data_a | S2_MEM | S2_RW | S2_TABLE;
    s2c_l3win[1] = (1UL << 40) | (uint64_t)data_a | S2_MEM | S2_RW | S2_TABLE;
    WRITE_SYSREG(vtcr_el2, vtcr);
    WRITE_SYSREG(vttbr_el2, (uint64_t)s2c_root | (4UL << 48));
    print_config("phase 3, 64K granule, 39-bit IPA from level 2");
    enter(vtcr, (uint64_t)s2c_root | (4UL << 48), el1_phase3);
}

int main(void)
{
    printf("stage2: EL%u\n", current_el());
    if (current_el() != 2) {
        printf("stage2: needs -machine virt,virtualization=on\n");
        return 0;
    }
    WRITE_SYSREG(vbar_el2, exception_vectors);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    for (int i = 0; i < 8192; i++) {
        data_a[i] = 0xaaaa000000000000UL | i;
        data_b[i] = 0xbbbb000000000000UL | i;
        data_c[i] = 0xcccc000000000000UL | i;
    }
    code_page[0] = 0xd65f03c0;   /* ret */
    __asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" :: "r"(code_page) : "memory");
    ISB();
    phase1();
    /* Stage 1 off again for the next phases. */
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~1UL);
    ISB();
    phase2();
    phase3();
    printf("stage2: done\n");
    return 0;
}
