/*
 * dispatch.c -- what a request does to its key, in each state of the key
 * (the state machine is drawn in entry.h).
 *
 * Owns: creating and dropping entries, and applying reads, writes, deletes
 * and evictions to a resident key.
 * Threads: the owning shard's thread only.
 *
 *   request    not resident        LOADING        CLEAN / DIRTY / COMMITTING
 *   read       load, wait          wait           callback with the value
 *   cached     VL_ENOTCACHED       VL_ENOTCACHED  callback with the value
 *   write      load, wait          wait           run fn, mark per policy
 *   blind w.   run fn, no load     wait           run fn, mark per policy
 *              (nothing written:
 *              not cached)
 *   delete     tombstone, mark     wait           destroy value, mark
 *   evict      VL_OK               wait           drop if CLEAN, else commit
 *                                                 first, then drop
 *   expire     load, wait          wait           set the expiry, mark per
 *                                                 policy (in the past: delete)
 *
 * A new entry first makes room: at the shard's bound (max_keys, max_bytes)
 * the evictor picks clean victims; if it finds none, the request fails
 * VL_EFULL at once and every dirty key is made due, so that room appears as
 * their commits land.
 */
#include <stdlib.h>

#include "service/service.h"
#include "util/clock.h"
#include "util/hash.h"

size_t value_bytes(const vl_shard *sh, vl_entry *e) {
    const vl_type *t = &sh->svc->type;
    return (e->flags & F_PRESENT) && t->mem_size ? t->mem_size(t->ctx, entry_value(e)) : 0;
}

void bytes_adjust(vl_shard *sh, int64_t delta) {
    sh->bytes = (uint64_t)((int64_t)sh->bytes + delta);
    STAT_SET(sh, bytes, sh->bytes);
}

static bool over_bounds(const vl_shard *sh, size_t adding) {
    return (sh->max_keys && sh->table.count >= sh->max_keys) ||
           (sh->max_bytes && sh->bytes + adding > sh->max_bytes);
}

/* Evicts clean entries until `adding` more bytes and one more key fit. */
static vl_status make_room(vl_shard *sh, size_t adding) {
    while (over_bounds(sh, adding)) {
        vl_entry *v = evict_victim(&sh->ev);
        if (!v) {
            STAT_INC(sh, full);
            commit_all_due(sh);
            return VL_EFULL;
        }
        entry_drop(sh, v, vl_hash_key(entry_ckey(v), v->key_len));
        STAT_INC(sh, evictions);
    }
    return VL_OK;
}

vl_entry *entry_create(vl_shard *sh, uint64_t hash, const void *key, size_t len, vl_status *st) {
    size_t size = entry_alloc_size(len, sh->svc->type.size);
    if ((*st = make_room(sh, size)) != VL_OK) return NULL;
    vl_entry *e = slab_alloc(&sh->slab, size);
    *st = VL_ENOMEM;
    if (!e) return NULL;
    e->key_len = (uint16_t)len;
    e->state = ST_CLEAN;
    e->flags = 0;
    memcpy(e->data, key, len);
    if (table_insert(&sh->table, hash, e) != VL_OK) {
        slab_free(&sh->slab, e, size);
        return NULL;
    }
    if (evict_on_insert(&sh->ev, e, hash) != VL_OK) {
        table_remove(&sh->table, hash, e);
        slab_free(&sh->slab, e, size);
        return NULL;
    }
    *st = VL_OK;
    bytes_adjust(sh, (int64_t)size);
    STAT_SET(sh, keys, sh->table.count);
    return e;
}

static void value_destroy(vl_shard *sh, vl_entry *e) {
    const vl_type *t = &sh->svc->type;
    bytes_adjust(sh, -(int64_t)value_bytes(sh, e));
    if ((e->flags & F_PRESENT) && t->destroy) t->destroy(t->ctx, entry_value(e));
    e->flags &= (uint8_t)~F_PRESENT;
}

void entry_drop(vl_shard *sh, vl_entry *e, uint64_t hash) {
    value_destroy(sh, e);
    expire_set(sh, e, 0);
    evict_on_remove(&sh->ev, e);
    table_remove(&sh->table, hash, e);
    size_t size = entry_alloc_size(e->key_len, sh->svc->type.size);
    bytes_adjust(sh, -(int64_t)size);
    slab_free(&sh->slab, e, size);
    STAT_SET(sh, keys, sh->table.count);
}

static void serve_read(vl_shard *sh, vl_entry *e, const vl_req *r) {
    bool present = e->flags & F_PRESENT;
    vl_view v = {entry_key(e), e->key_len, present ? entry_value(e) : NULL,
                 expire_get(sh, e)};
    r->fn.read(r->arg, present ? VL_OK : VL_ENOTFOUND, &v);
}

/* Runs the write function; a value it creates, clears or deletes, and an
 * expiry it changes, take effect here; the policy goes to commit.c. */
static void apply_write(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (e->state == ST_CLEAN && commit_reserve(sh) != VL_OK) {
        req_fail(r, entry_key(e), e->key_len, VL_ENOMEM);
        return;
    }
    int64_t exp = expire_get(sh, e);
    bool was = e->flags & F_PRESENT;
    size_t before = value_bytes(sh, e);
    vl_mut m = {entry_key(e), e->key_len, entry_value(e), was, exp};
    vl_policy p = r->fn.write(r->arg, &m);
    if (m.present) e->flags |= F_PRESENT;
    else if (was) p = vl_delete_with(p); /* cleared by the function: a delete */
    bytes_adjust(sh, (int64_t)value_bytes(sh, e) - (int64_t)before);
    const vl_type *t = &sh->svc->type;
    if (t->expires_at && (e->flags & F_PRESENT)) m.expires_at = t->expires_at(t->ctx, entry_value(e));
    if (p.del) {
        value_destroy(sh, e);
        m.expires_at = 0;
    }
    if (m.expires_at != exp) expire_set(sh, e, m.expires_at);
    if (p.kind == VL_COMMIT_NOOP && !p.del) {
        if (r->done) r->done(r->arg, VL_OK);
        return;
    }
    STAT_INC(sh, writes);
    commit_mark(sh, e, hash, p, r);
}

static void apply_delete(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (e->state == ST_CLEAN && commit_reserve(sh) != VL_OK) {
        req_fail(r, entry_key(e), e->key_len, VL_ENOMEM);
        return;
    }
    value_destroy(sh, e);
    expire_set(sh, e, 0);
    STAT_INC(sh, writes);
    commit_mark(sh, e, hash, vl_delete_with(r->policy), r);
}

static void apply_expire(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (!(e->flags & F_PRESENT)) {
        if (r->done) r->done(r->arg, VL_ENOTFOUND);
        return;
    }
    if (e->state == ST_CLEAN && commit_reserve(sh) != VL_OK) {
        req_fail(r, entry_key(e), e->key_len, VL_ENOMEM);
        return;
    }
    int64_t at = r->fn.expires_at;
    const vl_type *t = &sh->svc->type;
    if (t->expires_at) at = t->expires_at(t->ctx, entry_value(e)); /* the type's own wins */
    expire_set(sh, e, at);
    vl_policy p = r->policy;
    if (at != 0 && at <= vl_wall_ms()) { /* already past: the key goes now */
        value_destroy(sh, e);
        expire_set(sh, e, 0);
        STAT_INC(sh, expired_lazy);
        p = vl_delete_with(p);
    }
    STAT_INC(sh, writes);
    commit_mark(sh, e, hash, p.kind == VL_COMMIT_NOOP ? vl_default() : p, r);
}

static void apply_evict(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (e->state != ST_CLEAN) {
        commit_evict(sh, e, hash, r);
        return;
    }
    entry_drop(sh, e, hash);
    if (r->done) r->done(r->arg, VL_OK);
}

void dispatch_req(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    expire_check(sh, e, hash);
    switch ((vl_msg_op)r->op) {
    case MSG_READ:
    case MSG_READ_CACHED:
        serve_read(sh, e, r);
        break;
    case MSG_WRITE:
    case MSG_WRITE_BLIND:
        apply_write(sh, e, hash, r);
        break;
    case MSG_DELETE:
        apply_delete(sh, e, hash, r);
        break;
    case MSG_EVICT:
        apply_evict(sh, e, hash, r);
        break;
    case MSG_EXPIRE:
        apply_expire(sh, e, hash, r);
        break;
    }
}

void req_fail(const vl_req *r, const void *key, size_t len, vl_status st) {
    if (r->op == MSG_READ || r->op == MSG_READ_CACHED) {
        vl_view v = {key, len, NULL, 0};
        r->fn.read(r->arg, st, &v);
    } else if (r->done) {
        r->done(r->arg, st);
    }
}

/* A blind write to a key that is not resident: no load. The function sees
 * no value, and what it writes replaces the upstream's. An entry still
 * CLEAN afterwards (the function wrote nothing, or failed) goes again: a
 * clean entry would claim to mirror the upstream, which was never read. */
static void write_absent(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                         const vl_req *r) {
    vl_status st = commit_reserve(sh);
    vl_entry *e = st == VL_OK ? entry_create(sh, hash, key, len, &st) : NULL;
    if (!e) {
        req_fail(r, key, len, st);
        return;
    }
    apply_write(sh, e, hash, r);
    if (e->state == ST_CLEAN) entry_drop(sh, e, hash);
}

static void dispatch_absent(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                            const vl_req *r) {
    STAT_INC(sh, misses);
    switch ((vl_msg_op)r->op) {
    case MSG_READ:
    case MSG_WRITE:
    case MSG_EXPIRE:
        load_start(sh, hash, key, len, r);
        return;
    case MSG_READ_CACHED:
        req_fail(r, key, len, VL_ENOTCACHED);
        return;
    case MSG_EVICT:
        if (r->done) r->done(r->arg, VL_OK);
        return;
    case MSG_WRITE_BLIND:
        write_absent(sh, hash, key, len, r);
        return;
    case MSG_DELETE: {
        /* A delete needs no load: the key becomes a pending tombstone. (A
         * clean absent entry would claim the upstream has nothing, so the
         * entry exists only if marking it dirty cannot fail.) */
        vl_status st = commit_reserve(sh);
        vl_entry *e = st == VL_OK ? entry_create(sh, hash, key, len, &st) : NULL;
        if (!e) req_fail(r, key, len, st);
        else apply_delete(sh, e, hash, r);
        return;
    }
    }
}

void dispatch_msg(vl_shard *sh, vl_msg *m) {
    const uint8_t *key = vl_msg_key(m);
    vl_req r = {m->op, m->policy, {.read = m->fn.read}, m->done, m->arg};
    if (m->op == MSG_WRITE || m->op == MSG_WRITE_BLIND) r.fn.write = m->fn.write;
    if (m->op == MSG_EXPIRE) r.fn.expires_at = m->fn.expires_at;
    vl_entry *e = table_find(&sh->table, m->hash, key, m->key_len);
    if (!e) {
        dispatch_absent(sh, m->hash, key, m->key_len, &r);
    } else if (e->state == ST_LOADING) {
        if (r.op == MSG_READ_CACHED) req_fail(&r, key, m->key_len, VL_ENOTCACHED);
        else load_join(sh, e, &r);
    } else {
        evict_on_access(&sh->ev, e);
        STAT_INC(sh, hits);
        dispatch_req(sh, e, m->hash, &r);
    }
    if (m->key_heap) free(m->key.heap);
}
