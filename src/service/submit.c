/*
 * submit.c -- the asynchronous requests: each hashes its key once, picks the
 * key's shard, and hands the request over through that shard's mailbox.
 *
 * Owns: vl_read, vl_read_cached, vl_write, vl_write_blind, vl_delete,
 * vl_evict, vl_expire, vl_shard_count, vl_shard_of.
 * Threads: any thread. The hand-over: claim a cell in the mailbox, write the
 * request into it in place (keys up to VL_MSG_KEY_INLINE bytes travel
 * inline), publish it, and wake the shard only if it said it would sleep
 * (runtime/worker.c). A full mailbox answers VL_EBUSY at once.
 */
#include <stdlib.h>
#include <string.h>

#include "service/service.h"
#include "util/hash.h"

uint32_t vl_shard_count(const vl_service *svc) { return svc->nshards; }

uint32_t vl_shard_of(const vl_service *svc, const void *key, size_t key_len) {
    return vl__shard_index(vl__hash_key(key, key_len), svc->nshards);
}

static vl_status submit(vl_service *svc, const vl_req *r, const void *key, size_t len) {
    if (!svc || (!key && len)) return VL_EINVAL;
    if (len > VL_KEY_MAX) return VL_ETOOBIG;
    if (atomic_load_explicit(&svc->closing, memory_order_relaxed)) return VL_ECLOSED;
    uint64_t h = vl__hash_key(key, len);
    vl_shard *sh = &svc->shards[vl__shard_index(h, svc->nshards)];
    vl_mailbox *mb = &sh->rt.mb;
    uint8_t *heap = NULL;
    if (len > VL_MSG_KEY_INLINE && !(heap = malloc(len))) return VL_ENOMEM;
    uint64_t pos;
    vl_status err = VL_OK;
    vl_msg *m = vl__mailbox_claim(mb, &pos, &err);
    if (!m) {
        free(heap);
        if (err == VL_EBUSY) atomic_fetch_add_explicit(&sh->st.busy, 1, memory_order_relaxed);
        return err;
    }
    m->req = *r;
    m->key_heap = heap != NULL;
    m->key_len = (uint16_t)len;
    m->hash = h;
    if (heap) m->key.heap = heap;
    memcpy(heap ? heap : m->key.inl, key, len);
    vl__mailbox_publish(mb, pos);
    vl__worker_wake(&sh->rt);
    return VL_OK;
}

vl_status vl_read(vl_service *svc, const void *key, size_t key_len, vl_read_cb cb, void *arg) {
    if (!cb) return VL_EINVAL;
    vl_req r = {MSG_READ, vl_noop(), {.read = cb}, NULL, arg};
    return submit(svc, &r, key, key_len);
}

vl_status vl_read_cached(vl_service *svc, const void *key, size_t key_len, vl_read_cb cb,
                         void *arg) {
    if (!cb) return VL_EINVAL;
    vl_req r = {MSG_READ_CACHED, vl_noop(), {.read = cb}, NULL, arg};
    return submit(svc, &r, key, key_len);
}

vl_status vl_write(vl_service *svc, const void *key, size_t key_len, vl_write_fn fn,
                   vl_done_cb done, void *arg) {
    if (!fn) return VL_EINVAL;
    vl_req r = {MSG_WRITE, vl_noop(), {.write = fn}, done, arg};
    return submit(svc, &r, key, key_len);
}

vl_status vl_write_blind(vl_service *svc, const void *key, size_t key_len, vl_write_fn fn,
                         vl_done_cb done, void *arg) {
    if (!fn) return VL_EINVAL;
    vl_req r = {MSG_WRITE_BLIND, vl_noop(), {.write = fn}, done, arg};
    return submit(svc, &r, key, key_len);
}

vl_status vl_delete(vl_service *svc, const void *key, size_t key_len, vl_policy how,
                    vl_done_cb done, void *arg) {
    if (how.kind > VL_COMMIT_DEFAULT) return VL_EINVAL;
    vl_req r = {MSG_DELETE, vl_delete_with(how), {.read = NULL}, done, arg};
    return submit(svc, &r, key, key_len);
}

vl_status vl_evict(vl_service *svc, const void *key, size_t key_len, vl_done_cb done,
                   void *arg) {
    vl_req r = {MSG_EVICT, vl_noop(), {.read = NULL}, done, arg};
    return submit(svc, &r, key, key_len);
}

vl_status vl_expire(vl_service *svc, const void *key, size_t key_len, int64_t expires_at,
                    vl_policy how, vl_done_cb done, void *arg) {
    if (how.kind > VL_COMMIT_DEFAULT || how.del || expires_at < 0) return VL_EINVAL;
    vl_req r = {MSG_EXPIRE, how, {.expires_at = expires_at}, done, arg};
    return submit(svc, &r, key, key_len);
}
