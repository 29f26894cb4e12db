/*
 * pg_conn.c -- one connection of the PostgreSQL upstream: its life, and its
 * socket and timers in the shard's loop.
 *
 * Owns: the pg_conn state machine below, the uv_poll on PQsocket, the four
 * timers and the prepare handle that ends groups of loads, a lost TRUNCATE
 * held until it can no longer land, the lists of ops
 * waiting and on the wire, reconnect backoff, the fence, and the purge
 * schedule.
 * Threads: the owning shard's thread only (open, load, commit, close and the
 * loop's callbacks all run there).
 *
 * ==== The state machine ====
 *
 *              timer                          PQconnectPoll OK
 *   BACKOFF ----------> CONNECTING --------------------------------> SETUP
 *     ^ ^                   |                                          |
 *     | |  attempt failed,  |   setup statement failed, timed out,     | fence
 *     | +--- timed out -----+   connection lost                        | taken
 *     | +----------------------------------------------------------+   v
 *     +--------- connection lost, request timed out --------------- READY
 *
 * - BACKOFF: no connection. A new request fails at once with the status of
 *   the last failure (the cache retries commits). The timer starts the next
 *   attempt: at once after a ready connection was lost, else after
 *   base * 2^(n-1) ms (capped, half of it jittered) for the n-th failed
 *   attempt in a row.
 * - CONNECTING: PQconnectStartParams, then PQconnectPoll each time the
 *   socket is ready the way libpq asked. The watcher is made anew at each
 *   step, since libpq may replace the socket (under the same number) while
 *   it tries addresses. New requests wait in `waiting`. The timer bounds the
 *   attempt, SETUP included (connect_timeout_ms).
 * - SETUP: non-blocking, pipeline mode. On the wire, ahead of any request:
 *   CREATE (the first time, if asked), PREPARE (every statement), FENCE
 *   (pg_try_advisory_lock on a key unique to this instance). The old
 *   connection's backend holds that lock until it ends; while it lives it
 *   may still be running a commit whose answer we lost, so if FENCE finds
 *   the lock taken, FENCE_WAIT waits for it on the server (lock_timeout
 *   VL_PG_FENCE_TERMINATE_MS), and each time that runs out, TERMINATE asks
 *   the server to end that backend first. Nothing of ours is sent before
 *   the lock is ours, so no stale commit can land after its retry.
 * - READY: the waiting requests go on the wire, in order, and new ones as
 *   they come (loads without a Sync each: sync_prep ends their group with
 *   one Sync when the loop next runs, see pg_ops.c). The watchdog drops the
 *   connection (VL_ETIMEOUT) if the oldest op waits longer than
 *   request_timeout_ms: a half-open socket or a hung server. Shard 0 also
 *   runs the purge from here.
 * - Drop (any failure while connecting or connected): the socket is closed
 *   (PQfinish), every op on the wire and every waiting one fails with the
 *   status, and the state is BACKOFF. Inside vl_open there is no BACKOFF:
 *   the first failure ends in FAILED and vl_open returns its status.
 * - CLOSED: close ran; the handles are closing and the last one frees the
 *   instance.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "upstream/pg_int.h"
#include "util/clock.h"

static void on_poll(uv_poll_t *h, int status, int events);
static void on_timer(uv_timer_t *t);
static void on_watchdog(uv_timer_t *t);
static void on_purge_timer(uv_timer_t *t);
static void on_prepare(uv_prepare_t *h);

/* ---- messages ------------------------------------------------------------ */

void vl__pg_logf(pg_conn *pg, vl_log_level level, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* libpq's messages end in newlines; a log line must not. */
    for (char *p = msg; *p; p++)
        if (*p == '\n') *p = ' ';
    size_t n = strlen(msg);
    while (n && msg[n - 1] == ' ') msg[--n] = 0;
    pg->env->log(pg->env->log_ctx, level, "%s", msg);
}

static void on_notice(void *arg, const char *msg) {
    vl__pg_logf(arg, VL_LOG_INFO, "server notice: %s", msg);
}

/* ---- the socket's watcher --------------------------------------------------- */

static void poll_closed(uv_handle_t *h) { free(h); }

static void unwatch(pg_conn *pg) {
    if (!pg->poll) return;
    uv_close((uv_handle_t *)pg->poll, poll_closed);
    pg->poll = NULL;
}

/* Watches the socket for `events`. `fresh`: make a new watcher first. */
static bool watch(pg_conn *pg, int events, bool fresh) {
    if (fresh) unwatch(pg);
    if (!pg->poll) {
        uv_poll_t *p = malloc(sizeof *p);
        if (!p) return false;
        if (uv_poll_init(pg->env->loop, p, PQsocket(pg->conn)) != 0) {
            free(p);
            return false;
        }
        p->data = pg;
        pg->poll = p;
        pg->poll_events = -1;
    }
    if (events == pg->poll_events) return true;
    if (uv_poll_start(pg->poll, events, on_poll) != 0) return false;
    pg->poll_events = events;
    return true;
}

/* Pushes libpq's output; watches for writability while some is left.
 * False if the connection broke (libpq may have closed the socket inside
 * any call that writes or reads: it must not stay watched). */
static bool flush_out(pg_conn *pg) {
    int r = PQflush(pg->conn);
    if (r < 0 || PQstatus(pg->conn) == CONNECTION_BAD) return false;
    return watch(pg, UV_READABLE | (r ? UV_WRITABLE : 0), false);
}

static void drop_broken(pg_conn *pg) {
    vl__pg_conn_drop(pg, VL_EUNAVAILABLE, pg->conn ? PQerrorMessage(pg->conn) : "no connection");
}

/* ---- the watchdog ---------------------------------------------------------- */

static int64_t request_timeout_us(const pg_conn *pg) {
    return (int64_t)pg->f->o.request_timeout_ms * 1000;
}

/* Keeps the watchdog due at the oldest op's deadline (or stopped). */
static void arm_watchdog(pg_conn *pg) {
    if (!pg->wire.head) {
        uv_timer_stop(&pg->watchdog);
        return;
    }
    if (uv_is_active((uv_handle_t *)&pg->watchdog)) return;
    int64_t left = pg->wire.head->sent_us + request_timeout_us(pg) - vl__mono_us();
    uv_timer_start(&pg->watchdog, on_watchdog, left > 0 ? (uint64_t)(left + 999) / 1000 : 0, 0);
}

static void on_watchdog(uv_timer_t *t) {
    pg_conn *pg = t->data;
    pg_op *op = pg->wire.head;
    if (!op) return;
    if (vl__mono_us() - op->sent_us >= request_timeout_us(pg)) {
        vl__pg_conn_drop(pg, VL_ETIMEOUT, "no answer within request_timeout_ms");
        return;
    }
    arm_watchdog(pg); /* the op it was armed for has been answered */
}

/* ---- connecting ------------------------------------------------------------- */

void vl__pg_conn_start(pg_conn *pg) {
    static const char *const keys[] = {"fallback_application_name", "keepalives_idle",
                                       "keepalives_interval", "keepalives_count", "dbname",
                                       NULL};
    /* Defaults first: keywords in the user's conninfo (dbname, expanded)
     * override them. */
    const char *vals[] = {pg->appname, "30", "10", "3", pg->f->conninfo, NULL};
    pg->state = PG_CONNECTING;
    uv_timer_start(&pg->timer, on_timer, pg->f->o.connect_timeout_ms, 0);
    pg->conn = PQconnectStartParams(keys, vals, 1);
    if (!pg->conn) {
        vl__pg_conn_drop(pg, VL_ENOMEM, "out of memory");
        return;
    }
    if (PQstatus(pg->conn) == CONNECTION_BAD) {
        const char *msg = PQerrorMessage(pg->conn);
        vl__pg_conn_drop(pg, vl__pg_connect_status(msg), msg);
        return;
    }
    /* As the libpq manual says: after PQconnectStart, act as if
     * PQconnectPoll had answered PGRES_POLLING_WRITING. */
    if (!watch(pg, UV_WRITABLE, true)) drop_broken(pg);
}

static bool send_setup(pg_conn *pg, pg_op_kind kind) {
    pg_op *op = vl__pg_op_new(kind);
    if (!op) {
        vl__pg_conn_drop(pg, VL_ENOMEM, "out of memory");
        return false;
    }
    if (!vl__pg_send(pg, op)) {
        drop_broken(pg);
        return false;
    }
    return true;
}

static void connected(pg_conn *pg) {
    if (PQsetnonblocking(pg->conn, 1) != 0 || PQenterPipelineMode(pg->conn) != 1 ||
        !watch(pg, UV_READABLE, true)) {
        drop_broken(pg);
        return;
    }
    PQsetNoticeProcessor(pg->conn, on_notice, pg);
    pg->state = PG_SETUP;
    pg->fence_terminated = false;
    if (pg->f->o.create && !pg->created && !send_setup(pg, OP_CREATE)) return;
    if (!send_setup(pg, OP_PREPARE) || !send_setup(pg, OP_FENCE)) return;
    if (!flush_out(pg)) {
        drop_broken(pg);
        return;
    }
    arm_watchdog(pg);
}

static void connect_step(pg_conn *pg) {
    switch (PQconnectPoll(pg->conn)) {
    case PGRES_POLLING_READING:
        if (!watch(pg, UV_READABLE, true)) drop_broken(pg);
        return;
    case PGRES_POLLING_WRITING:
        if (!watch(pg, UV_WRITABLE, true)) drop_broken(pg);
        return;
    case PGRES_POLLING_OK:
        connected(pg);
        return;
    default: {
        const char *msg = PQerrorMessage(pg->conn);
        vl__pg_conn_drop(pg, vl__pg_connect_status(msg), msg);
        return;
    }
    }
}

/* ---- ready -------------------------------------------------------------------- */

static void schedule_purge(pg_conn *pg, uint64_t ms) {
    if (pg->env->shard != 0 || !pg->f->o.purge || pg->state == PG_CLOSED) return;
    uv_timer_start(&pg->purge_timer, on_purge_timer, ms, 0);
}

static void become_ready(pg_conn *pg) {
    uv_timer_stop(&pg->timer);
    pg->state = PG_READY;
    pg->failures = 0;
    PG_COUNT(pg->f, connects, 1);
    if (pg->ever_ready)
        vl__pg_logf(pg, VL_LOG_WARN, "reconnected after %.1f ms",
                (double)(vl__mono_us() - pg->down_since_us) / 1000.0);
    pg->ever_ready = true;
    pg_op *op = pg->waiting.head;
    pg->waiting.head = NULL;
    pg->waiting.tailp = &pg->waiting.head;
    while (op) {
        pg_op *next = op->next;
        if (!vl__pg_send(pg, op)) {
            while (next) { /* back to waiting: the drop fails them */
                pg_op *after = next->next;
                vl__pg_list_push(&pg->waiting, next);
                next = after;
            }
            drop_broken(pg);
            return;
        }
        op = next;
    }
    if (!vl__pg_close_group(pg) || !flush_out(pg)) {
        drop_broken(pg);
        return;
    }
    arm_watchdog(pg);
    if (!uv_is_active((uv_handle_t *)&pg->purge_timer))
        schedule_purge(pg, pg->f->o.purge_interval_ms);
}

void vl__pg_conn_fenced(pg_conn *pg, pg_op_kind kind, vl_status st, bool locked) {
    if (kind == OP_TERMINATE) return; /* the FENCE_WAIT behind it decides */
    if (st == VL_OK && locked) {
        become_ready(pg);
        return;
    }
    if (kind == OP_FENCE && st == VL_OK) {
        /* The lost connection's backend is still alive: wait for it. */
        PG_COUNT(pg->f, fence_waits, 1);
        vl__pg_logf(pg, VL_LOG_INFO, "waiting for the previous connection's backend to end");
    } else if (kind == OP_FENCE_WAIT && st == VL_EOVERLOADED) {
        /* lock_timeout ran out: ask the server to end that backend. */
        vl__pg_logf(pg, VL_LOG_WARN, "previous connection's backend still alive after %u ms; "
                                 "terminating it", VL_PG_FENCE_TERMINATE_MS);
        pg->fence_terminated = true;
        if (!send_setup(pg, OP_TERMINATE)) return;
    } else {
        vl__pg_conn_drop(pg, st, "taking the connection's session lock failed");
        return;
    }
    if (send_setup(pg, OP_FENCE_WAIT) && !flush_out(pg)) drop_broken(pg);
}

/* ---- dropping ------------------------------------------------------------------ */

static void on_late(uv_timer_t *t) {
    pg_conn *pg = t->data;
    pg_op *op = pg->late_truncate;
    pg->late_truncate = NULL;
    if (op) vl__pg_op_fail(pg, op, pg->late_status);
}

/* A TRUNCATE lost with its connection may still be running on the old
 * backend (waiting for its lock), and land later. The cache resumes every
 * shard when the truncate is answered, so its failure is held until it can
 * no longer land: the statement carries statement_timeout = half the
 * request timeout, so by a request timeout after it was sent the server
 * has finished or cancelled it. (A commit needs no such wait: the fence
 * keeps this shard's own commits behind the old backend, and no other
 * shard writes its keys; a truncate touches every shard's keys.) */
static bool hold_truncate(pg_conn *pg, pg_op *op, vl_status st) {
    if (op->kind != OP_TRUNCATE || pg->state == PG_CLOSED) return false;
    pg->late_truncate = op;
    pg->late_status = st;
    int64_t left = op->sent_us + request_timeout_us(pg) - vl__mono_us();
    uv_timer_start(&pg->late, on_late, left > 0 ? (uint64_t)(left + 999) / 1000 : 0, 0);
    return true;
}

static void fail_list(pg_conn *pg, pg_op_list *l, vl_status st, bool on_wire) {
    pg_op *op = l->head;
    l->head = NULL;
    l->tailp = &l->head;
    while (op) {
        pg_op *next = op->next;
        if (!on_wire || !hold_truncate(pg, op, st)) vl__pg_op_fail(pg, op, st);
        op = next;
    }
}

static uint64_t backoff_ms(pg_conn *pg) {
    uint64_t d = pg->f->o.reconnect_base_ms, cap = pg->f->o.reconnect_cap_ms;
    for (uint32_t i = 1; i < pg->failures && d < cap; i++) d *= 2;
    if (d > cap) d = cap;
    return d / 2 + vl__rng_below(&pg->rng, d / 2 + 1);
}

/* Failed attempts are logged once per VL_PG_FAILURE_LOG_MS while they go on. */
#define VL_PG_FAILURE_LOG_MS 10000

static void log_drop(pg_conn *pg, bool was_ready, uint32_t failed, vl_status st,
                     const char *why) {
    int64_t now = vl__mono_us();
    if (was_ready) {
        vl__pg_logf(pg, VL_LOG_WARN, "connection lost: %s (%s); %u requests failed back; reconnecting",
                why, vl_status_name(st), failed);
        pg->last_log_us = now;
        return;
    }
    if (pg->failures > 1 && now - pg->last_log_us < VL_PG_FAILURE_LOG_MS * 1000) return;
    pg->last_log_us = now;
    vl__pg_logf(pg, VL_LOG_WARN, "connection attempt %u failed: %s (%s); retrying", pg->failures, why,
            vl_status_name(st));
}

void vl__pg_conn_drop(pg_conn *pg, vl_status st, const char *why) {
    bool was_ready = pg->state == PG_READY;
    char reason[512];
    snprintf(reason, sizeof reason, "%s", why ? why : "?"); /* `why` may be libpq's */
    pg->gen++;
    unwatch(pg);
    if (pg->conn) PQfinish(pg->conn);
    pg->conn = NULL;
    uv_timer_stop(&pg->timer);
    uv_timer_stop(&pg->watchdog);
    uv_prepare_stop(&pg->sync_prep);
    pg->unsynced = 0;
    pg->abort_status = VL_OK;
    pg->purging = false;
    pg->last_status = st;
    uint32_t failed = pg->requests;
    fail_list(pg, &pg->wire, st, true);
    fail_list(pg, &pg->waiting, st, false);
    if (pg->state == PG_CLOSED) return;
    if (pg->opening) {
        pg->state = PG_FAILED;
        pg->open_status = st;
        vl__pg_logf(pg, VL_LOG_ERROR, "cannot connect to table %s: %s (%s)", pg->f->table, reason,
                vl_status_name(st));
        return;
    }
    pg->state = PG_BACKOFF;
    if (was_ready) {
        PG_COUNT(pg->f, disconnects, 1);
        pg->failures = 0;
        pg->down_since_us = vl__mono_us();
    } else {
        PG_COUNT(pg->f, connect_failures, 1);
        pg->failures++;
    }
    log_drop(pg, was_ready, failed, st, reason);
    uv_timer_start(&pg->timer, on_timer, was_ready ? 0 : backoff_ms(pg), 0);
}

/* ---- requests ------------------------------------------------------------------- */

void vl__pg_conn_submit(pg_conn *pg, pg_op *op) {
    if (pg->requests >= pg->f->o.inflight_max) {
        vl__pg_op_fail(pg, op, VL_EOVERLOADED);
        return;
    }
    switch (pg->state) {
    case PG_READY: {
        bool load = op->kind == OP_LOAD; /* a load waits for its group's Sync */
        op->counted = 1;
        pg->requests++;
        if (!vl__pg_send(pg, op) || (!load && !flush_out(pg))) {
            drop_broken(pg);
            return;
        }
        arm_watchdog(pg);
        return;
    }
    case PG_CONNECTING:
    case PG_SETUP:
        op->counted = 1;
        pg->requests++;
        vl__pg_list_push(&pg->waiting, op);
        return;
    default:
        vl__pg_op_fail(pg, op, pg->last_status);
        return;
    }
}

/* ---- the purge (shard 0) ---------------------------------------------------------- */

static void on_purge_timer(uv_timer_t *t) {
    pg_conn *pg = t->data;
    if (pg->state != PG_READY || pg->purging) {
        schedule_purge(pg, pg->f->o.purge_interval_ms);
        return;
    }
    pg_op *op = vl__pg_op_new(OP_PURGE);
    if (!op) {
        schedule_purge(pg, pg->f->o.purge_interval_ms);
        return;
    }
    pg->purging = true;
    if (!vl__pg_send(pg, op) || !flush_out(pg)) {
        drop_broken(pg); /* becoming ready again restarts the purge */
        return;
    }
    arm_watchdog(pg);
}

void vl__pg_conn_purged(pg_conn *pg, int64_t rows, vl_status st) {
    pg->purging = false;
    if (st != VL_OK) {
        schedule_purge(pg, pg->f->o.purge_interval_ms);
        return;
    }
    PG_COUNT(pg->f, purge_passes, 1);
    PG_COUNT(pg->f, purged, (uint64_t)rows);
    /* A full pass means there is more: go on soon, one bounded pass at a
     * time, so requests get the connection in between. */
    schedule_purge(pg, rows >= (int64_t)pg->f->o.purge_batch ? VL_PG_PURGE_AGAIN_MS
                                                              : pg->f->o.purge_interval_ms);
}

/* ---- the group of loads -------------------------------------------------------------- */

void vl__pg_conn_sync_later(pg_conn *pg) {
    if (!uv_is_active((uv_handle_t *)&pg->sync_prep)) uv_prepare_start(&pg->sync_prep, on_prepare);
}

/* Runs when the shard polls its loop (before it would block): the loads
 * sent since the last Sync get theirs, in one write. */
static void on_prepare(uv_prepare_t *h) {
    pg_conn *pg = h->data;
    uv_prepare_stop(h);
    if (pg->state != PG_READY || pg->unsynced == 0) return;
    if (!vl__pg_close_group(pg) || !flush_out(pg)) drop_broken(pg);
}

/* ---- the loop's callbacks ------------------------------------------------------------ */

static void on_poll(uv_poll_t *h, int status, int events) {
    pg_conn *pg = h->data;
    if (pg->state == PG_CONNECTING) {
        /* Errors too: libpq reads the socket's own (SO_ERROR), e.g.
         * "connection to server at ..., port ... failed: Connection
         * refused", and tries the host's next address if it has one. */
        connect_step(pg);
        return;
    }
    if (status < 0) { /* libuv reports POLLERR (a reset socket) as EBADF */
        vl__pg_conn_drop(pg, VL_EUNAVAILABLE, "socket error (connection reset?)");
        return;
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(pg->conn)) {
            drop_broken(pg);
            return;
        }
        uint64_t gen = pg->gen;
        vl__pg_take_results(pg);
        if (gen != pg->gen) return; /* dropped while completing */
    }
    if (!flush_out(pg)) {
        drop_broken(pg);
        return;
    }
    arm_watchdog(pg);
}

static void on_timer(uv_timer_t *t) {
    pg_conn *pg = t->data;
    switch (pg->state) {
    case PG_BACKOFF:
        vl__pg_conn_start(pg);
        break;
    case PG_CONNECTING:
    case PG_SETUP:
        vl__pg_conn_drop(pg, VL_ETIMEOUT, "connecting took longer than connect_timeout_ms");
        break;
    default:
        break;
    }
}

/* ---- life ----------------------------------------------------------------------------- */

pg_conn *vl__pg_conn_new(pg_factory *f, const vl_upstream_env *env) {
    pg_conn *pg = calloc(1, sizeof *pg);
    if (!pg) return NULL;
    pg->f = f;
    pg->env = env;
    pg->wire.tailp = &pg->wire.head;
    pg->waiting.tailp = &pg->waiting.head;
    pg->last_status = VL_EUNAVAILABLE;
    snprintf(pg->appname, sizeof pg->appname, "vellir/shard%u", env->shard);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)vl__wall_us() ^ ((uint64_t)env->shard << 48) ^ (uintptr_t)pg;
    pg->rng.s = seed;
    pg->fence_key = (int32_t)(1 + vl__rng_below(&pg->rng, 0x7ffffffe));
    uv_timer_t *timers[4] = {&pg->timer, &pg->watchdog, &pg->purge_timer, &pg->late};
    for (int i = 0; i < 4; i++) {
        uv_timer_init(env->loop, timers[i]);
        timers[i]->data = pg;
    }
    uv_prepare_init(env->loop, &pg->sync_prep);
    pg->sync_prep.data = pg;
    pg->handles_open = 5;
    return pg;
}

static void timer_closed(uv_handle_t *h) { /* a timer or sync_prep */
    pg_conn *pg = h->data;
    if (--pg->handles_open > 0) return;
    vl_buf_free(&pg->scratch);
    free(pg);
}

void vl__pg_conn_free(pg_conn *pg) {
    pg->state = PG_CLOSED;
    vl__pg_conn_drop(pg, VL_ECLOSED, "closing");
    uv_close((uv_handle_t *)&pg->timer, timer_closed);
    uv_close((uv_handle_t *)&pg->watchdog, timer_closed);
    uv_close((uv_handle_t *)&pg->purge_timer, timer_closed);
    uv_close((uv_handle_t *)&pg->sync_prep, timer_closed);
    uv_close((uv_handle_t *)&pg->late, timer_closed);
    on_late(&pg->late); /* cannot be pending: a clear ends before a close */
}
