/*
 * cluster_int.h -- what the files of the cluster client share (cluster.h is
 * what the rest of vellir sees). In calling order, top to bottom:
 *
 *   cluster.c     the API: options, start, routing, retries, close
 *   cl_schema.c   schema agreement, on the control connection
 *   cl_control.c  contact points, the control connection, discovery,
 *                 events, refreshes, the ring
 *   cl_node.c     node slots, their pools of connections, up/down, logging
 *
 * Each calls only the ones below it; the upward notifications (a pool
 * connection's state, the end of a discovery) go through the function
 * pointers in cql_cluster, which cluster.c sets.
 *
 * Owns: the structures. Threads: the loop's, except the atomics of cl_node
 * (stats, any thread).
 */
#ifndef VELLIR_CQL_CLUSTER_INT_H
#define VELLIR_CQL_CLUSTER_INT_H

#include <stdatomic.h>

#include "cql/cluster.h"
#include "cql/ring.h"
#include "util/rng.h"

typedef struct cl_node cl_node;

/* One pooled connection to a node. */
typedef struct cl_conn {
    cql_conn *c;          /* NULL once closed */
    cl_node *node;
    cql_stmt *stmts[VL_CQL_CLUSTER_STMTS_MAX];
    cql_conn_state state, prev;
    bool failed_once;     /* an attempt failed before any was READY */
    vl_status error;      /* of the last failed attempt */
    char detail[160];
} cl_conn;

struct cl_node {
    /* Any thread. `name` is written before the slot is published (n_nodes,
     * release) and never again. */
    char name[64];
    _Atomic bool up, in_ring;
    _Atomic uint64_t sent, done, ok, timeouts, unavailable, overloaded, other, retried;
    /* The loop's thread only. */
    cql_cluster *cl;
    uint16_t index;
    struct sockaddr_storage addr;
    char dc[VL_CQL_DC_NAME_MAX + 1], rack[VL_CQL_DC_NAME_MAX + 1];
    int64_t *tokens;
    uint32_t n_tokens;
    uint8_t schema[16];
    bool has_schema;
    bool listed;          /* in the ring (the last discovery listed it) */
    uint64_t seen;        /* the discovery round that last listed it */
    bool event_down;      /* the last STATUS_CHANGE said DOWN */
    cl_conn *pool;        /* pool_size connections once opened */
};

struct cql_cstmt {
    uint32_t index;
    char query[];
};

#define CL_CP_ADDRS (VL_CQL_CONTACT_POINTS_MAX * 4u)

struct cql_cluster {
    uv_loop_t *loop;
    cql_cluster_opts o;      /* its strings point at the copies below */
    char **cps;
    char *keyspace, *local_dc_opt, *user, *password;
    char local_dc[VL_CQL_DC_NAME_MAX + 1];
    cql_cstmt *stmts[VL_CQL_CLUSTER_STMTS_MAX];
    uint32_t n_stmts;

    cl_node nodes[VL_CQL_NODES_MAX];
    _Atomic uint32_t n_nodes;

    /* routing */
    cql_ring ring;
    cql_replication repl;
    bool token_aware;        /* Murmur3Partitioner and a placing strategy */
    bool murmur3;            /* system.local names Murmur3Partitioner */
    bool repl_found;         /* the keyspace exists */
    uint32_t rr;             /* round-robin position */
    int cork;

    /* contact points, resolved */
    struct sockaddr_storage cp_addr[CL_CP_ADDRS];
    uint32_t n_cp_addr;
    uv_getaddrinfo_t gai[VL_CQL_CONTACT_POINTS_MAX];
    bool gai_pending[VL_CQL_CONTACT_POINTS_MAX];
    uint32_t resolving;
    char tried[768];         /* "where (why), ..." of failed attempts */

    /* the control connection */
    cql_conn *control;
    struct sockaddr_storage control_addr;
    bool control_ready;
    bool control_had_ready;  /* this control connection was READY once */
    struct sockaddr_storage cand[CL_CP_ADDRS + VL_CQL_NODES_MAX];
    uint32_t n_cand, next_cand;
    vl_status control_error; /* the most telling failure of this round */
    bool peers_v1;           /* no system.peers_v2: read system.peers */
    bool discovering, refresh_again, discovered;
    uint64_t round;          /* discovery rounds */
    vl_rng rng;              /* jitter of the control connection's rounds */
    uv_timer_t refresh_timer, control_timer, schema_timer;

    /* notifications up to cluster.c */
    void (*on_discovered)(cql_cluster *cl, vl_status st, const char *detail);
    void (*on_pool_change)(cql_cluster *cl);
    void (*handle_gone)(cql_cluster *cl); /* one of `handles` is released */

    /* start */
    cql_cluster_done_cb start_cb;
    void *start_arg;
    bool starting;

    /* schema agreement */
    cql_cluster_done_cb agree_cb;
    void *agree_arg;
    int64_t agree_t0_us, agree_deadline_us;
    uint8_t agree_local[16];
    bool agree_has_local;

    /* closing */
    bool closing;
    int handles;             /* timers, look-ups and connections libuv still
                                holds; the memory goes with the last */
    void (*closed)(void *arg);
    void *closed_arg;
};

/* ---- cl_node.c ---- */

/* Logs through opts.log. */
void vl__cl_log(cql_cluster *cl, vl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "1.2.3.4:9042" or "[::1]:9042". */
void vl__cl_addr_name(const struct sockaddr_storage *a, char *buf, size_t cap);
bool vl__cl_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* A port of 0 (system.peers has none) becomes the configured one. */
void vl__cl_default_port(const cql_cluster *cl, struct sockaddr_storage *a);
/* The node at this address (and port), or NULL. */
cl_node *vl__cl_node_find(cql_cluster *cl, const struct sockaddr_storage *a);
/* The node at this address, made if new (NULL when every slot is taken). */
cl_node *vl__cl_node_get(cql_cluster *cl, const struct sockaddr_storage *a);
/* Opens the node's pool (if not open), or closes it. */
void vl__cl_node_open_pool(cl_node *n);
void vl__cl_node_close_pool(cl_node *n);
/* A connection to send on: the READY one with the fewest requests in
 * flight; with `connecting`, else one still connecting. NULL if none. */
cl_conn *vl__cl_node_conn(cl_node *n, bool connecting);
/* Up: listed, not reported down, and a connection not backing off (or no
 * pool yet). */
bool vl__cl_node_usable(const cl_node *n);
/* A STATUS_CHANGE: down, or up (its backing-off connections try now). */
void vl__cl_node_set_down(cl_node *n, bool down);
/* Recomputes the node's published `up`. */
void vl__cl_node_publish(cl_node *n);
/* Frees the node's tokens and closes its pool (the cluster is closing). */
void vl__cl_node_fini(cl_node *n);

/* ---- cl_control.c ---- */

/* Resolves the contact points and makes the control connection; then
 * on_discovered. */
void vl__cl_control_start(cql_cluster *cl);
/* Reads the system tables again soon (once per burst). */
void vl__cl_control_refresh(cql_cluster *cl);
/* Closes the control connection and cancels the look-ups. */
void vl__cl_control_close(cql_cluster *cl);

/* ---- cl_schema.c ---- */

vl_status vl__cl_schema_agreement(cql_cluster *cl, uint32_t timeout_ms, cql_cluster_done_cb done,
                                  void *arg);

#endif /* VELLIR_CQL_CLUSTER_INT_H */
