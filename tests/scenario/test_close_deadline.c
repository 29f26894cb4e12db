/*
 * test_close_deadline.c -- vl_close ends at close_timeout_ms even when the
 * upstream fails every commit quickly and asynchronously: the keys it could
 * not commit are counted and handed to on_uncommitted. (Before the fix, a
 * failed key was resent at once after the deadline and was always in flight
 * when the shard looked, so close never ended.)
 *
 * Owns: its service and store. Threads: the test thread plus the shards and
 * the store's worker; an alarm fails the test if close hangs.
 */
#include <unistd.h>

#include "svc.h"

static _Atomic uint64_t handed;
static void on_uncommitted(void *arg, const void *k, size_t kl, const uint8_t *b, size_t n) {
    (void)arg, (void)k, (void)kl, (void)b, (void)n;
    atomic_fetch_add(&handed, 1);
}

static void test_close_ends_at_deadline_with_async_failures(void) {
    vl_mem *m = vl_mem_new(5);
    vl_mem_set_latency(m, 200, 500); /* completes later, on the store's worker */
    vl_mem_set_error_rate(m, VL_MEM_COMMITS, 1.0, VL_EUNAVAILABLE);
    vl_options o;
    test_options(&o, 2);
    o.close_timeout_ms = 100;
    o.on_uncommitted = on_uncommitted;
    o.log = test_log_sink;
    vl_service *svc = test_open(m, &counter_type, &o);
    for (int i = 0; i < 20; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%d", i);
        set_arg a = {i, 0, vl_within(1)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    alarm(20); /* a hang is a failure */
    double t0 = check_now_s();
    vl_close_report rep;
    CHECK_ST(vl_close(svc, &rep), VL_EUNCOMMITTED);
    alarm(0);
    CHECK(check_now_s() - t0 < 5.0);
    CHECK_EQ(rep.uncommitted, 20);
    CHECK_EQ(atomic_load(&handed), 20);
    vl_mem_free(m);
}

int main(void) {
    RUN(test_close_ends_at_deadline_with_async_failures);
    return 0;
}
