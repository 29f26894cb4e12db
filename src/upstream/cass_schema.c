/*
 * cass_schema.c -- the Cassandra upstream's cluster clients as a shard's
 * open sees them (cass_int.h): their options and log lines, starting and
 * closing one while open blocks, and `create` (the keyspace, the table,
 * then schema agreement).
 *
 * Owns: the once-per-factory schema step (under cass_ctx.schema_mu), the
 * temporary client it uses. Threads: the opening shard's thread, which runs
 * its own loop here (open may block, by the upstream contract).
 */
#include <stdio.h>

#include "upstream/cass_int.h"

/* Shard 0 logs every line of its client; the others only errors, since
 * each shard's client sees the same cluster and would repeat them. */
static void log_line(void *arg, vl_log_level level, const char *msg) {
    const vl_upstream_env *env = arg;
    if (env->shard != 0 && level != VL_LOG_ERROR) return;
    if (env->log) env->log(env->log_ctx, level, "%s", msg);
}

void vl__cass_cluster_opts(const cass_ctx *ctx, const vl_upstream_env *env,
                           cql_cluster_opts *o) {
    vl__cql_cluster_opts_init(o);
    o->contact_points = ctx->cps;
    o->n_contact_points = ctx->n_cps;
    o->port = ctx->o.port;
    o->local_dc = ctx->local_dc;
    o->keyspace = ctx->keyspace;
    o->user = ctx->user;
    o->password = ctx->password;
    o->pool_size = ctx->o.pool_size;
    o->heartbeat_ms = ctx->o.heartbeat_ms;
    o->connect_timeout_ms = ctx->o.connect_timeout_ms;
    o->request_timeout_ms = ctx->o.request_timeout_ms;
    o->inflight = ctx->o.inflight;
    o->log = log_line;
    o->log_arg = (void *)env;
}

typedef struct waiter {
    bool done;
    vl_status st;
    char detail[900];
} waiter;

static void on_done(void *arg, vl_status st, const char *detail) {
    waiter *w = arg;
    w->done = true;
    w->st = st;
    snprintf(w->detail, sizeof w->detail, "%s", detail);
}

static void on_reply(void *arg, vl_status st, const cql_response *r) {
    waiter *w = arg;
    w->done = true;
    w->st = st;
    if (r && r->opcode == CQL_OP_ERROR)
        snprintf(w->detail, sizeof w->detail, "%.*s", (int)r->error.message.len,
                 (const char *)r->error.message.p);
}

static void on_closed(void *arg) { *(bool *)arg = true; }

/* Runs the shard's loop until *done. */
static void drive(uv_loop_t *loop, const bool *done) {
    while (!*done) uv_run(loop, UV_RUN_ONCE);
}

vl_status vl__cass_start_sync(cql_cluster *cl, const vl_upstream_env *env, const char *what) {
    waiter w = {0};
    vl__cql_cluster_start(cl, on_done, &w);
    drive(env->loop, &w.done);
    if (w.st != VL_OK && env->log)
        env->log(env->log_ctx, VL_LOG_ERROR, "cannot open the Cassandra cluster at %s: %s (%s)",
                 what, w.detail, vl_status_name(w.st));
    return w.st;
}

void vl__cass_close_sync(cql_cluster *cl, const vl_upstream_env *env) {
    bool closed = false;
    vl__cql_cluster_close(cl, on_closed, &closed);
    drive(env->loop, &closed);
}

static vl_status run_ddl(cql_cluster *cl, const vl_upstream_env *env, const char *q) {
    waiter w = {0};
    cql_params p = {.consistency = CQL_ONE};
    vl_status st = vl__cql_cluster_query(cl, q, &p, VL_CQL_DDL_TIMEOUT_MS, on_reply, &w);
    if (st == VL_OK) {
        drive(env->loop, &w.done);
        st = w.st;
    }
    if (st != VL_OK && env->log)
        env->log(env->log_ctx, VL_LOG_ERROR, "%s: %s %s", q, vl_status_name(st), w.detail);
    return st;
}

/* Every node that is up has the new tables, or the wait is over (logged:
 * open goes on, and a node without the table refuses the PREPARE). */
static void agree(cql_cluster *cl, const cass_ctx *ctx, const vl_upstream_env *env) {
    waiter w = {0};
    if (vl__cql_cluster_schema_agreement(cl, ctx->o.schema_agreement_ms, on_done, &w) != VL_OK)
        return;
    drive(env->loop, &w.done);
    if (env->log)
        env->log(env->log_ctx, w.st == VL_OK ? VL_LOG_INFO : VL_LOG_WARN, "after create: %s",
                 w.detail);
}

static vl_status create_schema(cass_ctx *ctx, const vl_upstream_env *env) {
    cql_cluster_opts o;
    vl__cass_cluster_opts(ctx, env, &o);
    o.pool_size = 0; /* the control connection is all DDL needs */
    o.keyspace = NULL;
    cql_cluster *cl;
    vl_status st = vl__cql_cluster_new(env->loop, &o, &cl);
    if (st != VL_OK) return st;
    st = vl__cass_start_sync(cl, env, ctx->o.host);
    if (st == VL_OK) {
        char q[CASS_Q_MAX], dc[2 * VL_CQL_DC_NAME_MAX + 1];
        size_t k = 0;
        for (const char *p = vl__cql_cluster_local_dc(cl); *p; p++) { /* ' doubled in a literal */
            if (*p == '\'') dc[k++] = '\'';
            dc[k++] = *p;
        }
        dc[k] = 0;
        snprintf(q, sizeof q,
                 "CREATE KEYSPACE IF NOT EXISTS \"%s\" WITH replication = "
                 "{'class': 'NetworkTopologyStrategy', '%s': %u}",
                 ctx->keyspace, dc, ctx->o.replication_factor);
        st = run_ddl(cl, env, q);
    }
    if (st == VL_OK) st = run_ddl(cl, env, ctx->q_table);
    if (st == VL_OK) agree(cl, ctx, env);
    vl__cass_close_sync(cl, env);
    return st;
}

vl_status vl__cass_ensure_schema(cass_ctx *ctx, const vl_upstream_env *env) {
    vl_status st = VL_OK;
    pthread_mutex_lock(&ctx->schema_mu);
    if (!ctx->schema_done) {
        st = create_schema(ctx, env);
        ctx->schema_done = st == VL_OK;
    }
    pthread_mutex_unlock(&ctx->schema_mu);
    return st;
}
