/*
 * sync.c -- the blocking forms: each is its asynchronous call plus a wait.
 *
 * Owns: vl_*_sync and the waiter they share.
 * Threads: caller threads only; on a shard thread they refuse with VL_EINVAL
 * (the shard would wait for itself).
 *
 * The waiter is a word on the caller's stack: PENDING, then DONE once the
 * callback (on a shard thread) has stored the status. The caller checks and
 * yields briefly first, since a resident read answers in microseconds; only
 * then does it announce SLEEPING and sleep on the futex. The callback makes
 * the wake-up system call only when it replaces SLEEPING, so a caller that
 * never slept costs no system call at all.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sched.h>
#include <unistd.h>

#include "service/service.h"
#include "util/clock.h"

typedef struct vl_sync {
    _Atomic uint32_t done;
    vl_status st;
    vl_read_cb read;
    vl_write_fn write;
    void *arg;
    vl_scan_cb scan;
} vl_sync;

enum { PENDING = 0, DONE = 1, SLEEPING = 2 };
/* A few plain checks first (the answer may already be there), then yields
 * for up to SYNC_YIELD_US: yielding, not spinning, because when callers and
 * shards outnumber the cores the shard may need this very core to answer
 * (bench/bench_core, blocking reads: about 4x over a spin). Then sleep. */
#define SYNC_CHECKS 64
#define SYNC_YIELD_US 50

static void sync_wait(vl_sync *s) {
    for (int i = 0; i < SYNC_CHECKS; i++)
        if (atomic_load_explicit(&s->done, memory_order_acquire) == DONE) return;
    int64_t end = vl__mono_us() + SYNC_YIELD_US;
    do {
        sched_yield();
        if (atomic_load_explicit(&s->done, memory_order_acquire) == DONE) return;
    } while (vl__mono_us() < end);
    uint32_t expect = PENDING;
    if (!atomic_compare_exchange_strong_explicit(&s->done, &expect, SLEEPING,
                                                 memory_order_acq_rel, memory_order_acquire))
        return; /* it became DONE meanwhile */
    while (atomic_load_explicit(&s->done, memory_order_acquire) != DONE)
        syscall(SYS_futex, &s->done, FUTEX_WAIT_PRIVATE, SLEEPING, NULL, NULL, 0);
}

static void sync_signal(vl_sync *s, vl_status st) {
    s->st = st;
    uint32_t was = atomic_exchange_explicit(&s->done, DONE, memory_order_acq_rel);
    /* If the caller was not asleep, it may already have returned and its
     * stack frame (this word) be gone: touch nothing after the exchange.
     * If it was asleep, it cannot return before this wake-up. */
    if (was == SLEEPING) syscall(SYS_futex, &s->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void sync_done(void *arg, vl_status st) { sync_signal(arg, st); }

static void sync_read(void *arg, vl_status st, const vl_view *v) {
    vl_sync *s = arg;
    if (s->read) s->read(s->arg, st, v);
    sync_signal(s, st);
}

static void sync_scan(void *arg, vl_status st, const vl_scan_page *page) {
    vl_sync *s = arg;
    if (s->scan) s->scan(s->arg, st, page);
    sync_signal(s, st);
}

static vl_policy sync_write(void *arg, vl_mut *m) {
    vl_sync *s = arg;
    return s->write(s->arg, m);
}

static vl_status finish(vl_sync *s, vl_status submitted) {
    if (submitted != VL_OK) return submitted;
    sync_wait(s);
    return s->st;
}

#define SYNC_GUARD()                              \
    do {                                          \
        if (vl__worker_current()) return VL_EINVAL;   \
    } while (0)

vl_status vl_read_sync(vl_service *svc, const void *key, size_t key_len, vl_read_cb cb,
                       void *arg) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, cb, NULL, arg, NULL};
    return finish(&s, vl_read(svc, key, key_len, sync_read, &s));
}

vl_status vl_read_cached_sync(vl_service *svc, const void *key, size_t key_len,
                              vl_read_cb cb, void *arg) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, cb, NULL, arg, NULL};
    return finish(&s, vl_read_cached(svc, key, key_len, sync_read, &s));
}

vl_status vl_write_sync(vl_service *svc, const void *key, size_t key_len, vl_write_fn fn,
                        void *arg) {
    SYNC_GUARD();
    if (!fn) return VL_EINVAL;
    vl_sync s = {0, VL_OK, NULL, fn, arg, NULL};
    return finish(&s, vl_write(svc, key, key_len, sync_write, sync_done, &s));
}

vl_status vl_delete_sync(vl_service *svc, const void *key, size_t key_len, vl_policy how) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, NULL, NULL, NULL, NULL};
    return finish(&s, vl_delete(svc, key, key_len, how, sync_done, &s));
}

vl_status vl_evict_sync(vl_service *svc, const void *key, size_t key_len) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, NULL, NULL, NULL, NULL};
    return finish(&s, vl_evict(svc, key, key_len, sync_done, &s));
}

vl_status vl_flush_sync(vl_service *svc) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, NULL, NULL, NULL, NULL};
    return finish(&s, vl_flush(svc, sync_done, &s));
}

vl_status vl_expire_sync(vl_service *svc, const void *key, size_t key_len, int64_t expires_at,
                         vl_policy how) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, NULL, NULL, NULL, NULL};
    return finish(&s, vl_expire(svc, key, key_len, expires_at, how, sync_done, &s));
}

vl_status vl_scan_sync(vl_service *svc, const void *after, size_t after_len, uint32_t count,
                       vl_scan_cb cb, void *arg) {
    SYNC_GUARD();
    vl_sync s = {0, VL_OK, NULL, NULL, arg, cb};
    return finish(&s, vl_scan(svc, after, after_len, count, sync_scan, &s));
}
