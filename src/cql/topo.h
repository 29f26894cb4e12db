/*
 * topo.h -- decoders of what a cluster client reads about the cluster: the
 * rows of system.local, system.peers_v2 and system.peers (each node's
 * address, datacenter, rack, tokens, host id and schema version), a
 * keyspace's replication from system_schema.keyspaces, token strings, and
 * the addresses events carry. Pure functions over decoded RESULTs, like the
 * rest of the codec (proto.h): no sockets, no allocation, zero-copy.
 *
 * Owns: cql_topo_iter, cql_node_row and the decoders below.
 * Threads: pure; any thread.
 *
 * Columns are found by name in the result's metadata (so `SELECT *` works
 * across Cassandra and ScyllaDB versions) and their types are checked
 * there; a row is then checked cell by cell as it is read. A malformed
 * result or row is a cql_err, as in the rest of the codec.
 */
#ifndef VELLIR_CQL_TOPO_H
#define VELLIR_CQL_TOPO_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "cql/proto.h"
#include "cql/ring.h"

typedef enum cql_topo_table {
    CQL_TOPO_LOCAL,    /* system.local */
    CQL_TOPO_PEERS_V2, /* system.peers_v2 (Cassandra 4.0+) */
    CQL_TOPO_PEERS     /* system.peers (older servers, ScyllaDB) */
} cql_topo_table;

/* The columns a row may have, in the order of cql_topo_iter.col. */
typedef enum cql_topo_col {
    TC_PEER, TC_RPC_ADDRESS, TC_NATIVE_ADDRESS, TC_BROADCAST_ADDRESS, TC_NATIVE_PORT, TC_RPC_PORT,
    TC_DC, TC_RACK, TC_TOKENS, TC_HOST_ID, TC_SCHEMA, TC_RELEASE, TC_PARTITIONER,
    TC_COUNT
} cql_topo_col;

typedef struct cql_topo_iter {
    cql_iter rows;
    cql_topo_table table;
    int32_t col[TC_COUNT]; /* column index, or -1 when the result lacks it */
} cql_topo_iter;

/* One node, as its row describes it. Slices point into the frame. */
typedef struct cql_node_row {
    /* Where clients reach the node: native_address:native_port (peers_v2),
     * rpc_address (peers, local; with rpc_port when local has it); when that
     * is absent, null or a wildcard (0.0.0.0, ::), the peer (or broadcast)
     * address. Port 0: not in the row (use the configured port). */
    struct sockaddr_storage addr;
    bool has_addr;
    cql_slice dc, rack, release, partitioner; /* empty when absent or null */
    uint8_t host_id[16], schema[16];
    bool has_host_id, has_schema;
    cql_iter tokens; /* validated token strings: vl__cql_token_next */
    uint32_t n_tokens;
} cql_node_row;

/* Starts reading a Rows result of `t`. CQL_EBADKIND if it is not Rows, if
 * a known column has another type (inet, int, text, set<text>, uuid as the
 * tables define them), or if a peers table has no address column at all. */
cql_err vl__cql_topo_open(const cql_result *res, cql_topo_table t, cql_topo_iter *it);
/* The next row: CQL_OK with *got true, or with *got false at the end; an
 * error for a malformed cell (an address not 4 or 16 bytes, a uuid not 16,
 * a port not 4, a token that is not a decimal 64-bit number, more than
 * VL_CQL_NODE_TOKENS_MAX tokens). */
cql_err vl__cql_topo_next(cql_topo_iter *it, cql_node_row *out, bool *got);

/* The one row of a one-row result (system.local): open and next in one;
 * CQL_ENULL when there is no row. */
cql_err vl__cql_topo_first(const cql_result *res, cql_topo_table t, cql_node_row *out);

/* The next token of a row's validated list. */
bool vl__cql_token_next(cql_iter *tokens, int64_t *out);
/* A Murmur3 token as text: an optional '-' and 1 to 19 decimal digits, in
 * range. CQL_EBADKIND otherwise. */
cql_err vl__cql_token_parse(cql_slice s, int64_t *out);

/* An address of 4 (IPv4) or 16 (IPv6) bytes and a port (0..65535) as a
 * socket address. CQL_EBADLEN for another length, CQL_EBADKIND for a port
 * out of range. */
cql_err vl__cql_inet_sockaddr(cql_slice addr, int32_t port, struct sockaddr_storage *out);

/* The replication of `SELECT replication FROM system_schema.keyspaces
 * WHERE keyspace_name = ?`: *found false when the keyspace does not exist.
 * A class other than SimpleStrategy and NetworkTopologyStrategy is
 * CQL_REPL_OTHER. Factors are read as Cassandra writes them, "3" or "3/1"
 * (full/transient: every replica counts). CQL_EBADKIND for a result of
 * another shape or a factor that is not a number; CQL_EBADCOUNT for more
 * than VL_CQL_REPL_DCS_MAX datacenters or a name longer than
 * VL_CQL_DC_NAME_MAX. */
cql_err vl__cql_replication_decode(const cql_result *res, cql_replication *out, bool *found);

#endif /* VELLIR_CQL_TOPO_H */
