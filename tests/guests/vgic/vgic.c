/*
 * vgic: run with -machine virt,gic-version=3,virtualization=on so the image
 * starts at EL2. Programs the GICv3 virtual CPU interface (IHI 0069 chapter
 * 6) as a hypervisor does: ICH_HCR_EL2.En, ICH_VMCR_EL2 and three list
 * registers (two group-1 vINTIDs of different priorities, one with HW = 1
 * backed by a physical SGI left active at EL2), then drops to EL1 with
 * HCR_EL2.IMO/FMO set. EL1's IRQ handler acknowledges through ICC_IAR1_EL1
 * (ICV_IAR1_EL1 there) and EOIs; EL2 takes the maintenance interrupt (PPI
 * 25) for an LR with EOI = 1 and for underflow (ICH_HCR_EL2.UIE), and the
 * traps of ICC_SGI1R_EL1 (IMO set) and ICH_HCR_EL2.TALL1. A second phase
 * covers group 0 (vFIQ), EOImode 1 with DIR, preemption by a vINTID loaded
 * from inside a handler, the MISR group conditions and the TC/TDIR traps.
 * Every ICH_* register and LR state is printed on the way.
 */
#include "runtime.h"

#define GICD_BASE   0x08000000UL
#define GICR_BASE   0x080A0000UL            /* CPU 0 RD_base */
#define GICR_SGI    (GICR_BASE + 0x10000)    /* CPU 0 SGI_base */
#define GICR_WAKER      0x0014
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ISACTIVER0 0x0300
#define GICR_IPRIORITYR 0x0400

#define HCR_RW  (1UL << 31)
#define HCR_IMO (1UL << 4)
#define HCR_FMO (1UL << 3)

#define ICH_HCR_EN    (1UL << 0)
#define ICH_HCR_UIE   (1UL << 1)
#define ICH_HCR_TALL1 (1UL << 12)
#define ICH_HCR_TC    (1UL << 10)
#define ICH_HCR_TDIR  (1UL << 14)
#define ICH_HCR_NPIE  (1UL << 3)
#define ICH_HCR_VGRP_IES (0xfUL << 4)   /* VGrp0EIE, VGrp0DIE, VGrp1EIE, VGrp1DIE */

#define LR_PENDING (1UL << 62)
#define LR_GROUP1  (1UL << 60)
#define LR_HW      (1UL << 61)
#define LR_EOI     (1UL << 41)
#define LR_PRIO(p) ((uint64_t)(p) << 48)

#define INTID_MAINTENANCE 25
#define SGI_HW 3

static inline void w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

static uint8_t el1_stack[4096] __attribute__((aligned(16)));
extern char el1_code[];
extern char el1_code2[];
static void el2_phase2(void) __attribute__((noreturn));
static void el2_finish(void) __attribute__((noreturn));
static volatile unsigned virqs;

#define ICH_LR(n) ({ uint64_t __v; switch (n) { \
    case 0: __v = READ_SYSREG(S3_4_C12_C12_0); break; \
    case 1: __v = READ_SYSREG(S3_4_C12_C12_1); break; \
    case 2: __v = READ_SYSREG(S3_4_C12_C12_2); break; \
    default: __v = READ_SYSREG(S3_4_C12_C12_3); break; } __v; })

static void print_state(const char *when)
{
    printf("%s: HCR=%08lx VMCR=%08lx MISR=%02lx EISR=%lx ELRSR=%lx AP0R0=%08lx AP1R0=%08lx\n", when,
           READ_SYSREG(S3_4_C12_C11_0), READ_SYSREG(S3_4_C12_C11_7), READ_SYSREG(S3_4_C12_C11_2),
           READ_SYSREG(S3_4_C12_C11_3), READ_SYSREG(S3_4_C12_C11_5), READ_SYSREG(S3_4_C12_C8_0),
           READ_SYSREG(S3_4_C12_C9_0));
    for (int n = 0; n < 4; n++)
        printf("  LR%d=%016lx\n", n, ICH_LR(n));
}

/* EL2: the maintenance interrupt, physical, routed here by HCR_EL2.IMO. */
static void el2_irq(void)
{
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);   /* ICC_IAR1_EL1, physical at EL2 */
    uint64_t misr = READ_SYSREG(S3_4_C12_C11_2);
    printf("EL2 IRQ: INTID %lu MISR=%02lx EISR=%lx ELRSR=%lx\n", intid, misr,
           READ_SYSREG(S3_4_C12_C11_3), READ_SYSREG(S3_4_C12_C11_5));
    if (intid != INTID_MAINTENANCE)
        return;
    if (misr & 1) {
        /* EOI maintenance: free the LRs that reported their EOI. */
        uint64_t eisr = READ_SYSREG(S3_4_C12_C11_3);
        if (eisr & 1) WRITE_SYSREG(S3_4_C12_C12_0, 0);
        if (eisr & 2) WRITE_SYSREG(S3_4_C12_C12_1, 0);
        if (eisr & 4) WRITE_SYSREG(S3_4_C12_C12_2, 0);
        if (eisr & 8) WRITE_SYSREG(S3_4_C12_C12_3, 0);
    }
    if (misr & 2) {
        /* Underflow: refill one LR and stop asking. */
        WRITE_SYSREG(S3_4_C12_C12_3, LR_PENDING | LR_GROUP1 | LR_PRIO(0x60) | 44);
        WRITE_SYSREG(S3_4_C12_C11_0, READ_SYSREG(S3_4_C12_C11_0) & ~ICH_HCR_UIE);
    }
    ISB();
    printf("  after: MISR=%02lx\n", READ_SYSREG(S3_4_C12_C11_2));
    WRITE_SYSREG(S3_0_C12_C12_1, intid);              /* ICC_EOIR1_EL1 */
}

/*
 * EL1: virtual interrupts through the ICV_* view of the ICC_* registers. In
 * phase 2 EOImode is 1 (ICH_VMCR_EL2.VEOIM): EOIR drops the priority and DIR
 * deactivates; vINTID 51's handler has EL2 load a higher-priority LR and
 * unmasks IRQs so that it preempts.
 */
static volatile int phase = 1;

static void el1_virq(int group)
{
    uint64_t intid = group ? READ_SYSREG(S3_0_C12_C12_0) : READ_SYSREG(S3_0_C12_C8_0);   /* ICV_IAR1/IAR0 */
    printf("EL1 %s: vINTID %lu RPR=%02lx HPPIR%d=%lu AP%dR0=%08lx\n", group ? "vIRQ" : "vFIQ", intid,
           READ_SYSREG(S3_0_C12_C11_3), group, group ? READ_SYSREG(S3_0_C12_C12_2) : READ_SYSREG(S3_0_C12_C8_2),
           group, group ? READ_SYSREG(S3_0_C12_C9_0) : READ_SYSREG(S3_0_C12_C8_4));
    virqs++;
    if (phase == 2 && intid == 51) {
        __asm__ volatile("hvc #3" ::: "memory");
        __asm__ volatile("msr daifclr, #2\n\tisb\n\tnop\n\tmsr daifset, #2" ::: "memory");
        printf("EL1: back in vINTID 51, RPR=%02lx\n", READ_SYSREG(S3_0_C12_C11_3));
    }
    if (group) WRITE_SYSREG(S3_0_C12_C12_1, intid);   /* ICV_EOIR1_EL1 */
    else WRITE_SYSREG(S3_0_C12_C8_1, intid);          /* ICV_EOIR0_EL1 */
    if (phase == 2) {
        printf("EL1: EOI %lu, RPR=%02lx\n", intid, READ_SYSREG(S3_0_C12_C11_3));
        WRITE_SYSREG(S3_0_C12_C11_1, intid);          /* ICV_DIR_EL1 */
    }
}

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    if (el == 1) {
        if (VEC_KIND(slot) == 1 || VEC_KIND(slot) == 2) { el1_virq(VEC_KIND(slot) == 1); return; }
        printf("EL1: unexpected slot %u ESR_EL1=%08lx\n", slot, READ_SYSREG(esr_el1));
        psci_system_off();
    }
    if (VEC_KIND(slot) == 1) { el2_irq(); return; }
    uint64_t esr = READ_SYSREG(esr_el2);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (VEC_KIND(slot) == 0 && ec == 0x18) {
        printf("EL2 trap: ESR_EL2=%08lx at +%ld\n", esr, (int64_t)(f->elr - (uint64_t)el1_code));
        f->elr += 4;
        return;
    }
    if (VEC_KIND(slot) == 0 && ec == 0x16) {
        unsigned imm = esr & 0xffff;
        printf("EL2 HVC #%u\n", imm);
        if (imm == 1) {
            print_state("at hvc 1");
            /* Trap group-1 accesses. */
            WRITE_SYSREG(S3_4_C12_C11_0, READ_SYSREG(S3_4_C12_C11_0) | ICH_HCR_TALL1);
        } else if (imm == 2) {
            /* No more trapping; ask for an underflow maintenance interrupt (no LR is valid). */
            WRITE_SYSREG(S3_4_C12_C11_0, (READ_SYSREG(S3_4_C12_C11_0) & ~ICH_HCR_TALL1) | ICH_HCR_UIE);
            printf("  MISR=%02lx\n", READ_SYSREG(S3_4_C12_C11_2));
        } else if (imm == 3) {
            WRITE_SYSREG(S3_4_C12_C12_2, LR_PENDING | LR_GROUP1 | LR_PRIO(0x20) | 52);
            ISB();
            print_state("at hvc 3");
        } else if (imm == 4) {
            WRITE_SYSREG(S3_4_C12_C11_0, READ_SYSREG(S3_4_C12_C11_0) | ICH_HCR_TC | ICH_HCR_TDIR);
        } else if (imm == 5) {
            WRITE_SYSREG(S3_4_C12_C11_0, READ_SYSREG(S3_4_C12_C11_0) & ~(ICH_HCR_TC | ICH_HCR_TDIR));
        } else if (imm == 0xff || imm == 0xfe) {
            f->elr = imm == 0xff ? (uint64_t)el2_phase2 : (uint64_t)el2_finish;
            f->spsr = 0x3c9;
        }
        return;
    }
    printf("EL2: unexpected slot %u ESR_EL2=%08lx\n", slot, esr);
    psci_system_off();
}

/*
 * EL1, entered with IRQs unmasked: the pending vIRQs are taken at once, in
 * priority order. Then a few ICV_* registers, the traps, and back to EL2.
 */
__asm__(".text\n.balign 4\n"
        "el1_code:\n"
        "\tldr x1, =virqs\n"
        "1:\tldr w0, [x1]\n"
        "\tcmp w0, #3\n"
        "\tb.lo 1b\n"
        "\tmsr S3_0_C12_C11_5, xzr\n"   /* +16: ICC_SGI1R_EL1: traps with IMO */
        "\tmrs x2, S3_0_C12_C12_4\n"    /* ICV_CTLR_EL1 */
        "\tmrs x3, S3_0_C4_C6_0\n"      /* ICV_PMR_EL1 */
        "\tmrs x4, S3_0_C12_C12_3\n"    /* ICV_BPR1_EL1 */
        "\tmrs x5, S3_0_C12_C12_7\n"    /* ICV_IGRPEN1_EL1 */
        "\tmov x0, #2\n"                /* EOImode = 1 */
        "\tmsr S3_0_C12_C12_4, x0\n"
        "\tmov x0, #99\n"
        "\tmsr S3_0_C12_C11_1, x0\n"    /* ICV_DIR_EL1 99: in no LR, EOIcount + 1 */
        "\tmrs x6, S3_0_C12_C12_4\n"
        "\tmsr S3_0_C12_C12_4, xzr\n"
        "\tldr x7, =el1_values\n"
        "\tstp x2, x3, [x7]\n"
        "\tstp x4, x5, [x7, #16]\n"
        "\tstr x6, [x7, #32]\n"
        "\thvc #1\n"
        "\tmrs x0, S3_0_C12_C12_0\n"    /* ICC_IAR1_EL1: traps with TALL1 */
        "\thvc #2\n"
        "2:\tldr w0, [x1]\n"            /* the underflow refill, vINTID 44 */
        "\tcmp w0, #4\n"
        "\tb.lo 2b\n"
        "\thvc #0xff\n"
        /* Phase 2: group 0 (vFIQ) and group 1, EOImode 1, preemption, TC/TDIR traps. */
        "el1_code2:\n"
        "\tldr x1, =virqs\n"
        "1:\tldr w0, [x1]\n"
        "\tcmp w0, #7\n"
        "\tb.lo 1b\n"
        "\thvc #4\n"
        "\tmrs x0, S3_0_C12_C11_3\n"   /* ICC_RPR_EL1: traps with TC */
        "\tmsr S3_0_C12_C11_1, x0\n"   /* ICC_DIR_EL1: traps with TDIR */
        "\tmrs x0, S3_0_C12_C12_0\n"   /* no trap: ICV_IAR1_EL1, nothing pending */
        "\tldr x7, =el1_values\n"
        "\tstr x0, [x7, #40]\n"
        "\thvc #5\n"
        "\thvc #0xfe\n"
        ".ltorg\n");

uint64_t el1_values[6];

static void drop_to_el1(void *code, uint64_t spsr) __attribute__((noreturn));
static void drop_to_el1(void *code, uint64_t spsr)
{
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_IMO | HCR_FMO);
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    WRITE_SYSREG(spsr_el2, spsr);
    WRITE_SYSREG(elr_el2, code);
    ISB();
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}

static void el2_phase2(void)
{
    printf("back at EL%u after %u vIRQs\n", current_el(), virqs);
    printf("EL1 saw ICV_CTLR=%08lx PMR=%02lx BPR1=%lx IGRPEN1=%lx CTLR(EOImode)=%08lx\n",
           el1_values[0], el1_values[1], el1_values[2], el1_values[3], el1_values[4]);
    print_state("phase 1 end");
    printf("GICR_ISACTIVER0=%08x\n", r32(GICR_SGI + GICR_ISACTIVER0));

    /* The group enable/disable maintenance conditions, read with En = 0 (no interrupt). */
    for (int v = 0; v < 4; v++) {
        WRITE_SYSREG(S3_4_C12_C11_7, (0xf8UL << 24) | v);
        WRITE_SYSREG(S3_4_C12_C11_0, ICH_HCR_VGRP_IES | ICH_HCR_NPIE);
        ISB();
        printf("VENG=%d: MISR=%02lx\n", v, READ_SYSREG(S3_4_C12_C11_2));
    }
    for (int n = 0; n < 4; n++) {
        static const uint64_t none = 0;
        switch (n) {
        case 0: WRITE_SYSREG(S3_4_C12_C12_0, none); break;
        case 1: WRITE_SYSREG(S3_4_C12_C12_1, none); break;
        case 2: WRITE_SYSREG(S3_4_C12_C12_2, none); break;
        default: WRITE_SYSREG(S3_4_C12_C12_3, none); break;
        }
    }
    /* Phase 2: both groups, VEOIM, a group-0 vINTID above a group-1 one. */
    WRITE_SYSREG(S3_4_C12_C11_7, (0xf8UL << 24) | (1UL << 9) | 3);
    WRITE_SYSREG(S3_4_C12_C12_0, LR_PENDING | LR_PRIO(0x40) | 50);
    WRITE_SYSREG(S3_4_C12_C12_1, LR_PENDING | LR_GROUP1 | LR_PRIO(0x80) | 51);
    WRITE_SYSREG(S3_4_C12_C11_0, ICH_HCR_EN);
    ISB();
    print_state("phase 2");
    phase = 2;
    printf("dropping to EL1 with IRQs and FIQs unmasked\n");
    drop_to_el1(el1_code2, 0x305);
}

static void el2_finish(void)
{
    printf("back at EL%u after %u vIRQs, ICV_IAR1 with nothing pending=%lu\n", current_el(), virqs, el1_values[5]);
    print_state("final");
    printf("vgic: done\n");
    psci_system_off();
}

int main(void)
{
    printf("vgic: EL%u\n", current_el());
    if (current_el() != 2) {
        printf("vgic: needs -machine virt,gic-version=3,virtualization=on\n");
        return 0;
    }
    WRITE_SYSREG(vbar_el2, exception_vectors);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();

    /* Physical GIC: distributor and redistributor on, SGIs/PPIs group 1, SGI 3 and PPI 25 enabled. */
    w32(GICD_BASE, (1u << 4) | (1u << 1) | (1u << 0));
    w32(GICR_BASE + GICR_WAKER, r32(GICR_BASE + GICR_WAKER) & ~(1u << 1));
    while (r32(GICR_BASE + GICR_WAKER) & (1u << 2))
        ;
    w32(GICR_SGI + GICR_IGROUPR0, 0xffffffffu);
    w8(GICR_SGI + GICR_IPRIORITYR + SGI_HW, 0x80);
    w8(GICR_SGI + GICR_IPRIORITYR + INTID_MAINTENANCE, 0x80);
    w32(GICR_SGI + GICR_ISENABLER0, (1u << SGI_HW) | (1u << INTID_MAINTENANCE));
    WRITE_SYSREG(S3_4_C12_C9_5, READ_SYSREG(S3_4_C12_C9_5) | 9);   /* ICC_SRE_EL2.{SRE,Enable} */
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);                               /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                                /* ICC_IGRPEN1_EL1 */
    ISB();

    printf("ICH_VTR_EL2=%08lx\n", READ_SYSREG(S3_4_C12_C11_1));
    print_state("reset");

    /* SGI 3 to self, acknowledged here and left active (EOImode 1: priority drop only). */
    WRITE_SYSREG(S3_0_C12_C11_5, (uint64_t)(SGI_HW << 24) | 1);
    ISB();
    uint64_t sgi = READ_SYSREG(S3_0_C12_C12_0);
    WRITE_SYSREG(S3_0_C12_C12_4, 2);
    WRITE_SYSREG(S3_0_C12_C12_1, sgi);
    WRITE_SYSREG(S3_0_C12_C12_4, 0);
    printf("physical SGI %lu acknowledged, GICR_ISACTIVER0=%08x\n", sgi, r32(GICR_SGI + GICR_ISACTIVER0));

    /* The virtual interface: group 1 on, VPMR 0xf8, binary points below the minimum (raised). */
    WRITE_SYSREG(S3_4_C12_C11_7, (0xffUL << 24) | 2);
    WRITE_SYSREG(S3_4_C12_C12_0, LR_PENDING | LR_GROUP1 | LR_PRIO(0xa0) | 40);
    WRITE_SYSREG(S3_4_C12_C12_1, LR_PENDING | LR_GROUP1 | LR_PRIO(0x80) | LR_EOI | 41);
    WRITE_SYSREG(S3_4_C12_C12_2, LR_PENDING | LR_GROUP1 | LR_PRIO(0x9f) | LR_HW | ((uint64_t)SGI_HW << 32) | 35);
    WRITE_SYSREG(S3_4_C12_C11_0, ICH_HCR_EN);
    ISB();
    print_state("loaded");

    printf("dropping to EL1 with HCR_EL2.{RW,IMO,FMO}\n");
    drop_to_el1(el1_code, 0x345);   /* EL1h, IRQs unmasked */
}
