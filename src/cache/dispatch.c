/*
 * dispatch.c -- what a request does to its key, in each state of the key
 * (the state machine is drawn in entry.h).
 *
 * Owns: applying reads, writes, deletes, evictions and expiry changes to a
 * key in each state, making room for a new entry, and running a load's
 * waiters once it answered (entry.c creates and drops the entries).
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

#include "cache/internal.h"
#include "util/assert.h"
#include "util/clock.h"
#include "util/hash.h"

static bool over_bounds(const vl_shard *sh, size_t adding) {
    return (sh->max_keys && sh->table.count >= sh->max_keys) ||
           (sh->max_bytes && sh->bytes + adding > sh->max_bytes);
}

/* Evicts clean entries until a new entry for a key of `key_len` bytes fits;
 * VL_EFULL (and every dirty key made due, so that room appears as their
 * commits land) if nothing can go. */
static vl_status make_room(vl_shard *sh, size_t key_len) {
    size_t adding = vl__entry_alloc_size(key_len, sh->type.size);
    while (over_bounds(sh, adding)) {
        vl_entry *v = vl__evict_victim(&sh->ev);
        if (!v) {
            STAT_INC(sh, full);
            vl__commit_all_due(sh);
            return VL_EFULL;
        }
        vl__entry_drop(sh, v, vl__hash_key(vl__entry_ckey(v), v->key_len));
        STAT_INC(sh, evictions);
    }
    return VL_OK;
}

static void serve_read(vl_shard *sh, vl_entry *e, const vl_req *r) {
    bool present = e->flags & F_PRESENT;
    vl_view v = {vl__entry_key(e), e->key_len, present ? vl__entry_value(e) : NULL,
                 vl__entry_expiry(sh, e)};
    r->fn.read(r->arg, present ? VL_OK : VL_ENOTFOUND, &v);
}

/* Runs the write function; a value it creates, clears or deletes, and an
 * expiry it changes, take effect here; the policy goes to commit.c. */
static void apply_write(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (e->state == ST_CLEAN && vl__commit_reserve(sh) != VL_OK) {
        vl__req_fail(r, vl__entry_key(e), e->key_len, VL_ENOMEM);
        return;
    }
    int64_t exp = vl__entry_expiry(sh, e);
    bool was = e->flags & F_PRESENT;
    size_t before = vl__entry_value_bytes(sh, e);
    vl_mut m = {vl__entry_key(e), e->key_len, vl__entry_value(e), was, exp};
    vl_policy p = r->fn.write(r->arg, &m);
    if (m.present) e->flags |= F_PRESENT;
    else if (was) p = vl_delete_with(p); /* cleared by the function: a delete */
    vl__bytes_adjust(sh, (int64_t)vl__entry_value_bytes(sh, e) - (int64_t)before);
    const vl_type *t = &sh->type;
    if (t->expires_at && (e->flags & F_PRESENT)) m.expires_at = t->expires_at(t->ctx, vl__entry_value(e));
    if (p.del) {
        vl__entry_value_destroy(sh, e);
        m.expires_at = 0;
    }
    if (m.expires_at != exp) vl__entry_set_expiry(sh, e, m.expires_at);
    if (p.kind == VL_COMMIT_NOOP && !p.del) {
        if (r->done) r->done(r->arg, VL_OK);
        return;
    }
    STAT_INC(sh, writes);
    vl__commit_mark(sh, e, hash, p, r);
}

static void apply_delete(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (e->state == ST_CLEAN && vl__commit_reserve(sh) != VL_OK) {
        vl__req_fail(r, vl__entry_key(e), e->key_len, VL_ENOMEM);
        return;
    }
    vl__entry_value_destroy(sh, e);
    vl__entry_set_expiry(sh, e, 0);
    STAT_INC(sh, writes);
    vl__commit_mark(sh, e, hash, vl_delete_with(r->policy), r);
}

static void apply_expire(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (!(e->flags & F_PRESENT)) {
        if (r->done) r->done(r->arg, VL_ENOTFOUND);
        return;
    }
    if (e->state == ST_CLEAN && vl__commit_reserve(sh) != VL_OK) {
        vl__req_fail(r, vl__entry_key(e), e->key_len, VL_ENOMEM);
        return;
    }
    int64_t at = r->fn.expires_at;
    const vl_type *t = &sh->type;
    if (t->expires_at) at = t->expires_at(t->ctx, vl__entry_value(e)); /* the type's own wins */
    vl__entry_set_expiry(sh, e, at);
    vl_policy p = r->policy;
    if (at != 0 && at <= vl__wall_ms()) { /* already past: the key goes now */
        vl__entry_value_destroy(sh, e);
        vl__entry_set_expiry(sh, e, 0);
        STAT_INC(sh, expired_lazy);
        p = vl_delete_with(p);
    }
    STAT_INC(sh, writes);
    vl__commit_mark(sh, e, hash, p.kind == VL_COMMIT_NOOP ? vl_default() : p, r);
}

static void apply_evict(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    if (e->state != ST_CLEAN) {
        vl__commit_evict(sh, e, r);
        return;
    }
    vl__entry_drop(sh, e, hash);
    if (r->done) r->done(r->arg, VL_OK);
}

static void dispatch_req(vl_shard *sh, vl_entry *e, uint64_t hash, const vl_req *r) {
    vl__expire_check(sh, e, hash);
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

/* A write that needs no load, to a key that is not resident (a blind write
 * or a delete): the entry is created CLEAN for the length of the request.
 * What the write function writes replaces the upstream's value; a delete
 * becomes a pending tombstone. An entry still CLEAN afterwards (the function
 * wrote nothing, or failed) goes again: a clean entry would claim to mirror
 * the upstream, which was never read. */
static void write_absent(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                         const vl_req *r) {
    vl_status st;
    vl_entry *e = vl__entry_create(sh, hash, key, len, ST_CLEAN, &st);
    if (!e) {
        vl__req_fail(r, key, len, st);
        return;
    }
    if (r->op == MSG_DELETE) apply_delete(sh, e, hash, r);
    else apply_write(sh, e, hash, r);
    if (e->state == ST_CLEAN) vl__entry_drop(sh, e, hash);
}

static void dispatch_absent(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                            const vl_req *r) {
    STAT_INC(sh, misses);
    if (r->op == MSG_READ_CACHED) {
        vl__req_fail(r, key, len, VL_ENOTCACHED);
        return;
    }
    if (r->op == MSG_EVICT) {
        if (r->done) r->done(r->arg, VL_OK);
        return;
    }
    /* Everything else makes an entry: room first, and for a write that needs
     * no load, its write-back record too (so that the entry exists only if
     * marking it dirty cannot fail). */
    bool no_load = r->op == MSG_WRITE_BLIND || r->op == MSG_DELETE;
    vl_status st = make_room(sh, len);
    if (st == VL_OK && no_load) st = vl__commit_reserve(sh);
    if (st != VL_OK) vl__req_fail(r, key, len, st);
    else if (no_load) write_absent(sh, hash, key, len, r);
    else vl__load_start(sh, hash, key, len, r); /* MSG_READ, MSG_WRITE, MSG_EXPIRE */
}

/* Runs a load's waiters against the loaded entry, in order; evictions run
 * last (an eviction in the middle would pull the entry out from under the
 * requests behind it), and only the first of them does anything. */
static void run_waiters(vl_shard *sh, vl_entry *e, uint64_t hash, vl_waiter *w) {
    vl_waiter *evicts = NULL, **etail = &evicts;
    while (w) {
        vl_waiter *next = w->next;
        if (w->req.op == MSG_EVICT) {
            w->next = NULL;
            *etail = w;
            etail = &w->next;
        } else {
            dispatch_req(sh, e, hash, &w->req);
            free(w);
        }
        w = next;
    }
    bool dropped = false;
    for (w = evicts; w; w = evicts) {
        evicts = w->next;
        if (dropped) {
            if (w->req.done) w->req.done(w->req.arg, VL_OK);
        } else {
            dropped = e->state == ST_CLEAN;
            dispatch_req(sh, e, hash, &w->req);
        }
        free(w);
    }
}

void vl__dispatch_loaded(vl_shard *sh, vl_load *ld) {
    vl_entry *e;
    uint64_t hash;
    vl_waiter *w = vl__load_finish(sh, ld, &e, &hash);
    if (w) run_waiters(sh, e, hash, w);
}

void vl__dispatch_msg(vl_shard *sh, vl_msg *m) {
    const uint8_t *key = vl__msg_key(m);
    vl_req r = m->req;
    VL_DASSERT(vl__shard_index(m->hash, sh->nshards) == sh->index);
    VL_DASSERT(r.op >= MSG_READ && r.op <= MSG_EXPIRE);
    vl_entry *e = vl__table_find(&sh->table, m->hash, key, m->key_len);
    if (!e) {
        dispatch_absent(sh, m->hash, key, m->key_len, &r);
    } else if (e->state == ST_LOADING) {
        if (r.op == MSG_READ_CACHED) vl__req_fail(&r, key, m->key_len, VL_ENOTCACHED);
        else vl__load_join(sh, e, &r);
    } else {
        vl__evict_on_access(&sh->ev, e);
        STAT_INC(sh, hits);
        dispatch_req(sh, e, m->hash, &r);
    }
    if (m->key_heap) free(m->key.heap);
}
