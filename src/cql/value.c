/*
 * value.c -- typed CQL values: building the [value]s a request binds, and
 * reading the [bytes] cells a result returns (spec section 6).
 *
 * Owns: vl__cql_null .. vl__cql_boolean, cql_get_*.
 * Threads: pure; any thread.
 */
#include "cql/wire.h"

static cql_value value_len(int32_t len) {
    cql_value v;
    memset(&v, 0, sizeof v);
    v.len = len;
    return v;
}

cql_value vl__cql_null(void) { return value_len(CQL_LEN_NULL); }
cql_value vl__cql_unset(void) { return value_len(CQL_LEN_UNSET); }

cql_value vl__cql_blob(const void *p, size_t len) {
    if (len > INT32_MAX) return value_len(CQL_LEN_TOOBIG);
    cql_value v = value_len((int32_t)len);
    v.p = len ? (const uint8_t *)p : NULL;
    return v;
}

cql_value vl__cql_text_n(const char *s, size_t len) { return vl__cql_blob(s, len); }
cql_value vl__cql_text(const char *s) { return vl__cql_blob(s, s ? strlen(s) : 0); }

cql_value vl__cql_int(int32_t x) {
    cql_value v = value_len(4);
    vl__cql_put_be32(v.small, (uint32_t)x);
    return v;
}

cql_value vl__cql_bigint(int64_t x) {
    cql_value v = value_len(8);
    vl__cql_put_be64(v.small, (uint64_t)x);
    return v;
}

cql_value vl__cql_timestamp(int64_t ms_since_epoch) { return vl__cql_bigint(ms_since_epoch); }

cql_value vl__cql_boolean(bool x) {
    cql_value v = value_len(1);
    v.small[0] = x ? 1 : 0;
    return v;
}

/* ---- reading cells ---------------------------------------------------- */

static cql_err need_width(const cql_value *v, int32_t width) {
    if (v->len < 0) return CQL_ENULL;
    return v->len == width ? CQL_OK : CQL_ETYPE;
}

cql_err vl__cql_get_blob(const cql_value *v, cql_slice *out) {
    if (v->len < 0) return CQL_ENULL;
    *out = vl__cql_slice_of(v->len ? vl__cql_value_data(v) : NULL, (size_t)v->len);
    return CQL_OK;
}

cql_err vl__cql_get_text(const cql_value *v, cql_slice *out) { return vl__cql_get_blob(v, out); }

cql_err vl__cql_get_int(const cql_value *v, int32_t *out) {
    cql_err e = need_width(v, 4);
    if (e == CQL_OK) *out = (int32_t)vl__cql_be32(vl__cql_value_data(v));
    return e;
}

cql_err vl__cql_get_bigint(const cql_value *v, int64_t *out) {
    cql_err e = need_width(v, 8);
    if (e == CQL_OK) *out = (int64_t)vl__cql_be64(vl__cql_value_data(v));
    return e;
}

cql_err vl__cql_get_timestamp(const cql_value *v, int64_t *ms_since_epoch) {
    return vl__cql_get_bigint(v, ms_since_epoch);
}

cql_err vl__cql_get_boolean(const cql_value *v, bool *out) {
    cql_err e = need_width(v, 1);
    if (e == CQL_OK) *out = vl__cql_value_data(v)[0] != 0;
    return e;
}
