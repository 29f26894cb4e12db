/*
 * test_write_blind.c -- vl_write_blind: an overwrite of a cold key loads
 * nothing and replaces the upstream's value (even one that would not
 * decode); a function that writes nothing caches nothing; a resident key
 * is written as by vl_write; a blind write waits for a load in flight.
 *
 * Owns: its services and stores. Threads: the test thread and the shards.
 */
#include "svc.h"

/* Sets the value to a->value, or (value < 0) writes nothing. */
static vl_policy maybe_set(void *arg, vl_mut *m) {
    set_arg *a = arg;
    if (a->value < 0) return vl_noop();
    return counter_set(arg, m);
}

typedef struct blind {
    set_arg set;
    _Atomic int fired, status, saw_present;
} blind;

static vl_policy blind_fn(void *arg, vl_mut *m) {
    blind *b = arg;
    atomic_store(&b->saw_present, m->present ? 1 : 0);
    return maybe_set(&b->set, m);
}

static void blind_done(void *arg, vl_status st) {
    blind *b = arg;
    atomic_store(&b->status, (int)st);
    atomic_store(&b->fired, 1);
}

static vl_status blind_sync(vl_service *svc, const char *k, blind *b) {
    atomic_store(&b->fired, 0);
    vl_status st = vl_write_blind(svc, k, strlen(k), blind_fn, blind_done, b);
    if (st != VL_OK) return st;
    while (!atomic_load(&b->fired)) test_sleep_ms(1);
    return (vl_status)atomic_load(&b->status);
}

static void test_cold_overwrite_loads_nothing(void) {
    vl_mem *m = vl_mem_new(1);
    uint8_t b8[8];
    counter_bytes(5, b8);
    CHECK_OK(vl_mem_put(m, "k", 1, b8, 8, 0));
    CHECK_OK(vl_mem_put(m, "bad", 3, "xyz", 3, 0)); /* does not decode */
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    blind b = {{9, 0, vl_immediate()}, 0, 0, -1};
    CHECK_OK(blind_sync(svc, "k", &b));
    CHECK_EQ(atomic_load(&b.saw_present), 0);
    CHECK_EQ(vl_mem_key_loads(m, "k", 1), 0);
    CHECK_EQ(test_stored(m, "k", 1), 9);
    read_out r;
    CHECK_OK(vl_read_sync(svc, "k", 1, counter_read, &r));
    CHECK_EQ(r.value, 9);
    CHECK_EQ(vl_mem_key_loads(m, "k", 1), 0); /* resident now */
    /* vl_write cannot get past a corrupt row; a blind write replaces it. */
    set_arg a = {1, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "bad", 3, counter_set, &a), VL_ECORRUPT);
    CHECK_OK(blind_sync(svc, "bad", &b));
    CHECK_EQ(test_stored(m, "bad", 3), 9);
    /* A resident key: the function sees its value. */
    b.set.value = 10;
    CHECK_OK(blind_sync(svc, "k", &b));
    CHECK_EQ(atomic_load(&b.saw_present), 1);
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(test_stored(m, "k", 1), 10);
    vl_mem_free(m);
}

static void test_writing_nothing_caches_nothing(void) {
    vl_mem *m = vl_mem_new(2);
    uint8_t b8[8];
    counter_bytes(7, b8);
    CHECK_OK(vl_mem_put(m, "k", 1, b8, 8, 0));
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    blind b = {{-1, 0, vl_immediate()}, 0, 0, -1};
    CHECK_OK(blind_sync(svc, "k", &b));
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.keys, 0);
    read_out r; /* "absent" was not cached: the read loads the row */
    CHECK_OK(vl_read_sync(svc, "k", 1, counter_read, &r));
    CHECK_EQ(r.value, 7);
    CHECK_EQ(vl_mem_key_loads(m, "k", 1), 1);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_waits_for_a_load_in_flight(void) {
    vl_mem *m = vl_mem_new(3);
    uint8_t b8[8];
    counter_bytes(3, b8);
    CHECK_OK(vl_mem_put(m, "k", 1, b8, 8, 0));
    vl_options o;
    test_options(&o, 1);
    vl_service *svc = test_open(m, &counter_type_absent, &o);
    vl_mem_hang(m, true);
    static read_out early;
    CHECK_OK(vl_read(svc, "k", 1, counter_read, &early));
    test_sleep_ms(5);
    static blind b;
    b = (blind){{11, 0, vl_within(10)}, 0, 0, -1};
    CHECK_OK(vl_write_blind(svc, "k", 1, blind_fn, blind_done, &b));
    test_sleep_ms(10);
    CHECK_EQ(atomic_load(&b.fired), 0); /* queued behind the load */
    vl_mem_hang(m, false);
    while (!atomic_load(&b.fired)) test_sleep_ms(1);
    CHECK_EQ(atomic_load(&b.saw_present), 1); /* ran on the loaded value */
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(early.value, 3);
    CHECK_EQ(test_stored(m, "k", 1), 11);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_cold_overwrite_loads_nothing);
    RUN(test_writing_nothing_caches_nothing);
    RUN(test_waits_for_a_load_in_flight);
    return 0;
}
