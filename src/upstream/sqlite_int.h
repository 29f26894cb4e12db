/*
 * sqlite_int.h -- the parts of the SQLite upstream (vellir_sqlite.h) that
 * its files share: the job queue, connections, the shared state.
 *
 * Owns: declarations only. Threads: as each struct says.
 *
 * The files:
 *   sqlite.c         factory, ops, starting and stopping the threads, stats
 *   sqlite_queue.c   sq_queue: a mutex + condvar ring of jobs (any thread)
 *   sqlite_conn.c    opening a connection, schema check, statements, errors,
 *                    the shared log (vl__sq_log_any)
 *   sqlite_writer.c  the writer thread: group commit, purge
 *   sqlite_reader.c  the reader threads: loads and scan pages
 */
#ifndef VL_UPSTREAM_SQLITE_INT_H
#define VL_UPSTREAM_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "vellir_sqlite.h"

struct sq_shared;

/* One open instance (one per shard). Its env is valid while it is open. */
typedef struct sq_inst {
    struct sq_shared *s;
    const vl_upstream_env *env;
    struct sq_inst *prev, *next; /* the shared list, under sq_shared.mu */
} sq_inst;

/* ---- the job queue (sqlite_queue.c) ------------------------------------ */

/* A request waiting for a worker: a vl_load*, a vl_scan_req*, a vl_batch*
 * or a vl_truncate*, and the instance it came from (for logging). */
typedef struct sq_job {
    void *req;
    sq_inst *inst;
    bool truncate; /* the writer's queue only: req is a vl_truncate* */
    bool scan;     /* the readers' queue only: req is a vl_scan_req* */
} sq_job;

/* Multi-producer (shard threads), multi-consumer (workers) ring under a
 * mutex. It grows on demand (a push that cannot grow fails VL_ENOMEM, and
 * the request is refused); workers take jobs in bulk. */
typedef struct sq_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    sq_job *ring;
    uint32_t cap, head, n;
    uint32_t sleepers; /* workers waiting on cv */
    bool stop;
} sq_queue;

vl_status vl__sq_queue_init(sq_queue *q);
void vl__sq_queue_destroy(sq_queue *q);
vl_status vl__sq_queue_push(sq_queue *q, void *req, sq_inst *inst);
vl_status vl__sq_queue_push_job(sq_queue *q, sq_job job);
/* Takes up to `max` jobs into `out`. Waits while the queue is empty, until
 * a push, vl__sq_queue_stop, or the monotonic time `deadline_us` (INT64_MAX:
 * no deadline). Returns the number taken; 0 on stop or deadline. */
uint32_t vl__sq_queue_take(sq_queue *q, sq_job *out, uint32_t max, int64_t deadline_us);
/* Wakes every waiter; later takes return what is left, then 0. */
void vl__sq_queue_stop(sq_queue *q);
/* Clears the stop flag (the threads are starting again). */
void vl__sq_queue_restart(sq_queue *q);
bool vl__sq_queue_stopped(sq_queue *q);

/* ---- connections (sqlite_conn.c) ---------------------------------------- */

enum {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_UPSERT,
    SQ_DELETE,
    SQ_PURGE,
    SQ_SELECT,
    SQ_TRUNCATE,
    SQ_SCAN_FIRST, /* a scan's first page */
    SQ_SCAN_AFTER, /* a scan's page after a position */
    SQ_NSTMT
};

typedef enum { SQ_WRITER, SQ_READER } sq_role;

/* A connection and its prepared statements. Used by one thread at a time
 * (SQLITE_OPEN_NOMUTEX). `broken` asks for a reopen before the next use. */
typedef struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *st[SQ_NSTMT];
    bool broken;
} sq_conn;

/* A message for the log, built by the function that failed. */
typedef struct sq_err {
    int rc; /* the SQLite result code, or 0 */
    char msg[512];
} sq_err;

/* Opens `c` for `role`: pragmas, (writer) WAL, schema check or creation,
 * statements. On failure `c` is closed, `err` says why. */
vl_status vl__sq_conn_open(const struct sq_shared *s, sq_conn *c, sq_role role, sq_err *err);
void vl__sq_conn_close(sq_conn *c);
/* Runs a statement with no result rows to completion and resets it.
 * Returns the SQLite result code (SQLITE_DONE on success). */
int vl__sq_exec(sqlite3_stmt *st);

/* The vl_status for an SQLite (extended) result code. */
vl_status vl__sq_status(int rc);
/* True if `rc` may mean the connection itself is bad, so it is reopened
 * before the next use. */
bool vl__sq_needs_reopen(int rc);
/* "SQLITE_IOERR_WRITE"-like name for messages; "SQLITE_ERROR" family names
 * come from sqlite3_errstr when no exact name is known. */
const char *vl__sq_code_name(int rc);

/* ---- shared state (sqlite.c) ------------------------------------------- */

typedef struct sq_reader {
    struct sq_shared *s;
    sq_conn c;
    pthread_t th;
} sq_reader;

typedef struct sq_counters {
    _Atomic uint64_t transactions, batches, keys, failed, write_us, reopens, loads;
    _Atomic uint64_t purge_passes, purged, purge_max;
} sq_counters;

/* The factory context: one per vl_sqlite_upstream, shared by the shards'
 * instances. Options are immutable after creation; `mu` serialises open and
 * close, `log_mu` guards the instance list (separate, so a worker that logs
 * never waits for an open that is joining it); the queues have their own locks; wconn belongs to the
 * writer thread and each reader's conn to that reader, while they run. */
typedef struct sq_shared {
    char *path, *table, *vfs;
    bool create_table;
    int sync;
    uint32_t nreaders, group_max, busy_ms, purge_ms, purge_rows;

    pthread_mutex_t mu;     /* open/close: refs, starting and stopping */
    uint32_t refs;
    pthread_mutex_t log_mu; /* the instance list, which vl__sq_log_any reads */
    sq_inst *insts;

    sq_queue commits, loads;
    pthread_t writer;
    sq_conn wconn;
    sq_job *wjobs; /* the writer's group buffer: group_max jobs */
    sq_reader *readers;
    sq_counters n;
} sq_shared;

/* Logs through the env of an open instance, if any (the writer's own
 * messages, which belong to no request). Any thread. */
void vl__sq_log_any(sq_shared *s, vl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void *vl__sq_writer_main(void *arg);  /* arg: sq_shared* */
void *vl__sq_reader_main(void *arg);  /* arg: sq_reader* */

#endif
