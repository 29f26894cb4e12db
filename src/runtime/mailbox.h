/*
 * mailbox.h -- a shard's bounded request queue: many producers (callers on
 * any thread), one consumer (the shard thread).
 *
 * Owns: the request message layout (vl_msg) and the ring that carries it.
 * Threads: vl__mailbox_claim/vl__mailbox_publish on any thread; vl__mailbox_peek,
 * vl__mailbox_release and vl__mailbox_close_intake... on the shard thread only;
 * mailbox_depth on any thread.
 *
 * The ring is Dmitry Vyukov's bounded queue, specialised: each cell has a
 * sequence number saying whose turn it is. A producer claims position `pos`
 * by compare-and-swap on `tail` when cell[pos].seq == pos, fills the message
 * in place, and publishes with seq = pos + 1. The consumer reads cell[head]
 * when its seq == head + 1, and hands the cell back to producers with
 * seq = head + capacity. The ring never grows: when the cell at `tail` is
 * still owned by the consumer the queue is full and the producer gets
 * VL_EBUSY.
 *
 * Closing: the top bit of `tail` is a "closed" flag. Once the consumer sets
 * it, no producer can claim a cell (its compare-and-swap sees the flag), so
 * every request is either in the ring (and will be served) or refused with
 * VL_ECLOSED: none is stranded.
 */
#ifndef VL_MAILBOX_H
#define VL_MAILBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vellir.h"

typedef enum vl_msg_op {
    MSG_READ = 1,
    MSG_READ_CACHED,
    MSG_WRITE,
    MSG_WRITE_BLIND, /* vl_write_blind: a write that needs no load */
    MSG_DELETE,
    MSG_EVICT,
    MSG_EXPIRE
} vl_msg_op;

/* A request: what to do to a key, and whom to tell. */
typedef struct vl_req {
    uint8_t op;          /* vl_msg_op */
    vl_policy policy;    /* MSG_DELETE, MSG_EXPIRE */
    union {
        vl_read_cb read;    /* MSG_READ, MSG_READ_CACHED */
        vl_write_fn write;  /* MSG_WRITE, MSG_WRITE_BLIND */
        int64_t expires_at; /* MSG_EXPIRE */
    } fn;
    vl_done_cb done;
    void *arg;
} vl_req;

/* One request, as it sits in a mailbox cell, with its key. */
typedef struct vl_msg {
    vl_req req;
    uint8_t key_heap;    /* 1: key.heap is a malloc'd copy the shard frees */
    uint16_t key_len;
    uint64_t hash;       /* vl__hash_key(key) */
    union {
        uint8_t inl[VL_MSG_KEY_INLINE];
        uint8_t *heap;
    } key;
} vl_msg;

static inline const uint8_t *vl__msg_key(const vl_msg *m) {
    return m->key_heap ? m->key.heap : m->key.inl;
}

typedef struct vl_cell {
    _Atomic uint64_t seq;
    vl_msg msg;
} vl_cell;

typedef struct vl_mailbox {
    _Alignas(64) _Atomic uint64_t tail; /* producers; top bit = closed */
    _Alignas(64) _Atomic uint64_t head; /* consumer; read by mailbox_depth */
    uint64_t mask;
    vl_cell *cells;
} vl_mailbox;

/* capacity is rounded up to a power of two. Returns VL_OK or VL_ENOMEM. */
vl_status vl__mailbox_init(vl_mailbox *mb, uint32_t capacity);
void vl__mailbox_free(vl_mailbox *mb);

/* Producer: claims a cell. Returns its message to fill, and its position in
 * *pos, or NULL with *err = VL_EBUSY (full) or VL_ECLOSED. */
vl_msg *vl__mailbox_claim(vl_mailbox *mb, uint64_t *pos, vl_status *err);
/* Producer: makes the filled message visible to the consumer. */
void vl__mailbox_publish(vl_mailbox *mb, uint64_t pos);

/* Consumer: the next published message, or NULL if there is none yet. */
vl_msg *vl__mailbox_peek(vl_mailbox *mb);
/* Consumer: the message `k` places after the next one, if it is published
 * (k = 0 is vl__mailbox_peek). For prefetching only: it stays in the ring. */
vl_msg *vl__mailbox_peek_ahead(vl_mailbox *mb, uint64_t k);
/* Consumer: hands the cell returned by vl__mailbox_peek back to producers. */
void vl__mailbox_release(vl_mailbox *mb);
/* Consumer: stops intake for good (producers get VL_ECLOSED from now on). */
void vl__mailbox_close_intake(vl_mailbox *mb);
/* Consumer: true once intake is closed and every claimed cell was served. */
bool vl__mailbox_finished(vl_mailbox *mb);

/* Requests claimed and not yet released. Any thread. */
uint64_t vl__mailbox_depth(vl_mailbox *mb);

#endif
