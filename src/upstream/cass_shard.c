/*
 * cass_shard.c -- a shard's instance of the Cassandra upstream
 * (vellir_cassandra.h): its cluster client (src/cql/cluster.h), loads,
 * commits, truncate; and the registry of the shards' clients that
 * vl_cassandra_node_stats reads.
 *
 * Owns: cass (one per shard: its client and its three statements), the
 * loads and commits in flight, cass_ctx's registry (under reg_mu).
 * Threads: an instance belongs to its shard's thread (open, load, commit,
 * truncate, close and its loop's callbacks); the registry is read by any
 * thread.
 *
 * A load is one execution of the SELECT, routed to a replica of its key and
 * sent once more to another replica if its node dies or does not answer
 * (CQL_IDEMPOTENT). A commit is one execution per key, each routed to a
 * replica of its key, all submitted between cork and uncork so that each
 * node's share leaves in one write; they come back in any order, each
 * answer sets its item's status, and the last completes the batch with
 * VL_OK. Writes are not retried here: the cache's commit policy retries a
 * failed key with backoff, and a repeat is harmless since every write
 * carries its own timestamp. The statements, TTL and timestamp rules and
 * the error mapping are in the header.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec/utf8.h"
#include "upstream/cass_int.h"
#include "util/clock.h"

typedef struct cass {
    cass_ctx *ctx;
    const vl_upstream_env *env;
    cql_cluster *cl;
    cql_cstmt *sel, *ins, *del;
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

/* ---- logging --------------------------------------------------------------------- */

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

/* ---- the registry of the shards' clients ------------------------------------------ */

static vl_status reg_add(cass_ctx *ctx, cql_cluster *cl) {
    vl_status st = VL_OK;
    pthread_mutex_lock(&ctx->reg_mu);
    if (ctx->n_reg == ctx->cap_reg) {
        uint32_t cap = ctx->cap_reg ? ctx->cap_reg * 2 : 8;
        cql_cluster **r = realloc(ctx->reg, cap * sizeof *r);
        if (r) {
            ctx->reg = r;
            ctx->cap_reg = cap;
        } else {
            st = VL_ENOMEM;
        }
    }
    if (st == VL_OK) ctx->reg[ctx->n_reg++] = cl;
    pthread_mutex_unlock(&ctx->reg_mu);
    return st;
}

static void reg_remove(cass_ctx *ctx, cql_cluster *cl) {
    pthread_mutex_lock(&ctx->reg_mu);
    for (uint32_t i = 0; i < ctx->n_reg; i++)
        if (ctx->reg[i] == cl) {
            ctx->reg[i] = ctx->reg[--ctx->n_reg];
            break;
        }
    pthread_mutex_unlock(&ctx->reg_mu);
}

static void add_node(vl_cassandra_node *acc, const cql_node_stats *s, bool first) {
    acc->up = first ? s->up : acc->up && s->up;
    acc->in_ring = acc->in_ring || s->in_ring;
    acc->requests += s->sent;
    acc->in_flight += s->in_flight;
    acc->ok += s->ok;
    acc->timeouts += s->timeouts;
    acc->unavailable += s->unavailable;
    acc->overloaded += s->overloaded;
    acc->other_errors += s->other;
    acc->retried += s->retried;
}

uint32_t vl__cass_node_stats(cass_ctx *ctx, vl_cassandra_node *out, uint32_t cap) {
    vl_cassandra_node acc[VL_CQL_NODES_MAX];
    uint32_t n = 0;
    pthread_mutex_lock(&ctx->reg_mu);
    for (uint32_t r = 0; r < ctx->n_reg; r++) {
        uint32_t nodes = vl__cql_cluster_nodes(ctx->reg[r]);
        for (uint32_t i = 0; i < nodes; i++) {
            cql_node_stats s;
            vl__cql_cluster_node_stats(ctx->reg[r], i, &s);
            uint32_t k = 0;
            while (k < n && strcmp(acc[k].address, s.address) != 0) k++;
            if (k == VL_CQL_NODES_MAX) continue;
            bool first = k == n;
            if (first) {
                memset(&acc[n], 0, sizeof acc[n]);
                snprintf(acc[n].address, sizeof acc[n].address, "%s", s.address);
                n++;
            }
            add_node(&acc[k], &s, first);
        }
    }
    pthread_mutex_unlock(&ctx->reg_mu);
    for (uint32_t i = 0; i < n && i < cap; i++) out[i] = acc[i];
    return n;
}

/* ---- loads ---------------------------------------------------------------------- */

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
    /* A connection's queue is full: for the cache, the upstream is overloaded. */
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
    cql_value k = vl__cql_blob(key, klen);
    cql_params p = {.consistency = u->ctx->read_cl, .values = &k, .n_values = 1};
    vl_status st = vl__cql_cluster_execute(u->cl, u->sel, vl__cql_slice_of(key, klen),
                                           CQL_IDEMPOTENT, &p, NULL, on_loaded, lc);
    if (st != VL_OK) free(lc);
    return busy_status(st);
}

/* ---- commits ------------------------------------------------------------------------ */

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

/* The TTL again, as the INSERT is encoded (it may have waited in a
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
    cql_params p = {.consistency = u->ctx->write_cl, .values = v};
    cql_cstmt *stmt;
    if (del) {
        v[0] = vl__cql_bigint(ts);
        v[1] = vl__cql_blob(it->key, it->key_len);
        p.n_values = 2;
        stmt = u->del;
    } else {
        v[0] = vl__cql_blob(it->key, it->key_len);
        v[1] = vl__cql_blob(it->value, it->value_len);
        v[2] = it->expires_at ? vl__cql_int(ttl_of(it->expires_at, now)) : vl__cql_unset();
        v[3] = vl__cql_bigint(ts);
        p.n_values = 4;
        stmt = u->ins;
    }
    job->slots[i] = (commit_slot){job, i};
    cql_bind_fn bind = !del && it->expires_at ? bind_ttl : NULL;
    return busy_status(vl__cql_cluster_execute(u->cl, stmt, vl__cql_slice_of(it->key, it->key_len),
                                               0, &p, bind, on_committed, &job->slots[i]));
}

static vl_status cs_commit(void *inst, vl_batch *b) {
    cass *u = inst;
    commit_job *job = malloc(sizeof *job + (size_t)b->count * sizeof(commit_slot));
    if (!job) return VL_ENOMEM;
    job->u = u;
    job->b = b;
    job->left = b->count + 1; /* +1: the batch cannot complete while it is being sent */
    vl__cql_cluster_cork(u->cl);
    for (uint32_t i = 0; i < b->count; i++) {
        vl_status st = submit_item(job, i);
        if (st == VL_OK) continue;
        b->items[i].status = st;
        job->left--;
    }
    vl__cql_cluster_uncork(u->cl);
    job_finish_one(job);
    return VL_OK;
}

/* ---- truncate ------------------------------------------------------------------------ */

typedef struct trunc_ctx {
    cass *u;
    vl_truncate *req;
} trunc_ctx;

static void on_truncated(void *arg, vl_status st, const cql_response *r) {
    trunc_ctx *tc = arg;
    if (st != VL_OK) {
        tc->u->last_err_log_us = 0; /* a truncate's failure is always logged */
        log_failure(tc->u, tc->u->ctx->q_truncate, st, r);
    }
    vl_truncate_done(tc->req, st);
    free(tc);
}

static vl_status cs_truncate(void *inst, vl_truncate *req) {
    cass *u = inst;
    trunc_ctx *tc = malloc(sizeof *tc);
    if (!tc) return VL_ENOMEM;
    tc->u = u;
    tc->req = req;
    cql_params p = {.consistency = CQL_ONE}; /* TRUNCATE needs every node anyway */
    vl_status st = vl__cql_cluster_query(u->cl, u->ctx->q_truncate, &p, VL_CQL_DDL_TIMEOUT_MS,
                                         on_truncated, tc);
    if (st != VL_OK) free(tc);
    return st;
}

/* ---- open and close ---------------------------------------------------------------- */

static vl_status cs_open(void *ctxp, const vl_upstream_env *env, void **inst) {
    cass_ctx *ctx = ctxp;
    vl_status st = ctx->o.create ? vl__cass_ensure_schema(ctx, env) : VL_OK;
    if (st != VL_OK) return st;
    cass *u = calloc(1, sizeof *u);
    if (!u) return VL_ENOMEM;
    u->ctx = ctx;
    u->env = env;
    cql_cluster_opts o;
    vl__cass_cluster_opts(ctx, env, &o);
    st = vl__cql_cluster_new(env->loop, &o, &u->cl);
    if (st != VL_OK) {
        free(u);
        return st;
    }
    u->sel = vl__cql_cluster_statement(u->cl, ctx->q_select);
    u->ins = vl__cql_cluster_statement(u->cl, ctx->q_insert);
    u->del = vl__cql_cluster_statement(u->cl, ctx->q_delete);
    st = u->sel && u->ins && u->del ? vl__cass_start_sync(u->cl, env, ctx->o.host) : VL_ENOMEM;
    if (st == VL_OK) st = reg_add(ctx, u->cl);
    if (st != VL_OK) {
        vl__cass_close_sync(u->cl, env);
        free(u);
        return st;
    }
    *inst = u;
    return VL_OK;
}

static void cs_close(void *inst) {
    cass *u = inst;
    reg_remove(u->ctx, u->cl);
    vl__cql_cluster_close(u->cl, NULL, NULL); /* freed as the shard's loop closes its handles */
    free(u);
}

const vl_upstream_ops vl__cass_ops = {
    .name = "cassandra",
    .open = cs_open,
    .load = cs_load,
    .commit = cs_commit,
    .close = cs_close,
    .truncate = cs_truncate,
};
