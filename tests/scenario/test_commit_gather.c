/*
 * test_commit_gather.c -- vl_options.commit_gather_ms: a commit that starts
 * also takes the keys due within the gather window (fewer, larger batches),
 * never keys due later; without it, nothing is committed early; and a batch
 * grows past its starting room to batch_max.
 *
 * Owns: its services and stores. Threads: the test thread and the shards.
 */
#include "svc.h"
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
    int64_t t0 = vl_mono_ms();
    set_within(svc, "a", 1, 500);
    test_sleep_ms(100);
    set_within(svc, "b", 2, 500);
    test_sleep_ms(300);
    set_within(svc, "c", 3, 500);
    while (test_stored(m, "c", 1) != 3) test_sleep_ms(5);
    int64_t elapsed = vl_mono_ms() - t0;
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
    RUN(test_gather_bound);
    return 0;
}
