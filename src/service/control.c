/*
 * control.c -- what the service asks of every shard at once (vl_flush,
 * vl_clear, vl_scan), and running the caller's own code on a shard
 * (vl_post, vl_shard_loop, vl_shard_self).
 *
 * Owns: the ordering between these commands and closing: each call counts
 * itself in ctl_posters while it posts, and vl_shutdown waits for that to
 * drain after setting `closing`, so no command reaches a finished shard.
 * Threads: any thread.
 */
#include <stdlib.h>

#include "service/service.h"

vl_status vl_flush(vl_service *svc, vl_done_cb done, void *arg) {
    if (!svc) return VL_EINVAL;
    atomic_fetch_add(&svc->ctl_posters, 1);
    vl_status st = VL_ECLOSED;
    if (!atomic_load(&svc->closing)) {
        vl_join *j = vl__join_new(svc->nshards, done, arg);
        st = j ? vl__shard_post_all(svc->shards, svc->nshards, CTL_FLUSH, j) : VL_ENOMEM;
        if (st != VL_OK) free(j);
    }
    atomic_fetch_sub(&svc->ctl_posters, 1);
    return st;
}

vl_status vl_clear(vl_service *svc, vl_done_cb done, void *arg) {
    if (!svc) return VL_EINVAL;
    if (!svc->upstream.ops->truncate) return VL_EINVAL;
    atomic_fetch_add(&svc->ctl_posters, 1);
    vl_status st = VL_ECLOSED;
    int idle = 0;
    if (!atomic_load(&svc->closing))
        st = atomic_compare_exchange_strong(&svc->clearing, &idle, 1) ? VL_OK : VL_EBUSY;
    if (st == VL_OK) st = vl__clear_start(svc->shards, svc->nshards, &svc->clearing, done, arg);
    atomic_fetch_sub(&svc->ctl_posters, 1);
    return st;
}

vl_status vl_scan(vl_service *svc, const void *after, size_t after_len, uint32_t count,
                  vl_scan_cb cb, void *arg) {
    if (!svc || !cb || count == 0 || count > VL_SCAN_COUNT_MAX || (!after && after_len))
        return VL_EINVAL;
    if (!svc->upstream.ops->scan) return VL_EINVAL;
    atomic_fetch_add(&svc->ctl_posters, 1);
    vl_status st = VL_ECLOSED;
    if (!atomic_load(&svc->closing))
        st = vl__scan_start(svc->shards, svc->nshards, after, after_len, count, cb, arg);
    atomic_fetch_sub(&svc->ctl_posters, 1);
    return st;
}

/* ---- running code on the shards ----------------------------------------- */

struct uv_loop_s *vl_shard_loop(vl_service *svc, uint32_t shard) {
    return svc && shard < svc->nshards ? &svc->shards[shard].rt.loop : NULL;
}

int vl_shard_self(const vl_service *svc) {
    vl_worker *w = vl__worker_current();
    return w && w->owner == svc ? (int)w->index : -1;
}

_Static_assert(sizeof(((vl_task *)0)->reserved_) >= sizeof(vl_ctl), "vl_task holds a vl_ctl");

vl_status vl_post(vl_service *svc, uint32_t shard, vl_task *task) {
    if (!svc || !task || !task->fn || shard >= svc->nshards) return VL_EINVAL;
    vl_ctl *c = (vl_ctl *)(void *)task->reserved_;
    c->kind = CTL_TASK;
    return vl__worker_post_task(&svc->shards[shard].rt, c);
}
