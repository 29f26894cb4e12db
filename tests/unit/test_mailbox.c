/*
 * test_mailbox.c -- the bounded MPSC ring: order, capacity and busy, the
 * closed bit, and a multi-producer stress in which every message arrives
 * exactly once and in each producer's order.
 *
 * Owns: its mailboxes. Threads: 4 producers + the test thread as consumer.
 */
#include <pthread.h>
#include <sched.h>

#include "check.h"
#include "runtime/mailbox.h"

static void test_capacity_order_busy_closed(void) {
    vl_mailbox mb;
    CHECK_OK(vl__mailbox_init(&mb, 20)); /* rounds up to 32 */
    CHECK_EQ(mb.mask + 1, 32);
    uint64_t pos;
    vl_status err;
    for (int i = 0; i < 32; i++) {
        vl_msg *m = vl__mailbox_claim(&mb, &pos, &err);
        CHECK(m);
        m->req.arg = (void *)(uintptr_t)(i + 1);
        vl__mailbox_publish(&mb, pos);
    }
    CHECK(vl__mailbox_claim(&mb, &pos, &err) == NULL);
    CHECK_ST(err, VL_EBUSY);
    CHECK_EQ(vl__mailbox_depth(&mb), 32);
    for (int i = 0; i < 32; i++) {
        vl_msg *m = vl__mailbox_peek(&mb);
        CHECK(m && m->req.arg == (void *)(uintptr_t)(i + 1));
        vl__mailbox_release(&mb);
    }
    CHECK(vl__mailbox_peek(&mb) == NULL);
    vl_msg *m = vl__mailbox_claim(&mb, &pos, &err); /* claimed, not yet published */
    CHECK(m);
    CHECK(vl__mailbox_peek(&mb) == NULL);
    vl__mailbox_close_intake(&mb);
    CHECK(!vl__mailbox_finished(&mb)); /* the claimed cell still counts */
    CHECK(vl__mailbox_claim(&mb, &pos, &err) == NULL);
    CHECK_ST(err, VL_ECLOSED);
    vl__mailbox_publish(&mb, 32);
    CHECK(vl__mailbox_peek(&mb) != NULL);
    vl__mailbox_release(&mb);
    CHECK(vl__mailbox_finished(&mb));
    vl__mailbox_free(&mb);
}

#define PRODUCERS 4
#define PER 200000

static vl_mailbox shared;

static void *producer(void *arg) {
    uintptr_t id = (uintptr_t)arg;
    for (uint32_t i = 0; i < PER; i++) {
        uint64_t pos;
        vl_status err;
        vl_msg *m;
        while (!(m = vl__mailbox_claim(&shared, &pos, &err))) {
            CHECK_ST(err, VL_EBUSY);
            sched_yield();
        }
        m->req.arg = (void *)id;
        m->hash = i;
        vl__mailbox_publish(&shared, pos);
    }
    return NULL;
}

static void test_many_producers_exactly_once_in_order(void) {
    CHECK_OK(vl__mailbox_init(&shared, 256));
    pthread_t th[PRODUCERS];
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        CHECK(pthread_create(&th[i], NULL, producer, (void *)i) == 0);
    uint64_t next[PRODUCERS] = {0};
    for (uint64_t got = 0; got < (uint64_t)PRODUCERS * PER;) {
        vl_msg *m = vl__mailbox_peek(&shared);
        if (!m) {
            sched_yield();
            continue;
        }
        uintptr_t id = (uintptr_t)m->req.arg;
        CHECK(id < PRODUCERS);
        CHECK_EQ(m->hash, next[id]); /* per-producer FIFO, nothing lost or doubled */
        next[id]++;
        vl__mailbox_release(&shared);
        got++;
        CHECK_LE(vl__mailbox_depth(&shared), 256);
    }
    for (int i = 0; i < PRODUCERS; i++) pthread_join(th[i], NULL);
    CHECK(vl__mailbox_peek(&shared) == NULL);
    vl__mailbox_free(&shared);
}

int main(void) {
    RUN(test_capacity_order_busy_closed);
    RUN(test_many_producers_exactly_once_in_order);
    return 0;
}
