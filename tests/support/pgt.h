/*
 * pgt.h -- helpers for the tests that run against a real PostgreSQL
 * (tests/pg; start one with scripts/pg-node.sh start): the DSN, a blocking
 * libpq connection of the test's own to look at the table, a CBOR value type
 * ("cval") whose stored bytes the tests can predict, and control of the
 * test instance (crash it, start it).
 *
 * Owns: nothing global. Threads: any; a PGconn belongs to the thread using
 * it (libpq connections are not shared).
 */
#ifndef VELLIR_TEST_PGT_H
#define VELLIR_TEST_PGT_H

#include <libpq-fe.h>

#include "svc.h"
#include "vellir_pg.h"

/* VELLIR_PG_DSN, or the default of scripts/pg-node.sh (port from
 * VELLIR_PG_PORT, default 15432). */
const char *pgt_dsn(void);
/* A new blocking connection to pgt_dsn(); the test fails if it cannot. */
PGconn *pgt_connect(void);
/* Runs a statement that must succeed (printf-style). */
void pgt_exec(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first column of the first row as an integer; -1 if no row or NULL. */
int64_t pgt_int(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A table name unique to this process: "<prefix>_<pid>". Dropped first if
 * it exists. */
void pgt_table(char *out, size_t cap, const char *prefix);
void pgt_drop(const char *table);

/* ---- the tests' value: a CBOR map {"n": int, "s": text} ---------------- */

typedef struct cval {
    int64_t n;
    char s[24];
} cval;

/* Missing keys are absent (no init). */
extern const vl_type cval_type;
/* The stored bytes of `v` (canonical CBOR: a2 61 6e <int> 61 73 <text>). */
void cval_bytes(const cval *v, vl_buf *out);

typedef struct cset {
    cval v;
    int64_t expires_at;
    vl_policy policy;
} cset;
vl_policy cval_set(void *arg, vl_mut *m); /* arg: cset */

typedef struct cread {
    vl_status st;
    cval v;
    int64_t expires_at;
} cread;
void cval_read(void *arg, vl_status st, const vl_view *v); /* arg: cread */

/* Reads the raw row of `key` from `table` (expired or not): 1 and its
 * value (decoded) and expiry in ms (0: none), or 0 if there is no row. */
int pgt_get(PGconn *c, const char *table, const void *key, size_t klen, cval *v,
            int64_t *expires_at);

/* ---- services on PostgreSQL --------------------------------------------- */

/* PostgreSQL upstream options for tests: pgt_dsn(), `table`, create. */
void pgt_pg_options(vl_pg_options *po, const char *table);
/* Opens a service of cval_type on `po`; *up receives the upstream (for
 * vl_pg_stats_get). The test fails if it cannot. */
vl_service *pgt_open(const vl_pg_options *po, const vl_options *o, vl_upstream *up);

/* ---- the test instance ---------------------------------------------------- */

/* Runs scripts/pg-node.sh CMD (from the repository root, the tests' working
 * directory); the test fails if it does not exit 0. */
void pgt_node(const char *cmd);

#endif
