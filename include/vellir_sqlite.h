/*
 * vellir_sqlite.h -- the embedded default upstream: one SQLite database file
 * (WAL mode) holding one table per service. This header is the manual.
 *
 * Owns: vl_sqlite_options, vl_sqlite_upstream, vl_sqlite_stats.
 * Threads: every function may be called from any thread. The upstream runs
 * SQLite on threads of its own (below); shard threads never call SQLite.
 *
 * ==== Use ====
 *
 *     vl_sqlite_options so;
 *     vl_sqlite_options_init(&so);
 *     so.path = "data/counters.db";          // created if missing
 *     vl_upstream up;
 *     vl_status st = vl_sqlite_upstream(&so, &up);
 *     if (st == VL_OK) st = vl_open(&opts, &my_type, &up, &svc);
 *     if (st != VL_OK && up.release) up.release(up.ctx); // vl_open failed
 *     ...
 *     vl_close(svc, NULL);                   // releases the upstream too
 *
 * ==== The table ====
 *
 *     CREATE TABLE <table> (key BLOB PRIMARY KEY, value BLOB NOT NULL,
 *                           expires_at INTEGER) WITHOUT ROWID;
 *     CREATE INDEX <table>_expires_at ON <table>(expires_at)
 *         WHERE expires_at IS NOT NULL;
 *
 * `value` holds the bytes the value type's encode wrote (CBOR by convention:
 * vellir_cbor.h). `expires_at` is milliseconds since the Unix epoch, NULL
 * when the value never expires. With create_table (the default) both are
 * created if missing. A table that exists is checked when the service opens:
 * it must have the columns key (BLOB affinity, the whole primary key), value
 * (BLOB affinity) and expires_at (INTEGER affinity); further columns are
 * allowed only if an insert that omits them succeeds (nullable or with a
 * default). Otherwise vl_open fails with VL_ESCHEMA and a log line says what
 * is wrong. Other programs may read and write the table with their own
 * SQLite connections (WAL lets them), but rows they change under a key that
 * is resident in the cache are not seen until that key is evicted.
 *
 * ==== Threads and connections ====
 *
 * One writer thread per upstream (that is, per service) with the only write
 * connection: every shard's commit batches queue to it, so the service's
 * own shards never contend for SQLite's write lock. When several batches are
 * queued, the writer merges up to group_max of them into one transaction
 * (group commit). `readers` reader threads, each with its own connection,
 * serve loads; in WAL mode they read while the writer writes. The threads
 * start when the first shard opens its instance and stop when the last one
 * closes (vl_close). Completions post back to the shards.
 *
 * ==== Transactions and errors ====
 *
 * A commit group is one BEGIN IMMEDIATE ... COMMIT: an upsert per value, a
 * delete per tombstone, all with prepared statements. It lands whole or not
 * at all; on failure every batch in it gets the mapped status (table in
 * docs/sqlite.md: BUSY/LOCKED -> VL_EOVERLOADED, FULL -> VL_ENOSPACE, IOERR
 * -> VL_EIO, CORRUPT/NOTADB -> VL_ECORRUPT, READONLY -> VL_EAUTH, CANTOPEN
 * -> VL_EUNAVAILABLE, ...) and the cache retries by its commit policy. A
 * failed commit may still have reached the file (a failed fsync after the
 * WAL write); commits are idempotent (a key's whole latest value), so the
 * retry converges. After an error that may mean the connection itself is
 * bad (I/O, read-only, corrupt, cannot open), the writer reopens its
 * connection before the next transaction, so a fixed file heals without a
 * restart.
 *
 * ==== Durability (journal_mode=WAL) ====
 *
 * An IMMEDIATE write is acknowledged after its transaction's COMMIT
 * returned. What survives afterwards depends on `synchronous`:
 *
 *   OFF     no fsync at all. A process crash loses nothing acknowledged;
 *           an OS crash or power loss may lose recent transactions and may
 *           corrupt the database file.
 *   NORMAL  the WAL is fsynced at each checkpoint, not at each
 *           commit. A process crash loses nothing acknowledged; an OS crash
 *           or power loss may roll back the transactions committed since
 *           the last checkpoint, but the file stays consistent.
 *   FULL    (default) the WAL is fsynced at every commit: nothing
 *           acknowledged is lost by a process crash, an OS crash or a power
 *           loss (given a disk that honours fsync). The default, because
 *           vellir promises that an acknowledged IMMEDIATE write survives;
 *           group commit makes the fsync per transaction cheap per row.
 *
 * Writes acknowledged at once (WITHIN, DEFAULT) are in the cache's memory
 * until their commit: those are lost by a process crash whatever the mode.
 *
 * ==== Clearing ====
 *
 * vl_clear (FLUSHALL) empties the table: the writer runs DELETE FROM <table>
 * in a transaction of its own, in order with the commits queued before it.
 * A failure is reported to vl_clear's caller and the table keeps its rows.
 *
 * ==== Expiry ====
 *
 * A load of a row whose expires_at has passed answers "not found". The
 * writer thread also deletes expired rows in the background: one pass every
 * purge_interval_ms, each deleting at most purge_rows rows in one short
 * transaction (through the expires_at index, so a pass touches only what it
 * deletes), and passes come sooner while a backlog remains. A pass runs
 * between two commit transactions, so commits wait at most one short pass.
 */
#ifndef VELLIR_SQLITE_H
#define VELLIR_SQLITE_H

#include "vellir_upstream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PRAGMA synchronous, with WAL. See "Durability" above. */
typedef enum vl_sqlite_sync {
    VL_SQLITE_SYNC_OFF = 0,
    VL_SQLITE_SYNC_NORMAL = 1,
    VL_SQLITE_SYNC_FULL = 2
} vl_sqlite_sync;

/* purge_interval_ms value that turns the background purge off. */
#define VL_SQLITE_PURGE_OFF UINT32_MAX

typedef struct vl_sqlite_options {
    const char *path;           /* database file; required. Created (not its
                                   directory) if missing. Copied. */
    const char *table;          /* table name: [A-Za-z_][A-Za-z0-9_]*, at most
                                   VL_SQLITE_TABLE_NAME_MAX bytes; default
                                   "vellir". Copied. */
    bool create_table;          /* create the table and its index if missing;
                                   default true */
    vl_sqlite_sync synchronous; /* default VL_SQLITE_SYNC_FULL */
    uint32_t readers;           /* reader threads and connections; 0: default
                                   VL_SQLITE_READERS_DEFAULT, at most
                                   VL_SQLITE_READERS_MAX */
    uint32_t group_max;         /* most commit batches in one transaction;
                                   0: VL_SQLITE_GROUP_MAX_DEFAULT; 1: no group
                                   commit */
    uint32_t busy_timeout_ms;   /* how long a connection waits for a lock held
                                   by another program before VL_EOVERLOADED;
                                   0: VL_SQLITE_BUSY_TIMEOUT_MS_DEFAULT */
    uint32_t purge_interval_ms; /* 0: VL_SQLITE_PURGE_INTERVAL_MS_DEFAULT;
                                   VL_SQLITE_PURGE_OFF: never */
    uint32_t purge_rows;        /* most rows one purge pass deletes; 0:
                                   VL_SQLITE_PURGE_ROWS_DEFAULT, at most
                                   VL_SQLITE_PURGE_ROWS_MAX */
    const char *vfs;            /* SQLite VFS name (sqlite3_vfs_register);
                                   NULL: the default. Copied. */
} vl_sqlite_options;

/* Fills `o` with the defaults: path NULL (must be set), table "vellir",
 * create_table true, synchronous FULL, and each number's default (a number
 * left 0 also means its default). */
VL_API void vl_sqlite_options_init(vl_sqlite_options *o);

/* Makes an SQLite upstream for one service. Checks and copies the options
 * (VL_EINVAL for a missing path, a bad table name or a value past its
 * limit); opens nothing yet: the database is opened, checked and its threads
 * started by vl_open, which fails with the upstream's status (VL_ESCHEMA,
 * VL_EUNAVAILABLE for a file that cannot be opened, ...) and logs why.
 * On VL_OK, *out belongs to the caller until vl_open succeeds with it (then
 * to the service, which releases it at vl_close); if vl_open fails, the
 * caller may retry vl_open with it or call out->release(out->ctx). Release
 * frees everything. One upstream serves one service at a time. */
VL_API vl_status vl_sqlite_upstream(const vl_sqlite_options *opts, vl_upstream *out);

/* Counters of one SQLite upstream, since vl_sqlite_upstream. */
typedef struct vl_sqlite_stats {
    uint64_t transactions;  /* write transactions committed */
    uint64_t batches;       /* commit batches in them */
    uint64_t keys;          /* rows upserted or deleted by them */
    uint64_t failed;        /* write transactions that failed */
    uint64_t write_us;      /* time the writer spent in transactions (µs) */
    uint64_t reopens;       /* writer connections reopened after an error */
    uint64_t loads;         /* loads answered (found, not found or failed) */
    uint64_t purge_passes;  /* purge passes run */
    uint64_t purged;        /* expired rows deleted by them */
    uint64_t purge_max;     /* most rows deleted by one pass */
} vl_sqlite_stats;

/* Reads the counters of the upstream `up` (made by vl_sqlite_upstream and
 * not yet released). VL_EINVAL if `up` is not an SQLite upstream. Any
 * thread; never blocks on SQLite. */
VL_API vl_status vl_sqlite_stats_get(const vl_upstream *up, vl_sqlite_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_SQLITE_H */
