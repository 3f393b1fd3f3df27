/*
 * vgic2: run with -machine virt,gic-version=2,virtualization=on so the image
 * starts at EL2. Programs the GICv2 virtualization extensions (IHI 0048B
 * chapter 5) as a hypervisor does: the GICH frame (GICH_HCR.En, GICH_VMCR
 * and four list registers: a vINTID with EOI = 1, one with HW = 1 backed by
 * a physical PPI left active at EL2, a plain one and a vSGI with a source
 * CPUID), then drops to EL1 with HCR_EL2.IMO/FMO set. EL1 acknowledges
 * through the GICV frame (the GICC layout) and EOIs; EL2 takes the
 * maintenance interrupt (PPI 25) for the EOI, EOICount (LRENP) and
 * underflow conditions. A second phase covers group 0 as vFIQ (FIQEn),
 * group 1 without and with AckCtl (1022, then the vINTID), EOImode 1 with
 * GICV_DIR, preemption by a vINTID loaded from inside a handler, and the
 * MISR group and no-pending conditions. Registers are printed on the way.
 */
#include "runtime.h"

#define GICD_BASE   0x08000000UL
#define GICC_BASE   0x08010000UL
#define GICH_BASE   0x08030000UL
#define GICV_BASE   0x08040000UL

#define GICD_CTLR       0x000
#define GICD_ISENABLER0 0x100
#define GICD_ISPENDR0   0x200
#define GICD_ISACTIVER0 0x300
#define GICD_IPRIORITYR 0x400

#define GICC_CTLR  0x00
#define GICC_PMR   0x04
#define GICC_BPR   0x08
#define GICC_IAR   0x0c
#define GICC_EOIR  0x10
#define GICC_RPR   0x14
#define GICC_HPPIR 0x18
#define GICC_ABPR  0x1c
#define GICC_AIAR  0x20
#define GICC_APR0  0xd0
#define GICC_IIDR  0xfc
#define GICC_DIR   0x1000

#define GICH_HCR    0x00
#define GICH_VTR    0x04
#define GICH_VMCR   0x08
#define GICH_MISR   0x10
#define GICH_EISR0  0x20
#define GICH_EISR1  0x24
#define GICH_ELRSR0 0x30
#define GICH_ELRSR1 0x34
#define GICH_APR    0xf0
#define GICH_LR(n)  (0x100 + 4 * (n))

#define HCR_EN      (1u << 0)
#define HCR_UIE     (1u << 1)
#define HCR_LRENPIE (1u << 2)
#define HCR_NPIE    (1u << 3)
#define HCR_VGRP_IES (0xfu << 4)
#define HCR_EOICOUNT_MASK (0x1fu << 27)

#define LR_PENDING (1u << 28)
#define LR_GRP1    (1u << 30)
#define LR_HW      (1u << 31)
#define LR_EOI     (1u << 19)
#define LR_PRIO(p) (((uint32_t)(p) >> 3) << 23)
#define LR_PHYS(i) ((uint32_t)(i) << 10)

#define CTLR_GRP0 (1u << 0)
#define CTLR_GRP1 (1u << 1)
#define CTLR_ACKCTL (1u << 2)
#define CTLR_FIQEN (1u << 3)
#define CTLR_EOIMODE (1u << 9)

#define HCR_EL2_RW  (1UL << 31)
#define HCR_EL2_IMO (1UL << 4)
#define HCR_EL2_FMO (1UL << 3)

#define INTID_MAINTENANCE 25
#define PPI_HW 20

static inline void w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

static uint8_t el1_stack[4096] __attribute__((aligned(16)));
static volatile unsigned virqs;
static volatile int phase = 1;
static uint32_t el1_values[12];

static void print_state(const char *when)
{
    printf("%s: HCR=%08x VMCR=%08x MISR=%02x EISR=%x/%x ELRSR=%x/%x APR=%08x\n", when,
           r32(GICH_BASE + GICH_HCR), r32(GICH_BASE + GICH_VMCR), r32(GICH_BASE + GICH_MISR),
           r32(GICH_BASE + GICH_EISR0), r32(GICH_BASE + GICH_EISR1), r32(GICH_BASE + GICH_ELRSR0),
           r32(GICH_BASE + GICH_ELRSR1), r32(GICH_BASE + GICH_APR));
    printf("  LR0-3=%08x %08x %08x %08x\n", r32(GICH_BASE + GICH_LR(0)), r32(GICH_BASE + GICH_LR(1)),
           r32(GICH_BASE + GICH_LR(2)), r32(GICH_BASE + GICH_LR(3)));
}

/* EL2: the maintenance interrupt, physical, routed here by HCR_EL2.IMO. */
static void el2_irq(void)
{
    uint32_t iar = r32(GICC_BASE + GICC_IAR);
    uint32_t intid = iar & 0x3ff;
    uint32_t misr = r32(GICH_BASE + GICH_MISR);
    printf("EL2 IRQ: INTID %u MISR=%02x EISR=%x ELRSR=%x HCR=%08x\n", intid, misr,
           r32(GICH_BASE + GICH_EISR0), r32(GICH_BASE + GICH_ELRSR0), r32(GICH_BASE + GICH_HCR));
    if (intid == INTID_MAINTENANCE) {
        uint32_t hcr = r32(GICH_BASE + GICH_HCR);
        if (misr & 1) {
            /* EOI maintenance: free the LRs that reported their EOI. */
            uint32_t eisr = r32(GICH_BASE + GICH_EISR0);
            for (int n = 0; n < 4; n++)
                if (eisr & (1u << n)) w32(GICH_BASE + GICH_LR(n), 0);
        }
        if (misr & 4)   /* LRENP: account for the EOIs and stop asking. */
            hcr &= ~(HCR_EOICOUNT_MASK | HCR_LRENPIE);
        if (misr & 2) { /* underflow: refill one LR and stop asking. */
            w32(GICH_BASE + GICH_LR(3), LR_PENDING | LR_PRIO(0x60) | 44);
            hcr &= ~HCR_UIE;
        }
        w32(GICH_BASE + GICH_HCR, hcr);
        printf("  after: MISR=%02x HCR=%08x\n", r32(GICH_BASE + GICH_MISR), r32(GICH_BASE + GICH_HCR));
    }
    w32(GICC_BASE + GICC_EOIR, iar);
    w32(GICC_BASE + GICC_DIR, iar);
}

/* EL1: a virtual interrupt, acknowledged through GICV_IAR. */
static void el1_virq(int fiq)
{
    uint32_t iar = r32(GICV_BASE + GICC_IAR);
    printf("EL1 %s: IAR=%u RPR=%02x HPPIR=%u APR=%08x\n", fiq ? "vFIQ" : "vIRQ", iar,
           r32(GICV_BASE + GICC_RPR), r32(GICV_BASE + GICC_HPPIR), r32(GICV_BASE + GICC_APR0));
    if (iar == 1022) {
        /* A group-1 vINTID with AckCtl clear: set AckCtl and acknowledge it. */
        w32(GICV_BASE + GICC_CTLR, r32(GICV_BASE + GICC_CTLR) | CTLR_ACKCTL);
        iar = r32(GICV_BASE + GICC_IAR);
        printf("EL1: AckCtl set, IAR=%u RPR=%02x\n", iar, r32(GICV_BASE + GICC_RPR));
    }
    if (iar == 1023)
        return;
    virqs++;
    if (phase == 2 && iar == 51) {
        __asm__ volatile("hvc #3" ::: "memory");
        __asm__ volatile("msr daifclr, #2\n\tisb\n\tnop\n\tmsr daifset, #2" ::: "memory");
        printf("EL1: back in vINTID 51, RPR=%02x\n", r32(GICV_BASE + GICC_RPR));
    }
    w32(GICV_BASE + GICC_EOIR, iar);
    if (phase == 2) {
        printf("EL1: EOI %u, RPR=%02x\n", iar, r32(GICV_BASE + GICC_RPR));
        w32(GICV_BASE + GICC_DIR, iar);
    }
}

static void el2_phase2(void) __attribute__((noreturn));
static void el2_finish(void) __attribute__((noreturn));

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    if (el == 1) {
        if (VEC_KIND(slot) == 1 || VEC_KIND(slot) == 2) { el1_virq(VEC_KIND(slot) == 2); return; }
        printf("EL1: unexpected slot %u ESR_EL1=%08lx\n", slot, READ_SYSREG(esr_el1));
        psci_system_off();
    }
    if (VEC_KIND(slot) == 1) { el2_irq(); return; }
    uint64_t esr = READ_SYSREG(esr_el2);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (VEC_KIND(slot) == 0 && ec == 0x16) {
        unsigned imm = esr & 0xffff;
        printf("EL2 HVC #%u\n", imm);
        if (imm == 1) {
            print_state("at hvc 1");
            printf("GICD_ISACTIVER0=%08x\n", r32(GICD_BASE + GICD_ISACTIVER0));
            /* EL1's DIR of a vINTID in no LR counted in EOICount: ask for LRENP. */
            w32(GICH_BASE + GICH_HCR, r32(GICH_BASE + GICH_HCR) | HCR_LRENPIE);
            printf("  MISR=%02x\n", r32(GICH_BASE + GICH_MISR));
        } else if (imm == 2) {
            /* Underflow: no LR is valid. */
            w32(GICH_BASE + GICH_HCR, r32(GICH_BASE + GICH_HCR) | HCR_UIE);
            printf("  MISR=%02x\n", r32(GICH_BASE + GICH_MISR));
        } else if (imm == 3) {
            w32(GICH_BASE + GICH_LR(2), LR_PENDING | LR_GRP1 | LR_PRIO(0x20) | 52);
            print_state("at hvc 3");
        } else if (imm == 0xff || imm == 0xfe) {
            f->elr = imm == 0xff ? (uint64_t)el2_phase2 : (uint64_t)el2_finish;
            f->spsr = 0x3c9;
        }
        return;
    }
    printf("EL2: unexpected slot %u ESR_EL2=%08lx\n", slot, esr);
    psci_system_off();
}

static void el1_wait(unsigned n)
{
    while (virqs < n)
        __asm__ volatile("wfi" ::: "memory");
}

/* EL1 phase 1: the four LRs are taken at once in priority order, then a few GICV registers. */
static void el1_phase1(void)
{
    el1_wait(4);
    el1_values[0] = r32(GICV_BASE + GICC_CTLR);
    el1_values[1] = r32(GICV_BASE + GICC_PMR);
    el1_values[2] = r32(GICV_BASE + GICC_BPR);
    el1_values[3] = r32(GICV_BASE + GICC_ABPR);
    el1_values[4] = r32(GICV_BASE + GICC_RPR);
    el1_values[5] = r32(GICV_BASE + GICC_HPPIR);
    el1_values[6] = r32(GICV_BASE + GICC_IIDR);
    el1_values[7] = r32(GICV_BASE + GICC_AIAR);
    w32(GICV_BASE + GICC_BPR, 0);
    w32(GICV_BASE + GICC_ABPR, 0);
    el1_values[8] = r32(GICV_BASE + GICC_BPR);
    el1_values[9] = r32(GICV_BASE + GICC_ABPR);
    w32(GICV_BASE + GICC_CTLR, CTLR_GRP0 | CTLR_EOIMODE);
    w32(GICV_BASE + GICC_DIR, 99);      /* in no LR: EOICount + 1 */
    el1_values[10] = r32(GICV_BASE + GICC_CTLR);
    w32(GICV_BASE + GICC_CTLR, CTLR_GRP0);
    __asm__ volatile("hvc #1" ::: "memory");
    __asm__ volatile("hvc #2" ::: "memory");
    el1_wait(5);                        /* the underflow refill, vINTID 44 */
    __asm__ volatile("hvc #0xff" ::: "memory");
    for (;;) ;
}

/* EL1 phase 2: a vFIQ, a group-1 vIRQ needing AckCtl, and the vINTID that preempts it. */
static void el1_phase2(void)
{
    el1_wait(8);
    el1_values[11] = r32(GICV_BASE + GICC_IAR);   /* nothing pending: 1023 */
    __asm__ volatile("hvc #0xfe" ::: "memory");
    for (;;) ;
}

static void drop_to_el1(void (*code)(void), uint64_t spsr) __attribute__((noreturn));
static void drop_to_el1(void (*code)(void), uint64_t spsr)
{
    WRITE_SYSREG(hcr_el2, HCR_EL2_RW | HCR_EL2_IMO | HCR_EL2_FMO);
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    WRITE_SYSREG(spsr_el2, spsr);
    WRITE_SYSREG(elr_el2, code);
    ISB();
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}

static void el2_phase2(void)
{
    printf("back at EL%u after %u virtual interrupts\n", current_el(), virqs);
    printf("EL1 saw CTLR=%x PMR=%02x BPR=%x ABPR=%x RPR=%02x HPPIR=%u IIDR=%08x AIAR=%u\n",
           el1_values[0], el1_values[1], el1_values[2], el1_values[3], el1_values[4], el1_values[5],
           el1_values[6], el1_values[7]);
    printf("EL1 wrote BPR=0 ABPR=0, read %x %x; CTLR(EOImode)=%x\n", el1_values[8], el1_values[9], el1_values[10]);
    print_state("phase 1 end");

    /* Phase 2: both groups, FIQEn, EOImode; AckCtl clear. */
    for (int n = 0; n < 4; n++)
        w32(GICH_BASE + GICH_LR(n), 0);
    w32(GICH_BASE + GICH_VMCR, (0x1fu << 27) | CTLR_EOIMODE | CTLR_FIQEN | CTLR_GRP1 | CTLR_GRP0);
    w32(GICH_BASE + GICH_LR(0), LR_PENDING | LR_PRIO(0x40) | 50);
    w32(GICH_BASE + GICH_LR(1), LR_PENDING | LR_GRP1 | LR_PRIO(0x80) | 51);
    w32(GICH_BASE + GICH_HCR, HCR_EN);
    print_state("phase 2");
    phase = 2;
    printf("dropping to EL1 with IRQs and FIQs unmasked\n");
    drop_to_el1(el1_phase2, 0x305);
}

static void el2_finish(void)
{
    printf("back at EL%u after %u virtual interrupts, GICV_IAR with nothing pending=%u\n", current_el(), virqs,
           el1_values[11]);
    print_state("final");
    /* The group enable/disable and no-pending maintenance conditions, read with En = 0. */
    for (int v = 0; v < 4; v++) {
        w32(GICH_BASE + GICH_VMCR, (0x1fu << 27) | v);
        w32(GICH_BASE + GICH_HCR, HCR_VGRP_IES | HCR_NPIE);
        printf("VMCtlr=%d: MISR=%02x VMCR=%08x\n", v, r32(GICH_BASE + GICH_MISR), r32(GICH_BASE + GICH_VMCR));
    }
    /* GICH_APR sets the running priority; GICV_APR reads it back. */
    w32(GICH_BASE + GICH_APR, 0x10);
    printf("GICH_APR=%08x GICV_RPR=%02x GICV_APR=%08x\n", r32(GICH_BASE + GICH_APR), r32(GICV_BASE + GICC_RPR),
           r32(GICV_BASE + GICC_APR0));
    printf("vgic2: done\n");
    psci_system_off();
}

int main(void)
{
    printf("vgic2: EL%u\n", current_el());
    if (current_el() != 2) {
        printf("vgic2: needs -machine virt,gic-version=2,virtualization=on\n");
        return 0;
    }
    WRITE_SYSREG(vbar_el2, exception_vectors);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();

    /* Physical GIC: Group 0 everywhere, PPIs 20 and 25 enabled; EOImode 1 at EL2. */
    w32(GICD_BASE + GICD_CTLR, 3);
    w8(GICD_BASE + GICD_IPRIORITYR + PPI_HW, 0x80);
    w8(GICD_BASE + GICD_IPRIORITYR + INTID_MAINTENANCE, 0x80);
    w32(GICD_BASE + GICD_ISENABLER0, (1u << PPI_HW) | (1u << INTID_MAINTENANCE));
    w32(GICC_BASE + GICC_PMR, 0xff);
    w32(GICC_BASE + GICC_CTLR, CTLR_GRP0 | CTLR_EOIMODE);

    printf("GICH_VTR=%08x GICC_IIDR=%08x\n", r32(GICH_BASE + GICH_VTR), r32(GICC_BASE + GICC_IIDR));
    print_state("reset");
    w32(GICH_BASE + GICH_LR(4), 0xffffffffu);
    printf("GICH_LR4 (past the last)=%08x LR5=%08x\n", r32(GICH_BASE + GICH_LR(4)), r32(GICH_BASE + GICH_LR(5)));

    /* PPI 20 made pending, acknowledged here and left active (EOImode 1: priority drop only). */
    w32(GICD_BASE + GICD_ISPENDR0, 1u << PPI_HW);
    uint32_t iar = r32(GICC_BASE + GICC_IAR);
    w32(GICC_BASE + GICC_EOIR, iar);
    printf("physical PPI %u acknowledged, GICD_ISACTIVER0=%08x\n", iar, r32(GICD_BASE + GICD_ISACTIVER0));

    /* The virtual interface: group 0 on, priority mask 0xf8, binary points below the minimum (raised). */
    w32(GICH_BASE + GICH_VMCR, (0x1fu << 27) | CTLR_GRP0);
    w32(GICH_BASE + GICH_LR(0), LR_PENDING | LR_PRIO(0xa0) | 40);
    w32(GICH_BASE + GICH_LR(1), LR_PENDING | LR_PRIO(0x80) | LR_EOI | 41);
    w32(GICH_BASE + GICH_LR(2), LR_PENDING | LR_PRIO(0x98) | LR_HW | LR_PHYS(PPI_HW) | 35);
    w32(GICH_BASE + GICH_LR(3), LR_PENDING | LR_PRIO(0xb0) | LR_PHYS(3) | 5);
    w32(GICH_BASE + GICH_HCR, HCR_EN);
    print_state("loaded");

    printf("dropping to EL1 with HCR_EL2.{RW,IMO,FMO}\n");
    drop_to_el1(el1_phase1, 0x345);   /* EL1h, IRQs unmasked */
}
