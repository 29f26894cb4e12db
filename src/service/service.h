/*
 * service.h -- the service: its options, its type, its shards.
 *
 * Owns: struct vl_service and the helpers every part uses (logging, the
 * value type's calls, the current-shard marker).
 * Threads: the service's fields are written by vl_open before any shard
 * starts and by vl_close after all have stopped; in between they are read-only
 * on every thread, except `closing` (atomic).
 */
#ifndef VL_SERVICE_H
#define VL_SERVICE_H

#include <stdatomic.h>

#include "cache/shard.h"
#include "vellir.h"
#include "vellir_upstream.h"

struct vl_service {
    vl_options opts;
    vl_type type;
    vl_upstream upstream;
    uint32_t nshards;
    vl_shard *shards;
    _Atomic int closing;
    /* API calls posting to control queues right now (vl_flush). vl_shutdown
     * waits for it to reach zero after setting `closing`, so no command can
     * reach a shard that has finished. */
    _Atomic int64_t ctl_posters;
    vl_join *shutdown;   /* set by vl_shutdown */
    _Atomic int clearing; /* a vl_clear is under way (clear.c) */
    /* Startup handshake: each shard reports its upstream's open status. */
    pthread_mutex_t start_mu;
    pthread_cond_t start_cv;
    uint32_t started;
    vl_status start_status;
    bool start_over;     /* every shard started has reported (under start_mu) */
};

/* The shard whose thread is running, or NULL on other threads. */
extern _Thread_local vl_shard *vl_current_shard;

/* Logs through opts.log. Any thread. */
void vl_logf(const struct vl_service *svc, vl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
