/*
 * vellir_cassandra.h -- the Cassandra / ScyllaDB upstream: vellir's values in
 * a CQL table, through vellir's own asynchronous CQL client. This header is
 * the manual: read it top to bottom.
 *
 * Owns: vl_cassandra_options, the factory vl_cassandra_upstream and the
 * per-node counters vl_cassandra_node_stats.
 * Threads: every function may be called from any thread. The upstream runs
 * on the service's shard threads: each shard runs a cluster client of its
 * own (a control connection and pool_size connections to each node), in its
 * own event loop, and never blocks on it (except while the service opens:
 * see "Opening").
 *
 * ==== Use ====
 *
 *     vl_cassandra_options co;
 *     vl_cassandra_options_init(&co);
 *     co.host = "cass1.example.com,10.0.0.6";  // contact points
 *     co.port = 9042;
 *     co.keyspace = "app"; co.table = "cache";
 *     co.create = true;                        // CREATE ... IF NOT EXISTS
 *     vl_upstream up;
 *     if (vl_cassandra_upstream(&co, &up) == VL_OK &&
 *         vl_open(&opts, &my_type, &up, &svc) == VL_OK) ...
 *
 * ==== The table ====
 *
 *     CREATE TABLE ks.t (key blob PRIMARY KEY, value blob)
 *
 * or `key text` (key_type = VL_CASSANDRA_KEY_TEXT), so that an existing
 * text-keyed table can be used; keys must then be valid UTF-8 (others fail
 * with VL_EINVAL). The value column holds the value type's encoding (CBOR by
 * convention). An expiry is the row's TTL, nothing else is stored. Names are
 * used exactly as given (quoted, so case-sensitive): letters, digits and
 * underscores, at most VL_CASSANDRA_NAME_MAX characters.
 *
 * ==== The cluster ====
 *
 * The contact points (`host`: host names or addresses, comma-separated) are
 * resolved without blocking a shard, and the first one that answers tells
 * the client about every node: its address, datacenter, rack and tokens
 * (system.local, system.peers_v2). Every request then goes to a replica of
 * its key (token-aware routing: the key's Murmur3 token and the keyspace's
 * SimpleStrategy or NetworkTopologyStrategy), preferring the local
 * datacenter (`local_dc`, or that of the first node reached), and to
 * another replica when a node is down. Nodes going down, coming up, joining
 * and leaving are followed through the server's events; idle connections
 * are checked with heartbeats. A load that fails because its node died or
 * did not answer is sent once more to another replica. docs/cassandra.md
 * has the details.
 *
 * ==== What each request does ====
 *
 *   load    SELECT value, TTL(value) FROM ks.t WHERE key = ?
 *           No row: VL_ENOTFOUND (an expired row is simply absent in
 *           Cassandra). A TTL comes back as the value's expiry, to the second.
 *   commit  one prepared execution per key, all of a batch in flight at once
 *           (pipelined on the shard's connection, one write per syscall
 *           batch; never a multi-partition BATCH):
 *             INSERT INTO ks.t (key, value) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?
 *             DELETE FROM ks.t USING TIMESTAMP ? WHERE key = ?
 *           TTL: the seconds left until the item's expires_at, rounded up
 *           (so Cassandra never drops a row before the cache would), computed
 *           when the request goes on the wire (and again if it is re-sent);
 *           UNSET when the item has no expiry (the table's
 *           default_time_to_live applies, 0 unless changed). An item whose
 *           expiry has already passed when its commit starts is written as a
 *           DELETE: a TTL of one second would leave it readable for up to a
 *           second. (One that expires while its INSERT waits in the
 *           connection's queue gets the least TTL, 1 s.)
 *           TIMESTAMP: the item's write_time_us, the wall-clock time of the
 *           key's latest write. Cassandra keeps the write with the highest
 *           timestamp, so a retried or late older write can never overwrite
 *           a newer one, whatever order they arrive in. (A delete wins a tie.)
 *           Each key's outcome is its own: one failing key does not fail
 *           the others of its batch.
 *   truncate TRUNCATE ks.t (vl_clear, FLUSHALL in vellir-server). Cassandra
 *           runs it only with every node up; else VL_EUNAVAILABLE.
 *
 * ==== Errors ====
 *
 *   Overloaded                      VL_EOVERLOADED  retried by the cache
 *   Write_timeout, Read_timeout     VL_ETIMEOUT     retried
 *   Unavailable, Is_bootstrapping   VL_EUNAVAILABLE retried
 *   no answer in request_timeout_ms VL_ETIMEOUT     retried (stream orphaned)
 *   connection lost mid-request     VL_EUNAVAILABLE retried (reconnects)
 *   node down (BACKOFF)             VL_EUNAVAILABLE retried
 *   Unprepared                      prepared again on the connection, and the
 *                                   request sent once more: invisible
 *   Syntax_error, Invalid           VL_EQUERY       reported as is
 *   Unauthorized, Bad_credentials   VL_EAUTH        reported as is
 *   table or keyspace missing/wrong VL_ESCHEMA      (at open)
 * Every write vellir sends is idempotent (a full value with its own
 * timestamp), which is what makes the retryable ones safe to retry. The
 * server's message is logged (through vl_options.log) with the status.
 *
 * ==== Opening ====
 *
 * vl_open blocks until each shard's client has found the cluster and has a
 * READY connection to a node (handshake, authentication, PREPARE of the
 * three statements), or fails with the first error: VL_EUNAVAILABLE (no
 * contact point answers: the log line names every address and what it
 * said), VL_ETIMEOUT, VL_EAUTH, VL_ESCHEMA (the keyspace or table is
 * missing or of another shape). With `create`, the keyspace
 * (NetworkTopologyStrategy, replication_factor replicas in the local
 * datacenter) and the table are created first (IF NOT EXISTS), once per
 * factory, and open waits (at most schema_agreement_ms) until every node
 * that is up has the new schema. After that, lost connections reconnect by
 * themselves with backoff, and requests fail retryably meanwhile.
 *
 * Not yet: TLS, compression, protocol v5.
 */
#ifndef VELLIR_CASSANDRA_H
#define VELLIR_CASSANDRA_H

#include "vellir_upstream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vl_cassandra_key {
    VL_CASSANDRA_KEY_BLOB = 0, /* key blob PRIMARY KEY (the default) */
    VL_CASSANDRA_KEY_TEXT      /* key text PRIMARY KEY */
} vl_cassandra_key;

/* Consistency levels, as CQL numbers them. */
typedef enum vl_cassandra_consistency {
    VL_CASSANDRA_INHERIT = 0xFFFF, /* read/write_consistency: use `consistency` */
    VL_CASSANDRA_ANY = 0x0000,
    VL_CASSANDRA_ONE = 0x0001,
    VL_CASSANDRA_TWO = 0x0002,
    VL_CASSANDRA_THREE = 0x0003,
    VL_CASSANDRA_QUORUM = 0x0004,
    VL_CASSANDRA_ALL = 0x0005,
    VL_CASSANDRA_LOCAL_QUORUM = 0x0006,
    VL_CASSANDRA_EACH_QUORUM = 0x0007,
    VL_CASSANDRA_LOCAL_ONE = 0x000A
} vl_cassandra_consistency;

typedef struct vl_cassandra_options {
    const char *host;       /* contact points: host names or numeric IPv4/IPv6
                               addresses, comma-separated (blanks around
                               commas ignored), at most
                               VL_CQL_CONTACT_POINTS_MAX; default "127.0.0.1" */
    uint16_t port;          /* of every node; default 9042 */
    const char *keyspace;   /* required */
    const char *table;      /* default "vellir" */
    vl_cassandra_key key_type;
    vl_cassandra_consistency consistency; /* reads and writes, unless the two
                                             below say otherwise; default
                                             LOCAL_QUORUM */
    bool create;            /* create the keyspace and table if missing */
    uint32_t replication_factor; /* for a created keyspace: replicas in the
                                    local datacenter (NetworkTopologyStrategy);
                                    default 1 */
    const char *user;       /* PasswordAuthenticator credentials (SASL PLAIN),
                               or NULL for none */
    const char *password;
    uint32_t connect_timeout_ms; /* 0: VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT */
    uint32_t request_timeout_ms; /* 0: VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT */
    uint32_t inflight;           /* requests on the wire per connection;
                                    0: VL_CQL_INFLIGHT_DEFAULT */
    vl_cassandra_consistency read_consistency;  /* loads; default
                                    VL_CASSANDRA_INHERIT (`consistency`); not ANY */
    vl_cassandra_consistency write_consistency; /* commits; default INHERIT */
    const char *local_dc;        /* the datacenter to prefer; NULL (default):
                                    that of the first node reached */
    uint32_t pool_size;          /* connections per node per shard;
                                    0: VL_CQL_POOL_DEFAULT (1) */
    uint32_t heartbeat_ms;       /* OPTIONS on a connection idle this long;
                                    0: VL_CQL_HEARTBEAT_MS_DEFAULT; UINT32_MAX:
                                    none */
    uint32_t schema_agreement_ms;/* longest wait after `create`;
                                    0: VL_CQL_SCHEMA_AGREEMENT_MS_DEFAULT */
} vl_cassandra_options;

/* Fills `o` with the defaults above (keyspace NULL: set it). */
VL_API void vl_cassandra_options_init(vl_cassandra_options *o);

/* Makes the upstream to pass to vl_open. Copies everything in `o` (the
 * strings too). VL_EINVAL for a missing keyspace, a name that is not a plain
 * identifier, an empty contact point list or entry (or one with characters
 * no host name or address has), more than VL_CQL_CONTACT_POINTS_MAX of
 * them, an unknown key type or consistency (SERIAL levels are not for plain
 * writes, ANY not for reads), a pool size above VL_CQL_POOL_MAX; VL_ENOMEM.
 * Nothing connects (or resolves) until vl_open. */
VL_API vl_status vl_cassandra_upstream(const vl_cassandra_options *o, vl_upstream *out);

/* One node, as the upstream's shards see it, counters summed over them. */
typedef struct vl_cassandra_node {
    char address[64];      /* "10.0.0.6:9042" */
    bool up;               /* up for every shard that knows it */
    bool in_ring;          /* listed by the cluster's system tables */
    uint64_t requests;     /* loads and commit items sent to it (retries too) */
    uint64_t in_flight;    /* sent and not answered yet */
    uint64_t ok;
    uint64_t timeouts;     /* no answer in time, or the server's timeouts */
    uint64_t unavailable;  /* connection lost, node down, Unavailable */
    uint64_t overloaded;   /* Overloaded, or a connection's queue full */
    uint64_t other_errors; /* the rest: query, schema, authentication */
    uint64_t retried;      /* loads that failed here and went to another node */
} vl_cassandra_node;

/* The counters of every node the service's shards know, for `up` (the
 * vl_upstream given to vl_open, while that service is open): fills at most
 * `cap` entries of `out` (NULL with cap 0 just counts) and returns how many
 * nodes there are. Any thread; a near snapshot (each counter is read once,
 * not all at one instant). 0 for an upstream that is not Cassandra's. */
VL_API uint32_t vl_cassandra_node_stats(const vl_upstream *up, vl_cassandra_node *out,
                                        uint32_t cap);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_CASSANDRA_H */
