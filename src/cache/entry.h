/*
 * entry.h -- a key's entry in its shard, and the state machine of its life.
 *
 * Owns: the entry's memory layout and the states a key goes through (the
 * functions that create, change and drop entries are in entry.c, declared
 * in cache/internal.h).
 * Threads: the owning shard's thread only. (An upstream worker may read an
 * entry's key bytes while a load or commit of it is in flight: the entry is
 * pinned then and nobody writes those bytes.)
 *
 * ==== Layout ====
 *
 * One allocation per key, 8 bytes of header and then the key and the value:
 *
 *   [lru:4][key_len:2][state:1][flags:1][key bytes .. pad to 8][value: type->size]
 *
 * Everything a key needs only sometimes lives outside the entry, in maps
 * keyed by the entry's address, so the common clean key pays nothing for it:
 * its load in flight (vl_load, while LOADING), its write-back bookkeeping
 * (vl_dirty, while DIRTY or COMMITTING), and its expiry time (while
 * F_EXPIRES).
 *
 * ==== The state machine ====
 *
 *                 miss                loaded (a value, or none)
 *   (absent) ----------> LOADING ------------------------> CLEAN
 *       ^                   |                           |   ^   ^
 *       |    load failed    |                    write  |   |   | ack, and not
 *       +-------------------+                           v   |   | written meanwhile
 *       |                                          DIRTY ---+   |
 *       |    evicted, expired,     close gave up at  | ^        |
 *       +--- cleared, dropped      its deadline, or  | |        |
 *            (CLEAN entries only)  a clear    commit v |        |
 *                                                COMMITTING ----+
 *                                 ack, but written meanwhile,
 *                                 or failed: DIRTY again
 *
 *   A blind write or a delete of a key that is not resident creates it
 *   CLEAN for the length of its request: it leaves DIRTY, or is dropped.
 *
 * Every edge, and the only place that takes it (entry.c's table is the code;
 * vl__entry_set_state asserts each change against it, always):
 *
 *   from        to          when                                      where
 *   (absent)    LOADING     a request misses and needs the value      load.c
 *   (absent)    CLEAN       a blind write or a delete misses: the     dispatch.c
 *                           entry turns DIRTY, or is dropped again,
 *                           before its request ends
 *   LOADING     CLEAN       the load answered: a value, or none       load.c
 *   LOADING     (absent)    the load failed; every waiter fails       load.c
 *   CLEAN       DIRTY       a write, a delete, an expiry change       commit.c
 *   CLEAN       (absent)    evicted at a bound, expired, vl_evict,    entry.c
 *                           dropped by a clear, or a blind write
 *                           that wrote nothing
 *   DIRTY       COMMITTING  its snapshot went into a commit batch     commit.c
 *   DIRTY       CLEAN       close gave up at its deadline (the value  commit.c
 *                           went to on_uncommitted), or a clear
 *                           superseded the write (its waiters get OK)
 *   COMMITTING  CLEAN       acknowledged, not written meanwhile       commit.c
 *   COMMITTING  DIRTY       acknowledged but written meanwhile, or    commit.c
 *                           the commit failed (retried after backoff)
 *
 * - LOADING: one upstream load is in flight; every request for the key waits
 *   on it, in arrival order. Pinned: never evicted or expired.
 * - CLEAN: memory equals the upstream. F_PRESENT says whether the key has a
 *   value: a clean entry without one caches "the upstream has nothing", so a
 *   miss costs one load, not one per request.
 * - DIRTY: memory is ahead of the upstream; the entry waits in the commit
 *   heap for its deadline. Pinned.
 * - COMMITTING: an encoded snapshot is in an upstream commit. Writes still
 *   apply to the live value and set "has_new"; the ack then returns the entry
 *   to DIRTY instead of CLEAN. A failed commit returns it to DIRTY with a
 *   backoff deadline. Pinned: at most one commit per key is ever in flight,
 *   so an upstream never sees two versions of a key racing.
 *
 * Only CLEAN entries can be evicted, and only CLEAN entries are dropped when
 * they expire; a DIRTY or COMMITTING entry that expires becomes a pending
 * delete and stays until that delete is acknowledged. The two DIRTY -> CLEAN
 * edges are the only ways an unacknowledged write leaves the cache without
 * reaching the upstream, and both are explicit: close's report counts the
 * first (docs/invariants.md), and vl_clear's contract is the second.
 */
#ifndef VL_CACHE_ENTRY_H
#define VL_CACHE_ENTRY_H

#include <stdint.h>
#include <string.h>

typedef enum vl_state {
    ST_ABSENT = 0, /* not an entry: before vl__entry_create, after vl__entry_drop */
    ST_LOADING,
    ST_CLEAN,
    ST_DIRTY,
    ST_COMMITTING,
    ST_COUNT
} vl_state;

enum {
    F_PRESENT = 1 << 0, /* the value storage holds a constructed value */
    F_EXPIRES = 1 << 1, /* the entry has an expiry in the shard's expiry map */
    F_FREQ_SHIFT = 2,   /* S3-FIFO: 2-bit access counter in bits 2-3 */
    F_FREQ = 3 << 2,
    F_MAIN = 1 << 4     /* S3-FIFO: in the main queue (else the small one) */
};

typedef struct vl_entry {
    uint32_t lru;     /* sampled LRU: the shard's access clock at the last
                         access; S3-FIFO: the entry's slot in its queue */
    uint16_t key_len;
    uint8_t state;    /* vl_state */
    uint8_t flags;    /* F_* */
    uint8_t data[];   /* key, padding to 8, value */
} vl_entry;

static inline size_t vl__round8(size_t n) { return (n + 7) & ~(size_t)7; }

static inline uint8_t *vl__entry_key(vl_entry *e) { return e->data; }
static inline const uint8_t *vl__entry_ckey(const vl_entry *e) { return e->data; }
static inline void *vl__entry_value(vl_entry *e) {
    return e->data + vl__round8(e->key_len);
}
static inline size_t vl__entry_alloc_size(size_t key_len, size_t value_size) {
    return sizeof(vl_entry) + vl__round8(key_len) + vl__round8(value_size);
}
static inline int vl__entry_key_eq(const vl_entry *e, const void *key, size_t len) {
    return e->key_len == len && memcmp(e->data, key, len) == 0;
}
static inline int vl__entry_pinned(const vl_entry *e) { return e->state != ST_CLEAN; }

/* The only way an entry changes state (entry.c): asserts, in every build,
 * that the change is an edge of the table above. */
void vl__entry_set_state(vl_entry *e, vl_state to);

#endif
