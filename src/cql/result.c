/*
 * result.c -- RESULT bodies (spec 4.2.5): Void, Rows (metadata, column
 * specs, cells), Set_keyspace, Prepared, Schema_change; also the schema
 * change part of an EVENT.
 *
 * Owns: vl__cql_decode_result, vl__cql_rd_schema_change, vl__cql_meta_pk_index,
 * vl__cql_colspec_next, vl__cql_row_next, vl__cql_cell_next.
 * Threads: pure; any thread.
 *
 * Nothing is allocated. Every [int] count is checked against the bytes that
 * are left before anything trusts it (a Rows body declaring 2^31 columns in
 * 20 bytes is CQL_EBADCOUNT), and then the region it covers is walked once,
 * so the iterators handed out afterwards only cover validated bytes.
 */
#include "cql/wire.h"

/* Smallest col_spec: <name:[string]><type:[short]>, plus two [string]s when
 * the table spec is per column. */
#define COLSPEC_MIN 4u
#define COLSPEC_MIN_TABLES 8u

static cql_err rd_count(cql_rd *r, uint32_t max, uint32_t *out) {
    int32_t n;
    cql_err e = vl__cql_rd_i32(r, &n);
    if (e) return e;
    if (n < 0 || (uint32_t)n > max) return CQL_EBADCOUNT;
    *out = (uint32_t)n;
    return CQL_OK;
}

static cql_err rd_colspec(cql_rd *r, bool global, cql_colspec *out) {
    cql_err e = CQL_OK;
    if (!global) {
        e = vl__cql_rd_string(r, &out->keyspace);
        if (!e) e = vl__cql_rd_string(r, &out->table);
    }
    if (!e) e = vl__cql_rd_string(r, &out->name);
    return e ? e : vl__cql_rd_type(r, &out->type);
}

static cql_err rd_colspecs(cql_rd *r, cql_meta *m) {
    bool global = (m->flags & CQL_META_GLOBAL_TABLES_SPEC) != 0;
    cql_err e = CQL_OK;
    if (global) {
        e = vl__cql_rd_string(r, &m->keyspace);
        if (!e) e = vl__cql_rd_string(r, &m->table);
    }
    if (!e) e = vl__cql_rd_afford(r, m->columns, global ? COLSPEC_MIN : COLSPEC_MIN_TABLES);
    const uint8_t *start = r->p;
    cql_colspec spec;
    for (uint32_t i = 0; !e && i < m->columns; i++) e = rd_colspec(r, global, &spec);
    if (!e) m->specs = vl__cql_iter_span(start, r, m->columns);
    return e;
}

/* <pk_count>[<pk_index_1>...]: every index must name a bind marker. */
static cql_err rd_pk_indexes(cql_rd *r, cql_meta *m) {
    cql_err e = rd_count(r, VL_CQL_COLUMNS_MAX, &m->pk_count);
    if (!e) e = vl__cql_rd_raw(r, (size_t)m->pk_count * 2, &m->pk_indexes);
    for (uint32_t i = 0; !e && i < m->pk_count; i++)
        if (vl__cql_meta_pk_index(m, i) >= m->columns) e = CQL_EBADKIND;
    return e;
}

/* Rows metadata (bind == false) or Prepared bind metadata (bind == true). */
static cql_err rd_meta(cql_rd *r, uint8_t version, bool bind, cql_meta *m) {
    memset(m, 0, sizeof *m);
    m->paging_state.len = CQL_LEN_NULL;
    cql_err e = vl__cql_rd_i32(r, &m->flags);
    if (!e) e = rd_count(r, VL_CQL_COLUMNS_MAX, &m->columns);
    if (!e && bind) e = rd_pk_indexes(r, m);
    if (!e && !bind && (m->flags & CQL_META_HAS_MORE_PAGES))
        e = vl__cql_rd_bytes(r, &m->paging_state);
    if (!e && !bind && version >= CQL_V5 && (m->flags & CQL_META_METADATA_CHANGED))
        e = vl__cql_rd_short_bytes(r, &m->new_metadata_id);
    if (!e && !(m->flags & CQL_META_NO_METADATA)) e = rd_colspecs(r, m);
    return e;
}

static cql_err rd_rows(cql_rd *r, uint8_t version, cql_rows *out) {
    cql_err e = rd_meta(r, version, false, &out->meta);
    if (!e) e = rd_count(r, INT32_MAX, &out->count);
    if (e) return e;
    uint64_t cells = (uint64_t)out->count * out->meta.columns;
    /* Rows without columns would be free to declare and endless to walk. */
    if (out->count > 0 && out->meta.columns == 0) return CQL_EBADCOUNT;
    if (cells > UINT32_MAX) return CQL_EBADCOUNT;
    if ((e = vl__cql_rd_afford(r, cells, 4)) != CQL_OK) return e;
    const uint8_t *start = r->p;
    cql_value v;
    for (uint64_t i = 0; !e && i < cells; i++) e = vl__cql_rd_bytes(r, &v);
    if (e) return e;
    out->cells = vl__cql_iter_span(start, r, (uint32_t)cells);
    out->cells.aux = out->meta.columns;
    return CQL_OK;
}

static cql_err rd_prepared(cql_rd *r, uint8_t version, cql_prepared *out) {
    cql_err e = vl__cql_rd_short_bytes(r, &out->id);
    if (!e && version >= CQL_V5) e = vl__cql_rd_short_bytes(r, &out->result_metadata_id);
    if (!e) e = rd_meta(r, version, true, &out->bind);
    if (!e) e = rd_meta(r, version, false, &out->result);
    return e;
}

/* <change_type><target><options>; an unknown target's options are left
 * unread (the spec lets clients ignore what follows). */
cql_err vl__cql_rd_schema_change(cql_rd *r, cql_schema_change *out) {
    memset(out, 0, sizeof *out);
    cql_err e = vl__cql_rd_string(r, &out->change);
    if (!e) e = vl__cql_rd_string(r, &out->target);
    if (e) return e;
    cql_slice t = out->target;
    bool ks = vl__cql_slice_eq(t, "KEYSPACE");
    bool named = vl__cql_slice_eq(t, "TABLE") || vl__cql_slice_eq(t, "TYPE");
    bool fn = vl__cql_slice_eq(t, "FUNCTION") || vl__cql_slice_eq(t, "AGGREGATE");
    if (ks || named || fn) e = vl__cql_rd_string(r, &out->keyspace);
    if (!e && (named || fn)) e = vl__cql_rd_string(r, &out->name);
    if (!e && fn) e = vl__cql_rd_string_list(r, &out->arg_types);
    return e;
}

cql_err vl__cql_decode_result(uint8_t version, cql_slice body, cql_result *out) {
    memset(out, 0, sizeof *out);
    cql_rd r = vl__cql_rd_of(body);
    cql_err e = vl__cql_rd_i32(&r, &out->kind);
    if (e) return e;
    switch (out->kind) {
    case CQL_RESULT_VOID: return CQL_OK;
    case CQL_RESULT_ROWS: return rd_rows(&r, version, &out->rows);
    case CQL_RESULT_SET_KEYSPACE: return vl__cql_rd_string(&r, &out->keyspace);
    case CQL_RESULT_PREPARED: return rd_prepared(&r, version, &out->prepared);
    case CQL_RESULT_SCHEMA_CHANGE: return vl__cql_rd_schema_change(&r, &out->schema);
    default: return CQL_EBADKIND;
    }
}

/* ---- iterators -------------------------------------------------------- */

uint16_t vl__cql_meta_pk_index(const cql_meta *m, uint32_t i) {
    if (i >= m->pk_count || (size_t)i * 2 + 2 > m->pk_indexes.len) return UINT16_MAX;
    return vl__cql_be16(m->pk_indexes.p + (size_t)i * 2);
}

bool vl__cql_colspec_next(const cql_meta *m, cql_iter *specs, cql_colspec *out) {
    if (specs->left == 0) return false;
    bool global = (m->flags & CQL_META_GLOBAL_TABLES_SPEC) != 0;
    cql_rd r = {specs->p, specs->end};
    memset(out, 0, sizeof *out);
    if (rd_colspec(&r, global, out) != CQL_OK) {
        specs->left = 0;
        return false;
    }
    if (global) {
        out->keyspace = m->keyspace;
        out->table = m->table;
    }
    specs->p = r.p;
    specs->left--;
    return true;
}

bool vl__cql_cell_next(cql_iter *cells, cql_value *v) {
    if (cells->left == 0) return false;
    cql_rd r = {cells->p, cells->end};
    if (vl__cql_rd_bytes(&r, v) != CQL_OK) {
        cells->left = 0;
        return false;
    }
    cells->p = r.p;
    cells->left--;
    return true;
}

bool vl__cql_row_next(cql_iter *rows, cql_iter *row) {
    uint32_t cols = rows->aux;
    if (cols == 0 || rows->left < cols) return false;
    cql_iter walk = *rows;
    walk.left = cols;
    cql_value v;
    while (walk.left > 0)
        if (!vl__cql_cell_next(&walk, &v)) return false;
    *row = *rows;
    row->end = walk.p;
    row->left = cols;
    row->aux = 0;
    rows->p = walk.p;
    rows->left -= cols;
    return true;
}
