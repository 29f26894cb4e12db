/*
 * worker.h -- a worker: one thread with its own libuv loop, a bounded
 * request mailbox and a control queue, that other threads post to and wake.
 *
 * Owns: the thread, its loop and wake-up handle, the mailbox and control
 * queue, and the protocols that let any thread hand it work: waking it only
 * when it sleeps, and posting to it safely while it finishes. Not what the
 * work means: a shard (cache/shard.h) is a worker plus a cache.
 * Threads: vl__worker_init/vl__worker_fini/vl__worker_start/vl__worker_join on the opening
 * thread; vl__worker_wake, vl__worker_post, vl__worker_post_task and vl__worker_current on
 * any thread; the rest on the worker's own thread.
 */
#ifndef VL_RUNTIME_WORKER_H
#define VL_RUNTIME_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "runtime/ctlq.h"
#include "runtime/mailbox.h"

typedef struct vl_worker {
    pthread_t thread;
    uint32_t index;            /* its place among its owner's workers */
    const void *owner;         /* whose worker it is; opaque here */
    vl_mailbox mb;
    vl_ctlq ctl;
    _Atomic uint32_t sleeping; /* any thread: wake me through `wake` */
    _Atomic uint32_t posting;  /* vl__worker_post* calls under way (any thread) */
    _Atomic uint32_t finished; /* set when the worker stops taking posts */
    uv_loop_t loop;
    uv_async_t wake;
    void (*main)(struct vl_worker *w, void *arg); /* the thread's body */
    void *main_arg;
} vl_worker;

/* The mailbox (`mailbox` cells) and the control queue. VL_OK or VL_ENOMEM. */
vl_status vl__worker_init(vl_worker *w, uint32_t mailbox, uint32_t index, const void *owner);
/* Frees them; the control queue must have been drained by the caller. */
void vl__worker_fini(vl_worker *w);
/* Starts the thread, which runs main(w, arg). VL_OK or VL_ENOMEM. */
vl_status vl__worker_start(vl_worker *w, void (*main)(vl_worker *w, void *arg), void *arg);
void vl__worker_join(vl_worker *w);
/* The worker whose thread is calling, or NULL on any other thread. */
vl_worker *vl__worker_current(void);

/* The worker's thread: opens its loop (VL_ENOMEM if it cannot), and closes
 * it with every handle still open on it, without their close callbacks. */
vl_status vl__worker_loop_open(vl_worker *w);
void vl__worker_loop_close(vl_worker *w);

/* Any thread: wakes the worker if it sleeps, after a message was published. */
void vl__worker_wake(vl_worker *w);
/* Any thread: queues a control message and wakes the worker. Only for
 * messages the worker is sure to take: it must not have finished. */
void vl__worker_post(vl_worker *w, vl_ctl *c);
/* Any thread: vl__worker_post, refused with VL_ECLOSED once it has finished. */
vl_status vl__worker_post_task(vl_worker *w, vl_ctl *c);

/* The worker's thread: sleeps in its loop until an event or a wake-up,
 * unless has_work(arg) finds work once the worker announced its sleep. */
void vl__worker_sleep(vl_worker *w, bool (*has_work)(void *arg), void *arg);
/* The worker's thread: stops taking posts (vl__worker_post_task answers
 * VL_ECLOSED from now on) and waits for posts under way to land. The
 * caller then drains the control queue one last time. */
void vl__worker_finish(vl_worker *w);

#endif
