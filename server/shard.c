/*
 * shard.c -- the server's state (shard.h): srv_init, the calling thread's
 * shard, the shutdown request.
 *
 * Owns: the thread-local pointer to the calling shard thread's srv_shard.
 * Threads: srv_init on the main thread before the shards start;
 * srv_self_set on each shard's thread as it is set up; srv_self and
 * srv_request_shutdown on any thread.
 */
#include <string.h>

#include "shard.h"

static _Thread_local srv_shard *tls_shard;

srv_shard *srv_self(void) { return tls_shard; }

void srv_self_set(srv_shard *sh) { tls_shard = sh; }

void srv_init(srv *s, const srv_config *cfg) {
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->write_policy = cfg->durability_immediate ? vl_immediate() : vl_within(cfg->within_ms);
    s->start_ms = vl_time_ms();
    atomic_init(&s->next_client_id, 1);
}

void srv_request_shutdown(srv *s) {
    int no = 0;
    if (atomic_compare_exchange_strong(&s->shutdown_asked, &no, 1) && s->on_shutdown)
        s->on_shutdown(s);
}
