/*
 * entry.c -- the key's life: creating an entry, changing its state,
 * dropping it, and what it holds beside its value (its cost in bytes and its
 * expiry time).
 *
 * Owns: the table of legal state changes (entry.h draws it) and the only
 * function that changes an entry's state.
 * Threads: the owning shard's thread only.
 */
#include "cache/internal.h"
#include "util/assert.h"

#define EDGE(to) (1u << (to))

/* legal[from] has a bit for each state `from` may change to. */
static const uint8_t legal[ST_COUNT] = {
    [ST_ABSENT] = EDGE(ST_LOADING) | EDGE(ST_CLEAN),
    [ST_LOADING] = EDGE(ST_CLEAN) | EDGE(ST_ABSENT),
    [ST_CLEAN] = EDGE(ST_DIRTY) | EDGE(ST_ABSENT),
    [ST_DIRTY] = EDGE(ST_COMMITTING) | EDGE(ST_CLEAN),
    [ST_COMMITTING] = EDGE(ST_CLEAN) | EDGE(ST_DIRTY),
};

void vl__entry_set_state(vl_entry *e, vl_state to) {
    VL_ASSERT(e->state < ST_COUNT && to < ST_COUNT);
    VL_ASSERT(legal[e->state] & EDGE(to));
    e->state = (uint8_t)to;
}

size_t vl__entry_value_bytes(const vl_shard *sh, vl_entry *e) {
    const vl_type *t = &sh->type;
    return (e->flags & F_PRESENT) && t->mem_size ? t->mem_size(t->ctx, vl__entry_value(e)) : 0;
}

void vl__bytes_adjust(vl_shard *sh, int64_t delta) {
    sh->bytes = (uint64_t)((int64_t)sh->bytes + delta);
    STAT_SET(sh, bytes, sh->bytes);
}

vl_entry *vl__entry_create(vl_shard *sh, uint64_t hash, const void *key, size_t len, vl_state to,
                       vl_status *st) {
    size_t size = vl__entry_alloc_size(len, sh->type.size);
    vl_entry *e = vl__slab_alloc(&sh->slab, size);
    *st = VL_ENOMEM;
    if (!e) return NULL;
    e->key_len = (uint16_t)len;
    e->state = ST_ABSENT;
    e->flags = 0;
    memcpy(e->data, key, len);
    if (vl__table_insert(&sh->table, hash, e) != VL_OK) {
        vl__slab_free(&sh->slab, e, size);
        return NULL;
    }
    if (vl__evict_on_insert(&sh->ev, e, hash) != VL_OK) {
        vl__table_remove(&sh->table, hash, e);
        vl__slab_free(&sh->slab, e, size);
        return NULL;
    }
    vl__entry_set_state(e, to);
    *st = VL_OK;
    vl__bytes_adjust(sh, (int64_t)size);
    STAT_SET(sh, keys, sh->table.count);
    return e;
}

void vl__entry_value_destroy(vl_shard *sh, vl_entry *e) {
    const vl_type *t = &sh->type;
    vl__bytes_adjust(sh, -(int64_t)vl__entry_value_bytes(sh, e));
    if ((e->flags & F_PRESENT) && t->destroy) t->destroy(t->ctx, vl__entry_value(e));
    e->flags &= (uint8_t)~F_PRESENT;
}

void vl__entry_drop(vl_shard *sh, vl_entry *e, uint64_t hash) {
    vl__entry_set_state(e, ST_ABSENT);
    vl__entry_value_destroy(sh, e);
    vl__entry_set_expiry(sh, e, 0);
    vl__evict_on_remove(&sh->ev, e);
    vl__table_remove(&sh->table, hash, e);
    size_t size = vl__entry_alloc_size(e->key_len, sh->type.size);
    vl__bytes_adjust(sh, -(int64_t)size);
    vl__slab_free(&sh->slab, e, size);
    STAT_SET(sh, keys, sh->table.count);
}

/* ---- expiry: only expiring keys pay for it (a flag, a slot in a map) ---- */

int64_t vl__entry_expiry(vl_shard *sh, vl_entry *e) {
    uint64_t at;
    if (!(e->flags & F_EXPIRES) || !vl__ptrmap_get(&sh->expiry, e, &at)) return 0;
    return (int64_t)at;
}

void vl__entry_set_expiry(vl_shard *sh, vl_entry *e, int64_t at) {
    if (at <= 0) {
        if (e->flags & F_EXPIRES) vl__ptrmap_del(&sh->expiry, e);
        e->flags &= (uint8_t)~F_EXPIRES;
        STAT_SET(sh, expiring, sh->expiry.count);
        return;
    }
    if (vl__ptrmap_put(&sh->expiry, e, (uint64_t)at) != VL_OK) {
        char k[96];
        vl__logf(&sh->log, VL_LOG_ERROR, "key '%s': out of memory recording its expiry",
                vl_key_repr(vl__entry_key(e), e->key_len, k, sizeof k));
        return;
    }
    e->flags |= F_EXPIRES;
    STAT_SET(sh, expiring, sh->expiry.count);
}
