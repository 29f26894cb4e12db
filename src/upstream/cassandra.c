/*
 * cassandra.c -- the Cassandra / ScyllaDB upstream of vellir_cassandra.h, on
 * the CQL client of src/cql/conn.h.
 *
 * Owns: the factory context (options, statement texts, the once-only schema
 * creation) and one instance per shard (its connection, its three prepared
 * statements, the commits and loads in flight).
 * Threads: the factory context is shared by the shards' open calls (its
 * schema step is under a mutex); an instance and its connection belong to
 * their shard's thread (open, load, commit, close and the loop's callbacks).
 *
 * A load is one EXECUTE of the SELECT; a commit is one EXECUTE per key, all
 * submitted at once between cork and uncork so they leave in one write and
 * come back in any order; each answer sets its item's status, and the last
 * one completes the batch with VL_OK. The statements, TTL and timestamp
 * rules and the error mapping are in the header.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/utf8.h"
#include "cql/conn.h"
#include "util/clock.h"
#include "util/options.h"
#include "vellir_cassandra.h"

#define Q_MAX 512

typedef struct cass_ctx {
    vl_cassandra_options o;  /* strings below */
    char *host, *keyspace, *table, *user, *password;
    char q_select[Q_MAX], q_insert[Q_MAX], q_delete[Q_MAX];
    char q_keyspace[Q_MAX], q_table[Q_MAX];
    pthread_mutex_t schema_mu;
    bool schema_done;
} cass_ctx;

typedef struct cass {
    cass_ctx *ctx;
    const vl_upstream_env *env;
    cql_conn *conn;
    cql_stmt *sel, *ins, *del;
    /* opening */
    bool opening, open_done;
    vl_status open_status;
    cql_conn_state last_state;
    char open_detail[256];
    /* logging */
    bool down;
    int64_t last_err_log_us;
} cass;

typedef struct commit_job commit_job;
typedef struct commit_slot {
    commit_job *job;
    uint32_t i;
} commit_slot;

struct commit_job {
    cass *u;
    vl_batch *b;
    uint32_t left;
    commit_slot slots[];
};

/* ---- options ------------------------------------------------------------------ */

#define U32(f, zero, def, min, max, why) \
    VL_OPT_NUM(vl_cassandra_options, f, OPT_U32, zero, def, min, max, why)
_Static_assert(sizeof(vl_cassandra_key) == sizeof(uint32_t), "key_type is a 32-bit row");
_Static_assert(sizeof(vl_cassandra_consistency) == sizeof(uint32_t), "a 32-bit row");

static const vl_opt_row options_table[] = {
    VL_OPT_STR(vl_cassandra_options, host, "127.0.0.1",
               "contact point: a numeric address, or localhost"),
    VL_OPT_NUM(vl_cassandra_options, port, OPT_U16, OPT_ZERO_DEFAULT, 9042, 1, 65535,
               "the native protocol's port"),
    VL_OPT_STR(vl_cassandra_options, table, "vellir", "table name: a plain identifier"),
    U32(key_type, OPT_ZERO_VALUE, VL_CASSANDRA_KEY_BLOB, VL_CASSANDRA_KEY_BLOB,
        VL_CASSANDRA_KEY_TEXT, "a vl_cassandra_key"),
    U32(consistency, OPT_ZERO_VALUE, VL_CASSANDRA_LOCAL_QUORUM, 0, VL_CASSANDRA_LOCAL_ONE,
        "a vl_cassandra_consistency, not a SERIAL one"),
    VL_OPT_BOOL(vl_cassandra_options, create, false, "create the keyspace and table if missing"),
    U32(replication_factor, OPT_ZERO_DEFAULT, 1, 1, UINT32_MAX,
        "of a keyspace vellir creates (SimpleStrategy)"),
    U32(connect_timeout_ms, OPT_ZERO_DEFAULT, VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT, 1, UINT32_MAX,
        "a connection attempt gives up after this long"),
    U32(request_timeout_ms, OPT_ZERO_DEFAULT, VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT, 1, UINT32_MAX,
        "a request unanswered this long fails VL_ETIMEOUT"),
    U32(inflight, OPT_ZERO_DEFAULT, VL_CQL_INFLIGHT_DEFAULT, 1, VL_CQL_STREAMS_MAX,
        "requests on the wire per shard connection (stream ids)"),
};

#define NROWS (sizeof options_table / sizeof options_table[0])

void vl_cassandra_options_init(vl_cassandra_options *o) {
    memset(o, 0, sizeof *o);
    vl__opt_defaults(options_table, NROWS, o);
}

static bool name_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > VL_CASSANDRA_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

static bool consistency_ok(uint32_t c) {
    return c <= VL_CASSANDRA_EACH_QUORUM || c == VL_CASSANDRA_LOCAL_ONE;
}

static bool host_ok(const char *h) {
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    if (!h) return false;
    return strcmp(h, "localhost") == 0 || uv_ip4_addr(h, 1, &a4) == 0 || uv_ip6_addr(h, 1, &a6) == 0;
}

/* Fills the defaults into `o` (a copy) and checks it. */
static vl_status check_options(vl_cassandra_options *o) {
    if (!vl__opt_check(options_table, NROWS, o, NULL, 0)) return VL_EINVAL;
    if (!name_ok(o->keyspace) || !name_ok(o->table) || !host_ok(o->host)) return VL_EINVAL;
    if (!consistency_ok((uint32_t)o->consistency)) return VL_EINVAL;
    if ((o->user == NULL) != (o->password == NULL)) return VL_EINVAL;
    return VL_OK;
}

static void ctx_free(void *p) {
    cass_ctx *c = p;
    if (!c) return;
    free(c->host);
    free(c->keyspace);
    free(c->table);
    free(c->user);
    free(c->password);
    pthread_mutex_destroy(&c->schema_mu);
    free(c);
}

static void build_queries(cass_ctx *c) {
    const char *ks = c->keyspace, *t = c->table;
    snprintf(c->q_select, Q_MAX, "SELECT value, TTL(value) FROM \"%s\".\"%s\" WHERE key = ?", ks, t);
    snprintf(c->q_insert, Q_MAX,
             "INSERT INTO \"%s\".\"%s\" (key, value) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?", ks, t);
    snprintf(c->q_delete, Q_MAX, "DELETE FROM \"%s\".\"%s\" USING TIMESTAMP ? WHERE key = ?", ks, t);
    snprintf(c->q_keyspace, Q_MAX,
             "CREATE KEYSPACE IF NOT EXISTS \"%s\" WITH replication = "
             "{'class': 'SimpleStrategy', 'replication_factor': %u}",
             ks, c->o.replication_factor);
    snprintf(c->q_table, Q_MAX,
             "CREATE TABLE IF NOT EXISTS \"%s\".\"%s\" (key %s PRIMARY KEY, value blob)", ks, t,
             c->o.key_type == VL_CASSANDRA_KEY_TEXT ? "text" : "blob");
}

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }

/* ---- logging ----------------------------------------------------------------------- */

static void ulog(cass *u, vl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ulog(cass *u, vl_log_level lvl, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (u->env->log) u->env->log(u->env->log_ctx, lvl, "%s", msg);
}

/* A request's failure, at most one line a second per shard (a node going
 * down fails thousands of requests at once). */
static void log_failure(cass *u, const char *what, vl_status st, const cql_response *r) {
    int64_t now = vl__mono_us();
    if (u->last_err_log_us && now - u->last_err_log_us < 1000000) return;
    u->last_err_log_us = now;
    if (r && r->opcode == CQL_OP_ERROR)
        ulog(u, VL_LOG_WARN, "%s failed: %s (%s): %.*s", what, vl_status_name(st),
             vl__cql_error_info(r->error.code)->name, (int)r->error.message.len,
             (const char *)r->error.message.p);
    else
        ulog(u, VL_LOG_WARN, "%s failed: %s (%s)", what, vl_status_name(st), vl_strerror(st));
}

/* ---- the connection's state ------------------------------------------------------------ */

static void on_state(void *arg, cql_conn_state st, vl_status why, const char *detail) {
    cass *u = arg;
    cql_conn_state prev = u->last_state;
    u->last_state = st;
    if (u->opening && (st == CQL_CONN_READY || st == CQL_CONN_BACKOFF)) {
        u->open_done = true;
        u->open_status = why;
        /* A keyspace or a statement the server refuses: the schema is wrong. */
        if (st == CQL_CONN_BACKOFF && why == VL_EQUERY &&
            (prev == CQL_CONN_KEYSPACE || prev == CQL_CONN_PREPARING))
            u->open_status = VL_ESCHEMA;
        snprintf(u->open_detail, sizeof u->open_detail, "%s", detail);
        return;
    }
    if (st == CQL_CONN_READY && u->down) {
        u->down = false;
        ulog(u, VL_LOG_INFO, "reconnected to %s:%u", u->ctx->host, u->ctx->o.port);
    } else if ((st == CQL_CONN_BACKOFF || (st == CQL_CONN_CONNECTING && why != VL_OK)) &&
               !u->down) {
        u->down = true;
        ulog(u, VL_LOG_WARN, "connection to %s:%u lost: %s (%s); reconnecting", u->ctx->host,
             u->ctx->o.port, detail, vl_status_name(why));
    }
}

/* ---- loads --------------------------------------------------------------------------------- */

static cql_value key_value(const void *key, size_t len) { return vl__cql_blob(key, len); }

static bool key_ok(const cass *u, const void *key, size_t len) {
    return u->ctx->o.key_type != VL_CASSANDRA_KEY_TEXT || vl__utf8_valid(key, len);
}

/* Expiry from a remaining TTL: Cassandra drops the row at a whole second. */
static int64_t expiry_of(int32_t ttl_s) {
    return (vl__wall_ms() / 1000 + ttl_s) * 1000;
}

typedef struct load_ctx {
    cass *u;
    vl_load *req;
} load_ctx;

/* Rows of `value blob, ttl int`: the value and its expiry, or VL_ENOTFOUND. */
static vl_status read_row(const cql_response *r, cql_value *val, int64_t *expires_at) {
    if (r->result.kind != CQL_RESULT_ROWS) return VL_EUPSTREAM;
    const cql_rows *rows = &r->result.rows;
    if (rows->meta.columns != 2) return VL_ESCHEMA;
    if (rows->count == 0) return VL_ENOTFOUND;
    cql_iter it = rows->cells, row;
    cql_value ttl;
    if (!vl__cql_row_next(&it, &row) || !vl__cql_cell_next(&row, val) || !vl__cql_cell_next(&row, &ttl))
        return VL_EUPSTREAM;
    if (vl__cql_value_is_null(val)) return VL_ENOTFOUND;
    *expires_at = 0;
    int32_t secs;
    if (!vl__cql_value_is_null(&ttl)) {
        if (vl__cql_get_int(&ttl, &secs) != CQL_OK) return VL_ESCHEMA;
        if (secs > 0) *expires_at = expiry_of(secs);
    }
    return VL_OK;
}

static void on_loaded(void *arg, vl_status st, const cql_response *r) {
    load_ctx *lc = arg;
    cql_value v = {0};
    int64_t exp = 0;
    if (st == VL_OK) st = read_row(r, &v, &exp);
    if (st != VL_OK && st != VL_ENOTFOUND) log_failure(lc->u, "load", st, r);
    if (st == VL_OK) vl_load_done(lc->req, VL_OK, vl__cql_value_data(&v), (size_t)v.len, exp);
    else vl_load_done(lc->req, st, NULL, 0, 0);
    free(lc);
}

static vl_status busy_status(vl_status st) {
    /* The connection's queue is full: for the cache, the upstream is overloaded. */
    return st == VL_EBUSY ? VL_EOVERLOADED : st;
}

static vl_status cs_load(void *inst, vl_load *req) {
    cass *u = inst;
    size_t klen;
    const void *key = vl_load_key(req, &klen);
    if (!key_ok(u, key, klen)) return VL_EINVAL;
    load_ctx *lc = malloc(sizeof *lc);
    if (!lc) return VL_ENOMEM;
    lc->u = u;
    lc->req = req;
    cql_value k = key_value(key, klen);
    cql_params p = {.consistency = (uint16_t)u->ctx->o.consistency, .values = &k, .n_values = 1};
    vl_status st = vl__cql_conn_execute(u->conn, u->sel, &p, on_loaded, lc);
    if (st != VL_OK) free(lc);
    return busy_status(st);
}

/* ---- commits -------------------------------------------------------------------------------- */

static void job_finish_one(commit_job *job) {
    if (--job->left > 0) return;
    vl_batch *b = job->b;
    free(job);
    vl_batch_done(b, VL_OK);
}

static void on_committed(void *arg, vl_status st, const cql_response *r) {
    commit_slot *s = arg;
    commit_job *job = s->job;
    job->b->items[s->i].status = st;
    if (st != VL_OK) log_failure(job->u, "commit", st, r);
    job_finish_one(job);
}

/* The TTL of an item that expires in the future: whole seconds, rounded up,
 * at least 1, at most VL_CASSANDRA_TTL_MAX. */
static int32_t ttl_of(int64_t expires_at, int64_t now_ms) {
    int64_t s = (expires_at - now_ms + 999) / 1000;
    if (s < 1) s = 1;
    if (s > VL_CASSANDRA_TTL_MAX) s = VL_CASSANDRA_TTL_MAX;
    return (int32_t)s;
}

/* The TTL again, as the INSERT is encoded (it may have waited in the
 * connection's queue, or be sent again after a re-PREPARE). An item that
 * expired while it waited gets the least TTL, 1 s: the statement cannot turn
 * into a DELETE any more at that point. */
static void bind_ttl(void *arg, cql_value *v, uint16_t n) {
    const commit_slot *s = arg;
    const vl_commit_item *it = &s->job->b->items[s->i];
    if (n == 4 && it->expires_at) v[2] = vl__cql_int(ttl_of(it->expires_at, vl__wall_ms()));
}

static vl_status submit_item(commit_job *job, uint32_t i) {
    cass *u = job->u;
    const vl_commit_item *it = &job->b->items[i];
    if (!key_ok(u, it->key, it->key_len)) return VL_EINVAL;
    int64_t now = vl__wall_ms();
    int64_t ts = it->write_time_us > 0 ? it->write_time_us : vl__wall_us();
    bool del = !it->value || (it->expires_at != 0 && it->expires_at <= now);
    cql_value v[4];
    cql_params p = {.consistency = (uint16_t)u->ctx->o.consistency, .values = v};
    cql_stmt *stmt;
    if (del) {
        v[0] = vl__cql_bigint(ts);
        v[1] = key_value(it->key, it->key_len);
        p.n_values = 2;
        stmt = u->del;
    } else {
        v[0] = key_value(it->key, it->key_len);
        v[1] = vl__cql_blob(it->value, it->value_len);
        v[2] = it->expires_at ? vl__cql_int(ttl_of(it->expires_at, now)) : vl__cql_unset();
        v[3] = vl__cql_bigint(ts);
        p.n_values = 4;
        stmt = u->ins;
    }
    job->slots[i] = (commit_slot){job, i};
    cql_bind_fn bind = !del && it->expires_at ? bind_ttl : NULL;
    return busy_status(
        vl__cql_conn_execute_bound(u->conn, stmt, &p, bind, on_committed, &job->slots[i]));
}

static vl_status cs_commit(void *inst, vl_batch *b) {
    cass *u = inst;
    commit_job *job = malloc(sizeof *job + (size_t)b->count * sizeof(commit_slot));
    if (!job) return VL_ENOMEM;
    job->u = u;
    job->b = b;
    job->left = b->count + 1; /* +1: the batch cannot complete while it is being sent */
    vl__cql_conn_cork(u->conn);
    for (uint32_t i = 0; i < b->count; i++) {
        vl_status st = submit_item(job, i);
        if (st == VL_OK) continue;
        b->items[i].status = st;
        job->left--;
    }
    vl__cql_conn_uncork(u->conn);
    job_finish_one(job);
    return VL_OK;
}

/* ---- opening: the schema, then the connection ------------------------------------------------ */

/* Runs the shard's loop until *done (open blocks, by the contract). */
static void drive(uv_loop_t *loop, const bool *done) {
    while (!*done) uv_run(loop, UV_RUN_ONCE);
}

static void on_closed(void *arg) { *(bool *)arg = true; }

static void close_and_wait(uv_loop_t *loop, cql_conn *c) {
    bool closed = false;
    vl__cql_conn_close(c, on_closed, &closed);
    drive(loop, &closed);
}

typedef struct ddl_wait {
    bool done;
    vl_status st;
    char msg[256];
} ddl_wait;

static void on_ddl(void *arg, vl_status st, const cql_response *r) {
    ddl_wait *w = arg;
    w->done = true;
    w->st = st;
    if (r && r->opcode == CQL_OP_ERROR)
        snprintf(w->msg, sizeof w->msg, "%.*s", (int)r->error.message.len,
                 (const char *)r->error.message.p);
}

static vl_status run_ddl(cass *u, cql_conn *c, const char *q) {
    ddl_wait w = {0};
    cql_params p = {.consistency = CQL_ONE};
    vl_status st = vl__cql_conn_query(c, q, &p, on_ddl, &w);
    if (st != VL_OK) return st;
    drive(u->env->loop, &w.done);
    if (w.st != VL_OK) ulog(u, VL_LOG_ERROR, "%s: %s %s", q, vl_status_name(w.st), w.msg);
    return w.st;
}

static cql_conn_opts conn_opts(cass *u, bool with_keyspace) {
    cass_ctx *c = u->ctx;
    cql_conn_opts o;
    vl__cql_conn_opts_init(&o);
    o.host = c->host;
    o.port = c->o.port;
    o.user = c->user;
    o.password = c->password;
    o.keyspace = with_keyspace ? c->keyspace : NULL;
    o.connect_timeout_ms = c->o.connect_timeout_ms;
    o.request_timeout_ms = c->o.request_timeout_ms;
    o.inflight = c->o.inflight;
    o.on_state = on_state;
    o.on_state_arg = u;
    return o;
}

/* Starts `c` and waits for READY or the first failed attempt. */
static vl_status connect_sync(cass *u, cql_conn *c) {
    u->opening = true;
    u->open_done = false;
    vl__cql_conn_start(c);
    drive(u->env->loop, &u->open_done);
    u->opening = false;
    if (u->open_status != VL_OK)
        ulog(u, VL_LOG_ERROR, "cannot open %s:%u: %s (%s)", u->ctx->host, u->ctx->o.port,
             u->open_detail, vl_status_name(u->open_status));
    return u->open_status;
}

/* CREATE KEYSPACE and TABLE IF NOT EXISTS, once per factory: the first shard
 * to open does it while the others wait on the mutex. */
static vl_status ensure_schema(cass *u) {
    cass_ctx *ctx = u->ctx;
    vl_status st = VL_OK;
    pthread_mutex_lock(&ctx->schema_mu);
    if (!ctx->schema_done) {
        cql_conn_opts o = conn_opts(u, false);
        cql_conn *c;
        st = vl__cql_conn_new(u->env->loop, &o, &c);
        if (st == VL_OK) {
            st = connect_sync(u, c);
            if (st == VL_OK) st = run_ddl(u, c, ctx->q_keyspace);
            if (st == VL_OK) st = run_ddl(u, c, ctx->q_table);
            close_and_wait(u->env->loop, c);
        }
        ctx->schema_done = st == VL_OK;
    }
    pthread_mutex_unlock(&ctx->schema_mu);
    return st;
}

static vl_status cs_open(void *ctxp, const vl_upstream_env *env, void **inst) {
    cass_ctx *ctx = ctxp;
    cass *u = calloc(1, sizeof *u);
    if (!u) return VL_ENOMEM;
    u->ctx = ctx;
    u->env = env;
    vl_status st = ctx->o.create ? ensure_schema(u) : VL_OK;
    cql_conn_opts o = conn_opts(u, true);
    if (st == VL_OK) st = vl__cql_conn_new(env->loop, &o, &u->conn);
    if (st != VL_OK) {
        free(u);
        return st;
    }
    u->sel = vl__cql_conn_statement(u->conn, ctx->q_select);
    u->ins = vl__cql_conn_statement(u->conn, ctx->q_insert);
    u->del = vl__cql_conn_statement(u->conn, ctx->q_delete);
    st = u->sel && u->ins && u->del ? connect_sync(u, u->conn) : VL_ENOMEM;
    if (st != VL_OK) {
        close_and_wait(env->loop, u->conn);
        free(u);
        return st;
    }
    *inst = u;
    return VL_OK;
}

static void cs_close(void *inst) {
    cass *u = inst;
    vl__cql_conn_close(u->conn, NULL, NULL); /* freed when the shard's loop closes its handles */
    free(u);
}

static const vl_upstream_ops cass_ops = {
    .name = "cassandra",
    .open = cs_open,
    .load = cs_load,
    .commit = cs_commit,
    .close = cs_close,
};

vl_status vl_cassandra_upstream(const vl_cassandra_options *opts, vl_upstream *out) {
    if (!opts || !out) return VL_EINVAL;
    vl_cassandra_options checked = *opts, *o = &checked;
    vl_status st = check_options(o);
    if (st != VL_OK) return st;
    cass_ctx *c = calloc(1, sizeof *c);
    if (!c) return VL_ENOMEM;
    c->o = *o;
    c->host = sdup(o->host);
    c->keyspace = sdup(o->keyspace);
    c->table = sdup(o->table);
    c->user = sdup(o->user);
    c->password = sdup(o->password);
    pthread_mutex_init(&c->schema_mu, NULL);
    if (!c->host || !c->keyspace || !c->table || (o->user && (!c->user || !c->password))) {
        ctx_free(c);
        return VL_ENOMEM;
    }
    build_queries(c);
    out->ops = &cass_ops;
    out->ctx = c;
    out->release = ctx_free;
    return VL_OK;
}
