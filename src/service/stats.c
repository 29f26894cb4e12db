/*
 * stats.c -- reading the shards' counters.
 *
 * Owns: vl_stats_get. Threads: any thread. Each shard is the only writer of
 * its counters (relaxed atomics, so a plain add on x86); readers see each
 * counter whole, and a reading may be microseconds old. No message, so
 * reading stats never waits on a busy shard and never counts as load.
 */
#include "service/service.h"
#include "util/clock.h"

#define LD(f) atomic_load_explicit(&sh->st.f, memory_order_relaxed)

static void read_shard(vl_shard *sh, vl_stats *o) {
    o->hits = LD(hits);
    o->misses = LD(misses);
    o->loads_started = LD(loads_started);
    o->loads_coalesced = LD(loads_coalesced);
    o->loads_failed = LD(loads_failed);
    o->corrupt = LD(corrupt);
    o->writes = LD(writes);
    o->writes_coalesced = LD(writes_coalesced);
    o->commits = LD(commits);
    o->commit_keys = LD(commit_keys);
    o->commits_failed = LD(commits_failed);
    o->retries = LD(retries);
    o->pending_replies = LD(pending_replies);
    o->busy = LD(busy);
    o->full = LD(full);
    o->evictions = LD(evictions);
    o->expired_lazy = LD(expired_lazy);
    o->expired_active = LD(expired_active);
    o->bytes = LD(bytes);
    o->keys = LD(keys);
    o->dirty_keys = LD(dirty_keys);
    uint64_t since = LD(oldest_dirty_since);
    int64_t now = vl__mono_us(), at = (int64_t)since - 1; /* published +1: 0 is "none" */
    o->oldest_dirty_ms = since && now >= at ? (uint64_t)(now - at) / 1000 : 0;
    o->mailbox_depth = vl__mailbox_depth(&sh->rt.mb);
    o->inflight_loads = LD(inflight_loads);
    o->inflight_commits = LD(inflight_commits);
    o->expiring_keys = LD(expiring);
}

static void add(vl_stats *a, const vl_stats *b) {
    uint64_t *pa = (uint64_t *)a;
    const uint64_t *pb = (const uint64_t *)b;
    size_t n = sizeof *a / sizeof(uint64_t);
    for (size_t i = 0; i < n; i++) pa[i] += pb[i];
}

vl_status vl_stats_get(vl_service *svc, int shard, vl_stats *out) {
    if (!svc || !out || shard < -1 || shard >= (int)svc->nshards) return VL_EINVAL;
    if (shard >= 0) {
        read_shard(&svc->shards[shard], out);
        return VL_OK;
    }
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < svc->nshards; i++) {
        vl_stats s;
        read_shard(&svc->shards[i], &s);
        uint64_t oldest = out->oldest_dirty_ms > s.oldest_dirty_ms ? out->oldest_dirty_ms
                                                                   : s.oldest_dirty_ms;
        add(out, &s);
        out->oldest_dirty_ms = oldest;
    }
    return VL_OK;
}
