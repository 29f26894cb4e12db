/*
 * topo.c -- the system-table decoders of topo.h.
 *
 * Owns: vl__cql_topo_open/next/first, vl__cql_token_next/parse,
 * vl__cql_inet_sockaddr, vl__cql_replication_decode.
 * Threads: pure; any thread.
 *
 * Like result.c: every count is checked against the bytes left before a
 * loop trusts it, and the token list of a row is validated whole before an
 * iterator over it is handed out.
 */
#include <arpa/inet.h>

#include "cql/topo.h"
#include "cql/wire.h"

typedef struct col_def {
    const char *name;
    uint16_t type; /* CQL_T_*; CQL_T_SET means set<text> */
} col_def;

static const col_def cols[TC_COUNT] = {
    [TC_PEER] = {"peer", CQL_T_INET},
    [TC_RPC_ADDRESS] = {"rpc_address", CQL_T_INET},
    [TC_NATIVE_ADDRESS] = {"native_address", CQL_T_INET},
    [TC_BROADCAST_ADDRESS] = {"broadcast_address", CQL_T_INET},
    [TC_NATIVE_PORT] = {"native_port", CQL_T_INT},
    [TC_RPC_PORT] = {"rpc_port", CQL_T_INT},
    [TC_DC] = {"data_center", CQL_T_VARCHAR},
    [TC_RACK] = {"rack", CQL_T_VARCHAR},
    [TC_TOKENS] = {"tokens", CQL_T_SET},
    [TC_HOST_ID] = {"host_id", CQL_T_UUID},
    [TC_SCHEMA] = {"schema_version", CQL_T_UUID},
    [TC_RELEASE] = {"release_version", CQL_T_VARCHAR},
    [TC_PARTITIONER] = {"partitioner", CQL_T_VARCHAR},
};

static bool is_text(uint16_t id) { return id == CQL_T_VARCHAR || id == CQL_T_ASCII; }

static bool type_ok(const cql_type *t, uint16_t want) {
    if (want == CQL_T_VARCHAR) return is_text(t->id);
    if (want != CQL_T_SET) return t->id == want;
    cql_iter kids;
    cql_type elem;
    return t->id == CQL_T_SET && vl__cql_type_children(t, &kids) == 1 &&
           vl__cql_type_next(&kids, &elem, NULL) && is_text(elem.id);
}

cql_err vl__cql_topo_open(const cql_result *res, cql_topo_table t, cql_topo_iter *it) {
    memset(it, 0, sizeof *it);
    for (int i = 0; i < TC_COUNT; i++) it->col[i] = -1;
    if (res->kind != CQL_RESULT_ROWS) return CQL_EBADKIND;
    const cql_meta *m = &res->rows.meta;
    if (m->flags & CQL_META_NO_METADATA) return CQL_EBADKIND;
    cql_iter specs = m->specs;
    cql_colspec cs;
    for (int32_t i = 0; vl__cql_colspec_next(m, &specs, &cs); i++)
        for (int c = 0; c < TC_COUNT; c++) {
            if (!vl__cql_slice_eq(cs.name, cols[c].name)) continue;
            if (!type_ok(&cs.type, cols[c].type)) return CQL_EBADKIND;
            it->col[c] = i;
        }
    if (t != CQL_TOPO_LOCAL && it->col[TC_PEER] < 0 && it->col[TC_NATIVE_ADDRESS] < 0 &&
        it->col[TC_RPC_ADDRESS] < 0)
        return CQL_EBADKIND;
    it->rows = res->rows.cells;
    it->table = t;
    return CQL_OK;
}

/* ---- cells --------------------------------------------------------------- */

cql_err vl__cql_inet_sockaddr(cql_slice addr, int32_t port, struct sockaddr_storage *out) {
    memset(out, 0, sizeof *out);
    if (port < 0 || port > 65535) return CQL_EBADKIND;
    if (addr.len == 4) {
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        memcpy(&a->sin_addr, addr.p, 4);
        return CQL_OK;
    }
    if (addr.len == 16) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        memcpy(&a->sin6_addr, addr.p, 16);
        return CQL_OK;
    }
    return CQL_EBADLEN;
}

cql_err vl__cql_token_parse(cql_slice s, int64_t *out) {
    size_t i = 0;
    bool neg = s.len > 0 && s.p[0] == '-';
    if (neg) i = 1;
    if (s.len == i || s.len - i > 19) return CQL_EBADKIND;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return CQL_EBADKIND;
        uint64_t d = (uint64_t)(s.p[i] - '0');
        if (v > (limit - d) / 10) return CQL_EBADKIND;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return CQL_OK;
}

bool vl__cql_token_next(cql_iter *tokens, int64_t *out) {
    cql_value v;
    cql_slice s;
    if (!vl__cql_cell_next(tokens, &v) || vl__cql_get_text(&v, &s) != CQL_OK) return false;
    return vl__cql_token_parse(s, out) == CQL_OK;
}

/* set<text> of tokens: [int n] then n [bytes], each a valid token. */
static cql_err rd_tokens(const cql_value *cell, cql_node_row *out) {
    cql_rd r = vl__cql_rd_of(vl__cql_slice_of(cell->p, (size_t)cell->len));
    int32_t n;
    cql_err e = vl__cql_rd_i32(&r, &n);
    if (e) return e;
    if (n < 0 || (uint32_t)n > VL_CQL_NODE_TOKENS_MAX) return CQL_EBADCOUNT;
    if ((e = vl__cql_rd_afford(&r, (uint32_t)n, 4)) != CQL_OK) return e;
    const uint8_t *start = r.p;
    for (int32_t i = 0; i < n; i++) {
        cql_value v;
        int64_t t;
        if ((e = vl__cql_rd_bytes(&r, &v)) != CQL_OK) return e;
        if (v.len < 0) return CQL_ENULL;
        if ((e = vl__cql_token_parse(vl__cql_slice_of(v.p, (size_t)v.len), &t)) != CQL_OK) return e;
    }
    out->tokens = vl__cql_iter_span(start, &r, (uint32_t)n);
    out->n_tokens = (uint32_t)n;
    return CQL_OK;
}

static cql_err rd_fixed(const cql_value *v, int32_t width, uint8_t *dst, bool *has) {
    if (v->len < 0) return CQL_OK; /* null: absent */
    if (v->len != width) return CQL_ETYPE;
    memcpy(dst, v->p, (size_t)width);
    *has = true;
    return CQL_OK;
}

static bool wildcard(const cql_value *v) {
    static const uint8_t zero[16];
    return v->len < 0 || memcmp(v->p, zero, (size_t)v->len) == 0;
}

/* The cells of one row, by column. */
typedef struct row_cells {
    cql_value c[TC_COUNT];
} row_cells;

static cql_err check_cell(int c, const cql_value *v) {
    if (v->len < 0) return CQL_OK;
    if (cols[c].type == CQL_T_INET && v->len != 4 && v->len != 16) return CQL_ETYPE;
    if (cols[c].type == CQL_T_INT && v->len != 4) return CQL_ETYPE;
    return CQL_OK;
}

static int32_t port_of(const cql_value *v) {
    return v->len == 4 ? (int32_t)vl__cql_be32(v->p) : 0;
}

static void pick_addr(const cql_topo_iter *it, const row_cells *rc, cql_node_row *out) {
    int primary = it->table == CQL_TOPO_PEERS_V2 ? TC_NATIVE_ADDRESS : TC_RPC_ADDRESS;
    int port = it->table == CQL_TOPO_PEERS_V2 ? TC_NATIVE_PORT : TC_RPC_PORT;
    int fallback = it->table == CQL_TOPO_LOCAL ? TC_BROADCAST_ADDRESS : TC_PEER;
    const cql_value *a = &rc->c[primary];
    int32_t p = port_of(&rc->c[port]);
    if (wildcard(a)) {
        a = &rc->c[fallback];
        if (it->table != CQL_TOPO_PEERS_V2) p = 0;
    }
    if (a->len < 0) return;
    out->has_addr = vl__cql_inet_sockaddr(vl__cql_slice_of(a->p, (size_t)a->len), p, &out->addr) ==
                    CQL_OK;
}

cql_err vl__cql_topo_next(cql_topo_iter *it, cql_node_row *out, bool *got) {
    memset(out, 0, sizeof *out);
    *got = false;
    cql_iter row;
    if (!vl__cql_row_next(&it->rows, &row)) return CQL_OK;
    row_cells rc;
    for (int c = 0; c < TC_COUNT; c++) rc.c[c].len = CQL_LEN_NULL;
    cql_value v;
    for (int32_t i = 0; vl__cql_cell_next(&row, &v); i++)
        for (int c = 0; c < TC_COUNT; c++)
            if (it->col[c] == i) rc.c[c] = v;
    cql_err e = CQL_OK;
    for (int c = 0; !e && c < TC_COUNT; c++) e = check_cell(c, &rc.c[c]);
    if (!e) e = rd_fixed(&rc.c[TC_HOST_ID], 16, out->host_id, &out->has_host_id);
    if (!e) e = rd_fixed(&rc.c[TC_SCHEMA], 16, out->schema, &out->has_schema);
    if (!e && rc.c[TC_TOKENS].len >= 0) e = rd_tokens(&rc.c[TC_TOKENS], out);
    if (e) return e;
    cql_slice *text[] = {&out->dc, &out->rack, &out->release, &out->partitioner};
    int text_col[] = {TC_DC, TC_RACK, TC_RELEASE, TC_PARTITIONER};
    for (int k = 0; k < 4; k++)
        (void)vl__cql_get_text(&rc.c[text_col[k]], text[k]);
    pick_addr(it, &rc, out);
    *got = true;
    return CQL_OK;
}

cql_err vl__cql_topo_first(const cql_result *res, cql_topo_table t, cql_node_row *out) {
    cql_topo_iter it;
    bool got = false;
    cql_err e = vl__cql_topo_open(res, t, &it);
    if (e == CQL_OK) e = vl__cql_topo_next(&it, out, &got);
    return e == CQL_OK && !got ? CQL_ENULL : e;
}

/* ---- replication ------------------------------------------------------------ */

/* "3" or "3/1": the leading number. */
static cql_err rd_factor(cql_slice s, uint32_t *rf) {
    size_t i = 0;
    uint64_t v = 0;
    for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s.p[i] - '0');
        if (v > 1000) return CQL_EBADKIND;
    }
    if (i == 0 || (i < s.len && s.p[i] != '/')) return CQL_EBADKIND;
    *rf = (uint32_t)v;
    return CQL_OK;
}

static bool ends_with(cql_slice s, const char *suffix) {
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.p + s.len - n, suffix, n) == 0 &&
           (s.len == n || s.p[s.len - n - 1] == '.');
}

static cql_err rd_repl_entry(cql_slice k, cql_slice v, cql_replication *out, bool nts_dc) {
    if (vl__cql_slice_eq(k, "class")) {
        if (ends_with(v, "SimpleStrategy")) out->cls = CQL_REPL_SIMPLE;
        else if (ends_with(v, "NetworkTopologyStrategy")) out->cls = CQL_REPL_NTS;
        return CQL_OK;
    }
    if (vl__cql_slice_eq(k, "replication_factor")) return rd_factor(v, &out->rf);
    if (!nts_dc) return CQL_OK;
    if (out->n_dcs == VL_CQL_REPL_DCS_MAX || k.len > VL_CQL_DC_NAME_MAX) return CQL_EBADCOUNT;
    cql_repl_dc *d = &out->dcs[out->n_dcs];
    memcpy(d->name, k.p, k.len);
    d->name[k.len] = 0;
    cql_err e = rd_factor(v, &d->rf);
    if (!e) out->n_dcs++;
    return e;
}

/* Two passes over map<text, text>: the class, then (for NTS) the DCs. */
static cql_err rd_repl_map(const cql_value *cell, cql_replication *out) {
    for (int pass = 0; pass < 2; pass++) {
        cql_rd r = vl__cql_rd_of(vl__cql_slice_of(cell->p, (size_t)cell->len));
        int32_t n;
        cql_err e = vl__cql_rd_i32(&r, &n);
        if (!e && n < 0) e = CQL_EBADCOUNT;
        if (!e) e = vl__cql_rd_afford(&r, (uint32_t)n, 8);
        for (int32_t i = 0; !e && i < n; i++) {
            cql_value k, v;
            e = vl__cql_rd_bytes(&r, &k);
            if (!e) e = vl__cql_rd_bytes(&r, &v);
            if (!e && (k.len < 0 || v.len < 0)) e = CQL_ENULL;
            if (!e && (pass == 0) == vl__cql_slice_eq(vl__cql_slice_of(k.p, (size_t)k.len), "class"))
                e = rd_repl_entry(vl__cql_slice_of(k.p, (size_t)k.len),
                                  vl__cql_slice_of(v.p, (size_t)v.len), out,
                                  pass == 1 && out->cls == CQL_REPL_NTS);
        }
        if (e) return e;
    }
    return CQL_OK;
}

cql_err vl__cql_replication_decode(const cql_result *res, cql_replication *out, bool *found) {
    memset(out, 0, sizeof *out);
    *found = false;
    if (res->kind != CQL_RESULT_ROWS) return CQL_EBADKIND;
    const cql_meta *m = &res->rows.meta;
    if (m->flags & CQL_META_NO_METADATA) return CQL_EBADKIND;
    int32_t col = -1;
    cql_iter specs = m->specs;
    cql_colspec cs;
    for (int32_t i = 0; vl__cql_colspec_next(m, &specs, &cs); i++)
        if (vl__cql_slice_eq(cs.name, "replication")) {
            if (cs.type.id != CQL_T_MAP) return CQL_EBADKIND;
            col = i;
        }
    if (col < 0) return CQL_EBADKIND;
    cql_iter rows = res->rows.cells, row;
    if (!vl__cql_row_next(&rows, &row)) return CQL_OK;
    cql_value v;
    for (int32_t i = 0; vl__cql_cell_next(&row, &v); i++)
        if (i == col) break;
    if (v.len < 0) return CQL_ENULL;
    cql_err e = rd_repl_map(&v, out);
    if (e) {
        memset(out, 0, sizeof *out);
        return e;
    }
    *found = true;
    return CQL_OK;
}
