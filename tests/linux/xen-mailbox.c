/*
 * xen-mailbox: the Linux end of the grant mailbox, a static program for a Xen partition's
 * initramfs. Another domain (the RTOS, or a second Linux running `xen-mailbox --serve`)
 * grants one page and allocates an unbound event channel for this domain, and publishes
 * both in XenStore under its home: data/mailbox/ring-ref and data/mailbox/event-channel.
 *
 *   xen-mailbox DOMID COMMAND...   map DOMID's page (/dev/xen/gntdev), bind its channel
 *                                  (/dev/xen/evtchn), and for each command: write it into
 *                                  the page, notify, wait for the answer, print it.
 *   xen-mailbox --serve DOMID      grant a page to DOMID (/dev/xen/gntalloc), publish it,
 *                                  and answer "echo TEXT" commands until "off".
 *
 * The page is the RTOS's struct mailbox (tests/guests/rtos/rtos.c): seq, done, status,
 * command[116], answer[128]. XenStore is reached through /dev/xen/xenbus, which carries the
 * wire protocol (xen/include/public/io/xs_wire.h) as is: a header and a payload each way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
/* The UAPI headers use Xen's own names for these (xen/include/public/xen.h, grant_table.h). */
typedef uint16_t domid_t;
typedef uint32_t grant_ref_t;
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

struct mailbox {
    volatile uint32_t seq;
    volatile uint32_t done;
    volatile int32_t status;
    char command[116];
    char answer[128];
};

struct xsd_sockmsg { uint32_t type, req_id, tx_id, len; };
enum { XS_READ = 2, XS_WRITE = 11, XS_SET_PERMS = 14, XS_ERROR = 16 };

static int xenbus = -1;

static void die(const char *what)
{
    printf("xen-mailbox: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* One request; the reply's payload (NUL-terminated) into `out`, or -1 for an error reply. */
static int xs_request(uint32_t type, const char *payload, size_t len, char *out, size_t size)
{
    static uint32_t req_id;
    struct { struct xsd_sockmsg h; char body[4096]; } m;
    m.h.type = type; m.h.req_id = ++req_id; m.h.tx_id = 0; m.h.len = (uint32_t)len;
    memcpy(m.body, payload, len);
    if (write(xenbus, &m, sizeof m.h + len) != (ssize_t)(sizeof m.h + len))
        die("write /dev/xen/xenbus");
    ssize_t n = read(xenbus, &m, sizeof m);
    if (n < (ssize_t)sizeof m.h)
        die("read /dev/xen/xenbus");
    size_t got = (size_t)n - sizeof m.h;
    if (got > size - 1)
        got = size - 1;
    memcpy(out, m.body, got);
    out[got] = 0;
    return m.h.type == XS_ERROR ? -1 : 0;
}

static int xs_read(const char *path, char *out, size_t size)
{
    return xs_request(XS_READ, path, strlen(path) + 1, out, size);
}

static void xs_write(const char *path, const char *value)
{
    char buf[512], reply[64];
    size_t p = strlen(path) + 1, v = strlen(value);
    memcpy(buf, path, p);
    memcpy(buf + p, value, v);
    if (xs_request(XS_WRITE, buf, p + v, reply, sizeof reply) < 0) {
        printf("xen-mailbox: xenstore write %s: %s\n", path, reply);
        exit(1);
    }
}

/* The node is its owner's, readable by `reader` (perms "n<owner>", "r<reader>"). */
static void xs_share(const char *path, unsigned owner, unsigned reader)
{
    char buf[256], reply[64];
    int n = snprintf(buf, sizeof buf, "%s%cn%u%cr%u", path, 0, owner, 0, reader);
    if (xs_request(XS_SET_PERMS, buf, (size_t)n + 1, reply, sizeof reply) < 0) {
        printf("xen-mailbox: xenstore set_perms %s: %s\n", path, reply);
        exit(1);
    }
}

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, 0);
}

/* Wait for the next event on the channel, and unmask it again (the evtchn device's protocol). */
static void wait_event(int evtchn)
{
    uint32_t port;
    if (read(evtchn, &port, sizeof port) != sizeof port)
        die("read /dev/xen/evtchn");
    if (write(evtchn, &port, sizeof port) != sizeof port)
        die("unmask /dev/xen/evtchn");
}

static int client(unsigned dom, int argc, char **argv)
{
    char path[128], value[64];
    unsigned ref = 0, port = 0;
    /* The server publishes ring-ref first, event-channel last: once that is there, both are. */
    for (int tries = 0;; tries++) {
        snprintf(path, sizeof path, "/local/domain/%u/data/mailbox/event-channel", dom);
        if (xs_read(path, value, sizeof value) == 0) {
            port = (unsigned)strtoul(value, 0, 10);
            snprintf(path, sizeof path, "/local/domain/%u/data/mailbox/ring-ref", dom);
            if (xs_read(path, value, sizeof value) < 0) { printf("xen-mailbox: no ring-ref\n"); return 1; }
            ref = (unsigned)strtoul(value, 0, 10);
            break;
        }
        if (tries == 600) { printf("xen-mailbox: domain %u published no mailbox\n", dom); return 1; }
        sleep_ms(100);
    }
    printf("linux: domain %u's mailbox: grant %u, event channel %u\n", dom, ref, port);

    int gntdev = open("/dev/xen/gntdev", O_RDWR);
    if (gntdev < 0)
        die("open /dev/xen/gntdev");
    struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
    map.refs[0].domid = dom;
    map.refs[0].ref = ref;
    if (ioctl(gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, &map) < 0)
        die("IOCTL_GNTDEV_MAP_GRANT_REF");
    struct mailbox *mb = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gntdev, (off_t)map.index);
    if (mb == MAP_FAILED)
        die("mmap of the grant");

    int evtchn = open("/dev/xen/evtchn", O_RDWR);
    if (evtchn < 0)
        die("open /dev/xen/evtchn");
    struct ioctl_evtchn_bind_interdomain bind = { .remote_domain = dom, .remote_port = port };
    int local = ioctl(evtchn, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
    if (local < 0)
        die("IOCTL_EVTCHN_BIND_INTERDOMAIN");
    /* A freshly bound port starts pending: take that event first. */
    wait_event(evtchn);

    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (n >= sizeof mb->command)
            n = sizeof mb->command - 1;
        memcpy(mb->command, argv[i], n);
        mb->command[n] = 0;
        __sync_synchronize();
        uint32_t seq = mb->seq + 1;
        mb->seq = seq;
        __sync_synchronize();
        struct ioctl_evtchn_notify notify = { .port = (unsigned)local };
        if (ioctl(evtchn, IOCTL_EVTCHN_NOTIFY, &notify) < 0)
            die("IOCTL_EVTCHN_NOTIFY");
        while (mb->done != seq)
            wait_event(evtchn);
        __sync_synchronize();
        printf("linux: '%s' -> %d '%.*s'\n", argv[i], mb->status, (int)sizeof mb->answer, mb->answer);
    }
    munmap(mb, 4096);
    struct ioctl_gntdev_unmap_grant_ref unmap = { .index = map.index, .count = 1 };
    if (ioctl(gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) < 0)
        die("IOCTL_GNTDEV_UNMAP_GRANT_REF");
    close(gntdev);
    close(evtchn);
    printf("linux: done\n");
    return 0;
}

static int server(unsigned peer)
{
    char self[32], value[32];
    if (xs_read("domid", self, sizeof self) < 0) { printf("xen-mailbox: no domid\n"); return 1; }
    unsigned me = (unsigned)strtoul(self, 0, 10);

    int gntalloc = open("/dev/xen/gntalloc", O_RDWR);
    if (gntalloc < 0)
        die("open /dev/xen/gntalloc");
    struct ioctl_gntalloc_alloc_gref alloc = { .domid = (uint16_t)peer, .flags = GNTALLOC_FLAG_WRITABLE, .count = 1 };
    if (ioctl(gntalloc, IOCTL_GNTALLOC_ALLOC_GREF, &alloc) < 0)
        die("IOCTL_GNTALLOC_ALLOC_GREF");
    struct mailbox *mb = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gntalloc, (off_t)alloc.index);
    if (mb == MAP_FAILED)
        die("mmap of the granted page");
    int evtchn = open("/dev/xen/evtchn", O_RDWR);
    if (evtchn < 0)
        die("open /dev/xen/evtchn");
    struct ioctl_evtchn_bind_unbound_port unbound = { .remote_domain = peer };
    int port = ioctl(evtchn, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &unbound);
    if (port < 0)
        die("IOCTL_EVTCHN_BIND_UNBOUND_PORT");

    snprintf(value, sizeof value, "%u", alloc.gref_ids[0]);
    xs_write("data/mailbox/ring-ref", value);
    xs_share("data/mailbox/ring-ref", me, peer);
    snprintf(value, sizeof value, "%d", port);
    xs_write("data/mailbox/event-channel", value);
    xs_share("data/mailbox/event-channel", me, peer);
    printf("server: granted page %u and event channel %d to domain %u\n", alloc.gref_ids[0], port, peer);

    for (uint32_t served = 0;;) {
        wait_event(evtchn);
        if (mb->seq == served)
            continue;
        __sync_synchronize();
        char cmd[sizeof mb->command];
        memcpy(cmd, mb->command, sizeof cmd);
        cmd[sizeof cmd - 1] = 0;
        served = mb->seq;
        int off = strcmp(cmd, "off") == 0;
        if (strncmp(cmd, "echo ", 5) == 0) { mb->status = 0; snprintf(mb->answer, sizeof mb->answer, "%s", cmd + 5); }
        else if (off) { mb->status = 0; snprintf(mb->answer, sizeof mb->answer, "powering off"); }
        else { mb->status = -38; snprintf(mb->answer, sizeof mb->answer, "unknown command: %.100s", cmd); }
        __sync_synchronize();
        mb->done = served;
        __sync_synchronize();
        printf("server: #%u '%s' -> %d '%s'\n", served, cmd, mb->status, mb->answer);
        struct ioctl_evtchn_notify notify = { .port = (unsigned)port };
        if (ioctl(evtchn, IOCTL_EVTCHN_NOTIFY, &notify) < 0)
            die("IOCTL_EVTCHN_NOTIFY");
        if (off)
            break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IOLBF, 0);
    xenbus = open("/dev/xen/xenbus", O_RDWR);
    if (xenbus < 0)
        die("open /dev/xen/xenbus");
    if (argc >= 3 && strcmp(argv[1], "--serve") == 0)
        return server((unsigned)strtoul(argv[2], 0, 10));
    if (argc < 3) {
        printf("usage: xen-mailbox DOMID COMMAND... | xen-mailbox --serve DOMID\n");
        return 2;
    }
    return client((unsigned)strtoul(argv[1], 0, 10), argc - 2, argv + 2);
}
