/*
 * cass_writers.c -- the writer threads of cass_writers.h.
 *
 * Owns: each write's small record until its callback. Threads: as the
 * header says.
 */
#include <sched.h>
#include <stdlib.h>

#include "cass_writers.h"
#include "util/rng.h"

typedef struct op {
    set_arg set; /* first: counter_set's argument */
    cw_writer *w;
    int key;
} op;

static void on_done(void *arg, vl_status st) {
    op *o = arg;
    cw_writer *w = o->w;
    if (o->set.policy.kind == VL_COMMIT_IMMEDIATE) {
        if (st == VL_OK) {
            int64_t prev = atomic_load(&w->acked[o->key]);
            while (prev < o->set.value &&
                   !atomic_compare_exchange_weak(&w->acked[o->key], &prev, o->set.value)) {
            }
            atomic_fetch_add(&w->n_acked, 1);
        } else if (st == VL_EPENDING) {
            atomic_fetch_add(&w->n_pending, 1);
        } else {
            atomic_fetch_add(&w->n_other, 1);
        }
    } else if (st == VL_OK) {
        atomic_fetch_add(&w->n_within, 1);
    } else {
        atomic_fetch_add(&w->n_other, 1);
    }
    free(o);
    atomic_fetch_sub(&w->inflight, 1);
}

void *cw_main(void *arg) {
    cw_writer *w = arg;
    CHECK(w->keys > 0 && w->keys <= CW_KEYS_MAX && w->immediate_in > 0);
    vl_rng rng = {(uint64_t)w->id + 99};
    int64_t v = 0;
    char k[32];
    while (!atomic_load(&w->stop)) {
        while (atomic_load(&w->inflight) >= w->inflight_max) test_sleep_ms(1);
        int key = (int)vl__rng_below(&rng, w->keys);
        int n = snprintf(k, sizeof k, "w%d-%d", w->id, key);
        op *o = malloc(sizeof *o);
        CHECK(o);
        bool imm = vl__rng_below(&rng, w->immediate_in) == 0;
        o->set = (set_arg){++v, 0, imm ? vl_immediate() : vl_within(50)};
        o->w = w;
        o->key = key;
        w->last_sent[key] = v;
        atomic_fetch_add(&w->inflight, 1);
        vl_status st;
        while ((st = vl_write(w->svc, k, (size_t)n, counter_set, on_done, o)) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
        if (w->sleep_every && v % w->sleep_every == 0) test_sleep_ms((int)w->sleep_ms);
    }
    while (atomic_load(&w->inflight) > 0) test_sleep_ms(1);
    return NULL;
}

uint32_t cw_check(const cw_writer *w, int64_t (*stored)(void *arg, const char *key), void *arg) {
    char k[32];
    uint32_t found = 0;
    CHECK_EQ(atomic_load(&w->n_other), 0);
    for (uint32_t key = 0; key < w->keys; key++) {
        snprintf(k, sizeof k, "w%d-%u", w->id, key);
        int64_t have = stored(arg, k);
        int64_t sent = w->last_sent[key];
        CHECK(have >= atomic_load(&w->acked[key])); /* every acknowledged IMMEDIATE */
        CHECK_EQ(have, sent == 0 ? -1 : sent);      /* and, after close, the last of all */
        found += have >= 0;
    }
    return found;
}
