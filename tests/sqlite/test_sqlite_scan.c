/*
 * test_sqlite_scan.c -- vl_scan on the SQLite upstream: keys come in memcmp
 * order (BLOB comparison: bytes 0x00, 0x7f, 0x80, 0xff, prefixes, the
 * empty key), rows with a key of another type are not listed (as they are
 * not loaded), a page is a keyset query on the primary key (the query
 * plan: no OFFSET, no sort), expired rows are skipped, and a whole scan
 * over a table larger than memory, with deletes and new keys not yet
 * committed, gives exactly the live set, while a writer commits.
 *
 * Owns: its scratch directories and services. Threads: the test thread, a
 * writer thread, the shards and the upstream's workers.
 */
#include "scanall.h"
#include "sqlite_help.h"

static void put_blob(sqlite3 *db, const void *key, size_t len, int64_t v, int64_t exp) {
    sqlite3_stmt *q = NULL;
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO vellir(key, value, expires_at) VALUES (?1, ?2, ?3)",
                             -1, &q, NULL) == SQLITE_OK);
    uint8_t b[8];
    counter_bytes(v, b);
    sqlite3_bind_blob(q, 1, len ? key : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, b, 8, SQLITE_STATIC);
    if (exp) sqlite3_bind_int64(q, 3, exp);
    CHECK(sqlite3_step(q) == SQLITE_DONE);
    sqlite3_finalize(q);
}

/* A scratch directory and the database path in it. */
static void scratch(char dir[256], char path[300]) {
    sqt_tmpdir(dir, 256);
    snprintf(path, 300, "%s/data.db", dir);
}

/* A service of counters on `path`, with `shards` shards and `max_keys`. */
static vl_service *open_on(const char *path, uint32_t shards, uint64_t max_keys) {
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, shards);
    o.max_keys = max_keys;
    return sqt_open(&so, &counter_type_absent, &o, NULL);
}

static void make_table(sqlite3 *raw) {
    sqt_exec(raw, "CREATE TABLE vellir (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
                  "expires_at INTEGER) WITHOUT ROWID");
}

typedef struct bkey {
    const char *p;
    size_t len;
} bkey;

/* Keys only their bytes order: the scan answers them in memcmp order. */
static void test_memcmp_order(void) {
    char dir[256], path[300];
    scratch(dir, path);
    sqlite3 *raw = sqt_raw(path);
    make_table(raw);
    /* In the order wanted. */
    static const bkey keys[] = {
        {"", 0},         {"\x00", 1},     {"\x00\x00", 2}, {"\x00\x01", 2}, {"\x01", 1},
        {"A", 1},        {"a", 1},        {"a\x00", 2},    {"ab", 2},       {"b", 1},
        {"\x7f", 1},     {"\x7f\xff", 2}, {"\x80", 1},     {"\x80\x00", 2}, {"\xc3\xa9", 2},
        {"\xff", 1},     {"\xff\x00", 2}, {"\xff\xff", 2},
    };
    size_t n = sizeof keys / sizeof keys[0];
    for (size_t i = n; i-- > 0;) put_blob(raw, keys[i].p, keys[i].len, (int64_t)i, 0);
    /* A row whose key is TEXT: not vellir's (a load never finds it). */
    sqt_exec(raw, "INSERT INTO vellir(key, value) VALUES ('text-key', x'0100000000000000')");
    vl_service *svc = open_on(path, 3, 0);
    for (uint32_t count = 1; count <= 64; count *= 4) {
        scan_keys got;
        CHECK_OK(scan_all(svc, count, NULL, &got)); /* checks each page's order */
        CHECK_EQ(got.n, n);
        for (size_t i = 0; i < n; i++) {
            CHECK_EQ(got.len[i], keys[i].len);
            CHECK(memcmp(got.key[i], keys[i].p, keys[i].len) == 0);
        }
        scan_keys_free(&got);
    }
    CHECK_OK(vl_close(svc, NULL));
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

/* The page's query walks the primary key: a range search, no sort, no
 * OFFSET (SQLite's own plan, on the table vellir creates). */
static void test_query_plan(void) {
    char dir[256], path[300];
    scratch(dir, path);
    CHECK_OK(vl_close(open_on(path, 1, 0), NULL)); /* the table exists now, as vellir makes it */
    sqlite3 *raw = sqt_raw(path);
    static const char *const pages[] = {
        "EXPLAIN QUERY PLAN SELECT key, expires_at FROM \"vellir\" WHERE key > ?1 AND "
        "(expires_at IS NULL OR expires_at > ?2) ORDER BY key LIMIT ?3",
        "EXPLAIN QUERY PLAN SELECT key, expires_at FROM \"vellir\" WHERE key >= X'' AND "
        "(expires_at IS NULL OR expires_at > ?1) ORDER BY key LIMIT ?2",
    };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *q = NULL;
        CHECK(sqlite3_prepare_v2(raw, pages[i], -1, &q, NULL) == SQLITE_OK);
        char plan[512] = "";
        while (sqlite3_step(q) == SQLITE_ROW) {
            size_t len = strlen(plan);
            snprintf(plan + len, sizeof plan - len, "%s;", (const char *)sqlite3_column_text(q, 3));
        }
        sqlite3_finalize(q);
        CHECK(strstr(plan, "USING PRIMARY KEY (key>"));
        CHECK(!strstr(plan, "TEMP B-TREE"));
        CHECK(!strstr(plan, "SCAN"));
    }
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

typedef struct writer {
    vl_service *svc;
    _Atomic int stop;
} writer;

/* Commits keys w:0..w:999 over and over (immediate: each one is a commit). */
static void *writer_main(void *arg) {
    writer *w = arg;
    char k[32];
    for (int i = 0; !atomic_load(&w->stop); i = (i + 1) % 1000) {
        snprintf(k, sizeof k, "w:%03d", i);
        sqt_set(w->svc, k, i, vl_immediate());
    }
    return NULL;
}

/* 20,000 rows, 2,000 of them expired; 1,000 keys deleted and 500 written
 * without a commit; 1,000 keys in memory at most: every scan is the live
 * set exactly, while another thread commits. */
static void test_live_set_over_a_large_table(void) {
    char dir[256], path[300], k[32];
    scratch(dir, path);
    sqlite3 *raw = sqt_raw(path);
    make_table(raw);
    sqt_exec(raw, "BEGIN");
    int64_t past = vl__wall_ms() - 1000;
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "k:%05d", i);
        put_blob(raw, k, strlen(k), i, i % 10 == 9 ? past : 0);
    }
    sqt_exec(raw, "COMMIT");
    vl_service *svc = open_on(path, 3, 3000);
    for (int i = 0; i < 1000; i++) { /* 0, 20, 40, ...: none of them expired */
        snprintf(k, sizeof k, "k:%05d", i * 20);
        CHECK_OK(vl_delete_sync(svc, k, strlen(k), vl_within(60000)));
    }
    for (int i = 0; i < 500; i++) {
        snprintf(k, sizeof k, "new:%03d", i);
        sqt_set(svc, k, i, vl_within(60000));
    }
    writer w = {svc, 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, writer_main, &w) == 0);
    static const uint32_t counts[] = {97, 1000, 65536};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        scan_keys got;
        CHECK_OK(scan_all(svc, counts[c], NULL, &got));
        size_t wkeys = 0;
        for (size_t i = 0; i < got.n; i++) wkeys += strncmp(got.key[i], "w:", 2) == 0;
        CHECK_EQ(got.n - wkeys, 20000 - 2000 - 1000 + 500);
        for (int i = 0; i < 20000; i++) {
            snprintf(k, sizeof k, "k:%05d", i);
            CHECK(scan_has(&got, k) == (i % 10 != 9 && i % 20 != 0));
        }
        scan_keys_free(&got);
    }
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    CHECK_OK(vl_close(svc, NULL));
    sqlite3_stmt *q = NULL; /* the keys before 'w': all but the writer's */
    CHECK(sqlite3_prepare_v2(raw, "SELECT count(*) FROM vellir WHERE key < X'77'", -1, &q,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    CHECK_EQ(sqlite3_column_int64(q, 0), 20000 - 1000 + 500);
    sqlite3_finalize(q);
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_memcmp_order);
    RUN(test_query_plan);
    RUN(test_live_set_over_a_large_table);
    return 0;
}
