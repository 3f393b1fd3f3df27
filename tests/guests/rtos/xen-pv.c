/*
 * The RTOS's Xen PV layer (see xen-pv.h). Numbers and layouts from Xen 4.17's public headers:
 * xen.h (hypercalls, shared_info, vcpu_info), memory.h (add_to_physmap), event_channel.h,
 * grant_table.h (grant_entry_v1), hvm/params.h and io/xs_wire.h (the store ring).
 */
#include "runtime.h"
#include "xen-pv.h"

enum { HYPERVISOR_memory_op = 12, HYPERVISOR_event_channel_op = 32, HYPERVISOR_hvm_op = 34 };
enum { XENMEM_add_to_physmap = 7, XENMAPSPACE_shared_info = 0, XENMAPSPACE_grant_table = 1 };
enum { EVTCHNOP_send = 4, EVTCHNOP_alloc_unbound = 6 };
enum { HVMOP_get_param = 1, HVM_PARAM_STORE_PFN = 1, HVM_PARAM_STORE_EVTCHN = 2 };
enum { GTF_permit_access = 1, GTF_readonly = 4 };
enum { XS_READ = 2, XS_WRITE = 11, XS_SET_PERMS = 14, XS_ERROR = 16 };

int64_t xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2;
    register uint64_t x16 __asm__("x16") = nr;
    __asm__ volatile("hvc #0xea1" : "+r"(x0), "+r"(x1), "+r"(x2) : "r"(x16) : "x3", "x4", "memory");
    return (int64_t)x0;
}

/* shared_info (xen.h): vcpu_info[0] at 0 (upcall_pending, upcall_mask, pending_sel at 8), then evtchn_pending[64] at 48, evtchn_mask[64] at 560. */
static uint8_t shared_info[4096] __attribute__((aligned(4096)));
/* Grant table frame 0: 512 grant_entry_v1 { uint16_t flags; domid_t domid; uint32_t frame; }. */
static uint8_t grant_frame[4096] __attribute__((aligned(4096)));
#define VCPU0_UPCALL_PENDING (*(volatile uint8_t *)&shared_info[0])
#define VCPU0_PENDING_SEL (*(volatile uint64_t *)&shared_info[8])
#define EVTCHN_PENDING ((volatile uint64_t *)&shared_info[48])
#define EVTCHN_MASK ((volatile uint64_t *)&shared_info[560])

struct xen_add_to_physmap { uint16_t domid, size; uint32_t space; uint64_t idx, gpfn; };

static int add_to_physmap(unsigned space, uint64_t idx, const void *page)
{
    struct xen_add_to_physmap x = { DOMID_SELF, 0, space, idx, (uint64_t)page >> 12 };
    return (int)xen_hypercall(HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&x, 0);
}

static uint64_t hvm_param(unsigned index)
{
    struct { uint16_t domid, pad; uint32_t index; uint64_t value; } p = { DOMID_SELF, 0, index, 0 };
    if (xen_hypercall(HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&p, 0) != 0)
        return 0;
    return p.value;
}

static volatile uint8_t *store;     /* struct xenstore_domain_interface */
static unsigned store_port;

int xen_pv_init(void)
{
    int rc = add_to_physmap(XENMAPSPACE_shared_info, 0, shared_info);
    if (rc)
        return rc;
    rc = add_to_physmap(XENMAPSPACE_grant_table, 0, grant_frame);
    if (rc)
        return rc;
    store = (volatile uint8_t *)(hvm_param(HVM_PARAM_STORE_PFN) << 12);
    store_port = (unsigned)hvm_param(HVM_PARAM_STORE_EVTCHN);
    return store ? 0 : -22;
}

int xen_evtchn_alloc_unbound(unsigned remote)
{
    struct { uint16_t dom, remote_dom; uint32_t port; } a = { DOMID_SELF, (uint16_t)remote, 0 };
    int64_t rc = xen_hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uint64_t)&a, 0);
    return rc ? (int)rc : (int)a.port;
}

int xen_evtchn_send(unsigned port)
{
    uint32_t p = port;
    return (int)xen_hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&p, 0);
}

/* The 2-level ABI's scan (as Linux's evtchn_2l_handle_events, without fairness): selector word, then pending & ~mask. */
void xen_evtchn_dispatch(void (*fn)(unsigned port))
{
    VCPU0_UPCALL_PENDING = 0;
    DSB(sy);
    uint64_t sel = VCPU0_PENDING_SEL;
    VCPU0_PENDING_SEL = 0;
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t bits = EVTCHN_PENDING[w] & ~EVTCHN_MASK[w];
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            EVTCHN_PENDING[w] &= ~(1ull << b);
            fn(w * 64 + b);
        }
    }
}

void xen_grant(unsigned ref, unsigned dom, const void *page, int readonly)
{
    volatile uint8_t *e = &grant_frame[ref * 8];
    *(volatile uint16_t *)(e + 2) = (uint16_t)dom;
    *(volatile uint32_t *)(e + 4) = (uint32_t)((uint64_t)page >> 12);
    DSB(sy);                                    /* domid and frame before the flags that make it valid */
    *(volatile uint16_t *)e = GTF_permit_access | (readonly ? GTF_readonly : 0);
}

/* ---- XenStore: struct xenstore_domain_interface { req[1024]; rsp[1024]; req_cons, req_prod, rsp_cons, rsp_prod; } ---- */
#define RING 1024u
#define REQ_CONS (*(volatile uint32_t *)(store + 2048))
#define REQ_PROD (*(volatile uint32_t *)(store + 2052))
#define RSP_CONS (*(volatile uint32_t *)(store + 2056))
#define RSP_PROD (*(volatile uint32_t *)(store + 2060))

static unsigned long len_(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }

static void ring_put(const void *data, unsigned n)
{
    const uint8_t *d = data;
    for (unsigned i = 0; i < n; i++) {
        while (REQ_PROD - REQ_CONS >= RING)    /* full: the daemon empties it as it is kicked */
            xen_evtchn_send(store_port);
        store[REQ_PROD % RING] = d[i];
        DSB(sy);
        REQ_PROD = REQ_PROD + 1;
    }
}

/* Take `n` bytes of the response (the daemon answers while handling the kick, so it is there). */
static int ring_get(void *out, unsigned n)
{
    uint8_t *o = out;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned spins = 0; RSP_PROD == RSP_CONS; spins++) {
            if (spins > 1000000)
                return -1;
            xen_evtchn_send(store_port);
        }
        uint8_t c = store[RING + RSP_CONS % RING];   /* rsp[] follows req[] */
        if (o)
            o[i] = c;
        DSB(sy);
        RSP_CONS = RSP_CONS + 1;
    }
    return 0;
}

static uint32_t req_id;
char xs_error[32];

/* One request of `parts` (concatenated, NULs included as given); the reply's payload into `out`. */
static int xs_request(uint32_t type, const char *const *parts, const unsigned *lens, unsigned nparts, char *out, unsigned size)
{
    uint32_t h[4] = { type, ++req_id, 0, 0 };
    for (unsigned i = 0; i < nparts; i++)
        h[3] += lens[i];
    ring_put(h, sizeof h);
    for (unsigned i = 0; i < nparts; i++)
        ring_put(parts[i], lens[i]);
    xen_evtchn_send(store_port);
    uint32_t r[4];
    if (ring_get(r, sizeof r)) {
        memcpy(xs_error, "no reply", 9);
        return -1;
    }
    unsigned keep = r[3] < size ? r[3] : size - 1;
    if (ring_get(out, keep) || ring_get(0, r[3] - keep))
        return -1;
    out[keep] = 0;
    if (r[0] == XS_ERROR) {
        memcpy(xs_error, out, keep + 1 < sizeof xs_error ? keep + 1 : sizeof xs_error - 1);
        return -1;
    }
    return 0;
}

int xs_read(const char *path, char *out, unsigned size)
{
    const char *p[] = { path };
    unsigned l[] = { (unsigned)len_(path) + 1 };
    return xs_request(XS_READ, p, l, 1, out, size);
}

int xs_write(const char *path, const char *value)
{
    char reply[32];
    const char *p[] = { path, value };
    unsigned l[] = { (unsigned)len_(path) + 1, (unsigned)len_(value) };
    return xs_request(XS_WRITE, p, l, 2, reply, sizeof reply);
}

static void utoa(unsigned v, char *out)
{
    char buf[12];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *out++ = buf[--n];
    *out = 0;
}

unsigned xen_domid(void)
{
    char v[16];
    if (xs_read("domid", v, sizeof v))
        return 0;
    unsigned d = 0;
    for (const char *s = v; *s >= '0' && *s <= '9'; s++)
        d = d * 10 + (unsigned)(*s - '0');
    return d;
}

int xs_share(const char *path, unsigned reader)
{
    char owner[16] = "n", other[16] = "r", reply[32];
    utoa(xen_domid(), owner + 1);
    utoa(reader, other + 1);
    const char *p[] = { path, owner, other };
    unsigned l[] = { (unsigned)len_(path) + 1, (unsigned)len_(owner) + 1, (unsigned)len_(other) + 1 };
    return xs_request(XS_SET_PERMS, p, l, 3, reply, sizeof reply);
}
