/*
 * el2-traps: run with -machine virt,gic-version=3,virtualization=on so the
 * image starts at EL2. The EL2 controls a hypervisor programs for its
 * vCPUs, one at a time: EL1 asks EL2 (HVC #1) for a configuration of
 * HCR_EL2 (ARM ARM D13.2.48), CPTR_EL2 and CNTHCTL_EL2, executes the one
 * instruction that configuration should trap, and puts the configuration
 * back. Each exception taken on the way is printed as the EL that took it
 * sees it: ESR (and FAR/HPFAR for aborts) and the return address relative
 * to the instruction under test. Also: which HCR_EL2/CPTR_EL2/CNTHCTL_EL2
 * bits are writable, VPIDR_EL2/VMPIDR_EL2 as EL1's MIDR/MPIDR, CNTVOFF_EL2
 * as seen by CNTVCT and the virtual timer, the virtual IRQ/FIQ/SError
 * pending bits, a stage-2 fault (HCR_EL2.VM) and the EL2 physical timer on
 * PPI 26. MDCR_EL2 (D13.2.73): the debug register traps (TDA, TDOSA, TDRA),
 * TDE routing BRK to EL2, the PMU traps (TPM, TPMCR) and what HPMN leaves EL1,
 * each with the value the access left in its register. Stage 2 at the CPU
 * model's PARange (40 bits on the Cortex-A53, 44 on the A57 and A72): an
 * output address above 40 bits, a 42-bit IPA space and a level-0 start.
 */
#include "runtime.h"

#define HCR_RW   (1UL << 31)
#define HCR_VM   (1UL << 0)
#define HCR_FMO  (1UL << 3)
#define HCR_IMO  (1UL << 4)
#define HCR_AMO  (1UL << 5)
#define HCR_VF   (1UL << 6)
#define HCR_VI   (1UL << 7)
#define HCR_VSE  (1UL << 8)
#define HCR_TWI  (1UL << 13)
#define HCR_TWE  (1UL << 14)
#define HCR_TID0 (1UL << 15)
#define HCR_TID1 (1UL << 16)
#define HCR_TID2 (1UL << 17)
#define HCR_TID3 (1UL << 18)
#define HCR_TSC  (1UL << 19)
#define HCR_TIDCP (1UL << 20)
#define HCR_TACR (1UL << 21)
#define HCR_TSW  (1UL << 22)
#define HCR_TPC  (1UL << 23)
#define HCR_TPU  (1UL << 24)
#define HCR_TTLB (1UL << 25)
#define HCR_TVM  (1UL << 26)
#define HCR_TDZ  (1UL << 28)
#define HCR_TRVM (1UL << 30)

#define CPTR_TFP   (1UL << 10)
#define CPTR_TTA   (1UL << 20)
#define CPTR_TCPAC (1UL << 31)

#define MDCR_HPMN(n) ((uint64_t)(n))
#define MDCR_TPMCR (1UL << 5)
#define MDCR_TPM   (1UL << 6)
#define MDCR_TDE   (1UL << 8)
#define MDCR_TDA   (1UL << 9)
#define MDCR_TDOSA (1UL << 10)
#define MDCR_TDRA  (1UL << 11)
/* Marks x4 of the configuration call as an MDCR_EL2 value (0: EL2's own). */
#define MDCR_SET   (1UL << 63)

/* VTCR_EL2: RES1 bit 31, PS, inner shareable write-back walks, SL0, T0SZ (4K granule). */
#define VTCR_S2(ps, sl0, t0sz) ((1UL << 31) | ((uint64_t)(ps) << 16) | (3UL << 12) | (1UL << 10) | (1UL << 8) | \
                                ((uint64_t)(sl0) << 6) | (uint64_t)(t0sz))

#define CNTHCTL_EL1PCTEN 1UL
#define CNTHCTL_EL1PCEN  2UL

#define GICR_SGI        0x080B0000UL   /* CPU 0 SGI_base */
#define GICR_WAKER      0x080A0014UL
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_IPRIORITYR 0x0400
#define GICD_CTLR       0x08000000UL

struct entry {
    unsigned el, slot, ec;
    uint64_t esr, elr, far, hpfar, extra;
};
static volatile struct entry log[8];
static volatile unsigned nlog;
static volatile uint64_t mark;            /* address of the instruction under test */
static uint64_t cptr_base, cnthctl_base, mdcr_base;  /* EL2's own settings, restored after each test */
static uint64_t vtcr_base;
static volatile uint64_t scratch[16] __attribute__((aligned(64)));

static uint8_t el1_stack[8192] __attribute__((aligned(16)));
/* Stage 2 for the HCR_EL2.VM case: a level-1 table mapping RAM's first GiB (IPA = PA) only. */
static uint64_t s2_level1[512] __attribute__((aligned(4096)));
/* Stage 2 at 42 bits from level 1: eight concatenated level-1 tables (ARM ARM D8, concatenated translation tables). */
static uint64_t s2_concat[4096] __attribute__((aligned(32768)));
/* Stage 2 from level 0 (4K granule, 44-bit IPA): one level-0 entry to s2_level1. */
static uint64_t s2_level0[512] __attribute__((aligned(4096)));
static void el1_main(void);
static void el2_finish(void) __attribute__((noreturn));
static void el2_irq(void);

static inline void w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

static void record(unsigned el, unsigned slot, uint64_t esr, uint64_t elr, uint64_t far, uint64_t hpfar, uint64_t extra)
{
    if (nlog >= 8)
        return;
    volatile struct entry *e = &log[nlog++];
    e->el = el; e->slot = slot; e->esr = esr; e->ec = (unsigned)(esr >> 26) & 0x3f;
    e->elr = elr; e->far = far; e->hpfar = hpfar; e->extra = extra;
}

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    if (el == 1) {
        uint64_t esr = VEC_KIND(slot) == 0 || VEC_KIND(slot) == 3 ? READ_SYSREG(esr_el1) : 0;
        if (VEC_KIND(slot) != 0) {
            /* A virtual interrupt: have EL2 drop the pending bits and report HCR_EL2's. */
            uint64_t pending;
            __asm__ volatile("hvc #2\n\tmov %0, x0" : "=r"(pending) :: "x0", "memory");
            record(1, slot, esr, f->elr - mark, 0, 0, pending);
            return;
        }
        record(1, slot, esr, f->elr - mark, 0, 0, 0);
        f->elr += 4;
        return;
    }
    if (VEC_KIND(slot) == 1) { el2_irq(); return; }
    if (VEC_KIND(slot) != 0) {
        printf("EL2: unexpected slot %u\n", slot);
        psci_system_off();
    }
    uint64_t esr = READ_SYSREG(esr_el2);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (ec == 0x16 && VEC_GROUP(slot) == 2) {
        switch (esr & 0xffff) {
        case 1:   /* configure: x0 = HCR_EL2 bits, x1 = CPTR_EL2 bits, x2 = CNTHCTL_EL2 bits to clear,
                     x4 = MDCR_SET | MDCR_EL2, x5 = VTCR_EL2 and x6 = VTTBR_EL2 (0: EL2's own) */
            WRITE_SYSREG(hcr_el2, HCR_RW | f->x[0]);
            WRITE_SYSREG(cptr_el2, cptr_base | f->x[1]);
            WRITE_SYSREG(cnthctl_el2, cnthctl_base & ~f->x[2]);
            WRITE_SYSREG(mdcr_el2, f->x[4] & MDCR_SET ? f->x[4] & ~MDCR_SET : mdcr_base);
            WRITE_SYSREG(vtcr_el2, f->x[5] ? f->x[5] : vtcr_base);
            WRITE_SYSREG(vttbr_el2, f->x[6] ? f->x[6] : (uint64_t)s2_level1);
            __asm__ volatile("tlbi vmalls12e1\n\tdsb nsh" ::: "memory");
            mark = f->x[3];
            ISB();
            return;
        case 2: { /* virtual interrupt taken: clear VI/VF/VSE, return what was pending */
            uint64_t hcr = READ_SYSREG(hcr_el2);
            f->x[0] = hcr & (HCR_VI | HCR_VF | HCR_VSE);
            WRITE_SYSREG(hcr_el2, hcr & ~(HCR_VI | HCR_VF | HCR_VSE));
            ISB();
            return;
        }
        case 0xff:
            f->elr = (uint64_t)el2_finish;
            f->spsr = 0x3c9;   /* EL2h, DAIF masked */
            return;
        }
    }
    uint64_t far = 0, hpfar = 0;
    if (ec == 0x20 || ec == 0x24) {
        far = READ_SYSREG(far_el2);
        hpfar = READ_SYSREG(hpfar_el2);
    }
    record(2, slot, esr, f->elr - mark, far, hpfar, 0);
    if (ec == 0x20 || ec == 0x24) {
        /* A stage 2 under test that faults every access: the test goes on with EL2's own, and
           an instruction fetch that faulted is retried there. */
        WRITE_SYSREG(vtcr_el2, vtcr_base);
        WRITE_SYSREG(vttbr_el2, (uint64_t)s2_level1);
        __asm__ volatile("isb\n\ttlbi vmalls12e1\n\tdsb nsh\n\tisb" ::: "memory");
    }
    if (ec != 0x16 && ec != 0x20)
        f->elr += 4;
}

static void report(const char *name, const uint64_t *x9)
{
    printf("%-26s", name);
    if (nlog == 0)
        printf(" none");
    for (unsigned i = 0; i < nlog; i++) {
        volatile struct entry *e = &log[i];
        printf(" EL%u slot=%u ESR=%08lx EC=%02x ELR=%ld", e->el, e->slot, e->esr, e->ec, (int64_t)e->elr);
        if (e->ec == 0x20 || e->ec == 0x24)
            printf(" FAR=%016lx HPFAR=%016lx", e->far, e->hpfar);
        if (e->el == 1 && VEC_KIND(e->slot) != 0)
            printf(" pending=%03lx", e->extra);
    }
    if (x9)
        printf(" x9=%lx", *x9);
    printf("\n");
    nlog = 0;
}

/*
 * One test at EL1: `pre` runs untrapped (it may load x9 for `insn`; %3 is
 * the address of `scratch`), then
 * EL2 installs the configuration, `insn` runs at label 1, and EL2 restores
 * the base configuration.
 */
#define TRY(name, hcr, cptr, cnthctl_clear, pre, insn) \
    TRY_ALL(name, hcr, cptr, cnthctl_clear, 0, 0, 0, pre, insn, 0)
/*
 * Every control: also x4 = MDCR_SET | MDCR_EL2 (0: EL2's), VTCR_EL2 and VTTBR_EL2 (0: EL2's);
 * with `show`, the value x9 holds after `insn` is printed ("x9=" the register read, or what
 * `pre` loaded when the access trapped).
 */
#define TRY_ALL(name, hcr, cptr, cnthctl_clear, mdcr, vtcr, vttbr, pre, insn, show) do {    \
    uint64_t x9_;                                                                        \
    __asm__ volatile("mov x9, #0x5a\n\t" pre "\n\t"                                       \
                     "mov x0, %1\n\tmov x1, %2\n\tmov x2, %4\n\tadr x3, 1f\n\t"           \
                     "mov x4, %5\n\tmov x5, %6\n\tmov x6, %7\n\thvc #1\n"               \
                     "1:\t" insn "\n\t"                                                  \
                     "mov x0, xzr\n\tmov x1, xzr\n\tmov x2, xzr\n\tmov x3, xzr\n\t"     \
                     "mov x4, xzr\n\tmov x5, xzr\n\tmov x6, xzr\n\thvc #1\n\tmov %0, x9"  \
                     : "=r"(x9_)                                                         \
                     : "r"((uint64_t)(hcr)), "r"((uint64_t)(cptr)), "r"(&scratch[0]),    \
                        "r"((uint64_t)(cnthctl_clear)), "r"((uint64_t)(mdcr)),           \
                        "r"((uint64_t)(vtcr)), "r"((uint64_t)(vttbr))                    \
                     : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x9", "memory");         \
    report(name, (show) ? &x9_ : 0);                                                     \
} while (0)
/* MDCR_EL2 = `mdcr` (HPMN in its low bits) for `insn`; the result printed. */
#define TRY_MDCR(name, mdcr, pre, insn) TRY_ALL(name, 0, 0, 0, MDCR_SET | (mdcr), 0, 0, pre, insn, 1)
/* Stage 2 (HCR_EL2.VM) with this VTCR_EL2 and VTTBR_EL2. */
#define TRY_S2(name, vtcr, vttbr, pre, insn) TRY_ALL(name, HCR_VM, 0, 0, 0, vtcr, vttbr, pre, insn, 1)

#define TRY_HCR(name, hcr, pre, insn) TRY(name, hcr, 0, 0, pre, insn)
/* A read and a write of an EL1 register, each under its own trap bit. */
#define TRY_RW(reg, rbit, wbit) do {                                                       \
    TRY_HCR("mrs " #reg, rbit, "", "mrs x9, " #reg);                                      \
    TRY_HCR("msr " #reg, wbit, "mrs x9, " #reg, "msr " #reg ", x9");                     \
} while (0)

static void el1_main(void)
{
    printf("EL1: CurrentEL=%u MIDR_EL1=%08lx MPIDR_EL1=%016lx\n", current_el(),
           READ_SYSREG(midr_el1), READ_SYSREG(mpidr_el1));

    /* Nothing set: none of these trap (ACTLR, cache and TLB maintenance, DC ZVA, ID reads). */
    TRY_HCR("baseline wfe", 0, "", "wfe");
    TRY_HCR("baseline dc cisw", 0, "mov x9, xzr", "dc cisw, x9");
    TRY_HCR("baseline dc cvap", 0, "mov x9, %3", "sys #3, c7, c12, #1, x9");
    TRY_HCR("baseline tlbi vmalle1", 0, "", "tlbi vmalle1");

    /* WFI/WFE (TWI/TWE): a WFI that would wake at once (an interrupt pending, if masked) does not trap. */
    TRY_HCR("TWI wfi", HCR_TWI, "", "wfi");
    TRY_HCR("TWI wfi, vIRQ pending", HCR_TWI | HCR_IMO | HCR_VI, "", "wfi");
    TRY_HCR("TWE wfe", HCR_TWE, "", "wfe");
    TRY_HCR("TWE sevl; wfe", HCR_TWE, "sevl", "wfe");
    TRY_HCR("TSC smc", HCR_TSC, "", "smc #0x5a");

    /* The EL1 virtual memory controls (TRVM reads, TVM writes). */
    TRY_RW(sctlr_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(ttbr0_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(ttbr1_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(tcr_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(esr_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(far_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(afsr0_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(afsr1_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(mair_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(amair_el1, HCR_TRVM, HCR_TVM);
    TRY_RW(contextidr_el1, HCR_TRVM, HCR_TVM);
    TRY_HCR("TVM mrs sctlr_el1 (not)", HCR_TVM, "", "mrs x9, sctlr_el1");
    TRY_HCR("TRVM msr mair_el1 (not)", HCR_TRVM, "mrs x9, mair_el1", "msr mair_el1, x9");
    TRY_RW(actlr_el1, HCR_TACR, HCR_TACR);

    /* ID groups. */
    TRY_HCR("TID1 mrs revidr_el1", HCR_TID1, "", "mrs x9, revidr_el1");
    TRY_HCR("TID1 mrs aidr_el1", HCR_TID1, "", "mrs x9, aidr_el1");
    TRY_HCR("TID2 mrs ctr_el0", HCR_TID2, "", "mrs x9, ctr_el0");
    TRY_HCR("TID2 mrs ccsidr_el1", HCR_TID2, "", "mrs x9, ccsidr_el1");
    TRY_HCR("TID2 mrs clidr_el1", HCR_TID2, "", "mrs x9, clidr_el1");
    TRY_HCR("TID2 msr csselr_el1", HCR_TID2, "mov x9, xzr", "msr csselr_el1, x9");
    TRY_HCR("TID3 mrs id_aa64pfr0_el1", HCR_TID3, "", "mrs x9, id_aa64pfr0_el1");
    TRY_HCR("TID3 mrs id_aa64mmfr0_el1", HCR_TID3, "", "mrs x9, id_aa64mmfr0_el1");
    TRY_HCR("TID3 mrs mvfr0_el1", HCR_TID3, "", "mrs x9, mvfr0_el1");
    TRY_HCR("TID3 mrs s3_0_c0_c7_7", HCR_TID3, "", "mrs x9, s3_0_c0_c7_7");
    TRY_HCR("TID0 mrs midr_el1 (not)", HCR_TID0, "", "mrs x9, midr_el1");
    TRY_HCR("TID1 mrs midr_el1 (not)", HCR_TID1, "", "mrs x9, midr_el1");
    TRY_HCR("TIDCP mrs s3_1_c15_c2_0", HCR_TIDCP, "", "mrs x9, s3_1_c15_c2_0");
    TRY_HCR("TIDCP mrs s3_1_c11_c0_2", HCR_TIDCP, "", "mrs x9, s3_1_c11_c0_2");
    TRY_HCR("TIDCP mrs s3_0_c15_c0_0", HCR_TIDCP, "", "mrs x9, s3_0_c15_c0_0");

    /* Cache maintenance by set/way (TSW), to the PoC (TPC), to the PoU (TPU). */
    TRY_HCR("TSW dc isw", HCR_TSW, "mov x9, xzr", "dc isw, x9");
    TRY_HCR("TSW dc csw", HCR_TSW, "mov x9, xzr", "dc csw, x9");
    TRY_HCR("TSW dc cisw", HCR_TSW, "mov x9, xzr", "dc cisw, x9");
    TRY_HCR("TPC dc ivac", HCR_TPC, "mov x9, %3", "dc ivac, x9");
    TRY_HCR("TPC dc cvac", HCR_TPC, "mov x9, %3", "dc cvac, x9");
    TRY_HCR("TPC dc civac", HCR_TPC, "mov x9, %3", "dc civac, x9");
    TRY_HCR("TPU dc cvau", HCR_TPU, "mov x9, %3", "dc cvau, x9");
    TRY_HCR("TPU ic ivau", HCR_TPU, "mov x9, %3", "ic ivau, x9");
    TRY_HCR("TPU ic iallu", HCR_TPU, "", "ic iallu");
    TRY_HCR("TPU ic ialluis", HCR_TPU, "", "ic ialluis");
    TRY_HCR("TPC dc cvau (not)", HCR_TPC, "mov x9, %3", "dc cvau, x9");

    /* TLB maintenance (TTLB), DC ZVA (TDZ, which also sets DCZID_EL0.DZP). */
    TRY_HCR("TTLB tlbi vmalle1", HCR_TTLB, "", "tlbi vmalle1");
    TRY_HCR("TTLB tlbi vmalle1is", HCR_TTLB, "", "tlbi vmalle1is");
    TRY_HCR("TTLB tlbi vae1", HCR_TTLB, "mov x9, xzr", "tlbi vae1, x9");
    TRY_HCR("TTLB tlbi aside1is", HCR_TTLB, "mov x9, xzr", "tlbi aside1is, x9");
    TRY_HCR("TTLB tlbi vaale1", HCR_TTLB, "mov x9, xzr", "tlbi vaale1, x9");
    TRY_HCR("TDZ dc zva", HCR_TDZ, "mov x9, %3", "dc zva, x9");
    {
        uint64_t dczid;
        __asm__ volatile("mov x0, %1\n\tmov x1, xzr\n\tmov x2, xzr\n\tmov x3, xzr\n\thvc #1\n\t"
                         "mrs %0, dczid_el0\n\t"
                         "mov x0, xzr\n\thvc #1"
                         : "=&r"(dczid) : "r"(HCR_TDZ) : "x0", "x1", "x2", "x3", "memory");
        printf("TDZ: DCZID_EL0=%lx, without: %lx\n", dczid, READ_SYSREG(dczid_el0));
    }

    /* CPTR_EL2: FP/SIMD (TFP), CPACR_EL1 (TCPAC), trace (TTA: no trace registers). */
    TRY("TFP fmov d0, xzr", 0, CPTR_TFP, 0, "", "fmov d0, xzr");
    TRY("TFP mrs fpcr", 0, CPTR_TFP, 0, "", "mrs x9, fpcr");
    TRY("TCPAC mrs cpacr_el1", 0, CPTR_TCPAC, 0, "", "mrs x9, cpacr_el1");
    TRY("TCPAC msr cpacr_el1", 0, CPTR_TCPAC, 0, "mrs x9, cpacr_el1", "msr cpacr_el1, x9");
    TRY("TTA mrs s2_1_c0_c0_0", 0, CPTR_TTA, 0, "", "mrs x9, s2_1_c0_c0_0");

    /* CNTHCTL_EL2: EL1PCTEN (the physical counter), EL1PCEN (the physical timer). */
    TRY("EL1PCTEN=0 cntpct_el0", 0, 0, CNTHCTL_EL1PCTEN, "", "mrs x9, cntpct_el0");
    TRY("EL1PCTEN=0 cntp_ctl_el0", 0, 0, CNTHCTL_EL1PCTEN, "", "mrs x9, cntp_ctl_el0");
    TRY("EL1PCEN=0 cntpct_el0", 0, 0, CNTHCTL_EL1PCEN, "", "mrs x9, cntpct_el0");
    TRY("EL1PCEN=0 mrs cntp_ctl_el0", 0, 0, CNTHCTL_EL1PCEN, "", "mrs x9, cntp_ctl_el0");
    TRY("EL1PCEN=0 msr cntp_cval_el0", 0, 0, CNTHCTL_EL1PCEN, "mrs x9, cntp_cval_el0", "msr cntp_cval_el0, x9");
    TRY("EL1PCEN=0 mrs cntp_tval_el0", 0, 0, CNTHCTL_EL1PCEN, "", "mrs x9, cntp_tval_el0");
    TRY("EL1PCEN=0 cntvct_el0", 0, 0, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN, "", "mrs x9, cntvct_el0");
    TRY("EL1PCEN=0 cntv_ctl_el0", 0, 0, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN, "", "mrs x9, cntv_ctl_el0");
    TRY("EL1PCEN=0 cntfrq_el0", 0, 0, CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN, "", "mrs x9, cntfrq_el0");

    /* Stage 2 (VM): an IPA outside the map is a stage-2 translation fault, with FAR and HPFAR. */
    TRY_HCR("VM ldr, IPA not mapped", HCR_VM, "movz x9, #0x8000, lsl #16\n\tmovk x9, #0x1008", "ldr x9, [x9]");
    TRY_HCR("VM str, IPA not mapped", HCR_VM, "movz x9, #0x7f, lsl #32\n\tmovk x9, #0x42", "strb w9, [x9]");

    /*
     * Stage 2 and the PA size (ID_AA64MMFR0_EL1.PARange; VTCR_EL2.PS is bounded by it): the
     * block at IPA 0xc000_0000 has output address 2^40, an address size fault at 40 bits and
     * an address without memory at 44. A 42-bit IPA space (from level 1, eight tables
     * concatenated) and a 44-bit one from level 0 are valid at 44 bits only: at 40 every
     * access, the instruction fetch first, is a level-0 translation fault.
     */
    TRY_S2("PS=40 ldr, OA 2^40", VTCR_S2(2, 1, 25), 0, "movz x9, #0xc000, lsl #16", "ldr x9, [x9]");
    TRY_S2("PS=44 ldr, OA 2^40", VTCR_S2(4, 1, 25), 0, "movz x9, #0xc000, lsl #16", "ldr x9, [x9]");
    TRY_S2("PS=44 T0SZ=22 SL0=1 ldr", VTCR_S2(4, 1, 22), s2_concat, "mov x9, %3", "ldr x9, [x9]");
    TRY_S2("PS=40 T0SZ=22 SL0=1 ldr", VTCR_S2(2, 1, 22), s2_concat, "mov x9, %3", "ldr x9, [x9]");
    TRY_S2("PS=44 T0SZ=20 SL0=2 ldr", VTCR_S2(4, 2, 20), s2_level0, "mov x9, %3", "ldr x9, [x9]");
    TRY_S2("PS=44 T0SZ=24 SL0=2 ldr", VTCR_S2(4, 2, 24), s2_level0, "mov x9, %3", "ldr x9, [x9]");

    /* MDCR_EL2: the debug register traps; TDE implies all three and routes BRK to EL2. */
    TRY_MDCR("MDCR=6 mrs mdscr_el1", 6, "", "mrs x9, mdscr_el1");
    TRY_MDCR("TDA mrs mdscr_el1", 6 | MDCR_TDA, "", "mrs x9, mdscr_el1");
    TRY_MDCR("TDA msr dbgbvr0_el1", 6 | MDCR_TDA, "mov x9, #0x1000", "msr dbgbvr0_el1, x9");
    TRY_MDCR("TDA mrs dbgwcr1_el1", 6 | MDCR_TDA, "", "mrs x9, dbgwcr1_el1");
    TRY_MDCR("TDA mrs mdccsr_el0", 6 | MDCR_TDA, "", "mrs x9, mdccsr_el0");
    TRY_MDCR("TDA mrs oslsr_el1 (not)", 6 | MDCR_TDA, "", "mrs x9, oslsr_el1");
    TRY_MDCR("TDA mrs mdrar_el1 (not)", 6 | MDCR_TDA, "", "mrs x9, mdrar_el1");
    TRY_MDCR("TDOSA mrs oslsr_el1", 6 | MDCR_TDOSA, "", "mrs x9, oslsr_el1");
    TRY_MDCR("TDOSA msr oslar_el1", 6 | MDCR_TDOSA, "", "msr oslar_el1, xzr");
    TRY_MDCR("TDOSA mrs osdlr_el1", 6 | MDCR_TDOSA, "", "mrs x9, osdlr_el1");
    TRY_MDCR("TDOSA mrs mdscr_el1 (not)", 6 | MDCR_TDOSA, "", "mrs x9, mdscr_el1");
    TRY_MDCR("TDRA mrs mdrar_el1", 6 | MDCR_TDRA, "", "mrs x9, mdrar_el1");
    TRY_MDCR("TDRA mrs mdscr_el1 (not)", 6 | MDCR_TDRA, "", "mrs x9, mdscr_el1");
    TRY_MDCR("TDE mrs mdscr_el1", 6 | MDCR_TDE, "", "mrs x9, mdscr_el1");
    TRY_MDCR("TDE mrs oslsr_el1", 6 | MDCR_TDE, "", "mrs x9, oslsr_el1");
    TRY_MDCR("TDE mrs mdrar_el1", 6 | MDCR_TDE, "", "mrs x9, mdrar_el1");
    TRY_MDCR("MDCR=6 brk", 6, "", "brk #0x77");
    TRY_MDCR("TDE brk", 6 | MDCR_TDE, "", "brk #0x77");

    /* The PMU: TPM traps every PMU register, TPMCR PMCR_EL0; HPMN is the counters EL1 owns. */
    TRY_MDCR("MDCR=6 mrs pmcr_el0", 6, "", "mrs x9, pmcr_el0");
    TRY_MDCR("TPM mrs pmcr_el0", 6 | MDCR_TPM, "", "mrs x9, pmcr_el0");
    TRY_MDCR("TPM mrs pmccfiltr_el0", 6 | MDCR_TPM, "", "mrs x9, pmccfiltr_el0");
    TRY_MDCR("TPM msr pmintenset_el1", 6 | MDCR_TPM, "mov x9, xzr", "msr pmintenset_el1, x9");
    TRY_MDCR("TPM mrs pmuserenr_el0", 6 | MDCR_TPM, "", "mrs x9, pmuserenr_el0");
    TRY_MDCR("TPM mrs pmevcntr5_el0", 6 | MDCR_TPM, "", "mrs x9, pmevcntr5_el0");
    TRY_MDCR("TPMCR mrs pmcr_el0", 6 | MDCR_TPMCR, "", "mrs x9, pmcr_el0");
    TRY_MDCR("TPMCR mrs pmselr_el0", 6 | MDCR_TPMCR, "", "mrs x9, pmselr_el0");
    TRY_MDCR("HPMN=2 mrs pmcr_el0", 2, "", "mrs x9, pmcr_el0");
    TRY_MDCR("HPMN=0 mrs pmcr_el0", 0, "", "mrs x9, pmcr_el0");
    TRY_MDCR("HPMN=2 mrs pmevcntr3_el0", 2, "", "mrs x9, pmevcntr3_el0");
    TRY_MDCR("HPMN=2 mrs pmevtyper4_el0", 2, "", "mrs x9, pmevtyper4_el0");
    TRY_MDCR("HPMN=2 pmselr=4 pmxevtyper", 2, "mov x9, #4\n\tmsr pmselr_el0, x9", "mrs x9, pmxevtyper_el0");
    TRY_MDCR("HPMN=2 pmcntenset", 2, "mov x9, #-1", "msr pmcntenset_el0, x9\n\tmrs x9, pmcntenset_el0");
    TRY_MDCR("HPMN=2 pmovsset", 2, "mov x9, #-1", "msr pmovsset_el0, x9\n\tmrs x9, pmovsset_el0");
    __asm__ volatile("mov x9, #-1\n\tmsr pmcntenclr_el0, x9\n\tmsr pmovsclr_el0, x9\n\tmsr pmselr_el0, xzr" ::: "x9");

    /* Virtual interrupts: pending with VI/VF/VSE, enabled by IMO/FMO/AMO, taken at EL1 when unmasked. */
    TRY_HCR("VI|IMO, I unmasked", HCR_VI | HCR_IMO, "", "msr daifclr, #2\n\tnop\n\tmsr daifset, #2");
    TRY_HCR("VI alone, I unmasked", HCR_VI, "", "msr daifclr, #2\n\tnop\n\tmsr daifset, #2");
    TRY_HCR("VI|IMO, I masked", HCR_VI | HCR_IMO, "", "nop");
    TRY_HCR("VF|FMO, F unmasked", HCR_VF | HCR_FMO, "", "msr daifclr, #1\n\tnop\n\tmsr daifset, #1");
    TRY_HCR("VF alone, F unmasked", HCR_VF, "", "msr daifclr, #1\n\tnop\n\tmsr daifset, #1");
    TRY_HCR("VSE|AMO, A unmasked", HCR_VSE | HCR_AMO, "", "msr daifclr, #4\n\tnop\n\tmsr daifset, #4");
    TRY_HCR("VSE alone, A unmasked", HCR_VSE, "", "msr daifclr, #4\n\tnop\n\tmsr daifset, #4");
    TRY_HCR("VI|VF|IMO|FMO, unmasked", HCR_VI | HCR_VF | HCR_IMO | HCR_FMO, "", "msr daifclr, #3\n\tnop\n\tmsr daifset, #3");

    /* CNTVOFF_EL2 (set by EL2 before this ran): the virtual count and the virtual timer. */
    {
        uint64_t p = READ_SYSREG(cntpct_el0), v = READ_SYSREG(cntvct_el0);
        printf("CNTVCT - CNTPCT: %lx (>> 32)\n", (v - p) >> 32);
        WRITE_SYSREG(cntv_ctl_el0, 3);   /* enabled, masked */
        WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntpct_el0) + (1UL << 48) - 0x1000000UL);
        ISB();
        uint64_t past = READ_SYSREG(cntv_ctl_el0);
        WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntpct_el0) + (1UL << 48) + (1UL << 40));
        ISB();
        uint64_t future = READ_SYSREG(cntv_ctl_el0);
        WRITE_SYSREG(cntv_ctl_el0, 0);
        printf("CNTV_CTL with CVAL in the virtual past %lx, future %lx\n", past, future);
    }
    __asm__ volatile("hvc #0xff" ::: "memory");
}

/* EL2: the EL2 physical timer's PPI 26, taken here with HCR_EL2.IMO. */
static volatile unsigned el2_irqs;
static void el2_irq(void)
{
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);   /* ICC_IAR1_EL1 */
    printf("EL2 IRQ: INTID %lu CNTHP_CTL_EL2=%lx\n", intid, READ_SYSREG(cnthp_ctl_el2));
    WRITE_SYSREG(cnthp_ctl_el2, 0);
    ISB();
    WRITE_SYSREG(S3_0_C12_C12_1, intid);             /* ICC_EOIR1_EL1 */
    el2_irqs++;
}

static void el2_finish(void)
{
    printf("back at EL2, HCR_EL2=%016lx\n", READ_SYSREG(hcr_el2));
    WRITE_SYSREG(cntvoff_el2, 0);
    WRITE_SYSREG(vpidr_el2, READ_SYSREG(midr_el1));
    WRITE_SYSREG(vmpidr_el2, READ_SYSREG(mpidr_el1));

    /* The EL2 physical timer: ISTATUS, then its interrupt through the GIC. */
    w32(GICR_WAKER, r32(GICR_WAKER) & ~2u);
    while (r32(GICR_WAKER) & 4u)
        ;
    w32(GICD_CTLR, 0x12);                          /* ARE_NS, EnableGrp1NS */
    w32(GICR_SGI + GICR_IGROUPR0, 1u << 26);
    w8(GICR_SGI + GICR_IPRIORITYR + 26, 0x80);
    w32(GICR_SGI + GICR_ISENABLER0, 1u << 26);
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);               /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                /* ICC_IGRPEN1_EL1 */
    WRITE_SYSREG(cnthp_cval_el2, READ_SYSREG(cntpct_el0) + (1UL << 40));
    WRITE_SYSREG(cnthp_ctl_el2, 1);
    ISB();
    printf("CNTHP_CTL_EL2 with CVAL in the future %lx\n", READ_SYSREG(cnthp_ctl_el2));
    WRITE_SYSREG(cnthp_tval_el2, 0x100);
    ISB();
    while (!(READ_SYSREG(cnthp_ctl_el2) & 4))
        ;
    printf("CNTHP_CTL_EL2 after TVAL=0x100 elapsed %lx\n", READ_SYSREG(cnthp_ctl_el2));
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_IMO);
    ISB();
    /* WFI with IRQs masked wakes on the pending interrupt, which is taken once they are unmasked. */
    while (!el2_irqs)
        __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tnop\n\tmsr daifset, #2" ::: "memory");
    printf("EL2 timer interrupts: %u\n", el2_irqs);
    printf("el2-traps: done\n");
    psci_system_off();
}

int main(void)
{
    printf("el2-traps: EL%u\n", current_el());
    if (current_el() != 2) {
        printf("el2-traps: needs -machine virt,virtualization=on\n");
        return 0;
    }
    WRITE_SYSREG(vbar_el2, exception_vectors);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();

    printf("reset: HCR_EL2=%016lx CPTR_EL2=%016lx CNTHCTL_EL2=%016lx CNTVOFF_EL2=%016lx\n",
           READ_SYSREG(hcr_el2), READ_SYSREG(cptr_el2), READ_SYSREG(cnthctl_el2), READ_SYSREG(cntvoff_el2));
    printf("reset: MDCR_EL2=%016lx HSTR_EL2=%016lx VTCR_EL2=%016lx\n",
           READ_SYSREG(mdcr_el2), READ_SYSREG(hstr_el2), READ_SYSREG(vtcr_el2));
    printf("reset: VPIDR_EL2=%016lx VMPIDR_EL2=%016lx MIDR_EL1=%016lx MPIDR_EL1=%016lx\n",
           READ_SYSREG(vpidr_el2), READ_SYSREG(vmpidr_el2), READ_SYSREG(midr_el1), READ_SYSREG(mpidr_el1));

    /* Writable bits: write all ones, read back, restore. */
    uint64_t cptr = READ_SYSREG(cptr_el2), cnthctl = READ_SYSREG(cnthctl_el2);
    uint64_t hcr1, cptr1, cnthctl1, hstr1, mdcr1, mdcr = READ_SYSREG(mdcr_el2);
    __asm__ volatile("mov x9, #-1\n\tmsr hcr_el2, x9\n\tisb\n\tmrs %0, hcr_el2\n\t"
                     "mov x9, #0x80000000\n\tmsr hcr_el2, x9\n\tisb\n\t"
                     "mov x9, #-1\n\tmsr cptr_el2, x9\n\tisb\n\tmrs %1, cptr_el2\n\tmsr cptr_el2, %5\n\tisb\n\t"
                     "mov x9, #-1\n\tmsr cnthctl_el2, x9\n\tisb\n\tmrs %2, cnthctl_el2\n\tmsr cnthctl_el2, %6\n\t"
                     "mov x9, #-1\n\tmsr hstr_el2, x9\n\tmrs %3, hstr_el2\n\tmsr hstr_el2, xzr\n\t"
                     "mov x9, #-1\n\tmsr mdcr_el2, x9\n\tmrs %4, mdcr_el2\n\tmsr mdcr_el2, %7\n\tisb"
                     : "=&r"(hcr1), "=&r"(cptr1), "=&r"(cnthctl1), "=&r"(hstr1), "=&r"(mdcr1)
                     : "r"(cptr), "r"(cnthctl), "r"(mdcr) : "x9", "memory");
    printf("all ones: HCR_EL2=%016lx CPTR_EL2=%016lx CNTHCTL_EL2=%016lx\n", hcr1, cptr1, cnthctl1);
    printf("all ones: HSTR_EL2=%016lx MDCR_EL2=%016lx\n", hstr1, mdcr1);
    cptr_base = cptr;
    mdcr_base = mdcr;
    cnthctl_base = cnthctl | CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN;

    /* What EL1 will see as its identity and its virtual counter. */
    WRITE_SYSREG(vpidr_el2, 0x412fd0f3UL);
    WRITE_SYSREG(vmpidr_el2, 0x80000102UL);
    WRITE_SYSREG(cntvoff_el2, 0xffff000000000000UL);
    printf("VPIDR_EL2=%016lx VMPIDR_EL2=%016lx CNTVOFF_EL2=%016lx\n",
           READ_SYSREG(vpidr_el2), READ_SYSREG(vmpidr_el2), READ_SYSREG(cntvoff_el2));

    /* Level-1 block for 0x4000_0000: Normal write-back, S2AP read/write, inner shareable, AF. */
    s2_level1[1] = 0x40000000UL | 0x7fd;
    s2_level1[3] = (1UL << 40) | 0x7fd;
    s2_concat[1] = 0x40000000UL | 0x7fd;
    s2_level0[0] = (uint64_t)s2_level1 | 3;
    vtcr_base = (1UL << 31) | (2UL << 16) | (3UL << 12) | (1UL << 10) | (1UL << 8) | (1UL << 6) | 25;   /* 39-bit IPA from level 1 */
    WRITE_SYSREG(vtcr_el2, vtcr_base);
    WRITE_SYSREG(vttbr_el2, (uint64_t)s2_level1);
    WRITE_SYSREG(hcr_el2, HCR_RW);
    WRITE_SYSREG(cptr_el2, cptr_base);
    WRITE_SYSREG(cnthctl_el2, cnthctl_base);
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    WRITE_SYSREG(spsr_el2, 0x3c5);   /* EL1h, DAIF masked */
    WRITE_SYSREG(elr_el2, el1_main);
    ISB();
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}
