/*
 * test_inv4_close.c -- invariant 4 (docs/invariants.md): after close, the
 * upstream holds exactly the last value of every key written (deleted keys
 * absent), and close commits everything dirty, 100,000 keys included.
 *
 * Owns: its services and stores. Threads: the test thread + the shards.
 */
#include <sched.h>

#include "svc.h"

#define DIRTY_KEYS 100000

static void test_close_commits_100k_dirty_keys(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type, &o);
    static set_arg sets[DIRTY_KEYS];
    for (int i = 0; i < DIRTY_KEYS; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "d%d", i);
        sets[i] = (set_arg){i * 3 + 1, 0, vl_within(3600 * 1000)}; /* an hour: only close commits */
        vl_status st; /* no completion: each write has its own set_arg */
        while ((st = vl_write(svc, k, (size_t)n, counter_set, NULL, &sets[i])) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
    }
    /* Wait until every write ran (dirty_keys reaches the total). */
    vl_stats s;
    do {
        test_sleep_ms(5);
        CHECK_OK(vl_stats_get(svc, -1, &s));
    } while (s.dirty_keys < DIRTY_KEYS);
    CHECK_EQ(vl_mem_count(m), 0); /* nothing committed early */
    vl_close_report rep;
    CHECK_OK(vl_close(svc, &rep));
    CHECK_EQ(rep.uncommitted, 0);
    CHECK_EQ(vl_mem_count(m), DIRTY_KEYS);
    for (int i = 0; i < DIRTY_KEYS; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "d%d", i);
        CHECK_EQ(test_stored(m, k, (size_t)n), i * 3 + 1);
    }
    vl_mem_free(m);
}

/* Random sets, increments and deletes over a small key set, some IMMEDIATE
 * and some WITHIN, from two threads owning disjoint keys; the store must end
 * equal to the model exactly. */
#define MODEL_KEYS 64
#define MODEL_OPS 10000

typedef struct model {
    incr_arg inc; /* first: counter_incr/counter_set read it as their arg */
    set_arg set;
    vl_service *svc;
    int base;
    int64_t val[MODEL_KEYS]; /* -1: absent */
    _Atomic long inflight;
} model;

static void model_done(void *arg, vl_status st) {
    model *md = arg;
    CHECK(st == VL_OK || st == VL_EPENDING);
    atomic_fetch_sub(&md->inflight, 1);
}

static vl_policy model_set(void *arg, vl_mut *m) {
    model *md = arg;
    return counter_set(&md->set, m);
}

static void *model_main(void *arg) {
    model *md = arg;
    uint64_t x = (uint64_t)md->base * 7919 + 13;
    for (int i = 0; i < MODEL_OPS / TEST_SLOW_DIVISOR; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int k = (int)(x % MODEL_KEYS), op = (int)((x >> 20) % 10);
        char key[16];
        int n = snprintf(key, sizeof key, "m%d-%d", md->base, k);
        vl_policy pol = (x >> 30) % 4 == 0 ? vl_immediate() : vl_within((uint32_t)(x >> 40) % 30);
        /* One request at a time per thread: its args live in md. */
        while (atomic_load(&md->inflight)) sched_yield();
        atomic_fetch_add(&md->inflight, 1);
        vl_status st;
        if (op < 2) {
            st = vl_delete(md->svc, key, (size_t)n, pol, model_done, md);
            md->val[k] = -1;
        } else if (op < 5) {
            md->set = (set_arg){(int64_t)i, 0, pol};
            st = vl_write(md->svc, key, (size_t)n, model_set, model_done, md);
            md->val[k] = i;
        } else {
            md->inc = (incr_arg){1, pol};
            st = vl_write(md->svc, key, (size_t)n, counter_incr, model_done, md);
            md->val[k] = md->val[k] < 0 ? 1 : md->val[k] + 1;
        }
        CHECK_OK(st);
    }
    while (atomic_load(&md->inflight)) sched_yield();
    return NULL;
}

static void test_store_equals_model_after_close(void) {
    vl_mem *m = vl_mem_new(9);
    vl_mem_set_latency(m, 0, 300);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    static model md[2];
    pthread_t th[2];
    for (int t = 0; t < 2; t++) {
        md[t] = (model){.svc = svc, .base = t};
        for (int k = 0; k < MODEL_KEYS; k++) md[t].val[k] = -1;
        CHECK(pthread_create(&th[t], NULL, model_main, &md[t]) == 0);
    }
    for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
    CHECK_OK(vl_close(svc, NULL));
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < MODEL_KEYS; k++) {
            char key[16];
            int n = snprintf(key, sizeof key, "m%d-%d", t, k);
            CHECK_EQ(test_stored(m, key, (size_t)n), md[t].val[k]);
        }
    vl_mem_free(m);
}

int main(void) {
    RUN(test_close_commits_100k_dirty_keys);
    RUN(test_store_equals_model_after_close);
    return 0;
}
