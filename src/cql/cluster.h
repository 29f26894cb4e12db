/*
 * cluster.h -- a CQL client for a whole Cassandra (or ScyllaDB) cluster,
 * running in one libuv loop: contact points (names or addresses, resolved
 * without blocking the loop), discovery of the nodes and their tokens,
 * token-aware routing to a replica in the local datacenter, a small pool of
 * connections per node, node up/down from the server's events, heartbeats,
 * schema agreement, and one retry on another replica for idempotent reads.
 * Built on conn.h (one connection) and the pure ring.h and topo.h; knows
 * nothing of caching.
 *
 * Owns: cql_cluster (its nodes, their connections, the control connection,
 * the ring, its timers and name look-ups) and its statements (cql_cstmt).
 * Threads: a cql_cluster belongs to the thread that runs its loop; every
 * function here and every callback it makes runs there, except
 * vl__cql_cluster_nodes and vl__cql_cluster_node_stats, which any thread
 * may call while the cluster exists.
 *
 * ==== Using it ====
 *
 *     cql_cluster_opts o; vl__cql_cluster_opts_init(&o);
 *     const char *cps[] = {"cass1.example", "10.0.0.7"};
 *     o.contact_points = cps; o.n_contact_points = 2; o.keyspace = "ks";
 *     cql_cluster *cl; vl__cql_cluster_new(loop, &o, &cl);
 *     cql_cstmt *get = vl__cql_cluster_statement(cl, "SELECT v FROM ks.t WHERE k = ?");
 *     vl__cql_cluster_start(cl, on_started, arg);   // on_started(arg, VL_OK, "...")
 *     ...
 *     cql_value k = vl__cql_blob(key, len);
 *     cql_params p = {.consistency = CQL_LOCAL_QUORUM, .values = &k, .n_values = 1};
 *     vl__cql_cluster_execute(cl, get, vl__cql_slice_of(key, len), CQL_IDEMPOTENT,
 *                             &p, NULL, on_reply, arg);
 *
 * Submissions follow conn.h's contract: VL_OK means the callback runs once,
 * later; anything else means it never runs. What a request points to must
 * stay valid until its callback has run.
 *
 * ==== What happens ====
 *
 * Start: every contact point is resolved (uv_getaddrinfo on the loop's
 * thread pool; addresses need no look-up), and a control connection is made
 * to the first address that answers. On it the client REGISTERs for
 * topology, status and schema events and reads system.local, then
 * system.peers_v2 (system.peers on servers without it) and the keyspace's
 * replication; it builds the ring and opens `pool_size` connections to each
 * node. The start callback runs once every one of those connections is
 * READY or has failed an attempt (so the first requests find the pools
 * made): VL_OK if one is READY (with pool_size 0, once the tables are
 * read), else the first failure, with a sentence naming the node (a
 * statement the server refuses to prepare is VL_ESCHEMA). If no contact point answers at all, it gets VL_EUNAVAILABLE and
 * the list of addresses with what each one said.
 *
 * Routing: with a routing key (the serialized partition key) and a keyspace
 * whose strategy is SimpleStrategy or NetworkTopologyStrategy on a
 * Murmur3Partitioner cluster, a request goes to the first replica of the
 * key that is up with a READY connection, the local datacenter's first (ring
 * order, so a key's primary replica when it is up); else to a replica still
 * connecting; else round-robin over the local datacenter's up nodes, then
 * the others. A node is down when the server said so (STATUS_CHANGE DOWN,
 * until UP) or when every connection to it is backing off.
 *
 * Failures: a connection reconnects by itself (conn.h: capped, jittered
 * backoff); an UP event makes its node's backing-off connections try at
 * once. The control connection moves to another node when its own goes
 * away. A TOPOLOGY_CHANGE or a SCHEMA_CHANGE of the keyspace reads the
 * tables again, VL_CQL_REFRESH_DELAY_MS later, once per burst.
 *
 * Retries: a request submitted with CQL_IDEMPOTENT whose node fails it
 * without an answer (the connection was lost, or the request timed out on
 * the client) or answers Overloaded or Is_bootstrapping is sent once more,
 * to another node (the key's next replica when there is one). Nothing else
 * is retried here: a server's Unavailable or Read/Write_timeout would be
 * the same from another coordinator, and writes are the caller's to retry
 * (vellir's commit policy; every vellir write carries its own timestamp, so
 * a repeat is harmless, but a client-side repeat would only duplicate what
 * the cache's backoff already does, and hide the failure from it).
 */
#ifndef VELLIR_CQL_CLUSTER_H
#define VELLIR_CQL_CLUSTER_H

#include "cql/conn.h"

typedef struct cql_cluster cql_cluster;
typedef struct cql_cstmt cql_cstmt;

/* A log line from the client (node up/down, the ring, failures). */
typedef void (*cql_cluster_log_fn)(void *arg, vl_log_level level, const char *msg);

typedef struct cql_cluster_opts {
    const char *const *contact_points; /* host names or numeric addresses (copied) */
    uint32_t n_contact_points;         /* 1..VL_CQL_CONTACT_POINTS_MAX */
    uint16_t port;                     /* the native port; default 9042 */
    const char *local_dc;  /* NULL: the datacenter of the node the control
                              connection first reached */
    const char *keyspace;  /* its replication routes requests; NULL: no
                              token-aware routing. Not USEd: statements name
                              their keyspace. */
    const char *user, *password; /* SASL PLAIN, or NULL */
    uint32_t pool_size;    /* connections per node: VL_CQL_POOL_DEFAULT; 0: none,
                              the control connection only (for DDL) */
    uint32_t heartbeat_ms; /* VL_CQL_HEARTBEAT_MS_DEFAULT; UINT32_MAX: none */
    uint32_t connect_timeout_ms, request_timeout_ms, inflight, queue_max;
    uint32_t reconnect_base_ms, reconnect_cap_ms; /* 0: conn.h's defaults */
    cql_cluster_log_fn log; /* may be NULL */
    void *log_arg;
} cql_cluster_opts;

/* Defaults (as above); no contact points, no keyspace. */
void vl__cql_cluster_opts_init(cql_cluster_opts *o);

/* A new client on `loop` (not started). Copies every string. VL_EINVAL for
 * no or too many contact points, an empty or over-long one
 * (VL_CQL_HOST_NAME_MAX), a pool size above VL_CQL_POOL_MAX, an empty or
 * over-long keyspace name, credentials given by half; VL_ENOMEM. */
vl_status vl__cql_cluster_new(uv_loop_t *loop, const cql_cluster_opts *o, cql_cluster **out);

/* Registers a statement (copied), prepared on every pooled connection at
 * its handshake. Only before vl__cql_cluster_start, at most
 * VL_CQL_CLUSTER_STMTS_MAX; NULL otherwise or out of memory. */
cql_cstmt *vl__cql_cluster_statement(cql_cluster *cl, const char *query);

/* The start's outcome: VL_OK and a summary, or the failure and a sentence. */
typedef void (*cql_cluster_done_cb)(void *arg, vl_status st, const char *detail);

/* Starts (see the top). `done` runs once, later. */
void vl__cql_cluster_start(cql_cluster *cl, cql_cluster_done_cb done, void *arg);

/* Flags of vl__cql_cluster_execute. */
#define CQL_IDEMPOTENT 0x01u /* may be sent once more to another node */

/* Executes `s` on the node the routing key leads to (see the top); an empty
 * key (routing_key.p == NULL) is routed round-robin. `bind` as in
 * vl__cql_conn_execute_bound (may be NULL). Returns as conn.h's
 * submissions, and VL_EUNAVAILABLE when no node can take it. */
vl_status vl__cql_cluster_execute(cql_cluster *cl, cql_cstmt *s, cql_slice routing_key,
                                  uint32_t flags, const cql_params *p, cql_bind_fn bind,
                                  cql_conn_cb cb, void *arg);

/* A QUERY on the control connection (DDL, TRUNCATE, system tables), with
 * its own timeout (0: request_timeout_ms). VL_EUNAVAILABLE while there is
 * no control connection. */
vl_status vl__cql_cluster_query(cql_cluster *cl, const char *query, const cql_params *p,
                                uint32_t timeout_ms, cql_conn_cb cb, void *arg);

/* Frames submitted between the two leave in one write per connection. */
void vl__cql_cluster_cork(cql_cluster *cl);
void vl__cql_cluster_uncork(cql_cluster *cl);

/* Waits, up to timeout_ms, until every node that is up reports the same
 * schema_version as the control connection's node (system.local against
 * system.peers_v2 or system.peers), asking every VL_CQL_SCHEMA_POLL_MS.
 * `done` runs once, later: VL_OK and how long it took, or VL_ETIMEOUT and
 * the versions that differ (or the failure of the last query). One wait at
 * a time: VL_EBUSY (and no callback) while one runs; else VL_OK. */
vl_status vl__cql_cluster_schema_agreement(cql_cluster *cl, uint32_t timeout_ms,
                                           cql_cluster_done_cb done, void *arg);

/* The datacenter requests prefer (known once started). */
const char *vl__cql_cluster_local_dc(const cql_cluster *cl);

/* ---- per-node counters: any thread ---- */

typedef struct cql_node_stats {
    char address[64];  /* "127.0.0.2:9142" */
    bool up;           /* see "Routing" above */
    bool in_ring;      /* listed by the last discovery */
    uint64_t sent;     /* requests submitted to the node (retries included) */
    uint64_t in_flight;/* sent, not yet completed */
    uint64_t ok;       /* completed VL_OK */
    uint64_t timeouts;    /* VL_ETIMEOUT: the client's timeout or the server's */
    uint64_t unavailable; /* VL_EUNAVAILABLE: connection lost, node down, Unavailable */
    uint64_t overloaded;  /* VL_EOVERLOADED (Overloaded, or the connection's queue full) */
    uint64_t other;       /* any other failure (query, schema, auth, ...) */
    uint64_t retried;     /* failed here and sent to another node */
} cql_node_stats;

/* How many node slots are in use (a slot is never reused for another
 * address: VL_CQL_NODES_MAX over the client's life). */
uint32_t vl__cql_cluster_nodes(const cql_cluster *cl);
/* The counters of slot i < vl__cql_cluster_nodes(). Each is read atomically
 * (relaxed): together they are a near snapshot, not an exact one. */
void vl__cql_cluster_node_stats(const cql_cluster *cl, uint32_t i, cql_node_stats *out);

/* Closes every connection and timer; outstanding requests complete
 * VL_ECLOSED (inside the call); a start or a schema agreement wait still
 * running ends without its callback. The memory is freed once libuv has
 * closed everything, then `closed` runs (if not NULL). Invalid after the
 * call. */
void vl__cql_cluster_close(cql_cluster *cl, void (*closed)(void *arg), void *arg);

#endif /* VELLIR_CQL_CLUSTER_H */
