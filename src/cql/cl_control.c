/*
 * cl_control.c -- the cluster client's view of the cluster (cluster_int.h):
 * resolving the contact points, the control connection, discovery (the
 * system tables), events, refreshes, and the ring.
 *
 * Owns: the control connection, the contact points' look-ups, the
 * discovery queries, cql_cluster's ring and replication.
 * Threads: the loop's.
 *
 * ==== The control connection ====
 *
 * One per client, so one per shard: a client shares nothing with other
 * threads, and the price is one more connection and a few small reads per
 * shard. It registers for TOPOLOGY_CHANGE, STATUS_CHANGE and SCHEMA_CHANGE
 * and carries discovery, schema agreement and the caller's plain queries.
 * Candidates are tried in turn, each until its first failed attempt: at the
 * start the contact points' addresses; later the nodes that are up, then
 * the contact points. When every candidate has failed, the start fails with
 * what each one said; after the start, a new round begins after half of
 * reconnect_cap_ms plus a random part of the other half. Every control connection that becomes READY reads the tables again,
 * since events may have been missed while there was none.
 *
 * ==== Discovery ====
 *
 *   SELECT * FROM system.local WHERE key = 'local'
 *   SELECT * FROM system.peers_v2      (Invalid: system.peers from then on)
 *   SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?
 *
 * The local node is taken at the control connection's own address; a peer
 * at its native_address:native_port (system.peers has no port: the
 * configured one). Then the nodes no longer listed leave the ring and their
 * pools close, the ring is rebuilt, and new nodes get their pools.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cql/cluster_int.h"
#include "cql/topo.h"

#define Q_LOCAL "SELECT * FROM system.local WHERE key = 'local'"
#define Q_PEERS_V2 "SELECT * FROM system.peers_v2"
#define Q_PEERS "SELECT * FROM system.peers"
#define Q_KEYSPACE "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?"

static void discover(cql_cluster *cl);
static void on_control_timer(uv_timer_t *t);

/* "; "-separated notes of what failed, for the start's error. */
static void note_tried(cql_cluster *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_tried(cql_cluster *cl, const char *fmt, ...) {
    size_t n = strlen(cl->tried);
    if (n + 8 >= sizeof cl->tried) return;
    if (n) n += (size_t)snprintf(cl->tried + n, sizeof cl->tried - n, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cl->tried + n, sizeof cl->tried - n, fmt, ap);
    va_end(ap);
}

/* The most telling failure of a round: the first one, unless it only says
 * "unreachable" and a later one says more (refused credentials, say). */
static void note_failure(cql_cluster *cl, vl_status st) {
    vl_status had = cl->control_error;
    if (had == VL_OK || ((had == VL_EUNAVAILABLE || had == VL_ETIMEOUT) &&
                         st != VL_EUNAVAILABLE && st != VL_ETIMEOUT))
        cl->control_error = st;
}

/* ---- contact points -------------------------------------------------------------- */

static void add_cp_addr(cql_cluster *cl, const struct sockaddr *sa) {
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    if (sa->sa_family == AF_INET) {
        memcpy(&a, sa, sizeof(struct sockaddr_in));
        ((struct sockaddr_in *)&a)->sin_port = htons(cl->o.port);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(&a, sa, sizeof(struct sockaddr_in6));
        ((struct sockaddr_in6 *)&a)->sin6_port = htons(cl->o.port);
    } else {
        return;
    }
    for (uint32_t i = 0; i < cl->n_cp_addr; i++)
        if (vl__cl_addr_eq(&cl->cp_addr[i], &a)) return;
    if (cl->n_cp_addr < CL_CP_ADDRS) cl->cp_addr[cl->n_cp_addr++] = a;
}

/* The candidates for a round: the nodes that are up (once discovered),
 * then the contact points. */
static void start_round(cql_cluster *cl, uint64_t delay_ms) {
    cl->n_cand = cl->next_cand = 0;
    cl->control_error = VL_OK;
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    for (uint32_t i = 0; cl->discovered && i < n; i++)
        if (vl__cl_node_usable(&cl->nodes[i])) cl->cand[cl->n_cand++] = cl->nodes[i].addr;
    for (uint32_t i = 0; i < cl->n_cp_addr; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < cl->n_cand && !dup; j++)
            dup = vl__cl_addr_eq(&cl->cand[j], &cl->cp_addr[i]);
        if (!dup) cl->cand[cl->n_cand++] = cl->cp_addr[i];
    }
    uv_timer_start(&cl->control_timer, on_control_timer, delay_ms, 0);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    cql_cluster *cl = req->data;
    uint32_t i = (uint32_t)(req - cl->gai);
    cl->gai_pending[i] = false;
    if (!cl->closing) {
        if (status < 0) {
            note_tried(cl, "%s (cannot resolve: %s)", cl->cps[i], uv_strerror(status));
        } else {
            uint32_t before = cl->n_cp_addr;
            for (struct addrinfo *ai = res; ai; ai = ai->ai_next) add_cp_addr(cl, ai->ai_addr);
            vl__cl_log(cl, VL_LOG_INFO, "contact point %s resolved to %u address(es)", cl->cps[i],
                       cl->n_cp_addr - before);
        }
        if (--cl->resolving == 0) start_round(cl, 0);
    }
    uv_freeaddrinfo(res);
    cl->handle_gone(cl); /* last: it may free the client */
}

void vl__cl_control_start(cql_cluster *cl) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    cl->resolving = 1; /* held until every look-up has been started */
    for (uint32_t i = 0; i < cl->o.n_contact_points; i++) {
        struct sockaddr_in6 a6;
        struct sockaddr_in a4;
        const char *cp = cl->cps[i];
        if (uv_ip4_addr(cp, cl->o.port, &a4) == 0) {
            add_cp_addr(cl, (struct sockaddr *)&a4);
        } else if (uv_ip6_addr(cp, cl->o.port, &a6) == 0) {
            add_cp_addr(cl, (struct sockaddr *)&a6);
        } else {
            cl->gai[i].data = cl;
            int r = uv_getaddrinfo(cl->loop, &cl->gai[i], on_resolved, cp, NULL, &hints);
            if (r < 0) {
                note_tried(cl, "%s (cannot resolve: %s)", cp, uv_strerror(r));
                continue;
            }
            cl->gai_pending[i] = true;
            cl->resolving++;
            cl->handles++;
        }
    }
    /* The first attempt is always a timer's: nothing ends inside the call. */
    if (--cl->resolving == 0) start_round(cl, 0);
}

/* ---- the control connection ------------------------------------------------------- */

static void on_control_closed(void *arg) {
    cql_cluster *cl = arg;
    cl->handle_gone(cl);
}

static void drop_control(cql_cluster *cl) {
    if (!cl->control) return;
    cql_conn *c = cl->control;
    cl->control = NULL;
    cl->control_ready = false;
    cl->handles++;
    vl__cql_conn_close(c, on_control_closed, cl);
}

/* Every candidate of the round failed. */
static void round_failed(cql_cluster *cl) {
    if (!cl->discovered) {
        char msg[900];
        vl_status st = cl->control_error != VL_OK ? cl->control_error : VL_EUNAVAILABLE;
        snprintf(msg, sizeof msg, "%s: %s",
                 cl->n_cp_addr ? "no contact point answered" : "no contact point could be resolved",
                 cl->tried[0] ? cl->tried : "none given");
        cl->on_discovered(cl, st, msg);
        return;
    }
    /* Half of the cap, plus up to as much again at random: the shards'
     * clients do not all come back in step. */
    uint64_t cap = cl->o.reconnect_cap_ms, delay = cap / 2 + vl__rng_below(&cl->rng, cap / 2 + 1);
    vl__cl_log(cl, VL_LOG_WARN, "no node takes the control connection (%s); trying again in %llu ms",
               cl->tried, (unsigned long long)delay);
    cl->tried[0] = 0;
    start_round(cl, delay);
}

static void on_control_event(void *arg, const cql_event *ev);

static void on_control_state(void *arg, cql_conn_state st, vl_status why, const char *detail) {
    cql_cluster *cl = arg;
    if (st == CQL_CONN_CLOSED || cl->closing) return;
    char name[64];
    vl__cl_addr_name(&cl->control_addr, name, sizeof name);
    if (st == CQL_CONN_READY) {
        cl->control_ready = cl->control_had_ready = true;
        cl->tried[0] = 0;
        vl__cl_log(cl, VL_LOG_INFO, "control connection on %s", name);
        discover(cl);
    } else if (st == CQL_CONN_BACKOFF) {
        cl->control_ready = false;
        note_tried(cl, "%s (%s: %s)", name, vl_status_name(why), detail);
        note_failure(cl, why);
        if (cl->control_had_ready) { /* a working one was lost: a new round */
            vl__cl_log(cl, VL_LOG_WARN, "control connection on %s lost: %s", name, detail);
            cl->control_had_ready = false;
            cl->tried[0] = 0;
            start_round(cl, 0);
        } else {
            uv_timer_start(&cl->control_timer, on_control_timer, 0, 0);
        }
    } else if (st == CQL_CONN_CONNECTING && why != VL_OK) {
        cl->control_ready = false; /* dropped; it reconnects to the same node at once */
    }
}

/* Drops a failed control connection and tries the next candidate (from a
 * timer: never inside the connection's own callback). */
static void on_control_timer(uv_timer_t *t) {
    cql_cluster *cl = t->data;
    if (cl->closing) return;
    if (cl->control && !cl->control_ready) drop_control(cl);
    if (cl->control) return;
    while (cl->next_cand < cl->n_cand) {
        cql_conn_opts o;
        vl__cql_conn_opts_init(&o);
        o.host = NULL;
        cl->control_addr = cl->cand[cl->next_cand++];
        o.addr = (const struct sockaddr *)&cl->control_addr;
        o.user = cl->o.user;
        o.password = cl->o.password;
        o.connect_timeout_ms = cl->o.connect_timeout_ms;
        o.request_timeout_ms = cl->o.request_timeout_ms;
        o.heartbeat_ms = cl->o.heartbeat_ms == UINT32_MAX ? 0 : cl->o.heartbeat_ms;
        o.events = CQL_EV_TOPOLOGY | CQL_EV_STATUS | CQL_EV_SCHEMA;
        o.on_state = on_control_state;
        o.on_state_arg = cl;
        o.on_event = on_control_event;
        o.on_event_arg = cl;
        vl_status st = vl__cql_conn_new(cl->loop, &o, &cl->control);
        if (st == VL_OK) {
            cl->control_had_ready = false;
            vl__cql_conn_start(cl->control);
            return;
        }
        cl->control = NULL;
        note_failure(cl, st);
    }
    round_failed(cl);
}

/* ---- events --------------------------------------------------------------------- */

static void on_control_event(void *arg, const cql_event *ev) {
    cql_cluster *cl = arg;
    if (vl__cql_slice_eq(ev->type, "SCHEMA_CHANGE")) {
        if (cl->keyspace && vl__cql_slice_eq(ev->schema.target, "KEYSPACE") &&
            vl__cql_slice_eq(ev->schema.keyspace, cl->keyspace))
            vl__cl_control_refresh(cl);
        return;
    }
    struct sockaddr_storage a;
    if (vl__cql_inet_sockaddr(ev->addr, ev->port, &a) != CQL_OK) return;
    char name[64];
    vl__cl_addr_name(&a, name, sizeof name);
    if (vl__cql_slice_eq(ev->type, "TOPOLOGY_CHANGE")) {
        vl__cl_log(cl, VL_LOG_INFO, "event: %.*s %s", (int)ev->change.len,
                   (const char *)ev->change.p, name);
        vl__cl_control_refresh(cl);
        return;
    }
    if (!vl__cql_slice_eq(ev->type, "STATUS_CHANGE")) return;
    bool down = vl__cql_slice_eq(ev->change, "DOWN");
    cl_node *n = vl__cl_node_find(cl, &a);
    vl__cl_log(cl, VL_LOG_INFO, "event: %s is %s", name, down ? "DOWN" : "UP");
    if (n) vl__cl_node_set_down(n, down);
    else if (!down) vl__cl_control_refresh(cl); /* a node we do not know yet */
}

/* ---- discovery -------------------------------------------------------------------- */

static vl_status control_query(cql_cluster *cl, const char *q, const cql_value *v, uint16_t n,
                               cql_conn_cb cb) {
    cql_params p = {.consistency = CQL_ONE, .values = v, .n_values = n};
    return vl__cql_conn_query(cl->control, q, &p, cb, cl);
}

static void discovery_failed(cql_cluster *cl, vl_status st, const cql_response *r,
                             const char *what) {
    cl->discovering = false;
    if (!cl->control_ready) return; /* the next control connection reads again */
    char msg[512];
    if (r && r->opcode == CQL_OP_ERROR)
        snprintf(msg, sizeof msg, "%s: %s: %.*s", what, vl_status_name(st),
                 (int)r->error.message.len, (const char *)r->error.message.p);
    else
        snprintf(msg, sizeof msg, "%s: %s (%s)", what, vl_status_name(st), vl_strerror(st));
    if (!cl->discovered) {
        cl->on_discovered(cl, st, msg);
        return;
    }
    vl__cl_log(cl, VL_LOG_WARN, "reading the cluster's tables failed: %s; trying again soon", msg);
    vl__cl_control_refresh(cl);
}

static void copy_text(char *dst, size_t cap, cql_slice s) {
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n) memcpy(dst, s.p, n);
    dst[n] = 0;
}

static void set_tokens(cl_node *n, const cql_node_row *row) {
    if (row->n_tokens != n->n_tokens) {
        int64_t *t = realloc(n->tokens, (row->n_tokens ? row->n_tokens : 1) * sizeof *t);
        if (!t) {
            vl__cl_log(n->cl, VL_LOG_ERROR, "node %s: out of memory for its tokens", n->name);
            return;
        }
        n->tokens = t;
    }
    cql_iter it = row->tokens;
    uint32_t k = 0;
    while (k < row->n_tokens && vl__cql_token_next(&it, &n->tokens[k])) k++;
    n->n_tokens = k;
}

static void apply_row(cql_cluster *cl, const cql_node_row *row, bool local) {
    struct sockaddr_storage a = cl->control_addr;
    if (!local) {
        if (!row->has_addr) return;
        a = row->addr;
        vl__cl_default_port(cl, &a);
    }
    cl_node *n = vl__cl_node_get(cl, &a);
    if (!n) return;
    copy_text(n->dc, sizeof n->dc, row->dc);
    copy_text(n->rack, sizeof n->rack, row->rack);
    n->has_schema = row->has_schema;
    if (row->has_schema) memcpy(n->schema, row->schema, 16);
    set_tokens(n, row);
    if (!n->listed && cl->discovered)
        vl__cl_log(cl, VL_LOG_INFO, "node %s joined (%s/%s, %u tokens)", n->name, n->dc, n->rack,
                   n->n_tokens);
    n->listed = true;
    n->seen = cl->round;
    if (!local) return;
    n->event_down = false; /* the control connection reached it */
    const char *m3 = "Murmur3Partitioner";
    size_t ml = strlen(m3);
    cql_slice p = row->partitioner;
    cl->murmur3 = p.len >= ml && memcmp(p.p + p.len - ml, m3, ml) == 0;
    if (!cl->local_dc[0]) copy_text(cl->local_dc, sizeof cl->local_dc, row->dc);
}

static void rebuild_ring(cql_cluster *cl) {
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed);
    cql_ring_node rn[VL_CQL_NODES_MAX];
    for (uint32_t i = 0; i < n; i++) {
        const cl_node *x = &cl->nodes[i];
        rn[i] = (cql_ring_node){x->dc, x->rack, x->tokens, x->n_tokens, !x->listed};
    }
    cql_ring fresh;
    vl_status st = vl__cql_ring_build(&fresh, rn, n, &cl->repl, cl->local_dc);
    if (st != VL_OK) {
        vl__cl_log(cl, VL_LOG_ERROR, "cannot build the token ring: %s; keeping the last one",
                   vl_strerror(st));
    } else {
        vl__cql_ring_free(&cl->ring);
        cl->ring = fresh;
    }
    cl->token_aware = cl->murmur3 && cl->ring.width > 0;
}

/* "NetworkTopologyStrategy dc1:3 dc2:2" */
static void describe_repl(const cql_cluster *cl, char *buf, size_t cap) {
    const cql_replication *r = &cl->repl;
    size_t n = 0;
    if (!cl->keyspace) n = (size_t)snprintf(buf, cap, "no keyspace given");
    else if (!cl->repl_found) n = (size_t)snprintf(buf, cap, "keyspace %s not found", cl->keyspace);
    else if (r->cls == CQL_REPL_SIMPLE) n = (size_t)snprintf(buf, cap, "SimpleStrategy %u", r->rf);
    else if (r->cls == CQL_REPL_OTHER) n = (size_t)snprintf(buf, cap, "a strategy without token placement");
    else n = (size_t)snprintf(buf, cap, "NetworkTopologyStrategy");
    for (uint32_t i = 0; r->cls == CQL_REPL_NTS && i < r->n_dcs && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, " %s:%u", r->dcs[i].name, r->dcs[i].rf);
    if (!cl->murmur3 && n < cap) snprintf(buf + n, cap - n, ", not Murmur3Partitioner");
}

static void finish_discovery(cql_cluster *cl) {
    uint32_t n = atomic_load_explicit(&cl->n_nodes, memory_order_relaxed), listed = 0, up = 0;
    bool local_seen = false;
    for (uint32_t i = 0; i < n; i++) {
        cl_node *x = &cl->nodes[i];
        if (x->listed && x->seen != cl->round) {
            x->listed = false;
            vl__cl_log(cl, VL_LOG_INFO, "node %s left the ring", x->name);
            vl__cl_node_close_pool(x);
        }
    }
    rebuild_ring(cl);
    for (uint32_t i = 0; i < n; i++) {
        cl_node *x = &cl->nodes[i];
        if (x->listed) vl__cl_node_open_pool(x);
        vl__cl_node_publish(x);
        listed += x->listed;
        up += vl__cl_node_usable(x);
        local_seen |= x->listed && strcmp(x->dc, cl->local_dc) == 0;
    }
    cl->discovering = false;
    bool first = !cl->discovered;
    cl->discovered = true;
    char repl[256], msg[512];
    describe_repl(cl, repl, sizeof repl);
    snprintf(msg, sizeof msg, "%u nodes, %u up, local datacenter %s; %s routing (%s)", listed, up,
             cl->local_dc, cl->token_aware ? "token-aware" : "round-robin", repl);
    vl__cl_log(cl, VL_LOG_INFO, "cluster: %s", msg);
    if (!local_seen)
        vl__cl_log(cl, VL_LOG_WARN, "no node is in the local datacenter %s: requests go to others",
                   cl->local_dc);
    if (first) cl->on_discovered(cl, VL_OK, msg);
    if (cl->refresh_again) {
        cl->refresh_again = false;
        vl__cl_control_refresh(cl);
    }
}

static void on_keyspace(void *arg, vl_status st, const cql_response *r) {
    cql_cluster *cl = arg;
    if (cl->closing) return;
    if (st != VL_OK) {
        discovery_failed(cl, st, r, "system_schema.keyspaces");
        return;
    }
    bool found;
    cql_err e = vl__cql_replication_decode(&r->result, &cl->repl, &found);
    if (e != CQL_OK)
        vl__cl_log(cl, VL_LOG_WARN, "keyspace %s: its replication cannot be read (%s): round-robin",
                   cl->keyspace, vl__cql_err_str(e));
    cl->repl_found = e == CQL_OK && found;
    finish_discovery(cl);
}

static void on_peers(void *arg, vl_status st, const cql_response *r) {
    cql_cluster *cl = arg;
    if (cl->closing) return;
    if (st == VL_EQUERY && !cl->peers_v1 && r && r->opcode == CQL_OP_ERROR &&
        r->error.code == CQL_ERR_INVALID) { /* no system.peers_v2: an older server */
        cl->peers_v1 = true;
        vl__cl_log(cl, VL_LOG_INFO, "no system.peers_v2 here: reading system.peers");
        st = control_query(cl, Q_PEERS, NULL, 0, on_peers);
        if (st != VL_OK) discovery_failed(cl, st, NULL, "system.peers");
        return;
    }
    const char *what = cl->peers_v1 ? "system.peers" : "system.peers_v2";
    if (st != VL_OK) {
        discovery_failed(cl, st, r, what);
        return;
    }
    cql_topo_iter it;
    cql_node_row row;
    bool got = true;
    cql_err e = vl__cql_topo_open(&r->result, cl->peers_v1 ? CQL_TOPO_PEERS : CQL_TOPO_PEERS_V2, &it);
    while (e == CQL_OK && got) {
        e = vl__cql_topo_next(&it, &row, &got);
        if (e == CQL_OK && got) apply_row(cl, &row, false);
    }
    if (e != CQL_OK) {
        vl__cl_log(cl, VL_LOG_ERROR, "%s cannot be read: %s", what, vl__cql_err_str(e));
        discovery_failed(cl, VL_EUPSTREAM, NULL, what);
        return;
    }
    if (!cl->keyspace) {
        finish_discovery(cl);
        return;
    }
    cql_value ks = vl__cql_text(cl->keyspace);
    st = control_query(cl, Q_KEYSPACE, &ks, 1, on_keyspace);
    if (st != VL_OK) discovery_failed(cl, st, NULL, "system_schema.keyspaces");
}

static void on_local(void *arg, vl_status st, const cql_response *r) {
    cql_cluster *cl = arg;
    if (cl->closing) return;
    if (st != VL_OK) {
        discovery_failed(cl, st, r, "system.local");
        return;
    }
    cql_node_row row;
    cql_err e = vl__cql_topo_first(&r->result, CQL_TOPO_LOCAL, &row);
    if (e != CQL_OK) {
        vl__cl_log(cl, VL_LOG_ERROR, "system.local cannot be read: %s", vl__cql_err_str(e));
        discovery_failed(cl, VL_EUPSTREAM, NULL, "system.local");
        return;
    }
    apply_row(cl, &row, true);
    st = control_query(cl, cl->peers_v1 ? Q_PEERS : Q_PEERS_V2, NULL, 0, on_peers);
    if (st != VL_OK) discovery_failed(cl, st, NULL, "system.peers");
}

static void discover(cql_cluster *cl) {
    if (!cl->control_ready || cl->closing) return;
    if (cl->discovering) {
        cl->refresh_again = true;
        return;
    }
    cl->discovering = true;
    cl->round++;
    vl_status st = control_query(cl, Q_LOCAL, NULL, 0, on_local);
    if (st != VL_OK) discovery_failed(cl, st, NULL, "system.local");
}

static void on_refresh_timer(uv_timer_t *t) { discover(t->data); }

void vl__cl_control_refresh(cql_cluster *cl) {
    if (cl->closing || uv_is_active((uv_handle_t *)&cl->refresh_timer)) return;
    uv_timer_start(&cl->refresh_timer, on_refresh_timer, VL_CQL_REFRESH_DELAY_MS, 0);
}

void vl__cl_control_close(cql_cluster *cl) {
    drop_control(cl);
    for (uint32_t i = 0; i < VL_CQL_CONTACT_POINTS_MAX; i++)
        if (cl->gai_pending[i]) uv_cancel((uv_req_t *)&cl->gai[i]);
}
