/*
 * test_sqlite_faults.c -- SQLite failing under the cache: writes that fail
 * (I/O error), a full disk, failing fsyncs, and a database file that is
 * read-only. Each time: the IMMEDIATE writer hears of it, the statistics
 * show the failed and retried commits, nothing acknowledged is lost (every
 * value lands once the fault clears, without a restart), and a close that
 * cannot commit hands every dirty key to on_uncommitted.
 *
 * Faults come from the "vl_fault" VFS (tests/support/fault_vfs.c), which
 * wraps the default VFS: portable, and no root or small file system needed.
 *
 * Owns: its scratch directories and services. Threads: the test thread
 * plus the shards and the upstream's workers.
 */
#include "sqlite_help.h"

#define KEYS 100

typedef struct fixture {
    char dir[256], path[300];
    vl_sqlite_options so;
    vl_options o;
    vl_upstream up;
    vl_service *svc;
    sqlite3 *raw;
} fixture;

static void fx_open(fixture *f, vl_sqlite_sync sync) {
    sqt_tmpdir(f->dir, sizeof f->dir);
    snprintf(f->path, sizeof f->path, "%s/data.db", f->dir);
    sqt_options(&f->so, f->path);
    f->so.vfs = SQT_FAULT_VFS;
    f->so.synchronous = sync;
    test_options(&f->o, 2);
    f->o.log = test_log_sink;
    f->svc = sqt_open(&f->so, &counter_type, &f->o, &f->up);
    f->raw = sqt_raw(f->path);
}

static void fx_close(fixture *f) {
    sqt_fault_clear();
    CHECK_OK(vl_close(f->svc, NULL));
    sqlite3_close(f->raw);
    sqt_rmdir(f->dir);
}

/* Writes KEYS keys "<prefix><i>" = base + i, acknowledged at once. */
static void write_within(vl_service *svc, const char *prefix, int64_t base) {
    char k[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(k, sizeof k, "%s%d", prefix, i);
        sqt_set(svc, k, base + i, vl_within(5));
    }
}

static void check_landed(sqlite3 *raw, const char *prefix, int64_t base) {
    char k[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(k, sizeof k, "%s%d", prefix, i);
        CHECK_EQ(sqt_stored(raw, "vellir", k, NULL), base + i);
    }
}

/* While the fault is on: an IMMEDIATE write is answered `want`, WITHIN
 * writes are acknowledged, commits fail and are retried. Then the fault
 * clears and everything lands. */
static void run_fault(fixture *f, vl_status want, const char *log_needle, bool check_absent) {
    vl_stats before, after;
    CHECK_OK(vl_stats_get(f->svc, -1, &before));
    set_arg a = {777, 0, vl_immediate()};
    CHECK_ST(vl_write_sync(f->svc, "imm", 3, counter_set, &a), want);
    write_within(f->svc, "w:", 1000);
    test_sleep_ms(60); /* several failed attempts and retries */
    CHECK(test_log_contains(log_needle));
    CHECK_OK(vl_stats_get(f->svc, -1, &after));
    CHECK(after.commits_failed > before.commits_failed);
    CHECK(after.retries > before.retries);
    CHECK(after.dirty_keys > 0);
    if (check_absent) {
        CHECK_EQ(sqt_stored(f->raw, "vellir", "imm", NULL), -1);
        CHECK_EQ(sqt_stored(f->raw, "vellir", "w:0", NULL), -1);
    }
    sqt_fault_clear();
    /* A commit already in flight may still meet the fault (and a flush joins
     * it); the keys stay dirty and the next attempts land them. */
    vl_status st = VL_EUPSTREAM;
    for (int i = 0; i < 100 && (st = vl_flush_sync(f->svc)) != VL_OK; i++) test_sleep_ms(10);
    CHECK_OK(st);
    CHECK_EQ(sqt_stored(f->raw, "vellir", "imm", NULL), 777);
    check_landed(f->raw, "w:", 1000);
    vl_sqlite_stats ss;
    CHECK_OK(vl_sqlite_stats_get(&f->up, &ss));
    CHECK(ss.failed > 0);
}

static void test_write_errors(void) {
    fixture f;
    fx_open(&f, VL_SQLITE_SYNC_NORMAL);
    write_within(f.svc, "before:", 0);
    CHECK_OK(vl_flush_sync(f.svc));
    sqt_fault_writes(-1, SQLITE_IOERR_WRITE);
    run_fault(&f, VL_EPENDING, "SQLITE_IOERR_WRITE", true);
    vl_sqlite_stats ss;
    CHECK_OK(vl_sqlite_stats_get(&f.up, &ss));
    CHECK(ss.reopens > 0); /* an I/O error reopens the write connection */
    check_landed(f.raw, "before:", 0);
    fx_close(&f);
}

static void test_disk_full(void) {
    fixture f;
    fx_open(&f, VL_SQLITE_SYNC_NORMAL);
    sqt_fault_writes(-1, SQLITE_FULL);
    run_fault(&f, VL_EPENDING, "SQLITE_FULL", true);
    fx_close(&f);
}

static void test_fsync_errors(void) {
    fixture f;
    fx_open(&f, VL_SQLITE_SYNC_FULL); /* FULL: every commit syncs the WAL */
    uint64_t syncs = sqt_fault_sync_count();
    sqt_set(f.svc, "s", 1, vl_immediate());
    CHECK(sqt_fault_sync_count() > syncs);
    sqt_fault_syncs(-1, SQLITE_IOERR_FSYNC);
    /* A failed fsync may leave the frames in the WAL: not checked absent. */
    run_fault(&f, VL_EPENDING, "SQLITE_IOERR_FSYNC", false);
    fx_close(&f);
}

static void test_read_only_file(void) {
    fixture f;
    fx_open(&f, VL_SQLITE_SYNC_NORMAL);
    write_within(f.svc, "before:", 0);
    CHECK_OK(vl_close(f.svc, NULL));
    sqt_fault_readonly(1);
    f.svc = sqt_open(&f.so, &counter_type, &f.o, &f.up);
    CHECK(test_log_contains("is read-only"));
    /* Reads work on a read-only file. */
    vl_status st;
    CHECK_EQ(sqt_get(f.svc, "before:5", &st), 5);
    /* A permission error is not retryable: the IMMEDIATE writer hears at once. */
    run_fault(&f, VL_EAUTH, "SQLITE_READONLY", true);
    fx_close(&f);
}

static _Atomic uint64_t handed_over; /* on_uncommitted runs on every shard */
static void on_uncommitted(void *arg, const void *key, size_t len, const uint8_t *b, size_t n) {
    (void)arg, (void)key, (void)len, (void)b, (void)n;
    atomic_fetch_add(&handed_over, 1);
}

/* A close that cannot commit gives up at its deadline, counts what it could
 * not commit, and hands every such key over: nothing vanishes silently. */
static void test_close_while_failing(void) {
    fixture f;
    sqt_tmpdir(f.dir, sizeof f.dir);
    snprintf(f.path, sizeof f.path, "%s/data.db", f.dir);
    sqt_options(&f.so, f.path);
    f.so.vfs = SQT_FAULT_VFS;
    test_options(&f.o, 2);
    f.o.log = test_log_sink;
    f.o.close_timeout_ms = 200;
    f.o.on_uncommitted = on_uncommitted;
    f.svc = sqt_open(&f.so, &counter_type, &f.o, NULL);
    sqt_fault_writes(-1, SQLITE_IOERR_WRITE);
    write_within(f.svc, "w:", 0);
    vl_close_report rep;
    CHECK_ST(vl_close(f.svc, &rep), VL_EUNCOMMITTED);
    CHECK_EQ(rep.uncommitted, KEYS);
    CHECK_EQ(handed_over, KEYS);
    CHECK_ST(rep.last_error, VL_EIO);
    sqt_fault_clear();
    sqt_rmdir(f.dir);
}

int main(void) {
    sqt_fault_register();
    RUN(test_write_errors);
    RUN(test_disk_full);
    RUN(test_fsync_errors);
    RUN(test_read_only_file);
    RUN(test_close_while_failing);
    return 0;
}
