/*
 * cl_node.c -- the cluster client's nodes (cluster_int.h): a fixed slot per
 * address, each node's pool of connections, whether it is up, and the
 * client's log lines.
 *
 * Owns: the node slots (in cql_cluster) and each node's pool (cl_conn).
 * Threads: the loop's; the slots' atomics (name, up, counters) are read by
 * any thread through vl__cql_cluster_node_stats.
 *
 * A node is up when it is in the ring, the server has not reported it down
 * (STATUS_CHANGE DOWN, until an UP or until one of its connections becomes
 * READY), and one of its connections is not backing off. Every
 * change of a pooled connection's state is passed up (on_pool_change), so
 * the start can finish as soon as one connection is READY.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cql/cluster_int.h"

void vl__cl_log(cql_cluster *cl, vl_log_level level, const char *fmt, ...) {
    if (!cl->o.log) return;
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cl->o.log(cl->o.log_arg, level, msg);
}

void vl__cl_addr_name(const struct sockaddr_storage *a, char *buf, size_t cap) {
    char ip[64] = "?";
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
        uv_ip4_name(v4, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, ntohs(v4->sin_port));
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
        uv_ip6_name(v6, ip, sizeof ip);
        snprintf(buf, cap, "[%s]:%u", ip, ntohs(v6->sin6_port));
    }
}

bool vl__cl_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
    if (a->ss_family != b->ss_family) return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

void vl__cl_default_port(const cql_cluster *cl, struct sockaddr_storage *a) {
    in_port_t *port = a->ss_family == AF_INET ? &((struct sockaddr_in *)a)->sin_port
                                              : &((struct sockaddr_in6 *)a)->sin6_port;
    if (*port == 0) *port = htons(cl->o.port);
}

cl_node *vl__cl_node_find(cql_cluster *cl, const struct sockaddr_storage *a) {
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++)
        if (vl__cl_addr_eq(&cl->nodes[i].addr, a)) return &cl->nodes[i];
    return NULL;
}

cl_node *vl__cl_node_get(cql_cluster *cl, const struct sockaddr_storage *a) {
    cl_node *node = vl__cl_node_find(cl, a);
    if (node) return node;
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    if (n == VL_CQL_NODES_MAX) {
        char name[64];
        vl__cl_addr_name(a, name, sizeof name);
        vl__cl_log(cl, VL_LOG_WARN, "node %s ignored: %u nodes known already (VL_CQL_NODES_MAX)",
                   name, VL_CQL_NODES_MAX);
        return NULL;
    }
    node = &cl->nodes[n];
    node->cl = cl;
    node->index = (uint16_t)n;
    node->addr = *a;
    vl__cl_addr_name(a, node->name, sizeof node->name);
    atomic_store_explicit(&cl->n_nodes, n + 1, memory_order_release);
    return node;
}

/* ---- up and down -------------------------------------------------------------- */

static bool conn_live(const cl_conn *pc) {
    return pc->c && pc->state != CQL_CONN_BACKOFF && pc->state != CQL_CONN_CLOSED;
}

bool vl__cl_node_usable(const cl_node *n) {
    if (!n->listed || n->event_down) return false;
    if (!n->pool) return true;
    for (uint32_t i = 0; i < n->cl->o.pool_size; i++)
        if (conn_live(&n->pool[i])) return true;
    return false;
}

void vl__cl_node_publish(cl_node *n) {
    bool up = vl__cl_node_usable(n);
    bool was = atomic_exchange_explicit(&n->up, up, memory_order_relaxed);
    atomic_store_explicit(&n->in_ring, n->listed, memory_order_relaxed);
    if (was == up || !n->listed) return;
    const char *why = n->event_down ? "reported down by the cluster" : "every connection is backing off";
    if (up) vl__cl_log(n->cl, VL_LOG_INFO, "node %s is up", n->name);
    else vl__cl_log(n->cl, VL_LOG_WARN, "node %s is down (%s)", n->name, why);
}

void vl__cl_node_set_down(cl_node *n, bool down) {
    n->event_down = down;
    for (uint32_t i = 0; !down && n->pool && i < n->cl->o.pool_size; i++)
        if (n->pool[i].c) vl__cql_conn_reconnect_now(n->pool[i].c);
    vl__cl_node_publish(n);
}

/* ---- the pool ---------------------------------------------------------------- */

static void on_pool_state(void *arg, cql_conn_state st, vl_status why, const char *detail) {
    cl_conn *pc = arg;
    pc->prev = pc->state;
    pc->state = st;
    if (st == CQL_CONN_CLOSED) return;
    if (st == CQL_CONN_CONNECTING && why != VL_OK) /* a READY one dropped: it reconnects */
        vl__cl_log(pc->node->cl, VL_LOG_INFO, "connection to %s lost (%s): %s; reconnecting",
                   pc->node->name, vl_status_name(why), detail);
    if (st == CQL_CONN_BACKOFF) {
        pc->failed_once = true;
        /* A keyspace or statement the server refuses: the schema is wrong. */
        pc->error = why == VL_EQUERY && (pc->prev == CQL_CONN_KEYSPACE ||
                                         pc->prev == CQL_CONN_PREPARING) ? VL_ESCHEMA : why;
        snprintf(pc->detail, sizeof pc->detail, "%s", detail);
    }
    cl_node *n = pc->node;
    /* A connection that works proves the node up, whatever the last event
     * said: a node reports itself DOWN as it shuts down, and nobody reports
     * it UP to a client that only reconnects once it is back. */
    if (st == CQL_CONN_READY) n->event_down = false;
    vl__cl_node_publish(n);
    if (n->cl->on_pool_change) n->cl->on_pool_change(n->cl);
}

static void on_conn_closed(void *arg) {
    cql_cluster *cl = arg;
    cl->handle_gone(cl);
}

static void close_conn(cql_cluster *cl, cl_conn *pc) {
    if (!pc->c) return;
    cql_conn *c = pc->c;
    pc->c = NULL;
    cl->handles++;
    vl__cql_conn_close(c, on_conn_closed, cl);
}

static vl_status open_conn(cl_node *n, cl_conn *pc) {
    cql_cluster *cl = n->cl;
    cql_conn_opts o;
    vl__cql_conn_opts_init(&o);
    o.host = NULL;
    o.addr = (const struct sockaddr *)&n->addr;
    o.user = cl->o.user;
    o.password = cl->o.password;
    o.inflight = cl->o.inflight;
    o.queue_max = cl->o.queue_max;
    o.connect_timeout_ms = cl->o.connect_timeout_ms;
    o.request_timeout_ms = cl->o.request_timeout_ms;
    o.reconnect_base_ms = cl->o.reconnect_base_ms;
    o.reconnect_cap_ms = cl->o.reconnect_cap_ms;
    o.heartbeat_ms = cl->o.heartbeat_ms == UINT32_MAX ? 0 : cl->o.heartbeat_ms;
    o.on_state = on_pool_state;
    o.on_state_arg = pc;
    pc->node = n;
    pc->state = CQL_CONN_IDLE;
    vl_status st = vl__cql_conn_new(cl->loop, &o, &pc->c);
    for (uint32_t i = 0; st == VL_OK && i < cl->n_stmts; i++) {
        pc->stmts[i] = vl__cql_conn_statement(pc->c, cl->stmts[i]->query);
        if (!pc->stmts[i]) st = VL_ENOMEM;
    }
    if (st == VL_OK) {
        if (cl->cork) vl__cql_conn_cork(pc->c);
        vl__cql_conn_start(pc->c);
        return VL_OK;
    }
    close_conn(cl, pc);
    pc->failed_once = true;
    pc->error = st;
    snprintf(pc->detail, sizeof pc->detail, "cannot make a connection: %s", vl_strerror(st));
    return st;
}

void vl__cl_node_open_pool(cl_node *n) {
    cql_cluster *cl = n->cl;
    if (n->pool || cl->o.pool_size == 0) return;
    n->pool = calloc(cl->o.pool_size, sizeof *n->pool);
    if (!n->pool) {
        vl__cl_log(cl, VL_LOG_ERROR, "node %s: out of memory for its connections", n->name);
        return;
    }
    for (uint32_t i = 0; i < cl->o.pool_size; i++) (void)open_conn(n, &n->pool[i]);
}

void vl__cl_node_close_pool(cl_node *n) {
    if (!n->pool) return;
    cl_conn *pool = n->pool;
    for (uint32_t i = 0; i < n->cl->o.pool_size; i++) close_conn(n->cl, &pool[i]);
    n->pool = NULL;
    free(pool);
}

void vl__cl_node_fini(cl_node *n) {
    vl__cl_node_close_pool(n);
    free(n->tokens);
    n->tokens = NULL;
    n->n_tokens = 0;
}

cl_conn *vl__cl_node_conn(cl_node *n, bool connecting) {
    cl_conn *best = NULL, *waiting = NULL;
    uint32_t best_load = UINT32_MAX;
    for (uint32_t i = 0; n->pool && i < n->cl->o.pool_size; i++) {
        cl_conn *pc = &n->pool[i];
        if (!pc->c) continue;
        if (pc->state == CQL_CONN_READY) {
            if (n->cl->o.pool_size == 1) return pc;
            cql_conn_stats s;
            vl__cql_conn_stats_get(pc->c, &s);
            if (s.in_flight + s.queued < best_load) {
                best = pc;
                best_load = s.in_flight + s.queued;
            }
        } else if (conn_live(pc) && !waiting) {
            waiting = pc;
        }
    }
    return best ? best : connecting ? waiting : NULL;
}
