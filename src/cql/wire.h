/*
 * wire.h -- the notation types of the native protocol ([short], [string],
 * [bytes], [value], maps, lists, [inet]), read from a bounded cursor and
 * appended to a vl_buf. Internal to src/cql.
 *
 * Owns: cql_rd (a read cursor that never passes its end) and cql_wr (a
 * writer whose first failure sticks, so encoders check once at the end).
 * Threads: pure; any thread.
 */
#ifndef VELLIR_CQL_WIRE_H
#define VELLIR_CQL_WIRE_H

#include "cql/proto.h"

/* ---- reading ---------------------------------------------------------- */

typedef struct cql_rd {
    const uint8_t *p;
    const uint8_t *end;
} cql_rd;

static inline cql_rd vl__cql_rd_of(cql_slice s) {
    cql_rd r = {s.p, s.p + s.len};
    if (!s.p) r.p = r.end = NULL;
    return r;
}
static inline size_t vl__cql_rd_left(const cql_rd *r) { return (size_t)(r->end - r->p); }
static inline cql_slice vl__cql_rd_rest(const cql_rd *r) {
    return vl__cql_slice_of(r->p, vl__cql_rd_left(r));
}

cql_err vl__cql_rd_u8(cql_rd *r, uint8_t *v);
cql_err vl__cql_rd_u16(cql_rd *r, uint16_t *v);
cql_err vl__cql_rd_i32(cql_rd *r, int32_t *v);
cql_err vl__cql_rd_i64(cql_rd *r, int64_t *v);
cql_err vl__cql_rd_raw(cql_rd *r, size_t n, cql_slice *out);
cql_err vl__cql_rd_string(cql_rd *r, cql_slice *out);       /* [string] */
cql_err vl__cql_rd_long_string(cql_rd *r, cql_slice *out);  /* [long string] */
cql_err vl__cql_rd_short_bytes(cql_rd *r, cql_slice *out);  /* [short bytes] */
cql_err vl__cql_rd_bytes(cql_rd *r, cql_value *out);        /* [bytes]; n < 0: null */
cql_err vl__cql_rd_value(cql_rd *r, cql_value *out);        /* [value]; -1, -2 */
cql_err vl__cql_rd_inetaddr(cql_rd *r, cql_slice *addr);    /* [inetaddr] */
cql_err vl__cql_rd_inet(cql_rd *r, cql_slice *addr, int32_t *port);

/* These validate a whole region and return an iterator over it. */
cql_err vl__cql_rd_string_list(cql_rd *r, cql_iter *out);
cql_err vl__cql_rd_string_multimap(cql_rd *r, cql_iter *out);
cql_err vl__cql_rd_bytes_map(cql_rd *r, cql_iter *out);

/* A type description ([option], spec 4.2.5.2), validated down to its
 * deepest child (at most VL_CQL_TYPE_DEPTH_MAX levels). type.c. */
cql_err vl__cql_rd_type(cql_rd *r, cql_type *out);

/* <change_type><target><options> of a Schema_change result or event.
 * result.c. */
cql_err vl__cql_rd_schema_change(cql_rd *r, cql_schema_change *out);

/* Checks that `count` items of at least `min_size` bytes each can fit in
 * what is left of `r`: CQL_EBADCOUNT if not. Guards every [int] count
 * before a loop or a walk trusts it. */
cql_err vl__cql_rd_afford(const cql_rd *r, uint64_t count, size_t min_size);

/* An iterator over [start, r->p) holding `count` items. */
cql_iter vl__cql_iter_span(const uint8_t *start, const cql_rd *r, uint32_t count);

/* ---- writing ---------------------------------------------------------- */

typedef struct cql_wr {
    vl_buf *b;
    vl_status st; /* the first failure; later writes do nothing */
} cql_wr;

void vl__cql_wr_fail(cql_wr *w, vl_status st);
void vl__cql_wr_raw(cql_wr *w, const void *p, size_t n);
void vl__cql_wr_u8(cql_wr *w, uint8_t v);
void vl__cql_wr_u16(cql_wr *w, uint16_t v);
void vl__cql_wr_i32(cql_wr *w, int32_t v);
void vl__cql_wr_i64(cql_wr *w, int64_t v);
void vl__cql_wr_string(cql_wr *w, cql_slice s);       /* VL_ETOOBIG past 65535 */
void vl__cql_wr_long_string(cql_wr *w, cql_slice s);  /* VL_ETOOBIG past INT32_MAX */
void vl__cql_wr_short_bytes(cql_wr *w, cql_slice s);  /* VL_EINVAL past 65535 */
void vl__cql_wr_value(cql_wr *w, const cql_value *v); /* VL_ETOOBIG for CQL_LEN_TOOBIG */
void vl__cql_wr_values(cql_wr *w, const cql_value *v, uint16_t n);

/* ---- framing requests ------------------------------------------------- */

/* Appends a request header for `opcode` on `stream` with a zero length and
 * returns where the frame starts. Fails the writer with VL_EINVAL for a
 * negative stream or a version vl__cql_header_size does not know. */
size_t vl__cql_frame_begin(cql_wr *w, const cql_conf *c, int16_t stream, uint8_t opcode);
/* Patches the body length into the header at `start`, or, if the writer
 * failed or the frame exceeds c->max_send (VL_ETOOBIG), cuts the buffer back
 * to `start`. Returns the writer's status. */
vl_status vl__cql_frame_finish(cql_wr *w, const cql_conf *c, size_t start);

/* Big-endian helpers shared by value.c. */
static inline uint16_t vl__cql_be16(const uint8_t *p) {
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline uint32_t vl__cql_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t vl__cql_be64(const uint8_t *p) {
    return (uint64_t)vl__cql_be32(p) << 32 | vl__cql_be32(p + 4);
}
static inline void vl__cql_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void vl__cql_put_be64(uint8_t *p, uint64_t v) {
    vl__cql_put_be32(p, (uint32_t)(v >> 32));
    vl__cql_put_be32(p + 4, (uint32_t)v);
}

#endif /* VELLIR_CQL_WIRE_H */
