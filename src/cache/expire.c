/*
 * expire.c -- expiry times: the lazy check every access makes, and Redis's
 * active expiry cycle.
 *
 * Owns: what expiring does to a key, and when it is checked. (The expiry
 * times themselves, a map from entry to wall-clock ms, are the entry's:
 * entry.c.)
 * Threads: the owning shard's thread only.
 *
 * ==== The active cycle ====
 *
 * A key nobody reads again would hold memory until evicted; the active cycle
 * reclaims it, as Redis's activeExpireCycle does. Ten times a second (hz) a
 * slow cycle runs: it samples keys_per_loop keys that have an expiry (a
 * random slot of the expiry map and the occupied slots after it), expires
 * those whose time has come, and loops again while more than stale_pct of
 * the sample was expired, since then many more are likely waiting. Every 16
 * loops it checks its time budget (slow_cpu_pct of its period); a cycle
 * that runs out of time leaves a note, and the shard then runs fast cycles
 * of fast_us before it sleeps, at most every 2 * fast_us, until a slow
 * cycle finishes within budget. Only keys that have an expiry are sampled,
 * so a shard with none does no work.
 *
 * A clean expired key is dropped. A dirty one becomes a pending delete (or
 * init's value) and stays until that is acknowledged, like the lazy check.
 *
 * Only expiring keys pay for an expiry: a flag in the entry and a slot in
 * the map. Every access first checks the key's expiry. An expired key turns
 * into what a load would give for a key the upstream does not have (the
 * type's init, or absent). If it was CLEAN, that is all: the upstream holds
 * the same expiry and will not bring the value back. If it was DIRTY or
 * COMMITTING, the upstream may still hold an older, unexpired value, so the
 * new state is committed too (a delete, or init's value), and the key stays
 * pinned until that commit is acknowledged.
 */
#include "cache/internal.h"
#include "util/clock.h"
#include "util/hash.h"

/* The key's value expired: it becomes what a load of an absent key gives. */
static void expire_now(vl_shard *sh, vl_entry *e, uint64_t hash) {
    const vl_type *t = &sh->type;
    vl__entry_value_destroy(sh, e);
    vl__entry_set_expiry(sh, e, 0);
    if (t->init && t->init(t->ctx, vl__entry_key(e), e->key_len, vl__entry_value(e)) == VL_OK)
        e->flags |= F_PRESENT;
    vl__bytes_adjust(sh, (int64_t)vl__entry_value_bytes(sh, e));
    if (e->state == ST_DIRTY || e->state == ST_COMMITTING)
        vl__commit_mark(sh, e, hash, vl_default(), NULL);
}

bool vl__expire_check(vl_shard *sh, vl_entry *e, uint64_t hash) {
    int64_t at = vl__entry_expiry(sh, e);
    if (at == 0 || at > vl__wall_ms()) return false;
    STAT_INC(sh, expired_lazy);
    expire_now(sh, e, hash);
    return true;
}

/* ---- the active cycle ------------------------------------------------- */

static uint32_t sample_expiring(vl_shard *sh, vl_entry **out, uint32_t n) {
    const vl_ptrmap *m = &sh->expiry;
    if (m->count == 0) return 0;
    uint32_t got = 0;
    uint64_t i = vl__rng_below(&sh->rng, m->mask + 1);
    for (uint64_t scanned = 0; got < n && scanned <= m->mask; scanned++, i = (i + 1) & m->mask)
        if (m->slots[i].key) out[got++] = (vl_entry *)m->slots[i].key;
    return got;
}

static void expire_active(vl_shard *sh, vl_entry *e) {
    uint64_t hash = vl__hash_key(vl__entry_ckey(e), e->key_len);
    STAT_INC(sh, expired_active);
    if (e->state == ST_CLEAN) vl__entry_drop(sh, e, hash);
    else expire_now(sh, e, hash);
}

void vl__expire_cycle(vl_shard *sh, bool fast) {
    const vl_expire_options *o = &sh->opts.expire;
    int64_t start = vl__mono_us(), now_ms = vl__wall_ms();
    int64_t budget = fast ? (int64_t)o->fast_us
                          : 1000000 / (int64_t)o->hz * (int64_t)o->slow_cpu_pct / 100;
    vl_entry *batch[VL_EXPIRE_KEYS_PER_LOOP_MAX];
    bool out_of_time = false;
    for (uint32_t loops = 1;; loops++) {
        uint32_t n = sample_expiring(sh, batch, o->keys_per_loop), expired = 0;
        for (uint32_t i = 0; i < n; i++) {
            int64_t at = vl__entry_expiry(sh, batch[i]);
            if (at && at <= now_ms) {
                expire_active(sh, batch[i]);
                expired++;
            }
        }
        if (n == 0 || expired * 100 <= n * o->stale_pct) break;
        if (loops % 16 == 0 && vl__mono_us() - start > budget) {
            out_of_time = true;
            break;
        }
    }
    sh->expire_fast = out_of_time;
}

void vl__expire_timer_cb(uv_timer_t *t) {
    vl_shard *sh = t->data;
    sh->now_us = vl__mono_us();
    vl__expire_cycle(sh, false);
}
