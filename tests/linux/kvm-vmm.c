/*
 * kvm-vmm: a minimal virtual machine monitor on /dev/kvm, a static program for the initramfs
 * of a Linux started at EL2.
 *
 *   kvm-vmm IMAGE    load the flat binary IMAGE at the start of the guest's RAM, start one
 *                    vCPU there at EL1 and run it until it powers off through PSCI.
 *
 * The guest sees RAM_SIZE bytes of RAM at RAM_BASE and a PL011-like UART at UART_BASE, which
 * is outside every memory slot: its accesses come back from KVM_RUN as KVM_EXIT_MMIO
 * (Documentation/virt/kvm/api.rst, "KVM_EXIT_MMIO"). A write of the data register (UARTDR,
 * offset 0) prints the byte; a read of the flag register (UARTFR, offset 0x18) says the
 * transmit FIFO is empty (TXFE | RXFE, PL011 TRM 3.3.3). The interrupt controller is KVM's
 * own GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3, Documentation/virt/kvm/devices/arm-vgic-v3.rst), its
 * distributor at GICD_BASE and the vCPU's redistributor at GICR_BASE, as on QEMU's virt board:
 * the guest's GIC accesses, its virtual timer's interrupt and its SGIs never reach us.
 * x0 holds RAM_SIZE when the guest starts (KVM_SET_ONE_REG on the core register).
 *
 * Every exit other than those ends the run with one line naming it and a non-zero status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x200000ull
#define UART_BASE 0x09000000ull
#define GICD_BASE 0x08000000ull
#define GICR_BASE 0x080a0000ull
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFE 0x80
#define UART_FR_RXFE 0x10

static void die(const char *what)
{
    printf("kvm-vmm: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* KVM_{GET,SET}_ONE_REG id of a core register (arch/arm64/include/uapi/asm/kvm.h). */
#define CORE_REG(field) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))

static void set_reg(int vcpu, uint64_t id, uint64_t value)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0) die("KVM_SET_ONE_REG");
}

static uint64_t get_reg(int vcpu, uint64_t id)
{
    uint64_t value = 0;
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    if (ioctl(vcpu, KVM_GET_ONE_REG, &reg) < 0) die("KVM_GET_ONE_REG");
    return value;
}

static void device_attr(int dev, uint32_t group, uint64_t attr, uint64_t *value, const char *what)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value };
    if (ioctl(dev, KVM_SET_DEVICE_ATTR, &a) < 0) die(what);
}

static const char *exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
    case KVM_EXIT_EXCEPTION: return "KVM_EXIT_EXCEPTION";
    case KVM_EXIT_IO: return "KVM_EXIT_IO";
    case KVM_EXIT_HYPERCALL: return "KVM_EXIT_HYPERCALL";
    case KVM_EXIT_DEBUG: return "KVM_EXIT_DEBUG";
    case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
    case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
    case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
    case KVM_EXIT_INTR: return "KVM_EXIT_INTR";
    case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
    case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
    case KVM_EXIT_ARM_NISV: return "KVM_EXIT_ARM_NISV";
    default: return "an exit reason this monitor does not know";
    }
}

/* The guest's console output, a line at a time so that it is not cut by the kernel's. */
static char line[256];
static size_t line_len;

static void flush_line(void)
{
    if (line_len && write(1, line, line_len) < 0) die("write");
    line_len = 0;
}

static void uart_byte(uint8_t c)
{
    line[line_len++] = (char)c;
    if (c == '\n' || line_len == sizeof line) flush_line();
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: kvm-vmm IMAGE\n");
        return 2;
    }
    int image = open(argv[1], O_RDONLY);
    if (image < 0) die(argv[1]);
    struct stat st;
    if (fstat(image, &st) < 0) die("fstat");
    if ((uint64_t)st.st_size > RAM_SIZE) {
        printf("kvm-vmm: %s: %lld bytes do not fit in the guest's %llu KiB of RAM\n", argv[1], (long long)st.st_size, RAM_SIZE >> 10);
        return 1;
    }

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("/dev/kvm");
    int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        printf("kvm-vmm: KVM API version %d, expected %d\n", api, KVM_API_VERSION);
        return 1;
    }
    printf("kvm-vmm: KVM API version %d\n", api);
    /* The largest IPA size the host supports (KVM_CAP_ARM_VM_IPA_SIZE); a type-0 VM gets 40 bits. */
    printf("kvm-vmm: IPA size limit %d bits\n", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));

    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");

    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED) die("mmap");
    for (size_t done = 0; done < (size_t)st.st_size;) {
        ssize_t n = read(image, ram + done, (size_t)st.st_size - done);
        if (n <= 0) die("read");
        done += (size_t)n;
    }
    close(image);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run)) die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    /* The host CPU's target, with PSCI 0.2 (and later) so that SYSTEM_OFF reaches us as a system event. */
    struct kvm_vcpu_init init;
    memset(&init, 0, sizeof init);
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) die("KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0) die("KVM_ARM_VCPU_INIT");
    printf("kvm-vmm: vCPU target %u, PSCI 0.2\n", init.target);

    /* The vgic after the vCPUs, its addresses before its initialisation (arm-vgic-v3.rst, "Groups"). */
    struct kvm_create_device gic = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
    if (ioctl(vm, KVM_CREATE_DEVICE, &gic) < 0) die("KVM_CREATE_DEVICE vgic-v3");
    uint64_t gicd = GICD_BASE, gicr = GICR_BASE;
    device_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &gicd, "vgic distributor address");
    device_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &gicr, "vgic redistributor address");
    device_attr(gic.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "vgic initialisation");
    printf("kvm-vmm: vgic-v3, distributor at 0x%llx, redistributor at 0x%llx\n", GICD_BASE, GICR_BASE);

    /* KVM_ARM_VCPU_INIT resets PSTATE to EL1h with DAIF masked; the MMU is off (SCTLR_EL1 reset value). */
    set_reg(vcpu, CORE_REG(regs.pc), RAM_BASE);
    set_reg(vcpu, CORE_REG(regs.regs[0]), RAM_SIZE);
    printf("kvm-vmm: guest of %lld bytes at 0x%llx, pstate 0x%llx\n", (long long)st.st_size, RAM_BASE,
        (unsigned long long)get_reg(vcpu, CORE_REG(regs.pstate)));
    fflush(stdout);

    unsigned long mmio_exits = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            flush_line();
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO: {
            uint64_t addr = run->mmio.phys_addr;
            mmio_exits++;
            if (run->mmio.is_write && addr == UART_BASE + UART_DR) {
                uart_byte(run->mmio.data[0]);
                continue;
            }
            if (!run->mmio.is_write && addr == UART_BASE + UART_FR) {
                memset(run->mmio.data, 0, sizeof run->mmio.data);
                run->mmio.data[0] = UART_FR_TXFE | UART_FR_RXFE;
                continue;
            }
            flush_line();
            printf("kvm-vmm: unexpected MMIO %s of %u bytes at 0x%llx (pc 0x%llx)\n", run->mmio.is_write ? "write" : "read",
                run->mmio.len, (unsigned long long)addr, (unsigned long long)get_reg(vcpu, CORE_REG(regs.pc)));
            return 1;
        }
        case KVM_EXIT_SYSTEM_EVENT:
            flush_line();
            if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
                printf("kvm-vmm: guest powered off (PSCI SYSTEM_OFF) after %lu MMIO exits\n", mmio_exits);
                return 0;
            }
            printf("kvm-vmm: unexpected system event %u\n", run->system_event.type);
            return 1;
        case KVM_EXIT_FAIL_ENTRY:
            flush_line();
            printf("kvm-vmm: KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx\n",
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 1;
        case KVM_EXIT_INTERNAL_ERROR:
            flush_line();
            printf("kvm-vmm: KVM_EXIT_INTERNAL_ERROR, suberror %u\n", run->internal.suberror);
            return 1;
        case KVM_EXIT_ARM_NISV:
            flush_line();
            printf("kvm-vmm: KVM_EXIT_ARM_NISV: a data abort at 0x%llx without a valid syndrome\n",
                (unsigned long long)run->arm_nisv.fault_ipa);
            return 1;
        default:
            flush_line();
            printf("kvm-vmm: unexpected exit reason %u (%s) at pc 0x%llx\n", run->exit_reason, exit_name(run->exit_reason),
                (unsigned long long)get_reg(vcpu, CORE_REG(regs.pc)));
            return 1;
        }
    }
}
