/*
 * vellir_cassandra.h -- the Cassandra / ScyllaDB upstream: vellir's values in
 * a CQL table, through vellir's own asynchronous CQL client. This header is
 * the manual: read it top to bottom.
 *
 * Owns: vl_cassandra_options and the factory vl_cassandra_upstream.
 * Threads: both functions may be called from any thread. The upstream they
 * make runs on the service's shard threads: each shard opens one CQL
 * connection of its own, in its own event loop, and never blocks on it
 * (except while the service opens: see "Opening").
 *
 * ==== Use ====
 *
 *     vl_cassandra_options co;
 *     vl_cassandra_options_init(&co);
 *     co.host = "10.0.0.5"; co.port = 9042;
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
 * vl_open blocks until every shard's connection is READY (handshake,
 * authentication, USE, PREPARE of the three statements), or fails with the
 * first error: VL_EUNAVAILABLE (cannot connect), VL_ETIMEOUT, VL_EAUTH,
 * VL_ESCHEMA (the keyspace or table is missing or of another shape). With
 * `create`, the keyspace and table are created first (IF NOT EXISTS), once
 * per factory. After that, a lost connection reconnects by itself with
 * backoff (src/cql/conn.c), and requests fail retryably meanwhile.
 *
 * Not yet: token-aware routing and several contact points (every shard talks
 * to `host`), TLS, compression, protocol v5, host names (give an address).
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
    const char *host;       /* contact point: numeric IPv4/IPv6 address or
                               "localhost"; default "127.0.0.1" */
    uint16_t port;          /* default 9042 */
    const char *keyspace;   /* required */
    const char *table;      /* default "vellir" */
    vl_cassandra_key key_type;
    vl_cassandra_consistency consistency; /* reads and writes; default LOCAL_QUORUM */
    bool create;            /* create the keyspace and table if missing */
    uint32_t replication_factor; /* for a created keyspace (SimpleStrategy);
                                    default 1 */
    const char *user;       /* PasswordAuthenticator credentials (SASL PLAIN),
                               or NULL for none */
    const char *password;
    uint32_t connect_timeout_ms; /* 0: VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT */
    uint32_t request_timeout_ms; /* 0: VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT */
    uint32_t inflight;           /* requests on the wire per shard connection;
                                    0: VL_CQL_INFLIGHT_DEFAULT */
} vl_cassandra_options;

/* Fills `o` with the defaults above (keyspace NULL: set it). */
VL_API void vl_cassandra_options_init(vl_cassandra_options *o);

/* Makes the upstream to pass to vl_open. Copies everything in `o` (the
 * strings too). VL_EINVAL for a missing keyspace, a name that is not a plain
 * identifier, a host that is not an address, an unknown key type or
 * consistency (SERIAL levels are not for plain writes); VL_ENOMEM. Nothing
 * connects until vl_open. */
VL_API vl_status vl_cassandra_upstream(const vl_cassandra_options *o, vl_upstream *out);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_CASSANDRA_H */
