/*
 * vellir_upstream.h -- the interface between the cache and a database.
 *
 * Owns: the contract an upstream implements (vl_upstream_ops), the load,
 * commit, truncate and scan requests it receives, and the calls that
 * complete them.
 * Threads: stated per function below.
 *
 * ==== The contract ====
 *
 * A service makes one upstream instance per shard, by calling ops->open on
 * that shard's thread. The instance is the upstream's own: its connection,
 * its prepared statements, its buffers. The cache calls the instance only
 * from its shard's thread, so an instance needs no locks of its own (a
 * worker thread it starts is its own business).
 *
 * load and commit are asynchronous (so are the optional truncate and scan,
 * below). Each returns VL_OK when it accepted the request; the upstream
 * must then complete it exactly once, with vl_load_done or vl_batch_done
 * (vl_truncate_done, vl_scan_req_done), from ANY thread, at any later time
 * (even from inside the call itself). A completion becomes a message to
 * the shard, so it never runs cache code on the upstream's thread. When load
 * or commit returns anything other than VL_OK, the request is not accepted
 * and must never be completed.
 *
 * close runs once, on the shard thread, after every accepted request has
 * been completed. It frees the instance.
 *
 * Errors. Report failures with the statuses of vellir.h. The cache retries
 * commits whose status is vl_status_retryable() with backoff, and keeps every
 * failed key dirty whatever the status, so a permanent error is retried too,
 * at the capped delay, but also reported to IMMEDIATE writers at once. A
 * load's failure goes to every waiter and nothing is cached.
 *
 * Expiry. Times are milliseconds since the Unix epoch, 0 meaning "none". A
 * commit item carries the key's expiry; store it (a TTL, an expires_at
 * column). A load of a row whose expiry has passed must answer VL_ENOTFOUND,
 * so an expired value is never brought back.
 */
#ifndef VELLIR_UPSTREAM_H
#define VELLIR_UPSTREAM_H

#include "vellir.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s;

/* What an instance learns when it is opened. */
typedef struct vl_upstream_env {
    uint32_t shard;          /* this shard's index */
    uint32_t shards;         /* number of shards */
    struct uv_loop_s *loop;  /* the shard's libuv loop: an upstream may put its
                                sockets and timers here. Touch it only on the
                                shard thread (in open/load/commit/close and in
                                the loop's own callbacks). */
    uint32_t value_max;      /* the service's vl_options.value_max */
    /* Logs through the service's vl_options.log. Any thread. */
    void (*log)(void *log_ctx, vl_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    void *log_ctx;
} vl_upstream_env;

/* ---- loads ---------------------------------------------------------- */

/* A load request. Owned by the cache; valid until vl_load_done returns. */
typedef struct vl_load vl_load;

/* The key to load (valid until vl_load_done). Any thread. */
VL_API const void *vl_load_key(const vl_load *req, size_t *key_len);

/* Completes a load, from any thread, exactly once:
 *   VL_OK        `bytes`/`len` is the stored value (copied before the call
 *                returns), `expires_at` its expiry or 0;
 *   VL_ENOTFOUND the upstream has no (unexpired) row for the key;
 *   other        the load failed with that status.
 * `req` is invalid after the call. */
VL_API void vl_load_done(vl_load *req, vl_status status, const void *bytes, size_t len,
                         int64_t expires_at);

/* ---- commits -------------------------------------------------------- */

/* One key of a commit. All pointers are the cache's and stay valid until
 * vl_batch_done. */
typedef struct vl_commit_item {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* encoded value; NULL: delete the key (tombstone) */
    size_t value_len;
    int64_t expires_at;   /* ms since the Unix epoch; 0: none */
    int64_t write_time_us;/* wall-clock time of the key's latest write, in
                             microseconds since the epoch: a store with
                             last-write-wins timestamps (Cassandra) uses it so
                             that a retried older write never overwrites a
                             newer one */
    vl_status status;     /* VL_OK on arrival; an upstream that commits keys
                             one by one may set a failure here per item */
} vl_commit_item;

/* A batch of keys to commit, each key at most once. An upstream should
 * commit it as one unit where it can (a transaction), or as concurrent
 * independent writes where it cannot. */
typedef struct vl_batch {
    uint32_t count;
    vl_commit_item *items;
} vl_batch;

/* Completes a commit, from any thread, exactly once. `status` != VL_OK
 * fails every item with it; with VL_OK, each item's own `status` tells
 * (VL_OK unless the upstream set it). `b` is invalid after the call. */
VL_API void vl_batch_done(vl_batch *b, vl_status status);

/* ---- messages ------------------------------------------------------- */

/* Renders a key for a log message into `out` (`cap` bytes, at least 8):
 * printable ASCII as is, other bytes (and \ and ') as \xHH, cut with "..."
 * when it does not fit. Returns `out`. Pure; any thread. */
VL_API const char *vl_key_repr(const void *key, size_t len, char *out, size_t cap);

/* ---- truncation (vl_clear) ------------------------------------------- */

/* A truncate request. Owned by the cache; valid until vl_truncate_done. */
typedef struct vl_truncate vl_truncate;

/* Completes a truncate, from any thread, exactly once: VL_OK when every row
 * of the table is gone, or the failure. `req` is invalid after the call. */
VL_API void vl_truncate_done(vl_truncate *req, vl_status status);

/* ---- scanning (vl_scan) ---------------------------------------------- */

/* A scan request: one page of the keys the table stores, in the upstream's
 * own order. Owned by the cache; valid until vl_scan_req_done.
 *
 * Positions. Every key has a position, a byte string; positions compare as
 * memcmp compares them, a string before every longer string it begins, and
 * two keys never share one. A page is the stored keys whose positions come
 * after the request's position, in ascending order of position. By default
 * a key's position is the key itself: that is the order of SQLite's BLOB
 * and PostgreSQL's bytea comparison, so `WHERE key > ? ORDER BY key LIMIT ?`
 * on the primary key answers a page. An upstream whose natural order is not
 * the keys' bytes (Cassandra's token order) gives ops->scan_position, and
 * the cache then asks it for the position of every key it compares.
 *
 * The cache merges each page with what only memory knows (keys written and
 * not yet committed, deletes not yet committed) and chooses the position of
 * the next page itself, which may be the position of a key the upstream
 * does not hold yet. docs/scan.md has the whole design. */
typedef struct vl_scan_req vl_scan_req;

/* The position the page starts after (*len bytes), or NULL for the first
 * page, which starts before every key. (A first page and a page after the
 * empty position differ: the empty key, if stored, is in the first only.)
 * Any thread, until vl_scan_req_done. */
VL_API const void *vl_scan_req_after(const vl_scan_req *req, size_t *len);

/* The most keys the page may hold, 1 .. VL_SCAN_COUNT_MAX. Any thread. */
VL_API uint32_t vl_scan_req_count(const vl_scan_req *req);

/* Adds a key to the page (its bytes are copied): a key stored and
 * unexpired when the upstream read it, with its expiry (ms since the
 * epoch; 0: none). Keys come in ascending order of position, each after
 * vl_scan_req_after's, at most vl_scan_req_count of them. Returns VL_OK, or
 * VL_ENOMEM (then fail the page). The upstream's thread, before
 * vl_scan_req_done. */
VL_API vl_status vl_scan_req_add(vl_scan_req *req, const void *key, size_t key_len,
                                 int64_t expires_at);

/* Completes a scan, from any thread, exactly once:
 *   VL_OK   the keys added are the page; `more` says there may be stored
 *           keys after the last one (a page with `more` holds at least one
 *           key), false that there are none: the scan is at the end;
 *   other   the scan failed with that status (the keys added are dropped).
 * `req` is invalid after the call. */
VL_API void vl_scan_req_done(vl_scan_req *req, vl_status status, bool more);

/* ---- the upstream --------------------------------------------------- */

typedef struct vl_upstream_ops {
    const char *name; /* "memory", "sqlite", ... for messages */

    /* Makes the instance of shard env->shard, on that shard's thread, while
     * the service opens. Returns VL_OK and sets *inst, or a failure, which
     * fails vl_open. `env` is valid for the life of the instance. */
    vl_status (*open)(void *ctx, const vl_upstream_env *env, void **inst);

    /* Starts a load. See the contract above. */
    vl_status (*load)(void *inst, vl_load *req);

    /* Starts a commit. See the contract above. */
    vl_status (*commit)(void *inst, vl_batch *batch);

    /* Frees the instance, after every accepted request has completed. */
    void (*close)(void *inst);

    /* Optional; NULL means the store cannot be emptied, and vl_clear answers
     * VL_EINVAL. Deletes every row of the table, asynchronously like a
     * commit: VL_OK means accepted, then complete it with vl_truncate_done.
     * The cache calls it once per vl_clear, on one shard's instance, while no
     * load or commit of the service is in flight on any shard. */
    vl_status (*truncate)(void *inst, vl_truncate *req);

    /* Optional; NULL means the keys cannot be listed, and vl_scan answers
     * VL_EINVAL. Starts reading one page (see "scanning" above),
     * asynchronously like a load: VL_OK means accepted, then complete it
     * with vl_scan_req_done. Each page is one read, bounded by its count:
     * keyset pagination on an index, never an OFFSET and never a whole
     * table. The cache calls it on one shard's instance at a time per page,
     * never while vl_clear's truncate runs. The memory, SQLite and
     * PostgreSQL upstreams have it; Cassandra's comes next, by token range
     * with scan_position below. */
    vl_status (*scan)(void *inst, vl_scan_req *req);

    /* Optional, with scan: the position of a key when the upstream's order
     * is not the keys' own bytes; appends it to `out` (VL_OK, or VL_ENOMEM).
     * A pure function of the key (the same key, the same position, on any
     * thread, for the life of the table), distinct for distinct keys, and
     * in the order scan returns keys: for Cassandra, the token's 8 bytes
     * with the sign bit flipped, then the key. NULL: the key is its own
     * position. `ctx` is the vl_upstream's factory context. */
    vl_status (*scan_position)(void *ctx, const void *key, size_t key_len, vl_buf *out);
} vl_upstream_ops;

/* An upstream as vl_open takes it: the ops, the factory context passed to
 * open, and how to release that context when the service closes (NULL:
 * nothing to release). */
typedef struct vl_upstream {
    const vl_upstream_ops *ops;
    void *ctx;
    void (*release)(void *ctx);
} vl_upstream;

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_UPSTREAM_H */
