/*
 * exceptions-el2: run with -machine virt,virtualization=on so the image
 * starts at EL2. Takes exceptions at EL2 (HVC, BRK, UDF, data abort),
 * then drops to EL1 with HCR_EL2 trap controls set (ARM ARM D17.2.48:
 * TSC traps SMC, TWI traps WFI, TVM traps writes to the EL1 VM
 * registers) and shows which exceptions go to EL2 (ESR_EL2) and which
 * stay at EL1 (ESR_EL1).
 */
#include "runtime.h"

#define HCR_RW  (1UL << 31)   /* EL1 is AArch64 */
#define HCR_TVM (1UL << 26)
#define HCR_TSC (1UL << 19)
#define HCR_TWI (1UL << 13)

struct entry {
    unsigned el, slot;
    uint64_t esr, elr, far;
};
static volatile struct entry log[16];
static volatile unsigned nlog;
static volatile int finishing;

static uint8_t el1_stack[4096] __attribute__((aligned(16)));
extern char el1_code[];
static void el2_finish(void) __attribute__((noreturn));

void exception_handler(unsigned slot, struct exc_frame *f)
{
    unsigned el = current_el();
    uint64_t esr = el == 2 ? READ_SYSREG(esr_el2) : READ_SYSREG(esr_el1);
    uint64_t far = el == 2 ? READ_SYSREG(far_el2) : READ_SYSREG(far_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;

    if (VEC_KIND(slot) != 0) {
        printf("unexpected asynchronous exception at EL%u slot %u\n", el, slot);
        psci_system_off();
    }
    if (nlog < 16) {
        volatile struct entry *e = &log[nlog++];
        e->el = el;
        e->slot = slot;
        e->esr = esr;
        e->elr = f->elr;
        /* FAR is only meaningful for aborts and PC alignment faults. */
        e->far = (ec == 0x20 || ec == 0x21 || ec == 0x22 || ec == 0x24 || ec == 0x25) ? far : 0;
    }
    /* hvc #0xff from EL1: continue at EL2 in el2_finish. */
    if (el == 2 && ec == 0x16 && (esr & 0xffff) == 0xff) {
        f->elr = (uint64_t)el2_finish;
        f->spsr = 0x3c9;   /* EL2h, DAIF masked */
        return;
    }
    /* SVC/HVC leave ELR after the instruction; everything else is skipped. */
    if (ec != 0x15 && ec != 0x16)
        f->elr += 4;
}

static void print_log(uint64_t ref)
{
    for (unsigned i = 0; i < nlog; i++) {
        printf("  EL%u slot=%2u ESR_EL%u=%08lx EC=%02lx ELR=%ld", log[i].el, log[i].slot,
               log[i].el, log[i].esr, (log[i].esr >> 26) & 0x3f, (int64_t)(log[i].elr - ref));
        if (log[i].far)
            printf(" FAR=%016lx", log[i].far);
        printf("\n");
    }
    nlog = 0;
}

/*
 * EL1 code, entered by ERET from EL2. Offsets of each instruction are
 * listed so ELR values can be checked against them.
 */
__asm__(".text\n.balign 4\n"
        "el1_code:\n"
        "\tsvc #0x21\n"            /* 0:  to EL1 */
        "\thvc #0x22\n"            /* 4:  to EL2 */
        "\tsmc #0x23\n"            /* 8:  to EL2, HCR_EL2.TSC */
        "\twfi\n"                  /* 12: to EL2, HCR_EL2.TWI */
        "\tmrs x0, sctlr_el1\n"    /* 16: reads are not trapped by TVM */
        "\tmsr sctlr_el1, x0\n"    /* 20: to EL2, HCR_EL2.TVM */
        "\tmrs x0, elr_el2\n"      /* 24: UNDEFINED at EL1, to EL1 */
        "\tbrk #0x1\n"             /* 28: to EL1 */
        "\tmov x1, #0x80000000\n"  /* 32 */
        "\tldr x0, [x1]\n"         /* 36: external abort, to EL1 */
        "\tmrs x0, CurrentEL\n"    /* 40 */
        "\thvc #0xff\n");          /* 44: back to EL2 */

static void el2_finish(void)
{
    printf("back at EL%u\n", current_el());
    print_log((uint64_t)el1_code);
    printf("exceptions-el2: done\n");
    psci_system_off();
}

int main(void)
{
    uint64_t pc, tmp;

    printf("exceptions-el2: EL%u\n", current_el());
    if (current_el() != 2) {
        printf("exceptions-el2: needs -machine virt,virtualization=on\n");
        return 0;
    }
    WRITE_SYSREG(vbar_el2, exception_vectors);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();

    printf("at EL2:\n");
    __asm__ volatile("adr %0, 1f\n1:\thvc #0x11" : "=&r"(pc) :: "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\tbrk #0x12" : "=&r"(pc) :: "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\t.inst 0x0000abcd" : "=&r"(pc) :: "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\tldr %1, [%2]" : "=&r"(pc), "=&r"(tmp) : "r"(0x80000000UL) : "memory");
    print_log(pc);
    __asm__ volatile("adr %0, 1f\n1:\tstrh wzr, [%1]" : "=&r"(pc) : "r"(0x0000200000000000UL) : "memory");
    print_log(pc);

    printf("dropping to EL1 with HCR_EL2.{RW,TVM,TSC,TWI}:\n");
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_TVM | HCR_TSC | HCR_TWI);
    WRITE_SYSREG(sp_el1, (uint64_t)(el1_stack + sizeof el1_stack));
    WRITE_SYSREG(spsr_el2, 0x3c5);   /* EL1h, DAIF masked */
    WRITE_SYSREG(elr_el2, el1_code);
    ISB();
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}
