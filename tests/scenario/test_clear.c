/*
 * test_clear.c -- vl_clear: every key goes, here and upstream; nothing in
 * flight when it starts (a commit, a load) can bring a key back; requests
 * wait out the clear; one clear at a time; an upstream without truncate, a
 * failing truncate, and a shutdown during a clear.
 *
 * Owns: its services and stores. Threads: the test thread, the shards, the
 * memory store's worker.
 */
#include "svc.h"

typedef struct waitdone {
    _Atomic int fired;
    _Atomic int status;
} waitdone;

static void on_done(void *arg, vl_status st) {
    waitdone *w = arg;
    atomic_store(&w->status, (int)st);
    atomic_store(&w->fired, 1);
}

static vl_status wait_for(waitdone *w) {
    while (!atomic_load(&w->fired)) test_sleep_ms(1);
    return (vl_status)atomic_load(&w->status);
}

static vl_status clear_sync(vl_service *svc) {
    waitdone w = {0, 0};
    vl_status st = vl_clear(svc, on_done, &w);
    if (st != VL_OK) return st;
    return wait_for(&w);
}

static void key_of(char *k, int i) { snprintf(k, 16, "k%d", i); }

/* A write and its completion count, for vl_write's single argument. */
typedef struct set_count {
    set_arg set;
    done_count done;
} set_count;

static vl_policy sc_write(void *arg, vl_mut *m) { return counter_set(&((set_count *)arg)->set, m); }
static void sc_done(void *arg, vl_status st) { done_counter(&((set_count *)arg)->done, st); }

static void test_clears_cache_and_upstream(void) {
    vl_mem *m = vl_mem_new(1);
    uint8_t b[8];
    counter_bytes(7, b);
    CHECK_OK(vl_mem_put(m, "cold", 4, b, 8, 0)); /* only upstream */
    vl_options o;
    test_options(&o, 3);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    char k[16];
    for (int i = 0; i < 100; i++) { /* half committed, half dirty for a minute */
        key_of(k, i);
        set_arg a = {i, 0, i % 2 ? vl_immediate() : vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, strlen(k), counter_set, &a));
    }
    CHECK_EQ(vl_mem_count(m), 51);
    CHECK_OK(clear_sync(svc));
    CHECK_EQ(vl_mem_count(m), 0);
    vl_mem_counts c;
    vl_mem_totals(m, &c);
    CHECK_EQ(c.truncates, 1);
    read_out r;
    for (int i = 0; i < 100; i++) {
        key_of(k, i);
        CHECK_ST(vl_read_sync(svc, k, strlen(k), counter_read, &r), VL_ENOTFOUND);
    }
    CHECK_ST(vl_read_sync(svc, "cold", 4, counter_read, &r), VL_ENOTFOUND);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.dirty_keys, 0);
    /* Life goes on: a write after the clear is committed as usual. */
    set_arg a = {5, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "k1", 2, counter_set, &a));
    CHECK_EQ(test_stored(m, "k1", 2), 5);
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(vl_mem_count(m), 1); /* the dirty keys of before never landed */
    vl_mem_free(m);
}

/* Commits in flight when the clear starts land before the truncate, never
 * after it: the table is empty at `done` and stays empty. */
static void test_inflight_commits_cannot_resurrect(void) {
    vl_mem *m = vl_mem_new(2);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_set_latency(m, 20000, 30000);
    static set_count sc;
    sc.set = (set_arg){1, 0, vl_immediate()};
    char k[16];
    for (int i = 0; i < 200; i++) {
        key_of(k, i);
        CHECK_OK(vl_write(svc, k, strlen(k), sc_write, sc_done, &sc));
    }
    test_sleep_ms(5); /* the commits are in flight now */
    CHECK_OK(clear_sync(svc));
    CHECK_EQ(atomic_load(&sc.done.total), 200); /* all answered before done */
    CHECK_EQ(vl_mem_count(m), 0);
    test_sleep_ms(60);
    CHECK_EQ(vl_mem_count(m), 0);
    vl_mem_clear_faults(m);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "k3", 2, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(vl_mem_count(m), 0);
    vl_mem_free(m);
}

/* A load in flight when the clear starts cannot bring its row back. */
static void test_inflight_load_cannot_resurrect(void) {
    vl_mem *m = vl_mem_new(3);
    uint8_t b[8];
    counter_bytes(9, b);
    CHECK_OK(vl_mem_put(m, "x", 1, b, 8, 0));
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_hang(m, true);
    static read_out early;
    CHECK_OK(vl_read(svc, "x", 1, counter_read, &early));
    test_sleep_ms(5);
    waitdone w = {0, 0};
    CHECK_OK(vl_clear(svc, on_done, &w));
    CHECK_ST(vl_clear(svc, NULL, NULL), VL_EBUSY); /* one at a time */
    test_sleep_ms(20);
    CHECK_EQ(atomic_load(&w.fired), 0); /* waits for the load */
    /* A request meanwhile waits in the mailbox and runs after the clear. */
    static read_out later;
    CHECK_OK(vl_read(svc, "x", 1, counter_read, &later));
    vl_mem_hang(m, false);
    CHECK_OK(wait_for(&w));
    read_out now;
    CHECK_ST(vl_read_sync(svc, "x", 1, counter_read, &now), VL_ENOTFOUND);
    CHECK_EQ(vl_mem_count(m), 0);
    CHECK_OK(vl_close(svc, NULL)); /* every callback has run */
    CHECK_EQ(early.value, 9);      /* requested before: saw the old row */
    CHECK_ST(later.st, VL_ENOTFOUND);
    vl_mem_free(m);
}

static void test_refusals_and_failures(void) {
    vl_mem *m = vl_mem_new(4);
    /* An upstream without truncate: VL_EINVAL, nothing happens. */
    vl_upstream base = vl_mem_upstream(m);
    vl_upstream_ops ops = *base.ops;
    ops.truncate = NULL;
    vl_upstream up = {&ops, m, NULL};
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = NULL;
    CHECK_OK(vl_open(&o, &counter_type_absent, &up, &svc));
    CHECK_ST(vl_clear(svc, NULL, NULL), VL_EINVAL);
    CHECK_OK(vl_close(svc, NULL));
    /* A failing truncate: done gets the failure; the cache is empty. */
    svc = test_open(m, &counter_type_absent, &o);
    set_arg a = {3, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "a", 1, counter_set, &a));
    vl_mem_crash(m);
    CHECK_ST(clear_sync(svc), VL_EUNAVAILABLE);
    vl_mem_recover(m);
    CHECK_EQ(vl_mem_count(m), 1); /* the row survived the failed truncate */
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.keys, 0);
    CHECK_OK(clear_sync(svc)); /* and a later clear works */
    CHECK_EQ(vl_mem_count(m), 0);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

/* vl_shutdown during a clear: the clear finishes, then the shutdown. */
static void test_shutdown_during_clear(void) {
    vl_mem *m = vl_mem_new(5);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_hang(m, true);
    static set_count sc;
    sc.set = (set_arg){1, 0, vl_immediate()};
    CHECK_OK(vl_write(svc, "q", 1, sc_write, sc_done, &sc));
    test_sleep_ms(5);
    waitdone w = {0, 0};
    CHECK_OK(vl_clear(svc, on_done, &w));
    waitdone sd = {0, 0};
    CHECK_OK(vl_shutdown(svc, on_done, &sd));
    CHECK_ST(vl_clear(svc, NULL, NULL), VL_ECLOSED);
    test_sleep_ms(20);
    CHECK_EQ(atomic_load(&w.fired), 0);
    vl_mem_hang(m, false);
    CHECK_OK(wait_for(&w));
    CHECK_OK(wait_for(&sd));
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(atomic_load(&sc.done.ok), 1);
    CHECK_EQ(vl_mem_count(m), 0);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_clears_cache_and_upstream);
    RUN(test_inflight_commits_cannot_resurrect);
    RUN(test_inflight_load_cannot_resurrect);
    RUN(test_refusals_and_failures);
    RUN(test_shutdown_during_clear);
    return 0;
}
