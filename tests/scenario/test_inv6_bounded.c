/*
 * test_inv6_bounded.c -- invariant 6 (docs/invariants.md): a shard never
 * blocks on I/O, and never grows without bound: a full mailbox answers busy
 * and stays at its capacity; a hung upstream holds no request for other keys.
 *
 * Owns: its services and stores. Threads: the test thread + the shards.
 */
#include <semaphore.h>

#include "svc.h"

static sem_t gate;
static _Atomic int inside;

/* A read callback that holds the shard until the test opens the gate: the
 * test's way to make the shard stop draining its mailbox. */
static void blocking_read(void *arg, vl_status st, const vl_view *v) {
    (void)arg, (void)st, (void)v;
    atomic_store(&inside, 1);
    sem_wait(&gate);
}

static void count_read(void *arg, vl_status st, const vl_view *v) {
    (void)v;
    CHECK_OK(st);
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static void test_full_mailbox_answers_busy(void) {
    vl_mem *m = vl_mem_new(3);
    vl_options o;
    test_options(&o, 1);
    o.mailbox = 64;
    vl_service *svc = test_open(m, &counter_type, &o);
    read_out r;
    CHECK_OK(vl_read_sync(svc, "k", 1, counter_read, &r));
    sem_init(&gate, 0, 0);
    CHECK_OK(vl_read(svc, "k", 1, blocking_read, NULL));
    while (!atomic_load(&inside)) test_sleep_ms(1);
    vl_stats s;
    static _Atomic int served;
    int accepted = 0;
    vl_status st;
    while ((st = vl_read(svc, "k", 1, count_read, (void *)&served)) == VL_OK) accepted++;
    CHECK_ST(st, VL_EBUSY);
    /* The blocked request's cell is still held, so one less than capacity. */
    CHECK(accepted == 64 || accepted == 63);
    for (int i = 0; i < 1000; i++) CHECK_ST(vl_read(svc, "k", 1, count_read, (void *)&served), VL_EBUSY);
    CHECK_OK(vl_stats_get(svc, 0, &s));
    CHECK_LE(s.mailbox_depth, 64);
    CHECK_EQ(s.busy, 1001);
    sem_post(&gate);
    while (atomic_load(&served) < accepted) test_sleep_ms(1);
    CHECK_OK(vl_read(svc, "k", 1, count_read, (void *)&served)); /* room again */
    CHECK_OK(vl_close(svc, NULL));
    sem_destroy(&gate);
    vl_mem_free(m);
}

static void test_hung_upstream_blocks_no_other_key(void) {
    vl_mem *m = vl_mem_new(3);
    vl_options o;
    test_options(&o, 1); /* one shard: the hung key and the others share it */
    vl_service *svc = test_open(m, &counter_type, &o);
    read_out r;
    CHECK_OK(vl_read_sync(svc, "warm", 4, counter_read, &r));
    vl_mem_hang(m, true);
    static _Atomic int cold_done;
    CHECK_OK(vl_read(svc, "cold", 4, count_read, (void *)&cold_done)); /* its load hangs */
    set_arg w = {8, 0, vl_immediate()};
    CHECK_OK(vl_write(svc, "warm", 4, counter_set, NULL, &w)); /* its commit hangs */
    for (int i = 0; i < 1000; i++) { /* the shard keeps serving resident keys */
        CHECK_OK(vl_read_sync(svc, "warm", 4, counter_read, &r));
        CHECK_EQ(r.value, 8);
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, 0, &s));
    CHECK_EQ(s.inflight_loads, 1);
    CHECK_EQ(s.inflight_commits, 1);
    CHECK_EQ(atomic_load(&cold_done), 0);
    vl_mem_hang(m, false);
    while (atomic_load(&cold_done) == 0) test_sleep_ms(1);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(test_stored(m, "warm", 4), 8);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_full_mailbox_answers_busy);
    RUN(test_hung_upstream_blocks_no_other_key);
    return 0;
}
