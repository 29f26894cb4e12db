/*
 * shard.c -- a shard: its setup and teardown, its loop, which composes the
 * cache's parts (requests, loads, commits, expiry, clear, scan), and its
 * shutdown.
 *
 * Owns: the shard's life and its shutdown phases.
 * Threads: vl__shard_init, vl__shard_fini, vl__shard_start and vl__shard_post_all on the
 * opening thread (vl__shard_post_all on any); the rest on the shard's thread.
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
 * Sleeping, waking and posting are the runtime's (runtime/worker.c): a
 * shard is a worker whose mailbox carries requests for its keys.
 *
 * ==== Shutting down ====
 *
 *   RUNNING --CTL_SHUTDOWN--> DRAINING: intake closed (the mailbox's closed
 *     bit); the requests already in it are served.
 *   DRAINING --mailbox empty--> FLUSHING: every dirty key is due now; failed
 *     commits retry with backoff, capped at the close deadline.
 *   FLUSHING --nothing dirty, nothing in flight--> DONE. At the deadline the
 *     keys still dirty are handed to on_uncommitted and counted. A scan
 *     page that still needs the shard (scan.c) holds it here until it is
 *     done.
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

#include "cache/internal.h"
#include "util/clock.h"

static bool has_work(void *arg) {
    vl_shard *sh = arg;
    return vl__ctlq_pending(&sh->rt.ctl) ||
           (sh->clear_phase == CLR_NONE && vl__mailbox_peek(&sh->rt.mb) != NULL);
}

/* ---- shutdown phases ------------------------------------------------- */

static void begin_shutdown(vl_shard *sh) {
    if (sh->phase != PH_RUNNING) return;
    vl__mailbox_close_intake(&sh->rt.mb);
    sh->phase = PH_DRAINING;
}

static void shutdown_step(vl_shard *sh) {
    if (sh->clear_phase != CLR_NONE) return; /* a clear ends first */
    if (sh->phase == PH_DRAINING && vl__mailbox_finished(&sh->rt.mb)) {
        sh->phase = PH_FLUSHING;
        sh->close_deadline_us = sh->now_us + (int64_t)sh->opts.close_timeout_ms * 1000;
        vl__commit_all_due(sh);
    }
    if (sh->phase != PH_FLUSHING) return;
    if (sh->now_us >= sh->close_deadline_us) vl__commit_give_up(sh);
    if (sh->inflight_loads == 0 && vl__commit_idle(sh) && sh->inflight_scans == 0 &&
        atomic_load(&sh->scans) == 0) { /* a page of a scan still needs this shard */
        sh->phase = PH_DONE;
        if (sh->uncommitted)
            vl__logf(&sh->log, VL_LOG_ERROR,
                    "shard %u: close deadline passed; %llu keys left uncommitted (last error: %s)",
                    sh->index, (unsigned long long)sh->uncommitted, vl_strerror(sh->last_error));
    }
}

/* ---- draining -------------------------------------------------------- */

static uint32_t drain_ctl(vl_shard *sh) {
    uint32_t n = 0;
    for (vl_ctl *c = vl__ctlq_take(&sh->rt.ctl); c; n++) {
        vl_ctl *next = c->next;
        switch ((vl_ctl_kind)c->kind) {
        case CTL_LOAD_DONE:
            vl__dispatch_loaded(sh, VL_CONTAINER_OF(c, struct vl_load, ctl));
            break;
        case CTL_BATCH_DONE:
            vl__commit_completed(sh, VL_CONTAINER_OF(c, vl_batch_job, ctl));
            break;
        case CTL_FLUSH: {
            vl_cmd *cmd = VL_CONTAINER_OF(c, vl_cmd, ctl);
            vl__commit_flush(sh, cmd->join);
            free(cmd);
            break;
        }
        case CTL_SHUTDOWN: {
            vl_cmd *cmd = VL_CONTAINER_OF(c, vl_cmd, ctl);
            if (!sh->finish) sh->finish = cmd->join;
            free(cmd);
            begin_shutdown(sh);
            break;
        }
        case CTL_TASK: {
            vl_task *t = (vl_task *)((char *)c - offsetof(vl_task, reserved_));
            t->fn(t);
            break;
        }
        case CTL_CLEAR:
            vl__clear_begin(sh, c);
            break;
        case CTL_TRUNCATE_DONE:
            vl__clear_truncated(sh, c);
            break;
        case CTL_CLEAR_RESUME:
            vl__clear_resume(sh, c);
            break;
        case CTL_SCAN_COLLECT:
            vl__scan_collect(sh, c);
            break;
        case CTL_SCAN_READ:
            vl__scan_read_done(sh, c);
            break;
        case CTL_SCAN_MERGE:
            vl__scan_merge(sh, c);
            break;
        }
        c = next;
    }
    return n;
}

static void poll_loop(vl_shard *sh) {
    uv_run(&sh->rt.loop, UV_RUN_NOWAIT);
    sh->now_us = vl__mono_us();
}

/* Serves queued requests. The mailbox shows what comes next, so the table's
 * cache misses are pipelined: while request i is served, the home slot of
 * request i+2 and the entry of request i+1 are already being fetched. */
static uint32_t drain_mailbox(vl_shard *sh) {
    if (sh->clear_phase != CLR_NONE) return 0; /* requests wait out a clear */
    vl_mailbox *mb = &sh->rt.mb;
    uint32_t n = 0, max = (uint32_t)mb->mask + 1;
    vl_msg *m, *ahead;
    if ((ahead = vl__mailbox_peek_ahead(mb, 1)) != NULL) vl__table_prefetch_slot(&sh->table, ahead->hash);
    while (n < max && (m = vl__mailbox_peek(mb)) != NULL) {
        if ((ahead = vl__mailbox_peek_ahead(mb, 2)) != NULL)
            vl__table_prefetch_slot(&sh->table, ahead->hash);
        if ((ahead = vl__mailbox_peek_ahead(mb, 1)) != NULL)
            vl__table_prefetch_entry(&sh->table, ahead->hash);
        vl__dispatch_msg(sh, m);
        vl__mailbox_release(mb);
        if (++n % VL_POLL_EVERY_REQUESTS == 0) sh->now_us = vl__mono_us();
    }
    return n;
}

static bool spin_for_work(vl_shard *sh) {
    uint32_t us = sh->opts.spin_us;
    if (us == 0) return false;
    int64_t end = vl__mono_us() + us;
    do {
        sched_yield(); /* not a pause loop: see the note above */
        if (has_work(sh)) return true;
    } while (vl__mono_us() < end);
    return false;
}

static void shard_loop(vl_shard *sh) {
    int64_t last_poll = vl__mono_us();
    while (sh->phase != PH_DONE) {
        sh->now_us = vl__mono_us();
        uint32_t n = drain_ctl(sh);
        vl__clear_step(sh);
        n += drain_mailbox(sh);
        vl__commit_pump(sh);
        if (vl__commit_due_now(sh)) n++; /* more to snapshot on the next turn */
        shutdown_step(sh);
        if (sh->phase == PH_DONE) break;
        if (n > 0) {
            if (vl__mono_us() - last_poll >= 1000) {
                poll_loop(sh);
                last_poll = vl__mono_us();
            }
            continue;
        }
        poll_loop(sh);
        if (has_work(sh) || spin_for_work(sh)) continue;
        if (sh->expire_fast && sh->now_us >= sh->expire_fast_at_us) {
            vl__expire_cycle(sh, true); /* the slow cycle ran out of time */
            sh->expire_fast_at_us = vl__mono_us() + 2 * (int64_t)sh->opts.expire.fast_us;
            continue;
        }
        vl__worker_sleep(&sh->rt, has_work, sh);
        last_poll = vl__mono_us();
    }
}

/* ---- setting up and tearing down ------------------------------------- */

/* A shard's share of a bound: rounded up, so the shards together hold at
 * least the bound (keys spread by hash, not evenly). */
static uint64_t share(uint64_t bound, uint32_t n) { return bound ? (bound + n - 1) / n : 0; }

vl_status vl__shard_init(vl_shard *sh, const vl_shard_config *cfg) {
    sh->opts = *cfg->opts;
    sh->type = *cfg->type;
    sh->upstream = *cfg->upstream;
    sh->log = (vl_log_sink){sh->opts.log, sh->opts.log_arg};
    sh->index = cfg->index;
    sh->nshards = cfg->nshards;
    sh->peers = cfg->peers;
    sh->gate = cfg->gate;
    sh->rng.s = (uint64_t)vl__mono_us() * 0x9e3779b97f4a7c15ull + sh->index;
    sh->max_keys = share(sh->opts.max_keys, sh->nshards);
    sh->max_bytes = share(sh->opts.max_bytes, sh->nshards);
    vl__slab_init(&sh->slab);
    vl__heap_init(&sh->due);
    vl__heap_init(&sh->ages);
    if (vl__worker_init(&sh->rt, sh->opts.mailbox, sh->index, cfg->owner) != VL_OK) return VL_ENOMEM;
    if (vl__table_init(&sh->table, sh->max_keys) != VL_OK) return VL_ENOMEM;
    if (vl__ptrmap_init(&sh->recs) != VL_OK) return VL_ENOMEM;
    if (vl__ptrmap_init(&sh->expiry) != VL_OK) return VL_ENOMEM;
    return vl__evict_init(&sh->ev, &sh->opts, &sh->table, &sh->rng, &sh->lru_clock, sh->max_keys);
}

void vl__shard_fini(vl_shard *sh) {
    for (vl_ctl *c = vl__ctlq_take(&sh->rt.ctl); c;) { /* commands never taken */
        vl_ctl *next = c->next;
        free(VL_CONTAINER_OF(c, vl_cmd, ctl));
        c = next;
    }
    vl__worker_fini(&sh->rt);
    vl__table_free(&sh->table);
    vl__ptrmap_free(&sh->recs);
    vl__ptrmap_free(&sh->expiry);
    vl__heap_free(&sh->due);
    vl__heap_free(&sh->ages);
    vl__evict_free(&sh->ev);
    vl__slab_destroy(&sh->slab);
    free(sh->spare);
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
    vl__logf(&sh->log, level, "upstream %s, shard %u: %s", sh->upstream.ops->name, sh->index,
            msg);
}

/* On the shard's thread, once its loop is open: its timers and its upstream
 * instance. */
static vl_status shard_setup(vl_shard *sh) {
    uv_loop_t *loop = &sh->rt.loop;
    uv_timer_init(loop, &sh->commit_timer);
    sh->commit_timer.data = sh;
    sh->commit_timer_at = INT64_MAX;
    uv_timer_init(loop, &sh->expire_timer);
    sh->expire_timer.data = sh;
    uint64_t period = 1000 / sh->opts.expire.hz;
    uv_timer_start(&sh->expire_timer, vl__expire_timer_cb, period, period);
    sh->now_us = vl__mono_us();
    sh->env.shard = sh->index;
    sh->env.shards = sh->nshards;
    sh->env.loop = loop;
    sh->env.value_max = sh->opts.value_max;
    sh->env.log = up_log;
    sh->env.log_ctx = sh;
    vl_status st = sh->upstream.ops->open(sh->upstream.ctx, &sh->env, &sh->up);
    if (st != VL_OK)
        vl__logf(&sh->log, VL_LOG_ERROR, "upstream %s failed to open on shard %u: %s",
                sh->upstream.ops->name, sh->index, vl_strerror(st));
    return st;
}

static void free_entries(vl_shard *sh) {
    const vl_type *t = &sh->type;
    for (uint64_t i = 0; i < sh->table.cap; i++) {
        vl_entry *e = vl__table_slot(&sh->table, i);
        if (!e) continue;
        if ((e->flags & F_PRESENT) && t->destroy) t->destroy(t->ctx, vl__entry_value(e));
        vl__slab_free(&sh->slab, e, vl__entry_alloc_size(e->key_len, t->size));
    }
}

/* The shard's thread. A shard whose upstream failed to open waits until
 * every shard has set up before it tears its loop down: its closed file
 * descriptors must not be reused by a sibling still setting up, which
 * ThreadSanitizer (blind to the kernel's ordering) reports as a race on the
 * descriptor. */
static void shard_main(vl_worker *w, void *arg) {
    vl_shard *sh = arg;
    bool loop_open = vl__worker_loop_open(w) == VL_OK;
    vl_status st = loop_open ? shard_setup(sh) : VL_ENOMEM;
    vl__gate_report(sh->gate, st);
    if (st == VL_OK) shard_loop(sh);
    else vl__gate_wait_over(sh->gate);
    vl__worker_finish(w);
    if (st == VL_OK) drain_ctl(sh); /* tasks posted before it finished */
    if (st == VL_OK) sh->upstream.ops->close(sh->up);
    free_entries(sh);
    if (loop_open) vl__worker_loop_close(w);
    if (st == VL_OK && sh->finish)
        vl__join_part_done(sh->finish, sh->uncommitted ? VL_EUNCOMMITTED : VL_OK);
}

vl_status vl__shard_start(vl_shard *sh) { return vl__worker_start(&sh->rt, shard_main, sh); }

vl_status vl__shard_post_all(vl_shard *shards, uint32_t n, uint32_t kind, vl_join *join) {
    vl_cmd **cmds = calloc(n, sizeof *cmds);
    if (!cmds) return VL_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        cmds[i] = calloc(1, sizeof **cmds);
        if (!cmds[i]) {
            for (uint32_t j = 0; j < i; j++) free(cmds[j]);
            free(cmds);
            return VL_ENOMEM;
        }
        cmds[i]->ctl.kind = kind;
        cmds[i]->join = join;
    }
    for (uint32_t i = 0; i < n; i++) vl__worker_post(&shards[i].rt, &cmds[i]->ctl);
    free(cmds);
    return VL_OK;
}
