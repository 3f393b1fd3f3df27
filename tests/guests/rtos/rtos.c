/*
 * rtos: a small preemptive real-time kernel and its application, the RTOS that runs beside
 * Linux in Tessera's partitioning demo. Run with -machine virt,gic-version=3.
 *
 * Kernel: static tasks with priorities, each on its own stack at EL1 with SP_EL0 (EL1t);
 * a 100 Hz tick from the EL1 virtual timer (INTID 27); preemption on the tick and on every
 * interrupt, round robin between tasks of equal priority; sleep, semaphores and an idle task
 * that waits in WFI. Interrupts through the GICv3 (IHI 0069): the tick, the PL011's receive
 * interrupt (SPI 1, INTID 33) and the doorbell.
 *
 * Application:
 *   - console: reads command lines from the UART (interrupt driven) and runs them;
 *   - mailbox: the ERIKA/Linux command protocol over shared memory: a peer writes a command
 *     into the mailbox and rings the doorbell; the RTOS runs it, writes the answer and its
 *     status into the same memory and rings back. Alone on the board the peer is the selftest
 *     task and the doorbell is SGI 1;
 *   - blink: toggles the LED (bit 0 of the PL061 at 0x09030000) every `blink` period.
 *
 * Built with -DXEN as well (rtos-xen.elf, for a partition with `xen,enhanced`), the mailbox is
 * a page of the RTOS's own RAM that it grants to its peer domain (XEN_PEER, Linux) through
 * its Xen grant table, and the doorbells are an interdomain event channel that it allocates
 * unbound for the peer; it publishes both in XenStore, as data/mailbox/ring-ref and
 * data/mailbox/event-channel under its home, readable by the peer (xen-pv.c). Events arrive
 * through the Xen upcall PPI (INTID 31).
 * Commands: led on|off|toggle, blink TICKS (0 stops), wait TOGGLES (until the LED has toggled
 * that often), sleep TICKS, status, tasks, echo TEXT, help, off. Output depends only on the commands and on tick counts, never on host speed.
 */
#include "runtime.h"

/* ---- hardware ---- */
#define GICD_BASE   0x08000000UL
#define GICR_BASE   0x080A0000UL
#define GICR_SGI    (GICR_BASE + 0x10000)
#define GPIO_BASE   0x09030000UL      /* PL061: GPIODATA at offset (mask << 2), GPIODIR at 0x400 */

/*
 * Built with -DPARTITION (rtos-partition.elf) the mailbox is the shared-memory window at
 * 0x7000_0000 that the demo's config maps into both partitions, the doorbell is the first
 * receive-doorbell of the partition (SPI 64, INTID 96, an edge), and the answer is rung back
 * through the hypervisor's doorbell page; the peer is Linux. Alone, the peer is the selftest
 * task and the doorbell SGI 1.
 */
#if defined(PARTITION) && defined(XEN)
#include "xen-pv.h"
#define INTID_DOORBELL XEN_UPCALL_INTID
#ifndef XEN_PEER
#define XEN_PEER 1                    /* the peer's domain: the first partition of the config */
#endif
#define MAILBOX_GREF 8                /* the first grant past the toolstack's reserved ones (GNTTAB_NR_RESERVED_ENTRIES) */
#elif defined(PARTITION)
#define INTID_DOORBELL 96
#define SHARED_MAILBOX 0x70000000UL
#define DOORBELL_PAGE  0x0b000000UL
#else
#define INTID_DOORBELL 1
#endif
#define INTID_TICK     27             /* EL1 virtual timer PPI */
#define INTID_UART     33             /* SPI 1 */
#define TICK_HZ        100

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

/* ---- kernel ---- */
enum state { READY, SLEEPING, BLOCKED };
struct sem { volatile int count; };

struct task {
    const char *name;
    void (*entry)(void);
    int prio;                 /* higher runs first */
    enum state state;
    uint64_t wake;            /* tick, when SLEEPING */
    struct sem *waiting;      /* when BLOCKED */
    uint64_t frame[34];       /* struct exc_frame of the task while it is not running */
    uint64_t sp;              /* its SP_EL0 */
    unsigned switches;        /* times it was switched in */
};

#define STACK_WORDS 1024
#define MAX_TASKS 6
static uint64_t stacks[MAX_TASKS][STACK_WORDS] __attribute__((aligned(16)));
static struct task tasks[MAX_TASKS];
static unsigned ntasks;
static struct task *current;
static volatile uint64_t ticks;
static uint64_t tick_interval;

static void task_exit(void)
{
    printf("task returned\n");
    psci_system_off();
}

static void task_create(const char *name, void (*entry)(void), int prio)
{
    struct task *t = &tasks[ntasks];
    t->name = name;
    t->entry = entry;
    t->prio = prio;
    t->state = READY;
    memset(t->frame, 0, sizeof t->frame);
    t->frame[30] = (uint64_t)task_exit;        /* x30: where a returning task goes */
    t->frame[32] = (uint64_t)entry;            /* elr */
    t->frame[33] = 0x4;                        /* spsr: EL1t, interrupts unmasked */
    t->sp = (uint64_t)&stacks[ntasks][STACK_WORDS];
    ntasks++;
}

/* The next task to run: the highest priority READY one, round robin after `current`. */
static struct task *pick(void)
{
    struct task *best = 0;
    unsigned start = current ? (unsigned)(current - tasks) + 1 : 0;
    for (unsigned k = 0; k < ntasks; k++) {
        struct task *t = &tasks[(start + k) % ntasks];
        if (t->state == READY && (!best || t->prio > best->prio))
            best = t;
    }
    return best;
}

/* Called with the interrupted task's frame: save it, choose, load the chosen one's. */
static void reschedule(struct exc_frame *f)
{
    struct task *next = pick();
    if (next == current)
        return;
    if (current) {
        memcpy(current->frame, f, sizeof current->frame);
        current->sp = READ_SYSREG(sp_el0);
    }
    current = next;
    current->switches++;
    memcpy(f, current->frame, sizeof current->frame);
    WRITE_SYSREG(sp_el0, current->sp);
}

static void wake_sleepers(void)
{
    for (unsigned i = 0; i < ntasks; i++)
        if (tasks[i].state == SLEEPING && tasks[i].wake <= ticks)
            tasks[i].state = READY;
}

/* System calls (SVC from a task): 0 yield, 1 sleep x1 ticks, 2 wait on semaphore x1. */
static void syscall(unsigned nr, struct exc_frame *f)
{
    if (nr == 1 && f->x[1] > 0) {
        current->state = SLEEPING;
        current->wake = ticks + f->x[1];
    } else if (nr == 2) {
        struct sem *s = (struct sem *)f->x[1];
        if (s->count > 0)
            s->count--;
        else {
            current->state = BLOCKED;
            current->waiting = s;
        }
    }
    reschedule(f);
}

static void yield(void) { __asm__ volatile("mov x0, #0\n\tsvc #0" ::: "x0", "memory"); }
static void sleep_ticks(uint64_t n) { __asm__ volatile("mov x0, #1\n\tmov x1, %0\n\tsvc #0" :: "r"(n) : "x0", "x1", "memory"); }
static void sem_wait(struct sem *s) { __asm__ volatile("mov x0, #2\n\tmov x1, %0\n\tsvc #0" :: "r"(s) : "x0", "x1", "memory"); }

/* From an interrupt handler: one unit to the semaphore, or to the first task waiting on it. */
static void sem_signal_isr(struct sem *s)
{
    for (unsigned i = 0; i < ntasks; i++) {
        if (tasks[i].state == BLOCKED && tasks[i].waiting == s) {
            tasks[i].state = READY;
            tasks[i].waiting = 0;
            return;
        }
    }
    s->count++;
}

/* ---- devices: console input, doorbell ---- */
#define RX_SIZE 512
static char rx[RX_SIZE];
static volatile unsigned rx_head, rx_tail;
static struct sem rx_sem, doorbell_sem;

static void uart_rx_isr(void)
{
    while (!(r32(UART0_BASE + UART_FR) & UART_FR_RXFE)) {
        char c = (char)(r32(UART0_BASE + UART_DR) & 0xff);
        if (rx_head - rx_tail < RX_SIZE) {
            rx[rx_head++ % RX_SIZE] = c;
            sem_signal_isr(&rx_sem);
        }
    }
}

#ifdef XEN
static unsigned mailbox_port;
/* A Xen event: the peer's notification on the mailbox channel is the doorbell. */
static void xen_event(unsigned port)
{
    if (port == mailbox_port)
        sem_signal_isr(&doorbell_sem);
}
#endif

void exception_handler(unsigned slot, struct exc_frame *f)
{
    uint64_t esr = READ_SYSREG(esr_el1);
    if (VEC_KIND(slot) == 0 && (esr >> 26) == 0x15) {          /* SVC from a task */
        syscall((unsigned)f->x[0], f);
        return;
    }
    if (VEC_KIND(slot) != 1) {
        printf("rtos: unexpected exception slot %u ESR=%08lx ELR=%lx in %s\n", slot, esr, f->elr, current ? current->name : "-");
        psci_system_off();
    }
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);              /* ICC_IAR1_EL1 */
    if (intid == INTID_TICK) {
        /* Next tick from the last deadline, so ticks do not drift with handler latency. */
        WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntv_cval_el0) + tick_interval);
        ticks++;
        wake_sleepers();
    } else if (intid == INTID_UART) {
        uart_rx_isr();
    } else if (intid == INTID_DOORBELL) {
#ifdef XEN
        xen_evtchn_dispatch(xen_event);
#else
        sem_signal_isr(&doorbell_sem);
#endif
    }
    if (intid < 1020)
        WRITE_SYSREG(S3_0_C12_C12_1, intid);                   /* ICC_EOIR1_EL1 */
    reschedule(f);
}

static void gic_init(void)
{
    w32(GICD_BASE + 0x0, (1u << 4) | (1u << 1) | (1u << 0));  /* GICD_CTLR: ARE_NS, Group 1 */
    while (r32(GICD_BASE + 0x0) & (1u << 31))
        ;
    w32(GICR_BASE + 0x14, r32(GICR_BASE + 0x14) & ~(1u << 1)); /* GICR_WAKER.ProcessorSleep */
    while (r32(GICR_BASE + 0x14) & (1u << 2))
        ;
    w32(GICR_SGI + 0x80, 0xffffffffu);                         /* SGIs and PPIs: Group 1 */
    for (unsigned i = 0; i < 32; i++)
        w8(GICR_SGI + 0x400 + i, 0x80);
#if defined(PARTITION) && defined(XEN)
    w32(GICR_SGI + 0x100, (1u << INTID_TICK) | (1u << INTID_DOORBELL));
#elif defined(PARTITION)
    w32(GICR_SGI + 0x100, 1u << INTID_TICK);
    /* The doorbell SPI: Group 1, edge-triggered (GICD_ICFGR), routed here, enabled. */
    w32(GICD_BASE + 0x80 + 4 * (INTID_DOORBELL / 32), r32(GICD_BASE + 0x80 + 4 * (INTID_DOORBELL / 32)) | (1u << (INTID_DOORBELL % 32)));
    w8(GICD_BASE + 0x400 + INTID_DOORBELL, 0x80);
    w32(GICD_BASE + 0xc00 + 4 * (INTID_DOORBELL / 16), r32(GICD_BASE + 0xc00 + 4 * (INTID_DOORBELL / 16)) | (2u << (2 * (INTID_DOORBELL % 16))));
    *(volatile uint64_t *)(GICD_BASE + 0x6000 + 8 * INTID_DOORBELL) = 0;
    w32(GICD_BASE + 0x100 + 4 * (INTID_DOORBELL / 32), 1u << (INTID_DOORBELL % 32));
#else
    w32(GICR_SGI + 0x100, (1u << INTID_TICK) | (1u << INTID_DOORBELL));
#endif
    /* SPI 1 (the UART): Group 1, priority, routed to this CPU (GICD_IROUTER), enabled. */
    w32(GICD_BASE + 0x80 + 4 * (INTID_UART / 32), r32(GICD_BASE + 0x80 + 4 * (INTID_UART / 32)) | (1u << (INTID_UART % 32)));
    w8(GICD_BASE + 0x400 + INTID_UART, 0x80);
    *(volatile uint64_t *)(GICD_BASE + 0x6000 + 8 * INTID_UART) = 0;
    w32(GICD_BASE + 0x100 + 4 * (INTID_UART / 32), 1u << (INTID_UART % 32));
    WRITE_SYSREG(S3_0_C12_C12_5, READ_SYSREG(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);                          /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                           /* ICC_IGRPEN1_EL1 */
    ISB();
}

/* ---- LED ---- */
static unsigned led_toggles;
static void led_set(unsigned on) { w32(GPIO_BASE + (1u << 2), on ? 1 : 0); }
static unsigned led_get(void) { return r32(GPIO_BASE + (1u << 2)) & 1; }

/* ---- the mailbox: one command at a time in memory shared with the peer ---- */
struct mailbox {
    volatile uint32_t seq;        /* the peer increments it with each command */
    volatile uint32_t done;       /* the RTOS sets it to seq when the answer is written */
    volatile int32_t status;      /* 0 ok, negative: error */
    char command[116];
    char answer[128];
};
#if defined(PARTITION) && defined(XEN)
static uint8_t mailbox_page[4096] __attribute__((aligned(4096)));
static struct mailbox *const mailbox = (struct mailbox *)mailbox_page;
#elif defined(PARTITION)
static struct mailbox *const mailbox = (struct mailbox *)SHARED_MAILBOX;
#else
static struct mailbox local_mailbox;
static struct mailbox *mailbox = &local_mailbox;
#endif
static struct sem answer_sem;
static unsigned blink_period;

static unsigned long strlen_(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }
static int streq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }
static int starts(const char *s, const char *p) { while (*p && *s == *p) { s++; p++; } return *p == 0; }
static unsigned parse_uint(const char *s, int *ok)
{
    unsigned v = 0;
    *ok = *s != 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') { *ok = 0; return 0; }
        v = v * 10 + (unsigned)(*s - '0');
    }
    return v;
}

/* Tiny formatter into the answer buffer. */
static char *out_at, *out_end;
static void out_str(const char *s) { while (*s && out_at < out_end - 1) *out_at++ = *s++; *out_at = 0; }
static void out_uint(unsigned long v)
{
    char buf[24];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) { char c[2] = { buf[--n], 0 }; out_str(c); }
}

#ifdef XEN
/* `v` in decimal into `buf`. */
static void format_uint(char *buf, unsigned size, unsigned long v)
{
    out_at = buf; out_end = buf + size; *out_at = 0;
    out_uint(v);
}
#endif

/* Run one command; the answer goes into `answer`, the status is returned. */
static int run_command(const char *cmd, char *answer, unsigned size)
{
    out_at = answer; out_end = answer + size; *out_at = 0;
    int ok;
    if (streq(cmd, "led on")) { led_set(1); out_str("led on"); return 0; }
    if (streq(cmd, "led off")) { led_set(0); out_str("led off"); return 0; }
    if (streq(cmd, "led toggle")) { led_set(!led_get()); out_str(led_get() ? "led on" : "led off"); return 0; }
    if (starts(cmd, "blink ")) {
        unsigned p = parse_uint(cmd + 6, &ok);
        if (!ok) { out_str("blink: a number of ticks"); return -22; }
        blink_period = p;
        led_toggles = 0;
        out_str(p ? "blinking every " : "blinking off");
        if (p) { out_uint(p); out_str(" ticks"); }
        return 0;
    }
    if (streq(cmd, "status")) {
        out_str("led "); out_str(led_get() ? "on" : "off");
        out_str(", blink "); out_uint(blink_period);
        out_str(", toggles "); out_uint(led_toggles);
        return 0;
    }
    if (starts(cmd, "echo ")) { out_str(cmd + 5); return 0; }
    if (streq(cmd, "tasks")) {
        for (unsigned i = 0; i < ntasks; i++) {
            if (i) out_str(", ");
            out_str(tasks[i].name); out_str("/"); out_uint((unsigned)tasks[i].prio);
        }
        return 0;
    }
#ifdef PARTITION
    if (streq(cmd, "off")) { out_str("powering off"); return 0; }
#endif
    if (streq(cmd, "help")) { out_str("led on|off|toggle, blink TICKS, wait TOGGLES, sleep TICKS, status, tasks, echo TEXT, off"); return 0; }
    out_str("unknown command: "); out_str(cmd);
    return -38;
}

/* ---- tasks ---- */
static void idle_task(void)
{
    for (;;)
        __asm__ volatile("wfi");
}

static void blink_task(void)
{
    for (;;) {
        if (blink_period) {
            sleep_ticks(blink_period);
            if (blink_period) { led_set(!led_get()); led_toggles++; }
        } else {
            sleep_ticks(1);
        }
    }
}

/* Serves the mailbox: each doorbell is one command. */
static void mailbox_task(void)
{
    for (;;) {
        sem_wait(&doorbell_sem);
        char cmd[sizeof mailbox->command];
        memcpy(cmd, (const void *)mailbox->command, sizeof cmd);
        cmd[sizeof cmd - 1] = 0;
        mailbox->status = run_command(cmd, (char *)mailbox->answer, sizeof mailbox->answer);
        DSB(sy);
        mailbox->done = mailbox->seq;
        DSB(sy);
#ifdef PARTITION
        printf("rtos: mailbox #%u '%s' -> %d '%s'\n", mailbox->seq, cmd, mailbox->status, (const char *)mailbox->answer);
#ifdef XEN
        xen_evtchn_send(mailbox_port);          /* ring back: the event channel's other end */
#else
        w32(DOORBELL_PAGE, 0);                  /* ring back: the partition's first send-doorbell */
#endif
        if (streq(cmd, "off"))
            psci_system_off();                  /* the peer asked: this partition powers off */
#else
        /* Ring back: alone on the board the peer is in this kernel. */
        __asm__ volatile("msr daifset, #2" ::: "memory");
        sem_signal_isr(&answer_sem);
        __asm__ volatile("msr daifclr, #2" ::: "memory");
#endif
        yield();
    }
}

static void send_sgi_self(unsigned intid)
{
    WRITE_SYSREG(S3_0_C12_C11_5, ((uint64_t)intid << 24) | 1); /* ICC_SGI1R_EL1 */
    ISB();
}

/* The peer of the protocol when the RTOS runs alone: a few commands through the mailbox. */
static struct sem console_go;
static void selftest_task(void)
{
    static const char *const script[] = { "led on", "status", "echo over shared memory", "led toggle", "bogus", "tasks" };
    for (unsigned i = 0; i < sizeof script / sizeof script[0]; i++) {
        memcpy((void *)mailbox->command, script[i], strlen_(script[i]) + 1);
        mailbox->seq++;
        DSB(sy);
        send_sgi_self(INTID_DOORBELL);
        sem_wait(&answer_sem);
        printf("mailbox #%u: '%s' -> %d '%s'\n", mailbox->seq, script[i], mailbox->status, (const char *)mailbox->answer);
    }
    __asm__ volatile("msr daifset, #2" ::: "memory");
    sem_signal_isr(&console_go);
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    for (;;)
        sleep_ticks(1000);
}

static void console_task(void)
{
    sem_wait(&console_go);
    printf("rtos> ready\n");
    char line[120];
    unsigned n = 0;
    for (;;) {
        sem_wait(&rx_sem);
        char c = rx[rx_tail++ % RX_SIZE];
        /* A terminal's Enter is CR, a pipe's LF: either ends the line (LF after CR is skipped). */
        static char last;
        char prev = last;
        last = c;
        if (c == '\n' && prev == '\r')
            continue;
        if (c == '\r')
            c = '\n';
        if (c != '\n') {
            if (n < sizeof line - 1)
                line[n++] = c;
            continue;
        }
        line[n] = 0;
        n = 0;
        if (line[0] == 0)
            continue;
        int ok;
        if (starts(line, "sleep ")) {
            unsigned t = parse_uint(line + 6, &ok);
            sleep_ticks(ok ? t : 0);
            printf("rtos> %s: done\n", line);
            continue;
        }
        if (starts(line, "wait ")) {
            /* Until the LED has toggled N times: checked each tick, and this task outranks blink,
             * so it sees every count and the answer does not depend on timing. */
            unsigned want = parse_uint(line + 5, &ok);
            while (ok && blink_period && led_toggles < want)
                sleep_ticks(1);
            printf("rtos> %s: %u toggles, led %s\n", line, led_toggles, led_get() ? "on" : "off");
            continue;
        }
        if (streq(line, "off")) {
            printf("rtos> off\n");
            psci_system_off();
        }
        char answer[128];
        int status = run_command(line, answer, sizeof answer);
        printf("rtos> %s: %d %s\n", line, status, answer);
    }
}

int main(void)
{
    printf("rtos: %u Hz tick, GICv3, console and mailbox\n", TICK_HZ);
    WRITE_SYSREG(vbar_el1, exception_vectors);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    gic_init();
    w32(GPIO_BASE + 0x400, 1);                  /* GPIODIR: line 0 (the LED) is an output */
    led_set(0);
    w32(UART0_BASE + 0x38, (1u << 4) | (1u << 6)); /* UARTIMSC: RXIM, RTIM (receive timeout) */

    task_create("idle", idle_task, 0);
    task_create("blink", blink_task, 1);
    task_create("console", console_task, 2);
#ifdef XEN
    if (xen_pv_init() != 0) {
        printf("rtos: no Xen interface\n");
        psci_system_off();
    }
    xen_grant(MAILBOX_GREF, XEN_PEER, mailbox_page, 0);
    int port = xen_evtchn_alloc_unbound(XEN_PEER);
    if (port <= 0) {
        printf("rtos: alloc_unbound: %d\n", port);
        psci_system_off();
    }
    mailbox_port = (unsigned)port;
    char v[12];
    format_uint(v, sizeof v, MAILBOX_GREF);
    int bad = xs_write("data/mailbox/ring-ref", v) || xs_share("data/mailbox/ring-ref", XEN_PEER);
    format_uint(v, sizeof v, mailbox_port);
    /* The event channel last: a peer that sees it finds the grant too. */
    bad = bad || xs_write("data/mailbox/event-channel", v) || xs_share("data/mailbox/event-channel", XEN_PEER);
    if (bad) {
        printf("rtos: xenstore refused the mailbox: %s\n", xs_error);
        psci_system_off();
    }
    printf("rtos: domain %u grants its mailbox to domain %u: grant %u, event channel %u\n", xen_domid(), XEN_PEER, MAILBOX_GREF, mailbox_port);
#endif
#ifdef PARTITION
    (void)selftest_task;
    mailbox->done = mailbox->seq = 0;
    console_go.count = 1;                        /* no selftest: the console is ready at once */
#else
    task_create("selftest", selftest_task, 2);
#endif
    task_create("mailbox", mailbox_task, 3);

    tick_interval = READ_SYSREG(cntfrq_el0) / TICK_HZ;
    WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + tick_interval);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    ISB();
    /* Into the first task: the handler path does the switch, from a yield at EL1h. */
    __asm__ volatile("msr daifclr, #2\n\tmov x0, #0\n\tsvc #0" ::: "x0", "memory");
    for (;;)
        ;
}
