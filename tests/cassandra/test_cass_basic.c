/*
 * test_cass_basic.c -- the Cassandra upstream against the real test node:
 * load, commit, delete, TTL expiry, an already-expired item, restart of the
 * service, text keys (new and existing tables), vl_clear (TRUNCATE), and
 * the errors vl_open reports (with the contact points it could not reach).
 *
 * Owns: its tables in keyspace vellir_test (dropped and recreated here).
 * Threads: the test thread, the shards, and a direct client on the test
 * thread's own loop.
 */
#include "cass_env.h"
#include "util/clock.h"

static cass_direct *db;

static void fresh_table(const char *t) {
    char q[256];
    snprintf(q, sizeof q, "DROP TABLE IF EXISTS " TEST_KEYSPACE ".%s", t);
    CHECK_OK(cd_exec(db, q));
}

static vl_service *open_on(const char *table, uint32_t shards) {
    vl_cassandra_options co;
    cass_test_options(&co, table);
    vl_options o;
    test_options(&o, shards);
    return cass_test_open(&co, &counter_type_absent, &o);
}

static void test_load_commit_delete(void) {
    fresh_table("basic");
    vl_service *svc = open_on("basic", 2);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "k1", 2, counter_read, &r), VL_ENOTFOUND);
    int64_t before = vl__wall_us();
    set_arg a = {42, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "k1", 2, counter_set, &a));
    int64_t wt = 0;
    vl_buf b = {0};
    CHECK_OK(cd_get(db, "basic", "k1", 2, &b, NULL, &wt));
    CHECK_EQ(b.len, 8);
    CHECK_EQ(counter_from_bytes(b.data), 42);
    vl_buf_free(&b);
    /* The client timestamp is the write's own time. */
    CHECK(wt >= before && wt <= vl__wall_us());
    CHECK_OK(vl_delete_sync(svc, "k1", 2, vl_immediate()));
    CHECK_ST(cd_get(db, "basic", "k1", 2, NULL, NULL, NULL), VL_ENOTFOUND);
    CHECK_ST(vl_read_sync(svc, "k1", 2, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
}

static void test_restart_of_the_service(void) {
    fresh_table("restart");
    vl_service *svc = open_on("restart", 2);
    char k[32];
    for (int i = 0; i < 300; i++) {
        int n = snprintf(k, sizeof k, "key-%d", i);
        set_arg a = {i * 7, 0, vl_within(50)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    CHECK_OK(vl_close(svc, NULL));
    svc = open_on("restart", 3); /* another shard count: keys land elsewhere */
    for (int i = 0; i < 300; i++) {
        int n = snprintf(k, sizeof k, "key-%d", i);
        read_out r;
        CHECK_OK(vl_read_sync(svc, k, (size_t)n, counter_read, &r));
        CHECK_EQ(r.value, i * 7);
        CHECK_EQ(r.expires_at, 0);
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_started, 300);
    CHECK_OK(vl_close(svc, NULL));
}

static void test_ttl_expiry(void) {
    fresh_table("ttl");
    vl_service *svc = open_on("ttl", 1);
    int64_t exp = vl__wall_ms() + 2500;
    set_arg a = {5, exp, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "t", 1, counter_set, &a));
    int32_t ttl = 0;
    CHECK_OK(cd_get(db, "ttl", "t", 1, NULL, &ttl, NULL));
    CHECK(ttl >= 2 && ttl <= 3); /* rounded up: never before the cache's expiry */
    CHECK_OK(vl_close(svc, NULL));
    /* A fresh service loads it back with its expiry (to the second). */
    svc = open_on("ttl", 1);
    read_out r;
    CHECK_OK(vl_read_sync(svc, "t", 1, counter_read, &r));
    CHECK_EQ(r.value, 5);
    CHECK(r.expires_at >= exp - 1000 && r.expires_at <= exp + 1000);
    CHECK_OK(vl_close(svc, NULL));
    /* After the expiry the row is gone, and a fresh service finds nothing. */
    while (vl__wall_ms() < exp + 1200) test_sleep_ms(100);
    CHECK_ST(cd_get(db, "ttl", "t", 1, NULL, NULL, NULL), VL_ENOTFOUND);
    svc = open_on("ttl", 1);
    CHECK_ST(vl_read_sync(svc, "t", 1, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
}

/* An item whose expiry passed before its commit went out is a DELETE: the
 * older, unexpiring value in the table must not survive it. */
static void test_expired_item_is_a_delete(void) {
    fresh_table("expired");
    vl_service *svc = open_on("expired", 1);
    set_arg a = {1, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "e", 1, counter_set, &a));
    CHECK_EQ(cd_counter(db, "expired", "e"), 1);
    set_arg b = {2, vl__wall_ms() + 100, vl_within(60000)};
    CHECK_OK(vl_write_sync(svc, "e", 1, counter_set, &b));
    test_sleep_ms(300);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(cd_counter(db, "expired", "e"), -1);
    CHECK_OK(vl_close(svc, NULL));
}

static void test_text_keys(void) {
    fresh_table("textkeys");
    vl_cassandra_options co;
    cass_test_options(&co, "textkeys");
    co.key_type = VL_CASSANDRA_KEY_TEXT;
    vl_options o;
    test_options(&o, 1);
    o.close_timeout_ms = 300;
    vl_service *svc = cass_test_open(&co, &counter_type_absent, &o);
    const char *k = "h\xc3\xa9llo";
    set_arg a = {9, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, k, strlen(k), counter_set, &a));
    CHECK_EQ(cd_counter(db, "textkeys", k), 9);
    /* A key that is not UTF-8 cannot be in a text column: its load fails
     * (so a write, which loads first, fails too and leaves nothing dirty)... */
    CHECK_ST(vl_write_sync(svc, "\xff\xfe", 2, counter_set, &a), VL_EINVAL);
    read_out r;
    CHECK_ST(vl_read_sync(svc, "\xc0", 1, counter_read, &r), VL_EINVAL);
    /* ...and a delete, which needs no load, is refused by its commit: the
     * writer hears it, and close reports the key it could not commit. */
    CHECK_ST(vl_delete_sync(svc, "\xff", 1, vl_immediate()), VL_EINVAL);
    vl_close_report rep;
    CHECK_ST(vl_close(svc, &rep), VL_EUNCOMMITTED);
    CHECK_EQ(rep.uncommitted, 1);
}

/* A text-keyed table made by someone else, with a row written by plain CQL. */
static void test_existing_text_table(void) {
    fresh_table("legacy");
    CHECK_OK(cd_exec(db, "CREATE TABLE " TEST_KEYSPACE ".legacy (key text PRIMARY KEY, value blob)"));
    uint8_t v[8];
    counter_bytes(1234, v);
    cql_value vals[2] = {vl__cql_text("old-row"), vl__cql_blob(v, 8)};
    CHECK_OK(cd_exec_values(db, "INSERT INTO " TEST_KEYSPACE ".legacy (key, value) VALUES (?, ?)",
                            vals, 2));
    vl_cassandra_options co;
    cass_test_options(&co, "legacy");
    co.key_type = VL_CASSANDRA_KEY_TEXT;
    co.create = false;
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = cass_test_open(&co, &counter_type_absent, &o);
    read_out r;
    CHECK_OK(vl_read_sync(svc, "old-row", 7, counter_read, &r));
    CHECK_EQ(r.value, 1234);
    incr_arg inc = {1, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "old-row", 7, counter_incr, &inc));
    CHECK_EQ(cd_counter(db, "legacy", "old-row"), 1235);
    CHECK_OK(vl_close(svc, NULL));
}

/* vl_clear empties the table, rows the cache never loaded included, and
 * drops dirty keys before they reach it. */
static void test_clear_truncates(void) {
    fresh_table("clear");
    vl_service *svc = open_on("clear", 2);
    uint8_t v[8];
    counter_bytes(77, v);
    cql_value vals[2] = {vl__cql_blob("cold", 4), vl__cql_blob(v, 8)};
    CHECK_OK(cd_exec_values(db, "INSERT INTO " TEST_KEYSPACE ".clear (key, value) VALUES (?, ?)",
                            vals, 2));
    char k[32];
    for (int i = 0; i < 40; i++) {
        int n = snprintf(k, sizeof k, "c%d", i);
        set_arg a = {i, 0, i % 2 ? vl_immediate() : vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, counter_set, &a));
    }
    CHECK_EQ(cd_counter(db, "clear", "c1"), 1);
    CHECK_OK(cass_clear_sync(svc));
    CHECK_EQ(cd_counter(db, "clear", "cold"), -1);
    for (int i = 0; i < 40; i++) {
        snprintf(k, sizeof k, "c%d", i);
        CHECK_EQ(cd_counter(db, "clear", k), -1);
    }
    read_out r;
    CHECK_ST(vl_read_sync(svc, "c1", 2, counter_read, &r), VL_ENOTFOUND);
    CHECK_ST(vl_read_sync(svc, "cold", 4, counter_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL)); /* the WITHIN writes were cleared, not left dirty */
    CHECK_EQ(cd_counter(db, "clear", "c2"), -1);
}

static vl_status try_open(vl_cassandra_options *co) {
    vl_options o;
    test_options(&o, 2);
    o.log = test_log_sink;
    vl_upstream up;
    CHECK_OK(vl_cassandra_upstream(co, &up));
    vl_service *svc = NULL;
    vl_status st = vl_open(&o, &counter_type, &up, &svc);
    if (st == VL_OK) CHECK_OK(vl_close(svc, NULL));
    else if (up.release) up.release(up.ctx);
    return st;
}

static void test_open_errors(void) {
    vl_cassandra_options co;
    cass_test_options(&co, "nosuchtable");
    co.create = false;
    fresh_table("nosuchtable");
    CHECK_ST(try_open(&co), VL_ESCHEMA);
    CHECK(test_log_contains("nosuchtable"));
    co.keyspace = "no_such_keyspace";
    CHECK_ST(try_open(&co), VL_ESCHEMA);
    cass_test_options(&co, "x");
    co.port = 1; /* nothing listens there */
    CHECK_ST(try_open(&co), VL_EUNAVAILABLE);
    CHECK(test_log_contains("127.0.0.1:1 (VL_EUNAVAILABLE: connect to 127.0.0.1:1: connection refused)"));
    /* A name that does not resolve fails at open, and the log names it. */
    cass_test_options(&co, "x");
    co.host = "nosuch.invalid";
    CHECK_ST(try_open(&co), VL_EUNAVAILABLE);
    CHECK(test_log_contains("nosuch.invalid (cannot resolve"));
    /* Options vellir refuses before connecting. */
    vl_upstream up;
    cass_test_options(&co, "bad-name");
    CHECK_ST(vl_cassandra_upstream(&co, &up), VL_EINVAL);
    const char *bad_hosts[] = {"", " ", "a,,b", "a,", "db example.com", "db;example.com",
                               "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"};
    for (size_t i = 0; i < sizeof bad_hosts / sizeof *bad_hosts; i++) {
        cass_test_options(&co, "t");
        co.host = bad_hosts[i];
        CHECK_ST(vl_cassandra_upstream(&co, &up), VL_EINVAL);
    }
    cass_test_options(&co, "t");
    co.host = " db.example.com , 10.0.0.1,::1 "; /* names are resolved at open, not here */
    CHECK_OK(vl_cassandra_upstream(&co, &up));
    up.release(up.ctx);
    cass_test_options(&co, "t");
    co.keyspace = NULL;
    CHECK_ST(vl_cassandra_upstream(&co, &up), VL_EINVAL);
    cass_test_options(&co, "t");
    co.consistency = VL_CASSANDRA_ANY; /* reads cannot be at ANY... */
    CHECK_ST(vl_cassandra_upstream(&co, &up), VL_EINVAL);
    co.read_consistency = VL_CASSANDRA_ONE; /* ...but writes may */
    CHECK_OK(vl_cassandra_upstream(&co, &up));
    up.release(up.ctx);
    cass_test_options(&co, "t");
    co.pool_size = VL_CQL_POOL_MAX + 1;
    CHECK_ST(vl_cassandra_upstream(&co, &up), VL_EINVAL);
}

int main(void) {
    db = cd_open();
    RUN(test_load_commit_delete);
    RUN(test_restart_of_the_service);
    RUN(test_ttl_expiry);
    RUN(test_expired_item_is_a_delete);
    RUN(test_text_keys);
    RUN(test_existing_text_table);
    RUN(test_clear_truncates);
    RUN(test_open_errors);
    cd_close(db);
    return 0;
}
