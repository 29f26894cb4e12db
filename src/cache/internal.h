/*
 * internal.h -- the interface between the cache layer's files.
 *
 * Owns: the records a key needs while it is pinned (vl_load while LOADING,
 * vl_dirty while DIRTY or COMMITTING), waiters (a request, vl_req of
 * runtime/mailbox.h, waiting for a load or an ack), commit batches, and the
 * prototypes below. The service does not include this
 * header (it sees cache/shard.h).
 * Threads: everything here runs on the shard's own thread.
 *
 * The files, bottom to top; each calls only files listed before it, never
 * one after it (make check-layers finds any circle among them):
 *   table.c, evict.c  the hash table; which clean entry to forget
 *   entry.c     the key's life: creating, changing state, dropping; its
 *               value's bytes and its expiry time
 *   request.c   requests and waiters: failing one, firing one
 *   commit.c    write-back: dirty records, deadlines, batches, retries,
 *               flush; the commit timer
 *   expire.c    lazy and active expiry (a dirty key that expires is marked)
 *   load.c      read-through: starting, joining and resolving loads
 *   dispatch.c  a request against its key, in each state; a load's waiters
 *   scan.c      a shard's part in vl_scan: its dirty keys, its verdicts
 *   clear.c     a shard's part in vl_clear
 *   shard.c     the shard's thread and loop, which composes all of these
 */
#ifndef VL_CACHE_INTERNAL_H
#define VL_CACHE_INTERNAL_H

#include "cache/shard.h"

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

/* ---- entry.c: the key's life ---- */

/* A new entry for `key` in state `to` (ST_LOADING, or ST_CLEAN for a write
 * that needs no load), without a value. The caller made room first (see
 * dispatch.c). NULL and *st = VL_ENOMEM if out of memory. */
vl_entry *vl__entry_create(vl_shard *sh, uint64_t hash, const void *key, size_t len,
                       vl_state to, vl_status *st);
/* Destroys the value, forgets the expiry, and frees the entry. LOADING or
 * CLEAN entries only (vl__entry_set_state checks). */
void vl__entry_drop(vl_shard *sh, vl_entry *e, uint64_t hash);
/* Destroys the value (if any) and clears F_PRESENT. */
void vl__entry_value_destroy(vl_shard *sh, vl_entry *e);
/* What the value costs against max_bytes beyond the entry's allocation. */
size_t vl__entry_value_bytes(const vl_shard *sh, vl_entry *e);
void vl__bytes_adjust(vl_shard *sh, int64_t delta);
/* The expiry (ms since the epoch), or 0; setting 0 removes it. */
int64_t vl__entry_expiry(vl_shard *sh, vl_entry *e);
void vl__entry_set_expiry(vl_shard *sh, vl_entry *e, int64_t at);

/* ---- request.c ---- */

/* Fails a request with `st`: a read's callback gets an empty view. */
void vl__req_fail(const vl_req *r, const void *key, size_t len, vl_status st);
/* Fires a waiter's completion (done(arg, st), or its join's part) and frees it. */
void vl__waiter_fire(vl_waiter *w, vl_status st);
void vl__waiter_fire_all(vl_waiter *w, vl_status st);
/* A waiter for `r` (may be NULL) or a join's part; NULL if out of memory. */
vl_waiter *vl__waiter_new(const vl_req *r, vl_join *join);

/* ---- commit.c ---- */

vl_status vl__commit_reserve(vl_shard *sh); /* before a write runs on a CLEAN key */
void vl__commit_mark(vl_shard *sh, vl_entry *e, uint64_t hash, vl_policy p,
                 const vl_req *r);
void vl__commit_evict(vl_shard *sh, vl_entry *e, const vl_req *r);
void vl__commit_pump(vl_shard *sh);        /* one step of the commit machinery */
bool vl__commit_due_now(vl_shard *sh);     /* another step could run now */
void vl__commit_completed(vl_shard *sh, vl_batch_job *job);
void vl__commit_flush(vl_shard *sh, vl_join *join);
void vl__commit_all_due(vl_shard *sh);     /* every dirty key due now */
void vl__commit_give_up(vl_shard *sh);     /* shutdown deadline passed */
bool vl__commit_idle(const vl_shard *sh);  /* nothing dirty, nothing in flight */
/* Forgets every write-back record, firing its waiters with st (vl_clear;
 * no batch may be in flight). */
void vl__commit_forget_all(vl_shard *sh, vl_status st);
void vl__commit_timer_cb(uv_timer_t *t);

/* ---- expire.c ---- */

/* True if the key had expired (it is then what a load of an absent key gives). */
bool vl__expire_check(vl_shard *sh, vl_entry *e, uint64_t hash);
void vl__expire_cycle(vl_shard *sh, bool fast);
void vl__expire_timer_cb(uv_timer_t *t);

/* ---- load.c ---- */

/* Starts the load of a new LOADING entry for `key`, with `r` its first
 * waiter (the caller made room). */
void vl__load_start(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                const vl_req *r);
void vl__load_join(vl_shard *sh, vl_entry *e, const vl_req *r);
/* Turns an answered load into the entry's value and frees the record. On
 * VL_OK the entry is CLEAN; otherwise it is dropped, and the waiters have
 * been failed. Returns the waiters to run (VL_OK), or NULL. */
vl_waiter *vl__load_finish(vl_shard *sh, struct vl_load *ld, vl_entry **e, uint64_t *hash);

/* ---- dispatch.c ---- */

void vl__dispatch_msg(vl_shard *sh, vl_msg *m);
/* A load answered: its waiters run in order against the key. */
void vl__dispatch_loaded(vl_shard *sh, struct vl_load *ld);

/* ---- scan.c: a shard's part in vl_scan ---- */

void vl__scan_collect(vl_shard *sh, vl_ctl *c);  /* CTL_SCAN_COLLECT */
void vl__scan_read_done(vl_shard *sh, vl_ctl *c);/* CTL_SCAN_READ */
void vl__scan_merge(vl_shard *sh, vl_ctl *c);    /* CTL_SCAN_MERGE */
/* Issues the upstream reads that waited for a clear to end. */
void vl__scan_resume_parked(vl_shard *sh);

/* ---- clear.c: a shard's part in vl_clear ---- */

void vl__clear_begin(vl_shard *sh, vl_ctl *c);     /* CTL_CLEAR */
void vl__clear_step(vl_shard *sh);                 /* each loop turn */
void vl__clear_truncated(vl_shard *sh, vl_ctl *c); /* CTL_TRUNCATE_DONE */
void vl__clear_resume(vl_shard *sh, vl_ctl *c);    /* CTL_CLEAR_RESUME */

#endif
