/*
 * test_bad_input.c -- invariant 7 (docs/invariants.md) for the library:
 * corrupt stored bytes, oversized keys and values, and bad arguments get a
 * clear status, change nothing, and the shard keeps serving.
 *
 * Owns: its services and stores. Threads: the test thread + the shards.
 */
#include "svc.h"

static void test_corrupt_bytes_fail_the_read_and_name_the_key(void) {
    vl_mem *m = vl_mem_new(4);
    CHECK_OK(vl_mem_put(m, "bad-key", 7, "xyz", 3, 0)); /* not 8 bytes */
    uint8_t b[8];
    counter_bytes(3, b);
    CHECK_OK(vl_mem_put(m, "good", 4, b, 8, 0));
    vl_options o;
    test_options(&o, 1);
    o.log = test_log_sink;
    vl_service *svc = test_open(m, &counter_type, &o);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "bad-key", 7, counter_read, &r), VL_ECORRUPT);
    CHECK(test_log_contains("key 'bad-key': stored value is corrupt"));
    incr_arg inc = {1, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "bad-key", 7, counter_incr, &inc), VL_ECORRUPT);
    CHECK_ST(vl_read_cached_sync(svc, "bad-key", 7, counter_read, &r), VL_ENOTCACHED);
    vl_buf raw = {0};
    CHECK_OK(vl_mem_get(m, "bad-key", 7, &raw, NULL)); /* unchanged upstream */
    CHECK_EQ(raw.len, 3);
    vl_buf_free(&raw);
    CHECK_OK(vl_read_sync(svc, "good", 4, counter_read, &r)); /* still serving */
    CHECK_EQ(r.value, 3);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.corrupt, 2);
    CHECK_OK(vl_close(svc, NULL));
    vl_mem_free(m);
}

static void test_limits_and_arguments(void) {
    vl_mem *m = vl_mem_new(4);
    vl_options o;
    test_options(&o, 1);
    o.value_max = 4; /* smaller than a counter's 8 bytes */
    o.close_timeout_ms = 100;
    o.log = test_log_sink;
    vl_service *svc = test_open(m, &counter_type, &o);
    static char big[VL_KEY_MAX + 1];
    read_out r;
    CHECK_ST(vl_read(svc, big, sizeof big, counter_read, &r), VL_ETOOBIG);
    CHECK_ST(vl_read(svc, NULL, 3, counter_read, &r), VL_EINVAL);
    CHECK_ST(vl_read(svc, "k", 1, NULL, NULL), VL_EINVAL);
    CHECK_ST(vl_write(svc, "k", 1, NULL, NULL, NULL), VL_EINVAL);
    /* A key of exactly VL_KEY_MAX bytes is fine (and goes by the heap path). */
    CHECK_OK(vl_read_sync(svc, big, VL_KEY_MAX, counter_read, &r));
    /* A value whose encoding exceeds value_max cannot be committed: the
     * IMMEDIATE writer hears why, the value stays dirty in memory. */
    set_arg a = {1, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "v", 1, counter_set, &a), VL_ETOOBIG);
    CHECK(test_log_contains("key 'v': cannot commit"));
    CHECK_OK(vl_read_cached_sync(svc, "v", 1, counter_read, &r));
    CHECK_EQ(r.value, 1);
    CHECK_EQ(test_stored(m, "v", 1), -1);
    vl_close_report rep;
    CHECK_ST(vl_close(svc, &rep), VL_EUNCOMMITTED);
    CHECK_EQ(rep.uncommitted, 1);
    vl_mem_free(m);
}

static void test_bad_options_are_refused(void) {
    vl_mem *m = vl_mem_new(4);
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc = NULL;
    vl_options o;
    test_options(&o, 1);
    o.log = test_log_sink;
    o.shards = VL_SHARDS_MAX + 1;
    CHECK_ST(vl_open(&o, &counter_type, &up, &svc), VL_EINVAL);
    char want[96];
    snprintf(want, sizeof want, "shards = %u is outside [1, %u]", VL_SHARDS_MAX + 1, VL_SHARDS_MAX);
    CHECK(test_log_contains(want));
    test_options(&o, 1);
    o.log = test_log_sink;
    o.default_policy = VL_DELETE;
    CHECK_ST(vl_open(&o, &counter_type, &up, &svc), VL_EINVAL);
    vl_type t = counter_type;
    t.size = 0;
    CHECK_ST(vl_open(NULL, &t, &up, &svc), VL_EINVAL);
    CHECK(svc == NULL);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_corrupt_bytes_fail_the_read_and_name_the_key);
    RUN(test_limits_and_arguments);
    RUN(test_bad_options_are_refused);
    return 0;
}
