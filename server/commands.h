/*
 * commands.h -- the command table: every family's commands, indexed at
 * start, and the dispatch of one request to its command (commands.c).
 *
 * Owns: the list of the command families. Threads: cmd_init on the main
 * thread before any shard dispatches; cmd_dispatch on a connection's home
 * shard.
 *
 * Layer: the top of the command layer: it calls into the families
 * (cmd_*.c), which never call it; the connections' socket side (conn.c)
 * calls cmd_dispatch.
 */
#ifndef VL_SERVER_COMMANDS_H
#define VL_SERVER_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"

/* Main thread, once, before any shard dispatches: indexes every family's
 * table (command.h). */
void cmd_init(void);
/* Dispatches one request of the connection (argc >= 1). Returns false when
 * the request must wait (a barrier command with commands still under way):
 * it is then parsed again once the FIFO is empty. */
bool cmd_dispatch(srv_conn *c, const vl_resp_arg *argv, size_t argc);

#endif
