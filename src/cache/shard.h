/*
 * shard.h -- the cache layer as the service sees it: a shard is a worker
 * (runtime/worker.h) that owns a slice of the keys, with its table, its
 * upstream instance and its write-back state.
 *
 * Owns: struct vl_shard, its counters, the control messages a shard takes,
 * and the calls the service makes on shards (init, start, posting commands,
 * starting a clear or a scan). Between the cache's own files: cache/internal.h.
 * Threads: vl__shard_init and vl__shard_fini on the opening thread, before the
 * shard's thread starts and after it ended; the counters any thread (one
 * writer: the shard); everything else on the shard's own thread, except
 * what is marked "any thread".
 *
 * A shard knows nothing of the service: what it needs from it (options,
 * value type, upstream, log sink, its siblings, the start-up gate) is given
 * to it at init in a vl_shard_config and copied.
 */
#ifndef VL_CACHE_SHARD_H
#define VL_CACHE_SHARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cache/entry.h"
#include "cache/evict.h"
#include "cache/table.h"
#include "runtime/join.h"
#include "runtime/worker.h"
#include "util/heap.h"
#include "util/log.h"
#include "util/ptrmap.h"
#include "util/rng.h"
#include "util/slab.h"
#include "vellir_upstream.h"

#define VL_CONTAINER_OF(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* What a control message (runtime/ctlq.h) on a shard's queue is. */
typedef enum vl_ctl_kind {
    CTL_LOAD_DONE = 1, /* an upstream answered a load (load.c) */
    CTL_BATCH_DONE,    /* an upstream answered a commit batch (commit.c) */
    CTL_FLUSH,         /* vl_flush: a vl_cmd */
    CTL_SHUTDOWN,      /* vl_shutdown: a vl_cmd */
    CTL_TASK,          /* a vl_task: its reserved_ words are this vl_ctl */
    CTL_CLEAR,         /* vl_clear: quiesce, drop everything (clear.c) */
    CTL_CLEAR_RESUME,  /* vl_clear: the truncate is over; resume */
    CTL_TRUNCATE_DONE, /* the upstream completed the truncate */
    CTL_SCAN_COLLECT,  /* vl_scan: list this shard's dirty keys (scan.c) */
    CTL_SCAN_READ,     /* the upstream answered a scan page */
    CTL_SCAN_MERGE     /* vl_scan: judge this shard's keys of the page */
} vl_ctl_kind;

/* A command posted to each shard's control queue (flush, shutdown). The
 * shard frees it. For a shutdown, `join` (may be NULL) gets the shard's
 * part once it has finished: VL_OK or VL_EUNCOMMITTED. */
typedef struct vl_cmd {
    vl_ctl ctl;
    vl_join *join;
} vl_cmd;

/* Per-shard counters. One writer (the shard); readers on any thread. */
typedef struct vl_shard_stats {
    _Atomic uint64_t hits, misses, loads_started, loads_coalesced, loads_failed,
        corrupt, writes, writes_coalesced, commits, commit_keys, commits_failed,
        retries, pending_replies, busy, full, evictions, expired_lazy, expired_active,
        bytes, keys, dirty_keys, oldest_dirty_since, inflight_loads, inflight_commits,
        expiring;
} vl_shard_stats;

#define STAT_ADD(sh, f, n)                                                    \
    atomic_store_explicit(&(sh)->st.f,                                        \
                          atomic_load_explicit(&(sh)->st.f, memory_order_relaxed) + (n), \
                          memory_order_relaxed)
#define STAT_INC(sh, f) STAT_ADD(sh, f, 1)
#define STAT_SET(sh, f, v) atomic_store_explicit(&(sh)->st.f, (v), memory_order_relaxed)

/* The shutdown phases (shard.c draws them). */
typedef enum vl_phase {
    PH_RUNNING = 0,
    PH_DRAINING, /* intake closed; serving what is already queued */
    PH_FLUSHING, /* committing everything dirty, until clean or deadline */
    PH_DONE
} vl_phase;

/* A shard's part in a vl_clear (clear.c draws the protocol). */
typedef enum vl_clear_phase {
    CLR_NONE = 0,
    CLR_QUIESCING, /* waiting for loads and commits in flight to end */
    CLR_QUIET      /* everything dropped; waiting for the truncate */
} vl_clear_phase;

/* What the service gives a shard. Everything is copied but `peers` and
 * `gate`, which must outlive the shard. */
typedef struct vl_shard_config {
    const vl_options *opts;      /* checked, defaults filled */
    const vl_type *type;
    const vl_upstream *upstream;
    uint32_t index, nshards;
    struct vl_shard *peers;      /* every shard of the service (a clear resumes them) */
    vl_gate *gate;               /* each shard reports its upstream's open */
    const void *owner;           /* opaque: for vl_shard_self */
} vl_shard_config;

typedef struct vl_shard {
    vl_worker rt;       /* thread, loop, mailbox, control queue */
    vl_options opts;
    vl_type type;
    vl_upstream upstream;
    vl_log_sink log;
    uint32_t index, nshards;
    struct vl_shard *peers;
    vl_gate *gate;
    vl_join *finish;    /* the shutdown's join, from its CTL_SHUTDOWN */

    uv_timer_t commit_timer;
    int64_t commit_timer_at; /* µs when armed; INT64_MAX if not */
    uv_timer_t expire_timer;
    bool expire_fast;   /* the last slow cycle ran out of time */
    int64_t expire_fast_at_us; /* when a fast cycle may run again */

    vl_table table;
    vl_slab slab;       /* the entries' memory */
    vl_evictor ev;
    uint64_t max_keys;  /* this shard's share of the bounds; 0: none */
    uint64_t max_bytes;
    uint64_t bytes;     /* entries' allocations + the type's mem_size */
    vl_ptrmap recs;     /* entry -> vl_load* or vl_dirty* (cache/internal.h) */
    vl_ptrmap expiry;   /* entry -> expires_at (ms, wall clock) */
    vl_heap due;        /* vl_dirty.due of DIRTY keys */
    vl_heap ages;       /* vl_dirty.age of all dirty keys */
    uint32_t inflight_batches;
    struct vl_batch_job *building; /* the batch being built (commit.c), or NULL */
    struct vl_batch_job *settling, *settling_tail; /* answered, being settled */
    uint32_t inflight_loads;
    struct vl_dirty *spare; /* a record ready for the next clean -> dirty */

    void *up;           /* the upstream instance */
    vl_upstream_env env;
    vl_rng rng;
    uint32_t lru_clock;
    int64_t now_us;     /* monotonic µs, refreshed each loop turn and before
                         * every deadline is computed (see commit.c) */

    vl_phase phase;
    /* vl_clear (clear.c): the clear under way, and how far this shard is.
     * While clear_phase != CLR_NONE the mailbox is not drained and no commit
     * starts. */
    struct vl_clear_job *clear;
    uint8_t clear_phase; /* vl_clear_phase */
    uint64_t clear_gen;  /* clears this shard has dropped its keys for */
    /* vl_scan (scan.c): pages whose upstream read this shard has in flight;
     * pages whose read waits for a clear to end; and pages that still need
     * this shard (any thread adds; it may not finish while one does). */
    uint32_t inflight_scans;
    struct vl_scan_job *scans_parked;
    _Atomic uint32_t scans;
    int64_t close_deadline_us;
    vl_status last_error;
    uint64_t uncommitted;
    vl_shard_stats st;
} vl_shard;

/* Opening thread. VL_OK or VL_ENOMEM; after a failure vl__shard_fini still
 * applies. */
vl_status vl__shard_init(vl_shard *sh, const vl_shard_config *cfg);
void vl__shard_fini(vl_shard *sh);
/* Starts the shard's thread, which opens its upstream instance and reports
 * to the gate. Opening thread. */
vl_status vl__shard_start(vl_shard *sh);

/* Posts `kind` (CTL_FLUSH, CTL_SHUTDOWN) with `join` to every shard, all or
 * nothing: VL_OK or VL_ENOMEM. Any thread. */
vl_status vl__shard_post_all(vl_shard *shards, uint32_t n, uint32_t kind, vl_join *join);

/* vl_clear's work on the shards (clear.c): starts a clear of all `n`
 * shards. `busy` is the caller's flag, set while the clear is under way;
 * the clear resets it before done(arg, status) runs. VL_OK or VL_ENOMEM
 * (then `busy` is reset already). Any thread. */
vl_status vl__clear_start(vl_shard *shards, uint32_t n, _Atomic int *busy, vl_done_cb done,
                      void *arg);

/* vl_scan's work on the shards (scan.c): starts a page over all `n`
 * shards. `after` NULL: the first page. VL_OK or VL_ENOMEM. Any thread. */
vl_status vl__scan_start(vl_shard *shards, uint32_t n, const void *after, size_t after_len,
                         uint32_t count, vl_scan_cb cb, void *arg);

#endif
