/*
 * service.c -- opening and closing a service.
 *
 * Owns: vl_open, vl_shutdown, vl_close, and the shards' start-up.
 * Threads: any thread (vl_close: not a shard's; see vellir.h).
 */
#include <sched.h>
#include <stdlib.h>

#include "service/service.h"

static vl_status check_type(const vl_type *t, const vl_upstream *up) {
    if (!t || t->size == 0 || t->size > 4096 || !t->encode || !t->decode) return VL_EINVAL;
    if (!up || !up->ops || !up->ops->open || !up->ops->load || !up->ops->commit ||
        !up->ops->close)
        return VL_EINVAL;
    return VL_OK;
}

static void service_free(vl_service *svc, uint32_t inited) {
    for (uint32_t i = 0; i < inited; i++) vl__shard_fini(&svc->shards[i]);
    free(svc->shards);
    vl__gate_destroy(&svc->gate);
    free(svc);
}

static void join_threads(vl_service *svc, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) vl__worker_join(&svc->shards[i].rt);
}

static vl_status start_shards(vl_service *svc) {
    uint32_t n = 0;
    vl_status st = VL_OK;
    while (n < svc->nshards && (st = vl__shard_start(&svc->shards[n])) == VL_OK) n++;
    vl_status opened = vl__gate_wait_reports(&svc->gate, n);
    if (st == VL_OK) st = opened;
    if (st == VL_OK) return VL_OK;
    /* Stop what started; shards that failed to open have exited already. */
    atomic_store(&svc->closing, 1);
    while (vl__shard_post_all(svc->shards, n, CTL_SHUTDOWN, NULL) != VL_OK) sched_yield();
    join_threads(svc, n);
    return st;
}

static vl_status init_shards(vl_service *svc, uint32_t *inited) {
    svc->shards = calloc(svc->nshards, sizeof *svc->shards);
    if (!svc->shards) return VL_ENOMEM;
    vl_shard_config cfg = {&svc->opts, &svc->type, &svc->upstream, 0, svc->nshards,
                           svc->shards, &svc->gate, svc};
    vl_status st = VL_OK;
    for (*inited = 0; st == VL_OK && *inited < svc->nshards; (*inited)++) {
        cfg.index = *inited;
        st = vl__shard_init(&svc->shards[*inited], &cfg);
    }
    return st;
}

vl_status vl_open(const vl_options *opts, const vl_type *type, const vl_upstream *upstream,
                  vl_service **out) {
    if (!out || check_type(type, upstream) != VL_OK) return VL_EINVAL;
    *out = NULL;
    vl_service *svc = calloc(1, sizeof *svc);
    if (!svc) return VL_ENOMEM;
    vl__gate_init(&svc->gate);
    if (opts) svc->opts = *opts;
    else vl_options_init(&svc->opts);
    svc->log = (vl_log_sink){svc->opts.log, svc->opts.log_arg};
    svc->type = *type;
    svc->upstream = *upstream;
    vl_status st = vl__options_check(&svc->opts, &svc->log);
    uint32_t inited = 0;
    svc->nshards = svc->opts.shards;
    if (st == VL_OK) st = init_shards(svc, &inited);
    if (st == VL_OK) st = start_shards(svc);
    if (st != VL_OK) {
        service_free(svc, inited);
        return st;
    }
    *out = svc;
    return VL_OK;
}

vl_status vl_shutdown(vl_service *svc, void (*done)(void *arg, vl_status st), void *arg) {
    if (!svc) return VL_EINVAL;
    int expect = 0;
    if (!atomic_compare_exchange_strong(&svc->closing, &expect, 1)) return VL_ECLOSED;
    while (atomic_load(&svc->ctl_posters) != 0) sched_yield();
    vl_join *j = vl__join_new(svc->nshards, done, arg);
    vl_status st = j ? vl__shard_post_all(svc->shards, svc->nshards, CTL_SHUTDOWN, j) : VL_ENOMEM;
    if (st != VL_OK) {
        free(j);
        atomic_store(&svc->closing, 0);
    }
    return st;
}

vl_status vl_close(vl_service *svc, vl_close_report *report) {
    if (!svc || vl__worker_current()) return VL_EINVAL;
    if (!atomic_load(&svc->closing))
        while (vl_shutdown(svc, NULL, NULL) == VL_ENOMEM) sched_yield();
    join_threads(svc, svc->nshards);
    vl_close_report r = {0, VL_OK};
    for (uint32_t i = 0; i < svc->nshards; i++) {
        r.uncommitted += svc->shards[i].uncommitted;
        if (svc->shards[i].last_error != VL_OK) r.last_error = svc->shards[i].last_error;
    }
    if (report) *report = r;
    if (svc->upstream.release) svc->upstream.release(svc->upstream.ctx);
    service_free(svc, svc->nshards);
    return r.uncommitted ? VL_EUNCOMMITTED : VL_OK;
}
