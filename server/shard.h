/*
 * shard.h -- the server (srv) and its part of each of the cache's shards
 * (srv_shard): the state every layer above reaches through its connection
 * or its op, and the per-shard counters INFO reads.
 *
 * Owns: srv and srv_shard (shard.c: srv_init, the calling thread's shard,
 * the shutdown request; server.c starts and stops them).
 * Threads: srv is written by the main thread before the shards start and
 * read by all afterwards, except its atomics. A srv_shard belongs to its
 * shard's thread; its counters are written there and read by any thread
 * (relaxed atomics).
 *
 * Layer: above config.h, below the connections and ops (conn.h).
 */
#ifndef VL_SERVER_SHARD_H
#define VL_SERVER_SHARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "vellir.h"
#include "vellir_upstream.h"

struct srv;
struct srv_conn;
struct srv_op;
struct srv_listener;

/* ---- counters (per shard; the shard writes, INFO reads) ---------------- */

typedef struct srv_counters {
    _Atomic uint64_t commands, conns_total, rejected, net_in, net_out, kspace_hits,
        kspace_misses, output_disconnects, busy_stalls;
    /* Commands whose key failed with each status (op.c), e.g. an upstream
     * that could not load it: what INFO's Upstream section counts by kind. */
    _Atomic uint64_t failures[VL_STATUS_COUNT];
    _Atomic int64_t values; /* live values on this shard (value.h) */
    _Atomic int64_t ops;    /* ops alive whose home is this shard */
    _Atomic uint32_t conns; /* connections whose home is this shard */
} srv_counters;

#define SRV_ADD(sh, f, n)                                                          \
    atomic_store_explicit(&(sh)->ctr.f,                                            \
                          atomic_load_explicit(&(sh)->ctr.f, memory_order_relaxed) + (n), \
                          memory_order_relaxed)

/* ---- a shard ----------------------------------------------------------- */

typedef struct srv_shard {
    struct srv *srv;
    uint32_t index;
    uv_loop_t *loop;
    /* Connections at home here (a doubly linked list). */
    struct srv_conn *conns;
    /* Connections with work for the next tick: replies to write, input to
     * parse again (linked through srv_conn.tick_next). */
    struct srv_conn *tick_head;
    bool tick_posted;
    vl_task tick;
    /* Connections waiting out a full mailbox (VL_EBUSY), and their timer. */
    struct srv_conn *busy_head;
    uv_timer_t busy_timer;
    bool busy_timer_on;
    /* SCAN's cursors minted here (cursor.h), made at the first; NULL before. */
    struct srv_cursors *cursors;
    /* Ops kept for reuse. */
    struct srv_op *free_ops;
    uint32_t nfree;
    bool draining;   /* shutting down: no more input; close when answered */
    bool handles_open; /* busy_timer initialised and not yet closed */
    bool torn_down;    /* the server's part of the shard is gone */
    srv_counters ctr;
} srv_shard;

/* ---- the server --------------------------------------------------------- */

/* What the server says of its upstream, never a password (upstream.c
 * fills it at start). */
typedef struct srv_upstream_about {
    char name[16];         /* sqlite, memory, postgres, cassandra */
    char target[1024];     /* a file, a connection string (password masked), a contact point */
    char table[128];       /* the table, keyspace.table for Cassandra */
    char credentials[64];  /* where the password comes from */
} srv_upstream_about;

struct srv_log;

typedef struct srv {
    srv_config cfg;
    vl_service *svc;
    uint32_t nshards;
    srv_shard *shards;
    vl_policy write_policy; /* from cfg: vl_immediate() or vl_within(ms) */
    int64_t start_ms;       /* wall clock */
    uint16_t port;          /* the port actually bound */
    char upstream_desc[1200];
    srv_upstream_about about;
    vl_upstream up;         /* for its own statistics (SQLite, PostgreSQL) */
    struct srv_log *log;    /* the library's messages: the upstream's last error */
    _Atomic uint64_t next_client_id;
    _Atomic int shutdown_asked; /* SHUTDOWN or a signal */
    _Atomic int stopping;       /* no more accepting */
    struct srv_listener *listener; /* shard 0's */
    void (*on_shutdown)(struct srv *s); /* SHUTDOWN: tell main */
    _Atomic int setup_status;   /* the listener's start (server.c) */
} srv;

/* Any thread, before the service opens: fills s from cfg. */
void srv_init(srv *s, const srv_config *cfg);
/* A signal or SHUTDOWN asked the server to stop (any thread). */
void srv_request_shutdown(srv *s);

/* The server's shard of the calling thread (NULL elsewhere). */
srv_shard *srv_self(void);
/* On a shard's thread, when the server sets it up: srv_self() is sh. */
void srv_self_set(srv_shard *sh);

#endif
