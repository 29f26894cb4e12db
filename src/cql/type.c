/*
 * type.c -- type descriptions ([option]s in column specs, spec 4.2.5.2):
 * native types, custom classes, list/set/map, UDT and tuple, parsed to
 * validate and skip them, and walked on demand afterwards.
 *
 * Owns: vl__cql_rd_type, vl__cql_type_custom_class, vl__cql_type_udt_name,
 * vl__cql_type_children, vl__cql_type_next.
 * Threads: pure; any thread.
 *
 * Parsing recurses once per nesting level, at most VL_CQL_TYPE_DEPTH_MAX
 * deep, and every call consumes at least two bytes, so the work is linear
 * in the input whatever counts a frame declares.
 */
#include "cql/wire.h"

static bool is_native(uint16_t id) {
    /* 0x000A was v1/v2's "text"; harmless to accept, it has no payload. */
    return id >= CQL_T_ASCII && id <= CQL_T_DURATION;
}

static cql_err skip_type(cql_rd *r, unsigned depth);

/* UDT: <ks><udt_name><n><name_1><type_1>...; tuple: <n><type_1>... */
static cql_err skip_fields(cql_rd *r, unsigned depth, bool named) {
    uint16_t n;
    cql_err e = vl__cql_rd_u16(r, &n);
    cql_slice name;
    for (uint32_t i = 0; !e && i < n; i++) {
        if (named) e = vl__cql_rd_string(r, &name);
        if (!e) e = skip_type(r, depth + 1);
    }
    return e;
}

static cql_err skip_udt(cql_rd *r, unsigned depth) {
    cql_slice ks, name;
    cql_err e = vl__cql_rd_string(r, &ks);
    if (!e) e = vl__cql_rd_string(r, &name);
    return e ? e : skip_fields(r, depth, true);
}

static cql_err skip_type(cql_rd *r, unsigned depth) {
    if (depth > VL_CQL_TYPE_DEPTH_MAX) return CQL_ETOODEEP;
    uint16_t id;
    cql_slice s;
    cql_err e = vl__cql_rd_u16(r, &id);
    if (e) return e;
    if (is_native(id)) return CQL_OK;
    switch (id) {
    case CQL_T_CUSTOM: return vl__cql_rd_string(r, &s);
    case CQL_T_LIST:
    case CQL_T_SET: return skip_type(r, depth + 1);
    case CQL_T_MAP:
        e = skip_type(r, depth + 1);
        return e ? e : skip_type(r, depth + 1);
    case CQL_T_UDT: return skip_udt(r, depth);
    case CQL_T_TUPLE: return skip_fields(r, depth, false);
    default: return CQL_EBADKIND;
    }
}

cql_err vl__cql_rd_type(cql_rd *r, cql_type *out) {
    const uint8_t *start = r->p;
    cql_err e = skip_type(r, 0);
    if (e) return e;
    out->id = vl__cql_be16(start);
    out->raw = vl__cql_slice_of(start, (size_t)(r->p - start));
    return CQL_OK;
}

/* ---- walking a validated type ----------------------------------------- */

/* A cursor just past the type's id. */
static cql_rd after_id(const cql_type *t) {
    cql_rd r = vl__cql_rd_of(t->raw);
    uint16_t id;
    if (vl__cql_rd_u16(&r, &id) != CQL_OK) r.p = r.end;
    return r;
}

cql_slice vl__cql_type_custom_class(const cql_type *t) {
    cql_slice s = {NULL, 0};
    cql_rd r = after_id(t);
    if (t->id != CQL_T_CUSTOM || vl__cql_rd_string(&r, &s) != CQL_OK) s.len = 0;
    return s;
}

void vl__cql_type_udt_name(const cql_type *t, cql_slice *keyspace, cql_slice *name) {
    cql_slice none = {NULL, 0};
    *keyspace = *name = none;
    cql_rd r = after_id(t);
    if (t->id != CQL_T_UDT || vl__cql_rd_string(&r, keyspace) != CQL_OK ||
        vl__cql_rd_string(&r, name) != CQL_OK)
        *keyspace = *name = none;
}

uint32_t vl__cql_type_children(const cql_type *t, cql_iter *it) {
    cql_rd r = after_id(t);
    uint16_t n = 0;
    cql_slice ks, name;
    memset(it, 0, sizeof *it);
    switch (t->id) {
    case CQL_T_LIST:
    case CQL_T_SET: n = 1; break;
    case CQL_T_MAP: n = 2; break;
    case CQL_T_UDT:
        if (vl__cql_rd_string(&r, &ks) || vl__cql_rd_string(&r, &name) || vl__cql_rd_u16(&r, &n)) n = 0;
        it->aux = 1; /* fields are named */
        break;
    case CQL_T_TUPLE:
        if (vl__cql_rd_u16(&r, &n)) n = 0;
        break;
    default: break;
    }
    it->p = r.p;
    it->end = r.end;
    it->left = n;
    return n;
}

bool vl__cql_type_next(cql_iter *it, cql_type *child, cql_slice *name) {
    if (it->left == 0) return false;
    cql_rd r = {it->p, it->end};
    cql_slice n = {NULL, 0};
    if ((it->aux && vl__cql_rd_string(&r, &n)) || vl__cql_rd_type(&r, child)) {
        it->left = 0;
        return false;
    }
    if (name) *name = n;
    it->p = r.p;
    it->left--;
    return true;
}
