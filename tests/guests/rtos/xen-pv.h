/*
 * A small Xen PV layer for the RTOS in a `xen,enhanced` partition: hypercalls (HVC #0xEA1,
 * xen/include/public/arch-arm.h), shared_info and the 2-level event channels, a grant table
 * of one frame, and a XenStore client on the store ring. Everything runs with the MMU off, so
 * guest physical addresses are the addresses the code uses.
 */
#ifndef RTOS_XEN_PV_H
#define RTOS_XEN_PV_H

#include <stdint.h>

/* The event upcall, a PPI (arch-arm.h GUEST_EVTCHN_PPI). */
#define XEN_UPCALL_INTID 31
#define DOMID_SELF 0x7ff0

int64_t xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

/* Map shared_info and the grant table's first frame into the RTOS's RAM; 0 or a Xen error. */
int xen_pv_init(void);

/* EVTCHNOP_alloc_unbound for `remote`: the port, or a negative Xen error. */
int xen_evtchn_alloc_unbound(unsigned remote);
int xen_evtchn_send(unsigned port);
/* From the upcall interrupt: clear the upcall flag, then call `fn` for each pending port (cleared first). */
void xen_evtchn_dispatch(void (*fn)(unsigned port));

/* Grant `ref` lets domain `dom` reach the page at `page` (writable unless `readonly`). */
void xen_grant(unsigned ref, unsigned dom, const void *page, int readonly);

/* XenStore on the store ring: 0 or -1 (the error's name in `out` then). Relative paths are under the domain's home. */
int xs_read(const char *path, char *out, unsigned size);
int xs_write(const char *path, const char *value);
/* The node is this domain's, readable by `reader`. */
int xs_share(const char *path, unsigned reader);
unsigned xen_domid(void);
/* The last error XenStore answered (its errno name), or "no reply". */
extern char xs_error[32];

#endif
