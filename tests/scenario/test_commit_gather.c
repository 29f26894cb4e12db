/*
 * test_commit_gather.c -- vl_options.commit_gather_ms: a commit that starts
 * also takes the keys due within the gather window (fewer, larger batches),
 * never keys due later; without it, nothing is committed early; and a batch
 * grows past its starting room to batch_max. A batch bigger than
 * VL_COMMIT_SNAPSHOT_STEP is built and settled over several shard turns:
 * writes that land meanwhile are committed by the next batch, and a clear
 * issued meanwhile waits for it and then wins.
 *
 * Owns: its services and stores. Threads: the test thread and the shards.
 */
#include "svc.h"
#include <stdatomic.h>

#include "util/clock.h"

static void set_within(vl_service *svc, const char *k, int64_t v, uint32_t ms) {
    set_arg a = {v, 0, vl_within(ms)};
    CHECK_OK(vl_write_sync(svc, k, strlen(k), counter_set, &a));
}

/* Keys written 100 ms apart with WITHIN(500): gathered 300 ms, the first
 * commit takes the second key too; the third (due 400 ms after the first)
 * waits for its own. */
static void test_gather_takes_keys_due_soon(uint32_t gather, uint64_t want_batches) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 1);
    o.commit_gather_ms = gather;
    vl_service *svc = test_open(m, &counter_type, &o);
    int64_t t0 = vl__mono_ms();
    set_within(svc, "a", 1, 500);
    test_sleep_ms(100);
    set_within(svc, "b", 2, 500);
    test_sleep_ms(300);
    set_within(svc, "c", 3, 500);
    while (test_stored(m, "c", 1) != 3) test_sleep_ms(5);
    int64_t elapsed = vl__mono_ms() - t0;
    vl_mem_counts c;
    vl_mem_totals(m, &c);
    printf("# gather %u ms: %llu batches for 3 keys, last landed after %lld ms\n", gather,
           (unsigned long long)c.commits, (long long)elapsed);
    CHECK_EQ(c.commits, want_batches);
    CHECK_EQ(c.commit_keys, 3);
    CHECK(elapsed >= 400 + 500 - 5); /* c is never early: not within b's window */
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_with_gather(void) { test_gather_takes_keys_due_soon(300, 2); }
static void test_without_gather(void) { test_gather_takes_keys_due_soon(0, 3); }

/* One batch grows from its starting room to hold 5000 keys. */
static void test_batch_grows(void) {
    vl_mem *m = vl_mem_new(2);
    vl_options o;
    test_options(&o, 1);
    o.batch_max = 8192;
    o.commit_inflight = 1;
    vl_service *svc = test_open(m, &counter_type, &o);
    char k[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        set_within(svc, k, i, 60000);
    }
    CHECK_OK(vl_flush_sync(svc));
    vl_mem_counts c;
    vl_mem_totals(m, &c);
    CHECK_EQ(c.commit_keys, 5000);
    CHECK_EQ(c.commits, 1);
    CHECK_EQ(test_stored(m, "k4999", 5), 4999);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void flushed(void *arg, vl_status st) {
    CHECK_OK(st);
    atomic_store((_Atomic int *)arg, 1);
}

enum { STEP_KEYS = 30000 };

/* One shard whose batches may hold every key, STEP_KEYS keys k0.. written
 * with WITHIN(60 s), and a flush of them started (it sets *flushed_flag). */
static vl_service *open_with_flush_started(vl_mem *m, _Atomic int *flushed_flag) {
    vl_options o;
    test_options(&o, 1);
    o.batch_max = VL_BATCH_MAX;
    o.commit_inflight = 1;
    vl_service *svc = test_open(m, &counter_type, &o);
    char k[16];
    for (int i = 0; i < STEP_KEYS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        set_within(svc, k, i, 60000);
    }
    CHECK_OK(vl_flush(svc, flushed, (void *)flushed_flag));
    return svc;
}

/* 30,000 keys in one batch (30 steps to build, 30 to settle) while the
 * same keys are written again: the store ends with every second value,
 * and the second writes cost a second round of commits, not lost ones. */
static void test_steps_keep_later_writes(void) {
    enum { N = STEP_KEYS };
    vl_mem *m = vl_mem_new(4);
    _Atomic int done = 0;
    vl_service *svc = open_with_flush_started(m, &done);
    char k[16];
    for (int i = N - 1; i >= 0; i--) { /* from the end: the batch is still being built */
        snprintf(k, sizeof k, "k%d", i);
        set_within(svc, k, 2 * i + 1, 60000);
    }
    while (!atomic_load(&done)) test_sleep_ms(1);
    CHECK_OK(vl_flush_sync(svc));
    vl_mem_counts c;
    vl_mem_totals(m, &c);
    printf("# %llu batches, %llu keys committed for %d keys written twice\n",
           (unsigned long long)c.commits, (unsigned long long)c.commit_keys, N);
    CHECK(c.commit_keys >= N + 1 && c.commit_keys <= 2 * N);
    for (int i = 0; i < N; i += 997) {
        snprintf(k, sizeof k, "k%d", i);
        CHECK_EQ(test_stored(m, k, strlen(k)), 2 * i + 1);
    }
    vl_stats st; /* (the batch may still be settling: waiters fire key by key) */
    CHECK_OK(vl_stats_get(svc, -1, &st));
    CHECK_EQ(st.dirty_keys, 0);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* A clear issued while a 30,000-key batch is built: the batch finishes and
 * is answered first, then the table is emptied; nothing comes back. */
static void test_clear_during_steps(void) {
    vl_mem *m = vl_mem_new(5);
    _Atomic int done = 0;
    vl_service *svc = open_with_flush_started(m, &done);
    _Atomic int cleared = 0;
    CHECK_OK(vl_clear(svc, flushed, (void *)&cleared));
    while (!atomic_load(&cleared)) test_sleep_ms(1);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(test_stored(m, "k0", 2), -1);
    CHECK_EQ(test_stored(m, "k29999", 6), -1);
    vl_stats st;
    CHECK_OK(vl_stats_get(svc, -1, &st));
    CHECK_EQ(st.dirty_keys, 0);
    CHECK_EQ(st.inflight_commits, 0);
    while (!atomic_load(&done)) test_sleep_ms(1);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_gather_bound(void) {
    vl_mem *m = vl_mem_new(3);
    vl_options o;
    test_options(&o, 1);
    o.commit_gather_ms = VL_COMMIT_GATHER_MS_MAX + 1;
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc = NULL;
    CHECK_ST(vl_open(&o, &counter_type, &up, &svc), VL_EINVAL);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_with_gather);
    RUN(test_without_gather);
    RUN(test_batch_grows);
    RUN(test_steps_keep_later_writes);
    RUN(test_clear_during_steps);
    RUN(test_gather_bound);
    return 0;
}
