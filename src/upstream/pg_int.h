/*
 * pg_int.h -- the insides of the PostgreSQL upstream (vellir_pg.h), shared
 * by its files:
 *   pg_upstream.c  options, the factory, vl_upstream_ops, statistics
 *   pg_conn.c      one connection's state machine (connect, setup, fence,
 *                  ready, backoff) and its socket and timers in the loop
 *   pg_ops.c       requests on the wire (loads, commits, scan pages,
 *                  truncates, purges, setup statements) and turning their
 *                  results into completions
 *   pg_errors.c    SQLSTATEs and connection failures -> vl_status
 *
 * pg_conn.c and pg_ops.c are one unit in two files: the connection's state
 * machine sends requests (pg_ops.c), and a request's result moves the state
 * machine (pg_conn.c), so each calls the other. They are the one pair of
 * files allowed to call each other (scripts/check-layers.py names it); every
 * other file of the upstream calls only downward.
 *
 * Owns: the factory (pg_factory), the per-shard instance (pg_conn) and the
 * record of one request in a pipeline (pg_op).
 * Threads: a pg_factory is written once by vl_pg_upstream and then read by
 * every shard; its counters are atomics. A pg_conn and its ops belong to one
 * shard thread (its loop's callbacks run there too).
 */
#ifndef VL_UPSTREAM_PG_INT_H
#define VL_UPSTREAM_PG_INT_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <uv.h>

#include "util/rng.h"
#include "vellir_pg.h"

/* ---- the factory ---------------------------------------------------- */

/* Prepared statements, per connection. */
enum pg_stmt {
    PG_ST_LOAD = 0, /* $1 key -> value, expires_at (ms) of an unexpired row */
    PG_ST_PUT_ARR,  /* $1 keys[], $2 values[], $3 expires_at[]: multi-row upsert */
    PG_ST_DEL_ARR,  /* $1 keys[]: multi-row delete */
    PG_ST_PUT_ROW,  /* $1 key, $2 value, $3 expires_at: one-row upsert */
    PG_ST_DEL_ROW,  /* $1 key: one-row delete */
    PG_ST_PURGE,    /* $1 limit: delete expired rows, at most $1 */
    PG_ST_SCAN_FIRST, /* $1 limit -> key, expires_at (ms): the first live keys */
    PG_ST_SCAN_AFTER, /* $1 position, $2 limit: the live keys after $1 */
    PG_ST_COUNT
};

typedef struct pg_counters {
    _Atomic uint64_t connects, disconnects, connect_failures, fence_waits, loads, commits,
        rows_upserted, rows_deleted, failed, purge_passes, purged;
} pg_counters;

typedef struct pg_factory {
    vl_pg_options o;                   /* defaults filled; strings below */
    char *conninfo;
    char *table;                       /* as given, for messages */
    char *stmt_sql[PG_ST_COUNT];       /* statement texts */
    char *create_sql[2];               /* CREATE TABLE, CREATE INDEX */
    char *truncate_sql;                /* TRUNCATE (vl_clear) */
    pg_counters n;
} pg_factory;

#define PG_COUNT(f, field, by) atomic_fetch_add_explicit(&(f)->n.field, (by), memory_order_relaxed)

extern const vl_upstream_ops vl__pg_upstream_ops;

/* ---- a request in the pipeline ---------------------------------------- */

typedef enum pg_op_kind {
    OP_LOAD = 1,  /* a vl_load */
    OP_COMMIT,    /* a vl_batch: one transaction */
    OP_SCAN,      /* a vl_scan_req: one page */
    OP_TRUNCATE,  /* a vl_truncate: TRUNCATE the table */
    OP_PURGE,     /* a background purge pass */
    OP_CREATE,    /* setup: create the table (advisory-locked) */
    OP_PREPARE,   /* setup: prepare every statement */
    OP_FENCE,     /* setup: try to take this instance's session lock */
    OP_FENCE_WAIT,/* setup: wait for it (bounded by lock_timeout) */
    OP_TERMINATE, /* setup: end the old backend still holding it */
    OP_SYNC       /* the Sync that ends a group of loads */
} pg_op_kind;

/* One unit on the wire: some queries, then a Sync, which ends its
 * (implicit) transaction and marks its end in the answers. Loads are the
 * exception: each is one query without a Sync, complete when its results
 * end; the loads of one loop turn are followed by one OP_SYNC. */
typedef struct pg_op {
    struct pg_op *next;
    uint8_t kind;          /* pg_op_kind */
    uint8_t counted;       /* a request counted in pg_conn.requests */
    uint32_t queries_left; /* queries whose results have not ended yet */
    vl_status status;      /* the first failure among its results */
    int64_t sent_us;       /* monotonic, when it went on the wire */
    union {
        vl_load *load;
        vl_batch *batch;
        vl_scan_req *scan;
        vl_truncate *truncate;
    } req;
    PGresult *res;         /* LOAD, SCAN, FENCE: the rows */
    int64_t count;         /* PURGE: rows deleted */
} pg_op;

/* A request of the cache's: completed exactly once, failed by a drop. */
static inline bool vl__pg_op_is_request(const pg_op *op) {
    return op->kind == OP_LOAD || op->kind == OP_COMMIT || op->kind == OP_SCAN ||
           op->kind == OP_TRUNCATE;
}

/* ---- an instance: one connection of one shard -------------------------- */

typedef enum pg_state {
    PG_BACKOFF = 0, /* no connection; waiting to try again */
    PG_CONNECTING,  /* PQconnectPoll in progress */
    PG_SETUP,       /* connected; setup statements and the fence in flight */
    PG_READY,       /* requests go on the wire as they come */
    PG_FAILED,      /* vl_open only: the first connection failed */
    PG_CLOSED       /* close ran; handles closing */
} pg_state;

typedef struct pg_op_list {
    pg_op *head;
    pg_op **tailp;
} pg_op_list;

static inline void vl__pg_list_push(pg_op_list *l, pg_op *op) {
    op->next = NULL;
    *l->tailp = op;
    l->tailp = &op->next;
}

static inline pg_op *vl__pg_list_pop(pg_op_list *l) {
    pg_op *op = l->head;
    if (!op) return NULL;
    l->head = op->next;
    if (!l->head) l->tailp = &l->head;
    op->next = NULL;
    return op;
}

typedef struct pg_conn {
    pg_factory *f;
    const vl_upstream_env *env;
    PGconn *conn;
    pg_state state;
    uint64_t gen;          /* bumped whenever a connection is dropped */
    uv_poll_t *poll;       /* the socket's watcher (own allocation) */
    int poll_events;       /* what it watches; -1: not started */
    uv_timer_t timer;      /* connect timeout, backoff, fence retry */
    uv_timer_t watchdog;   /* the oldest request's deadline */
    uv_timer_t purge_timer;
    uv_prepare_t sync_prep;/* closes the group of loads before the loop polls */
    uv_timer_t late;       /* answers late_truncate */
    pg_op *late_truncate;  /* a TRUNCATE whose connection was lost on the wire:
                              answered once it can no longer land (pg_conn.c) */
    vl_status late_status;
    int handles_open;      /* timers and sync_prep; the instance is freed at 0 */
    pg_op_list wire;       /* sent, in order of their answers */
    pg_op_list waiting;    /* accepted while connecting; sent when ready */
    uint32_t requests;     /* the cache's requests in `wire` and `waiting` */
    bool opening;          /* inside vl_open: failure ends the attempt */
    vl_status open_status; /* PG_FAILED: why */
    vl_status last_status; /* why the last attempt or connection failed */
    bool created;          /* the CREATE ran on some connection already */
    bool ever_ready;
    bool purging;          /* a purge op is on the wire */
    uint32_t failures;     /* connection attempts failed in a row */
    int32_t fence_key;     /* this instance's advisory lock (second key) */
    bool fence_terminated; /* TERMINATE was sent on this connection */
    int64_t down_since_us; /* when the last ready connection was lost */
    int64_t last_log_us;   /* rate limit for repeated failures */
    int strays;            /* NULL results where a Sync was due */
    uint32_t unsynced;     /* loads sent since the last Sync */
    vl_status abort_status;/* the error that aborted the pipeline until its Sync */
    char appname[32];      /* fallback_application_name: vellir/shardN */
    vl_buf scratch;        /* parameter bytes of the op being sent */
    vl_rng rng;
} pg_conn;

/* pg_conn.c */
pg_conn *vl__pg_conn_new(pg_factory *f, const vl_upstream_env *env);
void vl__pg_conn_start(pg_conn *pg);                 /* -> CONNECTING */
void vl__pg_conn_submit(pg_conn *pg, pg_op *op);     /* a request of the cache's */
void vl__pg_conn_drop(pg_conn *pg, vl_status st, const char *why);
/* The answer of a FENCE, FENCE_WAIT or TERMINATE op. */
void vl__pg_conn_fenced(pg_conn *pg, pg_op_kind kind, vl_status st, bool locked);
void vl__pg_conn_purged(pg_conn *pg, int64_t rows, vl_status st);
void vl__pg_conn_sync_later(pg_conn *pg);            /* loads are waiting for a Sync */
void vl__pg_conn_free(pg_conn *pg);                  /* close */
void vl__pg_logf(pg_conn *pg, vl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pg_ops.c */
pg_op *vl__pg_op_new(pg_op_kind kind);
/* Puts `op` on the wire (appending it to pg->wire). False if the
 * connection broke: the caller drops it, which fails the op too. An op that
 * fails before anything is sent (no memory, nothing to send) is completed
 * here and true is returned. */
bool vl__pg_send(pg_conn *pg, pg_op *op);
/* Ends the current group of loads with a Sync (if there is one). False if
 * the connection broke. */
bool vl__pg_close_group(pg_conn *pg);
/* Takes every answer libpq has and completes the ops they end. */
void vl__pg_take_results(pg_conn *pg);
/* Completes `op` with failure `st` (a request) or forgets it, and frees it. */
void vl__pg_op_fail(pg_conn *pg, pg_op *op, vl_status st);
/* Statement names and their parameter types, for PQsendPrepare. */
const char *vl__pg_stmt_name(enum pg_stmt s);
int vl__pg_stmt_params(enum pg_stmt s, const Oid **types);

/* pg_errors.c */
/* The status of a SQLSTATE (NULL: a failure libpq made up itself). */
vl_status vl__pg_sqlstate_status(const char *sqlstate);
/* The status of a failed result on `conn` (which may have broken). */
vl_status vl__pg_result_status(const PGresult *r, const PGconn *conn);
/* The status of a failed connection attempt, from libpq's message. */
vl_status vl__pg_connect_status(const char *msg);

/* Milliseconds since the epoch <-> PostgreSQL's binary timestamptz
 * (microseconds since 2000-01-01 UTC). */
#define PG_EPOCH_OFFSET_MS 946684800000LL
static inline int64_t vl__pg_ms_to_ts(int64_t ms) { return (ms - PG_EPOCH_OFFSET_MS) * 1000; }

#endif
