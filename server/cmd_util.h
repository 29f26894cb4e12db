/*
 * cmd_util.h -- the command families (cmd_*.c): their tables, and what
 * they share: starting ops (cmd_util.c), expiry arithmetic, size checks,
 * counters.
 *
 * Owns: nothing. Threads: as each says (home shard or key shard).
 *
 * Layer: the command families, above the connections and ops (conn.h),
 * INFO (info.h) and everything below them; below the command table
 * (commands.h), which lists the tables declared here. A family calls no
 * other family.
 */
#ifndef VL_SERVER_CMD_UTIL_H
#define VL_SERVER_CMD_UTIL_H

#include <limits.h>
#include <time.h>

#include "args.h"
#include "command.h"
#include "conn.h"
#include "glob.h"
#include "reply.h"
#include "value.h"
#include "vhash.h"

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

/* Each family's table of commands (ended by SRV_CMD_END). */
extern const srv_cmd cmd_string_table[];  /* cmd_string.c */
extern const srv_cmd cmd_counter_table[]; /* cmd_counter.c */
extern const srv_cmd cmd_keys_table[];    /* cmd_keys.c */
extern const srv_cmd cmd_keyspace_table[]; /* cmd_keyspace.c */
extern const srv_cmd cmd_hash_table[];    /* cmd_hash.c */
extern const srv_cmd cmd_conn_table[];    /* cmd_conn.c */
extern const srv_cmd cmd_server_table[];  /* cmd_server.c */
extern const srv_cmd cmd_command_table[]; /* cmd_command.c */

/* A table row for a command without keys. */
#define NOKEY(n, a, f, fn, fl, acl, tips, grp, since, cx, sum, subs)                          \
    {n, a, f, 0, 0, 0, fn, NULL, fl, acl, tips, "", grp, since, cx, sum, subs}

/* ---- starting ops (cmd_util.c) ---------------------------------------------- */

/* A single-key op over argv[1] with fn, not started yet (set its fields,
 * then op_start), or NULL after replying an error. */
srv_op *new_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                   srv_keyfn fn);
/* Starts a single-key op over argv[1] with fn; the op's later arguments
 * are argv[2..]. Returns the op (started) or NULL (an error was replied). */
srv_op *start_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                     srv_keyfn fn, int64_t n1, int64_t n2, uint32_t flags);

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
