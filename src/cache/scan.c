/*
 * scan.c -- vl_scan: one page of the service's keys, the upstream's page
 * merged with what only memory knows (keys written and not committed,
 * deletes not committed).
 *
 * Owns: the scan job, its messages, the upstream's request (vl_scan_req),
 * and each shard's part of a page.
 * Threads: vl__scan_start on any thread (vl_scan's); vl_scan_req_after,
 * _count, _add and _done on the upstream's threads; the rest on shard
 * threads, each touching only its own shard and its own part of the job.
 *
 * ==== A page (docs/scan.md proves what it keeps) ====
 *
 *   caller ---CTL_SCAN_COLLECT---> every shard           (vl__scan_start)
 *   collect: the shard's dirty keys positioned after `after`, the `count`
 *          first of them, each with its verdict then: live (a value, not
 *          expired) or dead (a pending delete, or expired); `truncated` if
 *          it had more
 *   the shard that collects last issues ops->scan on its own instance
 *          (after any clear under way there: nothing is in flight while a
 *          truncate runs)
 *   upstream ---vl_scan_req_done---> that shard (CTL_SCAN_READ)
 *   read done: the window is (after, hi]: hi is the upstream's last key if
 *          it has more, else the end of the key space, and no further than
 *          the last collected key of a truncated shard; each of the page's
 *          keys in the window goes to its own shard's part
 *   ---CTL_SCAN_MERGE---> every shard: each candidate of its own (from the
 *          upstream or collected) in the window is judged once:
 *            resident and not loading: by memory, now;
 *            else, if collected: by its verdict at the collect;
 *            else (the upstream's alone): live, unless its expiry passed;
 *          and, if a clear dropped the shard's keys since its collect, by
 *          memory alone
 *   the shard that merges last sorts the live keys, keeps the first
 *          `count` (the next page starts after the last kept), and calls cb.
 *
 * Each shard holds a pin (vl_shard.scans) from vl__scan_start until its
 * last step of the page, so it does not finish while the page may still
 * post to it; its upstream read counts in inflight_scans, which a clear and
 * a shutdown wait for. Every message is allocated up front; a step that
 * runs out of memory fails the page (VL_ENOMEM) and the steps go on, so the
 * callback still runs exactly once.
 */
#include <stdlib.h>

#include "cache/internal.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/keyset.h"
#include "util/pos.h"

enum { TAG_DEAD = 0, TAG_LIVE = 1 }; /* a collected key's verdict */

typedef struct scan_part {
    vl_ctl collect, merge;       /* this shard's two messages */
    struct vl_scan_job *job;
    uint32_t shard;
    vl_keyset dirty;             /* collected: sorted, at most `count` */
    bool truncated;              /* it had more dirty keys than that */
    uint64_t clear_gen;          /* the shard's at the collect */
    vl_keyset page;              /* the upstream's keys of this shard in the window */
    vl_keyset out;               /* its live keys */
} scan_part;

struct vl_scan_req {
    vl_ctl ctl;
    vl_shard *sh;                /* the shard that issued it */
    struct vl_scan_job *job;
    vl_status status;            /* vl_scan_req_done's */
    bool more;
    vl_status add_status;        /* the first failure of vl_scan_req_add */
    vl_keyset keys;
};

typedef struct vl_scan_job {
    vl_shard *shards;
    uint32_t nshards, count;
    uint8_t *after;              /* NULL: the first page */
    size_t after_len;
    vl_scan_cb cb;
    void *arg;
    _Atomic uint32_t collecting, merging;
    _Atomic int status;          /* the first failure of a step */
    uint8_t *hi;                 /* the window's end, unless hi_end */
    size_t hi_len;
    bool hi_end;
    struct vl_scan_job *next_parked;
    struct vl_scan_req req;
    scan_part parts[];
} vl_scan_job;

static void fail(vl_scan_job *job, vl_status st) {
    int none = VL_OK;
    atomic_compare_exchange_strong(&job->status, &none, (int)st);
}

static void job_free(vl_scan_job *job) {
    for (uint32_t i = 0; i < job->nshards; i++) {
        vl__keyset_free(&job->parts[i].dirty);
        vl__keyset_free(&job->parts[i].page);
        vl__keyset_free(&job->parts[i].out);
    }
    vl__keyset_free(&job->req.keys);
    free(job->after);
    free(job->hi);
    free(job);
}

/* ---- positions ----------------------------------------------------------- */

/* The position of a key: the key itself, or the upstream's scan_position
 * (into `scratch`). VL_OK or the function's failure. */
static vl_status position(vl_shard *sh, const uint8_t *key, size_t len, vl_buf *scratch,
                          const uint8_t **pos, size_t *pos_len) {
    vl_status (*fn)(void *, const void *, size_t, vl_buf *) = sh->upstream.ops->scan_position;
    if (!fn) {
        *pos = key;
        *pos_len = len;
        return VL_OK;
    }
    static const uint8_t none[1];
    scratch->len = 0;
    vl_status st = fn(sh->upstream.ctx, key, len, scratch);
    *pos = scratch->data ? scratch->data : none;
    *pos_len = scratch->len;
    return st;
}

static bool after_start(const vl_scan_job *job, const uint8_t *pos, size_t len) {
    return !job->after || vl__pos_cmp(pos, len, job->after, job->after_len) > 0;
}

static bool in_window(const vl_scan_job *job, const vl_keyset *s, uint32_t i) {
    return job->hi_end || vl__keyset_cmp(s, i, job->hi, job->hi_len) <= 0;
}

/* ---- starting --------------------------------------------------------------- */

vl_status vl__scan_start(vl_shard *shards, uint32_t n, const void *after, size_t after_len,
                         uint32_t count, vl_scan_cb cb, void *arg) {
    vl_scan_job *job = calloc(1, sizeof *job + (size_t)n * sizeof job->parts[0]);
    if (!job) return VL_ENOMEM;
    if (after) {
        job->after = malloc(after_len ? after_len : 1);
        if (!job->after) {
            free(job);
            return VL_ENOMEM;
        }
        if (after_len) memcpy(job->after, after, after_len);
        job->after_len = after_len;
    }
    job->shards = shards;
    job->nshards = n;
    job->count = count;
    job->cb = cb;
    job->arg = arg;
    atomic_init(&job->collecting, n);
    atomic_init(&job->merging, n);
    atomic_init(&job->status, VL_OK);
    job->req.job = job;
    job->req.ctl.kind = CTL_SCAN_READ;
    for (uint32_t i = 0; i < n; i++) {
        scan_part *p = &job->parts[i];
        p->job = job;
        p->shard = i;
        p->collect.kind = CTL_SCAN_COLLECT;
        p->merge.kind = CTL_SCAN_MERGE;
        atomic_fetch_add(&shards[i].scans, 1);
    }
    for (uint32_t i = 0; i < n; i++) vl__worker_post(&shards[i].rt, &job->parts[i].collect);
    return VL_OK;
}

/* ---- collect: the shard's dirty keys ------------------------------------------ */

/* A candidate while collecting: the entry and its position (the key's own
 * bytes in the entry, or a copy the candidate owns). */
typedef struct cand {
    vl_entry *e;
    const uint8_t *pos;
    size_t len;
    bool owned;
} cand;

/* A max-heap by position of at most `cap` candidates: the `cap` smallest. */
typedef struct cand_heap {
    cand *a;
    uint32_t n, cap;
} cand_heap;

static bool cand_less(const cand *x, const cand *y) {
    return vl__pos_cmp(x->pos, x->len, y->pos, y->len) < 0;
}

static void cand_drop(cand *c) {
    if (c->owned) free((void *)c->pos);
}

static void sift_down(cand_heap *h, uint32_t i) {
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && cand_less(&h->a[m], &h->a[l])) m = l;
        if (r < h->n && cand_less(&h->a[m], &h->a[r])) m = r;
        if (m == i) return;
        cand t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
}

/* Offers a candidate; the heap keeps the `cap` smallest and drops the
 * rest (the candidate itself, or the largest kept one). */
static void heap_offer(cand_heap *h, cand c) {
    if (h->n < h->cap) {
        uint32_t i = h->n++;
        h->a[i] = c;
        while (i > 0 && cand_less(&h->a[(i - 1) / 2], &h->a[i])) {
            cand t = h->a[i];
            h->a[i] = h->a[(i - 1) / 2];
            h->a[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (!cand_less(&c, &h->a[0])) {
        cand_drop(&c);
        return;
    }
    cand_drop(&h->a[0]);
    h->a[0] = c;
    sift_down(h, 0);
}

static bool live_now(vl_shard *sh, vl_entry *e, int64_t now_ms, int64_t *exp) {
    *exp = vl__entry_expiry(sh, e);
    return (e->flags & F_PRESENT) && !(*exp && *exp <= now_ms);
}

/* Puts the heap's candidates into the part, sorted, with their verdicts. */
static vl_status keep_collected(vl_shard *sh, scan_part *p, cand_heap *h) {
    int64_t now = vl__wall_ms();
    vl_status st = VL_OK;
    for (uint32_t i = 0; i < h->n; i++) {
        vl_entry *e = h->a[i].e;
        int64_t exp;
        bool live = live_now(sh, e, now, &exp);
        bool own = !h->a[i].owned;
        if (st == VL_OK)
            st = vl__keyset_add(&p->dirty, vl__entry_ckey(e), e->key_len, own ? NULL : h->a[i].pos,
                                h->a[i].len, exp, live ? TAG_LIVE : TAG_DEAD);
        cand_drop(&h->a[i]);
    }
    vl__keyset_sort(&p->dirty);
    return st;
}

static vl_status collect_dirty(vl_shard *sh, scan_part *p) {
    vl_scan_job *job = p->job;
    cand_heap h = {NULL, 0, job->count < sh->ages.n ? job->count : sh->ages.n};
    if (h.cap && !(h.a = malloc((size_t)h.cap * sizeof *h.a))) return VL_ENOMEM;
    vl_buf scratch = {0};
    vl_status st = VL_OK;
    uint64_t after = 0; /* dirty keys positioned after `after` */
    for (uint32_t i = 0; i < sh->ages.n && st == VL_OK; i++) {
        vl_entry *e = VL_CONTAINER_OF(sh->ages.a[i], vl_dirty, age)->entry;
        cand c = {e, NULL, 0, false};
        st = position(sh, vl__entry_ckey(e), e->key_len, &scratch, &c.pos, &c.len);
        if (st != VL_OK || !after_start(job, c.pos, c.len)) continue;
        if (sh->upstream.ops->scan_position) { /* the scratch is reused: copy */
            uint8_t *copy = malloc(c.len ? c.len : 1);
            if (!copy) {
                st = VL_ENOMEM;
                continue;
            }
            memcpy(copy, c.pos, c.len);
            c.pos = copy;
            c.owned = true;
        }
        after++;
        heap_offer(&h, c);
    }
    vl_buf_free(&scratch);
    p->truncated = after > h.n;
    if (st == VL_OK) st = keep_collected(sh, p, &h);
    else
        for (uint32_t i = 0; i < h.n; i++) cand_drop(&h.a[i]);
    free(h.a);
    return st;
}

static void issue_read(vl_shard *sh, vl_scan_job *job);
static void finish_failed(vl_scan_job *job, vl_status st);

void vl__scan_collect(vl_shard *sh, vl_ctl *c) {
    scan_part *p = VL_CONTAINER_OF(c, scan_part, collect);
    vl_scan_job *job = p->job;
    p->clear_gen = sh->clear_gen;
    if (atomic_load(&job->status) == VL_OK) {
        vl_status st = collect_dirty(sh, p);
        if (st != VL_OK) fail(job, st);
    }
    if (atomic_fetch_sub(&job->collecting, 1) != 1) return;
    vl_status st = (vl_status)atomic_load(&job->status);
    if (st != VL_OK) finish_failed(job, st);
    else issue_read(sh, job);
}

/* ---- the upstream's read ------------------------------------------------------ */

static void issue_read(vl_shard *sh, vl_scan_job *job) {
    if (sh->clear_phase != CLR_NONE) { /* after the clear's truncate */
        job->next_parked = sh->scans_parked;
        sh->scans_parked = job;
        return;
    }
    job->req.sh = sh;
    sh->inflight_scans++;
    vl_status st = sh->upstream.ops->scan(sh->up, &job->req);
    if (st != VL_OK) vl_scan_req_done(&job->req, st, false); /* answered next turn */
}

void vl__scan_resume_parked(vl_shard *sh) {
    vl_scan_job *job = sh->scans_parked;
    sh->scans_parked = NULL;
    while (job) {
        vl_scan_job *next = job->next_parked;
        issue_read(sh, job);
        job = next;
    }
}

const void *vl_scan_req_after(const vl_scan_req *req, size_t *len) {
    *len = req->job->after_len;
    return req->job->after;
}

uint32_t vl_scan_req_count(const vl_scan_req *req) { return req->job->count; }

vl_status vl_scan_req_add(vl_scan_req *req, const void *key, size_t key_len,
                          int64_t expires_at) {
    vl_status st = VL_EINVAL;
    if (key_len <= VL_KEY_MAX && (key || !key_len))
        st = vl__keyset_add(&req->keys, key, key_len, NULL, 0, expires_at, 0);
    if (st != VL_OK && req->add_status == VL_OK) req->add_status = st;
    return st;
}

void vl_scan_req_done(vl_scan_req *req, vl_status status, bool more) {
    req->status = status;
    req->more = more;
    vl__worker_post(&req->sh->rt, &req->ctl);
}

/* Every shard's pin is released and the caller told of the failure. */
static void finish_failed(vl_scan_job *job, vl_status st) {
    for (uint32_t i = 0; i < job->nshards; i++) atomic_fetch_sub(&job->shards[i].scans, 1);
    job->cb(job->arg, st, NULL);
    job_free(job);
}

/* The upstream's keys with their positions, sorted, after `after`, at most
 * `count`: into `out`. */
static vl_status page_positions(vl_shard *sh, vl_scan_job *job, vl_keyset *out) {
    vl_keyset *in = &job->req.keys;
    vl_buf scratch = {0};
    vl_status st = VL_OK;
    for (uint32_t i = 0; i < in->n && st == VL_OK; i++) {
        const uint8_t *pos;
        size_t len;
        st = position(sh, vl__keyset_key(in, i), in->it[i].key_len, &scratch, &pos, &len);
        if (st != VL_OK || !after_start(job, pos, len)) continue;
        bool own = !sh->upstream.ops->scan_position;
        st = vl__keyset_add(out, vl__keyset_key(in, i), in->it[i].key_len, own ? NULL : pos, len,
                            in->it[i].expires_at, 0);
    }
    vl_buf_free(&scratch);
    vl__keyset_sort(out); /* the contract says sorted; a wrong order costs nothing here */
    vl__keyset_truncate(out, job->count);
    return st;
}

static vl_status set_hi(vl_scan_job *job, const uint8_t *pos, size_t len) {
    if (!job->hi_end && vl__pos_cmp(pos, len, job->hi, job->hi_len) >= 0) return VL_OK;
    uint8_t *hi = malloc(len ? len : 1);
    if (!hi) return VL_ENOMEM;
    if (len) memcpy(hi, pos, len);
    free(job->hi);
    job->hi = hi;
    job->hi_len = len;
    job->hi_end = false;
    return VL_OK;
}

/* The window's end, and each page key in it handed to its shard's part. */
static vl_status window(vl_scan_job *job, vl_keyset *page) {
    vl_status st = VL_OK;
    job->hi_end = true;
    if (job->req.more) {
        if (page->n == 0) return VL_EUPSTREAM; /* "more" with nothing: no progress */
        st = set_hi(job, vl__keyset_pos(page, page->n - 1), page->it[page->n - 1].pos_len);
    }
    for (uint32_t i = 0; i < job->nshards && st == VL_OK; i++) {
        scan_part *p = &job->parts[i];
        if (p->truncated && p->dirty.n)
            st = set_hi(job, vl__keyset_pos(&p->dirty, p->dirty.n - 1),
                        p->dirty.it[p->dirty.n - 1].pos_len);
    }
    for (uint32_t i = 0; i < page->n && st == VL_OK && in_window(job, page, i); i++) {
        const uint8_t *k = vl__keyset_key(page, i);
        uint32_t s = vl__shard_index(vl__hash_key(k, page->it[i].key_len), job->nshards);
        st = vl__keyset_add_item(&job->parts[s].page, page, i);
    }
    return st;
}

void vl__scan_read_done(vl_shard *sh, vl_ctl *c) {
    vl_scan_req *req = VL_CONTAINER_OF(c, vl_scan_req, ctl);
    vl_scan_job *job = req->job;
    sh->inflight_scans--;
    vl_status st = req->status != VL_OK ? req->status : req->add_status;
    vl_keyset page = {0};
    if (st == VL_OK) st = page_positions(sh, job, &page);
    if (st == VL_OK) st = window(job, &page);
    vl__keyset_free(&page);
    vl__keyset_free(&req->keys);
    if (st != VL_OK) {
        if (st == VL_EUPSTREAM)
            vl__logf(&sh->log, VL_LOG_ERROR, "upstream %s: a scan page said \"more\" but held no key",
                     sh->upstream.ops->name);
        finish_failed(job, st);
        return;
    }
    for (uint32_t i = 0; i < job->nshards; i++)
        vl__worker_post(&job->shards[i].rt, &job->parts[i].merge);
}

/* ---- merge: each shard's verdicts ------------------------------------------ */

/* Is the key live? `collected`: -1 not collected, else its verdict then;
 * `exp`: its expiry as collected or as the upstream read it. */
static bool judge(vl_shard *sh, const uint8_t *key, uint32_t len, bool cleared, int collected,
                  int64_t exp, int64_t now) {
    vl_entry *e = vl__table_find(&sh->table, vl__hash_key(key, len), key, len);
    int64_t e_exp;
    if (e && e->state != ST_LOADING) return live_now(sh, e, now, &e_exp);
    if (cleared || collected == TAG_DEAD) return false;
    return !(exp && exp <= now);
}

/* Walks the part's two sorted lists (collected, upstream) together over the
 * window; each key is judged once. */
static vl_status merge_part(vl_shard *sh, scan_part *p) {
    vl_scan_job *job = p->job;
    bool cleared = p->clear_gen != sh->clear_gen;
    int64_t now = vl__wall_ms();
    vl_keyset *d = &p->dirty, *u = &p->page;
    uint32_t i = 0, j = 0;
    vl_status st = VL_OK;
    while (st == VL_OK) {
        bool di = i < d->n && in_window(job, d, i), uj = j < u->n;
        if (!di && !uj) break;
        int c = !di ? 1 : !uj ? -1 : vl__pos_cmp(vl__keyset_pos(d, i), d->it[i].pos_len,
                                                 vl__keyset_pos(u, j), u->it[j].pos_len);
        vl_keyset *s = c <= 0 ? d : u;
        uint32_t k = c <= 0 ? i : j;
        int collected = c <= 0 ? (int)d->it[i].tag : -1;
        if (judge(sh, vl__keyset_key(s, k), s->it[k].key_len, cleared, collected,
                  s->it[k].expires_at, now))
            st = vl__keyset_add_item(&p->out, s, k);
        if (c <= 0) i++;
        if (c >= 0) j++;
    }
    return st;
}

/* The last shard to merge: the page, in order, at most `count` keys. */
static void assemble(vl_scan_job *job) {
    vl_keyset all = {0};
    vl_status st = (vl_status)atomic_load(&job->status);
    for (uint32_t s = 0; s < job->nshards && st == VL_OK; s++)
        for (uint32_t i = 0; i < job->parts[s].out.n && st == VL_OK; i++)
            st = vl__keyset_add_item(&all, &job->parts[s].out, i);
    vl_scan_key *keys = NULL;
    if (st == VL_OK && all.n && !(keys = malloc((size_t)all.n * sizeof *keys))) st = VL_ENOMEM;
    if (st != VL_OK) {
        job->cb(job->arg, st, NULL);
        free(keys);
        vl__keyset_free(&all);
        return;
    }
    vl__keyset_sort(&all);
    vl_scan_page page = {keys, all.n, job->hi, job->hi_len, job->hi_end};
    if (all.n > job->count) { /* the next page starts after the last one kept */
        page.count = job->count;
        page.next = vl__keyset_pos(&all, job->count - 1);
        page.next_len = all.it[job->count - 1].pos_len;
        page.end = false;
    }
    for (uint32_t i = 0; i < page.count; i++)
        keys[i] = (vl_scan_key){vl__keyset_key(&all, i), all.it[i].key_len};
    job->cb(job->arg, VL_OK, &page);
    free(keys);
    vl__keyset_free(&all);
}

void vl__scan_merge(vl_shard *sh, vl_ctl *c) {
    scan_part *p = VL_CONTAINER_OF(c, scan_part, merge);
    vl_scan_job *job = p->job;
    if (atomic_load(&job->status) == VL_OK) {
        vl_status st = merge_part(sh, p);
        if (st != VL_OK) fail(job, st);
    }
    if (atomic_fetch_sub(&job->merging, 1) != 1) {
        atomic_fetch_sub(&sh->scans, 1); /* nothing more comes here */
        return;
    }
    assemble(job);
    job_free(job);
    atomic_fetch_sub(&sh->scans, 1);
}
