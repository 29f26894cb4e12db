/*
 * test_pg_scan.c -- vl_scan and vl_clear on a real PostgreSQL: keys come in
 * memcmp order (bytea has no collation: bytes 0x00, 0x7f, 0x80, 0xff,
 * prefixes, the empty key), the page's statement is an index range scan on
 * the primary key (no sort, no OFFSET), a whole scan over a table larger
 * than memory with deletes and new keys not yet committed is exactly the
 * live set; TRUNCATE empties the table, waits for a commit in flight (which
 * cannot come back), and a truncate that cannot run fails while the rows
 * stay.
 *
 * Owns: its tables (<name>_<pid>, dropped at the end). Threads: the test
 * thread and the shards.
 */
#include "pgt.h"
#include "scanall.h"
#include "util/clock.h"

static char table[64];

static vl_service *open_with(uint32_t shards, uint64_t max_keys, uint32_t request_timeout_ms) {
    vl_pg_options po;
    pgt_pg_options(&po, table);
    if (request_timeout_ms) po.request_timeout_ms = request_timeout_ms;
    vl_options o;
    test_options(&o, shards);
    o.max_keys = max_keys;
    vl_upstream up;
    return pgt_open(&po, &o, &up);
}

static void hex(char *out, const char *p, size_t len) {
    for (size_t i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", (unsigned char)p[i]);
    out[2 * len] = 0;
}

typedef struct bkey {
    const char *p;
    size_t len;
} bkey;

static void test_bytea_order(void) {
    pgt_table(table, sizeof table, "scan_order");
    vl_service *svc = open_with(3, 0, 0); /* creates the table */
    PGconn *c = pgt_connect();
    static const bkey keys[] = { /* in the order wanted */
        {"", 0},         {"\x00", 1},     {"\x00\x00", 2}, {"\x00\x01", 2}, {"\x01", 1},
        {"A", 1},        {"a", 1},        {"a\x00", 2},    {"ab", 2},       {"b", 1},
        {"\x7f", 1},     {"\x7f\xff", 2}, {"\x80", 1},     {"\x80\x00", 2}, {"\xc3\xa9", 2},
        {"\xff", 1},     {"\xff\x00", 2}, {"\xff\xff", 2},
    };
    size_t n = sizeof keys / sizeof keys[0];
    char h[16];
    for (size_t i = n; i-- > 0;) {
        hex(h, keys[i].p, keys[i].len);
        pgt_exec(c, "INSERT INTO \"%s\" VALUES ('\\x%s', '\\xa0', NULL)", table, h);
    }
    for (uint32_t count = 1; count <= 64; count *= 4) {
        scan_keys got;
        CHECK_OK(scan_all(svc, count, NULL, &got));
        CHECK_EQ(got.n, n);
        for (size_t i = 0; i < n; i++) {
            CHECK_EQ(got.len[i], keys[i].len);
            CHECK(memcmp(got.key[i], keys[i].p, keys[i].len) == 0);
        }
        scan_keys_free(&got);
    }
    /* PostgreSQL's own ORDER BY agrees, under any collation of the database. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT key FROM \"%s\" ORDER BY key", table);
    PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 1);
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
    CHECK_EQ(PQntuples(r), (int)n);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(PQgetlength(r, (int)i, 0), (int)keys[i].len);
        CHECK(memcmp(PQgetvalue(r, (int)i, 0), keys[i].p, keys[i].len) == 0);
    }
    PQclear(r);
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

/* The prepared page statement, as a generic plan (what a prepared statement
 * settles on), is an index range scan of the primary key with no sort. */
static void test_page_plan(void) {
    pgt_table(table, sizeof table, "scan_plan");
    CHECK_OK(vl_close(open_with(1, 0, 0), NULL));
    PGconn *c = pgt_connect();
    pgt_exec(c, "INSERT INTO \"%s\" SELECT convert_to('k:' || lpad(i::text, 6, '0'), 'UTF8'), "
                "'\\xa0', NULL FROM generate_series(0, 49999) i", table);
    pgt_exec(c, "ANALYZE \"%s\"", table);
    pgt_exec(c, "SET plan_cache_mode = force_generic_plan");
    pgt_exec(c, "PREPARE page(bytea, int8) AS SELECT key, (EXTRACT(EPOCH FROM expires_at) * "
                "1000)::int8 FROM \"%s\" WHERE key > $1 AND (expires_at IS NULL OR expires_at > "
                "now()) ORDER BY key LIMIT $2", table);
    PGresult *r = PQexec(c, "EXPLAIN EXECUTE page('\\x6b3a303030313030', 101)");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
    char plan[2048] = "";
    for (int i = 0; i < PQntuples(r); i++) {
        size_t len = strlen(plan);
        snprintf(plan + len, sizeof plan - len, "%s\n", PQgetvalue(r, i, 0));
    }
    PQclear(r);
    CHECK(strstr(plan, "Index Scan using"));
    CHECK(strstr(plan, "_pkey"));
    CHECK(!strstr(plan, "Sort"));
    CHECK(!strstr(plan, "Seq Scan"));
    PQfinish(c);
    pgt_drop(table);
}

/* 20,000 rows, 2,000 of them expired; 1,000 deleted and 500 written without
 * a commit; at most 3,000 keys in memory: every scan is the live set. */
static void test_live_set_over_a_large_table(void) {
    pgt_table(table, sizeof table, "scan_live");
    vl_service *svc = open_with(3, 3000, 0);
    PGconn *c = pgt_connect();
    pgt_exec(c, "INSERT INTO \"%s\" SELECT convert_to('k:' || lpad(i::text, 5, '0'), 'UTF8'), "
                "'\\xa0', CASE WHEN i %% 10 = 9 THEN now() - interval '1 second' END "
                "FROM generate_series(0, 19999) i", table);
    char k[32];
    for (int i = 0; i < 1000; i++) { /* 0, 20, 40, ...: none of them expired */
        snprintf(k, sizeof k, "k:%05d", i * 20);
        CHECK_OK(vl_delete_sync(svc, k, strlen(k), vl_within(60000)));
    }
    for (int i = 0; i < 500; i++) {
        cset a = {{i, "new"}, 0, vl_within(60000)};
        snprintf(k, sizeof k, "new:%03d", i);
        CHECK_OK(vl_write_sync(svc, k, strlen(k), cval_set, &a));
    }
    static const uint32_t counts[] = {97, 1000, 65536};
    for (size_t n = 0; n < sizeof counts / sizeof counts[0]; n++) {
        scan_keys got;
        CHECK_OK(scan_all(svc, counts[n], NULL, &got));
        CHECK_EQ(got.n, 20000 - 2000 - 1000 + 500);
        for (int i = 0; i < 20000; i++) {
            snprintf(k, sizeof k, "k:%05d", i);
            CHECK(scan_has(&got, k) == (i % 10 != 9 && i % 20 != 0));
        }
        for (int i = 0; i < 500; i++) {
            snprintf(k, sizeof k, "new:%03d", i);
            CHECK(scan_has(&got, k));
        }
        scan_keys_free(&got);
    }
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM \"%s\" WHERE expires_at IS NULL", table),
             20000 - 2000 - 1000 + 500);
    PQfinish(c);
    pgt_drop(table);
}

/* ---- truncate (vl_clear) -------------------------------------------------------- */

/* A write and its completion, for vl_write's one argument. */
typedef struct set_wait {
    cset set;
    test_done done;
} set_wait;

static vl_policy sw_write(void *arg, vl_mut *m) { return cval_set(&((set_wait *)arg)->set, m); }
static void sw_done(void *arg, vl_status st) { test_done_cb(&((set_wait *)arg)->done, st); }

static int64_t rows(PGconn *c) { return pgt_int(c, "SELECT count(*) FROM \"%s\"", table); }

/* Rows the cache never loaded go too; dirty keys never reach the table; a
 * new service finds nothing; writes after the clear land as usual. */
static void test_truncate_empties_the_table(void) {
    pgt_table(table, sizeof table, "truncate");
    vl_service *svc = open_with(3, 0, 0);
    PGconn *c = pgt_connect();
    pgt_exec(c, "INSERT INTO \"%s\" SELECT convert_to('cold:' || i, 'UTF8'), '\\xa0', NULL "
                "FROM generate_series(0, 299) i", table);
    char k[32];
    for (int i = 0; i < 200; i++) {
        cset a = {{i, "hot"}, 0, i % 2 ? vl_immediate() : vl_within(60000)};
        snprintf(k, sizeof k, "hot:%d", i);
        CHECK_OK(vl_write_sync(svc, k, strlen(k), cval_set, &a));
    }
    CHECK_EQ(rows(c), 400);
    CHECK_OK(test_clear_sync(svc));
    CHECK_EQ(rows(c), 0);
    cread r;
    CHECK_ST(vl_read_sync(svc, "cold:3", 6, cval_read, &r), VL_ENOTFOUND);
    CHECK_ST(vl_read_sync(svc, "hot:4", 5, cval_read, &r), VL_ENOTFOUND);
    scan_keys got;
    CHECK_OK(scan_all(svc, 100, NULL, &got));
    CHECK_EQ(got.n, 0);
    scan_keys_free(&got);
    cset a = {{7, "after"}, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "after", 5, cval_set, &a));
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(rows(c), 1); /* the dirty keys of before never landed */
    PQfinish(c);
    pgt_drop(table);
}

/* A commit held up by a row lock when the clear starts: the truncate waits
 * for it (nothing is in flight while it runs), and the key does not come
 * back. */
static void test_truncate_waits_for_a_commit_in_flight(void) {
    pgt_table(table, sizeof table, "truncate_wait");
    vl_service *svc = open_with(2, 0, 0);
    PGconn *c = pgt_connect();
    cset a = {{1, "v"}, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "held", 4, cval_set, &a));
    pgt_exec(c, "BEGIN");
    pgt_exec(c, "SELECT * FROM \"%s\" WHERE key = 'held' FOR UPDATE", table);
    static set_wait wrote = {{{2, "v"}, 0, {VL_COMMIT_IMMEDIATE, 0, 0, 0}}, {0, 0}};
    CHECK_OK(vl_write(svc, "held", 4, sw_write, sw_done, &wrote)); /* blocks on the lock */
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&wrote.done.fired), 0);
    test_done cleared = {0, 0};
    CHECK_OK(vl_clear(svc, test_done_cb, &cleared));
    test_sleep_ms(200);
    CHECK_EQ(atomic_load(&cleared.fired), 0); /* waits for the commit */
    pgt_exec(c, "COMMIT");
    CHECK_OK(test_done_wait(&cleared));
    CHECK_OK(test_done_wait(&wrote.done));
    CHECK_EQ(rows(c), 0);
    test_sleep_ms(50);
    CHECK_EQ(rows(c), 0);
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(rows(c), 0);
    PQfinish(c);
    pgt_drop(table);
}

/* A truncate that cannot take its lock within the request timeout fails the
 * clear (VL_ETIMEOUT); the rows stay, the cache is empty, and a later clear
 * works. */
static void test_truncate_that_cannot_run(void) {
    pgt_table(table, sizeof table, "truncate_fail");
    vl_service *svc = open_with(2, 0, 500);
    PGconn *c = pgt_connect();
    cset a = {{1, "v"}, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "k", 1, cval_set, &a));
    pgt_exec(c, "BEGIN");
    pgt_exec(c, "LOCK TABLE \"%s\" IN ACCESS SHARE MODE", table);
    CHECK_ST(test_clear_sync(svc), VL_ETIMEOUT);
    pgt_exec(c, "COMMIT");
    CHECK_EQ(rows(c), 1);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.keys, 0);
    for (int i = 0; i < 200 && test_clear_sync(svc) != VL_OK; i++) test_sleep_ms(20); /* reconnects */
    CHECK_EQ(rows(c), 0);
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

int main(void) {
    RUN(test_bytea_order);
    RUN(test_page_plan);
    RUN(test_live_set_over_a_large_table);
    RUN(test_truncate_empties_the_table);
    RUN(test_truncate_waits_for_a_commit_in_flight);
    RUN(test_truncate_that_cannot_run);
    return 0;
}
