/*
 * entry.h -- a key's entry in its shard, and the state machine of its life.
 *
 * Owns: the entry's memory layout and the states a key goes through.
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
 *                 load ok / not found
 *   (absent) --> LOADING ------------------> CLEAN <-------------------+
 *      |            | load failed:               | write               | ack, no
 *      |            v drop, fail waiters         v                     | new write
 *      |         (absent)                     DIRTY ---commit---> COMMITTING
 *      |                                        ^  ^                   |
 *      | delete (no load needed)                |  +---- ack, but -----+
 *      +----------------------------------------+       written meanwhile;
 *                                                       or commit failed
 *                                                       (retry after backoff)
 *
 *   CLEAN -> (absent): evicted, or expired and reloaded as absent.
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
 * delete and stays until that delete is acknowledged.
 */
#ifndef VL_ENTRY_H
#define VL_ENTRY_H

#include <stdint.h>
#include <string.h>

typedef enum vl_state {
    ST_LOADING = 1,
    ST_CLEAN,
    ST_DIRTY,
    ST_COMMITTING
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

static inline size_t vl_round8(size_t n) { return (n + 7) & ~(size_t)7; }

static inline uint8_t *entry_key(vl_entry *e) { return e->data; }
static inline const uint8_t *entry_ckey(const vl_entry *e) { return e->data; }
static inline void *entry_value(vl_entry *e) {
    return e->data + vl_round8(e->key_len);
}
static inline size_t entry_alloc_size(size_t key_len, size_t value_size) {
    return sizeof(vl_entry) + vl_round8(key_len) + vl_round8(value_size);
}
static inline int entry_key_eq(const vl_entry *e, const void *key, size_t len) {
    return e->key_len == len && memcmp(e->data, key, len) == 0;
}
static inline int entry_pinned(const vl_entry *e) { return e->state != ST_CLEAN; }

#endif
