/*
 * test_basic.c -- the core operations end to end on the memory upstream:
 * read-through, write-back with each policy, delete, evict, flush, close.
 *
 * Owns: its own services and stores. Threads: the test thread plus the
 * service's shards.
 */
#include "check.h"
#include "counter.h"
#include "vellir_memory.h"

static vl_service *open_svc(vl_mem *m, const vl_type *t, uint32_t shards) {
    vl_options o;
    vl_options_init(&o);
    o.shards = shards;
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc = NULL;
    CHECK_OK(vl_open(&o, t, &up, &svc));
    return svc;
}

static int64_t stored(vl_mem *m, const char *key) {
    vl_buf b = {0};
    if (vl_mem_get(m, key, strlen(key), &b, NULL) != VL_OK) return -1;
    CHECK_EQ(b.len, 8);
    int64_t v = counter_from_bytes(b.data);
    vl_buf_free(&b);
    return v;
}

static void test_read_through(void) {
    vl_mem *m = vl_mem_new(1);
    uint8_t b[8];
    counter_bytes(41, b);
    CHECK_OK(vl_mem_put(m, "a", 1, b, 8, 0));
    vl_service *svc = open_svc(m, &counter_type, 2);
    read_out r;
    CHECK_OK(vl_read_sync(svc, "a", 1, counter_read, &r));
    CHECK_EQ(r.value, 41);
    CHECK_OK(vl_read_sync(svc, "a", 1, counter_read, &r));
    CHECK_EQ(vl_mem_key_loads(m, "a", 1), 1);
    /* A key the upstream lacks: init gives 0, and it is cached. */
    CHECK_OK(vl_read_sync(svc, "zz", 2, counter_read, &r));
    CHECK_EQ(r.value, 0);
    CHECK_OK(vl_read_sync(svc, "zz", 2, counter_read, &r));
    CHECK_EQ(vl_mem_key_loads(m, "zz", 2), 1);
    CHECK_ST(vl_read_cached_sync(svc, "nope", 4, counter_read, &r), VL_ENOTCACHED);
    CHECK_EQ(vl_mem_key_loads(m, "nope", 4), 0);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_started, 2);
    CHECK_EQ(s.hits, 2);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_absent_type(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_svc(m, &counter_type_absent, 1);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "k", 1, counter_read, &r), VL_ENOTFOUND);
    incr_arg inc = {5, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "k", 1, counter_incr, &inc));
    CHECK_EQ(stored(m, "k"), 5);
    CHECK_OK(vl_read_sync(svc, "k", 1, counter_read, &r));
    CHECK_EQ(r.value, 5);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_policies(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_svc(m, &counter_type, 2);
    incr_arg imm = {1, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "i", 1, counter_incr, &imm));
    CHECK_EQ(stored(m, "i"), 1); /* IMMEDIATE: in the upstream on completion */
    incr_arg within = {2, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "w", 1, counter_incr, &within));
    CHECK_EQ(stored(m, "w"), -1); /* not yet: a minute to go */
    incr_arg noop = {3, vl_noop()};
    CHECK_OK(vl_write_sync(svc, "n", 1, counter_incr, &noop));
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.dirty_keys, 1);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(stored(m, "w"), 2);
    CHECK_EQ(stored(m, "n"), -1); /* NOOP never reaches the upstream */
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.dirty_keys, 0);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_delete_and_evict(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_svc(m, &counter_type_absent, 2);
    set_arg set = {7, 0, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "d", 1, counter_set, &set));
    CHECK_OK(vl_evict_sync(svc, "d", 1)); /* dirty: committed, then dropped */
    CHECK_EQ(stored(m, "d"), 7);
    read_out r;
    CHECK_ST(vl_read_cached_sync(svc, "d", 1, counter_read, &r), VL_ENOTCACHED);
    CHECK_OK(vl_read_sync(svc, "d", 1, counter_read, &r));
    CHECK_EQ(r.value, 7);
    CHECK_EQ(vl_mem_key_loads(m, "d", 1), 2);
    CHECK_OK(vl_delete_sync(svc, "d", 1, vl_immediate()));
    CHECK_EQ(stored(m, "d"), -1);
    CHECK_ST(vl_read_sync(svc, "d", 1, counter_read, &r), VL_ENOTFOUND);
    /* A delete of a key never loaded needs no load. */
    CHECK_OK(vl_mem_put(m, "x", 1, "12345678", 8, 0));
    CHECK_OK(vl_delete_sync(svc, "x", 1, vl_immediate()));
    CHECK_EQ(vl_mem_key_loads(m, "x", 1), 0);
    CHECK_EQ(stored(m, "x"), -1);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_close_commits(void) {
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_svc(m, &counter_type, 2);
    for (int i = 0; i < 1000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%d", i);
        incr_arg a = {i, vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_incr, &a));
    }
    vl_close_report rep;
    CHECK_OK(vl_close(svc, &rep));
    CHECK_EQ(rep.uncommitted, 0);
    CHECK_EQ(vl_mem_count(m), 1000);
    CHECK_EQ(stored(m, "k999"), 999);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_read_through);
    RUN(test_absent_type);
    RUN(test_policies);
    RUN(test_delete_and_evict);
    RUN(test_close_commits);
    return 0;
}
