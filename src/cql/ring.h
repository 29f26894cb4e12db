/*
 * ring.h -- tokens and the token ring: which nodes hold a partition. Pure
 * functions (no sockets, no loop), used by the cluster client (cluster.h)
 * for token-aware routing.
 *
 * Owns: the Murmur3 token of a key, cql_replication (a keyspace's
 * replication, as system_schema.keyspaces states it), and cql_ring (the
 * ring's tokens with each range's replicas, computed once per topology).
 * Threads: pure; a cql_ring belongs to whoever built it (the cluster
 * client's loop thread) and is read-only after vl__cql_ring_build.
 *
 * A partition key's token is vl__cql_murmur3_token of its serialized form:
 * for a table whose partition key is one column (vellir's `key blob` or
 * `key text`) that is the column's value bytes. The range (previous ring
 * token, t] belongs to the node that owns ring token t; the replicas of a
 * token are found by walking the ring from there, by the keyspace's
 * strategy, exactly as Cassandra 4.0-5.0 does:
 *
 *   SimpleStrategy           the next `rf` distinct nodes;
 *   NetworkTopologyStrategy  per datacenter, the next min(rf, nodes) nodes
 *                            of that datacenter, each on a rack not yet used
 *                            while racks remain, accepting rf - racks repeats
 *                            (NetworkTopologyStrategy.DatacenterEndpoints);
 *   anything else            (LocalStrategy, EverywhereStrategy, unknown):
 *                            no replicas; the caller routes round-robin.
 */
#ifndef VELLIR_CQL_RING_H
#define VELLIR_CQL_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vellir.h"

/* The Murmur3Partitioner token of `len` key bytes (Cassandra's variant of
 * MurmurHash3 x64-128, seed 0: see token.c). Never INT64_MIN. */
int64_t vl__cql_murmur3_token(const void *key, size_t len);

typedef enum cql_repl_class {
    CQL_REPL_OTHER = 0, /* LocalStrategy, EverywhereStrategy, unknown */
    CQL_REPL_SIMPLE,    /* SimpleStrategy */
    CQL_REPL_NTS        /* NetworkTopologyStrategy */
} cql_repl_class;

typedef struct cql_repl_dc {
    char name[VL_CQL_DC_NAME_MAX + 1];
    uint32_t rf;
} cql_repl_dc;

/* A keyspace's replication. */
typedef struct cql_replication {
    cql_repl_class cls;
    uint32_t rf;     /* SimpleStrategy's replication_factor */
    uint32_t n_dcs;  /* NetworkTopologyStrategy: a factor per datacenter */
    cql_repl_dc dcs[VL_CQL_REPL_DCS_MAX];
} cql_replication;

/* One node as the ring sees it. Strings and tokens are borrowed during
 * vl__cql_ring_build only. */
typedef struct cql_ring_node {
    const char *dc, *rack;
    const int64_t *tokens;
    uint32_t n_tokens;
    bool skip;  /* not part of the ring (removed, or not known yet) */
} cql_ring_node;

typedef struct cql_ring {
    uint32_t n;         /* ring tokens */
    uint32_t width;     /* replica slots per token */
    int64_t *tokens;    /* ascending */
    uint16_t *owner;    /* node index owning each token */
    uint16_t *replicas; /* n * width node indexes */
    uint8_t *count;     /* replicas of each token (<= width) */
} cql_ring;

/* Builds the ring of `nodes` (indexes are positions in `nodes`, at most
 * VL_CQL_NODES_MAX) with each token's replicas under `r`: those of
 * datacenter `local_dc` first (if not NULL), then the others, each group in
 * ring order, at most VL_CQL_REPLICAS_MAX in all. A token two nodes claim
 * goes to the first. VL_EINVAL for too many nodes, VL_ENOMEM. `out` need
 * not be initialised; free it with vl__cql_ring_free. */
vl_status vl__cql_ring_build(cql_ring *out, const cql_ring_node *nodes, uint32_t n_nodes,
                             const cql_replication *r, const char *local_dc);
void vl__cql_ring_free(cql_ring *r);

/* The index of the ring token that owns `token`: the first ring token >=
 * it, wrapping to 0. The ring must not be empty. */
uint32_t vl__cql_ring_find(const cql_ring *r, int64_t token);

/* The replicas of `token` (node indexes, see vl__cql_ring_build): sets
 * *out and returns how many (0 for an empty ring or a strategy without
 * replicas). */
uint32_t vl__cql_ring_replicas(const cql_ring *r, int64_t token, const uint16_t **out);

#endif /* VELLIR_CQL_RING_H */
