/*
 * heap.h -- a binary min-heap of intrusive nodes, keyed by an int64.
 *
 * Owns: the array of node pointers (not the nodes).
 * Threads: the owning shard's thread only.
 *
 * A shard keeps two: dirty keys by commit deadline (what to commit next) and
 * dirty keys by their oldest unacknowledged write (the "oldest dirty" gauge).
 * Each node remembers its index, so a key's deadline can move in O(log n).
 */
#ifndef VL_HEAP_H
#define VL_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vellir.h"

#define VL_HEAP_NONE UINT32_MAX

typedef struct vl_hnode {
    int64_t key;
    uint32_t idx; /* position in the heap, or VL_HEAP_NONE */
} vl_hnode;

typedef struct vl_heap {
    vl_hnode **a;
    uint32_t n;
    uint32_t cap;
} vl_heap;

void vl__heap_init(vl_heap *h);
void vl__heap_free(vl_heap *h);
static inline bool vl__heap_in(const vl_hnode *x) { return x->idx != VL_HEAP_NONE; }
static inline vl_hnode *vl__heap_min(const vl_heap *h) { return h->n ? h->a[0] : NULL; }
/* Makes room for `total` nodes, so that pushes up to it cannot fail. */
vl_status vl__heap_reserve(vl_heap *h, uint32_t total);
/* Inserts x (not in a heap) with key k. VL_OK or VL_ENOMEM. */
vl_status vl__heap_push(vl_heap *h, vl_hnode *x, int64_t k);
/* Changes the key of x (in h). */
void vl__heap_update(vl_heap *h, vl_hnode *x, int64_t k);
/* Removes x (in h). */
void vl__heap_remove(vl_heap *h, vl_hnode *x);

#endif
