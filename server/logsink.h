/*
 * logsink.h -- where libvellir's log messages go in vellir-server (the
 * vl_options.log sink): stderr, filtered by --log-level; while the service
 * opens, the upstream's errors held back, so that a failed start prints one
 * line (upstream.c) instead of one per shard; and the upstream's last
 * warning or error, kept for INFO.
 *
 * Owns: srv_log. Threads: the sink runs on any thread (the shards log from
 * theirs); hold, first and release on the main thread; last on any thread (INFO).
 * A mutex guards the kept messages; messages are few (the upstreams
 * rate-limit theirs), so it is never contended in earnest.
 *
 * Layer: 0; it calls nothing of the server.
 */
#ifndef VL_SERVER_LOGSINK_H
#define VL_SERVER_LOGSINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vellir.h"

typedef struct srv_log {
    int level;            /* the most verbose vl_log_level printed */
    bool holding;         /* the service is opening (under mu) */
    pthread_mutex_t mu;
    char first[1024];     /* the first upstream error while holding */
    char last[1040];      /* the upstream's last warning or error, with its level */
    int64_t last_ms;      /* when (vl_time_ms), 0: none yet */
} srv_log;

void srv_log_init(srv_log *l, int level);
void srv_log_fini(srv_log *l);
/* The sink: vl_options.log with log_arg = the srv_log. */
void srv_log_sink(void *arg, vl_log_level level, const char *msg);
/* Main thread, before vl_open: from now on the upstream's errors are not
 * printed (unless --log-level info) but the first is kept. */
void srv_log_hold(srv_log *l);
/* Main thread, after vl_open: errors print again; the kept one is printed
 * now if `print` (the open succeeded all the same), else dropped (the
 * caller said why the start failed, in one line). */
void srv_log_release(srv_log *l, bool print);
/* The first upstream error kept while holding, without the library's
 * "upstream NAME, shard N: " prefix; "" if none. */
void srv_log_first(srv_log *l, char *out, size_t cap);
/* The upstream's last warning or error in its own words, after its level
 * ("warning: upstream NAME, shard N: ..."), and when; "" and 0 if none.
 * A warning may be good news ("reconnected after 3.8 ms"). */
void srv_log_last(srv_log *l, char *out, size_t cap, int64_t *at_ms);

#endif
