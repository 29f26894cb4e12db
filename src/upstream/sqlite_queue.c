/*
 * sqlite_queue.c -- the job queue between the shards and the SQLite
 * upstream's worker threads.
 *
 * Owns: sq_queue (its ring and its lock).
 * Threads: any thread pushes (shard threads); the writer or reader threads
 * take. Everything is under the queue's mutex; a push signals only when a
 * worker sleeps, and a worker takes everything it may at once, so a busy
 * queue costs one lock per bulk take, not a wake-up per job.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "upstream/sqlite_int.h"

vl_status vl__sq_queue_init(sq_queue *q) {
    memset(q, 0, sizeof *q);
    q->cap = 64;
    q->ring = malloc(q->cap * sizeof *q->ring);
    if (!q->ring) return VL_ENOMEM;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    return VL_OK;
}

void vl__sq_queue_destroy(sq_queue *q) {
    if (!q->ring) return;
    free(q->ring);
    q->ring = NULL;
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

/* Doubles the ring, keeping the order. Under the lock. */
static bool grow(sq_queue *q) {
    uint32_t cap = q->cap * 2;
    sq_job *r = malloc(cap * sizeof *r);
    if (!r) return false;
    for (uint32_t i = 0; i < q->n; i++) r[i] = q->ring[(q->head + i) % q->cap];
    free(q->ring);
    q->ring = r;
    q->cap = cap;
    q->head = 0;
    return true;
}

vl_status vl__sq_queue_push_job(sq_queue *q, sq_job job) {
    vl_status st = VL_OK;
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap && !grow(q)) {
        st = VL_ENOMEM;
    } else {
        q->ring[(q->head + q->n) % q->cap] = job;
        q->n++;
        if (q->sleepers) pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return st;
}

vl_status vl__sq_queue_push(sq_queue *q, void *req, sq_inst *inst) {
    return vl__sq_queue_push_job(q, (sq_job){req, inst, false, false});
}

static void wait_until(sq_queue *q, int64_t deadline_us) {
    q->sleepers++;
    if (deadline_us == INT64_MAX) {
        pthread_cond_wait(&q->cv, &q->mu);
    } else {
        struct timespec ts = {deadline_us / 1000000, (long)(deadline_us % 1000000) * 1000};
        pthread_cond_timedwait(&q->cv, &q->mu, &ts);
    }
    q->sleepers--;
}

static int64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint32_t vl__sq_queue_take(sq_queue *q, sq_job *out, uint32_t max, int64_t deadline_us) {
    pthread_mutex_lock(&q->mu);
    while (q->n == 0 && !q->stop && mono_us() < deadline_us) wait_until(q, deadline_us);
    uint32_t k = q->n < max ? q->n : max;
    for (uint32_t i = 0; i < k; i++) out[i] = q->ring[(q->head + i) % q->cap];
    q->head = (q->head + k) % q->cap;
    q->n -= k;
    /* Another worker may take the rest. */
    if (q->n && q->sleepers) pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return k;
}

void vl__sq_queue_stop(sq_queue *q) {
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void vl__sq_queue_restart(sq_queue *q) {
    pthread_mutex_lock(&q->mu);
    q->stop = false;
    pthread_mutex_unlock(&q->mu);
}

bool vl__sq_queue_stopped(sq_queue *q) {
    pthread_mutex_lock(&q->mu);
    bool stop = q->stop;
    pthread_mutex_unlock(&q->mu);
    return stop;
}
