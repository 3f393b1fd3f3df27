/**
 * The XenStore wire protocol (xen/include/public/io/xs_wire.h): message types, the header
 * (struct xsd_sockmsg) and the shared ring page (struct xenstore_domain_interface).
 */

/** enum xsd_sockmsg_type. */
export const XS = {
  CONTROL: 0, DIRECTORY: 1, READ: 2, GET_PERMS: 3, WATCH: 4, UNWATCH: 5, TRANSACTION_START: 6,
  TRANSACTION_END: 7, INTRODUCE: 8, RELEASE: 9, GET_DOMAIN_PATH: 10, WRITE: 11, MKDIR: 12, RM: 13,
  SET_PERMS: 14, WATCH_EVENT: 15, ERROR: 16, IS_DOMAIN_INTRODUCED: 17, RESUME: 18, SET_TARGET: 19,
  RESET_WATCHES: 21, DIRECTORY_PART: 22,
} as const;

/** struct xsd_sockmsg: uint32_t type, req_id, tx_id, len; then len bytes of payload. */
export const XSD_SOCKMSG_BYTES = 16;
export const XENSTORE_PAYLOAD_MAX = 4096;

/**
 * struct xenstore_domain_interface: char req[1024]; char rsp[1024]; XENSTORE_RING_IDX req_cons,
 * req_prod, rsp_cons, rsp_prod; uint32_t server_features; uint32_t connection; uint32_t error.
 * The indices run free; MASK_XENSTORE_IDX takes them into the ring.
 */
export const XENSTORE_RING_SIZE = 1024;
export const XS_RING = { req: 0, rsp: 1024, req_cons: 2048, req_prod: 2052, rsp_cons: 2056, rsp_prod: 2060, server_features: 2064, connection: 2068, error: 2072 } as const;
export const XENSTORE_CONNECTED = 0;
