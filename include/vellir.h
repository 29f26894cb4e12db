/*
 * vellir.h -- libvellir, a write-back / read-through cache in front of a
 * database. This header is the manual: read it top to bottom.
 *
 * Owns: the whole public API of the cache (version, service, value types,
 * requests, statuses, statistics). Upstream authors also read
 * vellir_upstream.h.
 * Threads: every function here may be called from any thread, except where a
 * function says otherwise.
 *
 * ==== The model ====
 *
 * A service (vl_service) runs N shards. Each shard is one thread with its own
 * event loop, its own hash table and its own upstream connection. A key
 * belongs to exactly one shard (by hash), and only that thread ever touches
 * the key's entry, so the cache has no locks on its data. Callers on any
 * thread send the shard a request through its bounded mailbox and get a
 * completion back.
 *
 * The value is the user's. A vl_type says how big a value is, how to make one
 * for a key the database does not have (or that such a key is absent), how to
 * destroy one, and how to encode it to bytes and decode it back. Values live
 * inside the cache's entries; user code reaches them only from callbacks that
 * run on the owning shard.
 *
 * A read of a key that is not resident loads it from the upstream. Every
 * request that arrives for that key while the load is in flight waits on the
 * same load: a burst of 10,000 requests for one cold key is one upstream read.
 * A failed load fails every waiter with the upstream's status and caches
 * nothing; the next request loads again.
 *
 * A write runs a function of yours on the owning shard with exclusive access
 * to the value. The function returns a vl_policy, which says how the change
 * must reach the database:
 *
 *   vl_immediate()   the write's completion fires only after the upstream
 *                    acknowledged a commit that contains this write;
 *   vl_within(ms)    the write completes at once; a commit containing it
 *                    starts within ms milliseconds;
 *   vl_default()     the service's policy (vl_options.default_policy);
 *   vl_noop()        nothing to commit (nothing changed);
 *   VL_DELETE        remove the key, here and upstream (default durability;
 *                    vl_delete_with(vl_immediate()) for another one).
 *
 * Writes to a dirty key coalesce: a counter incremented 100,000 times inside
 * one 100 ms window is one upstream write. The earliest deadline wins. A
 * commit carries an encoded snapshot of the value, so the value can keep
 * changing while the commit is in flight; a key written during its own
 * commit is dirty again when the commit ends.
 *
 * Nothing acknowledged is lost: a dirty entry is never dropped before its
 * commit succeeds. A failed commit is retried with capped exponential backoff
 * and jitter. An IMMEDIATE writer waits through vl_options.retry's attempts,
 * then gets VL_EPENDING: the value is still held dirty and still retried.
 *
 * ==== Rules that hold for every call ====
 *
 * 1. Asynchronous calls (vl_read, vl_write, ...) return VL_OK when the
 *    request was accepted; then its callback runs exactly once. When they
 *    return anything else, the callback is never called.
 * 2. Every callback runs on the thread of the shard that owns the key (for
 *    vl_flush and vl_shutdown: on one of the shard threads). Callbacks must
 *    not block. They may submit further asynchronous requests. They must not
 *    call the blocking forms (*_sync, vl_close), which return VL_EINVAL there.
 * 3. Keys are borrowed: the call copies the key before it returns, so the
 *    caller may reuse the key's memory at once. Values are owned by the cache;
 *    the pointers a callback receives are valid only during that callback.
 *    The `arg` pointers are the caller's; vellir never frees them.
 * 4. Each blocking form (vl_read_sync, ...) is the asynchronous call plus a
 *    wait. It returns the status the callback received.
 * 5. A shard whose mailbox is full answers VL_EBUSY at once; the mailbox
 *    never grows. After vl_shutdown or vl_close has begun, calls answer
 *    VL_ECLOSED.
 */
#ifndef VELLIR_H
#define VELLIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vellir_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Version and linkage ============================================= */

/* The version of these headers. MINOR and PATCH stay below 100, so
 * VELLIR_VERSION_NUMBER (major * 10000 + minor * 100 + patch: 100 for 0.1.0)
 * orders versions as integers do. A release that breaks the ABI (a function
 * removed or changed, a struct laid out anew, a status renumbered) raises
 * MAJOR, and the shared library's soname carries MAJOR (libvellir.so.0): a
 * program runs with the library of its MAJOR whose MINOR.PATCH is at least
 * the one it was built against. These three lines are the only place the
 * version is written: the Makefile and vellir.pc read it from here. */
#define VELLIR_VERSION_MAJOR 0
#define VELLIR_VERSION_MINOR 1
#define VELLIR_VERSION_PATCH 0
#define VELLIR_VERSION_NUMBER \
    (VELLIR_VERSION_MAJOR * 10000 + VELLIR_VERSION_MINOR * 100 + VELLIR_VERSION_PATCH)
/* The same as a string literal: "0.1.0". */
#define VELLIR_VERSION                                                              \
    VL_STRINGIFY_(VELLIR_VERSION_MAJOR) "." VL_STRINGIFY_(VELLIR_VERSION_MINOR) "." \
    VL_STRINGIFY_(VELLIR_VERSION_PATCH)
#define VL_STRINGIFY_(x) VL_STRINGIFY2_(x)
#define VL_STRINGIFY2_(x) #x

/* Every function of the public headers is declared VL_API: exported from
 * libvellir.so. The library is compiled with -fvisibility=hidden, so nothing
 * else of it is exported: its internals' names are not part of the ABI, and
 * calls between them need no indirection. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define VL_API __attribute__((visibility("default")))
#else
#define VL_API
#endif

/* The version of the library the program runs with, which can differ from
 * the headers' when libvellir is a shared library installed apart from the
 * program: vl_version() is the library's VELLIR_VERSION and
 * vl_version_number() its VELLIR_VERSION_NUMBER. A program that wants to
 * know it runs with a library at least as new as its headers checks once,
 * at start:
 *
 *     unsigned v = vl_version_number();
 *     if (v / 10000 != VELLIR_VERSION_MAJOR || v < VELLIR_VERSION_NUMBER)
 *         ... built with VELLIR_VERSION, running with vl_version() ...
 *
 * Any thread. */
VL_API const char *vl_version(void);
VL_API unsigned vl_version_number(void);

/* ==== Statuses ========================================================= */

/* One status enum for the whole library and every upstream, made from the
 * list below: each status's identifier, its number, whether it is retryable
 * (1) and its sentence. vl_strerror gives the sentence, vl_status_name the
 * identifier and vl_status_retryable the flag, all from this list.
 *
 * The numbers are stable: a status keeps its number for ever, so a number
 * that was logged, stored or sent over a wire keeps its meaning. The list is
 * append only: a new status takes the next number at the end, and no status
 * is ever renumbered, reused or removed. The numbers are dense, 0 ..
 * VL_STATUS_COUNT - 1 (src/util/status.c refuses to compile otherwise, and
 * tests/unit/test_status.c pins every one).
 *
 * VL_OK through VL_EUNCOMMITTED are the cache's own answers. VL_EUNAVAILABLE
 * through VL_EUPSTREAM are what upstreams report (vellir_upstream.h):
 * VL_EQUERY is a statement the database rejected (syntax, invalid),
 * VL_EUPSTREAM any other failure. VL_EINTERNAL is a bug in vellir; please
 * report it.
 *
 * Retryable are the failures worth retrying as they are: an upstream that
 * is unavailable, timed out, overloaded, failed I/O, ran out of disk space
 * or hit a conflict, and running out of memory. A commit that fails with a
 * retryable status keeps its IMMEDIATE writers waiting through
 * vl_options.retry's attempts; any other status is reported to them at
 * once. Either way the key stays dirty and is retried. */
#define VL_STATUS_LIST(X)                                                                  \
    X(VL_OK,            0, 0, "ok")                                                        \
    X(VL_ENOTFOUND,     1, 0, "key not found")                                             \
    X(VL_ENOTCACHED,    2, 0, "key not resident in the cache")                             \
    X(VL_EBUSY,         3, 0, "shard mailbox full (busy); retry later")                    \
    X(VL_EFULL,         4, 0, "cache full: at its bound with nothing evictable "           \
                              "(all dirty or loading); a flush was started")               \
    X(VL_ECLOSED,       5, 0, "service is shutting down or closed")                        \
    X(VL_EINVAL,        6, 0, "invalid argument (or a blocking call on a shard thread)")   \
    X(VL_ENOMEM,        7, 1, "out of memory")                                             \
    X(VL_ETOOBIG,       8, 0, "key or value larger than its limit")                        \
    X(VL_ECORRUPT,      9, 0, "stored value is corrupt: its bytes do not decode")          \
    X(VL_EENCODE,      10, 0, "value type failed to encode the value")                     \
    X(VL_EPENDING,     11, 0, "commit still failing: the value is kept dirty and retried " \
                              "in the background")                                         \
    X(VL_EUNCOMMITTED, 12, 0, "close gave up with dirty keys not committed")               \
    X(VL_EUNAVAILABLE, 13, 1, "upstream unavailable or connection lost")                   \
    X(VL_ETIMEOUT,     14, 1, "upstream timed out")                                        \
    X(VL_EOVERLOADED,  15, 1, "upstream busy, locked or overloaded")                       \
    X(VL_EIO,          16, 1, "upstream I/O error")                                        \
    X(VL_ENOSPACE,     17, 1, "upstream out of disk space")                                \
    X(VL_ECONFLICT,    18, 1, "upstream serialization failure or deadlock")                \
    X(VL_ESCHEMA,      19, 0, "upstream table missing or of the wrong shape")              \
    X(VL_EAUTH,        20, 0, "upstream refused credentials or permission")                \
    X(VL_EQUERY,       21, 0, "upstream rejected the statement")                           \
    X(VL_EUPSTREAM,    22, 0, "upstream failure")                                          \
    X(VL_EINTERNAL,    23, 0, "internal error in vellir (a bug; please report it)")

typedef enum vl_status {
#define VL_STATUS_ENUM_(name, number, retryable, sentence) name = number,
    VL_STATUS_LIST(VL_STATUS_ENUM_)
#undef VL_STATUS_ENUM_
    VL_STATUS_COUNT /* one past the last number */
} vl_status;

/* The sentence of `s`, e.g. "shard mailbox full (busy); retry later";
 * "unknown status" for a number not in the list. Never NULL. */
VL_API const char *vl_strerror(vl_status s);
/* The identifier of `s`, e.g. "VL_EBUSY"; "VL_E?" for a number not in the
 * list. Never NULL. */
VL_API const char *vl_status_name(vl_status s);
/* The list's retryable flag of `s` (false for a number not in the list). */
VL_API bool vl_status_retryable(vl_status s);

/* ==== Time ============================================================= */

/* The clock of every expires_at in this API: milliseconds since the Unix
 * epoch (CLOCK_REALTIME). A key whose expires_at is at or before vl_time_ms()
 * has expired. Any thread; no system call (vDSO). */
VL_API int64_t vl_time_ms(void);

/* ==== Byte buffers ===================================================== */

/* A growable byte buffer. Encoders append to one the cache owns. */
typedef struct vl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} vl_buf;

/* Appends `n` bytes. Returns VL_OK or VL_ENOMEM (the buffer is unchanged). */
VL_API vl_status vl_buf_append(vl_buf *b, const void *p, size_t n);
/* Makes room for `n` more bytes; returns a pointer to them, or NULL. The
 * caller writes them and then adds n to b->len. */
VL_API uint8_t *vl_buf_reserve(vl_buf *b, size_t n);
VL_API void vl_buf_free(vl_buf *b);

/* ==== Durability policies ============================================== */

typedef enum vl_commit_kind {
    VL_COMMIT_NOOP = 0,  /* nothing to commit */
    VL_COMMIT_IMMEDIATE, /* complete after the upstream acknowledged */
    VL_COMMIT_WITHIN,    /* complete now; commit starts within `ms` */
    VL_COMMIT_DEFAULT    /* the service's vl_options.default_policy */
} vl_commit_kind;

/* What a write asks for. Build one with the functions below. */
typedef struct vl_policy {
    uint8_t kind;   /* vl_commit_kind */
    uint8_t del;    /* 1: delete the key, here and upstream */
    uint16_t _pad;
    uint32_t ms;    /* VL_COMMIT_WITHIN: the deadline in milliseconds */
} vl_policy;

static inline vl_policy vl_noop(void) { vl_policy p = {VL_COMMIT_NOOP, 0, 0, 0}; return p; }
static inline vl_policy vl_immediate(void) { vl_policy p = {VL_COMMIT_IMMEDIATE, 0, 0, 0}; return p; }
static inline vl_policy vl_within(uint32_t ms) { vl_policy p = {VL_COMMIT_WITHIN, 0, 0, ms}; return p; }
static inline vl_policy vl_default(void) { vl_policy p = {VL_COMMIT_DEFAULT, 0, 0, 0}; return p; }
/* Delete with the durability of `how` (NOOP counts as DEFAULT: a delete
 * always reaches the upstream). */
static inline vl_policy vl_delete_with(vl_policy how) {
    if (how.kind == VL_COMMIT_NOOP) how.kind = VL_COMMIT_DEFAULT;
    how.del = 1;
    return how;
}
#define VL_DELETE (vl_delete_with(vl_default()))

/* ==== Value types ====================================================== */

/* Describes the values of a service. Every function runs on a shard thread
 * and must not block. `ctx` is passed back to each of them. Value storage is
 * `size` bytes inside the cache's entry, aligned to 8 bytes; the functions
 * construct a value in place there and must not keep pointers to it. */
typedef struct vl_type {
    const char *name;   /* for messages, e.g. "counter" */
    size_t size;        /* bytes of value storage per entry, 1..4096 */

    /* A key the upstream does not have. Construct a fresh value in `value`
     * and return VL_OK, or return VL_ENOTFOUND to say the key is absent: a
     * read then answers VL_ENOTFOUND and a write sees m->present == false.
     * NULL means "always absent". */
    vl_status (*init)(void *ctx, const void *key, size_t key_len, void *value);

    /* Release what a constructed value owns (not the storage itself, which
     * is the cache's). NULL if values own nothing. */
    void (*destroy)(void *ctx, void *value);

    /* Append the encoding of `value` to `out`. Return VL_OK, or a failure
     * (VL_EENCODE, VL_ENOMEM), in which case the commit is retried later and
     * the key stays dirty. Required. */
    vl_status (*encode)(void *ctx, const void *value, vl_buf *out);

    /* Construct a value in `value` from stored bytes. Return VL_OK, or
     * VL_ECORRUPT for bytes that are not a valid encoding (the load then
     * fails with VL_ECORRUPT, nothing is cached, and a message naming the key
     * is logged). On failure `value` must own nothing. Required. */
    vl_status (*decode)(void *ctx, const void *key, size_t key_len,
                        const uint8_t *bytes, size_t len, void *value);

    void *ctx;

    /* Optional. The value's own expiry (ms since the Unix epoch, 0: none),
     * for types that carry it in the value. When set, it is authoritative:
     * the cache asks it after every load and every write, and a write's
     * m->expires_at is ignored. NULL: expiry comes from writes, vl_expire
     * and the upstream. */
    int64_t (*expires_at)(void *ctx, const void *value);

    /* Optional. Heap bytes a value owns beyond its `size` bytes of storage
     * (a string's buffer, say), for the max_bytes bound. NULL: values own
     * nothing, and an entry counts as its allocation (header, key, storage).
     * Must give the same answer for the same value. */
    size_t (*mem_size)(void *ctx, const void *value);
} vl_type;

/* ==== Options ========================================================== */

typedef enum vl_log_level { VL_LOG_ERROR = 0, VL_LOG_WARN, VL_LOG_INFO } vl_log_level;

/* Retries of failed commits: delay n is min(cap, base * 2^(n-1)), with half
 * of it jittered. */
typedef struct vl_retry_policy {
    uint32_t base_ms;            /* default VL_RETRY_BASE_MS_DEFAULT */
    uint32_t cap_ms;             /* default VL_RETRY_CAP_MS_DEFAULT */
    uint32_t immediate_attempts; /* failed attempts an IMMEDIATE writer (or a
                                    flush) waits through before VL_EPENDING;
                                    default VL_RETRY_IMMEDIATE_ATTEMPTS_DEFAULT */
} vl_retry_policy;

/* Which clean entry a full shard evicts. */
typedef enum vl_evict_policy {
    VL_EVICT_SAMPLED_LRU = 0, /* Redis's approximation of LRU (default) */
    VL_EVICT_S3FIFO = 1       /* S3-FIFO: better on skewed workloads */
} vl_evict_policy;

/* Redis's active expiry cycle, per shard (see src/cache/expire.c). */
typedef struct vl_expire_options {
    uint32_t hz;              /* slow cycles per second; default 10 */
    uint32_t keys_per_loop;   /* keys with an expiry sampled per loop; 20 */
    uint32_t stale_pct;       /* loop again while more than this % of a
                                 sample was expired; 10 */
    uint32_t slow_cpu_pct;    /* a slow cycle's time budget, in % of its
                                 period (1/hz); 25 */
    uint32_t fast_us;         /* a fast cycle's budget, run before sleeping
                                 when a slow one ran out of time; 1000 */
} vl_expire_options;

typedef struct vl_options {
    uint32_t shards;           /* 0: one per online CPU; at most VL_SHARDS_MAX */
    uint32_t mailbox;          /* requests per shard before VL_EBUSY; 0: default */
    vl_policy default_policy;  /* for vl_default(); default vl_within(1000) */
    vl_retry_policy retry;
    uint32_t batch_max;        /* most keys per commit; 0: default */
    uint32_t commit_inflight;  /* commit batches in flight per shard; 0: default */
    uint32_t commit_gather_ms; /* a commit that starts also takes the keys due
                                  within this many ms (committing them that
                                  much early), so commits come in fewer,
                                  larger batches; 0 (default): never early */
    uint32_t value_max;        /* largest encoded value; 0: default */
    uint32_t spin_us;          /* poll before sleeping; see vl_options_init */
    uint32_t close_timeout_ms; /* vl_close keeps retrying this long; 0: default */

    /* Bounds, 0 meaning unbounded. Each shard keeps 1/shards of them. At a
     * bound, a new key first evicts clean keys (evict_policy); if none can
     * go (everything dirty or loading), the request fails VL_EFULL at once
     * and every dirty key is committed now. max_bytes counts each entry's
     * allocation plus the type's mem_size. */
    uint64_t max_keys;
    uint64_t max_bytes;
    uint32_t evict_policy;  /* vl_evict_policy; default VL_EVICT_SAMPLED_LRU */
    uint32_t evict_samples; /* sampled LRU: keys sampled per eviction; 0: default */
    uint32_t evict_pool;    /* sampled LRU: candidate pool size; 0: default */
    vl_expire_options expire; /* zeros: defaults */

    /* Where vellir reports what a status cannot say (which key was corrupt,
     * why a commit failed). Called on shard threads; must not block for
     * long. NULL: one line to stderr for errors and warnings. */
    void (*log)(void *arg, vl_log_level level, const char *msg);
    void *log_arg;

    /* Called by vl_close, on a shard thread, once for every key it could not
     * commit before close_timeout_ms, with the value's encoded bytes (NULL
     * for a delete). The last chance to keep the data. May be NULL. */
    void (*on_uncommitted)(void *arg, const void *key, size_t key_len,
                           const uint8_t *bytes, size_t len);
    void *on_uncommitted_arg;
} vl_options;

/* Fills `o` with the defaults: shards 0 (online CPUs), mailbox
 * VL_MAILBOX_DEFAULT, default_policy vl_within(VL_DEFAULT_WITHIN_MS), retry
 * defaults, batch_max VL_BATCH_MAX_DEFAULT, commit_inflight
 * VL_COMMIT_INFLIGHT_DEFAULT, value_max VL_VALUE_MAX_DEFAULT, spin_us
 * VL_SPIN_US_DEFAULT, close_timeout_ms VL_CLOSE_TIMEOUT_MS_DEFAULT, no bounds,
 * sampled LRU with VL_EVICT_SAMPLES_DEFAULT samples and a pool of
 * VL_EVICT_POOL_DEFAULT, the VL_EXPIRE_* defaults, log to stderr. */
VL_API void vl_options_init(vl_options *o);

/* ==== The service ====================================================== */

typedef struct vl_service vl_service;
struct vl_upstream; /* vellir_upstream.h */

/* Starts a service: validates the options, starts the shard threads and
 * opens one upstream instance per shard. On VL_OK, *out is the service, and
 * it owns `upstream` (vl_close releases it). On failure, nothing is started
 * and the caller still owns `upstream`. `opts` may be NULL for the defaults.
 * `type` must stay valid until vl_close returns. Blocking. */
VL_API vl_status vl_open(const vl_options *opts, const vl_type *type,
                         const struct vl_upstream *upstream, vl_service **out);

/* What vl_close could not do. */
typedef struct vl_close_report {
    uint64_t uncommitted; /* dirty keys not committed before the deadline */
    vl_status last_error; /* the last commit failure seen, or VL_OK */
} vl_close_report;

/* Starts closing: new requests answer VL_ECLOSED, requests already accepted
 * finish, every dirty key is committed (failures retried until
 * close_timeout_ms), and every upstream instance is closed. `done` runs once,
 * on a shard thread, when all shards have finished; its status is VL_OK or
 * VL_EUNCOMMITTED. May be called once. */
VL_API vl_status vl_shutdown(vl_service *svc, void (*done)(void *arg, vl_status st), void *arg);

/* Blocking: vl_shutdown, wait, join the shard threads, release the upstream,
 * free the service. Returns VL_OK or VL_EUNCOMMITTED (details in *report if
 * not NULL). `svc` is invalid afterwards.
 * Other threads may keep calling into `svc` while it shuts down (they are
 * served, or answered VL_ECLOSED), but every such call must have returned
 * before vl_close is called: vl_close frees what they would touch. Callbacks
 * of accepted requests all run before vl_close returns. */
VL_API vl_status vl_close(vl_service *svc, vl_close_report *report);

VL_API uint32_t vl_shard_count(const vl_service *svc);
/* The shard that owns `key` (stable for the life of the service). */
VL_API uint32_t vl_shard_of(const vl_service *svc, const void *key, size_t key_len);

/* ==== Reading ========================================================== */

/* What a read callback sees. Valid only during the callback. */
typedef struct vl_view {
    const void *key;
    size_t key_len;
    const void *value;  /* the value (type->size bytes); NULL unless VL_OK */
    int64_t expires_at; /* ms since the Unix epoch; 0: none */
} vl_view;

/* Runs on the owning shard with const access to the value. `status` is
 * VL_OK (view->value is the value), VL_ENOTFOUND, VL_ENOTCACHED, or the
 * failure that ended the request (an upstream status, VL_ECORRUPT, ...). */
typedef void (*vl_read_cb)(void *arg, vl_status status, const vl_view *view);

/* Reads `key`, loading it from the upstream if it is not resident. */
VL_API vl_status vl_read(vl_service *svc, const void *key, size_t key_len,
                         vl_read_cb cb, void *arg);
/* Reads `key` only if resident and loaded; never loads. Otherwise the
 * callback gets VL_ENOTCACHED. */
VL_API vl_status vl_read_cached(vl_service *svc, const void *key, size_t key_len,
                                vl_read_cb cb, void *arg);

/* ==== Writing ========================================================== */

/* What a write function gets. */
typedef struct vl_mut {
    const void *key;
    size_t key_len;
    void *value;        /* storage: type->size bytes */
    bool present;       /* in: value holds a value. A function that creates
                           one (when false) constructs it in `value` and sets
                           present = true. To remove a value, return a
                           delete policy; do not clear `present`. */
    int64_t expires_at; /* ms since the Unix epoch; 0: none. The function may
                           change it; the change commits like a value change. */
} vl_mut;

/* Runs on the owning shard with exclusive access; returns the policy. */
typedef vl_policy (*vl_write_fn)(void *arg, vl_mut *m);
/* Completion of a write, delete, evict or flush. */
typedef void (*vl_done_cb)(void *arg, vl_status status);

/* Writes `key`: loads it if not resident, then runs `fn`. `done` (may be
 * NULL) gets VL_OK when the policy's durability is met (at once for WITHIN,
 * DEFAULT-within and NOOP; after the upstream's ack for IMMEDIATE), or a
 * failure: the load's status, VL_EPENDING, or the upstream's permanent
 * error (the value is still kept dirty and retried). */
VL_API vl_status vl_write(vl_service *svc, const void *key, size_t key_len,
                          vl_write_fn fn, vl_done_cb done, void *arg);

/* A write that does not depend on the current value (an overwrite, like
 * Redis's SET): a key that is not resident is not loaded. `fn` then sees
 * present == false, and the value it constructs (or the delete it returns)
 * replaces whatever the upstream holds, expiry included; a stored value
 * that would not decode does not stand in its way. If `fn` writes nothing
 * there (no value and no delete, or a failure), nothing is cached. A key
 * that is resident, or loading, is written as by vl_write (fn may see its
 * value). Saves the upstream read that vl_write makes for a cold key. */
VL_API vl_status vl_write_blind(vl_service *svc, const void *key, size_t key_len,
                                vl_write_fn fn, vl_done_cb done, void *arg);

/* Deletes `key` here and upstream with the durability `how` (IMMEDIATE,
 * WITHIN or DEFAULT). Needs no load. */
VL_API vl_status vl_delete(vl_service *svc, const void *key, size_t key_len,
                           vl_policy how, vl_done_cb done, void *arg);

/* Drops `key` from memory. A dirty key is committed first, and `done` runs
 * after the ack and the drop. A key not resident completes VL_OK. */
VL_API vl_status vl_evict(vl_service *svc, const void *key, size_t key_len,
                          vl_done_cb done, void *arg);

/* Sets the expiry of `key` (ms since the Unix epoch; 0 removes it), loading
 * the key if needed, and commits the change with the durability `how`.
 * `done` gets VL_ENOTFOUND if the key has no value. An expiry in the past
 * expires the key at once (a delete, committed with `how`). With a type
 * that has its own expires_at, the type's answer wins. */
VL_API vl_status vl_expire(vl_service *svc, const void *key, size_t key_len, int64_t expires_at,
                           vl_policy how, vl_done_cb done, void *arg);

/* Commits every key dirty at the time of the call, now. `done` runs after
 * all of those commits were acknowledged (VL_OK), or with the first failure
 * once every such key succeeded or used up its IMMEDIATE retry budget. */
VL_API vl_status vl_flush(vl_service *svc, vl_done_cb done, void *arg);

/* Empties the whole service, here and upstream (what FLUSHALL needs). Every
 * shard stops taking requests from its mailbox (they wait there, in order),
 * stops starting commits, waits for its loads and commits in flight, and then
 * drops every entry, dirty ones included: their unwritten changes are
 * discarded, and whoever waits on them (IMMEDIATE writers, flushes,
 * evictions) completes VL_OK, since the clear supersedes their write. Once
 * every shard is quiet, the upstream's truncate runs once; then every shard
 * resumes. Because nothing is in flight when the truncate runs, no commit or
 * load that started before the clear can land after it and bring a key back.
 *
 * Ordering: requests whose callbacks ran before vl_clear was called are
 * cleared; requests accepted after `done` ran see an empty cache and table;
 * requests accepted in between may run before or after the clear (a caller
 * that needs an order waits for its own requests first, as vellir-server's
 * FLUSHALL does).
 *
 * `done` runs once, on a shard thread, with VL_OK or the truncate's failure
 * (the cache is empty either way; after a failure the upstream may still
 * hold rows, which later reads load again). Returns VL_OK, VL_EINVAL if the
 * upstream has no truncate op, VL_EBUSY while another clear is under way,
 * VL_ECLOSED once the service is closing, or VL_ENOMEM. */
VL_API vl_status vl_clear(vl_service *svc, vl_done_cb done, void *arg);

/* ==== Listing the keys ================================================= */

/* One key of a page. Valid only during the scan's callback. */
typedef struct vl_scan_key {
    const void *key;
    size_t len;
} vl_scan_key;

/* A page of the service's keys, as a scan callback sees it. Everything is
 * valid only during the callback. */
typedef struct vl_scan_page {
    const vl_scan_key *keys; /* ascending by position (below) */
    uint32_t count;
    /* Where the next page starts: pass next/next_len to vl_scan as `after`.
     * Meaningless once `end` is set. */
    const void *next;
    size_t next_len;
    bool end;                /* no key comes after this page: done */
} vl_scan_page;

/* Runs on a shard thread. `page` is NULL unless status is VL_OK. */
typedef void (*vl_scan_cb)(void *arg, vl_status status, const vl_scan_page *page);

/* Lists the service's keys page by page: the keys the upstream stores and
 * has not expired, plus the keys written and not yet committed, minus the
 * keys deleted (or expired) and not yet committed. Each key has a position
 * (a byte string: for SQLite and PostgreSQL the key itself; an upstream
 * may define its own, vellir_upstream.h), and a page holds the keys whose
 * positions come after `after`, at most `count` of them (1 ..
 * VL_SCAN_COUNT_MAX), in ascending order of position; a page may hold
 * fewer, even none, without being the last. `after` NULL (and after_len 0)
 * starts at the beginning; otherwise it is the `next` of the page before,
 * copied before the call returns.
 *
 * What a whole scan, from the first page to the page marked `end`,
 * promises (docs/scan.md has the proof):
 *   - a key that holds a value for the whole scan is returned at least
 *     once (exactly once unless keys are written while it runs);
 *   - a key whose delete was acknowledged before vl_scan was called for a
 *     page is not in that page, nor is a key expired before then;
 *   - a key created or deleted while the scan runs may or may not be
 *     returned.
 * Memory stays bounded however large the table is: a page in flight holds
 * at most `count` keys from the upstream and `count` of each shard's dirty
 * keys. Each page is one upstream read, and costs every shard one pass
 * over its dirty keys.
 *
 * `cb` runs once, on a shard thread, with VL_OK and the page, or with the
 * upstream's failure. Returns VL_OK, VL_EINVAL (a bad argument, or an
 * upstream without a scan op), VL_ECLOSED once the service is closing, or
 * VL_ENOMEM. */
VL_API vl_status vl_scan(vl_service *svc, const void *after, size_t after_len, uint32_t count,
                         vl_scan_cb cb, void *arg);

/* ==== Blocking forms =================================================== */
/* Each is its asynchronous call plus a wait for the callback; it returns the
 * callback's status (or the call's own refusal). Not on shard threads. */

VL_API vl_status vl_read_sync(vl_service *svc, const void *key, size_t key_len,
                              vl_read_cb cb, void *arg);
VL_API vl_status vl_read_cached_sync(vl_service *svc, const void *key, size_t key_len,
                                     vl_read_cb cb, void *arg);
VL_API vl_status vl_write_sync(vl_service *svc, const void *key, size_t key_len,
                               vl_write_fn fn, void *arg);
VL_API vl_status vl_delete_sync(vl_service *svc, const void *key, size_t key_len,
                                vl_policy how);
VL_API vl_status vl_evict_sync(vl_service *svc, const void *key, size_t key_len);
VL_API vl_status vl_flush_sync(vl_service *svc);
VL_API vl_status vl_expire_sync(vl_service *svc, const void *key, size_t key_len,
                                int64_t expires_at, vl_policy how);
/* `cb` (may be NULL) runs on the shard thread before the call returns. */
VL_API vl_status vl_scan_sync(vl_service *svc, const void *after, size_t after_len,
                              uint32_t count, vl_scan_cb cb, void *arg);

/* ==== Running your own code on the shards ============================= */
/* For programs that put their own I/O on the shard threads, as
 * vellir-server puts its client connections there: each shard's libuv loop
 * can carry the program's sockets and timers, and a task can be sent to any
 * shard's thread. */

struct uv_loop_s;

/* The libuv loop of `shard`. Use it only on that shard's thread: inside a
 * vl_post task, a callback, or the loop's own callbacks. Close your handles
 * (in a task on each shard) before vl_shutdown/vl_close; handles still open
 * when a shard ends are closed without their close callbacks. */
VL_API struct uv_loop_s *vl_shard_loop(vl_service *svc, uint32_t shard);

/* The index of the shard whose thread is calling, or -1 on other threads. */
VL_API int vl_shard_self(const vl_service *svc);

/* A unit of work for vl_post, embedded in the caller's own structure. */
typedef struct vl_task {
    void (*fn)(struct vl_task *task); /* runs on the shard thread */
    void *reserved_[2];               /* vellir's; do not touch */
} vl_task;

/* Runs task->fn(task) on `shard`'s thread, soon, in the order posted from
 * one thread. The task is the caller's until fn runs, and fn may free it.
 * Never refused for lack of room (it bypasses the mailbox; bounding the
 * number of tasks is the caller's business). VL_OK, or VL_ECLOSED once that
 * shard has finished (then fn never runs), or VL_EINVAL. Any thread. */
VL_API vl_status vl_post(vl_service *svc, uint32_t shard, vl_task *task);

/* ==== Statistics ======================================================= */

/* Counters since the service started, except the gauges (marked). */
typedef struct vl_stats {
    uint64_t hits;             /* requests served from a resident entry */
    uint64_t misses;           /* requests that found the key absent from memory */
    uint64_t loads_started;    /* upstream loads issued */
    uint64_t loads_coalesced;  /* requests that joined a load in flight */
    uint64_t loads_failed;     /* loads that failed (each fails its waiters) */
    uint64_t corrupt;          /* loads whose bytes did not decode */
    uint64_t writes;           /* write, delete requests applied */
    uint64_t writes_coalesced; /* writes to a key already waiting for a commit */
    uint64_t commits;          /* commit batches acknowledged */
    uint64_t commit_keys;      /* keys in acknowledged batches */
    uint64_t commits_failed;   /* keys whose commit failed */
    uint64_t retries;          /* keys re-queued after a failed commit */
    uint64_t pending_replies;  /* IMMEDIATE writers answered VL_EPENDING */
    uint64_t busy;             /* requests refused with VL_EBUSY */
    uint64_t full;             /* requests refused with VL_EFULL */
    uint64_t evictions;        /* clean keys evicted at the bounds */
    uint64_t expired_lazy;     /* keys found expired by an access */
    uint64_t expired_active;   /* keys expired by the active cycle */
    uint64_t bytes;            /* gauge: bytes held (see max_bytes) */
    uint64_t keys;             /* gauge: resident entries */
    uint64_t dirty_keys;       /* gauge: keys not yet acknowledged upstream */
    uint64_t oldest_dirty_ms;  /* gauge: age of the oldest dirty key */
    uint64_t mailbox_depth;    /* gauge: requests waiting in the mailbox */
    uint64_t inflight_loads;   /* gauge */
    uint64_t inflight_commits; /* gauge: batches */
    uint64_t expiring_keys;    /* gauge: resident keys that have an expiry */
} vl_stats;

/* Reads the statistics of one shard (0..vl_shard_count-1), or of all
 * shards merged (shard == -1; gauges are summed, oldest_dirty_ms is the
 * maximum). Never blocks and never queues: each shard publishes its counters
 * as it runs, so a reading may be a few microseconds old. */
VL_API vl_status vl_stats_get(vl_service *svc, int shard, vl_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_H */
