/*
 * test_sqlite_persist.c -- the SQLite upstream keeps what it acknowledged: a
 * service writes through several shards, closes, and a new service on the
 * same file reads every value back (and not the deleted ones).
 *
 * Owns: its scratch directory and services. Threads: the test thread plus
 * the shards and the upstream's workers.
 */
#include "sqlite_help.h"

#define KEYS 2000

static void key_of(int i, char *k, size_t cap) { snprintf(k, cap, "user:%d", i); }

/* Writes KEYS counters (every 7th deleted afterwards) through 4 shards. */
static void write_all(const char *path) {
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 4);
    vl_service *svc = sqt_open(&so, &counter_type, &o, NULL);
    char k[32];
    for (int i = 0; i < KEYS; i++) {
        key_of(i, k, sizeof k);
        sqt_set(svc, k, i * 3 + 1, i % 2 ? vl_within(50) : vl_immediate());
    }
    for (int i = 0; i < KEYS; i += 7) {
        key_of(i, k, sizeof k);
        CHECK_OK(vl_delete_sync(svc, k, strlen(k), vl_within(20)));
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK(s.writes >= KEYS);
    CHECK_OK(vl_close(svc, NULL)); /* flushes the WITHIN writes and deletes */
}

static void test_reopen_reads_everything_back(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    write_all(path);

    /* What the file holds, seen by a connection of our own. */
    sqlite3 *raw = sqt_raw(path);
    CHECK_EQ(sqt_count(raw, "vellir"), KEYS - (KEYS + 6) / 7);
    CHECK_EQ(sqt_stored(raw, "vellir", "user:1", NULL), 4);
    CHECK_EQ(sqt_stored(raw, "vellir", "user:7", NULL), -1);
    sqlite3_close(raw);

    /* A new service (different shard count) loads it all back. */
    vl_sqlite_options so;
    sqt_options(&so, path);
    so.create_table = false;
    vl_options o;
    test_options(&o, 3);
    vl_service *svc = sqt_open(&so, &counter_type_absent, &o, NULL);
    char k[32];
    for (int i = 0; i < KEYS; i++) {
        key_of(i, k, sizeof k);
        vl_status st;
        int64_t v = sqt_get(svc, k, &st);
        if (i % 7 == 0) {
            CHECK_ST(st, VL_ENOTFOUND);
        } else {
            CHECK_OK(st);
            CHECK_EQ(v, i * 3 + 1);
        }
    }
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    CHECK_EQ(s.loads_started, KEYS);
    CHECK_OK(vl_close(svc, NULL));
    sqt_rmdir(dir);
}

/* Expiry travels both ways: a committed expiry is stored, and comes back
 * with the value. */
static void test_expiry_round_trip(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = sqt_open(&so, &counter_type, &o, NULL);
    int64_t exp = vl__wall_ms() + 3600 * 1000;
    set_arg a = {42, exp, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "e", 1, counter_set, &a));
    sqt_set(svc, "n", 7, vl_immediate());
    CHECK_OK(vl_close(svc, NULL));

    sqlite3 *raw = sqt_raw(path);
    int64_t got = -1;
    CHECK_EQ(sqt_stored(raw, "vellir", "e", &got), 42);
    CHECK_EQ(got, exp);
    sqlite3_stmt *q;
    CHECK(sqlite3_prepare_v2(raw, "SELECT expires_at IS NULL FROM vellir WHERE key = x'6e'", -1,
                             &q, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    CHECK_EQ(sqlite3_column_int(q, 0), 1); /* no expiry: NULL */
    sqlite3_finalize(q);
    sqlite3_close(raw);

    svc = sqt_open(&so, &counter_type, &o, NULL);
    read_out r = {VL_OK, -1, 0};
    CHECK_OK(vl_read_sync(svc, "e", 1, counter_read, &r));
    CHECK_EQ(r.value, 42);
    CHECK_EQ(r.expires_at, exp);
    CHECK_OK(vl_close(svc, NULL));
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_reopen_reads_everything_back);
    RUN(test_expiry_round_trip);
    return 0;
}
