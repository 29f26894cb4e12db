/*
 * cluster.c -- the cluster client's API (cluster.h): options, start,
 * routing each request to a node, the one retry of an idempotent request,
 * plain queries, per-node counters, close.
 *
 * Owns: cql_cluster itself, its statements, its requests (creq: one per
 * execution, kept until the caller's callback has run, so that it can be
 * sent again).
 * Threads: the loop's; vl__cql_cluster_nodes and _node_stats any thread.
 *
 * A request: the routing key's token picks the replicas (the ring, local
 * datacenter first); the first replica that is up with a READY connection
 * takes it, else one still connecting, else round-robin over the nodes
 * (cluster.h, "Routing"). A node whose connection refuses the submission
 * (backing off, queue full) is skipped for the next. The completion counts
 * the result on the node, and an idempotent request that failed without an
 * answer, or with Overloaded or Is_bootstrapping, goes once to another node.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cql/cluster_int.h"
#include "util/clock.h"

typedef struct creq {
    cql_cluster *cl;
    cl_node *node;
    cql_cstmt *s;
    int64_t token;
    bool has_token;
    uint32_t flags;
    uint32_t attempts;
    cql_params p;
    cql_value values[VL_CQL_REQ_VALUES_MAX];
    cql_bind_fn bind;
    cql_conn_cb cb;
    void *arg;
} creq;

/* ---- options, making, freeing ---------------------------------------------------- */

void vl__cql_cluster_opts_init(cql_cluster_opts *o) {
    memset(o, 0, sizeof *o);
    o->port = 9042;
    o->pool_size = VL_CQL_POOL_DEFAULT;
    o->heartbeat_ms = VL_CQL_HEARTBEAT_MS_DEFAULT;
    o->connect_timeout_ms = VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT;
    o->request_timeout_ms = VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT;
    o->inflight = VL_CQL_INFLIGHT_DEFAULT;
    o->queue_max = VL_CQL_QUEUE_DEFAULT;
    o->reconnect_base_ms = VL_CQL_RECONNECT_BASE_MS_DEFAULT;
    o->reconnect_cap_ms = VL_CQL_RECONNECT_CAP_MS_DEFAULT;
}

static vl_status check(const cql_cluster_opts *o) {
    if (!o->contact_points || o->n_contact_points == 0 ||
        o->n_contact_points > VL_CQL_CONTACT_POINTS_MAX)
        return VL_EINVAL;
    for (uint32_t i = 0; i < o->n_contact_points; i++) {
        const char *cp = o->contact_points[i];
        if (!cp || !cp[0] || strlen(cp) > VL_CQL_HOST_NAME_MAX) return VL_EINVAL;
    }
    if (o->pool_size > VL_CQL_POOL_MAX || o->port == 0) return VL_EINVAL;
    /* The keyspace is only a bound value (its replication is looked up). */
    if (o->keyspace && (!o->keyspace[0] || strlen(o->keyspace) > VL_CASSANDRA_NAME_MAX))
        return VL_EINVAL;
    if (o->local_dc && (!o->local_dc[0] || strlen(o->local_dc) > VL_CQL_DC_NAME_MAX)) return VL_EINVAL;
    if ((o->user == NULL) != (o->password == NULL)) return VL_EINVAL;
    return VL_OK;
}

static char *copy_str(const char *s, bool *oom) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = true;
    return d;
}

static void free_cluster(cql_cluster *cl) {
    void (*closed)(void *) = cl->closed;
    void *arg = cl->closed_arg;
    for (uint32_t i = 0; cl->cps && i < cl->o.n_contact_points; i++) free(cl->cps[i]);
    free(cl->cps);
    free(cl->keyspace);
    free(cl->local_dc_opt);
    free(cl->user);
    free(cl->password);
    for (uint32_t i = 0; i < cl->n_stmts; i++) free(cl->stmts[i]);
    vl__cql_ring_free(&cl->ring);
    free(cl);
    if (closed) closed(arg);
}

static void handle_gone(cql_cluster *cl) {
    if (--cl->handles == 0 && cl->closing) free_cluster(cl);
}

static void on_timer_closed(uv_handle_t *h) { handle_gone(h->data); }

static void on_discovered(cql_cluster *cl, vl_status st, const char *detail);
static void on_pool_change(cql_cluster *cl);

vl_status vl__cql_cluster_new(uv_loop_t *loop, const cql_cluster_opts *o, cql_cluster **out) {
    vl_status st = check(o);
    if (st != VL_OK) return st;
    cql_cluster *cl = calloc(1, sizeof *cl);
    if (!cl) return VL_ENOMEM;
    cl->loop = loop;
    cl->o = *o;
    bool oom = false;
    cl->cps = calloc(o->n_contact_points, sizeof *cl->cps);
    oom = !cl->cps;
    for (uint32_t i = 0; !oom && i < o->n_contact_points; i++) cl->cps[i] = copy_str(o->contact_points[i], &oom);
    cl->keyspace = copy_str(o->keyspace, &oom);
    cl->local_dc_opt = copy_str(o->local_dc, &oom);
    cl->user = copy_str(o->user, &oom);
    cl->password = copy_str(o->password, &oom);
    if (oom) {
        free_cluster(cl);
        return VL_ENOMEM;
    }
    cl->o.contact_points = (const char *const *)cl->cps;
    cl->o.keyspace = cl->keyspace;
    cl->o.local_dc = cl->local_dc_opt;
    cl->o.user = cl->user;
    cl->o.password = cl->password;
    if (cl->local_dc_opt) snprintf(cl->local_dc, sizeof cl->local_dc, "%s", cl->local_dc_opt);
    cl->on_discovered = on_discovered;
    cl->on_pool_change = on_pool_change;
    cl->handle_gone = handle_gone;
    cl->rng.s = (uint64_t)vl__mono_us() ^ (uint64_t)(uintptr_t)cl;
    uv_timer_init(loop, &cl->refresh_timer);
    uv_timer_init(loop, &cl->control_timer);
    uv_timer_init(loop, &cl->schema_timer);
    cl->refresh_timer.data = cl->control_timer.data = cl->schema_timer.data = cl;
    cl->handles = 3;
    *out = cl;
    return VL_OK;
}

cql_cstmt *vl__cql_cluster_statement(cql_cluster *cl, const char *query) {
    if (cl->starting || cl->discovered || cl->n_stmts == VL_CQL_CLUSTER_STMTS_MAX) return NULL;
    size_t n = strlen(query);
    cql_cstmt *s = malloc(sizeof *s + n + 1);
    if (!s) return NULL;
    memcpy(s->query, query, n + 1);
    s->index = cl->n_stmts;
    cl->stmts[cl->n_stmts++] = s;
    return s;
}

/* ---- starting ------------------------------------------------------------------- */

static void finish_start(cql_cluster *cl, vl_status st, const char *detail) {
    if (!cl->starting) return;
    cl->starting = false;
    cql_cluster_done_cb cb = cl->start_cb;
    cl->start_cb = NULL;
    if (cb) cb(cl->start_arg, st, detail);
}

/* Done once every listed node's connections have each become READY or
 * failed an attempt (as drivers do, so that the first requests find the
 * pools made): VL_OK if one is READY, else the first node's reason, a
 * refused statement before anything else. */
static void check_started(cql_cluster *cl) {
    if (!cl->starting || !cl->discovered) return;
    if (cl->o.pool_size == 0) {
        finish_start(cl, VL_OK, "control connection only");
        return;
    }
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed), ready = 0, total = 0;
    const cl_conn *first = NULL, *schema = NULL;
    for (uint32_t i = 0; i < n; i++) {
        const cl_node *x = &cl->nodes[i];
        for (uint32_t k = 0; x->listed && x->pool && k < cl->o.pool_size; k++) {
            const cl_conn *pc = &x->pool[k];
            total++;
            if (pc->state == CQL_CONN_READY) {
                ready++;
                continue;
            }
            if (!pc->failed_once) return; /* still on its first attempt */
            if (!first) first = pc;
            if (!schema && pc->error == VL_ESCHEMA) schema = pc;
        }
    }
    char msg[320];
    if (ready) {
        snprintf(msg, sizeof msg, "%u of %u connections ready", ready, total);
        finish_start(cl, VL_OK, msg);
        return;
    }
    const cl_conn *pick = schema ? schema : first;
    if (!pick) {
        finish_start(cl, VL_EUNAVAILABLE, "no node to connect to");
        return;
    }
    snprintf(msg, sizeof msg, "no node could be used: %s: %s", pick->node->name, pick->detail);
    finish_start(cl, pick->error, msg);
}

static void on_discovered(cql_cluster *cl, vl_status st, const char *detail) {
    if (st != VL_OK) finish_start(cl, st, detail);
    else check_started(cl);
}

static void on_pool_change(cql_cluster *cl) { check_started(cl); }

void vl__cql_cluster_start(cql_cluster *cl, cql_cluster_done_cb done, void *arg) {
    if (cl->starting || cl->discovered || cl->closing) return;
    cl->starting = true;
    cl->start_cb = done;
    cl->start_arg = arg;
    vl__cl_control_start(cl);
}

/* ---- routing ------------------------------------------------------------------- */

/* Nodes a request must not go to: the one it failed on, those that
 * refused it. */
typedef struct skips {
    const cl_node *n[4];
    int count;
} skips;

static bool skipped(const skips *sk, const cl_node *x) {
    for (int i = 0; i < sk->count; i++)
        if (sk->n[i] == x) return true;
    return false;
}

static cl_conn *from_replicas(cql_cluster *cl, const creq *rq, const skips *sk, bool connecting) {
    const uint16_t *reps;
    uint32_t n = vl__cql_ring_replicas(&cl->ring, rq->token, &reps);
    for (uint32_t i = 0; i < n; i++) {
        cl_node *x = &cl->nodes[reps[i]];
        if (skipped(sk, x) || !vl__cl_node_usable(x)) continue;
        cl_conn *pc = vl__cl_node_conn(x, connecting);
        if (pc) return pc;
    }
    return NULL;
}

/* Round-robin: the local datacenter's nodes, or (local false) any. */
static cl_conn *round_robin(cql_cluster *cl, const skips *sk, bool local, bool connecting) {
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    uint32_t start = cl->rr++;
    for (uint32_t k = 0; k < n; k++) {
        cl_node *x = &cl->nodes[(start + k) % n];
        if (skipped(sk, x) || !vl__cl_node_usable(x)) continue;
        if (local && strcmp(x->dc, cl->local_dc) != 0) continue;
        cl_conn *pc = vl__cl_node_conn(x, connecting);
        if (pc) return pc;
    }
    return NULL;
}

static cl_conn *pick(cql_cluster *cl, const creq *rq, const skips *sk) {
    cl_conn *pc = NULL;
    bool tokens = rq->has_token && cl->token_aware;
    for (int connecting = 0; connecting < 2 && !pc; connecting++) {
        if (tokens) pc = from_replicas(cl, rq, sk, connecting);
        if (!pc) pc = round_robin(cl, sk, true, connecting);
        if (!pc) pc = round_robin(cl, sk, false, connecting);
    }
    return pc;
}

/* ---- requests ------------------------------------------------------------------ */

static void count(cl_node *n, vl_status st) {
    _Atomic uint64_t *c = st == VL_OK ? &n->ok
                        : st == VL_ETIMEOUT ? &n->timeouts
                        : st == VL_EUNAVAILABLE ? &n->unavailable
                        : st == VL_EOVERLOADED || st == VL_EBUSY ? &n->overloaded
                        : &n->other;
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&n->done, 1, memory_order_relaxed);
}

/* Worth one more try elsewhere: no answer (lost, timed out), or a node that
 * says it cannot take requests now. */
static bool try_elsewhere(vl_status st, const cql_response *r) {
    if (!r) return st == VL_ETIMEOUT || st == VL_EUNAVAILABLE;
    return r->opcode == CQL_OP_ERROR &&
           (r->error.code == CQL_ERR_OVERLOADED || r->error.code == CQL_ERR_IS_BOOTSTRAPPING);
}

static void bind_through(void *arg, cql_value *values, uint16_t n) {
    creq *rq = arg;
    rq->bind(rq->arg, values, n);
}

static void on_done(void *arg, vl_status st, const cql_response *r);

static vl_status submit_to(creq *rq, cl_conn *pc) {
    cql_stmt *stmt = pc->stmts[rq->s->index];
    vl_status st = vl__cql_conn_execute_bound(pc->c, stmt, &rq->p, rq->bind ? bind_through : NULL,
                                              on_done, rq);
    if (st != VL_OK) return st;
    rq->node = pc->node;
    rq->attempts++;
    atomic_fetch_add_explicit(&pc->node->sent, 1, memory_order_relaxed);
    return VL_OK;
}

/* Sends to the best node but `failed`; a node whose connection refuses
 * the request (backing off, queue full) is passed over for the next. */
static vl_status route(cql_cluster *cl, creq *rq, const cl_node *failed) {
    skips sk = {{failed}, failed ? 1 : 0};
    vl_status st = VL_EUNAVAILABLE;
    while (sk.count < 4) {
        cl_conn *pc = pick(cl, rq, &sk);
        if (!pc) break;
        st = submit_to(rq, pc);
        if (st == VL_OK || st == VL_EINVAL || st == VL_ETOOBIG || st == VL_ENOMEM) return st;
        sk.n[sk.count++] = pc->node;
    }
    return st;
}

static void on_done(void *arg, vl_status st, const cql_response *r) {
    creq *rq = arg;
    cql_cluster *cl = rq->cl;
    cl_node *n = rq->node;
    count(n, st);
    if (st != VL_OK && (rq->flags & CQL_IDEMPOTENT) && rq->attempts == 1 && !cl->closing &&
        try_elsewhere(st, r) && route(cl, rq, n) == VL_OK) {
        atomic_fetch_add_explicit(&n->retried, 1, memory_order_relaxed);
        return;
    }
    rq->cb(rq->arg, st, r);
    free(rq);
}

vl_status vl__cql_cluster_execute(cql_cluster *cl, cql_cstmt *s, cql_slice routing_key,
                                  uint32_t flags, const cql_params *p, cql_bind_fn bind,
                                  cql_conn_cb cb, void *arg) {
    if (cl->closing) return VL_ECLOSED;
    if (!s || !cb || (p && p->n_values > VL_CQL_REQ_VALUES_MAX)) return VL_EINVAL;
    if (p && p->n_values && !p->values) return VL_EINVAL;
    creq *rq = calloc(1, sizeof *rq);
    if (!rq) return VL_ENOMEM;
    rq->cl = cl;
    rq->s = s;
    rq->flags = flags;
    if (p) {
        rq->p = *p;
        if (p->n_values) memcpy(rq->values, p->values, p->n_values * sizeof *rq->values);
    }
    rq->p.values = rq->values;
    rq->bind = bind;
    rq->cb = cb;
    rq->arg = arg;
    if (routing_key.p) {
        rq->token = vl__cql_murmur3_token(routing_key.p, routing_key.len);
        rq->has_token = true;
    }
    vl_status st = route(cl, rq, NULL);
    if (st != VL_OK) free(rq);
    return st;
}

vl_status vl__cql_cluster_query(cql_cluster *cl, const char *query, const cql_params *p,
                                uint32_t timeout_ms, cql_conn_cb cb, void *arg) {
    if (cl->closing) return VL_ECLOSED;
    if (!cl->control_ready) return VL_EUNAVAILABLE;
    return vl__cql_conn_query_timeout(cl->control, query, p,
                                      timeout_ms ? timeout_ms : cl->o.request_timeout_ms, cb, arg);
}

static void cork_all(cql_cluster *cl, bool cork) {
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; cl->nodes[i].pool && k < cl->o.pool_size; k++) {
            cql_conn *c = cl->nodes[i].pool[k].c;
            if (c && cork) vl__cql_conn_cork(c);
            else if (c) vl__cql_conn_uncork(c);
        }
}

void vl__cql_cluster_cork(cql_cluster *cl) {
    if (cl->cork++ == 0) cork_all(cl, true);
}

void vl__cql_cluster_uncork(cql_cluster *cl) {
    if (cl->cork > 0 && --cl->cork == 0) cork_all(cl, false);
}

vl_status vl__cql_cluster_schema_agreement(cql_cluster *cl, uint32_t timeout_ms,
                                           cql_cluster_done_cb done, void *arg) {
    if (cl->closing) return VL_ECLOSED;
    return vl__cl_schema_agreement(cl, timeout_ms, done, arg);
}

const char *vl__cql_cluster_local_dc(const cql_cluster *cl) { return cl->local_dc; }

/* ---- counters: any thread -------------------------------------------------------- */

uint32_t vl__cql_cluster_nodes(const cql_cluster *cl) {
    return atomic_load_explicit(&cl->n_nodes, memory_order_acquire);
}

void vl__cql_cluster_node_stats(const cql_cluster *cl, uint32_t i, cql_node_stats *out) {
    memset(out, 0, sizeof *out);
    if (i >= vl__cql_cluster_nodes(cl)) return;
    cl_node *n = (cl_node *)&cl->nodes[i];
#define LD(x) atomic_load_explicit(&n->x, memory_order_relaxed)
    snprintf(out->address, sizeof out->address, "%s", n->name);
    out->up = LD(up);
    out->in_ring = LD(in_ring);
    out->sent = LD(sent);
    uint64_t done = LD(done);
    out->in_flight = out->sent > done ? out->sent - done : 0;
    out->ok = LD(ok);
    out->timeouts = LD(timeouts);
    out->unavailable = LD(unavailable);
    out->overloaded = LD(overloaded);
    out->other = LD(other);
    out->retried = LD(retried);
#undef LD
}

/* ---- closing -------------------------------------------------------------------- */

void vl__cql_cluster_close(cql_cluster *cl, void (*closed)(void *arg), void *arg) {
    if (cl->closing) return;
    cl->closing = true;
    cl->closed = closed;
    cl->closed_arg = arg;
    cl->starting = false;
    cl->agree_cb = NULL;
    uv_timer_stop(&cl->refresh_timer);
    uv_timer_stop(&cl->control_timer);
    uv_timer_stop(&cl->schema_timer);
    vl__cl_control_close(cl);
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++) vl__cl_node_fini(&cl->nodes[i]);
    uv_close((uv_handle_t *)&cl->refresh_timer, on_timer_closed);
    uv_close((uv_handle_t *)&cl->control_timer, on_timer_closed);
    uv_close((uv_handle_t *)&cl->schema_timer, on_timer_closed);
}
