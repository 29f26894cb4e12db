/*
 * sqlite_help.c -- the SQLite test helpers of sqlite_help.h, less the fault
 * VFS (fault_vfs.c).
 *
 * Owns: nothing global. Threads: the calling test thread.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sqlite_help.h"

void sqt_tmpdir(char *out, size_t cap) {
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/vellir-sqlite-XXXXXX", base && *base ? base : "/tmp");
    CHECK(mkdtemp(out) != NULL);
}

void sqt_rmdir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

void sqt_options(vl_sqlite_options *so, const char *path) {
    vl_sqlite_options_init(so);
    so->path = path;
    so->purge_interval_ms = VL_SQLITE_PURGE_OFF;
}

vl_service *sqt_open(const vl_sqlite_options *so, const vl_type *t, const vl_options *o,
                     vl_upstream *up_out) {
    vl_upstream up;
    CHECK_OK(vl_sqlite_upstream(so, &up));
    vl_service *svc = NULL;
    vl_status st = vl_open(o, t, &up, &svc);
    if (st != VL_OK) up.release(up.ctx);
    CHECK_OK(st);
    if (up_out) *up_out = up;
    return svc;
}

vl_status sqt_try_open(const vl_sqlite_options *so, const vl_type *t, const vl_options *o) {
    vl_upstream up;
    vl_status st = vl_sqlite_upstream(so, &up);
    if (st != VL_OK) return st;
    vl_service *svc = NULL;
    st = vl_open(o, t, &up, &svc);
    if (st != VL_OK) up.release(up.ctx);
    else CHECK_OK(vl_close(svc, NULL));
    return st;
}

sqlite3 *sqt_raw(const char *path) {
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

void sqt_exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql failed: %s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

int64_t sqt_count(sqlite3 *db, const char *table) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    sqlite3_stmt *q;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

int64_t sqt_stored(sqlite3 *db, const char *table, const char *key, int64_t *expires_at) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT value, expires_at FROM \"%s\" WHERE key = ?1", table);
    sqlite3_stmt *q;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
    sqlite3_bind_blob(q, 1, key, (int)strlen(key), SQLITE_STATIC);
    int64_t v = -1;
    int rc = sqlite3_step(q);
    CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE);
    if (rc == SQLITE_ROW) {
        CHECK_EQ(sqlite3_column_bytes(q, 0), 8);
        v = counter_from_bytes(sqlite3_column_blob(q, 0));
        if (expires_at) *expires_at = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    return v;
}

void sqt_put(sqlite3 *db, const char *table, const char *key, const void *bytes, size_t len,
             int64_t expires_at) {
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO \"%s\"(key, value, expires_at) "
             "VALUES (?1, ?2, ?3)", table);
    sqlite3_stmt *q;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK);
    sqlite3_bind_blob(q, 1, key, (int)strlen(key), SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, bytes ? bytes : "", (int)len, SQLITE_STATIC);
    if (expires_at) sqlite3_bind_int64(q, 3, expires_at);
    CHECK(sqlite3_step(q) == SQLITE_DONE);
    sqlite3_finalize(q);
}

void sqt_set(vl_service *svc, const char *key, int64_t v, vl_policy p) {
    set_arg a = {v, 0, p};
    CHECK_OK(vl_write_sync(svc, key, strlen(key), counter_set, &a));
}

int64_t sqt_get(vl_service *svc, const char *key, vl_status *st) {
    read_out r = {VL_OK, -1, 0};
    vl_status s = vl_read_sync(svc, key, strlen(key), counter_read, &r);
    if (st) *st = s;
    return s == VL_OK ? r.value : -1;
}
