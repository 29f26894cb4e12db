/*
 * heap.c -- the intrusive binary min-heap of heap.h.
 *
 * Owns: the node-pointer array. Threads: the owning shard's thread only.
 */
#include <stdlib.h>

#include "util/heap.h"

void vl__heap_init(vl_heap *h) {
    h->a = NULL;
    h->n = h->cap = 0;
}

void vl__heap_free(vl_heap *h) {
    free(h->a);
    vl__heap_init(h);
}

static void set(vl_heap *h, uint32_t i, vl_hnode *x) {
    h->a[i] = x;
    x->idx = i;
}

static void up(vl_heap *h, uint32_t i) {
    vl_hnode *x = h->a[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->a[p]->key <= x->key) break;
        set(h, i, h->a[p]);
        i = p;
    }
    set(h, i, x);
}

static void down(vl_heap *h, uint32_t i) {
    vl_hnode *x = h->a[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->a[c + 1]->key < h->a[c]->key) c++;
        if (x->key <= h->a[c]->key) break;
        set(h, i, h->a[c]);
        i = c;
    }
    set(h, i, x);
}

vl_status vl__heap_reserve(vl_heap *h, uint32_t total) {
    if (total <= h->cap) return VL_OK;
    uint32_t cap = h->cap ? h->cap : 64;
    while (cap < total) cap *= 2;
    vl_hnode **a = realloc(h->a, cap * sizeof *a);
    if (!a) return VL_ENOMEM;
    h->a = a;
    h->cap = cap;
    return VL_OK;
}

vl_status vl__heap_push(vl_heap *h, vl_hnode *x, int64_t k) {
    if (vl__heap_reserve(h, h->n + 1) != VL_OK) return VL_ENOMEM;
    x->key = k;
    set(h, h->n++, x);
    up(h, x->idx);
    return VL_OK;
}

void vl__heap_update(vl_heap *h, vl_hnode *x, int64_t k) {
    int64_t old = x->key;
    x->key = k;
    if (k < old) up(h, x->idx);
    else down(h, x->idx);
}

void vl__heap_remove(vl_heap *h, vl_hnode *x) {
    uint32_t i = x->idx;
    vl_hnode *last = h->a[--h->n];
    x->idx = VL_HEAP_NONE;
    if (last == x) return;
    set(h, i, last);
    vl__heap_update(h, last, last->key);
    if (h->a[i] == last) up(h, i);
}
