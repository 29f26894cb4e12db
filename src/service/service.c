/*
 * service.c -- opening and closing a service, and routing requests to
 * shards.
 *
 * Owns: vl_options defaults and validation, vl_open, vl_shutdown, vl_close,
 * vl_flush, the asynchronous request calls, joins.
 * Threads: any thread (each function says what it may not do).
 */
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "service/service.h"
#include "util/clock.h"
#include "util/hash.h"

void vl_options_init(vl_options *o) {
    memset(o, 0, sizeof *o);
    o->mailbox = VL_MAILBOX_DEFAULT;
    o->default_policy = vl_within(VL_DEFAULT_WITHIN_MS);
    o->retry.base_ms = VL_RETRY_BASE_MS_DEFAULT;
    o->retry.cap_ms = VL_RETRY_CAP_MS_DEFAULT;
    o->retry.immediate_attempts = VL_RETRY_IMMEDIATE_ATTEMPTS_DEFAULT;
    o->batch_max = VL_BATCH_MAX_DEFAULT;
    o->commit_inflight = VL_COMMIT_INFLIGHT_DEFAULT;
    o->value_max = VL_VALUE_MAX_DEFAULT;
    o->spin_us = VL_SPIN_US_DEFAULT;
    o->close_timeout_ms = VL_CLOSE_TIMEOUT_MS_DEFAULT;
    o->evict_samples = VL_EVICT_SAMPLES_DEFAULT;
    o->evict_pool = VL_EVICT_POOL_DEFAULT;
    o->expire.hz = VL_EXPIRE_HZ_DEFAULT;
    o->expire.keys_per_loop = VL_EXPIRE_KEYS_PER_LOOP_DEFAULT;
    o->expire.stale_pct = VL_EXPIRE_STALE_PCT_DEFAULT;
    o->expire.slow_cpu_pct = VL_EXPIRE_SLOW_CPU_PCT_DEFAULT;
    o->expire.fast_us = VL_EXPIRE_FAST_US_DEFAULT;
}

#define DEFAULT_IF_ZERO(f, v) \
    do {                      \
        if ((f) == 0) (f) = (v); \
    } while (0)

static uint32_t online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)VL_SHARDS_MAX ? VL_SHARDS_MAX : (uint32_t)n;
}

/* Fills zeros with defaults and checks ranges; logs what is wrong. */
static vl_status check_options(vl_options *o) {
    DEFAULT_IF_ZERO(o->shards, online_cpus());
    DEFAULT_IF_ZERO(o->mailbox, VL_MAILBOX_DEFAULT);
    DEFAULT_IF_ZERO(o->retry.base_ms, VL_RETRY_BASE_MS_DEFAULT);
    DEFAULT_IF_ZERO(o->retry.cap_ms, VL_RETRY_CAP_MS_DEFAULT);
    DEFAULT_IF_ZERO(o->retry.immediate_attempts, VL_RETRY_IMMEDIATE_ATTEMPTS_DEFAULT);
    DEFAULT_IF_ZERO(o->batch_max, VL_BATCH_MAX_DEFAULT);
    DEFAULT_IF_ZERO(o->commit_inflight, VL_COMMIT_INFLIGHT_DEFAULT);
    DEFAULT_IF_ZERO(o->value_max, VL_VALUE_MAX_DEFAULT);
    DEFAULT_IF_ZERO(o->close_timeout_ms, VL_CLOSE_TIMEOUT_MS_DEFAULT);
    DEFAULT_IF_ZERO(o->evict_samples, VL_EVICT_SAMPLES_DEFAULT);
    DEFAULT_IF_ZERO(o->evict_pool, VL_EVICT_POOL_DEFAULT);
    DEFAULT_IF_ZERO(o->expire.hz, VL_EXPIRE_HZ_DEFAULT);
    DEFAULT_IF_ZERO(o->expire.keys_per_loop, VL_EXPIRE_KEYS_PER_LOOP_DEFAULT);
    DEFAULT_IF_ZERO(o->expire.stale_pct, VL_EXPIRE_STALE_PCT_DEFAULT);
    DEFAULT_IF_ZERO(o->expire.slow_cpu_pct, VL_EXPIRE_SLOW_CPU_PCT_DEFAULT);
    DEFAULT_IF_ZERO(o->expire.fast_us, VL_EXPIRE_FAST_US_DEFAULT);
    if (o->default_policy.kind == VL_COMMIT_NOOP && o->default_policy.ms == 0)
        o->default_policy = vl_within(VL_DEFAULT_WITHIN_MS);
    const char *bad = NULL;
    if (o->shards > VL_SHARDS_MAX) bad = "shards exceeds VL_SHARDS_MAX";
    else if (o->mailbox < VL_MAILBOX_MIN || o->mailbox > VL_MAILBOX_MAX)
        bad = "mailbox outside [VL_MAILBOX_MIN, VL_MAILBOX_MAX]";
    else if (o->default_policy.del ||
             (o->default_policy.kind != VL_COMMIT_IMMEDIATE &&
              o->default_policy.kind != VL_COMMIT_WITHIN))
        bad = "default_policy must be vl_immediate() or vl_within(ms)";
    else if (o->retry.cap_ms < o->retry.base_ms) bad = "retry.cap_ms is below retry.base_ms";
    else if (o->batch_max > VL_BATCH_MAX) bad = "batch_max exceeds VL_BATCH_MAX";
    else if (o->commit_inflight > VL_COMMIT_INFLIGHT_MAX)
        bad = "commit_inflight exceeds VL_COMMIT_INFLIGHT_MAX";
    else if (o->commit_gather_ms > VL_COMMIT_GATHER_MS_MAX)
        bad = "commit_gather_ms exceeds VL_COMMIT_GATHER_MS_MAX";
    else if (o->value_max > VL_VALUE_MAX) bad = "value_max exceeds VL_VALUE_MAX";
    else if (o->spin_us > VL_SPIN_US_MAX) bad = "spin_us exceeds VL_SPIN_US_MAX";
    else if (o->evict_policy > VL_EVICT_S3FIFO) bad = "evict_policy is not a vl_evict_policy";
    else if (o->evict_samples > VL_EVICT_SAMPLES_MAX) bad = "evict_samples exceeds VL_EVICT_SAMPLES_MAX";
    else if (o->evict_pool > VL_EVICT_POOL_MAX) bad = "evict_pool exceeds VL_EVICT_POOL_MAX";
    else if (o->expire.hz > VL_EXPIRE_HZ_MAX) bad = "expire.hz exceeds VL_EXPIRE_HZ_MAX";
    else if (o->expire.keys_per_loop > VL_EXPIRE_KEYS_PER_LOOP_MAX)
        bad = "expire.keys_per_loop exceeds VL_EXPIRE_KEYS_PER_LOOP_MAX";
    else if (o->expire.stale_pct > 100 || o->expire.slow_cpu_pct > 100)
        bad = "expire.stale_pct and expire.slow_cpu_pct are percentages (0-100)";
    if (!bad) return VL_OK;
    vl_service tmp = {.opts = *o};
    vl_logf(&tmp, VL_LOG_ERROR, "vl_open: invalid options: %s", bad);
    return VL_EINVAL;
}

static vl_status check_type(const vl_type *t, const vl_upstream *up) {
    if (!t || t->size == 0 || t->size > 4096 || !t->encode || !t->decode) return VL_EINVAL;
    if (!up || !up->ops || !up->ops->open || !up->ops->load || !up->ops->commit ||
        !up->ops->close)
        return VL_EINVAL;
    return VL_OK;
}

/* A shard's share of a bound: rounded up, so the shards together hold at
 * least the bound (keys spread by hash, not evenly). */
static uint64_t share(uint64_t bound, uint32_t n) { return bound ? (bound + n - 1) / n : 0; }

static vl_status shard_init(vl_service *svc, vl_shard *sh, uint32_t i) {
    sh->svc = svc;
    sh->index = i;
    sh->rng.s = (uint64_t)vl_mono_us() * 0x9e3779b97f4a7c15ull + i;
    sh->max_keys = share(svc->opts.max_keys, svc->nshards);
    sh->max_bytes = share(svc->opts.max_bytes, svc->nshards);
    ctlq_init(&sh->ctl);
    slab_init(&sh->slab);
    heap_init(&sh->due);
    heap_init(&sh->ages);
    if (mailbox_init(&sh->mb, svc->opts.mailbox) != VL_OK) return VL_ENOMEM;
    if (table_init(&sh->table, sh->max_keys) != VL_OK) return VL_ENOMEM;
    if (ptrmap_init(&sh->recs) != VL_OK) return VL_ENOMEM;
    if (ptrmap_init(&sh->expiry) != VL_OK) return VL_ENOMEM;
    return evict_init(&sh->ev, &svc->opts, &sh->table, &sh->rng, &sh->lru_clock, sh->max_keys);
}

static void shard_fini(vl_shard *sh) {
    for (vl_ctl *c = ctlq_take(&sh->ctl); c;) { /* commands never taken */
        vl_ctl *next = c->next;
        free(VL_CONTAINER_OF(c, vl_cmd, ctl));
        c = next;
    }
    ctlq_destroy(&sh->ctl);
    mailbox_free(&sh->mb);
    table_free(&sh->table);
    ptrmap_free(&sh->recs);
    ptrmap_free(&sh->expiry);
    heap_free(&sh->due);
    heap_free(&sh->ages);
    evict_free(&sh->ev);
    slab_destroy(&sh->slab);
    free(sh->spare);
}

static void service_free(vl_service *svc, uint32_t inited) {
    for (uint32_t i = 0; i < inited; i++) shard_fini(&svc->shards[i]);
    free(svc->shards);
    pthread_mutex_destroy(&svc->start_mu);
    pthread_cond_destroy(&svc->start_cv);
    free(svc);
}

/* Posts one command of `kind` to every shard. All or nothing. */
static vl_status post_all(vl_service *svc, uint32_t kind, vl_join *join) {
    vl_cmd **cmds = calloc(svc->nshards, sizeof *cmds);
    if (!cmds) return VL_ENOMEM;
    for (uint32_t i = 0; i < svc->nshards; i++) {
        cmds[i] = calloc(1, sizeof **cmds);
        if (!cmds[i]) {
            for (uint32_t j = 0; j < i; j++) free(cmds[j]);
            free(cmds);
            return VL_ENOMEM;
        }
        cmds[i]->ctl.kind = kind;
        cmds[i]->join = join;
    }
    for (uint32_t i = 0; i < svc->nshards; i++) shard_post(&svc->shards[i], &cmds[i]->ctl);
    free(cmds);
    return VL_OK;
}

static void join_threads(vl_service *svc, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) pthread_join(svc->shards[i].thread, NULL);
}

static vl_status start_shards(vl_service *svc) {
    uint32_t n = 0;
    vl_status st = VL_OK;
    for (; n < svc->nshards && st == VL_OK; n++) st = shard_start(&svc->shards[n]);
    if (st != VL_OK) n--;
    pthread_mutex_lock(&svc->start_mu);
    while (svc->started < n) pthread_cond_wait(&svc->start_cv, &svc->start_mu);
    if (st == VL_OK) st = svc->start_status;
    svc->start_over = true;
    pthread_cond_broadcast(&svc->start_cv);
    pthread_mutex_unlock(&svc->start_mu);
    if (st == VL_OK) return VL_OK;
    /* Stop what started; shards that failed to open have exited already. */
    atomic_store(&svc->closing, 1);
    while (post_all(svc, CTL_SHUTDOWN, NULL) != VL_OK) sched_yield();
    join_threads(svc, n);
    return st;
}

vl_status vl_open(const vl_options *opts, const vl_type *type, const vl_upstream *upstream,
                  vl_service **out) {
    if (!out || check_type(type, upstream) != VL_OK) return VL_EINVAL;
    *out = NULL;
    vl_service *svc = calloc(1, sizeof *svc);
    if (!svc) return VL_ENOMEM;
    pthread_mutex_init(&svc->start_mu, NULL);
    pthread_cond_init(&svc->start_cv, NULL);
    if (opts) svc->opts = *opts;
    else vl_options_init(&svc->opts);
    svc->type = *type;
    svc->upstream = *upstream;
    vl_status st = check_options(&svc->opts);
    if (st != VL_OK) {
        service_free(svc, 0);
        return st;
    }
    svc->nshards = svc->opts.shards;
    svc->shards = calloc(svc->nshards, sizeof *svc->shards);
    uint32_t inited = 0;
    st = svc->shards ? VL_OK : VL_ENOMEM;
    while (st == VL_OK && inited < svc->nshards) {
        st = shard_init(svc, &svc->shards[inited], inited);
        inited++;
    }
    if (st == VL_OK) st = start_shards(svc);
    if (st != VL_OK) {
        service_free(svc, inited);
        return st;
    }
    *out = svc;
    return VL_OK;
}

/* ---- joins ------------------------------------------------------------ */

static vl_join *join_new(int64_t parts, vl_done_cb done, void *arg) {
    vl_join *j = malloc(sizeof *j);
    if (!j) return NULL;
    atomic_init(&j->remaining, parts);
    atomic_init(&j->status, VL_OK);
    j->done = done;
    j->arg = arg;
    return j;
}

void join_part_done(vl_join *j, vl_status st) {
    if (st != VL_OK) {
        int ok = VL_OK;
        atomic_compare_exchange_strong(&j->status, &ok, (int)st);
    }
    if (atomic_fetch_sub(&j->remaining, 1) != 1) return;
    if (j->done) j->done(j->arg, (vl_status)atomic_load(&j->status));
    free(j);
}

/* ---- shutdown and close ------------------------------------------------ */

vl_status vl_shutdown(vl_service *svc, void (*done)(void *arg, vl_status st), void *arg) {
    if (!svc) return VL_EINVAL;
    int expect = 0;
    if (!atomic_compare_exchange_strong(&svc->closing, &expect, 1)) return VL_ECLOSED;
    while (atomic_load(&svc->ctl_posters) != 0) sched_yield();
    vl_join *j = join_new(svc->nshards, done, arg);
    if (!j) {
        atomic_store(&svc->closing, 0);
        return VL_ENOMEM;
    }
    svc->shutdown = j;
    vl_status st = post_all(svc, CTL_SHUTDOWN, NULL);
    if (st != VL_OK) {
        svc->shutdown = NULL;
        free(j);
        atomic_store(&svc->closing, 0);
    }
    return st;
}

vl_status vl_close(vl_service *svc, vl_close_report *report) {
    if (!svc || vl_current_shard) return VL_EINVAL;
    if (!atomic_load(&svc->closing))
        while (vl_shutdown(svc, NULL, NULL) == VL_ENOMEM) sched_yield();
    join_threads(svc, svc->nshards);
    vl_close_report r = {0, VL_OK};
    for (uint32_t i = 0; i < svc->nshards; i++) {
        r.uncommitted += svc->shards[i].uncommitted;
        if (svc->shards[i].last_error != VL_OK) r.last_error = svc->shards[i].last_error;
    }
    if (report) *report = r;
    if (svc->upstream.release) svc->upstream.release(svc->upstream.ctx);
    service_free(svc, svc->nshards);
    return r.uncommitted ? VL_EUNCOMMITTED : VL_OK;
}

/* ---- requests ---------------------------------------------------------- */

uint32_t vl_shard_count(const vl_service *svc) { return svc->nshards; }

uint32_t vl_shard_of(const vl_service *svc, const void *key, size_t key_len) {
    return vl_shard_index(vl_hash_key(key, key_len), svc->nshards);
}

static vl_status submit(vl_service *svc, const vl_req *r, const void *key, size_t len) {
    if (!svc || (!key && len)) return VL_EINVAL;
    if (len > VL_KEY_MAX) return VL_ETOOBIG;
    if (atomic_load_explicit(&svc->closing, memory_order_relaxed)) return VL_ECLOSED;
    uint64_t h = vl_hash_key(key, len);
    vl_shard *sh = &svc->shards[vl_shard_index(h, svc->nshards)];
    uint8_t *heap = NULL;
    if (len > VL_MSG_KEY_INLINE && !(heap = malloc(len))) return VL_ENOMEM;
    uint64_t pos;
    vl_status err = VL_OK;
    vl_msg *m = mailbox_claim(&sh->mb, &pos, &err);
    if (!m) {
        free(heap);
        if (err == VL_EBUSY) atomic_fetch_add_explicit(&sh->st.busy, 1, memory_order_relaxed);
        return err;
    }
    m->op = r->op;
    m->key_heap = heap != NULL;
    m->key_len = (uint16_t)len;
    m->policy = r->policy;
    m->hash = h;
    m->fn.read = r->fn.read;
    if (r->op == MSG_WRITE || r->op == MSG_WRITE_BLIND) m->fn.write = r->fn.write;
    if (r->op == MSG_EXPIRE) m->fn.expires_at = r->fn.expires_at;
    m->done = r->done;
    m->arg = r->arg;
    if (heap) m->key.heap = heap;
    memcpy(heap ? heap : m->key.inl, key, len);
    mailbox_publish(&sh->mb, pos);
    shard_wake(sh);
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

vl_status vl_flush(vl_service *svc, vl_done_cb done, void *arg) {
    if (!svc) return VL_EINVAL;
    atomic_fetch_add(&svc->ctl_posters, 1);
    vl_status st = VL_ECLOSED;
    if (!atomic_load(&svc->closing)) {
        vl_join *j = join_new(svc->nshards, done, arg);
        st = j ? post_all(svc, CTL_FLUSH, j) : VL_ENOMEM;
        if (st != VL_OK) free(j);
    }
    atomic_fetch_sub(&svc->ctl_posters, 1);
    return st;
}

/* ---- running code on the shards ----------------------------------------- */

struct uv_loop_s *vl_shard_loop(vl_service *svc, uint32_t shard) {
    return svc && shard < svc->nshards ? &svc->shards[shard].loop : NULL;
}

int vl_shard_self(const vl_service *svc) {
    vl_shard *sh = vl_current_shard;
    return sh && sh->svc == svc ? (int)sh->index : -1;
}

_Static_assert(sizeof(((vl_task *)0)->reserved_) >= sizeof(vl_ctl), "vl_task holds a vl_ctl");

vl_status vl_post(vl_service *svc, uint32_t shard, vl_task *task) {
    if (!svc || !task || !task->fn || shard >= svc->nshards) return VL_EINVAL;
    vl_ctl *c = (vl_ctl *)(void *)task->reserved_;
    c->kind = CTL_TASK;
    return shard_post_task(&svc->shards[shard], c);
}
