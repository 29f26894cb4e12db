/*
 * ctlq.c -- the control queue of ctlq.h.
 *
 * Owns: the list links under the lock. Threads: see ctlq.h.
 */
#include "runtime/ctlq.h"

void vl__ctlq_init(vl_ctlq *q) {
    pthread_mutex_init(&q->mu, NULL);
    q->head = q->tail = NULL;
    atomic_init(&q->pending, 0);
}

void vl__ctlq_destroy(vl_ctlq *q) { pthread_mutex_destroy(&q->mu); }

void vl__ctlq_push(vl_ctlq *q, vl_ctl *c) {
    c->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail) q->tail->next = c;
    else q->head = c;
    q->tail = c;
    /* seq_cst: the pusher reads the shard's "sleeping" flag next (see
     * vl__mailbox_publish for the protocol). */
    atomic_fetch_add_explicit(&q->pending, 1, memory_order_seq_cst);
    pthread_mutex_unlock(&q->mu);
}

vl_ctl *vl__ctlq_take(vl_ctlq *q) {
    pthread_mutex_lock(&q->mu);
    vl_ctl *all = q->head;
    q->head = q->tail = NULL;
    atomic_store_explicit(&q->pending, 0, memory_order_relaxed);
    pthread_mutex_unlock(&q->mu);
    return all;
}
