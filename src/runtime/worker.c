/*
 * worker.c -- a worker's thread, and how other threads wake it and post to
 * it (worker.h).
 *
 * Owns: the wake-up and finishing protocols. Threads: as worker.h says.
 *
 * ==== Sleeping and waking ====
 *
 * To sleep, the worker sets `sleeping`, looks once more for work, and only
 * then blocks in uv_run(UV_RUN_ONCE). A producer publishes its message first
 * and reads `sleeping` second, and wakes the worker (uv_async_send) only if
 * it is set. Both sides use sequentially consistent operations, so at least
 * one of them sees the other: either the worker finds the message, or the
 * producer finds the flag. No message waits for a worker that is asleep, and
 * a busy worker costs its producers no system call.
 *
 * ==== Finishing ====
 *
 * A message may be posted at any time, even after the worker finished (an
 * upstream's completion, a vl_post task). The poster announces itself
 * (`posting`) and then looks at `finished`; the worker sets `finished` and
 * then waits for `posting` to drain, and takes what was posted meanwhile.
 * Sequentially consistent on both sides: a task is either refused or run,
 * never stranded, and no wake-up touches a worker that has been freed.
 */
#include <sched.h>

#include "runtime/worker.h"

static _Thread_local vl_worker *current;

vl_worker *vl__worker_current(void) { return current; }

vl_status vl__worker_init(vl_worker *w, uint32_t mailbox, uint32_t index, const void *owner) {
    w->index = index;
    w->owner = owner;
    vl__ctlq_init(&w->ctl);
    return vl__mailbox_init(&w->mb, mailbox);
}

void vl__worker_fini(vl_worker *w) {
    vl__ctlq_destroy(&w->ctl);
    vl__mailbox_free(&w->mb);
}

static void *trampoline(void *p) {
    vl_worker *w = p;
    current = w;
    w->main(w, w->main_arg);
    return NULL;
}

vl_status vl__worker_start(vl_worker *w, void (*main)(vl_worker *w, void *arg), void *arg) {
    w->main = main;
    w->main_arg = arg;
    return pthread_create(&w->thread, NULL, trampoline, w) == 0 ? VL_OK : VL_ENOMEM;
}

void vl__worker_join(vl_worker *w) { pthread_join(w->thread, NULL); }

static void on_wake(uv_async_t *h) { (void)h; /* the worker drains after uv_run */ }

vl_status vl__worker_loop_open(vl_worker *w) {
    if (uv_loop_init(&w->loop) != 0) return VL_ENOMEM;
    if (uv_async_init(&w->loop, &w->wake, on_wake) != 0) {
        uv_loop_close(&w->loop);
        return VL_ENOMEM;
    }
    return VL_OK;
}

static void close_handle(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

void vl__worker_loop_close(vl_worker *w) {
    uv_walk(&w->loop, close_handle, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
}

void vl__worker_wake(vl_worker *w) {
    if (atomic_load_explicit(&w->sleeping, memory_order_seq_cst)) uv_async_send(&w->wake);
}

void vl__worker_post(vl_worker *w, vl_ctl *c) {
    atomic_fetch_add_explicit(&w->posting, 1, memory_order_seq_cst);
    vl__ctlq_push(&w->ctl, c);
    vl__worker_wake(w);
    atomic_fetch_sub_explicit(&w->posting, 1, memory_order_release);
}

vl_status vl__worker_post_task(vl_worker *w, vl_ctl *c) {
    atomic_fetch_add_explicit(&w->posting, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&w->finished, memory_order_seq_cst)) {
        atomic_fetch_sub_explicit(&w->posting, 1, memory_order_release);
        return VL_ECLOSED;
    }
    vl__ctlq_push(&w->ctl, c);
    vl__worker_wake(w);
    atomic_fetch_sub_explicit(&w->posting, 1, memory_order_release);
    return VL_OK;
}

void vl__worker_sleep(vl_worker *w, bool (*has_work)(void *arg), void *arg) {
    atomic_store_explicit(&w->sleeping, 1, memory_order_seq_cst);
    if (!has_work(arg)) uv_run(&w->loop, UV_RUN_ONCE);
    atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

void vl__worker_finish(vl_worker *w) {
    atomic_store_explicit(&w->finished, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&w->posting, memory_order_seq_cst)) sched_yield();
}
