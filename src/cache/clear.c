/*
 * clear.c -- vl_clear: empty every shard and the upstream table at once
 * (vellir-server's FLUSHALL).
 *
 * Owns: the clear job, its messages, and each shard's clear phase.
 * Threads: vl__clear_start on any thread (vl_clear's, service/clear.c);
 * vl_truncate_done on any thread (the upstream's); the rest on shard
 * threads.
 *
 * ==== The protocol ====
 *
 *   caller ---CTL_CLEAR---> every shard           (vl_clear: vl__clear_start)
 *   shard: CLR_NONE -> CLR_QUIESCING: stop draining the mailbox, start no
 *          commit; wait until no load, no commit batch and no scan read
 *          (scan.c) is in flight; a scan read due meanwhile waits for the
 *          resume
 *   shard: CLR_QUIESCING -> CLR_QUIET: forget every write-back record (its
 *          waiters complete VL_OK), drop every entry; count down `quiet`
 *   the shard that counts down last calls ops->truncate on its instance
 *   upstream ---vl_truncate_done---> that shard (CTL_TRUNCATE_DONE)
 *   that shard ---CTL_CLEAR_RESUME---> every shard, then done(arg, status)
 *   shard: CLR_QUIET -> CLR_NONE: drain the mailbox and commit again
 *
 * Why this order: a commit in flight when the truncate runs could land
 * after it and bring its key back, and a load in flight could bring back a
 * row the truncate removed; so the truncate waits until every shard is
 * quiet. Dirty keys are dropped rather than committed: the clear supersedes
 * them. Requests reaching a mailbox meanwhile wait there and run after the
 * clear (a full mailbox answers VL_EBUSY, as always).
 *
 * One clear at a time per service (the caller's `busy` flag, which the job
 * resets when it ends); another vl_clear meanwhile answers VL_EBUSY. Every
 * message is allocated by vl__clear_start up front, so no step after it can fail
 * for lack of memory, and each shard frees the messages it receives.
 */
#include <stdlib.h>

#include "cache/internal.h"
#include "util/hash.h"

typedef struct vl_clear_job {
    vl_shard *shards;
    uint32_t nshards;
    _Atomic int *busy;      /* the caller's: reset when the clear ends */
    _Atomic uint32_t quiet; /* shards not yet quiet */
    vl_done_cb done;
    void *arg;
    vl_ctl **resume;        /* one CTL_CLEAR_RESUME per shard */
    struct vl_truncate *trunc;
} vl_clear_job;

typedef struct clear_msg {
    vl_ctl ctl;
    vl_clear_job *job;
} clear_msg;

struct vl_truncate {
    vl_ctl ctl;
    vl_shard *sh;
    vl_clear_job *job;
    vl_status status;
};

static void job_free(vl_clear_job *job, uint32_t n) {
    free(job->trunc);
    if (job->resume)
        for (uint32_t i = 0; i < n; i++) free(job->resume[i]);
    free(job->resume);
    free(job);
}

/* Allocates the job and every message it will send. */
static vl_clear_job *job_new(uint32_t n, clear_msg ***msgs) {
    vl_clear_job *job = calloc(1, sizeof *job);
    clear_msg **m = calloc(n, sizeof *m);
    if (job) {
        job->resume = calloc(n, sizeof *job->resume);
        job->trunc = calloc(1, sizeof *job->trunc);
    }
    bool ok = job && m && job->resume && job->trunc;
    for (uint32_t i = 0; ok && i < n; i++) {
        m[i] = calloc(1, sizeof **m);
        job->resume[i] = calloc(1, sizeof **job->resume);
        ok = m[i] && job->resume[i];
    }
    if (!ok) {
        for (uint32_t i = 0; m && i < n; i++) free(m[i]);
        free(m);
        if (job) job_free(job, n);
        return NULL;
    }
    job->nshards = n;
    atomic_init(&job->quiet, n);
    *msgs = m;
    return job;
}

vl_status vl__clear_start(vl_shard *shards, uint32_t n, _Atomic int *busy, vl_done_cb done,
                      void *arg) {
    clear_msg **m = NULL;
    vl_clear_job *job = job_new(n, &m);
    if (!job) {
        atomic_store(busy, 0);
        return VL_ENOMEM;
    }
    job->shards = shards;
    job->busy = busy;
    job->done = done;
    job->arg = arg;
    for (uint32_t i = 0; i < n; i++) {
        m[i]->ctl.kind = CTL_CLEAR;
        m[i]->job = job;
        vl__worker_post(&shards[i].rt, &m[i]->ctl);
    }
    free(m);
    return VL_OK;
}

void vl__clear_begin(vl_shard *sh, vl_ctl *c) {
    clear_msg *m = VL_CONTAINER_OF(c, clear_msg, ctl);
    sh->clear = m->job;
    sh->clear_phase = CLR_QUIESCING;
    free(m);
    vl__commit_pump(sh); /* stops the commit timer */
}

/* Drops every entry of the shard; no key may be LOADING. */
static void drop_everything(vl_shard *sh) {
    vl__commit_forget_all(sh, VL_OK);
    for (uint64_t i = 0; i < sh->table.cap && sh->table.count > 0;) {
        vl_entry *e = vl__table_slot(&sh->table, i);
        if (!e) {
            i++;
            continue;
        }
        /* Removal shifts later entries back, maybe into slot i: look again. */
        vl__entry_drop(sh, e, vl__hash_key(vl__entry_ckey(e), e->key_len));
    }
}

static void start_truncate(vl_shard *sh, vl_clear_job *job) {
    vl_truncate *t = job->trunc;
    t->ctl.kind = CTL_TRUNCATE_DONE;
    t->sh = sh;
    t->job = job;
    vl_status st = sh->upstream.ops->truncate(sh->up, t);
    if (st != VL_OK) vl_truncate_done(t, st); /* refused: answer on the next turn */
}

void vl__clear_step(vl_shard *sh) {
    if (sh->clear_phase != CLR_QUIESCING) return;
    if (sh->inflight_loads != 0 || sh->inflight_batches != 0 || sh->inflight_scans != 0) return;
    drop_everything(sh);
    sh->clear_gen++; /* a scan page collected before now judges by memory alone */
    sh->clear_phase = CLR_QUIET;
    vl_clear_job *job = sh->clear;
    if (atomic_fetch_sub(&job->quiet, 1) == 1) start_truncate(sh, job);
}

void vl_truncate_done(vl_truncate *req, vl_status status) {
    req->status = status;
    vl__worker_post(&req->sh->rt, &req->ctl);
}

void vl__clear_truncated(vl_shard *sh, vl_ctl *c) {
    vl_truncate *t = VL_CONTAINER_OF(c, vl_truncate, ctl);
    vl_clear_job *job = t->job;
    vl_status st = t->status;
    if (st != VL_OK)
        vl__logf(&sh->log, VL_LOG_ERROR, "clear: the upstream's truncate failed: %s",
                vl_strerror(st));
    for (uint32_t i = 0; i < job->nshards; i++) {
        job->resume[i]->kind = CTL_CLEAR_RESUME;
        vl__worker_post(&job->shards[i].rt, job->resume[i]);
        job->resume[i] = NULL; /* the shard frees it */
    }
    vl_done_cb done = job->done;
    void *arg = job->arg;
    _Atomic int *busy = job->busy;
    job_free(job, job->nshards);
    atomic_store(busy, 0);
    if (done) done(arg, st);
}

void vl__clear_resume(vl_shard *sh, vl_ctl *c) {
    free(c);
    sh->clear = NULL;
    sh->clear_phase = CLR_NONE;
    vl__commit_pump(sh);
    vl__scan_resume_parked(sh);
}
