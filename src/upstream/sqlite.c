/*
 * sqlite.c -- the SQLite upstream of vellir_sqlite.h: options, the
 * upstream's ops, and the life of its threads and connections.
 *
 * Owns: sq_shared (the factory context) and the sq_inst of every shard.
 * Threads: vl_sqlite_options_init, vl_sqlite_upstream and
 * vl_sqlite_stats_get run on any thread. The ops run on shard threads (the
 * contract): open and close take sq_shared.mu (and log_mu for the instance
 * list); load and commit only push to
 * a queue. The first open starts the writer and reader threads (opening
 * their connections on the calling shard thread, which vl_open allows to
 * block); the last close stops and joins them. See sqlite_int.h for the
 * other files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/sqlite_int.h"
#include "util/options.h"

/* ---- options: one table, vellir_limits.h names the numbers ---------------- */

#define U32(f, zero, def, min, max, why) \
    VL_OPT_NUM(vl_sqlite_options, f, OPT_U32, zero, def, min, max, why)
_Static_assert(sizeof(vl_sqlite_sync) == sizeof(uint32_t), "synchronous is a 32-bit row");

static const vl_opt_row options_table[] = {
    VL_OPT_STR(vl_sqlite_options, table, "vellir",
               "table name: [A-Za-z_][A-Za-z0-9_]*, at most VL_SQLITE_TABLE_NAME_MAX bytes"),
    VL_OPT_BOOL(vl_sqlite_options, create_table, true, "create the table and its index if missing"),
    U32(synchronous, OPT_ZERO_VALUE, VL_SQLITE_SYNC_FULL, VL_SQLITE_SYNC_OFF, VL_SQLITE_SYNC_FULL,
        "SQLite's synchronous setting: a vl_sqlite_sync"),
    U32(readers, OPT_ZERO_DEFAULT, VL_SQLITE_READERS_DEFAULT, 1, VL_SQLITE_READERS_MAX,
        "reader threads, one connection each"),
    U32(group_max, OPT_ZERO_DEFAULT, VL_SQLITE_GROUP_MAX_DEFAULT, 1, VL_SQLITE_GROUP_MAX,
        "most commit batches in one transaction (1: no group commit)"),
    U32(busy_timeout_ms, OPT_ZERO_DEFAULT, VL_SQLITE_BUSY_TIMEOUT_MS_DEFAULT, 1, UINT32_MAX,
        "how long a connection waits for another program's lock"),
    U32(purge_interval_ms, OPT_ZERO_DEFAULT, VL_SQLITE_PURGE_INTERVAL_MS_DEFAULT, 1, UINT32_MAX,
        "between purges of expired rows (VL_SQLITE_PURGE_OFF: never)"),
    U32(purge_rows, OPT_ZERO_DEFAULT, VL_SQLITE_PURGE_ROWS_DEFAULT, 1, VL_SQLITE_PURGE_ROWS_MAX,
        "most rows one purge pass deletes"),
};

void vl_sqlite_options_init(vl_sqlite_options *o) {
    memset(o, 0, sizeof *o);
    vl__opt_defaults(options_table, sizeof options_table / sizeof options_table[0], o);
}

/* ---- threads --------------------------------------------------------------- */

/* Stops the threads (after their queues drain) and closes the connections. */
static void stop_threads(sq_shared *s, uint32_t readers_started, bool writer_started) {
    vl__sq_queue_stop(&s->commits);
    vl__sq_queue_stop(&s->loads);
    if (writer_started) pthread_join(s->writer, NULL);
    for (uint32_t i = 0; i < readers_started; i++) pthread_join(s->readers[i].th, NULL);
    for (uint32_t i = 0; i < s->nreaders; i++) vl__sq_conn_close(&s->readers[i].c);
    vl__sq_conn_close(&s->wconn);
}

/* Opens every connection, then starts the threads. Logs through `env`. */
static vl_status start(sq_shared *s, const vl_upstream_env *env) {
    sq_err err = {0, ""};
    vl_status st = vl__sq_conn_open(s, &s->wconn, SQ_WRITER, &err);
    for (uint32_t i = 0; st == VL_OK && i < s->nreaders; i++) {
        s->readers[i].s = s;
        st = vl__sq_conn_open(s, &s->readers[i].c, SQ_READER, &err);
    }
    if (st != VL_OK) {
        env->log(env->log_ctx, VL_LOG_ERROR, "%s: %s", s->path, err.msg);
        stop_threads(s, 0, false);
        return st;
    }
    if (sqlite3_db_readonly(s->wconn.db, "main") == 1)
        env->log(env->log_ctx, VL_LOG_WARN, "%s is read-only: commits fail until it is writable",
                 s->path);
    vl__sq_queue_restart(&s->commits);
    vl__sq_queue_restart(&s->loads);
    bool writer = pthread_create(&s->writer, NULL, vl__sq_writer_main, s) == 0;
    uint32_t started = 0;
    while (writer && started < s->nreaders &&
           pthread_create(&s->readers[started].th, NULL, vl__sq_reader_main, &s->readers[started]) == 0)
        started++;
    if (writer && started == s->nreaders) return VL_OK;
    env->log(env->log_ctx, VL_LOG_ERROR, "%s: cannot start threads", s->path);
    stop_threads(s, started, writer);
    return VL_ENOMEM;
}

/* ---- the ops --------------------------------------------------------------- */

static void link_inst(sq_shared *s, sq_inst *in) {
    pthread_mutex_lock(&s->log_mu);
    in->next = s->insts;
    if (s->insts) s->insts->prev = in;
    s->insts = in;
    pthread_mutex_unlock(&s->log_mu);
}

static void unlink_inst(sq_shared *s, sq_inst *in) {
    pthread_mutex_lock(&s->log_mu);
    if (in->prev) in->prev->next = in->next;
    else s->insts = in->next;
    if (in->next) in->next->prev = in->prev;
    pthread_mutex_unlock(&s->log_mu);
}

static vl_status sq_open(void *ctx, const vl_upstream_env *env, void **out) {
    sq_shared *s = ctx;
    sq_inst *in = calloc(1, sizeof *in);
    if (!in) return VL_ENOMEM;
    in->s = s;
    in->env = env;
    pthread_mutex_lock(&s->mu);
    vl_status st = s->refs == 0 ? start(s, env) : VL_OK;
    if (st == VL_OK) {
        s->refs++;
        link_inst(s, in);
    }
    pthread_mutex_unlock(&s->mu);
    if (st != VL_OK) free(in);
    else *out = in;
    return st;
}

static vl_status sq_load(void *inst, vl_load *req) {
    sq_inst *in = inst;
    return vl__sq_queue_push(&in->s->loads, req, in);
}

static vl_status sq_commit(void *inst, vl_batch *b) {
    sq_inst *in = inst;
    return vl__sq_queue_push(&in->s->commits, b, in);
}

/* vl_clear: the writer empties the table in a transaction of its own, in
 * order with the commits queued before it (the cache sends it only when no
 * commit of the service is in flight). */
static vl_status sq_truncate(void *inst, vl_truncate *req) {
    sq_inst *in = inst;
    return vl__sq_queue_push_job(&in->s->commits, (sq_job){req, in, true, false});
}

/* vl_scan: a page is a read like a load, on a reader thread, in the same
 * read transaction as the loads taken with it (sqlite_reader.c). */
static vl_status sq_scan(void *inst, vl_scan_req *req) {
    sq_inst *in = inst;
    return vl__sq_queue_push_job(&in->s->loads, (sq_job){req, in, false, true});
}

static void sq_close(void *inst) {
    sq_inst *in = inst;
    sq_shared *s = in->s;
    pthread_mutex_lock(&s->mu);
    unlink_inst(s, in);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->mu);
    /* Every request of every instance has completed: the queues are empty
     * and the threads idle (or in a purge pass). */
    if (last) stop_threads(s, s->nreaders, true);
    free(in);
}

static const vl_upstream_ops sq_ops = {
    .name = "sqlite",
    .open = sq_open,
    .load = sq_load,
    .commit = sq_commit,
    .close = sq_close,
    .truncate = sq_truncate,
    .scan = sq_scan,
};

/* ---- the factory ----------------------------------------------------------- */

static void sq_release(void *ctx) {
    sq_shared *s = ctx;
    if (!s) return;
    vl__sq_queue_destroy(&s->commits);
    vl__sq_queue_destroy(&s->loads);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->log_mu);
    free(s->readers);
    free(s->wjobs);
    free(s->path);
    free(s->table);
    free(s->vfs);
    free(s);
}

static bool valid_table(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > VL_SQLITE_TABLE_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

/* Fills the defaults into `o` (the caller's copy) and checks it. */
static bool valid_options(vl_sqlite_options *o) {
    if (!o->path || !o->path[0]) return false;
    if (!vl__opt_check(options_table, sizeof options_table / sizeof options_table[0], o, NULL, 0))
        return false;
    return valid_table(o->table);
}

static char *dup_or_null(const char *p, bool *ok) {
    if (!p) return NULL;
    char *d = strdup(p);
    if (!d) *ok = false;
    return d;
}

static void copy_numbers(sq_shared *s, const vl_sqlite_options *o) {
    s->create_table = o->create_table;
    s->sync = (int)o->synchronous;
    s->nreaders = o->readers;
    s->group_max = o->group_max;
    s->busy_ms = o->busy_timeout_ms;
    s->purge_ms = o->purge_interval_ms;
    s->purge_rows = o->purge_rows;
}

vl_status vl_sqlite_upstream(const vl_sqlite_options *opts, vl_upstream *out) {
    if (!out || !opts) return VL_EINVAL;
    vl_sqlite_options checked = *opts, *o = &checked;
    if (!valid_options(o)) return VL_EINVAL;
    sq_shared *s = calloc(1, sizeof *s);
    if (!s) return VL_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->log_mu, NULL);
    copy_numbers(s, o);
    bool ok = vl__sq_queue_init(&s->commits) == VL_OK && vl__sq_queue_init(&s->loads) == VL_OK;
    s->path = dup_or_null(o->path, &ok);
    s->table = dup_or_null(o->table, &ok);
    s->vfs = dup_or_null(o->vfs, &ok);
    s->readers = calloc(s->nreaders, sizeof *s->readers);
    s->wjobs = calloc(s->group_max, sizeof *s->wjobs);
    if (!ok || !s->readers || !s->wjobs) {
        sq_release(s);
        return VL_ENOMEM;
    }
    *out = (vl_upstream){&sq_ops, s, sq_release};
    return VL_OK;
}

vl_status vl_sqlite_stats_get(const vl_upstream *up, vl_sqlite_stats *out) {
    if (!up || up->ops != &sq_ops || !out) return VL_EINVAL;
    sq_counters *n = &((sq_shared *)up->ctx)->n;
    out->transactions = atomic_load(&n->transactions);
    out->batches = atomic_load(&n->batches);
    out->keys = atomic_load(&n->keys);
    out->failed = atomic_load(&n->failed);
    out->write_us = atomic_load(&n->write_us);
    out->reopens = atomic_load(&n->reopens);
    out->loads = atomic_load(&n->loads);
    out->purge_passes = atomic_load(&n->purge_passes);
    out->purged = atomic_load(&n->purged);
    out->purge_max = atomic_load(&n->purge_max);
    return VL_OK;
}
