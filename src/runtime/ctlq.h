/*
 * ctlq.h -- a shard's control queue: completions and commands that must
 * never be refused.
 *
 * Owns: the queue's lock and links (not the messages).
 * Threads: vl__ctlq_push from any thread; vl__ctlq_take and vl__ctlq_pending on the
 * shard thread (vl__ctlq_pending on any thread).
 *
 * The request mailbox is bounded and answers "busy"; that would be wrong for
 * an upstream's load or commit completion, or for a flush or shutdown
 * command. Those come here instead. Its length is bounded by the shard's own
 * work: one message per load or batch in flight, plus one per flush or
 * shutdown call, so it needs no bound of its own. The queue does not know
 * what its messages mean: each carries a `kind` that its consumer (the shard,
 * cache/shard.h) defines. It is a mutex and a list:
 * a completion costs one uncontended lock, far less than the I/O it reports.
 */
#ifndef VL_CTLQ_H
#define VL_CTLQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* Embedded in each message. */
typedef struct vl_ctl {
    struct vl_ctl *next;
    uint32_t kind; /* what the message is: the consumer's own numbering */
} vl_ctl;

typedef struct vl_ctlq {
    pthread_mutex_t mu;
    vl_ctl *head;
    vl_ctl *tail;
    _Atomic uint32_t pending;
} vl_ctlq;

void vl__ctlq_init(vl_ctlq *q);
void vl__ctlq_destroy(vl_ctlq *q);
void vl__ctlq_push(vl_ctlq *q, vl_ctl *c);
/* Takes every queued message, oldest first (a NULL-terminated list). */
vl_ctl *vl__ctlq_take(vl_ctlq *q);
static inline uint32_t vl__ctlq_pending(vl_ctlq *q) {
    return atomic_load_explicit(&q->pending, memory_order_seq_cst);
}

#endif
