/*
 * pg_upstream.c -- the PostgreSQL upstream's face: vellir_pg.h's options and
 * factory, the vl_upstream_ops the cache calls, and the statistics.
 *
 * Owns: pg_factory (options, statement texts, counters) and the ops.
 * Threads: vl_pg_options_init, vl_pg_upstream and vl_pg_stats_get on any
 * thread; the ops on each shard's thread (open runs the shard's loop until
 * its first connection is ready or has failed).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/pg_int.h"
#include "util/options.h"

/* ---- options: one table, vellir_pg.h names the numbers -------------------- */

#define U32(f, def, max, why) \
    VL_OPT_NUM(vl_pg_options, f, OPT_U32, OPT_ZERO_DEFAULT, def, 1, max, why)
_Static_assert(sizeof(vl_pg_commit_mode) == sizeof(uint32_t), "commit_mode is a 32-bit row");

static const vl_opt_row options_table[] = {
    VL_OPT_STR(vl_pg_options, table, "vellir",
               "table, optionally schema-qualified; each part an identifier"),
    VL_OPT_BOOL(vl_pg_options, create, false, "create the table and its index if missing"),
    VL_OPT_BOOL(vl_pg_options, purge, true, "shard 0 deletes expired rows in the background"),
    /* Measured in docs/postgres.md: the array form is the faster. */
    VL_OPT_NUM(vl_pg_options, commit_mode, OPT_U32, OPT_ZERO_DEFAULT, VL_PG_COMMIT_ARRAYS,
               VL_PG_COMMIT_DEFAULT, VL_PG_COMMIT_ROWS, "a vl_pg_commit_mode"),
    U32(connect_timeout_ms, VL_PG_CONNECT_TIMEOUT_MS_DEFAULT, UINT32_MAX,
        "a connection attempt gives up after this long"),
    U32(request_timeout_ms, VL_PG_REQUEST_TIMEOUT_MS_DEFAULT, UINT32_MAX,
        "a request unanswered this long drops the connection"),
    U32(reconnect_base_ms, VL_PG_RECONNECT_BASE_MS_DEFAULT, UINT32_MAX,
        "the first reconnection attempt comes after this long"),
    U32(reconnect_cap_ms, VL_PG_RECONNECT_CAP_MS_DEFAULT, UINT32_MAX,
        "reconnection delays double up to this (not below reconnect_base_ms)"),
    U32(inflight_max, VL_PG_INFLIGHT_DEFAULT, VL_PG_INFLIGHT_MAX,
        "requests pipelined on one connection"),
    U32(purge_interval_ms, VL_PG_PURGE_INTERVAL_MS_DEFAULT, UINT32_MAX,
        "between purges of expired rows"),
    U32(purge_batch, VL_PG_PURGE_BATCH_DEFAULT, VL_PG_PURGE_BATCH_MAX,
        "most rows one purge statement deletes"),
};

#define NROWS (sizeof options_table / sizeof options_table[0])

void vl_pg_options_init(vl_pg_options *o) {
    memset(o, 0, sizeof *o);
    vl__opt_defaults(options_table, NROWS, o);
}

/* ---- checking the options ------------------------------------------------- */

/* [A-Za-z_][A-Za-z0-9_]*, 1..VL_PG_NAME_MAX bytes. */
static bool valid_name(const char *p, size_t n) {
    if (n == 0 || n > VL_PG_NAME_MAX || !(isalpha((unsigned char)p[0]) || p[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)p[i]) || p[i] == '_')) return false;
    return true;
}

static bool valid_table(const char *t) {
    const char *dot = strchr(t, '.');
    if (!dot) return valid_name(t, strlen(t));
    return valid_name(t, (size_t)(dot - t)) && valid_name(dot + 1, strlen(dot + 1));
}

static bool valid_conninfo(const char *c) {
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(c, &err);
    if (err) PQfreemem(err);
    if (!opts) return false;
    PQconninfoFree(opts);
    return true;
}

/* Fills the defaults into `o` (a copy) and checks it. */
static vl_status check_options(vl_pg_options *o) {
    if (!vl__opt_check(options_table, NROWS, o, NULL, 0)) return VL_EINVAL;
    if (!o->conninfo || !valid_conninfo(o->conninfo) || !valid_table(o->table) ||
        o->reconnect_cap_ms < o->reconnect_base_ms)
        return VL_EINVAL;
    return VL_OK;
}

/* ---- statement texts ------------------------------------------------------- */

/* "schema"."table" (or "table"), and the expiry index's bare name. */
static void quote_table(const char *t, char *out, size_t cap, char *index, size_t icap) {
    const char *dot = strchr(t, '.');
    const char *bare = dot ? dot + 1 : t;
    if (dot) snprintf(out, cap, "\"%.*s\".\"%s\"", (int)(dot - t), t, bare);
    else snprintf(out, cap, "\"%s\"", t);
    snprintf(index, icap, "%.*s_expires_at", (int)(VL_PG_NAME_MAX - 11), bare);
}

static char *sql_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sql_printf(const char *fmt, ...) {
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

#define UPSERT_TAIL \
    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at"

static bool build_sql(pg_factory *f) {
    char t[2 * VL_PG_NAME_MAX + 8], ix[VL_PG_NAME_MAX + 1];
    quote_table(f->o.table, t, sizeof t, ix, sizeof ix);
    char **s = f->stmt_sql;
    s[PG_ST_LOAD] = sql_printf(
        "SELECT value, (EXTRACT(EPOCH FROM expires_at) * 1000)::int8 FROM %s "
        "WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())", t);
    s[PG_ST_PUT_ARR] = sql_printf(
        "INSERT INTO %s (key, value, expires_at) SELECT k, v, e "
        "FROM unnest($1::bytea[], $2::bytea[], $3::timestamptz[]) AS u(k, v, e)" UPSERT_TAIL, t);
    s[PG_ST_DEL_ARR] = sql_printf("DELETE FROM %s WHERE key = ANY($1::bytea[])", t);
    s[PG_ST_PUT_ROW] = sql_printf(
        "INSERT INTO %s (key, value, expires_at) VALUES ($1, $2, $3)" UPSERT_TAIL, t);
    s[PG_ST_DEL_ROW] = sql_printf("DELETE FROM %s WHERE key = $1", t);
    /* The inner SELECT finds at most $1 expired rows through the expiry
     * index, skipping rows a commit holds; the outer condition is checked
     * again on the row's newest version, so a row a commit just renewed is
     * not deleted. */
    s[PG_ST_PURGE] = sql_printf(
        "DELETE FROM %s WHERE key IN (SELECT key FROM %s WHERE expires_at <= now() "
        "ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) AND expires_at <= now()", t, t);
    /* A scan page (docs/scan.md): keyset pagination on the primary key's
     * index, which orders bytea as memcmp does (bytea has no collation);
     * one row more than the page says whether more follow. */
    s[PG_ST_SCAN_FIRST] = sql_printf(
        "SELECT key, (EXTRACT(EPOCH FROM expires_at) * 1000)::int8 FROM %s "
        "WHERE expires_at IS NULL OR expires_at > now() ORDER BY key LIMIT $1", t);
    s[PG_ST_SCAN_AFTER] = sql_printf(
        "SELECT key, (EXTRACT(EPOCH FROM expires_at) * 1000)::int8 FROM %s "
        "WHERE key > $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY key LIMIT $2", t);
    f->truncate_sql = sql_printf("TRUNCATE %s", t);
    f->create_sql[0] = sql_printf(
        "CREATE TABLE IF NOT EXISTS %s (key bytea PRIMARY KEY, value bytea NOT NULL, "
        "expires_at timestamptz)", t);
    f->create_sql[1] = sql_printf(
        "CREATE INDEX IF NOT EXISTS \"%s\" ON %s (expires_at) WHERE expires_at IS NOT NULL", ix, t);
    for (int i = 0; i < PG_ST_COUNT; i++)
        if (!s[i]) return false;
    return f->create_sql[0] && f->create_sql[1] && f->truncate_sql;
}

/* ---- the factory ------------------------------------------------------------ */

static void factory_free(void *ctx) {
    pg_factory *f = ctx;
    if (!f) return;
    for (int i = 0; i < PG_ST_COUNT; i++) free(f->stmt_sql[i]);
    free(f->create_sql[0]);
    free(f->create_sql[1]);
    free(f->truncate_sql);
    free(f->conninfo);
    free(f->table);
    free(f);
}

vl_status vl_pg_upstream(const vl_pg_options *o, vl_upstream *out) {
    if (!o || !out) return VL_EINVAL;
    vl_pg_options c = *o;
    if (check_options(&c) != VL_OK) return VL_EINVAL;
    pg_factory *f = calloc(1, sizeof *f);
    if (!f) return VL_ENOMEM;
    f->o = c;
    f->conninfo = strdup(c.conninfo);
    f->table = strdup(c.table);
    f->o.conninfo = f->conninfo;
    f->o.table = f->table;
    if (!f->conninfo || !f->table || !build_sql(f)) {
        factory_free(f);
        return VL_ENOMEM;
    }
    out->ops = &vl__pg_upstream_ops;
    out->ctx = f;
    out->release = factory_free;
    return VL_OK;
}

vl_status vl_pg_stats_get(const vl_upstream *up, vl_pg_stats *out) {
    if (!up || up->ops != &vl__pg_upstream_ops || !up->ctx || !out) return VL_EINVAL;
    const pg_counters *n = &((const pg_factory *)up->ctx)->n;
#define RD(x) atomic_load_explicit(&n->x, memory_order_relaxed)
    *out = (vl_pg_stats){RD(connects),      RD(disconnects), RD(connect_failures),
                         RD(fence_waits),   RD(loads),       RD(commits),
                         RD(rows_upserted), RD(rows_deleted), RD(failed),
                         RD(purge_passes),  RD(purged)};
#undef RD
    return VL_OK;
}

/* ---- the ops -------------------------------------------------------------------- */

static vl_status pg_open(void *ctx, const vl_upstream_env *env, void **inst) {
    pg_conn *pg = vl__pg_conn_new(ctx, env);
    if (!pg) return VL_ENOMEM;
    /* The first connection is made right here, so that a wrong conninfo,
     * password or table fails vl_open with its status. The shard's loop is
     * not serving yet; running it here drives the same non-blocking
     * connection state machine as every reconnect, bounded by
     * connect_timeout_ms. */
    pg->opening = true;
    vl__pg_conn_start(pg);
    while (pg->state != PG_READY && pg->state != PG_FAILED) uv_run(env->loop, UV_RUN_ONCE);
    pg->opening = false;
    if (pg->state == PG_FAILED) {
        vl_status st = pg->open_status;
        vl__pg_conn_free(pg); /* freed when the shard's loop closes its handles */
        return st;
    }
    *inst = pg;
    return VL_OK;
}

static vl_status pg_load(void *inst, vl_load *req) {
    size_t klen;
    (void)vl_load_key(req, &klen);
    if (klen > VL_PG_KEY_MAX) { /* the table cannot hold such a key */
        vl_load_done(req, VL_ENOTFOUND, NULL, 0, 0);
        return VL_OK;
    }
    pg_op *op = vl__pg_op_new(OP_LOAD);
    if (!op) return VL_ENOMEM;
    op->req.load = req;
    vl__pg_conn_submit(inst, op);
    return VL_OK;
}

static vl_status pg_commit(void *inst, vl_batch *b) {
    pg_op *op = vl__pg_op_new(OP_COMMIT);
    if (!op) return VL_ENOMEM;
    op->req.batch = b;
    vl__pg_conn_submit(inst, op);
    return VL_OK;
}

/* A request the cache sends as it is: a scan page or a truncate. */
static vl_status pg_submit(void *inst, pg_op_kind kind, void *req) {
    pg_op *op = vl__pg_op_new(kind);
    if (!op) return VL_ENOMEM;
    if (kind == OP_SCAN) op->req.scan = req;
    else op->req.truncate = req;
    vl__pg_conn_submit(inst, op);
    return VL_OK;
}

static vl_status pg_scan(void *inst, vl_scan_req *req) { return pg_submit(inst, OP_SCAN, req); }

/* vl_clear: TRUNCATE on this shard's connection, in its pipeline's order;
 * the cache sends it while no request of any shard is in flight. */
static vl_status pg_truncate(void *inst, vl_truncate *req) {
    return pg_submit(inst, OP_TRUNCATE, req);
}

static void pg_close(void *inst) { vl__pg_conn_free(inst); }

const vl_upstream_ops vl__pg_upstream_ops = {
    .name = "postgres",
    .open = pg_open,
    .load = pg_load,
    .commit = pg_commit,
    .close = pg_close,
    .truncate = pg_truncate,
    .scan = pg_scan,
};
