/*
 * wire.c -- the native protocol's notation types: bounded reads, sticky
 * writes, and the iterators over validated lists and maps.
 *
 * Owns: cql_rd_*, cql_wr_*, vl__cql_string_next, vl__cql_multimap_next,
 * vl__cql_bytesmap_next, vl__cql_multimap_has.
 * Threads: pure; any thread.
 */
#include "cql/wire.h"

/* ---- reading ---------------------------------------------------------- */

cql_err vl__cql_rd_raw(cql_rd *r, size_t n, cql_slice *out) {
    if (n > vl__cql_rd_left(r)) return CQL_ETRUNC;
    *out = vl__cql_slice_of(r->p, n);
    r->p += n;
    return CQL_OK;
}

cql_err vl__cql_rd_u8(cql_rd *r, uint8_t *v) {
    if (vl__cql_rd_left(r) < 1) return CQL_ETRUNC;
    *v = *r->p++;
    return CQL_OK;
}

cql_err vl__cql_rd_u16(cql_rd *r, uint16_t *v) {
    if (vl__cql_rd_left(r) < 2) return CQL_ETRUNC;
    *v = vl__cql_be16(r->p);
    r->p += 2;
    return CQL_OK;
}

cql_err vl__cql_rd_i32(cql_rd *r, int32_t *v) {
    if (vl__cql_rd_left(r) < 4) return CQL_ETRUNC;
    *v = (int32_t)vl__cql_be32(r->p);
    r->p += 4;
    return CQL_OK;
}

cql_err vl__cql_rd_i64(cql_rd *r, int64_t *v) {
    if (vl__cql_rd_left(r) < 8) return CQL_ETRUNC;
    *v = (int64_t)vl__cql_be64(r->p);
    r->p += 8;
    return CQL_OK;
}

cql_err vl__cql_rd_string(cql_rd *r, cql_slice *out) {
    uint16_t n;
    cql_err e = vl__cql_rd_u16(r, &n);
    return e ? e : vl__cql_rd_raw(r, n, out);
}

cql_err vl__cql_rd_short_bytes(cql_rd *r, cql_slice *out) {
    return vl__cql_rd_string(r, out);
}

cql_err vl__cql_rd_long_string(cql_rd *r, cql_slice *out) {
    int32_t n;
    cql_err e = vl__cql_rd_i32(r, &n);
    if (e) return e;
    if (n < 0) return CQL_EBADLEN;
    return vl__cql_rd_raw(r, (size_t)n, out);
}

cql_err vl__cql_rd_bytes(cql_rd *r, cql_value *out) {
    int32_t n;
    cql_err e = vl__cql_rd_i32(r, &n);
    if (e) return e;
    memset(out, 0, sizeof *out);
    if (n < 0) {
        out->len = CQL_LEN_NULL;
        return CQL_OK;
    }
    cql_slice s;
    if ((e = vl__cql_rd_raw(r, (size_t)n, &s)) != CQL_OK) return e;
    out->p = s.p;
    out->len = n;
    return CQL_OK;
}

cql_err vl__cql_rd_value(cql_rd *r, cql_value *out) {
    if (vl__cql_rd_left(r) >= 4) {
        int32_t n = (int32_t)vl__cql_be32(r->p);
        if (n < CQL_LEN_UNSET) return CQL_EBADLEN;
        if (n == CQL_LEN_UNSET) {
            r->p += 4;
            memset(out, 0, sizeof *out);
            out->len = CQL_LEN_UNSET;
            return CQL_OK;
        }
    }
    return vl__cql_rd_bytes(r, out);
}

cql_err vl__cql_rd_inetaddr(cql_rd *r, cql_slice *addr) {
    uint8_t n;
    cql_err e = vl__cql_rd_u8(r, &n);
    if (e) return e;
    if (n != 4 && n != 16) return CQL_EBADLEN;
    return vl__cql_rd_raw(r, n, addr);
}

cql_err vl__cql_rd_inet(cql_rd *r, cql_slice *addr, int32_t *port) {
    cql_err e = vl__cql_rd_inetaddr(r, addr);
    return e ? e : vl__cql_rd_i32(r, port);
}

cql_err vl__cql_rd_afford(const cql_rd *r, uint64_t count, size_t min_size) {
    if (min_size && count > vl__cql_rd_left(r) / min_size) return CQL_EBADCOUNT;
    return CQL_OK;
}

cql_iter vl__cql_iter_span(const uint8_t *start, const cql_rd *r, uint32_t count) {
    cql_iter it = {start, r->p, count, 0};
    return it;
}

cql_err vl__cql_rd_string_list(cql_rd *r, cql_iter *out) {
    uint16_t n;
    cql_err e = vl__cql_rd_u16(r, &n);
    if (e) return e;
    if ((e = vl__cql_rd_afford(r, n, 2)) != CQL_OK) return e;
    const uint8_t *start = r->p;
    cql_slice s;
    for (uint32_t i = 0; i < n; i++)
        if ((e = vl__cql_rd_string(r, &s)) != CQL_OK) return e;
    *out = vl__cql_iter_span(start, r, n);
    return CQL_OK;
}

cql_err vl__cql_rd_string_multimap(cql_rd *r, cql_iter *out) {
    uint16_t n;
    cql_err e = vl__cql_rd_u16(r, &n);
    if (e) return e;
    if ((e = vl__cql_rd_afford(r, n, 4)) != CQL_OK) return e;
    const uint8_t *start = r->p;
    cql_slice key;
    cql_iter values;
    for (uint32_t i = 0; i < n; i++) {
        if ((e = vl__cql_rd_string(r, &key)) != CQL_OK) return e;
        if ((e = vl__cql_rd_string_list(r, &values)) != CQL_OK) return e;
    }
    *out = vl__cql_iter_span(start, r, n);
    return CQL_OK;
}

cql_err vl__cql_rd_bytes_map(cql_rd *r, cql_iter *out) {
    uint16_t n;
    cql_err e = vl__cql_rd_u16(r, &n);
    if (e) return e;
    if ((e = vl__cql_rd_afford(r, n, 6)) != CQL_OK) return e;
    const uint8_t *start = r->p;
    cql_slice key;
    cql_value v;
    for (uint32_t i = 0; i < n; i++) {
        if ((e = vl__cql_rd_string(r, &key)) != CQL_OK) return e;
        if ((e = vl__cql_rd_bytes(r, &v)) != CQL_OK) return e;
    }
    *out = vl__cql_iter_span(start, r, n);
    return CQL_OK;
}

/* ---- iterators -------------------------------------------------------- */

/* Each takes one item off a validated region; a malformed item (which a
 * decoder would have refused) ends the iteration. */

static bool iter_stop(cql_iter *it) {
    it->left = 0;
    return false;
}

bool vl__cql_string_next(cql_iter *it, cql_slice *s) {
    if (it->left == 0) return false;
    cql_rd r = {it->p, it->end};
    if (vl__cql_rd_string(&r, s) != CQL_OK) return iter_stop(it);
    it->p = r.p;
    it->left--;
    return true;
}

bool vl__cql_multimap_next(cql_iter *it, cql_slice *key, cql_iter *values) {
    if (it->left == 0) return false;
    cql_rd r = {it->p, it->end};
    if (vl__cql_rd_string(&r, key) != CQL_OK || vl__cql_rd_string_list(&r, values) != CQL_OK)
        return iter_stop(it);
    it->p = r.p;
    it->left--;
    return true;
}

bool vl__cql_bytesmap_next(cql_iter *it, cql_slice *key, cql_value *value) {
    if (it->left == 0) return false;
    cql_rd r = {it->p, it->end};
    if (vl__cql_rd_string(&r, key) != CQL_OK || vl__cql_rd_bytes(&r, value) != CQL_OK)
        return iter_stop(it);
    it->p = r.p;
    it->left--;
    return true;
}

bool vl__cql_multimap_has(cql_iter entries, const char *key, const char *value) {
    cql_slice k, v;
    cql_iter values;
    while (vl__cql_multimap_next(&entries, &k, &values)) {
        if (!vl__cql_slice_eq(k, key)) continue;
        while (vl__cql_string_next(&values, &v))
            if (vl__cql_slice_eq(v, value)) return true;
    }
    return false;
}

/* ---- writing ---------------------------------------------------------- */

void vl__cql_wr_fail(cql_wr *w, vl_status st) {
    if (w->st == VL_OK) w->st = st;
}

void vl__cql_wr_raw(cql_wr *w, const void *p, size_t n) {
    if (w->st != VL_OK || n == 0) return;
    vl__cql_wr_fail(w, vl_buf_append(w->b, p, n));
}

void vl__cql_wr_u8(cql_wr *w, uint8_t v) { vl__cql_wr_raw(w, &v, 1); }

void vl__cql_wr_u16(cql_wr *w, uint16_t v) {
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    vl__cql_wr_raw(w, b, 2);
}

void vl__cql_wr_i32(cql_wr *w, int32_t v) {
    uint8_t b[4];
    vl__cql_put_be32(b, (uint32_t)v);
    vl__cql_wr_raw(w, b, 4);
}

void vl__cql_wr_i64(cql_wr *w, int64_t v) {
    uint8_t b[8];
    vl__cql_put_be64(b, (uint64_t)v);
    vl__cql_wr_raw(w, b, 8);
}

void vl__cql_wr_string(cql_wr *w, cql_slice s) {
    if (s.len > UINT16_MAX) {
        vl__cql_wr_fail(w, VL_ETOOBIG);
        return;
    }
    vl__cql_wr_u16(w, (uint16_t)s.len);
    vl__cql_wr_raw(w, s.p, s.len);
}

void vl__cql_wr_long_string(cql_wr *w, cql_slice s) {
    if (s.len > INT32_MAX) {
        vl__cql_wr_fail(w, VL_ETOOBIG);
        return;
    }
    vl__cql_wr_i32(w, (int32_t)s.len);
    vl__cql_wr_raw(w, s.p, s.len);
}

void vl__cql_wr_short_bytes(cql_wr *w, cql_slice s) {
    if (s.len > UINT16_MAX) {
        vl__cql_wr_fail(w, VL_EINVAL);
        return;
    }
    vl__cql_wr_u16(w, (uint16_t)s.len);
    vl__cql_wr_raw(w, s.p, s.len);
}

void vl__cql_wr_value(cql_wr *w, const cql_value *v) {
    if (v->len < CQL_LEN_UNSET) {
        vl__cql_wr_fail(w, VL_ETOOBIG);
        return;
    }
    if (v->len > 0 && !v->p && v->len > (int32_t)sizeof v->small) {
        vl__cql_wr_fail(w, VL_EINVAL);
        return;
    }
    vl__cql_wr_i32(w, v->len);
    if (v->len > 0) vl__cql_wr_raw(w, vl__cql_value_data(v), (size_t)v->len);
}

void vl__cql_wr_values(cql_wr *w, const cql_value *v, uint16_t n) {
    if (w->st != VL_OK) return;
    vl__cql_wr_u16(w, n);
    for (uint16_t i = 0; i < n; i++) vl__cql_wr_value(w, &v[i]);
}
