/*
 * mailbox.c -- the bounded MPSC ring described in mailbox.h.
 *
 * Owns: the ring's memory and its sequence protocol.
 * Threads: producers on any thread, one consumer (the shard thread).
 */
#include <stdlib.h>

#include "runtime/mailbox.h"

#define CLOSED_BIT (1ull << 63)

vl_status vl__mailbox_init(vl_mailbox *mb, uint32_t capacity) {
    uint64_t cap = VL_MAILBOX_MIN;
    while (cap < capacity) cap <<= 1;
    mb->cells = aligned_alloc(64, cap * sizeof(vl_cell));
    if (!mb->cells) return VL_ENOMEM;
    for (uint64_t i = 0; i < cap; i++) atomic_init(&mb->cells[i].seq, i);
    mb->mask = cap - 1;
    atomic_init(&mb->tail, 0);
    atomic_init(&mb->head, 0);
    return VL_OK;
}

void vl__mailbox_free(vl_mailbox *mb) {
    free(mb->cells);
    mb->cells = NULL;
}

vl_msg *vl__mailbox_claim(vl_mailbox *mb, uint64_t *pos, vl_status *err) {
    uint64_t t = atomic_load_explicit(&mb->tail, memory_order_relaxed);
    for (;;) {
        if (t & CLOSED_BIT) {
            *err = VL_ECLOSED;
            return NULL;
        }
        vl_cell *c = &mb->cells[t & mb->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - t);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&mb->tail, &t, t + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *pos = t;
                return &c->msg;
            }
        } else if (dif < 0) {
            *err = VL_EBUSY;
            return NULL;
        } else {
            t = atomic_load_explicit(&mb->tail, memory_order_relaxed);
        }
    }
}

void vl__mailbox_publish(vl_mailbox *mb, uint64_t pos) {
    /* seq_cst, not just release: the producer's next step reads the shard's
     * "sleeping" flag, and this store must not be reordered after that read
     * (the consumer does the mirror image: set the flag, then look here). */
    atomic_store_explicit(&mb->cells[pos & mb->mask].seq, pos + 1,
                          memory_order_seq_cst);
}

vl_msg *vl__mailbox_peek(vl_mailbox *mb) {
    uint64_t h = atomic_load_explicit(&mb->head, memory_order_relaxed);
    vl_cell *c = &mb->cells[h & mb->mask];
    uint64_t seq = atomic_load_explicit(&c->seq, memory_order_seq_cst);
    return seq == h + 1 ? &c->msg : NULL;
}

vl_msg *vl__mailbox_peek_ahead(vl_mailbox *mb, uint64_t k) {
    uint64_t h = atomic_load_explicit(&mb->head, memory_order_relaxed) + k;
    vl_cell *c = &mb->cells[h & mb->mask];
    uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    return seq == h + 1 ? &c->msg : NULL;
}

void vl__mailbox_release(vl_mailbox *mb) {
    uint64_t h = atomic_load_explicit(&mb->head, memory_order_relaxed);
    atomic_store_explicit(&mb->cells[h & mb->mask].seq, h + mb->mask + 1,
                          memory_order_release);
    atomic_store_explicit(&mb->head, h + 1, memory_order_relaxed);
}

void vl__mailbox_close_intake(vl_mailbox *mb) {
    atomic_fetch_or_explicit(&mb->tail, CLOSED_BIT, memory_order_seq_cst);
}

bool vl__mailbox_finished(vl_mailbox *mb) {
    uint64_t t = atomic_load_explicit(&mb->tail, memory_order_acquire);
    uint64_t h = atomic_load_explicit(&mb->head, memory_order_relaxed);
    return (t & CLOSED_BIT) && (t & ~CLOSED_BIT) == h;
}

uint64_t vl__mailbox_depth(vl_mailbox *mb) {
    uint64_t t = atomic_load_explicit(&mb->tail, memory_order_relaxed) & ~CLOSED_BIT;
    uint64_t h = atomic_load_explicit(&mb->head, memory_order_relaxed);
    return t > h ? t - h : 0;
}
