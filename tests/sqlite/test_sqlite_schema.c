/*
 * test_sqlite_schema.c -- a table of the wrong shape fails vl_open with
 * VL_ESCHEMA and a log line that says what is wrong; a missing table is
 * created only when asked; bad options are refused up front; a table made
 * by hand in the documented shape (with or without rowid, with an extra
 * nullable column) is accepted.
 *
 * Owns: its scratch directory. Threads: the test thread plus the shards.
 */
#include "sqlite_help.h"

static char dir[256], path[300];
static int next_table;

/* Runs `ddl` (which makes "vellir") in a new file, opens a service on it,
 * and returns vl_open's status. */
static vl_status open_with(const char *ddl, bool create) {
    snprintf(path, sizeof path, "%s/s%d.db", dir, next_table++);
    if (ddl) {
        sqlite3 *raw = sqt_raw(path);
        sqt_exec(raw, ddl);
        sqlite3_close(raw);
    }
    vl_sqlite_options so;
    sqt_options(&so, path);
    so.create_table = create;
    vl_options o;
    test_options(&o, 2);
    o.log = test_log_sink;
    return sqt_try_open(&so, &counter_type, &o);
}

static void test_wrong_shapes(void) {
    CHECK_ST(open_with("CREATE TABLE vellir (key TEXT PRIMARY KEY, value BLOB, expires_at INTEGER)",
                       true), VL_ESCHEMA);
    CHECK(test_log_contains("column 'key' has type 'TEXT' (TEXT affinity); want BLOB"));
    CHECK_ST(open_with("CREATE TABLE vellir (key BLOB PRIMARY KEY, value BLOB)", true), VL_ESCHEMA);
    CHECK(test_log_contains("has no column 'expires_at'"));
    CHECK_ST(open_with("CREATE TABLE vellir (key BLOB, value BLOB, expires_at INTEGER)", true),
             VL_ESCHEMA);
    CHECK(test_log_contains("column 'key' is not the primary key"));
    CHECK_ST(open_with("CREATE TABLE vellir (key BLOB, value BLOB, expires_at INTEGER, "
                       "PRIMARY KEY (key, value))", true), VL_ESCHEMA);
    CHECK(test_log_contains("the primary key must be 'key' alone"));
    CHECK_ST(open_with("CREATE TABLE vellir (key BLOB PRIMARY KEY, value BLOB, expires_at TEXT)",
                       true), VL_ESCHEMA);
    CHECK(test_log_contains("column 'expires_at' has type 'TEXT'"));
    CHECK_ST(open_with("CREATE TABLE vellir (key BLOB PRIMARY KEY, value BLOB, expires_at INTEGER, "
                       "owner TEXT NOT NULL)", true), VL_ESCHEMA);
    CHECK(test_log_contains("extra column 'owner' is NOT NULL without a default"));
    CHECK_ST(open_with("CREATE VIEW vellir AS SELECT 1 AS key, 2 AS value, 3 AS expires_at", true),
             VL_ESCHEMA);
    CHECK(test_log_contains("is a view, not a table"));
}

static void test_missing_table(void) {
    CHECK_ST(open_with(NULL, false), VL_ESCHEMA);
    CHECK(test_log_contains("does not exist (and create_table is off)"));
    CHECK_OK(open_with(NULL, true));
}

static void test_hand_made_tables_accepted(void) {
    CHECK_OK(open_with("CREATE TABLE vellir (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
                       "expires_at INTEGER)", false));
    CHECK_OK(open_with("CREATE TABLE vellir (KEY blob PRIMARY KEY, Value BLOB, expires_at BIGINT, "
                       "note TEXT, added INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID", false));
}

static void test_bad_options(void) {
    vl_sqlite_options so;
    vl_upstream up;
    vl_sqlite_options_init(&so);
    CHECK_ST(vl_sqlite_upstream(&so, &up), VL_EINVAL); /* no path */
    so.path = path;
    so.table = "x; DROP TABLE y";
    CHECK_ST(vl_sqlite_upstream(&so, &up), VL_EINVAL);
    so.table = "9lives";
    CHECK_ST(vl_sqlite_upstream(&so, &up), VL_EINVAL);
    so.table = "ok_name";
    so.readers = VL_SQLITE_READERS_MAX + 1;
    CHECK_ST(vl_sqlite_upstream(&so, &up), VL_EINVAL);
    so.readers = 0;
    so.purge_rows = VL_SQLITE_PURGE_ROWS_MAX + 1;
    CHECK_ST(vl_sqlite_upstream(&so, &up), VL_EINVAL);
    so.purge_rows = 0;
    CHECK_OK(vl_sqlite_upstream(&so, &up));
    up.release(up.ctx);
}

/* A file that is not a database, and one in a directory that does not
 * exist: clear statuses, and the reason in the log. */
static void test_unopenable(void) {
    char p[320];
    snprintf(p, sizeof p, "%s/garbage.db", dir);
    FILE *f = fopen(p, "w");
    CHECK(f);
    for (int i = 0; i < 4096; i++) fputc('x', f);
    fclose(f);
    vl_sqlite_options so;
    sqt_options(&so, p);
    vl_options o;
    test_options(&o, 1);
    o.log = test_log_sink;
    CHECK_ST(sqt_try_open(&so, &counter_type, &o), VL_ECORRUPT);
    CHECK(test_log_contains("file is not a database"));
    snprintf(p, sizeof p, "%s/no/such/dir.db", dir);
    so.path = p;
    CHECK_ST(sqt_try_open(&so, &counter_type, &o), VL_EUNAVAILABLE);
    CHECK(test_log_contains("cannot open"));
}

int main(void) {
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/schema.db", dir);

    RUN(test_wrong_shapes);
    RUN(test_missing_table);
    RUN(test_hand_made_tables_accepted);
    RUN(test_bad_options);
    RUN(test_unopenable);
    sqt_rmdir(dir);
    return 0;
}
