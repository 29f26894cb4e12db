/*
 * test_cass_upstream_faults.c -- the Cassandra upstream's error paths seen
 * from the cache, through the fault injector (a fake CQL endpoint; the real
 * node's tests are in tests/cassandra): retryable server errors are retried
 * by the commit policy until the write lands, Unprepared is invisible,
 * Syntax/Invalid reach the IMMEDIATE writer as they are (and the value is
 * kept), a connection dropped mid-commit is reconnected and the write
 * retried, a load that times out fails its readers and the next one works,
 * and credentials are checked at open.
 *
 * Owns: a service and a fault injector per test. Threads: the test thread,
 * the shards, the injector's thread.
 */
#include "cass_env.h"
#include "cql_fault.h"

static vl_service *open_fake(cql_fault *f, uint32_t request_timeout_ms, const char *user,
                             const char *pass, vl_status *st_out) {
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    co.port = cql_fault_port(f);
    co.keyspace = "ks";
    co.table = "t";
    co.create = true;
    co.request_timeout_ms = request_timeout_ms;
    co.user = user;
    co.password = pass;
    vl_options o;
    /* An open expected to fail uses one shard: when a shard's open fails
     * while another shard thread is still creating its loop, the file
     * descriptor numbers one closes and the other gets are reused across
     * threads, which ThreadSanitizer reports as a race on the descriptor. */
    test_options(&o, st_out ? 1 : 2);
    o.log = test_log_sink;
    o.retry.immediate_attempts = 6;
    vl_upstream up;
    CHECK_OK(vl_cassandra_upstream(&co, &up));
    vl_service *svc = NULL;
    vl_status st = vl_open(&o, &counter_type, &up, &svc);
    if (st != VL_OK) up.release(up.ctx);
    if (st_out) *st_out = st;
    else CHECK_OK(st);
    return svc;
}

static int64_t fake_counter(cql_fault *f, const char *k) {
    vl_buf b = {0};
    if (cql_fault_get(f, k, strlen(k), &b) != VL_OK) return -1;
    CHECK_EQ(b.len, 8);
    int64_t v = counter_from_bytes(b.data);
    vl_buf_free(&b);
    return v;
}

static uint64_t retries(vl_service *svc) {
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    return s.retries;
}

/* An IMMEDIATE write whose first commits fail with `code` succeeds once the
 * error stops, because the status is retryable. */
static void retried_through(int32_t code, uint32_t times) {
    cql_fault *f = cql_fault_start();
    vl_service *svc = open_fake(f, 0, NULL, NULL, NULL);
    cql_fault_error_next(f, CF_WRITES, times, code);
    set_arg a = {11, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "r", 1, counter_set, &a));
    CHECK_EQ(fake_counter(f, "r"), 11);
    CHECK_EQ(retries(svc), times);
    cql_fault_counts n;
    cql_fault_counts_get(f, &n);
    CHECK_EQ(n.errors, times);
    CHECK_OK(vl_close(svc, NULL));
    cql_fault_stop(f);
}

static void test_write_timeout_is_retried(void) { retried_through(0x1100, 2); }
static void test_overloaded_is_retried(void) { retried_through(0x1001, 3); }
static void test_unavailable_is_retried(void) { retried_through(0x1000, 1); }

static void test_unprepared_is_invisible(void) {
    cql_fault *f = cql_fault_start();
    vl_service *svc = open_fake(f, 0, NULL, NULL, NULL);
    cql_fault_forget_prepared(f);
    set_arg a = {5, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "u", 1, counter_set, &a));
    CHECK_EQ(fake_counter(f, "u"), 5);
    CHECK_EQ(retries(svc), 0); /* re-prepared inside the client: no commit failed */
    CHECK_OK(vl_close(svc, NULL));
    cql_fault_stop(f);
}

static void test_syntax_and_invalid_are_reported(void) {
    cql_fault *f = cql_fault_start();
    vl_service *svc = open_fake(f, 0, NULL, NULL, NULL);
    cql_fault_error_next(f, CF_WRITES, 1, 0x2200);
    set_arg a = {6, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "q", 1, counter_set, &a), VL_EQUERY);
    CHECK(test_log_contains("Invalid"));
    cql_fault_error_next(f, CF_WRITES, 1, 0x2000);
    set_arg b = {7, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(svc, "q", 1, counter_set, &b), VL_EQUERY);
    /* (its log line is rate-limited: one a second per shard) */
    /* Reported, but the value is kept dirty and lands when the error stops. */
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(fake_counter(f, "q"), 7);
    CHECK_OK(vl_close(svc, NULL));
    cql_fault_stop(f);
}

static void test_dropped_connection_mid_commit(void) {
    cql_fault *f = cql_fault_start();
    vl_service *svc = open_fake(f, 0, NULL, NULL, NULL);
    cql_fault_counts before, after;
    cql_fault_counts_get(f, &before);
    cql_fault_drop_next(f, CF_WRITES, 1);
    set_arg a = {8, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "d", 1, counter_set, &a));
    CHECK_EQ(fake_counter(f, "d"), 8);
    cql_fault_counts_get(f, &after);
    CHECK_EQ(after.drops, 1);
    CHECK_EQ(after.connections, before.connections + 1); /* reconnected */
    CHECK_EQ(retries(svc), 1);
    CHECK_OK(vl_close(svc, NULL));
    cql_fault_stop(f);
}

/* Many keys in one batch, some failing: each key's outcome is its own. */
static void test_per_item_statuses(void) {
    cql_fault *f = cql_fault_start();
    vl_service *svc = open_fake(f, 0, NULL, NULL, NULL);
    cql_fault_error_next(f, CF_WRITES, 3, 0x1100);
    char k[32];
    for (int i = 0; i < 50; i++) {
        int n = snprintf(k, sizeof k, "b%d", i);
        set_arg a = {i, 0, vl_within(20)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    CHECK_OK(vl_flush_sync(svc));
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof k, "b%d", i);
        CHECK_EQ(fake_counter(f, k), i);
    }
    CHECK_EQ(retries(svc), 3); /* only the three failed keys went again */
    CHECK_OK(vl_close(svc, NULL));
    cql_fault_stop(f);
}

static void test_load_timeout_and_errors(void) {
    cql_fault *f = cql_fault_start();
    vl_service *svc = open_fake(f, 200, NULL, NULL, NULL);
    set_arg a = {3, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "L", 1, counter_set, &a));
    CHECK_OK(vl_evict_sync(svc, "L", 1));
    cql_fault_hang_next(f, CF_READS, 1, 0);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "L", 1, counter_read, &r), VL_ETIMEOUT);
    cql_fault_error_next(f, CF_READS, 1, 0x1200);
    CHECK_ST(vl_read_sync(svc, "L", 1, counter_read, &r), VL_ETIMEOUT);
    cql_fault_error_next(f, CF_READS, 1, 0x1001);
    CHECK_ST(vl_read_sync(svc, "L", 1, counter_read, &r), VL_EOVERLOADED);
    CHECK_OK(vl_read_sync(svc, "L", 1, counter_read, &r));
    CHECK_EQ(r.value, 3);
    CHECK_OK(vl_close(svc, NULL));
    cql_fault_stop(f);
}

static void test_credentials(void) {
    cql_fault *f = cql_fault_start();
    cql_fault_require_auth(f, "app", "pw");
    vl_service *svc = open_fake(f, 0, "app", "pw", NULL);
    set_arg a = {1, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "a", 1, counter_set, &a));
    CHECK_OK(vl_close(svc, NULL));
    vl_status st;
    CHECK(open_fake(f, 0, "app", "wrong", &st) == NULL);
    CHECK_ST(st, VL_EAUTH);
    CHECK(open_fake(f, 0, NULL, NULL, &st) == NULL);
    CHECK_ST(st, VL_EAUTH);
    cql_fault_stop(f);
}

static void test_refused_prepare_is_a_schema_error(void) {
    cql_fault *f = cql_fault_start();
    cql_fault_refuse_prepare(f, true);
    vl_status st;
    CHECK(open_fake(f, 0, NULL, NULL, &st) == NULL);
    CHECK_ST(st, VL_ESCHEMA);
    CHECK(test_log_contains("unconfigured table"));
    cql_fault_stop(f);
}

int main(void) {
    RUN(test_write_timeout_is_retried);
    RUN(test_overloaded_is_retried);
    RUN(test_unavailable_is_retried);
    RUN(test_unprepared_is_invisible);
    RUN(test_syntax_and_invalid_are_reported);
    RUN(test_dropped_connection_mid_commit);
    RUN(test_per_item_statuses);
    RUN(test_load_timeout_and_errors);
    RUN(test_credentials);
    RUN(test_refused_prepare_is_a_schema_error);
    return 0;
}
