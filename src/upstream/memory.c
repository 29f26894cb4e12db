/*
 * memory.c -- the in-process upstream of vellir_memory.h: a hash table that
 * plays a database, with faults on demand.
 *
 * Owns: the store (rows, counters, faults), its worker thread, and its
 * scans (in the keys' byte order, or in the order of their hash).
 * Threads: the store is shared by every shard's instance and by the test
 * thread, under one mutex. Requests with no latency and no fault complete on
 * the calling shard thread; delayed or held ones complete on the worker.
 *
 * A request's fate (fail, lose its ack, or succeed) is decided when it
 * arrives; its effect on the rows happens when it completes, as in a real
 * database where a commit lands when it is acknowledged. A crash fails what
 * is in flight without applying it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/heap.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/keyset.h"
#include "util/pos.h"
#include "util/rng.h"
#include "vellir_memory.h"

typedef struct row {
    struct row *next;
    uint8_t *val;      /* NULL: no row (deleted, or only counted) */
    size_t val_len;
    int64_t expires_at;
    uint64_t loads, commits;
    size_t key_len;
    uint8_t key[];
} row;

typedef enum { OP_LOAD = 1, OP_COMMIT, OP_SCAN } op_kind;

typedef struct delayed {
    vl_hnode hn;      /* due time in µs; INT64_MAX while hung */
    op_kind kind;
    void *req;        /* vl_load*, vl_batch* or vl_scan_req* */
    vl_status fail;   /* decided at arrival; VL_OK: succeed */
    bool lose_ack;    /* apply, then answer `fail` */
    bool more;        /* a scan: keys after its page */
    vl_keyset page;   /* a scan: what it read when it arrived */
} delayed;

typedef struct fault {
    double rate;
    vl_status rate_status;
    uint32_t next_n;
    vl_status next_status;
} fault;

struct vl_mem {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker;
    bool stop;
    row **buckets;
    size_t nbuckets, nrows, nentries;
    vl_rng rng;
    uint32_t lat_min_us, lat_max_us;
    uint32_t scan_delay_us; /* a scan answers this long after it read */
    fault faults[2]; /* [0] loads, [1] commits */
    uint32_t lose_ack_n;
    vl_status lose_ack_status;
    bool hung, crashed;
    vl_heap queue;
    vl_mem_counts totals;
};

/* ---- rows --------------------------------------------------------------- */

static row *find_row(vl_mem *m, const void *key, size_t len, bool create) {
    uint64_t h = vl__hash_key(key, len) % m->nbuckets;
    for (row *r = m->buckets[h]; r; r = r->next)
        if (r->key_len == len && memcmp(r->key, key, len) == 0) return r;
    if (!create) return NULL;
    row *r = calloc(1, sizeof *r + len);
    if (!r) return NULL;
    r->key_len = len;
    memcpy(r->key, key, len);
    r->next = m->buckets[h];
    m->buckets[h] = r;
    m->nentries++;
    if (m->nentries > m->nbuckets * 2) {
        size_t nb = m->nbuckets * 4;
        row **b = calloc(nb, sizeof *b);
        if (b) {
            for (size_t i = 0; i < m->nbuckets; i++)
                for (row *x = m->buckets[i], *next; x; x = next) {
                    next = x->next;
                    uint64_t k = vl__hash_key(x->key, x->key_len) % nb;
                    x->next = b[k];
                    b[k] = x;
                }
            free(m->buckets);
            m->buckets = b;
            m->nbuckets = nb;
        }
    }
    return r;
}

static vl_status set_row(vl_mem *m, row *r, const void *bytes, size_t len, int64_t exp) {
    uint8_t *v = NULL;
    if (bytes) {
        v = malloc(len ? len : 1);
        if (!v) return VL_ENOMEM;
        if (len) memcpy(v, bytes, len);
    }
    if (r->val && !v) m->nrows--;
    if (!r->val && v) m->nrows++;
    free(r->val);
    r->val = v;
    r->val_len = len;
    r->expires_at = v ? exp : 0;
    return VL_OK;
}

/* ---- requests ----------------------------------------------------------- */

/* Decides a new request's fate (a scan is a read: the loads' faults). Under
 * the lock. */
static vl_status decide(vl_mem *m, op_kind kind, bool *lose_ack) {
    fault *f = &m->faults[kind == OP_COMMIT ? 1 : 0];
    *lose_ack = false;
    if (m->crashed) return VL_EUNAVAILABLE;
    if (f->next_n) {
        f->next_n--;
        return f->next_status;
    }
    if (f->rate > 0 && vl__rng_unit(&m->rng) < f->rate) return f->rate_status;
    if (kind == OP_COMMIT && m->lose_ack_n) {
        m->lose_ack_n--;
        *lose_ack = true;
        return m->lose_ack_status;
    }
    return VL_OK;
}

/* Runs a load's effect; returns the row's bytes (copied by the caller under
 * the lock) through the out parameters. */
static void complete_load(vl_mem *m, vl_load *req, vl_status fail) {
    size_t klen;
    const void *key = vl_load_key(req, &klen);
    if (fail != VL_OK) {
        m->totals.failed++;
        vl_load_done(req, fail, NULL, 0, 0);
        return;
    }
    row *r = find_row(m, key, klen, false);
    if (!r || !r->val || (r->expires_at && r->expires_at <= vl__wall_ms()))
        vl_load_done(req, VL_ENOTFOUND, NULL, 0, 0);
    else
        vl_load_done(req, VL_OK, r->val, r->val_len, r->expires_at);
}

static vl_status apply_batch(vl_mem *m, vl_batch *b) {
    for (uint32_t i = 0; i < b->count; i++) {
        const vl_commit_item *it = &b->items[i];
        row *r = find_row(m, it->key, it->key_len, true);
        if (!r) return VL_ENOMEM;
        vl_status st = set_row(m, r, it->value, it->value_len, it->expires_at);
        if (st != VL_OK) return st;
        r->commits++;
    }
    m->totals.commit_keys += b->count;
    return VL_OK;
}

static void complete_commit(vl_mem *m, vl_batch *b, vl_status fail, bool lose_ack) {
    vl_status st = fail;
    if (fail == VL_OK || lose_ack) {
        vl_status applied = apply_batch(m, b);
        if (fail == VL_OK) st = applied;
    }
    if (st != VL_OK) m->totals.failed++;
    vl_batch_done(b, st);
}

/* ---- scans ---------------------------------------------------------------- */

/* The hashed order (vl_mem_upstream_hashed): 8 bytes of the key's hash,
 * then the key, as Cassandra orders keys by token. */
static vl_status hashed_position(void *ctx, const void *key, size_t len, vl_buf *out) {
    (void)ctx;
    uint64_t h = vl__hash_key(key, len);
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(h >> (56 - 8 * i));
    if (vl_buf_append(out, b, 8) != VL_OK) return VL_ENOMEM;
    return len ? vl_buf_append(out, key, len) : VL_OK;
}

/* Keeps the `count` first items of a set, with one more if there is one
 * (it tells that more follow). */
static vl_status keep_first(vl_keyset *s, uint32_t count) {
    vl__keyset_sort(s);
    vl_keyset kept = {0};
    vl_status st = VL_OK;
    for (uint32_t i = 0; i < s->n && i <= count && st == VL_OK; i++)
        st = vl__keyset_add_item(&kept, s, i);
    vl__keyset_free(s);
    *s = kept;
    return st;
}

/* Reads a scan's page now: the live rows positioned after the request's
 * position, sorted, the first `count`. It looks at every row (a test
 * store; a database reads an index), keeping at most 2 x count + 1 of them
 * at a time: O(rows x log count) per page. Under the lock. */
static vl_status read_page(vl_mem *m, vl_scan_req *req, bool hashed, delayed *d) {
    size_t alen;
    const void *after = vl_scan_req_after(req, &alen);
    uint32_t count = vl_scan_req_count(req);
    int64_t now = vl__wall_ms();
    vl_buf pos = {0};
    vl_status st = VL_OK;
    for (size_t i = 0; i < m->nbuckets && st == VL_OK; i++)
        for (row *r = m->buckets[i]; r && st == VL_OK; r = r->next) {
            if (!r->val || (r->expires_at && r->expires_at <= now)) continue;
            pos.len = 0;
            if (hashed && (st = hashed_position(NULL, r->key, r->key_len, &pos)) != VL_OK) break;
            const void *p = hashed ? pos.data : r->key;
            size_t plen = hashed ? pos.len : r->key_len;
            if (after && vl__pos_cmp(p, plen, after, alen) <= 0) continue;
            st = vl__keyset_add(&d->page, r->key, r->key_len, hashed ? p : NULL, plen,
                                r->expires_at, 0);
            if (st == VL_OK && d->page.n > 2 * count + 1) st = keep_first(&d->page, count);
        }
    vl_buf_free(&pos);
    if (st == VL_OK) st = keep_first(&d->page, count);
    d->more = d->page.n > count;
    vl__keyset_truncate(&d->page, count);
    return st;
}

static void complete_scan(vl_mem *m, delayed *d) {
    vl_scan_req *req = d->req;
    vl_status st = d->fail;
    if (st != VL_OK) m->totals.failed++;
    for (uint32_t i = 0; i < d->page.n && st == VL_OK; i++)
        st = vl_scan_req_add(req, vl__keyset_key(&d->page, i), d->page.it[i].key_len,
                             d->page.it[i].expires_at);
    vl_scan_req_done(req, st, d->more);
}

static void complete(vl_mem *m, delayed *d) {
    if (d->kind == OP_LOAD) complete_load(m, d->req, d->fail);
    else if (d->kind == OP_SCAN) complete_scan(m, d);
    else complete_commit(m, d->req, d->fail, d->lose_ack);
    vl__keyset_free(&d->page);
    free(d);
}

static int64_t latency_us(vl_mem *m) {
    if (m->lat_max_us == 0) return 0;
    uint32_t span = m->lat_max_us - m->lat_min_us;
    return m->lat_min_us + (int64_t)(span ? vl__rng_below(&m->rng, span + 1) : 0);
}

/* Accepts a request: completes it now, or queues it for the worker. A
 * scan reads its page now and answers when it completes (a database that
 * read its snapshot, and whose answer is slow to come back). */
static vl_status submit(vl_mem *m, op_kind kind, void *req, bool hashed) {
    delayed *d = calloc(1, sizeof *d);
    if (!d) return VL_ENOMEM;
    d->kind = kind;
    d->req = req;
    pthread_mutex_lock(&m->mu);
    if (kind == OP_LOAD) m->totals.loads++;
    else if (kind == OP_SCAN) m->totals.scans++;
    else m->totals.commits++;
    if (kind == OP_LOAD) {
        size_t klen;
        const void *key = vl_load_key(req, &klen);
        row *r = find_row(m, key, klen, true);
        if (r) r->loads++;
    }
    d->fail = decide(m, kind, &d->lose_ack);
    if (kind == OP_SCAN && d->fail == VL_OK) d->fail = read_page(m, req, hashed, d);
    int64_t lat = latency_us(m) + (kind == OP_SCAN ? m->scan_delay_us : 0);
    if (lat == 0 && !m->hung) {
        complete(m, d);
    } else {
        (void)vl__heap_push(&m->queue, &d->hn, m->hung ? INT64_MAX : vl__mono_us() + lat);
        pthread_cond_signal(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    return VL_OK;
}

static void *worker_main(void *arg) {
    vl_mem *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        vl_hnode *h = vl__heap_min(&m->queue);
        int64_t now = vl__mono_us();
        if (h && h->key <= now) {
            vl__heap_remove(&m->queue, h);
            complete(m, (delayed *)h); /* hn is the first member */
            continue;
        }
        if (!h || h->key == INT64_MAX) {
            pthread_cond_wait(&m->cv, &m->mu);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait = h->key - now;
            ts.tv_sec += wait / 1000000;
            ts.tv_nsec += (wait % 1000000) * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&m->cv, &m->mu, &ts);
        }
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- the upstream's ops --------------------------------------------------- */

static vl_status mem_open(void *ctx, const vl_upstream_env *env, void **inst) {
    (void)env;
    *inst = ctx;
    return VL_OK;
}
static vl_status mem_load(void *inst, vl_load *req) { return submit(inst, OP_LOAD, req, false); }
static vl_status mem_commit(void *inst, vl_batch *b) { return submit(inst, OP_COMMIT, b, false); }
static vl_status mem_scan(void *inst, vl_scan_req *req) { return submit(inst, OP_SCAN, req, false); }
static vl_status mem_scan_hashed(void *inst, vl_scan_req *req) {
    return submit(inst, OP_SCAN, req, true);
}
static void mem_close(void *inst) { (void)inst; }

/* Empties the table (counters stay). A crashed store refuses. */
static vl_status mem_truncate(void *inst, vl_truncate *req) {
    vl_mem *m = inst;
    vl_status st = VL_OK;
    pthread_mutex_lock(&m->mu);
    if (m->crashed) {
        st = VL_EUNAVAILABLE;
    } else {
        for (size_t i = 0; i < m->nbuckets; i++)
            for (row *r = m->buckets[i]; r; r = r->next) (void)set_row(m, r, NULL, 0, 0);
        m->totals.truncates++;
    }
    pthread_mutex_unlock(&m->mu);
    vl_truncate_done(req, st);
    return VL_OK;
}

/* The two upstreams differ only in their scan order. */
#define MEM_OPS .name = "memory", .open = mem_open, .load = mem_load, .commit = mem_commit, \
                .close = mem_close, .truncate = mem_truncate

static const vl_upstream_ops mem_ops = {MEM_OPS, .scan = mem_scan};
static const vl_upstream_ops mem_ops_hashed = {MEM_OPS, .scan = mem_scan_hashed,
                                               .scan_position = hashed_position};

vl_upstream vl_mem_upstream(vl_mem *m) {
    vl_upstream u = {&mem_ops, m, NULL};
    return u;
}

vl_upstream vl_mem_upstream_hashed(vl_mem *m) {
    vl_upstream u = {&mem_ops_hashed, m, NULL};
    return u;
}

/* ---- the store ------------------------------------------------------------ */

vl_mem *vl_mem_new(uint64_t seed) {
    vl_mem *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nbuckets = 1024;
    m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
    if (!m->buckets) {
        free(m);
        return NULL;
    }
    m->rng.s = seed;
    vl__heap_init(&m->queue);
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&m->worker, NULL, worker_main, m) != 0) {
        free(m->buckets);
        free(m);
        return NULL;
    }
    return m;
}

void vl_mem_free(vl_mem *m) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stop = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->worker, NULL);
    for (size_t i = 0; i < m->nbuckets; i++)
        for (row *r = m->buckets[i], *next; r; r = next) {
            next = r->next;
            free(r->val);
            free(r);
        }
    free(m->buckets);
    vl__heap_free(&m->queue);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ---- faults --------------------------------------------------------------- */

#define LOCKED(m, body)               \
    do {                              \
        pthread_mutex_lock(&(m)->mu); \
        body;                         \
        pthread_mutex_unlock(&(m)->mu); \
    } while (0)

void vl_mem_set_latency(vl_mem *m, uint32_t min_us, uint32_t max_us) {
    LOCKED(m, {
        m->lat_min_us = min_us;
        m->lat_max_us = max_us < min_us ? min_us : max_us;
    });
}

void vl_mem_set_scan_delay(vl_mem *m, uint32_t us) { LOCKED(m, m->scan_delay_us = us); }

static void each_fault(vl_mem *m, vl_mem_ops ops, void (*fn)(fault *, double, uint32_t, vl_status),
                       double rate, uint32_t n, vl_status st) {
    LOCKED(m, {
        if (ops & VL_MEM_LOADS) fn(&m->faults[0], rate, n, st);
        if (ops & VL_MEM_COMMITS) fn(&m->faults[1], rate, n, st);
    });
}

static void set_rate(fault *f, double rate, uint32_t n, vl_status st) {
    (void)n;
    f->rate = rate;
    f->rate_status = st;
}

static void set_next(fault *f, double rate, uint32_t n, vl_status st) {
    (void)rate;
    f->next_n = n;
    f->next_status = st;
}

void vl_mem_set_error_rate(vl_mem *m, vl_mem_ops ops, double rate, vl_status status) {
    each_fault(m, ops, set_rate, rate, 0, status);
}

void vl_mem_fail_next(vl_mem *m, vl_mem_ops ops, uint32_t n, vl_status status) {
    each_fault(m, ops, set_next, 0, n, status);
}

void vl_mem_lose_ack_next(vl_mem *m, uint32_t n, vl_status status) {
    LOCKED(m, {
        m->lose_ack_n = n;
        m->lose_ack_status = status;
    });
}

/* Makes every held request due now (on unhang, and on a crash, whose
 * requests then fail). Under the lock. */
static void release_held(vl_mem *m, vl_status fail) {
    for (uint32_t i = 0; i < m->queue.n; i++) {
        delayed *d = (delayed *)m->queue.a[i];
        if (fail != VL_OK) {
            d->fail = fail;
            d->lose_ack = false;
        }
    }
    for (uint32_t i = 0; i < m->queue.n; i++) m->queue.a[i]->key = 0; /* all equal: still a heap */
    pthread_cond_signal(&m->cv);
}

void vl_mem_hang(vl_mem *m, bool on) {
    LOCKED(m, {
        m->hung = on;
        if (!on) release_held(m, VL_OK);
    });
}

void vl_mem_crash(vl_mem *m) {
    LOCKED(m, {
        m->crashed = true;
        m->hung = false;
        release_held(m, VL_EUNAVAILABLE);
    });
}

void vl_mem_recover(vl_mem *m) { LOCKED(m, m->crashed = false); }

void vl_mem_clear_faults(vl_mem *m) {
    LOCKED(m, {
        memset(m->faults, 0, sizeof m->faults);
        m->lat_min_us = m->lat_max_us = 0;
        m->scan_delay_us = 0;
        m->lose_ack_n = 0;
        m->crashed = false;
        if (m->hung) release_held(m, VL_OK);
        m->hung = false;
    });
}

/* ---- contents and counters -------------------------------------------------- */

vl_status vl_mem_get(vl_mem *m, const void *key, size_t key_len, vl_buf *out,
                     int64_t *expires_at) {
    vl_status st = VL_ENOTFOUND;
    LOCKED(m, {
        row *r = find_row(m, key, key_len, false);
        if (r && r->val) {
            st = out ? vl_buf_append(out, r->val, r->val_len) : VL_OK;
            if (expires_at) *expires_at = r->expires_at;
        }
    });
    return st;
}

vl_status vl_mem_put(vl_mem *m, const void *key, size_t key_len, const void *bytes, size_t len,
                     int64_t expires_at) {
    vl_status st = VL_ENOMEM;
    LOCKED(m, {
        row *r = find_row(m, key, key_len, true);
        if (r) st = set_row(m, r, bytes ? bytes : "", len, expires_at);
    });
    return st;
}

size_t vl_mem_count(vl_mem *m) {
    size_t n;
    LOCKED(m, n = m->nrows);
    return n;
}

void vl_mem_foreach(vl_mem *m,
                    void (*fn)(void *arg, const void *key, size_t key_len, const uint8_t *bytes,
                               size_t len, int64_t expires_at),
                    void *arg) {
    LOCKED(m, {
        for (size_t i = 0; i < m->nbuckets; i++)
            for (row *r = m->buckets[i]; r; r = r->next)
                if (r->val) fn(arg, r->key, r->key_len, r->val, r->val_len, r->expires_at);
    });
}

void vl_mem_totals(vl_mem *m, vl_mem_counts *out) { LOCKED(m, *out = m->totals); }

static uint64_t key_counter(vl_mem *m, const void *key, size_t len, bool loads) {
    uint64_t n = 0;
    LOCKED(m, {
        row *r = find_row(m, key, len, false);
        if (r) n = loads ? r->loads : r->commits;
    });
    return n;
}

uint64_t vl_mem_key_loads(vl_mem *m, const void *key, size_t key_len) {
    return key_counter(m, key, key_len, true);
}

uint64_t vl_mem_key_commits(vl_mem *m, const void *key, size_t key_len) {
    return key_counter(m, key, key_len, false);
}
