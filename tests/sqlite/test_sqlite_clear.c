/*
 * test_sqlite_clear.c -- vl_clear on the SQLite upstream: the table is
 * emptied (rows the cache never loaded included), dirty keys never reach
 * the file, a reopened service finds nothing, and a failing truncate is
 * reported while the table keeps its rows.
 *
 * Owns: its scratch directories and services. Threads: the test thread, the
 * shards and the upstream's workers.
 */
#include "sqlite_help.h"

typedef struct waitdone {
    _Atomic int fired;
    _Atomic int status;
} waitdone;

static void on_done(void *arg, vl_status st) {
    waitdone *w = arg;
    atomic_store(&w->status, (int)st);
    atomic_store(&w->fired, 1);
}

static vl_status clear_sync(vl_service *svc) {
    waitdone w = {0, 0};
    vl_status st = vl_clear(svc, on_done, &w);
    if (st != VL_OK) return st;
    while (!atomic_load(&w.fired)) test_sleep_ms(1);
    return (vl_status)atomic_load(&w.status);
}

static void test_clear_empties_the_table(void) {
    char dir[256], path[300], k[32];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    sqlite3 *raw = sqt_raw(path);
    sqt_exec(raw, "CREATE TABLE vellir (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
                  "expires_at INTEGER) WITHOUT ROWID");
    uint8_t b[8];
    counter_bytes(5, b);
    for (int i = 0; i < 300; i++) { /* rows the cache has never seen */
        snprintf(k, sizeof k, "cold:%d", i);
        sqt_put(raw, "vellir", k, b, 8, 0);
    }
    vl_options o;
    test_options(&o, 3);
    vl_service *svc = sqt_open(&so, &counter_type_absent, &o, NULL);
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "hot:%d", i);
        sqt_set(svc, k, i, i % 2 ? vl_immediate() : vl_within(60000));
    }
    CHECK_EQ(sqt_count(raw, "vellir"), 400);
    CHECK_OK(clear_sync(svc));
    CHECK_EQ(sqt_count(raw, "vellir"), 0);
    vl_status st;
    CHECK_EQ(sqt_get(svc, "cold:3", &st), -1);
    CHECK_ST(st, VL_ENOTFOUND);
    CHECK_EQ(sqt_get(svc, "hot:3", &st), -1);
    CHECK_ST(st, VL_ENOTFOUND);
    sqt_set(svc, "after", 7, vl_immediate());
    CHECK_OK(vl_close(svc, NULL));
    CHECK_EQ(sqt_count(raw, "vellir"), 1); /* the dirty keys of before never landed */
    CHECK_EQ(sqt_stored(raw, "vellir", "after", NULL), 7);
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

static void test_failing_truncate_is_reported(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    sqt_fault_register();
    vl_sqlite_options so;
    sqt_options(&so, path);
    so.vfs = SQT_FAULT_VFS;
    vl_options o;
    test_options(&o, 2);
    o.log = test_log_sink;
    vl_service *svc = sqt_open(&so, &counter_type_absent, &o, NULL);
    sqt_set(svc, "a", 1, vl_immediate());
    sqt_fault_writes(-1, SQLITE_IOERR_WRITE);
    vl_status st = clear_sync(svc);
    sqt_fault_clear();
    CHECK(st != VL_OK);
    CHECK(test_log_contains("truncate failed"));
    sqlite3 *raw = sqt_raw(path);
    CHECK_EQ(sqt_stored(raw, "vellir", "a", NULL), 1); /* still there */
    CHECK_OK(clear_sync(svc)); /* healed: the next clear works */
    CHECK_EQ(sqt_count(raw, "vellir"), 0);
    CHECK_OK(vl_close(svc, NULL));
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_clear_empties_the_table);
    RUN(test_failing_truncate_is_reported);
    return 0;
}
