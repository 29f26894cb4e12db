/*
 * cass_int.h -- what the Cassandra upstream's files share (the API is
 * include/vellir_cassandra.h). In calling order:
 *
 *   cassandra.c    options, the factory, vl_cassandra_node_stats
 *   cass_shard.c   a shard's instance: open, load, commit, truncate,
 *                  close; the registry of the shards' clients (counters)
 *   cass_schema.c  `create`: the keyspace, the table, schema agreement;
 *                  running a shard's loop until a client has started
 *
 * Owns: cass_ctx, the factory context every shard's instance shares.
 * Threads: cass_ctx is written by vl_cassandra_upstream only, then read by
 * the shards; its schema step and its registry each have a mutex.
 */
#ifndef VELLIR_UPSTREAM_CASS_INT_H
#define VELLIR_UPSTREAM_CASS_INT_H

#include <pthread.h>

#include "cql/cluster.h"
#include "vellir_cassandra.h"

#define CASS_Q_MAX 512

typedef struct cass_ctx {
    vl_cassandra_options o;   /* checked; strings point at the copies below */
    char *host, *keyspace, *table, *user, *password, *local_dc;
    char *cp_buf;             /* the contact points, NUL-separated */
    const char *cps[VL_CQL_CONTACT_POINTS_MAX];
    uint32_t n_cps;
    uint16_t read_cl, write_cl;
    char q_select[CASS_Q_MAX], q_insert[CASS_Q_MAX], q_delete[CASS_Q_MAX];
    char q_table[CASS_Q_MAX], q_truncate[CASS_Q_MAX];
    pthread_mutex_t schema_mu;
    bool schema_done;
    /* the shards' clients, for vl_cassandra_node_stats (under reg_mu) */
    pthread_mutex_t reg_mu;
    cql_cluster **reg;
    uint32_t n_reg, cap_reg;
} cass_ctx;

/* ---- cass_shard.c ---- */

extern const vl_upstream_ops vl__cass_ops;
/* Sums the counters of every registered shard client per node address. */
uint32_t vl__cass_node_stats(cass_ctx *ctx, vl_cassandra_node *out, uint32_t cap);

/* ---- cass_schema.c ---- */

/* Options for a cluster client of this upstream, logging through `env`
 * (shard 0's lines all, the others' errors only: every shard has a client
 * and would say the same). */
void vl__cass_cluster_opts(const cass_ctx *ctx, const vl_upstream_env *env,
                           cql_cluster_opts *o);
/* Starts `cl` and runs the shard's loop until it has started or failed;
 * the failure is logged with `what`. */
vl_status vl__cass_start_sync(cql_cluster *cl, const vl_upstream_env *env, const char *what);
/* Closes `cl` and runs the loop until it is gone. */
void vl__cass_close_sync(cql_cluster *cl, const vl_upstream_env *env);
/* CREATE KEYSPACE and TABLE IF NOT EXISTS, and schema agreement: once per
 * factory (the first shard to open does it while the others wait). */
vl_status vl__cass_ensure_schema(cass_ctx *ctx, const vl_upstream_env *env);

#endif /* VELLIR_UPSTREAM_CASS_INT_H */
