/*
 * service.h -- the service layer: the public API of include/vellir.h on top
 * of the shards (cache/shard.h).
 *
 * Owns: struct vl_service, and the interface between the service's files:
 *   options.c   vl_options: defaults, checks, the options table
 *   service.c   vl_open, vl_shutdown, vl_close
 *   submit.c    the asynchronous requests: hashing a key to its shard and
 *               handing the request over through the shard's mailbox
 *   control.c   commands to every shard (vl_flush, vl_clear, vl_scan) and
 *               vl_post
 *   sync.c      the blocking forms
 *   stats.c     vl_stats_get
 * Threads: the service's fields are written by vl_open before any shard
 * starts and by vl_close after all have stopped; in between they are
 * read-only on every thread, except the atomics.
 */
#ifndef VL_SERVICE_SERVICE_H
#define VL_SERVICE_SERVICE_H

#include <stdatomic.h>

#include "cache/shard.h"
#include "runtime/join.h"
#include "util/log.h"
#include "vellir.h"
#include "vellir_upstream.h"

struct vl_service {
    vl_options opts;
    vl_type type;
    vl_upstream upstream;
    vl_log_sink log;
    uint32_t nshards;
    vl_shard *shards;
    _Atomic int closing;
    /* API calls posting to control queues right now (vl_flush, vl_clear,
     * vl_scan).
     * vl_shutdown waits for it to reach zero after setting `closing`, so no
     * command can reach a shard that has finished. */
    _Atomic int64_t ctl_posters;
    _Atomic int clearing; /* a vl_clear is under way (cache/clear.c) */
    vl_gate gate;         /* start-up: each shard reports its upstream's open */
};

/* options.c: fills zeros with defaults and checks every range; logs what is
 * wrong through `log`. VL_OK or VL_EINVAL. */
vl_status vl__options_check(vl_options *o, const vl_log_sink *log);

#endif
