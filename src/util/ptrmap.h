/*
 * ptrmap.h -- a small map from a pointer (an entry) to a 64-bit value.
 *
 * Owns: its slot array. Threads: the owning shard's thread only.
 *
 * A shard keeps the things only some keys need outside the entry: the load
 * or write-back record of a pinned key, the expiry time of an expiring key.
 * Same scheme as table.c (linear probing, back-shift deletion, grown at 3/4),
 * keyed by the pointer's mixed bits. It also shrinks when it falls under
 * 1/8 full, since the number of dirty keys swings widely.
 */
#ifndef VL_PTRMAP_H
#define VL_PTRMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vellir.h"

typedef struct vl_pm_slot {
    const void *key;
    uint64_t val;
} vl_pm_slot;

typedef struct vl_ptrmap {
    vl_pm_slot *slots;
    uint64_t mask;
    uint64_t count;
} vl_ptrmap;

vl_status vl__ptrmap_init(vl_ptrmap *m);
void vl__ptrmap_free(vl_ptrmap *m);
/* The value of `key` in *val; false if absent. */
bool vl__ptrmap_get(const vl_ptrmap *m, const void *key, uint64_t *val);
/* Sets `key` to `val` (insert or replace). VL_OK or VL_ENOMEM. */
vl_status vl__ptrmap_put(vl_ptrmap *m, const void *key, uint64_t val);
/* Makes room for `extra` more keys, so that as many puts cannot fail. */
vl_status vl__ptrmap_reserve(vl_ptrmap *m, uint64_t extra);
/* Removes `key` if present. */
void vl__ptrmap_del(vl_ptrmap *m, const void *key);
static inline void *vl__ptrmap_get_ptr(const vl_ptrmap *m, const void *key) {
    uint64_t v;
    return vl__ptrmap_get(m, key, &v) ? (void *)(uintptr_t)v : NULL;
}

#endif
