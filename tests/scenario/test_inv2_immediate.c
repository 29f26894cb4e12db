/*
 * test_inv2_immediate.c -- invariant 2 (docs/invariants.md): an acknowledged
 * IMMEDIATE write is in the upstream when its completion fires, here under 20%
 * injected commit errors; writers past the retry budget get VL_EPENDING and
 * their data still arrives.
 *
 * Owns: its service and store. Threads: 4 writer threads + the shards (the
 * completions check the store from the shard threads).
 */
#include <sched.h>

#include "svc.h"

#define WRITERS 4
#define KEYS 200
#define WRITES 5000 /* per writer, divided under TSan */

static vl_mem *store;

/* One write in flight: sets key `k` to `value` (values rise per key, since
 * each writer owns its keys and writes them in order). */
typedef struct job {
    set_arg set;
    char key[16];
    size_t key_len;
    struct writer *w;
} job;

typedef struct writer {
    int id;
    vl_service *svc;
    _Atomic int inflight;
    _Atomic uint64_t acked, pending, missing, other;
    int64_t last_sent[KEYS];
} writer;

static void on_done(void *arg, vl_status st) {
    job *j = arg;
    writer *w = j->w;
    if (st == VL_OK) {
        /* The invariant: the store has this write (or a later one) now. */
        int64_t have = test_stored(store, j->key, j->key_len);
        if (have < j->set.value) atomic_fetch_add(&w->missing, 1);
        atomic_fetch_add(&w->acked, 1);
    } else if (st == VL_EPENDING) {
        atomic_fetch_add(&w->pending, 1);
    } else {
        atomic_fetch_add(&w->other, 1);
    }
    free(j);
    atomic_fetch_sub(&w->inflight, 1);
}

static void *writer_main(void *arg) {
    writer *w = arg;
    int n = WRITES / TEST_SLOW_DIVISOR;
    for (int i = 0; i < n; i++) {
        while (atomic_load(&w->inflight) >= 32) sched_yield();
        int k = i % KEYS;
        job *j = calloc(1, sizeof *j);
        CHECK(j);
        j->w = w;
        j->key_len = (size_t)snprintf(j->key, sizeof j->key, "w%d-%d", w->id, k);
        j->set = (set_arg){i + 1, 0, vl_immediate()};
        w->last_sent[k] = i + 1;
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        while ((st = vl_write(w->svc, j->key, j->key_len, counter_set, on_done, j)) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
    }
    while (atomic_load(&w->inflight)) sched_yield();
    return NULL;
}

static void test_immediate_acks_are_durable_under_errors(void) {
    store = vl_mem_new(11);
    vl_mem_set_error_rate(store, VL_MEM_COMMITS, 0.20, VL_EUNAVAILABLE);
    vl_options o;
    test_options(&o, 2);
    o.retry.immediate_attempts = 3;
    vl_service *svc = test_open(store, &counter_type, &o);
    static writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (writer){.id = i, .svc = svc};
        CHECK(pthread_create(&th[i], NULL, writer_main, &ws[i]) == 0);
    }
    uint64_t acked = 0, pending = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(ws[i].missing, 0);
        CHECK_EQ(ws[i].other, 0);
        acked += ws[i].acked;
        pending += ws[i].pending;
    }
    printf("# %llu acked, %llu answered VL_EPENDING\n", (unsigned long long)acked,
           (unsigned long long)pending);
    CHECK(acked > 0);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK(s.retries > 0);          /* the errors really happened */
    CHECK_EQ(s.pending_replies, pending);
    /* Close commits what is still pending: every key ends at its last value. */
    vl_mem_set_error_rate(store, VL_MEM_COMMITS, 0, VL_OK);
    vl_close_report rep;
    CHECK_OK(vl_close(svc, &rep));
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < KEYS; k++) {
            char key[16];
            int n = snprintf(key, sizeof key, "w%d-%d", i, k);
            if (ws[i].last_sent[k]) CHECK_EQ(test_stored(store, key, (size_t)n), ws[i].last_sent[k]);
        }
    vl_mem_free(store);
}

/* A permanent error reaches the IMMEDIATE writer at once, but the value
 * stays dirty and lands when the upstream heals. */
static void test_permanent_error_reported_value_kept(void) {
    store = vl_mem_new(3);
    vl_mem_fail_next(store, VL_MEM_COMMITS, 1, VL_EQUERY);
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(store, &counter_type, &o);
    set_arg a = {77, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "p", 1, counter_set, &a), VL_EQUERY);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(test_stored(store, "p", 1), 77);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(store);
}

int main(void) {
    RUN(test_immediate_acks_are_durable_under_errors);
    RUN(test_permanent_error_reported_value_kept);
    return 0;
}
