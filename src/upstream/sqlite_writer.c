/*
 * sqlite_writer.c -- the SQLite upstream's writer thread: every commit of
 * every shard of the service, grouped into transactions, and the purge of
 * expired rows.
 *
 * Owns: the write connection (sq_shared.wconn) while the thread runs, and
 * the writer's own state below.
 * Threads: the writer thread only. It completes batches with vl_batch_done,
 * which posts them to their shards.
 *
 * A turn takes up to group_max queued batches (all it finds, when several
 * shards committed meanwhile) and writes them in one BEGIN IMMEDIATE ...
 * COMMIT: an upsert per value, a delete per tombstone. One key is in at most
 * one batch in flight (the cache's rule), so batches never overlap and their
 * order inside the group does not matter. The group lands whole or not at
 * all; every batch in it gets the same status. Between two groups, when a
 * purge is due, one purge pass runs: a single DELETE of at most purge_rows
 * expired rows, chosen through the expires_at index, so commits wait at most
 * one bounded pass and a steady stream of commits never starves the purge.
 * A truncate (vl_clear) is a transaction of its own, in queue order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/sqlite_int.h"
#include "util/clock.h"

typedef struct writer {
    sq_shared *s;
    sq_job *jobs;         /* group_max */
    int64_t next_purge;   /* monotonic µs; INT64_MAX: never */
    vl_status last_fail;  /* of the last failed transaction, VL_OK after a success */
    uint64_t fails_since; /* failed transactions since the last success */
    const vl_commit_item **items; /* the group's items, sorted by key */
    uint64_t cap;
} writer;

/* Reopens the write connection if an error broke it. */
static vl_status writer_ready(sq_shared *s, sq_err *err) {
    if (s->wconn.db && !s->wconn.broken) return VL_OK;
    vl__sq_conn_close(&s->wconn);
    atomic_fetch_add(&s->n.reopens, 1);
    return vl__sq_conn_open(s, &s->wconn, SQ_WRITER, err);
}

static int write_item(sq_conn *c, const vl_commit_item *it) {
    sqlite3_stmt *q = c->st[it->value ? SQ_UPSERT : SQ_DELETE];
    sqlite3_bind_blob64(q, 1, it->key, it->key_len, SQLITE_STATIC);
    if (it->value) {
        sqlite3_bind_blob64(q, 2, it->value, it->value_len, SQLITE_STATIC);
        if (it->expires_at) sqlite3_bind_int64(q, 3, it->expires_at);
        else sqlite3_bind_null(q, 3);
    }
    return vl__sq_exec(q);
}

/* Ends a failed transaction: keeps SQLite's message, rolls back. */
static vl_status txn_failed(sq_conn *c, int rc, sq_err *err) {
    err->rc = rc;
    snprintf(err->msg, sizeof err->msg, "%s", sqlite3_errmsg(c->db));
    if (!sqlite3_get_autocommit(c->db)) (void)vl__sq_exec(c->st[SQ_ROLLBACK]);
    if (vl__sq_needs_reopen(rc)) c->broken = true;
    return vl__sq_status(rc);
}

static int cmp_item(const void *a, const void *b) {
    const vl_commit_item *x = *(const vl_commit_item *const *)a;
    const vl_commit_item *y = *(const vl_commit_item *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* The group's items in key order (the B-tree's order: each page is visited
 * once, in sequence). Falls back to batch order if there is no memory. */
static const vl_commit_item **sorted_items(writer *w, uint32_t n, uint64_t *count) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += ((const vl_batch *)w->jobs[i].req)->count;
    *count = total;
    if (total > w->cap) {
        const vl_commit_item **p = realloc(w->items, total * sizeof *p);
        if (!p) return NULL;
        w->items = p;
        w->cap = total;
    }
    uint64_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const vl_batch *b = w->jobs[i].req;
        for (uint32_t j = 0; j < b->count; j++) w->items[k++] = &b->items[j];
    }
    qsort(w->items, total, sizeof *w->items, cmp_item);
    return w->items;
}

static int write_all(writer *w, sq_conn *c, uint32_t n, uint64_t *keys) {
    int rc = SQLITE_DONE;
    const vl_commit_item **items = sorted_items(w, n, keys);
    if (items) {
        for (uint64_t i = 0; i < *keys && rc == SQLITE_DONE; i++) rc = write_item(c, items[i]);
        return rc;
    }
    for (uint32_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        const vl_batch *b = w->jobs[i].req;
        for (uint32_t j = 0; j < b->count && rc == SQLITE_DONE; j++) rc = write_item(c, &b->items[j]);
    }
    return rc;
}

/* Writes the batches of w->jobs[0..n) in one transaction. */
static vl_status run_group(writer *w, uint32_t n, uint64_t *keys, sq_err *err) {
    vl_status st = writer_ready(w->s, err);
    if (st != VL_OK) return st;
    sq_conn *c = &w->s->wconn;
    int rc = vl__sq_exec(c->st[SQ_BEGIN]);
    if (rc == SQLITE_DONE) rc = write_all(w, c, n, keys);
    if (rc == SQLITE_DONE) rc = vl__sq_exec(c->st[SQ_COMMIT]);
    return rc == SQLITE_DONE ? VL_OK : txn_failed(c, rc, err);
}

/* Logs a failure when it differs from the last one, so a failing upstream
 * retried every few seconds does not flood the log. */
static void report_failure(writer *w, sq_inst *inst, vl_status st, uint32_t batches,
                           uint64_t keys, const sq_err *err) {
    w->fails_since++;
    if (st == w->last_fail) return;
    w->last_fail = st;
    inst->env->log(inst->env->log_ctx, VL_LOG_ERROR,
                   "commit of %llu keys (%u batches) failed: %s%s%s; reported as %s, the cache "
                   "retries", (unsigned long long)keys, batches, err->msg,
                   err->rc ? " / " : "", err->rc ? vl__sq_code_name(err->rc) : "",
                   vl_status_name(st));
}

static void report_success(writer *w, sq_inst *inst) {
    if (w->last_fail == VL_OK) return;
    inst->env->log(inst->env->log_ctx, VL_LOG_WARN,
                   "commits succeed again after %llu failed transactions",
                   (unsigned long long)w->fails_since);
    w->last_fail = VL_OK;
    w->fails_since = 0;
}

static void commit_group(writer *w, uint32_t n) {
    sq_shared *s = w->s;
    uint64_t keys = 0;
    sq_err err = {0, ""};
    int64_t t0 = vl__mono_us();
    vl_status st = run_group(w, n, &keys, &err);
    atomic_fetch_add(&s->n.write_us, (uint64_t)(vl__mono_us() - t0));
    if (st == VL_OK) {
        atomic_fetch_add(&s->n.transactions, 1);
        atomic_fetch_add(&s->n.batches, n);
        atomic_fetch_add(&s->n.keys, keys);
        report_success(w, w->jobs[0].inst);
    } else {
        atomic_fetch_add(&s->n.failed, 1);
        report_failure(w, w->jobs[0].inst, st, n, keys, &err);
    }
    /* After this a batch, and possibly its instance, is gone. */
    for (uint32_t i = 0; i < n; i++) vl_batch_done(w->jobs[i].req, st);
}

/* ---- truncate (vl_clear) ---------------------------------------------------- */

static void run_truncate(writer *w, sq_job *job) {
    sq_shared *s = w->s;
    sq_err err = {0, ""};
    vl_status st = writer_ready(s, &err);
    if (st == VL_OK) {
        sq_conn *c = &s->wconn;
        int rc = vl__sq_exec(c->st[SQ_BEGIN]);
        if (rc == SQLITE_DONE) rc = vl__sq_exec(c->st[SQ_TRUNCATE]);
        if (rc == SQLITE_DONE) rc = vl__sq_exec(c->st[SQ_COMMIT]);
        if (rc != SQLITE_DONE) st = txn_failed(c, rc, &err);
    }
    if (st != VL_OK)
        job->inst->env->log(job->inst->env->log_ctx, VL_LOG_ERROR, "truncate failed: %s (%s)",
                            err.msg, vl_status_name(st));
    vl_truncate_done(job->req, st);
}

/* Runs the jobs taken: runs of batches as groups, each truncate alone, in
 * queue order. */
static void run_jobs(writer *w, uint32_t n) {
    sq_job *all = w->jobs;
    for (uint32_t i = 0; i < n;) {
        if (all[i].truncate) {
            run_truncate(w, &all[i++]);
            continue;
        }
        uint32_t j = i;
        while (j < n && !all[j].truncate) j++;
        w->jobs = all + i;
        commit_group(w, j - i);
        w->jobs = all;
        i = j;
    }
}

/* ---- purge ---------------------------------------------------------------- */

static void record_purge(sq_shared *s, uint64_t rows) {
    atomic_fetch_add(&s->n.purge_passes, 1);
    atomic_fetch_add(&s->n.purged, rows);
    uint64_t max = atomic_load(&s->n.purge_max);
    while (rows > max && !atomic_compare_exchange_weak(&s->n.purge_max, &max, rows)) {
    }
}

static void purge_pass(writer *w) {
    sq_shared *s = w->s;
    sq_err err = {0, ""};
    vl_status st = writer_ready(s, &err);
    int64_t rows = 0;
    if (st == VL_OK) {
        sqlite3_stmt *q = s->wconn.st[SQ_PURGE];
        sqlite3_bind_int64(q, 1, vl__wall_ms());
        sqlite3_bind_int64(q, 2, s->purge_rows);
        int rc = vl__sq_exec(q);
        if (rc == SQLITE_DONE) rows = sqlite3_changes(s->wconn.db);
        else st = txn_failed(&s->wconn, rc, &err);
    }
    if (st == VL_OK) record_purge(s, (uint64_t)rows);
    else vl__sq_log_any(s, VL_LOG_WARN, "purge of expired rows failed: %s (%s); next pass in %u ms",
                    err.msg, vl_status_name(st), s->purge_ms);
    bool backlog = st == VL_OK && rows >= (int64_t)s->purge_rows;
    int64_t ms = backlog && s->purge_ms > VL_SQLITE_PURGE_BACKLOG_MS ? VL_SQLITE_PURGE_BACKLOG_MS
                                                                      : s->purge_ms;
    w->next_purge = vl__mono_us() + ms * 1000;
}

void *vl__sq_writer_main(void *arg) {
    sq_shared *s = arg;
    writer w = {s, s->wjobs, INT64_MAX, VL_OK, 0, NULL, 0};
    pthread_setname_np(pthread_self(), "vl-sqlite-w");
    if (s->purge_ms != VL_SQLITE_PURGE_OFF) w.next_purge = vl__mono_us() + (int64_t)s->purge_ms * 1000;
    for (;;) {
        if (vl__mono_us() >= w.next_purge) purge_pass(&w);
        uint32_t n = vl__sq_queue_take(&s->commits, w.jobs, s->group_max, w.next_purge);
        if (n) run_jobs(&w, n);
        else if (vl__sq_queue_stopped(&s->commits)) break;
    }
    free(w.items);
    return NULL;
}
