/*
 * test_pg_basic.c -- the PostgreSQL upstream against a real server: load,
 * commit, delete (both commit modes), expiry on load and the background
 * purge, a restart of the service, and what vl_open says about bad
 * connection strings, credentials and tables.
 *
 * Owns: its tables (<name>_<pid>, dropped at the end). Threads: the test
 * thread and the shards.
 */
#include "pgt.h"
#include "util/clock.h"

static char table[64];

static vl_service *open_shards(const char *tbl, vl_pg_commit_mode mode, uint32_t shards,
                               vl_upstream *up) {
    vl_pg_options po;
    pgt_pg_options(&po, tbl);
    po.commit_mode = mode;
    vl_options o;
    test_options(&o, shards);
    return pgt_open(&po, &o, up);
}

static vl_service *open_on(const char *tbl, vl_pg_commit_mode mode, vl_upstream *up) {
    return open_shards(tbl, mode, 2, up);
}

static void seed(PGconn *c, const char *tbl, const char *key, const cval *v, const char *exp) {
    vl_buf b = {0};
    cval_bytes(v, &b);
    char hex[256] = {0};
    for (size_t i = 0; i < b.len; i++) snprintf(hex + 2 * i, 3, "%02x", b.data[i]);
    pgt_exec(c, "INSERT INTO \"%s\" VALUES ('%s'::bytea, '\\x%s', %s)", tbl, key, hex, exp);
    vl_buf_free(&b);
}

static void check_row(PGconn *c, const char *key, int64_t n, const char *s) {
    cval v;
    CHECK(pgt_get(c, table, key, strlen(key), &v, NULL) == 1);
    CHECK_EQ(v.n, n);
    CHECK(strcmp(v.s, s) == 0);
}

static void run_load_commit_delete(vl_pg_commit_mode mode) {
    pgt_table(table, sizeof table, mode == VL_PG_COMMIT_ROWS ? "basic_rows" : "basic_arr");
    vl_upstream up;
    vl_service *svc = open_on(table, mode, &up);
    PGconn *c = pgt_connect();

    /* load: a row written by someone else, and a key nobody has */
    seed(c, table, "seeded", &(cval){5, "seed"}, "NULL");
    cread r;
    CHECK_OK(vl_read_sync(svc, "seeded", 6, cval_read, &r));
    CHECK_EQ(r.v.n, 5);
    CHECK(strcmp(r.v.s, "seed") == 0);
    CHECK_EQ(r.expires_at, 0);
    CHECK_ST(vl_read_sync(svc, "nobody", 6, cval_read, &r), VL_ENOTFOUND);

    /* commit: IMMEDIATE is in the table when it completes */
    cset a = {{42, "forty-two"}, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "k1", 2, cval_set, &a));
    check_row(c, "k1", 42, "forty-two");
    a.v.n = 43; /* an update of an existing row */
    CHECK_OK(vl_write_sync(svc, "k1", 2, cval_set, &a));
    check_row(c, "k1", 43, "forty-two");

    /* WITHIN writes of many keys, then a flush: one or a few batches */
    for (int i = 0; i < 300; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "w%d", i);
        cset w = {{i, "w"}, 0, vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, cval_set, &w));
    }
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\" WHERE key LIKE 'w%%'", table), 0);
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\" WHERE key LIKE 'w%%'", table), 300);
    check_row(c, "w299", 299, "w");

    /* delete: gone from the table, and from the cache */
    CHECK_OK(vl_delete_sync(svc, "k1", 2, vl_immediate()));
    cval v;
    CHECK(pgt_get(c, table, "k1", 2, &v, NULL) == 0);
    CHECK_ST(vl_read_sync(svc, "k1", 2, cval_read, &r), VL_ENOTFOUND);
    /* a delete of a key the table never had is fine */
    CHECK_OK(vl_delete_sync(svc, "ghost", 5, vl_immediate()));

    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.connects, 2); /* one per shard */
    CHECK_EQ(s.disconnects, 0);
    CHECK_EQ(s.rows_upserted, 302);
    CHECK_EQ(s.rows_deleted, 2);
    CHECK_EQ(s.failed, 0);
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

static void test_load_commit_delete_arrays(void) { run_load_commit_delete(VL_PG_COMMIT_ARRAYS); }
static void test_load_commit_delete_rows(void) { run_load_commit_delete(VL_PG_COMMIT_ROWS); }

static void test_expiry_on_load(void) {
    pgt_table(table, sizeof table, "expiry");
    vl_upstream up;
    vl_service *svc = open_on(table, VL_PG_COMMIT_DEFAULT, &up);
    PGconn *c = pgt_connect();
    seed(c, table, "old", &(cval){1, "old"}, "now() - interval '1 second'");
    seed(c, table, "new", &(cval){2, "new"}, "'2100-01-01 00:00:00.123+00'");
    cread r;
    CHECK_ST(vl_read_sync(svc, "old", 3, cval_read, &r), VL_ENOTFOUND); /* never resurrected */
    CHECK_OK(vl_read_sync(svc, "new", 3, cval_read, &r));
    CHECK_EQ(r.v.n, 2);
    CHECK_EQ(r.expires_at, 4102444800123LL); /* to the millisecond */

    /* An expiry set by a write reaches the column exactly. */
    int64_t at = vl__wall_ms() + 3600 * 1000 + 7;
    cset a = {{3, "e"}, at, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "w", 1, cval_set, &a));
    cval v;
    int64_t got;
    CHECK(pgt_get(c, table, "w", 1, &v, &got) == 1);
    CHECK_EQ(got, at);

    /* A short expiry: once passed, a reload finds nothing, though the row
     * may still be there (the purge is off here... it runs each second). */
    a = (cset){{4, "short"}, vl__wall_ms() + 300, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "short", 5, cval_set, &a));
    test_sleep_ms(400);
    CHECK_OK(vl_evict_sync(svc, "short", 5));
    CHECK_ST(vl_read_sync(svc, "short", 5, cval_read, &r), VL_ENOTFOUND);
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

/* Expired rows are purged in the background, purge_batch rows per pass. */
static void test_purge_bounded(void) {
    pgt_table(table, sizeof table, "purge");
    vl_pg_options po;
    pgt_pg_options(&po, table);
    po.purge_batch = 100;
    po.purge_interval_ms = 50;
    vl_options o;
    test_options(&o, 2);
    vl_upstream up;
    vl_service *svc = pgt_open(&po, &o, &up);
    PGconn *c = pgt_connect();
    pgt_exec(c,
             "INSERT INTO \"%s\" SELECT ('x' || i)::bytea, '\\xa0', now() - interval '1 minute' "
             "FROM generate_series(1, 1000) i",
             table);
    pgt_exec(c,
             "INSERT INTO \"%s\" SELECT ('live' || i)::bytea, '\\xa0'::bytea, "
             "now() + interval '1 hour' FROM generate_series(1, 10) i "
             "UNION ALL SELECT 'forever'::bytea, '\\xa0'::bytea, NULL",
             table);
    double t0 = check_now_s();
    while (pgt_int(c, "SELECT count(*) FROM \"%s\" WHERE expires_at <= now()", table) > 0) {
        CHECK(check_now_s() - t0 < 30);
        test_sleep_ms(20);
    }
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), 11); /* live rows untouched */
    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.purged, 1000);
    CHECK(s.purge_passes >= 10); /* never more than 100 rows in one pass */
    printf("# 1000 expired rows purged in %llu passes, %.2f s\n",
           (unsigned long long)s.purge_passes, check_now_s() - t0);
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

/* Close, reopen: every value comes back from the table. */
static void test_restart(void) {
    pgt_table(table, sizeof table, "restart");
    vl_upstream up;
    vl_service *svc = open_on(table, VL_PG_COMMIT_DEFAULT, &up);
    for (int i = 0; i < 200; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "r%d", i);
        cset a = {{i * 7, "restart"}, i % 2 ? vl__wall_ms() + 3600000 : 0, vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, k, (size_t)n, cval_set, &a));
    }
    CHECK_OK(vl_close(svc, NULL)); /* close flushes */
    svc = open_on(table, VL_PG_COMMIT_DEFAULT, &up);
    for (int i = 0; i < 200; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "r%d", i);
        cread r;
        CHECK_OK(vl_read_sync(svc, k, (size_t)n, cval_read, &r));
        CHECK_EQ(r.v.n, i * 7);
        CHECK(i % 2 ? r.expires_at > vl__wall_ms() : r.expires_at == 0);
    }
    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.loads, 200);
    CHECK_OK(vl_close(svc, NULL));
    pgt_drop(table);
}

static vl_status try_open(const char *conninfo, const char *tbl, bool create) {
    vl_pg_options po;
    pgt_pg_options(&po, tbl);
    po.conninfo = conninfo;
    po.create = create;
    po.connect_timeout_ms = 3000;
    vl_upstream up;
    vl_status st = vl_pg_upstream(&po, &up);
    if (st != VL_OK) return st;
    vl_options o;
    /* One shard: when one of two shards fails to open, its sibling may be
     * making its loop while the failed one closes its own, and libuv closes
     * descriptors with a raw syscall ThreadSanitizer does not see, so it
     * takes the reuse of the number for a race. */
    test_options(&o, 1);
    o.log = test_log_sink;
    vl_service *svc;
    st = vl_open(&o, &cval_type, &up, &svc);
    if (st == VL_OK) CHECK_OK(vl_close(svc, NULL));
    else up.release(up.ctx);
    return st;
}

static void test_open_errors(void) {
    const char *dsn = pgt_dsn();
    PGconn *c = pgt_connect();
    char host_port[128];
    snprintf(host_port, sizeof host_port, "host=%s port=%s", PQhost(c), PQport(c));
    char kv[256];
    pgt_table(table, sizeof table, "errors");

    /* both forms of conninfo work */
    snprintf(kv, sizeof kv, "%s user=vellir dbname=vellir_test", host_port);
    CHECK_OK(try_open(kv, table, true));
    CHECK_OK(try_open(dsn, table, false)); /* exists now */

    /* options refused before connecting */
    CHECK_ST(try_open("host=127.0.0.1 nosuchoption=1", table, true), VL_EINVAL);
    CHECK_ST(try_open(dsn, "bad-name", true), VL_EINVAL);
    CHECK_ST(try_open(dsn, "a.b.c", true), VL_EINVAL);

    /* no such table, without create; a table of the wrong shape */
    CHECK_ST(try_open(dsn, "no_such_table_here", false), VL_ESCHEMA);
    CHECK(test_log_contains("42P01"));
    char wrong[64];
    pgt_table(wrong, sizeof wrong, "wrong_shape");
    pgt_exec(c, "CREATE TABLE \"%s\" (key int PRIMARY KEY, value bytea, expires_at timestamptz)",
             wrong);
    CHECK_ST(try_open(dsn, wrong, false), VL_ESCHEMA);
    pgt_drop(wrong);

    /* credentials: a password role without a password; a wrong password */
    snprintf(kv, sizeof kv, "%s user=vellir_pw dbname=vellir_test", host_port);
    CHECK_ST(try_open(kv, table, false), VL_EAUTH);
    snprintf(kv, sizeof kv, "%s user=vellir_pw password=wrong dbname=vellir_test", host_port);
    CHECK_ST(try_open(kv, table, false), VL_EAUTH);
    CHECK(test_log_contains("password authentication failed"));
    /* the same role with its password works */
    snprintf(kv, sizeof kv, "%s user=vellir_pw password=vellir-secret dbname=vellir_test",
             host_port);
    char own[64];
    pgt_table(own, sizeof own, "pw_owned");
    CHECK_OK(try_open(kv, own, true));
    pgt_exec(c, "DROP TABLE \"%s\"", own);

    /* no such database; nobody listening */
    snprintf(kv, sizeof kv, "%s user=vellir dbname=no_such_db", host_port);
    CHECK_ST(try_open(kv, table, false), VL_ESCHEMA);
    CHECK_ST(try_open("postgresql://vellir@127.0.0.1:1/vellir_test", table, false),
             VL_EUNAVAILABLE);
    PQfinish(c);
    pgt_drop(table);
}

/* A key PostgreSQL cannot index fails alone; its batch-mates land. Such a
 * key is never in the table: its load finds nothing, its delete is done. */
static void test_key_too_long(void) {
    pgt_table(table, sizeof table, "longkey");
    vl_pg_options po;
    pgt_pg_options(&po, table);
    vl_options o;
    test_options(&o, 1);
    vl_upstream up;
    vl_service *svc = pgt_open(&po, &o, &up);
    static char big[VL_PG_KEY_MAX + 1];
    memset(big, 'k', sizeof big);
    cread r;
    CHECK_ST(vl_read_sync(svc, big, sizeof big, cval_read, &r), VL_ENOTFOUND);
    cset a = {{1, "big"}, 0, vl_within(100)};
    cset b = {{2, "small"}, 0, vl_within(100)};
    CHECK_OK(vl_write_sync(svc, big, sizeof big, cval_set, &a));
    CHECK_OK(vl_write_sync(svc, "small", 5, cval_set, &b));
    test_sleep_ms(300);
    PGconn *c = pgt_connect();
    check_row(c, "small", 2, "small");
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), 1);
    vl_stats st;
    CHECK_OK(vl_stats_get(svc, -1, &st));
    CHECK(st.commits_failed > 0);
    CHECK_EQ(st.dirty_keys, 1); /* kept, as every failed key is */
    a.policy = vl_immediate();
    CHECK_ST(vl_write_sync(svc, big, sizeof big, cval_set, &a), VL_ETOOBIG);
    CHECK_OK(vl_delete_sync(svc, big, sizeof big, vl_immediate()));
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

/* A batch is one transaction: one bad row (a CHECK constraint rejects its
 * key) and none of the batch lands; every key stays dirty; once the
 * constraint is gone, all of them land. Both commit modes. */
static void run_batch_is_atomic(vl_pg_commit_mode mode) {
    pgt_table(table, sizeof table, "atomic");
    vl_upstream up;
    vl_service *svc = open_shards(table, mode, 1, &up); /* one shard: one batch */
    PGconn *c = pgt_connect();
    pgt_exec(c, "ALTER TABLE \"%s\" ADD CONSTRAINT no_poison CHECK (key <> 'poison'::bytea)",
             table);
    const char *keys[] = {"a1", "a2", "poison", "a3"};
    for (int i = 0; i < 4; i++) {
        cset w = {{i, "atomic"}, 0, vl_within(60000)};
        CHECK_OK(vl_write_sync(svc, keys[i], strlen(keys[i]), cval_set, &w));
    }
    CHECK_ST(vl_flush_sync(svc), VL_EQUERY); /* 23514: reported, not retryable */
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), 0);
    vl_stats st;
    CHECK_OK(vl_stats_get(svc, -1, &st));
    CHECK_EQ(st.dirty_keys, 4);
    pgt_exec(c, "ALTER TABLE \"%s\" DROP CONSTRAINT no_poison", table);
    vl_status fs;
    for (int i = 0; (fs = vl_flush_sync(svc)) != VL_OK && i < 50; i++) test_sleep_ms(20);
    CHECK_OK(fs);
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\"", table), 4);
    check_row(c, "poison", 2, "atomic");
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

static void test_batch_is_atomic_arrays(void) { run_batch_is_atomic(VL_PG_COMMIT_ARRAYS); }
static void test_batch_is_atomic_rows(void) { run_batch_is_atomic(VL_PG_COMMIT_ROWS); }

int main(void) {
    RUN(test_load_commit_delete_arrays);
    RUN(test_load_commit_delete_rows);
    RUN(test_expiry_on_load);
    RUN(test_purge_bounded);
    RUN(test_restart);
    RUN(test_open_errors);
    RUN(test_key_too_long);
    RUN(test_batch_is_atomic_arrays);
    RUN(test_batch_is_atomic_rows);
    return 0;
}
