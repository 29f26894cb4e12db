/*
 * test_sqlite_atomic.c -- a commit batch of values and tombstones lands in
 * SQLite whole or not at all. A trigger of the test's own aborts the
 * transaction once half of the batch has been applied inside it; afterwards
 * none of the batch is in the file. With the trigger gone, all of it lands.
 *
 * Owns: its scratch directory, service and raw connection. Threads: the
 * test thread plus the shard and the upstream's workers.
 */
#include "sqlite_help.h"

#define NEW 30
#define OLD 20

/* Rows of a key family ('new:' or 'old:') in the table. */
static int64_t family(sqlite3 *db, const char *prefix) {
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM vellir WHERE substr(key, 1, 4) = CAST('%s' AS BLOB)", prefix);
    sqlite3_stmt *q;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

/* Aborts any insert or delete once (NEW + OLD) / 2 items of the batch are
 * applied: new rows present plus old rows gone. */
static void add_triggers(sqlite3 *db) {
    const char *done = "(SELECT count(*) FROM vellir WHERE substr(key,1,4) = CAST('new:' AS BLOB))"
                       " + (20 - (SELECT count(*) FROM vellir WHERE substr(key,1,4) = "
                       "CAST('old:' AS BLOB)))";
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER inj_i BEFORE INSERT ON vellir WHEN %s >= %d BEGIN "
             "SELECT RAISE(ABORT, 'injected failure'); END;"
             "CREATE TRIGGER inj_d BEFORE DELETE ON vellir WHEN %s >= %d BEGIN "
             "SELECT RAISE(ABORT, 'injected failure'); END;",
             done, (NEW + OLD) / 2, done, (NEW + OLD) / 2);
    sqt_exec(db, sql);
}

static void test_batch_is_atomic(void) {
    char dir[256], path[300], k[32];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 1); /* one shard: one batch holds every dirty key */
    o.log = test_log_sink;
    vl_upstream up;
    vl_service *svc = sqt_open(&so, &counter_type, &o, &up);
    for (int i = 0; i < OLD; i++) {
        snprintf(k, sizeof k, "old:%d", i);
        sqt_set(svc, k, i, vl_immediate());
    }
    sqlite3 *raw = sqt_raw(path);
    CHECK_EQ(family(raw, "old:"), OLD);

    /* One batch: NEW upserts and OLD tombstones, held until the flush. */
    for (int i = 0; i < NEW; i++) {
        snprintf(k, sizeof k, "new:%d", i);
        sqt_set(svc, k, 100 + i, vl_within(600000));
    }
    for (int i = 0; i < OLD; i++) {
        snprintf(k, sizeof k, "old:%d", i);
        CHECK_OK(vl_delete_sync(svc, k, strlen(k), vl_within(600000)));
    }
    add_triggers(raw);
    CHECK_ST(vl_flush_sync(svc), VL_EQUERY);
    CHECK(test_log_contains("injected failure"));
    CHECK(test_log_contains("50 keys"));
    /* Half the batch was applied inside the transaction; none of it is here. */
    CHECK_EQ(family(raw, "new:"), 0);
    CHECK_EQ(family(raw, "old:"), OLD);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK(s.commits_failed >= NEW + OLD);
    vl_sqlite_stats ss;
    CHECK_OK(vl_sqlite_stats_get(&up, &ss));
    CHECK(ss.failed >= 1);

    /* The keys stayed dirty: without the trigger they all land, together. */
    sqt_exec(raw, "DROP TRIGGER inj_i; DROP TRIGGER inj_d;");
    CHECK_OK(vl_flush_sync(svc));
    CHECK_EQ(family(raw, "new:"), NEW);
    CHECK_EQ(family(raw, "old:"), 0);
    CHECK_EQ(sqt_stored(raw, "vellir", "new:29", NULL), 129);
    CHECK_OK(vl_close(svc, NULL));
    sqlite3_close(raw);
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_batch_is_atomic);
    return 0;
}
