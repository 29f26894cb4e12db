/*
 * evict.h -- choosing which clean entry to forget when a shard is full.
 *
 * Owns: the eviction policies' state (the candidate pool of sampled LRU;
 * the queues and ghost set of S3-FIFO). Not the entries, not the table.
 * Threads: the owning shard's thread only.
 *
 * An evictor knows the shard's table and is told about every entry that
 * arrives, is accessed, or leaves. When the shard is at its bound it asks
 * for a victim: a CLEAN entry (never LOADING, DIRTY or COMMITTING: unwritten
 * data is never evicted). The shard and the hit-ratio simulator
 * (bench/bench_hitratio.c) drive this same code through this interface.
 */
#ifndef VL_EVICT_H
#define VL_EVICT_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/entry.h"
#include "cache/table.h"
#include "util/rng.h"
#include "vellir.h"

/* ---- sampled LRU ---- */

typedef struct vl_pool_slot {
    vl_entry *e;
} vl_pool_slot;

/* ---- S3-FIFO ---- */

/* A FIFO of entries with O(1) removal from the middle: each entry in it
 * remembers its slot (in vl_entry.lru, unused by this policy), and removal
 * leaves a hole that the queue skips when it reaches it. */
typedef struct vl_fifo {
    vl_entry **a;
    uint64_t cap;  /* power of two */
    uint64_t head; /* next insert */
    uint64_t tail; /* oldest */
    uint64_t live; /* entries (holes excluded) */
} vl_fifo;

/* Hashes of keys recently evicted from the small queue. */
typedef struct vl_ghost {
    uint64_t *ring; /* FIFO order, cap entries */
    uint64_t *set;  /* open addressing over the same hashes, 2*cap slots */
    uint64_t cap, head, count, set_mask;
} vl_ghost;

typedef struct vl_evictor {
    uint32_t policy;     /* vl_evict_policy */
    vl_table *table;
    vl_rng *rng;
    uint32_t *clock;     /* the shard's access clock (vl_entry.lru) */
    uint64_t capacity;   /* the shard's key bound (S3-FIFO sizes from it) */
    /* sampled LRU */
    uint32_t samples;
    uint32_t pool_size;
    vl_pool_slot pool[VL_EVICT_POOL_MAX];
    uint32_t pool_n;
    /* S3-FIFO */
    vl_fifo small, main;
    vl_ghost ghost;
} vl_evictor;

/* `capacity` is the most entries the shard keeps (0: unbounded). */
vl_status vl__evict_init(vl_evictor *ev, const vl_options *o, vl_table *t, vl_rng *rng,
                     uint32_t *clock, uint64_t capacity);
void vl__evict_free(vl_evictor *ev);

/* The entry `e` (with key hash `hash`) was just inserted in the table. May
 * fail only with VL_ENOMEM (S3-FIFO queues grow); then it was not added. */
vl_status vl__evict_on_insert(vl_evictor *ev, vl_entry *e, uint64_t hash);
/* `e` was accessed. */
void vl__evict_on_access(vl_evictor *ev, vl_entry *e);
/* `e` leaves the table (evicted, deleted, expired, failed load). */
void vl__evict_on_remove(vl_evictor *ev, vl_entry *e);
/* A clean entry to evict, or NULL if none was found within bounded effort
 * (everything sampled was pinned). The entry stays in the table: the caller
 * removes it (which calls vl__evict_on_remove). */
vl_entry *vl__evict_victim(vl_evictor *ev);

#endif
