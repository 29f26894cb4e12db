/*
 * test_inv1_one_load.c -- invariant 1 (docs/invariants.md): one upstream
 * load per cold key per burst, whatever the number of waiters; and a failed
 * load fails every waiter, caches nothing, and the next request loads again.
 *
 * Owns: its services and stores. Threads: 64 reader threads + the shards.
 */
#include <sched.h>

#include "svc.h"

#define THREADS 64
#define READS 10000 /* per thread */
#define WINDOW 64   /* reads in flight per thread */

typedef struct reader {
    vl_service *svc;
    pthread_barrier_t *start;
    const char *key;
    _Atomic uint64_t inflight;
    _Atomic uint64_t ok, wrong;
    int64_t want;
} reader;

static void on_read(void *arg, vl_status st, const vl_view *v) {
    reader *r = arg;
    if (st == VL_OK && *(const int64_t *)v->value == r->want) atomic_fetch_add(&r->ok, 1);
    else atomic_fetch_add(&r->wrong, 1);
    atomic_fetch_sub(&r->inflight, 1);
}

static void *reader_main(void *arg) {
    reader *r = arg;
    pthread_barrier_wait(r->start);
    for (int sent = 0; sent < READS;) {
        if (atomic_load(&r->inflight) >= WINDOW) {
            sched_yield();
            continue;
        }
        atomic_fetch_add(&r->inflight, 1);
        vl_status st = vl_read(r->svc, r->key, strlen(r->key), on_read, r);
        if (st == VL_OK) {
            sent++;
            continue;
        }
        atomic_fetch_sub(&r->inflight, 1);
        CHECK_ST(st, VL_EBUSY); /* the only acceptable refusal */
        sched_yield();
    }
    while (atomic_load(&r->inflight)) sched_yield();
    return NULL;
}

static void test_burst_on_cold_key_is_one_load(void) {
    vl_mem *m = vl_mem_new(7);
    uint8_t b[8];
    counter_bytes(1234, b);
    CHECK_OK(vl_mem_put(m, "cold", 4, b, 8, 0));
    vl_mem_set_latency(m, 100000, 100000); /* the load takes 100 ms */
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type, &o);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    static reader rs[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        rs[i] = (reader){.svc = svc, .start = &start, .key = "cold", .want = 1234};
        CHECK(pthread_create(&th[i], NULL, reader_main, &rs[i]) == 0);
    }
    uint64_t ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += rs[i].ok;
        CHECK_EQ(rs[i].wrong, 0);
    }
    CHECK_EQ(ok, (uint64_t)THREADS * READS);
    CHECK_EQ(vl_mem_key_loads(m, "cold", 4), 1);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_started, 1);
    CHECK(s.loads_coalesced > 0); /* the burst really met the load in flight */
    CHECK_EQ(s.loads_coalesced + s.hits + 1, (uint64_t)THREADS * READS);
    pthread_barrier_destroy(&start);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

typedef struct fail_rec {
    _Atomic int n;
    _Atomic int bad;
} fail_rec;

static void expect_unavailable(void *arg, vl_status st, const vl_view *v) {
    fail_rec *f = arg;
    if (st != VL_EUNAVAILABLE || v->value != NULL) atomic_fetch_add(&f->bad, 1);
    atomic_fetch_add(&f->n, 1);
}

static void test_failed_load_fails_all_and_caches_nothing(void) {
    vl_mem *m = vl_mem_new(7);
    uint8_t b[8];
    counter_bytes(9, b);
    CHECK_OK(vl_mem_put(m, "k", 1, b, 8, 0));
    vl_mem_set_latency(m, 50000, 50000);
    vl_mem_fail_next(m, VL_MEM_LOADS, 1, VL_EUNAVAILABLE);
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type, &o);
    fail_rec f = {0, 0};
    for (int i = 0; i < 100; i++) CHECK_OK(vl_read(svc, "k", 1, expect_unavailable, &f));
    while (atomic_load(&f.n) < 100) test_sleep_ms(1);
    CHECK_EQ(f.bad, 0);
    CHECK_EQ(vl_mem_key_loads(m, "k", 1), 1);
    read_out r;
    CHECK_ST(vl_read_cached_sync(svc, "k", 1, counter_read, &r), VL_ENOTCACHED);
    CHECK_OK(vl_read_sync(svc, "k", 1, counter_read, &r)); /* loads again, and works */
    CHECK_EQ(r.value, 9);
    CHECK_EQ(vl_mem_key_loads(m, "k", 1), 2);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_failed, 1);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* A write that queued behind a failed load is failed too, and changes nothing. */
static void test_write_behind_failed_load(void) {
    vl_mem *m = vl_mem_new(7);
    vl_mem_set_latency(m, 20000, 20000);
    vl_mem_fail_next(m, VL_MEM_LOADS, 1, VL_ETIMEOUT);
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type, &o);
    incr_arg a = {5, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "w", 1, counter_incr, &a), VL_ETIMEOUT);
    CHECK_EQ(test_stored(m, "w", 1), -1);
    CHECK_OK(vl_write_sync(svc, "w", 1, counter_incr, &a));
    CHECK_EQ(test_stored(m, "w", 1), 5);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

int main(void) {
    RUN(test_burst_on_cold_key_is_one_load);
    RUN(test_failed_load_fails_all_and_caches_nothing);
    RUN(test_write_behind_failed_load);
    return 0;
}
