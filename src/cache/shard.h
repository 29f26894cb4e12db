/*
 * shard.h -- a shard: one thread, one loop, one table, one upstream instance.
 *
 * Owns: the shard's structure and the records a key needs while it is
 * pinned (vl_load while LOADING, vl_dirty while DIRTY/COMMITTING), and the
 * internal interface between the shard's files:
 *   shard.c     the thread, its loop, sleeping and waking, shutdown phases
 *   dispatch.c  requests against a key: the key state machine's transitions
 *   load.c      read-through: starting loads, completing them, waiters
 *   commit.c    write-back: dirty records, deadlines, batches, retries, flush
 *   expire.c    lazy expiry
 * Threads: everything here runs on the shard's own thread, except what is
 * marked "any thread".
 */
#ifndef VL_SHARD_H
#define VL_SHARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "runtime/ctlq.h"
#include "cache/entry.h"
#include "cache/evict.h"
#include "util/heap.h"
#include "runtime/mailbox.h"
#include "util/ptrmap.h"
#include "util/slab.h"
#include "cache/table.h"
#include "util/rng.h"
#include "vellir_upstream.h"

#define VL_CONTAINER_OF(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct vl_service;
struct vl_shard;

/* A request, as it waits for a load or an ack. */
typedef struct vl_req {
    uint8_t op; /* vl_msg_op */
    vl_policy policy;
    union {
        vl_read_cb read;
        vl_write_fn write;
        int64_t expires_at; /* MSG_EXPIRE */
    } fn;
    vl_done_cb done;
    void *arg;
} vl_req;

/* Fan-in of a request spread over shards (flush, shutdown): `remaining`
 * counts the parts still open; the part that brings it to zero completes. */
typedef struct vl_join {
    _Atomic int64_t remaining;
    _Atomic int status; /* first failure, or VL_OK */
    vl_done_cb done;
    void *arg;
} vl_join;

void join_part_done(vl_join *j, vl_status st); /* any thread */

/* A command posted to each shard's control queue (flush, shutdown). */
typedef struct vl_cmd {
    vl_ctl ctl;
    vl_join *join;
} vl_cmd;

typedef struct vl_waiter {
    struct vl_waiter *next;
    vl_req req;
    uint32_t attempts; /* failed commits this waiter has waited through */
    vl_join *join;     /* a flush's part, or NULL */
} vl_waiter;

/* The load of a LOADING key (the vl_load of vellir_upstream.h). */
struct vl_load {
    vl_ctl ctl;
    struct vl_shard *sh;
    vl_entry *entry;
    uint64_t hash;
    vl_waiter *head;
    vl_waiter **tailp;
    /* The upstream's answer, filled by vl_load_done on its thread. */
    vl_status status;
    uint8_t *bytes;
    size_t len;
    int64_t expires_at;
};

/* The write-back record of a DIRTY or COMMITTING key. */
typedef struct vl_dirty {
    vl_entry *entry;
    uint64_t hash;
    vl_hnode due;          /* in sh->due while DIRTY: the commit deadline (µs) */
    vl_hnode age;          /* in sh->ages: the oldest unacknowledged write (µs) */
    int64_t next_due;      /* COMMITTING with has_new: the next deadline */
    int64_t new_since;     /* COMMITTING with has_new: first write since */
    int64_t last_write_us; /* wall clock of the latest write */
    uint32_t attempts;     /* consecutive failed commits */
    uint8_t has_new;       /* written since the in-flight snapshot */
    uint8_t evict_after;   /* drop the entry once it is clean */
    vl_waiter *pending;    /* wait for the next commit */
    vl_waiter *inflight;   /* wait for the commit in flight */
} vl_dirty;

/* A commit in flight (the vl_batch of vellir_upstream.h is its head). */
typedef struct vl_batch_job {
    vl_batch pub;
    vl_ctl ctl;
    struct vl_shard *sh;
    vl_status status;
    vl_dirty **recs;
    size_t *offs;  /* while building: each item's offset in `bytes` */
    uint32_t cap;  /* room in items, recs and offs */
    int64_t until; /* keys due by then join it (its gather time) */
    uint32_t settled, failed;     /* once answered: keys settled, failed */
    vl_status last_error;
    struct vl_batch_job *next_settle; /* answered batches, in order */
    vl_buf bytes;
} vl_batch_job;

/* A batch starts with room for this many keys and doubles as it fills. */
#define VL_BATCH_START_CAP 256u

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

typedef enum vl_phase {
    PH_RUNNING = 0,
    PH_DRAINING, /* intake closed; serving what is already queued */
    PH_FLUSHING, /* committing everything dirty, until clean or deadline */
    PH_DONE
} vl_phase;

typedef struct vl_shard {
    struct vl_service *svc;
    uint32_t index;
    pthread_t thread;
    vl_mailbox mb;
    vl_ctlq ctl;
    _Atomic uint32_t sleeping; /* any thread: wake me through `wake` */
    _Atomic uint32_t posting;  /* shard_post calls under way (any thread) */
    _Atomic uint32_t finished; /* set when the shard stops taking posts */
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t commit_timer;
    int64_t commit_timer_at; /* µs when armed; INT64_MAX if not */

    vl_table table;
    vl_slab slab;       /* the entries' memory */
    vl_evictor ev;
    uint64_t max_keys;  /* this shard's share of the bounds; 0: none */
    uint64_t max_bytes;
    uint64_t bytes;     /* entries' allocations + the type's mem_size */
    uv_timer_t expire_timer;
    bool expire_fast;   /* the last slow cycle ran out of time */
    int64_t expire_fast_at_us; /* when a fast cycle may run again */
    vl_ptrmap recs;   /* entry -> vl_load* or vl_dirty* */
    vl_ptrmap expiry; /* entry -> expires_at (ms, wall clock) */
    vl_heap due;      /* vl_dirty.due in DIRTY keys */
    vl_heap ages;     /* vl_dirty.age of all dirty keys */
    uint32_t inflight_batches;
    struct vl_batch_job *building; /* the batch being built (commit.c), or NULL */
    struct vl_batch_job *settling, *settling_tail; /* answered, being settled */
    uint32_t inflight_loads;
    vl_dirty *spare;  /* a record ready for the next clean -> dirty */

    void *up; /* the upstream instance */
    vl_upstream_env env;
    vl_rng rng;
    uint32_t lru_clock;
    int64_t now_us; /* monotonic µs, refreshed each loop turn and before
                       * every deadline is computed (see commit.c) */

    vl_phase phase;
    /* vl_clear (clear.c): the clear under way, and how far this shard is.
     * While clear_phase != CLR_NONE the mailbox is not drained and no commit
     * starts. */
    struct vl_clear_job *clear;
    uint8_t clear_phase; /* vl_clear_phase */
    int64_t close_deadline_us;
    vl_status last_error;
    uint64_t uncommitted;
    vl_shard_stats st;
} vl_shard;

/* shard.c */
vl_status shard_start(vl_shard *sh);                 /* caller's thread */
void shard_wake(vl_shard *sh);                       /* any thread */
void shard_post(vl_shard *sh, vl_ctl *c);            /* any thread */
/* shard_post, refused with VL_ECLOSED once the shard has finished. */
vl_status shard_post_task(vl_shard *sh, vl_ctl *c);   /* any thread */
void shard_commit_timer_cb(uv_timer_t *t);

/* dispatch.c */
void dispatch_msg(vl_shard *sh, vl_msg *m);
void dispatch_req(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r);
/* Fails a request with `st`: a read's callback gets an empty view. */
void req_fail(const vl_req *r, const void *key, size_t len, vl_status st);
void entry_drop(vl_shard *sh, vl_entry *e, uint64_t hash);
/* A new CLEAN entry without a value, after making room (VL_EFULL if none
 * can be made, VL_ENOMEM). */
vl_entry *entry_create(vl_shard *sh, uint64_t hash, const void *key, size_t len, vl_status *st);

/* load.c */
void load_start(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                const vl_req *r);
void load_join(vl_shard *sh, vl_entry *e, const vl_req *r);
void load_completed(vl_shard *sh, struct vl_load *ld);

/* commit.c */
vl_status commit_reserve(vl_shard *sh); /* before a write runs on a CLEAN key */
void commit_mark(vl_shard *sh, vl_entry *e, uint64_t hash, vl_policy p,
                 const vl_req *r);
void commit_evict(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r);
void commit_pump(vl_shard *sh);        /* starts at most one batch */
bool commit_due_now(vl_shard *sh);     /* another batch could start now */
void commit_completed(vl_shard *sh, vl_batch_job *job);
void commit_flush(vl_shard *sh, vl_join *join);
void commit_all_due(vl_shard *sh);      /* every dirty key due now */
void commit_give_up(vl_shard *sh);      /* shutdown deadline passed */
bool commit_idle(const vl_shard *sh);   /* nothing dirty, nothing in flight */
void commit_publish_age(vl_shard *sh);
vl_dirty *dirty_of(vl_shard *sh, vl_entry *e);

/* expire.c */
int64_t expire_get(vl_shard *sh, vl_entry *e);
void expire_set(vl_shard *sh, vl_entry *e, int64_t at);
bool expire_check(vl_shard *sh, vl_entry *e, uint64_t hash);
void expire_cycle(vl_shard *sh, bool fast);
void expire_timer_cb(uv_timer_t *t);

/* dispatch.c: what a value costs against max_bytes */
size_t value_bytes(const vl_shard *sh, vl_entry *e);
void bytes_adjust(vl_shard *sh, int64_t delta);

/* clear.c: vl_clear's part on each shard */
typedef enum vl_clear_phase {
    CLR_NONE = 0,
    CLR_QUIESCING, /* waiting for loads and commits in flight to end */
    CLR_QUIET      /* everything dropped; waiting for the truncate */
} vl_clear_phase;
void clear_begin(vl_shard *sh, vl_ctl *c);   /* CTL_CLEAR */
void clear_step(vl_shard *sh);               /* each loop turn */
void clear_truncated(vl_shard *sh, vl_ctl *c); /* CTL_TRUNCATE_DONE */
void clear_resume(vl_shard *sh, vl_ctl *c);  /* CTL_CLEAR_RESUME */
/* commit.c: forgets every write-back record, firing its waiters with st */
void commit_forget_all(vl_shard *sh, vl_status st);

/* Fires a waiter's completion: done(arg, st), or its join's part. */
void waiter_fire(vl_waiter *w, vl_status st);

#endif
