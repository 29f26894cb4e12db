/*
 * test_close_deadline_permanent.c -- vl_close gives up at close_timeout_ms on a key
 * whose commit fails for good, reports it, and returns: it must not re-send
 * the key forever once the deadline has passed.
 *
 * Owns: its service and store. Threads: the test thread and the shards.
 */
#include "svc.h"

static int handed_over;

static void on_uncommitted(void *arg, const void *key, size_t len, const uint8_t *b, size_t n) {
    (void)arg, (void)b, (void)n;
    if (len == 1 && memcmp(key, "p", 1) == 0) handed_over++;
}

static void test_permanent_failure_is_given_up_at_the_deadline(void) {
    vl_mem *m = vl_mem_new(5);
    vl_mem_set_error_rate(m, VL_MEM_COMMITS, 1.0, VL_EQUERY);
    vl_options o;
    test_options(&o, 1);
    o.close_timeout_ms = 200;
    o.log = test_log_sink;
    o.on_uncommitted = on_uncommitted;
    vl_service *svc = test_open(m, &counter_type, &o);
    set_arg a = {7, 0, vl_within(10)};
    CHECK_OK(vl_write_sync(svc, "p", 1, counter_set, &a));
    double t0 = check_now_s();
    vl_close_report rep;
    CHECK_ST(vl_close(svc, &rep), VL_EUNCOMMITTED);
    CHECK_EQ(rep.uncommitted, 1);
    CHECK_EQ(handed_over, 1);
    CHECK(check_now_s() - t0 < 5.0);
    CHECK_EQ(test_stored(m, "p", 1), -1);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_permanent_failure_is_given_up_at_the_deadline);
    return 0;
}
