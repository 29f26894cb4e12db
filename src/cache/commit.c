/*
 * commit.c -- write-back: when a dirty key is committed, how commits batch,
 * what an ack or a failure does, and flush.
 *
 * Owns: vl_dirty records, the deadline heap, the age heap, commit batches in
 * flight, waiters on commits (IMMEDIATE writers, evictions, flushes).
 * Threads: the shard thread, except vl_batch_done (any thread).
 *
 * ==== Deadlines ====
 *
 * A write marks its key dirty with a deadline: now for IMMEDIATE, now + ms
 * for WITHIN(ms). A key already dirty keeps the earlier of its deadline and
 * the new one, so writes coalesce and the earliest deadline wins. The
 * deadline heap orders DIRTY keys; whenever its minimum is due and fewer
 * than commit_inflight batches are in flight, a batch starts with up to
 * batch_max due keys. A timer on the shard's loop wakes it for the next
 * deadline. Nothing is committed early, unless the service asks for it: a
 * key is never sent before its own deadline, so a WITHIN(50) key written
 * constantly is committed about once per 50 ms. With commit_gather_ms = G,
 * a batch that starts (because a key is due) also takes the keys due within
 * the next G ms: an SQLite transaction then rewrites each page once for many
 * keys, at the price of committing some keys up to G ms early (and so of a
 * little coalescing).
 *
 * ==== A commit ====
 *
 * Building a batch takes each key's snapshot: the value is encoded (the type's
 * encode) into the batch's own buffer, so the live value can go on changing.
 * The key turns COMMITTING, and the waiters of its pending writes move to its
 * in-flight list: the snapshot contains their writes. A write that arrives
 * during the commit sets has_new and joins the pending list. The ack then
 * fires the in-flight waiters and the key goes back to DIRTY (has_new) or to
 * CLEAN. One key is in at most one batch at a time.
 *
 * ==== Failure ====
 *
 * A failed key goes back to DIRTY with a backoff deadline: base * 2^(n-1),
 * capped, of which half is random (jitter), so a recovering upstream is not
 * hit by every shard at once. It stays dirty whatever the error: nothing
 * acknowledged is dropped. Each in-flight waiter counts the failure: after
 * retry.immediate_attempts failures it is answered VL_EPENDING; on an error
 * that is not retryable it is answered with that error at once.
 *
 * ==== Local journal (future) ====
 *
 * A write's durability is decided in one place, vl__commit_mark: that is where a
 * local journal would append the write and complete WITHIN writers only once
 * the journal is synced, before the upstream ever sees it.
 */
#include <stdlib.h>

#include "cache/internal.h"
#include "util/clock.h"

static vl_dirty *dirty_of(vl_shard *sh, vl_entry *e) { return vl__ptrmap_get_ptr(&sh->recs, e); }

static void commit_publish_age(vl_shard *sh) {
    vl_hnode *oldest = vl__heap_min(&sh->ages);
    STAT_SET(sh, oldest_dirty_since, oldest ? (uint64_t)oldest->key + 1 : 0);
    STAT_SET(sh, dirty_keys, sh->ages.n);
}

static void push_waiter(vl_waiter **list, vl_waiter *w) {
    w->next = *list;
    *list = w;
}

/* ---- marking ----------------------------------------------------------- */

vl_status vl__commit_reserve(vl_shard *sh) {
    if (!sh->spare) sh->spare = malloc(sizeof *sh->spare);
    if (!sh->spare) return VL_ENOMEM;
    /* Room for one more record everywhere a record goes, so that once a
     * write has run, marking it dirty cannot fail. The deadline heap gets
     * room for every record: any of them may come back to it on an ack. */
    if (vl__ptrmap_reserve(&sh->recs, 1) != VL_OK) return VL_ENOMEM;
    if (vl__heap_reserve(&sh->due, sh->ages.n + 1) != VL_OK) return VL_ENOMEM;
    return vl__heap_reserve(&sh->ages, sh->ages.n + 1);
}

static vl_dirty *dirty_new(vl_shard *sh, vl_entry *e, uint64_t hash) {
    vl_dirty *rec = sh->spare; /* vl__commit_reserve made sure of it */
    sh->spare = NULL;
    memset(rec, 0, sizeof *rec);
    rec->entry = e;
    rec->hash = hash;
    rec->due.idx = rec->age.idx = VL_HEAP_NONE;
    rec->next_due = INT64_MAX;
    (void)vl__ptrmap_put(&sh->recs, e, (uint64_t)(uintptr_t)rec);
    (void)vl__heap_push(&sh->ages, &rec->age, sh->now_us);
    commit_publish_age(sh);
    return rec;
}

static void dirty_free(vl_shard *sh, vl_dirty *rec) {
    vl__heap_remove(&sh->ages, &rec->age);
    vl__ptrmap_del(&sh->recs, rec->entry);
    free(rec);
    commit_publish_age(sh); /* before any completion fires: stats never lag them */
}

static vl_policy resolve_policy(const vl_shard *sh, vl_policy p) {
    if (p.kind == VL_COMMIT_DEFAULT || p.kind == VL_COMMIT_NOOP) {
        vl_policy d = sh->opts.default_policy;
        d.del = p.del;
        return d;
    }
    return p;
}

/* A fresh clock reading, in µs: a deadline computed from a stale one would
 * shorten the window, and a key could be committed twice inside it. */
static int64_t deadline_of(vl_shard *sh, vl_policy p) {
    sh->now_us = vl__mono_us();
    if (sh->phase >= PH_FLUSHING || p.kind == VL_COMMIT_IMMEDIATE) return sh->now_us;
    return sh->now_us + (int64_t)p.ms * 1000;
}

void vl__commit_mark(vl_shard *sh, vl_entry *e, uint64_t hash, vl_policy p, const vl_req *r) {
    p = resolve_policy(sh, p);
    int64_t due = deadline_of(sh, p);
    vl_dirty *rec;
    if (e->state == ST_CLEAN) {
        rec = dirty_new(sh, e, hash);
        vl__entry_set_state(e, ST_DIRTY);
        (void)vl__heap_push(&sh->due, &rec->due, due);
    } else if (e->state == ST_DIRTY) {
        rec = dirty_of(sh, e);
        STAT_INC(sh, writes_coalesced);
        if (due < rec->due.key) vl__heap_update(&sh->due, &rec->due, due);
    } else { /* ST_COMMITTING */
        rec = dirty_of(sh, e);
        if (rec->has_new) STAT_INC(sh, writes_coalesced);
        else rec->new_since = sh->now_us;
        rec->has_new = 1;
        if (due < rec->next_due) rec->next_due = due;
    }
    rec->last_write_us = vl__wall_us();
    if (!r || !r->done) return;
    if (p.kind != VL_COMMIT_IMMEDIATE) {
        r->done(r->arg, VL_OK);
        return;
    }
    vl_waiter *w = vl__waiter_new(r, NULL);
    if (!w) r->done(r->arg, VL_ENOMEM); /* the write itself stays dirty */
    else push_waiter(&rec->pending, w);
}

/* Attaches a waiter for "this key's latest state is committed", due now. */
static void attach_now(vl_shard *sh, vl_dirty *rec, vl_waiter *w) {
    if (rec->entry->state == ST_DIRTY) {
        push_waiter(&rec->pending, w);
        if (rec->due.key > sh->now_us) vl__heap_update(&sh->due, &rec->due, sh->now_us);
    } else if (rec->has_new) {
        push_waiter(&rec->pending, w);
        rec->next_due = sh->now_us;
    } else {
        push_waiter(&rec->inflight, w);
    }
}

void vl__commit_evict(vl_shard *sh, vl_entry *e, const vl_req *r) {
    vl_dirty *rec = dirty_of(sh, e);
    vl_waiter *w = vl__waiter_new(r, NULL);
    if (!w) {
        if (r->done) r->done(r->arg, VL_ENOMEM);
        return;
    }
    rec->evict_after = 1;
    attach_now(sh, rec, w);
}

/* ---- batches ----------------------------------------------------------- */

/* Encodes the key's value into the batch and moves the key to COMMITTING.
 * On failure (VL_EENCODE, VL_ETOOBIG, VL_ENOMEM) the batch is unchanged. */
static vl_status take_snapshot(vl_shard *sh, vl_dirty *rec, vl_batch_job *job, size_t *off) {
    vl_entry *e = rec->entry;
    vl_commit_item *it = &job->pub.items[job->pub.count];
    *off = SIZE_MAX;
    if (e->flags & F_PRESENT) {
        size_t start = job->bytes.len;
        vl_status st = sh->type.encode(sh->type.ctx, vl__entry_value(e), &job->bytes);
        if (st == VL_OK && job->bytes.len - start > sh->opts.value_max) st = VL_ETOOBIG;
        if (st != VL_OK) {
            char k[96];
            vl__logf(&sh->log, VL_LOG_ERROR, "key '%s': cannot commit: %s",
                    vl_key_repr(vl__entry_key(e), e->key_len, k, sizeof k), vl_strerror(st));
            job->bytes.len = start;
            return st;
        }
        *off = start;
        it->value_len = job->bytes.len - start;
    }
    it->key = vl__entry_key(e);
    it->key_len = e->key_len;
    it->expires_at = vl__entry_expiry(sh, e);
    it->write_time_us = rec->last_write_us;
    it->status = VL_OK;
    job->recs[job->pub.count++] = rec;
    vl__entry_set_state(e, ST_COMMITTING);
    rec->inflight = rec->pending;
    rec->pending = NULL;
    rec->has_new = 0;
    rec->next_due = INT64_MAX;
    return VL_OK;
}

static void key_failed(vl_shard *sh, vl_dirty *rec, vl_status st);
static void give_up_key(vl_shard *sh, vl_dirty *rec);
static void settle_step(vl_shard *sh);

/* A batch with room for `cap` keys (it grows, up to batch_max, as keys are
 * taken: what is due is not known in advance, and allocating batch_max
 * items for every small batch would cost more than the commit). */
static vl_batch_job *batch_new(uint32_t cap) {
    vl_batch_job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->pub.items = malloc(cap * sizeof *job->pub.items);
    job->recs = malloc(cap * sizeof *job->recs);
    job->offs = malloc(cap * sizeof *job->offs);
    job->cap = cap;
    if (!job->pub.items || !job->recs || !job->offs) {
        free(job->pub.items);
        free(job->recs);
        free(job->offs);
        free(job);
        return NULL;
    }
    return job;
}

/* Makes room for one more key; false if out of memory (the batch then
 * goes out with what it has). */
static bool batch_room(vl_batch_job *job, uint32_t max) {
    if (job->pub.count < job->cap) return true;
    if (job->cap >= max) return false;
    uint32_t cap = job->cap * 2 < max ? job->cap * 2 : max;
    vl_commit_item *items = realloc(job->pub.items, cap * sizeof *items);
    if (items) job->pub.items = items;
    vl_dirty **recs = realloc(job->recs, cap * sizeof *recs);
    if (recs) job->recs = recs;
    size_t *offs = realloc(job->offs, cap * sizeof *offs);
    if (offs) job->offs = offs;
    if (!items || !recs || !offs) return false;
    job->cap = cap;
    return true;
}

static void batch_free(vl_batch_job *job) {
    free(job->pub.items);
    free(job->recs);
    free(job->offs);
    vl_buf_free(&job->bytes);
    free(job);
}

/* Keys due by this time go into the batch that starts now. */
static int64_t gather_until(const vl_shard *sh) {
    if (sh->phase >= PH_FLUSHING) return sh->now_us;
    return sh->now_us + (int64_t)sh->opts.commit_gather_ms * 1000;
}

/* A batch is built over several shard turns, at most VL_COMMIT_SNAPSHOT_STEP
 * keys per turn (taking a key out of the deadline heap and encoding its
 * value costs about a microsecond: 65,536 keys at once stalled every
 * client of the shard for tens of milliseconds). While it is built the
 * batch counts as in flight and its keys are COMMITTING: a write to one of
 * them waits for the next batch, as with any commit in flight. A batch that
 * has started is always finished and sent, even by a clear or past the
 * close deadline (both wait for commits in flight). */
static void batch_send(vl_shard *sh) {
    vl_batch_job *job = sh->building;
    sh->building = NULL;
    /* A value may encode to no bytes: it must still not look like a delete,
     * even when the batch's buffer was never allocated. */
    static const uint8_t no_bytes[1];
    const uint8_t *base = job->bytes.data ? job->bytes.data : no_bytes;
    for (uint32_t i = 0; i < job->pub.count; i++)
        job->pub.items[i].value = job->offs[i] == SIZE_MAX ? NULL : base + job->offs[i];
    if (job->pub.count == 0) {
        batch_free(job);
        sh->inflight_batches--;
        STAT_SET(sh, inflight_commits, sh->inflight_batches);
        return;
    }
    vl_status st = sh->upstream.ops->commit(sh->up, &job->pub);
    if (st != VL_OK) {
        /* Refused at once: complete it on the next turn, like any answer,
         * rather than re-entering the pump from inside it. */
        job->status = st;
        vl__worker_post(&sh->rt, &job->ctl);
    }
}

/* Takes the next step of keys into the batch being built; sends it when
 * no key due by its gather time is left, or it is full. */
static void batch_fill(vl_shard *sh) {
    vl_batch_job *job = sh->building;
    uint32_t max = sh->opts.batch_max;
    vl_hnode *h;
    for (uint32_t step = 0; step < VL_COMMIT_SNAPSHOT_STEP; step++) {
        if (!(h = vl__heap_min(&sh->due)) || h->key > job->until || !batch_room(job, max)) {
            batch_send(sh);
            return;
        }
        vl_dirty *rec = VL_CONTAINER_OF(h, vl_dirty, due);
        vl__heap_remove(&sh->due, h);
        vl_status st = take_snapshot(sh, rec, job, &job->offs[job->pub.count]);
        if (st != VL_OK) { /* this attempt failed for its waiters too */
            rec->inflight = rec->pending;
            rec->pending = NULL;
            key_failed(sh, rec, st);
        }
    }
}

static void batch_start(vl_shard *sh) {
    uint32_t n = sh->due.n < sh->opts.batch_max ? sh->due.n : sh->opts.batch_max;
    vl_batch_job *job = batch_new(n < VL_BATCH_START_CAP ? n : VL_BATCH_START_CAP);
    if (!job) {
        /* Out of memory: try again at the next tick rather than spin. */
        vl_hnode *h = vl__heap_min(&sh->due);
        vl__heap_update(&sh->due, h, sh->now_us + 1000);
        return;
    }
    job->sh = sh;
    job->ctl.kind = CTL_BATCH_DONE;
    job->until = gather_until(sh);
    sh->building = job;
    sh->inflight_batches++;
    STAT_SET(sh, inflight_commits, sh->inflight_batches);
    batch_fill(sh);
}

/* Past the close deadline nothing new starts, and no timer is armed for a
 * due key: what is in flight finishes, and vl__commit_give_up (every shard turn
 * in FLUSHING) takes every key that is still, or again, due. Without this,
 * a key failing for good was re-sent the moment it failed (its retry delay
 * is capped at the deadline, which has passed), so vl__commit_give_up never
 * found it waiting in the deadline heap and close never ended. */
static bool past_close_deadline(const vl_shard *sh) {
    return sh->phase >= PH_FLUSHING && sh->now_us >= sh->close_deadline_us;
}

static void arm_timer(vl_shard *sh) {
    vl_hnode *h = vl__heap_min(&sh->due);
    int64_t at = (h && sh->inflight_batches < sh->opts.commit_inflight &&
                  !past_close_deadline(sh)) ? h->key : INT64_MAX;
    if (at == sh->commit_timer_at) return;
    sh->commit_timer_at = at;
    if (at == INT64_MAX) {
        uv_timer_stop(&sh->commit_timer);
        return;
    }
    uv_update_time(&sh->rt.loop);
    int64_t delay_us = at - vl__mono_us();
    uint64_t delay_ms = delay_us > 0 ? (uint64_t)(delay_us + 999) / 1000 : 0; /* never early */
    uv_timer_start(&sh->commit_timer, vl__commit_timer_cb, delay_ms, 0);
}

/* The commit timer (armed by arm_timer for the next deadline). */
void vl__commit_timer_cb(uv_timer_t *t) {
    vl_shard *sh = t->data;
    sh->commit_timer_at = INT64_MAX;
    vl__commit_pump(sh);
}

bool vl__commit_due_now(vl_shard *sh) {
    vl_hnode *h = vl__heap_min(&sh->due);
    return sh->building || sh->settling ||
           (sh->clear_phase == CLR_NONE && !past_close_deadline(sh) &&
            sh->inflight_batches < sh->opts.commit_inflight && h && h->key <= sh->now_us);
}

/* Settles a step of an answered batch, continues the batch being built,
 * or starts one if a key is due (one step of each per call: the shard loop calls again on its next turn while
 * vl__commit_due_now says so, so snapshots interleave with requests). */
void vl__commit_pump(vl_shard *sh) {
    vl_hnode *h;
    sh->now_us = vl__mono_us();
    if (sh->settling) settle_step(sh);
    if (sh->building) batch_fill(sh);
    if (sh->clear_phase != CLR_NONE) { /* no commit may start during a clear */
        uv_timer_stop(&sh->commit_timer);
        sh->commit_timer_at = INT64_MAX;
        return;
    }
    if (!sh->building && !past_close_deadline(sh) &&
        sh->inflight_batches < sh->opts.commit_inflight &&
        (h = vl__heap_min(&sh->due)) && h->key <= sh->now_us)
        batch_start(sh);
    arm_timer(sh);
}

void vl_batch_done(vl_batch *b, vl_status status) {
    vl_batch_job *job = VL_CONTAINER_OF(b, vl_batch_job, pub);
    job->status = status;
    vl__worker_post(&job->sh->rt, &job->ctl);
}

/* ---- acks and failures -------------------------------------------------- */

static void key_acked(vl_shard *sh, vl_dirty *rec) {
    vl_entry *e = rec->entry;
    vl_waiter *done = rec->inflight;
    rec->inflight = NULL;
    rec->attempts = 0;
    if (rec->has_new) {
        /* Written during the commit: dirty again, since its first new write.
         * An eviction waits for the key to be clean, so it stays pending. */
        for (vl_waiter **p = &done; *p;) {
            vl_waiter *w = *p;
            if (w->req.op == MSG_EVICT && !w->join) {
                *p = w->next;
                push_waiter(&rec->pending, w);
            } else {
                p = &w->next;
            }
        }
        vl__entry_set_state(e, ST_DIRTY);
        (void)vl__heap_push(&sh->due, &rec->due, rec->next_due);
        vl__heap_update(&sh->ages, &rec->age, rec->new_since);
        commit_publish_age(sh);
        rec->has_new = 0;
        rec->next_due = INT64_MAX;
    } else {
        bool evict = rec->evict_after;
        uint64_t hash = rec->hash;
        vl__entry_set_state(e, ST_CLEAN);
        dirty_free(sh, rec);
        if (evict) vl__entry_drop(sh, e, hash);
    }
    vl__waiter_fire_all(done, VL_OK);
}

/* The delay before retry number `attempts`, in µs. */
static int64_t backoff_us(vl_shard *sh, uint32_t attempts) {
    const vl_retry_policy *rp = &sh->opts.retry;
    uint64_t d = rp->base_ms;
    for (uint32_t i = 1; i < attempts && d < rp->cap_ms; i++) d *= 2;
    if (d > rp->cap_ms) d = rp->cap_ms;
    d *= 1000;
    return (int64_t)(d / 2 + vl__rng_below(&sh->rng, d / 2 + 1));
}

/* The in-flight waiters of a failed commit: answered, or kept for the retry. */
static void settle_waiters(vl_shard *sh, vl_dirty *rec, vl_status st) {
    uint32_t budget = sh->opts.retry.immediate_attempts;
    vl_waiter *w = rec->inflight;
    rec->inflight = NULL;
    while (w) {
        vl_waiter *next = w->next;
        w->attempts++;
        if (!vl_status_retryable(st)) {
            vl__waiter_fire(w, st);
        } else if (w->attempts >= budget) {
            STAT_INC(sh, pending_replies);
            vl__waiter_fire(w, VL_EPENDING);
        } else {
            push_waiter(&rec->pending, w);
        }
        w = next;
    }
}

static void key_failed(vl_shard *sh, vl_dirty *rec, vl_status st) {
    rec->attempts++;
    sh->last_error = st;
    STAT_INC(sh, commits_failed);
    STAT_INC(sh, retries);
    int64_t due = sh->now_us + backoff_us(sh, rec->attempts);
    /* A commit that failed; or a snapshot that failed, whose key never left DIRTY. */
    if (rec->entry->state == ST_COMMITTING) vl__entry_set_state(rec->entry, ST_DIRTY);
    rec->has_new = 0;
    rec->next_due = INT64_MAX;
    settle_waiters(sh, rec, st);
    if (sh->phase >= PH_FLUSHING && sh->now_us >= sh->close_deadline_us) {
        give_up_key(sh, rec); /* closing, and out of time */
        return;
    }
    if (sh->phase >= PH_FLUSHING && due > sh->close_deadline_us) due = sh->close_deadline_us;
    (void)vl__heap_push(&sh->due, &rec->due, due);
}

static void log_failure(vl_shard *sh, uint32_t failed, uint32_t count, vl_status st) {
    static _Thread_local int64_t last_log_us;
    if (sh->now_us - last_log_us < 1000000 && last_log_us != 0) return;
    last_log_us = sh->now_us;
    vl__logf(&sh->log, VL_LOG_WARN, "shard %u: commit of %u of %u keys failed: %s (%s); retrying",
            sh->index, failed, count, vl_strerror(st), vl_status_name(st));
}

/* Settles the oldest answered batch's next VL_COMMIT_SNAPSHOT_STEP keys
 * (each key's record is freed or made dirty again: about a third of a
 * microsecond, so a batch of 60,000 keys settled at once stalled the shard
 * for 20 ms). The batch stays in flight until its last key is settled. */
static void settle_step(vl_shard *sh) {
    vl_batch_job *job = sh->settling;
    uint32_t end = job->settled + VL_COMMIT_SNAPSHOT_STEP;
    if (end > job->pub.count) end = job->pub.count;
    for (uint32_t i = job->settled; i < end; i++) {
        vl_status st = job->status != VL_OK ? job->status : job->pub.items[i].status;
        if (st == VL_OK) {
            key_acked(sh, job->recs[i]);
        } else {
            key_failed(sh, job->recs[i], st);
            job->failed++;
            job->last_error = st;
        }
    }
    job->settled = end;
    commit_publish_age(sh);
    if (end < job->pub.count) return;
    sh->settling = job->next_settle;
    if (!sh->settling) sh->settling_tail = NULL;
    sh->inflight_batches--;
    STAT_SET(sh, inflight_commits, sh->inflight_batches);
    if (job->failed < job->pub.count) {
        STAT_INC(sh, commits);
        STAT_ADD(sh, commit_keys, job->pub.count - job->failed);
    }
    if (job->failed) log_failure(sh, job->failed, job->pub.count, job->last_error);
    batch_free(job);
}

void vl__commit_completed(vl_shard *sh, vl_batch_job *job) {
    job->next_settle = NULL;
    if (sh->settling_tail) sh->settling_tail->next_settle = job;
    else sh->settling = job;
    sh->settling_tail = job;
    vl__commit_pump(sh);
}

/* ---- flush, shutdown ------------------------------------------------------ */

void vl__commit_flush(vl_shard *sh, vl_join *join) {
    int64_t n = 0;
    vl_status st = VL_OK;
    atomic_fetch_add(&join->remaining, (int64_t)sh->ages.n);
    for (uint32_t i = 0; i < sh->ages.n; i++) {
        vl_dirty *rec = VL_CONTAINER_OF(sh->ages.a[i], vl_dirty, age);
        vl_waiter *w = vl__waiter_new(NULL, join);
        if (!w) {
            st = VL_ENOMEM;
            continue;
        }
        attach_now(sh, rec, w);
        n++;
    }
    /* Parts that could not be attached are answered now, then the guard. */
    for (int64_t i = n; i < (int64_t)sh->ages.n; i++) vl__join_part_done(join, st);
    vl__join_part_done(join, VL_OK);
    vl__commit_pump(sh);
}

void vl__commit_all_due(vl_shard *sh) {
    for (uint32_t i = 0; i < sh->ages.n; i++) {
        vl_dirty *rec = VL_CONTAINER_OF(sh->ages.a[i], vl_dirty, age);
        if (rec->entry->state == ST_DIRTY) vl__heap_update(&sh->due, &rec->due, sh->now_us);
        else if (rec->has_new) rec->next_due = sh->now_us;
    }
    vl__commit_pump(sh);
}

/* Hands a key that cannot be committed to on_uncommitted, and forgets it. */
static void give_up_key(vl_shard *sh, vl_dirty *rec) {
    vl_entry *e = rec->entry;
    if (sh->opts.on_uncommitted) {
        vl_buf b = {0};
        bool present = e->flags & F_PRESENT;
        vl_status st = present ? sh->type.encode(sh->type.ctx, vl__entry_value(e), &b) : VL_OK;
        if (st == VL_OK)
            sh->opts.on_uncommitted(sh->opts.on_uncommitted_arg, vl__entry_key(e), e->key_len,
                                     present ? b.data : NULL, present ? b.len : 0);
        vl_buf_free(&b);
    }
    sh->uncommitted++;
    if (vl__heap_in(&rec->due)) vl__heap_remove(&sh->due, &rec->due);
    vl_waiter *w = rec->pending;
    rec->pending = NULL;
    vl__entry_set_state(e, ST_CLEAN); /* given up: on_uncommitted has the value */
    dirty_free(sh, rec);
    vl__waiter_fire_all(w, VL_EUNCOMMITTED);
}

void vl__commit_give_up(vl_shard *sh) {
    uint32_t n = 0;
    vl_dirty **doomed = malloc((size_t)sh->due.n * sizeof *doomed + 1);
    if (!doomed) return; /* try again next turn */
    for (uint32_t i = 0; i < sh->due.n; i++)
        doomed[n++] = VL_CONTAINER_OF(sh->due.a[i], vl_dirty, due);
    for (uint32_t i = 0; i < n; i++) give_up_key(sh, doomed[i]);
    free(doomed);
    commit_publish_age(sh);
}

bool vl__commit_idle(const vl_shard *sh) {
    return sh->ages.n == 0 && sh->inflight_batches == 0;
}

/* ---- clear --------------------------------------------------------------- */

/* Forgets every write-back record (vl_clear drops the keys themselves). No
 * batch may be in flight. Waiters complete with `st`. */
void vl__commit_forget_all(vl_shard *sh, vl_status st) {
    while (sh->ages.n > 0) {
        vl_dirty *rec = VL_CONTAINER_OF(sh->ages.a[0], vl_dirty, age);
        vl_waiter *w = rec->pending;
        rec->pending = NULL;
        if (vl__heap_in(&rec->due)) vl__heap_remove(&sh->due, &rec->due);
        vl__entry_set_state(rec->entry, ST_CLEAN); /* superseded by the clear */
        dirty_free(sh, rec);
        vl__waiter_fire_all(w, st);
    }
}
