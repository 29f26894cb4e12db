/*
 * test_sqlite_expiry.c -- expired rows are never loaded, and the background
 * purge deletes them in passes of bounded size, through the expires_at
 * index, leaving every unexpired row alone.
 *
 * Owns: its scratch directories, services and raw connections. Threads: the
 * test thread plus the shards and the upstream's workers.
 */
#include "sqlite_help.h"

static void seed(sqlite3 *raw, const char *prefix, int n, int64_t expires_at) {
    uint8_t b[8];
    char k[32];
    sqt_exec(raw, "BEGIN");
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s%d", prefix, i);
        counter_bytes(i, b);
        sqt_put(raw, "vellir", k, b, 8, expires_at);
    }
    sqt_exec(raw, "COMMIT");
}

/* Creates the table the way the upstream does, by opening a service once. */
static void create(const char *path) {
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 1);
    CHECK_OK(sqt_try_open(&so, &counter_type, &o));
}

static void test_expired_rows_are_not_loaded(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    create(path);
    sqlite3 *raw = sqt_raw(path);
    int64_t now = vl__wall_ms();
    seed(raw, "gone:", 10, now - 1000);
    seed(raw, "live:", 10, now + 3600 * 1000);
    seed(raw, "forever:", 10, 0);

    vl_sqlite_options so;
    sqt_options(&so, path); /* purge off: only the load's own check acts */
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = sqt_open(&so, &counter_type_absent, &o, NULL);
    char k[32];
    for (int i = 0; i < 10; i++) {
        vl_status st;
        snprintf(k, sizeof k, "gone:%d", i);
        (void)sqt_get(svc, k, &st);
        CHECK_ST(st, VL_ENOTFOUND);
        snprintf(k, sizeof k, "live:%d", i);
        CHECK_EQ(sqt_get(svc, k, &st), i);
        snprintf(k, sizeof k, "forever:%d", i);
        CHECK_EQ(sqt_get(svc, k, &st), i);
    }
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(sqt_count(raw, "vellir"), 30); /* nothing purged: purge was off */
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

/* The purge statement runs on the partial index, so a pass reads only the
 * rows it deletes, however large the table. */
static void check_purge_uses_index(sqlite3 *raw) {
    sqlite3_stmt *q;
    CHECK(sqlite3_prepare_v2(raw, "EXPLAIN QUERY PLAN DELETE FROM vellir WHERE key IN (SELECT key "
                             "FROM vellir WHERE expires_at <= 1 LIMIT 10)", -1, &q, NULL) ==
          SQLITE_OK);
    int indexed = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(q, 3);
        printf("# plan: %s\n", d);
        if (strstr(d, "vellir_expires_at")) indexed = 1;
    }
    sqlite3_finalize(q);
    CHECK(indexed);
}

#define EXPIRED 2500
#define PER_PASS 1000

static void test_purge_is_bounded(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    create(path);
    sqlite3 *raw = sqt_raw(path);
    int64_t now = vl__wall_ms();
    seed(raw, "gone:", EXPIRED, now - 1000);
    seed(raw, "live:", 100, now + 3600 * 1000);
    seed(raw, "forever:", 50, 0);
    check_purge_uses_index(raw);

    vl_sqlite_options so;
    sqt_options(&so, path);
    so.purge_interval_ms = 50;
    so.purge_rows = PER_PASS;
    vl_options o;
    test_options(&o, 2);
    vl_upstream up;
    vl_service *svc = sqt_open(&so, &counter_type, &o, &up);
    vl_sqlite_stats ss = {0};
    for (int i = 0; i < 500 && ss.purged < EXPIRED; i++) {
        test_sleep_ms(10);
        CHECK_OK(vl_sqlite_stats_get(&up, &ss));
    }
    printf("# %llu rows purged in %llu passes, at most %llu per pass\n",
           (unsigned long long)ss.purged, (unsigned long long)ss.purge_passes,
           (unsigned long long)ss.purge_max);
    CHECK_EQ(ss.purged, EXPIRED);
    CHECK_EQ(ss.purge_max, PER_PASS);
    CHECK(ss.purge_passes >= (EXPIRED + PER_PASS - 1) / PER_PASS);
    CHECK_EQ(sqt_count(raw, "vellir"), 150);
    CHECK_EQ(sqt_stored(raw, "vellir", "live:99", NULL), 99);
    CHECK_OK(vl_close(svc, NULL));
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_expired_rows_are_not_loaded);
    RUN(test_purge_is_bounded);
    return 0;
}
