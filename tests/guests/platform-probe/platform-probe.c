/*
 * platform-probe (run with -smp 2): reads and writes the virt board's
 * windows that have no device model behind them, or only a partial one, at
 * every access width, and makes PSCI calls with junk arguments. Every
 * result is printed (a value, or the ESR/FAR of the abort it raised), so
 * the output is a register-level fingerprint of the platform:
 *
 *   - fw_cfg (QEMU hw/nvram/fw_cfg.c, MMIO flavour with DMA): data at +0,
 *     big-endian selector at +8, DMA address at +16;
 *   - the gpex host bridge's windows (hw/pci-host/gpex.c): 32-bit MMIO,
 *     I/O ports, high MMIO, and its ECAM;
 *   - empty virtio-mmio transports (hw/virtio/virtio-mmio.c);
 *   - unassigned gaps between them;
 *   - PSCI (target/arm/psci.c) with IDs and arguments that only differ
 *     from the valid ones in their upper bits, misaligned CPU_ON entry
 *     points, affinity levels, CPU_SUSPEND power states.
 *
 * With the MMU off every access is Device-nGnRnE, so each load and store
 * below is one bus access of exactly the width of the instruction.
 */
#include "runtime.h"

#define FW_CFG     0x09020000UL
#define VIRTIO0    0x0a000000UL
#define PCIE_MMIO  0x10000000UL
#define PCIE_PIO   0x3eff0000UL
#define PCIE_ECAM_LOW 0x3f000000UL
#define PCIE_ECAM  0x4010000000UL
#define PCIE_MMIO_HIGH 0x8000000000UL

#define PSCI_FEATURES      0x8400000aUL
#define PSCI_CPU_ON_32     0x84000003UL
#define PSCI_AFFINITY_32   0x84000004UL
#define PSCI_AFFINITY_64   0xc4000004UL
#define PSCI_CPU_SUSPEND   0xc4000001UL

static volatile unsigned faults;
static volatile uint64_t fault_esr, fault_far;

void exception_handler(unsigned slot, struct exc_frame *f)
{
    if (slot != 4) {
        printf("UNEXPECTED EXCEPTION slot=%u ESR=%08lx ELR=%016lx\n", slot, READ_SYSREG(esr_el1), f->elr);
        psci_system_off();
    }
    fault_esr = READ_SYSREG(esr_el1);
    fault_far = READ_SYSREG(far_el1);
    faults++;
    f->elr += 4;
}

/* One access of `width` bytes; a fault skips the instruction and is reported. */
static uint64_t rd(uintptr_t a, int width)
{
    uint64_t v = 0x5a5a5a5a5a5a5a5aUL;
    switch (width) {
    case 1: __asm__ volatile("ldrb %w0, [%1]" : "+r"(v) : "r"(a) : "memory"); break;
    case 2: __asm__ volatile("ldrh %w0, [%1]" : "+r"(v) : "r"(a) : "memory"); break;
    case 4: __asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(a) : "memory"); break;
    default: __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory"); break;
    }
    return v;
}

static void wr(uintptr_t a, int width, uint64_t v)
{
    switch (width) {
    case 1: __asm__ volatile("strb %w0, [%1]" :: "r"(v), "r"(a) : "memory"); break;
    case 2: __asm__ volatile("strh %w0, [%1]" :: "r"(v), "r"(a) : "memory"); break;
    case 4: __asm__ volatile("str %w0, [%1]" :: "r"(v), "r"(a) : "memory"); break;
    default: __asm__ volatile("str %0, [%1]" :: "r"(v), "r"(a) : "memory"); break;
    }
}

static void outcome(uint64_t v, int width)
{
    if (faults) {
        printf("abort ESR=%08lx FAR=%016lx\n", fault_esr, fault_far);
        faults = 0;
    } else if (width) {
        print_hex(v, width * 2);
        printf("\n");
    } else {
        printf("ok\n");
    }
}

static void probe_read(const char *what, uintptr_t a, int width)
{
    faults = 0;
    uint64_t v = rd(a, width);
    printf("%-10s r%d  %010lx: ", what, width * 8, (uint64_t)a);
    outcome(v, width);
}

static void probe_write(const char *what, uintptr_t a, int width, uint64_t v)
{
    faults = 0;
    wr(a, width, v);
    printf("%-10s w%d  %010lx: ", what, width * 8, (uint64_t)a);
    outcome(0, 0);
}

static void probe_widths(const char *what, uintptr_t a)
{
    for (int w = 1; w <= 8; w *= 2)
        probe_read(what, a, w);
}

/* Select the fw_cfg signature item (key 0; the selector is big-endian). */
static void fw_cfg_select_signature(void)
{
    wr(FW_CFG + 8, 2, 0);
}

static void fw_cfg_probe(void)
{
    printf("-- fw_cfg\n");
    for (int w = 1; w <= 8; w *= 2) {
        fw_cfg_select_signature();
        probe_read("fw_cfg", FW_CFG, w);
    }
    /* The stream goes on where the last read stopped ("QEMU", then zeros). */
    fw_cfg_select_signature();
    probe_read("fw_cfg", FW_CFG, 2);
    probe_read("fw_cfg", FW_CFG, 2);
    probe_read("fw_cfg", FW_CFG, 2);
    fw_cfg_select_signature();
    probe_read("fw_cfg", FW_CFG + 1, 1);
    probe_read("fw_cfg", FW_CFG + 2, 2);
    probe_read("fw_cfg", FW_CFG + 4, 4);
    probe_read("fw_cfg", FW_CFG + 7, 1);
    probe_read("fw_cfg", FW_CFG, 1);
    probe_widths("fw_cfg", FW_CFG + 8);
    probe_read("fw_cfg", FW_CFG + 9, 1);
    probe_read("fw_cfg", FW_CFG + 0xa, 1);
    probe_read("fw_cfg", FW_CFG + 0xc, 4);
    probe_widths("fw_cfg", FW_CFG + 0x10);
    probe_read("fw_cfg", FW_CFG + 0x14, 4);
    probe_read("fw_cfg", FW_CFG + 0x16, 2);
    probe_read("fw_cfg", FW_CFG + 0x17, 1);
    probe_read("fw_cfg", FW_CFG + 0x18, 4);
    probe_read("fw_cfg", FW_CFG + 0xffc, 4);
    /* Writes: the data register ignores them, the selector takes only 16 bits. */
    probe_write("fw_cfg", FW_CFG, 1, 0x55);
    probe_write("fw_cfg", FW_CFG, 8, 0x55);
    probe_write("fw_cfg", FW_CFG + 1, 1, 0x55);
    probe_write("fw_cfg", FW_CFG + 8, 1, 0);
    probe_write("fw_cfg", FW_CFG + 8, 4, 0);
    probe_write("fw_cfg", FW_CFG + 8, 8, 0);
    probe_write("fw_cfg", FW_CFG + 9, 1, 0);
    probe_write("fw_cfg", FW_CFG + 0xa, 2, 0);
    /* DMA: byte and halfword writes are rejected; a high-word write only latches it. */
    probe_write("fw_cfg", FW_CFG + 0x10, 1, 0);
    probe_write("fw_cfg", FW_CFG + 0x10, 2, 0);
    probe_write("fw_cfg", FW_CFG + 0x10, 4, 0);
    probe_write("fw_cfg", FW_CFG + 0x12, 2, 0);
    probe_write("fw_cfg", FW_CFG + 0x18, 4, 0);
    /* The selection made before the writes still reads "QEMU". */
    probe_read("fw_cfg", FW_CFG, 4);
    fw_cfg_select_signature();
    probe_read("fw_cfg", FW_CFG, 4);
}

static void pcie_probe(void)
{
    printf("-- pcie\n");
    probe_widths("mmio", PCIE_MMIO);
    probe_read("mmio", PCIE_MMIO + 1, 1);
    probe_read("mmio", PCIE_MMIO + 2, 2);
    probe_read("mmio", PCIE_MMIO + 0x12345670, 4);
    probe_read("mmio", PCIE_MMIO + 0x2efefff8, 8);
    probe_read("mmio", PCIE_MMIO + 0x2efeffff, 1);
    probe_write("mmio", PCIE_MMIO, 4, 0x12345678);
    probe_write("mmio", PCIE_MMIO, 8, 0x12345678);
    probe_write("mmio", PCIE_MMIO + 1, 1, 0x12);
    probe_read("mmio", PCIE_MMIO, 4);
    probe_widths("pio", PCIE_PIO);
    probe_read("pio", PCIE_PIO + 3, 1);
    probe_read("pio", PCIE_PIO + 0xcf8, 4);
    probe_read("pio", PCIE_PIO + 0xfff8, 8);
    probe_read("pio", PCIE_PIO + 0xffff, 1);
    probe_write("pio", PCIE_PIO + 0xcf8, 4, 0x80000000);
    probe_write("pio", PCIE_PIO, 8, 1);
    probe_write("pio", PCIE_PIO + 0xffff, 1, 1);
    probe_read("pio", PCIE_PIO + 0xcfc, 4);
    probe_read("ecam-low", PCIE_ECAM_LOW, 4);
    probe_read("ecam-low", PCIE_ECAM_LOW + 0xfffffc, 4);
    probe_widths("ecam", PCIE_ECAM);
    probe_read("ecam", PCIE_ECAM + 2, 2);
    probe_read("ecam", PCIE_ECAM + 8, 4);
    probe_read("ecam", PCIE_ECAM + 0x8000, 4);
    probe_read("ecam", PCIE_ECAM + 0x100000, 2);
    probe_read("ecam", PCIE_ECAM + 0xffffffc, 4);
    probe_widths("mmio-high", PCIE_MMIO_HIGH);
    probe_read("mmio-high", PCIE_MMIO_HIGH + 0x123456788UL, 8);
    probe_read("mmio-high", PCIE_MMIO_HIGH + 0x7ffffffffcUL, 4);
    probe_write("mmio-high", PCIE_MMIO_HIGH, 4, 7);
    probe_read("mmio-high", PCIE_MMIO_HIGH, 4);
    probe_read("above-pa", 0x10000000000UL, 4);
}

static void virtio_probe(void)
{
    printf("-- virtio-mmio\n");
    static const unsigned offsets[] = { 0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x034, 0x044, 0x060, 0x070, 0x0fc, 0x100, 0x1fc };
    for (unsigned i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
        probe_read("virtio0", VIRTIO0 + offsets[i], 4);
    for (unsigned o = 0; o < 4; o++)
        probe_read("virtio0", VIRTIO0 + o, 1);
    probe_read("virtio0", VIRTIO0, 2);
    probe_read("virtio0", VIRTIO0 + 2, 2);
    probe_read("virtio0", VIRTIO0 + 4, 1);
    probe_read("virtio0", VIRTIO0 + 6, 2);
    probe_read("virtio0", VIRTIO0 + 0xc, 2);
    probe_read("virtio0", VIRTIO0 + 0xe, 2);
    probe_read("virtio0", VIRTIO0, 8);
    probe_read("virtio0", VIRTIO0 + 8, 8);
    probe_write("virtio0", VIRTIO0 + 0x070, 4, 0xf);
    probe_write("virtio0", VIRTIO0 + 0x030, 1, 1);
    probe_write("virtio0", VIRTIO0 + 0x100, 8, 1);
    probe_read("virtio0", VIRTIO0 + 0x070, 4);
    probe_read("virtio31", VIRTIO0 + 31 * 0x200, 4);
    probe_read("virtio31", VIRTIO0 + 31 * 0x200 + 4, 4);
    probe_read("virtio31", VIRTIO0 + 31 * 0x200 + 0x1fc, 4);
    probe_read("after", VIRTIO0 + 32 * 0x200, 4);
    probe_read("platbus", 0x0c000000UL, 4);
}

/* ---- PSCI ---- */

struct psci_result { uint64_t x0, x1, x2, x3; };

static struct psci_result hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (struct psci_result){ x0, x1, x2, x3 };
}

static void call(const char *what, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    struct psci_result r = hvc(fn, a1, a2, a3);
    printf("%-22s %016lx", what, r.x0);
    if (r.x1 != a1 || r.x2 != a2 || r.x3 != a3)
        printf(" x1..x3 changed: %lx %lx %lx", r.x1, r.x2, r.x3);
    printf("\n");
}

/*
 * Entry for the secondary CPU: record x0 (the context id), then CPU_OFF.
 * It touches neither the stack nor anything but x0/x1.
 */
__asm__(".text\n.balign 8\n"
        ".global probe_secondary\n"
        "probe_secondary:\n"
        "\tadr x1, secondary_context\n"
        "\tstr x0, [x1]\n"
        "\tdsb sy\n"
        "\tsev\n"
        "\tmovz x0, #0x8400, lsl #16\n"
        "\tmovk x0, #2\n"
        "\thvc #0\n"
        "1:\twfi\n"
        "\tb 1b\n");
extern char probe_secondary[];
volatile uint64_t secondary_context __attribute__((aligned(8)));

/*
 * A CPU_ON call; when it succeeds, wait until CPU 1 has recorded its
 * context id and powered off again, so the next call finds it off.
 */
static void cpu_on(const char *what, uint64_t fn, uint64_t mpidr, uint64_t entry, uint64_t context)
{
    secondary_context = 0x5555;
    DSB(sy);
    struct psci_result r = hvc(fn, mpidr, entry, context);
    printf("%-22s %016lx\n", what, r.x0);
    if (r.x0 != 0)
        return;
    while (secondary_context == 0x5555)
        __asm__ volatile("wfe");
    while ((int64_t)hvc(PSCI_AFFINITY_64, 1, 0, 0).x0 != 1)
        ;
    printf("%-22s cpu1 x0=%016lx\n", what, secondary_context);
}

static void psci_probe(void)
{
    uintptr_t entry = (uintptr_t)probe_secondary;
    printf("-- psci\n");
    call("VERSION", PSCI_VERSION, 0, 0, 0);
    call("VERSION hi bit 32", PSCI_VERSION | (1UL << 32), 0, 0, 0);
    call("VERSION hi all ones", PSCI_VERSION | 0xffffffff00000000UL, 0, 0, 0);
    call("SMCCC_VERSION", 0x80000000UL, 0, 0, 0);
    call("SMCCC_ARCH_FEATURES", 0x80000001UL, 0x80008000UL, 0, 0);
    call("MIGRATE", 0x84000005UL, 0, 0, 0);
    call("MIGRATE64", 0xc4000005UL, 0, 0, 0);
    call("MIGRATE_INFO_TYPE", 0x84000006UL, 0, 0, 0);
    call("MIGRATE_INFO_UP_CPU", 0x84000007UL, 0, 0, 0);
    call("SYSTEM_SUSPEND", 0xc400000eUL, 0, 0, 0);
    call("PSCI 0.1 MIGRATE", 0x95c1ba61UL, 0, 0, 0);
    call("unknown 0x84001234", 0x84001234UL, 0, 0, 0);
    call("unknown 0x00000000", 0, 0, 0, 0);
    static const uint64_t features[] = {
        0x84000000, 0x84000001, 0xc4000001, 0x84000002, 0x84000003, 0xc4000003, 0x84000004, 0xc4000004,
        0x84000005, 0xc4000005, 0x84000006, 0xc4000006, 0x84000007, 0x84000008, 0x84000009, 0x8400000a,
        0x8400000b, 0x8400000c, 0xc400000d, 0xc400000e, 0x8400000f, 0x84000010, 0xc4000012, 0x84000013,
        0x95c1ba5e, 0x95c1ba5f, 0x95c1ba60, 0x95c1ba61, 0x80000000, 0x184000000UL, 0xffffffff84000000UL,
    };
    for (unsigned i = 0; i < sizeof features / sizeof features[0]; i++) {
        char name[32] = "FEATURES ";
        uint64_t f = features[i];
        int n = 9;
        for (int d = (f >> 32) ? 15 : 7; d >= 0; d--)
            name[n++] = "0123456789abcdef"[(f >> (d * 4)) & 0xf];
        name[n] = 0;
        call(name, PSCI_FEATURES, f, 0, 0);
    }
    call("FEATURES x0 hi bit", PSCI_FEATURES | (1UL << 32), PSCI_VERSION, 0, 0);

    /* AFFINITY_INFO: unknown MPIDRs, upper bits, affinity levels above 0. */
    call("AFFINITY_INFO cpu1", PSCI_AFFINITY_64, 1, 0, 0);
    call("AFFINITY_INFO cpu0", PSCI_AFFINITY_64, 0, 0, 0);
    call("AFFINITY_INFO 0x80000000", PSCI_AFFINITY_64, 0x80000000UL, 0, 0);
    call("AFFINITY_INFO 0x100000000", PSCI_AFFINITY_64, 0x100000000UL, 0, 0);
    call("AFFINITY_INFO 0x1000000", PSCI_AFFINITY_64, 0x1000000UL, 0, 0);
    call("AFFINITY_INFO 32 hi", PSCI_AFFINITY_32, 0x100000001UL, 0, 0);
    call("AFFINITY_INFO cpu7", PSCI_AFFINITY_64, 7, 0, 0);
    call("AFFINITY_INFO lvl 1", PSCI_AFFINITY_64, 0, 1, 0);
    call("AFFINITY_INFO lvl 2 bad", PSCI_AFFINITY_64, 0x77, 2, 0);
    call("AFFINITY_INFO lvl 3", PSCI_AFFINITY_64, 0x77, 3, 0);
    call("AFFINITY_INFO lvl hi", PSCI_AFFINITY_64, 1, 0x100000000UL, 0);

    /* CPU_SUSPEND with power-state bits QEMU rejects (it only idles). */
    call("CPU_SUSPEND 0x20000", PSCI_CPU_SUSPEND, 0x20000, entry, 0);
    call("CPU_SUSPEND 0x1000000", PSCI_CPU_SUSPEND, 0x1000000, entry, 0);
    call("CPU_SUSPEND32 0x40000000", 0x84000001UL, 0x40000000, entry, 0);

    /* CPU_ON: misaligned entry points, odd MPIDRs, then real starts. */
    cpu_on("CPU_ON entry+1", PSCI_CPU_ON, 1, entry + 1, 0);
    cpu_on("CPU_ON entry+2", PSCI_CPU_ON, 1, entry + 2, 0);
    cpu_on("CPU_ON entry+3", PSCI_CPU_ON, 1, entry + 3, 0);
    cpu_on("CPU_ON32 entry+2", PSCI_CPU_ON_32, 1, entry + 2, 0);
    cpu_on("CPU_ON 0.1 entry+2", 0x95c1ba60UL, 1, entry + 2, 0);
    cpu_on("CPU_ON cpu0 entry+2", PSCI_CPU_ON, 0, entry + 2, 0);
    cpu_on("CPU_ON cpu9 entry+2", PSCI_CPU_ON, 9, entry + 2, 0);
    cpu_on("CPU_ON cpu0", PSCI_CPU_ON, 0, entry, 0);
    cpu_on("CPU_ON cpu9", PSCI_CPU_ON, 9, entry, 0);
    cpu_on("CPU_ON 0x100000001", PSCI_CPU_ON, 0x100000001UL, entry, 0x33);
    cpu_on("CPU_ON32 0x100000001", PSCI_CPU_ON_32, 0x100000001UL, entry, 0x44);
    cpu_on("CPU_ON 0x80000001", PSCI_CPU_ON, 0x80000001UL, entry, 0x55);
    cpu_on("CPU_ON 0x1000001", PSCI_CPU_ON, 0x1000001UL, entry, 0x66);
    cpu_on("CPU_ON hi bit 32", PSCI_CPU_ON | (1UL << 32), 1, entry, 0x77);
    cpu_on("CPU_ON32 hi bit 32", PSCI_CPU_ON_32 | (1UL << 32), 1, entry, 0x88);
    call("AFFINITY_INFO cpu1", PSCI_AFFINITY_64, 1, 0, 0);
    cpu_on("CPU_ON ctx hi", PSCI_CPU_ON, 1, entry, 0x1234567800000011UL);
    cpu_on("CPU_ON32 ctx hi", PSCI_CPU_ON_32, 1, entry, 0x1234567800000022UL);
}

int main(void)
{
    printf("platform-probe: EL%u\n", current_el());
    WRITE_SYSREG(vbar_el1, exception_vectors);
    ISB();
    fw_cfg_probe();
    pcie_probe();
    virtio_probe();
    psci_probe();
    printf("platform-probe: done\n");
    return 0;
}
