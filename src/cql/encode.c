/*
 * encode.c -- request bodies (spec section 4.1): OPTIONS, STARTUP,
 * AUTH_RESPONSE, QUERY, PREPARE, EXECUTE, BATCH, REGISTER.
 *
 * Owns: cql_encode_*.
 * Threads: pure; appends to the caller's vl_buf; any thread.
 *
 * Each encoder writes through a sticky cql_wr and checks once, in
 * vl__cql_frame_finish, which also cuts the buffer back on any failure.
 */
#include "cql/wire.h"

/* Query-parameter flags (spec 4.1.4): a [byte] in v4, an [int] in v5. */
#define QF_VALUES 0x01u
#define QF_SKIP_METADATA 0x02u
#define QF_PAGE_SIZE 0x04u
#define QF_PAGING_STATE 0x08u
#define QF_SERIAL 0x10u
#define QF_TIMESTAMP 0x20u

static void wr_flags(cql_wr *w, uint8_t version, uint32_t flags) {
    if (version >= CQL_V5)
        vl__cql_wr_i32(w, (int32_t)flags);
    else
        vl__cql_wr_u8(w, (uint8_t)flags);
}

static uint32_t params_flags(const cql_params *p) {
    uint32_t f = 0;
    if (p->n_values > 0) f |= QF_VALUES;
    if (p->skip_metadata) f |= QF_SKIP_METADATA;
    if (p->page_size > 0) f |= QF_PAGE_SIZE;
    if (p->paging_state.p) f |= QF_PAGING_STATE;
    if (p->has_serial) f |= QF_SERIAL;
    if (p->has_timestamp) f |= QF_TIMESTAMP;
    return f;
}

static void wr_timestamp(cql_wr *w, int64_t ts) {
    if (ts < 0) vl__cql_wr_fail(w, VL_EINVAL); /* the spec forbids negative ones */
    vl__cql_wr_i64(w, ts);
}

/* <consistency><flags>[values][page_size][paging_state][serial][timestamp] */
static void wr_params(cql_wr *w, uint8_t version, const cql_params *p) {
    uint32_t flags = params_flags(p);
    if (p->n_values > 0 && !p->values) vl__cql_wr_fail(w, VL_EINVAL);
    vl__cql_wr_u16(w, p->consistency);
    wr_flags(w, version, flags);
    if (flags & QF_VALUES) vl__cql_wr_values(w, p->values, p->n_values);
    if (flags & QF_PAGE_SIZE) vl__cql_wr_i32(w, p->page_size);
    if (flags & QF_PAGING_STATE) vl__cql_wr_long_string(w, p->paging_state); /* [bytes] */
    if (flags & QF_SERIAL) vl__cql_wr_u16(w, p->serial_consistency);
    if (flags & QF_TIMESTAMP) wr_timestamp(w, p->timestamp);
}

vl_status vl__cql_encode_options(const cql_conf *c, int16_t stream, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_OPTIONS);
    return vl__cql_frame_finish(&w, c, start);
}

vl_status vl__cql_encode_startup(const cql_conf *c, int16_t stream, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_STARTUP);
    vl__cql_wr_u16(&w, 1); /* [string map] of one entry */
    vl__cql_wr_string(&w, vl__cql_str("CQL_VERSION"));
    vl__cql_wr_string(&w, vl__cql_str("3.0.0"));
    return vl__cql_frame_finish(&w, c, start);
}

vl_status vl__cql_encode_auth_response(const cql_conf *c, int16_t stream,
                                   cql_slice token, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_AUTH_RESPONSE);
    vl__cql_wr_long_string(&w, token); /* [bytes] */
    return vl__cql_frame_finish(&w, c, start);
}

static bool has_nul(cql_slice s) {
    return s.len && memchr(s.p, 0, s.len) != NULL;
}

vl_status vl__cql_encode_auth_plain(const cql_conf *c, int16_t stream, cql_slice user,
                                cql_slice password, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_AUTH_RESPONSE);
    if (has_nul(user) || has_nul(password)) vl__cql_wr_fail(&w, VL_EINVAL);
    if (user.len > INT32_MAX - 2 || password.len > INT32_MAX - 2 - user.len)
        vl__cql_wr_fail(&w, VL_ETOOBIG);
    /* SASL PLAIN (RFC 4616): authzid (empty) NUL authcid NUL password. */
    vl__cql_wr_i32(&w, (int32_t)(2 + user.len + password.len));
    vl__cql_wr_u8(&w, 0);
    vl__cql_wr_raw(&w, user.p, user.len);
    vl__cql_wr_u8(&w, 0);
    vl__cql_wr_raw(&w, password.p, password.len);
    return vl__cql_frame_finish(&w, c, start);
}

vl_status vl__cql_encode_query(const cql_conf *c, int16_t stream, cql_slice query,
                           const cql_params *p, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_QUERY);
    vl__cql_wr_long_string(&w, query);
    wr_params(&w, c->version, p);
    return vl__cql_frame_finish(&w, c, start);
}

vl_status vl__cql_encode_prepare(const cql_conf *c, int16_t stream, cql_slice query,
                             vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_PREPARE);
    vl__cql_wr_long_string(&w, query);
    if (c->version >= CQL_V5) vl__cql_wr_i32(&w, 0); /* v5 <flags>: no keyspace */
    return vl__cql_frame_finish(&w, c, start);
}

vl_status vl__cql_encode_execute(const cql_conf *c, int16_t stream, cql_slice id,
                             const cql_params *p, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_EXECUTE);
    vl__cql_wr_short_bytes(&w, id);
    if (c->version >= CQL_V5) vl__cql_wr_short_bytes(&w, p->result_metadata_id);
    wr_params(&w, c->version, p);
    return vl__cql_frame_finish(&w, c, start);
}

/* <kind><string_or_id><n><value_1>...<value_n> */
static void wr_batch_stmt(cql_wr *w, const cql_batch_stmt *s) {
    if (s->n_values > 0 && !s->values) vl__cql_wr_fail(w, VL_EINVAL);
    vl__cql_wr_u8(w, s->prepared ? 1 : 0);
    if (s->prepared)
        vl__cql_wr_short_bytes(w, s->id);
    else
        vl__cql_wr_long_string(w, s->query);
    vl__cql_wr_values(w, s->values, s->n_values);
}

vl_status vl__cql_encode_batch(const cql_conf *c, int16_t stream, const cql_batch *b,
                           vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_BATCH);
    if (b->type > CQL_BATCH_COUNTER || (b->n_stmts > 0 && !b->stmts))
        vl__cql_wr_fail(&w, VL_EINVAL);
    vl__cql_wr_u8(&w, b->type);
    vl__cql_wr_u16(&w, b->n_stmts);
    for (uint16_t i = 0; i < b->n_stmts && w.st == VL_OK; i++)
        wr_batch_stmt(&w, &b->stmts[i]);
    vl__cql_wr_u16(&w, b->consistency);
    wr_flags(&w, c->version, (b->has_serial ? QF_SERIAL : 0) |
                                 (b->has_timestamp ? QF_TIMESTAMP : 0));
    if (b->has_serial) vl__cql_wr_u16(&w, b->serial_consistency);
    if (b->has_timestamp) wr_timestamp(&w, b->timestamp);
    return vl__cql_frame_finish(&w, c, start);
}

vl_status vl__cql_encode_register(const cql_conf *c, int16_t stream,
                              const char *const *events, uint16_t n, vl_buf *out) {
    cql_wr w = {out, VL_OK};
    size_t start = vl__cql_frame_begin(&w, c, stream, CQL_OP_REGISTER);
    if (n > 0 && !events) vl__cql_wr_fail(&w, VL_EINVAL);
    vl__cql_wr_u16(&w, n);
    for (uint16_t i = 0; i < n && w.st == VL_OK; i++) vl__cql_wr_string(&w, vl__cql_str(events[i]));
    return vl__cql_frame_finish(&w, c, start);
}
