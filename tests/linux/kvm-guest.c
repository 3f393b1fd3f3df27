/*
 * kvm-guest: a bare-metal program for kvm-vmm (kvm-vmm.c), linked by kvm-guest.ld into a flat
 * image at the base of its RAM. It runs at EL1 with the MMU off, so every data access is to
 * Device-nGnRnE memory (ARM ARM D8, "The effects of disabling an address translation stage";
 * hence -mstrict-align) and goes through KVM's stage 2 tables alone. It prints on the monitor's UART, whose accesses KVM
 * hands to the monitor as MMIO exits, takes two exceptions of its own at EL1, checks its RAM,
 * takes an SGI it sends itself and its virtual timer's interrupt through KVM's vgic-v3, and
 * turns itself off with PSCI SYSTEM_OFF through HVC (PSCI, ARM DEN 0022, 5.10).
 *
 * kvm-guest.ld puts .bss into the image, so its zeros need no clearing.
 */
#include <stdint.h>

#define UART_BASE 0x09000000ul
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF 0x20

/* KVM's vgic-v3 where kvm-vmm puts it: the distributor, the vCPU's redistributor (its RD_base
 * frame, then its SGI_base frame 64 KiB on; GICv3 spec IHI 0069, 12.10 and 12.11). */
#define GICD_BASE 0x08000000ul
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_PIDR2 0xffe8
#define GICD_CTLR_ARE 0x10
#define GICD_CTLR_ENABLE_G1 0x02
#define GICR_BASE 0x080a0000ul
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI_BASE (GICR_BASE + 0x10000)
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100

#define INTID_SGI 1
#define INTID_VTIMER 27 /* the virtual timer's PPI on QEMU's virt board and in KVM */
#define INTID_SPURIOUS 1023

#define PSCI_VERSION 0x84000000ul
#define PSCI_FEATURES 0x8400000aul
#define PSCI_SYSTEM_OFF 0x84000008ul

#define READ_SYSREG(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })
#define WRITE_SYSREG(name, v) __asm__ volatile("msr " #name ", %0" : : "r"((uint64_t)(v)) : "memory")

/*
 * _start: x0 is the RAM size (kvm-vmm sets it); the stack goes at its top. The vector table
 * follows, 2 KiB aligned (VBAR_EL1 bits [10:0] are RES0); only the
 * current-EL-with-SP_ELx entries for synchronous exceptions (offset 0x200) and IRQs (0x280)
 * are used (ARM ARM D1.10.2). Each saves the caller-saved registers and the link register
 * around its C handler.
 */
__asm__(
    ".macro entry handler\n"
    "    sub sp, sp, #176\n"
    "    stp x0, x1, [sp, #0]\n"
    "    stp x2, x3, [sp, #16]\n"
    "    stp x4, x5, [sp, #32]\n"
    "    stp x6, x7, [sp, #48]\n"
    "    stp x8, x9, [sp, #64]\n"
    "    stp x10, x11, [sp, #80]\n"
    "    stp x12, x13, [sp, #96]\n"
    "    stp x14, x15, [sp, #112]\n"
    "    stp x16, x17, [sp, #128]\n"
    "    stp x18, x29, [sp, #144]\n"
    "    str x30, [sp, #160]\n"
    "    bl \\handler\n"
    "    ldp x0, x1, [sp, #0]\n"
    "    ldp x2, x3, [sp, #16]\n"
    "    ldp x4, x5, [sp, #32]\n"
    "    ldp x6, x7, [sp, #48]\n"
    "    ldp x8, x9, [sp, #64]\n"
    "    ldp x10, x11, [sp, #80]\n"
    "    ldp x12, x13, [sp, #96]\n"
    "    ldp x14, x15, [sp, #112]\n"
    "    ldp x16, x17, [sp, #128]\n"
    "    ldp x18, x29, [sp, #144]\n"
    "    ldr x30, [sp, #160]\n"
    "    add sp, sp, #176\n"
    "    eret\n"
    ".endm\n"
    ".section .text.boot, \"ax\"\n"
    ".global _start\n"
    "_start:\n"
    "    adr x1, _start\n"
    "    add x1, x1, x0\n"
    "    mov sp, x1\n"
    "    adr x1, vectors\n"
    "    msr vbar_el1, x1\n"
    "    isb\n"
    "    bl guest_main\n"
    "1:  wfi\n"
    "    b 1b\n"
    ".balign 2048\n"
    "vectors:\n"
    ".rept 4\n"
    "    b unexpected_vector\n"
    "    .balign 128\n"
    ".endr\n"
    "    b sync_el1\n"
    "    .balign 128\n"
    "    b irq_el1\n"
    "    .balign 128\n"
    ".rept 10\n"
    "    b unexpected_vector\n"
    "    .balign 128\n"
    ".endr\n"
    "sync_el1:\n"
    "    entry sync_handler\n"
    "irq_el1:\n"
    "    entry irq_handler\n"
    "unexpected_vector:\n"
    "    bl unexpected_handler\n"
    "    .text\n");

/* Plain loads and stores with no writeback, so that the data abort's syndrome is valid
 * (ESR_ELx.ISV, ARM ARM D19.2, ESR_EL2) and KVM can describe the access to the monitor. */
static void mmio_write8(uint64_t addr, uint8_t v) { __asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(addr) : "memory"); }
static uint32_t mmio_read32(uint64_t addr) { uint32_t v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory"); return v; }
static uint64_t mmio_read64(uint64_t addr) { uint64_t v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory"); return v; }
static void mmio_write32(uint64_t addr, uint32_t v) { __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory"); }

static void putc_(char c)
{
    while (mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF) {}
    mmio_write8(UART_BASE + UART_DR, (uint8_t)c);
}

static void puts_(const char *s) { while (*s) putc_(*s++); }

static void puthex(uint64_t v)
{
    puts_("0x");
    int shift = 60;
    while (shift > 0 && !((v >> shift) & 0xf)) shift -= 4;
    for (; shift >= 0; shift -= 4) putc_("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void putdec(uint64_t v)
{
    char buf[24];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putc_(buf[--n]);
}

static void field(const char *name, uint64_t v) { puts_(name); puthex(v); putc_('\n'); }

static uint64_t hvc(uint64_t fn, uint64_t a1)
{
    register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1;
    /* SMCCC 1.1: x0-x17 may be clobbered by the call (ARM DEN 0028, 2.6). */
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) : : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
        "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    return x0;
}

void sync_handler(void)
{
    uint64_t esr = READ_SYSREG(esr_el1), elr = READ_SYSREG(elr_el1);
    uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
    puts_("exception: ESR_EL1 ");
    puthex(esr);
    if (ec == 0x15) {
        /* SVC: ELR_EL1 is already the next instruction (ARM ARM D1.10.1, preferred return address). */
        puts_(" (SVC #");
        putdec(esr & 0xffff);
        puts_(")\n");
    } else if (ec == 0x3c) {
        /* BRK: ELR_EL1 is the BRK itself; step over it. */
        puts_(" (BRK #");
        putdec(esr & 0xffff);
        puts_(")\n");
        __asm__ volatile("msr elr_el1, %0" : : "r"(elr + 4));
    } else {
        puts_(" unexpected, ELR_EL1 ");
        puthex(elr);
        putc_('\n');
        hvc(PSCI_SYSTEM_OFF, 0);
    }
}

static volatile uint32_t irqs_taken;

void irq_handler(void)
{
    uint64_t intid = READ_SYSREG(icc_iar1_el1) & 0xffffff;
    puts_("irq: INTID ");
    putdec(intid);
    if (intid == INTID_SGI) {
        puts_(" (SGI)\n");
    } else if (intid == INTID_VTIMER) {
        /* Level-sensitive: off before the end of interrupt, or it is pending again at once. */
        puts_(" (virtual timer), CNTV_CTL_EL0 ");
        puthex(READ_SYSREG(cntv_ctl_el0));
        puts_(READ_SYSREG(cntvct_el0) >= READ_SYSREG(cntv_cval_el0) ? ", counter past CNTV_CVAL_EL0\n" : ", counter before CNTV_CVAL_EL0\n");
        WRITE_SYSREG(cntv_ctl_el0, 0);
        __asm__ volatile("isb");
    } else {
        puts_(intid == INTID_SPURIOUS ? " (spurious)\n" : " (unexpected)\n");
    }
    if (intid != INTID_SPURIOUS) WRITE_SYSREG(icc_eoir1_el1, intid);
    irqs_taken++;
}

/* With IRQs masked, WFI until one is pending, then let it in (ARM ARM D1.16.2: WFI wakes on a
 * pending interrupt whatever PSTATE.I says), so none slips in between the test and the WFI. */
static void wait_for_irqs(uint32_t count)
{
    while (irqs_taken < count) {
        __asm__ volatile("wfi\n msr daifclr, #2\n isb\n msr daifset, #2" : : : "memory");
    }
}

/* IRQs unmasked for a bounded while: the SGI is pending as soon as KVM has emulated the write
 * that sends it, so a lost one is a line of output rather than a guest that never stops. */
static void spin_for_irqs(uint32_t count)
{
    __asm__ volatile("msr daifclr, #2\n isb" : : : "memory");
    for (volatile int i = 0; i < 1000000 && irqs_taken < count; i++) {}
    __asm__ volatile("msr daifset, #2" : : : "memory");
    if (irqs_taken < count) puts_("irq: none taken\n");
}

void unexpected_handler(void)
{
    puts_("exception: unexpected vector, ESR_EL1 ");
    puthex(READ_SYSREG(esr_el1));
    putc_('\n');
    hvc(PSCI_SYSTEM_OFF, 0);
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320) bit by bit. */
static uint32_t crc32(const uint8_t *p, uint64_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

extern char _start[];

void guest_main(uint64_t ram_size)
{
    puts_("hello from a KVM guest\n");
    field("CurrentEL: ", READ_SYSREG(CurrentEL) >> 2);
    /* Under KVM these are the virtual values EL2 gives (VPIDR_EL2 and VMPIDR_EL2, ARM ARM D19.2). */
    field("MIDR_EL1: ", READ_SYSREG(midr_el1));
    field("MPIDR_EL1: ", READ_SYSREG(mpidr_el1));
    field("SCTLR_EL1.M: ", READ_SYSREG(sctlr_el1) & 1);
    field("RAM size (x0): ", ram_size);
    field("CRC-32 of \"123456789\": ", crc32((const uint8_t *)"123456789", 9));

    __asm__ volatile("svc #42" : : : "memory");
    __asm__ volatile("brk #7" : : : "memory");
    puts_("back from both exceptions\n");

    /*
     * Every page of RAM above the image (up to the stack's last 64 KiB): each first touch is a
     * stage 2 fault that the host's KVM resolves by mapping a page.
     */
    uint64_t base = (uint64_t)_start;
    volatile uint64_t *lo = (volatile uint64_t *)(base + 0x10000), *hi = (volatile uint64_t *)(base + ram_size - 0x10000);
    uint64_t words = 0, sum = 0;
    for (volatile uint64_t *p = lo; p < hi; p += 64) *p = ((uint64_t)p >> 3) * 0x9e3779b97f4a7c15ull + 1;
    for (volatile uint64_t *p = lo; p < hi; p += 64, words++) sum = (sum ^ *p) * 0x100000001b3ull;
    puts_("memory: ");
    putdec(words);
    puts_(" words written and read back, hash ");
    puthex(sum);
    putc_('\n');

    uint64_t t0 = READ_SYSREG(cntvct_el0);
    for (volatile int i = 0; i < 1000; i++) {}
    uint64_t t1 = READ_SYSREG(cntvct_el0);
    field("CNTFRQ_EL0: ", READ_SYSREG(cntfrq_el0));
    puts_(t1 > t0 ? "virtual counter advances\n" : "virtual counter stands still\n");

    /*
     * The GIC: the distributor with affinity routing and Group 1; the redistributor awake and
     * the SGI and the timer's PPI in Group 1 and enabled; the CPU interface (the ICV_ registers
     * under KVM, since HCR_EL2.IMO is set) with the lowest priority mask and Group 1 on.
     */
    field("ICC_SRE_EL1: ", READ_SYSREG(icc_sre_el1));
    field("GICD_TYPER: ", mmio_read32(GICD_BASE + GICD_TYPER));
    field("GICD_PIDR2.ArchRev: ", (mmio_read32(GICD_BASE + GICD_PIDR2) >> 4) & 0xf);
    field("GICR_TYPER: ", mmio_read64(GICR_BASE + GICR_TYPER));
    mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
    mmio_write32(GICR_BASE + GICR_WAKER, 0);
    mmio_write32(GICR_SGI_BASE + GICR_IGROUPR0, 0xffffffffu);
    mmio_write32(GICR_SGI_BASE + GICR_ISENABLER0, (1u << INTID_SGI) | (1u << INTID_VTIMER));
    WRITE_SYSREG(icc_pmr_el1, 0xff);
    WRITE_SYSREG(icc_igrpen1_el1, 1);
    __asm__ volatile("isb");
    /* An SGI to this vCPU alone: TargetList bit 0 with affinity 0.0.0 (GICv3 spec 12.2.22). */
    WRITE_SYSREG(icc_sgi1r_el1, ((uint64_t)INTID_SGI << 24) | 1);
    __asm__ volatile("isb");
    spin_for_irqs(1);
    /* The virtual timer 1 ms on. */
    WRITE_SYSREG(cntv_tval_el0, READ_SYSREG(cntfrq_el0) / 1000);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    __asm__ volatile("isb");
    wait_for_irqs(2);
    field("interrupts taken: ", irqs_taken);

    field("PSCI_VERSION: ", hvc(PSCI_VERSION, 0));
    field("PSCI_FEATURES(SYSTEM_OFF): ", hvc(PSCI_FEATURES, PSCI_SYSTEM_OFF));
    puts_("powering off\n");
    hvc(PSCI_SYSTEM_OFF, 0);
    puts_("SYSTEM_OFF returned\n");
}
