/*
 * expire.c -- expiry times, and the lazy check every access makes.
 *
 * Owns: the shard's expiry map (entry -> expires_at, wall-clock ms) and what
 * expiring does to a key.
 * Threads: the owning shard's thread only.
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
#include "service.h"
#include "util/clock.h"

int64_t expire_get(vl_shard *sh, vl_entry *e) {
    uint64_t at;
    if (!(e->flags & F_EXPIRES) || !ptrmap_get(&sh->expiry, e, &at)) return 0;
    return (int64_t)at;
}

void expire_set(vl_shard *sh, vl_entry *e, int64_t at) {
    if (at <= 0) {
        if (e->flags & F_EXPIRES) ptrmap_del(&sh->expiry, e);
        e->flags &= (uint8_t)~F_EXPIRES;
        return;
    }
    if (ptrmap_put(&sh->expiry, e, (uint64_t)at) != VL_OK) {
        char k[96];
        vl_logf(sh->svc, VL_LOG_ERROR, "key '%s': out of memory recording its expiry",
                vl_key_repr(entry_key(e), e->key_len, k, sizeof k));
        return;
    }
    e->flags |= F_EXPIRES;
}

bool expire_check(vl_shard *sh, vl_entry *e, uint64_t hash) {
    int64_t at = expire_get(sh, e);
    if (at == 0 || at > vl_wall_ms()) return false;
    const vl_type *t = &sh->svc->type;
    if ((e->flags & F_PRESENT) && t->destroy) t->destroy(t->ctx, entry_value(e));
    e->flags &= (uint8_t)~F_PRESENT;
    expire_set(sh, e, 0);
    if (t->init && t->init(t->ctx, entry_key(e), e->key_len, entry_value(e)) == VL_OK)
        e->flags |= F_PRESENT;
    if (e->state == ST_DIRTY || e->state == ST_COMMITTING)
        commit_mark(sh, e, hash, vl_default(), NULL);
    return true;
}
