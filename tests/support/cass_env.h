/*
 * cass_env.h -- helpers for the tests that run against the real Cassandra
 * node (tests/cassandra) and against the fault injector: upstream options
 * for the test node, a blocking "direct" CQL client to look at what the
 * database really holds, and an upstream wrapper that counts calls.
 *
 * Owns: nothing global. Threads: a cass_direct belongs to the thread that
 * opened it (it runs its own private libuv loop there); the counting
 * wrapper's counters are atomics (any thread).
 */
#ifndef VELLIR_TEST_CASS_ENV_H
#define VELLIR_TEST_CASS_ENV_H

#include <stdatomic.h>

#include "cql/conn.h"
#include "svc.h"
#include "vellir_cassandra.h"

#define TEST_KEYSPACE "vellir_test"

/* The test node's CQL port: $VELLIR_CASSANDRA_PORT or 9142. */
uint16_t cass_test_port(void);
/* Options for the test node: keyspace vellir_test, `table`, create = true,
 * consistency ONE (a single node). */
void cass_test_options(vl_cassandra_options *o, const char *table);
/* vl_open with a Cassandra upstream; CHECKs that it worked. */
vl_service *cass_test_open(const vl_cassandra_options *co, const vl_type *t, const vl_options *o);

/* A blocking CQL client on its own loop, for checking the database. */
typedef struct cass_direct cass_direct;
cass_direct *cd_open_port(uint16_t port);
cass_direct *cd_open(void);
/* To the node at `host` (an address), the test node's port. */
cass_direct *cd_open_at(const char *host);
/* The consistency of its requests (default ONE), and the keyspace cd_get
 * and cd_counter read (default vellir_test). */
void cd_set_consistency(cass_direct *d, uint16_t consistency);
void cd_set_keyspace(cass_direct *d, const char *keyspace);
/* Runs a query with values and calls `fn` with each row's cells; returns
 * the query's status. */
typedef void (*cd_row_fn)(void *arg, const cql_value *cells, uint32_t n);
vl_status cd_rows(cass_direct *d, const char *query, const cql_value *v, uint16_t n, cd_row_fn fn,
                  void *arg);
void cd_close(cass_direct *d);
/* Runs a statement without values (DDL, TRUNCATE); returns its status. */
vl_status cd_exec(cass_direct *d, const char *query);
/* Reads `key` of the keyspace's `table`: VL_OK with the value appended to
 * `val` (may be NULL), its TTL (0: none) and its write time (µs), or
 * VL_ENOTFOUND. `text_key` binds the key as text. */
vl_status cd_get(cass_direct *d, const char *table, const void *key, size_t len, vl_buf *val,
                 int32_t *ttl, int64_t *writetime);
/* The counter stored for `key` (8 little-endian bytes), or -1 if absent. */
int64_t cd_counter(cass_direct *d, const char *table, const char *key);
/* Runs an INSERT/any statement with blob values. */
vl_status cd_exec_values(cass_direct *d, const char *query, const cql_value *v, uint16_t n);

/* Runs "scripts/<script> <args>" quietly (from the repository root, where
 * make runs the tests); returns system()'s status. */
int cass_script(const char *script, const char *args);

/* vl_clear, waiting for its callback; returns its status. */
vl_status cass_clear_sync(vl_service *svc);

/* An upstream that forwards to `inner` and counts loads and commit keys. */
typedef struct up_counts {
    _Atomic uint64_t loads, commits, commit_keys;
    vl_upstream inner;
} up_counts;
vl_upstream counting_upstream(up_counts *c, vl_upstream inner);

#endif
