/*
 * test_inv3_within.c -- invariant 3 (docs/invariants.md): a WITHIN(ms) write
 * reaches the upstream about ms after it (never early, not much later),
 * writes coalesce so that a key is committed at most once per window, and a
 * failing upstream means retries that are counted.
 *
 * Owns: its services and stores. Threads: 2 writer threads + the shards.
 */
#include <sched.h>

#include "svc.h"
#include "util/clock.h"

#define KEYS 1000
#define TOTAL 1000000 /* increments, divided under TSan */
#define WINDOW_MS 50

/* The write function and the completion share one arg: the writer, whose
 * first member is the increment counter_incr reads. */
typedef struct incr_writer {
    incr_arg inc;
    vl_service *svc;
    int first, step;
    long n;
    _Atomic long inflight;
    long per_key[KEYS];
} incr_writer;

static void on_incr(void *arg, vl_status st) {
    incr_writer *w = arg;
    CHECK_OK(st);
    atomic_fetch_sub(&w->inflight, 1);
}

static void *incr_main(void *arg) {
    incr_writer *w = arg;
    uint64_t x = (uint64_t)w->first * 2654435761u + 1;
    for (long i = 0; i < w->n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int k = (int)(x % KEYS);
        char key[16];
        int len = snprintf(key, sizeof key, "ctr:%d", k);
        while (atomic_load(&w->inflight) >= 64) sched_yield();
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        while ((st = vl_write(w->svc, key, (size_t)len, counter_incr, on_incr, w)) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
        w->per_key[k]++;
    }
    while (atomic_load(&w->inflight)) sched_yield();
    return NULL;
}

static void test_million_increments_match_model_and_coalesce(void) {
    vl_mem *m = vl_mem_new(5);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type, &o);
    static incr_writer ws[2];
    pthread_t th[2];
    long total = TOTAL / TEST_SLOW_DIVISOR;
    int64_t t0 = vl__mono_ms();
    for (int i = 0; i < 2; i++) {
        ws[i] = (incr_writer){.inc = {1, vl_within(WINDOW_MS)}, .svc = svc, .first = i + 1,
                              .n = total / 2};
        CHECK(pthread_create(&th[i], NULL, incr_main, &ws[i]) == 0);
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK_OK(vl_close(svc, NULL));
    int64_t run_ms = vl__mono_ms() - t0;
    uint64_t commits = 0, bound = (uint64_t)(run_ms / WINDOW_MS + 1);
    for (int k = 0; k < KEYS; k++) {
        char key[16];
        int len = snprintf(key, sizeof key, "ctr:%d", k);
        long want = ws[0].per_key[k] + ws[1].per_key[k];
        CHECK_EQ(test_stored(m, key, (size_t)len), want);
        uint64_t c = vl_mem_key_commits(m, key, (size_t)len);
        CHECK_LE(c, bound);
        commits += c;
    }
    printf("# %ld increments in %lld ms: %llu upstream writes (bound %llu)\n", total,
           (long long)run_ms, (unsigned long long)commits, (unsigned long long)bound * KEYS);
    CHECK_LE(commits, bound * KEYS);
    vl_mem_free(m);
}

/* Polls the store until `key` holds `want`; returns the ms it took. */
static int64_t wait_for(vl_mem *m, const char *key, int64_t want, int64_t limit_ms) {
    int64_t t0 = vl__mono_ms();
    while (test_stored(m, key, strlen(key)) != want) {
        CHECK(vl__mono_ms() - t0 < limit_ms);
        test_sleep_ms(1);
    }
    return vl__mono_ms() - t0;
}

static void test_within_is_not_early_and_not_late(void) {
    vl_mem *m = vl_mem_new(5);
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type, &o);
    set_arg a = {42, 0, vl_within(200)};
    int64_t t0 = vl__mono_ms();
    CHECK_OK(vl_write_sync(svc, "late", 4, counter_set, &a));
    int64_t took = wait_for(m, "late", 42, 200 + 5000);
    (void)t0;
    printf("# WITHIN(200) write reached the store after %lld ms\n", (long long)took);
    CHECK(took >= 195); /* never early: the window is what makes writes coalesce */
    /* A second write inside a longer window keeps the earlier deadline. */
    set_arg b = {43, 0, vl_within(100)};
    set_arg c = {44, 0, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "late", 4, counter_set, &b));
    CHECK_OK(vl_write_sync(svc, "late", 4, counter_set, &c));
    took = wait_for(m, "late", 44, 100 + 5000);
    CHECK(took < 60000);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_failing_upstream_is_retried_and_counted(void) {
    vl_mem *m = vl_mem_new(5);
    vl_mem_fail_next(m, VL_MEM_COMMITS, 3, VL_ETIMEOUT);
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type, &o);
    set_arg a = {5, 0, vl_within(10)};
    CHECK_OK(vl_write_sync(svc, "r", 1, counter_set, &a));
    wait_for(m, "r", 5, 10000);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.retries, 3);
    CHECK_EQ(s.commits_failed, 3);
    CHECK_EQ(s.dirty_keys, 0);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_million_increments_match_model_and_coalesce);
    RUN(test_within_is_not_early_and_not_late);
    RUN(test_failing_upstream_is_retried_and_counted);
    return 0;
}
