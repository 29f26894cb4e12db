/*
 * sqlite_help.h -- helpers for the SQLite upstream's tests: a scratch
 * directory, a service on an SQLite file, a raw connection of the test's own
 * to look at (and tamper with) the table, and a fault-injecting VFS.
 *
 * Owns: the fault VFS's switches (atomics). Threads: the raw helpers run on
 * the test's thread with its own connection; the fault switches may be set
 * from any thread and are read by the upstream's worker threads.
 */
#ifndef VELLIR_TEST_SQLITE_HELP_H
#define VELLIR_TEST_SQLITE_HELP_H

#include <sqlite3.h>

#include "svc.h"
#include "util/clock.h"
#include "vellir_sqlite.h"

/* A fresh directory under $TMPDIR (or /tmp); `out` holds its path. */
void sqt_tmpdir(char *out, size_t cap);
/* Removes the files in `dir` and the directory. */
void sqt_rmdir(const char *dir);

/* SQLite options for `path` with fast purges off unless a test sets them. */
void sqt_options(vl_sqlite_options *so, const char *path);
/* Opens a service on `so`; CHECKs success. *up_out (may be NULL) gets a copy
 * of the upstream (for vl_sqlite_stats_get). */
vl_service *sqt_open(const vl_sqlite_options *so, const vl_type *t, const vl_options *o,
                     vl_upstream *up_out);
/* vl_open's status for `so` (the upstream is released on failure). */
vl_status sqt_try_open(const vl_sqlite_options *so, const vl_type *t, const vl_options *o);

/* The test's own connection (default VFS, busy timeout 5 s). */
sqlite3 *sqt_raw(const char *path);
void sqt_exec(sqlite3 *db, const char *sql);
/* Rows in `table`. */
int64_t sqt_count(sqlite3 *db, const char *table);
/* The counter stored for `key` (8-byte LE value), or -1 if no row. */
int64_t sqt_stored(sqlite3 *db, const char *table, const char *key, int64_t *expires_at);
/* Stores raw bytes for `key`. */
void sqt_put(sqlite3 *db, const char *table, const char *key, const void *bytes, size_t len,
             int64_t expires_at);

/* Synchronous counter helpers over a service. */
void sqt_set(vl_service *svc, const char *key, int64_t v, vl_policy p);
/* The value read (status in *st if not NULL), or -1. */
int64_t sqt_get(vl_service *svc, const char *key, vl_status *st);

/* ---- the fault VFS -------------------------------------------------------
 * "vl_fault" wraps the default (unix) VFS. Its faults apply to the main
 * database and WAL files it opened. */
#define SQT_FAULT_VFS "vl_fault"
void sqt_fault_register(void);
/* The next `n` writes (n < 0: every write until cleared) fail with `rc`. */
void sqt_fault_writes(int n, int rc);
/* The next `n` syncs (n < 0: all) fail with `rc`. */
void sqt_fault_syncs(int n, int rc);
/* While on, the main database file opens read-only, as a file whose write
 * permission is gone does (SQLite then answers SQLITE_READONLY to writes). */
void sqt_fault_readonly(int on);
void sqt_fault_clear(void);
/* Syncs seen (any file), failed or not. */
uint64_t sqt_fault_sync_count(void);

#endif
