/*
 * info.h -- the text of INFO, and the number of live values (DBSIZE).
 *
 * Owns: nothing. Threads: any shard thread; it reads the shards' counters
 * (relaxed atomics) and the cache's statistics.
 *
 * Layer: above shard.h and args.h; used by the server commands
 * (cmd_server.c).
 */
#ifndef VL_SERVER_INFO_H
#define VL_SERVER_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "resp.h"
#include "shard.h"

/* Appends the INFO text of the sections asked (argv after INFO). */
void info_text(srv *s, const vl_resp_arg *argv, size_t argc, vl_buf *out);
/* Sum of the live values of every shard (DBSIZE). */
int64_t srv_dbsize(srv *s);

#endif
