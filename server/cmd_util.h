/*
 * cmd_util.h -- what the command families (cmd_*.c) share: expiry
 * arithmetic, size checks, counters, multi-key ops.
 *
 * Owns: nothing. Threads: as each says (home shard or key shard).
 */
#ifndef VL_SERVER_CMD_UTIL_H
#define VL_SERVER_CMD_UTIL_H

#include <limits.h>
#include <time.h>

#include "server.h"

/* Wall clock, ms since the epoch. Any thread. */
static inline int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Redis's expiry arithmetic: v in seconds (secs) or ms, relative to now
 * (rel) or absolute. False for a time Redis calls invalid: v <= 0, or an
 * overflow. *at is absolute ms. (EXPIRE's family allows v <= 0; it uses
 * expire_to_abs_any.) */
static inline bool expire_to_abs(int64_t v, bool secs, bool rel, int64_t *at) {
    if (v <= 0 || (secs && v > LLONG_MAX / 1000)) return false;
    if (secs) v *= 1000;
    if (rel) {
        int64_t now = vl_time_ms();
        if (v > LLONG_MAX - now) return false;
        v += now;
    }
    *at = v;
    return true;
}

/* The server's shard of the calling thread, for its counters. */
static inline void count_hit(bool hit) {
    srv_shard *sh = srv_self();
    if (!sh) return;
    if (hit) SRV_ADD(sh, kspace_hits, 1);
    else SRV_ADD(sh, kspace_misses, 1);
}

/* Whether a string of n bytes fits the largest value the server stores. */
static inline bool str_fits(const srv *s, size_t n) {
    return (uint64_t)n + vh_cbor_head(n) <= s->cfg.value_max;
}

/* A write function out of memory: the error is its reply, nothing changed. */
static inline vl_policy fail_nomem(vl_buf *b) {
    b->len = 0;
    reply_status_error(b, VL_ENOMEM);
    return vl_noop();
}

/* start_multi_op's flag: the parts' writes need no load (MSET). */
#define MULTI_BLIND (1u << 30)

/* Starts an op over nkeys keys (at the command's first/step positions)
 * with fn on each (flags: the command's own, plus MULTI_BLIND). Returns
 * it, or NULL after replying an error. */
srv_op *start_multi_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                       srv_keyfn fn, uint32_t nkeys, uint32_t flags);

/* Counts keys that hold a value into op->sum (EXISTS, MSETNX). */
void exists_rd(void *arg, vl_status st, const vl_view *v);

#endif
