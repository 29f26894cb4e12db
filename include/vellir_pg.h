/*
 * vellir_pg.h -- the PostgreSQL upstream: a vellir cache in front of a
 * PostgreSQL table, through libpq, without blocking a shard. This header is
 * the manual: read it top to bottom. docs/postgres.md has the design, the
 * measurements and how to run a test instance.
 *
 * Owns: vl_pg_options, the factory vl_pg_upstream, and vl_pg_stats.
 * Threads: every function here may be called from any thread. The upstream's
 * connections live on the shard threads (see "How it runs").
 *
 * ==== Use ====
 *
 *     vl_pg_options po;
 *     vl_pg_options_init(&po);
 *     po.conninfo = "postgresql://app@db.example:5432/appdb";
 *     po.table = "cache";
 *     po.create = true;                    // CREATE TABLE IF NOT EXISTS
 *     vl_upstream up;
 *     if (vl_pg_upstream(&po, &up) != VL_OK) ...;   // checks the options only
 *     vl_service *svc;
 *     vl_status st = vl_open(&opts, &my_type, &up, &svc);  // connects
 *
 * vl_open fails with the first connection's failure: VL_EUNAVAILABLE (no
 * server), VL_EAUTH (refused credentials or privileges), VL_ESCHEMA (no such
 * table or database, or a table of the wrong shape), VL_ETIMEOUT. After it
 * succeeded, connection trouble never fails the service: requests fail back
 * to the cache, which retries commits, while the upstream reconnects.
 *
 * ==== The table ====
 *
 *     key        bytea PRIMARY KEY
 *     value      bytea NOT NULL        the value type's encoding (CBOR)
 *     expires_at timestamptz           NULL: never
 *
 * plus a partial index on expires_at for the purge. With `create`, vl_open
 * makes both if they are missing (under an advisory lock, so shards opening
 * at once do not race). Without it the table must exist; extra columns need
 * defaults. Keys longer than VL_PG_KEY_MAX bytes cannot be indexed by
 * PostgreSQL: their commits fail with VL_ETOOBIG.
 *
 * A load of a row whose expires_at has passed answers "not found", so an
 * expired value never comes back. Shard 0 also deletes expired rows in the
 * background, at most purge_batch rows per pass (see vellir_limits.h).
 *
 * ==== How it runs ====
 *
 * One connection per shard, in libpq's pipeline mode, with its socket in the
 * shard's event loop: loads and commits are sent as they come and answered
 * in order, so one connection carries many requests at once and the shard
 * never waits on the network. Statements are prepared once per connection.
 * Each commit batch is one transaction: multi-row upserts
 * (INSERT ... ON CONFLICT (key) DO UPDATE) and deletes, or one prepared
 * statement per row, both pipelined (commit_mode).
 *
 * When a connection is lost, every request on it fails with
 * VL_EUNAVAILABLE (VL_ETIMEOUT if it was presumed dead) and the cache retries
 * the commits; the upstream reconnects with backoff. A commit whose answer
 * was lost may have been applied: its retry writes the same full value
 * again (or the key's newer one), which an upsert or a delete makes
 * harmless, so nothing is lost and nothing is applied twice. Before a new
 * connection sends anything it waits until the backend of the lost one has
 * ended, so a stale commit can never land after its retry.
 *
 * ==== Errors ====
 *
 * SQLSTATEs map to statuses (docs/postgres.md has the whole table):
 * connection exceptions and server shutdowns VL_EUNAVAILABLE; 40001 and
 * 40P01 VL_ECONFLICT; 53100 VL_ENOSPACE; other class 53 VL_EOVERLOADED;
 * 57014 VL_ETIMEOUT; 58xxx VL_EIO; 28xxx and 42501 VL_EAUTH; 42P01, 42703
 * and other shape mismatches VL_ESCHEMA; 54xxx VL_ETOOBIG; other class 42,
 * 22 and 23 VL_EQUERY; the rest VL_EUPSTREAM. The server's message is
 * logged through vl_options.log.
 */
#ifndef VELLIR_PG_H
#define VELLIR_PG_H

#include "vellir_upstream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a commit batch goes on the wire. Either way it is one transaction. */
typedef enum vl_pg_commit_mode {
    /* The faster of the two on the measurements in docs/postgres.md. */
    VL_PG_COMMIT_DEFAULT = 0,
    /* One multi-row upsert for the batch's values and one multi-row delete
     * for its tombstones, each taking arrays of keys, values and expiries
     * (unnest), split only past VL_PG_STATEMENT_BYTES_MAX. */
    VL_PG_COMMIT_ARRAYS,
    /* One prepared single-row upsert or delete per key, all pipelined. */
    VL_PG_COMMIT_ROWS
} vl_pg_commit_mode;

typedef struct vl_pg_options {
    /* libpq connection string, in either of libpq's forms:
     * "postgresql://user:pw@host:port/db?opt=val" or
     * "host=... port=... user=... dbname=...". Required. Environment
     * variables (PGHOST, PGPASSWORD, ...) and ~/.pgpass apply as in libpq.
     * Copied by vl_pg_upstream. */
    const char *conninfo;
    /* Table name, optionally schema-qualified ("schema.table"); each part
     * [A-Za-z_][A-Za-z0-9_]*, at most VL_PG_NAME_MAX bytes, taken as is
     * (quoted, so case matters). Default "vellir". Copied. */
    const char *table;
    /* Create the table and its expiry index at vl_open if missing. */
    bool create;
    /* Shard 0 deletes expired rows in the background (default true). */
    bool purge;
    vl_pg_commit_mode commit_mode;
    uint32_t connect_timeout_ms; /* 0: VL_PG_CONNECT_TIMEOUT_MS_DEFAULT */
    uint32_t request_timeout_ms; /* 0: VL_PG_REQUEST_TIMEOUT_MS_DEFAULT */
    uint32_t reconnect_base_ms;  /* 0: VL_PG_RECONNECT_BASE_MS_DEFAULT */
    uint32_t reconnect_cap_ms;   /* 0: VL_PG_RECONNECT_CAP_MS_DEFAULT */
    uint32_t inflight_max;       /* 0: VL_PG_INFLIGHT_DEFAULT */
    uint32_t purge_interval_ms;  /* 0: VL_PG_PURGE_INTERVAL_MS_DEFAULT */
    uint32_t purge_batch;        /* 0: VL_PG_PURGE_BATCH_DEFAULT */
} vl_pg_options;

/* Fills `o` with the defaults: no conninfo, table "vellir", create false,
 * purge true, commit_mode VL_PG_COMMIT_ARRAYS, and each number's default
 * (a number left 0 also means its default). */
VL_API void vl_pg_options_init(vl_pg_options *o);

/* Makes the upstream to pass to vl_open. Checks the options (the conninfo
 * must parse, the table name must be valid, numbers within their maxima)
 * and copies them; connects nothing yet. VL_OK and *out, or VL_EINVAL, or
 * VL_ENOMEM. The service that takes `out` releases it at vl_close; if
 * vl_open fails, release it yourself: out->release(out->ctx). */
VL_API vl_status vl_pg_upstream(const vl_pg_options *o, vl_upstream *out);

/* Counters of one upstream, summed over its shards' connections. */
typedef struct vl_pg_stats {
    uint64_t connects;         /* connections made ready (the first ones too) */
    uint64_t disconnects;      /* ready connections lost */
    uint64_t connect_failures; /* connection attempts that failed */
    uint64_t fence_waits;      /* new connections that had to wait for the
                                  lost one's backend to end */
    uint64_t loads;            /* load statements sent */
    uint64_t commits;          /* commit transactions acknowledged */
    uint64_t rows_upserted;    /* values in acknowledged commits */
    uint64_t rows_deleted;     /* tombstones in acknowledged commits */
    uint64_t failed;           /* loads and commits answered with a failure */
    uint64_t purge_passes;     /* background purge statements completed */
    uint64_t purged;           /* expired rows they deleted */
} vl_pg_stats;

/* Reads the counters of an upstream made by vl_pg_upstream, while it is
 * valid (until the service that owns it is closed). VL_EINVAL if `up` is
 * not a PostgreSQL upstream. */
VL_API vl_status vl_pg_stats_get(const vl_upstream *up, vl_pg_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_PG_H */
