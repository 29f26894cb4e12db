/*
 * pg_ops.c -- the PostgreSQL upstream's requests on the wire: how a load, a
 * commit batch, a scan page, a truncate, a purge pass and the setup
 * statements are sent in pipeline mode, and how their answers become
 * completions.
 *
 * Owns: pg_op records, parameter encoding (PostgreSQL's binary formats for
 * bytea, timestamptz and one-dimensional arrays), result decoding.
 * Threads: the owning shard's thread only.
 *
 * Every op is some queries followed by one Sync. Between two Syncs the
 * server runs one implicit transaction: a commit batch is atomic, and a
 * failing statement aborts only its own op. Loads are the exception: the
 * loads of one turn of the shard's loop share one Sync (an OP_SYNC op after
 * them), since a read-only transaction per load and a write to the socket
 * per load cost more than the loads; a failed load there aborts the loads
 * after it in the group, which fail with the same status. libpq returns,
 * per query, its results and then a NULL; per Sync, one PGRES_PIPELINE_SYNC.
 * The answers come in the order the ops were sent, so the op at the head of
 * pg->wire owns whatever libpq returns next: a load is complete when its
 * results end, any other op at its Sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/pg_int.h"
#include "util/clock.h"

/* Type OIDs (catalog/pg_type_d.h is a server header). */
enum {
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT4 = 23,
    OID_BYTEA_ARRAY = 1001,
    OID_TIMESTAMPTZ = 1184,
    OID_TIMESTAMPTZ_ARRAY = 1185
};

static const char *const stmt_names[PG_ST_COUNT] = {
    "vl_load", "vl_put_arr", "vl_del_arr", "vl_put_row", "vl_del_row", "vl_purge",
    "vl_scan_first", "vl_scan_after",
};
static const Oid t_key[] = {OID_BYTEA};
static const Oid t_put_arr[] = {OID_BYTEA_ARRAY, OID_BYTEA_ARRAY, OID_TIMESTAMPTZ_ARRAY};
static const Oid t_del_arr[] = {OID_BYTEA_ARRAY};
static const Oid t_put_row[] = {OID_BYTEA, OID_BYTEA, OID_TIMESTAMPTZ};
static const Oid t_purge[] = {OID_INT4};
static const Oid t_scan_first[] = {OID_INT8};
static const Oid t_scan_after[] = {OID_BYTEA, OID_INT8};

const char *vl__pg_stmt_name(enum pg_stmt s) { return stmt_names[s]; }

int vl__pg_stmt_params(enum pg_stmt s, const Oid **types) {
    static const Oid *const all[PG_ST_COUNT] = {t_key,   t_put_arr,    t_del_arr,   t_put_row,
                                                t_key,   t_purge,      t_scan_first,
                                                t_scan_after};
    static const int counts[PG_ST_COUNT] = {1, 3, 1, 3, 1, 1, 1, 2};
    *types = all[s];
    return counts[s];
}

static const int binary3[3] = {1, 1, 1};

pg_op *vl__pg_op_new(pg_op_kind kind) {
    pg_op *op = calloc(1, sizeof *op);
    if (op) op->kind = (uint8_t)kind;
    return op;
}

/* ---- completing ---------------------------------------------------------- */

static void op_free(pg_conn *pg, pg_op *op) {
    if (op->counted) pg->requests--;
    PQclear(op->res);
    free(op);
}

void vl__pg_op_fail(pg_conn *pg, pg_op *op, vl_status st) {
    if (op->kind == OP_LOAD) vl_load_done(op->req.load, st, NULL, 0, 0);
    else if (op->kind == OP_COMMIT) vl_batch_done(op->req.batch, st);
    else if (op->kind == OP_SCAN) vl_scan_req_done(op->req.scan, st, false);
    else if (op->kind == OP_TRUNCATE) vl_truncate_done(op->req.truncate, st);
    if (vl__pg_op_is_request(op)) PG_COUNT(pg->f, failed, 1);
    op_free(pg, op);
}

static uint64_t be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static void finish_load(pg_conn *pg, pg_op *op) {
    PGresult *r = op->res;
    vl_status st = op->status;
    if (st == VL_OK && (!r || PQntuples(r) == 0)) st = VL_ENOTFOUND;
    if (st == VL_OK && (PQnfields(r) != 2 || PQfformat(r, 0) != 1)) st = VL_EINTERNAL;
    if (st != VL_OK) {
        if (st != VL_ENOTFOUND) PG_COUNT(pg->f, failed, 1);
        vl_load_done(op->req.load, st, NULL, 0, 0);
        return;
    }
    int64_t exp = 0;
    if (!PQgetisnull(r, 0, 1) && PQgetlength(r, 0, 1) == 8)
        exp = (int64_t)be64((const uint8_t *)PQgetvalue(r, 0, 1));
    vl_load_done(op->req.load, VL_OK, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), exp);
}

static void finish_commit(pg_conn *pg, pg_op *op) {
    vl_batch *b = op->req.batch;
    if (op->status != VL_OK) {
        PG_COUNT(pg->f, failed, 1);
    } else {
        uint64_t put = 0, del = 0;
        for (uint32_t i = 0; i < b->count; i++) {
            if (b->items[i].status != VL_OK) continue;
            if (b->items[i].value) put++;
            else del++;
        }
        PG_COUNT(pg->f, commits, 1);
        PG_COUNT(pg->f, rows_upserted, put);
        PG_COUNT(pg->f, rows_deleted, del);
    }
    vl_batch_done(b, op->status);
}

/* A scan page: the rows are the first count + 1 live keys after the
 * position, in key order (binary: bytea, int8 ms or NULL). */
static void finish_scan(pg_conn *pg, pg_op *op) {
    PGresult *r = op->res;
    vl_scan_req *req = op->req.scan;
    vl_status st = op->status;
    if (st == VL_OK && r && (PQnfields(r) != 2 || PQfformat(r, 0) != 1)) st = VL_EINTERNAL;
    int rows = st == VL_OK && r ? PQntuples(r) : 0;
    int count = (int)vl_scan_req_count(req);
    for (int i = 0; i < rows && i < count && st == VL_OK; i++) {
        int64_t exp = 0;
        if (!PQgetisnull(r, i, 1) && PQgetlength(r, i, 1) == 8)
            exp = (int64_t)be64((const uint8_t *)PQgetvalue(r, i, 1));
        st = vl_scan_req_add(req, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0), exp);
    }
    if (st != VL_OK) PG_COUNT(pg->f, failed, 1);
    vl_scan_req_done(req, st, st == VL_OK && rows > count);
}

/* An op is complete (its Sync arrived; a load: its results ended). Runs
 * last for `op` (frees it). */
static void op_done(pg_conn *pg, pg_op *op) {
    pg_op_kind kind = (pg_op_kind)op->kind;
    vl_status st = op->status;
    bool locked = false;
    switch (kind) {
    case OP_LOAD:
        finish_load(pg, op);
        break;
    case OP_COMMIT:
        finish_commit(pg, op);
        break;
    case OP_SCAN:
        finish_scan(pg, op);
        break;
    case OP_TRUNCATE:
        if (st != VL_OK) PG_COUNT(pg->f, failed, 1);
        vl_truncate_done(op->req.truncate, st);
        break;
    case OP_PURGE:
        vl__pg_conn_purged(pg, op->count, st);
        break;
    case OP_CREATE:
        if (st == VL_OK) pg->created = true;
        break;
    case OP_FENCE:
        locked = op->res && PQntuples(op->res) == 1 && PQgetvalue(op->res, 0, 0)[0] == 't';
        break;
    case OP_FENCE_WAIT:
        locked = st == VL_OK;
        break;
    default:
        break;
    }
    op_free(pg, op);
    if ((kind == OP_CREATE || kind == OP_PREPARE) && st != VL_OK)
        vl__pg_conn_drop(pg, st, kind == OP_CREATE ? "creating the table failed"
                                                : "preparing the statements failed");
    else if (kind == OP_FENCE || kind == OP_FENCE_WAIT || kind == OP_TERMINATE)
        vl__pg_conn_fenced(pg, kind, st, locked);
}

/* ---- answers ------------------------------------------------------------- */

static const char *op_name(const pg_op *op) {
    static const char *const names[] = {"?",         "load",   "commit",  "scan",
                                        "truncate",  "purge",  "create",  "prepare",
                                        "fence",     "fence wait", "terminate", "sync"};
    return op->kind < sizeof names / sizeof names[0] ? names[op->kind] : "?";
}

/* Errors of requests are logged at most once a second per connection. */
static void note_error(pg_conn *pg, pg_op *op, const PGresult *r) {
    if (op->status != VL_OK) return; /* the first error is the one */
    if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) { /* by an earlier error */
        op->status = pg->abort_status != VL_OK ? pg->abort_status : VL_EQUERY;
        return;
    }
    op->status = vl__pg_result_status(r, pg->conn);
    if (pg->abort_status == VL_OK) pg->abort_status = op->status;
    const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    vl_log_level level = VL_LOG_WARN;
    if (op->kind == OP_FENCE_WAIT && op->status == VL_EOVERLOADED) {
        level = VL_LOG_INFO; /* the lock timeout, expected */
    } else if (vl__pg_op_is_request(op) || op->kind == OP_PURGE) {
        int64_t now = vl__mono_us();
        if (now - pg->last_log_us < 1000000) return;
        pg->last_log_us = now;
    } else if (pg->opening) {
        level = VL_LOG_ERROR;
    }
    vl__pg_logf(pg, level, "%s on table %s failed: %s (%s, SQLSTATE %s)", op_name(op), pg->f->table,
            PQresultErrorMessage(r), vl_status_name(op->status), code ? code : "none");
}

/* One result of the head op's current query. Takes `r`. */
static void op_result(pg_conn *pg, pg_op *op, PGresult *r) {
    switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
        if (op->kind == OP_LOAD || op->kind == OP_SCAN || op->kind == OP_FENCE) {
            PQclear(op->res);
            op->res = r;
            return;
        }
        break;
    case PGRES_COMMAND_OK:
        if (op->kind == OP_PURGE) op->count = strtoll(PQcmdTuples(r), NULL, 10);
        break;
    case PGRES_EMPTY_QUERY:
        break;
    default: /* FATAL_ERROR, PIPELINE_ABORTED, BAD_RESPONSE, ... */
        note_error(pg, op, r);
        break;
    }
    PQclear(r);
}

void vl__pg_take_results(pg_conn *pg) {
    uint64_t gen = pg->gen;
    pg->strays = 0;
    while (pg->wire.head && pg->gen == gen && !PQisBusy(pg->conn)) {
        pg_op *op = pg->wire.head;
        PGresult *r = PQgetResult(pg->conn);
        if (!r) {
            if (op->queries_left == 0) {
                if (pg->strays++ > 0) return; /* nothing more for now */
            } else if (--op->queries_left == 0 && op->kind == OP_LOAD) {
                op_done(pg, vl__pg_list_pop(&pg->wire)); /* a load ends with its results */
            }
            continue;
        }
        pg->strays = 0;
        if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
            op_result(pg, op, r);
            continue;
        }
        PQclear(r);
        pg->abort_status = VL_OK;
        if (op->queries_left > 0 || op->kind == OP_LOAD) {
            vl__pg_conn_drop(pg, VL_EINTERNAL, "pipeline answers out of step");
            return;
        }
        op_done(pg, vl__pg_list_pop(&pg->wire));
    }
}

/* ---- parameters ------------------------------------------------------------ */

static bool put32(vl_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return vl_buf_append(b, x, 4) == VL_OK;
}


static void ts_bytes(int64_t ms, uint8_t out[8]) {
    uint64_t v = (uint64_t)vl__pg_ms_to_ts(ms);
    for (int i = 7; i >= 0; i--, v >>= 8) out[i] = (uint8_t)v;
}

/* A one-dimensional array head: ndim, has-nulls flag, element type, length,
 * lower bound. Returns the flag's offset, or SIZE_MAX if out of memory. */
static size_t array_head(vl_buf *b, Oid elem, uint32_t n) {
    size_t flag = b->len + 4;
    if (!put32(b, 1) || !put32(b, 0) || !put32(b, elem) || !put32(b, n) || !put32(b, 1))
        return SIZE_MAX;
    return flag;
}

static bool array_elem(vl_buf *b, const void *p, size_t n) {
    return put32(b, (uint32_t)n) && vl_buf_append(b, p, n) == VL_OK;
}

/* ---- commits --------------------------------------------------------------- */

/* What sending an op came to. */
typedef enum send_result {
    SENT,  /* its queries are on the wire (it is in pg->wire); a Sync is due */
    DONE,  /* completed without going on the wire (and freed) */
    BROKEN /* the connection failed; the op may be in pg->wire */
} send_result;

/* One statement's parameters, as offsets into pg->scratch (which may move
 * while later ones are built). */
typedef struct stmt_args {
    enum pg_stmt stmt;
    int n;
    size_t off[3], len[3];
} stmt_args;

/* Keys longer than VL_PG_KEY_MAX are never sent: the table cannot hold
 * them, so their upserts fail (screen_items) and their deletes are done. */
static bool sendable(const vl_commit_item *it) {
    return it->status == VL_OK && it->key_len <= VL_PG_KEY_MAX;
}

static bool wanted(const vl_commit_item *it, bool del) {
    return sendable(it) && (it->value == NULL) == del;
}

/* The items [from, *end) of one statement: as many wanted items as fit in
 * VL_PG_STATEMENT_BYTES_MAX (at least one). Returns how many. */
static uint32_t chunk(const vl_batch *b, uint32_t from, bool del, uint32_t *end) {
    uint64_t bytes = 0;
    uint32_t n = 0, i = from;
    for (; i < b->count; i++) {
        const vl_commit_item *it = &b->items[i];
        if (!wanted(it, del)) continue;
        uint64_t sz = 4 + it->key_len + (del ? 0 : 4 + it->value_len + 12);
        if (n > 0 && bytes + sz > VL_PG_STATEMENT_BYTES_MAX) break;
        bytes += sz;
        n++;
    }
    *end = i;
    return n;
}

/* Builds the arrays of one multi-row statement over items [from, end). */
static bool build_chunk(vl_buf *s, const vl_batch *b, uint32_t from, uint32_t end, uint32_t n,
                        bool del, stmt_args *a) {
    a->stmt = del ? PG_ST_DEL_ARR : PG_ST_PUT_ARR;
    a->n = del ? 1 : 3;
    for (int col = 0; col < a->n; col++) {
        a->off[col] = s->len;
        size_t flag = array_head(s, col == 2 ? OID_TIMESTAMPTZ : OID_BYTEA, n);
        if (flag == SIZE_MAX) return false;
        for (uint32_t i = from; i < end; i++) {
            const vl_commit_item *it = &b->items[i];
            if (!wanted(it, del)) continue;
            bool ok;
            if (col == 0) {
                ok = array_elem(s, it->key, it->key_len);
            } else if (col == 1) {
                ok = array_elem(s, it->value, it->value_len);
            } else if (it->expires_at) {
                uint8_t ts[8];
                ts_bytes(it->expires_at, ts);
                ok = array_elem(s, ts, 8);
            } else {
                ok = put32(s, UINT32_MAX); /* NULL */
                s->data[flag + 3] = 1;
            }
            if (!ok) return false;
        }
        a->len[col] = s->len - a->off[col];
    }
    return true;
}

/* Builds every statement of a batch in ARRAYS mode. Returns how many, or -1
 * if out of memory. `args` has room for b->count + 1. */
static int build_arrays(pg_conn *pg, const vl_batch *b, stmt_args *args) {
    vl_buf *s = &pg->scratch;
    s->len = 0;
    int nargs = 0;
    for (int del = 0; del < 2; del++) {
        uint32_t from = 0, end, n;
        while (from < b->count && (n = chunk(b, from, del, &end)) > 0) {
            if (!build_chunk(s, b, from, end, n, del, &args[nargs])) return -1;
            nargs++;
            from = end;
        }
    }
    return nargs;
}

static bool send_args(pg_conn *pg, pg_op *op, const stmt_args *a) {
    const char *vals[3];
    int lens[3];
    for (int i = 0; i < a->n; i++) {
        vals[i] = (const char *)pg->scratch.data + a->off[i];
        lens[i] = (int)a->len[i];
    }
    op->queries_left++;
    return PQsendQueryPrepared(pg->conn, stmt_names[a->stmt], a->n, vals, lens, binary3, 1);
}

static bool send_row(pg_conn *pg, pg_op *op, const vl_commit_item *it) {
    static const char empty[1] = {0};
    const char *vals[3] = {it->key_len ? (const char *)it->key : empty, NULL, NULL};
    int lens[3] = {(int)it->key_len, 0, 0};
    uint8_t ts[8];
    op->queries_left++;
    if (!it->value)
        return PQsendQueryPrepared(pg->conn, stmt_names[PG_ST_DEL_ROW], 1, vals, lens, binary3, 1);
    vals[1] = it->value_len ? (const char *)it->value : empty;
    lens[1] = (int)it->value_len;
    if (it->expires_at) {
        ts_bytes(it->expires_at, ts);
        vals[2] = (const char *)ts;
        lens[2] = 8;
    }
    return PQsendQueryPrepared(pg->conn, stmt_names[PG_ST_PUT_ROW], 3, vals, lens, binary3, 1);
}

/* Values the table could never hold fail on their own, instead of failing
 * their whole batch at the server on every retry. Returns how many items
 * are left to send. */
static uint32_t screen_items(vl_batch *b) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->count; i++) {
        vl_commit_item *it = &b->items[i];
        if (it->key_len > VL_PG_KEY_MAX && it->value) it->status = VL_ETOOBIG;
        n += sendable(it);
    }
    return n;
}

static send_result sent(bool ok) { return ok ? SENT : BROKEN; }

static send_result send_commit(pg_conn *pg, pg_op *op) {
    vl_batch *b = op->req.batch;
    if (screen_items(b) == 0) {
        vl_batch_done(b, VL_OK); /* nothing to send; each item says why */
        op_free(pg, op);
        return DONE;
    }
    if (pg->f->o.commit_mode == VL_PG_COMMIT_ROWS) {
        vl__pg_list_push(&pg->wire, op);
        for (uint32_t i = 0; i < b->count; i++)
            if (sendable(&b->items[i]) && !send_row(pg, op, &b->items[i])) return BROKEN;
        return SENT;
    }
    stmt_args *args = malloc((b->count + 1) * sizeof *args);
    int n = args ? build_arrays(pg, b, args) : -1;
    if (n < 0) {
        free(args);
        vl__pg_op_fail(pg, op, VL_ENOMEM);
        return DONE;
    }
    vl__pg_list_push(&pg->wire, op);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) ok = send_args(pg, op, &args[i]);
    free(args);
    return sent(ok);
}

/* ---- the other ops ----------------------------------------------------------- */

static send_result send_load(pg_conn *pg, pg_op *op) {
    static const char empty[1] = {0};
    size_t klen;
    const void *key = vl_load_key(op->req.load, &klen);
    const char *vals[1] = {klen ? key : empty};
    int lens[1] = {(int)klen};
    vl__pg_list_push(&pg->wire, op);
    op->queries_left = 1;
    PG_COUNT(pg->f, loads, 1);
    return sent(PQsendQueryPrepared(pg->conn, stmt_names[PG_ST_LOAD], 1, vals, lens, binary3, 1));
}

static send_result send_scan(pg_conn *pg, pg_op *op) {
    static const char empty[1] = {0};
    static const int formats[2] = {1, 0}; /* the position binary, the limit as text */
    size_t alen;
    const void *after = vl_scan_req_after(op->req.scan, &alen);
    char limit[16];
    snprintf(limit, sizeof limit, "%u", vl_scan_req_count(op->req.scan) + 1);
    const char *vals[2] = {alen ? after : empty, limit};
    int lens[2] = {(int)alen, 0};
    enum pg_stmt s = after ? PG_ST_SCAN_AFTER : PG_ST_SCAN_FIRST;
    int first = after ? 0 : 1; /* the first page has only the limit */
    vl__pg_list_push(&pg->wire, op);
    op->queries_left = 1;
    return sent(PQsendQueryPrepared(pg->conn, stmt_names[s], 2 - first, vals + first,
                                    lens + first, formats + first, 1));
}

static send_result send_purge(pg_conn *pg, pg_op *op) {
    char limit[16];
    snprintf(limit, sizeof limit, "%u", pg->f->o.purge_batch);
    const char *vals[1] = {limit};
    vl__pg_list_push(&pg->wire, op);
    op->queries_left = 1;
    return sent(PQsendQueryPrepared(pg->conn, stmt_names[PG_ST_PURGE], 1, vals, NULL, NULL, 0));
}

static bool send_sql(pg_conn *pg, pg_op *op, const char *sql, int n, const char *const *vals) {
    op->queries_left++;
    return PQsendQueryParams(pg->conn, sql, n, NULL, vals, NULL, NULL, 0);
}

/* The fence's lock: (VL_PG_FENCE_CLASS, this instance's random key). */
#define VL_PG_FENCE_CLASS "1986358380" /* "vell" */

static bool send_setup_sql(pg_conn *pg, pg_op *op) {
    char key[16], timeout[16], stmt[16];
    snprintf(key, sizeof key, "%d", (int)pg->fence_key);
    snprintf(timeout, sizeof timeout, "%u", VL_PG_FENCE_TERMINATE_MS);
    uint32_t half = pg->f->o.request_timeout_ms / 2;
    snprintf(stmt, sizeof stmt, "%u", half ? half : 1);
    const char *lock[2] = {VL_PG_FENCE_CLASS, key};
    const char *to[1] = {timeout}, *st[1] = {stmt};
    vl__pg_list_push(&pg->wire, op);
    switch (op->kind) {
    case OP_TRUNCATE: /* bounded on the server: see hold_truncate in pg_conn.c */
        return send_sql(pg, op, "SELECT set_config('statement_timeout', $1, true)", 1, st) &&
               send_sql(pg, op, pg->f->truncate_sql, 0, NULL);
    case OP_CREATE:
        return send_sql(pg, op, "SELECT pg_advisory_xact_lock(hashtext('vellir:create'))", 0,
                        NULL) &&
               send_sql(pg, op, pg->f->create_sql[0], 0, NULL) &&
               send_sql(pg, op, pg->f->create_sql[1], 0, NULL);
    case OP_PREPARE:
        for (int s = 0; s < PG_ST_COUNT; s++) {
            const Oid *types;
            int n = vl__pg_stmt_params((enum pg_stmt)s, &types);
            op->queries_left++;
            if (!PQsendPrepare(pg->conn, stmt_names[s], pg->f->stmt_sql[s], n, types))
                return false;
        }
        return true;
    case OP_FENCE:
        return send_sql(pg, op, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", 2, lock);
    case OP_FENCE_WAIT:
        return send_sql(pg, op, "SELECT set_config('lock_timeout', $1, true)", 1, to) &&
               send_sql(pg, op, "SELECT pg_advisory_lock($1::int4, $2::int4)", 2, lock);
    case OP_TERMINATE:
        return send_sql(pg, op,
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l "
                        "WHERE l.locktype = 'advisory' AND l.database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                        "AND l.classid = $1::int8::oid AND l.objid = $2::int8::oid "
                        "AND l.objsubid = 2 AND l.granted AND l.pid <> pg_backend_pid()",
                        2, lock);
    default:
        return false;
    }
}

bool vl__pg_close_group(pg_conn *pg) {
    if (pg->unsynced == 0) return true;
    pg->unsynced = 0;
    pg_op *s = vl__pg_op_new(OP_SYNC);
    if (!s) return false; /* the loads cannot be ended: drop them */
    s->sent_us = vl__mono_us();
    vl__pg_list_push(&pg->wire, s);
    return PQpipelineSync(pg->conn) == 1;
}

bool vl__pg_send(pg_conn *pg, pg_op *op) {
    op->sent_us = vl__mono_us();
    /* Anything but a load ends the group: it must not join its transaction. */
    if (op->kind != OP_LOAD && !vl__pg_close_group(pg)) {
        vl__pg_list_push(&pg->wire, op); /* failed with the others by the drop */
        return false;
    }
    send_result r;
    switch (op->kind) {
    case OP_LOAD:
        r = send_load(pg, op);
        break;
    case OP_COMMIT:
        r = send_commit(pg, op);
        break;
    case OP_SCAN:
        r = send_scan(pg, op);
        break;
    case OP_PURGE:
        r = send_purge(pg, op);
        break;
    default:
        r = sent(send_setup_sql(pg, op));
        break;
    }
    if (r == DONE) return true; /* completed without going on the wire */
    if (r != SENT) return false;
    if (op->kind != OP_LOAD) return PQpipelineSync(pg->conn) == 1;
    if (++pg->unsynced >= VL_PG_LOAD_GROUP_MAX) return vl__pg_close_group(pg);
    vl__pg_conn_sync_later(pg);
    return true;
}
