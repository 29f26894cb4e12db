/*
 * custom_upstream.c -- how to write an upstream (vellir_upstream.h): a tiny
 * "database" of up to 64 rows in an array, served by a worker thread of its
 * own, the way a real upstream keeps blocking calls off the shard threads.
 *
 * Owns: the store (rows + request queue, under one mutex) and its worker.
 * Threads: the ops run on shard threads and only queue; the worker answers
 * with vl_load_done / vl_batch_done (legal from any thread); main drives.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "vellir_upstream.h"

typedef struct row { char key[32]; uint8_t val[8]; int used; } row;
typedef struct req { int is_load; void *p; } req;
typedef struct store {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    req q[1024];
    int head, n, stop;
    row rows[64];
    pthread_t worker;
} store;

static row *find(store *s, const void *k, size_t kl, int create) {
    for (int i = 0; i < 64; i++)
        if (s->rows[i].used && strlen(s->rows[i].key) == kl && !memcmp(s->rows[i].key, k, kl))
            return &s->rows[i];
    for (int i = 0; create && kl < 32 && i < 64; i++)
        if (!s->rows[i].used) {
            memcpy(s->rows[i].key, k, kl), s->rows[i].key[kl] = 0, s->rows[i].used = 1;
            return &s->rows[i];
        }
    return NULL;
}

/* One request, under the lock. A batch lands whole: a real store would use
 * a transaction; here the lock is the transaction. */
static void serve(store *s, req r) {
    if (r.is_load) {
        size_t kl;
        const void *k = vl_load_key(r.p, &kl);
        row *w = find(s, k, kl, 0);
        vl_load_done(r.p, w ? VL_OK : VL_ENOTFOUND, w ? w->val : NULL, w ? 8 : 0, 0);
        return;
    }
    vl_batch *b = r.p;
    vl_status st = VL_OK;
    for (uint32_t i = 0; i < b->count && st == VL_OK; i++) {
        row *w = find(s, b->items[i].key, b->items[i].key_len, b->items[i].value != NULL);
        if (b->items[i].value && (!w || b->items[i].value_len != 8)) st = VL_ENOSPACE;
        else if (w && b->items[i].value) memcpy(w->val, b->items[i].value, 8);
        else if (w) w->used = 0; /* a tombstone */
    }
    vl_batch_done(b, st);
}

static void *worker_main(void *arg) {
    store *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop || s->n) {
        if (!s->n) { pthread_cond_wait(&s->cv, &s->mu); continue; }
        req r = s->q[s->head];
        s->head = (s->head + 1) % 1024, s->n--;
        serve(s, r);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Accepting a request only queues it. VL_EBUSY when full: never accepted,
 * so never completed (the contract), and the cache reports or retries. */
static vl_status push(store *s, int is_load, void *p) {
    pthread_mutex_lock(&s->mu);
    int ok = s->n < 1024;
    if (ok) s->q[(s->head + s->n++) % 1024] = (req){is_load, p};
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return ok ? VL_OK : VL_EBUSY;
}
static vl_status st_open(void *ctx, const vl_upstream_env *env, void **inst) {
    (void)env; /* env->shard, env->log, ... */
    *inst = ctx; /* every shard shares the one store */
    return VL_OK;
}
static vl_status st_load(void *inst, vl_load *r) { return push(inst, 1, r); }
static vl_status st_commit(void *inst, vl_batch *b) { return push(inst, 0, b); }
static void st_close(void *inst) { (void)inst; }
static const vl_upstream_ops ops = {
    .name = "array",
    .open = st_open,
    .load = st_load,
    .commit = st_commit,
    .close = st_close,
};

/* Native byte order: fine for a store that lives in this process. */
static vl_status c_encode(void *c, const void *v, vl_buf *o) { (void)c; return vl_buf_append(o, v, 8); }
static vl_status c_decode(void *c, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)c, (void)k, (void)kl;
    if (n != 8) return VL_ECORRUPT;
    memcpy(v, b, 8);
    return VL_OK;
}
static vl_status c_init(void *c, const void *k, size_t kl, void *v) {
    (void)c, (void)k, (void)kl;
    memset(v, 0, 8);
    return VL_OK;
}
static const vl_type ctr = {.name = "counter", .size = 8, .init = c_init, .encode = c_encode,
                            .decode = c_decode};
static vl_policy incr(void *a, vl_mut *m) { (void)a; ++*(int64_t *)m->value; return vl_within(20); }

int main(void) {
    static store s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_create(&s.worker, NULL, worker_main, &s);
    vl_upstream up = {&ops, &s, NULL}; /* release NULL: main owns the store */
    vl_service *svc;
    if (vl_open(NULL, &ctr, &up, &svc) != VL_OK) return 1;
    for (int i = 0; i < 5000; i++) vl_write_sync(svc, i % 2 ? "odd" : "even", i % 2 ? 3 : 4, incr, NULL);
    vl_close(svc, NULL); /* flushes; every request completed before close */
    pthread_mutex_lock(&s.mu), s.stop = 1, pthread_cond_signal(&s.cv), pthread_mutex_unlock(&s.mu);
    pthread_join(s.worker, NULL);
    int64_t odd = 0, even = 0;
    memcpy(&odd, find(&s, "odd", 3, 0)->val, 8), memcpy(&even, find(&s, "even", 4, 0)->val, 8);
    printf("the array store holds odd=%lld even=%lld\n", (long long)odd, (long long)even);
    return odd == 2500 && even == 2500 ? 0 : 1;
}
