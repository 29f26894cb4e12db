/*
 * shard.c -- the shard thread: its loop, how it sleeps and wakes, and how it
 * shuts down.
 *
 * Owns: the thread's life, the libuv loop, the wake-up protocol, the phases.
 * Threads: shard_start on the opening thread; shard_wake and shard_post on
 * any thread; the rest on the shard thread.
 *
 * ==== The loop ====
 *
 * Each turn drains the control queue (completions, flush, shutdown) and then
 * the mailbox (requests), at most one mailbox's worth of requests per turn so
 * completions are never starved. Then the commit batch being built takes
 * its next VL_COMMIT_SNAPSHOT_STEP keys, or one starts if a key is due (a
 * snapshot costs time per key: a big batch is built over several turns,
 * between requests). While requests keep
 * coming, the loop polls the libuv loop without blocking at most every
 * millisecond (timers and upstream sockets live there). When a turn finds
 * nothing, the shard spins for spin_us looking for work before it sleeps:
 * waking a sleeping thread costs tens of microseconds, which a caller issuing
 * requests back to back would pay on every one.
 *
 * ==== Sleeping and waking ====
 *
 * To sleep, the shard sets `sleeping`, looks once more for work, and only
 * then blocks in uv_run(UV_RUN_ONCE). A producer publishes its message first
 * and reads `sleeping` second, and wakes the shard (uv_async_send) only if it
 * is set. Both sides use sequentially consistent operations, so at least one
 * of them sees the other: either the shard finds the message, or the
 * producer finds the flag. No message waits for a shard that is asleep, and
 * a busy shard costs its producers no system call.
 *
 * ==== Shutting down ====
 *
 *   RUNNING --CTL_SHUTDOWN--> DRAINING: intake closed (the mailbox's closed
 *     bit); the requests already in it are served.
 *   DRAINING --mailbox empty--> FLUSHING: every dirty key is due now; failed
 *     commits retry with backoff, capped at the close deadline.
 *   FLUSHING --nothing dirty, nothing in flight--> DONE. At the deadline the
 *     keys still dirty are handed to on_uncommitted and counted.
 *   DONE: the upstream instance is closed, the entries freed, the service
 *     told, and the thread leaves.
 *
 * A clear (vl_clear, clear.c) pauses a running or draining shard: while it
 * is under way the mailbox is not drained and no commit starts, so
 * shutdown's DRAINING waits for it to end.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "service/service.h"
#include "util/clock.h"

_Thread_local vl_shard *vl_current_shard;

void shard_wake(vl_shard *sh) {
    if (atomic_load_explicit(&sh->sleeping, memory_order_seq_cst))
        uv_async_send(&sh->wake);
}

/* An upstream's completion may be the one that lets the shard finish; the
 * shard waits for `posting` to drop to zero before it tears down, so the
 * wake below never touches a shard that vl_close has freed. */
void shard_post(vl_shard *sh, vl_ctl *c) {
    atomic_fetch_add_explicit(&sh->posting, 1, memory_order_seq_cst);
    ctlq_push(&sh->ctl, c);
    shard_wake(sh);
    atomic_fetch_sub_explicit(&sh->posting, 1, memory_order_release);
}

/* A task may arrive at any time, even after the shard finished. The poster
 * announces itself (posting) and then looks at `finished`; the shard sets
 * `finished` and then waits for `posting` to drain, and runs what was
 * posted meanwhile. Sequentially consistent on both sides: a task is either
 * refused or run, never stranded. */
vl_status shard_post_task(vl_shard *sh, vl_ctl *c) {
    atomic_fetch_add_explicit(&sh->posting, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&sh->finished, memory_order_seq_cst)) {
        atomic_fetch_sub_explicit(&sh->posting, 1, memory_order_release);
        return VL_ECLOSED;
    }
    ctlq_push(&sh->ctl, c);
    shard_wake(sh);
    atomic_fetch_sub_explicit(&sh->posting, 1, memory_order_release);
    return VL_OK;
}

static bool has_work(vl_shard *sh) {
    return ctlq_pending(&sh->ctl) ||
           (sh->clear_phase == CLR_NONE && mailbox_peek(&sh->mb) != NULL);
}

/* ---- shutdown phases ------------------------------------------------- */

static void begin_shutdown(vl_shard *sh) {
    if (sh->phase != PH_RUNNING) return;
    mailbox_close_intake(&sh->mb);
    sh->phase = PH_DRAINING;
}

static void shutdown_step(vl_shard *sh) {
    if (sh->clear_phase != CLR_NONE) return; /* a clear ends first */
    if (sh->phase == PH_DRAINING && mailbox_finished(&sh->mb)) {
        sh->phase = PH_FLUSHING;
        sh->close_deadline_us = sh->now_us + (int64_t)sh->svc->opts.close_timeout_ms * 1000;
        commit_all_due(sh);
    }
    if (sh->phase != PH_FLUSHING) return;
    if (sh->now_us >= sh->close_deadline_us) commit_give_up(sh);
    if (sh->inflight_loads == 0 && commit_idle(sh)) {
        sh->phase = PH_DONE;
        if (sh->uncommitted)
            vl_logf(sh->svc, VL_LOG_ERROR,
                    "shard %u: close deadline passed; %llu keys left uncommitted (last error: %s)",
                    sh->index, (unsigned long long)sh->uncommitted, vl_strerror(sh->last_error));
    }
}

/* ---- draining -------------------------------------------------------- */

static uint32_t drain_ctl(vl_shard *sh) {
    uint32_t n = 0;
    for (vl_ctl *c = ctlq_take(&sh->ctl); c; n++) {
        vl_ctl *next = c->next;
        switch ((vl_ctl_kind)c->kind) {
        case CTL_LOAD_DONE:
            load_completed(sh, VL_CONTAINER_OF(c, struct vl_load, ctl));
            break;
        case CTL_BATCH_DONE:
            commit_completed(sh, VL_CONTAINER_OF(c, vl_batch_job, ctl));
            break;
        case CTL_FLUSH: {
            vl_cmd *cmd = VL_CONTAINER_OF(c, vl_cmd, ctl);
            commit_flush(sh, cmd->join);
            free(cmd);
            break;
        }
        case CTL_SHUTDOWN:
            free(VL_CONTAINER_OF(c, vl_cmd, ctl));
            begin_shutdown(sh);
            break;
        case CTL_TASK: {
            vl_task *t = (vl_task *)((char *)c - offsetof(vl_task, reserved_));
            t->fn(t);
            break;
        }
        case CTL_CLEAR:
            clear_begin(sh, c);
            break;
        case CTL_TRUNCATE_DONE:
            clear_truncated(sh, c);
            break;
        case CTL_CLEAR_RESUME:
            clear_resume(sh, c);
            break;
        }
        c = next;
    }
    return n;
}

static void poll_loop(vl_shard *sh) {
    uv_run(&sh->loop, UV_RUN_NOWAIT);
    sh->now_us = vl_mono_us();
}

/* Serves queued requests. The mailbox shows what comes next, so the table's
 * cache misses are pipelined: while request i is served, the home slot of
 * request i+2 and the entry of request i+1 are already being fetched. */
static uint32_t drain_mailbox(vl_shard *sh) {
    if (sh->clear_phase != CLR_NONE) return 0; /* requests wait out a clear */
    uint32_t n = 0, max = (uint32_t)sh->mb.mask + 1;
    vl_msg *m, *ahead;
    if ((ahead = mailbox_peek_ahead(&sh->mb, 1)) != NULL) table_prefetch_slot(&sh->table, ahead->hash);
    while (n < max && (m = mailbox_peek(&sh->mb)) != NULL) {
        if ((ahead = mailbox_peek_ahead(&sh->mb, 2)) != NULL)
            table_prefetch_slot(&sh->table, ahead->hash);
        if ((ahead = mailbox_peek_ahead(&sh->mb, 1)) != NULL)
            table_prefetch_entry(&sh->table, ahead->hash);
        dispatch_msg(sh, m);
        mailbox_release(&sh->mb);
        if (++n % VL_POLL_EVERY_REQUESTS == 0) sh->now_us = vl_mono_us();
    }
    return n;
}

static bool spin_for_work(vl_shard *sh) {
    uint32_t us = sh->svc->opts.spin_us;
    if (us == 0) return false;
    int64_t end = vl_mono_us() + us;
    do {
        sched_yield(); /* not a pause loop: see the note above */
        if (has_work(sh)) return true;
    } while (vl_mono_us() < end);
    return false;
}

static void shard_loop(vl_shard *sh) {
    int64_t last_poll = vl_mono_us();
    while (sh->phase != PH_DONE) {
        sh->now_us = vl_mono_us();
        uint32_t n = drain_ctl(sh);
        clear_step(sh);
        n += drain_mailbox(sh);
        commit_pump(sh);
        if (commit_due_now(sh)) n++; /* more to snapshot on the next turn */
        shutdown_step(sh);
        if (sh->phase == PH_DONE) break;
        if (n > 0) {
            if (vl_mono_us() - last_poll >= 1000) {
                poll_loop(sh);
                last_poll = vl_mono_us();
            }
            continue;
        }
        poll_loop(sh);
        if (has_work(sh) || spin_for_work(sh)) continue;
        if (sh->expire_fast && sh->now_us >= sh->expire_fast_at_us) {
            expire_cycle(sh, true); /* the slow cycle ran out of time */
            sh->expire_fast_at_us = vl_mono_us() + 2 * (int64_t)sh->svc->opts.expire.fast_us;
            continue;
        }
        atomic_store_explicit(&sh->sleeping, 1, memory_order_seq_cst);
        if (!has_work(sh)) uv_run(&sh->loop, UV_RUN_ONCE);
        atomic_store_explicit(&sh->sleeping, 0, memory_order_relaxed);
        last_poll = vl_mono_us();
    }
}

/* ---- start and stop -------------------------------------------------- */

static void on_wake(uv_async_t *h) { (void)h; /* the loop drains after uv_run */ }

void shard_commit_timer_cb(uv_timer_t *t) {
    vl_shard *sh = t->data;
    sh->commit_timer_at = INT64_MAX;
    sh->now_us = vl_mono_us();
    commit_pump(sh);
}

static void up_log(void *ctx, vl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void up_log(void *ctx, vl_log_level level, const char *fmt, ...) {
    vl_shard *sh = ctx;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vl_logf(sh->svc, level, "upstream %s, shard %u: %s", sh->svc->upstream.ops->name,
            sh->index, msg);
}

static vl_status shard_setup(vl_shard *sh) {
    if (uv_loop_init(&sh->loop) != 0) return VL_ENOMEM;
    uv_async_init(&sh->loop, &sh->wake, on_wake);
    uv_timer_init(&sh->loop, &sh->commit_timer);
    sh->commit_timer.data = sh;
    sh->commit_timer_at = INT64_MAX;
    uv_timer_init(&sh->loop, &sh->expire_timer);
    sh->expire_timer.data = sh;
    uint64_t period = 1000 / sh->svc->opts.expire.hz;
    uv_timer_start(&sh->expire_timer, expire_timer_cb, period, period);
    sh->now_us = vl_mono_us();
    const vl_service *svc = sh->svc;
    sh->env.shard = sh->index;
    sh->env.shards = svc->nshards;
    sh->env.loop = &sh->loop;
    sh->env.value_max = svc->opts.value_max;
    sh->env.log = up_log;
    sh->env.log_ctx = sh;
    vl_status st = svc->upstream.ops->open(svc->upstream.ctx, &sh->env, &sh->up);
    if (st != VL_OK)
        vl_logf(svc, VL_LOG_ERROR, "upstream %s failed to open on shard %u: %s",
                svc->upstream.ops->name, sh->index, vl_strerror(st));
    return st;
}

static void close_handle(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void free_entries(vl_shard *sh) {
    const vl_type *t = &sh->svc->type;
    for (uint64_t i = 0; i < sh->table.cap; i++) {
        vl_entry *e = table_slot(&sh->table, i);
        if (!e) continue;
        if ((e->flags & F_PRESENT) && t->destroy) t->destroy(t->ctx, entry_value(e));
        slab_free(&sh->slab, e, entry_alloc_size(e->key_len, t->size));
    }
}

static void shard_teardown(vl_shard *sh, bool opened) {
    if (opened) sh->svc->upstream.ops->close(sh->up);
    free_entries(sh);
    uv_walk(&sh->loop, close_handle, NULL);
    uv_run(&sh->loop, UV_RUN_DEFAULT);
    uv_loop_close(&sh->loop);
}

static void report_started(vl_shard *sh, vl_status st) {
    vl_service *svc = sh->svc;
    pthread_mutex_lock(&svc->start_mu);
    if (st != VL_OK && svc->start_status == VL_OK) svc->start_status = st;
    svc->started++;
    pthread_cond_broadcast(&svc->start_cv);
    pthread_mutex_unlock(&svc->start_mu);
}

/* A shard whose upstream failed to open waits until every shard has set
 * up before it tears its loop down: its closed file descriptors must not be
 * reused by a sibling still setting up, which ThreadSanitizer (blind to the
 * kernel's ordering) reports as a race on the descriptor. */
static void wait_start_over(vl_service *svc) {
    pthread_mutex_lock(&svc->start_mu);
    while (!svc->start_over) pthread_cond_wait(&svc->start_cv, &svc->start_mu);
    pthread_mutex_unlock(&svc->start_mu);
}

static void *shard_main(void *p) {
    vl_shard *sh = p;
    vl_current_shard = sh;
    vl_status st = shard_setup(sh);
    report_started(sh, st);
    if (st == VL_OK) shard_loop(sh);
    else wait_start_over(sh->svc);
    atomic_store_explicit(&sh->finished, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&sh->posting, memory_order_seq_cst)) sched_yield();
    if (st == VL_OK) drain_ctl(sh); /* tasks posted before `finished` was seen */
    shard_teardown(sh, st == VL_OK);
    if (st == VL_OK && sh->svc->shutdown)
        join_part_done(sh->svc->shutdown, sh->uncommitted ? VL_EUNCOMMITTED : VL_OK);
    return NULL;
}

vl_status shard_start(vl_shard *sh) {
    if (pthread_create(&sh->thread, NULL, shard_main, sh) != 0) return VL_ENOMEM;
    return VL_OK;
}
