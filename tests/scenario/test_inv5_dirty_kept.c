/*
 * test_inv5_dirty_kept.c -- invariant 5 (docs/invariants.md): a dirty entry
 * is never evicted, expired away without reaching the upstream, or lost on an
 * upstream error (crash, lost acknowledgement, errors past the close
 * deadline: then it goes to on_uncommitted).
 *
 * Owns: its services and stores. Threads: the test thread + the shards.
 */
#include "svc.h"
#include "util/clock.h"

static vl_service *open1(vl_mem *m, const vl_type *t) {
    vl_options o;
    test_options(&o, 1);
    return test_open(m, t, &o);
}

static void test_crash_then_recover_loses_nothing(void) {
    vl_mem *m = vl_mem_new(2);
    vl_service *svc = open1(m, &counter_type);
    /* Warm the keys: during the outage a cold key cannot load, so only
     * resident keys can take writes (a cold one answers the load's error). */
    for (int i = 0; i < 100; i++) {
        char k[8];
        int n = snprintf(k, sizeof k, "c%d", i);
        read_out r;
        CHECK_OK(vl_read_sync(svc, k, (size_t)n, counter_read, &r));
    }
    vl_mem_crash(m);
    incr_arg cold = {1, vl_within(5)};
    CHECK_ST(vl_write_sync(svc, "cold", 4, counter_incr, &cold), VL_EUNAVAILABLE);
    for (int i = 0; i < 100; i++) {
        char k[8];
        int n = snprintf(k, sizeof k, "c%d", i);
        set_arg a = {i, 0, vl_within(5)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    test_sleep_ms(100); /* commits fail and back off meanwhile */
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK(s.commits_failed > 0);
    CHECK_EQ(s.dirty_keys, 100);
    CHECK_EQ(vl_mem_count(m), 0);
    vl_mem_recover(m);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(vl_mem_count(m), 100);
    for (int i = 0; i < 100; i++) {
        char k[8];
        int n = snprintf(k, sizeof k, "c%d", i);
        CHECK_EQ(test_stored(m, k, (size_t)n), i);
    }
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_evict_of_dirty_key_waits_for_the_commit(void) {
    vl_mem *m = vl_mem_new(2);
    vl_service *svc = open1(m, &counter_type);
    set_arg a = {5, 0, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "e", 1, counter_set, &a));
    vl_mem_crash(m);
    /* The eviction cannot drop the key while its commit fails. */
    vl_status st = vl_evict_sync(svc, "e", 1);
    CHECK(st == VL_EPENDING);
    read_out r;
    CHECK_OK(vl_read_cached_sync(svc, "e", 1, counter_read, &r));
    CHECK_EQ(r.value, 5);
    vl_mem_recover(m);
    CHECK_OK(vl_evict_sync(svc, "e", 1));
    CHECK_EQ(test_stored(m, "e", 1), 5);
    CHECK_ST(vl_read_cached_sync(svc, "e", 1, counter_read, &r), VL_ENOTCACHED);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* The store holds an old value with no expiry; the cache writes a new one
 * that expires before its commit. The old value must not come back. */
static void test_expired_dirty_value_still_reaches_upstream(void) {
    vl_mem *m = vl_mem_new(2);
    uint8_t b[8];
    counter_bytes(1, b);
    CHECK_OK(vl_mem_put(m, "x", 1, b, 8, 0));
    vl_service *svc = open1(m, &counter_type_absent);
    set_arg a = {2, vl__wall_ms() + 30, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "x", 1, counter_set, &a));
    test_sleep_ms(60);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "x", 1, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL)); /* the expired value goes out as a delete */
    CHECK_EQ(test_stored(m, "x", 1), -1);
    svc = open1(m, &counter_type_absent);
    CHECK_ST(vl_read_sync(svc, "x", 1, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_lost_ack_is_retried_and_lands_once(void) {
    vl_mem *m = vl_mem_new(2);
    vl_service *svc = open1(m, &counter_type);
    vl_mem_lose_ack_next(m, 2, VL_EUNAVAILABLE);
    incr_arg a = {10, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "l", 1, counter_incr, &a)); /* acked on the third try */
    CHECK_EQ(test_stored(m, "l", 1), 10);                   /* a snapshot: not 30 */
    CHECK_EQ(vl_mem_key_commits(m, "l", 1), 3);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

typedef struct lost {
    int n;
    int64_t last;
} lost;

static void on_uncommitted(void *arg, const void *key, size_t len, const uint8_t *bytes,
                           size_t blen) {
    lost *l = arg;
    (void)key, (void)len;
    CHECK_EQ(blen, 8);
    l->last = counter_from_bytes(bytes);
    l->n++;
}

static void test_close_deadline_hands_dirty_keys_over(void) {
    vl_mem *m = vl_mem_new(2);
    vl_options o;
    test_options(&o, 1);
    static lost l;
    o.close_timeout_ms = 200;
    o.on_uncommitted = on_uncommitted;
    o.on_uncommitted_arg = &l;
    o.log = test_log_sink;
    vl_service *svc = test_open(m, &counter_type, &o);
    set_arg a = {99, 0, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "u", 1, counter_set, &a));
    vl_mem_crash(m);
    vl_close_report rep;
    CHECK_ST(vl_close(svc, &rep), VL_EUNCOMMITTED);
    CHECK_EQ(rep.uncommitted, 1);
    CHECK_ST(rep.last_error, VL_EUNAVAILABLE);
    CHECK_EQ(l.n, 1);
    CHECK_EQ(l.last, 99);
    CHECK(test_log_contains("left uncommitted"));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_crash_then_recover_loses_nothing);
    RUN(test_evict_of_dirty_key_waits_for_the_commit);
    RUN(test_expired_dirty_value_still_reaches_upstream);
    RUN(test_lost_ack_is_retried_and_lands_once);
    RUN(test_close_deadline_hands_dirty_keys_over);
    return 0;
}
