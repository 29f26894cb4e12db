/*
 * sqlite_reader.c -- the SQLite upstream's reader threads: loads and scan
 * pages.
 *
 * Owns: each reader's connection while its thread runs.
 * Threads: one reader thread per sq_reader; it completes loads with
 * vl_load_done, which copies the bytes and posts to the load's shard.
 *
 * A reader takes up to VL_SQLITE_READ_GROUP_MAX queued loads and scan pages
 * and answers them inside one read transaction (one WAL snapshot for all of
 * them). The snapshot is taken after they were queued, so it contains every
 * commit acknowledged before any of them was requested: a key evicted after
 * its commit is loaded back with that commit, and a scan page sees every
 * commit acknowledged before it was asked for (docs/scan.md). An expired
 * row answers VL_ENOTFOUND, and a scan skips it.
 */
#include <stdio.h>

#include "upstream/sqlite_int.h"
#include "util/clock.h"

static void log_failure(sq_inst *inst, const void *key, size_t klen, int rc, const char *msg) {
    char k[96];
    inst->env->log(inst->env->log_ctx, VL_LOG_ERROR, "load of key '%s' failed: %s / %s (%s)",
                   vl_key_repr(key, klen, k, sizeof k), msg, vl__sq_code_name(rc),
                   vl_status_name(vl__sq_status(rc)));
}

/* Answers one found row. */
static void answer_row(sq_job *job, sqlite3_stmt *q, int64_t now_ms) {
    size_t klen;
    const void *key = vl_load_key(job->req, &klen);
    if (sqlite3_column_type(q, 0) == SQLITE_NULL) {
        char k[96];
        job->inst->env->log(job->inst->env->log_ctx, VL_LOG_ERROR,
                            "key '%s': stored value is NULL", vl_key_repr(key, klen, k, sizeof k));
        vl_load_done(job->req, VL_ECORRUPT, NULL, 0, 0);
        return;
    }
    int64_t exp = sqlite3_column_type(q, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 1);
    if (exp != 0 && exp <= now_ms) {
        vl_load_done(job->req, VL_ENOTFOUND, NULL, 0, 0);
        return;
    }
    const void *bytes = sqlite3_column_blob(q, 0);
    size_t len = (size_t)sqlite3_column_bytes(q, 0);
    vl_load_done(job->req, VL_OK, bytes, len, exp);
}

static void load_one(sq_reader *r, sq_job *job, int64_t now_ms) {
    sqlite3_stmt *q = r->c.st[SQ_SELECT];
    size_t klen;
    const void *key = vl_load_key(job->req, &klen);
    sqlite3_bind_blob64(q, 1, key, klen, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        answer_row(job, q, now_ms);
    } else if (rc == SQLITE_DONE) {
        vl_load_done(job->req, VL_ENOTFOUND, NULL, 0, 0);
    } else {
        log_failure(job->inst, key, klen, rc, sqlite3_errmsg(r->c.db));
        if (vl__sq_needs_reopen(rc)) r->c.broken = true;
        vl_load_done(job->req, vl__sq_status(rc), NULL, 0, 0);
    }
    sqlite3_reset(q);
}

/* ---- scan pages --------------------------------------------------------------- */

/* One page: the first `count` live keys after the position, in key order;
 * a row more tells whether more follow. */
static void scan_one(sq_reader *r, sq_job *job, int64_t now_ms) {
    vl_scan_req *req = job->req;
    size_t alen;
    const void *after = vl_scan_req_after(req, &alen);
    uint32_t count = vl_scan_req_count(req), n = 0;
    sqlite3_stmt *q = r->c.st[after ? SQ_SCAN_AFTER : SQ_SCAN_FIRST];
    int at = 1;
    if (after) sqlite3_bind_blob64(q, at++, alen ? after : "", alen, SQLITE_STATIC); /* never NULL */
    sqlite3_bind_int64(q, at++, now_ms);
    sqlite3_bind_int64(q, at, (int64_t)count + 1);
    int rc = SQLITE_DONE;
    vl_status st = VL_OK;
    while (st == VL_OK && n < count && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t exp = sqlite3_column_type(q, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 1);
        st = vl_scan_req_add(req, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0),
                             exp);
        n++;
    }
    bool more = st == VL_OK && n == count && (rc = sqlite3_step(q)) == SQLITE_ROW;
    if (st == VL_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        job->inst->env->log(job->inst->env->log_ctx, VL_LOG_ERROR, "scan page failed: %s / %s (%s)",
                            sqlite3_errmsg(r->c.db), vl__sq_code_name(rc),
                            vl_status_name(vl__sq_status(rc)));
        if (vl__sq_needs_reopen(rc)) r->c.broken = true;
        st = vl__sq_status(rc);
    }
    sqlite3_reset(q);
    vl_scan_req_done(req, st, more);
}

/* ---- the thread ---------------------------------------------------------------- */

static void fail_job(sq_job *job, vl_status st) {
    if (job->scan) vl_scan_req_done(job->req, st, false);
    else vl_load_done(job->req, st, NULL, 0, 0);
}

/* Reopens the connection if an error broke it; on failure fails `jobs`. */
static bool reader_ready(sq_reader *r, sq_job *jobs, uint32_t n) {
    if (r->c.db && !r->c.broken) return true;
    vl__sq_conn_close(&r->c);
    sq_err err = {0, ""};
    vl_status st = vl__sq_conn_open(r->s, &r->c, SQ_READER, &err);
    if (st == VL_OK) return true;
    vl__sq_log_any(r->s, VL_LOG_ERROR, "reader cannot reopen its connection: %s", err.msg);
    for (uint32_t i = 0; i < n; i++) fail_job(&jobs[i], st);
    return false;
}

static void serve(sq_reader *r, sq_job *jobs, uint32_t n) {
    if (!reader_ready(r, jobs, n)) return;
    /* One snapshot for the group; without it each SELECT takes its own. */
    bool txn = vl__sq_exec(r->c.st[SQ_BEGIN]) == SQLITE_DONE;
    int64_t now_ms = vl__wall_ms();
    for (uint32_t i = 0; i < n; i++) {
        if (jobs[i].scan) scan_one(r, &jobs[i], now_ms);
        else load_one(r, &jobs[i], now_ms);
    }
    if (txn && vl__sq_exec(r->c.st[SQ_COMMIT]) != SQLITE_DONE) (void)vl__sq_exec(r->c.st[SQ_ROLLBACK]);
    /* A read transaction left open would pin an old snapshot for good. */
    if (!sqlite3_get_autocommit(r->c.db)) r->c.broken = true;
    atomic_fetch_add(&r->s->n.loads, n);
}

void *vl__sq_reader_main(void *arg) {
    sq_reader *r = arg;
    sq_job jobs[VL_SQLITE_READ_GROUP_MAX];
    uint32_t n;
    pthread_setname_np(pthread_self(), "vl-sqlite-r");
    while ((n = vl__sq_queue_take(&r->s->loads, jobs, VL_SQLITE_READ_GROUP_MAX, INT64_MAX)) != 0)
        serve(r, jobs, n);
    return NULL;
}
