/*
 * value.c -- typed CQL values: building the [value]s a request binds, and
 * reading the [bytes] cells a result returns (spec section 6).
 *
 * Owns: cql_null .. cql_boolean, cql_get_*.
 * Threads: pure; any thread.
 */
#include "cql/wire.h"

static cql_value value_len(int32_t len) {
    cql_value v;
    memset(&v, 0, sizeof v);
    v.len = len;
    return v;
}

cql_value cql_null(void) { return value_len(CQL_LEN_NULL); }
cql_value cql_unset(void) { return value_len(CQL_LEN_UNSET); }

cql_value cql_blob(const void *p, size_t len) {
    if (len > INT32_MAX) return value_len(CQL_LEN_TOOBIG);
    cql_value v = value_len((int32_t)len);
    v.p = len ? (const uint8_t *)p : NULL;
    return v;
}

cql_value cql_text_n(const char *s, size_t len) { return cql_blob(s, len); }
cql_value cql_text(const char *s) { return cql_blob(s, s ? strlen(s) : 0); }

cql_value cql_int(int32_t x) {
    cql_value v = value_len(4);
    cql_put_be32(v.small, (uint32_t)x);
    return v;
}

cql_value cql_bigint(int64_t x) {
    cql_value v = value_len(8);
    cql_put_be64(v.small, (uint64_t)x);
    return v;
}

cql_value cql_timestamp(int64_t ms_since_epoch) { return cql_bigint(ms_since_epoch); }

cql_value cql_boolean(bool x) {
    cql_value v = value_len(1);
    v.small[0] = x ? 1 : 0;
    return v;
}

/* ---- reading cells ---------------------------------------------------- */

static cql_err need_width(const cql_value *v, int32_t width) {
    if (v->len < 0) return CQL_ENULL;
    return v->len == width ? CQL_OK : CQL_ETYPE;
}

cql_err cql_get_blob(const cql_value *v, cql_slice *out) {
    if (v->len < 0) return CQL_ENULL;
    *out = cql_slice_of(v->len ? cql_value_data(v) : NULL, (size_t)v->len);
    return CQL_OK;
}

cql_err cql_get_text(const cql_value *v, cql_slice *out) { return cql_get_blob(v, out); }

cql_err cql_get_int(const cql_value *v, int32_t *out) {
    cql_err e = need_width(v, 4);
    if (e == CQL_OK) *out = (int32_t)cql_be32(cql_value_data(v));
    return e;
}

cql_err cql_get_bigint(const cql_value *v, int64_t *out) {
    cql_err e = need_width(v, 8);
    if (e == CQL_OK) *out = (int64_t)cql_be64(cql_value_data(v));
    return e;
}

cql_err cql_get_timestamp(const cql_value *v, int64_t *ms_since_epoch) {
    return cql_get_bigint(v, ms_since_epoch);
}

cql_err cql_get_boolean(const cql_value *v, bool *out) {
    cql_err e = need_width(v, 1);
    if (e == CQL_OK) *out = cql_value_data(v)[0] != 0;
    return e;
}
