/*
 * test_post.c -- running the caller's code on the shards: vl_post runs each
 * task on the shard it names, in order; a shard's loop carries the caller's
 * timers; during shutdown every accepted task runs and later ones are
 * refused, none stranded.
 *
 * Owns: its service and store. Threads: the test thread, 2 posting threads,
 * the shards.
 */
#include <uv.h>

#include "svc.h"

typedef struct mytask {
    vl_task t;
    vl_service *svc;
    uint32_t want_shard;
    uint64_t seq;
    _Atomic uint64_t *ran;
    _Atomic uint64_t *last_seq; /* per shard: order check */
    _Atomic int *bad;
} mytask;

static void task_fn(vl_task *t) {
    mytask *m = (mytask *)t;
    if (vl_shard_self(m->svc) != (int)m->want_shard) atomic_fetch_add(m->bad, 1);
    uint64_t prev = atomic_exchange(&m->last_seq[m->want_shard], m->seq);
    if (prev >= m->seq && m->seq != 0) atomic_fetch_add(m->bad, 1); /* out of order */
    atomic_fetch_add(m->ran, 1);
    free(m);
}

static void test_tasks_run_on_their_shard_in_order(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type, &o);
    CHECK_EQ(vl_shard_self(svc), -1);
    static _Atomic uint64_t ran, last[2];
    static _Atomic int bad;
    for (uint64_t i = 1; i <= 10000; i++) {
        mytask *t = calloc(1, sizeof *t);
        *t = (mytask){{task_fn, {0}}, svc, (uint32_t)(i % 2), i, &ran, last, &bad};
        CHECK_OK(vl_post(svc, t->want_shard, &t->t));
    }
    while (atomic_load(&ran) < 10000) test_sleep_ms(1);
    CHECK_EQ(atomic_load(&bad), 0);
    vl_task bogus = {NULL, {0}};
    CHECK_ST(vl_post(svc, 0, &bogus), VL_EINVAL);
    CHECK_ST(vl_post(svc, 2, &bogus), VL_EINVAL);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

typedef struct timer_task {
    vl_task t;
    vl_service *svc;
    uv_timer_t timer;
    _Atomic int fired;
} timer_task;

static void on_closed(uv_handle_t *h) { (void)h; }
static void on_timer(uv_timer_t *h) {
    timer_task *tt = h->data;
    atomic_store(&tt->fired, vl_shard_self(tt->svc) == 1 ? 1 : -1);
    uv_close((uv_handle_t *)h, on_closed);
}
static void start_timer(vl_task *t) {
    timer_task *tt = (timer_task *)t;
    uv_timer_init(vl_shard_loop(tt->svc, 1), &tt->timer);
    tt->timer.data = tt;
    uv_timer_start(&tt->timer, on_timer, 10, 0);
}

static void test_shard_loop_carries_callers_timers(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type, &o);
    static timer_task tt;
    tt = (timer_task){.t = {start_timer, {0}}, .svc = svc};
    CHECK_OK(vl_post(svc, 1, &tt.t));
    while (atomic_load(&tt.fired) == 0) test_sleep_ms(1);
    CHECK_EQ(atomic_load(&tt.fired), 1);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

typedef struct poster {
    vl_service *svc;
    _Atomic uint64_t *ran;
    uint64_t accepted, refused;
} poster;

static void count_fn(vl_task *t) {
    mytask *m = (mytask *)t;
    atomic_fetch_add(m->ran, 1);
    free(m);
}

static void *poster_main(void *arg) {
    poster *p = arg;
    for (uint64_t i = 0; p->refused < 2; i++) { /* until both shards refuse */
        mytask *t = calloc(1, sizeof *t);
        t->t.fn = count_fn;
        t->ran = p->ran;
        vl_status st = vl_post(p->svc, (uint32_t)(i % 2), &t->t);
        if (st == VL_OK) {
            p->accepted++;
        } else {
            CHECK_ST(st, VL_ECLOSED);
            free(t);
            p->refused++;
        }
    }
    return NULL;
}

static void test_shutdown_runs_or_refuses_every_task(void) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type, &o);
    static _Atomic uint64_t ran;
    static poster ps[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        ps[i] = (poster){svc, &ran, 0, 0};
        CHECK(pthread_create(&th[i], NULL, poster_main, &ps[i]) == 0);
    }
    test_sleep_ms(20);
    CHECK_OK(vl_shutdown(svc, NULL, NULL));
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK_OK(vl_close(svc, NULL));
    printf("# %llu tasks accepted and run during shutdown\n",
           (unsigned long long)(ps[0].accepted + ps[1].accepted));
    CHECK_EQ(atomic_load(&ran), ps[0].accepted + ps[1].accepted);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_tasks_run_on_their_shard_in_order);
    RUN(test_shard_loop_carries_callers_timers);
    RUN(test_shutdown_runs_or_refuses_every_task);
    return 0;
}
