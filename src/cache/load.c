/*
 * load.c -- read-through: one upstream load per cold key, however many
 * requests wait for it.
 *
 * Owns: vl_load records, their waiter lists, and turning an upstream's
 * answer into a value (decode, init, expiry, corruption).
 * Threads: the shard thread, except vl_load_key and vl_load_done, which the
 * upstream calls on any thread.
 *
 * A miss creates the entry in LOADING with a vl_load holding the first
 * request. Every later request for the key joins the list, in arrival order.
 * The upstream's answer comes back through the shard's control queue; then:
 *   - bytes: decoded into the entry's storage (VL_ECORRUPT if they do not
 *     decode, VL_ETOOBIG past value_max; both logged with the key);
 *   - not found: the type's init makes a value, or says the key is absent;
 *   - failure: every waiter gets the upstream's status, nothing is cached,
 *     and the next request loads again.
 * On success the waiters run in order against the now CLEAN entry, so a
 * read queued after a write sees the write (dispatch.c runs them).
 */
#include <stdlib.h>

#include "cache/internal.h"
#include "util/assert.h"
#include "util/clock.h"

const void *vl_load_key(const vl_load *req, size_t *key_len) {
    *key_len = req->entry->key_len;
    return vl__entry_ckey(req->entry);
}

void vl_load_done(vl_load *req, vl_status status, const void *bytes, size_t len,
                  int64_t expires_at) {
    req->status = status;
    req->bytes = NULL;
    req->len = 0;
    req->expires_at = expires_at;
    if (status == VL_OK) {
        req->bytes = malloc(len ? len : 1);
        if (!req->bytes) req->status = VL_ENOMEM;
        else if (len) memcpy(req->bytes, bytes, len);
        req->len = len;
    }
    vl__worker_post(&req->sh->rt, &req->ctl);
}

static void waiter_add(vl_load *ld, const vl_req *r) {
    vl_waiter *w = vl__waiter_new(r, NULL);
    if (!w) {
        vl__req_fail(r, vl__entry_key(ld->entry), ld->entry->key_len, VL_ENOMEM);
        return;
    }
    *ld->tailp = w;
    ld->tailp = &w->next;
}

void vl__load_start(vl_shard *sh, uint64_t hash, const uint8_t *key, size_t len,
                const vl_req *r) {
    vl_status st = VL_ENOMEM;
    vl_load *ld = calloc(1, sizeof *ld);
    vl_entry *e = ld ? vl__entry_create(sh, hash, key, len, ST_LOADING, &st) : NULL;
    if (e && (st = vl__ptrmap_put(&sh->recs, e, (uint64_t)(uintptr_t)ld)) != VL_OK) {
        vl__entry_drop(sh, e, hash);
        e = NULL;
    }
    if (!e) {
        free(ld);
        vl__req_fail(r, key, len, st);
        return;
    }
    ld->ctl.kind = CTL_LOAD_DONE;
    ld->sh = sh;
    ld->entry = e;
    ld->hash = hash;
    ld->tailp = &ld->head;
    waiter_add(ld, r);
    STAT_INC(sh, loads_started);
    sh->inflight_loads++;
    STAT_SET(sh, inflight_loads, sh->inflight_loads);
    st = sh->upstream.ops->load(sh->up, ld);
    if (st != VL_OK) { /* refused at once: the waiter fails now, and the entry goes */
        ld->status = st;
        vl_entry *gone;
        uint64_t h;
        vl_waiter *run = vl__load_finish(sh, ld, &gone, &h);
        VL_ASSERT(run == NULL); /* a failed load leaves no waiter to run */
    }
}

void vl__load_join(vl_shard *sh, vl_entry *e, const vl_req *r) {
    vl_load *ld = vl__ptrmap_get_ptr(&sh->recs, e);
    STAT_INC(sh, loads_coalesced);
    waiter_add(ld, r);
}

static vl_status decode_value(vl_shard *sh, vl_load *ld) {
    vl_entry *e = ld->entry;
    char k[96];
    if (ld->len > sh->opts.value_max) {
        vl__logf(&sh->log, VL_LOG_ERROR, "key '%s': stored value of %zu bytes exceeds value_max (%u)",
                vl_key_repr(vl__entry_key(e), e->key_len, k, sizeof k), ld->len,
                sh->opts.value_max);
        return VL_ETOOBIG;
    }
    vl_status st = sh->type.decode(sh->type.ctx, vl__entry_key(e), e->key_len, ld->bytes,
                                    ld->len, vl__entry_value(e));
    if (st == VL_OK) return VL_OK;
    if (st != VL_ENOMEM) {
        STAT_INC(sh, corrupt);
        vl__logf(&sh->log, VL_LOG_ERROR, "key '%s': stored value is corrupt (%zu bytes, type %s: %s)",
                vl_key_repr(vl__entry_key(e), e->key_len, k, sizeof k), ld->len,
                sh->type.name ? sh->type.name : "?", vl_strerror(st));
        st = VL_ECORRUPT;
    }
    return st;
}

/* Turns the upstream's answer into the entry's value. */
static vl_status resolve(vl_shard *sh, vl_load *ld) {
    vl_status st = ld->status;
    if (st == VL_OK && ld->expires_at != 0 && ld->expires_at <= vl__wall_ms())
        st = VL_ENOTFOUND; /* an upstream that did not filter: never resurrect */
    vl_entry *e = ld->entry;
    const vl_type *t = &sh->type;
    if (st == VL_OK) {
        st = decode_value(sh, ld);
        if (st != VL_OK) return st;
        e->flags |= F_PRESENT;
        int64_t at = t->expires_at ? t->expires_at(t->ctx, vl__entry_value(e)) : ld->expires_at;
        if (at) vl__entry_set_expiry(sh, e, at);
    } else if (st == VL_ENOTFOUND) {
        st = t->init ? t->init(t->ctx, vl__entry_key(e), e->key_len, vl__entry_value(e)) : VL_ENOTFOUND;
        if (st == VL_OK) e->flags |= F_PRESENT;
        else if (st != VL_ENOTFOUND) return st;
    } else {
        return st;
    }
    vl__bytes_adjust(sh, (int64_t)vl__entry_value_bytes(sh, e));
    return VL_OK;
}

static void fail_waiters(vl_waiter *w, const void *key, size_t len, vl_status st) {
    while (w) {
        vl_waiter *next = w->next;
        vl__req_fail(&w->req, key, len, st);
        free(w);
        w = next;
    }
}

vl_waiter *vl__load_finish(vl_shard *sh, vl_load *ld, vl_entry **ep, uint64_t *hashp) {
    vl_entry *e = *ep = ld->entry;
    sh->inflight_loads--;
    STAT_SET(sh, inflight_loads, sh->inflight_loads);
    vl__ptrmap_del(&sh->recs, e);
    vl_status st = resolve(sh, ld);
    free(ld->bytes);
    vl_waiter *w = ld->head;
    uint64_t hash = *hashp = ld->hash;
    free(ld);
    if (st != VL_OK) {
        STAT_INC(sh, loads_failed);
        /* Fail the waiters while the key bytes still exist, then drop. */
        fail_waiters(w, vl__entry_key(e), e->key_len, st);
        vl__entry_drop(sh, e, hash);
        return NULL;
    }
    vl__entry_set_state(e, ST_CLEAN);
    return w;
}
