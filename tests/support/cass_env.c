/*
 * cass_env.c -- the helpers of cass_env.h.
 *
 * Owns: cass_direct (a cql_conn on a private loop). Threads: see the header.
 */
#include <stdlib.h>

#include "cass_env.h"

uint16_t cass_test_port(void) {
    const char *p = getenv("VELLIR_CASSANDRA_PORT");
    return p && *p ? (uint16_t)atoi(p) : 9142;
}

void cass_test_options(vl_cassandra_options *o, const char *table) {
    vl_cassandra_options_init(o);
    o->port = cass_test_port();
    o->keyspace = TEST_KEYSPACE;
    o->table = table;
    o->create = true;
    o->consistency = VL_CASSANDRA_ONE;
}

vl_service *cass_test_open(const vl_cassandra_options *co, const vl_type *t, const vl_options *o) {
    vl_upstream up;
    CHECK_OK(vl_cassandra_upstream(co, &up));
    vl_service *svc = NULL;
    vl_status st = vl_open(o, t, &up, &svc);
    if (st != VL_OK && up.release) up.release(up.ctx);
    CHECK_OK(st);
    return svc;
}

int cass_script(const char *script, const char *args) {
    char line[256];
    snprintf(line, sizeof line, "scripts/%s %s >/dev/null 2>&1", script, args);
    return system(line);
}

typedef struct clear_wait {
    _Atomic int fired, status;
} clear_wait;

static void on_cleared(void *arg, vl_status st) {
    clear_wait *w = arg;
    atomic_store(&w->status, (int)st);
    atomic_store(&w->fired, 1);
}

vl_status cass_clear_sync(vl_service *svc) {
    clear_wait w = {0, 0};
    vl_status st = vl_clear(svc, on_cleared, &w);
    if (st != VL_OK) return st;
    while (!atomic_load(&w.fired)) test_sleep_ms(1);
    return (vl_status)atomic_load(&w.status);
}

/* ---- the direct client ------------------------------------------------------- */

struct cass_direct {
    uv_loop_t loop;
    cql_conn *c;
    bool ready, failed;
    uint16_t consistency;
    char keyspace[64];
};

typedef struct wait {
    bool done;
    vl_status st;
    vl_buf *val;
    int32_t *ttl;
    int64_t *wt;
    bool found;
    cd_row_fn fn;
    void *fn_arg;
} wait;

static void on_state(void *arg, cql_conn_state st, vl_status why, const char *detail) {
    cass_direct *d = arg;
    if (st == CQL_CONN_READY) d->ready = true;
    if (st == CQL_CONN_BACKOFF && !d->ready) {
        fprintf(stderr, "direct client: %s (%s)\n", detail, vl_status_name(why));
        d->failed = true;
    }
}

static void run_until(cass_direct *d, const bool *flag) {
    while (!*flag && !d->failed) uv_run(&d->loop, UV_RUN_ONCE);
}

static cass_direct *open_to(const char *host, uint16_t port) {
    cass_direct *d = calloc(1, sizeof *d);
    CHECK(d);
    d->consistency = CQL_ONE;
    snprintf(d->keyspace, sizeof d->keyspace, "%s", TEST_KEYSPACE);
    CHECK(uv_loop_init(&d->loop) == 0);
    cql_conn_opts o;
    vl__cql_conn_opts_init(&o);
    o.host = host;
    o.port = port;
    o.on_state = on_state;
    o.on_state_arg = d;
    o.request_timeout_ms = 30000;
    CHECK_OK(vl__cql_conn_new(&d->loop, &o, &d->c));
    vl__cql_conn_start(d->c);
    run_until(d, &d->ready);
    CHECK(d->ready);
    return d;
}

cass_direct *cd_open_port(uint16_t port) { return open_to("127.0.0.1", port); }
cass_direct *cd_open(void) { return cd_open_port(cass_test_port()); }
cass_direct *cd_open_at(const char *host) { return open_to(host, cass_test_port()); }

void cd_set_consistency(cass_direct *d, uint16_t consistency) { d->consistency = consistency; }

void cd_set_keyspace(cass_direct *d, const char *keyspace) {
    snprintf(d->keyspace, sizeof d->keyspace, "%s", keyspace);
}

static void on_closed(void *arg) { *(bool *)arg = true; }

void cd_close(cass_direct *d) {
    bool closed = false;
    vl__cql_conn_close(d->c, on_closed, &closed);
    while (!closed) uv_run(&d->loop, UV_RUN_ONCE);
    uv_run(&d->loop, UV_RUN_NOWAIT);
    CHECK(uv_loop_close(&d->loop) == 0);
    free(d);
}

static void on_reply(void *arg, vl_status st, const cql_response *r) {
    wait *w = arg;
    w->done = true;
    w->st = st;
    if (st != VL_OK) {
        if (r && r->opcode == CQL_OP_ERROR)
            fprintf(stderr, "direct client: %.*s\n", (int)r->error.message.len,
                    (const char *)r->error.message.p);
        return;
    }
    if (r->result.kind != CQL_RESULT_ROWS || r->result.rows.count == 0) return;
    cql_iter it = r->result.rows.cells, row;
    if (w->fn) {
        cql_value cells[64];
        while (vl__cql_row_next(&it, &row)) {
            uint32_t n = 0;
            while (n < 64 && vl__cql_cell_next(&row, &cells[n])) n++;
            w->fn(w->fn_arg, cells, n);
        }
        return;
    }
    cql_value v, ttl, wt;
    CHECK(vl__cql_row_next(&it, &row));
    CHECK(vl__cql_cell_next(&row, &v) && vl__cql_cell_next(&row, &ttl) && vl__cql_cell_next(&row, &wt));
    if (vl__cql_value_is_null(&v)) return;
    w->found = true;
    if (w->val) CHECK_OK(vl_buf_append(w->val, vl__cql_value_data(&v), (size_t)v.len));
    if (w->ttl) *w->ttl = vl__cql_value_is_null(&ttl) ? 0 : 0;
    if (w->ttl && !vl__cql_value_is_null(&ttl)) CHECK(vl__cql_get_int(&ttl, w->ttl) == CQL_OK);
    if (w->wt && !vl__cql_value_is_null(&wt)) CHECK(vl__cql_get_bigint(&wt, w->wt) == CQL_OK);
}

static vl_status run(cass_direct *d, const char *q, const cql_value *v, uint16_t n, wait *w) {
    cql_params p = {.consistency = d->consistency, .values = v, .n_values = n};
    vl_status st = vl__cql_conn_query(d->c, q, &p, on_reply, w);
    if (st != VL_OK) return st;
    while (!w->done) uv_run(&d->loop, UV_RUN_ONCE);
    return w->st;
}

vl_status cd_exec(cass_direct *d, const char *query) {
    wait w = {0};
    return run(d, query, NULL, 0, &w);
}

vl_status cd_exec_values(cass_direct *d, const char *query, const cql_value *v, uint16_t n) {
    wait w = {0};
    return run(d, query, v, n, &w);
}

vl_status cd_rows(cass_direct *d, const char *query, const cql_value *v, uint16_t n, cd_row_fn fn,
                  void *arg) {
    wait w = {.fn = fn, .fn_arg = arg};
    return run(d, query, v, n, &w);
}

vl_status cd_get(cass_direct *d, const char *table, const void *key, size_t len, vl_buf *val,
                 int32_t *ttl, int64_t *writetime) {
    char q[256];
    snprintf(q, sizeof q, "SELECT value, TTL(value), WRITETIME(value) FROM %s.%s WHERE key = ?",
             d->keyspace, table);
    cql_value k = vl__cql_blob(key, len);
    wait w = {.val = val, .ttl = ttl, .wt = writetime};
    if (ttl) *ttl = 0;
    vl_status st = run(d, q, &k, 1, &w);
    if (st != VL_OK) return st;
    return w.found ? VL_OK : VL_ENOTFOUND;
}

int64_t cd_counter(cass_direct *d, const char *table, const char *key) {
    vl_buf b = {0};
    vl_status st = cd_get(d, table, key, strlen(key), &b, NULL, NULL);
    if (st == VL_ENOTFOUND) return -1;
    CHECK_OK(st);
    CHECK_EQ(b.len, 8);
    int64_t v = counter_from_bytes(b.data);
    vl_buf_free(&b);
    return v;
}

/* ---- the counting wrapper ---------------------------------------------------------- */

typedef struct wrap_inst {
    up_counts *c;
    void *inner;
} wrap_inst;

static vl_status w_open(void *ctx, const vl_upstream_env *env, void **inst) {
    up_counts *c = ctx;
    wrap_inst *w = calloc(1, sizeof *w);
    if (!w) return VL_ENOMEM;
    w->c = c;
    vl_status st = c->inner.ops->open(c->inner.ctx, env, &w->inner);
    if (st != VL_OK) free(w);
    else *inst = w;
    return st;
}

static vl_status w_load(void *inst, vl_load *req) {
    wrap_inst *w = inst;
    atomic_fetch_add(&w->c->loads, 1);
    return w->c->inner.ops->load(w->inner, req);
}

static vl_status w_commit(void *inst, vl_batch *b) {
    wrap_inst *w = inst;
    atomic_fetch_add(&w->c->commits, 1);
    atomic_fetch_add(&w->c->commit_keys, b->count);
    return w->c->inner.ops->commit(w->inner, b);
}

static void w_close(void *inst) {
    wrap_inst *w = inst;
    w->c->inner.ops->close(w->inner);
    free(w);
}

static void w_release(void *ctx) {
    up_counts *c = ctx;
    if (c->inner.release) c->inner.release(c->inner.ctx);
}

static const vl_upstream_ops wrap_ops = {
    .name = "counting",
    .open = w_open,
    .load = w_load,
    .commit = w_commit,
    .close = w_close,
};

vl_upstream counting_upstream(up_counts *c, vl_upstream inner) {
    c->inner = inner;
    vl_upstream u = {&wrap_ops, c, w_release};
    return u;
}
