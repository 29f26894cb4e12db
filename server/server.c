/*
 * server.c -- starting and stopping vellir-server's part of every shard:
 * the per-shard state, the listener on shard 0, the drain at shutdown.
 *
 * Owns: the srv_shard array of srv (shard.h). Threads: srv_start, srv_stop
 * and srv_free run on the main thread, which reaches the shards only by
 * posting tasks (vl_post) and waiting for them.
 *
 * ==== Start ====
 *   0. the command index (commands.c)
 *   1. every shard: its thread-local srv_shard, the live-value counter,
 *      its busy timer
 *   2. shard 0: bind and listen (listen.c)
 * ==== Stop (SIGTERM, SIGINT, SHUTDOWN) ====
 *   1. shard 0 closes the listening socket: no new connections
 *   2. every shard drains: each connection stops reading and closes once
 *      the replies of what it already sent are written (conn.c, CLOSING)
 *   3. after VL_SRV_DRAIN_MS the connections still open are closed anyway
 *   4. every shard closes its handles and frees its cached ops and its
 *      SCAN cursors
 * Then main.c shuts the service down, which commits every dirty key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "conn.h"
#include "cursor.h"
#include "net.h"
#include "server.h"
#include "value.h"

/* ---- running a function on shards, from the main thread ------------------ */

typedef struct shard_call {
    vl_task t;
    srv_shard *sh;
    void (*fn)(srv_shard *sh);
    _Atomic uint32_t *done;
} shard_call;

static void call_fn(vl_task *t) {
    shard_call *c = (shard_call *)t;
    c->fn(c->sh);
    atomic_fetch_add(c->done, 1);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs fn on shards [from, to) and waits for all of them. */
static void run_on(srv *s, uint32_t from, uint32_t to, void (*fn)(srv_shard *)) {
    _Atomic uint32_t done = 0;
    uint32_t posted = 0;
    shard_call *calls = calloc(to - from, sizeof *calls);
    if (!calls) return;
    for (uint32_t i = from; i < to; i++) {
        shard_call *c = &calls[i - from];
        *c = (shard_call){{call_fn, {0}}, &s->shards[i], fn, &done};
        if (vl_post(s->svc, i, &c->t) == VL_OK) posted++;
    }
    while (atomic_load(&done) < posted) sleep_ms(1);
    free(calls);
}

/* ---- start ------------------------------------------------------------------ */

static void shard_setup(srv_shard *sh) {
    srv_self_set(sh);
    sv_count_into(&sh->ctr.values);
    uv_timer_init(sh->loop, &sh->busy_timer);
    sh->busy_timer.data = sh;
    sh->handles_open = true;
}

static void start_listener(srv_shard *sh) {
    int r = listener_start(sh->srv);
    atomic_store(&sh->srv->setup_status, r);
}

vl_status srv_start(srv *s, vl_service *svc) {
    cmd_init();
    s->svc = svc;
    s->nshards = vl_shard_count(svc);
    s->shards = calloc(s->nshards, sizeof *s->shards);
    if (!s->shards) return VL_ENOMEM;
    for (uint32_t i = 0; i < s->nshards; i++) {
        srv_shard *sh = &s->shards[i];
        sh->srv = s;
        sh->index = i;
        sh->loop = vl_shard_loop(svc, i);
        sh->tick.fn = shard_tick;
    }
    run_on(s, 0, s->nshards, shard_setup);
    run_on(s, 0, 1, start_listener);
    int r = atomic_load(&s->setup_status);
    if (r != 0) {
        fprintf(stderr, "vellir-server: cannot listen on %s:%u: %s\n", s->cfg.bind, s->cfg.port,
                uv_strerror(r));
        return VL_EUNAVAILABLE;
    }
    return VL_OK;
}

/* ---- stop -------------------------------------------------------------------- */

static void stop_listener(srv_shard *sh) { listener_stop(sh->srv); }

static uint64_t conns_and_ops(srv *s) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nshards; i++) {
        n += atomic_load(&s->shards[i].ctr.conns);
        int64_t ops = atomic_load(&s->shards[i].ctr.ops);
        n += ops > 0 ? (uint64_t)ops : 0;
    }
    return n;
}

static void on_timer_closed(uv_handle_t *h) { (void)h; }

static void shard_teardown(srv_shard *sh) {
    if (sh->handles_open) {
        uv_timer_stop(&sh->busy_timer);
        uv_close((uv_handle_t *)&sh->busy_timer, on_timer_closed);
        sh->handles_open = false;
    }
    conn_release_busy(sh);
    op_cache_free(sh);
    cursors_free(sh->cursors);
    sh->cursors = NULL;
    sh->torn_down = true;
}

static bool wait_idle(srv *s, int64_t ms) {
    for (int64_t t = 0; t < ms; t += 5) {
        if (conns_and_ops(s) == 0) return true;
        sleep_ms(5);
    }
    return conns_and_ops(s) == 0;
}

void srv_stop(srv *s) {
    if (!s->shards) return;
    atomic_store(&s->stopping, 1);
    run_on(s, 0, 1, stop_listener);
    run_on(s, 0, s->nshards, conn_drain_all);
    if (!wait_idle(s, VL_SRV_DRAIN_MS)) {
        fprintf(stderr, "vellir-server: closing %llu connections and ops still busy after %u ms\n",
                (unsigned long long)conns_and_ops(s), VL_SRV_DRAIN_MS);
        run_on(s, 0, s->nshards, conn_close_all);
        (void)wait_idle(s, 1000);
    }
    run_on(s, 0, s->nshards, shard_teardown);
}

void srv_free(srv *s) {
    free(s->shards);
    s->shards = NULL;
}
